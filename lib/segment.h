/* segment.h — segment files: LZ4-compressed, checksummed, sealed atomically.
 *
 * A segment is a sequence of frames that the stock `lz4 -dc` reads
 * (concatenated LZ4 frames; LZ4 skippable frames are skipped by it):
 *   1. header   : skippable frame, magic 0x184D2A50, our segment header
 *   2. blocks   : one standard LZ4 frame per chunk of records (block
 *                 checksum + content checksum + content size set)
 *   3. index    : skippable frame, magic 0x184D2A5E, one entry per block
 *   4. footer   : skippable frame, magic 0x184D2A5F, fixed 24 bytes at EOF,
 *                 locating the index
 * Byte-level layout: docs/segment-format.md (the one definition).
 *
 * Life cycle: written as NAME.seg.open; sealed by index + footer, fsync,
 * rename(NAME.seg.open -> NAME.seg), fsync(dir). A .seg file is always
 * complete and valid; a crash leaves at most a torn .open file, which
 * unmo_seg_recover turns into a sealed segment holding every complete
 * block.
 *
 * Two layers:
 *  - encoders (pure, caller's buffers): used by the appliance, whose writer
 *    threads do their own I/O with io_uring;
 *  - a synchronous writer, a verifying reader and recovery, for tools.
 * Errors: functions return NULL/0/-1 and fill an err buffer with
 * "<file>: <reason> at offset N". Reader/writer objects are single-threaded.
 * Encoders are pure and thread-safe: unmo_seg_block_encode keeps one LZ4
 * state per thread (allocated with the thread, never malloc'd per call).
 * The reader maps the file: it must not shrink while a reader has it open
 * (segments never do; an .open file being appended to is fine).
 */
#ifndef UNMO_SEGMENT_H
#define UNMO_SEGMENT_H

#include "chunk.h"

#define UNMO_SEG_SUFFIX ".seg"
#define UNMO_SEG_OPEN_SUFFIX ".seg.open"
#define UNMO_SEG_HEADER_LEN 72u     /* whole header skippable frame */
#define UNMO_SEG_FOOTER_LEN 24u
#define UNMO_SEG_INDEX_ENTRY 40u
#define UNMO_SEG_MAX_BLOCKS 65536u

/* Magic numbers (little-endian u32 at the start of each frame). */
#define UNMO_SEG_MAGIC_HEADER 0x184D2A50u /* LZ4 skippable frame, nibble 0 */
#define UNMO_SEG_MAGIC_INDEX 0x184D2A5Eu  /* LZ4 skippable frame, nibble E */
#define UNMO_SEG_MAGIC_FOOTER 0x184D2A5Fu /* LZ4 skippable frame, nibble F */
#define UNMO_SEG_MAGIC_LZ4 0x184D2204u    /* standard LZ4 frame */
#define UNMO_SEG_FORMAT_VERSION 1u
#define UNMO_SEG_BLOCK_OVERHEAD 31u /* LZ4 frame bytes around one block's data */
/* unmo_seg_block_bound(UNMO_CHUNK_CAP) as a constant (LZ4_COMPRESSBOUND):
 * room for any chunk's block with LZ4's fast (unchecked-output) path. */
#define UNMO_SEG_BLOCK_MAX (UNMO_SEG_BLOCK_OVERHEAD + UNMO_CHUNK_CAP + UNMO_CHUNK_CAP / 255u + 16u)
#define UNMO_SEG_INDEX_FIXED 44u    /* index frame bytes besides its entries */

struct unmo_seg_info {
	uint32_t writer_id;
	uint64_t segment_seq;
	int64_t created_us;
	uint8_t appliance_id[16]; /* which appliance wrote it */
};

struct unmo_seg_block_meta {
	uint64_t offset;        /* file offset of the block's LZ4 frame */
	uint32_t frame_len;     /* bytes of the LZ4 frame */
	uint32_t raw_len;       /* decompressed bytes (records) */
	uint32_t count;         /* records */
	int64_t min_time_us, max_time_us;
};

/* ---- encoders ---- */
size_t unmo_seg_header_encode(uint8_t *dst, size_t cap, const struct unmo_seg_info *info);
/* Worst-case bytes of a block frame for raw_len bytes of records. */
size_t unmo_seg_block_bound(size_t raw_len);
/* Compress a chunk into one LZ4 frame at dst. Fills meta (offset left 0 for
 * the caller to set). Returns bytes written or 0 (cap too small / error). */
size_t unmo_seg_block_encode(uint8_t *dst, size_t cap, const struct unmo_chunk *c,
			     struct unmo_seg_block_meta *meta);
/* Index + footer bytes for n blocks; index_offset is where they start.
 * Readers require the layout the synchronous writer produces: header at 0,
 * blocks back to back from UNMO_SEG_HEADER_LEN (blocks[i].offset = where
 * block i was written, blocks[i+1].offset = blocks[i].offset + frame_len)
 * and index_offset = the end of the last block; otherwise the index is
 * rejected and the file is read by scanning. */
size_t unmo_seg_trailer_bound(uint32_t nblocks);
size_t unmo_seg_trailer_encode(uint8_t *dst, size_t cap, const struct unmo_seg_block_meta *blocks,
			       uint32_t nblocks, uint64_t index_offset);
/* Seal helper for any writer: fsync(fd), rename open->sealed, fsync(dir).
 * open_path must end in ".seg.open"; fd stays open (the caller closes it). */
int unmo_seg_seal_path(int fd, const char *open_path, char *err, size_t errlen);
/* Base name "<prefix>-w<writer>-<seq, 8 digits>" (no suffix) into dst.
 * Returns its length, or 0 if it does not fit. */
size_t unmo_seg_name(char *dst, size_t cap, const char *prefix, uint32_t writer_id, uint64_t seq);

/* ---- synchronous writer (tools, tests) ---- */
/* name is the base name (see unmo_seg_name); the file is dir/name.seg.open
 * (created exclusively: an existing file is an error) until sealed as
 * dir/name.seg. Blocks are written by append as they come (no buffering
 * beyond one block), so a crash leaves a recoverable .open file. */
struct unmo_segw;
struct unmo_segw *unmo_segw_open(const char *dir, const char *name, const struct unmo_seg_info *info,
				 char *err, size_t errlen);
int unmo_segw_append(struct unmo_segw *w, const struct unmo_chunk *c, char *err, size_t errlen);
/* Seal and free. Returns 0 on success; on failure the .open file remains. */
int unmo_segw_seal(struct unmo_segw *w, char *err, size_t errlen);
uint64_t unmo_segw_bytes(const struct unmo_segw *w);
uint32_t unmo_segw_blocks(const struct unmo_segw *w);
const char *unmo_segw_path(const struct unmo_segw *w); /* the .open path */
/* Abandon: close and free without sealing (the .open file stays). */
void unmo_segw_abort(struct unmo_segw *w);

/* ---- verifying reader ----
 * Maps the file (read-only). When the footer, index and their checksums are
 * valid the file is "sealed" and blocks are read through the index; else the
 * reader scans frame by frame ("scan" mode: unsealed/torn/damaged files).
 * File-level problems (bad header; a *.seg whose footer/index is missing or
 * invalid) are returned by unmo_segr_next as -1 before the first block, so a
 * caller that reports every -1 reports every problem. Every block handed out
 * has passed: LZ4 header/block/content checksums, content size, every record
 * decodes (unmo_record_decode) and, when indexed, raw_len/count/frame_len/
 * time range equal the index entry. */
struct unmo_segr;
struct unmo_segr *unmo_segr_open(const char *path, char *err, size_t errlen);
/* Same over a caller-owned image (must outlive the reader); name is used in
 * messages and decides whether "sealed" is expected (not for "*.open"). */
struct unmo_segr *unmo_segr_open_mem(const void *data, size_t n, const char *name, char *err,
				     size_t errlen);
/* Same, reading the file into buf (kept by the caller across files, one
 * per thread; it must outlive the reader and serve one reader at a time)
 * instead of mapping it. For callers that read many files whole (unmo-attr,
 * unmo-seg, bench_attr's ceiling): the first access to each 4 KB page of a fresh
 * mapping costs ~2 us on the benchmark VM, against ~0.2 us to copy it from
 * the page cache into memory already touched (perf/RESULTS.md). A file
 * larger than buf->max (0: UNMO_SEGR_BUF_MAX) is mapped as by unmo_segr_open,
 * so a caller bounds its memory with max. */
struct unmo_segr_buf {
	uint8_t *p;
	size_t cap; /* bytes mapped at p */
	size_t max; /* largest file read into p; set by the caller (0: the default) */
};
#define UNMO_SEGR_BUF_MAX ((size_t)256 << 20)
struct unmo_segr *unmo_segr_open_buf(const char *path, struct unmo_segr_buf *buf, char *err, size_t errlen);
void unmo_segr_buf_free(struct unmo_segr_buf *buf);
void unmo_segr_close(struct unmo_segr *r);
const struct unmo_seg_info *unmo_segr_info(const struct unmo_segr *r);
bool unmo_segr_sealed(const struct unmo_segr *r); /* valid footer + index */
bool unmo_segr_header_ok(const struct unmo_segr *r);
uint64_t unmo_segr_size(const struct unmo_segr *r);  /* file bytes */
/* Sealed readers: blocks in the index, and entry i (fast stat, no reading). */
uint32_t unmo_segr_nblocks(const struct unmo_segr *r);
bool unmo_segr_index_entry(const struct unmo_segr *r, uint32_t i, struct unmo_seg_block_meta *m);
/* File offset of the problem last reported by unmo_segr_next (-1 result),
 * and the bytes of the file it skipped: a block, or a damaged region when
 * scanning. 0 bytes: a notice about the whole file (damaged header, not
 * sealed) that skips nothing by itself. */
uint64_t unmo_segr_error_offset(const struct unmo_segr *r);
uint64_t unmo_segr_error_bytes(const struct unmo_segr *r);

struct unmo_seg_block {
	struct unmo_seg_block_meta meta;
	const uint8_t *records; /* decompressed; valid until the next call */
	/* meta.count decoded events (string views into records) when the reader
	 * decodes (unmo_segr_decode_into), else NULL */
	const struct unmo_event *events;
};

/* Most records a block can hold (each is at least UNMO_RECORD_FIXED bytes). */
#define UNMO_SEG_MAX_BLOCK_RECORDS (UNMO_CHUNK_CAP / UNMO_RECORD_FIXED)
/* Verify each block's records by decoding them into ev[0..cap) (caller-owned,
 * cap >= UNMO_SEG_MAX_BLOCK_RECORDS, must outlive the reader) and hand them
 * out as b->events: one pass over the records for callers that use every
 * event, instead of a check and a decode of their own. Same verdicts. */
void unmo_segr_decode_into(struct unmo_segr *r, struct unmo_event *ev, size_t cap);
/* Next block: returns 1 with *b filled, 0 at end, -1 for a corrupt block
 * (err says file, offset and reason; the next call continues with the block
 * after it when the index or frame header allows, else returns 0). */
int unmo_segr_next(struct unmo_segr *r, struct unmo_seg_block *b, char *err, size_t errlen);

/* Record iterator over a block from unmo_segr_next: start with *off = 0;
 * returns true with *e filled (views into b->records) and *off advanced,
 * false at the end of the block. */
bool unmo_seg_block_next_record(const struct unmo_seg_block *b, size_t *off, struct unmo_event *e);

/* ---- recovery ---- */
struct unmo_seg_recovery {
	uint32_t blocks_kept;
	uint64_t records_kept;
	uint64_t bytes_dropped; /* torn tail, corrupt blocks, garbage */
	uint32_t blocks_bad;    /* corrupt blocks/regions reported and dropped */
};
/* Turn open_path (a *.seg.open) into a sealed *.seg holding every complete,
 * valid block. Returns 0 on success (even with 0 blocks), -1 on I/O error.
 * Writes NAME.seg.tmp (header, kept blocks, index, footer), fsyncs it,
 * renames it to NAME.seg, unlinks the .open file and fsyncs the directory:
 * a crash at any point leaves either the .open file (run it again) or the
 * sealed file. bytes_dropped = input size - header - kept blocks - a valid
 * old trailer. */
int unmo_seg_recover(const char *open_path, struct unmo_seg_recovery *rep, char *err, size_t errlen);

#endif
