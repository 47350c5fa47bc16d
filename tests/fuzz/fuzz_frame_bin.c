/* fuzz_frame_bin.c — libFuzzer target: binary frame parse, tag check, event
 * iteration, ack decode. Invariants: no crash or overread; an accepted frame
 * re-builds to the same bytes from its decoded events; an accepted ack
 * re-encodes to the same bytes. */
#include <stdlib.h>
#include "frame_bin.h"

static const uint8_t key[UNMO_FB_KEY] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unmo_ack a;
	if (!unmo_ack_decode(data, size, &a)) {
		uint8_t out[UNMO_ACK_LEN];
		if (unmo_ack_encode(out, sizeof out, &a) != size || memcmp(out, data, size) != 0)
			abort();
		(void)unmo_ack_covers(&a, a.cum + 1);
	}

	struct unmo_fb_view v;
	if (unmo_fb_parse(data, size, &v) || size > UNMO_FB_HDR + (1u << 20))
		return 0;
	if (v.frame_len != size || v.events != data + UNMO_FB_HDR)
		abort();
	bool tag_ok = unmo_fb_verify_tag(&v, key);
	(void)unmo_fb_authenticate(&v, key, true);

	static uint8_t rebuilt[UNMO_FB_HDR + (1u << 20)];
	struct unmo_fb_builder b;
	unmo_fb_begin(&b, rebuilt, sizeof rebuilt, v.key_id, v.sender_id, v.sequence, v.flags);
	size_t it = 0;
	bool done = false;
	struct unmo_event e;
	unsigned n = 0;
	const char *why;
	while (!(why = unmo_fb_next_event(&v, &it, &e, &done)) && !done) {
		if (++n > v.count || !unmo_fb_add(&b, &e))
			abort(); /* a decoded event always re-encodes */
	}
	if (why)
		return 0;
	if (n != v.count)
		abort();
	size_t len = unmo_fb_finish(&b, key);
	/* Same header and events; the tag matches only if the input's did. */
	size_t body = UNMO_FB_HDR + v.events_len;
	if (len != size || memcmp(rebuilt, data, body) != 0)
		abort();
	if (v.tag && (memcmp(rebuilt + body, data + body, UNMO_FB_TAG) == 0) != tag_ok)
		abort();
	return 0;
}
