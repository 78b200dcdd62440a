/* sim/view: the timeline viewer's picture -- a model (sim/view_model.h)
 * drawn into a canvas (sim/view_raster.h) -- and its interactive window.
 *
 * view_draw draws, for the model's range and layout: the header (title,
 * visible range), the time axis, each core row coloured per pixel column
 * by what the core did there (below), counter rows as step plots (per
 * column a light bar from 0 to the maximum and a dark stroke from the
 * minimum to the maximum of the values holding in it), instant rows as
 * ticks, the legend, and the overlay (the hit's outline and details).
 *
 * A core row's column is a stacked bar: from the bottom up, user, kernel,
 * irq and poll, each as high as the fraction of the column's time it
 * covers (boundaries rounded to pixels; a mode present at all gets at
 * least one pixel, so one short span stays visible at any zoom); the rest
 * is the row background (view_mode_colour(TL_IDLE)): idle and unrecorded
 * time look alike.  A column covered by one mode is that mode's colour
 * over the row's full height.  Where spans are wider than a few pixels, a
 * column where one starts has its coloured part darkened, so that two
 * spans of one mode back to back stay apart.
 *
 * view_window opens an SDL2 window on the model and runs until the user
 * quits (0); -1 with a one-line message when no window can be opened. */
#ifndef PARASIM_SIM_VIEW_H
#define PARASIM_SIM_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "sim/view_model.h"
#include "sim/view_raster.h"

#define VIEW_BG VR_RGB(255, 255, 255)       /* page */
#define VIEW_ROW_BG VR_RGB(244, 244, 246)   /* a row's plot area: nothing there */
#define VIEW_FG VR_RGB(32, 32, 32)          /* text, outlines */
#define VIEW_AXIS VR_RGB(96, 96, 96)
#define VIEW_TIP_BG VR_RGB(255, 255, 224)
#define VIEW_COUNTER_FILL VR_RGB(176, 190, 197)
#define VIEW_COUNTER_LINE VR_RGB(55, 71, 79)

typedef struct view_overlay {
    const char *title;        /* the header's text (NULL: none) */
    const char *help;         /* right of the legend (NULL: none) */
    int has_hit;
    vm_hit_t hit;             /* outlined, its details in a box at (cx, cy) */
    int cx, cy;
} view_overlay_t;

/* The colour of a mode (TL_IDLE: the row background). */
uint32_t view_mode_colour(unsigned mode);

/* Draw m into c, which must be m->w x m->h; ov may be NULL.  Returns 0, or
 * -1 when out of memory (c then holds a partial picture). */
int view_draw(vm_model_t *m, vr_canvas_t *c, const view_overlay_t *ov);

int view_window(vm_model_t *m, const char *title, char *err, size_t errlen);

#endif
