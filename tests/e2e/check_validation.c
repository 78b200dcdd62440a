/* Validation of the engine against queueing theory (issue: "must show").
 *
 * Each case runs a synthetic experiment on the ideal kernel with the zero
 * cost profile and compares the simulated mean and p99 sojourn time with
 * closed forms: M/M/1 (mean 1/(mu-lambda), p99 ln(100)/(mu-lambda)) per
 * core when partitioned, M/M/16 (Erlang C) when centralized, M/D/1
 * (Pollaczek-Khinchine) with constant service.  Tolerance: 3%.
 *
 * Request counts are sized from measurement, not luck: over 12 seeds the
 * standard deviation of the relative error at 1M requests was (mean/p99)
 * partitioned rho=.5 0.3/0.6%, .7 0.5/1.5%, .9 2.3/4.4%; centralized .9
 * 0.8/1.1%; M/D/1 .9 1.0% (M/M/1 at rho=.9 relaxes slowly).  Each case
 * uses enough requests that 3% is at least 3.5 standard deviations
 * (sd scales as 1/sqrt(requests)). */
#include "tests/check_main.h"

#include "model/hist.h"
#include "model/queueing.h"
#include "sim/config.h"
#include "sim/experiment.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct vcase {
    const char *desc;
    const char *dispatch;
    unsigned cores;
    double rho;
    const char *service;   /* JSON of workload.service, mean 1000 ns */
    unsigned requests_m;   /* millions */
    int check_p99;
} vcase_t;

static const vcase_t cases[] = {
    {"16 x M/M/1, rho 0.5", "partitioned", 16, 0.5, "exponential", 2, 1},
    {"16 x M/M/1, rho 0.7", "partitioned", 16, 0.7, "exponential", 4, 1},
    {"16 x M/M/1, rho 0.9", "partitioned", 16, 0.9, "exponential", 32, 1},
    {"M/M/16, rho 0.5", "centralized", 16, 0.5, "exponential", 1, 1},
    {"M/M/16, rho 0.7", "centralized", 16, 0.7, "exponential", 1, 1},
    {"M/M/16, rho 0.9", "centralized", 16, 0.9, "exponential", 2, 1},
    {"M/D/1, rho 0.5", "partitioned", 1, 0.5, "constant", 1, 0},
    {"M/D/1, rho 0.7", "partitioned", 1, 0.7, "constant", 1, 0},
    {"M/D/1, rho 0.9", "partitioned", 1, 0.9, "constant", 2, 0},
};

#define SERVICE_NS 1000.0

/* Closed-form expectations, in ns. */
static void expected(const vcase_t *c, double *mean, double *p99)
{
    double mu = 1 / SERVICE_NS;
    double lambda = c->rho * c->cores * mu; /* total, per ns */
    if (!strcmp(c->service, "constant")) {
        *mean = SERVICE_NS + c->rho * SERVICE_NS / (2 * (1 - c->rho));
        *p99 = NAN;
    } else if (!strcmp(c->dispatch, "partitioned")) {
        double l1 = lambda / c->cores;
        *mean = 1 / (mu - l1);
        *p99 = log(100) / (mu - l1);
    } else {
        *mean = model_mmc_sojourn_mean(c->cores, lambda, mu);
        *p99 = model_mmc_sojourn_quantile(c->cores, lambda, mu, 0.99);
    }
}

static void write_config(const char *path, const vcase_t *c)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "{\"seed\": 7, \"requests\": %u000000, \"warmup_requests\": 50000,"
            " \"machine\": {\"cores\": %u},"
            " \"kernel\": {\"kind\": \"ideal\", \"dispatch\": \"%s\"},"
            " \"workload\": {\"app\": \"synthetic\","
            "   \"service\": {\"dist\": \"%s\", \"mean_ns\": %g}},"
            " \"load\": {\"kind\": \"poisson\", \"rate_rps\": %.17g},"
            " \"costs\": {\"profile\": \"zero\"}}\n",
            c->requests_m, c->cores, c->dispatch, c->service, SERVICE_NS,
            c->rho * c->cores / SERVICE_NS * 1e9);
    fclose(f);
}

START_TEST(test_simulation_matches_queueing_theory)
{
    const vcase_t *c = &cases[_i];
    char path[] = "/tmp/parasim-validation-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_config(path, c);

    sim_config_t cfg;
    char err[CONFIG_ERR_MAX];
    ck_assert_msg(config_load(&cfg, path, NULL, 0, 0, 0, err) == 0, "%s", err);
    experiment_t x;
    ck_assert_int_eq(exp_create(&x, &cfg, err, sizeof err), 0);
    exp_run(&x, NULL, NULL);

    double mean, p99;
    expected(c, &mean, &p99);
    double sim_mean = hist_mean(&x.latency) / 1000.0;
    double sim_p99 = (double)hist_percentile(&x.latency, 99) / 1000.0;
    ck_assert_uint_eq(x.completed, (uint64_t)c->requests_m * 1000000);
    ck_assert_msg(fabs(sim_mean / mean - 1) < 0.03, "%s: mean %.1f ns, theory %.1f ns", c->desc,
                  sim_mean, mean);
    if (c->check_p99)
        ck_assert_msg(fabs(sim_p99 / p99 - 1) < 0.03, "%s: p99 %.1f ns, theory %.1f ns", c->desc,
                      sim_p99, p99);
    /* every core of a stable queue is busy a fraction rho of the time */
    for (unsigned k = 0; k < c->cores; k++) {
        double u[CPU_MODES];
        cpu_utilisation(&x.cores[k], u);
        ck_assert_msg(fabs(u[CPU_USER] - c->rho) < 0.03, "%s: core %u busy %.3f", c->desc, k,
                      u[CPU_USER]);
    }
    exp_destroy(&x);
    config_free(&cfg);
    unlink(path);
}
END_TEST

static Suite *validation_suite(void)
{
    Suite *s = suite_create("validation");
    TCase *tc = tcase_create("queueing_theory");
    tcase_set_timeout(tc, 1200);
    tcase_add_loop_test(tc, test_simulation_matches_queueing_theory, 0,
                        (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(validation_suite)
