/* devices/mem: simulated physical memory, real bytes.
 *
 * A byte-addressed space [0, size) of up to 2^46 bytes (64 TiB), sparse: a
 * 4 KiB page is allocated the first time it is written; reading a page
 * never written yields zeros without allocating.  Everything that
 * descriptors, rings, page tables and payloads hold lives here, so device
 * models and the kernel exchange real bytes in real formats.
 *
 * Accessors are bounds-checked: an access that does not lie wholly inside
 * [0, size) does nothing and returns -1 (callers turn that into a device
 * status or a fault, never a crash).  Multi-byte helpers are little-endian,
 * as x86 and PCIe are.  Not thread-safe (the simulator is single-threaded). */
#ifndef PARASIM_DEVICES_MEM_H
#define PARASIM_DEVICES_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "devices/bytes.h"

#define MEM_PAGE_SIZE 4096u
#define MEM_MAX_SIZE (UINT64_C(1) << 46)

typedef struct mem mem_t;

/* What the inline accessors below read: the first member of struct mem
 * (devices/mem.c), read-only outside it.  flat: the whole memory as one
 * host block when it has one (else NULL: then the accessors just call the
 * functions); written: one bit per page ever written (flat only); the read
 * hook must run before a read when *gate_due <= *gate_now. */
typedef struct mem_fast {
    uint64_t size;
    uint8_t *flat;
    uint64_t *written;
    const uint64_t *gate_due, *gate_now;
} mem_fast_t;

/* NULL when size is 0, not a multiple of 4 KiB, above MEM_MAX_SIZE, or on
 * allocation failure. */
mem_t *mem_create(uint64_t size);
void mem_destroy(mem_t *m);
uint64_t mem_size(const mem_t *m);
uint64_t mem_pages_allocated(const mem_t *m);

int mem_read(const mem_t *m, uint64_t pa, void *dst, size_t len);
int mem_write(mem_t *m, uint64_t pa, const void *src, size_t len);
int mem_fill(mem_t *m, uint64_t pa, uint8_t byte, size_t len);

/* Install (fn non-NULL) or remove a hook called at the start of every
 * read, so that whoever holds writes in flight (the PCIe bus: DMA writes
 * land at their completion time) can land those due by now before anyone
 * looks.  The hook may write memory; it must not read it. */
void mem_set_read_hook(mem_t *m, void (*fn)(void *ctx), void *ctx);
/* Optional, after mem_set_read_hook (which clears it): call the hook only
 * when *due <= *now -- its owner keeps *due at or before the first time
 * it has anything to land (UINT64_MAX: nothing) and *now is the clock
 * (sim/engine.h sim_clock), so the common read makes no call.  NULL: no
 * gate, the hook runs on every read. */
void mem_set_read_gate(mem_t *m, const uint64_t *due, const uint64_t *now);

/* mem_read and mem_write, their common case inline (the simulator's hot
 * paths: a process's loads and stores, the kernel's, DMA): flat memory,
 * nothing for the read hook to land, within [0, size); a write within one
 * page already written.  Anything else calls the functions. */
static inline int mem_read_inline(const mem_t *m, uint64_t pa, void *dst, size_t len)
{
    const mem_fast_t *f = (const mem_fast_t *)(const void *)m;
    if (f->flat && *f->gate_due > *f->gate_now && pa <= f->size && len <= f->size - pa) {
        bytes_copy(dst, f->flat + pa, len);
        return 0;
    }
    return mem_read(m, pa, dst, len);
}

static inline int mem_write_inline(mem_t *m, uint64_t pa, const void *src, size_t len)
{
    const mem_fast_t *f = (const mem_fast_t *)(const void *)m;
    if (f->flat && pa <= f->size && len <= f->size - pa && len &&
        (pa & (MEM_PAGE_SIZE - 1)) + len <= MEM_PAGE_SIZE &&
        (f->written[pa >> 18] >> ((pa >> 12) & 63) & 1)) {
        bytes_copy(f->flat + pa, src, len);
        return 0;
    }
    return mem_write(m, pa, src, len);
}

int mem_read_u16(const mem_t *m, uint64_t pa, uint16_t *v);
int mem_read_u32(const mem_t *m, uint64_t pa, uint32_t *v);
int mem_read_u64(const mem_t *m, uint64_t pa, uint64_t *v);
int mem_write_u16(mem_t *m, uint64_t pa, uint16_t v);
int mem_write_u32(mem_t *m, uint64_t pa, uint32_t v);
int mem_write_u64(mem_t *m, uint64_t pa, uint64_t v);

#endif
