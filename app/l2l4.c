/* l2l4.c — Ethernet/VLAN/IPv4/IPv6/UDP classifier (see l2l4.h). */
#include "l2l4.h"

#include <string.h>

#include "pkt.h"

#define ET_IPV4 0x0800u
#define ET_ARP 0x0806u
#define ET_VLAN 0x8100u
#define ET_QINQ 0x88a8u
#define ET_IPV6 0x86ddu
#define PROTO_ICMP 1u
#define PROTO_UDP 17u
#define PROTO_FRAG6 44u
#define PROTO_ICMP6 58u

static inline uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* IPv4 header checksum over ihl bytes: a correct header sums to 0xffff. */
static bool ip4_cksum_ok(const uint8_t *ip, uint32_t ihl)
{
	return unmo_pkt_csum_fold(unmo_pkt_csum_add(0, ip, ihl)) == 0;
}

/* UDP checksum over the pseudo-header (both addresses, adjacent in either
 * IP header; protocol 17; the UDP length) and the datagram. */
static bool udp_cksum_ok(const struct l2l4 *c, uint32_t ulen, enum l2l4_nic_cksum nic, bool sw)
{
	if (nic != L2L4_CK_UNKNOWN)
		return nic == L2L4_CK_GOOD;
	if (ld16(c->l4 + 6) == 0) /* "none sent": IPv4 allows it, IPv6 does not */
		return c->ip_version == 4;
	if (!sw)
		return true;
	uint32_t sum = c->ip_version == 4 ? unmo_pkt_csum_add(0, c->l3 + 12, 8)
					  : unmo_pkt_csum_add(0, c->l3 + 8, 32);
	sum += PROTO_UDP + ulen;
	return unmo_pkt_csum_fold(unmo_pkt_csum_add(sum, c->l4, ulen)) == 0;
}

enum l2l4_verdict l2l4_classify(uint8_t *d, uint32_t len, const struct net_host *h, uint16_t udp_port,
				enum l2l4_nic_cksum ip_ck, enum l2l4_nic_cksum udp_ck, bool sw_udp_cksum,
				struct l2l4 *c)
{
	memset(c, 0, sizeof *c);
	c->l2 = d;
	if (len < 14)
		return L2L4_BAD_L3;
	/* group (broadcast/multicast) addresses pass to the L3 checks */
	if (!(d[0] & 1) && memcmp(d, h->mac, 6))
		return L2L4_NOT_FOR_US;
	uint16_t et = ld16(d + 12);
	uint32_t off = 14;
	for (int tags = 0; tags < 2 && (et == ET_VLAN || et == ET_QINQ); tags++) {
		if (len < off + 4)
			return L2L4_BAD_L3;
		c->has_vlan = 1;
		c->vlan_tci = ld16(d + off);
		et = ld16(d + off + 2);
		off += 4;
	}
	uint8_t *l3 = d + off;
	c->l3 = l3;
	c->l3_len = len - off;
	uint32_t l4_len; /* L4 bytes the IP header claims */
	if (et == ET_IPV4) {
		if (c->l3_len < 20 || l3[0] >> 4 != 4)
			return L2L4_BAD_L3;
		uint32_t ihl = (l3[0] & 0x0fu) * 4u, tot = ld16(l3 + 2);
		if (ihl < 20 || tot < ihl || tot > c->l3_len || ip_ck == L2L4_CK_BAD ||
		    (ip_ck == L2L4_CK_UNKNOWN && !ip4_cksum_ok(l3, ihl)))
			return L2L4_BAD_L3;
		if (!h->ip4 || memcmp(l3 + 16, &h->ip4, 4))
			return L2L4_NOT_FOR_US;
		if (ld16(l3 + 6) & 0x3fffu) /* MF flag or a fragment offset */
			return L2L4_FRAGMENT;
		c->ip_version = 4;
		if (l3[9] == PROTO_ICMP)
			return L2L4_ICMP4;
		if (l3[9] != PROTO_UDP)
			return L2L4_NOT_FOR_US;
		c->l4 = l3 + ihl;
		l4_len = tot - ihl;
	} else if (et == ET_IPV6) {
		if (c->l3_len < 40 || l3[0] >> 4 != 6 || ld16(l3 + 4) + 40u > c->l3_len)
			return L2L4_BAD_L3;
		if (!h->has_ip6)
			return L2L4_NOT_FOR_US;
		c->ip_version = 6;
		if (l3[6] == PROTO_ICMP6) /* before the address: NS go to a group */
			return L2L4_ICMP6;
		if (memcmp(l3 + 24, h->ip6, 16))
			return L2L4_NOT_FOR_US;
		if (l3[6] == PROTO_FRAG6)
			return L2L4_FRAGMENT;
		if (l3[6] != PROTO_UDP) /* incl. extension headers: not supported */
			return L2L4_NOT_FOR_US;
		c->l4 = l3 + 40;
		l4_len = ld16(l3 + 4);
	} else if (et == ET_ARP) {
		return L2L4_ARP;
	} else {
		return L2L4_NOT_FOR_US;
	}
	if (l4_len < 8)
		return L2L4_BAD_L3;
	if (ld16(c->l4 + 2) != udp_port)
		return L2L4_NOT_FOR_US;
	uint32_t ulen = ld16(c->l4 + 4);
	if (ulen < 8 || ulen > l4_len)
		return L2L4_BAD_L3;
	if (!udp_cksum_ok(c, ulen, udp_ck, sw_udp_cksum))
		return L2L4_BAD_UDP_CKSUM;
	c->payload = c->l4 + 8;
	c->plen = ulen - 8;
	return L2L4_UDP;
}
