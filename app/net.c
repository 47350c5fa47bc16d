/* net.c — ARP / ICMP / ND responders and UDP replies (see net.h). */
#include "net.h"

#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

void tx_buf_flush(struct tx_buf *t)
{
	if (!t->n)
		return;
	uint16_t sent = rte_eth_tx_burst(t->port, t->queue, t->m, t->n);
	if (sent < t->n) {
		/* A full TX queue never stalls receiving: the response is dropped and
		 * counted; the sender's retry gets a fresh one. */
		*t->dropped += (uint64_t)(t->n - sent);
		rte_pktmbuf_free_bulk(&t->m[sent], (unsigned)(t->n - sent));
	}
	t->n = 0;
}

static void eth_turn(uint8_t *l2, const uint8_t our_mac[6])
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)l2;
	memcpy(eh->dst_addr.addr_bytes, eh->src_addr.addr_bytes, 6);
	memcpy(eh->src_addr.addr_bytes, our_mac, 6);
}

bool net_arp_reply(struct rte_mbuf *m, const struct net_host *h, uint8_t *l2, uint8_t *l3,
		   uint32_t l3_len)
{
	(void)m;
	if (!h->ip4 || l3_len < sizeof(struct rte_arp_hdr))
		return false;
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)l3;
	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || a->arp_hlen != 6 ||
	    a->arp_plen != 4 || a->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	    a->arp_data.arp_tip != h->ip4)
		return false;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	a->arp_data.arp_tha = a->arp_data.arp_sha;
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	memcpy(a->arp_data.arp_sha.addr_bytes, h->mac, 6);
	a->arp_data.arp_sip = h->ip4;
	eth_turn(l2, h->mac);
	return true;
}

bool net_icmp_echo(const struct net_host *h, uint8_t *l2, uint8_t *ip, uint32_t ip_len)
{
	struct rte_ipv4_hdr *iph = (struct rte_ipv4_hdr *)ip;
	uint32_t ihl = (uint32_t)(iph->version_ihl & 0x0f) * 4u;
	uint32_t tot = rte_be_to_cpu_16(iph->total_length);
	if (tot > ip_len || tot < ihl + sizeof(struct rte_icmp_hdr) || iph->dst_addr != h->ip4)
		return false;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + ihl);
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0)
		return false;
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, tot - ihl);
	iph->dst_addr = iph->src_addr;
	iph->src_addr = h->ip4;
	iph->time_to_live = 64;
	iph->hdr_checksum = 0;
	iph->hdr_checksum = rte_ipv4_cksum(iph);
	eth_turn(l2, h->mac);
	return true;
}

#define ND_NS 135
#define ND_NA 136
#define ICMP6_ECHO_REQ 128
#define ICMP6_ECHO_REP 129

bool net_icmp6(struct rte_mbuf *m, const struct net_host *h, uint8_t *l2, uint8_t *ip,
	       uint32_t ip_len, bool *is_nd)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)ip;
	uint32_t plen = rte_be_to_cpu_16(ip6->payload_len);
	*is_nd = false;
	if (!h->has_ip6 || plen + 40u > ip_len || plen < 8)
		return false;
	uint8_t *ic = ip + 40;
	static const uint8_t unspec[16];
	if (ic[0] == ND_NS && ic[1] == 0 && plen >= 24) {
		*is_nd = true;
		if (memcmp(ic + 8, h->ip6, 16) || !memcmp(ip6->src_addr, unspec, 16))
			return false; /* not our address, or duplicate-address detection */
		uint32_t l2len = (uint32_t)(ip - l2);
		uint32_t new_len = l2len + 40u + 32u;
		if (m->nb_segs != 1 || new_len > m->data_len + rte_pktmbuf_tailroom(m))
			return false;
		memcpy(ip6->dst_addr, ip6->src_addr, 16);
		memcpy(ip6->src_addr, h->ip6, 16);
		ip6->hop_limits = 255;
		ip6->payload_len = rte_cpu_to_be_16(32);
		ic[0] = ND_NA;
		ic[1] = 0;
		ic[2] = ic[3] = 0;
		ic[4] = 0x60; /* solicited + override */
		ic[5] = ic[6] = ic[7] = 0;
		/* target address stays at ic+8; option: target link-layer address */
		ic[24] = 2;
		ic[25] = 1;
		memcpy(ic + 26, h->mac, 6);
		m->data_len = (uint16_t)new_len;
		m->pkt_len = new_len;
		uint16_t ck = rte_ipv6_udptcp_cksum(ip6, ic);
		memcpy(ic + 2, &ck, 2);
		eth_turn(l2, h->mac);
		return true;
	}
	if (ic[0] == ICMP6_ECHO_REQ && ic[1] == 0 && !memcmp(ip6->dst_addr, h->ip6, 16)) {
		memcpy(ip6->dst_addr, ip6->src_addr, 16);
		memcpy(ip6->src_addr, h->ip6, 16);
		ip6->hop_limits = 64;
		ic[0] = ICMP6_ECHO_REP;
		ic[2] = ic[3] = 0;
		uint16_t ck = rte_ipv6_udptcp_cksum(ip6, ic);
		memcpy(ic + 2, &ck, 2);
		eth_turn(l2, h->mac);
		return true;
	}
	return false;
}

struct rte_mbuf *net_udp_reply(struct rte_mempool *mp, const struct reply_addr *a,
			       const void *payload, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (!m)
		return NULL;
	uint32_t l2len = sizeof(struct rte_ether_hdr) + (a->has_vlan ? 4u : 0u);
	uint32_t l3len = a->ip_version == 4 ? 20u : 40u;
	uint32_t total = l2len + l3len + 8u + len;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)total);
	if (!p || total > 0xffffu) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	memcpy(eh->dst_addr.addr_bytes, a->peer_mac, 6);
	memcpy(eh->src_addr.addr_bytes, a->our_mac, 6);
	uint16_t l3type = rte_cpu_to_be_16(a->ip_version == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	if (a->has_vlan) {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);
		vh->vlan_tci = rte_cpu_to_be_16(a->vlan_tci);
		vh->eth_proto = l3type;
	} else {
		eh->ether_type = l3type;
	}
	uint8_t *l3 = p + l2len;
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(l3 + l3len);
	uh->src_port = a->our_port;
	uh->dst_port = a->peer_port;
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8u + len));
	uh->dgram_cksum = 0;
	memcpy(uh + 1, payload, len);
	if (a->ip_version == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		memset(ip, 0, sizeof *ip);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20u + 8u + len));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, a->our_ip, 4);
		memcpy(&ip->dst_addr, a->peer_ip, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(8u + len));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, a->our_ip, 16);
		memcpy(ip6->dst_addr, a->peer_ip, 16);
		uh->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, uh);
	}
	return m;
}
