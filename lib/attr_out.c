/* attr_out.c — the outputs of a run: report.csv, report.json, installs.csv,
 * models.csv, conversions.csv and the terminal table (docs/attribution.md,
 * "Outputs"). Money is printed as integer micros, credits as decimals with
 * six places computed from integers: nothing goes through floating point. */
#include "attr_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* Fixed-point with 6 decimals from an integer (credits, micros). */
static void fixed6(FILE *f, int64_t v)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	fprintf(f, "%s%llu.%06llu", v < 0 ? "-" : "", (unsigned long long)(m / 1000000),
		(unsigned long long)(m % 1000000));
}

/* YYYY-MM-DD of a UTC time. Years 1970..9999 by arithmetic (days to civil
 * date, H. Hinnant's algorithm: gmtime_r + strftime cost more than the rest
 * of an install row); other times through the C library. */
static void utc_day(int64_t us, char out[11])
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
	time_t s = (time_t)(us >= 0 ? us / UNMO_US_PER_S : (us - (UNMO_US_PER_S - 1)) / UNMO_US_PER_S);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void money_list(FILE *f, const struct unmo_attr_money *m, uint32_t n)
{
	bool first = true;
	for (uint32_t i = 0; i < n; i++) {
		if (!m[i].micros)
			continue;
		fprintf(f, "%s%s:%lld", first ? "" : " ", m[i].currency, (long long)m[i].micros);
		first = false;
	}
}

static const char *flags_of(const struct unmo_attr_agg *g)
{
	if (g->fast_ctit && g->flood_devices)
		return "fast_ctit|click_flood";
	if (g->fast_ctit)
		return "fast_ctit";
	return g->flood_devices ? "click_flood" : "";
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t cap, char *err, size_t errlen)
{
	snprintf(path, cap, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int close_out(FILE *f, const char *path, char *err, size_t errlen)
{
	bool bad = ferror(f);
	if (fclose(f) || bad) {
		snprintf(err, errlen, "%s: write error", path);
		return -1;
	}
	return 0;
}

/* Decimal integer without printf (the installs file has millions of them). */
static void put_i64(FILE *f, int64_t v)
{
	char b[24];
	int i = 24;
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		b[--i] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		b[--i] = '-';
	fwrite(b + i, 1, (size_t)(24 - i), f);
}

static void put_s(FILE *f, const char *s)
{
	fputs(s, f);
}

static void touch_cols(FILE *f, const struct unmo_attr_touch *t)
{
	char hex[33];
	if (t->type) {
		unmo_attr_id_hex(t->event_id, hex);
		fputs(hex, f);
		putc(',', f);
		fputs(unmo_event_type_names[t->type], f);
		putc(',', f);
	} else {
		fputs(",,", f);
	}
	csv_str(f, t->media_source);
	fputc(',', f);
	csv_str(f, t->campaign);
	if (t->type) {
		putc(',', f);
		put_i64(f, t->time_us);
		fputs(t->retargeting ? ",1" : ",0", f);
	} else {
		fputs(",,0", f);
	}
}

static int write_installs(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	char path[4200], hex[33], day[11];
	FILE *f = open_out(dir, "installs.csv", path, sizeof path, err, errlen);
	if (!f)
		return -1;
	fputs("install_event_id,app_id,install_type,install_time_us,match,touch_event_id,touch_type,"
	      "media_source,campaign,touch_time_us,retargeting,outcome,install_day,device_key,"
	      "click_to_install_us,fraud\n", f);
	for (size_t i = 0; i < a->nins; i++) {
		const struct unmo_attr_install *r = &a->ins[i];
		unmo_attr_id_hex(r->event_id, hex);
		put_s(f, hex);
		putc(',', f);
		csv_str(f, r->app_id);
		putc(',', f);
		put_s(f, unmo_event_type_names[r->install_type]);
		putc(',', f);
		put_i64(f, r->time_us);
		/* match in the ground truth's vocabulary (docs/attribution.md) */
		const char *match = r->outcome == UNMO_OUT_REINSTALL ? "original"
				    : r->match == UNMO_MATCH_ORGANIC  ? "organic"
				    : r->match == UNMO_MATCH_PROB_CLICK ? "probabilistic"
									: "deterministic";
		putc(',', f);
		put_s(f, match);
		putc(',', f);
		touch_cols(f, &r->touch);
		utc_day(r->time_us, day);
		putc(',', f);
		put_s(f, unmo_attr_outcome_names[r->outcome]);
		putc(',', f);
		put_s(f, day);
		putc(',', f);
		put_s(f, unmo_attr_key_kind_names[r->key_kind]);
		putc(',', f);
		if (r->ctit_us >= 0)
			put_i64(f, r->ctit_us);
		putc(',', f);
		put_s(f, r->fast_ctit ? "fast_ctit\n" : "\n");
	}
	return close_out(f, path, err, errlen);
}

static int write_conversions(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	static const char *const via[3] = {"none", "install", "reengagement"};
	char path[4200], hex[33];
	FILE *f = open_out(dir, "conversions.csv", path, sizeof path, err, errlen);
	if (!f)
		return -1;
	fputs("event_id,app_id,event_name,time_us,revenue_micros,currency,via,touch_event_id,touch_type,"
	      "media_source,campaign,touch_time_us,retargeting\n", f);
	for (size_t i = 0; i < a->nconv; i++) {
		const struct unmo_attr_conversion *r = &a->conv[i];
		unmo_attr_id_hex(r->event_id, hex);
		fprintf(f, "%s,", hex);
		csv_str(f, r->app_id);
		fputc(',', f);
		csv_str(f, r->event_name);
		fprintf(f, ",%lld,%lld,%s,%s,", (long long)r->time_us, (long long)r->revenue_micros,
			r->currency, via[r->via]);
		touch_cols(f, &r->touch);
		fputc('\n', f);
	}
	return close_out(f, path, err, errlen);
}

static int write_report_csv(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	char path[4200];
	FILE *f = open_out(dir, "report.csv", path, sizeof path, err, errlen);
	if (!f)
		return -1;
	fputs("app_id,media_source,campaign,impressions,clicks,installs,installs_click,installs_prob,"
	      "installs_view,installs_organic,reattributions,reinstalls,reengagements,conversions,"
	      "revenue_micros,median_ctit_us,fast_ctit_installs,click_flood_devices,fraud_flags\n", f);
	for (size_t i = 0; i < a->naggs; i++) {
		const struct unmo_attr_agg *g = &a->aggs[i];
		csv_str(f, g->app_id);
		fputc(',', f);
		csv_str(f, g->media_source);
		fputc(',', f);
		csv_str(f, g->campaign);
		fprintf(f, ",%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,",
			(unsigned long long)g->impressions, (unsigned long long)g->clicks,
			(unsigned long long)(g->installs_click + g->installs_prob + g->installs_view +
					     g->installs_organic),
			(unsigned long long)g->installs_click, (unsigned long long)g->installs_prob,
			(unsigned long long)g->installs_view, (unsigned long long)g->installs_organic,
			(unsigned long long)g->reattributions, (unsigned long long)g->reinstalls,
			(unsigned long long)g->reengagements, (unsigned long long)g->conversions);
		money_list(f, g->revenue, g->nrevenue);
		fputc(',', f);
		if (g->median_ctit_us >= 0)
			fprintf(f, "%lld", (long long)g->median_ctit_us);
		fprintf(f, ",%llu,%llu,%s\n", (unsigned long long)g->fast_ctit,
			(unsigned long long)g->flood_devices, flags_of(g));
	}
	return close_out(f, path, err, errlen);
}

static int write_models_csv(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	char path[4200];
	FILE *f = open_out(dir, "models.csv", path, sizeof path, err, errlen);
	if (!f)
		return -1;
	fputs("app_id,media_source,campaign", f);
	for (int m = 0; m < UNMO_MODEL_COUNT; m++)
		fprintf(f, ",%s_installs,%s_conversions,%s_revenue_micros", unmo_attr_model_names[m],
			unmo_attr_model_names[m], unmo_attr_model_names[m]);
	fputc('\n', f);
	for (size_t i = 0; i < a->naggs; i++) {
		const struct unmo_attr_agg *g = &a->aggs[i];
		csv_str(f, g->app_id);
		fputc(',', f);
		csv_str(f, g->media_source);
		fputc(',', f);
		csv_str(f, g->campaign);
		for (int m = 0; m < UNMO_MODEL_COUNT; m++) {
			fputc(',', f);
			fixed6(f, g->model_installs[m]);
			fputc(',', f);
			fixed6(f, g->model_conversions[m]);
			fputc(',', f);
			money_list(f, g->model_revenue[m], g->nrevenue);
		}
		fputc('\n', f);
	}
	return close_out(f, path, err, errlen);
}

static void json_money(FILE *f, const struct unmo_attr_money *m, uint32_t n)
{
	fputc('{', f);
	bool first = true;
	for (uint32_t i = 0; i < n; i++) {
		if (!m[i].micros)
			continue;
		fprintf(f, "%s\"%s\":%lld", first ? "" : ",", m[i].currency, (long long)m[i].micros);
		first = false;
	}
	fputc('}', f);
}

static int write_report_json(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	char path[4200];
	FILE *f = open_out(dir, "report.json", path, sizeof path, err, errlen);
	if (!f)
		return -1;
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
		"\"blocks_corrupt\":%llu,\"events_read\":%llu,\"events_unreadable\":%llu,"
		"\"events_filtered\":%llu,\"duplicates\":%llu,\"partitions\":%u,\"spilled_bytes\":%llu},\n",
		(unsigned long long)s->files, (unsigned long long)s->files_failed,
		(unsigned long long)s->blocks, (unsigned long long)s->blocks_corrupt,
		(unsigned long long)s->events_read, (unsigned long long)s->events_unreadable,
		(unsigned long long)s->events_filtered, (unsigned long long)s->duplicates, s->partitions,
		(unsigned long long)s->spilled_bytes);
	fprintf(f, "\"totals\":{\"installs\":%llu,\"reattributions\":%llu,\"reinstalls\":%llu,"
		"\"reengagements\":%llu,\"conversions\":%llu,\"conversions_unattributed\":%llu},\n",
		(unsigned long long)s->installs, (unsigned long long)s->reattributions,
		(unsigned long long)s->reinstalls, (unsigned long long)s->reengagements,
		(unsigned long long)s->conversions, (unsigned long long)s->conversions_unattributed);
	fputs("\"rows\":[", f);
	for (size_t i = 0; i < a->naggs; i++) {
		const struct unmo_attr_agg *g = &a->aggs[i];
		fputs(i ? ",\n{" : "\n{", f);
		fputs("\"app_id\":", f);
		json_str(f, g->app_id);
		fputs(",\"media_source\":", f);
		json_str(f, g->media_source);
		fputs(",\"campaign\":", f);
		json_str(f, g->campaign);
		fprintf(f, ",\"impressions\":%llu,\"clicks\":%llu,\"installs\":{\"click\":%llu,"
			"\"prob_click\":%llu,\"impression\":%llu,\"organic\":%llu},\"reattributions\":%llu,"
			"\"reinstalls\":%llu,\"reengagements\":%llu,\"conversions\":%llu,\"revenue_micros\":",
			(unsigned long long)g->impressions, (unsigned long long)g->clicks,
			(unsigned long long)g->installs_click, (unsigned long long)g->installs_prob,
			(unsigned long long)g->installs_view, (unsigned long long)g->installs_organic,
			(unsigned long long)g->reattributions, (unsigned long long)g->reinstalls,
			(unsigned long long)g->reengagements, (unsigned long long)g->conversions);
		json_money(f, g->revenue, g->nrevenue);
		fputs(",\"median_ctit_us\":", f);
		if (g->median_ctit_us >= 0)
			fprintf(f, "%lld", (long long)g->median_ctit_us);
		else
			fputs("null", f);
		fprintf(f, ",\"fraud\":{\"fast_ctit_installs\":%llu,\"click_flood_devices\":%llu},\"models\":{",
			(unsigned long long)g->fast_ctit, (unsigned long long)g->flood_devices);
		for (int m = 0; m < UNMO_MODEL_COUNT; m++) {
			fprintf(f, "%s\"%s\":{\"installs_credit\":%lld,\"conversions_credit\":%lld,\"revenue_micros\":",
				m ? "," : "", unmo_attr_model_names[m], (long long)g->model_installs[m],
				(long long)g->model_conversions[m]);
			json_money(f, g->model_revenue[m], g->nrevenue);
			fputc('}', f);
		}
		fputs("}}", f);
	}
	fputs("\n]}\n", f);
	return close_out(f, path, err, errlen);
}

int unmo_attr_write_outputs(const struct unmo_attr *a, const char *dir, char *err, size_t errlen)
{
	if (write_report_csv(a, dir, err, errlen) || write_report_json(a, dir, err, errlen) ||
	    write_installs(a, dir, err, errlen) || write_models_csv(a, dir, err, errlen))
		return -1;
	if (a->o.keep_conversions && write_conversions(a, dir, err, errlen))
		return -1;
	return 0;
}

static void trunc_copy(char *dst, const char *s, size_t w)
{
	size_t n = strlen(s);
	if (n <= w) {
		memcpy(dst, s, n + 1);
		return;
	}
	memcpy(dst, s, w - 1);
	dst[w - 1] = '~';
	dst[w] = 0;
}

/* Money for people: "USD 33217.96" — exact (integer arithmetic), trailing
 * zeros of the micros dropped but at least two decimals kept. */
static void money_human(FILE *f, const struct unmo_attr_money *m, uint32_t n)
{
	bool first = true;
	for (uint32_t i = 0; i < n; i++) {
		if (!m[i].micros)
			continue;
		int64_t v = m[i].micros;
		uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		unsigned frac = (unsigned)(mag % 1000000u), digits = 6;
		while (digits > 2 && frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		fprintf(f, "%s%s %s%llu.%0*u", first ? "" : " ", m[i].currency, v < 0 ? "-" : "",
			(unsigned long long)(mag / 1000000u), (int)digits, frac);
		first = false;
	}
}

/* Table order: most installs (attributed + organic) first, then most
 * conversions, then the report's own order — the busiest rows on top. */
static const struct unmo_attr_agg *table_aggs;
static int table_cmp(const void *pa, const void *pb)
{
	const struct unmo_attr_agg *a = &table_aggs[*(const size_t *)pa], *b = &table_aggs[*(const size_t *)pb];
	uint64_t ia = a->installs_click + a->installs_prob + a->installs_view + a->installs_organic;
	uint64_t ib = b->installs_click + b->installs_prob + b->installs_view + b->installs_organic;
	if (ia != ib)
		return ia < ib ? 1 : -1;
	if (a->conversions != b->conversions)
		return a->conversions < b->conversions ? 1 : -1;
	return (*(const size_t *)pa > *(const size_t *)pb) - (*(const size_t *)pa < *(const size_t *)pb);
}

void unmo_attr_print_table(const struct unmo_attr *a, FILE *f, int model, unsigned max_rows)
{
	size_t *order = malloc((a->naggs ? a->naggs : 1) * sizeof *order);
	if (!order) {
		fprintf(f, "(no memory for the table; see report.csv)\n");
		return;
	}
	for (size_t i = 0; i < a->naggs; i++)
		order[i] = i;
	table_aggs = a->aggs; /* the table is printed once, by the tool's main thread */
	qsort(order, a->naggs, sizeof *order, table_cmp);
	fprintf(f, "%-22s %-18s %-24s %9s %8s %8s %7s %8s %7s %8s %-8s %s\n", "app", "source", "campaign",
		"clicks", "installs", "organic", "reinst", "conv", "re-eng", "ctit_s", "flags",
		model >= 0 ? unmo_attr_model_names[model] : "revenue");
	unsigned shown = 0;
	for (size_t i = 0; i < a->naggs && shown < max_rows; i++, shown++) {
		const struct unmo_attr_agg *g = &a->aggs[order[i]];
		char app[23], src[19], camp[25];
		trunc_copy(app, g->app_id, 22);
		trunc_copy(src, g->media_source, 18);
		trunc_copy(camp, g->campaign, 24);
		unsigned long long inst = g->installs_click + g->installs_prob + g->installs_view;
		fprintf(f, "%-22s %-18s %-24s %9llu %8llu %8llu %7llu %8llu %7llu ", app, src, camp,
			(unsigned long long)g->clicks, inst, (unsigned long long)g->installs_organic,
			(unsigned long long)(g->reinstalls + g->reattributions), (unsigned long long)g->conversions,
			(unsigned long long)g->reengagements);
		if (g->median_ctit_us >= 0)
			fprintf(f, "%8lld ", (long long)(g->median_ctit_us / UNMO_US_PER_S));
		else
			fprintf(f, "%8s ", "-");
		fprintf(f, "%-8s ", g->fast_ctit || g->flood_devices ? (g->flood_devices ? "FLOOD" : "FASTCTIT") : "");
		if (model >= 0) {
			fputs("inst=", f);
			fixed6(f, g->model_installs[model]);
			fputs(" conv=", f);
			fixed6(f, g->model_conversions[model]);
			fputc(' ', f);
			money_human(f, g->model_revenue[model], g->nrevenue);
		} else {
			money_human(f, g->revenue, g->nrevenue);
		}
		fputc('\n', f);
	}
	free(order);
	if (a->naggs > shown)
		fprintf(f, "... %zu more rows in report.csv\n", a->naggs - shown);
	const struct unmo_attr_stats *s = &a->st;
	fprintf(f, "events read %llu, unreadable %llu (corrupt blocks %llu, files failed %llu), duplicates %llu; "
		"installs %llu, reattributions %llu, reinstalls %llu, conversions %llu (unattributed %llu)\n",
		(unsigned long long)s->events_read, (unsigned long long)s->events_unreadable,
		(unsigned long long)s->blocks_corrupt, (unsigned long long)s->files_failed,
		(unsigned long long)s->duplicates, (unsigned long long)s->installs,
		(unsigned long long)s->reattributions, (unsigned long long)s->reinstalls,
		(unsigned long long)s->conversions, (unsigned long long)s->conversions_unattributed);
}
