/* json_event.h — one event as one JSON object: the schema of HTTP-lite
 * bodies, of `unmo-seg cat` JSON lines and of `unmo-seg import`
 * (docs/jsonl-schema.md, field by field). One definition for all of them.
 *
 * Object members (all optional unless noted; unknown members are skipped):
 *   "event_id": "32 lowercase hex" | "type": "install" (required) |
 *   "platform": "ios" | "retargeting": true|false |
 *   "event_time_us": int | "recv_time_us": int | "revenue_micros": int |
 *   "currency": "USD" | "country": "US" | "ip": "1.2.3.4" or "2001:db8::1" |
 *   "sender_id": int | "sequence": int |
 *   each string field by its name in unmo_str_field_names: "app_id", ...
 * Integers are JSON numbers without fraction or exponent (exact int64/uint64).
 * A known member whose value is null is absent; a known member given twice
 * is rejected (even if null).
 *
 * Contract (reader): strict RFC 8259 over buf[0..n); zero-copy: strings
 * without escapes point into buf; strings with escapes are unescaped IN
 * PLACE (the buffer must be writable and is modified). No allocation.
 * Never reads outside buf[0..n), NUL bytes are ordinary bytes.
 * Rejections return a static reason (one of the UNMO_JSON_* strings below,
 * documented in docs/jsonl-schema.md).
 * Writer: canonical form, members in the order above, absent fields omitted
 * (0 integers, all-zero event_id, NUL currency/country, ip_version 0, flag
 * clear, platform unknown, empty strings), strings escaped per RFC 8259
 * (\" \\ and control bytes as \u00XX, everything else verbatim; bytes that
 * are not valid UTF-8 are written as U+FFFD so the output is always valid
 * JSON); output is byte-identical for equal events, and
 * write(parse(write(e))) == write(e).
 * Thread-safe (pure).
 */
#ifndef UNMO_JSON_EVENT_H
#define UNMO_JSON_EVENT_H

#include "event.h"

/* Parse one JSON object (optionally surrounded by whitespace) spanning
 * exactly buf[0..n). Returns NULL on success. */
const char *unmo_json_event_parse(char *buf, size_t n, struct unmo_event *e);

/* Parse an object member by member from *pos (used by the batch body
 * reader): skips whitespace, parses one object starting there, advances *pos
 * just past its closing brace. *pos is unspecified after a failure. */
const char *unmo_json_event_parse_at(char *buf, size_t n, size_t *pos, struct unmo_event *e);

/* Write e as one JSON object (no newline). Returns bytes written, or 0 when
 * cap is too small. */
size_t unmo_json_event_write(char *dst, size_t cap, const struct unmo_event *e);

/* Upper bound on unmo_json_event_write's output for any event. */
#define UNMO_JSON_EVENT_MAX (UNMO_STR_COUNT * (24u + 6u * UNMO_STR_MAX) + 1024u)

/* Nesting limit: the event object is level 1; values of unknown members may
 * nest up to this many levels in total. Deeper => UNMO_JSON_DEPTH. */
#define UNMO_JSON_MAX_DEPTH 32u

/* --- JSON primitives shared with http_lite (same grammar, same reasons) ---
 * All take buf[0..n) and a position; on success they advance *pos. */

/* Position of the first non-whitespace byte at or after pos (or n). */
size_t unmo_json_ws(const char *buf, size_t n, size_t pos);
/* A string starting at buf[*pos] ('"'): validated, unescaped in place;
 * *s and *len give the unescaped bytes. */
const char *unmo_json_string_at(char *buf, size_t n, size_t *pos, char **s, size_t *len);
/* A non-negative integer (RFC 8259 number without sign, fraction, exponent). */
const char *unmo_json_u64_at(const char *buf, size_t n, size_t *pos, uint64_t *v);
/* Any JSON value (validated, strings unescaped in place), nesting bounded
 * by UNMO_JSON_MAX_DEPTH. */
const char *unmo_json_skip_at(char *buf, size_t n, size_t *pos);
/* Write s[0..len) as a JSON string with quotes, escaped like the event
 * writer. Returns bytes written, 0 if cap is too small. */
size_t unmo_json_string_write(char *dst, size_t cap, const char *s, size_t len);

/* Reasons (static strings; compare by pointer or text). */
extern const char UNMO_JSON_SYNTAX[];        /* "json_syntax": not RFC 8259 (incl. truncation, trailing data) */
extern const char UNMO_JSON_NOT_OBJECT[];    /* "json_not_object": the event is not an object */
extern const char UNMO_JSON_ESCAPE[];        /* "json_escape": bad \ escape or lone surrogate */
extern const char UNMO_JSON_UTF8[];          /* "json_utf8": invalid UTF-8 inside a string */
extern const char UNMO_JSON_DEPTH[];         /* "json_depth": nesting over UNMO_JSON_MAX_DEPTH */
extern const char UNMO_JSON_TYPE[];          /* "json_type": known member with the wrong JSON type */
extern const char UNMO_JSON_NOT_INTEGER[];   /* "json_not_integer": fraction or exponent in an integer field */
extern const char UNMO_JSON_RANGE[];         /* "json_range": integer outside int64 / uint64 */
extern const char UNMO_JSON_DUPLICATE[];     /* "json_duplicate": known member given twice */
extern const char UNMO_JSON_MISSING_TYPE[];  /* "json_missing_type": no "type" member */
extern const char UNMO_JSON_STRING_TOO_LONG[]; /* "json_string_too_long": over UNMO_STR_MAX bytes */
extern const char UNMO_JSON_BAD_EVENT_ID[];  /* "json_bad_event_id": not 32 lowercase hex digits */
extern const char UNMO_JSON_BAD_TYPE[];      /* "json_bad_type": unknown event type name */
extern const char UNMO_JSON_BAD_PLATFORM[];  /* "json_bad_platform": unknown platform name */
extern const char UNMO_JSON_BAD_IP[];        /* "json_bad_ip": not a textual IPv4/IPv6 address */
extern const char UNMO_JSON_BAD_CURRENCY[];  /* "json_bad_currency": not 3 letters A-Z */
extern const char UNMO_JSON_BAD_COUNTRY[];   /* "json_bad_country": not 2 letters A-Z */

#endif
