/* sim/engine: the discrete-event engine (contract in sim/engine.h; queue
 * and slot layout, complexity and limits in sim/evq_int.h).
 *
 * Implements DESIGN.md "Time and determinism": time is integer picoseconds
 * taken only from popped events; events run in (time, insertion seq)
 * order; no host clock, no floats, no order that depends on a pointer.
 *
 * Same-instant rule: an event scheduled for "now" from a handler gets a
 * larger seq than everything already pending, so it runs in the same
 * sim_run() pass, after every event already pending for now.
 *
 * Cancellation is lazy: sim_cancel() marks the slot DEAD in O(1); the dead
 * entry is dropped when it reaches the top of the heap, or earlier by
 * compact() once dead entries outnumber live ones (O(n), so O(1) amortised
 * per cancel; the heap then holds at most 2 * live + 1 entries).  The
 * arrays are not shrunk: memory is O(peak pending events).
 *
 * Deferred pop: sim_run() does not remove the running event's entry before
 * calling its handler; it marks the root vacant (sim->hole) and the first
 * event the handler schedules is sifted down from the root in its place:
 * one O(log n) sift instead of a pop and a push.  Whatever else looks at
 * the heap (the next loop turn, compact()) first calls settle(), which
 * does the ordinary pop.  This saves ~10-15% per event in the hold
 * benchmark, where every handler schedules a successor.
 *
 * Two layouts.  A full run of the echo experiment keeps ~15 events
 * pending, where a 4-ary heap still pays two levels of four-way
 * tournaments per event.  Up to EVQ_SORTED_MAX entries the same array is
 * kept sorted in DESCENDING (time, key) order instead (sim->sorted): the
 * next event is the last entry, popped in O(1), and a new one is inserted
 * by moving up the entries that are earlier than it (the events scheduled
 * are mostly near ones: few moves).  One more entry turns the array into
 * a heap (reversed: an ascending array is a heap); a heap that falls to
 * EVQ_SORTED_BACK entries is sorted back (the gap keeps a queue hovering
 * at one size from switching at every event).  Both layouts order by
 * (time, key), so the order events run in is the same.  The deferred pop
 * is the heap's only; in the sorted layout the entry leaves at once.
 * (echo at 12 M req/s: ~150 fewer host instructions per event.)
 *
 * Invariants (checked by tests/sim/check_engine.c):
 *   - heap entries = live + dead (+ the vacant root while hole is set);
 *     every other entry's slot is LIVE or DEAD, and every LIVE or DEAD slot
 *     has exactly one entry;
 *   - a slot is freed (generation bumped) exactly when its event runs or
 *     its dead entry leaves the heap; a running event's slot is freed
 *     before its handler runs, so the handler may reuse it.
 *
 * Failure classes (DESIGN.md "Conventions"): scheduling in the past, a NULL
 * handler or a nested sim_run() are simulator bugs (assert naming the
 * function); out of memory prints "parasim: out of memory" and exits 1;
 * more than 2^24 queued entries prints a message and aborts. */
#include "sim/engine.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/evq_int.h"

#define EVQ_SORTED_MAX 32u  /* the sorted layout's largest size */
#define EVQ_SORTED_BACK 12u /* a heap this small is sorted back */

sim_t *sim_create(void)
{
    sim_t *sim = calloc(1, sizeof *sim);
    if (!sim)
        return NULL;
    sim->cap = 64;
    sim->slot_cap = 64;
    sim->heap = evq_alloc(sim->cap);
    sim->slots = malloc(sim->slot_cap * sizeof *sim->slots);
    if (!sim->heap || !sim->slots)
        goto err;
    sim->free_head = EVQ_NO_SLOT;
    sim->seq_limit = EVQ_SEQ_LIMIT;
    sim->sorted = 1;
    return sim;
err:
    evq_free(sim->heap);
    free(sim->slots);
    free(sim);
    return NULL;
}

void sim_destroy(sim_t *sim)
{
    if (!sim)
        return;
    evq_free(sim->heap);
    free(sim->slots);
    free(sim);
}

/* sim_now() (sim/engine.h) reads the clock as the structure's first member. */
_Static_assert(offsetof(struct sim, now) == 0, "struct sim: now must come first");

uint64_t sim_events_run(const sim_t *sim) { return sim->events_run; }
size_t sim_pending(const sim_t *sim) { return sim->live; }

bool sim_running(const sim_t *sim) { return sim->running != 0; }

static void slot_free(sim_t *sim, uint32_t s)
{
    evq_slot_t *sl = &sim->slots[s];
    /* New generation, state FREE (0): stale handles stop matching. */
    sl->meta = (sl->meta | 3) + 1;
    sl->data = sim->free_head;
    sim->free_head = s;
}

/* Fill a root vacated by sim_run() with the last entry (a deferred pop). */
static inline void settle(sim_t *sim)
{
    if (sim->hole) {
        sim->hole = 0;
        evq_pop(sim->heap, sim->n--);
    }
}

/* Reverse h[0..n). */
static void reverse(evq_ent_t *h, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        evq_ent_t t = h[i];
        h[i] = h[j - 1];
        h[j - 1] = t;
    }
}

/* Sorted layout: insert e into the descending h[0..n) (n < cap). */
static inline void sorted_insert(evq_ent_t *h, size_t n, evq_ent_t e)
{
    size_t j = n;
    while (j > 0 && evq_less(&h[j - 1], &e)) {
        h[j] = h[j - 1];
        j--;
    }
    h[j] = e;
}

/* sorted_insert of a NEW event: its seq is above every pending entry's
 * (seq only grows; renumber() keeps that), so an entry is earlier than it
 * exactly when its time is not later: the time alone decides. */
static inline void sorted_insert_new(evq_ent_t *h, size_t n, evq_ent_t e)
{
    size_t j = n;
    while (j > 0 && h[j - 1].time <= e.time) {
        h[j] = h[j - 1];
        j--;
    }
    h[j] = e;
}

/* The sorted layout outgrew itself: ascending is a heap. */
static void to_heap(sim_t *sim)
{
    reverse(sim->heap, sim->n);
    sim->sorted = 0;
}

/* A small heap (no vacant root) back to the sorted layout: insertion sort,
 * O(EVQ_SORTED_BACK^2) once per switch. */
static void to_sorted(sim_t *sim)
{
    evq_ent_t *h = sim->heap;
    for (size_t i = 1; i < sim->n; i++)
        sorted_insert(h, i, h[i]);
    sim->sorted = 1;
}

/* Drop every dead entry and rebuild the heap: O(n).  The sorted layout
 * keeps its order as it is. */
static void compact(sim_t *sim)
{
    settle(sim);
    evq_ent_t *h = sim->heap;
    size_t j = 0;
    for (size_t i = 0; i < sim->n; i++) {
        uint32_t s = (uint32_t)(h[i].key & EVQ_SLOT_MASK);
        if ((sim->slots[s].meta & 3) == EVQ_DEAD)
            slot_free(sim, s);
        else
            h[j++] = h[i];
    }
    for (size_t i = j; i < sim->n; i++)
        h[i] = EVQ_SENTINEL;
    sim->n = j;
    sim->dead = 0;
    if (!sim->sorted)
        evq_heapify(h, j);
}

static int ent_cmp(const void *a, const void *b)
{
    return evq_less(a, b) ? -1 : evq_less(b, a) ? 1 : 0;
}

/* seq is about to leave its 40 bits: renumber the pending entries 0..n-1
 * in their current order.  A sorted array is a valid heap.  O(n log n),
 * once per 2^40 schedules (or per seq_limit in the white-box test). */
static void renumber(sim_t *sim)
{
    compact(sim);
    qsort(sim->heap, sim->n, sizeof *sim->heap, ent_cmp);
    for (size_t i = 0; i < sim->n; i++)
        sim->heap[i].key = ((uint64_t)i << EVQ_SLOT_BITS) | (sim->heap[i].key & EVQ_SLOT_MASK);
    sim->next_seq = sim->n;
    if (sim->sorted)
        reverse(sim->heap, sim->n);
}

/* Double the heap.  Not realloc: the block must stay 64-byte aligned
 * (sim/evq_int.h, Layout), so allocate, copy, free: O(n), amortised O(1). */
static void grow_heap(sim_t *sim)
{
    evq_ent_t *h = sim->cap <= SIZE_MAX / 2 ? evq_alloc(sim->cap * 2) : NULL;
    if (!h)
        sim_out_of_memory(sim->cap * 2 * sizeof *h);
    memcpy(h, sim->heap, sim->n * sizeof *h);
    evq_free(sim->heap);
    sim->heap = h;
    sim->cap *= 2;
}

static uint32_t slot_alloc(sim_t *sim)
{
    if (sim->free_head == EVQ_NO_SLOT) {
        if (sim->nslots == EVQ_SLOT_MAX && sim->dead > 0)
            compact(sim);
    }
    if (sim->free_head != EVQ_NO_SLOT) {
        uint32_t s = sim->free_head;
        sim->free_head = (uint32_t)sim->slots[s].data;
        return s;
    }
    if (sim->nslots == EVQ_SLOT_MAX) {
        fprintf(stderr, "parasim: more than %u events pending: engine limit "
                "(sim/evq_int.h EVQ_SLOT_MAX), runaway scheduling?\n",
                (unsigned)EVQ_SLOT_MAX);
        abort();
    }
    if (sim->nslots == sim->slot_cap) {
        uint32_t cap = sim->slot_cap * 2 > EVQ_SLOT_MAX ? EVQ_SLOT_MAX : sim->slot_cap * 2;
        sim->slots = sim_xreallocarray(sim->slots, cap, sizeof *sim->slots);
        sim->slot_cap = cap;
    }
    sim->slots[sim->nslots].meta = 0;
    return sim->nslots++;
}

sim_event_t sim_at(sim_t *sim, sim_time_t t, sim_fn_t fn, void *arg, uint64_t data)
{
    assert(t >= sim->now && "sim_at: time is in the past");
    assert(fn && "sim_at: NULL handler");
    if (sim->next_seq >= sim->seq_limit)
        renumber(sim);
    uint32_t s = slot_alloc(sim);
    if (sim->n == sim->cap)
        grow_heap(sim);
    evq_slot_t *sl = &sim->slots[s];
    sl->fn = fn;
    sl->arg = arg;
    sl->data = data;
    sl->meta |= EVQ_LIVE;
    evq_ent_t e = { t, (sim->next_seq++ << EVQ_SLOT_BITS) | s };
    if (sim->sorted && sim->n < EVQ_SORTED_MAX) {
        sorted_insert_new(sim->heap, sim->n++, e);
    } else if (sim->sorted) {
        to_heap(sim);
        evq_push(sim->heap, sim->n++, e);
    } else if (sim->hole) {
        /* The first event a handler schedules takes its predecessor's
         * place at the root: one sift-down instead of pop + push. */
        sim->hole = 0;
        evq_sift_down(sim->heap, sim->n, 0, e);
    } else {
        evq_push(sim->heap, sim->n++, e);
    }
    sim->live++;
    return (((sl->meta >> 2) & EVQ_GEN_MASK) << EVQ_HANDLE_SLOT_BITS) | (s + 1);
}

sim_event_t sim_after(sim_t *sim, sim_time_t delay, sim_fn_t fn, void *arg, uint64_t data)
{
    assert(delay <= SIM_TIME_MAX - sim->now && "sim_after: time overflows");
    return sim_at(sim, sim->now + delay, fn, arg, data);
}

bool sim_cancel(sim_t *sim, sim_event_t ev)
{
    uint64_t s1 = ev & ((UINT64_C(1) << EVQ_HANDLE_SLOT_BITS) - 1);
    if (s1 == 0 || s1 > sim->nslots)
        return false;
    evq_slot_t *sl = &sim->slots[s1 - 1];
    if ((sl->meta & 3) != EVQ_LIVE ||
        ((sl->meta >> 2) & EVQ_GEN_MASK) != ev >> EVQ_HANDLE_SLOT_BITS)
        return false;
    sl->meta = (sl->meta & ~(uint64_t)3) | EVQ_DEAD;
    sim->live--;
    sim->dead++;
    if (sim->dead > sim->live)
        compact(sim);
    return true;
}

void sim_stop(sim_t *sim) { sim->stop = 1; }

void sim_set_hook(sim_t *sim, uint64_t every, void (*hook)(sim_t *, void *), void *arg)
{
    sim->hook_every = hook ? every : 0;
    sim->hook_left = every;
    sim->hook = hook;
    sim->hook_arg = arg;
}

/* A stop requested outside sim_run() is forgotten: the flag is cleared on
 * entry and consumed on return. */
bool sim_run(sim_t *sim, sim_time_t until)
{
    assert(!sim->running && "sim_run: called from a handler");
    sim->running = 1;
    sim->stop = 0;
    for (;;) {
        settle(sim);
        if (!sim->sorted && sim->n <= EVQ_SORTED_BACK)
            to_sorted(sim);
        if (sim->n == 0)
            break;
        evq_ent_t top = sim->heap[sim->sorted ? sim->n - 1 : 0];
        uint32_t s = (uint32_t)(top.key & EVQ_SLOT_MASK);
        evq_slot_t *sl = &sim->slots[s];
        if ((sl->meta & 3) == EVQ_DEAD) {
            if (sim->sorted)
                sim->heap[--sim->n] = EVQ_SENTINEL;
            else
                evq_pop(sim->heap, sim->n--);
            slot_free(sim, s);
            sim->dead--;
            continue;
        }
        if (top.time > until)
            break;
        sim_fn_t fn = sl->fn;
        void *arg = sl->arg;
        uint64_t data = sl->data;
        if (sim->sorted)
            sim->heap[--sim->n] = EVQ_SENTINEL; /* popped at once */
        else
            sim->hole = 1; /* pop deferred: see settle() and sim_at() */
#ifdef __GNUC__
        if (sim->n > EVQ_PREFETCH_MIN) {
            /* The next event is most likely the root's smallest child
             * (unless the handler schedules an earlier one): start loading
             * its slot while the handler runs, hiding one cache miss per
             * event once the slots outgrow L2.  Written inline: as a
             * separate static function GCC deems it pure and drops it. */
            const evq_ent_t *k = &sim->heap[1]; /* sentinels if absent */
            uint64_t a = (uint64_t)evq_less(&k[1], &k[0]);
            uint64_t b = 2 + (uint64_t)evq_less(&k[3], &k[2]);
            uint64_t m = evq_sel((uint64_t)evq_less(&k[b], &k[a]), a, b);
            uint64_t next = k[m].key & EVQ_SLOT_MASK;
            /* A sentinel's slot bits are out of range: stay in bounds. */
            __builtin_prefetch(&sim->slots[next < sim->nslots ? next : 0]);
        }
#endif
        slot_free(sim, s);
        sim->live--;
        sim->now = top.time;
        sim->events_run++;
        fn(sim, arg, data);
        if (sim->hook_every && --sim->hook_left == 0) {
            sim->hook_left = sim->hook_every;
            sim->hook(sim, sim->hook_arg);
        }
        if (sim->stop)
            break;
    }
    settle(sim);
    bool stopped = sim->stop;
    sim->stop = 0;
    sim->running = 0;
    return stopped;
}
