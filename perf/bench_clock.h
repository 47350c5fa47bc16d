/* bench_clock.h — the clocks every benchmark reports: wall time, and the CPU
 * time of the calling thread or of the whole process (the comparable figures
 * on a shared machine). */
#ifndef UNMO_BENCH_CLOCK_H
#define UNMO_BENCH_CLOCK_H

#include <sys/resource.h>
#include <time.h>

static inline double bench_clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static inline double bench_wall_s(void) { return bench_clock_s(CLOCK_MONOTONIC); }
static inline double bench_cpu_s(void) { return bench_clock_s(CLOCK_THREAD_CPUTIME_ID); }

/* CPU seconds of the whole process (all threads): on a shared machine the
 * wall clock also counts time other processes ran; CPU time does not. */
static inline double bench_process_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The kernel's part of bench_process_cpu_s(): page faults, file I/O,
 * memory given back. On the benchmark VM (a PVM guest) faults cost several
 * times bare metal's (perf/RESULTS.md), so this part says how much of a
 * figure is the machine's. */
static inline double bench_process_sys_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

#endif
