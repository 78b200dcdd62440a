/* model/queueing: closed-form queueing results parasim validates against.
 *
 * Notation: arrival rate lambda and service rate mu in the same time unit
 * (the caller's: parasim passes per-nanosecond rates, so results are in ns);
 * c servers; rho = lambda / (c mu) must be < 1 for a stable queue, and every
 * function returns NaN when it is not (or when an argument is invalid).
 * "Sojourn" is waiting plus service: what a client measures end to end.
 *
 *   M/M/c (Erlang C): P(wait) = C(c, a) with a = lambda/mu; the waiting time
 *     is 0 with probability 1-C and Exp(c mu - lambda) otherwise; the sojourn
 *     CDF is that mixture convolved with the Exp(mu) service, and quantiles
 *     are found by bisection on it (relative tolerance 1e-12).  M/M/1 is c=1:
 *     sojourn ~ Exp(mu - lambda).
 *   M/D/1: mean sojourn D + rho D / (2 (1 - rho)).
 *   M/G/1 (Pollaczek-Khinchine): mean sojourn E[S] + lambda E[S^2] / (2 (1 - rho)).
 *   M/G/c (Allen-Cunneen approximation, flagged as such by callers):
 *     Wq ~= Wq(M/M/c) * (1 + Cs^2) / 2.
 *
 * References: Kleinrock, Queueing Systems Vol. 1 (1975), ch. 3 and 5;
 * Gross & Harris, Fundamentals of Queueing Theory; Allen, Probability,
 * Statistics and Queueing Theory (1990). */
#ifndef PARASIM_MODEL_QUEUEING_H
#define PARASIM_MODEL_QUEUEING_H

/* Erlang C: probability that an arrival waits, c servers, offered load a
 * (Erlangs, a < c).  Computed with the numerically stable Erlang B
 * recurrence, exact for c up to thousands. */
double model_erlang_c(unsigned c, double a);

double model_mmc_wait_mean(unsigned c, double lambda, double mu);
double model_mmc_sojourn_mean(unsigned c, double lambda, double mu);
/* P(sojourn > t) */
double model_mmc_sojourn_ccdf(unsigned c, double lambda, double mu, double t);
/* q-quantile of the sojourn time, q in (0, 1) (0.99 for p99). */
double model_mmc_sojourn_quantile(unsigned c, double lambda, double mu, double q);

double model_md1_sojourn_mean(double lambda, double d);
/* es = E[S], es2 = E[S^2] */
double model_mg1_sojourn_mean(double lambda, double es, double es2);
double model_mgc_sojourn_mean_approx(unsigned c, double lambda, double es, double es2);

#endif
