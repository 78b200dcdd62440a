/* tests/sim/view_tt.h: what the viewer's suites (check_view, check_view_cli)
 * share: the tiny timeline and where its pixels must be, from the layout
 * constants of sim/view_model.h; a PNG decoder after the PNG spec (chunk
 * layout, CRC-32, the zlib stream, filter bytes) on zlib's inflate.
 * Static inline: a suite uses any subset. */
#ifndef PARASIM_TESTS_SIM_VIEW_TT_H
#define PARASIM_TESTS_SIM_VIEW_TT_H

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim/view_model.h"
#include "sim/view_raster.h"
#include "tests/tmpdir.h"
#include "traces/timeline.h"

#define NS 1000ull             /* ps */
#define PLOT 1000              /* plot columns of the tiny pictures */
#define TINY_W (VM_LABEL_W + PLOT + VM_MARGIN)
#define TINY_H 200

/* The tiny timeline: core 0 user [100, 300) ns (pid 1, app, arg 7) and
 * kernel [300, 400) ns, idle after; core 1 poll [0, 1000) ns; a counter
 * 3 from 0 and 7 from 500 ns; an rx_frame instant at 250 ns (arg 2). */
static inline const char *write_tiny(const char *name)
{
    static char path[PATH_MAX];
    char err[256];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    tl_writer_t *w = tl_writer_open(path, 0, UINT64_MAX, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, "core 0", "kvs0"), 0);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, "core 1", "kvs1"), 1);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_COUNTER, "rxq fill", ""), 2);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_INSTANT, "nic", ""), 3);
    tl_span_t s[] = {
        {.t0 = 100 * NS, .t1 = 300 * NS, .arg = 7, .track = 0, .pid = 1, .mode = TL_USER,
         .what = TL_WHAT_APP},
        {.t0 = 300 * NS, .t1 = 400 * NS, .arg = 2, .track = 0, .pid = 1, .mode = TL_KERNEL,
         .what = TL_WHAT_SYSCALL},
        {.t0 = 0, .t1 = 1000 * NS, .track = 1, .pid = 2, .mode = TL_POLL, .what = TL_WHAT_POLL},
    };
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(tl_add_span(w, &s[i]), 0);
    tl_counter_t c0 = {.t = 0, .value = 3, .track = 2}, c1 = {.t = 500 * NS, .value = 7, .track = 2};
    ck_assert_int_eq(tl_add_counter(w, &c0), 0);
    ck_assert_int_eq(tl_add_counter(w, &c1), 0);
    tl_instant_t in = {.t = 250 * NS, .arg = 2, .track = 3, .kind = TL_INST_RX_FRAME};
    ck_assert_int_eq(tl_add_instant(w, &in), 0);
    ck_assert_msg(tl_writer_close(w, err, sizeof err) == 0, "%s", err);
    return path;
}

typedef struct tiny_layout {
    int rows_y, core_h, counter_y, instant_y;
} tiny_layout_t;

/* From the constants: header, axis, then 2 core rows sharing what the
 * counter and instant rows leave above the legend, each row + a gap. */
static inline tiny_layout_t tiny_layout(int h)
{
    tiny_layout_t l;
    l.rows_y = VM_HEADER_H + VM_AXIS_H;
    int avail = h - VM_LEGEND_H - l.rows_y - (VM_COUNTER_H + VM_ROW_GAP) -
                (VM_INSTANT_H + VM_ROW_GAP);
    l.core_h = avail / 2 - VM_ROW_GAP;
    l.core_h = l.core_h > VM_ROW_H_MAX ? VM_ROW_H_MAX : l.core_h;
    l.counter_y = l.rows_y + 2 * (l.core_h + VM_ROW_GAP);
    l.instant_y = l.counter_y + VM_COUNTER_H + VM_ROW_GAP;
    return l;
}

static inline int x_of_ns(unsigned t_ns)
{
    return VM_LABEL_W + (int)t_ns; /* 1000 columns over [0, 1000 ns) */
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct decoded {
    uint32_t w, h;
    uint8_t depth, ctype;
    uint8_t *raw;   /* inflated IDAT: h rows of a filter byte and 3 w bytes */
} decoded_t;

/* The PNG spec's structure, checked: signature, chunks with valid
 * CRC-32s, IHDR first, IEND last; the IDAT data inflated. */
static inline decoded_t png_decode(const uint8_t *p, size_t len)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    decoded_t d = {0};
    ck_assert(len > 8 && !memcmp(p, sig, 8));
    uint8_t *idat = NULL;
    size_t idat_len = 0, pos = 8;
    int chunks = 0, ended = 0;
    while (pos + 12 <= len && !ended) {
        uint32_t n = be32(p + pos);
        ck_assert(pos + 12 + n <= len);
        const uint8_t *type = p + pos + 4, *data = p + pos + 8;
        uLong crc = crc32(crc32(0, Z_NULL, 0), type, 4 + n);
        ck_assert_uint_eq(crc, be32(data + n));
        if (!memcmp(type, "IHDR", 4)) {
            ck_assert_int_eq(chunks, 0);
            ck_assert_uint_eq(n, 13);
            d.w = be32(data);
            d.h = be32(data + 4);
            d.depth = data[8];
            d.ctype = data[9];
            ck_assert(data[10] == 0 && data[11] == 0 && data[12] == 0);
        } else if (!memcmp(type, "IDAT", 4)) {
            idat = realloc(idat, idat_len + n);
            memcpy(idat + idat_len, data, n);
            idat_len += n;
        } else if (!memcmp(type, "IEND", 4)) {
            ended = 1;
        }
        chunks++;
        pos += 12 + n;
    }
    ck_assert(ended && pos == len);
    uLongf rawlen = (uLongf)d.h * (1 + 3 * (uLongf)d.w);
    d.raw = malloc(rawlen);
    ck_assert_int_eq(uncompress(d.raw, &rawlen, idat, idat_len), Z_OK);
    ck_assert_uint_eq(rawlen, (uLongf)d.h * (1 + 3 * (uLongf)d.w));
    free(idat);
    return d;
}

static inline uint32_t png_px(const decoded_t *d, int x, int y)
{
    const uint8_t *r = d->raw + (size_t)y * (1 + 3 * (size_t)d->w);
    ck_assert_uint_eq(r[0], 0); /* filter type None */
    r += 1 + 3 * (size_t)x;
    return VR_RGB(r[0], r[1], r[2]);
}

#endif
