/* stats.c — counter registry, status line, summary and JSON (see stats.h). */
#include "stats.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <rte_ethdev.h>

#include "tenant_view.h"

const char *stats_reason_names[STATS_REASONS] = {
	[STATS_R_RING_FULL] = "ring_full",
	[STATS_R_NOT_FOR_US] = "not_for_us",
	[STATS_R_IP_FRAGMENT] = "ip_fragment",
	[STATS_R_BAD_L3] = "bad_l3",
	[STATS_R_BAD_KEY] = "bad_key",
	[STATS_R_AUTH_FAIL] = "auth_fail",
	[STATS_R_DUPLICATE] = "duplicate",
	[STATS_R_SEQ_TOO_FAR] = "too_far",
	[STATS_R_SENDER_TABLE_FULL] = "sender_table_full",
	[STATS_R_PENDING_FULL] = "pending_full",
	[STATS_R_APP_MISMATCH] = "app_mismatch",
	[STATS_R_FRAME_TOO_LARGE] = "frame_too_large",
	[STATS_R_BAD_EVENT] = "bad_event",
	[STATS_R_BAD_UDP_CKSUM] = "bad_udp_cksum",
};

/* Lock-free append-only registry: a slot goes NULL -> name exactly once. */
unsigned stats_reason_id(const char *reason)
{
	if (!reason)
		return STATS_R_BAD_EVENT;
	for (unsigned i = 0; i < STATS_REASONS - 1; i++) {
		const char *cur = __atomic_load_n(&stats_reason_names[i], __ATOMIC_ACQUIRE);
		if (!cur) {
			const char *expected = NULL;
			if (__atomic_compare_exchange_n(&stats_reason_names[i], &expected, reason, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return i;
			cur = expected;
		}
		if (cur == reason || !strcmp(cur, reason))
			return i;
	}
	stats_reason_names[STATS_REASONS - 1] = "other";
	return STATS_REASONS - 1;
}

static void drops_total(const struct stats_all *s, uint64_t out[STATS_REASONS])
{
	memset(out, 0, sizeof(uint64_t) * STATS_REASONS);
	for (unsigned r = 0; r < s->nb_rx; r++)
		for (unsigned i = 0; i < STATS_REASONS; i++)
			out[i] += s->rx[r]->drops[i];
}

uint64_t stats_activity(const struct stats_all *s)
{
	uint64_t n = 0;
	for (unsigned r = 0; r < s->nb_rx; r++)
		n += s->rx[r]->packets + s->rx[r]->rx_pauses;
	return n;
}

struct totals {
	uint64_t packets, frames, events, durable, lost, drops, no_mbuf, imissed;
	uint64_t raw, block, written, sealed;
};

/* One tenant's counters summed over the RX cores (each core counts its own). */
static struct tenant_stats tenant_total(const struct stats_all *s, unsigned i)
{
	struct tenant_stats ts = {0};
	for (unsigned r = 0; r < s->nb_rx; r++) {
		ts.frames += s->rx[r]->tenant[i].frames;
		ts.events += s->rx[r]->tenant[i].events;
		ts.bytes += s->rx[r]->tenant[i].bytes;
		ts.rejected += s->rx[r]->tenant[i].rejected;
	}
	return ts;
}

static void totals(const struct stats_all *s, struct totals *t)
{
	memset(t, 0, sizeof *t);
	for (unsigned r = 0; r < s->nb_rx; r++) {
		const struct rx_stats *x = s->rx[r];
		t->packets += x->packets;
		t->frames += x->frames_bin + x->frames_http;
		t->events += x->events;
		for (unsigned i = 0; i < STATS_REASONS; i++)
			t->drops += x->drops[i];
	}
	for (unsigned w = 0; w < s->nb_w; w++) {
		t->raw += s->w[w]->raw_bytes;
		t->block += s->w[w]->block_bytes;
		t->written += s->w[w]->bytes_written;
		t->sealed += s->w[w]->segments_sealed;
		t->durable += s->w[w]->events_durable;
		t->lost += s->w[w]->events_lost;
	}
	for (unsigned p = 0; p < s->nb_ports; p++) {
		struct rte_eth_stats es;
		if (rte_eth_stats_get(s->ports[p], &es) == 0) {
			t->no_mbuf += es.rx_nombuf;
			t->imissed += es.imissed;
		}
	}
}

void stats_status_line(const struct stats_all *s, FILE *out, double elapsed)
{
	static struct totals prev;
	static double prev_t;
	struct totals t;
	totals(s, &t);
	double dt = elapsed - prev_t > 0 ? elapsed - prev_t : 1;
	fprintf(out,
		"[%7.1fs] rx %.2f Mpps  events %.2f M/s  stored %.2f M/s  total %lu ev  durable %lu  "
		"drops %lu  imissed %lu  nombuf %lu  segs %lu  ratio %.2f\n",
		elapsed, (double)(t.packets - prev.packets) / dt / 1e6,
		(double)(t.events - prev.events) / dt / 1e6, (double)(t.durable - prev.durable) / dt / 1e6,
		t.events, t.durable, t.drops, t.imissed, t.no_mbuf, t.sealed,
		t.block ? (double)t.raw / (double)t.block : 0.0);
	fflush(out);
	prev = t;
	prev_t = elapsed;
}

void stats_summary(const struct stats_all *s, FILE *out, double elapsed)
{
	struct totals t;
	uint64_t d[STATS_REASONS];
	totals(s, &t);
	drops_total(s, d);
	fprintf(out, "unmo-ingest summary after %.2f s\n", elapsed);
	fprintf(out, "  packets %lu  frames %lu  events %lu  durable %lu  lost %lu  (%.3f M events/s)\n",
		t.packets, t.frames, t.events, t.durable, t.lost,
		elapsed > 0 ? (double)t.events / elapsed / 1e6 : 0.0);
	fprintf(out, "  no_mbuf %lu  imissed %lu\n", t.no_mbuf, t.imissed);
	for (unsigned i = 0; i < STATS_REASONS; i++)
		if (d[i])
			fprintf(out, "  drop %-22s %lu\n", stats_reason_names[i], d[i]);
	for (unsigned r = 0; r < s->nb_rx; r++) {
		const struct rx_stats *x = s->rx[r];
		fprintf(out,
			"  rx[%u] lcore %u: packets %lu bin %lu http %lu events %lu acks %lu http_resp %lu "
			"arp %lu icmp %lu nd %lu icmp6 %lu seq_gaps %lu rx_pauses %lu\n",
			r, x->lcore, x->packets, x->frames_bin, x->frames_http, x->events, x->acks_sent,
			x->http_sent, x->arp_replies, x->icmp_replies, x->nd_replies, x->icmp6_replies,
			x->seq_gaps, x->rx_pauses);
	}
	for (unsigned w = 0; w < s->nb_w; w++) {
		const struct writer_stats *x = s->w[w];
		fprintf(out,
			"  writer[%u]: chunks %lu events %lu raw %lu B blocks %lu B (ratio %.2f) written %lu B "
			"sealed %lu fsyncs %lu errors %lu lost %lu recovered %lu segs/%lu records\n",
			w, x->chunks, x->events, x->raw_bytes, x->block_bytes,
			x->block_bytes ? (double)x->raw_bytes / (double)x->block_bytes : 0.0, x->bytes_written,
			x->segments_sealed, x->fsyncs, x->write_errors, x->events_lost, x->recovered_segments,
			x->recovered_records);
	}
	unsigned nt = s->tenants ? s->tenants->nslots : 0;
	for (unsigned i = 0; i < nt; i++) {
		struct tenant_stats ts = tenant_total(s, i);
		fprintf(out, "  tenant %s: frames %lu events %lu bytes %lu rejected %lu\n", s->tenants->names[i],
			ts.frames, ts.events, ts.bytes, ts.rejected);
	}
	fflush(out);
}

static void json_drops(FILE *f, const uint64_t *d)
{
	fputc('{', f);
	bool first = true;
	for (unsigned i = 0; i < STATS_REASONS; i++) {
		if (!stats_reason_names[i] || (!d[i] && i >= STATS_R_FIXED_COUNT))
			continue;
		fprintf(f, "%s\"%s\":%lu", first ? "" : ",", stats_reason_names[i], d[i]);
		first = false;
	}
	fputc('}', f);
}

int stats_write_json(const struct stats_all *s, const char *path, double elapsed)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "unmo-ingest: %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct totals t;
	uint64_t d[STATS_REASONS];
	totals(s, &t);
	drops_total(s, d);
	fprintf(f,
		"{\"elapsed_s\":%.6f,\"totals\":{\"packets\":%lu,\"frames\":%lu,\"events\":%lu,"
		"\"events_durable\":%lu,\"events_lost\":%lu,\"no_mbuf\":%lu,\"imissed\":%lu,"
		"\"raw_bytes\":%lu,\"block_bytes\":%lu,\"bytes_written\":%lu,\"segments_sealed\":%lu,"
		"\"compression_ratio\":%.4f,\"drops\":",
		elapsed, t.packets, t.frames, t.events, t.durable, t.lost, t.no_mbuf, t.imissed, t.raw,
		t.block, t.written, t.sealed, t.block ? (double)t.raw / (double)t.block : 0.0);
	json_drops(f, d);
	fprintf(f, "},\n\"ports\":[");
	for (unsigned p = 0; p < s->nb_ports; p++) {
		struct rte_eth_stats es;
		memset(&es, 0, sizeof es);
		rte_eth_stats_get(s->ports[p], &es);
		struct port_stats ps = {0};
		for (unsigned r = 0; r < s->nb_rx; r++) {
			ps.packets += s->rx[r]->port[p].packets;
			ps.frames += s->rx[r]->port[p].frames;
			ps.events += s->rx[r]->port[p].events;
			ps.drops += s->rx[r]->port[p].drops;
		}
		fprintf(f,
			"%s{\"port\":%u,\"ipackets\":%lu,\"ibytes\":%lu,\"imissed\":%lu,\"ierrors\":%lu,"
			"\"no_mbuf\":%lu,\"opackets\":%lu,\"packets\":%lu,\"frames\":%lu,\"events\":%lu,"
			"\"drops\":%lu}",
			p ? "," : "", s->ports[p], es.ipackets, es.ibytes, es.imissed, es.ierrors, es.rx_nombuf,
			es.opackets, ps.packets, ps.frames, ps.events, ps.drops);
	}
	fprintf(f, "],\n\"rx_cores\":[");
	for (unsigned r = 0; r < s->nb_rx; r++) {
		const struct rx_stats *x = s->rx[r];
		fprintf(f,
			"%s{\"lcore\":%u,\"packets\":%lu,\"bytes\":%lu,\"frames_bin\":%lu,\"frames_http\":%lu,"
			"\"events\":%lu,\"record_bytes\":%lu,\"chunks\":%lu,\"chunks_encoded\":%lu,"
			"\"acks_sent\":%lu,\"http_responses\":%lu,"
			"\"responses_dropped\":%lu,\"arp_replies\":%lu,\"icmp_replies\":%lu,"
			"\"nd_replies\":%lu,\"icmp6_replies\":%lu,\"seq_gaps\":%lu,\"rx_pauses\":%lu,"
			"\"cpu_s\":%.3f,\"drops\":",
			r ? "," : "", x->lcore, x->packets, x->bytes, x->frames_bin, x->frames_http, x->events,
			x->record_bytes, x->chunks_handed, x->chunks_encoded, x->acks_sent,
			x->http_sent, x->responses_dropped, x->arp_replies, x->icmp_replies, x->nd_replies,
			x->icmp6_replies, x->seq_gaps, x->rx_pauses, x->cpu_s);
		json_drops(f, x->drops);
		fputc('}', f);
	}
	fprintf(f, "],\n\"writers\":[");
	for (unsigned w = 0; w < s->nb_w; w++) {
		const struct writer_stats *x = s->w[w];
		fprintf(f,
			"%s{\"writer\":%u,\"chunks\":%lu,\"events\":%lu,\"events_durable\":%lu,"
			"\"raw_bytes\":%lu,\"block_bytes\":%lu,"
			"\"compression_ratio\":%.4f,\"bytes_written\":%lu,\"segments_sealed\":%lu,"
			"\"fsyncs\":%lu,\"write_errors\":%lu,\"events_lost\":%lu,"
			"\"recovered_segments\":%lu,\"recovered_records\":%lu,\"writes\":%lu,"
			"\"disk_waits\":%lu,\"disk_wait_s\":%.3f,\"cpu_s\":%.3f}",
			w ? "," : "", x->id, x->chunks, x->events, x->events_durable, x->raw_bytes, x->block_bytes,
			x->block_bytes ? (double)x->raw_bytes / (double)x->block_bytes : 0.0, x->bytes_written,
			x->segments_sealed, x->fsyncs, x->write_errors, x->events_lost, x->recovered_segments,
			x->recovered_records, x->writes, x->disk_waits, x->disk_wait_s, x->cpu_s);
	}
	fprintf(f, "],\n\"tenants\":[");
	unsigned nt = s->tenants ? s->tenants->nslots : 0;
	for (unsigned i = 0; i < nt; i++) {
		struct tenant_stats ts = tenant_total(s, i);
		fprintf(f, "%s{\"app_id\":\"%s\",\"frames\":%lu,\"events\":%lu,\"bytes\":%lu,\"rejected\":%lu}",
			i ? "," : "", s->tenants->names[i], ts.frames, ts.events, ts.bytes, ts.rejected);
	}
	fprintf(f, "]}\n");
	if (fclose(f)) {
		fprintf(stderr, "unmo-ingest: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}
