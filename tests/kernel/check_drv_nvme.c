/* The NVMe driver (kernel/drv_nvme.c) through the real NVMe model: boot
 * (namespace geometry from Identify), one I/O queue pair per process
 * queue, read-after-write data equality, PRP lists over three and more
 * pages (up to the 128 KiB limit, unaligned), Flush, a device error
 * surfacing as -PK_EIO with the NVMe status, the in-flight limit, one SQ
 * doorbell per batch, and the interrupt of a waiting process.
 *
 * Expectations: the namespace is the machine's (nvme_cfg_default: 1 GiB
 * of 4 KiB blocks); data equality is byte for byte against what the test
 * wrote; the error status is the spec's Data Transfer Error (NVMe 1.4
 * Figure 127: SCT 0, SC 04h) for a buffer the controller cannot reach. */
#include "tests/check_main.h"

#include "devices/nvme.h"
#include "kernel/k.h"
#include "tests/kernel/kharness.h"

#define NPROC 3u
#define NQ 2u
#define LBA 4096u

static kh_t h;

static void setup(void)
{
    ck_assert_msg(kh_init(&h, NULL) == 0, "%s", h.err);
    kh_plan(&h, NPROC, 0, NQ);
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
}

static void teardown(void)
{
    kh_fini(&h);
}

static struct pk_info info(unsigned pid)
{
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, pid, &in), 0);
    return in;
}

static void push_blk(unsigned pid, unsigned qi, uint8_t op, uint64_t addr, uint32_t len,
                     uint64_t lba, uint64_t ud)
{
    struct pk_sqe s = {.opcode = op, .queue = info(pid).nvme_qid[qi], .addr = addr, .len = len,
                       .user_data = ud};
    s.u.blk.lba = lba;
    ck_assert_int_eq(kh_sq_push(&h, pid, &s), 0);
}

/* One command, submitted and waited for: its CQE. */
static struct pk_cqe blk(unsigned pid, unsigned qi, uint8_t op, uint64_t addr, uint32_t len,
                         uint64_t lba, uint64_t ud)
{
    push_blk(pid, qi, op, addr, len, lba, ud);
    ck_assert_int_eq(kh_enter(&h, pid, 1, 0, 0), 1);
    struct pk_cqe c;
    ck_assert_msg(kh_wait_cqe(&h, pid, &c, sim_now(h.sim) + SIM_MS(5)) == 0, "no completion");
    ck_assert_uint_eq(c.user_data, ud);
    ck_assert_uint_eq(c.flags & 0xff, op);
    return c;
}

static void pattern(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 9));
}

/* Write len bytes at `wr` (from buffer offset woff) and read them back at
 * buffer offset roff: the bytes must come back unchanged. */
static void write_read(unsigned pid, uint32_t len, uint64_t lba, uint64_t woff, uint64_t roff)
{
    static uint8_t src[K_BLK_MAX_LEN], dst[K_BLK_MAX_LEN];
    struct pk_info in = info(pid);
    uint64_t wa = in.heap_base + woff, ra = in.heap_base + (UINT64_C(1) << 20) + roff;
    pattern(src, len, (unsigned)(lba + len));
    kh_write(&h, wa, src, len);
    memset(dst, 0, len);
    kh_write(&h, ra, dst, len);
    ck_assert_int_eq(blk(pid, 0, PK_OP_BLK_WRITE, wa, len, lba, 1).res, (int32_t)len);
    ck_assert_int_eq(blk(pid, 0, PK_OP_BLK_READ, ra, len, lba, 2).res, (int32_t)len);
    kh_read(&h, ra, dst, len);
    ck_assert_mem_eq(dst, src, len);
}

/* ---------------------------------------------------------------- boot */

START_TEST(test_boot_gives_each_process_its_queue_pairs)
{
    for (unsigned p = 0; p < NPROC; p++) {
        struct pk_info in = info(p);
        ck_assert_uint_eq(in.nvme_queues, NQ);
        for (unsigned k = 0; k < NQ; k++)
            ck_assert_uint_eq(in.nvme_qid[k], 1 + p * NQ + k); /* boot.c: contiguous from 1 */
        ck_assert_uint_eq(in.lba_size, h.m.cfg.nvme.lba_size);
        ck_assert_uint_eq(in.ns_blocks, h.m.cfg.nvme.ns_blocks);
    }
    ck_assert_uint_eq(k_nvme_lba_size(), LBA);
}
END_TEST

/* ---------------------------------------------------------------- data */

START_TEST(test_read_after_write_one_block)
{
    write_read(0, LBA, 7, 0, 0);
}
END_TEST

START_TEST(test_read_after_write_two_pages_prp2)
{
    write_read(1, 2 * LBA, 1000, 0, 0);
}
END_TEST

START_TEST(test_prp_list_over_three_and_more_pages)
{
    write_read(0, 3 * LBA, 20, 0, 0);             /* aligned: PRP1 + a 2-entry list */
    write_read(1, 5 * LBA, 40, 512, 2048);        /* unaligned: 6 pages each way */
    write_read(2, K_BLK_MAX_LEN, 80, 4092, 8);    /* 128 KiB, 33 pages: a full list */
}
END_TEST

START_TEST(test_processes_share_the_namespace_not_the_queues)
{
    static uint8_t a[2 * LBA], b[2 * LBA];
    struct pk_info i0 = info(0), i2 = info(2);
    pattern(a, sizeof a, 3);
    kh_write(&h, i0.heap_base, a, sizeof a);
    ck_assert_int_eq(blk(0, 1, PK_OP_BLK_WRITE, i0.heap_base, sizeof a, 500, 5).res,
                     (int32_t)sizeof a);
    ck_assert_uint_eq(kh_cq_ready(&h, 2), 0); /* nothing in the other CQ */
    ck_assert_int_eq(blk(2, 1, PK_OP_BLK_READ, i2.heap_base, sizeof b, 500, 6).res,
                     (int32_t)sizeof b);
    kh_read(&h, i2.heap_base, b, sizeof b);
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0);
}
END_TEST

START_TEST(test_flush_completes_with_zero)
{
    ck_assert_int_eq(blk(1, 1, PK_OP_BLK_FLUSH, 0, 0, 0, 77).res, 0);
}
END_TEST

/* ---------------------------------------------------------------- errors and limits */

START_TEST(test_device_error_is_eio_with_the_status)
{
    /* A Read into memory the controller cannot reach (past the end of
     * memory; mediation would refuse it, so the driver is called
     * directly, as a kernel bug would): Data Transfer Error. */
    unsigned core = kh_core(&h, 1);
    uint64_t nowhere = h.m.cfg.mem_bytes + (UINT64_C(1) << 20);
    unsigned qid = info(1).nvme_qid[0];
    machine_entry_begin(&h.m, core, CPU_KERNEL);
    int rc = k_nvme_submit(qid, PK_OP_BLK_READ, nowhere, LBA, 3, 0xe0);
    k_nvme_flush(&k_state.procs[1]);
    machine_entry_end(&h.m);
    ck_assert_int_eq(rc, 0);
    struct pk_cqe c;
    ck_assert_int_eq(kh_wait_cqe(&h, 1, &c, sim_now(h.sim) + SIM_MS(5)), 0);
    ck_assert_uint_eq(c.user_data, 0xe0);
    ck_assert_int_eq(c.res, -PK_EIO);
    ck_assert_uint_eq(c.flags & 0xff, PK_OP_BLK_READ);
    ck_assert_uint_eq(c.flags >> 16, 0x004); /* SCT 0, SC 04h */
    ck_assert_uint_eq(k_stats()->nvme_errors, 1);
    ck_assert_uint_eq(k_proc_stats(1)->errors[PK_EIO], 1);
}
END_TEST

START_TEST(test_driver_refuses_bad_lengths_and_ranges)
{
    unsigned core = kh_core(&h, 0), qid = info(0).nvme_qid[0];
    uint64_t buf = info(0).heap_base;
    machine_entry_begin(&h.m, core, CPU_KERNEL);
    ck_assert_int_eq(k_nvme_submit(qid, PK_OP_BLK_READ, buf, 100, 0, 1), PK_ELEN);
    ck_assert_int_eq(k_nvme_submit(qid, PK_OP_BLK_READ, buf, K_BLK_MAX_LEN + LBA, 0, 1), PK_ELEN);
    ck_assert_int_eq(k_nvme_submit(qid, PK_OP_BLK_READ, buf, LBA, k_nvme_blocks(), 1), PK_EINVAL);
    ck_assert_int_eq(k_nvme_submit(qid, PK_OP_BLK_READ, buf + 2, LBA, 0, 1), PK_EALIGN);
    ck_assert_int_eq(k_nvme_submit(info(1).nvme_qid[0] + 100, PK_OP_BLK_READ, buf, LBA, 0, 1),
                     PK_EQUEUE);
    machine_entry_end(&h.m);
}
END_TEST

START_TEST(test_queue_takes_entries_minus_one_commands)
{
    unsigned n = h.plan.nvme.queue_entries - 1; /* 63 in flight at most */
    uint64_t buf = info(0).heap_base;
    for (unsigned k = 0; k < n + 1; k++)
        push_blk(0, 0, PK_OP_BLK_READ, buf + (uint64_t)k * LBA, LBA, k, 100 + k);
    ck_assert_int_eq(kh_enter(&h, 0, n + 1, 0, 0), (int)(n + 1));
    const k_proc_stats_t *st = k_proc_stats(0);
    ck_assert_uint_eq(st->descs_written, n);
    ck_assert_uint_eq(st->doorbells, 1); /* one SQ tail doorbell for the batch */
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), 0);
    ck_assert_uint_eq(c.user_data, 100 + n);
    ck_assert_int_eq(c.res, -PK_EAGAIN);
    unsigned seen = 0;
    while (seen < n) {
        ck_assert_int_eq(kh_wait_cqe(&h, 0, &c, sim_now(h.sim) + SIM_MS(10)), 0);
        ck_assert_int_eq(c.res, (int32_t)LBA);
        seen++;
    }
    ck_assert_uint_gt(st->doorbells, 1); /* CQ head doorbells rung by the harvests */
    /* the ids came back: the queue takes a full batch again, and the
     * controller never found its CQ full (the head doorbells freed it) */
    for (unsigned k = 0; k < n; k++)
        push_blk(0, 0, PK_OP_BLK_READ, buf + (uint64_t)k * LBA, LBA, k, 200 + k);
    ck_assert_int_eq(kh_enter(&h, 0, n, 0, 0), (int)n);
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), -1);
    bool got[64] = {false};
    for (seen = 0; seen < n; seen++) {
        ck_assert_int_eq(kh_wait_cqe(&h, 0, &c, sim_now(h.sim) + SIM_MS(10)), 0);
        ck_assert(c.user_data >= 200 && c.user_data < 200 + n && !got[c.user_data - 200]);
        got[c.user_data - 200] = true; /* each command exactly once */
    }
    ck_assert_uint_eq(nvme_stats(h.m.nvme)->cq_full_holds, 0);
}
END_TEST

/* ---------------------------------------------------------------- interrupts */

/* Regression: the driver did not watch its CQs, so a polling process was
 * never woken by an NVMe completion.  The device's CQE write must reach
 * the owner's core's poll watch, at a time after the submission, and no
 * other core's. */
static unsigned watch_hits[8];
static sim_time_t watch_when;
static void on_watch(void *ctx, unsigned core, sim_time_t when)
{
    (void)ctx;
    if (core < 8)
        watch_hits[core]++;
    watch_when = when;
}

START_TEST(test_completion_ends_the_owners_poll)
{
    memset(watch_hits, 0, sizeof watch_hits);
    machine_set_watch(&h.m, on_watch, NULL);
    struct pk_info in = info(1);
    sim_time_t t0 = sim_now(h.sim);
    blk(1, 0, PK_OP_BLK_READ, in.heap_base, LBA, 0, 7);
    ck_assert_uint_gt(watch_hits[kh_core(&h, 1)], 0);
    ck_assert_uint_eq(watch_hits[kh_core(&h, 0)], 0);
    ck_assert_uint_gt(watch_when, t0);
    machine_set_watch(&h.m, NULL, NULL);
}
END_TEST

START_TEST(test_waiting_process_is_woken_by_its_completion)
{
    uint64_t irqs = k_stats()->irqs;
    /* process 1 polls: its completion raises no interrupt */
    push_blk(1, 0, PK_OP_BLK_READ, info(1).heap_base, LBA, 1, 11);
    ck_assert_int_eq(kh_enter(&h, 1, 1, 0, 0), 1);
    kh_run_for(&h, SIM_MS(1));
    ck_assert_uint_eq(k_stats()->irqs, irqs);
    /* process 0 waits for one completion: blocks, then wakes */
    push_blk(0, 1, PK_OP_BLK_READ, info(0).heap_base, 2 * LBA, 9, 12);
    ck_assert_int_eq(kh_enter(&h, 0, 1, 1, PK_ENTER_WAIT), 1);
    ck_assert(machine_take_wait(&h.m, kh_core(&h, 0)));
    kh_run_for(&h, SIM_MS(1));
    ck_assert_uint_gt(k_stats()->irqs, irqs);
    ck_assert(machine_take_wake(&h.m, kh_core(&h, 0)));
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), 0); /* harvested by the handler */
    ck_assert_uint_eq(c.user_data, 12);
    ck_assert_int_eq(c.res, 2 * LBA);
    ck_assert(!machine_take_wake(&h.m, kh_core(&h, 1)));
}
END_TEST

static Suite *drv_nvme_suite(void)
{
    Suite *s = suite_create("kernel_drv_nvme");
    TCase *b = tcase_create("boot");
    tcase_add_checked_fixture(b, setup, teardown);
    tcase_add_test(b, test_boot_gives_each_process_its_queue_pairs);
    suite_add_tcase(s, b);
    TCase *d = tcase_create("data");
    tcase_add_checked_fixture(d, setup, teardown);
    tcase_add_test(d, test_read_after_write_one_block);
    tcase_add_test(d, test_read_after_write_two_pages_prp2);
    tcase_add_test(d, test_prp_list_over_three_and_more_pages);
    tcase_add_test(d, test_processes_share_the_namespace_not_the_queues);
    tcase_add_test(d, test_flush_completes_with_zero);
    suite_add_tcase(s, d);
    TCase *e = tcase_create("errors");
    tcase_add_checked_fixture(e, setup, teardown);
    tcase_add_test(e, test_device_error_is_eio_with_the_status);
    tcase_add_test(e, test_driver_refuses_bad_lengths_and_ranges);
    tcase_add_test(e, test_queue_takes_entries_minus_one_commands);
    suite_add_tcase(s, e);
    TCase *i = tcase_create("interrupts");
    tcase_add_checked_fixture(i, setup, teardown);
    tcase_add_test(i, test_completion_ends_the_owners_poll);
    tcase_add_test(i, test_waiting_process_is_woken_by_its_completion);
    suite_add_tcase(s, i);
    return s;
}

CHECK_MAIN(drv_nvme_suite)
