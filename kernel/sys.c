/* kernel/sys.c: k_sys_enter, the one data-plane system call (pk_enter's
 * semantics, include/pk.h), and k_wake_check for interrupt handlers.
 *
 * One call, for the process p on the current core:
 *   1. count the syscall; check flags (only PK_ENTER_WAIT: else
 *      -PK_EINVAL); read the SQ tail the process published (u).  When
 *      tail - head > sq_entries the index is garbage: -PK_ESQINDEX,
 *      counted, nothing consumed (issue 4: "a submission-ring index out
 *      of range").
 *   2. consume min(to_submit, tail - head) SQEs in order, each only while
 *      the CQ has room for the completions it may produce (one; two for
 *      TIMER_CANCEL: the cancelled timer's and its own).  A CQ that stops
 *      consumption before the first SQE makes the call -PK_ECQFULL
 *      (counted: the "ring flood" attack), otherwise the count consumed is
 *      returned, possibly below to_submit.
 *   3. dispatch by opcode (a switch with a default: PK_EOPCODE).  A
 *      refusal is a completion with res = -code, flags = the opcode (cq.c
 *      counts it in st.errors[code]).  Successful buffer operations
 *      complete later (TX and NVMe through the drivers' harvest) or never
 *      (NET_RX_REFILL: the buffer comes back through the RX view).
 *   4. publish the SQ head (k); flush the drivers: one doorbell per device
 *      queue posted to in this call (k_nic_flush, k_nvme_flush).
 *   5. harvest finished work into the CQ: TX, NVMe, due timers.
 *   6. PK_ENTER_WAIT: unless min_complete CQEs are ready (min_complete is
 *      clamped to cq_entries: more could never be) or a frame waits on an
 *      RX ring, mark p waiting, unmask its device interrupts, and block
 *      (hal_user_wait); k_wake_check undoes it from an interrupt handler.
 *
 * Queue ownership: boot.c gives each process contiguous device queue ids
 * (nic_q[i] = nic_q[0] + i, nvme_q likewise), so "is q one of p's" is a
 * range check (2 compares), not a search.
 *
 * Accounting.  p->st.mediation_ps sums hal_now() deltas of validation and
 * translation (mediate.c), each descriptor write (here, around the
 * driver's post) and the doorbell MMIO writes of a batch that wrote
 * descriptors (here, around the flushes).  st.mediated counts buffers
 * (mediate.c), st.descs_written descriptors posted, st.batches calls that
 * wrote at least one.  Doorbells are counted by the drivers' flush.
 *
 * Costs charged here (k_charge; the cost table's sources are in
 * model/cost.c; cpu.syscall, the mode switch itself, is the platform's to
 * charge around pk_enter):
 *   entry: 1 mem.l1 (the SQ tail line: the process just wrote it on this
 *     core) + SYS_ENTRY_CYCLES (12): look up the process by core id (2
 *     loads), flags test, tail - head, compare to entries, min(to_submit).
 *   per SQE: 1 mem.l1 (the 64-byte SQE, one line, just written by the
 *     process) + SQE_CYCLES (6): slot address (mask, shift, add), opcode
 *     bound, indirect jump of the switch, head increment.
 *   each descriptor written: 1 mem.llc (a line the device reads: DESIGN.md
 *     "I/O is faster than the CPU", LLC ~15 ns), charged around the post.
 *   exit: SYS_EXIT_CYCLES (4): store of the SQ head, return value.
 * Completions are charged by cq.c, buffer checks by mediate.c, timers by
 * ktimer.c, register writes by the HAL (pcie.mmio_write per doorbell). */
#include "k.h"

#define SYS_ENTRY_CYCLES 12u
#define SQE_CYCLES 6u
#define SYS_EXIT_CYCLES 4u
#define QUEUE_CHECK_CYCLES 2u /* two compares: q in [first, first + n) */
#define RX_LEN_MAX 65535u     /* the RX descriptor's 16-bit length field
                               * (PK_RXD_LEN): longer buffers are refused */

static bool nic_on(const k_proc_t *p)
{
    return k_state.plan.nic.present && p->plan.nic_queues > 0;
}

static bool nvme_on(const k_proc_t *p)
{
    return k_state.plan.nvme.present && p->plan.nvme_queues > 0;
}

static inline bool own_nic_queue(const k_proc_t *p, unsigned q)
{
    k_charge(KC_CYCLE, QUEUE_CHECK_CYCLES);
    return p->plan.nic_queues && q >= p->nic_q[0] && q < p->nic_q[0] + p->plan.nic_queues;
}

static bool own_nvme_queue(const k_proc_t *p, unsigned q)
{
    k_charge(KC_CYCLE, QUEUE_CHECK_CYCLES);
    return p->plan.nvme_queues && q >= p->nvme_q[0] && q < p->nvme_q[0] + p->plan.nvme_queues;
}

/* The SQE's completion: res (>= 0 or -PK_E...), flags = its opcode. */
static void complete(k_proc_t *p, const struct pk_sqe *s, int32_t res)
{
    k_cq_post(p, s->user_data, res, s->opcode);
}

/* After a driver's descriptor post: err 0 counts a descriptor written
 * and its cost since t0 (before the post) as mediation. */
static inline int posted(k_proc_t *p, int err, uint64_t t0, bool *wrote)
{
    if (err)
        return err;
    k_charge(KC_LLC, 1); /* the descriptor's line, read by the device */
    p->st.descs_written++;
    p->st.mediation_ps += hal_now_fast() - t0;
    *wrote = true;
    return 0;
}

/* The op_* functions return 0 (accepted: any completion comes later or,
 * for NET_RX_REFILL, never) or the PK_E code the SQE is refused with. */
static int op_rx_refill(k_proc_t *p, const struct pk_sqe *s, bool *wrote)
{
    uint64_t dma, ua;
    if (!nic_on(p) || !own_nic_queue(p, s->queue))
        return PK_EQUEUE;
    if (s->len < K_RX_BUF_SIZE)
        return PK_ELEN;
    int err = k_mediate(p, s, 2, RX_LEN_MAX, &dma, &ua);
    if (err)
        return err;
    uint64_t t0 = hal_now_fast();
    return posted(p, k_nic_rx_post(s->queue, dma, ua, s->len), t0, wrote);
}

static int op_tx(k_proc_t *p, const struct pk_sqe *s, bool *wrote)
{
    uint64_t dma, ua;
    if (!nic_on(p) || !own_nic_queue(p, s->queue))
        return PK_EQUEUE;
    int err = k_mediate(p, s, 1, k_state.plan.nic.max_frame - 4, &dma, &ua);
    if (err)
        return err;
    uint64_t t0 = hal_now_fast();
    return posted(p, k_nic_tx_post(s->queue, dma, s->len, s->user_data), t0, wrote);
}

/* BLK_READ / BLK_WRITE: a whole number of blocks inside the namespace. */
static int op_blk_rw(k_proc_t *p, const struct pk_sqe *s, bool *wrote)
{
    uint64_t dma, ua;
    if (!nvme_on(p) || !own_nvme_queue(p, s->queue))
        return PK_EQUEUE;
    uint32_t lbs = k_nvme_lba_size();
    if (!lbs || s->len == 0 || s->len % lbs)
        return PK_ELEN;
    int err = k_mediate(p, s, 4, K_BLK_MAX_LEN, &dma, &ua);
    if (err)
        return err;
    uint64_t blocks = k_nvme_blocks(), n = s->len / lbs, lba = s->u.blk.lba;
    if (lba > blocks || n > blocks - lba)
        return PK_EINVAL;
    uint64_t t0 = hal_now_fast();
    return posted(p, k_nvme_submit(s->queue, s->opcode, dma, s->len, lba, s->user_data), t0,
                  wrote);
}

static int op_blk_flush(k_proc_t *p, const struct pk_sqe *s, bool *wrote)
{
    if (!nvme_on(p) || !own_nvme_queue(p, s->queue))
        return PK_EQUEUE;
    uint64_t t0 = hal_now_fast();
    return posted(p, k_nvme_submit(s->queue, PK_OP_BLK_FLUSH, 0, 0, 0, s->user_data), t0, wrote);
}

/* TIMER_ARM: ns relative to now, or absolute (pk_now's clock) with
 * PK_TIMER_ABS; ns * 1000 must fit the 64-bit picosecond clock. */
static int op_timer_arm(k_proc_t *p, const struct pk_sqe *s)
{
    uint64_t ns = s->u.timer.ns, now = hal_now_fast();
    if ((s->u.timer.flags & ~PK_TIMER_ABS) || ns > UINT64_MAX / 1000)
        return PK_EINVAL;
    uint64_t ps = ns * 1000, deadline = ps;
    if (!(s->u.timer.flags & PK_TIMER_ABS)) {
        if (ps > UINT64_MAX - now)
            return PK_EINVAL;
        deadline = now + ps;
    }
    return k_timer_arm(p, s->user_data, deadline); /* completes when it fires */
}

static void dispatch(k_proc_t *p, const struct pk_sqe *s, bool *wrote)
{
    int err = 0;
    switch (s->opcode) {
    case PK_OP_NOP:
        complete(p, s, 0);
        break;
    case PK_OP_NET_RX_REFILL:
        err = op_rx_refill(p, s, wrote);
        break;
    case PK_OP_NET_TX:
        err = op_tx(p, s, wrote);
        break;
    case PK_OP_BLK_READ:
    case PK_OP_BLK_WRITE:
        err = op_blk_rw(p, s, wrote);
        break;
    case PK_OP_BLK_FLUSH:
        err = op_blk_flush(p, s, wrote);
        break;
    case PK_OP_TIMER_ARM:
        err = op_timer_arm(p, s);
        break;
    case PK_OP_TIMER_CANCEL:
        /* the cancelled timer completes first (ktimer.c), then this */
        complete(p, s, -k_timer_cancel(p, s->user_data));
        break;
    case PK_OP_FLOW_STEER:
        if (!nic_on(p) || !own_nic_queue(p, s->queue))
            err = PK_ESTEER;
        else
            complete(p, s, k_nic_steer(s->queue, &s->u.flow));
        break;
    case PK_OP_POOL_REGISTER:
        complete(p, s, k_pool_register(p, s));
        break;
    default:
        err = PK_EOPCODE;
        break;
    }
    if (err)
        complete(p, s, -err);
}

/* Consume up to n SQEs while the CQ has room; *cq_stop when it ran out. */
static unsigned consume(k_proc_t *p, uint32_t n, bool *wrote, bool *cq_stop)
{
    unsigned room = k_cq_room(p), done = 0;
    while (done < n) {
        struct pk_sqe s;
        uint64_t at = p->sq + PK_RING_ENTRIES +
                      (uint64_t)(p->sq_head & (p->sq_entries - 1)) * sizeof s;
        hal_mem_read_fast(at, &s, sizeof s);
        k_charge(KC_L1, 1);
        k_charge(KC_CYCLE, SQE_CYCLES);
        unsigned need = s.opcode == PK_OP_TIMER_CANCEL ? 2 : 1;
        if (room < need) {
            *cq_stop = true;
            break;
        }
        p->sq_head++;
        p->st.sqes++;
        if (s.opcode < PK_OP_COUNT)
            p->st.ops[s.opcode]++;
        uint32_t tail0 = p->cq_tail;
        dispatch(p, &s, wrote);
        room -= p->cq_tail - tail0;
        done++;
    }
    return done;
}

static bool wake_cond(const k_proc_t *p, unsigned min)
{
    return k_cq_ready(p) >= min || (nic_on(p) && k_nic_rx_ready(p));
}

static void irqs(k_proc_t *p, bool on)
{
    if (nic_on(p))
        k_nic_irq_enable(p, on);
    if (nvme_on(p))
        k_nvme_irq_enable(p, on);
}

/* Block unless the condition holds.  Waiting is set and interrupts are
 * unmasked BEFORE the final check, so an event landing in between (on
 * hardware) raises an interrupt whose k_wake_check sees waiting. */
static void sys_wait(k_proc_t *p, unsigned min_complete)
{
    unsigned min = min_complete < p->cq_entries ? min_complete : p->cq_entries;
    if (wake_cond(p, min))
        return;
    p->wait_min = min;
    p->waiting = true;
    irqs(p, true);
    if (wake_cond(p, min)) {
        irqs(p, false);
        p->waiting = false;
        return;
    }
    p->st.waits++;
    hal_user_wait();
}

void k_wake_check(k_proc_t *p)
{
    if (!p || !p->waiting || !wake_cond(p, p->wait_min))
        return;
    irqs(p, false);
    p->waiting = false;
    p->st.wakeups++;
    hal_user_wake();
}

static void flush_and_harvest(k_proc_t *p, bool wrote)
{
    uint64_t t0 = hal_now_fast();
    if (nic_on(p))
        k_nic_flush(p);
    if (nvme_on(p))
        k_nvme_flush(p);
    if (wrote) {
        uint64_t dt = hal_now_fast() - t0; /* the batch's doorbells */
        p->st.mediation_ps += dt;
        p->st.doorbell_ps += dt;
        p->st.batches++;
    }
    if (nic_on(p))
        k_nic_tx_harvest(p);
    if (nvme_on(p))
        k_nvme_harvest(p);
    k_timer_harvest(p);
}

int k_sys_enter(unsigned to_submit, unsigned min_complete, unsigned flags)
{
    k_proc_t *p = k_current();
    if (!p)
        return -PK_EINVAL; /* no process on this core: nobody to count it for */
    p->st.syscalls++;
    k_charge(KC_L1, 1);
    k_charge(KC_CYCLE, SYS_ENTRY_CYCLES);
    if (flags & ~PK_ENTER_WAIT) {
        p->st.errors[PK_EINVAL]++;
        return -PK_EINVAL;
    }
    uint32_t tail = 0;
    hal_mem_read_fast(p->sq + PK_RING_TAIL, &tail, sizeof tail);
    uint32_t avail = tail - p->sq_head;
    if (avail > p->sq_entries) {
        p->st.errors[PK_ESQINDEX]++;
        return -PK_ESQINDEX;
    }
    uint32_t n = to_submit < avail ? to_submit : avail;
    bool wrote = false, cq_stop = false;
    unsigned done = n ? consume(p, n, &wrote, &cq_stop) : 0;
    hal_mem_write_fast(p->sq + PK_RING_HEAD, &p->sq_head, sizeof p->sq_head);
    k_charge(KC_CYCLE, SYS_EXIT_CYCLES);
    flush_and_harvest(p, wrote);
    if (flags & PK_ENTER_WAIT)
        sys_wait(p, min_complete);
    if (n && !done && cq_stop) {
        p->st.errors[PK_ECQFULL]++;
        return -PK_ECQFULL;
    }
    return (int)done;
}
