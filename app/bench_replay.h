/* bench_replay.h — benchmark only (--bench-ring-replay PCAP): a port that
 * replays a pcap from memory without a copy per packet, standing in for a
 * NIC's DMA.
 *
 * The port is made from two rte_rings (rte_eth_from_rings, the net_ring
 * driver): RX ring (1024 entries, like an RX descriptor ring) and TX ring.
 * The pcap's frames are loaded once into plain memory. A feeder pthread
 * plays the NIC: it writes the next frame into the next of 2048 mbufs it
 * owns (round robin, like the buffers a driver re-arms from its per-core
 * cache), takes a second reference and enqueues the mbuf on the RX ring;
 * the RX core's ordinary free drops that reference, which gives the buffer
 * back. So the RX core does not copy each frame (net_pcap's infinite_rx
 * copies every frame into a fresh mbuf on the RX core, ~40% of its time);
 * the copy is the feeder's, on another CPU, as DMA is the NIC's. When the RX
 * ring is full or the next buffer is not back yet the feeder sleeps 20 us.
 * Whatever the appliance transmits is taken off the TX ring and freed.
 * Each mbuf carries the IP/UDP checksum verdicts a NIC with RX checksum
 * offload would give (all the NICs we target have it), worked out once per
 * frame at load; so the RX core's software checksum (for ports without
 * offload: net_pcap, net_af_packet) does not run here.
 * The RX core runs its normal code; only the port differs.
 * Sequence: bench_replay_port() before the ports are enumerated (it adds
 * one), bench_replay_load() once the mbuf pool exists, bench_replay_start()
 * before the RX lcores start; the feeder stops when *stop is set
 * (bench_replay_join). Start-up errors: -1 with a message on stderr.
 * Thread-safety: the feeder is the RX ring's only producer and the TX
 * ring's only consumer.
 */
#ifndef INGEST_BENCH_REPLAY_H
#define INGEST_BENCH_REPLAY_H

#include <stdatomic.h>
#include <stdint.h>

struct rte_mempool;

int bench_replay_port(uint16_t *port_id);
/* Load every frame of pcap (one mbuf each; longer ones are refused). */
int bench_replay_load(const char *pcap, struct rte_mempool *mp);
int bench_replay_start(atomic_bool *stop);
/* Stop the feeder; returns the frames enqueued. */
uint64_t bench_replay_join(void);

#endif
