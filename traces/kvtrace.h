/* traces/kvtrace: key-value store request traces, loaded whole.
 *
 * Format: CSV, one request per line,
 *     time_ns,op,key,value_size
 * with an optional first line that is exactly that header (any case).
 * time_ns: unsigned integer nanoseconds, non-decreasing; op: GET or SET
 * (any case); key: 1..64 bytes, none of them a comma, a blank or a control
 * character (bytes >= 0x80 are allowed: UTF-8 keys); value_size: bytes,
 * 0..1 MiB (for a GET it is kept as written: the size the client expects,
 * 0 if unknown).  Blank lines are ignored; .gz is read transparently.
 *
 * t_ps is relative to the first record (t_ps = 0); a time more than 2^64
 * ps after the first is an error.
 *
 * Errors (fatal, -1 and one line "FILE: record N (offset O): what", N the
 * line number): wrong field count, bad number, unknown op, empty or too
 * long key or a forbidden byte in it, value size over 1 MiB, time going
 * backwards, no record at all. */
#ifndef PARASIM_TRACES_KVTRACE_H
#define PARASIM_TRACES_KVTRACE_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_KV_KEY_MAX 64u
#define TRACE_KV_VALUE_MAX (1024u * 1024u)

enum { TRACE_KV_GET = 0, TRACE_KV_SET = 1 };

typedef struct trace_kv_rec {
    uint64_t t_ps;
    uint8_t op;          /* 0 GET, 1 SET */
    uint8_t key_len;     /* 1..64 */
    char key[64];        /* key_len bytes, not NUL-terminated when 64 long */
    uint32_t value_size; /* bytes */
} trace_kv_rec_t;

typedef struct trace_kv {
    trace_kv_rec_t *rec;
    size_t n;
} trace_kv_t;

/* 0, or -1 with one line in err and *out empty. */
int trace_kv_load(const char *path, trace_kv_t *out, char *err, size_t errlen);
void trace_kv_free(trace_kv_t *t);

#endif
