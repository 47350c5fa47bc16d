/* bench_rounds.h — repeated rounds of a benchmark (--repeat): the most a
 * run takes, and the median, least and greatest of a figure over them (the
 * VM moves single runs by 10-20%; medians are the figures to trust). One
 * definition for bench_attr and bench_floor. */
#ifndef UNMO_BENCH_ROUNDS_H
#define UNMO_BENCH_ROUNDS_H

#include <stdlib.h>
#include <string.h>

#define BENCH_MAX_ROUNDS 64

static inline int bench_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median, least and greatest of v[0..n), 1 <= n <= BENCH_MAX_ROUNDS. */
static inline void bench_spread(const double *v, unsigned n, double *med, double *lo, double *hi)
{
	double s[BENCH_MAX_ROUNDS];
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, bench_dbl_cmp);
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	*lo = s[0];
	*hi = s[n - 1];
}

#endif
