/* http_lite.h — one HTTP/1.1 request in one UDP datagram, and the response
 * datagrams the appliance sends back.
 *
 * Requests: "POST /v1/events" (body: one JSON event object, json_event.h) or
 * "POST /v1/events/batch" (body: {"events":[obj, obj, ...]}, other members
 * skipped). Headers: Content-Length (mandatory, must equal the body bytes in
 * the datagram), X-API-Key (mandatory for acceptance; checked by the
 * caller against the tenant registry), X-Unmo-Reply: 1 (ask for a response
 * datagram), Host and any other header are accepted and ignored.
 * Header names are case-insensitive; at most UNMO_HTTP_MAX_HEADERS headers.
 *
 * Contract: picohttpparser-style, zero-copy, bounds-checked, no allocation.
 * The body buffer is writable (JSON strings are unescaped in place).
 * Status the caller should answer with is given for each failure.
 * Thread-safe (pure).
 */
#ifndef UNMO_HTTP_LITE_H
#define UNMO_HTTP_LITE_H

#include "event.h"

#define UNMO_HTTP_MAX_HEADERS 32u
#define UNMO_HTTP_MAX_BODY 65000u
#define UNMO_HTTP_MAX_BATCH 1000u

enum unmo_http_path { UNMO_HTTP_EVENTS = 1, UNMO_HTTP_BATCH = 2 };

struct unmo_http_req {
	enum unmo_http_path path;
	const char *api_key;   /* NULL when absent */
	size_t api_key_len;
	bool want_reply;       /* X-Unmo-Reply: 1 */
	char *body;            /* points into the datagram */
	size_t body_len;
	size_t content_length;
};

/* Failure reasons (static strings); *status is the HTTP status to answer. */
const char *unmo_http_parse(char *buf, size_t n, struct unmo_http_req *r, int *status);

/* Iterate the events of a parsed request's body. *state starts at 0.
 * Returns NULL with *e filled while events remain, NULL with *done=true at
 * the end, or a reason (with *status 400, or 413 for more than
 * UNMO_HTTP_MAX_BATCH events) on the first bad event: events before it were
 * good and stay good. */
const char *unmo_http_next_event(struct unmo_http_req *r, size_t *state, struct unmo_event *e,
				 bool *done, int *status);

/* Build a response datagram: status 202/400/401/413/429, with a short JSON
 * body {"status":N,"accepted":A,"rejected":R,"reason":"..."} (reason may be
 * NULL). Returns length, 0 if cap is too small. */
size_t unmo_http_response(char *dst, size_t cap, int status, uint32_t accepted, uint32_t rejected,
			  const char *reason);

/* Parse a response (for senders and tests). Returns NULL on success. */
const char *unmo_http_parse_response(const char *buf, size_t n, int *status, uint32_t *accepted,
				     uint32_t *rejected);

#endif
