/* seqwin.c — per-sender sequence window (contract: seqwin.h).
 * bits[] bit i (word i/64, bit i%64) stands for sequence cum+1+i. */
#include "seqwin.h"

#include <string.h>

const char *const unmo_seq_verdict_names[3] = {"new", "duplicate", "too_far"};

void unmo_seqwin_init(struct unmo_seqwin *w)
{
	memset(w, 0, sizeof(*w));
}

static bool bit_get(const struct unmo_seqwin *w, uint64_t i)
{
	return (w->bits[i / 64] >> (i % 64)) & 1u;
}

enum unmo_seq_verdict unmo_seqwin_check(const struct unmo_seqwin *w, uint64_t seq)
{
	if (!w->started || seq == w->cum)
		return UNMO_SEQ_NEW;
	if (seq < w->cum)
		return UNMO_SEQ_DUPLICATE;
	uint64_t i = seq - w->cum - 1;
	if (i >= UNMO_SEQWIN_BITS)
		return UNMO_SEQ_TOO_FAR;
	return bit_get(w, i) ? UNMO_SEQ_DUPLICATE : UNMO_SEQ_NEW;
}

/* Shift the bitmap right by k bits (k >= 1): the window slides forward. */
static void shift_right(struct unmo_seqwin *w, uint64_t k)
{
	if (k >= UNMO_SEQWIN_BITS) {
		memset(w->bits, 0, sizeof w->bits);
		return;
	}
	unsigned words = (unsigned)(k / 64), b = (unsigned)(k % 64);
	for (unsigned i = 0; i < UNMO_SEQWIN_WORDS; i++) {
		unsigned src = i + words;
		uint64_t lo = src < UNMO_SEQWIN_WORDS ? w->bits[src] : 0;
		uint64_t hi = src + 1 < UNMO_SEQWIN_WORDS ? w->bits[src + 1] : 0;
		w->bits[i] = b ? (lo >> b) | (hi << (64 - b)) : lo;
	}
}

/* Number of consecutive set bits from bit 0. */
static uint64_t leading_run(const struct unmo_seqwin *w)
{
	uint64_t run = 0;
	for (unsigned i = 0; i < UNMO_SEQWIN_WORDS; i++) {
		if (w->bits[i] == UINT64_MAX) {
			run += 64;
			continue;
		}
		return run + (uint64_t)__builtin_ctzll(~w->bits[i]);
	}
	return run;
}

/* Highest sequence in the set (cum-1 when the bitmap is empty). */
static uint64_t highest(const struct unmo_seqwin *w)
{
	for (unsigned i = UNMO_SEQWIN_WORDS; i-- > 0;)
		if (w->bits[i])
			return w->cum + 1 + 64u * i + (63u - (unsigned)__builtin_clzll(w->bits[i]));
	return w->cum - 1;
}

static bool bitmap_empty(const struct unmo_seqwin *w)
{
	uint64_t any = 0;
	for (unsigned i = 0; i < UNMO_SEQWIN_WORDS; i++)
		any |= w->bits[i];
	return !any;
}

void unmo_seqwin_mark(struct unmo_seqwin *w, uint64_t seq)
{
	if (seq == UINT64_MAX)
		return; /* cum could not move past it */
	if (!w->started) {
		w->started = true;
		w->cum = seq;
		memset(w->bits, 0, sizeof w->bits);
	}
	if (seq == w->cum && bitmap_empty(w)) {
		/* An in-order sender, the common case: the general path below would
		 * scan and shift the whole (empty) bitmap to reach the same cum + 1. */
		w->cum++;
		return;
	}
	if (unmo_seqwin_check(w, seq) != UNMO_SEQ_NEW)
		return;
	uint64_t top = highest(w);
	if (seq > top + 1)
		w->gaps += seq - top - 1;
	if (seq == w->cum) {
		uint64_t run = leading_run(w);
		shift_right(w, run + 1);
		w->cum += run + 1;
		return;
	}
	uint64_t i = seq - w->cum - 1;
	w->bits[i / 64] |= 1ull << (i % 64);
}

enum unmo_seq_verdict unmo_seqwin_offer(struct unmo_seqwin *w, uint64_t seq)
{
	enum unmo_seq_verdict v = unmo_seqwin_check(w, seq);
	if (v == UNMO_SEQ_NEW)
		unmo_seqwin_mark(w, seq);
	return v;
}

uint64_t unmo_seqwin_ack_bitmap(const struct unmo_seqwin *w)
{
	return w->bits[0];
}
