/* The VT-d driver (kernel/drv_iommu.c) through the real IOMMU model:
 * legacy mode maps every partition identity for each device and nothing
 * of the kernel's own memory; scalable mode gives each device queue's
 * PASID its own process's partition only; a DMA a device makes to memory
 * outside what was mapped faults, and the kernel's fault handler (the
 * fault-event MSI on core 0) reads and counts the record; off mode builds
 * nothing.  Devices and the whole stack keep working with translation on
 * (NIC receive, NVMe read-after-write in scalable mode).
 *
 * Expectations: identity (iova == pa) and the partition bounds from the
 * plan; fault kinds from devices/iommu.h; the fault status register
 * (VT-d 10.4.9: PPF bit 1) read back as clear once the handler ran. */
#include "tests/check_main.h"

#include "devices/iommu.h"
#include "devices/nic.h"
#include "devices/pcie.h"
#include "kernel/k.h"
#include "tests/kernel/kharness.h"

#define PASID_BASE 32u
#define PROBE_BAR UINT64_C(0xE0000000)
#define VTD_RTADDR 0x20u
#define VTD_FSTS 0x34u
#define VTD_FSTS_PPF 2u

static kh_t h;

static void boot(machine_iommu_mode_t mode, unsigned nic_q, unsigned nvme_q)
{
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    cfg.iommu_mode = mode;
    bool sm = mode == MACHINE_IOMMU_SCALABLE;
    cfg.nic.pasid_per_queue = sm;
    cfg.nic.pasid_base = sm ? PASID_BASE : 0;
    cfg.nvme.pasid_per_queue = sm;
    ck_assert_msg(kh_init(&h, &cfg) == 0, "%s", h.err);
    kh_plan(&h, 3, nic_q, nvme_q);
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
}

static void teardown(void)
{
    kh_fini(&h);
}

/* Translate one byte as the device would: IOMMU_OK with *pa, or the fault. */
static iommu_fault_t xlate(uint16_t rid, uint32_t pasid, uint64_t iova, uint64_t *pa)
{
    uint64_t end;
    sim_time_t cost;
    return iommu_translate(h.m.iommu, rid, pasid, iova, true, pa, &end, &cost);
}

static void expect_identity(uint16_t rid, uint32_t pasid, uint64_t base, uint64_t size)
{
    const uint64_t probes[] = {base, base + 4096, base + size / 2 + 123, base + size - 1};
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        uint64_t pa = 0;
        ck_assert_int_eq(xlate(rid, pasid, probes[i], &pa), IOMMU_OK);
        ck_assert_uint_eq(pa, probes[i]);
    }
}

static void expect_fault(uint16_t rid, uint32_t pasid, uint64_t iova)
{
    uint64_t pa;
    ck_assert_int_ne(xlate(rid, pasid, iova, &pa), IOMMU_OK);
}

static const k_plan_proc_t *part(unsigned pid) { return &h.plan.procs[pid]; }

/* Past the last partition: memory no process owns. */
static uint64_t unowned(void)
{
    return part(h.plan.nprocs - 1)->mem_base + part(h.plan.nprocs - 1)->mem_size + 8192;
}

static uint64_t root_table(void)
{
    return iommu_mmio_read(h.m.iommu, VTD_RTADDR, 8) & ~UINT64_C(0xFFF);
}

static uint64_t probe_read(void *dev, uint64_t off, unsigned size)
{
    (void)dev;
    (void)off;
    (void)size;
    return 0;
}

static void probe_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)dev;
    (void)off;
    (void)val;
    (void)size;
}

/* A PCIe function that DMAs with the given requester id, as a device. */
static pcie_dev_t *probe(uint16_t rid)
{
    static const pcie_ops_t none = {probe_read, probe_write};
    pcie_dev_t *d = pcie_attach(h.m.bus, "probe", rid, PROBE_BAR, 0x1000, &none, NULL,
                                (pcie_link_t){.gen = 3, .lanes = 4}, 0, 0);
    ck_assert_ptr_nonnull(d);
    return d;
}

static pcie_dma_status_t dma_write(pcie_dev_t *d, uint32_t pasid, uint64_t addr)
{
    uint8_t b[64] = {1, 2, 3};
    sim_time_t done;
    return pcie_dma_write(d, pasid, addr, b, sizeof b, &done);
}

/* ---------------------------------------------------------------- legacy */

START_TEST(test_legacy_maps_every_partition_for_each_device)
{
    boot(MACHINE_IOMMU_LEGACY, 1, 1);
    for (unsigned p = 0; p < 3; p++) {
        expect_identity(MACHINE_NIC_RID, IOMMU_NO_PASID, part(p)->mem_base, part(p)->mem_size);
        expect_identity(MACHINE_NVME_RID, IOMMU_NO_PASID, part(p)->mem_base, part(p)->mem_size);
    }
    /* the NIC's rings are mapped for it, not for the NVMe controller */
    uint64_t ring = k_nic_rx_ring(0), pa = 0;
    ck_assert_int_eq(xlate(MACHINE_NIC_RID, IOMMU_NO_PASID, ring, &pa), IOMMU_OK);
    ck_assert_uint_eq(pa, ring);
    expect_fault(MACHINE_NVME_RID, IOMMU_NO_PASID, ring);
    /* never the kernel's tables, memory no process owns, an unknown device */
    expect_fault(MACHINE_NIC_RID, IOMMU_NO_PASID, root_table());
    expect_fault(MACHINE_NIC_RID, IOMMU_NO_PASID, unowned());
    expect_fault(0x0100, IOMMU_NO_PASID, part(0)->mem_base);
}
END_TEST

START_TEST(test_dma_outside_partitions_faults_and_is_counted)
{
    boot(MACHINE_IOMMU_LEGACY, 1, 1);
    pcie_dev_t *nic = probe(MACHINE_NIC_RID);
    ck_assert_int_eq(dma_write(nic, IOMMU_NO_PASID, part(1)->mem_base + 4096), PCIE_DMA_OK);
    uint64_t before = k_stats()->iommu_faults, irqs = k_stats()->irqs;
    ck_assert_uint_eq(before, 0);
    ck_assert_int_eq(dma_write(nic, IOMMU_NO_PASID, unowned()), PCIE_DMA_FAULT);
    ck_assert_int_eq(dma_write(nic, IOMMU_NO_PASID, root_table()), PCIE_DMA_FAULT);
    ck_assert_uint_eq(k_stats()->iommu_faults, 0); /* the interrupt is still on its way */
    kh_run_for(&h, SIM_US(10));
    ck_assert_uint_eq(k_stats()->iommu_faults, 2); /* both records, one event */
    ck_assert_uint_gt(k_stats()->irqs, irqs);
    ck_assert_uint_eq(iommu_mmio_read(h.m.iommu, VTD_FSTS, 4) & VTD_FSTS_PPF, 0);
    /* cleared records: the next fault raises a new event */
    ck_assert_int_eq(dma_write(nic, IOMMU_NO_PASID, unowned() + 4096), PCIE_DMA_FAULT);
    kh_run_for(&h, SIM_US(10));
    ck_assert_uint_eq(k_stats()->iommu_faults, 3);
}
END_TEST

/* _i = 0 legacy, 1 scalable (the NIC tags each queue's DMA). */
START_TEST(test_stack_still_receives)
{
    boot(_i ? MACHINE_IOMMU_SCALABLE : MACHINE_IOMMU_LEGACY, 1, 0);
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, 0, &in), 0);
    struct pk_sqe s = {.opcode = PK_OP_NET_RX_REFILL, .queue = in.nic_queue[0],
                       .addr = in.heap_base, .len = 2048};
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    kh_run_for(&h, SIM_US(2));
    /* the RETA spreads over queues 0, 1, 2: vary the source port until
     * a frame lands in queue 0 (the others have no buffers: dropped) */
    uint8_t f[64] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45};
    f[23] = 17;
    for (unsigned sport = 1; nic_queue_stats(h.m.nic, 0)->rx_packets == 0 && sport < 64; sport++) {
        f[34] = (uint8_t)sport;
        nic_wire_rx(h.m.nic, f, sizeof f);
        kh_run_for(&h, SIM_US(5));
    }
    ck_assert_uint_eq(nic_queue_stats(h.m.nic, 0)->rx_packets, 1);
    ck_assert_uint_eq(k_stats()->iommu_faults, 0);
    uint8_t got[64];
    kh_read(&h, in.heap_base, got, sizeof got);
    ck_assert_uint_eq(got[34], f[34]);
}
END_TEST

/* ---------------------------------------------------------------- scalable */

START_TEST(test_scalable_pasid_maps_only_its_process)
{
    boot(MACHINE_IOMMU_SCALABLE, 2, 2);
    for (unsigned p = 0; p < 3; p++) {
        struct pk_info in;
        ck_assert_int_eq(kh_info(&h, p, &in), 0);
        unsigned other = (p + 1) % 3;
        for (unsigned k = 0; k < 2; k++) {
            uint32_t nic_pasid = PASID_BASE + in.nic_queue[k], nvme_pasid = in.nvme_qid[k];
            expect_identity(MACHINE_NIC_RID, nic_pasid, part(p)->mem_base, part(p)->mem_size);
            expect_identity(MACHINE_NVME_RID, nvme_pasid, part(p)->mem_base, part(p)->mem_size);
            expect_fault(MACHINE_NIC_RID, nic_pasid, part(other)->mem_base);
            expect_fault(MACHINE_NVME_RID, nvme_pasid, part(other)->mem_base + 4096);
            /* its own rings, not another queue's */
            uint64_t pa = 0;
            ck_assert_int_eq(xlate(MACHINE_NIC_RID, nic_pasid, in.rx_ring[k], &pa), IOMMU_OK);
            expect_fault(MACHINE_NIC_RID, nic_pasid, in.rx_ring[1 - k]);
        }
    }
    /* untagged DMA (RID_PASID) reaches no partition */
    expect_fault(MACHINE_NIC_RID, IOMMU_NO_PASID, part(0)->mem_base);
    expect_fault(MACHINE_NVME_RID, IOMMU_NO_PASID, part(0)->mem_base);
    /* a PASID no queue has */
    expect_fault(MACHINE_NIC_RID, PASID_BASE + 15, part(0)->mem_base);
}
END_TEST

START_TEST(test_scalable_queue_dma_into_a_foreign_partition_faults)
{
    boot(MACHINE_IOMMU_SCALABLE, 1, 1);
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, 1, &in), 0);
    pcie_dev_t *nic = probe(MACHINE_NIC_RID);
    uint32_t pasid = PASID_BASE + in.nic_queue[0]; /* process 1's queue */
    ck_assert_int_eq(dma_write(nic, pasid, part(1)->mem_base + 8192), PCIE_DMA_OK);
    ck_assert_int_eq(dma_write(nic, pasid, part(0)->mem_base + 8192), PCIE_DMA_FAULT);
    kh_run_for(&h, SIM_US(10));
    ck_assert_uint_eq(k_stats()->iommu_faults, 1);
}
END_TEST

START_TEST(test_scalable_nvme_read_after_write)
{
    boot(MACHINE_IOMMU_SCALABLE, 0, 1); /* boot itself ran the admin queue on PASID 0 */
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, 2, &in), 0);
    static uint8_t a[3 * 4096], b[3 * 4096];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(i * 13 + 1);
    kh_write(&h, in.heap_base + 100 * 4, a, sizeof a); /* unaligned: a PRP list */
    struct pk_sqe w = {.opcode = PK_OP_BLK_WRITE, .queue = in.nvme_qid[0],
                       .addr = in.heap_base + 400, .len = sizeof a, .user_data = 1};
    w.u.blk.lba = 42;
    ck_assert_int_eq(kh_submit(&h, 2, &w), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_wait_cqe(&h, 2, &c, sim_now(h.sim) + SIM_MS(5)), 0);
    ck_assert_int_eq(c.res, (int32_t)sizeof a);
    struct pk_sqe r = w;
    r.opcode = PK_OP_BLK_READ;
    r.addr = in.heap_base + (UINT64_C(1) << 20);
    r.user_data = 2;
    ck_assert_int_eq(kh_submit(&h, 2, &r), 1);
    ck_assert_int_eq(kh_wait_cqe(&h, 2, &c, sim_now(h.sim) + SIM_MS(5)), 0);
    ck_assert_int_eq(c.res, (int32_t)sizeof b);
    kh_read(&h, r.addr, b, sizeof b);
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_uint_eq(k_stats()->iommu_faults, 0);
}
END_TEST

/* ---------------------------------------------------------------- off */

START_TEST(test_off_leaves_translation_disabled)
{
    boot(MACHINE_IOMMU_OFF, 1, 1);
    uint64_t pa = 0;
    ck_assert_int_eq(xlate(MACHINE_NIC_RID, IOMMU_NO_PASID, unowned(), &pa), IOMMU_OK);
    ck_assert_uint_eq(pa, unowned());
    ck_assert_uint_eq(iommu_mmio_read(h.m.iommu, VTD_RTADDR, 8), 0);
}
END_TEST

START_TEST(test_fault_vector_colliding_with_a_driver_vector_is_refused)
{
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    ck_assert_msg(kh_init(&h, &cfg) == 0, "%s", h.err);
    kh_plan(&h, 1, 1, 0);
    h.plan.iommu.fault_vector = K_NVME_VECTOR;
    ck_assert_int_eq(kh_boot(&h), -1);
    ck_assert_ptr_nonnull(strstr(h.err, "fault_vector"));
}
END_TEST

static Suite *drv_iommu_suite(void)
{
    Suite *s = suite_create("kernel_drv_iommu");
    TCase *l = tcase_create("legacy");
    tcase_add_checked_fixture(l, NULL, teardown);
    tcase_add_test(l, test_legacy_maps_every_partition_for_each_device);
    tcase_add_test(l, test_dma_outside_partitions_faults_and_is_counted);
    tcase_add_loop_test(l, test_stack_still_receives, 0, 2);
    suite_add_tcase(s, l);
    TCase *sm = tcase_create("scalable");
    tcase_add_checked_fixture(sm, NULL, teardown);
    tcase_add_test(sm, test_scalable_pasid_maps_only_its_process);
    tcase_add_test(sm, test_scalable_queue_dma_into_a_foreign_partition_faults);
    tcase_add_test(sm, test_scalable_nvme_read_after_write);
    suite_add_tcase(s, sm);
    TCase *o = tcase_create("off");
    tcase_add_checked_fixture(o, NULL, teardown);
    tcase_add_test(o, test_off_leaves_translation_disabled);
    tcase_add_test(o, test_fault_vector_colliding_with_a_driver_vector_is_refused);
    suite_add_tcase(s, o);
    return s;
}

CHECK_MAIN(drv_iommu_suite)
