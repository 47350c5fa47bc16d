/* fuzz_http_lite.c — libFuzzer target: HTTP-lite request parser + batch
 * iteration over every event, and the response parser. Every event handed
 * out must be valid and survive the canonical JSON round trip. */
#include <stdlib.h>
#include <string.h>
#include "http_lite.h"
#include "json_event.h"

static char out1[UNMO_JSON_EVENT_MAX], out2[UNMO_JSON_EVENT_MAX], scratch[UNMO_JSON_EVENT_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1); /* exact size: ASan sees overreads */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct unmo_http_req r;
	int status;
	const char *why = unmo_http_parse(buf, size, &r, &status);
	if (!why) {
		if (status != 0 || r.body_len != r.content_length || r.body + r.body_len != buf + size)
			abort();
		size_t state = 0;
		unsigned events = 0, refused = 0;
		for (;;) {
			struct unmo_event e, d;
			bool done;
			why = unmo_http_next_event(&r, &state, &e, &done, &status);
			if (why == UNMO_HTTP_ITERATION_OVER)
				break;
			if (why) { /* a refused event: the batch may go on */
				if ((status != 400 && status != 413) || done)
					abort();
				if (++refused + events > UNMO_HTTP_MAX_BATCH + 1)
					abort();
				continue;
			}
			if (done)
				break;
			if (++events + refused > UNMO_HTTP_MAX_BATCH || unmo_event_check(&e))
				abort();
			size_t n1 = unmo_json_event_write(out1, sizeof out1, &e);
			if (!n1)
				abort();
			memcpy(scratch, out1, n1); /* the reader unescapes in place */
			if (unmo_json_event_parse(scratch, n1, &d))
				abort();
			size_t n2 = unmo_json_event_write(out2, sizeof out2, &d);
			if (n2 != n1 || memcmp(out2, out1, n1) != 0)
				abort();
		}
	} else if (status != 400 && status != 401 && status != 413) {
		abort();
	}
	int st;
	uint32_t a, rj;
	unmo_http_parse_response((const char *)data, size, &st, &a, &rj);
	free(buf);
	return 0;
}
