/* fuzz_l2l4.c — libFuzzer target: the RX core's packet classifier
 * (app/l2l4.h). Input: one byte of mode (the NIC's IP / UDP checksum
 * verdicts, software UDP checksum on or off, whether the appliance owns the
 * frame's own destination addresses so that deep paths are reached), then
 * the frame. Invariants: no crash or overread (ASan); what the classifier
 * points at lies inside the frame; an accepted datagram, rebuilt by lib/pkt
 * with the same addresses, ports and payload, is accepted again with the
 * same payload and a software-verified checksum, and one flipped payload
 * bit then makes it bad_udp_cksum. */
#include <stdlib.h>
#include <string.h>

#include "l2l4.h"
#include "pkt.h"

static void inside(const uint8_t *p, uint32_t n, const uint8_t *d, uint32_t len)
{
	if (p && (p < d || p + n > d + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 9000)
		return 0;
	uint8_t mode = data[0];
	uint32_t len = (uint32_t)size - 1;
	uint8_t *d = malloc(len ? len : 1);
	if (!d)
		return 0;
	memcpy(d, data + 1, len);
	struct net_host h = {.mac = {2, 0, 0, 0, 0, 1}, .has_ip6 = true};
	memcpy(&h.ip4, (const uint8_t[]){10, 99, 0, 1}, 4);
	memcpy(h.ip6, (const uint8_t[]){0xfd, 0, 0, 0x99, [15] = 1}, 16);
	uint16_t port = 7100;
	if (mode & 0x20 && len >= 14) { /* own the frame's destination (untagged offsets) */
		memcpy(h.mac, d, 6);
		if (len >= 34)
			memcpy(&h.ip4, d + 30, 4);
		if (len >= 54)
			memcpy(h.ip6, d + 38, 16);
		uint32_t l4 = len <= 14 ? 34 : d[14] >> 4 == 6 ? 54 : 14 + (d[14] & 15u) * 4u;
		if (len >= l4 + 4)
			port = (uint16_t)(d[l4 + 2] << 8 | d[l4 + 3]);
	}
	enum l2l4_nic_cksum ipck = (enum l2l4_nic_cksum)(mode % 3), udpck = (enum l2l4_nic_cksum)(mode / 3 % 3);
	bool sw = mode & 0x40;
	struct l2l4 c;
	enum l2l4_verdict v = l2l4_classify(d, len, &h, port, ipck, udpck, sw, &c);
	if (v > L2L4_BAD_UDP_CKSUM)
		abort();
	if (v == L2L4_UDP || v == L2L4_ARP || v == L2L4_ICMP4 || v == L2L4_ICMP6)
		inside(c.l3, c.l3_len, d, len);
	if (v == L2L4_UDP) {
		inside(c.l4, 8, d, len);
		inside(c.payload, c.plen, d, len);
		if (c.ip_version != 4 && c.ip_version != 6)
			abort();
		struct unmo_pkt_addr a = {.vlan = (uint16_t)(c.has_vlan ? c.vlan_tci & 0xfffu : 0),
					  .ip_version = c.ip_version};
		memcpy(a.dst_mac, h.mac, 6);
		memcpy(a.src_mac, d + 6, 6);
		size_t alen = c.ip_version == 4 ? 4 : 16;
		memcpy(a.src_ip, c.l3 + (c.ip_version == 4 ? 12 : 8), alen);
		memcpy(a.dst_ip, c.l3 + (c.ip_version == 4 ? 16 : 24), alen);
		a.src_port = (uint16_t)(c.l4[0] << 8 | c.l4[1]);
		a.dst_port = port;
		uint8_t f[UNMO_PKT_FRAME_MAX];
		size_t n = unmo_pkt_build(f, sizeof f, &a, 1, c.payload, c.plen); /* 0: too long, tag 4095 */
		if (n) {
			struct l2l4 r;
			if (l2l4_classify(f, (uint32_t)n, &h, port, L2L4_CK_UNKNOWN, L2L4_CK_UNKNOWN, true, &r) !=
				    L2L4_UDP ||
			    r.plen != c.plen || memcmp(r.payload, c.payload, c.plen))
				abort();
			if (c.plen) {
				f[n - 1] ^= 1;
				if (l2l4_classify(f, (uint32_t)n, &h, port, L2L4_CK_UNKNOWN, L2L4_CK_UNKNOWN, true,
						  &r) != L2L4_BAD_UDP_CKSUM)
					abort();
			}
		}
	}
	free(d);
	return 0;
}
