/* devices/iommu/fault: primary fault logging and the fault event
 * (VT-d rev. 3, 7.1-7.3, 10.4.9-10.4.14).
 *
 * Contract: iommu_fault() turns a blocking condition into the header's
 * fault kind, counts it, records it and signals it; it is the only way a
 * translation fails, so no fault is silent.
 *
 * Recording (7.3.1): the recording registers are used round robin from an
 * internal index.  When the register at the index still holds a fault (F
 * set), FSTS.PFO is set and the fault is not recorded; while PFO is set no
 * fault is recorded.  A record holds the faulting page (FI 63:12), the
 * source id (SID 79:64), PASID present/value (PP bit 95, PV 123:104), the
 * reason (FR 103:96), the type (T1 bit 126: 1 read, 0 write) and F (bit
 * 127, write 1 to clear).  FSTS.PPF is the OR of the F bits; FSTS.FRI is
 * the register the first pending fault went to.
 *
 * Fault event (7.4.1, 10.4.10): recording a fault that sets PPF (clear
 * before) is an interrupt condition; a fault recorded while PPF is already
 * set is not.  With FECTL.IM clear, the MSI message in FEADDR/FEUADDR and
 * FEDATA goes to the irq sink pcie.msix later; with IM set (the reset
 * value), FECTL.IP is set and the message is sent when IM is cleared,
 * unless software serviced every pending status first (PPF and PFO clear),
 * which clears IP.  One message in flight at a time: a condition arising
 * while one is in flight is served by it. */
#include "devices/iommu/iommu_int.h"
#include "model/cost.h"

static const struct {
    iommu_fault_t kind;
    uint8_t fr_legacy, fr_scalable;
} cond_tab[IOMMU_C_COUNT] = {
    [IOMMU_C_RTA_INVALID] = { IOMMU_FAULT_ROOT, 0x30, 0x30 },
    [IOMMU_C_ROOT_ACCESS] = { IOMMU_FAULT_ADDRESS, 0x08, 0x38 },
    [IOMMU_C_ROOT_NP] = { IOMMU_FAULT_ROOT, 0x01, 0x39 },
    [IOMMU_C_CTX_ACCESS] = { IOMMU_FAULT_ADDRESS, 0x09, 0x40 },
    [IOMMU_C_CTX_NP] = { IOMMU_FAULT_CONTEXT, 0x02, 0x41 },
    [IOMMU_C_CTX_INVALID] = { IOMMU_FAULT_CONTEXT, 0x03, 0x43 },
    [IOMMU_C_PASID_LEGACY] = { IOMMU_FAULT_PASID, 0x03, 0x03 },
    [IOMMU_C_PASID_DISABLED] = { IOMMU_FAULT_PASID, 0x43, 0x43 },
    [IOMMU_C_PDIR_ACCESS] = { IOMMU_FAULT_ADDRESS, 0x50, 0x50 },
    [IOMMU_C_PDIR_NP] = { IOMMU_FAULT_PASID, 0x51, 0x51 },
    [IOMMU_C_PTBL_ACCESS] = { IOMMU_FAULT_ADDRESS, 0x58, 0x58 },
    [IOMMU_C_PTBL_NP] = { IOMMU_FAULT_PASID, 0x59, 0x59 },
    [IOMMU_C_PTBL_INVALID] = { IOMMU_FAULT_PASID, 0x5B, 0x5B },
    [IOMMU_C_ADDR_WIDTH] = { IOMMU_FAULT_ADDRESS, 0x04, 0x84 },
    [IOMMU_C_SL_ACCESS] = { IOMMU_FAULT_ADDRESS, 0x07, 0x78 },
    [IOMMU_C_SL_RSVD] = { IOMMU_FAULT_NOT_PRESENT, 0x0C, 0x79 },
    [IOMMU_C_SL_NP] = { IOMMU_FAULT_NOT_PRESENT, 0, 0 }, /* by request type */
    [IOMMU_C_WRITE] = { IOMMU_FAULT_WRITE, 0x05, 0x85 },
    [IOMMU_C_READ] = { IOMMU_FAULT_READ, 0x06, 0x86 },
};

static bool ppf(const iommu_t *io)
{
    for (unsigned i = 0; i < VTD_NFR; i++)
        if (io->frcd[i].hi & VTD_FRCD_F)
            return true;
    return false;
}

static void event_fire(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)data;
    iommu_t *io = arg;
    unsigned core, vector;
    uint64_t addr = (uint64_t)io->feuaddr << 32 | io->feaddr;
    io->fe_event = 0;
    if (io->sink.deliver && irq_msi_decode(addr, io->fedata, &core, &vector))
        io->sink.deliver(io->sink.ctx, core, vector);
    else
        io->guest_errors++; /* the message goes nowhere, as on hardware */
}

static void event_send(iommu_t *io)
{
    if (!io->fe_event)
        io->fe_event = sim_after(io->sim, cost_ps(io->costs, COST_PCIE_MSIX), event_fire, io, 0);
}

static void event_signal(iommu_t *io)
{
    if (io->fectl & VTD_FECTL_IM)
        io->fectl |= VTD_FECTL_IP;
    else
        event_send(io);
}

/* Software serviced every pending status: nothing left to interrupt for. */
static void update_ip(iommu_t *io)
{
    if (!io->pfo && !ppf(io))
        io->fectl &= ~VTD_FECTL_IP;
}

static void record(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova, bool write,
                   uint8_t fr)
{
    if (io->pfo)
        return;
    unsigned i = io->frcd_next;
    if (io->frcd[i].hi & VTD_FRCD_F) {
        io->pfo = true;
        return;
    }
    bool pending = ppf(io);
    uint64_t hi = rid | (uint64_t)fr << 32 | (write ? 0 : UINT64_C(1) << 62) | VTD_FRCD_F;
    if (pasid != IOMMU_NO_PASID)
        hi |= UINT64_C(1) << 31 | (uint64_t)(pasid & 0xFFFFF) << 40;
    io->frcd[i].lo = iova & ~UINT64_C(0xFFF);
    io->frcd[i].hi = hi;
    io->frcd_next = (uint8_t)((i + 1) % VTD_NFR);
    if (!pending) {
        io->fri = (uint8_t)i;
        event_signal(io);
    }
}

iommu_fault_t iommu_fault(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova, bool write,
                          iommu_cond_t c)
{
    bool sm = io->ttm == VTD_TTM_SCALABLE;
    iommu_cond_t rc = c == IOMMU_C_SL_NP ? (write ? IOMMU_C_WRITE : IOMMU_C_READ) : c;
    iommu_fault_t kind = cond_tab[c].kind;
    io->stats.faults[kind]++;
    if (io->obs)
        io->obs(io->obs_ctx, rid, pasid, kind);
    record(io, rid, pasid, iova, write, sm ? cond_tab[rc].fr_scalable : cond_tab[rc].fr_legacy);
    return kind;
}

void iommu_set_observer(iommu_t *io, iommu_observer_fn fn, void *ctx)
{
    io->obs = fn;
    io->obs_ctx = fn ? ctx : NULL;
}

uint32_t iommu_fault_read_fsts(const iommu_t *io)
{
    return (io->pfo ? VTD_FSTS_PFO : 0) | (ppf(io) ? VTD_FSTS_PPF : 0) | (uint32_t)io->fri << 8;
}

void iommu_fault_write_fsts(iommu_t *io, uint32_t v)
{
    if (v & VTD_FSTS_PFO)
        io->pfo = false; /* RW1C; PPF and FRI are read-only */
    update_ip(io);
}

void iommu_fault_clear_frcd(iommu_t *io, unsigned i)
{
    io->frcd[i].hi &= ~VTD_FRCD_F;
    update_ip(io);
}

void iommu_fault_write_fectl(iommu_t *io, uint32_t v)
{
    io->fectl = (io->fectl & VTD_FECTL_IP) | (v & VTD_FECTL_IM);
    if (!(io->fectl & VTD_FECTL_IM) && (io->fectl & VTD_FECTL_IP)) {
        io->fectl &= ~VTD_FECTL_IP;
        event_send(io);
    }
}

void iommu_fault_cancel(iommu_t *io)
{
    if (io->fe_event)
        sim_cancel(io->sim, io->fe_event);
    io->fe_event = 0;
}
