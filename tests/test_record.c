/* test_record.c — record codec: round trips, edge values, malformed input. */
#include <criterion/criterion.h>
#include "record.h"

static struct unmo_event full_event(void)
{
	struct unmo_event e;
	unmo_event_clear(&e);
	for (int i = 0; i < 16; i++)
		e.event_id[i] = (uint8_t)(i * 17 + 1);
	e.type = UNMO_EV_CONVERSION;
	e.platform = UNMO_PLAT_ANDROID;
	e.flags = UNMO_EVF_RETARGETING;
	e.ip_version = 6;
	for (int i = 0; i < 16; i++)
		e.ip[i] = (uint8_t)(0xf0 + i);
	e.event_time_us = INT64_MAX;
	e.recv_time_us = INT64_MIN;
	e.revenue_micros = -1;
	e.sender_id = UINT64_MAX;
	e.sequence = 0x0102030405060708ull;
	memcpy(e.currency, "JPY", 3);
	memcpy(e.country, "JP", 2);
	static char big[UNMO_STR_MAX];
	memset(big, 'x', sizeof big);
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		e.s[i] = (struct unmo_str){big, (uint16_t)(i == UNMO_S_USER_AGENT ? UNMO_STR_MAX : (unsigned)i + 1u)};
	return e;
}

static void assert_same(const struct unmo_event *a, const struct unmo_event *b)
{
	cr_assert(memcmp(a->event_id, b->event_id, 16) == 0);
	cr_assert_eq(a->type, b->type);
	cr_assert_eq(a->platform, b->platform);
	cr_assert_eq(a->flags, b->flags);
	cr_assert_eq(a->ip_version, b->ip_version);
	cr_assert(memcmp(a->ip, b->ip, 16) == 0);
	cr_assert_eq(a->event_time_us, b->event_time_us);
	cr_assert_eq(a->recv_time_us, b->recv_time_us);
	cr_assert_eq(a->revenue_micros, b->revenue_micros);
	cr_assert_eq(a->sender_id, b->sender_id);
	cr_assert_eq(a->sequence, b->sequence);
	cr_assert(memcmp(a->currency, b->currency, 3) == 0);
	cr_assert(memcmp(a->country, b->country, 2) == 0);
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		cr_assert(unmo_str_eq(a->s[i], b->s[i]), "string %d", i);
}

Test(record, full_round_trip_edge_values)
{
	struct unmo_event e = full_event(), d;
	uint8_t buf[UNMO_RECORD_MAX];
	size_t n = unmo_record_encode(buf, sizeof buf, &e), used = 0;
	cr_assert_eq(n, unmo_record_size(&e));
	cr_assert_null(unmo_record_decode(buf, n, &d, &used));
	cr_assert_eq(used, n);
	assert_same(&e, &d);
}

Test(record, minimal_and_ipv4)
{
	struct unmo_event e, d;
	unmo_event_clear(&e);
	e.type = UNMO_EV_IMPRESSION;
	uint8_t buf[256];
	size_t n = unmo_record_encode(buf, sizeof buf, &e), used;
	cr_assert_eq(n, UNMO_RECORD_FIXED);
	cr_assert_null(unmo_record_decode(buf, n, &d, &used));
	assert_same(&e, &d);
	e.ip_version = 4;
	memcpy(e.ip, "\x0a\x00\x00\x01", 4);
	n = unmo_record_encode(buf, sizeof buf, &e);
	cr_assert_eq(n, UNMO_RECORD_FIXED + 4);
	cr_assert_null(unmo_record_decode(buf, n, &d, &used));
	assert_same(&e, &d);
}

Test(record, encode_refuses_small_buffer_and_invalid)
{
	struct unmo_event e = full_event();
	uint8_t buf[UNMO_RECORD_MAX];
	size_t need = unmo_record_size(&e);
	cr_assert_eq(unmo_record_encode(buf, need - 1, &e), 0);
	e.type = 0;
	cr_assert_eq(unmo_record_encode(buf, sizeof buf, &e), 0);
	e = full_event();
	e.currency[1] = 'a';
	cr_assert_eq(unmo_record_encode(buf, sizeof buf, &e), 0);
	e = full_event();
	e.ip_version = 5;
	cr_assert_eq(unmo_record_encode(buf, sizeof buf, &e), 0);
}

Test(record, every_truncation_is_rejected)
{
	struct unmo_event e = full_event(), d;
	uint8_t buf[UNMO_RECORD_MAX];
	size_t n = unmo_record_encode(buf, sizeof buf, &e), used = 7;
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1); /* exact size so ASan sees overreads */
		memcpy(copy, buf, cut);
		cr_assert_not_null(unmo_record_decode(copy, cut, &d, &used), "cut %zu", cut);
		cr_assert_eq(used, 7);
		free(copy);
	}
}

Test(record, malformed_corpus_named_reasons)
{
	struct unmo_event e, d;
	unmo_event_clear(&e);
	e.type = UNMO_EV_CLICK;
	e.s[UNMO_S_CAMPAIGN] = unmo_str_c("summer");
	uint8_t good[256], b[256];
	size_t n = unmo_record_encode(good, sizeof good, &e), used;
	struct { size_t off; uint8_t val; const char *why; } cases[] = {
		{2, 2, UNMO_BAD_VERSION}, {3, 0, UNMO_BAD_TYPE}, {3, 99, UNMO_BAD_TYPE},
		{4, 77, UNMO_BAD_PLATFORM}, {5, 0x80, UNMO_BAD_FLAGS}, {6, 5, UNMO_BAD_IP},
		{7, 1, UNMO_BAD_RESERVED}, {64, 'u', UNMO_BAD_CURRENCY}, {67, '1', UNMO_BAD_COUNTRY},
		{71, 0x80, UNMO_BAD_LENGTH}, {0, 10, UNMO_BAD_LENGTH}, {0, 255, UNMO_BAD_TRUNCATED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memcpy(b, good, n);
		b[cases[i].off] = cases[i].val;
		cr_assert_str_eq(unmo_record_decode(b, n, &d, &used), cases[i].why, "case %zu", i);
	}
	/* string length claims more than the record holds */
	memcpy(b, good, n);
	unmo_st16(b + UNMO_RECORD_FIXED, 200);
	cr_assert_str_eq(unmo_record_decode(b, n, &d, &used), UNMO_BAD_LENGTH);
	/* zero-length string marked present */
	memcpy(b, good, n);
	unmo_st16(b + UNMO_RECORD_FIXED, 0);
	cr_assert_str_eq(unmo_record_decode(b, n, &d, &used), UNMO_BAD_STRING);
	/* trailing bytes inside the declared length */
	memcpy(b, good, n);
	unmo_st16(b, (uint16_t)(n + 1));
	cr_assert_str_eq(unmo_record_decode(b, n + 1, &d, &used), UNMO_BAD_LENGTH);
}

Test(record, names_round_trip)
{
	for (int t = 1; t < UNMO_EV_TYPE_COUNT; t++)
		cr_assert_eq(unmo_event_type_from_name(unmo_event_type_names[t],
						       strlen(unmo_event_type_names[t])), t);
	cr_assert_eq(unmo_event_type_from_name("none", 4), -1);
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		cr_assert_eq(unmo_str_field_from_name(unmo_str_field_names[i],
						      strlen(unmo_str_field_names[i])), i);
	cr_assert_eq(unmo_platform_from_name("ios", 3), UNMO_PLAT_IOS);
}

/* unmo_record_fill (the appliance's fast path) == fill the fields + encode. */
Test(record, fill_equals_encode_of_filled_event)
{
	static const uint8_t ipv[] = {0, 4, 6};
	for (int k = 0; k < 3; k++) {
		for (int has_app = 0; has_app < 2; has_app++) {
			struct unmo_event e = full_event(), want;
			e.ip_version = ipv[k];
			if (!ipv[k])
				memset(e.ip, 0, sizeof e.ip);
			if (ipv[k] == 4)
				memset(e.ip + 4, 0, 12);
			e.s[UNMO_S_USER_AGENT].len = 7;
			struct unmo_str app = unmo_str_c("com.techstart.mobile");
			e.s[UNMO_S_APP_ID] = has_app ? app : (struct unmo_str){NULL, 0};
			e.recv_time_us = 0;
			e.sender_id = 0;
			e.sequence = 0;
			static uint8_t src[UNMO_RECORD_MAX], got[UNMO_RECORD_MAX], exp[UNMO_RECORD_MAX];
			size_t n = unmo_record_encode(src, sizeof src, &e);
			cr_assert(n > 0);
			want = e;
			want.s[UNMO_S_APP_ID] = app;
			want.recv_time_us = 1795458147329676;
			want.sender_id = 42;
			want.sequence = 7;
			size_t en = unmo_record_encode(exp, sizeof exp, &want);
			size_t gn = unmo_record_fill(got, sizeof got, src, n, app, want.recv_time_us, 42, 7);
			cr_assert_eq(gn, en, "ip %d app %d", ipv[k], has_app);
			cr_assert(memcmp(got, exp, en) == 0, "ip %d app %d", ipv[k], has_app);
			cr_assert_eq(unmo_record_fill(got, en - 1, src, n, app, 0, 1, 1), 0); /* cap */
		}
	}
}

/* unmo_record_check_fill must accept exactly what unmo_record_decode accepts,
 * with the same reason, and copy as unmo_record_fill does. */
static void assert_check_fill_matches(const uint8_t *src, size_t n, const char *label, size_t i)
{
	static uint8_t got[UNMO_RECORD_MAX + 2048], exp[UNMO_RECORD_MAX + 2048];
	struct unmo_str app = unmo_str_c("com.ecomgrowth.shop");
	struct unmo_event e;
	size_t used = 0;
	struct unmo_record_seen seen = {.used = 12345};
	const char *want = unmo_record_decode(src, n, &e, &used);
	const char *why = unmo_record_check_fill(got, sizeof got, src, n, app, -5, 9, 11, &seen);
	cr_assert_eq(why, want, "%s %zu: check_fill %s, decode %s", label, i, why ? why : "ok",
		     want ? want : "ok");
	if (want) {
		cr_assert_eq(seen.used, 12345, "%s %zu: seen touched on failure", label, i);
		return;
	}
	cr_assert_eq(seen.used, used, "%s %zu", label, i);
	cr_assert_eq(seen.event_time_us, e.event_time_us, "%s %zu", label, i);
	cr_assert(unmo_str_eq(seen.app_id, e.s[UNMO_S_APP_ID]), "%s %zu", label, i);
	size_t en = unmo_record_fill(exp, sizeof exp, src, used, app, -5, 9, 11);
	cr_assert_eq(seen.written, en, "%s %zu", label, i);
	cr_assert(memcmp(got, exp, en) == 0, "%s %zu", label, i);
}

Test(record, check_fill_same_verdicts_as_decode)
{
	struct unmo_event e = full_event();
	e.s[UNMO_S_USER_AGENT].len = 9;
	static uint8_t buf[UNMO_RECORD_MAX];
	size_t n = unmo_record_encode(buf, sizeof buf, &e);
	cr_assert(n > 0);
	assert_check_fill_matches(buf, n, "valid", 0);
	/* every truncation, at its exact size so ASan sees an overread */
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, buf, cut);
		assert_check_fill_matches(copy, cut, "cut", cut);
		free(copy);
	}
	/* every single byte of the record set to a few telling values */
	static const uint8_t vals[] = {0, 1, 2, 4, 5, 6, 'A', 'z', 0x7f, 0x80, 0xff};
	static uint8_t b[UNMO_RECORD_MAX];
	for (size_t off = 0; off < n; off++) {
		for (size_t k = 0; k < sizeof vals; k++) {
			memcpy(b, buf, n);
			b[off] = vals[k];
			assert_check_fill_matches(b, n, "byte", off * 16 + k);
		}
	}
	/* the malformed corpus of the decoder test, and app_id absent/present */
	struct unmo_event m;
	unmo_event_clear(&m);
	m.type = UNMO_EV_CLICK;
	m.ip_version = 4;
	m.s[UNMO_S_CAMPAIGN] = unmo_str_c("summer");
	uint8_t good[256];
	size_t gn = unmo_record_encode(good, sizeof good, &m);
	assert_check_fill_matches(good, gn, "no app", 0);
	m.s[UNMO_S_APP_ID] = unmo_str_c("com.other.app");
	gn = unmo_record_encode(good, sizeof good, &m);
	assert_check_fill_matches(good, gn, "other app", 0);
	unmo_st16(good + UNMO_RECORD_FIXED + 4, 0); /* zero-length app_id marked present */
	assert_check_fill_matches(good, gn, "empty app", 0);
	unmo_st16(good + UNMO_RECORD_FIXED + 4, 2000); /* app_id longer than allowed */
	assert_check_fill_matches(good, gn, "long app", 0);
	unmo_st16(good, (uint16_t)(UNMO_RECORD_FIXED + 2)); /* length cuts the IPv4 address */
	assert_check_fill_matches(good, gn, "cut ip", 0);
}

Test(record, check_fill_reports_no_room)
{
	struct unmo_event e = full_event();
	e.s[UNMO_S_APP_ID].len = 0;
	static uint8_t src[UNMO_RECORD_MAX], dst[UNMO_RECORD_MAX];
	size_t n = unmo_record_encode(src, sizeof src, &e);
	struct unmo_str app = unmo_str_c("com.techstart.mobile");
	struct unmo_record_seen seen;
	cr_assert_null(unmo_record_check_fill(dst, n + 2 + app.len, src, n, app, 1, 2, 3, &seen));
	cr_assert_eq(seen.written, n + 2 + app.len);
	cr_assert_eq(seen.app_id.len, 0);
	cr_assert_null(unmo_record_check_fill(dst, n + 1 + app.len, src, n, app, 1, 2, 3, &seen));
	cr_assert_eq(seen.written, 0); /* valid, does not fit */
	cr_assert_eq(seen.used, n);
}
