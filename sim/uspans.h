/* sim/uspans: a union of address ranges, kept as merged spans for O(1)
 * membership tests in the common case.
 *
 * Purpose: the MMU view of a process (sim/hal.c: what hal_user_map
 * granted on a core) is asked on every pk_load and pk_store.  The grants
 * are few and set at boot; the questions come every few nanoseconds of
 * simulated time.  So the union of the grants (all of them, or only the
 * writable ones) is rebuilt when a grant is added, as disjoint,
 * non-touching spans sorted by address, and a question is answered from
 * the span that answered the previous one when it contains the access,
 * else by a scan (a few spans) or a binary search.
 *
 * Contract: [pa, end) is covered by the union of the ranges <=> it lies
 * inside one merged span (merged spans neither overlap nor touch); an
 * empty access (pa == end) is covered when pa is.  `last` is a cache,
 * never state: it changes no answer.
 *
 * Invariants: s[0..n) sorted by pa, s[i].end < s[i + 1].pa, pa < end. */
#ifndef PARASIM_SIM_USPANS_H
#define PARASIM_SIM_USPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct urange {
    uint64_t pa, end;       /* [pa, end) */
    bool writable;
} urange_t;

typedef struct uspans {
    urange_t *s;            /* merged spans (writable is meaningless there) */
    size_t n, last;         /* last: the span that answered last */
} uspans_t;

/* Rebuild u as the union of maps[0..nmaps) (the writable ones only when
 * writable_only).  u->s is reallocated; free it with free(). */
void uspans_build(uspans_t *u, const urange_t *maps, size_t nmaps, bool writable_only);

/* Is [pa, end) inside the union (pa <= end)? */
bool uspans_cover(uspans_t *u, uint64_t pa, uint64_t end);

#endif
