/* tests/bench/bench_baseline: the hand-written lower bound for parasim's
 * headline benchmark.
 *
 * The same queue as the headline run, simulated by the smallest C program
 * that can: a centralized M/M/16 at rho = 0.9 (mean service 1000 ns,
 * Poisson arrivals at 0.9 * 16 / 1000 per ns), REQUESTS requests, a plain
 * binary heap of events (arrival / departure), a FIFO ring of waiting
 * requests, and each request's sojourn recorded in a log2 histogram.
 * Times are integer picoseconds as in parasim; variates are
 * -log(1 - u) * mean with u from xoshiro256** (53-bit uniform).  No
 * framework, no callbacks, no cancellation: whatever parasim's engine
 * costs on top of this is the price of its generality.
 *
 * Prints each run's wall time, then the median of RUNS runs (every run is
 * the same seeded simulation, so only the wall time differs), the measured
 * mean sojourn next to the Erlang C value (a sanity check that the queue
 * is the right one), and a last line exactly
 *     baseline_events_per_s <number>
 * for other benches to read.  Wall time from clock_gettime(CLOCK_MONOTONIC)
 * (benchmarks only, never in the simulator). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SERVERS 16
#define RHO 0.9
#define SERVICE_NS 1000.0
#ifndef REQUESTS
#define REQUESTS 10000000u
#endif
#define RUNS 3
#define SEED 42u

/* ---------------------------------------------------------------- rng */

typedef struct { uint64_t s[4]; } xoshiro_t;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xo_next(xoshiro_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void xo_seed(xoshiro_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) { /* splitmix64 */
        uint64_t z = (seed += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        r->s[i] = z ^ (z >> 31);
    }
}

/* Exp(mean_ns), returned in ps. */
static uint64_t exp_ps(xoshiro_t *r, double mean_ns)
{
    double u = (double)(xo_next(r) >> 11) * 0x1.0p-53;
    return (uint64_t)(-log(1.0 - u) * mean_ns * 1000.0 + 0.5);
}

/* ---------------------------------------------------------------- events */

enum { EV_ARRIVAL, EV_DEPARTURE };

typedef struct ev {
    uint64_t time; /* ps */
    uint64_t seq;  /* tie-break: insertion order */
    uint64_t arr;  /* departure: the request's arrival time, ps */
    int kind;
} ev_t;

typedef struct heap {
    ev_t *e;
    size_t n, cap;
    uint64_t seq;
} heap_t;

static int ev_less(const ev_t *a, const ev_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fputs("bench_baseline: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static void heap_push(heap_t *h, uint64_t time, int kind, uint64_t arr)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->e = xrealloc(h->e, h->cap * sizeof *h->e);
    }
    ev_t x = { time, h->seq++, arr, kind };
    size_t i = h->n++;
    while (i > 0 && ev_less(&x, &h->e[(i - 1) / 2])) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = x;
}

static ev_t heap_pop(heap_t *h)
{
    ev_t top = h->e[0], x = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && ev_less(&h->e[c + 1], &h->e[c]))
            c++;
        if (!ev_less(&h->e[c], &x))
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    h->e[i] = x;
    return top;
}

/* ---------------------------------------------------------------- FIFO */

typedef struct fifo {
    uint64_t *a; /* arrival times, ps */
    size_t head, tail, cap; /* cap a power of two; free-running indices */
} fifo_t;

static void fifo_push(fifo_t *f, uint64_t v)
{
    if (f->tail - f->head == f->cap) {
        size_t ncap = f->cap ? 2 * f->cap : 1024;
        uint64_t *a = xrealloc(NULL, ncap * sizeof *a);
        for (size_t i = 0; i < f->cap; i++)
            a[i] = f->a[(f->head + i) & (f->cap - 1)];
        free(f->a);
        f->a = a;
        f->tail -= f->head;
        f->head = 0;
        f->cap = ncap;
    }
    f->a[f->tail++ & (f->cap - 1)] = v;
}

/* ---------------------------------------------------------------- run */

typedef struct result {
    uint64_t events;
    uint64_t completed;
    double sojourn_sum_ns;
    uint64_t hist[64]; /* hist[b]: sojourns in [2^b, 2^(b+1)) ps; 0 -> b 0 */
    double wall_s;
} result_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void simulate(result_t *res)
{
    const double interarrival_ns = SERVICE_NS / (RHO * SERVERS);
    xoshiro_t arr_rng, svc_rng;
    xo_seed(&arr_rng, SEED * 2 + 1);
    xo_seed(&svc_rng, SEED * 2 + 2);
    heap_t h = { 0 };
    fifo_t q = { 0 };
    unsigned busy = 0;
    uint64_t arrived = 0;
    memset(res, 0, sizeof *res);

    double t0 = now_s();
    heap_push(&h, exp_ps(&arr_rng, interarrival_ns), EV_ARRIVAL, 0);
    arrived = 1;
    while (h.n > 0) {
        ev_t e = heap_pop(&h);
        res->events++;
        if (e.kind == EV_ARRIVAL) {
            if (arrived < REQUESTS) {
                heap_push(&h, e.time + exp_ps(&arr_rng, interarrival_ns), EV_ARRIVAL, 0);
                arrived++;
            }
            if (busy < SERVERS) {
                busy++;
                heap_push(&h, e.time + exp_ps(&svc_rng, SERVICE_NS), EV_DEPARTURE, e.time);
            } else {
                fifo_push(&q, e.time);
            }
        } else {
            uint64_t soj = e.time - e.arr;
            res->sojourn_sum_ns += (double)soj / 1000.0;
            res->hist[soj ? 63 - __builtin_clzll(soj) : 0]++;
            res->completed++;
            if (q.tail != q.head) {
                uint64_t arr = q.a[q.head++ & (q.cap - 1)];
                heap_push(&h, e.time + exp_ps(&svc_rng, SERVICE_NS), EV_DEPARTURE, arr);
            } else {
                busy--;
            }
        }
    }
    res->wall_s = now_s() - t0;
    free(h.e);
    free(q.a);
}

/* Erlang C via the Erlang B recurrence (stable for any c). */
static double erlang_c(unsigned c, double a)
{
    double b = 1.0;
    for (unsigned k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    double rho = a / c;
    return b / (1.0 - rho * (1.0 - b));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static result_t res[RUNS];
    double wall[RUNS];
    for (int r = 0; r < RUNS; r++) {
        simulate(&res[r]);
        wall[r] = res[r].wall_s;
        printf("run %d: %.3f s wall, %llu events, %.0f events/s\n", r + 1, wall[r],
               (unsigned long long)res[r].events, res[r].events / wall[r]);
    }
    qsort(wall, RUNS, sizeof wall[0], cmp_double);
    const result_t *x = &res[0];
    double med = wall[RUNS / 2];

    double lambda = RHO * SERVERS / SERVICE_NS, mu = 1.0 / SERVICE_NS;
    double c = erlang_c(SERVERS, lambda / mu);
    double analytic = SERVICE_NS + c / (SERVERS * mu - lambda); /* = 1000 (1 + C / 1.6) */
    double measured = x->sojourn_sum_ns / (double)x->completed;

    printf("M/M/%d rho=%.2f, %u requests: %llu events, median wall %.3f s\n", SERVERS, RHO,
           REQUESTS, (unsigned long long)x->events, med);
    printf("mean sojourn %.1f ns (analytical %.1f ns, Erlang C = %.4f, diff %+.2f%%)\n", measured,
           analytic, c, 100.0 * (measured - analytic) / analytic);
    printf("sojourn log2 histogram (ns range: share)\n");
    for (int b = 0; b < 64; b++)
        if (x->hist[b] * 1000 >= x->completed) /* >= 0.1% */
            printf("  [%9.1f, %9.1f): %5.2f%%\n", ldexp(1.0, b) / 1000.0, ldexp(1.0, b + 1) / 1000.0,
                   100.0 * (double)x->hist[b] / (double)x->completed);
    printf("baseline_events_per_s %.0f\n", (double)x->events / med);
    return 0;
}
