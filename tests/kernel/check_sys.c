/* The system call (kernel/sys.c, pk_enter's semantics in include/pk.h)
 * driven through the simulated machine: SQ consumption and its bounds,
 * completions with user data, the CQ-full rule, dispatch of unknown
 * opcodes, queue ownership, per-process counters, waiting and waking,
 * and the ABI's name tables (kernel/abi.c). */
#include "tests/check_main.h"

#include "tests/kernel/kharness.h"

static kh_t h;

static void setup(void)
{
    ck_assert_msg(kh_init(&h, NULL) == 0, "%s", h.err);
    kh_plan(&h, 2, 1, 1);
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
}

static void teardown(void)
{
    kh_fini(&h);
}

static struct pk_sqe nop(uint64_t ud)
{
    return (struct pk_sqe){.opcode = PK_OP_NOP, .user_data = ud};
}

static struct pk_info info(unsigned pid)
{
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, pid, &in), 0);
    return in;
}

/* Take one CQE, which must exist. */
static struct pk_cqe pop(unsigned pid)
{
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, pid, &c), 0);
    return c;
}

static void expect_cqe(unsigned pid, uint64_t ud, int32_t res, uint32_t op)
{
    struct pk_cqe c = pop(pid);
    ck_assert_uint_eq(c.user_data, ud);
    ck_assert_int_eq(c.res, res);
    ck_assert_uint_eq(c.flags & 0xff, op);
}

/* ---------------------------------------------------------------- SQ and CQ */

START_TEST(test_nop_completes_with_its_user_data)
{
    struct pk_sqe s = nop(0xdeadbeefcafeULL);
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 1);
    expect_cqe(0, 0xdeadbeefcafeULL, 0, PK_OP_NOP);
    const k_proc_stats_t *st = k_proc_stats(0);
    ck_assert_uint_eq(st->syscalls, 1);
    ck_assert_uint_eq(st->sqes, 1);
    ck_assert_uint_eq(st->ops[PK_OP_NOP], 1);
    ck_assert_uint_eq(st->cqes, 1);
    /* the other process saw nothing */
    ck_assert_uint_eq(k_proc_stats(1)->syscalls, 0);
    ck_assert_uint_eq(kh_cq_ready(&h, 1), 0);
}
END_TEST

START_TEST(test_batch_completes_in_order)
{
    for (uint64_t i = 0; i < 10; i++) {
        struct pk_sqe s = nop(100 + i);
        ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    }
    ck_assert_int_eq(kh_enter(&h, 0, 10, 0, 0), 10);
    struct pk_info in = info(0);
    ck_assert_uint_eq(kh_ring_u32(&h, in.sq + PK_RING_HEAD), 10);
    for (uint64_t i = 0; i < 10; i++)
        expect_cqe(0, 100 + i, 0, PK_OP_NOP);
    ck_assert_uint_eq(k_proc_stats(0)->syscalls, 1);
}
END_TEST

START_TEST(test_to_submit_bounds_consumption)
{
    for (uint64_t i = 0; i < 5; i++) {
        struct pk_sqe s = nop(i);
        ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    }
    ck_assert_int_eq(kh_enter(&h, 0, 2, 0, 0), 2);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 2);
    ck_assert_int_eq(kh_enter(&h, 0, 0, 0, 0), 0);  /* nothing asked: nothing taken */
    ck_assert_int_eq(kh_enter(&h, 0, 100, 0, 0), 3); /* no more than published */
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 5);
    for (uint64_t i = 0; i < 5; i++)
        expect_cqe(0, i, 0, PK_OP_NOP);
}
END_TEST

START_TEST(test_sq_wraps_at_mask)
{
    /* 64 entries: 3 x 50 SQEs go round the ring twice */
    for (uint64_t round = 0; round < 3; round++) {
        for (uint64_t i = 0; i < 50; i++) {
            struct pk_sqe s = nop(round * 1000 + i);
            ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
        }
        ck_assert_int_eq(kh_enter(&h, 0, 50, 0, 0), 50);
        for (uint64_t i = 0; i < 50; i++)
            expect_cqe(0, round * 1000 + i, 0, PK_OP_NOP);
    }
}
END_TEST

START_TEST(test_sq_index_out_of_range_is_refused)
{
    struct pk_info in = info(0);
    struct pk_sqe s = nop(1);
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    pop(0);
    /* head is 1: a tail of 1 + 64 is a full ring, 1 + 65 is garbage */
    uint32_t tail = 1 + 65;
    kh_write(&h, in.sq + PK_RING_TAIL, &tail, sizeof tail);
    ck_assert_int_eq(kh_enter(&h, 0, 1, 0, 0), -PK_ESQINDEX);
    tail = 0; /* behind head: tail - head wraps to 2^32 - 1 */
    kh_write(&h, in.sq + PK_RING_TAIL, &tail, sizeof tail);
    ck_assert_int_eq(kh_enter(&h, 0, 1, 0, 0), -PK_ESQINDEX);
    ck_assert_uint_eq(kh_ring_u32(&h, in.sq + PK_RING_HEAD), 1);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_ESQINDEX], 2);
    ck_assert_uint_eq(k_proc_stats(0)->sqes, 1);
    /* a full ring (tail = head + 64) is fine: 64 zeroed SQEs are NOPs */
    tail = 1 + 64;
    kh_write(&h, in.sq + PK_RING_TAIL, &tail, sizeof tail);
    ck_assert_int_eq(kh_enter(&h, 0, 64, 0, 0), 64);
}
END_TEST

START_TEST(test_cq_full_stops_consumption)
{
    /* CQ 128: fill 126 slots, then 5 SQEs: 2 fit */
    for (unsigned b = 0; b < 2; b++) {
        for (unsigned i = 0; i < 63; i++) {
            struct pk_sqe s = nop(i);
            ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
        }
        ck_assert_int_eq(kh_enter(&h, 0, 63, 0, 0), 63);
    }
    for (unsigned i = 0; i < 5; i++) {
        struct pk_sqe s = nop(500 + i);
        ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    }
    ck_assert_int_eq(kh_enter(&h, 0, 5, 0, 0), 2);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 128);
    /* the CQ is full: not one SQE is taken; the call says so */
    ck_assert_int_eq(kh_enter(&h, 0, 3, 0, 0), -PK_ECQFULL);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_ECQFULL], 1);
    struct pk_info in = info(0);
    ck_assert_uint_eq(kh_ring_u32(&h, in.sq + PK_RING_HEAD), 128);
    /* nothing was overwritten: the oldest entry is still the first NOP */
    expect_cqe(0, 0, 0, PK_OP_NOP);
    ck_assert_int_eq(kh_enter(&h, 0, 3, 0, 0), 1);
    ck_assert_uint_eq(k_proc_stats(0)->sqes, 129);
}
END_TEST

START_TEST(test_bogus_cq_head_harms_only_the_process)
{
    struct pk_info in = info(0);
    uint32_t head = 1000; /* ahead of the kernel's tail (0) */
    kh_write(&h, in.cq + PK_RING_HEAD, &head, sizeof head);
    struct pk_sqe s = nop(1);
    ck_assert_int_eq(kh_submit(&h, 0, &s), -PK_ECQFULL);
    /* the other process is unaffected */
    ck_assert_int_eq(kh_submit(&h, 1, &s), 1);
    expect_cqe(1, 1, 0, PK_OP_NOP);
}
END_TEST

START_TEST(test_unknown_opcode_is_refused)
{
    static const uint8_t ops[] = {PK_OP_COUNT, 77, 255};
    for (unsigned i = 0; i < 3; i++) {
        struct pk_sqe s = {.opcode = ops[i], .user_data = 40 + i};
        ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
        expect_cqe(0, 40 + i, -PK_EOPCODE, ops[i]);
    }
    const k_proc_stats_t *st = k_proc_stats(0);
    ck_assert_uint_eq(st->errors[PK_EOPCODE], 3);
    ck_assert_uint_eq(st->sqes, 3);
    for (unsigned op = 0; op < PK_OP_COUNT; op++)
        ck_assert_uint_eq(st->ops[op], 0);
}
END_TEST

START_TEST(test_bad_enter_flags)
{
    ck_assert_int_eq(kh_enter(&h, 0, 0, 0, 0x80), -PK_EINVAL);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_EINVAL], 1);
}
END_TEST

START_TEST(test_no_process_on_core)
{
    machine_entry_begin(&h.m, 3, CPU_KERNEL); /* 2 processes: cores 0, 1 */
    ck_assert_int_eq(k_sys_enter(1, 0, 0), -PK_EINVAL);
    machine_entry_end(&h.m);
}
END_TEST

/* ---------------------------------------------------------------- queues */

START_TEST(test_foreign_queue_ids_are_refused)
{
    struct pk_info mine = info(0), other = info(1);
    uint64_t buf = mine.heap_base + 4096;
    struct pk_sqe tx = {.opcode = PK_OP_NET_TX, .queue = other.nic_queue[0], .len = 64,
                        .addr = buf, .user_data = 1};
    ck_assert_int_eq(kh_submit(&h, 0, &tx), 1);
    expect_cqe(0, 1, -PK_EQUEUE, PK_OP_NET_TX);
    struct pk_sqe rx = tx;
    rx.opcode = PK_OP_NET_RX_REFILL;
    rx.len = 2048;
    rx.queue = 99; /* not a queue at all */
    ck_assert_int_eq(kh_submit(&h, 0, &rx), 1);
    expect_cqe(0, 1, -PK_EQUEUE, PK_OP_NET_RX_REFILL);
    struct pk_sqe blk = {.opcode = PK_OP_BLK_READ, .queue = other.nvme_qid[0],
                         .len = mine.lba_size, .addr = buf, .user_data = 2};
    ck_assert_int_eq(kh_submit(&h, 0, &blk), 1);
    expect_cqe(0, 2, -PK_EQUEUE, PK_OP_BLK_READ);
    blk.opcode = PK_OP_BLK_FLUSH;
    blk.queue = 0; /* the admin queue */
    ck_assert_int_eq(kh_submit(&h, 0, &blk), 1);
    expect_cqe(0, 2, -PK_EQUEUE, PK_OP_BLK_FLUSH);
    struct pk_sqe st = {.opcode = PK_OP_FLOW_STEER, .queue = other.nic_queue[0], .user_data = 3};
    st.u.flow.ip_version = 4;
    st.u.flow.proto = 17;
    st.u.flow.match = PK_FLOW_DST_PORT;
    st.u.flow.dst_port = 9;
    ck_assert_int_eq(kh_submit(&h, 0, &st), 1);
    expect_cqe(0, 3, -PK_ESTEER, PK_OP_FLOW_STEER);
    const k_proc_stats_t *s = k_proc_stats(0);
    ck_assert_uint_eq(s->errors[PK_EQUEUE], 4);
    ck_assert_uint_eq(s->errors[PK_ESTEER], 1);
    ck_assert_uint_eq(s->descs_written, 0);
    ck_assert_uint_eq(s->mediated, 0);
}
END_TEST

START_TEST(test_block_request_bounds)
{
    struct pk_info in = info(0);
    uint64_t buf = in.heap_base;
    uint32_t lbs = in.lba_size;
    struct pk_sqe s = {.opcode = PK_OP_BLK_WRITE, .queue = in.nvme_qid[0], .addr = buf};
    /* not a whole number of blocks */
    s.len = lbs + 1;
    s.user_data = 1;
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    expect_cqe(0, 1, -PK_ELEN, PK_OP_BLK_WRITE);
    /* above 128 KiB */
    s.len = (128u << 10) + lbs;
    s.user_data = 2;
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    expect_cqe(0, 2, -PK_ELEN, PK_OP_BLK_WRITE);
    /* the last block is fine; one past it is not; 2 blocks from the last */
    s.len = lbs;
    s.u.blk.lba = in.ns_blocks;
    s.user_data = 3;
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    expect_cqe(0, 3, -PK_EINVAL, PK_OP_BLK_WRITE);
    s.len = 2 * lbs;
    s.u.blk.lba = in.ns_blocks - 1;
    s.user_data = 4;
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    expect_cqe(0, 4, -PK_EINVAL, PK_OP_BLK_WRITE);
    s.u.blk.lba = UINT64_MAX;
    s.user_data = 5;
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    expect_cqe(0, 5, -PK_EINVAL, PK_OP_BLK_WRITE);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_ELEN], 2);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_EINVAL], 3);
    ck_assert_uint_eq(k_proc_stats(0)->descs_written, 0);
}
END_TEST

START_TEST(test_rx_refill_needs_a_full_buffer)
{
    struct pk_info in = info(0);
    struct pk_sqe s = {.opcode = PK_OP_NET_RX_REFILL, .queue = in.nic_queue[0],
                       .addr = in.heap_base, .len = in.rx_buf_min - 1, .user_data = 9};
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    expect_cqe(0, 9, -PK_ELEN, PK_OP_NET_RX_REFILL);
    /* a good refill completes nothing: the buffer comes back through the
     * RX view; it counts a descriptor and a doorbell batch */
    s.len = in.rx_buf_min;
    ck_assert_int_eq(kh_submit(&h, 0, &s), 1);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
    const k_proc_stats_t *st = k_proc_stats(0);
    ck_assert_uint_eq(st->descs_written, 1);
    ck_assert_uint_eq(st->mediated, 1);
    ck_assert_uint_eq(st->batches, 1);
    ck_assert_uint_ge(st->doorbells, 1);
    ck_assert_uint_gt(st->mediation_ps, 0);
}
END_TEST

START_TEST(test_one_doorbell_per_queue_per_call)
{
    struct pk_info in = info(0);
    for (unsigned i = 0; i < 8; i++) {
        struct pk_sqe s = {.opcode = PK_OP_NET_RX_REFILL, .queue = in.nic_queue[0],
                           .addr = in.heap_base + i * 2048, .len = 2048, .user_data = i};
        ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    }
    ck_assert_int_eq(kh_enter(&h, 0, 8, 0, 0), 8);
    const k_proc_stats_t *st = k_proc_stats(0);
    ck_assert_uint_eq(st->descs_written, 8);
    ck_assert_uint_eq(st->doorbells, 1);
    ck_assert_uint_eq(st->batches, 1);
    /* a call that writes nothing rings nothing */
    ck_assert_int_eq(kh_enter(&h, 0, 0, 0, 0), 0);
    ck_assert_uint_eq(st->doorbells, 1);
    ck_assert_uint_eq(st->batches, 1);
}
END_TEST

/* ---------------------------------------------------------------- costs */

START_TEST(test_kernel_time_lands_on_the_callers_core)
{
    struct pk_sqe s = nop(1);
    ck_assert_int_eq(kh_submit(&h, 1, &s), 1);
    ck_assert_uint_gt(h.m.cores[1].acct[CPU_KERNEL], 0);
    ck_assert_uint_eq(h.m.cores[1].acct[CPU_USER], 0);
    sim_time_t before = h.m.cores[1].acct[CPU_KERNEL];
    sim_time_t other = h.m.cores[0].acct[CPU_KERNEL];
    /* ten NOPs cost more than one, and none of it elsewhere */
    for (unsigned i = 0; i < 10; i++)
        ck_assert_int_eq(kh_sq_push(&h, 1, &s), 0);
    ck_assert_int_eq(kh_enter(&h, 1, 10, 0, 0), 10);
    ck_assert_uint_gt(h.m.cores[1].acct[CPU_KERNEL] - before, before);
    ck_assert_uint_eq(h.m.cores[0].acct[CPU_KERNEL], other);
}
END_TEST

/* ---------------------------------------------------------------- waiting */

START_TEST(test_wait_returns_at_once_when_satisfied)
{
    struct pk_sqe s = nop(1);
    ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    ck_assert_int_eq(kh_enter(&h, 0, 1, 1, PK_ENTER_WAIT), 1);
    ck_assert(!machine_take_wait(&h.m, 0));
    ck_assert_uint_eq(k_proc_stats(0)->waits, 0);
    /* min_complete 0 is always satisfied */
    pop(0);
    ck_assert_int_eq(kh_enter(&h, 0, 0, 0, PK_ENTER_WAIT), 0);
    ck_assert(!machine_take_wait(&h.m, 0));
}
END_TEST

START_TEST(test_wait_blocks_until_a_timer_completes)
{
    struct pk_sqe t = {.opcode = PK_OP_TIMER_ARM, .user_data = 5};
    t.u.timer.ns = 20000; /* 20 us */
    ck_assert_int_eq(kh_sq_push(&h, 0, &t), 0);
    ck_assert_int_eq(kh_enter(&h, 0, 1, 1, PK_ENTER_WAIT), 1);
    ck_assert(machine_take_wait(&h.m, 0));
    ck_assert_uint_eq(k_proc_stats(0)->waits, 1);
    ck_assert(!machine_take_wake(&h.m, 0));
    kh_run_for(&h, SIM_US(30));
    ck_assert(machine_take_wake(&h.m, 0));
    ck_assert_uint_eq(k_proc_stats(0)->wakeups, 1);
    expect_cqe(0, 5, 0, PK_OP_TIMER_ARM);
}
END_TEST

START_TEST(test_wait_for_more_than_the_cq_holds_is_clamped)
{
    /* 128 completions fill the CQ: waiting for 1000 cannot block forever */
    for (unsigned b = 0; b < 2; b++) {
        for (unsigned i = 0; i < 64; i++) {
            struct pk_sqe s = nop(i);
            ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
        }
        ck_assert_int_eq(kh_enter(&h, 0, 64, 0, 0), 64);
    }
    ck_assert_int_eq(kh_enter(&h, 0, 0, 1000, PK_ENTER_WAIT), 0);
    ck_assert(!machine_take_wait(&h.m, 0));
}
END_TEST

/* ---------------------------------------------------------------- names */

START_TEST(test_every_code_and_opcode_has_a_name)
{
    ck_assert_str_eq(pk_err_name(PK_OK), "PK_OK");
    for (int e = 1; e < PK_ERR_COUNT; e++) {
        ck_assert_msg(strncmp(pk_err_name(e), "PK_E", 4) == 0, "code %d: %s", e, pk_err_name(e));
        ck_assert_str_eq(pk_err_name(-e), pk_err_name(e));
        for (int f = 1; f < e; f++)
            ck_assert_str_ne(pk_err_name(e), pk_err_name(f));
    }
    ck_assert_str_eq(pk_err_name(-PK_EFOREIGN), "PK_EFOREIGN");
    ck_assert_str_eq(pk_err_name(PK_ERR_COUNT), "?");
    ck_assert_str_eq(pk_err_name(INT32_MIN), "?");
    for (unsigned op = 0; op < PK_OP_COUNT; op++)
        ck_assert_str_ne(pk_op_name(op), "?");
    ck_assert_str_eq(pk_op_name(PK_OP_NET_TX), "NET_TX");
    ck_assert_str_eq(pk_op_name(PK_OP_COUNT), "?");
}
END_TEST

static Suite *sys_suite(void)
{
    Suite *s = suite_create("kernel_sys");
    TCase *tc = tcase_create("sys");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_nop_completes_with_its_user_data);
    tcase_add_test(tc, test_batch_completes_in_order);
    tcase_add_test(tc, test_to_submit_bounds_consumption);
    tcase_add_test(tc, test_sq_wraps_at_mask);
    tcase_add_test(tc, test_sq_index_out_of_range_is_refused);
    tcase_add_test(tc, test_cq_full_stops_consumption);
    tcase_add_test(tc, test_bogus_cq_head_harms_only_the_process);
    tcase_add_test(tc, test_unknown_opcode_is_refused);
    tcase_add_test(tc, test_bad_enter_flags);
    tcase_add_test(tc, test_no_process_on_core);
    tcase_add_test(tc, test_foreign_queue_ids_are_refused);
    tcase_add_test(tc, test_block_request_bounds);
    tcase_add_test(tc, test_rx_refill_needs_a_full_buffer);
    tcase_add_test(tc, test_one_doorbell_per_queue_per_call);
    tcase_add_test(tc, test_kernel_time_lands_on_the_callers_core);
    tcase_add_test(tc, test_wait_returns_at_once_when_satisfied);
    tcase_add_test(tc, test_wait_blocks_until_a_timer_completes);
    tcase_add_test(tc, test_wait_for_more_than_the_cq_holds_is_clamped);
    tcase_add_test(tc, test_every_code_and_opcode_has_a_name);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(sys_suite)
