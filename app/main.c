/* main.c — unmo-ingest: wires EAL, ports, RX lcores, writer threads and the
 * control loop (status line, stop conditions, signals, final counters).
 *
 * Threads: one RX context per lcore that got at least one queue (EAL worker
 * lcores, or --rx-lcores, which may include the main lcore); writers are
 * plain pthreads so that 2 lcores suffice; the control loop runs on the main
 * lcore, or in a pthread when the main lcore receives.
 * Stop (SIGINT/SIGTERM, --exit-when-idle, --run-seconds): RX cores stop
 * receiving and hand off their last chunk, writers drain every ring and seal,
 * RX cores send the responses that became durable, counters are printed and
 * the process exits 0. A second signal (0.5 s or more after the first) exits
 * at once with status 3. SIGHUP: the control loop reloads the tenants file
 * (tenant_view.h); a bad file is reported and the current registry kept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "bench_replay.h"
#include "config.h"
#include "port.h"
#include "ring.h"
#include "rx.h"
#include "stats.h"
#include "tenant.h"
#include "tenant_view.h"
#include "writer.h"

static atomic_bool g_stop;

/* Everything main() sets up, at file scope so that a start-up failure can
 * release it (start_fail) whichever step failed. */
static struct unmo_tenants *tenants; /* until tviews_init takes it */
static struct tenant_views views;    /* the registry the RX cores use (SIGHUP reloads it) */
static struct writer_ctx writers[CFG_MAX_WRITERS];
static struct rx_ctx *rx[CFG_MAX_RX];
static struct chunk_link links[CFG_MAX_RX];
static unsigned nb_rx_alloc;

static int start_fail(void)
{
	for (unsigned i = 0; i < CFG_MAX_WRITERS; i++)
		writer_fini(&writers[i]);
	for (unsigned i = 0; i < nb_rx_alloc; i++) {
		if (rx[i]) {
			rx_fini(rx[i]);
			free(rx[i]);
		}
		link_free(&links[i]);
	}
	unmo_tenants_free(tenants);
	tviews_free(&views);
	rte_eal_cleanup();
	return 2;
}

/* SIGHUP: reload the tenants file (rotated keys, new apps) in the control
 * thread, which polls this flag. */
static volatile sig_atomic_t g_reload;

static void on_hup(int sig)
{
	(void)sig;
	g_reload = 1;
}
static volatile sig_atomic_t g_signals;

static struct timespec g_first_signal;

static void on_signal(int sig)
{
	(void)sig;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
	if (g_signals++) {
		/* `timeout` and process-group kills deliver the same signal twice at
		 * once: only a signal at least 0.5 s after the first forces exit. */
		long ms = (now.tv_sec - g_first_signal.tv_sec) * 1000 +
			  (now.tv_nsec - g_first_signal.tv_nsec) / 1000000;
		if (ms < 500)
			return;
		static const char msg[] = "unmo-ingest: second signal: exiting now\n";
		ssize_t r = write(2, msg, sizeof msg - 1);
		(void)r;
		_exit(3);
	}
	g_first_signal = now;
	atomic_store(&g_stop, true);
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct control {
	const struct ingest_cfg *cfg;
	struct stats_all *stats;
	double t0;
	struct rx_ctx **rx;
	unsigned nb_rx;
};

/* Reload the tenants file; the RX cores switch at their next loop pass. */
static void reload_tenants(const struct control *c)
{
	char err[512];
	unsigned added = 0;
	if (tviews_reload(&views, c->cfg->tenants, &added, err, sizeof err)) {
		fprintf(stderr, "unmo-ingest: tenants reload failed, keeping the current ones: %s\n", err);
		return;
	}
	const struct tenant_view *v = tviews_current(&views);
	printf("tenants reloaded from %s: %u apps (%u new), generation %lu\n", c->cfg->tenants,
	       unmo_tenants_count(v->reg), added, (unsigned long)v->gen);
	fflush(stdout);
}

/* Free the replaced registries no RX core uses any more. */
static void retire_tenants(const struct control *c)
{
	const struct tenant_view *v = tviews_current(&views);
	if (!v->older)
		return;
	uint64_t in_use = v->gen;
	for (unsigned i = 0; i < c->nb_rx; i++) {
		uint64_t g = atomic_load_explicit(&c->rx[i]->view_gen, memory_order_acquire);
		if (g < in_use)
			in_use = g;
	}
	tviews_retire(&views, in_use);
}

static void *control_loop(void *arg)
{
	struct control *c = arg;
	const struct ingest_cfg *cfg = c->cfg;
	double interval = cfg->status_interval > 0 ? cfg->status_interval : 5.0;
	bool status = cfg->status_forced ? cfg->status_interval > 0 : isatty(STDOUT_FILENO);
	double next_status = c->t0 + interval, last_change = c->t0;
	uint64_t last_packets = 0;
	while (!atomic_load(&g_stop)) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
		double now = mono_s();
		uint64_t pk = stats_activity(c->stats);
		if (pk != last_packets) {
			last_packets = pk;
			last_change = now;
		}
		if (cfg->exit_when_idle > 0 && now - last_change >= cfg->exit_when_idle) {
			printf("idle for %.1f s: stopping\n", cfg->exit_when_idle);
			atomic_store(&g_stop, true);
		}
		if (cfg->run_seconds > 0 && now - c->t0 >= cfg->run_seconds)
			atomic_store(&g_stop, true);
		if (status && now >= next_status) {
			stats_status_line(c->stats, stdout, now - c->t0);
			next_status += interval;
		}
		if (g_reload) {
			g_reload = 0;
			reload_tenants(c);
		}
		retire_tenants(c);
	}
	return NULL;
}

/* Writers and the control thread are plain pthreads: run them on the CPUs
 * that no RX lcore spins on (EAL pinned the main thread, whose affinity they
 * would inherit); if RX lcores cover every CPU, let them run anywhere. */
static cpu_set_t g_free_cpus;

static void plan_cpus(struct rx_ctx *const *rxs, unsigned n)
{
	CPU_ZERO(&g_free_cpus);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	for (long i = 0; i < ncpu && i < CPU_SETSIZE; i++)
		CPU_SET((int)i, &g_free_cpus);
	cpu_set_t all = g_free_cpus;
	for (unsigned i = 0; i < n; i++) {
		rte_cpuset_t cs = rte_lcore_cpuset(rxs[i]->lcore);
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &cs))
				CPU_CLR(c, &g_free_cpus);
	}
	if (CPU_COUNT(&g_free_cpus) == 0)
		g_free_cpus = all;
}

static void unpin(pthread_t t)
{
	pthread_setaffinity_np(t, sizeof g_free_cpus, &g_free_cpus);
}

static bool want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
		if (!strcmp(argv[i], "--version")) {
			printf("unmo-ingest " UNMO_VERSION "\n");
			exit(0);
		}
	}
	return false;
}

static int make_dir(const char *d)
{
	if (mkdir(d, 0755) && errno != EEXIST) {
		fprintf(stderr, "unmo-ingest: mkdir %s: %s\n", d, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (want_help(argc, argv)) {
		cfg_usage(argv[0]);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "unmo-ingest: EAL initialisation failed (see the EAL message above)\n");
		return 2;
	}
	static struct ingest_cfg cfg;
	if (cfg_parse(&cfg, argc - eal, argv + eal))
		return start_fail();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);

	char err[512];
	tenants = unmo_tenants_load(cfg.tenants, err, sizeof err);
	if (!tenants) {
		fprintf(stderr, "unmo-ingest: tenants: %s\n", err);
		return start_fail();
	}
	printf("tenants: %u apps from %s\n", unmo_tenants_count(tenants), cfg.tenants);
	if (tviews_init(&views, tenants)) {
		fprintf(stderr, "unmo-ingest: out of memory\n");
		return start_fail();
	}
	tenants = NULL; /* the views own it */
	if (make_dir(cfg.out_dir))
		return start_fail();

	/* One appliance per output directory: a second one would "recover" the
	 * first one's live .open files. The lock dies with the process. */
	int lockfd = open(cfg.out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "unmo-ingest: %s: %s\n", cfg.out_dir,
			lockfd < 0 ? strerror(errno) : "in use by another unmo-ingest (locked)");
		return start_fail();
	}

	/* Writers and their counters exist first: recovery is counted on writer 0. */
	if (writer_recover_dir(cfg.out_dir, &writers[0].st)) {
		fprintf(stderr, "unmo-ingest: unrecovered .open segments in %s: refusing to start\n",
			cfg.out_dir);
		return start_fail();
	}

	/* Ports. */
	uint16_t replay_port;
	if (cfg.bench_ring_replay && bench_replay_port(&replay_port))
		return start_fail();
	uint16_t port_ids[CFG_MAX_PORTS];
	unsigned nb_ports = 0;
	if (cfg.nb_ports) {
		for (unsigned i = 0; i < cfg.nb_ports; i++) {
			if (!rte_eth_dev_is_valid_port(cfg.ports[i])) {
				fprintf(stderr, "unmo-ingest: --port %u: no such port\n", cfg.ports[i]);
				return start_fail();
			}
			port_ids[nb_ports++] = cfg.ports[i];
		}
	} else {
		uint16_t pid;
		RTE_ETH_FOREACH_DEV(pid)
		if (nb_ports < CFG_MAX_PORTS)
			port_ids[nb_ports++] = pid;
	}
	if (!nb_ports) {
		fprintf(stderr, "unmo-ingest: no DPDK port (give EAL a --vdev or a PCI device)\n");
		return start_fail();
	}

	/* RX lcores. */
	uint16_t rx_lcores[CFG_MAX_RX];
	unsigned nb_rx = 0;
	unsigned main_lcore = rte_get_main_lcore();
	if (cfg.nb_rx_lcores) {
		for (unsigned i = 0; i < cfg.nb_rx_lcores; i++) {
			if (!rte_lcore_is_enabled(cfg.rx_lcores[i])) {
				fprintf(stderr, "unmo-ingest: --rx-lcores: lcore %u not enabled in EAL -l\n",
					cfg.rx_lcores[i]);
				return start_fail();
			}
			rx_lcores[nb_rx++] = cfg.rx_lcores[i];
		}
	} else {
		unsigned lc;
		RTE_LCORE_FOREACH_WORKER(lc)
		if (nb_rx < CFG_MAX_RX)
			rx_lcores[nb_rx++] = (uint16_t)lc;
		if (!nb_rx)
			rx_lcores[nb_rx++] = (uint16_t)main_lcore;
	}

	struct rte_mempool *pool = port_pool_create(&cfg, nb_ports * nb_rx, rte_lcore_count());
	if (!pool || (cfg.bench_ring_replay && bench_replay_load(cfg.bench_ring_replay, pool)))
		return start_fail();
	static struct port_info ports[CFG_MAX_PORTS];
	for (unsigned i = 0; i < nb_rx; i++) {
		rx[i] = aligned_alloc(64, (sizeof(struct rx_ctx) + 63) / 64 * 64);
		nb_rx_alloc = i + 1;
		if (!rx[i])
			return start_fail();
		memset(rx[i], 0, sizeof *rx[i]);
		rx[i]->lcore = rx_lcores[i];
	}
	for (unsigned p = 0; p < nb_ports; p++) {
		if (port_setup(&cfg, &ports[p], port_ids[p], (uint16_t)nb_rx, pool))
			return start_fail();
		for (uint16_t q = 0; q < ports[p].nb_queues; q++) {
			struct rx_ctx *x = rx[(p + q) % nb_rx];
			x->q[x->nb_q++] = (struct rx_queue_ref){port_ids[p], q, (uint16_t)p};
		}
		for (unsigned i = 0; i < nb_rx; i++) {
			struct net_host *h = &rx[i]->host[p];
			memcpy(h->mac, ports[p].mac, 6);
			h->ip4 = cfg.ip4;
			memcpy(h->ip6, cfg.ip6, 16);
			h->has_ip6 = cfg.has_ip6;
		}
	}
	/* Keep only lcores that got a queue. */
	unsigned nb_active = 0;
	for (unsigned i = 0; i < nb_rx; i++) {
		if (rx[i]->nb_q) {
			rx[nb_active++] = rx[i];
		} else {
			printf("lcore %u: no queue to serve, left idle\n", rx[i]->lcore);
			free(rx[i]);
		}
		if (i >= nb_active)
			rx[i] = NULL;
	}
	nb_rx = nb_active;
	nb_rx_alloc = nb_active;

	uint8_t appliance_id[16], run_id[8];
	if (getrandom(appliance_id, sizeof appliance_id, 0) != sizeof appliance_id ||
	    getrandom(run_id, sizeof run_id, 0) != sizeof run_id) {
		fprintf(stderr, "unmo-ingest: getrandom failed\n");
		return start_fail();
	}
	static struct chunk_link *wlinks[CFG_MAX_WRITERS][CFG_MAX_RX];
	unsigned nb_w = cfg.writers < nb_rx ? cfg.writers : nb_rx;
	for (unsigned i = 0; i < nb_rx; i++) {
		struct rx_ctx *x = rx[i];
		x->id = (uint16_t)i;
		x->cfg = &cfg;
		x->views = &views;
		x->mp = pool;
		x->stop = &g_stop;
		memcpy(x->run_id, run_id, 8);
		if (link_init(&links[i], (uint16_t)i, cfg.chunks, (int)rte_socket_id()))
			return start_fail();
		x->link = &links[i];
		if (rx_init(x))
			return start_fail();
		struct writer_ctx *w = &writers[i % nb_w];
		wlinks[i % nb_w][w->nb_links++] = &links[i];
		char qs[128] = "";
		for (unsigned k = 0; k < x->nb_q; k++)
			snprintf(qs + strlen(qs), sizeof qs - strlen(qs), " port%u/q%u", x->q[k].port_id,
				 x->q[k].queue);
		printf("rx %u on lcore %u:%s -> writer %u (%u chunks of %u KiB)\n", i, x->lcore, qs, i % nb_w,
		       cfg.chunks, UNMO_CHUNK_CAP / 1024);
	}
	for (unsigned i = 0; i < nb_w; i++) {
		struct writer_ctx *w = &writers[i];
		w->id = (uint16_t)i;
		w->cfg = &cfg;
		w->links = wlinks[i];
		w->stop = &g_stop;
		memcpy(w->appliance_id, appliance_id, 16);
		if (writer_init(w))
			return start_fail();
	}
	static struct rx_stats *rxs[CFG_MAX_RX];
	static struct writer_stats *ws[CFG_MAX_WRITERS];
	for (unsigned i = 0; i < nb_rx; i++)
		rxs[i] = &rx[i]->st;
	for (unsigned i = 0; i < nb_w; i++)
		ws[i] = &writers[i].st;
	static struct stats_all all;
	all = (struct stats_all){.rx = rxs, .nb_rx = nb_rx, .w = ws, .nb_w = nb_w,
				 .nb_ports = nb_ports, .tenants = &views};
	memcpy(all.ports, port_ids, sizeof port_ids);
	char ipbuf[64];
	inet_ntop(AF_INET, &cfg.ip4, ipbuf, sizeof ipbuf);
	printf("listening on %s udp/%u%s, %u RX core(s), %u writer(s), segments in %s "
	       "(rotate %lu MiB / %.0f s, flush %u ms, commit %u ms)%s\n",
	       ipbuf, cfg.udp_port, cfg.has_ip6 ? " (+IPv6)" : "", nb_rx, nb_w, cfg.out_dir,
	       cfg.seg_bytes >> 20, cfg.seg_age_ms / 1000.0, cfg.flush_ms, cfg.commit_ms,
	       cfg.bench_rx_only ? " [bench-rx-only: nothing is stored]" : "");

	plan_cpus(rx, nb_rx);
	pthread_t wt[CFG_MAX_WRITERS], ct;
	for (unsigned i = 0; i < nb_w; i++)
		if (pthread_create(&wt[i], NULL, writer_main, &writers[i])) {
			fprintf(stderr, "unmo-ingest: cannot start writer thread\n");
			return start_fail();
		} else {
			char tn[16];
			snprintf(tn, sizeof tn, "unmo-writer-%u", i % 10u);
			pthread_setname_np(wt[i], tn);
			unpin(wt[i]);
		}
	if (cfg.bench_ring_replay && bench_replay_start(&g_stop))
		return start_fail();
	struct control control = {.cfg = &cfg, .stats = &all, .t0 = mono_s(), .rx = rx, .nb_rx = nb_rx};
	int main_rx = -1;
	for (unsigned i = 0; i < nb_rx; i++) {
		if (rx[i]->lcore == main_lcore)
			main_rx = (int)i;
		else if (rte_eal_remote_launch(rx_main, rx[i], rx[i]->lcore)) {
			fprintf(stderr, "unmo-ingest: cannot launch lcore %u\n", rx[i]->lcore);
			return start_fail();
		}
	}
	if (main_rx >= 0) {
		pthread_create(&ct, NULL, control_loop, &control);
		unpin(ct);
		rx_main(rx[main_rx]);
		pthread_join(ct, NULL);
	} else {
		control_loop(&control);
	}
	printf("stopping: draining rings and sealing segments\n");
	rte_eal_mp_wait_lcore();
	if (cfg.bench_ring_replay)
		bench_replay_join();
	for (unsigned i = 0; i < nb_w; i++)
		pthread_join(wt[i], NULL);
	double elapsed = mono_s() - control.t0;
	stats_summary(&all, stdout, elapsed);
	int rc = 0;
	if (cfg.stats_json && stats_write_json(&all, cfg.stats_json, elapsed))
		rc = 1;
	for (unsigned p = 0; p < nb_ports; p++)
		port_stop(&ports[p]);
	for (unsigned i = 0; i < nb_w; i++)
		writer_fini(&writers[i]);
	for (unsigned i = 0; i < nb_rx; i++) {
		rx_fini(rx[i]);
		link_free(&links[i]);
		free(rx[i]);
	}
	tviews_free(&views);
	rte_eal_cleanup();
	return rc;
}
