/* test_gen.c — traffic model, datagrams and packets: reproducibility, the
 * brief's event mix, journey order, the truth re-derived from the emitted
 * events, packet checksums recomputed independently, and the round trip
 * generator -> pcap -> frame/HTTP decoders -> records -> segment -> reader
 * == events.jsonl, with every malformed datagram refused for its reason. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "frame_bin.h"
#include "gen.h"
#include "gen_wire.h"
#include "http_lite.h"
#include "json_event.h"
#include "pkt.h"
#include "segment.h"
#include "tenant.h"

/* Loops assert through CHECK: under --full-stats every passing cr_assert is
 * reported to the runner, which makes tight loops slow. */
#define CHECK(cond, ...) do { if (!(cond)) cr_assert(cond, __VA_ARGS__); } while (0)

#define T0 1767571200000000ll /* 2026-01-05T00:00:00Z */

/* ---- a registry with the three profile apps (ecomgrowth: auth optional) ---- */
static struct unmo_tenants *make_registry(void)
{
	char buf[4096], err[256];
	size_t n = 0;
	for (int t = 0; t < UNMO_GEN_TENANTS; t++) {
		struct unmo_tenant tn;
		unmo_tenant_generate(&tn, unmo_gen_profiles[t].app_id, unmo_gen_profiles[t].name);
		tn.auth_required = t != UNMO_GEN_ECOMGROWTH;
		int k = unmo_tenant_format_line(&tn, buf + n, sizeof buf - n);
		cr_assert_gt(k, 0);
		n += (size_t)k;
	}
	struct unmo_tenants *reg = unmo_tenants_parse(buf, n, "test", err, sizeof err);
	cr_assert_not_null(reg, "%s", err);
	return reg;
}

static void wire_opts(struct unmo_wire_opts *wo, const struct unmo_tenants *reg, uint64_t seed,
		      uint64_t events, uint64_t malformed)
{
	memset(wo, 0, sizeof *wo);
	for (int t = 0; t < UNMO_GEN_TENANTS; t++) {
		const struct unmo_tenant *tn = unmo_tenants_by_app_id(reg, unmo_gen_profiles[t].app_id);
		cr_assert_not_null(tn);
		wo->tenant[t] = (struct unmo_wire_tenant){tn->app_id, tn->key_id, tn->prod_key, tn->secret,
							  tn->auth_required};
	}
	wo->seed = seed;
	wo->binary_share = 0.5;
	wo->host = "10.99.0.1:7100";
	wo->malformed = malformed;
	wo->events_hint = events;
	wo->ack = true;
	wo->reply = true;
}

/* ---- a run: generator -> datagrams -> pcap + jsonl + truth + malformed list ---- */
struct run {
	struct unmo_pcapw *pcap;
	struct unmo_pkt_addr addr;
	uint8_t frame[UNMO_PKT_FRAME_MAX];
	char *jsonl;
	size_t jsonl_len, jsonl_cap;
	crypto_generichash_state digest; /* datagrams + jsonl + truth, in order */
	uint64_t dgrams, bad_index[64];
	uint8_t bad_kind[64];
	unsigned nbad;
	uint64_t kinds[UNMO_WIRE_KINDS];
	size_t max_len;
};

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (!n)
		return;
	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		*buf = realloc(*buf, *cap);
		cr_assert_not_null(*buf);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
}

static int sink(void *ctx, const struct unmo_wire_dgram *d)
{
	struct run *r = ctx;
	CHECK(d->index == r->dgrams, "datagram indexes count from 0 in order");
	r->dgrams++;
	r->kinds[d->kind]++;
	if (d->len > r->max_len)
		r->max_len = d->len;
	crypto_generichash_update(&r->digest, d->payload, d->len);
	crypto_generichash_update(&r->digest, (const uint8_t *)d->jsonl, d->jsonl_len);
	append(&r->jsonl, &r->jsonl_len, &r->jsonl_cap, d->jsonl, d->jsonl_len);
	if (d->kind == UNMO_WIRE_MALFORMED && r->nbad < 64) {
		r->bad_index[r->nbad] = d->index;
		r->bad_kind[r->nbad++] = d->bad;
	}
	if (r->pcap) {
		r->addr.src_port = (uint16_t)(1024 + d->source % 60000);
		size_t n = unmo_pkt_build(r->frame, sizeof r->frame, &r->addr, (uint16_t)d->index, d->payload, d->len);
		CHECK(n > 0, "datagram fits a packet");
		char err[256];
		CHECK(unmo_pcapw_write(r->pcap, d->time_us, r->frame, n, err, sizeof err) == 0, "%s", err);
	}
	return 0;
}

struct shape {
	uint8_t ip_version;
	uint16_t vlan;
	double binary_share;
};
static const struct shape v4_shape = {4, 0, 0.5};

static void run_model_shaped(struct run *r, const struct unmo_tenants *reg, uint64_t seed, uint64_t events,
			     uint64_t malformed, const char *pcap_path, const struct shape *sh)
{
	char err[256];
	memset(r, 0, sizeof *r);
	crypto_generichash_init(&r->digest, NULL, 0, 32);
	r->addr.ip_version = sh->ip_version;
	r->addr.vlan = sh->vlan;
	memcpy(r->addr.dst_ip, "\x0a\x63\x00\x01\xfd\x00\x00\x99\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	memcpy(r->addr.src_ip, "\x0a\x62\x00\x07\xfd\x00\x00\x98\x00\x00\x00\x00\x00\x00\x00\x07", 16);
	memcpy(r->addr.dst_mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(r->addr.src_mac, "\x02\x00\x00\x00\x00\x02", 6);
	r->addr.dst_port = 7100;
	if (pcap_path) {
		r->pcap = unmo_pcapw_open(pcap_path, err, sizeof err);
		cr_assert_not_null(r->pcap, "%s", err);
	}
	struct unmo_gen_opts go = {.seed = seed, .events = events, .start_us = T0};
	struct unmo_gen *g = unmo_gen_new(&go, err, sizeof err);
	cr_assert_not_null(g, "%s", err);
	struct unmo_wire_opts wo;
	wire_opts(&wo, reg, seed, events, malformed);
	wo.binary_share = sh->binary_share;
	wo.max_payload = unmo_pkt_max_payload(sh->ip_version);
	struct unmo_wire *w = unmo_wire_new(&wo, sink, r, err, sizeof err);
	cr_assert_not_null(w, "%s", err);
	struct unmo_gen_item it;
	uint64_t n = 0;
	while (unmo_gen_next(g, &it)) {
		n++;
		if (it.has_truth) {
			char line[512];
			size_t k = unmo_gen_truth_format(&it.truth, line, sizeof line);
			CHECK(k > 0);
			crypto_generichash_update(&r->digest, (const uint8_t *)line, k);
		}
		CHECK(unmo_wire_add(w, &it) == 0, "event framed");
	}
	cr_assert_eq(n, events, "the stream has exactly the target count");
	cr_assert_eq(unmo_wire_finish(w), 0);
	unmo_wire_free(w);
	unmo_gen_free(g);
	if (r->pcap)
		cr_assert_eq(unmo_pcapw_close(r->pcap, err, sizeof err), 0, "%s", err);
	r->pcap = NULL;
}

static void run_model(struct run *r, const struct unmo_tenants *reg, uint64_t seed, uint64_t events,
		      uint64_t malformed, const char *pcap_path)
{
	run_model_shaped(r, reg, seed, events, malformed, pcap_path, &v4_shape);
}

Test(gen, same_seed_same_bytes_other_seed_differs)
{
	struct unmo_tenants *reg = make_registry();
	static struct run a, b, c;
	uint8_t da[32], db[32], dc[32];
	run_model(&a, reg, 42, 5000, 9, NULL);
	run_model(&b, reg, 42, 5000, 9, NULL);
	run_model(&c, reg, 43, 5000, 9, NULL);
	crypto_generichash_final(&a.digest, da, 32);
	crypto_generichash_final(&b.digest, db, 32);
	crypto_generichash_final(&c.digest, dc, 32);
	cr_expect(memcmp(da, db, 32) == 0, "same seed => identical datagrams, jsonl and truth");
	cr_expect(memcmp(da, dc, 32) != 0, "another seed => another stream");
	cr_expect_eq(a.jsonl_len, b.jsonl_len);
	cr_expect_eq(a.nbad, 9);
	for (int k = 0; k < UNMO_WIRE_KINDS; k++)
		cr_expect_gt(a.kinds[k], 0, "every datagram kind occurs (%s)", unmo_wire_kind_names[k]);
	cr_expect_leq(a.max_len, UNMO_PKT_MAX_PAYLOAD4, "every payload fits 1472 bytes");
	free(a.jsonl);
	free(b.jsonl);
	free(c.jsonl);
	unmo_tenants_free(reg);
}

Test(gen, event_mix_follows_the_profiles_on_100k_events, .timeout = 120)
{
	char err[256];
	struct unmo_gen_opts go = {.seed = 11, .events = 100000, .start_us = T0};
	struct unmo_gen *g = unmo_gen_new(&go, err, sizeof err);
	cr_assert_not_null(g, "%s", err);
	uint64_t n[UNMO_GEN_TENANTS][UNMO_EV_TYPE_COUNT] = {{0}}, total[UNMO_GEN_TENANTS] = {0};
	struct unmo_gen_item it;
	while (unmo_gen_next(g, &it))
		n[it.tenant][it.e->type]++;
	unmo_gen_free(g);
	uint64_t all = 0;
	for (int t = 0; t < UNMO_GEN_TENANTS; t++) {
		for (int k = 1; k < UNMO_EV_TYPE_COUNT; k++)
			total[t] += n[t][k];
		all += total[t];
	}
	for (int t = 0; t < UNMO_GEN_TENANTS; t++) {
		const struct unmo_gen_profile *p = &unmo_gen_profiles[t];
		/* the brief's four classes; reinstalls count as installs, sessions
		 * and re-engagements come on top of the table */
		double inst = (double)(n[t][UNMO_EV_INSTALL] + n[t][UNMO_EV_REINSTALL]);
		double cl = (double)n[t][UNMO_EV_CLICK], im = (double)n[t][UNMO_EV_IMPRESSION];
		double cv = (double)n[t][UNMO_EV_CONVERSION], sum = inst + cl + im + cv;
		double got[4] = {100 * inst / sum, 100 * cl / sum, 100 * im / sum, 100 * cv / sum};
		double want[4] = {p->share_install, p->share_click, p->share_impression, p->share_conversion};
		static const char *const what[4] = {"install", "click", "impression", "conversion"};
		for (int k = 0; k < 4; k++)
			cr_expect(got[k] > want[k] - 1.5 && got[k] < want[k] + 1.5, "%s %s: %.2f%% (profile %.0f%%)",
				  p->key, what[k], got[k], want[k]);
		cr_expect_gt(n[t][UNMO_EV_SESSION], 0);
		cr_expect_gt(n[t][UNMO_EV_REINSTALL], 0);
		cr_expect_gt(n[t][UNMO_EV_REENGAGEMENT], 0);
		/* volume shares follow events/day: 50k : 100k : 75k */
		double share = (double)total[t] / (double)all, want_share = p->events_per_day / 225000.0;
		cr_expect(share > want_share - 0.03 && share < want_share + 0.03, "%s volume %.3f (want %.3f)",
			  p->key, share, want_share);
	}
}

/* ---- journeys and the truth, re-derived from the emitted events ---- */
struct seen {
	uint8_t id[16], type, flags, ipv, ip[16];
	int64_t t;
	char adv[40], vend[40], fam[16];
};

static void copy_str(char *dst, size_t cap, struct unmo_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	memcpy(dst, s.p ? s.p : "", n);
	dst[n] = 0;
}

/* User-agent family as the default rules use it: OS and major version. */
static void ua_family(struct unmo_str ua, char out[16])
{
	char s[1100];
	copy_str(s, sizeof s, ua);
	const char *p;
	if ((p = strstr(s, "iPhone OS ")))
		snprintf(out, 16, "ios-%d", atoi(p + 10));
	else if ((p = strstr(s, "Android ")))
		snprintf(out, 16, "android-%d", atoi(p + 8));
	else if ((p = strstr(s, "Darwin/"))) /* CFNetwork: Darwin 17..24 are iOS 11..18 */
		snprintf(out, 16, "ios-%d", atoi(p + 7) - 6);
	else
		snprintf(out, 16, "other");
}

static const char *key_of(const struct seen *s)
{
	return s->adv[0] ? s->adv : s->vend;
}

Test(gen, journeys_ordered_and_truth_rederived_from_emitted_events, .timeout = 120)
{
	char err[256];
	enum { N = 30000 };
	struct unmo_gen_opts go = {.seed = 5, .events = N, .start_us = T0};
	struct unmo_gen *g = unmo_gen_new(&go, err, sizeof err);
	cr_assert_not_null(g, "%s", err);
	struct seen *ev = calloc(N, sizeof *ev);
	struct unmo_gen_truth *tr = calloc(N, sizeof *tr);
	size_t *tr_at = calloc(N, sizeof *tr_at);
	cr_assert(ev && tr && tr_at);
	size_t n = 0, nt = 0, nzeroed = 0, nlower_idfa = 0, nmapped = 0, ncredit[4] = {0};
	struct unmo_gen_item it;
	int64_t last = INT64_MIN;
	while (unmo_gen_next(g, &it)) {
		const struct unmo_event *e = it.e;
		CHECK(!unmo_event_check(e), "valid event");
		CHECK(e->event_time_us >= last, "stream in time order");
		CHECK(e->event_time_us >= T0, "nothing before the start");
		last = e->event_time_us;
		struct seen *s = &ev[n];
		memcpy(s->id, e->event_id, 16);
		s->type = e->type;
		s->flags = e->flags;
		s->t = e->event_time_us;
		s->ipv = e->ip_version;
		memcpy(s->ip, e->ip, 16);
		static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
		if (s->ipv == 6 && !memcmp(s->ip, mapped, 12)) { /* ::ffff:a.b.c.d is a.b.c.d */
			nmapped++;
			s->ipv = 4;
			memmove(s->ip, s->ip + 12, 4);
			memset(s->ip + 4, 0, 12);
		}
		copy_str(s->adv, sizeof s->adv, e->s[UNMO_S_ADVERTISING_ID]);
		if (e->platform == UNMO_PLAT_IOS && strpbrk(s->adv, "abcdef"))
			nlower_idfa++; /* an ad network's lower-cased IDFA */
		if (s->adv[0] && strspn(s->adv, "0-") == strlen(s->adv)) { /* zeroed: no device id */
			nzeroed++;
			s->adv[0] = 0;
		}
		copy_str(s->vend, sizeof s->vend, e->s[UNMO_S_VENDOR_ID]);
		ua_family(e->s[UNMO_S_USER_AGENT], s->fam);
		CHECK(e->s[UNMO_S_APP_ID].len > 0);
		if (e->revenue_micros)
			CHECK(e->currency[0], "revenue has a currency");
		CHECK(it.has_truth == (e->type == UNMO_EV_INSTALL || e->type == UNMO_EV_REINSTALL));
		/* every conversion has its credit; an app open has one when it
		 * starts a re-engagement, credited to a retargeting click before it */
		if (e->type == UNMO_EV_CONVERSION)
			CHECK(it.has_credit && it.credit.event_type == UNMO_EV_CONVERSION &&
			      it.credit.via != UNMO_GEN_VIA_REENGAGES);
		else if (e->type == UNMO_EV_SESSION || e->type == UNMO_EV_REENGAGEMENT)
			CHECK(!it.has_credit || it.credit.via == UNMO_GEN_VIA_REENGAGES);
		else
			CHECK(!it.has_credit);
		if (it.has_credit) {
			const struct unmo_gen_credit *c = &it.credit;
			CHECK(!memcmp(c->event_id, e->event_id, 16) && c->time_us == e->event_time_us);
			bool by_click = c->via == UNMO_GEN_VIA_REENGAGEMENT || c->via == UNMO_GEN_VIA_REENGAGES;
			if (by_click)
				CHECK(c->touch.type == UNMO_EV_CLICK && c->touch.retargeting && c->touch.time_us <= c->time_us);
			if (c->via == UNMO_GEN_VIA_NONE)
				CHECK(!c->touch.type);
			ncredit[c->via]++;
		}
		if (it.has_truth) {
			CHECK(!memcmp(it.truth.install_event_id, e->event_id, 16));
			tr_at[nt] = n;
			tr[nt++] = it.truth;
		}
		n++;
	}
	unmo_gen_free(g);
	cr_assert_eq(n, (size_t)N);
	cr_assert_gt(nzeroed, N / 100, "LAT devices send zeroed advertising ids (%zu events)", nzeroed);
	cr_assert_gt(nlower_idfa, N / 100, "touches with a lower-cased IDFA (%zu)", nlower_idfa);
	cr_assert_gt(nmapped, N / 100, "touches with an IPv4-mapped address (%zu)", nmapped);
	cr_assert(ncredit[UNMO_GEN_VIA_INSTALL] && ncredit[UNMO_GEN_VIA_NONE] && ncredit[UNMO_GEN_VIA_REENGAGES],
		  "credits: install %zu, none %zu, re-engagement starts %zu", ncredit[UNMO_GEN_VIA_INSTALL],
		  ncredit[UNMO_GEN_VIA_NONE], ncredit[UNMO_GEN_VIA_REENGAGES]);
	size_t by_match[4] = {0};
	struct unmo_gen_touch *cand = calloc(N, sizeof *cand);
	cr_assert_not_null(cand);
	for (size_t k = 0; k < nt; k++) {
		const struct seen *ins = &ev[tr_at[k]];
		/* the device's touches and its first install, from the stream only */
		size_t nc = 0;
		const struct seen *first = NULL;
		for (size_t i = 0; i < tr_at[k]; i++) {
			const struct seen *s = &ev[i];
			if (s->type == UNMO_EV_INSTALL && !strcmp(key_of(s), key_of(ins)) && !first)
				first = s;
			if (s->type != UNMO_EV_CLICK && s->type != UNMO_EV_IMPRESSION)
				continue;
			bool det = ins->adv[0] && !strcasecmp(s->adv, ins->adv); /* UUIDs: any case */
			bool prob = !s->adv[0] && !s->vend[0] && s->ipv == ins->ipv && !memcmp(s->ip, ins->ip, 16) &&
				    !strcmp(s->fam, ins->fam);
			if (!det && !prob)
				continue;
			cand[nc] = (struct unmo_gen_touch){.time_us = s->t, .type = s->type, .det = det, .prob = prob,
							   .retargeting = s->flags & UNMO_EVF_RETARGETING};
			memcpy(cand[nc].event_id, s->id, 16);
			nc++;
		}
		enum unmo_gen_match m;
		int best;
		bool reinstall_in_window = ins->type == UNMO_EV_REINSTALL && first &&
					   ins->t - first->t <= UNMO_GEN_REATTR_WINDOW_US;
		best = unmo_gen_waterfall(cand, nc, ins->t, reinstall_in_window, &m);
		const struct unmo_gen_truth *t = &tr[k];
		by_match[t->match]++;
		CHECK(t->outcome == (!reinstall_in_window ? UNMO_GEN_NEW_INSTALL
				     : best < 0		  ? UNMO_GEN_REINSTALL
							  : UNMO_GEN_REATTRIBUTION),
		      "install %zu: outcome %s", k, unmo_gen_outcome_names[t->outcome]);
		if (reinstall_in_window && best < 0) {
			CHECK(t->match == UNMO_GEN_MATCH_ORIGINAL, "reinstall %zu keeps its original", k);
			continue;
		}
		CHECK(t->match == (uint8_t)m, "install %zu: match %s, re-derived %s", k,
		      unmo_gen_match_names[t->match], unmo_gen_match_names[m]);
		if (best >= 0) {
			CHECK(!memcmp(t->touch.event_id, cand[best].event_id, 16), "install %zu: credited touch", k);
			CHECK(t->touch.time_us < t->install_time_us, "touch before install");
			CHECK(t->touch.type == cand[best].type);
			CHECK(t->touch.media_source[0] && t->touch.campaign[0]);
		} else {
			CHECK(t->touch.type == 0);
		}
	}
	cr_expect_gt(by_match[UNMO_GEN_MATCH_DETERMINISTIC], nt / 5);
	cr_expect_gt(by_match[UNMO_GEN_MATCH_PROBABILISTIC], 0);
	cr_expect_gt(by_match[UNMO_GEN_MATCH_ORGANIC], 0);
	/* conversions, sessions, re-engagements come after the device's install
	 * when that install is in the stream */
	for (size_t i = 0; i < n; i++) {
		const struct seen *s = &ev[i];
		if (s->type != UNMO_EV_CONVERSION && s->type != UNMO_EV_SESSION && s->type != UNMO_EV_REENGAGEMENT)
			continue;
		for (size_t j = i + 1; j < n; j++)
			if (ev[j].type == UNMO_EV_INSTALL && !strcmp(key_of(&ev[j]), key_of(s)))
				CHECK(0, "event %zu precedes its device's install %zu", i, j);
	}
	free(cand);
	free(ev);
	free(tr);
	free(tr_at);
}

/* ---- click floods (opts.flood_share), re-derived from the emitted clicks ---- */
struct fclick {
	char key[192]; /* tenant | advertising id, lower-cased | source | campaign */
	int64_t t;
};
static int fclick_cmp(const void *pa, const void *pb)
{
	const struct fclick *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);
	return c ? c : (a->t > b->t) - (a->t < b->t);
}
static void flood_key(char *key, size_t cap, unsigned tenant, const char *adid, size_t adlen, const char *src,
		      size_t slen, const char *camp, size_t clen)
{
	char id[64];
	size_t n = adlen < sizeof id - 1 ? adlen : sizeof id - 1;
	for (size_t i = 0; i < n; i++)
		id[i] = (char)(adid[i] >= 'A' && adid[i] <= 'Z' ? adid[i] + 32 : adid[i]);
	id[n] = 0;
	snprintf(key, cap, "%u|%s|%.*s|%.*s", tenant, id, (int)slen, src, (int)clen, camp);
}

Test(gen, flood_rows_rederived_from_emitted_clicks, .timeout = 120)
{
	char err[256];
	enum { N = 100000 };
	struct unmo_gen_opts go = {.seed = 7, .events = N, .start_us = T0, .duration_us = 4 * 86400000000ll,
				   .flood_share = 0.005};
	struct unmo_gen *g = unmo_gen_new(&go, err, sizeof err);
	cr_assert_not_null(g, "%s", err);
	struct fclick *c = calloc(N, sizeof *c);
	struct unmo_gen_flood *rows = calloc(N, sizeof *rows);
	struct fclick *rowkey = calloc(N, sizeof *rowkey);
	cr_assert(c && rows && rowkey);
	size_t nc = 0, nr = 0, kinds[4] = {0};
	struct unmo_gen_item it;
	while (unmo_gen_next(g, &it)) {
		const struct unmo_event *e = it.e;
		struct unmo_str ad = e->s[UNMO_S_ADVERTISING_ID], src = e->s[UNMO_S_MEDIA_SOURCE],
				camp = e->s[UNMO_S_CAMPAIGN];
		bool zeroed = ad.len > 0;
		for (size_t i = 0; i < ad.len; i++)
			zeroed &= ad.p[i] == '0' || ad.p[i] == '-';
		if (e->type == UNMO_EV_CLICK && ad.len && !zeroed) /* deterministic: an id, not zeros */
			flood_key(c[nc++].key, sizeof c->key, it.tenant, ad.p, ad.len, src.p, src.len, camp.p,
				  camp.len), c[nc - 1].t = e->event_time_us;
		if (!it.has_flood)
			continue;
		CHECK(e->type == UNMO_EV_CLICK, "a flood row comes with a click");
		rows[nr] = it.flood;
		kinds[it.flood.kind]++;
		CHECK(it.flood.tenant == it.tenant, "the row's tenant");
		flood_key(rowkey[nr].key, sizeof rowkey->key, it.flood.tenant, it.flood.advertising_id,
			  strlen(it.flood.advertising_id), it.flood.media_source, strlen(it.flood.media_source),
			  it.flood.campaign, strlen(it.flood.campaign));
		CHECK(!strcmp(rowkey[nr].key, c[nc - 1].key), "the row names its click's device, source and campaign: %s vs %s",
		      rowkey[nr].key, c[nc - 1].key);
		nr++;
	}
	unmo_gen_free(g);
	for (int k = 0; k < 4; k++)
		cr_expect_gt(kinds[k], 0, "flood kind %s occurs", unmo_gen_flood_kind_names[k]);
	/* every (device, source, campaign) of the stream: a flood (>= 50 clicks
	 * within 24 h, inclusive) exactly when a row says so */
	qsort(c, nc, sizeof *c, fclick_cmp);
	size_t floods = 0, rows_flood = 0;
	for (size_t i = 0; i < nr; i++)
		rows_flood += rows[i].flood;
	for (size_t i = 0; i < nc;) {
		size_t j = i;
		while (j < nc && !strcmp(c[j].key, c[i].key))
			j++;
		bool flood = false;
		for (size_t a = i, b = i; a < j && !flood; a++) {
			while (b < j && c[b].t - c[a].t <= 86400000000ll)
				b++;
			flood = b - a >= 50;
		}
		size_t r = 0;
		while (r < nr && strcmp(rowkey[r].key, c[i].key))
			r++;
		if (flood) {
			floods++;
			CHECK(r < nr && rows[r].flood, "a flood in the clicks has a flood row (%s)", c[i].key);
		} else if (r < nr) {
			CHECK(!rows[r].flood, "a flood row whose clicks are no flood (%s)", c[i].key);
			CHECK(j - i == rows[r].clicks, "a near miss's clicks all emitted (%s)", c[i].key);
			CHECK(c[j - 1].t - c[i].t == rows[r].last_us - rows[r].first_us, "its span (%s)", c[i].key);
		}
		i = j;
	}
	cr_expect_eq(floods, rows_flood, "every flood row is a flood of the emitted clicks");
	free(c);
	free(rows);
	free(rowkey);
	/* without floods: no row */
	go.flood_share = 0;
	go.events = 20000;
	g = unmo_gen_new(&go, err, sizeof err);
	cr_assert_not_null(g, "%s", err);
	while (unmo_gen_next(g, &it))
		CHECK(!it.has_flood, "no flood rows without opts.flood_share");
	unmo_gen_free(g);
	go.flood_share = 1.5;
	cr_expect_null(unmo_gen_new(&go, err, sizeof err), "a flood share over 1 is refused");
}

/* opts.reengagement_edges: conversions on the last microsecond of a
 * re-engagement (30 days from the open that starts it) and on the first past
 * it; credits.csv says which one the re-engagement gets. */
Test(gen, reengagement_edges_credited_inside_and_outside, .timeout = 120)
{
	char err[256];
	enum { N = 60000 };
	struct unmo_gen_opts go = {.seed = 9, .events = N, .start_us = T0, .duration_us = 40 * 86400000000ll,
				   .reengagement_edges = true};
	struct unmo_gen *g = unmo_gen_new(&go, err, sizeof err);
	cr_assert_not_null(g, "%s", err);
	struct { uint32_t source; int64_t open; } *st = calloc(N, sizeof *st);
	cr_assert_not_null(st);
	size_t nst = 0, inside = 0, outside = 0;
	struct unmo_gen_item it;
	while (unmo_gen_next(g, &it)) {
		if (!it.has_credit)
			continue;
		if (it.credit.via == UNMO_GEN_VIA_REENGAGES) {
			st[nst].source = it.source;
			st[nst++].open = it.credit.time_us;
			continue;
		}
		for (size_t i = 0; i < nst; i++) {
			if (st[i].source != it.source)
				continue;
			int64_t d = it.credit.time_us - st[i].open;
			if (d == UNMO_GEN_REENGAGEMENT_US) /* the last microsecond: still the re-engagement's */
				inside += it.credit.via == UNMO_GEN_VIA_REENGAGEMENT;
			if (d == UNMO_GEN_REENGAGEMENT_US + 1) { /* one past: never */
				CHECK(it.credit.via != UNMO_GEN_VIA_REENGAGEMENT, "a conversion 30 d + 1 us after the open");
				outside++;
			}
		}
	}
	unmo_gen_free(g);
	free(st);
	cr_expect_gt(inside, 0, "conversions on a re-engagement's last microsecond get its credit");
	cr_expect_gt(outside, 0, "conversions one microsecond later do not");
}

Test(gen, waterfall_rules_on_hand_made_touches)
{
	const int64_t T = T0 + 30ll * 86400000000;
	struct unmo_gen_touch t[4];
	enum unmo_gen_match m;
	memset(t, 0, sizeof t);
	/* deterministic click at exactly 7 days beats a later impression */
	t[0] = (struct unmo_gen_touch){.time_us = T - UNMO_GEN_CLICK_WINDOW_US, .type = UNMO_EV_CLICK, .det = true};
	t[1] = (struct unmo_gen_touch){.time_us = T - 10, .type = UNMO_EV_IMPRESSION, .det = true};
	cr_expect_eq(unmo_gen_waterfall(t, 2, T, false, &m), 0);
	cr_expect_eq(m, UNMO_GEN_MATCH_DETERMINISTIC);
	/* one microsecond older: the impression wins */
	t[0].time_us--;
	cr_expect_eq(unmo_gen_waterfall(t, 2, T, false, &m), 1);
	/* probabilistic click beats the impression, only within 1 day */
	t[2] = (struct unmo_gen_touch){.time_us = T - UNMO_GEN_PROB_WINDOW_US, .type = UNMO_EV_CLICK, .prob = true};
	cr_expect_eq(unmo_gen_waterfall(t, 3, T, false, &m), 2);
	cr_expect_eq(m, UNMO_GEN_MATCH_PROBABILISTIC);
	t[2].time_us--;
	cr_expect_eq(unmo_gen_waterfall(t, 3, T, false, &m), 1);
	/* touches after the install never count; equal time counts */
	t[0] = (struct unmo_gen_touch){.time_us = T + 1, .type = UNMO_EV_CLICK, .det = true};
	t[1] = (struct unmo_gen_touch){.time_us = T, .type = UNMO_EV_IMPRESSION, .det = true};
	cr_expect_eq(unmo_gen_waterfall(t, 2, T, false, &m), 1);
	/* ties: lower event id */
	t[0] = (struct unmo_gen_touch){.time_us = T - 5, .type = UNMO_EV_CLICK, .det = true, .event_id = {2}};
	t[1] = (struct unmo_gen_touch){.time_us = T - 5, .type = UNMO_EV_CLICK, .det = true, .event_id = {1}};
	cr_expect_eq(unmo_gen_waterfall(t, 2, T, false, &m), 1);
	/* only retargeting touches for reinstalls inside the window */
	cr_expect_eq(unmo_gen_waterfall(t, 2, T, true, &m), -1);
	cr_expect_eq(m, UNMO_GEN_MATCH_ORGANIC);
	t[0].retargeting = true;
	cr_expect_eq(unmo_gen_waterfall(t, 2, T, true, &m), 0);
	/* a probabilistic impression never matches */
	t[0] = (struct unmo_gen_touch){.time_us = T - 5, .type = UNMO_EV_IMPRESSION, .prob = true};
	cr_expect_eq(unmo_gen_waterfall(t, 1, T, false, &m), -1);
}

/* ---- packets: checksums recomputed independently ---- */
static uint16_t naive_csum(const uint8_t *const *parts, const size_t *lens, int nparts)
{
	uint64_t sum = 0;
	for (int k = 0; k < nparts; k++)
		for (size_t i = 0; i < lens[k]; i++)
			sum += (i & 1) ? parts[k][i] : (uint64_t)parts[k][i] << 8; /* parts have even lengths but the last */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void check_packet(uint8_t ipv, uint16_t vlan, size_t plen)
{
	struct unmo_pkt_addr a;
	memset(&a, 0, sizeof a);
	a.ip_version = ipv;
	a.vlan = vlan;
	for (int i = 0; i < 16; i++) {
		a.src_ip[i] = (uint8_t)(0x20 + i * 7);
		a.dst_ip[i] = (uint8_t)(0xfd - i * 3);
	}
	memcpy(a.src_mac, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(a.dst_mac, "\x02\x00\x00\x00\x00\x01", 6);
	a.src_port = 40001;
	a.dst_port = 7100;
	uint8_t payload[1500], f[UNMO_PKT_FRAME_MAX];
	for (size_t i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i * 131 + plen);
	size_t n = unmo_pkt_build(f, sizeof f, &a, 0x1234, payload, plen);
	size_t l2 = 14 + (vlan ? 4 : 0), l3 = ipv == 6 ? 40 : 20;
	cr_assert_eq(n, l2 + l3 + 8 + plen);
	const uint8_t *ip = f + l2, *udp = ip + l3;
	if (vlan)
		cr_assert(f[12] == 0x81 && f[13] == 0x00 && (((f[14] << 8) | f[15]) & 0xfff) == vlan);
	uint8_t pseudo[40];
	size_t plen_pseudo;
	size_t ulen = 8 + plen;
	if (ipv == 4) {
		const uint8_t *parts[1] = {ip};
		size_t lens[1] = {20};
		cr_assert_eq(naive_csum(parts, lens, 1), 0, "IPv4 header checksum");
		cr_assert_eq((size_t)((ip[2] << 8) | ip[3]), 20 + ulen);
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = 17;
		pseudo[10] = (uint8_t)(ulen >> 8);
		pseudo[11] = (uint8_t)ulen;
		plen_pseudo = 12;
	} else {
		memcpy(pseudo, ip + 8, 32);
		pseudo[32] = pseudo[33] = 0;
		pseudo[34] = (uint8_t)(ulen >> 8);
		pseudo[35] = (uint8_t)ulen;
		pseudo[36] = pseudo[37] = pseudo[38] = 0;
		pseudo[39] = 17;
		plen_pseudo = 40;
	}
	const uint8_t *parts[2] = {pseudo, udp};
	size_t lens[2] = {plen_pseudo, ulen};
	cr_assert_eq(naive_csum(parts, lens, 2), 0, "UDP checksum (v%u, %zu bytes)", ipv, plen);
	cr_assert_neq((udp[6] << 8) | udp[7], 0, "a UDP checksum is never sent as 0");
	struct unmo_pkt_view v;
	cr_assert_null(unmo_pkt_parse(f, n, &v));
	cr_assert(v.ip_csum_ok && v.udp_csum_ok);
	cr_assert_eq(v.payload_len, plen);
	cr_assert(memcmp(v.payload, payload, plen) == 0);
	cr_assert_eq(v.addr.vlan, vlan);
	cr_assert_eq(v.addr.src_port, 40001);
	cr_assert_eq(v.addr.dst_port, 7100);
	cr_assert(memcmp(v.addr.src_ip, a.src_ip, ipv == 6 ? 16 : 4) == 0);
	/* any flipped payload bit is seen by the UDP checksum */
	f[n - 1] ^= 0x10;
	cr_assert_null(unmo_pkt_parse(f, n, &v));
	cr_assert_not(v.udp_csum_ok);
	/* every truncation is refused without reading past the end */
	for (size_t k = 0; k < n - 1; k++) {
		uint8_t *cut = malloc(k ? k : 1);
		memcpy(cut, f, k);
		CHECK(unmo_pkt_parse(cut, k, &v) != NULL, "truncated at %zu", k);
		free(cut);
	}
}

Test(pkt, checksums_recomputed_v4_v6_vlan)
{
	size_t sizes[] = {0, 1, 2, 33, 512, 1451, 1452};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		check_packet(4, 0, sizes[i]);
		check_packet(4, 42, sizes[i]);
		check_packet(6, 0, sizes[i]);
		check_packet(6, 4094, sizes[i]);
	}
	check_packet(4, 0, 1472);
}

/* unmo_pkt_csum_add (8 bytes a step, native words, one swap) against the
 * RFC 1071 definition byte by byte: every length 0..300, every alignment of
 * the start, incoming partial sums up to 0xffff, all-0xff data (carries). */
Test(pkt, checksum_sum_matches_rfc1071_definition)
{
	static uint8_t buf[320];
	uint64_t r = 0x9e3779b97f4a7c15u;
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			buf[i] = round ? 0xff : (uint8_t)r;
		}
		for (size_t off = 0; off < 8; off++)
			for (size_t n = 0; n <= 300; n++) {
				uint32_t in = (uint32_t)((n * 2654435761u + off) & 0xffffu);
				uint64_t want = in;
				for (size_t i = 0; i < n; i++)
					want += (i & 1) ? buf[off + i] : (uint64_t)buf[off + i] << 8;
				while (want >> 16)
					want = (want & 0xffff) + (want >> 16);
				CHECK(unmo_pkt_csum_add(in, buf + off, n) == want, "n %zu off %zu", n, off);
			}
	}
}

Test(pkt, limits_and_malformed)
{
	struct unmo_pkt_addr a;
	memset(&a, 0, sizeof a);
	uint8_t p[1500] = {0}, f[UNMO_PKT_FRAME_MAX];
	a.ip_version = 4;
	cr_assert_eq(unmo_pkt_build(f, sizeof f, &a, 0, p, 1473), 0, "over 1472 over IPv4");
	a.ip_version = 6;
	cr_assert_eq(unmo_pkt_build(f, sizeof f, &a, 0, p, 1453), 0, "over 1452 over IPv6");
	a.ip_version = 5;
	cr_assert_eq(unmo_pkt_build(f, sizeof f, &a, 0, p, 10), 0);
	a.ip_version = 4;
	a.vlan = 4095;
	cr_assert_eq(unmo_pkt_build(f, sizeof f, &a, 0, p, 10), 0);
	a.vlan = 0;
	cr_assert_eq(unmo_pkt_build(f, 20, &a, 0, p, 10), 0, "small buffer");
	size_t n = unmo_pkt_build(f, sizeof f, &a, 0, p, 10);
	struct unmo_pkt_view v;
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	cr_assert_str_eq(unmo_pkt_parse(f, n, &v), "not_ip");
	f[13] = 0x00;
	f[14 + 9] = 6; /* TCP */
	cr_assert_str_eq(unmo_pkt_parse(f, n, &v), "not_udp");
	f[14 + 9] = 17;
	f[14 + 6] = 0x20; /* more fragments */
	cr_assert_str_eq(unmo_pkt_parse(f, n, &v), "ip_fragment");
	f[14 + 6] = 0x40;
	f[14 + 20 + 5] ^= 1; /* UDP length */
	cr_assert_str_eq(unmo_pkt_parse(f, n, &v), "bad_udp_length");
	f[14 + 20 + 5] ^= 1;
	f[14] = 0x44; /* IHL 4 */
	cr_assert_str_eq(unmo_pkt_parse(f, n, &v), "bad_ip_header");
	uint8_t mac[6];
	cr_assert_eq(unmo_pkt_parse_mac("02:00:00:00:00:0a", mac), 0);
	cr_assert_eq(mac[5], 10);
	cr_assert_eq(unmo_pkt_parse_mac("02:00:00:00:00", mac), -1);
	cr_assert_eq(unmo_pkt_parse_mac("02:00:00:00:00:0a:", mac), -1);
}

/* ---- the round trip through the real decoders and the segment ---- */
static char tmpdir[64];

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	char p[512];
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

/* What the appliance does with one datagram (app/rx.c's policy, with the
 * lib decoders): returns NULL and adds its events to c, or the reason it
 * counts the datagram under. */
static const char *ingest(const struct unmo_tenants *reg, uint8_t *buf, size_t n, struct unmo_chunk *c,
			  uint32_t *events)
{
	struct unmo_event e;
	const char *why;
	*events = 0;
	if (n >= 5 && !memcmp(buf, "POST ", 5)) {
		struct unmo_http_req req;
		int status;
		if ((why = unmo_http_parse((char *)buf, n, &req, &status)))
			return why;
		enum unmo_key_kind kind;
		const struct unmo_tenant *tn = unmo_tenants_by_api_key(reg, req.api_key, req.api_key_len, &kind);
		if (!tn)
			return "bad_key";
		CHECK(req.want_reply, "X-Unmo-Reply asked for");
		size_t st = 0;
		bool done = false;
		while (!(why = unmo_http_next_event(&req, &st, &e, &done, &status)) && !done) {
			CHECK(unmo_str_eq(e.s[UNMO_S_APP_ID], unmo_str_c(tn->app_id)), "app_id matches the key");
			e.s[UNMO_S_APP_ID] = unmo_str_c(tn->app_id);
			e.sender_id = e.sequence = 0;
			CHECK(unmo_chunk_add(c, &e), "chunk has room");
			++*events;
		}
		return why;
	}
	struct unmo_fb_view v;
	if ((why = unmo_fb_parse(buf, n, &v)))
		return why;
	const struct unmo_tenant *tn = unmo_tenants_by_key_id(reg, v.key_id);
	if (!tn)
		return "bad_key";
	if (v.tag && !unmo_fb_verify_tag(&v, tn->secret))
		return "auth_fail";
	if ((why = unmo_fb_authenticate(&v, tn->secret, tn->auth_required)))
		return why;
	CHECK(v.flags & UNMO_FB_ACK_REQ, "ack asked for");
	size_t it = 0;
	bool done;
	while (!(why = unmo_fb_next_event(&v, &it, &e, &done)) && !done) {
		CHECK(e.s[UNMO_S_APP_ID].len == 0, "binary records omit app_id");
		e.s[UNMO_S_APP_ID] = unmo_str_c(tn->app_id);
		e.sender_id = v.sender_id;
		e.sequence = v.sequence;
		CHECK(unmo_chunk_add(c, &e), "chunk has room");
		++*events;
	}
	return why;
}

static void assert_same(const struct unmo_event *a, const struct unmo_event *b, size_t i)
{
	CHECK(memcmp(a->event_id, b->event_id, 16) == 0, "event %zu: event_id", i);
	CHECK(a->type == b->type && a->platform == b->platform && a->flags == b->flags, "event %zu: enums", i);
	CHECK(a->ip_version == b->ip_version && !memcmp(a->ip, b->ip, 16), "event %zu: ip", i);
	CHECK(a->event_time_us == b->event_time_us && a->recv_time_us == b->recv_time_us, "event %zu: times", i);
	CHECK(a->revenue_micros == b->revenue_micros && !memcmp(a->currency, b->currency, 3), "event %zu: revenue", i);
	CHECK(a->sender_id == b->sender_id && a->sequence == b->sequence, "event %zu: sender/sequence", i);
	CHECK(!memcmp(a->country, b->country, 2), "event %zu: country", i);
	for (int k = 0; k < UNMO_STR_COUNT; k++)
		CHECK(unmo_str_eq(a->s[k], b->s[k]), "event %zu: %s", i, unmo_str_field_names[k]);
}

static void round_trip(const struct shape *sh)
{
	char err[512], pcap_path[128], name[64];
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_gen.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(pcap_path, sizeof pcap_path, "%s/gen.pcap", tmpdir);
	struct unmo_tenants *reg = make_registry();
	static struct run r;
	enum { EVENTS = 6000, BAD = 18 };
	run_model_shaped(&r, reg, 2026, EVENTS, BAD, pcap_path, sh);

	/* pcap -> packets -> the appliance's decoders -> chunks -> one segment */
	struct unmo_pcapr *pr = unmo_pcapr_open(pcap_path, err, sizeof err);
	cr_assert_not_null(pr, "%s", err);
	struct unmo_seg_info info = {.writer_id = 0, .segment_seq = 1, .created_us = T0};
	cr_assert_gt(unmo_seg_name(name, sizeof name, "gen", 0, 1), 0);
	struct unmo_segw *sw = unmo_segw_open(tmpdir, name, &info, err, sizeof err);
	cr_assert_not_null(sw, "%s", err);
	struct unmo_chunk *c = malloc(sizeof *c);
	unmo_chunk_reset(c);
	int64_t ts, last_ts = INT64_MIN;
	const uint8_t *f;
	size_t flen;
	uint64_t index = 0, good = 0;
	unsigned bad_seen = 0;
	uint8_t buf[2048];
	int rc;
	while ((rc = unmo_pcapr_next(pr, &ts, &f, &flen, err, sizeof err)) == 1) {
		struct unmo_pkt_view v;
		CHECK(unmo_pkt_parse(f, flen, &v) == NULL, "packet %" PRIu64 " parses", index);
		CHECK(v.ip_csum_ok && v.udp_csum_ok, "packet %" PRIu64 " checksums", index);
		CHECK(v.addr.dst_port == 7100 && v.payload_len <= unmo_pkt_max_payload(sh->ip_version));
		CHECK(v.addr.ip_version == sh->ip_version && v.addr.vlan == sh->vlan, "packet shape");
		CHECK(ts >= last_ts, "pcap timestamps never go back");
		last_ts = ts;
		memcpy(buf, v.payload, v.payload_len);
		if (c->len > UNMO_CHUNK_CAP - 4096) { /* room for any one datagram's records */
			cr_assert_eq(unmo_segw_append(sw, c, err, sizeof err), 0, "%s", err);
			unmo_chunk_reset(c);
		}
		uint32_t n;
		const char *why = ingest(reg, buf, v.payload_len, c, &n);
		bool is_bad = bad_seen < r.nbad && r.bad_index[bad_seen] == index;
		if (is_bad) {
			const char *want = unmo_wire_bad_counters[r.bad_kind[bad_seen]];
			CHECK(why && !strcmp(why, want), "malformed %s at %" PRIu64 ": got %s, want %s",
			      unmo_wire_bad_names[r.bad_kind[bad_seen]], index, why ? why : "accepted", want);
			CHECK(n == 0, "no event taken from a malformed datagram");
			bad_seen++;
		} else {
			CHECK(why == NULL, "datagram %" PRIu64 " refused: %s", index, why);
		}
		good += n;
		index++;
	}
	cr_assert_eq(rc, 0, "%s", err);
	unmo_pcapr_close(pr);
	cr_assert_eq(index, r.dgrams);
	cr_assert_eq(bad_seen, BAD, "every malformed kind sent twice and refused");
	cr_assert_eq(good, EVENTS);
	if (c->count)
		cr_assert_eq(unmo_segw_append(sw, c, err, sizeof err), 0, "%s", err);
	cr_assert_eq(unmo_segw_seal(sw, err, sizeof err), 0, "%s", err);
	free(c);

	/* segment reader vs events.jsonl, line by line, field by field */
	char seg_path[256];
	snprintf(seg_path, sizeof seg_path, "%s/%s%s", tmpdir, name, UNMO_SEG_SUFFIX);
	struct unmo_segr *sr = unmo_segr_open(seg_path, err, sizeof err);
	cr_assert_not_null(sr, "%s", err);
	char *line = r.jsonl, *end = r.jsonl + r.jsonl_len;
	struct unmo_seg_block b;
	size_t i = 0;
	char out[UNMO_JSON_EVENT_MAX < 65536 ? UNMO_JSON_EVENT_MAX : 65536];
	while ((rc = unmo_segr_next(sr, &b, err, sizeof err)) == 1) {
		size_t off = 0;
		struct unmo_event got, want;
		while (unmo_seg_block_next_record(&b, &off, &got)) {
			cr_assert(line < end, "more records than events.jsonl lines");
			char *nl = memchr(line, '\n', (size_t)(end - line));
			cr_assert_not_null(nl);
			size_t ll = (size_t)(nl - line);
			/* canonical form first (parse is in place: compare before it) */
			size_t on = unmo_json_event_write(out, sizeof out, &got);
			CHECK(on == ll && !memcmp(out, line, ll), "record %zu differs from its jsonl line", i);
			CHECK(unmo_json_event_parse(line, ll, &want) == NULL, "jsonl line %zu parses", i);
			assert_same(&got, &want, i);
			line = nl + 1;
			i++;
		}
	}
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(i, (size_t)EVENTS);
	cr_assert_eq(line, end, "every events.jsonl line came back");
	unmo_segr_close(sr);
	free(r.jsonl);
	unmo_tenants_free(reg);
	rm_tree(tmpdir);
}

Test(gen, round_trip_pcap_decoders_segment_equals_events_jsonl, .timeout = 120)
{
	round_trip(&v4_shape);
}

Test(gen, round_trip_ipv6_vlan_mostly_http, .timeout = 120)
{
	static const struct shape sh = {6, 100, 0.2};
	round_trip(&sh);
}
