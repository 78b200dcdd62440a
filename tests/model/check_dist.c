/* tests/model/check_dist: model/dist against closed forms and exact pmfs.
 *
 * Expectations come from textbook formulas written out here (raw moments
 * of each distribution, the Zipf pmf 1/k^theta / H(n, theta) summed by
 * brute force in long double), never from the module's output.  Sample
 * moments are allowed 5 standard errors, computed from the exact fourth
 * moment; frequency tests use Pearson's chi-square with a generous bound.
 * Every run uses a fixed seed, so the outcome is deterministic. */
#include "tests/check_main.h"

#include "model/dist.h"
#include "model/rng.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SE_TOL 5.0

/* ---------------------------------------------------------------- helpers */

/* Raw moments E[X], E[X^2], E[X^4] of a configured distribution. */
typedef struct moments {
    double m1, m2, m4;
} moments_t;

/* Assert that the sample mean of X and of X^2 over n draws lie within
 * SE_TOL standard errors of m.m1 and m.m2. */
static void check_sample_moments(const dist_t *d, moments_t m, long n, const char *desc)
{
    rng_t r;
    rng_init(&r, 1234, rng_stream_id(desc));
    long double s1 = 0, s2 = 0;
    for (long i = 0; i < n; i++) {
        double x = dist_sample(d, &r);
        s1 += x;
        s2 += (long double)x * x;
    }
    double mean = (double)(s1 / n), mean2 = (double)(s2 / n);
    double se1 = sqrt((m.m2 - m.m1 * m.m1) / n);
    double se2 = sqrt((m.m4 - m.m2 * m.m2) / n);
    ck_assert_msg(fabs(mean - m.m1) <= SE_TOL * se1 + 1e-12 * fabs(m.m1),
                  "%s: sample mean %.6g, expected %.6g (se %.3g)", desc, mean, m.m1, se1);
    ck_assert_msg(fabs(mean2 - m.m2) <= SE_TOL * se2 + 1e-12 * fabs(m.m2),
                  "%s: sample E[X^2] %.6g, expected %.6g (se %.3g)", desc, mean2, m.m2, se2);
}

static void check_exact_moments(const dist_t *d, moments_t m, double rel, const char *desc)
{
    ck_assert_msg(fabs(dist_mean(d) - m.m1) <= rel * fabs(m.m1) + 1e-300,
                  "%s: dist_mean %.17g, expected %.17g", desc, dist_mean(d), m.m1);
    ck_assert_msg(fabs(dist_second_moment(d) - m.m2) <= rel * fabs(m.m2) + 1e-300,
                  "%s: dist_second_moment %.17g, expected %.17g", desc,
                  dist_second_moment(d), m.m2);
}

static moments_t exponential_moments(double mean)
{
    return (moments_t){mean, 2 * mean * mean, 24 * pow(mean, 4)};
}

static moments_t uniform_moments(double lo, double hi)
{
    /* E[X^k] = (hi^(k+1) - lo^(k+1)) / ((k+1)(hi - lo)) */
    return (moments_t){(lo + hi) / 2, (pow(hi, 3) - pow(lo, 3)) / (3 * (hi - lo)),
                       (pow(hi, 5) - pow(lo, 5)) / (5 * (hi - lo))};
}

static moments_t lognormal_moments(double mean, double sigma)
{
    /* E[X^k] = exp(k mu + k^2 sigma^2 / 2), mu = ln mean - sigma^2 / 2 */
    double mu = log(mean) - sigma * sigma / 2;
    return (moments_t){exp(mu + sigma * sigma / 2), exp(2 * mu + 2 * sigma * sigma),
                       exp(4 * mu + 8 * sigma * sigma)};
}

static moments_t bimodal_moments(double p, double a, double b)
{
    return (moments_t){p * a + (1 - p) * b, p * a * a + (1 - p) * b * b,
                       p * pow(a, 4) + (1 - p) * pow(b, 4)};
}

/* Brute-force Zipf moments: sums of k^(j - theta), k = 1..n, in long double. */
static moments_t zipf_moments(double theta, uint64_t n)
{
    long double h0 = 0, h1 = 0, h2 = 0, h4 = 0;
    for (uint64_t k = n; k >= 1; k--) {
        long double kk = (long double)k, t = powl(kk, -(long double)theta);
        h0 += t;
        h1 += t * kk;
        h2 += t * kk * kk;
        h4 += t * kk * kk * kk * kk;
    }
    return (moments_t){(double)(h1 / h0), (double)(h2 / h0), (double)(h4 / h0)};
}

/* Pearson chi-square of observed counts against probabilities p[0..k). */
static double chi_square(const long *obs, const double *p, int k, long n)
{
    double chi = 0;
    for (int i = 0; i < k; i++) {
        double e = p[i] * n;
        chi += (obs[i] - e) * (obs[i] - e) / e;
    }
    return chi;
}

/* Write text (len bytes) to a fresh temporary file; returns its path. */
static char *temp_file(const char *text, size_t len)
{
    char *path = strdup("/tmp/parasim_check_dist_XXXXXX");
    ck_assert_ptr_nonnull(path);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        ck_assert_int_gt(w, 0);
        off += (size_t)w;
    }
    close(fd);
    return path;
}

static char *temp_text(const char *text)
{
    return temp_file(text, strlen(text));
}

static void remove_temp(char *path)
{
    unlink(path);
    free(path);
}

/* ---------------------------------------------------------------- constructors */

START_TEST(test_constructors_reject_bad_parameters)
{
    dist_t d;
    const double nan = NAN, inf = INFINITY;
    ck_assert_int_eq(dist_constant(&d, nan), -1);
    ck_assert_int_eq(dist_constant(&d, inf), -1);
    ck_assert_int_eq(dist_exponential(&d, -1), -1);
    ck_assert_int_eq(dist_exponential(&d, 0), -1);
    ck_assert_int_eq(dist_exponential(&d, nan), -1);
    ck_assert_int_eq(dist_exponential(&d, inf), -1);
    ck_assert_int_eq(dist_uniform(&d, 2, 1), -1);
    ck_assert_int_eq(dist_uniform(&d, nan, 1), -1);
    ck_assert_int_eq(dist_uniform(&d, 0, inf), -1);
    ck_assert_int_eq(dist_uniform(&d, -1e308, 1e308), -1); /* width overflows */
    ck_assert_int_eq(dist_lognormal(&d, -1, 1), -1);
    ck_assert_int_eq(dist_lognormal(&d, 0, 1), -1);
    ck_assert_int_eq(dist_lognormal(&d, 1, -1), -1);
    ck_assert_int_eq(dist_lognormal(&d, 1, nan), -1);
    ck_assert_int_eq(dist_lognormal(&d, nan, 1), -1);
    ck_assert_int_eq(dist_bimodal(&d, 1.5, 1, 2), -1);
    ck_assert_int_eq(dist_bimodal(&d, -0.1, 1, 2), -1);
    ck_assert_int_eq(dist_bimodal(&d, nan, 1, 2), -1);
    ck_assert_int_eq(dist_bimodal(&d, 0.5, nan, 2), -1);
    ck_assert_int_eq(dist_zipf(&d, -0.5, 10), -1);
    ck_assert_int_eq(dist_zipf(&d, nan, 10), -1);
    ck_assert_int_eq(dist_zipf(&d, inf, 10), -1);
    ck_assert_int_eq(dist_zipf(&d, 1, 0), -1);
    ck_assert_int_eq(dist_zipf(&d, 1, (UINT64_C(1) << 53) + 1), -1);
    const double bad[] = {1, nan, 3};
    ck_assert_int_eq(dist_empirical(&d, bad, 3), -1);
    ck_assert_int_eq(dist_empirical(&d, bad, 0), -1);
    ck_assert_int_eq(dist_empirical(&d, NULL, 1), -1);
}
END_TEST

START_TEST(test_constructors_accept_edge_parameters)
{
    dist_t d;
    ck_assert_int_eq(dist_uniform(&d, 3, 3), 0);
    ck_assert_int_eq(dist_bimodal(&d, 0, 1, 2), 0);
    ck_assert_int_eq(dist_bimodal(&d, 1, 1, 2), 0);
    ck_assert_int_eq(dist_lognormal(&d, 5, 0), 0);
    ck_assert_int_eq(dist_zipf(&d, 0, 1), 0);
    ck_assert_int_eq(dist_zipf(&d, 1, UINT64_C(1) << 53), 0);
    ck_assert_str_eq(dist_kind_name(d.kind), "zipf");
    ck_assert_str_eq(dist_kind_name(DIST_EXPONENTIAL), "exponential");
    ck_assert_str_eq(dist_kind_name(DIST_KIND_COUNT), "unknown");
    dist_free(&d); /* safe on a non-empirical dist */
}
END_TEST

/* ---------------------------------------------------------------- exact moments */

START_TEST(test_exact_moments_match_closed_forms)
{
    dist_t d;
    ck_assert_int_eq(dist_constant(&d, 7.5), 0);
    check_exact_moments(&d, (moments_t){7.5, 56.25, 0}, 0, "constant");
    ck_assert_int_eq(dist_exponential(&d, 250), 0);
    check_exact_moments(&d, exponential_moments(250), 1e-15, "exponential");
    ck_assert_int_eq(dist_uniform(&d, 100, 300), 0);
    check_exact_moments(&d, uniform_moments(100, 300), 1e-15, "uniform");
    ck_assert_int_eq(dist_lognormal(&d, 1000, 1.5), 0);
    check_exact_moments(&d, lognormal_moments(1000, 1.5), 1e-13, "lognormal");
    ck_assert_int_eq(dist_bimodal(&d, 0.9, 10, 1000), 0);
    check_exact_moments(&d, bimodal_moments(0.9, 10, 1000), 1e-15, "bimodal");
    const double v[] = {1, 2, 3, 10};
    ck_assert_int_eq(dist_empirical(&d, v, 4), 0);
    check_exact_moments(&d, (moments_t){4, 114.0 / 4, 0}, 1e-15, "empirical");
    dist_free(&d);
    /* Squares beyond DBL_MAX give an infinite E[X^2], not NaN. */
    const double big[] = {1e200, -1e200, 1};
    ck_assert_int_eq(dist_empirical(&d, big, 3), 0);
    ck_assert_double_eq_tol(dist_mean(&d), 1.0 / 3, 1e-12);
    ck_assert(isinf(dist_second_moment(&d)));
    dist_free(&d);
}
END_TEST

static const double zipf_thetas[] = {0, 0.5, 0.99, 1.0, 1 + 1e-9, 1.5, 2.5};
#define N_ZIPF_THETAS ((int)(sizeof zipf_thetas / sizeof zipf_thetas[0]))

START_TEST(test_zipf_exact_moments_match_brute_force_sums)
{
    /* n = 10 is summed directly by the module, n = 300000 by Euler-Maclaurin. */
    static const uint64_t ns[] = {1, 10, 300000};
    double theta = zipf_thetas[_i];
    for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++) {
        dist_t d;
        ck_assert_int_eq(dist_zipf(&d, theta, ns[j]), 0);
        char desc[64];
        snprintf(desc, sizeof desc, "zipf theta=%g n=%llu", theta, (unsigned long long)ns[j]);
        check_exact_moments(&d, zipf_moments(theta, ns[j]), 1e-12, desc);
    }
}
END_TEST

START_TEST(test_zipf_exact_moments_huge_n_closed_forms)
{
    const double n = 1e12;
    dist_t d;
    /* theta = 0: uniform ranks, E[K] = (n+1)/2, E[K^2] = (n+1)(2n+1)/6. */
    ck_assert_int_eq(dist_zipf(&d, 0, (uint64_t)n), 0);
    check_exact_moments(&d, (moments_t){(n + 1) / 2, (n + 1) * (2 * n + 1) / 6, 0}, 1e-12,
                        "zipf theta=0 n=1e12");
    /* theta = 2: H(n,1) = ln n + gamma + 1/(2n) - ..., H(n,2) = pi^2/6 - 1/n + ...,
     * H(n,0) = n. */
    const double gamma = 0.57721566490153286061, pi2_6 = 1.64493406684822643647;
    double h1 = log(n) + gamma + 1 / (2 * n), h2 = pi2_6 - 1 / n + 1 / (2 * n * n);
    ck_assert_int_eq(dist_zipf(&d, 2, (uint64_t)n), 0);
    check_exact_moments(&d, (moments_t){h1 / h2, n / h2, 0}, 1e-12, "zipf theta=2 n=1e12");
}
END_TEST

/* ---------------------------------------------------------------- sample moments */

START_TEST(test_sample_moments_match_closed_forms)
{
    enum { N = 400000 };
    dist_t d;
    ck_assert_int_eq(dist_exponential(&d, 250), 0);
    check_sample_moments(&d, exponential_moments(250), N, "exponential");
    ck_assert_int_eq(dist_uniform(&d, -5, 300), 0);
    check_sample_moments(&d, uniform_moments(-5, 300), N, "uniform");
    ck_assert_int_eq(dist_lognormal(&d, 1000, 0.5), 0);
    check_sample_moments(&d, lognormal_moments(1000, 0.5), N, "lognormal sigma 0.5");
    ck_assert_int_eq(dist_lognormal(&d, 1000, 1.0), 0);
    check_sample_moments(&d, lognormal_moments(1000, 1.0), N, "lognormal sigma 1");
    ck_assert_int_eq(dist_bimodal(&d, 0.3, 10, 1000), 0);
    check_sample_moments(&d, bimodal_moments(0.3, 10, 1000), N, "bimodal");
    ck_assert_int_eq(dist_zipf(&d, 0.5, 1000), 0);
    check_sample_moments(&d, zipf_moments(0.5, 1000), N, "zipf 0.5 1000");
    ck_assert_int_eq(dist_zipf(&d, 1.2, 100000), 0);
    check_sample_moments(&d, zipf_moments(1.2, 100000), N, "zipf 1.2 1e5");
}
END_TEST

START_TEST(test_lognormal_sigma2_mean_matches)
{
    /* Heavy tail: only the mean is checked (its variance is finite). */
    enum { N = 1000000 };
    dist_t d;
    ck_assert_int_eq(dist_lognormal(&d, 1e6, 2.0), 0);
    moments_t m = lognormal_moments(1e6, 2.0);
    rng_t r;
    rng_init(&r, 77, 77);
    long double s = 0;
    for (long i = 0; i < N; i++)
        s += dist_sample(&d, &r);
    double se = sqrt((m.m2 - m.m1 * m.m1) / N);
    ck_assert_double_lt(fabs((double)(s / N) - 1e6), SE_TOL * se);
}
END_TEST

START_TEST(test_constant_and_degenerate_always_same_value)
{
    dist_t d;
    rng_t r;
    rng_init(&r, 1, 1);
    int other = 0;
    ck_assert_int_eq(dist_constant(&d, 42.5), 0);
    for (int i = 0; i < 1000; i++)
        other += dist_sample(&d, &r) != 42.5;
    ck_assert_int_eq(dist_uniform(&d, 3, 3), 0);
    for (int i = 0; i < 1000; i++)
        other += dist_sample(&d, &r) != 3;
    ck_assert_int_eq(dist_lognormal(&d, 8, 0), 0);
    for (int i = 0; i < 1000; i++)
        other += fabs(dist_sample(&d, &r) - 8) > 1e-12;
    ck_assert_int_eq(other, 0);
}
END_TEST

START_TEST(test_samples_stay_in_support)
{
    dist_t e, u;
    rng_t r;
    rng_init(&r, 2, 2);
    ck_assert_int_eq(dist_exponential(&e, 1), 0);
    ck_assert_int_eq(dist_uniform(&u, 10, 20), 0);
    int outside = 0;
    for (int i = 0; i < 100000; i++) {
        double x = dist_sample(&e, &r), y = dist_sample(&u, &r);
        outside += !(x >= 0 && isfinite(x)) + !(y >= 10 && y < 20);
    }
    ck_assert_int_eq(outside, 0);
}
END_TEST

START_TEST(test_bimodal_fraction_matches_p)
{
    enum { N = 200000 };
    static const double ps[] = {0, 0.01, 0.5, 0.9, 1};
    rng_t r;
    rng_init(&r, 3, 3);
    for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++) {
        dist_t d;
        ck_assert_int_eq(dist_bimodal(&d, ps[j], 5, 500), 0);
        long na = 0, nb = 0;
        for (long i = 0; i < N; i++) {
            double x = dist_sample(&d, &r);
            na += x == 5;
            nb += x == 500;
        }
        ck_assert_int_eq(na + nb, N);
        double se = sqrt(ps[j] * (1 - ps[j]) / N);
        ck_assert_double_le(fabs((double)na / N - ps[j]), SE_TOL * se);
    }
}
END_TEST

/* ---------------------------------------------------------------- zipf */

START_TEST(test_zipf_matches_exact_pmf_small_n)
{
    enum { K = 10, N = 200000 };
    double theta = zipf_thetas[_i];
    double p[K], h = 0;
    for (int k = 1; k <= K; k++)
        h += p[k - 1] = 1 / pow(k, theta);
    for (int k = 0; k < K; k++)
        p[k] /= h;
    dist_t d;
    ck_assert_int_eq(dist_zipf(&d, theta, K), 0);
    rng_t r;
    rng_init(&r, 10, (uint64_t)_i);
    long obs[K] = {0}, outside = 0;
    for (long i = 0; i < N; i++) {
        double x = dist_sample(&d, &r);
        if (x >= 1 && x <= K && x == floor(x))
            obs[(int)x - 1]++;
        else
            outside++;
    }
    ck_assert_int_eq(outside, 0);
    /* 9 degrees of freedom: P(chi2 > 50) ~ 1e-7. */
    double chi = chi_square(obs, p, K, N);
    ck_assert_msg(chi < 50, "theta %g: chi-square %.1f", theta, chi);
}
END_TEST

START_TEST(test_zipf_huge_n_stays_in_range)
{
    static const uint64_t ns[] = {1000000000000u, UINT64_C(1) << 53};
    static const double thetas[] = {0, 0.5, 0.99, 1.0, 1.5, 50};
    rng_t r;
    rng_init(&r, 4, 4);
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
        for (size_t b = 0; b < sizeof thetas / sizeof thetas[0]; b++) {
            dist_t d;
            ck_assert_int_eq(dist_zipf(&d, thetas[b], ns[a]), 0);
            double max = 0;
            int outside = 0;
            for (int i = 0; i < 20000; i++) {
                double x = dist_sample(&d, &r);
                outside += !(x >= 1 && x <= (double)ns[a] && x == floor(x));
                max = x > max ? x : max;
            }
            ck_assert_int_eq(outside, 0);
            if (thetas[b] < 1) /* a flat enough law reaches far out */
                ck_assert_double_gt(max, 1e6);
        }
}
END_TEST

START_TEST(test_zipf_n1_is_always_one)
{
    dist_t d;
    rng_t r;
    rng_init(&r, 5, 5);
    ck_assert_int_eq(dist_zipf(&d, 0.99, 1), 0);
    int other = 0;
    for (int i = 0; i < 1000; i++)
        other += dist_sample(&d, &r) != 1;
    ck_assert_int_eq(other, 0);
}
END_TEST

/* ---------------------------------------------------------------- empirical */

START_TEST(test_empirical_array_proportions)
{
    enum { N = 120000 };
    const double v[] = {1.5, 2.5, 2.5, 9};
    dist_t d;
    ck_assert_int_eq(dist_empirical(&d, v, 4), 0);
    rng_t r;
    rng_init(&r, 6, 6);
    long n15 = 0, n25 = 0, n9 = 0;
    for (long i = 0; i < N; i++) {
        double x = dist_sample(&d, &r);
        n15 += x == 1.5, n25 += x == 2.5, n9 += x == 9;
    }
    ck_assert_int_eq(n15 + n25 + n9, N); /* no other value */
    double se_q = sqrt(0.25 * 0.75 / N), se_h = sqrt(0.25 / N);
    ck_assert_double_le(fabs((double)n15 / N - 0.25), SE_TOL * se_q);
    ck_assert_double_le(fabs((double)n25 / N - 0.5), SE_TOL * se_h);
    ck_assert_double_le(fabs((double)n9 / N - 0.25), SE_TOL * se_q);
    dist_free(&d);
    ck_assert_ptr_null(d.values);
}
END_TEST

START_TEST(test_empirical_load_csv_with_header_and_comments)
{
    enum { N = 120000 };
    char *path = temp_text("# measured service times, ns\n"
                           "\n"
                           "# columns: latency, source\n"
                           "latency_ns,source\n"
                           "10,a\n"
                           "   \n"
                           "20,b\n"
                           "  20 , c\n"
                           "\"30\",d\n"
                           "  # indented comment, 99\n"
                           "20\r\n"
                           "10"); /* no final newline */
    dist_t d;
    char err[256] = "untouched";
    ck_assert_int_eq(dist_empirical_load(&d, path, err, sizeof err), 0);
    remove_temp(path);
    ck_assert_uint_eq(d.n, 6);
    ck_assert_double_eq_tol(dist_mean(&d), 110.0 / 6, 1e-12);
    rng_t r;
    rng_init(&r, 7, 7);
    long c10 = 0, c20 = 0, c30 = 0;
    for (long i = 0; i < N; i++) {
        double x = dist_sample(&d, &r);
        c10 += x == 10, c20 += x == 20, c30 += x == 30;
    }
    ck_assert_int_eq(c10 + c20 + c30, N); /* only the file's values */
    const double p[3] = {2.0 / 6, 3.0 / 6, 1.0 / 6};
    const long obs[3] = {c10, c20, c30};
    ck_assert_double_lt(chi_square(obs, p, 3, N), 30); /* 2 dof */
    dist_free(&d);
}
END_TEST

START_TEST(test_empirical_load_missing_file_reports_strerror)
{
    dist_t d;
    char err[256], want[256];
    const char *path = "/nonexistent-parasim-dir/values.csv";
    ck_assert_int_eq(dist_empirical_load(&d, path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: %s", path, strerror(ENOENT));
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_empirical_load_bad_number_names_line)
{
    char text[512] = "value\n";
    for (int i = 2; i <= 16; i++)
        strcat(text, "12.5\n");
    strcat(text, "abc\n5\n");
    char *path = temp_text(text);
    dist_t d;
    char err[256], want[256];
    ck_assert_int_eq(dist_empirical_load(&d, path, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:17: expected a number, found \"abc\"", path);
    ck_assert_str_eq(err, want);
    remove_temp(path);
}
END_TEST

START_TEST(test_empirical_load_rejects_non_finite_and_trailing_garbage)
{
    static const struct {
        const char *text;
        const char *line; /* ":N:" expected in the message */
    } cases[] = {
        {"1\n2\nnan\n", ":3:"},     {"inf\n", ":1:"},      {"1\n-Infinity\n", ":2:"},
        {"1\n1e999\n", ":2:"},      {"1\n12abc\n", ":2:"}, {"x\n1\n,5\n", ":3:"},
        {"1\n2 3\n", ":2:"},        {"1\n\"\"\n", ":2:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = temp_text(cases[i].text);
        dist_t d;
        char err[256] = "";
        ck_assert_int_eq(dist_empirical_load(&d, path, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].line) != NULL, "case %zu: %s", i, err);
        ck_assert_ptr_null(strchr(err, '\n'));
        remove_temp(path);
    }
}
END_TEST

START_TEST(test_empirical_load_empty_or_header_only_has_no_values)
{
    static const char *texts[] = {"", "\n\n", "# only a comment\n", "latency_ns\n",
                                  "latency_ns,x\n# c\n\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *path = temp_text(texts[i]);
        dist_t d;
        char err[256] = "";
        ck_assert_int_eq(dist_empirical_load(&d, path, err, sizeof err), -1);
        ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);
        ck_assert_msg(strstr(err, "no values") != NULL, "%s", err);
        remove_temp(path);
    }
}
END_TEST

START_TEST(test_empirical_load_survives_huge_and_binary_lines)
{
    enum { BIG = 1 << 20 };
    char *text = malloc(BIG + 16);
    ck_assert_ptr_nonnull(text);
    /* line 2: a megabyte of letters; the message shows a short prefix */
    strcpy(text, "1\n");
    memset(text + 2, 'x', BIG);
    strcpy(text + 2 + BIG, "\n3\n");
    char *path = temp_text(text);
    dist_t d;
    char err[128] = "";
    ck_assert_int_eq(dist_empirical_load(&d, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":2: expected a number"));
    ck_assert_ptr_nonnull(strstr(err, "...\""));
    ck_assert_uint_lt(strlen(err), sizeof err);
    remove_temp(path);

    /* a megabyte of digits overflows to infinity */
    memset(text + 2, '9', BIG);
    path = temp_text(text);
    ck_assert_int_eq(dist_empirical_load(&d, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":2:"));
    remove_temp(path);
    free(text);

    /* an embedded NUL byte and control characters */
    static const char bin[] = "1\n2\0003\n\x01\x02\n";
    path = temp_file(bin, sizeof bin - 1);
    ck_assert_int_eq(dist_empirical_load(&d, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":2:"));
    remove_temp(path);
}
END_TEST

START_TEST(test_empirical_load_tiny_or_null_error_buffer)
{
    dist_t d;
    char err[8];
    memset(err, 'z', sizeof err);
    ck_assert_int_eq(dist_empirical_load(&d, "/nonexistent-parasim/v.csv", err, sizeof err), -1);
    ck_assert_uint_eq(strlen(err), sizeof err - 1);
    ck_assert_int_eq(dist_empirical_load(&d, "/nonexistent-parasim/v.csv", NULL, 0), -1);
    ck_assert_int_eq(dist_empirical_load(&d, NULL, err, sizeof err), -1);
}
END_TEST

START_TEST(test_empirical_load_directory_is_an_error)
{
    dist_t d;
    char err[256] = "";
    ck_assert_int_eq(dist_empirical_load(&d, "/tmp", err, sizeof err), -1);
    ck_assert_msg(strncmp(err, "/tmp", 4) == 0 && strlen(err) > 6, "%s", err);
}
END_TEST

static Suite *dist_suite(void)
{
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("constructors");
    tcase_add_test(tc, test_constructors_reject_bad_parameters);
    tcase_add_test(tc, test_constructors_accept_edge_parameters);
    suite_add_tcase(s, tc);

    tc = tcase_create("exact_moments");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_exact_moments_match_closed_forms);
    tcase_add_loop_test(tc, test_zipf_exact_moments_match_brute_force_sums, 0, N_ZIPF_THETAS);
    tcase_add_test(tc, test_zipf_exact_moments_huge_n_closed_forms);
    suite_add_tcase(s, tc);

    tc = tcase_create("sampling");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_sample_moments_match_closed_forms);
    tcase_add_test(tc, test_lognormal_sigma2_mean_matches);
    tcase_add_test(tc, test_constant_and_degenerate_always_same_value);
    tcase_add_test(tc, test_samples_stay_in_support);
    tcase_add_test(tc, test_bimodal_fraction_matches_p);
    suite_add_tcase(s, tc);

    tc = tcase_create("zipf");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_zipf_matches_exact_pmf_small_n, 0, N_ZIPF_THETAS);
    tcase_add_test(tc, test_zipf_huge_n_stays_in_range);
    tcase_add_test(tc, test_zipf_n1_is_always_one);
    suite_add_tcase(s, tc);

    tc = tcase_create("empirical");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_empirical_array_proportions);
    tcase_add_test(tc, test_empirical_load_csv_with_header_and_comments);
    tcase_add_test(tc, test_empirical_load_missing_file_reports_strerror);
    tcase_add_test(tc, test_empirical_load_bad_number_names_line);
    tcase_add_test(tc, test_empirical_load_rejects_non_finite_and_trailing_garbage);
    tcase_add_test(tc, test_empirical_load_empty_or_header_only_has_no_values);
    tcase_add_test(tc, test_empirical_load_survives_huge_and_binary_lines);
    tcase_add_test(tc, test_empirical_load_tiny_or_null_error_buffer);
    tcase_add_test(tc, test_empirical_load_directory_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(dist_suite)
