/* tests/workloads/blkio_host.h: what the blkio suites (check_blkio,
 * check_blkio_data) share: the host (the kernel booted by
 * tests/kernel/kharness.h on the NVMe model, blkio spawned as process 0
 * by sim/proc), the spy in front of k_sys_enter that records every SQE
 * the application hands the kernel with the time of the call, report
 * accessors, and the media floor of one 4 KiB NAND read from the cost
 * table (nand.read + nand.xfer_4k, devices/nvme/media.c).  Static inline:
 * a suite uses any subset. */
#ifndef PARASIM_TESTS_WORKLOADS_BLKIO_HOST_H
#define PARASIM_TESTS_WORKLOADS_BLKIO_HOST_H

#include <check.h>
#include <math.h>
#include <stdbool.h>
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

static inline int spy_enter(unsigned to_submit, unsigned min_complete, unsigned flags)
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

static inline void boot(enum pk_mediation med, unsigned nvme_q)
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

static inline void down(void)
{
    proc_rt_destroy(H.rt);
    kh_fini(&H.h);
}

/* Spawn blkio as process 0: proc_spawn_input's result, err filled. */
static inline int spawn(const wl_param_t *p, size_t n, const wl_input_t *in, char *err, size_t errlen)
{
    return proc_spawn_input(H.rt, 0, kh_core(&H.h, 0), &wl_app_blkio, p, n, in, err, errlen);
}

/* Run until the (started) process exits, at most `limit` of simulated
 * time. */
static inline void run_to_exit(sim_time_t limit)
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
static inline void run(enum pk_mediation med, const wl_param_t *p, size_t n, const wl_input_t *in)
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

static inline uint64_t rep_u64(const char *key)
{
    const wl_report_entry_t *e = entry(key);
    ck_assert_int_eq(e->kind, WL_REPORT_U64);
    return e->u64;
}

static inline double rep_num(const char *key)
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

static inline bool has_key(const char *key)
{
    for (size_t i = 0; i < H.rep.n; i++)
        if (strcmp(H.rep.e[i].key, key) == 0)
            return true;
    return false;
}

static inline unsigned count_sqes(uint8_t op)
{
    unsigned n = 0;
    for (unsigned i = 0; i < H.nsq; i++)
        n += H.sq[i].op == op;
    return n;
}

/* The media floor of one 4 KiB NAND read: tR, then the page's transfer
 * over its channel (devices/nvme/media.c), from the cost table. */
static inline sim_time_t nand_read_floor(void)
{
    ck_assert_int_eq(H.h.m.cfg.nvme.media, NVME_MEDIA_NAND);
    return cost_ps(&H.h.costs, COST_NAND_READ) + cost_ps(&H.h.costs, COST_NAND_XFER_4K);
}

#endif
