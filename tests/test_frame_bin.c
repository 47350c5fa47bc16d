/* test_frame_bin.c — binary frames and acks: round trips, limits, every
 * malformed header, truncations, tag tampering, auth policy. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include "frame_bin.h"

/* Loops assert through CHECK: under --full-stats every passing cr_assert is
 * reported to the runner, which makes tight loops slow. */
#define CHECK(cond, ...) do { if (!(cond)) cr_assert(cond, __VA_ARGS__); } while (0)

static const uint8_t key[UNMO_FB_KEY] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static struct unmo_event make_event(int i)
{
	static char ua[] = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile";
	static char camp[] = "summer_sale_2026";
	static char media[] = "googleadwords_int";
	static char gaid[] = "38400000-8cf0-11bd-b23e-10b96e40000d";
	struct unmo_event e;
	unmo_event_clear(&e);
	for (int k = 0; k < 16; k++)
		e.event_id[k] = (uint8_t)(i * 31 + k);
	e.type = (uint8_t)(1 + i % 7);
	e.platform = (uint8_t)(i % 5);
	e.ip_version = (uint8_t)(i % 2 ? 4 : 6);
	for (int k = 0; k < 16; k++)
		e.ip[k] = e.ip_version == 4 && k >= 4 ? 0 : (uint8_t)(k + i);
	e.event_time_us = 1790000000000000 + i;
	e.revenue_micros = i % 7 == 4 ? 4990000 : 0;
	if (e.revenue_micros)
		memcpy(e.currency, "USD", 3);
	memcpy(e.country, "DE", 2);
	e.s[UNMO_S_ADVERTISING_ID] = unmo_str_c(gaid);
	e.s[UNMO_S_MEDIA_SOURCE] = unmo_str_c(media);
	e.s[UNMO_S_CAMPAIGN] = unmo_str_c(camp);
	e.s[UNMO_S_USER_AGENT] = (struct unmo_str){ua, (uint16_t)(i % 50 + 40)};
	return e;
}

static void assert_same(const struct unmo_event *a, const struct unmo_event *b)
{
	cr_assert(memcmp(a->event_id, b->event_id, 16) == 0);
	cr_assert_eq(a->type, b->type);
	cr_assert_eq(a->platform, b->platform);
	cr_assert_eq(a->ip_version, b->ip_version);
	cr_assert(memcmp(a->ip, b->ip, 16) == 0);
	cr_assert_eq(a->event_time_us, b->event_time_us);
	cr_assert_eq(a->revenue_micros, b->revenue_micros);
	cr_assert(memcmp(a->currency, b->currency, 3) == 0);
	cr_assert(memcmp(a->country, b->country, 2) == 0);
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		cr_assert(unmo_str_eq(a->s[i], b->s[i]), "string %d", i);
}

/* Build a frame of n events; returns its length. */
static size_t build(uint8_t *buf, size_t cap, int n, uint8_t flags, uint64_t seq)
{
	struct unmo_fb_builder b;
	unmo_fb_begin(&b, buf, cap, 0x1122334455667788ull, 42, seq, flags);
	for (int i = 0; i < n; i++) {
		struct unmo_event e = make_event(i);
		CHECK(unmo_fb_add(&b, &e), "event %d", i);
	}
	size_t len = unmo_fb_finish(&b, key);
	cr_assert_gt(len, 0);
	return len;
}

/* Parse and read every event; returns NULL or the first reason. */
static const char *walk(const uint8_t *buf, size_t n, int *events)
{
	struct unmo_fb_view v;
	const char *why = unmo_fb_parse(buf, n, &v);
	*events = 0;
	if (why)
		return why;
	size_t it = 0;
	bool done = false;
	struct unmo_event e;
	while (!(why = unmo_fb_next_event(&v, &it, &e, &done)) && !done)
		(*events)++;
	return why;
}

Test(frame_bin, round_trip_with_and_without_tag)
{
	static uint8_t buf[65536];
	for (int auth = 0; auth < 2; auth++) {
		uint8_t flags = (uint8_t)(auth ? UNMO_FB_AUTH | UNMO_FB_ACK_REQ : 0);
		size_t len = build(buf, sizeof buf, 20, flags, 7);
		struct unmo_fb_view v;
		cr_assert_null(unmo_fb_parse(buf, len, &v));
		cr_assert_eq(v.count, 20);
		cr_assert_eq(v.key_id, 0x1122334455667788ull);
		cr_assert_eq(v.sender_id, 42);
		cr_assert_eq(v.sequence, 7);
		cr_assert_eq(v.flags, flags);
		cr_assert_eq(v.frame_len, len);
		cr_assert_eq(UNMO_FB_HDR + v.events_len + (auth ? UNMO_FB_TAG : 0), len);
		cr_assert_eq(v.tag != NULL, auth);
		cr_assert_eq(unmo_fb_verify_tag(&v, key), (bool)auth);
		size_t it = 0;
		bool done = false;
		struct unmo_event e;
		for (int i = 0; i < 20; i++) {
			cr_assert_null(unmo_fb_next_event(&v, &it, &e, &done));
			cr_assert_not(done);
			struct unmo_event want = make_event(i);
			assert_same(&want, &e);
		}
		cr_assert_null(unmo_fb_next_event(&v, &it, &e, &done));
		cr_assert(done);
		/* the tag is exactly keyed BLAKE2b-128 over header + events */
		if (auth) {
			uint8_t t[16];
			crypto_generichash(t, 16, buf, len - 16, key, 32);
			cr_assert(memcmp(t, buf + len - 16, 16) == 0);
		}
	}
}

Test(frame_bin, max_events_and_count_limits)
{
	static uint8_t buf[UNMO_FB_HDR + (UNMO_FB_MAX_EVENTS + 1) * UNMO_RECORD_FIXED + UNMO_FB_TAG];
	struct unmo_event e;
	unmo_event_clear(&e);
	e.type = UNMO_EV_CLICK;
	struct unmo_fb_builder b;
	unmo_fb_begin(&b, buf, sizeof buf, 1, 1, 1, UNMO_FB_AUTH);
	for (unsigned i = 0; i < UNMO_FB_MAX_EVENTS; i++)
		CHECK(unmo_fb_add(&b, &e), "event %u", i);
	cr_assert_not(unmo_fb_add(&b, &e), "count limit");
	size_t len = unmo_fb_finish(&b, key);
	int n;
	cr_assert_null(walk(buf, len, &n));
	cr_assert_eq(n, (int)UNMO_FB_MAX_EVENTS);
	/* count over the maximum, and zero, are refused by the parser */
	unmo_st16(buf + 6, UNMO_FB_MAX_EVENTS + 1);
	cr_assert_str_eq(walk(buf, len, &n), UNMO_FB_BAD_COUNT);
	unmo_st16(buf + 6, 0);
	cr_assert_str_eq(walk(buf, len, &n), UNMO_FB_BAD_COUNT);
	unmo_st16(buf + 6, 0xffff);
	cr_assert_str_eq(walk(buf, len, &n), UNMO_FB_BAD_COUNT);
	/* an empty frame builds but does not parse */
	unmo_fb_begin(&b, buf, sizeof buf, 1, 1, 1, 0);
	len = unmo_fb_finish(&b, NULL);
	cr_assert_eq(len, UNMO_FB_HDR);
	cr_assert_str_eq(walk(buf, len, &n), UNMO_FB_BAD_COUNT);
}

Test(frame_bin, max_size_records)
{
	static char big[UNMO_STR_MAX];
	memset(big, 'z', sizeof big);
	struct unmo_event e = make_event(3), d;
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		e.s[i] = (struct unmo_str){big, UNMO_STR_MAX};
	static uint8_t buf[1 << 18];
	struct unmo_fb_builder b;
	unmo_fb_begin(&b, buf, sizeof buf, 9, 9, 9, UNMO_FB_AUTH);
	for (int i = 0; i < 8; i++)
		cr_assert(unmo_fb_add(&b, &e));
	size_t len = unmo_fb_finish(&b, key);
	cr_assert_eq(len, UNMO_FB_HDR + 8 * unmo_record_size(&e) + UNMO_FB_TAG);
	struct unmo_fb_view v;
	cr_assert_null(unmo_fb_parse(buf, len, &v));
	cr_assert(unmo_fb_verify_tag(&v, key));
	size_t it = 0;
	bool done;
	for (int i = 0; i < 8; i++) {
		cr_assert_null(unmo_fb_next_event(&v, &it, &d, &done));
		assert_same(&e, &d);
	}
	cr_assert_null(unmo_fb_next_event(&v, &it, &d, &done));
	cr_assert(done);
}

Test(frame_bin, builder_refuses_what_does_not_fit)
{
	uint8_t buf[UNMO_FB_HDR + 200 + UNMO_FB_TAG];
	struct unmo_event e = make_event(1);
	size_t rec = unmo_record_size(&e);
	cr_assert_lt(rec, 200);
	struct unmo_fb_builder b;
	unmo_fb_begin(&b, buf, UNMO_FB_HDR + rec + UNMO_FB_TAG - 1, 1, 1, 1, UNMO_FB_AUTH);
	cr_assert_not(unmo_fb_add(&b, &e), "no room for the tag");
	unmo_fb_begin(&b, buf, UNMO_FB_HDR + rec + UNMO_FB_TAG, 1, 1, 1, UNMO_FB_AUTH);
	cr_assert(unmo_fb_add(&b, &e));
	cr_assert_not(unmo_fb_add(&b, &e));
	cr_assert_eq(unmo_fb_finish(&b, NULL), 0, "auth without key");
	cr_assert_eq(unmo_fb_finish(&b, key), UNMO_FB_HDR + rec + UNMO_FB_TAG);
	unmo_fb_begin(&b, buf, UNMO_FB_HDR + rec, 1, 1, 1, 0);
	cr_assert(unmo_fb_add(&b, &e), "no tag: all the room is for events");
	e.type = 0;
	unmo_fb_begin(&b, buf, sizeof buf, 1, 1, 1, 0);
	cr_assert_not(unmo_fb_add(&b, &e), "invalid event");
	unmo_fb_begin(&b, buf, UNMO_FB_HDR + UNMO_FB_TAG - 1, 1, 1, 1, 0);
	cr_assert_eq(unmo_fb_finish(&b, key), 0, "buffer below header + tag");
}

Test(frame_bin, every_truncation_is_rejected)
{
	static uint8_t buf[8192];
	for (int auth = 0; auth < 2; auth++) {
		size_t len = build(buf, sizeof buf, 5, auth ? UNMO_FB_AUTH : 0, 1);
		for (size_t cut = 0; cut < len; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
			memcpy(copy, buf, cut);
			struct unmo_fb_view v;
			CHECK(unmo_fb_parse(copy, cut, &v) == UNMO_BAD_TRUNCATED, "cut %zu", cut);
			free(copy);
		}
	}
}

Test(frame_bin, trailing_bytes_and_length_mismatch)
{
	static uint8_t buf[8192];
	size_t len = build(buf, sizeof buf, 3, 0, 1);
	struct unmo_fb_view v;
	int n;
	buf[len] = 0;
	cr_assert_str_eq(unmo_fb_parse(buf, len + 1, &v), UNMO_BAD_LENGTH);
	/* events length one short / one long of the datagram */
	uint32_t el = unmo_ld32(buf + 32);
	unmo_st32(buf + 32, el - 1);
	cr_assert_str_eq(unmo_fb_parse(buf, len, &v), UNMO_BAD_LENGTH);
	unmo_st32(buf + 32, el + 1);
	cr_assert_str_eq(unmo_fb_parse(buf, len, &v), UNMO_BAD_TRUNCATED);
	unmo_st32(buf + 32, UINT32_MAX);
	cr_assert_str_eq(unmo_fb_parse(buf, len, &v), UNMO_BAD_TRUNCATED);
	unmo_st32(buf + 32, el);
	/* count says fewer / more records than the events bytes hold */
	unmo_st16(buf + 6, 2);
	cr_assert_str_eq(walk(buf, len, &n), UNMO_FB_BAD_COUNT);
	cr_assert_eq(n, 2, "the two records before the mismatch were read");
	unmo_st16(buf + 6, 4);
	cr_assert_str_eq(walk(buf, len, &n), UNMO_FB_BAD_COUNT);
	cr_assert_eq(n, 3);
	unmo_st16(buf + 6, 200); /* cannot fit: caught by the header check */
	cr_assert_str_eq(unmo_fb_parse(buf, len, &v), UNMO_FB_BAD_COUNT);
	unmo_st16(buf + 6, 3);
	cr_assert_null(walk(buf, len, &n));
	/* a record whose length runs past the events: the record decoder's reason */
	unmo_st16(buf + UNMO_FB_HDR, (uint16_t)(el + 1));
	cr_assert_str_eq(walk(buf, len, &n), UNMO_BAD_TRUNCATED);
	cr_assert_eq(n, 0);
}

Test(frame_bin, malformed_header_fields)
{
	static uint8_t good[4096], b[4096];
	size_t len = build(good, sizeof good, 2, UNMO_FB_AUTH, 5);
	struct { size_t off; uint8_t val; const char *why; } cases[] = {
		{0, 'X', UNMO_FB_BAD_MAGIC}, {3, 'A', UNMO_FB_BAD_MAGIC}, {4, 0, UNMO_BAD_VERSION},
		{4, 2, UNMO_BAD_VERSION}, {5, 0x04, UNMO_BAD_FLAGS}, {5, 0x80, UNMO_BAD_FLAGS},
		{36, 1, UNMO_BAD_RESERVED}, {39, 0x80, UNMO_BAD_RESERVED},
	};
	struct unmo_fb_view v;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memcpy(b, good, len);
		b[cases[i].off] = cases[i].val;
		cr_assert_str_eq(unmo_fb_parse(b, len, &v), cases[i].why, "case %zu", i);
	}
	memcpy(b, good, len);
	unmo_st64(b + 16, 0);
	cr_assert_str_eq(unmo_fb_parse(b, len, &v), UNMO_FB_BAD_SENDER);
	memcpy(b, good, len);
	unmo_st64(b + 24, 0);
	cr_assert_str_eq(unmo_fb_parse(b, len, &v), UNMO_FB_BAD_SEQUENCE);
	unmo_st64(b + 24, UINT64_MAX);
	cr_assert_str_eq(unmo_fb_parse(b, len, &v), UNMO_FB_BAD_SEQUENCE);
	unmo_st64(b + 24, UINT64_MAX - 1);
	cr_assert_null(unmo_fb_parse(b, len, &v));
	/* clearing the AUTH flag leaves 16 trailing bytes */
	memcpy(b, good, len);
	b[5] = 0;
	cr_assert_str_eq(unmo_fb_parse(b, len, &v), UNMO_BAD_LENGTH);
	/* a bad record inside a well-formed frame */
	memcpy(b, good, len);
	b[UNMO_FB_HDR + 3] = 99;
	int n;
	cr_assert_str_eq(walk(b, len, &n), UNMO_BAD_TYPE);
}

Test(frame_bin, flipping_any_bit_of_an_authenticated_frame_is_rejected)
{
	static uint8_t buf[4096];
	size_t len = build(buf, sizeof buf, 3, UNMO_FB_AUTH, 11);
	struct unmo_fb_view v;
	cr_assert_null(unmo_fb_parse(buf, len, &v));
	cr_assert_null(unmo_fb_authenticate(&v, key, true));
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit += 7) {
			buf[i] ^= (uint8_t)(1u << bit);
			const char *why = unmo_fb_parse(buf, len, &v);
			if (!why)
				why = unmo_fb_authenticate(&v, key, false);
			CHECK(why != NULL, "byte %zu bit %d accepted", i, bit);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	/* the wrong key, and a key differing in one bit */
	uint8_t other[UNMO_FB_KEY];
	memcpy(other, key, sizeof other);
	other[31] ^= 1;
	cr_assert_null(unmo_fb_parse(buf, len, &v));
	cr_assert_str_eq(unmo_fb_authenticate(&v, other, true), UNMO_FB_BAD_TAG);
	cr_assert_not(unmo_fb_verify_tag(&v, other));
	cr_assert_not(unmo_fb_verify_tag(&v, NULL));
}

Test(frame_bin, auth_policy)
{
	static uint8_t buf[4096];
	size_t len = build(buf, sizeof buf, 1, 0, 1);
	struct unmo_fb_view v;
	cr_assert_null(unmo_fb_parse(buf, len, &v));
	cr_assert_null(v.tag);
	cr_assert_str_eq(unmo_fb_authenticate(&v, key, true), UNMO_FB_NO_TAG);
	cr_assert_null(unmo_fb_authenticate(&v, key, false));
	cr_assert_not(unmo_fb_verify_tag(&v, key));
	len = build(buf, sizeof buf, 1, UNMO_FB_AUTH, 1);
	cr_assert_null(unmo_fb_parse(buf, len, &v));
	buf[len - 1] ^= 0x40;
	/* a tag is checked even when the tenant does not require one */
	cr_assert_str_eq(unmo_fb_authenticate(&v, key, false), UNMO_FB_BAD_TAG);
}

Test(frame_bin, ack_round_trip_and_malformed)
{
	struct unmo_ack a = {0xa1a2a3a4a5a6a7a8ull, 77, 1000, 0x8000000000000005ull}, d;
	uint8_t buf[64];
	cr_assert_eq(unmo_ack_encode(buf, UNMO_ACK_LEN - 1, &a), 0);
	cr_assert_eq(unmo_ack_encode(buf, sizeof buf, &a), UNMO_ACK_LEN);
	cr_assert(memcmp(buf, "UMOA\x01\0\0\0", 8) == 0);
	cr_assert_eq(unmo_ld64(buf + 24), 1000);
	cr_assert_null(unmo_ack_decode(buf, UNMO_ACK_LEN, &d));
	cr_assert(memcmp(&a, &d, sizeof a) == 0);
	for (size_t cut = 0; cut < UNMO_ACK_LEN; cut++)
		cr_assert_str_eq(unmo_ack_decode(buf, cut, &d), UNMO_BAD_TRUNCATED);
	cr_assert_str_eq(unmo_ack_decode(buf, UNMO_ACK_LEN + 1, &d), UNMO_BAD_LENGTH);
	struct { size_t off; const char *why; } cases[] = {
		{0, UNMO_FB_BAD_MAGIC}, {4, UNMO_BAD_VERSION}, {5, UNMO_BAD_RESERVED},
		{7, UNMO_BAD_RESERVED}, {40, UNMO_BAD_RESERVED}, {47, UNMO_BAD_RESERVED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t b[UNMO_ACK_LEN];
		memcpy(b, buf, sizeof b);
		b[cases[i].off] ^= 0x10;
		cr_assert_str_eq(unmo_ack_decode(b, sizeof b, &d), cases[i].why, "case %zu", i);
	}
	/* covers: < cum yes, cum no, cum+1+i by bit i, beyond 64 no */
	cr_assert(unmo_ack_covers(&a, 0));
	cr_assert(unmo_ack_covers(&a, 999));
	cr_assert_not(unmo_ack_covers(&a, 1000));
	cr_assert(unmo_ack_covers(&a, 1001));
	cr_assert_not(unmo_ack_covers(&a, 1002));
	cr_assert(unmo_ack_covers(&a, 1003));
	cr_assert(unmo_ack_covers(&a, 1064));
	cr_assert_not(unmo_ack_covers(&a, 1065));
	cr_assert_not(unmo_ack_covers(&a, UINT64_MAX));
}
