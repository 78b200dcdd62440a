/* The parasim command as a user meets it: bad input gives one line on
 * stderr naming the file, the JSON path and what was expected, exit code 2,
 * and writes nothing; the same config and seed give identical results;
 * help and version work.
 *
 * Runs the real binary: $PARASIM (set by make check), else build/parasim. */
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *parasim(void)
{
    const char *p = getenv("PARASIM");
    return p && *p ? p : "build/parasim";
}

/* Run `parasim ARGS`; stderr into err (stdout discarded unless out); returns
 * the exit code. */
static int run(const char *args, char *err, size_t errlen, char *out, size_t outlen)
{
    char cmd[1024], errpath[128], outpath[128];
    snprintf(errpath, sizeof errpath, "%s/stderr", tmp_dir);
    snprintf(outpath, sizeof outpath, "%s/stdout", tmp_dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s'", tmp_dir, parasim(), args, outpath,
             errpath);
    int status = system(cmd);
    ck_assert(WIFEXITED(status));
    FILE *f = fopen(errpath, "r");
    size_t n = fread(err, 1, errlen - 1, f);
    err[n] = '\0';
    fclose(f);
    if (out) {
        f = fopen(outpath, "r");
        n = fread(out, 1, outlen - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    return WEXITSTATUS(status);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

#define GOOD_REST "\"load\": {\"rate_rps\": 500000}, \"requests\": 2000"

/* Every bad input: exit 2, exactly one line, containing each needle. */
typedef struct bad_case {
    const char *desc;
    const char *config;  /* file text; NULL = no file */
    const char *args;    /* after "run cfg.json" */
    const char *needle[3];
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"malformed JSON: line and column of the error",
     "{\n  \"seed\": 1,\n  \"requests\": ,\n}\n", "",
     {"cfg.json:3:15: malformed JSON", NULL}},
    {"truncated JSON", "{\"seed\": 1", "", {"cfg.json:1:11: malformed JSON", "end of input"}},
    {"unknown key suggests the closest",
     "{\"machine\": {\"coers\": 4}, " GOOD_REST "}", "",
     {"cfg.json: machine.coers: unknown key", "did you mean \"machine.cores\"?"}},
    {"unknown top-level key found elsewhere in the tree",
     "{\"cores\": 4, " GOOD_REST "}", "", {"cfg.json: cores: unknown key", "\"machine.cores\""}},
    {"wrong type", "{\"machine\": {\"cores\": \"four\"}, " GOOD_REST "}", "",
     {"machine.cores: expected an integer in [1, 4096]", "found the string \"four\""}},
    {"out of range", "{\"machine\": {\"cores\": 0}, " GOOD_REST "}", "",
     {"machine.cores: expected an integer in [1, 4096]", "found the number 0"}},
    {"not an integer", "{\"requests\": 1.5, \"load\": {\"rate_rps\": 1e5}}", "",
     {"requests: expected an integer", "found the number 1.5"}},
    {"bad enum", "{\"kernel\": {\"dispatch\": \"random\"}, " GOOD_REST "}", "",
     {"kernel.dispatch: expected one of partitioned|centralized", "\"random\""}},
    {"missing required rate", "{\"requests\": 10}", "", {"load.rate_rps: required", NULL}},
    {"duplicate key", "{\"seed\": 1, \"seed\": 2, " GOOD_REST "}", "",
     {"cfg.json: seed: duplicate key", NULL}},
    {"parameter of another distribution",
     "{\"workload\": {\"service\": {\"dist\": \"exponential\", \"mean_ns\": 5, \"sigma\": 1}}, "
     GOOD_REST "}", "",
     {"workload.service.sigma: not a parameter of dist \"exponential\"", "mean_ns"}},
    {"missing distribution parameter",
     "{\"workload\": {\"service\": {\"dist\": \"bimodal\", \"p\": 0.5, \"a_ns\": 1}}, " GOOD_REST
     "}", "", {"workload.service.b_ns: required for dist \"bimodal\"", NULL}},
    {"unknown cost name",
     "{\"costs\": {\"override\": {\"mem.dramm\": 60}}, " GOOD_REST "}", "",
     {"costs.override.mem.dramm: unknown cost name", "\"mem.dram\""}},
    {"unknown cost profile", "{\"costs\": {\"profile\": \"fast\"}, " GOOD_REST "}", "",
     {"costs.profile: expected one of default|zero", NULL}},
    {"both requests and duration", "{\"duration_us\": 10, " GOOD_REST "}", "",
     {"duration_us: give either requests or duration_us", NULL}},
    {"top level not an object", "[1, 2]", "", {"cfg.json: expected a JSON object", "an array"}},
    {"trailing comma", "{\"seed\": 1,\n}", "", {"cfg.json:1:11: malformed JSON: trailing comma", NULL}},
    /* a \u0000 escape would silently cut the key to "seed" */
    {"NUL escape", "{\"seed\\u0000x\": 1, " GOOD_REST "}", "",
     {"cfg.json:1:7: \\u0000 (NUL) is not allowed", NULL}},
    {"run beyond the simulated-time limit", "{\"requests\": 1000, \"load\": {\"rate_rps\": 0.001}}",
     "", {"load.rate_rps: 1e+03 requests at 0.001 req/s span 1e+06 s", "limit is 1e5 s"}},
    {"--set value with trailing garbage is a string", "{" GOOD_REST "}",
     "--set machine.cores=16cores", {"found the string \"16cores\"", NULL}},
    {"empty --out", "{" GOOD_REST "}", "--out ''", {"parasim run: --out needs a directory", NULL}},
    {"missing file", NULL, "", {"cfg.json: cannot open config", "No such file"}},
    {"--set of an unknown key names the --set", "{" GOOD_REST "}", "--set machine.cors=4",
     {"--set machine.cors=4: machine.cors: unknown key", "did you mean \"machine.cores\"?"}},
    {"--set with a bad value", "{" GOOD_REST "}", "--set machine.cores=many",
     {"--set machine.cores=many", "found the string \"many\""}},
    {"--set without =", "{" GOOD_REST "}", "--set machine.cores",
     {"--set machine.cores: expected path=value", NULL}},
    {"--seed not a number", "{" GOOD_REST "}", "--seed twelve",
     {"parasim run: --seed needs an integer", "twelve"}},
    {"unknown option", "{" GOOD_REST "}", "--fast", {"parasim run: unknown option '--fast'", NULL}},
};

START_TEST(test_bad_input_is_one_line_and_exit_2)
{
    const bad_case_t *c = &bad_cases[_i];
    char err[2048], args[512];
    if (c->config)
        tmp_file("cfg.json", c->config);
    snprintf(args, sizeof args, "run cfg.json --out res %s", c->args);
    int code = run(args, err, sizeof err, NULL, 0);
    ck_assert_msg(code == 2, "%s: exit %d, stderr: %s", c->desc, code, err);
    ck_assert_msg(lines(err) == 1, "%s: %d lines: %s", c->desc, lines(err), err);
    ck_assert_msg(!strncmp(err, "parasim", 7), "%s: %s", c->desc, err);
    for (int i = 0; i < 3 && c->needle[i]; i++)
        ck_assert_msg(strstr(err, c->needle[i]), "%s: expected \"%s\" in: %s", c->desc,
                      c->needle[i], err);
    /* nothing was written */
    char res[128];
    struct stat st;
    snprintf(res, sizeof res, "%s/res", tmp_dir);
    ck_assert_msg(stat(res, &st) != 0, "%s: output directory created", c->desc);
}
END_TEST

START_TEST(test_usage_errors_exit_2)
{
    char err[2048];
    ck_assert_int_eq(run("", err, sizeof err, NULL, 0), 2);
    ck_assert_ptr_nonnull(strstr(err, "usage: parasim"));
    ck_assert_int_eq(run("frobnicate", err, sizeof err, NULL, 0), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown command 'frobnicate'"));
    ck_assert_int_eq(run("run", err, sizeof err, NULL, 0), 2);
    ck_assert_ptr_nonnull(strstr(err, "missing CONFIG.json"));
}
END_TEST

START_TEST(test_help_and_version)
{
    static char out[65536];
    char err[256];
    ck_assert_int_eq(run("--help", err, sizeof err, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "run CONFIG.json"));
    ck_assert_int_eq(run("run --help", err, sizeof err, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "--set path=value"));
    ck_assert_ptr_nonnull(strstr(out, "--seed N"));
    ck_assert_int_eq(run("--version", err, sizeof err, out, sizeof out), 0);
    ck_assert_msg(!strncmp(out, "parasim ", 8), "%s", out);
    ck_assert_int_eq(run("config", err, sizeof err, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "machine.cores"));
    ck_assert_ptr_nonnull(strstr(out, "mem.dram"));
}
END_TEST

/* results.json of run `sub` as text; with `stable`, without the two lines
 * allowed to differ between identical runs (sim.wall_s, sim.events_per_s). */
static char *results_text(const char *sub, bool stable)
{
    char path[160], line[4096];
    snprintf(path, sizeof path, "%s/%s/results.json", tmp_dir, sub);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s missing", path);
    size_t cap = 1 << 20, len = 0;
    char *text = calloc(1, cap);
    ck_assert_ptr_nonnull(text);
    while (fgets(line, sizeof line, f)) {
        if (stable && (strstr(line, "\"wall_s\":") || strstr(line, "\"events_per_s\":")))
            continue;
        size_t n = strlen(line);
        ck_assert_uint_lt(len + n, cap);
        memcpy(text + len, line, n + 1);
        len += n;
    }
    fclose(f);
    return text;
}

static cJSON *load_results(const char *sub)
{
    char *text = results_text(sub, false);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

static const char small_run[] =
    "{\"seed\": 3, \"requests\": 50000, \"machine\": {\"cores\": 4},"
    " \"kernel\": {\"dispatch\": \"partitioned\"},"
    " \"workload\": {\"service\": {\"dist\": \"lognormal\", \"mean_ns\": 800, \"sigma\": 1}},"
    " \"load\": {\"rate_rps\": 3e6}}";

START_TEST(test_same_seed_same_results)
{
    char err[2048];
    tmp_file("cfg.json", small_run);
    ck_assert_int_eq(run("run cfg.json --quiet --out a", err, sizeof err, NULL, 0), 0);
    ck_assert_int_eq(run("run cfg.json --quiet --out b", err, sizeof err, NULL, 0), 0);
    ck_assert_int_eq(run("run cfg.json --quiet --out c --seed 4", err, sizeof err, NULL, 0), 0);
    /* byte for byte, apart from the wall-clock lines */
    char *a = results_text("a", true), *b = results_text("b", true), *c = results_text("c", true);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    /* another seed gives other numbers, not only another echoed seed */
    cJSON *ja = load_results("a"), *jc = load_results("c");
    ck_assert(!cJSON_Compare(cJSON_GetObjectItem(ja, "latency_ns"),
                             cJSON_GetObjectItem(jc, "latency_ns"), 1));
    cJSON_Delete(ja);
    cJSON_Delete(jc);
    free(a);
    free(b);
    free(c);
}
END_TEST

/* results.json carries the fields scripts rely on, consistent with each
 * other and with the config (independent expectations: the config's own
 * numbers and conservation of requests). */
START_TEST(test_results_fields)
{
    char err[2048], out[4096];
    tmp_file("cfg.json", small_run);
    ck_assert_int_eq(run("run cfg.json --out r", err, sizeof err, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "r/results.json"));
    cJSON *r = load_results("r");
    cJSON *req = cJSON_GetObjectItem(r, "requests");
    double offered = cJSON_GetObjectItem(req, "offered")->valuedouble;
    ck_assert_double_eq(offered, 50000);
    ck_assert_double_eq(cJSON_GetObjectItem(req, "completed")->valuedouble +
                            cJSON_GetObjectItem(req, "dropped")->valuedouble,
                        offered);
    /* default warm-up: 10% of requests */
    ck_assert_double_eq(cJSON_GetObjectItem(req, "warmup")->valuedouble, 5000);
    cJSON *lat = cJSON_GetObjectItem(r, "latency_ns");
    ck_assert_double_eq(cJSON_GetObjectItem(lat, "count")->valuedouble, 45000);
    const char *order[] = {"min", "p50", "p90", "p99", "p999", "p9999", "max"};
    for (int i = 1; i < 7; i++)
        ck_assert(cJSON_GetObjectItem(lat, order[i - 1])->valuedouble <=
                  cJSON_GetObjectItem(lat, order[i])->valuedouble);
    /* open loop, stable: throughput is the offered 3e6 req/s, and the 4 cores
     * are busy rho = 3e6 * 800 ns / 4 = 0.6 of the time (sampling error of
     * 45000 lognormal requests is well under the 5% allowed) */
    ck_assert_double_eq_tol(cJSON_GetObjectItem(r, "throughput_rps")->valuedouble, 3e6, 0.05 * 3e6);
    cJSON *cores = cJSON_GetObjectItem(r, "cores");
    ck_assert_int_eq(cJSON_GetArraySize(cores), 4);
    double busy = 0;
    for (cJSON *c = cores->child; c; c = c->next)
        busy += cJSON_GetObjectItem(cJSON_GetObjectItem(c, "util"), "user")->valuedouble / 4;
    ck_assert_double_eq_tol(busy, 0.6, 0.03);
    cJSON *cfg = cJSON_GetObjectItem(r, "config");
    /* defaults are echoed */
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "costs"), "profile")->valuestring,
                     "default");
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(r, "costs"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(r, "model"));
    cJSON *sim = cJSON_GetObjectItem(r, "sim");
    ck_assert(cJSON_GetObjectItem(sim, "events")->valuedouble >= 2 * 50000);
    cJSON_Delete(r);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *bad = tcase_create("bad_input");
    tcase_add_checked_fixture(bad, tmp_setup, tmp_teardown);
    tcase_add_loop_test(bad, test_bad_input_is_one_line_and_exit_2, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(bad, test_usage_errors_exit_2);
    suite_add_tcase(s, bad);
    TCase *help = tcase_create("help");
    tcase_add_checked_fixture(help, tmp_setup, tmp_teardown);
    tcase_add_test(help, test_help_and_version);
    suite_add_tcase(s, help);
    TCase *det = tcase_create("results");
    tcase_add_checked_fixture(det, tmp_setup, tmp_teardown);
    tcase_set_timeout(det, 300);
    tcase_add_test(det, test_same_seed_same_results);
    tcase_add_test(det, test_results_fields);
    suite_add_tcase(s, det);
    return s;
}

CHECK_MAIN(cli_suite)
