/* port.h — DPDK port, queue and mempool set-up.
 *
 * One mbuf pool shared by the ports, sized from the configuration (queues x
 * descriptors + bursts + per-lcore caches) and capped by the memory EAL
 * actually has (rte_malloc_get_socket_stats): with `--no-huge -m 512` a
 * testpmd-sized pool does not fit, so we size to fit and print the choice.
 * Each port gets nb_queues RX and TX queue pairs (queue q served by one RX
 * lcore, which also transmits its responses on TX queue q). RSS over IP
 * addresses and UDP ports when the driver offers it, otherwise a single
 * queue per port or the driver's own spreading, reported at start.
 * Start-up/shutdown only; not thread-safe.
 */
#ifndef INGEST_PORT_H
#define INGEST_PORT_H

#include <stdint.h>

#include "config.h"

struct rte_mempool;

struct port_info {
	uint16_t port_id;
	uint16_t nb_queues;
	uint8_t mac[6];     /* our address on this port */
	char driver[32];
};

/* Create the pool for nb_ports ports with queues[i] queues each. */
struct rte_mempool *port_pool_create(const struct ingest_cfg *c, unsigned total_queues,
				     unsigned nb_lcores);
/* Configure, set up queues, start the port, report link. Returns 0 or -1. */
int port_setup(const struct ingest_cfg *c, struct port_info *pi, uint16_t port_id,
	       uint16_t want_queues, struct rte_mempool *pool);
void port_report_link(const struct port_info *pi);
void port_stop(const struct port_info *pi);

#endif
