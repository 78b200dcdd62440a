/* tests/workloads/check_blkio_data: the fio-like block I/O application
 * (workloads/blkio.c) as a parakernel process on the real kernel and the
 * NVMe model: the kernel booted by tests/kernel/kharness.h, the process
 * hosted by sim/proc, process 1 left to the test, which reads and writes
 * the namespace through the kernel itself.
 *
 * Every SQE the application hands the kernel is recorded by a spy in
 * front of k_sys_enter (the proc_kernel_t the runtime calls), with the
 * time of the call: offsets, lengths, directions and issue times are
 * checked on those, not on the application's own counters.  The host and
 * the spy are tests/workloads/blkio_host.h.
 *
 * Checked here: what lands on the namespace (the verify pattern, and that
 * verification catches foreign writes), trace replay (mapping, splitting,
 * timing, speed) and refused parameters and traces; the closed and open
 * loops and the I/O patterns are check_blkio.
 *
 * Expectations are independent of blkio.c: the verify pattern is
 * blkio.h's formula computed here; trace mappings are worked out by hand
 * below; refusals are matched on the one-line error each bad input must
 * name. */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>

#include "sim/proc.h"
#include "tests/workloads/blkio_host.h"
#include "workloads/blkio.h"

/* ---------------------------------------------------------------- verify */

/* The block at byte offset b written by write number g (blkio.h). */
static void expected_block(uint8_t *p, uint64_t b, uint32_t g)
{
    for (uint32_t i = 0; i < LBA; i += 8) {
        uint64_t w = (b + i) ^ ((uint64_t)g * UINT64_C(0x9E3779B97F4A7C15));
        for (unsigned k = 0; k < 8; k++)
            p[i + k] = (uint8_t)(w >> (8 * k));
    }
}

/* Read blocks through the kernel as process 1 into its heap. */
static void read_blocks(uint64_t lba, uint32_t n, uint8_t *out)
{
    struct pk_info in;
    ck_assert_int_eq(kh_info(&H.h, 1, &in), 0);
    struct pk_sqe s = {.opcode = PK_OP_BLK_READ, .queue = in.nvme_qid[0], .addr = in.heap_base,
                       .len = n * LBA, .user_data = 0x77};
    s.u.blk.lba = lba;
    ck_assert_int_eq(kh_submit(&H.h, 1, &s), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_wait_cqe(&H.h, 1, &c, sim_now(H.h.sim) + SIM_MS(50)), 0);
    ck_assert_int_eq(c.res, (int32_t)(n * LBA));
    kh_read(&H.h, in.heap_base, out, (size_t)n * LBA);
}

/* Sequential writes of 8 KiB over 16 blocks from 1 MiB: write k (k = 1..8)
 * covers blocks 2(k-1) and 2(k-1)+1 of the range, with generation k. */
START_TEST(test_written_blocks_carry_the_pattern)
{
    static const wl_param_t p[] = {{"rw", "write"}, {"bs", "8192"}, {"offset", "1048576"},
                                   {"size", "65536"}, {"verify", "1"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(rep_u64("write.ios"), 8); /* default ios: size / bs */
    static uint8_t got[18 * LBA], want[LBA], zero[LBA];
    read_blocks(MIB / LBA - 1, 18, got); /* one block either side of the range */
    ck_assert_mem_eq(got, zero, LBA);
    ck_assert_mem_eq(got + 17 * LBA, zero, LBA);
    for (unsigned blk = 0; blk < 16; blk++) {
        expected_block(want, MIB + (uint64_t)blk * LBA, blk / 2 + 1);
        ck_assert_msg(memcmp(got + (blk + 1) * LBA, want, LBA) == 0, "block %u", blk);
    }
    /* the SQEs: in order, 8 KiB apart */
    ck_assert_uint_eq(H.nsq, 8);
    for (unsigned k = 0; k < 8; k++) {
        ck_assert_uint_eq(H.sq[k].op, PK_OP_BLK_WRITE);
        ck_assert_uint_eq(H.sq[k].lba, MIB / LBA + 2 * k);
        ck_assert_uint_eq(H.sq[k].len, 8192);
    }
    down();
}
END_TEST

START_TEST(test_mixed_io_verifies_clean)
{
    static const wl_param_t p[] = {{"rw", "randrw"}, {"iodepth", "4"}, {"size", "131072"},
                                   {"ios", "600"}, {"verify", "1"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(rep_u64("verify.errors"), 0);
    ck_assert_uint_gt(rep_u64("verify.checked"), 100); /* 32 blocks, ~300 reads */
    ck_assert_uint_eq(rep_u64("errors.total"), 0);
    ck_assert_uint_eq(rep_u64("read.ios") + rep_u64("write.ios"), 600);
    down();
}
END_TEST

/* The check is real: overwrite the range behind the process's back. */
START_TEST(test_verify_detects_foreign_writes)
{
    static const wl_param_t p[] = {{"rw", "randrw"}, {"size", "65536"}, {"ios", "1000"},
                                   {"verify", "1"}};
    char err[256] = "";
    boot(PK_MEDIATE_RANGE, 1);
    ck_assert_msg(spawn(p, NP(p), NULL, err, sizeof err) == 0, "%s", err);
    proc_rt_start(H.rt);
    kh_run_for(&H.h, SIM_MS(20)); /* every block written by then, most likely */
    ck_assert_uint_eq(proc_stats(H.rt, 0)->state == PROC_EXITED, 0);
    struct pk_info in;
    ck_assert_int_eq(kh_info(&H.h, 1, &in), 0);
    static uint8_t junk[16 * LBA];
    memset(junk, 0xA5, sizeof junk);
    kh_write(&H.h, in.heap_base, junk, sizeof junk);
    struct pk_sqe s = {.opcode = PK_OP_BLK_WRITE, .queue = in.nvme_qid[0], .addr = in.heap_base,
                       .len = sizeof junk, .user_data = 0x78};
    ck_assert_int_eq(kh_submit(&H.h, 1, &s), 1);
    run_to_exit(SIM_S(5));
    ck_assert_uint_gt(rep_u64("verify.errors"), 0);
    down();
}
END_TEST

/* ---------------------------------------------------------------- trace replay */

/* Range [1 MiB, 2 MiB), bs_max 128 KiB, 4 KiB LBAs:
 *   r0  t 0       read   0, 4 KiB             -> LBA 256, 4 KiB
 *   r1  t 100 us  write  8 KiB, 200 KiB       -> split: LBA 258, 128 KiB; LBA 290, 72 KiB
 *   r2  t 200 us  flush
 *   r3  t 300 us  read   5 MiB + 12388, 1000  -> 12388 mod 1 MiB aligned down: LBA 259, 4 KiB
 *   r4  t 400 us  read   3 MiB - 4 KiB, 8 KiB -> the range's last block: LBA 511, clipped to 4 KiB
 *   r5  t 500 us  write  0, length 0          -> skipped
 *   r6  t 600 us  read   0, 4 KiB             -> LBA 256 */
static const wl_blk_op_t trace[] = {
    {0, 0, 4096, WL_BLK_READ},
    {SIM_US(100), 8192, 200u << 10, WL_BLK_WRITE},
    {SIM_US(200), 0, 0, WL_BLK_FLUSH},
    {SIM_US(300), 5 * MIB + 12388, 1000, WL_BLK_READ},
    {SIM_US(400), 3 * MIB - 4096, 8192, WL_BLK_READ},
    {SIM_US(500), 0, 0, WL_BLK_WRITE},
    {SIM_US(600), 0, 4096, WL_BLK_READ},
};
static const struct {
    uint8_t op;
    uint64_t lba;
    uint32_t len;
    sim_time_t t;
} replayed[] = {
    {PK_OP_BLK_READ, 256, 4096, 0},
    {PK_OP_BLK_WRITE, 258, 128u << 10, SIM_US(100)},
    {PK_OP_BLK_WRITE, 290, 72u << 10, SIM_US(100)},
    {PK_OP_BLK_FLUSH, 0, 0, SIM_US(200)},
    {PK_OP_BLK_READ, 259, 4096, SIM_US(300)},
    {PK_OP_BLK_READ, 511, 4096, SIM_US(400)},
    {PK_OP_BLK_READ, 256, 4096, SIM_US(600)},
};

static void replay(const char *speed)
{
    wl_input_t in = {WL_INPUT_BLK, trace, NP(trace), "hand-made"};
    wl_param_t p[] = {{"trace", "hand-made"}, {"offset", "1048576"}, {"size", "1048576"},
                      {"iodepth", "8"}, {"trace_speed", speed}};
    run(PK_MEDIATE_RANGE, p, NP(p), &in);
}

START_TEST(test_trace_replay_maps_splits_and_times)
{
    replay("1");
    ck_assert_uint_eq(H.nsq, NP(replayed));
    for (unsigned k = 0; k < NP(replayed); k++) {
        ck_assert_uint_eq(H.sq[k].op, replayed[k].op);
        ck_assert_uint_eq(H.sq[k].len, replayed[k].len);
        if (replayed[k].op != PK_OP_BLK_FLUSH)
            ck_assert_uint_eq(H.sq[k].lba, replayed[k].lba);
        /* issued at its time (the first op's submission is time 0 give or
         * take the first step's few hundred ns), woken by the timer */
        sim_time_t dt = H.sq[k].t - H.sq[0].t;
        ck_assert_msg(dt + SIM_US(1) >= replayed[k].t && dt <= replayed[k].t + SIM_US(20),
                      "op %u issued at +%llu ps, due at +%llu", k, (unsigned long long)dt,
                      (unsigned long long)replayed[k].t);
    }
    ck_assert_uint_eq(rep_u64("trace.ops"), 7);
    ck_assert_uint_eq(rep_u64("trace.split"), 1);
    ck_assert_uint_eq(rep_u64("trace.clipped"), 1);
    ck_assert_uint_eq(rep_u64("trace.skipped"), 1);
    ck_assert_uint_eq(rep_u64("read.ios"), 4);
    ck_assert_uint_eq(rep_u64("write.ios"), 2);
    ck_assert_uint_eq(rep_u64("write.bytes"), 200u << 10);
    ck_assert_uint_eq(rep_u64("flush.ios"), 1);
    ck_assert_uint_eq(rep_u64("ios"), 7);
    ck_assert_uint_eq(nvme_stats(H.h.m.nvme)->io_cmds[NVME_OP_FLUSH], 1);
    ck_assert_uint_eq(rep_hist("read.lat")->count, 4);
    down();
}
END_TEST

START_TEST(test_trace_speed_scales_times)
{
    replay("2");
    ck_assert_uint_eq(H.nsq, NP(replayed));
    for (unsigned k = 0; k < NP(replayed); k++) {
        sim_time_t dt = H.sq[k].t - H.sq[0].t, due = replayed[k].t / 2;
        ck_assert_msg(dt + SIM_US(1) >= due && dt <= due + SIM_US(20), "op %u", k);
    }
    down();
    replay("0"); /* as fast as iodepth allows: all 7 in the first batch */
    ck_assert_uint_eq(H.nsq, NP(replayed));
    ck_assert_uint_eq(H.sq[6].t, H.sq[0].t);
    ck_assert(!has_key("read.lat"));
    down();
}
END_TEST

/* ---------------------------------------------------------------- refusals */

static void refused(const wl_param_t *p, size_t n, const wl_input_t *in, const char *needle)
{
    char err[256] = "";
    boot(PK_MEDIATE_RANGE, 1);
    ck_assert_int_eq(spawn(p, n, in, err, sizeof err), -1);
    ck_assert_msg(strstr(err, needle) != NULL, "'%s' lacks '%s'", err, needle);
    ck_assert_ptr_null(strchr(err, '\n'));
    down();
}

START_TEST(test_bad_params_are_refused)
{
    static const wl_param_t bs[] = {{"bs", "1000"}};
    refused(bs, 1, NULL, "parameter bs: 1000 is not a multiple of the LBA size (4096 bytes)");
    static const wl_param_t rw[] = {{"rw", "sideways"}};
    refused(rw, 1, NULL, "parameter rw: expected read|write|randread|randwrite|randrw|readwrite");
    static const wl_param_t depth[] = {{"iodepth", "0"}};
    refused(depth, 1, NULL, "parameter iodepth: expected 1..1024");
    static const wl_param_t size[] = {{"offset", "4096"}, {"size", "1073741824"}};
    refused(size, 2, NULL, "beyond the namespace (1073741824 bytes)");
    static const wl_param_t off[] = {{"offset", "512"}};
    refused(off, 1, NULL, "parameter offset: 512 is not a multiple");
    static const wl_param_t mix[] = {{"rwmixread", "101"}};
    refused(mix, 1, NULL, "parameter rwmixread");
    static const wl_param_t proc[] = {{"rate_process", "bursty"}};
    refused(proc, 1, NULL, "parameter rate_process: expected poisson|linear");
    static const wl_param_t rate[] = {{"rate_iops", "-5"}};
    refused(rate, 1, NULL, "parameter rate_iops: expected a decimal number");
    static const wl_param_t speed[] = {{"trace_speed", "2"}};
    refused(speed, 1, NULL, "trace_speed applies to a trace replay only");
    static const wl_param_t notrace[] = {{"trace", "x.blk"}};
    refused(notrace, 1, NULL, "parameter trace: no records were handed over");
    static const wl_param_t small[] = {{"size", "4096"}, {"bs", "8192"}};
    refused(small, 2, NULL, "parameter size: 4096 is smaller than bs (8192)");
    static const wl_param_t heap[] = {{"iodepth", "1024"}, {"bs", "131072"}};
    refused(heap, 2, NULL, "bytes of heap");
}
END_TEST

START_TEST(test_bad_traces_are_refused)
{
    wl_input_t in = {WL_INPUT_BLK, trace, NP(trace), "t"};
    static const wl_param_t rw[] = {{"trace", "t"}, {"rw", "write"}};
    refused(rw, 2, &in, "parameter rw does not apply to a trace replay");
    static const wl_blk_op_t back[] = {{SIM_US(5), 0, 4096, WL_BLK_READ},
                                       {SIM_US(4), 0, 4096, WL_BLK_READ}};
    wl_input_t b = {WL_INPUT_BLK, back, 2, "t"};
    refused(NULL, 0, &b, "record 1: time goes backwards");
    static const wl_blk_op_t kind[] = {{0, 0, 4096, 7}};
    wl_input_t k = {WL_INPUT_BLK, kind, 1, "t"};
    refused(NULL, 0, &k, "record 0: unknown kind 7");
    wl_input_t empty = {WL_INPUT_BLK, trace, 0, "t"};
    refused(NULL, 0, &empty, "the trace has no records");
}
END_TEST

static Suite *blkio_data_suite(void)
{
    const struct {
        const char *tcase;
        const TTest *test;
    } tests[] = {
        {"verify", test_written_blocks_carry_the_pattern},
        {"verify", test_mixed_io_verifies_clean},
        {"verify", test_verify_detects_foreign_writes},
        {"trace", test_trace_replay_maps_splits_and_times},
        {"trace", test_trace_speed_scales_times},
        {"refusals", test_bad_params_are_refused},
        {"refusals", test_bad_traces_are_refused},
    };
    Suite *s = suite_create("workloads_blkio_data");
    TCase *tc = NULL;
    for (size_t i = 0; i < NP(tests); i++) {
        if (!i || strcmp(tests[i].tcase, tests[i - 1].tcase)) {
            tc = tcase_create(tests[i].tcase);
            tcase_set_timeout(tc, 60);
            suite_add_tcase(s, tc);
        }
        tcase_add_test(tc, tests[i].test);
    }
    return s;
}

CHECK_MAIN(blkio_data_suite)
