/* record.c — encoder and zero-copy decoder of the version-1 event record. */
#include "record.h"

const char UNMO_BAD_TRUNCATED[] = "truncated";
const char UNMO_BAD_LENGTH[] = "bad_length";
const char UNMO_BAD_VERSION[] = "bad_version";
const char UNMO_BAD_TYPE[] = "bad_type";
const char UNMO_BAD_PLATFORM[] = "bad_platform";
const char UNMO_BAD_FLAGS[] = "bad_flags";
const char UNMO_BAD_IP[] = "bad_ip";
const char UNMO_BAD_CURRENCY[] = "bad_currency";
const char UNMO_BAD_COUNTRY[] = "bad_country";
const char UNMO_BAD_STRING[] = "bad_string";
const char UNMO_BAD_RESERVED[] = "bad_reserved";

static size_t ip_len(uint8_t ip_version)
{
	return ip_version == 4 ? 4 : ip_version == 6 ? 16 : 0;
}

size_t unmo_record_size(const struct unmo_event *e)
{
	size_t n = UNMO_RECORD_FIXED + ip_len(e->ip_version);
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		if (e->s[i].len)
			n += 2u + e->s[i].len;
	return n;
}

size_t unmo_record_encode(uint8_t *dst, size_t cap, const struct unmo_event *e)
{
	size_t n = unmo_record_size(e);
	if (n > cap || n > UNMO_RECORD_MAX || unmo_event_check(e))
		return 0;
	unmo_st16(dst, (uint16_t)n);
	dst[2] = UNMO_RECORD_VERSION;
	dst[3] = e->type;
	dst[4] = e->platform;
	dst[5] = e->flags;
	dst[6] = e->ip_version;
	dst[7] = 0;
	memcpy(dst + 8, e->event_id, 16);
	unmo_st64(dst + 24, (uint64_t)e->event_time_us);
	unmo_st64(dst + 32, (uint64_t)e->recv_time_us);
	unmo_st64(dst + 40, (uint64_t)e->revenue_micros);
	unmo_st64(dst + 48, e->sender_id);
	unmo_st64(dst + 56, e->sequence);
	memcpy(dst + 64, e->currency, 3);
	memcpy(dst + 67, e->country, 2);
	dst[69] = 0;
	uint16_t mask = 0;
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		if (e->s[i].len)
			mask |= (uint16_t)(1u << i);
	unmo_st16(dst + 70, mask);
	uint8_t *p = dst + UNMO_RECORD_FIXED;
	size_t il = ip_len(e->ip_version);
	memcpy(p, e->ip, il);
	p += il;
	for (int i = 0; i < UNMO_STR_COUNT; i++) {
		uint16_t len = e->s[i].len;
		if (!len)
			continue;
		unmo_st16(p, len);
		memcpy(p + 2, e->s[i].p, len);
		p += 2u + len;
	}
	return n;
}

size_t unmo_record_fill(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, struct unmo_str app_id,
			int64_t recv_time_us, uint64_t sender_id, uint64_t sequence)
{
	uint16_t mask = unmo_ld16(src + 70);
	bool insert = !(mask & (1u << UNMO_S_APP_ID)) && app_id.len;
	size_t out = n + (insert ? 2u + app_id.len : 0u);
	if (n < UNMO_RECORD_FIXED || out > cap || out > UNMO_RECORD_MAX)
		return 0;
	if (!insert) {
		memcpy(dst, src, n);
	} else {
		/* app_id is string field 0: it goes right after the IP address */
		size_t il = ip_len(src[6]), head = UNMO_RECORD_FIXED + il;
		/* Fixed-size pieces: for memcpy(dst, src, head) with head <= 88,
		 * gcc emits `rep movsq`, whose start-up cost was half of this
		 * function's time (perf, bench_e2e); these become plain moves. */
		memcpy(dst, src, UNMO_RECORD_FIXED);
		if (il == 4)
			memcpy(dst + UNMO_RECORD_FIXED, src + UNMO_RECORD_FIXED, 4);
		else if (il == 16)
			memcpy(dst + UNMO_RECORD_FIXED, src + UNMO_RECORD_FIXED, 16);
		unmo_st16(dst + head, app_id.len);
		memcpy(dst + head + 2, app_id.p, app_id.len);
		memcpy(dst + head + 2 + app_id.len, src + head, n - head);
		unmo_st16(dst, (uint16_t)out);
		unmo_st16(dst + 70, (uint16_t)(mask | (1u << UNMO_S_APP_ID)));
	}
	unmo_st64(dst + 32, (uint64_t)recv_time_us);
	unmo_st64(dst + 48, sender_id);
	unmo_st64(dst + 56, sequence);
	return out;
}

/* Currency and country: A-Z in every byte, or all NUL (unrolled by hand:
 * gcc -O2 keeps a 3-byte loop as a loop). */
static inline unsigned up(uint8_t c) { return (uint8_t)(c - 'A') <= 'Z' - 'A'; } /* 0 or 1 */
static inline bool currency_ok(const uint8_t *c)
{
	return (c[0] | c[1] | c[2]) == 0 || (up(c[0]) & up(c[1]) & up(c[2]));
}
static inline bool country_ok(const uint8_t *c)
{
	return (c[0] | c[1]) == 0 || (up(c[0]) & up(c[1]));
}

/* The checks both decoders (unmo_record_decode, unmo_record_check_fill)
 * make first, in this order, on the fixed head alone; sets *len. */
static inline const char *head_check(const uint8_t *src, size_t n, size_t *len)
{
	if (n < UNMO_RECORD_FIXED)
		return UNMO_BAD_TRUNCATED;
	*len = unmo_ld16(src);
	if (*len < UNMO_RECORD_FIXED)
		return UNMO_BAD_LENGTH;
	if (*len > n)
		return UNMO_BAD_TRUNCATED;
	if (src[2] != UNMO_RECORD_VERSION)
		return UNMO_BAD_VERSION;
	if (src[7] != 0 || src[69] != 0)
		return UNMO_BAD_RESERVED;
	if (unmo_ld16(src + 70) >> UNMO_STR_COUNT)
		return UNMO_BAD_STRING;
	uint8_t ipv = src[6];
	if (ipv != 0 && ipv != 4 && ipv != 6)
		return UNMO_BAD_IP;
	return NULL;
}

/* unmo_event_check's value checks, in its order, on the raw bytes (ip and
 * strings are checked by the walk); both decoders make them last. */
static inline const char *value_check(const uint8_t *src)
{
	uint8_t type = src[3];
	if (type == UNMO_EV_NONE || type >= UNMO_EV_TYPE_COUNT)
		return UNMO_BAD_TYPE;
	if (src[4] >= UNMO_PLAT_COUNT)
		return UNMO_BAD_PLATFORM;
	if (src[5] & ~UNMO_EVF_KNOWN_MASK)
		return UNMO_BAD_FLAGS;
	if (!currency_ok(src + 64))
		return UNMO_BAD_CURRENCY;
	if (!country_ok(src + 67))
		return UNMO_BAD_COUNTRY;
	return NULL;
}

/* The rest of a record after its head (and IP address) at p..end: each
 * string the mask announces, in field order (u16 length 1..UNMO_STR_MAX, then
 * the bytes), ending exactly at end; then the value checks. Fills out[field]
 * with views into the record when out is not NULL. Both decoders use it:
 * inlined, the NULL case loses the stores. */
static inline __attribute__((always_inline)) const char *
tail_check(const uint8_t *src, const uint8_t *p, const uint8_t *end, unsigned mask, struct unmo_str *out)
{
	for (unsigned m = mask; m; m &= m - 1) {
		size_t left = (size_t)(end - p);
		if (left < 2)
			return UNMO_BAD_LENGTH;
		size_t sl = unmo_ld16(p);
		if (sl - 1u >= UNMO_STR_MAX) /* 0 or > UNMO_STR_MAX */
			return UNMO_BAD_STRING;
		if (left - 2 < sl)
			return UNMO_BAD_LENGTH;
		if (out)
			out[__builtin_ctz(m)] = (struct unmo_str){(const char *)p + 2, (uint16_t)sl};
		p += 2 + sl;
	}
	if (p != end)
		return UNMO_BAD_LENGTH;
	return value_check(src);
}

/* The hot path of binary frames and segment reads: one pass, no library
 * calls, only present strings visited. It applies exactly the checks of
 * unmo_event_check (same reasons) without a second pass over the event. */
const char *unmo_record_decode(const uint8_t *src, size_t n, struct unmo_event *e, size_t *used)
{
	size_t len;
	const char *why = head_check(src, n, &len);
	if (why)
		return why;
	uint16_t mask = unmo_ld16(src + 70);
	uint8_t ipv = src[6];
	e->type = src[3];
	e->platform = src[4];
	e->flags = src[5];
	e->ip_version = ipv;
	memcpy(e->event_id, src + 8, 16);
	e->event_time_us = (int64_t)unmo_ld64(src + 24);
	e->recv_time_us = (int64_t)unmo_ld64(src + 32);
	e->revenue_micros = (int64_t)unmo_ld64(src + 40);
	e->sender_id = unmo_ld64(src + 48);
	e->sequence = unmo_ld64(src + 56);
	memcpy(e->currency, src + 64, 3);
	memcpy(e->country, src + 67, 2);
	const uint8_t *p = src + UNMO_RECORD_FIXED, *end = src + len;
	memset(e->ip, 0, 16);
	if (ipv == 4) {
		if (end - p < 4)
			return UNMO_BAD_LENGTH;
		memcpy(e->ip, p, 4);
		p += 4;
	} else if (ipv == 6) {
		if (end - p < 16)
			return UNMO_BAD_LENGTH;
		memcpy(e->ip, p, 16);
		p += 16;
	}
	/* All strings absent, in 64-byte pieces: for one 256-byte memset (or a
	 * loop) gcc -mtune=generic emits `rep stos`, whose start-up cost is a
	 * third of a whole record decode; 64-byte pieces become 16 vector stores. */
	_Static_assert(sizeof e->s % 64 == 0, "e->s cleared in 64-byte pieces");
	for (size_t k = 0; k < sizeof e->s; k += 64)
		memset((char *)e->s + k, 0, 64);
	if ((why = tail_check(src, p, end, mask, e->s)))
		return why;
	*used = len;
	return NULL;
}

/* unmo_record_decode's checks, in its order, reading only what they need
 * (header, string lengths), then one copy: no struct unmo_event to clear and
 * fill, no second walk. tests/test_record.c and tests/fuzz/fuzz_record.c
 * hold it to the decoder's verdicts. */
const char *unmo_record_check_fill(uint8_t *dst, size_t cap, const uint8_t *src, size_t n,
				   struct unmo_str app_id, int64_t recv_time_us, uint64_t sender_id,
				   uint64_t sequence, struct unmo_record_seen *seen)
{
	size_t len;
	const char *why = head_check(src, n, &len);
	if (why)
		return why;
	uint16_t mask = unmo_ld16(src + 70);
	uint8_t ipv = src[6];
	size_t head = UNMO_RECORD_FIXED + ip_len(ipv);
	if (head > len)
		return UNMO_BAD_LENGTH;
	/* Copy first, then walk: the walk is a chain of dependent loads (each
	 * string's length gives the next one's place), so the copy's loads and
	 * stores, which depend only on the header, overlap with it instead of
	 * waiting for it. On a rejection the bytes at dst are garbage (contract). */
	size_t written = unmo_record_fill(dst, cap, src, len, app_id, recv_time_us, sender_id, sequence);
	if ((why = tail_check(src, src + head, src + len, mask, NULL)))
		return why;
	seen->used = len;
	seen->event_time_us = (int64_t)unmo_ld64(src + 24);
	seen->app_id = (struct unmo_str){NULL, 0};
	if (mask & (1u << UNMO_S_APP_ID)) /* string field 0: right after the IP address */
		seen->app_id = (struct unmo_str){(const char *)src + head + 2, unmo_ld16(src + head)};
	seen->written = written;
	return NULL;
}
