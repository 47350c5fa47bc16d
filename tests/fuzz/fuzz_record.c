/* fuzz_record.c — libFuzzer target: record decoder; re-encode must round-trip,
 * and the appliance's one-pass unmo_record_check_fill must agree with it. */
#include <stdlib.h>
#include "record.h"

static uint8_t fill_out[UNMO_RECORD_MAX + 2048], fill_exp[UNMO_RECORD_MAX + 2048];

/* The oracle: unmo_record_check_fill == unmo_record_decode (same verdict,
 * same reason pointer) followed by unmo_record_fill. */
static void check_fill_oracle(const uint8_t *data, size_t size, const char *why_decode,
			      const struct unmo_event *e, size_t used)
{
	struct unmo_str app = unmo_str_c("com.techstart.mobile");
	struct unmo_record_seen seen;
	/* a cap taken from the input exercises the "does not fit" answer too */
	size_t cap = size ? (size_t)data[0] * 8u : sizeof fill_out;
	if (cap > sizeof fill_out)
		cap = sizeof fill_out;
	const char *why = unmo_record_check_fill(fill_out, cap, data, size, app, 77, 88, 99, &seen);
	if (why != why_decode)
		abort();
	if (why)
		return;
	if (seen.used != used || seen.event_time_us != e->event_time_us ||
	    !unmo_str_eq(seen.app_id, e->s[UNMO_S_APP_ID]))
		abort();
	size_t n = unmo_record_fill(fill_exp, cap, data, used, app, 77, 88, 99);
	if (seen.written != n || memcmp(fill_out, fill_exp, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unmo_event e;
	size_t used = 0;
	const char *why = unmo_record_decode(data, size, &e, &used);
	check_fill_oracle(data, size, why, &e, used);
	if (why)
		return 0;
	uint8_t out[UNMO_RECORD_MAX];
	size_t n = unmo_record_encode(out, sizeof out, &e);
	if (n != used || memcmp(out, data, n) != 0)
		abort(); /* a decodable record must re-encode to the same bytes */
	return 0;
}
