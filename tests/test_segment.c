/* test_segment.c — segment writer/reader/recovery: round trips, lz4 -dc
 * compatibility, corruption of every byte of every block and of the
 * trailer, torn files cut at every byte offset, garbage after the end. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "segment.h"

/* Assertions that cost nothing when they hold: the corruption and torn-file
 * loops check millions of conditions, and --full-stats would log each
 * cr_assert. */
#define CHECK(c, ...)                                                          \
	do {                                                                   \
		if (!(c)) {                                                    \
			cr_log_error("check failed: %s", #c);                  \
			cr_assert_fail(" " __VA_ARGS__);                       \
		}                                                              \
	} while (0)

/* ---- deterministic events ---- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t x = rng_state += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static char strpool[UNMO_STR_COUNT][64];

/* Event number i (same i -> same event); strings live in strpool until the
 * next call. */
static struct unmo_event make_event(uint64_t i)
{
	static const char *media[] = {"googleadwords_int", "facebook", "unityads", "applovin"};
	struct unmo_event e;
	unmo_event_clear(&e);
	rng_state = i * 7919u + 1;
	for (int k = 0; k < 16; k++)
		e.event_id[k] = (uint8_t)rnd();
	e.type = (uint8_t)(1 + rnd() % 7);
	e.platform = (uint8_t)(rnd() % UNMO_PLAT_COUNT);
	e.flags = (uint8_t)(rnd() & 1);
	e.ip_version = (uint8_t)(i % 3 == 0 ? 0 : i % 3 == 1 ? 4 : 6);
	for (int k = 0; k < (e.ip_version == 4 ? 4 : e.ip_version == 6 ? 16 : 0); k++)
		e.ip[k] = (uint8_t)rnd();
	e.event_time_us = 1700000000000000ll + (int64_t)(i * 1000) - (int64_t)(rnd() % 5000);
	e.recv_time_us = e.event_time_us + 1234;
	e.revenue_micros = e.type == UNMO_EV_CONVERSION ? (int64_t)(rnd() % 100000000) : 0;
	e.sender_id = rnd() % 10;
	e.sequence = i;
	if (e.revenue_micros)
		memcpy(e.currency, "USD", 3);
	memcpy(e.country, i % 2 ? "US" : "DE", 2);
	for (int s = 0; s < UNMO_STR_COUNT; s++) {
		if (rnd() % 4 == 0)
			continue;
		int n = snprintf(strpool[s], sizeof strpool[s], "%s-%s-%llu",
				 unmo_str_field_names[s], media[rnd() % 4],
				 (unsigned long long)(rnd() % 50));
		e.s[s] = (struct unmo_str){strpool[s], (uint16_t)n};
	}
	return e;
}

static void assert_same(const struct unmo_event *a, const struct unmo_event *b)
{
	CHECK(memcmp(a->event_id, b->event_id, 16) == 0);
	CHECK((a->type) == (b->type));
	CHECK((a->platform) == (b->platform));
	CHECK((a->flags) == (b->flags));
	CHECK((a->ip_version) == (b->ip_version));
	CHECK(memcmp(a->ip, b->ip, 16) == 0);
	CHECK((a->event_time_us) == (b->event_time_us));
	CHECK((a->recv_time_us) == (b->recv_time_us));
	CHECK((a->revenue_micros) == (b->revenue_micros));
	CHECK((a->sender_id) == (b->sender_id));
	CHECK((a->sequence) == (b->sequence));
	CHECK(memcmp(a->currency, b->currency, 3) == 0);
	CHECK(memcmp(a->country, b->country, 2) == 0);
	for (int i = 0; i < UNMO_STR_COUNT; i++)
		CHECK(unmo_str_eq(a->s[i], b->s[i]), "string %d", i);
}

/* ---- files ---- */

static char tmpdir[256];

static void mk_tmpdir(void)
{
	/* tmpfs when there is one: the torn-file test recovers (and fsyncs)
	 * a file per byte offset; durability itself is not under test. */
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(tmpdir, sizeof tmpdir, "%s/unmo-segtest-XXXXXX", base);
	CHECK((mkdtemp(tmpdir)) != NULL);
}

static void rm_tmpdir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	CHECK((system(cmd)) == (0));
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	CHECK((f) != NULL, "%s", path);
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *d = malloc((size_t)sz + 1);
	CHECK((fread(d, 1, (size_t)sz, f)) == ((size_t)sz));
	fclose(f);
	*n = (size_t)sz;
	return d;
}

static void spit(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	CHECK((f) != NULL, "%s", path);
	CHECK((fwrite(d, 1, n, f)) == (n));
	CHECK((fclose(f)) == (0));
}

static const struct unmo_seg_info test_info = {
	.writer_id = 3, .segment_seq = 42, .created_us = 1700000000123456ll,
	.appliance_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

/* Writes a sealed segment of nchunks chunks with per_chunk events each
 * (events numbered from 0). Also returns the concatenated raw records. */
static void write_segment(const char *name, int nchunks, int per_chunk, uint8_t **raw, size_t *rawn)
{
	char err[256];
	struct unmo_segw *w = unmo_segw_open(tmpdir, name, &test_info, err, sizeof err);
	CHECK((w) != NULL, "%s", err);
	static struct unmo_chunk c;
	size_t cap = (size_t)nchunks * UNMO_CHUNK_CAP, used = 0;
	uint8_t *all = raw ? malloc(cap ? cap : 1) : NULL;
	uint64_t ev = 0;
	for (int k = 0; k < nchunks; k++) {
		unmo_chunk_reset(&c);
		for (int j = 0; j < per_chunk; j++) {
			struct unmo_event e = make_event(ev++);
			CHECK(unmo_chunk_add(&c, &e));
		}
		if (all) {
			memcpy(all + used, c.data, c.len);
			used += c.len;
		}
		CHECK((unmo_segw_append(w, &c, err, sizeof err)) == (0), "%s", err);
	}
	CHECK((unmo_segw_seal(w, err, sizeof err)) == (0), "%s", err);
	if (raw) {
		*raw = all;
		*rawn = used;
	}
}

static void seg_path(char *dst, size_t cap, const char *name, const char *suffix)
{
	snprintf(dst, cap, "%s/%s%s", tmpdir, name, suffix);
}

struct readout {
	int blocks, errors;
	uint64_t records;
	uint64_t err_off[8];
	struct unmo_seg_block_meta meta[64];
	uint8_t raw[64 * 1024 * 8];
	size_t rawn;
};

static bool check_events = true; /* off where only block identity matters */

/* Reads every block; checks each record equals make_event(sequence). */
static void read_all(struct unmo_segr *r, struct readout *o)
{
	memset(o, 0, offsetof(struct readout, raw));
	o->rawn = 0;
	struct unmo_seg_block b;
	char err[512];
	int st;
	while ((st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
		if (st < 0) {
			if (o->errors < 8)
				o->err_off[o->errors] = unmo_segr_error_offset(r);
			o->errors++;
			CHECK(strstr(err, " at offset "), "%s", err);
			continue;
		}
		CHECK((o->blocks) < (64));
		o->meta[o->blocks++] = b.meta;
		if (o->rawn + b.meta.raw_len <= sizeof o->raw) {
			memcpy(o->raw + o->rawn, b.records, b.meta.raw_len);
			o->rawn += b.meta.raw_len;
		}
		size_t off = 0;
		struct unmo_event e;
		uint32_t n = 0;
		while (unmo_seg_block_next_record(&b, &off, &e)) {
			if (check_events) {
				struct unmo_event want = make_event(e.sequence);
				assert_same(&want, &e);
			}
			if (b.events) /* decode mode: the reader's events are the walk's */
				assert_same(&b.events[n], &e);
			n++;
		}
		CHECK((off) == (b.meta.raw_len));
		CHECK((n) == (b.meta.count));
		o->records += n;
	}
}

/* ---- tests ---- */

Test(segment, round_trip_many_chunks, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	uint8_t *raw;
	size_t rawn;
	write_segment("t-w3-00000042", 40, 150, &raw, &rawn);
	char path[512], err[256];
	seg_path(path, sizeof path, "t-w3-00000042", ".seg");
	struct unmo_segr *r = unmo_segr_open(path, err, sizeof err);
	CHECK((r) != NULL, "%s", err);
	CHECK(unmo_segr_sealed(r));
	CHECK(unmo_segr_header_ok(r));
	const struct unmo_seg_info *in = unmo_segr_info(r);
	CHECK((in->writer_id) == (3));
	CHECK((in->segment_seq) == (42));
	CHECK((in->created_us) == (test_info.created_us));
	CHECK(memcmp(in->appliance_id, test_info.appliance_id, 16) == 0);
	CHECK((unmo_segr_nblocks(r)) == (40));
	/* Events come back in order, field by field. */
	struct unmo_seg_block b;
	uint64_t want = 0;
	int st, blocks = 0;
	uint64_t off_expect = UNMO_SEG_HEADER_LEN;
	while ((st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
		CHECK((st) == (1), "%s", err);
		CHECK((b.meta.offset) == (off_expect));
		off_expect += b.meta.frame_len;
		struct unmo_seg_block_meta im;
		CHECK(unmo_segr_index_entry(r, (uint32_t)blocks, &im));
		CHECK((im.raw_len) == (b.meta.raw_len));
		size_t off = 0;
		struct unmo_event e;
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		while (unmo_seg_block_next_record(&b, &off, &e)) {
			struct unmo_event x = make_event(want++);
			assert_same(&x, &e);
			lo = e.event_time_us < lo ? e.event_time_us : lo;
			hi = e.event_time_us > hi ? e.event_time_us : hi;
		}
		CHECK((b.meta.min_time_us) == (lo));
		CHECK((b.meta.max_time_us) == (hi));
		CHECK((b.meta.count) == (150));
		blocks++;
	}
	CHECK((blocks) == (40));
	CHECK((want) == (40 * 150));
	unmo_segr_close(r);
	/* No .open file left behind. */
	seg_path(path, sizeof path, "t-w3-00000042", ".seg.open");
	CHECK((access(path, F_OK)) != (0));
	free(raw);
}

Test(segment, empty_segment, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	write_segment("empty-w1-00000001", 0, 0, NULL, NULL);
	char path[512], err[256], cmd[700];
	seg_path(path, sizeof path, "empty-w1-00000001", ".seg");
	struct unmo_segr *r = unmo_segr_open(path, err, sizeof err);
	CHECK((r) != NULL, "%s", err);
	CHECK(unmo_segr_sealed(r));
	CHECK((unmo_segr_nblocks(r)) == (0));
	CHECK((unmo_segr_size(r)) == (UNMO_SEG_HEADER_LEN + unmo_seg_trailer_bound(0)));
	struct unmo_seg_block b;
	CHECK((unmo_segr_next(r, &b, err, sizeof err)) == (0));
	unmo_segr_close(r);
	snprintf(cmd, sizeof cmd, "lz4 -dc '%s' | wc -c", path);
	FILE *p = popen(cmd, "r");
	long n = -1;
	CHECK((fscanf(p, "%ld", &n)) == (1));
	CHECK((pclose(p)) == (0));
	CHECK((n) == (0));
}

Test(segment, maximal_and_incompressible_chunks, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	static struct unmo_chunk c;
	static char big[UNMO_STR_MAX];
	char err[256], path[512];
	struct unmo_segw *w = unmo_segw_open(tmpdir, "max-w0-00000000", &test_info, err, sizeof err);
	CHECK((w) != NULL, "%s", err);
	/* 1: filled to exactly UNMO_CHUNK_CAP bytes with maximal records. */
	unmo_chunk_reset(&c);
	memset(big, 'a', sizeof big);
	struct unmo_event e;
	unmo_event_clear(&e);
	e.type = UNMO_EV_CLICK;
	for (int s = 0; s < UNMO_STR_COUNT; s++)
		e.s[s] = (struct unmo_str){big, UNMO_STR_MAX};
	while (unmo_chunk_add(&c, &e))
		e.sequence++;
	size_t left = UNMO_CHUNK_CAP - c.len;
	CHECK((left) >= (UNMO_RECORD_FIXED + 3));
	unmo_event_clear(&e);
	e.type = UNMO_EV_CLICK;
	size_t fill = left - UNMO_RECORD_FIXED;
	for (int s = 0; fill; s++) { /* split the rest over strings of <= 1024 */
		size_t take = fill - 2 > UNMO_STR_MAX ? UNMO_STR_MAX : fill - 2;
		if (fill - 2 - take == 1 || fill - 2 - take == 2)
			take -= 3; /* never leave a remainder too small for a string */
		e.s[s] = (struct unmo_str){big, (uint16_t)take};
		fill -= take + 2;
	}
	CHECK(unmo_chunk_add(&c, &e));
	CHECK((c.len) == (UNMO_CHUNK_CAP));
	CHECK((unmo_segw_append(w, &c, err, sizeof err)) == (0), "%s", err);
	uint32_t count1 = c.count;
	/* 2: random strings, so LZ4 cannot shrink it: stored uncompressed. */
	unmo_chunk_reset(&c);
	static char rnds[UNMO_STR_COUNT][UNMO_STR_MAX];
	rng_state = 99;
	for (;;) {
		unmo_event_clear(&e);
		e.type = UNMO_EV_SESSION;
		for (int s = 0; s < UNMO_STR_COUNT; s++) {
			for (size_t k = 0; k < UNMO_STR_MAX; k++)
				rnds[s][k] = (char)(rnd() & 0xFF);
			e.s[s] = (struct unmo_str){rnds[s], UNMO_STR_MAX};
		}
		if (!unmo_chunk_add(&c, &e))
			break;
	}
	CHECK((unmo_segw_append(w, &c, err, sizeof err)) == (0), "%s", err);
	CHECK((unmo_segw_seal(w, err, sizeof err)) == (0), "%s", err);
	seg_path(path, sizeof path, "max-w0-00000000", ".seg");
	struct unmo_segr *r = unmo_segr_open(path, err, sizeof err);
	CHECK((r) != NULL, "%s", err);
	struct unmo_seg_block b;
	CHECK((unmo_segr_next(r, &b, err, sizeof err)) == (1), "%s", err);
	CHECK((b.meta.raw_len) == (UNMO_CHUNK_CAP));
	CHECK((b.meta.count) == (count1));
	CHECK((unmo_segr_next(r, &b, err, sizeof err)) == (1), "%s", err);
	CHECK((b.meta.raw_len) == (c.len));
	CHECK((b.meta.frame_len) == (c.len + UNMO_SEG_BLOCK_OVERHEAD)); /* stored raw */
	CHECK(memcmp(b.records, c.data, c.len) == 0);
	CHECK((unmo_segr_next(r, &b, err, sizeof err)) == (0));
	unmo_segr_close(r);
	/* Encoder contract: bound suffices, small buffers and empty chunks refused. */
	static uint8_t out[UNMO_CHUNK_CAP + 1024];
	struct unmo_seg_block_meta m;
	CHECK((unmo_seg_block_encode(out, sizeof out, &c, &m)) <= (unmo_seg_block_bound(c.len)));
	CHECK((unmo_seg_block_encode(out, c.len + UNMO_SEG_BLOCK_OVERHEAD - 1, &c, &m)) == (0));
	unmo_chunk_reset(&c);
	CHECK((unmo_seg_block_encode(out, sizeof out, &c, &m)) == (0));
}

Test(segment, lz4_dc_reads_the_records, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	uint8_t *raw;
	size_t rawn;
	write_segment("lz-w1-00000007", 12, 140, &raw, &rawn);
	char path[512], cmd[700];
	seg_path(path, sizeof path, "lz-w1-00000007", ".seg");
	snprintf(cmd, sizeof cmd, "lz4 -dc '%s'", path);
	FILE *p = popen(cmd, "r");
	CHECK((p) != NULL);
	uint8_t *got = malloc(rawn + 1);
	size_t n = fread(got, 1, rawn + 1, p);
	CHECK((pclose(p)) == (0), "lz4 -dc failed");
	CHECK((n) == (rawn));
	CHECK(memcmp(got, raw, rawn) == 0);
	free(got);
	free(raw);
}

static struct readout ro, ro_ref;

/* Flips bytes in every block in turn (sealed: via the index; unsealed: by
 * scanning): only that block is reported, at its offset; the others read. */
static void corrupt_blocks(bool sealed)
{
	write_segment("c-w1-00000001", 5, 6, NULL, NULL);
	char path[512], err[256];
	seg_path(path, sizeof path, "c-w1-00000001", ".seg");
	size_t n;
	uint8_t *img = slurp(path, &n);
	struct unmo_segr *r = unmo_segr_open_mem(img, n, "ref.seg", err, sizeof err);
	CHECK((r) != NULL);
	read_all(r, &ro_ref);
	unmo_segr_close(r);
	CHECK((ro_ref.blocks) == (5));
	CHECK((ro_ref.errors) == (0));
	size_t len = sealed ? n : ro_ref.meta[4].offset + ro_ref.meta[4].frame_len;
	const char *name = sealed ? "x.seg" : "x.seg.open";
	uint8_t *bad = malloc(n);
	static const uint8_t flips[] = {0xFF, 0x01};
	check_events = false; /* other blocks compared by their bytes below */
	static struct unmo_event evbuf[UNMO_SEG_MAX_BLOCK_RECORDS];
	for (int i = 0; i < 5; i++) {
		const struct unmo_seg_block_meta *bm = &ro_ref.meta[i];
		for (uint32_t k = 0; k < bm->frame_len; k++) {
			for (size_t f = 0; f < 2 * sizeof flips; f++) { /* each flip, plain and decode mode */
				memcpy(bad, img, len);
				bad[bm->offset + k] ^= flips[f % sizeof flips];
				r = unmo_segr_open_mem(bad, len, name, err, sizeof err);
				CHECK((r) != NULL);
				if (f >= sizeof flips)
					unmo_segr_decode_into(r, evbuf, UNMO_SEG_MAX_BLOCK_RECORDS);
				CHECK((unmo_segr_sealed(r)) == (sealed));
				read_all(r, &ro);
				unmo_segr_close(r);
				CHECK((ro.errors) == (1), "block %d byte %u flip %zu: %d errors", i, k, f, ro.errors);
				CHECK((ro.err_off[0]) == (bm->offset), "block %d byte %u", i, k);
				CHECK((ro.blocks) == (4), "block %d byte %u: %d blocks", i, k, ro.blocks);
				for (int j = 0, g = 0; j < 5; j++) {
					if (j == i)
						continue;
					CHECK((ro.meta[g].offset) == (ro_ref.meta[j].offset));
					CHECK((ro.meta[g].count) == (ro_ref.meta[j].count));
					CHECK((ro.meta[g].raw_len) == (ro_ref.meta[j].raw_len));
					g++;
				}
				/* the other blocks' bytes, in order, without block i */
				size_t pre = 0;
				for (int j = 0; j < i; j++)
					pre += ro_ref.meta[j].raw_len;
				size_t skip = ro_ref.meta[i].raw_len;
				CHECK(ro.rawn == ro_ref.rawn - skip);
				CHECK(memcmp(ro.raw, ro_ref.raw, pre) == 0);
				CHECK(memcmp(ro.raw + pre, ro_ref.raw + pre + skip, ro.rawn - pre) == 0);
			}
		}
	}
	free(bad);
	free(img);
}

Test(segment, corrupt_each_block_sealed, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	corrupt_blocks(true);
}

Test(segment, corrupt_each_block_scanning, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	corrupt_blocks(false);
}

Test(segment, corrupt_index_or_footer_falls_back_to_scanning, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	write_segment("i-w1-00000001", 4, 5, NULL, NULL);
	char path[512], err[256];
	seg_path(path, sizeof path, "i-w1-00000001", ".seg");
	size_t n;
	uint8_t *img = slurp(path, &n);
	struct unmo_segr *r = unmo_segr_open_mem(img, n, "ref.seg", err, sizeof err);
	read_all(r, &ro_ref);
	unmo_segr_close(r);
	size_t trailer = unmo_seg_trailer_bound(4);
	uint8_t *bad = malloc(n);
	for (size_t k = n - trailer; k < n; k++) {
		memcpy(bad, img, n);
		bad[k] ^= 0x20;
		r = unmo_segr_open_mem(bad, n, "x.seg", err, sizeof err);
		CHECK((r) != NULL);
		CHECK(!(unmo_segr_sealed(r)), "byte %zu", k);
		read_all(r, &ro);
		unmo_segr_close(r);
		CHECK((ro.errors) >= (1)); /* "not sealed" is reported */
		CHECK((ro.blocks) == (4), "byte %zu", k);
		CHECK((ro.records) == (ro_ref.records));
		CHECK((ro.rawn) == (ro_ref.rawn));
		CHECK(memcmp(ro.raw, ro_ref.raw, ro.rawn) == 0);
	}
	/* A corrupt header is reported (offset 0); blocks still read. */
	memcpy(bad, img, n);
	bad[20] ^= 1;
	r = unmo_segr_open_mem(bad, n, "x.seg", err, sizeof err);
	CHECK(!(unmo_segr_header_ok(r)));
	read_all(r, &ro);
	unmo_segr_close(r);
	CHECK((ro.errors) == (1));
	CHECK((ro.err_off[0]) == (0));
	CHECK((ro.blocks) == (4));
	free(bad);
	free(img);
}

Test(segment, malformed_inputs)
{
	char err[256];
	CHECK((unmo_segr_open("/nonexistent/x.seg", err, sizeof err)) == NULL);
	CHECK(strstr(err, "/nonexistent/x.seg"));
	CHECK((unmo_segr_open("/tmp", err, sizeof err)) == NULL);
	static const uint8_t junk[][24] = {{0}, {0x04, 0x22, 0x4D, 0x18}, {0x50, 0x2A, 0x4D, 0x18, 0xFF, 0xFF}};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
		for (size_t n = 0; n <= sizeof junk[0]; n++) {
			struct unmo_segr *r = unmo_segr_open_mem(junk[i], n, "j.seg", err, sizeof err);
			CHECK((r) != NULL);
			CHECK(!(unmo_segr_sealed(r)));
			read_all(r, &ro);
			CHECK((ro.blocks) == (0));
			CHECK((ro.errors) >= (1));
			unmo_segr_close(r);
		}
	struct unmo_seg_recovery rep;
	CHECK((unmo_seg_recover("/tmp/not-open.seg", &rep, err, sizeof err)) == (-1));
	char name[64];
	CHECK((unmo_seg_name(name, sizeof name, "unmo", 2, 17)) > (0));
	CHECK(strcmp(name, "unmo-w2-00000017") == 0);
	CHECK((unmo_seg_name(name, 8, "unmo", 2, 17)) == (0));
}

/* Write segment `name` (nchunks chunks of per_chunk events), read it into
 * ro_ref and return its bytes (*n); path/openp get its sealed and .open
 * names. For the recovery tests, which cut or extend copies of it. */
static uint8_t *ref_segment(const char *name, int nchunks, int per_chunk, char *path, char *openp,
			    size_t *n)
{
	char err[256];
	write_segment(name, nchunks, per_chunk, NULL, NULL);
	seg_path(path, 512, name, ".seg");
	seg_path(openp, 512, name, ".seg.open");
	uint8_t *img = slurp(path, n);
	struct unmo_segr *r = unmo_segr_open_mem(img, *n, "ref.seg", err, sizeof err);
	CHECK(r != NULL, "%s", err);
	read_all(r, &ro_ref);
	unmo_segr_close(r);
	return img;
}

/* Cut the file (sealed or not) at every byte offset; recovery must give a
 * sealed segment holding exactly the blocks that were complete. */
Test(segment, torn_file_recovered_at_every_offset, .init = mk_tmpdir, .fini = rm_tmpdir, .timeout = 240)
{
	char path[512], openp[512], err[256];
	size_t n;
	uint8_t *img = ref_segment("torn-w3-00000042", 3, 3, path, openp, &n);
	struct unmo_segr *r;
	CHECK((ro_ref.blocks) == (3));
	for (size_t cut = 0; cut <= n; cut++) {
		spit(openp, img, cut);
		unlink(path);
		struct unmo_seg_recovery rep;
		CHECK((unmo_seg_recover(openp, &rep, err, sizeof err)) == (0), "cut %zu: %s", cut, err);
		CHECK((access(openp, F_OK)) != (0), "cut %zu: .open left", cut);
		int want = 0;
		uint64_t want_records = 0, kept = 0;
		for (int i = 0; i < 3; i++)
			if (ro_ref.meta[i].offset + ro_ref.meta[i].frame_len <= cut) {
				want++;
				want_records += ro_ref.meta[i].count;
				kept += ro_ref.meta[i].frame_len;
			}
		CHECK((rep.blocks_kept) == ((uint32_t)want), "cut %zu", cut);
		CHECK((rep.records_kept) == (want_records), "cut %zu", cut);
		if (cut < n)
			CHECK((rep.bytes_dropped) == (cut - kept - (cut >= UNMO_SEG_HEADER_LEN ? UNMO_SEG_HEADER_LEN : 0)), "cut %zu", cut);
		else
			CHECK((rep.bytes_dropped) == (0));
		r = unmo_segr_open(path, err, sizeof err);
		CHECK((r) != NULL, "%s", err);
		CHECK(unmo_segr_sealed(r), "cut %zu", cut);
		read_all(r, &ro);
		CHECK((ro.errors) == (0), "cut %zu", cut);
		CHECK((ro.blocks) == (want), "cut %zu", cut);
		CHECK((ro.records) == (want_records));
		CHECK(memcmp(ro.raw, ro_ref.raw, ro.rawn) == 0);
		if (cut >= UNMO_SEG_HEADER_LEN) { /* header kept as written */
			const struct unmo_seg_info *in = unmo_segr_info(r);
			CHECK((in->created_us) == (test_info.created_us));
		}
		CHECK((unmo_segr_info(r)->writer_id) == (3)); /* from the name when torn */
		CHECK((unmo_segr_info(r)->segment_seq) == (42));
		unmo_segr_close(r);
	}
	free(img);
}

Test(segment, recovery_drops_garbage_appended, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	char path[512], openp[512], err[256];
	size_t n;
	uint8_t *img = ref_segment("g-w1-00000001", 4, 20, path, openp, &n);
	struct unmo_segr *r;
	size_t blocks_end = ro_ref.meta[3].offset + ro_ref.meta[3].frame_len;
	for (int withtrailer = 0; withtrailer < 2; withtrailer++) {
		size_t base = withtrailer ? n : blocks_end, g = 3000;
		uint8_t *d = malloc(base + g);
		memcpy(d, img, base);
		rng_state = 5;
		for (size_t k = 0; k < g; k++)
			d[base + k] = (uint8_t)rnd();
		spit(openp, d, base + g);
		struct unmo_seg_recovery rep;
		CHECK((unmo_seg_recover(openp, &rep, err, sizeof err)) == (0), "%s", err);
		CHECK((rep.blocks_kept) == (4));
		CHECK((rep.records_kept) == (80));
		CHECK((rep.bytes_dropped) == (base + g - blocks_end));
		r = unmo_segr_open(path, err, sizeof err);
		CHECK(unmo_segr_sealed(r));
		read_all(r, &ro);
		unmo_segr_close(r);
		CHECK((ro.errors) == (0));
		CHECK((ro.rawn) == (ro_ref.rawn));
		CHECK(memcmp(ro.raw, ro_ref.raw, ro.rawn) == 0);
		/* The reader reports the garbage with its offset. */
		r = unmo_segr_open_mem(d, base + g, "g.seg.open", err, sizeof err);
		read_all(r, &ro);
		unmo_segr_close(r);
		CHECK((ro.blocks) == (4));
		CHECK((ro.errors) >= (1));
		CHECK((ro.err_off[0]) == (base));
		free(d);
	}
	free(img);
}

/* A damaged header's length is not trusted when scanning: with its size
 * field changed, or bytes cut from it, every block is still read (the
 * scanner skipped to the old length and lost the first block). Notices
 * about the file skip no bytes; a damaged block reports what it skipped. */
Test(segment, damaged_header_loses_no_block, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	char path[512], openp[512], err[256];
	size_t n;
	uint8_t *img = ref_segment("h-w1-00000001", 5, 30, path, openp, &n);
	CHECK(ro_ref.blocks == 5 && ro_ref.errors == 0);
	uint8_t *d = malloc(n);
	size_t blocks_end = ro_ref.meta[4].offset + ro_ref.meta[4].frame_len;
	for (int kind = 0; kind < 3; kind++) {
		size_t dn = blocks_end; /* no index or footer: read by scanning */
		memcpy(d, img, n);
		if (kind == 0) {
			d[4] = 80; /* header size field: 64 -> 80 */
		} else if (kind == 1) { /* 20 header bytes cut */
			memmove(d + 20, d + 40, n - 40);
			dn -= 20;
		} else {
			d[20] ^= 1; /* a header byte: checksum mismatch only */
		}
		struct unmo_segr *r = unmo_segr_open_mem(d, dn, "h.seg.open", err, sizeof err);
		CHECK(r != NULL && !unmo_segr_header_ok(r) && !unmo_segr_sealed(r));
		struct unmo_seg_block b;
		int st, blocks = 0, notices = 0;
		uint64_t records = 0;
		while ((st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
			if (st < 0) {
				CHECK(unmo_segr_error_bytes(r) == 0, "kind %d: %s skipped bytes", kind, err);
				notices++;
				continue;
			}
			blocks++;
			records += b.meta.count;
		}
		unmo_segr_close(r);
		CHECK(blocks == 5 && records == 150, "kind %d: %d blocks, %llu records", kind, blocks,
		      (unsigned long long)records);
		CHECK(notices >= 1, "kind %d: the header is reported", kind);
	}
	/* a block damaged in an unsealed file: its bytes, at its offset */
	memcpy(d, img, n);
	d[ro_ref.meta[2].offset + 10] ^= 0x40;
	struct unmo_segr *r = unmo_segr_open_mem(d, blocks_end, "h.seg.open", err, sizeof err);
	struct unmo_seg_block b;
	int st, blocks = 0, bad = 0;
	while ((st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
		if (st > 0) {
			blocks++;
			continue;
		}
		bad++;
		CHECK(unmo_segr_error_offset(r) == ro_ref.meta[2].offset, "%s", err);
		CHECK(unmo_segr_error_bytes(r) == ro_ref.meta[2].frame_len, "%s", err);
	}
	unmo_segr_close(r);
	CHECK(blocks == 4 && bad == 1);
	free(d);
	free(img);
}

/* What a direct-I/O writer (app/writer.c) leaves at a crash: the file's
 * bytes up to some point (a block end or inside a block), then zeros up to
 * the next 4 KiB boundary. Recovery keeps exactly the whole blocks before
 * the point, at every point. */
Test(segment, direct_io_zero_tail_recovered, .init = mk_tmpdir, .fini = rm_tmpdir, .timeout = 120)
{
	char path[512], openp[512], err[256];
	size_t n;
	uint8_t *img = ref_segment("z-w2-00000007", 3, 40, path, openp, &n);
	struct unmo_segr *r;
	size_t blocks_end = ro_ref.meta[2].offset + ro_ref.meta[2].frame_len;
	CHECK(blocks_end > 2 * 4096, "blocks span several sectors (%zu bytes)", blocks_end);
	uint8_t *d = calloc(1, blocks_end + 4096);
	for (size_t cut = UNMO_SEG_HEADER_LEN; cut <= blocks_end; cut += 13) {
		size_t padded = (cut + 4095) / 4096 * 4096;
		memset(d, 0, blocks_end + 4096);
		memcpy(d, img, cut);
		spit(openp, d, padded);
		unlink(path);
		struct unmo_seg_recovery rep;
		CHECK((unmo_seg_recover(openp, &rep, err, sizeof err)) == (0), "cut %zu: %s", cut, err);
		uint32_t want = 0;
		uint64_t want_records = 0;
		for (int i = 0; i < 3; i++)
			if (ro_ref.meta[i].offset + ro_ref.meta[i].frame_len <= cut) {
				want++;
				want_records += ro_ref.meta[i].count;
			}
		CHECK((rep.blocks_kept) == (want), "cut %zu", cut);
		CHECK((rep.records_kept) == (want_records), "cut %zu", cut);
		r = unmo_segr_open(path, err, sizeof err);
		CHECK((r) != NULL, "%s", err);
		CHECK(unmo_segr_sealed(r), "cut %zu", cut);
		read_all(r, &ro);
		CHECK((ro.errors) == (0), "cut %zu", cut);
		CHECK((ro.records) == (want_records), "cut %zu", cut);
		unmo_segr_close(r);
	}
	free(d);
	free(img);
}

/* The block's two checksums (the writer's two-lane SSE XXH32) agree with
 * libxxhash for every length 1..N records (all tail lengths of the XXH32
 * stripes) and for an incompressible chunk (stored raw), and a full chunk's
 * block fits UNMO_SEG_BLOCK_MAX (the RX cores' encode buffer, app/ring.h). */
static void check_block_sums(const struct unmo_chunk *c, const uint8_t *blk, size_t len)
{
	uint32_t word = (uint32_t)blk[15] | (uint32_t)blk[16] << 8 | (uint32_t)blk[17] << 16 |
			(uint32_t)blk[18] << 24;
	uint32_t bsize = word & 0x7fffffffu;
	CHECK(len == bsize + UNMO_SEG_BLOCK_OVERHEAD);
	const uint8_t *data = blk + 19, *q = data + bsize;
	uint32_t block_xxh, content_xxh;
	memcpy(&block_xxh, q, 4);
	memcpy(&content_xxh, q + 8, 4);
	CHECK(block_xxh == XXH32(data, bsize, 0));
	CHECK(content_xxh == XXH32(c->data, c->len, 0));
}

Test(segment, block_checksums_match_libxxhash)
{
	static struct unmo_chunk c;
	static uint8_t a[UNMO_SEG_BLOCK_MAX];
	CHECK(sizeof a == unmo_seg_block_bound(UNMO_CHUNK_CAP));
	unmo_chunk_reset(&c);
	uint64_t ev = 0;
	for (int n = 1; n <= 60; n++) {
		struct unmo_event e = make_event(ev++);
		CHECK(unmo_chunk_add(&c, &e));
		size_t la = unmo_seg_block_encode(a, sizeof a, &c, NULL);
		CHECK(la > 0);
		check_block_sums(&c, a, la);
	}
	/* incompressible, and as long as a chunk can be */
	unmo_chunk_reset(&c);
	rng_state = 99;
	while (c.len < UNMO_CHUNK_CAP)
		c.data[c.len++] = (uint8_t)rnd();
	c.count = 1;
	size_t la = unmo_seg_block_encode(a, sizeof a, &c, NULL);
	CHECK(la == UNMO_CHUNK_CAP + UNMO_SEG_BLOCK_OVERHEAD);
	CHECK((a[18] & 0x80) != 0); /* stored raw */
	check_block_sums(&c, a, la);
}

/* unmo_segr_open_buf reads each file into one buffer kept from file to
 * file (it grows only for a larger file) and gives the same blocks,
 * records and problems, at the same offsets, as the mapped reader. */
Test(segment, read_into_one_buffer_as_mapped, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	write_segment("b-w1-00000001", 30, 150, NULL, NULL);
	write_segment("b-w1-00000002", 5, 150, NULL, NULL);
	write_segment("b-w1-00000003", 0, 0, NULL, NULL);
	char p1[512], p4[512], err[256];
	seg_path(p1, sizeof p1, "b-w1-00000001", ".seg");
	seg_path(p4, sizeof p4, "b-w1-00000004", ".seg");
	size_t n;
	uint8_t *d = slurp(p1, &n);
	d[n / 2] ^= 0x55; /* a damaged copy of the first file: one block fails */
	spit(p4, d, n);
	free(d);
	const char *names[4] = {"b-w1-00000001", "b-w1-00000002", "b-w1-00000003", "b-w1-00000004"};
	struct unmo_segr_buf buf = {0};
	uint8_t *first = NULL;
	for (int i = 0; i < 4; i++) {
		char path[512];
		seg_path(path, sizeof path, names[i], ".seg");
		struct unmo_segr *m = unmo_segr_open(path, err, sizeof err);
		CHECK(m != NULL, "%s", err);
		read_all(m, &ro_ref);
		unmo_segr_close(m);
		struct unmo_segr *r = unmo_segr_open_buf(path, &buf, err, sizeof err);
		CHECK(r != NULL, "%s", err);
		CHECK(unmo_segr_size(r) == (i == 3 ? n : unmo_segr_size(r)));
		read_all(r, &ro);
		unmo_segr_close(r);
		if (!i)
			first = buf.p;
		CHECK(buf.p == first && buf.cap >= n, "file %d: the buffer is kept", i);
		CHECK(ro.blocks == ro_ref.blocks && ro.records == ro_ref.records && ro.errors == ro_ref.errors,
		      "file %d: %d/%d blocks, %d/%d problems", i, ro.blocks, ro_ref.blocks, ro.errors, ro_ref.errors);
		CHECK(ro.rawn == ro_ref.rawn && !memcmp(ro.raw, ro_ref.raw, ro.rawn), "file %d: records", i);
		int same = 0; /* field by field: the struct has padding */
		for (int k = 0; k < ro.blocks; k++)
			same += ro.meta[k].offset == ro_ref.meta[k].offset &&
				ro.meta[k].frame_len == ro_ref.meta[k].frame_len &&
				ro.meta[k].raw_len == ro_ref.meta[k].raw_len && ro.meta[k].count == ro_ref.meta[k].count &&
				ro.meta[k].min_time_us == ro_ref.meta[k].min_time_us &&
				ro.meta[k].max_time_us == ro_ref.meta[k].max_time_us;
		CHECK(same == ro.blocks, "file %d: %d of %d blocks alike", i, same, ro.blocks);
		CHECK(!memcmp(ro.err_off, ro_ref.err_off, sizeof ro.err_off), "file %d: problem offsets", i);
	}
	CHECK(ro.errors > 0 && ro.blocks == 29, "the damaged file: %d blocks, %d problems", ro.blocks, ro.errors);
	unmo_segr_buf_free(&buf);
	CHECK(buf.p == NULL && buf.cap == 0);
}

static long rss_file_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0, v; /* file pages: RssShmem too, when the test directory is on tmpfs */
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "RssFile: %ld kB", &v) == 1 || sscanf(line, "RssShmem: %ld kB", &v) == 1)
			kb += v;
	if (f)
		fclose(f);
	return kb;
}

/* Every block of r: count, records, and a hash of their offsets and bytes;
 * *most: the most file-backed memory (KB) the process gained meanwhile. */
static uint64_t hash_blocks(struct unmo_segr *r, int *blocks, uint64_t *records, long *most)
{
	char err[256];
	long before = rss_file_kb();
	uint64_t h = 1469598103934665603ull;
	struct unmo_seg_block b;
	int st;
	*blocks = 0;
	*records = 0;
	*most = 0;
	while ((st = unmo_segr_next(r, &b, err, sizeof err)) != 0) {
		CHECK(st == 1, "%s", err);
		h = (h ^ b.meta.offset) * 1099511628211ull;
		for (uint32_t i = 0; i < b.meta.raw_len; i++)
			h = (h ^ b.records[i]) * 1099511628211ull;
		(*blocks)++;
		*records += b.meta.count;
		long now = rss_file_kb() - before;
		*most = now > *most ? now : *most;
	}
	return h;
}

/* A file larger than buf.max is mapped, not read whole (unmo-attr bounds
 * its memory so), and followed by a window: the same blocks as read whole,
 * while the reader holds a few MB of the file, not all of it. */
Test(segment, larger_than_max_mapped_a_window_at_a_time, .init = mk_tmpdir, .fini = rm_tmpdir, .timeout = 120)
{
	write_segment("m-w1-00000001", 1300, 150, NULL, NULL);
	char path[512], err[256];
	seg_path(path, sizeof path, "m-w1-00000001", ".seg");
	struct unmo_segr_buf whole = {0}, mapped = {.max = 1 << 20};
	struct unmo_segr *r = unmo_segr_open_buf(path, &whole, err, sizeof err);
	CHECK(r != NULL, "%s", err);
	size_t size = unmo_segr_size(r);
	int nb, nb_ref;
	uint64_t nr, nr_ref;
	long most, most_ref; /* most_ref: read whole, the file is not mapped at all */
	uint64_t h_ref = hash_blocks(r, &nb_ref, &nr_ref, &most_ref);
	unmo_segr_close(r);
	unmo_segr_buf_free(&whole);
	r = unmo_segr_open_buf(path, &mapped, err, sizeof err);
	CHECK(r != NULL, "%s", err);
	CHECK(mapped.p == NULL, "not read into the buffer");
	uint64_t h = hash_blocks(r, &nb, &nr, &most);
	unmo_segr_close(r);
	CHECK(nb == 1300 && nb_ref == 1300 && nr == 1300 * 150 && nr_ref == nr && h == h_ref);
	CHECK(size > 24u << 20, "a file of %zu bytes: too small to show the window", size);
	CHECK(most < 12 * 1024, "the reader held %ld KB of a %zu KB file", most, size >> 10);
}
