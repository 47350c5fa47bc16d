/* http_lite.c — HTTP-lite request parser, batch iterator, response builder
 * and response parser (docs/http-lite.md).
 *
 * The request parser is picohttpparser-shaped: one forward pass, every
 * line must end in CRLF, header names are RFC 9110 tokens compared
 * case-insensitively by length first. Nothing is copied; the body is handed
 * to json_event, which unescapes strings in place.
 */
#include "http_lite.h"
#include "json_event.h"

#include <stdio.h>
#include <string.h>

const char UNMO_HTTP_BAD_REQUEST_LINE[] = "bad_request_line";
const char UNMO_HTTP_BAD_METHOD[] = "bad_method";
const char UNMO_HTTP_BAD_PATH[] = "bad_path";
const char UNMO_HTTP_BAD_VERSION[] = "bad_version";
const char UNMO_HTTP_BAD_HEADER[] = "bad_header";
const char UNMO_HTTP_TOO_MANY_HEADERS[] = "too_many_headers";
const char UNMO_HTTP_HEADERS_TRUNCATED[] = "headers_truncated";
const char UNMO_HTTP_NO_CONTENT_LENGTH[] = "no_content_length";
const char UNMO_HTTP_BAD_CONTENT_LENGTH[] = "bad_content_length";
const char UNMO_HTTP_DUPLICATE_CONTENT_LENGTH[] = "duplicate_content_length";
const char UNMO_HTTP_TRANSFER_ENCODING[] = "transfer_encoding";
const char UNMO_HTTP_DUPLICATE_API_KEY[] = "duplicate_api_key";
const char UNMO_HTTP_BODY_TOO_LARGE[] = "body_too_large";
const char UNMO_HTTP_BODY_TRUNCATED[] = "body_truncated";
const char UNMO_HTTP_LENGTH_MISMATCH[] = "length_mismatch";
const char UNMO_HTTP_MISSING_API_KEY[] = "missing_api_key";
const char UNMO_HTTP_BATCH_NOT_OBJECT[] = "batch_not_object";
const char UNMO_HTTP_BATCH_NO_EVENTS[] = "batch_no_events";
const char UNMO_HTTP_BATCH_TOO_MANY[] = "batch_too_many_events";
const char UNMO_HTTP_ITERATION_OVER[] = "iteration_over";
const char UNMO_HTTP_BAD_RESPONSE[] = "bad_response";

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && memchr(extra, c, sizeof extra - 1));
}

/* Field-value bytes: VCHAR, obs-text, SP, HTAB (no other controls, no DEL). */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool name_is(const char *name, size_t n, const char *lower)
{
	size_t k = strlen(lower);
	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != lower[i])
			return false;
	}
	return true;
}

static bool starts(const char *p, const char *end, const char *lit, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* "POST <path> HTTP/1.x\r\n" */
static const char *parse_request_line(char **pp, const char *end, struct unmo_http_req *r)
{
	char *p = *pp;
	if (!starts(p, end, "POST ", 5)) {
		const char *sp = p < end ? memchr(p, ' ', (size_t)(end - p)) : NULL;
		return sp && sp > p ? UNMO_HTTP_BAD_METHOD : UNMO_HTTP_BAD_REQUEST_LINE;
	}
	p += 5;
	const char *path = p;
	while (p < end && *p != ' ' && *p != '\r' && *p != '\n')
		p++;
	if (p >= end || *p != ' ')
		return UNMO_HTTP_BAD_REQUEST_LINE;
	size_t plen = (size_t)(p - path);
	if (plen == 10 && memcmp(path, "/v1/events", 10) == 0)
		r->path = UNMO_HTTP_EVENTS;
	else if (plen == 16 && memcmp(path, "/v1/events/batch", 16) == 0)
		r->path = UNMO_HTTP_BATCH;
	else
		return UNMO_HTTP_BAD_PATH;
	p++;
	if (!starts(p, end, "HTTP/1.", 7) || (size_t)(end - p) < 10)
		return (size_t)(end - p) < 10 ? UNMO_HTTP_BAD_REQUEST_LINE : UNMO_HTTP_BAD_VERSION;
	if (p[7] != '1' && p[7] != '0')
		return UNMO_HTTP_BAD_VERSION;
	if (p[8] != '\r' || p[9] != '\n')
		return UNMO_HTTP_BAD_REQUEST_LINE;
	*pp = p + 10;
	return NULL;
}

/* Content-Length: 1*DIGIT. Values past the body limit saturate (they are
 * answered 413, the exact number does not matter). */
static bool parse_length(const char *v, size_t n, size_t *out)
{
	if (n == 0)
		return false;
	size_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (x <= UNMO_HTTP_MAX_BODY)
			x = x * 10 + (size_t)(v[i] - '0');
	}
	*out = x;
	return true;
}

const char *unmo_http_parse(char *buf, size_t n, struct unmo_http_req *r, int *status)
{
	memset(r, 0, sizeof *r);
	*status = 400;
	char *p = buf;
	const char *end = buf + n, *why;
	if ((why = parse_request_line(&p, end, r)))
		return why;
	bool have_length = false;
	unsigned headers = 0;
	for (;;) {
		if (p >= end)
			return UNMO_HTTP_HEADERS_TRUNCATED;
		if (*p == '\r') {
			if (end - p < 2)
				return UNMO_HTTP_HEADERS_TRUNCATED;
			if (p[1] != '\n')
				return UNMO_HTTP_BAD_HEADER;
			p += 2;
			break;
		}
		if (++headers > UNMO_HTTP_MAX_HEADERS)
			return UNMO_HTTP_TOO_MANY_HEADERS;
		const char *name = p;
		while (p < end && is_tchar((unsigned char)*p))
			p++;
		if (p >= end)
			return UNMO_HTTP_HEADERS_TRUNCATED;
		if (p == name || *p != ':')
			return UNMO_HTTP_BAD_HEADER; /* also obs-fold, bare LF, spaces before ':' */
		size_t name_len = (size_t)(p - name);
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *value = p;
		while (p < end && is_value_char((unsigned char)*p))
			p++;
		if (p >= end)
			return UNMO_HTTP_HEADERS_TRUNCATED;
		if (*p != '\r')
			return UNMO_HTTP_BAD_HEADER;
		if (end - p < 2)
			return UNMO_HTTP_HEADERS_TRUNCATED;
		if (p[1] != '\n')
			return UNMO_HTTP_BAD_HEADER;
		const char *vend = p;
		while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		size_t vlen = (size_t)(vend - value);
		p += 2;

		if (name_is(name, name_len, "content-length")) {
			if (have_length)
				return UNMO_HTTP_DUPLICATE_CONTENT_LENGTH;
			if (!parse_length(value, vlen, &r->content_length))
				return UNMO_HTTP_BAD_CONTENT_LENGTH;
			have_length = true;
		} else if (name_is(name, name_len, "x-api-key")) {
			if (r->api_key)
				return UNMO_HTTP_DUPLICATE_API_KEY;
			r->api_key = value;
			r->api_key_len = vlen;
		} else if (name_is(name, name_len, "x-unmo-reply")) {
			r->want_reply = vlen == 1 && value[0] == '1';
		} else if (name_is(name, name_len, "transfer-encoding")) {
			return UNMO_HTTP_TRANSFER_ENCODING; /* only Content-Length framing */
		}
	}
	if (!have_length)
		return UNMO_HTTP_NO_CONTENT_LENGTH;
	if (r->content_length > UNMO_HTTP_MAX_BODY) {
		*status = 413;
		return UNMO_HTTP_BODY_TOO_LARGE;
	}
	r->body = p;
	r->body_len = (size_t)(end - p);
	if (r->body_len < r->content_length)
		return UNMO_HTTP_BODY_TRUNCATED;
	if (r->body_len > r->content_length)
		return UNMO_HTTP_LENGTH_MISMATCH;
	if (!r->api_key || r->api_key_len == 0) {
		*status = 401;
		return UNMO_HTTP_MISSING_API_KEY;
	}
	*status = 0;
	return NULL;
}

/* Iterator state: 0 = not started; ST_DONE / ST_FAILED are terminal;
 * otherwise (count << 32) | (pos + 1) with pos the body offset just past
 * the previous event (or past '[' before the first one). */
#define ST_DONE UINT64_MAX
#define ST_FAILED (UINT64_MAX - 1)

static const char *fail(size_t *state, int *status, int code, const char *why)
{
	*state = (size_t)ST_FAILED;
	*status = code;
	return why;
}

/* Skip members of the batch object up to (not including) the value of
 * "events" (returns true with *pos at '['), or to the end of the object
 * (returns false with *pos past '}'). */
static const char *batch_members(char *b, size_t n, size_t *pos, bool after_events, bool *at_events)
{
	*at_events = false;
	for (;;) {
		size_t p = unmo_json_ws(b, n, *pos);
		char *k;
		size_t kl;
		const char *why = unmo_json_string_at(b, n, &p, &k, &kl);
		if (why)
			return why == UNMO_JSON_TYPE ? UNMO_JSON_SYNTAX : why;
		p = unmo_json_ws(b, n, p);
		if (p >= n || b[p] != ':')
			return UNMO_JSON_SYNTAX;
		p = unmo_json_ws(b, n, p + 1);
		if (kl == 6 && memcmp(k, "events", 6) == 0) {
			if (after_events)
				return UNMO_JSON_DUPLICATE;
			if (p >= n || b[p] != '[')
				return p >= n ? UNMO_JSON_SYNTAX : UNMO_JSON_TYPE;
			*pos = p;
			*at_events = true;
			return NULL;
		}
		if ((why = unmo_json_skip_at(b, n, &p)))
			return why;
		p = unmo_json_ws(b, n, p);
		if (p >= n)
			return UNMO_JSON_SYNTAX;
		if (b[p] == '}') {
			*pos = p + 1;
			return NULL;
		}
		if (b[p] != ',')
			return UNMO_JSON_SYNTAX;
		*pos = p + 1;
	}
}

/* After the events array: the rest of the object, then only whitespace. */
static const char *batch_tail(char *b, size_t n, size_t p)
{
	bool at_events;
	p = unmo_json_ws(b, n, p);
	if (p >= n)
		return UNMO_JSON_SYNTAX;
	if (b[p] == ',') {
		p++;
		const char *why = batch_members(b, n, &p, true, &at_events);
		if (why)
			return why;
	} else if (b[p] == '}') {
		p++;
	} else {
		return UNMO_JSON_SYNTAX;
	}
	return unmo_json_ws(b, n, p) == n ? NULL : UNMO_JSON_SYNTAX;
}

/* End of the array element starting at b[pos], found by structure alone:
 * strings are skipped over their escapes (nothing is validated or
 * unescaped), brackets must nest and match, a scalar ends at a delimiter.
 * Returns the position just past the element, or 0 when its end cannot be
 * told (unterminated string, unbalanced brackets, deeper than the parser
 * allows). It lets a batch go on past an event the parser refused: that
 * event's bytes may have been unescaped in place, so the parser cannot be
 * trusted to find where it ended. */
static size_t element_end(const char *b, size_t n, size_t pos)
{
	char want[UNMO_JSON_MAX_DEPTH];
	unsigned depth = 0;
	for (size_t i = pos; i < n; i++) {
		char c = b[i];
		if (c == '"') {
			for (i++; i < n && b[i] != '"'; i++)
				if (b[i] == '\\')
					i++;
			if (i >= n)
				return 0;
		} else if (c == '{' || c == '[') {
			if (depth == sizeof want)
				return 0;
			want[depth++] = c == '{' ? '}' : ']';
			continue;
		} else if (c == '}' || c == ']') {
			if (!depth)
				return i > pos ? i : 0; /* a scalar ends at the array's ']' */
			if (want[--depth] != c)
				return 0;
		} else if (!depth && (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
			return i > pos ? i : 0;
		} else {
			continue;
		}
		if (!depth)
			return i + 1;
	}
	return 0;
}

const char *unmo_http_next_event(struct unmo_http_req *r, size_t *state, struct unmo_event *e, bool *done,
				 int *status)
{
	char *b = r->body;
	size_t n = r->body_len, st = *state, pos;
	const char *why;
	*done = false;
	*status = 0;
	if (st == (size_t)ST_DONE) {
		*done = true;
		return NULL;
	}
	if (st == (size_t)ST_FAILED)
		return fail(state, status, 400, UNMO_HTTP_ITERATION_OVER);
	if (r->path != UNMO_HTTP_BATCH) {
		if (st != 0) {
			*state = (size_t)ST_DONE;
			*done = true;
			return NULL;
		}
		if ((why = unmo_json_event_parse(b, n, e)))
			return fail(state, status, 400, why);
		*state = (size_t)1 << 32;
		return NULL;
	}
	uint64_t count;
	if (st == 0) {
		/* Open the body object and find the "events" array. */
		size_t p = unmo_json_ws(b, n, 0);
		if (p >= n || b[p] != '{')
			return fail(state, status, 400, p >= n ? UNMO_JSON_SYNTAX : UNMO_HTTP_BATCH_NOT_OBJECT);
		p = unmo_json_ws(b, n, p + 1);
		bool at_events = false;
		if (p < n && b[p] == '}')
			return fail(state, status, 400, UNMO_HTTP_BATCH_NO_EVENTS);
		if ((why = batch_members(b, n, &p, false, &at_events)))
			return fail(state, status, 400, why);
		if (!at_events)
			return fail(state, status, 400,
				    unmo_json_ws(b, n, p) == n ? UNMO_HTTP_BATCH_NO_EVENTS : UNMO_JSON_SYNTAX);
		pos = unmo_json_ws(b, n, p + 1); /* past '[' */
		if (pos < n && b[pos] == ']') {
			if ((why = batch_tail(b, n, pos + 1)))
				return fail(state, status, 400, why);
			*state = (size_t)ST_DONE;
			*done = true;
			return NULL;
		}
		count = 0;
	} else {
		pos = (size_t)(st & 0xffffffffu) - 1;
		count = (uint64_t)st >> 32;
		/* between elements: ',' continues, ']' ends the array */
		pos = unmo_json_ws(b, n, pos);
		if (pos >= n)
			return fail(state, status, 400, UNMO_JSON_SYNTAX);
		if (b[pos] == ']') {
			if ((why = batch_tail(b, n, pos + 1)))
				return fail(state, status, 400, why);
			*state = (size_t)ST_DONE;
			*done = true;
			return NULL;
		}
		if (b[pos] != ',')
			return fail(state, status, 400, UNMO_JSON_SYNTAX);
		pos++;
	}
	if (count >= UNMO_HTTP_MAX_BATCH)
		return fail(state, status, 413, UNMO_HTTP_BATCH_TOO_MANY);
	pos = unmo_json_ws(b, n, pos);
	size_t end = element_end(b, n, pos);
	if (!end) { /* no clear end: the parser's reason ends the batch */
		if ((why = unmo_json_event_parse_at(b, n, &pos, e)))
			return fail(state, status, 400, why);
		end = pos;
	} else if ((why = unmo_json_event_parse_at(b, end, &pos, e))) {
		/* this event is refused; the batch goes on after it */
		*state = (size_t)((count + 1) << 32 | (end + 1));
		*status = 400;
		return why;
	}
	*state = (size_t)((count + 1) << 32 | (end + 1));
	return NULL;
}

/* ------------------------------------------------------------ responses */

static const char *status_text(int status)
{
	switch (status) {
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	default: return NULL;
	}
}

size_t unmo_http_response(char *dst, size_t cap, int status, uint32_t accepted, uint32_t rejected,
			  const char *reason)
{
	const char *text = status_text(status);
	if (!text)
		return 0;
	char body[256];
	int bl = snprintf(body, sizeof body, "{\"status\":%d,\"accepted\":%u,\"rejected\":%u", status,
			  (unsigned)accepted, (unsigned)rejected);
	if (reason) {
		size_t rl = strlen(reason);
		if (rl > 64)
			return 0;
		memcpy(body + bl, ",\"reason\":", 10);
		bl += 10;
		size_t w = unmo_json_string_write(body + bl, sizeof body - (size_t)bl - 1, reason, rl);
		if (!w)
			return 0;
		bl += (int)w;
	}
	body[bl++] = '}';
	char head[160];
	int hl = snprintf(head, sizeof head,
			  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", status,
			  text, bl);
	if ((size_t)hl + (size_t)bl > cap)
		return 0;
	memcpy(dst, head, (size_t)hl);
	memcpy(dst + hl, body, (size_t)bl);
	return (size_t)hl + (size_t)bl;
}

/* Response bodies are small: parse a private copy (the JSON primitives
 * unescape in place and the caller's buffer is const). */
#define RESPONSE_BODY_MAX 512u

static const char *parse_response_body(char *b, size_t n, int *status, uint32_t *accepted, uint32_t *rejected)
{
	size_t p = unmo_json_ws(b, n, 0);
	uint64_t v[3];
	bool have[3] = {false, false, false};
	if (p >= n || b[p] != '{')
		return UNMO_HTTP_BAD_RESPONSE;
	p = unmo_json_ws(b, n, p + 1);
	if (p < n && b[p] == '}')
		return UNMO_HTTP_BAD_RESPONSE;
	for (;;) {
		char *k;
		size_t kl;
		if (unmo_json_string_at(b, n, &p, &k, &kl))
			return UNMO_HTTP_BAD_RESPONSE;
		p = unmo_json_ws(b, n, p);
		if (p >= n || b[p] != ':')
			return UNMO_HTTP_BAD_RESPONSE;
		p = unmo_json_ws(b, n, p + 1);
		int which = kl == 6 && !memcmp(k, "status", 6) ? 0
			    : kl == 8 && !memcmp(k, "accepted", 8) ? 1
			    : kl == 8 && !memcmp(k, "rejected", 8) ? 2 : -1;
		if (which >= 0) {
			if (have[which] || unmo_json_u64_at(b, n, &p, &v[which]) || v[which] > UINT32_MAX)
				return UNMO_HTTP_BAD_RESPONSE;
			have[which] = true;
		} else if (unmo_json_skip_at(b, n, &p)) {
			return UNMO_HTTP_BAD_RESPONSE;
		}
		p = unmo_json_ws(b, n, p);
		if (p >= n)
			return UNMO_HTTP_BAD_RESPONSE;
		if (b[p] == '}')
			break;
		if (b[p] != ',')
			return UNMO_HTTP_BAD_RESPONSE;
		p = unmo_json_ws(b, n, p + 1);
	}
	if (unmo_json_ws(b, n, p + 1) != n || !have[0] || !have[1] || !have[2] || (int)v[0] != *status)
		return UNMO_HTTP_BAD_RESPONSE;
	*accepted = (uint32_t)v[1];
	*rejected = (uint32_t)v[2];
	return NULL;
}

const char *unmo_http_parse_response(const char *buf, size_t n, int *status, uint32_t *accepted,
				     uint32_t *rejected)
{
	const char *p = buf, *end = buf + n;
	/* "HTTP/1.1 NNN <reason-phrase>\r\n" */
	if (!starts(p, end, "HTTP/1.", 7) || end - p < 13 || (p[7] != '1' && p[7] != '0') || p[8] != ' ')
		return UNMO_HTTP_BAD_RESPONSE;
	p += 9;
	int code = 0;
	for (int i = 0; i < 3; i++) {
		if (p[i] < '0' || p[i] > '9')
			return UNMO_HTTP_BAD_RESPONSE;
		code = code * 10 + (p[i] - '0');
	}
	p += 3;
	if (*p != ' ')
		return UNMO_HTTP_BAD_RESPONSE;
	while (p < end && is_value_char((unsigned char)*p))
		p++;
	if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
		return UNMO_HTTP_BAD_RESPONSE;
	p += 2;
	size_t length = 0;
	bool have_length = false, json = false;
	for (unsigned headers = 0;; headers++) {
		if (headers > UNMO_HTTP_MAX_HEADERS || p >= end)
			return UNMO_HTTP_BAD_RESPONSE;
		if (*p == '\r') {
			if (end - p < 2 || p[1] != '\n')
				return UNMO_HTTP_BAD_RESPONSE;
			p += 2;
			break;
		}
		const char *name = p;
		while (p < end && is_tchar((unsigned char)*p))
			p++;
		if (p >= end || p == name || *p != ':')
			return UNMO_HTTP_BAD_RESPONSE;
		size_t name_len = (size_t)(p - name);
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *value = p;
		while (p < end && is_value_char((unsigned char)*p))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return UNMO_HTTP_BAD_RESPONSE;
		const char *vend = p;
		while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		p += 2;
		if (name_is(name, name_len, "content-length")) {
			if (have_length || !parse_length(value, (size_t)(vend - value), &length))
				return UNMO_HTTP_BAD_RESPONSE;
			have_length = true;
		} else if (name_is(name, name_len, "content-type")) {
			json = (size_t)(vend - value) >= 16 && name_is(value, 16, "application/json");
		}
	}
	size_t body_len = (size_t)(end - p);
	if (!have_length || !json || length != body_len || body_len > RESPONSE_BODY_MAX)
		return UNMO_HTTP_BAD_RESPONSE;
	char copy[RESPONSE_BODY_MAX];
	memcpy(copy, p, body_len);
	*status = code;
	return parse_response_body(copy, body_len, status, accepted, rejected);
}
