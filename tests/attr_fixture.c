/* attr_fixture.c — the events, runs and lookups the attribution tests
 * share (attr_fixture.h). */
#include "attr_fixture.h"

/* ---- building events ---- */
struct unmo_event evs[EVS_MAX];
size_t nev;

void reset(void) { nev = 0; }

void set_id(uint8_t id[16], uint64_t n)
{
	memset(id, 0, 16);
	for (int i = 0; i < 8; i++)
		id[15 - i] = (uint8_t)(n >> (8 * i));
	id[0] = 0xa0; /* never all-zero */
}

/* Add an event of dev (advertising id; NULL: none) at t with id n. */
struct unmo_event *add(uint8_t type, const char *dev, int64_t t, uint64_t id)
{
	if (nev >= sizeof evs / sizeof evs[0])
		cr_assert_fail("too many test events");
	struct unmo_event *e = &evs[nev++];
	unmo_event_clear(e);
	e->type = type;
	e->event_time_us = t;
	e->recv_time_us = t + 1000;
	set_id(e->event_id, id);
	e->s[UNMO_S_APP_ID] = unmo_str_c(APP);
	if (dev)
		e->s[UNMO_S_ADVERTISING_ID] = unmo_str_c(dev);
	return e;
}

struct unmo_event *touch(uint8_t type, const char *dev, int64_t t, uint64_t id, const char *src, const char *camp)
{
	struct unmo_event *e = add(type, dev, t, id);
	e->s[UNMO_S_MEDIA_SOURCE] = unmo_str_c(src);
	e->s[UNMO_S_CAMPAIGN] = unmo_str_c(camp);
	return e;
}

/* ---- running ---- */
struct unmo_attr *run_opts(struct unmo_attr_opts o, const struct unmo_event *v, size_t n)
{
	char err[512];
	if (!o.threads)
		o.threads = 2;
	o.keep_conversions = true;
	struct unmo_attr *a = unmo_attr_new(&o, err, sizeof err);
	cr_assert_not_null(a, "%s", err);
	for (size_t i = 0; i < n; i++)
		if (unmo_attr_add_event(a, &v[i], err, sizeof err))
			cr_assert_fail("add_event: %s", err);
	cr_assert_eq(unmo_attr_finish(a, err, sizeof err), 0, "%s", err);
	return a;
}

static uint64_t rng = 88172645463325252ull;
uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
