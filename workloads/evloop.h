/* workloads/evloop: a Node.js-style event-loop server as a parakernel
 * process (one per core, like a Node.js cluster), on the runtime of
 * workloads/evloop_rt.h.  It answers the echo protocol (the reply is the
 * request with MACs, IPv4 addresses and UDP ports swapped, the payload --
 * proto.h's request header included -- unchanged: workloads/echo.h), but
 * each request is a callback whose CPU time is drawn from a distribution,
 * a reply may wait for a timer, and the loop may stall for "garbage
 * collection" pauses.
 *
 * Parameters (all optional; numbers decimal or 0x hex unless said):
 *   wait          1: block in pk_enter(PK_ENTER_WAIT) when idle (the
 *                 loop's epoll_wait; timers and frames wake it); 0: poll
 *                 (default 0)
 *   burst         frames read per NIC queue per iteration, 1..1024 (32)
 *   budget        ready callbacks run per iteration, 1..8192 (64)
 *   buffers       packet buffers of 2 KiB carved from the heap, 1..16384
 *                 (default 4 x (rx_entries - 1) per NIC queue, at most
 *                 what the heap holds): posted RX buffers, replies in
 *                 flight and deferred requests all hold one
 *   service       the handler's CPU time: constant | exponential |
 *                 lognormal | bimodal (default constant)
 *   service_ns    constant: the time; exponential, lognormal: the mean;
 *                 ns, 0..1e9 (1..1e9 for those two) (default 1000)
 *   service_sigma lognormal only: sigma of the underlying normal, a
 *                 decimal in 0..10 (default 1)
 *   service_p     bimodal only (required): probability of service_a_ns,
 *                 a decimal in 0..1
 *   service_a_ns, service_b_ns
 *                 bimodal only (required): the two times, ns, 0..1e9
 *   seed          seed of the process's random streams (default 1)
 *   instance      the process's index in its group (the platform fills
 *                 it in): the streams are ("evloop.service" + instance,
 *                 "evloop.defer" + instance, "evloop.gc" + instance) of
 *                 `seed` (model/rng.h), so every process of a group draws
 *                 its own numbers and a run is reproducible
 *   defer_ratio   probability that a request's reply waits for a timer
 *                 of defer_ns (setTimeout, then reply in its callback: the
 *                 "await a timer" pattern), a decimal in 0..1 (default 0)
 *   defer_ns      that delay, ns, 0..1e10 (default 100000)
 *   gc_period_us  garbage-collection pauses every gc_period_us, 0..1e7
 *                 (default 0: none)
 *   gc_pause_us   each pause's length, 1..gc_period_us - 1 (required
 *                 with gc_period_us, refused without it)
 *   gc_phase_us   pauses start at gc_phase_us + k x gc_period_us on the
 *                 core's clock, 0..gc_period_us - 1 (default drawn from
 *                 "evloop.gc": the processes of a group pause at
 *                 different times)
 * A parameter of another service kind (service_sigma without lognormal,
 * service_ns with bimodal...) is refused: it would be silently ignored.
 *
 * Times.  Handler times and pauses are charged on the core in user mode
 * as cpu.cycle counts at the modelled 3 GHz clock (3 cycles per ns,
 * rounded; model/cost.c's source for cpu.cycle), so they scale with a
 * cpu.cycle override like every code path and vanish under the "zero"
 * cost profile.  A drawn time above 1e9 ns is clamped (counted).
 *
 * Report (results.json processes[].report): requests, replies,
 * deferred, defer_refused, dropped; timers.{armed, fired, cancelled,
 * cleared, preempted, refused, full} (the runtime's counters,
 * evloop_rt.h; this server clears no timer itself, so cancelled and
 * cleared stay 0); gc.{pauses, ns, skipped};
 * loop.{iterations, callbacks, max_ready, early_enters}; buffers,
 * tx_retries, lost_bufs, service_clamped; and `service`, the histogram of
 * the handlers' measured CPU times. */
#ifndef PARASIM_WORKLOADS_EVLOOP_H
#define PARASIM_WORKLOADS_EVLOOP_H

#include <stdint.h>

#include "workloads/app.h"
#include "workloads/echo.h"

extern const wl_app_t wl_app_evloop;

typedef struct wl_evloop_counters {
    uint64_t requests;        /* UDP requests taken (request callbacks posted) */
    uint64_t replies;         /* replies sent (NET_TX written or queued to be) */
    uint64_t deferred;        /* of them, sent from a timer's callback */
    uint64_t defer_refused;   /* deferral wanted, no timer slot: replied at once */
    uint64_t dropped[WL_ECHO_DROP_KINDS]; /* frames not answered, by reason */
    uint64_t gc_pauses;
    uint64_t gc_ps;           /* core time the pauses took, ps */
    uint64_t gc_skipped;      /* pauses not taken: the loop was a period late */
    uint64_t service_clamped; /* draws above 1e9 ns */
    uint64_t tx_retries;      /* NET_TX refused with PK_EAGAIN, sent again */
    uint64_t lost_bufs;       /* buffers out of circulation (a refill refused) */
    uint64_t bad_rx;          /* the RX view named a buffer that is not ours */
    uint64_t bad_cqe;         /* completions with a user_data we never used */
    uint32_t buffers;         /* buffers carved at start */
} wl_evloop_counters_t;

/* The process's own counters, and its runtime's (evloop_rt.h), from its
 * state. */
const wl_evloop_counters_t *wl_evloop_counters(const void *state);
const struct wl_evl_counters *wl_evloop_loop(const void *state);

#endif
