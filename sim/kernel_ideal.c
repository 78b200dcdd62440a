/* sim/kernel_ideal: the "ideal" kernel, a zero-overhead dispatcher.
 *
 * It exists to validate the engine against queueing theory: no kernel cost
 * is charged, a request's only cost is its service demand, charged to the
 * core in user mode.  Two dispatch policies:
 *   partitioned  each arriving request goes to a uniformly random core's
 *                own FIFO (what RSS does with many flows): c independent
 *                M/G/1 queues when arrivals are Poisson;
 *   centralized  one FIFO for all cores; an arriving request takes the
 *                core idle the longest, else waits; a core that finishes
 *                takes the head of the FIFO: M/G/c.
 * A FIFO holding kernel.queue_limit waiting requests drops arrivals
 * (DROP_QUEUE_FULL); 0 means unbounded.
 *
 * FIFOs are growable power-of-two rings of requests (free-running 64-bit
 * head and tail, masked on access). */
#include "sim/alloc.h"
#include "sim/config.h"
#include "sim/experiment.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct fifo {
    sim_request_t *ring;
    uint64_t head, tail; /* tail - head = waiting requests */
    uint64_t size;       /* power of two */
} fifo_t;

typedef struct ideal {
    experiment_t *x;
    bool centralized;
    uint64_t limit;       /* 0 = unbounded */
    rng_t rng;            /* partitioned: choice of core */
    fifo_t *fifo;         /* one per core, or one */
    sim_request_t *cur;   /* per core: the request in service */
    bool *busy;           /* per core */
    unsigned *idle;       /* centralized: ring of idle cores, oldest first */
    unsigned idle_head, idle_count;
} ideal_t;

static void fifo_push(fifo_t *f, const sim_request_t *r)
{
    if (f->tail - f->head == f->size) {
        uint64_t n = f->size ? f->size * 2 : 64;
        sim_request_t *ring = sim_xreallocarray(NULL, n, sizeof *ring);
        for (uint64_t i = f->head; i != f->tail; i++)
            ring[i & (n - 1)] = f->ring[i & (f->size - 1)];
        free(f->ring);
        f->ring = ring;
        f->size = n;
    }
    f->ring[f->tail++ & (f->size - 1)] = *r;
}

static bool fifo_pop(fifo_t *f, sim_request_t *r)
{
    if (f->head == f->tail)
        return false;
    *r = f->ring[f->head++ & (f->size - 1)];
    return true;
}

static void on_done(sim_t *sim, void *arg, uint64_t core);

static void start(ideal_t *k, unsigned c, const sim_request_t *r)
{
    experiment_t *x = k->x;
    if (x->cores[c].tl)
        tlrec_request(x->cores[c].tl, r->id);
    sim_time_t end = cpu_charge(&x->cores[c], sim_now(x->sim), r->demand, CPU_USER);
    k->cur[c] = *r;
    k->busy[c] = true;
    sim_at(x->sim, end, on_done, k, c);
}

static void on_done(sim_t *sim, void *arg, uint64_t core)
{
    (void)sim;
    ideal_t *k = arg;
    unsigned c = (unsigned)core;
    sim_request_t next;
    exp_complete(k->x, &k->cur[c], c);
    if (fifo_pop(&k->fifo[k->centralized ? 0 : c], &next)) {
        start(k, c, &next);
        return;
    }
    k->busy[c] = false;
    if (k->centralized) {
        unsigned n = k->x->ncores;
        k->idle[(k->idle_head + k->idle_count++) % n] = c;
    }
}

static void enqueue(ideal_t *k, fifo_t *f, const sim_request_t *r)
{
    if (k->limit && f->tail - f->head >= k->limit)
        exp_drop(k->x, r, DROP_QUEUE_FULL);
    else
        fifo_push(f, r);
}

static void arrive(void *state, const sim_request_t *r)
{
    ideal_t *k = state;
    unsigned n = k->x->ncores;
    if (k->centralized) {
        if (!k->idle_count) {
            enqueue(k, &k->fifo[0], r);
            return;
        }
        unsigned c = k->idle[k->idle_head];
        k->idle_head = (k->idle_head + 1) % n;
        k->idle_count--;
        start(k, c, r);
        return;
    }
    unsigned c = (unsigned)rng_below(&k->rng, n);
    if (k->busy[c])
        enqueue(k, &k->fifo[c], r);
    else
        start(k, c, r);
}

static int create(experiment_t *x, void **state)
{
    unsigned n = x->ncores;
    ideal_t *k = sim_xcalloc(1, sizeof *k);
    k->x = x;
    k->centralized = x->cfg->dispatch == DISPATCH_CENTRALIZED;
    k->limit = x->cfg->queue_limit;
    rng_init(&k->rng, x->cfg->seed, rng_stream_id("kernel.ideal.dispatch"));
    k->fifo = sim_xcalloc(k->centralized ? 1 : n, sizeof *k->fifo);
    k->cur = sim_xcalloc(n, sizeof *k->cur);
    k->busy = sim_xcalloc(n, sizeof *k->busy);
    k->idle = sim_xcalloc(n, sizeof *k->idle);
    if (k->centralized) {
        for (unsigned c = 0; c < n; c++)
            k->idle[c] = c;
        k->idle_count = n;
    }
    *state = k;
    return 0;
}

static void destroy(void *state)
{
    ideal_t *k = state;
    if (!k)
        return;
    unsigned nf = k->centralized ? 1 : k->x->ncores;
    for (unsigned i = 0; i < nf; i++)
        free(k->fifo[i].ring);
    free(k->fifo);
    free(k->cur);
    free(k->busy);
    free(k->idle);
    free(k);
}

const sim_kernel_ops_t kernel_ideal_ops = {
    .name = "ideal",
    .create = create,
    .arrive = arrive,
    .destroy = destroy,
};
