/* sim/view_lod: level of detail for the timeline viewer -- what one pixel
 * column of a track shows, in O(log n) record reads per column, whatever
 * the number of records behind it (never O(records) per frame).
 *
 * A frame of ncols columns over [t0, t1) gives column c the times
 * [vl_col_time(t0, t1, ncols, c), vl_col_time(t0, t1, ncols, c + 1)).
 *
 * Core tracks: for each column, the time (ps) each mode covers inside it,
 * exactly.  The index keeps, every VL_BLOCK spans of the timeline's span
 * array, the running total of span time per mode (cum); the time of mode m
 * on a track up to t is cum up to the last span starting before t, minus
 * that span's part after t.  Consecutive column boundaries are found by
 * galloping from the previous one, so a column costs O(log(spans in it))
 * reads for the search plus < VL_BLOCK for the running total.
 * Memory: TL_MODES * 8 bytes per VL_BLOCK spans.
 *
 * Counter tracks: the minimum and maximum value holding during the column
 * (a value holds from its sample until the track's next one, and after the
 * last sample until the timeline's end; samples at one time all count),
 * from a min/max pyramid over the
 * counter array (VL_FANOUT entries per node): O(VL_FANOUT * log n) reads.
 *
 * Instant tracks: how many instants fall in the column, and the kind of
 * the first.
 *
 * visits counts every record and index entry read by the column and pick
 * queries (a debug counter: tests assert the per-frame bound). */
#ifndef PARASIM_SIM_VIEW_LOD_H
#define PARASIM_SIM_VIEW_LOD_H

#include <stddef.h>
#include <stdint.h>

#include "traces/timeline.h"

#define VL_BLOCK 16u          /* spans per running-total entry */
#define VL_FANOUT 16u         /* children per min/max pyramid node */
#define VL_MAX_LEVELS 16
#define VL_NONE ((size_t)-1)
#define VL_PICK_SCAN 64u      /* spans a pick examines at most */

typedef struct vl_mm {
    int64_t min, max;
} vl_mm_t;

typedef struct vl_index {
    const tl_timeline_t *tl;          /* not owned */
    uint64_t (*cum)[TL_MODES];        /* [nspans / VL_BLOCK + 1] */
    vl_mm_t *lev[VL_MAX_LEVELS];      /* lev[l]: nodes over VL_FANOUT^(l+1) counters */
    size_t lev_n[VL_MAX_LEVELS];
    size_t nlevels;
    uint64_t visits;
} vl_index_t;

/* What a core row shows in one column. */
typedef struct vl_col {
    uint64_t cover[TL_MODES];         /* ps of each mode inside the column */
    uint64_t width;                   /* the column's length, ps */
    size_t starts;                    /* spans starting inside it */
} vl_col_t;

/* What a counter row shows in one column. */
typedef struct vl_range {
    int64_t min, max;
    int has;                          /* 0: no value holds in the column */
} vl_range_t;

/* 0, or -1 when out of memory. */
int vl_build(vl_index_t *ix, const tl_timeline_t *tl);
void vl_free(vl_index_t *ix);

/* t0 + floor(c * (t1 - t0) / ncols), exact for any 64-bit range. */
uint64_t vl_col_time(uint64_t t0, uint64_t t1, int ncols, int c);

void vl_core_columns(vl_index_t *ix, uint32_t track, uint64_t t0, uint64_t t1, int ncols,
                     vl_col_t *out);
void vl_counter_columns(vl_index_t *ix, uint32_t track, uint64_t t0, uint64_t t1, int ncols,
                        vl_range_t *out);
/* count[c]: instants in column c; kind[c]: the first one's kind. */
void vl_instant_columns(vl_index_t *ix, uint32_t track, uint64_t t0, uint64_t t1, int ncols,
                        uint32_t *count, uint8_t *kind);

/* Hit-testing inside [ta, tb) around t (ta <= t < tb): the index into
 * tl->spans of the span under t when it is not idle, else of the non-idle
 * span overlapping [ta, tb) most (the first VL_PICK_SCAN examined), else
 * of the idle span under t; VL_NONE when nothing overlaps. */
size_t vl_span_pick(vl_index_t *ix, uint32_t track, uint64_t ta, uint64_t t, uint64_t tb);
/* The counter sample holding at t (the last one at or before it), or VL_NONE. */
size_t vl_counter_at(vl_index_t *ix, uint32_t track, uint64_t t);
/* The instant in [ta, tb) nearest t, or VL_NONE. */
size_t vl_instant_pick(vl_index_t *ix, uint32_t track, uint64_t ta, uint64_t t, uint64_t tb);

#endif
