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
 *
 * Contract (reader): strict RFC 8259 over buf[0..n); zero-copy: strings
 * without escapes point into buf; strings with escapes are unescaped IN
 * PLACE (the buffer must be writable and is modified). No allocation.
 * Rejections return a static reason ("json_syntax", "json_type",
 * "json_range", "json_depth", "json_duplicate", "json_missing_type",
 * "json_string_too_long", ... documented in docs/wire-format.md).
 * Writer: canonical form, members in the order above, absent fields omitted,
 * strings escaped per RFC 8259; output is byte-identical for equal events.
 * Thread-safe (pure).
 */
#ifndef UNMO_JSON_EVENT_H
#define UNMO_JSON_EVENT_H

#include "event.h"

/* Parse one JSON object (optionally surrounded by whitespace) spanning
 * exactly buf[0..n). Returns NULL on success. */
const char *unmo_json_event_parse(char *buf, size_t n, struct unmo_event *e);

/* Parse an object member by member from *pos (used by the batch body
 * reader): parses one object starting at buf[*pos], advances *pos past it. */
const char *unmo_json_event_parse_at(char *buf, size_t n, size_t *pos, struct unmo_event *e);

/* Write e as one JSON object (no newline). Returns bytes written, or 0 when
 * cap is too small. */
size_t unmo_json_event_write(char *dst, size_t cap, const struct unmo_event *e);

/* Upper bound on unmo_json_event_write's output for any event. */
#define UNMO_JSON_EVENT_MAX (UNMO_STR_COUNT * (24u + 6u * UNMO_STR_MAX) + 1024u)

#endif
