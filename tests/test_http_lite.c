/* test_http_lite.c — HTTP-lite requests (request line, headers, lengths,
 * keys), batch iteration, responses; truncations on exact-size heap copies
 * so ASan catches any overread. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "http_lite.h"
#include "json_event.h"

/* Assertions inside big loops: only a failure reaches Criterion (the test
 * runner uses --full-stats, which records every passing assertion too). */
#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond))                                            \
			cr_assert_fail("check failed: " #cond " " __VA_ARGS__); \
	} while (0)

/* A request datagram with a correct Content-Length unless `length` >= 0. */
static size_t build(char *dst, size_t cap, const char *path, const char *extra_headers, const char *body,
		    long length)
{
	size_t bl = strlen(body);
	int n = snprintf(dst, cap,
			 "POST %s HTTP/1.1\r\nHost: ingest.example\r\nX-API-Key: k_live_abc\r\n%s"
			 "Content-Length: %ld\r\n\r\n%s",
			 path, extra_headers, length >= 0 ? length : (long)bl, body);
	cr_assert(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

/* Parse a copy in an exact-size heap buffer; *keep receives it. */
static const char *parse_copy(const char *d, size_t n, struct unmo_http_req *r, int *status, char **keep)
{
	char *b = malloc(n ? n : 1);
	memcpy(b, d, n);
	const char *why = unmo_http_parse(b, n, r, status);
	if (keep)
		*keep = b;
	else
		free(b);
	return why;
}

static const char *raw(const char *datagram, int *status)
{
	struct unmo_http_req r;
	return parse_copy(datagram, strlen(datagram), &r, status, NULL);
}

#define EXPECT(datagram, why, code)                                                             \
	do {                                                                                    \
		int st_;                                                                        \
		const char *r_ = raw(datagram, &st_);                                           \
		cr_assert_not_null(r_, "accepted: %s", datagram);                               \
		cr_assert_str_eq(r_, why, "%s", datagram);                                      \
		cr_assert_eq(st_, code, "%s: %d", datagram, st_);                               \
	} while (0)

#define BODY "{\"type\":\"click\"}"
#define TAIL "Content-Length: 16\r\n\r\n" BODY

Test(http_request, valid_single_event)
{
	char d[512];
	size_t n = build(d, sizeof d, "/v1/events", "X-Unmo-Reply: 1\r\n",
			 "{\"type\":\"install\",\"campaign\":\"summer\\u00e9\"}", -1);
	struct unmo_http_req r;
	int st;
	char *keep;
	cr_assert_null(parse_copy(d, n, &r, &st, &keep));
	cr_assert_eq(st, 0);
	cr_assert_eq(r.path, UNMO_HTTP_EVENTS);
	cr_assert(r.api_key_len == 10 && memcmp(r.api_key, "k_live_abc", 10) == 0);
	cr_assert(r.want_reply);
	cr_assert_eq(r.body_len, r.content_length);
	cr_assert_eq(r.body + r.body_len, keep + n);
	size_t state = 0;
	bool done;
	struct unmo_event e;
	cr_assert_null(unmo_http_next_event(&r, &state, &e, &done, &st));
	cr_assert(!done);
	cr_assert_eq(e.type, UNMO_EV_INSTALL);
	cr_assert(e.s[UNMO_S_CAMPAIGN].len == 8 && memcmp(e.s[UNMO_S_CAMPAIGN].p, "summer\xC3\xA9", 8) == 0);
	cr_assert_null(unmo_http_next_event(&r, &state, &e, &done, &st));
	cr_assert(done);
	cr_assert_null(unmo_http_next_event(&r, &state, &e, &done, &st));
	cr_assert(done);
	free(keep);
}

Test(http_request, request_line)
{
	int st;
	cr_assert_null(raw("POST /v1/events HTTP/1.0\r\nX-API-Key: k\r\n" TAIL, &st));
	cr_assert_null(raw("POST /v1/events/batch HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 2\r\n\r\n{}", &st));
	EXPECT("GET /v1/events HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_method", 400);
	EXPECT("post /v1/events HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_method", 400);
	EXPECT("PUT /v1/events HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_method", 400);
	EXPECT("POST  /v1/events HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_path", 400);
	EXPECT("POST /v1/event HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_path", 400);
	EXPECT("POST /v1/events/ HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_path", 400);
	EXPECT("POST /v1/events?x=1 HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_path", 400);
	EXPECT("POST /V1/EVENTS HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_path", 400);
	EXPECT("POST http://h/v1/events HTTP/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_path", 400);
	EXPECT("POST /v1/events HTTP/1.2\r\nX-API-Key: k\r\n" TAIL, "bad_version", 400);
	EXPECT("POST /v1/events HTTP/2.0\r\nX-API-Key: k\r\n" TAIL, "bad_version", 400);
	EXPECT("POST /v1/events http/1.1\r\nX-API-Key: k\r\n" TAIL, "bad_version", 400);
	EXPECT("POST /v1/events HTTP/1.1 \r\nX-API-Key: k\r\n" TAIL, "bad_request_line", 400);
	EXPECT("POST /v1/events HTTP/1.1\nX-API-Key: k\r\n" TAIL, "bad_request_line", 400);
	EXPECT("POST /v1/events\r\nX-API-Key: k\r\n" TAIL, "bad_request_line", 400);
	EXPECT("POST", "bad_request_line", 400);
	EXPECT("", "bad_request_line", 400);
	EXPECT("\r\n", "bad_request_line", 400);
}

Test(http_request, headers)
{
	int st;
	struct unmo_http_req r;
	const char *ok = "POST /v1/events HTTP/1.1\r\nx-api-KEY:k2\r\ncontent-LENGTH:16\r\nX-UNMO-REPLY: 1 \r\n"
			 "X-Odd_Name!#$%&'*+-.^`|~: v\t with\ttabs \xC3\xA9\r\n\r\n" BODY;
	char *keep;
	cr_assert_null(parse_copy(ok, strlen(ok), &r, &st, &keep));
	cr_assert(r.api_key_len == 2 && memcmp(r.api_key, "k2", 2) == 0);
	cr_assert(r.want_reply);
	cr_assert_eq(r.content_length, 16);
	free(keep);
	const char *noreply = "POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nX-Unmo-Reply: 0\r\n" TAIL;
	cr_assert_null(parse_copy(noreply, strlen(noreply), &r, &st, NULL));
	cr_assert(!r.want_reply);
	/* OWS around the value is not part of it */
	const char *ows = "POST /v1/events HTTP/1.1\r\nX-API-Key: \t key \t\r\n" TAIL;
	cr_assert_null(parse_copy(ows, strlen(ows), &r, &st, &keep));
	cr_assert(r.api_key_len == 3 && memcmp(r.api_key, "key", 3) == 0);
	free(keep);

	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key : k\r\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\n X-API-Key: k\r\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\n  folded\r\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\n: k\r\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key k\r\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\rx\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\x01\r\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\x7f\r\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API\"Key: k\r\n" TAIL, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\n\rx" BODY, "bad_header", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nX-API-Key: k\r\n" TAIL, "duplicate_api_key", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nTransfer-Encoding: chunked\r\n" TAIL,
	       "transfer_encoding", 400);
	/* header count limit */
	char d[4096];
	for (unsigned count = 30; count <= 34; count++) {
		int n = sprintf(d, "POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 16\r\n");
		for (unsigned i = 2; i < count; i++)
			n += sprintf(d + n, "X-H%u: v\r\n", i);
		sprintf(d + n, "\r\n" BODY);
		const char *why = raw(d, &st);
		if (count <= UNMO_HTTP_MAX_HEADERS)
			cr_assert_null(why, "%u headers", count);
		else
			cr_assert_str_eq(why, "too_many_headers");
	}
}

Test(http_request, content_length)
{
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\n\r\n" BODY, "no_content_length", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 16\r\nContent-Length: 16\r\n\r\n" BODY,
	       "duplicate_content_length", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\ncontent-length: 16\r\nContent-Length: 17\r\n\r\n" BODY,
	       "duplicate_content_length", 400);
	static const char *const bad[] = {"", "+16", "-16", "16 16", "1 6", "0x10", "16,16", "sixteen", "16a"};
	char d[256];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(d, sizeof d, "POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: %s\r\n\r\n" BODY,
			 bad[i]);
		EXPECT(d, "bad_content_length", 400);
	}
	int st;
	cr_assert_null(raw("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 0016\r\n\r\n" BODY, &st));
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 15\r\n\r\n" BODY, "length_mismatch", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 0\r\n\r\n" BODY, "length_mismatch", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 17\r\n\r\n" BODY, "body_truncated", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 65000\r\n\r\n" BODY, "body_truncated", 400);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 65001\r\n\r\n" BODY, "body_too_large", 413);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: 99999999999999999999999999\r\n\r\n" BODY,
	       "body_too_large", 413);
	/* a body of exactly the limit is accepted by the request parser */
	char *big = malloc(UNMO_HTTP_MAX_BODY + 200);
	int n = sprintf(big, "POST /v1/events HTTP/1.1\r\nX-API-Key: k\r\nContent-Length: %u\r\n\r\n",
			UNMO_HTTP_MAX_BODY);
	memset(big + n, ' ', UNMO_HTTP_MAX_BODY);
	struct unmo_http_req r;
	cr_assert_null(parse_copy(big, (size_t)n + UNMO_HTTP_MAX_BODY, &r, &st, NULL));
	free(big);
}

Test(http_request, api_key_absent_is_401_with_reply_flag)
{
	int st;
	struct unmo_http_req r;
	const char *d = "POST /v1/events HTTP/1.1\r\nX-Unmo-Reply: 1\r\n" TAIL;
	cr_assert_str_eq(parse_copy(d, strlen(d), &r, &st, NULL), "missing_api_key");
	cr_assert_eq(st, 401);
	cr_assert(r.want_reply);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key:\r\n" TAIL, "missing_api_key", 401);
	EXPECT("POST /v1/events HTTP/1.1\r\nX-API-Key:   \r\n" TAIL, "missing_api_key", 401);
	/* malformed beats missing key: 400 */
	EXPECT("POST /v1/events HTTP/1.1\r\nContent-Length: 17\r\n\r\n" BODY, "body_truncated", 400);
}

Test(http_request, every_truncation_is_rejected)
{
	char d[1024];
	size_t n = build(d, sizeof d, "/v1/events/batch", "X-Unmo-Reply: 1\r\nUser-Agent: sdk/1.0\r\n",
			 "{\"events\":[{\"type\":\"click\",\"campaign\":\"a\\\"b\"},{\"type\":\"install\"}],\"x\":1}", -1);
	struct unmo_http_req r;
	int st;
	for (size_t cut = 0; cut < n; cut++) {
		const char *why = parse_copy(d, cut, &r, &st, NULL);
		CHECK(why, "cut %zu", cut);
		CHECK(st == 400, "cut %zu: %s", cut, why);
	}
	cr_assert_null(parse_copy(d, n, &r, &st, NULL));
}

/* ------------------------------------------------------------- batches */

struct collected {
	int count;   /* events returned */
	uint8_t types[UNMO_HTTP_MAX_BATCH + 2];
	const char *why; /* the first reason */
	int status;      /* its status */
	int refused;     /* reasons returned (refused events, or the unreadable rest) */
	bool over;       /* a reason ended the iteration (next call: iteration_over) */
};

/* Iterate like the appliance does: past refused events, until the end or
 * until a reason ends the body. */
static struct collected iterate(const char *body)
{
	char d[70000];
	size_t n = build(d, sizeof d, "/v1/events/batch", "", body, -1);
	struct unmo_http_req r;
	int st;
	char *keep;
	struct collected c = {0};
	const char *why = parse_copy(d, n, &r, &st, &keep);
	cr_assert_null(why, "%s", why);
	size_t state = 0;
	for (int guard = 0; guard < 2100; guard++) {
		struct unmo_event e;
		bool done;
		int status;
		why = unmo_http_next_event(&r, &state, &e, &done, &status);
		if (done) {
			cr_assert_null(why);
			break;
		}
		if (why && !strcmp(why, "iteration_over")) {
			c.over = true;
			break;
		}
		if (why) {
			if (!c.why) {
				c.why = why;
				c.status = status;
			}
			c.refused++;
			continue;
		}
		CHECK(!unmo_event_check(&e));
		c.types[c.count++] = e.type;
	}
	free(keep);
	return c;
}

Test(http_batch, good_batches)
{
	struct collected c = iterate("{\"events\":[{\"type\":\"click\"},{\"type\":\"install\"}, {\"type\":\"session\"} ]}");
	cr_assert_null(c.why);
	cr_assert_eq(c.count, 3);
	cr_assert(c.types[0] == UNMO_EV_CLICK && c.types[1] == UNMO_EV_INSTALL && c.types[2] == UNMO_EV_SESSION);
	c = iterate(" { \"sent_at\" : 17 , \"meta\":{\"sdk\":[1,{\"a\":\"\\u00e9\"}]},\"events\" : [ ] , \"z\":null } ");
	cr_assert_null(c.why);
	cr_assert_eq(c.count, 0);
	c = iterate("{\"ev\\u0065nts\":[{\"type\":\"click\"}],\"tail\":[true,false]}");
	cr_assert_null(c.why);
	cr_assert_eq(c.count, 1);
}

Test(http_batch, bad_event_in_the_middle)
{
	/* a refused event whose end is clear: one rejection, the batch goes on */
	struct collected c = iterate("{\"events\":[{\"type\":\"click\"},{\"type\":\"install\"},"
				     "{\"type\":\"click\",\"currency\":\"usd\"},{\"type\":\"session\"}]}");
	cr_assert_eq(c.count, 3);
	cr_assert(c.types[0] == UNMO_EV_CLICK && c.types[1] == UNMO_EV_INSTALL && c.types[2] == UNMO_EV_SESSION);
	cr_assert_str_eq(c.why, "json_bad_currency");
	cr_assert_eq(c.status, 400);
	cr_assert_eq(c.refused, 1);
	cr_assert(!c.over);
	c = iterate("{\"events\":[{\"type\":\"click\"},7]}");
	cr_assert_eq(c.count, 1);
	cr_assert_str_eq(c.why, "json_not_object");
	cr_assert_eq(c.refused, 1);
	cr_assert(!c.over);
	/* no clear end: the reason ends the body */
	c = iterate("{\"events\":[{\"type\":\"click\"},{\"type\":\"click\",]}");
	cr_assert_eq(c.count, 1);
	cr_assert_str_eq(c.why, "json_syntax");
	cr_assert(c.over && c.refused == 1);
	c = iterate("{\"events\":[{\"type\":\"click\"},]}");
	cr_assert_eq(c.count, 1);
	cr_assert_str_eq(c.why, "json_not_object");
	cr_assert(c.over && c.refused == 1);
	c = iterate("{\"events\":[{\"type\":\"click\"} {\"type\":\"click\"}]}");
	cr_assert_eq(c.count, 1);
	cr_assert_str_eq(c.why, "json_syntax");
	cr_assert(c.over && c.refused == 1);
}

Test(http_batch, every_refused_event_counted_and_good_ones_kept)
{
	/* Refused events with escapes, brackets and commas inside strings (the
	 * parser unescapes in place before refusing), a nested unknown member,
	 * a wrong member type, an element that is not an object, and a bad
	 * UTF-8 escape: each is one rejection and every good event around
	 * them is returned. */
	struct collected c = iterate(
		"{\"events\":["
		"{\"type\":\"click\",\"campaign\":\"a\\\"b,}]\\n\",\"currency\":\"usd\"},"
		"{\"type\":\"install\"},"
		"{\"x\":{\"y\":[1,{\"z\":\"]}\"}]},\"type\":\"nope\"},"
		" {\"type\":\"session\"} ,"
		"{\"type\":\"click\",\"event_time_us\":\"12\"},"
		"[1,2],"
		"{\"type\":\"click\",\"media_source\":\"\\ud800\"},"
		"\"str\\\"ing\","
		"{\"type\":\"conversion\"}"
		"]}");
	cr_assert_eq(c.count, 3, "%d", c.count);
	cr_assert(c.types[0] == UNMO_EV_INSTALL && c.types[1] == UNMO_EV_SESSION &&
		  c.types[2] == UNMO_EV_CONVERSION);
	cr_assert_eq(c.refused, 6, "%d", c.refused);
	cr_assert_str_eq(c.why, "json_bad_currency");
	cr_assert(!c.over);
	/* the limit counts refused elements too */
	static char body[70000];
	size_t n = (size_t)sprintf(body, "{\"events\":[");
	for (unsigned i = 0; i < UNMO_HTTP_MAX_BATCH + 1; i++)
		n += (size_t)sprintf(body + n, "%s%s", i ? "," : "", i % 2 ? "{\"type\":\"click\"}" : "{}");
	strcpy(body + n, "]}");
	c = iterate(body);
	cr_assert_eq(c.count, (int)UNMO_HTTP_MAX_BATCH / 2);
	cr_assert_eq(c.refused, (int)UNMO_HTTP_MAX_BATCH / 2 + 1);
	cr_assert(c.over);
}

Test(http_batch, malformed_bodies)
{
	static const struct {
		const char *body, *why;
		int before; /* events returned before the reason */
	} cases[] = {
		{"[]", "batch_not_object", 0},
		{"", "json_syntax", 0},
		{"   ", "json_syntax", 0},
		{"{}", "batch_no_events", 0},
		{"{\"x\":1}", "batch_no_events", 0},
		{"{\"x\":1} x", "json_syntax", 0},
		{"{\"events\":{}}", "json_type", 0},
		{"{\"events\":null}", "json_type", 0},
		{"{\"events\":[", "json_syntax", 0},
		{"{\"events\":[]", "json_syntax", 0},
		{"{\"events\":[],}", "json_syntax", 0},
		{"{\"events\":[]} x", "json_syntax", 0},
		{"{\"events\":[{\"type\":\"click\"}]} x", "json_syntax", 1},
		{"{\"events\":[{\"type\":\"click\"}],\"events\":[]}", "json_duplicate", 1},
		{"{\"events\":[{\"type\":\"click\"}],\"x\":[1,]}", "json_syntax", 1},
		{"{\"x\":[1,],\"events\":[{\"type\":\"click\"}]}", "json_syntax", 0},
		{"{\"x\":\"\\ud800\",\"events\":[]}", "json_escape", 0},
		{"{x:1,\"events\":[]}", "json_syntax", 0},
		{"{\"events\" [] }", "json_syntax", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct collected c = iterate(cases[i].body);
		cr_assert_not_null(c.why, "%s", cases[i].body);
		cr_assert_str_eq(c.why, cases[i].why, "%s", cases[i].body);
		cr_assert_eq(c.count, cases[i].before, "%s", cases[i].body);
		cr_assert_eq(c.status, 400);
		cr_assert(c.over && c.refused == 1, "%s", cases[i].body);
	}
}

Test(http_batch, event_count_limit)
{
	static char body[70000];
	for (unsigned count = UNMO_HTTP_MAX_BATCH - 1; count <= UNMO_HTTP_MAX_BATCH + 1; count++) {
		size_t n = 0;
		n += (size_t)sprintf(body, "{\"events\":[");
		for (unsigned i = 0; i < count; i++)
			n += (size_t)sprintf(body + n, "%s{\"type\":\"click\"}", i ? "," : "");
		strcpy(body + n, "]}");
		struct collected c = iterate(body);
		if (count <= UNMO_HTTP_MAX_BATCH) {
			cr_assert_null(c.why);
			cr_assert_eq(c.count, (int)count);
		} else {
			cr_assert_str_eq(c.why, "batch_too_many_events");
			cr_assert_eq(c.status, 413);
			cr_assert_eq(c.count, (int)UNMO_HTTP_MAX_BATCH);
			cr_assert(c.over && c.refused == 1);
		}
	}
}

Test(http_batch, single_event_path_rejects_extra_content)
{
	char d[256];
	size_t n = build(d, sizeof d, "/v1/events", "", "{\"type\":\"click\"}{\"type\":\"click\"}", -1);
	struct unmo_http_req r;
	int st;
	char *keep;
	cr_assert_null(parse_copy(d, n, &r, &st, &keep));
	size_t state = 0;
	bool done;
	struct unmo_event e;
	cr_assert_str_eq(unmo_http_next_event(&r, &state, &e, &done, &st), "json_syntax");
	cr_assert_eq(st, 400);
	free(keep);
}

/* ----------------------------------------------------------- responses */

Test(http_response, exact_bytes)
{
	char out[512];
	size_t n = unmo_http_response(out, sizeof out, 202, 3, 0, NULL);
	const char *want = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
			   "{\"status\":202,\"accepted\":3,\"rejected\":0}";
	cr_assert_eq(n, strlen(want), "%.*s", (int)n, out);
	cr_assert(memcmp(out, want, n) == 0);
	n = unmo_http_response(out, sizeof out, 400, 2, 1, "json_bad_currency");
	want = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 69\r\n\r\n"
	       "{\"status\":400,\"accepted\":2,\"rejected\":1,\"reason\":\"json_bad_currency\"}";
	cr_assert_eq(n, strlen(want), "%.*s", (int)n, out);
	cr_assert(memcmp(out, want, n) == 0);
	cr_assert_eq(unmo_http_response(out, sizeof out, 200, 0, 0, NULL), 0);
	cr_assert_eq(unmo_http_response(out, sizeof out, 500, 0, 0, NULL), 0);
	for (size_t cap = 0; cap < n; cap++) {
		char *b = malloc(cap ? cap : 1);
		CHECK(unmo_http_response(b, cap, 400, 2, 1, "json_bad_currency") == 0);
		free(b);
	}
}

Test(http_response, round_trip_and_rejections)
{
	static const int codes[] = {202, 400, 401, 413, 429};
	char out[512];
	for (size_t i = 0; i < 5; i++) {
		size_t n = unmo_http_response(out, sizeof out, codes[i], (uint32_t)i * 7u, UINT32_MAX,
					      i % 2 ? "quota \"x\"" : NULL);
		cr_assert_gt(n, 0);
		int st = 0;
		uint32_t a = 1, rj = 1;
		cr_assert_null(unmo_http_parse_response(out, n, &st, &a, &rj));
		cr_assert_eq(st, codes[i]);
		cr_assert_eq(a, (uint32_t)i * 7u);
		cr_assert_eq(rj, UINT32_MAX);
		for (size_t cut = 0; cut < n; cut++) {
			char *b = malloc(cut ? cut : 1);
			memcpy(b, out, cut);
			CHECK(unmo_http_parse_response(b, cut, &st, &a, &rj), "cut %zu", cut);
			free(b);
		}
	}
	int st;
	uint32_t a, rj;
	const char *bad[] = {
		"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
		"{\"status\":400,\"accepted\":3,\"rejected\":0}", /* status mismatch */
		"HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\n"
		"{\"status\":202,\"accepted\":3,\"rejected\":0}",
		"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 41\r\n\r\n"
		"{\"status\":202,\"accepted\":3,\"rejected\":0}",
		"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n"
		"{\"status\":202,\"accepted\":3}",
		"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 47\r\n\r\n"
		"{\"status\":202,\"accepted\":-3,\"rejected\":0,\"x\":1}",
		"HTTP/1.1 2x2 Accepted\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
		"{\"status\":202,\"accepted\":3,\"rejected\":0}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_str_eq(unmo_http_parse_response(bad[i], strlen(bad[i]), &st, &a, &rj), "bad_response", "%zu", i);
	const char *ok = "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json; charset=utf-8\r\n"
			 "Content-Length: 57\r\n\r\n{\"rejected\":5,\"x\":[1,{}],\"accepted\":0,\"status\":429,\"y\":1}";
	cr_assert_null(unmo_http_parse_response(ok, strlen(ok), &st, &a, &rj));
	cr_assert(st == 429 && a == 0 && rj == 5);
}

/* The example datagrams of docs/http-lite.md, read from the document itself
 * (a fenced block starting with "POST "; "\r\n" written out, one line each). */
static size_t doc_example(const char *first_line, char *out, size_t cap)
{
	FILE *f = fopen(UNMO_SRC_ROOT "/docs/http-lite.md", "r");
	cr_assert_not_null(f, "docs/http-lite.md");
	char line[1024];
	size_t n = 0;
	bool in = false;
	while (fgets(line, sizeof line, f)) {
		if (!in && strncmp(line, first_line, strlen(first_line)) == 0)
			in = true;
		if (!in)
			continue;
		if (strncmp(line, "```", 3) == 0)
			break;
		size_t l = strcspn(line, "\n");
		if (l >= 4 && memcmp(line + l - 4, "\\r\\n", 4) == 0) {
			memcpy(out + n, line, l - 4);
			n += l - 4;
			memcpy(out + n, "\r\n", 2);
			n += 2;
		} else {
			memcpy(out + n, line, l);
			n += l;
		}
		cr_assert_lt(n, cap);
	}
	fclose(f);
	cr_assert(in, "example %s not found", first_line);
	return n;
}

Test(http_docs, examples_parse_as_documented)
{
	char d[2048];
	size_t n = doc_example("POST /v1/events HTTP/1.1", d, sizeof d);
	struct unmo_http_req r;
	int st;
	char *keep;
	cr_assert_null(parse_copy(d, n, &r, &st, &keep));
	cr_assert_eq(r.content_length, 420);
	cr_assert(r.want_reply);
	size_t state = 0;
	bool done;
	struct unmo_event e;
	cr_assert_null(unmo_http_next_event(&r, &state, &e, &done, &st));
	cr_assert_eq(e.type, UNMO_EV_INSTALL);
	/* the example is in canonical form: writing it back gives the same body */
	char w[1024];
	char body[1024];
	memcpy(body, d + (n - 420), 420);
	cr_assert_eq(unmo_json_event_write(w, sizeof w, &e), 420);
	cr_assert(memcmp(w, body, 420) == 0);
	free(keep);

	n = doc_example("POST /v1/events/batch HTTP/1.1", d, sizeof d);
	cr_assert_null(parse_copy(d, n, &r, &st, &keep));
	int count = 0;
	state = 0;
	for (;;) {
		cr_assert_null(unmo_http_next_event(&r, &state, &e, &done, &st));
		if (done)
			break;
		count++;
	}
	cr_assert_eq(count, 2);
	cr_assert_eq(e.revenue_micros, 4990000);
	free(keep);

	n = doc_example("HTTP/1.1 202 Accepted", d, sizeof d);
	char resp[256];
	cr_assert_eq(unmo_http_response(resp, sizeof resp, 202, 1, 0, NULL), n);
	cr_assert(memcmp(resp, d, n) == 0);
	cr_assert_eq(n, 117);
	n = doc_example("HTTP/1.1 400 Bad Request", d, sizeof d);
	cr_assert_eq(unmo_http_response(resp, sizeof resp, 400, 0, 1, "json_bad_currency"), n);
	cr_assert(memcmp(resp, d, n) == 0);
}
