/* unmo-seg — read, check, repair and build segment files (docs/segment-format.md).
 * Every byte of the format is handled by lib/segment (one definition); the
 * JSON lines are lib/json_event's schema, so `cat | import | cat` is exact. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsdir.h"
#include "json_event.h"
#include "segment.h"

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

static const char usage[] =
	"usage: unmo-seg cat     [--format json|csv] [--fields LIST] PATH...\n"
	"       unmo-seg stat    [--json] PATH...\n"
	"       unmo-seg verify  PATH...\n"
	"       unmo-seg recover PATH...\n"
	"       unmo-seg import  --out DIR [--prefix P] [--writer N] [--block-bytes N]\n"
	"                        [--segment-mb N] [--skip-bad] [FILE|-]\n"
	"       unmo-seg --help | --version\n"
	"\n"
	"PATH is a segment file or a directory (every *.seg in it, sorted by name).\n"
	"  cat      print every event: JSON lines (default; docs/jsonl-schema.md) or CSV\n"
	"           with a header row, RFC 4180 quoting, one column per field. Columns and\n"
	"           their order: event_id type platform retargeting event_time_us\n"
	"           recv_time_us revenue_micros currency country ip sender_id sequence\n"
	"           app_id event_name advertising_id vendor_id customer_user_id\n"
	"           media_source campaign adset site_id sub1 sub2 sub3 click_id\n"
	"           user_agent app_version sdk_version. --fields a,b,c selects columns\n"
	"           (JSON: keeps only those members; \"type\" is always written).\n"
	"  stat     per file: sealed or not, blocks, records, raw and compressed bytes,\n"
	"           ratio, event time range; then totals. Sealed files are summed from\n"
	"           their index; others are read. --json prints one JSON object.\n"
	"  verify   decompress and check every block (LZ4 checksums, content size,\n"
	"           every record, index agreement); prints each problem as\n"
	"           \"FILE: reason at offset N\", then one summary line per file.\n"
	"  recover  turn *.seg.open files (a directory: every *.seg.open in it) into\n"
	"           sealed *.seg files holding every complete valid block; prints\n"
	"           blocks and records kept and bytes dropped.\n"
	"  import   read JSON lines (the cat schema) from FILE or stdin and write\n"
	"           sealed segments DIR/P-wN-SEQ.seg (P default \"import\", N default 0;\n"
	"           SEQ: the first unused; DIR is created if missing). Blank lines are\n"
	"           skipped. A bad line is\n"
	"           reported as \"LINE: reason\"; with --skip-bad it is left out and the\n"
	"           exit code stays 0. --block-bytes (1024..65536, default 65536) sizes\n"
	"           blocks; --segment-mb (default 256) rotates segments.\n"
	"\n"
	"Exit codes: 0 ok; 1 a data problem was found (corrupt block, unsealed *.seg,\n"
	"bad input line); 2 usage error; 3 I/O error (cannot open, read or write).\n";

static const char *prog = "unmo-seg";

/* ---------------------------------------------------------------- paths */

struct pathlist {
	char **v;
	size_t n, cap;
};

static void pl_add(struct pathlist *pl, const char *p)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 16;
		pl->v = realloc(pl->v, pl->cap * sizeof *pl->v);
		if (!pl->v) {
			perror(prog);
			exit(EXIT_IO);
		}
	}
	pl->v[pl->n++] = strdup(p);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* Expands each argument: a directory gives its files ending in suffix,
 * sorted by name; anything else is taken as given. Returns EXIT_IO if a
 * directory cannot be read. */
static int expand(char **args, int n, const char *suffix, struct pathlist *out)
{
	int rc = EXIT_OK;
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(args[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			pl_add(out, args[i]);
			continue;
		}
		DIR *d = opendir(args[i]);
		if (!d) {
			fprintf(stderr, "%s: %s: %s\n", prog, args[i], strerror(errno));
			rc = EXIT_IO;
			continue;
		}
		struct pathlist tmp = {0};
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!has_suffix(de->d_name, suffix))
				continue;
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", args[i], de->d_name);
			pl_add(&tmp, p);
		}
		closedir(d);
		if (tmp.n)
			qsort(tmp.v, tmp.n, sizeof *tmp.v, cmp_str);
		for (size_t k = 0; k < tmp.n; k++) {
			pl_add(out, tmp.v[k]);
			free(tmp.v[k]);
		}
		free(tmp.v);
	}
	return rc;
}

static void pl_free(struct pathlist *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->v[i]);
	free(pl->v);
}

static int worse(int a, int b) { return a > b ? a : b; }

/* ---------------------------------------------------------------- fields */

/* Columns: fixed fields, then the string fields in their enum order. */
enum {
	F_EVENT_ID, F_TYPE, F_PLATFORM, F_RETARGETING, F_EVENT_TIME, F_RECV_TIME, F_REVENUE,
	F_CURRENCY, F_COUNTRY, F_IP, F_SENDER, F_SEQUENCE, F_FIXED_COUNT
};
#define F_COUNT (F_FIXED_COUNT + UNMO_STR_COUNT)
static const char *const fixed_names[F_FIXED_COUNT] = {
	"event_id", "type", "platform", "retargeting", "event_time_us", "recv_time_us",
	"revenue_micros", "currency", "country", "ip", "sender_id", "sequence"};

static const char *field_name(int f)
{
	return f < F_FIXED_COUNT ? fixed_names[f] : unmo_str_field_names[f - F_FIXED_COUNT];
}

/* Parses "a,b,c" into cols; returns the number, 0 on an unknown name. */
static int parse_fields(const char *list, int *cols)
{
	int n = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int found = -1;
		for (int f = 0; f < F_COUNT; f++)
			if (strlen(field_name(f)) == len && !memcmp(field_name(f), p, len))
				found = f;
		if (found < 0 || n == F_COUNT) {
			fprintf(stderr, "%s: unknown field \"%.*s\"\n", prog, (int)len, p);
			return 0;
		}
		cols[n++] = found;
		p += len + (e ? 1 : 0);
	}
	return n;
}

/* JSON --fields: clear every member not selected (absent = omitted). */
static void keep_only(struct unmo_event *e, const bool *keep)
{
	if (!keep[F_EVENT_ID])
		memset(e->event_id, 0, 16);
	if (!keep[F_PLATFORM])
		e->platform = 0;
	if (!keep[F_RETARGETING])
		e->flags &= (uint8_t)~UNMO_EVF_RETARGETING;
	if (!keep[F_EVENT_TIME])
		e->event_time_us = 0;
	if (!keep[F_RECV_TIME])
		e->recv_time_us = 0;
	if (!keep[F_REVENUE])
		e->revenue_micros = 0;
	if (!keep[F_CURRENCY])
		memset(e->currency, 0, 3);
	if (!keep[F_COUNTRY])
		memset(e->country, 0, 2);
	if (!keep[F_IP])
		e->ip_version = 0;
	if (!keep[F_SENDER])
		e->sender_id = 0;
	if (!keep[F_SEQUENCE])
		e->sequence = 0;
	for (int s = 0; s < UNMO_STR_COUNT; s++)
		if (!keep[F_FIXED_COUNT + s])
			e->s[s].len = 0;
}

static void csv_bytes(FILE *o, const char *p, size_t n)
{
	bool quote = false;
	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r')
			quote = true;
	if (!quote) {
		fwrite(p, 1, n, o);
		return;
	}
	putc('"', o);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			putc('"', o);
		putc(p[i], o);
	}
	putc('"', o);
}

static void csv_field(FILE *o, const struct unmo_event *e, int f)
{
	static const uint8_t zero[16];
	char ip[INET6_ADDRSTRLEN];
	switch (f) {
	case F_EVENT_ID:
		if (memcmp(e->event_id, zero, 16))
			for (int i = 0; i < 16; i++)
				fprintf(o, "%02x", e->event_id[i]);
		break;
	case F_TYPE: fputs(e->type < UNMO_EV_TYPE_COUNT ? unmo_event_type_names[e->type] : "", o); break;
	case F_PLATFORM:
		fputs(e->platform < UNMO_PLAT_COUNT ? unmo_platform_names[e->platform] : "", o);
		break;
	case F_RETARGETING: fputs(e->flags & UNMO_EVF_RETARGETING ? "true" : "false", o); break;
	case F_EVENT_TIME: fprintf(o, "%" PRId64, e->event_time_us); break;
	case F_RECV_TIME: fprintf(o, "%" PRId64, e->recv_time_us); break;
	case F_REVENUE: fprintf(o, "%" PRId64, e->revenue_micros); break;
	case F_CURRENCY:
		if (e->currency[0])
			fwrite(e->currency, 1, 3, o);
		break;
	case F_COUNTRY:
		if (e->country[0])
			fwrite(e->country, 1, 2, o);
		break;
	case F_IP:
		if (e->ip_version && inet_ntop(e->ip_version == 4 ? AF_INET : AF_INET6, e->ip, ip, sizeof ip))
			fputs(ip, o);
		break;
	case F_SENDER: fprintf(o, "%" PRIu64, e->sender_id); break;
	case F_SEQUENCE: fprintf(o, "%" PRIu64, e->sequence); break;
	default: csv_bytes(o, e->s[f - F_FIXED_COUNT].p, e->s[f - F_FIXED_COUNT].len);
	}
}

/* ---------------------------------------------------------------- cat */

/* The file being read: one buffer from file to file (unmo_segr_open_buf:
 * no fresh mapping per file); the process's exit gives it back. */
static struct unmo_segr_buf segbuf;

static int cmd_cat(int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, 0, 'f'},
					     {"fields", required_argument, 0, 'F'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	const char *format = "json", *fields = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "f:F:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'F': fields = optarg; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	bool csv = !strcmp(format, "csv");
	if ((!csv && strcmp(format, "json")) || optind >= argc) {
		fprintf(stderr, "%s cat: %s\n%s", prog,
			optind >= argc ? "no PATH given" : "--format must be json or csv", usage);
		return EXIT_USAGE;
	}
	int cols[F_COUNT], ncols = F_COUNT;
	bool keep[F_COUNT];
	for (int f = 0; f < F_COUNT; f++)
		cols[f] = f;
	if (fields && !(ncols = parse_fields(fields, cols)))
		return EXIT_USAGE;
	memset(keep, 0, sizeof keep);
	for (int i = 0; i < ncols; i++)
		keep[cols[i]] = true;

	struct pathlist pl = {0};
	int rc = expand(argv + optind, argc - optind, UNMO_SEG_SUFFIX, &pl);
	static char js[UNMO_JSON_EVENT_MAX + 1];
	FILE *o = stdout;
	if (csv) {
		for (int i = 0; i < ncols; i++)
			fprintf(o, "%s%s", i ? "," : "", field_name(cols[i]));
		fputs("\r\n", o);
	}
	for (size_t k = 0; k < pl.n; k++) {
		char err[512];
		struct unmo_segr *r = unmo_segr_open_buf(pl.v[k], &segbuf, err, sizeof err);
		if (!r) {
			fprintf(stderr, "%s: %s\n", prog, err);
			rc = worse(rc, EXIT_IO);
			continue;
		}
		struct unmo_seg_block b;
		int st;
		while ((st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
			if (st < 0) {
				fprintf(stderr, "%s: %s\n", prog, err);
				rc = worse(rc, EXIT_DATA);
				continue;
			}
			size_t off = 0;
			struct unmo_event e;
			while (unmo_seg_block_next_record(&b, &off, &e)) {
				if (csv) {
					for (int i = 0; i < ncols; i++) {
						if (i)
							putc(',', o);
						csv_field(o, &e, cols[i]);
					}
					fputs("\r\n", o);
					continue;
				}
				if (fields)
					keep_only(&e, keep);
				size_t n = unmo_json_event_write(js, sizeof js - 1, &e);
				js[n] = '\n';
				fwrite(js, 1, n + 1, o);
			}
		}
		unmo_segr_close(r);
	}
	pl_free(&pl);
	if (fflush(o) != 0 || ferror(o)) {
		fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
		rc = worse(rc, EXIT_IO);
	}
	return rc;
}

/* ---------------------------------------------------------------- stat */

struct segstat {
	bool sealed;
	uint64_t blocks, records, raw, comp, file, problems;
	int64_t tmin, tmax;
};

static void st_add_block(struct segstat *s, const struct unmo_seg_block_meta *m)
{
	s->blocks++;
	s->records += m->count;
	s->raw += m->raw_len;
	s->comp += m->frame_len;
	if (m->min_time_us < s->tmin)
		s->tmin = m->min_time_us;
	if (m->max_time_us > s->tmax)
		s->tmax = m->max_time_us;
}

static void st_print(FILE *o, const char *name, const struct segstat *s, bool json, bool total)
{
	double ratio = s->comp ? (double)s->raw / (double)s->comp : 0.0;
	if (json) {
		fprintf(o, "{\"%s\":", total ? "files" : "path");
		if (total)
			fprintf(o, "%s", name);
		else {
			putc('"', o);
			for (const char *p = name; *p; p++) {
				if (*p == '"' || *p == '\\')
					putc('\\', o);
				if ((unsigned char)*p < 0x20)
					fprintf(o, "\\u%04x", *p);
				else
					putc(*p, o);
			}
			fprintf(o, "\",\"sealed\":%s", s->sealed ? "true" : "false");
		}
		fprintf(o, ",\"blocks\":%" PRIu64 ",\"records\":%" PRIu64 ",\"raw_bytes\":%" PRIu64
			   ",\"compressed_bytes\":%" PRIu64 ",\"file_bytes\":%" PRIu64
			   ",\"ratio\":%.3f,\"problems\":%" PRIu64,
			s->blocks, s->records, s->raw, s->comp, s->file, ratio, s->problems);
		if (s->records)
			fprintf(o, ",\"min_event_time_us\":%" PRId64 ",\"max_event_time_us\":%" PRId64,
				s->tmin, s->tmax);
		putc('}', o);
		return;
	}
	fprintf(o, "%-8s %8" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %6.2f  ",
		total ? "" : s->sealed ? "sealed" : "UNSEALED", s->blocks, s->records, s->raw, s->comp,
		ratio);
	if (s->records)
		fprintf(o, "%" PRId64 "..%" PRId64, s->tmin, s->tmax);
	else
		fputs("-", o);
	fprintf(o, "  %s\n", name);
}

static int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s stat: no PATH given\n%s", prog, usage);
		return EXIT_USAGE;
	}
	struct pathlist pl = {0};
	int rc = expand(argv + optind, argc - optind, UNMO_SEG_SUFFIX, &pl);
	struct segstat tot = {.tmin = INT64_MAX, .tmax = INT64_MIN};
	uint64_t nfiles = 0;
	if (json)
		fputs("{\"segments\":[", stdout);
	else
		printf("%-8s %8s %10s %12s %12s %6s  %s  %s\n", "state", "blocks", "records", "raw_bytes",
		       "comp_bytes", "ratio", "event_time_us", "file");
	for (size_t k = 0; k < pl.n; k++) {
		char err[512];
		struct unmo_segr *r = unmo_segr_open_buf(pl.v[k], &segbuf, err, sizeof err);
		if (!r) {
			fprintf(stderr, "%s: %s\n", prog, err);
			rc = worse(rc, EXIT_IO);
			continue;
		}
		struct segstat s = {.sealed = unmo_segr_sealed(r), .file = unmo_segr_size(r),
				    .tmin = INT64_MAX, .tmax = INT64_MIN};
		struct unmo_seg_block_meta m;
		if (s.sealed && unmo_segr_header_ok(r)) {
			for (uint32_t i = 0; unmo_segr_index_entry(r, i, &m); i++)
				st_add_block(&s, &m);
		} else {
			struct unmo_seg_block b;
			int st;
			while ((st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
				if (st < 0) {
					fprintf(stderr, "%s: %s\n", prog, err);
					s.problems++;
					rc = worse(rc, EXIT_DATA);
				} else
					st_add_block(&s, &b.meta);
			}
		}
		unmo_segr_close(r);
		if (json && nfiles)
			putchar(',');
		st_print(stdout, pl.v[k], &s, json, false);
		nfiles++;
		tot.blocks += s.blocks;
		tot.records += s.records;
		tot.raw += s.raw;
		tot.comp += s.comp;
		tot.file += s.file;
		tot.problems += s.problems;
		tot.tmin = s.tmin < tot.tmin ? s.tmin : tot.tmin;
		tot.tmax = s.tmax > tot.tmax ? s.tmax : tot.tmax;
	}
	char nf[32];
	snprintf(nf, sizeof nf, "%" PRIu64, nfiles);
	if (json) {
		fputs("],\"total\":", stdout);
		st_print(stdout, nf, &tot, true, true);
		fputs("}\n", stdout);
	} else {
		char label[64];
		snprintf(label, sizeof label, "TOTAL (%s files)", nf);
		st_print(stdout, label, &tot, false, true);
	}
	pl_free(&pl);
	return rc;
}

/* verify and recover take only paths: --help (exit 0), or none given (a
 * usage error). -1 when they have paths to work on, else the exit status. */
static int help_or_no_paths(int argc, char **argv, const char *cmd)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		fprintf(stderr, "%s %s: no PATH given\n%s", prog, cmd, usage);
		return EXIT_USAGE;
	}
	return -1;
}

/* ---------------------------------------------------------------- verify */

static int cmd_verify(int argc, char **argv)
{
	int early = help_or_no_paths(argc, argv, "verify");
	if (early >= 0)
		return early;
	struct pathlist pl = {0};
	int rc = expand(argv + 1, argc - 1, UNMO_SEG_SUFFIX, &pl);
	for (size_t k = 0; k < pl.n; k++) {
		char err[512];
		struct unmo_segr *r = unmo_segr_open_buf(pl.v[k], &segbuf, err, sizeof err);
		if (!r) {
			fprintf(stderr, "%s: %s\n", prog, err);
			rc = worse(rc, EXIT_IO);
			continue;
		}
		uint64_t blocks = 0, records = 0, problems = 0;
		struct unmo_seg_block b;
		int st;
		while ((st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
			if (st < 0) {
				printf("%s\n", err);
				problems++;
				continue;
			}
			blocks++;
			records += b.meta.count;
		}
		printf("%s: %s, %s, %" PRIu64 " blocks, %" PRIu64 " records, %" PRIu64 " problems\n",
		       pl.v[k], problems ? "BAD" : "ok", unmo_segr_sealed(r) ? "sealed" : "unsealed",
		       blocks, records, problems);
		if (problems)
			rc = worse(rc, EXIT_DATA);
		unmo_segr_close(r);
	}
	pl_free(&pl);
	return rc;
}

/* ---------------------------------------------------------------- recover */

static int cmd_recover(int argc, char **argv)
{
	int early = help_or_no_paths(argc, argv, "recover");
	if (early >= 0)
		return early;
	struct pathlist pl = {0};
	int rc = expand(argv + 1, argc - 1, UNMO_SEG_OPEN_SUFFIX, &pl);
	for (size_t k = 0; k < pl.n; k++) {
		char err[512];
		struct unmo_seg_recovery rep;
		if (!has_suffix(pl.v[k], UNMO_SEG_OPEN_SUFFIX)) {
			fprintf(stderr, "%s: %s: not a *%s file\n", prog, pl.v[k], UNMO_SEG_OPEN_SUFFIX);
			rc = worse(rc, EXIT_USAGE);
			continue;
		}
		if (unmo_seg_recover(pl.v[k], &rep, err, sizeof err) != 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			rc = worse(rc, EXIT_IO);
			continue;
		}
		printf("%s: sealed, kept %u blocks, %" PRIu64 " records; dropped %" PRIu64
		       " bytes (%u bad regions)\n",
		       pl.v[k], rep.blocks_kept, rep.records_kept, rep.bytes_dropped, rep.blocks_bad);
	}
	pl_free(&pl);
	return rc;
}

/* ---------------------------------------------------------------- import */

struct importer {
	const char *dir, *prefix;
	uint32_t writer;
	uint64_t seq;
	uint64_t seg_bytes;
	struct unmo_segw *w;
	struct unmo_chunk c;
};

static int imp_flush(struct importer *im)
{
	char err[512];
	if (!im->c.count)
		return 0;
	if (!im->w) {
		struct unmo_seg_info info = {.writer_id = im->writer};
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		info.created_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		for (;;) { /* first unused sequence number */
			char name[512], p1[4200], p2[4200];
			im->seq++;
			if (!unmo_seg_name(name, sizeof name, im->prefix, im->writer, im->seq)) {
				fprintf(stderr, "%s: prefix too long\n", prog);
				return EXIT_USAGE;
			}
			snprintf(p1, sizeof p1, "%s/%s%s", im->dir, name, UNMO_SEG_SUFFIX);
			snprintf(p2, sizeof p2, "%s/%s%s", im->dir, name, UNMO_SEG_OPEN_SUFFIX);
			if (access(p1, F_OK) == 0 || access(p2, F_OK) == 0)
				continue;
			info.segment_seq = im->seq;
			im->w = unmo_segw_open(im->dir, name, &info, err, sizeof err);
			if (!im->w) {
				fprintf(stderr, "%s: %s\n", prog, err);
				return EXIT_IO;
			}
			break;
		}
	}
	if (unmo_segw_append(im->w, &im->c, err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return EXIT_IO;
	}
	unmo_chunk_reset(&im->c);
	if (unmo_segw_bytes(im->w) >= im->seg_bytes || unmo_segw_blocks(im->w) >= UNMO_SEG_MAX_BLOCKS) {
		struct unmo_segw *w = im->w;
		im->w = NULL;
		if (unmo_segw_seal(w, err, sizeof err) != 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			return EXIT_IO;
		}
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, 0, 'o'},	    {"prefix", required_argument, 0, 'p'},
		{"writer", required_argument, 0, 'w'},	    {"block-bytes", required_argument, 0, 'b'},
		{"segment-mb", required_argument, 0, 'm'}, {"skip-bad", no_argument, 0, 's'},
		{"help", no_argument, 0, 'h'},		    {0, 0, 0, 0}};
	static struct importer im;
	im.prefix = "import";
	uint64_t block_bytes = UNMO_CHUNK_CAP, seg_mb = 256, writer = 0;
	bool skip_bad = false;
	int c;
	while ((c = getopt_long(argc, argv, "o:p:w:b:m:sh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': im.dir = optarg; break;
		case 'p': im.prefix = optarg; break;
		case 'w':
			if (parse_u64(optarg, 0, UINT32_MAX, &writer))
				goto bad_num;
			break;
		case 'b':
			if (parse_u64(optarg, 1024, UNMO_CHUNK_CAP, &block_bytes))
				goto bad_num;
			break;
		case 'm':
			if (parse_u64(optarg, 1, 1u << 20, &seg_mb))
				goto bad_num;
			break;
		case 's': skip_bad = true; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
		continue;
	bad_num:
		fprintf(stderr, "%s import: bad value \"%s\" for --%s\n", prog, optarg,
			c == 'w' ? "writer" : c == 'b' ? "block-bytes" : "segment-mb");
		return EXIT_USAGE;
	}
	if (!im.dir || argc - optind > 1) {
		fprintf(stderr, "%s import: %s\n%s", prog, im.dir ? "at most one input FILE" : "--out DIR is required",
			usage);
		return EXIT_USAGE;
	}
	if (unmo_mkdir_p(im.dir, 0755)) { /* created, parents too */
		fprintf(stderr, "%s: %s: %s\n", prog, im.dir, strerror(errno));
		return EXIT_IO;
	}
	im.writer = (uint32_t)writer;
	im.seg_bytes = seg_mb << 20;
	unmo_chunk_reset(&im.c);
	const char *in_name = optind < argc ? argv[optind] : "-";
	FILE *in = strcmp(in_name, "-") ? fopen(in_name, "rb") : stdin;
	if (!in) {
		fprintf(stderr, "%s: %s: %s\n", prog, in_name, strerror(errno));
		return EXIT_IO;
	}
	int rc = EXIT_OK;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0, good = 0, bad = 0;
	while ((n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		size_t len = (size_t)n;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		bool blank = true;
		for (size_t i = 0; i < len && blank; i++)
			blank = line[i] == ' ' || line[i] == '\t';
		if (blank)
			continue;
		struct unmo_event e;
		const char *why = unmo_json_event_parse(line, len, &e);
		if (!why)
			why = unmo_event_check(&e);
		if (why) {
			fprintf(stderr, "%s: %s:%" PRIu64 ": %s\n", prog, in_name, lineno, why);
			bad++;
			continue;
		}
		if (im.c.count && im.c.len + unmo_record_size(&e) > block_bytes &&
		    (rc = imp_flush(&im)) != 0)
			break;
		if (!unmo_chunk_add(&im.c, &e)) { /* cannot happen: a record < a chunk */
			fprintf(stderr, "%s: %s:%" PRIu64 ": record does not fit a block\n", prog,
				in_name, lineno);
			bad++;
			continue;
		}
		good++;
	}
	if (ferror(in)) {
		fprintf(stderr, "%s: %s: read: %s\n", prog, in_name, strerror(errno));
		rc = worse(rc, EXIT_IO);
	}
	free(line);
	if (in != stdin)
		fclose(in);
	if (rc == EXIT_OK)
		rc = imp_flush(&im);
	if (im.w) {
		char err[512];
		if (unmo_segw_seal(im.w, err, sizeof err) != 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			rc = worse(rc, EXIT_IO);
		}
	}
	fprintf(stderr, "%s import: %" PRIu64 " events written, %" PRIu64 " bad lines\n", prog, good, bad);
	if (bad && !skip_bad)
		rc = worse(rc, EXIT_DATA);
	return rc;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("unmo-seg %s\n", UNMO_VERSION);
		return EXIT_OK;
	}
	argc--;
	argv++;
	if (!strcmp(cmd, "cat"))
		return cmd_cat(argc, argv);
	if (!strcmp(cmd, "stat"))
		return cmd_stat(argc, argv);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(argc, argv);
	if (!strcmp(cmd, "recover"))
		return cmd_recover(argc, argv);
	if (!strcmp(cmd, "import"))
		return cmd_import(argc, argv);
	fprintf(stderr, "%s: unknown command \"%s\"\n%s", prog, cmd, usage);
	return EXIT_USAGE;
}
