/* net.h — being a well-behaved host: ARP, ICMP echo, IPv6 neighbour
 * discovery and ICMPv6 echo answered in place, and UDP response datagrams
 * (acks, HTTP-lite responses) built from a saved reply address.
 *
 * Contract: responders rewrite the received mbuf into the reply (no
 * allocation) and return true when the caller must transmit it instead of
 * freeing it. net_udp_reply allocates one mbuf from the pool (a mempool
 * get, not malloc) and returns NULL when the pool is empty (counted by the
 * caller). tx_buf batches transmissions per (port, queue); owned by one RX
 * lcore. No syscalls, no locks.
 */
#ifndef INGEST_NET_H
#define INGEST_NET_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;

/* Where a response goes: the request's addresses, swapped on send. */
struct reply_addr {
	uint8_t peer_mac[6], our_mac[6];
	uint16_t vlan_tci;   /* host order */
	uint8_t has_vlan;
	uint8_t ip_version;  /* 4 or 6 */
	uint16_t port_idx;   /* index of the port in the RX core's tables */
	uint8_t peer_ip[16], our_ip[16];
	uint16_t peer_port, our_port; /* network order */
};

/* Our identity on a port. */
struct net_host {
	uint8_t mac[6];
	uint32_t ip4;        /* network order, 0 = none */
	uint8_t ip6[16];
	bool has_ip6;
};

#define TX_BUF_MAX 64u
struct tx_buf {
	uint16_t port, queue, n;
	uint64_t *dropped;   /* counter for packets the queue refused */
	struct rte_mbuf *m[TX_BUF_MAX];
};
void tx_buf_flush(struct tx_buf *t);
static inline void tx_buf_add(struct tx_buf *t, struct rte_mbuf *m)
{
	if (t->n == TX_BUF_MAX)
		tx_buf_flush(t);
	t->m[t->n++] = m;
}

/* l3 points at the ARP header (l3_len bytes available). */
bool net_arp_reply(struct rte_mbuf *m, const struct net_host *h, uint8_t *l2, uint8_t *l3,
		   uint32_t l3_len);
/* ICMP echo request to us -> echo reply. ip points at the IPv4 header. */
bool net_icmp_echo(const struct net_host *h, uint8_t *l2, uint8_t *ip, uint32_t ip_len);
/* ICMPv6: neighbour solicitation for our address -> advertisement; echo
 * request -> reply. ip points at the IPv6 header. */
bool net_icmp6(struct rte_mbuf *m, const struct net_host *h, uint8_t *l2, uint8_t *ip,
	       uint32_t ip_len, bool *is_nd);

/* Build a UDP datagram with payload to a saved reply address. */
struct rte_mbuf *net_udp_reply(struct rte_mempool *mp, const struct reply_addr *a,
			       const void *payload, uint16_t len);

#endif
