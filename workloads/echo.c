/* workloads/echo.c: a UDP echo server, written against the user ABI only
 * (kernel/include/pk.h, pk_ring.h), hosted as a parakernel process
 * (workloads/app.h).  Parameters: echo.h.
 *
 * Buffers.  start() carves buffers of max(2 KiB, info.rx_buf_min) bytes
 * from the heap [heap_base, + heap_size), per owned NIC queue up to
 * 2 x (rx_entries - 1): rx_entries - 1 are posted to the RX ring (a ring
 * keeps one slot empty), the others are spares, so a frame's slot is
 * refilled at once while the frame itself is still being transmitted
 * (as a DPDK mempool is larger than its rings).  A buffer belongs to one
 * queue for good.  Under pool mediation (info.mediation ==
 * PK_MEDIATE_POOL) all of them are registered as one pool first
 * (PK_OP_POOL_REGISTER, synchronously in start) and SQEs name them as
 * (pool id << 32 | index) with PK_SQE_POOL; under range mediation by
 * address.  start() also posts the RX rings full (before any traffic
 * may come: the platform starts the load when the cores are done with
 * boot and start).  The RX view gives buffer addresses (physical, both
 * modes: kernel/mediate.c), turned back into an index by arithmetic.
 *
 * The loop (one step):
 *   1. pop CQEs: a NET_TX completion frees its buffer (spare list of its
 *      queue); NET_TX refused with PK_EAGAIN (TX ring full) is queued
 *      again; other refusals are counted by code (stats.refused) and the
 *      buffer freed; a refused refill loses its buffer (counted).
 *   2. per queue, up to `burst` frames from pk_rx_next (while the SQ has
 *      room): check the headers (pk_load), swap source and destination
 *      MAC, IPv4 address and UDP port in place (pk_store) and NET_TX the
 *      buffer on the same queue (user_data = buffer index); anything
 *      else is counted and its buffer goes back to the spares;
 *   3. queued TX retries, then refills of free RX slots from the spares;
 *   4. publish the SQ and pk_enter with every unconsumed SQE (not only
 *      the new ones: a call that stopped early leaves some), which also
 *      harvests TX completions; with nothing to submit it enters only
 *      when a queue has no spare buffer left (lazy harvest: one system
 *      call per batch, not one more per transmit completion);
 *   5. pop CQEs again.
 * Checksums: swapping two 16-bit-word-aligned fields leaves a one's
 * complement sum unchanged (RFC 1071 sums commute; RFC 1624 incremental
 * update with a zero difference), so the IPv4 header checksum and the UDP
 * checksum (whose pseudo-header holds both addresses) stay valid as they
 * are: nothing to recompute.  The server does not verify the IPv4
 * checksum (NICs offload that; the client verifies responses).
 *
 * Returns WL_STEP_BUSY when work remains (a burst limit hit, SQEs the
 * kernel did not take, refills to post, TX retries -- unless the TX ring
 * was full and nothing of it was freed in this step: then the TX
 * write-back ends a poll -- or every buffer of a queue out of its RX ring
 * while transmits are unharvested) and the step made progress or spent
 * time; otherwise WL_STEP_POLL, or with wait=1 it blocks first in
 * pk_enter(0, 1, PK_ENTER_WAIT) (idle_wait).
 *
 * Costs (pk_charge; ids resolved in start; 1 cycle per simple
 * instruction or well-predicted compare-and-branch on a ~3 GHz core):
 *   per frame: mem.llc per 64-byte line of headers (the NIC's DMA put the
 *     frame in the LLC, DDIO: first touch by the core) and per RX
 *     descriptor line newly read (4 descriptors a line, written by the
 *     NIC); RX_CYCLES (8): posted-count compare, slot mask, DD test,
 *     length and shadow loads, index increment; FRAME_CYCLES (28): ~12
 *     header checks (MAC compare as two loads, EtherType, version/IHL,
 *     fragment, protocol, two length compares, port) and the swap as 6
 *     loads + 6 stores (MACs 6+6 B, IPs 4+4 B, ports 2+2 B), buffer index
 *     arithmetic (2);
 *   per SQE written: SQE_CYCLES (12): the SQ-full test (head load, an L1
 *     line the kernel wrote on this core), eight 8-byte stores of the
 *     64-byte SQE, tail increment;
 *   per CQE taken: CQE_CYCLES (10): tail load and compare, the 16-byte
 *     CQE load (an L1 line: the kernel wrote it on this core, ~4 cycles),
 *     user_data decode, head store.
 *
 * Invariants: every buffer is in exactly one place: posted to its RX
 * ring (counted in in_ring), in flight as a TX, queued for a TX retry, on
 * its queue's spare list, or lost (counted). */
#include "workloads/echo.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "workloads/app_int.h"

#define ECHO_MAX_BUFS 16384u /* uint16_t indices */
#define ECHO_BUF_MIN 2048u
#define ECHO_BURST_DEFAULT 32u
#define ECHO_BURST_MAX 1024u
#define WAIT_ROUNDS 4
#define ECHO_UD_TAG (UINT64_C(0xEC40) << 48)
#define ECHO_UD_REGISTER (ECHO_UD_TAG | UINT64_C(0xFFFFFFFF))
#define HDR_LOAD 96u /* Ethernet + the longest IPv4 header + UDP = 82 */
#define LINE 64u

#define RX_CYCLES 8u
#define FRAME_CYCLES 28u
#define SQE_CYCLES 12u
#define CQE_CYCLES 10u

typedef struct echo {
    struct pk_ring r;
    int c_llc, c_cycle;
    bool wait, pool;
    unsigned burst;
    uint16_t port;
    uint64_t pool_id;
    uint64_t buf_base;
    uint32_t buf_size, nbufs, per_q, nq;
    unsigned buf_shift;                    /* log2(buf_size), or 0: not a power of 2 */
    uint64_t per_q_m;                      /* idx / per_q by multiplication (queue_of) */
    uint32_t tx_inflight;
    unsigned step_tx_done, step_tx_again; /* this step: TX completions, PK_EAGAINs */
    uint32_t in_ring[PK_MAX_NIC_QUEUES];   /* buffers posted (or queued to be) */
    uint32_t nfree[PK_MAX_NIC_QUEUES];     /* spare stack depth */
    uint32_t txq_head[PK_MAX_NIC_QUEUES], txq_n[PK_MAX_NIC_QUEUES]; /* retry FIFO */
    uint16_t len[ECHO_MAX_BUFS];           /* frame length of a buffer in TX */
    uint16_t spare[ECHO_MAX_BUFS];         /* queue qi: [qi * per_q, + nfree) */
    uint16_t txq[ECHO_MAX_BUFS];           /* queue qi: ring at qi * per_q */
    wl_app_stats_t st;
    wl_echo_counters_t c;
} echo_t;

static const char *const echo_params[] = {
    "wait: 1 to block in pk_enter(PK_ENTER_WAIT) when idle, 0 to poll (default 0)",
    "burst: frames read per queue per step, 1..1024 (default 32)",
    "port: serve only this UDP destination port (default: any)",
    NULL,
};

/* ---------------------------------------------------------------- ring helpers */

static unsigned sq_room(const echo_t *e)
{
    return e->r.info.sq_entries - (e->r.sq_tail - pk_sq_head(&e->r));
}

static void push(echo_t *e, uint8_t op, unsigned qi, uint32_t idx, uint32_t len)
{
    struct pk_sqe s = {
        .opcode = op,
        .queue = e->r.info.nic_queue[qi],
        .len = len,
        .user_data = ECHO_UD_TAG | idx,
    };
    if (e->pool) {
        s.flags = PK_SQE_POOL;
        s.addr = e->pool_id << 32 | idx;
    } else {
        s.addr = e->buf_base + (uint64_t)idx * e->buf_size;
    }
    pk_sq_push(&e->r, &s); /* callers checked sq_room */
    pk_charge_fast(e->c_cycle, SQE_CYCLES);
}

/* The queue a buffer belongs to, idx / per_q, without a divide (several
 * per frame, and a 32-bit divide costs tens of cycles): for 32-bit n and
 * d >= 2, n / d = (M * n) >> 64 with M = floor((2^64 - 1) / d) + 1
 * (Lemire, Kaser and Kurz, "Faster remainder by direct computation",
 * 2019).  per_q_m = 0: divide. */
static unsigned queue_of(const echo_t *e, uint32_t idx)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    if (e->per_q_m)
        return (unsigned)(((u128)e->per_q_m * idx) >> 64);
#endif
    return idx / e->per_q;
}

/* Transmitted buffers are needed back now: a queue has no spare left. */
static bool need_harvest(const echo_t *e)
{
    if (!e->tx_inflight)
        return false;
    for (unsigned qi = 0; qi < e->nq; qi++)
        if (e->nfree[qi] == 0)
            return true;
    return false;
}

/* Publish the SQ and enter with everything not yet consumed.  With
 * nothing to submit, enter only to wait or to get buffers back: TX
 * completions are otherwise harvested by the next call that submits. */
static int submit(echo_t *e, unsigned min_complete, unsigned flags)
{
    if (e->r.sq_tail != e->r.sq_published) {
        pk_store_fast(e->r.info.sq + PK_RING_TAIL, &e->r.sq_tail, sizeof e->r.sq_tail);
        e->r.sq_published = e->r.sq_tail;
    }
    unsigned pending = e->r.sq_tail - pk_sq_head(&e->r);
    if (!pending && !flags && !need_harvest(e))
        return 0;
    int rc = pk_enter(pending, min_complete, flags);
    if (rc < 0 && -rc < 32)
        e->st.refused[-rc]++;
    return rc;
}

static void free_buf(echo_t *e, uint32_t idx)
{
    unsigned qi = queue_of(e, idx);
    e->spare[qi * e->per_q + e->nfree[qi]++] = (uint16_t)idx;
}

/* The TX retry FIFO of queue qi: per_q slots at qi * per_q (a buffer is
 * in it at most once, so it never overflows). */
static void txq_put(echo_t *e, unsigned qi, uint32_t idx)
{
    uint32_t at = e->txq_head[qi] + e->txq_n[qi]++;
    e->txq[qi * e->per_q + (at >= e->per_q ? at - e->per_q : at)] = (uint16_t)idx;
}

static uint32_t txq_take(echo_t *e, unsigned qi)
{
    uint32_t idx = e->txq[qi * e->per_q + e->txq_head[qi]];
    e->txq_head[qi] = e->txq_head[qi] + 1 == e->per_q ? 0 : e->txq_head[qi] + 1;
    e->txq_n[qi]--;
    return idx;
}

/* ---------------------------------------------------------------- completions */

static void on_cqe(echo_t *e, const struct pk_cqe *c)
{
    uint32_t idx = (uint32_t)c->user_data;
    pk_charge_fast(e->c_cycle, CQE_CYCLES);
    if ((c->user_data & ~UINT64_C(0xFFFFFFFF)) != ECHO_UD_TAG || idx >= e->nbufs) {
        e->c.bad_cqe++;
        return;
    }
    if (c->res < 0 && -c->res < 32)
        e->st.refused[-c->res]++;
    unsigned qi = queue_of(e, idx);
    switch (c->flags & 0xffu) {
    case PK_OP_NET_TX:
        if (c->res == -PK_EAGAIN) { /* TX ring full: send it again */
            e->c.tx_retries++;
            e->step_tx_again++;
            txq_put(e, qi, idx);
            return;
        }
        e->tx_inflight--;
        e->step_tx_done++;
        if (c->res >= 0)
            e->st.tx_frames++;
        free_buf(e, idx);
        return;
    case PK_OP_NET_RX_REFILL: /* only refusals complete */
        e->in_ring[qi]--;
        e->c.lost_bufs++;
        return;
    default:
        e->c.bad_cqe++;
        return;
    }
}

static unsigned drain_cq(echo_t *e)
{
    struct pk_cqe c;
    unsigned n = 0;
    while (pk_cq_pop(&e->r, &c) == 0) {
        on_cqe(e, &c);
        n++;
    }
    return n;
}

/* TX retries, then refills of free RX slots from the spares. */
static void flush_pending(echo_t *e, unsigned *room)
{
    uint32_t cap = e->r.info.rx_entries - 1;
    for (unsigned qi = 0; qi < e->nq; qi++) {
        while (e->txq_n[qi] && *room) {
            uint32_t idx = txq_take(e, qi);
            push(e, PK_OP_NET_TX, qi, idx, e->len[idx]);
            (*room)--;
        }
        while (e->in_ring[qi] < cap && e->nfree[qi] && *room) {
            uint32_t idx = e->spare[qi * e->per_q + --e->nfree[qi]];
            push(e, PK_OP_NET_RX_REFILL, qi, idx, e->buf_size);
            e->in_ring[qi]++;
            (*room)--;
        }
    }
}

/* Queued work for the next step.  A TX retry waits for a poll instead
 * when this step saw the TX ring full and freed nothing of it: the TX
 * write-back that frees a slot ends the poll (the kernel watches the TX
 * rings), and spinning would not let simulated time pass under a zero
 * cost profile. */
static bool pending(const echo_t *e)
{
    uint32_t cap = e->r.info.rx_entries - 1;
    bool tx_blocked = e->step_tx_again && !e->step_tx_done;
    for (unsigned qi = 0; qi < e->nq; qi++) {
        if (e->txq_n[qi] && !tx_blocked)
            return true;
        if (e->in_ring[qi] < cap && e->nfree[qi])
            return true;
    }
    return false;
}

static bool retries_queued(const echo_t *e)
{
    for (unsigned qi = 0; qi < e->nq; qi++)
        if (e->txq_n[qi])
            return true;
    return false;
}

/* ---------------------------------------------------------------- frames */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Swap two disjoint n-byte fields, n a constant <= 8 (the copies become
 * single moves, not a byte loop). */
#define SWAP_BYTES(a, b, n)                                                                        \
    do {                                                                                           \
        uint8_t t_[8];                                                                             \
        memcpy(t_, (a), (n));                                                                      \
        memcpy((a), (b), (n));                                                                     \
        memcpy((b), t_, (n));                                                                      \
    } while (0)

/* Check the headers in h (n bytes loaded of a len-byte frame) and swap
 * them for the reply (echo.h). */
int wl_echo_reply_headers(uint8_t *h, uint32_t n, uint32_t len, const uint8_t mac[6],
                          uint16_t port, uint32_t *hdr)
{
    if (len < 42 || n < 42)
        return WL_ECHO_DROP_RUNT;
    if (memcmp(h, mac, 6))
        return WL_ECHO_DROP_MAC;
    uint8_t *ip = h + 14;
    if (be16(h + 12) != 0x0800 || ip[0] >> 4 != 4)
        return WL_ECHO_DROP_NOT_IPV4;
    uint32_t ihl = (ip[0] & 0x0fu) * 4u, total = be16(ip + 2);
    if (ihl < 20 || 14 + ihl + 8 > n || total < ihl + 8 || 14 + total > len ||
        (be16(ip + 6) & 0x3fffu))
        return WL_ECHO_DROP_BAD_IP;
    if (ip[9] != 17)
        return WL_ECHO_DROP_NOT_UDP;
    uint8_t *udp = ip + ihl;
    uint16_t ulen = be16(udp + 4);
    if (ulen < 8 || ulen > total - ihl)
        return WL_ECHO_DROP_BAD_IP;
    if (port && be16(udp + 2) != port)
        return WL_ECHO_DROP_PORT;
    SWAP_BYTES(h, h + 6, 6);        /* MACs: the source becomes ours */
    SWAP_BYTES(ip + 12, ip + 16, 4); /* IPv4 addresses */
    SWAP_BYTES(udp, udp + 2, 2);     /* UDP ports */
    *hdr = 14 + ihl + 8;
    return -1;
}

/* One received frame in buffer idx: echo it (0) or drop it (-1). */
static int echo_frame(echo_t *e, unsigned qi, uint32_t idx, uint64_t buf, uint32_t len)
{
    uint8_t h[HDR_LOAD];
    uint32_t n = len < HDR_LOAD ? len : HDR_LOAD, hdr = 0;
    pk_charge_fast(e->c_cycle, FRAME_CYCLES);
    if (pk_load_fast(buf, h, n) < 0) {
        e->st.faults++;
        return -1;
    }
    int why = wl_echo_reply_headers(h, n, len, e->r.info.mac, e->port, &hdr);
    uint32_t touched = hdr ? hdr : (n < 42 ? n : 42);
    pk_charge_fast(e->c_llc, touched ? (touched + LINE - 1) / LINE : 1);
    if (why >= 0) {
        e->c.dropped[why]++;
        return -1;
    }
    if (pk_store_fast(buf, h, hdr) < 0) {
        e->st.faults++;
        return -1;
    }
    e->len[idx] = (uint16_t)len;
    push(e, PK_OP_NET_TX, qi, idx, len);
    e->tx_inflight++;
    e->st.requests++;
    return 0;
}

/* Buffer index of an address the RX view gave, or -1. */
static int64_t buf_index(const echo_t *e, unsigned qi, uint64_t buf)
{
    if (buf < e->buf_base)
        return -1;
    uint64_t off = buf - e->buf_base, idx;
    if (e->buf_shift) { /* the usual 2 KiB: no divide */
        if (off & (e->buf_size - 1))
            return -1;
        idx = off >> e->buf_shift;
    } else {
        if (off % e->buf_size)
            return -1;
        idx = off / e->buf_size;
    }
    return idx < e->nbufs && queue_of(e, (uint32_t)idx) == qi ? (int64_t)idx : -1;
}

/* Up to burst frames of queue qi; *more when the burst or the SQ ran out. */
static unsigned rx_queue(echo_t *e, unsigned qi, unsigned *room, bool *more)
{
    unsigned n = 0;
    while (n < e->burst) {
        uint64_t buf = 0;
        uint32_t len = 0;
        if (!*room) {
            *more = true;
            return n;
        }
        if (pk_rx_next(&e->r, qi, &buf, &len) < 0)
            return n;
        uint32_t ents = e->r.info.rx_entries, slot = e->r.rx_next[qi] - 1;
        slot = ents & (ents - 1) ? slot % ents : slot & (ents - 1); /* no divide: a power of 2 */
        if (n == 0 || slot % (LINE / PK_RXD_BYTES) == 0)
            pk_charge_fast(e->c_llc, 1); /* a descriptor line the NIC wrote */
        pk_charge_fast(e->c_cycle, RX_CYCLES);
        n++;
        e->st.rx_frames++;
        e->in_ring[qi]--;
        int64_t idx = buf_index(e, qi, buf);
        if (idx < 0) {
            e->c.bad_rx++;
            continue;
        }
        if (echo_frame(e, qi, (uint32_t)idx, buf, len) == 0)
            (*room)--;
        else
            free_buf(e, (uint32_t)idx);
    }
    *more = true;
    return n;
}

/* Every buffer of a queue is out of its ring while transmits are not
 * harvested: frames would be dropped silently (nothing would end a poll
 * if the platform did not watch the TX rings). */
static bool starving(const echo_t *e)
{
    if (!e->tx_inflight)
        return false;
    for (unsigned qi = 0; qi < e->nq; qi++)
        if (e->in_ring[qi] == 0 && e->nfree[qi] == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------- step */

/* wait=1 and nothing to do: block until a completion or a frame.  The
 * kernel does not block when a completion is ready (its wait harvests TX
 * completions first), so take those and wait again -- a few times at
 * most: each round is a system call.  A CQ still empty after the call
 * means it blocked (or a frame is there: the next step reads it). */
static wl_step_t idle_wait(echo_t *e)
{
    for (int round = 0; round < WAIT_ROUNDS; round++) {
        submit(e, 1, PK_ENTER_WAIT);
        if (!drain_cq(e))
            return WL_STEP_POLL;
        if (pending(e) || retries_queued(e))
            return WL_STEP_BUSY;
    }
    return WL_STEP_POLL;
}

static wl_step_t echo_step(void *state)
{
    echo_t *e = state;
    uint64_t t0 = pk_now();
    e->step_tx_done = e->step_tx_again = 0;
    unsigned progress = drain_cq(e);
    unsigned room = sq_room(e);
    bool more = false;
    for (unsigned qi = 0; qi < e->nq; qi++)
        progress += rx_queue(e, qi, &room, &more);
    flush_pending(e, &room);
    int rc = submit(e, 0, 0);
    if (rc > 0)
        progress += (unsigned)rc;
    progress += drain_cq(e);
    more |= e->r.sq_tail != pk_sq_head(&e->r) || pending(e) || starving(e);
    if (more && (progress || pk_now() > t0))
        return WL_STEP_BUSY;
    if (e->wait && !more && !retries_queued(e)) /* retries: the TX write-back ends a poll */
        return idle_wait(e);
    return WL_STEP_POLL;
}

/* ---------------------------------------------------------------- start */

static int fail(char *err, size_t errlen, const char *msg, int code)
{
    if (code)
        snprintf(err, errlen, "echo: %s: %s", msg, pk_err_name(code));
    else
        snprintf(err, errlen, "echo: %s", msg);
    return -1;
}

/* PK_OP_POOL_REGISTER for all buffers, synchronously: 0 or -1. */
static int register_pool(echo_t *e, char *err, size_t errlen)
{
    struct pk_sqe s = {
        .opcode = PK_OP_POOL_REGISTER,
        .addr = e->buf_base,
        .user_data = ECHO_UD_REGISTER,
        .u.pool = {.buf_size = e->buf_size, .count = e->nbufs},
    };
    if (pk_sq_push(&e->r, &s) < 0)
        return fail(err, errlen, "the SQ is full at start", 0);
    int rc = pk_submit(&e->r, 0, 0);
    if (rc < 0)
        return fail(err, errlen, "pk_enter refused the pool registration", -rc);
    struct pk_cqe c;
    while (pk_cq_pop(&e->r, &c) == 0) {
        if (c.user_data != ECHO_UD_REGISTER)
            continue;
        if (c.res < 0)
            return fail(err, errlen, "pool registration refused", -c.res);
        e->pool_id = (uint64_t)c.res;
        return 0;
    }
    return fail(err, errlen, "pool registration did not complete", 0);
}

/* Fill every RX ring before traffic may come (as many rounds as the SQ
 * needs; a refused refill loses its buffer, so this ends).  0 or -1. */
static int post_rx(echo_t *e, char *err, size_t errlen)
{
    uint32_t cap = e->r.info.rx_entries - 1;
    for (;;) {
        bool left = false;
        for (unsigned qi = 0; qi < e->nq; qi++)
            left |= e->in_ring[qi] < cap && e->nfree[qi];
        if (!left)
            return 0;
        unsigned room = sq_room(e);
        flush_pending(e, &room);
        int rc = submit(e, 0, 0);
        drain_cq(e);
        if (rc < 0)
            return fail(err, errlen, "posting the RX buffers", -rc);
        if (rc == 0)
            return fail(err, errlen, "posting the RX buffers: the kernel took no SQE", 0);
    }
}

static int parse_params(echo_t *e, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    uint64_t wait, burst, port;
    if (wl_param_u64("echo", p, n, "wait", 0, 0, 1, &wait, NULL, err, errlen) < 0 ||
        wl_param_u64("echo", p, n, "burst", ECHO_BURST_DEFAULT, 1, ECHO_BURST_MAX, &burst, NULL,
                     err, errlen) < 0 ||
        wl_param_u64("echo", p, n, "port", 0, 1, 65535, &port, NULL, err, errlen) < 0)
        return -1;
    e->wait = wait;
    e->burst = (unsigned)burst;
    e->port = (uint16_t)port;
    return 0;
}

/* Carve the buffers: 0 or -1. */
static int carve(echo_t *e, char *err, size_t errlen)
{
    const struct pk_info *in = &e->r.info;
    e->nq = in->nic_queues;
    if (e->nq == 0 || e->nq > PK_MAX_NIC_QUEUES || in->rx_entries < 2)
        return fail(err, errlen, "the process owns no usable NIC queue", 0);
    e->buf_size = in->rx_buf_min > ECHO_BUF_MIN ? (in->rx_buf_min + LINE - 1) / LINE * LINE
                                                : ECHO_BUF_MIN;
    e->buf_base = (in->heap_base + ECHO_BUF_MIN - 1) / ECHO_BUF_MIN * ECHO_BUF_MIN;
    uint64_t end = in->heap_base + in->heap_size;
    uint64_t fit = end > e->buf_base ? (end - e->buf_base) / e->buf_size / e->nq : 0;
    uint64_t want = 2 * (uint64_t)(in->rx_entries - 1);
    if (fit > want)
        fit = want;
    if (fit > ECHO_MAX_BUFS / e->nq)
        fit = ECHO_MAX_BUFS / e->nq;
    if (fit == 0)
        return fail(err, errlen, "the heap cannot hold one buffer per queue", 0);
    e->per_q = (uint32_t)fit;
    e->nbufs = e->per_q * e->nq;
    e->per_q_m = e->per_q >= 2 ? UINT64_MAX / e->per_q + 1 : 0;
    e->buf_shift = 0;
    if (!(e->buf_size & (e->buf_size - 1)))
        while ((1u << e->buf_shift) < e->buf_size)
            e->buf_shift++;
    e->c.buffers = e->nbufs;
    e->c.per_queue = e->per_q;
    for (uint32_t i = 0; i < e->nbufs; i++)
        free_buf(e, i);
    return 0;
}

static int echo_start(void *state, const wl_param_t *params, size_t nparams, char *err,
                      size_t errlen)
{
    echo_t *e = state;
    if (pk_ring_init(&e->r) < 0)
        return fail(err, errlen, "no info block of this ABI version", 0);
    e->c_llc = pk_cost("mem.llc");
    e->c_cycle = pk_cost("cpu.cycle");
    if (e->c_llc < 0 || e->c_cycle < 0)
        return fail(err, errlen, "the cost table lacks mem.llc or cpu.cycle", 0);
    if (parse_params(e, params, nparams, err, errlen) < 0 || carve(e, err, errlen) < 0)
        return -1;
    e->pool = e->r.info.mediation == PK_MEDIATE_POOL;
    if (e->pool && register_pool(e, err, errlen) < 0)
        return -1;
    return post_rx(e, err, errlen);
}

static void echo_stats(const void *state, wl_app_stats_t *out)
{
    *out = ((const echo_t *)state)->st;
}

const wl_echo_counters_t *wl_echo_counters(const void *state)
{
    return &((const echo_t *)state)->c;
}

const char *wl_echo_drop_name(wl_echo_drop_t d)
{
    static const char *const names[WL_ECHO_DROP_KINDS] = {
        [WL_ECHO_DROP_RUNT] = "runt",         [WL_ECHO_DROP_MAC] = "not_our_mac",
        [WL_ECHO_DROP_NOT_IPV4] = "not_ipv4", [WL_ECHO_DROP_NOT_UDP] = "not_udp",
        [WL_ECHO_DROP_BAD_IP] = "bad_ip",     [WL_ECHO_DROP_PORT] = "other_port",
    };
    return (unsigned)d < WL_ECHO_DROP_KINDS ? names[d] : "?";
}

/* requests echoed, frames not echoed by reason, and the loop's troubles. */
static void echo_report(const void *state, wl_report_t *r)
{
    const echo_t *e = state;
    wl_report_u64(r, "echoed", e->st.requests);
    for (int d = 0; d < WL_ECHO_DROP_KINDS; d++) {
        char key[WL_REPORT_KEY];
        snprintf(key, sizeof key, "not_echoed.%s", wl_echo_drop_name((wl_echo_drop_t)d));
        wl_report_u64(r, key, e->c.dropped[d]);
    }
    wl_report_u64(r, "tx_retries", e->c.tx_retries);
    wl_report_u64(r, "lost_bufs", e->c.lost_bufs);
    wl_report_u64(r, "buffers", e->c.buffers);
}

const wl_app_t wl_app_echo = {
    .name = "echo",
    .params = echo_params,
    .state_size = sizeof(echo_t),
    .start = echo_start,
    .step = echo_step,
    .stats = echo_stats,
    .report = echo_report,
};
