/* bench_read.h — the read-only ceiling, one definition for every benchmark
 * that reads segment files (bench_attr, bench_floor).
 *
 * bench_read_file reads one segment into buf (kept by the caller from file
 * to file, as unmo-attr does), decodes every record into ev (capacity
 * UNMO_SEG_MAX_BLOCK_RECORDS: the reader's decode mode, which is also its
 * check) and calls fn once per good block. Corrupt blocks are skipped, as
 * unmo-attr skips them. Returns the events of the good blocks; prints the
 * file's error and returns 0 if it cannot be opened. Thread-safe with one
 * buf and ev per thread.
 */
#ifndef UNMO_BENCH_READ_H
#define UNMO_BENCH_READ_H

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "segment.h"

typedef void bench_block_fn(void *ctx, const struct unmo_event *ev, uint32_t n);

static inline uint64_t bench_read_file(const char *path, struct unmo_segr_buf *buf, struct unmo_event *ev,
				       bench_block_fn *fn, void *ctx)
{
	char err[512];
	struct unmo_segr *r = unmo_segr_open_buf(path, buf, err, sizeof err);
	if (!r) {
		fprintf(stderr, "bench: %s\n", err);
		return 0;
	}
	unmo_segr_decode_into(r, ev, UNMO_SEG_MAX_BLOCK_RECORDS);
	struct unmo_seg_block b;
	uint64_t events = 0;
	int rc;
	while ((rc = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
		if (rc < 0)
			continue;
		fn(ctx, b.events, b.meta.count);
		events += b.meta.count;
	}
	unmo_segr_close(r);
	return events;
}

/* The read-only ceiling: files[0..n) read by threads threads (at most 256),
 * each taking the next file, every event's time summed so the decode is
 * not optimized away. */
struct bench_ceiling {
	double wall, cpu, sys; /* seconds; cpu and sys of the whole process */
	uint64_t events;
};

struct bench_ceiling_shared {
	char **files;
	size_t n;
	atomic_size_t next;
	atomic_uint_fast64_t events, sum;
};

static inline void bench_sum_block(void *ctx, const struct unmo_event *ev, uint32_t n)
{
	uint64_t *sum = ctx;
	for (uint32_t k = 0; k < n; k++)
		*sum += (uint64_t)ev[k].event_time_us ^ ev[k].s[UNMO_S_APP_ID].len;
}

static inline void *bench_ceiling_main(void *p)
{
	struct bench_ceiling_shared *sh = p;
	uint64_t events = 0, sum = 0;
	struct unmo_event *ev = malloc(UNMO_SEG_MAX_BLOCK_RECORDS * sizeof *ev);
	struct unmo_segr_buf buf = {0};
	for (size_t i; ev && (i = atomic_fetch_add(&sh->next, 1)) < sh->n;)
		events += bench_read_file(sh->files[i], &buf, ev, bench_sum_block, &sum);
	free(ev);
	unmo_segr_buf_free(&buf);
	atomic_fetch_add(&sh->events, events);
	atomic_fetch_add(&sh->sum, sum);
	return NULL;
}

static inline struct bench_ceiling bench_ceiling_run(char **files, size_t n, unsigned threads)
{
	pthread_t th[256];
	struct bench_ceiling_shared sh = {.files = files, .n = n};
	double c0 = bench_process_cpu_s(), k0 = bench_process_sys_s(), t0 = bench_wall_s();
	unsigned started = 0;
	for (; started < threads && started < 256; started++)
		if (pthread_create(&th[started], NULL, bench_ceiling_main, &sh))
			break;
	if (!started) /* no thread: read here */
		bench_ceiling_main(&sh);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return (struct bench_ceiling){bench_wall_s() - t0, bench_process_cpu_s() - c0, bench_process_sys_s() - k0,
				      atomic_load(&sh.events)};
}

/* The *.seg files of dir, as malloc'd paths in *out (n of them): 0, or -1
 * if dir cannot be opened. */
static inline int bench_list_segments(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	size_t cap = 64;
	char **v = malloc(cap * sizeof *v);
	*n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".seg"))
			continue;
		if (*n == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		v[*n] = malloc(strlen(dir) + l + 2);
		sprintf(v[*n], "%s/%s", dir, de->d_name);
		(*n)++;
	}
	closedir(d);
	*out = v;
	return 0;
}

#endif
