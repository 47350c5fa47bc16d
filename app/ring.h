/* ring.h — chunks and the lock-free rings that move them between an RX core
 * and its writer, and the writer's durability messages.
 *
 * Each RX core owns a fixed pool of chunks (allocated once at start). A
 * chunk is owned by exactly one thread at a time; ownership moves through
 * two single-producer/single-consumer rte_rings per RX core:
 *   full : RX core -> writer  chunks to persist, in chunk-sequence order
 *   free : writer  -> RX core empty chunks (returned as soon as the writer
 *                             has compressed them, or copied the block the
 *                             RX core encoded, into its own buffer), and
 *                             durability messages:
 *          LINK_DURABLE(N): every chunk <= N of this RX core is fsynced
 *                           ("durable up to chunk N": release acks/202s)
 *          LINK_FAILED(N):  chunk N (and possibly earlier unsynced ones) could
 *                           not be written: responses for them are not sent
 * Messages are tagged values in the same ring as chunk pointers (chunks are
 * at least 8-byte aligned, so pointer values have their low bits clear). The writer
 * sends a message only while the ring keeps room for the whole pool, so
 * returning a chunk can never fail; it coalesces messages (only the highest N
 * matters). When the RX core has no empty chunk it drops the frame (counter
 * ring_full) or leaves packets in the NIC queue; it never waits.
 * Thread-safety: exactly one producer and one consumer per ring.
 */
#ifndef INGEST_RING_H
#define INGEST_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "chunk.h"
#include "segment.h"

struct rte_ring;

struct ingest_chunk {
	uint64_t seq;            /* per-RX-core sequence, 1, 2, ... */
	uint16_t rx_id;          /* owning RX core */
	struct chunk_link *home; /* the RX core's link it returns to */
	uint32_t block_len;      /* > 0: the RX core encoded c into block (--rx-encode) */
	struct unmo_seg_block_meta meta; /* of block; the writer sets its offset */
	struct unmo_chunk c;     /* the records */
	uint8_t block[UNMO_SEG_BLOCK_MAX]; /* c as one segment block, when block_len */
};

struct chunk_link {
	struct rte_ring *full;
	struct rte_ring *free;
	uint16_t rx_id;
	uint16_t wslot;           /* index in its writer's link table (writer-owned) */
	atomic_bool rx_done;      /* RX core stopped and handed off its last chunk */
	uint32_t nb_chunks;
	struct ingest_chunk *pool; /* nb_chunks contiguous chunks */
};

/* Messages on `free`: (N << 2) | tag. */
#define LINK_MSG_DURABLE 1u
#define LINK_MSG_FAILED 3u
static inline void *link_msg(uint64_t seq, unsigned tag)
{
	return (void *)(uintptr_t)((seq << 2) | tag);
}
static inline unsigned link_msg_tag(const void *m) { return (unsigned)((uintptr_t)m & 3u); }
static inline uint64_t link_msg_seq(const void *m) { return (uint64_t)(uintptr_t)m >> 2; }

/* Allocate the pool (on socket) and both rings, with every chunk on `free`.
 * Returns 0, or -1 with a message on stderr. Start-up only. */
int link_init(struct chunk_link *l, uint16_t rx_id, uint32_t nb_chunks, int socket);
void link_free(struct chunk_link *l);

#endif
