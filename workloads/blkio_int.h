/* workloads/blkio_int.h: the parts of the blkio application
 * (workloads/blkio.h) shared between its files (folder-private).
 *
 *   blkio_gen.c     what to issue next: synthetic patterns (sequential or
 *                   random offsets, read/write mix, closed loop or open-loop
 *                   arrivals) or a block trace's records, mapped onto the
 *                   range and split at bs_max.
 *   blkio_verify.c  the verify pattern and the per-block generation map,
 *                   kept in the process's heap.
 *   blkio_start.c   the parameters, the buffers, the pool: start().
 *   blkio.c         the application: the loop, completions,
 *                   measurements, the report.
 *
 * Times are picoseconds of pk_now()'s clock; offsets and lengths bytes. */
#ifndef PARASIM_WORKLOADS_BLKIO_INT_H
#define PARASIM_WORKLOADS_BLKIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/include/pk_ring.h"
#include "model/hist.h"
#include "model/rng.h"
#include "workloads/blkio.h"
#include "workloads/app.h"
#include "workloads/input.h"

typedef enum blkio_rw {
    BLKIO_READ = 0,
    BLKIO_WRITE,
    BLKIO_RANDREAD,
    BLKIO_RANDWRITE,
    BLKIO_RANDRW,
    BLKIO_READWRITE,
    BLKIO_RW_KINDS
} blkio_rw_t;

/* fio's name of a pattern, and the pattern of a name (-1: unknown). */
const char *blkio_rw_name(blkio_rw_t rw);
int blkio_rw_parse(const char *s);
#define BLKIO_RW_NAMES "read|write|randread|randwrite|randrw|readwrite"

/* One I/O to issue. */
typedef struct blkio_op {
    uint64_t t_want;  /* intended issue time, ps; 0: now (closed loop) */
    uint64_t off;     /* device byte offset (0 for a flush) */
    uint32_t len;     /* bytes (0 for a flush) */
    uint8_t op;       /* PK_OP_BLK_READ, _WRITE or _FLUSH */
} blkio_op_t;

typedef struct blkio_trace_counts {
    uint64_t ops;      /* records consumed */
    uint64_t split;    /* records longer than bs_max, issued in pieces */
    uint64_t clipped;  /* records cut at the range's end */
    uint64_t skipped;  /* records of length 0 (not issued) */
} blkio_trace_counts_t;

typedef struct blkio_gen {
    /* configuration (set before blkio_gen_begin) */
    blkio_rw_t rw;
    unsigned mixread;         /* percent */
    uint32_t bs, lba, bs_max;
    uint64_t range_off, range_size;
    double gap_ps;            /* mean gap between arrivals; 0: closed loop */
    bool poisson;             /* else linear (constant gaps) */
    const wl_blk_op_t *recs;  /* a trace, or NULL */
    size_t nrecs;
    double speed;             /* trace times are divided by it; 0: untimed */
    rng_t ops, arr;           /* offsets and directions; arrival gaps */
    /* state */
    uint64_t t0;              /* start of the run */
    uint64_t nblocks;         /* whole bs blocks in the range */
    uint64_t seq[2];          /* next sequential block, per direction */
    uint64_t narr;            /* arrivals taken */
    uint64_t next_arr;        /* the next arrival's time */
    bool have;                /* `next` holds the peeked op */
    blkio_op_t next;
    size_t rec;               /* trace: the record being issued */
    bool rec_open;            /* its pieces are being issued */
    uint64_t rec_off, rec_left, rec_t; /* its next piece, bytes left, time */
    uint8_t rec_op;
    blkio_trace_counts_t tc;
} blkio_gen_t;

/* The run starts at t0 (the first step). */
void blkio_gen_begin(blkio_gen_t *g, uint64_t t0);
/* The next op, without taking it: 1, or 0 when there is none left (the
 * trace is over; synthetic patterns never end). */
int blkio_gen_peek(blkio_gen_t *g, blkio_op_t *op);
/* Take the op the last peek returned. */
void blkio_gen_take(blkio_gen_t *g);
/* Is the workload timed (open loop, or a trace replayed at its times)? */
bool blkio_gen_timed(const blkio_gen_t *g);

/* ---------------------------------------------------------------- verify */
typedef struct blkio_verify {
    bool on;
    int c_cycle, c_llc;       /* cost ids */
    uint32_t lba;
    uint64_t range_off, nblk; /* blocks of the range */
    uint64_t map;             /* heap address of uint32_t gen[nblk] */
    uint32_t seq;             /* writes issued so far: the next one's generation - 1 */
    uint64_t checked, errors, skipped; /* blocks */
    uint8_t buf[WL_BLKIO_LEN_MAX];     /* pattern scratch */
} blkio_verify_t;

/* Bytes of heap the map of a range needs (64-byte lines). */
uint64_t blkio_verify_map_bytes(uint64_t range_size, uint32_t lba);
/* Set up and zero the map at heap address map: 0, or -1 (a fault). */
int blkio_verify_init(blkio_verify_t *v, uint64_t map, uint64_t range_off,
                      uint64_t range_size, uint32_t lba);
/* A write of [off, off + len) from buf is about to be issued: store its
 * pattern into buf and record its generation for its blocks (ambiguous:
 * another write to some of them is in flight, so record 0, "unknown",
 * for its blocks).  0, or -1 (a fault). */
int blkio_verify_write(blkio_verify_t *v, uint64_t buf, uint64_t off, uint32_t len,
                       bool ambiguous);
/* A write of [off, off + len) failed: its blocks' contents are unknown. */
void blkio_verify_forget(blkio_verify_t *v, uint64_t off, uint32_t len);
/* A read of [off, off + len) into buf completed: check every block with
 * a known generation (racy: a write overlapped it in flight: count the
 * blocks as skipped). */
void blkio_verify_read(blkio_verify_t *v, uint64_t buf, uint64_t off, uint32_t len, bool racy);

/* ---------------------------------------------------------------- the process */
/* user_data tags (bits 63:48); the low bits name the slot or timer */
#define BLKIO_UD_IO (UINT64_C(0xB1A0) << 48)
#define BLKIO_UD_TIMER (UINT64_C(0xB1A1) << 48)
#define BLKIO_UD_POOL (UINT64_C(0xB1A2) << 48)
#define BLKIO_UD_TAG (UINT64_C(0xFFFF) << 48)

enum { BLKIO_DIR_READ, BLKIO_DIR_WRITE, BLKIO_DIR_FLUSH, BLKIO_NDIR };

typedef struct blkio_slot {
    uint64_t t_want;   /* intended issue time, ps */
    uint64_t t_sub;    /* last submission, ps */
    uint64_t off;      /* device byte offset */
    uint32_t len;
    uint8_t op;        /* PK_OP_BLK_* */
    uint8_t qi;        /* the NVMe queue (index in pk_info) it went to last */
    bool busy, measured, racy;
} blkio_slot_t;

typedef struct blkio_dirstat {
    uint64_t ios, bytes;
    hist_t clat, lat;  /* ps */
} blkio_dirstat_t;

typedef struct blkio {
    struct pk_ring r;
    int c_cycle;
    blkio_gen_t g;
    blkio_verify_t v;
    /* parameters */
    unsigned depth;
    bool wait, pool, timed;
    uint64_t ios_limit;          /* measured I/Os to issue */
    uint64_t runtime_ps, ramp_ps; /* runtime_ps 0: no limit */
    const wl_blk_op_t *recs;     /* the trace, when handed over */
    size_t nrecs;
    /* buffers */
    uint64_t buf_base, pool_id;
    uint32_t slot_size;
    /* the run */
    bool started, stopping;
    uint64_t t_start, t_ramp, t_stop, t_end;
    uint64_t issued;             /* measured I/Os issued */
    unsigned inflight, next_q;   /* busy slots; the next NVMe queue index */
    bool timer_armed;
    /* a device queue's capacity, learnt from its first PK_EAGAIN: then
     * q_room counts its free entries (one per completion, less one per
     * submission) and it gets no more than that */
    bool q_known[PK_MAX_NVME_QUEUES];
    uint32_t q_room[PK_MAX_NVME_QUEUES];
    uint64_t timer_at, timer_seq;
    unsigned free_head, free_n, retry_head, retry_n;
    uint16_t free_q[WL_BLKIO_DEPTH_MAX];  /* FIFO of free slots */
    uint16_t retry_q[WL_BLKIO_DEPTH_MAX]; /* FIFO of slots to submit again */
    uint64_t freed_at[WL_BLKIO_DEPTH_MAX];
    blkio_slot_t slot[WL_BLKIO_DEPTH_MAX];
    /* measurements */
    blkio_dirstat_t d[BLKIO_NDIR];
    uint64_t ramp_ios, queued, eagain, errors;
    wl_app_stats_t st;
} blkio_t;

/* blkio_start.c: the parameters, the buffers, the pool (wl_app_t.start). */
int blkio_start(void *state, const wl_param_t *params, size_t nparams, char *err,
                size_t errlen);
extern const char *const blkio_params[];

#endif
