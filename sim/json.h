/* sim/json: small helpers over cJSON shared by config and results. */
#ifndef PARASIM_SIM_JSON_H
#define PARASIM_SIM_JSON_H

struct cJSON;

/* The value at a dotted path ("latency_ns.p99") below root, or NULL when a
 * component is missing.  Components cannot contain dots. */
struct cJSON *sim_json_at(const struct cJSON *root, const char *path);

#endif
