/* sim/config_schema: every config key parasim knows, with its type, range,
 * default and meaning.  The validator (config.c) and the printed reference
 * (`parasim config`) both read this table, so they cannot disagree.
 * Parents come before their children (defaults are filled in table order). */
#include "sim/config.h"
#include "sim/config_int.h"

#include <stdio.h>
#include <string.h>

#define BIG 1e12
#define MAX_SAFE_INT 9007199254740991.0 /* 2^53 - 1: exact in a JSON number */

const cfg_key_t cfg_keys[] = {
    {"seed", CFG_INT, "1", 0, MAX_SAFE_INT, 0, NULL,
     "experiment seed; every random stream derives from (seed, component)"},
    {"requests", CFG_INT, NULL, 1, 1e10, 0, NULL,
     "requests the load generator offers (default 1000000; or give duration_us)"},
    {"duration_us", CFG_NUMBER, NULL, 1e-6, 1e11, 0, NULL,
     "offer requests for this long instead of a count, then drain"},
    {"warmup_requests", CFG_INT, NULL, 0, 1e10, 0, NULL,
     "first requests left out of latency and utilisation (default: 10% of requests)"},
    {"machine", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the simulated host"},
    {"machine.cores", CFG_INT, "1", 1, 4096, 0, NULL, "number of cores"},
    {"kernel", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the kernel under test"},
    {"kernel.kind", CFG_ENUM, "\"ideal\"", 0, 0, 0, "ideal",
     "ideal: a zero-overhead dispatcher, for validating the engine"},
    {"kernel.dispatch", CFG_ENUM, "\"partitioned\"", 0, 0, 0, "partitioned|centralized",
     "partitioned: each request to a uniformly random core's FIFO (RSS over many "
     "flows); centralized: one FIFO, the next idle core takes its head"},
    {"kernel.queue_limit", CFG_INT, "0", 0, 1e9, 0, NULL,
     "requests a FIFO holds before arrivals are dropped (0 = unbounded)"},
    {"workload", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the application"},
    {"workload.app", CFG_ENUM, "\"synthetic\"", 0, 0, 0, "synthetic",
     "synthetic: each request needs a service time drawn from workload.service"},
    {"workload.service", CFG_DIST, "{\"dist\":\"exponential\",\"mean_ns\":1000}", 0, 0, 0, NULL,
     "service-time distribution (see the dist parameters below)"},
    {"load", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the clients"},
    {"load.kind", CFG_ENUM, "\"poisson\"", 0, 0, 0, "poisson|constant",
     "poisson: exponential inter-arrival times; constant: evenly spaced"},
    {"load.rate_rps", CFG_NUMBER, NULL, 0, 1e12, 1, NULL,
     "offered load, requests per second (required)"},
    {"costs", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the cost table"},
    {"costs.profile", CFG_PROFILE, "\"default\"", 0, 0, 0, NULL,
     "default: sourced figures; zero: every cost 0"},
    {"costs.override", CFG_COSTS, "{}", 0, 0, 0, NULL,
     "cost name -> ns, replacing the profile's value (names: parasim config)"},
};
const size_t cfg_nkeys = sizeof cfg_keys / sizeof cfg_keys[0];

#define K(k) (1u << (k))
const cfg_dist_param_t cfg_dist_params[] = {
    {"dist", ~0u, 0, 0, 0, "constant|exponential|uniform|lognormal|bimodal|empirical"},
    {"mean_ns", K(DIST_CONSTANT) | K(DIST_EXPONENTIAL) | K(DIST_LOGNORMAL), 0, BIG, 1,
     "the mean (constant: the value)"},
    {"min_ns", K(DIST_UNIFORM), 0, BIG, 0, "uniform: lower bound"},
    {"max_ns", K(DIST_UNIFORM), 0, BIG, 0, "uniform: upper bound (>= min_ns)"},
    {"sigma", K(DIST_LOGNORMAL), 0, 10, 0, "lognormal: standard deviation of the log"},
    {"p", K(DIST_BIMODAL), 0, 1, 0, "bimodal: probability of a_ns"},
    {"a_ns", K(DIST_BIMODAL), 0, BIG, 0, "bimodal: the value taken with probability p"},
    {"b_ns", K(DIST_BIMODAL), 0, BIG, 0, "bimodal: the value taken otherwise"},
    {"file", K(DIST_EMPIRICAL), 0, 0, 0,
     "empirical: text/CSV of values in ns (relative to the config file)"},
};
const size_t cfg_ndist_params = sizeof cfg_dist_params / sizeof cfg_dist_params[0];
const char cfg_time_dists[] = "constant|exponential|uniform|lognormal|bimodal|empirical";

const cfg_key_t *cfg_key_find(const char *path)
{
    for (size_t i = 0; i < cfg_nkeys; i++)
        if (strcmp(cfg_keys[i].path, path) == 0)
            return &cfg_keys[i];
    return NULL;
}

static const char *type_name(const cfg_key_t *k)
{
    switch (k->type) {
    case CFG_OBJECT: return "object";
    case CFG_INT: return "integer";
    case CFG_NUMBER: return "number";
    case CFG_ENUM: return k->choices;
    case CFG_PROFILE: return "default|zero";
    case CFG_COSTS: return "object";
    case CFG_DIST: return "distribution";
    }
    return "?";
}

void config_print_reference(void *stream)
{
    FILE *f = stream;
    fprintf(f, "Config keys (format %d).  Dotted paths name nested JSON objects.\n\n", CONFIG_FORMAT);
    for (size_t i = 0; i < cfg_nkeys; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (k->type == CFG_OBJECT)
            continue;
        fprintf(f, "  %-20s %-24s default %s\n      %s\n", k->path, type_name(k),
                k->def ? k->def : "-", k->help);
    }
    fprintf(f, "\nDistribution parameters (workload.service):\n");
    for (size_t i = 0; i < cfg_ndist_params; i++)
        fprintf(f, "  %-10s %s\n", cfg_dist_params[i].name, cfg_dist_params[i].help);
    fprintf(f, "\nCost names (costs.override), default ns and source:\n");
    for (int i = 0; i < COST_COUNT; i++)
        fprintf(f, "  %-20s %10g  %s\n", cost_desc[i].name, cost_desc[i].default_ns,
                cost_desc[i].source);
}
