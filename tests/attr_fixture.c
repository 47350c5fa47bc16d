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

void with_ip(struct unmo_event *e, uint8_t last, const char *ua)
{
	e->ip_version = 4;
	e->ip[0] = 10;
	e->ip[3] = last;
	e->s[UNMO_S_USER_AGENT] = unmo_str_c(ua);
}

const char *const UA_IOS = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148";

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

struct unmo_attr *run(void)
{
	return run_opts((struct unmo_attr_opts){0}, evs, nev);
}

const struct unmo_attr_install *ins_by_id(const struct unmo_attr *a, uint64_t id)
{
	uint8_t want[16];
	set_id(want, id);
	size_t n;
	const struct unmo_attr_install *const *r = unmo_attr_installs(a, &n);
	for (size_t i = 0; i < n; i++)
		if (!memcmp(r[i]->event_id, want, 16))
			return r[i];
	cr_assert_fail("install %llu not found", (unsigned long long)id);
	return NULL;
}

const struct unmo_attr_conversion *conv_by_id(const struct unmo_attr *a, uint64_t id)
{
	uint8_t want[16];
	set_id(want, id);
	size_t n;
	const struct unmo_attr_conversion *const *r = unmo_attr_conversions(a, &n);
	for (size_t i = 0; i < n; i++)
		if (!memcmp(r[i]->event_id, want, 16))
			return r[i];
	cr_assert_fail("conversion %llu not found", (unsigned long long)id);
	return NULL;
}

bool touch_is(const struct unmo_attr_touch *t, uint64_t id)
{
	uint8_t want[16];
	set_id(want, id);
	return t->type && !memcmp(t->event_id, want, 16);
}

static uint64_t rng = 88172645463325252ull;
uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
