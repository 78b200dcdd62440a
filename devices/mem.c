/* devices/mem: simulated physical memory (contract in devices/mem.h).
 *
 * Layout: a two-level radix table, no hashing.  The directory has one slot
 * per GiB of the configured size (pa >> 30: at most 2^16 slots, 512 KiB,
 * for the 2^46-byte maximum); a slot points to a lazily allocated leaf of
 * up to 2^18 page pointers (one per 4 KiB page of that GiB, 2 MiB for a
 * full GiB, fewer for a memory smaller than a GiB); a page pointer is NULL
 * until the page is first written.  A lookup is two dependent loads.
 *
 * Flat backing: a memory of at most MEM_FLAT_MAX bytes is one anonymous
 * mapping reserved at creation (no swap reserved; the host materialises,
 * zeroed, only the pages touched), and page i's pointer is flat + i *
 * 4 KiB, set by its first write as before.  Reads then copy straight from
 * flat + pa, with no lookup (a page never written reads as the mapping's
 * zeros).  When the mapping cannot be made (host limits), pages are
 * allocated one by one; the two behave the same.
 *
 * Invariants:
 *   - a page is allocated only by a write (mem_write, mem_write_uN, or
 *     mem_fill with a non-zero byte); reads of an unallocated page copy
 *     zeros and allocate nothing, and filling one with 0 leaves it alone
 *     since it already reads as zeros;
 *   - pages_allocated counts the non-NULL page pointers;
 *   - an access is accepted iff pa <= size and len <= size - pa (no
 *     overflow: pa + len is never computed before the check); a rejected
 *     access touches nothing.  An empty access (len 0) at pa <= size is
 *     accepted and does nothing.
 *
 * Hot path: every packet's payload DMA lands here.  An access within one
 * page is one lookup and one copy (devices/bytes.h: inline up to 64 B,
 * the library's memcpy beyond); longer ones loop page by page.  The read
 * hook is called only when its gate says something is due (one compare
 * instead of an indirect call per read).
 * Running out of host memory for a page is a host error
 * (sim_out_of_memory), not a device status. */
#define _DEFAULT_SOURCE /* mmap's MAP_ANONYMOUS and MAP_NORESERVE */
#include "devices/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/bytes.h"
#include "sim/alloc.h"

#define PAGE_SHIFT 12
#define DIR_SHIFT 30                               /* one leaf per GiB */
#define LEAF_PAGES (1u << (DIR_SHIFT - PAGE_SHIFT)) /* 2^18 pages per leaf */
#define PAGE_MASK ((uint64_t)MEM_PAGE_SIZE - 1)
#define HOST_LINE 64u                              /* host cache line, bytes */
#define MEM_FLAT_MAX (UINT64_C(64) << 30)          /* flat backing up to this size */

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

struct mem {
    mem_fast_t f;      /* first: the inline accessors' view (devices/mem.h):
                        * size (bytes, multiple of MEM_PAGE_SIZE, <=
                        * MEM_MAX_SIZE), flat backing, written bits, gate */
    uint64_t npages;   /* size / MEM_PAGE_SIZE */
    uint64_t allocated;/* pages with a non-NULL pointer */
    size_t ndir;       /* directory slots: ceil(size / 1 GiB) */
    uint8_t ***dir;    /* [ndir] leaves, NULL until a page in them is written */
    void (*read_hook)(void *ctx); /* see mem_set_read_hook */
    void *read_hook_ctx;
};

_Static_assert(offsetof(struct mem, f) == 0, "struct mem: the fast view must come first");

/* The gate (f.gate_due <= f.gate_now: call the read hook): with no hook,
 * never (UINT64_MAX <= 0 is false); a hook without a gate, always. */
static const uint64_t gate_zero = 0, gate_never = UINT64_MAX;

/* Pages in leaf i: a full GiB, except the last leaf of a memory whose size
 * is not a multiple of a GiB. */
static size_t leaf_len(const mem_t *m, size_t i)
{
    uint64_t rest = m->npages - (uint64_t)i * LEAF_PAGES;
    return rest < LEAF_PAGES ? (size_t)rest : LEAF_PAGES;
}

static inline int in_range(const mem_t *m, uint64_t pa, size_t len)
{
    return pa <= m->f.size && (uint64_t)len <= m->f.size - pa;
}

/* The page holding pa, or NULL when it was never written. */
static inline uint8_t *page_peek(const mem_t *m, uint64_t pa)
{
    uint8_t **leaf = m->dir[pa >> DIR_SHIFT];
    return leaf ? leaf[(pa >> PAGE_SHIFT) & (LEAF_PAGES - 1)] : NULL;
}

/* A zeroed page, cache-line aligned: malloc's 16-byte alignment would
 * make a 64-byte frame or a 4-descriptor burst at an aligned simulated
 * address straddle two host cache lines (bench_nic: ~2% faster). */
static uint8_t *page_new(void)
{
    uint8_t *p = aligned_alloc(HOST_LINE, MEM_PAGE_SIZE);
    if (!p)
        sim_out_of_memory(MEM_PAGE_SIZE);
    memset(p, 0, MEM_PAGE_SIZE);
    return p;
}

static uint8_t *page_alloc(mem_t *m, uint64_t pa)
{
    size_t di = (size_t)(pa >> DIR_SHIFT);
    if (!m->dir[di])
        m->dir[di] = sim_xcalloc(leaf_len(m, di), sizeof(uint8_t *));
    uint8_t **slot = &m->dir[di][(pa >> PAGE_SHIFT) & (LEAF_PAGES - 1)];
    if (!*slot) {
        *slot = m->f.flat ? m->f.flat + (pa & ~PAGE_MASK) : page_new();
        if (m->f.written)
            m->f.written[pa >> (PAGE_SHIFT + 6)] |= UINT64_C(1) << ((pa >> PAGE_SHIFT) & 63);
        m->allocated++;
    }
    return *slot;
}

/* The flat backing of `size` bytes, or NULL (then pages come one by one). */
static uint8_t *flat_map(uint64_t size)
{
#if defined(MAP_ANONYMOUS) && defined(MAP_NORESERVE)
    if (size > MEM_FLAT_MAX)
        return NULL;
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
#else
    (void)size;
    return NULL;
#endif
}

static inline uint8_t *page_get(mem_t *m, uint64_t pa)
{
    uint8_t *p = page_peek(m, pa);
    return p ? p : page_alloc(m, pa);
}

/* Bytes from pa to the end of its page, capped at len. */
static inline size_t chunk_len(uint64_t pa, size_t len)
{
    size_t room = MEM_PAGE_SIZE - (size_t)(pa & PAGE_MASK);
    return len < room ? len : room;
}

mem_t *mem_create(uint64_t size)
{
    if (size == 0 || size % MEM_PAGE_SIZE || size > MEM_MAX_SIZE)
        return NULL;
    mem_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->f.size = size;
    m->npages = size >> PAGE_SHIFT;
    m->f.gate_due = &gate_never;
    m->f.gate_now = &gate_zero;
    m->ndir = (size_t)((size + (UINT64_C(1) << DIR_SHIFT) - 1) >> DIR_SHIFT);
    m->dir = calloc(m->ndir, sizeof *m->dir);
    if (!m->dir) {
        free(m);
        return NULL;
    }
    m->f.flat = flat_map(size);
    if (m->f.flat) {
        m->f.written = calloc((size_t)((m->npages + 63) / 64), sizeof *m->f.written);
        if (!m->f.written) {
            mem_destroy(m);
            return NULL;
        }
    }
    return m;
}

void mem_destroy(mem_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ndir; i++) {
        if (!m->dir[i])
            continue;
        size_t n = leaf_len(m, i);
        for (size_t j = 0; !m->f.flat && j < n; j++)
            free(m->dir[i][j]);
        free(m->dir[i]);
    }
    free(m->dir);
    free(m->f.written);
    if (m->f.flat)
        munmap(m->f.flat, (size_t)m->f.size);
    free(m);
}

uint64_t mem_size(const mem_t *m) { return m->f.size; }

uint64_t mem_pages_allocated(const mem_t *m) { return m->allocated; }

void mem_set_read_hook(mem_t *m, void (*fn)(void *ctx), void *ctx)
{
    m->read_hook = fn;
    m->read_hook_ctx = fn ? ctx : NULL;
    m->f.gate_due = fn ? &gate_zero : &gate_never;
    m->f.gate_now = &gate_zero;
}

void mem_set_read_gate(mem_t *m, const uint64_t *due, const uint64_t *now)
{
    if (!m->read_hook)
        return; /* nothing to gate */
    m->f.gate_due = due && now ? due : &gate_zero;
    m->f.gate_now = due && now ? now : &gate_zero;
}

/* Within one page: the common case (descriptors, ring entries, headers). */
static inline int one_page(uint64_t pa, size_t len)
{
    return (pa & PAGE_MASK) + len <= MEM_PAGE_SIZE;
}

/* The general read: the hook, any length, pages never written. */
static NOINLINE int read_slow(const mem_t *m, uint64_t pa, void *dst, size_t len)
{
    if (*m->f.gate_due <= *m->f.gate_now && m->read_hook)
        m->read_hook(m->read_hook_ctx);
    if (!in_range(m, pa, len))
        return -1;
    uint8_t *out = dst;
    while (len) {
        size_t n = chunk_len(pa, len);
        const uint8_t *p = page_peek(m, pa);
        if (p)
            bytes_copy(out, p + (pa & PAGE_MASK), n);
        else
            memset(out, 0, n);
        out += n;
        pa += n;
        len -= n;
    }
    return 0;
}

/* The common read: nothing due for the hook, not empty, one page,
 * already written.  No call on this path, so it needs no stack frame. */
int mem_read(const mem_t *m, uint64_t pa, void *dst, size_t len)
{
    if (m->f.flat && *m->f.gate_due > *m->f.gate_now && in_range(m, pa, len)) {
        bytes_copy(dst, m->f.flat + pa, len); /* pages never written: zeros */
        return 0;
    }
    const uint8_t *p;
    if (*m->f.gate_due <= *m->f.gate_now || !len || !in_range(m, pa, len) ||
        !one_page(pa, len) || !(p = page_peek(m, pa)))
        return read_slow(m, pa, dst, len);
    bytes_copy(dst, p + (pa & PAGE_MASK), len);
    return 0;
}

static NOINLINE int write_pages(mem_t *m, uint64_t pa, const void *src, size_t len)
{
    const uint8_t *in = src;
    while (len) {
        size_t n = chunk_len(pa, len);
        bytes_copy(page_get(m, pa) + (pa & PAGE_MASK), in, n);
        in += n;
        pa += n;
        len -= n;
    }
    return 0;
}

int mem_write(mem_t *m, uint64_t pa, const void *src, size_t len)
{
    if (!in_range(m, pa, len))
        return -1;
    uint8_t *p;
    if (!len || !one_page(pa, len) || !(p = page_peek(m, pa)))
        return write_pages(m, pa, src, len);
    bytes_copy(p + (pa & PAGE_MASK), src, len);
    return 0;
}

int mem_fill(mem_t *m, uint64_t pa, uint8_t byte, size_t len)
{
    if (!in_range(m, pa, len))
        return -1;
    while (len) {
        size_t n = chunk_len(pa, len);
        uint8_t *p = byte ? page_get(m, pa) : page_peek(m, pa);
        if (p) /* NULL only for a zero fill of a page that reads as zeros */
            memset(p + (pa & PAGE_MASK), byte, n);
        pa += n;
        len -= n;
    }
    return 0;
}

/* Little-endian helpers: assembled byte by byte, so the layout in memory
 * is little-endian whatever the host's byte order. */
static int read_le(const mem_t *m, uint64_t pa, unsigned bytes, uint64_t *v)
{
    uint8_t b[8];
    if (mem_read(m, pa, b, bytes) < 0)
        return -1;
    uint64_t x = 0;
    for (unsigned i = bytes; i-- > 0;)
        x = x << 8 | b[i];
    *v = x;
    return 0;
}

static int write_le(mem_t *m, uint64_t pa, unsigned bytes, uint64_t v)
{
    uint8_t b[8];
    for (unsigned i = 0; i < bytes; i++, v >>= 8)
        b[i] = (uint8_t)v;
    return mem_write(m, pa, b, bytes);
}

int mem_read_u16(const mem_t *m, uint64_t pa, uint16_t *v)
{
    uint64_t x;
    if (read_le(m, pa, 2, &x) < 0)
        return -1;
    *v = (uint16_t)x;
    return 0;
}

int mem_read_u32(const mem_t *m, uint64_t pa, uint32_t *v)
{
    uint64_t x;
    if (read_le(m, pa, 4, &x) < 0)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

int mem_read_u64(const mem_t *m, uint64_t pa, uint64_t *v) { return read_le(m, pa, 8, v); }

int mem_write_u16(mem_t *m, uint64_t pa, uint16_t v) { return write_le(m, pa, 2, v); }

int mem_write_u32(mem_t *m, uint64_t pa, uint32_t v) { return write_le(m, pa, 4, v); }

int mem_write_u64(mem_t *m, uint64_t pa, uint64_t v) { return write_le(m, pa, 8, v); }
