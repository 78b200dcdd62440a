/* sim/predict: what queueing theory says a synthetic config should give.
 *
 * For the ideal kernel with Poisson arrivals:
 *   partitioned, exponential service  c independent M/M/1 (exact; the pooled
 *                                     sojourn distribution is M/M/1's)
 *   centralized, exponential service  M/M/c (Erlang C; exact)
 *   partitioned, other service        M/G/1 per core: mean only
 *                                     (Pollaczek-Khinchine; exact), M/D/1
 *                                     when the service is constant
 *   centralized, other service        M/G/c mean, Allen-Cunneen
 *                                     approximation (exact = false)
 * Constant arrivals, other kernels, or rho >= 1 give available = false
 * with the reason.  Times in ns. */
#ifndef PARASIM_SIM_PREDICT_H
#define PARASIM_SIM_PREDICT_H

#include <stdbool.h>

struct sim_config;
struct cJSON;

typedef struct prediction {
    bool available;
    const char *reason;  /* when not available */
    char model[48];      /* "M/M/16", "16 x M/M/1", "M/D/1", ... */
    bool exact;          /* false for approximations */
    bool has_quantiles;  /* p50.. valid */
    double rho;          /* per-core utilisation */
    double mean_ns, p50_ns, p90_ns, p99_ns, p999_ns, p9999_ns;
} prediction_t;

void predict(const struct sim_config *cfg, prediction_t *p);
/* The `model` section of results.json. */
struct cJSON *predict_to_json(const prediction_t *p);

#endif
