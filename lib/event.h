/* event.h — the marketing event model, shared by every module and tool.
 *
 * Contract:
 *  - struct unmo_event is a *view*: its strings point into memory owned by
 *    someone else (a datagram, a decompressed segment block, a JSON line).
 *    It is valid only as long as that memory is. Nothing here allocates.
 *  - Every field of the product brief is kept losslessly: times are integer
 *    microseconds since the Unix epoch (UTC), revenue is integer micros of
 *    the ISO-4217 currency, IPs are raw bytes (IPv4 or IPv6).
 *  - Strings are byte strings of at most UNMO_STR_MAX bytes, not
 *    NUL-terminated; length 0 means "absent".
 *  - The names tables below are the one definition of field and enum
 *    spellings used by JSON, CSV, docs and every tool.
 * Thread-safety: plain data; the name tables are read-only.
 */
#ifndef UNMO_EVENT_H
#define UNMO_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum unmo_event_type {
	UNMO_EV_NONE = 0, /* invalid on the wire and in segments */
	UNMO_EV_IMPRESSION = 1,
	UNMO_EV_CLICK = 2,
	UNMO_EV_INSTALL = 3,
	UNMO_EV_REINSTALL = 4,
	UNMO_EV_CONVERSION = 5, /* in-app event, e.g. "purchase" */
	UNMO_EV_REENGAGEMENT = 6,
	UNMO_EV_SESSION = 7, /* app open */
	UNMO_EV_TYPE_COUNT
};

enum unmo_platform {
	UNMO_PLAT_UNKNOWN = 0,
	UNMO_PLAT_IOS = 1,
	UNMO_PLAT_ANDROID = 2,
	UNMO_PLAT_WEB = 3,
	UNMO_PLAT_OTHER = 4,
	UNMO_PLAT_COUNT
};

/* Event flags (bit set). */
#define UNMO_EVF_RETARGETING 0x01u /* touch belongs to a retargeting campaign */
#define UNMO_EVF_KNOWN_MASK 0x01u

/* String fields, in their fixed order (the order of the record layout). */
enum unmo_str_field {
	UNMO_S_APP_ID = 0,      /* tenant app id, e.g. "com.techstart.game" */
	UNMO_S_EVENT_NAME,      /* e.g. "purchase" (conversions), may be empty */
	UNMO_S_ADVERTISING_ID,  /* IDFA / GAID */
	UNMO_S_VENDOR_ID,       /* IDFV / Android id */
	UNMO_S_CUSTOMER_USER_ID,/* the app's own user id */
	UNMO_S_MEDIA_SOURCE,    /* ad network */
	UNMO_S_CAMPAIGN,
	UNMO_S_ADSET,
	UNMO_S_SITE_ID,
	UNMO_S_SUB1,
	UNMO_S_SUB2,
	UNMO_S_SUB3,
	UNMO_S_CLICK_ID,
	UNMO_S_USER_AGENT,
	UNMO_S_APP_VERSION,
	UNMO_S_SDK_VERSION,
	UNMO_STR_COUNT
};

#define UNMO_STR_MAX 1024u

struct unmo_str {
	const char *p;
	uint16_t len;
};

struct unmo_event {
	uint8_t event_id[16];   /* unique id (UUID bytes); all-zero = none */
	uint8_t type;           /* enum unmo_event_type */
	uint8_t platform;       /* enum unmo_platform */
	uint8_t flags;          /* UNMO_EVF_* */
	uint8_t ip_version;     /* 0 (none), 4 or 6 */
	uint8_t ip[16];         /* IPv4 uses ip[0..3], network byte order */
	int64_t event_time_us;  /* when it happened on the device/server */
	int64_t recv_time_us;   /* when the appliance received it */
	int64_t revenue_micros; /* exact revenue, 0 if none */
	uint64_t sender_id;     /* binary-frame sender (0 for HTTP-lite) */
	uint64_t sequence;      /* sender's frame sequence (0 for HTTP-lite) */
	char currency[3];       /* ISO-4217 upper case letters, or 3 NULs */
	char country[2];        /* ISO-3166 alpha-2 upper case, or 2 NULs */
	struct unmo_str s[UNMO_STR_COUNT];
};

/* Canonical spellings (lower case), indexed by enum value. */
extern const char *const unmo_event_type_names[UNMO_EV_TYPE_COUNT];
extern const char *const unmo_platform_names[UNMO_PLAT_COUNT];
extern const char *const unmo_str_field_names[UNMO_STR_COUNT];

/* Name -> enum; returns -1 when unknown. n is the byte length of name. */
int unmo_event_type_from_name(const char *name, size_t n);
int unmo_platform_from_name(const char *name, size_t n);
int unmo_str_field_from_name(const char *name, size_t n);

static inline bool unmo_event_is_touch(const struct unmo_event *e)
{
	return e->type == UNMO_EV_CLICK || e->type == UNMO_EV_IMPRESSION;
}

/* Structural validity shared by every decoder: known type/platform/flags,
 * ip_version in {0,4,6}, currency/country either all NUL or A-Z, string
 * lengths <= UNMO_STR_MAX. Returns NULL when valid, else a static reason
 * string (one of the UNMO_BAD_* reasons in record.h's vocabulary). */
const char *unmo_event_check(const struct unmo_event *e);

/* Zero an event (all fields absent). */
void unmo_event_clear(struct unmo_event *e);

/* Lexicographic compare of two strings (memcmp, then length). */
int unmo_str_cmp(struct unmo_str a, struct unmo_str b);
bool unmo_str_eq(struct unmo_str a, struct unmo_str b);
static inline struct unmo_str unmo_str_c(const char *cstr_or_null);

#include <string.h>
static inline struct unmo_str unmo_str_c(const char *c)
{
	struct unmo_str s = {c, 0};
	if (c) {
		size_t n = strlen(c);
		s.len = (uint16_t)(n > UNMO_STR_MAX ? UNMO_STR_MAX : n);
	}
	return s;
}

#endif
