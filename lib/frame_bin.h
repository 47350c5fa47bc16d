/* frame_bin.h — binary event frames (the edge-collector wire format, v1).
 *
 * Frame = header (40 bytes) + events + optional 16-byte tag.
 *   off len field (little-endian)
 *   0   4   magic "UMOB"
 *   4   1   version (1)
 *   5   1   flags: bit0 UNMO_FB_AUTH (tag present), bit1 UNMO_FB_ACK_REQ
 *   6   2   event count (1..UNMO_FB_MAX_EVENTS)
 *   8   8   tenant key id (the tenant credential: public id of the app's key)
 *   16  8   sender id (non-zero)
 *   24  8   sequence number (per sender, starts at 1, +1 per frame;
 *           0 and 2^64-1 are invalid)
 *   32  4   events length in bytes (sum of the event records)
 *   36  4   reserved (0)
 *   40  ... event records, each a version-1 record (record.h)
 *   end 16  tag = keyed BLAKE2b-128 (libsodium crypto_generichash, 32-byte
 *           frame secret as key) over bytes [0, 40 + events length)
 * Full byte-level description: docs/wire-format.md.
 *
 * Events carry 0 for recv_time_us, sender_id and sequence and may omit
 * app_id: the appliance sets those four fields (tenant's app id, the frame
 * header's sender and sequence, its own clock). This decoder accepts any
 * value there; the appliance refuses a present app_id that is not the
 * tenant's (app_mismatch).
 *
 * Contract: the decoder is zero-copy and bounds-checked; it validates the
 * header and the length arithmetic only (events are walked with
 * unmo_fb_next_event, each checked by the record decoder). The tag check
 * is separate (unmo_fb_verify_tag / unmo_fb_authenticate) because it needs
 * the tenant's secret. No allocation. Thread-safe (pure functions).
 * Call sodium_init() once before tags are computed (unmo_tenants_load does),
 * so libsodium uses its SIMD BLAKE2b instead of the portable one.
 */
#ifndef UNMO_FRAME_BIN_H
#define UNMO_FRAME_BIN_H

#include "record.h"

#define UNMO_FB_MAGIC "UMOB"
#define UNMO_FB_VERSION 1u
#define UNMO_FB_HDR 40u
#define UNMO_FB_TAG 16u
#define UNMO_FB_KEY 32u
#define UNMO_FB_MAX_EVENTS 1024u
#define UNMO_FB_AUTH 0x01u
#define UNMO_FB_ACK_REQ 0x02u
#define UNMO_FB_KNOWN_FLAGS 0x03u

struct unmo_fb_view {
	uint8_t flags;
	uint16_t count;
	uint64_t key_id;
	uint64_t sender_id;
	uint64_t sequence;
	const uint8_t *frame;  /* start of frame */
	const uint8_t *events; /* first event record */
	uint32_t events_len;
	const uint8_t *tag;    /* NULL when no tag */
	size_t frame_len;      /* header + events + tag */
};

/* Reasons (static strings) besides the record.h ones. */
extern const char UNMO_FB_BAD_MAGIC[];   /* "bad_magic" */
extern const char UNMO_FB_BAD_COUNT[];   /* "bad_count" */
extern const char UNMO_FB_BAD_SENDER[];  /* "bad_sender" */
extern const char UNMO_FB_BAD_TAG[];     /* "bad_tag" (auth failure) */
extern const char UNMO_FB_NO_TAG[];      /* "missing_tag" (tenant requires auth) */
extern const char UNMO_FB_BAD_SEQUENCE[]; /* "bad_sequence" (0 or 2^64-1) */
extern const char UNMO_FB_UNKNOWN_KEY[];  /* "unknown_key" (no tenant has the key id;
					     for the caller's tenant lookup) */
/* unmo_fb_parse may also return UNMO_BAD_TRUNCATED, UNMO_BAD_VERSION,
 * UNMO_BAD_FLAGS, UNMO_BAD_RESERVED and UNMO_BAD_LENGTH (record.h). */

/* Parse and validate the header of buf[0..n). Trailing bytes after the frame
 * are an error (bad_length). Returns NULL on success. */
const char *unmo_fb_parse(const uint8_t *buf, size_t n, struct unmo_fb_view *v);

/* Constant-time tag check with the tenant's 32-byte secret. */
bool unmo_fb_verify_tag(const struct unmo_fb_view *v, const uint8_t key[UNMO_FB_KEY]);

/* The appliance's authentication policy in one place: a frame with a tag is
 * always verified (bad_tag when wrong); a frame without one is refused with
 * missing_tag when the tenant requires auth. Returns NULL when accepted. */
const char *unmo_fb_authenticate(const struct unmo_fb_view *v, const uint8_t key[UNMO_FB_KEY],
				 bool auth_required);

/* Iterate event records: *off is opaque iterator state, 0 before the first
 * call. Returns NULL with *e filled and *done false while records remain;
 * then NULL with *done true (e untouched) once all v->count records were
 * read and exactly events_len bytes consumed. Returns a reason on a bad
 * record (the rest of the frame is then unusable; the records before it
 * were good) or on a count/length mismatch (bad_count). Loop:
 *   size_t it = 0; bool done;
 *   while (!(why = unmo_fb_next_event(&v, &it, &e, &done)) && !done) use(&e); */
const char *unmo_fb_next_event(const struct unmo_fb_view *v, size_t *off, struct unmo_event *e,
			       bool *done);

/* Encoder, for senders and tests. Build incrementally into buf[0..cap). */
struct unmo_fb_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t count;
};
void unmo_fb_begin(struct unmo_fb_builder *b, uint8_t *buf, size_t cap, uint64_t key_id,
		   uint64_t sender_id, uint64_t sequence, uint8_t flags);
/* Append one event; returns false (and leaves the frame unchanged) if it
 * would not fit with room for the tag, or the count limit is reached. */
bool unmo_fb_add(struct unmo_fb_builder *b, const struct unmo_event *e);
/* Finish: write count and length, and the tag if UNMO_FB_AUTH (key must then
 * be non-NULL). Returns the frame length; 0 when UNMO_FB_AUTH is set and key
 * is NULL, or when begin was given a buffer too small for header + tag.
 * A frame with no event is built but refused by the parser (bad_count). */
size_t unmo_fb_finish(struct unmo_fb_builder *b, const uint8_t *key);

/* ---- Acknowledgements (appliance -> sender), 48 bytes ----
 *   0 4 magic "UMOA", 4 1 version (1), 5 3 reserved (0),
 *   8 8 tenant key id, 16 8 sender id,
 *   24 8 cum: every sequence < cum is stored durably,
 *   32 8 bitmap: bit i set = sequence cum+1+i is stored durably (cum itself is not),
 *   40 8 reserved (0)
 */
#define UNMO_ACK_MAGIC "UMOA"
#define UNMO_ACK_LEN 48u
struct unmo_ack {
	uint64_t key_id, sender_id, cum, bitmap;
};
/* Returns UNMO_ACK_LEN, or 0 if cap is too small. */
size_t unmo_ack_encode(uint8_t *dst, size_t cap, const struct unmo_ack *a);
/* n must be exactly UNMO_ACK_LEN. Reasons: truncated, bad_length (longer),
 * bad_magic, bad_version, bad_reserved. */
const char *unmo_ack_decode(const uint8_t *src, size_t n, struct unmo_ack *a);
/* True when the ack says sequence seq is stored durably. */
bool unmo_ack_covers(const struct unmo_ack *a, uint64_t seq);

#endif
