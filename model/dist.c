/* model/dist: random variates and their exact moments (model/dist.h).
 *
 * Contract: constructors validate every parameter (finite, in range) and
 * return -1 leaving *d untouched when one is bad; on success they overwrite
 * *d whole (call dist_free() first on an empirical one) and dist_sample()
 * draws in O(1) (Zipf: O(1) expected, rejection-inversion).  dist_mean()
 * and dist_second_moment() are closed forms of the configured distribution;
 * for Zipf they are ratios of generalised harmonic numbers, summed exactly
 * for n <= 1e5 and by Euler-Maclaurin beyond (relative error ~1e-15).
 * Samples are a deterministic function of the rng state; they go through
 * libm (log, exp, cos, log1p, expm1), so bit-identity across different libm
 * implementations is not promised, only across runs on one host.
 *
 * Parameters per kind (fields a, b, p of dist_t):
 *   constant     a = value
 *   exponential  a = mean
 *   uniform      a = lo, b = hi
 *   lognormal    a = mean, b = sigma, p = mu = ln(mean) - sigma^2/2
 *   bimodal      p = P(a), a, b
 *   zipf         a = theta, b = n (exact in a double, n <= 2^53),
 *                z[0] = H(1.5) - 1, z[1] = H(n + 0.5), z[2] = s, the squeeze
 *                bound of zipf_sample(); H is zipf_hint()
 *   empirical    values[0..n), a = mean, b = E[X^2] (computed once)
 *
 * Invariants: values != NULL iff kind == DIST_EMPIRICAL (and then owned);
 * every configured parameter is finite (derived moments may overflow to
 * inf, e.g. lognormal E[X^2] for sigma > 26, empirical values > 1e154).
 *
 * References:
 *   - W. Hoermann, G. Derflinger, "Rejection-inversion to generate variates
 *     from monotone discrete distributions", ACM TOMACS 6(3), 1996; the
 *     variant with H(x) = ((x)^(1-q) - 1)/(1-q), valid for every q > 0
 *     including 1, from Apache Commons RNG RejectionInversionZipfSampler
 *     (helper1 = log1p(x)/x, helper2 = expm1(x)/x with Taylor series near 0).
 *   - G. E. P. Box, M. E. Muller, "A note on the generation of random normal
 *     deviates", Ann. Math. Stat. 29(2), 1958.
 *   - Euler-Maclaurin summation (Abramowitz & Stegun 23.1.30) for the
 *     generalised harmonic numbers of a large Zipf n. */
#include "model/dist.h"

#include "model/rng.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.283185307179586476925286766559
#define ZIPF_N_MAX (UINT64_C(1) << 53) /* every rank exact in a double */

/* ---------------------------------------------------------------- helpers */

/* Start a dist of `kind` with every other field zero. */
static void dist_reset(dist_t *d, dist_kind_t kind)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
}

/* Neumaier's compensated sum: add x to (*sum, *c). */
static void sum_add(double *sum, double *c, double x)
{
    double t = *sum + x;
    if (!isfinite(t)) { /* overflow: keep inf, the compensation is moot */
        *sum = t;
        *c = 0;
        return;
    }
    if (fabs(*sum) >= fabs(x))
        *c += (*sum - t) + x;
    else
        *c += (x - t) + *sum;
    *sum = t;
}

/* log1p(x)/x, continuous at 0 (Commons RNG helper1). */
static double helper1(double x)
{
    if (fabs(x) > 1e-8)
        return log1p(x) / x;
    return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

/* expm1(x)/x, continuous at 0 (Commons RNG helper2). */
static double helper2(double x)
{
    if (fabs(x) > 1e-8)
        return expm1(x) / x;
    return 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}

/* ---------------------------------------------------------------- constructors */

int dist_constant(dist_t *d, double v)
{
    if (!isfinite(v))
        return -1;
    dist_reset(d, DIST_CONSTANT);
    d->a = v;
    return 0;
}

int dist_exponential(dist_t *d, double mean)
{
    if (!isfinite(mean) || !(mean > 0.0))
        return -1;
    dist_reset(d, DIST_EXPONENTIAL);
    d->a = mean;
    return 0;
}

int dist_uniform(dist_t *d, double lo, double hi)
{
    if (!isfinite(lo) || !isfinite(hi) || !(lo <= hi) || !isfinite(hi - lo))
        return -1;
    dist_reset(d, DIST_UNIFORM);
    d->a = lo;
    d->b = hi;
    return 0;
}

int dist_lognormal(dist_t *d, double mean, double sigma)
{
    if (!isfinite(mean) || !(mean > 0.0) || !isfinite(sigma) || !(sigma >= 0.0))
        return -1;
    double mu = log(mean) - 0.5 * sigma * sigma;
    if (!isfinite(mu))
        return -1;
    dist_reset(d, DIST_LOGNORMAL);
    d->a = mean;
    d->b = sigma;
    d->p = mu;
    return 0;
}

int dist_bimodal(dist_t *d, double p, double a, double b)
{
    if (!(p >= 0.0 && p <= 1.0) || !isfinite(a) || !isfinite(b))
        return -1;
    dist_reset(d, DIST_BIMODAL);
    d->p = p;
    d->a = a;
    d->b = b;
    return 0;
}

/* Zipf hat integral H(x) = (x^(1-theta) - 1) / (1 - theta), ln x at 1. */
static double zipf_hint(double theta, double x)
{
    double lx = log(x);
    return helper2((1.0 - theta) * lx) * lx;
}

/* Zipf hat h(x) = x^-theta. */
static double zipf_h(double theta, double x)
{
    return exp(-theta * log(x));
}

/* Inverse of zipf_hint. */
static double zipf_hint_inv(double theta, double x)
{
    double t = x * (1.0 - theta);
    if (t < -1.0) /* rounding can push t just below its bound */
        t = -1.0;
    return exp(helper1(t) * x);
}

int dist_zipf(dist_t *d, double theta, uint64_t n)
{
    if (!isfinite(theta) || !(theta >= 0.0) || n < 1 || n > ZIPF_N_MAX)
        return -1;
    dist_reset(d, DIST_ZIPF);
    d->a = theta;
    d->b = (double)n;
    d->z[0] = zipf_hint(theta, 1.5) - 1.0;
    d->z[1] = zipf_hint(theta, d->b + 0.5);
    d->z[2] = 2.0 - zipf_hint_inv(theta, zipf_hint(theta, 2.5) - zipf_h(theta, 2.0));
    return 0;
}

/* Take ownership of values[0..n) (all finite, n >= 1) and precompute the
 * moments. */
static void empirical_adopt(dist_t *d, double *values, size_t n)
{
    double s1 = 0, c1 = 0, s2 = 0, c2 = 0;
    for (size_t i = 0; i < n; i++) {
        sum_add(&s1, &c1, values[i]);
        sum_add(&s2, &c2, values[i] * values[i]);
    }
    dist_reset(d, DIST_EMPIRICAL);
    d->values = values;
    d->n = n;
    d->a = (s1 + c1) / (double)n;
    d->b = (s2 + c2) / (double)n;
}

int dist_empirical(dist_t *d, const double *values, size_t n)
{
    if (!values || n == 0 || n > SIZE_MAX / sizeof(double))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(values[i]))
            return -1;
    double *copy = malloc(n * sizeof *copy);
    if (!copy)
        return -1;
    memcpy(copy, values, n * sizeof *copy);
    empirical_adopt(d, copy, n);
    return 0;
}

void dist_free(dist_t *d)
{
    if (!d)
        return;
    free(d->values);
    d->values = NULL;
    d->n = 0;
}

/* ---------------------------------------------------------------- sampling */

/* Standard normal by Box-Muller, cosine branch only: exactly two draws per
 * variate, so a sample's rng consumption never depends on its value. */
static double normal01(rng_t *r)
{
    double u1 = 1.0 - rng_unit(r); /* (0, 1]: log is finite */
    double u2 = rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
}

/* Rejection-inversion (Commons RNG RejectionInversionZipfSampler.sample):
 * u is uniform on (H(1.5) - 1, H(n + 0.5)]; k = round(H^-1(u)) is accepted
 * at once when it is close enough to x (k - x <= s), else when u lies under
 * the histogram bar of k.  Expected iterations < 1.3 for any theta, n. */
static double zipf_sample(const dist_t *d, rng_t *r)
{
    const double theta = d->a, n = d->b;
    const double hx1 = d->z[0], hn = d->z[1], s = d->z[2];
    if (theta == 0.0)
        return (double)(rng_below(r, (uint64_t)n) + 1);
    for (;;) {
        double u = hn + rng_unit(r) * (hx1 - hn);
        double x = zipf_hint_inv(theta, u);
        double k = floor(x + 0.5);
        if (!(k >= 1.0)) /* also NaN */
            k = 1.0;
        else if (k > n)
            k = n;
        if (k - x <= s || u >= zipf_hint(theta, k + 0.5) - zipf_h(theta, k))
            return k;
    }
}

double dist_sample(const dist_t *d, struct rng *r)
{
    switch (d->kind) {
    case DIST_CONSTANT:
        return d->a;
    case DIST_EXPONENTIAL:
        return -d->a * log(rng_unit_pos(r)); /* U in (0, 1]: log is faster than log1p */
    case DIST_UNIFORM:
        return d->a + (d->b - d->a) * rng_unit(r);
    case DIST_LOGNORMAL:
        return exp(d->p + d->b * normal01(r));
    case DIST_BIMODAL:
        return rng_unit(r) < d->p ? d->a : d->b;
    case DIST_ZIPF:
        return zipf_sample(d, r);
    case DIST_EMPIRICAL:
        return d->values[rng_below(r, d->n)];
    default:
        assert(!"dist_sample: bad kind");
        return NAN;
    }
}

/* ---------------------------------------------------------------- moments */

#define HARMONIC_DIRECT_MAX 100000.0 /* sum term by term up to this n */
#define HARMONIC_EM_HEAD 1000.0      /* Euler-Maclaurin tail starts here */

/* sum_{k=a}^{b} k^-s term by term (compensated). */
static double harmonic_direct(double a, double b, double s)
{
    double sum = 0, c = 0;
    for (double k = b; k >= a; k--) /* smallest terms first when s > 0 */
        sum_add(&sum, &c, pow(k, -s));
    return sum + c;
}

/* sum_{k=m}^{n} k^-s by Euler-Maclaurin with the B2, B4, B6 corrections:
 * integral + (f(m) + f(n))/2 + sum_j B2j/(2j)! (f^(2j-1)(n) - f^(2j-1)(m)).
 * With m = 1000 the remainder is below |B8/8!| |f^(7)(m)|, i.e. about
 * 1e-6 * |s (s+1) ... (s+6)| m^(-s-7): far below a double's resolution
 * of the sum for every theta a model will use (and exact when s is a
 * non-positive integer, f being a polynomial of degree <= 2). */
static double harmonic_em_tail(double m, double n, double s)
{
    double l = log(n / m);
    double integral = pow(m, 1.0 - s) * l * helper2((1.0 - s) * l);
    double ends = 0.5 * (pow(m, -s) + pow(n, -s));
    double p1 = -s, p3 = p1 * (s + 1) * (s + 2), p5 = p3 * (s + 3) * (s + 4);
    double d1 = p1 * (pow(n, -s - 1) - pow(m, -s - 1));
    double d3 = p3 * (pow(n, -s - 3) - pow(m, -s - 3));
    double d5 = p5 * (pow(n, -s - 5) - pow(m, -s - 5));
    return integral + ends + d1 / 12.0 - d3 / 720.0 + d5 / 30240.0;
}

/* Generalised harmonic number H(n, s) = sum_{k=1}^{n} k^-s, any real s:
 * exact summation for n <= HARMONIC_DIRECT_MAX, Euler-Maclaurin beyond. */
static double harmonic(double n, double s)
{
    if (n <= HARMONIC_DIRECT_MAX)
        return harmonic_direct(1.0, n, s);
    double head = harmonic_direct(1.0, HARMONIC_EM_HEAD - 1.0, s);
    return head + harmonic_em_tail(HARMONIC_EM_HEAD, n, s);
}

/* E[K^j] = H(n, theta - j) / H(n, theta). */
static double zipf_moment(const dist_t *d, int j)
{
    return harmonic(d->b, d->a - j) / harmonic(d->b, d->a);
}

double dist_mean(const dist_t *d)
{
    switch (d->kind) {
    case DIST_CONSTANT:
    case DIST_EXPONENTIAL:
    case DIST_LOGNORMAL:
    case DIST_EMPIRICAL:
        return d->a;
    case DIST_UNIFORM:
        return 0.5 * (d->a + d->b);
    case DIST_BIMODAL:
        return d->p * d->a + (1.0 - d->p) * d->b;
    case DIST_ZIPF:
        return zipf_moment(d, 1);
    default:
        assert(!"dist_mean: bad kind");
        return NAN;
    }
}

double dist_second_moment(const dist_t *d)
{
    switch (d->kind) {
    case DIST_CONSTANT:
        return d->a * d->a;
    case DIST_EXPONENTIAL:
        return 2.0 * d->a * d->a;
    case DIST_UNIFORM:
        return (d->a * d->a + d->a * d->b + d->b * d->b) / 3.0;
    case DIST_LOGNORMAL: /* E[X^2] = exp(2 mu + 2 sigma^2) = mean^2 e^(sigma^2) */
        return d->a * d->a * exp(d->b * d->b);
    case DIST_BIMODAL:
        return d->p * d->a * d->a + (1.0 - d->p) * d->b * d->b;
    case DIST_ZIPF:
        return zipf_moment(d, 2);
    case DIST_EMPIRICAL:
        return d->b;
    default:
        assert(!"dist_second_moment: bad kind");
        return NAN;
    }
}

const char *dist_kind_name(dist_kind_t k)
{
    static const char *const names[DIST_KIND_COUNT] = {
        [DIST_CONSTANT] = "constant",       [DIST_EXPONENTIAL] = "exponential",
        [DIST_UNIFORM] = "uniform",         [DIST_LOGNORMAL] = "lognormal",
        [DIST_BIMODAL] = "bimodal",         [DIST_ZIPF] = "zipf",
        [DIST_EMPIRICAL] = "empirical",
    };
    if ((unsigned)k >= DIST_KIND_COUNT)
        return "unknown";
    return names[k];
}

/* ---------------------------------------------------------------- empirical file
 *
 * Format: lines of text, read with getline() so any length works.  Per line:
 * surrounding white space (including a CR of CRLF files) is ignored; blank
 * lines and lines whose first non-blank character is '#' are skipped; the
 * value is the first comma-separated field, optionally in double quotes,
 * parsed by strtod() (C locale) and required to be finite and to fill the
 * whole field.  The first line that is neither blank nor a comment may be a
 * header: it is skipped when its first field is not a number at all (a
 * non-finite number such as "nan" is an error, never a header).  Messages
 * quote at most 40 bytes of the offending field, non-printable bytes as '?'. */

/* State of one dist_empirical_load() call. */
typedef struct loader {
    const char *path;
    char *err;
    size_t errlen;
    size_t lineno;      /* 1-based number of the line being parsed */
    bool seen_content;  /* a non-blank, non-comment line was seen */
    double *values;     /* growing array, owned until adopted */
    size_t n, cap;
} loader_t;

/* Write "path[:line]: message" into the caller's buffer; returns -1. */
static int load_error(const loader_t *L, bool with_line, const char *fmt, ...)
{
    if (!L->err || L->errlen == 0)
        return -1;
    int used = with_line ? snprintf(L->err, L->errlen, "%s:%zu: ", L->path, L->lineno)
                         : snprintf(L->err, L->errlen, "%s: ", L->path);
    if (used >= 0 && (size_t)used < L->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err + used, L->errlen - (size_t)used, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A short, printable, single-line rendering of a field for a message. */
static void quote_field(const char *f, size_t len, char *out, size_t outlen)
{
    enum { SHOW = 40 };
    size_t o = 0;
    for (size_t i = 0; i < len && i < SHOW && o + 1 < outlen; i++) {
        unsigned char c = (unsigned char)f[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (len > SHOW && o + 4 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trim [*s, *s + *len) of surrounding white space. */
static void trim(char **s, size_t *len)
{
    while (*len && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

/* The first CSV field of a line (up to the first ','), trimmed, with one
 * pair of surrounding double quotes removed. */
static void first_field(char *line, size_t len, char **f, size_t *flen)
{
    char *comma = memchr(line, ',', len);
    *f = line;
    *flen = comma ? (size_t)(comma - line) : len;
    trim(f, flen);
    if (*flen >= 2 && (*f)[0] == '"' && (*f)[*flen - 1] == '"') {
        (*f)++;
        *flen -= 2;
        trim(f, flen);
    }
}

/* Parse a whole field as a number (C locale syntax of strtod).  The field
 * is NUL-terminated in place, which overwrites the character after it. */
static bool parse_number(char *f, size_t flen, double *v)
{
    if (flen == 0 || memchr(f, '\0', flen))
        return false;
    f[flen] = '\0';
    char *end;
    *v = strtod(f, &end); /* overflow gives +-HUGE_VAL, rejected later */
    return end == f + flen;
}

static int loader_push(loader_t *L, double v)
{
    if (L->n == L->cap) {
        size_t cap = L->cap ? 2 * L->cap : 256;
        if (cap > SIZE_MAX / sizeof(double))
            return load_error(L, true, "out of memory");
        double *nv = realloc(L->values, cap * sizeof *nv);
        if (!nv)
            return load_error(L, true, "out of memory");
        L->values = nv;
        L->cap = cap;
    }
    L->values[L->n++] = v;
    return 0;
}

/* Handle one line (len bytes, may hold NULs): skip it, keep its value, or
 * return -1 with the message written. */
static int load_line(loader_t *L, char *line, size_t len)
{
    char *s = line;
    size_t slen = len;
    trim(&s, &slen);
    if (slen == 0 || s[0] == '#')
        return 0;
    bool first = !L->seen_content;
    L->seen_content = true;
    char *f;
    size_t flen;
    first_field(s, slen, &f, &flen);
    char shown[64];
    quote_field(f, flen, shown, sizeof shown);
    double v;
    if (!parse_number(f, flen, &v))
        return first ? 0 : load_error(L, true, "expected a number, found \"%s\"", shown);
    if (!isfinite(v))
        return load_error(L, true, "value is not a finite number: \"%s\"", shown);
    return loader_push(L, v);
}

/* Read every line of f; 0 when the whole file was read. */
static int load_lines(loader_t *L, FILE *f)
{
    char *line = NULL;
    size_t linecap = 0;
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &linecap, f)) >= 0) {
        L->lineno++;
        rc = load_line(L, line, (size_t)got);
    }
    if (rc == 0 && !feof(f)) {
        int e = errno;
        L->lineno++;
        rc = load_error(L, true, "read error: %s", strerror(e));
    }
    free(line);
    return rc;
}

int dist_empirical_load(dist_t *d, const char *path, char *err, size_t errlen)
{
    loader_t L = {.path = path ? path : "(null)", .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    if (!path)
        return load_error(&L, false, "no file name given");
    FILE *f = fopen(path, "r");
    if (!f)
        return load_error(&L, false, "%s", strerror(errno));
    int rc = load_lines(&L, f);
    fclose(f);
    if (rc == 0 && L.n == 0)
        rc = load_error(&L, false, "no values found in %zu line%s", L.lineno,
                        L.lineno == 1 ? "" : "s");
    if (rc != 0) {
        free(L.values);
        return -1;
    }
    double *fit = realloc(L.values, L.n * sizeof *fit); /* give back slack */
    empirical_adopt(d, fit ? fit : L.values, L.n);
    return 0;
}
