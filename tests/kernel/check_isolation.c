/* The isolation suite (issue 4, "Isolation"): an adversarial process,
 * acting through SQEs and its SQ index like any process, tries each
 * attack -- a buffer in another process's partition, in kernel memory, in
 * ring memory, straddling its partition's edge, address + length
 * overflow, another process's queue id, an unknown opcode, an SQ index
 * out of range, a ring flood, a timer flood, a flow-steer rule to a
 * foreign queue (and a few more: misalignment, a length too long, memory
 * nobody owns, a raw address of the wrong mode).  Each is refused with
 * its own code and counted, the IOMMU sees zero faults, nothing reaches a
 * device, and a victim process's completions, counters and wire traffic
 * are exactly the same with and without the attacker next to it. */
#include "tests/check_main.h"

#include "tests/kernel/kharness.h"

#define VICTIM 0u
#define ATTACKER 1u
#define MAX_REC 256

static kh_t h;

/* ---------------------------------------------------------------- time */

static void marker(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)arg;
    (void)data;
}

/* Run the engine to t and be at t (sim_run stops at the last event). */
static void advance(sim_time_t t)
{
    if (t > sim_now(h.sim))
        sim_at(h.sim, t, marker, NULL, 0);
    kh_run_until(&h, t);
}

static void boot(void)
{
    ck_assert_msg(kh_init(&h, NULL) == 0, "%s", h.err);
    kh_plan(&h, 2, 1, 1);
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
}

static struct pk_info info(unsigned pid)
{
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, pid, &in), 0);
    return in;
}

/* ---------------------------------------------------------------- the attacker */

/* Submit one SQE as the attacker and expect its refusal. */
static void refused(struct pk_sqe s, int code)
{
    s.user_data = 0xbad0000 + (uint64_t)code;
    ck_assert_int_eq(kh_submit(&h, ATTACKER, &s), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, ATTACKER, &c), 0);
    ck_assert_msg(c.res == -code, "attack %s: got %s", pk_err_name(code), pk_err_name(c.res));
    ck_assert_uint_eq(c.user_data, s.user_data);
    ck_assert_uint_eq(c.flags & 0xff, s.opcode);
}

static void drain(unsigned pid)
{
    struct pk_cqe c;
    while (kh_cq_pop(&h, pid, &c) == 0)
        ;
}

static void attack_sq_index(void)
{
    struct pk_info a = info(ATTACKER);
    uint32_t head = kh_ring_u32(&h, a.sq + PK_RING_HEAD), bad = head + a.sq_entries + 1;
    kh_write(&h, a.sq + PK_RING_TAIL, &bad, sizeof bad);
    ck_assert_int_eq(kh_enter(&h, ATTACKER, 1, 0, 0), -PK_ESQINDEX);
    kh_write(&h, a.sq + PK_RING_TAIL, &head, sizeof head); /* back to sane */
}

static void attack_ring_flood(void)
{
    struct pk_info a = info(ATTACKER);
    struct pk_sqe nop = {.opcode = PK_OP_NOP};
    for (unsigned b = 0; b < a.cq_entries / a.sq_entries; b++) {
        for (unsigned i = 0; i < a.sq_entries; i++)
            ck_assert_int_eq(kh_sq_push(&h, ATTACKER, &nop), 0);
        ck_assert_int_eq(kh_enter(&h, ATTACKER, a.sq_entries, 0, 0), (int)a.sq_entries);
    }
    ck_assert_int_eq(kh_sq_push(&h, ATTACKER, &nop), 0);
    ck_assert_int_eq(kh_enter(&h, ATTACKER, 1, 0, 0), -PK_ECQFULL);
    drain(ATTACKER);
    ck_assert_int_eq(kh_enter(&h, ATTACKER, 1, 0, 0), 1); /* the flooded NOP */
    drain(ATTACKER);
}

static void attack_timer_flood(void)
{
    struct pk_info a = info(ATTACKER);
    struct pk_sqe t = {.opcode = PK_OP_TIMER_ARM};
    t.u.timer.ns = 10000000; /* 10 ms: after the scenario */
    for (unsigned i = 0; i < a.max_timers; i++)
        ck_assert_int_eq(kh_submit(&h, ATTACKER, &t), 1);
    ck_assert_uint_eq(kh_cq_ready(&h, ATTACKER), 0);
    refused(t, PK_ETIMERS);
}

/* Attack number k (0..ATTACKS-1) against the victim. */
#define ATTACKS 17
static void attack(unsigned k)
{
    struct pk_info a = info(ATTACKER), v = info(VICTIM);
    uint64_t heap = a.heap_base;
    struct pk_sqe tx = {.opcode = PK_OP_NET_TX, .queue = a.nic_queue[0], .len = 64};
    struct pk_sqe rx = {.opcode = PK_OP_NET_RX_REFILL, .queue = a.nic_queue[0], .len = 2048};
    struct pk_sqe rd = {.opcode = PK_OP_BLK_READ, .queue = a.nvme_qid[0], .len = 4096};
    struct pk_sqe s;
    switch (k) {
    case 0: /* send the victim's memory */
        s = tx;
        s.addr = v.heap_base;
        refused(s, PK_EFOREIGN);
        break;
    case 1: /* point the NIC at the victim's RX ring, in kernel memory */
        s = rx;
        s.addr = v.rx_ring[0];
        refused(s, PK_EKERNEL);
        break;
    case 2: /* read a block over its own SQ (ring memory) */
        s = rd;
        s.addr = a.sq;
        refused(s, PK_ERING);
        break;
    case 3: /* a frame from the last bytes of its partition onward */
        s = tx;
        s.addr = a.mem_base + a.mem_size - 32;
        refused(s, PK_ESTRADDLE);
        break;
    case 4: /* addr + len wraps around to low memory */
        s = rd;
        s.opcode = PK_OP_BLK_WRITE;
        s.addr = UINT64_MAX - 4091;
        refused(s, PK_EOVERFLOW);
        break;
    case 5: /* transmit on the victim's NIC queue */
        s = tx;
        s.queue = v.nic_queue[0];
        s.addr = heap;
        refused(s, PK_EQUEUE);
        break;
    case 6: /* read through the victim's NVMe queue */
        s = rd;
        s.queue = v.nvme_qid[0];
        s.addr = heap;
        refused(s, PK_EQUEUE);
        break;
    case 7:
        s = (struct pk_sqe){.opcode = 0xee};
        refused(s, PK_EOPCODE);
        break;
    case 8:
        attack_sq_index();
        break;
    case 9:
        attack_ring_flood();
        break;
    case 10:
        attack_timer_flood();
        break;
    case 11: /* steer the victim's traffic to... the victim: still not its own */
        s = (struct pk_sqe){.opcode = PK_OP_FLOW_STEER, .queue = v.nic_queue[0]};
        s.u.flow.ip_version = 4;
        s.u.flow.proto = 17;
        s.u.flow.match = PK_FLOW_DST_PORT;
        s.u.flow.dst_port = 7;
        refused(s, PK_ESTEER);
        break;
    case 12: /* an odd block buffer */
        s = rd;
        s.addr = heap + 1;
        refused(s, PK_EALIGN);
        break;
    case 13: /* a frame longer than the link takes */
        s = tx;
        s.addr = heap;
        s.len = 65535;
        refused(s, PK_ELEN);
        break;
    case 14: /* a device's registers */
        s = tx;
        s.addr = MACHINE_NVME_BAR;
        refused(s, PK_EFAULT);
        break;
    case 15: /* a "pool buffer" under range mediation */
        s = tx;
        s.flags = PK_SQE_POOL;
        s.addr = 0;
        refused(s, PK_EMODE);
        break;
    case 16: /* the victim's info block */
        s = rd;
        s.addr = v.mem_base;
        refused(s, PK_EFOREIGN);
        break;
    }
}

/* ---------------------------------------------------------------- the victim */

typedef struct rec {
    struct pk_cqe c;
    sim_time_t at;
} rec_t;

typedef struct outcome {
    rec_t cqe[MAX_REC];
    unsigned ncqe;
    k_proc_stats_t st;
    sim_time_t clock, acct[CPU_MODES];
    nic_queue_stats_t nic;
    unsigned frames;
    sim_time_t frame_at[16];
    uint8_t readback[8192];
} outcome_t;

static outcome_t *cur;

static void wire(void *ctx, const uint8_t *frame, size_t len, sim_time_t t)
{
    (void)ctx;
    (void)frame;
    (void)len;
    if (cur->frames < 16)
        cur->frame_at[cur->frames] = t;
    cur->frames++;
}

/* The victim's poll: enter, then take every completion. */
static void victim_poll(void)
{
    ck_assert_int_ge(kh_enter(&h, VICTIM, 0, 0, 0), 0);
    struct pk_cqe c;
    while (kh_cq_pop(&h, VICTIM, &c) == 0) {
        ck_assert_uint_lt(cur->ncqe, MAX_REC);
        cur->cqe[cur->ncqe++] = (rec_t){c, sim_now(h.sim)};
    }
}

static bool victim_has(uint64_t ud)
{
    for (unsigned i = 0; i < cur->ncqe; i++)
        if (cur->cqe[i].c.user_data == ud)
            return true;
    return false;
}

/* The victim polls on a fixed grid, every GRID_PS; the attacker acts
 * right after a victim poll, at most once per grid point.  A fixed grid
 * matters: the harness enters the kernel from outside the engine, and
 * such an entry first runs the engine up to its core's clock (sim/hal.c),
 * so the attacker's kernel time moves sim_now; each attack's kernel time
 * is checked to stay below one grid step, so the victim's next poll
 * still happens at the same simulated instant. */
#define GRID_PS SIM_US(10)
static sim_time_t grid;

static void victim_wait(uint64_t ud, bool attacker, unsigned *next_attack)
{
    for (unsigned n = 0; !victim_has(ud); n++) {
        ck_assert_uint_lt(n, 100000); /* 1 s */
        grid += GRID_PS;
        advance(grid);
        victim_poll();
        if (attacker && *next_attack < ATTACKS) {
            attack((*next_attack)++);
            ck_assert_uint_lt(kh_core_time(&h, ATTACKER), grid + GRID_PS);
        }
    }
}

static void victim_submit(struct pk_sqe s)
{
    ck_assert_int_eq(kh_submit(&h, VICTIM, &s), 1);
}

static void scenario(outcome_t *out, bool attacker)
{
    memset(out, 0, sizeof *out);
    cur = out;
    boot();
    nic_set_wire_tx(h.m.nic, wire, NULL);
    struct pk_info v = info(VICTIM);
    uint64_t a = v.heap_base, b = v.heap_base + 64 * 1024;
    unsigned next = 0;
    uint8_t data[8192];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13 + 5);
    kh_write(&h, a, data, sizeof data);
    /* NOPs, two timers, a block write, three frames, four RX buffers */
    for (unsigned i = 0; i < 3; i++)
        victim_submit((struct pk_sqe){.opcode = PK_OP_NOP, .user_data = 10 + i});
    struct pk_sqe t = {.opcode = PK_OP_TIMER_ARM, .user_data = 100};
    t.u.timer.ns = 15000;
    victim_submit(t);
    t.user_data = 101;
    t.u.timer.ns = 35000;
    victim_submit(t);
    struct pk_sqe w = {.opcode = PK_OP_BLK_WRITE, .queue = v.nvme_qid[0], .addr = a,
                       .len = sizeof data, .user_data = 200};
    w.u.blk.lba = 10;
    victim_submit(w);
    for (unsigned i = 0; i < 3; i++)
        victim_submit((struct pk_sqe){.opcode = PK_OP_NET_TX, .queue = v.nic_queue[0],
                                      .addr = a + i * 128, .len = 60 + i, .user_data = 300 + i});
    for (unsigned i = 0; i < 4; i++)
        victim_submit((struct pk_sqe){.opcode = PK_OP_NET_RX_REFILL, .queue = v.nic_queue[0],
                                      .addr = b + i * 2048, .len = 2048, .user_data = 400 + i});
    grid = (kh_core_time(&h, VICTIM) / GRID_PS + 1) * GRID_PS;
    advance(grid);
    victim_poll();
    victim_wait(200, attacker, &next);
    /* read it back once written */
    struct pk_sqe r = w;
    r.opcode = PK_OP_BLK_READ;
    r.addr = b + 32 * 1024;
    r.user_data = 201;
    victim_submit(r);
    victim_wait(201, attacker, &next);
    victim_wait(101, attacker, &next);
    while (attacker && next < ATTACKS) {
        grid += GRID_PS;
        advance(grid);
        attack(next++);
    }
    kh_read(&h, b + 32 * 1024, out->readback, sizeof out->readback);
    ck_assert_mem_eq(out->readback, data, sizeof data);
    out->st = *k_proc_stats(VICTIM);
    out->clock = h.m.cores[0].clock;
    for (unsigned m = 0; m < CPU_MODES; m++)
        out->acct[m] = h.m.cores[0].acct[m];
    out->nic = *nic_queue_stats(h.m.nic, v.nic_queue[0]);
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_each_attack_is_refused_with_its_code)
{
    static outcome_t out;
    scenario(&out, true);
    const k_proc_stats_t *st = k_proc_stats(ATTACKER);
    uint64_t want[PK_ERR_COUNT] = {0};
    want[PK_EFOREIGN] = 2;
    want[PK_EQUEUE] = 2;
    static const int once[] = {PK_EKERNEL, PK_ERING,   PK_ESTRADDLE, PK_EOVERFLOW, PK_EOPCODE,
                               PK_ESQINDEX, PK_ECQFULL, PK_ETIMERS,  PK_ESTEER,    PK_EALIGN,
                               PK_ELEN,     PK_EFAULT,  PK_EMODE};
    for (unsigned i = 0; i < sizeof once / sizeof once[0]; i++)
        want[once[i]] = 1;
    for (int e = 0; e < PK_ERR_COUNT; e++)
        ck_assert_msg(st->errors[e] == want[e], "%s counted %llu times, expected %llu",
                      pk_err_name(e), (unsigned long long)st->errors[e],
                      (unsigned long long)want[e]);
    /* nothing of the attacker reached a device */
    ck_assert_uint_eq(st->descs_written, 0);
    ck_assert_uint_eq(st->doorbells, 0);
    ck_assert_uint_eq(st->mediated, 0);
    struct pk_info a = info(ATTACKER);
    const nic_queue_stats_t *q = nic_queue_stats(h.m.nic, a.nic_queue[0]);
    ck_assert_uint_eq(q->tx_packets, 0);
    /* the IOMMU saw no fault, and the kernel read none */
    const iommu_stats_t *io = iommu_stats(h.m.iommu);
    for (unsigned f = 0; f < IOMMU_FAULT_KINDS; f++)
        ck_assert_uint_eq(io->faults[f], 0);
    ck_assert_uint_eq(k_stats()->iommu_faults, 0);
    /* the victim itself was refused nothing */
    for (int e = 0; e < PK_ERR_COUNT; e++)
        ck_assert_uint_eq(out.st.errors[e], 0);
    kh_fini(&h);
}
END_TEST

START_TEST(test_victim_is_unaffected_by_the_attacker)
{
    static outcome_t alone, attacked;
    scenario(&alone, false);
    kh_fini(&h);
    scenario(&attacked, true);
    kh_fini(&h);
    /* the scenario itself: 3 NOPs, 2 timers, write, 3 TX, read, no RX */
    ck_assert_uint_eq(alone.ncqe, 10);
    ck_assert_uint_eq(alone.frames, 3);
    ck_assert_uint_eq(alone.nic.tx_packets, 3);
    ck_assert_uint_eq(attacked.ncqe, alone.ncqe);
    for (unsigned i = 0; i < alone.ncqe; i++) {
        ck_assert_uint_eq(attacked.cqe[i].c.user_data, alone.cqe[i].c.user_data);
        ck_assert_int_eq(attacked.cqe[i].c.res, alone.cqe[i].c.res);
        ck_assert_uint_eq(attacked.cqe[i].c.flags, alone.cqe[i].c.flags);
        ck_assert_uint_eq(attacked.cqe[i].at, alone.cqe[i].at);
    }
    ck_assert_mem_eq(&attacked.st, &alone.st, sizeof alone.st);
    ck_assert_uint_eq(attacked.clock, alone.clock);
    for (unsigned m = 0; m < CPU_MODES; m++)
        ck_assert_uint_eq(attacked.acct[m], alone.acct[m]);
    ck_assert_mem_eq(&attacked.nic, &alone.nic, sizeof alone.nic);
    ck_assert_uint_eq(attacked.frames, alone.frames);
    for (unsigned i = 0; i < alone.frames; i++)
        ck_assert_uint_eq(attacked.frame_at[i], alone.frame_at[i]);
}
END_TEST

static Suite *isolation_suite(void)
{
    Suite *s = suite_create("kernel_isolation");
    TCase *tc = tcase_create("isolation");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_each_attack_is_refused_with_its_code);
    tcase_add_test(tc, test_victim_is_unaffected_by_the_attacker);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(isolation_suite)
