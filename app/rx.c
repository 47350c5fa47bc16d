/* rx.c — the RX lcore loop (see rx.h). */
#include "rx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "frame_bin.h"
#include "segment.h"
#include "http_lite.h"
#include "l2l4.h"
#include "tenant.h"
#include "tenant_view.h"

#define MAX_BURST 256u
#define PREFETCH_AHEAD 4u
#define DRAIN_WAIT_S 30u
#define RX_PAUSE_SLEEP_US 20u

/* ---------------- counters ---------------- */

static inline void drop_id(struct rx_ctx *x, unsigned id, uint16_t port_idx)
{
	x->st.drops[id]++;
	x->st.port[port_idx].drops++;
}

/* Lib reasons are static strings: cache pointer -> id (drop path only). */
static void drop_reason(struct rx_ctx *x, const char *reason, uint16_t port_idx)
{
	unsigned h = (unsigned)((uintptr_t)reason >> 3) & 15u;
	if (x->reason_ptr[h] != reason) {
		x->reason_ptr[h] = reason;
		x->reason_id[h] = (uint16_t)stats_reason_id(reason);
	}
	drop_id(x, x->reason_id[h], port_idx);
}

/* ---------------- chunks ---------------- */

static void take_back(struct rx_ctx *x)
{
	void *back[64];
	unsigned n;
	while ((n = rte_ring_dequeue_burst(x->link->free, back, 64, NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			unsigned tag = link_msg_tag(back[i]);
			if (tag) { /* "durable up to N" / "N failed" (ring.h) */
				uint64_t seq = link_msg_seq(back[i]);
				ack_release(&x->ack, seq, tag == LINK_MSG_FAILED, x->tx, x->mp, &x->st);
				if (seq > x->settled_seq)
					x->settled_seq = seq;
				continue;
			}
			struct ingest_chunk *ck = back[i];
			ck->seq = 0;
			ck->block_len = 0;
			unmo_chunk_reset(&ck->c);
			x->spare[x->nb_spare++] = ck;
		}
	}
}

static struct ingest_chunk *open_chunk(struct rx_ctx *x)
{
	if (!x->nb_spare)
		take_back(x);
	if (!x->nb_spare)
		return NULL;
	struct ingest_chunk *ck = x->spare[--x->nb_spare];
	ck->seq = x->next_chunk_seq++;
	x->cur = ck;
	return ck;
}

static void hand_off(struct rx_ctx *x)
{
	struct ingest_chunk *ck = x->cur;
	if (!ck)
		return;
	x->cur = NULL;
	if (!ck->c.count) { /* nothing in it: keep it */
		ck->seq = 0;
		x->next_chunk_seq--;
		x->spare[x->nb_spare++] = ck;
		return;
	}
	/* While the writer is the bottleneck (a quarter of this core's chunks
	 * handed to it and not back: take_back runs every loop pass), this core
	 * has cycles to spare and the writer none: LZ4-encode the block here,
	 * so the writer only copies it. Both cores then stay busy: the writer
	 * on its backlog, this core on what would make it grow. A quarter, not
	 * less: a writer that keeps up but naps 0.1 ms when idle can have ~15
	 * chunks out at 16 M events/s. An RX core whose writer keeps up never
	 * encodes (--rx-encode auto). */
	if (x->cfg->rx_encode == RX_ENCODE_ALWAYS ||
	    (x->cfg->rx_encode == RX_ENCODE_AUTO &&
	     unlikely(x->link->nb_chunks - x->nb_spare - 1u >= x->link->nb_chunks / 4u))) {
		ck->block_len = (uint32_t)unmo_seg_block_encode(ck->block, sizeof ck->block, &ck->c, &ck->meta);
		if (ck->block_len) /* else (cannot happen for a non-empty chunk) the writer encodes */
			x->st.chunks_encoded++;
	}
	x->st.chunks_handed++;
	x->handed_seq = ck->seq;
	/* Cannot fail: the ring holds the whole pool (ring.h). */
	rte_ring_enqueue(x->link->full, ck);
}

/* The current chunk, switched first if `need` more bytes would not fit. */
static struct ingest_chunk *chunk_for(struct rx_ctx *x, uint32_t need)
{
	if (x->cur && x->cur->c.len + need > UNMO_CHUNK_CAP)
		hand_off(x);
	if (!x->cur)
		return open_chunk(x);
	return x->cur;
}

/* ---------------- packet context ---------------- */

struct pkt {
	uint8_t *l2, *l3, *l4;
	uint8_t ip_version;
	uint8_t has_vlan;
	uint16_t vlan_tci;
	uint16_t port_idx;
};

static void reply_addr_fill(const struct rx_ctx *x, const struct pkt *p, struct reply_addr *a)
{
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)p->l2;
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)p->l4;
	memcpy(a->peer_mac, eh->src_addr.addr_bytes, 6);
	memcpy(a->our_mac, x->host[p->port_idx].mac, 6);
	a->has_vlan = p->has_vlan;
	a->vlan_tci = p->vlan_tci;
	a->ip_version = p->ip_version;
	a->port_idx = p->port_idx;
	a->peer_port = uh->src_port;
	a->our_port = uh->dst_port;
	if (p->ip_version == 4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p->l3;
		memcpy(a->peer_ip, &ip->src_addr, 4);
		memcpy(a->our_ip, &ip->dst_addr, 4);
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)p->l3;
		memcpy(a->peer_ip, ip->src_addr, 16);
		memcpy(a->our_ip, ip->dst_addr, 16);
	}
}

static void reply_now(struct rx_ctx *x, const struct pkt *p, const void *buf, size_t len,
		      uint64_t *sent)
{
	struct reply_addr a;
	reply_addr_fill(x, p, &a);
	struct rte_mbuf *m = net_udp_reply(x->mp, &a, buf, (uint16_t)len);
	if (!m) {
		x->st.responses_dropped++;
		return;
	}
	tx_buf_add(&x->tx[p->port_idx], m);
	(*sent)++;
}

static void http_reply_now(struct rx_ctx *x, const struct pkt *p, int status, uint32_t acc,
			   uint32_t rej, const char *reason)
{
	char buf[256];
	size_t n = unmo_http_response(buf, sizeof buf, status, acc, rej, reason);
	if (n)
		reply_now(x, p, buf, n, &x->st.http_sent);
}

/* ---------------- binary frames ---------------- */

/* Open addressing over RX_TENANT_CACHE slots, RX_TENANT_PROBE probes: a
 * handful of tenants never evict one another; with many, a miss costs one
 * registry lookup and overwrites the home slot. */
static inline const struct unmo_tenant *tenant_by_key_id(struct rx_ctx *x, uint64_t key_id,
							 uint16_t *app_len)
{
	uint32_t home = (uint32_t)((key_id * 0x9e3779b97f4a7c15ull) >> 32);
	struct rx_tenant_cache *free_slot = NULL;
	for (uint32_t k = 0; k < RX_TENANT_PROBE; k++) {
		struct rx_tenant_cache *c = &x->tcache[(home + k) & (RX_TENANT_CACHE - 1)];
		if (likely(c->tn && c->key_id == key_id)) {
			*app_len = c->app_len;
			return c->tn;
		}
		if (!c->tn) {
			free_slot = c;
			break;
		}
	}
	const struct unmo_tenant *tn = unmo_tenants_by_key_id(x->view->reg, key_id);
	if (tn) { /* unknown keys are not cached: they cannot evict good ones */
		struct rx_tenant_cache *c = free_slot ? free_slot : &x->tcache[home & (RX_TENANT_CACHE - 1)];
		c->key_id = key_id;
		c->tn = tn;
		c->app_len = (uint16_t)strlen(tn->app_id);
		*app_len = c->app_len;
	}
	return tn;
}

static void take_binary(struct rx_ctx *x, const struct pkt *p, const uint8_t *buf, uint32_t len,
			int64_t now_us)
{
	struct unmo_fb_view v;
	const char *why = unmo_fb_parse(buf, len, &v);
	x->st.frames_bin++;
	if (why)
		return drop_reason(x, why, p->port_idx);
	uint16_t app_len;
	const struct unmo_tenant *tn = tenant_by_key_id(x, v.key_id, &app_len);
	if (!tn)
		return drop_id(x, STATS_R_BAD_KEY, p->port_idx);
	struct tenant_stats *ts = &x->st.tenant[x->view->slot[tn->index]];
	if (v.tag) {
		if (!unmo_fb_verify_tag(&v, tn->secret)) {
			ts->rejected++;
			return drop_id(x, STATS_R_AUTH_FAIL, p->port_idx);
		}
	} else if (tn->auth_required) {
		ts->rejected++;
		return drop_reason(x, UNMO_FB_NO_TAG, p->port_idx);
	}
	struct sender_entry *s = ack_sender(&x->ack, v.key_id, v.sender_id);
	if (!s)
		return drop_id(x, STATS_R_SENDER_TABLE_FULL, p->port_idx);
	if (!s->received.started && v.sequence <= UNMO_SEQWIN_BITS) {
		/* A young sender (sequences start at 1): anchor both windows at 1, so
		 * that frames before the first one we see (lost on the way, e.g.
		 * while ARP resolved) are neither claimed by an ack nor refused as
		 * duplicates when resent. Older senders (an appliance restart) anchor
		 * at the first sequence seen (seqwin.h; docs/operating.md). */
		s->received.started = s->durable.started = true;
		s->received.cum = s->durable.cum = 1;
	}
	enum unmo_seq_verdict verdict = unmo_seqwin_check(&s->received, v.sequence);
	if (unlikely(x->cfg->bench_allow_replay && verdict != UNMO_SEQ_NEW)) {
		/* benchmark mode: a replayed pcap repeats sequences; start afresh */
		unmo_seqwin_init(&s->received);
		unmo_seqwin_init(&s->durable);
		verdict = UNMO_SEQ_NEW;
	}
	switch (verdict) {
	case UNMO_SEQ_NEW:
		break;
	case UNMO_SEQ_DUPLICATE:
		ts->rejected++;
		drop_id(x, STATS_R_DUPLICATE, p->port_idx);
		if (v.flags & UNMO_FB_ACK_REQ) {
			/* Re-ack with what is durable now (never claims more). */
			uint8_t ab[UNMO_ACK_LEN];
			struct unmo_ack ack = {s->key_id, s->sender_id, s->durable.cum,
					       unmo_seqwin_ack_bitmap(&s->durable)};
			size_t n = unmo_ack_encode(ab, sizeof ab, &ack);
			if (n && s->durable.started)
				reply_now(x, p, ab, n, &x->st.acks_sent);
		}
		return;
	case UNMO_SEQ_TOO_FAR:
		ts->rejected++;
		return drop_id(x, STATS_R_SEQ_TOO_FAR, p->port_idx);
	}
	if (ack_pending_full(&x->ack))
		return drop_id(x, STATS_R_PENDING_FULL, p->port_idx);

	/* The whole frame goes into one chunk so that a bad record can be rolled
	 * back: reserve the worst case (every record gains the app_id). */
	uint64_t need = (uint64_t)v.events_len + (uint64_t)v.count * (2u + app_len);
	if (need > UNMO_CHUNK_CAP)
		return drop_id(x, STATS_R_FRAME_TOO_LARGE, p->port_idx);
	struct ingest_chunk *ck = chunk_for(x, (uint32_t)need);
	if (!ck)
		return drop_id(x, STATS_R_RING_FULL, p->port_idx);
	struct unmo_chunk *c = &ck->c;
	struct unmo_str app = {tn->app_id, app_len};
	/* Walk the records (as unmo_fb_next_event does, same reasons): one pass
	 * per record validates it and copies it with the appliance's fields
	 * filled (unmo_record_check_fill). Working copies of the chunk's length,
	 * count and time range: written back only when the whole frame is good,
	 * which also rolls back a frame with a bad record. */
	uint32_t clen = c->len, ccount = c->count;
	int64_t tmin = c->min_time_us, tmax = c->max_time_us;
	size_t pos = 0;
	for (uint32_t i = 0; i < v.count; i++) {
		struct unmo_record_seen seen;
		if (unlikely(pos == v.events_len)) { /* fewer records than the count */
			why = UNMO_FB_BAD_COUNT;
			break;
		}
		why = unmo_record_check_fill(c->data + clen, UNMO_CHUNK_CAP - clen, v.events + pos,
					     v.events_len - pos, app, now_us, v.sender_id, v.sequence,
					     &seen);
		if (unlikely(why != NULL))
			break;
		if (seen.app_id.len && unlikely(!unmo_str_eq(seen.app_id, app))) {
			why = stats_reason_names[STATS_R_APP_MISMATCH];
			break;
		}
		if (unlikely(!seen.written)) {
			why = stats_reason_names[STATS_R_BAD_EVENT];
			break;
		}
		pos += seen.used;
		clen += (uint32_t)seen.written;
		ccount++;
		tmin = seen.event_time_us < tmin ? seen.event_time_us : tmin;
		tmax = seen.event_time_us > tmax ? seen.event_time_us : tmax;
	}
	if (!why && pos != v.events_len)
		why = UNMO_FB_BAD_COUNT;
	if (unlikely(why != NULL)) {
		ts->rejected++;
		return drop_reason(x, why, p->port_idx);
	}
	uint32_t added = ccount - c->count, bytes = clen - c->len;
	if (!c->count)
		c->opened_tsc = rte_rdtsc();
	c->len = clen;
	c->count = ccount;
	c->min_time_us = tmin;
	c->max_time_us = tmax;
	unmo_seqwin_mark(&s->received, v.sequence);
	x->st.events += added;
	x->st.record_bytes += bytes;
	x->st.port[p->port_idx].frames++;
	x->st.port[p->port_idx].events += added;
	ts->frames++;
	ts->events += added;
	ts->bytes += len;
	struct pending *pd = ack_pending_push(&x->ack);
	pd->first_chunk = pd->last_chunk = ck->seq;
	pd->kind = PEND_BIN;
	pd->want_reply = (v.flags & UNMO_FB_ACK_REQ) != 0;
	pd->sender = ack_sender_slot(&x->ack, s);
	pd->seq = v.sequence;
	if (pd->want_reply)
		reply_addr_fill(x, p, &pd->addr);
}

/* ---------------- HTTP-lite ---------------- */

static void event_id_generate(struct rx_ctx *x, uint8_t id[16])
{
	uint64_t n = ++x->id_counter;
	memcpy(id, x->run_id, 8);
	id[8] = (uint8_t)x->id;
	for (int i = 0; i < 7; i++)
		id[9 + i] = (uint8_t)(n >> (8 * (6 - i)));
}

static bool event_id_absent(const uint8_t id[16])
{
	static const uint8_t zero[16];
	return !memcmp(id, zero, 16);
}

static void take_http(struct rx_ctx *x, const struct pkt *p, char *buf, uint32_t len,
		      int64_t now_us)
{
	struct unmo_http_req req;
	int status = 400;
	memset(&req, 0, sizeof req);
	x->st.frames_http++;
	const char *why = unmo_http_parse(buf, len, &req, &status);
	if (why) {
		drop_reason(x, why, p->port_idx);
		if (req.want_reply)
			http_reply_now(x, p, status, 0, 0, why);
		return;
	}
	enum unmo_key_kind kind;
	const struct unmo_tenant *tn =
		req.api_key ? unmo_tenants_by_api_key(x->view->reg, req.api_key, req.api_key_len, &kind)
			    : NULL;
	if (!tn) {
		drop_id(x, STATS_R_BAD_KEY, p->port_idx);
		if (req.want_reply)
			http_reply_now(x, p, 401, 0, 0, stats_reason_names[STATS_R_BAD_KEY]);
		return;
	}
	struct tenant_stats *ts = &x->st.tenant[x->view->slot[tn->index]];
	if (req.want_reply && ack_pending_full(&x->ack)) {
		drop_id(x, STATS_R_PENDING_FULL, p->port_idx);
		http_reply_now(x, p, 429, 0, 0, "pending_full");
		return;
	}
	struct unmo_str app = {tn->app_id, (uint16_t)strlen(tn->app_id)};
	uint32_t accepted = 0, rejected = 0;
	const char *first_reason = NULL; /* why the first refused event was refused (static) */
	uint64_t first_chunk = 0, last_chunk = 0;
	size_t state = 0;
	bool done = false;
	struct unmo_event e;
	uint64_t bytes0 = x->st.record_bytes;
	int refused_status = 0; /* the status of the first refused event (400/413) */
	for (;;) {
		why = unmo_http_next_event(&req, &state, &e, &done, &status);
		if (done || why == UNMO_HTTP_ITERATION_OVER) {
			why = NULL;
			break;
		}
		if (why) { /* one refused event, or the unreadable rest of the body */
			drop_reason(x, why, p->port_idx);
			rejected++;
			ts->rejected++;
			refused_status = refused_status ? refused_status : status;
			first_reason = first_reason ? first_reason : why;
			continue;
		}
		if (e.s[UNMO_S_APP_ID].len && !unmo_str_eq(e.s[UNMO_S_APP_ID], app)) {
			rejected++;
			ts->rejected++;
			drop_id(x, STATS_R_APP_MISMATCH, p->port_idx);
			first_reason = first_reason ? first_reason : stats_reason_names[STATS_R_APP_MISMATCH];
			continue;
		}
		e.s[UNMO_S_APP_ID] = app;
		e.recv_time_us = now_us;
		e.sender_id = 0;
		e.sequence = 0;
		if (event_id_absent(e.event_id))
			event_id_generate(x, e.event_id);
		size_t need = unmo_record_size(&e);
		struct ingest_chunk *ck = need <= UNMO_CHUNK_CAP ? chunk_for(x, (uint32_t)need) : NULL;
		if (!ck) {
			why = need <= UNMO_CHUNK_CAP ? stats_reason_names[STATS_R_RING_FULL]
						     : stats_reason_names[STATS_R_FRAME_TOO_LARGE];
			status = 429;
			break;
		}
		uint32_t before = ck->c.len;
		if (!unmo_chunk_add(&ck->c, &e)) {
			rejected++;
			ts->rejected++;
			drop_id(x, STATS_R_BAD_EVENT, p->port_idx);
			first_reason = first_reason ? first_reason : stats_reason_names[STATS_R_BAD_EVENT];
			continue;
		}
		if (ck->c.count == 1)
			ck->c.opened_tsc = rte_rdtsc();
		x->st.record_bytes += ck->c.len - before;
		if (!first_chunk)
			first_chunk = ck->seq;
		last_chunk = ck->seq;
		accepted++;
	}
	if (why) {
		/* No room for the event (429): events before it stay taken; the
		 * rest of the datagram counts once under the reason. */
		drop_reason(x, why, p->port_idx);
		rejected++;
		ts->rejected++;
		first_reason = first_reason ? first_reason : why;
	}
	x->st.events += accepted;
	x->st.port[p->port_idx].frames++;
	x->st.port[p->port_idx].events += accepted;
	ts->frames++;
	ts->events += accepted;
	ts->bytes += x->st.record_bytes - bytes0;
	if (!req.want_reply)
		return;
	if (!accepted) {
		http_reply_now(x, p, why ? status : refused_status ? refused_status : rejected ? 400 : 202, 0,
			       rejected, why ? why : first_reason);
		return;
	}
	struct pending *pd = ack_pending_push(&x->ack);
	pd->first_chunk = first_chunk;
	pd->last_chunk = last_chunk;
	pd->kind = PEND_HTTP;
	pd->want_reply = true;
	pd->status = 202;
	pd->accepted = accepted;
	pd->rejected = rejected;
	pd->reason = first_reason;
	reply_addr_fill(x, p, &pd->addr);
}

/* ---------------- classification ---------------- */

static inline bool looks_like_http(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;
	while (i < n && i < 8 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	return i > 0 && i < n && p[i] == ' ';
}

/* The NIC's checksum verdict (RX offload) for the IP header or L4. "NONE"
 * (the checksum field is not right but the data is, e.g. virtio between
 * guests of one host) counts as good, as DPDK defines it. */
static inline enum l2l4_nic_cksum nic_cksum(uint64_t ol, bool ip)
{
	uint64_t st = ol & (ip ? RTE_MBUF_F_RX_IP_CKSUM_MASK : RTE_MBUF_F_RX_L4_CKSUM_MASK);
	uint64_t bad = ip ? RTE_MBUF_F_RX_IP_CKSUM_BAD : RTE_MBUF_F_RX_L4_CKSUM_BAD;
	return st == 0 ? L2L4_CK_UNKNOWN : st == bad ? L2L4_CK_BAD : L2L4_CK_GOOD; /* GOOD or NONE */
}

/* Returns true when m was turned into a reply to transmit (not freed). */
static bool classify(struct rx_ctx *x, struct rte_mbuf *m, uint16_t port_idx, int64_t now_us)
{
	const struct net_host *h = &x->host[port_idx];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint8_t *d;
	x->st.packets++;
	x->st.bytes += len;
	x->st.port[port_idx].packets++;
	if (likely(m->nb_segs == 1)) {
		d = rte_pktmbuf_mtod(m, uint8_t *);
	} else {
		if (len > sizeof x->scratch) {
			drop_id(x, STATS_R_BAD_L3, port_idx);
			return false;
		}
		d = (uint8_t *)(uintptr_t)rte_pktmbuf_read(m, 0, len, x->scratch);
	}
	struct l2l4 c;
	enum l2l4_verdict v = l2l4_classify(d, len, h, x->cfg->udp_port, nic_cksum(m->ol_flags, true),
					    nic_cksum(m->ol_flags, false), x->cfg->udp_cksum, &c);
	switch (v) {
	case L2L4_UDP:
		break;
	case L2L4_ARP:
		if (m->nb_segs == 1 && net_arp_reply(m, h, d, c.l3, c.l3_len)) {
			x->st.arp_replies++;
			return true;
		}
		drop_id(x, STATS_R_NOT_FOR_US, port_idx);
		return false;
	case L2L4_ICMP4:
		if (m->nb_segs == 1 && net_icmp_echo(h, d, c.l3, c.l3_len)) {
			x->st.icmp_replies++;
			return true;
		}
		drop_id(x, STATS_R_NOT_FOR_US, port_idx);
		return false;
	case L2L4_ICMP6: {
		bool nd = false;
		if (m->nb_segs == 1 && net_icmp6(m, h, d, c.l3, c.l3_len, &nd)) {
			if (nd)
				x->st.nd_replies++;
			else
				x->st.icmp6_replies++;
			return true;
		}
		drop_id(x, STATS_R_NOT_FOR_US, port_idx);
		return false;
	}
	case L2L4_NOT_FOR_US:
		drop_id(x, STATS_R_NOT_FOR_US, port_idx);
		return false;
	case L2L4_FRAGMENT:
		drop_id(x, STATS_R_IP_FRAGMENT, port_idx);
		return false;
	case L2L4_BAD_UDP_CKSUM:
		drop_id(x, STATS_R_BAD_UDP_CKSUM, port_idx);
		return false;
	case L2L4_BAD_L3:
	default:
		drop_id(x, STATS_R_BAD_L3, port_idx);
		return false;
	}
	struct pkt p = {.l2 = d, .l3 = c.l3, .l4 = c.l4, .ip_version = c.ip_version,
			.has_vlan = c.has_vlan, .vlan_tci = c.vlan_tci, .port_idx = port_idx};
	const uint8_t *payload = c.payload;
	uint32_t plen = c.plen;
	/* An HTTP request line starts with a method token; anything else goes to
	 * the binary-frame parser, which names what is wrong (bad_magic, ...). */
	if (plen >= 4 && !memcmp(payload, UNMO_FB_MAGIC, 4))
		take_binary(x, &p, payload, plen, now_us);
	else if (looks_like_http(payload, plen))
		take_http(x, &p, (char *)(uintptr_t)payload, plen, now_us);
	else
		take_binary(x, &p, payload, plen, now_us);
	return false;
}

/* ---------------- the loop ---------------- */

int rx_init(struct rx_ctx *x)
{
	x->spare = calloc(x->link->nb_chunks, sizeof *x->spare);
	x->st.tenant = calloc(x->views->cap, sizeof *x->st.tenant);
	x->view = tviews_current(x->views);
	atomic_store(&x->view_gen, x->view->gen);
	if (!x->spare || !x->st.tenant || ack_init(&x->ack, x->cfg->senders, x->cfg->pending))
		return -1;
	x->nb_spare = 0;
	x->next_chunk_seq = 1;
	x->tsc_hz = rte_get_tsc_hz();
	x->flush_tsc = x->tsc_hz / 1000u * x->cfg->flush_ms;
	x->st.lcore = x->lcore;
	for (unsigned i = 0; i < x->nb_q; i++) {
		struct tx_buf *t = &x->tx[x->q[i].port_idx];
		t->port = x->q[i].port_id;
		t->queue = x->q[i].queue;
		t->n = 0;
		t->dropped = &x->st.responses_dropped;
	}
	return 0;
}

void rx_fini(struct rx_ctx *x)
{
	free(x->spare);
	free(x->st.tenant);
	x->st.tenant = NULL;
	ack_fini(&x->ack);
}

static void flush_tx(struct rx_ctx *x)
{
	for (unsigned i = 0; i < x->nb_q; i++)
		tx_buf_flush(&x->tx[x->q[i].port_idx]);
}

static int rx_only_loop(struct rx_ctx *x)
{
	struct rte_mbuf *pk[MAX_BURST];
	uint16_t burst = x->cfg->burst;
	while (!atomic_load_explicit(x->stop, memory_order_relaxed)) {
		for (unsigned qi = 0; qi < x->nb_q; qi++) {
			uint16_t n = rte_eth_rx_burst(x->q[qi].port_id, x->q[qi].queue, pk, burst);
			if (!n)
				continue;
			x->st.packets += n;
			x->st.port[x->q[qi].port_idx].packets += n;
			rte_pktmbuf_free_bulk(pk, n);
		}
	}
	atomic_store(&x->link->rx_done, true);
	return 0;
}

/* A reload published a new registry: use it from the next packet on, and
 * forget the tenants cached from the old one. */
static void switch_view(struct rx_ctx *x, const struct tenant_view *v)
{
	x->view = v;
	memset(x->tcache, 0, sizeof x->tcache);
	atomic_store_explicit(&x->view_gen, v->gen, memory_order_release);
}

static inline uint32_t pending_room(const struct rx_ctx *x)
{
	return x->ack.pend_cap - (x->ack.head - x->ack.tail);
}

static double thread_cpu_s(void)
{
	struct timespec cpu;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	return (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
}

static void set_clock(struct rx_ctx *x)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	x->tsc0 = rte_rdtsc();
	x->wall0_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int rx_main(void *arg)
{
	struct rx_ctx *x = arg;
	struct rte_mbuf *pk[MAX_BURST], *tofree[MAX_BURST];
	uint16_t burst = x->cfg->burst;
	/* pending room that a burst needs (all of it when --pending < --burst) */
	uint32_t burst_room = burst < x->ack.pend_cap ? burst : x->ack.pend_cap;
	set_clock(x);
	take_back(x);
	if (x->cfg->bench_rx_only) {
		rx_only_loop(x);
		x->st.cpu_s = thread_cpu_s();
		return 0;
	}
	uint64_t last_resync = x->tsc0;
	while (!atomic_load_explicit(x->stop, memory_order_relaxed)) {
		uint64_t tsc = rte_rdtsc();
		/* Receive time: TSC against a wall-clock base, no syscall per packet;
		 * re-based every second so the two cannot drift apart. */
		if (tsc - last_resync > x->tsc_hz) {
			set_clock(x);
			tsc = last_resync = x->tsc0;
		}
		int64_t now_us = x->wall0_us + (int64_t)((double)(tsc - x->tsc0) * 1e6 / (double)x->tsc_hz);
		/* Back-pressure: with no empty chunk and no room for a burst in the
		 * current one, or no room for a burst among the responses awaiting
		 * durability (one entry per datagram at most), leave the packets in
		 * the NIC queue (its drops are counted as imissed) instead of
		 * pulling them only to drop them (ring_full, pending_full). */
		bool paused = false;
		if (unlikely(!x->nb_spare || pending_room(x) < burst_room)) {
			take_back(x);
			if ((!x->nb_spare && (!x->cur || x->cur->c.len + burst * 2048u > UNMO_CHUNK_CAP)) ||
			    pending_room(x) < burst_room) {
				x->st.rx_pauses++;
				paused = true;
				goto housekeeping;
			}
		}
		for (unsigned qi = 0; qi < x->nb_q; qi++) {
			const struct rx_queue_ref *q = &x->q[qi];
			uint16_t n = rte_eth_rx_burst(q->port_id, q->queue, pk, burst);
			if (!n)
				continue;
			unsigned nf = 0;
			for (unsigned i = 0; i < n && i < PREFETCH_AHEAD; i++)
				rte_prefetch0(rte_pktmbuf_mtod(pk[i], void *));
			for (unsigned i = 0; i < n; i++) {
				if (i + PREFETCH_AHEAD < n)
					rte_prefetch0(rte_pktmbuf_mtod(pk[i + PREFETCH_AHEAD], void *));
				if (classify(x, pk[i], q->port_idx, now_us))
					tx_buf_add(&x->tx[q->port_idx], pk[i]);
				else
					tofree[nf++] = pk[i];
			}
			rte_pktmbuf_free_bulk(tofree, nf);
		}
	housekeeping:;
		const struct tenant_view *tv = tviews_current(x->views);
		if (unlikely(tv != x->view))
			switch_view(x, tv);
		if (x->cur && x->cur->c.count && tsc - x->cur->c.opened_tsc > x->flush_tsc)
			hand_off(x);
		take_back(x);
		flush_tx(x);
		/* Waiting for the writer: give the CPU away for a moment (the
		 * writer, its io_uring workers and the kernel's writeback may need
		 * this very CPU). A chunk takes the writer longer than this to
		 * compress, so the wait does not slow the pipeline; no packet is
		 * taken meanwhile, so none waits for the sleep. */
		if (unlikely(paused))
			rte_delay_us_sleep(RX_PAUSE_SLEEP_US);
	}
	x->st.cpu_s = thread_cpu_s(); /* the receive loop only, not the drain wait */
	/* Drain: hand off the last chunk, then wait for every chunk to come back
	 * so the responses held for them still go out. */
	hand_off(x);
	atomic_store(&x->link->rx_done, true);
	uint64_t deadline = rte_rdtsc() + x->tsc_hz * DRAIN_WAIT_S;
	while ((x->nb_spare < x->link->nb_chunks || x->settled_seq < x->handed_seq) &&
	       rte_rdtsc() < deadline) {
		take_back(x);
		flush_tx(x);
		rte_delay_us_sleep(200);
	}
	flush_tx(x);
	x->st.seq_gaps = ack_gaps(&x->ack);
	if (x->nb_spare < x->link->nb_chunks || x->settled_seq < x->handed_seq)
		fprintf(stderr,
			"unmo-ingest: rx %u: after %u s, %u chunks not back, durable up to chunk %lu of %lu\n",
			x->id, DRAIN_WAIT_S, x->link->nb_chunks - x->nb_spare, x->settled_seq,
			x->handed_seq);
	return 0;
}
