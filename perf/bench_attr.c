/* bench_attr.c — attribution throughput against its ceiling, in one run.
 *
 *   bench_attr [--events N] [--threads T] [--dir DIR] [--mem SIZE_MB] [--keep]
 *              [--reuse KEPT_DIR] [--partitions P] [--spill-io auto|direct|buffered|mixed]
 *              [--repeat N] [--campaigns K]
 *
 * 1. Generates N synthetic events (default 20 M) into segment files in a
 *    temp dir (T threads; realistic journeys: audience devices with touches
 *    only, installers with touches, an install, sessions, conversions with
 *    revenue, some retargeting re-engagements and reinstalls, some devices
 *    without advertising id matched probabilistically).
 * 2. Ceiling: reads the same segments back with T threads (decompress,
 *    verify, decode every record: the reader's decode mode, as unmo_attr) — what any job over these files pays.
 * 3. Full attribution with T threads (unmo_attr: both passes + outputs).
 * Prints times, events/s, events/s per core, peak RSS and the ratio
 * attribution / read-only. With --repeat N, steps 2 and 3 run N times,
 * alternating, and a last line gives the medians (and least and most) of
 * the rounds' times and ratios. --campaigns K (default 12) names K campaigns
 * per media source: a large K (a network putting click or creative ids in
 * the campaign) makes about as many report rows as touches, the case the
 * aggregates and their outputs must also handle. Figures only; no pass/fail.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "segment.h"
#include "bench_clock.h"
#include "bench_read.h"
#include "bench_rounds.h"

#define DAY UNMO_US_PER_DAY
#define HOUR (3600ll * 1000000)
#define T0 (1767225600ll * 1000000) /* 2026-01-01 */

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const apps[3] = {"com.techstart.mobile", "com.ecomgrowth.shop", "com.financetrack.pro"};
static const char *const sources[8] = {"googleadwords_int", "facebook_int", "unityads_int", "applovin_int",
				       "tiktok_int", "ironsource_int", "snapchat_int", "vungle_int"};
static uint64_t ncampaigns = 12; /* --campaigns */
static const char *const currencies[3] = {"USD", "EUR", "JPY"};
static const char *const uas[2] = {
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36",
};

struct gen_arg {
	const char *dir;
	unsigned tid;
	uint64_t events; /* to produce */
	uint64_t bytes;
	int error;
};

struct writer {
	struct unmo_segw *w;
	struct unmo_chunk *c;
	const char *dir;
	unsigned tid, seq;
	uint32_t blocks;
	int error;
};

static void wr_flush(struct writer *wr)
{
	char err[512];
	if (!wr->c->count)
		return;
	if (!wr->w) {
		char name[128];
		unmo_seg_name(name, sizeof name, "bench", wr->tid, ++wr->seq);
		struct unmo_seg_info info = {.writer_id = wr->tid, .segment_seq = wr->seq, .created_us = T0};
		wr->w = unmo_segw_open(wr->dir, name, &info, err, sizeof err);
		if (!wr->w) {
			fprintf(stderr, "bench_attr: %s\n", err);
			wr->error = 1;
			return;
		}
	}
	if (unmo_segw_append(wr->w, wr->c, err, sizeof err)) {
		fprintf(stderr, "bench_attr: %s\n", err);
		wr->error = 1;
	}
	unmo_chunk_reset(wr->c);
	if (++wr->blocks == 1024) { /* ~64 MB of records per segment */
		if (unmo_segw_seal(wr->w, err, sizeof err)) {
			fprintf(stderr, "bench_attr: %s\n", err);
			wr->error = 1;
		}
		wr->w = NULL;
		wr->blocks = 0;
	}
}

static void wr_add(struct writer *wr, const struct unmo_event *e)
{
	if (!unmo_chunk_add(wr->c, e)) {
		wr_flush(wr);
		unmo_chunk_add(wr->c, e);
	}
}

static void wr_close(struct writer *wr)
{
	char err[512];
	wr_flush(wr);
	if (wr->w && unmo_segw_seal(wr->w, err, sizeof err)) {
		fprintf(stderr, "bench_attr: %s\n", err);
		wr->error = 1;
	}
}

/* One device's journey; returns events written. */
static unsigned journey(struct writer *wr, uint64_t *rng, uint64_t dev, uint64_t *idc, uint64_t left)
{
	struct unmo_event e;
	char adid[40], camp[48], cuid[24];
	uint64_t r = mix(rng);
	unsigned app = (unsigned)(r % 3);
	bool lat = (r >> 8) % 10 == 0;       /* no advertising id: probabilistic */
	bool installer = (r >> 16) % 100 < 30; /* else audience: touches only */
	snprintf(adid, sizeof adid, "%08llx-%04llx-4%03llx-8%03llx-%012llx", (unsigned long long)(dev & 0xffffffff),
		 (unsigned long long)((dev >> 32) & 0xffff), (unsigned long long)(r & 0xfff),
		 (unsigned long long)((r >> 12) & 0xfff), (unsigned long long)(mix(rng) & 0xffffffffffffull));
	snprintf(cuid, sizeof cuid, "u%llu", (unsigned long long)dev);
	int64_t t = T0 + (int64_t)(mix(rng) % (30 * (uint64_t)DAY));
	unsigned n = 0;
	unmo_event_clear(&e);
	e.platform = (uint8_t)(1 + (r >> 24) % 2);
	e.ip_version = 4;
	e.ip[0] = 100;
	memcpy(e.ip + 1, &dev, 3);
	memcpy(e.country, "US", 2);
	e.s[UNMO_S_APP_ID] = unmo_str_c(apps[app]);
	struct unmo_str ua = unmo_str_c(uas[e.platform - 1]);
	unsigned ntouch = 1 + (unsigned)(mix(rng) % 4);
	for (unsigned i = 0; i < ntouch && n < left; i++, n++) {
		uint64_t x = mix(rng);
		e.type = x % 100 < 45 ? UNMO_EV_IMPRESSION : UNMO_EV_CLICK;
		e.flags = x % 50 == 0 ? UNMO_EVF_RETARGETING : 0;
		e.event_time_us = t - (int64_t)((x >> 8) % (uint64_t)(3 * DAY));
		e.recv_time_us = e.event_time_us + 2000;
		uint64_t id = ++*idc;
		memcpy(e.event_id, &dev, 8);
		memcpy(e.event_id + 8, &id, 8);
		unsigned s = (unsigned)((x >> 20) % 8);
		snprintf(camp, sizeof camp, "%s_camp_%02u", sources[s], (unsigned)((x >> 28) % ncampaigns));
		e.s[UNMO_S_MEDIA_SOURCE] = unmo_str_c(sources[s]);
		e.s[UNMO_S_CAMPAIGN] = unmo_str_c(camp);
		e.s[UNMO_S_ADVERTISING_ID] = lat ? (struct unmo_str){0} : unmo_str_c(adid);
		e.s[UNMO_S_USER_AGENT] = ua;
		wr_add(wr, &e);
	}
	e.s[UNMO_S_MEDIA_SOURCE] = e.s[UNMO_S_CAMPAIGN] = (struct unmo_str){0};
	e.flags = 0;
	if (!installer || n >= left)
		return n;
	e.s[UNMO_S_ADVERTISING_ID] = lat ? (struct unmo_str){0} : unmo_str_c(adid);
	e.s[UNMO_S_VENDOR_ID] = unmo_str_c(adid + 9);
	e.s[UNMO_S_USER_AGENT] = ua;
	unsigned nafter = (unsigned)(mix(rng) % 8);
	for (unsigned i = 0; i <= nafter && n < left; i++, n++) {
		uint64_t x = mix(rng);
		uint64_t id = ++*idc;
		memcpy(e.event_id, &dev, 8);
		memcpy(e.event_id + 8, &id, 8);
		e.revenue_micros = 0;
		memset(e.currency, 0, 3);
		e.s[UNMO_S_EVENT_NAME] = (struct unmo_str){0};
		e.s[UNMO_S_CUSTOMER_USER_ID] = (struct unmo_str){0};
		if (i == 0) {
			e.type = UNMO_EV_INSTALL;
			e.event_time_us = t;
		} else {
			e.event_time_us = t + (int64_t)(x % (uint64_t)(20 * DAY));
			e.s[UNMO_S_CUSTOMER_USER_ID] = unmo_str_c(cuid);
			switch (x >> 40 & 7) {
			case 0: e.type = UNMO_EV_REINSTALL; break;
			case 1:
			case 2: e.type = UNMO_EV_SESSION; break;
			default:
				e.type = UNMO_EV_CONVERSION;
				e.s[UNMO_S_EVENT_NAME] = unmo_str_c("purchase");
				e.revenue_micros = (int64_t)((x >> 8) % 100000000);
				memcpy(e.currency, currencies[(x >> 50) % 3], 3);
			}
		}
		e.recv_time_us = e.event_time_us + 1500;
		wr_add(wr, &e);
	}
	return n;
}

static void *gen_main(void *p)
{
	struct gen_arg *g = p;
	struct writer wr = {.dir = g->dir, .tid = g->tid, .c = malloc(sizeof(struct unmo_chunk))};
	if (!wr.c) {
		g->error = 1;
		return NULL;
	}
	unmo_chunk_reset(wr.c);
	uint64_t rng = 0x1234567ull * (g->tid + 1), idc = 0, done = 0, dev = (uint64_t)g->tid << 40;
	while (done < g->events && !wr.error)
		done += journey(&wr, &rng, ++dev, &idc, g->events - done);
	wr_close(&wr);
	g->error = wr.error;
	free(wr.c);
	return NULL;
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		struct stat st;
		if (!lstat(p, &st) && S_ISDIR(st.st_mode))
			rm_rf(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* One round: the ceiling (read only), then the whole job; prints both and
 * gives their wall and CPU seconds. 0, or 1 when the job failed. */
static int bench_round(char **files, size_t nfiles, uint64_t events, unsigned threads, const char *dir,
		       const char *segdir, const char *outdir, uint64_t mem_mb, unsigned partitions,
		       enum unmo_attr_spill_io spill_io, double *tread_out, double *cread_out, double *tall_out,
		       double *call_out)
{
	/* 2. ceiling: read only */
	struct bench_ceiling ro = bench_ceiling_run(files, nfiles, threads);
	double tread = ro.wall, cread = ro.cpu;
	uint64_t nread = ro.events;
	printf("read-only (decompress + verify + decode): %.3f s wall, %.3f s CPU (kernel %.3f); %.2f M events/s, "
	       "%.2f M events/s per CPU-second%s\n",
	       tread, cread, ro.sys, nread / tread / 1e6, nread / cread / 1e6,
	       nread == events ? "" : "  [EVENT COUNT MISMATCH]");

	/* 3. full attribution */
	char err[1024];
	struct unmo_attr_opts o = {.threads = threads, .mem_bytes = mem_mb << 20, .tmpdir = dir,
				   .partitions = partitions, .spill_io = spill_io};
	double c0 = bench_process_cpu_s(), k0 = bench_process_sys_s(), t0 = bench_wall_s();
	struct unmo_attr *a = unmo_attr_new(&o, err, sizeof err);
	const char *paths[1] = {segdir};
	if (!a || unmo_attr_add_paths(a, paths, 1, err, sizeof err)) {
		fprintf(stderr, "bench_attr: %s\n", err);
		return 1;
	}
	double t1 = bench_wall_s(), c1 = bench_process_cpu_s();
	if (unmo_attr_finish(a, err, sizeof err)) {
		fprintf(stderr, "bench_attr: %s\n", err);
		return 1;
	}
	double t2 = bench_wall_s(), c2 = bench_process_cpu_s();
	if (unmo_attr_write_outputs(a, outdir, err, sizeof err))
		fprintf(stderr, "bench_attr: %s\n", err);
	/* the release (temp files closed, memory unmapped) is part of the job:
	 * a CLI run waits for it before it exits */
	const struct unmo_attr_stats stats = *unmo_attr_stats(a), *s = &stats;
	unmo_attr_free(a);
	double t3 = bench_wall_s(), tall = t3 - t0, c3 = bench_process_cpu_s(), call = c3 - c0;
	printf("attribution: %.3f s wall (pass 1 %.3f, pass 2 %.3f, outputs and release %.3f), %.3f s CPU (%.3f, %.3f, %.3f; "
	       "kernel %.3f); %u partitions\n",
	       tall, t1 - t0, t2 - t1, t3 - t2, call, c1 - c0, c2 - c1, c3 - c2, bench_process_sys_s() - k0, s->partitions);
	printf("  %llu events -> %llu installs, %llu reattributions, %llu reinstalls, %llu conversions, "
	       "%llu duplicates\n",
	       (unsigned long long)s->events_read, (unsigned long long)s->installs,
	       (unsigned long long)s->reattributions, (unsigned long long)s->reinstalls,
	       (unsigned long long)s->conversions, (unsigned long long)s->duplicates);
	printf("  %.2f M events/s wall (%.2f per thread), %.2f M events/s per CPU-second (target >= 5 per core)\n",
	       s->events_read / tall / 1e6, s->events_read / tall / 1e6 / threads, s->events_read / call / 1e6);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("  peak RSS %.1f MB (--mem %llu MB), largest partition in memory %.1f MB, spilled to disk %.1f MB (%s; "
	       "%.1f MB of it through the page cache), "
	       "and %llu result rows, %llu click-to-install times, %llu partial report rows\n",
	       ru.ru_maxrss / 1024.0, (unsigned long long)mem_mb, s->peak_partition_bytes / 1e6,
	       s->spilled_bytes / 1e6, unmo_attr_spill_io_names[s->spill_io], s->spilled_cached_bytes / 1e6,
	       (unsigned long long)s->rows_spilled, (unsigned long long)s->ctit_spilled,
	       (unsigned long long)s->report_rows_spilled);
	printf("ratio attribution / read-only: %.2f wall, %.2f CPU (target <= 2)\n", tall / tread, call / cread);
	*tread_out = tread;
	*cread_out = cread;
	*tall_out = tall;
	*call_out = call;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t events = 20000000, mem_mb = 1024;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = ncpu > 0 ? (unsigned)ncpu : 1;
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	bool keep = false;
	const char *reuse = NULL; /* a directory kept by an earlier --keep run */
	unsigned partitions = 0, repeat = 1;
	enum unmo_attr_spill_io spill_io = UNMO_SPILL_AUTO;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc)
			events = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			base = argv[++i];
		else if (!strcmp(argv[i], "--mem") && i + 1 < argc)
			mem_mb = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--keep"))
			keep = true;
		else if (!strcmp(argv[i], "--reuse") && i + 1 < argc)
			reuse = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--campaigns") && i + 1 < argc)
			ncampaigns = strtoull(argv[++i], NULL, 10) ? strtoull(argv[i], NULL, 10) : 1;
		else if (!strcmp(argv[i], "--partitions") && i + 1 < argc)
			partitions = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--spill-io") && i + 1 < argc && !strcmp(argv[i + 1], "direct"))
			spill_io = UNMO_SPILL_DIRECT, i++;
		else if (!strcmp(argv[i], "--spill-io") && i + 1 < argc && !strcmp(argv[i + 1], "buffered"))
			spill_io = UNMO_SPILL_BUFFERED, i++;
		else if (!strcmp(argv[i], "--spill-io") && i + 1 < argc && !strcmp(argv[i + 1], "mixed"))
			spill_io = UNMO_SPILL_MIXED, i++;
		else if (!strcmp(argv[i], "--spill-io") && i + 1 < argc && !strcmp(argv[i + 1], "auto"))
			spill_io = UNMO_SPILL_AUTO, i++;
		else {
			fprintf(stderr, "usage: bench_attr [--events N] [--threads T] [--dir DIR] [--mem MB] [--keep]\n"
					"                  [--reuse KEPT_DIR] [--partitions P] [--spill-io auto|direct|buffered|mixed]\n"
					"                  [--repeat N] [--campaigns K]\n");
			return 1;
		}
	}
	if (!threads || !events || !repeat || repeat > BENCH_MAX_ROUNDS) {
		fprintf(stderr, "bench_attr: --events and --threads must be > 0, --repeat 1..%d\n", BENCH_MAX_ROUNDS);
		return 1;
	}
	char dir[4096], segdir[4200], outdir[4200];
	snprintf(dir, sizeof dir, "%s/bench_attr.XXXXXX", base);
	if (reuse) {
		snprintf(dir, sizeof dir, "%s", reuse);
		keep = true;
	} else if (!mkdtemp(dir)) {
		fprintf(stderr, "bench_attr: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(segdir, sizeof segdir, "%s/seg", dir);
	snprintf(outdir, sizeof outdir, "%s/out", dir);
	mkdir(segdir, 0700);
	mkdir(outdir, 0700);

	/* 1. generate */
	double t0 = bench_wall_s();
	if (reuse)
		goto generated;
	pthread_t th[256];
	struct gen_arg ga[256];
	if (threads > 256)
		threads = 256;
	for (unsigned i = 0; i < threads; i++) {
		ga[i] = (struct gen_arg){.dir = segdir, .tid = i,
					 .events = events / threads + (i < events % threads)};
		pthread_create(&th[i], NULL, gen_main, &ga[i]);
	}
	int gen_err = 0;
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		gen_err |= ga[i].error;
	}
	if (gen_err) {
		rm_rf(dir);
		return 1;
	}
generated:;
	double tgen = bench_wall_s() - t0;
	char **files = NULL;
	size_t nfiles = 0;
	bench_list_segments(segdir, &files, &nfiles);
	uint64_t bytes = 0;
	for (size_t i = 0; i < nfiles; i++) {
		struct stat st;
		if (!stat(files[i], &st))
			bytes += (uint64_t)st.st_size;
	}
	printf("bench_attr: %llu events in %zu segments (%.1f MB compressed), generated in %.2f s; %u threads\n",
	       (unsigned long long)events, nfiles, bytes / 1e6, tgen, threads);

	/* 2. and 3., --repeat times, alternating: the VM moves single runs by
	 * 10-20%; the medians of the rounds, and of their ratios, are the
	 * figures to trust */
	double rw[BENCH_MAX_ROUNDS], rc[BENCH_MAX_ROUNDS], aw[BENCH_MAX_ROUNDS], ac[BENCH_MAX_ROUNDS],
		qw[BENCH_MAX_ROUNDS], qc[BENCH_MAX_ROUNDS];
	int failed = 0;
	unsigned done = 0;
	for (; done < repeat && !failed; done++) {
		if (repeat > 1)
			printf("round %u/%u\n", done + 1, repeat);
		failed = bench_round(files, nfiles, events, threads, dir, segdir, outdir, mem_mb, partitions,
				     spill_io, &rw[done], &rc[done], &aw[done], &ac[done]);
		qw[done] = aw[done] / rw[done];
		qc[done] = ac[done] / rc[done];
	}
	if (!failed && repeat > 1) {
		double m[6], lo[6], hi[6];
		const double *v[6] = {rw, rc, aw, ac, qw, qc};
		for (int i = 0; i < 6; i++)
			bench_spread(v[i], repeat, &m[i], &lo[i], &hi[i]);
		printf("median of %u rounds (least-most): read-only %.3f s wall, %.3f s CPU; attribution %.3f s wall "
		       "(%.3f-%.3f), %.3f s CPU (%.3f-%.3f), %.2f M events/s per CPU-second; ratio %.2f wall "
		       "(%.2f-%.2f), %.2f CPU (%.2f-%.2f)\n",
		       repeat, m[0], m[1], m[2], lo[2], hi[2], m[3], lo[3], hi[3], events / m[3] / 1e6, m[4], lo[4],
		       hi[4], m[5], lo[5], hi[5]);
	}
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	if (!keep)
		rm_rf(dir);
	else
		printf("kept %s\n", dir);
	return failed;
}
