/* tests/traces/tt.h: helpers shared by the traces/ suites: where the real
 * inputs are (PARASIM_SHARED, default ../shared), whole-file reads with
 * plain stdio (independent of traces/tfile), binary files in the test's
 * scratch directory (tests/tmpdir.h), gzip through zlib's own API, and a
 * little-/big-endian byte builder for hand-made captures.
 * Static inline so that a suite may use any subset. */
#ifndef PARASIM_TESTS_TRACES_TT_H
#define PARASIM_TESTS_TRACES_TT_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/tmpdir.h"

static inline const char *tt_shared(const char *name)
{
    static char path[512];
    const char *d = getenv("PARASIM_SHARED");
    snprintf(path, sizeof path, "%s/traces/%s", d ? d : "../shared", name);
    return path;
}

static inline const char *tt_reference(const char *name)
{
    static char path[512];
    const char *d = getenv("PARASIM_SHARED");
    snprintf(path, sizeof path, "%s/reference/%s", d ? d : "../shared", name);
    return path;
}

/* The whole file, malloc'd; *len its size. */
static inline uint8_t *tt_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s (set PARASIM_SHARED)", path);
    ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    ck_assert_int_ge(n, 0);
    rewind(fp);
    uint8_t *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

/* tmp_dir/name (a static buffer per slot: slot 0..3). */
static inline const char *tt_path(const char *name, int slot)
{
    static char path[4][256];
    snprintf(path[slot], sizeof path[slot], "%s/%s", tmp_dir, name);
    return path[slot];
}

static inline const char *tt_write(const char *name, const void *data, size_t len)
{
    const char *p = tt_path(name, 0);
    /* a new file rather than a truncated one: ext4 flushes a file that is
     * truncated and rewritten (auto_da_alloc), 2.5 ms per write here */
    remove(p);
    FILE *fp = fopen(p, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
    fclose(fp);
    return p;
}

/* data gzip-compressed with zlib's gzwrite, into memory (malloc'd). */
static inline uint8_t *tt_gzip(const void *data, size_t len, size_t *gzlen)
{
    const char *p = tt_path("tt-gzip.tmp", 3);
    gzFile gz = gzopen(p, "wb9");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, data, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(gz), Z_OK);
    uint8_t *b = tt_slurp(p, gzlen);
    remove(p);
    return b;
}

/* ---------------------------------------------------------------- bytes */

typedef struct tt_buf {
    uint8_t b[8192];
    size_t n;
    bool big;
} tt_buf_t;

static inline void tt_u8(tt_buf_t *w, unsigned v)
{
    ck_assert_uint_lt(w->n, sizeof w->b);
    w->b[w->n++] = (uint8_t)v;
}

static inline void tt_u16(tt_buf_t *w, unsigned v)
{
    if (w->big) {
        tt_u8(w, v >> 8);
        tt_u8(w, v);
    } else {
        tt_u8(w, v);
        tt_u8(w, v >> 8);
    }
}

static inline void tt_u32(tt_buf_t *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        tt_u8(w, (v >> (w->big ? 24 - 8 * i : 8 * i)) & 0xFF);
}

static inline void tt_u64(tt_buf_t *w, uint64_t v)
{
    if (w->big) {
        tt_u32(w, (uint32_t)(v >> 32));
        tt_u32(w, (uint32_t)v);
    } else {
        tt_u32(w, (uint32_t)v);
        tt_u32(w, (uint32_t)(v >> 32));
    }
}

static inline void tt_bytes(tt_buf_t *w, const void *p, size_t n)
{
    ck_assert_uint_le(w->n + n, sizeof w->b);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static inline uint32_t tt_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
