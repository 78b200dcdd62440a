/* workloads/blkio.c: fio-like block I/O as a parakernel process (the
 * contract, parameters and report: blkio.h), written against the user ABI
 * only.
 *
 * Buffers.  start() carves `iodepth` slots from the heap, each with a data
 * buffer of max(bs, bs_max for a replay) rounded up to 4 KiB, 4 KiB
 * aligned, then (verify=1) the generation map (blkio_verify.c).  Under
 * pool mediation the buffers are registered as one pool first and SQEs
 * name them (pool id << 32 | slot).  A slot is free (a FIFO, with the time
 * it became free) or busy with one I/O (in flight, or waiting for a retry
 * after the device queue was full).
 *
 * The loop (one step):
 *   1. the first step is the start of the run (t_start; the ramp ends at
 *      t_start + ramp_time_us, the run at the ramp's end + runtime_us);
 *   2. take completions: free the slot, count errors by code, record the
 *      latencies of measured I/Os, check verified reads; a PK_EAGAIN (the
 *      device queue was full: iodepth above what the queue holds) queues
 *      the I/O for a retry, and from then on the process knows that
 *      queue's capacity: it counts the queue's free entries (zero at the
 *      refusal, one more per completion, one less per submission) and
 *      sends it no more than that, keeping the rest in its retry FIFO (as
 *      SPDK queues requests a full queue pair cannot take) instead of
 *      resubmitting into refusals;
 *   3. issue: retries first, then new ops from the generator while a slot
 *      is free and the next op's time has come (closed loop: at once; open
 *      loop and timed replay: its arrival time), on the owned NVMe queues
 *      in turn (skipping a queue known to be full).  An op that finds no
 *      slot free at its arrival time (the oldest free slot was freed after
 *      it) is counted as queued.  A measured op (arrival at or after the
 *      ramp's end) beyond `ios` or the runtime stops the run: no more ops;
 *   4. when the next op is for later and a slot is free: a kernel timer
 *      (PK_OP_TIMER_ARM, PK_TIMER_ABS) at its time, rounded up to a ns, so
 *      the process sleeps (polls, or waits with wait=1) until then instead
 *      of stepping;
 *   5. publish the SQ and pk_enter with every unconsumed SQE -- also with
 *      none while I/Os are in flight (the call harvests NVMe completions
 *      into the CQ) -- and take completions again.
 * The run ends when it is stopped and nothing is in flight: an armed
 * timer is cancelled and the step returns WL_STEP_EXIT.
 * Returns WL_STEP_BUSY when work is ready now (or a timer must be armed)
 * and the step made progress; WL_STEP_POLL otherwise, a device completion
 * or the timer's interrupt ends the poll (sim/proc.h); with wait=1 it
 * blocks first in pk_enter(0, 1, PK_ENTER_WAIT), when something (an I/O
 * or the timer) will complete.
 *
 * Measurements (fio's): clat from the submission (the SQE written) to
 * the completion seen by the process; lat from the intended issue time
 * (the arrival) to the completion, which includes waiting for a slot.
 * Only I/Os that arrive at or after the ramp's end are measured.
 *
 * Costs (pk_charge, cpu.cycle; ~1 cycle per simple instruction on a ~3
 * GHz core, as workloads/echo.c):
 *   per op generated: GEN_CYCLES (30): two random draws (xoshiro256** ~5
 *     instructions each, a multiply for the bounded draw), the direction
 *     compare, a slot popped from the free FIFO and its 7 fields stored;
 *   per SQE written: SQE_CYCLES (12): the SQ-full test, eight 8-byte
 *     stores of the 64-byte SQE, tail increment (as echo);
 *   per CQE taken: CQE_CYCLES (10): tail load and compare, the 16-byte
 *     CQE load, user_data decode, head store (as echo);
 *   per I/O completed: DONE_CYCLES (24): the slot pushed back, counters,
 *     two histogram records (a count-leading-zeros, a shift, 4 updates);
 *   verify: blkio_verify.c. */
#include "workloads/blkio.h"

#include <stdio.h>
#include <string.h>

#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "model/hist.h"
#include "workloads/app_int.h"
#include "workloads/blkio_int.h"

#define WAIT_ROUNDS 4
#define NX_NONE 0
#define NX_LATER 1
#define NX_READY 2

#define GEN_CYCLES 30u
#define SQE_CYCLES 12u
#define CQE_CYCLES 10u
#define DONE_CYCLES 24u

const char *const blkio_params[] = {
    "rw: read|write|randread|randwrite|randrw|readwrite (default read)",
    "rwmixread: percent of reads for randrw and readwrite, 0..100 (default 50)",
    "bs: bytes per I/O, a multiple of the LBA size, at most 131072 (default 4096)",
    "iodepth: I/Os in flight at most, 1..1024 (default 1)",
    "rate_iops: open-loop arrivals per second, decimal (default 0: closed loop)",
    "rate_process: poisson|linear gaps between open-loop arrivals (default poisson)",
    "offset: first byte of the range used, a multiple of the LBA size (default 0)",
    "size: bytes of the range used, a multiple of the LBA size (default: to the namespace's end)",
    "ios: stop after this many measured I/Os (default: size / bs, or the whole trace)",
    "runtime_us: stop issuing this long after the ramp (default: no limit)",
    "ramp_time_us: I/Os arriving in this first period are not measured (default 0)",
    "seed: seed of the random streams (default 1)",
    "instance: the process's index in its group: its own random streams (default 0)",
    "verify: 1 to write a pattern and check what is read back (default 0)",
    "wait: 1 to block in pk_enter(PK_ENTER_WAIT) when idle, 0 to poll (default 0)",
    "trace: a block trace to replay (read by the platform)",
    "trace_speed: trace times are divided by it, decimal; 0 = as fast as iodepth allows "
    "(default 1)",
    "bs_max: longest I/O of a replay, longer ops are split (default 131072)",
    NULL,
};

static void charge(const blkio_t *b, uint64_t cycles)
{
    pk_charge(b->c_cycle, cycles);
}

/* ---------------------------------------------------------------- slots */

static void free_put(blkio_t *b, unsigned idx, uint64_t when)
{
    unsigned at = b->free_head + b->free_n++;
    b->free_q[at >= b->depth ? at - b->depth : at] = (uint16_t)idx;
    b->freed_at[idx] = when;
}

static unsigned free_take(blkio_t *b)
{
    unsigned idx = b->free_q[b->free_head];
    b->free_head = b->free_head + 1 == b->depth ? 0 : b->free_head + 1;
    b->free_n--;
    return idx;
}

static void retry_put(blkio_t *b, unsigned idx)
{
    unsigned at = b->retry_head + b->retry_n++;
    b->retry_q[at >= b->depth ? at - b->depth : at] = (uint16_t)idx;
}

static unsigned retry_take(blkio_t *b)
{
    unsigned idx = b->retry_q[b->retry_head];
    b->retry_head = b->retry_head + 1 == b->depth ? 0 : b->retry_head + 1;
    b->retry_n--;
    return idx;
}

static bool overlap(const blkio_slot_t *s, uint64_t off, uint32_t len)
{
    return s->busy && s->len && s->off < off + len && off < s->off + s->len;
}

/* Verify bookkeeping of a new I/O in slot idx: a read overlapping a write
 * in flight is racy; a write marks overlapping reads racy, and is
 * ambiguous when it overlaps another write.  0, or -1 (a fault). */
static int verify_issue(blkio_t *b, unsigned idx)
{
    blkio_slot_t *n = &b->slot[idx];
    bool wr_overlap = false;
    for (unsigned i = 0; i < b->depth; i++) {
        blkio_slot_t *s = &b->slot[i];
        if (i == idx || !overlap(s, n->off, n->len))
            continue;
        if (s->op == PK_OP_BLK_WRITE)
            wr_overlap = true;
        else if (s->op == PK_OP_BLK_READ && n->op == PK_OP_BLK_WRITE)
            s->racy = true;
    }
    if (n->op == PK_OP_BLK_READ) {
        n->racy = wr_overlap;
        return 0;
    }
    return blkio_verify_write(&b->v, b->buf_base + (uint64_t)idx * b->slot_size, n->off, n->len,
                              wr_overlap);
}

/* The next NVMe queue in turn that can take a command, or -1. */
static int pick_queue(const blkio_t *b)
{
    unsigned nq = b->r.info.nvme_queues;
    for (unsigned k = 0, q = b->next_q; k < nq; k++, q = q + 1 == nq ? 0 : q + 1)
        if (!b->q_known[q] || b->q_room[q])
            return (int)q;
    return -1;
}

/* Write slot idx's SQE for queue index qi (callers checked the SQ has
 * room and picked qi). */
static void push_io(blkio_t *b, unsigned idx, unsigned qi)
{
    blkio_slot_t *s = &b->slot[idx];
    const struct pk_info *in = &b->r.info;
    struct pk_sqe q = {
        .opcode = s->op,
        .queue = in->nvme_qid[qi],
        .len = s->len,
        .user_data = BLKIO_UD_IO | idx,
    };
    s->qi = (uint8_t)qi;
    if (b->q_known[qi])
        b->q_room[qi]--;
    b->next_q = qi + 1 == in->nvme_queues ? 0 : qi + 1;
    if (s->op != PK_OP_BLK_FLUSH) {
        q.u.blk.lba = s->off / in->lba_size;
        if (b->pool) {
            q.flags = PK_SQE_POOL;
            q.addr = b->pool_id << 32 | idx;
        } else {
            q.addr = b->buf_base + (uint64_t)idx * b->slot_size;
        }
    }
    pk_sq_push(&b->r, &q);
    charge(b, SQE_CYCLES);
    s->t_sub = pk_now();
}

static unsigned sq_room(const blkio_t *b)
{
    return b->r.info.sq_entries - (b->r.sq_tail - pk_sq_head(&b->r));
}

/* ---------------------------------------------------------------- what next */

/* The next op and its time *t: NX_READY (due by now), NX_LATER, or
 * NX_NONE (the run is stopped: the trace is over, or a measured op would
 * exceed ios or the runtime). */
static int next_op(blkio_t *b, uint64_t now, blkio_op_t *op, uint64_t *t)
{
    if (b->stopping)
        return NX_NONE;
    if (!blkio_gen_peek(&b->g, op)) {
        b->stopping = true;
        return NX_NONE;
    }
    uint64_t at = op->t_want ? op->t_want : now;
    if (at >= b->t_ramp && (b->issued >= b->ios_limit || at >= b->t_stop)) {
        b->stopping = true;
        return NX_NONE;
    }
    *t = at;
    return at <= now ? NX_READY : NX_LATER;
}

/* Start a new op in a free slot, on queue index qi; 0 or -1 (a fault). */
static int start_op(blkio_t *b, const blkio_op_t *op, uint64_t t, unsigned qi)
{
    blkio_gen_take(&b->g);
    charge(b, GEN_CYCLES);
    unsigned idx = free_take(b);
    blkio_slot_t *s = &b->slot[idx];
    s->t_want = t;
    s->off = op->off;
    s->len = op->len;
    s->op = op->op;
    s->measured = t >= b->t_ramp;
    s->racy = false;
    if (s->measured) {
        b->issued++;
        if (op->t_want && b->freed_at[idx] > t)
            b->queued++; /* every slot was busy at its arrival */
    } else {
        b->ramp_ios++;
    }
    int rc = b->v.on ? verify_issue(b, idx) : 0;
    s->busy = true;
    b->inflight++;
    push_io(b, idx, qi);
    return rc;
}

/* Retries, then new ops, while the SQ and a device queue have room: SQEs
 * written. */
static unsigned issue(blkio_t *b)
{
    unsigned room = sq_room(b), n = 0;
    int qi;
    while (room && b->retry_n && (qi = pick_queue(b)) >= 0) {
        push_io(b, retry_take(b), (unsigned)qi);
        room--, n++;
    }
    while (room && b->free_n && !b->retry_n && (qi = pick_queue(b)) >= 0) {
        blkio_op_t op;
        uint64_t t = 0;
        if (next_op(b, pk_now(), &op, &t) != NX_READY)
            break;
        if (start_op(b, &op, t, (unsigned)qi) < 0)
            b->st.faults++;
        room--, n++;
    }
    return n;
}

/* The timer's deadline for time t: rounded up to a ns (its unit). */
static uint64_t deadline_ps(uint64_t t)
{
    return (t + 999) / 1000 * 1000;
}

/* Is a slot free for an op due later, with no timer armed by then?
 * *t: its time. */
static bool timer_needed(blkio_t *b, uint64_t *t)
{
    blkio_op_t op;
    if (!b->free_n || next_op(b, pk_now(), &op, t) != NX_LATER)
        return false;
    return !b->timer_armed || b->timer_at > deadline_ps(*t);
}

/* Cancel the armed timer (callers checked the SQ has room). */
static void push_cancel(blkio_t *b)
{
    struct pk_sqe c = {.opcode = PK_OP_TIMER_CANCEL, .user_data = BLKIO_UD_TIMER | b->timer_seq};
    pk_sq_push(&b->r, &c);
    charge(b, SQE_CYCLES);
    b->timer_armed = false;
}

/* Arm the timer for the next op's time (a timer armed for later is
 * cancelled first): SQEs written. */
static unsigned arm_timer(blkio_t *b)
{
    uint64_t t = 0;
    if (!timer_needed(b, &t) || sq_room(b) < 2)
        return 0;
    unsigned n = 0;
    if (b->timer_armed) {
        push_cancel(b);
        n++;
    }
    uint64_t ns = deadline_ps(t) / 1000;
    struct pk_sqe a = {.opcode = PK_OP_TIMER_ARM, .user_data = BLKIO_UD_TIMER | ++b->timer_seq};
    a.u.timer.ns = ns;
    a.u.timer.flags = PK_TIMER_ABS;
    pk_sq_push(&b->r, &a);
    b->timer_armed = true;
    b->timer_at = ns * 1000;
    charge(b, SQE_CYCLES);
    return n + 1;
}

/* ---------------------------------------------------------------- completions */

static void count_error(blkio_t *b, int32_t res)
{
    b->errors++;
    if (-res > 0 && -res < 32)
        b->st.refused[-res]++;
}

static void io_done(blkio_t *b, unsigned idx, int32_t res)
{
    blkio_slot_t *s = &b->slot[idx];
    uint64_t now = pk_now();
    charge(b, DONE_CYCLES);
    if (res == -PK_EAGAIN) { /* the device queue was full: again later */
        b->eagain++;
        b->q_known[s->qi] = true;
        b->q_room[s->qi] = 0;
        retry_put(b, idx);
        return;
    }
    if (b->q_known[s->qi]) /* an entry freed (or, refused, never taken) */
        b->q_room[s->qi]++;
    s->busy = false;
    b->inflight--;
    uint64_t buf = b->buf_base + (uint64_t)idx * b->slot_size;
    if (res < 0) {
        count_error(b, res);
        if (b->v.on && s->op == PK_OP_BLK_WRITE) /* what the device holds is unknown */
            blkio_verify_forget(&b->v, s->off, s->len);
    } else {
        b->st.requests++;
        if (b->v.on && s->op == PK_OP_BLK_READ)
            blkio_verify_read(&b->v, buf, s->off, s->len, s->racy);
        if (s->measured) {
            int dir = s->op == PK_OP_BLK_READ    ? BLKIO_DIR_READ
                      : s->op == PK_OP_BLK_WRITE ? BLKIO_DIR_WRITE
                                                 : BLKIO_DIR_FLUSH;
            blkio_dirstat_t *d = &b->d[dir];
            d->ios++;
            d->bytes += s->len;
            hist_record(&d->clat, now - s->t_sub);
            hist_record(&d->lat, now - s->t_want);
            b->t_end = now;
        }
    }
    free_put(b, idx, now);
}

static void on_cqe(blkio_t *b, const struct pk_cqe *c)
{
    charge(b, CQE_CYCLES);
    uint64_t tag = c->user_data & BLKIO_UD_TAG, low = c->user_data & ~BLKIO_UD_TAG;
    if (tag == BLKIO_UD_TIMER) {
        if (b->timer_armed && low == b->timer_seq)
            b->timer_armed = false;
        return;
    }
    if (tag == BLKIO_UD_IO && low < b->depth && b->slot[low].busy) {
        io_done(b, (unsigned)low, c->res);
        return;
    }
    if (c->res < 0) /* something else refused: never hidden */
        count_error(b, c->res);
}

static unsigned drain(blkio_t *b)
{
    struct pk_cqe c;
    unsigned n = 0;
    while (pk_cq_pop(&b->r, &c) == 0) {
        on_cqe(b, &c);
        n++;
    }
    return n;
}

/* Publish the SQ and enter with every unconsumed SQE; with none, enter
 * only to harvest I/Os in flight or to wait. */
static int enter(blkio_t *b, unsigned min_complete, unsigned flags)
{
    if (b->r.sq_tail != b->r.sq_published) {
        pk_store(b->r.info.sq + PK_RING_TAIL, &b->r.sq_tail, sizeof b->r.sq_tail);
        b->r.sq_published = b->r.sq_tail;
    }
    unsigned pending = b->r.sq_tail - pk_sq_head(&b->r);
    if (!pending && !b->inflight && !flags)
        return 0;
    int rc = pk_enter(pending, min_complete, flags);
    if (rc < 0)
        count_error(b, rc);
    return rc;
}

/* ---------------------------------------------------------------- step */

static void begin(blkio_t *b, uint64_t now)
{
    b->started = true;
    b->t_start = now;
    b->t_ramp = now + b->ramp_ps;
    b->t_stop = b->runtime_ps ? b->t_ramp + b->runtime_ps : UINT64_MAX;
    b->t_end = b->t_ramp;
    blkio_gen_begin(&b->g, now);
}

static wl_step_t finish(blkio_t *b)
{
    if (b->timer_armed && sq_room(b)) {
        push_cancel(b);
        enter(b, 0, 0);
        drain(b);
    }
    return WL_STEP_EXIT;
}

/* Work for right now: a retry, or an op due with a slot free. */
static bool ready(blkio_t *b)
{
    blkio_op_t op;
    uint64_t t;
    if (pick_queue(b) < 0)
        return false;
    if (b->retry_n)
        return true;
    return b->free_n && next_op(b, pk_now(), &op, &t) == NX_READY;
}

/* wait=1 and nothing to do: block until an I/O or the timer completes. */
static wl_step_t idle_wait(blkio_t *b)
{
    for (int round = 0; round < WAIT_ROUNDS; round++) {
        if (!b->inflight && !b->timer_armed)
            return WL_STEP_POLL;
        enter(b, 1, PK_ENTER_WAIT);
        if (!drain(b))
            return WL_STEP_POLL; /* it blocked */
        uint64_t t;
        if (ready(b) || timer_needed(b, &t) || (b->stopping && !b->inflight))
            return WL_STEP_BUSY;
    }
    return WL_STEP_POLL;
}

static wl_step_t blkio_step(void *state)
{
    blkio_t *b = state;
    if (!b->started)
        begin(b, pk_now());
    unsigned progress = drain(b);
    progress += issue(b);
    progress += arm_timer(b);
    int rc = enter(b, 0, 0);
    unsigned got = drain(b);
    progress += got;
    uint64_t t;
    bool more = ready(b) || timer_needed(b, &t) || got >= b->r.info.cq_entries ||
                b->r.sq_tail != pk_sq_head(&b->r);
    if (b->stopping && !b->inflight)
        return finish(b);
    if (more && (progress || rc > 0))
        return WL_STEP_BUSY;
    if (b->wait && !more)
        return idle_wait(b);
    return WL_STEP_POLL;
}

/* ---------------------------------------------------------------- report */

static void report_dir(const blkio_t *b, wl_report_t *r, const char *name, const blkio_dirstat_t *d,
                       double secs)
{
    char k[WL_REPORT_KEY];
    snprintf(k, sizeof k, "%s.ios", name);
    wl_report_u64(r, k, d->ios);
    snprintf(k, sizeof k, "%s.bytes", name);
    wl_report_u64(r, k, d->bytes);
    snprintf(k, sizeof k, "%s.iops", name);
    wl_report_num(r, k, secs > 0 ? (double)d->ios / secs : 0);
    snprintf(k, sizeof k, "%s.bw_mbs", name);
    wl_report_num(r, k, secs > 0 ? (double)d->bytes / secs / 1e6 : 0);
    snprintf(k, sizeof k, "%s.clat", name);
    wl_report_hist(r, k, &d->clat);
    if (b->timed) {
        snprintf(k, sizeof k, "%s.lat", name);
        wl_report_hist(r, k, &d->lat);
    }
}

static void report_errors(const blkio_t *b, wl_report_t *r)
{
    wl_report_u64(r, "errors.total", b->errors);
    for (int code = 1; code < 32 && code < PK_ERR_COUNT; code++) {
        if (!b->st.refused[code])
            continue;
        const char *name = pk_err_name(code);
        if (strncmp(name, "PK_", 3) == 0)
            name += 3;
        char k[WL_REPORT_KEY];
        int n = snprintf(k, sizeof k, "errors.");
        for (size_t i = 0; name[i] && (size_t)n + 1 < sizeof k; i++)
            k[n++] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
        k[n] = '\0';
        wl_report_u64(r, k, b->st.refused[code]);
    }
}

static void blkio_report(const void *state, wl_report_t *r)
{
    const blkio_t *b = state;
    double secs = b->t_end > b->t_ramp ? (double)(b->t_end - b->t_ramp) * 1e-12 : 0;
    wl_report_str(r, "rw", b->recs ? "trace" : blkio_rw_name(b->g.rw));
    wl_report_u64(r, "bs", b->recs ? b->g.bs_max : b->g.bs);
    wl_report_u64(r, "iodepth", b->depth);
    wl_report_num(r, "runtime_us", secs * 1e6);
    report_dir(b, r, "read", &b->d[BLKIO_DIR_READ], secs);
    report_dir(b, r, "write", &b->d[BLKIO_DIR_WRITE], secs);
    wl_report_u64(r, "flush.ios", b->d[BLKIO_DIR_FLUSH].ios);
    wl_report_hist(r, "flush.clat", &b->d[BLKIO_DIR_FLUSH].clat);
    uint64_t ios = 0;
    for (int d = 0; d < BLKIO_NDIR; d++)
        ios += b->d[d].ios;
    wl_report_u64(r, "ios", ios);
    wl_report_u64(r, "ramp_ios", b->ramp_ios);
    wl_report_u64(r, "queued", b->queued);
    wl_report_u64(r, "eagain", b->eagain);
    report_errors(b, r);
    if (b->v.on) {
        wl_report_u64(r, "verify.checked", b->v.checked);
        wl_report_u64(r, "verify.errors", b->v.errors);
        wl_report_u64(r, "verify.skipped", b->v.skipped);
    }
    if (b->recs) {
        wl_report_u64(r, "trace.ops", b->g.tc.ops);
        wl_report_u64(r, "trace.split", b->g.tc.split);
        wl_report_u64(r, "trace.clipped", b->g.tc.clipped);
        wl_report_u64(r, "trace.skipped", b->g.tc.skipped);
    }
}

static void blkio_stats(const void *state, wl_app_stats_t *out)
{
    *out = ((const blkio_t *)state)->st;
}

/* ---------------------------------------------------------------- input */

static int blkio_input(void *state, const wl_input_t *in, char *err, size_t errlen)
{
    blkio_t *b = state;
    if (in->kind != WL_INPUT_BLK || !in->recs) {
        snprintf(err, errlen, "blkio: the input is not a block trace");
        return -1;
    }
    if (in->n == 0) {
        snprintf(err, errlen, "blkio: the trace has no records");
        return -1;
    }
    const wl_blk_op_t *r = in->recs;
    for (size_t i = 0; i < in->n; i++) {
        if (r[i].kind > WL_BLK_FLUSH) {
            snprintf(err, errlen, "blkio: record %zu: unknown kind %u", i, r[i].kind);
            return -1;
        }
        if (i && r[i].t_ps < r[i - 1].t_ps) {
            snprintf(err, errlen, "blkio: record %zu: time goes backwards (%llu ps after %llu ps)",
                     i, (unsigned long long)r[i].t_ps, (unsigned long long)r[i - 1].t_ps);
            return -1;
        }
    }
    b->recs = r;
    b->nrecs = in->n;
    return 0;
}

const wl_app_t wl_app_blkio = {
    .name = "blkio",
    .params = blkio_params,
    .state_size = sizeof(blkio_t),
    .start = blkio_start,
    .step = blkio_step,
    .stats = blkio_stats,
    .report = blkio_report,
    .input_param = "trace",
    .input_kind = WL_INPUT_BLK,
    .input = blkio_input,
};
