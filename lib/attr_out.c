/* attr_out.c — the outputs of a run: report.csv, report.json, installs.csv,
 * models.csv, conversions.csv and the terminal table (docs/attribution.md,
 * "Outputs"). Money is printed as integer micros, credits as decimals with
 * six places computed from integers: nothing goes through floating point. */
#include "attr_impl.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Bytes that make a CSV field quoted: RFC 4180's, and NAME_ESC (a name
 * holding a NUL byte, written as it is, is quoted too). A table: strpbrk
 * builds its set on every call, 7% of a run writing a million rows. */
static const bool csv_special[256] = {[','] = true, ['"'] = true, ['\r'] = true, ['\n'] = true,
				      [NAME_ESC] = true};

/* Credit units (millionths, docs/attribution.md section 11) as a decimal
 * with six places, "-0.000005": the digits are made from the integer,
 * nothing goes through floating point. Returns the text's start, inside
 * out (FIXED6_CHARS bytes). */
#define FIXED6_CHARS 28
static char *fixed6_str(char out[FIXED6_CHARS], int64_t v)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *p = out + FIXED6_CHARS - 1;
	*p = 0;
	for (int i = 0; i < 6; i++, m /= 10)
		*--p = (char)('0' + m % 10);
	*--p = '.';
	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		*--p = '-';
	return p;
}

/* YYYY-MM-DD of a UTC time. Years 1970..9999 by arithmetic (days to civil
 * date, H. Hinnant's algorithm: gmtime_r + strftime cost more than the rest
 * of an install row); other times through the C library. */
/* out: UTC_DAY_CHARS bytes (years of up to 6 digits and a sign, the range
 * of int64 microseconds) */
#define UTC_DAY_CHARS 24
static void utc_day(int64_t us, char out[UTC_DAY_CHARS])
{
	if (us >= 0 && us < 253402300800ll * UNMO_US_PER_S) {
		int64_t z = us / UNMO_US_PER_DAY + 719468;
		int64_t era = z / 146097, doe = z - era * 146097;
		int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
		int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
		int64_t y = yoe + era * 400 + (m <= 2);
		out[0] = (char)('0' + y / 1000);
		out[1] = (char)('0' + y / 100 % 10);
		out[2] = (char)('0' + y / 10 % 10);
		out[3] = (char)('0' + y % 10);
		out[4] = '-';
		out[5] = (char)('0' + m / 10);
		out[6] = (char)('0' + m % 10);
		out[7] = '-';
		out[8] = (char)('0' + d / 10);
		out[9] = (char)('0' + d % 10);
		out[10] = 0;
		return;
	}
	/* years 0..9999 with four digits (strftime's %Y wrote "500-01-01"),
	 * others as they are, astronomical: year 0 is 1 BC, then -1, ... */
	time_t s = (time_t)(us >= 0 ? us / UNMO_US_PER_S : (us - (UNMO_US_PER_S - 1)) / UNMO_US_PER_S);
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		out[0] = 0;
		return;
	}
	long long y = (long long)tm.tm_year + 1900;
	snprintf(out, UTC_DAY_CHARS, y >= 0 && y <= 9999 ? "%04lld-%02d-%02d" : "%lld-%02d-%02d", y, tm.tm_mon + 1,
		 tm.tm_mday);
}

char *unmo_attr_sum_str(char *buf, unmo_attr_micros_sum v)
{
	__extension__ unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	char *p = buf + UNMO_ATTR_SUM_CHARS - 1;
	*p = 0;
	do {
		*--p = (char)('0' + (unsigned)(mag % 10));
		mag /= 10;
	} while (mag);
	if (v < 0)
		*--p = '-';
	return memmove(buf, p, (size_t)(buf + UNMO_ATTR_SUM_CHARS - p));
}

static const char *flags_of(const struct unmo_attr_agg *g)
{
	if (g->fast_ctit && g->flood_devices)
		return "fast_ctit|click_flood";
	if (g->fast_ctit)
		return "fast_ctit";
	return g->flood_devices ? "click_flood" : "";
}

/* Outputs are written under a temporary name (NAME.tmp) and renamed into
 * place once complete: a reader sees the previous file, none, or the new one
 * whole, never a half-written report. The old file is unlinked before the
 * rename rather than truncated or renamed over: ext4 (auto_da_alloc) starts
 * writing back a file that replaces another at close or rename, in the
 * caller's thread — 0.6 s of wall time for a 480 MB installs.csv. */
static void tmp_name(char *tmp, size_t cap, const char *path)
{
	snprintf(tmp, cap, "%s.tmp", path);
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t cap, char *err, size_t errlen)
{
	char tmp[4300];
	snprintf(path, cap, "%s/%s", dir, name);
	tmp_name(tmp, sizeof tmp, path);
	unlink(tmp); /* a stale one from an interrupted run: start a fresh file */
	FILE *f = fopen(tmp, "w");
	if (!f)
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	return f;
}

/* Close f, leaving its NAME.tmp for commit_outputs; failure (a reason,
 * or NULL) or a write error discards the temporary file instead. */
static int close_out(FILE *f, const char *path, const char *failure, char *err, size_t errlen)
{
	char tmp[4300];
	tmp_name(tmp, sizeof tmp, path);
	int e = ferror(f) ? errno : 0; /* the failed write's errno, unless something reset it */
	if (fclose(f) && !e)
		e = errno ? errno : EIO;
	if (e || failure) {
		snprintf(err, errlen, "%s: %s%s%s", tmp, failure ? failure : "write error",
			 !failure && e ? ": " : "", !failure && e ? strerror(e) : "");
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* CSV rows built in memory, a batch of rows at a time, and handed to stdio
 * once per batch: per-field stdio calls (each takes the FILE's lock) cost
 * ~4,000 instructions per install row, more than attributing it. The
 * buffer grows to hold its batch (rows are bounded: a few KB). */
struct row {
	char *b;
	size_t n, cap;
	bool oom; /* a field did not fit and the buffer could not grow */
};

static bool r_room(struct row *r, size_t n)
{
	if (r->n + n <= r->cap)
		return true;
	size_t cap = r->cap ? r->cap : 4096;
	while (cap < r->n + n)
		cap *= 2;
	char *b = realloc(r->b, cap);
	if (!b) {
		r->oom = true;
		return false;
	}
	r->b = b;
	r->cap = cap;
	return true;
}

static void r_mem(struct row *r, const char *s, size_t n)
{
	if (!n || !r_room(r, n))
		return;
	memcpy(r->b + r->n, s, n);
	r->n += n;
}

static void r_chr(struct row *r, char c)
{
	if (r->n < r->cap || r_room(r, 1))
		r->b[r->n++] = c;
}

static void r_str(struct row *r, const char *s)
{
	r_mem(r, s, strlen(s));
}

/* Two decimal digits per step from a table: times are 16-digit numbers,
 * several per row (the digit-at-a-time loop was 2% of a run's instructions). */
static const char dec_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static void r_u64_sign(struct row *r, uint64_t m, bool neg)
{
	char b[24];
	int i = 24;
	while (m >= 100) {
		i -= 2;
		memcpy(b + i, dec_pairs + 2 * (m % 100), 2);
		m /= 100;
	}
	if (m >= 10) {
		i -= 2;
		memcpy(b + i, dec_pairs + 2 * m, 2);
	} else {
		b[--i] = (char)('0' + m);
	}
	if (neg)
		b[--i] = '-';
	r_mem(r, b + i, (size_t)(24 - i));
}

static void r_u64(struct row *r, uint64_t v)
{
	r_u64_sign(r, v, false);
}

static void r_i64(struct row *r, int64_t v)
{
	r_u64_sign(r, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

/* Name s (name_encode) as a CSV field (RFC 4180 quoting), into the row. */
static void r_csv(struct row *r, const char *s)
{
	size_t n = 0;
	while (s[n] && !csv_special[(unsigned char)s[n]])
		n++;
	if (!s[n]) {
		r_mem(r, s, n);
		return;
	}
	r_chr(r, '"');
	while (*s) {
		char c = (char)name_next(&s);
		if (c == '"')
			r_chr(r, '"');
		r_chr(r, c);
	}
	r_chr(r, '"');
}

/* Name s (name_encode) as a JSON string: a NUL byte is \u0000. */
static void r_json_str(struct row *r, const char *s)
{
	r_chr(r, '"');
	while (*s) {
		const char *run = s; /* bytes that need nothing: copied at once */
		while ((unsigned char)*s >= 0x20 && *s != '"' && *s != '\\' && (unsigned char)*s != NAME_ESC)
			s++;
		r_mem(r, run, (size_t)(s - run));
		if (!*s)
			break;
		unsigned char c = name_next(&s);
		if (c == '"' || c == '\\') {
			r_chr(r, '\\');
			r_chr(r, (char)c);
		} else if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			r_mem(r, u, 6);
		} else {
			r_chr(r, (char)c);
		}
	}
	r_chr(r, '"');
}

/* Revenue per currency, zero sums left out: "USD:1500000 EUR:20" (CSV)
 * or {"USD":1500000,"EUR":20} (json). */
static void r_money(struct row *r, const struct unmo_attr_money *m, uint32_t n, bool json)
{
	bool first = true;
	char num[UNMO_ATTR_SUM_CHARS];
	if (json)
		r_chr(r, '{');
	for (uint32_t i = 0; i < n; i++) {
		if (!m[i].micros)
			continue;
		if (!first)
			r_chr(r, json ? ',' : ' ');
		if (json)
			r_chr(r, '"');
		r_str(r, m[i].currency);
		r_str(r, json ? "\":" : ":");
		r_str(r, unmo_attr_sum_str(num, m[i].micros));
		first = false;
	}
	if (json)
		r_chr(r, '}');
}

/* Aggregate rows are formatted into a row buffer and handed to stdio
 * 64 KB at a time (per-field stdio calls took most of the time of a
 * report with a million rows). */
#define AGG_FLUSH 65536u
/* false on a short write (ferror(f) is set: close_out reports it) */
static bool r_flush(struct row *r, FILE *f, bool force)
{
	if (!r->n || (!force && r->n < AGG_FLUSH))
		return true;
	bool ok = fwrite(r->b, 1, r->n, f) == r->n;
	r->n = 0;
	return ok;
}

static void r_hex_id(struct row *r, const uint8_t id[16])
{
	char hex[33];
	unmo_attr_id_hex(id, hex);
	r_mem(r, hex, 32);
}

static void touch_cols(struct row *r, const struct unmo_attr_touch *t)
{
	if (t->type) {
		r_hex_id(r, t->event_id);
		r_chr(r, ',');
		r_str(r, unmo_event_type_names[t->type]);
		r_chr(r, ',');
	} else {
		r_mem(r, ",,", 2);
	}
	r_csv(r, t->media_source);
	r_chr(r, ',');
	r_csv(r, t->campaign);
	if (t->type) {
		r_chr(r, ',');
		r_i64(r, t->time_us);
		r_str(r, t->retargeting ? ",1" : ",0");
	} else {
		r_mem(r, ",,0", 3);
	}
}

/* One output row (installs.csv, conversions.csv). */
typedef void row_fn(struct row *r, const void *row);

/* Rows are formatted by the run's threads in batches of PW_ROWS, and
 * written in order by the calling thread, which also fills the batches: a
 * batch is PW_ROWS row pointers, into the merged array when the rows are
 * in memory, else into the slot's copies of the rows streamed from disk
 * (memory: the slots, a few MB, whatever the row count). The output is the
 * same bytes as formatting row after row. */
#define PW_ROWS 4096u
#define PW_SLOTS 8u
enum { PW_FREE, PW_FILLED, PW_FORMATTING, PW_READY };
struct pw_slot {
	struct row r;
	const void *rows[PW_ROWS];
	char *copy; /* PW_ROWS rows, when streamed */
	size_t n, batch;
	int state;
};
struct pw {
	row_fn *fmt;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;      /* every batch is filled, or the writer failed */
	struct pw_slot slot[PW_SLOTS];
};

/* Rows are visited in time order, at random in the workers' row arrays:
 * the lines of the row ROW_AHEAD on are fetched while this one is made. */
#define ROW_AHEAD 8
static void pw_format(struct pw *w, struct pw_slot *s, size_t size)
{
	s->r.n = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (i + ROW_AHEAD < s->n)
			for (size_t o = 0; o < size; o += 64)
				__builtin_prefetch((const char *)s->rows[i + ROW_AHEAD] + o);
		w->fmt(&s->r, s->rows[i]);
	}
}

struct pw_arg {
	struct pw *w;
	size_t size;
};

static void *pw_main(void *p)
{
	struct pw_arg *arg = p;
	struct pw *w = arg->w;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct pw_slot *s = NULL; /* the filled slot of the oldest batch */
		for (unsigned i = 0; i < PW_SLOTS; i++)
			if (w->slot[i].state == PW_FILLED && (!s || w->slot[i].batch < s->batch))
				s = &w->slot[i];
		if (!s) {
			if (w->done)
				break;
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		s->state = PW_FORMATTING;
		pthread_mutex_unlock(&w->mu);
		pw_format(w, s, arg->size);
		pthread_mutex_lock(&w->mu);
		s->state = PW_READY;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The rows of one output file: v[0..n) in memory, or streamed by m. */
struct row_src {
	const void *const *v;
	size_t n, next;
	struct rowmerge *m;
	size_t size;
};

/* Up to PW_ROWS next rows into s; its row count (0 at the end), or -1 on
 * a read error or out of memory. */
static long fill_batch(struct row_src *src, struct pw_slot *s)
{
	s->n = 0;
	if (!src->m) {
		while (s->n < PW_ROWS && src->next < src->n)
			s->rows[s->n++] = src->v[src->next++];
		return (long)s->n;
	}
	if (!s->copy && !(s->copy = malloc(PW_ROWS * src->size)))
		return -1;
	const void *r;
	while (s->n < PW_ROWS && (r = rowmerge_next(src->m))) {
		char *d = s->copy + s->n * src->size;
		memcpy(d, r, src->size);
		s->rows[s->n++] = d;
	}
	return s->n < PW_ROWS && rowmerge_error(src->m) ? -1 : (long)s->n;
}

/* Write header and every row of src to dir/name. 0 or -1 (err set). */
static int write_rows(const struct unmo_attr *a, const char *dir, const char *name, const char *header,
		      struct row_src *src, row_fn *fmt, char *err, size_t errlen)
{
	char path[4200];
	FILE *f = open_out(dir, name, path, sizeof path, err, errlen);
	if (!f)
		return -1;
	fputs(header, f);
	struct pw w = {.fmt = fmt};
	struct pw_arg arg = {&w, src->size};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	size_t nbatches = (src->n + PW_ROWS - 1) / PW_ROWS;
	unsigned nth = a->threads < nbatches ? a->threads : (unsigned)nbatches, started = 0;
	pthread_t th[256];
	if (nth > 1)
		for (; started < nth && started < 256 && !pthread_create(&th[started], NULL, pw_main, &arg); started++)
			;
	bool oom = false, bad = false, end = false;
	size_t filled = 0, written = 0;
	while (!oom && !bad) {
		/* fill every free slot, oldest batch first */
		while (!end && filled < written + PW_SLOTS) {
			struct pw_slot *s = &w.slot[filled % PW_SLOTS];
			long k = fill_batch(src, s);
			if (k < 0)
				oom = true;
			if (k <= 0) {
				end = true;
				break;
			}
			pthread_mutex_lock(&w.mu);
			s->batch = filled++;
			s->state = PW_FILLED;
			pthread_cond_broadcast(&w.cv);
			pthread_mutex_unlock(&w.mu);
		}
		if (end && !oom) {
			pthread_mutex_lock(&w.mu);
			w.done = true; /* no more batches: idle formatters can quit */
			pthread_cond_broadcast(&w.cv);
			pthread_mutex_unlock(&w.mu);
		}
		if (written == filled || oom)
			break;
		struct pw_slot *s = &w.slot[written % PW_SLOTS];
		if (!started) { /* one thread: format here */
			pw_format(&w, s, src->size);
		} else {
			pthread_mutex_lock(&w.mu);
			while (s->state != PW_READY)
				pthread_cond_wait(&w.cv, &w.mu);
			pthread_mutex_unlock(&w.mu);
		}
		oom = s->r.oom;
		bad = fwrite(s->r.b, 1, s->r.n, f) != s->r.n;
		pthread_mutex_lock(&w.mu);
		s->state = PW_FREE;
		written++;
		pthread_mutex_unlock(&w.mu);
	}
	pthread_mutex_lock(&w.mu);
	w.done = true;
	pthread_cond_broadcast(&w.cv);
	pthread_mutex_unlock(&w.mu);
	for (unsigned i = 0; i < started; i++) /* they finish the batches they took */
		pthread_join(th[i], NULL);
	for (unsigned i = 0; i < PW_SLOTS; i++) {
		free(w.slot[i].r.b);
		free(w.slot[i].copy);
	}
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return close_out(f, path, oom ? "out of memory or temp file read error" : NULL, err, errlen);
}

/* The rows of installs.csv (conv false) or conversions.csv. 0 or -1. */
static int row_src_open(const struct unmo_attr *a, bool conv, struct row_src *src)
{
	*src = (struct row_src){
		.v = conv ? (const void *const *)a->conv : (const void *const *)a->ins,
		.n = conv ? a->nconv : a->nins,
		.size = conv ? sizeof(struct unmo_attr_conversion) : sizeof(struct unmo_attr_install),
	};
	if (!src->v && src->n && !(src->m = attr_rows_merge(a, conv)))
		return -1;
	return 0;
}

static void install_row(struct row *rw, const void *row)
{
	const struct unmo_attr_install *r = row;
	char day[UTC_DAY_CHARS];
	r_hex_id(rw, r->event_id);
	r_chr(rw, ',');
	r_csv(rw, r->app_id);
	r_chr(rw, ',');
	r_str(rw, unmo_event_type_names[r->install_type]);
	r_chr(rw, ',');
	r_i64(rw, r->time_us);
	/* match in the ground truth's vocabulary (docs/attribution.md) */
	const char *match = r->outcome == UNMO_OUT_REINSTALL ? "original"
			    : r->match == UNMO_MATCH_ORGANIC  ? "organic"
			    : r->match == UNMO_MATCH_PROB_CLICK ? "probabilistic"
								: "deterministic";
	r_chr(rw, ',');
	r_str(rw, match);
	r_chr(rw, ',');
	touch_cols(rw, &r->touch);
	utc_day(r->time_us, day);
	r_chr(rw, ',');
	r_str(rw, unmo_attr_outcome_names[r->outcome]);
	r_chr(rw, ',');
	r_mem(rw, day, strlen(day));
	r_chr(rw, ',');
	r_str(rw, unmo_attr_key_kind_names[r->key_kind]);
	r_chr(rw, ',');
	if (r->ctit_us >= 0)
		r_i64(rw, r->ctit_us);
	r_chr(rw, ',');
	r_str(rw, r->fast_ctit ? "fast_ctit\n" : "\n");
}

static void conversion_row(struct row *rw, const void *row)
{
	static const char *const via[3] = {"none", "install", "reengagement"};
	const struct unmo_attr_conversion *r = row;
	r_hex_id(rw, r->event_id);
	r_chr(rw, ',');
	r_csv(rw, r->app_id);
	r_chr(rw, ',');
	r_csv(rw, r->event_name);
	r_chr(rw, ',');
	r_i64(rw, r->time_us);
	r_chr(rw, ',');
	r_i64(rw, r->revenue_micros);
	r_chr(rw, ',');
	r_str(rw, r->currency);
	r_chr(rw, ',');
	r_str(rw, via[r->via]);
	r_chr(rw, ',');
	touch_cols(rw, &r->touch);
	r_chr(rw, '\n');
}

static int write_row_file(const struct unmo_attr *a, bool conv, const char *dir, char *err, size_t errlen)
{
	struct row_src src;
	if (row_src_open(a, conv, &src)) {
		snprintf(err, errlen, "%s: out of memory or temp file read error", conv ? "conversions" : "installs");
		return -1;
	}
	int rc = conv ? write_rows(a, dir, "conversions.csv",
				   "event_id,app_id,event_name,time_us,revenue_micros,currency,via,touch_event_id,"
				   "touch_type,media_source,campaign,touch_time_us,retargeting\n",
				   &src, conversion_row, err, errlen)
		      : write_rows(a, dir, "installs.csv",
				   "install_event_id,app_id,install_type,install_time_us,match,touch_event_id,"
				   "touch_type,media_source,campaign,touch_time_us,retargeting,outcome,install_day,"
				   "device_key,click_to_install_us,fraud\n",
				   &src, install_row, err, errlen);
	rowmerge_close(src.m);
	return rc;
}

/* The three leading name columns of an aggregate row (CSV). */
static void r_names_csv(struct row *r, const struct unmo_attr_agg *g)
{
	r_csv(r, g->app_id);
	r_chr(r, ',');
	r_csv(r, g->media_source);
	r_chr(r, ',');
	r_csv(r, g->campaign);
}

/* The three aggregate files (report.csv, report.json, models.csv) are
 * written in one read of the rows: when they spilled, each read is a merge
 * of temp files. Each file has its row buffer, flushed as it fills. */
struct agg_file {
	struct row r;
	FILE *f;
	char path[4200];
	void (*fmt)(struct row *r, const struct unmo_attr_agg *g, size_t i);
	const char *tail;
	bool ok; /* a full disk stops the rows, not just their bytes */
};
struct agg_files {
	struct agg_file *f;
	size_t n, i;
};
static int agg_write_one(void *ctx, const struct unmo_attr_agg *g)
{
	struct agg_files *w = ctx;
	bool go = true;
	for (size_t k = 0; k < w->n; k++) {
		struct agg_file *f = &w->f[k];
		f->fmt(&f->r, g, w->i);
		f->ok = r_flush(&f->r, f->f, false);
		go &= f->ok && !f->r.oom;
	}
	w->i++;
	return !go;
}

static void report_csv_row(struct row *r, const struct unmo_attr_agg *g, size_t i)
{
	(void)i;
	r_names_csv(r, g);
	const uint64_t v[] = {g->impressions, g->clicks,
			      g->installs_click + g->installs_prob + g->installs_view + g->installs_organic,
			      g->installs_click, g->installs_prob, g->installs_view, g->installs_organic,
			      g->reattributions, g->reinstalls, g->reengagements, g->conversions};
	for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
		r_chr(r, ',');
		r_u64(r, v[k]);
	}
	r_chr(r, ',');
	r_money(r, g->revenue, g->nrevenue, false);
	r_chr(r, ',');
	if (g->median_ctit_us >= 0)
		r_i64(r, g->median_ctit_us);
	r_chr(r, ',');
	r_u64(r, g->fast_ctit);
	r_chr(r, ',');
	r_u64(r, g->flood_devices);
	r_chr(r, ',');
	r_str(r, flags_of(g));
	r_chr(r, '\n');
}

static const char report_csv_head[] =
	"app_id,media_source,campaign,impressions,clicks,installs,installs_click,installs_prob,"
	"installs_view,installs_organic,reattributions,reinstalls,reengagements,conversions,"
	"revenue_micros,median_ctit_us,fast_ctit_installs,click_flood_devices,fraud_flags\n";

static void models_csv_row(struct row *r, const struct unmo_attr_agg *g, size_t i)
{
	(void)i;
	r_names_csv(r, g);
	for (int m = 0; m < UNMO_MODEL_COUNT; m++) {
		char num[FIXED6_CHARS];
		r_chr(r, ',');
		r_str(r, fixed6_str(num, g->model_installs[m]));
		r_chr(r, ',');
		r_str(r, fixed6_str(num, g->model_conversions[m]));
		r_chr(r, ',');
		r_money(r, g->model_revenue[m], g->nrevenue, false);
	}
	r_chr(r, '\n');
}

static void models_csv_head(struct row *r)
{
	r_str(r, "app_id,media_source,campaign");
	for (int m = 0; m < UNMO_MODEL_COUNT; m++) {
		const char *name = unmo_attr_model_names[m];
		r_chr(r, ',');
		r_str(r, name);
		r_str(r, "_installs,");
		r_str(r, name);
		r_str(r, "_conversions,");
		r_str(r, name);
		r_str(r, "_revenue_micros");
	}
	r_chr(r, '\n');
}

static void report_json_row(struct row *r, const struct unmo_attr_agg *g, size_t i)
{
	r_str(r, i ? ",\n{\"app_id\":" : "\n{\"app_id\":");
	r_json_str(r, g->app_id);
	r_str(r, ",\"media_source\":");
	r_json_str(r, g->media_source);
	r_str(r, ",\"campaign\":");
	r_json_str(r, g->campaign);
	r_str(r, ",\"impressions\":");
	r_u64(r, g->impressions);
	r_str(r, ",\"clicks\":");
	r_u64(r, g->clicks);
	r_str(r, ",\"installs\":{\"click\":");
	r_u64(r, g->installs_click);
	r_str(r, ",\"prob_click\":");
	r_u64(r, g->installs_prob);
	r_str(r, ",\"impression\":");
	r_u64(r, g->installs_view);
	r_str(r, ",\"organic\":");
	r_u64(r, g->installs_organic);
	r_str(r, "},\"reattributions\":");
	r_u64(r, g->reattributions);
	r_str(r, ",\"reinstalls\":");
	r_u64(r, g->reinstalls);
	r_str(r, ",\"reengagements\":");
	r_u64(r, g->reengagements);
	r_str(r, ",\"conversions\":");
	r_u64(r, g->conversions);
	r_str(r, ",\"revenue_micros\":");
	r_money(r, g->revenue, g->nrevenue, true);
	r_str(r, ",\"median_ctit_us\":");
	if (g->median_ctit_us >= 0)
		r_i64(r, g->median_ctit_us);
	else
		r_str(r, "null");
	r_str(r, ",\"fraud\":{\"fast_ctit_installs\":");
	r_u64(r, g->fast_ctit);
	r_str(r, ",\"click_flood_devices\":");
	r_u64(r, g->flood_devices);
	r_str(r, "},\"models\":{");
	for (int m = 0; m < UNMO_MODEL_COUNT; m++) {
		if (m)
			r_chr(r, ',');
		r_chr(r, '"');
		r_str(r, unmo_attr_model_names[m]);
		r_str(r, "\":{\"installs_credit\":");
		r_i64(r, g->model_installs[m]);
		r_str(r, ",\"conversions_credit\":");
		r_i64(r, g->model_conversions[m]);
		r_str(r, ",\"revenue_micros\":");
		r_money(r, g->model_revenue[m], g->nrevenue, true);
		r_chr(r, '}');
	}
	r_str(r, "}}");
}

/* report.json up to its rows */
static void report_json_head(const struct unmo_attr *a, FILE *f)
{
	const struct unmo_attr_stats *s = &a->st;
	fprintf(f, "{\"version\":1,\"range\":{\"from_us\":");
	if (a->from == INT64_MIN)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)a->from);
	fputs(",\"to_us\":", f);
	if (a->to == INT64_MAX)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)a->to);
	fprintf(f, "},\n\"input\":{\"files\":%llu,\"files_failed\":%llu,\"blocks\":%llu,"
		"\"blocks_corrupt\":%llu,\"blocks_uncounted\":%llu,\"bytes_unreadable\":%llu,\"file_problems\":%llu,"
		"\"events_read\":%llu,\"events_unreadable\":%llu,"
		"\"events_filtered\":%llu,\"events_bad_time\":%llu,\"duplicates\":%llu,\"device_ids_zeroed\":%llu,\"files_unsealed\":%llu,\"threads\":%u,\"partitions\":%u,\"spilled_bytes\":%llu,"
		"\"spilled_cached_bytes\":%llu,\"spill_io\":\"%s\",\"rows_spilled\":%llu,\"ctit_spilled\":%llu,\"report_rows_spilled\":%llu,\"partitions_split\":%llu},\n",
		(unsigned long long)s->files, (unsigned long long)s->files_failed,
		(unsigned long long)s->blocks, (unsigned long long)s->blocks_corrupt,
		(unsigned long long)s->blocks_uncounted, (unsigned long long)s->bytes_unreadable,
		(unsigned long long)s->file_problems,
		(unsigned long long)s->events_read, (unsigned long long)s->events_unreadable,
		(unsigned long long)s->events_filtered, (unsigned long long)s->events_bad_time,
		(unsigned long long)s->duplicates,
		(unsigned long long)s->device_ids_zeroed,
		(unsigned long long)s->files_unsealed, s->threads, s->partitions,
		(unsigned long long)s->spilled_bytes, (unsigned long long)s->spilled_cached_bytes,
		unmo_attr_spill_io_names[s->spill_io],
		(unsigned long long)s->rows_spilled, (unsigned long long)s->ctit_spilled,
		(unsigned long long)s->report_rows_spilled, (unsigned long long)s->partitions_split);
	fprintf(f, "\"totals\":{\"installs\":%llu,\"reattributions\":%llu,\"reinstalls\":%llu,"
		"\"reengagements\":%llu,\"conversions\":%llu,\"conversions_unattributed\":%llu},\n",
		(unsigned long long)s->installs, (unsigned long long)s->reattributions,
		(unsigned long long)s->reinstalls, (unsigned long long)s->reengagements,
		(unsigned long long)s->conversions, (unsigned long long)s->conversions_unattributed);
	fputs("\"rows\":[", f);
}

static int write_reports(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	struct agg_file f[3] = {
		{.fmt = report_csv_row, .tail = ""},
		{.fmt = report_json_row, .tail = "\n]}\n"},
		{.fmt = models_csv_row, .tail = ""},
	};
	static const char *const names[3] = {"report.csv", "report.json", "models.csv"};
	bool opened = true; /* else err says which could not be */
	for (int k = 0; k < 3 && opened; k++)
		opened = (f[k].f = open_out(dir, names[k], f[k].path, sizeof f[k].path, err, errlen)) != NULL;
	int rc = 0;
	if (opened) {
		r_str(&f[0].r, report_csv_head);
		report_json_head(a, f[1].f);
		models_csv_head(&f[2].r);
		/* 1: a file stopped the rows (its error comes from close_out) */
		rc = unmo_attr_each_agg(a, agg_write_one, &(struct agg_files){f, 3, 0});
	}
	int out = opened ? 0 : -1;
	for (int k = 0; k < 3; k++) {
		if (f[k].f) {
			r_str(&f[k].r, f[k].tail);
			if (opened && !rc)
				r_flush(&f[k].r, f[k].f, true);
			const char *why = !opened ? "not written" : f[k].r.oom ? "out of memory"
								 : rc < 0    ? "temp file read error"
									     : NULL;
			char e[sizeof f[k].path + 256];
			if (close_out(f[k].f, f[k].path, why, e, sizeof e) && !out) {
				snprintf(err, errlen, "%s", e);
				out = -1;
			}
		}
		free(f[k].r.b);
	}
	if (rc && !out) {
		snprintf(err, errlen, "%s: the report files could not be written", dir);
		out = -1;
	}
	return out;
}

static int write_installs(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	return write_row_file(a, false, dir, err, errlen);
}

static int write_conversions(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	return write_row_file(a, true, dir, err, errlen);
}

/* The outputs, in the order written; conversions.csv last (--conversions). */
static const struct {
	const char *name;
	int (*write)(const struct unmo_attr *a, const char *dir, char *err, size_t errlen);
	const char *progress; /* what the progress line says is being written */
} outputs[] = {
	{"report.csv", write_reports, "report.csv, report.json, models.csv"},
	{"report.json", NULL, NULL}, /* written with report.csv */
	{"installs.csv", write_installs, "installs.csv"},
	{"models.csv", NULL, NULL}, /* likewise */
	{"conversions.csv", write_conversions, "conversions.csv"},
};

/* Every output's NAME.tmp renamed into place once all n written are
 * complete (ok), or removed (!ok), so a failed run leaves the previous
 * run's files as they were, never a mix. An output this run did not write
 * (conversions.csv without --conversions) goes too: it belongs to another
 * run. */
static int commit_outputs(const char *dir, bool ok, size_t n, char *err, size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < sizeof outputs / sizeof *outputs; i++) {
		char path[4200], tmp[4300];
		snprintf(path, sizeof path, "%s/%s", dir, outputs[i].name);
		tmp_name(tmp, sizeof tmp, path);
		if (ok && i < n) {
			if (rename(tmp, path) && !rc) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				rc = -1;
			}
			continue;
		}
		unlink(tmp);
		if (ok && unlink(path) && errno != ENOENT && !rc) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

int unmo_attr_write_outputs(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	size_t n = sizeof outputs / sizeof *outputs - !a->o.keep_conversions;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		if (a->o.progress && outputs[i].write) /* installs.csv alone can take seconds per million rows */
			fprintf(stderr, "\routputs: writing %s%20s", outputs[i].progress, "");
		ok = !outputs[i].write || !outputs[i].write(a, dir, err, errlen);
	}
	if (a->o.progress) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(stderr, "\routputs: %s in %.1f s%20s\n", ok ? "written" : "failed",
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, "");
	}
	char cerr[4400];
	if (commit_outputs(dir, ok, n, cerr, sizeof cerr) && ok) {
		snprintf(err, errlen, "%s", cerr);
		return -1;
	}
	return ok ? 0 : -1;
}

/* Terminal columns of code point c: 0 for combining marks and joiners
 * (drawn on the character before them), 2 for East Asian wide and
 * fullwidth forms and emoji (the ranges terminals draw double), else 1. */
static unsigned cp_columns(uint32_t c)
{
	static const uint32_t zero[][2] = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},
					   {0x0610, 0x061A}, {0x064B, 0x065F}, {0x1160, 0x11FF},
					   {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x20D0, 0x20FF},
					   {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xE0100, 0xE01EF}};
	static const uint32_t wide[][2] = {{0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF},
					   {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
					   {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F},
					   {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
					   {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD}};
	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

/* Invisible format characters that reorder or hide text on a terminal
 * (zero-width space and joiners, bidi marks, embeddings, overrides and
 * isolates, the BOM): shown as '?', like control bytes. */
static bool cp_format(uint32_t c)
{
	return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2069) ||
	       c == 0xFEFF;
}

/* One character of name *s for the terminal: its bytes into out (1-4) and
 * its columns; *s moved past it. A well-formed UTF-8 sequence is kept;
 * control bytes, C1 controls, bidi and zero-width format characters and
 * malformed bytes are shown as '?' (a name from the input must not move
 * the cursor, clear the screen or recolour the operator's terminal; the
 * files keep every byte). */
static unsigned term_char(const char **s, char out[4], unsigned *cols)
{
	unsigned char b = name_next(s);
	*cols = 1;
	out[0] = '?';
	if (b < 0x80) {
		if (b >= 0x20 && b != 0x7f)
			out[0] = (char)b;
		return 1;
	}
	unsigned len = b >= 0xF0 ? (b <= 0xF4 ? 4 : 0) : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
	if (!len)
		return 1;
	uint32_t c = b & (0x7Fu >> len);
	const char *p = *s;
	char tmp[4] = {(char)b};
	for (unsigned k = 1; k < len; k++) {
		if (!*p)
			return 1;
		unsigned char x = name_next(&p);
		if ((x & 0xC0) != 0x80)
			return 1;
		tmp[k] = (char)x;
		c = c << 6 | (x & 0x3F);
	}
	static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
	*s = p; /* a whole sequence: one character, shown or '?' */
	if (c < least[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) || c < 0xA0 || cp_format(c))
		return 1; /* overlong, out of range, a surrogate, a C1 control or a format character */
	memcpy(out, tmp, len);
	*cols = cp_columns(c);
	return len;
}

/* Name s as a table cell of exactly w columns (w >= 2): padded with
 * spaces, or cut with '~' in its last column. dst: 4 * w + 1 bytes. */
static void table_cell(char *dst, const char *s, unsigned w)
{
	unsigned total = 0, cols;
	char ch[4];
	for (const char *p = s; *p && total <= w;) {
		term_char(&p, ch, &cols);
		total += cols;
	}
	unsigned room = total <= w ? w : w - 1, used = 0;
	size_t k = 0;
	while (*s) {
		unsigned n = term_char(&s, ch, &cols);
		if (used + cols > room)
			break;
		memcpy(dst + k, ch, n);
		k += n;
		used += cols;
	}
	if (total > w)
		dst[k++] = '~', used++;
	while (used++ < w)
		dst[k++] = ' ';
	dst[k] = 0;
}

/* Money for people: "USD 33217.96" — exact (integer arithmetic), trailing
 * zeros of the micros dropped but at least two decimals kept. */
static void money_human(FILE *f, const struct unmo_attr_money *m, uint32_t n)
{
	bool first = true;
	for (uint32_t i = 0; i < n; i++) {
		if (!m[i].micros)
			continue;
		unmo_attr_micros_sum v = m[i].micros, whole = v / 1000000;
		unsigned frac = (unsigned)(v < 0 ? -(v % 1000000) : v % 1000000), digits = 6;
		while (digits > 2 && frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		char num[UNMO_ATTR_SUM_CHARS];
		/* -0.5 has a whole part of 0: the sign comes from v */
		fprintf(f, "%s%s %s%s.%0*u", first ? "" : " ", m[i].currency, v < 0 && !whole ? "-" : "",
			unmo_attr_sum_str(num, whole), (int)digits, frac);
		first = false;
	}
}

/* Table order: most installs (attributed + organic) first, then most
 * conversions, then the report's own order — the busiest rows on top.
 * The rows are read twice as a stream (they may not be in memory): once
 * to choose the max_rows busiest (a heap with the last of them on top),
 * once to copy those. */
struct table_pick {
	uint64_t inst, conv;
	size_t idx;            /* in report order */
	struct unmo_attr_agg g; /* copied on the second read */
};
static bool table_before(const struct table_pick *a, const struct table_pick *b)
{
	if (a->inst != b->inst)
		return a->inst > b->inst;
	if (a->conv != b->conv)
		return a->conv > b->conv;
	return a->idx < b->idx;
}
static int pick_cmp(const void *pa, const void *pb)
{
	const struct table_pick *a = pa, *b = pb;
	return table_before(a, b) ? -1 : table_before(b, a);
}
static int pick_idx_cmp(const void *pa, const void *pb)
{
	size_t a = ((const struct table_pick *)pa)->idx, b = ((const struct table_pick *)pb)->idx;
	return (a > b) - (a < b);
}
struct table_walk {
	struct table_pick *h;
	size_t n, k;   /* picked, at most */
	size_t idx;    /* rows read */
	size_t next;   /* second read: the next pick (by idx) to copy */
	struct arena copies; /* the picks' names and currencies */
	bool oom;
};
static void pick_sift(struct table_walk *t, size_t i)
{
	for (;;) { /* the pick that comes last in table order on top */
		size_t l = 2 * i + 1, s = i;
		if (l < t->n && table_before(&t->h[s], &t->h[l]))
			s = l;
		if (l + 1 < t->n && table_before(&t->h[s], &t->h[l + 1]))
			s = l + 1;
		if (s == i)
			return;
		struct table_pick x = t->h[i];
		t->h[i] = t->h[s];
		t->h[s] = x;
		i = s;
	}
}
static int table_choose(void *ctx, const struct unmo_attr_agg *g)
{
	struct table_walk *t = ctx;
	struct table_pick p = {g->installs_click + g->installs_prob + g->installs_view + g->installs_organic,
			       g->conversions, t->idx++, {0}};
	if (t->n < t->k) {
		t->h[t->n++] = p;
		if (t->n == t->k) /* full: made a heap */
			for (size_t i = t->n / 2; i-- > 0;)
				pick_sift(t, i);
	} else if (t->k && table_before(&p, &t->h[0])) {
		t->h[0] = p;
		pick_sift(t, 0);
	}
	return 0;
}
static int table_copy(void *ctx, const struct unmo_attr_agg *g)
{
	struct table_walk *t = ctx;
	size_t idx = t->idx++;
	if (t->next == t->n || t->h[t->next].idx != idx)
		return 0;
	if (agg_copy(&t->copies, &t->h[t->next++].g, g)) {
		t->oom = true;
		return 1;
	}
	return 0;
}

static void print_row(FILE *f, const struct unmo_attr_agg *g, int model)
{
	char app[4 * 22 + 1], src[4 * 18 + 1], camp[4 * 24 + 1];
	table_cell(app, g->app_id, 22);
	table_cell(src, g->media_source, 18);
	table_cell(camp, g->campaign, 24);
	unsigned long long inst = g->installs_click + g->installs_prob + g->installs_view;
	fprintf(f, "%s %s %s %9llu %8llu %8llu %7llu %8llu %7llu ", app, src, camp, (unsigned long long)g->clicks,
		inst, (unsigned long long)g->installs_organic, (unsigned long long)(g->reinstalls + g->reattributions),
		(unsigned long long)g->conversions, (unsigned long long)g->reengagements);
	if (g->median_ctit_us >= 0)
		fprintf(f, "%8lld ", (long long)(g->median_ctit_us / UNMO_US_PER_S));
	else
		fprintf(f, "%8s ", "-");
	fprintf(f, "%-10s ", g->fast_ctit && g->flood_devices ? "FAST+FLOOD"
			     : g->flood_devices             ? "FLOOD"
			     : g->fast_ctit                 ? "FASTCTIT"
							    : "");
	if (model >= 0) {
		char num[FIXED6_CHARS];
		fprintf(f, "inst=%s", fixed6_str(num, g->model_installs[model]));
		fprintf(f, " conv=%s", fixed6_str(num, g->model_conversions[model]));
		fputc(' ', f);
		money_human(f, g->model_revenue[model], g->nrevenue);
	} else {
		money_human(f, g->revenue, g->nrevenue);
	}
	fputc('\n', f);
}

void unmo_attr_print_table(const struct unmo_attr *a, FILE *f, int model, unsigned max_rows)
{
	size_t rows = a->naggs;
	struct table_walk t = {.k = max_rows < rows ? max_rows : rows};
	t.h = calloc(t.k ? t.k : 1, sizeof *t.h);
	int rc = t.h ? unmo_attr_each_agg(a, table_choose, &t) : -1;
	qsort(t.h, t.n, sizeof *t.h, pick_idx_cmp);
	t.idx = 0;
	if (!rc)
		rc = unmo_attr_each_agg(a, table_copy, &t);
	if (rc || t.oom || t.next != t.n) {
		fprintf(f, "(the table could not be made: %s; see report.csv)\n",
			t.oom || !t.h ? "out of memory" : "temp file read error");
	} else {
		qsort(t.h, t.n, sizeof *t.h, pick_cmp);
		fprintf(f, "%-22s %-18s %-24s %9s %8s %8s %7s %8s %7s %8s %-10s %s\n", "app", "source", "campaign",
			"clicks", "installs", "organic", "reinst", "conv", "re-eng", "ctit_s", "flags",
			model >= 0 ? unmo_attr_model_names[model] : "revenue");
		for (size_t i = 0; i < t.n; i++)
			print_row(f, &t.h[i].g, model);
		if (rows > t.n)
			fprintf(f, "... %zu more rows in report.csv\n", rows - t.n);
	}
	arena_free(&t.copies);
	free(t.h);
	const struct unmo_attr_stats *s = &a->st;
	fprintf(f, "events read %llu, unreadable %llu%s (corrupt blocks %llu, files failed %llu), duplicates %llu, "
		"zeroed device ids %llu; "
		"installs %llu, reattributions %llu, reinstalls %llu, conversions %llu (unattributed %llu)\n",
		(unsigned long long)s->events_read, (unsigned long long)s->events_unreadable,
		s->blocks_uncounted ? " or more" : "",
		(unsigned long long)s->blocks_corrupt, (unsigned long long)s->files_failed,
		(unsigned long long)s->duplicates, (unsigned long long)s->device_ids_zeroed,
		(unsigned long long)s->installs,
		(unsigned long long)s->reattributions, (unsigned long long)s->reinstalls,
		(unsigned long long)s->conversions, (unsigned long long)s->conversions_unattributed);
}
