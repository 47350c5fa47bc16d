/* json_event.c — strict RFC 8259 reader and canonical writer for one event.
 *
 * The reader is one pass over the bytes with a pointer and an end pointer;
 * every dereference is preceded by a p < end check. Member names dispatch by
 * length and first byte (no loop over all names). Strings are scanned 16
 * bytes at a time for the only bytes that need attention (quote, backslash,
 * control, non-ASCII); escapes are resolved in place, which is always
 * possible because every escape is at least as long as its UTF-8 result.
 */
#include "json_event.h"

#include <arpa/inet.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

const char UNMO_JSON_SYNTAX[] = "json_syntax";
const char UNMO_JSON_NOT_OBJECT[] = "json_not_object";
const char UNMO_JSON_ESCAPE[] = "json_escape";
const char UNMO_JSON_UTF8[] = "json_utf8";
const char UNMO_JSON_DEPTH[] = "json_depth";
const char UNMO_JSON_TYPE[] = "json_type";
const char UNMO_JSON_NOT_INTEGER[] = "json_not_integer";
const char UNMO_JSON_RANGE[] = "json_range";
const char UNMO_JSON_DUPLICATE[] = "json_duplicate";
const char UNMO_JSON_MISSING_TYPE[] = "json_missing_type";
const char UNMO_JSON_STRING_TOO_LONG[] = "json_string_too_long";
const char UNMO_JSON_BAD_EVENT_ID[] = "json_bad_event_id";
const char UNMO_JSON_BAD_TYPE[] = "json_bad_type";
const char UNMO_JSON_BAD_PLATFORM[] = "json_bad_platform";
const char UNMO_JSON_BAD_IP[] = "json_bad_ip";
const char UNMO_JSON_BAD_CURRENCY[] = "json_bad_currency";
const char UNMO_JSON_BAD_COUNTRY[] = "json_bad_country";

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---------------------------------------------------------------- lexing */

static inline bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline char *skip_ws(char *p, const char *end)
{
	while (p < end && is_ws((unsigned char)*p))
		p++;
	return p;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Length of the well-formed UTF-8 sequence (Unicode table 3-7) starting
 * with the non-ASCII byte at p, or 0 when it is ill-formed or cut by end. */
static inline size_t utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t avail = (size_t)(end - p);
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		return avail >= 2 && is_cont(p[1]) ? 2 : 0;
	if (c < 0xF0) {
		if (avail < 3 || !is_cont(p[2]))
			return 0;
		unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		return p[1] >= lo && p[1] <= hi ? 3 : 0;
	}
	if (c < 0xF5) {
		if (avail < 4 || !is_cont(p[2]) || !is_cont(p[3]))
			return 0;
		unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		return p[1] >= lo && p[1] <= hi ? 4 : 0;
	}
	return 0;
}

static inline int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (caller guarantees 4 bytes); -1 if not hex. */
static inline long hex4(const char *p)
{
	int a = hex_val(p[0]), b = hex_val(p[1]), c = hex_val(p[2]), d = hex_val(p[3]);
	if ((a | b | c | d) < 0)
		return -1;
	return (long)((a << 12) | (b << 8) | (c << 4) | d);
}

static inline char *put_utf8(char *w, unsigned long cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xC0 | (cp >> 6));
		*w++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xE0 | (cp >> 12));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*w++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*w++ = (char)(0xF0 | (cp >> 18));
		*w++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*w++ = (char)(0x80 | (cp & 0x3F));
	}
	return w;
}

/* Slow path of parse_string: p is at the first backslash; bytes are moved
 * down to w as escapes shrink. */
static const char *unescape_rest(char **pp, const char *end, char *start, char *p, char **out,
				 size_t *outlen)
{
	char *w = p;
	for (;;) {
#ifdef __SSE2__
		/* Move plain runs 16 bytes at a time. A full store is safe only
		 * when all 16 loaded bytes are consumed (w <= p, so it never
		 * reaches unread input); a partial run is moved exactly. */
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
								_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
						   _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
			int m = _mm_movemask_epi8(hit);
			if (m) {
				size_t k = (size_t)__builtin_ctz((unsigned)m);
				memmove(w, p, k);
				w += k;
				p += k;
				break;
			}
			_mm_storeu_si128((__m128i *)(void *)w, v);
			w += 16;
			p += 16;
		}
#endif
		if (UNLIKELY(p >= end))
			return UNMO_JSON_SYNTAX;
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			*out = start;
			*outlen = (size_t)(w - start);
			*pp = p + 1;
			return NULL;
		}
		if (c == '\\') {
			if (end - p < 2)
				return UNMO_JSON_SYNTAX;
			char esc = p[1];
			switch (esc) {
			case '"': case '\\': case '/': *w++ = esc; p += 2; continue;
			case 'b': *w++ = '\b'; p += 2; continue;
			case 'f': *w++ = '\f'; p += 2; continue;
			case 'n': *w++ = '\n'; p += 2; continue;
			case 'r': *w++ = '\r'; p += 2; continue;
			case 't': *w++ = '\t'; p += 2; continue;
			case 'u': break;
			default: return UNMO_JSON_ESCAPE;
			}
			if (end - p < 6)
				return UNMO_JSON_SYNTAX;
			long cp = hex4(p + 2);
			if (cp < 0)
				return UNMO_JSON_ESCAPE;
			p += 6;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return UNMO_JSON_ESCAPE; /* lone low surrogate */
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p < 6)
					return p < end && *p != '\\' ? UNMO_JSON_ESCAPE : UNMO_JSON_SYNTAX;
				long lo = p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return UNMO_JSON_ESCAPE; /* high surrogate not followed by a low one */
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			}
			w = put_utf8(w, (unsigned long)cp);
		} else if (c < 0x20) {
			return UNMO_JSON_SYNTAX;
		} else if (c < 0x80) {
			*w++ = (char)c;
			p++;
		} else {
			size_t k = utf8_seq_len((const unsigned char *)p, (const unsigned char *)end);
			if (!k)
				return UNMO_JSON_UTF8;
			for (size_t i = 0; i < k; i++)
				w[i] = p[i];
			w += k;
			p += k;
		}
	}
}

/* *pp points at an opening quote. On success *out and *outlen are the (possibly
 * unescaped in place) bytes and *pp is just past the closing quote. */
static inline __attribute__((always_inline)) const char *parse_string(char **pp, const char *end, char **out, size_t *outlen)
{
	char *p = *pp + 1, *start = p;
	for (;;) {
#ifdef __SSE2__
		const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
			      space = _mm_set1_epi8(0x20);
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			/* signed compare: < 0x20 catches controls and every byte >= 0x80 */
			__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
						   _mm_cmplt_epi8(v, space));
			int m = _mm_movemask_epi8(hit);
			if (m) {
				p += __builtin_ctz((unsigned)m);
				goto special;
			}
			p += 16;
		}
#endif
		while (p < end) {
			unsigned char c = (unsigned char)*p;
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				goto special;
			p++;
		}
		return UNMO_JSON_SYNTAX;
special:;
		unsigned char c = (unsigned char)*p;
		if (LIKELY(c == '"')) {
			*out = start;
			*outlen = (size_t)(p - start);
			*pp = p + 1;
			return NULL;
		}
		if (c == '\\')
			return unescape_rest(pp, end, start, p, out, outlen);
		if (c < 0x20)
			return UNMO_JSON_SYNTAX;
		size_t k = utf8_seq_len((const unsigned char *)p, (const unsigned char *)end);
		if (!k)
			return UNMO_JSON_UTF8;
		p += k;
	}
}

/* Validate an RFC 8259 number at p; returns the end of it or NULL. */
static char *scan_number(char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return NULL;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && is_digit(*p))
			p++;
	} else {
		return NULL;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

/* An integer member value: magnitude and sign, exact, or a reason. */
static const char *parse_integer(char **pp, const char *end, uint64_t *mag, bool *neg)
{
	char *p = *pp;
	*neg = false;
	if (*p == '-') {
		*neg = true;
		p++;
	}
	if (p >= end)
		return UNMO_JSON_SYNTAX;
	uint64_t v = 0;
	bool overflow = false;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		do {
			overflow |= __builtin_mul_overflow(v, 10u, &v);
			overflow |= __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v);
			p++;
		} while (p < end && is_digit(*p));
	} else {
		return UNMO_JSON_SYNTAX;
	}
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
		return scan_number(*pp, end) ? UNMO_JSON_NOT_INTEGER : UNMO_JSON_SYNTAX;
	if (overflow)
		return UNMO_JSON_RANGE;
	*mag = v;
	*pp = p;
	return NULL;
}

static const char *parse_i64(char **pp, const char *end, int64_t *out)
{
	uint64_t v;
	bool neg;
	const char *r = parse_integer(pp, end, &v, &neg);
	if (r)
		return r;
	if (neg ? v > (uint64_t)INT64_MAX + 1u : v > (uint64_t)INT64_MAX)
		return UNMO_JSON_RANGE;
	*out = neg ? (v ? -(int64_t)(v - 1u) - 1 : 0) : (int64_t)v;
	return NULL;
}

static const char *parse_u64(char **pp, const char *end, uint64_t *out)
{
	bool neg;
	const char *r = parse_integer(pp, end, out, &neg);
	if (r)
		return r;
	return neg && *out ? UNMO_JSON_RANGE : NULL; /* "-0" is zero */
}

static inline bool literal(char **pp, const char *end, const char *lit, size_t n)
{
	if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0)
		return false;
	*pp += n;
	return true;
}

/* Skip one value at *pp (after whitespace). `open` levels already enclose
 * it. Containers are tracked in a bit stack (1 = object). */
static const char *skip_value(char **pp, const char *end, unsigned open)
{
	char *p = *pp, *s;
	size_t sl;
	uint64_t kinds = 0;
	unsigned depth = 0;
	const char *r;
	for (;;) {
		p = skip_ws(p, end);
		if (p >= end)
			return UNMO_JSON_SYNTAX;
		switch (*p) {
		case '{':
		case '[': {
			bool obj = *p == '{';
			if (open + depth + 1 > UNMO_JSON_MAX_DEPTH)
				return UNMO_JSON_DEPTH;
			kinds = (kinds << 1) | obj;
			depth++;
			p = skip_ws(p + 1, end);
			if (p < end && *p == (obj ? '}' : ']')) {
				p++;
				depth--;
				kinds >>= 1;
				goto after_value;
			}
			if (obj)
				goto member_key;
			continue;
		}
		case '"':
			r = parse_string(&p, end, &s, &sl);
			if (r)
				return r;
			break;
		case 't':
			if (!literal(&p, end, "true", 4))
				return UNMO_JSON_SYNTAX;
			break;
		case 'f':
			if (!literal(&p, end, "false", 5))
				return UNMO_JSON_SYNTAX;
			break;
		case 'n':
			if (!literal(&p, end, "null", 4))
				return UNMO_JSON_SYNTAX;
			break;
		default:
			p = scan_number(p, end);
			if (!p)
				return UNMO_JSON_SYNTAX;
			break;
		}
after_value:
		if (depth == 0) {
			*pp = p;
			return NULL;
		}
		p = skip_ws(p, end);
		if (p >= end)
			return UNMO_JSON_SYNTAX;
		if (*p == ',') {
			p++;
			if (kinds & 1)
				goto member_key;
			continue;
		}
		if (*p != ((kinds & 1) ? '}' : ']'))
			return UNMO_JSON_SYNTAX;
		p++;
		depth--;
		kinds >>= 1;
		goto after_value;
member_key:
		p = skip_ws(p, end);
		if (p >= end || *p != '"')
			return UNMO_JSON_SYNTAX;
		r = parse_string(&p, end, &s, &sl);
		if (r)
			return r;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return UNMO_JSON_SYNTAX;
		p++;
	}
}

/* ------------------------------------------------------------ the event */

enum member {
	M_EVENT_ID, M_TYPE, M_PLATFORM, M_RETARGETING, M_EVENT_TIME, M_RECV_TIME, M_REVENUE,
	M_CURRENCY, M_COUNTRY, M_IP, M_SENDER_ID, M_SEQUENCE,
	M_STR0, /* + enum unmo_str_field */
	M_COUNT = M_STR0 + UNMO_STR_COUNT
};
_Static_assert(M_COUNT <= 32, "seen-member mask is 32 bits");

#define IS(lit) (memcmp(k, lit, sizeof(lit) - 1) == 0)

/* Member name -> enum member, -1 when unknown: switch on length, then on
 * the first byte, then one memcmp of a constant length. */
static int member_of(const char *k, size_t n)
{
	switch (n) {
	case 2: return IS("ip") ? M_IP : -1;
	case 4:
		if (IS("type")) return M_TYPE;
		if (IS("sub") && k[3] >= '1' && k[3] <= '3') return M_STR0 + UNMO_S_SUB1 + (k[3] - '1');
		return -1;
	case 5: return IS("adset") ? M_STR0 + UNMO_S_ADSET : -1;
	case 6: return IS("app_id") ? M_STR0 + UNMO_S_APP_ID : -1;
	case 7:
		if (k[0] == 'c') return IS("country") ? M_COUNTRY : -1;
		return IS("site_id") ? M_STR0 + UNMO_S_SITE_ID : -1;
	case 8:
		switch (k[0]) {
		case 'e': return IS("event_id") ? M_EVENT_ID : -1;
		case 'p': return IS("platform") ? M_PLATFORM : -1;
		case 's': return IS("sequence") ? M_SEQUENCE : -1;
		case 'c':
			if (IS("currency")) return M_CURRENCY;
			if (IS("campaign")) return M_STR0 + UNMO_S_CAMPAIGN;
			if (IS("click_id")) return M_STR0 + UNMO_S_CLICK_ID;
			return -1;
		default: return -1;
		}
	case 9:
		if (k[0] == 's') return IS("sender_id") ? M_SENDER_ID : -1;
		return IS("vendor_id") ? M_STR0 + UNMO_S_VENDOR_ID : -1;
	case 10:
		if (k[0] == 'e') return IS("event_name") ? M_STR0 + UNMO_S_EVENT_NAME : -1;
		return IS("user_agent") ? M_STR0 + UNMO_S_USER_AGENT : -1;
	case 11:
		switch (k[0]) {
		case 'r': return IS("retargeting") ? M_RETARGETING : -1;
		case 'a': return IS("app_version") ? M_STR0 + UNMO_S_APP_VERSION : -1;
		case 's': return IS("sdk_version") ? M_STR0 + UNMO_S_SDK_VERSION : -1;
		default: return -1;
		}
	case 12:
		if (k[0] == 'r') return IS("recv_time_us") ? M_RECV_TIME : -1;
		return IS("media_source") ? M_STR0 + UNMO_S_MEDIA_SOURCE : -1;
	case 13: return IS("event_time_us") ? M_EVENT_TIME : -1;
	case 14:
		if (k[0] == 'r') return IS("revenue_micros") ? M_REVENUE : -1;
		return IS("advertising_id") ? M_STR0 + UNMO_S_ADVERTISING_ID : -1;
	case 16: return IS("customer_user_id") ? M_STR0 + UNMO_S_CUSTOMER_USER_ID : -1;
	default: return -1;
	}
}

/* Event type and platform names by length and first byte. */
static int type_of(const char *s, size_t n)
{
	int t;
	switch (n) {
	case 5: t = UNMO_EV_CLICK; break;
	case 7: t = s[0] == 'i' ? UNMO_EV_INSTALL : UNMO_EV_SESSION; break;
	case 9: t = UNMO_EV_REINSTALL; break;
	case 10: t = s[0] == 'i' ? UNMO_EV_IMPRESSION : UNMO_EV_CONVERSION; break;
	case 12: t = UNMO_EV_REENGAGEMENT; break;
	default: return -1;
	}
	return memcmp(s, unmo_event_type_names[t], n) == 0 ? t : -1;
}

static int platform_of(const char *s, size_t n)
{
	int p;
	switch (n) {
	case 3: p = s[0] == 'i' ? UNMO_PLAT_IOS : UNMO_PLAT_WEB; break;
	case 5: p = UNMO_PLAT_OTHER; break;
	case 7: p = s[0] == 'a' ? UNMO_PLAT_ANDROID : UNMO_PLAT_UNKNOWN; break;
	default: return -1;
	}
	return memcmp(s, unmo_platform_names[p], n) == 0 ? p : -1;
}

static bool all_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

#define X 0xff
static const uint8_t lower_hex[256] = {
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X

/* 32 lowercase hex digits (canonical), or the dashed UUID text form
 * 8-4-4-4-12 that SDKs usually send (hex in either case): same 16 bytes. */
static const char *parse_event_id(const char *s, size_t n, uint8_t id[16])
{
	char compact[32];
	if (n == 36) {
		if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
			return UNMO_JSON_BAD_EVENT_ID;
		for (size_t i = 0, j = 0; i < 36; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				continue;
			char c = s[i];
			compact[j++] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
		}
		s = compact;
		n = 32;
	}
	if (n != 32)
		return UNMO_JSON_BAD_EVENT_ID;
	unsigned bad = 0;
	for (int i = 0; i < 16; i++) {
		unsigned hi = lower_hex[(unsigned char)s[2 * i]], lo = lower_hex[(unsigned char)s[2 * i + 1]];
		bad |= hi | lo;
		id[i] = (uint8_t)(hi << 4 | (lo & 15));
	}
	return bad & 0xf0 ? UNMO_JSON_BAD_EVENT_ID : NULL;
}

/* Dotted-quad IPv4 as inet_pton(AF_INET) reads it: exactly four decimal
 * octets 0..255, no leading zeros, nothing else. */
static bool parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
	const char *end = s + n;
	for (int i = 0; i < 4; i++) {
		if (i) {
			if (s >= end || *s != '.')
				return false;
			s++;
		}
		if (s >= end || !is_digit(*s))
			return false;
		unsigned v = (unsigned)(*s++ - '0');
		for (int k = 0; k < 2 && s < end && is_digit(*s); k++) {
			if (v == 0)
				return false; /* leading zero */
			v = v * 10 + (unsigned)(*s++ - '0');
		}
		if (v > 255 || (s < end && is_digit(*s)))
			return false;
		out[i] = (uint8_t)v;
	}
	return s == end;
}

static const char *parse_ip(const char *s, size_t n, struct unmo_event *e)
{
	if (n && n <= 15 && s[0] != ':' && !memchr(s, ':', n)) {
		if (!parse_ipv4(s, n, e->ip))
			return UNMO_JSON_BAD_IP;
		e->ip_version = 4;
		return NULL;
	}
	char tmp[48]; /* INET6_ADDRSTRLEN (46) rounded up */
	if (n == 0 || n >= sizeof tmp || memchr(s, 0, n) || !memchr(s, ':', n))
		return UNMO_JSON_BAD_IP;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (inet_pton(AF_INET6, tmp, e->ip) != 1)
		return UNMO_JSON_BAD_IP;
	e->ip_version = 6;
	return NULL;
}

/* Lowercase hex digit values; 0xff for every other byte. */
/* Value of known member m at *pp (not null). */
static inline __attribute__((always_inline)) const char *parse_member(int m, char **pp, const char *end, struct unmo_event *e)
{
	char *p = *pp, *s;
	size_t n;
	const char *r;
	if (m >= M_STR0 || m == M_EVENT_ID || m == M_TYPE || m == M_PLATFORM || m == M_CURRENCY ||
	    m == M_COUNTRY || m == M_IP) {
		if (*p != '"')
			return UNMO_JSON_TYPE;
		r = parse_string(pp, end, &s, &n);
		if (r)
			return r;
		if (m >= M_STR0) {
			if (n > UNMO_STR_MAX)
				return UNMO_JSON_STRING_TOO_LONG;
			e->s[m - M_STR0] = (struct unmo_str){s, (uint16_t)n};
			return NULL;
		}
		int v;
		switch (m) {
		case M_EVENT_ID:
			return parse_event_id(s, n, e->event_id);
		case M_TYPE:
			v = type_of(s, n);
			if (v < 0)
				return UNMO_JSON_BAD_TYPE;
			e->type = (uint8_t)v;
			return NULL;
		case M_PLATFORM:
			v = platform_of(s, n);
			if (v < 0)
				return UNMO_JSON_BAD_PLATFORM;
			e->platform = (uint8_t)v;
			return NULL;
		case M_CURRENCY:
			if (n != 3 || !all_upper(s, 3))
				return UNMO_JSON_BAD_CURRENCY;
			memcpy(e->currency, s, 3);
			return NULL;
		case M_COUNTRY:
			if (n != 2 || !all_upper(s, 2))
				return UNMO_JSON_BAD_COUNTRY;
			memcpy(e->country, s, 2);
			return NULL;
		default:
			return parse_ip(s, n, e);
		}
	}
	if (m == M_RETARGETING) {
		if (literal(pp, end, "true", 4))
			e->flags |= UNMO_EVF_RETARGETING;
		else if (!literal(pp, end, "false", 5))
			return *p == 'f' || *p == 't' ? UNMO_JSON_SYNTAX : UNMO_JSON_TYPE;
		return NULL;
	}
	if (*p != '-' && !is_digit(*p))
		return UNMO_JSON_TYPE;
	switch (m) {
	case M_EVENT_TIME: return parse_i64(pp, end, &e->event_time_us);
	case M_RECV_TIME: return parse_i64(pp, end, &e->recv_time_us);
	case M_REVENUE: return parse_i64(pp, end, &e->revenue_micros);
	case M_SENDER_ID: return parse_u64(pp, end, &e->sender_id);
	default: return parse_u64(pp, end, &e->sequence);
	}
}

static const char *parse_object(char **pp, const char *end, struct unmo_event *e)
{
	char *p = skip_ws(*pp, end), *k;
	size_t kn;
	const char *r;
	uint32_t seen = 0;
	unmo_event_clear(e);
	if (p >= end)
		return UNMO_JSON_SYNTAX;
	if (*p != '{')
		return UNMO_JSON_NOT_OBJECT;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		if (p >= end || *p != '"')
			return UNMO_JSON_SYNTAX;
		r = parse_string(&p, end, &k, &kn);
		if (r)
			return r;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return UNMO_JSON_SYNTAX;
		p = skip_ws(p + 1, end);
		if (p >= end)
			return UNMO_JSON_SYNTAX;
		int m = member_of(k, kn);
		if (m < 0) {
			r = skip_value(&p, end, 1);
		} else if (seen & (1u << m)) {
			return UNMO_JSON_DUPLICATE;
		} else {
			seen |= 1u << m;
			if (*p == 'n')
				r = literal(&p, end, "null", 4) ? NULL : UNMO_JSON_SYNTAX;
			else
				r = parse_member(m, &p, end, e);
		}
		if (r)
			return r;
		p = skip_ws(p, end);
		if (p >= end)
			return UNMO_JSON_SYNTAX;
		if (*p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (*p != '}')
			return UNMO_JSON_SYNTAX;
		p++;
		break;
	}
done:
	if (e->type == UNMO_EV_NONE)
		return UNMO_JSON_MISSING_TYPE;
	*pp = p;
	return NULL;
}

const char *unmo_json_event_parse_at(char *buf, size_t n, size_t *pos, struct unmo_event *e)
{
	if (*pos > n)
		return UNMO_JSON_SYNTAX;
	char *p = buf + *pos;
	const char *r = parse_object(&p, buf + n, e);
	if (!r)
		*pos = (size_t)(p - buf);
	return r;
}

const char *unmo_json_event_parse(char *buf, size_t n, struct unmo_event *e)
{
	char *p = buf, *end = buf + n;
	const char *r = parse_object(&p, end, e);
	if (r)
		return r;
	return skip_ws(p, end) == end ? NULL : UNMO_JSON_SYNTAX;
}

/* ------------------------------------------------ exported primitives */

size_t unmo_json_ws(const char *buf, size_t n, size_t pos)
{
	while (pos < n && is_ws((unsigned char)buf[pos]))
		pos++;
	return pos;
}

const char *unmo_json_string_at(char *buf, size_t n, size_t *pos, char **s, size_t *len)
{
	if (*pos >= n || buf[*pos] != '"')
		return *pos >= n ? UNMO_JSON_SYNTAX : UNMO_JSON_TYPE;
	char *p = buf + *pos;
	const char *r = parse_string(&p, buf + n, s, len);
	if (!r)
		*pos = (size_t)(p - buf);
	return r;
}

const char *unmo_json_u64_at(const char *buf, size_t n, size_t *pos, uint64_t *v)
{
	if (*pos >= n)
		return UNMO_JSON_SYNTAX;
	if (buf[*pos] == '-' || !is_digit(buf[*pos]))
		return buf[*pos] == '-' ? UNMO_JSON_RANGE : UNMO_JSON_TYPE;
	char *p = (char *)(uintptr_t)(buf + *pos); /* parse_integer only reads */
	bool neg;
	const char *r = parse_integer(&p, buf + n, v, &neg);
	if (!r)
		*pos = (size_t)(p - buf);
	return r;
}

const char *unmo_json_skip_at(char *buf, size_t n, size_t *pos)
{
	if (*pos > n)
		return UNMO_JSON_SYNTAX;
	char *p = buf + *pos;
	const char *r = skip_value(&p, buf + n, 0);
	if (!r)
		*pos = (size_t)(p - buf);
	return r;
}

/* ---------------------------------------------------------------- writer */

struct out {
	char *p, *end;
	bool full;
};

static inline void put(struct out *o, const void *s, size_t n)
{
	if (UNLIKELY((size_t)(o->end - o->p) < n)) {
		o->full = true;
		o->p = o->end;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof(lit) - 1)

static void put_escaped(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
	put(o, "\"", 1);
	while (p < end) {
		unsigned c = *p;
		if (LIKELY(c >= 0x20 && c < 0x80 && c != '"' && c != '\\')) {
			p++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = utf8_seq_len(p, end);
			if (k) {
				p += k;
				continue;
			}
		}
		put(o, run, (size_t)(p - run));
		if (c == '"') {
			PUT_LIT(o, "\\\"");
		} else if (c == '\\') {
			PUT_LIT(o, "\\\\");
		} else if (c < 0x20) {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			put(o, u, 6);
		} else {
			PUT_LIT(o, "\xEF\xBF\xBD"); /* not UTF-8: U+FFFD keeps the output valid JSON */
		}
		p++;
		run = p;
	}
	put(o, run, (size_t)(p - run));
	put(o, "\"", 1);
}

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[20], *t = tmp + sizeof tmp;
	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, t, (size_t)(tmp + sizeof tmp - t));
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		put(o, "-", 1);
		put_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

static void put_name(struct out *o, const char *name, bool *first)
{
	put(o, *first ? "\"" : ",\"", *first ? 1 : 2);
	*first = false;
	put(o, name, strlen(name));
	PUT_LIT(o, "\":");
}

static void put_int_member(struct out *o, const char *name, int64_t v, bool *first)
{
	if (!v)
		return;
	put_name(o, name, first);
	put_i64(o, v);
}

static void put_uint_member(struct out *o, const char *name, uint64_t v, bool *first)
{
	if (!v)
		return;
	put_name(o, name, first);
	put_u64(o, v);
}

static bool any_nonzero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return true;
	return false;
}

size_t unmo_json_event_write(char *dst, size_t cap, const struct unmo_event *e)
{
	static const char hex[] = "0123456789abcdef";
	struct out o = {dst, dst + cap, false};
	bool first = true;
	put(&o, "{", 1);
	if (any_nonzero(e->event_id, 16)) {
		char id[34];
		id[0] = id[33] = '"';
		for (int i = 0; i < 16; i++) {
			id[1 + 2 * i] = hex[e->event_id[i] >> 4];
			id[2 + 2 * i] = hex[e->event_id[i] & 15];
		}
		put_name(&o, "event_id", &first);
		put(&o, id, sizeof id);
	}
	put_name(&o, "type", &first);
	put_escaped(&o, e->type < UNMO_EV_TYPE_COUNT ? unmo_event_type_names[e->type] : "none",
		    e->type < UNMO_EV_TYPE_COUNT ? strlen(unmo_event_type_names[e->type]) : 4);
	if (e->platform != UNMO_PLAT_UNKNOWN) {
		const char *pn = e->platform < UNMO_PLAT_COUNT ? unmo_platform_names[e->platform] : "unknown";
		put_name(&o, "platform", &first);
		put_escaped(&o, pn, strlen(pn));
	}
	if (e->flags & UNMO_EVF_RETARGETING) {
		put_name(&o, "retargeting", &first);
		PUT_LIT(&o, "true");
	}
	put_int_member(&o, "event_time_us", e->event_time_us, &first);
	put_int_member(&o, "recv_time_us", e->recv_time_us, &first);
	put_int_member(&o, "revenue_micros", e->revenue_micros, &first);
	if (any_nonzero(e->currency, 3)) {
		put_name(&o, "currency", &first);
		put_escaped(&o, e->currency, 3);
	}
	if (any_nonzero(e->country, 2)) {
		put_name(&o, "country", &first);
		put_escaped(&o, e->country, 2);
	}
	if (e->ip_version == 4 || e->ip_version == 6) {
		char tmp[48];
		if (inet_ntop(e->ip_version == 4 ? AF_INET : AF_INET6, e->ip, tmp, sizeof tmp)) {
			put_name(&o, "ip", &first);
			put_escaped(&o, tmp, strlen(tmp));
		}
	}
	put_uint_member(&o, "sender_id", e->sender_id, &first);
	put_uint_member(&o, "sequence", e->sequence, &first);
	for (int i = 0; i < UNMO_STR_COUNT; i++) {
		if (!e->s[i].len || !e->s[i].p)
			continue;
		put_name(&o, unmo_str_field_names[i], &first);
		put_escaped(&o, e->s[i].p, e->s[i].len);
	}
	put(&o, "}", 1);
	return o.full ? 0 : (size_t)(o.p - dst);
}

size_t unmo_json_string_write(char *dst, size_t cap, const char *s, size_t len)
{
	struct out o = {dst, dst + cap, false};
	put_escaped(&o, s, len);
	return o.full ? 0 : (size_t)(o.p - dst);
}
