/* Descriptor mediation (kernel/mediate.c) through the system call and the
 * real drivers: the classification table of both strategies (every error
 * code, boundary cases: the last byte of a partition, len 0, addresses at
 * the top of the 64-bit space), pool registration, translation checked
 * against what the devices actually used (the bytes the NIC sent, the
 * address in the RX view), and the counters and cost of mediation.
 *
 * Memory plan (kharness): the kernel region [2 MiB, 64 MiB); process 0's
 * partition [64 MiB, 96 MiB); process 1's moved up to [98 MiB, 130 MiB),
 * leaving [96 MiB, 98 MiB) to nobody; memory ends at 1 GiB.  Rings: the
 * info page, SQ (128 + 64 x 64) and CQ (128 + 128 x 16) end 12 KiB into
 * each partition (ring_end).  Expected codes come from the rules listed
 * in mediate.c's header, applied by hand. */
#include "tests/check_main.h"

#include "tests/kernel/kharness.h"

#define MIB (UINT64_C(1) << 20)
#define KIB (UINT64_C(1) << 10)
#define P0 (64 * MIB)
#define P1 (98 * MIB)
#define PSIZE (32 * MIB)
#define RING_END 12288u

static kh_t h;

static void boot(enum pk_mediation med)
{
    ck_assert_msg(kh_init(&h, NULL) == 0, "%s", h.err);
    kh_plan(&h, 2, 1, 1);
    h.plan.procs[1].mem_base = P1;
    h.plan.mediation = med;
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
}

static void setup_range(void) { boot(PK_MEDIATE_RANGE); }
static void setup_pool(void) { boot(PK_MEDIATE_POOL); }
static void teardown(void) { kh_fini(&h); }

static struct pk_info info(unsigned pid)
{
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, pid, &in), 0);
    return in;
}

/* The SQE's outcome: 0 when it was accepted (mediated, a descriptor
 * written, no completion yet), else the code of its refusal, checked
 * against the completion and the counters. */
static int outcome(unsigned pid, const struct pk_sqe *s)
{
    k_proc_stats_t before = *k_proc_stats(pid);
    ck_assert_int_eq(kh_submit(&h, pid, s), 1);
    const k_proc_stats_t *after = k_proc_stats(pid);
    struct pk_cqe c;
    if (kh_cq_pop(&h, pid, &c) < 0) {
        ck_assert_uint_eq(after->mediated, before.mediated + 1);
        ck_assert_uint_eq(after->descs_written, before.descs_written + 1);
        for (int e = 0; e < PK_ERR_COUNT; e++)
            ck_assert_uint_eq(after->errors[e], before.errors[e]);
        return 0;
    }
    ck_assert_uint_eq(c.user_data, s->user_data);
    ck_assert_uint_eq(c.flags & 0xff, s->opcode);
    ck_assert_int_lt(c.res, 0);
    ck_assert_uint_eq(after->errors[-c.res], before.errors[-c.res] + 1);
    ck_assert_uint_eq(after->mediated, before.mediated);
    ck_assert_uint_eq(after->descs_written, before.descs_written);
    return -c.res;
}

/* ---------------------------------------------------------------- range */

enum where { HEAP, PART0, SQ0, RINGEND0, END0, KMEM, PART1, END1, ZERO, TOP, MEMEND, NICBAR };

static uint64_t at(enum where w)
{
    switch (w) {
    case HEAP: return P0 + RING_END + 64 * KIB;
    case PART0: return P0;
    case SQ0: return P0 + 4096;
    case RINGEND0: return P0 + RING_END;
    case END0: return P0 + PSIZE;
    case KMEM: return KH_KMEM_BASE;
    case PART1: return P1;
    case END1: return P1 + PSIZE;
    case ZERO: return 0;
    case TOP: return UINT64_MAX;
    case MEMEND: return UINT64_C(1) << 30;
    case NICBAR: return MACHINE_NIC_BAR;
    }
    return 0;
}

typedef struct mcase {
    const char *what;
    unsigned pid;
    uint8_t op, flags;
    enum where w;
    int64_t off;
    uint32_t len;
    int expect; /* 0: accepted */
} mcase_t;

#define TX PK_OP_NET_TX
#define RX PK_OP_NET_RX_REFILL
#define BW PK_OP_BLK_WRITE

static const mcase_t range_cases[] = {
    /* lengths (TX: at most 1514 = max_frame 1518 - FCS) */
    {"TX len 0", 0, TX, 0, HEAP, 0, 0, PK_ELEN},
    {"TX len above the frame", 0, TX, 0, HEAP, 0, 1515, PK_ELEN},
    {"TX longest frame", 0, TX, 0, HEAP, 0, 1514, 0},
    {"TX one byte", 0, TX, 0, HEAP, 0, 1, 0},
    /* overflow is about the last byte */
    {"last byte wraps", 0, TX, 0, TOP, 0, 2, PK_EOVERFLOW},
    {"wraps by 54", 0, TX, 0, TOP, -9, 64, PK_EOVERFLOW},
    {"UINT64_MAX, 1 byte", 0, TX, 0, TOP, 0, 1, PK_EFAULT},
    {"ends at UINT64_MAX", 0, TX, 0, TOP, -63, 64, PK_EFAULT},
    /* ring memory: info page, SQ, the CQ's last byte */
    {"info block", 0, TX, 0, PART0, 0, 64, PK_ERING},
    {"SQ", 0, TX, 0, SQ0, 0, 64, PK_ERING},
    {"over ring_end", 0, TX, 0, RINGEND0, -1, 2, PK_ERING},
    {"first heap byte", 0, TX, 0, RINGEND0, 0, 64, 0},
    /* the partition's end */
    {"last 64 bytes", 0, TX, 0, END0, -64, 64, 0},
    {"last byte", 0, TX, 0, END0, -1, 1, 0},
    {"one byte over the end", 0, TX, 0, END0, -63, 64, PK_ESTRADDLE},
    {"from the end into the gap", 0, TX, 0, END0, -1, 1514, PK_ESTRADDLE},
    {"in the gap", 0, TX, 0, END0, 0, 64, PK_EFAULT},
    /* kernel memory */
    {"kernel region", 0, TX, 0, KMEM, 4096, 64, PK_EKERNEL},
    {"kernel into partition", 0, TX, 0, PART0, -32, 64, PK_EKERNEL},
    {"low memory into kernel", 0, TX, 0, KMEM, -32, 64, PK_EKERNEL},
    /* another process */
    {"foreign partition", 0, TX, 0, PART1, 8192, 64, PK_EFOREIGN},
    {"gap into foreign", 0, TX, 0, PART1, -32, 64, PK_EFOREIGN},
    {"foreign heap, other way", 1, TX, 0, PART0, 20000, 64, PK_EFOREIGN},
    {"foreign ring", 1, TX, 0, SQ0, 0, 64, PK_EFOREIGN},
    /* rule 8: from the gap into one's own partition */
    {"gap into own partition", 1, TX, 0, PART1, -32, 64, PK_ESTRADDLE},
    {"own last byte (p1)", 1, TX, 0, END1, -1, 1, 0},
    /* memory nobody owns */
    {"address 0", 0, TX, 0, ZERO, 0, 64, PK_EFAULT},
    {"end of memory", 0, TX, 0, MEMEND, 0, 64, PK_EFAULT},
    {"a device BAR", 0, TX, 0, NICBAR, 0, 64, PK_EFAULT},
    /* RX refill: 2-byte alignment, at least rx_buf_min */
    {"RX odd address", 0, RX, 0, HEAP, 1, 2048, PK_EALIGN},
    {"RX even address", 0, RX, 0, HEAP, 2, 2048, 0},
    {"RX short buffer", 0, RX, 0, HEAP, 0, 2047, PK_ELEN},
    {"RX above 16-bit length", 0, RX, 0, HEAP, 0, 65536, PK_ELEN},
    {"RX foreign", 0, RX, 0, PART1, 4096, 2048, PK_EFOREIGN},
    {"RX straddles the end", 0, RX, 0, END0, -1024, 2048, PK_ESTRADDLE},
    {"RX ring memory", 0, RX, 0, SQ0, 64, 2048, PK_ERING},
    /* block: 4-byte alignment, whole blocks, 128 KiB at most */
    {"BLK 2-byte aligned", 0, BW, 0, HEAP, 2, 4096, PK_EALIGN},
    {"BLK 4-byte aligned", 0, BW, 0, HEAP, 4, 4096, 0},
    {"BLK 128 KiB", 0, BW, 0, HEAP, 0, 128 * 1024, 0},
    {"BLK above 128 KiB", 0, BW, 0, HEAP, 0, 132 * 1024, PK_ELEN},
    {"BLK into kernel", 0, BW, 0, KMEM, 0, 4096, PK_EKERNEL},
    {"BLK over the SQ", 0, BW, 0, SQ0, 0, 4096, PK_ERING},
    {"BLK ends at UINT64_MAX", 0, BW, 0, TOP, -4095, 4096, PK_EFAULT},
    {"BLK wraps", 0, BW, 0, TOP, -4091, 4096, PK_EOVERFLOW},
    /* flags */
    {"pool buffer under range", 0, TX, PK_SQE_POOL, HEAP, 0, 64, PK_EMODE},
    {"unknown SQE flag", 0, TX, 0x80, HEAP, 0, 64, PK_EINVAL},
};

START_TEST(test_range_classification)
{
    const mcase_t *c = &range_cases[_i];
    struct pk_info in = info(c->pid);
    struct pk_sqe s = {.opcode = c->op, .flags = c->flags, .len = c->len,
                       .addr = at(c->w) + (uint64_t)c->off, .user_data = 1000 + (uint64_t)_i};
    s.queue = c->op == BW ? in.nvme_qid[0] : in.nic_queue[0];
    int got = outcome(c->pid, &s);
    ck_assert_msg(got == c->expect, "%s: %s, expected %s", c->what, pk_err_name(got),
                  pk_err_name(c->expect));
}
END_TEST

START_TEST(test_pool_register_under_range_is_refused)
{
    struct pk_info in = info(0);
    struct pk_sqe s = {.opcode = PK_OP_POOL_REGISTER, .addr = in.heap_base, .user_data = 3};
    s.u.pool.buf_size = 2048;
    s.u.pool.count = 4;
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), 0);
    ck_assert_int_eq(c.res, -PK_EPOOL);
    ck_assert_uint_eq(c.flags & 0xff, PK_OP_POOL_REGISTER);
}
END_TEST

/* ---------------------------------------------------------------- pools */

/* Register a pool: the completion's res (pool id or -PK_E...). */
static int32_t reg(uint64_t addr, uint32_t buf_size, uint32_t count, uint8_t flags)
{
    struct pk_sqe s = {.opcode = PK_OP_POOL_REGISTER, .flags = flags, .addr = addr,
                       .user_data = 77};
    s.u.pool.buf_size = buf_size;
    s.u.pool.count = count;
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), 0);
    ck_assert_uint_eq(c.user_data, 77);
    ck_assert_uint_eq(c.flags & 0xff, PK_OP_POOL_REGISTER);
    return c.res;
}

START_TEST(test_pool_registration_rules)
{
    uint64_t heap = P0 + RING_END;
    ck_assert_int_eq(reg(heap, 32, 4, 0), -PK_EINVAL);        /* below a line */
    ck_assert_int_eq(reg(heap, 100, 4, 0), -PK_EINVAL);       /* not a line multiple */
    ck_assert_int_eq(reg(heap, 2048, 0, 0), -PK_EINVAL);      /* no buffer */
    ck_assert_int_eq(reg(heap, 2048, 4, PK_SQE_POOL), -PK_EINVAL);
    ck_assert_int_eq(reg(heap + 8, 2048, 4, 0), -PK_EALIGN);  /* not on a line */
    ck_assert_int_eq(reg(P0 + 4096, 64, 4, 0), -PK_ERING);
    ck_assert_int_eq(reg(P1 + 4096, 2048, 4, 0), -PK_EFOREIGN);
    ck_assert_int_eq(reg(KH_KMEM_BASE, 2048, 4, 0), -PK_EKERNEL);
    ck_assert_int_eq(reg(P0 + PSIZE - 2048, 2048, 2, 0), -PK_ESTRADDLE);
    ck_assert_int_eq(reg(UINT64_MAX - 63, 64, 2, 0), -PK_EOVERFLOW);
    /* 2^31 x 2^31 bytes: the product is exact in 64 bits, and leaves */
    ck_assert_int_eq(reg(heap, 1u << 31, 1u << 31, 0), -PK_ESTRADDLE);
    ck_assert_int_eq(reg(UINT64_C(1) << 30, 64, 1, 0), -PK_EFAULT);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_EINVAL], 4);
    /* four good pools (max_pools 4), ids in order, then no room */
    for (int32_t i = 0; i < 4; i++)
        ck_assert_int_eq(reg(heap + (uint64_t)i * 64 * KIB, 2048, 8, 0), i);
    ck_assert_int_eq(reg(heap + 4 * 64 * KIB, 2048, 8, 0), -PK_ENOSPC);
}
END_TEST

typedef struct pcase {
    const char *what;
    uint8_t op, flags;
    uint64_t addr;
    uint32_t len;
    int expect;
} pcase_t;

#define BUF(id, i) ((uint64_t)(id) << 32 | (i))

/* Pools: 0 = 16 x 2048 at the heap, 1 = 4 x 1024 after it. */
static const pcase_t pool_cases[] = {
    {"TX pool 0 buffer 3", TX, PK_SQE_POOL, BUF(0, 3), 100, 0},
    {"TX pool 0 last buffer", TX, PK_SQE_POOL, BUF(0, 15), 1514, 0},
    {"TX index past the pool", TX, PK_SQE_POOL, BUF(0, 16), 100, PK_EPOOL},
    {"TX pool 1 last buffer, full", TX, PK_SQE_POOL, BUF(1, 3), 1024, 0},
    {"TX longer than the buffer", TX, PK_SQE_POOL, BUF(1, 3), 1025, PK_ELEN},
    {"TX index past pool 1", TX, PK_SQE_POOL, BUF(1, 4), 64, PK_EPOOL},
    {"TX unregistered pool", TX, PK_SQE_POOL, BUF(2, 0), 64, PK_EPOOL},
    {"TX huge pool id", TX, PK_SQE_POOL, UINT64_MAX, 64, PK_EPOOL},
    {"TX len 0", TX, PK_SQE_POOL, BUF(0, 1), 0, PK_ELEN},
    {"TX raw address", TX, 0, P0 + RING_END, 64, PK_EMODE},
    {"RX pool 0 buffer", RX, PK_SQE_POOL, BUF(0, 1), 2048, 0},
    {"RX buffer too small for a frame", RX, PK_SQE_POOL, BUF(1, 0), 2048, PK_ELEN},
    {"BLK one block in pool 0", BW, PK_SQE_POOL, BUF(0, 0), 4096, PK_ELEN},
    {"unknown flag", TX, PK_SQE_POOL | 0x40, BUF(0, 0), 64, PK_EINVAL},
};

static void register_two(void)
{
    uint64_t heap = P0 + RING_END;
    ck_assert_int_eq(reg(heap, 2048, 16, 0), 0);
    ck_assert_int_eq(reg(heap + 16 * 2048, 1024, 4, 0), 1);
}

START_TEST(test_pool_classification)
{
    register_two();
    const pcase_t *c = &pool_cases[_i];
    struct pk_info in = info(0);
    struct pk_sqe s = {.opcode = c->op, .flags = c->flags, .len = c->len, .addr = c->addr,
                       .user_data = 2000 + (uint64_t)_i};
    s.queue = c->op == BW ? in.nvme_qid[0] : in.nic_queue[0];
    int got = outcome(0, &s);
    ck_assert_msg(got == c->expect, "%s: %s, expected %s", c->what, pk_err_name(got),
                  pk_err_name(c->expect));
}
END_TEST

/* What the NIC put on the wire. */
static uint8_t sent[2048];
static size_t sent_len;
static unsigned sent_n;

static void wire(void *ctx, const uint8_t *frame, size_t len, sim_time_t t)
{
    (void)ctx;
    (void)t;
    if (len <= sizeof sent)
        memcpy(sent, frame, len);
    sent_len = len;
    sent_n++;
}

START_TEST(test_pool_buffer_translates_to_its_address)
{
    register_two();
    uint64_t buf = P0 + RING_END + 5 * 2048; /* pool 0, index 5, by hand */
    uint8_t frame[128];
    for (unsigned i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(i * 7 + 1);
    kh_write(&h, buf, frame, sizeof frame);
    sent_n = 0;
    nic_set_wire_tx(h.m.nic, wire, NULL);
    struct pk_info in = info(0);
    struct pk_sqe s = {.opcode = TX, .flags = PK_SQE_POOL, .queue = in.nic_queue[0],
                       .len = sizeof frame, .addr = BUF(0, 5), .user_data = 9};
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_wait_cqe(&h, 0, &c, SIM_US(100)), 0);
    ck_assert_uint_eq(c.user_data, 9);
    ck_assert_int_eq(c.res, (int32_t)sizeof frame);
    ck_assert_uint_eq(sent_n, 1);
    ck_assert_uint_eq(sent_len, sizeof frame);
    ck_assert_mem_eq(sent, frame, sizeof frame);
    /* RX: the view's shadow names the process's address of the buffer */
    s = (struct pk_sqe){.opcode = RX, .flags = PK_SQE_POOL, .queue = in.nic_queue[0],
                        .len = 2048, .addr = BUF(0, 7)};
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    uint64_t shadow = 0;
    uint32_t posted = 0;
    kh_read(&h, in.rx_shadow[0] + PK_RXV_SHADOW, &shadow, sizeof shadow);
    kh_read(&h, in.rx_shadow[0] + PK_RXV_POSTED, &posted, sizeof posted);
    ck_assert_uint_eq(posted, 1);
    ck_assert_uint_eq(shadow, P0 + RING_END + 7 * 2048);
}
END_TEST

START_TEST(test_range_buffer_is_sent_from_its_address)
{
    uint64_t buf = P0 + PSIZE - 60; /* the partition's last 60 bytes */
    uint8_t frame[60];
    for (unsigned i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(0xA0 ^ i);
    kh_write(&h, buf, frame, sizeof frame);
    sent_n = 0;
    nic_set_wire_tx(h.m.nic, wire, NULL);
    struct pk_info in = info(0);
    struct pk_sqe s = {.opcode = TX, .queue = in.nic_queue[0], .len = sizeof frame, .addr = buf,
                       .user_data = 4};
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_wait_cqe(&h, 0, &c, SIM_US(100)), 0);
    ck_assert_int_eq(c.res, 60);
    ck_assert_uint_eq(sent_n, 1);
    ck_assert_mem_eq(sent, frame, sizeof frame);
}
END_TEST

/* ---------------------------------------------------------------- counters and cost */

/* 32 TX descriptors in one call: mediation_ps over them. */
static uint64_t batch_of_tx(bool pool)
{
    struct pk_info in = info(0);
    for (unsigned i = 0; i < 32; i++) {
        struct pk_sqe s = {.opcode = TX, .queue = in.nic_queue[0], .len = 64, .user_data = i};
        if (pool) {
            s.flags = PK_SQE_POOL;
            s.addr = BUF(0, i % 16);
        } else {
            s.addr = in.heap_base + i * 2048;
        }
        ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    }
    ck_assert_int_eq(kh_enter(&h, 0, 32, 0, 0), 32);
    const k_proc_stats_t *st = k_proc_stats(0);
    ck_assert_uint_eq(st->mediated, 32);
    ck_assert_uint_eq(st->descs_written, 32);
    ck_assert_uint_eq(st->batches, 1);
    ck_assert_uint_eq(st->doorbells, 1);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    return st->mediation_ps;
}

START_TEST(test_pool_mediation_is_cheaper_than_range)
{
    uint64_t range_ps = batch_of_tx(false);
    kh_fini(&h);
    boot(PK_MEDIATE_POOL);
    register_two();
    k_proc_stats_t after_reg = *k_proc_stats(0);
    uint64_t pool_ps = batch_of_tx(true) - after_reg.mediation_ps;
    ck_assert_uint_gt(pool_ps, 0);
    ck_assert_uint_lt(pool_ps, range_ps);
    /* mediation time is core time: it cannot exceed the kernel's */
    ck_assert_uint_le(k_proc_stats(0)->mediation_ps, h.m.cores[0].acct[CPU_KERNEL]);
}
END_TEST

START_TEST(test_refusals_write_nothing)
{
    struct pk_info in = info(0);
    for (unsigned i = 0; i < 8; i++) {
        struct pk_sqe s = {.opcode = TX, .queue = in.nic_queue[0], .len = 64,
                           .addr = KH_KMEM_BASE + i * 64, .user_data = i};
        ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    }
    ck_assert_int_eq(kh_enter(&h, 0, 8, 0, 0), 8);
    const k_proc_stats_t *st = k_proc_stats(0);
    ck_assert_uint_eq(st->errors[PK_EKERNEL], 8);
    ck_assert_uint_eq(st->descs_written, 0);
    ck_assert_uint_eq(st->doorbells, 0);
    ck_assert_uint_eq(st->batches, 0);
    ck_assert_uint_eq(st->mediated, 0);
    ck_assert_uint_eq(nic_queue_stats(h.m.nic, in.nic_queue[0])->tx_packets, 0);
}
END_TEST

static Suite *mediate_suite(void)
{
    Suite *s = suite_create("kernel_mediate");
    TCase *r = tcase_create("range");
    tcase_add_checked_fixture(r, setup_range, teardown);
    tcase_add_loop_test(r, test_range_classification, 0,
                        (int)(sizeof range_cases / sizeof range_cases[0]));
    tcase_add_test(r, test_pool_register_under_range_is_refused);
    tcase_add_test(r, test_range_buffer_is_sent_from_its_address);
    tcase_add_test(r, test_pool_mediation_is_cheaper_than_range);
    tcase_add_test(r, test_refusals_write_nothing);
    suite_add_tcase(s, r);
    TCase *p = tcase_create("pool");
    tcase_add_checked_fixture(p, setup_pool, teardown);
    tcase_add_test(p, test_pool_registration_rules);
    tcase_add_loop_test(p, test_pool_classification, 0,
                        (int)(sizeof pool_cases / sizeof pool_cases[0]));
    tcase_add_test(p, test_pool_buffer_translates_to_its_address);
    suite_add_tcase(s, p);
    return s;
}

CHECK_MAIN(mediate_suite)
