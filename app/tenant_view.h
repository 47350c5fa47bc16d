/* tenant_view.h — the tenant registry the RX cores use, replaceable while
 * running (SIGHUP reloads the tenants file: rotated keys and new apps take
 * effect without a restart).
 *
 * A view is an immutable registry (lib/tenant.h) plus, for each of its
 * tenants, the slot of its per-tenant counters. Slots are stable across
 * reloads: an app keeps its slot, a new app takes the next free one, up to
 * the capacity fixed at start (count at start + TENANT_SLOT_HEADROOM).
 *
 * Threads: the control thread calls tviews_reload and tviews_retire; RX cores
 * read the current view with tviews_current (one acquire load per loop pass)
 * and report the generation they use in their own atomic. A replaced view is
 * freed only once every RX core reported the new generation (or at exit).
 * Errors: reload leaves the current view in place and says why in err (the
 * file and line from the loader; never a secret). */
#ifndef UNMO_TENANT_VIEW_H
#define UNMO_TENANT_VIEW_H

#include <stdatomic.h>
#include <stdint.h>

#include "tenant.h"

#define TENANT_SLOT_HEADROOM 256u

struct tenant_view {
	struct unmo_tenants *reg;
	uint32_t *slot; /* [unmo_tenants_count(reg)]: counter slot of tenant i */
	uint64_t gen;   /* 1, 2, ... */
	struct tenant_view *older; /* replaced views not yet freed (control thread) */
};

struct tenant_views {
	_Atomic(struct tenant_view *) cur;
	char (*names)[129]; /* app id of each slot */
	uint32_t nslots, cap;
};

/* Take ownership of reg as generation 1. 0 or -1 (out of memory). */
int tviews_init(struct tenant_views *t, struct unmo_tenants *reg);
static inline struct tenant_view *tviews_current(struct tenant_views *t)
{
	return atomic_load_explicit(&t->cur, memory_order_acquire);
}
/* Load path and publish it as the next generation. 0, or -1 with err set
 * (the current view stays). *added: apps new to this run. */
int tviews_reload(struct tenant_views *t, const char *path, unsigned *added, char *err, size_t errlen);
/* Free the replaced views older than generation gen_in_use (the lowest
 * generation any RX core still reports). */
void tviews_retire(struct tenant_views *t, uint64_t gen_in_use);
void tviews_free(struct tenant_views *t);

#endif
