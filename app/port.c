/* port.c — pool sizing, port/queue set-up, RSS with fallback (see port.h). */
#include "port.h"

#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#define POOL_CACHE 256u

struct rte_mempool *port_pool_create(const struct ingest_cfg *c, unsigned total_queues,
				     unsigned nb_lcores)
{
	unsigned data_room = RTE_PKTMBUF_HEADROOM + c->mbuf_data;
	/* What the queues can hold at once, plus per-lcore caches and room for
	 * responses in flight. */
	uint64_t want = (uint64_t)total_queues * (c->rx_desc + c->tx_desc + 2u * c->burst) +
			(uint64_t)nb_lcores * POOL_CACHE + 2048u;
	uint64_t obj = sizeof(struct rte_mbuf) + data_room + 128u; /* + mempool header/trailer */
	struct rte_malloc_socket_stats ms;
	int socket = (int)rte_socket_id();
	uint64_t free_bytes = 0;
	if (rte_malloc_get_socket_stats(socket, &ms) == 0)
		free_bytes = ms.heap_freesz_bytes;
	/* Leave a third of EAL memory for rings, driver queues and the heap. */
	uint64_t fit = free_bytes / 3 * 2 / obj;
	uint64_t n = c->mbufs ? c->mbufs : want;
	const char *why = c->mbufs ? "from --mbufs" : "from queues x descriptors";
	if (!c->mbufs && n < 8192)
		n = 8192; /* headroom for bursts of responses and slow writers */
	if (fit && n > fit) {
		n = fit;
		why = "capped by EAL memory";
	}
	if (n < want) {
		fprintf(stderr,
			"unmo-ingest: mbuf pool: %lu mbufs fit in EAL memory but the queues need %lu; "
			"give EAL more memory (-m) or lower --rx-desc/--tx-desc\n",
			n, want);
		return NULL;
	}
	struct rte_mempool *mp = rte_pktmbuf_pool_create("unmo_mbufs", (unsigned)n, POOL_CACHE, 0,
							 (uint16_t)data_room, socket);
	if (!mp) {
		fprintf(stderr, "unmo-ingest: rte_pktmbuf_pool_create(%lu x %u B): %s\n", n, data_room,
			rte_strerror(rte_errno));
		return NULL;
	}
	printf("mbuf pool: %lu mbufs x %u B data room = %.1f MiB (%s; EAL heap free %.1f MiB, "
	       "queues need %lu)\n",
	       n, data_room, (double)(n * obj) / 1048576.0, why, (double)free_bytes / 1048576.0, want);
	return mp;
}

int port_setup(const struct ingest_cfg *c, struct port_info *pi, uint16_t port_id,
	       uint16_t want_queues, struct rte_mempool *pool)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int rc;
	memset(pi, 0, sizeof *pi);
	memset(&conf, 0, sizeof conf);
	pi->port_id = port_id;
	if ((rc = rte_eth_dev_info_get(port_id, &info))) {
		fprintf(stderr, "unmo-ingest: port %u: dev_info: %s\n", port_id, rte_strerror(-rc));
		return -1;
	}
	snprintf(pi->driver, sizeof pi->driver, "%s", info.driver_name);
	uint16_t nq = want_queues;
	if (nq > info.max_rx_queues)
		nq = info.max_rx_queues;
	if (nq > info.max_tx_queues)
		nq = info.max_tx_queues;
	if (nq == 0) {
		fprintf(stderr, "unmo-ingest: port %u (%s) has no RX/TX queue pair\n", port_id,
			info.driver_name);
		return -1;
	}
	pi->nb_queues = nq;

	uint64_t want_rss = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP;
	uint64_t rss = want_rss & info.flow_type_rss_offloads;
	if (nq > 1 && rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss;
		printf("port %u (%s): %u RX queues, RSS on IP addresses + UDP ports (hf 0x%lx)\n", port_id,
		       info.driver_name, nq, rss);
	} else if (nq > 1) {
		printf("port %u (%s): %u RX queues, RSS not offered by the driver: fallback to the "
		       "driver's own spreading (e.g. af_packet fanout)\n",
		       port_id, info.driver_name, nq);
	} else {
		printf("port %u (%s): 1 RX queue%s\n", port_id, info.driver_name,
		       want_queues > 1 ? " (driver offers only one: fallback, no RSS)" : "");
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER; /* jumbo datagrams as chains */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM)
		conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM;

	if ((rc = rte_eth_dev_configure(port_id, nq, nq, &conf))) {
		fprintf(stderr, "unmo-ingest: port %u: configure: %s\n", port_id, rte_strerror(-rc));
		return -1;
	}
	uint16_t nrx = c->rx_desc, ntx = c->tx_desc;
	if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nrx, &ntx))) {
		fprintf(stderr, "unmo-ingest: port %u: descriptors: %s\n", port_id, rte_strerror(-rc));
		return -1;
	}
	int socket = rte_eth_dev_socket_id(port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	struct rte_eth_rxconf rxq = info.default_rxconf;
	rxq.offloads = conf.rxmode.offloads;
	for (uint16_t q = 0; q < nq; q++) {
		if ((rc = rte_eth_rx_queue_setup(port_id, q, nrx, (unsigned)socket, &rxq, pool)) ||
		    (rc = rte_eth_tx_queue_setup(port_id, q, ntx, (unsigned)socket, NULL))) {
			fprintf(stderr, "unmo-ingest: port %u queue %u: setup: %s\n", port_id, q,
				rte_strerror(-rc));
			return -1;
		}
	}
	struct rte_ether_addr mac;
	if (c->set_mac) {
		memcpy(mac.addr_bytes, c->mac, 6);
		rc = rte_eth_dev_default_mac_addr_set(port_id, &mac);
		if (rc)
			printf("port %u: driver refused MAC set (%s): address adopted in software, "
			       "promiscuous mode needed\n",
			       port_id, rte_strerror(-rc));
	} else if (rte_eth_macaddr_get(port_id, &mac)) {
		memset(&mac, 0, sizeof mac);
	}
	memcpy(pi->mac, mac.addr_bytes, 6);
	if ((rc = rte_eth_dev_start(port_id))) {
		fprintf(stderr, "unmo-ingest: port %u: start: %s\n", port_id, rte_strerror(-rc));
		return -1;
	}
	if (c->promisc || (c->set_mac && memcmp(c->mac, mac.addr_bytes, 6))) {
		rc = rte_eth_promiscuous_enable(port_id);
		if (rc && rc != -ENOTSUP)
			printf("port %u: promiscuous mode: %s\n", port_id, rte_strerror(-rc));
	}
	printf("port %u: MAC %02x:%02x:%02x:%02x:%02x:%02x, %u RX desc, %u TX desc per queue\n",
	       port_id, pi->mac[0], pi->mac[1], pi->mac[2], pi->mac[3], pi->mac[4], pi->mac[5], nrx, ntx);
	port_report_link(pi);
	return 0;
}

void port_report_link(const struct port_info *pi)
{
	struct rte_eth_link link;
	memset(&link, 0, sizeof link);
	if (rte_eth_link_get_nowait(pi->port_id, &link) == 0) {
		printf("port %u: link %s, %u Mbps, %s-duplex\n", pi->port_id,
		       link.link_status ? "up" : "down", link.link_speed,
		       link.link_duplex ? "full" : "half");
	} else {
		printf("port %u: link status not available\n", pi->port_id);
	}
	fflush(stdout);
}

void port_stop(const struct port_info *pi)
{
	rte_eth_dev_stop(pi->port_id);
	rte_eth_dev_close(pi->port_id);
}
