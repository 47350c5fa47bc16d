/* ack.h — per-sender sequence windows and responses held until durable.
 *
 * Per RX core (never shared): a fixed-size open-addressing table of senders
 * (tenant key id, sender id) -> two lib/seqwin.h windows, `received` (dedup)
 * and `durable` (what an ack may claim), and a fixed-size FIFO of pending
 * entries. Every accepted binary frame and every HTTP-lite request that asked
 * for a reply leaves one pending entry naming the chunks holding its
 * events. When the writer reports "durable up to chunk N" (ring.h)
 * ack_release marks the frames durable and transmits the acks/202s on the
 * RX core's own port and queue. Nothing is allocated after ack_init: a full
 * table or FIFO makes the caller drop the frame (counted) before taking it.
 * If a chunk could not be written, frames in it are not acknowledged and
 * their senders' `received` window is reset to `durable`, so a resend is
 * stored again.
 */
#ifndef INGEST_ACK_H
#define INGEST_ACK_H

#include <stdbool.h>
#include <stdint.h>

#include "net.h"
#include "seqwin.h"

struct sender_entry {
	uint64_t key_id, sender_id; /* sender_id 0 = free slot */
	struct unmo_seqwin received, durable;
};

enum pend_kind { PEND_BIN = 1, PEND_HTTP = 2 };

struct pending {
	uint64_t first_chunk, last_chunk; /* chunks holding the frame's events */
	uint8_t kind;
	bool want_reply;
	uint16_t status;
	uint32_t accepted, rejected;
	const char *reason;    /* PEND_HTTP: why the first refused event was (static string) or NULL */
	uint32_t sender;       /* PEND_BIN: slot in the sender table */
	uint64_t seq;          /* PEND_BIN: frame sequence */
	struct reply_addr addr;
};

struct ack_state {
	struct sender_entry *senders;
	uint32_t sender_mask;
	struct pending *pend;
	uint32_t pend_cap, head, tail; /* FIFO: [tail, head) */
	uint64_t last_failed_chunk;
};

int ack_init(struct ack_state *a, uint32_t senders, uint32_t pending);
void ack_fini(struct ack_state *a);

/* Find or insert a sender; NULL when the table is full (caller counts). */
struct sender_entry *ack_sender(struct ack_state *a, uint64_t key_id, uint64_t sender_id);
static inline uint32_t ack_sender_slot(const struct ack_state *a, const struct sender_entry *s)
{
	return (uint32_t)(s - a->senders);
}

static inline bool ack_pending_full(const struct ack_state *a)
{
	return a->head - a->tail >= a->pend_cap;
}
/* Next free pending entry (check ack_pending_full first). */
static inline struct pending *ack_pending_push(struct ack_state *a)
{
	return &a->pend[a->head++ % a->pend_cap];
}

struct rx_stats;
struct rte_mempool;
/* The writer reported chunk `chunk` durable (or failed): release
 * every pending entry whose events are all in chunks <= chunk. Responses go
 * to tx[addr.port_idx]. */
void ack_release(struct ack_state *a, uint64_t chunk, bool failed, struct tx_buf *tx,
		 struct rte_mempool *mp, struct rx_stats *st);

/* Sum of per-sender sequence gaps (for counters at exit). */
uint64_t ack_gaps(const struct ack_state *a);

#endif
