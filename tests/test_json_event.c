/* test_json_event.c — JSON event reader/writer: RFC 8259 conformance corpus,
 * every field's edge values, unknown members, round trips on random events,
 * truncations (exact-size heap copies so ASan catches any overread). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include "json_event.h"

/* Assertions inside big loops: only a failure reaches Criterion (the test
 * runner uses --full-stats, which records every passing assertion too). */
#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond))                                            \
			cr_assert_fail("check failed: " #cond " " __VA_ARGS__); \
	} while (0)

/* Parse a copy of json[0..n) held in an exact-size heap buffer. The copy
 * is returned in *keep (caller frees) so string views stay valid. */
static const char *parse_n(const char *json, size_t n, struct unmo_event *e, char **keep)
{
	char *buf = malloc(n ? n : 1);
	CHECK(buf);
	memcpy(buf, json, n);
	const char *r = unmo_json_event_parse(buf, n, e);
	if (keep)
		*keep = buf;
	else
		free(buf);
	return r;
}

static const char *reason(const char *json)
{
	struct unmo_event e;
	return parse_n(json, strlen(json), &e, NULL);
}

#define ACCEPT(json) cr_assert_null(reason(json), "should accept: %s", json)
#define REJECT(json, why)                                                                       \
	do {                                                                                    \
		const char *r_ = reason(json);                                                  \
		cr_assert_not_null(r_, "should reject: %s", json);                              \
		cr_assert_str_eq(r_, why, "input %s", json);                                    \
	} while (0)

static bool str_is(struct unmo_str s, const char *want, size_t n)
{
	return s.len == n && (n == 0 || memcmp(s.p, want, n) == 0);
}

/* ------------------------------------------------------------ RFC 8259 */

Test(json_rfc, valid_documents)
{
	ACCEPT("{\"type\":\"click\"}");
	ACCEPT(" \t\r\n{ \"type\" \t: \"click\" \n} \r\n");
	ACCEPT("{\"typ\\u0065\":\"click\"}"); /* escaped member name */
	ACCEPT("{\"type\":\"cl\\u0069ck\"}");
	ACCEPT("{\"x\":[1,2,{\"a\":[]}],\"type\":\"click\",\"y\":{\"z\":null},\"w\":-1.5e+10,"
	       "\"v\":true,\"u\":\"s\\u00e9\",\"t\":false,\"s\":{},\"r\":[[[]]],\"q\":0.0E-0}");
	ACCEPT("{\"type\":\"click\",\"\":1}"); /* empty member name is unknown, skipped */
	ACCEPT("{\"type\":\"click\",\"x\":1,\"x\":2}"); /* unknown duplicates: not ours to judge */
	ACCEPT("{\"type\":\"click\",\"n\":[-0,0.5,1E5,1e-5,123456789012345678901234567890]}");
	ACCEPT("{\"type\":\"click\",\"campaign\":null,\"platform\":null,\"ip\":null}");
}

Test(json_rfc, structure_errors)
{
	REJECT("", "json_syntax");
	REJECT("   ", "json_syntax");
	REJECT("[]", "json_not_object");
	REJECT("\"x\"", "json_not_object");
	REJECT("1", "json_not_object");
	REJECT("{\"type\":\"click\"", "json_syntax");
	REJECT("{\"type\":\"click\",}", "json_syntax");
	REJECT("{,\"type\":\"click\"}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":[1,]}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":[,1]}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":{\"a\":1,}}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":{\"a\"}}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":{1:2}}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":[1 2]}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":[1}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":{]}", "json_syntax");
	REJECT("{\"type\":\"click\" \"x\":1}", "json_syntax");
	REJECT("{type:\"click\"}", "json_syntax");
	REJECT("{'type':'click'}", "json_syntax");
	REJECT("{\"type\"=\"click\"}", "json_syntax");
	REJECT("{\"type\":\"click\"} x", "json_syntax");
	REJECT("{\"type\":\"click\"}{}", "json_syntax");
	struct unmo_event e;
	REJECT("{\"type\":\"click\",\"x\":tru}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":nul}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":True}", "json_syntax");
	REJECT("{\"type\":\"click\",\"x\":undefined}", "json_syntax");
	cr_assert_str_eq(parse_n("{\"type\":\"click\"}\0", 17, &e, NULL), "json_syntax");
	cr_assert_str_eq(parse_n("{\"type\":\"click\",\"x\":\"a\0b\"}", 26, &e, NULL), "json_syntax");
	/* only the four RFC whitespace bytes */
	REJECT("\f{\"type\":\"click\"}", "json_not_object");
	REJECT("{\"type\":\"click\"}\v", "json_syntax");
	REJECT("\xC2\xA0{\"type\":\"click\"}", "json_not_object");
}

Test(json_rfc, numbers)
{
	static const char *const bad[] = {"01", "-01", "00", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN",
					  "Infinity", "-Infinity", "-", "1.e5", "--1", "1ee5", "1.5.5", "- 1"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char json[128];
		snprintf(json, sizeof json, "{\"type\":\"click\",\"x\":%s}", bad[i]);
		REJECT(json, "json_syntax");
	}
	static const char *const good[] = {"0", "-0", "1", "-1", "0.5", "-0.5e-5", "1E+5", "1e05",
					   "1.0000000000000000000000000001", "99999999999999999999999999"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		char json[128];
		snprintf(json, sizeof json, "{\"type\":\"click\",\"x\":%s}", good[i]);
		ACCEPT(json);
	}
}

Test(json_rfc, bare_control_characters)
{
	for (int c = 0; c < 0x20; c++) {
		char json[64];
		int n = snprintf(json, sizeof json, "{\"type\":\"click\",\"campaign\":\"a%cb\"}", c ? c : '?');
		if (!c)
			json[29] = 0;
		struct unmo_event e;
		cr_assert_str_eq(parse_n(json, (size_t)n, &e, NULL), "json_syntax", "byte %d", c);
	}
	ACCEPT("{\"type\":\"click\",\"campaign\":\"a\x7f" "b\"}"); /* DEL is not a control in JSON */
}

Test(json_rfc, escapes)
{
	struct unmo_event e;
	char *keep;
	const char *j = "{\"type\":\"click\",\"campaign\":\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\","
			"\"adset\":\"\\u00e9\\u20ac\\ud83d\\ude00\\u0000\\u001F\\uFFFF\\uDBFF\\uDFFF\"}";
	cr_assert_null(parse_n(j, strlen(j), &e, &keep));
	cr_assert(str_is(e.s[UNMO_S_CAMPAIGN], "q\"b\\s/b\bf\fn\nr\rt\t", 16));
	cr_assert(str_is(e.s[UNMO_S_ADSET],
			 "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x00\x1F\xEF\xBF\xBF\xF4\x8F\xBF\xBF", 18));
	free(keep);
	REJECT("{\"type\":\"click\",\"campaign\":\"\\x\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\'\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\U0041\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\u12G4\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\u-123\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\\"}", "json_syntax"); /* escaped closing quote */
	/* lone surrogates, in known and unknown members */
	REJECT("{\"type\":\"click\",\"campaign\":\"\\ud800\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\ud800x\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\udc00\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\udfff\\ud800\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\ud800\\u0041\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\ud800\\ud800\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"campaign\":\"\\udbff\\ue000\"}", "json_escape");
	REJECT("{\"type\":\"click\",\"x\":[\"\\ud800\"]}", "json_escape");
	REJECT("{\"t\\ud800\":1,\"type\":\"click\"}", "json_escape");
}

Test(json_rfc, utf8)
{
	static const char *const bad[] = {
		"\xFF", "\xFE", "\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xC2", "\xC2\x41", "\xE0\x80\x80",
		"\xE0\x9F\xBF", "\xED\xA0\x80", "\xED\xBF\xBF", "\xE1\x80", "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",
		"\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80", "\xF1\x80\x80", "\xEF\xBF"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char json[96];
		snprintf(json, sizeof json, "{\"type\":\"click\",\"campaign\":\"a%sb\"}", bad[i]);
		REJECT(json, "json_utf8");
		snprintf(json, sizeof json, "{\"type\":\"click\",\"%s\":1}", bad[i]);
		REJECT(json, "json_utf8");
		/* long strings go through the 16-byte scanner */
		snprintf(json, sizeof json, "{\"type\":\"click\",\"campaign\":\"0123456789abcdefghij%s\"}", bad[i]);
		REJECT(json, "json_utf8");
	}
	struct unmo_event e;
	char *keep;
	const char *j = "{\"type\":\"click\",\"campaign\":\"\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80"
			"\xF0\x90\x80\x80\xF4\x8F\xBF\xBF caf\xC3\xA9 \xE2\x82\xAC\"}";
	cr_assert_null(parse_n(j, strlen(j), &e, &keep));
	cr_assert_eq(e.s[UNMO_S_CAMPAIGN].len, 2 + 2 + 3 + 3 + 3 + 4 + 4 + 7 + 3);
	free(keep);
}

Test(json_rfc, nesting_limit)
{
	/* the event is level 1; unknown values may use the other 31 levels */
	char json[512];
	for (int levels = 1; levels <= 40; levels++) {
		int n = sprintf(json, "{\"type\":\"click\",\"x\":");
		for (int i = 0; i < levels; i++)
			n += sprintf(json + n, i % 2 ? "[" : "{\"k\":");
		n += sprintf(json + n, "1");
		for (int i = levels - 1; i >= 0; i--)
			json[n++] = i % 2 ? ']' : '}';
		strcpy(json + n, "}");
		const char *r = reason(json);
		if (levels <= 31)
			cr_assert_null(r, "%d levels: %s (%s)", levels, r, json);
		else
			cr_assert_str_eq(r, "json_depth", "%d levels", levels);
	}
	/* a deep array bomb is refused quickly and without recursion */
	static char bomb[100000];
	int n = sprintf(bomb, "{\"type\":\"click\",\"x\":");
	memset(bomb + n, '[', sizeof bomb - (size_t)n - 1);
	REJECT(bomb, "json_depth");
	/* the primitives refuse the same depth at top level */
	char arr[64];
	memset(arr, '[', 33);
	memset(arr + 33, ']', 31);
	size_t pos = 0;
	cr_assert_str_eq(unmo_json_skip_at(arr, 64, &pos), "json_depth");
	memset(arr, '[', 32);
	memset(arr + 32, ']', 32);
	pos = 0;
	cr_assert_null(unmo_json_skip_at(arr, 64, &pos));
	cr_assert_eq(pos, 64);
}

/* ------------------------------------------------------------- fields */

Test(json_fields, integers_at_edges)
{
	struct unmo_event e;
	char *keep;
	const char *j = "{\"type\":\"click\",\"event_time_us\":9223372036854775807,"
			"\"recv_time_us\":-9223372036854775808,\"revenue_micros\":-0,"
			"\"sender_id\":18446744073709551615,\"sequence\":0}";
	cr_assert_null(parse_n(j, strlen(j), &e, &keep));
	cr_assert_eq(e.event_time_us, INT64_MAX);
	cr_assert_eq(e.recv_time_us, INT64_MIN);
	cr_assert_eq(e.revenue_micros, 0);
	cr_assert_eq(e.sender_id, UINT64_MAX);
	cr_assert_eq(e.sequence, 0);
	free(keep);
	REJECT("{\"type\":\"click\",\"event_time_us\":9223372036854775808}", "json_range");
	REJECT("{\"type\":\"click\",\"recv_time_us\":-9223372036854775809}", "json_range");
	REJECT("{\"type\":\"click\",\"revenue_micros\":99999999999999999999999}", "json_range");
	REJECT("{\"type\":\"click\",\"sender_id\":18446744073709551616}", "json_range");
	REJECT("{\"type\":\"click\",\"sequence\":-1}", "json_range");
	REJECT("{\"type\":\"click\",\"sequence\":184467440737095516150}", "json_range");
	ACCEPT("{\"type\":\"click\",\"sequence\":-0}");
	REJECT("{\"type\":\"click\",\"revenue_micros\":1.0}", "json_not_integer");
	REJECT("{\"type\":\"click\",\"revenue_micros\":1e3}", "json_not_integer");
	REJECT("{\"type\":\"click\",\"revenue_micros\":0E0}", "json_not_integer");
	REJECT("{\"type\":\"click\",\"revenue_micros\":1.}", "json_syntax");
	REJECT("{\"type\":\"click\",\"revenue_micros\":01}", "json_syntax");
	REJECT("{\"type\":\"click\",\"revenue_micros\":-}", "json_syntax");
	REJECT("{\"type\":\"click\",\"revenue_micros\":\"5\"}", "json_type");
	REJECT("{\"type\":\"click\",\"revenue_micros\":true}", "json_type");
	REJECT("{\"type\":\"click\",\"revenue_micros\":[1]}", "json_type");
	REJECT("{\"type\":\"click\",\"sender_id\":{}}", "json_type");
}

Test(json_fields, enums_ids_and_codes)
{
	struct unmo_event e;
	char *keep;
	const char *j = "{\"event_id\":\"00112233445566778899aabbccddeeff\",\"type\":\"reengagement\","
			"\"platform\":\"android\",\"retargeting\":true,\"currency\":\"EUR\",\"country\":\"DE\","
			"\"ip\":\"2001:db8::1\"}";
	cr_assert_null(parse_n(j, strlen(j), &e, &keep));
	static const uint8_t id[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	cr_assert(memcmp(e.event_id, id, 16) == 0);
	cr_assert_eq(e.type, UNMO_EV_REENGAGEMENT);
	cr_assert_eq(e.platform, UNMO_PLAT_ANDROID);
	cr_assert_eq(e.flags, UNMO_EVF_RETARGETING);
	cr_assert(memcmp(e.currency, "EUR", 3) == 0 && memcmp(e.country, "DE", 2) == 0);
	cr_assert_eq(e.ip_version, 6);
	cr_assert(memcmp(e.ip, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16) == 0);
	free(keep);

	for (int t = 1; t < UNMO_EV_TYPE_COUNT; t++) {
		char buf[64];
		snprintf(buf, sizeof buf, "{\"type\":\"%s\"}", unmo_event_type_names[t]);
		cr_assert_null(parse_n(buf, strlen(buf), &e, NULL));
		cr_assert_eq(e.type, t);
	}
	for (int p = 0; p < UNMO_PLAT_COUNT; p++) {
		char buf[64];
		snprintf(buf, sizeof buf, "{\"type\":\"click\",\"platform\":\"%s\"}", unmo_platform_names[p]);
		cr_assert_null(parse_n(buf, strlen(buf), &e, NULL));
		cr_assert_eq(e.platform, p);
	}
	REJECT("{\"type\":\"none\"}", "json_bad_type");
	REJECT("{\"type\":\"Install\"}", "json_bad_type");
	REJECT("{\"type\":\"\"}", "json_bad_type");
	REJECT("{\"type\":\"installs\"}", "json_bad_type");
	REJECT("{\"type\":3}", "json_type");
	REJECT("{\"type\":null}", "json_missing_type");
	REJECT("{}", "json_missing_type");
	REJECT("{\"campaign\":\"x\"}", "json_missing_type");
	REJECT("{\"type\":\"click\",\"platform\":\"iOS\"}", "json_bad_platform");
	REJECT("{\"type\":\"click\",\"platform\":\"\"}", "json_bad_platform");
	REJECT("{\"type\":\"click\",\"platform\":1}", "json_type");
	REJECT("{\"type\":\"click\",\"retargeting\":1}", "json_type");
	REJECT("{\"type\":\"click\",\"retargeting\":\"true\"}", "json_type");
	REJECT("{\"type\":\"click\",\"retargeting\":tru}", "json_syntax");
	ACCEPT("{\"type\":\"click\",\"retargeting\":false}");
	REJECT("{\"type\":\"click\",\"event_id\":\"00112233445566778899aabbccddeef\"}", "json_bad_event_id");
	REJECT("{\"type\":\"click\",\"event_id\":\"00112233445566778899aabbccddeeff0\"}", "json_bad_event_id");
	REJECT("{\"type\":\"click\",\"event_id\":\"00112233445566778899AABBCCDDEEFF\"}", "json_bad_event_id");
	REJECT("{\"type\":\"click\",\"event_id\":\"0011223-34455-6677-8899-aabbccddeeff\"}", "json_bad_event_id");
	REJECT("{\"type\":\"click\",\"event_id\":\"00112233-4455-6677-8899-aabbccddeefg\"}", "json_bad_event_id");
	REJECT("{\"type\":\"click\",\"event_id\":\"00112233-4455-6677-8899+aabbccddeeff\"}", "json_bad_event_id");
	REJECT("{\"type\":\"click\",\"event_id\":\"0011223344556677889gaabbccddeeff\"}", "json_bad_event_id");
	REJECT("{\"type\":\"click\",\"event_id\":\"\"}", "json_bad_event_id");
	REJECT("{\"type\":\"click\",\"event_id\":1}", "json_type");
	REJECT("{\"type\":\"click\",\"currency\":\"usd\"}", "json_bad_currency");
	REJECT("{\"type\":\"click\",\"currency\":\"US\"}", "json_bad_currency");
	REJECT("{\"type\":\"click\",\"currency\":\"USDX\"}", "json_bad_currency");
	REJECT("{\"type\":\"click\",\"currency\":\"U1D\"}", "json_bad_currency");
	REJECT("{\"type\":\"click\",\"currency\":\"\"}", "json_bad_currency");
	REJECT("{\"type\":\"click\",\"country\":\"us\"}", "json_bad_country");
	REJECT("{\"type\":\"click\",\"country\":\"USA\"}", "json_bad_country");
	REJECT("{\"type\":\"click\",\"country\":\"U\"}", "json_bad_country");
	REJECT("{\"type\":\"click\",\"country\":[]}", "json_type");
	ACCEPT("{\"type\":\"click\",\"currency\":\"\\u0055SD\"}");
}

static uint64_t rng_ip;
static uint64_t next_ip_rand(void)
{
	rng_ip = rng_ip * 6364136223846793005ull + 1442695040888963407ull;
	return rng_ip >> 33;
}

Test(json_fields, ip_addresses)
{
	static const char *const good4[] = {"0.0.0.0", "255.255.255.255", "10.0.0.1", "192.168.1.200"};
	static const char *const good6[] = {"::", "::1", "2001:db8::1", "fe80::1:2:3:4",
					    "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "2001:DB8::A"};
	static const char *const bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
					  "::g", "1:2:3:4:5:6:7:8:9", "1::2::3", "localhost", "1.2.3.-1",
					  "2001:db8::1%eth0", "::ffff:1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3.4.",
					  ".1.2.3.4", "1..2.3", "1234.1.1.1", "1.2.3.4x", "0.0.0.00", "1.2.3.", "1.2.3.4:80",
					  "1234567890123456789012345678901234567890123456789"};
	struct unmo_event e;
	char json[160];
	for (size_t i = 0; i < sizeof good4 / sizeof *good4; i++) {
		snprintf(json, sizeof json, "{\"type\":\"click\",\"ip\":\"%s\"}", good4[i]);
		cr_assert_null(parse_n(json, strlen(json), &e, NULL), "%s", good4[i]);
		cr_assert_eq(e.ip_version, 4);
	}
	for (size_t i = 0; i < sizeof good6 / sizeof *good6; i++) {
		snprintf(json, sizeof json, "{\"type\":\"click\",\"ip\":\"%s\"}", good6[i]);
		cr_assert_null(parse_n(json, strlen(json), &e, NULL), "%s", good6[i]);
		cr_assert_eq(e.ip_version, 6);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(json, sizeof json, "{\"type\":\"click\",\"ip\":\"%s\"}", bad[i]);
		REJECT(json, "json_bad_ip");
	}
	REJECT("{\"type\":\"click\",\"ip\":\"1.2.3.4\\u0000\"}", "json_bad_ip");
	/* differential: the reader agrees with inet_pton on random dotted strings */
	rng_ip = 7;
	for (int i = 0; i < 20000; i++) {
		char txt[20];
		size_t n = 1 + (size_t)(next_ip_rand() % 16);
		for (size_t k = 0; k < n; k++)
			txt[k] = "0123456789...12:"[next_ip_rand() % (i % 2 ? 16 : 15)];
		txt[n] = 0;
		uint8_t want[16];
		int v4 = inet_pton(AF_INET, txt, want), v6 = inet_pton(AF_INET6, txt, want);
		snprintf(json, sizeof json, "{\"type\":\"click\",\"ip\":\"%s\"}", txt);
		const char *r = parse_n(json, strlen(json), &e, NULL);
		if (v4 == 1 || v6 == 1) {
			CHECK(!r, "%s", txt);
			CHECK(e.ip_version == (v4 == 1 ? 4 : 6));
			CHECK(memcmp(e.ip, want, v4 == 1 ? 4 : 16) == 0);
		} else {
			CHECK(r, "%s", txt);
		}
	}
	snprintf(json, sizeof json, "{\"type\":\"click\",\"ip\":\"10.1.2.3\"}");
	cr_assert_null(parse_n(json, strlen(json), &e, NULL));
	cr_assert(memcmp(e.ip, "\x0a\x01\x02\x03", 4) == 0);
}

Test(json_fields, every_string_field_and_limits)
{
	static char big[UNMO_STR_MAX + 1];
	memset(big, 'z', sizeof big);
	size_t cap = 200 + 2 * UNMO_STR_MAX + 64;
	char *json = malloc(cap);
	for (int f = 0; f < UNMO_STR_COUNT; f++) {
		struct unmo_event e;
		char *keep;
		/* exactly UNMO_STR_MAX bytes: accepted */
		int n = snprintf(json, cap, "{\"type\":\"click\",\"%s\":\"%.*s\"}", unmo_str_field_names[f],
				 (int)UNMO_STR_MAX, big);
		cr_assert_null(parse_n(json, (size_t)n, &e, &keep));
		cr_assert_eq(e.s[f].len, UNMO_STR_MAX);
		for (int g = 0; g < UNMO_STR_COUNT; g++)
			cr_assert(g == f || e.s[g].len == 0);
		free(keep);
		/* one more: rejected */
		n = snprintf(json, cap, "{\"type\":\"click\",\"%s\":\"%.*s\"}", unmo_str_field_names[f],
			     (int)UNMO_STR_MAX + 1, big);
		cr_assert_str_eq(parse_n(json, (size_t)n, &e, NULL), "json_string_too_long");
		/* the limit is on the unescaped bytes: 1024 "\n" escapes fit */
		n = snprintf(json, cap, "{\"type\":\"click\",\"%s\":\"", unmo_str_field_names[f]);
		for (unsigned i = 0; i < UNMO_STR_MAX; i++)
			json[n++] = '\\', json[n++] = 'n';
		n += snprintf(json + n, cap - (size_t)n, "\"}");
		cr_assert_null(parse_n(json, (size_t)n, &e, &keep));
		cr_assert_eq(e.s[f].len, UNMO_STR_MAX);
		cr_assert_eq(e.s[f].p[UNMO_STR_MAX - 1], '\n');
		free(keep);
		/* wrong type, duplicate, empty = absent, null = absent */
		snprintf(json, cap, "{\"type\":\"click\",\"%s\":5}", unmo_str_field_names[f]);
		REJECT(json, "json_type");
		snprintf(json, cap, "{\"type\":\"click\",\"%s\":\"a\",\"%s\":\"a\"}", unmo_str_field_names[f],
			 unmo_str_field_names[f]);
		REJECT(json, "json_duplicate");
		snprintf(json, cap, "{\"type\":\"click\",\"%s\":null,\"%s\":\"a\"}", unmo_str_field_names[f],
			 unmo_str_field_names[f]);
		REJECT(json, "json_duplicate");
		snprintf(json, cap, "{\"type\":\"click\",\"%s\":\"\"}", unmo_str_field_names[f]);
		cr_assert_null(parse_n(json, strlen(json), &e, NULL));
		cr_assert_eq(e.s[f].len, 0);
	}
	free(json);
	/* unknown member strings are not limited */
	char *huge = malloc(5000);
	int n = sprintf(huge, "{\"type\":\"click\",\"notes\":\"");
	memset(huge + n, 'y', 4000);
	strcpy(huge + n + 4000, "\"}");
	ACCEPT(huge);
	free(huge);
}

Test(json_fields, duplicates_of_every_known_member)
{
	static const char *const members[] = {
		"\"event_id\":\"00000000000000000000000000000001\"", "\"platform\":\"ios\"",
		"\"retargeting\":true", "\"event_time_us\":1", "\"recv_time_us\":1", "\"revenue_micros\":1",
		"\"currency\":\"USD\"", "\"country\":\"US\"", "\"ip\":\"1.2.3.4\"", "\"sender_id\":1",
		"\"sequence\":1", "\"type\":\"click\""};
	for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
		char json[256];
		snprintf(json, sizeof json, "{\"type\":\"click\",%s}", members[i]);
		if (i + 1 == sizeof members / sizeof *members)
			REJECT(json, "json_duplicate");
		else
			ACCEPT(json);
		snprintf(json, sizeof json, "{\"type\":\"click\",%s,%s}", members[i], members[i]);
		REJECT(json, "json_duplicate");
	}
	/* near-miss names are unknown, not known */
	ACCEPT("{\"type\":\"click\",\"typ\":1,\"types\":1,\"Type\":1,\"sub0\":1,\"sub4\":1,\"ipv\":1,"
	       "\"campaigns\":[],\"event_idx\":{},\"sequenc\":null}");
}

/* ----------------------------------------------------- writer, round trip */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* A random valid-UTF-8 string with awkward bytes. */
static size_t awkward_string(char *dst, size_t max)
{
	static const char *const frags[] = {"\"", "\\", "/", "\x01", "\x1f", "\n", "\t", "\x7f", "a", "Z", " ",
					    "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
					    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)", "{}[],:"};
	size_t n = 0, want = rnd() % (rnd() % 8 == 0 ? max : 40);
	while (n < want) {
		const char *f = frags[rnd() % (sizeof frags / sizeof *frags)];
		size_t k = strlen(f);
		if (rnd() % 31 == 0)
			f = "\0", k = 1; /* NUL bytes are legal inside strings */
		if (n + k > max)
			break;
		memcpy(dst + n, f, k);
		n += k;
	}
	return n;
}

static void random_event(struct unmo_event *e, char store[UNMO_STR_COUNT][UNMO_STR_MAX])
{
	unmo_event_clear(e);
	e->type = (uint8_t)(1 + rnd() % (UNMO_EV_TYPE_COUNT - 1));
	if (rnd() % 4)
		for (int i = 0; i < 16; i++)
			e->event_id[i] = (uint8_t)rnd();
	e->platform = (uint8_t)(rnd() % UNMO_PLAT_COUNT);
	e->flags = (uint8_t)(rnd() % 2);
	static const int64_t edges[] = {0, 1, -1, INT64_MAX, INT64_MIN, 1700000000000000, 999999};
	e->event_time_us = rnd() % 3 ? (int64_t)rnd() : edges[rnd() % 7];
	e->recv_time_us = rnd() % 3 ? (int64_t)rnd() : edges[rnd() % 7];
	e->revenue_micros = rnd() % 3 ? (int64_t)rnd() : edges[rnd() % 7];
	e->sender_id = rnd() % 3 ? rnd() : (rnd() % 2 ? UINT64_MAX : 0);
	e->sequence = rnd() % 3 ? rnd() >> (rnd() % 64) : 0;
	if (rnd() % 2)
		for (int i = 0; i < 3; i++)
			e->currency[i] = (char)('A' + rnd() % 26);
	if (rnd() % 2)
		for (int i = 0; i < 2; i++)
			e->country[i] = (char)('A' + rnd() % 26);
	int ipv = (int)(rnd() % 3);
	e->ip_version = (uint8_t)(ipv == 0 ? 0 : ipv == 1 ? 4 : 6);
	for (int i = 0; i < (ipv == 1 ? 4 : ipv == 2 ? 16 : 0); i++)
		e->ip[i] = (uint8_t)(rnd() % 3 ? rnd() : 0);
	for (int f = 0; f < UNMO_STR_COUNT; f++) {
		if (rnd() % 3 == 0)
			continue;
		size_t n = awkward_string(store[f], UNMO_STR_MAX);
		e->s[f] = (struct unmo_str){store[f], (uint16_t)n};
	}
}

static void assert_same(const struct unmo_event *a, const struct unmo_event *b)
{
	CHECK(memcmp(a->event_id, b->event_id, 16) == 0);
	CHECK((a->type) == (b->type));
	CHECK((a->platform) == (b->platform));
	CHECK((a->flags) == (b->flags));
	CHECK((a->ip_version) == (b->ip_version));
	CHECK(memcmp(a->ip, b->ip, 16) == 0);
	CHECK((a->event_time_us) == (b->event_time_us));
	CHECK((a->recv_time_us) == (b->recv_time_us));
	CHECK((a->revenue_micros) == (b->revenue_micros));
	CHECK((a->sender_id) == (b->sender_id));
	CHECK((a->sequence) == (b->sequence));
	CHECK(memcmp(a->currency, b->currency, 3) == 0);
	CHECK(memcmp(a->country, b->country, 2) == 0);
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		CHECK(unmo_str_eq(a->s[i], b->s[i]), "string %d", i);
}

Test(json_writer, canonical_form)
{
	struct unmo_event e;
	unmo_event_clear(&e);
	e.type = UNMO_EV_INSTALL;
	char out[UNMO_JSON_EVENT_MAX];
	size_t n = unmo_json_event_write(out, sizeof out, &e);
	cr_assert_eq(n, strlen("{\"type\":\"install\"}"));
	cr_assert(memcmp(out, "{\"type\":\"install\"}", n) == 0);
	for (int i = 0; i < 16; i++)
		e.event_id[i] = (uint8_t)(0xf0 + i);
	e.platform = UNMO_PLAT_IOS;
	e.flags = UNMO_EVF_RETARGETING;
	e.event_time_us = -5;
	e.recv_time_us = 7;
	e.revenue_micros = INT64_MIN;
	memcpy(e.currency, "USD", 3);
	memcpy(e.country, "US", 2);
	e.ip_version = 4;
	memcpy(e.ip, "\x01\x02\x03\x04", 4);
	e.sender_id = UINT64_MAX;
	e.sequence = 42;
	e.s[UNMO_S_APP_ID] = unmo_str_c("com.x");
	e.s[UNMO_S_USER_AGENT] = (struct unmo_str){"a\"\\\x01\x1f/\xC3\xA9\x7f", 9};
	e.s[UNMO_S_SUB3] = unmo_str_c("s3");
	n = unmo_json_event_write(out, sizeof out, &e);
	const char *want = "{\"event_id\":\"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\",\"type\":\"install\","
			   "\"platform\":\"ios\",\"retargeting\":true,\"event_time_us\":-5,\"recv_time_us\":7,"
			   "\"revenue_micros\":-9223372036854775808,\"currency\":\"USD\",\"country\":\"US\","
			   "\"ip\":\"1.2.3.4\",\"sender_id\":18446744073709551615,\"sequence\":42,"
			   "\"app_id\":\"com.x\",\"sub3\":\"s3\","
			   "\"user_agent\":\"a\\\"\\\\\\u0001\\u001f/\xC3\xA9\x7f\"}";
	cr_assert_eq(n, strlen(want), "%.*s", (int)n, out);
	cr_assert(memcmp(out, want, n) == 0, "%.*s", (int)n, out);
	/* ipv6 form */
	e.ip_version = 6;
	memcpy(e.ip, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	n = unmo_json_event_write(out, sizeof out, &e);
	cr_assert_not_null(memmem(out, n, "\"ip\":\"2001:db8::1\"", 18));
}

Test(json_writer, invalid_utf8_becomes_replacement_char)
{
	struct unmo_event e, d;
	unmo_event_clear(&e);
	e.type = UNMO_EV_CLICK;
	e.s[UNMO_S_CAMPAIGN] = (struct unmo_str){"a\xFF" "b\xC3", 4};
	char out[256];
	size_t n = unmo_json_event_write(out, sizeof out, &e);
	cr_assert_gt(n, 0);
	cr_assert_null(unmo_json_event_parse(out, n, &d));
	cr_assert(str_is(d.s[UNMO_S_CAMPAIGN], "a\xEF\xBF\xBD" "b\xEF\xBF\xBD", 8));
}

Test(json_writer, small_buffers_are_refused_without_overflow)
{
	char store[UNMO_STR_COUNT][UNMO_STR_MAX];
	struct unmo_event e;
	rng_state = 99;
	random_event(&e, store);
	static char full[UNMO_JSON_EVENT_MAX];
	size_t n = unmo_json_event_write(full, sizeof full, &e);
	cr_assert_gt(n, 0);
	for (size_t cap = 0; cap < n; cap++) {
		char *b = malloc(cap ? cap : 1);
		CHECK(unmo_json_event_write(b, cap, &e) == 0, "cap %zu", cap);
		free(b);
	}
	char *b = malloc(n);
	cr_assert_eq(unmo_json_event_write(b, n, &e), n);
	cr_assert(memcmp(b, full, n) == 0);
	free(b);
}

Test(json_writer, round_trip_random_events)
{
	static char store[UNMO_STR_COUNT][UNMO_STR_MAX];
	static char w1[UNMO_JSON_EVENT_MAX], w2[UNMO_JSON_EVENT_MAX];
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 3000; iter++) {
		struct unmo_event e, d;
		random_event(&e, store);
		size_t n1 = unmo_json_event_write(w1, sizeof w1, &e);
		CHECK(n1 > 0);
		char *copy = malloc(n1);
		memcpy(copy, w1, n1);
		const char *r = unmo_json_event_parse(copy, n1, &d);
		CHECK(!r, "iter %d: %s in %.*s", iter, r, (int)n1, w1);
		assert_same(&e, &d);
		size_t n2 = unmo_json_event_write(w2, sizeof w2, &d);
		CHECK(n1 == n2, "iter %d", iter);
		CHECK(memcmp(w1, w2, n1) == 0, "iter %d", iter);
		free(copy);
	}
}

Test(json_reader, every_truncation_is_rejected)
{
	static char store[UNMO_STR_COUNT][UNMO_STR_MAX];
	static char w[UNMO_JSON_EVENT_MAX];
	rng_state = 12345;
	for (int iter = 0; iter < 6; iter++) {
		struct unmo_event e, d;
		random_event(&e, store);
		for (int f = 0; f < UNMO_STR_COUNT; f++) /* keep it small: O(n^2) */
			if (e.s[f].len > 60)
				e.s[f].len = 0;
		size_t n = unmo_json_event_write(w, sizeof w, &e);
		for (size_t cut = 0; cut < n; cut++) {
			char *b = malloc(cut ? cut : 1);
			memcpy(b, w, cut);
			CHECK(unmo_json_event_parse(b, cut, &d), "cut %zu of %.*s", cut, (int)n, w);
			free(b);
		}
	}
	/* and a hand-written one with escapes, surrogates and unknown members */
	const char *j = "{\"x\":[1,-2.5e3,{\"y\":\"\\ud83d\\ude00\"}],\"type\":\"click\",\"campaign\":\"a\\n\\u00e9\","
			"\"revenue_micros\":-123,\"retargeting\":false,\"z\":null}";
	size_t n = strlen(j);
	struct unmo_event d;
	for (size_t cut = 0; cut < n; cut++) {
		char *b = malloc(cut ? cut : 1);
		memcpy(b, j, cut);
		CHECK(unmo_json_event_parse(b, cut, &d), "cut %zu", cut);
		free(b);
	}
	cr_assert_null(reason(j));
}

Test(json_reader, parse_at_walks_a_sequence)
{
	char buf[] = "  {\"type\":\"click\"} ,{\"type\":\"install\",\"campaign\":\"c\\u0031\"}]";
	size_t n = strlen(buf), pos = 0;
	struct unmo_event e;
	cr_assert_null(unmo_json_event_parse_at(buf, n, &pos, &e));
	cr_assert_eq(e.type, UNMO_EV_CLICK);
	cr_assert_eq(buf[pos], ' ');
	pos = unmo_json_ws(buf, n, pos);
	cr_assert_eq(buf[pos], ',');
	pos++;
	cr_assert_null(unmo_json_event_parse_at(buf, n, &pos, &e));
	cr_assert_eq(e.type, UNMO_EV_INSTALL);
	cr_assert(str_is(e.s[UNMO_S_CAMPAIGN], "c1", 2));
	cr_assert_eq(buf[pos], ']');
	cr_assert_str_eq(unmo_json_event_parse_at(buf, n, &pos, &e), "json_not_object");
	pos = n + 1;
	cr_assert_str_eq(unmo_json_event_parse_at(buf, n, &pos, &e), "json_syntax");
}

Test(json_reader, primitives)
{
	char b[] = "  \"k\\u0041\" 18446744073709551615 18446744073709551616 -1 1.5 x";
	size_t n = strlen(b), pos = unmo_json_ws(b, n, 0);
	char *s;
	size_t len;
	uint64_t v;
	cr_assert_null(unmo_json_string_at(b, n, &pos, &s, &len));
	cr_assert(len == 2 && memcmp(s, "kA", 2) == 0);
	pos = unmo_json_ws(b, n, pos);
	cr_assert_null(unmo_json_u64_at(b, n, &pos, &v));
	cr_assert_eq(v, UINT64_MAX);
	pos = unmo_json_ws(b, n, pos);
	cr_assert_str_eq(unmo_json_u64_at(b, n, &pos, &v), "json_range");
	pos = (size_t)(strstr(b, "-1") - b);
	cr_assert_str_eq(unmo_json_u64_at(b, n, &pos, &v), "json_range");
	pos += 3;
	cr_assert_str_eq(unmo_json_u64_at(b, n, &pos, &v), "json_not_integer");
	pos = n - 1;
	cr_assert_str_eq(unmo_json_u64_at(b, n, &pos, &v), "json_type");
	cr_assert_str_eq(unmo_json_string_at(b, n, &pos, &s, &len), "json_type");
	char out[16];
	cr_assert_eq(unmo_json_string_write(out, sizeof out, "a\"", 2), 5);
	cr_assert(memcmp(out, "\"a\\\"\"", 5) == 0);
	cr_assert_eq(unmo_json_string_write(out, 4, "a\"", 2), 0);
}

/* The example line of docs/jsonl-schema.md is valid and canonical. */
Test(json_docs, example_line_is_canonical)
{
	FILE *f = fopen(UNMO_SRC_ROOT "/docs/jsonl-schema.md", "r");
	cr_assert_not_null(f);
	static char line[4096];
	bool found = false;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "{\"event_id\"", 11) == 0) {
			found = true;
			break;
		}
	fclose(f);
	cr_assert(found);
	size_t n = strcspn(line, "\n");
	struct unmo_event e;
	char *keep;
	cr_assert_null(parse_n(line, n, &e, &keep));
	cr_assert_eq(e.type, UNMO_EV_CONVERSION);
	cr_assert_eq(e.revenue_micros, 4990000);
	static char w[UNMO_JSON_EVENT_MAX];
	cr_assert_eq(unmo_json_event_write(w, sizeof w, &e), n);
	cr_assert(memcmp(w, line, n) == 0);
	free(keep);
}

/* Escapes at every offset of long strings (the in-place copy moves plain
 * runs 16 bytes at a time between escapes). */
Test(json_reader, escapes_at_every_offset)
{
	static const struct {
		const char *esc, *out;
	} escs[] = {{"\\/", "/"}, {"\\u00e9", "\xC3\xA9"}, {"\\ud83d\\ude00", "\xF0\x9F\x98\x80"}, {"\\n", "\n"},
		    {"\\\"", "\""}};
	char json[256], want[128];
	for (size_t k = 0; k < sizeof escs / sizeof *escs; k++)
		for (int at = 0; at < 50; at++) {
			int n = sprintf(json, "{\"type\":\"click\",\"user_agent\":\"");
			size_t wn = 0;
			for (int i = 0; i < 60; i++) {
				if (i == at || i == at + 17 || i == 59) {
					n += sprintf(json + n, "%s", escs[k].esc);
					wn += (size_t)sprintf(want + wn, "%s", escs[k].out);
				}
				json[n++] = want[wn++] = (char)('A' + (i * 7) % 26);
			}
			n += sprintf(json + n, "\",\"campaign\":\"c\"}");
			struct unmo_event e;
			char *keep;
			const char *r = parse_n(json, (size_t)n, &e, &keep);
			CHECK(!r, "%s at %d: %s", escs[k].esc, at, r);
			CHECK(e.s[UNMO_S_USER_AGENT].len == wn && memcmp(e.s[UNMO_S_USER_AGENT].p, want, wn) == 0,
			      "%s at %d", escs[k].esc, at);
			CHECK(e.s[UNMO_S_CAMPAIGN].len == 1);
			free(keep);
		}
}

/* SDKs send dashed UUIDs: read as the same 16 bytes; the writer stays canonical. */
Test(json_fields, dashed_uuid_event_id)
{
	char a[] = "{\"type\":\"click\",\"event_id\":\"00112233-4455-6677-8899-AABBccddeeff\"}";
	char b[] = "{\"type\":\"click\",\"event_id\":\"00112233445566778899aabbccddeeff\"}";
	struct unmo_event ea, eb;
	cr_assert_null(unmo_json_event_parse(a, strlen(a), &ea));
	cr_assert_null(unmo_json_event_parse(b, strlen(b), &eb));
	cr_assert(memcmp(ea.event_id, eb.event_id, 16) == 0);
	char out[256];
	size_t n = unmo_json_event_write(out, sizeof out, &ea);
	cr_assert(n > 0);
	out[n] = 0;
	cr_assert(strstr(out, "\"event_id\":\"00112233445566778899aabbccddeeff\"") != NULL, "%s", out);
}
