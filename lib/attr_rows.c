/* attr_rows.c — result rows past their share of --mem: sorted runs in a
 * worker's temp file, merged back in output order while the outputs are
 * written (an external merge sort; docs/attribution.md §15). */
#include "attr_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define RUN_WRITE_BUF ((size_t)1 << 20) /* rows gathered per write */
#define RUN_READ_ROWS 1024u             /* rows per read of a run (merge), at most */
#define RUN_READ_LEAST 16u              /* and at least, whatever the budget */

static int write_all(int fd, const char *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int rowruns_append(struct rowruns *f, const char *path, const char *recs, size_t n, size_t size, bool new_run)
{
	if (f->fd < 0) {
		f->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (f->fd < 0)
			return errno;
		unlink(path); /* nothing is left behind by a crash */
	}
	new_run |= !f->nruns;
	if (new_run && f->nruns == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 8;
		struct rowrun *r = realloc(f->run, cap * sizeof *r);
		if (!r)
			return ENOMEM;
		f->run = r;
		f->cap = cap;
	}
	int err = n ? write_all(f->fd, recs, n * size, f->len) : 0;
	if (err)
		return err; /* a run that failed is not recorded */
	if (new_run)
		f->run[f->nruns++] = (struct rowrun){f->len, 0};
	f->run[f->nruns - 1].n += n;
	f->len += n * size;
	f->rows += n;
	return 0;
}

int rowruns_put(struct rowruns *f, const char *path, const struct rowkey *k, size_t n, size_t size)
{
	if (!n)
		return 0;
	size_t per = RUN_WRITE_BUF / size ? RUN_WRITE_BUF / size : 1;
	char *buf = malloc(per * size);
	if (!buf)
		return ENOMEM;
	int err = 0;
	for (size_t i = 0; i < n && !err;) {
		size_t m = n - i < per ? n - i : per;
		for (size_t j = 0; j < m; j++)
			memcpy(buf + j * size, k[i + j].r, size);
		err = rowruns_append(f, path, buf, m, size, i == 0);
		i += m;
	}
	free(buf);
	return err;
}

void rowruns_free(struct rowruns *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->run);
	memset(f, 0, sizeof *f);
	f->fd = -1;
}

/* ---- the merge ----
 * One cursor per run: a run in memory (its sorted keys) or one on disk
 * (RUN_READ_ROWS rows read at a time). The cursors are a binary heap on
 * (time, cmp), the order sort_rows gives each run, so the merged order is
 * the in-memory order. */
struct cursor {
	uint64_t k;            /* the head row's time, sign bit flipped */
	const char *row;       /* the head row */
	const struct rowkey *mk, *mend; /* in memory */
	int fd;                /* on disk: -1 for memory */
	uint64_t off, left;    /* next unread byte, rows not read yet */
	char *buf;
	size_t nbuf, pos;      /* rows in buf, the head's index */
};

struct rowmerge {
	size_t size, off_time;
	size_t per; /* rows per read of a run */
	int (*cmp)(const void *, const void *);
	struct cursor *c;
	struct cursor **h; /* heap of the cursors with a head row */
	size_t nc, nh;
	struct cursor *last; /* the cursor whose head was returned last: advanced on the next call */
	int err;
};

static uint64_t row_key(const struct rowmerge *m, const char *row)
{
	int64_t t;
	memcpy(&t, row + m->off_time, sizeof t);
	return (uint64_t)t ^ (1ull << 63);
}

static bool before(const struct rowmerge *m, const struct cursor *x, const struct cursor *y)
{
	if (x->k != y->k)
		return x->k < y->k;
	return m->cmp(x->row, y->row) < 0;
}

static void sift(struct rowmerge *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, s = i;
		if (l < m->nh && before(m, m->h[l], m->h[s]))
			s = l;
		if (l + 1 < m->nh && before(m, m->h[l + 1], m->h[s]))
			s = l + 1;
		if (s == i)
			return;
		struct cursor *t = m->h[i];
		m->h[i] = m->h[s];
		m->h[s] = t;
		i = s;
	}
}

/* Move c to its next row: 1 when it has one, 0 at its end, -1 on a read
 * error (m->err set). */
static int advance(struct rowmerge *m, struct cursor *c)
{
	if (c->fd < 0) {
		if (c->mk == c->mend)
			return 0;
		c->k = c->mk->k;
		c->row = c->mk->r;
		c->mk++;
		return 1;
	}
	if (c->pos + 1 < c->nbuf) {
		c->pos++;
	} else {
		if (!c->left)
			return 0;
		size_t want = c->left < m->per ? (size_t)c->left : m->per, got = 0;
		while (got < want * m->size) {
			ssize_t r = pread(c->fd, c->buf + got, want * m->size - got, (off_t)(c->off + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				m->err = r < 0 ? errno : EIO;
				return -1;
			}
			got += (size_t)r;
		}
		c->off += got;
		c->left -= want;
		c->nbuf = want;
		c->pos = 0;
	}
	c->row = c->buf + c->pos * m->size;
	c->k = row_key(m, c->row);
	return 1;
}

struct rowmerge *rowmerge_open(const struct rowsrc *src, unsigned nsrc, size_t size, size_t off_time,
			       int (*cmp)(const void *, const void *), size_t budget)
{
	struct rowmerge *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->size = size;
	m->off_time = off_time;
	m->cmp = cmp;
	size_t nc = 0, nruns = 0;
	for (unsigned s = 0; s < nsrc; s++)
		nruns += src[s].runs ? src[s].runs->nruns : 0;
	nc = nsrc + nruns;
	/* the runs' read buffers share the budget (hundreds of runs at a small
	 * --mem: 1024 rows each took 47 MB with --mem 4M) */
	m->per = budget / (nruns ? nruns : 1) / size;
	m->per = m->per < RUN_READ_LEAST ? RUN_READ_LEAST : m->per > RUN_READ_ROWS ? RUN_READ_ROWS : m->per;
	m->c = calloc(nc ? nc : 1, sizeof *m->c);
	m->h = calloc(nc ? nc : 1, sizeof *m->h);
	if (!m->c || !m->h) {
		rowmerge_close(m);
		return NULL;
	}
	for (unsigned s = 0; s < nsrc; s++) {
		struct cursor *c = &m->c[m->nc++];
		*c = (struct cursor){.mk = src[s].mem, .mend = src[s].nmem ? src[s].mem + src[s].nmem : src[s].mem, .fd = -1};
		for (size_t r = 0; src[s].runs && r < src[s].runs->nruns; r++) {
			c = &m->c[m->nc++];
			*c = (struct cursor){.fd = src[s].runs->fd,
					     .off = src[s].runs->run[r].off,
					     .left = src[s].runs->run[r].n,
					     .buf = malloc(m->per * size)};
			if (!c->buf) {
				rowmerge_close(m);
				return NULL;
			}
			c->pos = c->nbuf = 0;
		}
	}
	for (size_t i = 0; i < m->nc; i++) {
		int rc = advance(m, &m->c[i]);
		if (rc < 0) {
			rowmerge_close(m);
			return NULL;
		}
		if (rc)
			m->h[m->nh++] = &m->c[i];
	}
	for (size_t i = m->nh / 2; i-- > 0;)
		sift(m, i);
	return m;
}

const void *rowmerge_next(struct rowmerge *m)
{
	if (m->last) { /* the row returned last stays valid until now */
		int rc = advance(m, m->last);
		m->last = NULL;
		if (rc < 0)
			return NULL;
		if (rc)
			sift(m, 0);
		else if (--m->nh) {
			m->h[0] = m->h[m->nh];
			sift(m, 0);
		}
	}
	if (!m->nh)
		return NULL;
	m->last = m->h[0];
	return m->h[0]->row;
}

int rowmerge_error(const struct rowmerge *m)
{
	return m->err;
}

void rowmerge_close(struct rowmerge *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->c && i < m->nc; i++)
		free(m->c[i].buf);
	free(m->c);
	free(m->h);
	free(m);
}
