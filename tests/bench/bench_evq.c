/* tests/bench/bench_evq: the "hold" benchmark for the event queue.
 *
 * Hold model (Vaucher & Duval 1975; Rönngren & Ayani 1997): pre-fill N
 * pending events, then repeat "pop the minimum, push a new event at
 * now + Exp(mean)"; the pending count stays N.  Each hold is one event of a
 * simulation whose every handler schedules exactly one successor, so
 * ns/hold is the queue's share of the cost of an event.
 *
 * Structures, all ordered by (time, insertion seq) like the engine:
 *   engine   sim/engine through its public API (sim_at/sim_after, a handler
 *            that reschedules itself, sim_stop after the timed count);
 *   4-ary    the engine's own heap functions (sim/evq_int.h, included on
 *            purpose), without the slot table and API around them;
 *   binary   a bench-local binary heap of the same 16-byte entries, same
 *            compare, padding and alignment;
 *   pairing  a bench-local two-pass pairing heap (Fredman et al. 1986),
 *            nodes in one array, 32-bit links.
 * The increments come from one precomputed table of 4096 Exp(1 us)
 * variates in ps (the log is not what is measured), read in the same order
 * by every structure.  Each (structure, N) pre-fills, runs N warm-up holds,
 * then times 5 consecutive runs of OPS holds and reports the median.
 *
 * Wall time from clock_gettime(CLOCK_MONOTONIC): benchmarks only, never in
 * the simulator.  Runs in ~10-20 s on a 2-core box; numbers move with the
 * machine's load, compare rows of one run. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/engine.h"
#include "sim/evq_int.h"

#ifndef BH_LOOKAHEAD
#define BH_LOOKAHEAD 2
#endif
#define REPS 5
#ifndef OPS
#define OPS 1000000u
#endif
#define INC_N 4096u
#define MEAN_PS 1000000.0

static uint64_t inc[INC_N];
static uint32_t inc_i;

static inline uint64_t next_inc(void) { return inc[inc_i++ & (INC_N - 1)]; }

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fputs("bench_evq: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void init_increments(void)
{
    uint64_t s = 0x9e3779b97f4a7c15u; /* splitmix64 */
    for (unsigned i = 0; i < INC_N; i++) {
        uint64_t z = (s += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        z ^= z >> 31;
        double u = (double)(z >> 11) * 0x1.0p-53;
        inc[i] = (uint64_t)(-log(1.0 - u) * MEAN_PS);
    }
}

/* A structure under test: set up with n pending, run `ops` holds, free. */
typedef struct bench_ops {
    const char *name;
    void *(*setup)(size_t n);
    void (*hold)(void *q, uint64_t ops);
    void (*teardown)(void *q);
} bench_ops_t;

/* ---------------------------------------------------------------- engine */

typedef struct eng {
    sim_t *sim;
    uint64_t left;
} eng_t;

static void eng_handler(sim_t *sim, void *arg, uint64_t data)
{
    eng_t *e = arg;
    sim_after(sim, next_inc(), eng_handler, arg, data);
    if (--e->left == 0)
        sim_stop(sim);
}

static void *eng_setup(size_t n)
{
    eng_t *e = xmalloc(sizeof *e);
    e->sim = sim_create();
    if (!e->sim)
        exit(1);
    for (size_t i = 0; i < n; i++)
        sim_at(e->sim, next_inc(), eng_handler, e, i);
    return e;
}

static void eng_hold(void *q, uint64_t ops)
{
    eng_t *e = q;
    e->left = ops;
    sim_run(e->sim, SIM_TIME_MAX);
}

static void eng_teardown(void *q)
{
    eng_t *e = q;
    sim_destroy(e->sim);
    free(e);
}

/* ---------------------------------------------------------------- 4-ary (engine's heap) */

typedef struct hq {
    evq_ent_t *h;
    size_t n;
    uint64_t seq;
} hq_t;

static void *hq_setup(size_t n)
{
    hq_t *q = xmalloc(sizeof *q);
    q->h = evq_alloc(n + 1); /* aligned, sentinel-padded (sim/evq_int.h) */
    if (!q->h)
        exit(1);
    q->n = 0;
    q->seq = 0;
    return q;
}

static void d4_fill(hq_t *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        evq_ent_t e = { next_inc(), q->seq++ };
        evq_push(q->h, q->n++, e);
    }
}

static void *d4_setup(size_t n)
{
    hq_t *q = hq_setup(n);
    d4_fill(q, n);
    return q;
}

static void d4_hold(void *vq, uint64_t ops)
{
    hq_t *q = vq;
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t t = q->h[0].time;
        evq_pop(q->h, q->n--);
        evq_ent_t e = { t + next_inc(), q->seq++ };
        evq_push(q->h, q->n++, e);
    }
}

static void hq_teardown(void *vq)
{
    hq_t *q = vq;
    evq_free(q->h);
    free(q);
}

/* ---------------------------------------------------------------- binary heap */

/* Same branch-free compare, sentinel padding and alignment as the 4-ary
 * heap (sibling pairs never straddle a cache line), with the variants that
 * measured best for a binary heap: select the child by index and reload
 * (keeping both children in registers, as the 4-ary does, was ~25%
 * slower here) and prefetch BH_LOOKAHEAD = 2 levels ahead (1 was slower at
 * 1M).  So the rows compare each arity at its best. */
static inline void bh_push(evq_ent_t *h, size_t n, evq_ent_t e)
{
    size_t i = n;
    while (i > 0) {
        size_t p = (i - 1) >> 1;
        if (!evq_less(&e, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static inline void bh_pop(evq_ent_t *h, size_t n)
{
    evq_ent_t e = h[--n];
    h[n] = EVQ_SENTINEL;
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
#ifdef __GNUC__
        if (BH_LOOKAHEAD && 4 * i + 3 < n) { /* grandchildren, as the 4-ary does */
            const char *g = (const char *)&h[4 * i + 3];
            __builtin_prefetch(g);
            __builtin_prefetch(g + 63);
        }
        if (BH_LOOKAHEAD > 1 && 8 * i + 7 < n) {
            const char *g = (const char *)&h[8 * i + 7];
            __builtin_prefetch(g);
            __builtin_prefetch(g + 64);
            __builtin_prefetch(g + 127);
        }
#endif
        c += evq_less(&h[c + 1], &h[c]);
        if (!evq_less(&h[c], &e))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

static void *bh_setup(size_t n)
{
    hq_t *q = hq_setup(n);
    for (size_t i = 0; i < n; i++) {
        evq_ent_t e = { next_inc(), q->seq++ };
        bh_push(q->h, q->n++, e);
    }
    return q;
}

static void bh_hold(void *vq, uint64_t ops)
{
    hq_t *q = vq;
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t t = q->h[0].time;
        bh_pop(q->h, q->n--);
        evq_ent_t e = { t + next_inc(), q->seq++ };
        bh_push(q->h, q->n++, e);
    }
}

/* ---------------------------------------------------------------- pairing heap */

#define PH_NIL UINT32_MAX

typedef struct ph_node {
    uint64_t time, key;
    uint32_t child, sib;
} ph_node_t;

typedef struct ph {
    ph_node_t *nd;
    uint32_t root;
    uint64_t seq;
} ph_t;

static inline uint32_t ph_meld(ph_node_t *nd, uint32_t a, uint32_t b)
{
    if (nd[b].time < nd[a].time || (nd[b].time == nd[a].time && nd[b].key < nd[a].key)) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    nd[b].sib = nd[a].child;
    nd[a].child = b;
    return a;
}

/* Two-pass: meld pairs left to right, then fold the results right to left. */
static uint32_t ph_combine(ph_node_t *nd, uint32_t first)
{
    if (first == PH_NIL)
        return PH_NIL;
    uint32_t acc = PH_NIL;
    while (first != PH_NIL) {
        uint32_t a = first, b = nd[a].sib;
        if (b == PH_NIL) {
            nd[a].sib = acc;
            acc = a;
            break;
        }
        first = nd[b].sib;
        uint32_t m = ph_meld(nd, a, b);
        nd[m].sib = acc;
        acc = m;
    }
    uint32_t r = acc;
    acc = nd[acc].sib;
    while (acc != PH_NIL) {
        uint32_t next = nd[acc].sib;
        r = ph_meld(nd, r, acc);
        acc = next;
    }
    nd[r].sib = PH_NIL;
    return r;
}

static inline void ph_insert(ph_t *q, uint32_t i, uint64_t t)
{
    q->nd[i] = (ph_node_t){ t, q->seq++, PH_NIL, PH_NIL };
    q->root = q->root == PH_NIL ? i : ph_meld(q->nd, q->root, i);
}

static void *ph_setup(size_t n)
{
    ph_t *q = xmalloc(sizeof *q);
    q->nd = xmalloc(n * sizeof *q->nd);
    q->root = PH_NIL;
    q->seq = 0;
    for (size_t i = 0; i < n; i++)
        ph_insert(q, (uint32_t)i, next_inc());
    return q;
}

static void ph_hold(void *vq, uint64_t ops)
{
    ph_t *q = vq;
    for (uint64_t i = 0; i < ops; i++) {
        uint32_t m = q->root;
        uint64_t t = q->nd[m].time;
        q->root = ph_combine(q->nd, q->nd[m].child);
        ph_insert(q, m, t + next_inc()); /* the popped node is reused */
    }
}

static void ph_teardown(void *vq)
{
    ph_t *q = vq;
    free(q->nd);
    free(q);
}

/* ---------------------------------------------------------------- driver */

static const bench_ops_t structures[] = {
    { "engine", eng_setup, eng_hold, eng_teardown },
    { "4-ary", d4_setup, d4_hold, hq_teardown },
    { "binary", bh_setup, bh_hold, hq_teardown },
    { "pairing", ph_setup, ph_hold, ph_teardown },
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static const size_t sizes[] = { 1000, 64 * 1024, 1024 * 1024 };
    init_increments();
    printf("hold benchmark: median of %d x %u holds, Exp(1 us) increments\n", REPS, OPS);
    printf("%9s  %-8s %10s %9s\n", "pending", "queue", "ns/hold", "Mops/s");
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (size_t k = 0; k < sizeof structures / sizeof structures[0]; k++) {
            const bench_ops_t *b = &structures[k];
            inc_i = 0; /* every structure sees the same increments */
            void *q = b->setup(sizes[si]);
            b->hold(q, sizes[si]); /* warm up to the steady state */
            double ns[REPS];
            for (int r = 0; r < REPS; r++) {
                double t0 = now_s();
                b->hold(q, OPS);
                ns[r] = (now_s() - t0) * 1e9 / OPS;
            }
            b->teardown(q);
            qsort(ns, REPS, sizeof ns[0], cmp_double);
            double med = ns[REPS / 2];
            printf("%9zu  %-8s %10.1f %9.2f\n", sizes[si], b->name, med, 1e3 / med);
        }
    }
    return 0;
}
