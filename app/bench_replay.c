/* bench_replay.c — zero-copy pcap replay port for benchmarks (see bench_replay.h). */
#include "bench_replay.h"

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_ring.h>

#include "pkt.h"

#define RX_RING 1024u
#define TX_RING 1024u
#define FEED_BURST 32u
/* The mbufs the feeder writes frames into, round robin: an RX ring's worth
 * plus bursts in flight, like the buffers a NIC driver keeps re-arming from
 * its per-core mempool cache (cache-warm, not the whole pool). */
#define WINDOW 2048u

static struct rte_ring *rx_ring, *tx_ring;
static uint8_t *pkts;              /* every frame of the pcap, back to back */
static uint64_t *pkt_off;
static uint16_t *pkt_len;
static uint64_t *pkt_ol;            /* checksum verdicts, as a NIC with RX offload sets them */
static uint32_t nb_frames;
static struct rte_mbuf *win[WINDOW];
static pthread_t feeder;
static atomic_bool *feed_stop;
static uint64_t fed, tx_freed;
static bool started;

int bench_replay_port(uint16_t *port_id)
{
	int socket = (int)rte_socket_id();
	rx_ring = rte_ring_create("bench_rx", RX_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("bench_tx", TX_RING, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!rx_ring || !tx_ring) {
		fprintf(stderr, "unmo-ingest: bench replay: cannot create rings\n");
		return -1;
	}
	int p = rte_eth_from_rings("bench_replay", &rx_ring, 1, &tx_ring, 1, (unsigned)socket);
	if (p < 0) {
		fprintf(stderr, "unmo-ingest: bench replay: rte_eth_from_rings failed\n");
		return -1;
	}
	*port_id = (uint16_t)p;
	return 0;
}

/* The IP and UDP checksum verdicts the NICs we target (ixgbe, i40e, ice,
 * mlx5) put in each mbuf, worked out once per frame at load (lib/pkt.h);
 * frames lib/pkt does not parse are left "unknown", for the RX core. */
static uint64_t offload_verdict(const uint8_t *f, size_t n)
{
	struct unmo_pkt_view v;
	if (unmo_pkt_parse(f, n, &v))
		return 0;
	return (v.ip_csum_ok ? RTE_MBUF_F_RX_IP_CKSUM_GOOD : RTE_MBUF_F_RX_IP_CKSUM_BAD) |
	       (v.udp_csum_ok ? RTE_MBUF_F_RX_L4_CKSUM_GOOD : RTE_MBUF_F_RX_L4_CKSUM_BAD);
}

int bench_replay_load(const char *path, struct rte_mempool *mp)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc) {
		fprintf(stderr, "unmo-ingest: bench replay: %s: %s\n", path, err);
		return -1;
	}
	uint32_t cap = 0;
	uint64_t bytes = 0, bytes_cap = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	uint16_t room = (uint16_t)(rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		if (h->caplen != h->len || h->caplen > room || h->caplen == 0) {
			fprintf(stderr, "unmo-ingest: bench replay: frame %u (%u B) truncated or longer "
				"than an mbuf (--mbuf-size)\n", nb_frames, h->len);
			rc = -1;
			break;
		}
		if (nb_frames == cap) {
			cap = cap ? cap * 2 : 4096;
			uint64_t *o = realloc(pkt_off, cap * sizeof *o);
			pkt_off = o ? o : pkt_off;
			uint16_t *l = realloc(pkt_len, cap * sizeof *l);
			pkt_len = l ? l : pkt_len;
			uint64_t *fl = realloc(pkt_ol, cap * sizeof *fl);
			pkt_ol = fl ? fl : pkt_ol;
			if (!o || !l || !fl) {
				rc = -1;
				break;
			}
		}
		if (bytes + h->caplen > bytes_cap) {
			bytes_cap = bytes_cap ? bytes_cap * 2 : 1u << 20;
			uint8_t *n = realloc(pkts, bytes_cap);
			if (!n) {
				rc = -1;
				break;
			}
			pkts = n;
		}
		memcpy(pkts + bytes, data, h->caplen);
		pkt_off[nb_frames] = bytes;
		pkt_ol[nb_frames] = offload_verdict(data, h->caplen);
		pkt_len[nb_frames++] = (uint16_t)h->caplen;
		bytes += h->caplen;
	}
	pcap_close(pc);
	if (rc != -2 || !nb_frames) { /* -2: end of file */
		fprintf(stderr, "unmo-ingest: bench replay: %s: %s\n", path,
			rc == -2 ? "no frame" : "cannot load");
		return -1;
	}
	if (rte_pktmbuf_alloc_bulk(mp, win, WINDOW)) {
		fprintf(stderr, "unmo-ingest: bench replay: %u mbufs not available (--mbufs)\n", WINDOW);
		return -1;
	}
	printf("bench replay: %u frames (%.1f MB) from %s in memory; a feeder thread writes them "
	       "into %u mbufs in turn and hands them over through a ring port, as a NIC's DMA\n",
	       nb_frames, (double)bytes / 1e6, path, WINDOW);
	return 0;
}

/* The feeder holds one reference to each window mbuf; the RX core's free
 * drops the other one, which tells the feeder the buffer is back. */
static void *feed(void *arg)
{
	(void)arg;
	uint32_t wpos = 0, f = 0;
	struct rte_mbuf *burst[FEED_BURST];
	void *back[FEED_BURST];
	while (!atomic_load_explicit(feed_stop, memory_order_relaxed)) {
		unsigned nt = rte_ring_dequeue_burst(tx_ring, back, FEED_BURST, NULL);
		if (nt) {
			rte_pktmbuf_free_bulk((struct rte_mbuf **)back, nt);
			tx_freed += nt;
		}
		unsigned room = rte_ring_free_count(rx_ring), n = 0;
		while (n < room && n < FEED_BURST) {
			struct rte_mbuf *m = win[wpos];
			if (__atomic_load_n(&m->refcnt, __ATOMIC_ACQUIRE) != 1)
				break; /* the receiver still has it */
			m->data_off = RTE_PKTMBUF_HEADROOM;
			m->data_len = m->pkt_len = pkt_len[f];
			m->nb_segs = 1;
			m->ol_flags = pkt_ol[f];
			rte_memcpy(rte_pktmbuf_mtod(m, void *), pkts + pkt_off[f], pkt_len[f]);
			rte_mbuf_refcnt_set(m, 2);
			burst[n++] = m;
			wpos = wpos + 1 == WINDOW ? 0 : wpos + 1;
			f = f + 1 == nb_frames ? 0 : f + 1;
		}
		if (n)
			fed += rte_ring_enqueue_burst(rx_ring, (void **)burst, n, NULL); /* fits: room */
		else
			rte_delay_us_sleep(20); /* the RX core is behind: as a full RX ring */
	}
	return NULL;
}

int bench_replay_start(atomic_bool *stop)
{
	feed_stop = stop;
	if (pthread_create(&feeder, NULL, feed, NULL)) {
		fprintf(stderr, "unmo-ingest: bench replay: cannot start the feeder\n");
		return -1;
	}
	pthread_setname_np(feeder, "unmo-feeder");
	started = true;
	return 0;
}

uint64_t bench_replay_join(void)
{
	if (started)
		pthread_join(feeder, NULL);
	started = false;
	if (tx_freed)
		printf("bench replay: %lu transmitted frames discarded\n", tx_freed);
	return fed;
}
