/* bench_http.c — HTTP-lite throughput per core, "from datagram to typed
 * events": each iteration copies a datagram into a scratch buffer (the JSON
 * reader unescapes in place, as the RX path does in its mbuf), parses the
 * request and iterates every event into struct unmo_event.
 *
 * Datagrams are prepared in memory first: a mix of single-event requests and
 * batches of 5..50 events with realistic values (UUID event ids, device ids,
 * campaign names, ~100-byte user agents, revenue). The same run measures a
 * ceiling: plain memcpy of the same bytes. With --dump-bodies FILE the JSON
 * bodies are written one per line so perf/bench_simdjson can parse the same
 * bytes (perf/bench_http.sh runs both and prints the ratio).
 *
 * usage: bench_http [--seconds S] [--datagrams N] [--seed X] [--dump-bodies FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_lite.h"
#include "json_event.h"
#include "bench_clock.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static const char *pick(const char *const *v, size_t n) { return v[rnd() % n]; }
#define PICK(a) pick(a, sizeof a / sizeof *a)

/* Thread CPU time: the machine is shared, and "per core" means per second
 * of CPU this thread actually got (wall time would count preemption). */
/* String storage for the generated events (they are views). */
static char arena[1 << 24];
static size_t arena_used;
static struct unmo_str keep(const char *s, size_t n)
{
	if (arena_used + n > sizeof arena) {
		fprintf(stderr, "arena full\n");
		exit(1);
	}
	memcpy(arena + arena_used, s, n);
	struct unmo_str r = {arena + arena_used, (uint16_t)n};
	arena_used += n;
	return r;
}
static struct unmo_str keepc(const char *s) { return keep(s, strlen(s)); }

static void uuid(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 36; i++)
		out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[rnd() % 16];
	out[14] = '4';
	out[36] = 0;
}

static void random_event(struct unmo_event *e)
{
	static const char *const apps[] = {"com.techstart.mobile", "com.ecomgrowth.shop", "com.financetrack.pro"};
	static const char *const sources[] = {"googleadwords_int", "Facebook Ads", "unityads_int", "applovin_int",
					      "tiktokglobal_int", "ironsource_int", "Apple Search Ads", "snapchat_int"};
	static const char *const campaigns[] = {"summer_sale_2026_us_ios", "retarget_cart_abandoners_q3",
						"brand_awareness_eu_android", "install_boost_latam_v2",
						"black_friday_premium_users", "ua_lookalike_1pct_de"};
	static const char *const uas[] = {
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 Chrome/119.0.6045.163",
		"Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Pro Build/TQ3A.230901.001) TechStartSDK/6.12.1 (okhttp/4.12)",
		"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari"};
	static const char *const names[] = {"purchase", "add_to_cart", "level_complete", "subscribe", "af_login"};
	static const char *const cur[] = {"USD", "EUR", "GBP", "JPY", "BRL"};
	static const char *const ctry[] = {"US", "DE", "GB", "JP", "BR", "FR", "IN"};
	char tmp[64];
	unmo_event_clear(e);
	for (int i = 0; i < 16; i++)
		e->event_id[i] = (uint8_t)rnd();
	unsigned r = (unsigned)(rnd() % 100);
	e->type = r < 45 ? UNMO_EV_IMPRESSION : r < 83 ? UNMO_EV_CLICK : r < 91 ? UNMO_EV_INSTALL
		: r < 92 ? UNMO_EV_REINSTALL : r < 98 ? UNMO_EV_CONVERSION : UNMO_EV_SESSION;
	e->platform = (uint8_t)(rnd() % 2 ? UNMO_PLAT_IOS : UNMO_PLAT_ANDROID);
	e->flags = rnd() % 10 == 0 ? UNMO_EVF_RETARGETING : 0;
	e->event_time_us = 1763900000000000ll + (int64_t)(rnd() % 86400000000ull);
	e->s[UNMO_S_APP_ID] = keepc(PICK(apps));
	uuid(tmp);
	e->s[UNMO_S_ADVERTISING_ID] = keepc(tmp);
	e->s[UNMO_S_MEDIA_SOURCE] = keepc(PICK(sources));
	e->s[UNMO_S_CAMPAIGN] = keepc(PICK(campaigns));
	snprintf(tmp, sizeof tmp, "adset_%u", (unsigned)(rnd() % 500));
	e->s[UNMO_S_ADSET] = keepc(tmp);
	e->s[UNMO_S_USER_AGENT] = keepc(PICK(uas));
	e->s[UNMO_S_SDK_VERSION] = keepc("6.12.1");
	e->ip_version = 4;
	for (int i = 0; i < 4; i++)
		e->ip[i] = (uint8_t)(1 + rnd() % 250);
	memcpy(e->country, PICK(ctry), 2);
	if (unmo_event_is_touch(e)) {
		snprintf(tmp, sizeof tmp, "site_%u", (unsigned)(rnd() % 10000));
		e->s[UNMO_S_SITE_ID] = keepc(tmp);
		uuid(tmp);
		e->s[UNMO_S_CLICK_ID] = keepc(tmp);
		if (rnd() % 2)
			e->s[UNMO_S_SUB1] = keepc("creative_video_15s");
	} else {
		uuid(tmp);
		e->s[UNMO_S_VENDOR_ID] = keepc(tmp);
		snprintf(tmp, sizeof tmp, "user_%llu", (unsigned long long)(rnd() % 100000000));
		e->s[UNMO_S_CUSTOMER_USER_ID] = keepc(tmp);
		snprintf(tmp, sizeof tmp, "%u.%u.%u", 1 + (unsigned)(rnd() % 5), (unsigned)(rnd() % 20), (unsigned)(rnd() % 100));
		e->s[UNMO_S_APP_VERSION] = keepc(tmp);
	}
	if (e->type == UNMO_EV_CONVERSION) {
		e->s[UNMO_S_EVENT_NAME] = keepc(PICK(names));
		e->revenue_micros = (int64_t)(rnd() % 200000000);
		memcpy(e->currency, PICK(cur), 3);
	}
}

struct dgram {
	char *bytes;
	size_t len, body_off, body_len;
};

static size_t build_datagram(char *dst, size_t cap, bool batch, unsigned events, size_t *body_off)
{
	static char body[UNMO_HTTP_MAX_BODY];
	size_t bl = 0;
	if (batch)
		bl += (size_t)sprintf(body, "{\"events\":[");
	for (unsigned i = 0; i < events; i++) {
		struct unmo_event e;
		random_event(&e);
		if (batch && i)
			body[bl++] = ',';
		size_t w = unmo_json_event_write(body + bl, sizeof body - bl - 2, &e);
		if (!w)
			return 0;
		bl += w;
	}
	if (batch) {
		body[bl++] = ']';
		body[bl++] = '}';
	}
	int hl = snprintf(dst, cap,
			  "POST %s HTTP/1.1\r\nHost: ingest.unmogrowp.example\r\nX-API-Key: uk_live_8f3a9c2e71d04b5a\r\n"
			  "X-Unmo-Reply: 1\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			  batch ? "/v1/events/batch" : "/v1/events", bl);
	if ((size_t)hl + bl > cap)
		return 0;
	memcpy(dst + hl, body, bl);
	*body_off = (size_t)hl;
	return (size_t)hl + bl;
}

int main(int argc, char **argv)
{
	double seconds = 2.0;
	unsigned ndgrams = 4000;
	const char *dump = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--datagrams") && i + 1 < argc)
			ndgrams = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0) | 1;
		else if (!strcmp(argv[i], "--dump-bodies") && i + 1 < argc)
			dump = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--datagrams N] [--seed X] [--dump-bodies FILE]\n", argv[0]);
			return 2;
		}
	}
	struct dgram *d = calloc(ndgrams, sizeof *d);
	size_t total = 0, body_total = 0, max_len = 0, events_total = 0, singles = 0;
	static char tmp[UNMO_HTTP_MAX_BODY + 1024];
	for (unsigned i = 0; i < ndgrams; i++) {
		bool batch = rnd() % 2;
		unsigned events = batch ? 5 + (unsigned)(rnd() % 46) : 1;
		singles += !batch;
		size_t n = build_datagram(tmp, sizeof tmp, batch, events, &d[i].body_off);
		if (!n) {
			fprintf(stderr, "datagram too large\n");
			return 1;
		}
		d[i].bytes = malloc(n);
		memcpy(d[i].bytes, tmp, n);
		d[i].len = n;
		d[i].body_len = n - d[i].body_off;
		total += n;
		body_total += d[i].body_len;
		events_total += events;
		if (n > max_len)
			max_len = n;
	}
	if (dump) {
		FILE *f = fopen(dump, "w");
		if (!f) {
			perror(dump);
			return 1;
		}
		for (unsigned i = 0; i < ndgrams; i++) {
			fwrite(d[i].bytes + d[i].body_off, 1, d[i].body_len, f);
			fputc('\n', f);
		}
		fclose(f);
	}
	char *scratch = malloc(max_len);

	/* Verify once (and warm up): every datagram parses into its events. */
	size_t seen = 0;
	for (unsigned i = 0; i < ndgrams; i++) {
		memcpy(scratch, d[i].bytes, d[i].len);
		struct unmo_http_req r;
		int st;
		const char *why = unmo_http_parse(scratch, d[i].len, &r, &st);
		size_t state = 0;
		bool done = false;
		struct unmo_event e;
		while (!why && !done)
			if (!(why = unmo_http_next_event(&r, &state, &e, &done, &st)) && !done)
				seen++;
		if (why) {
			fprintf(stderr, "datagram %u rejected: %s\n", i, why);
			return 1;
		}
	}
	if (seen != events_total) {
		fprintf(stderr, "event count mismatch %zu != %zu\n", seen, events_total);
		return 1;
	}

	/* Ceiling: the copy alone. */
	uint64_t sink = 0;
	size_t copy_rounds = 0;
	double t0 = bench_cpu_s(), t;
	do {
		for (unsigned i = 0; i < ndgrams; i++) {
			memcpy(scratch, d[i].bytes, d[i].len);
			sink += (unsigned char)scratch[d[i].len - 1];
		}
		copy_rounds++;
	} while ((t = bench_cpu_s()) - t0 < seconds * 0.25);
	double copy_s = (t - t0) / (double)copy_rounds; /* per round */

	/* The measured path: copy + parse + every event typed. */
	size_t rounds = 0, events = 0;
	t0 = bench_cpu_s();
	do {
		for (unsigned i = 0; i < ndgrams; i++) {
			memcpy(scratch, d[i].bytes, d[i].len);
			struct unmo_http_req r;
			int st;
			if (unmo_http_parse(scratch, d[i].len, &r, &st))
				abort();
			size_t state = 0;
			bool done = false;
			struct unmo_event e;
			for (;;) {
				if (unmo_http_next_event(&r, &state, &e, &done, &st))
					abort();
				if (done)
					break;
				events++;
				sink += e.type + e.s[UNMO_S_USER_AGENT].len + (uint64_t)e.event_time_us;
			}
		}
		rounds++;
	} while ((t = bench_cpu_s()) - t0 < seconds);
	double per_round = (t - t0) / (double)rounds;
	double mbps = (double)total / per_round / 1e6;
	double body_mbps = (double)body_total / per_round / 1e6;
	double eps = (double)events / (t - t0);
	double copy_mbps = (double)total / copy_s / 1e6;
	double parse_only = per_round - copy_s;

	printf("bench_http: %u datagrams (%zu single, batches of 5..50), %zu events, %.2f MB datagrams "
	       "(%.2f MB JSON bodies), avg %.0f B/event, %zu rounds in %.2f CPU-s, one thread\n",
	       ndgrams, singles, events_total,
	       total / 1e6, body_total / 1e6, (double)body_total / (double)events_total, rounds, t - t0);
	printf("  datagram -> typed events: %8.1f MB/s of datagrams, %8.1f MB/s of JSON body, %10.0f events/s\n",
	       mbps, body_mbps, eps);
	printf("  copy share (memcpy into scratch): %.1f%% of the time; parse alone: %.1f MB/s of datagrams\n",
	       100.0 * copy_s / per_round, (double)total / parse_only / 1e6);
	printf("  ceiling (memcpy of the same bytes): %.1f MB/s -> ratio %.3f\n", copy_mbps, mbps / copy_mbps);
	printf("RESULT datagram_MBps=%.1f body_MBps=%.1f events_per_s=%.0f copy_share=%.3f sink=%llu\n", mbps,
	       body_mbps, eps, copy_s / per_round, (unsigned long long)(sink & 1));
	for (unsigned i = 0; i < ndgrams; i++)
		free(d[i].bytes);
	free(d);
	free(scratch);
	return 0;
}
