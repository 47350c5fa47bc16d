/* l2l4.h — the RX core's packet classifier, below the frame parsers.
 *
 * One received Ethernet frame [d, d + len) -> what it is for us: a UDP
 * datagram to our address and port (its payload located), an ARP packet,
 * an ICMP or ICMPv6 packet to answer (net.h does), or a drop reason.
 * Checked here: Ethernet with up to two 802.1Q/802.1ad tags (replies keep
 * the innermost), IPv4 (version, IHL, total length, header checksum unless
 * the NIC verified it, our address, no fragments), IPv6 (version, payload
 * length, our address; ICMPv6 before the address check, for neighbour
 * solicitations to the solicited-node group; fragments and extension
 * headers refused), UDP (length, our port, checksum unless the NIC verified
 * it or sw_udp_cksum is off; 0 accepted over IPv4 only). Group MAC
 * addresses pass to the L3 checks.
 * Contract: pure and bounds-checked: reads only [d, d + len), writes only
 * *out; no allocation, no DPDK runtime; thread-safe. The verdict's drop
 * reasons map to the appliance's counters (rx.c). tests/fuzz/fuzz_l2l4.c
 * feeds it arbitrary bytes.
 */
#ifndef INGEST_L2L4_H
#define INGEST_L2L4_H

#include <stdbool.h>
#include <stdint.h>

#include "net.h"

enum l2l4_verdict {
	L2L4_UDP,             /* payload/plen: a datagram to our address and port */
	L2L4_ARP,             /* l3/l3_len: an ARP packet (net_arp_reply decides) */
	L2L4_ICMP4,           /* l3/l3_len: ICMP to our IPv4 address */
	L2L4_ICMP6,           /* l3/l3_len: ICMPv6 (net_icmp6 decides) */
	L2L4_NOT_FOR_US,      /* other MAC, address, port, ethertype or protocol */
	L2L4_BAD_L3,          /* malformed header or lengths, bad IPv4 header checksum */
	L2L4_FRAGMENT,        /* IPv4 or IPv6 fragment */
	L2L4_BAD_UDP_CKSUM,   /* wrong UDP checksum, or 0 over IPv6 */
};

/* A checksum verdict from the NIC (RX offload), or none. */
enum l2l4_nic_cksum { L2L4_CK_UNKNOWN, L2L4_CK_GOOD, L2L4_CK_BAD };

struct l2l4 {
	uint8_t *l2, *l3, *l4;    /* into the frame */
	uint32_t l3_len;          /* bytes from l3 to the end of the frame */
	const uint8_t *payload;   /* UDP payload (L2L4_UDP) */
	uint32_t plen;
	uint8_t ip_version;       /* 4 or 6 (UDP, ICMP) */
	uint8_t has_vlan;
	uint16_t vlan_tci;        /* innermost tag, host order */
};

enum l2l4_verdict l2l4_classify(uint8_t *d, uint32_t len, const struct net_host *h, uint16_t udp_port,
				enum l2l4_nic_cksum ip_ck, enum l2l4_nic_cksum udp_ck, bool sw_udp_cksum,
				struct l2l4 *out);

#endif
