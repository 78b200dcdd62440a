/* tests/devices/iommu_tt.h: what the VT-d model suites (check_iommu,
 * check_iommu_fault) share: the rig (memory, the cost table with
 * iommu.iotlb_hit 7 ns, iommu.iotlb_miss 250 ns and pcie.msix 100 ns, the
 * IOMMU, an irq sink that logs fault events with their time), the
 * legacy-mode layout (root and context tables, device A's 4-level and
 * device B's 3-level second-level tables, addresses written out below),
 * and a translate helper with its assertion ck_xl.  Table encodings are
 * tests/devices/iommu_drv.h's.  Static inline: a suite uses any subset. */
#ifndef PARASIM_TESTS_DEVICES_IOMMU_TT_H
#define PARASIM_TESTS_DEVICES_IOMMU_TT_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "devices/iommu.h"
#include "devices/irq.h"
#include "devices/mem.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/devices/iommu_drv.h"

#define MEM_SIZE (UINT64_C(64) << 20)
#define HIT_PS UINT64_C(7000)     /* iommu.iotlb_hit set to 7 ns */
#define MISS_PS UINT64_C(250000)  /* iommu.iotlb_miss set to 250 ns */
#define MSIX_PS UINT64_C(100000)  /* pcie.msix set to 100 ns */
#define NO_PASID IOMMU_NO_PASID
#define BIT IOD_BIT
#define R IOD_R
#define W IOD_W
#define PS IOD_PS

typedef struct sink_log {
    sim_t *sim;
    unsigned n, core, vector;
    sim_time_t at;
} sink_log_t;

typedef struct rig {
    sim_t *sim;
    mem_t *mem;
    cost_table_t costs;
    iommu_t *io;
    sink_log_t log;
    uint64_t fro, iro; /* discovered from CAP / ECAP */
} rig_t;

static inline void sink_deliver(void *ctx, unsigned core, unsigned vector)
{
    sink_log_t *l = ctx;
    l->n++;
    l->core = core;
    l->vector = vector;
    l->at = sim_now(l->sim);
}

static inline void rig_init(rig_t *r, unsigned iotlb_entries)
{
    *r = (rig_t){ 0 };
    r->sim = sim_create();
    r->mem = mem_create(MEM_SIZE);
    ck_assert_ptr_nonnull(r->sim);
    ck_assert_ptr_nonnull(r->mem);
    ck_assert_int_eq(cost_table_init(&r->costs, "default"), 0);
    ck_assert_int_eq(cost_set_ns(&r->costs, COST_IOMMU_IOTLB_HIT, 7.0), 0);
    ck_assert_int_eq(cost_set_ns(&r->costs, COST_IOMMU_IOTLB_MISS, 250.0), 0);
    ck_assert_int_eq(cost_set_ns(&r->costs, COST_PCIE_MSIX, 100.0), 0);
    r->log.sim = r->sim;
    iommu_cfg_t cfg = { .iotlb_entries = iotlb_entries };
    irq_sink_t sink = { .deliver = sink_deliver, .ctx = &r->log };
    r->io = iommu_create(r->sim, r->mem, &r->costs, &cfg, sink);
    ck_assert_ptr_nonnull(r->io);
    r->fro = iod_fro(r->io);
    r->iro = iod_iro(r->io);
}

static inline void rig_fini(rig_t *r)
{
    iommu_destroy(r->io);
    mem_destroy(r->mem);
    sim_destroy(r->sim);
}

/* ---------------------------------------------------------------- legacy layout */
/* Device A: 00:03.0 (rid 0x0018), domain 5, 48-bit 4-level tables.
 *   iova 0x40001000 -> 0x345000 RW     (PML4[0] PDPT[1] PD[0] PT[1])
 *   iova 0x40002000 -> 0x346000 R only (PT[2])
 *   iova 0x40003000 -> 0x347000 W only (PT[3])
 *   iova 0x40004000    not present     (PT[4] zero)
 *   iova 0x40200000 -> 0xA00000 2 MiB RW (PD[1] with PS)
 * Device B: 03:01.2 (rid 0x030A), domain 9, 39-bit 3-level tables.
 *   iova 0x5000 -> 0x555000 RW         (L3[0] PD[0] PT[5]) */
#define ROOT 0x100000u
#define CTX0 0x101000u
#define CTX3 0x102000u
#define A_PML4 0x110000u
#define A_PDPT 0x111000u
#define A_PD 0x112000u
#define A_PT 0x113000u
#define B_L3 0x120000u
#define B_PD 0x121000u
#define B_PT 0x122000u
#define RID_A 0x0018u
#define RID_B 0x030Au

static inline void legacy_tables(rig_t *r)
{
    iod_root_entry(r->mem, ROOT, 0, CTX0);
    iod_root_entry(r->mem, ROOT, 3, CTX3);
    iod_ctx_entry(r->mem, CTX0, 0x18, A_PML4, 0, 2, 5);
    iod_ctx_entry(r->mem, CTX3, 0x0A, B_L3, 0, 1, 9);
    iod_pte(r->mem, A_PML4, 0, A_PDPT, R | W);
    iod_pte(r->mem, A_PDPT, 1, A_PD, R | W);
    iod_pte(r->mem, A_PD, 0, A_PT, R | W);
    iod_pte(r->mem, A_PT, 1, 0x345000, R | W);
    iod_pte(r->mem, A_PT, 2, 0x346000, R);
    iod_pte(r->mem, A_PT, 3, 0x347000, W);
    iod_pte(r->mem, A_PD, 1, 0xA00000, R | W | PS);
    iod_pte(r->mem, B_L3, 0, B_PD, R | W);
    iod_pte(r->mem, B_PD, 0, B_PT, R | W);
    iod_pte(r->mem, B_PT, 5, 0x555000, R | W);
}

static inline void legacy_rig(rig_t *r, unsigned iotlb_entries)
{
    rig_init(r, iotlb_entries);
    legacy_tables(r);
    iod_enable(r->io, ROOT, 0);
}

typedef struct xl {
    iommu_fault_t f;
    uint64_t pa, end;
    sim_time_t cost;
} xl_t;

static inline xl_t xlate(rig_t *r, uint16_t rid, uint32_t pasid, uint64_t iova, bool write)
{
    xl_t x = { .pa = 0xBAD, .end = 0xBAD, .cost = 0xBAD };
    x.f = iommu_translate(r->io, rid, pasid, iova, write, &x.pa, &x.end, &x.cost);
    return x;
}

/* expect a successful translation */
#define ck_xl(r, rid, pasid, iova, write, want_pa, want_end, want_cost)     \
    do {                                                                    \
        xl_t x_ = xlate(r, rid, pasid, iova, write);                        \
        ck_assert_int_eq(x_.f, IOMMU_OK);                                   \
        ck_assert_uint_eq(x_.pa, (want_pa));                                \
        ck_assert_uint_eq(x_.end, (want_end));                              \
        ck_assert_uint_eq(x_.cost, (want_cost));                            \
    } while (0)

#endif
