/* workloads/evloop.c: the event-loop server (evloop.h), written against
 * the user ABI only, on the runtime of evloop_rt.h.
 *
 * Buffers.  start() carves `buffers` buffers of max(2 KiB, rx_buf_min)
 * bytes from the heap, one pool for all the process's NIC queues (a
 * buffer is refilled into whichever ring needs one), registers them under
 * pool mediation (PK_OP_POOL_REGISTER, synchronously) and posts every RX
 * ring full before traffic may come.  A buffer is in exactly one place:
 * posted to an RX ring, a request waiting for its callback, deferred (a
 * timer holds it), in flight as a reply (or queued for a TX retry), on
 * the spare stack, or lost (a refused refill, counted).
 *
 * Hooks (the runtime's phases):
 *   poll   per queue up to `burst` frames (and no more than the ready
 *          queue takes): the headers are checked and swapped for the
 *          reply in place (wl_echo_reply_headers, the echo server's own
 *          check), and a request callback is posted; other frames are
 *          counted and their buffer goes back to the spares;
 *   io     NET_TX completions free the buffer (PK_EAGAIN: queued for a
 *          retry, as echo.c); refused refills lose theirs (counted);
 *   flush  TX retries, then refills of the RX rings from the spares
 *          (round robin over the queues);
 *   pending, need_enter, can_block: echo.c's rules (a retry after a full
 *          TX ring waits for a poll; enter to harvest TX completions when
 *          no spare is left).
 * The request callback draws the handler's time from `service`, charges
 * it, records it, and then replies at once (NET_TX of the buffer on the
 * queue it came from) or, with probability defer_ratio, sets a timer of
 * defer_ns whose callback replies.  Garbage collection is a timer at
 * gc_phase + k x gc_period whose callback charges the pause and sets the
 * next one.
 *
 * Costs (pk_charge): the frame path is echo.c's (wl_nl_rx_charge: mem.llc
 * per RX descriptor line newly read, RX_CYCLES 8; wl_echo_answer: mem.llc
 * per header line, FRAME_CYCLES 28; SQEs and CQEs through the runtime); handler times and
 * pauses as cpu.cycle counts, CYCLES_PER_NS (3) per ns: the modelled
 * 3.0 GHz clock of cpu.cycle (model/cost.c).  The draws themselves are
 * the simulation's, not the handler's, and cost nothing. */
#include "workloads/evloop.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "model/hist.h"
#include "model/rng.h"
#include "workloads/evloop_int.h"
#include "workloads/evloop_rt.h"
#include "workloads/netloop.h"

#define BUF_MIN 2048u
#define CYCLES_PER_NS 3.0
#define UD_TAG (UINT64_C(0xE7B0) << 48)
#define UD_REGISTER (UD_TAG | UINT64_C(0xFFFFFFFF))

typedef struct evloop {
    wl_evl_t ev;
    wl_evloop_cfg_t cfg;
    int c_llc, c_cycle;
    rng_t rng_service, rng_defer;
    bool pool;
    uint64_t pool_id;
    uint64_t buf_base;
    uint32_t buf_size, nbufs, nq;
    unsigned buf_shift;                    /* log2(buf_size), or 0: not a power of 2 */
    uint32_t in_ring[PK_MAX_NIC_QUEUES];   /* buffers posted (or queued to be) */
    uint32_t nspare, txq_head, txq_n;      /* spare stack depth; TX retry FIFO */
    uint32_t tx_inflight;                  /* replies written or queued, not completed */
    uint32_t held;                         /* buffers of deferred requests */
    unsigned step_tx_done, step_tx_again;  /* this step: TX completions, PK_EAGAINs */
    uint64_t gc_next_ps;                   /* the pending pause's deadline */
    uint16_t spare[WL_EVLOOP_MAX_BUFS];
    uint16_t txq[WL_EVLOOP_MAX_BUFS];
    uint16_t len[WL_EVLOOP_MAX_BUFS];      /* frame length of a request's buffer */
    uint8_t qi[WL_EVLOOP_MAX_BUFS];        /* the queue it came from / is posted to */
    wl_app_stats_t st;
    wl_evloop_counters_t c;
    hist_t service;                        /* handler CPU times, ps */
} evloop_t;

/* ---------------------------------------------------------------- buffers */

static struct pk_sqe buf_sqe(const evloop_t *e, uint8_t op, unsigned qi, uint32_t idx,
                             uint32_t len)
{
    struct pk_sqe s = {
        .opcode = op,
        .queue = e->ev.r.info.nic_queue[qi],
        .len = len,
        .user_data = UD_TAG | idx,
    };
    if (e->pool) {
        s.flags = PK_SQE_POOL;
        s.addr = e->pool_id << 32 | idx;
    } else {
        s.addr = e->buf_base + (uint64_t)idx * e->buf_size;
    }
    return s;
}

static void free_buf(evloop_t *e, uint32_t idx)
{
    e->spare[e->nspare++] = (uint16_t)idx;
}

/* The TX retry FIFO (a buffer is in it at most once: it never overflows). */
static void txq_put(evloop_t *e, uint32_t idx)
{
    uint32_t at = e->txq_head + e->txq_n++;
    e->txq[at >= e->nbufs ? at - e->nbufs : at] = (uint16_t)idx;
}

static uint32_t txq_take(evloop_t *e)
{
    uint32_t idx = e->txq[e->txq_head];
    e->txq_head = e->txq_head + 1 == e->nbufs ? 0 : e->txq_head + 1;
    e->txq_n--;
    return idx;
}

/* ---------------------------------------------------------------- replies */

static void reply(evloop_t *e, uint32_t idx)
{
    e->c.replies++;
    e->tx_inflight++;
    struct pk_sqe s = buf_sqe(e, PK_OP_NET_TX, e->qi[idx], idx, e->len[idx]);
    if (wl_evl_push(&e->ev, &s) < 0)
        txq_put(e, idx); /* the submit phase sends it */
}

static void on_deferred(void *ctx, uint64_t idx)
{
    evloop_t *e = ctx;
    e->held--;
    reply(e, (uint32_t)idx);
}

/* The handler: its CPU time, then a reply now or after a timer. */
static void on_request(void *ctx, uint64_t idx)
{
    evloop_t *e = ctx;
    uint64_t t0 = pk_now();
    double ns = dist_sample(&e->cfg.service, &e->rng_service);
    if (ns > WL_EVLOOP_SERVICE_MAX_NS) {
        ns = WL_EVLOOP_SERVICE_MAX_NS;
        e->c.service_clamped++;
    }
    if (ns > 0)
        pk_charge(e->c_cycle, (uint64_t)llround(ns * CYCLES_PER_NS));
    hist_record(&e->service, pk_now() - t0);
    if (rng_unit(&e->rng_defer) < e->cfg.defer_ratio) {
        if (wl_evl_set_timeout(&e->ev, e->cfg.defer_ns, on_deferred, idx)) {
            e->c.deferred++;
            e->held++;
            return;
        }
        e->c.defer_refused++;
    }
    reply(e, (uint32_t)idx);
}

/* A garbage-collection pause: the loop stalls, then the next one is set
 * (whole periods the loop was late for are skipped, counted). */
static void on_gc(void *ctx, uint64_t arg)
{
    evloop_t *e = ctx;
    (void)arg;
    uint64_t t0 = pk_now();
    pk_charge(e->c_cycle, (uint64_t)llround((double)e->cfg.gc_pause_ns * CYCLES_PER_NS));
    uint64_t now = pk_now(), p = e->cfg.gc_period_ps;
    e->c.gc_ps += now - t0;
    e->c.gc_pauses++;
    uint64_t next = e->gc_next_ps + p;
    if (next <= now) {
        uint64_t late = (now - next) / p + 1;
        e->c.gc_skipped += late;
        next += late * p;
    }
    e->gc_next_ps = next;
    wl_evl_timer_at(&e->ev, next, on_gc, 0);
}

/* ---------------------------------------------------------------- hooks */

/* One received frame in buffer idx: a request (0) or not (-1). */
static int take_frame(evloop_t *e, unsigned qi, uint32_t idx, uint64_t buf, uint32_t len)
{
    int why = wl_echo_answer(buf, len, e->ev.r.info.mac, 0, e->c_llc, e->c_cycle);
    if (why == WL_ECHO_FAULT)
        e->st.faults++;
    else if (why >= 0)
        e->c.dropped[why]++;
    if (why != -1)
        return -1;
    e->len[idx] = (uint16_t)len;
    e->qi[idx] = (uint8_t)qi;
    return 0;
}

static unsigned hook_poll(void *ctx, unsigned room, bool *more)
{
    evloop_t *e = ctx;
    unsigned total = 0;
    for (unsigned qi = 0; qi < e->nq; qi++) {
        unsigned n = 0;
        uint64_t buf = 0;
        uint32_t len = 0;
        for (; n < e->cfg.burst; n++) {
            if (!room) {
                *more = true;
                break;
            }
            if (pk_rx_next(&e->ev.r, qi, &buf, &len) < 0)
                break;
            wl_nl_rx_charge(&e->ev.r, qi, n == 0, e->c_llc, e->c_cycle);
            e->st.rx_frames++;
            e->in_ring[qi]--;
            int64_t idx = wl_nl_buf_index(e->buf_base, e->buf_size, e->buf_shift, e->nbufs, buf);
            if (idx < 0) {
                e->c.bad_rx++;
                continue;
            }
            if (take_frame(e, qi, (uint32_t)idx, buf, len) < 0) {
                free_buf(e, (uint32_t)idx);
                continue;
            }
            wl_evl_post(&e->ev, on_request, (uint64_t)idx); /* room checked */
            room--;
            e->c.requests++;
            e->st.requests++;
        }
        *more |= n == e->cfg.burst;
        total += n;
    }
    return total;
}

static void hook_io(void *ctx, const struct pk_cqe *c)
{
    evloop_t *e = ctx;
    uint32_t idx = (uint32_t)c->user_data;
    if ((c->user_data & ~UINT64_C(0xFFFFFFFF)) != UD_TAG || idx >= e->nbufs) {
        e->c.bad_cqe++;
        return;
    }
    if (c->res < 0 && -c->res < 32)
        e->st.refused[-c->res]++;
    switch (c->flags & 0xffu) {
    case PK_OP_NET_TX:
        if (c->res == -PK_EAGAIN) { /* TX ring full: send it again */
            e->c.tx_retries++;
            e->step_tx_again++;
            txq_put(e, idx);
            return;
        }
        e->tx_inflight--;
        e->step_tx_done++;
        if (c->res >= 0)
            e->st.tx_frames++;
        free_buf(e, idx);
        return;
    case PK_OP_NET_RX_REFILL: /* only refusals complete */
        e->in_ring[e->qi[idx]]--;
        e->c.lost_bufs++;
        return;
    default:
        e->c.bad_cqe++;
        return;
    }
}

static void hook_flush(void *ctx)
{
    evloop_t *e = ctx;
    unsigned room = wl_evl_sq_room(&e->ev);
    for (; e->txq_n && room; room--) {
        uint32_t idx = txq_take(e);
        struct pk_sqe s = buf_sqe(e, PK_OP_NET_TX, e->qi[idx], idx, e->len[idx]);
        wl_evl_push(&e->ev, &s);
    }
    uint32_t cap = e->ev.r.info.rx_entries - 1;
    for (bool any = true; any && e->nspare && room;) {
        any = false;
        for (unsigned qi = 0; qi < e->nq && e->nspare && room; qi++) {
            if (e->in_ring[qi] >= cap)
                continue;
            uint32_t idx = e->spare[--e->nspare];
            e->qi[idx] = (uint8_t)qi;
            struct pk_sqe s = buf_sqe(e, PK_OP_NET_RX_REFILL, qi, idx, e->buf_size);
            wl_evl_push(&e->ev, &s);
            e->in_ring[qi]++;
            room--;
            any = true;
        }
    }
}

static bool refill_due(const evloop_t *e)
{
    uint32_t cap = e->ev.r.info.rx_entries - 1;
    for (unsigned qi = 0; qi < e->nq; qi++)
        if (e->in_ring[qi] < cap && e->nspare)
            return true;
    return false;
}

/* Every buffer out of a ring and none spare while replies are in flight:
 * harvest them (frames would otherwise be dropped for want of buffers). */
static bool starving(const evloop_t *e)
{
    if (!e->tx_inflight || e->nspare)
        return false;
    for (unsigned qi = 0; qi < e->nq; qi++)
        if (e->in_ring[qi] == 0)
            return true;
    return false;
}

static bool hook_pending(void *ctx)
{
    evloop_t *e = ctx;
    bool tx_blocked = e->step_tx_again && !e->step_tx_done;
    return (e->txq_n && !tx_blocked) || refill_due(e) || starving(e);
}

static bool hook_need_enter(void *ctx)
{
    const evloop_t *e = ctx;
    return e->tx_inflight > e->txq_n && !e->nspare;
}

static bool hook_can_block(void *ctx)
{
    return ((const evloop_t *)ctx)->txq_n == 0;
}

static const wl_evl_hooks_t hooks = {
    .io = hook_io,
    .poll = hook_poll,
    .flush = hook_flush,
    .pending = hook_pending,
    .need_enter = hook_need_enter,
    .can_block = hook_can_block,
};

static wl_step_t evloop_step(void *state)
{
    evloop_t *e = state;
    e->step_tx_done = e->step_tx_again = 0;
    return wl_evl_step(&e->ev);
}

/* ---------------------------------------------------------------- start */

static int fail(char *err, size_t errlen, const char *msg, int code)
{
    if (code)
        snprintf(err, errlen, "evloop: %s: %s", msg, pk_err_name(code));
    else
        snprintf(err, errlen, "evloop: %s", msg);
    return -1;
}

/* Carve the buffers: 0 or -1. */
static int carve(evloop_t *e, char *err, size_t errlen)
{
    const struct pk_info *in = &e->ev.r.info;
    e->nq = in->nic_queues;
    if (e->nq == 0 || e->nq > PK_MAX_NIC_QUEUES || in->rx_entries < 2)
        return fail(err, errlen, "the process owns no usable NIC queue", 0);
    e->buf_size = wl_nl_buf_size(in);
    e->buf_base = (in->heap_base + BUF_MIN - 1) / BUF_MIN * BUF_MIN;
    uint64_t end = in->heap_base + in->heap_size;
    uint64_t fit = end > e->buf_base ? (end - e->buf_base) / e->buf_size : 0;
    uint64_t want = e->cfg.buffers ? e->cfg.buffers : 4 * (uint64_t)(in->rx_entries - 1) * e->nq;
    if (want > WL_EVLOOP_MAX_BUFS)
        want = WL_EVLOOP_MAX_BUFS;
    if (e->cfg.buffers && want > fit) {
        char msg[96];
        snprintf(msg, sizeof msg, "parameter buffers: the heap holds %llu, found %u",
                 (unsigned long long)fit, e->cfg.buffers);
        return fail(err, errlen, msg, 0);
    }
    e->nbufs = (uint32_t)(want < fit ? want : fit);
    if (e->nbufs < e->nq)
        return fail(err, errlen, "the heap cannot hold one buffer per queue", 0);
    e->buf_shift = wl_nl_buf_shift(e->buf_size);
    e->c.buffers = e->nbufs;
    for (uint32_t i = e->nbufs; i-- > 0;)
        free_buf(e, i); /* buffer 0 on top */
    return 0;
}

/* PK_OP_POOL_REGISTER for all buffers, synchronously: 0 or -1. */
static int register_pool(evloop_t *e, char *err, size_t errlen)
{
    struct pk_sqe s = wl_nl_pool_sqe(e->buf_base, e->buf_size, e->nbufs);
    s.user_data = UD_REGISTER;
    if (wl_evl_push(&e->ev, &s) < 0)
        return fail(err, errlen, "the SQ is full at start", 0);
    int rc = wl_evl_enter(&e->ev);
    if (rc < 0)
        return fail(err, errlen, "pk_enter refused the pool registration", -rc);
    int32_t res = 0;
    if (wl_nl_await(&e->ev.r, "evloop", UD_REGISTER, "the pool registration", &res, err, errlen) < 0)
        return -1;
    if (res < 0)
        return fail(err, errlen, "pool registration refused", -res);
    e->pool_id = (uint64_t)res;
    return 0;
}

/* Fill every RX ring before traffic may come.  0 or -1. */
static int post_rx(evloop_t *e, char *err, size_t errlen)
{
    while (refill_due(e)) {
        hook_flush(e);
        int rc = wl_evl_enter(&e->ev);
        wl_evl_drain(&e->ev);
        if (rc < 0)
            return fail(err, errlen, "posting the RX buffers", -rc);
        if (rc == 0)
            return fail(err, errlen, "posting the RX buffers: the kernel took no SQE", 0);
    }
    return 0;
}

/* The first pause: the first gc_phase + k x gc_period after now. */
static void start_gc(evloop_t *e)
{
    uint64_t p = e->cfg.gc_period_ps, phase = e->cfg.gc_phase_ps, now = pk_now();
    if (!e->cfg.gc_phase_given) {
        rng_t r;
        rng_init(&r, e->cfg.seed, rng_stream_id("evloop.gc") + e->cfg.instance);
        phase = rng_below(&r, p);
    }
    e->gc_next_ps = phase > now ? phase : phase + ((now - phase) / p + 1) * p;
    wl_evl_timer_at(&e->ev, e->gc_next_ps, on_gc, 0);
}

static int evloop_start(void *state, const wl_param_t *params, size_t nparams, char *err,
                        size_t errlen)
{
    evloop_t *e = state;
    if (wl_evloop_parse(params, nparams, &e->cfg, err, errlen) < 0)
        return -1;
    e->c_llc = pk_cost("mem.llc");
    e->c_cycle = pk_cost("cpu.cycle");
    if (e->c_llc < 0 || e->c_cycle < 0)
        return fail(err, errlen, "the cost table lacks mem.llc or cpu.cycle", 0);
    if (wl_evl_init(&e->ev, e, &hooks, e->c_cycle, e->cfg.budget, e->cfg.wait) < 0)
        return fail(err, errlen, "no info block of this ABI version", 0);
    if (carve(e, err, errlen) < 0)
        return -1;
    e->pool = e->ev.r.info.mediation == PK_MEDIATE_POOL;
    if (e->pool && register_pool(e, err, errlen) < 0)
        return -1;
    if (post_rx(e, err, errlen) < 0)
        return -1;
    rng_init(&e->rng_service, e->cfg.seed, rng_stream_id("evloop.service") + e->cfg.instance);
    rng_init(&e->rng_defer, e->cfg.seed, rng_stream_id("evloop.defer") + e->cfg.instance);
    hist_init(&e->service);
    if (e->cfg.gc_period_ps)
        start_gc(e);
    return 0;
}

/* ---------------------------------------------------------------- results */

static void evloop_stats(const void *state, wl_app_stats_t *out)
{
    const evloop_t *e = state;
    *out = e->st;
    for (int i = 0; i < 32; i++)
        out->refused[i] += e->ev.c.refused[i];
}

static void evloop_report(const void *state, wl_report_t *r)
{
    const evloop_t *e = state;
    const wl_evl_counters_t *l = &e->ev.c;
    uint64_t dropped = 0;
    for (int i = 0; i < WL_ECHO_DROP_KINDS; i++)
        dropped += e->c.dropped[i];
    wl_report_u64(r, "requests", e->c.requests);
    wl_report_u64(r, "replies", e->c.replies);
    wl_report_u64(r, "deferred", e->c.deferred);
    wl_report_u64(r, "defer_refused", e->c.defer_refused);
    wl_report_u64(r, "dropped", dropped);
    wl_report_u64(r, "timers.armed", l->timers_armed);
    wl_report_u64(r, "timers.fired", l->timers_fired);
    wl_report_u64(r, "timers.cancelled", l->timers_cancelled);
    wl_report_u64(r, "timers.cleared", l->timers_cleared);
    wl_report_u64(r, "timers.preempted", l->timers_preempted);
    wl_report_u64(r, "timers.refused", l->timers_refused);
    wl_report_u64(r, "timers.full", l->timers_full);
    wl_report_u64(r, "gc.pauses", e->c.gc_pauses);
    wl_report_u64(r, "gc.ns", e->c.gc_ps / 1000);
    wl_report_u64(r, "gc.skipped", e->c.gc_skipped);
    wl_report_u64(r, "loop.iterations", l->iterations);
    wl_report_u64(r, "loop.callbacks", l->callbacks);
    wl_report_u64(r, "loop.max_ready", l->max_ready);
    wl_report_u64(r, "loop.early_enters", l->early_enters);
    wl_report_u64(r, "buffers", e->c.buffers);
    wl_report_u64(r, "tx_retries", e->c.tx_retries);
    wl_report_u64(r, "lost_bufs", e->c.lost_bufs);
    wl_report_u64(r, "service_clamped", e->c.service_clamped);
    wl_report_hist(r, "service", &e->service);
}

const wl_evloop_counters_t *wl_evloop_counters(const void *state)
{
    return &((const evloop_t *)state)->c;
}

const struct wl_evl_counters *wl_evloop_loop(const void *state)
{
    return wl_evl_counters(&((const evloop_t *)state)->ev);
}

const wl_app_t wl_app_evloop = {
    .name = "evloop",
    .params = wl_evloop_params,
    .state_size = sizeof(evloop_t),
    .start = evloop_start,
    .step = evloop_step,
    .stats = evloop_stats,
    .report = evloop_report,
};
