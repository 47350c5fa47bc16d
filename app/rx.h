/* rx.h — the RX lcore: an l3fwd-style poll loop per lcore.
 *
 * rx_burst -> prefetch -> classify (Ethernet, 802.1Q/802.1ad, ARP, IPv4,
 * IPv6, ICMP/ICMPv6, UDP to our port) -> parse the datagram (binary frame or
 * HTTP-lite) -> tenant and replay checks -> encode records into the core's
 * current chunk -> bulk-free the mbufs. Full chunks (or chunks older than
 * --flush-ms) go to the writer over the core's SPSC ring; chunks coming back
 * release the responses held for them (ack.h). IPv4/IPv6 fragments are
 * counted (ip_fragment) and dropped, not reassembled: senders keep a
 * datagram within the path MTU (docs/operating.md).
 * Contract: rx_main runs on one lcore and owns its rx_ctx; the only shared
 * state is the rings, the tenant views (an immutable registry per generation;
 * a SIGHUP reload publishes a new one, which the core takes up at its next
 * loop pass, see tenant_view.h) and the stop flag. No
 * allocation, lock or syscall per packet. Under back-pressure (no empty
 * chunk, or no room for a burst of pending responses) the core takes no
 * packets and sleeps ~20 us per pass, leaving the CPU to the writer; while
 * that happened within the last 10 ms it also computes each handed-off
 * chunk's LZ4 content checksum for the writer (ring.h has_sum).
 */
#ifndef INGEST_RX_H
#define INGEST_RX_H

#include <stdatomic.h>
#include <stdint.h>

#include "ack.h"
#include "config.h"
#include "net.h"
#include "ring.h"
#include "stats.h"

struct tenant_views;
struct tenant_view;
struct rte_mempool;

struct rx_queue_ref {
	uint16_t port_id, queue, port_idx; /* port_idx: index into per-port tables */
};

/* key id -> tenant, per RX core, for the current view (cleared when a reload
 * replaces it): a hit skips the keyed-hash lookup and the strlen of the app
 * id per frame. */
#define RX_TENANT_CACHE 64u
#define RX_TENANT_PROBE 4u
struct rx_tenant_cache {
	uint64_t key_id;
	const struct unmo_tenant *tn; /* NULL: empty slot */
	uint16_t app_len;
};

struct rx_ctx {
	uint16_t id;
	uint16_t lcore;
	uint16_t nb_q;
	struct rx_queue_ref q[CFG_MAX_PORTS];
	struct net_host host[CFG_MAX_PORTS]; /* by port_idx */
	struct tx_buf tx[CFG_MAX_PORTS];     /* by port_idx: this core's TX queue */
	const struct ingest_cfg *cfg;
	struct tenant_views *views; /* the registry, replaceable (tenant_view.h) */
	const struct tenant_view *view; /* the one this core uses now */
	_Atomic uint64_t view_gen;      /* its generation, for the control thread */
	struct rte_mempool *mp;
	struct chunk_link *link;
	atomic_bool *stop;
	uint8_t run_id[8];    /* random per run: prefix of generated event ids */
	/* owned state */
	struct ingest_chunk *cur;
	struct ingest_chunk **spare; /* chunks back from the writer, ready for reuse */
	uint32_t nb_spare;
	uint64_t next_chunk_seq;
	uint64_t handed_seq;  /* last chunk handed to the writer */
	uint64_t settled_seq; /* highest chunk the writer reported durable or failed */
	uint64_t id_counter;
	struct ack_state ack;
	uint64_t flush_tsc, tsc_hz, tsc0;
	int64_t wall0_us;
	struct rx_tenant_cache tcache[RX_TENANT_CACHE];
	const char *reason_ptr[16];
	uint16_t reason_id[16];
	struct rx_stats st;
	uint8_t scratch[65536 + 64] __attribute__((aligned(64))); /* chained mbufs, copied */
};

/* Prepare ctx (tables, spare list) — start-up only. */
int rx_init(struct rx_ctx *x);
void rx_fini(struct rx_ctx *x);
/* lcore entry point (arg = struct rx_ctx *). Returns when *stop is set and
 * every chunk came back from the writer (or after a bounded wait). */
int rx_main(void *arg);

#endif
