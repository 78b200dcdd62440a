/* sim/cpu: simulated cores, their clocks and their accounts.
 *
 * A core does no work of its own: code running "on" it (kernel, workload)
 * declares what the modelled hardware would spend with cpu_charge(), which
 * advances the core's clock and adds the time to the account of a mode.
 * A charge starts when the core is free (its clock) or now, whichever is
 * later, so back-to-back charges serialise on the core.  Time never charged
 * is idle.  Utilisation is reported per mode over a window, relative to a
 * snapshot of the account taken at the window's start (cpu_snapshot()), so
 * warm-up can be left out.
 *
 * Known limit: a charge is booked whole at the moment it is made, even when
 * it extends past the end of a reporting window. */
#ifndef PARASIM_SIM_CPU_H
#define PARASIM_SIM_CPU_H

#include "sim/engine.h"

typedef enum cpu_mode {
    CPU_USER,   /* process (workload) code */
    CPU_KERNEL, /* system calls, kernel work on a process's behalf */
    CPU_IRQ,    /* interrupt handlers */
    CPU_POLL,   /* spinning on a queue that had nothing */
    CPU_IDLE,   /* explicitly halted; untracked time is idle too */
    CPU_MODES
} cpu_mode_t;

typedef struct cpu {
    unsigned id;
    sim_time_t clock;            /* ps: the core is busy until then */
    sim_time_t acct[CPU_MODES];  /* ps charged per mode since boot */
    sim_time_t base[CPU_MODES];  /* ps: account at the last snapshot */
    sim_time_t base_time;        /* ps: when the snapshot was taken */
} cpu_t;

void cpu_init(cpu_t *c, unsigned id);

/* Charge ps of work in mode m, starting at max(now, clock); returns the
 * time the work ends. */
static inline sim_time_t cpu_charge(cpu_t *c, sim_time_t now, sim_time_t ps, cpu_mode_t m)
{
    sim_time_t start = c->clock > now ? c->clock : now;
    c->clock = start + ps;
    c->acct[m] += ps;
    return c->clock;
}

/* Start a reporting window at `now`. */
void cpu_snapshot(cpu_t *c, sim_time_t now);

/* Fraction of [snapshot, end] spent in each mode; idle is what the other
 * modes leave (never below 0).  All zero for an empty window. */
void cpu_utilisation(const cpu_t *c, sim_time_t end, double out[CPU_MODES]);

const char *cpu_mode_name(cpu_mode_t m); /* "user", "kernel", "irq", "poll", "idle" */

#endif
