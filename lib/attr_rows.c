/* attr_rows.c — result rows (installs, conversions): their output order,
 * each worker's rows sorted, rows past their share of --mem as sorted runs
 * in a worker's temp file, and every worker's rows merged back in output
 * order, into memory or while the outputs are written (an external merge
 * sort; docs/attribution.md §13, §15). */
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

/* ---- output order, and the merge of rows in memory ---- */
/* Output rows are ordered by every column they print, so that two rows
 * equal in time, event id and app (events without ids) still come out in
 * one order whatever the partitioning (docs/attribution.md section 13). */
static int touch_cmp(const struct unmo_attr_touch *a, const struct unmo_attr_touch *b)
{
	int c = memcmp(a->event_id, b->event_id, 16);
	if (!c)
		c = (a->type > b->type) - (a->type < b->type);
	if (!c)
		c = (a->time_us > b->time_us) - (a->time_us < b->time_us);
	if (!c)
		c = (a->retargeting > b->retargeting) - (a->retargeting < b->retargeting);
	if (!c)
		c = name_cmp(a->media_source, b->media_source);
	if (!c)
		c = name_cmp(a->campaign, b->campaign);
	return c;
}

/* The first keys of both kinds of rows: time, event id, app. */
static int row_head_cmp(int64_t ta, const uint8_t *ida, const char *appa, int64_t tb, const uint8_t *idb,
			const char *appb)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	int c = memcmp(ida, idb, 16);
	return c ? c : name_cmp(appa, appb);
}

int ins_cmp(const void *pa, const void *pb)
{
	const struct unmo_attr_install *a = pa, *b = pb;
	int c = row_head_cmp(a->time_us, a->event_id, a->app_id, b->time_us, b->event_id, b->app_id);
	if (!c)
		c = touch_cmp(&a->touch, &b->touch);
	if (!c)
		c = (a->outcome > b->outcome) - (a->outcome < b->outcome);
	if (!c)
		c = (a->match > b->match) - (a->match < b->match);
	if (!c)
		c = (a->install_type > b->install_type) - (a->install_type < b->install_type);
	if (!c)
		c = (a->key_kind > b->key_kind) - (a->key_kind < b->key_kind);
	if (!c)
		c = (a->ctit_us > b->ctit_us) - (a->ctit_us < b->ctit_us);
	if (!c)
		c = (a->fast_ctit > b->fast_ctit) - (a->fast_ctit < b->fast_ctit);
	return c;
}

int conv_cmp(const void *pa, const void *pb)
{
	const struct unmo_attr_conversion *a = pa, *b = pb;
	int c = row_head_cmp(a->time_us, a->event_id, a->app_id, b->time_us, b->event_id, b->app_id);
	if (!c)
		c = (a->revenue_micros > b->revenue_micros) - (a->revenue_micros < b->revenue_micros);
	if (!c)
		c = strcmp(a->currency, b->currency);
	if (!c)
		c = name_cmp(a->event_name, b->event_name);
	if (!c)
		c = (a->via > b->via) - (a->via < b->via);
	if (!c)
		c = touch_cmp(&a->touch, &b->touch);
	return c;
}

/* Rows are sorted as (time key, row pointer) pairs: big row structs are
 * never moved, and ties on the time compare the rows through cmp. */
static _Thread_local int (*tl_row_cmp)(const void *, const void *);
static int rowkey_cmp(const void *pa, const void *pb)
{
	const struct rowkey *a = pa, *b = pb;
	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	return tl_row_cmp(a->r, b->r);
}

/* rows[0..n) (size bytes each) ordered by cmp, whose first key is the
 * int64 time at off_time: an LSD radix sort of the pairs on the time
 * (16-bit digits; digits that are the same in every row are skipped), then
 * qsort with cmp inside each run of equal times. Same order as qsort with
 * cmp, without its n log n calls through a function pointer; each row is
 * read once, in memory order. Returns the n pairs (malloc), NULL when out
 * of memory. */
struct rowkey *sort_rows(const char *rows, size_t n, size_t size, size_t off_time,
				int (*cmp)(const void *, const void *))
{
	tl_row_cmp = cmp;
	struct rowkey *a = malloc((n ? n : 1) * sizeof *a), *b = n < 1024 || !a ? NULL : malloc(n * sizeof *b);
	uint32_t *cnt = b ? malloc(65536 * sizeof *cnt) : NULL;
	if (!a)
		return NULL;
	prefault(a, n * sizeof *a); /* both written whole right away */
	if (b)
		prefault(b, n * sizeof *b);
	for (size_t i = 0; i < n; i++) {
		int64_t t;
		memcpy(&t, rows + i * size + off_time, sizeof t);
		a[i] = (struct rowkey){(uint64_t)t ^ (1ull << 63), rows + i * size};
	}
	if (!cnt) { /* few rows, or out of memory: the plain sort */
		free(b);
		qsort(a, n, sizeof *a, rowkey_cmp);
		return a;
	}
	for (int shift = 0; shift < 64; shift += 16) {
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (size_t i = 0; i < n; i++)
			cnt[a[i].k >> shift & 0xffff]++;
		if (cnt[a[0].k >> shift & 0xffff] == n)
			continue; /* one digit value: nothing moves */
		uint32_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			uint32_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[a[i].k >> shift & 0xffff]++] = a[i];
		struct rowkey *t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && a[j].k == a[i].k)
			j++;
		if (j - i > 1)
			qsort(a + i, j - i, sizeof *a, rowkey_cmp);
		i = j;
	}
	free(b);
	free(cnt);
	return a;
}

/* The workers' sorted rows (struct tctx: pairs at off_keys, count at
 * off_n) merged into one array of row pointers in cmp order (a heap of the
 * runs' heads). *total: its length. NULL when out of memory. */
struct run {
	const struct rowkey *p, *end;
};
static bool run_before(const struct run *x, const struct run *y)
{
	if (x->p->k != y->p->k)
		return x->p->k < y->p->k;
	return tl_row_cmp(x->p->r, y->p->r) < 0;
}

static void run_sift(struct run *h, size_t m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, s = i;
		if (l < m && run_before(&h[l], &h[s]))
			s = l;
		if (l + 1 < m && run_before(&h[l + 1], &h[s]))
			s = l + 1;
		if (s == i)
			return;
		struct run t = h[i];
		h[i] = h[s];
		h[s] = t;
		i = s;
	}
}

static const void **merge_rows(const struct unmo_attr *a, size_t off_keys, size_t off_n,
			       int (*cmp)(const void *, const void *), size_t *total)
{
	tl_row_cmp = cmp;
	size_t n = 0, m = 0;
	struct run *h = malloc((a->ntcs ? a->ntcs : 1) * sizeof *h);
	for (unsigned w = 0; w < a->ntcs; w++)
		n += *(const size_t *)((const char *)&a->tcs[w] + off_n);
	const void **out = malloc((n ? n : 1) * sizeof *out);
	if (!h || !out) {
		free(h);
		free(out);
		return NULL;
	}
	prefault(out, n * sizeof *out);
	for (unsigned w = 0; w < a->ntcs; w++) {
		const struct rowkey *k = *(struct rowkey *const *)((const char *)&a->tcs[w] + off_keys);
		size_t c = *(const size_t *)((const char *)&a->tcs[w] + off_n);
		if (c)
			h[m++] = (struct run){k, k + c};
	}
	for (size_t i = m / 2; i-- > 0;)
		run_sift(h, m, i);
	for (size_t i = 0; i < n; i++) {
		out[i] = h[0].p->r;
		if (++h[0].p == h[0].end)
			h[0] = h[--m];
		run_sift(h, m, 0);
	}
	free(h);
	*total = n;
	return out;
}

/* The workers' rows of one kind merged (attr_impl.h). */
int merge_kind(const struct unmo_attr *a, size_t off_keys, size_t off_n, size_t off_runs,
	       int (*cmp)(const void *, const void *), const void ***v, size_t *total, uint64_t *spilled)
{
	uint64_t on_disk = 0;
	size_t in_mem = 0;
	for (unsigned w = 0; w < a->ntcs; w++) {
		on_disk += ((const struct rowruns *)((const char *)&a->tcs[w] + off_runs))->rows;
		in_mem += *(const size_t *)((const char *)&a->tcs[w] + off_n);
	}
	*spilled = on_disk;
	*v = NULL;
	if (on_disk) {
		*total = (size_t)on_disk + in_mem;
		return 0;
	}
	*v = merge_rows(a, off_keys, off_n, cmp, total);
	return *v ? 0 : -1;
}

struct rowmerge *attr_rows_merge(const struct unmo_attr *a, bool conv)
{
	struct rowsrc *src = calloc(a->ntcs ? a->ntcs : 1, sizeof *src);
	if (!src)
		return NULL;
	for (unsigned w = 0; w < a->ntcs; w++) {
		const struct tctx *tc = &a->tcs[w];
		src[w] = conv ? (struct rowsrc){tc->convk, tc->nconv, &tc->convr}
			      : (struct rowsrc){tc->insk, tc->nins, &tc->insr};
	}
	size_t budget = a->row_share * a->ntcs; /* the rows' share of --mem, free again by now */
	struct rowmerge *m = conv ? rowmerge_open(src, a->ntcs, sizeof(struct unmo_attr_conversion),
						  offsetof(struct unmo_attr_conversion, time_us), conv_cmp, budget)
				  : rowmerge_open(src, a->ntcs, sizeof(struct unmo_attr_install),
						  offsetof(struct unmo_attr_install, time_us), ins_cmp, budget);
	free(src);
	return m;
}

/* The caller's function for every row of one kind (the one set). */
struct each {
	int (*ins)(void *ctx, const struct unmo_attr_install *r);
	int (*conv)(void *ctx, const struct unmo_attr_conversion *r);
	void *ctx;
};
static int each_call(const struct each *e, const void *r)
{
	return e->conv ? e->conv(e->ctx, r) : e->ins(e->ctx, r);
}

/* Every row of one kind in order: the merged pointer array when the rows
 * stayed in memory, else the streaming merge. */
static int each_row(const struct unmo_attr *a, const struct each *e)
{
	bool conv = e->conv != NULL;
	const void *const *v = conv ? (const void *const *)a->conv : (const void *const *)a->ins;
	size_t n = conv ? a->nconv : a->nins;
	if (v || !a->finished) {
		for (size_t i = 0; v && i < n; i++) {
			int rc = each_call(e, v[i]);
			if (rc)
				return rc;
		}
		return 0;
	}
	struct rowmerge *m = attr_rows_merge(a, conv);
	if (!m)
		return -1;
	const void *r;
	int rc = 0;
	while (!rc && (r = rowmerge_next(m)))
		rc = each_call(e, r);
	if (!rc && rowmerge_error(m))
		rc = -1;
	rowmerge_close(m);
	return rc;
}

int unmo_attr_each_install(const struct unmo_attr *a, int (*fn)(void *ctx, const struct unmo_attr_install *r),
			   void *ctx)
{
	return each_row(a, &(struct each){.ins = fn, .ctx = ctx});
}

int unmo_attr_each_conversion(const struct unmo_attr *a,
			      int (*fn)(void *ctx, const struct unmo_attr_conversion *r), void *ctx)
{
	return each_row(a, &(struct each){.conv = fn, .ctx = ctx});
}
