/* tests/workloads/check_evloop_rt: the event-loop runtime's timers
 * (workloads/evloop_rt.c) in a process of their own that sets and clears
 * timers and records when their callbacks run, on the real kernel
 * (tests/workloads/evloop_host.h).
 *
 * Expectations are the timer contract and the kernel's own counters
 * (k_proc_stats): a timer not cleared runs once, at or after its deadline
 * and within 10 us of it (the timer interrupt's entry and one loop
 * iteration), in deadline order; a cleared one never runs, wherever it
 * was (waiting for a kernel timer, armed, expired with its callback not
 * run yet, harvested before its cancel); more timers than the kernel's
 * max_timers (16 in kh_plan) wait in the runtime and still run on time. */
#include "tests/check_main.h"

#include <string.h>

#include "tests/workloads/evloop_host.h"


/* A process that only uses the runtime's timers (no I/O hooks). */
#define RT_TIMERS 48
typedef struct rt_app {
    wl_evl_t ev;
    int scenario;
    unsigned n;
    uint64_t handle[RT_TIMERS], deadline[RT_TIMERS], ran_at[RT_TIMERS];
    unsigned runs[RT_TIMERS], order[RT_TIMERS], nrun;
    bool cleared[RT_TIMERS];
    int stale_clear;           /* clear_timeout of a fired timer's handle */
} rt_app_t;

static rt_app_t *RT;
static int rt_scenario;

static void rt_set(rt_app_t *a, uint64_t delay_ns);

static void rt_clear(rt_app_t *a, unsigned i)
{
    ck_assert_int_eq(wl_evl_clear_timeout(&a->ev, a->handle[i]), 0);
    a->cleared[i] = true;
}

static void rt_cb(void *ctx, uint64_t i)
{
    rt_app_t *a = ctx;
    a->ran_at[i] = pk_now();
    a->runs[i]++;
    a->order[a->nrun++] = (unsigned)i;
    if (a->scenario == 0 && i == 0) {
        /* the 25 us timer (i = 33: 33 x 17 mod 40 = 1) is armed by now */
        rt_clear(a, 33);
        a->stale_clear = wl_evl_clear_timeout(&a->ev, a->handle[0]);
    }
    if (a->scenario == 0 && i == 40)
        rt_clear(a, 41); /* expired with 40, its callback not run yet */
    if (a->scenario == 0 && i == 42) {
        /* run past 43's deadline and enter: the kernel harvests its
         * expiry before it sees the cancel */
        pk_charge(pk_cost("cpu.cycle"), 3 * 30000);
        ck_assert_int_eq(wl_evl_push(&a->ev, &(struct pk_sqe){.opcode = PK_OP_NOP}), 0);
        ck_assert_int_ge(wl_evl_enter(&a->ev), 1);
        rt_clear(a, 43);
    }
    if (a->scenario == 1 && i == 15)
        for (int k = 0; k < 3; k++)
            rt_set(a, 50000);
}

static void rt_set(rt_app_t *a, uint64_t delay_ns)
{
    unsigned i = a->n++;
    a->deadline[i] = pk_now() + SIM_NS(delay_ns);
    a->handle[i] = wl_evl_set_timeout(&a->ev, delay_ns, rt_cb, i);
    ck_assert_uint_ne(a->handle[i], 0);
}

static int rt_start(void *state, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    (void)p, (void)n, (void)err, (void)errlen;
    rt_app_t *a = RT = state;
    static const wl_evl_hooks_t none = {0};
    ck_assert_int_eq(wl_evl_init(&a->ev, a, &none, pk_cost("cpu.cycle"), 64, false), 0);
    a->scenario = rt_scenario;
    if (a->scenario == 0) {
        /* 40 distinct delays 20..215 us, out of order; every fifth cleared
         * at once (before it reaches the kernel) */
        for (unsigned i = 0; i < 40; i++)
            rt_set(a, 20000 + (uint64_t)(i * 17 % 40) * 5000);
        for (unsigned i = 1; i < 40; i += 5)
            rt_clear(a, i);
        /* 40 and 41 due at the same time; 42, then 43 10 us later */
        uint64_t now = pk_now();
        const uint64_t at[4] = {SIM_US(300), SIM_US(300), SIM_US(350), SIM_US(360)};
        for (unsigned i = 40; i < 44; i++) {
            a->n++;
            a->deadline[i] = now + at[i - 40];
            a->handle[i] = wl_evl_timer_at(&a->ev, a->deadline[i], rt_cb, i);
        }
    } else {
        /* 15 long timers and a trigger fill the kernel's 16; the trigger
         * sets 3 short ones, due long before the long ones */
        for (unsigned i = 0; i < 15; i++)
            rt_set(a, 1000000);
        rt_set(a, 10000);
    }
    return 0;
}

static wl_step_t rt_step(void *state) { return wl_evl_step(&((rt_app_t *)state)->ev); }
static void rt_stats(const void *state, wl_app_stats_t *out)
{
    (void)state;
    memset(out, 0, sizeof *out);
}

static const wl_app_t rt_app = {
    .name = "rt", .state_size = sizeof(rt_app_t), .start = rt_start, .step = rt_step,
    .stats = rt_stats};

/* Each timer not cleared runs once, no earlier than its deadline and
 * within 10 us of it, in deadline order; cleared ones never run. */
static unsigned check_timers(const rt_app_t *a)
{
    unsigned fired = 0;
    for (unsigned i = 0; i < a->n; i++) {
        if (a->cleared[i]) {
            ck_assert_msg(a->runs[i] == 0, "cleared timer %u ran", i);
            continue;
        }
        ck_assert_msg(a->runs[i] == 1, "timer %u ran %u times", i, a->runs[i]);
        ck_assert_msg(a->ran_at[i] >= a->deadline[i] && a->ran_at[i] < a->deadline[i] + SIM_US(10),
                      "timer %u: ran %lld ps after its deadline", i,
                      (long long)(a->ran_at[i] - a->deadline[i]));
        fired++;
    }
    for (unsigned k = 1; k < a->nrun; k++)
        ck_assert_uint_le(a->deadline[a->order[k - 1]], a->deadline[a->order[k]]);
    return fired;
}

START_TEST(test_runtime_timers_order_clear_and_overflow)
{
    rt_scenario = 0;
    host_boot(1, PK_MEDIATE_RANGE);
    host_start(&rt_app, NULL, 0);
    kh_run_until(&H.h, H.t0 + SIM_US(500));
    ck_assert_uint_eq(RT->n, 44);
    unsigned ran = check_timers(RT);
    ck_assert_uint_eq(ran, 44 - 8 - 3);
    ck_assert_int_eq(RT->stale_clear, -1);
    /* the kernel fired every timer that reached it but 33 (cancelled in
     * time); 41 and 43 fired there, and were cleared before they ran */
    const k_proc_stats_t *k = k_proc_stats(0);
    ck_assert_uint_eq(k->timers_fired, ran + 2);
    ck_assert_uint_eq(k->ops[PK_OP_TIMER_ARM], 44 - 8); /* the 8 never reached it */
    ck_assert_uint_eq(k->ops[PK_OP_TIMER_CANCEL], 2);   /* 33 and 43 */
    ck_assert_uint_eq(k->errors[PK_ECANCELED], 1);      /* 33 */
    ck_assert_uint_eq(k->errors[PK_ENOENT], 1);         /* 43's cancel came late */
    const wl_evl_counters_t *c = wl_evl_counters(&RT->ev);
    ck_assert_uint_eq(c->timers_fired, ran + 2);
    ck_assert_uint_eq(c->timers_cancelled, 1);
    ck_assert_uint_eq(c->cancels_missed, 1);
    ck_assert_uint_eq(c->timers_cleared, 8 + 3);
    ck_assert_uint_eq(wl_evl_timers(&RT->ev), 0);
    host_down();
}
END_TEST

/* The kernel is full of late timers when earlier ones are set: the
 * runtime cancels late ones to arm the early ones on time. */
START_TEST(test_runtime_preempts_late_kernel_timers)
{
    rt_scenario = 1;
    host_boot(1, PK_MEDIATE_RANGE);
    ck_assert_uint_eq(H.h.plan.procs[0].max_timers, 16);
    host_start(&rt_app, NULL, 0);
    kh_run_until(&H.h, H.t0 + SIM_US(1200));
    ck_assert_uint_eq(RT->n, 19);
    ck_assert_uint_eq(check_timers(RT), 19);
    const wl_evl_counters_t *c = wl_evl_counters(&RT->ev);
    ck_assert_uint_eq(c->timers_preempted, 2);
    const k_proc_stats_t *k = k_proc_stats(0);
    ck_assert_uint_eq(k->timers_fired, 19);
    ck_assert_uint_eq(k->ops[PK_OP_TIMER_CANCEL], 2);
    ck_assert_uint_eq(k->errors[PK_ECANCELED], 2);
    ck_assert_uint_eq(k->errors[PK_ETIMERS], 0);
    host_down();
}
END_TEST
static Suite *evloop_rt_suite(void)
{
    Suite *s = suite_create("evloop_rt");
    TCase *tc = tcase_create("evloop_rt");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_runtime_timers_order_clear_and_overflow);
    tcase_add_test(tc, test_runtime_preempts_late_kernel_timers);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(evloop_rt_suite)
