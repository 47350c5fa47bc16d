/* bench_floor.c — the least a partitioned attribution job can cost on these
 * segments, next to the read-only ceiling, in one run.
 *
 *   bench_floor [--threads T] [--partitions P] [--pool MB] [--tmpdir DIR] [--repeat N] SEGDIR
 *
 * SEGDIR: segment files, e.g. DIR/seg of a `bench_attr --keep` run.
 * 1. Ceiling: reads the segments as bench_attr's ceiling does (bench_read.h).
 * 2. Floor: the skeleton of unmo-attr's two passes with none of its rules.
 *    Pass 1 reads and decodes every record as the ceiling does, hashes
 *    (app, first device id) with XXH3 and appends one fixed 48-byte record
 *    (group hash, event time, receive time, event id, type) to one of P
 *    partitions, in 64 KB blocks of a pool per thread (--pool, default 64
 *    MB: on this VM a larger one costs more in first touches than it saves)
 *    written with O_DIRECT to one temp file per thread, one piece per
 *    partition per spill, as unmo-attr's pass 1. Pass 2 reads each partition back (O_DIRECT, the next
 *    partition's reads in flight while this one is worked on), sorts
 *    it by (group hash, time) with a radix sort and walks its groups once
 *    (per install, whether a click of the same device came in the 7 days
 *    before it).
 * It leaves out what every correct job must also do, so unmo-attr can only
 * cost more: the strings (app, media source, campaign, the device id bytes
 * that tell hash collisions apart), duplicates, probabilistic matching,
 * windows per app, re-engagements, models, aggregates and the outputs.
 * Prints both and their ratio (the target for the whole job: <= 2)
 * and the floor's events per CPU-second (target >= 5 M per core). Figures
 * only; no pass/fail. perf/RESULTS.md has the runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <liburing.h>
#include <xxhash.h>

#include "bench_clock.h"
#include "bench_read.h"
#include "bench_rounds.h"

#define BLK ((size_t)64 << 10) /* a staged block, the unit of every write and read */
#define REC 48u                /* bytes of a floor record */
#define PER_BLK (BLK / REC)    /* records per block (the rest of a block is padding) */
#define WEEK (7ll * 86400 * 1000000)
#define MAX_THREADS 64

/* ---- 2. the floor, pass 1: partition to disk ----
 * As unmo-attr's pass 1: each thread fills the blocks of one half of its
 * pool, chained per partition; a full half goes to the thread's writer,
 * which writes it with pwritev as one piece per partition (so pass 2 reads
 * each piece in one call), while the thread fills the other half. */
struct piece {
	uint32_t part, nblk, last; /* partition, blocks, records in the last block */
	uint64_t off;              /* in the thread's file */
};

struct half {
	uint8_t *mem;     /* blocks of BLK bytes, 4 KB aligned */
	size_t nblk, used;
	uint32_t *next;   /* per block, the next block of its partition's chain */
	uint32_t *head, *tail; /* per partition, UINT32_MAX when none */
	uint32_t *fill;   /* per partition, records in its tail block */
	uint64_t off;     /* where its first piece goes */
};

struct p1 {
	int fd; /* this thread's temp file, O_DIRECT */
	unsigned nparts;
	struct half h[2];
	unsigned cur;      /* the half being filled */
	struct piece *pieces;
	size_t npieces, cap;
	uint64_t off;      /* end of the file's pieces */
	pthread_t writer;
	bool writer_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int busy;          /* the writer holds half busy - 1 (0: idle) */
	bool stop;
	int werror;        /* the writer's errno */
	char app_s[UNMO_STR_MAX]; /* the last app string (a copy: the reader's buffer is reused) */
	uint16_t app_len;         /* and its hash: events come in runs of one app */
	uint64_t app_h;
	int error;
};

static void half_reset(struct half *h, unsigned nparts)
{
	h->used = 0;
	memset(h->head, 0xff, nparts * sizeof *h->head);
	memset(h->fill, 0, nparts * sizeof *h->fill);
}

static void *writer_main(void *arg)
{
	struct p1 *t = arg;
	struct iovec iov[IOV_MAX];
	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->busy && !t->stop)
			pthread_cond_wait(&t->cv, &t->mu);
		if (!t->busy)
			break;
		struct half *h = &t->h[t->busy - 1];
		pthread_mutex_unlock(&t->mu);
		uint64_t off = h->off;
		int n = 0, err = 0;
		for (unsigned part = 0; part <= t->nparts && !err; part++) {
			for (uint32_t b = part < t->nparts ? h->head[part] : UINT32_MAX; b != UINT32_MAX; b = h->next[b]) {
				iov[n++] = (struct iovec){h->mem + (size_t)b * BLK, BLK};
				if (n < IOV_MAX)
					continue;
				err = pwritev(t->fd, iov, n, (off_t)off) == (ssize_t)((size_t)n * BLK) ? 0 : errno ? errno : EIO;
				off += (uint64_t)n * BLK;
				n = 0;
			}
			if (part == t->nparts && n && !err) /* the end: what is gathered */
				err = pwritev(t->fd, iov, n, (off_t)off) == (ssize_t)((size_t)n * BLK) ? 0 : errno ? errno : EIO;
		}
		half_reset(h, t->nparts);
		pthread_mutex_lock(&t->mu);
		if (err && !t->werror)
			t->werror = err;
		t->busy = 0;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* Hand the current half to the writer (after the previous hand-over is
 * written) and record its pieces; the thread goes on in the other half. */
static void p1_spill(struct p1 *t)
{
	struct half *h = &t->h[t->cur];
	h->off = t->off;
	for (unsigned part = 0; part < t->nparts; part++) {
		if (h->head[part] == UINT32_MAX)
			continue;
		uint32_t nblk = 1;
		for (uint32_t b = h->head[part]; b != h->tail[part]; b = h->next[b])
			nblk++;
		if (t->npieces == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 1024;
			struct piece *v = realloc(t->pieces, cap * sizeof *v);
			if (!v) {
				t->error = ENOMEM;
				return;
			}
			t->pieces = v;
			t->cap = cap;
		}
		t->pieces[t->npieces++] = (struct piece){part, nblk, h->fill[part], t->off};
		t->off += (uint64_t)nblk * BLK;
	}
	pthread_mutex_lock(&t->mu);
	while (t->busy)
		pthread_cond_wait(&t->cv, &t->mu);
	if (t->werror)
		t->error = t->werror;
	t->busy = (int)t->cur + 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	t->cur ^= 1;
}

/* Room for one more record of partition part: its tail block, or a new one
 * (the half spilled first when it has none left). */
static uint8_t *p1_slot(struct p1 *t, unsigned part)
{
	struct half *h = &t->h[t->cur];
	if (h->head[part] != UINT32_MAX && h->fill[part] < PER_BLK)
		return h->mem + (size_t)h->tail[part] * BLK + (size_t)h->fill[part]++ * REC;
	if (h->used == h->nblk) {
		p1_spill(t);
		if (t->error)
			return NULL;
		h = &t->h[t->cur];
	}
	uint32_t b = (uint32_t)h->used++;
	h->next[b] = UINT32_MAX;
	if (h->head[part] == UINT32_MAX)
		h->head[part] = b;
	else
		h->next[h->tail[part]] = b;
	h->tail[part] = b;
	h->fill[part] = 1;
	return h->mem + (size_t)b * BLK;
}

static void route_block(void *ctx, const struct unmo_event *ev, uint32_t n)
{
	struct p1 *t = ctx;
	static const int order[3] = {UNMO_S_ADVERTISING_ID, UNMO_S_VENDOR_ID, UNMO_S_CUSTOMER_USER_ID};
	for (uint32_t k = 0; k < n && !t->error; k++) {
		const struct unmo_event *e = &ev[k];
		struct unmo_str app = e->s[UNMO_S_APP_ID];
		if (app.len != t->app_len || (app.len && memcmp(app.p, t->app_s, app.len))) {
			t->app_h = XXH3_64bits(app.p, app.len);
			t->app_len = app.len <= sizeof t->app_s ? app.len : 0;
			if (t->app_len)
				memcpy(t->app_s, app.p, t->app_len);
		}
		const void *key = e->event_id;
		size_t klen = 16;
		uint64_t kind = 0;
		for (int i = 0; i < 3; i++)
			if (e->s[order[i]].len) {
				key = e->s[order[i]].p;
				klen = e->s[order[i]].len;
				kind = (uint64_t)i + 1;
				break;
			}
		uint64_t h = XXH3_64bits_withSeed(key, klen, t->app_h ^ kind * 0x9e3779b97f4a7c15ull);
		unsigned part = (unsigned)(((h & 0xffffffffu) * t->nparts) >> 32);
		uint8_t *r = p1_slot(t, part);
		if (!r)
			return;
		memcpy(r, &h, 8);
		memcpy(r + 8, &e->event_time_us, 8);
		memcpy(r + 16, &e->recv_time_us, 8);
		memcpy(r + 24, e->event_id, 16);
		r[40] = e->type;
		memset(r + 41, 0, REC - 41);
	}
}

struct floor_shared {
	char **files;
	size_t n;
	atomic_size_t next;
	atomic_uint_fast64_t events;
	unsigned nparts;
	size_t pool; /* bytes of each thread's two halves */
	struct p1 t[MAX_THREADS];
	unsigned nthreads;
	/* pass 2 */
	atomic_uint next_part;
	atomic_uint_fast64_t groups, installs, clicked;
	atomic_int error;
};

struct floor_arg {
	struct floor_shared *sh;
	unsigned tid;
};

static void *p1_main(void *p)
{
	struct floor_arg *arg = p;
	struct floor_shared *sh = arg->sh;
	struct p1 *t = &sh->t[arg->tid];
	uint64_t events = 0;
	struct unmo_event *ev = malloc(UNMO_SEG_MAX_BLOCK_RECORDS * sizeof *ev);
	struct unmo_segr_buf buf = {0};
	for (size_t i; ev && !t->error && (i = atomic_fetch_add(&sh->next, 1)) < sh->n;)
		events += bench_read_file(sh->files[i], &buf, ev, route_block, t);
	if (!t->error && t->h[t->cur].used)
		p1_spill(t);
	pthread_mutex_lock(&t->mu);
	while (t->busy)
		pthread_cond_wait(&t->cv, &t->mu);
	if (t->werror && !t->error)
		t->error = t->werror;
	pthread_mutex_unlock(&t->mu);
	if (!ev)
		t->error = ENOMEM;
	free(ev);
	unmo_segr_buf_free(&buf);
	atomic_fetch_add(&sh->events, events);
	return NULL;
}

/* ---- pass 2: each partition read back, sorted, walked ---- */
struct fkey {
	uint64_t h;
	int64_t t;
	uint64_t type;
};

/* LSD radix sort of k[0..n) on the group hash's high 32 bits (its low
 * bits chose the partition), 4 digits of 8 bits; tmp has room for n. The
 * result is in k. */
static void sort_keys(struct fkey *k, struct fkey *tmp, size_t n)
{
	size_t cnt[4][256] = {{0}};
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < 4; d++)
			cnt[d][(k[i].h >> (32 + 8 * d)) & 255]++;
	for (int d = 0; d < 4; d++) {
		size_t sum = 0;
		for (int b = 0; b < 256; b++) {
			size_t c = cnt[d][b];
			cnt[d][b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[cnt[d][(k[i].h >> (32 + 8 * d)) & 255]++] = k[i];
		struct fkey *s = k;
		k = tmp;
		tmp = s;
	}
	/* four passes: the result is back in the caller's k */
}

static bool key_before(const struct fkey *a, const struct fkey *b)
{
	return a->h != b->h ? a->h < b->h : a->t < b->t;
}

static int key_cmp(const void *a, const void *b)
{
	return key_before(a, b) ? -1 : key_before(b, a);
}

/* Groups are the runs of equal high bits; each run is put in (hash, time)
 * order by insertion (runs are one device's events, a few dozen), then
 * walked: per install, whether a click came in the week before it
 * (larger runs by qsort). */
static void walk_groups(struct fkey *k, size_t n, uint64_t *groups, uint64_t *installs, uint64_t *clicked)
{
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && k[j].h >> 32 == k[i].h >> 32)
			j++;
		if (j - i > 64) /* a device with many events */
			qsort(k + i, j - i, sizeof *k, key_cmp);
		for (size_t a = i + 1; a < j && j - i <= 64; a++) {
			struct fkey x = k[a];
			size_t b = a;
			for (; b > i && key_before(&x, &k[b - 1]); b--)
				k[b] = k[b - 1];
			k[b] = x;
		}
		int64_t last_click = INT64_MIN;
		uint64_t h = ~k[i].h;
		for (size_t a = i; a < j; a++) {
			if (k[a].h != h) {
				h = k[a].h;
				last_click = INT64_MIN;
				(*groups)++;
			}
			if (k[a].type == UNMO_EV_CLICK)
				last_click = k[a].t;
			else if (k[a].type == UNMO_EV_INSTALL) {
				(*installs)++;
				*clicked += last_click != INT64_MIN && k[a].t - last_click <= WEEK;
			}
		}
		i = j;
	}
}

/* A partition being loaded or worked on by a pass-2 worker. */
struct p2_slot {
	unsigned part; /* UINT_MAX: none */
	uint8_t *load; /* cap blocks, 4 KB aligned */
	size_t cap, pending;
};

/* Claim the next partition into slot x and submit the reads of its
 * pieces (all at once: the worker goes on with the other slot meanwhile).
 * 0, or an errno. */
static int p2_start(struct floor_shared *sh, struct io_uring *ring, struct p2_slot *x, unsigned tag)
{
	x->part = atomic_fetch_add(&sh->next_part, 1);
	if (x->part >= sh->nparts) {
		x->part = UINT_MAX;
		return 0;
	}
	size_t nb = 0;
	for (unsigned t = 0; t < sh->nthreads; t++)
		for (size_t i = 0; i < sh->t[t].npieces; i++)
			nb += sh->t[t].pieces[i].part == x->part ? sh->t[t].pieces[i].nblk : 0;
	if (nb > x->cap) {
		free(x->load);
		x->cap = nb;
		if (!(x->load = aligned_alloc(4096, nb * BLK)))
			return ENOMEM;
	}
	uint8_t *d = x->load;
	for (unsigned t = 0; t < sh->nthreads; t++)
		for (size_t i = 0; i < sh->t[t].npieces; i++) {
			const struct piece *pc = &sh->t[t].pieces[i];
			if (pc->part != x->part)
				continue;
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			if (!sqe) {
				io_uring_submit(ring);
				if (!(sqe = io_uring_get_sqe(ring))) {
					io_uring_submit(ring); /* what is prepared is waited for */
					return EBUSY;
				}
			}
			io_uring_prep_read(sqe, sh->t[t].fd, d, pc->nblk * BLK, pc->off);
			io_uring_sqe_set_data64(sqe, ((uint64_t)pc->nblk * BLK) << 1 | tag);
			d += (size_t)pc->nblk * BLK;
			x->pending++;
		}
	io_uring_submit(ring);
	return 0;
}

/* Wait until every read of slot x (tag) is done. 0, or an errno. */
static int p2_wait(struct io_uring *ring, struct p2_slot *s, unsigned tag)
{
	int err = 0;
	while (s[tag].pending) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_wait_cqe(ring, &cqe);
		if (rc == -EINTR)
			continue;
		if (rc)
			return -rc;
		uint64_t data = io_uring_cqe_get_data64(cqe);
		if ((uint64_t)cqe->res != data >> 1)
			err = cqe->res < 0 ? -cqe->res : EIO;
		s[data & 1].pending--;
		io_uring_cqe_seen(ring, cqe);
	}
	return err;
}

static void *p2_main(void *p)
{
	struct floor_arg *arg = p;
	struct floor_shared *sh = arg->sh;
	struct p2_slot slot[2] = {{.part = UINT_MAX}, {.part = UINT_MAX}};
	struct fkey *k = NULL, *tmp = NULL;
	size_t kcap = 0; /* records k and tmp have room for */
	uint64_t groups = 0, installs = 0, clicked = 0;
	struct io_uring ring;
	int err = io_uring_queue_init(256, &ring, 0);
	if (err) {
		atomic_store(&sh->error, -err);
		return NULL;
	}
	unsigned x = 0;
	err = p2_start(sh, &ring, &slot[x], x);
	while (!err && slot[x].part != UINT_MAX && !atomic_load(&sh->error)) {
		if ((err = p2_start(sh, &ring, &slot[x ^ 1], x ^ 1)) || (err = p2_wait(&ring, slot, x)))
			break;
		const struct p2_slot *s = &slot[x];
		unsigned part = s->part;
		if (s->cap * PER_BLK > kcap) {
			free(k);
			free(tmp);
			kcap = s->cap * PER_BLK;
			k = malloc(kcap * sizeof *k);
			tmp = malloc(kcap * sizeof *tmp);
			if (!k || !tmp) {
				err = ENOMEM;
				break;
			}
		}
		size_t nrec = 0;
		const uint8_t *d = s->load;
		for (unsigned t = 0; t < sh->nthreads; t++)
			for (size_t i = 0; i < sh->t[t].npieces; i++) {
				const struct piece *pc = &sh->t[t].pieces[i];
				if (pc->part != part)
					continue;
				for (uint32_t b = 0; b < pc->nblk; b++, d += BLK)
					for (uint32_t r = 0, n = b + 1 < pc->nblk ? PER_BLK : pc->last; r < n; r++, nrec++) {
						const uint8_t *rec = d + (size_t)r * REC;
						memcpy(&k[nrec].h, rec, 8);
						memcpy(&k[nrec].t, rec + 8, 8);
						k[nrec].type = rec[40];
					}
			}
		sort_keys(k, tmp, nrec);
		walk_groups(k, nrec, &groups, &installs, &clicked);
		x ^= 1;
	}
	int werr = p2_wait(&ring, slot, 0);
	if (!werr)
		werr = p2_wait(&ring, slot, 1);
	if (err || werr)
		atomic_store(&sh->error, err ? err : werr);
	io_uring_queue_exit(&ring);
	free(slot[0].load);
	free(slot[1].load);
	free(k);
	free(tmp);
	atomic_fetch_add(&sh->groups, groups);
	atomic_fetch_add(&sh->installs, installs);
	atomic_fetch_add(&sh->clicked, clicked);
	return NULL;
}

static int floor_init(struct floor_shared *sh, const char *tmpdir)
{
	for (unsigned i = 0; i < sh->nthreads; i++) {
		struct p1 *t = &sh->t[i];
		t->nparts = sh->nparts;
		char path[4200];
		snprintf(path, sizeof path, "%s/bench_floor.XXXXXX", tmpdir);
		t->fd = mkstemp(path);
		if (t->fd < 0) {
			fprintf(stderr, "bench_floor: %s: %s\n", path, strerror(errno));
			return -1;
		}
		unlink(path);
		if (fcntl(t->fd, F_SETFL, O_DIRECT)) {
			fprintf(stderr, "bench_floor: O_DIRECT on %s: %s\n", tmpdir, strerror(errno));
			return -1;
		}
		for (int i = 0; i < 2; i++) {
			struct half *h = &t->h[i];
			h->nblk = sh->pool / 2 / BLK;
			h->mem = aligned_alloc(4096, h->nblk * BLK);
			h->next = malloc(h->nblk * sizeof *h->next);
			h->head = malloc(sh->nparts * sizeof *h->head);
			h->tail = malloc(sh->nparts * sizeof *h->tail);
			h->fill = malloc(sh->nparts * sizeof *h->fill);
			if (!h->mem || !h->next || !h->head || !h->tail || !h->fill)
				return -1;
			half_reset(h, sh->nparts);
		}
		pthread_mutex_init(&t->mu, NULL);
		pthread_cond_init(&t->cv, NULL);
		if (pthread_create(&t->writer, NULL, writer_main, t))
			return -1;
		t->writer_up = true;
	}
	return 0;
}

static void floor_free(struct floor_shared *sh)
{
	for (unsigned i = 0; i < sh->nthreads; i++) {
		struct p1 *t = &sh->t[i];
		if (t->writer_up) {
			pthread_mutex_lock(&t->mu);
			t->stop = true;
			pthread_cond_broadcast(&t->cv);
			pthread_mutex_unlock(&t->mu);
			pthread_join(t->writer, NULL);
		}
		if (t->fd >= 0)
			close(t->fd);
		for (int j = 0; j < 2; j++) {
			free(t->h[j].mem);
			free(t->h[j].next);
			free(t->h[j].head);
			free(t->h[j].tail);
			free(t->h[j].fill);
		}
		free(t->pieces);
	}
}

static int round_once(char **files, size_t nfiles, unsigned threads, unsigned nparts, size_t pool,
		      const char *tmpdir, double out[4])
{
	pthread_t th[MAX_THREADS];
	struct bench_ceiling ro = bench_ceiling_run(files, nfiles, threads);
	double tread = ro.wall, cread = ro.cpu;
	uint64_t nread = ro.events;
	printf("read-only (decompress + verify + decode): %.3f s wall, %.3f s CPU (kernel %.3f); %.2f M events "
	       "per CPU-second\n",
	       tread, cread, ro.sys, nread / cread / 1e6);

	static struct floor_shared sh;
	memset(&sh, 0, sizeof sh);
	sh.files = files;
	sh.n = nfiles;
	sh.nparts = nparts;
	sh.pool = pool;
	sh.nthreads = threads;
	for (unsigned i = 0; i < threads; i++)
		sh.t[i].fd = -1;
	struct floor_arg args[MAX_THREADS];
	double c0 = bench_process_cpu_s(), k0 = bench_process_sys_s(), t0 = bench_wall_s();
	int rc = floor_init(&sh, tmpdir), floor_rc = rc;
	for (unsigned i = 0; i < threads && !rc; i++) {
		args[i] = (struct floor_arg){&sh, i};
		pthread_create(&th[i], NULL, p1_main, &args[i]);
	}
	for (unsigned i = 0; i < threads && !floor_rc; i++) {
		pthread_join(th[i], NULL);
		if (sh.t[i].error && !rc) {
			fprintf(stderr, "bench_floor: pass 1: %s\n", strerror(sh.t[i].error));
			rc = -1;
		}
	}
	double t1 = bench_wall_s(), c1 = bench_process_cpu_s();
	for (unsigned i = 0; i < threads && !rc; i++)
		pthread_create(&th[i], NULL, p2_main, &args[i]);
	for (unsigned i = 0; i < threads && !rc; i++)
		pthread_join(th[i], NULL);
	if (!rc && atomic_load(&sh.error)) {
		fprintf(stderr, "bench_floor: pass 2: %s\n", strerror(atomic_load(&sh.error)));
		rc = -1;
	}
	uint64_t spilled = 0;
	for (unsigned i = 0; i < threads; i++)
		spilled += sh.t[i].off;
	uint64_t pieces = 0;
	for (unsigned i = 0; i < threads; i++)
		pieces += sh.t[i].npieces;
	floor_free(&sh);
	double tall = bench_wall_s() - t0, call = bench_process_cpu_s() - c0;
	if (rc)
		return rc;
	uint64_t n = atomic_load(&sh.events);
	printf("floor (read + partition to disk + sort + group walk): %.3f s wall (pass 1 %.3f, pass 2 %.3f), %.3f s CPU "
	       "(%.3f, %.3f; kernel %.3f); %.1f MB spilled in %llu pieces\n",
	       tall, t1 - t0, tall - (t1 - t0), call, c1 - c0, call - (c1 - c0), bench_process_sys_s() - k0, spilled / 1e6,
	       (unsigned long long)pieces);
	printf("  %llu events, %llu device groups, %llu installs, %llu with a click in the week before%s\n",
	       (unsigned long long)n, (unsigned long long)atomic_load(&sh.groups),
	       (unsigned long long)atomic_load(&sh.installs), (unsigned long long)atomic_load(&sh.clicked),
	       n == nread ? "" : "  [EVENT COUNT MISMATCH]");
	printf("  %.2f M events per CPU-second (the issue's target for the whole job: >= 5 per core)\n", n / call / 1e6);
	printf("ratio floor / read-only: %.2f wall, %.2f CPU (the issue's target for the whole job: <= 2)\n",
	       tall / tread, call / cread);
	out[0] = tread;
	out[1] = cread;
	out[2] = tall;
	out[3] = call;
	return 0;
}

static double median(const double *v, unsigned n)
{
	double med, lo, hi;
	bench_spread(v, n, &med, &lo, &hi);
	return med;
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = ncpu > 0 ? (unsigned)ncpu : 1, nparts = 120, repeat = 1;
	size_t pool_mb = 64;
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", *segdir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--partitions") && i + 1 < argc)
			nparts = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--pool") && i + 1 < argc)
			pool_mb = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--tmpdir") && i + 1 < argc)
			tmpdir = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !segdir)
			segdir = argv[i];
		else
			segdir = NULL, i = argc;
	}
	if (!segdir || !threads || threads > MAX_THREADS || !nparts || nparts > 65536 || !repeat ||
	    repeat > BENCH_MAX_ROUNDS || pool_mb < 1 || pool_mb > 65536) {
		fprintf(stderr, "usage: bench_floor [--threads 1..%d] [--partitions P] [--pool MB] [--tmpdir DIR] [--repeat 1..%d] "
				"SEGDIR\n",
			MAX_THREADS, BENCH_MAX_ROUNDS);
		return 2;
	}
	if ((pool_mb << 20) / 2 < 2 * nparts * BLK) {
		/* fewer than two blocks per partition in a half: spills of mostly
		 * empty blocks, no floor of anything */
		fprintf(stderr, "bench_floor: --pool %zu MB is too small for %u partitions (at least %zu MB)\n", pool_mb,
			nparts, (4 * nparts * BLK + (1 << 20) - 1) >> 20);
		return 2;
	}
	char **files = NULL;
	size_t nfiles = 0;
	if (bench_list_segments(segdir, &files, &nfiles) || !nfiles) {
		fprintf(stderr, "bench_floor: no segment files in %s\n", segdir);
		return 1;
	}
	printf("bench_floor: %zu segments in %s; %u threads, %u partitions, %zu MB pool per thread, temp files in %s\n",
	       nfiles, segdir, threads, nparts, pool_mb, tmpdir);
	double r[4][BENCH_MAX_ROUNDS], q[2][BENCH_MAX_ROUNDS];
	int rc = 0;
	unsigned done = 0;
	for (; done < repeat && !rc; done++) {
		if (repeat > 1)
			printf("round %u/%u\n", done + 1, repeat);
		double out[4];
		rc = round_once(files, nfiles, threads, nparts, pool_mb << 20, tmpdir, out);
		for (int i = 0; i < 4; i++)
			r[i][done] = out[i];
		q[0][done] = out[2] / out[0];
		q[1][done] = out[3] / out[1];
	}
	if (!rc && repeat > 1)
		printf("median of %u rounds: read-only %.3f s wall, %.3f s CPU; floor %.3f s wall, %.3f s CPU; "
		       "ratio %.2f wall, %.2f CPU\n",
		       repeat, median(r[0], repeat), median(r[1], repeat), median(r[2], repeat), median(r[3], repeat),
		       median(q[0], repeat), median(q[1], repeat));
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	return rc ? 1 : 0;
}
