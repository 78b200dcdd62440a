/* tests/kernel/kharness.h: a small harness for the kernel's Check suites.
 *
 * It builds a simulated machine (sim/machine.h) bound to the HAL, fills a
 * boot plan for N processes, boots the parakernel on core 0, and then
 * plays the processes itself: it writes SQEs into a process's SQ and
 * publishes the tail with plain memory writes (as the process would,
 * through its mapping), enters the kernel on the process's core
 * (k_sys_enter inside machine_entry_begin(core, CPU_KERNEL)/end), reads
 * CQEs, and runs the engine.  No process runtime (sim/proc) is involved,
 * and the harness charges nothing itself: every ps on a core is the
 * kernel's (or the interrupt controller's).
 *
 * Usage:
 *     kh_t h;
 *     ck_assert_int_eq(kh_init(&h, NULL), 0);     // default machine
 *     kh_plan(&h, 2, 1, 1);                        // 2 procs, 1 NIC + 1 NVMe queue each
 *     h.plan.procs[1].rx_traffic = false;          // tweak before booting
 *     ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
 *     struct pk_sqe s = {.opcode = PK_OP_NOP, .user_data = 7};
 *     ck_assert_int_eq(kh_submit(&h, 0, &s), 1);   // push + pk_enter(1, 0, 0)
 *     struct pk_cqe c;
 *     ck_assert_int_eq(kh_wait_cqe(&h, 0, &c, SIM_US(100)), 0);
 *     kh_fini(&h);
 *
 * Memory plan (kh_plan): the kernel region at [KH_KMEM_BASE, +KH_KMEM_SIZE)
 * (not at 0: k_alloc returns 0 for "exhausted"), then one partition of
 * KH_PART_SIZE per process, process i on core i.  Everything is a plain
 * static inline function so each suite can include it once. */
#ifndef PARASIM_TESTS_KHARNESS_H
#define PARASIM_TESTS_KHARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "devices/mem.h"
#include "kernel/include/pk.h"
#include "kernel/kernel.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "sim/machine.h"

#define KH_KMEM_BASE (UINT64_C(2) << 20)   /* 2 MiB */
#define KH_KMEM_SIZE (UINT64_C(62) << 20)  /* up to 64 MiB */
#define KH_PART_BASE (UINT64_C(64) << 20)  /* first partition */
#define KH_PART_SIZE (UINT64_C(32) << 20)  /* per process */
#define KH_FAULT_VECTOR 250u               /* IOMMU fault events, core 0 */
#define KH_STEP_PS SIM_NS(500)             /* kh_wait_cqe's engine step */

typedef struct kh {
    sim_t *sim;
    cost_table_t costs;
    machine_t m;
    k_plan_t plan;
    char err[256];
} kh_t;

/* The Microsoft RSS verification key (RSS spec, "Verifying the RSS hash"). */
static const uint8_t kh_rss_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

/* Build the machine (cfg NULL: machine_cfg_default) with the "default"
 * cost profile and bind it to the HAL.  0, or -1 with h->err. */
static inline int kh_init(kh_t *h, const machine_cfg_t *cfg)
{
    memset(h, 0, sizeof *h);
    machine_cfg_t def;
    if (!cfg) {
        machine_cfg_default(&def);
        cfg = &def;
    }
    h->sim = sim_create();
    if (!h->sim || cost_table_init(&h->costs, "default") < 0) {
        snprintf(h->err, sizeof h->err, "kharness: no engine or cost table");
        return -1;
    }
    if (machine_create(&h->m, h->sim, &h->costs, cfg, h->err, sizeof h->err) < 0)
        return -1;
    machine_hal_bind(&h->m);
    return 0;
}

static inline void kh_fini(kh_t *h)
{
    if (h->m.hal)
        machine_destroy(&h->m);
    if (h->sim)
        sim_destroy(h->sim);
    h->sim = NULL;
}

/* A plan for nprocs processes (process i on core i, partition i after the
 * kernel region), each with nic_q NIC and nvme_q NVMe queue pairs, the
 * devices as the machine has them.  Tweak h->plan before kh_boot. */
static inline void kh_plan(kh_t *h, unsigned nprocs, unsigned nic_q, unsigned nvme_q)
{
    k_plan_t *p = &h->plan;
    const machine_cfg_t *c = &h->m.cfg;
    memset(p, 0, sizeof *p);
    p->version = K_PLAN_VERSION;
    p->kmem_base = KH_KMEM_BASE;
    p->kmem_size = KH_KMEM_SIZE;
    p->sq_entries = 64;
    p->cq_entries = 128;
    p->rx_entries = 256;
    p->tx_entries = 256;
    p->mediation = PK_MEDIATE_RANGE;
    p->max_pools = 4;
    p->nic.present = c->nic_present;
    p->nic.bar = MACHINE_NIC_BAR;
    p->nic.rid = MACHINE_NIC_RID;
    p->nic.queues = c->nic.queues;
    p->nic.vectors = c->nic.msix_vectors ? c->nic.msix_vectors
                                         : (c->nic.queues + 1 < 64 ? c->nic.queues + 1 : 64);
    p->nic.max_frame = c->nic.max_frame ? c->nic.max_frame : 1518;
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    memcpy(p->nic.mac, mac, sizeof mac);
    memcpy(p->nic.rss_key, kh_rss_key, sizeof kh_rss_key);
    p->nic.pasid_base = c->nic.pasid_base;
    p->nvme.present = c->nvme_present;
    p->nvme.bar = MACHINE_NVME_BAR;
    p->nvme.rid = MACHINE_NVME_RID;
    p->nvme.queue_entries = 64;
    p->iommu.mode = c->iommu_mode == MACHINE_IOMMU_OFF      ? K_IOMMU_OFF
                    : c->iommu_mode == MACHINE_IOMMU_LEGACY ? K_IOMMU_LEGACY
                                                            : K_IOMMU_SCALABLE;
    p->iommu.base = MACHINE_IOMMU_BASE;
    p->iommu.fault_vector = KH_FAULT_VECTOR;
    p->nprocs = nprocs;
    for (unsigned i = 0; i < nprocs && i < K_MAX_PROCS; i++) {
        k_plan_proc_t *q = &p->procs[i];
        snprintf(q->name, sizeof q->name, "p%u", i);
        q->core = i;
        q->mem_base = KH_PART_BASE + (uint64_t)i * KH_PART_SIZE;
        q->mem_size = KH_PART_SIZE;
        q->nic_queues = nic_q;
        q->nvme_queues = nvme_q;
        q->rx_traffic = nic_q > 0;
        q->max_timers = 16;
    }
}

/* Boot h->plan on core 0.  0, or -1 with k_boot's message in h->err.
 * Boot runs outside the engine, so the HAL runs the engine up to core 0's
 * clock whenever the kernel reads a register or memory or calls hal_delay
 * (sim/machine.h): device readiness and admin completions that the kernel
 * polls for do arrive.  Afterwards sim_now is at most the time boot ended
 * on core 0.  The same holds for kh_enter: call the kh_ helpers from the
 * top level, not from inside an engine event.  Note that catching up runs
 * the whole machine to that core's clock: an entry on another core made
 * afterwards starts no earlier (hal_now = max(now, its clock)). */
static inline int kh_boot(kh_t *h)
{
    machine_entry_begin(&h->m, 0, CPU_KERNEL);
    int rc = k_boot(&h->plan, h->err, sizeof h->err);
    machine_entry_end(&h->m);
    return rc;
}

/* ---------------------------------------------------------------- the process's side */

static inline unsigned kh_core(const kh_t *h, unsigned pid) { return h->plan.procs[pid].core; }

/* The process's info block as the kernel wrote it; 0 or -1. */
static inline int kh_info(kh_t *h, unsigned pid, struct pk_info *out)
{
    uint64_t pa = k_proc_info(pid);
    if (!pa || mem_read(h->m.mem, pa, out, sizeof *out) < 0)
        return -1;
    return 0;
}

static inline uint32_t kh_ring_u32(kh_t *h, uint64_t at)
{
    uint32_t v = 0;
    mem_read(h->m.mem, at, &v, sizeof v);
    return v;
}

/* Write one SQE at the SQ tail and publish tail + 1 (no kernel entry);
 * -1 when the SQ is full or there is no such process. */
static inline int kh_sq_push(kh_t *h, unsigned pid, const struct pk_sqe *sqe)
{
    struct pk_info in;
    if (kh_info(h, pid, &in) < 0)
        return -1;
    uint32_t head = kh_ring_u32(h, in.sq + PK_RING_HEAD);
    uint32_t tail = kh_ring_u32(h, in.sq + PK_RING_TAIL);
    if (tail - head >= in.sq_entries)
        return -1;
    uint64_t at = in.sq + PK_RING_ENTRIES + (uint64_t)(tail & (in.sq_entries - 1)) * sizeof *sqe;
    mem_write(h->m.mem, at, sqe, sizeof *sqe);
    tail++;
    mem_write(h->m.mem, in.sq + PK_RING_TAIL, &tail, sizeof tail);
    return 0;
}

/* pk_enter on the process's core: k_sys_enter inside a kernel entry. */
static inline int kh_enter(kh_t *h, unsigned pid, unsigned to_submit, unsigned min_complete,
                           unsigned flags)
{
    machine_entry_begin(&h->m, kh_core(h, pid), CPU_KERNEL);
    int rc = k_sys_enter(to_submit, min_complete, flags);
    machine_entry_end(&h->m);
    return rc;
}

/* Push one SQE and enter with to_submit = 1: k_sys_enter's result. */
static inline int kh_submit(kh_t *h, unsigned pid, const struct pk_sqe *sqe)
{
    if (kh_sq_push(h, pid, sqe) < 0)
        return -1000;
    return kh_enter(h, pid, 1, 0, 0);
}

/* CQEs waiting in the process's CQ. */
static inline unsigned kh_cq_ready(kh_t *h, unsigned pid)
{
    struct pk_info in;
    if (kh_info(h, pid, &in) < 0)
        return 0;
    return kh_ring_u32(h, in.cq + PK_RING_TAIL) - kh_ring_u32(h, in.cq + PK_RING_HEAD);
}

/* Take one CQE and publish head + 1; -1 when the CQ is empty. */
static inline int kh_cq_pop(kh_t *h, unsigned pid, struct pk_cqe *cqe)
{
    struct pk_info in;
    if (kh_info(h, pid, &in) < 0)
        return -1;
    uint32_t head = kh_ring_u32(h, in.cq + PK_RING_HEAD);
    if (kh_ring_u32(h, in.cq + PK_RING_TAIL) == head)
        return -1;
    uint64_t at = in.cq + PK_RING_ENTRIES + (uint64_t)(head & (in.cq_entries - 1)) * sizeof *cqe;
    mem_read(h->m.mem, at, cqe, sizeof *cqe);
    head++;
    mem_write(h->m.mem, in.cq + PK_RING_HEAD, &head, sizeof head);
    return 0;
}

/* ---------------------------------------------------------------- time */

/* Run the engine until t (absolute ps; events at t included). */
static inline void kh_run_until(kh_t *h, sim_time_t t)
{
    if (t >= sim_now(h->sim))
        sim_run(h->sim, t);
}

static inline void kh_run_for(kh_t *h, sim_time_t dt) { kh_run_until(h, sim_now(h->sim) + dt); }

/* Poll like a process: pk_enter(0, 0, 0), take a CQE, else run the
 * engine KH_STEP_PS further; give up at absolute time `until`.  0 with
 * *cqe, or -1 when none came. */
static inline int kh_wait_cqe(kh_t *h, unsigned pid, struct pk_cqe *cqe, sim_time_t until)
{
    for (sim_time_t t = sim_now(h->sim);; t += KH_STEP_PS) {
        if (kh_cq_pop(h, pid, cqe) == 0)
            return 0;
        kh_enter(h, pid, 0, 0, 0);
        if (kh_cq_pop(h, pid, cqe) == 0)
            return 0;
        if (t >= until)
            return -1;
        kh_run_until(h, t + KH_STEP_PS < until ? t + KH_STEP_PS : until);
    }
}

/* ---------------------------------------------------------------- memory */

static inline int kh_write(kh_t *h, uint64_t pa, const void *src, size_t len)
{
    return mem_write(h->m.mem, pa, src, len);
}

static inline int kh_read(kh_t *h, uint64_t pa, void *dst, size_t len)
{
    return mem_read(h->m.mem, pa, dst, len);
}

/* A core's time: max(now, its clock). */
static inline sim_time_t kh_core_time(const kh_t *h, unsigned core)
{
    sim_time_t now = sim_now(h->sim), c = h->m.cores[core].clock;
    return c > now ? c : now;
}

#endif
