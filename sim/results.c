/* sim/results: results.json and the human summary (see results.h). */
#include "sim/results.h"

#include "model/hist.h"
#include "sim/config.h"
#include "sim/experiment.h"
#include "sim/json.h"
#include "sim/predict.h"
#include "sim/tlrec.h"
#include "sim/version.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static double ps_to_ns(uint64_t ps)
{
    return (double)ps / 1000.0;
}

/* Fractions are rounded to 1e-6 so the file stays readable. */
static double frac(double f)
{
    return round(f * 1e6) / 1e6;
}

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

cJSON *results_costs_json(const cost_table_t *t)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "profile", t->profile);
    cJSON *table = cJSON_AddArrayToObject(c, "table");
    for (int i = 0; i < COST_COUNT; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", cost_desc[i].name);
        cJSON_AddNumberToObject(e, "ns", ps_to_ns(t->ps[i]));
        cJSON_AddNumberToObject(e, "default_ns", cost_desc[i].default_ns);
        cJSON_AddBoolToObject(e, "overridden", t->overridden[i]);
        cJSON_AddStringToObject(e, "source", cost_desc[i].source);
        cJSON_AddItemToArray(table, e);
    }
    return c;
}

cJSON *results_latency_json(const hist_t *h)
{
    static const struct { const char *name; double q; } qs[] = {
        {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}, {"p9999", 99.99},
    };
    cJSON *l = cJSON_CreateObject();
    add_u64(l, "count", h->count);
    cJSON_AddNumberToObject(l, "mean", h->count ? hist_mean(h) / 1000.0 : 0);
    cJSON_AddNumberToObject(l, "min", h->count ? ps_to_ns(h->min) : 0);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        cJSON_AddNumberToObject(l, qs[i].name, ps_to_ns(hist_percentile(h, qs[i].q)));
    cJSON_AddNumberToObject(l, "max", h->count ? ps_to_ns(h->max) : 0);
    return l;
}

static cJSON *requests_json(const experiment_t *x)
{
    uint64_t dropped = 0;
    cJSON *r = cJSON_CreateObject();
    cJSON *causes = cJSON_CreateObject();
    for (int c = 0; c < DROP_CAUSES; c++) {
        dropped += x->dropped[c];
        add_u64(causes, exp_drop_cause_name((exp_drop_cause_t)c), x->dropped[c]);
    }
    add_u64(r, "offered", x->offered);
    add_u64(r, "completed", x->completed);
    add_u64(r, "dropped", dropped);
    add_u64(r, "warmup", x->cfg->warmup_requests);
    add_u64(r, "measured", x->completed_measured);
    cJSON_AddItemToObject(r, "drop_causes", causes);
    return r;
}

cJSON *results_core_json(const cpu_t *core)
{
    double u[CPU_MODES];
    cpu_utilisation(core, u);
    cJSON *o = cJSON_CreateObject();
    add_u64(o, "id", core->id);
    cJSON *util = cJSON_AddObjectToObject(o, "util");
    for (int m = 0; m < CPU_MODES; m++)
        cJSON_AddNumberToObject(util, cpu_mode_name((cpu_mode_t)m), frac(u[m]));
    return o;
}

static cJSON *cores_json(const experiment_t *x)
{
    cJSON *arr = cJSON_CreateArray();
    for (unsigned c = 0; c < x->ncores; c++) {
        cJSON *o = results_core_json(&x->cores[c]);
        add_u64(o, "completed", x->core_completed[c]);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

cJSON *results_begin(const sim_config_t *cfg)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "parasim");
    cJSON_AddStringToObject(meta, "version", PARASIM_VERSION);
    cJSON_AddNumberToObject(meta, "results_format", RESULTS_FORMAT);
    cJSON_AddNumberToObject(meta, "config_format", CONFIG_FORMAT);
    cJSON_AddStringToObject(meta, "config_file", cfg->path);
    cJSON_AddItemToObject(root, "config", cJSON_Duplicate(cfg->json, 1));
    cJSON_AddItemToObject(root, "costs", results_costs_json(&cfg->costs));
    return root;
}

cJSON *results_timeline_json(const tlrec_stats_t *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", st->file);
    add_u64(o, "spans", st->spans);
    add_u64(o, "instants", st->instants);
    add_u64(o, "counters", st->counters);
    add_u64(o, "bytes", st->bytes);
    return o;
}

void results_add_sim(cJSON *root, uint64_t events, uint64_t end_ps, double wall_s)
{
    cJSON *s = cJSON_AddObjectToObject(root, "sim");
    add_u64(s, "events", events);
    cJSON_AddNumberToObject(s, "sim_time_ns", ps_to_ns(end_ps));
    cJSON_AddNumberToObject(s, "wall_s", wall_s);
    cJSON_AddNumberToObject(s, "events_per_s", wall_s > 0 ? round((double)events / wall_s) : 0);
}

cJSON *results_build(const experiment_t *x, const prediction_t *p, double wall_s)
{
    const sim_config_t *cfg = x->cfg;
    sim_time_t end = sim_now(x->sim);
    uint64_t events = sim_events_run(x->sim);
    cJSON *root = results_begin(cfg);
    cJSON_AddItemToObject(root, "requests", requests_json(x));
    cJSON_AddItemToObject(root, "latency_ns", results_latency_json(&x->latency));
    double window = x->window_closed ? (double)(x->window_to - x->window_from) : 0;
    double done = (double)(x->completed_at_close - x->completed_at_open);
    cJSON_AddNumberToObject(root, "throughput_rps", window > 0 ? round(done / window * 1e12) : 0);
    cJSON *w = cJSON_AddObjectToObject(root, "window_ns");
    cJSON_AddNumberToObject(w, "from", x->window_closed ? ps_to_ns(x->window_from) : 0);
    cJSON_AddNumberToObject(w, "to", x->window_closed ? ps_to_ns(x->window_to) : 0);
    cJSON_AddItemToObject(root, "cores", cores_json(x));
    cJSON_AddItemToObject(root, "model", predict_to_json(p));
    if (x->tl_done && !x->tl_failed)
        cJSON_AddItemToObject(root, "timeline", results_timeline_json(&x->tl_stats));
    results_add_sim(root, events, end, wall_s);
    return root;
}

static int mkdir_p(const char *dir, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
        snprintf(err, errlen, "%s: output path too long", dir);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create output directory: %s", buf, strerror(errno));
            return -1;
        }
        *p = c;
        if (!c)
            return 0;
    }
}

int results_prepare_parent(const char *path, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir) {
        snprintf(err, errlen, "%s: output path too long", path);
        return -1;
    }
    return mkdir_p(dir, err, errlen);
}

int results_prepare_dir(const char *dir, char *err, size_t errlen)
{
    if (!*dir) {
        snprintf(err, errlen, "output directory is empty");
        return -1;
    }
    if (mkdir_p(dir, err, errlen))
        return -1;
    if (access(dir, W_OK)) {
        snprintf(err, errlen, "%s: output directory not writable: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int results_write(const cJSON *results, const char *dir, char *err, size_t errlen)
{
    char path[4200], tmp[4210];
    snprintf(path, sizeof path, "%s/results.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char *text = cJSON_Print(results);
    FILE *f = text ? fopen(tmp, "w") : NULL;
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f))
        ok = 0;
    if (ok && rename(tmp, path))
        ok = 0;
    if (!ok) {
        snprintf(err, errlen, "%s: cannot write results: %s", path,
                 text ? strerror(errno) : "out of memory");
        if (f)
            remove(tmp);
    }
    cJSON_free(text);
    return ok ? 0 : -1;
}

static double num(const cJSON *o, const char *path)
{
    const cJSON *v = sim_json_at(o, path);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void si(char *buf, size_t n, double v)
{
    if (v >= 1e9)
        snprintf(buf, n, "%.3g G", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, n, "%.3g M", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, n, "%.3g k", v / 1e3);
    else
        snprintf(buf, n, "%.3g ", v);
}

/* The requests line (or the replay's, or none); whether a latency
 * table follows. */
static bool summary_requests(FILE *f, const cJSON *r)
{
    if (sim_json_at(r, "requests.replay")) {
        fprintf(f, "  replay     %.0f frames of %.0f packets x %.0f loops; host sent %.0f frames; "
                   "%.0f oversize, %.0f of skipped link types\n",
                num(r, "requests.replay.sent"), num(r, "requests.replay.packets"),
                num(r, "requests.replay.loops"), num(r, "requests.host_frames"),
                num(r, "requests.replay.oversize"), num(r, "requests.replay.skipped_linktype"));
        return false;
    }
    if (!sim_json_at(r, "requests.offered")) {
        fprintf(f, "  requests   no client (load.kind none)\n");
        return false;
    }
    fprintf(f, "  requests   offered %.0f, completed %.0f, dropped %.0f, warm-up %.0f",
            num(r, "requests.offered"), num(r, "requests.completed"), num(r, "requests.dropped"),
            num(r, "requests.warmup"));
    if (num(r, "requests.timed_out") > 0)
        fprintf(f, ", timed out %.0f", num(r, "requests.timed_out"));
    if (!isnan(num(r, "requests.hit_rate")))
        fprintf(f, "; hit rate %.3f", num(r, "requests.hit_rate"));
    fprintf(f, "\n");
    return true;
}

/* Parakernel: a line per core with its process; false for the others. */
static bool summary_processes(FILE *f, const cJSON *cores)
{
    if (!cores || !cores->child || !cJSON_GetObjectItemCaseSensitive(cores->child, "util"))
        return false;
    bool any = false;
    for (const cJSON *c = cores->child; c; c = c->next)
        any |= cJSON_GetObjectItemCaseSensitive(c, "process") != NULL;
    if (!any)
        return false;
    fprintf(f, "  cores      utilisation in the measurement window:\n");
    int i = 0;
    for (const cJSON *c = cores->child; c; c = c->next, i++) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "process");
        fprintf(f, "    %3d %-10s", i, cJSON_IsString(p) ? p->valuestring : "-");
        for (int m = 0; m < CPU_MODES; m++) {
            char key[32];
            snprintf(key, sizeof key, "util.%s", cpu_mode_name((cpu_mode_t)m));
            fprintf(f, " %s %5.1f%%", cpu_mode_name((cpu_mode_t)m), 100 * num(c, key));
        }
        fprintf(f, "\n");
    }
    return true;
}

void results_summary(FILE *f, const cJSON *r, const char *written_to)
{
    static const char *const rows[] = {"mean", "p50", "p90", "p99", "p999", "p9999", "max"};
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(r, "model");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(r, "config");
    char a[32], b[32];
    fprintf(f, "parasim %s: %s (seed %.0f)\n", PARASIM_VERSION,
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "parasim"),
                                             "config_file")->valuestring,
            num(cfg, "seed"));
    if (!summary_requests(f, r))
        goto cores;
    int has_model = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "available"));
    if (has_model)
        fprintf(f, "  latency    %-8s %14s %14s %8s   model %s\n", "(ns)", "simulated", "model",
                "diff", cJSON_GetObjectItemCaseSensitive(model, "queue")->valuestring);
    else
        fprintf(f, "  latency    %-8s %14s\n", "(ns)", "simulated");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char key[40];
        snprintf(key, sizeof key, "latency_ns.%s", rows[i]);
        double s = num(r, key), m = has_model ? num(model, key) : NAN;
        if (isnan(m))
            fprintf(f, "             %-8s %14.1f\n", rows[i], s);
        else
            fprintf(f, "             %-8s %14.1f %14.1f %+7.2f%%\n", rows[i], s, m,
                    100 * (s - m) / m);
    }
    si(a, sizeof a, num(r, "throughput_rps"));
    if (model)
        fprintf(f, "  throughput %sreq/s;  offered utilisation rho = %.3f\n", a, num(model, "rho"));
    else
        fprintf(f, "  throughput %sreq/s\n", a);
cores:;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "kernel");
    if (k && num(k, "syscalls") == num(k, "syscalls"))
        fprintf(f, "  kernel     %.0f syscalls, %.0f descriptors, %.0f doorbells; mediation "
                   "%.1f ns/op, %.1f ns/batch (%s); %.0f refused, %.0f IOMMU faults\n",
                num(k, "syscalls"), num(k, "descriptors_written"), num(k, "doorbells"),
                num(k, "mediation_ns_per_op"), num(k, "mediation_ns_per_batch"),
                cJSON_GetObjectItemCaseSensitive(k, "mediation")->valuestring, num(k, "refused"),
                num(k, "iommu_faults"));
    const cJSON *cores = cJSON_GetObjectItemCaseSensitive(r, "cores");
    int n = cJSON_GetArraySize(cores);
    if (summary_processes(f, cores))
        goto sim;
    double u[CPU_MODES] = {0};
    for (const cJSON *c = cores ? cores->child : NULL; c; c = c->next)
        for (int m = 0; m < CPU_MODES; m++) {
            char key[32];
            snprintf(key, sizeof key, "util.%s", cpu_mode_name((cpu_mode_t)m));
            u[m] += num(c, key) / n;
        }
    fprintf(f, "  cores      %d, mean utilisation:", n);
    for (int m = 0; m < CPU_MODES; m++)
        fprintf(f, " %s %.1f%%", cpu_mode_name((cpu_mode_t)m), 100 * u[m]);
    fprintf(f, "\n");
sim:
    si(a, sizeof a, num(r, "sim.events"));
    si(b, sizeof b, num(r, "sim.events_per_s"));
    fprintf(f, "  simulator  %sevents in %.2f s wall (%sevents/s), %.3f ms simulated\n", a,
            num(r, "sim.wall_s"), b, num(r, "sim.sim_time_ns") / 1e6);
    if (written_to)
        fprintf(f, "  results    %s/results.json\n", written_to);
}
