/* workloads/attacker.c: the adversarial process of the isolation suite
 * (issue 4; the attacks, parameters and expected codes are listed in
 * attacker.h).
 *
 * Contract.  start() reads the info block, resolves its cost, parses the
 * parameters, carves its buffers from the heap (one for QUEUE, and
 * rx_entries + 1 for RING_FLOOD: distinct, as a real flood would use) and,
 * under pool mediation, registers them as one pool (synchronously).  Each
 * step then runs the next attack to its end -- every refusal completes
 * within the pk_enter that consumed the SQE (kernel/sys.c) -- records it,
 * and the step after the last one returns WL_STEP_EXIT.  An attack the
 * kernel takes without a completion (a refill it posted) is recorded as
 * res 0: the isolation suite fails on it, which is the point.
 *
 * Every completion with res < 0 is counted in stats.refused[-res] (so the
 * timer flood's cancelled timers count PK_ECANCELED too), and pk_enter's
 * own refusals (PK_ESQINDEX...) likewise.  The attacker never transmits:
 * NET_TX is not among its operations, so nothing it does reaches the wire.
 *
 * Costs: SQE_CYCLES (12) per SQE written (SQ-full test, eight 8-byte
 * stores, tail increment) and CQE_CYCLES (10) per completion taken (tail
 * compare, 16-byte load, decode, head store); see workloads/echo.c for
 * the same figures. */
#include "workloads/attacker.h"

#include <stdio.h>
#include <string.h>

#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "workloads/app_int.h"

#define ATK_TAG UINT64_C(0xA77A)
#define ATK_UD(atk, i) (ATK_TAG << 48 | (uint64_t)(atk) << 32 | (uint32_t)(i))
#define ATK_BUF 2048u
#define ATK_OPCODE 0xEEu
#define TIMER_NS UINT64_C(1000000000) /* 1 s: none fires before its cancel */
#define SQE_CYCLES 12u
#define CQE_CYCLES 10u

typedef struct attacker {
    struct pk_ring r;
    int c_cycle;
    bool pool;
    uint64_t pool_id;
    uint64_t foreign_addr, kernel_addr;
    bool has_foreign, has_kernel;
    uint16_t foreign_queue;
    uint64_t buf_base;
    uint32_t buf_len, nbufs;
    unsigned next;                 /* the next attack */
    wl_attack_report_t rep;
    wl_app_stats_t st;
} attacker_t;

static const char *const attacker_params[] = {
    "foreign_addr: an address inside another process's partition",
    "kernel_addr: an address inside the kernel's region",
    "foreign_queue: a NIC queue id that is not the attacker's (default: the lowest not owned)",
    NULL,
};

static const struct {
    const char *name;
    int code;
} attacks[WL_ATK_COUNT] = {
    [WL_ATK_FOREIGN] = {"FOREIGN", PK_EFOREIGN},
    [WL_ATK_KERNEL] = {"KERNEL", PK_EKERNEL},
    [WL_ATK_RING] = {"RING", PK_ERING},
    [WL_ATK_STRADDLE] = {"STRADDLE", PK_ESTRADDLE},
    [WL_ATK_OVERFLOW] = {"OVERFLOW", PK_EOVERFLOW},
    [WL_ATK_QUEUE] = {"QUEUE", PK_EQUEUE},
    [WL_ATK_OPCODE] = {"OPCODE", PK_EOPCODE},
    [WL_ATK_SQINDEX] = {"SQINDEX", PK_ESQINDEX},
    [WL_ATK_RING_FLOOD] = {"RING_FLOOD", PK_EAGAIN},
    [WL_ATK_TIMER_FLOOD] = {"TIMER_FLOOD", PK_ETIMERS},
    [WL_ATK_STEER] = {"STEER", PK_ESTEER},
};

const char *wl_attack_name(unsigned a)
{
    return a < WL_ATK_COUNT ? attacks[a].name : "?";
}

int wl_attack_expected(unsigned a)
{
    return a < WL_ATK_COUNT ? attacks[a].code : -1;
}

bool wl_attack_blocked(const wl_attack_report_t *r, unsigned a)
{
    return a < WL_ATK_COUNT && r->a[a].status == WL_ATK_DONE && r->a[a].res == -attacks[a].code;
}

/* ---------------------------------------------------------------- rings */

static void record(attacker_t *a, unsigned atk, int32_t res)
{
    a->rep.a[atk].status = WL_ATK_DONE;
    a->rep.a[atk].res = res;
}

static void count_refusal(attacker_t *a, int32_t res)
{
    if (res < 0 && -res < 32)
        a->st.refused[-res]++;
}

static unsigned sq_room(const attacker_t *a)
{
    return a->r.info.sq_entries - (a->r.sq_tail - pk_sq_head(&a->r));
}

static void push(attacker_t *a, const struct pk_sqe *s)
{
    pk_sq_push(&a->r, s); /* callers checked sq_room */
    pk_charge(a->c_cycle, SQE_CYCLES);
}

/* Publish and enter with every unconsumed SQE; pk_enter's result. */
static int submit(attacker_t *a)
{
    if (a->r.sq_tail != a->r.sq_published) {
        pk_store(a->r.info.sq + PK_RING_TAIL, &a->r.sq_tail, sizeof a->r.sq_tail);
        a->r.sq_published = a->r.sq_tail;
    }
    int rc = pk_enter(a->r.sq_tail - pk_sq_head(&a->r), 0, 0);
    count_refusal(a, rc);
    return rc;
}

static void on_cqe(attacker_t *a, const struct pk_cqe *c)
{
    pk_charge(a->c_cycle, CQE_CYCLES);
    count_refusal(a, c->res);
    unsigned atk = (unsigned)(c->user_data >> 32 & 0xffff), op = c->flags & 0xffu;
    if (c->user_data >> 48 != ATK_TAG || atk >= WL_ATK_COUNT) {
        a->rep.unexpected++;
        return;
    }
    if (atk == WL_ATK_RING_FLOOD) {
        a->rep.flood_refused++;
        record(a, atk, c->res);
    } else if (atk == WL_ATK_TIMER_FLOOD) {
        if (op == PK_OP_TIMER_CANCEL)
            a->rep.cancels_ok += c->res == 0;
        else if (c->res == -PK_ECANCELED)
            a->rep.timers_cancelled++;
        else {
            a->rep.timers_refused++;
            record(a, atk, c->res);
        }
    } else {
        record(a, atk, c->res);
    }
}

static unsigned drain(attacker_t *a)
{
    struct pk_cqe c;
    unsigned n = 0;
    while (pk_cq_pop(&a->r, &c) == 0) {
        on_cqe(a, &c);
        n++;
    }
    return n;
}

/* Submit n SQEs made by make(a, i, &sqe), in as many rounds as the SQ and
 * CQ need; stops when a round makes no progress.  SQEs made: returned. */
typedef void (*make_fn)(attacker_t *a, unsigned i, struct pk_sqe *s);
static unsigned run_batch(attacker_t *a, unsigned n, make_fn make)
{
    unsigned i = 0;
    for (;;) {
        for (unsigned room = sq_room(a); room && i < n; room--, i++) {
            struct pk_sqe s;
            memset(&s, 0, sizeof s);
            make(a, i, &s);
            push(a, &s);
        }
        int rc = submit(a);
        unsigned got = drain(a);
        bool idle = a->r.sq_tail == pk_sq_head(&a->r);
        if ((i == n && idle) || (rc <= 0 && got == 0))
            return i;
    }
}

/* ---------------------------------------------------------------- single attacks */

static uint64_t buf_addr(const attacker_t *a, uint32_t idx)
{
    return a->pool ? a->pool_id << 32 | idx : a->buf_base + (uint64_t)idx * a->buf_len;
}

/* One SQE, its completion recorded (res 0 if the kernel took it silently). */
static void single(attacker_t *a, unsigned atk, struct pk_sqe *s)
{
    s->user_data = ATK_UD(atk, 0);
    a->rep.a[atk].user_data = s->user_data;
    if (sq_room(a) == 0) {
        drain(a);
        submit(a);
    }
    push(a, s);
    int rc = submit(a);
    drain(a);
    if (a->rep.a[atk].status != WL_ATK_DONE)
        record(a, atk, rc < 0 ? rc : 0);
}

/* A buffer [addr, + ATK_BUF): a refill under range mediation, a pool
 * registration under pool mediation. */
static void buffer_attack(attacker_t *a, unsigned atk, uint64_t addr)
{
    struct pk_sqe s = {.addr = addr, .len = a->buf_len};
    if (a->pool) {
        s.opcode = PK_OP_POOL_REGISTER;
        s.len = 0;
        s.u.pool.buf_size = a->buf_len;
        s.u.pool.count = 1;
    } else {
        s.opcode = PK_OP_NET_RX_REFILL;
        s.queue = a->r.info.nic_queue[0];
    }
    single(a, atk, &s);
}

static void attack_sqindex(attacker_t *a)
{
    drain(a);
    uint32_t head = pk_sq_head(&a->r);
    uint32_t bad = head + a->r.info.sq_entries + 1;
    a->rep.a[WL_ATK_SQINDEX].user_data = ATK_UD(WL_ATK_SQINDEX, 0);
    pk_store(a->r.info.sq + PK_RING_TAIL, &bad, sizeof bad);
    int rc = pk_enter(1, 0, 0);
    count_refusal(a, rc);
    record(a, WL_ATK_SQINDEX, rc < 0 ? rc : 0);
    /* put the real tail back: the ring works again */
    pk_store(a->r.info.sq + PK_RING_TAIL, &a->r.sq_tail, sizeof a->r.sq_tail);
    drain(a);
}

/* ---------------------------------------------------------------- floods */

static void make_refill(attacker_t *a, unsigned i, struct pk_sqe *s)
{
    s->opcode = PK_OP_NET_RX_REFILL;
    s->flags = a->pool ? PK_SQE_POOL : 0;
    s->queue = a->r.info.nic_queue[0];
    s->addr = buf_addr(a, 1 + i); /* buffer 0 is the QUEUE attack's */
    s->len = a->buf_len;
    s->user_data = ATK_UD(WL_ATK_RING_FLOOD, i);
}

static void make_arm(attacker_t *a, unsigned i, struct pk_sqe *s)
{
    (void)a;
    s->opcode = PK_OP_TIMER_ARM;
    s->u.timer.ns = TIMER_NS;
    s->user_data = ATK_UD(WL_ATK_TIMER_FLOOD, i);
}

static void make_cancel(attacker_t *a, unsigned i, struct pk_sqe *s)
{
    (void)a;
    s->opcode = PK_OP_TIMER_CANCEL;
    s->user_data = ATK_UD(WL_ATK_TIMER_FLOOD, i);
}

static void attack_ring_flood(attacker_t *a)
{
    a->rep.a[WL_ATK_RING_FLOOD].user_data = ATK_UD(WL_ATK_RING_FLOOD, 0);
    a->rep.flood_sent = run_batch(a, a->r.info.rx_entries + 1, make_refill);
    if (a->rep.a[WL_ATK_RING_FLOOD].status != WL_ATK_DONE)
        record(a, WL_ATK_RING_FLOOD, 0); /* every refill was taken */
}

static void attack_timer_flood(attacker_t *a)
{
    unsigned max = a->r.info.max_timers;
    a->rep.a[WL_ATK_TIMER_FLOOD].user_data = ATK_UD(WL_ATK_TIMER_FLOOD, 0);
    run_batch(a, max + 1, make_arm);
    if (a->rep.a[WL_ATK_TIMER_FLOOD].status != WL_ATK_DONE)
        record(a, WL_ATK_TIMER_FLOOD, 0); /* every arm was taken */
    /* cancel every timer armed (all max + 1 if the kernel took them all) */
    run_batch(a, a->rep.timers_refused ? max : max + 1, make_cancel);
}

/* ---------------------------------------------------------------- the steps */

static void run_attack(attacker_t *a, unsigned atk)
{
    const struct pk_info *in = &a->r.info;
    struct pk_sqe s;
    memset(&s, 0, sizeof s);
    switch (atk) {
    case WL_ATK_FOREIGN:
        if (!a->has_foreign)
            break;
        buffer_attack(a, atk, a->foreign_addr);
        return;
    case WL_ATK_KERNEL:
        if (!a->has_kernel)
            break;
        buffer_attack(a, atk, a->kernel_addr);
        return;
    case WL_ATK_RING:
        buffer_attack(a, atk, in->sq & ~UINT64_C(63));
        return;
    case WL_ATK_STRADDLE:
        buffer_attack(a, atk, in->mem_base + in->mem_size - a->buf_len / 2);
        return;
    case WL_ATK_OVERFLOW:
        buffer_attack(a, atk, UINT64_MAX - 1023);
        return;
    case WL_ATK_QUEUE:
        s.opcode = PK_OP_NET_RX_REFILL;
        s.flags = a->pool ? PK_SQE_POOL : 0;
        s.queue = a->foreign_queue;
        s.addr = buf_addr(a, 0);
        s.len = a->buf_len;
        single(a, atk, &s);
        return;
    case WL_ATK_OPCODE:
        s.opcode = ATK_OPCODE;
        single(a, atk, &s);
        return;
    case WL_ATK_SQINDEX:
        attack_sqindex(a);
        return;
    case WL_ATK_RING_FLOOD:
        attack_ring_flood(a);
        return;
    case WL_ATK_TIMER_FLOOD:
        attack_timer_flood(a);
        return;
    case WL_ATK_STEER:
        s.opcode = PK_OP_FLOW_STEER;
        s.queue = a->foreign_queue;
        s.u.flow.ip_version = 4;
        s.u.flow.proto = 17;
        s.u.flow.match = PK_FLOW_DST_PORT;
        s.u.flow.dst_port = 7;
        single(a, atk, &s);
        return;
    default:
        return;
    }
    a->rep.a[atk].status = WL_ATK_SKIPPED;
}

static wl_step_t attacker_step(void *state)
{
    attacker_t *a = state;
    drain(a);
    if (a->next >= WL_ATK_COUNT)
        return WL_STEP_EXIT;
    run_attack(a, a->next++);
    return WL_STEP_BUSY;
}

/* ---------------------------------------------------------------- start */

static int fail(char *err, size_t errlen, const char *msg, int code)
{
    if (code)
        snprintf(err, errlen, "attacker: %s: %s", msg, pk_err_name(code));
    else
        snprintf(err, errlen, "attacker: %s", msg);
    return -1;
}

static bool owns_queue(const struct pk_info *in, unsigned q)
{
    for (unsigned i = 0; i < in->nic_queues && i < PK_MAX_NIC_QUEUES; i++)
        if (in->nic_queue[i] == q)
            return true;
    return false;
}

static int parse_params(attacker_t *a, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    uint64_t fq_default = 0, fq;
    while (fq_default < 0xffff && owns_queue(&a->r.info, (unsigned)fq_default))
        fq_default++;
    if (wl_param_u64("attacker", p, n, "foreign_addr", 0, 0, UINT64_MAX, &a->foreign_addr,
                     &a->has_foreign, err, errlen) < 0 ||
        wl_param_u64("attacker", p, n, "kernel_addr", 0, 0, UINT64_MAX, &a->kernel_addr,
                     &a->has_kernel, err, errlen) < 0 ||
        wl_param_u64("attacker", p, n, "foreign_queue", fq_default, 0, 0xffff, &fq, NULL, err,
                      errlen) < 0)
        return -1;
    a->foreign_queue = (uint16_t)fq;
    return 0;
}

/* Buffers 0 (QUEUE) and 1 .. rx_entries + 1 (RING_FLOOD); under pool
 * mediation registered as one pool. */
static int carve(attacker_t *a, char *err, size_t errlen)
{
    const struct pk_info *in = &a->r.info;
    if (in->nic_queues == 0)
        return fail(err, errlen, "the process owns no NIC queue to attack from", 0);
    a->buf_len = in->rx_buf_min > ATK_BUF ? (in->rx_buf_min + 63) / 64 * 64 : ATK_BUF;
    a->nbufs = in->rx_entries + 2;
    a->buf_base = (in->heap_base + ATK_BUF - 1) / ATK_BUF * ATK_BUF;
    uint64_t need = (uint64_t)a->nbufs * a->buf_len, end = in->heap_base + in->heap_size;
    if (a->buf_base > end || end - a->buf_base < need)
        return fail(err, errlen, "the heap cannot hold rx_entries + 2 buffers", 0);
    a->pool = in->mediation == PK_MEDIATE_POOL;
    if (!a->pool)
        return 0;
    struct pk_sqe s = {
        .opcode = PK_OP_POOL_REGISTER,
        .addr = a->buf_base,
        .user_data = ATK_TAG << 48 | UINT64_C(0xFFFFFFFFFFFF),
        .u.pool = {.buf_size = a->buf_len, .count = a->nbufs},
    };
    pk_sq_push(&a->r, &s);
    int rc = pk_submit(&a->r, 0, 0);
    if (rc < 0)
        return fail(err, errlen, "pk_enter refused the pool registration", -rc);
    struct pk_cqe c;
    while (pk_cq_pop(&a->r, &c) == 0) {
        if (c.user_data != s.user_data)
            continue;
        if (c.res < 0)
            return fail(err, errlen, "pool registration refused", -c.res);
        a->pool_id = (uint64_t)c.res;
        return 0;
    }
    return fail(err, errlen, "pool registration did not complete", 0);
}

static int attacker_start(void *state, const wl_param_t *params, size_t nparams, char *err,
                          size_t errlen)
{
    attacker_t *a = state;
    if (pk_ring_init(&a->r) < 0)
        return fail(err, errlen, "no info block of this ABI version", 0);
    a->c_cycle = pk_cost("cpu.cycle");
    if (a->c_cycle < 0)
        return fail(err, errlen, "the cost table lacks cpu.cycle", 0);
    if (parse_params(a, params, nparams, err, errlen) < 0)
        return -1;
    return carve(a, err, errlen);
}

static void attacker_stats(const void *state, wl_app_stats_t *out)
{
    *out = ((const attacker_t *)state)->st;
}

const wl_attack_report_t *wl_attacker_report(const void *state)
{
    return &((const attacker_t *)state)->rep;
}

const wl_app_t wl_app_attacker = {
    .name = "attacker",
    .params = attacker_params,
    .state_size = sizeof(attacker_t),
    .start = attacker_start,
    .step = attacker_step,
    .stats = attacker_stats,
};
