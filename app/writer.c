/* writer.c — io_uring segment writer thread (see writer.h). */
#include "writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>

#include "segment.h"

#define SQ_ENTRIES 256u
#define UD_FSYNC 0u
#define UD_TRAILER 2u
#define UD_NOP 3u
#define UD_DROP_CACHE 4u
#define UD_LAST 4u /* larger ones are struct wio pointers */

/* A block written (or being written), not yet covered by an fsync. */
struct wentry {
	uint64_t seq;     /* the chunk's sequence on its RX core */
	uint32_t count;   /* records */
	uint32_t len;     /* block bytes */
	uint16_t slot;    /* link slot (RX core) */
	bool written;
};

/* The segment's bytes (header, then compressed blocks) go into staging
 * buffers, back to back as they will lie in the file, and one write covers
 * every block a loop pass added: one io_uring write per pass instead of one
 * per chunk, which matters when the writer is behind (up to 32 chunks a
 * pass). A buffer is reused once every write from it completed.
 * Direct I/O (O_DIRECT, where the file system takes it): no copy into the
 * page cache and none of its bookkeeping and writeback (~12% of the CPU of
 * a persisting run with buffered writes). Writes must then cover whole
 * DIO_ALIGN sectors: a write ends with the last partial sector padded with
 * zeros, and the next write starts at that sector again and rewrites it
 * with more data (a new stage starts with a copy of it). Two writes in
 * flight could then overlap and land in either order, so a direct-I/O
 * writer keeps one data write in flight; the next covers everything staged
 * meanwhile. The padding never counts: the file is cut to its exact length
 * at sealing, recovery stops at the zeros (or a torn block) after the last
 * whole block, and a broken segment is cut back to its last fsynced block. */
#define STAGE_BYTES (1u << 20)
#define NSTAGES 16u
#define WIO_MAX 128u
#define DIO_ALIGN 4096u

struct stage {
	uint8_t *buf;
	uint64_t base;   /* file offset of buf[0] (a multiple of the alignment) */
	uint32_t fill;   /* bytes holding file data */
	uint32_t sub;    /* bytes already submitted for writing */
	uint32_t writes; /* writes from this buffer not completed */
	uint32_t pend_first, pend_n; /* FIFO entries whose blocks are in [sub, fill) */
	bool queued;     /* in wstate.order: current, or bytes not yet submitted */
};

/* One write of consecutive blocks (FIFO entries [first, first + n)). */
struct wio {
	uint32_t first, n, len;
	uint16_t stage;
	bool header; /* covers the segment header (offset 0) */
};

struct wstate {
	struct io_uring ring;
	int dirfd;
	/* current segment */
	int fd;
	bool broken;
	char path[PATH_MAX];
	uint64_t seg_seq;
	uint64_t off;
	uint64_t seg_t0_ns;
	uint32_t inflight;       /* SQEs submitted, CQE not reaped */
	uint32_t writes_done, fsyncs_done; /* completions, for --fault-write/--fault-fsync */
	uint32_t seals_tried, opens_tried; /* for --fault-seal, --fault-open */
	bool hdr_done;
	size_t trailer_len;
	struct unmo_seg_block_meta *metas;
	uint32_t nblocks;
	uint8_t hdr[UNMO_SEG_HEADER_LEN];
	uint8_t *trailer;
	size_t trailer_cap;
	/* compressed blocks wait here for their write: chunks go back at once */
	struct stage stages[NSTAGES];
	uint16_t free_stages[NSTAGES];
	unsigned nfree_stages;
	int cur_stage;            /* -1: none */
	uint16_t order[NSTAGES];  /* stages with bytes not yet submitted, in file order */
	unsigned ord_head, ord_n;
	uint32_t align;           /* DIO_ALIGN with direct I/O, else 1 */
	uint32_t dio_inflight;    /* direct-I/O data writes in flight (at most 1) */
	bool dio_refused;         /* a direct write failed with EINVAL: no more direct I/O */
	struct wio wios[WIO_MAX];
	uint16_t free_wios[WIO_MAX];
	unsigned nfree_wios;
	/* blocks written, not yet durable: a FIFO */
	struct wentry *fifo;
	uint32_t cap, head, tail; /* [tail, head) */
	uint32_t covered;         /* leading entries the in-flight fsync covers */
	bool fsync_inflight;
	uint64_t first_unsynced_ns;
	uint32_t unsubmitted;
	uint64_t synced_off;      /* end of this segment's last fsynced (durable) block */
	uint64_t dropped_off;     /* page cache dropped up to here (drop_cache) */
	/* broken segments whose recovery failed (disk full): retried when writing works */
	char unrecovered[4][PATH_MAX];
	unsigned nunrecovered;
	uint64_t retry_ns;        /* after a write error: no new segment before this */
	unsigned fail_streak;     /* write errors since the last good fdatasync */
	/* durability messages not yet delivered, per link slot (0 = none) */
	uint64_t msg_durable[CFG_MAX_RX], msg_failed[CFG_MAX_RX];
};

#define FIFO_CAP 16384u

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int writer_recover_dir(const char *dir, struct writer_stats *st)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "unmo-ingest: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name), sl = strlen(UNMO_SEG_OPEN_SUFFIX);
		if (n <= sl || strcmp(de->d_name + n - sl, UNMO_SEG_OPEN_SUFFIX))
			continue;
		char path[PATH_MAX], err[512];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct unmo_seg_recovery rep;
		if (unmo_seg_recover(path, &rep, err, sizeof err)) {
			fprintf(stderr, "unmo-ingest: recovery failed: %s\n", err);
			rc = -1;
			continue;
		}
		printf("recovered %s: %u blocks, %lu records kept, %lu torn bytes dropped\n", path,
		       rep.blocks_kept, rep.records_kept, rep.bytes_dropped);
		st->recovered_segments++;
		st->recovered_records += rep.records_kept;
	}
	closedir(d);
	return rc;
}

/* Next segment number: one past the highest this writer left in dir. */
static uint64_t next_seq(const struct writer_ctx *w, DIR *d)
{
	char pfx[300];
	uint64_t max = 0;
	int pl = snprintf(pfx, sizeof pfx, "%s-w%u-", w->cfg->prefix, w->id);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, pfx, (size_t)pl))
			continue;
		char *end;
		unsigned long long v = strtoull(de->d_name + pl, &end, 10);
		if (end != de->d_name + pl && v > max)
			max = v;
	}
	return max + 1;
}

int writer_init(struct writer_ctx *w)
{
	struct wstate *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	w->priv = s;
	w->st.id = w->id;
	s->fd = -1;
	s->dirfd = open(w->cfg->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		fprintf(stderr, "unmo-ingest: %s: %s\n", w->cfg->out_dir, strerror(errno));
		return -1;
	}
	DIR *d = fdopendir(dup(s->dirfd));
	if (!d)
		return -1;
	s->seg_seq = next_seq(w, d);
	closedir(d);
	int rc = io_uring_queue_init(SQ_ENTRIES, &s->ring, 0);
	if (rc) {
		fprintf(stderr, "unmo-ingest: writer %u: io_uring_queue_init: %s\n", w->id, strerror(-rc));
		return -1;
	}
	s->metas = calloc(UNMO_SEG_MAX_BLOCKS, sizeof *s->metas);
	s->trailer_cap = unmo_seg_trailer_bound(UNMO_SEG_MAX_BLOCKS);
	s->trailer = malloc(s->trailer_cap);
	s->cap = FIFO_CAP;
	s->fifo = calloc(s->cap, sizeof *s->fifo);
	if (!s->metas || !s->trailer || !s->fifo)
		return -1;
	for (unsigned i = 0; i < NSTAGES; i++) {
		s->stages[i].buf = aligned_alloc(4096, STAGE_BYTES);
		if (!s->stages[i].buf)
			return -1;
		s->free_stages[s->nfree_stages++] = (uint16_t)i;
	}
	s->cur_stage = -1;
	for (unsigned i = 0; i < WIO_MAX; i++)
		s->free_wios[s->nfree_wios++] = (uint16_t)i;
	for (unsigned i = 0; i < w->nb_links; i++)
		w->links[i]->wslot = (uint16_t)i;
	return 0;
}

void writer_fini(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	if (!s)
		return;
	io_uring_queue_exit(&s->ring);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->metas);
	free(s->trailer);
	free(s->fifo);
	for (unsigned i = 0; i < NSTAGES; i++)
		free(s->stages[i].buf);
	free(s);
	w->priv = NULL;
}

static struct io_uring_sqe *sqe_get(struct wstate *s)
{
	struct io_uring_sqe *q = io_uring_get_sqe(&s->ring);
	if (!q) {
		io_uring_submit(&s->ring);
		s->unsubmitted = 0;
		q = io_uring_get_sqe(&s->ring);
	}
	return q; /* never NULL after a submit: SQ_ENTRIES >= what is ever queued at once */
}

/* Deliver pending durability messages, in order per link, only while the
 * ring keeps room for the link's whole pool (ring.h). */
static void send_msgs(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	for (unsigned i = 0; i < w->nb_links; i++) {
		struct chunk_link *l = w->links[i];
		uint64_t *first = &s->msg_durable[i], *second = &s->msg_failed[i];
		unsigned tag1 = LINK_MSG_DURABLE, tag2 = LINK_MSG_FAILED;
		if (*second && (!*first || *second < *first)) { /* the older one first */
			first = &s->msg_failed[i];
			second = &s->msg_durable[i];
			tag1 = LINK_MSG_FAILED;
			tag2 = LINK_MSG_DURABLE;
		}
		if (*first && rte_ring_free_count(l->free) > l->nb_chunks + 1) {
			rte_ring_enqueue(l->free, link_msg(*first, tag1));
			*first = 0;
		}
		if (!*first && *second && rte_ring_free_count(l->free) > l->nb_chunks + 1) {
			rte_ring_enqueue(l->free, link_msg(*second, tag2));
			*second = 0;
		}
	}
}

static bool msgs_pending(const struct writer_ctx *w)
{
	const struct wstate *s = w->priv;
	for (unsigned i = 0; i < w->nb_links; i++)
		if (s->msg_durable[i] || s->msg_failed[i])
			return true;
	return false;
}

/* The first n FIFO entries are durable (or lost): record the message. */
static void release(struct writer_ctx *w, uint32_t n, bool failed)
{
	struct wstate *s = w->priv;
	for (uint32_t i = 0; i < n && s->tail != s->head; i++) {
		struct wentry *e = &s->fifo[s->tail++ & (s->cap - 1)];
		if (failed) {
			w->st.events_lost += e->count;
			s->msg_failed[e->slot] = e->seq;
		} else {
			w->st.events_durable += e->count;
			s->synced_off += e->len;
			if (e->seq > s->msg_durable[e->slot])
				s->msg_durable[e->slot] = e->seq;
		}
	}
	send_msgs(w);
}

static void chunk_return(struct ingest_chunk *ck)
{
	rte_ring_enqueue(ck->home->free, ck); /* cannot fail: room for the pool (ring.h) */
}

static void stage_free(struct wstate *s, uint16_t i)
{
	struct stage *st = &s->stages[i];
	st->fill = st->sub = st->pend_n = 0;
	s->free_stages[s->nfree_stages++] = i;
}

/* Segments are written once and read later by other tools: once a range
 * is durable its pages are clean, and keeping them only makes every new
 * write take fresh memory for the page cache (on a VM, memory the
 * hypervisor has to fault in: ~4x the copy's own cost). Dropping them lets
 * the next writes reuse the same, warm pages. Asynchronous (io-wq). */
static void drop_cache(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	uint64_t end = s->synced_off & ~(uint64_t)4095;
	if (s->align > 1 || end <= s->dropped_off) /* direct I/O: nothing cached */
		return;
	struct io_uring_sqe *q = sqe_get(s);
	io_uring_prep_fadvise(q, s->fd, s->dropped_off, (off_t)(end - s->dropped_off), POSIX_FADV_DONTNEED);
	io_uring_sqe_set_data64(q, UD_DROP_CACHE);
	s->inflight++;
	s->unsubmitted++;
	s->dropped_off = end;
}

static void handle_cqe(struct writer_ctx *w, struct io_uring_cqe *cqe)
{
	struct wstate *s = w->priv;
	uint64_t ud = cqe->user_data;
	int res = cqe->res;
	s->inflight--;
	/* Testing (--fault-fsync/--fault-write): fail one completion as the
	 * kernel would on an I/O error, to exercise the recovery below. */
	if (ud == UD_FSYNC && w->cfg->fault_fsync && ++s->fsyncs_done == w->cfg->fault_fsync)
		res = -EIO;
	else if (ud > UD_LAST && w->cfg->fault_write && ++s->writes_done == w->cfg->fault_write)
		res = -EIO;
	if (ud == UD_DROP_CACHE)
		return; /* advice: its result changes nothing */
	if (ud == UD_FSYNC) {
		s->fsync_inflight = false;
		if (res < 0) {
			fprintf(stderr, "unmo-ingest: writer %u: fdatasync %s: %s\n", w->id, s->path,
				strerror(-res));
			w->st.write_errors++;
			s->broken = true;
		} else if (!s->broken) {
			s->fail_streak = 0;
			release(w, s->covered, false);
			drop_cache(w);
		}
		s->covered = 0;
		return;
	}
	struct wio *io = ud > UD_LAST ? (struct wio *)(uintptr_t)ud : NULL;
	size_t want = ud == UD_TRAILER ? s->trailer_len : io->len;
	if (io) { /* the blocks left the buffer (or failed) */
		struct stage *st = &s->stages[io->stage];
		if (--st->writes == 0 && !st->queued)
			stage_free(s, io->stage);
		s->free_wios[s->nfree_wios++] = (uint16_t)(io - s->wios);
		if (s->align > 1)
			s->dio_inflight--;
	}
	if (res < 0 || (size_t)res != want) {
		fprintf(stderr, "unmo-ingest: writer %u: write %s: %s\n", w->id, s->path,
			res < 0 ? strerror(-res) : "short write");
		if (res == -EINVAL && s->align > 1 && !s->dio_refused) {
			/* the file system took O_DIRECT but not our writes */
			fprintf(stderr, "unmo-ingest: writer %u: direct I/O refused, writing through the page cache\n",
				w->id);
			s->dio_refused = true;
		}
		w->st.write_errors++;
		s->broken = true;
		return;
	}
	w->st.bytes_written += (uint64_t)res;
	if (io && io->header)
		s->hdr_done = true;
	if (io)
		for (uint32_t i = 0; i < io->n; i++)
			s->fifo[(io->first + i) & (s->cap - 1)].written = true;
}

static void submit_pending(struct writer_ctx *w);

/* Handle completions: wait_all waits for every one in flight; else only
 * those already there. */
/* Queue the staged blocks' write and submit everything queued. */
static void submit_all(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	submit_pending(w);
	if (s->unsubmitted) {
		io_uring_submit(&s->ring);
		s->unsubmitted = 0;
	}
}

static void reap(struct writer_ctx *w, bool wait_all)
{
	struct wstate *s = w->priv;
	struct io_uring_cqe *cqe;
	submit_all(w);
	for (;;) {
		int rc;
		if (s->unsubmitted) { /* queued by a completion (drop_cache) */
			io_uring_submit(&s->ring);
			s->unsubmitted = 0;
		}
		if (wait_all && s->inflight)
			rc = io_uring_wait_cqe(&s->ring, &cqe);
		else
			rc = io_uring_peek_cqe(&s->ring, &cqe);
		if (rc)
			break;
		handle_cqe(w, cqe);
		io_uring_cqe_seen(&s->ring, cqe);
		if (wait_all) /* a direct-I/O writer's next write waits for this one */
			submit_all(w);
		if (!s->inflight && wait_all)
			break;
	}
}

/* Wait for at least one completion (the disk is behind), handle all there. */
static void wait_some(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	struct io_uring_cqe *cqe;
	submit_all(w);
	if (!s->inflight)
		return;
	uint64_t t0 = now_ns();
	if (io_uring_wait_cqe(&s->ring, &cqe) == 0) {
		handle_cqe(w, cqe);
		io_uring_cqe_seen(&s->ring, cqe);
	}
	w->st.disk_waits++;
	w->st.disk_wait_s += (double)(now_ns() - t0) / 1e9;
	reap(w, false);
}

/* Queue the writes of what is staged and not yet submitted, oldest stage
 * first (they are consecutive in the file); with direct I/O, one write at a
 * time, whole sectors (see STAGE_BYTES). */
static void submit_pending(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	while (s->ord_n) {
		uint16_t si = s->order[s->ord_head];
		struct stage *st = &s->stages[si];
		if (st->sub == st->fill) {
			if (si == s->cur_stage)
				return; /* more blocks will come into it */
			s->ord_head = (s->ord_head + 1) % NSTAGES, s->ord_n--;
			st->queued = false;
			if (!st->writes) /* else when its last write completes */
				stage_free(s, si);
			continue;
		}
		if (s->dio_inflight)
			return; /* its last sector is this write's first */
		while (!s->nfree_wios) { /* bounded: each completion frees one */
			struct io_uring_cqe *cqe;
			io_uring_submit(&s->ring);
			s->unsubmitted = 0;
			if (io_uring_wait_cqe(&s->ring, &cqe))
				continue;
			handle_cqe(w, cqe);
			io_uring_cqe_seen(&s->ring, cqe);
		}
		uint32_t from = st->sub & ~(s->align - 1);
		uint32_t to = (st->fill + s->align - 1) & ~(s->align - 1);
		memset(st->buf + st->fill, 0, to - st->fill); /* padding: rewritten by the next write */
		struct wio *io = &s->wios[s->free_wios[--s->nfree_wios]];
		*io = (struct wio){.first = st->pend_first, .n = st->pend_n, .len = to - from,
				   .stage = si, .header = st->base + from == 0};
		struct io_uring_sqe *q = sqe_get(s);
		io_uring_prep_write(q, s->fd, st->buf + from, io->len, st->base + from);
		io_uring_sqe_set_data64(q, (uint64_t)(uintptr_t)io);
		s->inflight++;
		s->unsubmitted++;
		st->writes++;
		st->sub = st->fill;
		st->pend_n = 0;
		if (s->align > 1)
			s->dio_inflight++;
		w->st.writes++;
	}
}

/* Start a fresh stage for the file bytes from s->off on: the partial
 * sector before s->off (direct I/O) is copied from the current stage, which
 * stays queued until written. With from_start, the stage starts the file (offset 0). false:
 * no free stage (wait for the disk). */
static bool stage_next(struct writer_ctx *w, bool from_start)
{
	struct wstate *s = w->priv;
	if (!s->nfree_stages)
		return false;
	uint16_t ni = s->free_stages[--s->nfree_stages];
	struct stage *ns = &s->stages[ni];
	uint32_t head = from_start ? 0 : (uint32_t)(s->off & (s->align - 1));
	ns->base = from_start ? 0 : s->off - head;
	ns->fill = ns->sub = head;
	ns->pend_n = 0;
	ns->queued = true;
	if (s->cur_stage >= 0 && head) {
		struct stage *st = &s->stages[s->cur_stage];
		memcpy(ns->buf, st->buf + st->fill - head, head);
	}
	/* the old current stage stays queued until written (submit_pending) */
	s->cur_stage = ni;
	s->order[(s->ord_head + s->ord_n++) % NSTAGES] = ni;
	return true;
}

/* Make the current stage one with room for len more bytes, if a free one
 * exists. false: wait for the disk. */
static bool stage_room(struct writer_ctx *w, size_t len)
{
	struct wstate *s = w->priv;
	if (s->cur_stage >= 0 && STAGE_BYTES - s->stages[s->cur_stage].fill >= len)
		return true;
	return stage_next(w, false);
}

/* After a write error: when to try a new segment. The first retry is at
 * once, so a transient error (one failed write or fsync) costs only the
 * blocks no fsync covered; each further failure in a row doubles the wait,
 * 10 ms up to 1 s, so a full disk is not hammered. A good fdatasync ends the
 * streak. */
static uint64_t retry_time(struct wstate *s)
{
	unsigned k = s->fail_streak;
	if (k < 8)
		s->fail_streak++; /* 10 ms << 7 > 1 s: no need to count further */
	uint64_t d = k == 0 ? 0 : k > 7 ? 1000000000ull : 10000000ull << (k - 1);
	return now_ns() + (d > 1000000000ull ? 1000000000ull : d);
}

/* Switch fd to direct I/O where the file system takes it with our
 * alignment (statx's DIO limits; tmpfs and some others do not) and the
 * configuration allows it. */
static bool direct_io(struct writer_ctx *w, int fd)
{
	if (!w->cfg->direct_io)
		return false;
#ifdef STATX_DIOALIGN
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) &&
	    (!sx.stx_dio_offset_align || DIO_ALIGN % sx.stx_dio_offset_align ||
	     DIO_ALIGN % sx.stx_dio_mem_align))
		return false;
#endif
	return fcntl(fd, F_SETFL, O_DIRECT) == 0;
}

static int open_segment(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	char name[512];
	for (int tries = 0; tries < 1000; tries++, s->seg_seq++) {
		snprintf(name, sizeof name, "%s-w%u-%08lu%s", w->cfg->prefix, w->id, s->seg_seq,
			 UNMO_SEG_OPEN_SUFFIX);
		s->fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (s->fd >= 0 || errno != EEXIST)
			break;
	}
	if (w->cfg->fault_open && ++s->opens_tried == w->cfg->fault_open) {
		/* Testing (--fault-open): this creation fails as if openat had. */
		if (s->fd >= 0) {
			close(s->fd);
			unlinkat(s->dirfd, name, 0);
		}
		s->fd = -1;
		errno = EIO;
	}
	snprintf(s->path, sizeof s->path, "%s/%s", w->cfg->out_dir, name);
	if (s->fd < 0) {
		fprintf(stderr, "unmo-ingest: writer %u: create %s: %s\n", w->id, s->path, strerror(errno));
		w->st.write_errors++;
		return -1;
	}
	/* The new name must survive a crash before any ack depends on the file. */
	if (fsync(s->dirfd)) {
		fprintf(stderr, "unmo-ingest: writer %u: fsync %s: %s\n", w->id, w->cfg->out_dir,
			strerror(errno));
		w->st.write_errors++;
		close(s->fd);
		unlinkat(s->dirfd, name, 0);
		s->fd = -1;
		return -1;
	}
	struct unmo_seg_info info = {.writer_id = w->id, .segment_seq = s->seg_seq,
				     .created_us = wall_us()};
	memcpy(info.appliance_id, w->appliance_id, 16);
	size_t n = unmo_seg_header_encode(s->hdr, sizeof s->hdr, &info);
	s->align = !s->dio_refused && direct_io(w, s->fd) ? DIO_ALIGN : 1;
	while (!stage_next(w, true)) /* the header goes out with the first blocks */
		wait_some(w);
	struct stage *st = &s->stages[s->cur_stage];
	memcpy(st->buf, s->hdr, n);
	st->fill = (uint32_t)n;
	s->off = n;
	s->synced_off = n;
	s->dropped_off = 0;
	s->nblocks = 0;
	s->broken = false;
	s->hdr_done = false;
	s->seg_t0_ns = now_ns();
	s->seg_seq++;
	return 0;
}

/* Recover a broken segment's .open file into a sealed one. 0 ok; -1: left
 * as it is (e.g. the disk is still full), retried later. */
static int recover_broken(struct writer_ctx *w, const char *path)
{
	char err[512];
	struct unmo_seg_recovery rep;
	if (unmo_seg_recover(path, &rep, err, sizeof err)) {
		fprintf(stderr, "unmo-ingest: writer %u: recovery: %s (retried later)\n", w->id, err);
		return -1;
	}
	printf("writer %u: broken segment %s recovered: %u blocks kept\n", w->id, path,
	       rep.blocks_kept);
	fflush(stdout);
	return 0;
}

/* Retry the recoveries that failed; keep those that fail again. */
static void retry_recoveries(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	unsigned kept = 0;
	for (unsigned i = 0; i < s->nunrecovered; i++)
		if (recover_broken(w, s->unrecovered[i]))
			memmove(s->unrecovered[kept++], s->unrecovered[i], PATH_MAX);
	s->nunrecovered = kept;
}

/* Close the current segment: sealed if healthy, else cut back to its last
 * fsynced block (what was counted durable; the rest is counted lost) and
 * recovered into a sealed segment. */
static void close_segment(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	char err[512];
	if (s->fd < 0)
		return;
	uint64_t t0 = now_ns();
	reap(w, true); /* submits the blocks still staged first */
	/* The trailer is written through the page cache (its length and place
	 * are not sector-aligned), once every direct write has completed. */
	if (!s->broken && s->align > 1 && fcntl(s->fd, F_SETFL, 0)) {
		fprintf(stderr, "unmo-ingest: writer %u: %s: leaving direct I/O: %s\n", w->id, s->path,
			strerror(errno));
		w->st.write_errors++;
		s->broken = true;
	}
	if (!s->broken) {
		s->trailer_len = unmo_seg_trailer_encode(s->trailer, s->trailer_cap, s->metas, s->nblocks,
							 s->off);
		struct io_uring_sqe *q = sqe_get(s);
		io_uring_prep_write(q, s->fd, s->trailer, (unsigned)s->trailer_len, s->off);
		io_uring_sqe_set_data64(q, UD_TRAILER);
		s->inflight++;
		s->unsubmitted++;
		reap(w, true);
	}
	/* Direct writes left zeros after the last sector's data: cut them. */
	if (!s->broken && s->align > 1 && ftruncate(s->fd, (off_t)(s->off + s->trailer_len))) {
		fprintf(stderr, "unmo-ingest: writer %u: truncate %s: %s\n", w->id, s->path, strerror(errno));
		w->st.write_errors++;
		s->broken = true;
	}
	/* Testing (--fault-seal): this seal fails as if its fsync had. */
	bool seal_fault = !s->broken && w->cfg->fault_seal && ++s->seals_tried == w->cfg->fault_seal;
	if (seal_fault)
		snprintf(err, sizeof err, "%.400s: fsync: %s (injected)", s->path, strerror(EIO));
	if (!s->broken && !seal_fault && unmo_seg_seal_path(s->fd, s->path, err, sizeof err) == 0) {
		w->st.disk_wait_s += (double)(now_ns() - t0) / 1e9;
		posix_fadvise(s->fd, 0, 0, POSIX_FADV_DONTNEED); /* clean now: see drop_cache */
		close(s->fd);
		s->fd = -1;
		w->st.segments_sealed++;
		release(w, s->head - s->tail, false); /* sealing fsynced everything */
		return;
	}
	if (!s->broken) {
		fprintf(stderr, "unmo-ingest: writer %u: seal: %s\n", w->id, err);
		w->st.write_errors++;
	}
	close(s->fd);
	s->fd = -1;
	release(w, s->head - s->tail, true);
	s->retry_ns = retry_time(s);
	/* Keep exactly the durable blocks: a block written but not fsynced was
	 * counted lost (never acked), so it must not reappear in a sealed file.
	 * Shrinking works on a full disk and frees its space. */
	if (s->synced_off <= UNMO_SEG_HEADER_LEN || truncate(s->path, (off_t)s->synced_off)) {
		if (s->synced_off > UNMO_SEG_HEADER_LEN) /* cannot cut: keep it for recovery at start */
			fprintf(stderr, "unmo-ingest: writer %u: truncate %s: %s\n", w->id, s->path,
				strerror(errno));
		else
			unlink(s->path); /* not one durable block in it: nothing to keep */
		return;
	}
	if (recover_broken(w, s->path) == 0)
		return;
	if (s->nunrecovered < 4)
		memcpy(s->unrecovered[s->nunrecovered++], s->path, PATH_MAX);
	else
		fprintf(stderr, "unmo-ingest: writer %u: %s left for the next start\n", w->id, s->path);
}

static void maybe_commit(struct writer_ctx *w, uint64_t now, bool force);

static void add_chunk(struct writer_ctx *w, struct ingest_chunk *ck)
{
	struct wstate *s = w->priv;
	w->st.chunks++;
	w->st.events += ck->c.count;
	uint16_t slot = ck->home->wslot;
	if (w->cfg->bench_no_write) { /* benchmark: the RX pipeline alone */
		w->st.raw_bytes += ck->c.len;
		s->msg_durable[slot] = ck->seq;
		chunk_return(ck);
		send_msgs(w);
		return;
	}
	if (s->fd < 0 && (now_ns() < s->retry_ns || open_segment(w))) {
		if (s->fd < 0 && now_ns() >= s->retry_ns)
			s->retry_ns = retry_time(s);
		w->st.events_lost += ck->c.count;
		s->msg_failed[slot] = ck->seq;
		chunk_return(ck);
		send_msgs(w);
		return;
	}
	/* Room in the FIFO and in a stage buffer: else wait for the disk. */
	size_t bound = ck->block_len ? ck->block_len : unmo_seg_block_bound(ck->c.len);
	while (s->head - s->tail >= s->cap - 1 || !stage_room(w, bound)) {
		if (s->head - s->tail >= s->cap - 1)
			maybe_commit(w, now_ns(), true);
		wait_some(w);
		if (s->broken) { /* its entries are released as failed by close_segment */
			close_segment(w);
			if (open_segment(w)) {
				w->st.events_lost += ck->c.count;
				s->msg_failed[slot] = ck->seq;
				chunk_return(ck);
				send_msgs(w);
				return;
			}
		}
	}
	struct stage *st = &s->stages[s->cur_stage];
	struct unmo_seg_block_meta meta;
	size_t n;
	if (ck->block_len) { /* encoded by the RX core (--rx-encode) */
		n = ck->block_len;
		meta = ck->meta;
		memcpy(st->buf + st->fill, ck->block, n);
	} else {
		n = unmo_seg_block_encode(st->buf + st->fill, STAGE_BYTES - st->fill, &ck->c, &meta);
	}
	uint64_t seq = ck->seq;
	uint32_t count = ck->c.count, raw = ck->c.len;
	chunk_return(ck); /* the records are in the block now: the RX core can refill it */
	if (!n) {
		fprintf(stderr, "unmo-ingest: writer %u: block encode failed\n", w->id);
		w->st.write_errors++;
		w->st.events_lost += count;
		s->msg_failed[slot] = seq;
		send_msgs(w);
		return;
	}
	meta.offset = s->off;
	s->metas[s->nblocks++] = meta;
	if (s->head == s->tail)
		s->first_unsynced_ns = now_ns();
	if (!st->pend_n)
		st->pend_first = s->head;
	st->pend_n++;
	s->fifo[s->head++ & (s->cap - 1)] =
		(struct wentry){.seq = seq, .count = count, .len = (uint32_t)n, .slot = slot};
	st->fill += (uint32_t)n;
	s->off += n;
	w->st.raw_bytes += raw;
	w->st.block_bytes += n;
	/* Rotate by size, or before the block index would overflow. */
	if (s->off >= w->cfg->seg_bytes || s->nblocks >= UNMO_SEG_MAX_BLOCKS - 1)
		close_segment(w);
}

/* Group commit: one fdatasync for every chunk whose write completed. */
static void maybe_commit(struct writer_ctx *w, uint64_t now, bool force)
{
	struct wstate *s = w->priv;
	if (s->fd < 0 || s->fsync_inflight || s->head == s->tail || !s->hdr_done || s->broken)
		return;
	if (!force && now - s->first_unsynced_ns < (uint64_t)w->cfg->commit_ms * 1000000u)
		return;
	uint32_t n = 0;
	while (s->tail + n != s->head && s->fifo[(s->tail + n) & (s->cap - 1)].written)
		n++;
	if (!n)
		return;
	struct io_uring_sqe *q = sqe_get(s);
	io_uring_prep_fsync(q, s->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(q, UD_FSYNC);
	s->inflight++;
	s->unsubmitted++;
	s->fsync_inflight = true;
	s->covered = n;
	s->first_unsynced_ns = now;
	w->st.fsyncs++;
}

static bool all_rx_done(const struct writer_ctx *w)
{
	for (unsigned i = 0; i < w->nb_links; i++)
		if (!atomic_load(&w->links[i]->rx_done) || rte_ring_count(w->links[i]->full))
			return false;
	return true;
}

/* --io-cpus: io_uring runs buffered writes and fsyncs in kernel workers
 * (io-wq) of the submitting thread, which by default share its CPUs and so
 * preempt the compression. The workers exist once the thread has submitted
 * something, hence the no-op first. */
static void place_io_workers(struct writer_ctx *w)
{
	struct wstate *s = w->priv;
	const struct ingest_cfg *c = w->cfg;
	if (!c->nb_io_cpus)
		return;
	struct io_uring_sqe *q = io_uring_get_sqe(&s->ring);
	struct io_uring_cqe *cqe;
	io_uring_prep_nop(q);
	io_uring_sqe_set_data64(q, UD_NOP);
	if (io_uring_submit_and_wait(&s->ring, 1) >= 0 && io_uring_wait_cqe(&s->ring, &cqe) == 0)
		io_uring_cqe_seen(&s->ring, cqe);
	cpu_set_t cs;
	CPU_ZERO(&cs);
	for (unsigned i = 0; i < c->nb_io_cpus; i++)
		if (c->io_cpus[i] < CPU_SETSIZE)
			CPU_SET(c->io_cpus[i], &cs);
	int rc = io_uring_register_iowq_aff(&s->ring, sizeof cs, &cs);
	if (rc)
		fprintf(stderr, "unmo-ingest: writer %u: --io-cpus not applied: %s\n", w->id, strerror(-rc));
}

void *writer_main(void *arg)
{
	struct writer_ctx *w = arg;
	struct wstate *s = w->priv;
	place_io_workers(w);
	struct ingest_chunk *batch[32];
	unsigned finish_tries = 0; /* messages an exited RX core no longer takes: ~5 s */
	for (;;) {
		bool finishing = atomic_load(w->stop) && all_rx_done(w);
		unsigned got = 0;
		for (unsigned i = 0; i < w->nb_links; i++) {
			unsigned n = rte_ring_dequeue_burst(w->links[i]->full, (void **)batch, 32, NULL);
			for (unsigned k = 0; k < n; k++)
				add_chunk(w, batch[k]);
			got += n;
		}
		uint64_t now = now_ns();
		reap(w, false);
		if (msgs_pending(w))
			send_msgs(w);
		if (s->broken)
			close_segment(w); /* give back what is lost; next chunk opens a new file */
		if (s->nunrecovered && now >= s->retry_ns) {
			retry_recoveries(w);
			if (s->nunrecovered)
				s->retry_ns = now + 1000000000u;
		}
		maybe_commit(w, now, false);
		if (s->fd >= 0 && now - s->seg_t0_ns >= (uint64_t)w->cfg->seg_age_ms * 1000000u)
			close_segment(w);
		if (finishing) {
			close_segment(w);
			send_msgs(w);
			if (s->head == s->tail && (!msgs_pending(w) || ++finish_tries > 50000)) {
				retry_recoveries(w); /* what still fails is recovered at the next start */
				break;
			}
		}
		if (s->unsubmitted) {
			io_uring_submit(&s->ring);
			s->unsubmitted = 0;
		}
		if (!got) {
			if (s->inflight) {
				struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100000};
				struct io_uring_cqe *cqe;
				if (io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts) == 0) {
					handle_cqe(w, cqe);
					io_uring_cqe_seen(&s->ring, cqe);
				}
			} else {
				struct timespec ts = {0, 100000};
				nanosleep(&ts, NULL);
			}
		}
	}
	struct timespec cpu;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	w->st.cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
	return NULL;
}
