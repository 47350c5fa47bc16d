/* attr.c — run orchestration of the attribution engine.
 *
 * Pass 1 (add_paths/add_event): every event is routed (attr_route.c) to a
 * partition temp file: events with a device id (or installs and in-app
 * events without one) by hash(app, device key) into "dev" partitions;
 * touches without any device id by hash(app, IP, UA family) into "prob"
 * partitions, where each install with an IP and UA also leaves a query.
 * Pass 2 (finish), threads over partitions: A) prob partitions answer each
 * query with its best probabilistic click, written to the install's dev
 * partition; B) dev partitions run the rules per device. Every decision
 * depends on event content only, so partitioning, threads and input order
 * cannot change it.
 */
#include "attr_impl.h"
#include "segment.h"

#include <liburing.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

const char *const unmo_attr_match_names[4] = {"organic", "click", "prob_click", "impression"};
const char *const unmo_attr_outcome_names[3] = {"new_install", "reattribution", "reinstall"};
const char *const unmo_attr_key_kind_names[6] = {"none", "advertising_id", "vendor_id",
						 "customer_user_id", "event_id", "content"};

static void default_corrupt(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "unmo-attr: %s\n", msg);
}

/* The engine's own tables and config, and the engine (unmo_attr_new's
 * failures and unmo_attr_free). */
static void free_shell(struct unmo_attr *a)
{
	unmo_attr_config_free(a->own_config);
	apps_free(&a->apps);
	apps_free(&a->scs);
	free(a);
}

/* What no share of --mem counts, per thread: its malloc arena, tables and
 * staging slots, about 3.5 MB measured (docs/attribution.md section 15).
 * So that --mem bounds a run whatever --threads says, a thread needs
 * THREAD_MEM of it; two threads always run (their cost is within the
 * fixed few tens of MB any run takes). */
#define THREAD_MEM ((uint64_t)16 << 20)
static unsigned threads_within(uint64_t mem, unsigned want)
{
	uint64_t most = mem / THREAD_MEM < 2 ? 2 : mem / THREAD_MEM;
	return want > most ? (unsigned)most : want;
}

/* Per partition, each pass-1 spool (two a thread) and each pass-2 answer
 * spool (one a worker) keeps a staging slot and its chain's ends, touched
 * as soon as one record goes there, whatever the input size: SPOOL_STAGE
 * + 18 bytes. They stay within an eighth of --mem (1 MB at least), so a
 * large --partitions is lowered to what that holds. */
static unsigned partitions_within(uint64_t mem, unsigned threads, unsigned want)
{
	uint64_t room = mem / 8 > ((uint64_t)1 << 20) ? mem / 8 : (uint64_t)1 << 20;
	uint64_t most = room / ((uint64_t)(SPOOL_STAGE + 18) * 3 * threads);
	if (most < 1)
		most = 1;
	return want > most ? (unsigned)most : want;
}

struct unmo_attr *unmo_attr_new(const struct unmo_attr_opts *o, char *err, size_t errlen)
{
	struct unmo_attr *a = calloc(1, sizeof *a);
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->o = *o;
	if (apps_init(&a->apps) || apps_init(&a->scs)) {
		free_shell(a);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!a->o.on_corrupt)
		a->o.on_corrupt = default_corrupt;
	if (!a->o.mem_bytes)
		a->o.mem_bytes = 1ull << 30;
	/* a budget is a bound, not a demand: more than the machine has would
	 * only make the pools' address-space reservations fail */
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t phys = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
	if (phys && a->o.mem_bytes > phys)
		a->o.mem_bytes = phys;
	a->st.mem_budget = a->o.mem_bytes;
	a->cfg = o->config;
	if (!a->cfg) {
		a->own_config = unmo_attr_config_new();
		a->cfg = a->own_config;
		if (!a->cfg) {
			free_shell(a);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	a->threads = o->threads ? o->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
	if (a->threads > 256)
		a->threads = 256;
	a->threads = threads_within(a->o.mem_bytes, a->threads);
	a->st.threads = a->threads;
	a->from = INT64_MIN;
	a->to = INT64_MAX;
	if (o->from_set || o->from_us)
		a->from = o->from_us;
	if (o->to_set || o->to_us)
		a->to = o->to_us;
	const char *tmp = o->tmpdir ? o->tmpdir : getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(a->dir, sizeof a->dir, "%s/unmo-attr-XXXXXX", tmp) >= sizeof a->dir ||
	    !mkdtemp(a->dir)) {
		snprintf(err, errlen, "%s: cannot create temp dir: %s", tmp, strerror(errno));
		free_shell(a);
		return NULL;
	}
	return a;
}

const char *const unmo_attr_spill_io_names[UNMO_SPILL_IO_COUNT] = {"auto", "direct", "buffered", "mixed"};

/* Bytes the kernel reports available (MemAvailable), 0 when unknown. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb * 1024;
}

/* The auto rule of enum unmo_attr_spill_io. Partition records take about
 * 1.7 times the compressed input on the brief's traffic (perf/RESULTS.md);
 * twice is the guess. */
static enum unmo_attr_spill_io spill_mode(const struct unmo_attr_opts *o, uint64_t input_bytes)
{
	if (o->spill_io != UNMO_SPILL_AUTO)
		return o->spill_io;
	uint64_t spill = 2 * input_bytes > o->mem_bytes / 2 ? 2 * input_bytes - o->mem_bytes / 2 : 0;
	return input_bytes && spill <= mem_available() / 2 ? UNMO_SPILL_MIXED : UNMO_SPILL_DIRECT;
}

/* Pass 1's share of --mem per thread (its two spools' chunks): buffered,
 * half of the memory, spilled when full; direct and mixed, three
 * quarters, spilled in the background from half on (so about as many
 * pages are touched). */
static uint64_t pass1_budget(uint64_t mem, unsigned threads, enum unmo_attr_spill_io io)
{
	bool buffered = io == UNMO_SPILL_BUFFERED;
	return mem / (buffered ? 2 : 4) * (buffered ? 1 : 3) / threads;
}

/* The record bytes a pass-2 worker may load at once: its half of --mem
 * over the threads holds P2_DEPTH loaded partitions, and a loaded
 * partition takes about 1.5 times its record bytes (records and index). */
static uint64_t load_allowance_of(uint64_t mem, unsigned threads)
{
	uint64_t b = mem / threads / 2 / P2_DEPTH * 2 / 3;
	return b ? b : 1;
}

/* The most parts a split of a partition too large to load makes
 * (work_split): its temp spool buffers one and a half allowances, in
 * chunks of at least 4 KB, four per part. */
static uint64_t split_most(uint64_t allow)
{
	uint64_t k = allow * 3 / 2 / 16384;
	return k < 2 ? 2 : k > 4096 ? 4096 : k;
}

/* A spill's piece of a partition is at least this large (init_partitions). */
#define MIN_PIECE ((uint64_t)16 << 10)

/* Partitions are sized so that the partitions a pass-2 worker holds
 * (P2_DEPTH loaded, each about 2.5x the compressed input bytes it came
 * from: records and their index) fit in the share of memory of one
 * thread, and are otherwise large: about 8 MB of compressed input each.
 * Fewer partitions keep pass 1's staging slots (SPOOL_STAGE bytes per
 * partition and spool) in the CPU caches and make the spill's pieces
 * larger; on the benchmark 121 partitions took 1.2x less CPU than 961
 * (perf/RESULTS.md). And never so many that a spill's piece of each
 * (half of pass 1's share, over the partitions) falls under MIN_PIECE:
 * past that, partitions are larger than a worker may load, and pass 2
 * works on them in parts (work_split), which costs one more write and
 * read of them, not thousands of tiny reads. */
static unsigned default_partitions(uint64_t mem, unsigned threads, enum unmo_attr_spill_io io, uint64_t input_bytes)
{
	uint64_t per_thread = mem / threads / 2;
	uint64_t need = per_thread ? (input_bytes * 10 + per_thread - 1) / per_thread : 1;
	uint64_t size = input_bytes >> 23, most = pass1_budget(mem, threads, io) / (2 * MIN_PIECE);
	if (need < size)
		need = size;
	if (need > most)
		need = most;
	unsigned p = need > 4096 ? 4096 : (unsigned)need;
	return p < threads * 2 ? threads * 2 : p;
}

/* Whether a run with this budget holds an input of this many record bytes
 * (about twice its compressed size) within it: its partitions, each split
 * twice into parts of the load allowance, hold them, and a quarter of it
 * holds pass 1's piece offsets (16 bytes per partition and spill, kept
 * until pass 2 ends). docs/attribution.md section 15. */
static bool mem_holds(uint64_t mem, unsigned threads, enum unmo_attr_spill_io io, double records)
{
	uint64_t allow = load_allowance_of(mem, threads), k = split_most(allow);
	unsigned p = default_partitions(mem, threads, io, (uint64_t)(records / 2));
	double half = (double)pass1_budget(mem, threads, io) / 2; /* a spill */
	double offsets = half > 0 ? 16.0 * p * records / half : INFINITY;
	return (double)p * (double)k * (double)k * (double)allow >= records && offsets <= (double)mem / 4;
}

/* pool_init for this run: with --spill-io auto, a mixed pool goes through
 * the page cache only once pass 1 had to wait for a spill's write (struct
 * chunk_pool). */
static int run_pool_init(const struct unmo_attr *a, struct chunk_pool *p, size_t budget, unsigned nparts,
			 unsigned sharers, enum unmo_attr_spill_io io)
{
	if (pool_init(p, budget, nparts, sharers, io))
		return -1;
	p->mixed_when_behind = a->o.spill_io == UNMO_SPILL_AUTO;
	return 0;
}

static int init_partitions(struct unmo_attr *a, uint64_t input_bytes, char *err, size_t errlen)
{
	if (a->dev_spools)
		return 0;
	enum unmo_attr_spill_io io = spill_mode(&a->o, input_bytes);
	unsigned p = a->o.partitions ? a->o.partitions : default_partitions(a->o.mem_bytes, a->threads, io, input_bytes);
	p = partitions_within(a->o.mem_bytes, a->threads, p);
	a->nparts = p;
	a->nspools = a->threads;
	a->st.spill_io = io;
	size_t budget = (size_t)pass1_budget(a->o.mem_bytes, a->nspools, io);
	a->dev_spools = calloc(a->nspools, sizeof *a->dev_spools);
	a->prob_spools = calloc(a->nspools, sizeof *a->prob_spools);
	a->pools = calloc(a->nspools, sizeof *a->pools);
	if (!a->dev_spools || !a->prob_spools || !a->pools)
		goto oom;
	for (unsigned t = 0; t < a->nspools; t++)
		if (run_pool_init(a, &a->pools[t], budget, p, 2, a->st.spill_io) ||
		    spool_init(&a->dev_spools[t], a->dir, "dev", t, p, &a->pools[t], &a->prob_spools[t]) ||
		    spool_init(&a->prob_spools[t], a->dir, "prob", t, p, &a->pools[t], &a->dev_spools[t]))
			goto oom;
	a->st.partitions = p;
	a->st.threads = a->threads;
	/* the least budget that would hold the input */
	uint64_t advised = a->o.mem_bytes;
	while (!mem_holds(advised, a->threads, io, 2.0 * (double)input_bytes) && advised < ((uint64_t)1 << 50))
		advised += advised / 8 + 1;
	a->st.mem_advised = !a->o.partitions && advised > a->o.mem_bytes ? advised : 0;
	return 0;
oom:
	snprintf(err, errlen, "out of memory for %u partitions", p);
	return -1;
}

static void add_stats(struct unmo_attr_stats *d, const struct unmo_attr_stats *s)
{
	d->files += s->files;
	d->files_failed += s->files_failed;
	d->blocks += s->blocks;
	d->blocks_corrupt += s->blocks_corrupt;
	d->events_read += s->events_read;
	d->events_unreadable += s->events_unreadable;
	d->file_problems += s->file_problems;
	d->bytes_unreadable += s->bytes_unreadable;
	d->blocks_uncounted += s->blocks_uncounted;
	d->events_filtered += s->events_filtered;
	d->events_bad_time += s->events_bad_time;
	d->device_ids_zeroed += s->device_ids_zeroed;
	d->duplicates += s->duplicates;
	d->installs += s->installs;
	d->reattributions += s->reattributions;
	d->reinstalls += s->reinstalls;
	d->reengagements += s->reengagements;
	d->conversions += s->conversions;
	d->conversions_unattributed += s->conversions_unattributed;
	d->partitions_split += s->partitions_split;
	d->report_rows_spilled += s->report_rows_spilled;
	d->spilled_bytes += s->spilled_bytes; /* pass 2's: parts of partitions too large to load */
	d->spilled_cached_bytes += s->spilled_cached_bytes;
	if (s->peak_partition_bytes > d->peak_partition_bytes)
		d->peak_partition_bytes = s->peak_partition_bytes;
}

int unmo_attr_add_event(struct unmo_attr *a, const struct unmo_event *e, char *err, size_t errlen)
{
	if (a->finished || init_partitions(a, 0, err, errlen))
		return -1;
	if (!a->nwritten)
		a->nwritten = 1;
	if (!a->evbuf && !(a->evbuf = malloc(PREC_MAX))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct p1 t = {.a = a, .tid = 0, .buf = a->evbuf};
	if (unmo_event_check(e)) {
		a->st.events_unreadable++;
		return 0;
	}
	a->st.events_read++;
	if (route(a, &t, e)) {
		snprintf(err, errlen, "temp file: %s", strerror(a->dev_spools[0].error ? a->dev_spools[0].error
							    : a->prob_spools[0].error));
		return -1;
	}
	a->st.events_filtered += t.st.events_filtered;
	a->st.events_bad_time += t.st.events_bad_time;
	return 0;
}

/* ---- pass 1 over segment files ---- */
struct filelist {
	char **v;
	size_t n, cap;
	uint64_t unsealed; /* *.seg.open files seen in directories, not read */
};

static int fl_add(struct filelist *l, const char *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **n = realloc(l->v, cap * sizeof *n);
		if (!n)
			return -1;
		l->v = n;
		l->cap = cap;
	}
	return (l->v[l->n++] = strdup(p)) ? 0 : -1;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int expand(struct filelist *l, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return fl_add(l, path);
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t first = l->n;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name), sl = strlen(UNMO_SEG_SUFFIX), ol = strlen(UNMO_SEG_OPEN_SUFFIX);
		l->unsealed += n > ol && !strcmp(de->d_name + n - ol, UNMO_SEG_OPEN_SUFFIX);
		if (n <= sl || strcmp(de->d_name + n - sl, UNMO_SEG_SUFFIX))
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", path, de->d_name);
		if (fl_add(l, p)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	qsort(l->v + first, l->n - first, sizeof *l->v, str_ptr_cmp);
	return 0;
}

struct p1_shared {
	struct unmo_attr *a;
	struct filelist *files;
	const uint64_t *sizes; /* of files->v[i] (0: unknown) */
	uint64_t total;        /* their sum */
	atomic_uint_fast64_t bytes_done; /* of the files read */
	unsigned nthreads;     /* reading them */
	atomic_size_t next;
	atomic_uint_fast64_t events, files_done;
};

struct p1_arg {
	struct p1_shared *sh;
	struct p1 t;
	uint64_t bytes_done; /* of the files this thread read */
};

/* Records of the block the reader just reported corrupt: known from the
 * index of a sealed file; 0 when the file is read by scanning (the report
 * then counts the corrupt block itself). */
static uint64_t lost_events(const struct unmo_segr *r)
{
	if (!unmo_segr_sealed(r))
		return 0;
	uint64_t off = unmo_segr_error_offset(r);
	struct unmo_seg_block_meta m;
	for (uint32_t i = 0; i < unmo_segr_nblocks(r); i++)
		if (unmo_segr_index_entry(r, i, &m) && m.offset == off)
			return m.count;
	return 0;
}

static void read_file(struct p1_arg *arg, const char *path)
{
	struct unmo_attr *a = arg->sh->a;
	struct p1 *t = &arg->t;
	char err[1024];
	struct unmo_segr *r = unmo_segr_open_buf(path, &t->segbuf, err, sizeof err);
	t->st.files++;
	if (!r) {
		t->st.files_failed++;
		a->o.on_corrupt(a->o.ctx, err);
		return;
	}
	/* the reader's check decodes each record once, into t->events */
	unmo_segr_decode_into(r, t->events, UNMO_SEG_MAX_BLOCK_RECORDS);
	struct unmo_seg_block b;
	bool damaged = false;
	for (;;) {
		memset(&b, 0, sizeof b);
		int rc = unmo_segr_next(r, &b, err, sizeof err);
		if (rc == 0)
			break;
		if (rc < 0) {
			uint64_t bytes = unmo_segr_error_bytes(r);
			if (!bytes) { /* a notice about the file: it skips nothing itself */
				t->st.file_problems += !damaged;
				damaged = true;
			} else {
				t->st.blocks++;
				t->st.blocks_corrupt++;
				t->st.bytes_unreadable += bytes;
				if (unmo_segr_sealed(r))
					t->st.events_unreadable += lost_events(r);
				else /* scanning: no index to count its events */
					t->st.blocks_uncounted++;
			}
			a->o.on_corrupt(a->o.ctx, err);
			continue;
		}
		t->st.blocks++;
		for (uint32_t k = 0; k < b.meta.count; k++) {
			t->st.events_read++;
			if (route(a, t, &b.events[k])) {
				t->error = 1;
				unmo_segr_close(r);
				return;
			}
		}
		atomic_fetch_add(&arg->sh->events, b.meta.count);
	}
	unmo_segr_close(r);
}

static void *p1_main(void *p)
{
	struct p1_arg *arg = p;
	struct p1_shared *sh = arg->sh;
	for (;;) {
		size_t i = atomic_fetch_add(&sh->next, 1);
		if (i >= sh->files->n || arg->t.error)
			break;
		read_file(arg, sh->files->v[i]);
		atomic_fetch_add(&sh->files_done, 1);
		/* this thread's records per input byte so far, times its share of
		 * the input nobody has read yet, plus a margin */
		uint64_t all = atomic_fetch_add(&sh->bytes_done, sh->sizes[i]) + sh->sizes[i];
		arg->bytes_done += sh->sizes[i];
		struct chunk_pool *pool = &sh->a->pools[arg->t.tid];
		if (arg->bytes_done && sh->total >= all) {
			double rate = (double)pool->produced / (double)arg->bytes_done;
			double left = (double)(sh->total - all) / sh->nthreads;
			/* + a part-filled chunk per partition */
			pool_expect(pool, (uint64_t)(rate * left * 1.1) + pool->csz * sh->a->nparts);
		}
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int unmo_attr_add_paths(struct unmo_attr *a, const char *const *paths, size_t n, char *err, size_t errlen)
{
	if (a->finished) {
		snprintf(err, errlen, "engine already finished");
		return -1;
	}
	struct filelist fl = {0};
	uint64_t *sizes = NULL;
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		if (expand(&fl, paths[i], err, errlen))
			goto out;
	a->st.files_unsealed += fl.unsealed;
	uint64_t bytes = 0;
	sizes = calloc(fl.n ? fl.n : 1, sizeof *sizes);
	if (!sizes) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < fl.n; i++) {
		struct stat st;
		if (!stat(fl.v[i], &st))
			bytes += sizes[i] = (uint64_t)st.st_size;
	}
	if (init_partitions(a, bytes, err, errlen))
		goto out;
	unsigned nt = a->threads;
	if (nt > fl.n)
		nt = fl.n ? (unsigned)fl.n : 1;
	struct p1_shared sh = {.a = a, .files = &fl, .sizes = sizes, .total = bytes, .nthreads = nt};
	struct p1_arg *args = calloc(nt, sizeof *args);
	pthread_t *th = calloc(nt, sizeof *th);
	if (!args || !th) {
		free(args);
		free(th);
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	unsigned started = 0;
	for (unsigned i = 0; i < nt; i++) {
		args[i].sh = &sh;
		args[i].t.a = a;
		args[i].t.tid = i;
		/* a sixteenth of --mem holds the files being read whole; larger
		 * files are mapped a window at a time (unmo_segr_open_buf) */
		args[i].t.segbuf.max = (size_t)(a->o.mem_bytes / 16 / nt);
		args[i].t.buf = malloc(PREC_MAX);
		args[i].t.ua = calloc(UA_SLOTS, sizeof *args[i].t.ua);
		args[i].t.apc = calloc(APP_SLOTS, sizeof *args[i].t.apc);
		args[i].t.scc = calloc(SC_SLOTS, sizeof *args[i].t.scc);
		args[i].t.sckey = malloc(2 + 2 * UNMO_STR_MAX);
		args[i].t.events = malloc(UNMO_SEG_MAX_BLOCK_RECORDS * sizeof *args[i].t.events);
		if (!args[i].t.events || !args[i].t.buf || !args[i].t.ua || !args[i].t.apc || !args[i].t.scc || !args[i].t.sckey || pthread_create(&th[i], NULL, p1_main, &args[i]))
			break;
		started++;
	}
	double t0 = now_s(), last = 0;
	while (a->o.progress && atomic_load(&sh.files_done) < fl.n && started == nt) {
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
		double el = now_s() - t0;
		if (el - last >= 0.5) {
			last = el;
			fprintf(stderr, "\rpass 1: %llu/%zu files, %llu events, %.1f s   ",
				(unsigned long long)atomic_load(&sh.files_done), fl.n,
				(unsigned long long)atomic_load(&sh.events), el);
		}
	}
	bool failed = started != nt;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		add_stats(&a->st, &args[i].t.st);
		failed |= args[i].t.error != 0;
	}
	for (unsigned i = 0; i < a->nspools; i++) /* the spills in flight belong to this pass */
		failed |= pool_sync(&a->pools[i]) != 0;
	for (unsigned i = 0; i < nt; i++) {
		free(args[i].t.buf);
		free(args[i].t.ua);
		free(args[i].t.apc);
		free(args[i].t.scc);
		free(args[i].t.sckey);
		free(args[i].t.events);
		unmo_segr_buf_free(&args[i].t.segbuf);
	}
	free(args);
	free(th);
	if (a->o.progress)
		fprintf(stderr, "\rpass 1: %zu files, %llu events read%20s\n", fl.n,
			(unsigned long long)a->st.events_read, "");
	if (nt > a->nwritten)
		a->nwritten = nt;
	if (failed) {
		int e = 0;
		for (unsigned i = 0; i < a->nspools && !e; i++)
			e = a->dev_spools[i].error ? a->dev_spools[i].error : a->prob_spools[i].error;
		snprintf(err, errlen, "%s: temp files: %s", a->dir, strerror(e ? e : ENOMEM));
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < fl.n; i++)
		free(fl.v[i]);
	free(fl.v);
	free(sizes);
	return rc;
}

/* ---- pass 2 ---- */
struct p2_shared {
	struct unmo_attr *a;
	int phase; /* 0: prob, 1: dev */
	atomic_uint next, done;
	struct spool *answers; /* per worker */
};

struct p2_arg {
	struct p2_shared *sh;
	unsigned w;
};

#define RUN_PREFETCH 16

static int ans_cmp(const void *pa, const void *pb)
{
	const struct ev *a = pa, *b = pb;
	if (a->aux64 != b->aux64)
		return a->aux64 < b->aux64 ? -1 : 1;
	int c = memcmp(a->id, b->id, 16);
	if (c)
		return c;
	return a->t != b->t ? (a->t < b->t ? -1 : 1) : 0;
}

/* ids of a run's records nonzero and pairwise distinct (idset_add). */
static bool raw_ids_distinct(const struct hk *k, size_t n)
{
	if (n <= 12) { /* compared pairwise: clearing a set was 1 KB of stores per run */
		uint64_t f[12];
		for (size_t i = 0; i < n; i++) {
			f[i] = id_fold(k[i].r + PO_ID);
			if (!f[i])
				return false;
			for (size_t j = 0; j < i; j++)
				if (f[j] == f[i])
					return false;
		}
		return true;
	}
	struct idset set = {{0}};
	for (size_t i = 0; i < n; i++)
		if (!idset_add(&set, k[i].r + PO_ID))
			return false;
	return true;
}

/* Runs whose rules only count (most runs), done from the records' fixed
 * fields without decoding them; false (the run takes the full path) for
 * any other run:
 *  - device partitions: device touches and nothing else (devices with no
 *    install, open or conversion in the input), no click flood;
 *  - probabilistic partitions: touches and nothing else (no install to
 *    answer), or install queries and nothing else (no touch: no answer).
 * Touches are counted on their rows (attr_device_group's first loop,
 * attr_prob_group's touch branch), provided none is a duplicate (ids
 * distinct). */
static bool count_only_run(struct unmo_attr *a, struct tctx *tc, int phase, const struct hk *k, size_t n)
{
	if (n > 48)
		return false;
	uint8_t kind = phase ? PR_DEV : k[0].r[PO_KIND];
	if (!phase && kind == PR_QUERY) {
		for (size_t i = 1; i < n; i++)
			if (k[i].r[PO_KIND] != PR_QUERY)
				return false;
		return true;
	}
	if (!phase && kind != PR_PTOUCH)
		return false;
	uint32_t app = unmo_ld32(k[0].r + PO_APP), clicks = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = k[i].r;
		if (r[PO_KIND] != kind || (r[PO_TYPE] != UNMO_EV_CLICK && r[PO_TYPE] != UNMO_EV_IMPRESSION) || unmo_ld32(r + PO_APP) != app)
			return false;
		clicks += r[PO_TYPE] == UNMO_EV_CLICK;
	}
	if (app >= a->apps.n || (phase && clicks && clicks >= a->win[app]->flood_clicks) || !raw_ids_distinct(k, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = k[i].r;
		tc->st.device_ids_zeroed += (r[PO_FLAGS] & PF_ZEROED) >> PF_ZEROED_SHIFT;
		if (!in_range(a, (int64_t)unmo_ld64(r + PO_T)))
			continue;
		uint32_t sc = unmo_ld32(r + PO_SC);
		struct agg_acc *row = sc < a->scs.n ? tc_row(tc, app, sc) : NULL;
		if (!row) { /* the row's first touch in this thread: strings needed */
			struct ev e;
			if (!prec_decode_one(r, unmo_ld16(r), &e, &a->apps, &a->scs)) {
				tc->error = 1;
				return true;
			}
			row = tc_agg_ev(tc, &e);
		}
		if (r[PO_TYPE] == UNMO_EV_CLICK)
			row->c.clicks++;
		else
			row->c.impressions++;
	}
	return true;
}

/* Zeroed device ids (route) of a deduplicated group's events: device and
 * probabilistic-touch records, each event's once (a query repeats an
 * install's record, and a duplicate copy is not counted again). */
static void count_zeroed_ids(struct tctx *tc, struct ev *const *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!p[i]->dead && (p[i]->kind == PR_DEV || p[i]->kind == PR_PTOUCH))
			tc->st.device_ids_zeroed += (p[i]->flags & PF_ZEROED) >> PF_ZEROED_SHIFT;
}

/* The records k[0..n) of one run of equal group hash, decoded (strings
 * view the loaded records), into group order; then the rules per group. */
static int run_full(struct p2_shared *sh, struct tctx *tc, struct spool *ans, const struct hk *k, size_t n,
		    const struct ev *answers, size_t nanswers)
{
	struct unmo_attr *a = sh->a;
	if (tc->runcap < n) {
		struct ev *nv = realloc(tc->run, n * sizeof *nv);
		if (!nv)
			return -1;
		tc->run = nv;
		tc->runcap = n;
	}
	if (tc->ptrcap < n) {
		struct ev **np = realloc(tc->ptrs, n * sizeof *np);
		if (!np)
			return -1;
		tc->ptrs = np;
		tc->ptrcap = n;
	}
	struct ev **p = tc->ptrs;
	for (size_t i = 0; i < n; i++) {
		struct ev *e = &tc->run[i];
		if (!prec_decode_one(k[i].r, unmo_ld16(k[i].r), e, &a->apps, &a->scs))
			return -1;
		if ((e->kind == PR_DEV || e->kind == PR_PTOUCH) &&
		    (e->type == UNMO_EV_CLICK || e->type == UNMO_EV_IMPRESSION))
			e->row = tc_agg_ev(tc, e);
		p[i] = e;
	}
	bool collided = ev_sort_run(p, n);
	struct group_ctx g = {.a = a, .tc = tc, .answers = answers, .nanswers = nanswers};
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && (!collided || ev_same_group(p[j], p[i])))
			j++;
		uint64_t dups = ev_dedup_group(p + i, j - i);
		if (sh->phase == 0) /* a query's duplicate is an install's, counted in its device partition */
			for (size_t q = i; q < j && dups; q++)
				dups -= (p[q]->dead & 1) && p[q]->kind == PR_QUERY;
		tc->st.duplicates += dups;
		count_zeroed_ids(tc, p + i, j - i);
		g.w = a->win[p[i]->app];
		if (sh->phase == 0)
			attr_prob_group(&g, p + i, j - i, ans);
		else
			attr_device_group(&g, p + i, j - i);
		i = j;
	}
	return 0;
}

/* Runs of equal group hash in hash order; the records are read at random
 * in the loaded partition, so a few runs ahead are prefetched. */
static int run_groups(struct p2_shared *sh, struct tctx *tc, struct spool *ans, const struct hk *k, size_t n,
		      const struct ev *answers, size_t nanswers)
{
	size_t i = 0, pf = 0;
	while (i < n) {
		for (; pf < n && pf < i + RUN_PREFETCH; pf++) {
			__builtin_prefetch(k[pf].r);
			__builtin_prefetch(k[pf].r + 64);
		}
		size_t j = i + 1;
		while (j < n && k[j].h == k[i].h)
			j++;
		if (!count_only_run(sh->a, tc, sh->phase, k + i, j - i) &&
		    run_full(sh, tc, ans, k + i, j - i, answers, nanswers))
			return -1;
		i = j;
	}
	return 0;
}

/* Start reading partition part into the worker's views slot (its records
 * and, in phase 1, its answers). */
static int start_load(struct p2_shared *sh, struct tctx *tc, unsigned slot, unsigned part, struct io_uring *ring)
{
	struct unmo_attr *a = sh->a;
	int rc = part_load_start(sh->phase ? a->dev_spools : a->prob_spools, a->nwritten, part, &tc->load[slot],
				 ring);
	if (sh->phase == 1 && !rc) /* answers: small, in memory mostly */
		rc = part_load_start(sh->answers, a->ntcs, part, &tc->aload[slot], NULL);
	return rc;
}

static int finish_load(struct p2_shared *sh, struct tctx *tc, unsigned slot)
{
	int rc = part_load_finish(&tc->load[slot]);
	if (sh->phase == 1)
		rc |= part_load_finish(&tc->aload[slot]);
	return rc;
}

/* Phase 1: the answers loaded in aload, decoded into the worker's av
 * (reused: no page faults per partition), in lookup order. */
static int decode_answers(struct p2_shared *sh, struct tctx *tc, const struct part_view *aload)
{
	struct evvec *av = &tc->av;
	av->n = 0;
	if (sh->phase != 1)
		return 0;
	if (part_decode(aload, av, &sh->a->apps, &sh->a->scs))
		return -1;
	if (av->n)
		qsort(av->v, av->n, sizeof *av->v, ans_cmp);
	return 0;
}

/* Attribute the records of load (a partition, or a part of one), with the
 * answers in the worker's av. */
static int work_view(struct p2_shared *sh, unsigned w, const struct part_view *load, uint64_t answer_bytes)
{
	struct tctx *tc = &sh->a->tcs[w];
	size_t nk;
	const struct hk *k = part_index(load, &tc->sort, &nk);
	if (!k)
		return -1;
	uint64_t bytes = load->bytes + answer_bytes + 2 * nk * sizeof *k + tc->av.n * sizeof(struct ev);
	if (bytes > tc->st.peak_partition_bytes)
		tc->st.peak_partition_bytes = bytes;
	return run_groups(sh, tc, sh->phase == 0 ? &sh->answers[w] : NULL, k, nk, tc->av.v, tc->av.n);
}

/* Attribute the partition loaded in the worker's views slot. */
static int do_partition(struct p2_shared *sh, unsigned w, unsigned slot)
{
	struct tctx *tc = &sh->a->tcs[w];
	if (decode_answers(sh, tc, &tc->aload[slot]))
		return -1;
	return work_view(sh, w, &tc->load[slot], sh->phase == 1 ? tc->aload[slot].bytes : 0);
}

int ctit_pair_cmp(const void *pa, const void *pb)
{
	const struct ctit_pair *x = pa, *y = pb;
	if (x->rk != y->rk)
		return x->rk < y->rk ? -1 : 1;
	return (x->us > y->us) - (x->us < y->us);
}

/* Every click-to-install time the worker's aggregate rows hold, as pairs
 * sorted on (row, time), appended to its temp file as one run; the rows'
 * arrays are freed. 0 or -1 (errno set). */
static int spill_ctit(struct unmo_attr *a, struct tctx *tc, unsigned w)
{
	if (!tc->nctit_mem)
		return 0;
	struct ctit_pair *v = malloc(tc->nctit_mem * sizeof *v);
	if (!v) {
		errno = ENOMEM;
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < tc->rowcap; i++) {
		struct agg_acc *e = tc->rowmap[i].row;
		if (!tc->rowmap[i].key || !e->nctit)
			continue;
		for (uint32_t k = 0; k < e->nctit; k++)
			v[n++] = (struct ctit_pair){e->rk, e->ctit[k]};
		free(e->ctit);
		e->ctit = NULL;
		e->nctit = e->capctit = 0;
	}
	struct rowkey *k = sort_rows((const char *)v, n, sizeof *v, offsetof(struct ctit_pair, rk), ctit_pair_cmp);
	int err = ENOMEM;
	if (k) {
		char path[sizeof a->dir + 32];
		snprintf(path, sizeof path, "%s/ctit-w%03u.bin", a->dir, w);
		err = rowruns_put(&tc->ctitr, path, k, n, sizeof *v);
	}
	free(k);
	free(v);
	tc->nctit_mem = 0;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* A worker's rows past its share of --mem (checked between partitions, so
 * a partition's rows may go over it) are sorted and written to its temp
 * files as a run each, and the arrays are refilled; its click-to-install
 * times and (whole: after a whole partition, when no record holds a
 * pointer to a row any more) its aggregate rows likewise. 0 or -1 (errno
 * set). */
static int spill_results_if_over(struct unmo_attr *a, struct tctx *tc, unsigned w, bool whole)
{
	if (tc->nctit_mem * sizeof(int64_t) > a->ctit_share && spill_ctit(a, tc, w))
		return -1;
	if (whole && tc->aggbytes > a->agg_share && (spill_ctit(a, tc, w) || report_spill(a, tc, w)))
		return -1;
	if (tc->nins * sizeof *tc->ins + tc->nconv * sizeof *tc->conv <= a->row_share)
		return 0;
	struct {
		struct rowruns *f;
		const char *name;
		const char *rows;
		size_t *n, size, off_time;
		int (*cmp)(const void *, const void *);
	} kinds[2] = {
		{&tc->insr, "ins", (const char *)tc->ins, &tc->nins, sizeof *tc->ins,
		 offsetof(struct unmo_attr_install, time_us), ins_cmp},
		{&tc->convr, "conv", (const char *)tc->conv, &tc->nconv, sizeof *tc->conv,
		 offsetof(struct unmo_attr_conversion, time_us), conv_cmp},
	};
	for (int i = 0; i < 2; i++) {
		if (!*kinds[i].n)
			continue;
		struct rowkey *k = sort_rows(kinds[i].rows, *kinds[i].n, kinds[i].size, kinds[i].off_time, kinds[i].cmp);
		if (!k) {
			errno = ENOMEM;
			return -1;
		}
		char path[sizeof a->dir + 32];
		snprintf(path, sizeof path, "%s/rows-%s-w%03u.bin", a->dir, kinds[i].name, w);
		int err = rowruns_put(kinds[i].f, path, k, *kinds[i].n, kinds[i].size);
		free(k);
		if (err) {
			errno = err;
			return -1;
		}
		*kinds[i].n = 0;
	}
	return 0;
}

/* ---- partitions too large for a worker's memory ---- */

static uint64_t load_allowance(const struct unmo_attr *a)
{
	return load_allowance_of(a->o.mem_bytes, a->threads);
}

/* A partition's records routed to k sub-partitions by the next digits of
 * their group hash: the fraction (hash's low 32 bits) / 2^32 gives the
 * partition as its first digit in base nparts (part_of), the
 * sub-partition as the next one in base k, and so on. Records of a group
 * share the hash: groups stay whole. */
struct split {
	struct spool sub;
	unsigned k;
	uint32_t base[SPLIT_DEPTH]; /* the bases of the digits above: nparts, then each split's k */
	unsigned nbase;
};

static int split_put(void *ctx, const uint8_t *rec, size_t len)
{
	struct split *sp = ctx;
	uint64_t r = unmo_ld64(rec + PO_GHASH) & 0xffffffffu;
	for (unsigned i = 0; i < sp->nbase; i++)
		r = (r * sp->base[i]) & 0xffffffffu; /* drop the digits above */
	return spool_put(&sp->sub, (unsigned)((r * sp->k) >> 32), rec, len);
}

/* Attribute partition part of sp, too large to load within the worker's
 * memory: its records are streamed (never held) into k sub-partitions in
 * a temp file of the worker's, each then worked on like a partition, and
 * split once more while too large (SPLIT_DEPTH digits in all: the
 * partition's and two splits'; past that a part is loaded whatever its
 * size, as one device with a huge history must be). The answers of the
 * partition are in the worker's av. Costs one more write and read of the
 * partition per level. */
static int work_split(struct p2_shared *sh, unsigned w, struct io_uring *ring, struct spool *sp, unsigned nsp,
		      unsigned part, const uint32_t *base, unsigned nbase, uint64_t answer_bytes)
{
	struct unmo_attr *a = sh->a;
	struct tctx *tc = &a->tcs[w];
	uint64_t allow = load_allowance(a), bytes = part_size(sp, nsp, part);
	/* the sub-spool buffers as much as one loaded partition would take */
	size_t budget = (size_t)(allow * 3 / 2);
	uint64_t k = (bytes * 5 / 4 + allow - 1) / allow, kmax = split_most(allow);
	k = k < 2 ? 2 : k > kmax ? kmax : k;
	struct split *s = calloc(1, sizeof *s);
	struct chunk_pool *pool = &tc->splitpool[nbase - 1];
	char prefix[16];
	snprintf(prefix, sizeof prefix, "split%u", nbase);
	int rc = -1;
	bool spooled = false;
	if (!tc->splitbuf) { /* SPLIT_READ, or the allowance when that is less */
		size_t cap = allow < SPLIT_READ ? (size_t)allow & ~(size_t)(SPILL_ALIGN - 1) : SPLIT_READ;
		tc->splitcap = cap < 65536 ? 65536 : cap;
		tc->splitbuf = big_alloc(tc->splitcap);
	}
	if (!s || !tc->splitbuf)
		goto out;
	s->k = (unsigned)k;
	memcpy(s->base, base, nbase * sizeof *base);
	s->nbase = nbase;
	/* the level's pool, its pages reused from split to split. A part's
	 * temp file is written, read back and deleted within seconds: through
	 * the page cache its pages need never reach the disk (direct, pass 2
	 * waited on the disk for most of a small-budget run: --mem 16M on the
	 * benchmark took 15.9 s, 5.7 s buffered). So with --spill-io auto the
	 * pool is buffered while the partition fits in an eighth of the memory
	 * the kernel has available; a mode given is kept. */
	if (pool->region) {
		if (pool_reuse(pool, s->k, 1))
			goto out;
	} else {
		bool cache = a->o.spill_io == UNMO_SPILL_AUTO && bytes <= mem_available() / 8;
		if (run_pool_init(a, pool, budget, s->k, 1, cache ? UNMO_SPILL_BUFFERED : a->st.spill_io))
			goto out;
	}
	pool->keep_pages = true; /* its pages serve the next split */
	spooled = true;
	if (spool_init(&s->sub, a->dir, prefix, w, s->k, pool, NULL))
		goto out;
	pool_expect(pool, bytes); /* all of it in memory when it fits: no spill */
	if (part_stream(sp, nsp, part, tc->splitbuf, tc->splitcap, ring, split_put, s) || spool_sync(&s->sub))
		goto out;
	tc->st.spilled_bytes += s->sub.bytes;
	tc->st.spilled_cached_bytes += spool_cached_bytes(&s->sub);
	tc->st.partitions_split++;
	uint32_t next[SPLIT_DEPTH];
	memcpy(next, base, nbase * sizeof *base);
	next[nbase] = s->k;
	rc = 0;
	for (unsigned i = 0; i < s->k && !rc; i++) {
		if (nbase < SPLIT_DEPTH - 1 && part_size(&s->sub, 1, i) > allow) {
			rc = work_split(sh, w, ring, &s->sub, 1, i, next, nbase + 1, answer_bytes);
			continue;
		}
		if (part_load_start(&s->sub, 1, i, &tc->splitv, ring))
			rc = -1;
		rc |= part_load_finish(&tc->splitv); /* after every start */
		if (!rc)
			rc = work_view(sh, w, &tc->splitv, answer_bytes) || spill_results_if_over(a, tc, w, false) ? -1 : 0;
		part_release(&tc->splitv);
	}
out:
	if (spooled)
		spool_free(&s->sub); /* the pool stays, for the next split */
	free(s);
	return rc;
}

/* Partition part, too large to load (part_size over load_allowance), in
 * parts (work_split), with its answers (phase 1) loaded whole. */
static int work_big(struct p2_shared *sh, unsigned w, struct io_uring *ring, unsigned part)
{
	struct unmo_attr *a = sh->a;
	struct tctx *tc = &a->tcs[w];
	int rc = 0;
	tc->av.n = 0;
	if (sh->phase == 1)
		rc = part_load(sh->answers, a->ntcs, part, &tc->splitav) || decode_answers(sh, tc, &tc->splitav);
	uint32_t base[1] = {a->nparts};
	if (!rc)
		rc = work_split(sh, w, ring, sh->phase ? a->dev_spools : a->prob_spools, a->nwritten, part, base, 1,
				sh->phase == 1 ? tc->splitav.bytes : 0);
	part_release(&tc->splitav);
	return rc;
}

/* Pass-1 chunks given back by pass 2 are kept, and their memory released
 * as whole 2 MB pages (chunk_free), as long as the process's anonymous
 * resident memory stays an eighth of --mem below it: each pool may keep
 * what it keeps now and its share of the room left. Without the room (or
 * where the memory in use is unknown) the kept chunks are released and
 * the rest one by one, as small budgets need. Called by every worker
 * before each partition: a /proc read, not a per-event cost. */
static void retain_update(struct unmo_attr *a)
{
	uint64_t anon = mem_resident_anon(), mem = a->o.mem_bytes, margin = mem / 8;
	uint64_t room = anon && anon + margin < mem ? mem - margin - anon : 0;
	for (unsigned t = 0; t < a->nwritten; t++) {
		struct chunk_pool *p = &a->pools[t];
		if (!room)
			pool_flush(p);
		else
			pool_retain(p, (size_t)(atomic_load_explicit(&p->retained, memory_order_relaxed) +
						room / a->nwritten));
	}
}

/* One worker: while it works on a partition, the disk reads the next
 * P2_DEPTH - 1 ones it took (direct I/O on its own ring; without a ring,
 * reads happen in part_load_finish). Partitions are taken one at a time
 * from the shared counter, in order: slot k % P2_DEPTH holds the worker's
 * k-th. */
static void *p2_main(void *p)
{
	struct p2_arg *arg = p;
	struct p2_shared *sh = arg->sh;
	struct unmo_attr *a = sh->a;
	struct tctx *tc = &a->tcs[arg->w];
	struct io_uring ring;
	bool have_ring = io_uring_queue_init(4 * P2_DEPTH * 16, &ring, 0) == 0;
	struct io_uring *r = have_ring ? &ring : NULL;
	size_t taken = 0, worked = 0; /* partitions taken (and loads started), worked on */
	for (;;) {
		retain_update(a);
		while (taken < worked + P2_DEPTH) { /* keep the pipeline full */
			unsigned part = tc->error ? a->nparts : atomic_fetch_add(&sh->next, 1);
			if (part >= a->nparts)
				break;
			uint64_t bytes = part_size(sh->phase ? a->dev_spools : a->prob_spools, a->nwritten, part);
			if (bytes > load_allowance(a)) { /* worked on here, in parts, while the others load */
				if (work_big(sh, arg->w, r, part) || spill_results_if_over(a, tc, arg->w, true))
					tc->error = 1;
				atomic_fetch_add(&sh->done, 1);
				continue;
			}
			unsigned slot = (unsigned)(taken++ % P2_DEPTH);
			if (start_load(sh, tc, slot, part, r))
				tc->error = 1; /* finished below all the same */
		}
		if (worked == taken)
			break;
		unsigned slot = (unsigned)(worked++ % P2_DEPTH);
		if (finish_load(sh, tc, slot))
			tc->error = 1;
		if (!tc->error && do_partition(sh, arg->w, slot))
			tc->error = 1;
		if (!tc->error && spill_results_if_over(a, tc, arg->w, true))
			tc->error = 1;
		part_release(&tc->load[slot]); /* the records were read in place */
		part_release(&tc->aload[slot]);
		atomic_fetch_add(&sh->done, 1);
	}
	if (sh->phase == 1 && !tc->error) { /* its rows in output order, while the others finish */
		tc->insk = sort_rows((const char *)tc->ins, tc->nins, sizeof *tc->ins,
				     offsetof(struct unmo_attr_install, time_us), ins_cmp);
		tc->convk = sort_rows((const char *)tc->conv, tc->nconv, sizeof *tc->conv,
				      offsetof(struct unmo_attr_conversion, time_us), conv_cmp);
		if (!tc->insk || !tc->convk || report_sort(tc))
			tc->error = 1;
	}
	if (tc->error) /* partitions nobody will work on: counted for progress */
		while (atomic_fetch_add(&sh->next, 1) < a->nparts)
			atomic_fetch_add(&sh->done, 1);
	if (have_ring)
		io_uring_queue_exit(&ring);
	return NULL;
}

static int run_phase(struct p2_shared *sh, const char *label)
{
	struct unmo_attr *a = sh->a;
	atomic_store(&sh->next, 0);
	atomic_store(&sh->done, 0);
	pthread_t th[256];
	struct p2_arg args[256];
	unsigned started = 0;
	for (unsigned i = 0; i < a->ntcs; i++) {
		args[i] = (struct p2_arg){sh, i};
		if (pthread_create(&th[i], NULL, p2_main, &args[i]))
			break;
		started++;
	}
	if (!started)
		return -1;
	double t0 = now_s(), last = 0;
	while (a->o.progress && atomic_load(&sh->done) < a->nparts) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
		double el = now_s() - t0;
		if (el - last >= 0.5) {
			last = el;
			fprintf(stderr, "\r%s: %u/%u partitions, %.1f s   ", label, atomic_load(&sh->done),
				a->nparts, el);
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (a->o.progress)
		fprintf(stderr, "\r%s: %u partitions done%20s\n", label, a->nparts, "");
	return 0;
}

/* Each worker sorted its own rows at the end of pass 2, in parallel; here
 * they are merged as pointers (copying 1.5 M install rows into a fresh
 * array was 0.34 s on one thread, the longest step of the merge). */
static int merge_results(struct unmo_attr *a)
{
	const void **ins, **conv;
	uint64_t spilled_ins, spilled_conv;
	int rc = merge_kind(a, offsetof(struct tctx, insk), offsetof(struct tctx, nins), offsetof(struct tctx, insr),
			    ins_cmp, &ins, &a->nins, &spilled_ins);
	rc |= merge_kind(a, offsetof(struct tctx, convk), offsetof(struct tctx, nconv), offsetof(struct tctx, convr),
			 conv_cmp, &conv, &a->nconv, &spilled_conv);
	a->ins = (const struct unmo_attr_install **)ins;
	a->conv = (const struct unmo_attr_conversion **)conv;
	a->st.rows_spilled = spilled_ins + spilled_conv;
	/* click-to-install times: all on disk when some are (the medians
	 * then come from one walk over their merged runs) */
	bool spilled_ctit = false;
	for (unsigned w = 0; w < a->ntcs; w++)
		spilled_ctit |= a->tcs[w].ctitr.rows > 0;
	for (unsigned w = 0; !rc && spilled_ctit && w < a->ntcs; w++)
		rc = spill_ctit(a, &a->tcs[w], w);
	for (unsigned w = 0; w < a->ntcs; w++)
		a->st.ctit_spilled += a->tcs[w].ctitr.rows;
	return rc || report_finish(a) ? -1 : 0;
}

static void free_spools(struct unmo_attr *a);

static void *closer_main(void *p)
{
	free_spools(p);
	return NULL;
}

int unmo_attr_finish(struct unmo_attr *a, char *err, size_t errlen)
{
	if (a->finished) {
		snprintf(err, errlen, "engine already finished");
		return -1;
	}
	if (init_partitions(a, 0, err, errlen))
		return -1;
	a->finished = true;
	if (!a->nwritten)
		a->nwritten = 1;
	/* a worker per partition at most: each has an answer spool that every
	 * partition's load walks */
	a->ntcs = a->threads < a->nparts ? a->threads : a->nparts;
	a->tcs = calloc(a->ntcs, sizeof *a->tcs);
	for (unsigned w = 0; a->tcs && w < a->ntcs; w++) { /* before any return: unmo_attr_free closes them */
		a->tcs[w].insr.fd = a->tcs[w].convr.fd = a->tcs[w].ctitr.fd = -1;
		a->tcs[w].aggr.fd = -1;
		a->tcs[w].eng = a;
	}
	struct spool *ans = calloc(a->ntcs, sizeof *ans);
	struct chunk_pool *ansp = calloc(a->ntcs, sizeof *ansp);
	if (!a->tcs || !ans || !ansp) {
		free(ans);
		free(ansp);
		if (!a->tcs)
			a->ntcs = 0; /* nothing for unmo_attr_free to walk */
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* result rows: a quarter of --mem, the rest spilled in sorted runs;
	 * the click-to-install times (13 times smaller per install) a 64th;
	 * the report's rows a 32nd (thousands of rows in most reports) */
	a->row_share = (size_t)(a->o.mem_bytes / 4 / a->ntcs);
	a->ctit_share = (size_t)(a->o.mem_bytes / 64 / a->ntcs);
	a->agg_share = (size_t)(a->o.mem_bytes / 32 / a->ntcs);
	for (unsigned w = 0; w < a->ntcs; w++) /* address space only: backed as rows come */
		a->tcs[w].row_reserve = 2 * a->row_share + ((size_t)2 << 20);
	size_t budget = (size_t)(a->o.mem_bytes / 8 / a->ntcs);
	int rc = 0;
	for (unsigned w = 0; w < a->ntcs; w++)
		if (run_pool_init(a, &ansp[w], budget, a->nparts, 1, a->st.spill_io) ||
		    spool_init(&ans[w], a->dir, "ans", w, a->nparts, &ansp[w], NULL))
			rc = -1;
	retain_update(a); /* before the first chunks are given back */
	for (unsigned t = 0; t < a->nspools; t++) { /* pass 1 is over: no more chunk reuse */
		if (spool_sync(&a->dev_spools[t]) || spool_sync(&a->prob_spools[t]))
			rc = -1;
		pool_trim(&a->pools[t]);
	}
	/* the rules' windows per app index (the table is complete now) */
	a->win = calloc(a->apps.n ? a->apps.n : 1, sizeof *a->win);
	if (!a->win || report_ranks_make(a)) /* the tables are complete: rows can be keyed */
		rc = -1;
	for (uint32_t i = 0; a->win && i < a->apps.n; i++)
		a->win[i] = unmo_attr_config_get(a->cfg, a->apps.v[i].p ? a->apps.v[i].p : "", a->apps.v[i].len);
	struct p2_shared sh = {.a = a, .phase = 0, .answers = ans};
	if (!rc)
		rc = run_phase(&sh, "probabilistic");
	for (unsigned w = 0; w < a->ntcs; w++) {
		rc |= spool_sync(&ans[w]) || ans[w].error ? -1 : 0;
		pool_trim(&ansp[w]);
	}
	if (!rc) {
		sh.phase = 1;
		rc = run_phase(&sh, "attribution");
	}
	for (unsigned w = 0; w < a->ntcs; w++) {
		a->st.spilled_bytes += ans[w].bytes;
		a->st.spilled_cached_bytes += spool_cached_bytes(&ans[w]);
		spool_free(&ans[w]);
		pool_free(&ansp[w]);
	}
	free(ans);
	free(ansp);
	for (unsigned t = 0; t < a->nspools; t++) {
		a->st.spilled_bytes += a->dev_spools[t].bytes + a->prob_spools[t].bytes;
		a->st.spilled_cached_bytes += spool_cached_bytes(&a->dev_spools[t]) + spool_cached_bytes(&a->prob_spools[t]);
	}
	for (unsigned w = 0; w < a->ntcs; w++) {
		rc |= a->tcs[w].error ? -1 : 0;
		add_stats(&a->st, &a->tcs[w].st);
		tc_free_scratch(&a->tcs[w]); /* gives back chains the views still hold */
	}
	/* Closing the spill files frees their blocks and cache pages: 0.1-0.25 s
	 * per GB-sized file on the benchmark (ext4 with online discard), done
	 * while the outputs are written; unmo_attr_free waits for it. Nothing
	 * touches the spools after this point. */
	a->closer_started = pthread_create(&a->closer, NULL, closer_main, a) == 0;
	if (!a->closer_started)
		free_spools(a);
	if (rc || merge_results(a)) {
		snprintf(err, errlen, "%s: attribution failed (out of memory or temp file I/O error)", a->dir);
		return -1;
	}
	return 0;
}

const struct unmo_attr_install *const *unmo_attr_installs(const struct unmo_attr *a, size_t *n)
{
	*n = a->nins;
	return a->ins;
}

const struct unmo_attr_agg *unmo_attr_aggs(const struct unmo_attr *a, size_t *n)
{
	*n = a->naggs;
	return a->aggs;
}

const struct unmo_attr_conversion *const *unmo_attr_conversions(const struct unmo_attr *a, size_t *n)
{
	*n = a->nconv;
	return a->conv;
}

const struct unmo_attr_stats *unmo_attr_stats(const struct unmo_attr *a)
{
	return &a->st;
}

/* Name enc (name_encode) is the C string raw. */
static bool name_is(const char *enc, const char *raw)
{
	while (*enc && *raw)
		if (name_next(&enc) != (unsigned char)*raw++)
			return false;
	return !*enc && !*raw;
}

static bool agg_is(const struct unmo_attr_agg *g, const char *app, const char *source, const char *campaign)
{
	return name_is(g->app_id, app) && name_is(g->media_source, source) && name_is(g->campaign, campaign);
}

/* Streamed rows: a walk of the merge until the row, copied into
 * finds->arena so that it lives as long as a; rows found before are
 * looked up first. */
struct find_walk {
	const char *app, *source, *campaign;
	struct agg_finds *f;
	const struct unmo_attr_agg *found;
};
static int find_walk_row(void *ctx, const struct unmo_attr_agg *g)
{
	struct find_walk *w = ctx;
	if (!agg_is(g, w->app, w->source, w->campaign))
		return 0;
	struct agg_found *x = arena_alloc(&w->f->arena, sizeof *x);
	if (!x || agg_copy(&w->f->arena, &x->row, g))
		return -1;
	x->next = w->f->head;
	w->f->head = x;
	w->found = &x->row;
	return 1;
}

const struct unmo_attr_agg *unmo_attr_find_agg(const struct unmo_attr *a, const char *app,
					       const char *source, const char *campaign)
{
	for (size_t i = 0; a->aggs && i < a->naggs; i++)
		if (agg_is(&a->aggs[i], app, source, campaign))
			return &a->aggs[i];
	if (!a->aggs_streamed || !a->finds)
		return NULL;
	struct find_walk w = {app, source, campaign, a->finds, NULL};
	pthread_mutex_lock(&a->finds->mu);
	for (const struct agg_found *x = a->finds->head; x && !w.found; x = x->next)
		if (agg_is(&x->row, app, source, campaign))
			w.found = &x->row;
	if (!w.found)
		unmo_attr_each_agg(a, find_walk_row, &w); /* NULL on a read error */
	pthread_mutex_unlock(&a->finds->mu);
	return w.found;
}

/* The pass-1 spools and their pools, once pass 2 is over (or never ran). */
static void free_spools(struct unmo_attr *a)
{
	for (unsigned t = 0; t < a->nspools; t++) {
		if (a->dev_spools)
			spool_free(&a->dev_spools[t]);
		if (a->prob_spools)
			spool_free(&a->prob_spools[t]);
	}
	for (unsigned t = 0; a->pools && t < a->nspools; t++)
		pool_free(&a->pools[t]);
	free(a->dev_spools);
	free(a->prob_spools);
	free(a->pools);
	a->dev_spools = a->prob_spools = NULL;
	a->pools = NULL;
	a->nspools = 0;
}

void unmo_attr_free(struct unmo_attr *a)
{
	if (!a)
		return;
	if (a->closer_started)
		pthread_join(a->closer, NULL);
	for (unsigned w = 0; w < a->ntcs; w++) /* views may hold chains of the pools */
		tc_free_scratch(&a->tcs[w]);
	free_spools(a);
	for (unsigned w = 0; w < a->ntcs; w++)
		tc_free(&a->tcs[w]);
	free(a->tcs);
	free(a->ins);
	free(a->conv);
	report_free(a);
	free(a->win);
	arena_free(&a->res_arena);
	if (a->finds) {
		arena_free(&a->finds->arena);
		pthread_mutex_destroy(&a->finds->mu);
		free(a->finds);
	}
	free(a->evbuf);
	DIR *d = opendir(a->dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char p[1024];
			snprintf(p, sizeof p, "%s/%s", a->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(a->dir);
	free_shell(a);
}
