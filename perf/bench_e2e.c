/* bench_e2e — the LZ4 ceiling for perf/bench_e2e.sh: reads the records the
 * appliance persisted (the same records, block by block, from the sealed
 * segments in DIR) and times, on one core, the stock LZ4 compressor
 * (LZ4_compress_default) and our block encoder (unmo_seg_block_encode: LZ4
 * frame + checksums, what a writer thread runs) over them.
 * Prints "lz4_mbps=... lz4_events_per_s=... lz4_events_per_cpu_s=... encode_mbps=...
 * encode_events_per_s=... record_bytes=..." for the script to parse (per CPU-second
 * too: on a shared machine a thread gets less than wall time).
 * Each figure is the best of 5 repetitions of SECONDS/5 (shared machine).
 * usage: bench_e2e DIR [SECONDS] */
#include <dirent.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segment.h"
#include "bench_clock.h"

#define MAX_CHUNKS 4096u

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_e2e DIR [SECONDS]\n");
		return 2;
	}
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	DIR *d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	char *names[1024];
	unsigned nn = 0;
	struct dirent *de;
	while ((de = readdir(d)) && nn < 1024) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, UNMO_SEG_SUFFIX))
			names[nn++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof *names, cmp);
	static struct unmo_chunk chunks[MAX_CHUNKS];
	unsigned nc = 0;
	uint64_t raw = 0, events = 0;
	char err[512], path[4096];
	for (unsigned i = 0; i < nn && nc < MAX_CHUNKS; i++) {
		snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
		struct unmo_segr *r = unmo_segr_open(path, err, sizeof err);
		if (!r) {
			fprintf(stderr, "bench_e2e: %s\n", err);
			return 1;
		}
		struct unmo_seg_block b;
		int k;
		while (nc < MAX_CHUNKS && (k = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
			if (k < 0 || b.meta.raw_len > UNMO_CHUNK_CAP)
				continue;
			struct unmo_chunk *c = &chunks[nc++];
			unmo_chunk_reset(c);
			memcpy(c->data, b.records, b.meta.raw_len);
			c->len = b.meta.raw_len;
			c->count = b.meta.count;
			c->min_time_us = b.meta.min_time_us;
			c->max_time_us = b.meta.max_time_us;
			raw += c->len;
			events += c->count;
		}
		unmo_segr_close(r);
	}
	if (!nc || !events) {
		fprintf(stderr, "bench_e2e: no records in %s\n", argv[1]);
		return 1;
	}
	size_t cap = unmo_seg_block_bound(UNMO_CHUNK_CAP);
	char *dst = malloc(cap);
	/* The machine is shared: the ceiling is the best of REPS repetitions
	 * (a higher ceiling only lowers the ratio the script prints). */
	enum { REPS = 5 };
	uint64_t out = 0;
	double lz4_mbps = 0, lz4_eps = 0, lz4_cpu_eps = 0, enc_mbps = 0, enc_eps = 0;
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t bytes = 0, evs = 0;
		double t0 = bench_wall_s(), c0 = bench_cpu_s(), t;
		do {
			for (unsigned i = 0; i < nc; i++) {
				out += (uint64_t)LZ4_compress_default((const char *)chunks[i].data, dst,
								      (int)chunks[i].len, (int)cap);
				bytes += chunks[i].len;
				evs += chunks[i].count;
			}
		} while ((t = bench_wall_s() - t0) < secs / REPS);
		double cpu = bench_cpu_s() - c0; /* per CPU-second: a busy machine */
		if ((double)evs / t > lz4_eps) {
			lz4_eps = (double)evs / t;
			lz4_mbps = (double)bytes / t / 1e6;
		}
		if ((double)evs / cpu > lz4_cpu_eps)
			lz4_cpu_eps = (double)evs / cpu;
		bytes = evs = 0;
		t0 = bench_wall_s();
		do {
			for (unsigned i = 0; i < nc; i++) {
				struct unmo_seg_block_meta m;
				out += unmo_seg_block_encode((uint8_t *)dst, cap, &chunks[i], &m);
				bytes += chunks[i].len;
				evs += chunks[i].count;
			}
		} while ((t = bench_wall_s() - t0) < secs / REPS);
		if ((double)evs / t > enc_eps) {
			enc_eps = (double)evs / t;
			enc_mbps = (double)bytes / t / 1e6;
		}
	}
	printf("chunks=%u events=%lu record_bytes=%.1f lz4_mbps=%.1f lz4_events_per_s=%.0f "
	       "lz4_events_per_cpu_s=%.0f encode_mbps=%.1f encode_events_per_s=%.0f (out %lu)\n",
	       nc, events, (double)raw / (double)events, lz4_mbps, lz4_eps, lz4_cpu_eps, enc_mbps,
	       enc_eps, out);
	free(dst);
	for (unsigned i = 0; i < nn; i++)
		free(names[i]);
	return 0;
}
