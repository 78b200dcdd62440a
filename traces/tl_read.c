/* traces/tl_read: tl_load(), the timeline reader (traces/timeline.h).
 *
 * The zlib stream is inflated by a thread beside the decoder
 * (traces/tl_inflate.c) into chunks; the decoder moves to the next chunk
 * when less than one whole record (TL_REC_MAX bytes) is left, so a record
 * is always whole in the current chunk until the stream ends.
 * Records are appended in arrival order to arrays that grow geometrically;
 * per track they already come in time order, so a counting pass by track
 * followed by one placement pass gives the (track, time) order in O(n),
 * keeping each track's records in file order.  Every check of the writer is
 * repeated here: a damaged or hand-made file is reported, never trusted. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/tl_int.h"


typedef struct rtrack {
    uint64_t last_t, last_end;
    size_t n;                  /* records on this track */
} rtrack_t;

typedef struct rd {
    const char *path;
    char *err;
    size_t errlen;
    FILE *f;
    tl_inf_t *inf;
    bool zend, zfailed;        /* the last chunk came: the stream ended, failed */
    char zmsg[128];
    uint8_t *win;              /* the current chunk (the inflater's) */
    size_t pos, len;           /* in it: next byte, valid bytes */
    uint64_t rec;              /* 1-based number of the record being read */
    tl_timeline_t *tl;
    rtrack_t *rt;
    size_t cap_tracks, cap_rt, cap_spans, cap_inst, cap_ctr, cap_meta;
    bool sorted_s, sorted_i, sorted_c;
    uint32_t last_s, last_i, last_c;
} rd_t;

static int rerr(rd_t *r, const char *fmt, ...)
{
    char what[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (r->rec)
        snprintf(r->err, r->errlen, "%s: record %llu: %s", r->path, (unsigned long long)r->rec,
                 what);
    else
        snprintf(r->err, r->errlen, "%s: header: %s", r->path, what);
    return -1;
}

/* zlib failed or the file ended inside the stream: remembered, and
 * reported when the decoder needs a byte past the last good one, so the
 * message names the record that is actually cut. */
static void zfail(rd_t *r, const char *what)
{
    snprintf(r->zmsg, sizeof r->zmsg, "%s", what);
    r->zfailed = true;
}

/* The next chunk from the inflater, the unread bytes carried over. */
static void fill(rd_t *r)
{
    uint8_t *data;
    size_t n;
    tl_inf_status_t st = tl_inf_next(r->inf, r->win + r->pos, r->len - r->pos, &data, &n);
    r->win = data;
    r->pos = 0;
    r->len = n;
    if (st == TL_INF_END)
        r->zend = true;
    else if (st == TL_INF_FAILED)
        zfail(r, tl_inf_error(r->inf));
}

/* An LEB128 varint at *pp (before end).  0; -1 too long or over 64 bits;
 * -2 cut by the end of the stream. */
static inline int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    if (p < end && *p < 0x80) {
        *out = *p;
        *pp = p + 1;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (p >= end)
            return -2;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *out = v;
    *pp = p;
    return 0;
}

static int varint_err(rd_t *r, int rc)
{
    if (rc == -2 && r->zfailed)
        return rerr(r, "%s", r->zmsg);
    return rc == -2 ? rerr(r, "truncated: the record runs past the end of the stream")
                    : rerr(r, "bad varint (more than 64 bits)");
}

/* Read n varints into v; the failure as a message. */
static inline int get_n(rd_t *r, const uint8_t **pp, const uint8_t *end, uint64_t *v, int n)
{
    for (int i = 0; i < n; i++) {
        int rc = get_varint(pp, end, &v[i]);
        if (rc)
            return varint_err(r, rc);
    }
    return 0;
}

static int get_str(rd_t *r, const uint8_t **pp, const uint8_t *end, char *dst, size_t max,
                   const char *what)
{
    uint64_t n = 0;
    if (get_n(r, pp, end, &n, 1))
        return -1;
    if (n >= max)
        return rerr(r, "%s too long (%llu bytes, at most %zu)", what, (unsigned long long)n,
                    max - 1);
    if ((size_t)(end - *pp) < n)
        return varint_err(r, -2);
    if (memchr(*pp, 0, n))
        return rerr(r, "%s holds a NUL byte", what);
    memcpy(dst, *pp, n);
    dst[n] = 0;
    *pp += n;
    return 0;
}

/* Make room for one more element of size sz in *arr (capacity *cap, n
 * used): the capacity doubles, so n records cost O(n) copies at most (and
 * glibc grows large blocks with mremap, without a copy). */
static int grow_slow(rd_t *r, void **arr, size_t *cap, size_t sz)
{
    size_t c = *cap ? *cap * 2 : 1024;
    void *a = realloc(*arr, c * sz);
    if (!a)
        return rerr(r, "out of memory");
    *arr = a;
    *cap = c;
    return 0;
}

static inline int grow(rd_t *r, void **arr, size_t *cap, size_t n, size_t sz)
{
    return n < *cap ? 0 : grow_slow(r, arr, cap, sz);
}

static int rec_track(rd_t *r, const uint8_t **pp, const uint8_t *end)
{
    tl_timeline_t *t = r->tl;
    uint64_t kind = 0;
    if (t->nspans || t->ninstants || t->ncounters)
        return rerr(r, "a track after the first span, instant or counter");
    if (t->ntracks >= TL_TRACKS_MAX)
        return rerr(r, "more than %u tracks", TL_TRACKS_MAX);
    if (get_n(r, pp, end, &kind, 1))
        return -1;
    if (kind > TL_TRACK_INSTANT)
        return rerr(r, "unknown track kind %llu", (unsigned long long)kind);
    if (grow(r, (void **)&t->tracks, &r->cap_tracks, t->ntracks, sizeof *t->tracks) ||
        grow(r, (void **)&r->rt, &r->cap_rt, t->ntracks, sizeof *r->rt))
        return -1;
    r->rt[t->ntracks] = (rtrack_t){0};
    tl_track_t *k = &t->tracks[t->ntracks];
    k->kind = (tl_track_kind_t)kind;
    if (get_str(r, pp, end, k->name, TL_NAME_MAX, "track name") ||
        get_str(r, pp, end, k->label, TL_NAME_MAX, "track label"))
        return -1;
    t->ntracks++;
    return 0;
}

static int rec_meta(rd_t *r, const uint8_t **pp, const uint8_t *end)
{
    tl_timeline_t *t = r->tl;
    if (grow(r, (void **)&t->meta, &r->cap_meta, t->nmeta, sizeof *t->meta))
        return -1;
    if (get_str(r, pp, end, t->meta[t->nmeta][0], TL_META_MAX, "meta key") ||
        get_str(r, pp, end, t->meta[t->nmeta][1], TL_META_MAX, "meta value"))
        return -1;
    t->nmeta++;
    return 0;
}

/* The track of a record and its time t = last + dt, checked. */
static inline rtrack_t *track_time(rd_t *r, uint64_t track, uint64_t dt, tl_track_kind_t kind,
                            uint64_t *t)
{
    if (track >= r->tl->ntracks) {
        rerr(r, "track %llu out of range (%zu tracks)", (unsigned long long)track,
             r->tl->ntracks);
        return NULL;
    }
    static const char *const kinds[] = {"core", "counter", "instant"};
    tl_track_t *k = &r->tl->tracks[track];
    if (k->kind != kind) {
        rerr(r, "track %llu is a %s track, not a %s track", (unsigned long long)track,
             kinds[k->kind], kinds[kind]);
        return NULL;
    }
    rtrack_t *rt = &r->rt[track];
    if (dt > UINT64_MAX - rt->last_t) {
        rerr(r, "time overflows 64 bits");
        return NULL;
    }
    *t = rt->last_t + dt;
    return rt;
}

static int rec_span(rd_t *r, const uint8_t **pp, const uint8_t *end)
{
    uint64_t v[7]; /* track, dt0, dur, mode, pid+1, what, arg */
    if (get_n(r, pp, end, v, 7))
        return -1;
    uint64_t t0;
    rtrack_t *rt = track_time(r, v[0], v[1], TL_TRACK_CORE, &t0);
    if (!rt)
        return -1;
    if (v[2] > UINT64_MAX - t0)
        return rerr(r, "span end overflows 64 bits");
    if (t0 < rt->last_end)
        return rerr(r, "span overlaps the previous span of track %llu",
                    (unsigned long long)v[0]);
    if (v[3] >= TL_MODES || v[5] >= TL_WHAT_COUNT || v[4] > 0xFFFF)
        return rerr(r, "bad span (mode %llu, what %llu, pid+1 %llu)", (unsigned long long)v[3],
                    (unsigned long long)v[5], (unsigned long long)v[4]);
    tl_timeline_t *t = r->tl;
    if (grow(r, (void **)&t->spans, &r->cap_spans, t->nspans, sizeof *t->spans))
        return -1;
    t->spans[t->nspans++] = (tl_span_t){.t0 = t0,
                                        .t1 = t0 + v[2],
                                        .arg = v[6],
                                        .track = (uint32_t)v[0],
                                        .pid = (uint16_t)(v[4] - 1u),
                                        .mode = (uint8_t)v[3],
                                        .what = (uint8_t)v[5]};
    rt->last_t = t0;
    rt->last_end = t0 + v[2];
    rt->n++;
    if (v[0] < r->last_s)
        r->sorted_s = false;
    r->last_s = (uint32_t)v[0];
    return 0;
}

static int rec_instant(rd_t *r, const uint8_t **pp, const uint8_t *end)
{
    uint64_t v[4]; /* track, dt, kind, arg */
    if (get_n(r, pp, end, v, 4))
        return -1;
    uint64_t tt;
    rtrack_t *rt = track_time(r, v[0], v[1], TL_TRACK_INSTANT, &tt);
    if (!rt)
        return -1;
    if (v[2] >= TL_INST_KINDS)
        return rerr(r, "unknown instant kind %llu", (unsigned long long)v[2]);
    tl_timeline_t *t = r->tl;
    if (grow(r, (void **)&t->instants, &r->cap_inst, t->ninstants, sizeof *t->instants))
        return -1;
    t->instants[t->ninstants++] =
        (tl_instant_t){.t = tt, .arg = v[3], .track = (uint32_t)v[0], .kind = (uint8_t)v[2]};
    rt->last_t = tt;
    rt->n++;
    if (v[0] < r->last_i)
        r->sorted_i = false;
    r->last_i = (uint32_t)v[0];
    return 0;
}

static int rec_counter(rd_t *r, const uint8_t **pp, const uint8_t *end)
{
    uint64_t v[3]; /* track, dt, zigzag(value) */
    if (get_n(r, pp, end, v, 3))
        return -1;
    uint64_t tt;
    rtrack_t *rt = track_time(r, v[0], v[1], TL_TRACK_COUNTER, &tt);
    if (!rt)
        return -1;
    tl_timeline_t *t = r->tl;
    if (grow(r, (void **)&t->counters, &r->cap_ctr, t->ncounters, sizeof *t->counters))
        return -1;
    t->counters[t->ncounters++] =
        (tl_counter_t){.t = tt, .value = tl_unzigzag(v[2]), .track = (uint32_t)v[0]};
    rt->last_t = tt;
    rt->n++;
    if (v[0] < r->last_c)
        r->sorted_c = false;
    r->last_c = (uint32_t)v[0];
    return 0;
}

static int rec_end(rd_t *r, const uint8_t **pp, const uint8_t *end)
{
    uint64_t v[4];
    if (get_n(r, pp, end, v, 4))
        return -1;
    tl_timeline_t *t = r->tl;
    if (v[0] != t->ntracks || v[1] != t->nspans || v[2] != t->ninstants || v[3] != t->ncounters)
        return rerr(r,
                    "END counts (%llu tracks, %llu spans, %llu instants, %llu counters) "
                    "disagree with the file (%zu, %zu, %zu, %zu)",
                    (unsigned long long)v[0], (unsigned long long)v[1],
                    (unsigned long long)v[2], (unsigned long long)v[3], t->ntracks, t->nspans,
                    t->ninstants, t->ncounters);
    return 0;
}

/* Decode every record up to END.  0, or -1 with the message. */
static int decode(rd_t *r)
{
    for (;;) {
        if (r->len - r->pos < TL_REC_MAX && !r->zend && !r->zfailed)
            fill(r);
        if (r->pos == r->len) {
            r->rec++;
            return rerr(r, "%s", r->zfailed ? r->zmsg : "truncated: no END record");
        }
        r->rec++;
        const uint8_t *p = r->win + r->pos, *end = r->win + r->len;
        uint8_t type = *p++;
        int rc;
        switch (type) {
        case TL_REC_SPAN: rc = rec_span(r, &p, end); break;
        case TL_REC_INSTANT: rc = rec_instant(r, &p, end); break;
        case TL_REC_COUNTER: rc = rec_counter(r, &p, end); break;
        case TL_REC_TRACK: rc = rec_track(r, &p, end); break;
        case TL_REC_META: rc = rec_meta(r, &p, end); break;
        case TL_REC_END:
            rc = rec_end(r, &p, end);
            if (rc)
                return -1;
            r->pos = (size_t)(p - r->win);
            if (r->len == r->pos && !r->zend && !r->zfailed)
                fill(r);
            if (r->pos != r->len)
                return rerr(r, "data after the END record");
            if (r->zfailed)
                return rerr(r, "%s", r->zmsg);
            return 0;
        default: return rerr(r, "unknown record type %u", type);
        }
        if (rc)
            return -1;
        r->pos = (size_t)(p - r->win);
    }
}

/* Order arr (n elements of sz bytes, each with a uint32_t track at offset
 * off) by track, keeping each track's records in file order; fill first[]
 * (ntracks + 1) from the per-track counts of the tracks of this kind. */
static int place(rd_t *r, void **arr, size_t n, size_t sz, size_t off, bool sorted,
                 tl_track_kind_t kind, size_t **firstp)
{
    size_t nt = r->tl->ntracks;
    size_t *first = malloc((nt + 1) * sizeof *first);
    if (!first)
        return rerr(r, "out of memory");
    *firstp = first;
    first[0] = 0;
    for (size_t k = 0; k < nt; k++)
        first[k + 1] = first[k] + (r->tl->tracks[k].kind == kind ? r->rt[k].n : 0);
    if (sorted || n == 0)
        return 0;
    uint8_t *dst = malloc(n * sz);
    size_t *next = malloc((nt + 1) * sizeof *next);
    if (!dst || !next) {
        free(dst);
        free(next);
        return rerr(r, "out of memory");
    }
    memcpy(next, first, (nt + 1) * sizeof *next);
    const uint8_t *src = *arr;
    /* A copy of a constant size is a few moves, not a call to memcpy. */
#define SCATTER(SZ)                                                                            \
    for (size_t i = 0; i < n; i++, src += (SZ)) {                                              \
        uint32_t k;                                                                            \
        memcpy(&k, src + off, sizeof k);                                                       \
        memcpy(dst + next[k]++ * (SZ), src, (SZ));                                             \
    }
    if (sz == 32)
        SCATTER(32)
    else if (sz == 24)
        SCATTER(24)
    else
        SCATTER(sz)
#undef SCATTER
    free(next);
    free(*arr);
    *arr = dst;
    return 0;
}

/* t_min / t_max: per track the first record is the earliest and the last
 * the latest (spans do not overlap, so their ends are in order too). */
static void bounds(tl_timeline_t *t)
{
    bool any = false;
    uint64_t lo = 0, hi = 0;
#define SEE(a, b)                                                                              \
    do {                                                                                       \
        if (!any || (a) < lo)                                                                  \
            lo = (a);                                                                          \
        if (!any || (b) > hi)                                                                  \
            hi = (b);                                                                          \
        any = true;                                                                            \
    } while (0)
    for (size_t k = 0; k < t->ntracks; k++) {
        if (t->span_first[k] < t->span_first[k + 1])
            SEE(t->spans[t->span_first[k]].t0, t->spans[t->span_first[k + 1] - 1].t1);
        if (t->instant_first[k] < t->instant_first[k + 1])
            SEE(t->instants[t->instant_first[k]].t, t->instants[t->instant_first[k + 1] - 1].t);
        if (t->counter_first[k] < t->counter_first[k + 1])
            SEE(t->counters[t->counter_first[k]].t, t->counters[t->counter_first[k + 1] - 1].t);
    }
#undef SEE
    t->t_min = lo;
    t->t_max = hi;
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int header(rd_t *r)
{
    uint8_t h[TL_HEADER_LEN];
    size_t n = fread(h, 1, sizeof h, r->f);
    if (n < sizeof h) {
        if (ferror(r->f))
            return rerr(r, "read error: %s", strerror(errno));
        return rerr(r, "truncated: %zu bytes, a timeline header has %u", n, TL_HEADER_LEN);
    }
    if (memcmp(h, TL_MAGIC, 8) != 0)
        return rerr(r, "not a timeline (no \"" TL_MAGIC "\" magic)");
    if (le(h + 8, 4) != TL_VERSION)
        return rerr(r, "unsupported version %llu (this reader knows %u)",
                    (unsigned long long)le(h + 8, 4), TL_VERSION);
    if (le(h + 12, 4) != 0)
        return rerr(r, "unknown flags 0x%llx", (unsigned long long)le(h + 12, 4));
    r->tl->t_from_ps = le(h + 16, 8);
    r->tl->t_to_ps = le(h + 24, 8);
    return 0;
}

/* Nothing may follow the zlib stream. */
static int trailing(rd_t *r)
{
    if (tl_inf_trailing(r->inf))
        return rerr(r, "bytes after the end of the zlib stream");
    return 0;
}

static int load(rd_t *r)
{
    tl_timeline_t *t = r->tl;
    if (header(r))
        return -1;
    r->inf = tl_inf_start(r->f);
    if (!r->inf)
        return rerr(r, "out of memory, or no thread for the inflater");
    if (decode(r) || trailing(r))
        return -1;
    if (place(r, (void **)&t->spans, t->nspans, sizeof *t->spans, offsetof(tl_span_t, track),
              r->sorted_s, TL_TRACK_CORE, &t->span_first) ||
        place(r, (void **)&t->instants, t->ninstants, sizeof *t->instants,
              offsetof(tl_instant_t, track), r->sorted_i, TL_TRACK_INSTANT, &t->instant_first) ||
        place(r, (void **)&t->counters, t->ncounters, sizeof *t->counters,
              offsetof(tl_counter_t, track), r->sorted_c, TL_TRACK_COUNTER, &t->counter_first))
        return -1;
    bounds(t);
    return 0;
}

tl_timeline_t *tl_load(const char *path, char *err, size_t errlen)
{
    rd_t r = {.path = path, .err = err, .errlen = errlen, .sorted_s = true, .sorted_i = true,
              .sorted_c = true};
    r.tl = calloc(1, sizeof *r.tl);
    if (!r.tl) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    r.f = fopen(path, "rb");
    int rc = r.f ? load(&r) : -1;
    if (!r.f)
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    tl_inf_stop(r.inf);
    if (r.f)
        fclose(r.f);
    free(r.rt);
    if (rc) {
        tl_free(r.tl);
        return NULL;
    }
    return r.tl;
}

void tl_free(tl_timeline_t *t)
{
    if (!t)
        return;
    free(t->tracks);
    free(t->spans);
    free(t->instants);
    free(t->counters);
    free(t->span_first);
    free(t->instant_first);
    free(t->counter_first);
    free(t->meta);
    free(t);
}
