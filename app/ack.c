/* ack.c — sender windows and durable-then-respond (see ack.h). */
#include "ack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "frame_bin.h"
#include "http_lite.h"
#include "stats.h"

#define PROBE_MAX 32u

int ack_init(struct ack_state *a, uint32_t senders, uint32_t pending)
{
	memset(a, 0, sizeof *a);
	uint32_t n = 16;
	while (n < senders)
		n <<= 1;
	a->senders = calloc(n, sizeof *a->senders);
	a->pend = calloc(pending, sizeof *a->pend);
	if (!a->senders || !a->pend) {
		fprintf(stderr, "unmo-ingest: out of memory for sender/pending tables\n");
		return -1;
	}
	a->sender_mask = n - 1;
	a->pend_cap = pending;
	return 0;
}

void ack_fini(struct ack_state *a)
{
	free(a->senders);
	free(a->pend);
	memset(a, 0, sizeof *a);
}

static inline uint32_t sender_hash(uint64_t key_id, uint64_t sender_id)
{
	uint64_t h = key_id * 0x9E3779B97F4A7C15ull ^ sender_id * 0xC2B2AE3D27D4EB4Full;
	return (uint32_t)(h >> 32 ^ h);
}

struct sender_entry *ack_sender(struct ack_state *a, uint64_t key_id, uint64_t sender_id)
{
	uint32_t i = sender_hash(key_id, sender_id);
	for (uint32_t p = 0; p < PROBE_MAX; p++, i++) {
		struct sender_entry *s = &a->senders[i & a->sender_mask];
		if (s->sender_id == sender_id && s->key_id == key_id)
			return s;
		if (s->sender_id == 0) {
			s->key_id = key_id;
			s->sender_id = sender_id;
			unmo_seqwin_init(&s->received);
			unmo_seqwin_init(&s->durable);
			return s;
		}
	}
	return NULL;
}

static void send_reply(struct tx_buf *tx, struct rte_mempool *mp, const struct reply_addr *addr,
		       const void *buf, size_t len, uint64_t *sent, struct rx_stats *st)
{
	struct rte_mbuf *m = net_udp_reply(mp, addr, buf, (uint16_t)len);
	if (!m) {
		st->responses_dropped++;
		return;
	}
	tx_buf_add(&tx[addr->port_idx], m);
	(*sent)++;
}

void ack_release(struct ack_state *a, uint64_t chunk, bool failed, struct tx_buf *tx,
		 struct rte_mempool *mp, struct rx_stats *st)
{
	if (failed)
		a->last_failed_chunk = chunk;
	while (a->tail != a->head) {
		struct pending *p = &a->pend[a->tail % a->pend_cap];
		if (p->last_chunk > chunk)
			break;
		a->tail++;
		bool lost = p->first_chunk && p->first_chunk <= a->last_failed_chunk;
		if (p->kind == PEND_BIN) {
			struct sender_entry *s = &a->senders[p->sender];
			if (lost) {
				s->received = s->durable; /* let the resend be stored */
				continue;
			}
			if (unmo_seqwin_check(&s->durable, p->seq) == UNMO_SEQ_NEW)
				unmo_seqwin_mark(&s->durable, p->seq);
			if (p->want_reply) {
				uint8_t buf[UNMO_ACK_LEN];
				struct unmo_ack ack = {.key_id = s->key_id,
						       .sender_id = s->sender_id,
						       .cum = s->durable.cum,
						       .bitmap = unmo_seqwin_ack_bitmap(&s->durable)};
				size_t n = unmo_ack_encode(buf, sizeof buf, &ack);
				if (n)
					send_reply(tx, mp, &p->addr, buf, n, &st->acks_sent, st);
			}
		} else if (p->want_reply && !lost) {
			char buf[256];
			size_t n = unmo_http_response(buf, sizeof buf, p->status, p->accepted, p->rejected,
						      p->rejected ? p->reason : NULL);
			if (n)
				send_reply(tx, mp, &p->addr, buf, n, &st->http_sent, st);
		}
	}
}

uint64_t ack_gaps(const struct ack_state *a)
{
	uint64_t g = 0;
	for (uint32_t i = 0; i <= a->sender_mask; i++)
		if (a->senders[i].sender_id)
			g += a->senders[i].received.gaps;
	return g;
}
