/* attr_part.c — pass 2's loading of one partition: its pieces read back from
 * every spool's temp file (io_uring, the next partition's reads in flight)
 * and from the chunks still in memory, cut into whole records. */
#include "attr_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <liburing.h>

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
		chains_give_back(&(struct part_hold){s->pool, c}, 1);
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
	chains_give_back(pv->held, pv->nheld);
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
