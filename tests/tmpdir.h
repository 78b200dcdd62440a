/* A scratch directory per test for Check suites that write files:
 * tmp_setup()/tmp_teardown() as a checked fixture, tmp_file() to write one.
 * Static inline so a suite may use any subset without warnings. */
#ifndef PARASIM_TESTS_TMPDIR_H
#define PARASIM_TESTS_TMPDIR_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static char tmp_dir[64];

static inline void tmp_setup(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/parasim-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static inline void tmp_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write text to tmp_dir/name; returns the path (a static buffer, valid
 * until the next call). */
static inline const char *tmp_file(const char *name, const char *text)
{
    static char path[192];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#endif
