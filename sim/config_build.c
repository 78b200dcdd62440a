/* sim/config_build: the typed struct from a validated, completed config
 * tree (config.h), and the rules that span several keys: the warm-up
 * below the request count, the simulated-time horizon, and a parakernel
 * experiment's cores, queues and memory.  The first error wins, reported
 * through cfg_fail with the config path it concerns. */
#include "sim/config.h"
#include "sim/config_int.h"
#include "sim/json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static cJSON *get(cJSON *root, const char *path)
{
    return sim_json_at(root, path);
}

/* ---------------------------------------------------------- typed struct */

static double num(cJSON *root, const char *path)
{
    return get(root, path)->valuedouble;
}

static const char *str(cJSON *root, const char *path)
{
    return get(root, path)->valuestring;
}

static int build_dist(cfg_loader_t *ld, const char *path, cJSON *obj, dist_t *d)
{
    const char *kind = cfg_child(obj, "dist")->valuestring;
    double lo, hi;
#define P(name) (cfg_child(obj, name)->valuedouble) /* validated: present */
    int rc = 0;
    switch (cfg_dist_kind(kind)) {
    case DIST_CONSTANT: rc = dist_constant(d, P("mean_ns")); break;
    case DIST_EXPONENTIAL: rc = dist_exponential(d, P("mean_ns")); break;
    case DIST_LOGNORMAL: rc = dist_lognormal(d, P("mean_ns"), P("sigma")); break;
    case DIST_BIMODAL: rc = dist_bimodal(d, P("p"), P("a_ns"), P("b_ns")); break;
    case DIST_UNIFORM:
        lo = P("min_ns");
        hi = P("max_ns");
        if (hi < lo)
            return cfg_fail(ld, path, "max_ns (%g) is below min_ns (%g)", hi, lo);
        rc = dist_uniform(d, lo, hi);
        break;
    case DIST_EMPIRICAL: {
        const char *file = cfg_child(obj, "file")->valuestring;
        char full[4096], derr[CONFIG_ERR_MAX];
        const char *slash = strrchr(ld->file, '/');
        if (file[0] != '/' && slash)
            snprintf(full, sizeof full, "%.*s/%s", (int)(slash - ld->file), ld->file, file);
        else
            snprintf(full, sizeof full, "%s", file);
        if (dist_empirical_load(d, full, derr, sizeof derr))
            return cfg_fail(ld, path, "%s", derr);
        for (size_t i = 0; i < d->n; i++)
            if (!(d->values[i] >= 0 && d->values[i] <= 1e12))
                return cfg_fail(ld, path, "%s: a time must be in [0, 1e12] ns, found %g", full,
                            d->values[i]);
        break;
    }
    default: return cfg_fail(ld, path, "dist \"%s\" is not a time distribution", kind);
    }
#undef P
    if (rc)
        return cfg_fail(ld, path, "invalid parameters for dist \"%s\"", kind);
    return 0;
}

/* Every event time must stay far below 2^64 ps (1.8e7 s), random gaps
 * included: a run may span at most SIM_HORIZON_PS of simulated time, by
 * its arrivals and by the work it offers per core. */
#define SIM_HORIZON_PS 1e17 /* 1e5 s, 27.8 hours */

static int check_horizon(cfg_loader_t *ld, const sim_config_t *cfg)
{
    double n = cfg->requests ? (double)cfg->requests
                             : (double)cfg->duration_ps / 1e12 * cfg->rate_rps;
    double span = cfg->requests ? n / cfg->rate_rps * 1e12 : (double)cfg->duration_ps;
    double work = n * dist_mean(&cfg->service) * 1e3 / cfg->cores;
    if (span > SIM_HORIZON_PS)
        return cfg_fail(ld, "load.rate_rps", "%.3g requests at %g req/s span %.3g s of simulated "
                    "time; the limit is 1e5 s", n, cfg->rate_rps, span / 1e12);
    if (work > SIM_HORIZON_PS)
        return cfg_fail(ld, "workload.service", "the requests offer %.3g s of work per core; the "
                    "simulated-time limit is 1e5 s", work / 1e12);
    return 0;
}

/* Which load keys a load.kind needs and allows. */
static int check_load(cfg_loader_t *ld, sim_config_t *cfg, bool pk)
{
    cJSON *root = cfg->json;
    const char *kind = str(root, "load.kind");
    bool rated = !strcmp(kind, "poisson") || !strcmp(kind, "constant");
    if (!pk && !rated)
        return cfg_fail(ld, "load.kind", "\"%s\" needs kernel.kind \"parakernel\" (the ideal "
                        "kernel takes poisson or constant)", kind);
    if (rated && !get(root, "load.rate_rps"))
        return cfg_fail(ld, "load.rate_rps", "required: offered load in requests per second");
    static const struct { const char *key, *kind; } needs[] = {
        {"load.ramp", "ramp"}, {"load.trace", "trace"}, {"load.pcap.file", "pcap"},
    };
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
        bool is = !strcmp(kind, needs[i].kind), has = get(root, needs[i].key) != NULL;
        if (is && !has)
            return cfg_fail(ld, needs[i].key, "required with load.kind \"%s\"", kind);
        if (has && !is)
            return cfg_fail(ld, needs[i].key, "only with load.kind \"%s\", found \"%s\"",
                            needs[i].kind, kind);
    }
    if (!strcmp(kind, "trace") && strcmp(str(root, "load.protocol"), "kvs"))
        return cfg_fail(ld, "load.protocol", "load.kind \"trace\" replays KVS requests: "
                        "expected \"kvs\"");
    cJSON *ramp = get(root, "load.ramp");
    int i = 0;
    double prev = -1;
    for (cJSON *e = ramp ? ramp->child : NULL; e; e = e->next, i++) {
        char p[CFG_PATH_MAX];
        double at = cfg_child(e, "at_us")->valuedouble;
        snprintf(p, sizeof p, "load.ramp[%d].at_us", i);
        if (i == 0 && at != 0)
            return cfg_fail(ld, p, "the first step starts at 0, found %g", at);
        if (i > 0 && at <= prev)
            return cfg_fail(ld, p, "steps must be in time order: %g after %g", at, prev);
        prev = at;
    }
    cfg->rate_rps = rated ? num(root, "load.rate_rps") : 0;
    return 0;
}

static bool pow2(double v)
{
    uint64_t x = (uint64_t)v;
    return x && !(x & (x - 1));
}

/* Cross-field rules of a parakernel experiment (the kernel checks its
 * boot plan again: these give config paths in the messages). */
static int check_parakernel(cfg_loader_t *ld, sim_config_t *cfg)
{
    cJSON *root = cfg->json, *procs = get(root, "processes");
    bool pk = strcmp(cfg->kernel_kind, "parakernel") == 0;
    if (!pk)
        return procs ? cfg_fail(ld, "processes", "only with kernel.kind \"parakernel\"") : 0;
    if (!procs)
        return cfg_fail(ld, "processes", "required with kernel.kind \"parakernel\": the processes to run");
    double gbps = num(root, "machine.nic.link_gbps");
    if (gbps != 10 && gbps != 25 && gbps != 40 && gbps != 100 && gbps != 400)
        return cfg_fail(ld, "machine.nic.link_gbps", "expected 10, 25, 40, 100 or 400, found %g", gbps);
    static const char *const even[] = {"machine.memory_mib", "kernel.memory_mib"};
    for (size_t i = 0; i < 2; i++)
        if ((uint64_t)num(root, even[i]) % 2)
            return cfg_fail(ld, even[i], "expected an even number of MiB (2 MiB alignment), found %g",
                        num(root, even[i]));
    static const char *const p2[] = {"kernel.sq_entries", "kernel.cq_entries"};
    for (size_t i = 0; i < 2; i++)
        if (!pow2(num(root, p2[i])))
            return cfg_fail(ld, p2[i], "expected a power of two, found %g", num(root, p2[i]));
    if (num(root, "kernel.cq_entries") < num(root, "kernel.sq_entries"))
        return cfg_fail(ld, "kernel.cq_entries", "must be at least kernel.sq_entries (%g), found %g",
                    num(root, "kernel.sq_entries"), num(root, "kernel.cq_entries"));
    static const char *const m8[] = {"kernel.rx_entries", "kernel.tx_entries"};
    for (size_t i = 0; i < 2; i++)
        if ((uint64_t)num(root, m8[i]) % 8)
            return cfg_fail(ld, m8[i], "expected a multiple of 8 (82599 ring length), found %g",
                        num(root, m8[i]));
    double nprocs = 0, nicq = 0, nvmeq = 0, mib = num(root, "kernel.memory_mib");
    char p[CFG_PATH_MAX];
    int i = 0;
    for (cJSON *g = procs->child; g; g = g->next, i++) {
        double count = cfg_child(g, "count")->valuedouble, m = cfg_child(g, "memory_mib")->valuedouble;
        if ((uint64_t)m % 2) {
            snprintf(p, sizeof p, "processes[%d].memory_mib", i);
            return cfg_fail(ld, p, "expected an even number of MiB (2 MiB alignment), found %g", m);
        }
        nprocs += count;
        nicq += count * cfg_child(g, "nic_queues")->valuedouble;
        nvmeq += count * cfg_child(g, "nvme_queues")->valuedouble;
        mib += count * m;
    }
    if (nprocs > cfg->cores || nprocs > 256)
        return cfg_fail(ld, "machine.cores", "%g processes need %g cores (one each, at most 256), "
                    "found %u", nprocs, nprocs, cfg->cores);
    if (nicq > num(root, "machine.nic.queues"))
        return cfg_fail(ld, "machine.nic.queues", "the processes ask for %g NIC queue pairs, the "
                    "NIC has %g", nicq, num(root, "machine.nic.queues"));
    if (nvmeq > 0 && !cJSON_IsTrue(get(root, "machine.nvme.present")))
        return cfg_fail(ld, "machine.nvme.present", "the processes ask for %g NVMe queue pairs and "
                    "there is no NVMe device", nvmeq);
    if (mib > num(root, "machine.memory_mib"))
        return cfg_fail(ld, "machine.memory_mib", "the kernel and the processes' partitions need "
                    "%g MiB, the machine has %g", mib, num(root, "machine.memory_mib"));
    return 0;
}

/* The timeline's window must hold some time. */
static int check_outputs(cfg_loader_t *ld, cJSON *root)
{
    cJSON *to = get(root, "outputs.timeline_to_us");
    double from = num(root, "outputs.timeline_from_us");
    if (to && to->valuedouble <= from)
        return cfg_fail(ld, "outputs.timeline_to_us",
                        "must be above outputs.timeline_from_us (%g), found %g", from,
                        to->valuedouble);
    return 0;
}

bool config_timeline(const sim_config_t *cfg, char *path, size_t len, uint64_t *from_ps,
                     uint64_t *to_ps, uint64_t *counter_ps)
{
    cJSON *v = get(cfg->json, "outputs.timeline");
    if (!v || !cJSON_IsString(v))
        return false;
    const char *name = v->valuestring, *slash = strrchr(cfg->path, '/');
    if (name[0] == '/' || !slash)
        snprintf(path, len, "%s", name);
    else
        snprintf(path, len, "%.*s/%s", (int)(slash - cfg->path), cfg->path, name);
    cJSON *to = get(cfg->json, "outputs.timeline_to_us");
    *from_ps = (uint64_t)llround(num(cfg->json, "outputs.timeline_from_us") * 1e6);
    *to_ps = to ? (uint64_t)llround(to->valuedouble * 1e6) : UINT64_MAX;
    *counter_ps = (uint64_t)llround(num(cfg->json, "outputs.timeline_counter_ns") * 1e3);
    return true;
}

int cfg_build(cfg_loader_t *ld, sim_config_t *cfg)
{
    cJSON *root = cfg->json;
    cfg->seed = (uint64_t)num(root, "seed");
    cfg->requests = get(root, "requests") ? (uint64_t)num(root, "requests") : 0;
    cfg->duration_ps = get(root, "duration_us") ? (uint64_t)llround(num(root, "duration_us") * 1e6) : 0;
    if (!get(root, "warmup_requests"))
        cJSON_AddNumberToObject(root, "warmup_requests", (double)(cfg->requests / 10));
    cfg->warmup_requests = (uint64_t)num(root, "warmup_requests");
    if (cfg->requests && cfg->warmup_requests >= cfg->requests)
        return cfg_fail(ld, "warmup_requests", "must be below requests (%llu), found %llu",
                    (unsigned long long)cfg->requests, (unsigned long long)cfg->warmup_requests);
    cfg->cores = (unsigned)num(root, "machine.cores");
    cfg->kernel_kind = str(root, "kernel.kind");
    cfg->dispatch = strcmp(str(root, "kernel.dispatch"), "centralized") == 0
                        ? DISPATCH_CENTRALIZED : DISPATCH_PARTITIONED;
    cfg->queue_limit = (uint64_t)num(root, "kernel.queue_limit");
    cfg->app = str(root, "workload.app");
    if (build_dist(ld, "workload.service", get(root, "workload.service"), &cfg->service))
        return -1;
    cfg->load_kind = strcmp(str(root, "load.kind"), "constant") == 0 ? LOAD_CONSTANT : LOAD_POISSON;
    if (check_load(ld, cfg, strcmp(cfg->kernel_kind, "parakernel") == 0))
        return -1;
    if (cost_table_init(&cfg->costs, str(root, "costs.profile")))
        return cfg_fail(ld, "costs.profile", "unknown profile");
    for (cJSON *m = get(root, "costs.override")->child; m; m = m->next)
        cost_set_ns(&cfg->costs, (cost_id_t)cost_lookup(m->string), m->valuedouble);
    if (check_parakernel(ld, cfg) || check_outputs(ld, root))
        return -1;
    return cfg->rate_rps > 0 ? check_horizon(ld, cfg) : 0;
}
