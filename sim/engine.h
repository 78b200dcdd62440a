/* sim/engine: the discrete-event engine, simulated time and the event queue.
 *
 * Time is uint64 picoseconds (sim_time_t); it only moves when the engine
 * pops an event.  Events are ordered by (time, insertion sequence): two
 * events for the same instant run in the order they were scheduled, so a
 * run is a pure function of its inputs.  An event scheduled for "now" from
 * inside a handler runs in the same sim_run() pass, after every event that
 * was already pending for now.  Scheduling in the past is a simulator bug
 * (assert).
 *
 * A handler is a function plus an opaque pointer and a 64-bit word, so
 * components need no allocation per event (the word carries a request id,
 * a queue index...).  sim_at() returns a handle that sim_cancel() accepts
 * until the event has run; a stale handle (already run, already cancelled)
 * is harmless: sim_cancel() returns false.  Handle 0 is never valid.
 *
 * The queue is a 4-ary implicit heap keyed by (time, seq), chosen by
 * measurement (make bench: tests/bench/bench_evq.c compares it with a
 * binary heap and a pairing heap at 1k, 64k and 1M pending events); up to
 * 32 pending entries the same array is kept sorted instead (a full-stack
 * run keeps ~15 pending: cheaper there; sim/engine.c "Two layouts").
 * Cancellation is lazy: the event's slot is marked dead and skipped when it
 * reaches the top; the heap is compacted when dead entries outnumber live
 * ones, so memory stays O(live events) and a cancel is O(1) amortised. */
#ifndef PARASIM_SIM_ENGINE_H
#define PARASIM_SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t sim_time_t; /* picoseconds */

#define SIM_NS(x) ((sim_time_t)(x) * 1000u)
#define SIM_US(x) ((sim_time_t)(x) * 1000000u)
#define SIM_MS(x) ((sim_time_t)(x) * 1000000000u)
#define SIM_S(x)  ((sim_time_t)(x) * 1000000000000u)
#define SIM_TIME_MAX UINT64_MAX

typedef struct sim sim_t;
typedef uint64_t sim_event_t; /* handle; 0 = none */
typedef void (*sim_fn_t)(sim_t *sim, void *arg, uint64_t data);

/* NULL on allocation failure. */
sim_t *sim_create(void);
void sim_destroy(sim_t *sim);

/* The current simulated time.  Inline, because device models read it
 * several times per packet: the clock is the first member of struct sim
 * (sim/evq_int.h; sim/engine.c asserts it at compile time), and a pointer
 * to a structure, suitably converted, points to its first member (C11
 * 6.7.2.1p15), so this reads that member through its own type. */
static inline sim_time_t sim_now(const sim_t *sim)
{
    return *(const sim_time_t *)(const void *)sim;
}

/* Where the clock lives (for a component that compares against it
 * without a call, e.g. devices/mem.h's read gate); same reasoning. */
static inline const sim_time_t *sim_clock(const sim_t *sim)
{
    return (const sim_time_t *)(const void *)sim;
}

/* Schedule fn(sim, arg, data) at absolute time t (t >= now) or after a
 * delay.  Returns the event's handle. */
sim_event_t sim_at(sim_t *sim, sim_time_t t, sim_fn_t fn, void *arg, uint64_t data);
sim_event_t sim_after(sim_t *sim, sim_time_t delay, sim_fn_t fn, void *arg, uint64_t data);

/* Cancel a pending event; false if the handle is not pending. */
bool sim_cancel(sim_t *sim, sim_event_t ev);

/* Run events in order until none is left, the next one is later than
 * `until` (time then stays at the last event run), or a handler calls
 * sim_stop().  Returns true when stopped by sim_stop(). */
bool sim_run(sim_t *sim, sim_time_t until);
void sim_stop(sim_t *sim);

uint64_t sim_events_run(const sim_t *sim); /* events executed so far */
size_t sim_pending(const sim_t *sim);      /* live pending events */
/* Inside sim_run() (an event handler is running): sim_run may not nest. */
bool sim_running(const sim_t *sim);

/* Call hook(sim, arg) every `every` executed events (progress reporting;
 * the hook must not schedule or cancel events).  every = 0 disables. */
void sim_set_hook(sim_t *sim, uint64_t every, void (*hook)(sim_t *, void *), void *arg);

#endif
