/* stats.h — counters per port, per RX core, per writer and per tenant;
 * the live status line, the final summary and --stats-json.
 *
 * Each counter block has exactly one writing thread (its RX core or
 * writer); the control thread only reads (plain 64-bit loads, which x86-64
 * and arm64 do atomically; a status line may mix two instants, the final
 * summary is taken after every thread stopped).
 * Drop reasons are names: the lib's static reason strings ("bad_magic",
 * "json_syntax", ...) and the appliance's own (STATS_R_*). stats_reason_id
 * maps a reason string to a dense index, registering unknown strings
 * lock-free (CAS on a slot) so a new reason never needs a code change.
 */
#ifndef INGEST_STATS_H
#define INGEST_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define STATS_REASONS 128u

/* The appliance's own drop reasons (fixed ids, registered first). */
enum stats_reason {
	STATS_R_RING_FULL = 0,   /* no empty chunk: frame dropped */
	STATS_R_NOT_FOR_US,      /* other MAC / IP / UDP port / ethertype / IP protocol */
	STATS_R_IP_FRAGMENT,     /* IPv4/IPv6 fragments: counted and dropped (not reassembled) */
	STATS_R_BAD_L3,          /* malformed IPv4/IPv6/UDP header or lengths */
	STATS_R_BAD_KEY,         /* "bad_key": no tenant has the key id / API key */
	STATS_R_AUTH_FAIL,       /* "auth_fail": wrong frame tag */
	STATS_R_DUPLICATE,       /* "duplicate": replayed or resent frame already taken */
	STATS_R_SEQ_TOO_FAR,     /* "too_far": sequence beyond the window */
	STATS_R_SENDER_TABLE_FULL,
	STATS_R_PENDING_FULL,    /* no room to hold the frame's response until durable */
	STATS_R_APP_MISMATCH,    /* HTTP event app_id differs from the key's tenant (per event) */
	STATS_R_FRAME_TOO_LARGE, /* frame's records cannot fit one chunk */
	STATS_R_BAD_EVENT,       /* event that the record encoder refuses */
	STATS_R_BAD_UDP_CKSUM,   /* UDP checksum wrong (the NIC's verdict, else ours) or 0 over IPv6 */
	STATS_R_FIXED_COUNT
};

extern const char *stats_reason_names[STATS_REASONS];
unsigned stats_reason_id(const char *reason);

struct tenant_stats {
	uint64_t frames, events, bytes, rejected;
};

struct port_stats {
	uint64_t packets, frames, events, drops;
};

struct rx_stats {
	uint16_t lcore;
	uint64_t packets, bytes;          /* every packet received */
	uint64_t frames_bin, frames_http; /* UDP datagrams to our port, by kind */
	uint64_t events, record_bytes;    /* events taken into chunks */
	uint64_t chunks_handed;
	uint64_t chunks_encoded; /* of those, LZ4-encoded into their block here (--rx-encode) */
	uint64_t rx_pauses;               /* loop passes that left packets in the NIC: no chunk free */
	uint64_t acks_sent, http_sent, responses_dropped; /* tx ring full / no mbuf */
	uint64_t arp_replies, icmp_replies, nd_replies, icmp6_replies;
	uint64_t seq_gaps;
	double cpu_s; /* thread CPU time at exit (a shared machine gives less than wall time) */
	uint64_t drops[STATS_REASONS];
	struct port_stats port[CFG_MAX_PORTS];
	struct tenant_stats *tenant; /* [tenant count] */
};

struct writer_stats {
	uint16_t id;
	uint64_t chunks, events, raw_bytes, block_bytes, bytes_written;
	uint64_t events_durable;          /* in fsynced blocks */
	uint64_t segments_sealed, fsyncs, write_errors, events_lost;
	uint64_t recovered_segments, recovered_records;
	uint64_t writes;     /* io_uring block writes (each covers one or more blocks) */
	uint64_t disk_waits; /* times the writer stopped compressing to wait for the disk */
	double disk_wait_s;  /* time spent in those waits and in synchronous seals */
	double cpu_s; /* thread CPU time (CLOCK_THREAD_CPUTIME_ID), set at exit */
};

struct tenant_views;

struct stats_all {
	struct rx_stats **rx;
	unsigned nb_rx;
	struct writer_stats **w;
	unsigned nb_w;
	uint16_t ports[CFG_MAX_PORTS];
	unsigned nb_ports;
	const struct tenant_views *tenants; /* counters by slot, app ids by slot */
	uint64_t start_tsc;
};

/* One status line on out (control thread). prev holds the last totals. */
void stats_status_line(const struct stats_all *s, FILE *out, double elapsed_s);
void stats_summary(const struct stats_all *s, FILE *out, double elapsed_s);
int stats_write_json(const struct stats_all *s, const char *path, double elapsed_s);
/* Packets received + back-pressure pauses: changes while traffic is pending. */
uint64_t stats_activity(const struct stats_all *s);

#endif
