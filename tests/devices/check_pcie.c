/* tests/devices/check_pcie: the PCIe bus (devices/pcie.h), driven like a
 * kernel would drive it: MMIO by address (routing, master aborts, posted
 * writes and their order, non-posted reads) and MSI-X through the table in
 * the BAR.  DMA (timing, landing, the IOMMU path) is check_pcie_dma.
 *
 * Expectations are computed by hand from the specification (PCIe ordering
 * rules, the MSI-X table and PBA layout, the MSI address window of the
 * Intel SDM 11.11.1) and the cost table's "default" profile
 * (pcie.mmio_write 100 ns, pcie.mmio_read 750 ns, pcie.dma 350 ns,
 * pcie.msix 350 ns); the profile values are asserted once so a change
 * there shows up here, not as a puzzling timing failure.  No IOMMU is
 * attached (pass-through).  The rig is tests/devices/pcie_tt.h. */
#include <stdint.h>

#include "devices/pcie.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/pcie_tt.h"

/* ---------------------------------------------------------------- profile */

START_TEST(test_default_profile_values_assumed_here)
{
    cost_table_t t;
    ck_assert_int_eq(cost_table_init(&t, "default"), 0);
    ck_assert_uint_eq(cost_ps(&t, COST_PCIE_MMIO_WRITE), SIM_NS(100));
    ck_assert_uint_eq(cost_ps(&t, COST_PCIE_MMIO_READ), SIM_NS(750));
    ck_assert_uint_eq(cost_ps(&t, COST_PCIE_DMA), SIM_NS(350));
    ck_assert_uint_eq(cost_ps(&t, COST_PCIE_MSIX), SIM_NS(350));
    ck_assert_uint_eq(cost_ps(&t, COST_IOMMU_IOTLB_MISS), SIM_NS(330));
    ck_assert_uint_eq(cost_ps(&t, COST_IOMMU_IOTLB_HIT), 0);
}
END_TEST

/* ---------------------------------------------------------------- routing */

START_TEST(test_accesses_reach_the_device_owning_the_range)
{
    rig_t r;
    rig_init(&r, false);
    wr(&r, BAR_A + 0x10, 0xAAAA, 4);
    wr(&r, BAR_B + 0xFFC, 0xBBBB, 4);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.a.nwr, 1);
    ck_assert_uint_eq(r.a.wr[0].off, 0x10);
    ck_assert_uint_eq(r.a.wr[0].val, 0xAAAA);
    ck_assert_uint_eq(r.b.nwr, 1);
    ck_assert_uint_eq(r.b.wr[0].off, 0xFFC);
    ck_assert_uint_eq(r.b.wr[0].val, 0xBBBB);
    ck_assert_uint_eq(rd(&r, BAR_B + 0xFFC, 4), 0xBBBB);
    ck_assert_uint_eq(rd(&r, BAR_A + 0x10, 2), 0xAAAA);
    ck_assert_uint_eq(r.a.nrd, 1);
    ck_assert_uint_eq(r.b.nrd, 1);
    ck_assert_uint_eq(pcie_stats(r.bus)->mmio_writes, 2);
    ck_assert_uint_eq(pcie_stats(r.bus)->mmio_reads, 2);
    ck_assert_uint_eq(pcie_stats(r.bus)->master_aborts, 0);
    rig_fini(&r);
}
END_TEST

START_TEST(test_platform_range_is_routed)
{
    rig_t r;
    rig_init(&r, false);
    tdev_t p = { .sim = r.sim };
    ck_assert_int_eq(pcie_map_mmio(r.bus, 0xFED90000u, 0x1000, &tdev_ops, &p), 0);
    wr(&r, 0xFED90000u + 0x18, 7, 8);
    ck_assert_uint_eq(rd(&r, 0xFED90000u + 0x18, 8), 7);
    ck_assert_uint_eq(p.nwr, 1);
    ck_assert_uint_eq(p.wr[0].off, 0x18);
    rig_fini(&r);
}
END_TEST

START_TEST(test_overlapping_ranges_rejected)
{
    rig_t r;
    rig_init(&r, false);
    tdev_t x = { .sim = r.sim };
    /* A: [0xF0000000, 0xF0004000), B: [0xF0100000, 0xF0101000). */
    ck_assert_ptr_null(pcie_attach(r.bus, "x", 0x300, BAR_A + 0x3000, 0x2000, &tdev_ops, &x,
                                   GEN3_X8, 0, 0));
    ck_assert_ptr_null(pcie_attach(r.bus, "x", 0x300, BAR_B - 0x1000, 0x1001, &tdev_ops, &x,
                                   GEN3_X8, 0, 0));
    ck_assert_int_eq(pcie_map_mmio(r.bus, BAR_A - 0x1000, 0x10000, &tdev_ops, &x), -1);
    /* Adjacent on both sides is fine. */
    ck_assert_ptr_nonnull(pcie_attach(r.bus, "x", 0x300, BAR_A + BAR_SIZE, 0x1000, &tdev_ops,
                                      &x, GEN3_X8, 0, 0));
    ck_assert_int_eq(pcie_map_mmio(r.bus, BAR_A - 0x1000, 0x1000, &tdev_ops, &x), 0);
    rig_fini(&r);
}
END_TEST

START_TEST(test_attach_rejects_invalid_link_and_msix_layout)
{
    rig_t r;
    rig_init(&r, false);
    tdev_t x = { .sim = r.sim };
    const pcie_link_t bad[] = { { 0, 8 }, { 6, 8 }, { 3, 0 }, { 3, 3 }, { 3, 32 } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_ptr_null(
            pcie_attach(r.bus, "x", 0x300, 0xE0000000u, 0x1000, &tdev_ops, &x, bad[i], 0, 0));
    /* 64 vectors: 1024 B of table + 8 B of PBA do not fit at 0xC00 of 4 KiB. */
    ck_assert_ptr_null(
        pcie_attach(r.bus, "x", 0x300, 0xE0000000u, 0x1000, &tdev_ops, &x, GEN3_X8, 64, 0xC00));
    ck_assert_ptr_nonnull(
        pcie_attach(r.bus, "x", 0x300, 0xE0000000u, 0x1000, &tdev_ops, &x, GEN3_X8, 63, 0xC00));
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- master abort */

START_TEST(test_unmapped_read_returns_all_ones_and_is_counted)
{
    rig_t r;
    rig_init(&r, false);
    ck_assert_uint_eq(rd(&r, 0x1000, 1), 0xFFu);
    ck_assert_uint_eq(rd(&r, 0x1000, 2), 0xFFFFu);
    ck_assert_uint_eq(rd(&r, BAR_A + BAR_SIZE, 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(rd(&r, BAR_A - 8, 8), UINT64_MAX);
    ck_assert_uint_eq(pcie_stats(r.bus)->master_aborts, 4);
    ck_assert_uint_eq(pcie_stats(r.bus)->mmio_reads, 0);
    ck_assert_uint_eq(r.a.nrd + r.b.nrd, 0);
    rig_fini(&r);
}
END_TEST

START_TEST(test_access_running_past_range_end_aborts)
{
    rig_t r;
    rig_init(&r, false);
    /* 8 bytes at BAR_B + 0xFFC: 4 inside, 4 past the end. */
    ck_assert_uint_eq(rd(&r, BAR_B + 0xFFC, 8), UINT64_MAX);
    wr(&r, BAR_B + 0xFFE, 1, 4);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.b.nrd + r.b.nwr, 0);
    ck_assert_uint_eq(pcie_stats(r.bus)->master_aborts, 2);
    rig_fini(&r);
}
END_TEST

START_TEST(test_unmapped_write_is_dropped_and_counted)
{
    rig_t r;
    rig_init(&r, false);
    wr(&r, 0x2000, 5, 4);
    ck_assert_uint_eq(sim_pending(r.sim), 0);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.a.nwr + r.b.nwr, 0);
    ck_assert_uint_eq(pcie_stats(r.bus)->master_aborts, 1);
    ck_assert_uint_eq(pcie_stats(r.bus)->mmio_writes, 0);
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- posted writes */

static void issue_three(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)data;
    rig_t *r = arg;
    wr(r, BAR_A + 0x100, 1, 4);
    wr(r, BAR_A + 0x104, 2, 4);
    wr(r, BAR_A + 0x100, 3, 4);
}

START_TEST(test_posted_write_arrives_mmio_write_later)
{
    rig_t r;
    rig_init(&r, false);
    sim_at(r.sim, SIM_US(1), issue_three, &r, 0);
    sim_run(r.sim, SIM_US(1) + SIM_NS(100) - 1);
    ck_assert_uint_eq(r.a.nwr, 0); /* still on the link */
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.a.nwr, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(r.a.wr[i].at, SIM_US(1) + SIM_NS(100));
    rig_fini(&r);
}
END_TEST

static void issue_one(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    wr(arg, BAR_A + 0x200, data, 8);
}

START_TEST(test_posted_writes_arrive_in_program_order)
{
    rig_t r;
    rig_init(&r, false);
    sim_at(r.sim, 0, issue_one, &r, 10);
    sim_at(r.sim, SIM_NS(50), issue_one, &r, 20);
    sim_at(r.sim, SIM_NS(50), issue_one, &r, 30);
    sim_at(r.sim, SIM_NS(400), issue_one, &r, 40);
    sim_run(r.sim, SIM_TIME_MAX);
    const uint64_t val[] = { 10, 20, 30, 40 };
    const sim_time_t at[] = { SIM_NS(100), SIM_NS(150), SIM_NS(150), SIM_NS(500) };
    ck_assert_uint_eq(r.a.nwr, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(r.a.wr[i].val, val[i]);
        ck_assert_uint_eq(r.a.wr[i].at, at[i]);
    }
    rig_fini(&r);
}
END_TEST

static void issue_run(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    for (uint64_t v = data >> 8; v < (data >> 8) + (data & 0xff); v++)
        wr(arg, BAR_A + 0x300, v, 4);
}

START_TEST(test_many_queued_writes_keep_order)
{
    /* 6 writes at 0, 6 at 50 ns, 10 at 120 ns (when the first 6 have
     * landed and 6 are still in flight): values 0..21 arrive in order at
     * 100, 150 and 220 ns. */
    rig_t r;
    rig_init(&r, false);
    sim_at(r.sim, 0, issue_run, &r, 0 << 8 | 6);
    sim_at(r.sim, SIM_NS(50), issue_run, &r, 6 << 8 | 6);
    sim_at(r.sim, SIM_NS(120), issue_run, &r, 12 << 8 | 10);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.a.nwr, 22);
    for (unsigned i = 0; i < 22; i++) {
        sim_time_t at = i < 6 ? SIM_NS(100) : i < 12 ? SIM_NS(150) : SIM_NS(220);
        ck_assert_uint_eq(r.a.wr[i].val, i);
        ck_assert_uint_eq(r.a.wr[i].at, at);
    }
    rig_fini(&r);
}
END_TEST

START_TEST(test_read_is_not_passed_by_earlier_posted_write)
{
    /* PCIe ordering: a read must not pass a posted write to the same
     * device, so a driver's "write, then read back" sees its write. */
    rig_t r;
    rig_init(&r, false);
    wr(&r, BAR_A + 0x40, 0x1234, 4);
    ck_assert_uint_eq(rd(&r, BAR_A + 0x40, 4), 0x1234);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.a.nwr, 1); /* delivered once, not again later */
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- reads */

START_TEST(test_read_returns_current_value_and_costs_round_trip)
{
    rig_t r;
    rig_init(&r, false);
    r.a.regs[0x80] = 0x78;
    r.a.regs[0x81] = 0x56;
    r.a.regs[0x82] = 0x34;
    r.a.regs[0x83] = 0x12;
    ck_assert_uint_eq(rd(&r, BAR_A + 0x80, 4), 0x12345678u);
    r.a.regs[0x80] = 0x99;
    ck_assert_uint_eq(rd(&r, BAR_A + 0x80, 1), 0x99u);
    ck_assert_uint_eq(r.a.nrd, 2);
    ck_assert_uint_eq(r.a.rd[1].off, 0x80);
    ck_assert_uint_eq(r.a.rd[1].size, 1);
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- MSI-X */

#define ENTRY(v) (BAR_A + MSIX_OFF + 16u * (v))
#define PBA (BAR_A + MSIX_OFF + 16u * MSIX_N)

static void program_entry(rig_t *r, unsigned v, uint32_t lo, uint32_t hi, uint32_t data,
                          uint32_t ctrl)
{
    wr(r, ENTRY(v) + 0, lo, 4);
    wr(r, ENTRY(v) + 4, hi, 4);
    wr(r, ENTRY(v) + 8, data, 4);
    wr(r, ENTRY(v) + 12, ctrl, 4);
}

static void send_vector(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    pcie_msix_send(arg, (unsigned)data);
}

static void unmask_vector(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    wr(arg, ENTRY(data) + 12, 0, 4);
}

START_TEST(test_msix_entries_masked_after_reset)
{
    rig_t r;
    rig_init(&r, false);
    for (unsigned v = 0; v < MSIX_N; v++) {
        ck_assert_uint_eq(rd(&r, ENTRY(v) + 12, 4), 1);
        ck_assert_uint_eq(rd(&r, ENTRY(v), 8), 0);
        ck_assert_uint_eq(rd(&r, ENTRY(v) + 8, 4), 0);
    }
    ck_assert_uint_eq(rd(&r, PBA, 8), 0);
    pcie_msix_send(r.da, 0);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.irqs.n, 0);
    rig_fini(&r);
}
END_TEST

START_TEST(test_programmed_vector_delivers_after_msix_latency)
{
    rig_t r;
    rig_init(&r, false);
    /* Core 3: address 0xFEE00000 | 3 << 12 (Intel SDM 11.11.1). */
    program_entry(&r, 2, 0xFEE03000u, 0, 0x41, 0);
    ck_assert_uint_eq(rd(&r, ENTRY(2), 8), 0xFEE03000u);
    sim_at(r.sim, SIM_US(5), send_vector, r.da, 2);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.irqs.n, 1);
    ck_assert_uint_eq(r.irqs.core[0], 3);
    ck_assert_uint_eq(r.irqs.vector[0], 0x41);
    ck_assert_uint_eq(r.irqs.at[0], SIM_US(5) + SIM_NS(350));
    ck_assert_uint_eq(pcie_stats(r.bus)->msix_sent, 1);
    rig_fini(&r);
}
END_TEST

START_TEST(test_masked_vector_pends_and_delivers_on_unmask)
{
    rig_t r;
    rig_init(&r, false);
    program_entry(&r, 1, 0xFEE05000u, 0, 0x80, 1); /* core 5, still masked */
    sim_at(r.sim, SIM_US(1), send_vector, r.da, 1);
    sim_run(r.sim, SIM_US(2));
    ck_assert_uint_eq(r.irqs.n, 0);
    ck_assert_uint_eq(rd(&r, PBA, 8), 1u << 1); /* pending bit 1 */
    ck_assert_uint_eq(pcie_stats(r.bus)->msix_pending, 1);
    /* Unmask at 3 us: the write lands at 3.1 us, the message 350 ns later. */
    sim_at(r.sim, SIM_US(3), unmask_vector, &r, 1);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.irqs.n, 1);
    ck_assert_uint_eq(r.irqs.core[0], 5);
    ck_assert_uint_eq(r.irqs.vector[0], 0x80);
    ck_assert_uint_eq(r.irqs.at[0], SIM_US(3) + SIM_NS(100) + SIM_NS(350));
    ck_assert_uint_eq(rd(&r, PBA, 8), 0);
    rig_fini(&r);
}
END_TEST

START_TEST(test_pba_is_read_only)
{
    rig_t r;
    rig_init(&r, false);
    wr(&r, PBA, 0xF, 8);
    ck_assert_uint_eq(rd(&r, PBA, 8), 0);
    rig_fini(&r);
}
END_TEST

START_TEST(test_message_outside_msi_window_is_dropped_and_counted)
{
    rig_t r;
    rig_init(&r, false);
    program_entry(&r, 0, 0x12345000u, 0, 0x30, 0); /* not 0xFEExxxxx */
    program_entry(&r, 3, 0xFEE00000u, 1, 0x31, 0); /* upper address set */
    sim_run(r.sim, SIM_TIME_MAX);
    pcie_msix_send(r.da, 0);
    pcie_msix_send(r.da, 3);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.irqs.n, 0);
    ck_assert_uint_eq(pcie_stats(r.bus)->msix_dropped, 2);
    ck_assert_uint_eq(pcie_stats(r.bus)->msix_sent, 0);
    rig_fini(&r);
}
END_TEST

START_TEST(test_device_ops_never_see_msix_accesses)
{
    rig_t r;
    rig_init(&r, false);
    program_entry(&r, 0, 0xFEE00000u, 0, 0x20, 0);
    rd(&r, ENTRY(0) + 8, 4);
    rd(&r, PBA, 8);
    wr(&r, PBA + 4, 1, 4);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.a.nwr + r.a.nrd, 0);
    /* The bytes on either side of table + PBA (0x2000-0x2047) are the device's. */
    wr(&r, BAR_A + MSIX_OFF - 4, 0xAB, 4);
    wr(&r, PBA + 8, 0xCD, 4);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.a.nwr, 2);
    ck_assert_uint_eq(r.a.wr[0].off, MSIX_OFF - 4);
    ck_assert_uint_eq(r.a.wr[1].off, MSIX_OFF + 0x48);
    rig_fini(&r);
}
END_TEST

START_TEST(test_access_straddling_msix_region_aborts)
{
    rig_t r;
    rig_init(&r, false);
    ck_assert_uint_eq(rd(&r, BAR_A + MSIX_OFF - 4, 8), UINT64_MAX);
    ck_assert_uint_eq(pcie_stats(r.bus)->master_aborts, 1);
    ck_assert_uint_eq(r.a.nrd, 0);
    rig_fini(&r);
}
END_TEST

static Suite *pcie_suite(void)
{
    Suite *s = suite_create("pcie");
    TCase *tc = tcase_create("profile");
    tcase_add_test(tc, test_default_profile_values_assumed_here);
    suite_add_tcase(s, tc);
    tc = tcase_create("routing");
    tcase_add_test(tc, test_accesses_reach_the_device_owning_the_range);
    tcase_add_test(tc, test_platform_range_is_routed);
    tcase_add_test(tc, test_overlapping_ranges_rejected);
    tcase_add_test(tc, test_attach_rejects_invalid_link_and_msix_layout);
    suite_add_tcase(s, tc);
    tc = tcase_create("master_abort");
    tcase_add_test(tc, test_unmapped_read_returns_all_ones_and_is_counted);
    tcase_add_test(tc, test_access_running_past_range_end_aborts);
    tcase_add_test(tc, test_unmapped_write_is_dropped_and_counted);
    suite_add_tcase(s, tc);
    tc = tcase_create("posted_writes");
    tcase_add_test(tc, test_posted_write_arrives_mmio_write_later);
    tcase_add_test(tc, test_posted_writes_arrive_in_program_order);
    tcase_add_test(tc, test_many_queued_writes_keep_order);
    tcase_add_test(tc, test_read_is_not_passed_by_earlier_posted_write);
    suite_add_tcase(s, tc);
    tc = tcase_create("reads");
    tcase_add_test(tc, test_read_returns_current_value_and_costs_round_trip);
    suite_add_tcase(s, tc);
    tc = tcase_create("msix");
    tcase_add_test(tc, test_msix_entries_masked_after_reset);
    tcase_add_test(tc, test_programmed_vector_delivers_after_msix_latency);
    tcase_add_test(tc, test_masked_vector_pends_and_delivers_on_unmask);
    tcase_add_test(tc, test_pba_is_read_only);
    tcase_add_test(tc, test_message_outside_msi_window_is_dropped_and_counted);
    tcase_add_test(tc, test_device_ops_never_see_msix_accesses);
    tcase_add_test(tc, test_access_straddling_msix_region_aborts);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(pcie_suite)
