/* bigmem.h — large buffers of this process's own memory.
 *
 * Used by the segment reader and the attribution engine for buffers of
 * MB to GB. On the benchmark VM (a PVM guest) the first access to each
 * 4 KB page of fresh memory costs microseconds (perf/bench_pages,
 * perf/RESULTS.md): buffers are kept and reused rather than allocated per
 * use, and come in 2 MB pages where the kernel grants them. Thread-safe
 * (no shared state). */
#ifndef UNMO_BIGMEM_H
#define UNMO_BIGMEM_H

#include <stddef.h>
#include <stdint.h>

#define BIG_PAGE ((size_t)2 << 20)

/* n bytes of page-aligned memory, lazily backed (mmap); from 4 MB on in
 * 2 MB pages where the kernel grants them (MADV_HUGEPAGE), aligned to
 * them. NULL when out of memory. big_free takes the same n. */
void *big_alloc(size_t n);
void big_free(void *p, size_t n);
/* Map the whole pages of [p, p+n) (memory of ours about to be written) in
 * one call instead of one page fault per 4 KB page: a fault costs ~8 us on
 * the benchmark VM, MADV_POPULATE_WRITE about half per page (perf/RESULTS.md).
 * Contents are unchanged; advice only: nothing happens where the kernel
 * lacks it. */
void prefault(void *p, size_t n);
/* count * size zero bytes, like calloc, but written (memset) before they
 * are returned; free() frees them. For tables that are read before they
 * are written (hash tables probed, counters added to): a large calloc'd
 * block reads as the kernel's shared zero page, and the first write to
 * each of its 4 KB pages then costs a copy-on-write fault whose TLB
 * shootdown interrupts every CPU running the process (~50 us on the
 * benchmark VM: a million report rows spent 5 s there, perf/RESULTS.md).
 * Written first, each page takes one plain fault. NULL when out of memory
 * or when count * size overflows. */
void *calloc_written(size_t count, size_t size);
/* The process's resident anonymous memory in bytes (Linux /proc/self/statm:
 * resident less file-backed and shared pages), 0 when unknown. */
uint64_t mem_resident_anon(void);

#endif
