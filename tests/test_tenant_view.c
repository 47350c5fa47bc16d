/* test_tenant_view.c — the appliance's replaceable tenant registry
 * (app/tenant_view.h): counter slots stable across reloads (kept, reordered,
 * removed and new apps), generations, retiring replaced views, and a failed
 * reload (bad file, too many new apps) leaving the current view in place. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tenant_view.h"

static char path[64];

/* Write a tenants file with these apps (fresh keys). */
static void write_apps(const char *const *apps, unsigned n)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (unsigned i = 0; i < n; i++) {
		struct unmo_tenant tn;
		char line[UNMO_TENANT_LINE_MAX + 2];
		unmo_tenant_generate(&tn, apps[i], "t");
		cr_assert_gt(unmo_tenant_format_line(&tn, line, sizeof line), 0);
		fprintf(f, "%s\n", line);
	}
	cr_assert_eq(fclose(f), 0);
}

static void setup(void)
{
	strcpy(path, "/tmp/test_tview_XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void teardown(void) { unlink(path); }

/* Views over a fresh file of these apps. */
static void start(struct tenant_views *t, const char *const *apps, unsigned n)
{
	char err[512];
	write_apps(apps, n);
	struct unmo_tenants *reg = unmo_tenants_load(path, err, sizeof err);
	cr_assert_not_null(reg, "%s", err);
	cr_assert_eq(tviews_init(t, reg), 0);
}

static uint32_t slot_of(const struct tenant_view *v, const char *app)
{
	const struct unmo_tenant *tn = unmo_tenants_by_app_id(v->reg, app);
	cr_assert_not_null(tn, "%s not in the view", app);
	return v->slot[tn->index];
}

Test(tenant_view, slots_survive_reloads, .init = setup, .fini = teardown)
{
	static const char *const first[] = {"app.a", "app.b", "app.c"};
	char err[512];
	struct tenant_views t;
	start(&t, first, 3);
	const struct tenant_view *v1 = tviews_current(&t);
	cr_assert_eq(v1->gen, 1);
	cr_assert_eq(t.nslots, 3);
	cr_assert_eq(slot_of(v1, "app.b"), 1);

	/* reordered, one removed, one new: kept apps keep their slots */
	static const char *const second[] = {"app.c", "app.d", "app.a"};
	write_apps(second, 3);
	unsigned added = 99;
	cr_assert_eq(tviews_reload(&t, path, &added, err, sizeof err), 0, "%s", err);
	const struct tenant_view *v2 = tviews_current(&t);
	cr_assert_eq(v2->gen, 2);
	cr_assert_eq(added, 1);
	cr_assert_eq(t.nslots, 4);
	cr_assert_eq(slot_of(v2, "app.a"), 0);
	cr_assert_eq(slot_of(v2, "app.c"), 2);
	cr_assert_eq(slot_of(v2, "app.d"), 3);
	cr_assert_str_eq(t.names[3], "app.d");
	cr_assert_str_eq(t.names[1], "app.b"); /* removed apps keep their counters' name */
	cr_assert_null(unmo_tenants_by_app_id(v2->reg, "app.b"));

	/* the old view lives until no core reports generation 1 */
	cr_assert_eq(v2->older, v1);
	tviews_retire(&t, 1);
	cr_assert_eq(v2->older, v1);
	tviews_retire(&t, 2);
	cr_assert_null(v2->older);

	/* a bad file: the reload fails with file:line, the view stays */
	FILE *f = fopen(path, "w");
	fputs("app app.e key_id=zero\n", f);
	fclose(f);
	cr_assert_eq(tviews_reload(&t, path, &added, err, sizeof err), -1);
	cr_assert(strstr(err, path) && strstr(err, ":1:"), "%s", err);
	cr_assert_eq(tviews_current(&t), v2);
	cr_assert_eq(t.nslots, 4);
	tviews_free(&t);
}

Test(tenant_view, more_new_apps_than_slots_is_refused, .init = setup, .fini = teardown)
{
	static const char *const one[] = {"app.a"};
	char err[512];
	struct tenant_views t;
	start(&t, one, 1);
	cr_assert_eq(t.cap, 1 + TENANT_SLOT_HEADROOM);
	unsigned n = t.cap + 1;
	char (*names)[16] = calloc(n, sizeof *names);
	const char **apps = calloc(n, sizeof *apps);
	for (unsigned i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "app.n%u", i);
		apps[i] = names[i];
	}
	write_apps(apps, n);
	unsigned added = 0;
	const struct tenant_view *v1 = tviews_current(&t);
	cr_assert_eq(tviews_reload(&t, path, &added, err, sizeof err), -1);
	cr_assert(strstr(err, "counter slots"), "%s", err);
	cr_assert_eq(tviews_current(&t), v1);
	cr_assert_eq(t.nslots, 1);
	/* exactly the capacity fits */
	write_apps(apps, t.cap - 1);
	cr_assert_eq(tviews_reload(&t, path, &added, err, sizeof err), 0, "%s", err);
	cr_assert_eq(t.nslots, t.cap);
	cr_assert_eq(added, t.cap - 1);
	free(names);
	free(apps);
	tviews_free(&t);
}
