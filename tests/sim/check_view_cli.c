/* tests/sim/check_view_cli: `parasim view` (sim/cmd_view) through the real
 * binary ($PARASIM, set by make check, else build/parasim): the PNG it
 * writes decoded here (tests/sim/view_tt.h) and its pixels at the places
 * the layout constants give; its bad input (one line on stderr, exit 2,
 * nothing written); --range's time syntax. */
#include "tests/check_main.h"
#include "tests/sim/view_tt.h"
#include "tests/tmpdir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/cmd_view.h"
#include "sim/view.h"
#include "sim/view_model.h"

START_TEST(test_parse_time)
{
    static const struct {
        const char *s;
        int ok;
        uint64_t ps;
    } cases[] = {
        {"0", 1, 0},           {"250", 1, 250000},        {"1.5us", 1, 1500000},
        {"1.5µs", 1, 1500000}, {"2ms", 1, 2000000000},    {"3s", 1, 3000000000000},
        {"7ps", 1, 7},         {"0.001ns", 1, 1},         {"1.2345ps", 0, 0},
        {"", 0, 0},            {"ns", 0, 0},              {"1e3", 0, 0},
        {"-1", 0, 0},          {"1.", 0, 0},              {"99999999999999999999", 0, 0},
        {"20000000s", 0, 0},   {"1 ns", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t ps = 0;
        int rc = view_parse_time(cases[i].s, &ps);
        ck_assert_msg((rc == 0) == cases[i].ok, "'%s'", cases[i].s);
        if (cases[i].ok)
            ck_assert_uint_eq(ps, cases[i].ps);
    }
}
END_TEST

/* ---------------------------------------------------------------- the command */

/* $PARASIM (make check sets it), else build/parasim from where the
 * suite was started. */
static const char *parasim(void)
{
    static char path[PATH_MAX];
    const char *p = getenv("PARASIM");
    if (p && *p)
        return p;
    char cwd[PATH_MAX - 32];
    snprintf(path, sizeof path, "%s/build/parasim", getcwd(cwd, sizeof cwd) ? cwd : ".");
    return path;
}

/* Run `parasim view ARGS` with env prepended; exit code, stderr in err. */
static int view(const char *env, const char *args, char *err, size_t errlen)
{
    char cmd[4 * PATH_MAX], errpath[PATH_MAX];
    snprintf(errpath, sizeof errpath, "%s/stderr", tmp_dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' view %s >/dev/null 2>'%s'", tmp_dir, env,
             parasim(), args, errpath);
    int status = system(cmd);
    ck_assert(WIFEXITED(status));
    FILE *f = fopen(errpath, "r");
    size_t n = f ? fread(err, 1, errlen - 1, f) : 0;
    err[n] = '\0';
    if (f)
        fclose(f);
    return WEXITSTATUS(status);
}

static int one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl && nl[1] == '\0';
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s missing", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len);
    ck_assert_uint_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

START_TEST(test_cli_renders_a_png)
{
    char err[1024], args[256], path[PATH_MAX];
    write_tiny("tiny.tl");
    snprintf(args, sizeof args, "tiny.tl --png out.png --size %dx%d --range 0:1000ns", TINY_W,
             TINY_H);
    ck_assert_msg(view("", args, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/out.png", tmp_dir);
    size_t len;
    uint8_t *png = slurp(path, &len);
    decoded_t d = png_decode(png, len);
    ck_assert_uint_eq(d.w, TINY_W);
    ck_assert_uint_eq(d.h, TINY_H);
    tiny_layout_t l = tiny_layout(TINY_H);
    ck_assert_uint_eq(png_px(&d, x_of_ns(200), l.rows_y + 2), view_mode_colour(TL_USER));
    ck_assert_uint_eq(png_px(&d, x_of_ns(600), l.rows_y + 2), VIEW_ROW_BG);
    ck_assert_uint_eq(png_px(&d, x_of_ns(600), l.rows_y + l.core_h + VM_ROW_GAP + 2),
                      view_mode_colour(TL_POLL));
    /* again: the same bytes */
    ck_assert_int_eq(view("", "tiny.tl --png again.png --size 1138x200 --range 0:1000ns", err,
                          sizeof err), 0);
    snprintf(path, sizeof path, "%s/again.png", tmp_dir);
    size_t len2;
    uint8_t *png2 = slurp(path, &len2);
    ck_assert(len == len2 && !memcmp(png, png2, len));
    /* without --size: 1600 wide, as high as the rows need */
    ck_assert_int_eq(view("", "tiny.tl --png auto.png", err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/auto.png", tmp_dir);
    free(png);
    free(d.raw);
    png = slurp(path, &len);
    d = png_decode(png, len);
    ck_assert_uint_eq(d.w, 1600);
    ck_assert_uint_eq(d.h, VM_HEADER_H + VM_AXIS_H + VM_LEGEND_H + 2 * (24 + VM_ROW_GAP) +
                               VM_COUNTER_H + VM_INSTANT_H + 2 * VM_ROW_GAP);
    free(png);
    free(png2);
    free(d.raw);
}
END_TEST

START_TEST(test_cli_bad_input_is_one_line_exit_2)
{
    char err[1024];
    write_tiny("tiny.tl");
    static const char *bad[] = {
        "missing.tl --png x.png",
        "tiny.tl --png x.png --size 10x10",
        "tiny.tl --png x.png --size 100",
        "tiny.tl --png x.png --range 2us:1us",
        "tiny.tl --png x.png --range soon",
        "tiny.tl --png no-such-dir/x.png",
        "tiny.tl --png",
        "tiny.tl --frobnicate",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(view("", bad[i], err, sizeof err) == 2, "'%s' did not exit 2", bad[i]);
        ck_assert_msg(one_line(err), "'%s': not one line: %s", bad[i], err);
        ck_assert_msg(!strncmp(err, "parasim view: ", 14), "'%s': %s", bad[i], err);
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/x.png", tmp_dir);
    ck_assert_ptr_null(fopen(path, "r"));
    /* a file that is not a timeline */
    tmp_file("junk.tl", "not a timeline\n");
    ck_assert_int_eq(view("", "junk.tl --png x.png", err, sizeof err), 2);
    ck_assert(one_line(err) && strstr(err, "junk.tl"));
    /* no display: a window cannot open, --png is suggested */
    ck_assert_int_eq(view("env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER", "tiny.tl", err,
                          sizeof err), 2);
    ck_assert_msg(one_line(err) && strstr(err, "--png"), "%s", err);
    ck_assert_int_eq(view("", "--help", err, sizeof err), 0);
}
END_TEST

static Suite *view_cli_suite(void)
{
    Suite *s = suite_create("view_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_parse_time);
    tcase_add_test(tc, test_cli_renders_a_png);
    tcase_add_test(tc, test_cli_bad_input_is_one_line_exit_2);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(view_cli_suite)
