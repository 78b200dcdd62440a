/* The ideal kernel and the load generator on deterministic scenarios:
 * constant arrivals and constant service (D/D/c), where every latency,
 * drop and core choice can be worked out by hand. */
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#include "model/hist.h"
#include "sim/config.h"
#include "sim/experiment.h"

#include <stdio.h>

static sim_config_t cfg;
static experiment_t x;

/* Run a D/D/c experiment: constant arrivals every period_ns, constant
 * service service_ns, `extra` more JSON members (may be empty). */
static void run(unsigned cores, const char *dispatch, double period_ns, double service_ns,
                const char *extra)
{
    char json[1024], err[CONFIG_ERR_MAX];
    snprintf(json, sizeof json,
             "{\"machine\": {\"cores\": %u}, \"kernel\": {\"dispatch\": \"%s\"%s},"
             " \"workload\": {\"service\": {\"dist\": \"constant\", \"mean_ns\": %g}},"
             " \"load\": {\"kind\": \"constant\", \"rate_rps\": %.17g}%s}",
             cores, dispatch, "", service_ns, 1e9 / period_ns, extra);
    const char *path = tmp_file("c.json", json);
    ck_assert_msg(config_load(&cfg, path, NULL, 0, 0, 0, err) == 0, "%s", err);
    ck_assert_int_eq(exp_create(&x, &cfg, err, sizeof err), 0);
    exp_run(&x, NULL, NULL);
}

static void done(void)
{
    exp_destroy(&x);
    config_free(&cfg);
}

/* Arrivals every 1 us, service 0.5 us: nobody waits, every latency is the
 * service time; over the window [0, 99 us) requests 0..98 complete (99 in
 * 99 us: 1e6/s) and their charges make the core busy half the time. */
START_TEST(test_dd1_underload_latency_is_service)
{
    run(1, "partitioned", 1000, 500, ", \"requests\": 100, \"warmup_requests\": 0");
    ck_assert_uint_eq(x.completed, 100);
    ck_assert_uint_eq(x.latency.count, 100);
    ck_assert_uint_eq(x.latency.min, 500000);
    ck_assert_uint_eq(x.latency.max, 500000);
    ck_assert_uint_eq(x.window_from, 0);
    ck_assert_uint_eq(x.window_to, SIM_US(99));
    ck_assert_uint_eq(x.completed_at_close - x.completed_at_open, 99);
    double u[CPU_MODES];
    cpu_utilisation(&x.cores[0], u);
    ck_assert_double_eq_tol(u[CPU_USER], 0.5, 1e-12);
    ck_assert_double_eq_tol(u[CPU_IDLE], 0.5, 1e-12);
    done();
}
END_TEST

/* Arrivals every 100 ns, service 250 ns, one FIFO: request k starts at
 * 250k, ends at 250(k+1), so its latency is 250 + 150k ns. */
START_TEST(test_dd1_overload_queues_in_fifo_order)
{
    run(1, "partitioned", 100, 250, ", \"requests\": 10, \"warmup_requests\": 0");
    ck_assert_uint_eq(x.latency.count, 10);
    ck_assert_uint_eq(x.latency.min, SIM_NS(250));
    ck_assert_uint_eq(x.latency.max, SIM_NS(250 + 150 * 9));
    ck_assert_double_eq_tol(hist_mean(&x.latency), 1000.0 * (250 + 150 * 4.5), 1e-6);
    ck_assert_uint_eq(sim_now(x.sim), SIM_NS(2500));
    done();
}
END_TEST

/* Same, with warm-up 5: only requests 5..9 are measured (250 + 150k). */
START_TEST(test_warmup_requests_are_not_measured)
{
    run(1, "partitioned", 100, 250, ", \"requests\": 10, \"warmup_requests\": 5");
    ck_assert_uint_eq(x.completed, 10);
    ck_assert_uint_eq(x.completed_measured, 5);
    ck_assert_uint_eq(x.latency.min, SIM_NS(250 + 150 * 5));
    ck_assert_uint_eq(x.window_from, SIM_NS(500));
    done();
}
END_TEST

/* queue_limit 2, arrivals every 100 ns, service 250 ns.  Worked by hand:
 * r0 runs 0-250; r1, r2 wait; r3 waits (r1 started at 250); r4 finds two
 * waiting: dropped; r2 starts at 500 and r5 (arriving at 500, after that
 * completion, which was scheduled first) waits; r6, r7 dropped; r3 starts
 * at 750; r8 waits; r9 dropped.  Drops: r4, r6, r7, r9. */
START_TEST(test_queue_limit_drops_arrivals)
{
    char err[CONFIG_ERR_MAX];
    const char *path = tmp_file(
        "c.json", "{\"requests\": 10, \"warmup_requests\": 0,"
                  " \"kernel\": {\"dispatch\": \"partitioned\", \"queue_limit\": 2},"
                  " \"workload\": {\"service\": {\"dist\": \"constant\", \"mean_ns\": 250}},"
                  " \"load\": {\"kind\": \"constant\", \"rate_rps\": 1e7}}");
    ck_assert_msg(config_load(&cfg, path, NULL, 0, 0, 0, err) == 0, "%s", err);
    ck_assert_int_eq(exp_create(&x, &cfg, err, sizeof err), 0);
    exp_run(&x, NULL, NULL);
    ck_assert_uint_eq(x.offered, 10);
    ck_assert_uint_eq(x.dropped[DROP_QUEUE_FULL], 4);
    ck_assert_uint_eq(x.completed, 6);
    /* r5 arrived at 500 and waited for r2 and r3: it ran 1000-1250, the
     * longest latency (r8: 800 to 1500, 700 ns) */
    ck_assert_uint_eq(x.latency.max, SIM_NS(750));
    done();
}
END_TEST

/* Three cores, arrivals every 100 ns, service 150 ns.  Longest-idle-first
 * hands r0, r1, r2... to cores 0, 1, 2, 0, 1, 2 (at 200 ns core 2, idle
 * since 0, beats core 0, idle since 150): 10 requests each.  Lowest-id
 * first would never use core 2. */
START_TEST(test_centralized_takes_the_longest_idle_core)
{
    run(3, "centralized", 100, 150, ", \"requests\": 30, \"warmup_requests\": 0");
    for (unsigned c = 0; c < 3; c++)
        ck_assert_uint_eq(x.core_completed[c], 10);
    ck_assert_uint_eq(x.latency.max, SIM_NS(150)); /* nobody waited */
    done();
}
END_TEST

/* Partitioned dispatch picks a core uniformly: 40000 requests on 4 cores
 * give 10000 each within 5 standard deviations (sd = sqrt(40000/4*3/4)). */
START_TEST(test_partitioned_spreads_uniformly)
{
    run(4, "partitioned", 1000, 10, ", \"requests\": 40000, \"warmup_requests\": 0");
    for (unsigned c = 0; c < 4; c++)
        ck_assert_msg(x.core_completed[c] > 10000 - 5 * 87 && x.core_completed[c] < 10000 + 5 * 87,
                      "core %u: %llu", c, (unsigned long long)x.core_completed[c]);
    done();
}
END_TEST

/* duration_us 10 with arrivals every 1 us: arrivals at 0, 1, .., 9 us. */
START_TEST(test_duration_offers_arrivals_before_the_end)
{
    run(1, "partitioned", 1000, 100, ", \"duration_us\": 10");
    ck_assert_uint_eq(x.offered, 10);
    ck_assert_uint_eq(x.completed, 10);
    ck_assert_uint_eq(sim_now(x.sim), SIM_NS(9100));
    done();
}
END_TEST

static Suite *kernel_ideal_suite(void)
{
    Suite *s = suite_create("kernel_ideal");
    TCase *tc = tcase_create("dd_c");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_dd1_underload_latency_is_service);
    tcase_add_test(tc, test_dd1_overload_queues_in_fifo_order);
    tcase_add_test(tc, test_warmup_requests_are_not_measured);
    tcase_add_test(tc, test_queue_limit_drops_arrivals);
    tcase_add_test(tc, test_centralized_takes_the_longest_idle_core);
    tcase_add_test(tc, test_partitioned_spreads_uniformly);
    tcase_add_test(tc, test_duration_offers_arrivals_before_the_end);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(kernel_ideal_suite)
