/* sim/predict: the analytical prediction for a config (see predict.h). */
#include "sim/predict.h"

#include "model/queueing.h"
#include "sim/config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void quantiles(prediction_t *p, unsigned c, double lambda, double mu)
{
    p->has_quantiles = true;
    p->p50_ns = model_mmc_sojourn_quantile(c, lambda, mu, 0.50);
    p->p90_ns = model_mmc_sojourn_quantile(c, lambda, mu, 0.90);
    p->p99_ns = model_mmc_sojourn_quantile(c, lambda, mu, 0.99);
    p->p999_ns = model_mmc_sojourn_quantile(c, lambda, mu, 0.999);
    p->p9999_ns = model_mmc_sojourn_quantile(c, lambda, mu, 0.9999);
}

void predict(const sim_config_t *cfg, prediction_t *p)
{
    memset(p, 0, sizeof *p);
    unsigned c = cfg->cores;
    double es = dist_mean(&cfg->service), es2 = dist_second_moment(&cfg->service);
    double lambda = cfg->rate_rps * 1e-9; /* per ns */
    p->rho = lambda * es / c;
    if (strcmp(cfg->kernel_kind, "ideal") != 0) {
        p->reason = "no analytical model for this kernel";
        return;
    }
    if (cfg->load_kind != LOAD_POISSON) {
        p->reason = "no closed form for constant (deterministic) arrivals";
        return;
    }
    if (!(p->rho < 1)) {
        p->reason = "unstable: utilisation >= 1, queues grow without bound";
        return;
    }
    bool partitioned = cfg->dispatch == DISPATCH_PARTITIONED || c == 1;
    double lam = partitioned ? lambda / c : lambda; /* per queue */
    unsigned servers = partitioned ? 1 : c;
    p->available = true;
    p->exact = true;
    if (cfg->service.kind == DIST_EXPONENTIAL) {
        double mu = 1 / es;
        snprintf(p->model, sizeof p->model, partitioned && c > 1 ? "%u x M/M/1" : "M/M/%u",
                 partitioned ? c : servers);
        p->mean_ns = model_mmc_sojourn_mean(servers, lam, mu);
        quantiles(p, servers, lam, mu);
    } else if (partitioned) {
        const char *g = cfg->service.kind == DIST_CONSTANT ? "M/D/1" : "M/G/1";
        if (c > 1)
            snprintf(p->model, sizeof p->model, "%u x %s", c, g);
        else
            snprintf(p->model, sizeof p->model, "%s", g);
        p->mean_ns = model_mg1_sojourn_mean(lam, es, es2);
    } else {
        snprintf(p->model, sizeof p->model, "M/G/%u (Allen-Cunneen)", c);
        p->exact = false;
        p->mean_ns = model_mgc_sojourn_mean_approx(c, lam, es, es2);
    }
}

cJSON *predict_to_json(const prediction_t *p)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddBoolToObject(m, "available", p->available);
    cJSON_AddNumberToObject(m, "rho", p->rho);
    if (!p->available) {
        cJSON_AddStringToObject(m, "reason", p->reason);
        return m;
    }
    cJSON_AddStringToObject(m, "queue", p->model);
    cJSON_AddBoolToObject(m, "exact", p->exact);
    cJSON *l = cJSON_AddObjectToObject(m, "latency_ns");
    cJSON_AddNumberToObject(l, "mean", p->mean_ns);
    if (p->has_quantiles) {
        cJSON_AddNumberToObject(l, "p50", p->p50_ns);
        cJSON_AddNumberToObject(l, "p90", p->p90_ns);
        cJSON_AddNumberToObject(l, "p99", p->p99_ns);
        cJSON_AddNumberToObject(l, "p999", p->p999_ns);
        cJSON_AddNumberToObject(l, "p9999", p->p9999_ns);
    }
    return m;
}
