/* gen_wire.h — turns the generator's event stream into UDP payloads the way
 * the brief's senders would send them: binary frames from simulated edge
 * collectors, HTTP-lite single requests from SDKs, HTTP-lite batches from
 * tenant servers, plus deliberately malformed datagrams.
 *
 * Shared by unmo-gen (pcap, live UDP, output files) and the tests, so both
 * see exactly the same datagrams for the same options.
 *
 * Routing: each event goes through an edge collector (binary frame) with
 * probability binary_share (own PRNG, seeded), else by its tenant's own
 * style (gen.h: single request or server batch). Binary frames: one open
 * frame per (collector, tenant), sender id per pair, sequences from 1,
 * app_id omitted (the appliance fills it), tag when the tenant's `tag` is
 * set, ack request when `ack`. HTTP-lite: POST /v1/events (one event) or
 * /v1/events/batch ({"events":[...]}), headers Host, Content-Type,
 * Content-Length, X-API-Key (the tenant's production key) and, with
 * `reply`, X-Unmo-Reply: 1. Every payload is <= max_payload bytes; open
 * frames and batches are flushed when full or older than their flush age
 * (simulated time), and at finish.
 *
 * Each datagram handed to the sink carries the events.jsonl lines of its
 * good events: the event as the appliance will store it (app_id, sender_id
 * and sequence filled; recv_time_us 0), written by unmo_json_event_write,
 * one per line. Malformed datagrams (kinds below) carry none; they are
 * spread evenly over the stream (by good-event count).
 *
 * Contract: single-threaded; the dgram passed to the sink (and its
 * buffers) is valid only during the call. The sink returns 0, or non-zero
 * to stop (returned by add/finish). Tenants are passed in resolved (the
 * caller reads the registry), secrets are only used to compute tags.
 */
#ifndef UNMO_GEN_WIRE_H
#define UNMO_GEN_WIRE_H

#include "gen.h"

enum unmo_wire_kind {
	UNMO_WIRE_BINARY = 0,
	UNMO_WIRE_HTTP_SINGLE,
	UNMO_WIRE_HTTP_BATCH,
	UNMO_WIRE_MALFORMED,
	UNMO_WIRE_KINDS
};
extern const char *const unmo_wire_kind_names[UNMO_WIRE_KINDS]; /* "binary", "http_single", ... */

/* Malformed kinds and the appliance counter each one must increment. */
enum unmo_wire_bad {
	UNMO_WIRE_BAD_MAGIC = 0,     /* "UMOX" frame         -> bad_magic */
	UNMO_WIRE_BAD_TRUNCATED,     /* frame cut short      -> truncated */
	UNMO_WIRE_BAD_VERSION,       /* version 9            -> bad_version */
	UNMO_WIRE_BAD_TAG,           /* wrong tag            -> auth_fail */
	UNMO_WIRE_BAD_UNKNOWN_KEY,   /* unknown key id       -> bad_key */
	UNMO_WIRE_BAD_JSON,          /* invalid JSON body    -> json_syntax */
	UNMO_WIRE_BAD_NO_LENGTH,     /* no Content-Length    -> no_content_length */
	UNMO_WIRE_BAD_API_KEY,       /* unknown X-API-Key    -> bad_key */
	UNMO_WIRE_BAD_COUNT,         /* count 2000 > 1024    -> bad_count */
	UNMO_WIRE_BAD_COUNT_SHORT,   /* tagged, valid header, one record fewer than its count -> bad_count */
	UNMO_WIRE_BAD_KINDS
};
extern const char *const unmo_wire_bad_names[UNMO_WIRE_BAD_KINDS];
extern const char *const unmo_wire_bad_counters[UNMO_WIRE_BAD_KINDS];

struct unmo_wire_tenant {
	const char *app_id;      /* NULL: tenant not used */
	uint64_t key_id;
	const char *api_key;     /* production key */
	const uint8_t *secret;   /* 32 bytes */
	bool tag;                /* authenticate binary frames */
};

struct unmo_wire_opts {
	uint64_t seed;
	struct unmo_wire_tenant tenant[UNMO_GEN_TENANTS];
	double binary_share;     /* 0..1 */
	bool ack, reply;
	const char *host;        /* Host header value, e.g. "10.99.0.1:7100" */
	size_t max_payload;      /* 0: 1472 */
	uint64_t malformed;      /* malformed datagrams to add */
	uint64_t events_hint;    /* expected good events (spreads the malformed ones) */
	unsigned collectors;     /* edge collectors, 0: 4 */
	int64_t frame_age_us;    /* 0: 500 ms */
	int64_t batch_age_us;    /* 0: 5 s */
};

struct unmo_wire_dgram {
	const uint8_t *payload;
	size_t len;
	uint64_t index;          /* 0-based position in the datagram stream */
	int64_t time_us;         /* simulated send time */
	uint8_t kind;            /* enum unmo_wire_kind */
	uint8_t tenant;          /* enum unmo_gen_tenant */
	uint8_t bad;             /* enum unmo_wire_bad (kind MALFORMED) */
	bool ack_req;
	uint64_t key_id, sender_id, sequence; /* binary frames */
	uint32_t events;         /* good events inside */
	uint32_t source;         /* simulated sender: stable per device/collector/server */
	const char *jsonl;       /* their events.jsonl lines */
	size_t jsonl_len;
};

typedef int (*unmo_wire_sink)(void *ctx, const struct unmo_wire_dgram *d);

struct unmo_wire;
struct unmo_wire *unmo_wire_new(const struct unmo_wire_opts *o, unmo_wire_sink sink, void *ctx,
				char *err, size_t errlen);
/* Route one event (its tenant must be configured). Returns 0, -1 when the
 * event cannot be framed (too large: never for generated events), or the
 * sink's non-zero value. */
int unmo_wire_add(struct unmo_wire *w, const struct unmo_gen_item *it);
/* Flush everything still open and the malformed datagrams not yet sent. */
int unmo_wire_finish(struct unmo_wire *w);
void unmo_wire_free(struct unmo_wire *w);

#endif
