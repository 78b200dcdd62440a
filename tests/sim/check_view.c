/* tests/sim/check_view: the timeline viewer -- its level of detail
 * (sim/view_lod), model (sim/view_model: layout, ticks, zoom, hits), the
 * picture (sim/view.c) and the PNG encoder (sim/png); the command line is
 * tests/sim/check_view_cli.c.
 *
 * Expectations are independent of the code under test: pixel positions
 * come from the layout constants of sim/view_model.h and the timeline's
 * own times (a plot 1000 columns wide over 1000 ns puts t ns at column
 * t), column contents from a brute-force sum of span overlaps, tick steps
 * from the 1-2-5 rule worked by hand, PNG bytes from the PNG spec (chunk
 * layout, CRC-32, zlib stream, filter bytes), decoded here with zlib. */
#include "tests/check_main.h"
#include "tests/sim/view_tt.h"
#include "tests/tmpdir.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rng.h"
#include "sim/png.h"
#include "sim/view.h"
#include "sim/view_lod.h"
#include "sim/view_model.h"
#include "traces/timeline.h"

/* ---------------------------------------------------------------- timelines */

static tl_timeline_t *load_tiny(void)
{
    char err[256];
    tl_timeline_t *tl = tl_load(write_tiny("tiny.tl"), err, sizeof err);
    ck_assert_msg(tl != NULL, "%s", err);
    return tl;
}

/* An in-memory timeline of core tracks (and one counter track last) from
 * arrays already in (track, time) order. */
typedef struct memtl {
    tl_timeline_t tl;
    tl_track_t tracks[8];
    size_t sf[9], cf[9], inf[9];
} memtl_t;

static void memtl_init(memtl_t *m, size_t ncores, int with_counter, tl_span_t *spans,
                       size_t nspans, tl_counter_t *ctr, size_t nctr)
{
    memset(m, 0, sizeof *m);
    m->tl.ntracks = ncores + (with_counter ? 1 : 0);
    m->tl.tracks = m->tracks;
    for (size_t k = 0; k < m->tl.ntracks; k++) {
        m->tracks[k].kind = k < ncores ? TL_TRACK_CORE : TL_TRACK_COUNTER;
        snprintf(m->tracks[k].name, TL_NAME_MAX, "track %zu", k);
    }
    m->tl.spans = spans;
    m->tl.nspans = nspans;
    m->tl.counters = ctr;
    m->tl.ncounters = nctr;
    m->tl.span_first = m->sf;
    m->tl.counter_first = m->cf;
    m->tl.instant_first = m->inf;
    for (size_t k = 0; k <= m->tl.ntracks; k++) {
        size_t a = 0, b = 0;
        while (a < nspans && spans[a].track < k)
            a++;
        while (b < nctr && ctr[b].track < k)
            b++;
        m->sf[k] = a;
        m->cf[k] = b;
    }
    m->tl.t_min = UINT64_MAX;
    for (size_t i = 0; i < nspans; i++) {
        m->tl.t_min = spans[i].t0 < m->tl.t_min ? spans[i].t0 : m->tl.t_min;
        m->tl.t_max = spans[i].t1 > m->tl.t_max ? spans[i].t1 : m->tl.t_max;
    }
    for (size_t i = 0; i < nctr; i++) {
        m->tl.t_min = ctr[i].t < m->tl.t_min ? ctr[i].t : m->tl.t_min;
        m->tl.t_max = ctr[i].t > m->tl.t_max ? ctr[i].t : m->tl.t_max;
    }
}

/* Random spans on ncores tracks: back to back or after a gap, any mode,
 * lengths from 1 ps to 3 us; n per track. */
static tl_span_t *random_spans(rng_t *r, size_t ncores, size_t n)
{
    tl_span_t *s = malloc(ncores * n * sizeof *s);
    ck_assert_ptr_nonnull(s);
    for (size_t k = 0; k < ncores; k++) {
        uint64_t t = rng_below(r, 5000);
        for (size_t i = 0; i < n; i++) {
            tl_span_t *x = &s[k * n + i];
            *x = (tl_span_t){.track = (uint32_t)k, .pid = TL_NO_PID};
            x->mode = (uint8_t)rng_below(r, TL_MODES);
            x->t0 = t + (rng_below(r, 3) ? 0 : rng_below(r, 2000000));
            x->t1 = x->t0 + 1 + rng_below(r, rng_below(r, 2) ? 3000 : 3000000);
            t = x->t1;
        }
    }
    return s;
}

/* ---------------------------------------------------------------- layout */

static uint32_t px(const vr_canvas_t *c, int x, int y)
{
    ck_assert(x >= 0 && x < c->w && y >= 0 && y < c->h);
    return c->px[(size_t)y * (size_t)c->w + (size_t)x];
}

static vm_model_t *tiny_model(tl_timeline_t *tl, uint64_t t0, uint64_t t1)
{
    char err[256];
    vm_model_t *m = vm_create(tl, TINY_W, TINY_H, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    vm_set_range(m, t0, t1);
    ck_assert_int_eq(m->plot_w, PLOT);
    return m;
}

START_TEST(test_layout_from_constants)
{
    tl_timeline_t *tl = load_tiny();
    vm_model_t *m = tiny_model(tl, 0, 1000 * NS);
    tiny_layout_t l = tiny_layout(TINY_H);
    ck_assert_int_eq(m->nrows, 4);
    ck_assert_int_eq(m->rows[0].y, l.rows_y);
    ck_assert_int_eq(m->rows[0].h, l.core_h);
    ck_assert_int_eq(m->rows[1].y, l.rows_y + l.core_h + VM_ROW_GAP);
    ck_assert_int_eq(m->rows[2].kind, VM_ROW_COUNTER);
    ck_assert_int_eq(m->rows[2].y, l.counter_y);
    ck_assert_int_eq(m->rows[3].kind, VM_ROW_INSTANT);
    ck_assert_int_eq(m->rows[3].y, l.instant_y);
    ck_assert_int_eq(m->legend_y, TINY_H - VM_LEGEND_H);
    /* each column is one ns: column t starts at t ns */
    for (unsigned t = 0; t < 1000; t += 37) {
        ck_assert_uint_eq(vm_time_at(m, x_of_ns(t)), t * NS);
        ck_assert_int_eq(vm_x_of(m, t * NS), x_of_ns(t));
        ck_assert_int_eq(vm_x_of(m, t * NS + NS - 1), x_of_ns(t));
    }
    /* a picture as high as vm_height_for says gives core rows that high */
    int h = vm_height_for(tl, 24);
    ck_assert_int_eq(tiny_layout(h).core_h, 24);
    vm_destroy(m);
    tl_free(tl);
}
END_TEST

/* Many counter rows in a small picture: the cores keep VM_ROW_H_MIN, the
 * counters shrink to VM_COUNTER_H_MIN, what still does not fit is hidden
 * and counted; shown rows never overlap nor reach the legend. */
START_TEST(test_layout_cores_first)
{
    char err[256], path[PATH_MAX];
    snprintf(path, sizeof path, "%s/many.tl", tmp_dir);
    tl_writer_t *w = tl_writer_open(path, 0, UINT64_MAX, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    for (int i = 0; i < 8; i++)
        ck_assert_int_ge(tl_add_track(w, TL_TRACK_CORE, "core", ""), 0);
    for (int i = 0; i < 40; i++)
        ck_assert_int_ge(tl_add_track(w, TL_TRACK_COUNTER, "q", ""), 0);
    ck_assert_int_eq(tl_writer_close(w, err, sizeof err), 0);
    tl_timeline_t *tl = tl_load(path, err, sizeof err);
    ck_assert_msg(tl != NULL, "%s", err);
    int h = 600;
    vm_model_t *m = vm_create(tl, TINY_W, h, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    int avail = h - VM_LEGEND_H - VM_HEADER_H - VM_AXIS_H;
    int rest = avail - 8 * (VM_ROW_H_MIN + VM_ROW_GAP);
    int shown = rest / (VM_COUNTER_H_MIN + VM_ROW_GAP);
    ck_assert_int_lt(shown, 40); /* the case this test is about */
    ck_assert_uint_eq(m->hidden, 40 - (size_t)shown);
    int bottom = VM_HEADER_H + VM_AXIS_H;
    for (size_t i = 0; i < m->nrows; i++) {
        const vm_row_t *r = &m->rows[i];
        ck_assert_int_eq(r->h, i < 8 ? VM_ROW_H_MIN : i < 8 + (size_t)shown ? VM_COUNTER_H_MIN : 0);
        if (r->h) {
            ck_assert_int_ge(r->y, bottom);
            bottom = r->y + r->h;
        }
    }
    ck_assert_int_le(bottom, m->legend_y);
    /* no record at all: the first microsecond, drawn without trouble */
    ck_assert_uint_eq(m->t0, 0);
    ck_assert_uint_eq(m->t1, 1000 * NS);
    vr_canvas_t c;
    ck_assert_int_eq(vr_init(&c, TINY_W, h), 0);
    ck_assert_int_eq(view_draw(m, &c, NULL), 0);
    vr_free(&c);
    vm_destroy(m);
    tl_free(tl);
}
END_TEST

/* ---------------------------------------------------------------- pixels */

START_TEST(test_pixels_where_the_spans_are)
{
    tl_timeline_t *tl = load_tiny();
    vm_model_t *m = tiny_model(tl, 0, 1000 * NS);
    vr_canvas_t c;
    ck_assert_int_eq(vr_init(&c, TINY_W, TINY_H), 0);
    ck_assert_int_eq(view_draw(m, &c, NULL), 0);
    tiny_layout_t l = tiny_layout(TINY_H);
    int y0 = l.rows_y, y1 = l.rows_y + l.core_h + VM_ROW_GAP;
    uint32_t user = view_mode_colour(TL_USER), kernel = view_mode_colour(TL_KERNEL);
    uint32_t poll = view_mode_colour(TL_POLL), idle = view_mode_colour(TL_IDLE);
    ck_assert_uint_eq(idle, VIEW_ROW_BG);
    ck_assert_uint_ne(user, kernel);
    ck_assert_uint_ne(user, idle);
    for (int dy = 0; dy < l.core_h; dy++) { /* the whole height of the rows */
        ck_assert_uint_eq(px(&c, x_of_ns(200), y0 + dy), user);
        ck_assert_uint_eq(px(&c, x_of_ns(350), y0 + dy), kernel);
        ck_assert_uint_eq(px(&c, x_of_ns(600), y0 + dy), idle);
        ck_assert_uint_eq(px(&c, x_of_ns(50), y0 + dy), idle);
    }
    /* inside the spans (not their first column), every column */
    for (unsigned t = 101; t < 300; t++)
        ck_assert_uint_eq(px(&c, x_of_ns(t), y0 + l.core_h / 2), user);
    for (unsigned t = 301; t < 400; t++)
        ck_assert_uint_eq(px(&c, x_of_ns(t), y0 + l.core_h / 2), kernel);
    for (unsigned t = 400; t < 1000; t++)
        ck_assert_uint_eq(px(&c, x_of_ns(t), y0 + l.core_h / 2), idle);
    for (unsigned t = 1; t < 1000; t++)
        ck_assert_uint_eq(px(&c, x_of_ns(t), y1 + l.core_h / 2), poll);
    /* the gap between the rows is the page */
    ck_assert_uint_eq(px(&c, x_of_ns(200), y0 + l.core_h), VIEW_BG);
    /* the counter: 3 until 500 ns, then its maximum 7 reaches the top */
    ck_assert_uint_eq(px(&c, x_of_ns(700), l.counter_y), VIEW_COUNTER_LINE);
    ck_assert_uint_eq(px(&c, x_of_ns(200), l.counter_y), VIEW_ROW_BG);
    ck_assert_uint_ne(px(&c, x_of_ns(200), l.counter_y + VM_COUNTER_H - 1), VIEW_ROW_BG);
    /* the instant at 250 ns, and only there */
    ck_assert_uint_ne(px(&c, x_of_ns(250), l.instant_y + 1), VIEW_ROW_BG);
    ck_assert_uint_eq(px(&c, x_of_ns(249), l.instant_y + 1), VIEW_ROW_BG);
    ck_assert_uint_eq(px(&c, x_of_ns(251), l.instant_y + 1), VIEW_ROW_BG);
    vr_free(&c);
    vm_destroy(m);
    tl_free(tl);
}
END_TEST

/* A column half covered: [399, 401) ns holds the kernel span's last ns
 * and an idle ns, so its lower half is kernel and its upper half empty. */
START_TEST(test_half_covered_column)
{
    tl_timeline_t *tl = load_tiny();
    vm_model_t *m = tiny_model(tl, 1 * NS, 2001 * NS); /* 2 ns a column, from 1 ns */
    vr_canvas_t c;
    ck_assert_int_eq(vr_init(&c, TINY_W, TINY_H), 0);
    view_draw(m, &c, NULL);
    tiny_layout_t l = tiny_layout(TINY_H);
    int x = VM_LABEL_W + (399 - 1) / 2, bottom = l.rows_y + l.core_h - 1;
    int half = (int)lround(l.core_h / 2.0);
    for (int k = 0; k < l.core_h; k++)
        ck_assert_uint_eq(px(&c, x, bottom - k),
                          k < half ? view_mode_colour(TL_KERNEL) : VIEW_ROW_BG);
    vr_free(&c);
    vm_destroy(m);
    tl_free(tl);
}
END_TEST

/* ---------------------------------------------------------------- PNG */

START_TEST(test_png_encodes_the_pixels)
{
    vr_canvas_t c;
    ck_assert_int_eq(vr_init(&c, 7, 5), 0);
    for (int i = 0; i < 35; i++)
        c.px[i] = VR_RGB(i * 7, 255 - i, (i * 13) & 0xFF);
    uint8_t *a, *b;
    size_t alen, blen;
    char err[128];
    ck_assert_int_eq(png_encode(c.px, 7, 5, &a, &alen, err, sizeof err), 0);
    decoded_t d = png_decode(a, alen);
    ck_assert_uint_eq(d.w, 7);
    ck_assert_uint_eq(d.h, 5);
    ck_assert_uint_eq(d.depth, 8);
    ck_assert_uint_eq(d.ctype, 2);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++)
            ck_assert_uint_eq(png_px(&d, x, y), VR_RGB(x * 7 + y * 49, 255 - (x + 7 * y),
                                                       ((x + 7 * y) * 13) & 0xFF));
    /* same pixels, same bytes */
    ck_assert_int_eq(png_encode(c.px, 7, 5, &b, &blen, err, sizeof err), 0);
    ck_assert_uint_eq(alen, blen);
    ck_assert(!memcmp(a, b, alen));
    free(b);
    ck_assert_int_eq(png_encode(c.px, 0, 5, &b, &blen, err, sizeof err), -1);
    ck_assert_ptr_null(b);
    free(a);
    free(d.raw);
    vr_free(&c);
}
END_TEST

/* ---------------------------------------------------------------- ticks */

static void check_ticks(uint64_t range, uint64_t step, const char *unit, uint64_t unit_ps)
{
    tl_timeline_t *tl = load_tiny();
    vm_model_t *m = tiny_model(tl, 0, range);
    vm_tick_t t[64];
    uint64_t got_step;
    size_t n = vm_ticks(m, t, 64, &got_step);
    ck_assert_uint_eq(got_step, step);
    ck_assert_uint_eq(n, range / step); /* 0, step, ... below range */
    for (size_t i = 0; i < n; i++) {
        char want[40];
        snprintf(want, sizeof want, "%llu %s", (unsigned long long)(i * step / unit_ps), unit);
        ck_assert_str_eq(t[i].label, want);
        ck_assert_int_eq(t[i].x, VM_LABEL_W + (int)(i * step * PLOT / range));
    }
    vm_destroy(m);
    tl_free(tl);
}

/* 1000 columns: the step is the smallest of 1, 2, 5 x 10^k ps giving at
 * least 80 columns (range / 12.5), the labels "N unit" with the unit of
 * the step: 2 us -> 160 ns -> 200 ns; 1 us -> 80 ns -> 100 ns; 2 ms ->
 * 200 us; 20 ms -> 2 ms; 10 s -> 1 s; 2 ns (2 ps a column) -> 200 ps. */
START_TEST(test_tick_units_follow_the_zoom)
{
    check_ticks(2000 * NS, 200 * NS, "ns", NS);
    check_ticks(1000 * NS, 100 * NS, "ns", NS);
    check_ticks(2000000 * NS, 200000 * NS, "µs", 1000 * NS);
    check_ticks(20000000 * NS, 2000000 * NS, "ms", 1000000 * NS);
    check_ticks(10000000000000ull, 1000000000000ull, "s", 1000000000000ull);
    check_ticks(2000, 200, "ps", 1);
}
END_TEST

START_TEST(test_format_time)
{
    static const struct {
        uint64_t ps;
        const char *text;
    } cases[] = {{0, "0 ns"},          {999, "999 ps"},          {1000, "1 ns"},
                 {1500, "1.5 ns"},     {1000000, "1 µs"},        {1234567, "1.234567 µs"},
                 {2000000000000, "2 s"}, {1000000001, "1.000000001 ms"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[48];
        vm_format_time(cases[i].ps, buf, sizeof buf);
        ck_assert_str_eq(buf, cases[i].text);
    }
}
END_TEST

/* ---------------------------------------------------------------- hits */

START_TEST(test_hit_finds_the_span)
{
    tl_timeline_t *tl = load_tiny();
    vm_model_t *m = tiny_model(tl, 0, 1000 * NS);
    tiny_layout_t l = tiny_layout(TINY_H);
    int y0 = l.rows_y + 1, y1 = l.rows_y + l.core_h + VM_ROW_GAP + 1;
    vm_hit_t h;
    char text[512];
    ck_assert_int_eq(vm_hit(m, x_of_ns(200), y0, &h), 1);
    ck_assert_int_eq(h.kind, VM_ROW_CORE);
    ck_assert_uint_eq(h.track, 0);
    ck_assert_uint_eq(tl->spans[h.index].t0, 100 * NS);
    vm_hit_text(m, &h, text, sizeof text);
    ck_assert_str_eq(text, "core 0 (kvs0)\nmode: user\nstart: 100 ns\nduration: 200 ns\n"
                           "cause: pid 1, app, arg 7");
    ck_assert_int_eq(vm_hit(m, x_of_ns(350), y0, &h), 1);
    ck_assert_uint_eq(tl->spans[h.index].mode, TL_KERNEL);
    ck_assert_int_eq(vm_hit(m, x_of_ns(600), y0, &h), 0);   /* idle there */
    ck_assert_int_eq(vm_hit(m, x_of_ns(40), y0, &h), 0);
    ck_assert_int_eq(vm_hit(m, x_of_ns(200), y0 - 3, &h), 0); /* the axis */
    ck_assert_int_eq(vm_hit(m, VM_LABEL_W - 5, y0, &h), 0);   /* the labels */
    ck_assert_int_eq(vm_hit(m, x_of_ns(900), y1, &h), 1);
    ck_assert_uint_eq(h.track, 1);
    ck_assert_uint_eq(tl->spans[h.index].mode, TL_POLL);
    ck_assert_int_eq(vm_hit(m, x_of_ns(700), l.counter_y + 5, &h), 1);
    vm_hit_text(m, &h, text, sizeof text);
    ck_assert_str_eq(text, "rxq fill\nvalue: 7\nsince: 500 ns");
    ck_assert_int_eq(vm_hit(m, x_of_ns(251), l.instant_y + 2, &h), 1);
    vm_hit_text(m, &h, text, sizeof text);
    ck_assert_str_eq(text, "nic\nrx_frame, arg 2\nat: 250 ns");
    ck_assert_int_eq(vm_hit(m, x_of_ns(400), l.instant_y + 2, &h), 0);
    vm_destroy(m);
    tl_free(tl);
}
END_TEST

/* ---------------------------------------------------------------- zoom and pan */

START_TEST(test_zoom_keeps_the_point_under_the_cursor)
{
    tl_timeline_t *tl = load_tiny();
    vm_model_t *m = tiny_model(tl, 0, 1000 * NS);
    static const int xs[] = {VM_LABEL_W, VM_LABEL_W + 1, VM_LABEL_W + 333, VM_LABEL_W + 999};
    static const double factors[] = {0.5, 0.8, 0.1, 1.25, 3.0};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        for (size_t f = 0; f < sizeof factors / sizeof factors[0]; f++) {
            vm_set_range(m, 5000 * NS, 6000 * NS); /* room to zoom out: no clamp at 0 */
            uint64_t before = vm_time_at(m, xs[i]), r = m->t1 - m->t0;
            vm_zoom(m, xs[i], factors[f]);
            ck_assert_uint_eq(vm_time_at(m, xs[i]), before);
            double want = (double)r * factors[f];
            ck_assert(fabs((double)(m->t1 - m->t0) - want) <= 1.0);
        }
    /* zooming in stops at one ps a column */
    for (int k = 0; k < 40; k++)
        vm_zoom(m, VM_LABEL_W + 500, 0.5);
    ck_assert_uint_eq(m->t1 - m->t0, PLOT);
    /* fit: the whole recording, 0 .. 1000 ns */
    vm_fit(m);
    ck_assert_uint_eq(m->t0, 0);
    ck_assert_uint_eq(m->t1, 1000 * NS);
    /* pan: what was at x is at x + dx, to a ps */
    vm_set_range(m, 400 * NS, 1400 * NS);
    uint64_t t = vm_time_at(m, VM_LABEL_W + 100);
    vm_pan(m, 250);
    ck_assert_uint_eq(m->t1 - m->t0, 1000 * NS);
    ck_assert_uint_eq(vm_time_at(m, VM_LABEL_W + 350), t);
    vm_pan(m, -250);
    ck_assert_uint_eq(m->t0, 400 * NS);
    vm_pan(m, -2000); /* not past the end of the recording */
    ck_assert_uint_eq(m->t0, 1000 * NS);
    vm_set_range(m, 100 * NS, 1100 * NS);
    vm_pan(m, 500); /* not before 0 */
    ck_assert_uint_eq(m->t0, 0);
    vm_destroy(m);
    tl_free(tl);
}
END_TEST

/* ---------------------------------------------------------------- level of detail */

/* Brute force: the time each mode covers in [ta, tb) on track k. */
static void brute_cover(const tl_timeline_t *tl, uint32_t k, uint64_t ta, uint64_t tb,
                        uint64_t out[TL_MODES])
{
    memset(out, 0, TL_MODES * sizeof out[0]);
    for (size_t i = 0; i < tl->nspans; i++) {
        const tl_span_t *s = &tl->spans[i];
        uint64_t a = s->t0 > ta ? s->t0 : ta, b = s->t1 < tb ? s->t1 : tb;
        if (s->track == k && b > a)
            out[s->mode] += b - a;
    }
}

START_TEST(test_lod_columns_match_brute_force)
{
    rng_t r;
    rng_init(&r, 11, rng_stream_id("check_view.lod"));
    const size_t per = 3000;
    tl_span_t *s = random_spans(&r, 2, per);
    memtl_t mt;
    memtl_init(&mt, 2, 0, s, 2 * per, NULL, 0);
    vl_index_t ix;
    ck_assert_int_eq(vl_build(&ix, &mt.tl), 0);
    vl_col_t cols[97];
    for (int round = 0; round < 40; round++) {
        uint32_t k = (uint32_t)rng_below(&r, 2);
        uint64_t t0 = rng_below(&r, mt.tl.t_max), len = 97 + rng_below(&r, mt.tl.t_max);
        if (round == 0)
            t0 = 0, len = mt.tl.t_max + 1;
        int n = 1 + (int)rng_below(&r, 97);
        vl_core_columns(&ix, k, t0, t0 + len, n, cols);
        for (int c = 0; c < n; c++) {
            uint64_t ta = t0 + (uint64_t)c * len / (uint64_t)n;
            uint64_t tb = t0 + (uint64_t)(c + 1) * len / (uint64_t)n;
            uint64_t want[TL_MODES];
            brute_cover(&mt.tl, k, ta, tb, want);
            ck_assert_uint_eq(cols[c].width, tb - ta);
            for (int md = 0; md < TL_MODES; md++)
                ck_assert_msg(cols[c].cover[md] == want[md], "round %d col %d mode %d: %llu != %llu",
                              round, c, md, (unsigned long long)cols[c].cover[md],
                              (unsigned long long)want[md]);
        }
    }
    vl_free(&ix);
    free(s);
}
END_TEST

START_TEST(test_lod_counter_ranges_match_brute_force)
{
    rng_t r;
    rng_init(&r, 12, rng_stream_id("check_view.counters"));
    const size_t n = 5000;
    tl_counter_t *c = malloc(n * sizeof *c);
    uint64_t t = 1000;
    for (size_t i = 0; i < n; i++) {
        t += 1 + (rng_below(&r, 3) ? rng_below(&r, 500) : 0);
        c[i] = (tl_counter_t){.t = t, .value = (int64_t)rng_below(&r, 2001) - 1000, .track = 0};
    }
    memtl_t mt;
    memtl_init(&mt, 0, 1, NULL, 0, c, n);
    vl_index_t ix;
    ck_assert_int_eq(vl_build(&ix, &mt.tl), 0);
    vl_range_t cols[61];
    for (int round = 0; round < 60; round++) {
        uint64_t t0 = rng_below(&r, t + 100), len = 61 + rng_below(&r, t / (1 + rng_below(&r, 50)));
        int nc = 1 + (int)rng_below(&r, 61);
        vl_counter_columns(&ix, 0, t0, t0 + len, nc, cols);
        for (int k = 0; k < nc; k++) {
            uint64_t ta = t0 + (uint64_t)k * len / (uint64_t)nc;
            uint64_t tb = t0 + (uint64_t)(k + 1) * len / (uint64_t)nc;
            /* values holding in [ta, tb): each sample holds until the next
             * sample's time; the last one until t_max */
            int has = 0;
            int64_t lo = 0, hi = 0;
            for (size_t i = 0; i < n; i++) {
                uint64_t from = c[i].t, to = i + 1 < n ? c[i + 1].t : mt.tl.t_max + 1;
                if (from < tb && to > ta && to > from) {
                    lo = !has || c[i].value < lo ? c[i].value : lo;
                    hi = !has || c[i].value > hi ? c[i].value : hi;
                    has = 1;
                }
            }
            ck_assert_int_eq(cols[k].has, has);
            if (has) {
                ck_assert_int_eq(cols[k].min, lo);
                ck_assert_int_eq(cols[k].max, hi);
            }
        }
    }
    vl_free(&ix);
    free(c);
}
END_TEST

/* A frame over a million spans reads O(columns x log n) records, not n. */
START_TEST(test_frame_does_not_touch_every_span)
{
    rng_t r;
    rng_init(&r, 13, rng_stream_id("check_view.big"));
    const size_t n = 1000000;
    tl_span_t *s = random_spans(&r, 1, n);
    memtl_t mt;
    memtl_init(&mt, 1, 0, s, n, NULL, 0);
    char err[128];
    vm_model_t *m = vm_create(&mt.tl, TINY_W, TINY_H, err, sizeof err);
    ck_assert_ptr_nonnull(m);
    vr_canvas_t c;
    ck_assert_int_eq(vr_init(&c, TINY_W, TINY_H), 0);
    uint64_t bound = (uint64_t)PLOT * 1 * (20 /* log2(n) */ + VL_BLOCK) * 3;
    for (int zoom = 0; zoom < 4; zoom++) {
        m->lod.visits = 0;
        ck_assert_int_eq(view_draw(m, &c, NULL), 0);
        ck_assert_msg(m->lod.visits <= bound, "zoom %d: %llu records read, bound %llu", zoom,
                      (unsigned long long)m->lod.visits, (unsigned long long)bound);
        ck_assert(m->lod.visits > 0);
        vm_zoom(m, VM_LABEL_W + PLOT / 3, 0.01);
    }
    vr_free(&c);
    vm_destroy(m);
    free(s);
}
END_TEST

/* ---------------------------------------------------------------- text */

START_TEST(test_font_and_clipping)
{
    vr_canvas_t c;
    ck_assert_int_eq(vr_init(&c, 20, 12), 0);
    vr_clear(&c, 0);
    uint32_t ink = VR_RGB(1, 2, 3);
    ck_assert_int_eq(vr_text(&c, 2, 1, "|", ink), 2 + VR_CELL_W);
    /* a vertical bar: one column of ink, above the descender row */
    int inked = 0;
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 20; x++)
            if (c.px[y * 20 + x] == ink) {
                inked++;
                ck_assert_int_eq(x, 2 + VR_GLYPH_W / 2);
                ck_assert(y >= 1 && y < 1 + VR_GLYPH_H - 1);
            }
    ck_assert_int_eq(inked, VR_GLYPH_H - 1);
    ck_assert_uint_eq(vr_text_len("1 µs"), 4);
    ck_assert_int_eq(vr_text_width("1 µs"), 4 * VR_CELL_W);
    /* drawing across every edge stays inside the buffer (ASan would say) */
    vr_text(&c, -3, -4, "WWWWWW", ink);
    vr_text(&c, 17, 9, "\xff\xc2", ink);
    vr_fill(&c, -5, -5, 100, 100, ink);
    vr_frame(&c, 15, 8, 30, 30, 0);
    ck_assert_uint_eq(c.px[0], ink);
    vr_free(&c);
}
END_TEST

static Suite *view_suite(void)
{
    Suite *s = suite_create("view");
    TCase *tc = tcase_create("model");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_layout_from_constants);
    tcase_add_test(tc, test_layout_cores_first);
    tcase_add_test(tc, test_pixels_where_the_spans_are);
    tcase_add_test(tc, test_half_covered_column);
    tcase_add_test(tc, test_png_encodes_the_pixels);
    tcase_add_test(tc, test_tick_units_follow_the_zoom);
    tcase_add_test(tc, test_format_time);
    tcase_add_test(tc, test_hit_finds_the_span);
    tcase_add_test(tc, test_zoom_keeps_the_point_under_the_cursor);
    tcase_add_test(tc, test_lod_columns_match_brute_force);
    tcase_add_test(tc, test_lod_counter_ranges_match_brute_force);
    tcase_add_test(tc, test_frame_does_not_touch_every_span);
    tcase_add_test(tc, test_font_and_clipping);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(view_suite)
