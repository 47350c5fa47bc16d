/* attr_fixture.h — what the attribution tests (test_attr.c,
 * test_attr_part.c) share: a test app and clock, an event array the tests
 * fill (reset, add, touch), runs of the engine over it (run_opts: every
 * run must finish; a failure fails the test) and a seeded xorshift (rnd).
 * One test process at a time uses the globals (Criterion runs each test
 * in its own process). */
#ifndef UNMO_TEST_ATTR_FIXTURE_H
#define UNMO_TEST_ATTR_FIXTURE_H

#include <criterion/criterion.h>
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

void reset(void);
/* id: n as 16 bytes, big-endian in the low 8, never all zero */
void set_id(uint8_t id[16], uint64_t n);
/* Add an event of dev (advertising id; NULL: none) at t with id n. */
struct unmo_event *add(uint8_t type, const char *dev, int64_t t, uint64_t id);
/* add with a media source and campaign */
struct unmo_event *touch(uint8_t type, const char *dev, int64_t t, uint64_t id, const char *src, const char *camp);
/* A finished engine over v[0..n) (2 threads unless o says; conversions
 * kept); unmo_attr_free it. */
struct unmo_attr *run_opts(struct unmo_attr_opts o, const struct unmo_event *v, size_t n);
uint64_t rnd(void);

#endif
