/* traces/tl_export_int.h: what the export files share -- a buffered
 * output (a FILE or a gzip stream; PATH.tmp renamed on success), the
 * number and string printers, and the window.  Private to tl_export*.c.
 *
 * Writes never fail one by one: the first error is remembered and
 * reported by tl_out_close(), so the printers stay short. */
#ifndef PARASIM_TRACES_TL_EXPORT_INT_H
#define PARASIM_TRACES_TL_EXPORT_INT_H

#include "traces/timeline.h"
#include "traces/tl_export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TL_OUT_BUF (256u * 1024u)

typedef struct tl_out {
    FILE *f;              /* plain output (owned when path is set) */
    void *gz;             /* gzFile when gzip-compressed */
    const char *name;     /* for messages */
    char *path, *tmp;     /* the final and temporary paths (NULL: a stream) */
    int err_no;           /* the first error's errno (-1: zlib's) */
    uint64_t records;     /* records written (the exporters count) */
    size_t n;
    char buf[TL_OUT_BUF];
} tl_out_t;

/* Open PATH.tmp (gzip when path ends in ".gz"); NULL with the message. */
tl_out_t *tl_out_open(const char *path, char *err, size_t errlen);
/* Write into an open stream, never closing it. */
tl_out_t *tl_out_stream(FILE *f, const char *name, char *err, size_t errlen);
/* Flush and close, rename into place: 0, or -1 with the first error (the
 * temporary file removed).  Frees o. */
int tl_out_close(tl_out_t *o, char *err, size_t errlen);
/* Give up: close and remove the temporary file, free o. */
void tl_out_abort(tl_out_t *o);

void tl_out_flush(tl_out_t *o);

static inline void tl_out_put(tl_out_t *o, const char *s, size_t n)
{
    if (o->n + n > TL_OUT_BUF)
        tl_out_flush(o);
    if (n > TL_OUT_BUF) { /* not reached by the exporters' own pieces */
        while (n) {
            size_t k = n < TL_OUT_BUF ? n : TL_OUT_BUF;
            tl_out_put(o, s, k);
            s += k;
            n -= k;
        }
        return;
    }
    memcpy(o->buf + o->n, s, n);
    o->n += n;
}

#define TL_OUT_LIT(o, lit) tl_out_put((o), (lit), sizeof(lit) - 1)

static inline void tl_out_c(tl_out_t *o, char c)
{
    if (o->n == TL_OUT_BUF)
        tl_out_flush(o);
    o->buf[o->n++] = c;
}

void tl_out_u64(tl_out_t *o, uint64_t v);
void tl_out_i64(tl_out_t *o, int64_t v);
/* ps as exact µs with six fractional digits. */
void tl_out_us(tl_out_t *o, uint64_t ps);
/* A JSON string, quoted (RFC 8259 escapes, ill-formed UTF-8 as U+FFFD). */
void tl_out_json_str(tl_out_t *o, const char *s);
/* A CSV field (RFC 4180: quoted when it holds , " CR or LF). */
void tl_out_csv_str(tl_out_t *o, const char *s);

/* The window of opts (everything when NULL). */
typedef struct tl_window {
    uint64_t from, to;
} tl_window_t;

static inline tl_window_t tl_window(const tl_export_opts_t *opts)
{
    tl_window_t w = {0, UINT64_MAX};
    if (opts)
        w = (tl_window_t){opts->from_ps, opts->to_ps};
    return w;
}

/* to == UINT64_MAX: no upper bound (a time of UINT64_MAX is inside). */
static inline bool tl_window_has(tl_window_t w, uint64_t t)
{
    return t >= w.from && (t < w.to || w.to == UINT64_MAX);
}

/* Clip [*t0, *t1) to the window; false when the span lies outside (a
 * zero-length span is inside when its time is). */
static inline bool tl_window_span(tl_window_t w, uint64_t *t0, uint64_t *t1)
{
    if (!(*t1 > w.from || *t0 >= w.from) || !(*t0 < w.to || w.to == UINT64_MAX))
        return false;
    if (*t0 < w.from)
        *t0 = w.from;
    if (*t1 > w.to)
        *t1 = w.to;
    return true;
}

/* Call fn on counter track k's samples in the window, led by the value in
 * force at its start (the last earlier sample, given the time from). */
typedef void tl_counter_fn(void *ctx, const tl_counter_t *c, uint64_t when);
void tl_window_counters(const tl_timeline_t *t, size_t k, tl_window_t w, tl_counter_fn *fn,
                        void *ctx);

#endif
