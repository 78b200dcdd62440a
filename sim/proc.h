/* sim/proc: the process runtime, the user-mode side of the platform.
 *
 * Purpose.  It hosts one application (workloads/app.h) per parakernel
 * process, on the core the boot plan gave it, and implements the platform
 * functions of the user ABI (kernel/include/pk.h): pk_enter, pk_self,
 * pk_load, pk_store, pk_now, pk_cost, pk_charge.  (pk_err_name and
 * pk_op_name are the kernel's, kernel/abi.c.)  One runtime per machine,
 * one machine bound to the HAL at a time (sim/machine.h).
 *
 * The kernel.  The runtime reaches the kernel through a proc_kernel_t
 * (function-pointer table: the system call, the info-block address, the
 * process of a core).  proc_parakernel is the parakernel's (k_sys_enter,
 * k_proc_info, k_proc_of_core), the default;
 * baseline kernels and tests supply others.
 *
 * The user ABI's calls, as the runtime implements them (they act on the
 * process whose step -- or start -- is running; outside one they fail):
 *   pk_enter   machine_entry_begin(core, CPU_KERNEL), charge cpu.syscall
 *              (entry + exit), the kernel's sys_enter, machine_entry_end.
 *              If the kernel called hal_user_wait during it (and not
 *              hal_user_wake after that), the process blocks when its
 *              step ends.
 *   pk_self    the kernel's info-block address for the process.
 *   pk_load/pk_store  machine_user_access (what hal_user_map granted the
 *              core), then a copy from/to physical memory.  Outside the
 *              grants: -1, nothing copied, counted in the process's
 *              `faults` (the process keeps running: the caller sees -1).
 *   pk_now     the core's time, max(now, core clock).
 *   pk_cost    the cost table id of a name (-1: unknown).
 *   pk_charge  count x cost on the core in user mode (an unknown id
 *              charges nothing).
 *
 * Scheduling (workloads/app.h; DESIGN.md "event-driven polling").  A step
 * is an engine event that runs when the core is free (if the core's clock
 * is ahead when it fires, it moves to that time); the step charges its
 * work on the core in user mode.  After it:
 *   WL_STEP_BUSY  the next step runs when the core is free again.
 *   WL_STEP_EXIT  the process is finished (PROC_EXITED), for good.
 *   WL_STEP_POLL  the process polls (PROC_POLLING) from the core's clock
 *                 at the end of the step.  It resumes (next step) at the
 *                 earliest of
 *                   - a device write to memory it polls (hal_poll_watch):
 *                     max(done + cfg.poll_detect_ps, core clock), where
 *                     done is when the DMA write lands;
 *                   - an interrupt handler returning on its core: at the
 *                     core's clock after the handler.
 *                 The time in between, less the interrupt and kernel work
 *                 charged on the core meanwhile, is charged as CPU_POLL
 *                 when it resumes (or by proc_rt_settle).
 *   blocked       a step whose pk_enter blocked (PROC_BLOCKED, whatever
 *                 the step returned except EXIT): the core is idle (no
 *                 charge) until an interrupt handler on the core returns
 *                 having called hal_user_wake; the next step runs then.
 * Device writes are remembered with their times: one that lands after a
 * step started is not seen by that step, so it wakes a later poll.  A
 * write that becomes visible while a step runs (before the core's clock
 * at its end) makes the next step run right after it, with no poll time.
 * There are no periodic events: an idle polling process costs no host
 * time.
 *
 * Invariants: at most one pending step event per process; a process in
 * PROC_BLOCKED or PROC_EXITED has none; poll time is booked once.
 *
 * Known limit: an interrupt handler does not preempt a step (the step
 * runs in zero host time at its start); its cost lands after the step's
 * charges on the core (sim/irqc.h). */
#ifndef PARASIM_SIM_PROC_H
#define PARASIM_SIM_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"
#include "workloads/app.h"

struct machine;

typedef struct proc_kernel {
    const char *name;
    int (*sys_enter)(unsigned to_submit, unsigned min_complete, unsigned flags);
    uint64_t (*proc_info)(unsigned pid);  /* 0: no such process */
    int (*proc_of_core)(unsigned core);   /* -1: none; NULL: not checked */
} proc_kernel_t;

extern const proc_kernel_t proc_parakernel;

typedef enum proc_state {
    PROC_READY,    /* a step is scheduled (or the process is not started) */
    PROC_POLLING,  /* waiting for a watched write or an interrupt */
    PROC_BLOCKED,  /* pk_enter blocked: waiting for hal_user_wake */
    PROC_EXITED
} proc_state_t;

typedef struct proc_stats {
    proc_state_t state;
    uint64_t steps;         /* step() calls */
    uint64_t busy;          /* steps that returned WL_STEP_BUSY */
    uint64_t polls;         /* steps that returned WL_STEP_POLL */
    uint64_t poll_ps;       /* CPU_POLL time booked for the process, ps */
    uint64_t watch_wakes;   /* polls ended by a watched device write */
    uint64_t irq_wakes;     /* polls ended by an interrupt returning */
    uint64_t syscalls;      /* pk_enter calls */
    uint64_t blocks;        /* pk_enter calls that blocked */
    uint64_t wakeups;       /* blocks ended by hal_user_wake */
    uint64_t faults;        /* pk_load/pk_store outside the grants */
} proc_stats_t;

typedef struct proc_rt proc_rt_t;

/* kernel NULL: &proc_parakernel.  Installs the machine's watch and
 * interrupt-return callbacks.  NULL when m is missing or the kernel table
 * lacks sys_enter or proc_info. */
proc_rt_t *proc_rt_create(struct machine *m, const proc_kernel_t *kernel);
/* Before the machine (it removes its callbacks from the machine). */
void proc_rt_destroy(proc_rt_t *rt);

/* Host `app` as process `pid` on `core`, after the kernel booted: checks
 * the parameters against app->params, allocates its state and calls
 * app->start on the core (user mode).  0, or -1 with a one-line message
 * (bad core, core taken, pid not on that core in the kernel, unknown
 * parameter, start refused). */
int proc_spawn(proc_rt_t *rt, unsigned pid, unsigned core, const wl_app_t *app,
               const wl_param_t *params, size_t nparams, char *err, size_t errlen);
/* The same, handing `in` (may be NULL) to app->input before start; an
 * input for an application without an input hook is refused. */
int proc_spawn_input(proc_rt_t *rt, unsigned pid, unsigned core, const wl_app_t *app,
                     const wl_param_t *params, size_t nparams, const wl_input_t *in,
                     char *err, size_t errlen);

/* Schedule every spawned process's first step (at its core's free time). */
void proc_rt_start(proc_rt_t *rt);

/* Book the poll time of polling processes up to now (before reading
 * results or closing a measurement window). */
void proc_rt_settle(proc_rt_t *rt);

/* NULL when no process has that pid. */
const proc_stats_t *proc_stats(const proc_rt_t *rt, unsigned pid);
/* The application's own counters (faults filled in by the runtime);
 * -1 when no process has that pid. */
int proc_app_stats(const proc_rt_t *rt, unsigned pid, wl_app_stats_t *out);
/* The application's own figures (empty when it reports none); -1 when no
 * process has that pid. */
int proc_app_report(const proc_rt_t *rt, unsigned pid, wl_report_t *out);
const char *proc_state_name(proc_state_t s);

#endif
