/* workloads/load.c: open-loop arrival processes (load.h). */
#include "workloads/load.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#define RATE_MIN 1e-3
#define RATE_MAX 1e13
#define TIME_MAX (UINT64_C(1) << 62)

static int fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "load: %s", what);
    return -1;
}

static int check_cfg(const wl_load_cfg_t *g, char *err, size_t errlen)
{
    switch (g->kind) {
    case WL_LOAD_POISSON:
    case WL_LOAD_CONSTANT:
        if (!(g->rate >= RATE_MIN && g->rate <= RATE_MAX))
            return fail(err, errlen, "rate: expected 1e-3 .. 1e13 requests/s");
        return 0;
    case WL_LOAD_RAMP:
        if (!g->steps || g->nsteps < 1 || g->nsteps > WL_LOAD_MAX_STEPS)
            return fail(err, errlen, "ramp: expected 1 .. 256 steps");
        if (g->steps[0].at_ps != 0)
            return fail(err, errlen, "ramp: the first step must start at 0");
        for (size_t i = 0; i < g->nsteps; i++) {
            if (!(g->steps[i].rate == 0 || (g->steps[i].rate >= RATE_MIN && g->steps[i].rate <= RATE_MAX)))
                return fail(err, errlen, "ramp: a step's rate must be 0 or 1e-3 .. 1e13 requests/s");
            if (i && g->steps[i].at_ps <= g->steps[i - 1].at_ps)
                return fail(err, errlen, "ramp: step times must increase");
            if (g->steps[i].at_ps > TIME_MAX)
                return fail(err, errlen, "ramp: a step time is too large");
        }
        return 0;
    case WL_LOAD_TRACE:
        if (!g->times || g->ntimes < 1)
            return fail(err, errlen, "trace: no arrival times");
        for (size_t i = 1; i < g->ntimes; i++)
            if (g->times[i] < g->times[i - 1])
                return fail(err, errlen, "trace: arrival times must not decrease");
        return 0;
    case WL_LOAD_CLOSED:
        break;
    }
    return fail(err, errlen, "kind: expected poisson, constant, ramp or trace");
}

static uint64_t add_sat(uint64_t t, double gap)
{
    if (!(gap < (double)TIME_MAX))
        return TIME_MAX;
    uint64_t g = (uint64_t)(gap + 0.5);
    return t > TIME_MAX - g ? TIME_MAX : t + g;
}

static double exp_gap(wl_load_t *l, double rate)
{
    return -log(rng_unit_pos(&l->rng)) * (1e12 / rate);
}

int wl_load_init(wl_load_t *l, const wl_load_cfg_t *cfg, char *err, size_t errlen)
{
    if (check_cfg(cfg, err, errlen) < 0)
        return -1;
    l->cfg = *cfg;
    rng_init(&l->rng, cfg->seed, rng_stream_id("client.arrivals"));
    l->k = 0;
    l->last = cfg->t_start_ps;
    l->step = 0;
    return 0;
}

/* Poisson through the ramp's steps from l->last. */
static uint64_t ramp_next(wl_load_t *l)
{
    const wl_load_cfg_t *g = &l->cfg;
    uint64_t t = l->last;
    for (;;) {
        const wl_ramp_step_t *s = &g->steps[l->step];
        bool last = l->step + 1 == g->nsteps;
        uint64_t end = last ? WL_LOAD_END : g->t_start_ps + g->steps[l->step + 1].at_ps;
        if (s->rate > 0) {
            uint64_t next = add_sat(t, exp_gap(l, s->rate));
            if (next < end)
                return next;
        }
        if (last)
            return WL_LOAD_END;
        t = end; /* redraw from the boundary at the next step's rate */
        l->step++;
    }
}

uint64_t wl_load_next(wl_load_t *l)
{
    const wl_load_cfg_t *g = &l->cfg;
    uint64_t t;
    switch (g->kind) {
    case WL_LOAD_POISSON:
        t = add_sat(l->last, exp_gap(l, g->rate));
        break;
    case WL_LOAD_CONSTANT:
        t = add_sat(g->t_start_ps, (double)l->k * (1e12 / g->rate));
        break;
    case WL_LOAD_RAMP:
        t = ramp_next(l);
        break;
    case WL_LOAD_TRACE:
        if (l->k >= g->ntimes)
            return WL_LOAD_END;
        t = g->t_start_ps + g->times[l->k];
        break;
    default:
        return WL_LOAD_END;
    }
    if (t == WL_LOAD_END)
        return t;
    l->k++;
    l->last = t;
    return t;
}

const char *wl_load_kind_name(wl_load_kind_t k)
{
    switch (k) {
    case WL_LOAD_POISSON: return "poisson";
    case WL_LOAD_CONSTANT: return "constant";
    case WL_LOAD_CLOSED: return "closed";
    case WL_LOAD_RAMP: return "ramp";
    case WL_LOAD_TRACE: return "trace";
    }
    return "?";
}
