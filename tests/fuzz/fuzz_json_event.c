/* fuzz_json_event.c — libFuzzer target: JSON event reader. An accepted
 * event must be valid, must write, and its canonical form must re-parse to
 * the same canonical bytes (write(parse(write(e))) == write(e)). */
#include <stdlib.h>
#include <string.h>
#include "json_event.h"

static char out1[UNMO_JSON_EVENT_MAX], out2[UNMO_JSON_EVENT_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1); /* exact size: ASan sees overreads */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct unmo_event e, d;
	const char *why = unmo_json_event_parse(buf, size, &e);
	if (!why) {
		if (unmo_event_check(&e))
			abort(); /* the reader accepted a structurally invalid event */
		size_t n1 = unmo_json_event_write(out1, sizeof out1, &e);
		if (!n1)
			abort();
		char *copy = malloc(n1);
		memcpy(copy, out1, n1);
		if (unmo_json_event_parse(copy, n1, &d))
			abort(); /* canonical output must parse */
		size_t n2 = unmo_json_event_write(out2, sizeof out2, &d);
		if (n2 != n1 || memcmp(out1, out2, n1) != 0)
			abort(); /* canonical form must be a fixed point */
		free(copy);
	}
	/* the same bytes as a sequence of values, via the primitives */
	memcpy(buf, data, size);
	size_t pos = 0;
	for (int i = 0; i < 64 && pos < size; i++) {
		size_t before = pos;
		if (unmo_json_skip_at(buf, size, &pos) || pos <= before)
			break;
		pos = unmo_json_ws(buf, size, pos);
		if (pos < size && buf[pos] == ',')
			pos++;
	}
	free(buf);
	return 0;
}
