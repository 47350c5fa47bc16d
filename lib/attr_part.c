/* attr_part.c — partition temp files: record encoding, buffered spools,
 * loading, group ordering and duplicate detection. */
#include "attr_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <liburing.h>
#include <xxhash.h>

/* 4 KB blocks of a 2 MB page marked in page_bits (chunk_free) */
#define PAGE_WORDS (BIG_PAGE / SPILL_ALIGN / 64)

/* ---- chunk pools and spools ---- */
/* Chunks of a few per partition and spool within the budget, 4..64 KB,
 * and as many as the budget allows (always one: spool_chunk lets the
 * first exceed a tiny budget). */
static void pool_shape(struct chunk_pool *p, unsigned nparts, unsigned sharers)
{
	size_t c = nparts ? p->budget / sharers / nparts / 4 : 65536;
	c = c < SPILL_ALIGN ? SPILL_ALIGN : c > 65536 ? 65536 : c & ~(size_t)(SPILL_ALIGN - 1);
	p->csz = c;
	p->nchunks = p->region_len / c ? p->region_len / c : 1;
}

int pool_init(struct chunk_pool *p, size_t budget, unsigned nparts, unsigned sharers, enum unmo_attr_spill_io io)
{
	memset(p, 0, sizeof *p);
	p->budget = budget;
	p->buffered = io == UNMO_SPILL_BUFFERED;
	p->mixed = io == UNMO_SPILL_MIXED;
	p->to_come = UINT64_MAX;
	/* the budget in whole pages (touched only as chunks are used): any
	 * chunk size pool_reuse picks has as many chunks as the budget allows */
	p->region_len = budget > SPILL_ALIGN ? budget & ~(size_t)(SPILL_ALIGN - 1) : SPILL_ALIGN;
	pool_shape(p, nparts, sharers);
	p->region = big_alloc(p->region_len);
	p->npages = (p->region_len + BIG_PAGE - 1) / BIG_PAGE;
	p->page_freed = calloc(p->npages, sizeof *p->page_freed);
	p->page_bits = calloc(p->npages * PAGE_WORDS, sizeof *p->page_bits);
	p->hdrcap = p->nchunks;
	p->hdr = calloc(p->nchunks, sizeof *p->hdr);
	p->job_iov = calloc(p->nchunks, sizeof *p->job_iov);
	if (pthread_mutex_init(&p->mu, NULL) || pthread_cond_init(&p->cv, NULL)) {
		big_free(p->region, p->region_len);
		p->region = NULL;
	}
	return p->region && p->page_freed && p->page_bits && p->hdr && p->job_iov ? 0 : -1;
}

int pool_reuse(struct chunk_pool *p, unsigned nparts, unsigned sharers)
{
	if (pool_sync(p))
		return -1;
	pool_shape(p, nparts, sharers); /* nchunks * csz <= region_len: the same pages */
	if (p->nchunks > p->hdrcap) {
		struct spool_chunk *h = realloc(p->hdr, p->nchunks * sizeof *h);
		if (h)
			p->hdr = h;
		struct iovec *v = h ? realloc(p->job_iov, p->nchunks * sizeof *v) : NULL;
		if (v)
			p->job_iov = v;
		if (!h || !v)
			return -1;
		p->hdrcap = p->nchunks;
	}
	p->free = NULL;
	p->nused = p->held = 0;
	for (size_t i = 0; i < p->npages; i++)
		atomic_store_explicit(&p->page_freed[i], 0, memory_order_relaxed);
	for (size_t i = 0; i < p->npages * PAGE_WORDS; i++)
		atomic_store_explicit(&p->page_bits[i], 0, memory_order_relaxed);
	atomic_store_explicit(&p->retained, 0, memory_order_relaxed);
	atomic_store_explicit(&p->retain_max, 0, memory_order_relaxed);
	p->produced = 0;
	p->to_come = UINT64_MAX;
	return 0;
}

/* Ranges of this process's memory given back to the system at once.
 * Each madvise(MADV_DONTNEED) ends with a TLB shootdown: an interrupt to
 * every other CPU running the process, ~50 us on the benchmark VM, where a
 * chunk at a time made madvise 6% of the job's CPU. process_madvise on our
 * own pidfd gives back up to UIO_MAXIOV ranges in one call; on the
 * benchmark VM's Linux 6.18 that took 4.6 us a range against 54 us for
 * madvise (perf/RESULTS.md). Kernels that do not take MADV_DONTNEED there
 * (older ones) refuse it (EINVAL, ENOSYS, EPERM): then one madvise per
 * range, as before. Thread-safe. */
static pthread_once_t self_pidfd_once = PTHREAD_ONCE_INIT;
static int self_pidfd = -1;
static void self_pidfd_open(void)
{
#ifdef SYS_pidfd_open
	self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
#endif
}
static void release_ranges(struct iovec *v, size_t n)
{
	size_t done = 0;
#ifdef SYS_process_madvise
	pthread_once(&self_pidfd_once, self_pidfd_open);
	if (self_pidfd >= 0 && n > 1) {
		long r = syscall(SYS_process_madvise, self_pidfd, v, n, MADV_DONTNEED, 0);
		/* r: bytes advised, in range order; a failure part way leaves
		 * the rest to madvise */
		for (size_t left = r > 0 ? (size_t)r : 0; done < n && left >= v[done].iov_len; done++)
			left -= v[done].iov_len;
	}
#endif
	for (; done < n; done++)
		madvise(v[done].iov_base, v[done].iov_len, MADV_DONTNEED);
}

/* Ranges gathered for release_ranges: chunks next to each other in
 * memory go as one range; full, the batch is released. */
struct release_batch {
	struct iovec v[1024]; /* UIO_MAXIOV */
	size_t n;
};
static void release_add(struct release_batch *b, uint8_t *p, size_t len)
{
	if (b->n && (uint8_t *)b->v[b->n - 1].iov_base + b->v[b->n - 1].iov_len == p) {
		b->v[b->n - 1].iov_len += len;
		return;
	}
	if (b->n == sizeof b->v / sizeof b->v[0]) {
		release_ranges(b->v, b->n);
		b->n = 0;
	}
	b->v[b->n++] = (struct iovec){p, len};
}
static void release_flush(struct release_batch *b)
{
	release_ranges(b->v, b->n);
	b->n = 0;
}

/* A chunk given back: its bytes count against the 2 MB pages of the
 * region it lies in, and a page goes back to the system (into b) whole,
 * once every chunk handed out in it has been given back. Giving back a
 * part of a 2 MB page would split it into 4 KB pages, and on the benchmark
 * VM the first access to each of those afterwards costs ~7 us: pass 2's
 * first walk over the chains still in memory took 0.63-0.94 s where it
 * takes 0.05 s on whole pages (perf/RESULTS.md). Until then the chunk's
 * 4 KB blocks are marked kept (page_bits), up to retain_max bytes; past
 * that, or flushed by pool_flush, they go one by one as before. Each
 * handed-out chunk is given back once; workers give back chunks of the
 * same pool at once. */
static size_t take_kept(struct chunk_pool *p, size_t pg, struct release_batch *b)
{
	size_t blocks = 0;
	for (size_t w = 0; w < PAGE_WORDS; w++) {
		uint64_t bits = atomic_exchange_explicit(&p->page_bits[pg * PAGE_WORDS + w], 0, memory_order_acq_rel);
		blocks += (size_t)__builtin_popcountll(bits);
		while (b && bits) { /* each run of set bits as one range */
			unsigned lo = (unsigned)__builtin_ctzll(bits), hi = lo;
			while (hi < 64 && (bits >> hi & 1))
				hi++;
			release_add(b, p->region + pg * BIG_PAGE + (w * 64 + lo) * SPILL_ALIGN, (hi - lo) * SPILL_ALIGN);
			bits &= hi < 64 ? ~((UINT64_C(1) << hi) - 1) : 0;
		}
	}
	atomic_fetch_sub_explicit(&p->retained, blocks * SPILL_ALIGN, memory_order_relaxed);
	return blocks;
}

static void chunk_free(struct chunk_pool *p, const uint8_t *d, struct release_batch *b)
{
	size_t off = (size_t)(d - p->region), end = off + p->csz, handed = p->nused * p->csz;
	while (off < end) {
		size_t pg = off / BIG_PAGE, pstart = pg * BIG_PAGE, pend = pstart + BIG_PAGE;
		size_t n = (end < pend ? end : pend) - off;
		size_t expect = (handed < pend ? handed : pend) - pstart; /* off < handed */
		/* acq_rel: the other givers' reads of their chunks come before the release */
		uint32_t was = atomic_fetch_add_explicit(&p->page_freed[pg], (uint32_t)n, memory_order_acq_rel);
		if (was + n == expect) { /* the page's last: all of it goes */
			release_add(b, p->region + pstart, pend <= p->region_len ? BIG_PAGE : p->region_len - pstart);
			take_kept(p, pg, NULL);
		} else if (atomic_fetch_add_explicit(&p->retained, n, memory_order_relaxed) + n <=
			   atomic_load_explicit(&p->retain_max, memory_order_relaxed)) {
			for (size_t k = (off - pstart) / SPILL_ALIGN, e = k + n / SPILL_ALIGN; k < e; k++)
				atomic_fetch_or_explicit(&p->page_bits[pg * PAGE_WORDS + k / 64], UINT64_C(1) << (k % 64),
							 memory_order_release);
		} else { /* kept bytes at their bound: this part goes now (the page splits) */
			atomic_fetch_sub_explicit(&p->retained, n, memory_order_relaxed);
			release_add(b, p->region + off, n);
		}
		off += n;
	}
}

void pool_flush(struct chunk_pool *p)
{
	pool_retain(p, 0);
	if (!atomic_load_explicit(&p->retained, memory_order_relaxed))
		return;
	struct release_batch b;
	b.n = 0;
	for (size_t pg = 0; pg < p->npages; pg++)
		take_kept(p, pg, &b);
	release_flush(&b);
}

/* Give a chain's chunks back (pages into b, released by the caller's
 * release_flush); they are not reused: release happens once the pool's
 * spools are no longer written (a reused pool keeps them: pool_reuse
 * starts again from the region's first chunk). */
static void free_chain(struct chunk_pool *p, struct spool_chunk *c, struct release_batch *b)
{
	for (; c && !p->keep_pages; c = c->next)
		chunk_free(p, c->data, b);
}

/* free_chain of one chain, released now. */
static void free_chain_now(struct chunk_pool *p, struct spool_chunk *c)
{
	struct release_batch b;
	b.n = 0;
	free_chain(p, c, &b);
	release_flush(&b);
}

void pool_trim(struct chunk_pool *p)
{
	free_chain_now(p, p->free);
	p->free = NULL;
}

static void pool_stop_writer(struct chunk_pool *p)
{
	if (!p->writer_started)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->writer, NULL);
	p->writer_started = false;
}

void pool_free(struct chunk_pool *p)
{
	pool_sync(p);
	pool_stop_writer(p);
	big_free(p->region, p->region_len);
	free(p->page_freed);
	free(p->page_bits);
	free(p->hdr);
	free(p->job_iov);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	memset(p, 0, sizeof *p);
}

int spool_init(struct spool *s, const char *dir, const char *prefix, unsigned tid, unsigned nparts,
	       struct chunk_pool *pool, struct spool *peer)
{
	memset(s, 0, sizeof *s);
	s->fd = s->cfd = -1;
	if ((size_t)snprintf(s->path, sizeof s->path, "%s/%s-t%03u.bin", dir, prefix, tid) >= sizeof s->path)
		return -1;
	s->nparts = nparts;
	s->pool = pool;
	s->peer = peer;
	s->head = calloc(nparts, sizeof *s->head);
	s->tail = calloc(nparts, sizeof *s->tail);
	s->stage = malloc((size_t)nparts * SPOOL_STAGE);
	s->slen = calloc(nparts, sizeof *s->slen);
	return s->head && s->tail && s->stage && s->slen ? 0 : -1;
}

static int spool_fail(struct spool *s, int err)
{
	s->error = s->error ? s->error : err;
	return -1;
}

/* The writer thread's part: iov[0..n) completely at off. A direct write
 * the file system refuses (EINVAL: alignment it does not take) is retried
 * buffered, as every later one. Returns 0 or an errno. */
static int write_job(struct spool *s, bool cached, struct iovec *iov, unsigned n, uint64_t off)
{
	unsigned k = 0;
	int fd = cached ? s->cfd : s->fd;
	while (k < n) {
		int cnt = n - k < IOV_MAX ? (int)(n - k) : IOV_MAX;
		ssize_t w = pwritev(fd, iov + k, cnt, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EINVAL && s->direct && !cached) {
			int fl = fcntl(s->fd, F_GETFL);
			if (fl < 0 || fcntl(s->fd, F_SETFL, fl & ~O_DIRECT) < 0)
				return errno;
			s->direct = false;
			continue;
		}
		if (w <= 0)
			return w < 0 ? errno : EIO;
		off += (uint64_t)w;
		while (w > 0) { /* skip what was written */
			if ((size_t)w >= iov[k].iov_len) {
				w -= (ssize_t)iov[k].iov_len;
				k++;
			} else {
				iov[k].iov_base = (char *)iov[k].iov_base + w;
				iov[k].iov_len -= (size_t)w;
				w = 0;
			}
		}
	}
	return 0;
}

static void *pool_writer(void *arg)
{
	struct chunk_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->posted && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->posted)
			break;
		pthread_mutex_unlock(&p->mu);
		int err = write_job(p->job_spool, p->job_cached, p->job_iov, p->job_niov, p->job_off);
		pthread_mutex_lock(&p->mu);
		p->job_err = err;
		p->posted = false;
		p->done = true;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Written chunks (a list) go to the free list, for reuse. */
static void take_back(struct chunk_pool *p, struct spool_chunk *c)
{
	while (c) {
		struct spool_chunk *n = c->next;
		c->next = p->free;
		p->free = c;
		c = n;
	}
}

int pool_sync(struct chunk_pool *p)
{
	if (!p->busy)
		return 0;
	pthread_mutex_lock(&p->mu);
	while (!p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	p->done = false;
	pthread_mutex_unlock(&p->mu);
	p->busy = false;
	take_back(p, p->job_chunks);
	p->job_chunks = NULL;
	return p->job_err ? spool_fail(p->job_spool, p->job_err) : 0;
}

/* Take the spill in flight back if it is written already (no waiting). */
static int pool_reap(struct chunk_pool *p)
{
	if (!p->busy)
		return 0;
	pthread_mutex_lock(&p->mu);
	bool done = p->done;
	pthread_mutex_unlock(&p->mu);
	return done ? pool_sync(p) : 0;
}

static int spool_open(struct spool *s)
{
	/* direct where the file system takes it (tmpfs before Linux 6.6 does not) */
	s->fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | (s->pool->buffered ? 0 : O_DIRECT), 0600);
	s->direct = s->fd >= 0 && !s->pool->buffered;
	if (s->fd < 0 && errno == EINVAL)
		s->fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->fd < 0)
		return spool_fail(s, errno);
	if (s->direct && s->pool->mixed && (s->cfd = open(s->path, O_RDWR | O_CLOEXEC)) < 0)
		return spool_fail(s, errno);
	unlink(s->path); /* nothing is left behind by a crash */
	return 0;
}

/* Hand every partition's chain to the pool's writer thread, to be written
 * at the end of the spool's one file, partition after partition; the
 * spill's piece offsets are kept in memory; the chunks come back to the
 * pool once written (pool_sync). One file per spool: no per-partition
 * files to create, append to and unlink (ext4 inode and block allocation
 * was a tenth of a spilling run). The pool has no spill in flight. */
static int spool_spill(struct spool *s)
{
	struct chunk_pool *p = s->pool;
	if (s->fd < 0 && spool_open(s))
		return -1;
	size_t row = 2 * (size_t)s->nparts;
	if (s->spills == s->offcap) {
		unsigned cap = s->offcap ? 2 * s->offcap : 8;
		uint64_t *o = realloc(s->offs, (size_t)cap * row * sizeof *o);
		if (o)
			s->offs = o;
		bool *c = realloc(s->cached, cap * sizeof *c);
		if (c)
			s->cached = c;
		if (!o || !c)
			return spool_fail(s, ENOMEM);
		s->offcap = cap;
	}
	/* mixed: about half of the bytes through the page cache; with
	 * mixed_when_behind, none until the disk falls behind (through the
	 * page cache every byte costs a copy, and on the benchmark VM a first
	 * touch of the cache page too: perf/RESULTS.md) */
	bool cached = s->cfd >= 0 && (!p->mixed_when_behind || p->behind) && 2 * s->cached_bytes <= s->bytes;
	s->cached[s->spills] = cached;
	uint64_t before = s->bytes;
	uint64_t *o = s->offs + (size_t)s->spills * row, pos = s->file_len;
	unsigned n = 0;
	struct spool_chunk *all = NULL;
	for (unsigned part = 0; part < s->nparts; part++) {
		o[2 * part] = pos;
		uint64_t len = 0;
		for (struct spool_chunk *c = s->head[part]; c; c = c->next) {
			/* full chunks but the last: the piece is contiguous */
			size_t w = (c->len + SPILL_ALIGN - 1) & ~(size_t)(SPILL_ALIGN - 1);
			p->job_iov[n++] = (struct iovec){c->data, w};
			len += c->len;
			pos += w;
		}
		o[2 * part + 1] = o[2 * part] + len;
		s->bytes += len;
		if (s->head[part]) {
			s->tail[part]->next = all;
			all = s->head[part];
			s->head[part] = s->tail[part] = NULL;
		}
	}
	p->held -= s->held;
	s->held = 0;
	s->spills++;
	if (cached)
		s->cached_bytes += s->bytes - before;
	uint64_t off = s->file_len;
	s->file_len = pos;
	if (!n)
		return 0;
	if (!p->buffered && !p->writer_started && !pthread_create(&p->writer, NULL, pool_writer, p))
		p->writer_started = true;
	if (!p->writer_started) {
		/* written here: buffered (the copy into the page cache is CPU
		 * work, nothing to overlap with it), or no writer thread */
		int err = write_job(s, cached, p->job_iov, n, off);
		take_back(p, all);
		return err ? spool_fail(s, err) : 0;
	}
	p->busy = true;
	p->job_chunks = all;
	pthread_mutex_lock(&p->mu);
	p->job_spool = s;
	p->job_cached = cached;
	p->job_niov = n;
	p->job_off = off;
	p->posted = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int spool_sync(struct spool *s)
{
	if (s->pool->job_spool == s && pool_sync(s->pool))
		return -1;
	return s->error ? -1 : 0;
}

static struct spool_chunk *spool_chunk(struct spool *s)
{
	struct chunk_pool *p = s->pool;
	if (!p->free && pool_reap(p))
		return NULL;
	/* the spool of the pool holding more chunks spills (when the pool
	 * needs chunks, it has at least one, so the free list gets some) */
	struct spool *v = s->peer && s->peer->held > s->held ? s->peer : s;
	/* in the background, while the rest of the budget fills: from half
	 * of it on, or as soon as what is still to come fits in the budget
	 * but not on top of what is held (then the rest stays in memory) */
	size_t held = p->held * p->csz;
	bool fits_later = p->to_come <= p->budget;
	if (!p->buffered && !p->busy && p->held && held + (fits_later ? p->to_come : p->budget) > p->budget &&
	    (2 * held >= p->budget || fits_later) && spool_spill(v))
		return NULL;
	if (!p->free && p->nused && (p->nused + 1) * p->csz > p->budget) {
		/* every chunk is handed out: wait for the spill in flight
		 * (waiting on the disk is mixed_when_behind's cue) */
		if (!p->busy && spool_spill(v))
			return NULL;
		p->behind = true;
		if (pool_sync(p))
			return NULL;
	}
	struct spool_chunk *c = p->free;
	if (c) {
		p->free = c->next;
	} else {
		if (p->nused == p->nchunks) { /* not reached: the budget check comes first */
			s->error = ENOMEM;
			return NULL;
		}
		c = &p->hdr[p->nused];
		c->data = p->region + p->nused * p->csz;
		p->nused++;
	}
	s->held++;
	p->held++;
	p->produced += p->csz;
	c->next = NULL;
	c->len = 0;
	return c;
}

static int chain_put(struct spool *s, unsigned part, const uint8_t *rec, size_t n);

/* Room for n <= SPOOL_STAGE bytes at the end of the partition's staging
 * slot; when short of it the slot moves to the chain first (bytes keep
 * their order; a spill on the way writes the slot itself). NULL on
 * failure (s->error set). */
static uint8_t *slot_room(struct spool *s, unsigned part, size_t n)
{
	uint8_t *slot = s->stage + (size_t)part * SPOOL_STAGE;
	size_t have = s->slen[part];
	if (have + n > SPOOL_STAGE) {
		s->slen[part] = 0;
		if (have && chain_put(s, part, slot, have))
			return NULL;
	}
	return slot + s->slen[part];
}

int spool_put(struct spool *s, unsigned part, const uint8_t *rec, size_t n)
{
	if (n > SPOOL_STAGE) {
		if (!slot_room(s, part, SPOOL_STAGE)) /* empties the slot */
			return -1;
		return chain_put(s, part, rec, n);
	}
	uint8_t *d = slot_room(s, part, n);
	if (!d)
		return -1;
	memcpy(d, rec, n);
	s->slen[part] = (uint16_t)(s->slen[part] + n);
	return 0;
}

/* The most common record: a device's event with a 16-byte key (a packed
 * UUID) and nothing optional (no sequence, money, aux, event name or UA
 * family): touches, installs, sessions. Written with fixed stores, the
 * same bytes prec_encode writes (test_attr checks). */
#define PREC_SIMPLE (PREC_FIXED + 2u + 16u)
static inline bool prec_simple(const struct prec_in *in)
{
	const struct unmo_event *e = in->e;
	return in->kind == PR_DEV && e && !(in->flags & PF_SEQ) && !e->revenue_micros && !e->currency[0] &&
	       !in->aux32 && !in->aux64 && in->s[PS_KEY].len == 16 && !in->s[PS_NAME].len && !in->s[PS_FAM].len;
}

static inline void prec_encode_simple(uint8_t *p, const struct prec_in *in)
{
	const struct unmo_event *e = in->e;
	unmo_st16(p, PREC_SIMPLE);
	p[PO_KIND] = in->kind;
	p[PO_TYPE] = in->type;
	p[PO_FLAGS] = in->flags & (PF_RT | PF_KEY_UUID | PF_ZEROED);
	p[PO_KEY_KIND] = in->key_kind;
	p[PO_IPV] = 0;
	p[PO_MASK] = 1u << PS_KEY;
	unmo_st64(p + PO_GHASH, in->ghash);
	unmo_st64(p + PO_T, (uint64_t)e->event_time_us);
	unmo_st64(p + PO_RECV, (uint64_t)e->recv_time_us);
	memcpy(p + PO_ID, e->event_id, 16);
	unmo_st32(p + PO_APP, in->app);
	unmo_st32(p + PO_SC, in->sc);
	unmo_st16(p + 56, 16);
	memcpy(p + 58, in->s[PS_KEY].p, 16);
}

int prec_put(struct spool *s, unsigned part, const struct prec_in *in, uint8_t *scratch)
{
	if (prec_simple(in)) {
		uint8_t *d = slot_room(s, part, PREC_SIMPLE);
		if (!d)
			return -1;
		prec_encode_simple(d, in);
		s->slen[part] = (uint16_t)(s->slen[part] + PREC_SIMPLE);
		return 0;
	}
	size_t n = prec_size(in);
	if (n > SPOOL_STAGE)
		return spool_put(s, part, scratch, prec_encode(scratch, in));
	uint8_t *d = slot_room(s, part, n);
	if (!d)
		return -1;
	prec_encode(d, in); /* n bytes: prec_size is exact (test_attr checks) */
	s->slen[part] = (uint16_t)(s->slen[part] + n);
	return 0;
}

static int chain_put(struct spool *s, unsigned part, const uint8_t *rec, size_t n)
{
	/* Room for all n bytes first: a spill while chunks are taken then
	 * finds whole records only, so every spilled piece is whole records
	 * and is read back without a walk over them. Records may straddle two
	 * chunks of a chain (loading joins them). */
	size_t csz = s->pool->csz;
	struct spool_chunk *c = s->tail[part]; /* where the bytes start */
	size_t room = c ? csz - c->len : 0;
	while (room < n) {
		unsigned spills = s->spills;
		struct spool_chunk *nc = spool_chunk(s);
		if (!nc)
			return -1;
		if (s->spills != spills) { /* this chain went to the file: start again */
			c = s->tail[part];
			room = c ? csz - c->len : 0;
		}
		if (s->tail[part])
			s->tail[part]->next = nc;
		else
			s->head[part] = nc;
		s->tail[part] = nc;
		if (!c || c->len == csz)
			c = nc;
		room += csz;
	}
	while (n) {
		size_t k = csz - c->len < n ? csz - c->len : n;
		memcpy(c->data + c->len, rec, k);
		c->len += k;
		rec += k;
		n -= k;
		if (n)
			c = c->next;
	}
	return 0;
}

void spool_free(struct spool *s)
{
	if (s->pool && s->pool->busy && s->pool->job_spool == s)
		pool_sync(s->pool); /* the writer thread uses s->fd */
	free(s->head);
	free(s->tail);
	free(s->stage);
	free(s->slen);
	free(s->offs);
	free(s->cached);
	s->offs = NULL;
	s->cached = NULL;
	if (s->fd >= 0)
		close(s->fd);
	if (s->cfd >= 0)
		close(s->cfd);
	s->fd = s->cfd = -1;
	s->head = s->tail = NULL;
	s->stage = NULL;
	s->slen = NULL;
}

/* ---- apps ---- */
int apps_init(struct attr_apps *t)
{
	memset(t, 0, sizeof *t);
	if (pthread_mutex_init(&t->mu, NULL))
		return -1;
	t->cap = 16;
	t->v = calloc(t->cap, sizeof *t->v);
	t->hv = calloc(t->cap, sizeof *t->hv);
	t->tabcap = 64;
	t->tab = calloc(t->tabcap, sizeof *t->tab);
	t->n = 1; /* index 0: no app */
	return t->v && t->hv && t->tab ? 0 : -1;
}

static uint64_t app_hash(struct unmo_str s)
{
	return XXH3_64bits(s.p ? s.p : "", s.len);
}

static int apps_grow(struct attr_apps *t)
{
	size_t cap = t->tabcap * 2;
	uint64_t *tab = calloc_written(cap, sizeof *tab);
	if (!tab)
		return -1;
	for (uint32_t i = 1; i < t->n; i++) {
		size_t h = t->hv[i] & (cap - 1);
		while (tab[h])
			h = (h + 1) & (cap - 1);
		tab[h] = (t->hv[i] >> 32) << 32 | i;
	}
	free(t->tab);
	t->tab = tab;
	t->tabcap = cap;
	return 0;
}

#define APPS_BLOCK ((size_t)64 << 10)

/* Room for n bytes of a string in t's blocks. Under t->mu. */
static char *apps_bytes(struct attr_apps *t, size_t n)
{
	if (t->blk_cap - t->blk_used < n) {
		size_t cap = sizeof(char *) + (n > APPS_BLOCK ? n : APPS_BLOCK);
		char *b = malloc(cap);
		if (!b)
			return NULL;
		memcpy(b, &t->blk, sizeof t->blk); /* the block before */
		t->blk = b;
		t->blk_used = sizeof(char *);
		t->blk_cap = cap;
	}
	char *p = t->blk + t->blk_used;
	t->blk_used += n;
	return p;
}

uint32_t apps_intern_get(struct attr_apps *t, struct unmo_str app, struct unmo_str *stored, uint64_t *hash)
{
	uint64_t hh = app_hash(app);
	if (hash)
		*hash = hh;
	if (stored)
		*stored = (struct unmo_str){0};
	if (!app.len)
		return 0;
	uint32_t idx = UINT32_MAX;
	uint64_t tag = (hh >> 32) << 32;
	pthread_mutex_lock(&t->mu);
	size_t h = hh & (t->tabcap - 1);
	for (; t->tab[h]; h = (h + 1) & (t->tabcap - 1))
		if ((t->tab[h] & ~(uint64_t)UINT32_MAX) == tag && str_eq_fast(t->v[(uint32_t)t->tab[h]], app)) {
			idx = (uint32_t)t->tab[h];
			goto out;
		}
	if (t->n == t->cap) {
		struct unmo_str *v = realloc(t->v, 2 * t->cap * sizeof *v);
		if (v)
			t->v = v;
		uint64_t *hv = v ? realloc(t->hv, 2 * t->cap * sizeof *hv) : NULL;
		if (hv)
			t->hv = hv;
		if (!v || !hv)
			goto out;
		t->cap *= 2;
	}
	char *copy = apps_bytes(t, app.len);
	if (!copy)
		goto out;
	memcpy(copy, app.p, app.len);
	t->v[t->n] = (struct unmo_str){copy, app.len};
	t->hv[t->n] = hh;
	t->tab[h] = tag | t->n;
	idx = t->n++;
	if (2 * t->n > t->tabcap && apps_grow(t))
		idx = UINT32_MAX;
out:
	if (stored && idx != UINT32_MAX)
		*stored = t->v[idx];
	pthread_mutex_unlock(&t->mu);
	return idx;
}

uint32_t apps_intern(struct attr_apps *t, struct unmo_str app)
{
	return apps_intern_get(t, app, NULL, NULL);
}

uint32_t apps_find(const struct attr_apps *t, struct unmo_str s)
{
	if (!s.len)
		return 0;
	uint64_t hh = app_hash(s), tag = (hh >> 32) << 32;
	for (size_t h = hh & (t->tabcap - 1); t->tab[h]; h = (h + 1) & (t->tabcap - 1))
		if ((t->tab[h] & ~(uint64_t)UINT32_MAX) == tag && str_eq_fast(t->v[(uint32_t)t->tab[h]], s))
			return (uint32_t)t->tab[h];
	return UINT32_MAX;
}

void apps_fit(struct attr_apps *t)
{
	struct unmo_str *v = realloc(t->v, (size_t)t->n * sizeof *v);
	if (v)
		t->v = v;
	uint64_t *hv = v ? realloc(t->hv, (size_t)t->n * sizeof *hv) : NULL;
	if (hv)
		t->hv = hv;
	if (v) /* hv holds at least as many */
		t->cap = t->n;
}

void apps_free(struct attr_apps *t)
{
	if (!t->tab)
		return;
	while (t->blk) {
		char *prev;
		memcpy(&prev, t->blk, sizeof prev);
		free(t->blk);
		t->blk = prev;
	}
	free(t->v);
	free(t->hv);
	free(t->tab);
	pthread_mutex_destroy(&t->mu);
	memset(t, 0, sizeof *t);
}

/* ---- record codec ---- */
/* The strings a record carries, in record order (app, source and campaign
 * travel as table indexes). */
static const uint8_t rec_strs[3] = {PS_KEY, PS_NAME, PS_FAM};
static uint8_t *put_str(uint8_t *p, struct unmo_str s)
{
	unmo_st16(p, s.len);
	if (s.len == 16) /* packed UUID keys, event ids: a fixed copy, no call */
		memcpy(p + 2, s.p, 16);
	else if (s.len)
		memcpy(p + 2, s.p, s.len);
	return p + 2 + s.len;
}

static uint8_t *put_ptouch(uint8_t *p, const struct ptouch *t)
{
	*p++ = t->present;
	if (!t->present)
		return p;
	*p++ = t->rt;
	memcpy(p, t->id, 16);
	unmo_st64(p + 16, (uint64_t)t->t);
	unmo_st64(p + 24, (uint64_t)t->recv);
	p = put_str(p + 32, t->src);
	return put_str(p, t->camp);
}

static size_t ptouch_size(const struct ptouch *t)
{
	return t->present ? 1u + 1u + 32u + 2u + t->src.len + 2u + t->camp.len : 1u;
}

size_t prec_size(const struct prec_in *in)
{
	const struct unmo_event *e = in->e;
	size_t n = PREC_FIXED;
	n += in->flags & PF_SEQ ? 16u : 0u;
	n += e && (e->revenue_micros || e->currency[0]) ? 12u : 0u;
	n += in->aux32 || in->aux64 ? 12u : 0u;
	if (e && in->kind != PR_DEV)
		n += e->ip_version == 4 ? 4u : e->ip_version == 6 ? 16u : 0u;
	for (int k = 0; k < 3; k++)
		if (in->s[rec_strs[k]].len)
			n += 2u + in->s[rec_strs[k]].len;
	if (in->kind == PR_ANSWER)
		n += ptouch_size(&in->ans[0]) + ptouch_size(&in->ans[1]);
	return n;
}

size_t prec_encode(uint8_t *dst, const struct prec_in *in)
{
	const struct unmo_event *e = in->e;
	uint8_t *p = dst, flags = in->flags & (PF_RT | PF_SEQ | PF_KEY_UUID | PF_ZEROED), mask = 0;
	bool money = e && (e->revenue_micros || e->currency[0]);
	bool aux = in->aux32 || in->aux64;
	flags |= (money ? PF_MONEY : 0) | (aux ? PF_AUX : 0);
	for (int k = 0; k < 3; k++)
		if (in->s[rec_strs[k]].len)
			mask |= (uint8_t)(1u << rec_strs[k]);
	p[PO_KIND] = in->kind;
	p[PO_TYPE] = in->type;
	p[PO_FLAGS] = flags;
	p[PO_KEY_KIND] = in->key_kind;
	p[PO_IPV] = e && in->kind != PR_DEV ? e->ip_version : 0;
	p[PO_MASK] = mask;
	unmo_st64(p + PO_GHASH, in->ghash);
	if (e) {
		unmo_st64(p + PO_T, (uint64_t)e->event_time_us);
		unmo_st64(p + PO_RECV, (uint64_t)e->recv_time_us);
		memcpy(p + PO_ID, e->event_id, 16);
	} else {
		unmo_st64(p + PO_T, (uint64_t)in->t);
		unmo_st64(p + PO_RECV, 0);
		memcpy(p + PO_ID, in->id, 16);
	}
	unmo_st32(p + PO_APP, in->app);
	unmo_st32(p + PO_SC, in->sc);
	p += PREC_FIXED;
	if (flags & PF_SEQ) {
		unmo_st64(p, e->sender_id);
		unmo_st64(p + 8, e->sequence);
		p += 16;
	}
	if (money) {
		unmo_st64(p, (uint64_t)e->revenue_micros);
		memcpy(p + 8, e->currency, 3);
		p[11] = 0;
		p += 12;
	}
	if (aux) {
		unmo_st32(p, in->aux32);
		unmo_st64(p + 4, in->aux64);
		p += 12;
	}
	uint8_t ipv = dst[PO_IPV];
	size_t il = ipv == 4 ? 4 : ipv == 6 ? 16 : 0;
	if (il) {
		memcpy(p, e->ip, il);
		p += il;
	}
	for (int k = 0; k < 3; k++)
		if (mask & (1u << rec_strs[k]))
			p = put_str(p, in->s[rec_strs[k]]);
	if (in->kind == PR_ANSWER) {
		p = put_ptouch(p, &in->ans[0]);
		p = put_ptouch(p, &in->ans[1]);
	}
	size_t n = (size_t)(p - dst);
	unmo_st16(dst, (uint16_t)n);
	return n;
}

static const uint8_t *get_str(const uint8_t *p, const uint8_t *end, struct unmo_str *s)
{
	if (!p || end - p < 2)
		return NULL;
	uint16_t n = unmo_ld16(p);
	if ((size_t)(end - p - 2) < n)
		return NULL;
	s->p = (const char *)p + 2;
	s->len = n;
	return p + 2 + n;
}

static const uint8_t *get_ptouch(const uint8_t *p, const uint8_t *end, struct ptouch *t)
{
	if (!p || p >= end)
		return NULL;
	memset(t, 0, sizeof *t);
	t->present = *p++;
	if (!t->present)
		return p;
	if (end - p < 33)
		return NULL;
	t->rt = *p++;
	memcpy(t->id, p, 16);
	t->t = (int64_t)unmo_ld64(p + 16);
	t->recv = (int64_t)unmo_ld64(p + 24);
	p = get_str(p + 32, end, &t->src);
	return get_str(p, end, &t->camp);
}

void prec_answer(const struct ev *e, struct ptouch out[2])
{
	const uint8_t *end = e->raw + e->rawlen;
	const uint8_t *p = get_ptouch(e->tail, end, &out[0]);
	get_ptouch(p, end, &out[1]); /* validated by prec_decode_all */
}

/* Decoded records (answers, tests) in big_alloc memory. */
static int evvec_grow(struct evvec *v)
{
	size_t cap = v->cap ? v->cap * 2 : ((size_t)2 << 20) / sizeof(struct ev);
	struct ev *n = big_alloc(cap * sizeof *n);
	if (!n)
		return -1;
	if (v->n)
		memcpy(n, v->v, v->n * sizeof *n);
	big_free(v->v, v->cap * sizeof *v->v);
	v->v = n;
	v->cap = cap;
	return 0;
}

void evvec_free(struct evvec *v)
{
	big_free(v->v, v->cap * sizeof *v->v);
	memset(v, 0, sizeof *v);
}

size_t sc_key(uint8_t *key, struct unmo_str src, struct unmo_str camp)
{
	if (!src.len && !camp.len)
		return 0;
	unmo_st16(key, src.len);
	if (src.len)
		memcpy(key + 2, src.p, src.len);
	if (camp.len)
		memcpy(key + 2 + src.len, camp.p, camp.len);
	return 2u + src.len + camp.len;
}

/* The app, source and campaign views of e (from the tables). */
static inline void ev_table_strs(struct ev *e, const struct attr_apps *apps, const struct attr_apps *scs)
{
	e->s[PS_APP] = apps->v[e->app];
	sc_names(scs->v[e->sc], &e->s[PS_SRC], &e->s[PS_CAMP]);
}

/* The rest of a PREC_SIMPLE record r (header fields already in e). */
static inline void decode_simple(struct ev *e, const uint8_t *r, const struct attr_apps *apps,
				 const struct attr_apps *scs)
{
	e->sender = e->seq = 0;
	e->revenue = 0;
	memset(e->cur, 0, 4);
	e->aux32 = 0;
	e->aux64 = 0;
	e->ip = r + PREC_FIXED;
	e->s[PS_KEY] = (struct unmo_str){(const char *)r + PREC_FIXED + 2, 16};
	e->s[PS_NAME] = e->s[PS_FAM] = (struct unmo_str){NULL, 0};
	ev_table_strs(e, apps, scs);
	e->tail = r + PREC_SIMPLE;
	e->row = NULL;
	e->raw = r;
	e->rawlen = PREC_SIMPLE;
}

size_t prec_decode_one(const uint8_t *r, size_t avail, struct ev *e, const struct attr_apps *apps,
		       const struct attr_apps *scs)
{
	if (avail < PREC_FIXED)
		return 0;
	size_t len = unmo_ld16(r);
	if (len < PREC_FIXED || len > avail)
		return 0;
	const uint8_t *end = r + len;
	e->kind = r[PO_KIND];
	e->type = r[PO_TYPE];
	e->flags = r[PO_FLAGS];
	e->key_kind = r[PO_KEY_KIND];
	e->ipv = r[PO_IPV];
	uint8_t mask = r[PO_MASK];
	e->dead = 0;
	e->ghash = unmo_ld64(r + PO_GHASH);
	e->t = (int64_t)unmo_ld64(r + PO_T);
	e->recv = (int64_t)unmo_ld64(r + PO_RECV);
	memcpy(e->id, r + PO_ID, 16);
	e->app = unmo_ld32(r + PO_APP);
	e->sc = unmo_ld32(r + PO_SC);
	const uint8_t *p = r + PREC_FIXED;
	if (len == PREC_SIMPLE && mask == 1u << PS_KEY && e->kind == PR_DEV && e->ipv == 0 &&
	    !(e->flags & (PF_SEQ | PF_MONEY | PF_AUX)) && unmo_ld16(p) == 16 && e->app < apps->n && e->sc < scs->n) {
		/* prec_put's fixed-store record: the same fields as below,
		 * without the optional parts' branches and bounds checks */
		decode_simple(e, r, apps, scs);
		return len;
	}
	e->sender = e->seq = 0;
	e->revenue = 0;
	memset(e->cur, 0, 4);
	e->aux32 = 0;
	e->aux64 = 0;
	size_t il = e->ipv == 4 ? 4 : e->ipv == 6 ? 16 : 0;
	size_t opt = (e->flags & PF_SEQ ? 16u : 0u) + (e->flags & PF_MONEY ? 12u : 0u) +
		     (e->flags & PF_AUX ? 12u : 0u) + il;
	if ((size_t)(end - p) < opt || (mask >> PSTR_COUNT) ||
	    (mask & (1u << PS_APP | 1u << PS_SRC | 1u << PS_CAMP)) || e->app >= apps->n || e->sc >= scs->n)
		return 0;
	if (e->flags & PF_SEQ) {
		e->sender = unmo_ld64(p);
		e->seq = unmo_ld64(p + 8);
		p += 16;
	}
	if (e->flags & PF_MONEY) {
		e->revenue = (int64_t)unmo_ld64(p);
		memcpy(e->cur, p + 8, 3);
		p += 12;
	}
	if (e->flags & PF_AUX) {
		e->aux32 = unmo_ld32(p);
		e->aux64 = unmo_ld64(p + 4);
		p += 12;
	}
	e->ip = p;
	p += il;
	for (int k = 0; k < 3; k++) {
		struct unmo_str *str = &e->s[rec_strs[k]];
		if (mask & (1u << rec_strs[k]))
			p = get_str(p, end, str);
		else
			*str = (struct unmo_str){NULL, 0};
	}
	ev_table_strs(e, apps, scs);
	e->tail = p;
	e->row = NULL;
	if (e->kind == PR_ANSWER) {
		struct ptouch t[2];
		p = get_ptouch(p, end, &t[0]);
		p = get_ptouch(p, end, &t[1]);
	}
	if (p != end)
		return 0;
	e->raw = r;
	e->rawlen = (uint32_t)len;
	return len;
}

int prec_decode_all(const uint8_t *buf, size_t n, struct evvec *v, const struct attr_apps *apps,
		    const struct attr_apps *scs)
{
	size_t off = 0;
	while (off < n) {
		if (v->n == v->cap && evvec_grow(v))
			return -1;
		size_t len = prec_decode_one(buf + off, n - off, &v->v[v->n], apps, scs);
		if (!len)
			return -1;
		v->n++;
		off += len;
	}
	return 0;
}

static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : (size_t)2 << 20;
	while (c < need)
		c *= 2;
	big_free(*buf, *cap); /* nothing to keep: the buffer is filled from the start */
	*buf = big_alloc(c);
	*cap = *buf ? c : 0;
	return *buf ? 0 : -1;
}

static int grow_bytes(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *n = realloc(*p, c * elem);
	if (!n)
		return -1;
	*p = n;
	*cap = c;
	return 0;
}

static int add_raw(struct part_view *pv, const uint8_t *p, size_t n, unsigned stream, bool whole)
{
	if (!n)
		return 0;
	if (grow_bytes((void **)&pv->raw, &pv->rawcap, pv->nraw + 1, sizeof *pv->raw))
		return -1;
	pv->raw[pv->nraw++] = (struct part_raw){p, n, stream, whole};
	pv->bytes += n;
	return 0;
}

/* Read rd completely (what the ring did not). Pieces end before the end
 * of the file's padding: at least len bytes are there. A direct read the
 * file system refuses (EINVAL) is retried through the page cache, as the
 * writer does (the file's pages are coherent with what was written). */
static int read_rest(const struct part_read *rd, size_t got)
{
	while (got < rd->len) {
		ssize_t r = pread(rd->fd, rd->dst + got, rd->alen - got, (off_t)(rd->off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL) {
			int fl = fcntl(rd->fd, F_GETFL);
			if (fl >= 0 && (fl & O_DIRECT) && fcntl(rd->fd, F_SETFL, fl & ~O_DIRECT) == 0)
				continue;
		}
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Queue reads rd[0..n) on ring, each counted in its view's pending, as
 * many as the ring takes (the rest are read by read_rest when waited for,
 * their res staying 0). No ring: none. */
static void ring_queue(struct io_uring *ring, struct part_read *rd, size_t n)
{
	size_t queued = 0;
	for (; ring && queued < n; queued++) {
		struct io_uring_sqe *q = io_uring_get_sqe(ring);
		if (!q && io_uring_submit(ring) >= 0)
			q = io_uring_get_sqe(ring);
		if (!q)
			break;
		io_uring_prep_read(q, rd[queued].fd, rd[queued].dst, (unsigned)rd[queued].alen, rd[queued].off);
		io_uring_sqe_set_data(q, &rd[queued]);
		rd[queued].pv->pending++;
	}
	if (queued)
		io_uring_submit(ring);
}

/* Wait until pv's reads on ring are done; the thread's other views' reads
 * on it that complete meanwhile are marked done in theirs. Then the reads
 * the ring did not do, or did short. 0, or -1 (a read failed, or the ring
 * broke: the caller gives up). */
static int ring_wait(struct io_uring *ring, struct part_view *pv, struct part_read *rd, size_t n)
{
	while (pv->pending) {
		struct io_uring_cqe *cqe;
		int w;
		while ((w = io_uring_wait_cqe(ring, &cqe)) == -EINTR)
			;
		if (w < 0)
			return -1;
		struct part_read *r = io_uring_cqe_get_data(cqe);
		r->res = cqe->res ? cqe->res : -EIO; /* 0: end of file before the piece */
		r->pv->pending--;
		io_uring_cqe_seen(ring, cqe);
	}
	int rc = 0;
	for (size_t i = 0; !rc && i < n; i++)
		rc = read_rest(&rd[i], rd[i].res > 0 ? (size_t)rd[i].res : 0);
	return rc;
}

int part_load_start(struct spool *sp, unsigned nsp, unsigned part, struct part_view *pv, struct io_uring *ring)
{
	pv->n = pv->sn = pv->nsegs = pv->nraw = pv->nreads = pv->pending = 0;
	pv->bytes = 0;
	pv->ring = ring;
	pv->failed = false;
	/* spilled pieces: sizes first, so the buffer is sized once */
	size_t total = 0, nreads = 0;
	for (unsigned t = 0; t < nsp; t++) {
		struct spool *s = &sp[t];
		if ((s->pool->busy || s->error) && spool_sync(s)) /* no-op once synced (pass 2 syncs first) */
			return pv->failed = true, -1;
		for (unsigned k = 0; k < s->spills; k++) {
			const uint64_t *o = s->offs + 2 * ((size_t)k * s->nparts + part);
			total += (o[1] - o[0] + SPILL_ALIGN - 1) & ~(size_t)(SPILL_ALIGN - 1);
			nreads += o[1] > o[0];
		}
	}
	if (reserve(&pv->buf, &pv->cap, total ? total : 1) ||
	    grow_bytes((void **)&pv->reads, &pv->readcap, nreads, sizeof *pv->reads) ||
	    grow_bytes((void **)&pv->held, &pv->heldcap, pv->nheld + nsp, sizeof *pv->held))
		return pv->failed = true, -1;
	for (unsigned t = 0; t < nsp; t++) {
		struct spool *s = &sp[t];
		for (unsigned k = 0; k < s->spills; k++) { /* the partition's piece of each spill */
			const uint64_t *o = s->offs + 2 * ((size_t)k * s->nparts + part);
			size_t len = o[1] - o[0], alen = (len + SPILL_ALIGN - 1) & ~(size_t)(SPILL_ALIGN - 1);
			if (!len)
				continue;
			/* whole 4 KB blocks to a page-aligned place: direct I/O */
			struct part_read *rd = &pv->reads[pv->nreads++];
			*rd = (struct part_read){s->cached[k] ? s->cfd : s->fd, pv->buf + pv->n, len, alen, o[0], pv, 0};
			if (add_raw(pv, rd->dst, len, t, true)) /* chain_put: no record spans a spill */
				return pv->failed = true, -1;
			pv->n += alen;
		}
		/* the chain and the staging slot are read where they are; the
		 * chain is held until part_release (pass 1 is over: nobody else
		 * takes this partition's slot or chain) */
		struct spool_chunk *c = s->head[part];
		s->head[part] = s->tail[part] = NULL;
		if (c)
			pv->held[pv->nheld++] = (struct part_hold){s->pool, c};
		for (; c; c = c->next)
			if (add_raw(pv, c->data, c->len, t, false))
				return pv->failed = true, -1;
		if (add_raw(pv, s->stage + (size_t)part * SPOOL_STAGE, s->slen[part], t, true))
			return pv->failed = true, -1;
		s->slen[part] = 0;
	}
	ring_queue(ring, pv->reads, pv->nreads); /* the rest is read in part_load_finish */
	return 0;
}

/* Cut the partition's byte streams (one per spool: its pieces, its chain's
 * chunks, its slot, in order) into whole records: runs of them are viewed
 * in place (segs); a record cut by a chunk boundary is gathered in sbuf.
 * Pieces and slots hold whole records (chain_put) and are not walked.
 * Temp files are ours: a malformed stream is an I/O error. */
static int cut_records(struct part_view *pv)
{
	size_t pend = 0, start = 0; /* bytes of the cut record in sbuf from start */
	for (size_t i = 0; i < pv->nraw; i++) {
		const struct part_raw *r = &pv->raw[i];
		if (i && r->stream != pv->raw[i - 1].stream && pend)
			return -1; /* a stream ended inside a record */
		if (r->whole) { /* records checked when decoded */
			if (pend) /* a chain ends on a record's end */
				return -1;
			if (grow_bytes((void **)&pv->segs, &pv->segcap, pv->nsegs + 1, sizeof *pv->segs))
				return -1;
			pv->segs[pv->nsegs++] = (struct part_seg){r->p, r->n};
			continue;
		}
		size_t pos = 0;
		while (pend && pos < r->n) { /* complete the cut record first */
			size_t need = pend >= 2 ? unmo_ld16(pv->sbuf + start) : 2;
			size_t k = need - pend < r->n - pos ? need - pend : r->n - pos;
			memcpy(pv->sbuf + start + pend, r->p + pos, k);
			pos += k;
			pend += k;
			if (pend == 2) {
				size_t len = unmo_ld16(pv->sbuf + start);
				if (len < PREC_FIXED ||
				    grow_bytes((void **)&pv->sbuf, &pv->scap, start + len, 1))
					return -1;
			} else if (pend == need) {
				pv->sn = start + pend;
				pend = 0;
			}
		}
		size_t from = pos;
		while (r->n - pos >= 2) {
			size_t len = unmo_ld16(r->p + pos);
			if (len < PREC_FIXED)
				return -1;
			if (len > r->n - pos)
				break;
			pos += len;
		}
		if (pos > from) {
			if (grow_bytes((void **)&pv->segs, &pv->segcap, pv->nsegs + 1, sizeof *pv->segs))
				return -1;
			pv->segs[pv->nsegs++] = (struct part_seg){r->p + from, pos - from};
		}
		if (pos < r->n) { /* a record starts here and goes on in the next */
			start = pv->sn;
			pend = r->n - pos;
			size_t len = pend >= 2 ? unmo_ld16(r->p + pos) : 2;
			if (len < (pend >= 2 ? PREC_FIXED : 2) || grow_bytes((void **)&pv->sbuf, &pv->scap, start + len, 1))
				return -1;
			memcpy(pv->sbuf + start, r->p + pos, pend);
		}
	}
	return pend ? -1 : 0;
}

int part_load_finish(struct part_view *pv)
{
	/* every completion is taken, even after a failure: none is left to
	 * another view's wait */
	if (pv->failed) {
		ring_wait(pv->ring, pv, pv->reads, 0);
		return -1;
	}
	return ring_wait(pv->ring, pv, pv->reads, pv->nreads) ? -1 : cut_records(pv);
}

uint64_t part_size(const struct spool *sp, unsigned nsp, unsigned part)
{
	uint64_t n = 0;
	for (unsigned t = 0; t < nsp; t++) {
		const struct spool *s = &sp[t];
		for (unsigned k = 0; k < s->spills; k++) {
			const uint64_t *o = s->offs + 2 * ((size_t)k * s->nparts + part);
			n += o[1] - o[0];
		}
		for (const struct spool_chunk *c = s->head[part]; c; c = c->next)
			n += c->len;
		n += s->slen[part];
	}
	return n;
}

/* The record bytes of one stream, fed in pieces of any size: whole records
 * go to fn where they lie, one cut by a piece's end is gathered first. */
struct feeder {
	int (*fn)(void *ctx, const uint8_t *rec, size_t len);
	void *ctx;
	uint8_t cut[PREC_MAX];
	size_t ncut;
};

static int feed(struct feeder *f, const uint8_t *p, size_t n)
{
	while (f->ncut && n) { /* complete the cut record first */
		size_t need = f->ncut >= 2 ? unmo_ld16(f->cut) : 2;
		size_t k = need - f->ncut < n ? need - f->ncut : n;
		memcpy(f->cut + f->ncut, p, k);
		f->ncut += k;
		p += k;
		n -= k;
		if (f->ncut == 2 && (unmo_ld16(f->cut) < PREC_FIXED || unmo_ld16(f->cut) > PREC_MAX))
			return -1;
		if (f->ncut > 2 && f->ncut == unmo_ld16(f->cut)) {
			if (f->fn(f->ctx, f->cut, f->ncut))
				return -1;
			f->ncut = 0;
		}
	}
	while (n >= 2) {
		size_t len = unmo_ld16(p);
		if (len < PREC_FIXED || len > PREC_MAX)
			return -1;
		if (len > n)
			break;
		if (f->fn(f->ctx, p, len))
			return -1;
		p += len;
		n -= len;
	}
	memcpy(f->cut + f->ncut, p, n); /* n < a record: fits */
	f->ncut += n;
	return 0;
}

/* Read rd[0..n) (on ring at once when there is one, else one by one):
 * the reads' owner is a view of their own, so the ring's completions go
 * where part_load_finish sends those of loads. */
static int read_batch(struct part_read *rd, size_t n, struct io_uring *ring)
{
	struct part_view own = {0};
	for (size_t i = 0; i < n; i++)
		rd[i].pv = &own;
	ring_queue(ring, rd, n);
	return ring_wait(ring, &own, rd, n);
}

int part_stream(struct spool *sp, unsigned nsp, unsigned part, uint8_t *buf, size_t cap, struct io_uring *ring,
		int (*fn)(void *ctx, const uint8_t *rec, size_t len), void *ctx)
{
	struct feeder *f = malloc(sizeof *f);
	size_t most = cap / SPILL_ALIGN; /* pieces in one batch */
	struct part_read *rd = malloc(most * sizeof *rd);
	int rc = f && rd ? 0 : -1;
	if (f) {
		f->fn = fn;
		f->ctx = ctx;
	}
	for (unsigned t = 0; t < nsp && !rc; t++) {
		struct spool *s = &sp[t];
		if ((s->pool->busy || s->error) && spool_sync(s)) {
			rc = -1;
			break;
		}
		f->ncut = 0;
		/* the pieces, as many as fit in buf read at once (a piece larger
		 * than buf: cap bytes at a time), fed in order */
		unsigned k = 0;
		uint64_t from = 0; /* of piece k, what is not read yet */
		while (k < s->spills && !rc) {
			size_t n = 0, used = 0;
			while (k < s->spills && n < most && used < cap) {
				const uint64_t *o = s->offs + 2 * ((size_t)k * s->nparts + part);
				uint64_t off = o[0] + from;
				size_t len = (size_t)(o[1] - off < cap - used ? o[1] - off : cap - used);
				size_t alen = (len + SPILL_ALIGN - 1) & ~(size_t)(SPILL_ALIGN - 1);
				if (len && (used + alen > cap || (len < o[1] - off && used)))
					break; /* the next batch */
				if (len)
					rd[n++] = (struct part_read){s->cached[k] ? s->cfd : s->fd, buf + used, len, alen, off, NULL, 0};
				used += alen;
				if (off + len == o[1]) {
					k++;
					from = 0;
				} else {
					from += len;
				}
			}
			rc = read_batch(rd, n, ring);
			for (size_t i = 0; i < n && !rc; i++)
				rc = feed(f, rd[i].dst, rd[i].len);
		}
		struct spool_chunk *c = s->head[part];
		s->head[part] = s->tail[part] = NULL;
		for (const struct spool_chunk *x = c; x && !rc; x = x->next)
			rc = feed(f, x->data, x->len);
		free_chain_now(s->pool, c);
		if (!rc)
			rc = feed(f, s->stage + (size_t)part * SPOOL_STAGE, s->slen[part]);
		s->slen[part] = 0;
		if (f->ncut) /* a stream ended inside a record */
			rc = -1;
	}
	free(rd);
	free(f);
	return rc;
}

int part_load(struct spool *sp, unsigned nsp, unsigned part, struct part_view *pv)
{
	if (part_load_start(sp, nsp, part, pv, NULL)) {
		part_load_finish(pv);
		return -1;
	}
	return part_load_finish(pv);
}

int part_decode(const struct part_view *pv, struct evvec *v, const struct attr_apps *apps,
		const struct attr_apps *scs)
{
	if (prec_decode_all(pv->sbuf, pv->sn, v, apps, scs))
		return -1;
	for (size_t i = 0; i < pv->nsegs; i++)
		if (prec_decode_all(pv->segs[i].p, pv->segs[i].n, v, apps, scs))
			return -1;
	return 0;
}

void part_release(struct part_view *pv)
{
	struct release_batch b;
	b.n = 0;
	for (size_t i = 0; i < pv->nheld; i++)
		free_chain(pv->held[i].pool, pv->held[i].head, &b);
	release_flush(&b);
	pv->nheld = 0;
}

void part_view_free(struct part_view *pv)
{
	part_release(pv);
	big_free(pv->buf, pv->cap);
	free(pv->sbuf);
	free(pv->segs);
	free(pv->raw);
	free(pv->reads);
	free(pv->held);
	memset(pv, 0, sizeof *pv);
}

/* ---- ordering ---- */
static int type_rank(uint8_t type)
{
	switch (type) {
	case UNMO_EV_IMPRESSION: return 0;
	case UNMO_EV_CLICK: return 1;
	case UNMO_EV_INSTALL: return 2;
	case UNMO_EV_REINSTALL: return 3;
	case UNMO_EV_SESSION: return 4;
	case UNMO_EV_REENGAGEMENT: return 5;
	case UNMO_EV_CONVERSION: return 6;
	default: return 7;
	}
}

/* The record with its app, source and campaign as strings (the layout
 * before they became table indexes): ties are broken on content, never on
 * an index, whose value depends on input order and threads. */
static size_t content_bytes(const struct ev *e, uint8_t *out)
{
	const uint8_t *r = e->raw;
	size_t il = e->ipv == 4 ? 4 : e->ipv == 6 ? 16 : 0;
	size_t optip = (size_t)(e->ip + il - (r + PREC_FIXED));
	uint8_t mask = 0;
	for (int i = 0; i < PSTR_COUNT; i++)
		if (e->s[i].len)
			mask |= (uint8_t)(1u << i);
	memcpy(out, r, PO_APP);
	out[PO_MASK] = mask;
	uint8_t *p = out + PO_APP;
	memcpy(p, r + PREC_FIXED, optip);
	p += optip;
	for (int i = 0; i < PSTR_COUNT; i++)
		if (e->s[i].len)
			p = put_str(p, e->s[i]);
	size_t tl = (size_t)(r + e->rawlen - e->tail);
	if (tl)
		memcpy(p, e->tail, tl);
	p += tl;
	size_t n = (size_t)(p - out);
	unmo_st16(out, (uint16_t)n);
	return n;
}

/* Content compare ignoring the receive time (bytes PO_RECV..PO_ID). */
static int raw_cmp(const struct ev *a, const struct ev *b)
{
	if (a->app != b->app || a->sc != b->sc) { /* rare: equal time, type, receive time and id */
		static _Thread_local uint8_t ba[PREC_MAX], bb[PREC_MAX];
		size_t na = content_bytes(a, ba), nb = content_bytes(b, bb);
		if (na != nb)
			return na < nb ? -1 : 1;
		int c = memcmp(ba, bb, PO_RECV);
		return c ? c : memcmp(ba + PO_ID, bb + PO_ID, na - PO_ID);
	}
	/* same app and pair: these bytes order like the string layout (the
	 * strings left out are equal and would sit at the same places) */
	if (a->rawlen != b->rawlen)
		return a->rawlen < b->rawlen ? -1 : 1;
	int c = memcmp(a->raw, b->raw, PO_RECV);
	if (c)
		return c;
	return memcmp(a->raw + PO_ID, b->raw + PO_ID, a->rawlen - PO_ID);
}

int ev_order(const struct ev *a, const struct ev *b)
{
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	int ra = type_rank(a->type), rb = type_rank(b->type);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->kind != b->kind) /* in probabilistic groups touches come before queries */
		return a->kind == PR_PTOUCH ? -1 : 1;
	if (a->recv != b->recv)
		return a->recv < b->recv ? -1 : 1;
	int c = memcmp(a->id, b->id, 16);
	if (c)
		return -c; /* lower id later: it wins ties */
	return raw_cmp(a, b);
}

static int group_cmp(const struct ev *a, const struct ev *b)
{
	int c = unmo_str_cmp(a->s[PS_APP], b->s[PS_APP]);
	if (c)
		return c;
	if (a->kind == PR_DEV || b->kind == PR_DEV) {
		if (a->key_kind != b->key_kind)
			return a->key_kind < b->key_kind ? -1 : 1;
		if ((a->flags & PF_KEY_UUID) != (b->flags & PF_KEY_UUID))
			return (a->flags & PF_KEY_UUID) < (b->flags & PF_KEY_UUID) ? -1 : 1;
		return unmo_str_cmp(a->s[PS_KEY], b->s[PS_KEY]);
	}
	if (a->ipv != b->ipv)
		return a->ipv < b->ipv ? -1 : 1;
	c = memcmp(a->ip, b->ip, a->ipv == 4 ? 4 : a->ipv == 6 ? 16 : 0);
	if (c)
		return c;
	return unmo_str_cmp(a->s[PS_FAM], b->s[PS_FAM]);
}

/* group_cmp(a, b) == 0, without ordering: the per-event check that a run
 * of equal hashes is one group (so results never depend on hashes). */
static inline bool group_eq(const struct ev *a, const struct ev *b)
{
	if (a->app != b->app) /* interned: equal indexes, equal strings */
		return false;
	if (a->kind == PR_DEV || b->kind == PR_DEV)
		return a->key_kind == b->key_kind && !((a->flags ^ b->flags) & PF_KEY_UUID) &&
		       str_eq_fast(a->s[PS_KEY], b->s[PS_KEY]);
	return a->ipv == b->ipv && bytes_eq(a->ip, b->ip, a->ipv == 4 ? 4 : a->ipv == 6 ? 16 : 0) &&
	       str_eq_fast(a->s[PS_FAM], b->s[PS_FAM]);
}

bool ev_same_group(const struct ev *a, const struct ev *b)
{
	return a->ghash == b->ghash && group_eq(a, b);
}

static int full_cmp(const void *pa, const void *pb)
{
	const struct ev *a = *(struct ev *const *)pa, *b = *(struct ev *const *)pb;
	if (a->ghash != b->ghash)
		return a->ghash < b->ghash ? -1 : 1;
	int c = group_cmp(a, b);
	return c ? c : ev_order(a, b);
}

static int order_cmp(const void *pa, const void *pb)
{
	return ev_order(*(struct ev *const *)pa, *(struct ev *const *)pb);
}

/* Events of one group into group order: insertion sort for the usual
 * handful, qsort for devices with many events. */
static void sort_run(struct ev **p, size_t n)
{
	if (n > 24) {
		qsort(p, n, sizeof *p, order_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct ev *x = p[i];
		size_t j = i;
		/* time first, inline (ev_order's first key; it decides most) */
		while (j > 0 && (p[j - 1]->t > x->t || (p[j - 1]->t == x->t && ev_order(p[j - 1], x) > 0))) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = x;
	}
}

void sort_scratch_free(struct sort_scratch *s)
{
	big_free(s->keys, 2 * s->keycap * sizeof(struct hk));
	free(s->cnt);
	memset(s, 0, sizeof *s);
}

/* Index one run of whole records; false when one is malformed. */
static bool index_records(const uint8_t *p, size_t n, struct hk *in, size_t *k, uint32_t *cnt, unsigned bits)
{
	size_t off = 0, i = *k;
	while (off < n) {
		size_t len = n - off >= PREC_FIXED ? unmo_ld16(p + off) : 0;
		if (len < PREC_FIXED || len > n - off)
			return false;
		uint64_t h = unmo_ld64(p + off + PO_GHASH);
		in[i++] = (struct hk){h, p + off};
		cnt[(h >> (64 - bits)) + 1]++;
		off += len;
	}
	*k = i;
	return true;
}

/* Group hashes are uniform: one counting pass on their top bits puts every
 * record in a bucket of about one, an insertion sort over the whole array
 * finishes (elements are at most a bucket away). The records are only
 * read for their length and hash, in memory order. */
const struct hk *part_index(const struct part_view *pv, struct sort_scratch *s, size_t *nout)
{
	size_t bytes = pv->sn, n = 0;
	for (size_t i = 0; i < pv->nsegs; i++)
		bytes += pv->segs[i].n;
	size_t nmax = bytes / PREC_FIXED + 1; /* every record has its fixed part */
	unsigned bits = 1;
	while (bits < 20 && ((size_t)2 << bits) < nmax)
		bits++;
	size_t nb = (size_t)1 << bits;
	if (s->keycap < nmax) { /* room for the keys and their counting-sort input */
		big_free(s->keys, 2 * s->keycap * sizeof(struct hk));
		s->keys = big_alloc(2 * nmax * sizeof(struct hk));
		s->keycap = s->keys ? nmax : 0;
	}
	if (s->cntcap < nb + 1) {
		free(s->cnt);
		s->cnt = malloc((nb + 1) * sizeof *s->cnt);
		s->cntcap = s->cnt ? nb + 1 : 0;
	}
	struct hk *a = s->keys, *in = a + nmax;
	uint32_t *cnt = s->cnt;
	if (!a || !cnt)
		return NULL;
	memset(cnt, 0, (nb + 1) * sizeof *cnt);
	if (!index_records(pv->sbuf, pv->sn, in, &n, cnt, bits))
		return NULL;
	for (size_t i = 0; i < pv->nsegs; i++)
		if (!index_records(pv->segs[i].p, pv->segs[i].n, in, &n, cnt, bits))
			return NULL;
	for (size_t b = 0; b < nb; b++)
		cnt[b + 1] += cnt[b];
	for (size_t i = 0; i < n; i++)
		a[cnt[in[i].h >> (64 - bits)]++] = in[i];
	for (size_t i = 1; i < n; i++) {
		struct hk x = a[i];
		size_t j = i;
		while (j > 0 && a[j - 1].h > x.h) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
	*nout = n;
	return a;
}

bool ev_sort_run(struct ev **p, size_t n)
{
	bool mixed = false;
	for (size_t j = 1; j < n; j++)
		mixed |= !group_eq(p[j], p[0]);
	if (mixed)
		qsort(p, n, sizeof *p, full_cmp);
	else
		sort_run(p, n);
	return mixed;
}

static inline bool id_zero(const uint8_t id[16])
{
	uint64_t x, y;
	memcpy(&x, id, 8);
	memcpy(&y, id + 8, 8);
	return (x | y) == 0;
}

static inline bool id_eq(const uint8_t a[16], const uint8_t b[16])
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

static bool is_dup(const struct ev *a, const struct ev *b)
{
	bool za = id_zero(a->id), zb = id_zero(b->id);
	if (!za && !zb)
		return id_eq(a->id, b->id);
	if (za && zb && a->sender && a->sender == b->sender && a->seq == b->seq)
		return raw_cmp(a, b) == 0;
	return false;
}

static int id_cmp(const void *pa, const void *pb)
{
	const struct ev *a = *(struct ev *const *)pa, *b = *(struct ev *const *)pb;
	int c = memcmp(a->id, b->id, 16);
	if (c)
		return c;
	if (a->sender != b->sender)
		return a->sender < b->sender ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	c = raw_cmp(a, b);
	if (c)
		return c;
	/* equal content: keep the first in group order (earliest received) */
	c = ev_order(a, b);
	return c;
}

/* True when no two records of g can be duplicates (idset_add). Most
 * groups pass and skip the pairwise check, which costs n^2 / 2 compares.
 * n <= 48. */
static bool ids_distinct(struct ev **g, size_t n)
{
	struct idset set = {{0}};
	for (size_t i = 0; i < n; i++)
		if (!idset_add(&set, g[i]->id))
			return false;
	return true;
}

uint64_t ev_dedup_group(struct ev **g, size_t n)
{
	uint64_t dups = 0;
	/* large groups are sorted by id; without memory for that, they are
	 * compared pairwise like small ones (slower, the same answer) */
	struct ev **c = n > 48 ? malloc(n * sizeof *c) : NULL;
	if (!c) {
		if (n > 8 && n <= 48 && ids_distinct(g, n))
			return 0;
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (!g[j]->dead && is_dup(g[j], g[i])) {
					g[i]->dead = 1;
					dups++;
					break;
				}
		return dups;
	}
	memcpy(c, g, n * sizeof *c);
	qsort(c, n, sizeof *c, id_cmp);
	/* runs of equal id: keep the copy first in group order */
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && is_dup(c[i], c[j]))
			j++;
		if (j - i > 1) {
			struct ev *keep = c[i];
			for (size_t k = i + 1; k < j; k++)
				if (ev_order(c[k], keep) < 0)
					keep = c[k];
			for (size_t k = i; k < j; k++)
				if (c[k] != keep) {
					c[k]->dead = 1;
					dups++;
				}
		}
		i = j;
	}
	free(c);
	return dups;
}
