/* sim/view_raster: a software rasteriser into a 32-bit pixel buffer, for
 * the timeline viewer (sim/view_draw.c draws with it; the PNG writer and
 * the SDL window show its buffer).
 *
 * Pixels are 0xAARRGGBB (SDL_PIXELFORMAT_ARGB8888), rows top to bottom,
 * stride = width.  Every call clips to the canvas: coordinates outside it
 * draw nothing there, never out of bounds.  Text uses a built-in 5x8
 * bitmap font (ASCII 32..126 and the micro sign; other code points draw
 * as '?'), one glyph cell VR_CELL_W x VR_CELL_H pixels, drawn from its
 * top-left corner. */
#ifndef PARASIM_SIM_VIEW_RASTER_H
#define PARASIM_SIM_VIEW_RASTER_H

#include <stddef.h>
#include <stdint.h>

#define VR_RGB(r, g, b) (0xFF000000u | (uint32_t)(r) << 16 | (uint32_t)(g) << 8 | (uint32_t)(b))
#define VR_R(c) ((c) >> 16 & 0xFFu)
#define VR_G(c) ((c) >> 8 & 0xFFu)
#define VR_B(c) ((c)&0xFFu)

#define VR_GLYPH_W 5   /* font pixels of a glyph */
#define VR_GLYPH_H 8   /* rows 0..6 above the baseline, row 7 the descender */
#define VR_CELL_W 6    /* a glyph and one column of spacing */
#define VR_CELL_H 8

typedef struct vr_canvas {
    uint32_t *px;      /* w * h pixels, owned */
    int w, h;
} vr_canvas_t;

/* Allocate a w x h canvas (1..32768 each); 0 or -1 (no memory, bad size). */
int vr_init(vr_canvas_t *c, int w, int h);
void vr_free(vr_canvas_t *c);

void vr_clear(vr_canvas_t *c, uint32_t colour);
void vr_fill(vr_canvas_t *c, int x, int y, int w, int h, uint32_t colour);
void vr_hline(vr_canvas_t *c, int x, int y, int w, uint32_t colour);
void vr_vline(vr_canvas_t *c, int x, int y, int h, uint32_t colour);
/* A one-pixel outline of the rectangle. */
void vr_frame(vr_canvas_t *c, int x, int y, int w, int h, uint32_t colour);

/* a * (1 - alpha/256) + b * alpha/256, per channel, alpha in 0..256. */
uint32_t vr_mix(uint32_t a, uint32_t b, unsigned alpha);

/* Draw UTF-8 text from (x, y), its cells' top-left; returns the x after
 * the last glyph.  '\n' is not interpreted (one line). */
int vr_text(vr_canvas_t *c, int x, int y, const char *s, uint32_t colour);
/* Glyphs in s (what vr_text would draw) and their width in pixels. */
size_t vr_text_len(const char *s);
int vr_text_width(const char *s);

#endif
