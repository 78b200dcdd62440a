/* model/rng: seeding, stream ids and bounded integers for the xoshiro256**
 * generator declared in model/rng.h (rng_next() and rng_unit() are inline
 * there).
 *
 * Contract: pure functions of their arguments; no global state, no host
 * entropy, no clock.  The same (seed, stream) gives the same sequence on
 * every host.
 *
 * Invariants: a seeded state is never all zero (SplitMix64's output mix is a
 * bijection and the four words come from four distinct SplitMix64 states, so
 * at most one of them can be zero).
 *
 * References:
 *   - D. Blackman, S. Vigna, "Scrambled linear pseudorandom number
 *     generators", ACM TOMS 2021; https://prng.di.unimi.it/ (xoshiro256**
 *     1.0 and splitmix64.c, the recommended seeder).
 *   - G. Fowler, L. C. Noll, K.-P. Vo, FNV-1a hash, 64-bit offset basis
 *     0xcbf29ce484222325 and prime 0x100000001b3.
 *   - D. Lemire, "Fast random integer generation in an interval", ACM TOMACS
 *     29(1), 2019: multiply-and-reject without division on the fast path. */
#include "model/rng.h"

/* SplitMix64 (Vigna's splitmix64.c): advance x by the golden gamma, return
 * the mixed value. */
static uint64_t splitmix64_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void rng_init(rng_t *r, uint64_t seed, uint64_t stream)
{
    /* Mixing the seed first and xor-ing the stream in gives every stream
     * id its own SplitMix64 starting point for a given seed (the map
     * stream -> x is a bijection). */
    uint64_t x = seed;
    x = splitmix64_next(&x) ^ stream;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64_next(&x);
}

uint64_t rng_stream_id(const char *name)
{
    uint64_t h = 0xcbf29ce484222325u;
    if (!name)
        return h;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3u;
    }
    return h;
}

/* 64 x 64 -> 128-bit product, split into high and low words. */
#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 rng_u128_;

static uint64_t mul_hi_lo(uint64_t a, uint64_t b, uint64_t *lo)
{
    rng_u128_ m = (rng_u128_)a * b;
    *lo = (uint64_t)m;
    return (uint64_t)(m >> 64);
}
#else
static uint64_t mul_hi_lo(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
#endif

uint64_t rng_below(rng_t *r, uint64_t n)
{
    if (n == 0)
        return 0;
    uint64_t lo;
    uint64_t hi = mul_hi_lo(rng_next(r), n, &lo);
    if (lo < n) {
        /* Only now pay for the division: reject the 2^64 mod n low words
         * that would make some results more likely than others. */
        const uint64_t threshold = (0 - n) % n;
        while (lo < threshold)
            hi = mul_hi_lo(rng_next(r), n, &lo);
    }
    return hi;
}
