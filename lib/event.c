/* event.c — name tables and validity checks for the event model. */
#include "event.h"
#include "record.h"

const char *const unmo_event_type_names[UNMO_EV_TYPE_COUNT] = {
	"none", "impression", "click", "install", "reinstall", "conversion", "reengagement", "session",
};

const char *const unmo_platform_names[UNMO_PLAT_COUNT] = {
	"unknown", "ios", "android", "web", "other",
};

const char *const unmo_str_field_names[UNMO_STR_COUNT] = {
	"app_id", "event_name", "advertising_id", "vendor_id", "customer_user_id",
	"media_source", "campaign", "adset", "site_id", "sub1", "sub2", "sub3",
	"click_id", "user_agent", "app_version", "sdk_version",
};

static int lookup(const char *const *table, int count, int first, const char *name, size_t n)
{
	for (int i = first; i < count; i++)
		if (strlen(table[i]) == n && memcmp(table[i], name, n) == 0)
			return i;
	return -1;
}

int unmo_event_type_from_name(const char *name, size_t n)
{
	return lookup(unmo_event_type_names, UNMO_EV_TYPE_COUNT, 1, name, n);
}

int unmo_platform_from_name(const char *name, size_t n)
{
	return lookup(unmo_platform_names, UNMO_PLAT_COUNT, 0, name, n);
}

int unmo_str_field_from_name(const char *name, size_t n)
{
	return lookup(unmo_str_field_names, UNMO_STR_COUNT, 0, name, n);
}

static bool upper_or_nul(const char *c, int n)
{
	bool all_nul = true, all_upper = true;
	for (int i = 0; i < n; i++) {
		all_nul &= c[i] == 0;
		all_upper &= c[i] >= 'A' && c[i] <= 'Z';
	}
	return all_nul || all_upper;
}

const char *unmo_event_check(const struct unmo_event *e)
{
	if (e->type == UNMO_EV_NONE || e->type >= UNMO_EV_TYPE_COUNT)
		return UNMO_BAD_TYPE;
	if (e->platform >= UNMO_PLAT_COUNT)
		return UNMO_BAD_PLATFORM;
	if (e->flags & ~UNMO_EVF_KNOWN_MASK)
		return UNMO_BAD_FLAGS;
	if (e->ip_version != 0 && e->ip_version != 4 && e->ip_version != 6)
		return UNMO_BAD_IP;
	if (!upper_or_nul(e->currency, 3))
		return UNMO_BAD_CURRENCY;
	if (!upper_or_nul(e->country, 2))
		return UNMO_BAD_COUNTRY;
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		if (e->s[i].len > UNMO_STR_MAX || (e->s[i].len && !e->s[i].p))
			return UNMO_BAD_STRING;
	return NULL;
}

void unmo_event_clear(struct unmo_event *e)
{
	memset(e, 0, sizeof(*e));
}

int unmo_str_cmp(struct unmo_str a, struct unmo_str b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.p, b.p, n) : 0;
	if (c)
		return c;
	return (a.len > b.len) - (a.len < b.len);
}

bool unmo_str_eq(struct unmo_str a, struct unmo_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}
