/* tenant.h — the tenant registry: tenant apps, their API keys and frame
 * secrets, loaded from a text file (format: docs/tenants.md).
 *
 * File: one tenant app per line, '#' comments and blank lines ignored:
 *   app <app_id> key_id=<u64> prod=<api key> staging=<api key> secret=<64 hex> [auth=required|optional] [name=<text without spaces>]
 * API keys are "umk_" + 40 lowercase hex characters (the 20 random bytes).
 *
 * Contract:
 *  - unmo_tenants_load reads the whole file; on error it returns NULL and
 *    writes "<file>:<line>: <reason>" into err (never the secret itself).
 *  - Lookups are O(1) per datagram (hash tables sized at load, keyed by a
 *    random SipHash key so senders cannot force collisions) and the final
 *    key comparison is constant-time (sodium_memcmp).
 *  - The registry is immutable after load: lookups are thread-safe from any
 *    number of RX cores. Free with unmo_tenants_free.
 */
#ifndef UNMO_TENANT_H
#define UNMO_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNMO_API_KEY_LEN 44u /* "umk_" + 40 hex */
#define UNMO_SECRET_LEN 32u

enum unmo_key_kind { UNMO_KEY_PROD = 0, UNMO_KEY_STAGING = 1 };

struct unmo_tenant {
	uint32_t index;        /* 0..count-1, dense: use for per-tenant counters */
	char app_id[129];
	char name[65];
	uint64_t key_id;
	char prod_key[UNMO_API_KEY_LEN + 1];
	char staging_key[UNMO_API_KEY_LEN + 1];
	uint8_t secret[UNMO_SECRET_LEN];
	bool auth_required;    /* binary frames without a tag are refused */
};

struct unmo_tenants;

struct unmo_tenants *unmo_tenants_load(const char *path, char *err, size_t errlen);
void unmo_tenants_free(struct unmo_tenants *t);
uint32_t unmo_tenants_count(const struct unmo_tenants *t);
const struct unmo_tenant *unmo_tenants_at(const struct unmo_tenants *t, uint32_t index);

/* API key (from X-API-Key) -> tenant, or NULL. *kind says prod or staging. */
const struct unmo_tenant *unmo_tenants_by_api_key(const struct unmo_tenants *t, const char *key,
						  size_t len, enum unmo_key_kind *kind);
/* Binary-frame credential -> tenant, or NULL. */
const struct unmo_tenant *unmo_tenants_by_key_id(const struct unmo_tenants *t, uint64_t key_id);

/* Writing the registry (unmo-tenant): format one line for a tenant. */
int unmo_tenant_format_line(const struct unmo_tenant *tn, char *buf, size_t cap);
/* Fill a tenant with fresh random keys, key id and secret (libsodium RNG). */
void unmo_tenant_generate(struct unmo_tenant *tn, const char *app_id, const char *name);

#endif
