/* workloads/evloop_params.c: the evloop application's parameters (the
 * list the platform validates keys against, and the parser with its
 * cross-checks; meanings in evloop.h).
 *
 * Contract: wl_evloop_parse fills a wl_evloop_cfg_t or refuses with one
 * line naming the parameter, what was expected and what was found.
 * Integers go through wl_param_u64 (decimal or 0x hex, range-checked);
 * probabilities and sigma are decimals: digits, one optional point and
 * an optional exponent, nothing else (no sign, blanks, inf or nan). */
#include "workloads/evloop_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/app_int.h"
#include "workloads/evloop_rt.h"

#define APP "evloop"

const char *const wl_evloop_params[] = {
    "wait: 1 to block in pk_enter(PK_ENTER_WAIT) when idle, 0 to poll (default 0)",
    "burst: frames read per NIC queue per iteration, 1..1024 (default 32)",
    "budget: ready callbacks run per iteration, 1..8192 (default 64)",
    "buffers: 2 KiB packet buffers, 1..16384 (default 4 x (rx_entries - 1) per NIC queue)",
    "service: handler CPU time distribution, constant|exponential|lognormal|bimodal "
    "(default constant)",
    "service_ns: constant: the time; exponential, lognormal: the mean; ns (default 1000)",
    "service_sigma: lognormal: sigma of the underlying normal, 0..10 (default 1)",
    "service_p: bimodal: probability of service_a_ns, 0..1 (required)",
    "service_a_ns: bimodal: the first time, ns (required)",
    "service_b_ns: bimodal: the second time, ns (required)",
    "seed: seed of the process's random streams (default 1)",
    "instance: the process's index in its group (filled in by the platform)",
    "defer_ratio: probability a reply waits for a timer of defer_ns, 0..1 (default 0)",
    "defer_ns: the deferred replies' timer, ns, 0..1e10 (default 100000)",
    "gc_period_us: a garbage-collection pause every gc_period_us, 0..1e7 (default 0: none)",
    "gc_pause_us: each pause, us, 1..gc_period_us - 1 (required with gc_period_us)",
    "gc_phase_us: pauses start at gc_phase_us + k x gc_period_us (default: drawn)",
    NULL,
};

static const char *const kinds[] = {"constant", "exponential", "lognormal", "bimodal"};
enum { K_CONSTANT, K_EXPONENTIAL, K_LOGNORMAL, K_BIMODAL, K_COUNT };

static int fail(char *err, size_t errlen, const char *key, const char *what)
{
    snprintf(err, errlen, APP ": parameter %s: %s", key, what);
    return -1;
}

/* A decimal in [lo, hi] (see the contract), or def when absent. */
static int param_dec(const wl_param_t *p, size_t n, const char *key, double def, double lo,
                     double hi, double *out, bool *given, char *err, size_t errlen)
{
    const char *v = wl_param_get(p, n, key);
    *given = v != NULL;
    if (!v) {
        *out = def;
        return 0;
    }
    bool ok = (v[0] >= '0' && v[0] <= '9') || v[0] == '.';
    for (const char *c = v; *c && ok; c++)
        ok = strchr("0123456789.eE+-", *c) != NULL;
    char *end = NULL;
    double x = ok ? strtod(v, &end) : 0;
    if (!ok || end == v || *end || !isfinite(x) || x < lo || x > hi) {
        snprintf(err, errlen, APP ": parameter %s: expected a decimal in %g..%g, found '%s'", key,
                 lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int u64(const wl_param_t *p, size_t n, const char *key, uint64_t def, uint64_t lo,
               uint64_t hi, uint64_t *out, bool *given, char *err, size_t errlen)
{
    return wl_param_u64(APP, p, n, key, def, lo, hi, out, given, err, errlen);
}

/* Which parameters each kind takes: the others must be absent. */
static int service_kind(const wl_param_t *p, size_t n, int *kind, char *err, size_t errlen)
{
    const char *v = wl_param_get(p, n, "service");
    *kind = K_CONSTANT;
    if (v) {
        for (*kind = 0; *kind < K_COUNT && strcmp(v, kinds[*kind]); (*kind)++)
            ;
        if (*kind == K_COUNT) {
            snprintf(err, errlen,
                     APP ": parameter service: expected constant|exponential|lognormal|bimodal, "
                         "found '%s'",
                     v);
            return -1;
        }
    }
    static const struct {
        const char *key;
        unsigned kinds; /* bit per kind that takes it */
    } only[] = {
        {"service_ns", 1u << K_CONSTANT | 1u << K_EXPONENTIAL | 1u << K_LOGNORMAL},
        {"service_sigma", 1u << K_LOGNORMAL},
        {"service_p", 1u << K_BIMODAL},
        {"service_a_ns", 1u << K_BIMODAL},
        {"service_b_ns", 1u << K_BIMODAL},
    };
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++)
        if (wl_param_get(p, n, only[i].key) && !(only[i].kinds & 1u << *kind)) {
            snprintf(err, errlen, APP ": parameter %s: not used by service=%s", only[i].key,
                     kinds[*kind]);
            return -1;
        }
    return 0;
}

static int parse_service(const wl_param_t *p, size_t n, dist_t *d, char *err, size_t errlen)
{
    int kind;
    uint64_t mean, a, b;
    double sigma, prob;
    bool ga, gb, gp, gs;
    if (service_kind(p, n, &kind, err, errlen) < 0)
        return -1;
    uint64_t lo = kind == K_CONSTANT ? 0 : 1;
    if (u64(p, n, "service_ns", 1000, lo, (uint64_t)WL_EVLOOP_SERVICE_MAX_NS, &mean, NULL, err,
            errlen) < 0 ||
        param_dec(p, n, "service_sigma", 1.0, 0.0, 10.0, &sigma, &gs, err, errlen) < 0 ||
        param_dec(p, n, "service_p", 0.5, 0.0, 1.0, &prob, &gp, err, errlen) < 0 ||
        u64(p, n, "service_a_ns", 0, 0, (uint64_t)WL_EVLOOP_SERVICE_MAX_NS, &a, &ga, err,
            errlen) < 0 ||
        u64(p, n, "service_b_ns", 0, 0, (uint64_t)WL_EVLOOP_SERVICE_MAX_NS, &b, &gb, err,
            errlen) < 0)
        return -1;
    switch (kind) {
    case K_EXPONENTIAL:
        return dist_exponential(d, (double)mean);
    case K_LOGNORMAL:
        return dist_lognormal(d, (double)mean, sigma);
    case K_BIMODAL:
        if (!gp || !ga || !gb)
            return fail(err, errlen, "service",
                        "bimodal needs service_p, service_a_ns and service_b_ns");
        return dist_bimodal(d, prob, (double)a, (double)b);
    default:
        return dist_constant(d, (double)mean);
    }
}

static int parse_gc(const wl_param_t *p, size_t n, wl_evloop_cfg_t *c, char *err, size_t errlen)
{
    uint64_t period, pause, phase;
    bool gpause, gphase;
    if (u64(p, n, "gc_period_us", 0, 0, 10000000, &period, NULL, err, errlen) < 0 ||
        u64(p, n, "gc_pause_us", 0, 0, 10000000, &pause, &gpause, err, errlen) < 0 ||
        u64(p, n, "gc_phase_us", 0, 0, 10000000, &phase, &gphase, err, errlen) < 0)
        return -1;
    if (!period && (gpause || gphase))
        return fail(err, errlen, gpause ? "gc_pause_us" : "gc_phase_us",
                    "needs gc_period_us > 0");
    if (period && (!gpause || pause < 1 || pause >= period)) {
        char what[96];
        snprintf(what, sizeof what, "expected 1..%llu (below gc_period_us), found %s",
                 (unsigned long long)(period - 1),
                 gpause ? wl_param_get(p, n, "gc_pause_us") : "nothing");
        return fail(err, errlen, "gc_pause_us", what);
    }
    if (gphase && phase >= period) {
        char what[96];
        snprintf(what, sizeof what, "expected 0..%llu (below gc_period_us), found %llu",
                 (unsigned long long)(period - 1), (unsigned long long)phase);
        return fail(err, errlen, "gc_phase_us", what);
    }
    c->gc_period_ps = period * 1000000;
    c->gc_pause_ns = pause * 1000;
    c->gc_phase_given = gphase;
    c->gc_phase_ps = phase * 1000000;
    return 0;
}

int wl_evloop_parse(const wl_param_t *p, size_t n, wl_evloop_cfg_t *c, char *err, size_t errlen)
{
    uint64_t wait, burst, budget, buffers, defer_ns;
    bool given;
    memset(c, 0, sizeof *c);
    if (errlen)
        err[0] = '\0';
    if (u64(p, n, "wait", 0, 0, 1, &wait, NULL, err, errlen) < 0 ||
        u64(p, n, "burst", 32, 1, 1024, &burst, NULL, err, errlen) < 0 ||
        u64(p, n, "budget", 64, 1, WL_EVL_READY_MAX, &budget, NULL, err, errlen) < 0 ||
        u64(p, n, "buffers", 0, 1, WL_EVLOOP_MAX_BUFS, &buffers, NULL, err, errlen) < 0 ||
        u64(p, n, "seed", 1, 0, UINT64_MAX, &c->seed, NULL, err, errlen) < 0 ||
        u64(p, n, "instance", 0, 0, 65535, &c->instance, NULL, err, errlen) < 0 ||
        param_dec(p, n, "defer_ratio", 0.0, 0.0, 1.0, &c->defer_ratio, &given, err, errlen) < 0 ||
        u64(p, n, "defer_ns", 100000, 0, 10000000000ull, &defer_ns, NULL, err, errlen) < 0 ||
        parse_gc(p, n, c, err, errlen) < 0)
        return -1;
    if (parse_service(p, n, &c->service, err, errlen) < 0) {
        if (!err[0]) /* a constructor refused what the ranges let through */
            fail(err, errlen, "service", "the distribution's parameters are out of range");
        return -1;
    }
    c->wait = wait;
    c->burst = (unsigned)burst;
    c->budget = (unsigned)budget;
    c->buffers = (uint32_t)buffers;
    c->defer_ns = defer_ns;
    return 0;
}
