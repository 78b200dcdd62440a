/* tests/traces/tl_tt.h: helpers shared by the timeline suites
 * (check_timeline, check_timeline_bad): paths in the test's scratch
 * directory, writing and loading with the error shown on failure, and a
 * deterministic sample file.  Static inline so a suite may use any subset. */
#ifndef PARASIM_TESTS_TRACES_TL_TT_H
#define PARASIM_TESTS_TRACES_TL_TT_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tests/tmpdir.h"
#include "traces/timeline.h"

static char err[512];

static inline const char *path_of(const char *name)
{
    static char p[192];
    snprintf(p, sizeof p, "%s/%s", tmp_dir, name);
    return p;
}

static inline bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static inline tl_writer_t *open_w(const char *path)
{
    tl_writer_t *w = tl_writer_open(path, 0, UINT64_MAX, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    return w;
}

static inline void close_w(tl_writer_t *w)
{
    ck_assert_msg(tl_writer_close(w, err, sizeof err) == 0, "%s", err);
}

static inline tl_timeline_t *load_ok(const char *path)
{
    tl_timeline_t *t = tl_load(path, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    return t;
}

/* The whole file at p (malloc'd into *out); its size. */
static inline size_t read_all(const char *p, uint8_t **out)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(*out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return (size_t)n;
}

/* 60000 spans on two core tracks, a meta: the same calls every time. */
static inline void write_same(const char *p)
{
    tl_writer_t *w = open_w(p);
    tl_add_track(w, TL_TRACK_CORE, "core 0", "a");
    tl_add_track(w, TL_TRACK_CORE, "core 1", "b");
    tl_add_meta(w, "seed", "1");
    for (uint64_t i = 0; i < 60000; i++) {
        tl_span_t s = {.t0 = 10 * i, .t1 = 10 * i + i % 10, .arg = i * i, .track = (uint32_t)(i & 1),
                       .pid = 3, .mode = TL_POLL, .what = TL_WHAT_POLL};
        ck_assert_int_eq(tl_add_span(w, &s), 0);
    }
    close_w(w);
}

#endif
