/* unmo-tenant — onboard tenant apps: add, list, rotate entries of the tenant
 * registry file (format: lib/tenant.h, docs/tenants.md). Every change is
 * validated by the library's own loader before the file is replaced
 * atomically (temp file + fsync + rename + fsync of the directory). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tenant.h"

#define MAX_REGISTRY_BYTES (256u << 20)

static const char usage[] =
	"usage: unmo-tenant add    --file F --app APP_ID [--name NAME] [--auth required|optional]\n"
	"       unmo-tenant list   --file F [--show-secrets]\n"
	"       unmo-tenant rotate --file F --app APP_ID [--key prod|staging|secret|all]\n"
	"       unmo-tenant --help | --version\n"
	"\n"
	"Manages the tenant registry file read by unmo-ingest (docs/tenants.md).\n"
	"  add     create an entry with fresh keys; prints the API keys, key id, frame\n"
	"          secret and a sender configuration. Refuses an app id already present.\n"
	"          The file is created (mode 0600) if missing.\n"
	"  list    app id, name, key id, auth and key prefixes (full keys and secret only\n"
	"          with --show-secrets).\n"
	"  rotate  replace the chosen credential(s) of one app (default: all = prod, staging\n"
	"          and secret; the key id stays) and print the new material.\n"
	"Exit status: 0 ok, 1 error (the message names the file and the reason), 2 usage.\n";

static const char *prog = "unmo-tenant";

static int die(const char *file, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	if (file)
		fprintf(stderr, "%s: ", file);
	fprintf(stderr, fmt, arg ? arg : "");
	fputc('\n', stderr);
	return 1;
}

/* Whole file into memory; a missing file is an empty registry when
 * missing_ok. Returns 0, or -1 after printing the error. */
static int read_file(const char *path, bool missing_ok, char **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		die(path, "%s", strerror(errno));
		return -1;
	}
	size_t cap = 0, len = 0;
	char *buf = NULL;
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_REGISTRY_BYTES) {
				die(path, "file too large", NULL);
				goto bad;
			}
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				die(path, "out of memory", NULL);
				goto bad;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die(path, "read: %s", strerror(errno));
			goto bad;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;
bad:
	free(buf);
	close(fd);
	return -1;
}

static void wipe_free(char *buf, size_t len)
{
	if (buf)
		sodium_memzero(buf, len);
	free(buf);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Replace path by buf atomically: PATH.tmp.PID (0600), fsync, rename, fsync dir. */
static int write_atomic(const char *path, const char *buf, size_t len)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
		return die(path, "path too long", NULL);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return die(tmp, "%s", strerror(errno));
	if (fchmod(fd, 0600) != 0 || write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return die(tmp, "%s", strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return die(path, "%s", strerror(e));
	}
	char dirbuf[4096];
	snprintf(dirbuf, sizeof dirbuf, "%s", path);
	const char *dir = dirname(dirbuf);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return die(dir, "fsync of directory: %s", strerror(e));
	}
	close(dfd);
	return 0;
}

/* Validate text with the library loader (the one definition of the format). */
static struct unmo_tenants *load_text(const char *path, const char *buf, size_t len)
{
	char err[512];
	struct unmo_tenants *t = unmo_tenants_parse(buf ? buf : "", len, path, err, sizeof err);
	if (!t)
		fprintf(stderr, "%s: %s\n", prog, err);
	return t;
}

/* The registry file read (missing_ok: an absent file reads as empty) and
 * validated: its tenants, with *buf and *len its bytes (the caller wipes
 * them); NULL on an error (reported; nothing left to free). */
static struct unmo_tenants *load_file(const char *file, bool missing_ok, char **buf, size_t *len)
{
	if (read_file(file, missing_ok, buf, len))
		return NULL;
	struct unmo_tenants *t = load_text(file, *buf, *len);
	if (!t)
		wipe_free(*buf, *len);
	return t;
}

/* The new registry text nb[0..nlen) checked with the loader, then written
 * in place atomically; nb is wiped and freed. 0, or 1 (reported). */
static int check_and_write(const char *file, char *nb, size_t nlen)
{
	struct unmo_tenants *check = load_text(file, nb, nlen);
	int rc = check ? write_atomic(file, nb, nlen) : 1;
	unmo_tenants_free(check);
	wipe_free(nb, nlen);
	return rc;
}

static bool clashes(const struct unmo_tenants *t, const struct unmo_tenant *tn, uint32_t skip)
{
	for (uint32_t i = 0; i < unmo_tenants_count(t); i++) {
		const struct unmo_tenant *o = unmo_tenants_at(t, i);
		if (i == skip)
			continue;
		if (o->key_id == tn->key_id || !strcmp(o->prod_key, tn->prod_key) ||
		    !strcmp(o->prod_key, tn->staging_key) || !strcmp(o->staging_key, tn->prod_key) ||
		    !strcmp(o->staging_key, tn->staging_key))
			return true;
	}
	return false;
}

static void print_material(const struct unmo_tenant *tn, const char *file)
{
	char hex[2 * UNMO_SECRET_LEN + 1];
	sodium_bin2hex(hex, sizeof hex, tn->secret, UNMO_SECRET_LEN);
	printf("app_id:        %s\n", tn->app_id);
	printf("name:          %s\n", tn->name);
	printf("registry:      %s\n", file);
	printf("key_id:        %" PRIu64 " (0x%016" PRIx64 ")\n", tn->key_id, tn->key_id);
	printf("prod key:      %s\n", tn->prod_key);
	printf("staging key:   %s\n", tn->staging_key);
	printf("frame secret:  %s\n", hex);
	printf("auth:          %s\n", tn->auth_required ? "required" : "optional");
	printf("\n"
	       "# ---- sender configuration for %s (paste into the sender; keep secret) ----\n"
	       "UNMO_APPLIANCE_ADDR=<appliance IPv4 address>   # e.g. 10.99.0.1\n"
	       "UNMO_APPLIANCE_PORT=<appliance UDP port>       # e.g. 7100\n"
	       "UNMO_APP_ID=%s\n"
	       "# Binary frames (docs/wire-format.md): key id in header bytes 8..15 (u64 LE);\n"
	       "# tag = crypto_generichash(16 bytes, frame[0 .. 40+events_len), key = secret).\n"
	       "UNMO_KEY_ID=%" PRIu64 "\n"
	       "UNMO_FRAME_SECRET=%s\n"
	       "UNMO_FRAME_AUTH=%s\n"
	       "# HTTP-lite (docs/http-lite.md): one whole request per UDP datagram.\n"
	       "UNMO_API_KEY=%s\n"
	       "UNMO_API_KEY_STAGING=%s\n"
	       "# Request:\n"
	       "#   POST /v1/events HTTP/1.1            (or POST /v1/events/batch, body {\"events\":[...]})\n"
	       "#   Host: <appliance>\n"
	       "#   Content-Type: application/json\n"
	       "#   Content-Length: <body bytes>\n"
	       "#   X-API-Key: %s\n"
	       "#   X-Unmo-Reply: 1                     (optional: ask for a response datagram)\n"
	       "#\n"
	       "#   {\"app_id\":\"%s\",\"type\":\"install\",...}\n"
	       "# ---- end of sender configuration ----\n",
	       tn->app_id, tn->app_id, tn->key_id, hex, tn->auth_required ? "required" : "optional",
	       tn->prod_key, tn->staging_key, tn->prod_key, tn->app_id);
	sodium_memzero(hex, sizeof hex);
}

static const char registry_header[] =
	"# UnMoGrowP tenant registry (docs/tenants.md). Holds API keys and frame\n"
	"# secrets: keep it mode 0600 and edit it with unmo-tenant.\n";

static int cmd_add(const char *file, const char *app, const char *name, const char *auth)
{
	if (!unmo_tenant_app_id_valid(app, strlen(app)))
		return die(file, "invalid app id '%s' (1..128 characters of A-Z a-z 0-9 . _ -)", app);
	bool required = true;
	if (auth && !strcmp(auth, "optional"))
		required = false;
	else if (auth && strcmp(auth, "required"))
		return die(NULL, "--auth must be 'required' or 'optional', not '%s'", auth) + 1; /* usage: 2 */
	char *buf;
	size_t len;
	struct unmo_tenants *t = load_file(file, true, &buf, &len);
	if (!t)
		return 1;
	const struct unmo_tenant *old = unmo_tenants_by_app_id(t, app);
	if (old) {
		char msg[64];
		snprintf(msg, sizeof msg, "%" PRIu32, old->line);
		fprintf(stderr, "%s: %s: app id '%s' already exists (line %s); use rotate to change its keys\n",
			prog, file, app, msg);
		unmo_tenants_free(t);
		wipe_free(buf, len);
		return 1;
	}
	struct unmo_tenant tn;
	do
		unmo_tenant_generate(&tn, app, name);
	while (clashes(t, &tn, UINT32_MAX));
	tn.auth_required = required;
	unmo_tenants_free(t);

	char line[UNMO_TENANT_LINE_MAX + 2];
	int ll = unmo_tenant_format_line(&tn, line, sizeof line);
	size_t hdr = len == 0 ? sizeof registry_header - 1 : 0;
	bool need_nl = len > 0 && buf[len - 1] != '\n';
	size_t nlen = hdr + len + need_nl + (size_t)ll;
	char *nb = ll < 0 ? NULL : malloc(nlen);
	if (!nb) {
		wipe_free(buf, len);
		return die(file, "out of memory", NULL);
	}
	memcpy(nb, registry_header, hdr);
	if (len)
		memcpy(nb + hdr, buf, len);
	if (need_nl)
		nb[hdr + len] = '\n';
	memcpy(nb + hdr + len + need_nl, line, (size_t)ll);
	sodium_memzero(line, sizeof line);
	wipe_free(buf, len);
	int rc = check_and_write(file, nb, nlen);
	if (rc == 0)
		print_material(&tn, file);
	sodium_memzero(&tn, sizeof tn);
	return rc;
}

static void prefix(char *dst, const char *key)
{
	/* "umk_" + 8 hex: enough to tell keys apart, useless for guessing. */
	snprintf(dst, 16, "%.12s...", key);
}

static int cmd_list(const char *file, bool show)
{
	char err[512];
	struct unmo_tenants *t = unmo_tenants_load(file, err, sizeof err);
	if (!t) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 1;
	}
	printf("%-32s %-24s %-20s %-8s %s\n", "app_id", "name", "key_id", "auth",
	       show ? "prod / staging / secret" : "prod / staging (prefixes)");
	for (uint32_t i = 0; i < unmo_tenants_count(t); i++) {
		const struct unmo_tenant *tn = unmo_tenants_at(t, i);
		printf("%-32s %-24s %-20" PRIu64 " %-8s ", tn->app_id, tn->name, tn->key_id,
		       tn->auth_required ? "required" : "optional");
		if (show) {
			char hex[2 * UNMO_SECRET_LEN + 1];
			sodium_bin2hex(hex, sizeof hex, tn->secret, UNMO_SECRET_LEN);
			printf("%s %s %s\n", tn->prod_key, tn->staging_key, hex);
			sodium_memzero(hex, sizeof hex);
		} else {
			char a[16], b[16];
			prefix(a, tn->prod_key);
			prefix(b, tn->staging_key);
			printf("%s %s\n", a, b);
		}
	}
	printf("%" PRIu32 " tenant(s)\n", unmo_tenants_count(t));
	unmo_tenants_free(t);
	return 0;
}

static int cmd_rotate(const char *file, const char *app, const char *which)
{
	bool prod = false, staging = false, secret = false;
	if (!which || !strcmp(which, "all"))
		prod = staging = secret = true;
	else if (!strcmp(which, "prod"))
		prod = true;
	else if (!strcmp(which, "staging"))
		staging = true;
	else if (!strcmp(which, "secret"))
		secret = true;
	else
		return die(NULL, "--key must be prod, staging, secret or all, not '%s'", which) + 1; /* usage: 2 */
	char *buf;
	size_t len;
	struct unmo_tenants *t = load_file(file, false, &buf, &len);
	if (!t)
		return 1;
	const struct unmo_tenant *old = unmo_tenants_by_app_id(t, app);
	if (!old) {
		unmo_tenants_free(t);
		wipe_free(buf, len);
		return die(file, "no app id '%s' in the registry", app);
	}
	struct unmo_tenant tn = *old;
	do {
		if (prod)
			unmo_tenant_new_api_key(tn.prod_key);
		if (staging)
			unmo_tenant_new_api_key(tn.staging_key);
	} while (clashes(t, &tn, old->index) || !strcmp(tn.prod_key, tn.staging_key));
	if (secret)
		unmo_tenant_new_secret(tn.secret);
	unmo_tenants_free(t);

	/* Splice the new line in place of line tn.line; every other byte stays. */
	const char *p = buf, *end = buf + len;
	for (uint32_t l = 1; l < tn.line; l++)
		p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
	const char *q = memchr(p, '\n', (size_t)(end - p));
	q = q ? q + 1 : end;
	char line[UNMO_TENANT_LINE_MAX + 2];
	int ll = unmo_tenant_format_line(&tn, line, sizeof line);
	size_t head = (size_t)(p - buf), tail = (size_t)(end - q), nlen = head + (size_t)ll + tail;
	char *nb = ll < 0 ? NULL : malloc(nlen);
	if (!nb) {
		wipe_free(buf, len);
		return die(file, "out of memory", NULL);
	}
	memcpy(nb, buf, head);
	memcpy(nb + head, line, (size_t)ll);
	memcpy(nb + head + ll, q, tail);
	sodium_memzero(line, sizeof line);
	wipe_free(buf, len);
	int rc = check_and_write(file, nb, nlen);
	if (rc == 0) {
		printf("rotated:       %s of %s (the old ones stop working when unmo-ingest loads the registry)\n",
		       which && strcmp(which, "all") ? which : "prod, staging and secret", app);
		print_material(&tn, file);
	}
	sodium_memzero(&tn, sizeof tn);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, 0, 'f'}, {"app", required_argument, 0, 'a'},
		{"name", required_argument, 0, 'n'}, {"auth", required_argument, 0, 'A'},
		{"key", required_argument, 0, 'k'},  {"show-secrets", no_argument, 0, 's'},
		{"help", no_argument, 0, 'h'},       {"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	const char *file = NULL, *app = NULL, *name = NULL, *auth = NULL, *key = NULL;
	bool show = false;
	int c;
	while ((c = getopt_long(argc, argv, "f:a:n:A:k:shV", opts, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'a': app = optarg; break;
		case 'n': name = optarg; break;
		case 'A': auth = optarg; break;
		case 'k': key = optarg; break;
		case 's': show = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("unmo-tenant %s\n", UNMO_VERSION); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: expected one command (add, list, rotate)\n%s", prog, usage);
		return 2;
	}
	const char *cmd = argv[optind];
	if (!file) {
		fprintf(stderr, "%s: %s: --file is required\n", prog, cmd);
		return 2;
	}
	if (sodium_init() < 0)
		return die(NULL, "libsodium initialisation failed", NULL);
	bool needs_app = !strcmp(cmd, "add") || !strcmp(cmd, "rotate");
	if (needs_app && !app) {
		fprintf(stderr, "%s: %s: --app is required\n", prog, cmd);
		return 2;
	}
	if (!strcmp(cmd, "add") && !key && !show)
		return cmd_add(file, app, name, auth);
	if (!strcmp(cmd, "list") && !app && !name && !auth && !key)
		return cmd_list(file, show);
	if (!strcmp(cmd, "rotate") && !name && !auth && !show)
		return cmd_rotate(file, app, key);
	if (strcmp(cmd, "add") && strcmp(cmd, "list") && strcmp(cmd, "rotate"))
		fprintf(stderr, "%s: unknown command '%s'\n%s", prog, cmd, usage);
	else
		fprintf(stderr, "%s: %s: option not valid for this command\n%s", prog, cmd, usage);
	return 2;
}
