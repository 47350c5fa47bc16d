/* attr_report.c — the report's (app, media source, campaign) rows: their
 * order keys, a worker's rows past its share of --mem as sorted runs, and
 * the merge of every worker's runs and rows into the report, streamed in
 * report order (docs/attribution.md §15). */
#include "attr_impl.h"

#include <errno.h>
#include <stdlib.h>

struct report_ranks {
	uint32_t *app_rank, *app_at; /* rank of an app index; index at a rank */
	uint32_t *sc_rank, *sc_at;   /* likewise (media source, campaign) pairs */
	uint32_t napps, nsc;
};

/* Names in byte order, the shorter first when one is the other's start
 * (name_cmp's order on the decoded bytes). */
static int raw_cmp(struct unmo_str a, struct unmo_str b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.p, b.p, n) : 0;
	return c ? c : (a.len > b.len) - (a.len < b.len);
}

static _Thread_local const struct attr_apps *tl_tab;
static int app_idx_cmp(const void *pa, const void *pb)
{
	return raw_cmp(tl_tab->v[*(const uint32_t *)pa], tl_tab->v[*(const uint32_t *)pb]);
}
static int sc_idx_cmp(const void *pa, const void *pb)
{
	struct unmo_str as, ac, bs, bc;
	sc_names(tl_tab->v[*(const uint32_t *)pa], &as, &ac);
	sc_names(tl_tab->v[*(const uint32_t *)pb], &bs, &bc);
	int c = raw_cmp(as, bs);
	return c ? c : raw_cmp(ac, bc);
}

/* rank[i] and at[rank] of the n entries of t, in cmp's order. */
static int rank_table(const struct attr_apps *t, int (*cmp)(const void *, const void *), uint32_t **rank,
		      uint32_t **at)
{
	uint32_t n = t->n;
	*rank = malloc((size_t)n * sizeof **rank);
	*at = malloc((size_t)n * sizeof **at);
	if (!*rank || !*at)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		(*at)[i] = i;
	tl_tab = t;
	qsort(*at, n, sizeof **at, cmp);
	for (uint32_t r = 0; r < n; r++)
		(*rank)[(*at)[r]] = r;
	return 0;
}

int report_ranks_make(struct unmo_attr *a)
{
	static const char *const fallback[] = {ROW_ORGANIC, ROW_NONE};
	uint32_t *idx[] = {&a->sc_organic, &a->sc_none};
	for (size_t i = 0; i < sizeof fallback / sizeof *fallback; i++) {
		uint8_t key[2 + 2 * UNMO_STR_MAX];
		size_t n = sc_key(key, unmo_str_c(fallback[i]), unmo_str_c(""));
		*idx[i] = apps_intern(&a->scs, (struct unmo_str){(const char *)key, (uint16_t)n});
		if (*idx[i] == UINT32_MAX)
			return -1;
	}
	apps_fit(&a->apps); /* the tables are complete */
	apps_fit(&a->scs);
	struct report_ranks *r = calloc(1, sizeof *r);
	a->ranks = r;
	if (!r || a->apps.n >= (1u << 31)) /* app rank << 32 stays below 2^63 */
		return -1;
	r->napps = a->apps.n;
	r->nsc = a->scs.n;
	if (rank_table(&a->apps, app_idx_cmp, &r->app_rank, &r->app_at) ||
	    rank_table(&a->scs, sc_idx_cmp, &r->sc_rank, &r->sc_at))
		return -1;
	return 0;
}

void report_ranks_free(struct report_ranks *r)
{
	if (!r)
		return;
	free(r->app_rank);
	free(r->app_at);
	free(r->sc_rank);
	free(r->sc_at);
	free(r);
}

row_order report_key(const struct report_ranks *r, uint32_t app, uint32_t sc)
{
	return (row_order)((uint64_t)r->app_rank[app] << 32 | r->sc_rank[sc]);
}

/* ---- a worker's rows ---- */

static int acc_key_cmp(const void *pa, const void *pb)
{
	uint64_t a = ((const struct rowkey *)pa)->k, b = ((const struct rowkey *)pb)->k;
	return (a > b) - (a < b);
}

int report_sort(struct tctx *tc)
{
	free(tc->aggk);
	tc->aggk = malloc((tc->nrows ? tc->nrows : 1) * sizeof *tc->aggk);
	if (!tc->aggk)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < tc->rowcap; i++)
		if (tc->rowmap[i].key) /* the key as the merge reads it (rowmerge: sign bit flipped) */
			tc->aggk[n++] = (struct rowkey){(uint64_t)tc->rowmap[i].row->rk ^ (1ull << 63),
							(const char *)tc->rowmap[i].row};
	qsort(tc->aggk, n, sizeof *tc->aggk, acc_key_cmp); /* keys are distinct within a worker */
	tc->naggk = n;
	return 0;
}

#define SPILL_RECS 4096u /* records gathered per write */

int report_spill(struct unmo_attr *a, struct tctx *tc, unsigned w)
{
	if (!tc->nrows)
		return 0;
	char path[sizeof a->dir + 32];
	snprintf(path, sizeof path, "%s/aggs-w%03u.bin", a->dir, w);
	struct agg_money *buf = malloc(SPILL_RECS * sizeof *buf);
	int err = buf && !report_sort(tc) ? 0 : ENOMEM;
	size_t nb = 0;
	bool first = true;
	for (size_t i = 0; !err && i < tc->naggk; i++) {
		const struct agg_acc *r = (const struct agg_acc *)tc->aggk[i].r;
		for (uint32_t m = 0; !err && m <= r->nm; m++) {
			struct agg_money *o = &buf[nb++];
			if (!m) { /* the row: its first AGG_REC_SIZE bytes */
				memcpy(o->raw, r, AGG_REC_SIZE);
				((struct agg_acc *)(void *)o->raw)->kind = AGG_ROW;
			} else {
				memset(o, 0, sizeof *o);
				o->rk = r->rk;
				o->kind = AGG_MONEY;
				o->m = r->m[m - 1];
			}
			if (nb == SPILL_RECS) {
				err = rowruns_append(&tc->aggr, path, (const char *)buf, nb, sizeof *buf, first);
				first = false;
				nb = 0;
			}
		}
	}
	if (!err && nb)
		err = rowruns_append(&tc->aggr, path, (const char *)buf, nb, sizeof *buf, first);
	free(buf);
	tc->st.report_rows_spilled += tc->naggk;
	free(tc->aggk);
	tc->aggk = NULL;
	tc->naggk = 0;
	tc_free_rows(tc, true);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---- the merge ---- */

/* Records of one row: its counters (from any source) first, then its
 * currencies in code order. */
static int rec_cmp(const void *pa, const void *pb)
{
	const struct agg_money *x = pa, *y = pb;
	int kx = x->kind == AGG_MONEY, ky = y->kind == AGG_MONEY;
	if (kx != ky)
		return kx - ky;
	return kx ? memcmp(x->m.cur, y->m.cur, 4) : 0;
}

static int money_cmp(const void *pa, const void *pb)
{
	return memcmp(((const struct money *)pa)->cur, ((const struct money *)pb)->cur, 4);
}

/* The k-th smallest of v[0..n) (k < n), reordering v: quickselect with a
 * median-of-three pivot, O(n) expected (a median needs no full sort). */
static int64_t kth_smallest(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t x = v[lo], y = v[mid], z = v[hi];
		int64_t piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < piv)
				i++;
			while (v[j] > piv)
				j--;
			if (i <= j) {
				int64_t t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k]; /* between the two parts: equal to the pivot */
	}
	return v[k];
}

struct aggmerge {
	const struct unmo_attr *a;
	struct rowmerge *rows, *ctit; /* ctit: when the times went to disk */
	const struct agg_money *head;  /* the next row's first record, or NULL */
	struct agg_money peek;         /* its copy (the merge's is valid until the next read) */
	struct money *mm;
	size_t capm;
	int64_t *ct;
	size_t capct;
	struct unmo_attr_money *rev; /* (1 + models) x currencies of the row */
	size_t caprev;
	char name[3][2 * UNMO_STR_MAX + 1];
	int err;
};

/* r (or NULL at the end) as the next row's first record: a row in memory
 * stays where it is (its arrays are read through it), a record read
 * from a run is copied (the merge's copy lasts until its next read). */
static void hold(struct aggmerge *m, const struct agg_money *r)
{
	if (r && r->kind != AGG_ROW_MEM) {
		m->peek = *r;
		r = &m->peek;
	}
	m->head = r;
}

static struct aggmerge *aggmerge_open(const struct unmo_attr *a)
{
	struct aggmerge *m = calloc(1, sizeof *m);
	struct rowsrc *src = calloc(a->ntcs ? a->ntcs : 1, sizeof *src);
	bool ctit = false;
	for (unsigned w = 0; src && w < a->ntcs; w++) {
		src[w] = (struct rowsrc){a->tcs[w].aggk, a->tcs[w].naggk, &a->tcs[w].aggr};
		ctit |= a->tcs[w].ctitr.rows > 0;
	}
	if (m && src)
		m->rows = rowmerge_open(src, a->ntcs, AGG_REC_SIZE, 0, rec_cmp, a->agg_share * a->ntcs);
	for (unsigned w = 0; src && ctit && w < a->ntcs; w++)
		src[w] = (struct rowsrc){NULL, 0, &a->tcs[w].ctitr};
	if (m && src && ctit)
		m->ctit = rowmerge_open(src, a->ntcs, sizeof(struct ctit_pair), 0, ctit_pair_cmp,
					a->ctit_share * a->ntcs);
	free(src);
	if (!m || !m->rows || (ctit && !m->ctit)) {
		if (m) {
			rowmerge_close(m->rows);
			rowmerge_close(m->ctit);
		}
		free(m);
		return NULL;
	}
	m->a = a;
	hold(m, rowmerge_next(m->rows));
	m->err = rowmerge_error(m->rows);
	return m;
}

static void aggmerge_close(struct aggmerge *m)
{
	if (!m)
		return;
	rowmerge_close(m->rows);
	rowmerge_close(m->ctit);
	free(m->mm);
	free(m->ct);
	free(m->rev);
	free(m);
}

static void add_counts(struct unmo_attr_agg *o, const struct agg_counts *c)
{
	o->impressions += c->impressions;
	o->clicks += c->clicks;
	o->installs_click += c->installs_click;
	o->installs_prob += c->installs_prob;
	o->installs_view += c->installs_view;
	o->installs_organic += c->installs_organic;
	o->reattributions += c->reattributions;
	o->reinstalls += c->reinstalls;
	o->reengagements += c->reengagements;
	o->conversions += c->conversions;
	o->fast_ctit += c->fast_ctit;
	o->flood_devices += c->flood_devices;
	for (int k = 0; k < UNMO_MODEL_COUNT; k++) {
		o->model_installs[k] += c->model_installs[k];
		o->model_conversions[k] += c->model_conversions[k];
	}
}

/* Rows that only exist because a touch outside the report range was
 * looked up carry nothing: they are left out. */
static bool row_empty(const struct unmo_attr_agg *o, uint32_t nm, uint64_t nct)
{
	bool empty = !nm && !nct && !o->impressions && !o->clicks && !o->installs_click && !o->installs_prob &&
		     !o->installs_view && !o->installs_organic && !o->reattributions && !o->reinstalls &&
		     !o->reengagements && !o->conversions && !o->fast_ctit && !o->flood_devices;
	for (int k = 0; k < UNMO_MODEL_COUNT; k++)
		empty &= !o->model_installs[k] && !o->model_conversions[k];
	return empty;
}

/* The lower median of the row's n times, the next n pairs of the spilled
 * times' merge. */
static int median_spilled(struct aggmerge *m, row_order rk, uint64_t n, int64_t *med)
{
	for (uint64_t i = 0; i < n; i++) {
		const struct ctit_pair *p = rowmerge_next(m->ctit);
		if (!p || p->rk != rk) /* the runs hold fewer times than the rows counted */
			return -1;
		if (i == (n - 1) / 2)
			*med = p->us;
	}
	return 0;
}

/* The next report row into *o (names, currencies: valid until the next
 * call): 1, 0 at the end, -1 on a temp-file error or out of memory. */
static int aggmerge_next(struct aggmerge *m, struct unmo_attr_agg *o)
{
	for (;;) {
		if (m->err || !m->head)
			return m->err ? -1 : 0;
		row_order rk = m->head->rk;
		const struct report_ranks *rr = m->a->ranks;
		uint32_t ar = (uint32_t)((uint64_t)rk >> 32), sr = (uint32_t)rk;
		if (ar >= rr->napps || sr >= rr->nsc)
			return m->err = -1;
		/* the names are read last: their bytes come while the records
		 * are added up (a million rows' names are a cache miss each) */
		struct unmo_str app = m->a->apps.v[rr->app_at[ar]], sck = m->a->scs.v[rr->sc_at[sr]];
		__builtin_prefetch(sck.p);
		memset(o, 0, sizeof *o);
		size_t nm = 0, nct = 0;
		uint64_t nct_all = 0;
		const struct agg_money *r = m->head;
		while (r && r->rk == rk) {
			if (r->kind == AGG_MONEY) {
				if (!grow((void **)&m->mm, &m->capm, nm + 1, sizeof *m->mm))
					return m->err = -1;
				m->mm[nm++] = r->m;
			} else {
				const struct agg_acc *acc = (const struct agg_acc *)(const void *)r;
				add_counts(o, &acc->c);
				nct_all += acc->nctit_all;
				if (r->kind == AGG_ROW_MEM) { /* a row in memory: its arrays */
					if (!grow((void **)&m->mm, &m->capm, nm + acc->nm, sizeof *m->mm) ||
					    !grow((void **)&m->ct, &m->capct, nct + acc->nctit, sizeof *m->ct))
						return m->err = -1;
					if (acc->nm)
						memcpy(m->mm + nm, acc->m, acc->nm * sizeof *m->mm);
					if (acc->nctit)
						memcpy(m->ct + nct, acc->ctit, acc->nctit * sizeof *m->ct);
					nm += acc->nm;
					nct += acc->nctit;
				}
			}
			r = rowmerge_next(m->rows);
		}
		if (rowmerge_error(m->rows))
			return m->err = -1;
		hold(m, r);
		o->median_ctit_us = -1;
		if (m->ctit && nct_all && median_spilled(m, rk, nct_all, &o->median_ctit_us))
			return m->err = -1;
		if (!m->ctit && nct)
			o->median_ctit_us = kth_smallest(m->ct, nct, (nct - 1) / 2);
		if (row_empty(o, (uint32_t)nm, nct_all))
			continue;
		/* currencies: in code order, equal ones added */
		if (nm > 1)
			qsort(m->mm, nm, sizeof *m->mm, money_cmp);
		uint32_t u = 0;
		for (size_t x = 0; x < nm; x++) {
			if (u && !memcmp(m->mm[u - 1].cur, m->mm[x].cur, 4))
				for (int s = 0; s <= UNMO_MODEL_COUNT; s++)
					m->mm[u - 1].v[s] += m->mm[x].v[s];
			else
				m->mm[u++] = m->mm[x];
		}
		if (!grow((void **)&m->rev, &m->caprev, (size_t)u * (1 + UNMO_MODEL_COUNT), sizeof *m->rev))
			return m->err = -1;
		o->nrevenue = u;
		o->revenue = u ? m->rev : NULL;
		for (int k = 0; k < UNMO_MODEL_COUNT; k++)
			o->model_revenue[k] = u ? m->rev + (size_t)u * (1 + k) : NULL;
		for (uint32_t x = 0; x < u; x++)
			for (int s = 0; s <= UNMO_MODEL_COUNT; s++) {
				struct unmo_attr_money *d = &m->rev[(size_t)u * s + x];
				memcpy(d->currency, m->mm[x].cur, 4);
				d->micros = m->mm[x].v[s];
			}
		/* names, from the tables pass 1 made */
		struct unmo_str src, camp;
		sc_names(sck, &src, &camp);
		name_encode(m->name[0], app.p, app.len);
		name_encode(m->name[1], src.p, src.len);
		name_encode(m->name[2], camp.p, camp.len);
		o->app_id = m->name[0];
		o->media_source = m->name[1];
		o->campaign = m->name[2];
		if (m->head && (uint32_t)m->head->rk < rr->nsc) /* the next row's table entry, while this one is used */
			__builtin_prefetch(&m->a->scs.v[rr->sc_at[(uint32_t)m->head->rk]]);
		return 1;
	}
}

int unmo_attr_each_agg(const struct unmo_attr *a, int (*fn)(void *ctx, const struct unmo_attr_agg *r), void *ctx)
{
	if (!a->aggs_streamed) {
		for (size_t i = 0; i < a->naggs; i++) {
			int rc = fn(ctx, &a->aggs[i]);
			if (rc)
				return rc;
		}
		return 0;
	}
	struct aggmerge *m = aggmerge_open(a);
	if (!m)
		return -1;
	struct unmo_attr_agg o;
	int rc = 0, got;
	while (!rc && (got = aggmerge_next(m, &o)) > 0)
		rc = fn(ctx, &o);
	if (!rc && got < 0)
		rc = -1;
	aggmerge_close(m);
	return rc;
}

int agg_copy(struct arena *ar, struct unmo_attr_agg *d, const struct unmo_attr_agg *s)
{
	*d = *s;
	const char **names[3] = {&d->app_id, &d->media_source, &d->campaign};
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(*names[i]) + 1;
		char *p = arena_alloc(ar, n);
		if (!p)
			return -1;
		*names[i] = memcpy(p, *names[i], n);
	}
	size_t bytes = s->nrevenue * sizeof *s->revenue;
	struct unmo_attr_money **rev[1 + UNMO_MODEL_COUNT] = {&d->revenue};
	for (int k = 0; k < UNMO_MODEL_COUNT; k++)
		rev[1 + k] = &d->model_revenue[k];
	for (int k = 0; bytes && k <= UNMO_MODEL_COUNT; k++) {
		struct unmo_attr_money *p = arena_alloc(ar, bytes);
		if (!p)
			return -1;
		*rev[k] = memcpy(p, *rev[k], bytes);
	}
	return 0;
}

int report_finish(struct unmo_attr *a)
{
	size_t in_mem = 0;
	a->aggs_streamed = false;
	for (unsigned w = 0; w < a->ntcs; w++) {
		struct tctx *tc = &a->tcs[w];
		if (tc->naggk != tc->nrows && report_sort(tc))
			return -1;
		in_mem += tc->naggk;
		a->aggs_streamed |= tc->aggr.rows > 0;
	}
	a->naggs = 0;
	if (!a->aggs_streamed) {
		a->aggs = calloc_written(in_mem ? in_mem : 1, sizeof *a->aggs);
		if (!a->aggs)
			return -1;
	} else if (!a->finds) {
		a->finds = calloc(1, sizeof *a->finds);
		if (!a->finds)
			return -1;
		if (pthread_mutex_init(&a->finds->mu, NULL)) {
			free(a->finds);
			a->finds = NULL;
			return -1;
		}
	}
	/* one walk: counts the rows (and reads every run once, so that a bad
	 * temp file fails here, not halfway through an output) */
	struct aggmerge *m = aggmerge_open(a);
	if (!m)
		return -1;
	struct unmo_attr_agg o;
	int got;
	while ((got = aggmerge_next(m, &o)) > 0) {
		if (!a->aggs_streamed && (a->naggs >= in_mem || agg_copy(&a->res_arena, &a->aggs[a->naggs], &o))) {
			got = -1;
			break;
		}
		a->naggs++;
	}
	aggmerge_close(m);
	if (got < 0)
		return -1;
	if (!a->aggs_streamed) /* the workers' rows are in aggs now */
		for (unsigned w = 0; w < a->ntcs; w++) {
			tc_free_rows(&a->tcs[w], false);
			free(a->tcs[w].aggk);
			a->tcs[w].aggk = NULL;
			a->tcs[w].naggk = 0;
		}
	return 0;
}

void report_free(struct unmo_attr *a)
{
	report_ranks_free(a->ranks);
	a->ranks = NULL;
	free(a->aggs);
	a->aggs = NULL;
}
