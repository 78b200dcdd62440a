/* traces/tl_write: the timeline writer (traces/timeline.h).
 *
 * Records are encoded straight into a fixed buffer (no allocation per
 * record).  A full buffer is handed to a compressor thread, which deflates
 * it and writes the output to FILE.tmp, while the caller goes on filling
 * the other buffer: the caller's cost per span is the varint encoding
 * only, deflate runs beside the simulation (it costs ~10x the encoding,
 * see tests/bench/bench_timeline.c).  The caller waits only when the
 * compressor is a whole buffer behind, so memory stays bounded (two record
 * buffers and one output buffer) whatever the run's length.  deflate sees
 * the same buffers in the same order whatever the timing, so the bytes
 * are the same.  The compressor's first failure (a write error, zlib's) is
 * picked up at the next hand-over: every later call returns -1 and
 * tl_writer_close() reports it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "traces/tl_int.h"

#define TL_BUF (256u * 1024u)  /* records before deflate, and deflate's output */
/* Level 1 (Z_BEST_SPEED), the default strategy: on the bench's pattern,
 * level 6 is 3.4x slower for a file 3% smaller, Huffman-only 1.5x faster
 * for a file 31% larger (tests/bench/bench_timeline.c, issue 6's report). */
#ifndef TL_LEVEL
#define TL_LEVEL Z_BEST_SPEED
#endif
#ifndef TL_STRATEGY
#define TL_STRATEGY Z_DEFAULT_STRATEGY
#endif

typedef struct tl_wtrack {
    uint64_t last_t;   /* the previous record's time (a span's t0) */
    uint64_t last_end; /* the previous span's t1 */
    tl_track_kind_t kind;
} tl_wtrack_t;

struct tl_writer {
    char *path, *tmp;
    bool failed;             /* caller's side: every call now returns -1 */
    char msg[512];
    tl_wtrack_t *tracks;
    size_t ntracks, cap_tracks;
    uint64_t n_span, n_inst, n_ctr;
    uint8_t *buf;            /* the buffer being filled: bufs[cur] */
    size_t len;              /* bytes in buf */
    int cur;
    /* The compressor thread.  Under mu: job, job_len, job_finish, quit,
     * zfailed, zmsg.  Its own: f, z, out. */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool th_open;
    int job;                 /* the buffer handed over, -1: none */
    size_t job_len;
    bool job_finish, quit, zfailed;
    char zmsg[200];
    FILE *f;
    z_stream z;
    bool z_open;
    uint8_t bufs[2][TL_BUF]; /* encoded records */
    uint8_t out[TL_BUF];     /* deflate's output */
};

static void fail(tl_writer_t *w, const char *what, const char *why)
{
    if (w->failed)
        return;
    w->failed = true;
    snprintf(w->msg, sizeof w->msg, "%s: %s%s%s", w->path, what, why ? ": " : "", why ? why : "");
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Compressor side: deflate n bytes of in (flush: Z_NO_FLUSH or Z_FINISH)
 * and write what comes out.  NULL, or what failed. */
static const char *pump(tl_writer_t *w, const uint8_t *in, size_t n, int flush)
{
    w->z.next_in = (uint8_t *)in;
    w->z.avail_in = (uInt)n;
    int rc;
    do {
        w->z.next_out = w->out;
        w->z.avail_out = TL_BUF;
        rc = deflate(&w->z, flush);
        if (rc == Z_STREAM_ERROR)
            return "zlib deflate failed";
        size_t m = TL_BUF - w->z.avail_out;
        if (m && fwrite(w->out, 1, m, w->f) != m)
            return strerror(errno);
    } while (w->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return NULL;
}

static void *compressor(void *arg)
{
    tl_writer_t *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->job < 0 && !w->quit)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->job < 0)
            break;
        int job = w->job;
        size_t n = w->job_len;
        bool finish = w->job_finish, skip = w->zfailed;
        pthread_mutex_unlock(&w->mu);
        const char *why = skip ? NULL : pump(w, w->bufs[job], n, finish ? Z_FINISH : Z_NO_FLUSH);
        if (!why && !skip && finish && fflush(w->f) != 0)
            why = strerror(errno);
        pthread_mutex_lock(&w->mu);
        if (why && !w->zfailed) {
            w->zfailed = true;
            snprintf(w->zmsg, sizeof w->zmsg, "cannot write the timeline: %s", why);
        }
        w->job = -1;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Caller side: wait for the compressor to be idle; -1 if it failed. */
static int wait_idle(tl_writer_t *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->job >= 0)
        pthread_cond_wait(&w->cv, &w->mu);
    bool zf = w->zfailed;
    if (zf)
        fail(w, w->zmsg, NULL);
    pthread_mutex_unlock(&w->mu);
    return zf ? -1 : 0;
}

/* Hand the filled buffer over and switch to the other one. */
static int hand_over(tl_writer_t *w, bool finish)
{
    if (wait_idle(w))
        return -1;
    pthread_mutex_lock(&w->mu);
    w->job = w->cur;
    w->job_len = w->len;
    w->job_finish = finish;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    w->cur ^= 1;
    w->buf = w->bufs[w->cur];
    w->len = 0;
    return 0;
}

/* Room for one more record of at most TL_REC_MAX bytes. */
static inline int room(tl_writer_t *w)
{
    if (w->failed)
        return -1;
    if (w->len + TL_REC_MAX > TL_BUF)
        return hand_over(w, false);
    return 0;
}

/* Stop the compressor (after its current job) and free everything. */
static void release(tl_writer_t *w)
{
    if (w->th_open) {
        pthread_mutex_lock(&w->mu);
        w->quit = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
    }
    if (w->z_open)
        deflateEnd(&w->z);
    if (w->f) {
        fclose(w->f);
        remove(w->tmp);
    }
    free(w->tracks);
    free(w->path);
    free(w->tmp);
    free(w);
}

tl_writer_t *tl_writer_open(const char *path, uint64_t t_from_ps, uint64_t t_to_ps, char *err,
                            size_t errlen)
{
    tl_writer_t *w = calloc(1, sizeof *w);
    size_t pl = strlen(path);
    if (w) {
        w->path = malloc(pl + 1);
        w->tmp = malloc(pl + 5);
    }
    if (!w || !w->path || !w->tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        if (w) {
            free(w->path);
            free(w->tmp);
        }
        free(w);
        return NULL;
    }
    memcpy(w->path, path, pl + 1);
    memcpy(w->tmp, path, pl);
    memcpy(w->tmp + pl, ".tmp", 5);
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        snprintf(err, errlen, "%s: cannot create %s: %s", path, w->tmp, strerror(errno));
        goto fail;
    }
    uint8_t h[TL_HEADER_LEN];
    memcpy(h, TL_MAGIC, 8);
    put_le32(h + 8, TL_VERSION);
    put_le32(h + 12, 0);
    put_le64(h + 16, t_from_ps);
    put_le64(h + 24, t_to_ps);
    if (fwrite(h, 1, sizeof h, w->f) != sizeof h) {
        snprintf(err, errlen, "%s: write error: %s", path, strerror(errno));
        goto fail;
    }
    if (deflateInit2(&w->z, TL_LEVEL, Z_DEFLATED, 15, 8, TL_STRATEGY) != Z_OK) {
        snprintf(err, errlen, "%s: zlib deflateInit failed", path);
        goto fail;
    }
    w->z_open = true;
    w->job = -1;
    w->buf = w->bufs[0];
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        goto fail_thread;
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        goto fail_thread;
    }
    if (pthread_create(&w->th, NULL, compressor, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        goto fail_thread;
    }
    w->th_open = true;
    return w;
fail_thread:
    snprintf(err, errlen, "%s: cannot start the compressor thread", path);
fail:
    if (w && w->path)
        release(w);
    else
        free(w);
    return NULL;
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t n)
{
    p = tl_put_varint(p, n);
    memcpy(p, s, n);
    return p + n;
}

int tl_add_track(tl_writer_t *w, tl_track_kind_t kind, const char *name, const char *label)
{
    if (!label)
        label = "";
    if (w->failed || !name || (unsigned)kind > TL_TRACK_INSTANT || w->n_span || w->n_inst ||
        w->n_ctr)
        return -1;
    size_t nl = strlen(name), ll = strlen(label);
    if (nl >= TL_NAME_MAX || ll >= TL_NAME_MAX || w->ntracks >= TL_TRACKS_MAX)
        return -1;
    if (w->ntracks == w->cap_tracks) {
        size_t cap = w->cap_tracks ? 2 * w->cap_tracks : 16;
        tl_wtrack_t *t = realloc(w->tracks, cap * sizeof *t);
        if (!t) {
            fail(w, "out of memory", NULL);
            return -1;
        }
        w->tracks = t;
        w->cap_tracks = cap;
    }
    if (room(w))
        return -1;
    uint8_t *p = w->buf + w->len;
    *p++ = TL_REC_TRACK;
    p = tl_put_varint(p, (uint64_t)kind);
    p = put_str(p, name, nl);
    p = put_str(p, label, ll);
    w->len = (size_t)(p - w->buf);
    w->tracks[w->ntracks] = (tl_wtrack_t){.kind = kind};
    return (int)w->ntracks++;
}

int tl_add_meta(tl_writer_t *w, const char *key, const char *value)
{
    if (w->failed || !key || !value)
        return -1;
    size_t kl = strlen(key), vl = strlen(value);
    if (kl >= TL_META_MAX || vl >= TL_META_MAX)
        return -1;
    if (room(w))
        return -1;
    uint8_t *p = w->buf + w->len;
    *p++ = TL_REC_META;
    p = put_str(p, key, kl);
    p = put_str(p, value, vl);
    w->len = (size_t)(p - w->buf);
    return 0;
}

int tl_add_span(tl_writer_t *w, const tl_span_t *s)
{
    if (s->track >= w->ntracks || s->mode >= TL_MODES || s->what >= TL_WHAT_COUNT ||
        s->t1 < s->t0)
        return -1;
    tl_wtrack_t *t = &w->tracks[s->track];
    if (t->kind != TL_TRACK_CORE || s->t0 < t->last_end || s->t0 < t->last_t)
        return -1;
    if (room(w))
        return -1;
    uint8_t *p = w->buf + w->len;
    *p++ = TL_REC_SPAN;
    p = tl_put_varint(p, s->track);
    p = tl_put_varint(p, s->t0 - t->last_t);
    p = tl_put_varint(p, s->t1 - s->t0);
    *p++ = s->mode;
    p = tl_put_varint(p, (uint16_t)(s->pid + 1u));
    *p++ = s->what;
    p = tl_put_varint(p, s->arg);
    w->len = (size_t)(p - w->buf);
    t->last_t = s->t0;
    t->last_end = s->t1;
    w->n_span++;
    return 0;
}

int tl_add_instant(tl_writer_t *w, const tl_instant_t *i)
{
    if (i->track >= w->ntracks || i->kind >= TL_INST_KINDS)
        return -1;
    tl_wtrack_t *t = &w->tracks[i->track];
    if (t->kind != TL_TRACK_INSTANT || i->t < t->last_t)
        return -1;
    if (room(w))
        return -1;
    uint8_t *p = w->buf + w->len;
    *p++ = TL_REC_INSTANT;
    p = tl_put_varint(p, i->track);
    p = tl_put_varint(p, i->t - t->last_t);
    *p++ = i->kind;
    p = tl_put_varint(p, i->arg);
    w->len = (size_t)(p - w->buf);
    t->last_t = i->t;
    w->n_inst++;
    return 0;
}

int tl_add_counter(tl_writer_t *w, const tl_counter_t *c)
{
    if (c->track >= w->ntracks)
        return -1;
    tl_wtrack_t *t = &w->tracks[c->track];
    if (t->kind != TL_TRACK_COUNTER || c->t < t->last_t)
        return -1;
    if (room(w))
        return -1;
    uint8_t *p = w->buf + w->len;
    *p++ = TL_REC_COUNTER;
    p = tl_put_varint(p, c->track);
    p = tl_put_varint(p, c->t - t->last_t);
    p = tl_put_varint(p, tl_zigzag(c->value));
    w->len = (size_t)(p - w->buf);
    t->last_t = c->t;
    w->n_ctr++;
    return 0;
}

uint64_t tl_writer_records(const tl_writer_t *w)
{
    return w->n_span + w->n_inst + w->n_ctr;
}

int tl_writer_close(tl_writer_t *w, char *err, size_t errlen)
{
    if (room(w) == 0) {
        uint8_t *p = w->buf + w->len;
        *p++ = TL_REC_END;
        p = tl_put_varint(p, w->ntracks);
        p = tl_put_varint(p, w->n_span);
        p = tl_put_varint(p, w->n_inst);
        p = tl_put_varint(p, w->n_ctr);
        w->len = (size_t)(p - w->buf);
        hand_over(w, true);
    }
    wait_idle(w);
    FILE *f = w->f;
    w->f = NULL; /* the compressor is idle: the file is the caller's */
    if (fclose(f) != 0)
        fail(w, "write error", strerror(errno));
    if (!w->failed && rename(w->tmp, w->path) != 0)
        fail(w, "cannot rename the .tmp file into place", strerror(errno));
    int rc = 0;
    if (w->failed) {
        remove(w->tmp);
        snprintf(err, errlen, "%s", w->msg);
        rc = -1;
    }
    release(w);
    return rc;
}

void tl_writer_abort(tl_writer_t *w)
{
    if (w)
        release(w); /* waits for the compressor, closes and removes FILE.tmp */
}
