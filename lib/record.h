/* record.h — the compact, versioned binary event record (layout version 1).
 *
 * One definition of the record, used in two places:
 *  - inside segment blocks (every field set by the appliance), and
 *  - as the event encoding inside binary wire frames (senders write 0 for
 *    recv_time_us, sender_id and sequence and may omit app_id: the appliance
 *    fills them in from the frame header and the tenant registry).
 * docs/segment-format.md and docs/wire-format.md describe it byte by byte.
 *
 * Layout (all integers little-endian):
 *   off len field
 *   0   2   record length L in bytes, this field included (72 <= L <= 65535)
 *   2   1   layout version (1)
 *   3   1   type            4  1 platform    5 1 flags   6 1 ip_version
 *   7   1   reserved (0)
 *   8   16  event_id
 *   24  8   event_time_us   32 8 recv_time_us   40 8 revenue_micros
 *   48  8   sender_id       56 8 sequence
 *   64  3   currency        67 2 country        69 1 reserved (0)
 *   70  2   string presence mask (bit i = string field i present)
 *   72  0/4/16 ip address (by ip_version)
 *   then for each present string in field order: u16 length (1..1024), bytes
 *
 * Contract: encode never writes past cap; decode never reads past the given
 * length and returns views into the input (zero-copy). Thread-safe (pure).
 */
#ifndef UNMO_RECORD_H
#define UNMO_RECORD_H

#include "event.h"

#define UNMO_RECORD_VERSION 1u
#define UNMO_RECORD_FIXED 72u
#define UNMO_RECORD_MAX 65535u

/* Bytes that unmo_record_encode will write for e. */
size_t unmo_record_size(const struct unmo_event *e);

/* Encode e at dst. Returns bytes written, or 0 if it does not fit in cap or
 * e is invalid (unmo_event_check). */
size_t unmo_record_encode(uint8_t *dst, size_t cap, const struct unmo_event *e);

/* Decode one record from src[0..n). On success fills *e (string views point
 * into src), sets *used to the record length and returns NULL. On failure
 * returns a static reason string and leaves *used untouched. */
const char *unmo_record_decode(const uint8_t *src, size_t n, struct unmo_event *e,
			       size_t *used);

/* The appliance's fast path for binary frames: copy one record src[0..n)
 * that unmo_record_decode accepted with *used == n, setting recv_time_us,
 * sender_id and sequence, and inserting app_id when the record has none (a
 * present app_id is kept; the caller compares it first). Byte-identical to
 * decoding, filling the fields and unmo_record_encode, without re-encoding.
 * Returns bytes written, or 0 when it does not fit cap or UNMO_RECORD_MAX.
 * (Added by the appliance helper, H5.) */
size_t unmo_record_fill(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, struct unmo_str app_id,
			int64_t recv_time_us, uint64_t sender_id, uint64_t sequence);

/* What unmo_record_check_fill saw in a record it accepted. */
struct unmo_record_seen {
	size_t used;            /* input record length (unmo_record_decode's *used) */
	size_t written;         /* bytes written at dst; 0: did not fit cap or UNMO_RECORD_MAX */
	int64_t event_time_us;
	struct unmo_str app_id; /* the record's own app_id (view into src); len 0 if absent */
};

/* The appliance's binary-frame path in one pass: validate the record at
 * src[0..n) exactly as unmo_record_decode does (same checks, same order, same
 * reasons; no struct unmo_event is filled) and, when valid, copy it to dst as
 * unmo_record_fill does. Returns NULL with *seen set, or the reason
 * unmo_record_decode would return (nothing useful at dst, *seen untouched).
 * A valid record that does not fit returns NULL with seen->written == 0.
 * The caller compares seen->app_id with its tenant's (a present app_id is
 * copied as is). Pure, thread-safe. (Added by the RX perf helper, H8.) */
const char *unmo_record_check_fill(uint8_t *dst, size_t cap, const uint8_t *src, size_t n,
				   struct unmo_str app_id, int64_t recv_time_us, uint64_t sender_id,
				   uint64_t sequence, struct unmo_record_seen *seen);

/* Reasons returned by decoders (static strings, compare by pointer or text). */
extern const char UNMO_BAD_TRUNCATED[];   /* "truncated" */
extern const char UNMO_BAD_LENGTH[];      /* "bad_length" */
extern const char UNMO_BAD_VERSION[];     /* "bad_version" */
extern const char UNMO_BAD_TYPE[];        /* "bad_type" */
extern const char UNMO_BAD_PLATFORM[];    /* "bad_platform" */
extern const char UNMO_BAD_FLAGS[];       /* "bad_flags" */
extern const char UNMO_BAD_IP[];          /* "bad_ip" */
extern const char UNMO_BAD_CURRENCY[];    /* "bad_currency" */
extern const char UNMO_BAD_COUNTRY[];     /* "bad_country" */
extern const char UNMO_BAD_STRING[];      /* "bad_string" */
extern const char UNMO_BAD_RESERVED[];    /* "bad_reserved" */

/* Little-endian helpers used by every codec (unaligned-safe). */
static inline uint16_t unmo_ld16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t unmo_ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v; /* x86-64 and arm64 are little-endian; see docs/architecture.md */
}
static inline uint64_t unmo_ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}
static inline void unmo_st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void unmo_st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void unmo_st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "unmo codecs assume a little-endian host (x86-64, arm64)"
#endif

#endif
