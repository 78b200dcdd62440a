/* traces/blktrace: the loader (format detection, the shared record rules)
 * and the two fixed-field formats, MSR/SNIA CSV and MQSim's DiskSim ASCII.
 * Formats, units and errors: traces/blktrace.h.  fio iologs: blk_fio.c. */
#include "traces/blk_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSR_TICK_PS 100000u  /* a FILETIME tick is 100 ns */
#define DISKSIM_NS_PS 1000u  /* MQSim's arrival times are ns */
#define SECTOR 512u

int blk_err(blk_loader_t *L, const char *fmt, ...)
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

int blk_num(blk_loader_t *L, const char *s, const char *name, uint64_t max, uint64_t *out)
{
    trace_num_t r = trace_parse_u64(s, out);
    if (r == TRACE_NUM_BAD)
        return blk_err(L, "bad %s '%.40s' (an unsigned decimal integer expected)", name, s);
    if (r == TRACE_NUM_RANGE || *out > max)
        return blk_err(L, "%s %.40s out of range (max %llu)", name, s, (unsigned long long)max);
    return 0;
}

int blk_time(blk_loader_t *L, uint64_t raw, uint64_t mult, bool io, uint64_t *t_ps)
{
    if (L->have_last && raw < L->last_raw)
        return blk_err(L, "time %llu goes backwards (previous record: %llu)",
                       (unsigned long long)raw, (unsigned long long)L->last_raw);
    L->have_last = true;
    L->last_raw = raw;
    if (!io)
        return 0;
    if (!L->have_t0) {
        L->have_t0 = true;
        L->t0_raw = raw;
    }
    uint64_t rel = raw - L->t0_raw;
    if (rel > UINT64_MAX / mult)
        return blk_err(L, "time %llu is more than 2^64 ps after the first record",
                       (unsigned long long)raw);
    *t_ps = rel * mult;
    return 0;
}

int blk_push(blk_loader_t *L, uint64_t t_ps, uint64_t offset, uint64_t len, trace_blk_op_t op,
             uint64_t device)
{
    if (len == 0 && op != TRACE_BLK_FLUSH)
        return blk_err(L, "size 0 for a %s", trace_blk_op_name(op));
    if (len > UINT32_MAX)
        return blk_err(L, "size %llu bytes out of range (max %u)", (unsigned long long)len,
                       UINT32_MAX);
    if (offset > UINT64_MAX - len)
        return blk_err(L, "offset + size past 2^64 bytes");
    if (device > UINT32_MAX)
        return blk_err(L, "device %llu out of range", (unsigned long long)device);
    trace_blk_t *t = L->out;
    if (t->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 1024;
        trace_blk_rec_t *rec = realloc(t->rec, cap * sizeof *rec);
        if (!rec)
            return blk_err(L, "out of memory (%zu records)", t->n);
        t->rec = rec;
        L->cap = cap;
    }
    t->rec[t->n++] = (trace_blk_rec_t){
        .t_ps = t_ps,
        .offset = offset,
        .len = (uint32_t)len,
        .op = (uint8_t)op,
        .device = (uint32_t)device,
    };
    return 0;
}

/* ---------------------------------------------------------------- MSR */

static bool msr_header(const char *s)
{
    return strncmp(s, "Timestamp,", 10) == 0 || strncmp(s, "timestamp,", 10) == 0;
}

static int msr_line(blk_loader_t *L, char *s)
{
    char *f[7];
    int n = trace_split_csv(s, f, 7);
    if (n != 7)
        return blk_err(L, "%s fields: MSR lines are Timestamp,Hostname,DiskNumber,Type,"
                          "Offset,Size,ResponseTime",
                       n < 7 ? "too few" : "too many");
    uint64_t ts, disk, off, size, resp, t;
    trace_blk_op_t op;
    if (blk_num(L, f[0], "Timestamp", UINT64_MAX, &ts) || blk_num(L, f[2], "DiskNumber",
                                                                    UINT32_MAX, &disk) ||
        blk_num(L, f[4], "Offset", UINT64_MAX, &off) ||
        blk_num(L, f[5], "Size", UINT32_MAX, &size) ||
        blk_num(L, f[6], "ResponseTime", UINT64_MAX, &resp))
        return -1;
    if (trace_streq_ci(f[3], "Read"))
        op = TRACE_BLK_READ;
    else if (trace_streq_ci(f[3], "Write"))
        op = TRACE_BLK_WRITE;
    else
        return blk_err(L, "unknown Type '%.40s' (Read or Write expected)", f[3]);
    if (blk_time(L, ts, MSR_TICK_PS, true, &t))
        return -1;
    return blk_push(L, t, off, size, op, disk);
}

/* ---------------------------------------------------------------- DiskSim */

static int disksim_line(blk_loader_t *L, char *s)
{
    char *f[5];
    int n = trace_split_ws(s, f, 5);
    if (n != 5)
        return blk_err(L, "%s fields: DiskSim lines are ARRIVAL_NS DEVICE LSN SECTORS TYPE",
                       n < 5 ? "too few" : "too many");
    if (strchr(f[0], '.'))
        return blk_err(L, "fractional arrival time '%.40s': MQSim's DiskSim times are integer "
                          "nanoseconds", f[0]);
    uint64_t at, dev, lsn, sectors, t;
    if (blk_num(L, f[0], "arrival time", UINT64_MAX, &at) ||
        blk_num(L, f[1], "device", UINT32_MAX, &dev) ||
        blk_num(L, f[2], "LSN", UINT64_MAX / SECTOR, &lsn) ||
        blk_num(L, f[3], "size", UINT32_MAX / SECTOR, &sectors))
        return -1;
    trace_blk_op_t op;
    if (strcmp(f[4], "1") == 0)
        op = TRACE_BLK_READ;
    else if (strcmp(f[4], "0") == 0)
        op = TRACE_BLK_WRITE;
    else
        return blk_err(L, "unknown request type '%.40s' (1 read, 0 write)", f[4]);
    if (blk_time(L, at, DISKSIM_NS_PS, true, &t))
        return -1;
    return blk_push(L, t, lsn * SECTOR, sectors * SECTOR, op, dev);
}

/* ---------------------------------------------------------------- detection */

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int ws_fields(const char *s)
{
    int n = 0;
    for (bool in = false; *s; s++) {
        bool b = *s == ' ' || *s == '\t';
        if (!b && !in)
            n++;
        in = !b;
    }
    return n;
}

static trace_blk_fmt_t detect(const char *s)
{
    if (strncmp(s, "fio version ", 12) == 0)
        return TRACE_BLK_FIO;
    if (msr_header(s))
        return TRACE_BLK_MSR;
    int commas = 0;
    for (const char *p = s; *p; p++)
        commas += *p == ',';
    const char *c = strchr(s, ',');
    while (*s == ' ')
        s++;
    if (commas == 6 && all_digits(s, (size_t)(c - s)))
        return TRACE_BLK_MSR;
    if (commas == 0 && ws_fields(s) == 5)
        return TRACE_BLK_DISKSIM;
    return TRACE_BLK_AUTO;
}

/* The first non-blank line: pick the format and consume a header. */
static int first_line(blk_loader_t *L, trace_blk_fmt_t fmt, char *s, bool *consumed)
{
    trace_blk_fmt_t d = detect(s);
    if (fmt == TRACE_BLK_AUTO && d == TRACE_BLK_AUTO)
        return blk_err(L, "cannot detect the format (not a fio iolog header, 7 comma-separated "
                          "MSR fields, or 5 DiskSim fields)");
    L->out->fmt = fmt == TRACE_BLK_AUTO ? d : fmt;
    *consumed = false;
    if (L->out->fmt == TRACE_BLK_FIO) {
        if (strcmp(s, "fio version 2 iolog") == 0)
            L->fio_version = 2;
        else if (strcmp(s, "fio version 3 iolog") == 0)
            L->fio_version = 3;
        else
            return blk_err(L, "not a fio iolog: the first line must be 'fio version 2 iolog' "
                              "or 'fio version 3 iolog'");
        *consumed = true;
    } else if (L->out->fmt == TRACE_BLK_MSR && msr_header(s)) {
        *consumed = true;
    }
    return 0;
}

static int load_lines(blk_loader_t *L, trace_blk_fmt_t fmt)
{
    char *s;
    bool started = false;
    for (;;) {
        ssize_t n = trace_file_line(L->f, &s);
        if (n < 0) {
            if (!trace_file_error(L->f))
                return 0;
            return blk_err(L, "%s", trace_file_error(L->f));
        }
        if (trace_blank(s))
            continue;
        if (!started) {
            bool consumed = false;
            started = true;
            if (first_line(L, fmt, s, &consumed))
                return -1;
            if (consumed)
                continue;
        }
        int r = L->out->fmt == TRACE_BLK_MSR       ? msr_line(L, s)
                : L->out->fmt == TRACE_BLK_DISKSIM ? disksim_line(L, s)
                                                   : blk_fio_line(L, s);
        if (r)
            return -1;
    }
}

int trace_blk_load(const char *path, trace_blk_fmt_t fmt, trace_blk_t *out, char *err,
                   size_t errlen)
{
    *out = (trace_blk_t){.fmt = fmt};
    if ((unsigned)fmt > TRACE_BLK_DISKSIM) {
        snprintf(err, errlen, "%s: bad block trace format %d", path, (int)fmt);
        return -1;
    }
    blk_loader_t L = {.out = out, .err = err, .errlen = errlen};
    L.f = trace_file_open(path, err, errlen);
    if (!L.f)
        return -1;
    int r = load_lines(&L, fmt);
    if (r == 0 && out->n == 0) {
        snprintf(err, errlen, "%s: no I/O records (%llu lines)", path,
                 (unsigned long long)trace_file_line_no(L.f));
        r = -1;
    }
    blk_fio_done(&L);
    trace_file_close(L.f);
    if (r) {
        trace_blk_free(out);
        return -1;
    }
    if (out->fmt == TRACE_BLK_FIO && L.fio_version == 2) {
        /* v2 times are absolute "not before" marks: relative to the first */
        uint64_t base = out->rec[0].t_ps;
        for (size_t i = 0; i < out->n; i++)
            out->rec[i].t_ps -= base;
    }
    return 0;
}

void trace_blk_free(trace_blk_t *t)
{
    free(t->rec);
    *t = (trace_blk_t){0};
}

const char *trace_blk_fmt_name(trace_blk_fmt_t f)
{
    switch (f) {
    case TRACE_BLK_AUTO: return "auto";
    case TRACE_BLK_MSR: return "msr";
    case TRACE_BLK_FIO: return "fio";
    case TRACE_BLK_DISKSIM: return "disksim";
    }
    return "?";
}

int trace_blk_fmt_parse(const char *name, trace_blk_fmt_t *out)
{
    for (int f = TRACE_BLK_AUTO; f <= TRACE_BLK_DISKSIM; f++)
        if (strcmp(name, trace_blk_fmt_name((trace_blk_fmt_t)f)) == 0) {
            *out = (trace_blk_fmt_t)f;
            return 0;
        }
    return -1;
}

const char *trace_blk_op_name(trace_blk_op_t op)
{
    switch (op) {
    case TRACE_BLK_READ: return "read";
    case TRACE_BLK_WRITE: return "write";
    case TRACE_BLK_FLUSH: return "flush";
    case TRACE_BLK_TRIM: return "trim";
    }
    return "?";
}
