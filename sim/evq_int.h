/* sim/evq_int.h: folder-private internals of the engine (sim/engine.c):
 * the event queue's heap, the slot table, and struct sim itself.
 *
 * Only sim/engine.c and its white-box test (tests/sim/check_engine.c)
 * include this file; every other component goes through sim/engine.h.
 *
 * Heap.  A 4-ary implicit min-heap of 16-byte entries {time, key}, where
 * key = (seq << EVQ_SLOT_BITS) | slot.  seq is the engine's insertion
 * counter, unique among pending events, so comparing (time, key) orders by
 * (time, seq): the deterministic tie-break sim/engine.h promises; the slot
 * bits never decide.  Children of node i are 4i+1 .. 4i+4.  A 4-ary heap is
 * half as deep as a binary one and its four children are 64 contiguous
 * bytes, so a sift-down touches about one cache line per level; it won the
 * hold benchmark (tests/bench/bench_evq.c) against a binary and a pairing
 * heap.  push: O(log4 n) worst case, O(1) expected for random keys;
 * pop: O(log4 n), 3-4 comparisons per level.
 *
 * Slots.  The handler (fn, arg, data) of each queued entry lives in a slot
 * table indexed by the key's low EVQ_SLOT_BITS bits; free slots form a LIFO
 * list (the slot an event just vacated is reused first: warm in cache).
 * A slot stays allocated while its heap entry exists, even after a cancel
 * (state DEAD), so an entry never points at a reused slot.  Each slot has a
 * generation, bumped when the slot is freed; the public handle is
 * (generation << EVQ_HANDLE_SLOT_BITS) | (slot + 1), so 0 is never a
 * handle and a handle from an earlier tenant of the slot no longer matches.
 *
 * Limits (host/simulator limits, not model ones):
 *   - at most EVQ_SLOT_MAX = 2^24 (16,777,216) queued entries, live plus
 *     cancelled-not-yet-removed; beyond that the engine prints a message
 *     and aborts (a model with that many pending events is almost surely
 *     runaway scheduling);
 *   - seq has 40 bits; when it would overflow (after ~1.1e12 schedules) the
 *     pending entries are renumbered in order, O(n log n), once per 2^40;
 *   - generations have 39 bits: a stale handle could alias a new event only
 *     if its slot was reused exactly 2^39 (5.5e11) times in between. */
#ifndef PARASIM_SIM_EVQ_INT_H
#define PARASIM_SIM_EVQ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

#define EVQ_SLOT_BITS 24
#define EVQ_SLOT_MASK ((UINT64_C(1) << EVQ_SLOT_BITS) - 1)
#define EVQ_SLOT_MAX (UINT32_C(1) << EVQ_SLOT_BITS)
#define EVQ_SEQ_LIMIT (UINT64_C(1) << (64 - EVQ_SLOT_BITS)) /* 2^40 */
#define EVQ_HANDLE_SLOT_BITS 25 /* slot + 1 <= 2^24 needs 25 bits */
#define EVQ_GEN_BITS (64 - EVQ_HANDLE_SLOT_BITS) /* 39 */
#define EVQ_GEN_MASK ((UINT64_C(1) << EVQ_GEN_BITS) - 1)
#define EVQ_NO_SLOT UINT32_MAX

typedef struct evq_ent {
    uint64_t time; /* ps */
    uint64_t key;  /* seq << EVQ_SLOT_BITS | slot */
} evq_ent_t;

enum { EVQ_FREE = 0, EVQ_LIVE = 1, EVQ_DEAD = 2 };

/* 32 bytes.  `meta` = generation << 2 | state. */
typedef struct evq_slot {
    sim_fn_t fn;
    void *arg;
    uint64_t data;      /* handler word; next free slot while FREE */
    uint64_t meta;
} evq_slot_t;

struct sim {
    sim_time_t now;        /* ps; time of the last event popped */
    evq_ent_t *heap;       /* heap[0] is the minimum */
    size_t n;              /* entries in heap (live + dead) */
    size_t cap;            /* allocated heap entries */
    evq_slot_t *slots;
    uint32_t nslots;       /* slots ever handed out (high-water mark) */
    uint32_t slot_cap;     /* allocated slots */
    uint32_t free_head;    /* LIFO free list through slot.data; EVQ_NO_SLOT */
    size_t live;           /* scheduled, not run, not cancelled */
    size_t dead;           /* cancelled, entry still in the heap */
    uint64_t next_seq;
    uint64_t seq_limit;    /* EVQ_SEQ_LIMIT; the white-box test lowers it */
    uint64_t events_run;
    uint64_t hook_every;   /* 0 = no hook */
    uint64_t hook_left;    /* events until the next hook call */
    void (*hook)(sim_t *, void *);
    void *hook_arg;
    int stop;              /* set by sim_stop(), consumed by sim_run() */
    int running;           /* inside sim_run(): no nesting */
};

static inline int evq_less(const evq_ent_t *a, const evq_ent_t *b)
{
    return a->time < b->time || (a->time == b->time && a->key < b->key);
}

/* Insert e at the end and sift it up; capacity must already allow it. */
static inline void evq_push(evq_ent_t *h, size_t n, evq_ent_t e)
{
    size_t i = n;
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (!evq_less(&e, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

/* Put e into the hole at index i of a heap of n entries and sift it down
 * (the hole's subtree is otherwise a valid heap). */
static inline void evq_sift_down(evq_ent_t *h, size_t n, size_t i, evq_ent_t e)
{
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t m = c;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (evq_less(&h[k], &h[m]))
                m = k;
        if (!evq_less(&h[m], &e))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
}

/* Remove the minimum of a heap of n > 0 entries (now n - 1). */
static inline void evq_pop(evq_ent_t *h, size_t n)
{
    if (n > 1)
        evq_sift_down(h, n - 1, 0, h[n - 1]);
}

/* Restore the heap property of h[0..n) in O(n) (Floyd). */
static inline void evq_heapify(evq_ent_t *h, size_t n)
{
    if (n < 2)
        return;
    for (size_t i = (n - 2) / 4 + 1; i-- > 0;)
        evq_sift_down(h, n, i, h[i]);
}

#endif
