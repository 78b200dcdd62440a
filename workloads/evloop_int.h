/* workloads/evloop_int.h: the evloop application's parsed parameters
 * (folder-private: evloop.c and evloop_params.c).  Meanings, ranges and
 * defaults: evloop.h. */
#ifndef PARASIM_WORKLOADS_EVLOOP_INT_H
#define PARASIM_WORKLOADS_EVLOOP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/dist.h"
#include "workloads/app.h"

#define WL_EVLOOP_MAX_BUFS 16384u          /* uint16_t buffer indices */
#define WL_EVLOOP_SERVICE_MAX_NS 1e9       /* larger draws are clamped */

typedef struct wl_evloop_cfg {
    bool wait;
    unsigned burst, budget;
    uint32_t buffers;            /* 0: the default */
    dist_t service;              /* ns */
    uint64_t seed, instance;
    double defer_ratio;
    uint64_t defer_ns;
    uint64_t gc_period_ps, gc_pause_ns; /* period 0: no pauses */
    bool gc_phase_given;
    uint64_t gc_phase_ps;
} wl_evloop_cfg_t;

/* "key: meaning" strings, NULL-terminated (wl_app_t.params). */
extern const char *const wl_evloop_params[];

/* Parse and cross-check the parameters: 0, or -1 with a one-line message
 * "evloop: ..." in err. */
int wl_evloop_parse(const wl_param_t *p, size_t n, wl_evloop_cfg_t *cfg, char *err,
                    size_t errlen);

#endif
