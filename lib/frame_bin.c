/* frame_bin.c — binary event frames and acks (format: frame_bin.h,
 * docs/wire-format.md). Flat, bounds-checked, no allocation. */
#include "frame_bin.h"

#include <sodium.h>

const char UNMO_FB_BAD_MAGIC[] = "bad_magic";
const char UNMO_FB_BAD_COUNT[] = "bad_count";
const char UNMO_FB_BAD_SENDER[] = "bad_sender";
const char UNMO_FB_BAD_TAG[] = "bad_tag";
const char UNMO_FB_NO_TAG[] = "missing_tag";
const char UNMO_FB_BAD_SEQUENCE[] = "bad_sequence";
const char UNMO_FB_UNKNOWN_KEY[] = "unknown_key";

_Static_assert(sizeof(size_t) == 8, "iterator state packs count and offset in a size_t");
_Static_assert(crypto_generichash_KEYBYTES == UNMO_FB_KEY, "frame secret is a BLAKE2b key");
_Static_assert(crypto_generichash_BYTES_MIN <= UNMO_FB_TAG, "16-byte BLAKE2b output");

const char *unmo_fb_parse(const uint8_t *buf, size_t n, struct unmo_fb_view *v)
{
	if (n < UNMO_FB_HDR)
		return UNMO_BAD_TRUNCATED;
	if (memcmp(buf, UNMO_FB_MAGIC, 4) != 0)
		return UNMO_FB_BAD_MAGIC;
	if (buf[4] != UNMO_FB_VERSION)
		return UNMO_BAD_VERSION;
	uint8_t flags = buf[5];
	if (flags & ~UNMO_FB_KNOWN_FLAGS)
		return UNMO_BAD_FLAGS;
	if (unmo_ld32(buf + 36) != 0)
		return UNMO_BAD_RESERVED;
	uint16_t count = unmo_ld16(buf + 6);
	if (count == 0 || count > UNMO_FB_MAX_EVENTS)
		return UNMO_FB_BAD_COUNT;
	uint64_t sender = unmo_ld64(buf + 16);
	if (sender == 0)
		return UNMO_FB_BAD_SENDER;
	uint64_t seq = unmo_ld64(buf + 24);
	if (seq == 0 || seq == UINT64_MAX)
		return UNMO_FB_BAD_SEQUENCE;
	uint32_t events_len = unmo_ld32(buf + 32);
	/* Every record is at least UNMO_RECORD_FIXED bytes: a length that cannot
	 * hold `count` records is a count/length mismatch, found here cheaply. */
	if ((uint64_t)events_len < (uint64_t)count * UNMO_RECORD_FIXED)
		return UNMO_FB_BAD_COUNT;
	uint64_t need = (uint64_t)UNMO_FB_HDR + events_len + ((flags & UNMO_FB_AUTH) ? UNMO_FB_TAG : 0);
	if (need > n)
		return UNMO_BAD_TRUNCATED;
	if (need < n)
		return UNMO_BAD_LENGTH; /* trailing bytes */
	v->flags = flags;
	v->count = count;
	v->key_id = unmo_ld64(buf + 8);
	v->sender_id = sender;
	v->sequence = seq;
	v->frame = buf;
	v->events = buf + UNMO_FB_HDR;
	v->events_len = events_len;
	v->tag = (flags & UNMO_FB_AUTH) ? buf + UNMO_FB_HDR + events_len : NULL;
	v->frame_len = (size_t)need;
	return NULL;
}

static void compute_tag(uint8_t tag[UNMO_FB_TAG], const uint8_t *frame, size_t len,
			const uint8_t key[UNMO_FB_KEY])
{
	crypto_generichash(tag, UNMO_FB_TAG, frame, len, key, UNMO_FB_KEY);
}

bool unmo_fb_verify_tag(const struct unmo_fb_view *v, const uint8_t key[UNMO_FB_KEY])
{
	if (!v->tag || !key)
		return false;
	uint8_t want[UNMO_FB_TAG];
	compute_tag(want, v->frame, UNMO_FB_HDR + (size_t)v->events_len, key);
	bool ok = sodium_memcmp(want, v->tag, UNMO_FB_TAG) == 0;
	sodium_memzero(want, sizeof want);
	return ok;
}

const char *unmo_fb_authenticate(const struct unmo_fb_view *v, const uint8_t key[UNMO_FB_KEY],
				 bool auth_required)
{
	if (v->tag)
		return unmo_fb_verify_tag(v, key) ? NULL : UNMO_FB_BAD_TAG;
	return auth_required ? UNMO_FB_NO_TAG : NULL;
}

/* Iterator state: records read in the high 32 bits, byte offset into the
 * events in the low 32 bits (events_len is a u32, so it always fits). */
const char *unmo_fb_next_event(const struct unmo_fb_view *v, size_t *off, struct unmo_event *e,
			       bool *done)
{
	size_t pos = *off & 0xffffffffu, read = *off >> 32;
	*done = false;
	if (read == v->count || pos == v->events_len) {
		if (read != v->count || pos != v->events_len)
			return UNMO_FB_BAD_COUNT;
		*done = true;
		return NULL;
	}
	if (pos > v->events_len || read > v->count)
		return UNMO_FB_BAD_COUNT; /* corrupt iterator state: never read past the frame */
	size_t used;
	const char *why = unmo_record_decode(v->events + pos, v->events_len - pos, e, &used);
	if (why)
		return why;
	*off = ((read + 1) << 32) | (pos + used);
	return NULL;
}

void unmo_fb_begin(struct unmo_fb_builder *b, uint8_t *buf, size_t cap, uint64_t key_id,
		   uint64_t sender_id, uint64_t sequence, uint8_t flags)
{
	b->buf = buf;
	b->cap = cap;
	b->len = UNMO_FB_HDR;
	b->count = 0;
	if (cap < UNMO_FB_HDR + UNMO_FB_TAG) {
		b->cap = 0; /* unusable: add and finish refuse */
		return;
	}
	memcpy(buf, UNMO_FB_MAGIC, 4);
	buf[4] = UNMO_FB_VERSION;
	buf[5] = flags;
	unmo_st16(buf + 6, 0);
	unmo_st64(buf + 8, key_id);
	unmo_st64(buf + 16, sender_id);
	unmo_st64(buf + 24, sequence);
	unmo_st32(buf + 32, 0);
	unmo_st32(buf + 36, 0);
}

bool unmo_fb_add(struct unmo_fb_builder *b, const struct unmo_event *e)
{
	size_t room_for_tag = (b->cap && (b->buf[5] & UNMO_FB_AUTH)) ? UNMO_FB_TAG : 0;
	if (b->cap < b->len + room_for_tag || b->count >= UNMO_FB_MAX_EVENTS)
		return false;
	size_t n = unmo_record_encode(b->buf + b->len, b->cap - b->len - room_for_tag, e);
	if (!n || b->len - UNMO_FB_HDR + n > UINT32_MAX)
		return false;
	b->len += n;
	b->count++;
	return true;
}

size_t unmo_fb_finish(struct unmo_fb_builder *b, const uint8_t *key)
{
	if (!b->cap)
		return 0;
	bool auth = b->buf[5] & UNMO_FB_AUTH;
	if (auth && !key)
		return 0;
	unmo_st16(b->buf + 6, b->count);
	unmo_st32(b->buf + 32, (uint32_t)(b->len - UNMO_FB_HDR));
	size_t len = b->len;
	if (auth) {
		compute_tag(b->buf + len, b->buf, len, key);
		len += UNMO_FB_TAG;
	}
	return len;
}

size_t unmo_ack_encode(uint8_t *dst, size_t cap, const struct unmo_ack *a)
{
	if (cap < UNMO_ACK_LEN)
		return 0;
	memcpy(dst, UNMO_ACK_MAGIC, 4);
	dst[4] = UNMO_FB_VERSION;
	dst[5] = dst[6] = dst[7] = 0;
	unmo_st64(dst + 8, a->key_id);
	unmo_st64(dst + 16, a->sender_id);
	unmo_st64(dst + 24, a->cum);
	unmo_st64(dst + 32, a->bitmap);
	unmo_st64(dst + 40, 0);
	return UNMO_ACK_LEN;
}

const char *unmo_ack_decode(const uint8_t *src, size_t n, struct unmo_ack *a)
{
	if (n < UNMO_ACK_LEN)
		return UNMO_BAD_TRUNCATED;
	if (n > UNMO_ACK_LEN)
		return UNMO_BAD_LENGTH;
	if (memcmp(src, UNMO_ACK_MAGIC, 4) != 0)
		return UNMO_FB_BAD_MAGIC;
	if (src[4] != UNMO_FB_VERSION)
		return UNMO_BAD_VERSION;
	if (src[5] || src[6] || src[7] || unmo_ld64(src + 40))
		return UNMO_BAD_RESERVED;
	a->key_id = unmo_ld64(src + 8);
	a->sender_id = unmo_ld64(src + 16);
	a->cum = unmo_ld64(src + 24);
	a->bitmap = unmo_ld64(src + 32);
	return NULL;
}

bool unmo_ack_covers(const struct unmo_ack *a, uint64_t seq)
{
	if (seq < a->cum)
		return true;
	if (seq == a->cum)
		return false;
	uint64_t i = seq - a->cum - 1;
	return i < 64 && ((a->bitmap >> i) & 1u);
}
