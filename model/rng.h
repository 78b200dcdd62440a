/* model/rng: the one pseudo-random generator of parasim.
 *
 * xoshiro256** 1.0 (Blackman & Vigna, https://prng.di.unimi.it/), 256 bits
 * of state, period 2^256-1.  Every component draws from a stream of its own:
 * rng_init(r, seed, stream) expands (seed, stream) through SplitMix64 into
 * the state, so streams of different ids are independent for all practical
 * purposes and adding a component never shifts another one's numbers.
 * rng_stream_id() turns a component's name into a stable id (FNV-1a 64).
 *
 * Seeding, exactly (so that tests and other tools can reproduce it): with
 * sm() the reference SplitMix64 step on a state x (x += 0x9e3779b97f4a7c15,
 * then the mix), x = seed; x = sm() ^ stream; s[0..3] = sm(), sm(), sm(),
 * sm().  The mix is a bijection, so the four words are never all zero.
 *
 * Pure and deterministic: no global state, no host entropy, no clock.
 * The struct is public because rng_next() is inlined on hot paths. */
#ifndef PARASIM_MODEL_RNG_H
#define PARASIM_MODEL_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4]; /* xoshiro256** state; never all zero */
} rng_t;

/* Seed stream `stream` of experiment seed `seed`. */
void rng_init(rng_t *r, uint64_t seed, uint64_t stream);

/* Stable 64-bit id of a component name ("load.arrivals", "core3"...). */
uint64_t rng_stream_id(const char *name);

static inline uint64_t rng_rotl_(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits (xoshiro256** reference algorithm). */
static inline uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rng_rotl_(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl_(s[3], 45);
    return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double rng_unit(rng_t *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1]: safe to take the log of (-log(U) is an
 * exponential variate without the slower log1p). */
static inline double rng_unit_pos(rng_t *r)
{
    return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

/* Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject).
 * n must be > 0 (n == 0 returns 0 without drawing). */
uint64_t rng_below(rng_t *r, uint64_t n);

#endif
