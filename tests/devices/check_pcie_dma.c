/* tests/devices/check_pcie_dma: DMA on the PCIe bus (devices/pcie.h): bytes
 * moved both ways, completion time = latency + wire time, link
 * serialisation per direction and device, the order two devices' writes
 * land in, DMA outside memory, and DMA through the IOMMU.  MMIO and MSI-X
 * are check_pcie.
 *
 * Expectations are computed by hand from the specification and the cost
 * table's "default" profile (pcie.dma 350 ns; check_pcie asserts the
 * profile's values).  Wire-time arithmetic (Gen3 x8 example):
 *   bandwidth = 8e9 T/s * 8 lanes * 128/130 / 8 b = 7.8769e9 B/s, i.e.
 *   130e6 / (16 * 8000 * 8) = 126.953125 ps per byte;
 *   4096 B = 16 TLPs of 256 B -> 4096 + 16 * 24 = 4480 B on the wire
 *   -> 4480 * 126.953125 = 568750 ps.
 *
 * DMA through the IOMMU ("dma_iommu") uses the real VT-d model
 * (devices/iommu.h), programmed as a kernel would program it
 * (tests/devices/iommu_drv.h): legacy-mode root and context tables and
 * second-level page tables in simulated memory that map device a's iova
 * pages out of order, possibly with a page left unmapped; the bus's
 * per-page translation, the lookup costs it adds (each page's IOTLB miss
 * or hit, costed from the cost table, see that tcase) and the
 * all-or-nothing rule are checked against those tables.  Everything else
 * runs with no IOMMU (pass-through).  The rig is tests/devices/pcie_tt.h. */
#include <stdint.h>
#include <string.h>

#include "devices/iommu.h"
#include "devices/mem.h"
#include "devices/pcie.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/iommu_drv.h"
#include "tests/devices/pcie_tt.h"

/* ---------------------------------------------------------------- DMA */

START_TEST(test_dma_moves_bytes_both_ways)
{
    rig_t r;
    rig_init(&r, false);
    uint8_t out[300], in[300];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i ^ 0x5A);
    sim_time_t done;
    ck_assert_int_eq(pcie_dma_write(r.da, IOMMU_NO_PASID, 0x1F80, out, sizeof out, &done),
                     PCIE_DMA_OK);
    /* a DMA write lands when it completes, not when it is issued: a CPU
     * polling this memory must not see it early */
    uint8_t check[300], zero[300] = {0};
    mem_read(r.mem, 0x1F80, check, sizeof check);
    ck_assert_mem_eq(check, zero, sizeof zero);
    sim_run(r.sim, done - 1);
    mem_read(r.mem, 0x1F80, check, sizeof check);
    ck_assert_mem_eq(check, zero, sizeof zero);
    sim_run(r.sim, done);
    ck_assert_uint_eq(sim_now(r.sim), done);
    mem_read(r.mem, 0x1F80, check, sizeof check);
    ck_assert_mem_eq(check, out, sizeof out);
    ck_assert_int_eq(pcie_dma_read(r.db, IOMMU_NO_PASID, 0x1F80, in, sizeof in, &done),
                     PCIE_DMA_OK);
    ck_assert_mem_eq(in, out, sizeof out);
    const pcie_stats_t *st = pcie_stats(r.bus);
    ck_assert_uint_eq(st->dma_writes, 1);
    ck_assert_uint_eq(st->dma_write_bytes, 300);
    ck_assert_uint_eq(st->dma_reads, 1);
    ck_assert_uint_eq(st->dma_read_bytes, 300);
    rig_fini(&r);
}
END_TEST

START_TEST(test_dma_done_is_latency_plus_wire_time)
{
    rig_t r;
    rig_init(&r, false);
    static uint8_t buf[4096];
    sim_time_t done = 0;
    sim_run(r.sim, SIM_US(2)); /* nothing pending: time stays 0 */
    ck_assert_int_eq(pcie_dma_write(r.da, IOMMU_NO_PASID, 0x10000, buf, 4096, &done),
                     PCIE_DMA_OK);
    /* 350 ns + 568.75 ns (4480 B at 7.8769 GB/s, see the file comment). */
    ck_assert_uint_eq(done, 918750);
    rig_fini(&r);
}
END_TEST

typedef struct wire_case {
    pcie_link_t link;
    size_t len;
    sim_time_t ps; /* rounded up to a whole ps */
    const char *why;
} wire_case_t;

static const wire_case_t wire_cases[] = {
    { { 1, 1 }, 64, 352000, "Gen1 x1: 0.25 GB/s = 4000 ps/B; 64 + 24 = 88 B" },
    { { 2, 4 }, 256, 140000, "Gen2 x4: 2 GB/s = 500 ps/B; 256 + 24 = 280 B" },
    { { 3, 8 }, 4096, 568750, "Gen3 x8: 126.953125 ps/B; 16 TLPs, 4480 B" },
    { { 3, 16 }, 257, 19361, "Gen3 x16: 63.4765625 ps/B; 2 TLPs, 305 B = 19360.35" },
    { { 4, 16 }, 4096, 142188, "Gen4 x16: 31.73828125 ps/B; 4480 B = 142187.5" },
    { { 5, 8 }, 1, 794, "Gen5 x8: 31.73828125 ps/B; 1 + 24 = 25 B = 793.46" },
    { { 3, 8 }, 0, 0, "empty: no TLP" },
};

START_TEST(test_wire_time_per_generation)
{
    const wire_case_t *c = &wire_cases[_i];
    ck_assert_msg(pcie_wire_time(c->link, c->len) == c->ps, "%s: got %llu", c->why,
                  (unsigned long long)pcie_wire_time(c->link, c->len));
}
END_TEST

START_TEST(test_wire_time_saturates_and_rejects_invalid_links)
{
    ck_assert_uint_eq(pcie_wire_time((pcie_link_t){ 1, 1 }, SIZE_MAX), SIM_TIME_MAX);
    ck_assert_uint_eq(pcie_wire_time((pcie_link_t){ 3, 3 }, 64), 0);
    ck_assert_double_eq(pcie_link_bytes_per_s((pcie_link_t){ 0, 8 }), 0.0);
}
END_TEST

START_TEST(test_link_bandwidth_after_line_coding)
{
    ck_assert_double_eq_tol(pcie_link_bytes_per_s((pcie_link_t){ 1, 1 }), 250e6, 1e-3);
    ck_assert_double_eq_tol(pcie_link_bytes_per_s((pcie_link_t){ 2, 16 }), 8e9, 1e-3);
    ck_assert_double_eq_tol(pcie_link_bytes_per_s(GEN3_X8), 8e9 * 8 * 128 / 130 / 8, 1e-3);
    ck_assert_double_eq_tol(pcie_link_bytes_per_s((pcie_link_t){ 5, 16 }),
                            32e9 * 16 * 128 / 130 / 8, 1e-3);
}
END_TEST

START_TEST(test_back_to_back_dmas_serialise_on_the_link)
{
    /* Model: start = max(now, link free), done = start + dma + wire,
     * link free = start + wire.  Two 4096 B writes at t = 0:
     *   first:  start 0,      done 350000 + 568750          =  918750
     *   second: start 568750, done 568750 + 350000 + 568750 = 1487500
     * i.e. second done = first done + its own wire time. */
    rig_t r;
    rig_init(&r, false);
    static uint8_t buf[4096];
    sim_time_t d1, d2;
    pcie_dma_write(r.da, IOMMU_NO_PASID, 0x10000, buf, 4096, &d1);
    pcie_dma_write(r.da, IOMMU_NO_PASID, 0x20000, buf, 4096, &d2);
    ck_assert_uint_eq(d1, 918750);
    ck_assert_uint_eq(d2, 1487500);
    rig_fini(&r);
}
END_TEST

START_TEST(test_directions_and_devices_have_separate_links)
{
    rig_t r;
    rig_init(&r, false);
    static uint8_t buf[4096];
    sim_time_t w, rd_a, w_b;
    pcie_dma_write(r.da, IOMMU_NO_PASID, 0x10000, buf, 4096, &w);
    pcie_dma_read(r.da, IOMMU_NO_PASID, 0x10000, buf, 4096, &rd_a);
    pcie_dma_write(r.db, IOMMU_NO_PASID, 0x20000, buf, 4096, &w_b);
    ck_assert_uint_eq(w, 918750);
    ck_assert_uint_eq(rd_a, 918750);
    ck_assert_uint_eq(w_b, 918750);
    rig_fini(&r);
}
END_TEST

static void nothing(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)arg;
    (void)data;
}

/* Memory at addr as of time t (an event brings the clock there; the read
 * lands what is due). */
static uint8_t byte_at(rig_t *r, uint64_t addr, sim_time_t t)
{
    sim_at(r->sim, t, nothing, NULL, 0);
    sim_run(r->sim, t);
    uint8_t v = 0;
    ck_assert_int_eq(mem_read(r->mem, addr, &v, 1), 0);
    return v;
}

/* Writes of two devices to one address land in due order across devices,
 * also when the first was staged while it was the only writer (dma.c's
 * one-device shortcut) and after both drained.  Times from the model
 * above: 4096 B done at 918750; 64 B + 24 B of TLP overhead at 126.953125
 * ps/B = 11172 ps (rounded up) of wire, done at 350000 + 11172. */
START_TEST(test_writes_of_two_devices_land_in_due_order)
{
    rig_t r;
    rig_init(&r, false);
    static uint8_t big[4096], small[64];
    memset(big, 0xAA, sizeof big);
    memset(small, 0xBB, sizeof small);
    sim_time_t da_done, db_done, d3;
    pcie_dma_write(r.da, IOMMU_NO_PASID, 0x10000, big, sizeof big, &da_done);
    pcie_dma_write(r.db, IOMMU_NO_PASID, 0x10000, small, sizeof small, &db_done);
    ck_assert_uint_eq(da_done, 918750);
    ck_assert_uint_eq(db_done, 361172);
    ck_assert_uint_eq(byte_at(&r, 0x10000, db_done - 1), 0x00);
    ck_assert_uint_eq(byte_at(&r, 0x10000, db_done), 0xBB);
    ck_assert_uint_eq(byte_at(&r, 0x10000, da_done - 1), 0xBB);
    ck_assert_uint_eq(byte_at(&r, 0x10000, da_done), 0xAA);
    memset(small, 0xCC, sizeof small); /* one writer again */
    pcie_dma_write(r.db, IOMMU_NO_PASID, 0x10040, small, sizeof small, &d3);
    ck_assert_uint_eq(byte_at(&r, 0x10040, d3 - 1), 0xAA);
    ck_assert_uint_eq(byte_at(&r, 0x10040, d3), 0xCC);
    rig_fini(&r);
}
END_TEST

static void dma_at(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    static uint8_t buf[4096];
    rig_t *r = arg;
    sim_time_t done;
    pcie_dma_write(r->da, IOMMU_NO_PASID, 0x10000, buf, 4096, &done);
    ck_assert_uint_eq(done, data);
}

START_TEST(test_idle_link_starts_at_now)
{
    /* 10 us after a transfer whose link time ended at 568.75 ns. */
    rig_t r;
    rig_init(&r, false);
    sim_at(r.sim, 0, dma_at, &r, 918750);
    sim_at(r.sim, SIM_US(10), dma_at, &r, SIM_US(10) + 918750);
    sim_run(r.sim, SIM_TIME_MAX);
    rig_fini(&r);
}
END_TEST

START_TEST(test_dma_outside_memory_moves_nothing)
{
    rig_t r;
    rig_init(&r, false);
    uint8_t buf[100];
    memset(buf, 0xCC, sizeof buf);
    sim_time_t done;
    ck_assert_int_eq(pcie_dma_write(r.da, IOMMU_NO_PASID, MEM_BYTES - 10, buf, 100, &done),
                     PCIE_DMA_NO_MEMORY);
    ck_assert_int_eq(pcie_dma_write(r.da, IOMMU_NO_PASID, UINT64_MAX - 10, buf, 100, &done),
                     PCIE_DMA_NO_MEMORY);
    ck_assert_uint_eq(mem_pages_allocated(r.mem), 0);
    ck_assert_int_eq(pcie_dma_read(r.da, IOMMU_NO_PASID, MEM_BYTES - 10, buf, 100, &done),
                     PCIE_DMA_NO_MEMORY);
    for (size_t i = 0; i < sizeof buf; i++)
        ck_assert_uint_eq(buf[i], 0xCC);
    const pcie_stats_t *st = pcie_stats(r.bus);
    ck_assert_uint_eq(st->dma_faults, 3);
    ck_assert_uint_eq(st->dma_writes + st->dma_reads, 0);
    /* A refused DMA does not occupy the link. */
    static uint8_t page[4096];
    pcie_dma_write(r.da, IOMMU_NO_PASID, 0x10000, page, 4096, &done);
    ck_assert_uint_eq(done, 918750);
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- DMA via IOMMU */

/* The out-of-order layout: iova page i (i < 8) -> physical page remap(i). */
static uint64_t remap(unsigned page) { return 0x100000 + (uint64_t)(7 - page) * 0x10000; }

/* Legacy mode: device a (domain 1, 48-bit 4-level tables) and device b
 * (domain 2, 39-bit 3-level tables) both map iova pages 0-7 to remap(i)
 * read/write, except page `hole` (not present).  Returns a's table root. */
static uint64_t iommu_on(rig_t *r, unsigned hole)
{
    uint64_t root = iod_page(&r->tables);
    uint64_t sl_a = iod_legacy_device(&r->tables, root, RID_A, 4, 1);
    uint64_t sl_b = iod_legacy_device(&r->tables, root, RID_B, 3, 2);
    for (unsigned i = 0; i < 8; i++) {
        if (i == hole)
            continue;
        iod_map(&r->tables, sl_a, 4, i * 0x1000u, remap(i), 0x1000, IOD_R | IOD_W);
        iod_map(&r->tables, sl_b, 3, i * 0x1000u, remap(i), 0x1000, IOD_R | IOD_W);
    }
    iod_enable(r->io, root, IOD_TTM_LEGACY);
    return sl_a;
}

/* Cost: the bus adds each page's lookup cost.  The model charges
 * iommu.iotlb_miss once per translation that reads tables (its header:
 * one figure per walk, whatever the depth) and iommu.iotlb_hit for one
 * served from the IOTLB.  A's first DMA over pages 0, 1, 2: page 0 reads
 * the root and context entries and walks 4 levels, pages 1 and 2 miss the
 * IOTLB (entries are per 4 KiB page) and walk again: 3 x 330 ns.  Reading
 * the same range back: 3 IOTLB hits, 3 x 7 ns.  B's first DMA over the same
 * pages walks its 3-level tables 3 times: 3 x 330 ns again. */
START_TEST(test_dma_through_iommu_translates_each_page)
{
    rig_t r;
    rig_init(&r, true);
    iommu_on(&r, 8);
    const sim_time_t miss = SIM_NS(330), wire = 1137500; /* 8192 B: 32 TLPs, 8960 B */
    static uint8_t out[8192];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i * 13);
    sim_time_t done;
    /* iova 0x800..0x27FF: pages 0, 1, 2 -> 0x170000, 0x160000, 0x150000. */
    ck_assert_int_eq(pcie_dma_write(r.da, IOMMU_NO_PASID, 0x800, out, sizeof out, &done),
                     PCIE_DMA_OK);
    ck_assert_uint_eq(done, SIM_NS(350) + 3 * miss + wire);
    sim_run(r.sim, done); /* the write lands at its completion */
    uint8_t got[4096];
    mem_read(r.mem, 0x170800, got, 0x800);
    ck_assert_mem_eq(got, out, 0x800);
    mem_read(r.mem, 0x160000, got, 0x1000);
    ck_assert_mem_eq(got, out + 0x800, 0x1000);
    mem_read(r.mem, 0x150000, got, 0x800);
    ck_assert_mem_eq(got, out + 0x1800, 0x800);
    static uint8_t in[8192];
    sim_time_t now = sim_now(r.sim);
    ck_assert_int_eq(pcie_dma_read(r.da, IOMMU_NO_PASID, 0x800, in, sizeof in, &done),
                     PCIE_DMA_OK);
    ck_assert_mem_eq(in, out, sizeof out);
    ck_assert_uint_eq(done, now + SIM_NS(350) + 3 * HIT_PS + wire);
    memset(in, 0, sizeof in);
    ck_assert_int_eq(pcie_dma_read(r.db, IOMMU_NO_PASID, 0x800, in, sizeof in, &done),
                     PCIE_DMA_OK);
    ck_assert_mem_eq(in, out, sizeof out);
    ck_assert_uint_eq(done, now + SIM_NS(350) + 3 * miss + wire);
    const iommu_stats_t *st = iommu_stats(r.io);
    ck_assert_uint_eq(st->translations, 9);
    ck_assert_uint_eq(st->iotlb_misses, 6);
    ck_assert_uint_eq(st->iotlb_hits, 3);
    rig_fini(&r);
}
END_TEST

START_TEST(test_iommu_fault_on_any_page_moves_nothing)
{
    rig_t r;
    rig_init(&r, true);
    iommu_on(&r, 2);
    static uint8_t buf[8192];
    memset(buf, 0x77, sizeof buf);
    uint64_t pages = mem_pages_allocated(r.mem);
    sim_time_t done;
    /* pages 0 and 1 translate, page 2 faults: nothing is written */
    ck_assert_int_eq(pcie_dma_write(r.da, IOMMU_NO_PASID, 0x800, buf, sizeof buf, &done),
                     PCIE_DMA_FAULT);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(mem_pages_allocated(r.mem), pages);
    uint32_t v = 1;
    ck_assert_int_eq(mem_read_u32(r.mem, remap(0) + 0x800, &v), 0);
    ck_assert_uint_eq(v, 0);
    /* the fault record (VT-d 10.4.14): page 0x2000, SID 01:00.0, write to a
     * not-present page -> FR 05h, T1 = 0 */
    ck_assert_uint_eq(iod_frcd_lo(r.io, 0), 0x2000);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), iod_frcd_hi_want(RID_A, IOD_FR_LGN_WRITE, true,
                                                              IOMMU_NO_PASID));
    /* a read of the same range: no byte of page 0 reaches the device */
    mem_write_u32(r.mem, remap(0) + 0x800, 0xDEADBEEFu);
    ck_assert_int_eq(pcie_dma_read(r.da, IOMMU_NO_PASID, 0x800, buf, sizeof buf, &done),
                     PCIE_DMA_FAULT);
    ck_assert_uint_eq(buf[0], 0x77); /* not the 0xEF of page 0 */
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1), iod_frcd_hi_want(RID_A, IOD_FR_LGN_READ, false,
                                                              IOMMU_NO_PASID));
    ck_assert_uint_eq(pcie_stats(r.bus)->dma_faults, 2);
    ck_assert_uint_eq(pcie_stats(r.bus)->dma_writes + pcie_stats(r.bus)->dma_reads, 0);
    ck_assert_uint_eq(iommu_stats(r.io)->faults[IOMMU_FAULT_NOT_PRESENT], 2);
    rig_fini(&r);
}
END_TEST

START_TEST(test_translated_address_outside_memory_is_no_memory)
{
    rig_t r;
    rig_init(&r, true);
    uint64_t sl_a = iommu_on(&r, 8);
    /* page 1 maps just past the end of memory (the IOMMU does not check) */
    iod_map_at(&r.tables, sl_a, 4, 1, 0x1000, MEM_BYTES, IOD_R | IOD_W);
    uint64_t pages = mem_pages_allocated(r.mem);
    uint8_t buf[64] = { 1 };
    sim_time_t done;
    ck_assert_int_eq(pcie_dma_write(r.da, IOMMU_NO_PASID, 0x1000 - 32, buf, 64, &done),
                     PCIE_DMA_NO_MEMORY);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(mem_pages_allocated(r.mem), pages);
    ck_assert_uint_eq(iommu_stats(r.io)->faults[IOMMU_FAULT_NOT_PRESENT], 0);
    rig_fini(&r);
}
END_TEST

static Suite *pcie_dma_suite(void)
{
    Suite *s = suite_create("pcie_dma");
    TCase *tc = tcase_create("dma");
    tcase_add_test(tc, test_dma_moves_bytes_both_ways);
    tcase_add_test(tc, test_dma_done_is_latency_plus_wire_time);
    tcase_add_loop_test(tc, test_wire_time_per_generation, 0,
                        (int)(sizeof wire_cases / sizeof wire_cases[0]));
    tcase_add_test(tc, test_wire_time_saturates_and_rejects_invalid_links);
    tcase_add_test(tc, test_link_bandwidth_after_line_coding);
    tcase_add_test(tc, test_back_to_back_dmas_serialise_on_the_link);
    tcase_add_test(tc, test_directions_and_devices_have_separate_links);
    tcase_add_test(tc, test_writes_of_two_devices_land_in_due_order);
    tcase_add_test(tc, test_idle_link_starts_at_now);
    tcase_add_test(tc, test_dma_outside_memory_moves_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("dma_iommu");
    tcase_add_test(tc, test_dma_through_iommu_translates_each_page);
    tcase_add_test(tc, test_iommu_fault_on_any_page_moves_nothing);
    tcase_add_test(tc, test_translated_address_outside_memory_is_no_memory);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(pcie_dma_suite)
