/* devices/timer: the per-core deadline timer (local APIC timer in
 * TSC-deadline mode, Intel SDM vol. 3, 11.5.4.1).
 *
 * One timer per core, one deadline each.  The LVT timer register gives the
 * vector (bits 7:0), the mask (bit 16) and the mode (bits 18:17; only
 * TSC-deadline, 10b, is modelled: other modes are refused).  Writing the
 * deadline (IA32_TSC_DEADLINE) arms the timer, re-arming replaces the
 * previous deadline, writing 0 disarms it, and a deadline at or before now
 * fires at once.  When it fires the timer disarms itself (the deadline reads
 * 0 again) and, unless masked, sends its vector to its core through the
 * machine's irq sink, which charges interrupt entry on that core.  The
 * "TSC" is simulated time in picoseconds.
 *
 * The timer is not partitionable (one per core), which is why the
 * parakernel keeps timers as a kernel abstraction and multiplexes each
 * core's deadline among its processes. */
#ifndef PARASIM_DEVICES_TIMER_H
#define PARASIM_DEVICES_TIMER_H

#include <stdint.h>

#include "devices/irq.h"
#include "sim/engine.h"

#define TIMER_LVT_MASKED (1u << 16)
#define TIMER_LVT_MODE_SHIFT 17
#define TIMER_LVT_MODE_DEADLINE 2u /* 10b */

typedef struct timer_dev timer_dev_t;

typedef struct timer_stats {
    uint64_t armed;     /* deadline writes that armed or re-armed */
    uint64_t disarmed;  /* writes of 0 while armed */
    uint64_t fired;     /* deadlines reached */
    uint64_t masked;    /* fired while masked: no interrupt sent */
} timer_stats_t;

timer_dev_t *timer_dev_create(sim_t *sim, unsigned ncores, irq_sink_t sink);
void timer_dev_destroy(timer_dev_t *t);

/* Write the LVT timer register of a core; -1 when the mode is not
 * TSC-deadline or the core does not exist (the register keeps its value). */
int timer_write_lvt(timer_dev_t *t, unsigned core, uint32_t lvt);
uint32_t timer_read_lvt(const timer_dev_t *t, unsigned core);

/* Write IA32_TSC_DEADLINE of a core (ps; 0 disarms). */
void timer_write_deadline(timer_dev_t *t, unsigned core, sim_time_t deadline);
/* The armed deadline, 0 when disarmed. */
sim_time_t timer_read_deadline(const timer_dev_t *t, unsigned core);

const timer_stats_t *timer_stats(const timer_dev_t *t, unsigned core);

#endif
