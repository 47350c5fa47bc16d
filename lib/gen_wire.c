/* gen_wire.c — events to datagrams (contract: gen_wire.h). */
#include "gen_wire.h"

#include <stdio.h>
#include <stdlib.h>

#include "frame_bin.h"
#include "http_lite.h"
#include "json_event.h"

const char *const unmo_wire_kind_names[UNMO_WIRE_KINDS] = {"binary", "http_single", "http_batch",
							   "malformed"};
const char *const unmo_wire_bad_names[UNMO_WIRE_BAD_KINDS] = {
	"bad_magic", "truncated", "bad_version", "bad_tag", "unknown_key_id",
	"bad_json", "missing_content_length", "bad_api_key", "oversize_count", "count_short",
};
const char *const unmo_wire_bad_counters[UNMO_WIRE_BAD_KINDS] = {
	"bad_magic", "truncated", "bad_version", "auth_fail", "bad_key",
	"json_syntax", "no_content_length", "bad_key", "bad_count", "bad_count",
};

#define MAX_COLLECTORS 64u
#define DGRAM_MAX 1500u
#define JSON_MAX 8192u /* generated events are < 1 KiB of JSON */
#define BATCH_HEAD "{\"events\":["
#define BATCH_TAIL "]}"

struct packer {
	uint8_t kind, tenant;
	uint32_t source;
	uint64_t sender_id, next_seq, seq;
	int64_t first_t;         /* -1: empty */
	uint32_t count;
	struct unmo_fb_builder fb;
	uint8_t buf[DGRAM_MAX];  /* binary frame / HTTP batch body */
	size_t len;
	char *jsonl;
	size_t jsonl_len, jsonl_cap;
};

struct unmo_wire {
	struct unmo_wire_opts o;
	unmo_wire_sink sink;
	void *ctx;
	uint64_t rng;            /* splitmix64 state: routing decisions */
	uint64_t index, good, bad_sent;
	uint64_t bad_sender;
	struct packer *bin;      /* [collectors * tenants] */
	struct packer batch[UNMO_GEN_TENANTS];
	uint8_t out[DGRAM_MAX];
	char json[JSON_MAX];
	char line[JSON_MAX];
	int64_t now;
};

static uint64_t next_rand(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool jsonl_append(struct packer *p, const char *s, size_t n)
{
	if (p->jsonl_len + n + 1 > p->jsonl_cap) {
		size_t cap = p->jsonl_cap ? p->jsonl_cap * 2 : 8192;
		while (cap < p->jsonl_len + n + 1)
			cap *= 2;
		char *q = realloc(p->jsonl, cap);
		if (!q)
			return false;
		p->jsonl = q;
		p->jsonl_cap = cap;
	}
	memcpy(p->jsonl + p->jsonl_len, s, n);
	p->jsonl_len += n;
	p->jsonl[p->jsonl_len++] = '\n';
	return true;
}

static int emit(struct unmo_wire *w, struct unmo_wire_dgram *d)
{
	d->index = w->index++;
	d->time_us = w->now;
	return w->sink(w->ctx, d);
}

/* HTTP request head for a body of body_len bytes; returns its length or 0. */
static size_t http_head(struct unmo_wire *w, char *dst, size_t cap, bool batch, const char *api_key,
			size_t body_len)
{
	int n = snprintf(dst, cap,
			 "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nX-API-Key: %s\r\n%s\r\n",
			 batch ? "/v1/events/batch" : "/v1/events", w->o.host, body_len, api_key,
			 w->o.reply ? "X-Unmo-Reply: 1\r\n" : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static size_t head_len(struct unmo_wire *w, bool batch, const char *api_key, size_t body_len)
{
	char tmp[512];
	return http_head(w, tmp, sizeof tmp, batch, api_key, body_len);
}

static int flush(struct unmo_wire *w, struct packer *p)
{
	if (p->first_t < 0)
		return 0;
	struct unmo_wire_dgram d;
	memset(&d, 0, sizeof d);
	d.kind = p->kind;
	d.tenant = p->tenant;
	d.events = p->count;
	d.source = p->source;
	d.jsonl = p->jsonl;
	d.jsonl_len = p->jsonl_len;
	const struct unmo_wire_tenant *tn = &w->o.tenant[p->tenant];
	if (p->kind == UNMO_WIRE_BINARY) {
		size_t n = unmo_fb_finish(&p->fb, tn->tag ? tn->secret : NULL);
		if (!n)
			return -1;
		d.payload = p->buf;
		d.len = n;
		d.key_id = tn->key_id;
		d.sender_id = p->sender_id;
		d.sequence = p->seq;
		d.ack_req = w->o.ack;
	} else {
		size_t body = p->len + sizeof BATCH_TAIL - 1;
		size_t h = http_head(w, (char *)w->out, sizeof w->out, true, tn->api_key, body);
		if (!h || h + body > w->o.max_payload)
			return -1;
		memcpy(w->out + h, p->buf, p->len);
		memcpy(w->out + h + p->len, BATCH_TAIL, sizeof BATCH_TAIL - 1);
		d.payload = w->out;
		d.len = h + body;
	}
	p->first_t = -1;
	p->count = 0;
	p->len = 0;
	int rc = emit(w, &d);
	p->jsonl_len = 0;
	return rc;
}

static void packer_init(struct packer *p, uint8_t kind, uint8_t tenant, uint32_t source, uint64_t sender)
{
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->tenant = tenant;
	p->source = source;
	p->sender_id = sender;
	p->next_seq = 1;
	p->first_t = -1;
}

struct unmo_wire *unmo_wire_new(const struct unmo_wire_opts *o, unmo_wire_sink sink, void *ctx,
				char *err, size_t errlen)
{
	if (!(o->binary_share >= 0 && o->binary_share <= 1)) {
		snprintf(err, errlen, "binary share must be within 0..1");
		return NULL;
	}
	if (o->collectors > MAX_COLLECTORS) {
		snprintf(err, errlen, "at most %u edge collectors", MAX_COLLECTORS);
		return NULL;
	}
	if (o->max_payload && (o->max_payload < 512 || o->max_payload > DGRAM_MAX)) {
		snprintf(err, errlen, "max payload must be within 512..%u", DGRAM_MAX);
		return NULL;
	}
	struct unmo_wire *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->o = *o;
	if (!w->o.max_payload)
		w->o.max_payload = 1472;
	if (!w->o.collectors)
		w->o.collectors = 4;
	if (!w->o.frame_age_us)
		w->o.frame_age_us = 500000;
	if (!w->o.batch_age_us)
		w->o.batch_age_us = 5000000;
	if (!w->o.host)
		w->o.host = "10.99.0.1:7100";
	w->sink = sink;
	w->ctx = ctx;
	w->rng = o->seed ^ 0x6a09e667f3bcc909ull;
	uint64_t s = o->seed;
	uint64_t high = (next_rand(&s) & 0x7fffffffull) << 32; /* different seeds, different senders */
	w->bin = calloc((size_t)w->o.collectors * UNMO_GEN_TENANTS, sizeof *w->bin);
	if (!w->bin) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned c = 0; c < w->o.collectors; c++)
		for (unsigned t = 0; t < UNMO_GEN_TENANTS; t++)
			packer_init(&w->bin[c * UNMO_GEN_TENANTS + t], UNMO_WIRE_BINARY, (uint8_t)t, 0xc0000000u + c,
				    high | (0x1000u * (c + 1)) | (t + 1));
	for (unsigned t = 0; t < UNMO_GEN_TENANTS; t++)
		packer_init(&w->batch[t], UNMO_WIRE_HTTP_BATCH, (uint8_t)t, 0xd0000000u + t, 0);
	w->bad_sender = high | 0xffffu;
	return w;
}

/* Appliance view of an event: what events.jsonl holds. */
static int json_line(struct unmo_wire *w, const struct unmo_event *e, uint64_t sender, uint64_t seq,
		     size_t *n)
{
	struct unmo_event x = *e;
	x.sender_id = sender;
	x.sequence = seq;
	x.recv_time_us = 0;
	*n = unmo_json_event_write(w->line, sizeof w->line, &x);
	return *n ? 0 : -1;
}

static int add_binary(struct unmo_wire *w, const struct unmo_gen_item *it)
{
	unsigned c = it->source % w->o.collectors;
	struct packer *p = &w->bin[c * UNMO_GEN_TENANTS + it->tenant];
	const struct unmo_wire_tenant *tn = &w->o.tenant[it->tenant];
	struct unmo_event rec = *it->e;
	rec.s[UNMO_S_APP_ID] = (struct unmo_str){NULL, 0}; /* filled by the appliance */
	rec.recv_time_us = 0;
	rec.sender_id = 0;
	rec.sequence = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (p->first_t < 0) {
			p->seq = p->next_seq++;
			uint8_t flags = (uint8_t)((tn->tag ? UNMO_FB_AUTH : 0) | (w->o.ack ? UNMO_FB_ACK_REQ : 0));
			unmo_fb_begin(&p->fb, p->buf, w->o.max_payload, tn->key_id, p->sender_id, p->seq, flags);
		}
		if (unmo_fb_add(&p->fb, &rec)) {
			size_t n;
			if (json_line(w, it->e, p->sender_id, p->seq, &n) || !jsonl_append(p, w->line, n))
				return -1;
			if (p->first_t < 0)
				p->first_t = it->e->event_time_us;
			p->count++;
			return 0;
		}
		if (p->first_t < 0) {
			p->next_seq--; /* nothing was sent under this sequence */
			return -1;
		}
		int rc = flush(w, p);
		if (rc)
			return rc;
	}
	return -1;
}

static int add_single(struct unmo_wire *w, const struct unmo_gen_item *it)
{
	const struct unmo_wire_tenant *tn = &w->o.tenant[it->tenant];
	size_t n = unmo_json_event_write(w->json, sizeof w->json, it->e);
	if (!n)
		return -1;
	size_t h = http_head(w, (char *)w->out, sizeof w->out, false, tn->api_key, n);
	if (!h || h + n > w->o.max_payload)
		return -1;
	memcpy(w->out + h, w->json, n);
	size_t ln;
	if (json_line(w, it->e, 0, 0, &ln))
		return -1;
	struct unmo_wire_dgram d;
	memset(&d, 0, sizeof d);
	d.payload = w->out;
	d.len = h + n;
	d.kind = UNMO_WIRE_HTTP_SINGLE;
	d.tenant = it->tenant;
	d.events = 1;
	d.source = it->source;
	w->line[ln] = '\n';
	d.jsonl = w->line;
	d.jsonl_len = ln + 1;
	return emit(w, &d);
}

static int add_batch(struct unmo_wire *w, const struct unmo_gen_item *it)
{
	struct packer *p = &w->batch[it->tenant];
	const struct unmo_wire_tenant *tn = &w->o.tenant[it->tenant];
	size_t n = unmo_json_event_write(w->json, sizeof w->json, it->e);
	if (!n)
		return -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t body_now = p->first_t < 0 ? sizeof BATCH_HEAD - 1 : p->len;
		size_t body = body_now + (p->first_t < 0 ? 0 : 1) + n + sizeof BATCH_TAIL - 1;
		if (head_len(w, true, tn->api_key, body) + body <= w->o.max_payload &&
		    p->count < UNMO_HTTP_MAX_BATCH) {
			if (p->first_t < 0) {
				memcpy(p->buf, BATCH_HEAD, sizeof BATCH_HEAD - 1);
				p->len = sizeof BATCH_HEAD - 1;
				p->first_t = it->e->event_time_us;
			} else {
				p->buf[p->len++] = ',';
			}
			memcpy(p->buf + p->len, w->json, n);
			p->len += n;
			p->count++;
			return jsonl_append(p, w->json, n) ? 0 : -1;
		}
		if (p->first_t < 0)
			return -1;
		int rc = flush(w, p);
		if (rc)
			return rc;
	}
	return -1;
}

/* ---- malformed datagrams ---- */
static void bad_event(struct unmo_wire *w, struct unmo_event *e)
{
	unmo_event_clear(e);
	e->type = UNMO_EV_CLICK;
	e->platform = UNMO_PLAT_ANDROID;
	e->event_time_us = w->now;
	uint64_t a = next_rand(&w->rng), b = next_rand(&w->rng) | 1;
	memcpy(e->event_id, &a, 8);
	memcpy(e->event_id + 8, &b, 8);
	e->s[UNMO_S_MEDIA_SOURCE] = unmo_str_c("malformed_test");
}

static int send_bad(struct unmo_wire *w, unsigned kind)
{
	unsigned t = 0;
	for (unsigned i = 0; i < UNMO_GEN_TENANTS; i++) {
		unsigned c = (unsigned)((w->bad_sent + i) % UNMO_GEN_TENANTS);
		if (w->o.tenant[c].app_id) {
			t = c;
			break;
		}
	}
	const struct unmo_wire_tenant *tn = &w->o.tenant[t];
	struct unmo_event e;
	bad_event(w, &e);
	uint8_t *b = w->out;
	size_t len = 0;
	if (kind == UNMO_WIRE_BAD_COUNT_SHORT) {
		/* Everything right (tenant, tag with the tenant's secret, sequence)
		 * but the count claims one record more than the frame holds: the
		 * receiver finds out only while walking the records. */
		struct unmo_fb_builder fb;
		unmo_fb_begin(&fb, b, w->o.max_payload, tn->key_id, w->bad_sender, w->bad_sent + 1,
			      tn->secret ? UNMO_FB_AUTH : 0);
		for (int i = 0; i < 3; i++)
			if (!unmo_fb_add(&fb, &e))
				return -1;
		fb.count++;
		len = unmo_fb_finish(&fb, tn->secret);
	} else if (kind <= UNMO_WIRE_BAD_UNKNOWN_KEY || kind == UNMO_WIRE_BAD_COUNT) {
		uint64_t key = tn->key_id;
		if (kind == UNMO_WIRE_BAD_UNKNOWN_KEY) {
			for (bool clash = true; clash;) {
				key = next_rand(&w->rng) | 1;
				clash = false;
				for (unsigned i = 0; i < UNMO_GEN_TENANTS; i++)
					clash |= w->o.tenant[i].app_id && w->o.tenant[i].key_id == key;
			}
		}
		struct unmo_fb_builder fb;
		uint8_t flags = kind == UNMO_WIRE_BAD_TAG ? UNMO_FB_AUTH : 0;
		unmo_fb_begin(&fb, b, w->o.max_payload, key, w->bad_sender, w->bad_sent + 1, flags);
		if (!unmo_fb_add(&fb, &e))
			return -1;
		uint8_t wrong[UNMO_FB_KEY];
		for (unsigned i = 0; i < UNMO_FB_KEY; i++)
			wrong[i] = (uint8_t)next_rand(&w->rng);
		len = unmo_fb_finish(&fb, wrong);
		if (kind == UNMO_WIRE_BAD_TAG && tn->secret && !memcmp(wrong, tn->secret, UNMO_FB_KEY))
			b[len - 1] ^= 1; /* astronomically unlikely, but a wrong tag it must be */
		switch (kind) {
		case UNMO_WIRE_BAD_MAGIC: b[3] = 'X'; break;
		case UNMO_WIRE_BAD_TRUNCATED: len = UNMO_FB_HDR + 10; break;
		case UNMO_WIRE_BAD_VERSION: b[4] = 9; break;
		case UNMO_WIRE_BAD_COUNT: unmo_st16(b + 6, 2000); break;
		default: break;
		}
	} else {
		static const char bad_json[] = "{\"type\":\"click\",\"event_time_us\":1,}";
		char key[64];
		const char *api = tn->api_key;
		if (kind == UNMO_WIRE_BAD_API_KEY) {
			int n = snprintf(key, sizeof key, "umk_");
			for (int i = 0; i < 5; i++)
				n += snprintf(key + n, sizeof key - (size_t)n, "%08x", (unsigned)next_rand(&w->rng));
			api = key;
		}
		size_t body_len = 0;
		char *body = w->json;
		if (kind == UNMO_WIRE_BAD_JSON) {
			memcpy(body, bad_json, sizeof bad_json - 1);
			body_len = sizeof bad_json - 1;
		} else {
			body_len = unmo_json_event_write(body, sizeof w->json, &e);
		}
		int n;
		if (kind == UNMO_WIRE_BAD_NO_LENGTH)
			n = snprintf((char *)b, w->o.max_payload,
				     "POST /v1/events HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
				     "X-API-Key: %s\r\n%s\r\n",
				     w->o.host, api, w->o.reply ? "X-Unmo-Reply: 1\r\n" : "");
		else
			n = (int)http_head(w, (char *)b, w->o.max_payload, false, api, body_len);
		if (n <= 0 || (size_t)n + body_len > w->o.max_payload)
			return -1;
		memcpy(b + n, body, body_len);
		len = (size_t)n + body_len;
	}
	struct unmo_wire_dgram d;
	memset(&d, 0, sizeof d);
	d.payload = b;
	d.len = len;
	d.kind = UNMO_WIRE_MALFORMED;
	d.bad = (uint8_t)kind;
	d.tenant = (uint8_t)t;
	d.source = 0xe0000000u;
	w->bad_sent++;
	return emit(w, &d);
}

static int send_due_bad(struct unmo_wire *w, bool all)
{
	while (w->bad_sent < w->o.malformed) {
		uint64_t m = w->bad_sent, due = (m + 1) * w->o.events_hint / (w->o.malformed + 1);
		if (!all && w->good < due)
			break;
		int rc = send_bad(w, (unsigned)(m % UNMO_WIRE_BAD_KINDS));
		if (rc)
			return rc;
	}
	return 0;
}

static int flush_aged(struct unmo_wire *w)
{
	size_t nb = (size_t)w->o.collectors * UNMO_GEN_TENANTS;
	for (size_t i = 0; i < nb; i++)
		if (w->bin[i].first_t >= 0 && w->now - w->bin[i].first_t >= w->o.frame_age_us) {
			int rc = flush(w, &w->bin[i]);
			if (rc)
				return rc;
		}
	for (unsigned t = 0; t < UNMO_GEN_TENANTS; t++)
		if (w->batch[t].first_t >= 0 && w->now - w->batch[t].first_t >= w->o.batch_age_us) {
			int rc = flush(w, &w->batch[t]);
			if (rc)
				return rc;
		}
	return 0;
}

int unmo_wire_add(struct unmo_wire *w, const struct unmo_gen_item *it)
{
	if (it->tenant >= UNMO_GEN_TENANTS || !w->o.tenant[it->tenant].app_id)
		return -1;
	if (it->e->event_time_us > w->now)
		w->now = it->e->event_time_us;
	int rc = flush_aged(w);
	if (rc)
		return rc;
	/* The routing draw is made for every event, so the stream of decisions
	 * does not depend on the tenants' styles. */
	double u = (double)(next_rand(&w->rng) >> 11) * 0x1.0p-53;
	if (u < w->o.binary_share)
		rc = add_binary(w, it);
	else if (it->style == UNMO_GEN_BATCH)
		rc = add_batch(w, it);
	else
		rc = add_single(w, it);
	if (rc)
		return rc;
	w->good++;
	return send_due_bad(w, false);
}

int unmo_wire_finish(struct unmo_wire *w)
{
	size_t nb = (size_t)w->o.collectors * UNMO_GEN_TENANTS;
	for (size_t i = 0; i < nb; i++) {
		int rc = flush(w, &w->bin[i]);
		if (rc)
			return rc;
	}
	for (unsigned t = 0; t < UNMO_GEN_TENANTS; t++) {
		int rc = flush(w, &w->batch[t]);
		if (rc)
			return rc;
	}
	return send_due_bad(w, true);
}

void unmo_wire_free(struct unmo_wire *w)
{
	if (!w)
		return;
	size_t nb = (size_t)w->o.collectors * UNMO_GEN_TENANTS;
	for (size_t i = 0; i < nb; i++)
		free(w->bin[i].jsonl);
	for (unsigned t = 0; t < UNMO_GEN_TENANTS; t++)
		free(w->batch[t].jsonl);
	free(w->bin);
	free(w);
}
