/* devices/iommu: DMA remapping, Intel VT-d rev. 3 faithfully simplified.
 *
 * Purpose: the IOMMU between every device and physical memory.  The kernel
 * programs it as it would a real VT-d remapping unit (register file, root /
 * context / PASID / page tables in memory, register-based invalidation,
 * fault recording registers, fault-event MSI); the PCIe bus calls
 * iommu_translate() for every page a DMA touches.  Contract: devices/iommu.h.
 *
 * Files (private header devices/iommu/iommu_int.h):
 *   iommu.c        translation path (this file): context cache -> IOTLB ->
 *                  walk; create/destroy; names
 *   iommu/regs.c   register file, GCMD/CCMD/IOTLB commands (VT-d 10.4, 6.5.1)
 *   iommu/walk.c   table formats and walks (VT-d 3.4-3.7, 9.1-9.8)
 *   iommu/iotlb.c  LRU hash, IOTLB, context cache (VT-d 6.2)
 *   iommu/fault.c  reason codes, recording registers, fault event (VT-d 7)
 *
 * Translation (VT-d 3.4-3.7): with GSTS.TES clear, addresses pass through
 * unchanged at no cost.  Otherwise the context cache is looked up by
 * (requester id, PASID tag); on a miss the root and context entries (and in
 * scalable mode the PASID directory and table entries) are read from
 * memory.  The iova is checked against the address width, then the IOTLB
 * is looked up by (domain id, PASID, page); on a miss the second-level
 * tables are walked and the leaf cached.  Permissions are checked last, on
 * the cached entry.
 *
 * Cost: a translation that read any table costs iommu.iotlb_miss (one
 * figure per walk, whatever its depth: the source measures misses, not
 * levels); one served from the caches costs iommu.iotlb_hit; a disabled
 * unit costs nothing.  stats.walks counts translations that read tables,
 * iotlb_hits / iotlb_misses count IOTLB lookups (a pass-through context
 * makes none).  The fault-event message takes pcie.msix to arrive.
 *
 * Speed: every DMA page is translated, and devices stream through a few
 * pages (rings, buffers), so a translation served from the caches is
 * remembered in a small direct-mapped memo (by 4 KiB page, or by 2 MiB
 * page when no 4 KiB entry of the context lies in that region) with the
 * slots the two cache lookups hit.  While neither cache has had an entry
 * inserted or removed (their gen counters), the same lookups would hit
 * the same slots: the memo does what they do (move both to the front of
 * their LRU lists, count the hit, charge iommu.iotlb_hit) without the
 * hash probes.  Hits, misses, costs and the LRU order are the same as
 * without it (tests/devices/check_iotlb_lru.c checks against a model).
 *
 * Simplifications of VT-d (everything else follows the spec):
 *   - Capabilities: second-level translation only (no first-level or nested
 *     tables), 39/48-bit address widths, 4 KiB and 2 MiB pages (no 1 GiB),
 *     no queued invalidation, no device-TLB (ATS), no interrupt remapping,
 *     no page requests, no advanced fault logging, no snoop / memory-type
 *     control (C: page walks are coherent with memory).
 *   - Invalidation is register-based in both modes (real scalable mode
 *     requires queued invalidation): CCMD invalidates the context cache,
 *     which here also holds the PASID-entry state (standing in for the
 *     PASID-cache invalidation descriptor); IOTLB_REG invalidates IOTLB
 *     entries of every PASID of a domain.  Like hardware, neither SRTP,
 *     TE nor CCMD flushes the IOTLB: the kernel must invalidate (6.5.3),
 *     and a PTE, context or PASID entry it changes without invalidating
 *     stays stale.  Commands complete at once (no busy window).
 *   - The IOTLB caches each translation keyed by its domain and PASID; it
 *     does not cache paging-structure entries (IVA.IH is ignored).  A
 *     request its cached permissions refuse faults without a re-walk, so a
 *     permission upgrade also needs an invalidation.
 *   - PASID tables: the real two-level directory/table format, with 64 B
 *     PASID entries, PGTT 010b (second-level) and 100b (pass-through) only.
 *   - Reserved fields are not checked, except PS where no large page is
 *     supported.  Fault Processing Disable (FPD) bits are ignored: every
 *     fault is recorded and signalled.  Faults are not collapsed per source.
 *   - Fault reasons are VT-d's codes (7.1.3).  A not-present paging entry
 *     reports the write/read-permission code as VT-d does (05h/06h, 85h/86h),
 *     but counts as IOMMU_FAULT_NOT_PRESENT.  Where the spec leaves the
 *     case unreported, the model reports: a PASID-tagged request in legacy
 *     mode records 03h (LCT.4) with PP/PV; a PASID-tagged request to a
 *     scalable context with PASIDE = 0 records 43h (SCT.4); a PASID beyond
 *     the directory size records 51h (SPD.2).  The scalable root/context
 *     not-present codes 39h/41h follow the spec's numbering by analogy.
 *   - Output addresses are not checked against the interrupt range (the
 *     bus rejects addresses outside memory).
 *   - One remapping unit for all requester ids (one DRHD, INCLUDE_PCI_ALL).
 *
 * Not thread-safe (the simulator is single-threaded).  iommu_destroy()
 * must run before sim_destroy() (it cancels a fault message in flight). */
#include <assert.h>
#include <stdlib.h>

#include "devices/iommu/iommu_int.h"
#include "model/cost.h"

#define IOMMU_IOTLB_MAX (1u << 20)

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

iommu_t *iommu_create(sim_t *sim, struct mem *mem, const struct cost_table *costs,
                      const iommu_cfg_t *cfg, irq_sink_t sink)
{
    if (!sim || !mem || !costs || !cfg || cfg->iotlb_entries == 0 ||
        cfg->iotlb_entries > IOMMU_IOTLB_MAX)
        return NULL;
    iommu_t *io = calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->sim = sim;
    io->mem = mem;
    io->costs = costs;
    io->sink = sink;
    io->fectl = VTD_FECTL_IM; /* reset value: fault events masked */
    if (iommu_lru_init(&io->tlb, cfg->iotlb_entries) || iommu_lru_init(&io->cc, IOMMU_CC_ENTRIES))
        goto err;
    io->tlbe = calloc(cfg->iotlb_entries, sizeof *io->tlbe);
    io->cce = calloc(IOMMU_CC_ENTRIES, sizeof *io->cce);
    if (!io->tlbe || !io->cce)
        goto err;
    return io;
err:
    iommu_destroy(io);
    return NULL;
}

void iommu_destroy(iommu_t *io)
{
    if (!io)
        return;
    iommu_fault_cancel(io);
    iommu_lru_fini(&io->tlb);
    iommu_lru_fini(&io->cc);
    free(io->tlbe);
    free(io->cce);
    free(io);
}

static uint64_t end_of_page(uint64_t iova, unsigned shift)
{
    uint64_t last = iova | ((UINT64_C(1) << shift) - 1);
    return last == UINT64_MAX ? UINT64_MAX : last + 1;
}

static sim_time_t lookup_cost(const iommu_t *io, bool walked)
{
    return cost_ps(io->costs, walked ? COST_IOMMU_IOTLB_MISS : COST_IOMMU_IOTLB_HIT);
}

/* The context of (rid, pasid): cached, or walked and cached. */
static const iommu_ctx_t *context_of(iommu_t *io, uint16_t rid, uint32_t pasid, bool *walked,
                                     iommu_cond_t *c)
{
    const iommu_ctx_t *ctx = iommu_cc_lookup(io, rid, pasid);
    if (ctx)
        return ctx;
    iommu_ctx_t fresh;
    *walked = true;
    *c = iommu_walk_ctx(io, rid, pasid, &fresh);
    return *c ? NULL : iommu_cc_insert(io, rid, pasid, &fresh);
}

/* The IOTLB entry for iova: cached, or walked and cached. */
static const iommu_tlbe_t *entry_of(iommu_t *io, const iommu_ctx_t *ctx, uint64_t iova,
                                    bool *walked, iommu_cond_t *c)
{
    const iommu_tlbe_t *e = iommu_tlb_lookup(io, ctx, iova);
    if (e) {
        io->stats.iotlb_hits++;
        return e;
    }
    io->stats.iotlb_misses++;
    iommu_tlbe_t leaf;
    *walked = true;
    *c = iommu_walk_sl(io, ctx, iova, &leaf);
    return *c ? NULL : iommu_tlb_insert(io, ctx, &leaf);
}

static iommu_cond_t check_perm(const iommu_tlbe_t *e, bool write)
{
    if (write)
        return e->perm & IOMMU_PERM_W ? IOMMU_C_OK : IOMMU_C_WRITE;
    return e->perm & IOMMU_PERM_R ? IOMMU_C_OK : IOMMU_C_READ;
}

/* The memo entry for (rid, pasid, iova >> shift): 12 or 21. */
static iommu_memo_t *memo_of(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova,
                             unsigned shift)
{
    /* xor-folded, no multiply: on the DMA path of every packet; rings are
     * runs of consecutive pages, partitions 2 MiB pages 64 MiB apart */
    uint64_t x = (iova >> shift) ^ rid ^ ((uint64_t)pasid << 3);
    x ^= x >> IOMMU_MEMO_BITS ^ x >> (2 * IOMMU_MEMO_BITS);
    return &(shift == 12 ? io->memo : io->memo2m)[x & ((1u << IOMMU_MEMO_BITS) - 1)];
}

static inline const iommu_memo_t *memo_hit(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova,
                                    unsigned shift)
{
    const iommu_memo_t *m = memo_of(io, rid, pasid, iova, shift);
    return m->valid && m->page == iova >> shift && m->rid == rid && m->pasid == pasid &&
                   m->cc_gen == io->cc.gen && m->tlb_gen == io->tlb.gen
               ? m
               : NULL;
}

/* The translation again, from a memo: the finds would hit the same slots
 * (neither cache's gen moved), so do what they do (make both the most
 * recent), count the IOTLB hit and answer.  false, and nothing done, when
 * no memo holds it or its checks would fault (the full path then runs,
 * and records the fault).  Memos are made by memo_record. */
static bool translate_memo(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova, bool write,
                           uint64_t *pa, uint64_t *page_end, sim_time_t *cost)
{
    const iommu_memo_t *m = memo_hit(io, rid, pasid, iova, 12);
    if (!m)
        m = memo_hit(io, rid, pasid, iova, 21);
    if (!m)
        return false;
    const iommu_ctx_t *ctx = &io->cce[m->cc_slot];
    const iommu_tlbe_t *e = &io->tlbe[m->tlb_slot];
    if ((iova >> (ctx->levels * 9 + 12)) || check_perm(e, write) != IOMMU_C_OK)
        return false;
    if (io->cc.mru != m->cc_slot)
        iommu_lru_touch(&io->cc, m->cc_slot);
    if (io->tlb.mru != m->tlb_slot)
        iommu_lru_touch(&io->tlb, m->tlb_slot);
    io->stats.iotlb_hits++;
    *cost = lookup_cost(io, false);
    *pa = e->pa | (iova & ((UINT64_C(1) << e->shift) - 1));
    *page_end = end_of_page(iova, e->shift);
    return true;
}

/* Remember a translation served by ctx and e (found or just inserted).
 * By its 4 KiB page; a 2 MiB entry by its 2 MiB page when no 4 KiB entry
 * of the context lies in that region (the filter says 0), so the 4 KiB
 * probe misses for every page of it -- until an insert, which moves the
 * gen. */
static void memo_record(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova,
                        const iommu_ctx_t *ctx, const iommu_tlbe_t *e)
{
    unsigned shift = e->shift == 21 && !iommu_tlb_4k_near(io, ctx->did, ctx->pasid, iova) ? 21 : 12;
    iommu_memo_t *m = memo_of(io, rid, pasid, iova, shift);
    *m = (iommu_memo_t){ .page = iova >> shift, .cc_gen = io->cc.gen, .tlb_gen = io->tlb.gen,
                         .pasid = pasid, .cc_slot = (uint32_t)(ctx - io->cce),
                         .tlb_slot = (uint32_t)(e - io->tlbe), .rid = rid, .valid = true };
}

/* The full path: context cache, IOTLB, walks, faults. */
static NOINLINE iommu_fault_t translate_full(iommu_t *io, uint16_t rid, uint32_t pasid,
                                             uint64_t iova, bool write, uint64_t *pa,
                                             uint64_t *page_end, sim_time_t *cost)
{
    bool walked = false;
    iommu_cond_t c = IOMMU_C_OK;
    const iommu_tlbe_t *e = NULL;
    const iommu_ctx_t *ctx = context_of(io, rid, pasid, &walked, &c);
    if (ctx && ctx->levels && (iova >> (ctx->levels * 9 + 12)))
        c = IOMMU_C_ADDR_WIDTH;
    else if (ctx && ctx->levels)
        e = entry_of(io, ctx, iova, &walked, &c);
    if (e)
        c = check_perm(e, write);
    io->stats.walks += walked;
    *cost = lookup_cost(io, walked);
    if (c)
        return iommu_fault(io, rid, pasid, iova, write, c);
    if (!e) { /* pass-through context */
        *pa = iova;
        *page_end = end_of_page(iova, 12);
        return IOMMU_OK;
    }
    memo_record(io, rid, pasid, iova, ctx, e);
    *pa = e->pa | (iova & ((UINT64_C(1) << e->shift) - 1));
    *page_end = end_of_page(iova, e->shift);
    return IOMMU_OK;
}

iommu_fault_t iommu_translate(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova,
                              bool write, uint64_t *pa, uint64_t *page_end, sim_time_t *cost)
{
    assert(io && pa && page_end && cost);
    io->stats.translations++;
    if (!(io->gsts & VTD_GSTS_TES)) {
        *pa = iova;
        *page_end = end_of_page(iova, 12);
        *cost = 0;
        return IOMMU_OK;
    }
    if (translate_memo(io, rid, pasid, iova, write, pa, page_end, cost))
        return IOMMU_OK;
    return translate_full(io, rid, pasid, iova, write, pa, page_end, cost);
}

const iommu_stats_t *iommu_stats(const iommu_t *io) { return &io->stats; }

const char *iommu_fault_name(iommu_fault_t f)
{
    static const char *const names[IOMMU_FAULT_KINDS] = {
        [IOMMU_OK] = "ok",
        [IOMMU_FAULT_ROOT] = "root entry not present",
        [IOMMU_FAULT_CONTEXT] = "context entry not present or invalid",
        [IOMMU_FAULT_PASID] = "PASID entry not present or PASID not allowed",
        [IOMMU_FAULT_NOT_PRESENT] = "page not present",
        [IOMMU_FAULT_READ] = "read without read permission",
        [IOMMU_FAULT_WRITE] = "write without write permission",
        [IOMMU_FAULT_ADDRESS] = "address beyond the address width or memory",
    };
    return (unsigned)f < IOMMU_FAULT_KINDS ? names[f] : "unknown fault";
}
