/* model/hist: latency histogram with log-linear (HdrHistogram-style)
 * buckets; the layout and the inline hist_record() are in model/hist.h.
 *
 * Contract: hist_init() gives an empty histogram; hist_record() and
 * hist_merge() never fail; hist_percentile(q) returns the nearest-rank
 * percentile (the smallest recorded value v with at least q% of the samples
 * <= v), approximated by the midpoint of v's bucket clamped to [min, max],
 * so its relative error is at most half a bucket width: 1/256 of the value.
 * q = 0 (and any rank 1) returns the exact min, q = 100 (and any rank
 * count) the exact max; an empty histogram gives 0.
 *
 * Invariants: count == sum of bucket[]; min <= max when count > 0;
 * buckets tile [0, UINT64_MAX] with no gap or overlap, and bucket b >= 256
 * has width 2^(b/128 - 1) <= lo/128.  sum is a double: the mean is exact
 * while the total stays below 2^53 (about 2.5 simulated hours in ps) and
 * within 1 ulp relative per sample beyond.
 *
 * Reference: G. Tene, HdrHistogram (http://hdrhistogram.org/), the
 * sub-bucket layout; nearest-rank percentile = Hyndman & Fan (1996)
 * definition 1, the inverse of the empirical CDF. */
#include "model/hist.h"

#include <assert.h>
#include <math.h>
#include <string.h>

void hist_init(hist_t *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void hist_merge(hist_t *dst, const hist_t *src)
{
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    for (unsigned b = 0; b < HIST_BUCKETS; b++)
        dst->bucket[b] += src->bucket[b];
}

double hist_mean(const hist_t *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}

unsigned hist_bucket_of(uint64_t v)
{
    return hist_bucket_of_(v);
}

void hist_bucket_range(unsigned b, uint64_t *lo, uint64_t *hi)
{
    assert(b < HIST_BUCKETS && "hist_bucket_range: bucket out of range");
    if (b >= HIST_BUCKETS)
        b = HIST_BUCKETS - 1;
    if (b < HIST_SUB_COUNT) {
        *lo = *hi = b;
        return;
    }
    unsigned shift = (b >> HIST_SUB_BITS) - 1;
    uint64_t sub = b & (HIST_SUB_COUNT - 1);
    *lo = (HIST_SUB_COUNT + sub) << shift;
    *hi = *lo + ((UINT64_C(1) << shift) - 1);
}

/* Nearest rank of q in 1..count: ceil(q/100 * count).  The product is
 * shrunk by a relative 1e-12 first so that a q with a short decimal
 * expansion (99.9) whose binary rounding lands just above an integer rank
 * does not round up to the next sample. */
static uint64_t nearest_rank(double q, uint64_t count)
{
    double x = q * (double)count / 100.0;
    double r = ceil(x - x * 1e-12);
    if (!(r >= 1.0))
        return 1;
    if (r >= (double)count)
        return count;
    return (uint64_t)r;
}

/* Index of the bucket holding the rank-th smallest sample. */
static unsigned bucket_of_rank(const hist_t *h, uint64_t rank)
{
    uint64_t seen = 0;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        seen += h->bucket[b];
        if (seen >= rank)
            return b;
    }
    return HIST_BUCKETS - 1; /* unreachable while count == sum of buckets */
}

uint64_t hist_percentile(const hist_t *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0.0)) /* also NaN */
        return h->min;
    if (q >= 100.0)
        return h->max;
    uint64_t rank = nearest_rank(q, h->count);
    if (rank == 1)
        return h->min;
    if (rank == h->count)
        return h->max;
    uint64_t lo, hi;
    hist_bucket_range(bucket_of_rank(h, rank), &lo, &hi);
    uint64_t mid = lo + (hi - lo) / 2;
    if (mid < h->min)
        return h->min;
    if (mid > h->max)
        return h->max;
    return mid;
}
