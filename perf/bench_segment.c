/* bench_segment.c — segment write and read speed against LZ4's own speed on
 * the same bytes, measured in the same run.
 *
 * Records: the brief's traffic model (lib/gen: three tenants, realistic
 * repetition of apps, media sources, campaigns, user agents) packed into
 * 64 KiB chunks exactly as the appliance packs them. Passes alternate
 * between the candidates so that noise from other processes hits each alike.
 *   (a) ceiling: LZ4_compress_default per chunk; LZ4F_compressFrame (same
 *       frame settings as ours) for reference
 *   (b) unmo_seg_block_encode                         target b/a >= 0.85
 *   (c) full segment write (unmo_segw: write(2) into the page cache of a file
 *       in /tmp, then index + footer + fsync + rename + fsync(dir))
 *   (d) read back: unmo_segr (mmap, LZ4F decompress, block/content checksum,
 *       every record decoded) + walking records, against LZ4_decompress_safe
 *       per block as the ceiling.
 * usage: bench_segment [MB_PER_CANDIDATE (256)] [MAX_SECONDS_PER_CANDIDATE (5)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>
#include <lz4frame.h>

#include "gen.h"
#include "segment.h"
#include "bench_clock.h"

#define POOL_CHUNKS 512 /* 32 MiB of records, reused across passes */

/* Times are CPU time of this thread (bench_cpu_s): the machine is shared
 * (2 cores, many jobs), so wall time would mostly measure the scheduler. The
 * segment write (c) is also given in wall time, since its fsyncs wait for
 * the disk. */
static struct unmo_chunk *pool;
static size_t npool;
static uint64_t pool_bytes, pool_events;
static volatile uint64_t sink;

static void build_pool(void)
{
	pool = malloc(sizeof *pool * POOL_CHUNKS);
	struct unmo_gen_opts o = {.seed = 42, .events = UINT64_MAX / 2, .start_us = 1767571200000000ll};
	char err[256];
	struct unmo_gen *g = unmo_gen_new(&o, err, sizeof err);
	if (!pool || !g) {
		fprintf(stderr, "bench_segment: %s\n", g ? "out of memory" : err);
		exit(1);
	}
	struct unmo_gen_item it;
	unmo_chunk_reset(&pool[0]);
	while (npool < POOL_CHUNKS && unmo_gen_next(g, &it)) {
		struct unmo_event e = *it.e;
		e.recv_time_us = e.event_time_us + 1500; /* as the appliance fills it */
		if (!unmo_chunk_add(&pool[npool], &e)) {
			pool_bytes += pool[npool].len;
			pool_events += pool[npool].count;
			if (++npool == POOL_CHUNKS)
				break;
			unmo_chunk_reset(&pool[npool]);
			unmo_chunk_add(&pool[npool], &e);
		}
	}
	unmo_gen_free(g);
}

enum { C_LZ4, C_LZ4F, C_SEG, C_COUNT };
static const char *const cname[C_COUNT] = {"LZ4_compress_default (ceiling a)",
					   "LZ4F_compressFrame (reference)",
					   "unmo_seg_block_encode (b)"};

/* One pass of candidate k over the pool; returns compressed bytes. */
static uint64_t pass(int k, uint8_t *out, size_t cap)
{
	uint64_t z = 0;
	static LZ4F_preferences_t prefs = {
		.frameInfo = {.blockSizeID = LZ4F_max64KB, .blockMode = LZ4F_blockIndependent,
			      .contentChecksumFlag = LZ4F_contentChecksumEnabled,
			      .blockChecksumFlag = LZ4F_blockChecksumEnabled}};
	for (size_t i = 0; i < npool; i++) {
		const struct unmo_chunk *c = &pool[i];
		if (k == C_LZ4)
			z += (uint64_t)LZ4_compress_default((const char *)c->data, (char *)out, (int)c->len,
							    (int)cap);
		else if (k == C_LZ4F) {
			prefs.frameInfo.contentSize = c->len;
			z += LZ4F_compressFrame(out, cap, c->data, c->len, &prefs);
		} else {
			struct unmo_seg_block_meta m;
			z += unmo_seg_block_encode(out, cap, c, &m);
		}
	}
	sink += out[0];
	return z;
}

int main(int argc, char **argv)
{
	double mb_target = argc > 1 ? atof(argv[1]) : 256.0;
	double max_s = argc > 2 ? atof(argv[2]) : 5.0;
	double t0 = bench_cpu_s();
	build_pool();
	double rec_avg = (double)pool_bytes / (double)pool_events;
	printf("bench_segment: %zu chunks, %.1f MiB of records, %llu events (%.0f B/record), pool built in %.1f s\n",
	       npool, (double)pool_bytes / 1048576.0, (unsigned long long)pool_events, rec_avg, bench_cpu_s() - t0);
	size_t cap = unmo_seg_block_bound(UNMO_CHUNK_CAP);
	uint8_t *out = malloc(cap);
	uint64_t passes_want = (uint64_t)(mb_target * 1048576.0 / (double)pool_bytes) + 1;

	/* (a)/(b): alternate passes; stop at the byte target or the time bound. */
	double t[C_COUNT] = {0};
	uint64_t z[C_COUNT] = {0}, passes = 0;
	while (passes < passes_want && t[C_LZ4] + t[C_LZ4F] + t[C_SEG] < 3 * max_s) {
		for (int k = 0; k < C_COUNT; k++) {
			double s = bench_cpu_s();
			z[k] += pass(k, out, cap);
			t[k] += bench_cpu_s() - s;
		}
		passes++;
	}
	double bytes = (double)pool_bytes * (double)passes, evs = (double)pool_events * (double)passes;
	printf("\ncompression, %llu passes = %.0f MiB per candidate:\n", (unsigned long long)passes,
	       bytes / 1048576.0);
	for (int k = 0; k < C_COUNT; k++)
		printf("  %-34s %8.1f MB/s %7.2f M events/s  ratio %.2f  (%.2f s)\n", cname[k],
		       bytes / t[k] / 1e6, evs / t[k] / 1e6, bytes / (double)z[k], t[k]);
	double a = bytes / t[C_LZ4];
	printf("  b/a = %.3f (target >= 0.85); LZ4F/a = %.3f\n", (bytes / t[C_SEG]) / a,
	       (bytes / t[C_LZ4F]) / a);

	/* (c): full segment writes, one segment per pass, sealed. */
	char dir[] = "/tmp/bench-seg-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char err[512], name[64], path[256];
	double tw = 0, tseal = 0, twall = 0;
	uint64_t wpasses = 0, file_bytes = 0;
	while (wpasses < passes && tw < max_s) {
		unmo_seg_name(name, sizeof name, "bench", 0, wpasses);
		struct unmo_seg_info info = {.writer_id = 0, .segment_seq = wpasses};
		double s = bench_cpu_s(), ws = bench_wall_s();
		struct unmo_segw *w = unmo_segw_open(dir, name, &info, err, sizeof err);
		for (size_t i = 0; w && i < npool; i++)
			if (unmo_segw_append(w, &pool[i], err, sizeof err) != 0) {
				fprintf(stderr, "bench_segment: %s\n", err);
				return 1;
			}
		double s2 = bench_cpu_s();
		file_bytes = w ? unmo_segw_bytes(w) : 0;
		if (!w || unmo_segw_seal(w, err, sizeof err) != 0) {
			fprintf(stderr, "bench_segment: %s\n", err);
			return 1;
		}
		double e = bench_cpu_s();
		twall += bench_wall_s() - ws;
		tw += e - s;
		tseal += e - s2;
		wpasses++;
		if (wpasses > 1) { /* keep the last one for reading */
			unmo_seg_name(name, sizeof name, "bench", 0, wpasses - 2);
			snprintf(path, sizeof path, "%s/%s.seg", dir, name);
			unlink(path);
		}
	}
	double wbytes = (double)pool_bytes * (double)wpasses;
	printf("\nsegment write (c), %llu segments of %.1f MiB records -> %.1f MiB file, in %s:\n",
	       (unsigned long long)wpasses, (double)pool_bytes / 1048576.0, (double)file_bytes / 1048576.0, dir);
	printf("  %-34s %8.1f MB/s %7.2f M events/s  (CPU %.2f s, of which seal %.2f s)\n",
	       "unmo_segw append+seal (CPU time)", wbytes / tw / 1e6,
	       (double)pool_events * (double)wpasses / tw / 1e6, tw, tseal);
	printf("  %-34s %8.1f MB/s  (wall %.2f s, includes waiting for fsync and other jobs)\n",
	       "unmo_segw append+seal (wall time)", wbytes / twall / 1e6, twall);
	printf("  c/a = %.3f (CPU time)\n", (wbytes / tw) / a);

	/* (d): read back the last segment: verified reader vs LZ4_decompress_safe. */
	unmo_seg_name(name, sizeof name, "bench", 0, wpasses - 1);
	snprintf(path, sizeof path, "%s/%s.seg", dir, name);
	double tr = 0, tl = 0;
	uint64_t rpasses = 0, events_read = 0;
	static char dec[UNMO_CHUNK_CAP];
	while (rpasses < passes && tr < max_s) {
		double s = bench_cpu_s();
		struct unmo_segr *r = unmo_segr_open(path, err, sizeof err);
		struct unmo_seg_block b;
		int st;
		while (r && (st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
			if (st < 0) {
				fprintf(stderr, "bench_segment: %s\n", err);
				return 1;
			}
			size_t off = 0;
			struct unmo_event e;
			while (unmo_seg_block_next_record(&b, &off, &e))
				events_read++;
		}
		tr += bench_cpu_s() - s;
		unmo_segr_close(r);
		rpasses++;
	}
	/* The ceiling is measured on the pool compressed with LZ4_compress_default. */
	size_t zmax = (size_t)LZ4_compressBound(UNMO_CHUNK_CAP);
	uint8_t *zall = malloc(zmax * npool);
	int *zlen = malloc(sizeof(int) * npool);
	for (size_t i = 0; i < npool; i++)
		zlen[i] = LZ4_compress_default((const char *)pool[i].data, (char *)zall + i * zmax,
					       (int)pool[i].len, (int)zmax);
	tl = 0;
	for (uint64_t p = 0; p < rpasses; p++) {
		double s = bench_cpu_s();
		for (size_t i = 0; i < npool; i++)
			sink += (uint64_t)LZ4_decompress_safe((const char *)zall + i * zmax, dec, zlen[i],
							      (int)sizeof dec);
		tl += bench_cpu_s() - s;
	}
	double rbytes = (double)pool_bytes * (double)rpasses;
	printf("\nread back (d), %llu passes over the segment:\n", (unsigned long long)rpasses);
	printf("  %-34s %8.1f MB/s %7.2f M events/s\n", "LZ4_decompress_safe (ceiling)", rbytes / tl / 1e6,
	       (double)pool_events * (double)rpasses / tl / 1e6);
	printf("  %-34s %8.1f MB/s %7.2f M events/s  (%llu events)\n", "unmo_segr verify+walk records",
	       rbytes / tr / 1e6, (double)events_read / tr / 1e6, (unsigned long long)events_read);
	printf("  read/ceiling = %.3f\n", (rbytes / tr) / (rbytes / tl));
	unlink(path);
	rmdir(dir);
	free(zall);
	free(zlen);
	free(out);
	free(pool);
	return events_read == pool_events * rpasses ? 0 : 1;
}
