/* attr.h — batch attribution engine (the library behind `unmo-attr`).
 *
 * Decides, for every install, reinstall, re-engagement and in-app conversion,
 * which marketing touch gets the credit, under the rules of
 * docs/attribution.md (last-touch waterfall, windows, re-attribution,
 * re-engagement, fraud flags, multi-touch models), and aggregates per
 * tenant app / media source / campaign.
 *
 * Life cycle (one run):
 *   a = unmo_attr_new(&opts)            temp dir made under opts.tmpdir
 *   unmo_attr_add_paths(a, ...)        pass 1 over segment files (threads), or
 *   unmo_attr_add_event(a, &e)         pass 1 fed from memory (tests)
 *   unmo_attr_finish(a)                pass 2: attribute partition by partition
 *   unmo_attr_installs / _aggs / _conversions / _stats   read results
 *   unmo_attr_write_outputs(a, dir)    report.csv, report.json, installs.csv,
 *                                      models.csv (+ conversions.csv)
 *   unmo_attr_free(a)                  removes the temp dir
 * Pass 1 spreads events over on-disk partitions by hash(app, device key);
 * pass 2 holds one partition per thread in memory. Results do not depend on
 * the partition count, thread count or order of inputs (every ordering
 * decision uses event content only).
 *
 * Ownership: result arrays and their strings belong to the engine and live
 * until unmo_attr_free. Thread-safety: one engine is driven by one thread;
 * it starts its own worker threads inside add_paths/finish. Errors: functions
 * return -1/NULL and write a message into the caller's err buffer; corrupt
 * segment blocks are not errors (reported through the hook and counted).
 */
#ifndef UNMO_ATTR_H
#define UNMO_ATTR_H

#include "event.h"
#include <stdio.h>

#define UNMO_US_PER_S 1000000ll
#define UNMO_US_PER_DAY (86400ll * UNMO_US_PER_S)

/* ---- per-app windows (docs/attribution.md, "Configuration") ---- */
struct unmo_attr_windows {
	int64_t click_lookback_us;  /* 7 d */
	int64_t view_lookback_us;   /* 1 d */
	bool view_through;          /* on */
	int64_t prob_window_us;     /* 1 d */
	int64_t reattribution_us;   /* 90 d */
	int64_t reengagement_us;    /* 30 d: length of a re-engagement */
	int64_t retarget_click_us;  /* 7 d: click lookback of a re-engagement */
	int64_t half_life_us;       /* 7 d: time-decay model */
	int64_t fast_ctit_us;       /* 10 s: installs faster than this are flagged */
	uint32_t flood_clicks;      /* 50 clicks of one source+campaign on one device ... */
	int64_t flood_window_us;    /* ... within 24 h flag a click flood */
};

void unmo_attr_windows_default(struct unmo_attr_windows *w);

/* Parse a duration "7d", "24h", "90m", "10s", "500ms", "1500us" or a bare
 * integer (microseconds). Returns 0 and sets *us, or -1. */
int unmo_attr_parse_duration(const char *s, int64_t *us);
/* Parse a UTC time: integer microseconds since the epoch, or ISO-8601
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z]". Returns 0 or -1. */
int unmo_attr_parse_time(const char *s, int64_t *us);
/* Apply one "key=value" setting to w. Returns 0, or -1 with err filled. */
int unmo_attr_windows_set(struct unmo_attr_windows *w, const char *kv, char *err, size_t errlen);

/* Per-app configuration: a default plus per-app overrides. Config file
 * (attr.conf), one directive per line, '#' starts a comment:
 *   app <app_id|*> key=value ...
 * keys: click_lookback view_lookback view_through(on|off) prob_window
 *   reattribution reengagement retarget_click half_life fast_ctit
 *   flood_clicks flood_window. "app *" changes the default for every app. */
struct unmo_attr_config;
struct unmo_attr_config *unmo_attr_config_new(void);
void unmo_attr_config_free(struct unmo_attr_config *c);
/* Load a file (adds to c). Errors name file and line. */
int unmo_attr_config_load(struct unmo_attr_config *c, const char *path, char *err, size_t errlen);
/* Apply "key=value" to app (NULL or "*": the default and every app). */
int unmo_attr_config_set(struct unmo_attr_config *c, const char *app, const char *kv, char *err,
			 size_t errlen);
const struct unmo_attr_windows *unmo_attr_config_get(const struct unmo_attr_config *c,
						     const char *app, size_t app_len);

/* User-agent family used by probabilistic matching (docs/attribution.md):
 * writes a short family string into out (NUL-terminated), returns its
 * length; 0 when ua is empty. */
size_t unmo_attr_ua_family(struct unmo_str ua, char *out, size_t cap);

/* ---- multi-touch models ---- */
enum unmo_attr_model {
	UNMO_MODEL_FIRST = 0,
	UNMO_MODEL_LAST,
	UNMO_MODEL_LINEAR,
	UNMO_MODEL_TIME_DECAY,
	UNMO_MODEL_POSITION,
	UNMO_MODEL_COUNT
};
extern const char *const unmo_attr_model_names[UNMO_MODEL_COUNT];
#define UNMO_CREDIT_UNIT 1000000ll /* one conversion = 1,000,000 credit units */

/* Split total (any sign) over n parts in proportion to weights w[0..n)
 * (not all zero) by the largest-remainder method: each part gets
 * floor(|total|*w/W), the leftover units go one each to the largest
 * remainders, ties to the lower index; signs follow total. Parts always
 * sum to total exactly. */
void unmo_attr_split(int64_t total, const uint64_t *w, size_t n, int64_t *out);
/* Weights of one model for touches at times t[0..n) (ordered, oldest
 * first). Time decay counts ages from t[n-1], the last touchpoint: the
 * same ratios as from the conversion's time, which is therefore not
 * needed. n > 0 gives at least one nonzero weight. */
void unmo_attr_model_weights(enum unmo_attr_model m, const int64_t *t, size_t n, int64_t half_life_us,
			     uint64_t *w);

/* ---- run ---- */
/* Temp (spill) files: through the page cache, with O_DIRECT where the
 * file system takes it, or mixed: direct, but about half of the bytes
 * through the page cache (pass 2 then reads half from memory while the
 * disk reads the other half). auto: mixed when the spill, guessed from the
 * input's size, fits in half of the memory the kernel reports available,
 * else direct (no copy into cache pages, no cache pushed out); direct when
 * the input size is not known (unmo_attr_add_event). auto's mixed writes
 * direct until the disk falls behind pass 1 (a chunk waits for a spill's
 * write), then as mixed. */
enum unmo_attr_spill_io { UNMO_SPILL_AUTO = 0, UNMO_SPILL_DIRECT, UNMO_SPILL_BUFFERED, UNMO_SPILL_MIXED };
#define UNMO_SPILL_IO_COUNT 4
extern const char *const unmo_attr_spill_io_names[UNMO_SPILL_IO_COUNT];

struct unmo_attr_opts {
	const struct unmo_attr_config *config; /* NULL: defaults */
	const char *app;        /* only this app (NULL: all) */
	int64_t from_us, to_us; /* report range [from, to); 0/0 = everything */
	bool from_set, to_set;  /* from_us / to_us given even when 0 (1970-01-01) */
	const char *tmpdir;     /* where the temp dir goes (NULL: $TMPDIR or /tmp) */
	uint64_t mem_bytes;     /* memory budget (0: 1 GiB; more than the machine's memory: that) */
	unsigned threads;       /* 0: online CPUs */
	unsigned partitions;    /* 0: chosen from input size and mem_bytes */
	bool keep_conversions;  /* keep per-conversion rows (conversions.csv) */
	enum unmo_attr_spill_io spill_io; /* how temp files are written (default auto) */
	bool progress;          /* progress lines on stderr */
	/* corrupt segment blocks are reported here (default: stderr) */
	void (*on_corrupt)(void *ctx, const char *msg);
	void *ctx;
};

enum unmo_attr_match { /* how an install row got its touch */
	UNMO_MATCH_ORGANIC = 0,
	UNMO_MATCH_CLICK,      /* deterministic click */
	UNMO_MATCH_PROB_CLICK, /* probabilistic click (IP + UA family) */
	UNMO_MATCH_VIEW,       /* deterministic impression */
};
extern const char *const unmo_attr_match_names[4];

enum unmo_attr_outcome {
	UNMO_OUT_NEW_INSTALL = 0, /* counted install (waterfall) */
	UNMO_OUT_REATTRIBUTION,   /* reinstall inside the window, retargeting touch */
	UNMO_OUT_REINSTALL,       /* reinstall inside the window, keeps its source */
};
extern const char *const unmo_attr_outcome_names[3];

enum unmo_attr_key_kind {
	UNMO_KEY_NONE = 0, UNMO_KEY_ADVERTISING_ID, UNMO_KEY_VENDOR_ID, UNMO_KEY_CUSTOMER_USER_ID,
	UNMO_KEY_EVENT_ID, /* install without any device id: a device of its own */
	UNMO_KEY_CONTENT,  /* the same without an event id: keyed by a hash of its content */
};
extern const char *const unmo_attr_key_kind_names[6];

/* Names (app_id, media_source, campaign, event_name in the structs below)
 * are C strings owned by the engine. A name holding a NUL byte has it as
 * the pair C0 80, and a 0xC0 byte as C0 C0, so distinct names stay
 * distinct; UTF-8 text never holds 0xC0 and reads as sent
 * (docs/attribution.md section 14). */
struct unmo_attr_touch {
	uint8_t event_id[16];
	uint8_t type;          /* UNMO_EV_CLICK / UNMO_EV_IMPRESSION, 0 = none */
	bool retargeting;
	int64_t time_us;
	const char *media_source, *campaign; /* "" when absent */
};

struct unmo_attr_install {
	const char *app_id;
	uint8_t event_id[16];
	uint8_t install_type;   /* UNMO_EV_INSTALL / UNMO_EV_REINSTALL as received */
	uint8_t key_kind;       /* enum unmo_attr_key_kind */
	uint8_t match;          /* enum unmo_attr_match */
	uint8_t outcome;        /* enum unmo_attr_outcome */
	int64_t time_us;
	struct unmo_attr_touch touch; /* the credited touch (type 0 for organic) */
	int64_t ctit_us;        /* click-to-install, -1 unless a click was credited now */
	bool fast_ctit;         /* ctit < fast_ctit */
};

struct unmo_attr_conversion {
	const char *app_id, *event_name;
	uint8_t event_id[16];
	int64_t time_us, revenue_micros;
	char currency[4];       /* "" when none */
	uint8_t via;            /* 0 none (no install), 1 install, 2 re-engagement */
	struct unmo_attr_touch touch; /* type 0: organic or none */
};

/* A sum of revenue micros: 128 bits, so no sum of int64 amounts can wrap
 * (2^64 events of +-2^63 each still fit), and totals stay exact. */
__extension__ typedef __int128 unmo_attr_micros_sum;
#define UNMO_ATTR_SUM_CHARS 41 /* sign, 39 digits, NUL */
/* v in decimal into buf (UNMO_ATTR_SUM_CHARS bytes); returns buf. */
char *unmo_attr_sum_str(char *buf, unmo_attr_micros_sum v);

struct unmo_attr_money { char currency[4]; unmo_attr_micros_sum micros; };

struct unmo_attr_agg {
	const char *app_id, *media_source, *campaign; /* "organic" / "(none)" rows too */
	uint64_t impressions, clicks;
	uint64_t installs_click, installs_prob, installs_view, installs_organic;
	uint64_t reattributions, reinstalls, reengagements, conversions;
	uint64_t fast_ctit, flood_devices;
	int64_t median_ctit_us; /* -1: no click installs */
	uint32_t nrevenue;      /* revenue per currency, sorted by currency */
	struct unmo_attr_money *revenue;
	/* multi-touch credits per model, in UNMO_CREDIT_UNITs */
	int64_t model_installs[UNMO_MODEL_COUNT], model_conversions[UNMO_MODEL_COUNT];
	struct unmo_attr_money *model_revenue[UNMO_MODEL_COUNT]; /* nrevenue entries each, same currencies */
};

/* Times and durations the rules work with: event times t with |t| <
 * UNMO_ATTR_TIME_LIMIT microseconds (about 146,000 years either side of
 * 1970) and windows of at most that, so that every t - W, t + W and
 * t1 - t2 fits in 64 bits. Events outside are counted (events_bad_time)
 * and left out; longer durations are refused. */
#define UNMO_ATTR_TIME_LIMIT ((int64_t)1 << 62)

struct unmo_attr_stats {
	uint64_t files, files_failed, blocks, blocks_corrupt;
	uint64_t events_read, events_unreadable, events_filtered, duplicates;
	uint64_t events_bad_time; /* event time outside +-UNMO_ATTR_TIME_LIMIT: not attributed */
	uint64_t file_problems;    /* files with a damaged header or no valid index/footer (read by scanning) */
	uint64_t bytes_unreadable; /* bytes of the corrupt blocks (and damaged regions) skipped */
	uint64_t blocks_uncounted; /* of blocks_corrupt: in files read by scanning, whose events
				    * no index counts (events_unreadable leaves them out) */
	uint64_t files_unsealed; /* *.seg.open files in input directories, not read (unmo-seg recover) */
	uint64_t device_ids_zeroed; /* advertising or vendor ids skipped as all zeros, so not
				     * used as a device id (docs/attribution.md section 3) */
	uint64_t installs, reattributions, reinstalls, reengagements;
	uint64_t conversions, conversions_unattributed;
	unsigned partitions, threads;
	uint64_t peak_partition_bytes;
	uint64_t spilled_bytes; /* partition bytes that went to temp files (over --mem) */
	uint64_t spilled_cached_bytes; /* those written and read back through the page cache */
	uint64_t rows_spilled;  /* install and conversion rows that went to temp files (over --mem) */
	uint64_t ctit_spilled;  /* click-to-install times (for the medians) that went to temp files */
	uint64_t report_rows_spilled; /* workers' partial report rows that went to temp files (over --mem) */
	uint64_t partitions_split; /* partitions (and parts of them) too large for --mem, worked on in parts */
	uint64_t mem_budget;    /* the budget used: opts.mem_bytes, lowered to the machine's memory */
	uint64_t mem_advised;   /* set when mem_bytes is too small to hold this input even in parts: the
				 * least budget advised (docs/attribution.md section 15), else 0 */
	enum unmo_attr_spill_io spill_io; /* how: DIRECT, BUFFERED or MIXED (the choice;
				 * a file system refusing O_DIRECT falls back silently) */
};

struct unmo_attr;
struct unmo_attr *unmo_attr_new(const struct unmo_attr_opts *o, char *err, size_t errlen);
/* Pass 1 over files and directories (all *.seg inside, sorted by name). */
int unmo_attr_add_paths(struct unmo_attr *a, const char *const *paths, size_t n, char *err,
			size_t errlen);
/* Pass 1 fed one event at a time (single caller thread). */
int unmo_attr_add_event(struct unmo_attr *a, const struct unmo_event *e, char *err, size_t errlen);
int unmo_attr_finish(struct unmo_attr *a, char *err, size_t errlen);

/* Results, valid after finish and until unmo_attr_free. Installs sorted by
 * (time, event id, app), as an array of row pointers (the rows stay where
 * the workers made them); aggregates by (app, media source, campaign);
 * conversions (only with keep_conversions) like installs. Rows that came
 * to more than their share of mem_bytes (a quarter) were written to temp
 * files in sorted runs (stats.rows_spilled): then installs / conversions
 * return NULL (*n is still the row count) and only the each_ functions,
 * which stream the runs back in the same order, give the rows. Likewise
 * aggregates past their share (a 32nd; stats.report_rows_spilled):
 * unmo_attr_aggs returns NULL, unmo_attr_each_agg merges them as it
 * reads them. */
const struct unmo_attr_install *const *unmo_attr_installs(const struct unmo_attr *a, size_t *n);
const struct unmo_attr_agg *unmo_attr_aggs(const struct unmo_attr *a, size_t *n);
const struct unmo_attr_conversion *const *unmo_attr_conversions(const struct unmo_attr *a, size_t *n);
/* fn(ctx, row) for every row in the order above, in memory or spilled; a
 * row is valid during its call only. Returns 0, fn's first nonzero return
 * (which stops the walk), or -1 (temp-file read error, out of memory). */
int unmo_attr_each_install(const struct unmo_attr *a, int (*fn)(void *ctx, const struct unmo_attr_install *r),
			   void *ctx);
int unmo_attr_each_conversion(const struct unmo_attr *a,
			      int (*fn)(void *ctx, const struct unmo_attr_conversion *r), void *ctx);
int unmo_attr_each_agg(const struct unmo_attr *a, int (*fn)(void *ctx, const struct unmo_attr_agg *r), void *ctx);
const struct unmo_attr_stats *unmo_attr_stats(const struct unmo_attr *a);
/* Find one aggregate row by its names as given to the tool (NULL when
 * absent). Valid until unmo_attr_free. In memory, a scan of the rows;
 * streamed (unmo_attr_aggs NULL), a walk of the merge up to the row, whose
 * copy is kept and found again at once (for a few lookups; use
 * unmo_attr_each_agg for many); NULL also on a temp-file read error.
 * Thread-safe. */
const struct unmo_attr_agg *unmo_attr_find_agg(const struct unmo_attr *a, const char *app,
					       const char *source, const char *campaign);

/* Outputs (docs/attribution.md, "Outputs"), each written as NAME.tmp and
 * all renamed into place only when every one is complete: a failure (-1,
 * err says which file and why) leaves dir's previous outputs untouched. */
int unmo_attr_write_outputs(const struct unmo_attr *a, const char *dir, char *err, size_t errlen);
/* Compact terminal table; model < 0: last-touch columns only. */
void unmo_attr_print_table(const struct unmo_attr *a, FILE *f, int model, unsigned max_rows);

void unmo_attr_free(struct unmo_attr *a);

/* Event id as 32 lower-case hex digits (the JSON schema's spelling) into out[33]. */
void unmo_attr_id_hex(const uint8_t id[16], char out[33]);

#endif
