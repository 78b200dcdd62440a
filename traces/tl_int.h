/* traces/tl_int.h: what the timeline's writer and reader share (private to
 * traces/): the record types, the format's limits and the LEB128 varint
 * encoder.  The format itself is specified in traces/timeline.h. */
#ifndef PARASIM_TRACES_TL_INT_H
#define PARASIM_TRACES_TL_INT_H

#include <stdint.h>

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

#endif
