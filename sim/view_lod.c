/* sim/view_lod: the viewer's level-of-detail indexes and column queries
 * (see the header for the algorithm and its costs). */
#include "sim/view_lod.h"

#include <stdlib.h>
#include <string.h>

/* Spans, instants and counters all start with their time (t0 or t), so
 * one search serves the three arrays. */
_Static_assert(offsetof(tl_span_t, t0) == 0, "span time first");
_Static_assert(offsetof(tl_instant_t, t) == 0, "instant time first");
_Static_assert(offsetof(tl_counter_t, t) == 0, "counter time first");

#define KEY(base, stride, i) (*(const uint64_t *)((const char *)(base) + (i) * (stride)))

static unsigned mode_of(const tl_span_t *s)
{
    return s->mode < TL_MODES ? s->mode : TL_IDLE;
}

/* ------------------------------------------------------------ building */

static int build_cum(vl_index_t *ix)
{
    const tl_timeline_t *tl = ix->tl;
    size_t nb = tl->nspans / VL_BLOCK + 1;
    ix->cum = calloc(nb, sizeof *ix->cum);
    if (!ix->cum)
        return -1;
    uint64_t run[TL_MODES] = {0};
    for (size_t i = 0; i < tl->nspans; i++) {
        if (i % VL_BLOCK == 0)
            memcpy(ix->cum[i / VL_BLOCK], run, sizeof run);
        run[mode_of(&tl->spans[i])] += tl->spans[i].t1 - tl->spans[i].t0;
    }
    if (tl->nspans % VL_BLOCK == 0)
        memcpy(ix->cum[nb - 1], run, sizeof run);
    return 0;
}

static vl_mm_t level0(const vl_index_t *ix, size_t l, size_t i)
{
    if (l == 0) {
        int64_t v = ix->tl->counters[i].value;
        return (vl_mm_t){v, v};
    }
    return ix->lev[l - 1][i];
}

/* lev[l] summarises level l (level 0: the counters themselves) by
 * VL_FANOUT; levels are added until one has at most VL_FANOUT entries. */
static int build_pyramid(vl_index_t *ix)
{
    size_t n = ix->tl->ncounters;
    for (size_t l = 0; n > VL_FANOUT && l < VL_MAX_LEVELS; l++) {
        size_t m = (n + VL_FANOUT - 1) / VL_FANOUT;
        vl_mm_t *a = malloc(m * sizeof *a);
        if (!a)
            return -1;
        for (size_t k = 0; k < m; k++) {
            vl_mm_t r = level0(ix, l, k * VL_FANOUT);
            for (size_t i = k * VL_FANOUT + 1; i < n && i < (k + 1) * VL_FANOUT; i++) {
                vl_mm_t e = level0(ix, l, i);
                r.min = e.min < r.min ? e.min : r.min;
                r.max = e.max > r.max ? e.max : r.max;
            }
            a[k] = r;
        }
        ix->lev[l] = a;
        ix->lev_n[l] = m;
        ix->nlevels = l + 1;
        n = m;
    }
    return 0;
}

int vl_build(vl_index_t *ix, const tl_timeline_t *tl)
{
    memset(ix, 0, sizeof *ix);
    ix->tl = tl;
    if (build_cum(ix) || build_pyramid(ix)) {
        vl_free(ix);
        return -1;
    }
    return 0;
}

void vl_free(vl_index_t *ix)
{
    free(ix->cum);
    for (size_t l = 0; l < ix->nlevels; l++)
        free(ix->lev[l]);
    memset(ix, 0, sizeof *ix);
}

/* ------------------------------------------------------------ searching */

uint64_t vl_col_time(uint64_t t0, uint64_t t1, int ncols, int c)
{
    uint64_t r = t1 - t0, n = (uint64_t)ncols, a = (uint64_t)c;
    /* floor(a * r / n) without overflow: a <= n < 2^31 */
    return t0 + a * (r / n) + a * (r % n) / n;
}

/* The first i in [from, hi) whose time is >= t (hi when none), knowing
 * every entry before from is < t: exponential probes from `from`, then a
 * binary search, O(log(answer - from)) reads. */
static size_t gallop(vl_index_t *ix, const void *base, size_t stride, size_t from, size_t hi,
                     uint64_t t)
{
    size_t lo = from, end = hi, step = 1;
    while (lo < hi) {
        size_t probe = hi - lo > step ? lo + step - 1 : hi - 1;
        ix->visits++;
        if (KEY(base, stride, probe) >= t) {
            end = probe;
            break;
        }
        lo = probe + 1;
        step *= 2;
    }
    while (lo < end) {
        size_t mid = lo + (end - lo) / 2;
        ix->visits++;
        if (KEY(base, stride, mid) < t)
            lo = mid + 1;
        else
            end = mid;
    }
    return lo;
}

/* Time per mode of spans[0 .. j), from the running total of j's block. */
static void prefix(vl_index_t *ix, size_t j, uint64_t out[TL_MODES])
{
    memcpy(out, ix->cum[j / VL_BLOCK], sizeof ix->cum[0]);
    for (size_t i = j / VL_BLOCK * VL_BLOCK; i < j; i++) {
        const tl_span_t *s = &ix->tl->spans[i];
        ix->visits++;
        out[mode_of(s)] += s->t1 - s->t0;
    }
}

/* Time per mode of the track's spans up to t (plus the same constant,
 * the spans of earlier tracks: it cancels in a difference); j is the first
 * span of the track starting at or after t, lo the track's first. */
static void upto(vl_index_t *ix, size_t lo, size_t j, uint64_t t, uint64_t out[TL_MODES])
{
    prefix(ix, j, out);
    if (j > lo) {
        const tl_span_t *s = &ix->tl->spans[j - 1];
        ix->visits++;
        if (s->t1 > t)
            out[mode_of(s)] -= s->t1 - t;
    }
}

void vl_core_columns(vl_index_t *ix, uint32_t track, uint64_t t0, uint64_t t1, int ncols,
                     vl_col_t *out)
{
    const tl_timeline_t *tl = ix->tl;
    size_t lo = tl->span_first[track], hi = tl->span_first[track + 1];
    const size_t st = sizeof(tl_span_t);
    uint64_t ta = t0, ca[TL_MODES], cb[TL_MODES];
    size_t ja = gallop(ix, tl->spans, st, lo, hi, ta);
    upto(ix, lo, ja, ta, ca);
    for (int c = 0; c < ncols; c++) {
        uint64_t tb = vl_col_time(t0, t1, ncols, c + 1);
        size_t jb = gallop(ix, tl->spans, st, ja, hi, tb);
        upto(ix, lo, jb, tb, cb);
        for (unsigned m = 0; m < TL_MODES; m++)
            out[c].cover[m] = cb[m] - ca[m];
        out[c].width = tb - ta;
        out[c].starts = jb - ja;
        memcpy(ca, cb, sizeof ca);
        ja = jb;
        ta = tb;
    }
}

static void mm_take(vl_index_t *ix, size_t l, size_t i, vl_range_t *r)
{
    vl_mm_t e = level0(ix, l, i);
    ix->visits++;
    if (!r->has || e.min < r->min)
        r->min = e.min;
    if (!r->has || e.max > r->max)
        r->max = e.max;
    r->has = 1;
}

/* Min and max of counters[i .. j): at each level, the unaligned ends one
 * by one, then the aligned middle one level up. */
static void mm_query(vl_index_t *ix, size_t i, size_t j, vl_range_t *r)
{
    for (size_t l = 0; i < j; l++) {
        if (l == ix->nlevels) {
            while (i < j)
                mm_take(ix, l, i++, r);
            break;
        }
        while (i < j && i % VL_FANOUT)
            mm_take(ix, l, i++, r);
        while (j > i && j % VL_FANOUT)
            mm_take(ix, l, --j, r);
        i /= VL_FANOUT;
        j /= VL_FANOUT;
    }
}

void vl_counter_columns(vl_index_t *ix, uint32_t track, uint64_t t0, uint64_t t1, int ncols,
                        vl_range_t *out)
{
    const tl_timeline_t *tl = ix->tl;
    size_t lo = tl->counter_first[track], hi = tl->counter_first[track + 1];
    const size_t st = sizeof(tl_counter_t);
    uint64_t ta = t0;
    size_t ia = gallop(ix, tl->counters, st, lo, hi, ta);
    for (int c = 0; c < ncols; c++) {
        uint64_t tb = vl_col_time(t0, t1, ncols, c + 1);
        size_t ib = gallop(ix, tl->counters, st, ia, hi, tb);
        /* the sample before the column holds at ta, unless one is at ta */
        size_t first = ia;
        if (ia > lo) {
            ix->visits += ia < ib;
            if (ia == ib || tl->counters[ia].t > ta)
                first = ia - 1;
        }
        out[c] = (vl_range_t){0, 0, 0};
        if (first < ib && ta <= tl->t_max)
            mm_query(ix, first, ib, &out[c]);
        ia = ib;
        ta = tb;
    }
}

void vl_instant_columns(vl_index_t *ix, uint32_t track, uint64_t t0, uint64_t t1, int ncols,
                        uint32_t *count, uint8_t *kind)
{
    const tl_timeline_t *tl = ix->tl;
    size_t lo = tl->instant_first[track], hi = tl->instant_first[track + 1];
    const size_t st = sizeof(tl_instant_t);
    size_t ia = gallop(ix, tl->instants, st, lo, hi, t0);
    for (int c = 0; c < ncols; c++) {
        uint64_t tb = vl_col_time(t0, t1, ncols, c + 1);
        size_t ib = gallop(ix, tl->instants, st, ia, hi, tb);
        count[c] = (uint32_t)(ib - ia > UINT32_MAX ? UINT32_MAX : ib - ia);
        kind[c] = 0;
        if (ib > ia) {
            ix->visits++;
            kind[c] = tl->instants[ia].kind;
        }
        ia = ib;
    }
}

/* ------------------------------------------------------------ picking */

static uint64_t plus1(uint64_t t)
{
    return t == UINT64_MAX ? t : t + 1;
}

static uint64_t overlap(const tl_span_t *s, uint64_t ta, uint64_t tb)
{
    uint64_t a = s->t0 > ta ? s->t0 : ta, b = s->t1 < tb ? s->t1 : tb;
    return b > a ? b - a : 0;
}

size_t vl_span_pick(vl_index_t *ix, uint32_t track, uint64_t ta, uint64_t t, uint64_t tb)
{
    const tl_timeline_t *tl = ix->tl;
    size_t lo = tl->span_first[track], hi = tl->span_first[track + 1];
    const size_t st = sizeof(tl_span_t);
    size_t under = VL_NONE;
    size_t j = gallop(ix, tl->spans, st, lo, hi, plus1(t)); /* first span starting after t */
    if (j > lo && tl->spans[j - 1].t1 > t) {
        under = j - 1;
        if (mode_of(&tl->spans[under]) != TL_IDLE)
            return under;
    }
    /* the spans overlapping [ta, tb): from the last starting at or before
     * ta to the last starting before tb */
    size_t a = gallop(ix, tl->spans, st, lo, hi, plus1(ta));
    a = a > lo ? a - 1 : a;
    size_t best = VL_NONE;
    uint64_t best_len = 0;
    for (size_t i = a, n = 0; i < hi && n < VL_PICK_SCAN; i++, n++) {
        const tl_span_t *s = &tl->spans[i];
        ix->visits++;
        if (s->t0 >= tb)
            break;
        uint64_t len = overlap(s, ta, tb);
        if (mode_of(s) != TL_IDLE && len > best_len) {
            best = i;
            best_len = len;
        }
    }
    return best != VL_NONE ? best : under;
}

size_t vl_counter_at(vl_index_t *ix, uint32_t track, uint64_t t)
{
    const tl_timeline_t *tl = ix->tl;
    size_t lo = tl->counter_first[track], hi = tl->counter_first[track + 1];
    if (t > tl->t_max)
        return VL_NONE;
    size_t j = gallop(ix, tl->counters, sizeof(tl_counter_t), lo, hi, plus1(t));
    return j > lo ? j - 1 : VL_NONE;
}

size_t vl_instant_pick(vl_index_t *ix, uint32_t track, uint64_t ta, uint64_t t, uint64_t tb)
{
    const tl_timeline_t *tl = ix->tl;
    size_t lo = tl->instant_first[track], hi = tl->instant_first[track + 1];
    const size_t st = sizeof(tl_instant_t);
    size_t j = gallop(ix, tl->instants, st, lo, hi, t); /* first at or after t */
    size_t best = VL_NONE;
    uint64_t best_d = UINT64_MAX;
    if (j < hi && tl->instants[j].t < tb) {
        best = j;
        best_d = tl->instants[j].t - t;
    }
    if (j > lo && tl->instants[j - 1].t >= ta && t - tl->instants[j - 1].t < best_d)
        best = j - 1;
    return best;
}
