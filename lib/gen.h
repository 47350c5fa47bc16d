/* gen.h — the traffic model of the brief's three tenants: a seeded,
 * reproducible stream of marketing events in time order, with the ground
 * truth of install attribution (docs/generator.md describes the model).
 *
 * Model in short: devices (iOS/Android, advertising id or limited ad
 * tracking, vendor id, sometimes a customer user id, a country, an IPv4 or
 * IPv6 address unique to the device, user agents) arrive following the
 * daily shape and random 3x bursts; each is either an audience device
 * (impressions and clicks only) or an installer: touches, install, sessions,
 * conversions (revenue in integer micros, USD EUR JPY GBP BRL), sometimes a
 * reinstall (with or without a retargeting click) or a re-engagement.
 * Shares of install/click/impression/conversion follow each profile's table
 * (sessions and re-engagements come on top).
 *
 * Opt-in rule edges (opts): click-flood devices with their truth
 * (floods.csv), and conversions at a re-engagement's end.
 *
 * Ground truth: for each install/reinstall the model decides, under the
 * DEFAULT rules of docs/attribution.md, which touch gets the credit
 * (unmo_gen_waterfall is the reference implementation) from the events of
 * the device that the stream actually emits; for each conversion, and each
 * app open that starts a re-engagement, the credit by replaying sections
 * 6-8 over the device's emitted events (docs/generator.md, credits.csv).
 *
 * Contract:
 *  - Same options (seed included) => identical stream, on any machine.
 *    Own PRNG (xoshiro256** seeded by splitmix64); no global state.
 *  - unmo_gen_next's event strings live in generator-owned storage, valid
 *    until the next call. Events carry app_id; recv_time_us, sender_id and
 *    sequence are 0.
 *  - Not thread-safe: one generator per thread. Memory grows with the
 *    events pending in the model (a few days of simulated journeys).
 */
#ifndef UNMO_GEN_H
#define UNMO_GEN_H

#include "event.h"

enum unmo_gen_tenant {
	UNMO_GEN_TECHSTART = 0,
	UNMO_GEN_ECOMGROWTH,
	UNMO_GEN_FINANCETRACK,
	UNMO_GEN_TENANTS
};

/* How the tenant's own sender sends an event when no edge collector is in
 * between: one HTTP-lite request per event (SDK), or server-to-server
 * batches. */
enum unmo_gen_style { UNMO_GEN_SINGLE = 0, UNMO_GEN_BATCH = 1 };

struct unmo_gen_profile {
	const char *key;     /* "techstart" (for --profile) */
	const char *app_id;  /* "com.techstart.mobile" */
	const char *name;    /* "TechStart Mobile" */
	uint32_t events_per_day;
	/* brief's shares in percent: install, click, impression, conversion */
	double share_install, share_click, share_impression, share_conversion;
};
extern const struct unmo_gen_profile unmo_gen_profiles[UNMO_GEN_TENANTS];

/* "techstart" -> UNMO_GEN_TECHSTART ...; -1 when unknown. */
int unmo_gen_profile_from_key(const char *key);

struct unmo_gen_opts {
	uint64_t seed;
	uint64_t events;        /* the stream ends after exactly this many events */
	unsigned tenant_mask;   /* bit i = tenant i; 0 = all three */
	int64_t start_us;       /* simulated start, UTC microseconds */
	int64_t duration_us;    /* calibrates the rate; 0 = the profiles' daily volumes */
	double flood_share;     /* share of audience journeys that are click floods (0..1);
				   0: none, and not one draw of the stream changes */
	bool reengagement_edges; /* every re-engagement open gets two conversions (no revenue):
				    exactly 30 days after it (inside its window) and 1 us later
				    (outside); false: none, the stream unchanged */
};

enum unmo_gen_match {
	UNMO_GEN_MATCH_ORGANIC = 0,
	UNMO_GEN_MATCH_DETERMINISTIC,
	UNMO_GEN_MATCH_PROBABILISTIC,
	UNMO_GEN_MATCH_ORIGINAL, /* reinstall within 90 d keeping the first install's credit */
};
extern const char *const unmo_gen_match_names[4];

/* What an install is under the default rules: unmo-attr's outcome column,
 * same names, same order as enum unmo_attr_outcome. */
enum unmo_gen_outcome {
	UNMO_GEN_NEW_INSTALL = 0, /* attributed by the full waterfall */
	UNMO_GEN_REATTRIBUTION,   /* reinstall inside 90 d credited to a retargeting touch */
	UNMO_GEN_REINSTALL,       /* reinstall inside 90 d keeping the first install's credit */
};
extern const char *const unmo_gen_outcome_names[3];

#define UNMO_GEN_NAME_MAX 64u

/* The touch a truth row credits; type 0 = none (organic, or no install). */
struct unmo_gen_credited {
	uint8_t event_id[16];
	uint8_t type;              /* UNMO_EV_CLICK / UNMO_EV_IMPRESSION / 0 */
	bool retargeting;
	int64_t time_us;
	char media_source[UNMO_GEN_NAME_MAX], campaign[UNMO_GEN_NAME_MAX];
};

struct unmo_gen_truth {
	uint8_t install_event_id[16];
	uint8_t tenant;
	uint8_t install_type;      /* UNMO_EV_INSTALL or UNMO_EV_REINSTALL */
	uint8_t match;             /* enum unmo_gen_match */
	uint8_t outcome;           /* enum unmo_gen_outcome */
	int64_t install_time_us;
	struct unmo_gen_credited touch; /* none: organic, or original organic */
};

/* Credit truth of a conversion, and of an app open (session or
 * re-engagement event) that starts a re-engagement, under the default
 * rules (docs/attribution.md sections 7 and 8), replayed over the device's
 * emitted installs, opens, conversions and retargeting clicks. */
enum unmo_gen_via {
	UNMO_GEN_VIA_NONE = 0,     /* conversion with no install before it (row "(none)") */
	UNMO_GEN_VIA_INSTALL,      /* conversion: the install's attribution (organic: no touch) */
	UNMO_GEN_VIA_REENGAGEMENT, /* conversion inside a running re-engagement: its click */
	UNMO_GEN_VIA_REENGAGES,    /* app open that starts a re-engagement: its click */
};
extern const char *const unmo_gen_via_names[4];

struct unmo_gen_credit {
	uint8_t event_id[16];
	uint8_t tenant;
	uint8_t event_type;        /* UNMO_EV_CONVERSION, _SESSION or _REENGAGEMENT */
	uint8_t via;               /* enum unmo_gen_via */
	int64_t time_us;
	struct unmo_gen_credited touch; /* none: organic, or no install */
};

/* Truth of a click-flood device (opts.flood_share): one device with an
 * advertising id and only clicks, all of one media source and campaign,
 * the flood rule's cases at its edges (docs/generator.md). flood: a click
 * flood under the default rules (>= 50 deterministic clicks of one source
 * and campaign within 24 h, inclusive). The row comes with the click that
 * decides: the 50th of a flood, the last of a near miss; so a row is out
 * only when the stream ended before it, and then no flood is lost. */
struct unmo_gen_flood {
	uint8_t tenant;
	uint8_t kind;              /* enum unmo_gen_flood_kind */
	bool flood;
	uint32_t clicks;           /* all of the device's clicks */
	int64_t first_us, last_us; /* its first and last click */
	char advertising_id[37];
	char media_source[UNMO_GEN_NAME_MAX], campaign[UNMO_GEN_NAME_MAX];
};
enum unmo_gen_flood_kind {
	UNMO_GEN_FLOOD_DENSE = 0, /* 50-80 clicks within 1-20 h: a flood */
	UNMO_GEN_FLOOD_EDGE,      /* 50 clicks, the last exactly 24 h after the first: a flood */
	UNMO_GEN_FLOOD_OVER,      /* 50 clicks over 24 h + 1 us: no 24 h holds 50, not a flood */
	UNMO_GEN_FLOOD_SHORT,     /* 49 clicks within 1 h: not a flood */
};
extern const char *const unmo_gen_flood_kind_names[4];

struct unmo_gen_item {
	const struct unmo_event *e; /* valid until the next unmo_gen_next */
	uint8_t tenant;             /* enum unmo_gen_tenant */
	uint8_t style;              /* enum unmo_gen_style */
	uint32_t source;            /* the simulated device/server (stable per device) */
	bool has_truth;             /* install/reinstall: truth filled */
	struct unmo_gen_truth truth;
	bool has_credit;            /* conversion, or open starting a re-engagement: credit filled */
	struct unmo_gen_credit credit;
	bool has_flood;             /* the deciding click of a click-flood device: flood filled */
	struct unmo_gen_flood flood;
};

struct unmo_gen;
/* Returns NULL (err filled) for invalid options or out of memory. */
struct unmo_gen *unmo_gen_new(const struct unmo_gen_opts *o, char *err, size_t errlen);
/* Next event in time order: true with *it filled, false at the end. */
bool unmo_gen_next(struct unmo_gen *g, struct unmo_gen_item *it);
uint64_t unmo_gen_emitted(const struct unmo_gen *g);
void unmo_gen_free(struct unmo_gen *g);

/* ---- default attribution rules: the reference ----
 * A touch as seen from one install of one device. det: the touch carries
 * the device id the install is matched on (advertising id, else vendor id,
 * else customer user id); prob: a click without device ids from the
 * install's IP and user-agent family. */
struct unmo_gen_touch {
	int64_t time_us;
	uint8_t event_id[16];
	uint8_t type;      /* click / impression */
	bool retargeting, det, prob;
	const char *media_source, *campaign;
};
#define UNMO_GEN_CLICK_WINDOW_US (7ll * 86400 * 1000000)
#define UNMO_GEN_VIEW_WINDOW_US (1ll * 86400 * 1000000)
#define UNMO_GEN_PROB_WINDOW_US (1ll * 86400 * 1000000)
#define UNMO_GEN_REATTR_WINDOW_US (90ll * 86400 * 1000000)
#define UNMO_GEN_RETARGET_CLICK_US (7ll * 86400 * 1000000)  /* click before an app open */
#define UNMO_GEN_REENGAGEMENT_US (30ll * 86400 * 1000000)   /* a re-engagement lasts */
/* Waterfall for an install at install_us over touches t[0..n): returns the
 * index of the credited touch (and *match) or -1 (organic). Only touches
 * with retargeting set count when only_retargeting. Touches after the
 * install never count; windows are inclusive (0 <= install - touch <= W). */
int unmo_gen_waterfall(const struct unmo_gen_touch *t, size_t n, int64_t install_us,
		       bool only_retargeting, enum unmo_gen_match *match);

/* truth.csv: header line and one row (both with '\n'); returns length or 0
 * if cap is too small. */
#define UNMO_GEN_TRUTH_HEADER                                                                   \
	"install_event_id,app_id,install_type,install_time_us,match,touch_event_id,touch_type,"  \
	"media_source,campaign,touch_time_us,retargeting,outcome\n"
size_t unmo_gen_truth_format(const struct unmo_gen_truth *t, char *buf, size_t cap);
/* credits.csv likewise: the columns of unmo-attr's conversions.csv that
 * carry the decision (event_type added; via "reengages" for opens). */
#define UNMO_GEN_CREDIT_HEADER                                                                  \
	"event_id,app_id,event_type,time_us,via,touch_event_id,touch_type,media_source,campaign," \
	"touch_time_us,retargeting\n"
size_t unmo_gen_credit_format(const struct unmo_gen_credit *c, char *buf, size_t cap);

/* floods.csv likewise: one row per click-flood device of the model. */
#define UNMO_GEN_FLOOD_HEADER                                                                   \
	"app_id,advertising_id,media_source,campaign,kind,clicks,first_click_us,last_click_us,flood\n"
size_t unmo_gen_flood_format(const struct unmo_gen_flood *f, char *buf, size_t cap);

/* Event id as 32 lower-case hex digits + NUL. */
void unmo_gen_hex(const uint8_t id[16], char out[33]);

#endif
