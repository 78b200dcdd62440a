/* sim/load: the open-loop load generator of synthetic experiments.
 *
 * Clients at the far end of the wire send requests at the configured rate:
 * Poisson (exponential inter-arrival times with mean 1/rate) or constant
 * (evenly spaced).  Open loop: arrivals never wait for responses, so an
 * overloaded system shows growing queues, as real clients would see.
 * One arrival event is pending at a time; each one creates a request,
 * draws its service demand from the workload, schedules the next arrival
 * and hands the request to the kernel.  It stops after `requests` arrivals
 * or when the next arrival would be at or after `duration_us`.  It also
 * opens the measurement window at the first measured arrival and closes it
 * at the last arrival (sim/experiment.h). */
#include "sim/config.h"
#include "sim/experiment.h"

#include <math.h>

/* Time of the next arrival.  Constant arrivals sit at exact multiples of
 * the period (rounded to the ps once, so no drift accumulates). */
static sim_time_t next_arrival(experiment_t *x, sim_time_t now)
{
    /* (x + 0.5) truncated rounds non-negative x to nearest, much faster
     * than llround() on this path */
    if (x->cfg->load_kind == LOAD_CONSTANT)
        return (sim_time_t)((double)x->offered * x->interarrival_ps + 0.5);
    /* exponential: -ln(U) * mean, U in (0, 1] */
    double gap = -log(rng_unit_pos(&x->arrivals_rng)) * x->interarrival_ps;
    return now + (sim_time_t)(gap + 0.5);
}

static bool schedule_next(experiment_t *x, sim_time_t now);

static void on_arrival(sim_t *sim, void *arg, uint64_t data)
{
    (void)data;
    experiment_t *x = arg;
    sim_time_t now = sim_now(sim);
    sim_request_t r = {
        .id = x->offered++,
        .arrival = now,
        .demand = wl_synthetic_demand_ps(&x->workload),
    };
    if (r.id == x->cfg->warmup_requests)
        exp_window_open(x);
    if (!schedule_next(x, now))
        exp_window_close(x);
    x->kernel->arrive(x->kernel_state, &r);
}

/* Schedule the next arrival; false when the load has ended. */
static bool schedule_next(experiment_t *x, sim_time_t now)
{
    const sim_config_t *cfg = x->cfg;
    if (cfg->requests && x->offered >= cfg->requests)
        return false;
    sim_time_t t = next_arrival(x, now);
    if (cfg->duration_ps && t >= cfg->duration_ps)
        return false;
    sim_at(x->sim, t, on_arrival, x, 0);
    return true;
}

void load_start(experiment_t *x)
{
    x->interarrival_ps = 1e12 / x->cfg->rate_rps;
    rng_init(&x->arrivals_rng, x->cfg->seed, rng_stream_id("load.arrivals"));
    /* a Poisson stream's first request also comes after a random gap, so
     * the stream is stationary from t = 0 */
    schedule_next(x, 0);
}
