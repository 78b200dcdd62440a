/* sim/main: the `parasim` command.
 *
 *   parasim run CONFIG.json [--set path=value ...] [--out DIR] [--seed N]
 *               [--timeline FILE] [--quiet]
 *   parasim predict CONFIG.json [--set path=value ...]
 *   parasim config            print the config reference
 *   parasim view TIMELINE [--png OUT.png] ...   the timeline viewer (sim/cmd_view.h)
 *   parasim --help | --version
 *
 * Exit codes: 0 ok, 1 the run failed, 2 bad usage or bad input (one line
 * on stderr naming where and what). */
#include "sim/cmd_export.h"
#include "sim/cmd_view.h"
#include "sim/config.h"
#include "sim/experiment.h"
#include "sim/predict.h"
#include "sim/pkrun.h"
#include "sim/results.h"
#include "sim/version.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define MAX_SETS 256
#define MAX_SAFE_SEED 9007199254740991ull /* 2^53 - 1, exact in JSON */

static const char usage_main[] =
    "usage: parasim <command> [options]\n"
    "\n"
    "parasim simulates a parakernel host (cores, NICs, NVMe, IOMMU) and the\n"
    "kernel that partitions it, and reports latency, throughput and costs.\n"
    "\n"
    "commands:\n"
    "  run CONFIG.json       run an experiment, write DIR/results.json\n"
    "  predict CONFIG.json   print queueing theory's prediction for a config\n"
    "  config                print every config key with its default and meaning\n"
    "  export TIMELINE       write a timeline as Chrome trace JSON (Perfetto) or CSV\n"
    "  view TIMELINE         show a timeline (window, or --png OUT.png)\n"
    "\n"
    "options:\n"
    "  -h, --help            this help (parasim run --help for a command's)\n"
    "  -V, --version         print the version\n"
    "\n"
    "examples:\n"
    "  parasim run experiments/kvs-zipf-8core.json   a MICA-like KVS on 8 partitioned cores\n"
    "  parasim run experiments/echo.json     the parakernel: 4 UDP echo processes\n"
    "  parasim run experiments/pcap-tcpreplay.json   a capture replayed into the NIC\n"
    "  parasim run experiments/demo.json     M/M/16 on the ideal kernel, with theory\n"
    "\n"
    "exit codes: 0 ok, 1 the run failed, 2 bad usage or bad input\n";

static const char usage_run[] =
    "usage: parasim run CONFIG.json [--set path=value ...] [--out DIR] [--seed N]\n"
    "                   [--timeline FILE] [--quiet]\n"
    "\n"
    "Runs the experiment CONFIG.json describes and writes DIR/results.json.\n"
    "\n"
    "  --set path=value   override a config key, e.g. --set machine.cores=16 or\n"
    "                     --set 'workload.service={\"dist\":\"constant\",\"mean_ns\":500}'\n"
    "                     (value is JSON when it parses as JSON, else a string)\n"
    "  --out DIR          where results go (default: out/<config name>)\n"
    "  --seed N           override the config's seed (0 .. 2^53-1)\n"
    "  --timeline FILE    record the per-core timeline (spans per core, device\n"
    "                     instants and counters) to FILE, relative to the current\n"
    "                     directory; overrides outputs.timeline (the window is\n"
    "                     outputs.timeline_from_us / _to_us, e.g.\n"
    "                     --set outputs.timeline_to_us=500)\n"
    "  --quiet            no progress and no summary\n"
    "  -h, --help         this help\n"
    "\n"
    "A progress line is shown on stderr when it is a terminal.\n";

static const char usage_predict[] =
    "usage: parasim predict CONFIG.json [--set path=value ...]\n"
    "\n"
    "Prints the analytical prediction (M/M/c, M/M/1 per core, M/D/1, M/G/1,\n"
    "or an approximation) for a synthetic config, without simulating.\n";

typedef struct opts {
    const char *config;
    const char *out;
    config_override_t sets[MAX_SETS];
    size_t nsets;
    int has_seed;
    uint64_t seed;
    bool quiet;
    char timeline_set[4200];    /* --timeline as "outputs.timeline=\"ABS\"" */
} opts_t;

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "parasim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see parasim %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9') /* strtoull would accept " 5", "+5" and "-5" */
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > MAX_SAFE_SEED)
        return -1;
    *out = v;
    return 0;
}

/* --timeline FILE as an override of outputs.timeline: the name made
 * absolute (a config's relative names are taken from its folder, a
 * command line's from the current directory) and quoted as JSON.
 * -1 when it does not fit. */
static int timeline_set(opts_t *o, const char *file)
{
    char path[4096], cwd[4096];
    if (file[0] == '/') {
        if (snprintf(path, sizeof path, "%s", file) >= (int)sizeof path)
            return -1;
    } else if (!getcwd(cwd, sizeof cwd) ||
               snprintf(path, sizeof path, "%s/%s", cwd, file) >= (int)sizeof path) {
        return -1;
    }
    cJSON *s = cJSON_CreateString(path);
    char *json = s ? cJSON_PrintUnformatted(s) : NULL;
    int n = json ? snprintf(o->timeline_set, sizeof o->timeline_set, "outputs.timeline=%s", json)
                 : -1;
    cJSON_free(json);
    cJSON_Delete(s);
    return n < 0 || n >= (int)sizeof o->timeline_set ? -1 : 0;
}

/* Returns -1 when help was printed, 0 when ok, EXIT_USAGE on error. */
static int parse_opts(const char *cmd, const char *usage, int argc, char **argv, opts_t *o,
                      bool run_opts)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return -1;
        } else if (!strcmp(a, "--set")) {
            if (!val)
                return usage_error(cmd, "%s needs path=value", a);
            if (o->nsets == MAX_SETS)
                return usage_error(cmd, "more than %s --set options", "256");
            o->sets[o->nsets++].assignment = val;
            i++;
        } else if (run_opts && !strcmp(a, "--out")) {
            if (!val || !*val)
                return usage_error(cmd, "%s needs a directory", a);
            o->out = val;
            i++;
        } else if (run_opts && !strcmp(a, "--seed")) {
            if (!val || parse_seed(val, &o->seed))
                return usage_error(cmd, "--seed needs an integer in [0, 2^53-1], found '%s'",
                                   val ? val : "nothing");
            o->has_seed = 1;
            i++;
        } else if (run_opts && !strcmp(a, "--timeline")) {
            if (!val || !*val)
                return usage_error(cmd, "%s needs a file name", a);
            if (timeline_set(o, val))
                return usage_error(cmd, "--timeline: cannot use '%s' (too long, or no "
                                        "current directory)", val);
            i++;
        } else if (run_opts && !strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (a[0] == '-' && a[1]) {
            return usage_error(cmd, "unknown option '%s'", a);
        } else if (o->config) {
            return usage_error(cmd, "one config file only, found a second: '%s'", a);
        } else {
            o->config = a;
        }
    }
    if (!o->config)
        return usage_error(cmd, "missing %s", "CONFIG.json");
    if (o->timeline_set[0]) { /* after every --set: it wins */
        if (o->nsets == MAX_SETS)
            return usage_error(cmd, "more than %s --set options", "255 with --timeline,");
        o->sets[o->nsets++].assignment = o->timeline_set;
    }
    return 0;
}

static int load_config(const opts_t *o, sim_config_t *cfg)
{
    char err[CONFIG_ERR_MAX];
    if (config_load(cfg, o->config, o->sets, o->nsets, o->has_seed, o->seed, err)) {
        fprintf(stderr, "parasim: %s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

/* out/<config file name without directory and .json> */
static void default_out(const char *config, char *buf, size_t n)
{
    const char *base = strrchr(config, '/');
    base = base ? base + 1 : config;
    size_t len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, ".json"))
        len -= 5;
    snprintf(buf, n, "out/%.*s", (int)len, base);
}

/* ------------------------------------------------------------ progress */

typedef struct progress {
    struct timespec start;
    double last_print;
    bool shown;
} progress_t;

static double elapsed(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Wall-clock time is read only for the progress line and sim.wall_s; it
 * never feeds back into the simulation. */
static void show_fraction(double f, const sim_t *sim, void *arg)
{
    progress_t *p = arg;
    double wall = elapsed(&p->start);
    if (wall - p->last_print < 0.2)
        return;
    p->last_print = wall;
    p->shown = true;
    double evs = (double)sim_events_run(sim) / wall;
    double eta = f > 0 ? wall * (1 - f) / f : 0;
    char bar[31];
    int fill = (int)(f * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    double sim_ms = (double)sim_now(sim) / 1e9;
    fprintf(stderr, "\r[%s] %5.1f%%  %.3f ms simulated (%.3g ms/s)  %.1f M events/s  ETA %.0f s ",
            bar, 100 * f, sim_ms, sim_ms / wall, evs / 1e6, eta);
    fflush(stderr);
}

static void show_progress(experiment_t *x, void *arg)
{
    show_fraction(exp_progress(x), x->sim, arg);
}

/* ------------------------------------------------------------ commands */

/* kernel.kind "parakernel": the machine, the kernel, its processes and the
 * UDP client (sim/pkrun.h).  A plan or a parameter the kernel or an
 * application refuses is bad input: exit 2. */
static int run_parakernel(const opts_t *o, sim_config_t *cfg, const char *out)
{
    char err[1024];
    pkrun_t *r = pkrun_create(cfg, err, sizeof err);
    if (!r) {
        fprintf(stderr, "parasim: %s\n", err);
        return EXIT_USAGE;
    }
    progress_t prog = {.last_print = 0};
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    bool tty = !o->quiet && isatty(STDERR_FILENO);
    pkrun_run(r, tty ? show_fraction : NULL, &prog);
    double wall = elapsed(&prog.start);
    if (prog.shown)
        fprintf(stderr, "\r%*s\r", 100, "");
    cJSON *res = pkrun_results(r, wall);
    int rc = results_write(res, out, err, sizeof err);
    if (rc)
        fprintf(stderr, "parasim: %s\n", err);
    else if (!o->quiet)
        results_summary(stdout, res, out);
    cJSON_Delete(res);
    bool failed = pkrun_failed(r);
    pkrun_destroy(r);
    return rc ? EXIT_USAGE : failed ? EXIT_FAILURE : 0;
}

static int cmd_run(int argc, char **argv)
{
    opts_t o;
    int rc = parse_opts("run", usage_run, argc, argv, &o, true);
    if (rc)
        return rc < 0 ? 0 : rc;
    sim_config_t cfg;
    if ((rc = load_config(&o, &cfg)))
        return rc;
    char out[4096], err[512];
    if (o.out)
        snprintf(out, sizeof out, "%s", o.out);
    else
        default_out(o.config, out, sizeof out);
    if (results_prepare_dir(out, err, sizeof err)) {
        fprintf(stderr, "parasim: %s\n", err);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    if (!strcmp(cfg.kernel_kind, "parakernel")) {
        rc = run_parakernel(&o, &cfg, out);
        config_free(&cfg);
        return rc;
    }
    prediction_t pred;
    predict(&cfg, &pred);
    if (!pred.available && pred.rho >= 1 && !o.quiet)
        fprintf(stderr, "parasim: warning: offered utilisation %.3f >= 1: queues will grow "
                        "for the whole run\n", pred.rho);
    experiment_t x;
    if (exp_create(&x, &cfg, err, sizeof err)) {
        fprintf(stderr, "parasim: %s\n", err);
        config_free(&cfg);
        return 1;
    }
    if (exp_timeline_open(&x, err, sizeof err)) {
        fprintf(stderr, "parasim: %s\n", err);
        exp_destroy(&x);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    progress_t prog = {.last_print = 0};
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    bool tty = !o.quiet && isatty(STDERR_FILENO);
    exp_run(&x, tty ? show_progress : NULL, &prog);
    double wall = elapsed(&prog.start);
    if (prog.shown)
        fprintf(stderr, "\r%*s\r", 100, "");
    if (!x.window_open && !o.quiet)
        fprintf(stderr, "parasim: warning: all %llu offered requests fell within "
                        "warmup_requests (%llu): nothing was measured\n",
                (unsigned long long)x.offered, (unsigned long long)cfg.warmup_requests);
    cJSON *res = results_build(&x, &pred, wall);
    rc = results_write(res, out, err, sizeof err);
    if (rc)
        fprintf(stderr, "parasim: %s\n", err);
    else if (!o.quiet)
        results_summary(stdout, res, out);
    cJSON_Delete(res);
    bool failed = x.tl_failed;
    exp_destroy(&x);
    config_free(&cfg);
    return rc ? EXIT_USAGE : failed ? EXIT_FAILURE : 0;
}

static int cmd_predict(int argc, char **argv)
{
    opts_t o;
    int rc = parse_opts("predict", usage_predict, argc, argv, &o, false);
    if (rc)
        return rc < 0 ? 0 : rc;
    sim_config_t cfg;
    if ((rc = load_config(&o, &cfg)))
        return rc;
    prediction_t p;
    predict(&cfg, &p);
    printf("config     %s\n", o.config);
    printf("rho        %.6f (per-core utilisation)\n", p.rho);
    if (!p.available) {
        printf("model      none: %s\n", p.reason);
    } else {
        printf("model      %s%s\n", p.model, p.exact ? "" : " (approximation)");
        printf("mean       %.3f ns\n", p.mean_ns);
        if (p.has_quantiles) {
            printf("p50        %.3f ns\np90        %.3f ns\np99        %.3f ns\n", p.p50_ns,
                   p.p90_ns, p.p99_ns);
            printf("p999       %.3f ns\np9999      %.3f ns\n", p.p999_ns, p.p9999_ns);
        }
    }
    config_free(&cfg);
    return 0;
}

static int cmd_config(int argc, char **argv)
{
    (void)argv;
    if (argc > 0 && strcmp(argv[0], "--help") && strcmp(argv[0], "-h"))
        return usage_error("config", "takes no arguments, found '%s'", argv[0]);
    config_print_reference(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"run", cmd_run}, {"predict", cmd_predict}, {"config", cmd_config},
                 {"export", cmd_export}, {"view", cmd_view}};
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("parasim %s (results format %d, config format %d)\n", PARASIM_VERSION,
               RESULTS_FORMAT, CONFIG_FORMAT);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 2, argv + 2);
    return usage_error(NULL, "unknown command '%s'", argv[1]);
}
