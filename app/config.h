/* config.h — the appliance's own settings (after the EAL arguments).
 *
 * Sources, in order: built-in defaults, then `--config FILE` (lines
 * "name = value" using the long option names, '#' comments), then the
 * command line. Everything is validated here; errors name the option (and
 * file:line) and the caller exits with status 2.
 * Contract: cfg_parse fills *c or returns -1 after printing the reason to
 * stderr. Plain data, read-only once the data path starts.
 */
#ifndef INGEST_CONFIG_H
#define INGEST_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CFG_MAX_PORTS 8u
#define CFG_MAX_RX 16u
#define CFG_MAX_WRITERS 8u

/* Who LZ4-encodes a chunk into its segment block (rx.c, writer.c). */
enum rx_encode {
	RX_ENCODE_AUTO,   /* the RX core, while it has recently waited for its writer */
	RX_ENCODE_OFF,    /* always the writer */
	RX_ENCODE_ALWAYS, /* always the RX core (tests; RX cores with headroom) */
};

struct ingest_cfg {
	/* network identity */
	uint32_t ip4;            /* listen IPv4, network byte order; 0 = none */
	uint8_t ip6[16];         /* listen IPv6 */
	bool has_ip6;
	uint16_t udp_port;       /* host order */
	bool set_mac;            /* --mac given: program it (or adopt it in software) */
	uint8_t mac[6];
	/* ports and cores */
	uint16_t nb_ports;       /* 0 = every probed port */
	uint16_t ports[CFG_MAX_PORTS];
	uint16_t nb_rx_lcores;   /* 0 = every EAL worker lcore (or main alone) */
	uint16_t rx_lcores[CFG_MAX_RX];
	uint16_t writers;        /* writer threads (pthreads) */
	uint16_t nb_io_cpus;     /* 0 = the writers' io_uring kernel workers run where the writers do */
	uint16_t io_cpus[64];
	uint16_t rx_desc, tx_desc, burst;
	uint32_t mbufs;          /* 0 = sized from EAL memory */
	uint32_t mbuf_data;      /* data room per mbuf (bytes, headroom excluded) */
	uint32_t chunks;         /* chunks per RX core */
	enum rx_encode rx_encode;
	bool udp_cksum;          /* verify UDP checksums in software when the NIC does not */
	bool direct_io;          /* segments written with O_DIRECT where the file system takes it */
	uint32_t pending;        /* pending responses per RX core */
	uint32_t senders;        /* sender windows per RX core */
	/* output */
	const char *out_dir;
	const char *prefix;
	const char *tenants;
	uint64_t seg_bytes;      /* rotate when a segment reaches this size */
	uint32_t seg_age_ms;     /* ... or this age */
	uint32_t flush_ms;       /* hand a partly filled chunk to the writer after this */
	uint32_t commit_ms;      /* group-commit (fsync) interval */
	/* control */
	const char *stats_json;
	double status_interval;  /* seconds; 0 = only when stdout is a terminal (5 s) */
	bool status_forced;
	double exit_when_idle;   /* seconds without a packet after the first one; 0 = off */
	double run_seconds;      /* stop after this long; 0 = until a signal */
	bool bench_rx_only;      /* receive and free only: the raw RX ceiling */
	bool bench_allow_replay; /* store replayed frames (infinite_rx repeats sequences) */
	bool bench_no_write;     /* writers return chunks unwritten: the RX pipeline alone */
	uint32_t fault_write;    /* testing: each writer's Nth write completion fails (EIO); 0 off */
	uint32_t fault_fsync;    /* testing: each writer's Nth fdatasync completion fails (EIO); 0 off */
	uint32_t fault_seal;     /* testing: each writer's Nth seal fails (its fsync, EIO); 0 off */
	uint32_t fault_open;     /* testing: each writer's Nth segment creation fails (EIO); 0 off */
	const char *bench_ring_replay; /* pcap replayed through a ring port (bench_replay.h) */
	bool promisc;
};

/* Parse our arguments (argv[0] is the program name). */
int cfg_parse(struct ingest_cfg *c, int argc, char **argv);
void cfg_usage(const char *prog);

#endif
