/* attr_route.c — pass 1's routing of one event: its group (the device
 * key, or app + IP + UA family for device-less touches), its app and
 * (source, campaign) indexes through the thread's memos, and its record
 * put into the partition of its group's hash. Contract in attr_impl.h
 * ("pass-1 routing"). */
#include "attr_impl.h"

#include <errno.h>
#include <xxhash.h>

/* Group hashes (partition and sort order only; groups are told apart by
 * their keys): the key bytes hashed with a seed made of the app string's
 * hash (memoized per thread with the app's index) and the key kind, so
 * no buffer is assembled per event. */
static uint64_t hash_dev(uint64_t app_h, uint8_t kind, const void *key, size_t klen)
{
	return XXH3_64bits_withSeed(key, klen, app_h ^ (0x756e6d6f00ull | kind) * 0x9e3779b97f4a7c15ull);
}

/* The partition of a group hash: its low half scaled to [0, nparts), a
 * multiply instead of a 64-bit division (which was a twentieth of
 * routing); the sort within a partition orders on the high bits. */
static inline unsigned part_of(uint64_t ghash, unsigned nparts)
{
	return (unsigned)(((ghash & 0xffffffffu) * nparts) >> 32);
}

static uint64_t hash_prob(uint64_t app_h, const struct unmo_event *e, const char *fam, size_t flen)
{
	uint8_t b[16 + 64];
	size_t il = e->ip_version == 4 ? 4 : 16;
	memcpy(b, e->ip, il);
	if (flen)
		memcpy(b + il, fam, flen);
	return XXH3_64bits_withSeed(b, il + flen, app_h ^ (0x70726f6200ull | e->ip_version) * 0x9e3779b97f4a7c15ull);
}

static size_t ua_family(struct p1 *t, struct unmo_str ua, char fam[64])
{
	if (!t->ua || !ua.len || ua.len > UA_SLOT_MAX)
		return unmo_attr_ua_family(ua, fam, 64);
	struct ua_slot *s = &t->ua[XXH3_64bits(ua.p, ua.len) % UA_SLOTS];
	if (s->len != ua.len || !bytes_eq(s->ua, ua.p, ua.len)) {
		s->flen = (uint8_t)unmo_attr_ua_family(ua, s->fam, sizeof s->fam);
		s->len = ua.len;
		memcpy(s->ua, ua.p, ua.len);
	}
	memcpy(fam, s->fam, s->flen);
	fam[s->flen] = 0;
	return s->flen;
}

/* A cheap slot pick for memo lookups from the first, middle and last 8
 * bytes (the answer is checked on every byte; a poor pick only costs a
 * lookup). */
static inline uint64_t memo_mix(struct unmo_str k)
{
	uint64_t x = k.len, y;
	if (k.len >= 8) {
		memcpy(&y, k.p, 8);
		x ^= y;
		memcpy(&y, k.p + k.len / 2 - 4, 8); /* len >= 8: inside */
		x ^= y * 0x9e3779b97f4a7c15ull;
		memcpy(&y, k.p + k.len - 8, 8);
		x ^= y * 0xbf58476d1ce4e5b9ull;
	} else {
		for (size_t i = 0; i < k.len; i++)
			x ^= (uint64_t)(uint8_t)k.p[i] << (8 * i + 8);
	}
	x ^= x >> 32;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 29;
	return x;
}

/* Intern key and remember it in slot s; UINT32_MAX when out of memory. */
static uint32_t memo_fill(struct attr_apps *tab, struct app_slot *s, struct unmo_str key)
{
	/* the table's copy read under its lock: its array may move while
	 * others intern */
	struct unmo_str stored;
	uint64_t h;
	uint32_t idx = apps_intern_get(tab, key, &stored, &h);
	if (idx != UINT32_MAX) {
		s->app = stored;
		s->idx = idx;
		s->h = h;
	}
	return idx;
}

/* Index of app in the apps table, and *h its hash (apps_intern_get). */
static uint32_t app_index(struct attr_apps *tab, struct app_slot *memo, struct unmo_str app, uint64_t *h)
{
	if (!app.len || !memo)
		return apps_intern_get(tab, app, NULL, h);
	struct app_slot *s = &memo[memo_mix(app) % APP_SLOTS];
	if (!str_eq_fast(s->app, app) && memo_fill(tab, s, app) == UINT32_MAX)
		return UINT32_MAX;
	*h = s->h;
	return s->idx;
}

/* Index of a (media source, campaign) pair: the memo is looked up on the
 * two strings as they are (their table key, sc_key's u16 source length |
 * source | campaign, is only built on a miss). kbuf: 2 + 2 * UNMO_STR_MAX. */
static uint32_t sc_index(struct attr_apps *tab, struct app_slot *memo, uint8_t *kbuf, struct unmo_str src,
			 struct unmo_str camp)
{
	if (!src.len && !camp.len)
		return 0;
	struct app_slot *s = NULL;
	if (memo) {
		s = &memo[(memo_mix(src) ^ memo_mix(camp) * 0x9e3779b97f4a7c15ull) % SC_SLOTS];
		struct unmo_str k = s->app; /* len 0 when empty: never equal */
		if (k.len == 2u + src.len + camp.len && unmo_ld16((const uint8_t *)k.p) == src.len &&
		    bytes_eq(k.p + 2, src.p, src.len) && bytes_eq(k.p + 2 + src.len, camp.p, camp.len))
			return s->idx;
	}
	struct unmo_str key = {(const char *)kbuf, (uint16_t)sc_key(kbuf, src, camp)};
	return s ? memo_fill(tab, s, key) : apps_intern(tab, key);
}

/* A UUID string (8-4-4-4-12 hex digits, any letter case) as 16 bytes:
 * PF_KEY_UUID, else 0 (the key is kept as sent).
 * Once per event in pass 1, so with SSE: 32 digits checked and packed in a
 * few dozen instructions (a byte loop cost more than the bytes it saves). */
#if defined(__SSSE3__) && defined(__SSE4_1__)
#include <smmintrin.h>
static inline __m128i hex_range(__m128i c, char lo, char hi)
{
	return _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8((char)(lo - 1))),
			     _mm_cmplt_epi8(c, _mm_set1_epi8((char)(hi + 1))));
}

/* 16 hex digits -> 8 bytes (in the low half); *ok: mask of the hex lanes. */
static inline __m128i hex16(__m128i c, unsigned *ok)
{
	__m128i dig = hex_range(c, '0', '9'), lo = hex_range(c, 'a', 'f'), hi = hex_range(c, 'A', 'F');
	*ok = (unsigned)_mm_movemask_epi8(_mm_or_si128(dig, _mm_or_si128(lo, hi)));
	__m128i v = _mm_blendv_epi8(_mm_sub_epi8(_mm_or_si128(c, _mm_set1_epi8(0x20)), _mm_set1_epi8('a' - 10)),
				    _mm_sub_epi8(c, _mm_set1_epi8('0')), dig);
	__m128i pairs = _mm_maddubs_epi16(v, _mm_set1_epi16(0x0110)); /* hi * 16 + lo per 16-bit lane */
	return _mm_packus_epi16(pairs, pairs);
}

static uint8_t uuid_pack(struct unmo_str s, uint8_t out[16])
{
	if (s.len != 36 || s.p[8] != '-' || s.p[13] != '-' || s.p[18] != '-' || s.p[23] != '-')
		return 0;
	/* the 32 digits gathered from the string by shuffles (copying them
	 * to a buffer first made the 16-byte loads wait for the small stores:
	 * a sixth of routing) */
	__m128i x = _mm_loadu_si128((const __m128i *)(s.p + 2));  /* digits 2..7, 9..12, 14..17 */
	__m128i y = _mm_loadu_si128((const __m128i *)(s.p + 20)); /* digits 20..22, 24..35 */
	x = _mm_shuffle_epi8(x, _mm_setr_epi8(-1, -1, 0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15));
	x = _mm_insert_epi16(x, unmo_ld16((const uint8_t *)s.p), 0);
	y = _mm_shuffle_epi8(y, _mm_setr_epi8(-1, 0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
	y = _mm_insert_epi8(y, s.p[19], 0);
	unsigned ok0, ok1;
	__m128i a = hex16(x, &ok0);
	__m128i b = hex16(y, &ok1);
	if ((ok0 & ok1) != 0xFFFF)
		return 0;
	_mm_storel_epi64((__m128i *)out, a);
	_mm_storel_epi64((__m128i *)(out + 8), b);
	return PF_KEY_UUID;
}
#else
static uint8_t uuid_pack(struct unmo_str s, uint8_t out[16])
{
	if (s.len != 36 || s.p[8] != '-' || s.p[13] != '-' || s.p[18] != '-' || s.p[23] != '-')
		return 0;
	unsigned k = 0;
	uint8_t acc = 0;
	for (unsigned i = 0; i < 36; i++) {
		unsigned char c = (unsigned char)s.p[i];
		unsigned v;
		if (i == 8 || i == 13 || i == 18 || i == 23)
			continue;
		if (c >= '0' && c <= '9') {
			v = c - '0';
		} else if (c >= 'a' && c <= 'f') {
			v = c - 'a' + 10u;
		} else if (c >= 'A' && c <= 'F') {
			v = c - 'A' + 10u;
		} else {
			return 0;
		}
		acc = (uint8_t)(acc << 4 | v);
		if (k++ & 1)
			out[k / 2 - 1] = acc;
	}
	return PF_KEY_UUID;
}
#endif

/* An advertising or vendor id made only of '0' and '-', with at least one
 * '0': what iOS reports as the IDFA when the user has not authorized
 * tracking (ATT) or limits ad tracking, and Android as the GAID after the
 * user deleted it. Millions of devices send the same zeros, so it
 * identifies none: route takes the next id in the order, as if it were
 * absent. Random ids start with '0' or '-' one time in 16 or less, so the
 * loop rarely runs. */
static inline bool id_zeroed(struct unmo_str id)
{
	if (id.p[0] != '0' && id.p[0] != '-')
		return false;
	bool zero = false;
	for (size_t i = 0; i < id.len; i++) {
		if (id.p[i] == '0')
			zero = true;
		else if (id.p[i] != '-')
			return false;
	}
	return zero;
}

/* The device key of an install, app open or conversion with neither a
 * device id nor an event id: a hash of its record (docs/attribution.md
 * section 3), so that every such event is a device of its own whatever
 * the others hold. The receive time is left out when sender and sequence
 * are set, so that the copies of one frame that section 9 removes meet in
 * one group. Rare: a malloc per event is fine. 0, or -1 out of memory. */
static int content_key(const struct unmo_event *e, uint8_t key[16])
{
	struct unmo_event c = *e;
	if (c.sender_id)
		c.recv_time_us = 0;
	size_t n = unmo_record_size(&c);
	uint8_t *b = malloc(n);
	if (!b)
		return -1;
	n = unmo_record_encode(b, n, &c);
	XXH128_canonical_t h;
	XXH128_canonicalFromHash(&h, XXH3_128bits(b, n));
	memcpy(key, h.digest, 16);
	free(b);
	return 0;
}

int route(struct unmo_attr *a, struct p1 *t, const struct unmo_event *e)
{
	struct unmo_str app = e->s[UNMO_S_APP_ID];
	if (a->o.app && !(app.len == strlen(a->o.app) && !memcmp(app.p, a->o.app, app.len))) {
		t->st.events_filtered++;
		return 0;
	}
	if (e->event_time_us <= -UNMO_ATTR_TIME_LIMIT || e->event_time_us >= UNMO_ATTR_TIME_LIMIT) {
		t->st.events_bad_time++; /* no window arithmetic on it could be trusted */
		return 0;
	}
	static const uint8_t zero[16];
	static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct unmo_event v4;
	if (e->ip_version == 6 && !memcmp(e->ip, v4_mapped, 12)) {
		/* ::ffff:a.b.c.d is how dual-stack servers log an IPv4 client: the
		 * same address as a.b.c.d for probabilistic matching (rare: the
		 * copy costs nothing measurable) */
		v4 = *e;
		v4.ip_version = 4;
		memcpy(v4.ip, e->ip + 12, 4);
		memset(v4.ip + 4, 0, 12);
		e = &v4;
	}
	struct prec_in in;
	prec_in_init(&in, 0, e->type, e);
	in.flags = (e->flags & UNMO_EVF_RETARGETING) ? PF_RT : 0;
	if (!memcmp(e->event_id, zero, 16) && e->sender_id)
		in.flags |= PF_SEQ;
	in.s[PS_APP] = app;
	uint64_t app_h = 0; /* set unless out of memory */
	in.app = app_index(&a->apps, t->apc, app, &app_h);
	in.s[PS_SRC] = e->s[UNMO_S_MEDIA_SOURCE];
	in.s[PS_CAMP] = e->s[UNMO_S_CAMPAIGN];
	if (in.s[PS_SRC].len || in.s[PS_CAMP].len) {
		uint8_t kb[2 + 2 * UNMO_STR_MAX];
		in.sc = sc_index(&a->scs, t->scc, t->sckey ? t->sckey : kb, in.s[PS_SRC], in.s[PS_CAMP]);
	}
	if (in.app == UINT32_MAX || in.sc == UINT32_MAX) {
		a->dev_spools[t->tid].error = ENOMEM;
		return -1;
	}
	if (e->type == UNMO_EV_CONVERSION)
		in.s[PS_NAME] = e->s[UNMO_S_EVENT_NAME];
	static const int order[3] = {UNMO_S_ADVERTISING_ID, UNMO_S_VENDOR_ID, UNMO_S_CUSTOMER_USER_ID};
	for (int k = 0; k < 3 && !in.key_kind; k++) {
		struct unmo_str id = e->s[order[k]];
		if (!id.len)
			continue;
		if (k < 2 && id_zeroed(id)) { /* no device id: see id_zeroed */
			in.flags = (uint8_t)(in.flags + (1u << PF_ZEROED_SHIFT)); /* counted in pass 2 */
			continue;
		}
		in.key_kind = (uint8_t)(UNMO_KEY_ADVERTISING_ID + k);
		in.s[PS_KEY] = id;
	}
	bool touch = unmo_event_is_touch(e);
	bool install = e->type == UNMO_EV_INSTALL || e->type == UNMO_EV_REINSTALL;
	char fam[64];
	size_t flen = 0;
	bool has_ip = e->ip_version == 4 || e->ip_version == 6;
	/* the UA family only matters for probabilistic candidates and queries */
	if (has_ip && ((touch && !in.key_kind) || install))
		flen = ua_family(t, e->s[UNMO_S_USER_AGENT], fam);
	if (!in.key_kind && touch) {
		/* no device id: only probabilistic matching can use it */
		in.kind = PR_PTOUCH;
		in.s[PS_FAM] = (struct unmo_str){fam, (uint16_t)flen};
		in.ghash = hash_prob(app_h, e, fam, flen);
		if (!has_ip)
			in.ghash = hash_dev(app_h, 0, e->event_id, 16);
		return prec_put(&a->prob_spools[t->tid], part_of(in.ghash, a->nparts), &in, t->buf);
	}
	uint8_t packed[16];
	if (!in.key_kind) { /* an install/in-app event without device id: alone */
		in.key_kind = UNMO_KEY_EVENT_ID;
		in.s[PS_KEY] = (struct unmo_str){(const char *)e->event_id, 16};
		if (!memcmp(e->event_id, zero, 16)) {
			if (content_key(e, packed)) {
				a->dev_spools[t->tid].error = ENOMEM;
				return -1;
			}
			in.key_kind = UNMO_KEY_CONTENT;
			in.s[PS_KEY] = (struct unmo_str){(const char *)packed, 16};
		}
	}
	in.kind = PR_DEV;
	if (in.key_kind < UNMO_KEY_EVENT_ID) {
		uint8_t pf = uuid_pack(in.s[PS_KEY], packed);
		if (pf) {
			in.flags |= pf;
			in.s[PS_KEY] = (struct unmo_str){(const char *)packed, 16};
		}
	}
	in.ghash = hash_dev(app_h, (uint8_t)(in.key_kind | (in.flags & PF_KEY_UUID)), in.s[PS_KEY].p,
			    in.s[PS_KEY].len);
	unsigned part = part_of(in.ghash, a->nparts);
	if (prec_put(&a->dev_spools[t->tid], part, &in, t->buf))
		return -1;
	if (flen && install) {
		struct prec_in q;
		prec_in_init(&q, PR_QUERY, e->type, e);
		q.aux32 = part;
		q.aux64 = in.ghash;
		q.s[PS_APP] = app;
		q.app = in.app;
		q.s[PS_FAM] = (struct unmo_str){fam, (uint16_t)flen};
		q.ghash = hash_prob(app_h, e, fam, flen);
		return prec_put(&a->prob_spools[t->tid], part_of(q.ghash, a->nparts), &q, t->buf);
	}
	return 0;
}
