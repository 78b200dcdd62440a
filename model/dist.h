/* model/dist: random variates for service times, inter-arrival times, key
 * ranks and sizes.
 *
 * A dist_t is built once (dist_constant(), dist_exponential(), ...) and then
 * sampled many times with dist_sample(r) in O(1).  Values are plain doubles
 * in whatever unit the caller uses (parasim uses nanoseconds for times and
 * 1-based ranks for Zipf).  dist_mean() and dist_second_moment() give the
 * exact moments of the distribution as configured (for the analytical
 * model), not sample estimates.
 *
 * Kinds:
 *   constant(v)              always v
 *   exponential(mean)        rate 1/mean
 *   uniform(lo, hi)          continuous on [lo, hi)
 *   lognormal(mean, sigma)   exp(N(mu, sigma^2)) with mu chosen so E[X]=mean
 *   bimodal(p, a, b)         a with probability p, else b
 *   zipf(theta, n)           rank k in 1..n with P(k) ~ 1/k^theta, theta >= 0,
 *                            sampled by rejection-inversion (Hoermann and
 *                            Derflinger 1996): O(1) set-up and O(1) expected
 *                            time per sample for any n (n up to 2^53)
 *   empirical(values)        one of the given values, each equally likely
 *                            (bootstrap resampling of a measured sample)
 *
 * Constructors return 0, or -1 when a parameter is out of range (they never
 * abort); dist_free() releases an empirical table and is safe on any dist. */
#ifndef PARASIM_MODEL_DIST_H
#define PARASIM_MODEL_DIST_H

#include <stddef.h>
#include <stdint.h>

struct rng;

typedef enum dist_kind {
    DIST_CONSTANT,
    DIST_EXPONENTIAL,
    DIST_UNIFORM,
    DIST_LOGNORMAL,
    DIST_BIMODAL,
    DIST_ZIPF,
    DIST_EMPIRICAL,
    DIST_KIND_COUNT
} dist_kind_t;

typedef struct dist {
    dist_kind_t kind;
    double a, b, p;   /* kind-specific parameters, see dist.c */
    double z[6];      /* zipf rejection-inversion constants */
    double *values;   /* empirical: owned array of n values */
    size_t n;         /* empirical: number of values */
} dist_t;

int dist_constant(dist_t *d, double v);
int dist_exponential(dist_t *d, double mean);           /* mean > 0 */
int dist_uniform(dist_t *d, double lo, double hi);      /* lo <= hi */
int dist_lognormal(dist_t *d, double mean, double sigma); /* mean > 0, sigma >= 0 */
int dist_bimodal(dist_t *d, double p, double a, double b); /* 0 <= p <= 1 */
int dist_zipf(dist_t *d, double theta, uint64_t n);     /* theta >= 0, 1 <= n <= 2^53 */
/* Copies `n` (>= 1) values; all must be finite. */
int dist_empirical(dist_t *d, const double *values, size_t n);

/* Load an empirical distribution from a text file: one value per line, or
 * CSV whose first column is the value; blank lines and lines starting with
 * '#' are skipped, and so is a first line that is not a number (a header).
 * On error returns -1 and writes one line into err naming the file, the
 * line number and what is wrong (missing file, not a number, no values). */
int dist_empirical_load(dist_t *d, const char *path, char *err, size_t errlen);

double dist_sample(const dist_t *d, struct rng *r);
double dist_mean(const dist_t *d);
double dist_second_moment(const dist_t *d); /* E[X^2] */
const char *dist_kind_name(dist_kind_t k);  /* "exponential", ... */
void dist_free(dist_t *d);

#endif
