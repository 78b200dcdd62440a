/* traces/tl_int.h: what the timeline's writer and reader share (private to
 * traces/): the record types, the format's limits and the LEB128 varint
 * encoder.  The format itself is specified in traces/timeline.h. */
#ifndef PARASIM_TRACES_TL_INT_H
#define PARASIM_TRACES_TL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "traces/timeline.h"

#define TL_MAGIC "PSTLINE1"
#define TL_HEADER_LEN 32u

enum {
    TL_REC_TRACK = 1,
    TL_REC_SPAN = 2,
    TL_REC_INSTANT = 3,
    TL_REC_COUNTER = 4,
    TL_REC_META = 5,
    TL_REC_END = 255,
};

#define TL_META_MAX 256u /* meta keys and values, bytes with the NUL */

/* The largest record: META, type + two (varint length + 255 bytes). */
#define TL_REC_MAX (1u + 2u * (10u + TL_META_MAX))

/* Write v as an LEB128 varint at p (at most 10 bytes); the byte after it. */
static inline uint8_t *tl_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint64_t tl_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t tl_unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* The reader's inflater thread (traces/tl_inflate.c). */
typedef struct tl_inf tl_inf_t;
typedef enum tl_inf_status {
    TL_INF_MORE = 0, /* more chunks follow */
    TL_INF_END,      /* the zlib stream ended within this chunk */
    TL_INF_FAILED,   /* this chunk holds what came before a failure */
} tl_inf_status_t;

/* Start inflating f's zlib stream (f positioned at its first byte); NULL
 * when out of memory or no thread could start.  f stays the caller's. */
tl_inf_t *tl_inf_start(FILE *f);
/* The next chunk: *data gets the nkeep bytes of keep (the unread tail of
 * the previous chunk, nkeep <= TL_REC_MAX) followed by the new bytes, *len
 * their count; the previous chunk is released (keep may point into it).
 * Not to be called again after a status other than TL_INF_MORE. */
tl_inf_status_t tl_inf_next(tl_inf_t *in, const uint8_t *keep, size_t nkeep, uint8_t **data,
                            size_t *len);
/* After TL_INF_FAILED: why ("truncated: ...", "corrupt zlib stream: ..."). */
const char *tl_inf_error(const tl_inf_t *in);
/* After TL_INF_END: whether bytes follow the stream in the file. */
bool tl_inf_trailing(const tl_inf_t *in);
/* Stop the thread (wherever it is) and free everything. */
void tl_inf_stop(tl_inf_t *in);

#endif
