/* model/queueing: closed-form queueing results (implements model/queueing.h).
 *
 * Contract: pure functions of their arguments, no state.  Rates lambda, mu
 * are in the caller's time unit and results come back in the same unit.
 * Every function returns NaN for an unstable queue (rho >= 1) or an invalid
 * argument: c == 0, lambda < 0, mu <= 0, a non-finite input, q outside
 * (0, 1), E[S] <= 0, or E[S^2] < E[S]^2 (negative variance).
 *
 * Numerics:
 *  - Erlang C from the Erlang B recurrence B(0) = 1,
 *    B(k) = a B(k-1) / (k + a B(k-1)), then C = c B / (c - a (1 - B)).
 *    Every step stays in [0, 1]: no factorials, no overflow, O(c).
 *  - M/M/c sojourn T = W + S: W is 0 with probability 1 - C, else
 *    Exp(alpha) with alpha = c mu - lambda; S ~ Exp(mu).  So
 *      P(T > t) = (1 - C) e^{-mu t} + C P(W' + S > t),
 *      P(W' + S > t) = (alpha e^{-mu t} - mu e^{-alpha t}) / (alpha - mu).
 *    That quotient cancels catastrophically as alpha -> mu (it happens at
 *    lambda = (c - 1) mu, e.g. M/M/2 at rho = 0.5).  Rewritten with
 *    d = alpha - mu it is e^{-mu t} (1 + mu t g(d t)), g(x) = -expm1(-x)/x,
 *    g(0) = 1, which is exact at d = 0 (the limit (1 + mu t) e^{-mu t}) and
 *    accurate for small |d t|; for |d t| >= 1 the two exponentials differ
 *    by a factor >= e, the original form does not cancel, and it avoids
 *    e^{|d| t} overflowing.
 *  - Quantiles: bracket [lo, hi] by doubling hi from 1/mu, then bisect on
 *    the CCDF until hi - lo <= 1e-12 hi.  The CCDF is continuous and
 *    strictly decreasing on t >= 0, so the root is unique.  Comparing the
 *    CCDF with 1 - q (not the CDF with q) keeps precision in the tail.
 *
 * References: Kleinrock, Queueing Systems Vol. 1 (1975), ch. 3 and 5;
 * Gross & Harris, Fundamentals of Queueing Theory (Erlang B recurrence);
 * Allen, Probability, Statistics and Queueing Theory (1990), Allen-Cunneen
 * approximation for M/G/c. */
#include "model/queueing.h"

#include <math.h>

#define QUANTILE_RTOL 1e-12
#define MAX_DOUBLINGS 2200 /* 1/mu * 2^2200 overflows to inf long before */
#define MAX_BISECTIONS 400

/* True when lambda and mu describe a stable M/M/c queue. */
static int mmc_valid(unsigned c, double lambda, double mu)
{
    if (c == 0 || !isfinite(lambda) || !isfinite(mu))
        return 0;
    if (!(lambda >= 0.0) || !(mu > 0.0))
        return 0;
    return lambda / ((double)c * mu) < 1.0;
}

double model_erlang_c(unsigned c, double a)
{
    if (c == 0 || !isfinite(a) || !(a >= 0.0) || !(a < (double)c))
        return NAN;
    double b = 1.0;
    for (unsigned k = 1; k <= c; k++)
        b = a * b / ((double)k + a * b);
    return (double)c * b / ((double)c - a * (1.0 - b));
}

double model_mmc_wait_mean(unsigned c, double lambda, double mu)
{
    if (!mmc_valid(c, lambda, mu))
        return NAN;
    double pw = model_erlang_c(c, lambda / mu);
    return pw / ((double)c * mu - lambda);
}

double model_mmc_sojourn_mean(unsigned c, double lambda, double mu)
{
    double wq = model_mmc_wait_mean(c, lambda, mu);
    return isnan(wq) ? NAN : wq + 1.0 / mu;
}

/* P(W' + S > t) for W' ~ Exp(alpha), S ~ Exp(mu), t >= 0 (hypoexponential
 * tail), robust when alpha == mu; see the file comment. */
static double hypoexp_ccdf(double alpha, double mu, double t)
{
    double d = alpha - mu;
    double x = d * t;
    if (fabs(x) < 1.0) {
        double g = (x == 0.0) ? 1.0 : -expm1(-x) / x;
        return exp(-mu * t) * (1.0 + mu * t * g);
    }
    return (alpha * exp(-mu * t) - mu * exp(-alpha * t)) / d;
}

/* CCDF for already-validated arguments; pw = C(c, lambda/mu). */
static double mmc_ccdf(unsigned c, double lambda, double mu, double pw,
                       double t)
{
    if (t <= 0.0)
        return 1.0;
    double alpha = (double)c * mu - lambda;
    double p = (1.0 - pw) * exp(-mu * t) + pw * hypoexp_ccdf(alpha, mu, t);
    /* rounding may step a hair outside [0, 1] */
    return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

double model_mmc_sojourn_ccdf(unsigned c, double lambda, double mu, double t)
{
    if (!mmc_valid(c, lambda, mu) || isnan(t))
        return NAN;
    return mmc_ccdf(c, lambda, mu, model_erlang_c(c, lambda / mu), t);
}

double model_mmc_sojourn_quantile(unsigned c, double lambda, double mu,
                                  double q)
{
    if (!mmc_valid(c, lambda, mu) || !(q > 0.0 && q < 1.0))
        return NAN;
    double pw = model_erlang_c(c, lambda / mu);
    double tail = 1.0 - q;
    double lo = 0.0, hi = 1.0 / mu;
    for (int i = 0; mmc_ccdf(c, lambda, mu, pw, hi) > tail; i++) {
        if (i >= MAX_DOUBLINGS || !isfinite(hi))
            return NAN;
        lo = hi;
        hi *= 2.0;
    }
    for (int i = 0; i < MAX_BISECTIONS && hi - lo > QUANTILE_RTOL * hi; i++) {
        double mid = lo + 0.5 * (hi - lo);
        if (mmc_ccdf(c, lambda, mu, pw, mid) > tail)
            lo = mid;
        else
            hi = mid;
    }
    return lo + 0.5 * (hi - lo);
}

double model_md1_sojourn_mean(double lambda, double d)
{
    if (!isfinite(lambda) || !isfinite(d) || !(lambda >= 0.0) || !(d > 0.0))
        return NAN;
    double rho = lambda * d;
    if (!(rho < 1.0))
        return NAN;
    return d + rho * d / (2.0 * (1.0 - rho));
}

/* E[S] and E[S^2] describe a service time: E[S] > 0 and Var >= 0.  The
 * variance check allows a relative 1e-9 of rounding so that a caller's
 * es2 = es * es computed another way is not rejected. */
static int moments_valid(double es, double es2)
{
    if (!isfinite(es) || !isfinite(es2) || !(es > 0.0))
        return 0;
    return es2 >= es * es * (1.0 - 1e-9);
}

double model_mg1_sojourn_mean(double lambda, double es, double es2)
{
    if (!isfinite(lambda) || !(lambda >= 0.0) || !moments_valid(es, es2))
        return NAN;
    double rho = lambda * es;
    if (!(rho < 1.0))
        return NAN;
    return es + lambda * es2 / (2.0 * (1.0 - rho));
}

double model_mgc_sojourn_mean_approx(unsigned c, double lambda, double es,
                                     double es2)
{
    if (!moments_valid(es, es2))
        return NAN;
    double wq = model_mmc_wait_mean(c, lambda, 1.0 / es);
    if (isnan(wq))
        return NAN;
    /* (1 + Cs^2) / 2 with Cs^2 = es2 / es^2 - 1 */
    return es + wq * es2 / (2.0 * es * es);
}
