/* workloads/app: an application, as the platform hosts it as a
 * parakernel process.
 *
 * An application is written against the user ABI only (kernel/include/):
 * it finds its rings and queues through pk_self()/pk_ring_init(), moves
 * bytes with pk_load/pk_store, talks to the kernel with pk_enter, and
 * declares the CPU work its code stands for with pk_charge.
 *
 * Its main loop is written as a step function: one iteration of the loop
 * (look at RX rings and the CQ, do the work, submit).  The platform calls
 * step() whenever the loop would find something to do -- that is how
 * polling stays event-driven (sim/proc.h):
 *   - after start, once;
 *   - when the step returned WL_STEP_BUSY (more work pending: run again
 *     as soon as the core is free);
 *   - when it returned WL_STEP_POLL, the next time a device writes memory
 *     the process polls (RX descriptors, completions the kernel collects)
 *     or an interrupt on its core returns into the poll loop; the time in
 *     between is charged as polling;
 *   - after a pk_enter(..., PK_ENTER_WAIT) that blocked, when the kernel
 *     wakes it (the core is idle in between).
 * WL_STEP_EXIT stops the process for good.
 *
 * Parameters come as a flat list of (key, value) strings from the
 * config's process entry (the platform validated the keys against
 * `params`, a NULL-terminated list of "key: meaning" strings).  Two keys
 * are filled in by the platform when an application declares them and
 * the config does not set them: `instance` (the process's index in its
 * group, 0-based) and `instances` (the group's size) -- how a
 * shared-nothing application learns which partition of the work it owns.
 *
 * Beyond the common counters (stats), an application may report its own
 * figures (report, workloads/report.h), and may take a trace as input
 * (input_param, workloads/input.h). */
#ifndef PARASIM_WORKLOADS_APP_H
#define PARASIM_WORKLOADS_APP_H

#include <stddef.h>
#include <stdint.h>

#include "workloads/input.h"
#include "workloads/report.h"

typedef enum wl_step {
    WL_STEP_POLL = 0, /* nothing more to do until something arrives */
    WL_STEP_BUSY,     /* call again as soon as the core is free */
    WL_STEP_EXIT      /* the process has finished */
} wl_step_t;

typedef struct wl_param {
    const char *key, *value;
} wl_param_t;

/* Counters an application reports (results.json, per process). */
typedef struct wl_app_stats {
    uint64_t rx_frames, tx_frames;   /* frames read from RX rings / sent */
    uint64_t requests;               /* requests served (app-defined) */
    uint64_t refused[32];            /* completions with an error, by -res */
    uint64_t faults;                 /* pk_load/pk_store that faulted */
} wl_app_stats_t;

typedef struct wl_app {
    const char *name;
    const char *const *params;       /* accepted parameter keys, "key: meaning" */
    size_t state_size;               /* bytes the platform allocates, zeroed */
    /* Called once on the process's core, after boot: 0, or -1 with a
     * one-line message in err (bad parameter). */
    int (*start)(void *state, const wl_param_t *params, size_t nparams, char *err,
                 size_t errlen);
    wl_step_t (*step)(void *state);
    void (*stats)(const void *state, wl_app_stats_t *out);
    /* Optional: the application's own figures (results.json,
     * processes[].report), called once after the run. */
    void (*report)(const void *state, wl_report_t *out);
    /* Optional: the parameter naming a trace file the platform reads for
     * the application (of kind input_kind), and where it goes: called
     * before start, only when the parameter is given; 0, or -1 with a
     * one-line message in err.  The records outlive the process. */
    const char *input_param;
    wl_input_kind_t input_kind;
    int (*input)(void *state, const wl_input_t *in, char *err, size_t errlen);
} wl_app_t;

/* The applications parasim knows; NULL when there is no such name. */
const wl_app_t *wl_app_find(const char *name);
/* "echo|..." for error messages. */
const char *wl_app_names(void);

#endif
