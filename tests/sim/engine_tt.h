/* tests/sim/engine_tt.h: what the engine suites (check_engine,
 * check_engine_stress) share: an event log (a handler that records its
 * data and time), a no-op handler, and the tests' own xorshift64*
 * generator with fixed seeds (never the engine's, never model/rng.h's).
 * Static inline: a suite uses any subset. */
#ifndef PARASIM_TESTS_SIM_ENGINE_TT_H
#define PARASIM_TESTS_SIM_ENGINE_TT_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

#define LOG_MAX 4096

typedef struct log {
    size_t n;
    uint64_t id[LOG_MAX];
    sim_time_t at[LOG_MAX];
} log_t;

static inline void record(sim_t *sim, void *arg, uint64_t data)
{
    log_t *l = arg;
    ck_assert_uint_lt(l->n, LOG_MAX);
    l->id[l->n] = data;
    l->at[l->n] = sim_now(sim);
    l->n++;
}

static inline void nop(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)arg;
    (void)data;
}

/* xorshift64*: the tests' own generator, fixed seeds. */
static inline uint64_t xs_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static inline uint64_t xs_below(uint64_t *s, uint64_t n) { return xs_next(s) % n; }

#endif
