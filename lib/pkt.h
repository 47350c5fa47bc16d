/* pkt.h — Ethernet (+ optional 802.1Q) / IPv4 or IPv6 / UDP datagrams, and
 * pcap files of them (libpcap): what unmo-gen writes for net_pcap, tcpreplay
 * and pktgen, and what the tests read back.
 *
 * Contract:
 *  - unmo_pkt_build writes one complete Ethernet frame into the caller's
 *    buffer (never past cap) with a correct IPv4 header checksum and a
 *    correct UDP checksum (pseudo-header of IPv4 or IPv6; a computed 0 is
 *    sent as 0xffff). IPv4: DF set, TTL 64, no options; IPv6: hop limit 64,
 *    no extension headers. Pure, thread-safe.
 *  - unmo_pkt_parse is the inverse for tests and tools: bounds-checked,
 *    zero-copy (the payload points into the frame), it accepts exactly the
 *    shapes above plus IPv4 options, and reports checksum validity instead of
 *    failing on it. Returns NULL or a static reason string.
 *  - Payload limit: UNMO_PKT_MAX_PAYLOAD4 (1472) bytes over IPv4 and
 *    UNMO_PKT_MAX_PAYLOAD6 (1452) over IPv6 keep every frame within a
 *    1500-byte MTU (the VLAN tag does not count against the MTU).
 *  - pcap writer/reader: single-threaded objects; errors name the file.
 *    Timestamps are microseconds since the Unix epoch.
 */
#ifndef UNMO_PKT_H
#define UNMO_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNMO_PKT_MAX_PAYLOAD4 1472u
#define UNMO_PKT_MAX_PAYLOAD6 1452u
#define UNMO_PKT_ETH_HDR 14u
#define UNMO_PKT_VLAN_HDR 4u
#define UNMO_PKT_HDR_MAX (14u + 4u + 40u + 8u) /* Ethernet + VLAN + IPv6 + UDP */
#define UNMO_PKT_FRAME_MAX (UNMO_PKT_HDR_MAX + UNMO_PKT_MAX_PAYLOAD4)

struct unmo_pkt_addr {
	uint8_t src_mac[6], dst_mac[6];
	uint16_t vlan;       /* 802.1Q VLAN id 1..4094; 0 = untagged */
	uint8_t ip_version;  /* 4 or 6 */
	uint8_t src_ip[16], dst_ip[16]; /* IPv4 in [0..3], network byte order */
	uint16_t src_port, dst_port;    /* host byte order */
};

static inline size_t unmo_pkt_max_payload(uint8_t ip_version)
{
	return ip_version == 6 ? UNMO_PKT_MAX_PAYLOAD6 : UNMO_PKT_MAX_PAYLOAD4;
}

/* Build the frame for payload[0..n). ip_id is the IPv4 identification
 * (ignored for IPv6). Returns the frame length, or 0 when cap is too small,
 * n is over the payload limit, or ip_version/vlan is invalid. */
size_t unmo_pkt_build(uint8_t *dst, size_t cap, const struct unmo_pkt_addr *a, uint16_t ip_id,
		      const uint8_t *payload, size_t n);

struct unmo_pkt_view {
	struct unmo_pkt_addr addr;
	const uint8_t *payload;
	size_t payload_len;
	bool ip_csum_ok;  /* IPv4 header checksum (true for IPv6) */
	bool udp_csum_ok; /* UDP checksum verified (a 0 checksum over IPv4 counts as ok) */
};

/* Parse a frame. Reasons: "truncated", "not_ip", "not_udp", "bad_ip_header",
 * "bad_udp_length", "ip_fragment". Trailing bytes after the IP datagram
 * (Ethernet padding) are allowed. */
const char *unmo_pkt_parse(const uint8_t *frame, size_t n, struct unmo_pkt_view *v);

/* Internet checksum (RFC 1071) helpers, exposed so tests can recompute. */
uint32_t unmo_pkt_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t unmo_pkt_csum_fold(uint32_t sum);
/* UDP checksum over the pseudo-header + udp[0..udp_len) as stored in the
 * frame (the checksum field itself included: a correct datagram gives 0). */
uint16_t unmo_pkt_udp_csum_residue(const struct unmo_pkt_addr *a, const uint8_t *udp, size_t udp_len);

/* Parse "aa:bb:cc:dd:ee:ff"; returns 0 or -1. */
int unmo_pkt_parse_mac(const char *s, uint8_t mac[6]);

/* ---- pcap files (libpcap, LINKTYPE_ETHERNET, microsecond timestamps) ---- */
struct unmo_pcapw;
struct unmo_pcapw *unmo_pcapw_open(const char *path, char *err, size_t errlen);
/* Returns 0, or -1 with err filled (write error). */
int unmo_pcapw_write(struct unmo_pcapw *w, int64_t ts_us, const uint8_t *frame, size_t len,
		     char *err, size_t errlen);
/* Flush, check for write errors and close. Returns 0 or -1 (err filled). */
int unmo_pcapw_close(struct unmo_pcapw *w, char *err, size_t errlen);

struct unmo_pcapr;
struct unmo_pcapr *unmo_pcapr_open(const char *path, char *err, size_t errlen);
/* Next packet: 1 with *frame (valid until the next call), *len and *ts_us;
 * 0 at the end; -1 on a read error (err filled). */
int unmo_pcapr_next(struct unmo_pcapr *r, int64_t *ts_us, const uint8_t **frame, size_t *len,
		    char *err, size_t errlen);
void unmo_pcapr_close(struct unmo_pcapr *r);

#endif
