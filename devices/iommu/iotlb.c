/* devices/iommu/iotlb: the IOMMU's two caches and the LRU hash behind them.
 *
 * Contract: iommu_lru_* is an index-based fully associative cache with
 * true LRU replacement (VT-d leaves replacement to the implementation;
 * LRU is this model's).  Lookup is a hash probe plus an O(1) move to the
 * list head: it runs on the DMA hot path of every packet.  The head
 * itself is compared first (keys are unique: a hit there is the hit the
 * probe would find, and moving the head to the head changes nothing).
 *
 * IOTLB (VT-d 6.2.3): entries tagged (domain id, PASID) and keyed by page
 * number and size; 4 KiB and 2 MiB translations with their effective R/W
 * permissions.  A lookup probes the 4 KiB key, then the 2 MiB one.  A
 * filter counts the 4 KiB entries per hash bucket of (domain, PASID,
 * 2 MiB region), kept exact by every insert, eviction and removal; the
 * translation memo (iommu.c) asks it whether a 2 MiB entry may stand for
 * every page of its region.  Each cache's gen moves on every insert and
 * removal.
 * Context cache (VT-d 6.2.1/6.2.2, combined with the PASID cache): the
 * resolved context of one (requester id, PASID tag), 1024 entries.
 * Not-present entries are never cached (CAP.CM = 0).
 *
 * Invalidation scans every slot: O(entries), acceptable because the
 * kernel invalidates rarely compared with how often devices translate. */
#include <stdlib.h>

#include "devices/iommu/iommu_int.h"

/* ---------------------------------------------------------------- LRU hash */

static bool key_eq(iommu_key_t a, iommu_key_t b) { return a.hi == b.hi && a.lo == b.lo; }

static uint32_t bucket_of(const iommu_lru_t *c, iommu_key_t k)
{
    uint64_t h = (k.hi ^ (k.lo * UINT64_C(0x9E3779B97F4A7C15))) * UINT64_C(0xBF58476D1CE4E5B9);
    return (uint32_t)((h ^ (h >> 29)) >> c->shift);
}

int iommu_lru_init(iommu_lru_t *c, uint32_t n)
{
    unsigned bits = 1;
    while ((UINT64_C(1) << bits) < 2 * (uint64_t)n)
        bits++;
    c->n = n;
    c->shift = 64 - bits;
    c->node = calloc(n, sizeof *c->node);
    c->bucket = malloc(sizeof *c->bucket << bits);
    if (!c->node || !c->bucket)
        return -1;
    for (uint32_t b = 0; b < (UINT32_C(1) << bits); b++)
        c->bucket[b] = IOMMU_LRU_NIL;
    for (uint32_t i = 0; i < n; i++)
        c->node[i].next = i + 1 < n ? i + 1 : IOMMU_LRU_NIL;
    c->free = 0;
    c->mru = c->lru = IOMMU_LRU_NIL;
    return 0;
}

void iommu_lru_fini(iommu_lru_t *c)
{
    free(c->node);
    free(c->bucket);
    c->node = NULL;
    c->bucket = NULL;
}

uint32_t iommu_lru_find(iommu_lru_t *c, iommu_key_t key)
{
    /* The most recently used entry again (a device streaming through one
     * page or context): found, and the list stays as it is. */
    if (c->mru != IOMMU_LRU_NIL && key_eq(c->node[c->mru].key, key))
        return c->mru;
    for (uint32_t i = c->bucket[bucket_of(c, key)]; i != IOMMU_LRU_NIL; i = c->node[i].hnext) {
        if (key_eq(c->node[i].key, key)) {
            if (c->mru != i) {
                iommu_lru_unlink(c, i);
                iommu_lru_push_front(c, i);
            }
            return i;
        }
    }
    return IOMMU_LRU_NIL;
}

void iommu_lru_remove(iommu_lru_t *c, uint32_t slot)
{
    uint32_t *link = &c->bucket[bucket_of(c, c->node[slot].key)];
    while (*link != slot)
        link = &c->node[*link].hnext;
    *link = c->node[slot].hnext;
    c->gen++;
    iommu_lru_unlink(c, slot);
    c->node[slot].used = false;
    c->node[slot].next = c->free;
    c->free = slot;
}

uint32_t iommu_lru_insert(iommu_lru_t *c, iommu_key_t key)
{
    if (c->free == IOMMU_LRU_NIL)
        iommu_lru_remove(c, c->lru);
    uint32_t i = c->free;
    c->free = c->node[i].next;
    c->gen++;
    uint32_t b = bucket_of(c, key);
    c->node[i].key = key;
    c->node[i].used = true;
    c->node[i].hnext = c->bucket[b];
    c->bucket[b] = i;
    iommu_lru_push_front(c, i);
    return i;
}

/* ---------------------------------------------------------------- IOTLB */

static iommu_key_t tlb_key(const iommu_ctx_t *ctx, uint64_t iova, unsigned shift)
{
    return (iommu_key_t){ .hi = (uint64_t)ctx->did << 32 | ctx->pasid,
                          .lo = (iova >> shift) << 1 | (shift == 21) };
}

/* The 4 KiB-entry filter's bucket for (domain, PASID, 2 MiB region). */
static uint32_t f4k_bucket(uint16_t did, uint32_t pasid, uint64_t iova)
{
    uint64_t h = (((uint64_t)did << 32 | pasid) ^ (iova >> 21) * UINT64_C(0x9E3779B97F4A7C15)) *
                 UINT64_C(0xBF58476D1CE4E5B9);
    return (uint32_t)(h >> (64 - IOMMU_F4K_BITS));
}

uint32_t iommu_tlb_4k_near(const iommu_t *io, uint16_t did, uint32_t pasid, uint64_t iova)
{
    return io->f4k[f4k_bucket(did, pasid, iova)];
}

/* Remove slot i, keeping the 4 KiB-entry filter exact. */
static void tlb_remove(iommu_t *io, uint32_t i)
{
    const iommu_tlbe_t *e = &io->tlbe[i];
    if (e->shift == 12)
        io->f4k[f4k_bucket(e->did, e->pasid, e->iova)]--;
    iommu_lru_remove(&io->tlb, i);
}

const iommu_tlbe_t *iommu_tlb_lookup(iommu_t *io, const iommu_ctx_t *ctx, uint64_t iova)
{
    uint32_t i = iommu_lru_find(&io->tlb, tlb_key(ctx, iova, 12));
    if (i == IOMMU_LRU_NIL)
        i = iommu_lru_find(&io->tlb, tlb_key(ctx, iova, 21));
    return i == IOMMU_LRU_NIL ? NULL : &io->tlbe[i];
}

const iommu_tlbe_t *iommu_tlb_insert(iommu_t *io, const iommu_ctx_t *ctx, const iommu_tlbe_t *e)
{
    if (io->tlb.free == IOMMU_LRU_NIL) { /* full: the insert evicts the LRU slot */
        const iommu_tlbe_t *v = &io->tlbe[io->tlb.lru];
        if (v->shift == 12)
            io->f4k[f4k_bucket(v->did, v->pasid, v->iova)]--;
    }
    if (e->shift == 12)
        io->f4k[f4k_bucket(ctx->did, ctx->pasid, e->iova)]++;
    uint32_t i = iommu_lru_insert(&io->tlb, tlb_key(ctx, e->iova, e->shift));
    io->tlbe[i] = *e;
    io->tlbe[i].did = ctx->did;
    io->tlbe[i].pasid = ctx->pasid;
    return &io->tlbe[i];
}

void iommu_tlb_flush_all(iommu_t *io)
{
    for (uint32_t i = 0; i < io->tlb.n; i++)
        if (io->tlb.node[i].used)
            tlb_remove(io, i);
}

void iommu_tlb_flush_domain(iommu_t *io, uint16_t did)
{
    for (uint32_t i = 0; i < io->tlb.n; i++)
        if (io->tlb.node[i].used && io->tlbe[i].did == did)
            tlb_remove(io, i);
}

/* Page-selective (VT-d 6.5.1.2): the 2^am 4 KiB pages from addr (aligned
 * down to the mask); every entry of the domain overlapping them goes, a
 * 2 MiB entry included. */
void iommu_tlb_flush_pages(iommu_t *io, uint16_t did, uint64_t addr, unsigned am)
{
    uint64_t size = UINT64_C(1) << (12 + am);
    uint64_t lo = addr & ~(size - 1), hi = lo + size;
    for (uint32_t i = 0; i < io->tlb.n; i++) {
        const iommu_tlbe_t *e = &io->tlbe[i];
        uint64_t elo = e->iova, ehi = e->iova + (UINT64_C(1) << e->shift);
        if (io->tlb.node[i].used && e->did == did && elo < hi && lo < ehi)
            tlb_remove(io, i);
    }
}

/* ---------------------------------------------------------------- context cache */

static iommu_key_t cc_key(uint16_t rid, uint32_t pasid)
{
    return (iommu_key_t){ .hi = rid, .lo = pasid };
}

const iommu_ctx_t *iommu_cc_lookup(iommu_t *io, uint16_t rid, uint32_t pasid)
{
    uint32_t i = iommu_lru_find(&io->cc, cc_key(rid, pasid));
    return i == IOMMU_LRU_NIL ? NULL : &io->cce[i];
}

const iommu_ctx_t *iommu_cc_insert(iommu_t *io, uint16_t rid, uint32_t pasid,
                                   const iommu_ctx_t *ctx)
{
    uint32_t i = iommu_lru_insert(&io->cc, cc_key(rid, pasid));
    io->cce[i] = *ctx;
    return &io->cce[i];
}

void iommu_cc_flush_all(iommu_t *io)
{
    for (uint32_t i = 0; i < io->cc.n; i++)
        if (io->cc.node[i].used)
            iommu_lru_remove(&io->cc, i);
}

void iommu_cc_flush_domain(iommu_t *io, uint16_t did)
{
    for (uint32_t i = 0; i < io->cc.n; i++)
        if (io->cc.node[i].used && io->cce[i].did == did)
            iommu_lru_remove(&io->cc, i);
}

/* Device-selective (VT-d 10.4.7 CCMD.FM): function mask 01b ignores bit 2
 * of the function number, 10b bits 2:1, 11b bits 2:0. */
void iommu_cc_flush_device(iommu_t *io, uint16_t sid, unsigned fm)
{
    uint16_t ignore = (uint16_t)(((1u << fm) - 1) << (3 - fm));
    for (uint32_t i = 0; i < io->cc.n; i++) {
        uint16_t rid = (uint16_t)io->cc.node[i].key.hi;
        if (io->cc.node[i].used && (rid & ~ignore) == (sid & ~ignore))
            iommu_lru_remove(&io->cc, i);
    }
}
