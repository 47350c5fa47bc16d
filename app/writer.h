/* writer.h — a writer thread: chunks in, sealed segments out, via io_uring.
 *
 * Per chunk taken from its RX cores' rings: LZ4-compress into one segment
 * block (lib/segment.h encoder; or copy the block the RX core encoded,
 * --rx-encode) placed right after the previous one in one of the writer's
 * 1 MiB staging buffers, and give the chunk straight back to its RX core
 * (so RX capacity does not wait on the disk). Writes cover what the loop
 * passes staged (they are consecutive in the file); with direct I/O
 * (O_DIRECT where the file system takes it; --no-direct-io) one write is in
 * flight at a time, of whole sectors (writer.c, STAGE_BYTES). A staging
 * buffer is reused once its writes completed; only when all are busy does
 * the writer wait for the disk (disk_waits). The kernel's io-wq workers
 * that run the writes and the fdatasyncs go on --io-cpus. Group commit: at
 * most every --commit-ms, one fdatasync covering every completed write;
 * when it completes the writer sends each RX core "durable up to chunk N"
 * (ring.h), which releases the acks and 202s held for those chunks, and
 * drops the range from the page cache (buffered writes).
 * Rotation by size (--segment-mb) and
 * age (--segment-age): index + footer written, then unmo_seg_seal_path
 * (fsync, atomic rename, fsync of the directory). A new .open file's
 * directory entry is fsynced before any ack can depend on it.
 * Errors: a failed or short write marks the segment broken: its unsynced
 * blocks are counted events_lost and reported "failed" (never acknowledged),
 * the .open file is cut back to its last fsynced block and recovered (those
 * blocks kept, sealed; retried every second and at exit while the disk is
 * full) and the next chunk opens a new segment at once; repeated failures
 * back off 10 ms doubling to 1 s (chunks meanwhile count as events_lost),
 * and a good fdatasync ends the streak, so writing resumes when the disk
 * recovers. --fault-write/--fault-fsync/--fault-seal/--fault-open
 * (testing) fail one write completion, fdatasync completion, segment seal
 * or segment creation.
 * A writer never blocks an RX core: it only consumes and produces rings.
 * Thread-safety: one thread per writer_ctx.
 */
#ifndef INGEST_WRITER_H
#define INGEST_WRITER_H

#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "ring.h"
#include "stats.h"

struct writer_ctx {
	uint16_t id;
	const struct ingest_cfg *cfg;
	struct chunk_link **links; /* RX cores this writer serves */
	unsigned nb_links;
	uint8_t appliance_id[16];
	atomic_bool *stop;         /* set after every RX core finished */
	struct writer_stats st;
	void *priv;                /* writer.c state */
};

/* Recover every *.seg.open in dir (before anything new is written).
 * Adds to st (recovered_*). Returns 0, or -1 if one could not be recovered. */
int writer_recover_dir(const char *dir, struct writer_stats *st);
int writer_init(struct writer_ctx *w);
void *writer_main(void *arg); /* pthread entry */
void writer_fini(struct writer_ctx *w);

#endif
