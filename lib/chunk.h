/* chunk.h — a block's worth of encoded event records being filled.
 *
 * The unit handed from an RX core to a writer and compressed into one
 * segment block. Fixed capacity, caller-owned storage, no allocation.
 * Not thread-safe: one owner at a time (ownership moves through rings).
 */
#ifndef UNMO_CHUNK_H
#define UNMO_CHUNK_H

#include "record.h"

#define UNMO_CHUNK_CAP (64u * 1024u) /* = one LZ4 block, see segment.h */

struct unmo_chunk {
	uint32_t len;     /* bytes used in data */
	uint32_t count;   /* records in data */
	int64_t min_time_us, max_time_us; /* event_time range of the records */
	uint64_t opened_tsc; /* when the first record went in (flush by age) */
	uint8_t data[UNMO_CHUNK_CAP];
};

static inline void unmo_chunk_reset(struct unmo_chunk *c)
{
	c->len = 0;
	c->count = 0;
	c->min_time_us = INT64_MAX;
	c->max_time_us = INT64_MIN;
	c->opened_tsc = 0;
}

/* Encode e at the end of c. Returns false when it does not fit (the chunk
 * is unchanged) or e is invalid. */
static inline bool unmo_chunk_add(struct unmo_chunk *c, const struct unmo_event *e)
{
	size_t n = unmo_record_encode(c->data + c->len, UNMO_CHUNK_CAP - c->len, e);
	if (!n)
		return false;
	c->len += (uint32_t)n;
	c->count++;
	if (e->event_time_us < c->min_time_us)
		c->min_time_us = e->event_time_us;
	if (e->event_time_us > c->max_time_us)
		c->max_time_us = e->event_time_us;
	return true;
}

#endif
