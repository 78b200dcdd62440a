/* devices/iommu/regs: the VT-d register file (VT-d rev. 3, 10.4) and the
 * register-based invalidation commands (6.5.1).
 *
 * Contract: iommu_mmio_read/write implement the pcie_ops_t of the remapping
 * unit's 4 KiB register page.  Accesses are split into aligned dwords, the
 * way 64-bit registers are written by 32-bit drivers (low half first):
 * a 64-bit command register (CCMD, IOTLB) acts when its upper dword is
 * written, i.e. after both halves of an 8-byte write.  Byte and word reads
 * extract from the dword; sub-dword writes, misaligned accesses, writes to
 * read-only or absent registers are ignored and counted as guest errors.
 * Commands complete at once: GSTS mirrors GCMD immediately, CCMD.ICC and
 * IOTLB.IVT read back clear with the actual granularity (CAIG, IAIG).
 *
 * Register map: VER 0x00, CAP 0x08, ECAP 0x10, GCMD 0x18, GSTS 0x1C,
 * RTADDR 0x20, CCMD 0x28, FSTS 0x34, FECTL 0x38, FEDATA 0x3C, FEADDR 0x40,
 * FEUADDR 0x44, fault recording registers at CAP.FRO * 16 = 0x400 (8 of
 * 16 B), IVA at ECAP.IRO * 16 = 0x500 and IOTLB at 0x508. */
#include "devices/iommu/iommu_int.h"

#define VTD_VERSION 0x30u /* major 3, minor 0: the revision modelled */

/* CAP_REG (10.4.2): ND 64K domains (16-bit DID), SAGAW 39-bit 3-level and
 * 48-bit 4-level, MGAW 48 bits, FRO, SLLPS 2 MiB, PSI, NFR, MAMV. */
static const uint64_t vtd_cap =
    UINT64_C(6) << 0 | UINT64_C(0x6) << 8 | UINT64_C(47) << 16 |
    (uint64_t)(VTD_FRO / 16) << 24 | UINT64_C(1) << 34 | UINT64_C(1) << 39 |
    (uint64_t)(VTD_NFR - 1) << 40 | (uint64_t)VTD_MAMV << 48;

/* ECAP_REG (10.4.3): C (page walks are coherent), PT (pass-through), IRO,
 * PSS 20-bit PASIDs, PASID, SMTS (scalable mode), SLTS (second-level
 * translation), RPS (RID_PASID honoured).  No QI, DT, IR, FLTS, NEST. */
static const uint64_t vtd_ecap =
    UINT64_C(1) << 0 | UINT64_C(1) << 6 | (uint64_t)(VTD_IRO / 16) << 8 |
    UINT64_C(19) << 35 | UINT64_C(1) << 40 | UINT64_C(1) << 43 | UINT64_C(1) << 46 |
    UINT64_C(1) << 49;

static uint32_t half(uint64_t reg, uint64_t off) { return (uint32_t)(reg >> (off & 4 ? 32 : 0)); }

static void set_half(uint64_t *reg, uint64_t off, uint32_t v)
{
    unsigned s = off & 4 ? 32 : 0;
    *reg = (*reg & ~(UINT64_C(0xFFFFFFFF) << s)) | (uint64_t)v << s;
}

static uint32_t read_frcd(const iommu_t *io, uint64_t off)
{
    unsigned i = (unsigned)(off / 16);
    return half(off & 8 ? io->frcd[i].hi : io->frcd[i].lo, off);
}

static uint32_t rd32(iommu_t *io, uint64_t off)
{
    if (off >= VTD_FRO && off < VTD_FRO + 16 * VTD_NFR)
        return read_frcd(io, off - VTD_FRO);
    switch (off) {
    case VTD_VER_REG: return VTD_VERSION;
    case VTD_CAP_REG: case VTD_CAP_REG + 4: return half(vtd_cap, off);
    case VTD_ECAP_REG: case VTD_ECAP_REG + 4: return half(vtd_ecap, off);
    case VTD_GSTS_REG: return io->gsts;
    case VTD_RTADDR_REG: case VTD_RTADDR_REG + 4: return half(io->rtaddr, off);
    case VTD_CCMD_REG: case VTD_CCMD_REG + 4: return half(io->ccmd, off);
    case VTD_FSTS_REG: return iommu_fault_read_fsts(io);
    case VTD_FECTL_REG: return io->fectl;
    case VTD_FEDATA_REG: return io->fedata;
    case VTD_FEADDR_REG: return io->feaddr;
    case VTD_FEUADDR_REG: return io->feuaddr;
    case VTD_IVA_REG: case VTD_IVA_REG + 4: return half(io->iva, off);
    case VTD_IOTLB_REG: case VTD_IOTLB_REG + 4: return half(io->iotlb, off);
    default: return 0; /* GCMD is write-only; reserved space reads 0 */
    }
}

/* GCMD (10.4.4): SRTP latches RTADDR (root and TTM) and sets RTPS; TE
 * enables or disables translation, mirrored in TES.  Other commands (write
 * buffer flush, queued invalidation, interrupt remapping, fault log) are
 * not supported by the capabilities reported, and are ignored. */
static void gcmd_write(iommu_t *io, uint32_t v)
{
    if (v & VTD_GCMD_SRTP) {
        io->root = io->rtaddr & VTD_PTR_MASK;
        io->ttm = (unsigned)(io->rtaddr >> 10) & 3;
        io->gsts |= VTD_GSTS_RTPS;
    }
    if (v & VTD_GCMD_TE)
        io->gsts |= VTD_GSTS_TES;
    else
        io->gsts &= ~VTD_GSTS_TES;
    if (v & ~(VTD_GCMD_TE | VTD_GCMD_SRTP))
        io->guest_errors++;
}

/* CCMD (10.4.7): ICC 63, CIRG 62:61 (01b global, 10b domain DID 15:0,
 * 11b device SID 31:16 with FM 33:32), CAIG 60:59 reports what was done. */
static void ccmd_exec(iommu_t *io)
{
    uint64_t v = io->ccmd;
    unsigned g = (unsigned)(v >> 61) & 3;
    if (!(v >> 63))
        return;
    switch (g) {
    case 1: iommu_cc_flush_all(io); break;
    case 2: iommu_cc_flush_domain(io, (uint16_t)v); break;
    case 3: iommu_cc_flush_device(io, (uint16_t)(v >> 16), (unsigned)(v >> 32) & 3); break;
    default: io->guest_errors++; break; /* 00b reserved: CAIG 00b = not done */
    }
    io->stats.invalidations++;
    io->ccmd = (v & ~(UINT64_C(1) << 63) & ~(UINT64_C(3) << 59)) | (uint64_t)g << 59;
}

/* IOTLB_REG (10.4.8.1): IVT 63, IIRG 61:60 (01b global, 10b domain, 11b
 * page), IAIG 58:57, DID 47:32; IVA_REG (10.4.8.2): ADDR 63:12, AM 5:0.
 * A page request with AM above CAP.MAMV is done domain-wide (IAIG 10b). */
static void iotlb_exec(iommu_t *io)
{
    uint64_t v = io->iotlb;
    unsigned g = (unsigned)(v >> 60) & 3, am = (unsigned)(io->iva & 0x3F);
    uint16_t did = (uint16_t)(v >> 32);
    if (!(v >> 63))
        return;
    if (g == 3 && am > VTD_MAMV)
        g = 2;
    switch (g) {
    case 1: iommu_tlb_flush_all(io); break;
    case 2: iommu_tlb_flush_domain(io, did); break;
    case 3: iommu_tlb_flush_pages(io, did, io->iva & VTD_PTR_MASK, am); break;
    default: io->guest_errors++; break;
    }
    io->stats.invalidations++;
    io->iotlb = (v & ~(UINT64_C(1) << 63) & ~(UINT64_C(3) << 57)) | (uint64_t)g << 57;
}

static void write_frcd(iommu_t *io, uint64_t off, uint32_t v)
{
    if ((off & 15) == 12 && (v >> 31))
        iommu_fault_clear_frcd(io, (unsigned)(off / 16)); /* F is RW1C */
    else if ((off & 15) != 12)
        io->guest_errors++; /* everything else is read-only */
}

static void wr32(iommu_t *io, uint64_t off, uint32_t v)
{
    if (off >= VTD_FRO && off < VTD_FRO + 16 * VTD_NFR) {
        write_frcd(io, off - VTD_FRO, v);
        return;
    }
    switch (off) {
    case VTD_GCMD_REG: gcmd_write(io, v); break;
    case VTD_RTADDR_REG: set_half(&io->rtaddr, off, v & ~0x3FFu); break;
    case VTD_RTADDR_REG + 4: set_half(&io->rtaddr, off, v); break;
    case VTD_CCMD_REG: set_half(&io->ccmd, off, v); break;
    case VTD_CCMD_REG + 4: set_half(&io->ccmd, off, v); ccmd_exec(io); break;
    case VTD_FSTS_REG: iommu_fault_write_fsts(io, v); break;
    case VTD_FECTL_REG: iommu_fault_write_fectl(io, v); break;
    case VTD_FEDATA_REG: io->fedata = v & 0xFFFF; break;
    case VTD_FEADDR_REG: io->feaddr = v & ~3u; break;
    case VTD_FEUADDR_REG: io->feuaddr = v; break;
    case VTD_IVA_REG: case VTD_IVA_REG + 4: set_half(&io->iva, off, v); break;
    case VTD_IOTLB_REG: set_half(&io->iotlb, off, v); break;
    case VTD_IOTLB_REG + 4: set_half(&io->iotlb, off, v); iotlb_exec(io); break;
    default: io->guest_errors++; break;
    }
}

uint64_t iommu_mmio_read(void *dev, uint64_t off, unsigned size)
{
    iommu_t *io = dev;
    if (off >= IOMMU_MMIO_SIZE || off + size > IOMMU_MMIO_SIZE || (off & (size - 1)))
        goto bad;
    switch (size) {
    case 8: return rd32(io, off) | (uint64_t)rd32(io, off + 4) << 32;
    case 4: return rd32(io, off);
    case 2: case 1: return (rd32(io, off & ~UINT64_C(3)) >> ((off & 3) * 8)) & ((1u << (size * 8)) - 1);
    default: break;
    }
bad:
    io->guest_errors++;
    return 0;
}

void iommu_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    iommu_t *io = dev;
    if (off >= IOMMU_MMIO_SIZE || off + size > IOMMU_MMIO_SIZE || (off & 3) || (size != 4 && size != 8)
        || (off & (size - 1))) {
        io->guest_errors++;
        return;
    }
    wr32(io, off, (uint32_t)val);
    if (size == 8)
        wr32(io, off + 4, (uint32_t)(val >> 32));
}
