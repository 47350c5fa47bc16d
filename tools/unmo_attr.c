/* unmo-attr — batch attribution over segment files (docs/attribution.md).
 *
 *   unmo-attr [options] PATH...     (segment files and directories)
 *
 * Exit status, as the other unmo tools: 0 ok; 1 data problem (some input
 * could not be read: reported on stderr and in report.json "input"; the
 * reports are still written); 2 usage error (bad flag, bad attr.conf);
 * 3 failure (I/O, memory: no complete reports).
 */
#include <errno.h>
#include <getopt.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "fsdir.h"

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_FAILURE_IO = 3 };

static void usage(FILE *f)
{
	fputs("usage: unmo-attr [options] PATH...\n"
	      "Attribute installs, reinstalls, re-engagements and conversions found in segment\n"
	      "files (PATH: *.seg files or directories holding them) and write reports.\n"
	      "\n"
	      "  --out DIR            output directory (created; default ./attr-out):\n"
	      "                       report.csv report.json installs.csv models.csv\n"
	      "  --app ID             only this tenant app\n"
	      "  --from T, --to T     report range [from, to): UTC ISO-8601 (2026-01-01,\n"
	      "                       2026-01-01T12:00:00Z) or microseconds since the epoch\n"
	      "  --model NAME         model shown in the terminal table: first, last, linear,\n"
	      "                       time_decay, position (models.csv always has all five)\n"
	      "  --config FILE        per-app windows (attr.conf, see docs/attribution.md)\n"
	      "  --click-lookback D   --view-lookback D   --view-through on|off\n"
	      "  --prob-window D      --reattribution D   --reengagement D\n"
	      "  --retarget-click D   --half-life D       window overrides for every app\n"
	      "                       (D: 7d, 24h, 30m, 10s, 500ms, or microseconds)\n"
	      "  --set KEY=VALUE      any attr.conf setting for every app\n"
	      "  --conversions        also write conversions.csv (one row per conversion)\n"
	      "  --mem SIZE           memory budget (default 1G; K/M/G/T suffixes; at most\n"
	      "                       the machine's memory)\n"
	      "  --threads N          worker threads (default: online CPUs; at most one per\n"
	      "                       16M of --mem, at least 2)\n"
	      "  --partitions N       partition count (default: from input size and --mem;\n"
	      "                       lowered if their buffers would not fit in --mem)\n"
	      "  --tmpdir DIR         where partition temp files go (default $TMPDIR or /tmp)\n"
	      "  --spill-io MODE      temp files: direct (O_DIRECT where the file system takes\n"
	      "                       it), buffered (page cache), mixed (direct, half of the\n"
	      "                       bytes through the page cache) or auto (default:\n"
	      "                       direct, turning mixed if the disk falls behind and\n"
	      "                       the spill fits in half of the available memory)\n"
	      "  --rows N             rows in the terminal table (default 30; 0: none)\n"
	      "  --quiet              no table, no progress\n"
	      "  --help, --version\n"
	      "Exit status: 0 ok; 1 data problem (some input could not be read: reported on\n"
	      "stderr and in report.json; the reports are still written); 2 usage error\n"
	      "(bad flag or attr.conf); 3 failure (I/O, memory).\n",
	      f);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (*s < '0' || *s > '9') /* strtoull takes "-5" and " 5" */
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30;
	else if (*end == 'T' || *end == 't')
		mul = 1ull << 40;
	else if (*end)
		return -1;
	if (*end && end[1])
		return -1;
	*out = v * mul;
	return v && *out / mul == v ? 0 : -1;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

enum {
	O_APP = 256, O_FROM, O_TO, O_MODEL, O_CONFIG, O_OUT, O_MEM, O_THREADS, O_PARTS, O_TMP, O_SET,
	O_CONV, O_ROWS, O_QUIET, O_HELP, O_VERSION, O_SPILL_IO,
	O_WIN_FIRST, /* window flags map to attr.conf keys */
};
static const char *const win_keys[] = {"click_lookback", "view_lookback", "view_through", "prob_window",
				       "reattribution", "reengagement", "retarget_click", "half_life"};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"app", 1, 0, O_APP}, {"from", 1, 0, O_FROM}, {"to", 1, 0, O_TO}, {"model", 1, 0, O_MODEL},
		{"config", 1, 0, O_CONFIG}, {"out", 1, 0, O_OUT}, {"mem", 1, 0, O_MEM},
		{"threads", 1, 0, O_THREADS}, {"partitions", 1, 0, O_PARTS}, {"tmpdir", 1, 0, O_TMP},
		{"spill-io", 1, 0, O_SPILL_IO},
		{"set", 1, 0, O_SET}, {"conversions", 0, 0, O_CONV}, {"rows", 1, 0, O_ROWS},
		{"quiet", 0, 0, O_QUIET}, {"help", 0, 0, O_HELP}, {"version", 0, 0, O_VERSION},
		{"click-lookback", 1, 0, O_WIN_FIRST + 0}, {"view-lookback", 1, 0, O_WIN_FIRST + 1},
		{"view-through", 1, 0, O_WIN_FIRST + 2}, {"prob-window", 1, 0, O_WIN_FIRST + 3},
		{"reattribution", 1, 0, O_WIN_FIRST + 4}, {"reengagement", 1, 0, O_WIN_FIRST + 5},
		{"retarget-click", 1, 0, O_WIN_FIRST + 6}, {"half-life", 1, 0, O_WIN_FIRST + 7},
		{0, 0, 0, 0},
	};
	struct unmo_attr_opts o = {0};
	const char *out = "attr-out", *config = NULL;
	/* attr.conf settings from --set (key NULL: val is KEY=VALUE) and the
	 * window flags, applied in command-line order; pointers into argv, so
	 * an early usage error has nothing to free */
	struct { const char *key, *val; } overrides[64];
	int noverrides = 0, model = -1;
	unsigned rows = 30;
	bool quiet = false;
	char err[1024], kv[1200];
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_APP:
			if (!*optarg) {
				fprintf(stderr, "unmo-attr: bad --app '' (an app id; leave the flag out for every app)\n");
				return EXIT_USAGE;
			}
			o.app = optarg;
			break;
		case O_FROM:
		case O_TO:
			*(c == O_FROM ? &o.from_set : &o.to_set) = true;
			if (unmo_attr_parse_time(optarg, c == O_FROM ? &o.from_us : &o.to_us)) {
				fprintf(stderr, "unmo-attr: bad time '%s' (want 2026-01-01[THH:MM[:SS]][Z] or us)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case O_MODEL:
			for (int m = 0; m < UNMO_MODEL_COUNT; m++)
				if (!strcmp(optarg, unmo_attr_model_names[m]))
					model = m;
			if (model < 0) {
				fprintf(stderr, "unmo-attr: unknown model '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_CONFIG: config = optarg; break;
		case O_OUT: out = optarg; break;
		case O_MEM:
			if (parse_size(optarg, &o.mem_bytes) || o.mem_bytes < (1u << 20)) {
				fprintf(stderr, "unmo-attr: bad --mem '%s' (1M or more: 512M, 4G, 1T)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_THREADS:
			if (parse_uint(optarg, 256, &o.threads) || !o.threads) {
				fprintf(stderr, "unmo-attr: bad --threads '%s' (1..256)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_PARTS:
			if (parse_uint(optarg, 65536, &o.partitions) || !o.partitions) {
				fprintf(stderr, "unmo-attr: bad --partitions '%s' (1..65536)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_TMP: o.tmpdir = optarg; break;
		case O_SPILL_IO:
		{
			int mode = -1;
			for (int m = 0; m < UNMO_SPILL_IO_COUNT; m++)
				if (!strcmp(optarg, unmo_attr_spill_io_names[m]))
					mode = m;
			if (mode < 0) {
				fprintf(stderr, "unmo-attr: bad --spill-io '%s' (auto, direct, buffered or mixed)\n", optarg);
				return EXIT_USAGE;
			}
			o.spill_io = (enum unmo_attr_spill_io)mode;
			break;
		}
		case O_CONV: o.keep_conversions = true; break;
		case O_ROWS:
			if (parse_uint(optarg, 1000000, &rows)) {
				fprintf(stderr, "unmo-attr: bad --rows '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_QUIET: quiet = true; break;
		case O_SET:
			if (noverrides == 64) {
				fprintf(stderr, "unmo-attr: too many settings\n");
				return EXIT_USAGE;
			}
			overrides[noverrides].key = NULL;
			overrides[noverrides++].val = optarg;
			break;
		case O_HELP: usage(stdout); return 0;
		case O_VERSION: printf("unmo-attr %s\n", UNMO_VERSION); return 0;
		default:
			if (c >= O_WIN_FIRST && c < O_WIN_FIRST + 8) {
				if (noverrides == 64) {
					fprintf(stderr, "unmo-attr: too many settings\n");
					return EXIT_USAGE;
				}
				overrides[noverrides].key = win_keys[c - O_WIN_FIRST];
				overrides[noverrides++].val = optarg;
				break;
			}
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "unmo-attr: no input (give segment files or directories; --help)\n");
		return EXIT_USAGE;
	}
	if ((o.from_set || o.to_set) && (o.from_set ? o.from_us : INT64_MIN) >= (o.to_set ? o.to_us : INT64_MAX)) {
		fprintf(stderr, "unmo-attr: --to must be after --from\n");
		return EXIT_USAGE;
	}
	struct unmo_attr_config *cfg = unmo_attr_config_new();
	if (!cfg)
		return EXIT_FAILURE_IO;
	bool bad = config && unmo_attr_config_load(cfg, config, err, sizeof err);
	for (int i = 0; i < noverrides && !bad; i++) {
		const char *set = overrides[i].val;
		if (overrides[i].key) {
			snprintf(kv, sizeof kv, "%s=%s", overrides[i].key, overrides[i].val);
			set = kv;
		}
		bad = unmo_attr_config_set(cfg, NULL, set, err, sizeof err) != 0;
	}
	if (bad) {
		fprintf(stderr, "unmo-attr: %s\n", err);
		unmo_attr_config_free(cfg);
		return EXIT_USAGE;
	}
	o.config = cfg;
	o.progress = !quiet && isatty(STDERR_FILENO);
	if (unmo_mkdir_p(out, 0755)) {
		fprintf(stderr, "unmo-attr: %s: %s\n", out, strerror(errno));
		unmo_attr_config_free(cfg);
		return EXIT_FAILURE_IO;
	}
	struct unmo_attr *a = unmo_attr_new(&o, err, sizeof err);
	if (!a) {
		fprintf(stderr, "unmo-attr: %s\n", err);
		unmo_attr_config_free(cfg);
		return EXIT_FAILURE_IO;
	}
	uint64_t budget = unmo_attr_stats(a)->mem_budget;
	if (!quiet && o.mem_bytes > budget)
		fprintf(stderr, "unmo-attr: note: --mem is more than this machine's %lluM of memory: using that\n",
			(unsigned long long)(budget >> 20));
	int rc = EXIT_OK;
	bool failed = unmo_attr_add_paths(a, (const char *const *)argv + optind, (size_t)(argc - optind), err,
					  sizeof err) != 0;
	const struct unmo_attr_stats *st = unmo_attr_stats(a);
	if (!failed && !quiet && o.threads && st->threads < o.threads)
		fprintf(stderr, "unmo-attr: note: --threads %u lowered to %u: each thread takes 16M of --mem %lluM "
			"(docs/attribution.md section 15)\n",
			o.threads, st->threads, (unsigned long long)(budget >> 20));
	if (!failed && !quiet && o.partitions && st->partitions && st->partitions < o.partitions)
		fprintf(stderr, "unmo-attr: note: --partitions %u lowered to %u: their staging buffers must fit in an "
			"eighth of --mem %lluM at %u threads (docs/attribution.md section 15)\n",
			o.partitions, st->partitions, (unsigned long long)(budget >> 20), st->threads);
	uint64_t advised = st->mem_advised;
	if (!failed && !quiet && advised)
		fprintf(stderr,
			"unmo-attr: note: --mem %lluM is small for this much input: memory will go over it (parts "
			"of partitions too large to split further, or the spill's piece offsets); %lluM or more is "
			"advised (docs/attribution.md section 15)\n",
			(unsigned long long)(budget >> 20),
			(unsigned long long)((advised + (1 << 20) - 1) >> 20));
	if (failed || unmo_attr_finish(a, err, sizeof err) || unmo_attr_write_outputs(a, out, err, sizeof err)) {
		fprintf(stderr, "unmo-attr: %s\n", err);
		rc = EXIT_FAILURE_IO;
	} else {
		if (!quiet && rows)
			unmo_attr_print_table(a, stdout, model, rows);
		const struct unmo_attr_stats *s = unmo_attr_stats(a);
		/* The names (apps, media sources, campaigns) are the one thing
		 * --mem does not bound: say so when they took the run past it (a
		 * network putting click ids in the campaign makes a name per
		 * click). 64M of slack: threads and the segments being read come
		 * on top of --mem for any input. */
		struct rusage ru;
		size_t naggs;
		unmo_attr_aggs(a, &naggs);
		if (!quiet && !getrusage(RUSAGE_SELF, &ru) && ((uint64_t)ru.ru_maxrss << 10) > budget + ((uint64_t)64 << 20))
			fprintf(stderr,
				"unmo-attr: note: memory peaked at %lluM, past --mem %lluM: the names of the %zu report "
				"rows (app, media source, campaign) stay in memory whatever --mem says, about 100 "
				"bytes per source and campaign (docs/attribution.md section 15)\n",
				(unsigned long long)(ru.ru_maxrss >> 10), (unsigned long long)(budget >> 20), naggs);
		if (s->files_unsealed)
			fprintf(stderr,
				"unmo-attr: note: %llu unsealed *.seg.open files in the input directories were not "
				"read (a writer still has them, or crashed: `unmo-seg recover` seals what they hold)\n",
				(unsigned long long)s->files_unsealed);
		if (s->events_bad_time) {
			fprintf(stderr,
				"unmo-attr: %llu events have an event time more than 2^62 microseconds (146,000 years) "
				"from 1970 and were not attributed (report.json input.events_bad_time)\n",
				(unsigned long long)s->events_bad_time);
			rc = EXIT_DATA;
		}
		if (s->events_unreadable || s->blocks_corrupt || s->files_failed || s->file_problems) {
			fprintf(stderr,
				"unmo-attr: %s%llu events could not be read (%llu corrupt blocks of %llu bytes, %llu files "
				"failed, %llu files with a damaged header or index)\n",
				s->blocks_uncounted ? "at least " : "", (unsigned long long)s->events_unreadable,
				(unsigned long long)s->blocks_corrupt, (unsigned long long)s->bytes_unreadable,
				(unsigned long long)s->files_failed, (unsigned long long)s->file_problems);
			if (s->blocks_uncounted)
				fprintf(stderr,
					"unmo-attr: %llu of the corrupt blocks are in files read by scanning, where no "
					"index counts their events\n",
					(unsigned long long)s->blocks_uncounted);
			rc = EXIT_DATA;
		}
	}
	unmo_attr_free(a);
	unmo_attr_config_free(cfg);
	return rc;
}
