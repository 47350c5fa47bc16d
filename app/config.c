/* config.c — defaults, config file and command line for unmo-ingest. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct opt {
	const char *name;
	bool has_arg;
	const char *help;
};

/* One table drives --help, the command line and the config file. */
static const struct opt opts[] = {
	{"config", true, "FILE  read 'name = value' lines (these option names)"},
	{"ip", true, "A.B.C.D  listen IPv4 address (default 10.99.0.1)"},
	{"ip6", true, "ADDR  also listen on this IPv6 address (NS/NA, ICMPv6 echo)"},
	{"udp-port", true, "N  UDP port (default 7100)"},
	{"mac", true, "MAC  set the port MAC (adopted in software if the driver refuses)"},
	{"port", true, "ID  DPDK port id to use (repeat; default: all ports)"},
	{"rx-lcores", true, "LIST  lcores that receive, e.g. 1,2 (default: worker lcores)"},
	{"writers", true, "N  writer threads (default 1)"},
	{"io-cpus", true, "LIST  CPUs for the writers' kernel write workers (default: the writers' CPUs)"},
	{"rx-desc", true, "N  RX descriptors per queue (default 1024)"},
	{"tx-desc", true, "N  TX descriptors per queue (default 512)"},
	{"burst", true, "N  RX burst size (default 32)"},
	{"mbufs", true, "N  mbufs in the pool (default: sized from EAL memory)"},
	{"mbuf-size", true, "N  data bytes per mbuf (default 2048; longer frames arrive as chains)"},
	{"chunks", true, "N  64 KiB chunks per RX core (default 128)"},
	{"rx-encode", true, "auto|off|always  RX cores LZ4-encode chunks while their writer is behind (default auto)"},
	{"pending", true, "N  responses awaiting durability per RX core (default 16384)"},
	{"senders", true, "N  sender windows per RX core (default 4096)"},
	{"out", true, "DIR  segment directory (default ./segments)"},
	{"prefix", true, "NAME  segment file prefix (default unmo)"},
	{"tenants", true, "FILE  tenant registry (default tenants.conf)"},
	{"segment-mb", true, "N  rotate segments at N MiB (default 256)"},
	{"segment-age", true, "S  rotate segments after S seconds (default 60)"},
	{"flush-ms", true, "N  hand a partial chunk to the writer after N ms (default 2)"},
	{"commit-ms", true, "N  group-commit (fsync) interval in ms (default 2)"},
	{"stats-json", true, "FILE  write all counters as JSON at exit"},
	{"status-interval", true, "S  print a status line every S s (default 5 on a tty)"},
	{"exit-when-idle", true, "S  stop (as SIGTERM) after S s without packets"},
	{"run-seconds", true, "S  stop (as SIGTERM) after S seconds"},
	{"bench-rx-only", false, "receive and free only (raw RX rate ceiling)"},
	{"bench-allow-replay", false, "benchmark only: store frames whose sequence was seen (infinite_rx replays)"},
	{"bench-no-write", false, "benchmark only: writers drop chunks, RX cores do not encode (RX pipeline capacity; nothing stored)"},
	{"bench-ring-replay", true, "PCAP  benchmark only: replay PCAP from memory through a ring port, no copy per packet"},
	{"fault-write", true, "N  testing only: each writer's Nth block write fails with EIO (once)"},
	{"fault-fsync", true, "N  testing only: each writer's Nth fdatasync fails with EIO (once)"},
	{"fault-seal", true, "N  testing only: each writer's Nth segment seal fails with EIO (once)"},
	{"fault-open", true, "N  testing only: each writer's Nth segment creation fails with EIO (once)"},
	{"no-udp-cksum", false, "do not verify UDP checksums in software where the NIC does not"},
	{"no-direct-io", false, "write segments through the page cache (default: O_DIRECT where supported)"},
	{"no-promisc", false, "leave promiscuous mode off"},
	{"help", false, "this text"},
};

void cfg_usage(const char *prog)
{
	printf("usage: %s [EAL args] -- [options]\n"
	       "unmo-ingest " UNMO_VERSION ": DPDK event-ingestion appliance\n\n", prog);
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		printf("  --%-16s %s\n", opts[i].name, opts[i].help);
	printf("\nsignals: SIGINT/SIGTERM drain and seal then exit 0; a second one forces exit.\n"
	       "docs/operating.md has the details.\n");
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static int parse_secs(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= 0) || v > 1e7)
		return -1;
	*out = v;
	return 0;
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		m[i] = (uint8_t)v[i];
	}
	return 0;
}

static int parse_list(const char *s, uint16_t *arr, uint16_t *n, unsigned max)
{
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	*n = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t v;
		if (*n >= max || parse_u64(t, 0, 1023, &v))
			return -1;
		arr[(*n)++] = (uint16_t)v;
	}
	return *n ? 0 : -1;
}

static int load_file(struct ingest_cfg *c, const char *path);

/* Values read from config files, kept for the process lifetime (cfg points
 * into them). */
static char *kept[512];
static unsigned nkept;

/* Apply one option; where names the source for error messages. */
static int apply(struct ingest_cfg *c, const char *name, const char *val, const char *where)
{
	uint64_t u;
	double d;
	int bad = 0;
#define U(field, lo, hi) (bad = parse_u64(val, lo, hi, &u), bad ? 0 : (c->field = (__typeof__(c->field))u, 0))
	if (!strcmp(name, "config"))
		return load_file(c, val);
	else if (!strcmp(name, "ip"))
		bad = inet_pton(AF_INET, val, &c->ip4) != 1;
	else if (!strcmp(name, "ip6"))
		bad = inet_pton(AF_INET6, val, c->ip6) != 1, c->has_ip6 = !bad;
	else if (!strcmp(name, "udp-port"))
		U(udp_port, 1, 65535);
	else if (!strcmp(name, "mac"))
		bad = parse_mac(val, c->mac), c->set_mac = !bad;
	else if (!strcmp(name, "port")) {
		bad = parse_u64(val, 0, 1023, &u) || c->nb_ports >= CFG_MAX_PORTS;
		if (!bad)
			c->ports[c->nb_ports++] = (uint16_t)u;
	} else if (!strcmp(name, "rx-lcores"))
		bad = parse_list(val, c->rx_lcores, &c->nb_rx_lcores, CFG_MAX_RX);
	else if (!strcmp(name, "writers"))
		U(writers, 1, CFG_MAX_WRITERS);
	else if (!strcmp(name, "io-cpus"))
		bad = parse_list(val, c->io_cpus, &c->nb_io_cpus, 64);
	else if (!strcmp(name, "rx-desc"))
		U(rx_desc, 64, 16384);
	else if (!strcmp(name, "tx-desc"))
		U(tx_desc, 64, 16384);
	else if (!strcmp(name, "burst"))
		U(burst, 1, 256);
	else if (!strcmp(name, "mbufs"))
		U(mbufs, 512, 16u << 20);
	else if (!strcmp(name, "mbuf-size"))
		U(mbuf_data, 1024, 65000);
	else if (!strcmp(name, "chunks"))
		U(chunks, 4, 65536);
	else if (!strcmp(name, "rx-encode")) {
		if (!strcmp(val, "auto"))
			c->rx_encode = RX_ENCODE_AUTO;
		else if (!strcmp(val, "off"))
			c->rx_encode = RX_ENCODE_OFF;
		else if (!strcmp(val, "always"))
			c->rx_encode = RX_ENCODE_ALWAYS;
		else
			bad = true;
	} else if (!strcmp(name, "pending"))
		U(pending, 64, 1u << 22);
	else if (!strcmp(name, "senders"))
		U(senders, 16, 1u << 22);
	else if (!strcmp(name, "out"))
		c->out_dir = val;
	else if (!strcmp(name, "prefix"))
		c->prefix = val;
	else if (!strcmp(name, "tenants"))
		c->tenants = val;
	else if (!strcmp(name, "segment-mb")) {
		bad = parse_u64(val, 1, 1u << 20, &u);
		c->seg_bytes = u << 20;
	} else if (!strcmp(name, "segment-age")) {
		bad = parse_secs(val, &d) || d < 0.01;
		c->seg_age_ms = (uint32_t)(d * 1000);
	} else if (!strcmp(name, "flush-ms"))
		U(flush_ms, 0, 60000);
	else if (!strcmp(name, "commit-ms"))
		U(commit_ms, 0, 60000);
	else if (!strcmp(name, "stats-json"))
		c->stats_json = val;
	else if (!strcmp(name, "status-interval"))
		bad = parse_secs(val, &c->status_interval), c->status_forced = true;
	else if (!strcmp(name, "exit-when-idle"))
		bad = parse_secs(val, &c->exit_when_idle);
	else if (!strcmp(name, "run-seconds"))
		bad = parse_secs(val, &c->run_seconds);
	else if (!strcmp(name, "bench-rx-only"))
		c->bench_rx_only = true;
	else if (!strcmp(name, "bench-allow-replay"))
		c->bench_allow_replay = true;
	else if (!strcmp(name, "bench-no-write"))
		c->bench_no_write = true;
	else if (!strcmp(name, "bench-ring-replay"))
		c->bench_ring_replay = val;
	else if (!strcmp(name, "fault-write"))
		U(fault_write, 0, UINT32_MAX);
	else if (!strcmp(name, "fault-fsync"))
		U(fault_fsync, 0, UINT32_MAX);
	else if (!strcmp(name, "fault-seal"))
		U(fault_seal, 0, UINT32_MAX);
	else if (!strcmp(name, "fault-open"))
		U(fault_open, 0, UINT32_MAX);
	else if (!strcmp(name, "no-udp-cksum"))
		c->udp_cksum = false;
	else if (!strcmp(name, "no-direct-io"))
		c->direct_io = false;
	else if (!strcmp(name, "no-promisc"))
		c->promisc = false;
	else {
		fprintf(stderr, "unmo-ingest: %s: unknown option --%s\n", where, name);
		return -1;
	}
#undef U
	if (bad) {
		fprintf(stderr, "unmo-ingest: %s: bad value for --%s: '%s'\n", where, name, val);
		return -1;
	}
	return 0;
}

static const struct opt *find_opt(const char *name)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static int load_file(struct ingest_cfg *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "unmo-ingest: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char line[1024], where[1100];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		snprintf(where, sizeof where, "%s:%d", path, lineno);
		char *p = line, *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, "\r\n");
		p[n] = 0;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			p[--n] = 0;
		if (!*p)
			continue;
		char *eq = strchr(p, '=');
		char *val = eq ? eq + 1 : p + n;
		if (eq) {
			char *e = eq;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			*e = 0;
			while (*val == ' ' || *val == '\t')
				val++;
		}
		const struct opt *o = find_opt(p);
		if (!o || !strcmp(p, "config") || !strcmp(p, "help")) {
			fprintf(stderr, "unmo-ingest: %s: unknown setting '%s'\n", where, p);
			rc = -1;
		} else if (o->has_arg && !*val) {
			fprintf(stderr, "unmo-ingest: %s: '%s' needs a value\n", where, p);
			rc = -1;
		} else {
			/* strings must outlive the file: kept for the process lifetime */
			char *copy = o->has_arg && nkept < 512 ? strdup(val) : NULL;
			if (copy)
				kept[nkept++] = copy;
			rc = apply(c, p, copy ? copy : "", where);
		}
	}
	fclose(f);
	return rc;
}

int cfg_parse(struct ingest_cfg *c, int argc, char **argv)
{
	memset(c, 0, sizeof *c);
	inet_pton(AF_INET, "10.99.0.1", &c->ip4);
	c->udp_port = 7100;
	c->writers = 1;
	c->rx_desc = 1024;
	c->tx_desc = 512;
	c->burst = 32;
	c->mbuf_data = 2048;
	c->chunks = 128;
	c->direct_io = true;
	c->udp_cksum = true;
	c->pending = 16384;
	c->senders = 4096;
	c->out_dir = "segments";
	c->prefix = "unmo";
	c->tenants = "tenants.conf";
	c->seg_bytes = 256ull << 20;
	c->seg_age_ms = 60000;
	c->flush_ms = 2;
	c->commit_ms = 2;
	c->promisc = true;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			continue;
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "unmo-ingest: unexpected argument '%s' (see --help)\n", a);
			return -1;
		}
		char name[64];
		const char *val = NULL, *eq = strchr(a + 2, '=');
		size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (n >= sizeof name) {
			fprintf(stderr, "unmo-ingest: unknown option %s\n", a);
			return -1;
		}
		memcpy(name, a + 2, n);
		name[n] = 0;
		const struct opt *o = find_opt(name);
		if (!o) {
			fprintf(stderr, "unmo-ingest: unknown option %s (see --help)\n", a);
			return -1;
		}
		if (!strcmp(name, "help")) {
			cfg_usage(argv[0]);
			exit(0);
		}
		if (o->has_arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				fprintf(stderr, "unmo-ingest: --%s needs a value\n", name);
				return -1;
			}
		} else
			val = "";
		if (apply(c, name, val, "command line"))
			return -1;
	}
	if (c->burst > c->rx_desc) {
		fprintf(stderr, "unmo-ingest: --burst must not exceed --rx-desc\n");
		return -1;
	}
	/* The RX pipeline alone: its writers drop chunks unencoded, so RX-side
	 * encoding (the writers' work, taken on when they are behind) has no
	 * place in it; a writer napping while idle would otherwise trigger it. */
	if (c->bench_no_write)
		c->rx_encode = RX_ENCODE_OFF;
	return 0;
}
