/* sim/cpu: simulated cores, their clocks and their accounts.
 *
 * A core does no work of its own: code running "on" it (kernel, workload)
 * declares what the modelled hardware would spend with cpu_charge(), which
 * advances the core's clock and adds the time to the account of a mode.
 * A charge starts when the core is free (its clock) or now, whichever is
 * later, so back-to-back charges serialise on the core.  Time never charged
 * is idle.  Utilisation is reported per mode over a measurement window
 * [open, close]: the accounts are copied when it opens and when it closes,
 * so warm-up and the final drain can be left out.
 *
 * Known limit: a charge is booked whole at the moment it is made, so one
 * that straddles an edge of the window counts entirely on the side where it
 * was made (an error of at most one charge per core per edge). */
#ifndef PARASIM_SIM_CPU_H
#define PARASIM_SIM_CPU_H

#include <stdbool.h>

#include "sim/engine.h"
#include "sim/tlrec.h"

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
    sim_time_t win_acct[2][CPU_MODES]; /* acct when the window opened, closed */
    sim_time_t win_time[2];      /* ps: when the window opened, closed */
    bool win_closed;
    struct tlrec_core *tl;       /* the timeline recorder's, NULL: none */
} cpu_t;

void cpu_init(cpu_t *c, unsigned id);

/* Charge ps of work in mode m, starting at max(now, clock); returns the
 * time the work ends.  With a timeline recorder the charge becomes a span
 * (sim/tlrec.h); without, that costs one test. */
static inline sim_time_t cpu_charge(cpu_t *c, sim_time_t now, sim_time_t ps, cpu_mode_t m)
{
    sim_time_t start = c->clock > now ? c->clock : now;
    c->clock = start + ps;
    c->acct[m] += ps;
    if (c->tl)
        tlrec_charge(c->tl, start, ps, m);
    return c->clock;
}

/* Open (again) or close the measurement window at `now`. */
void cpu_window_open(cpu_t *c, sim_time_t now);
void cpu_window_close(cpu_t *c, sim_time_t now);

/* Fraction of the closed window spent in each mode; idle is what the other
 * modes leave (never below 0).  All zero when the window never closed or
 * is empty. */
void cpu_utilisation(const cpu_t *c, double out[CPU_MODES]);

const char *cpu_mode_name(cpu_mode_t m); /* "user", "kernel", "irq", "poll", "idle" */

#endif
