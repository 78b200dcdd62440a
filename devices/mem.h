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

#define MEM_PAGE_SIZE 4096u
#define MEM_MAX_SIZE (UINT64_C(1) << 46)

typedef struct mem mem_t;

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

int mem_read_u16(const mem_t *m, uint64_t pa, uint16_t *v);
int mem_read_u32(const mem_t *m, uint64_t pa, uint32_t *v);
int mem_read_u64(const mem_t *m, uint64_t pa, uint64_t *v);
int mem_write_u16(mem_t *m, uint64_t pa, uint16_t v);
int mem_write_u32(mem_t *m, uint64_t pa, uint32_t v);
int mem_write_u64(mem_t *m, uint64_t pa, uint64_t v);

#endif
