/* sim/experiment: assemble, run and account one experiment (see .h). */
#include "sim/experiment.h"

#include "sim/alloc.h"
#include "sim/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernels a config may name (kernel.kind) and the applications
 * (workload.app); the schema lists the same names. */
static const sim_kernel_ops_t *const kernels[] = {&kernel_ideal_ops};
static const char *const apps[] = {"synthetic"};

static const char *const drop_names[DROP_CAUSES] = {
    [DROP_QUEUE_FULL] = "queue_full",
};

const char *exp_drop_cause_name(exp_drop_cause_t c)
{
    return (unsigned)c < DROP_CAUSES ? drop_names[c] : "?";
}

int exp_create(experiment_t *x, const sim_config_t *cfg, char *err, size_t errlen)
{
    memset(x, 0, sizeof *x);
    x->cfg = cfg;
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (strcmp(kernels[i]->name, cfg->kernel_kind) == 0)
            x->kernel = kernels[i];
    if (!x->kernel) {
        snprintf(err, errlen, "kernel.kind \"%s\" is not built in", cfg->kernel_kind);
        return -1;
    }
    bool app_known = false;
    for (size_t i = 0; i < sizeof apps / sizeof apps[0]; i++)
        app_known |= strcmp(apps[i], cfg->app) == 0;
    if (!app_known) {
        snprintf(err, errlen, "workload.app \"%s\" is not built in", cfg->app);
        return -1;
    }
    x->sim = sim_create();
    if (!x->sim) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    x->ncores = cfg->cores;
    x->cores = sim_xcalloc(x->ncores, sizeof *x->cores);
    x->core_completed = sim_xcalloc(x->ncores, sizeof *x->core_completed);
    for (unsigned c = 0; c < x->ncores; c++)
        cpu_init(&x->cores[c], c);
    hist_init(&x->latency);
    wl_synthetic_init(&x->workload, &cfg->service, cfg->seed);
    if (x->kernel->create(x, &x->kernel_state)) {
        snprintf(err, errlen, "kernel \"%s\" failed to start", x->kernel->name);
        exp_destroy(x);
        return -1;
    }
    return 0;
}

int exp_timeline_open(experiment_t *x, char *err, size_t errlen)
{
    char path[4096], seed[32], e[4400];
    tlrec_cfg_t tc = {.path = path, .cores = x->ncores};
    if (!config_timeline(x->cfg, path, sizeof path, &tc.from_ps, &tc.to_ps, &tc.counter_ps))
        return 0;
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)x->cfg->seed);
    const char *meta[] = {"config", x->cfg->path, "seed", seed, "kernel", x->kernel->name, NULL};
    tc.meta = meta;
    x->tl = tlrec_open(x->sim, &tc, e, sizeof e);
    if (!x->tl) {
        snprintf(err, errlen, "%s: outputs.timeline: %s", x->cfg->path, e);
        return -1;
    }
    tlrec_attach_cores(x->tl, x->cores, x->ncores);
    return 0;
}

static void timeline_close(experiment_t *x)
{
    if (!x->tl)
        return;
    char e[4400];
    if (tlrec_close(x->tl, &x->tl_stats, e, sizeof e) < 0) {
        fprintf(stderr, "parasim: outputs.timeline: %s\n", e);
        x->tl_failed = true;
    }
    x->tl = NULL;
    x->tl_done = true;
}

typedef struct progress_ctx {
    experiment_t *x;
    void (*fn)(experiment_t *, void *);
    void *arg;
} progress_ctx_t;

static void hook(sim_t *sim, void *arg)
{
    (void)sim;
    progress_ctx_t *p = arg;
    p->fn(p->x, p->arg);
}

void exp_run(experiment_t *x, void (*progress)(experiment_t *, void *), void *progress_arg)
{
    progress_ctx_t ctx = {x, progress, progress_arg};
    if (progress)
        sim_set_hook(x->sim, 1u << 20, hook, &ctx);
    load_start(x);
    sim_run(x->sim, SIM_TIME_MAX);
    sim_set_hook(x->sim, 0, NULL, NULL);
    timeline_close(x);
}

double exp_progress(const experiment_t *x)
{
    const sim_config_t *cfg = x->cfg;
    double f = cfg->requests
                   ? (double)x->completed / (double)cfg->requests
                   : (double)sim_now(x->sim) / (double)cfg->duration_ps;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

void exp_window_open(experiment_t *x)
{
    sim_time_t now = sim_now(x->sim);
    x->window_open = true;
    x->window_from = now;
    x->completed_at_open = x->completed;
    for (unsigned c = 0; c < x->ncores; c++)
        cpu_window_open(&x->cores[c], now);
}

void exp_window_close(experiment_t *x)
{
    sim_time_t now = sim_now(x->sim);
    if (!x->window_open)
        return;
    x->window_closed = true;
    x->window_to = now;
    x->completed_at_close = x->completed;
    for (unsigned c = 0; c < x->ncores; c++)
        cpu_window_close(&x->cores[c], now);
}

void exp_complete(experiment_t *x, const sim_request_t *r, unsigned core)
{
    x->completed++;
    x->core_completed[core]++;
    if (r->id >= x->cfg->warmup_requests) {
        x->completed_measured++;
        hist_record(&x->latency, sim_now(x->sim) - r->arrival);
    }
}

void exp_drop(experiment_t *x, const sim_request_t *r, exp_drop_cause_t cause)
{
    (void)r;
    x->dropped[cause]++;
}

void exp_destroy(experiment_t *x)
{
    tlrec_abort(x->tl);
    if (x->kernel && x->kernel_state)
        x->kernel->destroy(x->kernel_state);
    sim_destroy(x->sim);
    free(x->cores);
    free(x->core_completed);
    memset(x, 0, sizeof *x);
}
