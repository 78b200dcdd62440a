/* tests/sim/check_engine: the engine's contract (sim/engine.h): time
 * order, FIFO among events of one instant, run-until, stop, cancel
 * (including stale and garbage handles and cancels from handlers), the
 * pending count and the periodic hook.  The randomized lockstep test,
 * compaction and seq renumbering are check_engine_stress.
 *
 * Each expectation is written down independently of the engine: literal
 * orders and times worked out for each small case. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/sim/engine_tt.h"

/* ---------------------------------------------------------------- order */

START_TEST(test_events_run_in_time_order)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, 30, record, &l, 3);
    sim_at(sim, 10, record, &l, 1);
    sim_at(sim, 50, record, &l, 5);
    sim_at(sim, 20, record, &l, 2);
    sim_at(sim, 40, record, &l, 4);
    ck_assert(!sim_run(sim, SIM_TIME_MAX));
    ck_assert_uint_eq(l.n, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_uint_eq(l.id[i], i + 1);
    ck_assert_uint_eq(sim_events_run(sim), 5);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_time_advances_to_each_event)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    ck_assert_uint_eq(sim_now(sim), 0);
    sim_at(sim, SIM_NS(7), record, &l, 0);
    sim_at(sim, SIM_US(2), record, &l, 1);
    sim_at(sim, SIM_S(1), record, &l, 2);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.at[0], 7000);
    ck_assert_uint_eq(l.at[1], 2000000);
    ck_assert_uint_eq(l.at[2], UINT64_C(1000000000000));
    ck_assert_uint_eq(sim_now(sim), UINT64_C(1000000000000));
    sim_destroy(sim);
}
END_TEST

static void after_5ns(sim_t *sim, void *arg, uint64_t data)
{
    record(sim, arg, data);
    if (data < 3)
        sim_after(sim, SIM_NS(5), after_5ns, arg, data + 1);
}

START_TEST(test_after_is_relative_to_now)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, SIM_NS(1), after_5ns, &l, 0);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.n, 4);
    ck_assert_uint_eq(l.at[0], 1000);
    ck_assert_uint_eq(l.at[1], 6000);
    ck_assert_uint_eq(l.at[2], 11000);
    ck_assert_uint_eq(l.at[3], 16000);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_time_max_is_schedulable)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, SIM_TIME_MAX, record, &l, 9);
    sim_at(sim, 0, record, &l, 8);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(l.id[0], 8);
    ck_assert_uint_eq(l.id[1], 9);
    ck_assert_uint_eq(sim_now(sim), SIM_TIME_MAX);
    sim_destroy(sim);
}
END_TEST

/* ---------------------------------------------------------------- same instant */

START_TEST(test_same_time_events_run_in_insertion_order)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    /* Interleave two instants so heap position cannot explain the order. */
    for (uint64_t i = 0; i < 100; i++)
        sim_at(sim, i % 2 ? 20 : 10, record, &l, i);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.n, 100);
    for (uint64_t i = 0; i < 50; i++) {
        ck_assert_uint_eq(l.id[i], 2 * i);
        ck_assert_uint_eq(l.id[50 + i], 2 * i + 1);
    }
    sim_destroy(sim);
}
END_TEST

/* id 1 schedules id 100 for "now": it must run after 2 and 3 (already
 * pending for the same instant) and before 4 (later), in the same pass. */
static void schedules_now(sim_t *sim, void *arg, uint64_t data)
{
    record(sim, arg, data);
    sim_at(sim, sim_now(sim), record, arg, 100);
}

START_TEST(test_event_for_now_runs_after_pending_same_time_events)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, 50, schedules_now, &l, 1);
    sim_at(sim, 50, record, &l, 2);
    sim_at(sim, 50, record, &l, 3);
    sim_at(sim, 51, record, &l, 4);
    ck_assert(!sim_run(sim, 50));
    ck_assert_uint_eq(l.n, 4);
    const uint64_t want[] = { 1, 2, 3, 100 };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(l.id[i], want[i]);
        ck_assert_uint_eq(l.at[i], 50);
    }
    ck_assert_uint_eq(sim_pending(sim), 1);
    sim_destroy(sim);
}
END_TEST

/* ---------------------------------------------------------------- run until */

START_TEST(test_run_until_stops_before_later_events)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, 10, record, &l, 1);
    sim_at(sim, 20, record, &l, 2);
    sim_at(sim, 21, record, &l, 3);
    ck_assert(!sim_run(sim, 20));
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(sim_now(sim), 20);
    ck_assert_uint_eq(sim_pending(sim), 1);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_run_until_keeps_time_at_last_event_run)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, 10, record, &l, 1);
    sim_at(sim, 100, record, &l, 2);
    sim_run(sim, 50);
    ck_assert_uint_eq(sim_now(sim), 10);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_second_run_continues)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    for (uint64_t i = 1; i <= 6; i++)
        sim_at(sim, 10 * i, record, &l, i);
    sim_run(sim, 25);
    ck_assert_uint_eq(l.n, 2);
    sim_run(sim, 45);
    ck_assert_uint_eq(l.n, 4);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.n, 6);
    for (uint64_t i = 0; i < 6; i++)
        ck_assert_uint_eq(l.id[i], i + 1);
    ck_assert_uint_eq(sim_pending(sim), 0);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_run_on_empty_queue_returns)
{
    sim_t *sim = sim_create();
    ck_assert(!sim_run(sim, SIM_TIME_MAX));
    ck_assert_uint_eq(sim_now(sim), 0);
    ck_assert_uint_eq(sim_events_run(sim), 0);
    sim_destroy(sim);
}
END_TEST

/* ---------------------------------------------------------------- stop */

static void stopper(sim_t *sim, void *arg, uint64_t data)
{
    record(sim, arg, data);
    sim_stop(sim);
}

START_TEST(test_stop_returns_true_and_keeps_the_rest)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, 10, record, &l, 1);
    sim_at(sim, 20, stopper, &l, 2);
    sim_at(sim, 20, record, &l, 3);
    sim_at(sim, 30, record, &l, 4);
    ck_assert(sim_run(sim, SIM_TIME_MAX));
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(sim_now(sim), 20);
    ck_assert_uint_eq(sim_pending(sim), 2);
    /* The stop is consumed: the next run goes on to the end. */
    ck_assert(!sim_run(sim, SIM_TIME_MAX));
    ck_assert_uint_eq(l.n, 4);
    ck_assert_uint_eq(l.id[2], 3);
    ck_assert_uint_eq(l.id[3], 4);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_stop_outside_run_is_forgotten)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, 10, record, &l, 1);
    sim_stop(sim);
    ck_assert(!sim_run(sim, SIM_TIME_MAX));
    ck_assert_uint_eq(l.n, 1);
    sim_destroy(sim);
}
END_TEST

/* ---------------------------------------------------------------- cancel */

START_TEST(test_cancel_prevents_the_run)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_at(sim, 10, record, &l, 1);
    sim_event_t e = sim_at(sim, 20, record, &l, 2);
    sim_at(sim, 30, record, &l, 3);
    ck_assert(sim_cancel(sim, e));
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(l.id[0], 1);
    ck_assert_uint_eq(l.id[1], 3);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_cancel_of_the_minimum_lets_the_next_run)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_event_t e = sim_at(sim, 10, record, &l, 1);
    sim_at(sim, 10, record, &l, 2);
    ck_assert(sim_cancel(sim, e));
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_uint_eq(l.id[0], 2);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_cancel_of_zero_handle_is_false)
{
    sim_t *sim = sim_create();
    ck_assert(!sim_cancel(sim, 0));
    sim_at(sim, 10, nop, NULL, 0);
    ck_assert(!sim_cancel(sim, 0));
    ck_assert_uint_eq(sim_pending(sim), 1);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_double_cancel_is_false)
{
    sim_t *sim = sim_create();
    sim_event_t e = sim_at(sim, 10, nop, NULL, 0);
    sim_at(sim, 10, nop, NULL, 0);
    ck_assert(sim_cancel(sim, e));
    ck_assert(!sim_cancel(sim, e));
    ck_assert_uint_eq(sim_pending(sim), 1);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_cancel_after_run_is_false)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_event_t e = sim_at(sim, 10, record, &l, 1);
    sim_at(sim, 20, record, &l, 2);
    sim_run(sim, 10);
    ck_assert(!sim_cancel(sim, e));
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.n, 2);
    sim_destroy(sim);
}
END_TEST

/* Regression guard: a handle only names a slot; once the slot is reused by
 * a newer event, the old handle must not cancel the newcomer. */
START_TEST(test_stale_handle_does_not_cancel_slot_reuser)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    sim_event_t old_ran = sim_at(sim, 10, record, &l, 1);
    sim_run(sim, SIM_TIME_MAX);
    sim_event_t old_cancelled = sim_at(sim, 20, record, &l, 2);
    ck_assert(sim_cancel(sim, old_cancelled));
    sim_run(sim, SIM_TIME_MAX); /* the dead entry leaves, its slot is freed */
    /* Many new events: whatever slot the old handles named is reused. */
    sim_event_t fresh[16];
    for (uint64_t i = 0; i < 16; i++)
        fresh[i] = sim_at(sim, 30 + i, record, &l, 100 + i);
    ck_assert(!sim_cancel(sim, old_ran));
    ck_assert(!sim_cancel(sim, old_cancelled));
    for (int i = 0; i < 16; i++) {
        ck_assert(fresh[i] != old_ran);
        ck_assert(fresh[i] != old_cancelled);
    }
    ck_assert_uint_eq(sim_pending(sim), 16);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l.n, 17);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_garbage_handles_are_false)
{
    sim_t *sim = sim_create();
    sim_event_t e = sim_at(sim, 10, nop, NULL, 0);
    uint64_t s = 99;
    for (int i = 0; i < 10000; i++) {
        sim_event_t g = xs_next(&s);
        if (g != e)
            ck_assert(!sim_cancel(sim, g));
    }
    ck_assert(!sim_cancel(sim, UINT64_MAX));
    ck_assert(!sim_cancel(sim, e + 1));
    ck_assert_uint_eq(sim_pending(sim), 1);
    ck_assert(sim_cancel(sim, e));
    sim_destroy(sim);
}
END_TEST

typedef struct canceller {
    log_t *l;
    sim_event_t victim;
    bool got;
} canceller_t;

static void cancel_victim(sim_t *sim, void *arg, uint64_t data)
{
    canceller_t *c = arg;
    record(sim, c->l, data);
    c->got = sim_cancel(sim, c->victim);
}

START_TEST(test_handler_can_cancel_a_same_time_event)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    canceller_t c = { &l, 0, false };
    sim_at(sim, 10, cancel_victim, &c, 1);
    c.victim = sim_at(sim, 10, record, &l, 2);
    sim_at(sim, 10, record, &l, 3);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert(c.got);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(l.id[1], 3);
    sim_destroy(sim);
}
END_TEST

static void cancel_self(sim_t *sim, void *arg, uint64_t data)
{
    canceller_t *c = arg;
    record(sim, c->l, data);
    c->got = sim_cancel(sim, c->victim);
}

START_TEST(test_handler_cancelling_itself_is_false)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    canceller_t c = { &l, 0, true };
    c.victim = sim_at(sim, 10, cancel_self, &c, 1);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert(!c.got);
    ck_assert_uint_eq(l.n, 1);
    sim_destroy(sim);
}
END_TEST

/* ---------------------------------------------------------------- pending */

START_TEST(test_pending_counts_only_live_events)
{
    sim_t *sim = sim_create();
    ck_assert_uint_eq(sim_pending(sim), 0);
    sim_event_t e[5];
    for (int i = 0; i < 5; i++)
        e[i] = sim_at(sim, 10 * (i + 1), nop, NULL, 0);
    ck_assert_uint_eq(sim_pending(sim), 5);
    sim_cancel(sim, e[1]);
    sim_cancel(sim, e[3]);
    sim_cancel(sim, e[3]);
    ck_assert_uint_eq(sim_pending(sim), 3);
    sim_run(sim, 30); /* runs 10 and 30 */
    ck_assert_uint_eq(sim_pending(sim), 1);
    ck_assert_uint_eq(sim_events_run(sim), 2);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(sim_pending(sim), 0);
    ck_assert_uint_eq(sim_events_run(sim), 3);
    sim_destroy(sim);
}
END_TEST

/* ---------------------------------------------------------------- hook */

typedef struct hook_log {
    size_t n;
    uint64_t at_count[16];
} hook_log_t;

static void hook_fn(sim_t *sim, void *arg)
{
    hook_log_t *h = arg;
    ck_assert_uint_lt(h->n, 16);
    h->at_count[h->n++] = sim_events_run(sim);
}

START_TEST(test_hook_called_every_n_events)
{
    sim_t *sim = sim_create();
    hook_log_t h = { 0 };
    sim_set_hook(sim, 3, hook_fn, &h);
    for (int i = 0; i < 10; i++)
        sim_at(sim, (sim_time_t)i, nop, NULL, 0);
    sim_run(sim, 4); /* 5 events: the count carries over to the next run */
    ck_assert_uint_eq(h.n, 1);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(h.n, 3);
    ck_assert_uint_eq(h.at_count[0], 3);
    ck_assert_uint_eq(h.at_count[1], 6);
    ck_assert_uint_eq(h.at_count[2], 9);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_hook_every_zero_disables)
{
    sim_t *sim = sim_create();
    hook_log_t h = { 0 };
    sim_set_hook(sim, 1, hook_fn, &h);
    sim_at(sim, 1, nop, NULL, 0);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(h.n, 1);
    sim_set_hook(sim, 0, hook_fn, &h);
    sim_at(sim, 2, nop, NULL, 0);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(h.n, 1);
    sim_destroy(sim);
}
END_TEST

START_TEST(test_cancelled_events_do_not_count_for_hook)
{
    sim_t *sim = sim_create();
    hook_log_t h = { 0 };
    sim_set_hook(sim, 2, hook_fn, &h);
    sim_event_t e = sim_at(sim, 1, nop, NULL, 0);
    sim_at(sim, 2, nop, NULL, 0);
    sim_at(sim, 3, nop, NULL, 0);
    sim_cancel(sim, e);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(h.at_count[0], 2);
    sim_destroy(sim);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc;
    tc = tcase_create("time_order");
    tcase_add_test(tc, test_events_run_in_time_order);
    tcase_add_test(tc, test_time_advances_to_each_event);
    tcase_add_test(tc, test_after_is_relative_to_now);
    tcase_add_test(tc, test_time_max_is_schedulable);
    suite_add_tcase(s, tc);

    tc = tcase_create("same_instant_fifo");
    tcase_add_test(tc, test_same_time_events_run_in_insertion_order);
    tcase_add_test(tc, test_event_for_now_runs_after_pending_same_time_events);
    suite_add_tcase(s, tc);

    tc = tcase_create("run_until");
    tcase_add_test(tc, test_run_until_stops_before_later_events);
    tcase_add_test(tc, test_run_until_keeps_time_at_last_event_run);
    tcase_add_test(tc, test_second_run_continues);
    tcase_add_test(tc, test_run_on_empty_queue_returns);
    suite_add_tcase(s, tc);

    tc = tcase_create("stop");
    tcase_add_test(tc, test_stop_returns_true_and_keeps_the_rest);
    tcase_add_test(tc, test_stop_outside_run_is_forgotten);
    suite_add_tcase(s, tc);

    tc = tcase_create("cancel");
    tcase_add_test(tc, test_cancel_prevents_the_run);
    tcase_add_test(tc, test_cancel_of_the_minimum_lets_the_next_run);
    tcase_add_test(tc, test_cancel_of_zero_handle_is_false);
    tcase_add_test(tc, test_double_cancel_is_false);
    tcase_add_test(tc, test_cancel_after_run_is_false);
    tcase_add_test(tc, test_stale_handle_does_not_cancel_slot_reuser);
    tcase_add_test(tc, test_garbage_handles_are_false);
    tcase_add_test(tc, test_handler_can_cancel_a_same_time_event);
    tcase_add_test(tc, test_handler_cancelling_itself_is_false);
    suite_add_tcase(s, tc);

    tc = tcase_create("pending");
    tcase_add_test(tc, test_pending_counts_only_live_events);
    suite_add_tcase(s, tc);

    tc = tcase_create("hook");
    tcase_add_test(tc, test_hook_called_every_n_events);
    tcase_add_test(tc, test_hook_every_zero_disables);
    tcase_add_test(tc, test_cancelled_events_do_not_count_for_hook);
    suite_add_tcase(s, tc);

    return s;
}

CHECK_MAIN(engine_suite)
