/* sim/experiment: one run of one config.  Owns the engine, the cores, the
 * load generator, the kernel under test and the statistics, and is what
 * the components of a run share.
 *
 * Flow of a request: load.c creates it (arrival time, id, service demand
 * from the workload) and hands it to the kernel (kernel ops `arrive`); the
 * kernel serves it on a core and reports exp_complete(), or exp_drop()
 * with a cause.  Requests with id < warmup_requests are served like any
 * other but left out of latency.  Utilisation and throughput are measured
 * over the window [arrival of the first measured request, last arrival):
 * warm-up and the final drain (when the load has stopped) are left out. */
#ifndef PARASIM_SIM_EXPERIMENT_H
#define PARASIM_SIM_EXPERIMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "model/hist.h"
#include "model/rng.h"
#include "sim/cpu.h"
#include "sim/engine.h"
#include "workloads/synthetic.h"

struct sim_config;

typedef struct sim_request {
    uint64_t id;        /* 0, 1, 2... in arrival order */
    sim_time_t arrival; /* ps: first bit leaves the client */
    sim_time_t demand;  /* ps of service the request needs */
} sim_request_t;

typedef enum exp_drop_cause { DROP_QUEUE_FULL, DROP_CAUSES } exp_drop_cause_t;

typedef struct experiment experiment_t;

/* The kernel under test, an open set: one table per kind. */
typedef struct sim_kernel_ops {
    const char *name;
    int (*create)(experiment_t *x, void **state); /* 0 or -1 (out of memory) */
    void (*arrive)(void *state, const sim_request_t *r);
    void (*destroy)(void *state);
} sim_kernel_ops_t;

struct experiment {
    const struct sim_config *cfg;
    sim_t *sim;
    cpu_t *cores;
    unsigned ncores;
    wl_synthetic_t workload;
    rng_t arrivals_rng;           /* inter-arrival times */
    const sim_kernel_ops_t *kernel;
    void *kernel_state;

    /* load generator state */
    uint64_t offered;             /* requests created so far */
    double interarrival_ps;       /* mean (poisson) or period (constant) */

    /* measurement window (see above) */
    bool window_open, window_closed;
    sim_time_t window_from, window_to;      /* ps */
    uint64_t completed_at_open, completed_at_close;

    /* statistics */
    uint64_t completed, completed_measured;
    uint64_t dropped[DROP_CAUSES];
    uint64_t *core_completed;     /* per core */
    hist_t latency;               /* ps, measured requests only */

    /* outputs.timeline (sim/tlrec.h): open from exp_timeline_open to the
     * end of exp_run; then its figures, and whether it failed */
    tlrec_t *tl;
    bool tl_done, tl_failed;
    tlrec_stats_t tl_stats;
};

/* Build a run from a validated config; -1 with a message in err. */
int exp_create(experiment_t *x, const struct sim_config *cfg, char *err, size_t errlen);
/* outputs.timeline: start recording the cores' spans (each request's
 * service, arg its id) when the config asks for it; 0, or -1 with a
 * message (the file cannot be created: bad input).  exp_run closes it
 * (a write error: x->tl_failed, the message on stderr). */
int exp_timeline_open(experiment_t *x, char *err, size_t errlen);
/* Run to the end (all offered requests completed or dropped). */
void exp_run(experiment_t *x, void (*progress)(experiment_t *, void *), void *progress_arg);
void exp_destroy(experiment_t *x);

/* Fraction of the run done, in [0, 1] (requests or simulated time). */
double exp_progress(const experiment_t *x);

/* Called by the load generator: the first measured request arrives / the
 * last request arrives (before either is handed to the kernel). */
void exp_window_open(experiment_t *x);
void exp_window_close(experiment_t *x);

/* Called by kernels. */
void exp_complete(experiment_t *x, const sim_request_t *r, unsigned core);
void exp_drop(experiment_t *x, const sim_request_t *r, exp_drop_cause_t cause);
const char *exp_drop_cause_name(exp_drop_cause_t c);

/* Load generator (load.c): schedule the first arrival. */
void load_start(experiment_t *x);

extern const sim_kernel_ops_t kernel_ideal_ops;

#endif
