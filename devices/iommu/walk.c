/* devices/iommu/walk: the IOMMU's table walks, reading the real bytes the
 * kernel wrote into simulated memory (little-endian, devices/mem.h).
 *
 * Contract: iommu_walk_ctx() resolves (requester id, PASID tag) to a
 * context (domain id, translation root and depth, or pass-through);
 * iommu_walk_sl() walks the second-level tables for one iova.  Both return
 * IOMMU_C_OK or the condition that blocks the request; they never record
 * faults (the caller does) and never cache (the caller does).
 *
 * Formats (VT-d rev. 3, chapter 9):
 *   legacy root entry (9.1), 16 B per bus: P bit 0, CTP 63:12.
 *   legacy context entry (9.3), 16 B per devfn: P bit 0, TT 3:2
 *     (00b second-level translation, 10b pass-through), SLPTPTR 63:12;
 *     upper qword AW 2:0 (001b 39-bit 3-level, 010b 48-bit 4-level),
 *     DID 23:8.
 *   scalable root entry (9.2): lower qword LP bit 0 + LCTP 63:12 for
 *     devfn 0-127, upper qword UP + UCTP for devfn 128-255.
 *   scalable context entry (9.4), 32 B: P bit 0, PASIDE bit 3, PDTS 11:9
 *     (directory of 2^(PDTS+7) entries), PASIDDIRPTR 63:12; RID_PASID in
 *     bits 19:0 of the second qword.
 *   PASID directory entry (9.5), 8 B, indexed by PASID 19:6: P bit 0,
 *     SMPTBLPTR 63:12.
 *   PASID table entry (9.6), 64 B, indexed by PASID 5:0: P bit 0, AW 4:2,
 *     PGTT 8:6 (010b second-level only, 100b pass-through), SLPTPTR
 *     63:12; DID 15:0 of the second qword.
 *   second-level paging entries (9.8), 8 B, 512 per table: R bit 0, W
 *     bit 1, PS bit 7 (leaf at the 2 MiB level), address 51:12.  An entry
 *     with R = W = 0 is not present; permissions are the AND over levels
 *     (3.7.1).  PS at the 1 GiB or 512 GiB level is refused (CAP.SLLPS
 *     reports 2 MiB only).
 * Reserved fields are not checked (see iommu.c). */
#include "devices/iommu/iommu_int.h"
#include "devices/mem.h"

static bool rd64(const iommu_t *io, uint64_t pa, uint64_t *v)
{
    return mem_read_u64(io->mem, pa, v) == 0;
}

/* AW field (context or PASID entry) -> second-level root and depth. */
static iommu_cond_t sl_setup(uint64_t slptptr, unsigned aw, iommu_ctx_t *ctx, iommu_cond_t bad)
{
    if (aw != 1 && aw != 2)
        return bad; /* SAGAW reports 39- and 48-bit only */
    ctx->levels = (uint8_t)(aw + 2);
    ctx->slptptr = slptptr & VTD_PTR_MASK;
    return IOMMU_C_OK;
}

static iommu_cond_t walk_legacy(iommu_t *io, uint16_t rid, iommu_ctx_t *ctx)
{
    uint64_t re, ce0, ce1;
    if (!rd64(io, io->root + (uint64_t)(rid >> 8) * 16, &re))
        return IOMMU_C_ROOT_ACCESS;
    if (!(re & 1))
        return IOMMU_C_ROOT_NP;
    uint64_t cea = (re & VTD_PTR_MASK) + (uint64_t)(rid & 0xff) * 16;
    if (!rd64(io, cea, &ce0) || !rd64(io, cea + 8, &ce1))
        return IOMMU_C_CTX_ACCESS;
    if (!(ce0 & 1))
        return IOMMU_C_CTX_NP;
    ctx->did = (uint16_t)(ce1 >> 8);
    ctx->pasid = IOMMU_NO_PASID;
    switch ((ce0 >> 2) & 3) {
    case 0:
        return sl_setup(ce0, (unsigned)(ce1 & 7), ctx, IOMMU_C_CTX_INVALID);
    case 2:
        ctx->levels = 0;
        return IOMMU_C_OK;
    default: /* 01b needs device-TLB support (ECAP.DT = 0); 11b reserved */
        return IOMMU_C_CTX_INVALID;
    }
}

static iommu_cond_t walk_pasid_entry(iommu_t *io, uint64_t ce0, uint32_t pasid, iommu_ctx_t *ctx)
{
    uint64_t dir_entries = UINT64_C(1) << (((ce0 >> 9) & 7) + 7);
    uint64_t de, pe0, pe1;
    if ((pasid >> 6) >= dir_entries)
        return IOMMU_C_PDIR_NP;
    if (!rd64(io, (ce0 & VTD_PTR_MASK) + (uint64_t)(pasid >> 6) * 8, &de))
        return IOMMU_C_PDIR_ACCESS;
    if (!(de & 1))
        return IOMMU_C_PDIR_NP;
    uint64_t pea = (de & VTD_PTR_MASK) + (uint64_t)(pasid & 63) * 64;
    if (!rd64(io, pea, &pe0) || !rd64(io, pea + 8, &pe1))
        return IOMMU_C_PTBL_ACCESS;
    if (!(pe0 & 1))
        return IOMMU_C_PTBL_NP;
    ctx->did = (uint16_t)pe1;
    ctx->pasid = pasid;
    switch ((pe0 >> 6) & 7) {
    case 2:
        return sl_setup(pe0, (unsigned)((pe0 >> 2) & 7), ctx, IOMMU_C_PTBL_INVALID);
    case 4:
        ctx->levels = 0;
        return IOMMU_C_OK;
    default: /* first-level / nested: ECAP.FLTS = ECAP.NEST = 0 */
        return IOMMU_C_PTBL_INVALID;
    }
}

static iommu_cond_t walk_scalable(iommu_t *io, uint16_t rid, uint32_t pasid, iommu_ctx_t *ctx)
{
    unsigned devfn = rid & 0xff;
    uint64_t re, ce0, ce1;
    if (!rd64(io, io->root + (uint64_t)(rid >> 8) * 16 + (devfn >= 128 ? 8 : 0), &re))
        return IOMMU_C_ROOT_ACCESS;
    if (!(re & 1))
        return IOMMU_C_ROOT_NP;
    uint64_t cea = (re & VTD_PTR_MASK) + (uint64_t)(devfn & 127) * 32;
    if (!rd64(io, cea, &ce0) || !rd64(io, cea + 8, &ce1))
        return IOMMU_C_CTX_ACCESS;
    if (!(ce0 & 1))
        return IOMMU_C_CTX_NP;
    if (pasid == IOMMU_NO_PASID)
        pasid = (uint32_t)(ce1 & 0xFFFFF); /* RID_PASID */
    else if (!(ce0 & (1u << 3)))
        return IOMMU_C_PASID_DISABLED;
    else if (pasid > 0xFFFFF)
        return IOMMU_C_PDIR_NP; /* beyond ECAP.PSS: no such directory slot */
    return walk_pasid_entry(io, ce0, pasid, ctx);
}

iommu_cond_t iommu_walk_ctx(iommu_t *io, uint16_t rid, uint32_t pasid, iommu_ctx_t *ctx)
{
    switch (io->ttm) {
    case VTD_TTM_LEGACY:
        return pasid == IOMMU_NO_PASID ? walk_legacy(io, rid, ctx) : IOMMU_C_PASID_LEGACY;
    case VTD_TTM_SCALABLE:
        return walk_scalable(io, rid, pasid, ctx);
    default: /* 10b reserved, 11b abort-DMA mode (ECAP.ADMS = 0) */
        return IOMMU_C_RTA_INVALID;
    }
}

iommu_cond_t iommu_walk_sl(iommu_t *io, const iommu_ctx_t *ctx, uint64_t iova, iommu_tlbe_t *e)
{
    uint64_t table = ctx->slptptr;
    unsigned perm = IOMMU_PERM_R | IOMMU_PERM_W;
    for (unsigned level = ctx->levels; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t pte;
        if (!rd64(io, table + ((iova >> shift) & 511) * 8, &pte))
            return IOMMU_C_SL_ACCESS;
        if (!(pte & 3))
            return IOMMU_C_SL_NP;
        perm &= (unsigned)(pte & 3);
        bool ps = (pte >> 7) & 1;
        if (level == 1 || (ps && level == 2)) {
            uint64_t size = UINT64_C(1) << shift;
            e->iova = iova & ~(size - 1);
            e->pa = pte & VTD_PFN_MASK & ~(size - 1);
            e->shift = (uint8_t)shift;
            e->perm = (uint8_t)perm;
            return IOMMU_C_OK;
        }
        if (ps)
            return IOMMU_C_SL_RSVD;
        table = pte & VTD_PFN_MASK;
    }
    return IOMMU_C_SL_RSVD; /* levels == 0 never reaches here */
}
