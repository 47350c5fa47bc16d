/* fuzz_tenant.c — libFuzzer target: the tenant registry loader on a memory
 * buffer. Invariants: no crash or overread; every loaded tenant is found by
 * each of its keys and its key id; a rejected input yields "name:line: why"
 * or "name: why"; re-formatting every loaded tenant loads back the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tenant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct unmo_tenants *t = unmo_tenants_parse((const char *)data, size, "fuzz", err, sizeof err);
	if (!t) {
		if (strncmp(err, "fuzz:", 5) != 0)
			abort();
		return 0;
	}
	uint32_t n = unmo_tenants_count(t);
	static char text[(UNMO_TENANT_LINE_MAX + 2) * 256];
	size_t len = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct unmo_tenant *tn = unmo_tenants_at(t, i);
		enum unmo_key_kind k;
		if (tn->index != i || unmo_tenants_by_key_id(t, tn->key_id) != tn ||
		    unmo_tenants_by_api_key(t, tn->prod_key, UNMO_API_KEY_LEN, &k) != tn || k != UNMO_KEY_PROD ||
		    unmo_tenants_by_api_key(t, tn->staging_key, UNMO_API_KEY_LEN, &k) != tn ||
		    k != UNMO_KEY_STAGING || unmo_tenants_by_app_id(t, tn->app_id) != tn)
			abort();
		if (i < 256) {
			int l = unmo_tenant_format_line(tn, text + len, sizeof text - len);
			if (l < 0)
				abort();
			len += (size_t)l;
		}
	}
	if (n <= 256) {
		struct unmo_tenants *r = unmo_tenants_parse(text, len, "again", err, sizeof err);
		if (!r || unmo_tenants_count(r) != n)
			abort();
		for (uint32_t i = 0; i < n; i++) {
			const struct unmo_tenant *a = unmo_tenants_at(t, i), *b = unmo_tenants_at(r, i);
			if (strcmp(a->app_id, b->app_id) || strcmp(a->name, b->name) || a->key_id != b->key_id ||
			    strcmp(a->prod_key, b->prod_key) || strcmp(a->staging_key, b->staging_key) ||
			    memcmp(a->secret, b->secret, UNMO_SECRET_LEN) || a->auth_required != b->auth_required)
				abort();
		}
		unmo_tenants_free(r);
	}
	unmo_tenants_free(t);
	return 0;
}
