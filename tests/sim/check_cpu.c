/* Core accounting: charges serialise on a core, land in their mode, and
 * utilisation over a window is charged time / window length. */
#include "tests/check_main.h"

#include "sim/cpu.h"

START_TEST(test_charges_serialise_on_a_busy_core)
{
    cpu_t c;
    cpu_init(&c, 3);
    ck_assert_uint_eq(c.id, 3);
    /* free core: starts now */
    ck_assert_uint_eq(cpu_charge(&c, 100, 50, CPU_USER), 150);
    /* busy until 150: the next charge waits for it */
    ck_assert_uint_eq(cpu_charge(&c, 120, 30, CPU_KERNEL), 180);
    /* idle gap: starts at now again */
    ck_assert_uint_eq(cpu_charge(&c, 1000, 10, CPU_IRQ), 1010);
    ck_assert_uint_eq(c.acct[CPU_USER], 50);
    ck_assert_uint_eq(c.acct[CPU_KERNEL], 30);
    ck_assert_uint_eq(c.acct[CPU_IRQ], 10);
}
END_TEST

START_TEST(test_utilisation_over_a_window)
{
    cpu_t c;
    double u[CPU_MODES];
    cpu_init(&c, 0);
    cpu_charge(&c, 0, 500, CPU_USER); /* before the window: left out */
    cpu_window_open(&c, 1000);
    cpu_charge(&c, 1000, 250, CPU_USER);
    cpu_charge(&c, 2000, 100, CPU_KERNEL);
    cpu_charge(&c, 2900, 50, CPU_POLL);
    cpu_utilisation(&c, u); /* not closed yet: nothing to report */
    ck_assert_double_eq(u[CPU_USER], 0);
    cpu_window_close(&c, 3000); /* window [1000, 3000]: 2000 ps */
    cpu_charge(&c, 3000, 700, CPU_USER); /* after the window: left out */
    cpu_utilisation(&c, u);
    ck_assert_double_eq_tol(u[CPU_USER], 250.0 / 2000, 1e-12);
    ck_assert_double_eq_tol(u[CPU_KERNEL], 100.0 / 2000, 1e-12);
    ck_assert_double_eq_tol(u[CPU_POLL], 50.0 / 2000, 1e-12);
    ck_assert_double_eq_tol(u[CPU_IRQ], 0, 1e-12);
    ck_assert_double_eq_tol(u[CPU_IDLE], 1 - 400.0 / 2000, 1e-12);
}
END_TEST

START_TEST(test_empty_window_reports_zero)
{
    cpu_t c;
    double u[CPU_MODES];
    cpu_init(&c, 0);
    cpu_window_open(&c, 500);
    cpu_window_close(&c, 500);
    cpu_utilisation(&c, u);
    for (int m = 0; m < CPU_MODES; m++)
        ck_assert_double_eq(u[m], 0);
}
END_TEST

START_TEST(test_mode_names)
{
    ck_assert_str_eq(cpu_mode_name(CPU_USER), "user");
    ck_assert_str_eq(cpu_mode_name(CPU_KERNEL), "kernel");
    ck_assert_str_eq(cpu_mode_name(CPU_IRQ), "irq");
    ck_assert_str_eq(cpu_mode_name(CPU_POLL), "poll");
    ck_assert_str_eq(cpu_mode_name(CPU_IDLE), "idle");
    ck_assert_str_eq(cpu_mode_name(CPU_MODES), "?");
}
END_TEST

static Suite *cpu_suite(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("accounting");
    tcase_add_test(tc, test_charges_serialise_on_a_busy_core);
    tcase_add_test(tc, test_utilisation_over_a_window);
    tcase_add_test(tc, test_empty_window_reports_zero);
    tcase_add_test(tc, test_mode_names);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(cpu_suite)
