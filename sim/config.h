/* sim/config: an experiment's configuration, from JSON to a typed struct.
 *
 * One JSON file (plus `--set path=value` overrides and `--seed`) is parsed
 * with cJSON, checked against the schema in config_schema.c (every key
 * known, right type, in range, no duplicates), completed with defaults, and
 * turned into a sim_config_t.  The completed JSON tree is kept: results echo
 * it, so a results.json says every value the run used, defaults included.
 *
 * Errors never abort: config_load() returns -1 with ONE line in err, of the
 * form "FILE: json.path: expected ..., found ..." (malformed JSON gives
 * "FILE:LINE:COLUMN: malformed JSON ..."; a value that came from --set says
 * so).  Callers print it and exit 2.
 *
 * Config format version: CONFIG_FORMAT (echoed in results). */
#ifndef PARASIM_SIM_CONFIG_H
#define PARASIM_SIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cost.h"
#include "model/dist.h"

#define CONFIG_FORMAT 1
#define CONFIG_ERR_MAX 512

struct cJSON;

typedef enum { DISPATCH_PARTITIONED, DISPATCH_CENTRALIZED } config_dispatch_t;
typedef enum { LOAD_POISSON, LOAD_CONSTANT } config_load_kind_t;

typedef struct sim_config {
    char *path;                 /* the config file, as given */
    uint64_t seed;
    uint64_t requests;          /* 0 when duration_ps is used */
    uint64_t duration_ps;       /* 0 when requests is used */
    uint64_t warmup_requests;
    unsigned cores;             /* machine.cores */
    const char *kernel_kind;    /* "ideal" */
    config_dispatch_t dispatch; /* kernel.dispatch */
    uint64_t queue_limit;       /* kernel.queue_limit, 0 = unbounded */
    const char *app;            /* workload.app */
    dist_t service;             /* workload.service, in ns */
    config_load_kind_t load_kind;
    double rate_rps;            /* load.rate_rps */
    cost_table_t costs;         /* costs.profile + costs.override */
    struct cJSON *json;         /* the completed config tree (owned) */
} sim_config_t;

/* A --set override: "a.b.c=VALUE", VALUE parsed as JSON when it is JSON,
 * else taken as a string. */
typedef struct config_override {
    const char *assignment;
} config_override_t;

/* Load, validate and complete.  seed_override is used when has_seed. */
int config_load(sim_config_t *cfg, const char *path,
                const config_override_t *sets, size_t nsets,
                int has_seed, uint64_t seed_override,
                char err[CONFIG_ERR_MAX]);
void config_free(sim_config_t *cfg);

/* outputs.timeline: false when the config asks for none; else the file
 * in path (a relative name from the config's folder), the recording
 * window [from, to) in ps (to UINT64_MAX: to the end) and the counters'
 * resolution in ps (outputs.timeline_counter_ns; 0: every change). */
bool config_timeline(const sim_config_t *cfg, char *path, size_t len, uint64_t *from_ps,
                     uint64_t *to_ps, uint64_t *counter_ps);

/* Print the config reference (every key, type, default, meaning). */
void config_print_reference(void *stream);

#endif
