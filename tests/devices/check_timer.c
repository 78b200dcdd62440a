/* Per-core deadline timers delivered through the interrupt controllers:
 * arm, re-arm, disarm, fire in the past, masking, per-core independence,
 * and the interrupt-entry cost charged on the receiving core. */
#include "tests/check_main.h"

#include "devices/timer.h"
#include "model/cost.h"
#include "sim/irqc.h"

#define CORES 2
#define VEC 0xEC

static sim_t *sim;
static cpu_t cores[CORES];
static cost_table_t costs;
static irqc_t *ic;
static timer_dev_t *tm;

/* What the handler saw. */
static unsigned fired;
static sim_time_t fired_at[8];
static unsigned fired_core[8];

static void handler(void *ctx, unsigned core, unsigned vector)
{
    (void)ctx;
    ck_assert_uint_eq(vector, VEC);
    if (fired < 8) {
        fired_at[fired] = sim_now(sim);
        fired_core[fired] = core;
    }
    fired++;
}

static void setup(void)
{
    sim = sim_create();
    ck_assert_int_eq(cost_table_init(&costs, "default"), 0);
    for (unsigned c = 0; c < CORES; c++)
        cpu_init(&cores[c], c);
    ic = irqc_create(sim, cores, CORES, &costs);
    tm = timer_dev_create(sim, CORES, irqc_sink(ic));
    fired = 0;
    for (unsigned c = 0; c < CORES; c++) {
        ck_assert_int_eq(irqc_register(ic, c, VEC, handler, NULL), 0);
        ck_assert_int_eq(timer_write_lvt(tm, c, VEC | TIMER_LVT_MODE_DEADLINE << TIMER_LVT_MODE_SHIFT), 0);
    }
}

static void teardown(void)
{
    timer_dev_destroy(tm);
    irqc_destroy(ic);
    sim_destroy(sim);
}

START_TEST(test_fires_at_the_deadline_on_its_core)
{
    timer_write_deadline(tm, 1, SIM_US(5));
    ck_assert_uint_eq(timer_read_deadline(tm, 1), SIM_US(5));
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(fired, 1);
    ck_assert_uint_eq(fired_at[0], SIM_US(5));
    ck_assert_uint_eq(fired_core[0], 1);
    ck_assert_uint_eq(timer_read_deadline(tm, 1), 0); /* one-shot */
    ck_assert_uint_eq(irqc_delivered(ic, 1), 1);
    ck_assert_uint_eq(irqc_delivered(ic, 0), 0);
}
END_TEST

START_TEST(test_interrupt_entry_is_charged_on_the_core)
{
    timer_write_deadline(tm, 0, SIM_US(1));
    sim_run(sim, SIM_TIME_MAX);
    /* cpu.irq_entry of the default profile: 500 ns (model/cost.c) */
    ck_assert_uint_eq(cores[0].acct[CPU_IRQ], SIM_NS(500));
    ck_assert_uint_eq(cores[0].clock, SIM_US(1) + SIM_NS(500));
    ck_assert_uint_eq(cores[1].acct[CPU_IRQ], 0);
}
END_TEST

START_TEST(test_rearm_replaces_and_zero_disarms)
{
    timer_write_deadline(tm, 0, SIM_US(10));
    timer_write_deadline(tm, 0, SIM_US(3)); /* earlier: replaces */
    timer_write_deadline(tm, 1, SIM_US(4));
    timer_write_deadline(tm, 1, 0);         /* disarm */
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(fired, 1);
    ck_assert_uint_eq(fired_at[0], SIM_US(3));
    ck_assert_uint_eq(timer_stats(tm, 0)->armed, 2);
    ck_assert_uint_eq(timer_stats(tm, 1)->disarmed, 1);
    ck_assert_uint_eq(timer_stats(tm, 1)->fired, 0);
}
END_TEST

static void arm_in_past(sim_t *s, void *arg, uint64_t data)
{
    (void)s;
    (void)arg;
    (void)data;
    timer_write_deadline(tm, 0, SIM_US(1)); /* now is 2 us */
}

START_TEST(test_deadline_in_the_past_fires_at_once)
{
    sim_at(sim, SIM_US(2), arm_in_past, NULL, 0);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(fired, 1);
    ck_assert_uint_eq(fired_at[0], SIM_US(2));
}
END_TEST

START_TEST(test_masked_timer_fires_without_interrupt)
{
    ck_assert_int_eq(timer_write_lvt(tm, 0, VEC | TIMER_LVT_MASKED |
                                               TIMER_LVT_MODE_DEADLINE << TIMER_LVT_MODE_SHIFT), 0);
    timer_write_deadline(tm, 0, SIM_US(1));
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(fired, 0);
    ck_assert_uint_eq(timer_stats(tm, 0)->fired, 1);
    ck_assert_uint_eq(timer_stats(tm, 0)->masked, 1);
    ck_assert_uint_eq(cores[0].acct[CPU_IRQ], 0);
}
END_TEST

START_TEST(test_only_deadline_mode_and_real_cores)
{
    uint32_t before = timer_read_lvt(tm, 0);
    ck_assert_int_eq(timer_write_lvt(tm, 0, VEC), -1); /* one-shot mode 00b */
    ck_assert_int_eq(timer_write_lvt(tm, 0, VEC | 1u << TIMER_LVT_MODE_SHIFT), -1); /* periodic */
    ck_assert_uint_eq(timer_read_lvt(tm, 0), before);
    ck_assert_int_eq(timer_write_lvt(tm, CORES, VEC | TIMER_LVT_MODE_DEADLINE << TIMER_LVT_MODE_SHIFT), -1);
    timer_write_deadline(tm, CORES, SIM_US(1)); /* no such core: ignored */
    ck_assert_uint_eq(timer_read_deadline(tm, CORES), 0);
    ck_assert_uint_eq(sim_pending(sim), 0);
}
END_TEST

START_TEST(test_reset_state_is_masked_deadline_mode)
{
    timer_dev_t *fresh = timer_dev_create(sim, 1, irqc_sink(ic));
    ck_assert_uint_eq(timer_read_lvt(fresh, 0), TIMER_LVT_MASKED | 2u << 17);
    timer_dev_destroy(fresh);
}
END_TEST

START_TEST(test_unhandled_vector_is_spurious_and_low_vectors_refused)
{
    ck_assert_int_eq(irqc_register(ic, 0, 31, handler, NULL), -1); /* exception range */
    ck_assert_int_eq(irqc_register(ic, 0, VEC, NULL, NULL), 0);    /* remove */
    timer_write_deadline(tm, 0, SIM_US(1));
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(fired, 0);
    ck_assert_uint_eq(irqc_spurious(ic, 0), 1);
}
END_TEST

static Suite *timer_suite(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("deadline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fires_at_the_deadline_on_its_core);
    tcase_add_test(tc, test_interrupt_entry_is_charged_on_the_core);
    tcase_add_test(tc, test_rearm_replaces_and_zero_disarms);
    tcase_add_test(tc, test_deadline_in_the_past_fires_at_once);
    tcase_add_test(tc, test_masked_timer_fires_without_interrupt);
    tcase_add_test(tc, test_only_deadline_mode_and_real_cores);
    tcase_add_test(tc, test_reset_state_is_masked_deadline_mode);
    tcase_add_test(tc, test_unhandled_vector_is_spurious_and_low_vectors_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(timer_suite)
