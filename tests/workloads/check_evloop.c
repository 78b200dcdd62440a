/* tests/workloads/check_evloop: the event-loop server (workloads/evloop.c)
 * as parakernel processes on the simulated host of
 * tests/workloads/evloop_host.h (the real kernel, sim/proc, the NIC's
 * wire; the pattern of check_echo.c).  The runtime's timers alone:
 * check_evloop_rt.c.
 *
 * Expectations are independent of the code under test: replies are
 * checked against a swap of the request's addresses done here; delays
 * against the configured service time, timer delay and pause; pause
 * counts against floor(T / P); the CPU time against requests x S (less
 * the cost table's rounding of cpu.cycle, 0.1%) and a bound on the loop's
 * own work computed from the cost table; timer counts against the
 * kernel's own counters (k_proc_stats). */
#include "tests/check_main.h"

#include "tests/workloads/evloop_host.h"

static sim_time_t user_ps(unsigned core)
{
    return H.h.m.cores[core].acct[CPU_USER];
}

/* The loop's own work per request, an upper bound from the cost table:
 * the frame path, the callback, the reply and the refill SQEs, the TX
 * completion and a few loop iterations are well under 4 LLC accesses
 * and 400 cycles (echo.c's frame path alone is 2 lines and 36 cycles). */
static sim_time_t overhead_ps(void)
{
    return 4 * cost_ps(&H.h.costs, COST_MEM_LLC) + 400 * cost_ps(&H.h.costs, COST_CPU_CYCLE);
}

/* S ns charged as cycles lose at most the cost table's rounding of one
 * cycle (1/3 ns to 333 ps: 0.1%). */
static bool about(sim_time_t got, sim_time_t want)
{
    return got <= want && got >= want - want / 500;
}

/* ---------------------------------------------------------------- replies */

/* Every request is answered once with the echo reply, under both
 * mediations; the request callbacks and replies are counted. */
START_TEST(test_reply_is_the_request_swapped)
{
    static const enum pk_mediation meds[] = {PK_MEDIATE_RANGE, PK_MEDIATE_POOL};
    static const wl_param_t p[] = {{"service_ns", "500"}};
    for (size_t m = 0; m < 2; m++) {
        host_up(1, meds[m], p, 1);
        for (unsigned i = 0; i < 5; i++)
            inject_at(H.t0 + SIM_US(10) + i * SIM_US(20), i);
        kh_run_until(&H.h, H.t0 + SIM_US(300));
        ck_assert_uint_eq(H.n, 5);
        for (unsigned i = 0; i < 5; i++) {
            int r = reply_of(i);
            ck_assert_int_ge(r, 0);
            uint8_t want[60];
            expected_reply(injected[i], want);
            ck_assert_uint_eq(H.len[r], 60);
            ck_assert_mem_eq(H.frame[r], want, 60);
        }
        ck_assert_uint_eq(report_u64(0, "requests"), 5);
        ck_assert_uint_eq(report_u64(0, "replies"), 5);
        host_down();
    }
}
END_TEST

static wl_client_cfg_t client_cfg(uint64_t requests, double rate)
{
    wl_client_cfg_t g = {
        .seed = 7,
        .load = WL_LOAD_POISSON,
        .rate = rate,
        .requests = requests,
        .flows = 64,
        .host_port = 7,
        .frame_len = 60,
        .t_start_ps = H.t0,
        .wire_ps = nic_wire_time(LINK_GBPS, 60),
        .ifg_ps = nic_wire_time(LINK_GBPS, 60) / 84 * 12,
    };
    memcpy(g.client_mac, CLIENT_MAC, 6);
    memcpy(g.host_mac, H.h.plan.nic.mac, 6);
    static const uint8_t hip[4] = {10, 0, 0, 1}, cip[4] = {10, 1, 0, 0};
    memcpy(g.host_ip, hip, 4);
    memcpy(g.client_ip, cip, 4);
    return g;
}

static void run_client(uint64_t requests, double rate)
{
    wl_client_cfg_t g = client_cfg(requests, rate);
    char err[160] = "";
    ck_assert_msg(wl_client_init(&H.client, &g, err, sizeof err) == 0, "%s", err);
    H.with_client = true;
    uint64_t last = 0;
    H.next_len = sizeof H.next;
    ck_assert_int_eq(wl_client_next(&H.client, NULL, &last, H.next, &H.next_len), 0);
    sim_at(H.h.sim, last, client_event, &H, 0);
    kh_run_until(&H.h, H.t0 + SIM_US((uint64_t)((double)requests / rate * 2e6) + 500));
    const wl_client_stats_t *st = wl_client_stats(&H.client);
    ck_assert_uint_eq(st->sent, requests);
    ck_assert_uint_eq(st->answered, requests);
    ck_assert_uint_eq(st->duplicates, 0);
    ck_assert_uint_eq(st->unknown, 0);
    ck_assert_uint_eq(st->malformed, 0);
    ck_assert_uint_eq(st->received, requests);
}

/* Everything at once -- two processes behind RSS, exponential handlers,
 * deferred replies, pauses -- and the client (which checks each response
 * against its request) sees every request answered exactly once. */
static const wl_param_t mixed[] = {
    {"service", "exponential"}, {"service_ns", "2000"}, {"defer_ratio", "0.3"},
    {"defer_ns", "20000"},      {"gc_period_us", "200"}, {"gc_pause_us", "20"},
};
#define NMIXED (sizeof mixed / sizeof mixed[0])

START_TEST(test_client_sees_every_request_answered_once)
{
    static const enum pk_mediation meds[] = {PK_MEDIATE_RANGE, PK_MEDIATE_POOL};
    for (size_t m = 0; m < 2; m++) {
        host_up(2, meds[m], mixed, NMIXED);
        run_client(2000, 2e5);
        uint64_t served = 0;
        for (unsigned pid = 0; pid < 2; pid++) {
            uint64_t req = report_u64(pid, "requests");
            ck_assert_uint_gt(req, 0);
            ck_assert_uint_eq(report_u64(pid, "replies"), req);
            ck_assert_uint_gt(report_u64(pid, "deferred"), 0);
            ck_assert_uint_lt(report_u64(pid, "deferred"), req);
            ck_assert_uint_gt(report_u64(pid, "gc.pauses"), 0);
            ck_assert_uint_eq(report_hist(pid, "service")->count, req);
            served += req;
        }
        ck_assert_uint_eq(served, 2000);
        host_down();
    }
}
END_TEST

/* ---------------------------------------------------------------- service time */

/* Requests far apart, constant service S: user time grown by N x S and
 * the loop's own work; returns the growth. */
static sim_time_t run_spaced(uint64_t s_ns, unsigned n)
{
    char sv[32];
    snprintf(sv, sizeof sv, "%llu", (unsigned long long)s_ns);
    const wl_param_t p[] = {{"service", "constant"}, {"service_ns", sv}};
    host_up(1, PK_MEDIATE_RANGE, p, 2);
    sim_time_t u0 = user_ps(0);
    for (unsigned i = 0; i < n; i++)
        inject_at(H.t0 + SIM_US(10) + i * SIM_US(100), i);
    kh_run_until(&H.h, H.t0 + SIM_US(10) + n * SIM_US(100) + SIM_US(100));
    sim_time_t du = user_ps(0) - u0;
    ck_assert_uint_eq(H.n, n);
    for (unsigned i = 0; i < n; i++) {
        int r = reply_of(i);
        ck_assert_int_ge(r, 0);
        ck_assert_msg(H.t_last[r] >= injected_at[i] + SIM_NS(s_ns),
                      "request %u: reply %llu ps after arrival, service %llu ns", i,
                      (unsigned long long)(H.t_last[r] - injected_at[i]),
                      (unsigned long long)s_ns);
    }
    const hist_t *h = report_hist(0, "service");
    ck_assert_uint_eq(h->count, n);
    ck_assert(about(h->min, SIM_NS(s_ns)) && about(h->max, SIM_NS(s_ns)));
    ck_assert_uint_ge(du, (sim_time_t)n * (SIM_NS(s_ns) - SIM_NS(s_ns) / 500));
    ck_assert_uint_le(du, (sim_time_t)n * (SIM_NS(s_ns) + overhead_ps()));
    host_down();
    return du;
}

START_TEST(test_constant_service_delays_replies_and_charges_user_time)
{
    const unsigned n = 10;
    const uint64_t s = 20000;
    sim_time_t with = run_spaced(s, n), without = run_spaced(0, n);
    /* the handler's time alone: the same loop work in both runs */
    ck_assert_msg(about(with - without, n * SIM_NS(s)), "difference %llu ps, want %llu",
                  (unsigned long long)(with - without), (unsigned long long)(n * SIM_NS(s)));
}
END_TEST

/* ---------------------------------------------------------------- pauses */

START_TEST(test_gc_pauses_count_and_stall_requests)
{
    const sim_time_t P = SIM_US(100), G = SIM_US(30);
    static const wl_param_t p[] = {
        {"service_ns", "1000"}, {"gc_period_us", "100"}, {"gc_pause_us", "30"},
        {"gc_phase_us", "0"}};
    host_up(1, PK_MEDIATE_RANGE, p, 4);
    sim_time_t k = (H.t0 / P + 2) * P;  /* a pause starts there */
    inject_at(k + SIM_US(10), 0);       /* 20 us of it left */
    inject_at(k + SIM_US(60), 1);       /* between pauses */
    sim_time_t end = H.t0 + SIM_US(2000);
    kh_run_until(&H.h, end);
    uint64_t want = end / P - H.t_spawn / P, got = report_u64(0, "gc.pauses");
    ck_assert_msg(got + 1 >= want && got <= want + 1, "%llu pauses, want %llu +- 1",
                  (unsigned long long)got, (unsigned long long)want);
    ck_assert(about(report_u64(0, "gc.ns") * 1000, got * G));
    int a = reply_of(0), b = reply_of(1);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(b, 0);
    ck_assert_msg(H.t_last[a] - injected_at[0] > G - SIM_US(10),
                  "stalled request answered after %llu ps",
                  (unsigned long long)(H.t_last[a] - injected_at[0]));
    ck_assert_uint_ge(H.t_last[a], k + G - G / 500);
    ck_assert_uint_lt(H.t_last[b] - injected_at[1], SIM_US(10));
    host_down();
}
END_TEST

/* ---------------------------------------------------------------- deferred replies */

/* defer_ratio 1: every reply waits defer_ns; more at once than the
 * kernel's max_timers (16), so some wait in the runtime's heap; the
 * kernel fired one timer per request. */
START_TEST(test_deferred_replies_wait_for_their_timer)
{
    const unsigned n = 40;
    const sim_time_t D = SIM_US(50);
    static const wl_param_t p[] = {{"defer_ratio", "1"}, {"defer_ns", "50000"}};
    host_up(1, PK_MEDIATE_RANGE, p, 2);
    ck_assert_uint_lt(H.h.plan.procs[0].max_timers, n);
    for (unsigned i = 0; i < n; i++) /* 2 us apart: 25 deferred at once */
        inject_at(H.t0 + SIM_US(10) + i * SIM_US(2), i);
    kh_run_until(&H.h, H.t0 + SIM_US(300));
    ck_assert_uint_eq(H.n, n);
    for (unsigned i = 0; i < n; i++) {
        int r = reply_of(i);
        ck_assert_int_ge(r, 0);
        sim_time_t lat = H.t_last[r] - injected_at[i];
        ck_assert_msg(lat >= D && lat < D + SIM_US(10), "request %u: %llu ps", i,
                      (unsigned long long)lat);
    }
    ck_assert_uint_eq(k_proc_stats(0)->timers_fired, n);
    ck_assert_uint_eq(report_u64(0, "timers.fired"), n);
    ck_assert_uint_eq(report_u64(0, "deferred"), n);
    host_down();
}
END_TEST

/* wait=1: the loop blocks in pk_enter when idle and is woken by frames
 * and by its timers (deferred replies, pauses); all is still answered. */
START_TEST(test_wait_mode_blocks_and_wakes_for_timers)
{
    wl_param_t p[NMIXED + 1];
    memcpy(p, mixed, sizeof mixed);
    p[NMIXED] = (wl_param_t){"wait", "1"};
    host_up(1, PK_MEDIATE_RANGE, p, NMIXED + 1);
    run_client(300, 1e5);
    proc_rt_settle(H.rt);
    const proc_stats_t *ps = proc_stats(H.rt, 0);
    ck_assert_uint_ge(ps->blocks, 300 / 2);
    ck_assert_uint_ge(ps->wakeups, 300 / 2);
    ck_assert_uint_lt(ps->poll_ps, SIM_US(3000) / 4); /* 3 ms of traffic, mostly asleep */
    ck_assert_uint_gt(report_u64(0, "deferred"), 0);
    ck_assert_uint_eq(k_proc_stats(0)->timers_fired,
                      report_u64(0, "deferred") + report_u64(0, "gc.pauses"));
    host_down();
}
END_TEST


/* ---------------------------------------------------------------- determinism */

typedef struct outcome {
    wl_client_stats_t st;
    hist_t lat;
    unsigned n;
    sim_time_t t_last[MAX_CAPTURE];
} outcome_t;

static void run_mixed(const char *seed, outcome_t *o)
{
    wl_param_t p[NMIXED + 1];
    memcpy(p, mixed, sizeof mixed);
    p[NMIXED] = (wl_param_t){"seed", seed};
    host_up(2, PK_MEDIATE_RANGE, p, NMIXED + 1);
    run_client(1000, 2e5);
    o->st = *wl_client_stats(&H.client);
    o->lat = *wl_client_latency(&H.client);
    o->n = H.n;
    memcpy(o->t_last, H.t_last, sizeof o->t_last);
    host_down();
}

START_TEST(test_identical_runs_give_identical_reply_times)
{
    static outcome_t a, b, c;
    run_mixed("5", &a);
    run_mixed("5", &b);
    run_mixed("6", &c);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_mem_eq(a.t_last, b.t_last, sizeof a.t_last);
    ck_assert_mem_eq(&a.st, &b.st, sizeof a.st);
    ck_assert_mem_eq(&a.lat, &b.lat, sizeof a.lat);
    /* another seed draws other handler times: the test can tell */
    ck_assert(memcmp(a.t_last, c.t_last, sizeof a.t_last) != 0);
}
END_TEST

/* ---------------------------------------------------------------- parameters */

START_TEST(test_bad_parameters_refused_with_one_line)
{
    static const struct {
        wl_param_t p[2];
        size_t n;
        const char *says;
    } bad[] = {
        {{{"service", "gamma"}}, 1, "parameter service: expected constant|exponential"},
        {{{"service_sigma", "0.5"}}, 1, "service_sigma: not used by service=constant"},
        {{{"service", "bimodal"}, {"service_ns", "5"}}, 2, "service_ns: not used by service=bimodal"},
        {{{"service", "bimodal"}, {"service_p", "0.5"}}, 2, "bimodal needs service_p"},
        {{{"service", "exponential"}, {"service_ns", "0"}}, 2, "service_ns: expected 1.."},
        {{{"service", "lognormal"}, {"service_sigma", "-1"}}, 2, "service_sigma: expected a decimal"},
        {{{"defer_ratio", "1.5"}}, 1, "defer_ratio: expected a decimal in 0..1"},
        {{{"defer_ratio", "nan"}}, 1, "defer_ratio: expected a decimal"},
        {{{"defer_ratio", " 0.5"}}, 1, "defer_ratio: expected a decimal"},
        {{{"gc_pause_us", "10"}}, 1, "gc_pause_us: needs gc_period_us"},
        {{{"gc_period_us", "100"}}, 1, "gc_pause_us: expected 1..99"},
        {{{"gc_period_us", "100"}, {"gc_pause_us", "100"}}, 2, "gc_pause_us: expected 1..99"},
        {{{"gc_phase_us", "5"}}, 1, "gc_phase_us: needs gc_period_us"},
        {{{"budget", "0"}}, 1, "budget: expected 1..8192"},
        {{{"buffers", "20000"}}, 1, "buffers: expected 1..16384"},
        {{{"burst", "x"}}, 1, "burst: expected 1..1024"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        host_boot(1, PK_MEDIATE_RANGE);
        ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
        H.rt = proc_rt_create(&H.h.m, NULL);
        char err[256] = "";
        ck_assert_int_eq(proc_spawn(H.rt, 0, 0, &wl_app_evloop, bad[i].p, bad[i].n, err,
                                    sizeof err), -1);
        ck_assert_msg(strstr(err, bad[i].says) && strstr(err, "evloop: "), "case %zu: '%s'",
                      i, err);
        ck_assert_msg(!strchr(err, '\n'), "case %zu: more than one line", i);
        host_down();
    }
}
END_TEST

START_TEST(test_registered_by_name)
{
    ck_assert_ptr_eq(wl_app_find("evloop"), &wl_app_evloop);
    ck_assert_ptr_nonnull(strstr(wl_app_names(), "evloop"));
}
END_TEST

static Suite *evloop_suite(void)
{
    Suite *s = suite_create("evloop");
    TCase *tc = tcase_create("evloop");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_reply_is_the_request_swapped);
    tcase_add_test(tc, test_client_sees_every_request_answered_once);
    tcase_add_test(tc, test_constant_service_delays_replies_and_charges_user_time);
    tcase_add_test(tc, test_gc_pauses_count_and_stall_requests);
    tcase_add_test(tc, test_deferred_replies_wait_for_their_timer);
    tcase_add_test(tc, test_wait_mode_blocks_and_wakes_for_timers);
    tcase_add_test(tc, test_identical_runs_give_identical_reply_times);
    tcase_add_test(tc, test_bad_parameters_refused_with_one_line);
    tcase_add_test(tc, test_registered_by_name);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(evloop_suite)
