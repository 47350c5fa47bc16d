/* attr_agg.c — a worker's result store: arena, interned strings and the
 * (app, media source, campaign) aggregate map. One owner thread each. */
#include "attr_impl.h"

#include <stdlib.h>
#include <xxhash.h>

struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct arena_blk *b = a->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 60000 ? n : 65536;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

void arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_blk *n = a->head->next;
		free(a->head);
		a->head = n;
	}
}

struct sent {
	struct sent *next;
	uint64_t h;
	uint16_t len;
	char s[];
};

static int grow_table(void ***tab, size_t *cap, size_t elem_next_off, size_t elem_hash_off)
{
	size_t ncap = *cap ? *cap * 2 : 256;
	void **n = calloc_written(ncap, sizeof *n);
	if (!n)
		return -1;
	for (size_t i = 0; i < *cap; i++) {
		void *e = (*tab)[i];
		while (e) {
			void *next = *(void **)((char *)e + elem_next_off);
			uint64_t h = *(uint64_t *)((char *)e + elem_hash_off);
			*(void **)((char *)e + elem_next_off) = n[h & (ncap - 1)];
			n[h & (ncap - 1)] = e;
			e = next;
		}
	}
	free(*tab);
	*tab = n;
	*cap = ncap;
	return 0;
}

size_t name_encode(char *dst, const char *src, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == 0 || c == NAME_ESC) {
			dst[k++] = (char)NAME_ESC;
			dst[k++] = (char)(c ? NAME_ESC : 0x80u);
		} else {
			dst[k++] = (char)c;
		}
	}
	dst[k] = 0;
	return k;
}

const char *tc_intern(struct tctx *tc, struct unmo_str s)
{
	char enc[2 * UNMO_STR_MAX + 1]; /* names are at most UNMO_STR_MAX bytes */
	if (s.len && s.len <= UNMO_STR_MAX && (memchr(s.p, 0, s.len) || memchr(s.p, (int)NAME_ESC, s.len)))
		s = (struct unmo_str){enc, (uint16_t)name_encode(enc, s.p, s.len)};
	struct strtab *t = &tc->strs;
	uint64_t h = XXH3_64bits(s.p ? s.p : "", s.len);
	if (t->cap) {
		for (struct sent *e = t->tab[h & (t->cap - 1)]; e; e = e->next)
			if (e->h == h && e->len == s.len && (!s.len || !memcmp(e->s, s.p, s.len)))
				return e->s;
	}
	if ((t->cap == 0 || t->n >= t->cap / 2) &&
	    grow_table((void ***)&t->tab, &t->cap, offsetof(struct sent, next), offsetof(struct sent, h))) {
		tc->error = 1;
		return "";
	}
	struct sent *e = arena_alloc(&tc->arena, sizeof *e + s.len + 1u);
	if (!e) {
		tc->error = 1;
		return "";
	}
	e->h = h;
	e->len = s.len;
	if (s.len)
		memcpy(e->s, s.p, s.len);
	e->s[s.len] = 0;
	e->next = t->tab[h & (t->cap - 1)];
	t->tab[h & (t->cap - 1)] = e;
	t->n++;
	return e->s;
}

static struct agg_acc dummy_agg; /* absorbs updates after out-of-memory */

/* rowmap: open addressing on (app, source+campaign index) + 1 (0 = empty). */
static inline uint64_t row_key(uint32_t app, uint32_t sc) { return ((uint64_t)app << 32 | sc) + 1; }
static inline size_t row_slot(uint64_t key, size_t cap) { return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 40) & (cap - 1); }

struct agg_acc *tc_row(const struct tctx *tc, uint32_t app, uint32_t sc)
{
	uint64_t key = row_key(app, sc);
	if (tc->rowcap)
		for (size_t i = row_slot(key, tc->rowcap);; i = (i + 1) & (tc->rowcap - 1)) {
			if (tc->rowmap[i].key == key)
				return tc->rowmap[i].row;
			if (!tc->rowmap[i].key)
				break;
		}
	return NULL;
}

/* Memory a row costs the worker beyond its currencies: the row and two
 * slots of the map (kept at most half full). */
#define ROW_BYTES (sizeof(struct agg_acc) + 2 * sizeof(struct rowslot))

struct agg_acc *tc_agg_at(struct tctx *tc, uint32_t app, uint32_t sc)
{
	struct agg_acc *row = tc_row(tc, app, sc);
	if (row)
		return row;
	if (2 * (tc->nrows + 1) > tc->rowcap) {
		size_t cap = tc->rowcap ? 2 * tc->rowcap : 256;
		struct rowslot *m = calloc_written(cap, sizeof *m);
		if (!m) {
			tc->error = 1;
			return &dummy_agg;
		}
		for (size_t j = 0; j < tc->rowcap; j++) {
			if (!tc->rowmap[j].key)
				continue;
			size_t i = row_slot(tc->rowmap[j].key, cap);
			while (m[i].key)
				i = (i + 1) & (cap - 1);
			m[i] = tc->rowmap[j];
		}
		free(tc->rowmap);
		tc->rowmap = m;
		tc->rowcap = cap;
	}
	row = arena_alloc(&tc->aggarena, sizeof *row);
	if (!row) {
		tc->error = 1;
		return &dummy_agg;
	}
	memset(row, 0, sizeof *row);
	row->rk = report_key(tc->eng->ranks, app, sc);
	row->kind = AGG_ROW_MEM;
	uint64_t key = row_key(app, sc);
	size_t i = row_slot(key, tc->rowcap);
	while (tc->rowmap[i].key)
		i = (i + 1) & (tc->rowcap - 1);
	tc->rowmap[i] = (struct rowslot){key, row};
	tc->nrows++;
	tc->aggbytes += ROW_BYTES;
	return row;
}

struct agg_acc *tc_agg(struct tctx *tc, struct unmo_str app, struct unmo_str src, struct unmo_str camp)
{
	/* every name was interned in pass 1 (the fallbacks by
	 * report_ranks_make): only looked up here */
	uint32_t ai = apps_find(&tc->eng->apps, app), si = 0;
	if (src.len || camp.len) {
		uint8_t key[2 + 2 * UNMO_STR_MAX];
		si = apps_find(&tc->eng->scs, (struct unmo_str){(const char *)key, (uint16_t)sc_key(key, src, camp)});
	}
	if (ai == UINT32_MAX || si == UINT32_MAX) {
		tc->error = 1;
		return &dummy_agg;
	}
	return tc_agg_at(tc, ai, si);
}

struct agg_acc *tc_agg_ev(struct tctx *tc, const struct ev *e)
{
	return tc_agg_at(tc, e->app, e->sc);
}

/* The row's entry for currency cur (added when new); NULL after
 * out-of-memory. A row's entries are kept in the order of their codes as
 * words and found by halving: currencies are 3 letters, so a row can hold
 * 17,577 of them, and a linear look cost 5 s over 300,000 conversions in
 * random codes (one row per app, source and campaign). */
static struct money *money_of(struct tctx *tc, struct agg_acc *a, const char cur[3])
{
	if (a == &dummy_agg)
		return NULL;
	char c[4] = {0};
	if (cur[0])
		memcpy(c, cur, 3);
	else
		memcpy(c, "XXX", 3); /* ISO 4217 "no currency" */
	uint32_t want, have;
	memcpy(&want, c, 4);
	uint32_t lo = 0, hi = a->nm;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		memcpy(&have, a->m[mid].cur, 4);
		if (have < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->nm) {
		memcpy(&have, a->m[lo].cur, 4);
		if (have == want)
			return &a->m[lo];
	}
	if (a->nm == a->capm) {
		uint32_t cap = a->capm ? a->capm * 2 : 2;
		struct money *n = realloc(a->m, cap * sizeof *n);
		if (!n) {
			tc->error = 1;
			return NULL;
		}
		tc->aggbytes += (cap - a->capm) * sizeof *n;
		a->m = n;
		a->capm = cap;
	}
	memmove(&a->m[lo + 1], &a->m[lo], (a->nm - lo) * sizeof *a->m);
	a->nm++;
	struct money *m = &a->m[lo];
	memset(m, 0, sizeof *m);
	memcpy(m->cur, c, 4);
	return m;
}

void agg_add_money(struct tctx *tc, struct agg_acc *a, const char cur[3], int slot, int64_t micros)
{
	struct money *m = money_of(tc, a, cur);
	if (m)
		m->v[slot] += micros;
}

void agg_add_money_models(struct tctx *tc, struct agg_acc *a, const char cur[3], int64_t micros)
{
	struct money *m = money_of(tc, a, cur);
	for (int k = 1; m && k <= UNMO_MODEL_COUNT; k++)
		m->v[k] += micros;
}

void agg_add_ctit(struct tctx *tc, struct agg_acc *a, int64_t us)
{
	if (a == &dummy_agg)
		return;
	if (a->nctit == a->capctit) {
		uint32_t cap = a->capctit ? a->capctit * 2 : 4;
		int64_t *n = realloc(a->ctit, cap * sizeof *n);
		if (!n) {
			tc->error = 1;
			return;
		}
		a->ctit = n;
		a->capctit = cap;
	}
	a->ctit[a->nctit++] = us;
	a->nctit_all++;
	tc->nctit_mem++;
}

void tc_free_scratch(struct tctx *tc)
{
	free(tc->scratch);
	free(tc->mt);
	tc->mt = NULL;
	tc->mtcap = 0;
	free(tc->tdw);
	free(tc->tdk);
	tc->tdw = NULL;
	tc->tdk = NULL;
	tc->tdn = tc->tdcap = 0;
	free(tc->run);
	evvec_free(&tc->av);
	free(tc->ptrs);
	for (int i = 0; i < P2_DEPTH; i++) {
		part_view_free(&tc->load[i]);
		part_view_free(&tc->aload[i]);
	}
	part_view_free(&tc->splitv);
	part_view_free(&tc->splitav);
	for (int i = 0; i < SPLIT_DEPTH - 1; i++) /* after the views: they give chains back to them */
		if (tc->splitpool[i].region)
			pool_free(&tc->splitpool[i]);
	big_free(tc->splitbuf, tc->splitcap);
	tc->splitbuf = NULL;
	free(tc->recbuf);
	sort_scratch_free(&tc->sort);
	free(tc->tbuf);
	free(tc->wbuf);
	free(tc->pcred);
	tc->pcred = NULL;
	tc->npcred = tc->pcredcap = 0;
	free(tc->obuf);
	tc->scratch = NULL;
	tc->run = NULL;
	tc->ptrs = NULL;
	tc->recbuf = NULL;
	tc->tbuf = NULL;
	tc->wbuf = NULL;
	tc->obuf = NULL;
	tc->scratchcap = tc->runcap = tc->ptrcap = tc->tcap = 0;
}

void tc_free_rows(struct tctx *tc, bool keep_map)
{
	for (size_t i = 0; i < tc->rowcap; i++)
		if (tc->rowmap[i].key) {
			free(tc->rowmap[i].row->m);
			free(tc->rowmap[i].row->ctit);
		}
	if (keep_map && tc->rowmap) { /* emptied: it keeps its size for the next rows */
		memset(tc->rowmap, 0, tc->rowcap * sizeof *tc->rowmap);
	} else {
		free(tc->rowmap);
		tc->rowmap = NULL;
		tc->rowcap = 0;
	}
	tc->nrows = 0;
	arena_free(&tc->aggarena);
	tc->aggbytes = 0;
}

void tc_free(struct tctx *tc)
{
	tc_free_rows(tc, false);
	free(tc->aggk);
	rowruns_free(&tc->aggr);
	free(tc->strs.tab);
	big_free(tc->ins, tc->insmapped);
	big_free(tc->conv, tc->convmapped);
	free(tc->insk);
	free(tc->convk);
	rowruns_free(&tc->insr);
	rowruns_free(&tc->convr);
	rowruns_free(&tc->ctitr);
	tc_free_scratch(tc);
	arena_free(&tc->arena);
	memset(tc, 0, sizeof *tc);
}
