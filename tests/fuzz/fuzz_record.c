/* fuzz_record.c — libFuzzer target: record decoder; re-encode must round-trip. */
#include <stdlib.h>
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unmo_event e;
	size_t used;
	if (unmo_record_decode(data, size, &e, &used))
		return 0;
	uint8_t out[UNMO_RECORD_MAX];
	size_t n = unmo_record_encode(out, sizeof out, &e);
	if (n != used || memcmp(out, data, n) != 0)
		abort(); /* a decodable record must re-encode to the same bytes */
	return 0;
}
