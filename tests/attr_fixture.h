/* attr_fixture.h — what the attribution tests (test_attr.c,
 * test_attr_part.c) share: a test app and clock, an event array the tests
 * fill (reset, add, touch, with_ip), runs of the engine over it (run,
 * run_opts: every run must finish; a failure fails the test), lookups of
 * result rows by event id and a seeded xorshift (rnd). One test process at
 * a time uses the globals (Criterion runs each test in its own process). */
#ifndef UNMO_TEST_ATTR_FIXTURE_H
#define UNMO_TEST_ATTR_FIXTURE_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "attr.h"

#define DAY UNMO_US_PER_DAY
#define HOUR (UNMO_US_PER_DAY / 24)
#define SEC UNMO_US_PER_S
#define T0 (1767225600ll * SEC) /* 2026-01-01T00:00:00Z */
#define APP "com.test.app"

#define EVS_MAX 20000
extern struct unmo_event evs[EVS_MAX];
extern size_t nev;
extern const char *const UA_IOS; /* an iPhone Safari user agent */

void reset(void);
/* id: n as 16 bytes, big-endian in the low 8, never all zero */
void set_id(uint8_t id[16], uint64_t n);
/* Add an event of dev (advertising id; NULL: none) at t with id n. */
struct unmo_event *add(uint8_t type, const char *dev, int64_t t, uint64_t id);
/* add with a media source and campaign */
struct unmo_event *touch(uint8_t type, const char *dev, int64_t t, uint64_t id, const char *src, const char *camp);
/* IPv4 10.0.0.last and user agent ua */
void with_ip(struct unmo_event *e, uint8_t last, const char *ua);
/* A finished engine over v[0..n) (2 threads unless o says; conversions
 * kept); unmo_attr_free it. run: over evs with default options. */
struct unmo_attr *run_opts(struct unmo_attr_opts o, const struct unmo_event *v, size_t n);
struct unmo_attr *run(void);
/* The install / conversion row of event id (fails the test when absent). */
const struct unmo_attr_install *ins_by_id(const struct unmo_attr *a, uint64_t id);
const struct unmo_attr_conversion *conv_by_id(const struct unmo_attr *a, uint64_t id);
bool touch_is(const struct unmo_attr_touch *t, uint64_t id);
uint64_t rnd(void);

#define EXPECT(a, ins, m, tid)                                                                    \
	do {                                                                                      \
		const struct unmo_attr_install *r_ = ins_by_id(a, ins);                             \
		cr_expect_eq(r_->match, m, "install %d: match %s, want %s", (int)(ins),           \
			     unmo_attr_match_names[r_->match], unmo_attr_match_names[m]);          \
		if ((tid) == 0)                                                                   \
			cr_expect_eq(r_->touch.type, 0, "install %d: expected no touch", (int)(ins));   \
		else                                                                              \
			cr_expect(touch_is(&r_->touch, tid), "install %d: wrong touch", (int)(ins)); \
	} while (0)

#endif
