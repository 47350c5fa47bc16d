/* segment.c — segment encoders, synchronous writer, verifying reader and
 * crash recovery. Byte layout: docs/segment-format.md. */
#include "segment.h"
#include "bigmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <xxhash.h>

/* LZ4 frame descriptor we write and require (lz4_Frame_format.md):
 * FLG = version 01 | block independent | block checksum | content size |
 * content checksum; BD = max block size 64 KB. */
#define LZ4_FLG 0x7Cu
#define LZ4_BD 0x40u
#define LZ4_HDR_LEN 15u /* magic 4 + FLG + BD + content size 8 + HC */
#define LZ4_BLOCK_UNCOMPRESSED 0x80000000u
#define LZ4_MAX_BLOCK (64u * 1024u)

#define HDR_PAYLOAD (UNMO_SEG_HEADER_LEN - 8u) /* 64 */
#define FOOTER_PAYLOAD (UNMO_SEG_FOOTER_LEN - 8u) /* 16 */
static const char HDR_TAG[8] = {'U', 'N', 'M', 'O', 'S', 'E', 'G', '1'};
static const char IDX_TAG[8] = {'U', 'N', 'M', 'O', 'I', 'D', 'X', '1'};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* encoders                                                            */
/* ------------------------------------------------------------------ */

size_t unmo_seg_header_encode(uint8_t *dst, size_t cap, const struct unmo_seg_info *info)
{
	if (cap < UNMO_SEG_HEADER_LEN)
		return 0;
	memset(dst, 0, UNMO_SEG_HEADER_LEN);
	unmo_st32(dst, UNMO_SEG_MAGIC_HEADER);
	unmo_st32(dst + 4, HDR_PAYLOAD);
	memcpy(dst + 8, HDR_TAG, 8);
	unmo_st32(dst + 16, UNMO_SEG_FORMAT_VERSION);
	unmo_st32(dst + 20, info->writer_id);
	unmo_st64(dst + 24, info->segment_seq);
	unmo_st64(dst + 32, (uint64_t)info->created_us);
	memcpy(dst + 40, info->appliance_id, 16);
	/* 56..67 reserved, zero */
	unmo_st32(dst + 68, XXH32(dst + 8, 60, 0));
	return UNMO_SEG_HEADER_LEN;
}

/* Parses a header frame; NULL when valid, else the reason. */
static const char *header_decode(const uint8_t *p, size_t n, struct unmo_seg_info *info)
{
	if (n < UNMO_SEG_HEADER_LEN)
		return "truncated header";
	if (unmo_ld32(p) != UNMO_SEG_MAGIC_HEADER || memcmp(p + 8, HDR_TAG, 8) != 0)
		return "bad header magic";
	if (unmo_ld32(p + 4) != HDR_PAYLOAD)
		return "bad header size field";
	if (XXH32(p + 8, 60, 0) != unmo_ld32(p + 68))
		return "header checksum mismatch";
	if (unmo_ld32(p + 16) != UNMO_SEG_FORMAT_VERSION)
		return "unsupported format version";
	for (int i = 56; i < 68; i++)
		if (p[i])
			return "header reserved bytes not zero";
	info->writer_id = unmo_ld32(p + 20);
	info->segment_seq = unmo_ld64(p + 24);
	info->created_us = (int64_t)unmo_ld64(p + 32);
	memcpy(info->appliance_id, p + 40, 16);
	return NULL;
}

size_t unmo_seg_block_bound(size_t raw_len)
{
	return UNMO_SEG_BLOCK_OVERHEAD + (size_t)LZ4_COMPRESSBOUND(raw_len);
}

static void lz4_frame_header(uint8_t *dst, uint32_t raw_len)
{
	unmo_st32(dst, UNMO_SEG_MAGIC_LZ4);
	dst[4] = LZ4_FLG;
	dst[5] = LZ4_BD;
	unmo_st64(dst + 6, raw_len);
	dst[14] = (uint8_t)(XXH32(dst + 4, 10, 0) >> 8);
}

/* XXH32 of two buffers at once (bit-identical to libxxhash's XXH32). The
 * LZ4 frame needs XXH32 of the raw chunk (content checksum) and of the
 * compressed block (block checksum); scalar XXH32 is bound by the latency of
 * its multiply chain (~2 B/cycle), so the writer path spent ~16% of LZ4's
 * own time on them. With SSE4.1 one vector holds the 4 lanes of a stripe
 * and the two hashes' chains interleave, hiding each other's latency. */
#define XP1 0x9E3779B1u
#define XP2 0x85EBCA77u
#define XP3 0xC2B2AE3Du
#define XP4 0x27D4EB2Fu
#define XP5 0x165667B1u

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* The part of XXH32 after the stripes: len, tail bytes, avalanche. */
static uint32_t xxh32_finish(uint32_t h, const uint8_t *p, size_t len)
{
	h += (uint32_t)len;
	len &= 15;
	for (; len >= 4; len -= 4, p += 4)
		h = rotl32(h + unmo_ld32(p) * XP3, 17) * XP4;
	for (; len; len--, p++)
		h = rotl32(h + *p * XP5, 11) * XP1;
	h ^= h >> 15;
	h *= XP2;
	h ^= h >> 13;
	h *= XP3;
	h ^= h >> 16;
	return h;
}

#ifdef __SSE4_1__
#include <smmintrin.h>

static inline __m128i xxh_round4(__m128i acc, __m128i in)
{
	acc = _mm_add_epi32(acc, _mm_mullo_epi32(in, _mm_set1_epi32((int)XP2)));
	acc = _mm_or_si128(_mm_slli_epi32(acc, 13), _mm_srli_epi32(acc, 19));
	return _mm_mullo_epi32(acc, _mm_set1_epi32((int)XP1));
}

static uint32_t xxh_merge4(__m128i v)
{
	uint32_t l[4];
	_mm_storeu_si128((__m128i *)l, v);
	return rotl32(l[0], 1) + rotl32(l[1], 7) + rotl32(l[2], 12) + rotl32(l[3], 18);
}

static void xxh32_pair(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, uint32_t *ha,
		       uint32_t *hb)
{
	const __m128i init = _mm_setr_epi32((int)(XP1 + XP2), (int)XP2, 0, (int)(0u - XP1));
	__m128i va = init, vb = init;
	size_t sa = na / 16, sb = nb / 16, common = sa < sb ? sa : sb, i = 0;
	for (; i < common; i++) {
		va = xxh_round4(va, _mm_loadu_si128((const __m128i *)(a + 16 * i)));
		vb = xxh_round4(vb, _mm_loadu_si128((const __m128i *)(b + 16 * i)));
	}
	for (size_t k = i; k < sa; k++)
		va = xxh_round4(va, _mm_loadu_si128((const __m128i *)(a + 16 * k)));
	for (size_t k = i; k < sb; k++)
		vb = xxh_round4(vb, _mm_loadu_si128((const __m128i *)(b + 16 * k)));
	*ha = xxh32_finish(na >= 16 ? xxh_merge4(va) : XP5, a + 16 * sa, na);
	*hb = xxh32_finish(nb >= 16 ? xxh_merge4(vb) : XP5, b + 16 * sb, nb);
}
#else
static void xxh32_pair(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, uint32_t *ha,
		       uint32_t *hb)
{
	*ha = XXH32(a, na, 0);
	*hb = XXH32(b, nb, 0);
}
#endif

/* One LZ4 state per thread, allocated once: the writer path does no malloc.
 * LZ4_compress_fast_extState is what LZ4_compress_default runs too, so the
 * only extra work over plain LZ4 is the frame header and the two XXH32s the
 * LZ4 frame format asks for. */
static _Thread_local LZ4_stream_t tls_lz4;

_Static_assert(UNMO_SEG_BLOCK_MAX == UNMO_SEG_BLOCK_OVERHEAD + LZ4_COMPRESSBOUND(UNMO_CHUNK_CAP),
	       "UNMO_SEG_BLOCK_MAX is unmo_seg_block_bound(UNMO_CHUNK_CAP)");

size_t unmo_seg_block_encode(uint8_t *dst, size_t cap, const struct unmo_chunk *c,
			     struct unmo_seg_block_meta *meta)
{
	uint32_t raw = c->len;
	if (raw == 0 || c->count == 0 || raw > UNMO_CHUNK_CAP || cap < raw + UNMO_SEG_BLOCK_OVERHEAD)
		return 0;
	uint8_t *blk = dst + LZ4_HDR_LEN + 4;
	size_t room = cap - UNMO_SEG_BLOCK_OVERHEAD;
	/* With room >= LZ4_compressBound LZ4 takes its unchecked fast path;
	 * with less it stops at raw-1 bytes and we store the block raw. */
	int lim = room >= (size_t)LZ4_COMPRESSBOUND(raw) ? (int)room : (int)raw - 1;
	int z = lim > 0 ? LZ4_compress_fast_extState(&tls_lz4, (const char *)c->data, (char *)blk,
						     (int)raw, lim, 1)
			: 0;
	uint32_t bsize;
	if (z > 0 && (uint32_t)z < raw) {
		bsize = (uint32_t)z;
		unmo_st32(dst + LZ4_HDR_LEN, bsize);
	} else { /* incompressible: an uncompressed block, as LZ4F does */
		bsize = raw;
		memcpy(blk, c->data, raw);
		unmo_st32(dst + LZ4_HDR_LEN, bsize | LZ4_BLOCK_UNCOMPRESSED);
	}
	lz4_frame_header(dst, raw);
	uint8_t *q = blk + bsize;
	uint32_t content_xxh, block_xxh;
	xxh32_pair(c->data, raw, blk, bsize, &content_xxh, &block_xxh);
	unmo_st32(q, block_xxh);       /* block checksum: XXH32 of the block data */
	unmo_st32(q + 4, 0);           /* EndMark */
	unmo_st32(q + 8, content_xxh); /* content checksum: XXH32 of the raw bytes */
	size_t len = bsize + UNMO_SEG_BLOCK_OVERHEAD;
	if (meta) {
		meta->offset = 0;
		meta->frame_len = (uint32_t)len;
		meta->raw_len = raw;
		meta->count = c->count;
		meta->min_time_us = c->min_time_us;
		meta->max_time_us = c->max_time_us;
	}
	return len;
}

size_t unmo_seg_trailer_bound(uint32_t nblocks)
{
	return UNMO_SEG_INDEX_FIXED + (size_t)nblocks * UNMO_SEG_INDEX_ENTRY + UNMO_SEG_FOOTER_LEN;
}

size_t unmo_seg_trailer_encode(uint8_t *dst, size_t cap, const struct unmo_seg_block_meta *blocks,
			       uint32_t nblocks, uint64_t index_offset)
{
	if (nblocks > UNMO_SEG_MAX_BLOCKS || cap < unmo_seg_trailer_bound(nblocks))
		return 0;
	size_t payload = UNMO_SEG_INDEX_FIXED - 8u + (size_t)nblocks * UNMO_SEG_INDEX_ENTRY;
	uint64_t records = 0, raw = 0;
	unmo_st32(dst, UNMO_SEG_MAGIC_INDEX);
	unmo_st32(dst + 4, (uint32_t)payload);
	memcpy(dst + 8, IDX_TAG, 8);
	unmo_st32(dst + 16, nblocks);
	unmo_st32(dst + 20, 0);
	uint8_t *e = dst + 40;
	for (uint32_t i = 0; i < nblocks; i++, e += UNMO_SEG_INDEX_ENTRY) {
		const struct unmo_seg_block_meta *b = &blocks[i];
		unmo_st64(e, b->offset);
		unmo_st32(e + 8, b->frame_len);
		unmo_st32(e + 12, b->raw_len);
		unmo_st32(e + 16, b->count);
		unmo_st32(e + 20, 0);
		unmo_st64(e + 24, (uint64_t)b->min_time_us);
		unmo_st64(e + 32, (uint64_t)b->max_time_us);
		records += b->count;
		raw += b->raw_len;
	}
	unmo_st64(dst + 24, records);
	unmo_st64(dst + 32, raw);
	uint32_t ixh = XXH32(dst + 8, payload - 4, 0);
	unmo_st32(e, ixh);
	uint8_t *f = e + 4;
	unmo_st32(f, UNMO_SEG_MAGIC_FOOTER);
	unmo_st32(f + 4, FOOTER_PAYLOAD);
	unmo_st64(f + 8, index_offset);
	unmo_st32(f + 16, ixh);
	unmo_st32(f + 20, XXH32(f + 8, 12, 0));
	return (size_t)(f + UNMO_SEG_FOOTER_LEN - dst);
}

/* ------------------------------------------------------------------ */
/* paths, sealing                                                      */
/* ------------------------------------------------------------------ */

size_t unmo_seg_name(char *dst, size_t cap, const char *prefix, uint32_t writer_id, uint64_t seq)
{
	int n = snprintf(dst, cap, "%s-w%u-%08llu", prefix, writer_id, (unsigned long long)seq);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && memcmp(s + a - b, suf, b) == 0;
}

static int fsync_dir_of(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof dir) {
			seterr(err, errlen, "%s: path too long", path);
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = 0;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		seterr(err, errlen, "%s: fsync directory: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int unmo_seg_seal_path(int fd, const char *open_path, char *err, size_t errlen)
{
	char sealed[4096];
	size_t n = strlen(open_path);
	if (!ends_with(open_path, UNMO_SEG_OPEN_SUFFIX) || n >= sizeof sealed) {
		seterr(err, errlen, "%s: not a *%s path", open_path, UNMO_SEG_OPEN_SUFFIX);
		return -1;
	}
	memcpy(sealed, open_path, n - 5); /* drop ".open" */
	sealed[n - 5] = 0;
	if (fsync(fd) != 0) {
		seterr(err, errlen, "%s: fsync: %s", open_path, strerror(errno));
		return -1;
	}
	if (rename(open_path, sealed) != 0) {
		seterr(err, errlen, "%s: rename to %s: %s", open_path, sealed, strerror(errno));
		return -1;
	}
	return fsync_dir_of(sealed, err, errlen);
}

static int write_all(int fd, const void *buf, size_t n, const char *path, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			seterr(err, errlen, "%s: write: %s", path, w < 0 ? strerror(errno) : "no progress");
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* synchronous writer                                                  */
/* ------------------------------------------------------------------ */

struct unmo_segw {
	int fd;
	uint64_t off;
	uint32_t n, cap;
	struct unmo_seg_block_meta *meta;
	uint8_t *buf; /* one block frame, then the trailer */
	char path[4096];
};

struct unmo_segw *unmo_segw_open(const char *dir, const char *name, const struct unmo_seg_info *info,
				 char *err, size_t errlen)
{
	struct unmo_segw *w = calloc(1, sizeof *w);
	if (!w) {
		seterr(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	int n = snprintf(w->path, sizeof w->path, "%s/%s%s", dir, name, UNMO_SEG_OPEN_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof w->path) {
		seterr(err, errlen, "%s/%s: path too long", dir, name);
		free(w);
		return NULL;
	}
	w->buf = malloc(unmo_seg_block_bound(UNMO_CHUNK_CAP));
	w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0 || !w->buf) {
		seterr(err, errlen, "%s: create: %s", w->path, w->buf ? strerror(errno) : "out of memory");
		if (w->fd >= 0)
			close(w->fd);
		free(w->buf);
		free(w);
		return NULL;
	}
	uint8_t hdr[UNMO_SEG_HEADER_LEN];
	unmo_seg_header_encode(hdr, sizeof hdr, info);
	if (write_all(w->fd, hdr, sizeof hdr, w->path, err, errlen) != 0) {
		unmo_segw_abort(w);
		return NULL;
	}
	w->off = UNMO_SEG_HEADER_LEN;
	return w;
}

int unmo_segw_append(struct unmo_segw *w, const struct unmo_chunk *c, char *err, size_t errlen)
{
	if (c->count == 0)
		return 0;
	if (w->n >= UNMO_SEG_MAX_BLOCKS) {
		seterr(err, errlen, "%s: segment full (%u blocks)", w->path, UNMO_SEG_MAX_BLOCKS);
		return -1;
	}
	if (w->n == w->cap) {
		uint32_t nc = w->cap ? w->cap * 2 : 64;
		struct unmo_seg_block_meta *m = realloc(w->meta, nc * sizeof *m);
		if (!m) {
			seterr(err, errlen, "%s: out of memory", w->path);
			return -1;
		}
		w->meta = m;
		w->cap = nc;
	}
	struct unmo_seg_block_meta *m = &w->meta[w->n];
	size_t len = unmo_seg_block_encode(w->buf, unmo_seg_block_bound(UNMO_CHUNK_CAP), c, m);
	if (!len) {
		seterr(err, errlen, "%s: cannot encode chunk (len %u)", w->path, c->len);
		return -1;
	}
	if (write_all(w->fd, w->buf, len, w->path, err, errlen) != 0)
		return -1;
	m->offset = w->off;
	w->off += len;
	w->n++;
	return 0;
}

int unmo_segw_seal(struct unmo_segw *w, char *err, size_t errlen)
{
	size_t tb = unmo_seg_trailer_bound(w->n);
	uint8_t *t = malloc(tb);
	int rc = -1;
	if (!t)
		seterr(err, errlen, "%s: out of memory", w->path);
	else {
		size_t len = unmo_seg_trailer_encode(t, tb, w->meta, w->n, w->off);
		if (write_all(w->fd, t, len, w->path, err, errlen) == 0 &&
		    unmo_seg_seal_path(w->fd, w->path, err, errlen) == 0)
			rc = 0;
		free(t);
	}
	if (close(w->fd) != 0 && rc == 0) {
		seterr(err, errlen, "%s: close: %s", w->path, strerror(errno));
		rc = -1;
	}
	w->fd = -1;
	unmo_segw_abort(w);
	return rc;
}

void unmo_segw_abort(struct unmo_segw *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->meta);
	free(w->buf);
	free(w);
}

uint64_t unmo_segw_bytes(const struct unmo_segw *w) { return w->off; }
uint32_t unmo_segw_blocks(const struct unmo_segw *w) { return w->n; }
const char *unmo_segw_path(const struct unmo_segw *w) { return w->path; }

/* ------------------------------------------------------------------ */
/* reader                                                              */
/* ------------------------------------------------------------------ */

struct unmo_segr {
	const uint8_t *data;
	size_t size;
	bool mapped;
	uint64_t map_ahead, map_behind; /* mapped: see map_follow */
	bool header_ok, sealed;
	struct unmo_seg_info info;
	const uint8_t *index; /* first entry, when sealed */
	uint32_t nblocks;
	uint64_t index_offset;
	/* cursor */
	uint32_t next_entry; /* indexed mode */
	uint64_t pos;        /* scan mode */
	bool done;
	/* file-level problems waiting to be returned by unmo_segr_next */
	int nproblems, problem_at;
	char problem[2][200];
	uint64_t problem_off[2];
	uint64_t err_off, err_bytes;
	struct unmo_event *ev; /* decode mode (unmo_segr_decode_into), else NULL */
	size_t evcap;
	char name[1024];
	uint8_t out[UNMO_CHUNK_CAP];
};

static void add_problem(struct unmo_segr *r, uint64_t off, const char *fmt, ...)
{
	if (r->nproblems >= 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->problem[r->nproblems], sizeof r->problem[0], fmt, ap);
	va_end(ap);
	r->problem_off[r->nproblems++] = off;
}

/* Validates footer + index; NULL when sealed, else the reason. */
static const char *check_trailer(struct unmo_segr *r)
{
	const uint8_t *d = r->data;
	size_t n = r->size;
	if (n < UNMO_SEG_HEADER_LEN + UNMO_SEG_INDEX_FIXED + UNMO_SEG_FOOTER_LEN)
		return "no footer (file too short)";
	const uint8_t *f = d + n - UNMO_SEG_FOOTER_LEN;
	if (unmo_ld32(f) != UNMO_SEG_MAGIC_FOOTER || unmo_ld32(f + 4) != FOOTER_PAYLOAD)
		return "no footer at end of file";
	if (XXH32(f + 8, 12, 0) != unmo_ld32(f + 20))
		return "footer checksum mismatch";
	uint64_t io = unmo_ld64(f + 8);
	if (io < UNMO_SEG_HEADER_LEN || io > n - UNMO_SEG_FOOTER_LEN - UNMO_SEG_INDEX_FIXED)
		return "footer index offset out of range";
	const uint8_t *x = d + io;
	uint64_t payload = n - UNMO_SEG_FOOTER_LEN - io - 8;
	if (unmo_ld32(x) != UNMO_SEG_MAGIC_INDEX || unmo_ld32(x + 4) != payload ||
	    memcmp(x + 8, IDX_TAG, 8) != 0)
		return "bad index frame";
	uint32_t nb = unmo_ld32(x + 16);
	if (nb > UNMO_SEG_MAX_BLOCKS ||
	    payload != UNMO_SEG_INDEX_FIXED - 8u + (uint64_t)nb * UNMO_SEG_INDEX_ENTRY)
		return "index size disagrees with its block count";
	uint32_t ixh = XXH32(x + 8, (size_t)payload - 4, 0);
	if (ixh != unmo_ld32(x + 8 + payload - 4) || ixh != unmo_ld32(f + 16))
		return "index checksum mismatch";
	if (unmo_ld32(x + 20) != 0)
		return "index reserved bytes not zero";
	uint64_t off = UNMO_SEG_HEADER_LEN, records = 0, raw = 0;
	const uint8_t *e = x + 40;
	for (uint32_t i = 0; i < nb; i++, e += UNMO_SEG_INDEX_ENTRY) {
		uint32_t fl = unmo_ld32(e + 8), rl = unmo_ld32(e + 12);
		if (unmo_ld64(e) != off || fl < UNMO_SEG_BLOCK_OVERHEAD + 1 || fl > io - off ||
		    rl == 0 || rl > UNMO_CHUNK_CAP || unmo_ld32(e + 20) != 0)
			return "index entry inconsistent";
		off += fl;
		records += unmo_ld32(e + 16);
		raw += rl;
	}
	if (off != io)
		return "index does not cover the blocks";
	if (unmo_ld64(x + 24) != records || unmo_ld64(x + 32) != raw)
		return "index totals mismatch";
	r->index = x + 40;
	r->nblocks = nb;
	r->index_offset = io;
	return NULL;
}

static struct unmo_segr *reader_init(const uint8_t *data, size_t n, const char *name, char *err,
				     size_t errlen)
{
	struct unmo_segr *r = calloc(1, sizeof *r);
	if (!r) {
		seterr(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	r->data = data;
	r->size = n;
	snprintf(r->name, sizeof r->name, "%s", name);
	const char *why = header_decode(data, n, &r->info);
	r->header_ok = why == NULL;
	if (why)
		add_problem(r, 0, "%s", why);
	const char *tw = check_trailer(r);
	r->sealed = tw == NULL;
	if (tw && !ends_with(name, ".open"))
		add_problem(r, n >= UNMO_SEG_FOOTER_LEN ? n - UNMO_SEG_FOOTER_LEN : 0,
			    "not sealed (%s): read by scanning", tw);
	return r;
}

struct unmo_segr *unmo_segr_open_mem(const void *data, size_t n, const char *name, char *err,
				     size_t errlen)
{
	return reader_init(data, n, name ? name : "(memory)", err, errlen);
}

struct unmo_segr *unmo_segr_open(const char *path, char *err, size_t errlen)
{
	return unmo_segr_open_buf(path, NULL, err, errlen);
}

/* The file's n bytes into buf, grown (a new big_alloc, whole 2 MB pages)
 * when it is too small. 0, or -1 with err set. */
static int read_whole(int fd, const char *path, size_t n, struct unmo_segr_buf *buf, char *err, size_t errlen)
{
	if (buf->cap < n) {
		size_t cap = (n + BIG_PAGE - 1) & ~(BIG_PAGE - 1);
		uint8_t *m = big_alloc(cap);
		if (!m) {
			seterr(err, errlen, "%s: out of memory for %zu bytes", path, n);
			return -1;
		}
		unmo_segr_buf_free(buf);
		buf->p = m;
		buf->cap = cap;
	}
	for (size_t got = 0; got < n;) {
		ssize_t k = pread(fd, buf->p + got, n - got, (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			seterr(err, errlen, "%s: read: %s", path, strerror(errno));
			return -1;
		}
		if (k == 0) { /* the file shrank since fstat */
			seterr(err, errlen, "%s: read: file shorter than its size (%zu of %zu bytes)", path, got, n);
			return -1;
		}
		got += (size_t)k;
	}
	return 0;
}

void unmo_segr_buf_free(struct unmo_segr_buf *buf)
{
	big_free(buf->p, buf->cap);
	buf->p = NULL;
	buf->cap = 0;
}

struct unmo_segr *unmo_segr_open_buf(const char *path, struct unmo_segr_buf *buf, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO named *.seg must not block the open; a regular
	 * file's reads ignore the flag */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		seterr(err, errlen, "%s: open: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	const uint8_t *d = (const uint8_t *)"";
	bool map = n && (!buf || n > (buf->max ? buf->max : UNMO_SEGR_BUF_MAX));
	if (n && !map) {
		if (read_whole(fd, path, n, buf, err, errlen)) {
			close(fd);
			return NULL;
		}
		d = buf->p;
	}
	if (map) {
		void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			seterr(err, errlen, "%s: mmap: %s", path, strerror(errno));
			close(fd);
			return NULL;
		}
		madvise(m, n, MADV_SEQUENTIAL); /* and map_follow as blocks are read */
		d = m;
	}
	close(fd);
	struct unmo_segr *r = reader_init(d, n, path, err, errlen);
	if (!r) {
		if (map)
			munmap((void *)d, n);
		return NULL;
	}
	r->mapped = map;
	return r;
}

void unmo_segr_close(struct unmo_segr *r)
{
	if (!r)
		return;
	if (r->mapped)
		munmap((void *)r->data, r->size);
	free(r);
}

const struct unmo_seg_info *unmo_segr_info(const struct unmo_segr *r) { return &r->info; }
bool unmo_segr_sealed(const struct unmo_segr *r) { return r->sealed; }
bool unmo_segr_header_ok(const struct unmo_segr *r) { return r->header_ok; }
uint64_t unmo_segr_size(const struct unmo_segr *r) { return r->size; }
uint32_t unmo_segr_nblocks(const struct unmo_segr *r) { return r->sealed ? r->nblocks : 0; }
void unmo_segr_decode_into(struct unmo_segr *r, struct unmo_event *ev, size_t cap)
{
	r->ev = cap >= UNMO_SEG_MAX_BLOCK_RECORDS ? ev : NULL;
	r->evcap = cap;
}

uint64_t unmo_segr_error_offset(const struct unmo_segr *r) { return r->err_off; }
uint64_t unmo_segr_error_bytes(const struct unmo_segr *r) { return r->err_bytes; }

static void entry_meta(const uint8_t *e, struct unmo_seg_block_meta *m)
{
	m->offset = unmo_ld64(e);
	m->frame_len = unmo_ld32(e + 8);
	m->raw_len = unmo_ld32(e + 12);
	m->count = unmo_ld32(e + 16);
	m->min_time_us = (int64_t)unmo_ld64(e + 24);
	m->max_time_us = (int64_t)unmo_ld64(e + 32);
}

bool unmo_segr_index_entry(const struct unmo_segr *r, uint32_t i, struct unmo_seg_block_meta *m)
{
	if (!r->sealed || i >= r->nblocks)
		return false;
	entry_meta(r->index + (size_t)i * UNMO_SEG_INDEX_ENTRY, m);
	return true;
}

/* A frame header of our profile at p (n bytes available)? */
static bool lz4_header_ok(const uint8_t *p, size_t n)
{
	return n >= LZ4_HDR_LEN && unmo_ld32(p) == UNMO_SEG_MAGIC_LZ4 && p[4] == LZ4_FLG &&
	       p[5] == LZ4_BD && p[14] == (uint8_t)(XXH32(p + 4, 10, 0) >> 8);
}

/* Length of the frame at p from its header and block sizes, 0 when the
 * header or a block size is invalid, or when it runs past n (*torn set). */
static size_t lz4_frame_extent(const uint8_t *p, size_t n, bool *torn)
{
	*torn = false;
	if (n < LZ4_HDR_LEN) {
		*torn = n < 4 || unmo_ld32(p) == UNMO_SEG_MAGIC_LZ4;
		return 0;
	}
	if (!lz4_header_ok(p, n) || unmo_ld64(p + 6) > UNMO_CHUNK_CAP)
		return 0;
	size_t q = LZ4_HDR_LEN;
	for (;;) {
		if (n - q < 4) {
			*torn = true;
			return 0;
		}
		uint32_t bs = unmo_ld32(p + q);
		q += 4;
		if (bs == 0)
			break;
		bs &= ~LZ4_BLOCK_UNCOMPRESSED;
		if (bs == 0 || bs > LZ4_MAX_BLOCK)
			return 0;
		if (n - q < (size_t)bs + 4) {
			*torn = true;
			return 0;
		}
		q += bs + 4u;
	}
	if (n - q < 4) {
		*torn = true;
		return 0;
	}
	return q + 4;
}

/* Decompresses and verifies the frame p[0..len) into r->out and walks its
 * records. NULL when valid (meta filled, offset excluded), else a reason.
 * The frame's structure (header, block sizes, length) was checked by
 * lz4_frame_extent. We decode our frame profile ourselves, with
 * LZ4_decompress_safe (memory-safe on any input) and the two-lane XXH32 of
 * the writer: LZ4F_decompress hashes the block and the content with scalar
 * XXH32, which cost the read path more than the decompression itself. */
static const char *decode_frame(struct unmo_segr *r, const uint8_t *p, size_t len,
				struct unmo_seg_block_meta *m, char *why, size_t whylen)
{
	size_t q = LZ4_HDR_LEN, outn = 0;
	const uint8_t *first = NULL; /* the first block's data: hashed with the content */
	uint32_t first_len = 0;
	for (;;) {
		uint32_t word = unmo_ld32(p + q);
		q += 4;
		if (word == 0)
			break;
		uint32_t bs = word & ~LZ4_BLOCK_UNCOMPRESSED;
		const uint8_t *src = p + q;
		size_t room = sizeof r->out - outn;
		if (word & LZ4_BLOCK_UNCOMPRESSED) {
			if (bs > room)
				return "lz4: content larger than a chunk";
			memcpy(r->out + outn, src, bs);
			outn += bs;
		} else {
			int d = LZ4_decompress_safe((const char *)src, (char *)r->out + outn, (int)bs, (int)room);
			if (d < 0)
				return "lz4: corrupt compressed block";
			outn += (size_t)d;
		}
		if (!first) {
			first = src;
			first_len = bs;
		} else if (XXH32(src, bs, 0) != unmo_ld32(src + bs)) {
			return "lz4: block checksum mismatch";
		}
		q += bs + 4u;
	}
	if (!first)
		return "empty block";
	if (q + 4 != len)
		return "lz4: frame shorter than expected";
	uint32_t content_xxh, block_xxh;
	xxh32_pair(r->out, outn, first, first_len, &content_xxh, &block_xxh);
	if (block_xxh != unmo_ld32(first + first_len))
		return "lz4: block checksum mismatch";
	if (content_xxh != unmo_ld32(p + q))
		return "lz4: content checksum mismatch";
	if (unmo_ld64(p + 6) != outn)
		return "content size mismatch";
	/* Check every record (the same verdict as unmo_record_decode, without
	 * filling an event: callers decode the records they use). */
	uint32_t count = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t off = 0; off < outn;) {
		const char *bad;
		size_t used = 0;
		int64_t t = 0;
		if (r->ev) { /* decode mode: the check is the decode the caller needs */
			if (count >= r->evcap)
				return "more records than a block can hold";
			bad = unmo_record_decode(r->out + off, outn - off, &r->ev[count], &used);
			t = r->ev[count].event_time_us;
		} else {
			struct unmo_record_seen seen;
			bad = unmo_record_check_fill(NULL, 0, r->out + off, outn - off, (struct unmo_str){NULL, 0}, 0,
						     0, 0, &seen);
			if (!bad) {
				used = seen.used;
				t = seen.event_time_us;
			}
		}
		if (bad) {
			snprintf(why, whylen, "record %u at block byte %zu: %s", count, off, bad);
			return why;
		}
		off += used;
		count++;
		if (t < lo)
			lo = t;
		if (t > hi)
			hi = t;
	}
	if (count == 0)
		return "empty block";
	m->frame_len = (uint32_t)len;
	m->raw_len = (uint32_t)outn;
	m->count = count;
	m->min_time_us = lo;
	m->max_time_us = hi;
	return NULL;
}

static int report(struct unmo_segr *r, uint64_t off, uint64_t bytes, const char *why, char *err, size_t errlen)
{
	r->err_off = off;
	r->err_bytes = bytes;
	seterr(err, errlen, "%s: %s at offset %llu", r->name, why, (unsigned long long)off);
	return -1;
}

static int next_indexed(struct unmo_segr *r, struct unmo_seg_block *b, char *err, size_t errlen)
{
	if (r->next_entry >= r->nblocks) {
		r->done = true;
		return 0;
	}
	struct unmo_seg_block_meta want, got;
	entry_meta(r->index + (size_t)r->next_entry++ * UNMO_SEG_INDEX_ENTRY, &want);
	const uint8_t *p = r->data + want.offset;
	char why[160];
	bool torn;
	if (lz4_frame_extent(p, want.frame_len, &torn) != want.frame_len)
		return report(r, want.offset, want.frame_len, "bad LZ4 frame structure", err, errlen);
	const char *bad = decode_frame(r, p, want.frame_len, &got, why, sizeof why);
	if (!bad && (got.raw_len != want.raw_len || got.count != want.count))
		bad = "block disagrees with index (raw_len/count)";
	if (!bad && (got.min_time_us != want.min_time_us || got.max_time_us != want.max_time_us))
		bad = "block disagrees with index (time range)";
	if (bad)
		return report(r, want.offset, want.frame_len, bad, err, errlen);
	b->meta = want;
	b->records = r->out;
	b->events = r->ev;
	return 1;
}

/* Next plausible frame start after a damaged region: a valid LZ4 header of
 * our profile, or our index/footer skippable frame that fits the file. */
static uint64_t resync(const struct unmo_segr *r, uint64_t from)
{
	const uint8_t *d = r->data;
	for (uint64_t q = from; q + 4 <= r->size; q++) {
		if (d[q + 3] != 0x18 || d[q + 2] != 0x4D)
			continue;
		uint32_t mg = unmo_ld32(d + q);
		if (mg == UNMO_SEG_MAGIC_LZ4 && lz4_header_ok(d + q, r->size - q))
			return q;
		if ((mg == UNMO_SEG_MAGIC_INDEX || mg == UNMO_SEG_MAGIC_FOOTER) && r->size - q >= 8 &&
		    unmo_ld32(d + q + 4) <= r->size - q - 8)
			return q;
	}
	return r->size;
}

static bool frame_start_at(const struct unmo_segr *r, uint64_t q)
{
	if (q == r->size)
		return true;
	if (r->size - q < 4)
		return false;
	uint32_t mg = unmo_ld32(r->data + q);
	return (mg == UNMO_SEG_MAGIC_LZ4 && lz4_header_ok(r->data + q, r->size - q)) ||
	       mg == UNMO_SEG_MAGIC_INDEX || mg == UNMO_SEG_MAGIC_FOOTER;
}

/* Whether the skippable frame at pos is fl bytes long: our index and
 * footer by their own fields (garbage may follow them in a torn file),
 * any other where a frame (or the end) follows it, as for a block. */
static bool skippable_len_ok(const struct unmo_segr *r, uint64_t pos, uint64_t fl)
{
	const uint8_t *p = r->data + pos;
	uint32_t mg = unmo_ld32(p), payload = unmo_ld32(p + 4);
	if (mg == UNMO_SEG_MAGIC_FOOTER)
		return payload == FOOTER_PAYLOAD;
	if (mg == UNMO_SEG_MAGIC_INDEX && r->size - pos >= 20)
		return payload == UNMO_SEG_INDEX_FIXED - 8u + (uint64_t)unmo_ld32(p + 16) * UNMO_SEG_INDEX_ENTRY;
	return frame_start_at(r, pos + fl);
}

static int next_scan(struct unmo_segr *r, struct unmo_seg_block *b, char *err, size_t errlen)
{
	char why[200], why2[160];
	while (r->pos < r->size) {
		uint64_t pos = r->pos;
		const uint8_t *p = r->data + pos;
		size_t avail = r->size - pos;
		uint32_t mg = avail >= 4 ? unmo_ld32(p) : 0;
		if (pos == 0 && !r->header_ok) {
			/* the header, reported at open: its length is not trusted
			 * (a changed size field, or bytes cut from it, would skip
			 * the first block); the next frame after offset 0 */
			uint64_t nx = resync(r, 1);
			r->pos = nx;
			if (nx <= UNMO_SEG_HEADER_LEN)
				continue;
			snprintf(why, sizeof why, "no frame after the damaged header, %llu bytes skipped",
				 (unsigned long long)(nx - UNMO_SEG_HEADER_LEN));
			return report(r, UNMO_SEG_HEADER_LEN, nx - UNMO_SEG_HEADER_LEN, why, err, errlen);
		}
		if (avail >= 8 && (mg & 0xFFFFFFF0u) == 0x184D2A50u) { /* skippable frame */
			uint64_t fl = 8ull + unmo_ld32(p + 4);
			if (fl <= avail && (pos == 0 || skippable_len_ok(r, pos, fl))) {
				r->pos += fl;
				continue;
			}
			if (fl <= avail) { /* it fits, but its length is not plausible: damage */
				uint64_t nx = resync(r, pos + 1);
				r->pos = nx;
				snprintf(why, sizeof why,
					 "skippable frame of %llu bytes ends inside a frame, %llu bytes skipped",
					 (unsigned long long)fl, (unsigned long long)(nx - pos));
				return report(r, pos, nx - pos, why, err, errlen);
			}
			/* past the end of the file: a torn tail, below */
		}
		bool torn = false;
		size_t len = mg == UNMO_SEG_MAGIC_LZ4 || avail < 4 ? lz4_frame_extent(p, avail, &torn) : 0;
		if (len) {
			struct unmo_seg_block_meta m;
			const char *bad = decode_frame(r, p, len, &m, why2, sizeof why2);
			if (!bad) {
				r->pos += len;
				m.offset = pos;
				b->meta = m;
				b->records = r->out;
				b->events = r->ev;
				return 1;
			}
			/* Header intact: trust its boundary only if a frame follows. */
			uint64_t nx = frame_start_at(r, pos + len) ? pos + len : resync(r, pos + 1);
			r->pos = nx;
			snprintf(why, sizeof why, "corrupt block (%s), %llu bytes skipped", bad,
				 (unsigned long long)(nx - pos));
			return report(r, pos, nx - pos, why, err, errlen);
		}
		uint64_t nx = resync(r, pos + 1);
		r->pos = nx;
		if (nx == r->size && (torn || (mg & 0xFFFFFFF0u) == 0x184D2A50u || avail < 4))
			snprintf(why, sizeof why, "torn tail: incomplete frame, %llu bytes", (unsigned long long)avail);
		else
			snprintf(why, sizeof why, "%s, %llu bytes skipped",
				 mg == UNMO_SEG_MAGIC_LZ4 ? "bad LZ4 frame header or block size"
							  : "no frame magic",
				 (unsigned long long)(nx - pos));
		return report(r, pos, nx - pos, why, err, errlen);
	}
	r->done = true;
	return 0;
}

/* A mapped file is followed by a window as it is read: the pages ahead of
 * the cursor are mapped in one call (one fault per 16 pages costs ~8 us on
 * the benchmark VM, 15 k for 1 GB), and those more than a window behind it
 * are unmapped (they stay in the page cache; a later access maps them
 * again). So a reader holds about three windows of a file of any size,
 * and a caller's memory bound holds whatever the file sizes. */
#define MAP_WINDOW ((uint64_t)2 << 20)
static void map_follow(struct unmo_segr *r, uint64_t off)
{
	const uint64_t page = 4096;
	if (off >= r->size)
		return;
#ifdef MADV_POPULATE_READ /* Linux 5.14; advice only, EINVAL before */
	if (off >= r->map_ahead || r->map_ahead - off < MAP_WINDOW / 2) {
		uint64_t from = (off > r->map_ahead ? off : r->map_ahead) & ~(page - 1);
		uint64_t to = off + 2 * MAP_WINDOW < r->size ? off + 2 * MAP_WINDOW : r->size;
		if (to > from)
			madvise((void *)(r->data + from), to - from, MADV_POPULATE_READ);
		r->map_ahead = to;
	}
#endif
	if (off >= r->map_behind + 2 * MAP_WINDOW) {
		uint64_t to = (off - MAP_WINDOW) & ~(page - 1);
		madvise((void *)(r->data + r->map_behind), to - r->map_behind, MADV_DONTNEED);
		r->map_behind = to;
	}
}

/* Where the next block is read: its index entry's offset, or the scan's. */
static uint64_t next_offset(const struct unmo_segr *r)
{
	if (!r->sealed)
		return r->pos;
	if (r->next_entry >= r->nblocks)
		return r->size;
	return unmo_ld64(r->index + (size_t)r->next_entry * UNMO_SEG_INDEX_ENTRY);
}

int unmo_segr_next(struct unmo_segr *r, struct unmo_seg_block *b, char *err, size_t errlen)
{
	if (r->problem_at < r->nproblems) {
		int i = r->problem_at++;
		return report(r, r->problem_off[i], 0, r->problem[i], err, errlen);
	}
	if (r->done)
		return 0;
	if (r->mapped)
		map_follow(r, next_offset(r));
	return r->sealed ? next_indexed(r, b, err, errlen) : next_scan(r, b, err, errlen);
}

bool unmo_seg_block_next_record(const struct unmo_seg_block *b, size_t *off, struct unmo_event *e)
{
	size_t used;
	if (*off >= b->meta.raw_len ||
	    unmo_record_decode(b->records + *off, b->meta.raw_len - *off, e, &used))
		return false;
	*off += used;
	return true;
}

/* ------------------------------------------------------------------ */
/* recovery                                                            */
/* ------------------------------------------------------------------ */

/* Writer id and sequence from "<prefix>-w<writer>-<seq>.seg.open", for a
 * file whose header was torn. */
static void info_from_name(const char *path, struct unmo_seg_info *info)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *w = NULL;
	for (const char *q = base; (q = strstr(q, "-w")); q++)
		w = q;
	unsigned wid;
	unsigned long long seq;
	if (w && sscanf(w, "-w%u-%llu", &wid, &seq) == 2) {
		info->writer_id = wid;
		info->segment_seq = seq;
	}
}

int unmo_seg_recover(const char *open_path, struct unmo_seg_recovery *rep, char *err, size_t errlen)
{
	memset(rep, 0, sizeof *rep);
	if (!ends_with(open_path, UNMO_SEG_OPEN_SUFFIX)) {
		seterr(err, errlen, "%s: not a *%s file", open_path, UNMO_SEG_OPEN_SUFFIX);
		return -1;
	}
	struct unmo_segr *r = unmo_segr_open(open_path, err, errlen);
	if (!r)
		return -1;
	char sealed[4096], tmp[4096 + 8];
	size_t pl = strlen(open_path) - 5;
	if (pl >= sizeof sealed) {
		seterr(err, errlen, "%s: path too long", open_path);
		unmo_segr_close(r);
		return -1;
	}
	memcpy(sealed, open_path, pl);
	sealed[pl] = 0;
	snprintf(tmp, sizeof tmp, "%s.tmp", sealed);

	struct unmo_seg_info info = r->info;
	if (!r->header_ok) {
		memset(&info, 0, sizeof info);
		info_from_name(open_path, &info);
	}
	struct unmo_seg_block_meta *meta = NULL;
	uint32_t n = 0, cap = 0;
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		seterr(err, errlen, "%s: create: %s", tmp, strerror(errno));
		goto out;
	}
	uint8_t hdr[UNMO_SEG_HEADER_LEN];
	unmo_seg_header_encode(hdr, sizeof hdr, &info);
	if (write_all(fd, hdr, sizeof hdr, tmp, err, errlen))
		goto out;
	uint64_t off = UNMO_SEG_HEADER_LEN, kept_bytes = 0;
	struct unmo_seg_block b;
	int st;
	char why[512];
	while ((st = unmo_segr_next(r, &b, why, sizeof why)) != 0) {
		if (st < 0) {
			rep->blocks_bad++;
			continue;
		}
		if (n == UNMO_SEG_MAX_BLOCKS)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			void *nm = realloc(meta, cap * sizeof *meta);
			if (!nm) {
				seterr(err, errlen, "%s: out of memory", open_path);
				goto out;
			}
			meta = nm;
		}
		if (write_all(fd, r->data + b.meta.offset, b.meta.frame_len, tmp, err, errlen))
			goto out;
		meta[n] = b.meta;
		meta[n].offset = off;
		off += b.meta.frame_len;
		kept_bytes += b.meta.frame_len;
		rep->records_kept += b.meta.count;
		n++;
	}
	size_t tb = unmo_seg_trailer_bound(n);
	uint8_t *t = malloc(tb);
	if (!t) {
		seterr(err, errlen, "%s: out of memory", open_path);
		goto out;
	}
	size_t tl = unmo_seg_trailer_encode(t, tb, meta, n, off);
	int wr = write_all(fd, t, tl, tmp, err, errlen);
	free(t);
	if (wr)
		goto out;
	if (fsync(fd) != 0) {
		seterr(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, sealed) != 0) {
		seterr(err, errlen, "%s: rename to %s: %s", tmp, sealed, strerror(errno));
		goto out;
	}
	if (unlink(open_path) != 0) {
		seterr(err, errlen, "%s: unlink: %s", open_path, strerror(errno));
		goto out;
	}
	if (fsync_dir_of(sealed, err, errlen))
		goto out;
	rep->blocks_kept = n;
	uint64_t accounted = kept_bytes + (r->header_ok ? UNMO_SEG_HEADER_LEN : 0) +
			     (r->sealed ? r->size - r->index_offset : 0);
	rep->bytes_dropped = r->size - accounted;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && fd >= 0)
		unlink(tmp);
	free(meta);
	unmo_segr_close(r);
	return rc;
}
