/* traces/blk_int.h: the loader state shared by blktrace.c (driver, MSR,
 * DiskSim) and blk_fio.c (fio iologs).  Not an API. */
#ifndef PARASIM_TRACES_BLK_INT_H
#define PARASIM_TRACES_BLK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traces/blktrace.h"
#include "traces/tfile.h"
#include "traces/tline.h"

typedef struct blk_names blk_names_t; /* blk_fio.c: file name -> index */

typedef struct blk_loader {
    trace_file_t *f;
    trace_blk_t *out;
    size_t cap;              /* entries allocated in out->rec */
    char *err;
    size_t errlen;
    bool have_last;          /* monotonic check, in the format's own unit */
    uint64_t last_raw;
    bool have_t0;            /* the first I/O record's time (own unit) */
    uint64_t t0_raw;
    /* fio */
    int fio_version;         /* 2 or 3 */
    uint64_t fio_now_ps;     /* v2: time set by the last wait */
    blk_names_t *names;
} blk_loader_t;

/* Format "FILE: record LINE (offset O): what" for the current line; -1. */
int blk_err(blk_loader_t *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A number field: 0, or -1 with "bad NAME 'text'" / "NAME text out of
 * range (max M)". */
int blk_num(blk_loader_t *L, const char *s, const char *name, uint64_t max, uint64_t *out);

/* A record time in the format's unit (mult ps each): checks it does not go
 * backwards; when io, *t_ps is set relative to the first I/O record. */
int blk_time(blk_loader_t *L, uint64_t raw, uint64_t mult, bool io, uint64_t *t_ps);

/* Append one record; checks offset + len and op's size rule. */
int blk_push(blk_loader_t *L, uint64_t t_ps, uint64_t offset, uint64_t len, trace_blk_op_t op,
             uint64_t device);

/* blk_fio.c: a line of a fio iolog after its header line. */
int blk_fio_line(blk_loader_t *L, char *s);
void blk_fio_done(blk_loader_t *L);

#endif
