/* sim/evq_int.h: folder-private internals of the engine (sim/engine.c):
 * the event queue's heap, the slot table, and struct sim itself.
 *
 * Only sim/engine.c, its white-box test (tests/sim/check_engine.c) and the
 * queue benchmark (tests/bench/bench_evq.c, which times these very heap
 * functions) include this file; every other component goes through
 * sim/engine.h.
 *
 * Heap.  A 4-ary implicit min-heap of 16-byte entries {time, key}, where
 * key = (seq << EVQ_SLOT_BITS) | slot.  seq is the engine's insertion
 * counter, unique among pending events, so comparing (time, key) orders by
 * (time, seq): the deterministic tie-break sim/engine.h promises; the slot
 * bits never decide.  Children of node i are 4i+1 .. 4i+4.  A 4-ary heap is
 * half as deep as a binary one and its four children are one aligned
 * 64-byte cache line, so a sift-down touches one line per level; compares
 * and child selection are branch-free and the next level is prefetched.
 * Measured with tests/bench/bench_evq.c (hold model, 2-core Xeon VM): on
 * par with an equally tuned binary heap at 1k pending, ~10% faster at 64k,
 * 10-25% at 1M (run to run), and 2.5-8x faster than a pairing heap.  A
 * calendar or ladder queue (O(1) expected hold) was not tried.  push: O(log4 n) worst case, O(1) expected
 * for random keys; pop: O(log4 n), 4 comparisons per level.  Memory: 16 B
 * of heap + 32 B of slot per queued event, kept at the peak.
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
#include <stdlib.h>

#include "sim/engine.h"

#define EVQ_SLOT_BITS 24
#define EVQ_SLOT_MASK ((UINT64_C(1) << EVQ_SLOT_BITS) - 1)
#define EVQ_SLOT_MAX (UINT32_C(1) << EVQ_SLOT_BITS)
/* seq < 2^40 - 1, so a key never equals the sentinel's UINT64_MAX. */
#define EVQ_SEQ_LIMIT ((UINT64_C(1) << (64 - EVQ_SLOT_BITS)) - 1)
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
    size_t n;              /* entries in heap: live + dead (+ vacant root) */
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
    int hole;              /* heap[0] is vacant: the running event's entry,
                              popped lazily (engine.c settle()) */
    int sorted;            /* heap[0..n) is sorted DESCENDING by (time, key)
                              instead (the minimum last): the small-queue
                              mode, engine.c "Two layouts" */
};

/* (t1, k1) < (t0, k0), without branches: the comparisons inside a sift
 * are unpredictable by nature and a mispredict costs more than the compare
 * (bench_evq, 1k pending: 86 ns per hold with branches, 52 without). */
static inline uint64_t evq_lt(uint64_t t1, uint64_t k1, uint64_t t0, uint64_t k0)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    return (((u128)t1 << 64) | k1) < (((u128)t0 << 64) | k0);
#else
    return (t1 < t0) | ((t1 == t0) & (k1 < k0));
#endif
}

static inline int evq_less(const evq_ent_t *a, const evq_ent_t *b)
{
    return (int)evq_lt(a->time, a->key, b->time, b->key);
}

/* Branch-free select: x if c == 0, y if c == 1 (GCC turns ?: on
 * unpredictable data into a branch). */
static inline uint64_t evq_sel(uint64_t c, uint64_t x, uint64_t y)
{
    return x ^ ((x ^ y) & (0 - c));
}

/* Layout.  The logical array h[0..cap) sits EVQ_PAD entries into a
 * 64-byte aligned block, so each group of four siblings h[4i+1..4i+4] is
 * exactly one cache line.  Every entry at or past n is EVQ_SENTINEL (greater
 * than any queued entry: seq < EVQ_SEQ_LIMIT keeps key < UINT64_MAX), and
 * there are EVQ_PAD of them past cap: a sift compares all four children
 * without checking how many exist. */
#define EVQ_PAD 3
/* Below this many entries (16 B each: 16 KiB, L1-resident) the heap's
 * lines are in cache: sift-downs and sim_run skip their prefetches, which
 * would only cost instructions (the echo run keeps ~15 events pending). */
#define EVQ_PREFETCH_MIN 1024u
static const evq_ent_t EVQ_SENTINEL = { UINT64_MAX, UINT64_MAX };

/* Room for cap entries, all sentinels; NULL on allocation failure. */
static inline evq_ent_t *evq_alloc(size_t cap)
{
    if (cap > SIZE_MAX / sizeof(evq_ent_t) - 2 * EVQ_PAD - 4)
        return NULL;
    size_t bytes = (cap + 2 * EVQ_PAD) * sizeof(evq_ent_t);
    bytes = (bytes + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
    evq_ent_t *mem = aligned_alloc(64, bytes);
    if (!mem)
        return NULL;
    for (size_t i = 0; i < bytes / sizeof *mem; i++)
        mem[i] = EVQ_SENTINEL;
    return mem + EVQ_PAD;
}

static inline void evq_free(evq_ent_t *h)
{
    if (h)
        free(h - EVQ_PAD);
}

/* Insert e at index n and sift it up; n < cap. */
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
 * (the hole's subtree is otherwise a valid heap).  The minimum of the four
 * children is a branch-free tournament on values held in registers (no
 * reload through the winning index: that would add a load latency to the
 * critical path of every level); the sentinels stand in for missing
 * children; the grandchildren are prefetched a level ahead. */
static inline void evq_sift_down(evq_ent_t *h, size_t n, size_t i, evq_ent_t e)
{
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        const evq_ent_t *k = &h[c];
#ifdef __GNUC__
        /* The grandchildren are 4 consecutive lines: fetch them while
         * this level's compares run (matters once the heap leaves L2). */
        if (n > EVQ_PREFETCH_MIN && 4 * c + 1 < n) {
            const char *g = (const char *)&h[4 * c + 1];
            __builtin_prefetch(g);
            __builtin_prefetch(g + 64);
            __builtin_prefetch(g + 128);
            __builtin_prefetch(g + 192);
        }
#endif
        uint64_t l01 = evq_lt(k[1].time, k[1].key, k[0].time, k[0].key);
        uint64_t l23 = evq_lt(k[3].time, k[3].key, k[2].time, k[2].key);
        uint64_t ta = evq_sel(l01, k[0].time, k[1].time);
        uint64_t ka = evq_sel(l01, k[0].key, k[1].key);
        uint64_t tb = evq_sel(l23, k[2].time, k[3].time);
        uint64_t kb = evq_sel(l23, k[2].key, k[3].key);
        uint64_t lab = evq_lt(tb, kb, ta, ka);
        uint64_t tm = evq_sel(lab, ta, tb);
        uint64_t km = evq_sel(lab, ka, kb);
        size_t m = c + (size_t)evq_sel(lab, l01, 2 + l23);
        if (!evq_lt(tm, km, e.time, e.key))
            break;
        h[i].time = tm;
        h[i].key = km;
        i = m;
    }
    h[i] = e;
}

/* Remove the minimum of a heap of n > 0 entries (now n - 1); the vacated
 * h[n - 1] becomes a sentinel. */
static inline void evq_pop(evq_ent_t *h, size_t n)
{
    evq_ent_t last = h[n - 1];
    h[n - 1] = EVQ_SENTINEL;
    if (n > 1)
        evq_sift_down(h, n - 1, 0, last);
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
