/* tests/devices/check_dma_iommu: devices doing DMA through the real IOMMU,
 * end to end: the 82599-class NIC (devices/nic.h) and the NVMe controller
 * (devices/nvme.h) on a PCIe bus (devices/pcie.h) whose every DMA goes
 * through the VT-d model (devices/iommu.h).
 *
 * The test is the kernel: it writes root, context, PASID and page tables
 * with tests/devices/iommu_drv.h, rings and descriptors as
 * tests/devices/check_nic.c does (82599 datasheet 8.2.3 offsets written
 * out below) and NVMe commands with tests/devices/nvme_drv.h, then checks
 * what a driver can see.  Expectations come from the specs:
 *   - VT-d rev. 3: fault recording register format (10.4.14: page in FI,
 *     SID, PP/PV for a PASID-tagged request, FR, T1 = 0 for a write and 1
 *     for a read), fault reasons (7.1.3: a write to / read from a
 *     not-present page reports 05h / 06h in legacy mode, 85h / 86h in
 *     scalable mode), FSTS.PPF, the fault-event MSI (address and data the
 *     test programmed, pcie.msix after the fault);
 *   - 82599: the advanced RX write-back status (DD bit 0, EOP bit 1), a
 *     descriptor not written back keeps status 0;
 *   - NVMe 1.4: a refused data transfer completes with status type 0
 *     (generic) and code 04h, Data Transfer Error (Generic Command Status
 *     Values table).
 * Isolation is also checked on memory itself: a faulting DMA moves no
 * byte, neither at the translated address nor at the physical address
 * equal to the untranslated iova. */
#include <stdint.h>
#include <string.h>

#include "devices/iommu.h"
#include "devices/irq.h"
#include "devices/mem.h"
#include "devices/nic.h"
#include "devices/pcie.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/iommu_drv.h"
#include "tests/devices/nvme_drv.h"

#define RW (IOD_R | IOD_W)
#define NO_PASID IOMMU_NO_PASID
#define FE_VEC 0xE0u /* the IOMMU's fault-event vector */
#define MSIX_PS SIM_NS(350) /* pcie.msix, "default" profile */

/* ================================================================ NIC */

/* 82599 registers (8.2.3) */
#define NIC_BAR UINT64_C(0xFE000000)
#define RXQ(q) (0x01000u + 0x40u * (q))
#define BAL 0x00u
#define BAH 0x04u
#define LEN 0x08u
#define HEAD 0x10u
#define SRRCTL 0x14u
#define TAIL 0x18u
#define DCTL 0x28u
#define ENABLE (1u << 25)
#define FDIRCTRL 0x0EE00u
#define FDIRIPSA 0x0EE18u
#define FDIRIPDA 0x0EE1Cu
#define FDIRPORT 0x0EE20u
#define FDIRHASH 0x0EE28u
#define FDIRCMD 0x0EE2Cu
#define STAT_DD 1u  /* RX write-back status (7.1.6.2) */
#define STAT_EOP 2u

#define NIC_RID 0x0300u /* 03:00.0 */
#define MEM_SIZE (UINT64_C(64) << 20)
#define TABLES (UINT64_C(48) << 20) /* page tables: 48-64 MiB */
#define FE_CORE 1u
#define RING(q) (UINT64_C(0x100000) + (q) * UINT64_C(0x1000)) /* identity mapped */
#define BUF_IOVA UINT64_C(0x500000)  /* mapped to BUF_PA */
#define BUF_PA UINT64_C(0x234000)
#define HOLE_IOVA UINT64_C(0x400000) /* never mapped */
#define PASID_B 100u                 /* queue q tags PASID_B + q */
#define X_IOVA UINT64_C(0x600000)    /* region X: queue 0's */
#define X_PA UINT64_C(0x1600000)
#define Y_IOVA UINT64_C(0x800000)    /* region Y: queue 1's */
#define Y_PA UINT64_C(0x1800000)
#define LOG 16u

typedef struct nrig {
    sim_t *sim;
    mem_t *mem;
    cost_table_t costs;
    iommu_t *io;
    pcie_t *bus;
    nic_t *nic;
    iod_pool_t tables;
    uint64_t root;
    unsigned nirq, irq_core[LOG], irq_vec[LOG];
    sim_time_t irq_at[LOG];
    uint8_t frame[LOG][128];
    size_t len[LOG];
} nrig_t;

static void nsink(void *ctx, unsigned core, unsigned vector)
{
    nrig_t *r = ctx;
    ck_assert_uint_lt(r->nirq, LOG);
    r->irq_core[r->nirq] = core;
    r->irq_vec[r->nirq] = vector;
    r->irq_at[r->nirq++] = sim_now(r->sim);
}

static void wr(nrig_t *r, uint32_t off, uint32_t v)
{
    pcie_mmio_write(r->bus, NIC_BAR + off, v, 4, NULL);
}
static void settle(nrig_t *r) { sim_run(r->sim, SIM_TIME_MAX); }

/* The machine with an IOMMU (translation off until the test enables it,
 * fault events unmasked to FE_CORE / FE_VEC) and the NIC. */
static void nic_up(nrig_t *r, unsigned queues, bool pasid_per_queue)
{
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    r->mem = mem_create(MEM_SIZE);
    ck_assert_int_eq(cost_table_init(&r->costs, "default"), 0);
    ck_assert_uint_eq(cost_ps(&r->costs, COST_PCIE_MSIX), MSIX_PS);
    irq_sink_t sink = { nsink, r };
    r->io = iommu_create(r->sim, r->mem, &r->costs, &(iommu_cfg_t){ .iotlb_entries = 64 }, sink);
    ck_assert_ptr_nonnull(r->io);
    r->bus = pcie_create(r->sim, r->mem, r->io, &r->costs, sink);
    ck_assert_ptr_nonnull(r->bus);
    nic_cfg_t cfg = { .queues = queues, .link_gbps = 40, .bar = NIC_BAR, .rid = NIC_RID,
                      .pasid_per_queue = pasid_per_queue, .pasid_base = PASID_B };
    r->nic = nic_create(r->sim, r->bus, &r->costs, &cfg);
    ck_assert_ptr_nonnull(r->nic);
    r->tables = (iod_pool_t){ r->mem, TABLES, MEM_SIZE };
    r->root = iod_page(&r->tables);
    iod_fault_event(r->io, FE_CORE, FE_VEC, true);
}

static void nic_down(nrig_t *r)
{
    nic_destroy(r->nic);
    pcie_destroy(r->bus);
    iommu_destroy(r->io);
    mem_destroy(r->mem);
    sim_destroy(r->sim);
}

/* RX queue q: an 8-descriptor ring at RING(q) (2 KiB buffers, advanced
 * one-buffer descriptors), the first n posted with buffers bufs[]. */
static void rx_ring(nrig_t *r, unsigned q, const uint64_t *bufs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        mem_write_u64(r->mem, RING(q) + 16 * i, bufs[i]); /* read format: packet buffer */
        mem_write_u64(r->mem, RING(q) + 16 * i + 8, 0);
    }
    wr(r, RXQ(q) + BAL, (uint32_t)RING(q));
    wr(r, RXQ(q) + BAH, 0);
    wr(r, RXQ(q) + LEN, 8 * 16);
    wr(r, RXQ(q) + SRRCTL, 1u << 25 | 2); /* DESCTYPE advanced one buffer, 2 KiB */
    wr(r, RXQ(q) + HEAD, 0);
    wr(r, RXQ(q) + TAIL, 0);
    wr(r, RXQ(q) + DCTL, ENABLE);
    wr(r, RXQ(q) + TAIL, n);
    settle(r);
}

/* Descriptor i of queue q, dword 2 (status) or 3 (length 15:0). */
static uint32_t desc32(nrig_t *r, unsigned q, unsigned i, unsigned dword)
{
    uint32_t v = 0xBAD;
    ck_assert_int_eq(mem_read_u32(r->mem, RING(q) + 16 * i + 4 * dword, &v), 0);
    return v;
}

/* Frame i: Ethernet + IPv4 + UDP from 10.0.0.1 to 10.0.0.2, port 7 ->
 * dport, 100 bytes without FCS, payload bytes tagged with i. */
static void frame(nrig_t *r, unsigned i, unsigned dport)
{
    uint8_t *f = r->frame[i];
    size_t len = 100;
    static const uint8_t hdr[42] = {
        0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,          /* Ethernet */
        0x45, 0, 0, 86, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, /* IPv4 */
        0, 7, 0, 0, 0, 66, 0, 0,                                      /* UDP */
    };
    memcpy(f, hdr, sizeof hdr);
    f[36] = (uint8_t)(dport >> 8);
    f[37] = (uint8_t)dport;
    for (size_t b = sizeof hdr; b < len; b++)
        f[b] = (uint8_t)(i * 31 + b);
    r->len[i] = len;
}

static void rx_ev(sim_t *sim, void *arg, uint64_t i)
{
    (void)sim;
    nrig_t *r = arg;
    nic_wire_rx(r->nic, r->frame[i], r->len[i]);
}

/* Frame i's last bit arrives 1 us from now; run everything; its time. */
static sim_time_t deliver(nrig_t *r, unsigned i)
{
    sim_time_t t = sim_now(r->sim) + SIM_US(1);
    sim_at(r->sim, t, rx_ev, r, i);
    settle(r);
    return t;
}

/* Memory at pa holds frame i / holds nothing (zeros) for its length. */
static void ck_frame_at(nrig_t *r, uint64_t pa, unsigned i)
{
    uint8_t got[128];
    ck_assert_int_eq(mem_read(r->mem, pa, got, r->len[i]), 0);
    ck_assert_mem_eq(got, r->frame[i], r->len[i]);
}

static void ck_zero_at(mem_t *mem, uint64_t pa, size_t len)
{
    uint8_t got[4096], zero[4096] = { 0 };
    ck_assert_uint_le(len, sizeof got);
    ck_assert_int_eq(mem_read(mem, pa, got, len), 0);
    ck_assert_mem_eq(got, zero, len);
}

/* Flow Director perfect filter (7.1.2.7): UDP 10.0.0.1:7 -> 10.0.0.2:dport
 * to queue q; FDIRCMD add | L4 UDP | queue enable | queue. */
static void steer(nrig_t *r, unsigned dport, unsigned q)
{
    wr(r, FDIRIPSA, 0x0A000001u);
    wr(r, FDIRIPDA, 0x0A000002u);
    wr(r, FDIRPORT, dport << 16 | 7u);
    wr(r, FDIRHASH, 0);
    wr(r, FDIRCMD, 1u | 1u << 5 | 1u << 15 | q << 16);
    settle(r);
}

/* Legacy mode, one domain for the NIC: its ring (identity) and BUF_IOVA. */
static void nic_legacy_tables(nrig_t *r)
{
    uint64_t sl = iod_legacy_device(&r->tables, r->root, NIC_RID, 4, 3);
    iod_map(&r->tables, sl, 4, RING(0), RING(0), 0x1000, RW);
    iod_map(&r->tables, sl, 4, BUF_IOVA, BUF_PA, 0x1000, RW);
    iod_enable(r->io, r->root, IOD_TTM_LEGACY);
}

START_TEST(test_nic_rx_into_unmapped_buffer_is_dropped_and_recorded)
{
    nrig_t r;
    nic_up(&r, 1, false);
    nic_legacy_tables(&r);
    rx_ring(&r, 0, (const uint64_t[]){ BUF_IOVA, HOLE_IOVA }, 2);
    frame(&r, 0, 1000);
    frame(&r, 1, 1001);
    /* descriptor 0: a mapped buffer: the frame lands at its translation */
    deliver(&r, 0);
    const nic_queue_stats_t *qs = nic_queue_stats(r.nic, 0);
    ck_assert_uint_eq(qs->rx_packets, 1);
    ck_assert_uint_eq(desc32(&r, 0, 0, 2), STAT_DD | STAT_EOP);
    ck_assert_uint_eq(desc32(&r, 0, 0, 3) & 0xFFFF, 100);
    ck_frame_at(&r, BUF_PA, 0);
    ck_zero_at(r.mem, BUF_IOVA, 100); /* not at the untranslated address */
    ck_assert_uint_eq(r.nirq, 0);
    /* descriptor 1: a buffer the IOMMU does not map */
    sim_time_t t = deliver(&r, 1);
    ck_assert_uint_eq(qs->rx_drops[NIC_DROP_IOMMU], 1);
    ck_assert_uint_eq(qs->rx_packets, 1);
    ck_assert_uint_eq(desc32(&r, 0, 1, 2), 0); /* no DD: not written back */
    ck_zero_at(r.mem, HOLE_IOVA, 100);
    ck_frame_at(&r, BUF_PA, 0);
    /* one fault recorded: FSTS.PPF, FRI 0; the payload write (T1 = 0) to
     * a not-present page (FR 05h) from 03:00.0, no PASID */
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), IOD_FSTS_PPF);
    ck_assert_uint_eq(iod_frcd_lo(r.io, 0), HOLE_IOVA);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0),
                      iod_frcd_hi_want(NIC_RID, IOD_FR_LGN_WRITE, true, NO_PASID));
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1) >> 63, 0); /* nothing else */
    /* the fault event reached the sink, pcie.msix after the fault */
    ck_assert_uint_eq(r.nirq, 1);
    ck_assert_uint_eq(r.irq_core[0], FE_CORE);
    ck_assert_uint_eq(r.irq_vec[0], FE_VEC);
    ck_assert_uint_eq(r.irq_at[0], t + MSIX_PS);
    ck_assert_uint_eq(iommu_stats(r.io)->faults[IOMMU_FAULT_NOT_PRESENT], 1);
    nic_down(&r);
}
END_TEST

START_TEST(test_nic_rx_pass_through_reaches_the_untranslated_address)
{
    nrig_t r;
    nic_up(&r, 1, false); /* translation never enabled: GSTS.TES = 0 */
    ck_assert_uint_eq(iod_rd32(r.io, IOD_GSTS) & IOD_GSTS_TES, 0);
    rx_ring(&r, 0, (const uint64_t[]){ HOLE_IOVA }, 1);
    frame(&r, 0, 1000);
    deliver(&r, 0);
    const nic_queue_stats_t *qs = nic_queue_stats(r.nic, 0);
    ck_assert_uint_eq(qs->rx_packets, 1);
    ck_assert_uint_eq(qs->rx_drops[NIC_DROP_IOMMU], 0);
    ck_assert_uint_eq(desc32(&r, 0, 0, 2), STAT_DD | STAT_EOP);
    ck_frame_at(&r, HOLE_IOVA, 0);
    /* the bus did ask the IOMMU, which passed the addresses through */
    const iommu_stats_t *st = iommu_stats(r.io);
    ck_assert_uint_gt(st->translations, 0);
    for (unsigned k = 0; k < IOMMU_FAULT_KINDS; k++)
        ck_assert_uint_eq(st->faults[k], 0);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0);
    ck_assert_uint_eq(r.nirq, 0);
    nic_down(&r);
}
END_TEST

/* Scalable mode, PASID per queue: queue 0 (PASID_B) maps its ring and
 * region X, queue 1 (PASID_B + 1) its ring and region Y, in domains 1
 * and 2.  Queue 0's ring: X then Y; queue 1's: Y then X.  Flow Director
 * sends dport 1000 to queue 0 and 2000 to queue 1. */
START_TEST(test_nic_pasid_per_queue_confines_each_queue_to_its_region)
{
    nrig_t r;
    nic_up(&r, 2, true);
    uint64_t pdir = iod_sm_device(&r.tables, r.root, NIC_RID, 0);
    uint64_t sl0 = iod_sm_pasid(&r.tables, pdir, PASID_B, 4, 1);
    uint64_t sl1 = iod_sm_pasid(&r.tables, pdir, PASID_B + 1, 4, 2);
    iod_map(&r.tables, sl0, 4, RING(0), RING(0), 0x1000, RW);
    iod_map(&r.tables, sl0, 4, X_IOVA, X_PA, 0x1000, RW);
    iod_map(&r.tables, sl1, 4, RING(1), RING(1), 0x1000, RW);
    iod_map(&r.tables, sl1, 4, Y_IOVA, Y_PA, 0x1000, RW);
    iod_enable(r.io, r.root, IOD_TTM_SCALABLE);
    wr(&r, FDIRCTRL, 1u | 1u << 4); /* PBALLOC 64 KiB, perfect match */
    steer(&r, 1000, 0);
    steer(&r, 2000, 1);
    rx_ring(&r, 0, (const uint64_t[]){ X_IOVA, Y_IOVA }, 2);
    rx_ring(&r, 1, (const uint64_t[]){ Y_IOVA, X_IOVA }, 2);
    frame(&r, 0, 1000);
    frame(&r, 1, 2000);
    frame(&r, 2, 1000);
    frame(&r, 3, 2000);
    const nic_queue_stats_t *q0 = nic_queue_stats(r.nic, 0), *q1 = nic_queue_stats(r.nic, 1);
    /* each queue into its own region: delivered */
    deliver(&r, 0);
    deliver(&r, 1);
    ck_assert_uint_eq(q0->rx_packets, 1);
    ck_assert_uint_eq(q1->rx_packets, 1);
    ck_assert_uint_eq(desc32(&r, 0, 0, 2) & (STAT_DD | STAT_EOP), STAT_DD | STAT_EOP);
    ck_assert_uint_eq(desc32(&r, 1, 0, 2) & (STAT_DD | STAT_EOP), STAT_DD | STAT_EOP);
    ck_frame_at(&r, X_PA, 0);
    ck_frame_at(&r, Y_PA, 1);
    /* each queue into the other's region: the same iovas fault */
    deliver(&r, 2);
    deliver(&r, 3);
    ck_assert_uint_eq(q0->rx_drops[NIC_DROP_IOMMU], 1);
    ck_assert_uint_eq(q1->rx_drops[NIC_DROP_IOMMU], 1);
    ck_assert_uint_eq(q0->rx_packets + q1->rx_packets, 2);
    ck_assert_uint_eq(desc32(&r, 0, 1, 2), 0);
    ck_assert_uint_eq(desc32(&r, 1, 1, 2), 0);
    ck_frame_at(&r, X_PA, 0); /* untouched by queue 1 */
    ck_frame_at(&r, Y_PA, 1); /* untouched by queue 0 */
    /* records carry the queue's PASID (PP, PV) and the scalable-mode
     * reason for a write to a not-present page (85h) */
    ck_assert_uint_eq(iod_frcd_lo(r.io, 0), Y_IOVA);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0),
                      iod_frcd_hi_want(NIC_RID, IOD_FR_SGN_WRITE, true, PASID_B));
    ck_assert_uint_eq(iod_frcd_lo(r.io, 1), X_IOVA);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1),
                      iod_frcd_hi_want(NIC_RID, IOD_FR_SGN_WRITE, true, PASID_B + 1));
    ck_assert_uint_eq(r.nirq, 1); /* PPF was set once */
    ck_assert_uint_eq(r.irq_vec[0], FE_VEC);
    nic_down(&r);
}
END_TEST

/* ================================================================ NVMe */

#define NVME_RID 0x0410u /* 04:02.0 */
#define SCT_GENERIC 0
#define SC_SUCCESS 0x00
#define SC_DATA_XFER 0x04 /* Data Transfer Error */
#define NV_IOVA UINT64_C(0x2000000)   /* data iovas: 32 MiB up, 4 KiB apart */
#define NV_HOLE UINT64_C(0x2800000)   /* never mapped */

static drv_t D;

static uint64_t D_root;
static iod_pool_t D_tables;

static void nvme_up(bool pasid_per_queue)
{
    nvme_cfg_t c;
    nvme_cfg_default(&c);
    c.rid = NVME_RID;
    c.io_queues = 4;
    c.msix_vectors = 5;
    c.max_queue_entries = 64;
    c.ns_blocks = 1024;
    c.lba_size = 4096;
    c.pasid_per_queue = pasid_per_queue;
    drv_up_with(&D, &c, 64);
    uint64_t t = drv_alloc(&D, 64 * 4096);
    D_tables = (iod_pool_t){ D.mem, t, t + 64 * 4096 };
    D_root = iod_page(&D_tables);
    iod_fault_event(D.iommu, DRV_CORE, FE_VEC, true);
    drv_enable(&D, 16, 16);
}

/* Identity-map the page holding queue q. */
static void map_queue(uint64_t sl, const tq_t *q)
{
    iod_map(&D_tables, sl, 4, q->base, q->base, 0x1000, RW);
}

/* A zeroed data page at iova NV_IOVA + k * 4 KiB, mapped in sl; its pa. */
static uint64_t data_page(uint64_t sl, unsigned k)
{
    uint64_t pa = drv_alloc(&D, 4096);
    iod_map(&D_tables, sl, 4, NV_IOVA + k * UINT64_C(0x1000), pa, 0x1000, RW);
    return pa;
}

static uint64_t iova(unsigned k) { return NV_IOVA + k * UINT64_C(0x1000); }

/* Submit one I/O command on sq, run, return its completion from cq. */
static cqe_t io_cmd(tq_t *sq, tq_t *cq, sqe_args_t a)
{
    uint16_t cid = drv_put(&D, sq, a);
    drv_ring(&D, sq);
    drv_run(&D);
    cqe_t e;
    ck_assert_msg(drv_reap(&D, cq, &e), "no I/O completion");
    ck_assert_uint_eq(e.cid, cid);
    drv_ring_cq(&D, cq);
    drv_run(&D);
    return e;
}

static void fill(uint64_t pa, uint8_t seed)
{
    uint8_t b[4096];
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)(seed + i * 7);
    ck_assert_int_eq(mem_write(D.mem, pa, b, sizeof b), 0);
}

/* The page at pa holds what fill(.., seed) put there. */
static void ck_filled(uint64_t pa, uint8_t seed)
{
    uint8_t got[4096], want[4096];
    for (size_t i = 0; i < sizeof want; i++)
        want[i] = (uint8_t)(seed + i * 7);
    ck_assert_int_eq(mem_read(D.mem, pa, got, sizeof got), 0);
    ck_assert_mem_eq(got, want, sizeof got);
}

static unsigned fault_events(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < D.nirq; i++)
        n += D.irq_vec[i] == FE_VEC;
    return n;
}

START_TEST(test_nvme_read_into_unmapped_prp_is_a_data_transfer_error)
{
    tq_t sq, cq;
    nvme_up(false);
    uint64_t sl = iod_legacy_device(&D_tables, D_root, NVME_RID, 4, 7);
    map_queue(sl, &D.asq);
    map_queue(sl, &D.acq);
    iod_enable(D.iommu, D_root, IOD_TTM_LEGACY);
    ck_status(drv_create_cq(&D, &cq, 1, 8, 1), SCT_GENERIC, SC_SUCCESS);
    ck_status(drv_create_sq(&D, &sq, 1, 8, 1), SCT_GENERIC, SC_SUCCESS);
    map_queue(sl, &sq);
    map_queue(sl, &cq);
    uint64_t dst = data_page(sl, 1);
    fill(data_page(sl, 0), 0x5A);
    /* mapped: Write LBA 5 from iova 0, Read it back into iova 1 */
    ck_status(io_cmd(&sq, &cq, drv_rw(true, 5, 1, iova(0), 0)), SCT_GENERIC, SC_SUCCESS);
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 5, 1, iova(1), 0)), SCT_GENERIC, SC_SUCCESS);
    ck_filled(dst, 0x5A);
    ck_zero_at(D.mem, iova(1), 4096); /* not at the untranslated address */
    ck_assert_uint_eq(fault_events(), 0);
    /* PRP1 unmapped: the data write to the host faults */
    cqe_t e = io_cmd(&sq, &cq, drv_rw(false, 5, 1, NV_HOLE, 0));
    ck_status(e, SCT_GENERIC, SC_DATA_XFER);
    ck_assert_uint_eq(nvme_stats(D.nvme)->dma_faults, 1);
    ck_zero_at(D.mem, NV_HOLE, 4096);
    ck_assert_uint_eq(iod_rd32(D.iommu, IOD_FSTS), IOD_FSTS_PPF);
    ck_assert_uint_eq(iod_frcd_lo(D.iommu, 0), NV_HOLE);
    ck_assert_uint_eq(iod_frcd_hi(D.iommu, 0),
                      iod_frcd_hi_want(NVME_RID, IOD_FR_LGN_WRITE, true, NO_PASID));
    ck_assert_uint_eq(fault_events(), 1);
    /* the queue pair still works */
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 5, 1, iova(1), 0)), SCT_GENERIC, SC_SUCCESS);
    drv_down(&D);
}
END_TEST

START_TEST(test_nvme_pass_through_reaches_the_untranslated_address)
{
    tq_t sq, cq;
    nvme_up(false); /* translation never enabled: GSTS.TES = 0 */
    ck_assert_uint_eq(iod_rd32(D.iommu, IOD_GSTS) & IOD_GSTS_TES, 0);
    ck_status(drv_create_cq(&D, &cq, 1, 8, 1), SCT_GENERIC, SC_SUCCESS);
    ck_status(drv_create_sq(&D, &sq, 1, 8, 1), SCT_GENERIC, SC_SUCCESS);
    uint64_t src = drv_alloc(&D, 4096);
    fill(src, 0x3C);
    ck_status(io_cmd(&sq, &cq, drv_rw(true, 5, 1, src, 0)), SCT_GENERIC, SC_SUCCESS);
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 5, 1, NV_HOLE, 0)), SCT_GENERIC, SC_SUCCESS);
    ck_filled(NV_HOLE, 0x3C);
    ck_assert_uint_eq(nvme_stats(D.nvme)->dma_faults, 0);
    ck_assert_uint_gt(iommu_stats(D.iommu)->translations, 0);
    ck_assert_uint_eq(iod_rd32(D.iommu, IOD_FSTS), 0);
    ck_assert_uint_eq(fault_events(), 0);
    drv_down(&D);
}
END_TEST

/* Scalable mode, PASID = queue id: PASID 0 (admin) maps the admin queues,
 * PASID 1 its queue pair and data pages 0-1 (region A), PASID 2 its pair
 * and pages 2-3 (region B); domains 10, 11, 12. */
START_TEST(test_nvme_pasid_per_queue_confines_each_queue_pair_to_its_region)
{
    tq_t sq1, cq1, sq2, cq2;
    nvme_up(true);
    uint64_t pdir = iod_sm_device(&D_tables, D_root, NVME_RID, 0);
    uint64_t sl0 = iod_sm_pasid(&D_tables, pdir, 0, 4, 10);
    map_queue(sl0, &D.asq);
    map_queue(sl0, &D.acq);
    iod_enable(D.iommu, D_root, IOD_TTM_SCALABLE);
    ck_status(drv_create_cq(&D, &cq1, 1, 8, 1), SCT_GENERIC, SC_SUCCESS);
    ck_status(drv_create_sq(&D, &sq1, 1, 8, 1), SCT_GENERIC, SC_SUCCESS);
    ck_status(drv_create_cq(&D, &cq2, 2, 8, 2), SCT_GENERIC, SC_SUCCESS);
    ck_status(drv_create_sq(&D, &sq2, 2, 8, 2), SCT_GENERIC, SC_SUCCESS);
    uint64_t sl1 = iod_sm_pasid(&D_tables, pdir, 1, 4, 11);
    uint64_t sl2 = iod_sm_pasid(&D_tables, pdir, 2, 4, 12);
    map_queue(sl1, &sq1);
    map_queue(sl1, &cq1);
    map_queue(sl2, &sq2);
    map_queue(sl2, &cq2);
    uint64_t a0 = data_page(sl1, 0), a1 = data_page(sl1, 1);
    uint64_t b0 = data_page(sl2, 2), b1 = data_page(sl2, 3);
    fill(a0, 0x11);
    fill(b0, 0x22);
    /* each pair within its region: LBA 0 from A, LBA 1 from B, crossed reads */
    ck_status(io_cmd(&sq1, &cq1, drv_rw(true, 0, 1, iova(0), 0)), SCT_GENERIC, SC_SUCCESS);
    ck_status(io_cmd(&sq2, &cq2, drv_rw(true, 1, 1, iova(2), 0)), SCT_GENERIC, SC_SUCCESS);
    ck_status(io_cmd(&sq1, &cq1, drv_rw(false, 1, 1, iova(1), 0)), SCT_GENERIC, SC_SUCCESS);
    ck_status(io_cmd(&sq2, &cq2, drv_rw(false, 0, 1, iova(3), 0)), SCT_GENERIC, SC_SUCCESS);
    ck_filled(a1, 0x22);
    ck_filled(b1, 0x11);
    /* into the other pair's region: Data Transfer Error, memory unchanged */
    ck_status(io_cmd(&sq1, &cq1, drv_rw(false, 0, 1, iova(2), 0)), SCT_GENERIC, SC_DATA_XFER);
    ck_status(io_cmd(&sq2, &cq2, drv_rw(false, 1, 1, iova(0), 0)), SCT_GENERIC, SC_DATA_XFER);
    ck_filled(b0, 0x22);
    ck_filled(a0, 0x11);
    /* ... and from it: a Write's data read faults too (T1 = 1) */
    ck_status(io_cmd(&sq1, &cq1, drv_rw(true, 2, 1, iova(3), 0)), SCT_GENERIC, SC_DATA_XFER);
    ck_assert_uint_eq(nvme_stats(D.nvme)->dma_faults, 3);
    ck_assert_uint_eq(nvme_stats(D.nvme)->write_bytes, 2 * 4096);
    ck_assert_uint_eq(iod_frcd_lo(D.iommu, 0), iova(2));
    ck_assert_uint_eq(iod_frcd_hi(D.iommu, 0),
                      iod_frcd_hi_want(NVME_RID, IOD_FR_SGN_WRITE, true, 1));
    ck_assert_uint_eq(iod_frcd_lo(D.iommu, 1), iova(0));
    ck_assert_uint_eq(iod_frcd_hi(D.iommu, 1),
                      iod_frcd_hi_want(NVME_RID, IOD_FR_SGN_WRITE, true, 2));
    ck_assert_uint_eq(iod_frcd_lo(D.iommu, 2), iova(3));
    ck_assert_uint_eq(iod_frcd_hi(D.iommu, 2),
                      iod_frcd_hi_want(NVME_RID, IOD_FR_SGN_READ, false, 1));
    ck_assert_uint_eq(fault_events(), 1); /* PPF was set once */
    drv_down(&D);
}
END_TEST

static Suite *dma_iommu_suite(void)
{
    Suite *s = suite_create("dma_iommu");
    struct {
        const char *name;
        const TTest *fn;
    } const cases[] = {
        { "nic_unmapped_buffer", test_nic_rx_into_unmapped_buffer_is_dropped_and_recorded },
        { "nic_pass_through", test_nic_rx_pass_through_reaches_the_untranslated_address },
        { "nic_pasid_per_queue", test_nic_pasid_per_queue_confines_each_queue_to_its_region },
        { "nvme_unmapped_prp", test_nvme_read_into_unmapped_prp_is_a_data_transfer_error },
        { "nvme_pass_through", test_nvme_pass_through_reaches_the_untranslated_address },
        { "nvme_pasid_per_queue",
          test_nvme_pasid_per_queue_confines_each_queue_pair_to_its_region },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

CHECK_MAIN(dma_iommu_suite)
