/* tests/workloads/check_blkio: the fio-like block I/O application
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
 * Checked here: the closed loop, the open loop and the I/O patterns (mix,
 * offsets, wrap, queues, seeds); verification, trace replay and refused
 * inputs are check_blkio_data.
 *
 * Expectations are independent of blkio.c: the media floor of a 4 KiB
 * NAND read is tR + one 4 KiB channel transfer (devices/nvme/media.c,
 * from the cost table: nand.read + nand.xfer_4k); a closed loop at
 * iodepth 1 completes 1 / (mean latency) I/Os per second (Little's law
 * with one in flight); open-loop counts are Poisson (mean rate x time,
 * bound 4 sigma) or exact for constant gaps; mixes are binomial (4
 * sigma). */
#include "tests/check_main.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "devices/nvme.h"
#include "sim/proc.h"
#include "tests/workloads/blkio_host.h"
#include "workloads/blkio.h"

/* ---------------------------------------------------------------- closed loop */

START_TEST(test_closed_loop_qd1_count_floor_and_iops)
{
    static const wl_param_t p[] = {{"rw", "randread"}, {"iodepth", "1"}, {"ios", "300"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(rep_u64("read.ios"), 300);
    ck_assert_uint_eq(rep_u64("read.bytes"), 300 * 4096);
    ck_assert_uint_eq(rep_u64("write.ios"), 0);
    ck_assert_uint_eq(rep_u64("errors.total"), 0);
    ck_assert_uint_eq(count_sqes(PK_OP_BLK_READ), 300);
    ck_assert_uint_eq(H.nsq, 300);
    ck_assert_uint_eq(nvme_stats(H.h.m.nvme)->io_cmds[NVME_OP_READ], 300);
    const hist_t *clat = rep_hist("read.clat");
    ck_assert_uint_eq(clat->count, 300);
    ck_assert_uint_ge(clat->min, nand_read_floor()); /* every latency */
    /* one in flight: IOPS = 1 / (mean latency + the gap between a
     * completion and the next submission, a few hundred ns of CPU) */
    double iops = rep_num("read.iops"), mean_s = hist_mean(clat) * 1e-12;
    ck_assert_msg(iops * mean_s <= 1.0 + 1e-9 && iops * mean_s > 0.97,
                  "iops %.1f vs 1/mean %.1f", iops, 1.0 / mean_s);
    ck_assert(!has_key("read.lat")); /* closed loop: no arrival times */
    down();
}
END_TEST

static double randread_iops(const char *depth)
{
    const wl_param_t p[] = {{"rw", "randread"}, {"iodepth", depth}, {"ios", "400"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(rep_u64("read.ios"), 400);
    double iops = rep_num("read.iops");
    down();
    return iops;
}

/* NAND with 8 channels x 4 dies: four reads in flight mostly hit
 * different dies, so they overlap (at least twice the IOPS of one). */
START_TEST(test_depth4_beats_depth1_on_nand)
{
    double one = randread_iops("1"), four = randread_iops("4");
    ck_assert_msg(four > 2.0 * one, "iodepth 4: %.0f IOPS, 1: %.0f", four, one);
}
END_TEST

/* iodepth 128 on a queue of 64 entries (63 commands: kh_plan): the first
 * batch overfills it once (PK_EAGAIN); afterwards the process knows the
 * capacity and keeps the excess to itself, and every I/O completes. */
START_TEST(test_depth_beyond_the_device_queue)
{
    static const wl_param_t p[] = {{"rw", "randread"}, {"iodepth", "128"}, {"ios", "2000"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(H.h.plan.nvme.queue_entries, 64);
    ck_assert_uint_eq(rep_u64("read.ios"), 2000);
    ck_assert_uint_eq(rep_u64("errors.total"), 0);
    ck_assert_uint_eq(nvme_stats(H.h.m.nvme)->io_cmds[NVME_OP_READ], 2000);
    uint64_t again = rep_u64("eagain");
    ck_assert_uint_ge(again, 1);
    ck_assert_uint_le(again, 2);
    ck_assert_uint_eq(H.nsq, 2000 + again); /* one resubmission each */
    down();
}
END_TEST

/* A refused I/O is counted by its code, reported, and the run goes on. */
START_TEST(test_refusals_are_counted_by_code)
{
    static const wl_param_t p[] = {{"rw", "randread"}, {"ios", "20"}};
    char err[256] = "";
    boot(PK_MEDIATE_RANGE, 1);
    ck_assert_msg(spawn(p, NP(p), NULL, err, sizeof err) == 0, "%s", err);
    H.spoil_one = true;
    proc_rt_start(H.rt);
    run_to_exit(SIM_S(1));
    ck_assert_uint_eq(rep_u64("errors.total"), 1);
    ck_assert_uint_eq(rep_u64("errors.elen"), 1);
    ck_assert_uint_eq(rep_u64("read.ios"), 19);
    wl_app_stats_t st;
    ck_assert_int_eq(proc_app_stats(H.rt, 0, &st), 0);
    ck_assert_uint_eq(st.refused[PK_ELEN], 1);
    ck_assert_uint_eq(st.requests, 19);
    ck_assert_uint_eq(k_proc_stats(0)->errors[PK_ELEN], 1);
    down();
}
END_TEST

/* ramp_time_us: I/Os issued during the ramp are done but not measured;
 * `ios` counts the measured ones. */
START_TEST(test_ramp_is_excluded)
{
    static const wl_param_t p[] = {
        {"rw", "randread"}, {"ios", "50"}, {"ramp_time_us", "2000"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    uint64_t ramp = rep_u64("ramp_ios");
    /* 2 ms of reads of at least the media floor each, one at a time */
    ck_assert_uint_gt(ramp, 0);
    ck_assert_uint_le(ramp, SIM_MS(2) / nand_read_floor() + 1);
    ck_assert_uint_eq(rep_u64("read.ios"), 50);
    ck_assert_uint_eq(rep_hist("read.clat")->count, 50);
    ck_assert_uint_eq(H.nsq, 50 + ramp);
    down();
}
END_TEST

/* ---------------------------------------------------------------- open loop */

START_TEST(test_open_loop_poisson_count_and_latency)
{
    /* 5000/s for 100 ms: 500 expected, far below capacity */
    static const wl_param_t p[] = {{"rw", "randread"}, {"iodepth", "4"}, {"rate_iops", "5000"},
                                   {"runtime_us", "100000"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    double n = (double)rep_u64("read.ios");
    ck_assert_msg(fabs(n - 500.0) <= 4.0 * sqrt(500.0), "%.0f I/Os", n);
    ck_assert_uint_eq(H.nsq, (unsigned)n);
    const hist_t *lat = rep_hist("read.lat"), *clat = rep_hist("read.clat");
    ck_assert_uint_eq(lat->count, (uint64_t)n);
    ck_assert_uint_ge(clat->min, nand_read_floor());
    /* lat adds the wake-up at the arrival (a timer interrupt, a step) */
    double d = hist_mean(lat) - hist_mean(clat);
    ck_assert_msg(d >= 0 && d < 2e6, "lat - clat = %.0f ps", d);
    ck_assert_uint_le(rep_u64("queued"), n / 20);
    down();
}
END_TEST

/* Constant gaps: arrival k at start + k / rate, so exactly rate x runtime
 * arrive in the window, one every 200 us. */
START_TEST(test_open_loop_linear_is_exact)
{
    static const wl_param_t p[] = {{"rw", "randread"}, {"rate_iops", "5000"},
                                   {"rate_process", "linear"}, {"runtime_us", "20000"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(rep_u64("read.ios"), 100);
    ck_assert_uint_eq(H.nsq, 100);
    /* between arrivals the process sleeps: each one is a timer interrupt
     * ending its poll, then a step or two (issue; completion), no spinning */
    ck_assert_uint_ge(proc_stats(H.rt, 0)->irq_wakes, 99);
    ck_assert_uint_le(proc_stats(H.rt, 0)->steps, 3 * 100);
    for (unsigned k = 1; k < H.nsq; k++) {
        sim_time_t gap = H.sq[k].t - H.sq[k - 1].t;
        ck_assert_msg(gap > SIM_US(199) && gap < SIM_US(201), "gap %u: %llu ps", k,
                      (unsigned long long)gap);
    }
    down();
}
END_TEST

/* Above capacity with one slot: arrivals wait, and lat shows it. */
START_TEST(test_open_loop_overload_queues)
{
    static const wl_param_t p[] = {{"rw", "randread"}, {"rate_iops", "50000"},
                                   {"runtime_us", "4000"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    uint64_t n = rep_u64("read.ios");
    ck_assert_uint_gt(n, 100); /* ~200 arrivals */
    ck_assert_uint_gt(rep_u64("queued"), n / 2);
    ck_assert(hist_mean(rep_hist("read.lat")) > 3.0 * hist_mean(rep_hist("read.clat")));
    down();
}
END_TEST

START_TEST(test_wait_mode_sleeps_between_arrivals)
{
    static const wl_param_t p[] = {{"rw", "randread"}, {"rate_iops", "5000"},
                                   {"rate_process", "linear"}, {"runtime_us", "10000"},
                                   {"wait", "1"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(rep_u64("read.ios"), 50);
    ck_assert_uint_ge(proc_stats(H.rt, 0)->blocks, 50);
    ck_assert_uint_eq(proc_stats(H.rt, 0)->poll_ps, 0);
    down();
}
END_TEST

/* ---------------------------------------------------------------- patterns */

START_TEST(test_rw_mix_follows_rwmixread)
{
    static const wl_param_t p[] = {{"rw", "randrw"}, {"rwmixread", "70"}, {"iodepth", "8"},
                                   {"ios", "1000"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(H.nsq, 1000);
    double reads = count_sqes(PK_OP_BLK_READ);
    ck_assert_msg(fabs(reads - 700.0) <= 4.0 * sqrt(1000 * 0.7 * 0.3), "%.0f reads", reads);
    ck_assert_uint_eq(rep_u64("read.ios"), (uint64_t)reads);
    ck_assert_uint_eq(rep_u64("write.ios"), 1000 - (uint64_t)reads);
    ck_assert_uint_eq(nvme_stats(H.h.m.nvme)->io_cmds[NVME_OP_WRITE], 1000 - (uint64_t)reads);
    down();
}
END_TEST

START_TEST(test_random_offsets_in_range_and_aligned)
{
    static const wl_param_t p[] = {{"rw", "randrw"}, {"offset", "3145728"}, {"size", "1048576"},
                                   {"bs", "16384"}, {"iodepth", "4"}, {"ios", "500"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(H.nsq, 500);
    unsigned hit[64] = {0}, distinct = 0;
    for (unsigned i = 0; i < H.nsq; i++) {
        uint64_t off = H.sq[i].lba * LBA;
        ck_assert_uint_eq(H.sq[i].len, 16384);
        ck_assert_uint_ge(off, 3 * MIB);
        ck_assert_uint_le(off + 16384, 4 * MIB);
        ck_assert_uint_eq((off - 3 * MIB) % 16384, 0);
        distinct += hit[(off - 3 * MIB) / 16384]++ == 0;
    }
    ck_assert_uint_gt(distinct, 50); /* 500 draws over 64 slots: all but ~0 */
    down();
}
END_TEST

/* Sequential reads wrap at the range's end: 10 reads of 8 KiB over 32 KiB. */
START_TEST(test_sequential_wraps)
{
    static const wl_param_t p[] = {{"rw", "read"}, {"offset", "8192"}, {"size", "32768"},
                                   {"bs", "8192"}, {"ios", "10"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    ck_assert_uint_eq(H.nsq, 10);
    for (unsigned k = 0; k < 10; k++)
        ck_assert_uint_eq(H.sq[k].lba * LBA, 8192 + (k % 4) * 8192);
    down();
}
END_TEST

START_TEST(test_queues_are_used_in_turn_and_pool_mediation_works)
{
    static const wl_param_t p[] = {{"rw", "randread"}, {"iodepth", "8"}, {"ios", "200"}};
    char err[256] = "";
    boot(PK_MEDIATE_POOL, 2);
    ck_assert_msg(spawn(p, NP(p), NULL, err, sizeof err) == 0, "%s", err);
    proc_rt_start(H.rt);
    run_to_exit(SIM_S(5));
    struct pk_info in;
    ck_assert_int_eq(kh_info(&H.h, 0, &in), 0);
    ck_assert_uint_eq(rep_u64("read.ios"), 200);
    ck_assert_uint_eq(rep_u64("errors.total"), 0);
    unsigned per_q[2] = {0, 0};
    for (unsigned i = 0; i < H.nsq; i++)
        per_q[H.sq[i].queue == in.nvme_qid[1]]++;
    ck_assert_uint_eq(per_q[0], 100);
    ck_assert_uint_eq(per_q[1], 100);
    down();
}
END_TEST

START_TEST(test_same_seed_same_ios_other_instance_others)
{
    static seen_sqe_t a[200];
    const wl_param_t p[] = {{"rw", "randrw"}, {"ios", "200"}, {"seed", "9"}, {"instance", "0"}};
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    memcpy(a, H.sq, sizeof a);
    down();
    run(PK_MEDIATE_RANGE, p, NP(p), NULL);
    for (unsigned i = 0; i < 200; i++) {
        ck_assert_uint_eq(H.sq[i].lba, a[i].lba);
        ck_assert_uint_eq(H.sq[i].op, a[i].op);
    }
    down();
    const wl_param_t q[] = {{"rw", "randrw"}, {"ios", "200"}, {"seed", "9"}, {"instance", "1"}};
    run(PK_MEDIATE_RANGE, q, NP(q), NULL);
    unsigned same = 0;
    for (unsigned i = 0; i < 200; i++)
        same += H.sq[i].lba == a[i].lba;
    ck_assert_uint_lt(same, 5);
    down();
}
END_TEST

static Suite *blkio_suite(void)
{
    const struct {
        const char *tcase;
        const TTest *test;
    } tests[] = {
        {"closed_loop", test_closed_loop_qd1_count_floor_and_iops},
        {"closed_loop", test_depth4_beats_depth1_on_nand},
        {"closed_loop", test_depth_beyond_the_device_queue},
        {"closed_loop", test_ramp_is_excluded},
        {"closed_loop", test_refusals_are_counted_by_code},
        {"open_loop", test_open_loop_poisson_count_and_latency},
        {"open_loop", test_open_loop_linear_is_exact},
        {"open_loop", test_open_loop_overload_queues},
        {"open_loop", test_wait_mode_sleeps_between_arrivals},
        {"patterns", test_rw_mix_follows_rwmixread},
        {"patterns", test_random_offsets_in_range_and_aligned},
        {"patterns", test_sequential_wraps},
        {"patterns", test_queues_are_used_in_turn_and_pool_mediation_works},
        {"patterns", test_same_seed_same_ios_other_instance_others},
    };
    Suite *s = suite_create("workloads_blkio");
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

CHECK_MAIN(blkio_suite)
