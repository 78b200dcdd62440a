/* workloads/synthetic: service demands for synthetic requests (see .h). */
#include "workloads/synthetic.h"


void wl_synthetic_init(wl_synthetic_t *w, const dist_t *service, uint64_t seed)
{
    w->service = service;
    rng_init(&w->rng, seed, rng_stream_id("workload.synthetic"));
}

uint64_t wl_synthetic_demand_ps(wl_synthetic_t *w)
{
    double ns = dist_sample(w->service, &w->rng);
    if (!(ns > 0))
        return 0;
    return ns < WL_DEMAND_MAX_NS ? (uint64_t)(ns * 1000.0 + 0.5) : WL_DEMAND_MAX_NS * 1000;
}
