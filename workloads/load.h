/* workloads/load: open-loop arrival processes -- when the client's
 * requests arrive at the client, before they queue for its link.
 *
 * Kinds (all times in ps; t_start is where the load begins):
 *   poisson   exponential gaps of mean 1/rate; the first arrival also
 *             comes after such a gap (the stream is stationary from
 *             t_start);
 *   constant  arrival k at t_start + k / rate, rounded to the ps once per
 *             arrival (no drift accumulates);
 *   ramp      a list of (at, rate) steps, at relative to t_start,
 *             strictly increasing, the first at 0: Poisson at the step's
 *             rate from its `at` to the next step's (the last one lasts
 *             for ever).  A gap that crosses a step boundary is redrawn
 *             from the boundary at the new rate -- exact for a Poisson
 *             process, which is memoryless.  A rate of 0 is a pause; a
 *             last step of rate 0 ends the load;
 *   trace     arrival k at t_start + times[k] (non-decreasing offsets);
 *             the load ends after the last one.
 * Randomness: the stream "client.arrivals" of the seed (model/rng.h), one
 * draw per Poisson gap, so the same seed gives the same arrivals. */
#ifndef PARASIM_WORKLOADS_LOAD_H
#define PARASIM_WORKLOADS_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "model/rng.h"

#define WL_LOAD_END UINT64_MAX   /* no more arrivals */
#define WL_LOAD_MAX_STEPS 256

typedef enum wl_load_kind {
    WL_LOAD_POISSON = 0,
    WL_LOAD_CONSTANT,
    WL_LOAD_CLOSED,              /* not an arrival process: the client's own loop */
    WL_LOAD_RAMP,
    WL_LOAD_TRACE
} wl_load_kind_t;

typedef struct wl_ramp_step {
    uint64_t at_ps;              /* relative to t_start */
    double rate;                 /* requests/s, >= 0 */
} wl_ramp_step_t;

typedef struct wl_load_cfg {
    wl_load_kind_t kind;         /* any but WL_LOAD_CLOSED */
    uint64_t seed;
    uint64_t t_start_ps;
    double rate;                 /* poisson, constant: requests/s, 1e-3 .. 1e13 */
    const wl_ramp_step_t *steps; /* ramp: 1 .. WL_LOAD_MAX_STEPS */
    size_t nsteps;
    const uint64_t *times;       /* trace: ntimes offsets, >= 1 */
    size_t ntimes;
} wl_load_cfg_t;

typedef struct wl_load {
    wl_load_cfg_t cfg;
    rng_t rng;
    uint64_t k;                  /* arrivals handed out */
    uint64_t last;               /* the previous arrival */
    size_t step;                 /* ramp: the current step */
} wl_load_t;

/* 0, or -1 with a one-line message in err.  The steps and times arrays
 * must outlive the load. */
int wl_load_init(wl_load_t *l, const wl_load_cfg_t *cfg, char *err, size_t errlen);
/* The next arrival (>= the previous one), or WL_LOAD_END. */
uint64_t wl_load_next(wl_load_t *l);
/* "poisson" ... */
const char *wl_load_kind_name(wl_load_kind_t k);

#endif
