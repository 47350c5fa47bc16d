/* unmo-gen — traffic generator for the brief's three tenants: writes a pcap
 * (net_pcap, tcpreplay, pktgen), sends live UDP, and writes the expected
 * results (events.jsonl, truth.csv, credits.csv, malformed.csv). The model lives in
 * lib/gen, the framing in lib/gen_wire, the packets in lib/pkt; this file is
 * options, addresses, files, the socket and the summary
 * (docs/generator.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "frame_bin.h"
#include "gen.h"
#include "gen_wire.h"
#include "http_lite.h"
#include "pkt.h"
#include "tenant.h"

static const char usage[] =
	"usage: unmo-gen [options]\n"
	"  --seed N              PRNG seed (default 1); same seed => same output bytes\n"
	"  --events N            good events to generate (default 10000)\n"
	"  --tenants FILE        tenant registry (default tenants.conf)\n"
	"  --profile P           all|techstart|ecomgrowth|financetrack (comma list; default all)\n"
	"  --duration D          simulated span that calibrates the rate: 1d, 6h, 30m, 90s or µs\n"
	"                        (default: the profiles' daily volumes, 225,000 events/day for all)\n"
	"  --start-time T        simulated start, ISO-8601 (2026-01-05T00:00:00Z) or µs since\n"
	"                        the epoch (default 2026-01-05T00:00:00Z)\n"
	"  --pcap FILE           write the datagrams as a pcap (Ethernet, µs timestamps)\n"
	"  --out DIR             write events.jsonl, truth.csv, credits.csv, floods.csv,\n"
	"                        malformed.csv into DIR\n"
	"  --send HOST:PORT      send real UDP datagrams ([v6addr]:port for IPv6)\n"
	"  --rate EV_PER_S       pace sending (default 50000 events/s) and pcap timestamps\n"
	"                        (default: simulated event times) at this many events/s\n"
	"  --binary-share F      share of events sent by edge collectors as binary frames (0.5)\n"
	"  --collectors N        simulated edge collectors (4)\n"
	"  --auth                tag every binary frame (default: tenants with auth=required)\n"
	"  --malformed N         add N malformed datagrams of assorted kinds (malformed.csv)\n"
	"  --floods F            share of audience devices that are click floods (0; floods.csv)\n"
	"  --reengagement-edges  conversions exactly 30 d after each re-engagement open, and 1 us later\n"
	"  --dst-ip A            destination address in the pcap (10.99.0.1, or fd00:99::1 with --ipv6)\n"
	"  --dst-port P          destination UDP port in the pcap (7100)\n"
	"  --dst-mac M           destination MAC in the pcap (02:00:00:00:00:01)\n"
	"  --src-net CIDR        source addresses of the simulated senders (10.98.0.0/16,\n"
	"                        fd00:98::/64 with --ipv6)\n"
	"  --ipv6                IPv6 packets (UDP payload limit 1452 instead of 1472)\n"
	"  --vlan ID             802.1Q tag in the pcap\n"
	"  --ack                 binary frames ask for acks; with --send: wait for them and resend\n"
	"  --ack-timeout MS      resend an unacknowledged frame after MS (500)\n"
	"  --ack-tries N         sends per frame at most (5)\n"
	"  --reply               HTTP-lite requests ask for a response (X-Unmo-Reply: 1)\n"
	"  --wait MS             with --send, wait this long for responses at the end (2000)\n"
	"  --quiet               no summary\n"
	"  --help, --version\n"
	"Exit status: 0 ok, 1 error (the message names the file and the reason), 2 usage.\n";

#define DAY_US 86400000000ll
#define DEFAULT_SEND_RATE 50000.0 /* events/s when --send has no --rate */

struct opts {
	uint64_t seed, events, malformed;
	const char *tenants, *profile, *pcap, *out, *send, *dst_mac, *src_net, *dst_ip;
	double rate, binary_share, flood_share;
	int64_t start_us, duration_us;
	unsigned collectors, vlan, dst_port, ack_tries;
	int ack_timeout_ms, wait_ms;
	bool ipv6, ack, reply, auth, quiet, reeng_edges;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "unmo-gen: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see unmo-gen --help)\n");
	return 2;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return false;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_duration(const char *s, int64_t *us)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return false;
	double mul = 1;
	if (!strcmp(end, "d"))
		mul = 86400e6;
	else if (!strcmp(end, "h"))
		mul = 3600e6;
	else if (!strcmp(end, "m"))
		mul = 60e6;
	else if (!strcmp(end, "s"))
		mul = 1e6;
	else if (!strcmp(end, "ms"))
		mul = 1e3;
	else if (*end && strcmp(end, "us"))
		return false;
	*us = (int64_t)(v * mul);
	return true;
}

/* "YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z]" (UTC) or an integer (µs). */
static bool parse_time(const char *s, int64_t *us)
{
	uint64_t v;
	if (parse_u64(s, &v)) {
		*us = (int64_t)v;
		return true;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int y, mo, d, h = 0, mi = 0, n = 0;
	double sec = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return false;
	const char *p = s + n;
	if (*p == 'T' || *p == ' ') {
		int m2 = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m2) != 2)
			return false;
		p += 1 + m2;
		if (*p == ':') {
			char *end;
			sec = strtod(p + 1, &end);
			if (end == p + 1)
				return false;
			p = end;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	time_t t = timegm(&tm);
	*us = (int64_t)t * 1000000 + (int64_t)(sec * 1e6 + 0.5);
	return true;
}

/* ---- addresses ---- */
struct net {
	uint8_t ver, base[16];
	unsigned prefix;
};

static bool parse_cidr(const char *s, struct net *n)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", s);
	char *slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = 0;
	uint64_t pl;
	if (!parse_u64(slash + 1, &pl))
		return false;
	memset(n->base, 0, 16);
	if (inet_pton(AF_INET, buf, n->base) == 1) {
		n->ver = 4;
		if (pl > 30)
			return false;
	} else if (inet_pton(AF_INET6, buf, n->base) == 1) {
		n->ver = 6;
		if (pl > 126)
			return false;
	} else {
		return false;
	}
	n->prefix = (unsigned)pl;
	return true;
}

/* Host number h (>= 1) inside the net (wraps inside the host part). */
static void net_host(const struct net *n, uint64_t h, uint8_t out[16])
{
	unsigned bits = (n->ver == 4 ? 32 : 128) - n->prefix, len = n->ver == 4 ? 4 : 16;
	uint64_t room = bits >= 63 ? UINT64_MAX : (1ull << bits) - 2; /* no network/broadcast */
	uint64_t x = 1 + h % room;
	memcpy(out, n->base, 16);
	for (unsigned i = 0; i < 8 && i < len; i++) {
		unsigned byte = len - 1 - i;
		unsigned hostbits = bits > 8 * i ? bits - 8 * i : 0;
		uint8_t mask = hostbits >= 8 ? 0xff : (uint8_t)((1u << hostbits) - 1);
		out[byte] = (uint8_t)((out[byte] & ~mask) | ((x >> (8 * i)) & mask));
	}
}

/* ---- live sending ---- */
struct unacked {
	uint64_t key_id, sender_id, seq;
	int64_t sent_ns;
	unsigned tries;
	size_t len;
	uint8_t data[UNMO_PKT_MAX_PAYLOAD4];
};

struct run {
	struct opts o;
	struct unmo_pcapw *pcap;
	FILE *jsonl, *truth, *credits, *floods, *bad;
	int sock, sock_family;
	struct unmo_pkt_addr addr;
	struct net src;
	uint8_t frame[UNMO_PKT_FRAME_MAX];
	int64_t pace_start_ns;
	double events_sent;
	char err[512];
	/* summary */
	uint64_t ev_type[UNMO_GEN_TENANTS][UNMO_EV_TYPE_COUNT];
	uint64_t dgrams[UNMO_WIRE_KINDS], dgram_events[UNMO_WIRE_KINDS], payload_bytes, frame_bytes;
	uint64_t truth_rows, match_count[4], via_count[4], flood_rows[2];
	/* responses */
	uint64_t http_status[6]; /* 202, 400, 401, 413, 429, other */
	uint64_t acks, resends, unacked_final, bad_responses, http_sent;
	struct unacked *pending;
	size_t npending, cappending;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void handle_response(struct run *r, const uint8_t *buf, size_t n)
{
	struct unmo_ack a;
	if (n == UNMO_ACK_LEN && !unmo_ack_decode(buf, n, &a)) {
		r->acks++;
		for (size_t i = 0; i < r->npending;) {
			struct unacked *u = &r->pending[i];
			if (u->key_id == a.key_id && u->sender_id == a.sender_id && unmo_ack_covers(&a, u->seq))
				r->pending[i] = r->pending[--r->npending];
			else
				i++;
		}
		return;
	}
	int status;
	uint32_t acc, rej;
	if (unmo_http_parse_response((const char *)buf, n, &status, &acc, &rej)) {
		r->bad_responses++;
		return;
	}
	static const int codes[5] = {202, 400, 401, 413, 429};
	unsigned k = 5;
	for (unsigned i = 0; i < 5; i++)
		if (codes[i] == status)
			k = i;
	r->http_status[k]++;
}

static void drain(struct run *r, int timeout_ms)
{
	uint8_t buf[2048];
	struct pollfd pfd = {.fd = r->sock, .events = POLLIN};
	while (poll(&pfd, 1, timeout_ms) > 0) {
		ssize_t n = recv(r->sock, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0)
			break;
		handle_response(r, buf, (size_t)n);
		timeout_ms = 0;
	}
}

/* Edge-collector behaviour: a frame not acknowledged within the timeout is
 * sent again (same bytes, same sequence: the appliance counts a duplicate
 * if the first copy did arrive), at most ack_tries times in all. */
static void resend_due(struct run *r)
{
	int64_t now = now_ns(), timeout = (int64_t)r->o.ack_timeout_ms * 1000000;
	for (size_t i = 0; i < r->npending;) {
		struct unacked *u = &r->pending[i];
		if (now - u->sent_ns < timeout) {
			i++;
			continue;
		}
		if (u->tries >= r->o.ack_tries) {
			r->unacked_final++;
			r->pending[i] = r->pending[--r->npending];
			continue;
		}
		if (send(r->sock, u->data, u->len, 0) >= 0)
			r->resends++;
		u->tries++;
		u->sent_ns = now;
		i++;
	}
}

static int open_socket(struct run *r)
{
	char host[256];
	snprintf(host, sizeof host, "%s", r->o.send);
	char *colon = strrchr(host, ':');
	if (!colon || colon == host)
		return usage_error("--send wants HOST:PORT, got '%s'", r->o.send);
	*colon = 0;
	const char *port = colon + 1, *h = host;
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = 0;
		h = host + 1;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *ai;
	int rc = getaddrinfo(h, port, &hints, &ai);
	if (rc) {
		fprintf(stderr, "unmo-gen: %s: %s\n", r->o.send, gai_strerror(rc));
		return 1;
	}
	r->sock_family = ai->ai_family;
	r->sock = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->sock < 0 || connect(r->sock, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "unmo-gen: %s: %s\n", r->o.send, strerror(errno));
		freeaddrinfo(ai);
		return 1;
	}
	freeaddrinfo(ai);
	int sz = 4 << 20;
	setsockopt(r->sock, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	setsockopt(r->sock, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	return 0;
}

static void pace(struct run *r, uint32_t events)
{
	r->events_sent += events ? events : 1;
	if (r->sock < 0)
		return;
	/* Live sending is always bounded: DEFAULT_SEND_RATE unless --rate. */
	double rate = r->o.rate > 0 ? r->o.rate : DEFAULT_SEND_RATE;
	int64_t due = r->pace_start_ns + (int64_t)(r->events_sent / rate * 1e9);
	for (;;) {
		int64_t now = now_ns();
		if (now >= due)
			break;
		if (r->o.ack || r->o.reply) {
			int ms = (int)((due - now) / 1000000);
			drain(r, ms);
			if (now_ns() < due && ms == 0) {
				struct timespec ts = {0, (long)(due - now_ns())};
				if (ts.tv_nsec > 0)
					nanosleep(&ts, NULL);
			}
		} else {
			struct timespec ts = {(time_t)((due - now) / 1000000000), (long)((due - now) % 1000000000)};
			nanosleep(&ts, NULL);
		}
	}
}

static int sink(void *ctx, const struct unmo_wire_dgram *d)
{
	struct run *r = ctx;
	r->dgrams[d->kind]++;
	r->dgram_events[d->kind] += d->events;
	r->payload_bytes += d->len;
	if (d->jsonl_len && r->jsonl && fwrite(d->jsonl, 1, d->jsonl_len, r->jsonl) != d->jsonl_len) {
		snprintf(r->err, sizeof r->err, "%s/events.jsonl: %s", r->o.out, strerror(errno));
		return 1;
	}
	if (d->kind == UNMO_WIRE_MALFORMED && r->bad)
		fprintf(r->bad, "%" PRIu64 ",%s,%s\n", d->index, unmo_wire_bad_names[d->bad],
			unmo_wire_bad_counters[d->bad]);
	if (r->pcap) {
		uint64_t h = (uint64_t)d->source * 0x9e3779b97f4a7c15ull;
		net_host(&r->src, h >> 20, r->addr.src_ip);
		r->addr.src_port = (uint16_t)(1024 + (h >> 8) % 64000);
		uint16_t ip_id = (uint16_t)d->index;
		size_t n = unmo_pkt_build(r->frame, sizeof r->frame, &r->addr, ip_id, d->payload, d->len);
		if (!n) {
			snprintf(r->err, sizeof r->err, "datagram %" PRIu64 " of %zu bytes does not fit a packet",
				 d->index, d->len);
			return 1;
		}
		int64_t ts = d->time_us;
		if (r->o.rate > 0) /* paced: replay at the requested rate */
			ts = r->o.start_us + (int64_t)(r->events_sent / r->o.rate * 1e6);
		r->frame_bytes += n;
		if (unmo_pcapw_write(r->pcap, ts, r->frame, n, r->err, sizeof r->err))
			return 1;
	}
	if (r->sock >= 0) {
		pace(r, d->events);
		if (send(r->sock, d->payload, d->len, 0) < 0 && errno != ECONNREFUSED) {
			snprintf(r->err, sizeof r->err, "%s: %s", r->o.send, strerror(errno));
			return 1;
		}
		if (d->payload[0] == 'P') /* every HTTP-lite request, malformed ones too, gets a response */
			r->http_sent++;
		if (r->o.ack && d->kind == UNMO_WIRE_BINARY) {
			if (r->npending == r->cappending) {
				size_t cap = r->cappending ? r->cappending * 2 : 1024;
				struct unacked *p = realloc(r->pending, cap * sizeof *p);
				if (!p) {
					snprintf(r->err, sizeof r->err, "out of memory");
					return 1;
				}
				r->pending = p;
				r->cappending = cap;
			}
			struct unacked *u = &r->pending[r->npending++];
			u->key_id = d->key_id;
			u->sender_id = d->sender_id;
			u->seq = d->sequence;
			u->sent_ns = now_ns();
			u->tries = 1;
			u->len = d->len;
			memcpy(u->data, d->payload, d->len);
		}
		if (r->o.ack || r->o.reply) {
			drain(r, 0);
			if (r->o.ack)
				resend_due(r);
		}
	} else {
		pace(r, d->events);
	}
	return 0;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "unmo-gen: %s: %s\n", path, strerror(errno));
	return f;
}

/* One formatted row (n bytes; 0: it did not fit) to f, when f is open.
 * 0, or 1 with the reason on stderr. */
static int put_row(FILE *f, const char *line, size_t n, const char *dir, const char *name)
{
	if (!f)
		return 0;
	if (!n) {
		fprintf(stderr, "unmo-gen: %s/%s: a row longer than its buffer\n", dir, name);
		return 1;
	}
	if (fwrite(line, 1, n, f) != n) {
		fprintf(stderr, "unmo-gen: %s/%s: %s\n", dir, name, strerror(errno));
		return 1;
	}
	return 0;
}

static int close_out(FILE *f, const char *dir, const char *name)
{
	if (!f)
		return 0;
	bool bad = fflush(f) != 0 || ferror(f);
	bad |= fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "unmo-gen: %s/%s: write error\n", dir, name);
		return 1;
	}
	return 0;
}

static unsigned parse_profiles(const char *s)
{
	unsigned mask = 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		if (!strcmp(tok, "all")) {
			mask |= (1u << UNMO_GEN_TENANTS) - 1;
			continue;
		}
		int p = unmo_gen_profile_from_key(tok);
		if (p < 0)
			return 0;
		mask |= 1u << p;
	}
	return mask;
}

static void summary(const struct run *r, uint64_t emitted)
{
	static const char *const tn[UNMO_GEN_TENANTS] = {"techstart", "ecomgrowth", "financetrack"};
	printf("unmo-gen: %" PRIu64 " events, seed %" PRIu64 "\n", emitted, r->o.seed);
	printf("%-14s", "events");
	for (unsigned t = 1; t < UNMO_EV_TYPE_COUNT; t++)
		printf(" %12s", unmo_event_type_names[t]);
	printf(" %12s\n", "total");
	for (unsigned i = 0; i < UNMO_GEN_TENANTS; i++) {
		uint64_t tot = 0;
		for (unsigned t = 1; t < UNMO_EV_TYPE_COUNT; t++)
			tot += r->ev_type[i][t];
		if (!tot)
			continue;
		printf("%-14s", tn[i]);
		for (unsigned t = 1; t < UNMO_EV_TYPE_COUNT; t++)
			printf(" %12" PRIu64, r->ev_type[i][t]);
		printf(" %12" PRIu64 "\n", tot);
	}
	printf("datagrams:");
	for (unsigned k = 0; k < UNMO_WIRE_KINDS; k++)
		printf(" %s %" PRIu64 " (%" PRIu64 " events)", unmo_wire_kind_names[k], r->dgrams[k],
		       r->dgram_events[k]);
	printf("\nbytes: payload %" PRIu64 ", pcap frames %" PRIu64 "\n", r->payload_bytes, r->frame_bytes);
	printf("truth: %" PRIu64 " installs/reinstalls: deterministic %" PRIu64 ", probabilistic %" PRIu64
	       ", organic %" PRIu64 ", original %" PRIu64 "\n",
	       r->truth_rows, r->match_count[UNMO_GEN_MATCH_DETERMINISTIC],
	       r->match_count[UNMO_GEN_MATCH_PROBABILISTIC], r->match_count[UNMO_GEN_MATCH_ORGANIC],
	       r->match_count[UNMO_GEN_MATCH_ORIGINAL]);
	printf("credits: conversions via install %" PRIu64 ", via re-engagement %" PRIu64 ", none %" PRIu64
	       "; app opens starting a re-engagement %" PRIu64 "\n",
	       r->via_count[UNMO_GEN_VIA_INSTALL], r->via_count[UNMO_GEN_VIA_REENGAGEMENT],
	       r->via_count[UNMO_GEN_VIA_NONE], r->via_count[UNMO_GEN_VIA_REENGAGES]);
	if (r->o.flood_share > 0)
		printf("floods: %" PRIu64 " click-flood devices, %" PRIu64 " near misses\n", r->flood_rows[1],
		       r->flood_rows[0]);
	if (r->sock >= 0 && (r->o.reply || r->o.ack))
		printf("responses: http 202 %" PRIu64 ", 400 %" PRIu64 ", 401 %" PRIu64 ", 413 %" PRIu64
		       ", 429 %" PRIu64 ", other %" PRIu64 "; acks %" PRIu64 ", resends %" PRIu64
		       ", unacked %" PRIu64 ", unreadable %" PRIu64 "\n",
		       r->http_status[0], r->http_status[1], r->http_status[2], r->http_status[3],
		       r->http_status[4], r->http_status[5], r->acks, r->resends, r->unacked_final,
		       r->bad_responses);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_SEED = 256, O_EVENTS, O_TENANTS, O_PROFILE, O_PCAP, O_OUT, O_SEND, O_RATE, O_BSHARE,
	       O_FLOODS, O_REENG_EDGES, O_MALFORMED, O_DSTIP, O_DSTMAC, O_SRCNET, O_IPV6, O_VLAN, O_ACK, O_REPLY, O_START, O_DURATION,
	       O_COLLECTORS, O_AUTH, O_DSTPORT, O_ACKTO, O_ACKTRIES, O_WAIT, O_QUIET, O_HELP, O_VERSION };
	static const struct option lo[] = {
		{"seed", 1, 0, O_SEED}, {"events", 1, 0, O_EVENTS}, {"tenants", 1, 0, O_TENANTS},
		{"profile", 1, 0, O_PROFILE}, {"pcap", 1, 0, O_PCAP}, {"out", 1, 0, O_OUT},
		{"send", 1, 0, O_SEND}, {"rate", 1, 0, O_RATE}, {"binary-share", 1, 0, O_BSHARE},
		{"floods", 1, 0, O_FLOODS}, {"reengagement-edges", 0, 0, O_REENG_EDGES},
		{"malformed", 1, 0, O_MALFORMED}, {"dst-ip", 1, 0, O_DSTIP}, {"dst-mac", 1, 0, O_DSTMAC},
		{"src-net", 1, 0, O_SRCNET}, {"ipv6", 0, 0, O_IPV6}, {"vlan", 1, 0, O_VLAN},
		{"ack", 0, 0, O_ACK}, {"reply", 0, 0, O_REPLY}, {"start-time", 1, 0, O_START},
		{"duration", 1, 0, O_DURATION}, {"collectors", 1, 0, O_COLLECTORS}, {"auth", 0, 0, O_AUTH},
		{"dst-port", 1, 0, O_DSTPORT}, {"ack-timeout", 1, 0, O_ACKTO}, {"ack-tries", 1, 0, O_ACKTRIES},
		{"wait", 1, 0, O_WAIT}, {"quiet", 0, 0, O_QUIET}, {"help", 0, 0, O_HELP},
		{"version", 0, 0, O_VERSION}, {0, 0, 0, 0},
	};
	uint64_t v;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char *end;
		switch (c) {
		case O_SEED:
			if (!parse_u64(optarg, &o->seed))
				return usage_error("--seed wants an unsigned integer, got '%s'", optarg);
			break;
		case O_EVENTS:
			if (!parse_u64(optarg, &o->events))
				return usage_error("--events wants an unsigned integer, got '%s'", optarg);
			break;
		case O_MALFORMED:
			if (!parse_u64(optarg, &o->malformed))
				return usage_error("--malformed wants an unsigned integer, got '%s'", optarg);
			break;
		case O_TENANTS: o->tenants = optarg; break;
		case O_PROFILE: o->profile = optarg; break;
		case O_PCAP: o->pcap = optarg; break;
		case O_OUT: o->out = optarg; break;
		case O_SEND: o->send = optarg; break;
		case O_DSTIP: o->dst_ip = optarg; break;
		case O_DSTMAC: o->dst_mac = optarg; break;
		case O_SRCNET: o->src_net = optarg; break;
		case O_IPV6: o->ipv6 = true; break;
		case O_ACK: o->ack = true; break;
		case O_REPLY: o->reply = true; break;
		case O_AUTH: o->auth = true; break;
		case O_QUIET: o->quiet = true; break;
		case O_RATE:
			o->rate = strtod(optarg, &end);
			if (*end || end == optarg || !(o->rate > 0))
				return usage_error("--rate wants a positive number, got '%s'", optarg);
			break;
		case O_REENG_EDGES: o->reeng_edges = true; break;
		case O_FLOODS:
			o->flood_share = strtod(optarg, &end);
			if (*end || end == optarg || !(o->flood_share >= 0 && o->flood_share <= 1))
				return usage_error("--floods wants a number within 0..1, got '%s'", optarg);
			break;
		case O_BSHARE:
			o->binary_share = strtod(optarg, &end);
			if (*end || end == optarg || !(o->binary_share >= 0 && o->binary_share <= 1))
				return usage_error("--binary-share wants a number within 0..1, got '%s'", optarg);
			break;
		case O_VLAN:
			if (!parse_u64(optarg, &v) || v < 1 || v > 4094)
				return usage_error("--vlan wants 1..4094, got '%s'", optarg);
			o->vlan = (unsigned)v;
			break;
		case O_DSTPORT:
			if (!parse_u64(optarg, &v) || v < 1 || v > 65535)
				return usage_error("--dst-port wants 1..65535, got '%s'", optarg);
			o->dst_port = (unsigned)v;
			break;
		case O_COLLECTORS:
			if (!parse_u64(optarg, &v) || v < 1 || v > 64)
				return usage_error("--collectors wants 1..64, got '%s'", optarg);
			o->collectors = (unsigned)v;
			break;
		case O_ACKTO:
			if (!parse_u64(optarg, &v) || v < 1 || v > 600000)
				return usage_error("--ack-timeout wants 1..600000 ms, got '%s'", optarg);
			o->ack_timeout_ms = (int)v;
			break;
		case O_ACKTRIES:
			if (!parse_u64(optarg, &v) || v < 1 || v > 100)
				return usage_error("--ack-tries wants 1..100, got '%s'", optarg);
			o->ack_tries = (unsigned)v;
			break;
		case O_WAIT:
			if (!parse_u64(optarg, &v) || v > 600000)
				return usage_error("--wait wants 0..600000 ms, got '%s'", optarg);
			o->wait_ms = (int)v;
			break;
		case O_START:
			if (!parse_time(optarg, &o->start_us))
				return usage_error("--start-time wants ISO-8601 (2026-01-05T00:00:00Z) or µs, got '%s'",
						   optarg);
			break;
		case O_DURATION:
			if (!parse_duration(optarg, &o->duration_us))
				return usage_error("--duration wants e.g. 1d, 6h, 30m, 90s or µs, got '%s'", optarg);
			break;
		case O_HELP: fputs(usage, stdout); exit(0);
		case O_VERSION: printf("unmo-gen %s\n", UNMO_VERSION); exit(0);
		default: return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

int main(int argc, char **argv)
{
	struct run r;
	memset(&r, 0, sizeof r);
	r.sock = -1;
	struct opts *o = &r.o;
	o->seed = 1;
	o->events = 10000;
	o->tenants = "tenants.conf";
	o->profile = "all";
	o->binary_share = 0.5;
	o->dst_port = 7100;
	o->ack_timeout_ms = 500;
	o->ack_tries = 5;
	o->wait_ms = 2000;
	parse_time("2026-01-05T00:00:00Z", &o->start_us);
	int rc = parse_args(argc, argv, o);
	if (rc)
		return rc;
	unsigned mask = parse_profiles(o->profile);
	if (!mask)
		return usage_error("--profile wants all|techstart|ecomgrowth|financetrack, got '%s'", o->profile);

	/* addresses */
	r.addr.ip_version = o->ipv6 ? 6 : 4;
	r.addr.vlan = (uint16_t)o->vlan;
	r.addr.dst_port = (uint16_t)o->dst_port;
	const char *dst_ip = o->dst_ip ? o->dst_ip : o->ipv6 ? "fd00:99::1" : "10.99.0.1";
	if (inet_pton(o->ipv6 ? AF_INET6 : AF_INET, dst_ip, r.addr.dst_ip) != 1)
		return usage_error(o->ipv6 ? "--dst-ip wants an IPv6 address with --ipv6, got '%s'"
					   : "--dst-ip wants an IPv4 address (or use --ipv6), got '%s'",
				   dst_ip);
	if (unmo_pkt_parse_mac(o->dst_mac ? o->dst_mac : "02:00:00:00:00:01", r.addr.dst_mac))
		return usage_error("--dst-mac wants aa:bb:cc:dd:ee:ff, got '%s'", o->dst_mac);
	unmo_pkt_parse_mac("02:00:00:00:00:02", r.addr.src_mac);
	const char *src_net = o->src_net ? o->src_net : o->ipv6 ? "fd00:98::/64" : "10.98.0.0/16";
	if (!parse_cidr(src_net, &r.src) || r.src.ver != r.addr.ip_version)
		return usage_error("--src-net wants a CIDR of the packets' IP version, got '%s'", src_net);

	/* tenants */
	char err[512];
	struct unmo_tenants *reg = unmo_tenants_load(o->tenants, err, sizeof err);
	if (!reg) {
		fprintf(stderr, "unmo-gen: %s\n", err);
		return 1;
	}
	struct unmo_wire_opts wo;
	memset(&wo, 0, sizeof wo);
	for (unsigned t = 0; t < UNMO_GEN_TENANTS; t++) {
		if (!(mask >> t & 1))
			continue;
		const char *app = unmo_gen_profiles[t].app_id;
		const struct unmo_tenant *tn = unmo_tenants_by_app_id(reg, app);
		if (!tn) {
			fprintf(stderr,
				"unmo-gen: %s: no tenant app '%s' (add it: unmo-tenant add --file %s --app %s)\n",
				o->tenants, app, o->tenants, app);
			unmo_tenants_free(reg);
			return 1;
		}
		wo.tenant[t] = (struct unmo_wire_tenant){tn->app_id, tn->key_id, tn->prod_key, tn->secret,
							 o->auth || tn->auth_required};
	}
	char host[80], ipbuf[INET6_ADDRSTRLEN];
	inet_ntop(o->ipv6 ? AF_INET6 : AF_INET, r.addr.dst_ip, ipbuf, sizeof ipbuf);
	snprintf(host, sizeof host, o->ipv6 ? "[%s]:%u" : "%s:%u", ipbuf, o->dst_port);
	wo.seed = o->seed;
	wo.binary_share = o->binary_share;
	wo.ack = o->ack;
	wo.reply = o->reply;
	wo.host = host;
	/* One payload limit for the pcap and the socket: an IPv6 path has 20
	 * bytes less room in a 1500-byte MTU (fragments are dropped). */
	if (o->send && (rc = open_socket(&r))) {
		unmo_tenants_free(reg);
		return rc;
	}
	bool v6_path = r.addr.ip_version == 6 || (r.sock >= 0 && r.sock_family == AF_INET6);
	wo.max_payload = unmo_pkt_max_payload(v6_path ? 6 : 4);
	wo.malformed = o->malformed;
	wo.events_hint = o->events;
	wo.collectors = o->collectors;

	struct unmo_gen_opts go = {.seed = o->seed, .events = o->events, .tenant_mask = mask,
				   .start_us = o->start_us, .duration_us = o->duration_us, .flood_share = o->flood_share,
				   .reengagement_edges = o->reeng_edges};
	struct unmo_gen *g = unmo_gen_new(&go, err, sizeof err);
	struct unmo_wire *w = g ? unmo_wire_new(&wo, sink, &r, err, sizeof err) : NULL;
	if (!w) {
		fprintf(stderr, "unmo-gen: %s\n", err);
		unmo_gen_free(g);
		unmo_tenants_free(reg);
		if (r.sock >= 0)
			close(r.sock);
		return 1;
	}
	char path[4096];
	rc = 0;
	if (o->out) {
		if (mkdir(o->out, 0777) && errno != EEXIST) {
			fprintf(stderr, "unmo-gen: %s: %s\n", o->out, strerror(errno));
			rc = 1;
		} else if (!(r.jsonl = open_out(o->out, "events.jsonl", path, sizeof path)) ||
			   !(r.truth = open_out(o->out, "truth.csv", path, sizeof path)) ||
			   !(r.credits = open_out(o->out, "credits.csv", path, sizeof path)) ||
			   !(r.floods = open_out(o->out, "floods.csv", path, sizeof path)) ||
			   !(r.bad = open_out(o->out, "malformed.csv", path, sizeof path))) {
			rc = 1;
		} else {
			fputs(UNMO_GEN_TRUTH_HEADER, r.truth);
			fputs(UNMO_GEN_CREDIT_HEADER, r.credits);
			fputs(UNMO_GEN_FLOOD_HEADER, r.floods);
			fputs("index,kind,expected_counter\n", r.bad);
		}
	}
	if (!rc && o->pcap && !(r.pcap = unmo_pcapw_open(o->pcap, err, sizeof err))) {
		fprintf(stderr, "unmo-gen: %s\n", err);
		rc = 1;
	}
	r.pace_start_ns = now_ns();

	struct unmo_gen_item it;
	while (!rc && unmo_gen_next(g, &it)) {
		r.ev_type[it.tenant][it.e->type]++;
		char line[512];
		if (it.has_truth) {
			r.truth_rows++;
			r.match_count[it.truth.match]++;
			rc |= put_row(r.truth, line, unmo_gen_truth_format(&it.truth, line, sizeof line), o->out,
				      "truth.csv");
		}
		if (it.has_credit) {
			r.via_count[it.credit.via]++;
			rc |= put_row(r.credits, line, unmo_gen_credit_format(&it.credit, line, sizeof line), o->out,
				      "credits.csv");
		}
		if (it.has_flood) {
			r.flood_rows[it.flood.flood]++;
			rc |= put_row(r.floods, line, unmo_gen_flood_format(&it.flood, line, sizeof line), o->out,
				      "floods.csv");
		}
		if (!rc && unmo_wire_add(w, &it)) {
			fprintf(stderr, "unmo-gen: %s\n", r.err[0] ? r.err : "an event could not be framed");
			rc = 1;
		}
	}
	if (!rc && unmo_wire_finish(w)) {
		fprintf(stderr, "unmo-gen: %s\n", r.err[0] ? r.err : "framing failed");
		rc = 1;
	}
	if (!rc && r.sock >= 0 && (o->ack || o->reply)) {
		/* Collect responses; resend unacknowledged frames until acked or out of tries. */
		int64_t deadline = now_ns() + (int64_t)o->wait_ms * 1000000;
		for (;;) {
			drain(&r, 20);
			if (o->ack)
				resend_due(&r);
			uint64_t answered = 0;
			for (int k = 0; k < 6; k++)
				answered += r.http_status[k];
			bool acks_done = !o->ack || !r.npending, replies_done = !o->reply || answered >= r.http_sent;
			if (now_ns() >= deadline || (acks_done && replies_done))
				break;
		}
		r.unacked_final += r.npending;
	}
	if (r.pcap && unmo_pcapw_close(r.pcap, err, sizeof err)) {
		fprintf(stderr, "unmo-gen: %s\n", err);
		rc = 1;
	}
	rc |= close_out(r.jsonl, o->out, "events.jsonl");
	rc |= close_out(r.truth, o->out, "truth.csv");
	rc |= close_out(r.credits, o->out, "credits.csv");
	rc |= close_out(r.floods, o->out, "floods.csv");
	rc |= close_out(r.bad, o->out, "malformed.csv");
	if (!rc && !o->quiet)
		summary(&r, unmo_gen_emitted(g));
	if (r.sock >= 0)
		close(r.sock);
	free(r.pending);
	unmo_wire_free(w);
	unmo_gen_free(g);
	unmo_tenants_free(reg);
	return rc;
}
