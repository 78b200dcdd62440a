/* traces/tl_inflate: the timeline reader's inflater thread (tl_int.h).
 *
 * A ring of TL_INF_CHUNKS chunks: the thread inflates the file's zlib
 * stream into the next free chunk while the reader decodes the previous
 * one, so tl_load() costs about the larger of inflate and decode instead
 * of their sum.  Each chunk has TL_REC_MAX bytes of headroom before its
 * data, where the reader puts the unread tail of the previous chunk (less
 * than one record), so a record is always whole in one chunk.
 *
 * The stream's end, a zlib error, a read error, or the file ending inside
 * the stream make the chunk being filled the last one, with its status; the
 * bytes inflated before the failure are delivered, so the reader reports
 * the failure at the record it actually cuts. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "traces/tl_int.h"

#define TL_INF_CHUNKS 3
#define TL_INF_CHUNK (1024u * 1024u)
#define TL_INF_IN (256u * 1024u)

typedef struct chunk {
    uint8_t *buf;    /* TL_REC_MAX headroom + TL_INF_CHUNK data */
    size_t len;      /* data bytes */
    bool full;       /* under mu: filled, not yet released */
    tl_inf_status_t status; /* set before full: TL_INF_MORE but for the last */
} chunk_t;

struct tl_inf {
    FILE *f;
    z_stream z;
    uint8_t in[TL_INF_IN];
    bool feof;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool quit;       /* under mu */
    chunk_t ch[TL_INF_CHUNKS];
    int next;        /* the reader's next chunk */
    int held;        /* the reader's current chunk, -1: none */
    /* Set by the thread before the last chunk is marked full. */
    bool trailing;
    char msg[128];
};

/* Inflate into c until it is full or the stream is over: the status. */
static tl_inf_status_t fill(tl_inf_t *in, chunk_t *c)
{
    uint8_t *data = c->buf + TL_REC_MAX;
    c->len = 0;
    while (c->len < TL_INF_CHUNK) {
        if (in->z.avail_in == 0 && !in->feof) {
            size_t n = fread(in->in, 1, TL_INF_IN, in->f);
            if (n < TL_INF_IN) {
                if (ferror(in->f)) {
                    snprintf(in->msg, sizeof in->msg, "read error: %s", strerror(errno));
                    return TL_INF_FAILED;
                }
                in->feof = true;
            }
            in->z.next_in = in->in;
            in->z.avail_in = (uInt)n;
        }
        in->z.next_out = data + c->len;
        in->z.avail_out = (uInt)(TL_INF_CHUNK - c->len);
        int rc = inflate(&in->z, Z_NO_FLUSH);
        c->len = TL_INF_CHUNK - in->z.avail_out;
        if (rc == Z_STREAM_END) {
            in->trailing = in->z.avail_in > 0 || (!in->feof && fgetc(in->f) != EOF);
            return TL_INF_END;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(in->msg, sizeof in->msg, "corrupt zlib stream: %s",
                     rc == Z_MEM_ERROR ? "out of memory" : in->z.msg ? in->z.msg : "bad data");
            return TL_INF_FAILED;
        }
        if (in->feof && in->z.avail_in == 0 && in->z.avail_out != 0) {
            snprintf(in->msg, sizeof in->msg, "truncated: the zlib stream is cut short");
            return TL_INF_FAILED;
        }
    }
    return TL_INF_MORE;
}

static void *inflater(void *arg)
{
    tl_inf_t *in = arg;
    for (int i = 0;; i = (i + 1) % TL_INF_CHUNKS) {
        chunk_t *c = &in->ch[i];
        pthread_mutex_lock(&in->mu);
        while (c->full && !in->quit)
            pthread_cond_wait(&in->cv, &in->mu);
        bool quit = in->quit;
        pthread_mutex_unlock(&in->mu);
        if (quit)
            break;
        tl_inf_status_t st = fill(in, c);
        pthread_mutex_lock(&in->mu);
        c->status = st;
        c->full = true;
        pthread_cond_broadcast(&in->cv);
        pthread_mutex_unlock(&in->mu);
        if (st != TL_INF_MORE)
            break;
    }
    return NULL;
}

tl_inf_t *tl_inf_start(FILE *f)
{
    tl_inf_t *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->f = f;
    in->held = -1;
    for (int i = 0; i < TL_INF_CHUNKS; i++)
        if (!(in->ch[i].buf = malloc(TL_REC_MAX + TL_INF_CHUNK)))
            goto fail;
    if (inflateInit(&in->z) != Z_OK)
        goto fail;
    if (pthread_mutex_init(&in->mu, NULL) != 0)
        goto fail_z;
    if (pthread_cond_init(&in->cv, NULL) != 0)
        goto fail_mu;
    if (pthread_create(&in->th, NULL, inflater, in) != 0)
        goto fail_cv;
    return in;
fail_cv:
    pthread_cond_destroy(&in->cv);
fail_mu:
    pthread_mutex_destroy(&in->mu);
fail_z:
    inflateEnd(&in->z);
fail:
    for (int i = 0; i < TL_INF_CHUNKS; i++)
        free(in->ch[i].buf);
    free(in);
    return NULL;
}

tl_inf_status_t tl_inf_next(tl_inf_t *in, const uint8_t *keep, size_t nkeep, uint8_t **data,
                            size_t *len)
{
    chunk_t *c = &in->ch[in->next];
    pthread_mutex_lock(&in->mu);
    while (!c->full)
        pthread_cond_wait(&in->cv, &in->mu);
    tl_inf_status_t st = c->status;
    pthread_mutex_unlock(&in->mu);
    if (nkeep)
        memcpy(c->buf + TL_REC_MAX - nkeep, keep, nkeep);
    if (in->held >= 0) {
        pthread_mutex_lock(&in->mu);
        in->ch[in->held].full = false;
        pthread_cond_broadcast(&in->cv);
        pthread_mutex_unlock(&in->mu);
    }
    in->held = in->next;
    in->next = (in->next + 1) % TL_INF_CHUNKS;
    *data = c->buf + TL_REC_MAX - nkeep;
    *len = nkeep + c->len;
    return st;
}

const char *tl_inf_error(const tl_inf_t *in)
{
    return in->msg;
}

bool tl_inf_trailing(const tl_inf_t *in)
{
    return in->trailing;
}

void tl_inf_stop(tl_inf_t *in)
{
    if (!in)
        return;
    pthread_mutex_lock(&in->mu);
    in->quit = true;
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
    pthread_join(in->th, NULL);
    pthread_cond_destroy(&in->cv);
    pthread_mutex_destroy(&in->mu);
    inflateEnd(&in->z);
    for (int i = 0; i < TL_INF_CHUNKS; i++)
        free(in->ch[i].buf);
    free(in);
}
