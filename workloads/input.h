/* workloads/input: records the platform reads for an application from a
 * trace file its parameters name (workloads/app.h, wl_app_t.input_param),
 * handed over before the application starts.  Applications never open
 * files: like a program's input, the records are simply there. */
#ifndef PARASIM_WORKLOADS_INPUT_H
#define PARASIM_WORKLOADS_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef enum wl_input_kind { WL_INPUT_NONE = 0, WL_INPUT_BLK } wl_input_kind_t;

typedef enum wl_blk_kind { WL_BLK_READ = 0, WL_BLK_WRITE, WL_BLK_FLUSH } wl_blk_kind_t;

/* One block I/O of a trace: issued at t_ps (relative to the trace's first
 * record, which is at 0), len bytes at byte offset `offset` of the
 * device (both as recorded; the application maps them onto its range). */
typedef struct wl_blk_op {
    uint64_t t_ps;
    uint64_t offset;
    uint32_t len;
    uint8_t kind;                /* wl_blk_kind_t */
} wl_blk_op_t;

typedef struct wl_input {
    wl_input_kind_t kind;
    const void *recs;            /* WL_INPUT_BLK: const wl_blk_op_t[n] */
    size_t n;
    const char *source;          /* the file, for messages */
} wl_input_t;

#endif
