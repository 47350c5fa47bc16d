/* tenant.c — tenant registry: loader, O(1) lookups, writer helpers
 * (contract and file format: tenant.h, docs/tenants.md). */
#include "tenant.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (256u << 20)

struct unmo_tenants {
	uint32_t count;
	struct unmo_tenant *v;
	uint32_t *by_key; /* slot: 0 empty, else (index*2 + kind) + 1 */
	uint32_t key_mask;
	uint32_t *by_id;  /* slot: 0 empty, else index + 1 */
	uint32_t id_mask;
	uint8_t hkey[crypto_shorthash_KEYBYTES]; /* random per load: no forced collisions */
};

/* ---- validity ---------------------------------------------------------- */

static bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool unmo_tenant_app_id_valid(const char *s, size_t n)
{
	if (n == 0 || n > UNMO_APP_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

bool unmo_tenant_api_key_valid(const char *s, size_t n)
{
	const size_t plen = sizeof UNMO_API_KEY_PREFIX - 1;
	if (n != UNMO_API_KEY_LEN || memcmp(s, UNMO_API_KEY_PREFIX, plen) != 0)
		return false;
	for (size_t i = plen; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

static bool name_byte_ok(unsigned char c) { return c > 0x20 && c != 0x7f; }

/* ---- hash tables ------------------------------------------------------- */

static uint64_t hash(const struct unmo_tenants *t, const void *p, size_t n)
{
	uint8_t out[crypto_shorthash_BYTES];
	crypto_shorthash(out, p, n, t->hkey);
	uint64_t h;
	memcpy(&h, out, 8);
	return h;
}

static uint32_t table_size(uint32_t entries)
{
	uint32_t n = 16;
	while (n < 2u * entries) /* load factor <= 1/2: short probe runs */
		n <<= 1;
	return n;
}

static const char *tenant_key(const struct unmo_tenant *tn, unsigned kind)
{
	return kind == UNMO_KEY_PROD ? tn->prod_key : tn->staging_key;
}

const struct unmo_tenant *unmo_tenants_by_api_key(const struct unmo_tenants *t, const char *key,
						  size_t len, enum unmo_key_kind *kind)
{
	if (!t || !key || len != UNMO_API_KEY_LEN)
		return NULL;
	for (uint32_t i = (uint32_t)hash(t, key, len) & t->key_mask;; i = (i + 1) & t->key_mask) {
		uint32_t slot = t->by_key[i];
		if (!slot)
			return NULL;
		const struct unmo_tenant *tn = &t->v[(slot - 1) / 2];
		unsigned k = (slot - 1) % 2;
		if (sodium_memcmp(tenant_key(tn, k), key, UNMO_API_KEY_LEN) == 0) {
			if (kind)
				*kind = (enum unmo_key_kind)k;
			return tn;
		}
	}
}

const struct unmo_tenant *unmo_tenants_by_key_id(const struct unmo_tenants *t, uint64_t key_id)
{
	if (!t)
		return NULL;
	for (uint32_t i = (uint32_t)hash(t, &key_id, 8) & t->id_mask;; i = (i + 1) & t->id_mask) {
		uint32_t slot = t->by_id[i];
		if (!slot)
			return NULL;
		if (t->v[slot - 1].key_id == key_id) /* key ids are public: plain compare */
			return &t->v[slot - 1];
	}
}

const struct unmo_tenant *unmo_tenants_by_app_id(const struct unmo_tenants *t, const char *app_id)
{
	for (uint32_t i = 0; t && app_id && i < t->count; i++)
		if (strcmp(t->v[i].app_id, app_id) == 0)
			return &t->v[i];
	return NULL;
}

uint32_t unmo_tenants_count(const struct unmo_tenants *t) { return t ? t->count : 0; }

const struct unmo_tenant *unmo_tenants_at(const struct unmo_tenants *t, uint32_t index)
{
	return t && index < t->count ? &t->v[index] : NULL;
}

void unmo_tenants_free(struct unmo_tenants *t)
{
	if (!t)
		return;
	if (t->v)
		sodium_memzero(t->v, sizeof(*t->v) * t->count);
	free(t->v);
	free(t->by_key);
	free(t->by_id);
	sodium_memzero(t->hkey, sizeof t->hkey);
	free(t);
}

/* ---- parsing ------------------------------------------------------------ */

struct parse_ctx {
	const char *name;
	char *err;
	size_t errlen;
};

static void fail(const struct parse_ctx *c, uint32_t line, const char *fmt, ...)
{
	if (!c->err || !c->errlen)
		return;
	int n = line ? snprintf(c->err, c->errlen, "%s:%" PRIu32 ": ", c->name, line)
		     : snprintf(c->err, c->errlen, "%s: ", c->name);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	if (n == 0 || n > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_secret(const char *s, size_t n, uint8_t out[UNMO_SECRET_LEN])
{
	size_t bin_len = 0;
	if (n != 2 * UNMO_SECRET_LEN)
		return false;
	return sodium_hex2bin(out, UNMO_SECRET_LEN, s, n, NULL, &bin_len, NULL) == 0 &&
	       bin_len == UNMO_SECRET_LEN;
}

enum field { F_KEY_ID, F_PROD, F_STAGING, F_SECRET, F_AUTH, F_NAME, F_COUNT };
static const char *const field_names[F_COUNT] = {"key_id", "prod", "staging", "secret", "auth", "name"};

/* One "app ..." line s[0..n) (no newline, not NUL-terminated). Returns false
 * after writing the reason. Never echoes a value: values may be secrets. */
static bool parse_line(const struct parse_ctx *c, uint32_t line, const char *s, size_t n,
		       struct unmo_tenant *tn)
{
	const char *p = s, *end = s + n;
	const char *tok[2 + F_COUNT + 1];
	size_t tlen[2 + F_COUNT + 1];
	int ntok = 0;
	while (p < end) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		if (ntok == (int)(sizeof tok / sizeof tok[0])) {
			fail(c, line, "too many fields");
			return false;
		}
		tok[ntok] = p;
		while (p < end && !is_blank(*p))
			p++;
		tlen[ntok] = (size_t)(p - tok[ntok]);
		ntok++;
	}
	if (tlen[0] != 3 || memcmp(tok[0], "app", 3) != 0) {
		fail(c, line, "expected 'app <app_id> key_id=... prod=... staging=... secret=...'");
		return false;
	}
	if (ntok < 2) {
		fail(c, line, "missing app id");
		return false;
	}
	if (!unmo_tenant_app_id_valid(tok[1], tlen[1])) {
		fail(c, line, "invalid app id (1..%u characters of A-Z a-z 0-9 . _ -)", UNMO_APP_ID_MAX);
		return false;
	}
	memset(tn, 0, sizeof(*tn));
	memcpy(tn->app_id, tok[1], tlen[1]);
	tn->auth_required = true;
	tn->line = line;
	bool seen[F_COUNT] = {false};
	for (int i = 2; i < ntok; i++) {
		const char *eq = memchr(tok[i], '=', tlen[i]);
		if (!eq) {
			fail(c, line, "field %d is not key=value", i + 1);
			return false;
		}
		size_t kl = (size_t)(eq - tok[i]), vl = tlen[i] - kl - 1;
		const char *val = eq + 1;
		int f = 0;
		while (f < F_COUNT && !(strlen(field_names[f]) == kl && memcmp(field_names[f], tok[i], kl) == 0))
			f++;
		if (f == F_COUNT) {
			if (kl <= 16 && unmo_tenant_app_id_valid(tok[i], kl))
				fail(c, line, "unknown field '%.*s'", (int)kl, tok[i]);
			else
				fail(c, line, "unknown field %d", i + 1);
			return false;
		}
		if (seen[f]) {
			fail(c, line, "duplicate field '%s'", field_names[f]);
			return false;
		}
		seen[f] = true;
		switch ((enum field)f) {
		case F_KEY_ID:
			if (!parse_u64(val, vl, &tn->key_id) || tn->key_id == 0) {
				fail(c, line, "key_id: must be a non-zero decimal 64-bit integer");
				return false;
			}
			break;
		case F_PROD:
		case F_STAGING:
			if (!unmo_tenant_api_key_valid(val, vl)) {
				fail(c, line, "%s: API key must be '%s' followed by 40 lowercase hex characters",
				     field_names[f], UNMO_API_KEY_PREFIX);
				return false;
			}
			memcpy(f == F_PROD ? tn->prod_key : tn->staging_key, val, vl);
			break;
		case F_SECRET:
			if (!parse_secret(val, vl, tn->secret)) {
				fail(c, line, "secret: must be %u hex characters", 2 * UNMO_SECRET_LEN);
				return false;
			}
			break;
		case F_AUTH:
			if (vl == 8 && memcmp(val, "required", 8) == 0)
				tn->auth_required = true;
			else if (vl == 8 && memcmp(val, "optional", 8) == 0)
				tn->auth_required = false;
			else {
				fail(c, line, "auth: must be 'required' or 'optional'");
				return false;
			}
			break;
		case F_NAME:
			if (vl == 0 || vl > UNMO_TENANT_NAME_MAX) {
				fail(c, line, "name: must be 1..%u bytes", UNMO_TENANT_NAME_MAX);
				return false;
			}
			for (size_t k = 0; k < vl; k++)
				if (!name_byte_ok((unsigned char)val[k])) {
					fail(c, line, "name: control byte not allowed");
					return false;
				}
			memcpy(tn->name, val, vl);
			break;
		case F_COUNT:
			break;
		}
	}
	for (int f = 0; f < F_COUNT; f++)
		if (!seen[f] && f != F_AUTH && f != F_NAME) {
			fail(c, line, "missing field '%s'", field_names[f]);
			return false;
		}
	if (sodium_memcmp(tn->prod_key, tn->staging_key, UNMO_API_KEY_LEN) == 0) {
		fail(c, line, "prod and staging API keys must differ");
		return false;
	}
	return true;
}

/* Insert into the tables; on a duplicate, name the line it clashes with. */
static bool index_tenant(struct unmo_tenants *t, uint32_t idx, const struct parse_ctx *c)
{
	const struct unmo_tenant *tn = &t->v[idx];
	uint32_t i = (uint32_t)hash(t, &tn->key_id, 8) & t->id_mask;
	for (; t->by_id[i]; i = (i + 1) & t->id_mask)
		if (t->v[t->by_id[i] - 1].key_id == tn->key_id) {
			fail(c, tn->line, "duplicate key_id %" PRIu64 " (first on line %" PRIu32 ")",
			     tn->key_id, t->v[t->by_id[i] - 1].line);
			return false;
		}
	t->by_id[i] = idx + 1;
	for (unsigned k = 0; k < 2; k++) {
		const char *key = tenant_key(tn, k);
		uint32_t j = (uint32_t)hash(t, key, UNMO_API_KEY_LEN) & t->key_mask;
		for (; t->by_key[j]; j = (j + 1) & t->key_mask) {
			uint32_t s = t->by_key[j] - 1;
			if (sodium_memcmp(tenant_key(&t->v[s / 2], s % 2), key, UNMO_API_KEY_LEN) == 0) {
				fail(c, tn->line, "duplicate %s API key (also on line %" PRIu32 ")",
				     k == UNMO_KEY_PROD ? "prod" : "staging", t->v[s / 2].line);
				return false;
			}
		}
		t->by_key[j] = idx * 2 + k + 1;
	}
	return true;
}

static bool check_app_ids_unique(const struct unmo_tenants *t, const struct parse_ctx *c)
{
	/* App ids are not secret: an ordinary (unkeyed) table suffices, built
	 * once here at load and dropped. FNV-1a, open addressing. */
	uint32_t size = table_size(t->count), mask = size - 1;
	uint32_t *tab = calloc(size, sizeof *tab);
	if (!tab) {
		fail(c, 0, "out of memory");
		return false;
	}
	bool ok = true;
	for (uint32_t idx = 0; ok && idx < t->count; idx++) {
		const char *a = t->v[idx].app_id;
		uint32_t h = 2166136261u;
		for (const char *q = a; *q; q++)
			h = (h ^ (uint8_t)*q) * 16777619u;
		uint32_t i = h & mask;
		for (; tab[i]; i = (i + 1) & mask)
			if (strcmp(t->v[tab[i] - 1].app_id, a) == 0) {
				fail(c, t->v[idx].line, "duplicate app id '%s' (first on line %" PRIu32 ")", a,
				     t->v[tab[i] - 1].line);
				ok = false;
				break;
			}
		tab[i] = idx + 1;
	}
	free(tab);
	return ok;
}

struct unmo_tenants *unmo_tenants_parse(const char *buf, size_t n, const char *name, char *err,
					size_t errlen)
{
	struct parse_ctx c = {name ? name : "<registry>", err, errlen};
	if (err && errlen)
		err[0] = 0;
	if (sodium_init() < 0) {
		fail(&c, 0, "libsodium initialisation failed");
		return NULL;
	}
	struct unmo_tenants *t = calloc(1, sizeof(*t));
	if (!t) {
		fail(&c, 0, "out of memory");
		return NULL;
	}
	uint32_t cap = 0, line = 0;
	const char *p = buf, *end = buf + n;
	while (p < end) {
		line++;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t len = (size_t)(le - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len > UNMO_TENANT_LINE_MAX) {
			fail(&c, line, "line too long (max %u bytes)", UNMO_TENANT_LINE_MAX);
			goto bad;
		}
		if (memchr(p, '\0', len)) {
			fail(&c, line, "NUL byte in line");
			goto bad;
		}
		size_t s = 0;
		while (s < len && is_blank(p[s]))
			s++;
		if (s < len && p[s] != '#') {
			if (t->count == UINT32_MAX / 2 - 1) {
				fail(&c, line, "too many tenants");
				goto bad;
			}
			if (t->count == cap) {
				uint32_t ncap = cap ? cap * 2 : 64;
				struct unmo_tenant *nv = realloc(t->v, sizeof(*nv) * ncap);
				if (!nv) {
					fail(&c, line, "out of memory");
					goto bad;
				}
				t->v = nv;
				cap = ncap;
			}
			if (!parse_line(&c, line, p + s, len - s, &t->v[t->count]))
				goto bad;
			t->v[t->count].index = t->count;
			t->count++;
		}
		p = nl ? nl + 1 : end;
	}
	randombytes_buf(t->hkey, sizeof t->hkey);
	uint32_t ids = table_size(t->count), keys = table_size(2 * t->count);
	t->by_id = calloc(ids, sizeof(uint32_t));
	t->by_key = calloc(keys, sizeof(uint32_t));
	if (!t->by_id || !t->by_key) {
		fail(&c, 0, "out of memory");
		goto bad;
	}
	t->id_mask = ids - 1;
	t->key_mask = keys - 1;
	if (!check_app_ids_unique(t, &c))
		goto bad;
	for (uint32_t i = 0; i < t->count; i++)
		if (!index_tenant(t, i, &c))
			goto bad;
	return t;
bad:
	unmo_tenants_free(t);
	return NULL;
}

struct unmo_tenants *unmo_tenants_load(const char *path, char *err, size_t errlen)
{
	struct parse_ctx c = {path, err, errlen};
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail(&c, 0, "%s", strerror(errno));
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_FILE_BYTES) {
				fail(&c, 0, "file too large (max %u MiB)", MAX_FILE_BYTES >> 20);
				goto out;
			}
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = malloc(ncap);
			if (!nb) {
				fail(&c, 0, "out of memory");
				goto out;
			}
			if (buf) {
				memcpy(nb, buf, len);
				sodium_memzero(buf, len); /* the file holds secrets */
				free(buf);
			}
			buf = nb;
			cap = ncap;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fail(&c, 0, "read error");
		goto out;
	}
	struct unmo_tenants *t = unmo_tenants_parse(buf, len, path, err, errlen);
	sodium_memzero(buf, len);
	free(buf);
	fclose(f);
	return t;
out:
	if (buf)
		sodium_memzero(buf, len);
	free(buf);
	fclose(f);
	return NULL;
}

/* ---- writing ------------------------------------------------------------ */

int unmo_tenant_format_line(const struct unmo_tenant *tn, char *buf, size_t cap)
{
	char hex[2 * UNMO_SECRET_LEN + 1];
	sodium_bin2hex(hex, sizeof hex, tn->secret, UNMO_SECRET_LEN);
	int n = snprintf(buf, cap, "app %s key_id=%" PRIu64 " prod=%s staging=%s secret=%s auth=%s%s%s\n",
			 tn->app_id, tn->key_id, tn->prod_key, tn->staging_key, hex,
			 tn->auth_required ? "required" : "optional", tn->name[0] ? " name=" : "", tn->name);
	sodium_memzero(hex, sizeof hex);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			sodium_memzero(buf, cap); /* no partial line holding a secret */
		return -1;
	}
	return n;
}

void unmo_tenant_new_api_key(char key[UNMO_API_KEY_LEN + 1])
{
	uint8_t raw[(UNMO_API_KEY_LEN - (sizeof UNMO_API_KEY_PREFIX - 1)) / 2];
	if (sodium_init() < 0)
		abort(); /* no RNG: never hand out a predictable key */
	randombytes_buf(raw, sizeof raw);
	memcpy(key, UNMO_API_KEY_PREFIX, sizeof UNMO_API_KEY_PREFIX - 1);
	sodium_bin2hex(key + sizeof UNMO_API_KEY_PREFIX - 1, 2 * sizeof raw + 1, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
}

void unmo_tenant_new_secret(uint8_t secret[UNMO_SECRET_LEN])
{
	if (sodium_init() < 0)
		abort();
	randombytes_buf(secret, UNMO_SECRET_LEN);
}

uint64_t unmo_tenant_new_key_id(void)
{
	if (sodium_init() < 0)
		abort();
	uint64_t id = 0;
	while (id == 0)
		randombytes_buf(&id, sizeof id);
	return id;
}

static void copy_clean(char *dst, size_t max, const char *src, bool name)
{
	size_t i = 0;
	for (; src && src[i] && i < max; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[i] = (char)(name ? (name_byte_ok(ch) ? ch : '_') : ch);
	}
	dst[i] = 0;
}

void unmo_tenant_generate(struct unmo_tenant *tn, const char *app_id, const char *name)
{
	memset(tn, 0, sizeof(*tn));
	copy_clean(tn->app_id, UNMO_APP_ID_MAX, app_id, false);
	copy_clean(tn->name, UNMO_TENANT_NAME_MAX, name && name[0] ? name : app_id, true);
	tn->key_id = unmo_tenant_new_key_id();
	unmo_tenant_new_api_key(tn->prod_key);
	do
		unmo_tenant_new_api_key(tn->staging_key);
	while (memcmp(tn->prod_key, tn->staging_key, UNMO_API_KEY_LEN) == 0);
	unmo_tenant_new_secret(tn->secret);
	tn->auth_required = true;
}
