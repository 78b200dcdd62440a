/* tests/devices/check_pcie: the PCIe bus (devices/pcie.h), driven like a
 * kernel would drive it: MMIO by address, DMA by a device, MSI-X through
 * the table in the BAR.
 *
 * Expectations are computed by hand from the specification and the cost
 * table's "default" profile (pcie.mmio_write 100 ns, pcie.mmio_read
 * 750 ns, pcie.dma 350 ns, pcie.msix 350 ns); the profile values are
 * asserted once so a change there shows up here, not as a puzzling
 * timing failure.  Wire-time arithmetic (Gen3 x8 example):
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
 * runs with no IOMMU (pass-through). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "devices/iommu.h"
#include "devices/irq.h"
#include "devices/mem.h"
#include "devices/pcie.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/iommu_drv.h"

#define MEM_BYTES (16u << 20)
#define BAR_A UINT64_C(0xF0000000)
#define BAR_B UINT64_C(0xF0100000)
#define BAR_SIZE 0x4000u
#define MSIX_OFF 0x2000u /* 4 vectors: table 0x2000-0x203F, PBA 0x2040-0x2047 */
#define MSIX_N 4u

static const pcie_link_t GEN3_X8 = { 3, 8 };

/* ---------------------------------------------------------------- test device */

typedef struct access {
    uint64_t off, val;
    unsigned size;
    sim_time_t at;
} access_t;

typedef struct tdev {
    sim_t *sim;
    uint8_t regs[BAR_SIZE];
    access_t wr[64], rd[64];
    size_t nwr, nrd;
} tdev_t;

static uint64_t tdev_read(void *p, uint64_t off, unsigned size)
{
    tdev_t *d = p;
    ck_assert_uint_lt(d->nrd, 64);
    d->rd[d->nrd++] = (access_t){ off, 0, size, sim_now(d->sim) };
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;)
        v = v << 8 | d->regs[off + i];
    return v;
}

static void tdev_write(void *p, uint64_t off, uint64_t val, unsigned size)
{
    tdev_t *d = p;
    ck_assert_uint_lt(d->nwr, 64);
    d->wr[d->nwr++] = (access_t){ off, val, size, sim_now(d->sim) };
    for (unsigned i = 0; i < size; i++)
        d->regs[off + i] = (uint8_t)(val >> (8 * i));
}

static const pcie_ops_t tdev_ops = { tdev_read, tdev_write };

/* ---------------------------------------------------------------- test sink */

typedef struct irq_log {
    size_t n;
    unsigned core[16], vector[16];
    sim_time_t at[16];
    sim_t *sim;
} irq_log_t;

static void sink_deliver(void *ctx, unsigned core, unsigned vector)
{
    irq_log_t *l = ctx;
    ck_assert_uint_lt(l->n, 16);
    l->core[l->n] = core;
    l->vector[l->n] = vector;
    l->at[l->n] = sim_now(l->sim);
    l->n++;
}

/* ---------------------------------------------------------------- rig */

typedef struct rig {
    sim_t *sim;
    mem_t *mem;
    cost_table_t costs;
    irq_log_t irqs;
    iommu_t *io;       /* NULL: no IOMMU */
    iod_pool_t tables; /* page tables' memory */
    pcie_t *bus;
    tdev_t a, b;
    pcie_dev_t *da, *db;
} rig_t;

#define RID_A 0x0100u /* 01:00.0 */
#define RID_B 0x0200u /* 02:00.0 */
#define TABLES UINT64_C(0xC00000) /* IOMMU tables in the top 4 MiB */
#define HIT_PS UINT64_C(7000)     /* iommu.iotlb_hit set to 7 ns (default 0) */

/* with_iommu: a real IOMMU on the bus, translation still disabled. */
static void rig_init(rig_t *r, bool with_iommu)
{
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    r->mem = mem_create(MEM_BYTES);
    ck_assert_int_eq(cost_table_init(&r->costs, "default"), 0);
    r->irqs.sim = r->sim;
    irq_sink_t sink = { sink_deliver, &r->irqs };
    if (with_iommu) {
        ck_assert_int_eq(cost_set_ns(&r->costs, COST_IOMMU_IOTLB_HIT, 7.0), 0);
        r->io = iommu_create(r->sim, r->mem, &r->costs, &(iommu_cfg_t){ .iotlb_entries = 64 },
                             sink);
        ck_assert_ptr_nonnull(r->io);
        r->tables = (iod_pool_t){ r->mem, TABLES, MEM_BYTES };
    }
    r->bus = pcie_create(r->sim, r->mem, r->io, &r->costs, sink);
    ck_assert_ptr_nonnull(r->bus);
    r->a.sim = r->b.sim = r->sim;
    r->da = pcie_attach(r->bus, "a", RID_A, BAR_A, BAR_SIZE, &tdev_ops, &r->a, GEN3_X8, MSIX_N,
                        MSIX_OFF);
    r->db = pcie_attach(r->bus, "b", RID_B, BAR_B, 0x1000, &tdev_ops, &r->b, GEN3_X8, 0, 0);
    ck_assert_ptr_nonnull(r->da);
    ck_assert_ptr_nonnull(r->db);
}

static void rig_fini(rig_t *r)
{
    pcie_destroy(r->bus);
    iommu_destroy(r->io);
    mem_destroy(r->mem);
    sim_destroy(r->sim);
}

static void wr(rig_t *r, uint64_t addr, uint64_t val, unsigned size)
{
    sim_time_t cpu = 0;
    pcie_mmio_write(r->bus, addr, val, size, &cpu);
    ck_assert_uint_eq(cpu, SIM_NS(100));
}

static uint64_t rd(rig_t *r, uint64_t addr, unsigned size)
{
    sim_time_t cpu = 0;
    uint64_t v = pcie_mmio_read(r->bus, addr, size, &cpu);
    ck_assert_uint_eq(cpu, SIM_NS(750));
    return v;
}

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
    tc = tcase_create("dma");
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
