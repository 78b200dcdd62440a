/* tests/e2e/e2e.h: running the real parasim binary from a Check suite
 * ($PARASIM, set by make check, else build/parasim) in a scratch
 * directory (tests/tmpdir.h), and reading its results.json. */
#ifndef PARASIM_TESTS_E2E_E2E_H
#define PARASIM_TESTS_E2E_E2E_H

#include "tests/check_main.h"
#include "tests/tmpdir.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline const char *parasim(void)
{
    const char *p = getenv("PARASIM");
    return p && *p ? p : "build/parasim";
}

/* Run parasim with args, results into tmp_dir/out; exit code; stderr in err. */
static inline int run(const char *args, const char *out, char *err, size_t errlen)
{
    char cmd[4 * PATH_MAX + 3000], errpath[PATH_MAX];
    snprintf(errpath, sizeof errpath, "%s/stderr", tmp_dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' run %s --out '%s/%s' >/dev/null 2>'%s'", tmp_dir,
             parasim(), args, tmp_dir, out, errpath);
    int status = system(cmd);
    ck_assert(WIFEXITED(status));
    FILE *f = fopen(errpath, "r");
    size_t n = f ? fread(err, 1, errlen - 1, f) : 0;
    err[n] = '\0';
    if (f)
        fclose(f);
    return WEXITSTATUS(status);
}

static inline char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s missing", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static inline cJSON *results(const char *out)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/results.json", tmp_dir, out);
    char *text = slurp(path);
    cJSON *r = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(r);
    return r;
}

static inline double num(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *v = o;
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, "."))
        v = cJSON_GetObjectItemCaseSensitive(v, tok);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", path);
    return v->valuedouble;
}

#endif
