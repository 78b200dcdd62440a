/* tests/devices/iommu_drv.h: a tiny VT-d driver for the device tests
 * (check_iommu.c, check_pcie.c, check_dma_iommu.c), acting as a kernel
 * would: registers through iommu_mmio_read/write (the remapping unit's
 * register page), root / context / PASID / second-level tables written
 * into simulated memory.
 *
 * Register offsets, bit positions and table formats are written out here
 * from Intel VT-d rev. 3 (10.4 registers, chapter 9 table formats, 7.1.3
 * fault reasons) rather than taken from the model's private header
 * (devices/iommu/iommu_int.h), so the tests check the model against the
 * spec.  The fault-recording and invalidation register blocks are found
 * from CAP.FRO and ECAP.IRO, as a driver finds them.  Helpers are static
 * inline so each test file uses what it needs. */
#ifndef PARASIM_TESTS_IOMMU_DRV_H
#define PARASIM_TESTS_IOMMU_DRV_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/iommu.h"
#include "devices/mem.h"

#define IOD_BIT(n) (UINT64_C(1) << (n))

/* ---------------------------------------------------------------- registers (10.4) */
#define IOD_VER 0x00u
#define IOD_CAP 0x08u
#define IOD_ECAP 0x10u
#define IOD_GCMD 0x18u
#define IOD_GSTS 0x1Cu
#define IOD_RTADDR 0x20u
#define IOD_CCMD 0x28u
#define IOD_FSTS 0x34u
#define IOD_FECTL 0x38u
#define IOD_FEDATA 0x3Cu
#define IOD_FEADDR 0x40u
#define IOD_FEUADDR 0x44u

#define IOD_GCMD_TE (1u << 31)   /* translation enable */
#define IOD_GCMD_SRTP (1u << 30) /* set root table pointer */
#define IOD_GSTS_TES (1u << 31)
#define IOD_FSTS_PFO 1u          /* primary fault overflow */
#define IOD_FSTS_PPF 2u          /* primary pending fault */
#define IOD_TTM_LEGACY 0u        /* RTADDR.TTM, bits 11:10 */
#define IOD_TTM_SCALABLE 1u

/* ---------------------------------------------------------------- table fields (ch. 9) */
#define IOD_R 1u     /* second-level entry (9.8): read */
#define IOD_W 2u     /* write */
#define IOD_PS 0x80u /* page size: leaf at the 2 MiB level */
#define IOD_TT_SL 0u /* legacy context entry TT (9.3): second-level translation */
#define IOD_TT_PT 2u /* pass-through */
#define IOD_PGTT_SL 2u /* PASID entry PGTT (9.6): second-level only */
#define IOD_PGTT_PT 4u /* pass-through */
#define IOD_ADDR_MASK UINT64_C(0x000FFFFFFFFFF000)

/* ---------------------------------------------------------------- fault reasons (7.1.3) */
#define IOD_FR_LGN_WRITE 0x05u /* legacy: write to a page without W (LGN.2) */
#define IOD_FR_LGN_READ 0x06u  /* legacy: read of a page without R (LGN.3) */
#define IOD_FR_SGN_WRITE 0x85u /* scalable: write without W (SGN.6) */
#define IOD_FR_SGN_READ 0x86u  /* scalable: read without R (SGN.7) */

/* ---------------------------------------------------------------- register access */

static inline uint32_t iod_rd32(iommu_t *io, uint64_t off)
{
    return (uint32_t)iommu_mmio_read(io, off, 4);
}
static inline uint64_t iod_rd64(iommu_t *io, uint64_t off)
{
    return iommu_mmio_read(io, off, 8);
}
static inline void iod_wr32(iommu_t *io, uint64_t off, uint32_t v)
{
    iommu_mmio_write(io, off, v, 4);
}
static inline void iod_wr64(iommu_t *io, uint64_t off, uint64_t v)
{
    iommu_mmio_write(io, off, v, 8);
}

/* Fault recording registers: CAP.FRO (bits 33:24) in 16-byte units. */
static inline uint64_t iod_fro(iommu_t *io)
{
    return ((iod_rd64(io, IOD_CAP) >> 24) & 0x3FF) * 16;
}
/* IOTLB registers (IVA, then IOTLB at +8): ECAP.IRO (bits 17:8), 16-byte units. */
static inline uint64_t iod_iro(iommu_t *io)
{
    return ((iod_rd64(io, IOD_ECAP) >> 8) & 0x3FF) * 16;
}

/* RTADDR (root table and TTM), then GCMD.SRTP, then GCMD.TE (10.4.4-10.4.6). */
static inline void iod_enable(iommu_t *io, uint64_t root, unsigned ttm)
{
    iod_wr64(io, IOD_RTADDR, root | (uint64_t)ttm << 10);
    iod_wr32(io, IOD_GCMD, IOD_GCMD_SRTP);
    iod_wr32(io, IOD_GCMD, IOD_GCMD_TE);
}

/* Fault-event MSI (10.4.10-10.4.13): address 0xFEE00000 | core << 12
 * (Intel SDM 11.11.1), data = vector; FECTL.IM cleared when unmask. */
static inline void iod_fault_event(iommu_t *io, unsigned core, unsigned vector, bool unmask)
{
    iod_wr32(io, IOD_FEDATA, vector);
    iod_wr32(io, IOD_FEADDR, 0xFEE00000u | (core & 0xFFu) << 12);
    iod_wr32(io, IOD_FEUADDR, 0);
    if (unmask)
        iod_wr32(io, IOD_FECTL, 0);
}

/* Fault recording register i (10.4.14): lower qword FI (63:12), upper
 * qword SID 15:0, PP 31, FR 39:32, PV 59:40, T1 62 (1 = read), F 63. */
static inline uint64_t iod_frcd_lo(iommu_t *io, unsigned i)
{
    return iod_rd64(io, iod_fro(io) + 16 * i);
}
static inline uint64_t iod_frcd_hi(iommu_t *io, unsigned i)
{
    return iod_rd64(io, iod_fro(io) + 16 * i + 8);
}
static inline void iod_frcd_clear(iommu_t *io, unsigned i) /* F is RW1C */
{
    iod_wr32(io, iod_fro(io) + 16 * i + 12, 1u << 31);
}

/* The upper qword a fault record should hold (field positions above). */
static inline uint64_t iod_frcd_hi_want(uint16_t sid, unsigned fr, bool write, uint32_t pasid)
{
    uint64_t v = IOD_BIT(63) | (write ? 0 : IOD_BIT(62)) | (uint64_t)(fr & 0xFF) << 32 | sid;
    if (pasid != IOMMU_NO_PASID)
        v |= IOD_BIT(31) | (uint64_t)(pasid & 0xFFFFF) << 40;
    return v;
}

/* IOTLB invalidation (10.4.8): IVA = addr | AM, then IOTLB_REG = IVT |
 * IIRG (1 global, 2 domain, 3 page) << 60 | DID << 32. */
static inline void iod_iotlb_invalidate(iommu_t *io, unsigned iirg, uint16_t did, uint64_t iva)
{
    uint64_t iro = iod_iro(io);
    iod_wr64(io, iro, iva);
    iod_wr64(io, iro + 8, IOD_BIT(63) | (uint64_t)iirg << 60 | (uint64_t)did << 32);
}

/* ---------------------------------------------------------------- table writers */

static inline void iod_put64(mem_t *mem, uint64_t pa, uint64_t v)
{
    ck_assert_int_eq(mem_write_u64(mem, pa, v), 0);
}

/* Legacy root entry (9.1), 16 B per bus: P bit 0, CTP 63:12. */
static inline void iod_root_entry(mem_t *mem, uint64_t root, unsigned bus, uint64_t ctp)
{
    iod_put64(mem, root + bus * 16, ctp | 1);
    iod_put64(mem, root + bus * 16 + 8, 0);
}

/* Legacy context entry (9.3), 16 B per devfn: P 0, TT 3:2, SLPTPTR 63:12;
 * upper qword AW 2:0 (1: 39-bit 3-level, 2: 48-bit 4-level), DID 23:8. */
static inline void iod_ctx_entry(mem_t *mem, uint64_t ctp, unsigned devfn, uint64_t slpt,
                                 unsigned tt, unsigned aw, uint16_t did)
{
    iod_put64(mem, ctp + devfn * 16, slpt | (uint64_t)tt << 2 | 1);
    iod_put64(mem, ctp + devfn * 16 + 8, aw | (uint64_t)did << 8);
}

/* Second-level paging entry (9.8), 512 of 8 B per table: R 0, W 1, PS 7,
 * address 51:12. */
static inline void iod_pte(mem_t *mem, uint64_t table, unsigned index, uint64_t pa, unsigned bits)
{
    iod_put64(mem, table + index * 8, pa | bits);
}

/* Scalable root entry (9.2): LCTP (devfn 0-127) in the lower qword, UCTP
 * (devfn 128-255) in the upper, each with its present bit; 0 = absent. */
static inline void iod_sm_root_entry(mem_t *mem, uint64_t root, unsigned bus, uint64_t lctp,
                                     uint64_t uctp)
{
    iod_put64(mem, root + bus * 16, lctp ? lctp | 1 : 0);
    iod_put64(mem, root + bus * 16 + 8, uctp ? uctp | 1 : 0);
}

/* Scalable context entry (9.4), 32 B at (devfn % 128) of the lower or
 * upper table: P 0, PASIDE 3, PDTS 11:9 (2^(PDTS+7) directory entries),
 * PASIDDIRPTR 63:12; RID_PASID 19:0 of the second qword. */
static inline void iod_sm_ctx_entry(mem_t *mem, uint64_t ctp, unsigned devfn, uint64_t pdir,
                                    unsigned pdts, bool paside, uint32_t rid_pasid)
{
    uint64_t e = ctp + (devfn & 127) * 32;
    iod_put64(mem, e, pdir | (uint64_t)pdts << 9 | (paside ? 1u << 3 : 0) | 1);
    iod_put64(mem, e + 8, rid_pasid);
}

/* PASID directory entry (9.5), 8 B indexed by PASID 19:6: P 0, table 63:12. */
static inline void iod_pdir_entry(mem_t *mem, uint64_t pdir, uint32_t pasid, uint64_t ptbl)
{
    iod_put64(mem, pdir + (uint64_t)(pasid >> 6) * 8, ptbl | 1);
}

/* PASID table entry (9.6), 64 B indexed by PASID 5:0: P 0, AW 4:2, PGTT
 * 8:6, SLPTPTR 63:12; DID 15:0 of the second qword. */
static inline void iod_pasid_entry(mem_t *mem, uint64_t ptbl, uint32_t pasid, uint64_t slpt,
                                   unsigned aw, unsigned pgtt, uint16_t did)
{
    uint64_t e = ptbl + (uint64_t)(pasid & 63) * 64;
    iod_put64(mem, e, slpt | (uint64_t)pgtt << 6 | (uint64_t)aw << 2 | 1);
    iod_put64(mem, e + 8, did);
}

/* ---------------------------------------------------------------- building tables */

/* Zeroed 4 KiB pages for tables, handed out from [next, end). */
typedef struct iod_pool {
    mem_t *mem;
    uint64_t next, end;
} iod_pool_t;

static inline uint64_t iod_page(iod_pool_t *p)
{
    ck_assert_uint_le(p->next + 4096, p->end);
    uint64_t a = p->next;
    p->next += 4096;
    ck_assert_int_eq(mem_fill(p->mem, a, 0, 4096), 0);
    return a;
}

/* Map the page at iova to pa with `bits` in the second-level tables at
 * root (`levels` = 3 or 4), the leaf at level `leaf` (1: 4 KiB; 2: 2 MiB,
 * with IOD_PS in bits).  Missing tables come from the pool; the entries
 * pointing to them are R|W (rights are ANDed over levels, 3.7.1). */
static inline void iod_map_at(iod_pool_t *p, uint64_t root, unsigned levels, unsigned leaf,
                              uint64_t iova, uint64_t pa, unsigned bits)
{
    uint64_t table = root;
    for (unsigned level = levels; level > leaf; level--) {
        uint64_t slot = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8, e;
        ck_assert_int_eq(mem_read_u64(p->mem, slot, &e), 0);
        if (!(e & (IOD_R | IOD_W))) {
            e = iod_page(p) | IOD_R | IOD_W;
            iod_put64(p->mem, slot, e);
        }
        table = e & IOD_ADDR_MASK;
    }
    iod_pte(p->mem, table, (unsigned)((iova >> (12 + 9 * (leaf - 1))) & 511), pa, bits);
}

/* Map [iova, iova + bytes) to [pa, pa + bytes) with 4 KiB pages. */
static inline void iod_map(iod_pool_t *p, uint64_t root, unsigned levels, uint64_t iova,
                           uint64_t pa, uint64_t bytes, unsigned bits)
{
    for (uint64_t off = 0; off < bytes; off += 4096)
        iod_map_at(p, root, levels, 1, iova + off, pa + off, bits);
}

/* Legacy mode: a context entry for requester rid (bus << 8 | devfn) in
 * the root table at root, the bus's context table allocated if its root
 * entry is not present; second-level translation, `levels`-level tables
 * (AW = levels - 2), domain did.  Returns the (empty) second-level root. */
static inline uint64_t iod_legacy_device(iod_pool_t *p, uint64_t root, uint16_t rid,
                                         unsigned levels, uint16_t did)
{
    unsigned bus = rid >> 8, devfn = rid & 0xFF;
    uint64_t re;
    ck_assert_int_eq(mem_read_u64(p->mem, root + bus * 16, &re), 0);
    uint64_t ctp = re & 1 ? re & IOD_ADDR_MASK : iod_page(p);
    if (!(re & 1))
        iod_root_entry(p->mem, root, bus, ctp);
    uint64_t slpt = iod_page(p);
    iod_ctx_entry(p->mem, ctp, devfn, slpt, IOD_TT_SL, levels - 2, did);
    return slpt;
}

/* Scalable mode: a context entry for rid with PASIDE set, RID_PASID
 * rid_pasid and a 128-entry PASID directory (PDTS 0: PASIDs 0-8191);
 * the root entry's half for rid's devfn is filled in if absent.  Returns
 * the (empty) directory. */
static inline uint64_t iod_sm_device(iod_pool_t *p, uint64_t root, uint16_t rid,
                                     uint32_t rid_pasid)
{
    unsigned bus = rid >> 8, devfn = rid & 0xFF;
    uint64_t slot = root + bus * 16 + (devfn >= 128 ? 8 : 0), re;
    ck_assert_int_eq(mem_read_u64(p->mem, slot, &re), 0);
    uint64_t ctp = re & 1 ? re & IOD_ADDR_MASK : iod_page(p);
    if (!(re & 1))
        iod_put64(p->mem, slot, ctp | 1);
    uint64_t pdir = iod_page(p);
    iod_sm_ctx_entry(p->mem, ctp, devfn, pdir, 0, true, rid_pasid);
    return pdir;
}

/* Scalable mode: the PASID entry of `pasid` under directory pdir (its
 * PASID table allocated if the directory entry is not present), second-
 * level translation with `levels`-level tables in domain did.  Returns
 * the (empty) second-level root. */
static inline uint64_t iod_sm_pasid(iod_pool_t *p, uint64_t pdir, uint32_t pasid,
                                    unsigned levels, uint16_t did)
{
    uint64_t de;
    ck_assert_int_eq(mem_read_u64(p->mem, pdir + (uint64_t)(pasid >> 6) * 8, &de), 0);
    uint64_t ptbl = de & 1 ? de & IOD_ADDR_MASK : iod_page(p);
    if (!(de & 1))
        iod_pdir_entry(p->mem, pdir, pasid, ptbl);
    uint64_t slpt = iod_page(p);
    iod_pasid_entry(p->mem, ptbl, pasid, slpt, levels - 2, IOD_PGTT_SL, did);
    return slpt;
}

#endif
