/* tests/sim/check_engine_stress: the engine's contract (sim/engine.h)
 * under load: random schedule/cancel sequences, the queue's layout
 * switches, compaction after mass cancellation (also from inside a
 * handler) and seq renumbering.  The small literal cases are check_engine.
 *
 * Each expectation is written down independently of the engine: for the
 * randomized tests a reference model (an unsorted list of pending (time,
 * seq, id) records scanned for the minimum) run in lockstep: every handler
 * checks that it is the event the model says must run next; elsewhere
 * literal orders and counts.  The seq-renumbering test is white-box: it
 * includes the folder-private sim/evq_int.h to lower the 2^40 seq limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "sim/evq_int.h"
#include "tests/check_main.h"
#include "tests/sim/engine_tt.h"

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

static Suite *engine_stress_suite(void)
{
    Suite *s = suite_create("engine_stress");
    TCase *tc;

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

    tc = tcase_create("compaction");
    tcase_add_test(tc, test_cancelling_most_events_keeps_order_and_count);
    tcase_add_test(tc, test_compaction_inside_a_handler_keeps_order);
    suite_add_tcase(s, tc);

    return s;
}

CHECK_MAIN(engine_stress_suite)
