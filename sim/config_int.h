/* sim/config_int.h: the config schema, shared by config.c (validation) and
 * config_schema.c (the table and the printed reference).  Private to sim/. */
#ifndef PARASIM_SIM_CONFIG_INT_H
#define PARASIM_SIM_CONFIG_INT_H

#include <stddef.h>

#include "sim/config.h" /* config_override_t */

typedef enum cfg_type {
    CFG_OBJECT,   /* a group of keys */
    CFG_INT,      /* integral JSON number in [min, max] */
    CFG_NUMBER,   /* JSON number in [min, max] (min exclusive if min_open) */
    CFG_ENUM,     /* one of `choices` ("a|b|c") */
    CFG_PROFILE,  /* a cost profile name (choices come from model/cost) */
    CFG_COSTS,    /* object: cost name -> ns */
    CFG_DIST,     /* object: a time distribution, see dist_params */
    CFG_BOOL,     /* true or false */
    CFG_ARRAY,    /* non-empty array of objects; the element's keys are
                   * "path[].key" (error paths say "path[i].key") */
    CFG_PARAMS,   /* object of free names -> string or number */
    CFG_STRING,   /* a non-empty string (a file name...) */
} cfg_type_t;

typedef struct cfg_key {
    const char *path;    /* dotted JSON path */
    cfg_type_t type;
    const char *def;     /* default as JSON text, NULL = none */
    double min, max;
    int min_open;        /* min is exclusive */
    const char *choices; /* CFG_ENUM */
    const char *help;
} cfg_key_t;

/* A parameter of a CFG_DIST object; `kinds` is a bitmask of dist_kind_t
 * the parameter belongs to (the "dist" key itself belongs to all). */
typedef struct cfg_dist_param {
    const char *name;
    unsigned kinds;
    double min, max;
    int min_open;
    const char *help;
} cfg_dist_param_t;

extern const cfg_key_t cfg_keys[];
extern const size_t cfg_nkeys;
extern const cfg_dist_param_t cfg_dist_params[];
extern const size_t cfg_ndist_params;
/* The dist kinds a time distribution may use, "a|b|c". */
extern const char cfg_time_dists[];

/* The key for a JSON path; array indices in it ("processes[2].app") are
 * looked up as "processes[].app". */
const cfg_key_t *cfg_key_find(const char *path);

/* One load (config.c): where errors go and which paths --set wrote. */
#define CFG_PATH_MAX 256
typedef struct cfg_loader {
    const char *file;
    char *err;
    const config_override_t *sets;
    size_t nsets;
} cfg_loader_t;

struct cJSON;
struct sim_config;
/* Put "FILE: path: message" (or "--set ...: path: message") in ld->err;
 * returns -1. */
int cfg_fail(cfg_loader_t *ld, const char *path, const char *fmt, ...);
/* obj's member of that name, or NULL. */
struct cJSON *cfg_child(const struct cJSON *obj, const char *name);
/* The dist_kind_t of a "dist" name, or -1. */
int cfg_dist_kind(const char *name);
/* The typed struct from the completed tree, and the cross-key rules
 * (config_build.c); 0 or -1 through cfg_fail. */
int cfg_build(cfg_loader_t *ld, struct sim_config *cfg);
/* One --set assignment applied to the tree (config_set.c); 0 or -1 with
 * the message in ld->err. */
int cfg_apply_set(cfg_loader_t *ld, struct cJSON *root, const char *assignment);

#endif
