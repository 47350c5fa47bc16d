/* ring.c — chunk pools and SPSC rings (see ring.h). */
#include "ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ring.h>

#include "segment.h"

int link_init(struct chunk_link *l, uint16_t rx_id, uint32_t nb_chunks, int socket)
{
	char name[RTE_RING_NAMESIZE];
	memset(l, 0, sizeof *l);
	l->rx_id = rx_id;
	l->nb_chunks = nb_chunks;
	atomic_init(&l->rx_done, false);
	/* Plain process memory: chunks are only touched by CPUs and io_uring, and
	 * EAL memory (-m) is kept for mbufs. */
	l->pool = aligned_alloc(64, (sizeof(struct ingest_chunk) * nb_chunks + 63) / 64 * 64);
	size_t out_cap = unmo_seg_block_bound(UNMO_CHUNK_CAP);
	if (!l->pool) {
		fprintf(stderr, "unmo-ingest: out of memory for %u chunks\n", nb_chunks);
		return -1;
	}
	uint32_t ring_size = 1;
	while (ring_size < nb_chunks + 1)
		ring_size <<= 1;
	snprintf(name, sizeof name, "unmo_full_%u", rx_id);
	l->full = rte_ring_create(name, ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof name, "unmo_free_%u", rx_id);
	l->free = rte_ring_create(name, ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!l->full || !l->free) {
		fprintf(stderr, "unmo-ingest: rte_ring_create: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	for (uint32_t i = 0; i < nb_chunks; i++) {
		struct ingest_chunk *ck = &l->pool[i];
		memset(ck, 0, offsetof(struct ingest_chunk, c));
		ck->rx_id = rx_id;
		ck->home = l;
		ck->out = aligned_alloc(4096, (out_cap + 4095) / 4096 * 4096);
		if (!ck->out) {
			fprintf(stderr, "unmo-ingest: out of memory for chunk buffers\n");
			return -1;
		}
		unmo_chunk_reset(&ck->c);
		rte_ring_enqueue(l->free, ck);
	}
	return 0;
}

void link_free(struct chunk_link *l)
{
	if (l->pool)
		for (uint32_t i = 0; i < l->nb_chunks; i++)
			free(l->pool[i].out);
	free(l->pool);
	rte_ring_free(l->full);
	rte_ring_free(l->free);
	memset(l, 0, sizeof *l);
}
