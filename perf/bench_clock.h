/* bench_clock.h — the two clocks every benchmark reports: wall time and the
 * calling thread's CPU time (the comparable figure on a shared machine). */
#ifndef UNMO_BENCH_CLOCK_H
#define UNMO_BENCH_CLOCK_H

#include <time.h>

static inline double bench_clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static inline double bench_wall_s(void) { return bench_clock_s(CLOCK_MONOTONIC); }
static inline double bench_cpu_s(void) { return bench_clock_s(CLOCK_THREAD_CPUTIME_ID); }

#endif
