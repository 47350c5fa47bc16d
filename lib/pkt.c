/* pkt.c — Ethernet/IP/UDP frame builder and parser, pcap writer and reader
 * (contract: pkt.h). */
#include "pkt.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void st16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t ld16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t unmo_pkt_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	/* Callers add whole 16-bit words except possibly at the very end.
	 * RFC 1071: the ones'-complement sum is the same whatever the byte
	 * order of the words, byte-swapped. So add the bytes as native 32-bit
	 * words into 64 bits (8 bytes a step, no carry lost; the appliance
	 * checks ~1.4 KB per datagram), fold to 16 bits and swap once. */
	uint64_t acc = 0;
	for (; n >= 8; p += 8, n -= 8) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		acc += (uint64_t)a + b;
	}
	if (n >= 4) {
		uint32_t a;
		memcpy(&a, p, 4);
		acc += a;
		p += 4, n -= 4;
	}
	if (n >= 2) {
		uint16_t a;
		memcpy(&a, p, 2);
		acc += a;
		p += 2, n -= 2;
	}
	if (n) { /* the odd last byte is the high byte of a big-endian word */
		uint8_t w[2] = {p[0], 0};
		uint16_t a;
		memcpy(&a, w, 2);
		acc += a;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	uint32_t v = (uint32_t)(acc & 0xffffu) + (uint32_t)(acc >> 16 & 0xffffu) + (uint32_t)(acc >> 32);
	v = (v & 0xffffu) + (v >> 16);
	v = (v & 0xffffu) + (v >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = (uint32_t)__builtin_bswap16((uint16_t)v);
#endif
	sum += v;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t unmo_pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo_sum(const struct unmo_pkt_addr *a, size_t udp_len)
{
	size_t alen = a->ip_version == 6 ? 16 : 4;
	uint32_t sum = unmo_pkt_csum_add(0, a->src_ip, alen);
	sum = unmo_pkt_csum_add(sum, a->dst_ip, alen);
	/* IPv4: zero, protocol, UDP length; IPv6: 32-bit length, 3 zeros, next header. */
	return sum + 17u + (uint32_t)(udp_len & 0xffff) + (uint32_t)(udp_len >> 16);
}

uint16_t unmo_pkt_udp_csum_residue(const struct unmo_pkt_addr *a, const uint8_t *udp, size_t udp_len)
{
	return unmo_pkt_csum_fold(unmo_pkt_csum_add(pseudo_sum(a, udp_len), udp, udp_len));
}

size_t unmo_pkt_build(uint8_t *dst, size_t cap, const struct unmo_pkt_addr *a, uint16_t ip_id,
		      const uint8_t *payload, size_t n)
{
	if ((a->ip_version != 4 && a->ip_version != 6) || a->vlan > 4094 ||
	    n > unmo_pkt_max_payload(a->ip_version))
		return 0;
	size_t l2 = UNMO_PKT_ETH_HDR + (a->vlan ? UNMO_PKT_VLAN_HDR : 0);
	size_t l3 = a->ip_version == 6 ? 40 : 20;
	size_t total = l2 + l3 + 8 + n;
	if (total > cap)
		return 0;
	uint8_t *p = dst;
	memcpy(p, a->dst_mac, 6);
	memcpy(p + 6, a->src_mac, 6);
	p += 12;
	if (a->vlan) {
		st16be(p, 0x8100);
		st16be(p + 2, a->vlan);
		p += 4;
	}
	st16be(p, a->ip_version == 6 ? 0x86dd : 0x0800);
	p += 2;
	size_t udp_len = 8 + n;
	if (a->ip_version == 4) {
		p[0] = 0x45;
		p[1] = 0;
		st16be(p + 2, (uint16_t)(20 + udp_len));
		st16be(p + 4, ip_id);
		st16be(p + 6, 0x4000); /* DF */
		p[8] = 64;
		p[9] = 17;
		st16be(p + 10, 0);
		memcpy(p + 12, a->src_ip, 4);
		memcpy(p + 16, a->dst_ip, 4);
		st16be(p + 10, unmo_pkt_csum_fold(unmo_pkt_csum_add(0, p, 20)));
	} else {
		p[0] = 0x60;
		p[1] = p[2] = p[3] = 0;
		st16be(p + 4, (uint16_t)udp_len);
		p[6] = 17;
		p[7] = 64;
		memcpy(p + 8, a->src_ip, 16);
		memcpy(p + 24, a->dst_ip, 16);
	}
	p += l3;
	st16be(p, a->src_port);
	st16be(p + 2, a->dst_port);
	st16be(p + 4, (uint16_t)udp_len);
	st16be(p + 6, 0);
	if (n)
		memcpy(p + 8, payload, n);
	uint16_t c = unmo_pkt_udp_csum_residue(a, p, udp_len);
	st16be(p + 6, c ? c : 0xffff); /* 0 means "no checksum" (and is illegal over IPv6) */
	return total;
}

const char *unmo_pkt_parse(const uint8_t *f, size_t n, struct unmo_pkt_view *v)
{
	memset(v, 0, sizeof *v);
	if (n < UNMO_PKT_ETH_HDR)
		return "truncated";
	memcpy(v->addr.dst_mac, f, 6);
	memcpy(v->addr.src_mac, f + 6, 6);
	size_t off = 12;
	uint16_t et = ld16be(f + off);
	if (et == 0x8100) {
		if (n < off + 6)
			return "truncated";
		v->addr.vlan = ld16be(f + off + 2) & 0x0fff;
		off += 4;
		et = ld16be(f + off);
	}
	off += 2;
	const uint8_t *ip = f + off;
	size_t room = n - off, udp_len;
	const uint8_t *udp;
	if (et == 0x0800) {
		if (room < 20)
			return "truncated";
		size_t ihl = (size_t)(ip[0] & 15) * 4, tot = ld16be(ip + 2);
		if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || tot > room)
			return tot > room && ihl >= 20 ? "truncated" : "bad_ip_header";
		if (ld16be(ip + 6) & 0x3fff)
			return "ip_fragment";
		if (ip[9] != 17)
			return "not_udp";
		v->addr.ip_version = 4;
		memcpy(v->addr.src_ip, ip + 12, 4);
		memcpy(v->addr.dst_ip, ip + 16, 4);
		v->ip_csum_ok = unmo_pkt_csum_fold(unmo_pkt_csum_add(0, ip, ihl)) == 0;
		udp = ip + ihl;
		udp_len = tot - ihl;
	} else if (et == 0x86dd) {
		if (room < 40)
			return "truncated";
		size_t plen = ld16be(ip + 4);
		if ((ip[0] >> 4) != 6)
			return "bad_ip_header";
		if (plen > room - 40)
			return "truncated";
		if (ip[6] == 44)
			return "ip_fragment";
		if (ip[6] != 17)
			return "not_udp";
		v->addr.ip_version = 6;
		memcpy(v->addr.src_ip, ip + 8, 16);
		memcpy(v->addr.dst_ip, ip + 24, 16);
		v->ip_csum_ok = true;
		udp = ip + 40;
		udp_len = plen;
	} else {
		return "not_ip";
	}
	if (udp_len < 8 || ld16be(udp + 4) != udp_len)
		return "bad_udp_length";
	v->addr.src_port = ld16be(udp);
	v->addr.dst_port = ld16be(udp + 2);
	v->udp_csum_ok = (v->addr.ip_version == 4 && ld16be(udp + 6) == 0) ||
			 unmo_pkt_udp_csum_residue(&v->addr, udp, udp_len) == 0;
	v->payload = udp + 8;
	v->payload_len = udp_len - 8;
	return NULL;
}

int unmo_pkt_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* ---- pcap ---- */

struct unmo_pcapw {
	pcap_t *dead;
	pcap_dumper_t *dump;
	char path[4096];
};

struct unmo_pcapw *unmo_pcapw_open(const char *path, char *err, size_t errlen)
{
	struct unmo_pcapw *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	snprintf(w->path, sizeof w->path, "%s", path);
	w->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO);
	if (w->dead)
		w->dump = pcap_dump_open(w->dead, path);
	if (!w->dump) {
		snprintf(err, errlen, "%s: %s", path, w->dead ? pcap_geterr(w->dead) : "pcap_open_dead failed");
		if (w->dead)
			pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

int unmo_pcapw_write(struct unmo_pcapw *w, int64_t ts_us, const uint8_t *frame, size_t len,
		     char *err, size_t errlen)
{
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof h);
	if (ts_us < 0)
		ts_us = 0;
	h.ts.tv_sec = (time_t)(ts_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)w->dump, &h, frame);
	if (ferror(pcap_dump_file(w->dump))) {
		snprintf(err, errlen, "%s: write error", w->path);
		return -1;
	}
	return 0;
}

int unmo_pcapw_close(struct unmo_pcapw *w, char *err, size_t errlen)
{
	if (!w)
		return 0;
	int rc = 0;
	if (pcap_dump_flush(w->dump) != 0 || ferror(pcap_dump_file(w->dump))) {
		snprintf(err, errlen, "%s: write error", w->path);
		rc = -1;
	}
	pcap_dump_close(w->dump);
	pcap_close(w->dead);
	free(w);
	return rc;
}

struct unmo_pcapr {
	pcap_t *p;
	char path[4096];
};

struct unmo_pcapr *unmo_pcapr_open(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct unmo_pcapr *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!r->p) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		free(r);
		return NULL;
	}
	if (pcap_datalink(r->p) != DLT_EN10MB) {
		snprintf(err, errlen, "%s: not an Ethernet capture", path);
		pcap_close(r->p);
		free(r);
		return NULL;
	}
	snprintf(r->path, sizeof r->path, "%s", path);
	return r;
}

int unmo_pcapr_next(struct unmo_pcapr *r, int64_t *ts_us, const uint8_t **frame, size_t *len,
		    char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(r->p, &h, &data);
	if (rc == 1) {
		*ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		*frame = data;
		*len = h->caplen;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	snprintf(err, errlen, "%s: %s", r->path, pcap_geterr(r->p));
	return -1;
}

void unmo_pcapr_close(struct unmo_pcapr *r)
{
	if (!r)
		return;
	pcap_close(r->p);
	free(r);
}
