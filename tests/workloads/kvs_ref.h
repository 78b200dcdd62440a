/* tests/workloads/kvs_ref.h: the key-value protocol's functions written
 * again, for the tests, from their definitions in workloads/kvs_proto.h
 * (FNV-1a 64, SplitMix64, the multiply-shift partition, the canonical
 * value bytes, decimal key names), so the suites check the code against
 * an independent computation.  The known-answer tests of check_kvs_proto
 * pin these to the published FNV-1a and SplitMix64 vectors. */
#ifndef PARASIM_TESTS_KVS_REF_H
#define PARASIM_TESTS_KVS_REF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline uint64_t ref_fnv1a(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ull; /* 0xcbf29ce484222325 */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull; /* 0x100000001b3 */
    return h;
}

static inline uint64_t ref_splitmix(uint64_t state)
{
    uint64_t z = state + 0x9e3779b97f4a7c15ull;
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ull;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t ref_hash(const void *key, size_t n)
{
    return ref_splitmix(ref_fnv1a(key, n));
}

static inline unsigned ref_partition(const void *key, size_t n, unsigned parts)
{
    uint64_t hi = ref_hash(key, n) >> 32;
    return (unsigned)((hi * parts) >> 32);
}

/* Byte i of key's canonical value. */
static inline uint8_t ref_value_byte(const void *key, size_t n, uint32_t i)
{
    uint64_t w = ref_splitmix(ref_fnv1a(key, n) + 1 + i / 8);
    return (uint8_t)(w >> (8 * (i % 8)));
}

/* Key k's name: key_bytes decimal digits, zero-padded (key_bytes <= 64). */
static inline void ref_key_name(uint64_t k, unsigned key_bytes, char *buf)
{
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%0*llu", (int)key_bytes, (unsigned long long)k);
    memcpy(buf, tmp, key_bytes);
}

#endif
