/* tests/traces/tl_fixture.h: a small hand-made timeline for the export
 * suites (tests/traces/check_tl_export.c, tests/e2e/check_export.c):
 * awkward names (quotes, backslash, newline, tab, comma, UTF-8, a byte
 * that is not UTF-8), times on the µs digits' edges and at 2^64 - 1,
 * every mode, what and instant kind, negative and extreme counters.
 * Written with traces/timeline.h's writer; the tables are the expectations.
 * Also a tiny RFC 4180 parser and the µs text of a ps count computed
 * independently of the exporter (decimal string, point inserted).
 * Static so that a suite may use any subset. */
#ifndef PARASIM_TESTS_TRACES_TL_FIXTURE_H
#define PARASIM_TESTS_TRACES_TL_FIXTURE_H

#include "traces/timeline.h"

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fx_track {
    tl_track_kind_t kind;
    const char *name, *label;
} fx_track_t;

static const fx_track_t FX_TRACKS[] = {
    {TL_TRACK_CORE, "core 0", "kvs\"3\""},
    {TL_TRACK_CORE, "core 1", "a\\b\nc,d \xc3\xa9\xe2\x82\xac"},
    {TL_TRACK_COUNTER, "nic rxq 0 fill", ""},
    {TL_TRACK_INSTANT, "nic rxq 0", ""},
    {TL_TRACK_COUNTER, "nvme sq \"1\", depth", "q,1"},
    {TL_TRACK_INSTANT, "iommu\tfaults \xff!", "bad\xc3"},
    {TL_TRACK_CORE, "", "idle"},
};
#define FX_NTRACKS (sizeof FX_TRACKS / sizeof FX_TRACKS[0])
/* The groups of the device tracks, in order of first appearance. */
static const char *const FX_GROUPS[] = {"nic", "nvme", "iommu\tfaults"};
#define FX_NGROUPS 3u
/* What the JSON holds for the byte that is not UTF-8 (U+FFFD). */
#define FX_FAULT_TRACK_JSON "iommu\tfaults \xef\xbf\xbd!"

#define FX_BIG_T0 18446744073709000000ull
static const tl_span_t FX_SPANS[] = {
    {.track = 0, .t0 = 0, .t1 = 1, .mode = TL_USER, .what = TL_WHAT_APP, .pid = 3, .arg = 17},
    {.track = 0, .t0 = 999999, .t1 = 1000000, .mode = TL_KERNEL, .what = TL_WHAT_SYSCALL, .pid = 3,
     .arg = 4},
    {.track = 0, .t0 = 1000000, .t1 = 2500000, .mode = TL_IRQ, .what = TL_WHAT_IRQ,
     .pid = TL_NO_PID, .arg = 33},
    {.track = 0, .t0 = 2500000, .t1 = 123456789012, .mode = TL_POLL, .what = TL_WHAT_POLL, .pid = 3,
     .arg = 0},
    {.track = 1, .t0 = 5, .t1 = 1000005, .mode = TL_KERNEL, .what = TL_WHAT_BOOT, .pid = TL_NO_PID,
     .arg = 0},
    {.track = 1, .t0 = 2000000, .t1 = 3000000, .mode = TL_USER, .what = TL_WHAT_APP, .pid = 7,
     .arg = 9007199254740993ull},
    {.track = 1, .t0 = FX_BIG_T0, .t1 = UINT64_MAX, .mode = TL_IDLE, .what = TL_WHAT_NONE,
     .pid = TL_NO_PID, .arg = UINT64_MAX},
    {.track = 6, .t0 = 1, .t1 = 2, .mode = TL_USER, .what = TL_WHAT_APP, .pid = 0, .arg = 1},
};
#define FX_NSPANS (sizeof FX_SPANS / sizeof FX_SPANS[0])

static const tl_counter_t FX_COUNTERS[] = {
    {.track = 2, .t = 0, .value = 0},
    {.track = 2, .t = 1000000, .value = 5},
    {.track = 2, .t = 2000001, .value = -3},
    {.track = 4, .t = 7, .value = INT64_MAX},
    {.track = 4, .t = 8, .value = INT64_MIN},
};
#define FX_NCOUNTERS (sizeof FX_COUNTERS / sizeof FX_COUNTERS[0])

static const tl_instant_t FX_INSTANTS[] = {
    {.track = 3, .t = 10, .kind = TL_INST_RX_FRAME, .arg = 0},
    {.track = 3, .t = 20, .kind = TL_INST_TX_FRAME, .arg = 1},
    {.track = 3, .t = 30, .kind = TL_INST_DOORBELL, .arg = 2},
    {.track = 3, .t = 40, .kind = TL_INST_DROP, .arg = 5u << 8 | 3u},
    {.track = 3, .t = 50, .kind = TL_INST_NVME_CQE, .arg = 4},
    {.track = 5, .t = 1500000, .kind = TL_INST_IOMMU_FAULT, .arg = 0x0100},
};
#define FX_NINSTANTS (sizeof FX_INSTANTS / sizeof FX_INSTANTS[0])

static const char *const FX_META[][2] = {{"config", "echo \"x\".json"}, {"seed", "42"}};

/* The names the exports use, written out here (not tl_mode_name()). */
static const char *const FX_MODE[] = {"user", "kernel", "irq", "poll", "idle"};
static const char *const FX_WHAT[] = {"none", "app", "syscall", "irq", "poll", "boot"};
static const char *const FX_KIND[] = {"rx_frame",    "tx_frame", "doorbell",
                                      "iommu_fault", "drop",     "nvme_cqe"};

static inline void fx_write(const char *path)
{
    char err[256];
    tl_writer_t *w = tl_writer_open(path, 0, UINT64_MAX, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    for (size_t k = 0; k < FX_NTRACKS; k++)
        ck_assert_int_eq(tl_add_track(w, FX_TRACKS[k].kind, FX_TRACKS[k].name, FX_TRACKS[k].label),
                         (int)k);
    for (size_t i = 0; i < 2; i++)
        ck_assert_int_eq(tl_add_meta(w, FX_META[i][0], FX_META[i][1]), 0);
    for (size_t i = 0; i < FX_NSPANS; i++)
        ck_assert_int_eq(tl_add_span(w, &FX_SPANS[i]), 0);
    for (size_t i = 0; i < FX_NCOUNTERS; i++)
        ck_assert_int_eq(tl_add_counter(w, &FX_COUNTERS[i]), 0);
    for (size_t i = 0; i < FX_NINSTANTS; i++)
        ck_assert_int_eq(tl_add_instant(w, &FX_INSTANTS[i]), 0);
    ck_assert_msg(tl_writer_close(w, err, sizeof err) == 0, "%s", err);
}

/* ps as µs text, the independent way: the decimal digits of ps, left-padded
 * with zeros to 7, with a point inserted before the last 6. */
static inline const char *fx_us(uint64_t ps, char *buf)
{
    char d[32];
    int n = snprintf(d, sizeof d, "%07" PRIu64, ps);
    memcpy(buf, d, (size_t)n - 6);
    buf[n - 6] = '.';
    memcpy(buf + n - 5, d + n - 6, 7);
    return buf;
}

/* ---------------------------------------------------------------- CSV */

/* RFC 4180 records: rows of fields, all malloc'd.  Fields are quoted
 * ("..." with "" for a quote, may hold , CR LF) or plain; records end in
 * LF (CRLF accepted). */
typedef struct fx_csv {
    size_t nrows;
    size_t nf[64];           /* fields per row */
    char *f[64][16];
} fx_csv_t;

static inline void fx_csv_parse(const char *s, fx_csv_t *c)
{
    memset(c, 0, sizeof *c);
    size_t len = strlen(s);
    char *field = malloc(len + 1);
    while (*s) {
        ck_assert_uint_lt(c->nrows, 64);
        size_t r = c->nrows++;
        for (;;) {
            size_t n = 0;
            if (*s == '"') {
                for (s++;; s++) {
                    ck_assert_msg(*s, "unterminated quoted field");
                    if (*s == '"' && s[1] == '"')
                        field[n++] = '"', s++;
                    else if (*s == '"')
                        break;
                    else
                        field[n++] = *s;
                }
                s++;
                ck_assert_msg(*s == ',' || *s == '\n' || *s == '\r' || !*s,
                              "text after a closing quote");
            } else {
                while (*s && *s != ',' && *s != '\n' && *s != '\r') {
                    ck_assert_msg(*s != '"', "quote inside a plain field");
                    field[n++] = *s++;
                }
            }
            field[n] = '\0';
            ck_assert_uint_lt(c->nf[r], 16);
            c->f[r][c->nf[r]++] = strdup(field);
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s == '\r')
                s++;
            ck_assert_msg(*s == '\n', "a record must end in a line end");
            s++;
            break;
        }
    }
    free(field);
}

static inline void fx_csv_free(fx_csv_t *c)
{
    for (size_t r = 0; r < c->nrows; r++)
        for (size_t i = 0; i < c->nf[r]; i++)
            free(c->f[r][i]);
}

static inline uint64_t fx_u64(const char *s)
{
    char *end;
    ck_assert_msg(*s >= '0' && *s <= '9', "'%s' is not an unsigned integer", s);
    uint64_t v = strtoull(s, &end, 10);
    ck_assert_msg(!*end, "'%s' is not an unsigned integer", s);
    return v;
}

#endif
