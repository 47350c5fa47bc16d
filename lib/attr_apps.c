/* attr_apps.c — the tables of apps and (media source, campaign) pairs that
 * pass 1 interns: partition records carry their indexes, not their strings.
 * Contract in attr_impl.h ("apps seen in pass 1"). */
#include "attr_impl.h"

#include <stdlib.h>
#include <xxhash.h>

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
