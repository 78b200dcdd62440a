/* Benchmark: the headline synthetic experiment, M/M/16 at rho = 0.9 with
 * 10M requests (experiments/bench-mm16-rho0.9-10M.json), run in-process
 * 3 times; prints the median events/s.  Then runs the hand-written
 * baseline (bench_baseline, next to this binary) and prints the ratio of
 * the two.  Goal (issue 2): >= 20M events/s, within 2x of the baseline.
 * Timings are printed, never asserted: the machine is shared. */
#include "sim/config.h"
#include "sim/experiment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 3
#define CONFIG "experiments/bench-mm16-rho0.9-10M.json"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double baseline_events_per_s(const char *argv0)
{
    char cmd[1024], line[256];
    const char *slash = strrchr(argv0, '/');
    snprintf(cmd, sizeof cmd, "%.*sbench_baseline", slash ? (int)(slash - argv0 + 1) : 0, argv0);
    FILE *p = popen(cmd, "r");
    double v = 0;
    while (p && fgets(line, sizeof line, p)) {
        fputs(line, stdout);
        sscanf(line, "baseline_events_per_s %lf", &v);
    }
    if (p)
        pclose(p);
    return v;
}

int main(int argc, char **argv)
{
    (void)argc;
    sim_config_t cfg;
    char err[CONFIG_ERR_MAX];
    if (config_load(&cfg, CONFIG, NULL, 0, 0, 0, err)) {
        fprintf(stderr, "bench_synthetic: %s\n", err);
        return 2;
    }
    double evs[REPS];
    uint64_t events = 0;
    for (int i = 0; i < REPS; i++) {
        experiment_t x;
        if (exp_create(&x, &cfg, err, sizeof err)) {
            fprintf(stderr, "bench_synthetic: %s\n", err);
            return 1;
        }
        double t0 = now_s();
        exp_run(&x, NULL, NULL);
        double dt = now_s() - t0;
        events = sim_events_run(x.sim);
        evs[i] = (double)events / dt;
        printf("parasim M/M/16 rho=0.9 10M requests: run %d  %.3f s  %.1f M events/s\n", i + 1, dt,
               evs[i] / 1e6);
        exp_destroy(&x);
    }
    qsort(evs, REPS, sizeof evs[0], cmp);
    double med = evs[REPS / 2];
    printf("parasim_events_per_s %.0f (median of %d, %llu events per run; goal >= 20M)\n", med,
           REPS, (unsigned long long)events);
    double base = baseline_events_per_s(argv[0]);
    if (base > 0)
        printf("ratio baseline/parasim %.2f (goal <= 2)\n", base / med);
    config_free(&cfg);
    return 0;
}
