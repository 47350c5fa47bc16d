/* bench_pages — what the first access to a page of our own memory costs
 * after the things unmo-attr does to memory, against a warm access to the
 * same pages (the ceiling, measured in the same run).
 *
 * On a bare-metal host every line is tens of ns per page. On the
 * benchmark VM (a PVM guest, perf/RESULTS.md) a 2 MB page split by giving
 * back part of it, and a block moved by realloc (mremap), cost microseconds
 * per 4 KB page on their next first access: why attr_spool.c gives pass-1
 * chunks back by whole 2 MB pages and the result rows never move. And
 * memory the process gave back is cheap to take again at once, dear a few
 * seconds later (the guest reports free memory to the host): why every
 * page the job newly touches counts there, the page cache's included.
 *
 * Usage: bench_pages [MB]   (default 256; one thread, no files) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MB ((size_t)1 << 20)
#define HUGE (2 * MB)

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ns per 4 KB page of one read per page over [p, p + n) */
static double walk(const uint8_t *p, size_t n)
{
	double t0 = now();
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < n; i += 4096)
		sink = (uint8_t)(sink + p[i]);
	(void)sink;
	return (now() - t0) * 1e9 / (double)(n / 4096);
}

static uint8_t *huge_region(size_t n)
{
	uint8_t *p = mmap(NULL, n + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	madvise(p, n, MADV_HUGEPAGE); /* advice: 4 KB pages where refused */
	return p;
}

int main(int argc, char **argv)
{
	size_t n = (argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 256) * MB;
	if (n < 4 * MB) {
		fprintf(stderr, "usage: bench_pages [MB >= 4]\n");
		return 2;
	}
	/* 1. a 2 MB-page region, written; then 64 KB given back from each
	 * 2 MB page (MADV_DONTNEED splits it), the rest read */
	uint8_t *q = huge_region(n);
	if (!q)
		return 1;
	double t0 = now();
	memset(q, 1, n);
	double first = (now() - t0) * 1e9 / (double)(n / 4096);
	double warm = walk(q, n);
	for (size_t i = 0; i < n; i += HUGE)
		madvise(q + i, 64 * 1024, MADV_DONTNEED);
	double split = walk(q, n), split_again = walk(q, n);
	printf("2 MB pages: first write %.0f ns per 4 KB page; warm read %.0f (ceiling)\n", first, warm);
	printf("  after 64 KB of each 2 MB page given back: first read %.0f ns per page, next %.0f (%.0fx the ceiling)\n",
	       split, split_again, split / warm);
	/* 2. an array grown by realloc to n bytes, written as it grows */
	size_t cap = MB;
	uint8_t *r = malloc(cap);
	if (!r)
		return 1;
	memset(r, 1, cap);
	while (cap < n) {
		uint8_t *g = realloc(r, 2 * cap);
		if (!g)
			return 1;
		r = g;
		memset(r + cap, 1, cap);
		cap *= 2;
	}
	double moved = walk(r, cap), moved_again = walk(r, cap);
	printf("realloc-grown array (%zu MB): first read %.0f ns per page, next %.0f (%.0fx the ceiling)\n", cap / MB,
	       moved, moved_again, moved / warm);
	free(r);
	munmap(q, n);
	/* 3. n bytes given back (munmap) and mapped and written again: right
	 * away, and after 3 s (on a guest with free page reporting, the time
	 * the kernel takes to hand free memory back to the host) */
	for (int pause = 0; pause <= 3; pause += 3) {
		q = huge_region(n);
		if (!q)
			return 1;
		memset(q, 1, n);
		munmap(q, n);
		struct timespec ts = {pause, 0};
		nanosleep(&ts, NULL);
		q = huge_region(n);
		if (!q)
			return 1;
		t0 = now();
		memset(q, 2, n);
		double again = (now() - t0) * 1e9 / (double)(n / 4096);
		printf("memory given back and written again %s: first write %.0f ns per 4 KB page (%.1f GB/s)\n",
		       pause ? "3 s later" : "at once", again, 4096 / again);
		munmap(q, n);
	}
	return 0;
}
