/* Kernel timers (kernel/ktimer.c): per-process timers multiplexed on the
 * core's deadline timer, driven through the simulated per-core timers and
 * interrupt controllers.  Expiries arrive as completions in deadline
 * order (ties in arm order), no earlier than the deadline and no later
 * than the deadline plus the interrupt entry (cost table cpu.irq_entry,
 * 500 ns in the default profile); cancellation, the per-process limit,
 * and the CQ-full rule. */
#include "tests/check_main.h"

#include "tests/kernel/kharness.h"

#define IRQ_ENTRY SIM_NS(500) /* model/cost.c: cpu.irq_entry, default profile */

static kh_t h;
static sim_time_t t0;

static void marker(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)arg;
    (void)data;
}

/* Run the engine to t, and be at t: sim_run leaves time at the last event
 * it ran, so a do-nothing event marks t. */
static void advance(sim_time_t t)
{
    if (t > sim_now(h.sim))
        sim_at(h.sim, t, marker, NULL, 0);
    kh_run_until(&h, t);
} /* the tests' time origin: after boot, on a whole us */

/* A machine without devices (timers need none), booted; the engine and
 * every core are then at t0. */
static void boot(unsigned sq, unsigned cq, unsigned max_timers)
{
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    cfg.nic_present = cfg.nvme_present = false;
    cfg.iommu_mode = MACHINE_IOMMU_OFF;
    ck_assert_msg(kh_init(&h, &cfg) == 0, "%s", h.err);
    kh_plan(&h, 2, 0, 0);
    h.plan.sq_entries = sq;
    h.plan.cq_entries = cq;
    h.plan.procs[0].max_timers = h.plan.procs[1].max_timers = max_timers;
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
    t0 = (kh_core_time(&h, 0) / SIM_US(1) + 1) * SIM_US(1);
    advance(t0);
    ck_assert_uint_eq(k_stats()->irqs, 0);
}

/* Absolute time x us after t0, in ns (PK_TIMER_ABS's unit). */
static uint64_t at_us(uint64_t x)
{
    return (t0 + SIM_US(x)) / 1000;
}

/* Run the engine until x us after t0 (plus extra ps). */
static void run_to(uint64_t x, sim_time_t extra)
{
    advance(t0 + SIM_US(x) + extra);
}

static void setup(void)
{
    boot(64, 128, 16);
}

static void teardown(void)
{
    kh_fini(&h);
}

static struct pk_sqe arm_abs(uint64_t ud, uint64_t ns)
{
    struct pk_sqe s = {.opcode = PK_OP_TIMER_ARM, .user_data = ud};
    s.u.timer.ns = ns;
    s.u.timer.flags = PK_TIMER_ABS;
    return s;
}

static struct pk_sqe arm_rel(uint64_t ud, uint64_t ns)
{
    struct pk_sqe s = {.opcode = PK_OP_TIMER_ARM, .user_data = ud};
    s.u.timer.ns = ns;
    return s;
}

static struct pk_sqe cancel(uint64_t ud)
{
    return (struct pk_sqe){.opcode = PK_OP_TIMER_CANCEL, .user_data = ud};
}

static void submit(unsigned pid, struct pk_sqe s)
{
    ck_assert_int_eq(kh_submit(&h, pid, &s), 1);
}

static void expect_cqe(unsigned pid, uint64_t ud, int32_t res, uint32_t op)
{
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, pid, &c), 0);
    ck_assert_uint_eq(c.user_data, ud);
    ck_assert_int_eq(c.res, res);
    ck_assert_uint_eq(c.flags & 0xff, op);
}

START_TEST(test_expiry_arrives_at_its_deadline)
{
    submit(0, arm_abs(7, at_us(50))); /* 50 us, absolute */
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    advance(t0 + SIM_US(50) - 1);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    ck_assert_uint_eq(k_stats()->irqs, 0);
    run_to(50, IRQ_ENTRY);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 1);
    expect_cqe(0, 7, 0, PK_OP_TIMER_ARM);
    ck_assert_uint_eq(k_stats()->irqs, 1);
    ck_assert_uint_eq(k_proc_stats(0)->timers_fired, 1);
    /* the handler ran in irq mode on the process's core only */
    ck_assert_uint_ge(h.m.cores[0].acct[CPU_IRQ], IRQ_ENTRY);
    ck_assert_uint_eq(h.m.cores[1].acct[CPU_IRQ], 0);
}
END_TEST

START_TEST(test_relative_timer_counts_from_the_call)
{
    run_to(3, 0);
    sim_time_t before = kh_core_time(&h, 0);
    submit(0, arm_rel(1, 10000)); /* 10 us */
    sim_time_t after = kh_core_time(&h, 0);
    advance(before + SIM_US(10) - 1);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    advance(after + SIM_US(10) + IRQ_ENTRY);
    expect_cqe(0, 1, 0, PK_OP_TIMER_ARM);
}
END_TEST

/* Deadlines (us) in scrambled order with ties: expected firing order is
 * by deadline, ties by arm order. */
START_TEST(test_many_timers_fire_in_deadline_order)
{
    static const unsigned us[16] = {40, 10, 30, 10, 20, 50, 30, 15, 10, 45, 5, 20, 35, 5, 25, 40};
    for (unsigned i = 0; i < 16; i++)
        submit(0, arm_abs(i, at_us(100 + us[i]))); /* after the arming calls */
    run_to(160, 0);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 16);
    /* hand-sorted: (5:10) (5:13) (10:1) (10:3) (10:8) (15:7) (20:4) (20:11)
     * (25:14) (30:2) (30:6) (35:12) (40:0) (40:15) (45:9) (50:5) */
    static const unsigned order[16] = {10, 13, 1, 3, 8, 7, 4, 11, 14, 2, 6, 12, 0, 15, 9, 5};
    for (unsigned i = 0; i < 16; i++)
        expect_cqe(0, order[i], 0, PK_OP_TIMER_ARM);
    /* one interrupt per distinct deadline: 5, 10, ..., 50 us, 10 of them */
    ck_assert_uint_eq(k_stats()->irqs, 10);
}
END_TEST

START_TEST(test_a_heap_full_of_timers)
{
    kh_fini(&h);
    boot(256, 512, 256);
    /* 256 timers, deadlines from a permutation (37 i mod 256, 37 odd),
     * each in its own us, all after the 256 arming calls end: they must
     * fire in deadline order */
    for (unsigned i = 0; i < 256; i++)
        submit(0, arm_abs(i, at_us(1000 + (37 * i) % 256)));
    ck_assert_uint_lt(kh_core_time(&h, 0), t0 + SIM_US(1000));
    ck_assert_int_eq(kh_submit(&h, 0, &(struct pk_sqe){.opcode = PK_OP_TIMER_ARM}), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), 0);
    ck_assert_int_eq(c.res, -PK_ETIMERS);
    run_to(1300, 0);
    for (unsigned d = 0; d < 256; d++) {
        /* deadline 1000 + d us: the i with 37 i = d (mod 256); 37 * 173 = 1 (mod 256) */
        unsigned i = (173 * d) % 256;
        expect_cqe(0, i, 0, PK_OP_TIMER_ARM);
    }
    ck_assert_uint_eq(k_proc_stats(0)->timers_fired, 256);
}
END_TEST

START_TEST(test_cancel_completes_both)
{
    submit(0, arm_abs(1, at_us(20)));
    submit(0, arm_abs(2, at_us(30)));
    submit(0, cancel(1));
    /* the cancelled timer's completion, then the cancel's own */
    expect_cqe(0, 1, -PK_ECANCELED, PK_OP_TIMER_ARM);
    expect_cqe(0, 1, 0, PK_OP_TIMER_CANCEL);
    /* the deadline moved to 30 us: no interrupt at 20 */
    run_to(25, 0);
    ck_assert_uint_eq(k_stats()->irqs, 0);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    run_to(31, 0);
    expect_cqe(0, 2, 0, PK_OP_TIMER_ARM);
    ck_assert_uint_eq(k_stats()->irqs, 1);
    /* a fired timer and an unknown one cannot be cancelled */
    submit(0, cancel(2));
    expect_cqe(0, 2, -PK_ENOENT, PK_OP_TIMER_CANCEL);
    submit(0, cancel(99));
    expect_cqe(0, 99, -PK_ENOENT, PK_OP_TIMER_CANCEL);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_ENOENT], 2);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_ECANCELED], 1);
}
END_TEST

START_TEST(test_cancel_takes_the_earliest_armed_of_equal_names)
{
    submit(0, arm_abs(5, at_us(40)));
    submit(0, arm_abs(5, at_us(20)));
    submit(0, cancel(5)); /* the one armed first: 40 us */
    expect_cqe(0, 5, -PK_ECANCELED, PK_OP_TIMER_ARM);
    expect_cqe(0, 5, 0, PK_OP_TIMER_CANCEL);
    run_to(50, 0);
    expect_cqe(0, 5, 0, PK_OP_TIMER_ARM);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    ck_assert_uint_eq(k_stats()->irqs, 1); /* only the 20 us one */
}
END_TEST

START_TEST(test_cancel_in_the_middle_of_the_heap)
{
    for (unsigned i = 0; i < 10; i++)
        submit(0, arm_abs(i, at_us(10 + i)));
    submit(0, cancel(4));
    submit(0, cancel(7));
    expect_cqe(0, 4, -PK_ECANCELED, PK_OP_TIMER_ARM);
    expect_cqe(0, 4, 0, PK_OP_TIMER_CANCEL);
    expect_cqe(0, 7, -PK_ECANCELED, PK_OP_TIMER_ARM);
    expect_cqe(0, 7, 0, PK_OP_TIMER_CANCEL);
    run_to(30, 0);
    static const unsigned left[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (unsigned i = 0; i < 8; i++)
        expect_cqe(0, left[i], 0, PK_OP_TIMER_ARM);
}
END_TEST

START_TEST(test_timer_flood_is_refused)
{
    for (unsigned i = 0; i < 16; i++)
        submit(0, arm_rel(i, 1000000));
    submit(0, arm_rel(16, 1000000));
    expect_cqe(0, 16, -PK_ETIMERS, PK_OP_TIMER_ARM);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_ETIMERS], 1);
    /* the other process's timers are its own */
    submit(1, arm_rel(1, 1000));
    advance(sim_now(h.sim) + SIM_US(5));
    expect_cqe(1, 1, 0, PK_OP_TIMER_ARM);
    /* a cancel frees a slot */
    submit(0, cancel(3));
    expect_cqe(0, 3, -PK_ECANCELED, PK_OP_TIMER_ARM);
    expect_cqe(0, 3, 0, PK_OP_TIMER_CANCEL);
    submit(0, arm_rel(17, 1000000));
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
}
END_TEST

START_TEST(test_bad_timer_arguments)
{
    submit(0, arm_rel(1, UINT64_MAX / 1000 + 1)); /* ns * 1000 overflows */
    expect_cqe(0, 1, -PK_EINVAL, PK_OP_TIMER_ARM);
    submit(0, arm_rel(2, UINT64_MAX / 1000)); /* now + ps overflows */
    expect_cqe(0, 2, -PK_EINVAL, PK_OP_TIMER_ARM);
    struct pk_sqe s = arm_rel(3, 1000);
    s.u.timer.flags = 0x10;
    submit(0, s);
    expect_cqe(0, 3, -PK_EINVAL, PK_OP_TIMER_ARM);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_EINVAL], 3);
}
END_TEST

START_TEST(test_past_deadline_completes_in_the_same_call)
{
    run_to(10, 0);
    submit(0, arm_abs(4, at_us(1))); /* 1 us: already past */
    expect_cqe(0, 4, 0, PK_OP_TIMER_ARM);
    run_to(20, 0);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
}
END_TEST

START_TEST(test_full_cq_keeps_timers_due)
{
    kh_fini(&h);
    boot(4, 4, 16);
    submit(0, arm_abs(1, at_us(10)));
    submit(0, arm_abs(2, at_us(11)));
    /* three NOPs leave one free slot */
    for (unsigned i = 0; i < 3; i++)
        submit(0, (struct pk_sqe){.opcode = PK_OP_NOP, .user_data = 100 + i});
    run_to(20, 0);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 4);
    for (unsigned i = 0; i < 3; i++)
        expect_cqe(0, 100 + i, 0, PK_OP_NOP);
    expect_cqe(0, 1, 0, PK_OP_TIMER_ARM);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    /* timer 2 stayed due; the next pk_enter collects it */
    ck_assert_int_eq(kh_enter(&h, 0, 0, 0, 0), 0);
    expect_cqe(0, 2, 0, PK_OP_TIMER_ARM);
    ck_assert_uint_eq(k_proc_stats(0)->timers_fired, 2);
}
END_TEST

START_TEST(test_deadline_is_written_only_when_the_earliest_changes)
{
    submit(0, arm_abs(1, at_us(30))); /* earliest: program */
    submit(0, arm_abs(2, at_us(20))); /* earlier: program */
    submit(0, arm_abs(3, at_us(40))); /* later: nothing */
    submit(0, arm_abs(4, at_us(25))); /* later: nothing */
    ck_assert_uint_eq(k_stats()->timer_programs, 2);
    run_to(21, 0); /* fires 20; re-arm for 25 */
    ck_assert_uint_eq(k_stats()->timer_programs, 3);
    run_to(50, 0); /* 25 -> 30 -> 40 -> nothing left */
    ck_assert_uint_eq(k_stats()->timer_programs, 5);
    ck_assert_uint_eq(k_proc_stats(0)->timers_fired, 4);
}
END_TEST

START_TEST(test_timers_of_two_cores_are_independent)
{
    submit(0, arm_abs(1, at_us(30)));
    submit(1, arm_abs(2, at_us(10)));
    run_to(11, 0);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    expect_cqe(1, 2, 0, PK_OP_TIMER_ARM);
    run_to(31, 0);
    expect_cqe(0, 1, 0, PK_OP_TIMER_ARM);
    /* one interrupt each: its entry plus the handler's (short) work */
    for (unsigned c = 0; c < 2; c++) {
        ck_assert_uint_ge(h.m.cores[c].acct[CPU_IRQ], IRQ_ENTRY);
        ck_assert_uint_lt(h.m.cores[c].acct[CPU_IRQ], 2 * IRQ_ENTRY);
    }
}
END_TEST

static Suite *ktimer_suite(void)
{
    Suite *s = suite_create("kernel_timer");
    TCase *tc = tcase_create("timer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_expiry_arrives_at_its_deadline);
    tcase_add_test(tc, test_relative_timer_counts_from_the_call);
    tcase_add_test(tc, test_many_timers_fire_in_deadline_order);
    tcase_add_test(tc, test_a_heap_full_of_timers);
    tcase_add_test(tc, test_cancel_completes_both);
    tcase_add_test(tc, test_cancel_takes_the_earliest_armed_of_equal_names);
    tcase_add_test(tc, test_cancel_in_the_middle_of_the_heap);
    tcase_add_test(tc, test_timer_flood_is_refused);
    tcase_add_test(tc, test_bad_timer_arguments);
    tcase_add_test(tc, test_past_deadline_completes_in_the_same_call);
    tcase_add_test(tc, test_full_cq_keeps_timers_due);
    tcase_add_test(tc, test_deadline_is_written_only_when_the_earliest_changes);
    tcase_add_test(tc, test_timers_of_two_cores_are_independent);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(ktimer_suite)
