/* devices/timer: per-core TSC-deadline timers (see timer.h).
 *
 * Each armed timer owns one engine event; re-arming cancels it and
 * schedules another, so at most ncores timer events are ever pending.
 * After reset the LVT is masked with vector 0 in TSC-deadline mode (the SDM
 * resets LVT registers to masked). */
#include "devices/timer.h"

#include "sim/alloc.h"

#include <stdlib.h>

typedef struct core_timer {
    uint32_t lvt;
    sim_time_t deadline; /* 0 = disarmed */
    sim_event_t event;   /* pending fire event while armed */
    timer_stats_t stats;
} core_timer_t;

struct timer_dev {
    sim_t *sim;
    irq_sink_t sink;
    unsigned ncores;
    core_timer_t *core;
};

static const uint32_t lvt_reset = TIMER_LVT_MASKED | TIMER_LVT_MODE_DEADLINE << TIMER_LVT_MODE_SHIFT;

timer_dev_t *timer_dev_create(sim_t *sim, unsigned ncores, irq_sink_t sink)
{
    if (!ncores)
        return NULL;
    timer_dev_t *t = sim_xcalloc(1, sizeof *t);
    t->sim = sim;
    t->sink = sink;
    t->ncores = ncores;
    t->core = sim_xcalloc(ncores, sizeof *t->core);
    for (unsigned c = 0; c < ncores; c++)
        t->core[c].lvt = lvt_reset;
    return t;
}

void timer_dev_destroy(timer_dev_t *t)
{
    if (!t)
        return;
    free(t->core);
    free(t);
}

int timer_write_lvt(timer_dev_t *t, unsigned core, uint32_t lvt)
{
    if (core >= t->ncores || ((lvt >> TIMER_LVT_MODE_SHIFT) & 3) != TIMER_LVT_MODE_DEADLINE)
        return -1;
    t->core[core].lvt = lvt;
    return 0;
}

uint32_t timer_read_lvt(const timer_dev_t *t, unsigned core)
{
    return core < t->ncores ? t->core[core].lvt : 0;
}

static void fire(sim_t *sim, void *arg, uint64_t core)
{
    (void)sim;
    timer_dev_t *t = arg;
    core_timer_t *ct = &t->core[core];
    ct->deadline = 0;
    ct->event = 0;
    ct->stats.fired++;
    if (ct->lvt & TIMER_LVT_MASKED)
        ct->stats.masked++;
    else
        t->sink.deliver(t->sink.ctx, (unsigned)core, ct->lvt & 0xff);
}

void timer_write_deadline(timer_dev_t *t, unsigned core, sim_time_t deadline)
{
    if (core >= t->ncores)
        return;
    core_timer_t *ct = &t->core[core];
    if (ct->event) {
        sim_cancel(t->sim, ct->event);
        ct->event = 0;
        if (!deadline)
            ct->stats.disarmed++;
    }
    ct->deadline = deadline;
    if (!deadline)
        return;
    ct->stats.armed++;
    sim_time_t now = sim_now(t->sim);
    ct->event = sim_at(t->sim, deadline > now ? deadline : now, fire, t, core);
}

sim_time_t timer_read_deadline(const timer_dev_t *t, unsigned core)
{
    return core < t->ncores ? t->core[core].deadline : 0;
}

const timer_stats_t *timer_stats(const timer_dev_t *t, unsigned core)
{
    return core < t->ncores ? &t->core[core].stats : NULL;
}
