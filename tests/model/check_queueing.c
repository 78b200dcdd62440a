/* tests/model/check_queueing: model/queueing against independent results.
 *
 * Every expectation is computed here a different way from the code under
 * test: closed forms derived by hand (M/M/1, Erlang C for c = 1 and 2,
 * Pollaczek-Khinchine), the textbook Erlang C sum, a Simpson integration of
 * the waiting-time density convolved with the service tail, or reference
 * values quoted in the project's issue (M/M/1 and M/M/16 p99 at rho = 0.9). */
#include "tests/check_main.h"

#include <math.h>

#include "model/queueing.h"

/* Relative closeness, |got - want| <= rtol * |want| (or atol near 0). */
static int close_to(double got, double want, double rtol)
{
    return fabs(got - want) <= rtol * fabs(want) + 1e-300;
}

#define ck_close(got, want, rtol)                                         \
    ck_assert_msg(close_to((got), (want), (rtol)),                        \
                  "%s = %.17g, expected %.17g (rtol %g)", #got,           \
                  (double)(got), (double)(want), (double)(rtol))

/* ------------------------------------------------------------ Erlang C */

/* Textbook form: C = T / (sum_{k<c} a^k/k! + T), T = a^c/c! * c/(c-a).
 * Terms built iteratively (a^k/k! = prev * a/k); fine for c <= 30. */
static double erlang_c_sum(unsigned c, double a)
{
    double term = 1.0, sum = 0.0;
    for (unsigned k = 0; k < c; k++) {
        sum += term;
        term *= a / (double)(k + 1);
    }
    double top = term * (double)c / ((double)c - a);
    return top / (sum + top);
}

START_TEST(test_erlang_c_one_server_is_rho)
{
    /* M/M/1: an arrival waits iff the server is busy, P = rho = a. */
    const double as[] = { 0.0, 0.1, 0.5, 0.9, 0.999 };
    for (size_t i = 0; i < sizeof as / sizeof as[0]; i++)
        ck_assert(fabs(model_erlang_c(1, as[i]) - as[i]) < 1e-15);
}
END_TEST

START_TEST(test_erlang_c_two_servers_matches_closed_form)
{
    /* M/M/2 by hand: P0 = [1 + a + a^2/(2 - a)]^-1 and
     * C = a^2/(2 - a) * P0 = a^2 / ((1 + a)(2 - a) + a^2) = a^2 / (2 + a). */
    for (double a = 0.05; a < 2.0; a += 0.05)
        ck_close(model_erlang_c(2, a), a * a / (2.0 + a), 1e-13);
}
END_TEST

START_TEST(test_erlang_c_matches_textbook_sum)
{
    const unsigned cs[] = { 1, 2, 3, 4, 8, 16, 24, 30 };
    const double rhos[] = { 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99 };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (size_t j = 0; j < sizeof rhos / sizeof rhos[0]; j++) {
            double a = rhos[j] * cs[i];
            ck_close(model_erlang_c(cs[i], a), erlang_c_sum(cs[i], a), 1e-11);
        }
}
END_TEST

START_TEST(test_erlang_c_stays_a_probability_for_many_servers)
{
    /* The sum form overflows (a^c/c!) here; the recurrence must not. */
    double p = model_erlang_c(5000, 0.99 * 5000);
    ck_assert(isfinite(p) && p > 0.0 && p < 1.0);
}
END_TEST

/* ------------------------------------------------------------ M/M/1 */

START_TEST(test_mm1_sojourn_quantile_is_closed_form)
{
    /* Sojourn ~ Exp(mu - lambda): t_q = -ln(1 - q) / (mu - lambda). */
    const double rhos[] = { 0.1, 0.5, 0.8, 0.9, 0.99 };
    const double qs[] = { 0.5, 0.9, 0.99, 0.999, 0.9999 };
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++) {
            double mu = 2.0, lambda = rhos[i] * mu;
            ck_close(model_mmc_sojourn_quantile(1, lambda, mu, qs[j]),
                     -log(1.0 - qs[j]) / (mu - lambda), 1e-10);
        }
}
END_TEST

START_TEST(test_mm1_p99_at_rho_0_9_is_46_05_service_times)
{
    /* The reference value: 46.05 mean service times (mu = 1). */
    double p99 = model_mmc_sojourn_quantile(1, 0.9, 1.0, 0.99);
    ck_assert_msg(fabs(p99 - 46.05) < 0.005, "p99 = %.6f", p99);
}
END_TEST

START_TEST(test_mm1_sojourn_mean_is_one_over_mu_minus_lambda)
{
    ck_close(model_mmc_sojourn_mean(1, 0.9, 1.0), 10.0, 1e-12);
    ck_close(model_mmc_sojourn_mean(1, 3.0, 4.0), 1.0, 1e-12);
    ck_close(model_mmc_wait_mean(1, 3.0, 4.0), 0.75, 1e-12); /* rho/(mu-l) */
}
END_TEST

START_TEST(test_mm1_ccdf_is_exponential)
{
    for (double t = 0.0; t < 50.0; t += 2.5)
        ck_close(model_mmc_sojourn_ccdf(1, 0.7, 1.0, t), exp(-0.3 * t), 1e-12);
}
END_TEST

/* ------------------------------------------------------------ M/M/c */

START_TEST(test_mm16_p99_at_rho_0_9_is_5_270_service_times)
{
    /* The reference value, to 3 decimals. */
    double p99 = model_mmc_sojourn_quantile(16, 0.9 * 16, 1.0, 0.99);
    ck_assert_msg(fabs(p99 - 5.270) < 0.0005, "p99 = %.6f", p99);
}
END_TEST

START_TEST(test_mmc_quantile_scales_with_time_unit)
{
    /* Rates per ns vs per us: the same queue, times 1000x apart. */
    double us = model_mmc_sojourn_quantile(4, 3.2, 1.0, 0.999);
    double ns = model_mmc_sojourn_quantile(4, 3.2e-3, 1e-3, 0.999);
    ck_close(ns, 1000.0 * us, 1e-10);
}
END_TEST

START_TEST(test_mmc_wait_mean_is_erlang_c_over_alpha)
{
    /* M/M/2, a = 1.5: C = 2.25/3.5, Wq = C/(2 mu - lambda). */
    double c2 = 2.25 / 3.5;
    ck_close(model_mmc_wait_mean(2, 1.5, 1.0), c2 / 0.5, 1e-13);
    ck_close(model_mmc_sojourn_mean(2, 1.5, 1.0), c2 / 0.5 + 1.0, 1e-13);
}
END_TEST

/* P(W + S > t) by integration: W has an atom 1 - C at 0 and density
 * C alpha e^{-alpha w}; S ~ Exp(mu).  Conditioning on W = w:
 *   P = (1-C) e^{-mu t} + C [ int_0^t alpha e^{-alpha w} e^{-mu (t-w)} dw
 *                             + e^{-alpha t} ]
 * with the integral by composite Simpson, n = 2000 panels. */
static double ccdf_by_simpson(unsigned c, double lambda, double mu, double t)
{
    double pw = erlang_c_sum(c, lambda / mu);
    double alpha = c * mu - lambda;
    const int n = 2000;
    double h = t / n, s = 0.0;
    for (int i = 0; i <= n; i++) {
        double w = i * h;
        double f = alpha * exp(-alpha * w) * exp(-mu * (t - w));
        s += f * ((i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0));
    }
    double integral = s * h / 3.0;
    return (1.0 - pw) * exp(-mu * t) + pw * (integral + exp(-alpha * t));
}

START_TEST(test_mmc_ccdf_matches_numerical_convolution)
{
    static const struct { unsigned c; double rho; const char *what; } cases[] = {
        { 2, 0.7, "alpha > mu" },
        { 4, 0.9, "alpha < mu" },
        { 16, 0.9, "alpha < mu, many servers" },
        { 8, 0.5, "alpha >> mu" },
    };
    const double ts[] = { 0.1, 0.5, 1.0, 2.0, 5.0, 10.0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t j = 0; j < sizeof ts / sizeof ts[0]; j++) {
            double mu = 1.0, lambda = cases[i].rho * cases[i].c * mu;
            double got = model_mmc_sojourn_ccdf(cases[i].c, lambda, mu, ts[j]);
            double want = ccdf_by_simpson(cases[i].c, lambda, mu, ts[j]);
            ck_assert_msg(close_to(got, want, 1e-9), "%s t=%g: %.15g vs %.15g",
                          cases[i].what, ts[j], got, want);
        }
}
END_TEST

START_TEST(test_mmc_ccdf_continuous_where_alpha_equals_mu)
{
    /* M/M/2 with lambda = mu has alpha = 2 mu - lambda = mu exactly.  The
     * limit: P(W'+S > t) = (1 + mu t) e^{-mu t}, and C(2, 1) = 1/3. */
    const double mu = 1.0, c2 = 1.0 / 3.0;
    const double ts[] = { 0.01, 0.5, 1.0, 3.0, 10.0, 40.0 };
    for (size_t j = 0; j < sizeof ts / sizeof ts[0]; j++) {
        double t = ts[j];
        double lim = (1.0 - c2) * exp(-mu * t) + c2 * (1.0 + mu * t) * exp(-mu * t);
        ck_close(model_mmc_sojourn_ccdf(2, mu, mu, t), lim, 1e-14);
        /* The true value moves O(delta) away from the limit, so the
         * tolerance is a few delta; a cancelling formula is off by
         * ~1e-16/delta and fails the 1e-13 case. */
        const double deltas[] = { 1e-9, 1e-13 };
        for (size_t k = 0; k < 2; k++) {
            double d = deltas[k];
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                double got = model_mmc_sojourn_ccdf(2, mu * (1.0 + sgn * d), mu, t);
                ck_assert_msg(close_to(got, lim, 20.0 * d * (1.0 + t * t)),
                              "t=%g delta=%g: %.17g vs limit %.17g",
                              t, sgn * d, got, lim);
            }
        }
    }
}
END_TEST

START_TEST(test_mmc_ccdf_starts_at_one_and_decreases)
{
    double prev = model_mmc_sojourn_ccdf(3, 2.4, 1.0, 0.0);
    ck_assert(prev == 1.0);
    for (double t = 0.25; t < 60.0; t += 0.25) {
        double p = model_mmc_sojourn_ccdf(3, 2.4, 1.0, t);
        ck_assert(p <= prev && p >= 0.0);
        prev = p;
    }
}
END_TEST

START_TEST(test_mmc_quantile_inverts_ccdf)
{
    const double qs[] = { 0.01, 0.5, 0.9, 0.99, 0.99999 };
    for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
        double t = model_mmc_sojourn_quantile(8, 6.0, 1.0, qs[j]);
        ck_close(model_mmc_sojourn_ccdf(8, 6.0, 1.0, t), 1.0 - qs[j], 1e-9);
    }
}
END_TEST

/* ------------------------------------------------------------ M/D/1, M/G/1, M/G/c */

START_TEST(test_md1_mean_is_pollaczek_khinchine_with_es2_d2)
{
    /* P-K: E[T] = D + lambda D^2 / (2 (1 - lambda D)); D = 2, lambda = 0.3
     * gives rho = 0.6 and E[T] = 2 + 1.2 / 0.8 = 3.5. */
    ck_close(model_md1_sojourn_mean(0.3, 2.0), 3.5, 1e-14);
    ck_close(model_md1_sojourn_mean(0.3, 2.0), model_mg1_sojourn_mean(0.3, 2.0, 4.0), 1e-14);
    /* Deterministic service halves M/M/1's queueing delay. */
    double wq_md1 = model_md1_sojourn_mean(0.9, 1.0) - 1.0;
    ck_close(wq_md1, 0.5 * (10.0 - 1.0), 1e-12);
}
END_TEST

START_TEST(test_mg1_exponential_service_equals_mm1)
{
    /* Exp(mu): E[S] = 1/mu, E[S^2] = 2/mu^2; M/M/1 mean is 1/(mu - lambda). */
    const double rhos[] = { 0.1, 0.5, 0.9, 0.99 };
    for (size_t i = 0; i < 4; i++) {
        double mu = 0.25, lambda = rhos[i] * mu;
        ck_close(model_mg1_sojourn_mean(lambda, 1.0 / mu, 2.0 / (mu * mu)),
                 1.0 / (mu - lambda), 1e-12);
    }
}
END_TEST

START_TEST(test_mgc_approx_exact_for_exponential_service)
{
    /* Cs^2 = 1 makes Allen-Cunneen's factor (1 + Cs^2)/2 = 1: exact M/M/c. */
    const unsigned cs[] = { 1, 2, 4, 16 };
    for (size_t i = 0; i < 4; i++) {
        double mu = 1.0, lambda = 0.85 * cs[i];
        double want = erlang_c_sum(cs[i], lambda / mu) / (cs[i] * mu - lambda)
                      + 1.0 / mu;
        ck_close(model_mgc_sojourn_mean_approx(cs[i], lambda, 1.0, 2.0), want, 1e-11);
    }
}
END_TEST

START_TEST(test_mgc_approx_with_one_server_is_pollaczek_khinchine)
{
    /* c = 1: rho/(mu-lambda) * E[S^2]/(2 E[S]^2) = lambda E[S^2]/(2(1-rho)). */
    ck_close(model_mgc_sojourn_mean_approx(1, 0.3, 2.0, 4.0), 3.5, 1e-13);
    ck_close(model_mgc_sojourn_mean_approx(1, 0.1, 1.0, 10.0),
             1.0 + 0.1 * 10.0 / (2.0 * 0.9), 1e-13);
}
END_TEST

/* ------------------------------------------------------------ invalid input */

START_TEST(test_unstable_queue_gives_nan)
{
    ck_assert(isnan(model_erlang_c(4, 4.0)));
    ck_assert(isnan(model_erlang_c(4, 5.0)));
    ck_assert(isnan(model_mmc_wait_mean(1, 1.0, 1.0)));
    ck_assert(isnan(model_mmc_sojourn_mean(2, 2.5, 1.0)));
    ck_assert(isnan(model_mmc_sojourn_ccdf(16, 16.0, 1.0, 1.0)));
    ck_assert(isnan(model_mmc_sojourn_quantile(1, 1.0, 1.0, 0.99)));
    ck_assert(isnan(model_md1_sojourn_mean(0.5, 2.0)));
    ck_assert(isnan(model_mg1_sojourn_mean(1.0, 1.0, 2.0)));
    ck_assert(isnan(model_mgc_sojourn_mean_approx(2, 2.0, 1.0, 2.0)));
}
END_TEST

START_TEST(test_invalid_arguments_give_nan)
{
    /* c = 0 */
    ck_assert(isnan(model_erlang_c(0, 0.5)));
    ck_assert(isnan(model_mmc_sojourn_mean(0, 0.5, 1.0)));
    ck_assert(isnan(model_mmc_sojourn_quantile(0, 0.5, 1.0, 0.5)));
    ck_assert(isnan(model_mgc_sojourn_mean_approx(0, 0.5, 1.0, 2.0)));
    /* lambda < 0, mu <= 0, non-finite */
    ck_assert(isnan(model_erlang_c(2, -0.1)));
    ck_assert(isnan(model_mmc_wait_mean(2, -0.1, 1.0)));
    ck_assert(isnan(model_mmc_wait_mean(2, 0.5, 0.0)));
    ck_assert(isnan(model_mmc_wait_mean(2, 0.5, -1.0)));
    ck_assert(isnan(model_mmc_sojourn_ccdf(2, NAN, 1.0, 1.0)));
    ck_assert(isnan(model_mmc_sojourn_ccdf(2, 0.5, INFINITY, 1.0)));
    ck_assert(isnan(model_mmc_sojourn_ccdf(2, 0.5, 1.0, NAN)));
    ck_assert(isnan(model_md1_sojourn_mean(-0.1, 1.0)));
    ck_assert(isnan(model_md1_sojourn_mean(0.1, 0.0)));
    ck_assert(isnan(model_mg1_sojourn_mean(0.1, 0.0, 1.0)));
    ck_assert(isnan(model_mg1_sojourn_mean(0.1, 1.0, 0.5))); /* Var < 0 */
    /* q outside (0, 1) */
    const double bad_q[] = { 0.0, 1.0, -0.5, 1.5, NAN, INFINITY };
    for (size_t i = 0; i < sizeof bad_q / sizeof bad_q[0]; i++)
        ck_assert(isnan(model_mmc_sojourn_quantile(2, 1.0, 1.0, bad_q[i])));
}
END_TEST

START_TEST(test_zero_load_is_pure_service)
{
    /* lambda = 0 is valid: nobody waits, sojourn ~ Exp(mu). */
    ck_assert(model_erlang_c(3, 0.0) == 0.0);
    ck_close(model_mmc_sojourn_mean(3, 0.0, 2.0), 0.5, 1e-15);
    ck_close(model_mmc_sojourn_quantile(3, 0.0, 2.0, 0.99), -log(0.01) / 2.0, 1e-10);
}
END_TEST

static Suite *queueing_suite(void)
{
    Suite *s = suite_create("model_queueing");
    TCase *tc;

    tc = tcase_create("erlang_c");
    tcase_add_test(tc, test_erlang_c_one_server_is_rho);
    tcase_add_test(tc, test_erlang_c_two_servers_matches_closed_form);
    tcase_add_test(tc, test_erlang_c_matches_textbook_sum);
    tcase_add_test(tc, test_erlang_c_stays_a_probability_for_many_servers);
    suite_add_tcase(s, tc);

    tc = tcase_create("mm1");
    tcase_add_test(tc, test_mm1_sojourn_quantile_is_closed_form);
    tcase_add_test(tc, test_mm1_p99_at_rho_0_9_is_46_05_service_times);
    tcase_add_test(tc, test_mm1_sojourn_mean_is_one_over_mu_minus_lambda);
    tcase_add_test(tc, test_mm1_ccdf_is_exponential);
    suite_add_tcase(s, tc);

    tc = tcase_create("mmc");
    tcase_add_test(tc, test_mm16_p99_at_rho_0_9_is_5_270_service_times);
    tcase_add_test(tc, test_mmc_quantile_scales_with_time_unit);
    tcase_add_test(tc, test_mmc_wait_mean_is_erlang_c_over_alpha);
    tcase_add_test(tc, test_mmc_quantile_inverts_ccdf);
    suite_add_tcase(s, tc);

    tc = tcase_create("mmc_ccdf");
    tcase_add_test(tc, test_mmc_ccdf_matches_numerical_convolution);
    tcase_add_test(tc, test_mmc_ccdf_continuous_where_alpha_equals_mu);
    tcase_add_test(tc, test_mmc_ccdf_starts_at_one_and_decreases);
    suite_add_tcase(s, tc);

    tc = tcase_create("mg1_md1_mgc");
    tcase_add_test(tc, test_md1_mean_is_pollaczek_khinchine_with_es2_d2);
    tcase_add_test(tc, test_mg1_exponential_service_equals_mm1);
    tcase_add_test(tc, test_mgc_approx_exact_for_exponential_service);
    tcase_add_test(tc, test_mgc_approx_with_one_server_is_pollaczek_khinchine);
    suite_add_tcase(s, tc);

    tc = tcase_create("invalid");
    tcase_add_test(tc, test_unstable_queue_gives_nan);
    tcase_add_test(tc, test_invalid_arguments_give_nan);
    tcase_add_test(tc, test_zero_load_is_pure_service);
    suite_add_tcase(s, tc);

    return s;
}

CHECK_MAIN(queueing_suite)
