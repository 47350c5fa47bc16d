/* fuzz_attr_engine.c — libFuzzer target: the attribution engine on events
 * built from the input, with values chosen from each field's edges (times
 * at both ends of int64 and of UNMO_ATTR_TIME_LIMIT, windows from 0 to
 * 2^62, revenue of +-2^63, zero and shared ids, zeroed and UUID keys,
 * reserved row names, IPv4-mapped addresses). Oracles: no crash, no
 * undefined behaviour (ASan/UBSan), and the sums the spec makes exact
 * (docs/attribution.md sections 8 and 11): every model's credits add up to
 * one unit per counted install and per conversion, and its revenue to the
 * last-touch revenue, currency by currency; the report rows add up to the
 * run's counts. Every output is written too (a temp dir, kept for the
 * process; /dev/null for the table). Input: byte 0-3 options, then 12
 * bytes an event. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"

#define DAY (86400ll * 1000000)
#define T0 (1767225600ll * 1000000) /* 2026-01-01 */
#define LIM UNMO_ATTR_TIME_LIMIT

static const int64_t times[16] = {INT64_MIN, -LIM, -LIM + 1, -1, 0, 1, T0, T0 + 1, T0 + 10, T0 + DAY,
				  T0 + 7 * DAY, T0 + 90 * DAY, LIM - 2, LIM - 1, LIM, INT64_MAX};
static const int64_t money[8] = {0, 1, -1, 4990000, INT64_MIN, INT64_MAX, INT64_MIN + 1, 7};
static const char *const devs[8] = {NULL, "d1", "d2", "00000000-0000-0000-0000-000000000000",
				    "8A0C6F2E-1B3D-4E5F-8A9B-0C1D2E3F4A5B", "8a0c6f2e-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
				    "-0-", "d1"};
static const char *const names[8] = {"", "m", "organic", "(none)", "net\"a,b", "c", "\xe5\xba\x83", "m"};
static const char *const uas[4] = {NULL, "Mozilla (Linux; Android 14)", "MyApp/1 CFNetwork Darwin/23.0", "x"};
static const char *const windows[8] = {"0", "1", "10s", "1d", "7d", "90d", "4611686018427387904", "30d"};
static const char *const keys[9] = {"click_lookback", "view_lookback", "prob_window", "reattribution",
				    "reengagement", "retarget_click", "half_life", "fast_ctit", "flood_window"};

/* sum[k] += sign * micros of currency cur[k], over m[0..n); new currencies appended. */
static void add_money(unmo_attr_micros_sum *sum, char cur[][4], size_t *ncur, const struct unmo_attr_money *m,
		      uint32_t n, int sign)
{
	for (uint32_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < *ncur && memcmp(cur[k], m[i].currency, 4))
			k++;
		if (k == *ncur) {
			if (*ncur == 8)
				abort(); /* at most three currencies are made */
			memcpy(cur[k], m[i].currency, 4);
			sum[k] = 0;
			(*ncur)++;
		}
		sum[k] += sign * m[i].micros;
	}
}

static char outdir[] = "/tmp/fuzz_attr_engineXXXXXX";

static void remove_outdir(void)
{
	static const char *const files[] = {"installs.csv", "conversions.csv", "report.csv", "report.json", "models.csv"};
	char p[sizeof outdir + 32];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", outdir, files[i]);
		unlink(p);
	}
	rmdir(outdir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || size > 4 + 12 * 64)
		return 0;
	char err[256], kv[64];
	struct unmo_attr_config *c = unmo_attr_config_new();
	if (!c)
		return 0;
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) { /* refused values (half_life=0) keep the default */
		snprintf(kv, sizeof kv, "%s=%s", keys[k], windows[(data[k % 4] >> (k % 3)) & 7]);
		(void)unmo_attr_config_set(c, NULL, kv, err, sizeof err);
	}
	unmo_attr_config_set(c, NULL, data[3] & 1 ? "view_through=off" : "view_through=on", err, sizeof err);
	unmo_attr_config_set(c, NULL, data[3] & 2 ? "flood_clicks=2" : "flood_clicks=50", err, sizeof err);
	struct unmo_attr_opts o = {.config = c, .threads = 1 + (data[0] & 1), .partitions = 1 + (data[1] & 3),
				   .keep_conversions = true};
	struct unmo_attr *a = unmo_attr_new(&o, err, sizeof err);
	if (!a) {
		unmo_attr_config_free(c);
		return 0;
	}
	bool repeated = false;
	for (size_t off = 4; off + 12 <= size; off += 12) {
		const uint8_t *b = data + off;
		struct unmo_event e;
		unmo_event_clear(&e);
		e.type = (uint8_t)(1 + b[0] % 7);
		e.flags = b[0] & 0x80 ? UNMO_EVF_RETARGETING : 0;
		/* an edge, or up to 7 us either side of it */
		if (__builtin_add_overflow(times[b[1] & 15], (int64_t)(b[1] >> 4) - 8, &e.event_time_us))
			e.event_time_us = times[b[1] & 15];
		e.recv_time_us = times[b[2] & 15];
		e.event_id[15] = b[3] & 7; /* 0: no event id; few ids, so copies */
		e.sender_id = b[3] >> 6;
		e.sequence = b[4] & 3;
		e.revenue_micros = money[b[4] >> 5];
		if (b[4] & 0x10)
			memcpy(e.currency, b[4] & 0x08 ? "USD" : "EUR", 3);
		e.s[UNMO_S_APP_ID] = unmo_str_c(b[5] & 1 ? "app.b" : "app.a");
		if (devs[b[5] >> 5])
			e.s[UNMO_S_ADVERTISING_ID] = unmo_str_c(devs[b[5] >> 5]);
		if (b[5] & 2)
			e.s[UNMO_S_VENDOR_ID] = unmo_str_c(b[5] & 4 ? "v1" : "0000");
		if (b[5] & 8)
			e.s[UNMO_S_CUSTOMER_USER_ID] = unmo_str_c("u1");
		e.s[UNMO_S_MEDIA_SOURCE] = unmo_str_c(names[b[6] & 7]);
		e.s[UNMO_S_CAMPAIGN] = unmo_str_c(names[(b[6] >> 3) & 7]);
		if (b[6] & 0x40)
			e.s[UNMO_S_MEDIA_SOURCE] = (struct unmo_str){"x\0y", 3}; /* a NUL inside a name */
		if (b[7] & 3) {
			e.ip_version = b[7] & 4 ? 6 : 4;
			if (e.ip_version == 6) { /* ::ffff:10.0.0.x, the same address as 10.0.0.x */
				e.ip[10] = e.ip[11] = 0xff;
				e.ip[12] = 10;
				e.ip[15] = b[7] & 3;
			} else {
				e.ip[0] = 10;
				e.ip[3] = b[7] & 3;
			}
		}
		if (uas[b[7] >> 6])
			e.s[UNMO_S_USER_AGENT] = unmo_str_c(uas[b[7] >> 6]);
		if (e.type == UNMO_EV_CONVERSION)
			e.s[UNMO_S_EVENT_NAME] = unmo_str_c(b[8] & 1 ? "purchase" : "");
		/* once an input, a run of the same event: a device with thousands of touches */
		unsigned repeat = b[9] == 0xff && !repeated ? 1000 : 1;
		repeated |= repeat > 1;
		for (unsigned r = 0; r < repeat; r++) {
			if (repeat > 1) {
				e.event_id[14] = (uint8_t)(r >> 8);
				e.event_id[13] = (uint8_t)r;
				e.event_time_us = T0 - (int64_t)r * 1000;
			}
			if (unmo_attr_add_event(a, &e, err, sizeof err))
				abort(); /* only temp file errors fail here */
		}
	}
	if (unmo_attr_finish(a, err, sizeof err))
		abort();
	const struct unmo_attr_stats *st = unmo_attr_stats(a);
	size_t n;
	const struct unmo_attr_agg *g = unmo_attr_aggs(a, &n);
	uint64_t installs = 0, counted = 0, conversions = 0;
	unmo_attr_micros_sum sum[8] = {0};
	char cur[8][4];
	size_t ncur = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t new_installs = g[i].installs_click + g[i].installs_prob + g[i].installs_view + g[i].installs_organic;
		installs += new_installs;
		counted += new_installs + g[i].reattributions;
		conversions += g[i].conversions;
		add_money(sum, cur, &ncur, g[i].revenue, g[i].nrevenue, 1);
	}
	if (installs != st->installs || conversions != st->conversions)
		abort();
	for (int m = 0; m < UNMO_MODEL_COUNT; m++) {
		int64_t ci = 0, cc = 0;
		unmo_attr_micros_sum msum[8];
		memcpy(msum, sum, sizeof sum);
		for (size_t i = 0; i < n; i++) {
			ci += g[i].model_installs[m];
			cc += g[i].model_conversions[m];
			add_money(msum, cur, &ncur, g[i].model_revenue[m], g[i].nrevenue, -1);
		}
		if (ci != (int64_t)counted * UNMO_CREDIT_UNIT || cc != (int64_t)conversions * UNMO_CREDIT_UNIT)
			abort(); /* credits must sum to exactly one per install and conversion */
		for (size_t k = 0; k < ncur; k++)
			if (msum[k] != 0)
				abort(); /* the model's revenue must equal last touch's, per currency */
	}
	/* and every output of the run: CSV and JSON writers, the terminal table */
	static FILE *devnull;
	if (!devnull && (!mkdtemp(outdir) || !(devnull = fopen("/dev/null", "w")) || atexit(remove_outdir)))
		abort();
	if (unmo_attr_write_outputs(a, outdir, err, sizeof err))
		abort();
	unmo_attr_print_table(a, devnull, data[2] % (UNMO_MODEL_COUNT + 1) - 1, 50);
	unmo_attr_free(a);
	unmo_attr_config_free(c);
	return 0;
}
