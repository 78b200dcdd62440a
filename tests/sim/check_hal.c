/* The simulator's HAL (sim/hal.c) and machine assembly (sim/machine.c):
 * posted MMIO writes reach the device at the issuing core's clock, in
 * order; reads charge the round trip and do not pass held writes; charges
 * land in the entry's mode and move hal_now; deadline-timer writes are held
 * like MMIO; user maps (RW/RO); poll watches fed by the bus's DMA-write
 * hook; the interrupt trampoline's accounting and return callback; wait /
 * wake flags; panics.  Expected times are computed from the cost table
 * and the contracts in kernel/hal.h and devices/pcie.h. */
#include "tests/check_main.h"

#include <signal.h>
#include <string.h>

#include "devices/mem.h"
#include "devices/pcie.h"
#include "devices/timer.h"
#include "kernel/hal.h"
#include "model/cost.h"
#include "sim/irqc.h"
#include "sim/machine.h"

#define TBAR UINT64_C(0xE0000000) /* a test device, below the NIC's BAR */
#define TRID 0x0028u              /* 00:05.0 */
#define VEC 40u

static sim_t *sim;
static cost_table_t costs;
static machine_t m;
static pcie_dev_t *tdev;
static const pcie_link_t tlink = {3, 8};

/* ---------------------------------------------------------------- a register file */
typedef struct wrec {
    sim_time_t t;
    uint64_t off, val;
} wrec_t;
static wrec_t writes[16];
static unsigned nwrites;
static uint64_t regs[64];

static uint64_t t_read(void *dev, uint64_t off, unsigned size)
{
    (void)dev;
    (void)size;
    return regs[(off / 8) % 64];
}

static void t_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)dev;
    (void)size;
    regs[(off / 8) % 64] = val;
    if (nwrites < 16)
        writes[nwrites] = (wrec_t){sim_now(sim), off, val};
    nwrites++;
}

static const pcie_ops_t tops = {t_read, t_write};

static sim_time_t C(cost_id_t id) { return cost_ps(&costs, id); }

static void setup(void)
{
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    sim = sim_create();
    ck_assert_ptr_nonnull(sim);
    ck_assert_int_eq(cost_table_init(&costs, "default"), 0);
    char err[200];
    ck_assert_msg(machine_create(&m, sim, &costs, &cfg, err, sizeof err) == 0, "%s", err);
    machine_hal_bind(&m);
    tdev = pcie_attach(m.bus, "test", TRID, TBAR, 0x1000, &tops, NULL, tlink, 0, 0);
    ck_assert_ptr_nonnull(tdev);
    nwrites = 0;
    memset(regs, 0, sizeof regs);
}

static void teardown(void)
{
    machine_destroy(&m);
    sim_destroy(sim);
}

/* ---------------------------------------------------------------- MMIO */

START_TEST(test_posted_write_reaches_device_at_core_clock)
{
    const sim_time_t x = 3000 * C(COST_CPU_CYCLE), w = C(COST_PCIE_MMIO_WRITE);
    machine_entry_begin(&m, 1, CPU_KERNEL);
    hal_charge(hal_cost_id("cpu.cycle"), 3000);
    ck_assert_uint_eq(hal_now(), x);
    hal_mmio_write32(TBAR + 0x10, 0xA);
    hal_mmio_write32(TBAR + 0x20, 0xB);
    ck_assert_uint_eq(hal_now(), x + 2 * w); /* the issue cost of each */
    machine_entry_end(&m);
    ck_assert_uint_eq(nwrites, 0); /* held: sim time is still 0 */
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(nwrites, 2);
    /* Issued at x and x + w; the bus posts each pcie.mmio_write later. */
    ck_assert_uint_eq(writes[0].off, 0x10);
    ck_assert_uint_eq(writes[0].val, 0xA);
    ck_assert_uint_eq(writes[0].t, x + w);
    ck_assert_uint_eq(writes[1].off, 0x20);
    ck_assert_uint_eq(writes[1].val, 0xB);
    ck_assert_uint_eq(writes[1].t, x + 2 * w);
}
END_TEST

START_TEST(test_write_at_now_goes_straight_and_order_is_kept)
{
    const sim_time_t w = C(COST_PCIE_MMIO_WRITE);
    machine_entry_begin(&m, 0, CPU_KERNEL);
    hal_mmio_write32(TBAR + 0x8, 1);  /* clock == now: straight to the bus */
    hal_mmio_write32(TBAR + 0x18, 2); /* clock is now w ahead: held */
    hal_mmio_write32(TBAR + 0x28, 3);
    machine_entry_end(&m);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(nwrites, 3);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(writes[i].val, i + 1);
        ck_assert_uint_eq(writes[i].t, (i + 1) * w);
    }
}
END_TEST

START_TEST(test_mmio_read_charges_round_trip_and_sees_held_write)
{
    const sim_time_t x = 100 * C(COST_CPU_CYCLE), w = C(COST_PCIE_MMIO_WRITE),
                     r = C(COST_PCIE_MMIO_READ);
    machine_entry_begin(&m, 2, CPU_KERNEL);
    hal_charge(COST_CPU_CYCLE, 100);
    hal_mmio_write64(TBAR + 0x30, 0x1122334455667788u);
    /* A non-posted read does not pass the posted write before it. */
    ck_assert_uint_eq(hal_mmio_read64(TBAR + 0x30), 0x1122334455667788u);
    ck_assert_uint_eq(hal_now(), x + w + r);
    machine_entry_end(&m);
    ck_assert_uint_eq(m.cores[2].acct[CPU_KERNEL], x + w + r);
    ck_assert_uint_eq(nwrites, 1);
}
END_TEST

START_TEST(test_mmio_sizes_and_master_abort)
{
    machine_entry_begin(&m, 0, CPU_KERNEL);
    hal_mmio_write8(TBAR + 0x40, 0xAB);
    ck_assert_uint_eq(hal_mmio_read8(TBAR + 0x40), 0xAB);
    hal_mmio_write16(TBAR + 0x48, 0xBEEF);
    ck_assert_uint_eq(hal_mmio_read16(TBAR + 0x48), 0xBEEF);
    /* Nothing is mapped below the test BAR: all ones (a master abort). */
    ck_assert_uint_eq(hal_mmio_read32(TBAR - 0x1000), 0xFFFFFFFFu);
    machine_entry_end(&m);
    ck_assert_uint_eq(pcie_stats(m.bus)->master_aborts, 1);
}
END_TEST

/* ---------------------------------------------------------------- CPU */

START_TEST(test_charge_lands_in_entry_mode_and_core)
{
    const sim_time_t c = C(COST_CPU_CYCLE);
    machine_entry_begin(&m, 0, CPU_KERNEL);
    hal_charge(COST_CPU_CYCLE, 7);
    machine_entry_begin(&m, 3, CPU_IRQ); /* entries nest */
    ck_assert_uint_eq(hal_cpu_id(), 3);
    hal_charge(COST_MEM_LLC, 2);
    machine_entry_end(&m);
    ck_assert_uint_eq(hal_cpu_id(), 0);
    hal_charge(COST_CPU_CYCLE, 1);
    machine_entry_end(&m);
    ck_assert_uint_eq(m.cores[0].acct[CPU_KERNEL], 8 * c);
    ck_assert_uint_eq(m.cores[0].acct[CPU_IRQ], 0);
    ck_assert_uint_eq(m.cores[3].acct[CPU_IRQ], 2 * C(COST_MEM_LLC));
    ck_assert_uint_eq(m.cores[3].acct[CPU_KERNEL], 0);
    ck_assert_uint_eq(m.cores[3].clock, 2 * C(COST_MEM_LLC));
    ck_assert_uint_eq(hal_cpu_count(), 4);
}
END_TEST

static void noop(sim_t *s, void *a, uint64_t d)
{
    (void)s;
    (void)a;
    (void)d;
}

START_TEST(test_hal_now_is_later_of_now_and_clock)
{
    sim_at(sim, SIM_US(5), noop, NULL, 0);
    sim_run(sim, SIM_TIME_MAX);
    machine_entry_begin(&m, 1, CPU_KERNEL);
    ck_assert_uint_eq(hal_now(), SIM_US(5)); /* the core was idle */
    hal_charge(COST_CPU_CYCLE, 3);
    ck_assert_uint_eq(hal_now(), SIM_US(5) + 3 * C(COST_CPU_CYCLE));
    machine_entry_end(&m);
}
END_TEST

/* The inline forms (kernel/hal.h, fast paths) agree with the functions:
 * charges add up across both, hal_now_fast sees unbooked charges, and the
 * entry end books them in the entry's mode. */
START_TEST(test_fast_charge_and_now)
{
    const sim_time_t c = C(COST_CPU_CYCLE), l = C(COST_MEM_LLC);
    sim_at(sim, SIM_US(2), noop, NULL, 0);
    sim_run(sim, SIM_TIME_MAX);
    machine_entry_begin(&m, 2, CPU_IRQ);
    ck_assert_uint_eq(hal_now_fast(), SIM_US(2));
    hal_charge_fast(COST_CPU_CYCLE, 5);
    hal_charge(COST_MEM_LLC, 1);
    hal_charge_fast(COST_MEM_LLC, 2);
    ck_assert_uint_eq(hal_now_fast(), SIM_US(2) + 5 * c + 3 * l);
    ck_assert_uint_eq(hal_now(), SIM_US(2) + 5 * c + 3 * l);
    hal_charge_fast(COST_CPU_CYCLE, 1);
    ck_assert_uint_eq(hal_now_fast(), SIM_US(2) + 6 * c + 3 * l);
    machine_entry_end(&m);
    ck_assert_uint_eq(m.cores[2].acct[CPU_IRQ], 6 * c + 3 * l);
    ck_assert_uint_eq(m.cores[2].clock, SIM_US(2) + 6 * c + 3 * l);
    ck_assert_uint_eq(m.cores[2].acct[CPU_KERNEL], 0);
}
END_TEST

/* The inline memory forms move the same bytes as the functions, refuse
 * what they refuse, and a write to a page never written before (no
 * backing yet: the slow path) reads back. */
START_TEST(test_fast_memory)
{
    uint8_t buf[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, out[16] = {0};
    ck_assert_int_eq(hal_mem_write_fast(0x7000, buf, 16), 0); /* first touch */
    ck_assert_int_eq(hal_mem_read(0x7000, out, 16), 0);
    ck_assert_mem_eq(out, buf, 16);
    ck_assert_int_eq(hal_mem_write_fast(0x7008, buf, 4), 0); /* page now backed */
    memset(out, 0, sizeof out);
    ck_assert_int_eq(hal_mem_read_fast(0x7000, out, 16), 0);
    ck_assert_uint_eq(out[7], 8);
    ck_assert_uint_eq(out[8], 1);
    ck_assert_uint_eq(out[11], 4);
    ck_assert_uint_eq(out[12], 13);
    ck_assert_int_eq(hal_mem_write_fast(0x7FFC, buf, 8), 0); /* across a page edge */
    ck_assert_int_eq(hal_mem_read_fast(0x7FFC, out, 8), 0);
    ck_assert_mem_eq(out, buf, 8);
    ck_assert_int_eq(hal_mem_read_fast(hal_mem_size() - 4, out, 8), -1);
    ck_assert_int_eq(hal_mem_write_fast(hal_mem_size(), buf, 1), -1);
}
END_TEST

START_TEST(test_cost_ids)
{
    ck_assert_int_eq(hal_cost_id("cpu.cycle"), COST_CPU_CYCLE);
    ck_assert_int_eq(hal_cost_id("mem.llc"), COST_MEM_LLC);
    ck_assert_int_eq(hal_cost_id("no.such.cost"), -1);
    ck_assert_int_eq(hal_cost_id(NULL), -1);
}
END_TEST

START_TEST(test_memory)
{
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8] = {0};
    ck_assert_uint_eq(hal_mem_size(), m.cfg.mem_bytes);
    ck_assert_int_eq(hal_mem_write(0x1000, buf, 8), 0);
    ck_assert_int_eq(hal_mem_read(0x1000, out, 8), 0);
    ck_assert_mem_eq(out, buf, 8);
    ck_assert_int_eq(hal_mem_fill(0x1002, 0xEE, 2), 0);
    ck_assert_int_eq(hal_mem_read(0x1000, out, 8), 0);
    ck_assert_uint_eq(out[2], 0xEE);
    ck_assert_uint_eq(out[4], 5);
    ck_assert_int_eq(hal_mem_read(hal_mem_size() - 4, out, 8), -1);
    ck_assert_int_eq(hal_mem_write(hal_mem_size(), buf, 1), -1);
}
END_TEST

/* ---------------------------------------------------------------- timer and interrupts */

static unsigned irqs, irq_core, rets, ret_core;
static sim_time_t irq_now, irq_at, ret_when;

static void handler(void *ctx, unsigned vector)
{
    ck_assert_ptr_eq(ctx, &irqs);
    ck_assert_uint_eq(vector, VEC);
    irqs++;
    irq_core = hal_cpu_id();
    irq_now = hal_now();
    irq_at = sim_now(sim);
    hal_charge(COST_CPU_CYCLE, 10);
    hal_user_wake();
}

static void on_ret(void *ctx, unsigned core, sim_time_t when)
{
    (void)ctx;
    rets++;
    ret_core = core;
    ret_when = when;
}

START_TEST(test_timer_write_held_and_irq_trampoline)
{
    irqs = rets = 0;
    const sim_time_t x = 600 * C(COST_CPU_CYCLE), e = C(COST_CPU_IRQ_ENTRY);
    machine_set_irq_return(&m, on_ret, NULL);
    machine_entry_begin(&m, 1, CPU_KERNEL);
    ck_assert_int_eq(hal_irq_register(1, VEC, handler, &irqs), 0);
    ck_assert_int_eq(hal_timer_vector(VEC), 0);
    hal_charge(COST_CPU_CYCLE, 600);
    /* A deadline already past when the write reaches the timer (at x):
     * it fires then, not at 1 ns. */
    hal_timer_arm(SIM_NS(1));
    machine_entry_end(&m);
    ck_assert_uint_eq(timer_read_deadline(m.timers, 1), 0); /* not yet written */
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(irqs, 1);
    ck_assert_uint_eq(irq_core, 1);
    ck_assert_uint_eq(irq_at, x);
    ck_assert_uint_eq(irq_now, x + e); /* irqc charged the entry first */
    ck_assert_uint_eq(m.cores[1].acct[CPU_IRQ], e + 10 * C(COST_CPU_CYCLE));
    ck_assert_uint_eq(m.cores[1].acct[CPU_KERNEL], x);
    ck_assert_uint_eq(rets, 1);
    ck_assert_uint_eq(ret_core, 1);
    ck_assert_uint_eq(ret_when, x + e + 10 * C(COST_CPU_CYCLE));
    ck_assert(machine_take_wake(&m, 1));
    ck_assert(!machine_take_wake(&m, 1));
    ck_assert(!machine_take_wait(&m, 1));
    ck_assert_uint_eq(irqc_delivered(m.irqc, 1), 1);
}
END_TEST

START_TEST(test_bad_vectors_and_cores)
{
    machine_entry_begin(&m, 0, CPU_KERNEL);
    ck_assert_int_eq(hal_timer_vector(31), -1);
    ck_assert_int_eq(hal_timer_vector(256), -1);
    ck_assert_int_eq(hal_irq_register(4, VEC, handler, NULL), -1);
    ck_assert_int_eq(hal_irq_register(0, 31, handler, NULL), -1);
    ck_assert_int_eq(hal_irq_register(0, 256, handler, NULL), -1);
    machine_entry_end(&m);
}
END_TEST

START_TEST(test_wait_flag_is_per_core_and_taken_once)
{
    machine_entry_begin(&m, 2, CPU_KERNEL);
    hal_user_wait();
    machine_entry_end(&m);
    ck_assert(!machine_take_wait(&m, 1));
    ck_assert(machine_take_wait(&m, 2));
    ck_assert(!machine_take_wait(&m, 2));
    ck_assert(!machine_take_wait(&m, 99));
}
END_TEST

/* ---------------------------------------------------------------- boot-time catch-up */

static void set_ready(sim_t *s, void *a, uint64_t d)
{
    (void)s;
    (void)a;
    regs[0] = d;
}

/* A boot loop polling a register that a device event sets at 5 us. */
static unsigned spin_until_ready(unsigned max)
{
    unsigned zeros = 0;
    machine_entry_begin(&m, 0, CPU_KERNEL);
    while (zeros < max && hal_mmio_read32(TBAR) == 0) {
        zeros++;
        hal_charge(COST_CPU_CYCLE, 300);
    }
    machine_entry_end(&m);
    return zeros;
}

START_TEST(test_catch_up_lets_boot_poll_a_device)
{
    const sim_time_t iter = C(COST_PCIE_MMIO_READ) + 300 * C(COST_CPU_CYCLE);
    sim_at(sim, SIM_US(5), set_ready, NULL, 1);
    unsigned zeros = spin_until_ready(1000); /* at top level: catches up */
    /* Read i happens at core time i * iter and sees the register set iff
     * that is at or after 5 us. */
    ck_assert_uint_eq(zeros, (SIM_US(5) + iter - 1) / iter);
    ck_assert_uint_eq(m.cores[0].clock, zeros * iter + C(COST_PCIE_MMIO_READ));
    ck_assert_uint_eq(sim_now(sim), SIM_US(5)); /* the engine stops at its last event */
}
END_TEST

static unsigned in_event_zeros;
static void spin_event(sim_t *s, void *a, uint64_t d)
{
    (void)s;
    (void)a;
    in_event_zeros = spin_until_ready((unsigned)d);
}

START_TEST(test_inside_an_event_time_stands_still)
{
    sim_at(sim, SIM_US(5), set_ready, NULL, 1);
    sim_at(sim, 0, spin_event, NULL, 50);
    sim_run(sim, 0); /* the engine does not nest: the spin sees 0 throughout */
    ck_assert_uint_eq(in_event_zeros, 50);
    ck_assert_uint_eq(sim_now(sim), 0);
}
END_TEST

START_TEST(test_delay_charges_and_lets_the_machine_run)
{
    sim_at(sim, SIM_US(5), set_ready, NULL, 1);
    machine_entry_begin(&m, 2, CPU_KERNEL);
    hal_delay(SIM_US(6));
    ck_assert_uint_eq(hal_now(), SIM_US(6));
    ck_assert_uint_eq(regs[0], 1); /* the device event at 5 us has run */
    machine_entry_end(&m);
    ck_assert_uint_eq(m.cores[2].acct[CPU_KERNEL], SIM_US(6));
}
END_TEST

/* ---------------------------------------------------------------- user maps */

START_TEST(test_user_map_rw_ro)
{
    const uint64_t a = UINT64_C(1) << 20, b = UINT64_C(2) << 20;
    ck_assert_int_eq(hal_user_map(1, a, 0x10000, 1), 0);
    ck_assert_int_eq(hal_user_map(1, b, 0x1000, 0), 0);
    ck_assert_int_eq(hal_user_map(1, b + 0x1000, 0x1000, 1), 0);
    ck_assert_int_eq(machine_user_access(&m, 1, a, 64, true), 0);
    ck_assert_int_eq(machine_user_access(&m, 1, a + 0x10000 - 8, 8, false), 0);
    ck_assert_int_eq(machine_user_access(&m, 1, a + 0x10000 - 8, 9, false), -1);
    ck_assert_int_eq(machine_user_access(&m, 1, b, 16, false), 0);
    ck_assert_int_eq(machine_user_access(&m, 1, b, 16, true), -1); /* read-only */
    /* Spanning the RO page and the RW page after it. */
    ck_assert_int_eq(machine_user_access(&m, 1, b + 0xFF8, 16, false), 0);
    ck_assert_int_eq(machine_user_access(&m, 1, b + 0xFF8, 16, true), -1);
    ck_assert_int_eq(machine_user_access(&m, 1, b + 0x1FF8, 8, true), 0);
    ck_assert_int_eq(machine_user_access(&m, 1, b + 0x1FF8, 16, true), -1);
    /* Another core, overflow, bad grants. */
    ck_assert_int_eq(machine_user_access(&m, 2, a, 8, false), -1);
    ck_assert_int_eq(machine_user_access(&m, 1, UINT64_MAX - 4, 8, false), -1);
    ck_assert_int_eq(hal_user_map(4, a, 8, 1), -1);
    ck_assert_int_eq(hal_user_map(1, a, 0, 1), -1);
    ck_assert_int_eq(hal_user_map(1, UINT64_MAX - 4, 8, 1), -1);
}
END_TEST

/* ---------------------------------------------------------------- poll watches */

static unsigned nwatch;
static unsigned watch_core[16];
static sim_time_t watch_when[16];

static void on_watch(void *ctx, unsigned core, sim_time_t when)
{
    ck_assert_ptr_eq(ctx, &nwatch);
    if (nwatch < 16) {
        watch_core[nwatch] = core;
        watch_when[nwatch] = when;
    }
    nwatch++;
}

START_TEST(test_poll_watch_fires_with_dma_completion)
{
    const uint64_t w2 = UINT64_C(0x200000), w3 = UINT64_C(0x300000);
    uint8_t buf[32];
    memset(buf, 0x5A, sizeof buf);
    nwatch = 0;
    machine_set_watch(&m, on_watch, &nwatch);
    ck_assert_int_eq(hal_poll_watch(2, w2, 256), 0);
    ck_assert_int_eq(hal_poll_watch(3, w3, 64), 0);
    ck_assert_int_eq(hal_poll_watch(9, w3, 64), -1);
    sim_time_t done = 0;
    /* Inside core 2's range: one call with the completion time, which is
     * pcie.dma + the wire time (the IOMMU is in pass-through: no lookup). */
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, w2 + 16, buf, 32, &done), PCIE_DMA_OK);
    ck_assert_uint_eq(done, C(COST_PCIE_DMA) + pcie_wire_time(tlink, 32));
    ck_assert_uint_eq(nwatch, 1);
    ck_assert_uint_eq(watch_core[0], 2);
    ck_assert_uint_eq(watch_when[0], done);
    /* Unwatched: just after core 2's range, and between the ranges. */
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, w2 + 256, buf, 32, &done), PCIE_DMA_OK);
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, w3 - 32, buf, 32, &done), PCIE_DMA_OK);
    ck_assert_uint_eq(nwatch, 1);
    /* Straddling the start of core 3's range. */
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, w3 - 8, buf, 16, &done), PCIE_DMA_OK);
    ck_assert_uint_eq(nwatch, 2);
    ck_assert_uint_eq(watch_core[1], 3);
    ck_assert_uint_eq(watch_when[1], done);
    /* A faulting DMA (outside memory) does not fire. */
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, m.cfg.mem_bytes, buf, 8, &done),
                     PCIE_DMA_NO_MEMORY);
    ck_assert_uint_eq(nwatch, 2);
    /* The bytes land. */
    sim_run(sim, SIM_TIME_MAX);
    uint8_t out[32];
    ck_assert_int_eq(hal_mem_read(w2 + 16, out, 32), 0);
    ck_assert_mem_eq(out, buf, 32);
}
END_TEST

/* Repeated writes to one page (what the bus hook remembers, sim/hal.c
 * dma_written) are told to every watch they touch, each time: one watch
 * alone, then a range two cores watch (nested), then a page shared by
 * two adjacent watches, whose writes touch one or the other. */
START_TEST(test_poll_watch_repeated_and_overlapping)
{
    const uint64_t a = UINT64_C(0x400000), b = UINT64_C(0x500000);
    uint8_t buf[16] = {0};
    nwatch = 0;
    machine_set_watch(&m, on_watch, &nwatch);
    ck_assert_int_eq(hal_poll_watch(0, a, 4096), 0);
    ck_assert_int_eq(hal_poll_watch(1, b, 8192), 0);
    ck_assert_int_eq(hal_poll_watch(2, b + 4096, 64), 0);  /* inside core 1's */
    ck_assert_int_eq(hal_poll_watch(3, b + 8192, 2048), 0); /* right after it */
    sim_time_t done;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, a + 16 * i, buf, 16, &done), 0);
    ck_assert_uint_eq(nwatch, 3);
    ck_assert_uint_eq(watch_core[0], 0);
    ck_assert_uint_eq(watch_core[2], 0);
    for (int i = 0; i < 2; i++) /* nested: both, twice */
        ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, b + 4096, buf, 16, &done), 0);
    ck_assert_uint_eq(nwatch, 7);
    ck_assert(watch_core[3] + watch_core[4] == 3 && watch_core[5] + watch_core[6] == 3);
    for (int i = 0; i < 2; i++) /* core 1's alone, beside the nested one */
        ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, b + 4096 + 64, buf, 16, &done), 0);
    ck_assert_uint_eq(nwatch, 9);
    ck_assert_uint_eq(watch_core[7], 1);
    ck_assert_uint_eq(watch_core[8], 1);
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, b + 8192 - 16, buf, 16, &done), 0);
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, b + 8192, buf, 16, &done), 0);
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, b + 8192 - 8, buf, 16, &done), 0);
    ck_assert_uint_eq(nwatch, 13);
    ck_assert_uint_eq(watch_core[9], 1);
    ck_assert_uint_eq(watch_core[10], 3);
    ck_assert(watch_core[11] + watch_core[12] == 4); /* straddles the two */
}
END_TEST

/* ---------------------------------------------------------------- machine */

START_TEST(test_machine_layout)
{
    ck_assert_ptr_nonnull(m.nic);
    ck_assert_ptr_nonnull(m.nvme);
    machine_entry_begin(&m, 0, CPU_KERNEL);
    uint64_t cap = hal_mmio_read64(MACHINE_NVME_BAR);
    ck_assert_uint_eq((cap >> 32) & 0xF, 10); /* CAP.DSTRD: 4 KiB doorbell stride */
    hal_mmio_read32(MACHINE_IOMMU_BASE);      /* VT-d VER_REG */
    hal_mmio_read32(MACHINE_NIC_BAR);         /* 82599 CTRL */
    machine_entry_end(&m);
    ck_assert_uint_eq(pcie_stats(m.bus)->master_aborts, 0);
}
END_TEST

START_TEST(test_machine_refuses_bad_configs)
{
    machine_cfg_t cfg;
    machine_t bad;
    char err[200] = "";
    machine_cfg_default(&cfg);
    cfg.cores = 0;
    ck_assert_int_eq(machine_create(&bad, sim, &costs, &cfg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cores"));
    machine_cfg_default(&cfg);
    cfg.mem_bytes = 12345;
    ck_assert_int_eq(machine_create(&bad, sim, &costs, &cfg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "mem_bytes"));
    machine_cfg_default(&cfg);
    cfg.nic.queues = 0;
    ck_assert_int_eq(machine_create(&bad, sim, &costs, &cfg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "nic"));
    machine_cfg_default(&cfg);
    cfg.nvme.lba_size = 1000;
    ck_assert_int_eq(machine_create(&bad, sim, &costs, &cfg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "nvme"));
    machine_cfg_default(&cfg);
    cfg.nic_present = cfg.nvme_present = false;
    ck_assert_int_eq(machine_create(&bad, sim, &costs, &cfg, err, sizeof err), 0);
    ck_assert_ptr_null(bad.nic);
    machine_destroy(&bad);
    machine_hal_bind(&m);
}
END_TEST

/* ---------------------------------------------------------------- panics */

START_TEST(test_panic_aborts)
{
    hal_panic("test");
}
END_TEST

START_TEST(test_core_call_outside_entry_panics)
{
    hal_charge(COST_CPU_CYCLE, 1);
}
END_TEST

/* The inline form cannot check: the next booking (here an entry's begin)
 * refuses a charge made outside any entry. */
START_TEST(test_fast_charge_outside_entry_panics)
{
    hal_charge_fast(COST_CPU_CYCLE, 1);
    machine_entry_begin(&m, 0, CPU_KERNEL);
}
END_TEST

static Suite *hal_suite(void)
{
    Suite *s = suite_create("hal");
    TCase *tc = tcase_create("hal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_posted_write_reaches_device_at_core_clock);
    tcase_add_test(tc, test_write_at_now_goes_straight_and_order_is_kept);
    tcase_add_test(tc, test_mmio_read_charges_round_trip_and_sees_held_write);
    tcase_add_test(tc, test_mmio_sizes_and_master_abort);
    tcase_add_test(tc, test_charge_lands_in_entry_mode_and_core);
    tcase_add_test(tc, test_hal_now_is_later_of_now_and_clock);
    tcase_add_test(tc, test_fast_charge_and_now);
    tcase_add_test(tc, test_fast_memory);
    tcase_add_test(tc, test_cost_ids);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_timer_write_held_and_irq_trampoline);
    tcase_add_test(tc, test_bad_vectors_and_cores);
    tcase_add_test(tc, test_wait_flag_is_per_core_and_taken_once);
    tcase_add_test(tc, test_catch_up_lets_boot_poll_a_device);
    tcase_add_test(tc, test_inside_an_event_time_stands_still);
    tcase_add_test(tc, test_delay_charges_and_lets_the_machine_run);
    tcase_add_test(tc, test_user_map_rw_ro);
    tcase_add_test(tc, test_poll_watch_fires_with_dma_completion);
    tcase_add_test(tc, test_poll_watch_repeated_and_overlapping);
    tcase_add_test(tc, test_machine_layout);
    tcase_add_test(tc, test_machine_refuses_bad_configs);
    tcase_add_test_raise_signal(tc, test_panic_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, test_core_call_outside_entry_panics, SIGABRT);
    tcase_add_test_raise_signal(tc, test_fast_charge_outside_entry_panics, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hal_suite)
