/* tests/sim/check_engine: the engine's contract (sim/engine.h).
 *
 * Each expectation is written down independently of the engine: literal
 * orders for the small cases, and for the randomized test a reference model
 * (an unsorted list of pending (time, seq, id) records scanned for the
 * minimum) run in lockstep: every handler checks that it is the event the
 * model says must run next.  The seq-renumbering test is white-box: it
 * includes the folder-private sim/evq_int.h to lower the 2^40 seq limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "sim/evq_int.h"
#include "tests/check_main.h"

/* ---------------------------------------------------------------- helpers */

#define LOG_MAX 4096

typedef struct log {
    size_t n;
    uint64_t id[LOG_MAX];
    sim_time_t at[LOG_MAX];
} log_t;

static void record(sim_t *sim, void *arg, uint64_t data)
{
    log_t *l = arg;
    ck_assert_uint_lt(l->n, LOG_MAX);
    l->id[l->n] = data;
    l->at[l->n] = sim_now(sim);
    l->n++;
}

static void nop(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)arg;
    (void)data;
}

/* xorshift64*: the tests' own generator, fixed seeds. */
static uint64_t xs_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static uint64_t xs_below(uint64_t *s, uint64_t n) { return xs_next(s) % n; }

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

/* ---------------------------------------------------------------- randomized */

/* Reference model: records indexed by id; `pend` lists pending ids. */
typedef struct ref {
    size_t cap, nid, npend;
    sim_time_t *time;
    uint64_t *seq;
    sim_event_t *handle;
    unsigned char *state; /* 0 pending, 1 ran, 2 cancelled */
    size_t *pend;         /* pending ids, unordered */
    size_t *pos;          /* index of id in pend */
    uint64_t next_seq;
    uint64_t rng;
    sim_t *sim;
    uint64_t ran;
    bool passive; /* handlers only check, never schedule or cancel */
} ref_t;

static void ref_init(ref_t *r, size_t cap, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    r->cap = cap;
    r->time = calloc(cap, sizeof *r->time);
    r->seq = calloc(cap, sizeof *r->seq);
    r->handle = calloc(cap, sizeof *r->handle);
    r->state = calloc(cap, 1);
    r->pend = calloc(cap, sizeof *r->pend);
    r->pos = calloc(cap, sizeof *r->pos);
    r->rng = seed;
    ck_assert(r->time && r->seq && r->handle && r->state && r->pend && r->pos);
}

static void ref_free(ref_t *r)
{
    free(r->time);
    free(r->seq);
    free(r->handle);
    free(r->state);
    free(r->pend);
    free(r->pos);
}

static void ref_unpend(ref_t *r, size_t id, unsigned char state)
{
    size_t p = r->pos[id];
    size_t last = r->pend[--r->npend];
    r->pend[p] = last;
    r->pos[last] = p;
    r->state[id] = state;
}

/* Index into pend of the (time, seq) minimum; npend > 0. */
static size_t ref_min(const ref_t *r)
{
    size_t best = 0;
    for (size_t p = 1; p < r->npend; p++) {
        size_t a = r->pend[p], b = r->pend[best];
        if (r->time[a] < r->time[b] || (r->time[a] == r->time[b] && r->seq[a] < r->seq[b]))
            best = p;
    }
    return best;
}

static void stress_handler(sim_t *sim, void *arg, uint64_t id);

static void ref_schedule(ref_t *r, sim_time_t t)
{
    if (r->nid == r->cap)
        return; /* id space used up: skip */
    size_t id = r->nid++;
    r->time[id] = t;
    r->seq[id] = r->next_seq++;
    r->state[id] = 0;
    r->pos[id] = r->npend;
    r->pend[r->npend++] = id;
    r->handle[id] = sim_at(r->sim, t, stress_handler, r, id);
    ck_assert(r->handle[id] != 0);
}

static void ref_cancel_random(ref_t *r)
{
    if (r->nid == 0)
        return;
    size_t id = (size_t)xs_below(&r->rng, r->nid);
    bool want = r->state[id] == 0;
    ck_assert_int_eq(sim_cancel(r->sim, r->handle[id]), want);
    if (want)
        ref_unpend(r, id, 2);
}

/* Lockstep: the engine runs `id`; the model must agree it is the minimum. */
static void stress_handler(sim_t *sim, void *arg, uint64_t id)
{
    ref_t *r = arg;
    ck_assert_uint_gt(r->npend, 0);
    size_t p = ref_min(r);
    ck_assert_uint_eq(id, r->pend[p]);
    ck_assert_uint_eq(sim_now(sim), r->time[id]);
    ref_unpend(r, id, 1);
    r->ran++;
    if (r->passive)
        return;
    /* Handlers schedule (often for "now") and cancel too. */
    uint64_t x = xs_below(&r->rng, 8);
    if (x < 3)
        ref_schedule(r, sim_now(sim) + xs_below(&r->rng, 4));
    else if (x == 3)
        ref_cancel_random(r);
}

static void stress_run(uint64_t seed, size_t ops, sim_time_t spread)
{
    ref_t r;
    ref_init(&r, ops * 2, seed);
    r.sim = sim_create();
    for (size_t op = 0; op < ops; op++) {
        uint64_t x = xs_below(&r.rng, 10);
        if (x < 5) {
            ref_schedule(&r, sim_now(r.sim) + xs_below(&r.rng, spread));
        } else if (x < 8) {
            ref_cancel_random(&r);
        } else {
            sim_time_t until = sim_now(r.sim) + xs_below(&r.rng, spread / 2 + 1);
            ck_assert(!sim_run(r.sim, until));
            /* Everything due has run; nothing later has. */
            for (size_t p = 0; p < r.npend; p++)
                ck_assert_uint_gt(r.time[r.pend[p]], until);
        }
        ck_assert_uint_eq(sim_pending(r.sim), r.npend);
    }
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.npend, 0);
    ck_assert_uint_eq(sim_pending(r.sim), 0);
    ck_assert_uint_eq(sim_events_run(r.sim), r.ran);
    sim_destroy(r.sim);
    ref_free(&r);
}

START_TEST(test_random_ops_match_reference_with_many_ties)
{
    stress_run(0x1234567, 40000, 8);
}
END_TEST

START_TEST(test_random_ops_match_reference_with_spread_times)
{
    stress_run(0xdeadbeef, 40000, 100000);
}
END_TEST

START_TEST(test_random_ops_match_reference_large_pending_set)
{
    /* Mostly schedules: a pending set in the thousands, deeper heap. */
    ref_t r;
    ref_init(&r, 60000, 42);
    r.sim = sim_create();
    for (int i = 0; i < 20000; i++)
        ref_schedule(&r, xs_below(&r.rng, 1000000));
    for (int i = 0; i < 15000; i++)
        ref_cancel_random(&r);
    ck_assert_uint_eq(sim_pending(r.sim), r.npend);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.npend, 0);
    sim_destroy(r.sim);
    ref_free(&r);
}
END_TEST

/* The queue changes layout (sorted up to 32 entries, a heap beyond, sorted
 * again at 12: sim/engine.c "Two layouts").  A pending set swinging across
 * both sizes, with ties, cancels and handlers that schedule and cancel,
 * runs in the reference model's (time, seq) order throughout. */
START_TEST(test_layout_switches_keep_order)
{
    ref_t r;
    ref_init(&r, 100000, 99);
    r.sim = sim_create();
    for (int round = 0; round < 400; round++) {
        size_t high = 20 + (size_t)xs_below(&r.rng, 50), low = (size_t)xs_below(&r.rng, 14);
        while (r.npend < high && r.nid < r.cap)
            ref_schedule(&r, sim_now(r.sim) + xs_below(&r.rng, 16));
        for (int c = 0; c < 4; c++)
            ref_cancel_random(&r);
        while (r.npend > low) /* to the earliest pending instant: time moves */
            ck_assert(!sim_run(r.sim, r.time[r.pend[ref_min(&r)]]));
        ck_assert_uint_eq(sim_pending(r.sim), r.npend);
    }
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.npend, 0);
    ck_assert_uint_eq(sim_events_run(r.sim), r.ran);
    sim_destroy(r.sim);
    ref_free(&r);
}
END_TEST

/* ---------------------------------------------------------------- compaction */

START_TEST(test_cancelling_most_events_keeps_order_and_count)
{
    enum { N = 20000 };
    ref_t r;
    ref_init(&r, N, 7);
    r.passive = true;
    r.sim = sim_create();
    for (int i = 0; i < N; i++)
        ref_schedule(&r, xs_below(&r.rng, 1000)); /* many ties */
    /* Keep every 10th: compaction runs once cancelled entries outnumber
     * live ones. */
    for (size_t id = 0; id < N; id++)
        if (id % 10 != 0) {
            ck_assert(sim_cancel(r.sim, r.handle[id]));
            ref_unpend(&r, id, 2);
            /* White-box: compaction as soon as dead entries outnumber live. */
            ck_assert_uint_le(r.sim->n, 2 * sim_pending(r.sim) + 1);
        }
    ck_assert_uint_eq(sim_pending(r.sim), N / 10);
    ck_assert_uint_le(r.sim->n, 2 * (N / 10) + 1); /* white-box: memory bound */
    /* Cancelled handles stay dead across compaction; kept ones stay live. */
    for (size_t id = 0; id < N; id++)
        if (id % 10 != 0)
            ck_assert(!sim_cancel(r.sim, r.handle[id]));
    ck_assert(sim_cancel(r.sim, r.handle[10]));
    ref_unpend(&r, 10, 2);
    ck_assert_uint_eq(sim_pending(r.sim), N / 10 - 1);
    /* The lockstep handler checks every event against the model. */
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.ran, N / 10 - 1);
    ck_assert_uint_eq(r.npend, 0);
    ck_assert_uint_eq(sim_pending(r.sim), 0);
    sim_destroy(r.sim);
    ref_free(&r);
}
END_TEST

/* The running event's heap entry is removed lazily (engine.c settle()):
 * a compaction triggered from inside its handler, and the events it then
 * schedules, must still come out in (time, seq) order. */
typedef struct mass_cancel {
    log_t *l;
    sim_event_t h[100];
} mass_cancel_t;

static void cancel_most(sim_t *sim, void *arg, uint64_t data)
{
    mass_cancel_t *m = arg;
    record(sim, m->l, data);
    for (int i = 0; i < 100; i++)
        if (i % 5 != 0)
            ck_assert(sim_cancel(sim, m->h[i]));
    sim_at(sim, sim_now(sim), record, m->l, 1000); /* X: now */
    sim_at(sim, 10, record, m->l, 1001);           /* Y: ties with id 0 */
}

START_TEST(test_compaction_inside_a_handler_keeps_order)
{
    sim_t *sim = sim_create();
    log_t l = { 0 };
    static mass_cancel_t m;
    m.l = &l;
    sim_at(sim, 5, cancel_most, &m, 999);
    for (uint64_t i = 0; i < 100; i++)
        m.h[i] = sim_at(sim, 10 + i, record, &l, i);
    sim_run(sim, SIM_TIME_MAX);
    uint64_t want[24] = { 999, 1000, 0, 1001 };
    size_t n = 4;
    for (uint64_t i = 5; i < 100; i += 5)
        want[n++] = i;
    ck_assert_uint_eq(l.n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(l.id[i], want[i]);
    ck_assert_uint_eq(sim_events_run(sim), n);
    sim_destroy(sim);
}
END_TEST

/* ---------------------------------------------------------------- seq renumbering */

/* White-box: with the 2^40 seq limit lowered to 64 the renumbering path
 * runs many times; the lockstep model must not notice. */
START_TEST(test_seq_renumbering_preserves_order)
{
    ref_t r;
    ref_init(&r, 20000, 5);
    r.sim = sim_create();
    r.sim->seq_limit = 64;
    for (size_t op = 0; op < 8000; op++) {
        uint64_t x = xs_below(&r.rng, 10);
        if (x < 5)
            ref_schedule(&r, sim_now(r.sim) + xs_below(&r.rng, 6));
        else if (x < 7)
            ref_cancel_random(&r);
        else
            sim_run(r.sim, sim_now(r.sim) + xs_below(&r.rng, 3));
        ck_assert_uint_le(r.sim->next_seq, 64);
    }
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.npend, 0);
    sim_destroy(r.sim);
    ref_free(&r);
}
END_TEST

/* ---------------------------------------------------------------- suite */

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

    tc = tcase_create("compaction");
    tcase_add_test(tc, test_cancelling_most_events_keeps_order_and_count);
    tcase_add_test(tc, test_compaction_inside_a_handler_keeps_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("randomized");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_random_ops_match_reference_with_many_ties);
    tcase_add_test(tc, test_random_ops_match_reference_with_spread_times);
    tcase_add_test(tc, test_random_ops_match_reference_large_pending_set);
    tcase_add_test(tc, test_layout_switches_keep_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("seq_renumbering");
    tcase_add_test(tc, test_seq_renumbering_preserves_order);
    suite_add_tcase(s, tc);

    return s;
}

CHECK_MAIN(engine_suite)
