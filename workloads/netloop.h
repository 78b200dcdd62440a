/* workloads/netloop: the receive-answer-transmit loop of a request/response
 * server process: its frame buffers, RX rings, transmits and completions,
 * with the work on each frame left to the application (a callback).  It is
 * the buffer scheme and step of the echo server, made reusable; used by
 * workloads/echo.c and workloads/kvs.c (workloads/evloop.c shares its
 * start-time and buffer helpers).
 *
 * Buffers.  wl_nl_init carves buffers of max(2 KiB, info.rx_buf_min)
 * bytes from the region [base, end) the application gives it (2 KiB
 * aligned), per owned NIC queue up to 2 x (rx_entries - 1): rx_entries - 1
 * posted to the RX ring, the rest spares, so a frame's slot is refilled
 * at once while the frame itself is being transmitted back.  A buffer
 * belongs to one queue for good.  Under pool mediation they are
 * registered as one pool first (PK_OP_POOL_REGISTER, synchronously).
 * wl_nl_post_rx fills the RX rings (call it last in start: traffic may
 * come once start returns).
 *
 * The frame callback.  For each received frame (buffer address buf, len
 * bytes, on the process's queue index qi), the callback does its work
 * through pk_load / pk_store on the buffer and returns the length of the
 * reply it wrote into the same buffer (1 .. wl_nl_tx_max) to transmit on
 * the same queue, or 0 to drop the frame (its buffer goes back to the
 * spares).  It charges its own costs.
 *
 * One step (wl_nl_step; as echo): pop CQEs (a NET_TX completion frees its
 * buffer, PK_EAGAIN queues the transmit again, other refusals are counted
 * by code and the buffer freed, a refused refill loses its buffer); per
 * queue up to `burst` frames through the callback (while the SQ has room);
 * TX retries, then refills; publish the SQ and ONE pk_enter for the whole
 * batch (only when something is to be submitted, or buffers are needed
 * back); pop CQEs again.  WL_STEP_BUSY while work remains and the step
 * made progress or spent time; otherwise WL_STEP_POLL, or with wait it
 * blocks in pk_enter(0, 1, PK_ENTER_WAIT) first.
 *
 * Costs it charges (echo's figures, pk_charge; 1 cycle per simple
 * instruction on a ~3 GHz core): per frame mem.llc per RX descriptor line
 * newly read (4 descriptors a line, written by the NIC) and RX_CYCLES (8);
 * SQE_CYCLES (12) per SQE written; CQE_CYCLES (10) per CQE taken.  The
 * frame's own bytes are the callback's to charge.
 *
 * Counters: st (wl_app_stats_t: rx_frames, tx_frames, requests = replies
 * handed to NET_TX, refused by code), and c (wl_nl_counters_t). */
#ifndef PARASIM_WORKLOADS_NETLOOP_H
#define PARASIM_WORKLOADS_NETLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "workloads/app.h"

#define WL_NL_MAX_BUFS 16384u /* uint16_t indices */
#define WL_NL_BURST_MAX 1024u

typedef struct wl_nl_counters {
    uint64_t tx_retries;   /* NET_TX refused with PK_EAGAIN, queued again */
    uint64_t lost_bufs;    /* buffers out of circulation (a refill refused) */
    uint64_t bad_rx;       /* the RX view named a buffer that is not ours */
    uint64_t bad_cqe;      /* completions with a user_data we never used */
    uint32_t buffers;      /* buffers carved */
    uint32_t per_queue;    /* of them, per owned NIC queue */
} wl_nl_counters_t;

/* (u) the application's, embedded in its state; fields are the loop's. */
typedef struct wl_nl {
    struct pk_ring r;
    const char *app;                       /* for messages */
    int c_llc, c_cycle;
    bool wait, pool;
    unsigned burst;
    uint64_t pool_id;
    uint64_t buf_base;
    uint32_t buf_size, nbufs, per_q, nq;
    unsigned buf_shift;                    /* log2(buf_size), or 0 */
    uint64_t per_q_m;                      /* idx / per_q by multiplication */
    uint32_t tx_inflight;
    unsigned step_tx_done, step_tx_again;  /* this step */
    uint32_t in_ring[PK_MAX_NIC_QUEUES];
    uint32_t nfree[PK_MAX_NIC_QUEUES];
    uint32_t txq_head[PK_MAX_NIC_QUEUES], txq_n[PK_MAX_NIC_QUEUES];
    uint16_t len[WL_NL_MAX_BUFS];          /* frame length of a buffer in TX */
    uint16_t spare[WL_NL_MAX_BUFS];        /* queue qi: [qi * per_q, + nfree) */
    uint16_t txq[WL_NL_MAX_BUFS];          /* queue qi: ring at qi * per_q */
    wl_app_stats_t st;
    wl_nl_counters_t c;
} wl_nl_t;

typedef uint32_t (*wl_nl_frame_fn)(void *ctx, unsigned qi, uint64_t buf, uint32_t len);

/* pk_ring_init and the cost ids: 0, or -1 with "<app>: ..." in err.
 * After it, n->r.info is the process's info block. */
int wl_nl_open(wl_nl_t *n, const char *app, char *err, size_t errlen);
/* Carve the buffers from [base, end) and register them under pool
 * mediation; burst 1..WL_NL_BURST_MAX.  0, or -1 with a message. */
int wl_nl_init(wl_nl_t *n, uint64_t base, uint64_t end, unsigned burst, bool wait, char *err,
               size_t errlen);
/* Bytes wl_nl_init takes at most for this process (alignment included). */
uint64_t wl_nl_bytes(const wl_nl_t *n);
/* Submit one SQE and take its completion synchronously (start only):
 * 0 with its result in *res, or -1 with a message naming what. */
int wl_nl_sync(wl_nl_t *n, const struct pk_sqe *s, const char *what, int32_t *res, char *err,
               size_t errlen);
/* Take completions until the one with user_data ud (start only: the
 * others are dropped): 0 with its result in *res, or -1 with "<app>:
 * <what> did not complete".  Also evloop's, after its own submission. */
int wl_nl_await(struct pk_ring *r, const char *app, uint64_t ud, const char *what, int32_t *res,
                char *err, size_t errlen);
/* The PK_OP_POOL_REGISTER SQE for count buffers of buf_size bytes from
 * base (user_data 0: the caller's). */
struct pk_sqe wl_nl_pool_sqe(uint64_t base, uint32_t buf_size, uint32_t count);
/* Post every RX ring full: 0, or -1 with a message. */
int wl_nl_post_rx(wl_nl_t *n, char *err, size_t errlen);
wl_step_t wl_nl_step(wl_nl_t *n, wl_nl_frame_fn fn, void *ctx);
/* Buffer geometry, shared with evloop: the size, max(2 KiB, rx_buf_min
 * rounded up to 64 bytes); log2(size) when a power of 2, else 0; the
 * index of the buffer at address buf among nbufs of size bytes from base
 * (shift: wl_nl_buf_shift(size)), or -1 when it is none of them. */
uint32_t wl_nl_buf_size(const struct pk_info *in);
unsigned wl_nl_buf_shift(uint32_t size);
int64_t wl_nl_buf_index(uint64_t base, uint32_t size, unsigned shift, uint32_t nbufs, uint64_t buf);
/* The longest reply the callback may return. */
uint32_t wl_nl_tx_max(const wl_nl_t *n);

/* The reading of one frame from queue index qi's RX view (the one
 * pk_rx_next just gave; first: the burst's first): mem.llc when it starts
 * a descriptor line (LINE / PK_RXD_BYTES descriptors a line) or the
 * burst, and RX_CYCLES cpu.cycle: posted-count compare, slot mask, DD
 * test, length and shadow loads, index increment.  Also evloop's. */
#define WL_NL_RX_CYCLES 8u
static inline void wl_nl_rx_charge(const struct pk_ring *r, unsigned qi, bool first, int c_llc,
                                   int c_cycle)
{
    uint32_t ents = r->info.rx_entries, slot = r->rx_next[qi] - 1;
    slot = ents & (ents - 1) ? slot % ents : slot & (ents - 1); /* no divide: a power of 2 */
    if (first || slot % (64u / PK_RXD_BYTES) == 0)
        pk_charge_fast(c_llc, 1); /* a descriptor line the NIC wrote */
    pk_charge_fast(c_cycle, WL_NL_RX_CYCLES);
}

#endif
