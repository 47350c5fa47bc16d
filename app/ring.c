/* ring.c — chunk pools and SPSC rings (see ring.h). */
#include "ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ring.h>

int link_init(struct chunk_link *l, uint16_t rx_id, uint32_t nb_chunks, int socket)
{
	char name[RTE_RING_NAMESIZE];
	memset(l, 0, sizeof *l);
	l->rx_id = rx_id;
	l->nb_chunks = nb_chunks;
	atomic_init(&l->rx_done, false);
	/* Plain process memory: chunks are only touched by CPUs, and EAL memory
	 * (-m) is kept for mbufs. Pages are touched as chunks fill. */
	l->pool = aligned_alloc(64, (sizeof(struct ingest_chunk) * nb_chunks + 63) / 64 * 64);
	if (!l->pool) {
		fprintf(stderr, "unmo-ingest: out of memory for %u chunks\n", nb_chunks);
		return -1;
	}
	/* Room for the whole pool plus messages (ring.h). */
	uint32_t ring_size = 1;
	while (ring_size < 2 * nb_chunks + 2)
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
		ck->seq = 0;
		ck->rx_id = rx_id;
		ck->home = l;
		unmo_chunk_reset(&ck->c);
		rte_ring_enqueue(l->free, ck);
	}
	return 0;
}

void link_free(struct chunk_link *l)
{
	free(l->pool);
	rte_ring_free(l->full);
	rte_ring_free(l->free);
	memset(l, 0, sizeof *l);
}
