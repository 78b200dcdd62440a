/* kernel/drv_iommu.c: the VT-d driver (k.h, "IOMMU driver"), Intel VT-d
 * rev. 3.x; registers and formats in drv_iommu_regs.h.
 *
 * Purpose: device DMA may reach the processes' partitions and the rings
 * the drivers map, and nothing else: not the kernel's own data, not the
 * IOMMU tables, not memory outside any partition.  Addresses are
 * identity-mapped (a buffer's device address is its physical address).
 *
 * Legacy mode (VT-d 3.4, 9.1, 9.3): a root table, a context table per bus
 * used, one context entry per device (plan.nic.rid, plan.nvme.rid) with
 * its own domain (DID 1, 2...) and second-level tables mapping EVERY
 * partition (device-granular isolation: what real IOMMUs give), plus the
 * rings its driver maps with k_iommu_map_ring.
 * Scalable mode (VT-d 3.6, 9.2, 9.4-9.6): scalable root and context
 * entries (PASIDE set), a PASID directory and PASID tables per device,
 * and one PASID entry per device queue, each with its own domain and
 * second-level tables mapping ONLY its owner's partition and that queue's
 * rings: NIC queue q -> PASID plan.nic.pasid_base + q; NVMe queue y ->
 * PASID y (devices/nvme.h pasid_per_queue).  Untagged DMA takes the
 * context entry's RID_PASID (VT-d 9.4): NVMe's is PASID 0, which is also
 * the tag of its admin queue (qid 0), so the admin queue and Identify
 * buffer (mapped untagged) serve both; the NIC's is 0 when pasid_base > 0,
 * else pasid_base + the NIC's queue count.  The RID_PASID domains map
 * only what drivers map untagged: a device that does not tag per queue
 * reaches no partition in scalable mode (kernel.h: scalable mode
 * "requires the devices' pasid_per_queue").
 * Off: nothing is built and translation stays disabled.
 *
 * Page tables: 4-level (48-bit) when CAP.SAGAW offers it, else 3-level;
 * 2 MiB superpages where aligned (partitions always are) when CAP.SLLPS
 * offers them, 4 KiB pages otherwise; entries R/W (table pointers R/W:
 * rights are ANDed over levels, 3.7.1).  All tables are zeroed kernel
 * pages (k_alloc) that are never mapped for DMA.
 *
 * Enable (k_iommu_enable, VT-d 6.5, 10.4.4): RTADDR (root, TTM), GCMD.SRTP,
 * then the global context-cache and IOTLB invalidations software must do
 * after setting a root table, the fault event (MSI to core 0 with
 * plan.iommu.fault_vector, FECTL.IM cleared), then GCMD.TE.  Mappings are
 * only added at boot, before TE; k_iommu_map_ring after enable would add
 * not-present -> present entries, which VT-d does not cache (CAP.CM = 0),
 * so no invalidation is needed then either.
 *
 * Faults (7.3): the handler (core 0) reads FSTS; when PPF is set it reads
 * every fault recording register, counts each record with F set in
 * k_state.st.iommu_faults and clears it (F is RW1C); an overflow (PFO) is
 * cleared too.  Records are not interpreted further: a fault is a kernel
 * bug or a device misbehaving, and the count is what the isolation suite
 * checks (zero faults).
 *
 * Limits: K_IOMMU_MAX_DOMAINS domains (legacy 2; scalable one per queue +
 * 2); fault_vector must avoid the drivers' vectors (k.h).  Costs: boot
 * only; each table entry written is charged one mem.llc (the IOMMU reads
 * it from memory) plus ENTRY_CYCLES; the fault handler charges
 * FAULT_CYCLES per record (MMIO is the HAL's). */
#include "drv_iommu_regs.h"
#include "drv_util.h"

#define K_IOMMU_MAX_DOMAINS 512u
#define SUPERPAGE (UINT64_C(2) << 20)
#define BUSES 256u
/* An entry: index arithmetic, compose, store: ~6 cycles. */
#define ENTRY_CYCLES 6u
/* A fault record: test F, count, compose the clear: ~5 cycles. */
#define FAULT_CYCLES 5u

typedef struct io_domain {
    uint16_t rid;
    int32_t pasid;   /* -1: the device's untagged domain (legacy / RID_PASID) */
    uint16_t did;
    uint64_t slpt;   /* second-level root table */
} io_domain_t;

typedef struct io_dev {
    bool present;
    uint16_t rid;
    uint32_t rid_pasid; /* scalable */
    uint64_t pdir;      /* scalable: PASID directory */
    unsigned pdts;      /* directory of 2^(pdts + 7) entries */
} io_dev_t;

static struct {
    enum k_iommu_mode mode;
    uint64_t base, cap, ecap;
    unsigned levels, aw;
    bool superpages;
    uint64_t root;
    uint64_t ctx_lo[BUSES], ctx_hi[BUSES]; /* context tables (hi: scalable devfn >= 128) */
    unsigned fault_vector;
    io_dev_t dev[2];    /* NIC, NVMe */
    unsigned ndomains;
    io_domain_t dom[K_IOMMU_MAX_DOMAINS];
} io;

static void wr32(uint32_t off, uint32_t v) { hal_mmio_write32(io.base + off, v); }
static uint32_t rd32(uint32_t off) { return hal_mmio_read32(io.base + off); }
static void wr64(uint64_t off, uint64_t v) { hal_mmio_write64(io.base + off, v); }
static uint64_t rd64(uint64_t off) { return hal_mmio_read64(io.base + off); }

static int put_entry(uint64_t pa, uint64_t v)
{
    k_charge(KC_LLC, 1);
    k_charge(KC_CYCLE, ENTRY_CYCLES);
    return drv_mem_write64(pa, v);
}

/* ---------------------------------------------------------------- page tables */

/* Map iova -> pa with its leaf at `leaf` (1: 4 KiB, 2: 2 MiB). */
static int map_page(uint64_t root, uint64_t iova, uint64_t pa, unsigned leaf)
{
    uint64_t table = root;
    for (unsigned level = io.levels; level > leaf; level--) {
        uint64_t slot = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8;
        uint64_t e = drv_mem_read64(slot);
        if (!(e & (VTD_SL_R | VTD_SL_W))) {
            uint64_t t = k_alloc(DRV_PAGE, DRV_PAGE);
            if (!t || put_entry(slot, t | VTD_SL_R | VTD_SL_W) < 0)
                return -1;
            e = t;
        } else if (e & VTD_SL_PS) {
            return 0; /* inside a superpage already mapped */
        }
        table = e & VTD_ADDR_MASK;
    }
    uint64_t slot = table + ((iova >> (12 + 9 * (leaf - 1))) & 511) * 8;
    return put_entry(slot, pa | VTD_SL_R | VTD_SL_W | (leaf == 2 ? VTD_SL_PS : 0));
}

/* Identity-map [pa, + len), page aligned outward. */
static int map_range(uint64_t root, uint64_t pa, uint64_t len)
{
    uint64_t a = pa & ~(uint64_t)(DRV_PAGE - 1), end = drv_round_up(pa + len, DRV_PAGE);
    while (a < end) {
        bool big = io.superpages && !(a & (SUPERPAGE - 1)) && end - a >= SUPERPAGE;
        if (map_page(root, a, a, big ? 2 : 1) < 0)
            return -1;
        a += big ? SUPERPAGE : DRV_PAGE;
    }
    return 0;
}

static int map_partition(uint64_t root, const k_proc_t *p)
{
    return map_range(root, p->plan.mem_base, p->plan.mem_size);
}

static io_domain_t *domain_new(uint16_t rid, int32_t pasid)
{
    if (io.ndomains >= K_IOMMU_MAX_DOMAINS)
        return NULL;
    uint64_t slpt = k_alloc(DRV_PAGE, DRV_PAGE);
    if (!slpt)
        return NULL;
    io_domain_t *d = &io.dom[io.ndomains++];
    *d = (io_domain_t){ rid, pasid, (uint16_t)io.ndomains, slpt }; /* DIDs from 1 */
    return d;
}

static io_domain_t *domain_find(uint16_t rid, int32_t pasid)
{
    for (unsigned i = 0; i < io.ndomains; i++)
        if (io.dom[i].rid == rid && io.dom[i].pasid == pasid)
            return &io.dom[i];
    return NULL;
}

/* ---------------------------------------------------------------- legacy */

static uint64_t ctx_table(uint16_t rid, bool upper)
{
    uint64_t *t = upper ? &io.ctx_hi[rid >> 8] : &io.ctx_lo[rid >> 8];
    if (!*t)
        *t = k_alloc(DRV_PAGE, DRV_PAGE);
    return *t;
}

static int legacy_device(const io_dev_t *dv)
{
    io_domain_t *d = domain_new(dv->rid, -1);
    uint64_t ctx = ctx_table(dv->rid, false);
    if (!d || !ctx)
        return -1;
    for (unsigned i = 0; i < k_state.nprocs; i++)
        if (map_partition(d->slpt, &k_state.procs[i]) < 0)
            return -1;
    uint64_t ce = ctx + (uint64_t)(dv->rid & 0xFF) * 16;
    if (put_entry(io.root + (uint64_t)(dv->rid >> 8) * 16, ctx | VTD_P) < 0 ||
        put_entry(ce, d->slpt | VTD_P) < 0 || /* TT 00b: second-level translation */
        put_entry(ce + 8, io.aw | (uint64_t)d->did << VTD_CTX_DID_SHIFT) < 0)
        return -1;
    return 0;
}

/* ---------------------------------------------------------------- scalable */

/* The PASID entry of (dv, pasid) pointing at d's tables. */
static int pasid_entry(const io_dev_t *dv, uint32_t pasid, const io_domain_t *d)
{
    uint64_t de = dv->pdir + (uint64_t)(pasid >> 6) * 8, e = drv_mem_read64(de);
    if (!(e & VTD_P)) {
        uint64_t t = k_alloc(DRV_PAGE, DRV_PAGE);
        if (!t || put_entry(de, t | VTD_P) < 0)
            return -1;
        e = t;
    }
    uint64_t pe = (e & VTD_ADDR_MASK) + (uint64_t)(pasid & 63) * VTD_PASID_ENTRY_BYTES;
    if (put_entry(pe, d->slpt | VTD_PGTT_SL | (uint64_t)io.aw << VTD_PASID_AW_SHIFT | VTD_P) < 0 ||
        put_entry(pe + 8, d->did) < 0)
        return -1;
    return 0;
}

/* A domain for (dv, pasid) mapping process p's partition (none: p NULL). */
static int scalable_pasid(const io_dev_t *dv, uint32_t pasid, const k_proc_t *p)
{
    io_domain_t *d = domain_new(dv->rid, pasid == dv->rid_pasid ? -1 : (int32_t)pasid);
    if (!d || (p && map_partition(d->slpt, p) < 0))
        return -1;
    return pasid_entry(dv, pasid, d);
}

static int scalable_context(io_dev_t *dv, uint32_t max_pasid)
{
    dv->pdts = 0;
    while ((UINT64_C(1) << (dv->pdts + 7)) * 64 <= max_pasid)
        dv->pdts++;
    dv->pdir = drv_alloc_pages((UINT64_C(1) << (dv->pdts + 7)) * 8);
    bool upper = (dv->rid & 0xFF) >= 128;
    uint64_t ctx = ctx_table(dv->rid, upper);
    if (!dv->pdir || !ctx)
        return -1;
    unsigned bus = dv->rid >> 8;
    uint64_t re = io.root + (uint64_t)bus * 16;
    uint64_t ce = ctx + (uint64_t)(dv->rid & 127) * VTD_SM_CTX_BYTES;
    if (put_entry(re, io.ctx_lo[bus] ? io.ctx_lo[bus] | VTD_P : 0) < 0 ||
        put_entry(re + 8, io.ctx_hi[bus] ? io.ctx_hi[bus] | VTD_P : 0) < 0 ||
        put_entry(ce, dv->pdir | (uint64_t)dv->pdts << VTD_SM_CTX_PDTS_SHIFT |
                          VTD_SM_CTX_PASIDE | VTD_P) < 0 ||
        put_entry(ce + 8, dv->rid_pasid) < 0)
        return -1;
    return scalable_pasid(dv, dv->rid_pasid, NULL);
}

static int scalable_nic(const k_plan_t *pl)
{
    io_dev_t *dv = &io.dev[0];
    uint64_t last = (uint64_t)pl->nic.pasid_base + pl->nic.queues; /* exclusive */
    dv->rid_pasid = pl->nic.pasid_base ? 0 : pl->nic.pasid_base + pl->nic.queues;
    if (last > VTD_PASID_MAX || scalable_context(dv, (uint32_t)last) < 0)
        return -1;
    for (unsigned i = 0; i < k_state.nprocs; i++) {
        const k_proc_t *p = &k_state.procs[i];
        for (unsigned k = 0; k < p->plan.nic_queues; k++)
            if (scalable_pasid(dv, pl->nic.pasid_base + p->nic_q[k], p) < 0)
                return -1;
    }
    return 0;
}

static int scalable_nvme(void)
{
    io_dev_t *dv = &io.dev[1];
    dv->rid_pasid = 0; /* = the admin queue's tag (qid 0) */
    if (scalable_context(dv, K_MAX_NVME_QUEUES) < 0)
        return -1;
    for (unsigned i = 0; i < k_state.nprocs; i++) {
        const k_proc_t *p = &k_state.procs[i];
        for (unsigned k = 0; k < p->plan.nvme_queues; k++)
            if (scalable_pasid(dv, p->nvme_q[k], p) < 0)
                return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- init */

static int check_caps(const k_plan_t *pl, char *err, size_t errlen)
{
    io.cap = rd64(VTD_CAP);
    io.ecap = rd64(VTD_ECAP);
    unsigned sagaw = VTD_CAP_SAGAW(io.cap);
    if (sagaw & 4u) {
        io.levels = 4;
        io.aw = VTD_AW_48;
    } else if ((sagaw & 2u) && hal_mem_size() <= (UINT64_C(1) << 39)) {
        io.levels = 3;
        io.aw = VTD_AW_39;
    } else {
        return drv_fail0(err, errlen, "iommu: no supported address width covers memory");
    }
    io.superpages = VTD_CAP_SLLPS_2M(io.cap);
    if (pl->iommu.mode == K_IOMMU_SCALABLE &&
        !(VTD_ECAP_SMTS(io.ecap) && VTD_ECAP_PASID(io.ecap) && VTD_ECAP_SLTS(io.ecap)))
        return drv_fail0(err, errlen,
                         "iommu: scalable mode requested, the unit lacks SMTS/PASID/SLTS");
    unsigned v = pl->iommu.fault_vector;
    if (v < 32 || v > 255 || v == K_TIMER_VECTOR ||
        (v >= K_NIC_VECTOR_BASE && v < K_NIC_VECTOR_BASE + PK_MAX_NIC_QUEUES) || v == K_NVME_VECTOR)
        return drv_fail(err, errlen, "iommu: fault_vector ", v,
                        " collides with the kernel's vectors (0x40-0x50, 0xef) or is < 32");
    return 0;
}

int k_iommu_init(const k_plan_t *pl, char *err, size_t errlen)
{
    k_memset(&io, 0, sizeof io);
    io.mode = pl->iommu.mode;
    if (io.mode == K_IOMMU_OFF)
        return 0;
    io.base = pl->iommu.base;
    io.fault_vector = pl->iommu.fault_vector;
    if (check_caps(pl, err, errlen) < 0)
        return -1;
    io.dev[0] = (io_dev_t){ .present = pl->nic.present, .rid = pl->nic.rid };
    io.dev[1] = (io_dev_t){ .present = pl->nvme.present, .rid = pl->nvme.rid };
    if (io.dev[0].present && io.dev[1].present && io.dev[0].rid == io.dev[1].rid)
        return drv_fail(err, errlen, "iommu: the NIC and NVMe share requester id ",
                        io.dev[0].rid, "");
    io.root = k_alloc(DRV_PAGE, DRV_PAGE);
    int bad = !io.root;
    if (io.mode == K_IOMMU_LEGACY) {
        for (unsigned i = 0; i < 2 && !bad; i++)
            bad = io.dev[i].present && legacy_device(&io.dev[i]) < 0;
    } else {
        bad = bad || (io.dev[0].present && scalable_nic(pl) < 0) ||
              (io.dev[1].present && scalable_nvme() < 0);
    }
    if (bad)
        return drv_fail0(err, errlen, "iommu: out of kernel memory (or domains) for the tables");
    return 0;
}

int k_iommu_map_ring(uint16_t rid, int pasid, uint64_t pa, uint64_t len)
{
    if (io.mode == K_IOMMU_OFF)
        return 0;
    int32_t key = io.mode == K_IOMMU_LEGACY ? -1 : pasid;
    for (unsigned i = 0; key >= 0 && i < 2; i++)
        if (io.dev[i].present && io.dev[i].rid == rid && (uint32_t)key == io.dev[i].rid_pasid)
            key = -1; /* its RID_PASID: the untagged domain */
    io_domain_t *d = domain_find(rid, key);
    if (!d)
        return -1;
    return map_range(d->slpt, pa, len);
}

/* ---------------------------------------------------------------- enable, faults */

static void fault_irq(void *ctx, unsigned vector)
{
    (void)ctx;
    (void)vector;
    k_state.st.irqs++;
    uint32_t fsts = rd32(VTD_FSTS);
    if (fsts & VTD_FSTS_PPF) {
        uint64_t fro = VTD_CAP_FRO(io.cap);
        for (unsigned i = 0; i < VTD_CAP_NFR(io.cap); i++) {
            k_charge(KC_CYCLE, FAULT_CYCLES);
            if (!(rd64(fro + 16 * i + 8) & VTD_FRCD_F))
                continue;
            k_state.st.iommu_faults++;
            wr32((uint32_t)(fro + 16 * i + 12), 1u << 31); /* F: write 1 to clear */
        }
    }
    if (fsts & VTD_FSTS_PFO)
        wr32(VTD_FSTS, VTD_FSTS_PFO);
}

int k_iommu_enable(char *err, size_t errlen)
{
    if (io.mode == K_IOMMU_OFF)
        return 0;
    unsigned ttm = io.mode == K_IOMMU_SCALABLE ? VTD_TTM_SCALABLE : VTD_TTM_LEGACY;
    wr64(VTD_RTADDR, io.root | (uint64_t)ttm << 10);
    wr32(VTD_GCMD, VTD_GCMD_SRTP);
    if (!(rd32(VTD_GSTS) & VTD_GSTS_RTPS))
        return drv_fail0(err, errlen, "iommu: the root table pointer was not latched");
    wr64(VTD_CCMD, VTD_CCMD_ICC | VTD_CCMD_GLOBAL);
    uint64_t iro = VTD_ECAP_IRO(io.ecap);
    wr64(iro, 0);
    wr64(iro + 8, VTD_IOTLB_IVT | VTD_IOTLB_GLOBAL);
    if ((rd64(VTD_CCMD) & VTD_CCMD_ICC) || (rd64(iro + 8) & VTD_IOTLB_IVT))
        return drv_fail0(err, errlen, "iommu: the cache invalidations did not complete");
    if (hal_irq_register(0, io.fault_vector, fault_irq, NULL) < 0)
        return drv_fail(err, errlen, "iommu: cannot register fault vector ", io.fault_vector,
                        " on core 0");
    wr32(VTD_FEDATA, io.fault_vector);
    wr32(VTD_FEADDR, MSI_ADDR(0));
    wr32(VTD_FEUADDR, 0);
    wr32(VTD_FECTL, 0); /* IM clear: fault events are signalled */
    wr32(VTD_GCMD, VTD_GCMD_TE);
    if (!(rd32(VTD_GSTS) & VTD_GSTS_TES))
        return drv_fail0(err, errlen, "iommu: translation did not enable");
    return 0;
}
