/* tests/workloads/check_blkio: the fio-like block I/O application
 * (workloads/blkio.c) as a parakernel process on the real kernel and the
 * NVMe model: the kernel booted by tests/kernel/kharness.h, the process
 * hosted by sim/proc, process 1 left to the test, which reads and writes
 * the namespace through the kernel itself.
 *
 * Every SQE the application hands the kernel is recorded by a spy in
 * front of k_sys_enter (the proc_kernel_t the runtime calls), with the
 * time of the call: offsets, lengths, directions and issue times are
 * checked on those, not on the application's own counters.
 *
 * Expectations are independent of blkio.c: the media floor of a 4 KiB
 * NAND read is tR + one 4 KiB channel transfer (devices/nvme/media.c,
 * from the cost table: nand.read + nand.xfer_4k); a closed loop at
 * iodepth 1 completes 1 / (mean latency) I/Os per second (Little's law
 * with one in flight); open-loop counts are Poisson (mean rate x time,
 * bound 4 sigma) or exact for constant gaps; mixes are binomial (4
 * sigma); the verify pattern is blkio.h's formula computed here; trace
 * mappings are worked out by hand below. */
#include "tests/check_main.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "devices/nvme.h"
#include "sim/proc.h"
#include "tests/kernel/kharness.h"
#include "workloads/blkio.h"

#define LBA 4096u
#define MIB (UINT64_C(1) << 20)
#define MAX_SQES 16384u
#define NVME_OP_FLUSH 0x00
#define NVME_OP_WRITE 0x01
#define NVME_OP_READ 0x02

typedef struct seen_sqe {
    uint8_t op;
    uint16_t queue;
    uint32_t len;
    uint64_t lba;
    sim_time_t t;      /* the pk_enter that submitted it */
} seen_sqe_t;

typedef struct host {
    kh_t h;
    proc_rt_t *rt;
    seen_sqe_t sq[MAX_SQES];
    unsigned nsq;
    uint32_t seen;     /* pid 0's SQ index recorded up to */
    bool spoil_one;    /* make the next BLK SQE's length invalid (once) */
    wl_report_t rep;
} host_t;

static host_t H;

/* ---------------------------------------------------------------- the spy */

static int spy_enter(unsigned to_submit, unsigned min_complete, unsigned flags)
{
    struct pk_info in;
    if (kh_info(&H.h, 0, &in) == 0) {
        uint32_t head = kh_ring_u32(&H.h, in.sq + PK_RING_HEAD);
        uint32_t tail = kh_ring_u32(&H.h, in.sq + PK_RING_TAIL);
        uint32_t i = (int32_t)(H.seen - head) > 0 ? H.seen : head;
        for (; i != tail; i++) {
            struct pk_sqe s;
            uint64_t at = in.sq + PK_RING_ENTRIES + (uint64_t)(i & (in.sq_entries - 1)) * sizeof s;
            kh_read(&H.h, at, &s, sizeof s);
            if (s.opcode < PK_OP_BLK_READ || s.opcode > PK_OP_BLK_FLUSH)
                continue;
            if (H.spoil_one) { /* not a whole LBA: the kernel refuses it */
                H.spoil_one = false;
                s.len = 100;
                kh_write(&H.h, at, &s, sizeof s);
            }
            ck_assert_uint_lt(H.nsq, MAX_SQES);
            H.sq[H.nsq++] = (seen_sqe_t){s.opcode, s.queue, s.len, s.u.blk.lba,
                                         kh_core_time(&H.h, 0)};
        }
        H.seen = tail;
    }
    return k_sys_enter(to_submit, min_complete, flags);
}

static const proc_kernel_t spy_kernel = {
    .name = "spy",
    .sys_enter = spy_enter,
    .proc_info = k_proc_info,
    .proc_of_core = k_proc_of_core,
};

/* ---------------------------------------------------------------- the host */

static void boot(enum pk_mediation med, unsigned nvme_q)
{
    memset(&H, 0, sizeof H);
    ck_assert_msg(kh_init(&H.h, NULL) == 0, "%s", H.h.err);
    ck_assert_int_eq(H.h.m.cfg.nvme.lba_size, LBA);
    kh_plan(&H.h, 2, 0, nvme_q);
    H.h.plan.mediation = med;
    ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
    H.rt = proc_rt_create(&H.h.m, &spy_kernel);
    ck_assert_ptr_nonnull(H.rt);
}

static void down(void)
{
    proc_rt_destroy(H.rt);
    kh_fini(&H.h);
}

/* Spawn blkio as process 0: proc_spawn_input's result, err filled. */
static int spawn(const wl_param_t *p, size_t n, const wl_input_t *in, char *err, size_t errlen)
{
    return proc_spawn_input(H.rt, 0, kh_core(&H.h, 0), &wl_app_blkio, p, n, in, err, errlen);
}

/* Run until the (started) process exits, at most `limit` of simulated
 * time. */
static void run_to_exit(sim_time_t limit)
{
    sim_time_t t = sim_now(H.h.sim), end = t + limit; /* sim_run leaves now at the last event */
    while (proc_stats(H.rt, 0)->state != PROC_EXITED && t < end)
        kh_run_until(&H.h, t += SIM_MS(1));
    ck_assert_msg(proc_stats(H.rt, 0)->state == PROC_EXITED, "blkio did not finish: %s",
                  proc_state_name(proc_stats(H.rt, 0)->state));
    ck_assert_int_eq(proc_app_report(H.rt, 0, &H.rep), 0);
    ck_assert_uint_eq(H.rep.dropped, 0);
}

/* Boot, spawn with params, run to the end. */
static void run(enum pk_mediation med, const wl_param_t *p, size_t n, const wl_input_t *in)
{
    char err[256] = "";
    boot(med, 1);
    ck_assert_msg(spawn(p, n, in, err, sizeof err) == 0, "%s", err);
    proc_rt_start(H.rt);
    run_to_exit(SIM_S(5));
}

#define NP(a) (sizeof(a) / sizeof((a)[0]))

static const wl_report_entry_t *entry(const char *key)
{
    for (size_t i = 0; i < H.rep.n; i++)
        if (strcmp(H.rep.e[i].key, key) == 0)
            return &H.rep.e[i];
    ck_abort_msg("report has no %s", key);
    return NULL;
}

static uint64_t rep_u64(const char *key)
{
    const wl_report_entry_t *e = entry(key);
    ck_assert_int_eq(e->kind, WL_REPORT_U64);
    return e->u64;
}

static double rep_num(const char *key)
{
    const wl_report_entry_t *e = entry(key);
    ck_assert_int_eq(e->kind, WL_REPORT_NUM);
    return e->num;
}

static const hist_t *rep_hist(const char *key)
{
    const wl_report_entry_t *e = entry(key);
    ck_assert_int_eq(e->kind, WL_REPORT_HIST);
    ck_assert_ptr_nonnull(e->hist);
    return e->hist;
}

static bool has_key(const char *key)
{
    for (size_t i = 0; i < H.rep.n; i++)
        if (strcmp(H.rep.e[i].key, key) == 0)
            return true;
    return false;
}

static unsigned count_sqes(uint8_t op)
{
    unsigned n = 0;
    for (unsigned i = 0; i < H.nsq; i++)
        n += H.sq[i].op == op;
    return n;
}

/* The media floor of one 4 KiB NAND read: tR, then the page's transfer
 * over its channel (devices/nvme/media.c), from the cost table. */
static sim_time_t nand_read_floor(void)
{
    ck_assert_int_eq(H.h.m.cfg.nvme.media, NVME_MEDIA_NAND);
    return cost_ps(&H.h.costs, COST_NAND_READ) + cost_ps(&H.h.costs, COST_NAND_XFER_4K);
}

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
        {"verify", test_written_blocks_carry_the_pattern},
        {"verify", test_mixed_io_verifies_clean},
        {"verify", test_verify_detects_foreign_writes},
        {"open_loop", test_open_loop_poisson_count_and_latency},
        {"open_loop", test_open_loop_linear_is_exact},
        {"open_loop", test_open_loop_overload_queues},
        {"open_loop", test_wait_mode_sleeps_between_arrivals},
        {"patterns", test_rw_mix_follows_rwmixread},
        {"patterns", test_random_offsets_in_range_and_aligned},
        {"patterns", test_sequential_wraps},
        {"patterns", test_queues_are_used_in_turn_and_pool_mediation_works},
        {"patterns", test_same_seed_same_ios_other_instance_others},
        {"trace", test_trace_replay_maps_splits_and_times},
        {"trace", test_trace_speed_scales_times},
        {"refusals", test_bad_params_are_refused},
        {"refusals", test_bad_traces_are_refused},
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
