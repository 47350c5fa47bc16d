/* bigmem.c — large buffers in 2 MB pages, prefaulting, resident memory. */
#include "bigmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BIG_MIN ((size_t)4 << 20) /* smaller: 4 KB pages (a 2 MB page is backed whole once touched) */

static size_t big_len(size_t n)
{
	return n >= BIG_MIN ? (n + BIG_PAGE - 1) & ~(BIG_PAGE - 1) : n;
}

void *big_alloc(size_t n)
{
	size_t len = big_len(n), extra = n >= BIG_MIN ? BIG_PAGE : 0;
	uint8_t *p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (!extra)
		return p;
	uint8_t *q = (uint8_t *)(((uintptr_t)p + BIG_PAGE - 1) & ~(uintptr_t)(BIG_PAGE - 1));
	if (q > p)
		munmap(p, (size_t)(q - p));
	munmap(q + len, (size_t)(p + BIG_PAGE - q)); /* what is left past the aligned range */
	madvise(q, len, MADV_HUGEPAGE); /* advice only: 4 KB pages work too */
	return q;
}

void big_free(void *p, size_t n)
{
	if (p)
		munmap(p, big_len(n));
}

uint64_t mem_resident_anon(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size, resident, shared;
	int k = f ? fscanf(f, "%llu %llu %llu", &size, &resident, &shared) : 0;
	if (f)
		fclose(f);
	return k == 3 && resident > shared ? (uint64_t)(resident - shared) * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

void prefault(void *p, size_t n)
{
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, b = ((uintptr_t)p + n) & ~(uintptr_t)4095;
#ifdef MADV_POPULATE_WRITE
	if (b > a)
		madvise((void *)a, b - a, MADV_POPULATE_WRITE); /* advice: EINVAL before Linux 5.14 */
#else
	(void)a;
	(void)b;
#endif
}

void *calloc_written(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	size_t n = count * size;
	void *p = malloc(n ? n : 1);
	if (p)
		memset(p, 0, n);
	return p;
}
