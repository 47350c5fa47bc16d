/* test_attr_part.c — the attribution engine's internals: the partition
 * record codec against damaged temp data, spools and their chunk pools
 * (spills, page release, the page cache fallbacks), partition loading and
 * streaming, result-row arrays and runs, write failures reported, name
 * encoding. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr_fixture.h"
#include "attr_impl.h"

/* ---- the private partition record codec rejects damaged temp data ---- */

Test(attr_part, partition_records_round_trip_and_reject_truncation)
{
	struct unmo_event e;
	unmo_event_clear(&e);
	e.type = UNMO_EV_CLICK;
	e.event_time_us = 123;
	e.ip_version = 6;
	e.ip[15] = 1;
	e.sender_id = 5;
	struct attr_apps apps;
	cr_assert_eq(apps_init(&apps), 0);
	struct prec_in in = {.kind = PR_PTOUCH, .type = e.type, .flags = PF_SEQ | PF_RT, .ghash = 77, .e = &e};
	in.s[PS_APP] = unmo_str_c("app");
	in.app = apps_intern(&apps, in.s[PS_APP]);
	cr_assert_eq(in.app, 1);
	cr_assert_eq(apps_intern(&apps, unmo_str_c("other")), 2);
	cr_assert_eq(apps_intern(&apps, unmo_str_c("app")), 1, "the same app keeps its index");
	struct attr_apps scs;
	cr_assert_eq(apps_init(&scs), 0);
	uint8_t key[2 + 2 * UNMO_STR_MAX];
	cr_assert_eq(sc_key(key, (struct unmo_str){0}, (struct unmo_str){0}), 0);
	size_t kl = sc_key(key, unmo_str_c("src"), (struct unmo_str){0});
	in.sc = apps_intern(&scs, (struct unmo_str){(const char *)key, (uint16_t)kl});
	cr_assert_eq(in.sc, 1);
	in.s[PS_SRC] = unmo_str_c("src");
	in.s[PS_FAM] = unmo_str_c("ios-17");
	static uint8_t buf[PREC_MAX];
	size_t n = prec_encode(buf, &in);
	struct evvec v = {0};
	cr_assert_eq(prec_decode_all(buf, n, &v, &apps, &scs), 0);
	cr_assert_eq(v.n, 1);
	cr_expect(v.v[0].ghash == 77 && v.v[0].t == 123 && v.v[0].sender == 5 && v.v[0].ipv == 6);
	cr_expect(unmo_str_eq(v.v[0].s[PS_APP], unmo_str_c("app")));
	cr_expect(unmo_str_eq(v.v[0].s[PS_SRC], unmo_str_c("src")));
	cr_expect(v.v[0].s[PS_CAMP].len == 0);
	cr_expect(unmo_str_eq(v.v[0].s[PS_FAM], unmo_str_c("ios-17")));
	for (size_t cut = 1; cut < n; cut++) {
		uint8_t *copy = malloc(cut);
		memcpy(copy, buf, cut);
		v.n = 0;
		cr_assert_eq(prec_decode_all(copy, cut, &v, &apps, &scs), -1, "cut %zu", cut);
		free(copy);
	}
	/* an app index the table does not have */
	static uint8_t bad[PREC_MAX];
	memcpy(bad, buf, n);
	bad[48] = 3;
	v.n = 0;
	cr_expect_eq(prec_decode_all(bad, n, &v, &apps, &scs), -1);
	/* a (source, campaign) index the table does not have */
	memcpy(bad, buf, n);
	bad[52] = 2;
	v.n = 0;
	cr_expect_eq(prec_decode_all(bad, n, &v, &apps, &scs), -1);
	/* a string length pointing past the record */
	buf[PREC_FIXED + 16 + 16] = 0xff; /* after sender/seq and the IPv6 address: the UA family's length */
	v.n = 0;
	cr_expect_eq(prec_decode_all(buf, n, &v, &apps, &scs), -1);
	evvec_free(&v);
	apps_free(&apps);
	apps_free(&scs);
}

static void split_records(const uint8_t *p, size_t n, struct part_seg *out, size_t *k)
{
	for (size_t off = 0; off + 2 <= n;) {
		size_t len = unmo_ld16(p + off);
		cr_assert(len >= PREC_FIXED && len <= n - off);
		out[(*k)++] = (struct part_seg){p + off, len};
		off += len;
	}
}

static int seg_cmp(const void *pa, const void *pb)
{
	const struct part_seg *a = pa, *b = pb;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return memcmp(a->p, b->p, a->n);
}

/* The records of a loaded partition equal want[0..n) as a multiset. */
static void expect_records(const struct part_view *pv, const uint8_t *want, size_t n, const char *what)
{
	static struct part_seg got[20000], exp[20000];
	size_t ng = 0, ne = 0;
	cr_assert_eq(pv->bytes, n, "%s: %llu vs %zu bytes", what, (unsigned long long)pv->bytes, n);
	split_records(pv->sbuf, pv->sn, got, &ng);
	for (size_t i = 0; i < pv->nsegs; i++)
		split_records(pv->segs[i].p, pv->segs[i].n, got, &ng);
	split_records(want, n, exp, &ne);
	cr_assert_eq(ng, ne, "%s", what);
	qsort(got, ng, sizeof *got, seg_cmp);
	qsort(exp, ne, sizeof *exp, seg_cmp);
	for (size_t i = 0; i < ng; i++)
		cr_assert(got[i].n == exp[i].n && !memcmp(got[i].p, exp[i].p, got[i].n), "%s: record %zu", what, i);
}

/* prec_size is exact for every kind of record (prec_put encodes in place
 * on it), and a spool's partition gives back exactly the records put into
 * it, through staging slots, chains (read in place, cut records copied),
 * background spills to its file (direct I/O where the file system takes
 * it, else or when asked buffered) and records longer than a slot; loaded
 * one at a time, or several at once through one ring, whose completions
 * come in any order. */
static void spool_round_trip(const char *base, bool buffered, bool mixed)
{
	struct unmo_event e;
	unmo_event_clear(&e);
	e.type = UNMO_EV_CONVERSION;
	e.event_time_us = 42;
	e.ip_version = 4;
	e.sender_id = 9;
	e.revenue_micros = 1500000;
	memcpy(e.currency, "EUR", 3);
	static char longname[900];
	memset(longname, 'n', sizeof longname);
	struct ptouch ans[2] = {{.present = true, .t = 7, .src = unmo_str_c("s"), .camp = unmo_str_c("cc")}, {0}};
	struct unmo_event plain;
	unmo_event_clear(&plain);
	plain.type = UNMO_EV_CLICK;
	plain.event_time_us = 77;
	plain.recv_time_us = 78;
	plain.event_id[3] = 9;
	struct prec_in v[5];
	prec_in_init(&v[4], PR_DEV, plain.type, &plain); /* prec_put's fixed-store path */
	v[4].flags = PF_RT | PF_KEY_UUID;
	v[4].key_kind = UNMO_KEY_ADVERTISING_ID;
	v[4].ghash = 0x1122334455667788ull;
	v[4].app = 3;
	v[4].sc = 5;
	v[4].s[PS_KEY] = (struct unmo_str){"0123456789abcdef", 16};
	prec_in_init(&v[0], PR_DEV, e.type, &e);
	v[0].flags = PF_SEQ;
	v[0].s[PS_KEY] = unmo_str_c("device-key");
	v[0].s[PS_NAME] = unmo_str_c("purchase");
	prec_in_init(&v[1], PR_QUERY, UNMO_EV_INSTALL, &e);
	v[1].aux32 = 3;
	v[1].aux64 = 99;
	v[1].s[PS_FAM] = unmo_str_c("android-14");
	static const uint8_t id[16] = {1};
	prec_in_init(&v[2], PR_ANSWER, UNMO_EV_INSTALL, NULL);
	v[2].ans = ans;
	v[2].t = 5;
	v[2].id = id;
	v[2].aux64 = 1;
	prec_in_init(&v[3], PR_DEV, e.type, &e);
	v[3].s[PS_KEY] = unmo_str_c("k");
	v[3].s[PS_NAME] = (struct unmo_str){longname, sizeof longname};
	static uint8_t buf[PREC_MAX], scratch[PREC_MAX];
	for (int k = 0; k < 5; k++)
		cr_expect_eq(prec_size(&v[k]), prec_encode(buf, &v[k]), "record %d", k);
	cr_assert_gt(prec_size(&v[3]), SPOOL_STAGE);

	char dir[64];
	snprintf(dir, sizeof dir, "%s/attr-spool-XXXXXX", base);
	cr_assert_not_null(mkdtemp(dir));
	struct chunk_pool pool;
	struct spool sp;
	cr_assert_eq(pool_init(&pool, 16384, 3, 1,
			       buffered ? UNMO_SPILL_BUFFERED : mixed ? UNMO_SPILL_MIXED : UNMO_SPILL_DIRECT),
		     0); /* 4 KB chunks: spills often */
	cr_assert_eq(spool_init(&sp, dir, "t", 0, 3, &pool, NULL), 0);
	size_t cap = 2000 * PREC_MAX, want[3] = {0};
	uint8_t *expect[3];
	for (int p = 0; p < 3; p++)
		cr_assert_not_null(expect[p] = malloc(cap));
	for (int i = 0; i < 2000; i++) { /* partition 1 gets every record; 0 and 2 every other */
		const struct prec_in *in = &v[i % 5 == 3 && i % 7 ? i % 3 : i % 5];
		cr_assert_eq(prec_put(&sp, 1, in, scratch), 0);
		want[1] += prec_encode(expect[1] + want[1], in);
		unsigned q = (unsigned)(i % 2) * 2;
		cr_assert_eq(prec_put(&sp, q, in, scratch), 0);
		want[q] += prec_encode(expect[q] + want[q], in);
	}
	cr_expect_gt(sp.spills, 2u);
	cr_assert_eq(spool_sync(&sp), 0);
	if (buffered) /* else: direct where the file system takes it (tmpfs does from Linux 6.6) */
		cr_expect(!sp.direct);
	if (mixed && sp.direct) /* some spills through the page cache, some not */
		cr_expect(sp.cached_bytes > 0 && sp.cached_bytes < sp.bytes, "%llu of %llu bytes cached",
			  (unsigned long long)sp.cached_bytes, (unsigned long long)sp.bytes);
	struct part_view pv = {0}, pv0 = {0}, pv2 = {0};
	cr_assert_eq(part_load(&sp, 1, 1, &pv), 0);
	cr_expect_gt(pv.nsegs, 0u, "records read in place");
	expect_records(&pv, expect[1], want[1], "partition 1");
	struct io_uring ring;
	cr_assert_eq(io_uring_queue_init(8, &ring, 0), 0); /* fewer entries than reads: some wait */
	cr_assert_eq(part_load_start(&sp, 1, 0, &pv0, &ring), 0);
	cr_assert_eq(part_load_start(&sp, 1, 2, &pv2, &ring), 0);
	cr_assert_eq(part_load_finish(&pv2), 0); /* may take pv0's completions on the way */
	cr_assert_eq(part_load_finish(&pv0), 0);
	expect_records(&pv0, expect[0], want[0], "partition 0");
	expect_records(&pv2, expect[2], want[2], "partition 2");
	io_uring_queue_exit(&ring);
	part_view_free(&pv);
	part_view_free(&pv0);
	part_view_free(&pv2);
	for (int p = 0; p < 3; p++)
		free(expect[p]);
	spool_free(&sp);
	pool_free(&pool);
	rmdir(dir);
}

/* Records of partition i % 3 (length-prefixed, distinct bytes) put into
 * a fresh spool of pool, whose every partition is read back intact at
 * the end. sync_each: the spill in flight is waited for after every
 * record, so no chunk ever waits for one. */
static void auto_pool_round_trip(struct chunk_pool *pool, const char *dir, bool sync_each)
{
	struct spool sp;
	cr_assert_eq(spool_init(&sp, dir, "a", 0, 3, pool, NULL), 0);
	enum { N = 3000, LEN = PREC_FIXED + 40 };
	static uint8_t want[3][N * LEN];
	size_t nwant[3] = {0};
	for (unsigned i = 0; i < N; i++) {
		uint8_t rec[LEN];
		memset(rec, (int)(i * 7), sizeof rec);
		unmo_st16(rec, LEN);
		unmo_st32(rec + 2, i);
		cr_assert_eq(spool_put(&sp, i % 3, rec, LEN), 0);
		memcpy(want[i % 3] + nwant[i % 3], rec, LEN);
		nwant[i % 3] += LEN;
		if (sync_each)
			cr_assert_eq(pool_sync(pool), 0);
	}
	cr_assert_eq(spool_sync(&sp), 0);
	cr_assert_gt(sp.spills, 4u);
	if (sp.direct) { /* else the file system refused O_DIRECT: all of it went through the cache */
		if (pool->behind)
			cr_expect(sp.cached_bytes > 0 && sp.cached_bytes < sp.bytes, "behind: %llu of %llu bytes cached",
				  (unsigned long long)sp.cached_bytes, (unsigned long long)sp.bytes);
		else
			cr_expect_eq(sp.cached_bytes, 0, "never behind: every spill direct");
	}
	for (unsigned part = 0; part < 3; part++) {
		struct part_view pv = {0};
		cr_assert_eq(part_load(&sp, 1, part, &pv), 0);
		expect_records(&pv, want[part], nwant[part], "auto pool");
		part_view_free(&pv);
	}
	spool_free(&sp);
}

/* --spill-io auto's mixed pool (mixed_when_behind) writes every spill
 * direct while the disk keeps up, and about half through the page cache
 * once a chunk had to wait for a spill's write; the records come back
 * intact either way. */
Test(attr_part, auto_pool_uses_the_page_cache_only_once_the_disk_is_behind)
{
	char dir[64];
	snprintf(dir, sizeof dir, "/tmp/attr-auto-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	struct chunk_pool pool;
	/* 16 chunks of 4 KB: a spill starts at 8 held, and with every spill
	 * waited for before the next record, no chunk waits */
	cr_assert_eq(pool_init(&pool, 65536, 3, 1, UNMO_SPILL_MIXED), 0);
	pool.mixed_when_behind = true;
	auto_pool_round_trip(&pool, dir, true);
	cr_expect(!pool.behind, "a chunk waited although every spill was waited for");
	pool_free(&pool);

	/* as if behind from the start: the mixed rule applies */
	cr_assert_eq(pool_init(&pool, 65536, 3, 1, UNMO_SPILL_MIXED), 0);
	pool.mixed_when_behind = pool.behind = true;
	auto_pool_round_trip(&pool, dir, false);
	pool_free(&pool);

	/* told nothing more will come (pool_expect 0), the pool starts no
	 * spill in the background: it fills, and the next chunk has to wait
	 * for a spill's write, every time (no timing involved) */
	cr_assert_eq(pool_init(&pool, 16384, 3, 1, UNMO_SPILL_MIXED), 0); /* 4 chunks */
	pool.mixed_when_behind = true;
	pool_expect(&pool, 0);
	auto_pool_round_trip(&pool, dir, false);
	cr_expect(pool.behind, "a full pool's chunk waited for a spill without the pool being marked behind");
	pool_free(&pool);
	rmdir(dir);
}

Test(attr_part, prec_size_exact_and_spool_keeps_bytes_in_order)
{
	spool_round_trip("/tmp", false, false);
}

Test(attr_part, spool_round_trip_buffered_mixed_and_on_tmpfs)
{
	spool_round_trip("/tmp", true, false);
	spool_round_trip("/tmp", false, true); /* mixed */
	if (access("/dev/shm", W_OK) == 0)
		spool_round_trip("/dev/shm", false, false); /* tmpfs: O_DIRECT from Linux 6.6, refused before */
}

/* Records of len bytes (odd ones len2), each filled with its index, put
 * in partition part of sp (and in part2 too when it differs) until they
 * fill want[0..cap): want gets their bytes. Returns their length. */
static size_t put_test_records(struct spool *sp, unsigned part, unsigned part2, uint8_t *want, size_t cap,
			       size_t len, size_t len2, size_t *nrec)
{
	size_t n = 0, k = 0;
	for (; n + (len > len2 ? len : len2) <= cap; k++) {
		size_t l = k % 2 ? len2 : len;
		uint8_t *r = want + n;
		memset(r, (int)k, l);
		unmo_st16(r, (uint16_t)l);
		cr_assert_eq(spool_put(sp, part, r, l), 0);
		if (part2 != part)
			cr_assert_eq(spool_put(sp, part2, r, l), 0);
		n += l;
	}
	if (nrec)
		*nrec = k;
	return n;
}

/* Records a chain splits between chunks (no spill here, so no timing in
 * it) come back whole, gathered in sbuf; the others are read in place. */
Test(attr_part, records_cut_by_chunks_come_back_whole)
{
	char dir[] = "/tmp/attr-cut-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct chunk_pool pool;
	struct spool sp;
	cr_assert_eq(pool_init(&pool, 49152, 3, 1, UNMO_SPILL_DIRECT), 0); /* 4 KB chunks, 12 of them */
	cr_assert_eq(spool_init(&sp, dir, "c", 0, 3, &pool, NULL), 0);
	static uint8_t want[20000];
	size_t n = put_test_records(&sp, 1, 1, want, sizeof want, 97, 97, NULL); /* they straddle 4 KB */
	cr_assert_eq(sp.spills, 0u);
	struct part_view pv = {0};
	cr_assert_eq(part_load(&sp, 1, 1, &pv), 0);
	cr_expect_gt(pv.sn, 0u, "records cut by a chunk boundary");
	expect_records(&pv, want, n, "partition 1");
	part_view_free(&pv);
	spool_free(&sp);
	pool_free(&pool);
	rmdir(dir);
}

/* Resident 4 KB pages of [p, p + n) (mincore), for the release tests. */
static size_t resident_pages(const uint8_t *p, size_t n)
{
	static unsigned char vec[4096];
	cr_assert_leq(n / 4096, sizeof vec);
	cr_assert_eq(mincore((void *)p, n, vec), 0);
	size_t k = 0;
	for (size_t i = 0; i < n / 4096; i++)
		k += vec[i] & 1;
	return k;
}

/* Chains given back in pass 2 release their memory by whole 2 MB pages
 * while the pool may keep them (a part of a 2 MB page given back splits
 * it), one by one after pool_flush and without retention; the chains not
 * given back keep their records either way. */
Test(attr_part, given_back_chunks_released_by_whole_pages_while_kept)
{
	for (int keep = 0; keep < 2; keep++) {
		char dir[] = "/tmp/attr-rel-XXXXXX";
		cr_assert_not_null(mkdtemp(dir));
		struct chunk_pool pool;
		struct spool sp;
		/* 8 MB in 2 MB pages, 64 KB chunks: every page has chunks of all 4 partitions */
		cr_assert_eq(pool_init(&pool, 8u << 20, 4, 1, UNMO_SPILL_BUFFERED), 0);
		cr_assert_eq(pool.csz, 65536u);
		cr_assert_eq(spool_init(&sp, dir, "k", 0, 4, &pool, NULL), 0);
		static uint8_t last[2u << 20];
		size_t nlast = 0;
		uint8_t r[1400]; /* few records: the suite's --full-stats reports each assertion */
		for (unsigned k = 0; k < 4 * 1000; k++) { /* 5.6 MB, round robin */
			memset(r, (int)(k / 4), sizeof r);
			unmo_st16(r, sizeof r);
			if (spool_put(&sp, k % 4, r, sizeof r))
				cr_assert_fail("record %u not taken", k);
			if (k % 4 == 3) {
				memcpy(last + nlast, r, sizeof r);
				nlast += sizeof r;
			}
		}
		cr_assert_eq(sp.spills, 0u);
		/* tail: past the chunks handed out, in their last 2 MB page: resident
		 * too when the kernel backs the region with 2 MB pages */
		size_t used = pool.nused * pool.csz, total = pool.region_len;
		size_t tail = (((used + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1)) - used) / 4096;
		cr_assert_gt(used, 4u << 20);
		size_t got = resident_pages(pool.region, total);
		cr_assert(got >= used / 4096 && got <= used / 4096 + tail, "chunks handed out are touched: %zu", got);
		pool_retain(&pool, keep ? SIZE_MAX : 0);
		struct part_view pv = {0};
		for (unsigned part = 0; part < 3; part++) {
			cr_assert_eq(part_load(&sp, 1, part, &pv), 0);
			part_release(&pv);
		}
		size_t left = resident_pages(pool.region, total);
		if (keep) { /* every page still has chunks of partition 3: kept whole */
			cr_expect_geq(left, used / 4096, "kept: %zu pages resident", left);
			pool_flush(&pool);
			left = resident_pages(pool.region, total);
		}
		/* a quarter of the chunks are left, each with its pages */
		cr_expect_leq(left, used / 4096 / 4 + 16 + tail, "%s: %zu pages resident", keep ? "flushed" : "one by one",
			      left);
		cr_expect_geq(left, used / 4096 / 4 - 16, "%s: %zu pages resident", keep ? "flushed" : "one by one", left);
		cr_assert_eq(part_load(&sp, 1, 3, &pv), 0);
		expect_records(&pv, last, nlast, "the partition given back last");
		part_release(&pv);
		cr_expect_eq(resident_pages(pool.region, total), 0u, "every page released");
		part_view_free(&pv);
		spool_free(&sp);
		pool_free(&pool);
		rmdir(dir);
	}
}

/* Kept chunks do not outlive their pages: giving back every chain with
 * retention on releases all of the memory, page by page, and never a
 * page with records still to read. */
Test(attr_part, kept_chunks_released_when_their_pages_empty)
{
	char dir[] = "/tmp/attr-kp-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct chunk_pool pool;
	struct spool sp;
	cr_assert_eq(pool_init(&pool, 8u << 20, 4, 1, UNMO_SPILL_BUFFERED), 0);
	cr_assert_eq(spool_init(&sp, dir, "p", 0, 4, &pool, NULL), 0);
	static uint8_t want[4][2u << 20];
	size_t nwant[4] = {0};
	uint8_t r[1400];
	for (unsigned k = 0; k < 4 * 1000; k++) {
		memset(r, (int)(k * 7), sizeof r);
		unmo_st16(r, sizeof r);
		if (spool_put(&sp, k % 4, r, sizeof r))
			cr_assert_fail("record %u not taken", k);
		memcpy(want[k % 4] + nwant[k % 4], r, sizeof r);
		nwant[k % 4] += sizeof r;
	}
	pool_retain(&pool, SIZE_MAX);
	struct part_view pv = {0};
	for (unsigned part = 0; part < 4; part++) {
		cr_assert_eq(part_load(&sp, 1, part, &pv), 0);
		expect_records(&pv, want[part], nwant[part], "each partition, as given back in turn");
		part_release(&pv);
	}
	cr_expect_eq(resident_pages(pool.region, pool.region_len), 0u, "every page released");
	cr_expect_eq(atomic_load(&pool.retained), 0u, "nothing counted as kept");
	part_view_free(&pv);
	spool_free(&sp);
	pool_free(&pool);
	rmdir(dir);
}

/* Result rows stay where they were written while they fit the reserve
 * (no move: a moved page is dear to touch again on the benchmark VM), and
 * keep every byte when they outgrow it and move. */
Test(attr_rows, row_arrays_stay_put_within_reserve_and_keep_rows_past_it)
{
	struct row { uint64_t v[13]; } *rows = NULL; /* 104 bytes, as an install row */
	size_t cap = 0, ready = 0, mapped = 0, reserve = 4u << 20;
	void *first = NULL;
	uint64_t moved_early = UINT64_MAX, unready = UINT64_MAX, wrong = UINT64_MAX; /* first row at fault */
	for (uint64_t i = 0; i < 100000; i++) { /* 10.4 MB: two moves past 4 MB */
		if (!grow_rows((void **)&rows, &cap, &ready, &mapped, reserve, i + 1, sizeof *rows))
			cr_assert_fail("row %llu: out of memory", (unsigned long long)i);
		if (!i)
			first = rows;
		if ((i + 1) * sizeof *rows <= reserve && (void *)rows != first && moved_early == UINT64_MAX)
			moved_early = i;
		if (ready < (i + 1) * sizeof *rows && unready == UINT64_MAX)
			unready = i;
		for (int k = 0; k < 13; k++)
			rows[i].v[k] = i * 13 + (uint64_t)k;
	}
	/* one assertion each: the suite runs with --full-stats, where every
	 * assertion is reported to the runner */
	cr_expect_eq(moved_early, UINT64_MAX, "row %llu moved within the reserve", (unsigned long long)moved_early);
	cr_expect_eq(unready, UINT64_MAX, "row %llu not prefaulted", (unsigned long long)unready);
	cr_expect_neq((void *)rows, first, "moved past the reserve");
	for (uint64_t i = 0; i < 100000 && wrong == UINT64_MAX; i++)
		for (int k = 0; k < 13; k++)
			if (rows[i].v[k] != i * 13 + (uint64_t)k)
				wrong = i;
	cr_expect_eq(wrong, UINT64_MAX, "row %llu changed", (unsigned long long)wrong);
	big_free(rows, mapped);
	/* a reserve the system cannot map (as under strict overcommit): rows
	 * still come, in mappings that double */
	rows = NULL;
	cap = ready = mapped = 0;
	wrong = UINT64_MAX;
	for (uint64_t i = 0; i < 50000; i++) {
		if (!grow_rows((void **)&rows, &cap, &ready, &mapped, (size_t)1 << 62, i + 1, sizeof *rows))
			cr_assert_fail("row %llu: out of memory without a reserve", (unsigned long long)i);
		rows[i].v[0] = i;
	}
	for (uint64_t i = 0; i < 50000 && wrong == UINT64_MAX; i++)
		if (rows[i].v[0] != i)
			wrong = i;
	cr_expect_eq(wrong, UINT64_MAX, "row %llu changed without a reserve", (unsigned long long)wrong);
	cr_expect_lt(mapped, (size_t)64 << 20);
	big_free(rows, mapped);
}

struct collected {
	uint8_t *b;
	size_t n, recs;
};

static int collect(void *ctx, const uint8_t *rec, size_t len)
{
	struct collected *c = ctx;
	memcpy(c->b + c->n, rec, len);
	c->n += len;
	c->recs++;
	return 0;
}

/* part_stream hands over every record of a partition once, in order,
 * whole: from spilled pieces read 4 KB at a time (so records are cut by
 * the reads) or several at once on a ring, from the chain (cut by its
 * chunks) and the staging slot. */
Test(attr_part, stream_gives_every_record_whole_and_in_order)
{
	char dir[] = "/tmp/attr-stream-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct chunk_pool pool;
	struct spool sp;
	cr_assert_eq(pool_init(&pool, 16384, 2, 1, UNMO_SPILL_DIRECT), 0); /* 4 KB chunks: spills often */
	cr_assert_eq(spool_init(&sp, dir, "s", 0, 2, &pool, NULL), 0);
	static uint8_t want[60000], got[60000];
	size_t recs, n = put_test_records(&sp, 1, 0, want, sizeof want, 100, 97, &recs); /* both partitions */
	cr_assert_eq(spool_sync(&sp), 0);
	cr_assert_gt(sp.spills, 2u);
	cr_assert_gt(sp.slen[1], 0u, "some records still in the slot");
	cr_expect_eq(part_size(&sp, 1, 1), n);
	uint8_t *buf = big_alloc(16384);
	struct io_uring ring;
	cr_assert_eq(io_uring_queue_init(2, &ring, 0), 0); /* fewer entries than a batch's reads */
	for (unsigned part = 0; part < 2; part++) { /* read one by one, and on the ring */
		struct collected c = {got, 0, 0};
		cr_assert_eq(part_stream(&sp, 1, part, buf, part ? 16384 : 4096, part ? &ring : NULL, collect, &c), 0);
		cr_expect_eq(c.recs, recs);
		cr_assert_eq(c.n, n);
		cr_expect(!memcmp(got, want, n), "the same bytes in the same order");
		cr_expect_eq(sp.head[part], NULL, "the chain is consumed");
		cr_expect_eq(sp.slen[part], 0u);
	}
	io_uring_queue_exit(&ring);
	big_free(buf, 16384);
	spool_free(&sp);
	pool_free(&pool);
	rmdir(dir);
}

/* A pool reused for spools of another partition count (smaller chunks,
 * more of them) has every chunk its budget allows, in the same pages, and
 * keeps every record. */
Test(attr_part, reused_pool_serves_any_partition_count)
{
	char dir[] = "/tmp/attr-reuse-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct chunk_pool pool;
	struct spool sp;
	static uint8_t rec[100], got[400000];
	unmo_st16(rec, sizeof rec);
	cr_assert_eq(pool_init(&pool, 120000, 1, 1, UNMO_SPILL_DIRECT), 0); /* 28 KB chunks */
	uint8_t *region = pool.region;
	for (int round = 0; round < 2; round++) {
		unsigned nparts = round ? 30 : 1; /* then 4 KB chunks: 29 in the budget */
		if (round)
			cr_assert_eq(pool_reuse(&pool, nparts, 1), 0);
		cr_assert_eq(spool_init(&sp, dir, round ? "b" : "a", 0, nparts, &pool, NULL), 0);
		size_t n = 0;
		for (unsigned i = 0; n + sizeof rec <= sizeof got; i++, n += sizeof rec) {
			rec[2] = (uint8_t)i;
			cr_assert_eq(spool_put(&sp, i % nparts, rec, sizeof rec), 0, "put %u: error %d", i, sp.error);
		}
		cr_assert_eq(spool_sync(&sp), 0);
		cr_expect_eq(pool.region, region, "the same pages");
		uint8_t *buf = big_alloc(65536);
		struct collected c = {got, 0, 0};
		for (unsigned part = 0; part < nparts; part++)
			cr_assert_eq(part_stream(&sp, 1, part, buf, 65536, NULL, collect, &c), 0);
		cr_expect_eq(c.n, n, "round %d: every record", round);
		big_free(buf, 65536);
		spool_free(&sp);
	}
	pool_free(&pool);
	rmdir(dir);
}

/* A direct read the file system refuses (EINVAL: here, a destination one
 * byte off alignment) is done again through the page cache, with the same
 * bytes, and the file stays buffered from then on. */
Test(attr_part, refused_direct_read_falls_back_to_the_page_cache)
{
	char dir[] = "/tmp/attr-dio-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct chunk_pool pool;
	struct spool sp;
	cr_assert_eq(pool_init(&pool, 16384, 1, 1, UNMO_SPILL_DIRECT), 0); /* 4 KB chunks: spills often */
	cr_assert_eq(spool_init(&sp, dir, "r", 0, 1, &pool, NULL), 0);
	static uint8_t want[60000];
	size_t n = put_test_records(&sp, 0, 0, want, sizeof want, 200, 200, NULL);
	cr_assert_eq(spool_sync(&sp), 0);
	cr_assert_gt(sp.spills, 0u);
	if (!sp.direct || !(fcntl(sp.fd, F_GETFL) & O_DIRECT))
		cr_skip_test("the file system of /tmp takes no O_DIRECT");
	struct part_view pv = {0};
	cr_assert_eq(part_load_start(&sp, 1, 0, &pv, NULL), 0);
	cr_assert_gt(pv.nreads, 0u);
	struct part_read *rd = &pv.reads[0];
	uint8_t *odd = malloc(rd->alen + 1);
	cr_assert_not_null(odd);
	for (size_t k = 0; k < pv.nraw; k++)
		if (pv.raw[k].p == rd->dst)
			pv.raw[k].p = odd + 1;
	rd->dst = odd + 1;
	cr_assert_eq(part_load_finish(&pv), 0);
	cr_expect(!(fcntl(sp.fd, F_GETFL) & O_DIRECT), "the file was switched to the page cache");
	expect_records(&pv, want, n, "partition 0");
	part_view_free(&pv);
	free(odd);
	spool_free(&sp);
	pool_free(&pool);
	rmdir(dir);
}

/* A spill the writer thread fails to write (here: past the file size
 * limit) is reported by the next put or sync, never lost. */
Test(attr_part, failed_background_spill_is_reported)
{
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit lim = {65536, RLIM_INFINITY};
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	char dir[] = "/tmp/attr-spill-fail-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct chunk_pool pool;
	struct spool sp;
	cr_assert_eq(pool_init(&pool, 65536, 2, 1, UNMO_SPILL_DIRECT), 0);
	cr_assert_eq(spool_init(&sp, dir, "f", 0, 2, &pool, NULL), 0);
	static uint8_t rec[400];
	unmo_st16(rec, sizeof rec);
	int rc = 0;
	for (int i = 0; i < 2000 && !rc; i++) /* 800 KB: far past 64 KB of file */
		rc = spool_put(&sp, (unsigned)i % 2, rec, sizeof rec);
	rc |= spool_sync(&sp);
	cr_expect_eq(rc, -1);
	cr_expect_eq(sp.error, EFBIG, "%d", sp.error);
	struct part_view pv = {0};
	cr_expect_eq(part_load(&sp, 1, 0, &pv), -1);
	part_view_free(&pv);
	spool_free(&sp);
	pool_free(&pool);
	rmdir(dir);
}

/* ---- sorted runs of result rows (attr_rows.c) ----
 * The rows here are the engine's (row, time) pairs, ordered on both. */
static int rowkey_by_row(const void *pa, const void *pb)
{
	return ctit_pair_cmp(((const struct rowkey *)pa)->r, ((const struct rowkey *)pb)->r);
}
/* The keys of rows[0..n) in (t, v) order, as sort_rows makes them. */
static struct rowkey *pair_keys(const struct ctit_pair *rows, size_t n)
{
	struct rowkey *k = malloc((n ? n : 1) * sizeof *k);
	cr_assert_not_null(k);
	for (size_t i = 0; i < n; i++)
		k[i] = (struct rowkey){(uint64_t)rows[i].rk ^ (1ull << 63), (const char *)&rows[i]};
	qsort(k, n, sizeof *k, rowkey_by_row);
	return k;
}

/* Three runs on disk (one of 3000 rows: over three reads of a run) and one
 * in memory, with equal times across runs and negative times, merge into
 * the order of sorting them all. */
Test(attr_rows, runs_merge_in_sorted_order)
{
	static struct ctit_pair rows[4][3000];
	size_t len[4] = {3000, 1, 700, 1200};
	struct ctit_pair all[4901];
	size_t na = 0;
	for (int r = 0; r < 4; r++)
		for (size_t i = 0; i < len[r]; i++) {
			rows[r][i] = (struct ctit_pair){(int64_t)(rnd() % 200) - 50, (int64_t)(rnd() % 1000)};
			all[na++] = rows[r][i];
		}
	qsort(all, na, sizeof *all, ctit_pair_cmp);
	char dir[] = "/tmp/attr-rows-XXXXXX", path[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/runs", dir);
	struct rowruns f = {.fd = -1};
	struct rowkey *k[4];
	for (int r = 0; r < 4; r++)
		k[r] = pair_keys(rows[r], len[r]);
	for (int r = 0; r < 3; r++)
		cr_assert_eq(rowruns_put(&f, path, k[r], len[r], sizeof(struct ctit_pair)), 0);
	cr_expect_eq(f.nruns, 3);
	cr_expect_eq(f.rows, 3701);
	cr_expect_neq(access(path, F_OK), 0, "the run file is unlinked at once");
	struct rowsrc src[2] = {{NULL, 0, &f}, {k[3], len[3], NULL}};
	for (int b = 0; b < 2; b++) { /* 1024 rows per read, and the least (16): a budget of nothing */
		struct rowmerge *m = rowmerge_open(src, 2, sizeof(struct ctit_pair), offsetof(struct ctit_pair, rk),
						   ctit_pair_cmp, b ? 0 : SIZE_MAX);
		cr_assert_not_null(m);
		const struct ctit_pair *p;
		size_t got = 0;
		bool same = true;
		while ((p = rowmerge_next(m))) {
			same &= got < na && p->rk == all[got].rk && p->us == all[got].us;
			got++;
		}
		cr_expect_eq(rowmerge_error(m), 0);
		cr_expect_eq(got, na);
		cr_expect(same, "merged order differs from the sorted rows (budget %d)", b);
		rowmerge_close(m);
	}
	/* a run cut short (the file truncated): a read error, not fewer rows */
	cr_assert_eq(ftruncate(f.fd, (off_t)(3000 * sizeof(struct ctit_pair) + 100)), 0);
	struct rowmerge *m = rowmerge_open(src, 2, sizeof(struct ctit_pair), offsetof(struct ctit_pair, rk),
					   ctit_pair_cmp, SIZE_MAX);
	size_t got = 0;
	while (m && rowmerge_next(m))
		got++;
	cr_expect(!m || rowmerge_error(m) != 0, "truncated run not reported");
	cr_expect_lt(got, na);
	rowmerge_close(m);
	rowruns_free(&f);
	for (int r = 0; r < 4; r++)
		free(k[r]);
	rmdir(dir);
}

/* A run that cannot be written (the file size limit) is an error the caller
 * sees, and the engine fails the run with it instead of losing rows. */
/* A split's temp file that cannot be written (past the file size limit)
 * fails unmo_attr_finish with a temp-file error: no crash, no partition
 * silently lost. 1000 devices with 3 clicks and an install, one thread, 2
 * partitions, a 1 MB budget: pass 1 keeps their records in memory (a
 * spill would start at 384 KB), the rows too (a 256 KB share), and each
 * partition (~160 KB) is over the 87 KB a worker may load and over its
 * parts' pool (131 KB), which writes to the part file: its only write. */
Test(attr_split, failed_part_write_is_reported)
{
	reset();
	static char names[1000][16];
	uint64_t id = 1;
	for (unsigned d = 0; d < 1000; d++) {
		snprintf(names[d], sizeof names[d], "fs%u", d);
		for (int k = 0; k < 3; k++)
			touch(UNMO_EV_CLICK, names[d], T0 + (int64_t)d * SEC - (k + 1) * 3600 * SEC, id++, "netA", "c1");
		add(UNMO_EV_INSTALL, names[d], T0 + (int64_t)d * SEC, id++);
	}
	struct unmo_attr_opts o = {.threads = 1, .mem_bytes = 1 << 20, .partitions = 2};
	struct unmo_attr *a = run_opts(o, evs, nev);
	cr_assert_gt(unmo_attr_stats(a)->partitions_split, 0);
	cr_assert_eq(unmo_attr_stats(a)->rows_spilled, 0);
	unmo_attr_free(a);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit lim = {8192, RLIM_INFINITY};
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	char err[512];
	a = unmo_attr_new(&o, err, sizeof err);
	cr_assert_not_null(a);
	for (size_t i = 0; i < nev; i++)
		cr_assert_eq(unmo_attr_add_event(a, &evs[i], err, sizeof err), 0, "%s", err);
	cr_expect_neq(unmo_attr_finish(a, err, sizeof err), 0, "a part could not be written: finish must fail");
	cr_expect(strstr(err, "temp file") != NULL, "%s", err);
	unmo_attr_free(a);
}

Test(attr_rows, failed_run_write_is_reported)
{
	/* 3500 installs, one thread, a 1 MB budget: their records stay in
	 * memory (a spill would start at 384 KB) in 8 partitions small enough
	 * to load whole (an 87 KB allowance), their rows (104 bytes each, a
	 * 256 KB share) spill */
	reset();
	static char names[3500][16];
	for (unsigned d = 0; d < 3500; d++) {
		snprintf(names[d], sizeof names[d], "fw%u", d);
		add(UNMO_EV_INSTALL, names[d], T0 + (int64_t)d * SEC, d + 1);
	}
	struct unmo_attr_opts o = {.threads = 1, .mem_bytes = 1 << 20, .partitions = 8};
	struct unmo_attr *a = run_opts(o, evs, nev);
	cr_expect_eq(unmo_attr_stats(a)->spilled_bytes, 0, "no partition spill");
	cr_expect_eq(unmo_attr_stats(a)->partitions_split, 0);
	cr_expect_gt(unmo_attr_stats(a)->rows_spilled, 0, "the rows spill");
	unmo_attr_free(a);

	signal(SIGXFSZ, SIG_IGN);
	struct rlimit lim = {8192, RLIM_INFINITY};
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	char dir[] = "/tmp/attr-rows-fail-XXXXXX", path[64], err[512];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/runs", dir);
	static struct ctit_pair rows[2000];
	for (size_t i = 0; i < 2000; i++)
		rows[i] = (struct ctit_pair){(int64_t)i, 0};
	struct rowkey *k = pair_keys(rows, 2000);
	struct rowruns f = {.fd = -1};
	cr_expect_eq(rowruns_put(&f, path, k, 2000, sizeof(struct ctit_pair)), EFBIG);
	cr_expect_eq(f.nruns, 0, "a failed run is not recorded");
	rowruns_free(&f);
	free(k);
	rmdir(dir);

	o.keep_conversions = true;
	a = unmo_attr_new(&o, err, sizeof err);
	cr_assert_not_null(a);
	for (size_t i = 0; i < nev; i++)
		cr_assert_eq(unmo_attr_add_event(a, &evs[i], err, sizeof err), 0, "%s", err);
	cr_expect_neq(unmo_attr_finish(a, err, sizeof err), 0, "a row run could not be written: finish must fail");
	cr_expect(strstr(err, "temp file") != NULL, "%s", err);
	unmo_attr_free(a);
}

/* name_encode is one-to-one and NUL-free, and name_next gives the bytes
 * back: random byte strings rich in 0x00, 0xC0 and 0x80. */
Test(attr_internals, name_encoding_round_trips)
{
	static const unsigned char pick[] = {0x00, 0xC0, 0x80, 'a', 0xFF};
	uint64_t x = 88172645463325252ull;
	char raw[64], enc[2 * 64 + 1], back[64];
	for (int iter = 0; iter < 20000; iter++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t n = x % 64;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			raw[i] = (char)pick[x % sizeof pick];
		}
		size_t k = name_encode(enc, raw, n);
		cr_assert_eq(strlen(enc), k, "no NUL inside");
		size_t m = 0;
		for (const char *p = enc; *p && m < n;)
			back[m++] = (char)name_next(&p);
		cr_assert_eq(m, n);
		cr_assert(!memcmp(raw, back, n), "round trip of %zu bytes", n);
	}
}
