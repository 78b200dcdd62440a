/* model/hist: latency histogram, HdrHistogram-style log-linear buckets.
 *
 * Values are uint64 (parasim records picoseconds).  Values below 2^HIST_SUB_BITS
 * get a bucket each; above, every power of two [2^e, 2^(e+1)) is split into
 * 2^HIST_SUB_BITS linear sub-buckets, so a bucket's width is at most
 * 1/128 of its lower bound: any reported percentile is within 0.4% of an
 * exact sample value (the bucket midpoint is reported, clamped to the
 * observed min/max).  The whole uint64 range is covered, which includes the
 * required 1 ns .. 1000 s (1e3 .. 1e15 ps).
 *
 * hist_record() is O(1) (a count-leading-zeros and an increment);
 * hist_merge() adds two histograms bucket by bucket; percentiles walk the
 * buckets (O(buckets), for reporting).  Percentiles use the nearest-rank
 * definition: the smallest recorded value v such that at least q% of the
 * samples are <= v. */
#ifndef PARASIM_MODEL_HIST_H
#define PARASIM_MODEL_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB_COUNT)

typedef struct hist {
    uint64_t count;
    uint64_t min, max;      /* exact; min = UINT64_MAX when empty */
    double sum;             /* for the exact mean */
    uint64_t bucket[HIST_BUCKETS];
} hist_t;

void hist_init(hist_t *h);
static inline void hist_record(hist_t *h, uint64_t v);
void hist_merge(hist_t *dst, const hist_t *src);
double hist_mean(const hist_t *h);                  /* 0 when empty */
uint64_t hist_percentile(const hist_t *h, double q); /* q in [0,100]; 0 when empty */

/* Bucket index of v, and the [lo, hi] value range a bucket holds
 * (exposed for tests and for exporting the distribution). */
unsigned hist_bucket_of(uint64_t v);
void hist_bucket_range(unsigned b, uint64_t *lo, uint64_t *hi); /* b < HIST_BUCKETS */

/* Inline fast path (every simulated request records a latency).
 * Bucket of v: v itself below 2^HIST_SUB_BITS; otherwise, with e the index
 * of v's top bit, group e - HIST_SUB_BITS + 1 and sub-bucket the
 * HIST_SUB_BITS bits below the top bit. */
static inline unsigned hist_msb_(uint64_t v) /* v != 0 */
{
#if defined(__GNUC__) || defined(__clang__)
    return 63u - (unsigned)__builtin_clzll(v);
#else
    unsigned e = 0;
    while (v >>= 1)
        e++;
    return e;
#endif
}

static inline unsigned hist_bucket_of_(uint64_t v)
{
    if (v < HIST_SUB_COUNT)
        return (unsigned)v;
    unsigned e = hist_msb_(v);
    unsigned shift = e - HIST_SUB_BITS;
    unsigned sub = (unsigned)(v >> shift) - HIST_SUB_COUNT;
    return ((shift + 1) << HIST_SUB_BITS) + sub;
}

static inline void hist_record(hist_t *h, uint64_t v)
{
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->bucket[hist_bucket_of_(v)]++;
}

#endif
