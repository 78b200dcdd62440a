/* sim/uspans: merged address-range unions (contract in sim/uspans.h).
 *
 * Building sorts the ranges by start (insertion sort: a handful, at boot)
 * and merges overlapping and touching ones.  A membership test tries the
 * span that answered last (a process mostly touches its own partition,
 * then its RX ring: two spans), then scans up to USPANS_SCAN spans, else
 * binary-searches. */
#include "sim/uspans.h"

#include <stdlib.h>

#include "sim/alloc.h"

#define USPANS_SCAN 8u /* up to this many spans: a linear scan */

/* Rebuild the union of the grants (the writable ones only when
 * writable_only): sort by start (insertion sort: a few grants, at boot),
 * then merge overlapping and touching ones. */
void uspans_build(uspans_t *u, const urange_t *maps, size_t nmaps, bool writable_only)
{
    free(u->s);
    u->s = sim_xreallocarray(NULL, nmaps ? nmaps : 1, sizeof *u->s);
    size_t n = 0;
    for (size_t k = 0; k < nmaps; k++) {
        if (writable_only && !maps[k].writable)
            continue;
        size_t i = n++;
        while (i > 0 && u->s[i - 1].pa > maps[k].pa) {
            u->s[i] = u->s[i - 1];
            i--;
        }
        u->s[i] = maps[k];
    }
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (m && u->s[k].pa <= u->s[m - 1].end) {
            if (u->s[k].end > u->s[m - 1].end)
                u->s[m - 1].end = u->s[k].end;
        } else {
            u->s[m++] = u->s[k];
        }
    }
    u->n = m;
    u->last = 0;
}

/* Is [pa, end) (pa itself when pa == end) inside one span of u?  The
 * span hit last is tried first, then a binary search.  Covered by the
 * union of the grants <=> inside one merged span (they neither overlap
 * nor touch). */
bool uspans_cover(uspans_t *u, uint64_t pa, uint64_t end)
{
    if (!u->n)
        return false;
    const urange_t *r = &u->s[u->last];
    if (pa >= r->pa && pa < r->end && end <= r->end)
        return true;
    if (u->n <= USPANS_SCAN) { /* a process has a few: scan them */
        for (size_t i = 0; i < u->n; i++) {
            r = &u->s[i];
            if (pa >= r->pa && pa < r->end) {
                u->last = i;
                return end <= r->end;
            }
        }
        return false;
    }
    size_t lo = 0, hi = u->n; /* first span starting after pa */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u->s[mid].pa <= pa)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return false;
    r = &u->s[lo - 1];
    if (pa >= r->end || end > r->end)
        return false;
    u->last = lo - 1;
    return true;
}
