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

/* Parse the request datagram buf[0..n). Returns NULL with *status 0 and *r
 * filled on success; else a reason (static string, below) and *status, the
 * HTTP status to answer: 400 malformed, 413 Content-Length over
 * UNMO_HTTP_MAX_BODY, 401 X-API-Key absent or empty (checked last, so a 401
 * request is otherwise well formed). r->want_reply is valid whenever the
 * header block was read (always for 401/413 and length errors). Whether the
 * key is known is the caller's check (401), and so is the quota (429). */
const char *unmo_http_parse(char *buf, size_t n, struct unmo_http_req *r, int *status);

/* Iterate the events of a parsed request's body. *state starts at 0.
 * Returns NULL with *e filled while events remain, NULL with *done=true at
 * the end, or a reason (with *status 400, or 413 for more than
 * UNMO_HTTP_MAX_BATCH events) for a refused event or body. A refused batch
 * element whose end is clear from the JSON structure (brackets and strings
 * balance) is one rejection and the iteration goes on: call again for the
 * next event. When the rest of the body cannot be delimited (a syntax error
 * that breaks the structure, too many events, a bad trailing member), the
 * reason ends the iteration: the next call returns UNMO_HTTP_ITERATION_OVER,
 * which is not a rejection of its own. Events returned before stay good. The
 * body is read lazily: a syntax error after the last event is reported after
 * the events were returned. Each *e is valid until the body is reused. */
const char *unmo_http_next_event(struct unmo_http_req *r, size_t *state, struct unmo_event *e,
				 bool *done, int *status);

/* Build a response datagram: status 202/400/401/413/429, with a short JSON
 * body {"status":N,"accepted":A,"rejected":R,"reason":"..."} (reason may be
 * NULL). Returns length, 0 if cap is too small. */
size_t unmo_http_response(char *dst, size_t cap, int status, uint32_t accepted, uint32_t rejected,
			  const char *reason);

/* Parse a response (for senders and tests): status line, headers
 * (Content-Type application/json and an exact Content-Length required), body
 * with "status" (equal to the status line's), "accepted", "rejected"; other
 * members (e.g. "reason") are validated and skipped. Returns NULL on
 * success, else UNMO_HTTP_BAD_RESPONSE. */
const char *unmo_http_parse_response(const char *buf, size_t n, int *status, uint32_t *accepted,
				     uint32_t *rejected);

/* Reasons (static strings; the text is what counters and responses show). */
extern const char UNMO_HTTP_BAD_REQUEST_LINE[];   /* "bad_request_line" 400 */
extern const char UNMO_HTTP_BAD_METHOD[];         /* "bad_method" 400: not POST */
extern const char UNMO_HTTP_BAD_PATH[];           /* "bad_path" 400 */
extern const char UNMO_HTTP_BAD_VERSION[];        /* "bad_version" 400: not HTTP/1.1 or 1.0 */
extern const char UNMO_HTTP_BAD_HEADER[];         /* "bad_header" 400 */
extern const char UNMO_HTTP_TOO_MANY_HEADERS[];   /* "too_many_headers" 400 */
extern const char UNMO_HTTP_HEADERS_TRUNCATED[];  /* "headers_truncated" 400 */
extern const char UNMO_HTTP_NO_CONTENT_LENGTH[];  /* "no_content_length" 400 */
extern const char UNMO_HTTP_BAD_CONTENT_LENGTH[]; /* "bad_content_length" 400 */
extern const char UNMO_HTTP_DUPLICATE_CONTENT_LENGTH[]; /* "duplicate_content_length" 400 */
extern const char UNMO_HTTP_TRANSFER_ENCODING[];  /* "transfer_encoding" 400: not supported */
extern const char UNMO_HTTP_DUPLICATE_API_KEY[];  /* "duplicate_api_key" 400 */
extern const char UNMO_HTTP_BODY_TOO_LARGE[];     /* "body_too_large" 413 */
extern const char UNMO_HTTP_BODY_TRUNCATED[];     /* "body_truncated" 400: fewer bytes than Content-Length */
extern const char UNMO_HTTP_LENGTH_MISMATCH[];    /* "length_mismatch" 400: more bytes than Content-Length */
extern const char UNMO_HTTP_MISSING_API_KEY[];    /* "missing_api_key" 401 */
extern const char UNMO_HTTP_BATCH_NOT_OBJECT[];   /* "batch_not_object" 400 */
extern const char UNMO_HTTP_BATCH_NO_EVENTS[];    /* "batch_no_events" 400: no "events" member */
extern const char UNMO_HTTP_BATCH_TOO_MANY[];     /* "batch_too_many_events" 413 */
extern const char UNMO_HTTP_ITERATION_OVER[];     /* "iteration_over" 400: called again after the reason that ended the body */
extern const char UNMO_HTTP_BAD_RESPONSE[];       /* "bad_response" (response parser) */
/* Event reasons inside bodies are json_event.h's UNMO_JSON_* ("json_..."). */

#endif
