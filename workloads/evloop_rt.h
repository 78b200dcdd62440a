/* workloads/evloop_rt: a single-threaded event-loop runtime in the style
 * of libuv / Node.js, over the parakernel's user ABI (kernel/include/pk.h,
 * pk_ring.h).  One runtime per process; processes are shared-nothing (one
 * per core, as a Node.js cluster).
 *
 * What it owns: the process's SQ/CQ (struct pk_ring), a ready queue (a
 * FIFO of callbacks: fn + arg), and timers (setTimeout / clearTimeout).
 * What the application supplies (wl_evl_hooks_t): its I/O -- polling its
 * RX rings into callbacks, its own completions (TX, refills), the SQEs it
 * has queued for the submit phase.
 *
 * One loop iteration (wl_evl_step, one app step) mirrors libuv's phases:
 *   1. timers: pop the CQ (timer expiries become their callbacks on the
 *      ready queue; other completions go to hooks.io);
 *   2. pending I/O: hooks.poll posts callbacks for received frames (up to
 *      the ready queue's room);
 *   3. run up to `budget` ready callbacks, in FIFO order;
 *   4. submit: hooks.flush queues the application's SQEs, the runtime
 *      queues timer arms and cancels, then one pk_enter for the batch,
 *      and the CQ is popped again (what that call harvested);
 *   5. decide: WL_STEP_BUSY when callbacks are ready or work is left
 *      (and the iteration made progress or spent time: a zero-cost
 *      profile must not spin), else WL_STEP_POLL -- or, with wait, block
 *      in pk_enter(PK_ENTER_WAIT) until a completion (a timer) or a frame
 *      (the loop's epoll_wait).
 *
 * Timers.  Each timer is one kernel timer (PK_OP_TIMER_ARM with an
 * absolute deadline, PK_TIMER_ABS: the deadline is fixed when the timer is
 * set, not when its SQE is consumed) while the kernel has room
 * (pk_info.max_timers).  Beyond that, timers wait in a user-space min-heap
 * on (deadline, set order) and are armed as kernel timers complete; when
 * a waiting timer is due before the latest armed one, that one is
 * cancelled (PK_OP_TIMER_CANCEL) and goes back to the heap ("preempted"),
 * one per iteration, so the kernel holds the earliest deadlines.  Expiry
 * completions (res 0) put the timer's callback on the ready queue.  A
 * cleared timer's callback never runs, even when it has expired and its
 * callback is already queued (Node.js semantics): a waiting timer is just
 * dropped, an armed one is cancelled in the kernel and its slot is reused
 * once its completion (fired or -PK_ECANCELED) arrives.  Handles carry a generation count, so
 * a stale handle clears nothing.  Timer callbacks run in deadline order
 * (ties in set order) among the timers of one CQ harvest.
 *
 * Ready queue.  At most WL_EVL_READY_MAX callbacks; the CQ is popped only
 * while the queue has room (completions wait in the CQ otherwise), and
 * hooks.poll is told the room left.  wl_evl_post returns -1 when full.
 *
 * Submission.  wl_evl_push writes one SQE; when the SQ is full it enters
 * the kernel early (and pops the CQ) once to make room, else returns -1
 * (the caller keeps the work for the submit phase).  Callbacks may push,
 * post, set and clear timers.
 *
 * Costs (pk_charge with cpu.cycle; 1 cycle per simple instruction or
 * well-predicted branch on the modelled ~3 GHz core, as workloads/echo.c):
 *   per iteration ITER_CYCLES (12): the phase sequence's checks;
 *   per callback posted POST_CYCLES (6) (room test, two stores, tail
 *     increment) and run CB_CYCLES (8) (16-byte task load from L1, head
 *     increment, indirect call and return);
 *   per SQE written SQE_CYCLES (12), per CQE taken CQE_CYCLES (10): as
 *     workloads/netloop.h (the echo loop);
 *   per timer set or cleared TIMER_CYCLES (10) plus HEAP_STEP_CYCLES (6)
 *     per level of sift in the wait heap: the kernel's own heap figures
 *     (kernel/ktimer.c), the same operations;
 *   preemption search: SEARCH_CYCLES (2) per timer slot scanned, only
 *     when a waiting timer is due no later than the latest armed
 *     deadline seen (a bound kept on arming), so timers of one constant
 *     delay never search.
 *
 * Errors: wl_evl_init fails (-1) only without an info block of this ABI;
 * timer completions the runtime does not expect are counted (bad_cqe),
 * kernel refusals of an arm are counted (timers_refused): -PK_ETIMERS
 * puts the timer back in the heap (and lowers the runtime's idea of
 * max_timers), any other refusal drops the timer (its callback never
 * runs). */
#ifndef PARASIM_WORKLOADS_EVLOOP_RT_H
#define PARASIM_WORKLOADS_EVLOOP_RT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "workloads/app.h"

#define WL_EVL_READY_MAX 8192u  /* ready-queue capacity, a power of two */
#define WL_EVL_TIMERS_MAX 4096u /* timers set at once (armed or waiting) */
#define WL_EVL_UD_TAG UINT64_C(0xE7E7) /* user_data bits 63:48 of timers */

typedef void (*wl_evl_cb_t)(void *ctx, uint64_t arg);

/* What the application plugs into the loop; ctx is wl_evl_init's. */
typedef struct wl_evl_hooks {
    /* A completion that is not a timer's (user_data without the tag). */
    void (*io)(void *ctx, const struct pk_cqe *c);
    /* Pending I/O: post at most `room` callbacks; returns the work done
     * (frames read); *more when it stopped early (burst or room). */
    unsigned (*poll)(void *ctx, unsigned room, bool *more);
    /* Submit phase: push the application's queued SQEs (wl_evl_sq_room). */
    void (*flush)(void *ctx);
    /* Application work left for another iteration. */
    bool (*pending)(void *ctx);
    /* Enter the kernel even with nothing to submit (to harvest). */
    bool (*need_enter)(void *ctx);
    /* Nothing queued that only a poll would notice (NULL: true): the
     * loop may block when idle (a TX retry waits for the TX write-back,
     * which ends a poll but not a wait). */
    bool (*can_block)(void *ctx);
} wl_evl_hooks_t;

typedef struct wl_evl_task {
    wl_evl_cb_t fn;
    uint64_t arg;
} wl_evl_task_t;

typedef struct wl_evl_timer {
    wl_evl_cb_t fn;
    uint64_t arg;
    uint64_t deadline_ps;  /* pk_now's clock */
    uint64_t seq;          /* set order: ties fire in it */
    uint32_t gen;          /* bumped when the slot is freed */
    uint16_t pos;          /* index in the wait heap while waiting */
    uint8_t state;         /* evloop_rt.c: T_FREE... */
    uint8_t cancel;        /* a cancel SQE is queued or sent */
} wl_evl_timer_t;

typedef struct wl_evl_counters {
    uint64_t iterations;       /* wl_evl_step calls */
    uint64_t callbacks;        /* callbacks run */
    uint64_t max_ready;        /* longest the ready queue was */
    uint64_t timers_set;       /* set_timeout / timer_at that got a slot */
    uint64_t timers_full;      /* ... refused: every slot in use */
    uint64_t timers_armed;     /* TIMER_ARM SQEs written */
    uint64_t timers_fired;     /* expiry completions (res 0) */
    uint64_t timers_cleared;   /* clear_timeout that cleared one */
    uint64_t timers_cancelled; /* cleared timers' -PK_ECANCELED completions */
    uint64_t timers_preempted; /* armed timers sent back to the heap */
    uint64_t timers_refused;   /* TIMER_ARM completions with another error */
    uint64_t cancels_sent;     /* TIMER_CANCEL SQEs written */
    uint64_t cancels_missed;   /* ... that found nothing (-PK_ENOENT) */
    uint64_t early_enters;     /* pk_enter to make SQ room mid-iteration */
    uint64_t bad_cqe;          /* timer completions matching no timer */
    uint64_t refused[32];      /* pk_enter refusals and timer completions
                                * with res < 0, by -res */
} wl_evl_counters_t;

/* Public so an application can embed it in its state (one allocation);
 * use the functions below, not the fields. */
typedef struct wl_evl {
    struct pk_ring r;
    void *ctx;
    wl_evl_hooks_t h;
    int c_cycle;
    bool wait;
    unsigned budget;
    uint32_t rq_head, rq_tail;
    wl_evl_task_t rq[WL_EVL_READY_MAX];
    wl_evl_timer_t t[WL_EVL_TIMERS_MAX];
    uint16_t tfree[WL_EVL_TIMERS_MAX];
    uint32_t ntfree, thwm;     /* free slots; slots ever used */
    uint16_t heap[WL_EVL_TIMERS_MAX];
    uint32_t nheap;
    uint32_t kmax, karmed;     /* kernel timers allowed / armed by us */
    uint64_t armed_hi;         /* >= every armed deadline (exact after a scan) */
    uint64_t seq;
    bool preempt_check;        /* the heap gained a timer since the last check */
    wl_evl_counters_t c;
} wl_evl_t;

/* Bind to the process's rings (pk_ring_init).  c_cycle: pk_cost("cpu.cycle").
 * budget: callbacks per iteration (>= 1); wait: block when idle.  0 or -1. */
int wl_evl_init(wl_evl_t *ev, void *ctx, const wl_evl_hooks_t *hooks, int c_cycle,
                unsigned budget, bool wait);

/* One loop iteration (the five phases above). */
wl_step_t wl_evl_step(wl_evl_t *ev);

/* Append a callback (fn not NULL) to the ready queue: 0, or -1 when it
 * is full. */
int wl_evl_post(wl_evl_t *ev, wl_evl_cb_t fn, uint64_t arg);
uint32_t wl_evl_ready(const wl_evl_t *ev);

/* setTimeout: fn(ctx, arg) runs no earlier than delay_ns after now (at
 * deadline_ps on pk_now's clock for timer_at).  A handle (never 0), or 0
 * when all WL_EVL_TIMERS_MAX slots are in use. */
uint64_t wl_evl_set_timeout(wl_evl_t *ev, uint64_t delay_ns, wl_evl_cb_t fn, uint64_t arg);
uint64_t wl_evl_timer_at(wl_evl_t *ev, uint64_t deadline_ps, wl_evl_cb_t fn, uint64_t arg);
/* clearTimeout: 0 when the timer was pending (its callback will not run),
 * -1 when the handle names no pending timer (fired, cleared, stale). */
int wl_evl_clear_timeout(wl_evl_t *ev, uint64_t handle);
/* Timers set and not yet completed (armed in the kernel or waiting). */
uint32_t wl_evl_timers(const wl_evl_t *ev);

/* SQ slots free now; write one SQE (entering early once when the SQ is
 * full): 0, or -1 when there is still no room. */
unsigned wl_evl_sq_room(const wl_evl_t *ev);
int wl_evl_push(wl_evl_t *ev, const struct pk_sqe *s);
/* Publish the SQ and pk_enter with every unconsumed SQE: pk_enter's
 * result (0 without entering when nothing is pending). */
int wl_evl_enter(wl_evl_t *ev);
/* Pop the CQ (while the ready queue has room): the number taken. */
unsigned wl_evl_drain(wl_evl_t *ev);

const wl_evl_counters_t *wl_evl_counters(const wl_evl_t *ev);

#endif
