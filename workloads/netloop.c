/* workloads/netloop.c: the receive-answer-transmit loop of a server
 * process (workloads/netloop.h has the contract; the scheme is echo's,
 * workloads/echo.c).
 *
 * Invariants: every buffer is in exactly one place: posted to its RX ring
 * (counted in in_ring), in flight as a TX, queued for a TX retry, on its
 * queue's spare list, or lost (counted). */
#include "workloads/netloop.h"

#include <stdio.h>
#include <string.h>

#define BUF_MIN 2048u
#define WAIT_ROUNDS 4
#define UD_TAG (UINT64_C(0x4E4C) << 48)
#define UD_SYNC (UD_TAG | UINT64_C(0xFFFFFFFF))
#define LINE 64u

#define SQE_CYCLES 12u
#define CQE_CYCLES 10u

static int fail(const wl_nl_t *n, char *err, size_t errlen, const char *msg, int code)
{
    if (code)
        snprintf(err, errlen, "%s: %s: %s", n->app, msg, pk_err_name(code));
    else
        snprintf(err, errlen, "%s: %s", n->app, msg);
    return -1;
}

/* ---------------------------------------------------------------- ring helpers */

static unsigned sq_room(const wl_nl_t *n)
{
    return n->r.info.sq_entries - (n->r.sq_tail - pk_sq_head(&n->r));
}

static void push(wl_nl_t *n, uint8_t op, unsigned qi, uint32_t idx, uint32_t len)
{
    struct pk_sqe s = {
        .opcode = op,
        .queue = n->r.info.nic_queue[qi],
        .len = len,
        .user_data = UD_TAG | idx,
    };
    if (n->pool) {
        s.flags = PK_SQE_POOL;
        s.addr = n->pool_id << 32 | idx;
    } else {
        s.addr = n->buf_base + (uint64_t)idx * n->buf_size;
    }
    pk_sq_push(&n->r, &s); /* callers checked sq_room */
    pk_charge_fast(n->c_cycle, SQE_CYCLES);
}

/* idx / per_q without a divide (Lemire, Kaser and Kurz 2019: for 32-bit
 * idx and per_q >= 2, (M * idx) >> 64 with M = floor((2^64-1)/per_q) + 1). */
static unsigned queue_of(const wl_nl_t *n, uint32_t idx)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    if (n->per_q_m)
        return (unsigned)(((u128)n->per_q_m * idx) >> 64);
#endif
    return idx / n->per_q;
}

static bool need_harvest(const wl_nl_t *n)
{
    if (!n->tx_inflight)
        return false;
    for (unsigned qi = 0; qi < n->nq; qi++)
        if (n->nfree[qi] == 0)
            return true;
    return false;
}

/* Publish the SQ and enter with everything not yet consumed; with
 * nothing to submit, only to wait or to get buffers back. */
static int submit(wl_nl_t *n, unsigned min_complete, unsigned flags)
{
    if (n->r.sq_tail != n->r.sq_published) {
        pk_store_fast(n->r.info.sq + PK_RING_TAIL, &n->r.sq_tail, sizeof n->r.sq_tail);
        n->r.sq_published = n->r.sq_tail;
    }
    unsigned pending = n->r.sq_tail - pk_sq_head(&n->r);
    if (!pending && !flags && !need_harvest(n))
        return 0;
    int rc = pk_enter(pending, min_complete, flags);
    if (rc < 0 && -rc < 32)
        n->st.refused[-rc]++;
    return rc;
}

static void free_buf(wl_nl_t *n, uint32_t idx)
{
    unsigned qi = queue_of(n, idx);
    n->spare[qi * n->per_q + n->nfree[qi]++] = (uint16_t)idx;
}

static void txq_put(wl_nl_t *n, unsigned qi, uint32_t idx)
{
    uint32_t at = n->txq_head[qi] + n->txq_n[qi]++;
    n->txq[qi * n->per_q + (at >= n->per_q ? at - n->per_q : at)] = (uint16_t)idx;
}

static uint32_t txq_take(wl_nl_t *n, unsigned qi)
{
    uint32_t idx = n->txq[qi * n->per_q + n->txq_head[qi]];
    n->txq_head[qi] = n->txq_head[qi] + 1 == n->per_q ? 0 : n->txq_head[qi] + 1;
    n->txq_n[qi]--;
    return idx;
}

/* ---------------------------------------------------------------- completions */

static void on_cqe(wl_nl_t *n, const struct pk_cqe *c)
{
    uint32_t idx = (uint32_t)c->user_data;
    pk_charge_fast(n->c_cycle, CQE_CYCLES);
    if ((c->user_data & ~UINT64_C(0xFFFFFFFF)) != UD_TAG || idx >= n->nbufs) {
        n->c.bad_cqe++;
        return;
    }
    if (c->res < 0 && -c->res < 32)
        n->st.refused[-c->res]++;
    unsigned qi = queue_of(n, idx);
    switch (c->flags & 0xffu) {
    case PK_OP_NET_TX:
        if (c->res == -PK_EAGAIN) {
            n->c.tx_retries++;
            n->step_tx_again++;
            txq_put(n, qi, idx);
            return;
        }
        n->tx_inflight--;
        n->step_tx_done++;
        if (c->res >= 0)
            n->st.tx_frames++;
        free_buf(n, idx);
        return;
    case PK_OP_NET_RX_REFILL: /* only refusals complete */
        n->in_ring[qi]--;
        n->c.lost_bufs++;
        return;
    default:
        n->c.bad_cqe++;
        return;
    }
}

static unsigned drain_cq(wl_nl_t *n)
{
    struct pk_cqe c;
    unsigned k = 0;
    while (pk_cq_pop(&n->r, &c) == 0) {
        on_cqe(n, &c);
        k++;
    }
    return k;
}

static void flush_pending(wl_nl_t *n, unsigned *room)
{
    uint32_t cap = n->r.info.rx_entries - 1;
    for (unsigned qi = 0; qi < n->nq; qi++) {
        while (n->txq_n[qi] && *room) {
            uint32_t idx = txq_take(n, qi);
            push(n, PK_OP_NET_TX, qi, idx, n->len[idx]);
            (*room)--;
        }
        while (n->in_ring[qi] < cap && n->nfree[qi] && *room) {
            uint32_t idx = n->spare[qi * n->per_q + --n->nfree[qi]];
            push(n, PK_OP_NET_RX_REFILL, qi, idx, n->buf_size);
            n->in_ring[qi]++;
            (*room)--;
        }
    }
}

/* Queued work for the next step; a TX retry waits for a poll when this
 * step saw the TX ring full and freed nothing of it (the TX write-back
 * that frees a slot ends the poll). */
static bool pending(const wl_nl_t *n)
{
    uint32_t cap = n->r.info.rx_entries - 1;
    bool tx_blocked = n->step_tx_again && !n->step_tx_done;
    for (unsigned qi = 0; qi < n->nq; qi++) {
        if (n->txq_n[qi] && !tx_blocked)
            return true;
        if (n->in_ring[qi] < cap && n->nfree[qi])
            return true;
    }
    return false;
}

static bool retries_queued(const wl_nl_t *n)
{
    for (unsigned qi = 0; qi < n->nq; qi++)
        if (n->txq_n[qi])
            return true;
    return false;
}

static bool starving(const wl_nl_t *n)
{
    if (!n->tx_inflight)
        return false;
    for (unsigned qi = 0; qi < n->nq; qi++)
        if (n->in_ring[qi] == 0 && n->nfree[qi] == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------- frames */

int64_t wl_nl_buf_index(uint64_t base, uint32_t size, unsigned shift, uint32_t nbufs, uint64_t buf)
{
    if (buf < base)
        return -1;
    uint64_t off = buf - base, idx;
    if (shift) { /* the usual 2 KiB: no divide */
        if (off & (size - 1))
            return -1;
        idx = off >> shift;
    } else {
        if (off % size)
            return -1;
        idx = off / size;
    }
    return idx < nbufs ? (int64_t)idx : -1;
}

static int64_t buf_index(const wl_nl_t *n, unsigned qi, uint64_t buf)
{
    int64_t idx = wl_nl_buf_index(n->buf_base, n->buf_size, n->buf_shift, n->nbufs, buf);
    return idx >= 0 && queue_of(n, (uint32_t)idx) == qi ? idx : -1;
}

static unsigned rx_queue(wl_nl_t *n, unsigned qi, unsigned *room, bool *more, wl_nl_frame_fn fn,
                         void *ctx)
{
    unsigned k = 0;
    uint32_t txmax = wl_nl_tx_max(n);
    while (k < n->burst) {
        uint64_t buf = 0;
        uint32_t len = 0;
        if (!*room) {
            *more = true;
            return k;
        }
        if (pk_rx_next(&n->r, qi, &buf, &len) < 0)
            return k;
        wl_nl_rx_charge(&n->r, qi, k == 0, n->c_llc, n->c_cycle);
        k++;
        n->st.rx_frames++;
        n->in_ring[qi]--;
        int64_t idx = buf_index(n, qi, buf);
        if (idx < 0) {
            n->c.bad_rx++;
            continue;
        }
        uint32_t tx = fn(ctx, qi, buf, len);
        if (tx == 0 || tx > txmax) {
            free_buf(n, (uint32_t)idx);
            continue;
        }
        n->len[idx] = (uint16_t)tx;
        push(n, PK_OP_NET_TX, qi, (uint32_t)idx, tx);
        n->tx_inflight++;
        n->st.requests++;
        (*room)--;
    }
    *more = true;
    return k;
}

/* ---------------------------------------------------------------- step */

static wl_step_t idle_wait(wl_nl_t *n)
{
    for (int round = 0; round < WAIT_ROUNDS; round++) {
        submit(n, 1, PK_ENTER_WAIT);
        if (!drain_cq(n))
            return WL_STEP_POLL;
        if (pending(n) || retries_queued(n))
            return WL_STEP_BUSY;
    }
    return WL_STEP_POLL;
}

wl_step_t wl_nl_step(wl_nl_t *n, wl_nl_frame_fn fn, void *ctx)
{
    uint64_t t0 = pk_now();
    n->step_tx_done = n->step_tx_again = 0;
    unsigned progress = drain_cq(n);
    unsigned room = sq_room(n);
    bool more = false;
    for (unsigned qi = 0; qi < n->nq; qi++)
        progress += rx_queue(n, qi, &room, &more, fn, ctx);
    flush_pending(n, &room);
    int rc = submit(n, 0, 0);
    if (rc > 0)
        progress += (unsigned)rc;
    progress += drain_cq(n);
    more |= n->r.sq_tail != pk_sq_head(&n->r) || pending(n) || starving(n);
    if (more && (progress || pk_now() > t0))
        return WL_STEP_BUSY;
    if (n->wait && !more && !retries_queued(n))
        return idle_wait(n);
    return WL_STEP_POLL;
}

uint32_t wl_nl_tx_max(const wl_nl_t *n)
{
    uint32_t m = n->r.info.tx_len_max;
    return m && m < n->buf_size ? m : n->buf_size;
}

/* ---------------------------------------------------------------- start */

int wl_nl_open(wl_nl_t *n, const char *app, char *err, size_t errlen)
{
    n->app = app;
    if (pk_ring_init(&n->r) < 0)
        return fail(n, err, errlen, "no info block of this ABI version", 0);
    n->c_llc = pk_cost("mem.llc");
    n->c_cycle = pk_cost("cpu.cycle");
    if (n->c_llc < 0 || n->c_cycle < 0)
        return fail(n, err, errlen, "the cost table lacks mem.llc or cpu.cycle", 0);
    n->pool = n->r.info.mediation == PK_MEDIATE_POOL;
    return 0;
}

int wl_nl_await(struct pk_ring *r, const char *app, uint64_t ud, const char *what, int32_t *res,
                char *err, size_t errlen)
{
    struct pk_cqe c;
    while (pk_cq_pop(r, &c) == 0) {
        if (c.user_data != ud)
            continue;
        *res = c.res;
        return 0;
    }
    snprintf(err, errlen, "%s: %s did not complete", app, what);
    return -1;
}

int wl_nl_sync(wl_nl_t *n, const struct pk_sqe *s, const char *what, int32_t *res, char *err,
               size_t errlen)
{
    struct pk_sqe q = *s;
    q.user_data = UD_SYNC;
    char msg[96];
    if (pk_sq_push(&n->r, &q) < 0) {
        snprintf(msg, sizeof msg, "%s: the SQ is full", what);
        return fail(n, err, errlen, msg, 0);
    }
    int rc = pk_submit(&n->r, 0, 0);
    if (rc < 0) {
        snprintf(msg, sizeof msg, "pk_enter refused %s", what);
        return fail(n, err, errlen, msg, -rc);
    }
    return wl_nl_await(&n->r, n->app, UD_SYNC, what, res, err, errlen);
}

struct pk_sqe wl_nl_pool_sqe(uint64_t base, uint32_t buf_size, uint32_t count)
{
    struct pk_sqe s = {
        .opcode = PK_OP_POOL_REGISTER,
        .addr = base,
        .u.pool = {.buf_size = buf_size, .count = count},
    };
    return s;
}

uint32_t wl_nl_buf_size(const struct pk_info *in)
{
    return in->rx_buf_min > BUF_MIN ? (in->rx_buf_min + LINE - 1) / LINE * LINE : BUF_MIN;
}

unsigned wl_nl_buf_shift(uint32_t size)
{
    unsigned shift = 0;
    if (!(size & (size - 1)))
        while ((1u << shift) < size)
            shift++;
    return shift;
}

uint64_t wl_nl_bytes(const wl_nl_t *n)
{
    const struct pk_info *in = &n->r.info;
    uint64_t per_q = in->rx_entries >= 2 ? 2 * (uint64_t)(in->rx_entries - 1) : 0;
    uint64_t nq = in->nic_queues ? in->nic_queues : 1;
    if (per_q > WL_NL_MAX_BUFS / nq)
        per_q = WL_NL_MAX_BUFS / nq;
    return per_q * nq * wl_nl_buf_size(in) + BUF_MIN;
}

static int register_pool(wl_nl_t *n, char *err, size_t errlen)
{
    struct pk_sqe s = wl_nl_pool_sqe(n->buf_base, n->buf_size, n->nbufs);
    int32_t res = 0;
    if (wl_nl_sync(n, &s, "the pool registration", &res, err, errlen) < 0)
        return -1;
    if (res < 0)
        return fail(n, err, errlen, "pool registration refused", -res);
    n->pool_id = (uint64_t)res;
    return 0;
}

int wl_nl_init(wl_nl_t *n, uint64_t base, uint64_t end, unsigned burst, bool wait, char *err,
               size_t errlen)
{
    const struct pk_info *in = &n->r.info;
    n->burst = burst;
    n->wait = wait;
    n->nq = in->nic_queues;
    if (burst < 1 || burst > WL_NL_BURST_MAX)
        return fail(n, err, errlen, "burst out of 1..1024", 0);
    if (n->nq == 0 || n->nq > PK_MAX_NIC_QUEUES || in->rx_entries < 2)
        return fail(n, err, errlen, "the process owns no usable NIC queue", 0);
    n->buf_size = wl_nl_buf_size(in);
    n->buf_base = (base + BUF_MIN - 1) / BUF_MIN * BUF_MIN;
    uint64_t fit = end > n->buf_base ? (end - n->buf_base) / n->buf_size / n->nq : 0;
    uint64_t want = 2 * (uint64_t)(in->rx_entries - 1);
    if (fit > want)
        fit = want;
    if (fit > WL_NL_MAX_BUFS / n->nq)
        fit = WL_NL_MAX_BUFS / n->nq;
    if (fit == 0)
        return fail(n, err, errlen, "no room left for one frame buffer per queue", 0);
    n->per_q = (uint32_t)fit;
    n->nbufs = n->per_q * n->nq;
    n->per_q_m = n->per_q >= 2 ? UINT64_MAX / n->per_q + 1 : 0;
    n->buf_shift = wl_nl_buf_shift(n->buf_size);
    n->c.buffers = n->nbufs;
    n->c.per_queue = n->per_q;
    for (uint32_t i = 0; i < n->nbufs; i++)
        free_buf(n, i);
    return n->pool ? register_pool(n, err, errlen) : 0;
}

int wl_nl_post_rx(wl_nl_t *n, char *err, size_t errlen)
{
    uint32_t cap = n->r.info.rx_entries - 1;
    for (;;) {
        bool left = false;
        for (unsigned qi = 0; qi < n->nq; qi++)
            left |= n->in_ring[qi] < cap && n->nfree[qi];
        if (!left)
            return 0;
        unsigned room = sq_room(n);
        flush_pending(n, &room);
        int rc = submit(n, 0, 0);
        drain_cq(n);
        if (rc < 0)
            return fail(n, err, errlen, "posting the RX buffers", -rc);
        if (rc == 0)
            return fail(n, err, errlen, "posting the RX buffers: the kernel took no SQE", 0);
    }
}
