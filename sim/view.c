/* sim/view: drawing a timeline model (see the header for what a pixel
 * shows). */
#include "sim/view.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_DY(h) (((h) - VR_CELL_H + 1) / 2)  /* centres a text line in h */
#define LABEL_CHARS ((VM_LABEL_W - 8) / VR_CELL_W)
#define TIP_LINES 8
#define VIEW_SEP_ALPHA 96  /* /256: a span boundary's darkening */

static const uint32_t mode_colours[TL_MODES] = {
    [TL_USER] = VR_RGB(46, 125, 50),     /* green */
    [TL_KERNEL] = VR_RGB(198, 40, 40),   /* red */
    [TL_IRQ] = VR_RGB(245, 159, 0),      /* amber */
    [TL_POLL] = VR_RGB(21, 101, 192),    /* blue */
    [TL_IDLE] = VIEW_ROW_BG,
};

static const uint32_t instant_colours[] = {
    VR_RGB(106, 27, 154), VR_RGB(0, 131, 143), VR_RGB(93, 64, 55),
    VR_RGB(216, 27, 96),  VR_RGB(0, 0, 0),     VR_RGB(85, 139, 47),
};

uint32_t view_mode_colour(unsigned mode)
{
    return mode < TL_MODES ? mode_colours[mode] : mode_colours[TL_IDLE];
}

/* Text cut to at most max glyphs (a '~' marks the cut). */
static void text_fit(vr_canvas_t *c, int x, int y, const char *s, size_t max, uint32_t colour)
{
    char buf[256];
    size_t o = 0, total = vr_text_len(s);
    size_t keep = total <= max ? total : max ? max - 1 : 0;
    for (size_t g = 0; *s && g < keep && o + 5 < sizeof buf; g++)
        do /* one code point: its lead byte and continuation bytes */
            buf[o++] = *s++;
        while ((*s & 0xC0) == 0x80);
    if (keep < total && max)
        buf[o++] = '~';
    buf[o] = '\0';
    vr_text(c, x, y, buf, colour);
}

/* ------------------------------------------------------------ frame parts */

static void draw_header(const vm_model_t *m, vr_canvas_t *c, const char *title)
{
    char a[48], b[48], r[48], text[200];
    vm_format_time(m->t0, a, sizeof a);
    vm_format_time(m->t1, b, sizeof b);
    vm_format_time(m->t1 - m->t0, r, sizeof r);
    snprintf(text, sizeof text, "%s .. %s  (%s)", a, b, r);
    int tw = vr_text_width(text);
    vr_text(c, m->w - VM_MARGIN - tw, TEXT_DY(VM_HEADER_H), text, VIEW_FG);
    if (title) {
        size_t room = (size_t)((m->w - tw - 3 * VM_MARGIN) / VR_CELL_W);
        text_fit(c, 4, TEXT_DY(VM_HEADER_H), title, room, VIEW_FG);
    }
}

static void draw_axis(const vm_model_t *m, vr_canvas_t *c)
{
    vm_tick_t ticks[128];
    size_t n = vm_ticks(m, ticks, sizeof ticks / sizeof ticks[0], NULL);
    int base = m->axis_y + VM_AXIS_H - 3;
    vr_hline(c, m->plot_x, base, m->plot_w, VIEW_AXIS);
    for (size_t i = 0; i < n; i++) {
        if (ticks[i].x < m->plot_x || ticks[i].x >= m->plot_x + m->plot_w)
            continue;
        vr_vline(c, ticks[i].x, base - 4, 5, VIEW_AXIS);
        int lw = vr_text_width(ticks[i].label), lx = ticks[i].x - lw / 2;
        lx = lx < m->plot_x - lw / 2 ? m->plot_x - lw / 2 : lx;
        lx = lx + lw > m->w ? m->w - lw : lx;
        vr_text(c, lx, m->axis_y + 1, ticks[i].label, VIEW_FG);
    }
}

static void draw_label(const vm_model_t *m, vr_canvas_t *c, const vm_row_t *r)
{
    const tl_track_t *t = &m->tl->tracks[r->track];
    if (r->h < VR_GLYPH_H - 1)
        return;
    char text[2 * TL_NAME_MAX + 2];
    snprintf(text, sizeof text, "%s%s%s", t->name, *t->label ? " " : "", t->label);
    int y = r->kind == VM_ROW_COUNTER ? r->y + 1 : r->y + TEXT_DY(r->h);
    text_fit(c, 4, y, text, LABEL_CHARS, VIEW_FG);
}

/* Stack order from the row's bottom up. */
static const unsigned stack[] = {TL_USER, TL_KERNEL, TL_IRQ, TL_POLL};
#define NSTACK (sizeof stack / sizeof stack[0])

/* Pixel heights of each mode's part of a column h pixels high: the
 * boundaries are the cumulative fractions of the column, rounded; a mode
 * that is there at all gets at least one pixel (while the column has
 * room), taken back from the parts above it. */
static void stack_heights(const vl_col_t *col, int h, int out[NSTACK])
{
    uint64_t cum = 0;
    int used = 0;
    for (size_t i = 0; i < NSTACK; i++) {
        uint64_t cover = col->width ? col->cover[stack[i]] : 0;
        cum += cover;
        int b = col->width ? (int)lround((double)cum / (double)col->width * h) : 0;
        int px = (b > h ? h : b) - used;
        px = px < 0 ? 0 : px;
        if (cover && px < 1 && used < h)
            px = 1;
        out[i] = px;
        used += px;
    }
}

/* Is a span start in column x a boundary worth a line: spans are wide
 * here (no other start in the columns beside it)? */
static int lone_start(const vl_col_t *cols, int n, int x)
{
    return cols[x].starts && (x == 0 || !cols[x - 1].starts) && (x + 1 == n || !cols[x + 1].starts);
}

static void draw_core(vm_model_t *m, vr_canvas_t *c, const vm_row_t *r, vl_col_t *cols)
{
    vl_core_columns(&m->lod, r->track, m->t0, m->t1, m->plot_w, cols);
    for (int x = 0; x < m->plot_w; x++) {
        int hs[NSTACK], y = r->y + r->h;
        stack_heights(&cols[x], r->h, hs);
        int sep = lone_start(cols, m->plot_w, x);
        for (size_t i = 0; i < NSTACK; i++) {
            y -= hs[i];
            if (hs[i])
                vr_vline(c, m->plot_x + x, y, hs[i],
                         sep ? vr_mix(mode_colours[stack[i]], VIEW_FG, VIEW_SEP_ALPHA)
                             : mode_colours[stack[i]]);
        }
    }
}

static int value_y(const vm_row_t *r, int64_t v)
{
    double span = (double)r->vmax - (double)r->vmin;
    if (span <= 0)
        return r->y + r->h - 1;
    return r->y + r->h - 1 - (int)lround(((double)v - (double)r->vmin) * (r->h - 1) / span);
}

static void draw_counter(vm_model_t *m, vr_canvas_t *c, const vm_row_t *r, vl_range_t *cols)
{
    vl_counter_columns(&m->lod, r->track, m->t0, m->t1, m->plot_w, cols);
    int base = value_y(r, 0);
    for (int x = 0; x < m->plot_w; x++) {
        if (!cols[x].has)
            continue;
        int ymax = value_y(r, cols[x].max), ymin = value_y(r, cols[x].min);
        if (ymax <= base) /* from the value down to 0, both included */
            vr_vline(c, m->plot_x + x, ymax, base - ymax + 1, VIEW_COUNTER_FILL);
        else
            vr_vline(c, m->plot_x + x, base, ymax - base + 1, VIEW_COUNTER_FILL);
        vr_vline(c, m->plot_x + x, ymax, ymin - ymax + 1, VIEW_COUNTER_LINE);
    }
    if (r->h >= 2 * VR_CELL_H + 4) {
        char text[64];
        snprintf(text, sizeof text, "%" PRId64 "..%" PRId64, r->vmin, r->vmax);
        text_fit(c, 4, r->y + VR_CELL_H + 3, text, LABEL_CHARS, VIEW_AXIS);
    }
}

static void draw_instants(vm_model_t *m, vr_canvas_t *c, const vm_row_t *r, uint32_t *count,
                          uint8_t *kind)
{
    vl_instant_columns(&m->lod, r->track, m->t0, m->t1, m->plot_w, count, kind);
    size_t nk = sizeof instant_colours / sizeof instant_colours[0];
    for (int x = 0; x < m->plot_w; x++)
        if (count[x])
            vr_vline(c, m->plot_x + x, r->y, r->h, instant_colours[kind[x] % nk]);
}

static int draw_rows(vm_model_t *m, vr_canvas_t *c)
{
    size_t n = (size_t)m->plot_w;
    vl_col_t *cols = malloc(n * sizeof *cols);
    vl_range_t *ranges = malloc(n * sizeof *ranges);
    uint32_t *count = malloc(n * sizeof *count);
    uint8_t *kind = malloc(n);
    int rc = cols && ranges && count && kind ? 0 : -1;
    for (size_t i = 0; i < m->nrows && !rc; i++) {
        const vm_row_t *r = &m->rows[i];
        if (!r->h)
            continue;
        vr_fill(c, m->plot_x, r->y, m->plot_w, r->h, VIEW_ROW_BG);
        draw_label(m, c, r);
        if (r->kind == VM_ROW_CORE)
            draw_core(m, c, r, cols);
        else if (r->kind == VM_ROW_COUNTER)
            draw_counter(m, c, r, ranges);
        else
            draw_instants(m, c, r, count, kind);
    }
    free(cols);
    free(ranges);
    free(count);
    free(kind);
    return rc;
}

static void draw_legend(const vm_model_t *m, vr_canvas_t *c, const char *help)
{
    int x = m->plot_x, y = m->legend_y + TEXT_DY(VM_LEGEND_H);
    for (unsigned k = 0; k < TL_MODES; k++) {
        vr_fill(c, x, y, 10, VR_CELL_H - 1, mode_colours[k]);
        vr_frame(c, x, y, 10, VR_CELL_H - 1, VIEW_AXIS);
        x = vr_text(c, x + 14, y, tl_mode_name((tl_mode_t)k), VIEW_FG) + 12;
    }
    if (m->hidden) {
        char note[64];
        snprintf(note, sizeof note, "%zu rows not shown: a larger picture has room", m->hidden);
        x = vr_text(c, x + 12, y, note, VIEW_FG) + 12;
    }
    if (help) {
        int hw = vr_text_width(help);
        if (m->w - VM_MARGIN - hw > x)
            vr_text(c, m->w - VM_MARGIN - hw, y, help, VIEW_AXIS);
    }
}

/* ------------------------------------------------------------ overlay */

static void draw_outline(const vm_model_t *m, vr_canvas_t *c, const vm_hit_t *hit)
{
    const vm_row_t *r = NULL;
    for (size_t i = 0; i < m->nrows; i++)
        if (m->rows[i].track == hit->track)
            r = &m->rows[i];
    if (!r || !r->h || hit->kind != VM_ROW_CORE)
        return;
    const tl_span_t *s = &m->tl->spans[hit->index];
    long x0 = vm_x_of(m, s->t0), x1 = vm_x_of(m, s->t1 > s->t0 ? s->t1 - 1 : s->t0);
    x0 = x0 < m->plot_x ? m->plot_x : x0;
    x1 = x1 >= m->plot_x + m->plot_w ? m->plot_x + m->plot_w - 1 : x1;
    if (x1 < x0)
        return;
    vr_frame(c, (int)x0 - 1, r->y - 1, (int)(x1 - x0) + 3, r->h + 2, VIEW_FG);
}

static void draw_tip(const vm_model_t *m, vr_canvas_t *c, const view_overlay_t *ov)
{
    char text[512], *lines[TIP_LINES];
    vm_hit_text(m, &ov->hit, text, sizeof text);
    int n = 0, wmax = 0;
    for (char *p = strtok(text, "\n"); p && n < TIP_LINES; p = strtok(NULL, "\n")) {
        lines[n++] = p;
        int w = vr_text_width(p);
        wmax = w > wmax ? w : wmax;
    }
    int bw = wmax + 8, bh = n * (VR_CELL_H + 2) + 6;
    int x = ov->cx + 14, y = ov->cy + 14;
    x = x + bw > m->w ? ov->cx - 14 - bw : x;
    y = y + bh > m->h ? m->h - bh : y;
    x = x < 0 ? 0 : x;
    y = y < 0 ? 0 : y;
    vr_fill(c, x, y, bw, bh, VIEW_TIP_BG);
    vr_frame(c, x, y, bw, bh, VIEW_FG);
    for (int i = 0; i < n; i++)
        vr_text(c, x + 4, y + 4 + i * (VR_CELL_H + 2), lines[i], VIEW_FG);
}

int view_draw(vm_model_t *m, vr_canvas_t *c, const view_overlay_t *ov)
{
    vr_clear(c, VIEW_BG);
    draw_header(m, c, ov ? ov->title : NULL);
    draw_axis(m, c);
    int rc = draw_rows(m, c);
    draw_legend(m, c, ov ? ov->help : NULL);
    if (ov && ov->has_hit) {
        draw_outline(m, c, &ov->hit);
        draw_tip(m, c, ov);
    }
    return rc;
}
