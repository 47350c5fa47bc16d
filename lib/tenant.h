/* tenant.h — the tenant registry: tenant apps, their API keys and frame
 * secrets, loaded from a text file (format: docs/tenants.md).
 *
 * File: one tenant app per line, '#' comments and blank lines ignored:
 *   app <app_id> key_id=<u64> prod=<api key> staging=<api key> secret=<64 hex> [auth=required|optional] [name=<text without spaces>]
 * API keys are "umk_" + 40 lowercase hex characters (the 20 random bytes).
 * Fields after the app id may come in any order, each at most once; app_id
 * is 1..128 of [A-Za-z0-9._-]; key_id is a non-zero decimal u64; name is
 * 1..64 bytes, none of them a space, tab or control byte; auth defaults to
 * required. App ids, key ids and API keys (prod and staging together) are
 * unique across the file.
 *
 * Contract:
 *  - unmo_tenants_load reads the whole file; on error it returns NULL and
 *    writes "<file>:<line>: <reason>" into err (never a key or secret;
 *    "<file>: <reason>" when the file cannot be read).
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
#define UNMO_API_KEY_PREFIX "umk_"
#define UNMO_APP_ID_MAX 128u
#define UNMO_TENANT_NAME_MAX 64u
#define UNMO_TENANT_LINE_MAX 1024u /* longest line the loader accepts */

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
	uint32_t line;         /* line number in the file (1-based), for tools */
};

struct unmo_tenants;

struct unmo_tenants *unmo_tenants_load(const char *path, char *err, size_t errlen);
/* The same loader on a memory buffer buf[0..n) (need not be NUL-terminated);
 * name is used in error messages in place of the file name. */
struct unmo_tenants *unmo_tenants_parse(const char *buf, size_t n, const char *name, char *err,
					size_t errlen);
void unmo_tenants_free(struct unmo_tenants *t);
uint32_t unmo_tenants_count(const struct unmo_tenants *t);
const struct unmo_tenant *unmo_tenants_at(const struct unmo_tenants *t, uint32_t index);

/* API key (from X-API-Key) -> tenant, or NULL. *kind says prod or staging. */
const struct unmo_tenant *unmo_tenants_by_api_key(const struct unmo_tenants *t, const char *key,
						  size_t len, enum unmo_key_kind *kind);
/* Binary-frame credential -> tenant, or NULL. */
const struct unmo_tenant *unmo_tenants_by_key_id(const struct unmo_tenants *t, uint64_t key_id);
/* App id -> tenant, or NULL (linear scan: for tools, not the packet path). */
const struct unmo_tenant *unmo_tenants_by_app_id(const struct unmo_tenants *t, const char *app_id);

/* Writing the registry (unmo-tenant): format one line for a tenant, with a
 * trailing '\n' and NUL. Returns the length without the NUL, or -1 if it
 * does not fit in cap. The line holds the secrets: write it only to the
 * registry file. */
int unmo_tenant_format_line(const struct unmo_tenant *tn, char *buf, size_t cap);
/* Fill a tenant with fresh random keys, key id and secret (libsodium RNG),
 * auth required. app_id and name are copied (name may be NULL or "": then
 * the app id is used; bytes the file cannot hold — spaces, controls — become
 * '_'; both are truncated to their maximum). */
void unmo_tenant_generate(struct unmo_tenant *tn, const char *app_id, const char *name);
/* Fresh random material for one credential (used by generate and by
 * `unmo-tenant rotate`). */
void unmo_tenant_new_api_key(char key[UNMO_API_KEY_LEN + 1]);
void unmo_tenant_new_secret(uint8_t secret[UNMO_SECRET_LEN]);
uint64_t unmo_tenant_new_key_id(void);
/* Validity checks the loader applies (for tools validating user input). */
bool unmo_tenant_app_id_valid(const char *s, size_t n);
bool unmo_tenant_api_key_valid(const char *s, size_t n);

#endif
