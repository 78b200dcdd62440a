/* workloads/synthetic: the synthetic application.  Every request needs a
 * service time drawn from the configured distribution (ns), on the
 * workload's own random stream, independently of where it is dispatched:
 * two dispatch policies run with the same seed see the same requests
 * (common random numbers), so their difference is the policy's alone. */
#ifndef PARASIM_WORKLOADS_SYNTHETIC_H
#define PARASIM_WORKLOADS_SYNTHETIC_H

#include <stdint.h>

#include "model/dist.h"
#include "model/rng.h"

typedef struct wl_synthetic {
    const dist_t *service; /* ns; owned by the config */
    rng_t rng;
} wl_synthetic_t;

void wl_synthetic_init(wl_synthetic_t *w, const dist_t *service, uint64_t seed);

/* Largest demand a sample yields: 1e12 ns (1000 s).  Only the far tail of
 * a lognormal with a large sigma reaches it; clamping keeps simulated time
 * finite and the conversion to ps defined. */
#define WL_DEMAND_MAX_NS UINT64_C(1000000000000)

/* Service demand of the next request, in picoseconds (negative samples,
 * which no supported distribution produces, count as 0). */
uint64_t wl_synthetic_demand_ps(wl_synthetic_t *w);

#endif
