/* sim/view_model: what the timeline viewer shows, without drawing it --
 * the visible time range, the layout of the picture, axis ticks, zoom and
 * pan, hit-testing and the details of what is under the cursor.  No SDL,
 * no pixels: sim/view.c draws a model, sim/view_sdl.c feeds it events.
 *
 * Layout of a w x h picture (pixels, y down; the VM_ constants below):
 *   [0, VM_HEADER_H)                   title and the visible range
 *   [axis_y, axis_y + VM_AXIS_H)       the time axis: labels, then ticks
 *   rows from rows_y                   one row per core track (in track
 *                                      order), then one per counter track,
 *                                      then one per instant track
 *   [legend_y, h)                      the mode colours
 * Columns: row labels in [0, plot_x); time in [plot_x, plot_x + plot_w),
 * column c showing [vl_col_time(t0, t1, plot_w, c), ... c + 1) (sim/view_lod.h).
 * Counter rows are VM_COUNTER_H high, instant rows VM_INSTANT_H, core rows
 * share the rest up to VM_ROW_H_MAX each; each row is followed by
 * VM_ROW_GAP.  Cores come first: when they would get less than
 * VM_ROW_H_MIN, they get that (or what there is) and the other rows share
 * what is left, down to VM_COUNTER_H_MIN and VM_INSTANT_H_MIN.  A row
 * that still does not fit above the legend gets h = 0 and is not drawn
 * (counted in hidden).
 *
 * Time range: [t0, t1) in ps, t1 - t0 >= plot_w (at most one column per
 * picosecond) and at most VM_RANGE_MAX; a new range is clamped to that.
 * "Fit" is [t_min, t_max] of the timeline (a timeline with no record
 * fits [0, 1 µs)).  Zooming about a pixel keeps the time under it fixed.
 *
 * Errors: vm_create/vm_resize return NULL/-1 with a one-line message when
 * the picture is smaller than VM_MIN_W x VM_MIN_H or memory runs out. */
#ifndef PARASIM_SIM_VIEW_MODEL_H
#define PARASIM_SIM_VIEW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "sim/view_lod.h"
#include "traces/timeline.h"

#define VM_MARGIN 6           /* right of the plot */
#define VM_LABEL_W 132        /* row labels, left of the plot */
#define VM_HEADER_H 14
#define VM_AXIS_H 18
#define VM_LEGEND_H 16
#define VM_ROW_GAP 2
#define VM_ROW_H_MAX 40
#define VM_ROW_H_MIN 12
#define VM_COUNTER_H 32
#define VM_COUNTER_H_MIN 12
#define VM_INSTANT_H 10
#define VM_INSTANT_H_MIN 8
#define VM_MIN_W (VM_LABEL_W + VM_MARGIN + 64)
#define VM_MIN_H (VM_HEADER_H + VM_AXIS_H + VM_LEGEND_H + 16)
#define VM_TICK_MIN_PX 80     /* ticks at least this far apart */
#define VM_TICK_PAD 16        /* and at least this much wider than a label */
#define VM_RANGE_MAX (UINT64_MAX / 4)
#define VM_PICK_PX 2          /* hit-testing looks this many columns around */

typedef enum vm_row_kind { VM_ROW_CORE = 0, VM_ROW_COUNTER, VM_ROW_INSTANT } vm_row_kind_t;

typedef struct vm_row {
    vm_row_kind_t kind;
    uint32_t track;
    int y, h;                 /* pixel rows [y, y + h); h 0: not shown */
    int64_t vmin, vmax;       /* counters: the track's values, and 0 */
} vm_row_t;

typedef struct vm_tick {
    int x;                    /* pixel column */
    uint64_t t;               /* ps */
    char label[40];           /* "200 ns", in the unit of the tick step */
} vm_tick_t;

typedef struct vm_hit {
    vm_row_kind_t kind;
    uint32_t track;
    size_t index;             /* into tl->spans, tl->counters or tl->instants */
} vm_hit_t;

typedef struct vm_model {
    const tl_timeline_t *tl;  /* not owned */
    vl_index_t lod;
    uint64_t t0, t1;          /* visible range, ps */
    int w, h;                 /* picture, pixels */
    int plot_x, plot_w;
    int axis_y, rows_y, legend_y;
    size_t nrows;
    vm_row_t *rows;
    size_t hidden;            /* rows that do not fit (h == 0) */
} vm_model_t;

vm_model_t *vm_create(const tl_timeline_t *tl, int w, int h, char *err, size_t errlen);
void vm_destroy(vm_model_t *m);
/* The picture height at which tl's core rows are core_h pixels high (and
 * every row fits), at least VM_MIN_H. */
int vm_height_for(const tl_timeline_t *tl, int core_h);
/* New picture size: the layout is redone, the time range kept (widened
 * if it would have more columns than picoseconds). */
int vm_resize(vm_model_t *m, int w, int h, char *err, size_t errlen);

void vm_set_range(vm_model_t *m, uint64_t t0, uint64_t t1);
void vm_fit(vm_model_t *m);
/* Multiply the range by factor (< 1 zooms in) keeping the time at pixel
 * column x where it is (x outside the plot: its nearest edge). */
void vm_zoom(vm_model_t *m, int x, double factor);
/* Move the picture dx pixels right (what was at x is then at x + dx). */
void vm_pan(vm_model_t *m, int dx);

/* The time at the left edge of pixel column x (clamped to the plot). */
uint64_t vm_time_at(const vm_model_t *m, int x);
/* The pixel column holding t (may be outside the plot). */
long vm_x_of(const vm_model_t *m, uint64_t t);
/* The row at pixel row y, or -1. */
int vm_row_at(const vm_model_t *m, int y);

/* The axis ticks: a 1-2-5 step (ps) at least VM_TICK_MIN_PX apart and
 * wider than its labels; labels are the tick's time in the largest unit
 * (ps, ns, µs, ms, s) not above the step.  Returns the number written. */
size_t vm_ticks(const vm_model_t *m, vm_tick_t *out, size_t max, uint64_t *step);

/* What is under pixel (x, y): 1 and *hit, or 0. */
int vm_hit(vm_model_t *m, int x, int y, vm_hit_t *hit);
/* Its details as lines separated by '\n': the track, then for a span its
 * mode, start, duration and cause (pid, what, argument); for a counter
 * its value and since when; for an instant its kind, time and argument. */
void vm_hit_text(const vm_model_t *m, const vm_hit_t *hit, char *buf, size_t n);

/* ps as text in the largest unit (ps, ns, µs, ms, s) in which it is at
 * least 1, exact, without trailing zeros: 1500 -> "1.5 ns". */
void vm_format_time(uint64_t ps, char *buf, size_t n);

#endif
