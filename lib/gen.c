/* gen.c — traffic model of the brief's tenants and the install ground truth
 * (contract: gen.h, description: docs/generator.md).
 *
 * Shape of the code: journeys are generated whole, at their first event's
 * time, into a min-heap of pending events (time, then creation order); the
 * stream pops the heap. Journeys arrive per tenant as a non-homogeneous
 * Poisson process (daily shape x bursts, by thinning). The model starts a
 * warm-up before the requested start (up to PREWARM_MAX_US) so that the
 * stream begins in steady state; events before the start are generated but
 * not emitted, and the truth only counts touches that are emitted. */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US 1000000ll
#define MIN_US (60 * US)
#define HOUR_US (3600 * US)
#define DAY_US (86400 * US)
#define PREWARM_MAX_US (3 * DAY_US)

const struct unmo_gen_profile unmo_gen_profiles[UNMO_GEN_TENANTS] = {
	{"techstart", "com.techstart.mobile", "TechStart Mobile", 50000, 10, 40, 45, 5},
	{"ecomgrowth", "com.ecomgrowth.shop", "EcomGrowth Labs", 100000, 5, 35, 50, 10},
	{"financetrack", "com.financetrack.pro", "FinanceTrack Pro", 75000, 8, 37, 48, 7},
};

const char *const unmo_gen_match_names[4] = {"organic", "deterministic", "probabilistic", "original"};
const char *const unmo_gen_via_names[4] = {"none", "install", "reengagement", "reengages"};
const char *const unmo_gen_outcome_names[3] = {"new_install", "reattribution", "reinstall"};
const char *const unmo_gen_flood_kind_names[4] = {"dense", "edge", "over", "short"};

int unmo_gen_profile_from_key(const char *key)
{
	for (int i = 0; i < UNMO_GEN_TENANTS; i++)
		if (!strcmp(key, unmo_gen_profiles[i].key))
			return i;
	return -1;
}

/* ---- PRNG: xoshiro256** seeded by splitmix64 ---- */
struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

static double rng_unit(struct rng *r) /* [0, 1) */
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

static uint32_t rng_below(struct rng *r, uint32_t n) /* [0, n) */
{
	return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

static bool rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi) /* [lo, hi] */
{
	return lo + (int64_t)(rng_unit(r) * (double)(hi - lo + 1));
}

static int64_t rng_exp(struct rng *r, double mean_us)
{
	return (int64_t)(-log(1.0 - rng_unit(r)) * mean_us);
}

/* Log-normal with the given median (sigma in natural-log units), clamped. */
static int64_t rng_lognormal(struct rng *r, double median_us, double sigma, int64_t lo, int64_t hi)
{
	double u1 = rng_unit(r), u2 = rng_unit(r);
	double z = sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
	double v = median_us * exp(sigma * z);
	if (v < (double)lo)
		return lo;
	if (v > (double)hi)
		return hi;
	return (int64_t)v;
}

/* Geometric count with the given mean (>= 0). */
static unsigned rng_geometric(struct rng *r, double mean)
{
	double p = 1.0 / (1.0 + mean);
	unsigned k = 0;
	while (k < 64 && !rng_chance(r, p))
		k++;
	return k;
}

static unsigned rng_pick(struct rng *r, const uint8_t *weights, unsigned n)
{
	unsigned total = 0;
	for (unsigned i = 0; i < n; i++)
		total += weights[i];
	unsigned x = rng_below(r, total);
	for (unsigned i = 0; i < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

/* ---- static vocabulary ---- */
#define NSOURCES 6
static const char *const media_sources[NSOURCES] = {
	"googleadwords_int", "facebook_ads", "tiktok_int", "applovin_int", "unityads_int", "ironsource_int",
};
static const char *const source_short[NSOURCES] = {"gads", "fb", "tt", "alv", "unity", "is"};
static const uint8_t source_weights[UNMO_GEN_TENANTS][NSOURCES] = {
	{20, 20, 15, 20, 15, 10}, /* games: heavy on ad-network video */
	{35, 35, 20, 4, 3, 3},    /* shop: search and social */
	{45, 30, 15, 5, 2, 3},    /* fintech: search first */
};
static const char *const tenant_prefix[UNMO_GEN_TENANTS] = {"ts", "eg", "ft"};

#define NCOUNTRIES 8
static const char countries[NCOUNTRIES][3] = {"US", "DE", "GB", "JP", "BR", "FR", "IN", "CA"};
static const char *const country_currency[NCOUNTRIES] = {"USD", "EUR", "GBP", "JPY", "BRL", "EUR", "USD", "USD"};
static const uint8_t country_weights[NCOUNTRIES] = {30, 12, 10, 10, 12, 8, 10, 8};
static const uint8_t country_octet[NCOUNTRIES][2] = {
	{23, 73}, {46, 91}, {51, 86}, {60, 126}, {177, 187}, {78, 90}, {49, 117}, {24, 142}};
static const uint16_t country_v6[NCOUNTRIES] = {0x2600, 0x2a02, 0x2a00, 0x2400, 0x2804, 0x2a01, 0x2401, 0x2607};

#define NIOS 5
static const uint8_t ios_versions[NIOS][2] = {{15, 7}, {16, 5}, {16, 6}, {17, 0}, {17, 1}};
#define NANDROID 4
static const uint8_t android_versions[NANDROID] = {11, 12, 13, 14};
#define NMODELS 6
static const char *const android_models[NMODELS] = {
	"Pixel 7", "SM-S911B", "SM-A536B", "Redmi Note 12", "moto g(60)", "CPH2451",
};
static const char *const android_builds[NANDROID] = {"RQ3A.211001.001", "SP2A.220505.008",
						     "TQ3A.230805.001", "UP1A.231005.007"};

static const char *const app_versions[UNMO_GEN_TENANTS][2] = {
	{"3.2.1", "3.3.0"}, {"5.14.2", "5.15.0"}, {"2.8.0", "2.8.1"}};
static const char *const sdk_versions[2] = {"unmo-ios/6.12.1", "unmo-android/6.12.0"};

#define NNAMES 4
struct conv_kind {
	const char *name;
	uint8_t weight;
	uint8_t revenue; /* 0 none, 1 in-app purchase, 2 basket, 3 deposit, 4 subscription */
};
static const struct conv_kind conv_kinds[UNMO_GEN_TENANTS][NNAMES] = {
	{{"purchase", 30, 1}, {"level_complete", 40, 0}, {"tutorial_complete", 25, 0}, {"ad_revenue", 5, 1}},
	{{"purchase", 40, 2}, {"add_to_cart", 35, 0}, {"checkout_start", 20, 0}, {"refund", 5, 2}},
	{{"registration", 35, 0}, {"kyc_complete", 25, 0}, {"deposit", 25, 3}, {"subscribe", 15, 4}},
};
static const char *const placements[4] = {"rewarded_video", "interstitial", "banner", "feed"};

/* ---- per-tenant model parameters ---- */
static const double ios_share[UNMO_GEN_TENANTS] = {0.45, 0.40, 0.50};
static const double lat_share[2] = {0.35, 0.05}; /* iOS, Android: no advertising id */
static const double cuid_share[UNMO_GEN_TENANTS] = {0.20, 0.60, 0.85};
static const double ipv6_share = 0.10;
#define P_REINSTALL 0.06
#define P_REINSTALL_RT 0.5    /* reinstall preceded by a retargeting click */
#define P_REINSTALL_NONRT 0.2 /* ... and/or an ordinary click (must not win) */
#define P_REENGAGE 0.08
#define SESSIONS_MEAN 1.5
#define AUDIENCE_TOUCHES 3.0 /* 1 + geometric(2) */

/* Installer scenarios (devices with an advertising id). */
enum scen { SC_CLICK, SC_VIEW, SC_ORGANIC, SC_PROB, SC_ANON_VIEW };
static const uint8_t scen_weights_id[5] = {60, 15, 17, 8, 0};
static const uint8_t scen_weights_lat[5] = {0, 0, 40, 45, 15};

/* Expected clicks/impressions of one installer journey, mirroring
 * make_installer below; used to calibrate the audience mix. */
static void installer_touch_means(unsigned tn, double *clicks, double *imps)
{
	double lat = ios_share[tn] * lat_share[0] + (1 - ios_share[tn]) * lat_share[1], id = 1 - lat;
	double c = id * (0.60 * 2.0 + 0.08 * 1.5) + lat * 0.45 * 1.5;
	double i = id * (0.60 * (1.0 + 0.2) + 0.15 * 2.0) + lat * 0.15 * 2.0;
	c += id * (P_REINSTALL * (P_REINSTALL_RT + P_REINSTALL_NONRT) + P_REENGAGE);
	*clicks = c;
	*imps = i;
}

/* ---- model state ---- */
struct device {
	uint8_t tenant, platform, os_major, os_minor, model, country, ip_version, app_ver;
	bool lat, has_cuid;
	uint8_t adv[16], vend[16];
	uint8_t ip[16];
	uint32_t cuid;
	uint32_t source;
	uint32_t refs;      /* pending events */
	uint32_t next_free; /* free-list link */
};

/* A pending event: everything needed to materialize it later. */
struct pend {
	int64_t t;
	uint64_t order;
	uint32_t dev;
	uint32_t truth;     /* truth pool index + 1, or 0 */
	int64_t revenue;
	uint8_t id[16];
	uint8_t type, flags;
	uint8_t anon;       /* touch without device ids */
	uint8_t alt_ip;     /* touch from another network (not the device's IP) */
	uint8_t src, camp, name, style;
	uint16_t adset, site, creative;
	uint32_t alt_ip_n;
};

/* A pending event's truth: an install's, or a conversion's or app open's
 * credit (which one: the event's type). */
struct truth_slot {
	union {
		struct unmo_gen_truth install;
		struct unmo_gen_credit credit;
		struct unmo_gen_flood flood;
	};
};

struct tenant_state {
	bool on;
	double base_rate;   /* journeys per microsecond at multiplier 1 */
	double p_installer; /* share of journeys that install */
	double conv_mean;   /* conversions per installer */
	double audience_click; /* P(click) for an audience touch */
	int64_t next_arrival;
	int64_t burst_start, burst_end;
	struct rng burst_rng;
};

struct unmo_gen {
	struct unmo_gen_opts o;
	struct rng r;
	struct tenant_state ts[UNMO_GEN_TENANTS];
	int64_t t_begin;   /* model start (start - warm-up) */
	uint64_t emitted, order, ip_counter;
	struct pend *heap;
	size_t nheap, capheap;
	struct device *dev;
	uint32_t ndev, capdev, dev_free;
	struct truth_slot *truth;
	uint32_t ntruth, captruth, truth_free_head;
	uint32_t *truth_free;
	uint32_t ntruth_free, captruth_free;
	struct unmo_event ev;
	char scratch[4096];
	size_t scratch_len;
};

static const double shape_by_hour[24] = {
	0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 1.2, 1.2, 1.2, 1.0, 1.0,
	1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 0.7, 0.7, 0.7,
};
#define SHAPE_SUM 20.3 /* sum of the multipliers: normalises a day to events_per_day */
#define SHAPE_MAX 1.5
#define BURST_FACTOR 3.0
#define BURSTS_PER_DAY 3.0

static double shape_at(int64_t t)
{
	int64_t d = t % DAY_US;
	if (d < 0)
		d += DAY_US;
	return shape_by_hour[d / HOUR_US] * 24.0 / SHAPE_SUM;
}

/* ---- growable arrays ---- */
static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap * 2 : 1024;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

static bool pend_less(const struct pend *a, const struct pend *b)
{
	return a->t < b->t || (a->t == b->t && a->order < b->order);
}

/* Into the heap with the creation order p->order already given. */
static bool heap_insert(struct unmo_gen *g, const struct pend *p)
{
	if (!grow((void **)&g->heap, &g->capheap, g->nheap + 1, sizeof *g->heap))
		return false;
	size_t i = g->nheap++;
	while (i) {
		size_t up = (i - 1) / 2;
		if (!pend_less(p, &g->heap[up]))
			break;
		g->heap[i] = g->heap[up];
		i = up;
	}
	g->heap[i] = *p;
	g->dev[p->dev].refs++;
	return true;
}

static bool heap_push(struct unmo_gen *g, struct pend *p)
{
	p->order = g->order++;
	return heap_insert(g, p);
}

static void heap_pop(struct unmo_gen *g, struct pend *out)
{
	*out = g->heap[0];
	struct pend last = g->heap[--g->nheap];
	size_t i = 0, n = g->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && pend_less(&g->heap[c + 1], &g->heap[c]))
			c++;
		if (!pend_less(&g->heap[c], &last))
			break;
		g->heap[i] = g->heap[c];
		i = c;
	}
	if (n)
		g->heap[i] = last;
}

static uint32_t dev_alloc(struct unmo_gen *g)
{
	if (g->dev_free != UINT32_MAX) {
		uint32_t i = g->dev_free;
		g->dev_free = g->dev[i].next_free;
		return i;
	}
	size_t cap = g->capdev;
	if (!grow((void **)&g->dev, &cap, (size_t)g->ndev + 1, sizeof *g->dev))
		return UINT32_MAX;
	g->capdev = (uint32_t)cap;
	return g->ndev++;
}

static void dev_release(struct unmo_gen *g, uint32_t i)
{
	if (--g->dev[i].refs == 0) {
		g->dev[i].next_free = g->dev_free;
		g->dev_free = i;
	}
}

static uint32_t truth_alloc(struct unmo_gen *g)
{
	if (g->ntruth_free)
		return g->truth_free[--g->ntruth_free];
	size_t cap = g->captruth;
	if (!grow((void **)&g->truth, &cap, (size_t)g->ntruth + 1, sizeof *g->truth))
		return UINT32_MAX;
	g->captruth = (uint32_t)cap;
	return g->ntruth++;
}

static void truth_release(struct unmo_gen *g, uint32_t i)
{
	size_t cap = g->captruth_free;
	if (!grow((void **)&g->truth_free, &cap, (size_t)g->ntruth_free + 1, sizeof *g->truth_free))
		return; /* leaks one slot; harmless */
	g->captruth_free = (uint32_t)cap;
	g->truth_free[g->ntruth_free++] = i;
}

/* ---- names shared by events and truth ---- */
static void campaign_name(char *out, size_t cap, unsigned tenant, unsigned platform, unsigned src,
			  bool rt, unsigned camp)
{
	snprintf(out, cap, "%s_%s_%s_%s_%02u", tenant_prefix[tenant], platform == UNMO_PLAT_IOS ? "ios" : "and",
		 source_short[src], rt ? "rt" : "ua", camp);
}

void unmo_gen_hex(const uint8_t id[16], char out[33])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 15];
	}
	out[32] = 0;
}

/* ---- the reference waterfall ---- */
static bool touch_later(const struct unmo_gen_touch *a, const struct unmo_gen_touch *b)
{
	/* latest wins; ties: click over impression, then lower event id (the
	 * generator sends recv_time 0, so the recv-time tie-break never decides) */
	if (a->time_us != b->time_us)
		return a->time_us > b->time_us;
	if (a->type != b->type)
		return a->type == UNMO_EV_CLICK;
	return memcmp(a->event_id, b->event_id, 16) < 0;
}

int unmo_gen_waterfall(const struct unmo_gen_touch *t, size_t n, int64_t install_us,
		       bool only_retargeting, enum unmo_gen_match *match)
{
	/* step: 0 deterministic click, 1 probabilistic click, 2 deterministic impression */
	static const int64_t window[3] = {UNMO_GEN_CLICK_WINDOW_US, UNMO_GEN_PROB_WINDOW_US,
					  UNMO_GEN_VIEW_WINDOW_US};
	for (int step = 0; step < 3; step++) {
		int best = -1;
		for (size_t i = 0; i < n; i++) {
			const struct unmo_gen_touch *x = &t[i];
			int64_t age = install_us - x->time_us;
			if (age < 0 || age > window[step] || (only_retargeting && !x->retargeting))
				continue;
			bool ok = step == 0   ? x->det && x->type == UNMO_EV_CLICK
				  : step == 1 ? !x->det && x->prob && x->type == UNMO_EV_CLICK
					      : x->det && x->type == UNMO_EV_IMPRESSION;
			if (ok && (best < 0 || touch_later(x, &t[best])))
				best = (int)i;
		}
		if (best >= 0) {
			*match = step == 1 ? UNMO_GEN_MATCH_PROBABILISTIC : UNMO_GEN_MATCH_DETERMINISTIC;
			return best;
		}
	}
	*match = UNMO_GEN_MATCH_ORGANIC;
	return -1;
}

/* One row of truth.csv or credits.csv: the event's five columns (id, app,
 * type, time, label), then the credited touch's six (empty but for
 * retargeting 0 when there is none), then ",tail" unless tail is NULL. */
static size_t truth_row(char *buf, size_t cap, const uint8_t id16[16], uint8_t tenant, uint8_t type, int64_t t,
			const char *label, const struct unmo_gen_credited *x, const char *tail)
{
	char id[33], tid[33] = "", ttime[24] = "";
	unmo_gen_hex(id16, id);
	if (x->type) {
		unmo_gen_hex(x->event_id, tid);
		snprintf(ttime, sizeof ttime, "%lld", (long long)x->time_us);
	}
	int n = snprintf(buf, cap, "%s,%s,%s,%lld,%s,%s,%s,%s,%s,%s,%d%s%s\n", id, unmo_gen_profiles[tenant].app_id,
			 unmo_event_type_names[type], (long long)t, label, tid,
			 x->type ? unmo_event_type_names[x->type] : "", x->media_source, x->campaign, ttime,
			 x->retargeting ? 1 : 0, tail ? "," : "", tail ? tail : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t unmo_gen_truth_format(const struct unmo_gen_truth *t, char *buf, size_t cap)
{
	return truth_row(buf, cap, t->install_event_id, t->tenant, t->install_type, t->install_time_us,
			 unmo_gen_match_names[t->match], &t->touch, unmo_gen_outcome_names[t->outcome]);
}

size_t unmo_gen_credit_format(const struct unmo_gen_credit *c, char *buf, size_t cap)
{
	return truth_row(buf, cap, c->event_id, c->tenant, c->event_type, c->time_us, unmo_gen_via_names[c->via],
			 &c->touch, NULL);
}

size_t unmo_gen_flood_format(const struct unmo_gen_flood *f, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s,%s,%s,%s,%s,%u,%lld,%lld,%d\n", unmo_gen_profiles[f->tenant].app_id,
			 f->advertising_id, f->media_source, f->campaign, unmo_gen_flood_kind_names[f->kind], f->clicks,
			 (long long)f->first_us, (long long)f->last_us, f->flood ? 1 : 0);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* b as a UUID string (8-4-4-4-12 hex digits; upper-case: as iOS sends
 * IDFA and IDFV) into out. */
static void uuid_format(const uint8_t b[16], bool upper, char out[37])
{
	char h[33];
	unmo_gen_hex(b, h);
	if (upper)
		for (int i = 0; i < 32; i++)
			if (h[i] >= 'a')
				h[i] = (char)(h[i] - 32);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

/* ---- journeys ---- */
static void new_id(struct unmo_gen *g, uint8_t id[16])
{
	uint64_t a = rng_u64(&g->r), b = rng_u64(&g->r) | 1; /* never all-zero */
	memcpy(id, &a, 8);
	memcpy(id + 8, &b, 8);
}

/* Address number n (unique per device or network): a counter through an
 * odd-multiplier permutation of 24 bits (IPv4), or spread over the
 * interface id (IPv6); the prefix says the country. */
static void ip_from_number(uint64_t n, unsigned country, uint8_t *ipv, uint8_t ip[16], bool v6)
{
	memset(ip, 0, 16);
	if (v6) {
		*ipv = 6;
		ip[0] = (uint8_t)(country_v6[country] >> 8);
		ip[1] = (uint8_t)country_v6[country];
		ip[2] = (uint8_t)(n >> 40);
		ip[3] = (uint8_t)(n >> 32);
		uint64_t iid = n * 0x9e3779b97f4a7c15ull;
		for (int i = 0; i < 8; i++)
			ip[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
	} else {
		*ipv = 4;
		uint32_t h = (uint32_t)((n * 0x9e3779bull) & 0xffffff);
		ip[0] = country_octet[country][(n >> 24) & 1];
		ip[1] = (uint8_t)(h >> 16);
		ip[2] = (uint8_t)(h >> 8);
		ip[3] = (uint8_t)h;
	}
}

static uint32_t make_device(struct unmo_gen *g, unsigned tn)
{
	uint32_t di = dev_alloc(g);
	if (di == UINT32_MAX)
		return di;
	struct device *d = &g->dev[di];
	memset(d, 0, sizeof *d);
	struct rng *r = &g->r;
	d->tenant = (uint8_t)tn;
	d->platform = rng_chance(r, ios_share[tn]) ? UNMO_PLAT_IOS : UNMO_PLAT_ANDROID;
	bool ios = d->platform == UNMO_PLAT_IOS;
	if (ios) {
		unsigned v = rng_below(r, NIOS);
		d->os_major = ios_versions[v][0];
		d->os_minor = ios_versions[v][1];
	} else {
		d->os_major = (uint8_t)rng_below(r, NANDROID);
		d->model = (uint8_t)rng_below(r, NMODELS);
	}
	d->lat = rng_chance(r, lat_share[ios ? 0 : 1]);
	new_id(g, d->adv);
	new_id(g, d->vend);
	d->has_cuid = rng_chance(r, cuid_share[tn]);
	d->cuid = 100000000u + rng_below(r, 900000000u);
	d->country = (uint8_t)rng_pick(r, country_weights, NCOUNTRIES);
	ip_from_number(++g->ip_counter, d->country, &d->ip_version, d->ip, rng_chance(r, ipv6_share));
	d->app_ver = (uint8_t)rng_below(r, 2);
	d->source = (uint32_t)rng_u64(r);
	d->next_free = UINT32_MAX;
	return di;
}

/* Style of an event when its tenant's own sender sends it. */
static uint8_t style_of(unsigned tn, unsigned type)
{
	if (tn == UNMO_GEN_TECHSTART)
		return UNMO_GEN_SINGLE;
	if (tn == UNMO_GEN_ECOMGROWTH)
		return UNMO_GEN_BATCH;
	/* FinanceTrack: the app's SDK sends device events, its server the rest */
	bool server = type == UNMO_EV_CONVERSION || type == UNMO_EV_CLICK || type == UNMO_EV_IMPRESSION;
	return server ? UNMO_GEN_BATCH : UNMO_GEN_SINGLE;
}

struct journey {
	struct unmo_gen *g;
	uint32_t dev;
	bool ok;
	struct unmo_gen_touch touches[32];
	size_t ntouch;
	char names[32][2][UNMO_GEN_NAME_MAX];
	/* app opens and conversions, created (ids drawn, creation order
	 * given) in the model's order but pushed once their credit is known */
	struct pend *later;
	size_t nlater, caplater;
};

static struct pend base_pend(struct journey *j, uint8_t type, int64_t t)
{
	struct pend p;
	memset(&p, 0, sizeof p);
	p.t = t;
	p.dev = j->dev;
	p.type = type;
	p.style = style_of(j->g->dev[j->dev].tenant, type);
	new_id(j->g, p.id);
	return p;
}

static void push(struct journey *j, struct pend *p)
{
	if (!heap_push(j->g, p))
		j->ok = false;
}

/* Created now, pushed by credit_journey: the creation order is taken now,
 * so the stream is the same as if it were pushed now. */
static void push_later(struct journey *j, struct pend *p)
{
	p->order = j->g->order++;
	if (!grow((void **)&j->later, &j->caplater, j->nlater + 1, sizeof *j->later)) {
		j->ok = false;
		return;
	}
	j->later[j->nlater++] = *p;
}

/* A touch's pending event; src, camp: its media source and campaign, or
 * -1 to draw them (the draws of every other field stay in their order). */
static struct pend touch_pend(struct journey *j, uint8_t type, int64_t t, bool rt, bool anon, bool alt_ip, int src,
			      int camp)
{
	struct unmo_gen *g = j->g;
	const struct device *d = &g->dev[j->dev];
	struct rng *r = &g->r;
	struct pend p = base_pend(j, type, t);
	p.flags = rt ? UNMO_EVF_RETARGETING : 0;
	p.anon = anon;
	p.alt_ip = alt_ip;
	if (alt_ip)
		p.alt_ip_n = (uint32_t)++g->ip_counter;
	p.src = (uint8_t)(src >= 0 ? (unsigned)src : rng_pick(r, source_weights[d->tenant], NSOURCES));
	p.camp = (uint8_t)(camp >= 0 ? (unsigned)camp : 1 + rng_below(r, rt ? 3 : 8));
	p.adset = (uint16_t)(1 + rng_below(r, 40));
	p.site = (uint16_t)(1 + rng_below(r, 5000));
	p.creative = (uint16_t)(1 + rng_below(r, 900));
	p.name = (uint8_t)rng_below(r, 4); /* placement */
	return p;
}

/* Add one touch; records it for the truth when it will be emitted. */
static void add_touch(struct journey *j, uint8_t type, int64_t t, bool rt, bool anon, bool alt_ip)
{
	struct unmo_gen *g = j->g;
	const struct device *d = &g->dev[j->dev];
	struct pend p = touch_pend(j, type, t, rt, anon, alt_ip, -1, -1);
	push(j, &p);
	if (t < g->o.start_us || j->ntouch == sizeof j->touches / sizeof j->touches[0])
		return; /* never emitted: cannot get credit */
	struct unmo_gen_touch *x = &j->touches[j->ntouch];
	char *ms = j->names[j->ntouch][0], *camp = j->names[j->ntouch][1];
	snprintf(ms, UNMO_GEN_NAME_MAX, "%s", media_sources[p.src]);
	campaign_name(camp, UNMO_GEN_NAME_MAX, d->tenant, d->platform, p.src, rt, p.camp);
	x->time_us = t;
	memcpy(x->event_id, p.id, 16);
	x->type = type;
	x->retargeting = rt;
	/* The install is matched on its advertising id when it has one: a touch
	 * is deterministic when it carries that id. Touches never carry vendor
	 * or customer user ids, so LAT installs only match probabilistically. */
	x->det = !anon && !d->lat;
	x->prob = anon && !alt_ip; /* same IP and same user agent family as the device */
	x->media_source = ms;
	x->campaign = camp;
	j->ntouch++;
}

/* o: the touch x credits (NULL: none). */
static void credited(struct unmo_gen_credited *o, const struct unmo_gen_touch *x)
{
	memset(o, 0, sizeof *o);
	if (!x)
		return;
	memcpy(o->event_id, x->event_id, 16);
	o->type = x->type;
	o->retargeting = x->retargeting;
	o->time_us = x->time_us;
	snprintf(o->media_source, sizeof o->media_source, "%s", x->media_source);
	snprintf(o->campaign, sizeof o->campaign, "%s", x->campaign);
}

static void fill_truth(struct unmo_gen_truth *tr, const struct journey *j, int idx,
		       enum unmo_gen_match m)
{
	tr->match = (uint8_t)m;
	credited(&tr->touch, idx < 0 ? NULL : &j->touches[idx]);
}

static int64_t ctit_sample(struct rng *r)
{
	double u = rng_unit(r);
	if (u < 0.80)
		return rng_lognormal(r, 15.0 * MIN_US, 1.6, 3 * US, 20 * HOUR_US);
	if (u < 0.94)
		return rng_range(r, 20 * HOUR_US, 3 * DAY_US);
	return rng_range(r, 3 * DAY_US, 9 * DAY_US);
}

/* An install (or reinstall) event with its truth. first: the device's
 * first install truth (NULL for the first install itself). *ti_out (unless
 * NULL): the truth's index + 1 in g->truth (0: not emitted), for
 * credit_journey to revise. */
static void add_install(struct journey *j, uint8_t type, int64_t t, const struct unmo_gen_truth *first,
			int64_t first_time, struct unmo_gen_truth *out, uint32_t *ti_out)
{
	struct unmo_gen *g = j->g;
	struct pend p = base_pend(j, type, t);
	enum unmo_gen_match m;
	int idx;
	/* "First install" is the first one in the data: a reinstall whose first
	 * install is not emitted (before the start) is a new install. */
	if (first && first_time >= g->o.start_us && t - first_time <= UNMO_GEN_REATTR_WINDOW_US) {
		idx = unmo_gen_waterfall(j->touches, j->ntouch, t, true, &m);
		if (idx < 0) {
			*out = *first;
			out->match = UNMO_GEN_MATCH_ORIGINAL;
			out->outcome = UNMO_GEN_REINSTALL;
		} else {
			fill_truth(out, j, idx, m);
			out->outcome = UNMO_GEN_REATTRIBUTION;
		}
	} else {
		idx = unmo_gen_waterfall(j->touches, j->ntouch, t, false, &m);
		fill_truth(out, j, idx, m);
		out->outcome = UNMO_GEN_NEW_INSTALL;
	}
	memcpy(out->install_event_id, p.id, 16);
	out->tenant = g->dev[j->dev].tenant;
	out->install_type = type;
	out->install_time_us = t;
	if (t >= g->o.start_us) {
		uint32_t ti = truth_alloc(g);
		if (ti == UINT32_MAX) {
			j->ok = false;
			return;
		}
		g->truth[ti].install = *out;
		p.truth = ti + 1;
	}
	if (ti_out)
		*ti_out = p.truth;
	push(j, &p);
}

static int64_t revenue_sample(struct rng *r, unsigned kind, const char *cur)
{
	bool jpy = !strcmp(cur, "JPY");
	/* amounts in minor units (cents), JPY in whole yen */
	static const int64_t iap[4] = {99, 499, 999, 1999};
	int64_t cents;
	switch (kind) {
	case 1: cents = iap[rng_below(r, 4)]; break;
	case 2: cents = rng_range(r, 1500, 25000); break;
	case 3: cents = rng_range(r, 50, 2000) * 100; break;
	default: cents = 999; break;
	}
	if (jpy)
		return cents * 150 / 100 * 1000000; /* whole yen */
	return cents * 10000;
}

/* Type order of events at one microsecond, as unmo-attr groups them. */
static int later_rank(uint8_t type)
{
	return type == UNMO_EV_SESSION ? 0 : type == UNMO_EV_REENGAGEMENT ? 1 : 2;
}

static int later_cmp(const void *pa, const void *pb)
{
	const struct pend *a = pa, *b = pb;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	int ra = later_rank(a->type), rb = later_rank(b->type);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* A re-attribution whose retargeting touch is already used (credited to a
 * re-engagement in between) is a kept reinstall instead: a touch is credited
 * once (docs/attribution.md section 6). Revises the emitted truth (ti: its
 * index + 1) and *tr; true if it did. */
static bool reattribution_of_used(struct journey *j, struct unmo_gen_truth *tr, uint32_t ti,
				  const struct unmo_gen_truth *first, const bool used[32])
{
	if (tr->outcome != UNMO_GEN_REATTRIBUTION)
		return false;
	size_t k = 0;
	while (k < j->ntouch && memcmp(j->touches[k].event_id, tr->touch.event_id, 16))
		k++;
	if (k == j->ntouch || !used[k])
		return false;
	tr->touch = first->touch;
	tr->match = UNMO_GEN_MATCH_ORIGINAL;
	tr->outcome = UNMO_GEN_REINSTALL;
	if (ti)
		j->g->truth[ti - 1].install = *tr;
	return true;
}

/* The credit of the journey's emitted conversions and of the app opens
 * that start a re-engagement (docs/attribution.md sections 6-8, default
 * windows), replayed in time order over the emitted events: an install or
 * re-attribution sets the device's attribution (its truth), uses its touch
 * and ends a re-engagement; a kept reinstall changes neither. An open of an
 * installed device takes the device's latest retargeting click in the 7
 * days before it, unless that click is already used or older than the
 * latest install: a re-engagement of 30 days from the open. A conversion
 * takes the running re-engagement's click, else the attribution, else none.
 * Then the opens and conversions go into the heap. */
static void credit_journey(struct journey *j, int64_t t1, const struct unmo_gen_truth *first, int64_t t2,
			   struct unmo_gen_truth *second, uint32_t second_ti)
{
	struct unmo_gen *g = j->g;
	int64_t start = g->o.start_us;
	if (j->nlater > 1) /* qsort(NULL, 0) is undefined */
		qsort(j->later, j->nlater, sizeof *j->later, later_cmp);
	const struct unmo_gen_truth *inst[2] = {first, second};
	bool used[32] = {false};
	int64_t inst_t[2] = {t1, t2};
	unsigned ninst = second ? 2 : 1, next = 0;
	bool installed = false, reeng = false;
	int64_t last_install = 0, reeng_end = 0;
	struct unmo_gen_credited attr = {0}, reeng_by = {0};
	for (size_t i = 0; i <= j->nlater && j->ok; i++) {
		/* i == nlater: only the installs after every open and conversion */
		int64_t upto = i < j->nlater ? j->later[i].t : INT64_MAX;
		for (; next < ninst && inst_t[next] <= upto; next++) { /* installs come first at a tie */
			const struct unmo_gen_truth *tr = inst[next];
			if (inst_t[next] < start)
				continue; /* not emitted */
			last_install = inst_t[next];
			if (next == 1)
				reattribution_of_used(j, second, second_ti, first, used);
			if (tr->match == UNMO_GEN_MATCH_ORIGINAL)
				continue; /* a kept reinstall */
			installed = true;
			reeng = false;
			attr = tr->touch;
			for (size_t k = 0; k < j->ntouch; k++)
				if (attr.type && !memcmp(j->touches[k].event_id, attr.event_id, 16))
					used[k] = true;
		}
		if (i == j->nlater)
			break;
		struct pend *p = &j->later[i];
		if (p->t < start)
			continue;
		struct unmo_gen_credit c = {0};
		bool has = false;
		if (p->type == UNMO_EV_CONVERSION) {
			has = true;
			if (reeng && p->t <= reeng_end) {
				c.touch = reeng_by;
				c.via = UNMO_GEN_VIA_REENGAGEMENT;
			} else if (installed) {
				c.touch = attr;
				c.via = UNMO_GEN_VIA_INSTALL;
			}
		} else if (installed) { /* an app open */
			int best = -1;
			for (size_t k = 0; k < j->ntouch; k++) {
				const struct unmo_gen_touch *x = &j->touches[k];
				if (x->det && x->retargeting && x->type == UNMO_EV_CLICK && x->time_us <= p->t &&
				    (best < 0 || x->time_us > j->touches[best].time_us))
					best = (int)k;
			}
			if (best >= 0 && !used[best] && j->touches[best].time_us >= p->t - UNMO_GEN_RETARGET_CLICK_US &&
			    j->touches[best].time_us >= last_install) {
				used[best] = true;
				reeng = true;
				reeng_end = p->t + UNMO_GEN_REENGAGEMENT_US;
				credited(&reeng_by, &j->touches[best]);
				c.touch = reeng_by;
				c.via = UNMO_GEN_VIA_REENGAGES;
				has = true;
			}
		}
		if (has) {
			uint32_t ti = truth_alloc(g);
			if (ti == UINT32_MAX) {
				j->ok = false;
				break;
			}
			memcpy(c.event_id, p->id, 16);
			c.tenant = g->dev[j->dev].tenant;
			c.event_type = p->type;
			c.time_us = p->t;
			g->truth[ti].credit = c;
			p->truth = ti + 1;
		}
	}
	for (size_t i = 0; i < j->nlater; i++)
		if (!heap_insert(g, &j->later[i]))
			j->ok = false;
}

static void make_installer(struct unmo_gen *g, unsigned tn, int64_t t0)
{
	struct rng *r = &g->r;
	struct journey *j = calloc(1, sizeof *j); /* large: keep it off the stack */
	if (!j)
		return;
	j->g = g;
	j->ok = true;
	j->dev = make_device(g, tn);
	if (j->dev == UINT32_MAX) {
		free(j);
		return;
	}
	g->dev[j->dev].refs++; /* held while building */
	const struct device *d = &g->dev[j->dev];
	bool lat = d->lat;
	enum scen sc = (enum scen)rng_pick(r, lat ? scen_weights_lat : scen_weights_id, 5);
	int64_t t = t0, install;
	switch (sc) {
	case SC_CLICK: {
		unsigned nimp = rng_below(r, 3), ncl = 1 + rng_below(r, 3), n = nimp + ncl;
		for (unsigned i = 0; i < n; i++) {
			bool click = rng_below(r, n - i) < ncl; /* random interleaving */
			ncl -= click;
			add_touch(j, click ? UNMO_EV_CLICK : UNMO_EV_IMPRESSION, t, false, false, false);
			if (i + 1 < n)
				t += 1 + rng_exp(r, 30.0 * MIN_US);
		}
		install = t + ctit_sample(r);
		if (rng_chance(r, 0.2)) /* a view after the click: the click still wins */
			add_touch(j, UNMO_EV_IMPRESSION, t + (install - t) / 2, false, false, false);
		break;
	}
	case SC_VIEW: {
		unsigned n = 1 + rng_below(r, 3);
		for (unsigned i = 0; i < n; i++) {
			add_touch(j, UNMO_EV_IMPRESSION, t, false, false, false);
			if (i + 1 < n)
				t += 1 + rng_exp(r, 40.0 * MIN_US);
		}
		install = t + rng_lognormal(r, 2.0 * HOUR_US, 1.4, 10 * US, 2 * DAY_US);
		break;
	}
	case SC_PROB: {
		unsigned n = 1 + rng_below(r, 2);
		bool moved = rng_chance(r, 0.25); /* clicked on another network: no match */
		for (unsigned i = 0; i < n; i++) {
			add_touch(j, UNMO_EV_CLICK, t, false, true, moved);
			if (i + 1 < n)
				t += 1 + rng_exp(r, 20.0 * MIN_US);
		}
		install = t + rng_lognormal(r, 1.0 * HOUR_US, 1.5, 5 * US, 2 * DAY_US);
		break;
	}
	case SC_ANON_VIEW: {
		unsigned n = 1 + rng_below(r, 3);
		for (unsigned i = 0; i < n; i++) {
			add_touch(j, UNMO_EV_IMPRESSION, t, false, true, false);
			if (i + 1 < n)
				t += 1 + rng_exp(r, 30.0 * MIN_US);
		}
		install = t + rng_lognormal(r, 1.0 * HOUR_US, 1.0, 5 * US, 20 * HOUR_US);
		break;
	}
	default:
		install = t;
		break;
	}
	struct unmo_gen_truth first;
	uint32_t second_ti = 0;
	add_install(j, UNMO_EV_INSTALL, install, NULL, 0, &first, NULL);

	unsigned ns = rng_geometric(r, SESSIONS_MEAN);
	for (unsigned i = 0; i < ns; i++) {
		struct pend p = base_pend(j, UNMO_EV_SESSION, install + 1 + rng_exp(r, 6.0 * HOUR_US));
		push_later(j, &p);
	}
	double conv_mean = g->ts[tn].conv_mean;
	unsigned nc = rng_geometric(r, conv_mean);
	for (unsigned i = 0; i < nc; i++) {
		struct pend p = base_pend(j, UNMO_EV_CONVERSION,
					  install + rng_lognormal(r, 2.0 * HOUR_US, 1.5, 5 * US, 6 * DAY_US));
		uint8_t w[NNAMES];
		for (unsigned k = 0; k < NNAMES; k++)
			w[k] = conv_kinds[tn][k].weight;
		p.name = (uint8_t)rng_pick(r, w, NNAMES);
		unsigned rk = conv_kinds[tn][p.name].revenue;
		if (rk)
			p.revenue = revenue_sample(r, rk, country_currency[d->country]);
		if (!strcmp(conv_kinds[tn][p.name].name, "refund"))
			p.revenue = -p.revenue;
		push_later(j, &p);
	}
	int64_t reeng_click = -1;
	struct unmo_gen_truth second;
	bool has_second = false;
	int64_t re = 0;
	if (!lat && rng_chance(r, P_REENGAGE)) {
		reeng_click = install + rng_range(r, HOUR_US, 3 * DAY_US);
		add_touch(j, UNMO_EV_CLICK, reeng_click, true, false, false);
		struct pend p = base_pend(j, UNMO_EV_REENGAGEMENT,
					  reeng_click + rng_lognormal(r, 5.0 * MIN_US, 1.0, US, 2 * HOUR_US));
		push_later(j, &p);
		/* the re-engagement window's last microsecond and the first past it */
		for (int64_t k = 0; g->o.reengagement_edges && k < 2; k++) {
			struct pend c = base_pend(j, UNMO_EV_CONVERSION, p.t + UNMO_GEN_REENGAGEMENT_US + k);
			c.name = 1; /* every tenant's second kind has no revenue */
			push_later(j, &c);
		}
	}
	if (rng_chance(r, P_REINSTALL)) {
		re = install + rng_range(r, 2 * HOUR_US, 3 * DAY_US);
		if (!lat && rng_chance(r, P_REINSTALL_NONRT)) {
			int64_t ct = re - rng_range(r, MIN_US, HOUR_US);
			add_touch(j, UNMO_EV_CLICK, ct > install ? ct : install + 1, false, false, false);
		}
		if (!lat && rng_chance(r, P_REINSTALL_RT)) {
			int64_t ct = re - rng_lognormal(r, 30.0 * MIN_US, 1.2, 10 * US, 6 * DAY_US);
			add_touch(j, UNMO_EV_CLICK, ct > install ? ct : install + 1, true, false, false);
		}
		add_install(j, UNMO_EV_REINSTALL, re, &first, install, &second, &second_ti);
		has_second = true;
	}
	credit_journey(j, install, &first, has_second ? re : 0, has_second ? &second : NULL, second_ti);
	dev_release(g, j->dev);
	free(j->later);
	free(j);
}

static void make_audience(struct unmo_gen *g, unsigned tn, int64_t t0)
{
	struct rng *r = &g->r;
	struct journey j;
	j.g = g;
	j.ok = true;
	j.ntouch = sizeof j.touches / sizeof j.touches[0]; /* no truth needed */
	j.dev = make_device(g, tn);
	if (j.dev == UINT32_MAX)
		return;
	g->dev[j.dev].refs++;
	bool lat = g->dev[j.dev].lat;
	unsigned n = 1 + rng_geometric(r, AUDIENCE_TOUCHES - 1);
	int64_t t = t0;
	for (unsigned i = 0; i < n; i++) {
		bool click = rng_chance(r, g->ts[tn].audience_click);
		add_touch(&j, click ? UNMO_EV_CLICK : UNMO_EV_IMPRESSION, t, false, lat, false);
		t += 1 + rng_exp(r, HOUR_US);
	}
	dev_release(g, j.dev);
}

/* A click-flood device (opts.flood_share): an audience device with an
 * advertising id (never limited ad tracking: its clicks are deterministic)
 * whose only events are clicks of one media source and campaign, in one of
 * the flood rule's edge cases (enum unmo_gen_flood_kind), kinds equally
 * likely. Click i of n is at t0 + i * span / (n - 1): the last exactly
 * span after the first. Journeys due before the stream starts are
 * ordinary audience journeys, so a flood's clicks are all emitted up to
 * the one carrying its row. */
static void make_flood(struct unmo_gen *g, unsigned tn, int64_t t0)
{
	if (t0 < g->o.start_us) {
		make_audience(g, tn, t0);
		return;
	}
	struct rng *r = &g->r;
	struct journey j;
	j.g = g;
	j.ok = true;
	j.ntouch = sizeof j.touches / sizeof j.touches[0]; /* the row below is its truth */
	j.dev = make_device(g, tn);
	if (j.dev == UINT32_MAX)
		return;
	struct device *d = &g->dev[j.dev];
	d->lat = false;
	d->refs++;
	unsigned kind = rng_below(r, 4), n = 50;
	int64_t span = DAY_US;
	if (kind == UNMO_GEN_FLOOD_DENSE) {
		n = 50 + rng_below(r, 31);
		span = rng_range(r, HOUR_US, 20 * HOUR_US);
	} else if (kind == UNMO_GEN_FLOOD_OVER) {
		span = DAY_US + 1;
	} else if (kind == UNMO_GEN_FLOOD_SHORT) {
		n = 49;
		span = rng_range(r, MIN_US, HOUR_US);
	}
	int src = (int)rng_pick(r, source_weights[tn], NSOURCES), camp = (int)(1 + rng_below(r, 8));
	uint32_t ti = truth_alloc(g);
	if (ti == UINT32_MAX) {
		dev_release(g, j.dev);
		return;
	}
	struct unmo_gen_flood *f = &g->truth[ti].flood;
	memset(f, 0, sizeof *f);
	f->tenant = (uint8_t)tn;
	f->kind = (uint8_t)kind;
	f->flood = kind == UNMO_GEN_FLOOD_DENSE || kind == UNMO_GEN_FLOOD_EDGE;
	f->clicks = n;
	f->first_us = t0;
	f->last_us = t0 + span;
	uuid_format(d->adv, d->platform == UNMO_PLAT_IOS, f->advertising_id); /* as the device sends it */
	snprintf(f->media_source, sizeof f->media_source, "%s", media_sources[src]);
	campaign_name(f->campaign, sizeof f->campaign, tn, d->platform, (unsigned)src, false, (unsigned)camp);
	/* the row comes with the click that decides: a flood's 50th, a miss's last */
	unsigned decide = f->flood ? 49 : n - 1;
	for (unsigned i = 0; i < n; i++) {
		struct pend p = touch_pend(&j, UNMO_EV_CLICK, t0 + span * (int64_t)i / (int64_t)(n - 1), false, false,
					   false, src, camp);
		p.truth = i == decide ? ti + 1 : 0;
		push(&j, &p);
	}
	dev_release(g, j.dev);
}

/* Arrival process: thinning of a Poisson process at the maximum rate. */
static double rate_at(struct tenant_state *s, int64_t t)
{
	while (t >= s->burst_end) {
		s->burst_start = s->burst_end + rng_exp(&s->burst_rng, (double)DAY_US / BURSTS_PER_DAY);
		s->burst_end = s->burst_start + rng_range(&s->burst_rng, 5 * MIN_US, 15 * MIN_US);
	}
	double burst = t >= s->burst_start ? BURST_FACTOR : 1.0;
	return s->base_rate * shape_at(t) * burst;
}

static void advance_arrival(struct unmo_gen *g, unsigned tn)
{
	struct tenant_state *s = &g->ts[tn];
	double max = s->base_rate * SHAPE_MAX * 24.0 / SHAPE_SUM * BURST_FACTOR;
	int64_t t = s->next_arrival;
	for (;;) {
		t += 1 + rng_exp(&g->r, 1.0 / max);
		if (rng_unit(&g->r) * max < rate_at(s, t))
			break;
	}
	s->next_arrival = t;
}

struct unmo_gen *unmo_gen_new(const struct unmo_gen_opts *o, char *err, size_t errlen)
{
	unsigned mask = o->tenant_mask ? o->tenant_mask : (1u << UNMO_GEN_TENANTS) - 1;
	if (mask >> UNMO_GEN_TENANTS) {
		snprintf(err, errlen, "unknown tenant in mask 0x%x", mask);
		return NULL;
	}
	if (o->duration_us < 0) {
		snprintf(err, errlen, "negative duration");
		return NULL;
	}
	if (!(o->flood_share >= 0 && o->flood_share <= 1)) {
		snprintf(err, errlen, "flood share %g is not within 0..1", o->flood_share);
		return NULL;
	}
	struct unmo_gen *g = calloc(1, sizeof *g);
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->o = *o;
	g->o.tenant_mask = mask;
	g->dev_free = UINT32_MAX;
	rng_seed(&g->r, o->seed);
	double per_day = 0;
	for (unsigned tn = 0; tn < UNMO_GEN_TENANTS; tn++)
		if (mask >> tn & 1)
			per_day += unmo_gen_profiles[tn].events_per_day;
	double days = o->duration_us ? (double)o->duration_us / (double)DAY_US : (double)o->events / per_day;
	double scale = days > 0 ? ((double)o->events / days) / per_day : 1.0;
	if (!(scale > 0))
		scale = 1.0;
	/* Warm-up: long enough for steady state (installs come up to 9 days
	 * after the first touch), short enough not to dominate small runs. */
	double warm_d = 20.0 * days * (double)DAY_US;
	int64_t warm = warm_d > 0 && warm_d < (double)PREWARM_MAX_US ? (int64_t)warm_d : PREWARM_MAX_US;
	g->t_begin = o->start_us - warm;
	for (unsigned tn = 0; tn < UNMO_GEN_TENANTS; tn++) {
		struct tenant_state *s = &g->ts[tn];
		s->on = mask >> tn & 1;
		if (!s->on)
			continue;
		const struct unmo_gen_profile *pf = &unmo_gen_profiles[tn];
		/* Calibrate: installs I = 1 + P_REINSTALL per installer; audience
		 * journeys fill the clicks/impressions the installers lack. */
		double inst = 1.0 + P_REINSTALL, cl, im;
		installer_touch_means(tn, &cl, &im);
		s->conv_mean = pf->share_conversion / pf->share_install * inst;
		double need_cl = pf->share_click / pf->share_install * inst - cl;
		double need_im = pf->share_impression / pf->share_install * inst - im;
		if (need_cl < 0)
			need_cl = 0;
		if (need_im < 0)
			need_im = 0;
		s->audience_click = need_cl / (need_cl + need_im);
		double audience_per_installer = (need_cl + need_im) / AUDIENCE_TOUCHES;
		s->p_installer = 1.0 / (1.0 + audience_per_installer);
		double lat = ios_share[tn] * lat_share[0] + (1 - ios_share[tn]) * lat_share[1];
		double ev_installer = inst + s->conv_mean + cl + im + SESSIONS_MEAN + (1 - lat) * P_REENGAGE;
		double ev_journey = s->p_installer * ev_installer + (1 - s->p_installer) * AUDIENCE_TOUCHES;
		double journeys_per_day = pf->events_per_day * scale / ev_journey;
		s->base_rate = journeys_per_day / (double)DAY_US;
		rng_seed(&s->burst_rng, o->seed ^ (0x5851f42d4c957f2dull * (tn + 1)));
		s->burst_end = g->t_begin;
		s->next_arrival = g->t_begin;
		advance_arrival(g, tn);
	}
	return g;
}

/* Materialize a pending event into g->ev with strings in g->scratch. */
static const char *keep(struct unmo_gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static const char *keep(struct unmo_gen *g, const char *fmt, ...)
{
	char *dst = g->scratch + g->scratch_len;
	size_t room = sizeof g->scratch - g->scratch_len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		n = 0;
	g->scratch_len += (size_t)n + 1;
	return dst;
}

static void set_str(struct unmo_event *e, int f, const char *s)
{
	e->s[f] = unmo_str_c(s);
}

static const char *uuid_str(struct unmo_gen *g, const uint8_t b[16], bool upper)
{
	char u[37];
	uuid_format(b, upper, u);
	return keep(g, "%s", u);
}

static void materialize(struct unmo_gen *g, const struct pend *p, struct unmo_gen_item *it)
{
	const struct device *d = &g->dev[p->dev];
	struct unmo_event *e = &g->ev;
	unsigned tn = d->tenant;
	bool ios = d->platform == UNMO_PLAT_IOS, touch = p->type == UNMO_EV_CLICK || p->type == UNMO_EV_IMPRESSION;
	unmo_event_clear(e);
	g->scratch_len = 0;
	memcpy(e->event_id, p->id, 16);
	e->type = p->type;
	e->platform = d->platform;
	e->flags = p->flags;
	e->event_time_us = p->t;
	memcpy(e->country, countries[d->country], 2);
	if (p->alt_ip) {
		uint8_t ipv;
		ip_from_number(p->alt_ip_n, d->country, &ipv, e->ip, false);
		e->ip_version = ipv;
	} else {
		e->ip_version = d->ip_version;
		memcpy(e->ip, d->ip, 16);
	}
	/* click trackers on dual-stack servers log half of the IPv4 clients'
	 * touches (by a bit of the event id: no extra draw) as IPv4-mapped
	 * IPv6, ::ffff:a.b.c.d: the same address for matching */
	if (touch && e->ip_version == 4 && (p->id[14] & 1)) {
		memmove(e->ip + 12, e->ip, 4);
		memset(e->ip, 0, 10);
		e->ip[10] = e->ip[11] = 0xff;
		e->ip_version = 6;
	}
	set_str(e, UNMO_S_APP_ID, unmo_gen_profiles[tn].app_id);
	bool with_ids = !(touch && (p->anon || d->lat));
	/* iOS gives the IDFA in upper case; half of the touches (by a bit of
	 * the event id: no extra draw) come from ad networks that lower-case it */
	if (with_ids && !d->lat)
		set_str(e, UNMO_S_ADVERTISING_ID, uuid_str(g, d->adv, ios && !(touch && (p->id[15] & 1))));
	/* Half of the LAT devices (by a bit of their vendor id: no extra draw,
	 * so the rest of the stream is unchanged) report the advertising id as
	 * zeros, as iOS does without tracking consent and Android after the
	 * user deleted the GAID, on all their events; the others send none.
	 * Zeros are no device id, so the truth is the same either way. */
	if (d->lat && (d->vend[15] & 1))
		set_str(e, UNMO_S_ADVERTISING_ID, "00000000-0000-0000-0000-000000000000");
	if (!touch) {
		if (ios)
			set_str(e, UNMO_S_VENDOR_ID, uuid_str(g, d->vend, true));
		else {
			char h[33];
			unmo_gen_hex(d->vend, h);
			set_str(e, UNMO_S_VENDOR_ID, keep(g, "%.16s", h));
		}
		bool post_install = p->type == UNMO_EV_CONVERSION || p->type == UNMO_EV_SESSION ||
				    p->type == UNMO_EV_REENGAGEMENT;
		if (d->has_cuid && post_install)
			set_str(e, UNMO_S_CUSTOMER_USER_ID, keep(g, "%s-%u", tenant_prefix[tn], d->cuid));
		set_str(e, UNMO_S_APP_VERSION, app_versions[tn][d->app_ver]);
		set_str(e, UNMO_S_SDK_VERSION, sdk_versions[ios ? 0 : 1]);
	}
	/* User agents: the browser/webview for touches, the app for the rest;
	 * both name the same OS version, hence the same UA family. */
	if (ios) {
		if (touch)
			set_str(e, UNMO_S_USER_AGENT,
				keep(g, "Mozilla/5.0 (iPhone; CPU iPhone OS %u_%u like Mac OS X) AppleWebKit/605.1.15 "
					"(KHTML, like Gecko) Version/%u.%u Mobile/15E148 Safari/604.1",
				     d->os_major, d->os_minor, d->os_major, d->os_minor));
		else if (p->id[13] & 1) /* half (event-id bit): the app's CFNetwork, Darwin = iOS + 6 */
			set_str(e, UNMO_S_USER_AGENT,
				keep(g, "%s-app/%u CFNetwork/1410.0.3 Darwin/%u.%u.0", tenant_prefix[tn], d->app_ver + 1u,
				     d->os_major + 6u, d->os_minor % 7u));
		else
			set_str(e, UNMO_S_USER_AGENT,
				keep(g, "Mozilla/5.0 (iPhone; CPU iPhone OS %u_%u like Mac OS X) AppleWebKit/605.1.15 "
					"(KHTML, like Gecko) Mobile/15E148",
				     d->os_major, d->os_minor));
	} else {
		unsigned v = d->os_major;
		if (touch)
			set_str(e, UNMO_S_USER_AGENT,
				keep(g, "Mozilla/5.0 (Linux; Android %u; %s) AppleWebKit/537.36 (KHTML, like Gecko) "
					"Chrome/116.0.5845.114 Mobile Safari/537.36",
				     android_versions[v], android_models[d->model]));
		else
			set_str(e, UNMO_S_USER_AGENT,
				keep(g, "Dalvik/2.1.0 (Linux; U; Android %u; %s Build/%s)", android_versions[v],
				     android_models[d->model], android_builds[v]));
	}
	if (touch) {
		bool rt = p->flags & UNMO_EVF_RETARGETING;
		char camp[UNMO_GEN_NAME_MAX];
		campaign_name(camp, sizeof camp, tn, d->platform, p->src, rt, p->camp);
		set_str(e, UNMO_S_MEDIA_SOURCE, media_sources[p->src]);
		set_str(e, UNMO_S_CAMPAIGN, keep(g, "%s", camp));
		set_str(e, UNMO_S_ADSET, keep(g, "%s_as_%03u", camp, p->adset));
		set_str(e, UNMO_S_SITE_ID, keep(g, "site_%05u", p->site));
		set_str(e, UNMO_S_SUB1, keep(g, "cr_%04u", p->creative));
		set_str(e, UNMO_S_SUB2, placements[p->name & 3]);
		if (p->type == UNMO_EV_CLICK) {
			char h[33];
			unmo_gen_hex(p->id, h);
			set_str(e, UNMO_S_CLICK_ID, keep(g, "%s_%.20s", source_short[p->src], h));
		}
	} else if (p->type == UNMO_EV_CONVERSION) {
		set_str(e, UNMO_S_EVENT_NAME, conv_kinds[tn][p->name].name);
		if (p->revenue) {
			e->revenue_micros = p->revenue;
			memcpy(e->currency, country_currency[d->country], 3);
		}
	} else if (p->type == UNMO_EV_REENGAGEMENT) {
		set_str(e, UNMO_S_EVENT_NAME, "deep_link_open");
	}
	it->e = e;
	it->tenant = (uint8_t)tn;
	it->style = p->style;
	it->source = d->source;
	bool install = p->type == UNMO_EV_INSTALL || p->type == UNMO_EV_REINSTALL;
	bool click = p->type == UNMO_EV_CLICK; /* a click with a row: a flood's (make_flood) */
	it->has_truth = p->truth && install;
	it->has_credit = p->truth && !install && !click;
	it->has_flood = p->truth && click;
	if (it->has_truth)
		it->truth = g->truth[p->truth - 1].install;
	if (it->has_credit)
		it->credit = g->truth[p->truth - 1].credit;
	if (it->has_flood)
		it->flood = g->truth[p->truth - 1].flood;
}

bool unmo_gen_next(struct unmo_gen *g, struct unmo_gen_item *it)
{
	while (g->emitted < g->o.events) {
		/* Start every journey whose first event is due before the next
		 * pending event, so the heap always holds the earliest event. */
		for (;;) {
			int best = -1;
			for (unsigned tn = 0; tn < UNMO_GEN_TENANTS; tn++)
				if (g->ts[tn].on && (best < 0 || g->ts[tn].next_arrival < g->ts[best].next_arrival))
					best = (int)tn;
			if (best < 0)
				return false;
			int64_t t = g->ts[best].next_arrival;
			if (g->nheap && g->heap[0].t <= t)
				break;
			if (rng_chance(&g->r, g->ts[best].p_installer))
				make_installer(g, (unsigned)best, t);
			else if (g->o.flood_share > 0 && rng_chance(&g->r, g->o.flood_share))
				make_flood(g, (unsigned)best, t); /* no draw without floods: the same stream */
			else
				make_audience(g, (unsigned)best, t);
			advance_arrival(g, (unsigned)best);
		}
		struct pend p;
		heap_pop(g, &p);
		if (p.t < g->o.start_us) {
			dev_release(g, p.dev);
			continue;
		}
		materialize(g, &p, it);
		if (p.truth)
			truth_release(g, p.truth - 1);
		dev_release(g, p.dev);
		g->emitted++;
		return true;
	}
	return false;
}

uint64_t unmo_gen_emitted(const struct unmo_gen *g)
{
	return g->emitted;
}

void unmo_gen_free(struct unmo_gen *g)
{
	if (!g)
		return;
	free(g->heap);
	free(g->dev);
	free(g->truth);
	free(g->truth_free);
	free(g);
}
