/* tests/bench/bench_echo: simulator speed of the full stack, UDP echo.
 *
 * experiments/echo.json (4 echo processes on 4 cores, the parakernel with
 * range mediation, an 82599-class NIC at 40 GbE with one queue pair per
 * process, the IOMMU, a Poisson UDP client over 1024 flows, 64 B frames)
 * near saturation: load.rate_rps = RATE (12 M req/s) and REQUESTS
 * requests, through the library (sim/config.h's config_load with --set
 * style overrides, then sim/pkrun.h), in-process.
 *
 * Prints, for each of RUNS runs and as the median: simulated packets per
 * wall second (frames the NIC received, results.json sim.packets, over
 * the wall time of pkrun_run alone: assembly, boot and results are left
 * out) and engine events per wall second; then a sanity line from the
 * last run's results (every request answered, no IOMMU fault, no
 * refusal), so a broken run is visible.  Goal: >= 2 M packets/s.  Wall
 * time from clock_gettime (benchmarks only, never the simulator); printed,
 * never asserted: the machine is shared. */
#include "sim/config.h"
#include "sim/pkrun.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RUNS 3
#define CONFIG "experiments/echo.json"
#define RATE "load.rate_rps=12000000"
#define REQUESTS "requests=2000000"

typedef struct run {
    double wall_s, packets, events;
    double offered, completed, iommu_faults, refused;
} run_t;

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

/* A number at "a.b" in the results (0 when absent). */
static double num(const cJSON *root, const char *obj, const char *key)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, obj);
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int run_once(const sim_config_t *cfg, run_t *out)
{
    char err[CONFIG_ERR_MAX];
    pkrun_t *r = pkrun_create(cfg, err, sizeof err);
    if (!r) {
        fprintf(stderr, "bench_echo: %s\n", err);
        return -1;
    }
    double t0 = now_s();
    pkrun_run(r, NULL, NULL);
    out->wall_s = now_s() - t0;
    cJSON *res = pkrun_results(r, out->wall_s);
    out->packets = num(res, "sim", "packets");
    out->events = num(res, "sim", "events");
    out->offered = num(res, "requests", "offered");
    out->completed = num(res, "requests", "completed");
    out->iommu_faults = num(res, "kernel", "iommu_faults");
    out->refused = num(res, "kernel", "refused");
    cJSON_Delete(res);
    pkrun_destroy(r);
    return 0;
}

int main(void)
{
    sim_config_t cfg;
    char err[CONFIG_ERR_MAX];
    const config_override_t sets[] = {{RATE}, {REQUESTS}};
    if (config_load(&cfg, CONFIG, sets, sizeof sets / sizeof sets[0], 0, 0, err)) {
        fprintf(stderr, "bench_echo: %s\n", err);
        return 2;
    }
    double pps[RUNS], eps[RUNS];
    run_t r = {0};
    for (int i = 0; i < RUNS; i++) {
        if (run_once(&cfg, &r) < 0) {
            config_free(&cfg);
            return 1;
        }
        pps[i] = r.packets / r.wall_s;
        eps[i] = r.events / r.wall_s;
        printf("parasim echo (4 processes, 40 GbE, %s, %s): run %d  %.3f s  %.2f M packets/s"
               "  %.2f M events/s\n",
               RATE, REQUESTS, i + 1, r.wall_s, pps[i] / 1e6, eps[i] / 1e6);
    }
    qsort(pps, RUNS, sizeof pps[0], cmp);
    qsort(eps, RUNS, sizeof eps[0], cmp);
    printf("echo_packets_per_s %.0f (median of %d, %.0f packets per run; goal >= 2M)\n",
           pps[RUNS / 2], RUNS, r.packets);
    printf("echo_events_per_s %.0f (median of %d, %.0f events per run, %.2f per packet)\n",
           eps[RUNS / 2], RUNS, r.events, r.packets > 0 ? r.events / r.packets : 0);
    bool ok = r.completed == r.offered && r.iommu_faults == 0 && r.refused == 0;
    printf("sanity: %.0f of %.0f requests answered, %.0f IOMMU faults, %.0f refused: %s\n",
           r.completed, r.offered, r.iommu_faults, r.refused, ok ? "ok" : "BROKEN");
    config_free(&cfg);
    return ok ? 0 : 1;
}
