/* fuzz_pkt.c — libFuzzer target: Ethernet/VLAN/IPv4/IPv6/UDP frame parser
 * (lib/pkt.h). Invariants: no crash or overread; an accepted frame's payload
 * lies inside the input; re-building the frame from what was parsed gives a
 * frame that parses to the same addresses and payload with valid checksums. */
#include <stdlib.h>
#include <string.h>
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unmo_pkt_view v, w;
	if (unmo_pkt_parse(data, size, &v))
		return 0;
	if (v.payload < data || v.payload + v.payload_len > data + size)
		abort();
	if ((v.addr.ip_version != 4 && v.addr.ip_version != 6) ||
	    v.payload_len > unmo_pkt_max_payload(v.addr.ip_version) || v.addr.vlan > 4094)
		return 0;
	uint8_t f[UNMO_PKT_FRAME_MAX];
	size_t n = unmo_pkt_build(f, sizeof f, &v.addr, 7, v.payload, v.payload_len);
	if (!n || unmo_pkt_parse(f, n, &w) || !w.ip_csum_ok || !w.udp_csum_ok ||
	    w.payload_len != v.payload_len || memcmp(w.payload, v.payload, v.payload_len) ||
	    memcmp(&w.addr, &v.addr, sizeof v.addr))
		abort();
	return 0;
}
