/* seqwin.h — per-sender sequence window: replay/duplicate rejection and the
 * state an acknowledgement reports.
 *
 * A window holds `cum` (every sequence < cum is in the set) and a bitmap of
 * the UNMO_SEQWIN_BITS sequences after cum (bit i = cum+1+i in the set; cum
 * itself is never in the set, else cum would advance). The first sequence
 * ever offered initialises cum to it (a new sender, or the first frame after
 * an appliance restart).
 *
 * The appliance keeps two windows per sender: `received` (dedup: a resent
 * frame already taken is a duplicate, stored once) and `durable` (what an
 * ack may claim: marked only after the group commit holding the frame).
 * `gaps` counts sequences passed over: when a new sequence arrives more than
 * one past the highest sequence taken so far, the sequences in between are
 * added (a later arrival filling a hole does not subtract: it is a loss and
 * reordering indicator, not the number of holes now open).
 * Sequences must be < UINT64_MAX (the frame parser refuses 0 and 2^64-1).
 * Contract: no allocation; a window is one sender's state, not thread-safe
 * (owned by one RX core).
 */
#ifndef UNMO_SEQWIN_H
#define UNMO_SEQWIN_H

#include <stdbool.h>
#include <stdint.h>

#define UNMO_SEQWIN_WORDS 16u
#define UNMO_SEQWIN_BITS (64u * UNMO_SEQWIN_WORDS)

struct unmo_seqwin {
	uint64_t cum;
	uint64_t bits[UNMO_SEQWIN_WORDS];
	bool started;
	uint64_t gaps; /* sequences skipped when a frame arrived ahead of cum */
};

enum unmo_seq_verdict {
	UNMO_SEQ_NEW = 0,    /* not seen: take it, then unmo_seqwin_mark */
	UNMO_SEQ_DUPLICATE,  /* already in the set (or < cum): count, drop */
	UNMO_SEQ_TOO_FAR,    /* beyond the window: count, drop; sender resends */
};

/* "new", "duplicate", "too_far": drop reasons / counter names. */
extern const char *const unmo_seq_verdict_names[3];

void unmo_seqwin_init(struct unmo_seqwin *w);
enum unmo_seq_verdict unmo_seqwin_check(const struct unmo_seqwin *w, uint64_t seq);
/* Add seq (must be UNMO_SEQ_NEW); advances cum over any contiguous run.
 * A seq that is not NEW leaves the window unchanged. */
void unmo_seqwin_mark(struct unmo_seqwin *w, uint64_t seq);
/* Check and mark in one step (the RX path): returns the verdict of check. */
enum unmo_seq_verdict unmo_seqwin_offer(struct unmo_seqwin *w, uint64_t seq);
/* The first 64 bits after cum, as an ack's bitmap. */
uint64_t unmo_seqwin_ack_bitmap(const struct unmo_seqwin *w);

#endif
