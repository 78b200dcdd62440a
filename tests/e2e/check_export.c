/* `parasim export` as a user meets it, on the hand-made timeline of
 * tests/traces/tl_fixture.h: Chrome JSON that parses (cJSON) with every
 * span, core and device group; .json.gz that gunzips (zlib) to the same
 * bytes, identical from run to run; CSV to a file and to the standard
 * output that parses back (RFC 4180) to the spans; a window; the format
 * told by the output's name; help.  Bad input (a missing, truncated,
 * damaged or foreign file, bad options, an unwritable output): exit 2,
 * one line on stderr, no output file left behind.
 *
 * Runs the real binary: $PARASIM (set by make check), else build/parasim. */
#include "tests/check_main.h"
#include "tests/tmpdir.h"
#include "tests/traces/tl_fixture.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static const char *parasim(void)
{
    const char *p = getenv("PARASIM");
    return p && *p ? p : "build/parasim";
}

static char *slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s missing", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

static bool exists(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    return access(path, F_OK) == 0;
}

/* `parasim ARGS` in tmp_dir, stdout into tmp_dir/stdout; the exit code,
 * stderr in err. */
static int run(const char *args, char *err, size_t errlen)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >stdout 2>stderr", tmp_dir, parasim(), args);
    int status = system(cmd);
    ck_assert(WIFEXITED(status));
    char *e = slurp("stderr", NULL);
    snprintf(err, errlen, "%s", e);
    free(e);
    return WEXITSTATUS(status);
}

static void setup(void)
{
    tmp_setup();
    char path[256];
    snprintf(path, sizeof path, "%s/fx.pstl", tmp_dir);
    fx_write(path);
}

static int count(const cJSON *events, const char *ph, const char *name)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "ph"));
        const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
        n += p && !strcmp(p, ph) && (!name || (nm && !strcmp(nm, name)));
    }
    return n;
}

/* A process_name M event naming name. */
static bool names_process(const cJSON *events, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "ph"));
        const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "args");
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "name"));
        if (p && nm && v && !strcmp(p, "M") && !strcmp(nm, "process_name") && !strcmp(v, name))
            return true;
    }
    return false;
}

START_TEST(test_chrome)
{
    char err[1024];
    ck_assert_int_eq(run("export fx.pstl --format chrome -o out.json", err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    ck_assert(!exists("out.json.tmp"));
    char *text = slurp("out.json", NULL);
    cJSON *root = cJSON_Parse(text);
    ck_assert_msg(root != NULL, "not JSON near: %.80s", cJSON_GetErrorPtr());
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "traceEvents");
    ck_assert_int_eq(count(ev, "X", NULL), (int)FX_NSPANS);
    ck_assert_int_eq(count(ev, "C", NULL), (int)FX_NCOUNTERS);
    ck_assert_int_eq(count(ev, "i", NULL), (int)FX_NINSTANTS);
    ck_assert_int_eq(count(ev, "M", "process_name"), 3 + (int)FX_NGROUPS);
    const char *procs[] = {"core 0", "core 1", "core 2", "nic", "nvme", "iommu\tfaults"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(names_process(ev, procs[i]), "no process named %s", procs[i]);
    /* the span at 999999 ps, 1 ps long: exact to the ps */
    ck_assert_ptr_nonnull(strstr(text, "\"ts\":0.999999,\"dur\":0.000001,"));
    cJSON_Delete(root);
    free(text);
}
END_TEST

START_TEST(test_gzip_same_bytes_every_run)
{
    char err[1024];
    ck_assert_int_eq(run("export fx.pstl -o plain.json", err, sizeof err), 0);
    ck_assert_int_eq(run("export fx.pstl -o a.json.gz", err, sizeof err), 0);
    ck_assert_int_eq(run("export fx.pstl --format chrome -o b.json.gz", err, sizeof err), 0);
    size_t n, na, nb;
    char *plain = slurp("plain.json", &n), *a = slurp("a.json.gz", &na),
         *b = slurp("b.json.gz", &nb);
    ck_assert(na == nb && !memcmp(a, b, na));
    char path[256];
    snprintf(path, sizeof path, "%s/a.json.gz", tmp_dir);
    gzFile gz = gzopen(path, "rb");
    ck_assert(gz != NULL && !gzdirect(gz));
    char *u = malloc(n + 16);
    ck_assert_int_eq(gzread(gz, u, (unsigned)n + 16), (int)n);
    gzclose(gz);
    ck_assert(!memcmp(u, plain, n));
    free(plain), free(a), free(b), free(u);
}
END_TEST

static void check_csv_spans(const char *text, size_t nspans, const tl_span_t *want)
{
    fx_csv_t c;
    fx_csv_parse(text, &c);
    ck_assert_uint_eq(c.nrows, 1 + nspans);
    ck_assert_str_eq(c.f[0][0], "track");
    ck_assert_str_eq(c.f[0][9], "arg");
    for (size_t r = 1; r < c.nrows; r++) {
        ck_assert_uint_eq(c.nf[r], 10);
        ck_assert_uint_eq(fx_u64(c.f[r][0]), want[r - 1].track);
        ck_assert_str_eq(c.f[r][2], FX_TRACKS[want[r - 1].track].label);
        ck_assert_uint_eq(fx_u64(c.f[r][3]), want[r - 1].t0);
        ck_assert_uint_eq(fx_u64(c.f[r][4]), want[r - 1].t1);
        ck_assert_str_eq(c.f[r][6], FX_MODE[want[r - 1].mode]);
    }
    fx_csv_free(&c);
}

START_TEST(test_csv)
{
    char err[1024];
    ck_assert_int_eq(run("export fx.pstl --format csv -o out.csv", err, sizeof err), 0);
    char *file = slurp("out.csv", NULL);
    check_csv_spans(file, FX_NSPANS, FX_SPANS);
    /* the format told by the name; - is the standard output */
    ck_assert_int_eq(run("export fx.pstl -o named.csv", err, sizeof err), 0);
    char *named = slurp("named.csv", NULL);
    ck_assert_str_eq(named, file);
    ck_assert_int_eq(run("export fx.pstl --format csv -o -", err, sizeof err), 0);
    char *out = slurp("stdout", NULL);
    ck_assert_str_eq(out, file);
    free(file), free(named), free(out);
}
END_TEST

/* [1.5 µs, 3 µs) by hand: the irq span cut at 1.5, the poll span cut at 3,
 * core 1's app span whole. */
START_TEST(test_window)
{
    char err[1024];
    ck_assert_int_eq(run("export fx.pstl --format csv -o w.csv --from 1.5 --to 3", err, sizeof err),
                     0);
    const tl_span_t want[] = {
        {.track = 0, .t0 = 1500000, .t1 = 2500000, .mode = TL_IRQ},
        {.track = 0, .t0 = 2500000, .t1 = 3000000, .mode = TL_POLL},
        {.track = 1, .t0 = 2000000, .t1 = 3000000, .mode = TL_USER},
    };
    char *text = slurp("w.csv", NULL);
    check_csv_spans(text, 3, want);
    free(text);
    ck_assert_int_eq(run("export fx.pstl -o w.csv --what instants --from 1.5 --to 3", err,
                         sizeof err),
                     0);
    text = slurp("w.csv", NULL);
    ck_assert_str_eq(text, "track,name,label,t_ps,kind,arg\n"
                           "5,iommu\tfaults \xff!,bad\xc3,1500000,iommu_fault,256\n");
    free(text);
}
END_TEST

START_TEST(test_help)
{
    char err[1024];
    ck_assert_int_eq(run("export --help", err, sizeof err), 0);
    char *out = slurp("stdout", NULL);
    ck_assert_ptr_nonnull(strstr(out, "usage: parasim export TIMELINE"));
    free(out);
    ck_assert_int_eq(run("--help", err, sizeof err), 0);
    out = slurp("stdout", NULL);
    ck_assert_ptr_nonnull(strstr(out, "  export TIMELINE"));
    free(out);
}
END_TEST

/* ---------------------------------------------------------------- bad input */

typedef struct bad_case {
    const char *desc;
    const char *prepare;     /* a shell command run in tmp_dir first, or NULL */
    const char *args;        /* after "export" */
    const char *needle[2];
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"missing file", NULL, "nope.pstl -o o.json", {"nope.pstl: cannot open", NULL}},
    {"truncated file", "head -c 60 fx.pstl > cut.pstl", "cut.pstl -o o.json",
     {"cut.pstl: ", "truncated"}},
    {"damaged zlib stream", "cp fx.pstl bad.pstl && printf '\\377\\377\\377' | "
                            "dd of=bad.pstl bs=1 seek=50 conv=notrunc 2>/dev/null",
     "bad.pstl -o o.json", {"bad.pstl: record", NULL}},
    {"not a timeline", "printf 'not a timeline, only some text' > text.pstl", "text.pstl -o o.json",
     {"text.pstl: header", NULL}},
    {"bad --format", NULL, "fx.pstl --format xml -o o.json", {"--format must be chrome or csv", "'xml'"}},
    {"no output", NULL, "fx.pstl --format csv", {"no output given", NULL}},
    {"no timeline", NULL, "-o o.json", {"no TIMELINE given", NULL}},
    {"format not told by the name", NULL, "fx.pstl -o o.txt", {"cannot tell the format", "o.txt"}},
    {"bad --from", NULL, "fx.pstl -o o.json --from 1e3", {"--from must be microseconds", "1e3"}},
    {"empty window", NULL, "fx.pstl -o o.json --from 3 --to 1", {"--from must be before --to", NULL}},
    {"--what with chrome", NULL, "fx.pstl -o o.json --what counters", {"--what counters is for", NULL}},
    {"bad --what", NULL, "fx.pstl -o o.csv --what frames", {"--what must be", "'frames'"}},
    {"unknown option", NULL, "fx.pstl -o o.json --fast", {"unknown option '--fast'", NULL}},
    {"two timelines", NULL, "fx.pstl fx.pstl -o o.json", {"one timeline at a time", NULL}},
    {"unwritable output", NULL, "fx.pstl -o nodir/o.json", {"nodir/o.json: cannot create", NULL}},
};

START_TEST(test_bad_input)
{
    const bad_case_t *c = &bad_cases[_i];
    char err[2048], cmd[512];
    if (c->prepare) {
        snprintf(cmd, sizeof cmd, "cd '%s' && %s", tmp_dir, c->prepare);
        ck_assert_int_eq(system(cmd), 0);
    }
    snprintf(cmd, sizeof cmd, "export %s", c->args);
    int code = run(cmd, err, sizeof err);
    ck_assert_msg(code == 2, "%s: exit %d, stderr: %s", c->desc, code, err);
    size_t len = strlen(err);
    ck_assert_msg(len > 0 && err[len - 1] == '\n' && strchr(err, '\n') == err + len - 1,
                  "%s: not one line: %s", c->desc, err);
    ck_assert_msg(!strncmp(err, "parasim export: ", 16), "%s: %s", c->desc, err);
    for (int i = 0; i < 2 && c->needle[i]; i++)
        ck_assert_msg(strstr(err, c->needle[i]), "%s: expected \"%s\" in: %s", c->desc,
                      c->needle[i], err);
    ck_assert_msg(!exists("o.json") && !exists("o.json.tmp") && !exists("o.csv"),
                  "%s: an output was left", c->desc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("export");
    tcase_add_checked_fixture(tc, setup, tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_chrome);
    tcase_add_test(tc, test_gzip_same_bytes_every_run);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_help);
    tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
