/* tenant_view.c — tenant registry replaceable at run time (see tenant_view.h). */
#include "tenant_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void view_free(struct tenant_view *v)
{
	unmo_tenants_free(v->reg);
	free(v->slot);
	free(v);
}

/* Slot of app_id: its own if the run has seen it, else a new one (UINT32_MAX
 * when none is left). */
static uint32_t slot_for(struct tenant_views *t, const char *app_id, uint32_t *nslots)
{
	for (uint32_t s = 0; s < *nslots; s++)
		if (!strcmp(t->names[s], app_id))
			return s;
	if (*nslots == t->cap)
		return UINT32_MAX;
	snprintf(t->names[*nslots], sizeof t->names[0], "%s", app_id);
	return (*nslots)++;
}

static struct tenant_view *view_new(struct tenant_views *t, struct unmo_tenants *reg, uint32_t *nslots)
{
	struct tenant_view *v = calloc(1, sizeof *v);
	uint32_t n = unmo_tenants_count(reg);
	if (!v || !(v->slot = calloc(n ? n : 1, sizeof *v->slot))) {
		free(v);
		return NULL;
	}
	v->reg = reg;
	for (uint32_t i = 0; i < n; i++) {
		v->slot[i] = slot_for(t, unmo_tenants_at(reg, i)->app_id, nslots);
		if (v->slot[i] == UINT32_MAX) {
			free(v->slot);
			free(v);
			return NULL;
		}
	}
	return v;
}

int tviews_init(struct tenant_views *t, struct unmo_tenants *reg)
{
	memset(t, 0, sizeof *t);
	t->cap = unmo_tenants_count(reg) + TENANT_SLOT_HEADROOM;
	t->names = calloc(t->cap, sizeof *t->names);
	struct tenant_view *v = t->names ? view_new(t, reg, &t->nslots) : NULL;
	if (!v)
		return -1;
	v->gen = 1;
	atomic_store(&t->cur, v);
	return 0;
}

int tviews_reload(struct tenant_views *t, const char *path, unsigned *added, char *err, size_t errlen)
{
	struct unmo_tenants *reg = unmo_tenants_load(path, err, errlen);
	if (!reg)
		return -1;
	uint32_t nslots = t->nslots; /* names past t->nslots are scratch until published */
	struct tenant_view *v = view_new(t, reg, &nslots);
	if (!v) {
		snprintf(err, errlen, "%s: more apps than this run has counter slots (%u); restart to grow", path,
			 t->cap);
		unmo_tenants_free(reg);
		return -1;
	}
	struct tenant_view *old = atomic_load(&t->cur);
	v->gen = old->gen + 1;
	v->older = old;
	*added = nslots - t->nslots;
	t->nslots = nslots; /* before the view: stats readers never see a slot without a name */
	atomic_store_explicit(&t->cur, v, memory_order_release);
	return 0;
}

void tviews_retire(struct tenant_views *t, uint64_t gen_in_use)
{
	struct tenant_view *v = atomic_load(&t->cur);
	while (v->older && v->older->gen >= gen_in_use)
		v = v->older;
	struct tenant_view *dead = v->older;
	v->older = NULL;
	while (dead) {
		struct tenant_view *next = dead->older;
		view_free(dead);
		dead = next;
	}
}

void tviews_free(struct tenant_views *t)
{
	struct tenant_view *v = atomic_load(&t->cur);
	while (v) {
		struct tenant_view *next = v->older;
		view_free(v);
		v = next;
	}
	atomic_store(&t->cur, NULL);
	free(t->names);
	t->names = NULL;
}
