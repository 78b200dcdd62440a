/* sim/view_model: layout, time range, ticks and hit-testing for the
 * timeline viewer (see the header). */
#include "sim/view_model.h"

#include "sim/view_raster.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct unit {
    uint64_t ps;
    int digits;               /* log10(ps) */
    const char *name;
} units[] = {
    {1, 0, "ps"}, {1000, 3, "ns"}, {1000000, 6, "µs"}, {1000000000, 9, "ms"},
    {1000000000000, 12, "s"},
};
#define NUNITS (sizeof units / sizeof units[0])

/* floor(a * r / n) for n > 0, saturating at UINT64_MAX. */
static uint64_t muldiv(uint64_t a, uint64_t r, uint64_t n)
{
    uint64_t q = a / n, rem = a % n;
    if (q && r > UINT64_MAX / q)
        return UINT64_MAX;
    uint64_t hi = q * r;
    /* rem < n < 2^31: rem * (r % n) fits */
    uint64_t lo = rem * (r / n) + rem * (r % n) / n;
    return hi > UINT64_MAX - lo ? UINT64_MAX : hi + lo;
}

/* ------------------------------------------------------------ rows and layout */

static int build_rows(vm_model_t *m)
{
    const tl_timeline_t *tl = m->tl;
    m->rows = calloc(tl->ntracks ? tl->ntracks : 1, sizeof *m->rows);
    if (!m->rows)
        return -1;
    static const vm_row_kind_t order[] = {VM_ROW_CORE, VM_ROW_COUNTER, VM_ROW_INSTANT};
    static const tl_track_kind_t kind_of[] = {TL_TRACK_CORE, TL_TRACK_COUNTER, TL_TRACK_INSTANT};
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < tl->ntracks; i++) {
            if (tl->tracks[i].kind != kind_of[k])
                continue;
            vm_row_t *r = &m->rows[m->nrows++];
            r->kind = order[k];
            r->track = (uint32_t)i;
            for (size_t c = tl->counter_first[i]; c < tl->counter_first[i + 1]; c++) {
                int64_t v = tl->counters[c].value;
                r->vmin = v < r->vmin ? v : r->vmin;
                r->vmax = v > r->vmax ? v : r->vmax;
            }
        }
    return 0;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Row heights for the space between the axis and the legend: core rows
 * as high as they can be up to VM_ROW_H_MAX with the other rows at their
 * full height; when that leaves them below VM_ROW_H_MIN, core rows get
 * VM_ROW_H_MIN (or what there is) and the other rows share the rest,
 * down to their minimums. */
static void row_heights(const vm_model_t *m, int h[3])
{
    int n[3] = {0, 0, 0};
    for (size_t i = 0; i < m->nrows; i++)
        n[m->rows[i].kind]++;
    int avail = m->legend_y - m->rows_y, g = VM_ROW_GAP;
    int others = n[VM_ROW_COUNTER] * (VM_COUNTER_H + g) + n[VM_ROW_INSTANT] * (VM_INSTANT_H + g);
    h[VM_ROW_COUNTER] = VM_COUNTER_H;
    h[VM_ROW_INSTANT] = VM_INSTANT_H;
    if (!n[VM_ROW_CORE]) {
        h[VM_ROW_CORE] = 0;
        return;
    }
    h[VM_ROW_CORE] = clampi((avail - others) / n[VM_ROW_CORE] - g, 1, VM_ROW_H_MAX);
    if (h[VM_ROW_CORE] >= VM_ROW_H_MIN || !others)
        return;
    h[VM_ROW_CORE] = clampi(avail / n[VM_ROW_CORE] - g, 1, VM_ROW_H_MIN);
    int rest = avail - n[VM_ROW_CORE] * (h[VM_ROW_CORE] + g);
    if (n[VM_ROW_COUNTER])
        h[VM_ROW_COUNTER] = clampi((rest - n[VM_ROW_INSTANT] * (VM_INSTANT_H_MIN + g)) /
                                           n[VM_ROW_COUNTER] - g,
                                   VM_COUNTER_H_MIN, VM_COUNTER_H);
    if (n[VM_ROW_INSTANT])
        h[VM_ROW_INSTANT] = clampi((rest - n[VM_ROW_COUNTER] * (h[VM_ROW_COUNTER] + g)) /
                                           n[VM_ROW_INSTANT] - g,
                                   VM_INSTANT_H_MIN, VM_INSTANT_H);
}

static int layout(vm_model_t *m, int w, int h, char *err, size_t errlen)
{
    if (w < VM_MIN_W || h < VM_MIN_H || w > 32768 || h > 32768) {
        snprintf(err, errlen, "picture size %dx%d: must be from %dx%d to 32768x32768", w, h,
                 VM_MIN_W, VM_MIN_H);
        return -1;
    }
    m->w = w;
    m->h = h;
    m->plot_x = VM_LABEL_W;
    m->plot_w = w - VM_LABEL_W - VM_MARGIN;
    m->axis_y = VM_HEADER_H;
    m->rows_y = m->axis_y + VM_AXIS_H;
    m->legend_y = h - VM_LEGEND_H;
    int hk[3], y = m->rows_y;
    row_heights(m, hk);
    m->hidden = 0;
    for (size_t i = 0; i < m->nrows; i++) {
        vm_row_t *r = &m->rows[i];
        int rh = hk[r->kind];
        r->y = y;
        r->h = y + rh <= m->legend_y ? rh : 0;
        if (r->h)
            y += rh + VM_ROW_GAP;
        else
            m->hidden++;
    }
    return 0;
}

int vm_height_for(const tl_timeline_t *tl, int core_h)
{
    long h = VM_HEADER_H + VM_AXIS_H + VM_LEGEND_H;
    for (size_t i = 0; i < tl->ntracks; i++) {
        tl_track_kind_t k = tl->tracks[i].kind;
        h += VM_ROW_GAP + (k == TL_TRACK_CORE      ? core_h
                           : k == TL_TRACK_COUNTER ? VM_COUNTER_H
                           : k == TL_TRACK_INSTANT ? VM_INSTANT_H
                                                   : -VM_ROW_GAP);
    }
    return h < VM_MIN_H ? VM_MIN_H : h > 32768 ? 32768 : (int)h;
}

vm_model_t *vm_create(const tl_timeline_t *tl, int w, int h, char *err, size_t errlen)
{
    vm_model_t *m = calloc(1, sizeof *m);
    if (!m || vl_build(&m->lod, tl)) {
        snprintf(err, errlen, "out of memory indexing %zu spans", tl->nspans);
        free(m);
        return NULL;
    }
    m->tl = tl;
    if (build_rows(m)) {
        snprintf(err, errlen, "out of memory");
        vm_destroy(m);
        return NULL;
    }
    if (layout(m, w, h, err, errlen)) {
        vm_destroy(m);
        return NULL;
    }
    vm_fit(m);
    return m;
}

void vm_destroy(vm_model_t *m)
{
    if (!m)
        return;
    vl_free(&m->lod);
    free(m->rows);
    free(m);
}

int vm_resize(vm_model_t *m, int w, int h, char *err, size_t errlen)
{
    if (layout(m, w, h, err, errlen))
        return -1;
    vm_set_range(m, m->t0, m->t1);
    return 0;
}

/* ------------------------------------------------------------ time range */

static void set_t0_range(vm_model_t *m, uint64_t t0, uint64_t r)
{
    uint64_t rmin = (uint64_t)m->plot_w;
    r = r < rmin ? rmin : r > VM_RANGE_MAX ? VM_RANGE_MAX : r;
    if (t0 > UINT64_MAX - r)
        t0 = UINT64_MAX - r;
    m->t0 = t0;
    m->t1 = t0 + r;
}

void vm_set_range(vm_model_t *m, uint64_t t0, uint64_t t1)
{
    set_t0_range(m, t0, t1 > t0 ? t1 - t0 : 0);
}

void vm_fit(vm_model_t *m)
{
    const tl_timeline_t *tl = m->tl;
    if (tl->nspans + tl->ncounters + tl->ninstants == 0)
        vm_set_range(m, 0, 1000000);
    else if (tl->t_max <= tl->t_min)
        vm_set_range(m, tl->t_min, tl->t_min + 1000000);
    else
        vm_set_range(m, tl->t_min, tl->t_max);
}

static int clamp_x(const vm_model_t *m, int x)
{
    int dx = x - m->plot_x;
    return dx < 0 ? 0 : dx > m->plot_w ? m->plot_w : dx;
}

void vm_zoom(vm_model_t *m, int x, double factor)
{
    int dx = clamp_x(m, x);
    uint64_t r = m->t1 - m->t0;
    uint64_t t = vl_col_time(m->t0, m->t1, m->plot_w, dx);
    double nr = (double)r * factor;
    uint64_t r2 = nr < (double)m->plot_w ? (uint64_t)m->plot_w
                  : nr >= (double)VM_RANGE_MAX ? VM_RANGE_MAX
                                                : (uint64_t)nr;
    uint64_t off = muldiv((uint64_t)dx, r2, (uint64_t)m->plot_w);
    set_t0_range(m, t >= off ? t - off : 0, r2);
}

void vm_pan(vm_model_t *m, int dx)
{
    uint64_t r = m->t1 - m->t0;
    uint64_t shift = muldiv(dx < 0 ? (uint64_t)-(int64_t)dx : (uint64_t)dx, r, (uint64_t)m->plot_w);
    uint64_t t0 = m->t0;
    if (dx > 0)
        t0 = t0 > shift ? t0 - shift : 0;
    else
        t0 = t0 > UINT64_MAX - shift ? UINT64_MAX : t0 + shift;
    /* keep some of the recording in view */
    uint64_t last = m->tl->t_max > m->tl->t_min ? m->tl->t_max : m->tl->t_min;
    if (t0 > last)
        t0 = last;
    set_t0_range(m, t0, r);
}

uint64_t vm_time_at(const vm_model_t *m, int x)
{
    return vl_col_time(m->t0, m->t1, m->plot_w, clamp_x(m, x));
}

long vm_x_of(const vm_model_t *m, uint64_t t)
{
    if (t < m->t0)
        return m->plot_x - 1;
    if (t >= m->t1)
        return m->plot_x + m->plot_w;
    /* an estimate, then exact steps against the column boundaries */
    double est = (double)(t - m->t0) * m->plot_w / (double)(m->t1 - m->t0);
    int c = est < 0 ? 0 : est >= m->plot_w ? m->plot_w - 1 : (int)est;
    while (c > 0 && vl_col_time(m->t0, m->t1, m->plot_w, c) > t)
        c--;
    while (c + 1 < m->plot_w && vl_col_time(m->t0, m->t1, m->plot_w, c + 1) <= t)
        c++;
    return m->plot_x + c;
}

int vm_row_at(const vm_model_t *m, int y)
{
    for (size_t i = 0; i < m->nrows; i++)
        if (m->rows[i].h && y >= m->rows[i].y && y < m->rows[i].y + m->rows[i].h)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------ ticks */

static const struct unit *unit_for(uint64_t step)
{
    size_t u = 0;
    while (u + 1 < NUNITS && units[u + 1].ps <= step)
        u++;
    return &units[u];
}

static void tick_label(uint64_t t, uint64_t step, char *buf, size_t n)
{
    const struct unit *u = unit_for(step);
    snprintf(buf, n, "%" PRIu64 " %s", t / u->ps, u->name);
}

/* 1, 2, 5, 10, 20, 50, ...; 0 past the last that fits. */
static uint64_t next_step(uint64_t s)
{
    uint64_t d = s;
    while (d >= 10)
        d /= 10;
    uint64_t mul = d == 2 ? 5 : 2, div = d == 2 ? 2 : 1;
    return s / div > UINT64_MAX / mul ? 0 : s / div * mul;
}

static uint64_t tick_step(const vm_model_t *m)
{
    uint64_t r = m->t1 - m->t0, step = 1;
    for (uint64_t next; (next = next_step(step)); step = next) {
        double px = (double)step * m->plot_w / (double)r;
        if (px < VM_TICK_MIN_PX)
            continue;
        char widest[40];
        tick_label(m->t1, step, widest, sizeof widest);
        if (px >= vr_text_width(widest) + VM_TICK_PAD)
            break;
    }
    return step;
}

size_t vm_ticks(const vm_model_t *m, vm_tick_t *out, size_t max, uint64_t *step_out)
{
    uint64_t step = tick_step(m);
    if (step_out)
        *step_out = step;
    uint64_t t = m->t0 % step ? m->t0 - m->t0 % step : m->t0;
    if (t < m->t0)
        t = t > UINT64_MAX - step ? UINT64_MAX : t + step;
    size_t n = 0;
    for (; t < m->t1 && n < max; t += step) {
        out[n].x = (int)vm_x_of(m, t);
        out[n].t = t;
        tick_label(t, step, out[n].label, sizeof out[n].label);
        n++;
        if (t > UINT64_MAX - step)
            break;
    }
    return n;
}

/* ------------------------------------------------------------ hits */

int vm_hit(vm_model_t *m, int x, int y, vm_hit_t *hit)
{
    int ri = vm_row_at(m, y);
    if (ri < 0 || x < m->plot_x || x >= m->plot_x + m->plot_w)
        return 0;
    const vm_row_t *r = &m->rows[ri];
    int c = x - m->plot_x;
    int ca = c > VM_PICK_PX ? c - VM_PICK_PX : 0;
    int cb = c + 1 + VM_PICK_PX < m->plot_w ? c + 1 + VM_PICK_PX : m->plot_w;
    uint64_t ta = vl_col_time(m->t0, m->t1, m->plot_w, ca);
    uint64_t tb = vl_col_time(m->t0, m->t1, m->plot_w, cb);
    uint64_t t = vl_col_time(m->t0, m->t1, m->plot_w, c);
    t += (vl_col_time(m->t0, m->t1, m->plot_w, c + 1) - t) / 2;
    size_t i = r->kind == VM_ROW_CORE      ? vl_span_pick(&m->lod, r->track, ta, t, tb)
               : r->kind == VM_ROW_COUNTER ? vl_counter_at(&m->lod, r->track, t)
                                           : vl_instant_pick(&m->lod, r->track, ta, t, tb);
    if (i == VL_NONE)
        return 0;
    *hit = (vm_hit_t){r->kind, r->track, i};
    return 1;
}

void vm_format_time(uint64_t ps, char *buf, size_t n)
{
    if (ps == 0) {
        snprintf(buf, n, "0 ns");
        return;
    }
    const struct unit *u = &units[NUNITS - 1];
    while (u > units && ps < u->ps)
        u--;
    uint64_t frac = ps % u->ps;
    if (!frac) {
        snprintf(buf, n, "%" PRIu64 " %s", ps / u->ps, u->name);
        return;
    }
    char digits[16];
    snprintf(digits, sizeof digits, "%0*" PRIu64, u->digits, frac);
    for (size_t k = strlen(digits); k > 0 && digits[k - 1] == '0'; k--)
        digits[k - 1] = '\0';
    snprintf(buf, n, "%" PRIu64 ".%s %s", ps / u->ps, digits, u->name);
}

static void cause_text(const tl_span_t *s, char *buf, size_t n)
{
    if (s->pid == TL_NO_PID && s->what == TL_WHAT_NONE) {
        snprintf(buf, n, "none");
        return;
    }
    char pid[16] = "no pid";
    if (s->pid != TL_NO_PID)
        snprintf(pid, sizeof pid, "pid %u", (unsigned)s->pid);
    const char *what = s->what < TL_WHAT_COUNT ? tl_what_name((tl_what_t)s->what) : "?";
    snprintf(buf, n, "%s, %s, arg %" PRIu64, pid, what, s->arg);
}

void vm_hit_text(const vm_model_t *m, const vm_hit_t *hit, char *buf, size_t n)
{
    const tl_timeline_t *tl = m->tl;
    const tl_track_t *tr = &tl->tracks[hit->track];
    char head[2 * TL_NAME_MAX + 4], a[48], b[48], cause[96];
    snprintf(head, sizeof head, "%s%s%s%s", tr->name, *tr->label ? " (" : "", tr->label,
             *tr->label ? ")" : "");
    if (hit->kind == VM_ROW_CORE) {
        const tl_span_t *s = &tl->spans[hit->index];
        vm_format_time(s->t0, a, sizeof a);
        vm_format_time(s->t1 - s->t0, b, sizeof b);
        cause_text(s, cause, sizeof cause);
        const char *mode = s->mode < TL_MODES ? tl_mode_name((tl_mode_t)s->mode) : "?";
        snprintf(buf, n, "%s\nmode: %s\nstart: %s\nduration: %s\ncause: %s", head, mode, a, b,
                 cause);
    } else if (hit->kind == VM_ROW_COUNTER) {
        const tl_counter_t *c = &tl->counters[hit->index];
        vm_format_time(c->t, a, sizeof a);
        snprintf(buf, n, "%s\nvalue: %" PRId64 "\nsince: %s", head, c->value, a);
    } else {
        const tl_instant_t *e = &tl->instants[hit->index];
        vm_format_time(e->t, a, sizeof a);
        const char *kind = e->kind < TL_INST_KINDS ? tl_instant_name((tl_instant_kind_t)e->kind)
                                                   : "?";
        snprintf(buf, n, "%s\n%s, arg %" PRIu64 "\nat: %s", head, kind, e->arg, a);
    }
}
