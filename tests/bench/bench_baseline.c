/* tests/bench/bench_baseline: the hand-written lower bound for parasim's
 * headline benchmark.
 *
 * The same queue as the headline run, simulated by the smallest and
 * fastest plain C program that still simulates it event by event: a
 * centralized M/M/16 at rho = 0.9 (mean service 1000 ns, Poisson arrivals
 * at 0.9 * 16 / 1000 per ns), REQUESTS requests, each request's sojourn
 * recorded in a log2 histogram.
 *
 * The pending events are at most 17 (the next arrival and one departure
 * per busy server), so there is no general event queue: the next arrival
 * time, the 16 servers' completion times (idle = UINT64_MAX) and the
 * earliest of those.  Each loop iteration draws the next arrival, runs
 * the departures due before it, then the arrival.  A completion time is kept as
 * (time << 4) | server, so the earliest completion and its server come
 * from one branch-free 16-way minimum, recomputed only after a departure
 * (an arrival can only lower it).  Waiting requests sit in a FIFO ring of
 * arrival times; idle servers on a small stack.
 *
 * Times are integer picoseconds as in parasim; variates are as parasim
 * draws them: -log(U) * mean with U in (0, 1] from xoshiro256** (53 bits),
 * rounded to the ps by a +0.5 truncating cast.  Per request: one variate
 * for the gap, one for the service, one histogram record.  No framework,
 * no callbacks, no cancellation: whatever parasim's engine costs on top of
 * this is the price of its generality.
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

/* Exp(mean_ps), rounded to the ps: -ln(U) * mean, U in (0, 1]. */
static inline uint64_t exp_ps(xoshiro_t *r, double mean_ps)
{
    double u = (double)((xo_next(r) >> 11) + 1) * 0x1.0p-53;
    return (uint64_t)(int64_t)(-log(u) * mean_ps + 0.5);
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

/* ---------------------------------------------------------------- FIFO */

typedef struct fifo {
    uint64_t *a; /* arrival times, ps */
    size_t head, tail, cap; /* cap a power of two; free-running indices */
} fifo_t;

/* Out of line: runs only when the ring is full (a handful of times). */
static void fifo_grow(fifo_t *f)
{
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

static inline void fifo_push(fifo_t *f, uint64_t v)
{
    if (__builtin_expect(f->tail - f->head == f->cap, 0))
        fifo_grow(f);
    f->a[f->tail++ & (f->cap - 1)] = v;
}

/* ---------------------------------------------------------------- servers */

#define IDLE UINT64_MAX
_Static_assert(SERVERS == 16, "completion keys hold the server in 4 bits; min16()");

static inline uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Earliest of the 16 completion keys: a tree of branch-free minimums. */
static inline uint64_t min16(const uint64_t *d)
{
    uint64_t m[8];
    for (int i = 0; i < 8; i++)
        m[i] = min64(d[i], d[i + 8]);
    for (int i = 0; i < 4; i++)
        m[i] = min64(m[i], m[i + 4]);
    return min64(min64(m[0], m[2]), min64(m[1], m[3]));
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
    const double interarrival_ps = SERVICE_NS * 1000.0 / (RHO * SERVERS);
    const double service_ps = SERVICE_NS * 1000.0;
    xoshiro_t arr_rng, svc_rng;
    xo_seed(&arr_rng, SEED * 2 + 1);
    xo_seed(&svc_rng, SEED * 2 + 2);
    uint64_t done[SERVERS];  /* (completion time << 4) | server; IDLE when idle */
    uint64_t since[SERVERS]; /* arrival time of the request in service */
    unsigned idle[SERVERS], nidle = SERVERS; /* stack of idle servers */
    fifo_t q = { 0 };
    uint64_t events = 0, sojourn_sum = 0, hist[64] = { 0 };
    memset(res, 0, sizeof *res);
    for (unsigned i = 0; i < SERVERS; i++) {
        done[i] = IDLE;
        idle[i] = SERVERS - 1 - i;
    }

    double t0 = now_s();
    uint64_t first = IDLE; /* min16(done) */
    uint64_t arr_t = 0;    /* the latest arrival's time */
    uint64_t arrived = 0;
    for (;;) {
        /* Next arrival; after the last one, IDLE >> 4 (later than any
         * departure) lets the departures drain. */
        uint64_t next_arr = arrived < REQUESTS ? arr_t + exp_ps(&arr_rng, interarrival_ps) : IDLE >> 4;

        /* Departures before it (ties: the arrival first). */
        while ((first >> 4) < next_arr) {
            uint64_t t = first >> 4;
            unsigned s = (unsigned)(first & (SERVERS - 1));
            uint64_t soj = t - since[s];
            sojourn_sum += soj;
            hist[soj ? 63 - __builtin_clzll(soj) : 0]++;
            if (q.tail != q.head) {
                since[s] = q.a[q.head++ & (q.cap - 1)];
                done[s] = (t + exp_ps(&svc_rng, service_ps)) << 4 | s;
            } else {
                done[s] = IDLE;
                idle[nidle++] = s;
            }
            first = min16(done);
            events++;
        }
        if (arrived == REQUESTS)
            break;

        /* The arrival. */
        arr_t = next_arr;
        arrived++;
        events++;
        if (nidle > 0) {
            unsigned s = idle[--nidle];
            uint64_t key = (arr_t + exp_ps(&svc_rng, service_ps)) << 4 | s;
            done[s] = key;
            since[s] = arr_t;
            first = min64(first, key);
        } else {
            fifo_push(&q, arr_t);
        }
    }
    res->wall_s = now_s() - t0;
    res->events = events;
    res->completed = events - arrived; /* every event is an arrival or a departure */
    memcpy(res->hist, hist, sizeof hist);
    res->sojourn_sum_ns = (double)sojourn_sum / 1000.0;
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
