/* ring.h — chunks and the lock-free rings that move them between an RX core
 * and its writer.
 *
 * Each RX core owns a fixed pool of chunks (allocated once at start). A
 * chunk is owned by exactly one thread at a time; ownership moves through
 * two single-producer/single-consumer rte_rings per RX core:
 *   full : RX core -> writer   (chunks to persist, in chunk-sequence order)
 *   free : writer  -> RX core  (chunks whose records are durable, or failed)
 * A chunk coming back on `free` is the writer's "durable up to chunk N"
 * signal: rings are FIFO and the writer returns chunks in order, so the RX
 * core may release every response held for chunks <= N.
 * Both rings hold the whole pool, so an enqueue can never fail; when the RX
 * core finds `free` empty it drops the frame (counter ring_full), never
 * waits. Thread-safety: exactly one producer and one consumer per ring.
 */
#ifndef INGEST_RING_H
#define INGEST_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "chunk.h"

struct rte_ring;

struct ingest_chunk {
	uint64_t seq;        /* per-RX-core sequence, 1, 2, ... (set when handed off) */
	uint16_t rx_id;      /* owning RX core */
	bool failed;         /* set by the writer: these records were not persisted */
	bool written;        /* writer: its block write completed */
	struct chunk_link *home; /* the RX core's link it returns to */
	uint32_t out_len;    /* writer: compressed bytes in out */
	uint8_t *out;        /* writer scratch: the compressed block (lives with the chunk) */
	struct unmo_chunk c; /* the records */
};

struct chunk_link {
	struct rte_ring *full;
	struct rte_ring *free;
	uint16_t rx_id;
	atomic_bool rx_done;      /* RX core stopped and handed off its last chunk */
	uint32_t nb_chunks;
	struct ingest_chunk *pool; /* nb_chunks contiguous chunks */
};

/* Allocate the pool (on socket) and both rings, with every chunk on `free`.
 * Returns 0, or -1 with a message on stderr. Start-up only. */
int link_init(struct chunk_link *l, uint16_t rx_id, uint32_t nb_chunks, int socket);
void link_free(struct chunk_link *l);

#endif
