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
/* Index + footer bytes for n blocks; index_offset is where they start. */
size_t unmo_seg_trailer_bound(uint32_t nblocks);
size_t unmo_seg_trailer_encode(uint8_t *dst, size_t cap, const struct unmo_seg_block_meta *blocks,
			       uint32_t nblocks, uint64_t index_offset);
/* Seal helper for any writer: fsync(fd), rename open->sealed, fsync(dir). */
int unmo_seg_seal_path(int fd, const char *open_path, char *err, size_t errlen);

/* ---- synchronous writer (tools, tests) ---- */
struct unmo_segw;
struct unmo_segw *unmo_segw_open(const char *dir, const char *name, const struct unmo_seg_info *info,
				 char *err, size_t errlen);
int unmo_segw_append(struct unmo_segw *w, const struct unmo_chunk *c, char *err, size_t errlen);
/* Seal and free. Returns 0 on success; on failure the .open file remains. */
int unmo_segw_seal(struct unmo_segw *w, char *err, size_t errlen);
uint64_t unmo_segw_bytes(const struct unmo_segw *w);

/* ---- verifying reader ---- */
struct unmo_segr;
struct unmo_segr *unmo_segr_open(const char *path, char *err, size_t errlen);
void unmo_segr_close(struct unmo_segr *r);
const struct unmo_seg_info *unmo_segr_info(const struct unmo_segr *r);
bool unmo_segr_sealed(const struct unmo_segr *r); /* valid footer + index */

struct unmo_seg_block {
	struct unmo_seg_block_meta meta;
	const uint8_t *records; /* decompressed; valid until the next call */
};
/* Next block: returns 1 with *b filled, 0 at end, -1 for a corrupt block
 * (err says file, offset and reason; the next call continues with the block
 * after it when the index or frame header allows, else returns 0). */
int unmo_segr_next(struct unmo_segr *r, struct unmo_seg_block *b, char *err, size_t errlen);

/* ---- recovery ---- */
struct unmo_seg_recovery {
	uint32_t blocks_kept;
	uint64_t records_kept;
	uint64_t bytes_dropped; /* torn tail */
};
/* Turn open_path (a *.seg.open) into a sealed *.seg holding every complete,
 * valid block. Returns 0 on success (even with 0 blocks), -1 on I/O error. */
int unmo_seg_recover(const char *open_path, struct unmo_seg_recovery *rep, char *err, size_t errlen);

#endif
