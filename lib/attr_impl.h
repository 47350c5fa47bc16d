/* attr_impl.h — internals shared by the attr_*.c modules (not a public API).
 *
 *  attr.c        run orchestration: pass 1 (threads over segment files),
 *                pass 2 (threads over partitions), merging of results
 *  attr_route.c  pass 1's routing of one event into its partition
 *  attr_apps.c   tables of the app and (source, campaign) names pass 1 interns
 *  attr_prec.c   partition records: encode/decode
 *  attr_spool.c  pass 1's partition spools: chunk pools, spills to temp files
 *  attr_part.c   pass 2's loading of one partition
 *  attr_order.c  group index, event order, duplicates
 *  attr_report.c report rows: keys in report order, spills, the merge
 *  attr_dev.c    the rules over one device's ordered events
 *  attr_prob.c   probabilistic candidates over one (app, IP, UA family) group
 *  attr_agg.c    per-thread aggregates, interned strings
 *  attr_rows.c   result rows: output order, sorted runs past their share
 *                of memory, the merge
 *  attr_out.c    CSV / JSON / terminal outputs
 *  attr_model.c  multi-touch weights and exact splits
 *  attr_conf.c   windows, config file, times, UA families
 */
#ifndef UNMO_ATTR_IMPL_H
#define UNMO_ATTR_IMPL_H

#include "attr.h"
#include "bigmem.h"
#include "record.h"
#include "segment.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>

/* ---- apps seen in pass 1 (attr_apps.c) ----
 * Partition records carry an app's index in this table, not its string
 * (fewer bytes to spill and reload; decoded records view the table's copy).
 * Index 0 is "no app". Interning takes the mutex (pass-1 threads keep a
 * memo in front of it); lookups by index happen in pass 2 only, when no
 * thread interns any more. */
struct attr_apps {
	pthread_mutex_t mu;
	struct unmo_str *v; /* v[0] = {NULL, 0}; strings owned here */
	uint64_t *hv;       /* hv[i]: v[i]'s hash (the table grows without rehashing) */
	uint32_t n, cap;
	/* open addressing by hash: the hash's high 32 bits << 32 | index, 0 =
	 * empty. The high bits turn away most other entries without a look
	 * at their strings: with a million (source, campaign) pairs each look
	 * is a cache miss (perf/RESULTS.md). */
	uint64_t *tab;
	size_t tabcap;
	/* the strings' bytes, packed in blocks (a malloc per string cost a
	 * fifth more with a million pairs): the newest block first, each
	 * block's first pointer links the one before */
	char *blk;
	size_t blk_used, blk_cap;
};
int apps_init(struct attr_apps *t);
/* Index of app (added when new); UINT32_MAX when out of memory. */
uint32_t apps_intern(struct attr_apps *t, struct unmo_str app);
/* apps_intern, and *stored = the table's copy of app (valid until
 * apps_free) and *hash = its XXH3_64bits, read under the same lock. */
uint32_t apps_intern_get(struct attr_apps *t, struct unmo_str app, struct unmo_str *stored, uint64_t *hash);
/* Index of s without adding it (0 for ""); UINT32_MAX when absent. No
 * lock: for pass 2, when nothing interns any more. */
uint32_t apps_find(const struct attr_apps *t, struct unmo_str s);
/* Give back the room the table grew for and no string took (after pass 1:
 * nothing is added any more). */
void apps_fit(struct attr_apps *t);
void apps_free(struct attr_apps *t);

/* ---- partition records (private format of the temp files; attr_prec.c) ----
 * u16 len | u8 kind | u8 type | u8 flags | u8 key_kind | u8 ipv |
 * u8 string mask | u64 ghash | i64 time | i64 recv | id[16] | u32 app |
 * u32 source+campaign                                                 (56)
 * (the mask never has PS_APP, PS_SRC, PS_CAMP: the app is an index into
 * unmo_attr.apps, the (media source, campaign) pair one into unmo_attr.scs,
 * whose keys are u16 source length | source | campaign)
 * then, when flagged: [u64 sender, u64 seq: PF_SEQ] [i64 revenue, cur[3],
 * 0: PF_MONEY] [u32 aux32, u64 aux64: PF_AUX] | ip[0/4/16] | each string
 * of the mask (u16 len + bytes) | kind-specific tail (answers).
 * The receive time stays at bytes 24..31: duplicate detection skips it. */
enum { PR_DEV = 1, PR_PTOUCH = 2, PR_QUERY = 3, PR_ANSWER = 4 };
#define PF_RT 0x01u    /* retargeting touch */
#define PF_SEQ 0x02u   /* sender/sequence stored */
#define PF_MONEY 0x04u /* revenue/currency stored */
#define PF_AUX 0x08u   /* aux32/aux64 stored (queries, answers) */
/* The device key string was a UUID (8-4-4-4-12 hex digits, any letter case)
 * and is stored as its 16 bytes. UUIDs are read case-insensitively (RFC 4122;
 * iOS gives the IDFA in upper case, ad networks often pass it in lower case),
 * so UUID keys compare on (flag, bytes) and any other key byte for byte. The
 * packing saves 22 of a touch record's ~95 bytes. */
#define PF_KEY_UUID 0x10u
/* Bits 5-6: how many zeroed advertising/vendor ids the event skipped (0-2,
 * route's id_zeroed), counted in pass 2 once duplicates are removed. */
#define PF_ZEROED_SHIFT 5
#define PF_ZEROED (3u << PF_ZEROED_SHIFT)
#define PREC_FIXED 56u
/* Offsets of the fixed fields, for code reading records without decoding
 * them (part_index, attr.c's count-only runs) and for the codec. */
enum { PO_LEN = 0, PO_KIND = 2, PO_TYPE = 3, PO_FLAGS = 4, PO_KEY_KIND = 5, PO_IPV = 6, PO_MASK = 7,
       PO_GHASH = 8, PO_T = 16, PO_RECV = 24, PO_ID = 32, PO_APP = 48, PO_SC = 52 };
enum { PS_APP, PS_KEY, PS_SRC, PS_CAMP, PS_NAME, PS_FAM, PSTR_COUNT };

/* Equality of short byte strings without a library call (keys, sources,
 * campaigns: tens of bytes, compared once per event). */
static inline bool bytes_eq(const void *pa, const void *pb, size_t n)
{
	const uint8_t *a = pa, *b = pb;
	uint64_t x, y;
	if (n < 8) {
		uint32_t u = 0, v = 0;
		if (n >= 4) { /* two overlapping 4-byte words */
			memcpy(&u, a, 4);
			memcpy(&v, b, 4);
			uint32_t u2, v2;
			memcpy(&u2, a + n - 4, 4);
			memcpy(&v2, b + n - 4, 4);
			return ((u ^ v) | (u2 ^ v2)) == 0;
		}
		for (size_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, a + n - 8, 8); /* the last 8 bytes, overlapping */
	memcpy(&y, b + n - 8, 8);
	return x == y;
}
static inline bool str_eq_fast(struct unmo_str a, struct unmo_str b)
{
	return a.len == b.len && bytes_eq(a.p, b.p, a.len);
}

/* The event ids of up to 64 records, as 64-bit folds in a small
 * open-addressing set: idset_add is false when the id is zero (a zero id
 * pairs on sender and sequence) or its fold is already in (maybe the same
 * id: the caller then compares ids one by one). */
struct idset {
	uint64_t tab[128]; /* 0: an empty slot */
};
static inline uint64_t id_fold(const uint8_t id[16])
{
	uint64_t lo, hi;
	memcpy(&lo, id, 8);
	memcpy(&hi, id + 8, 8);
	return lo ^ hi * 0x9e3779b97f4a7c15ull; /* 0 for a zero id */
}
static inline bool idset_add(struct idset *s, const uint8_t id[16])
{
	uint64_t x = id_fold(id);
	if (!x)
		return false;
	size_t k = (size_t)(x >> 57);
	while (s->tab[k]) {
		if (s->tab[k] == x)
			return false;
		k = (k + 1) & 127;
	}
	s->tab[k] = x;
	return true;
}

/* A touch carried inside a probabilistic answer. */
struct ptouch {
	bool present;
	bool rt;
	uint8_t id[16];
	int64_t t, recv;
	struct unmo_str src, camp;
};

/* One decoded partition record; strings point into the loaded file. */
struct ev {
	uint64_t ghash;
	int64_t t, recv;
	uint8_t id[16];
	uint8_t kind, type, flags, key_kind, ipv, dead;
	uint32_t app; /* index in attr_apps; s[PS_APP] views its string */
	uint32_t sc;  /* index in the (source, campaign) table; s[PS_SRC], s[PS_CAMP] view it */
	uint32_t aux32;
	uint64_t aux64;
	int64_t revenue;
	char cur[4];
	uint64_t sender, seq;
	const uint8_t *ip;
	struct unmo_str s[PSTR_COUNT];
	const uint8_t *raw; /* the record bytes (duplicate detection) */
	uint32_t rawlen;
	const uint8_t *tail;  /* PR_ANSWER: the two touches, see prec_answer */
	struct agg_acc *row;  /* touches: their (app, source, campaign) row, cached */
};
struct agg_acc;
/* A deterministic touch of the device being worked on, packed for the
 * multi-touch models' walks over each conversion's lookback (attr_dev.c
 * credit_models): a device with 200,000 touches and 2,000 conversions
 * spent most of its time in cache misses reaching them through the
 * records (perf/RESULTS.md). */
struct mt_touch {
	int64_t t;
	struct ev *ev;
	struct agg_acc *row; /* NULL until needed (ev_row) */
	uint8_t type;
};
/* Decode an answer's touches: [0] best click, [1] best retargeting click. */
void prec_answer(const struct ev *e, struct ptouch out[2]);
/* e's record with its app, source and campaign as strings (the layout
 * before they became table indexes) into out (PREC_MAX bytes); its length.
 * For ties broken on content (ev_order), never on an index, whose value
 * depends on input order and threads. */
size_t prec_content_bytes(const struct ev *e, uint8_t *out);

/* ---- partition spools (attr_spool.c) ----
 * Per-partition record buffers of one thread, as chains of fixed-size
 * chunks (memory counted exactly, no doubling slack). They stay in memory
 * while the thread's chunks are within budget. Past it, the spool holding
 * more chunks is spilled: every partition's chain is written to the end of
 * the spool's file, and its chunks are reused. A partition is the union of
 * its pieces of the spool's file (one per spill), its chain and its staging
 * slot. A spool is written by one thread at a time; in pass 2 (after
 * spool_sync) a partition's chain is consumed by the one worker that loads
 * it.
 *
 * Buffered pools (page cache) spill when full, in the writing thread.
 * Direct pools (O_DIRECT where the file system takes it: no copy into
 * fresh page-cache pages, ~1 s of kernel CPU per GB on the benchmark VM,
 * perf/RESULTS.md) spill from half of the budget on, written by the pool's
 * writer thread in the background while the rest fills. For direct I/O
 * chunk payloads are whole 4 KB pages (their headers live apart), each
 * piece starts on a 4 KB boundary of the file and a chain's last chunk is
 * written up to one; the bytes past a piece's end are never read. */
#define SPOOL_STAGE 512u
#define SPILL_ALIGN 4096u
struct spool_chunk {
	struct spool_chunk *next;
	size_t len;
	uint8_t *data; /* csz bytes, page-aligned, in the pool's region */
};
/* The chunks of the spools one thread writes, under one budget: a pass-1
 * thread's device and probabilistic spools share it (the probabilistic
 * one holds device-less touches and install queries, a small part of the
 * records; with a quarter of --mem each, much of its share sat unused
 * while the device spool spilled). Chunks are carved from one region in
 * 2 MB pages: the scatter writes into a chunk per partition, hundreds of
 * 4 KB pages apart, and was bound by TLB misses. Direct pools: one spill
 * at a time is in flight, written by the pool's writer thread (started at
 * the first). */
struct chunk_pool {
	uint8_t *region;
	size_t region_len;
	struct spool_chunk *hdr; /* one per chunk of the region */
	size_t nchunks, nused;   /* hdr entries, those handed out so far */
	size_t hdrcap;           /* hdr and job_iov entries allocated */
	bool keep_pages;         /* set by who reuses the pool (pool_reuse): chains given back keep their pages */
	size_t csz;              /* chunk payload bytes: whole 4 KB pages */
	size_t budget;
	size_t held;             /* chunks in the chains of the pool's spools */
	uint64_t produced;       /* payload bytes of the chunks handed out, reuse counted */
	uint64_t to_come;        /* the writer's guess of the bytes still to come (pool_expect) */
	bool buffered;           /* spill files without O_DIRECT (--spill-io buffered) */
	bool mixed;              /* direct pool writing about half of its spills through the page cache */
	bool mixed_when_behind;  /* mixed only once behind (--spill-io auto): until then every spill is direct */
	bool behind;             /* a chunk had to wait for a spill's write (pass 1 waited on the disk) */
	struct spool_chunk *free; /* chunks written out by a spill */
	/* per 2 MB page of the region: bytes of its handed-out chunks given
	 * back (free_chain), and which of its 4 KB blocks are given back but
	 * kept (not released yet); the page is released whole when they all
	 * are. retained: bytes kept in every page, at most retain_max */
	_Atomic uint32_t *page_freed;
	_Atomic uint64_t *page_bits;
	size_t npages;
	_Atomic size_t retained, retain_max;
	/* the spill in flight, if any (busy): the writer thread owns job_*
	 * from posting until it sets done */
	pthread_t writer;
	bool writer_started, busy;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool posted, done, quit;
	struct spool *job_spool;
	bool job_cached;         /* the job goes through the spool's cfd */
	struct iovec *job_iov;   /* nchunks entries */
	unsigned job_niov;
	uint64_t job_off;
	struct spool_chunk *job_chunks; /* the spill's chunks, linked */
	int job_err;
};
/* sharers: spools that will use the pool (sizes the chunks: a few per
 * partition and spool fit the budget; 4..64 KB); io: how its spools' files
 * are written (UNMO_SPILL_DIRECT, _BUFFERED: through the page cache, or
 * _MIXED: direct, with about half of the bytes, whole spills alternating,
 * through the page cache and read back the same way). A mixed pool whose
 * mixed_when_behind is set afterwards (the auto mode) writes direct until
 * it is behind, then mixed. */
int pool_init(struct chunk_pool *p, size_t budget, unsigned nparts, unsigned sharers, enum unmo_attr_spill_io io);
/* The pool again, for new spools of nparts partitions (its old spools
 * freed, their chains given back): its pages are reused, not touched
 * anew (a first touch costs 0.13-1.3 s per GB on the benchmark VM). 0, or
 * -1 (a spill failed, out of memory). */
int pool_reuse(struct chunk_pool *p, unsigned nparts, unsigned sharers);
/* The bytes the pool's spools will still get, as far as their writer can
 * tell (UINT64_MAX: unknown, the default). A background spill starts only
 * when they would not fit in the budget: what stays in memory at the end
 * of a pass is neither written nor read back. */
static inline void pool_expect(struct chunk_pool *p, uint64_t bytes) { p->to_come = bytes; }
/* Wait for the spill in flight, if any, and take its chunks back; 0, or -1
 * when it failed (its spool's error is set). Called by the thread writing
 * the pool's spools. */
int pool_sync(struct chunk_pool *p);
/* Give the chunks kept for reuse back to the system (once no spool of the
 * pool is written any more; after pool_sync). */
void pool_trim(struct chunk_pool *p);
/* Let the pool keep up to bytes of the chunks given back to it (released
 * later as whole 2 MB pages, see chunk_free) instead of releasing each at
 * once (0 from pool_init and pool_reuse). Thread-safe. */
static inline void pool_retain(struct chunk_pool *p, size_t bytes)
{
	atomic_store_explicit(&p->retain_max, bytes, memory_order_relaxed);
}
/* Keep none from now on, and release the kept chunks now (their pages
 * split). Thread-safe. */
void pool_flush(struct chunk_pool *p);
void pool_free(struct chunk_pool *p);
/* A chain of chunks taken from pool, and given back to it in one batch
 * with others (chunk_free: whole pages released together). */
struct part_hold {
	struct chunk_pool *pool;
	struct spool_chunk *head;
};
void chains_give_back(const struct part_hold *h, size_t n);

struct spool {
	char path[512];     /* the spill file (unlinked once open) */
	int fd;             /* -1 until the first spill */
	bool direct;        /* fd is O_DIRECT */
	int cfd;            /* mixed pools: the file again, through the page cache; else -1 */
	uint64_t file_len;
	uint64_t *offs;     /* per spill, per partition: [start, end) of its piece */
	bool *cached;       /* per spill: written (and read) through cfd */
	uint64_t cached_bytes;
	unsigned offcap;    /* spills offs has room for */
	unsigned nparts;
	struct chunk_pool *pool;
	struct spool *peer; /* the other spool of the pool, or NULL */
	size_t held;        /* chunks in this spool's chains */
	struct spool_chunk **head, **tail;
	/* write-combining: records of a partition gather in a small staging
	 * slot (all slots together stay in the CPU cache) and move to the
	 * chain in SPOOL_STAGE-byte bursts; slots are never spilled */
	uint8_t *stage;
	uint16_t *slen;
	uint64_t bytes; /* written to files (pieces, without their padding) */
	unsigned spills;
	int error;      /* errno of the first failure */
};
/* A spool taking its chunks from pool; peer: the other spool sharing the
 * pool (over budget, the one of the two holding more chunks spills), or
 * NULL. */
int spool_init(struct spool *s, const char *dir, const char *prefix, unsigned tid, unsigned nparts,
	       struct chunk_pool *pool, struct spool *peer);
int spool_put(struct spool *s, unsigned part, const uint8_t *rec, size_t n);
/* Wait for the spool's spills to be written. 0, or -1 on a write error
 * (then or before). Once after a spool's last record, before part_load. */
int spool_sync(struct spool *s);
void spool_free(struct spool *s);
/* The bytes of s's files written (and read back) through the page cache:
 * all of them unless direct, else its mixed spills'. */
static inline uint64_t spool_cached_bytes(const struct spool *s) { return s->direct ? s->cached_bytes : s->bytes; }

/* ---- record encoding and decoding (attr_prec.c; prec_put: attr_spool.c) ----
 * Encoding of records. Returns bytes written into dst
 * (capacity >= PREC_MAX), 0 if the event cannot be represented. */
#define PREC_MAX (PREC_FIXED + 16 + 12 + 12 + 16 + PSTR_COUNT * (2 + UNMO_STR_MAX) + 2 * 128 + 2 * (4 + 2 * UNMO_STR_MAX))
struct prec_in {
	uint8_t kind, type, flags, key_kind;
	uint32_t app; /* index in attr_apps (s[PS_APP] is not encoded) */
	uint32_t sc;  /* index of (s[PS_SRC], s[PS_CAMP]), which are not encoded */
	uint64_t ghash;
	uint32_t aux32;
	uint64_t aux64;
	const struct unmo_event *e;
	struct unmo_str s[PSTR_COUNT];
	const struct ptouch *ans; /* PR_ANSWER: 2 entries */
	int64_t t;                /* PR_ANSWER: install time */
	const uint8_t *id;        /* PR_ANSWER: install id */
};
size_t prec_encode(uint8_t *dst, const struct prec_in *in);
/* The most common record: a device's event with a 16-byte key (a packed
 * UUID) and nothing optional (no sequence, money, aux, event name or UA
 * family): touches, installs, sessions. Written with fixed stores, the
 * same bytes prec_encode writes (test_attr checks); prec_put uses it. */
#define PREC_SIMPLE (PREC_FIXED + 2u + 16u)
static inline bool prec_simple(const struct prec_in *in)
{
	const struct unmo_event *e = in->e;
	return in->kind == PR_DEV && e && !(in->flags & PF_SEQ) && !e->revenue_micros && !e->currency[0] &&
	       !in->aux32 && !in->aux64 && in->s[PS_KEY].len == 16 && !in->s[PS_NAME].len && !in->s[PS_FAM].len;
}

static inline void prec_encode_simple(uint8_t *p, const struct prec_in *in)
{
	const struct unmo_event *e = in->e;
	unmo_st16(p, PREC_SIMPLE);
	p[PO_KIND] = in->kind;
	p[PO_TYPE] = in->type;
	p[PO_FLAGS] = in->flags & (PF_RT | PF_KEY_UUID | PF_ZEROED);
	p[PO_KEY_KIND] = in->key_kind;
	p[PO_IPV] = 0;
	p[PO_MASK] = 1u << PS_KEY;
	unmo_st64(p + PO_GHASH, in->ghash);
	unmo_st64(p + PO_T, (uint64_t)e->event_time_us);
	unmo_st64(p + PO_RECV, (uint64_t)e->recv_time_us);
	memcpy(p + PO_ID, e->event_id, 16);
	unmo_st32(p + PO_APP, in->app);
	unmo_st32(p + PO_SC, in->sc);
	unmo_st16(p + 56, 16);
	memcpy(p + 58, in->s[PS_KEY].p, 16);
}
/* The bytes prec_encode writes for in, exactly. */
size_t prec_size(const struct prec_in *in);
/* Append the record of in to partition part of spool s, encoded in place
 * in the staging slot (scratch: PREC_MAX bytes, used for records longer
 * than a slot). 0, or -1 on failure (s->error set). */
int prec_put(struct spool *s, unsigned part, const struct prec_in *in, uint8_t *scratch);
/* Every field set one by one: an initializer like `struct prec_in in =
 * {.e = e}` zeroes the whole struct with `rep stos`, whose start-up cost
 * was a third of pass-1 routing's cycles. */
static inline void prec_in_init(struct prec_in *in, uint8_t kind, uint8_t type, const struct unmo_event *e)
{
	in->kind = kind;
	in->type = type;
	in->flags = in->key_kind = 0;
	in->app = in->sc = in->aux32 = 0;
	in->ghash = in->aux64 = 0;
	in->e = e;
	for (int i = 0; i < PSTR_COUNT; i++)
		in->s[i] = (struct unmo_str){NULL, 0};
	in->ans = NULL;
	in->t = 0;
	in->id = NULL;
}
/* Decode all records of buf[0..n) appending to *v. Returns -1 on a
 * malformed record (temp files are ours: that is an I/O error). */
struct evvec {
	struct ev *v;
	size_t n, cap;
};
int prec_decode_all(const uint8_t *buf, size_t n, struct evvec *v, const struct attr_apps *apps,
		    const struct attr_apps *scs);
void evvec_free(struct evvec *v);
/* Key of a (source, campaign) pair in key[2 + 2 * UNMO_STR_MAX]; length 0
 * when both are empty. */
size_t sc_key(uint8_t *key, struct unmo_str src, struct unmo_str camp);
/* The source and campaign of a pair's key (views into it; {NULL, 0} when
 * empty, and both for index 0, whose key is empty). */
static inline void sc_names(struct unmo_str key, struct unmo_str *src, struct unmo_str *camp)
{
	*src = *camp = (struct unmo_str){NULL, 0};
	if (key.len < 2)
		return;
	uint16_t sl = unmo_ld16((const uint8_t *)key.p), cl = (uint16_t)(key.len - 2 - sl);
	if (sl)
		*src = (struct unmo_str){key.p + 2, sl};
	if (cl)
		*camp = (struct unmo_str){key.p + 2 + sl, cl};
}

/* ---- loading a partition (attr_part.c) ----
 * A loaded partition: its spilled pieces read into buf (each at a 4 KB
 * boundary: direct I/O), the records of its in-memory chains and staging
 * slots read where they are; runs of whole records are viewed in place
 * (segs), those cut by a chunk boundary are copied into sbuf. The
 * chains are held until part_release. Buffers are kept across partitions,
 * so that loading does not fault in fresh memory each time. Record order
 * is not kept (nothing depends on it: groups are sorted on content). */
struct part_seg {
	const uint8_t *p;
	size_t n;
};
struct part_raw { /* a piece of one spool's byte stream */
	const uint8_t *p;
	size_t n;
	unsigned stream;
	bool whole; /* whole records (spilled pieces, slots): no walk */
};
struct part_view;
struct part_read { /* a spilled piece: len bytes, read as alen (4 KB blocks) */
	int fd;
	uint8_t *dst;
	size_t len, alen;
	uint64_t off;
	struct part_view *pv; /* owner */
	int res;              /* the ring's result (bytes read, or -errno) */
};
struct io_uring;
struct part_view {
	uint8_t *buf;          /* big_alloc of cap bytes */
	size_t cap, n;
	uint8_t *sbuf;         /* records cut by a boundary */
	size_t scap, sn;
	struct part_seg *segs;
	size_t nsegs, segcap;
	struct part_raw *raw;
	size_t nraw, rawcap;
	struct part_read *reads;
	size_t nreads, readcap, pending; /* pending: reads on ring not completed */
	struct io_uring *ring;
	bool failed;
	struct part_hold *held;
	size_t nheld, heldcap;
	uint64_t bytes;        /* all bytes of the partition */
};
/* Load partition part of every spool (files, unlinked, and chains) in two
 * steps: part_load_start claims its chains and slots and starts reading
 * its pieces on ring (NULL: read them in part_load_finish); part_load_finish
 * waits for them and cuts the records. Between the two the caller works
 * on something else (earlier partitions). Every start is followed by a
 * finish, even when it failed; views with reads on one ring are finished
 * by the ring's thread (completions of each go to their own view).
 * 0, or -1 (I/O error, out of memory, malformed temp data). Spools are
 * synced (spool_sync) when not done yet: callers on several threads sync
 * first. part_load: both steps. */
int part_load_start(struct spool *sp, unsigned nsp, unsigned part, struct part_view *pv, struct io_uring *ring);
int part_load_finish(struct part_view *pv);
int part_load(struct spool *sp, unsigned nsp, unsigned part, struct part_view *pv);
/* The record bytes of partition part in every spool (spilled pieces,
 * chains, slots). */
uint64_t part_size(const struct spool *sp, unsigned nsp, unsigned part);
/* Every record of partition part, spool after spool, handed to fn in the
 * order part_load views them, without holding the partition: pieces are
 * read into buf (page-aligned, cap a multiple of 4 KB) as many at a time
 * as fit, on ring when there is one (the calling thread's: completions of
 * its views' loads on it go to them), chains and slots are read where
 * they are and consumed (as by a load: once only). 0, or -1 when fn, a
 * read or a record length fails. */
int part_stream(struct spool *sp, unsigned nsp, unsigned part, uint8_t *buf, size_t cap, struct io_uring *ring,
		int (*fn)(void *ctx, const uint8_t *rec, size_t len), void *ctx);
/* prec_decode_all over every byte of pv, appending to *v. */
int part_decode(const struct part_view *pv, struct evvec *v, const struct attr_apps *apps,
		const struct attr_apps *scs);
/* Give the held chains back (once their records are no longer used). */
void part_release(struct part_view *pv);
void part_view_free(struct part_view *pv);

/* ---- order and duplicates (attr_order.c) ----
 * Order of events inside a group: time, type rank, receive time, event id
 * descending (so "later in order" = the winner of every tie), content. */
int ev_order(const struct ev *a, const struct ev *b);
/* Pass 2 works on a partition's records where they were loaded: they are
 * indexed by group hash (part_index), and each run of equal hash is decoded
 * into a few struct ev (hundreds of bytes each) only when its rules need
 * them; most runs are touches of devices with nothing to attribute
 * (attr.c's touch-only path reads a few fixed fields and skips decoding). */
struct hk {
	uint64_t h;        /* the record's group hash */
	const uint8_t *r;  /* the record */
};
struct sort_scratch { /* reused across partitions: no page faults per call */
	struct hk *keys;
	size_t keycap;
	uint32_t *cnt;
	size_t cntcap;
};
/* Every record of pv (after part_load_finish) as (hash, record), sorted by
 * hash; *n of them, in s until the next call. NULL on malformed temp data
 * or out of memory. Records are checked for their framing only:
 * prec_decode_one checks the rest. */
const struct hk *part_index(const struct part_view *pv, struct sort_scratch *s, size_t *n);
void sort_scratch_free(struct sort_scratch *s);
/* Decode the record at r (avail bytes readable) into *e: its length, or 0
 * when malformed. */
size_t prec_decode_one(const uint8_t *r, size_t avail, struct ev *e, const struct attr_apps *apps,
		       const struct attr_apps *scs);
/* Put a run of equal group hash into order: group order (ev_order) when it
 * is one group, else by full key, groups apart (true: then runs are split
 * with ev_same_group, so results never depend on hashes). */
bool ev_sort_run(struct ev **p, size_t n);
bool ev_same_group(const struct ev *a, const struct ev *b);
/* Mark duplicates (dead=1) in a group that is sorted; counts them. */
uint64_t ev_dedup_group(struct ev **g, size_t n);

/* ---- aggregates (attr_agg.c) ---- */
struct money {
	char cur[4];
	unmo_attr_micros_sum v[1 + UNMO_MODEL_COUNT]; /* [0] last-touch attribution, then models */
};
/* A worker's counters of one report row: struct unmo_attr_agg's counters
 * (same names), without its names, money and median, which the worker keeps
 * apart (88 bytes less per row: a report can have a row per touch). */
struct agg_counts {
	uint64_t impressions, clicks;
	uint64_t installs_click, installs_prob, installs_view, installs_organic;
	uint64_t reattributions, reinstalls, reengagements, conversions;
	uint64_t fast_ctit, flood_devices;
	int64_t model_installs[UNMO_MODEL_COUNT], model_conversions[UNMO_MODEL_COUNT];
};
/* A report row's place in the report: app rank << 32 | (media source,
 * campaign) rank, the ranks of the names in byte order among all those
 * pass 1 interned (struct report_ranks). Distinct rows, distinct keys,
 * the same in every worker: rows merge by key and come out in report
 * order. Below 2^63: it sorts as the signed int64 the row merge reads. */
typedef int64_t row_order;
/* A worker's aggregate row. Its first AGG_REC_SIZE bytes are the row's
 * record in a spilled run (kind AGG_ROW; AGG_ROW_MEM while it lives in
 * memory, with m and ctit valid); each currency follows it in the run as
 * a struct agg_money record of the same size (attr_report.c). */
enum { AGG_ROW = 1, AGG_ROW_MEM = 2, AGG_MONEY = 3 };
#define AGG_REC_SIZE 208u
struct agg_acc {
	row_order rk;
	uint32_t kind, nm;         /* nm: currencies at m */
	uint64_t nctit_all;        /* click-to-install times, with those spilled (struct tctx ctitr) */
	uint64_t pad;
	struct agg_counts c;
	/* in memory only */
	struct money *m;           /* sorted by currency */
	uint32_t capm;
	uint32_t nctit, capctit;
	int64_t *ctit;             /* click-to-install times not spilled */
};
_Static_assert(offsetof(struct agg_acc, m) == AGG_REC_SIZE, "a row's record is its first AGG_REC_SIZE bytes");
struct agg_money {
	union {
		struct {
			row_order rk;
			uint32_t kind, pad;
			struct money m;
		};
		char raw[AGG_REC_SIZE];
	};
};
_Static_assert(sizeof(struct agg_money) == AGG_REC_SIZE, "one record size in a run");

struct arena_blk;
struct arena {
	struct arena_blk *head;
};
void *arena_alloc(struct arena *a, size_t n);
void arena_free(struct arena *a);

struct strtab { /* interning: equal strings share one pointer */
	struct sent **tab;
	size_t n, cap;
};

struct rowslot {
	uint64_t key; /* app << 32 | sc, + 1 (0: empty) */
	struct agg_acc *row;
};
struct rowkey {
	uint64_t k;
	const char *r;
};

/* ---- result rows past their share of --mem (attr_rows.c) ----
 * A worker whose rows outgrow its share sorts them (sort_rows) and appends
 * them to its temp file as one run: the rows' raw bytes, read back by this
 * process only, so the string pointers in them stay valid. The outputs
 * merge every worker's runs and its rows still in memory, streaming.
 * One thread per rowruns; a merge reads the files with pread only. */
struct rowrun {
	uint64_t off, n; /* byte offset, rows */
};
struct rowruns {
	int fd;          /* -1 until the first run */
	uint64_t len;    /* bytes written */
	uint64_t rows;   /* in all runs */
	struct rowrun *run;
	size_t nruns, cap;
};
/* Append the n rows k[i].r (size bytes each, in k's order) as one run,
 * creating (and unlinking) the file at path first. 0 or an errno. */
int rowruns_put(struct rowruns *f, const char *path, const struct rowkey *k, size_t n, size_t size);
void rowruns_free(struct rowruns *f); /* leaves fd = -1 */
/* Append n records of size bytes at recs to the file (created as in
 * rowruns_put): as a new run, or (more) the end of the last one. */
int rowruns_append(struct rowruns *f, const char *path, const char *recs, size_t n, size_t size, bool new_run);
/* A (row, click-to-install time) pair of a spilled run, ordered by
 * ctit_pair_cmp on both (attr.c). */
struct ctit_pair {
	row_order rk;
	int64_t us;
};
int ctit_pair_cmp(const void *pa, const void *pb);
/* One worker's rows: sorted in memory (mem[0..nmem)) and runs (or NULL). */
struct rowsrc {
	const struct rowkey *mem;
	size_t nmem;
	const struct rowruns *runs;
};
/* Rows of every source in (time at off_time, cmp) order. rowmerge_next
 * returns the next row, valid until the next call; NULL at the end or on
 * a read error (rowmerge_error: its errno, 0 at the end). open: NULL when
 * out of memory or on a read error. budget: bytes for the runs' read
 * buffers (each reads 16 to 1024 rows at a time). */
struct rowmerge;
struct rowmerge *rowmerge_open(const struct rowsrc *src, unsigned nsrc, size_t size, size_t off_time,
			       int (*cmp)(const void *, const void *), size_t budget);
const void *rowmerge_next(struct rowmerge *m);
int rowmerge_error(const struct rowmerge *m);
void rowmerge_close(struct rowmerge *m);
/* ---- report rows (attr_report.c) ----
 * Every (app, media source, campaign) row is keyed by its row_order,
 * from ranks of the names pass 1 interned. A worker keeps its rows in
 * memory up to its share of --mem (agg_share), then sorts and appends
 * them to its temp file as one run (each row's counters, then its
 * currencies, as records of AGG_REC_SIZE bytes) and starts again empty.
 * The report is the merge of every worker's runs and rows in memory, in
 * key order, equal keys added up: in memory (aggs) when no row spilled,
 * else streamed whenever it is read (unmo_attr_each_agg). */
struct report_ranks;
struct tctx;
#define ROW_ORGANIC "organic" /* the media source of organic installs */
#define ROW_NONE "(none)"     /* of conversions of devices never installed */
/* After pass 1, before pass 2: the two names above interned as
 * (source, "") pairs, and the ranks of every app and pair. 0 or -1 (out
 * of memory). */
int report_ranks_make(struct unmo_attr *a);
void report_ranks_free(struct report_ranks *r);
row_order report_key(const struct report_ranks *r, uint32_t app, uint32_t sc);
/* A worker's rows, all of them, as one run in its temp file (w names
 * it); the worker's row memory is emptied. Its click-to-install times
 * must have been spilled first. 0 or -1 (errno set). */
int report_spill(struct unmo_attr *a, struct tctx *tc, unsigned w);
/* The worker's rows in memory in key order, into tc->aggk. 0 or -1. */
int report_sort(struct tctx *tc);
/* After pass 2 (every worker's times spilled when one's were): counts
 * the report's rows, and gathers them into aggs when none spilled.
 * 0 or -1 (out of memory, temp-file error). */
int report_finish(struct unmo_attr *a);
/* A copy of row s into d, its names and currencies in ar (a streamed row
 * lasts one call). 0, or -1 out of memory. */
int agg_copy(struct arena *ar, struct unmo_attr_agg *d, const struct unmo_attr_agg *s);
/* Rows unmo_attr_find_agg found among streamed rows, kept (copies in
 * arena) until unmo_attr_free; the mutex serializes finds. Made by
 * report_finish when the rows are streamed. */
struct agg_found {
	struct agg_found *next;
	struct unmo_attr_agg row;
};
struct agg_finds {
	pthread_mutex_t mu;
	struct arena arena;
	struct agg_found *head;
};
void report_free(struct unmo_attr *a);

/* A probabilistic click credited on the device being worked on (such
 * clicks belong to no device group, so they carry no USED bit). */
struct pcredit {
	uint8_t id[16];
	int64_t t;
	struct unmo_str src, camp;
};

struct tctx { /* one worker thread's results */
	const struct unmo_attr *eng; /* its tables and ranks, read only */
	struct arena arena;    /* interned names */
	struct strtab strs;
	struct arena aggarena; /* aggregate rows: emptied when they spill */
	size_t aggbytes;       /* the rows' memory (report_spill_if_over) */
	struct rowruns aggr;   /* rows past the worker's share, in sorted runs */
	struct rowkey *aggk;   /* its rows in memory in report order (report_sort) */
	size_t naggk;
	/* rows in mappings of row_reserve bytes (grow_rows); ready: bytes
	 * prefaulted, mapped: the mapping's bytes */
	struct unmo_attr_install *ins;
	size_t nins, capins, insready, insmapped;
	struct unmo_attr_conversion *conv;
	size_t nconv, capconv, convready, convmapped;
	size_t row_reserve;
	/* the worker's rows in output order (time first: k is the time with
	 * its sign bit flipped), sorted by the worker at the end of pass 2 */
	struct rowkey *insk, *convk;
	/* rows past the worker's share of --mem, in sorted runs on disk */
	struct rowruns insr, convr;
	/* click-to-install times likewise: (row key, time) pairs sorted on both */
	struct rowruns ctitr;
	size_t nctit_mem;            /* in the aggregate rows' arrays */
	struct unmo_attr_stats st;
	int error;
	/* scratch reused across partitions and groups */
	struct ev *run;        /* the run of records being decoded (run_full) */
	size_t runcap;
	struct ev **ptrs;      /* into run, in group order */
	size_t ptrcap;
	struct evvec av;       /* the partition's answers */
	struct sort_scratch sort;
	struct rowslot *rowmap; /* (app, source+campaign index) -> aggregate row: all of them */
	size_t rowcap, nrows;
	/* partition and answer records: [cur] is worked on while the disk
	 * reads the next P2_DEPTH - 1 partitions the worker took */
#define P2_DEPTH 4
	struct part_view load[P2_DEPTH], aload[P2_DEPTH];
	/* partitions too large to load, split (attr.c work_split): a part
	 * and the partition's answers loaded, the temp spools' pools of each
	 * level (reused from split to split), the buffer pieces are read into */
#define SPLIT_DEPTH 3
#define SPLIT_READ ((size_t)4 << 20) /* bytes of spilled pieces read at a time, at most */
	struct part_view splitv, splitav;
	struct chunk_pool splitpool[SPLIT_DEPTH - 1];
	uint8_t *splitbuf;
	size_t splitcap;
	uint8_t *recbuf;       /* PREC_MAX: answers longer than a staging slot */
	struct mt_touch *mt;   /* the device's touches, packed (credit_models) */
	size_t mtcap;
	uint64_t mtgen;        /* counts packings: names the device mt holds */
	/* time-decay weights of the last window credited (credit_models):
	 * consecutive conversions of a device often share the window */
	uint64_t *tdw;
	struct mt_touch **tdk; /* that window's touches */
	size_t tdn, tdcap;
	uint64_t tdgen;
	int64_t tdhalf;
	struct mt_touch **scratch;
	size_t scratchcap;
	int64_t *tbuf;
	uint64_t *wbuf;
	struct pcredit *pcred; /* this device's credited probabilistic clicks */
	size_t npcred, pcredcap;
	int64_t *obuf;
	size_t tcap;
};
/* Room for need elements of elem bytes at *p (attr_dev.c; realloc,
 * doubling, contents kept); *cap: elements it holds. false out of memory
 * (*p unchanged). */
bool grow(void **p, size_t *cap, size_t need, size_t elem);
/* Room for need elements of elem bytes at *p (attr_dev.c): *p is a mapping
 * of reserve bytes (2 MB pages, backed as it is written), replaced by one
 * twice as large as need, the elements copied, only when need outgrows it
 * (or when the system refuses the reserve's address space).
 * *cap: elements it holds; *ready: bytes prefaulted; *mapped: its bytes
 * (big_free). false when out of memory (*p unchanged). One thread. */
bool grow_rows(void **p, size_t *cap, size_t *ready, size_t *mapped, size_t reserve, size_t need, size_t elem);
/* Names in the outputs (app ids, media sources, campaigns, event names)
 * are C strings, the public structs' const char *. A NUL byte inside a
 * name is stored as the pair C0 80 and a C0 byte as C0 C0 (name_encode):
 * distinct names stay distinct, compare with strcmp, and end at their one
 * NUL. Writers read them a byte at a time with name_next and write every
 * byte of the input. (UTF-8 never holds a C0 byte: text is unchanged.) */
#define NAME_ESC 0xC0u
/* src[0..n) encoded into dst, which has room for 2 * n + 1 bytes (a NUL
 * ends it); returns the encoded length. */
size_t name_encode(char *dst, const char *src, size_t n);
/* The next byte of name *s, *s moved past it. Call while **s != 0. */
static inline unsigned char name_next(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	if (p[0] == NAME_ESC && (p[1] == 0x80 || p[1] == NAME_ESC)) {
		*s += 2;
		return p[1] == 0x80 ? 0 : (unsigned char)NAME_ESC;
	}
	*s += 1;
	return p[0];
}

/* Names a and b (name_encode) in the order of the bytes they stand for
 * (docs/attribution.md section 13: byte order). strcmp on the encoded
 * form orders a NUL (C0 80) after bytes 01..BF: "\0a" came after "b".
 * Escape pairs are stepped over whole; at the first difference each side
 * is decoded. */
static inline int name_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
	size_t i = 0;
	for (;;) {
		unsigned char x = p[i], y = q[i];
		if (x != y)
			break;
		if (!x)
			return 0;
		if (x == NAME_ESC) { /* both start a pair: 80 (NUL) < C0 (C0), as decoded */
			if (p[i + 1] != q[i + 1])
				return p[i + 1] < q[i + 1] ? -1 : 1;
			i += 2;
		} else {
			i++;
		}
	}
	if (!p[i] || !q[i]) /* one name ends: the shorter is first */
		return !p[i] ? -1 : 1;
	unsigned dx = p[i] == NAME_ESC ? (p[i + 1] == 0x80 ? 0u : NAME_ESC) : p[i];
	unsigned dy = q[i] == NAME_ESC ? (q[i + 1] == 0x80 ? 0u : NAME_ESC) : q[i];
	return dx < dy ? -1 : 1;
}

const char *tc_intern(struct tctx *tc, struct unmo_str s);
/* The aggregate row of a touch record, through its indexes (same row as
 * tc_agg on its strings). */
struct agg_acc *tc_agg_ev(struct tctx *tc, const struct ev *e);
/* The row of (app, source+campaign index) if this thread has looked it up
 * before (tc_agg_ev), else NULL. */
struct agg_acc *tc_row(const struct tctx *tc, uint32_t app, uint32_t sc);
/* The row of (app, source+campaign) by names, or by indexes (found, or
 * made). */
struct agg_acc *tc_agg(struct tctx *tc, struct unmo_str app, struct unmo_str src, struct unmo_str camp);
struct agg_acc *tc_agg_at(struct tctx *tc, uint32_t app, uint32_t sc);
void agg_add_money(struct tctx *tc, struct agg_acc *a, const char cur[3], int slot, int64_t micros);
/* agg_add_money into the slot of every model (one currency lookup). */
void agg_add_money_models(struct tctx *tc, struct agg_acc *a, const char cur[3], int64_t micros);
void agg_add_ctit(struct tctx *tc, struct agg_acc *a, int64_t us);
/* Pass 2's scratch (loaded partitions, sort keys, buffers): once it is
 * over; the results stay. */
void tc_free_scratch(struct tctx *tc);
/* The worker's aggregate rows, freed (the map too, unless keep_map:
 * then emptied). */
void tc_free_rows(struct tctx *tc, bool keep_map);
void tc_free(struct tctx *tc);

/* ---- pass-1 routing (attr_route.c) ----
 * One pass-1 thread's state: its memos in front of the shared tables
 * (UA families, app and (source, campaign) indexes), its record scratch
 * and its reader's buffers. Owned by one thread. */
/* UA family memo of one pass-1 thread: traffic repeats a few user agents,
 * and the family is a scan for several words. Exact: a slot answers only
 * for the very same bytes. */
#define UA_SLOTS 64
#define UA_SLOT_MAX 256
struct ua_slot {
	uint16_t len; /* 0: empty */
	uint8_t flen;
	char fam[64];
	char ua[UA_SLOT_MAX];
};

/* App index memo of one pass-1 thread, in front of the locked table. */
#define APP_SLOTS 64
#define SC_SLOTS 1024
struct app_slot {
	struct unmo_str app; /* the table's copy; len 0: empty */
	uint32_t idx;
	uint64_t h;          /* app's hash (apps_intern_get): seeds the group hashes */
};

struct p1 { /* one pass-1 thread */
	struct unmo_attr *a;
	unsigned tid;
	uint8_t *buf;
	struct ua_slot *ua; /* NULL: no memo */
	struct app_slot *apc; /* NULL: no memo */
	struct app_slot *scc; /* (source, campaign) keys, likewise */
	uint8_t *sckey;
	struct unmo_event *events; /* [UNMO_SEG_MAX_BLOCK_RECORDS]: the reader decodes a block into it */
	struct unmo_segr_buf segbuf; /* the file being read, reused from file to file */
	struct unmo_attr_stats st;
	int error;
	char msg[512];
};

/* Route e to its partition (spools of thread t->tid): filtered events
 * (app, time range) and bad times are counted in t->st. 0, or -1 when a
 * spool failed (its error is set). */
int route(struct unmo_attr *a, struct p1 *t, const struct unmo_event *e);

/* ---- the engine object ---- */
struct unmo_attr {
	struct unmo_attr_opts o;
	struct unmo_attr_config *own_config;
	const struct unmo_attr_config *cfg;
	char dir[512];
	unsigned nparts, threads;
	/* spools pass 1 wrote: 0..nwritten-1 (pass 1 runs at most one thread per
	 * input file, so with few files most of the nspools stay empty and pass 2
	 * does not walk them) */
	unsigned nwritten;
	bool finished;
	pthread_t closer;     /* frees the spools after pass 2 (unmo_attr_finish) */
	bool closer_started;
	int64_t from, to;
	struct spool *dev_spools, *prob_spools; /* per pass-1 thread */
	struct chunk_pool *pools;               /* per pass-1 thread: its two spools' chunks */
	struct attr_apps apps, scs;
	const struct unmo_attr_windows **win; /* per app index (pass 2) */
	unsigned nspools;
	struct unmo_attr_stats st;
	struct tctx *tcs;
	unsigned ntcs;
	/* results */
	const struct unmo_attr_install **ins; /* into the workers' rows */
	size_t nins;
	const struct unmo_attr_conversion **conv;
	size_t nconv;
	struct unmo_attr_agg *aggs; /* NULL when aggs_streamed */
	size_t naggs;
	struct arena res_arena;
	struct agg_finds *finds; /* with aggs_streamed: rows unmo_attr_find_agg copied out */
	uint8_t *evbuf; /* add_event's record buffer */
	size_t row_share; /* a worker's row bytes in memory past which they spill */
	size_t ctit_share; /* likewise its click-to-install times */
	size_t agg_share;  /* likewise its aggregate rows */
	struct report_ranks *ranks; /* set before pass 2 (attr_report.c) */
	uint32_t sc_organic, sc_none; /* the pairs (ROW_ORGANIC, "") and (ROW_NONE, "") */
	bool aggs_streamed; /* some aggregate rows spilled: aggs is NULL, rows are merged as read */
};
/* The install (conv false) or conversion rows of every worker in output
 * order, streamed from memory and the runs on disk (attr_rows.c). */
struct rowmerge *attr_rows_merge(const struct unmo_attr *a, bool conv);
/* Output order of install and conversion rows: by every column they
 * print, so that it never depends on partitioning (docs/attribution.md
 * §13). qsort comparators over struct unmo_attr_install / _conversion. */
int ins_cmp(const void *pa, const void *pb);
int conv_cmp(const void *pa, const void *pb);
/* rows[0..n) (size bytes each) as (time, row) pairs in cmp order, cmp's
 * first key being the int64 time at off_time (radix on the time, then cmp
 * within equal times). The n pairs (malloc), NULL when out of memory. */
struct rowkey *sort_rows(const char *rows, size_t n, size_t size, size_t off_time,
			 int (*cmp)(const void *, const void *));
/* One kind of result rows of every worker (struct tctx: sorted pairs at
 * off_keys, count at off_n, spilled runs at off_runs): *v the merged
 * pointer array in cmp order, or NULL when some rows went to disk
 * (attr_rows_merge streams them then); *total the rows, *spilled those on
 * disk. 0, or -1 when out of memory. */
int merge_kind(const struct unmo_attr *a, size_t off_keys, size_t off_n, size_t off_runs,
	       int (*cmp)(const void *, const void *), const void ***v, size_t *total, uint64_t *spilled);

/* Context handed to the rules. */
struct group_ctx {
	struct unmo_attr *a;
	struct tctx *tc;
	const struct unmo_attr_windows *w;
	const struct ev *answers; /* sorted by (aux64=dev ghash, id, t) */
	size_t nanswers;
};
static inline bool in_range(const struct unmo_attr *a, int64_t t) { return t >= a->from && t < a->to; }

/* attr_dev.c: one device group (sorted, deduplicated, dead ones skipped). */
void attr_device_group(struct group_ctx *g, struct ev **evs, size_t n);
/* attr_prob.c: one (app, ip, family) group; writes answers into spool. */
void attr_prob_group(struct group_ctx *g, struct ev **evs, size_t n, struct spool *answers);

#endif
