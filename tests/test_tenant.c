/* test_tenant.c — tenant registry: loader errors (file:line: reason, never a
 * secret), every lookup, wrong keys, writer round trip, 10,000 tenants. */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tenant.h"

/* Loops assert through CHECK: under --full-stats every passing cr_assert is
 * reported to the runner, which makes tight loops slow. */
#define CHECK(cond, ...) do { if (!(cond)) cr_assert(cond, __VA_ARGS__); } while (0)

#define K1 "umk_0123456789abcdef0123456789abcdef01234567"
#define K2 "umk_89abcdef0123456789abcdef0123456789abcdef"
#define K3 "umk_fedcba9876543210fedcba9876543210fedcba98"
#define K4 "umk_00000000000000000000000000000000000000ff"
#define S1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define S2 "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF00112233445566778899AABBCCDDEEFF"

static char *write_temp(const char *text, size_t n)
{
	static char path[64];
	strcpy(path, "/tmp/test_tenant_XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

static const char good[] =
	"# registry\n"
	"\n"
	"app com.techstart.mobile key_id=1 prod=" K1 " staging=" K2 " secret=" S1 " name=TechStart\n"
	"   \t# indented comment\r\n"
	"app com.ecomgrowth.shop\tsecret=" S2 "  staging=" K4 " prod=" K3 " key_id=18446744073709551615 auth=optional\r\n";

Test(tenant, loads_and_looks_up_every_key)
{
	char err[256] = "x";
	char *path = write_temp(good, sizeof good - 1);
	struct unmo_tenants *t = unmo_tenants_load(path, err, sizeof err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(unmo_tenants_count(t), 2);
	const struct unmo_tenant *a = unmo_tenants_at(t, 0), *b = unmo_tenants_at(t, 1);
	cr_assert_null(unmo_tenants_at(t, 2));
	cr_assert_str_eq(a->app_id, "com.techstart.mobile");
	cr_assert_str_eq(a->name, "TechStart");
	cr_assert_eq(a->line, 3);
	cr_assert(a->auth_required);
	cr_assert_eq(a->index, 0);
	cr_assert_eq(a->secret[31], 0x1f);
	cr_assert_str_eq(b->app_id, "com.ecomgrowth.shop");
	cr_assert_str_eq(b->name, "");
	cr_assert_eq(b->key_id, UINT64_MAX);
	cr_assert_not(b->auth_required);
	cr_assert_eq(b->secret[0], 0xf0);
	cr_assert_eq(b->line, 5);
	enum unmo_key_kind kind = 9;
	cr_assert_eq(unmo_tenants_by_api_key(t, K1, 44, &kind), a);
	cr_assert_eq(kind, UNMO_KEY_PROD);
	cr_assert_eq(unmo_tenants_by_api_key(t, K2, 44, &kind), a);
	cr_assert_eq(kind, UNMO_KEY_STAGING);
	cr_assert_eq(unmo_tenants_by_api_key(t, K3, 44, &kind), b);
	cr_assert_eq(kind, UNMO_KEY_PROD);
	cr_assert_eq(unmo_tenants_by_api_key(t, K4, 44, NULL), b);
	cr_assert_eq(unmo_tenants_by_key_id(t, 1), a);
	cr_assert_eq(unmo_tenants_by_key_id(t, UINT64_MAX), b);
	cr_assert_null(unmo_tenants_by_key_id(t, 2));
	cr_assert_null(unmo_tenants_by_key_id(t, 0));
	cr_assert_eq(unmo_tenants_by_app_id(t, "com.ecomgrowth.shop"), b);
	cr_assert_null(unmo_tenants_by_app_id(t, "com.ecomgrowth"));
	/* wrong keys of the right length, each position changed */
	char k[45];
	for (int i = 0; i < 44; i++) {
		strcpy(k, K1);
		k[i] = k[i] == '0' ? '1' : '0';
		cr_assert_null(unmo_tenants_by_api_key(t, k, 44, &kind), "pos %d", i);
	}
	/* prefixes, extensions and empty keys */
	cr_assert_null(unmo_tenants_by_api_key(t, K1, 43, &kind));
	char longer[64];
	snprintf(longer, sizeof longer, "%sx", K1);
	cr_assert_null(unmo_tenants_by_api_key(t, longer, 45, &kind));
	cr_assert_null(unmo_tenants_by_api_key(t, "", 0, &kind));
	unmo_tenants_free(t);
	unlink(path);
}

Test(tenant, empty_registry_and_missing_file)
{
	char err[256];
	struct unmo_tenants *t = unmo_tenants_parse("# nothing\n\n", 11, "mem", err, sizeof err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(unmo_tenants_count(t), 0);
	cr_assert_null(unmo_tenants_by_key_id(t, 1));
	cr_assert_null(unmo_tenants_by_api_key(t, K1, 44, NULL));
	unmo_tenants_free(t);
	cr_assert_null(unmo_tenants_load("/nonexistent/dir/tenants.conf", err, sizeof err));
	cr_assert_str_eq(err, "/nonexistent/dir/tenants.conf: No such file or directory");
}

#define GOOD_REST " key_id=7 prod=" K1 " staging=" K2 " secret=" S1
Test(tenant, every_error_names_file_line_and_reason_without_secrets)
{
	struct { const char *line2; const char *want; } cases[] = {
		{"application x" GOOD_REST, "expected 'app <app_id>"},
		{"app", "missing app id"},
		{"app com.bad/app" GOOD_REST, "invalid app id"},
		{"app a key_id=7 prod=" K1 " staging=" K2, "missing field 'secret'"},
		{"app a key_id=7 prod=" K1 " secret=" S1, "missing field 'staging'"},
		{"app a staging=" K2 " prod=" K1 " secret=" S1, "missing field 'key_id'"},
		{"app a" GOOD_REST " key_id=8", "duplicate field 'key_id'"},
		{"app a" GOOD_REST " colour=blue", "unknown field 'colour'"},
		{"app a" GOOD_REST " " S2, "field 7 is not key=value"},
		{"app a key_id=0 prod=" K1 " staging=" K2 " secret=" S1, "key_id: must be a non-zero"},
		{"app a key_id=18446744073709551616 prod=" K1 " staging=" K2 " secret=" S1, "key_id: must be"},
		{"app a key_id=-1 prod=" K1 " staging=" K2 " secret=" S1, "key_id: must be"},
		{"app a key_id=7 prod=umk_0123 staging=" K2 " secret=" S1, "prod: API key must be"},
		{"app a key_id=7 prod=" K1 " staging=umk_89ABCDEF0123456789abcdef0123456789abcdef secret=" S1,
		 "staging: API key must be"},
		{"app a key_id=7 prod=" K1 " staging=" K2 " secret=" S1 "00", "secret: must be 64 hex"},
		{"app a key_id=7 prod=" K1 " staging=" K2 " secret=zz02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "secret: must be 64 hex"},
		{"app a" GOOD_REST " auth=maybe", "auth: must be 'required' or 'optional'"},
		{"app a" GOOD_REST " name=", "name: must be 1..64 bytes"},
		{"app a" GOOD_REST " name=\x01x", "name: control byte"},
		{"app a key_id=7 prod=" K1 " staging=" K1 " secret=" S1, "prod and staging API keys must differ"},
		{"app com.techstart.mobile key_id=9 prod=" K3 " staging=" K4 " secret=" S1,
		 "duplicate app id 'com.techstart.mobile' (first on line 1)"},
		{"app b key_id=1 prod=" K3 " staging=" K4 " secret=" S1, "duplicate key_id 1 (first on line 1)"},
		{"app b key_id=9 prod=" K3 " staging=" K1 " secret=" S1, "duplicate staging API key (also on line 1)"},
		{"app b key_id=9 prod=" K2 " staging=" K3 " secret=" S1, "duplicate prod API key (also on line 1)"},
	};
	const char *first = "app com.techstart.mobile key_id=1 prod=" K1 " staging=" K2 " secret=" S2 "\n";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[2048], err[512] = "";
		int n = snprintf(text, sizeof text, "%s%s\n# after\n", first, cases[i].line2);
		char *path = write_temp(text, (size_t)n);
		struct unmo_tenants *t = unmo_tenants_load(path, err, sizeof err);
		cr_assert_null(t, "case %zu accepted", i);
		char want[512];
		snprintf(want, sizeof want, "%s:2: %s", path, cases[i].want);
		cr_assert(strncmp(err, want, strlen(want)) == 0, "case %zu: got '%s' want '%s'", i, err, want);
		cr_assert_null(strstr(err, "umk_0"), "case %zu leaks a key: %s", i, err);
		cr_assert_null(strstr(err, "0a0b0c"), "case %zu leaks a secret: %s", i, err);
		cr_assert_null(strstr(err, "F0F1"), "case %zu leaks a secret: %s", i, err);
		unlink(path);
	}
}

Test(tenant, line_limits_and_buffer_without_nul)
{
	char err[256];
	static char text[4096];
	memset(text, ' ', sizeof text);
	memcpy(text, "app a", 5);
	text[UNMO_TENANT_LINE_MAX + 1] = '\n';
	cr_assert_null(unmo_tenants_parse(text, UNMO_TENANT_LINE_MAX + 2, "big", err, sizeof err));
	cr_assert_str_eq(err, "big:1: line too long (max 1024 bytes)");
	cr_assert_null(unmo_tenants_parse("#ok\napp a\0b\n", 12, "nul", err, sizeof err));
	cr_assert_str_eq(err, "nul:2: NUL byte in line");
	/* the last line need not end in '\n'; bytes after n are never read */
	const char *line = "app a" GOOD_REST "XXXX";
	size_t n = strlen(line) - 4;
	char *exact = malloc(n);
	memcpy(exact, line, n);
	struct unmo_tenants *t = unmo_tenants_parse(exact, n, "exact", err, sizeof err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(unmo_tenants_count(t), 1);
	unmo_tenants_free(t);
	free(exact);
	/* a short error buffer is truncated, not overrun */
	char small[8];
	cr_assert_null(unmo_tenants_parse("x", 1, "file-name", small, sizeof small));
	cr_assert_str_eq(small, "file-na");
}

Test(tenant, generate_format_and_reload)
{
	struct unmo_tenant a, b;
	unmo_tenant_generate(&a, "com.financetrack.pro", "FinanceTrack Pro\t#1");
	cr_assert_str_eq(a.name, "FinanceTrack_Pro_#1");
	cr_assert(unmo_tenant_api_key_valid(a.prod_key, strlen(a.prod_key)));
	cr_assert(unmo_tenant_api_key_valid(a.staging_key, strlen(a.staging_key)));
	cr_assert_str_neq(a.prod_key, a.staging_key);
	cr_assert_neq(a.key_id, 0);
	cr_assert(a.auth_required);
	unmo_tenant_generate(&b, "com.ecomgrowth.shop", NULL);
	cr_assert_str_eq(b.name, "com.ecomgrowth.shop");
	b.auth_required = false;
	cr_assert_str_neq(a.prod_key, b.prod_key);
	cr_assert(memcmp(a.secret, b.secret, 32) != 0);
	char text[4096], err[256];
	int n1 = unmo_tenant_format_line(&a, text, sizeof text);
	cr_assert_gt(n1, 0);
	cr_assert_eq(text[n1 - 1], '\n');
	char tight[4096];
	cr_assert_eq(unmo_tenant_format_line(&a, tight, (size_t)n1), -1, "no room for the NUL");
	cr_assert_eq(tight[0], 0, "a failed format leaves no partial secret behind");
	int n2 = unmo_tenant_format_line(&b, text + n1, sizeof text - (size_t)n1);
	struct unmo_tenants *t = unmo_tenants_parse(text, (size_t)(n1 + n2), "gen", err, sizeof err);
	cr_assert_not_null(t, "%s", err);
	const struct unmo_tenant *ra = unmo_tenants_by_key_id(t, a.key_id);
	cr_assert_not_null(ra);
	cr_assert_str_eq(ra->app_id, a.app_id);
	cr_assert_str_eq(ra->name, a.name);
	cr_assert_str_eq(ra->prod_key, a.prod_key);
	cr_assert_str_eq(ra->staging_key, a.staging_key);
	cr_assert(memcmp(ra->secret, a.secret, 32) == 0);
	cr_assert(ra->auth_required);
	cr_assert_not(unmo_tenants_by_key_id(t, b.key_id)->auth_required);
	unmo_tenants_free(t);
}

Test(tenant, ten_thousand_tenants)
{
	enum { COUNT = 10000 };
	static struct unmo_tenant gen[COUNT];
	size_t cap = (size_t)COUNT * 320, len = 0;
	char *text = malloc(cap);
	for (int i = 0; i < COUNT; i++) {
		char app[64];
		snprintf(app, sizeof app, "com.tenant%05d.app", i);
		unmo_tenant_generate(&gen[i], app, NULL);
		gen[i].auth_required = i % 3 != 0;
		int n = unmo_tenant_format_line(&gen[i], text + len, cap - len);
		CHECK(n > 0, "line %d", i);
		len += (size_t)n;
	}
	char *path = write_temp(text, len);
	free(text);
	char err[256];
	struct unmo_tenants *t = unmo_tenants_load(path, err, sizeof err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(unmo_tenants_count(t), COUNT);
	enum unmo_key_kind kind;
	for (int i = 0; i < COUNT; i++) {
		const struct unmo_tenant *tn = unmo_tenants_at(t, (uint32_t)i);
		CHECK(!strcmp(tn->app_id, gen[i].app_id), "app %d", i);
		CHECK(tn->line == (uint32_t)i + 1, "line %d", i);
		CHECK(unmo_tenants_by_key_id(t, gen[i].key_id) == tn, "key id %d", i);
		CHECK(unmo_tenants_by_api_key(t, gen[i].prod_key, 44, &kind) == tn && kind == UNMO_KEY_PROD, "prod %d", i);
		CHECK(unmo_tenants_by_api_key(t, gen[i].staging_key, 44, &kind) == tn && kind == UNMO_KEY_STAGING, "staging %d", i);
		CHECK(tn->auth_required == gen[i].auth_required, "auth %d", i);
		char wrong[45];
		memcpy(wrong, gen[i].prod_key, 45);
		wrong[43] = wrong[43] == 'a' ? 'b' : 'a';
		CHECK(!unmo_tenants_by_api_key(t, wrong, 44, &kind), "wrong key %d", i);
		CHECK(unmo_tenants_by_key_id(t, gen[i].key_id ^ 1) != tn, "wrong id %d", i);
	}
	unmo_tenants_free(t);
	unlink(path);
}

/* ---- the unmo-tenant tool, run as a real process ---- */
static const char *tool(void)
{
	static char path[4096];
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	cr_assert_gt(n, 0);
	self[n] = 0; /* BUILD/tests/test_tenant -> BUILD/tools/unmo-tenant */
	snprintf(path, sizeof path, "%s/../tools/unmo-tenant", dirname(self));
	cr_assert_eq(access(path, X_OK), 0, "tool not built: %s", path);
	return path;
}

/* Run a shell command; capture stdout+stderr into out; return exit status. */
static int run(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *read_all(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

Test(tenant, unmo_tenant_add_list_rotate)
{
	static char out[65536], before[65536];
	char dir[] = "/tmp/test_unmo_tenant_XXXXXX", file[128];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/tenants.conf", dir);
	const char *t = tool();
	cr_assert_eq(run(out, sizeof out, "%s --version", t), 0);
	cr_assert_str_eq(out, "unmo-tenant " UNMO_VERSION "\n");
	cr_assert_eq(run(out, sizeof out, "%s add --file %s --app com.techstart.mobile --name 'TechStart Mobile'", t,
			 file), 0, "%s", out);
	cr_assert_not_null(strstr(out, "UNMO_KEY_ID="));
	cr_assert_not_null(strstr(out, "X-API-Key: umk_"));
	struct stat st;
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(run(out, sizeof out, "%s add --file %s --app com.ecomgrowth.shop --auth optional", t, file), 0);
	cr_assert_eq(run(out, sizeof out, "%s add --file %s --app com.techstart.mobile", t, file), 1);
	cr_assert_not_null(strstr(out, "already exists (line 3)"), "%s", out);
	cr_assert_eq(run(out, sizeof out, "%s add --file %s --app 'bad app'", t, file), 1);
	cr_assert_eq(run(out, sizeof out, "%s add --file %s", t, file), 2);
	cr_assert_eq(run(out, sizeof out, "%s frobnicate --file %s", t, file), 2);

	char err[256];
	struct unmo_tenants *reg = unmo_tenants_load(file, err, sizeof err);
	cr_assert_not_null(reg, "%s", err);
	cr_assert_eq(unmo_tenants_count(reg), 2);
	struct unmo_tenant a = *unmo_tenants_by_app_id(reg, "com.techstart.mobile");
	struct unmo_tenant b = *unmo_tenants_by_app_id(reg, "com.ecomgrowth.shop");
	unmo_tenants_free(reg);
	cr_assert_str_eq(a.name, "TechStart_Mobile");
	cr_assert(a.auth_required);
	cr_assert_not(b.auth_required);

	/* list shows prefixes only, unless asked */
	cr_assert_eq(run(out, sizeof out, "%s list --file %s", t, file), 0);
	cr_assert_not_null(strstr(out, "com.ecomgrowth.shop"));
	cr_assert_null(strstr(out, a.prod_key), "full key printed by list");
	char pre[13];
	memcpy(pre, a.prod_key, 12);
	pre[12] = 0;
	cr_assert_not_null(strstr(out, pre));
	cr_assert_eq(run(out, sizeof out, "%s list --file %s --show-secrets", t, file), 0);
	cr_assert_not_null(strstr(out, a.prod_key));

	/* rotate the secret of one app: its keys and the other line stay */
	strcpy(before, read_all(file));
	cr_assert_eq(run(out, sizeof out, "%s rotate --file %s --app com.techstart.mobile --key secret", t, file), 0,
		     "%s", out);
	reg = unmo_tenants_load(file, err, sizeof err);
	cr_assert_not_null(reg, "%s", err);
	const struct unmo_tenant *a2 = unmo_tenants_by_app_id(reg, "com.techstart.mobile");
	cr_assert_str_eq(a2->prod_key, a.prod_key);
	cr_assert_str_eq(a2->staging_key, a.staging_key);
	cr_assert_eq(a2->key_id, a.key_id);
	cr_assert(memcmp(a2->secret, a.secret, 32) != 0);
	unmo_tenants_free(reg);
	const char *after = read_all(file);
	cr_assert(strncmp(before, after, (size_t)(strstr(before, "app com.techstart") - before)) == 0,
		  "comment header kept");
	cr_assert_not_null(strstr(after, strstr(before, "app com.ecomgrowth.shop")), "other line kept");
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	/* rotate all: new API keys, old ones no longer found */
	cr_assert_eq(run(out, sizeof out, "%s rotate --file %s --app com.ecomgrowth.shop", t, file), 0);
	reg = unmo_tenants_load(file, err, sizeof err);
	cr_assert_not_null(reg, "%s", err);
	cr_assert_null(unmo_tenants_by_api_key(reg, b.prod_key, 44, NULL));
	cr_assert_null(unmo_tenants_by_api_key(reg, b.staging_key, 44, NULL));
	cr_assert_eq(unmo_tenants_by_key_id(reg, b.key_id), unmo_tenants_by_app_id(reg, "com.ecomgrowth.shop"));
	unmo_tenants_free(reg);
	cr_assert_eq(run(out, sizeof out, "%s rotate --file %s --app com.nobody", t, file), 1);
	cr_assert_not_null(strstr(out, "no app id 'com.nobody'"), "%s", out);
	cr_assert_eq(run(out, sizeof out, "%s rotate --file %s --app com.ecomgrowth.shop --key bogus", t, file), 2);
	/* a broken registry is reported with file:line and left alone */
	FILE *f = fopen(file, "a");
	fputs("app broken key_id=1\n", f);
	fclose(f);
	cr_assert_eq(run(out, sizeof out, "%s add --file %s --app com.x", t, file), 1);
	char want[256];
	snprintf(want, sizeof want, "%s:5: missing field", file);
	cr_assert_not_null(strstr(out, want), "%s", out);
	snprintf(out, sizeof out, "rm -rf %s", dir);
	cr_assert_eq(system(out), 0);
}
