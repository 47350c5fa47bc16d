/* attr_spool.c — pass 1's partition spools: records staged per partition,
 * chained in chunks of a per-thread pool, spilled to one temp file per
 * spool by the pool's writer thread; the pool's memory given back by whole
 * pages. Contracts in attr_impl.h ("partition spools"). */
#include "attr_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

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
	chains_give_back(&(struct part_hold){p, c}, 1);
}

void chains_give_back(const struct part_hold *h, size_t n)
{
	struct release_batch b;
	b.n = 0;
	for (size_t i = 0; i < n; i++)
		free_chain(h[i].pool, h[i].head, &b);
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
