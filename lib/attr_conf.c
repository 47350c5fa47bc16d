/* attr_conf.c — attribution windows: defaults, per-app config file,
 * durations and UTC times, user-agent families. */
#include "attr.h"

#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <time.h>

void unmo_attr_windows_default(struct unmo_attr_windows *w)
{
	*w = (struct unmo_attr_windows){
		.click_lookback_us = 7 * UNMO_US_PER_DAY,
		.view_lookback_us = 1 * UNMO_US_PER_DAY,
		.view_through = true,
		.prob_window_us = 1 * UNMO_US_PER_DAY,
		.reattribution_us = 90 * UNMO_US_PER_DAY,
		.reengagement_us = 30 * UNMO_US_PER_DAY,
		.retarget_click_us = 7 * UNMO_US_PER_DAY,
		.half_life_us = 7 * UNMO_US_PER_DAY,
		.fast_ctit_us = 10 * UNMO_US_PER_S,
		.flood_clicks = 50,
		.flood_window_us = UNMO_US_PER_DAY,
	};
}

int unmo_attr_parse_duration(const char *s, int64_t *us)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	static const struct { const char *u; int64_t mul; } units[] = {
		{"", 1}, {"us", 1}, {"ms", 1000}, {"s", UNMO_US_PER_S}, {"m", 60 * UNMO_US_PER_S},
		{"h", 3600 * UNMO_US_PER_S}, {"d", UNMO_US_PER_DAY},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].u) != 0)
			continue;
		if (v > (unsigned long long)(UNMO_ATTR_TIME_LIMIT / units[i].mul))
			return -1; /* past the time arithmetic's range (attr.h) */
		*us = (int64_t)v * units[i].mul;
		return 0;
	}
	return -1;
}

static int digits(const char *p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int unmo_attr_parse_time(const char *s, int64_t *us)
{
	if (!s || !*s)
		return -1;
	size_t n = strlen(s);
	bool all_digits = true;
	for (size_t i = (s[0] == '-'); i < n; i++)
		all_digits &= isdigit((unsigned char)s[i]) != 0;
	if (all_digits && n > (size_t)(s[0] == '-') && n != 10) {
		errno = 0;
		long long v = strtoll(s, NULL, 10);
		if (errno)
			return -1;
		*us = v;
		return 0;
	}
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -1;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (strlen(p) < 6 || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
			if (*p == '.') {
				int nd = 0;
				p++;
				while (isdigit((unsigned char)*p) && nd < 6) {
					frac = frac * 10 + (*p++ - '0');
					nd++;
				}
				if (nd == 0 || isdigit((unsigned char)*p))
					return -1;
				while (nd++ < 6)
					frac *= 10;
			}
		}
		if (*p == 'Z')
			p++;
	}
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	/* days from civil (proleptic Gregorian), Howard Hinnant's algorithm */
	int yy = y - (mo <= 2);
	int era = yy / 400;
	int yoe = yy - era * 400;
	int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;
	*us = ((days * 86400 + h * 3600 + mi * 60 + sec) * UNMO_US_PER_S) + frac;
	return 0;
}

enum { K_CLICK, K_VIEW, K_VT, K_PROB, K_REATTR, K_REENG, K_RTCLICK, K_HALF, K_FAST, K_FLOODN,
       K_FLOODW, K_COUNT };
static const char *const key_names[K_COUNT] = {
	"click_lookback", "view_lookback", "view_through", "prob_window", "reattribution",
	"reengagement", "retarget_click", "half_life", "fast_ctit", "flood_clicks", "flood_window",
};

static int set_key(struct unmo_attr_windows *w, int k, const char *v)
{
	int64_t us;
	if (k == K_VT) {
		if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
			w->view_through = true;
		else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
			w->view_through = false;
		else
			return -1;
		return 0;
	}
	if (k == K_FLOODN) {
		char *end;
		errno = 0;
		unsigned long x = strtoul(v, &end, 10);
		if (errno || *end || !isdigit((unsigned char)*v) || x < 1 || x > 1000000000ul)
			return -1;
		w->flood_clicks = (uint32_t)x;
		return 0;
	}
	if (unmo_attr_parse_duration(v, &us))
		return -1;
	int64_t *f[K_COUNT] = {
		[K_CLICK] = &w->click_lookback_us, [K_VIEW] = &w->view_lookback_us,
		[K_PROB] = &w->prob_window_us, [K_REATTR] = &w->reattribution_us,
		[K_REENG] = &w->reengagement_us, [K_RTCLICK] = &w->retarget_click_us,
		[K_HALF] = &w->half_life_us, [K_FAST] = &w->fast_ctit_us, [K_FLOODW] = &w->flood_window_us,
	};
	if (k == K_HALF && us == 0)
		return -1;
	*f[k] = us;
	return 0;
}

/* Returns the key index and points *val at the value, or -1. */
static int split_kv(const char *kv, char *key, size_t keycap, const char **val)
{
	const char *eq = strchr(kv, '=');
	if (!eq || (size_t)(eq - kv) >= keycap)
		return -1;
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = 0;
	*val = eq + 1;
	for (int k = 0; k < K_COUNT; k++)
		if (!strcmp(key, key_names[k]))
			return k;
	return -1;
}

int unmo_attr_windows_set(struct unmo_attr_windows *w, const char *kv, char *err, size_t errlen)
{
	char key[64];
	const char *v;
	int k = split_kv(kv, key, sizeof key, &v);
	if (k < 0) {
		snprintf(err, errlen, "unknown setting '%s' (want key=value, keys: click_lookback ...)", kv);
		return -1;
	}
	if (set_key(w, k, v)) {
		snprintf(err, errlen, "bad value for %s: '%s'", key, v);
		return -1;
	}
	return 0;
}

struct app_conf {
	char *app;
	size_t len;
	uint32_t explicit_mask; /* keys this app set itself */
	int file_line[K_COUNT]; /* the config file's line that set each key (0: none) */
	struct unmo_attr_windows w;
};

struct unmo_attr_config {
	struct unmo_attr_windows def;
	int star_line[K_COUNT]; /* as file_line, for `app *` */
	struct app_conf *apps;
	size_t napps, cap;
	uint32_t *slot; /* apps by hash of the id, open addressing: index + 1 (0: empty) */
	size_t nslot;   /* a power of two, more than twice napps */
};

/* FNV-1a: a config holds at most a few hundred thousand ids (a linear
 * search made 40 k apps take a minute to load) */
static size_t app_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return (size_t)(h ^ h >> 29);
}

static struct app_conf *app_find(const struct unmo_attr_config *c, const char *app, size_t len)
{
	for (size_t h = c->nslot ? app_hash(app, len) & (c->nslot - 1) : 0; c->nslot && c->slot[h];
	     h = (h + 1) & (c->nslot - 1)) {
		struct app_conf *a = &c->apps[c->slot[h] - 1];
		if (a->len == len && !memcmp(a->app, app, len))
			return a;
	}
	return NULL;
}

/* Room in the hash for one more app; -1 when out of memory. */
static int slots_reserve(struct unmo_attr_config *c)
{
	if (2 * (c->napps + 1) < c->nslot)
		return 0;
	size_t n = c->nslot ? 2 * c->nslot : 64;
	uint32_t *v = calloc(n, sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < c->napps; i++) {
		size_t h = app_hash(c->apps[i].app, c->apps[i].len) & (n - 1);
		while (v[h])
			h = (h + 1) & (n - 1);
		v[h] = (uint32_t)i + 1;
	}
	free(c->slot);
	c->slot = v;
	c->nslot = n;
	return 0;
}

struct unmo_attr_config *unmo_attr_config_new(void)
{
	struct unmo_attr_config *c = calloc(1, sizeof *c);
	if (c)
		unmo_attr_windows_default(&c->def);
	return c;
}

void unmo_attr_config_free(struct unmo_attr_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->napps; i++)
		free(c->apps[i].app);
	free(c->apps);
	free(c->slot);
	free(c);
}

static struct app_conf *app_entry(struct unmo_attr_config *c, const char *app)
{
	size_t len = strlen(app);
	struct app_conf *found = app_find(c, app, len);
	if (found)
		return found;
	if (c->napps >= UINT32_MAX - 1 || slots_reserve(c))
		return NULL;
	if (c->napps == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct app_conf *n = realloc(c->apps, cap * sizeof *n);
		if (!n)
			return NULL;
		c->apps = n;
		c->cap = cap;
	}
	struct app_conf *a = &c->apps[c->napps];
	a->app = strdup(app);
	if (!a->app)
		return NULL;
	a->len = len;
	size_t h = app_hash(app, len) & (c->nslot - 1);
	while (c->slot[h])
		h = (h + 1) & (c->nslot - 1);
	c->slot[h] = (uint32_t)c->napps + 1;
	a->explicit_mask = 0;
	memset(a->file_line, 0, sizeof a->file_line);
	a->w = c->def;
	c->napps++;
	return a;
}

int unmo_attr_config_set(struct unmo_attr_config *c, const char *app, const char *kv, char *err,
			 size_t errlen)
{
	char key[64];
	const char *v;
	int k = split_kv(kv, key, sizeof key, &v);
	struct unmo_attr_windows probe = c->def;
	if (k < 0 || set_key(&probe, k, v)) {
		if (k < 0)
			snprintf(err, errlen, "unknown setting '%s'", kv);
		else
			snprintf(err, errlen, "bad value for %s: '%s'", key, v);
		return -1;
	}
	bool force = app == NULL, every = force || !strcmp(app, "*");
	if (every) {
		set_key(&c->def, k, v);
		for (size_t i = 0; i < c->napps; i++)
			if (force || !(c->apps[i].explicit_mask & (1u << k)))
				set_key(&c->apps[i].w, k, v);
		return 0;
	}
	struct app_conf *a = app_entry(c, app);
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->explicit_mask |= 1u << k;
	set_key(&a->w, k, v);
	return 0;
}

int unmo_attr_config_load(struct unmo_attr_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	if (!f || fstat(fileno(f), &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) { /* pipes are fine: --config <(...) */
		snprintf(err, errlen, "%s: is a directory", path);
		fclose(f);
		return -1;
	}
	char line[4096], msg[256];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno, sizeof line - 2);
			rc = -1;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *save, *tok = strtok_r(line, " \t\r\n", &save);
		if (!tok)
			continue;
		if (strcmp(tok, "app") != 0) {
			snprintf(err, errlen, "%s:%d: unknown directive '%s' (want: app <id|*> key=value...)",
				 path, lineno, tok);
			rc = -1;
			break;
		}
		char *app = strtok_r(NULL, " \t\r\n", &save);
		if (!app) {
			snprintf(err, errlen, "%s:%d: missing app id", path, lineno);
			rc = -1;
			break;
		}
		if (strlen(app) > UNMO_STR_MAX) {
			snprintf(err, errlen, "%s:%d: app id longer than %u bytes", path, lineno, UNMO_STR_MAX);
			rc = -1;
			break;
		}
		if (strcmp(app, "*") != 0 && !app_entry(c, app)) {
			snprintf(err, errlen, "%s:%d: out of memory", path, lineno);
			rc = -1;
			break;
		}
		while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
			if (unmo_attr_config_set(c, app, tok, msg, sizeof msg)) {
				snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
				rc = -1;
				break;
			}
			/* a key set twice for one app is a mistake either way: which
			 * one was meant cannot be guessed */
			char key[64];
			const char *v;
			int k = split_kv(tok, key, sizeof key, &v);
			int *set_on = strcmp(app, "*") ? app_entry(c, app)->file_line : c->star_line;
			if (set_on[k]) {
				snprintf(err, errlen, "%s:%d: %s for app %s already set on line %d", path, lineno, key,
					 app, set_on[k]);
				rc = -1;
				break;
			}
			set_on[k] = lineno;
		}
		if (rc)
			break;
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}

const struct unmo_attr_windows *unmo_attr_config_get(const struct unmo_attr_config *c,
						     const char *app, size_t app_len)
{
	const struct app_conf *a = app_find(c, app, app_len);
	return a ? &a->w : &c->def;
}

/* Case-insensitive search of a lower-case needle in s[0..n). */
static const char *find_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m && tolower((unsigned char)s[i + j]) == needle[j])
			j++;
		if (j == m)
			return s + i;
	}
	return NULL;
}

/* Digits of the major version right after position p (skipping spaces). */
static size_t major_after(const char *p, const char *end, char *out, size_t cap)
{
	while (p < end && *p == ' ')
		p++;
	size_t n = 0;
	while (p < end && isdigit((unsigned char)*p) && n + 1 < cap)
		out[n++] = *p++;
	return n;
}

/* "iOS 17.1" or "iOS/17.1" as a word (not the end of "Radios 5"): its major. */
static size_t ios_token_major(const char *s, const char *end, char *out, size_t cap)
{
	for (const char *p = s; p + 4 <= end; p++) {
		const char *hit = find_ci(p, (size_t)(end - p), "ios");
		if (!hit || hit + 4 > end)
			return 0;
		bool word = hit == s || !isalpha((unsigned char)hit[-1]);
		if (word && (hit[3] == ' ' || hit[3] == '/') && hit + 4 < end && isdigit((unsigned char)hit[4]))
			return major_after(hit + 4, end, out, cap);
		p = hit;
	}
	return 0;
}

/* Darwin/N (CFNetwork's user agent names only the kernel) as the iOS major:
 * Darwin 17..24 are iOS 11..18; Apple then jumped to year numbers, Darwin 25
 * being iOS 26, so from 25 on iOS is N + 1. */
static size_t darwin_ios_major(const char *s, const char *end, char *out, size_t cap)
{
	const char *hit = find_ci(s, (size_t)(end - s), "darwin/");
	char d[8];
	size_t dn = hit ? major_after(hit + 7, end, d, sizeof d) : 0;
	if (!dn || dn > 3)
		return 0;
	d[dn] = 0;
	int n = atoi(d);
	if (n < 17)
		return 0;
	int ios = n <= 24 ? n - 6 : n + 1;
	int w = snprintf(out, cap, "%d", ios);
	return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

size_t unmo_attr_ua_family(struct unmo_str ua, char *out, size_t cap)
{
	if (!ua.len || cap < 32) {
		if (cap)
			out[0] = 0;
		return 0;
	}
	const char *s = ua.p, *end = ua.p + ua.len, *hit;
	char ver[8];
	size_t vn = 0;
	const char *os = NULL;
	if ((hit = find_ci(s, ua.len, "iphone os "))) {
		os = "ios";
		vn = major_after(hit + 10, end, ver, sizeof ver);
	} else if ((hit = find_ci(s, ua.len, "cpu os "))) {
		os = "ios";
		vn = major_after(hit + 7, end, ver, sizeof ver);
	} else if ((hit = find_ci(s, ua.len, "android"))) {
		os = "android";
		vn = major_after(hit + 7, end, ver, sizeof ver);
	} else if ((vn = ios_token_major(s, end, ver, sizeof ver))) {
		os = "ios";
	} else if (find_ci(s, ua.len, "iphone") || find_ci(s, ua.len, "ipad") ||
		   find_ci(s, ua.len, "darwin") || find_ci(s, ua.len, "cfnetwork")) {
		os = "ios";
		vn = darwin_ios_major(s, end, ver, sizeof ver);
	} else if (find_ci(s, ua.len, "windows")) {
		os = "windows";
	} else if (find_ci(s, ua.len, "mac os x")) {
		os = "macos";
	} else if (find_ci(s, ua.len, "linux")) {
		os = "linux";
	}
	size_t n = 0;
	if (os) {
		n = (size_t)snprintf(out, cap, "%s", os);
		if (vn && n + 1 + vn < cap) {
			out[n++] = '-';
			memcpy(out + n, ver, vn);
			n += vn;
			out[n] = 0;
		}
		return n;
	}
	/* Unknown: the product token (printable ASCII up to '/' or ' '), lower-cased. */
	while (s < end && *s != '/' && *s > ' ' && *s <= '~' && n + 1 < cap)
		out[n++] = (char)tolower((unsigned char)*s++);
	out[n] = 0;
	if (!n) {
		memcpy(out, "other", 6);
		n = 5;
	}
	return n;
}

void unmo_attr_id_hex(const uint8_t id[16], char out[33])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[32] = 0;
}
