/* fuzz_segment.c — libFuzzer target: the verifying segment reader over any
 * file image, sealed-expected and scan mode. Every block it hands out must
 * walk to exactly meta.count records over meta.raw_len bytes, and re-encode
 * (unmo_seg_block_encode) to a frame that reads back to the same bytes. A
 * second reader in decode mode (unmo_segr_decode_into) must give the same
 * results, problems and events, call for call. */
#include <stdlib.h>
#include <string.h>
#include "segment.h"

static struct unmo_event dec_ev[UNMO_SEG_MAX_BLOCK_RECORDS];

static void read_image(const uint8_t *data, size_t size, const char *name)
{
	char err[512];
	struct unmo_segr *r = unmo_segr_open_mem(data, size, name, err, sizeof err);
	if (!r)
		abort();
	char err2[512];
	struct unmo_segr *rd = unmo_segr_open_mem(data, size, name, err2, sizeof err2);
	if (!rd)
		abort();
	unmo_segr_decode_into(rd, dec_ev, UNMO_SEG_MAX_BLOCK_RECORDS);
	struct unmo_seg_block b, bd;
	int st, calls = 0;
	static struct unmo_chunk c, c2;
	static uint8_t frame[UNMO_SEG_HEADER_LEN + UNMO_CHUNK_CAP + 1024];
	for (;;) {
		st = unmo_segr_next(r, &b, err, sizeof err);
		int sd = unmo_segr_next(rd, &bd, err2, sizeof err2);
		if (sd != st || (st < 0 && strcmp(err, err2)))
			abort(); /* decode mode: the same verdicts */
		if (!st)
			break;
		if (++calls > (int)size + 8)
			abort(); /* the reader must always make progress */
		if (st < 0)
			continue;
		if (b.events || !bd.events || memcmp(&b.meta, &bd.meta, sizeof b.meta))
			abort();
		unmo_chunk_reset(&c2);
		for (uint32_t k = 0; k < bd.meta.count; k++)
			if (!unmo_chunk_add(&c2, &bd.events[k]))
				abort();
		if (b.meta.offset + b.meta.frame_len > size || b.meta.raw_len > UNMO_CHUNK_CAP)
			abort();
		size_t off = 0;
		struct unmo_event e;
		uint32_t n = 0;
		unmo_chunk_reset(&c);
		while (unmo_seg_block_next_record(&b, &off, &e)) {
			if (!unmo_chunk_add(&c, &e))
				abort();
			n++;
		}
		if (n != b.meta.count || off != b.meta.raw_len || c.len != b.meta.raw_len ||
		    memcmp(c.data, b.records, c.len) != 0 || c2.len != c.len || memcmp(c2.data, c.data, c.len))
			abort();
		/* header + the re-encoded frame must read back to the same records
		 * (checks our frame writer and its checksums on any content) */
		struct unmo_seg_block_meta m;
		struct unmo_seg_info info = {0};
		size_t hl = unmo_seg_header_encode(frame, sizeof frame, &info);
		size_t fl = unmo_seg_block_encode(frame + hl, sizeof frame - hl, &c, &m);
		if (!fl || m.count != n)
			abort();
		struct unmo_segr *r2 = unmo_segr_open_mem(frame, hl + fl, "re.seg.open", err, sizeof err);
		struct unmo_seg_block b2;
		if (!r2 || unmo_segr_next(r2, &b2, err, sizeof err) != 1 || b2.meta.raw_len != c.len ||
		    memcmp(b2.records, c.data, c.len) != 0 || unmo_segr_next(r2, &b2, err, sizeof err) != 0)
			abort();
		unmo_segr_close(r2);
	}
	unmo_segr_close(r);
	unmo_segr_close(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_image(data, size, "fuzz.seg");
	read_image(data, size, "fuzz.seg.open");
	return 0;
}
