/* traces/kvtrace: the KVS request trace loader (format in kvtrace.h). */
#include "traces/kvtrace.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/tfile.h"
#include "traces/tline.h"

#define NS_PS 1000u

typedef struct kv_loader {
    trace_file_t *f;
    trace_kv_t *out;
    size_t cap;
    char *err;
    size_t errlen;
    bool have_t0;
    uint64_t t0, last;
} kv_loader_t;

static int kv_err(kv_loader_t *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int kv_err(kv_loader_t *L, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    trace_file_err(L->f, L->err, L->errlen, trace_file_line_no(L->f),
                   trace_file_line_offset(L->f), "%s", what);
    return -1;
}

static int num(kv_loader_t *L, const char *s, const char *name, uint64_t max, uint64_t *out)
{
    trace_num_t r = trace_parse_u64(s, out);
    if (r == TRACE_NUM_BAD)
        return kv_err(L, "bad %s '%.40s' (an unsigned decimal integer expected)", name, s);
    if (r == TRACE_NUM_RANGE || *out > max)
        return kv_err(L, "%s %.40s out of range (max %llu)", name, s, (unsigned long long)max);
    return 0;
}

static int check_key(kv_loader_t *L, const char *k)
{
    size_t n = strlen(k);
    if (n == 0)
        return kv_err(L, "empty key");
    if (n > TRACE_KV_KEY_MAX)
        return kv_err(L, "key of %zu bytes (at most %u)", n, TRACE_KV_KEY_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        if (c <= 0x20 || c == 0x7f)
            return kv_err(L, "key byte %zu is 0x%02x (blanks and control characters are not "
                             "allowed)", i, c);
    }
    return 0;
}

static int push(kv_loader_t *L, const trace_kv_rec_t *r)
{
    trace_kv_t *t = L->out;
    if (t->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 1024;
        trace_kv_rec_t *rec = realloc(t->rec, cap * sizeof *rec);
        if (!rec)
            return kv_err(L, "out of memory (%zu records)", t->n);
        t->rec = rec;
        L->cap = cap;
    }
    t->rec[t->n++] = *r;
    return 0;
}

static int kv_line(kv_loader_t *L, char *s)
{
    char *f[4];
    int n = trace_split_csv(s, f, 4);
    if (n != 4)
        return kv_err(L, "%s fields: lines are time_ns,op,key,value_size",
                      n < 4 ? "too few" : "too many");
    uint64_t t, vs;
    trace_kv_rec_t r = {0};
    if (num(L, f[0], "time_ns", UINT64_MAX, &t) ||
        num(L, f[3], "value_size", TRACE_KV_VALUE_MAX, &vs) || check_key(L, f[2]))
        return -1;
    if (trace_streq_ci(f[1], "GET"))
        r.op = TRACE_KV_GET;
    else if (trace_streq_ci(f[1], "SET"))
        r.op = TRACE_KV_SET;
    else
        return kv_err(L, "unknown op '%.40s' (GET or SET)", f[1]);
    if (L->have_t0 && t < L->last)
        return kv_err(L, "time %llu ns goes backwards (previous record: %llu)",
                      (unsigned long long)t, (unsigned long long)L->last);
    if (!L->have_t0) {
        L->have_t0 = true;
        L->t0 = t;
    }
    L->last = t;
    if (t - L->t0 > UINT64_MAX / NS_PS)
        return kv_err(L, "time %llu ns is more than 2^64 ps after the first record",
                      (unsigned long long)t);
    r.t_ps = (t - L->t0) * NS_PS;
    r.key_len = (uint8_t)strlen(f[2]);
    memcpy(r.key, f[2], r.key_len);
    r.value_size = (uint32_t)vs;
    return push(L, &r);
}

static bool is_header(const char *s)
{
    char buf[64];
    size_t n = strlen(s);
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n + 1);
    char *f[4];
    return trace_split_csv(buf, f, 4) == 4 && trace_streq_ci(f[0], "time_ns") &&
           trace_streq_ci(f[1], "op") && trace_streq_ci(f[2], "key") &&
           trace_streq_ci(f[3], "value_size");
}

static int load_lines(kv_loader_t *L)
{
    char *s;
    bool first = true;
    for (;;) {
        ssize_t n = trace_file_line(L->f, &s);
        if (n < 0)
            return trace_file_error(L->f) ? kv_err(L, "%s", trace_file_error(L->f)) : 0;
        if (trace_blank(s))
            continue;
        bool header = first && is_header(s);
        first = false;
        if (!header && kv_line(L, s))
            return -1;
    }
}

int trace_kv_load(const char *path, trace_kv_t *out, char *err, size_t errlen)
{
    *out = (trace_kv_t){0};
    kv_loader_t L = {.out = out, .err = err, .errlen = errlen};
    L.f = trace_file_open(path, err, errlen);
    if (!L.f)
        return -1;
    int r = load_lines(&L);
    if (r == 0 && out->n == 0) {
        snprintf(err, errlen, "%s: no records (%llu lines)", path,
                 (unsigned long long)trace_file_line_no(L.f));
        r = -1;
    }
    trace_file_close(L.f);
    if (r)
        trace_kv_free(out);
    return r;
}

void trace_kv_free(trace_kv_t *t)
{
    free(t->rec);
    *t = (trace_kv_t){0};
}
