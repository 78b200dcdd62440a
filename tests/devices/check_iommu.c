/* tests/devices/check_iommu: the VT-d model driven the way a kernel driver
 * drives a remapping unit (devices/iommu.h).
 *
 * The tests build root, context, PASID and page tables in a mem_t with
 * their own encoding of the VT-d rev. 3 formats (tests/devices/iommu_drv.h:
 * chapter 9 bit positions written out there, not taken from the model's
 * private header), discover the fault-recording and IOTLB register offsets
 * from CAP/ECAP as a driver does, program the registers through
 * iommu_mmio_write and translate.  Every expected address, register value
 * and cost is worked by hand from the tables each test writes; fault
 * reasons are VT-d's codes (7.1.3). */
#include <stdint.h>
#include <stdlib.h>

#include "devices/iommu.h"
#include "devices/irq.h"
#include "devices/mem.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/iommu_drv.h"

/* ---------------------------------------------------------------- rig */

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

static void sink_deliver(void *ctx, unsigned core, unsigned vector)
{
    sink_log_t *l = ctx;
    l->n++;
    l->core = core;
    l->vector = vector;
    l->at = sim_now(l->sim);
}

static void rig_init(rig_t *r, unsigned iotlb_entries)
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

static void rig_fini(rig_t *r)
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

static void legacy_tables(rig_t *r)
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

static void legacy_rig(rig_t *r, unsigned iotlb_entries)
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

static xl_t xlate(rig_t *r, uint16_t rid, uint32_t pasid, uint64_t iova, bool write)
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

/* ---------------------------------------------------------------- registers */

START_TEST(test_registers_report_capabilities_and_reset_state)
{
    rig_t r;
    rig_init(&r, 16);
    uint64_t cap = iod_rd64(r.io, IOD_CAP), ecap = iod_rd64(r.io, IOD_ECAP);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_VER) >> 4, 3);       /* rev 3 */
    ck_assert_uint_eq(cap & 7, 6);                            /* ND: 64K domains */
    ck_assert_uint_eq((cap >> 8) & 0x1F, 0x6);                /* SAGAW: 39 + 48 bit */
    ck_assert_uint_eq((cap >> 16) & 0x3F, 47);                /* MGAW */
    ck_assert_uint_eq((cap >> 34) & 0xF, 1);                  /* SLLPS: 2 MiB only */
    ck_assert_uint_eq(((cap >> 40) & 0xFF) + 1, 8);           /* NFR */
    ck_assert(cap & BIT(39));                                 /* PSI */
    ck_assert(ecap & BIT(6));                                 /* PT */
    ck_assert(ecap & BIT(40));                                /* PASID */
    ck_assert(ecap & BIT(43));                                /* SMTS */
    ck_assert(ecap & BIT(46));                                /* SLTS */
    ck_assert(!(ecap & BIT(1)));                              /* no QI */
    /* the discovered register blocks lie in the page, clear of 0x00-0x4F */
    ck_assert_uint_ge(r.fro, 0x100);
    ck_assert_uint_le(r.fro + 16 * 8, IOMMU_MMIO_SIZE);
    ck_assert_uint_ge(r.iro, 0x100);
    ck_assert_uint_le(r.iro + 16, IOMMU_MMIO_SIZE);
    ck_assert(r.iro + 16 <= r.fro || r.fro + 128 <= r.iro);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_GSTS), 0);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FECTL), 0x80000000u); /* IM set at reset */
    /* SRTP then TE, each mirrored at once in GSTS; GCMD reads 0 */
    iod_wr64(r.io, IOD_RTADDR, 0x123000 | 1u << 10);
    ck_assert_uint_eq(iod_rd64(r.io, IOD_RTADDR), 0x123400);
    iod_wr32(r.io, IOD_GCMD, 1u << 30);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_GSTS), 0x40000000u);
    iod_wr32(r.io, IOD_GCMD, 1u << 31);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_GSTS), 0xC0000000u);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_GCMD), 0);
    iod_wr32(r.io, IOD_GCMD, 0);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_GSTS), 0x40000000u);
    /* 32-bit halves of a 64-bit register */
    ck_assert_uint_eq(iod_rd32(r.io, IOD_CAP) | (uint64_t)iod_rd32(r.io, IOD_CAP + 4) << 32, cap);
    rig_fini(&r);
}
END_TEST

START_TEST(test_create_rejects_an_empty_iotlb)
{
    sim_t *sim = sim_create();
    mem_t *mem = mem_create(MEM_SIZE);
    cost_table_t costs;
    ck_assert_int_eq(cost_table_init(&costs, "default"), 0);
    iommu_cfg_t cfg = { .iotlb_entries = 0 };
    irq_sink_t sink = { 0 };
    ck_assert_ptr_null(iommu_create(sim, mem, &costs, &cfg, sink));
    mem_destroy(mem);
    sim_destroy(sim);
}
END_TEST

/* ---------------------------------------------------------------- pass-through */

START_TEST(test_translation_disabled_is_identity_at_no_cost)
{
    rig_t r;
    rig_init(&r, 16);
    ck_xl(&r, RID_A, NO_PASID, 0xDEADB123, true, 0xDEADB123, 0xDEADC000, 0);
    ck_xl(&r, 0xFFFF, 7, 0x1000, false, 0x1000, 0x2000, 0);
    /* enabled, then disabled again (TE cleared): identity again */
    legacy_tables(&r);
    iod_enable(r.io, ROOT, 0);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, MISS_PS);
    iod_wr32(r.io, IOD_GCMD, 0);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x40001000, 0x40002000, 0);
    const iommu_stats_t *s = iommu_stats(r.io);
    ck_assert_uint_eq(s->translations, 4);
    ck_assert_uint_eq(s->iotlb_hits + s->iotlb_misses, 1);
    rig_fini(&r);
}
END_TEST

START_TEST(test_context_pass_through_type)
{
    rig_t r;
    legacy_rig(&r, 16);
    iod_ctx_entry(r.mem, CTX0, 0x28, 0, 2, 2, 11); /* 00:05.0, TT = 10b */
    ck_xl(&r, 0x0028, NO_PASID, 0x12345678, true, 0x12345678, 0x12346000, MISS_PS);
    ck_xl(&r, 0x0028, NO_PASID, 0x12345FFF, false, 0x12345FFF, 0x12346000, HIT_PS);
    const iommu_stats_t *s = iommu_stats(r.io);
    ck_assert_uint_eq(s->iotlb_hits + s->iotlb_misses, 0);
    ck_assert_uint_eq(s->walks, 1);
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- translation */

START_TEST(test_translates_4k_and_2m_pages)
{
    rig_t r;
    legacy_rig(&r, 16);
    ck_xl(&r, RID_A, NO_PASID, 0x40001234, false, 0x345234, 0x40002000, MISS_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x40001FFF, true, 0x345FFF, 0x40002000, HIT_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x40002000, false, 0x346000, 0x40003000, MISS_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x40212345, true, 0xA12345, 0x40400000, MISS_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x403FFFFF, false, 0xBFFFFF, 0x40400000, HIT_PS);
    ck_xl(&r, RID_B, NO_PASID, 0x5ABC, true, 0x555ABC, 0x6000, MISS_PS);
    rig_fini(&r);
}
END_TEST

/* VT-d 3.7.1: access rights are the AND of R/W over every level; a
 * read-only upper-level entry makes the whole range read-only. */
START_TEST(test_permissions_are_anded_over_levels)
{
    rig_t r;
    legacy_rig(&r, 16);
    iod_pte(r.mem, A_PDPT, 3, 0x114000, R);        /* iova 0xC0000000..: read-only */
    iod_pte(r.mem, 0x114000, 0, 0x115000, R | W);
    iod_pte(r.mem, 0x115000, 0, 0x349000, R | W);  /* leaf RW */
    ck_xl(&r, RID_A, NO_PASID, 0xC0000010, false, 0x349010, 0xC0001000, MISS_PS);
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0xC0000010, true).f, IOMMU_FAULT_WRITE);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0x8000000500000018u);
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- faults */

START_TEST(test_write_to_read_only_page_faults_with_record_and_interrupt)
{
    rig_t r;
    legacy_rig(&r, 16);
    iod_fault_event(r.io, 3, 0x41, true);
    xl_t x = xlate(&r, RID_A, NO_PASID, 0x40002468, true);
    ck_assert_int_eq(x.f, IOMMU_FAULT_WRITE);
    ck_assert_uint_eq(x.cost, MISS_PS);
    /* FRCD0: FI = page, SID 0x0018, FR 05h, T1 = 0 (write), F */
    ck_assert_uint_eq(iod_frcd_lo(r.io, 0), 0x40002000);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0x8000000500000018u);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0x2); /* PPF, FRI 0 */
    /* the message arrives pcie.msix later on core 3, vector 0x41 */
    ck_assert_uint_eq(r.log.n, 0);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 1);
    ck_assert_uint_eq(r.log.core, 3);
    ck_assert_uint_eq(r.log.vector, 0x41);
    ck_assert_uint_eq(r.log.at, MSIX_PS);
    /* the kernel clears F: no pending fault */
    iod_frcd_clear(r.io, 0);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0) >> 63, 0);
    /* read of a write-only page: FR 06h, T1 = 1 (read), next register */
    x = xlate(&r, RID_A, NO_PASID, 0x40003010, false);
    ck_assert_int_eq(x.f, IOMMU_FAULT_READ);
    ck_assert_uint_eq(iod_frcd_lo(r.io, 1), 0x40003000);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1), 0xC000000600000018u);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0x102); /* PPF, FRI 1 */
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 2);
    /* a read of the read-only page is fine, from the now cached entry */
    ck_xl(&r, RID_A, NO_PASID, 0x40002468, false, 0x346468, 0x40003000, HIT_PS);
    const iommu_stats_t *s = iommu_stats(r.io);
    ck_assert_uint_eq(s->faults[IOMMU_FAULT_WRITE], 1);
    ck_assert_uint_eq(s->faults[IOMMU_FAULT_READ], 1);
    rig_fini(&r);
}
END_TEST

START_TEST(test_fault_event_only_when_ppf_becomes_set)
{
    rig_t r;
    legacy_rig(&r, 16);
    iod_fault_event(r.io, 3, 0x41, true);
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40002000, true).f, IOMMU_FAULT_WRITE);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 1);
    /* PPF still set: a second fault is recorded but raises no interrupt */
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40002000, true).f, IOMMU_FAULT_WRITE);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 1);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1), 0x8000000500000018u);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0x2); /* FRI stays 0 */
    iod_frcd_clear(r.io, 0);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0x2); /* record 1 still pending */
    iod_frcd_clear(r.io, 1);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0);
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40002000, true).f, IOMMU_FAULT_WRITE);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0x202); /* FRI 2 */
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 2);
    rig_fini(&r);
}
END_TEST

START_TEST(test_masked_fault_event_is_delivered_on_unmask)
{
    rig_t r;
    legacy_rig(&r, 16);
    iod_fault_event(r.io, 3, 0x41, false); /* IM stays set from reset */
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40002000, true).f, IOMMU_FAULT_WRITE);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 0);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FECTL), 0xC0000000u); /* IM, IP */
    iod_wr32(r.io, IOD_FECTL, 0);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FECTL), 0);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 1);
    ck_assert_uint_eq(r.log.vector, 0x41);
    /* masked again; the kernel services the fault by polling: IP clears,
     * and unmasking sends nothing */
    iod_frcd_clear(r.io, 0);
    iod_wr32(r.io, IOD_FECTL, 0x80000000u);
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40002000, true).f, IOMMU_FAULT_WRITE);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FECTL), 0xC0000000u);
    iod_frcd_clear(r.io, 1);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FECTL), 0x80000000u);
    iod_wr32(r.io, IOD_FECTL, 0);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 1);
    rig_fini(&r);
}
END_TEST

START_TEST(test_not_present_root_context_and_pte_fault)
{
    rig_t r;
    legacy_rig(&r, 16);
    iod_fault_event(r.io, 3, 0x41, true);
    /* 05:00.0: root entry for bus 5 not present (FR 01h) */
    ck_assert_int_eq(xlate(&r, 0x0500, NO_PASID, 0x1000, false).f, IOMMU_FAULT_ROOT);
    /* 00:04.0: context entry not present (FR 02h) */
    ck_assert_int_eq(xlate(&r, 0x0020, NO_PASID, 0x1000, false).f, IOMMU_FAULT_CONTEXT);
    /* leaf PTE not present: read FR 06h, write FR 05h */
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40004000, false).f, IOMMU_FAULT_NOT_PRESENT);
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40004000, true).f, IOMMU_FAULT_NOT_PRESENT);
    /* intermediate entry not present (PDPT[2]) */
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x80000000, false).f, IOMMU_FAULT_NOT_PRESENT);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0xC000000100000500u);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1), 0xC000000200000020u);
    ck_assert_uint_eq(iod_frcd_lo(r.io, 2), 0x40004000);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 2), 0xC000000600000018u);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 3), 0x8000000500000018u);
    ck_assert_uint_eq(iod_frcd_lo(r.io, 4), 0x80000000);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 4), 0xC000000600000018u);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0x2);
    const iommu_stats_t *s = iommu_stats(r.io);
    ck_assert_uint_eq(s->faults[IOMMU_FAULT_ROOT], 1);
    ck_assert_uint_eq(s->faults[IOMMU_FAULT_CONTEXT], 1);
    ck_assert_uint_eq(s->faults[IOMMU_FAULT_NOT_PRESENT], 3);
    /* a present leaf appearing needs no invalidation: not-present entries
     * are never cached (CAP.CM = 0) */
    iod_pte(r.mem, A_PT, 4, 0x348000, R);
    ck_xl(&r, RID_A, NO_PASID, 0x40004004, false, 0x348004, 0x40005000, MISS_PS);
    rig_fini(&r);
}
END_TEST

START_TEST(test_address_width_and_table_outside_memory_fault)
{
    rig_t r;
    legacy_rig(&r, 16);
    /* device B has 39-bit tables: iova 2^39 is beyond (FR 04h) */
    ck_assert_int_eq(xlate(&r, RID_B, NO_PASID, BIT(39), false).f, IOMMU_FAULT_ADDRESS);
    ck_assert_uint_eq(iod_frcd_lo(r.io, 0), BIT(39));
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0xC00000040000030Au);
    /* 00:06.0: SLPTPTR at 128 MiB, outside 64 MiB of memory (FR 07h) */
    iod_ctx_entry(r.mem, CTX0, 0x30, UINT64_C(128) << 20, 0, 2, 12);
    ck_assert_int_eq(xlate(&r, 0x0030, NO_PASID, 0x1000, false).f, IOMMU_FAULT_ADDRESS);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1), 0xC000000700000030u);
    /* 00:07.0: AW 011b (57-bit) is not in SAGAW: invalid context (FR 03h) */
    iod_ctx_entry(r.mem, CTX0, 0x38, A_PML4, 0, 3, 13);
    ck_assert_int_eq(xlate(&r, 0x0038, NO_PASID, 0x1000, true).f, IOMMU_FAULT_CONTEXT);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 2), 0x8000000300000038u);
    rig_fini(&r);
}
END_TEST

START_TEST(test_fault_recording_overflow_sets_pfo)
{
    rig_t r;
    legacy_rig(&r, 16);
    iod_fault_event(r.io, 3, 0x41, true);
    for (unsigned i = 0; i < 9; i++)
        ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40002000 + i, true).f, IOMMU_FAULT_WRITE);
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0x3); /* PFO, PPF, FRI 0 */
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 1); /* one interrupt: PPF was set once */
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(iod_frcd_hi(r.io, i) >> 63, 1);
    /* while PFO is set nothing more is recorded, even with free registers */
    iod_frcd_clear(r.io, 0);
    ck_assert_int_eq(xlate(&r, RID_B, NO_PASID, BIT(39), false).f, IOMMU_FAULT_ADDRESS);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0) >> 63, 0);
    for (unsigned i = 1; i < 8; i++)
        iod_frcd_clear(r.io, i);
    iod_wr32(r.io, IOD_FSTS, 1); /* PFO is RW1C */
    ck_assert_uint_eq(iod_rd32(r.io, IOD_FSTS), 0);
    ck_assert_int_eq(xlate(&r, RID_B, NO_PASID, BIT(39), false).f, IOMMU_FAULT_ADDRESS);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0xC00000040000030Au);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 2);
    const iommu_stats_t *s = iommu_stats(r.io);
    ck_assert_uint_eq(s->faults[IOMMU_FAULT_WRITE], 9); /* counted even when not recorded */
    ck_assert_uint_eq(s->faults[IOMMU_FAULT_ADDRESS], 2);
    rig_fini(&r);
}
END_TEST

START_TEST(test_reserved_translation_table_mode_faults)
{
    rig_t r;
    rig_init(&r, 16);
    legacy_tables(&r);
    iod_enable(r.io, ROOT, 2); /* TTM 10b is reserved: RTA.1, FR 30h */
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40001000, false).f, IOMMU_FAULT_ROOT);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0xC000003000000018u);
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- IOTLB */

START_TEST(test_iotlb_miss_then_hit)
{
    rig_t r;
    legacy_rig(&r, 16);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, MISS_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, HIT_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x40001FF8, true, 0x345FF8, 0x40002000, HIT_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x40200000, false, 0xA00000, 0x40400000, MISS_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x40300000, false, 0xB00000, 0x40400000, HIT_PS);
    const iommu_stats_t *s = iommu_stats(r.io);
    ck_assert_uint_eq(s->translations, 5);
    ck_assert_uint_eq(s->iotlb_misses, 2);
    ck_assert_uint_eq(s->iotlb_hits, 3);
    ck_assert_uint_eq(s->walks, 2);
    rig_fini(&r);
}
END_TEST

START_TEST(test_iotlb_evicts_least_recently_used)
{
    rig_t r;
    legacy_rig(&r, 2);
    const uint64_t A = 0x40001000, B = 0x40002000, C = 0x40200000;
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, A, false).cost, MISS_PS);
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, B, false).cost, MISS_PS);
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, A, false).cost, HIT_PS);
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, C, false).cost, MISS_PS); /* evicts B */
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, A, false).cost, HIT_PS);
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, B, false).cost, MISS_PS); /* evicts C */
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, A, false).cost, HIT_PS);
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, C, false).cost, MISS_PS); /* evicts B */
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, B, false).cost, MISS_PS); /* evicts A */
    ck_assert_uint_eq(xlate(&r, RID_A, NO_PASID, A, false).cost, MISS_PS);
    rig_fini(&r);
}
END_TEST

/* Regression class: the kernel rewrites a PTE and forgets to invalidate;
 * the device keeps using the old frame until the IOTLB is invalidated. */
START_TEST(test_changed_pte_is_seen_only_after_invalidation)
{
    rig_t r;
    legacy_rig(&r, 16);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, MISS_PS);
    iod_pte(r.mem, A_PT, 1, 0x999000, R | W);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, HIT_PS);
    /* page-selective, other page: still stale */
    iod_iotlb_invalidate(r.io, 3, 5, 0x40005000);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, HIT_PS);
    /* page-selective, this page: IVT clears, IAIG = 11b */
    iod_iotlb_invalidate(r.io, 3, 5, 0x40001000);
    ck_assert_uint_eq(iod_rd64(r.io, r.iro + 8), 0x3600000500000000u);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x999000, 0x40002000, MISS_PS);
    /* domain-selective: another domain's does nothing, ours does */
    iod_pte(r.mem, A_PT, 1, 0x888000, R | W);
    iod_iotlb_invalidate(r.io, 2, 6, 0);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x999000, 0x40002000, HIT_PS);
    iod_iotlb_invalidate(r.io, 2, 5, 0);
    ck_assert_uint_eq(iod_rd64(r.io, r.iro + 8), 0x2400000500000000u);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x888000, 0x40002000, MISS_PS);
    /* global */
    iod_pte(r.mem, A_PT, 1, 0x777000, R | W);
    iod_iotlb_invalidate(r.io, 1, 0, 0);
    ck_assert_uint_eq(iod_rd64(r.io, r.iro + 8), 0x1200000000000000u);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x777000, 0x40002000, MISS_PS);
    /* a page invalidation inside a 2 MiB page drops the 2 MiB entry */
    ck_xl(&r, RID_A, NO_PASID, 0x40200000, false, 0xA00000, 0x40400000, MISS_PS);
    iod_pte(r.mem, A_PD, 1, 0xC00000, R | W | PS);
    iod_iotlb_invalidate(r.io, 3, 5, 0x40234000);
    ck_xl(&r, RID_A, NO_PASID, 0x40200000, false, 0xC00000, 0x40400000, MISS_PS);
    /* AM = 10: the 4 MiB at 0x40000000 cover both the 4 KiB and 2 MiB pages */
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x777000, 0x40002000, HIT_PS);
    iod_pte(r.mem, A_PT, 1, 0x666000, R | W);
    iod_pte(r.mem, A_PD, 1, 0xE00000, R | W | PS);
    iod_iotlb_invalidate(r.io, 3, 5, 0x40000000 | 10);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x666000, 0x40002000, MISS_PS);
    ck_xl(&r, RID_A, NO_PASID, 0x40200000, false, 0xE00000, 0x40400000, MISS_PS);
    ck_assert_uint_eq(iommu_stats(r.io)->invalidations, 7);
    rig_fini(&r);
}
END_TEST

/* Regression class: upgrading a read-only page to read-write without an
 * invalidation; the cached permissions still refuse the write. */
START_TEST(test_permission_upgrade_needs_invalidation)
{
    rig_t r;
    legacy_rig(&r, 16);
    ck_xl(&r, RID_A, NO_PASID, 0x40002000, false, 0x346000, 0x40003000, MISS_PS);
    iod_pte(r.mem, A_PT, 2, 0x346000, R | W);
    xl_t x = xlate(&r, RID_A, NO_PASID, 0x40002000, true);
    ck_assert_int_eq(x.f, IOMMU_FAULT_WRITE);
    ck_assert_uint_eq(x.cost, HIT_PS);
    iod_iotlb_invalidate(r.io, 3, 5, 0x40002000);
    ck_xl(&r, RID_A, NO_PASID, 0x40002000, true, 0x346000, 0x40003000, MISS_PS);
    rig_fini(&r);
}
END_TEST

/* Regression class: tearing down a device's context without invalidating
 * the context cache leaves the device translating. */
START_TEST(test_context_cache_invalidation)
{
    rig_t r;
    legacy_rig(&r, 16);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, MISS_PS);
    iod_put64(r.mem, CTX0 + 0x18 * 16, 0); /* context entry of A: not present */
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, HIT_PS);
    /* device-selective for 00:03.1: not A */
    iod_wr64(r.io, IOD_CCMD, BIT(63) | UINT64_C(3) << 61 | 0x0019u << 16);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, HIT_PS);
    /* same, function mask 11b: every function of 00:03 */
    iod_wr64(r.io, IOD_CCMD, BIT(63) | UINT64_C(3) << 61 | UINT64_C(3) << 32 | 0x0019u << 16);
    ck_assert_uint_eq(iod_rd64(r.io, IOD_CCMD), 0x7800000300190000u); /* ICC clear, CAIG 11b */
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40001000, false).f, IOMMU_FAULT_CONTEXT);
    /* restored; domain-selective and global invalidations also reach it */
    iod_ctx_entry(r.mem, CTX0, 0x18, A_PML4, 0, 2, 5);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, MISS_PS);
    iod_put64(r.mem, CTX0 + 0x18 * 16, 0);
    iod_wr64(r.io, IOD_CCMD, BIT(63) | UINT64_C(2) << 61 | 4);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, HIT_PS);
    iod_wr64(r.io, IOD_CCMD, BIT(63) | UINT64_C(2) << 61 | 5);
    ck_assert_uint_eq(iod_rd64(r.io, IOD_CCMD), 0x5000000000000005u);
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40001000, false).f, IOMMU_FAULT_CONTEXT);
    iod_ctx_entry(r.mem, CTX0, 0x18, A_PML4, 0, 2, 5);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, MISS_PS);
    iod_put64(r.mem, CTX0 + 0x18 * 16, 0);
    iod_wr64(r.io, IOD_CCMD, BIT(63) | UINT64_C(1) << 61);
    ck_assert_uint_eq(iod_rd64(r.io, IOD_CCMD), 0x2800000000000000u);
    ck_assert_int_eq(xlate(&r, RID_A, NO_PASID, 0x40001000, false).f, IOMMU_FAULT_CONTEXT);
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- PASID */

START_TEST(test_legacy_mode_pasid_tagged_dma_faults)
{
    rig_t r;
    legacy_rig(&r, 16);
    ck_assert_int_eq(xlate(&r, RID_A, 1, 0x40001000, false).f, IOMMU_FAULT_PASID);
    /* PP (bit 95) and PV = 1 (bits 123:104) recorded, FR 03h */
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0xC000010380000018u);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, MISS_PS);
    rig_fini(&r);
}
END_TEST

/* Scalable mode: device 01:00.0 (rid 0x0100), PASID directory of 128
 * entries (PDTS 0), PASIDE set, RID_PASID 0; PASID table entries (64 B):
 *   PASID 0 (RID_PASID): iova 0x1000 -> 0x600000
 *   PASID 1:             iova 0x1000 -> 0x601000
 *   PASID 2:             iova 0x1000 -> 0x602000, iova 0x2000 -> 0x603000 R only
 * all in domain 7: only the PASID tag tells the IOTLB entries apart.
 * Device 01:11.0 (rid 0x0188, devfn 136: the root entry's upper half),
 * PASIDE clear, RID_PASID 5 -> PASID entry 5, PGTT pass-through. */
#define SM_ROOT 0x200000u
#define SM_CTX_LO 0x201000u
#define SM_CTX_HI 0x202000u
#define SM_PDIR 0x203000u
#define SM_PTBL 0x204000u
#define RID_S 0x0100u
#define RID_U 0x0188u

/* four 4 KiB tables from `base` mapping iova 0x1000 (and 0x2000) */
static void sm_sl_tables(rig_t *r, uint64_t base, uint64_t pa1, uint64_t pa2)
{
    iod_pte(r->mem, base, 0, base + 0x1000, R | W);
    iod_pte(r->mem, base + 0x1000, 0, base + 0x2000, R | W);
    iod_pte(r->mem, base + 0x2000, 0, base + 0x3000, R | W);
    iod_pte(r->mem, base + 0x3000, 1, pa1, R | W);
    if (pa2)
        iod_pte(r->mem, base + 0x3000, 2, pa2, R);
}

static void scalable_rig(rig_t *r)
{
    rig_init(r, 16);
    iod_sm_root_entry(r->mem, SM_ROOT, 1, SM_CTX_LO, SM_CTX_HI);
    iod_sm_ctx_entry(r->mem, SM_CTX_LO, 0x00, SM_PDIR, 0, true, 0);
    iod_sm_ctx_entry(r->mem, SM_CTX_HI, 0x88, SM_PDIR, 0, false, 5);
    iod_pdir_entry(r->mem, SM_PDIR, 0, SM_PTBL); /* PASIDs 0-63 */
    iod_pasid_entry(r->mem, SM_PTBL, 0, 0x300000, 2, IOD_PGTT_SL, 7);
    iod_pasid_entry(r->mem, SM_PTBL, 1, 0x310000, 2, IOD_PGTT_SL, 7);
    iod_pasid_entry(r->mem, SM_PTBL, 2, 0x320000, 2, IOD_PGTT_SL, 7);
    iod_pasid_entry(r->mem, SM_PTBL, 5, 0, 2, IOD_PGTT_PT, 8);
    sm_sl_tables(r, 0x300000, 0x600000, 0);
    sm_sl_tables(r, 0x310000, 0x601000, 0);
    sm_sl_tables(r, 0x320000, 0x602000, 0x603000);
    iod_enable(r->io, SM_ROOT, IOD_TTM_SCALABLE);
}

START_TEST(test_scalable_mode_isolates_pasids_of_one_device)
{
    rig_t r;
    scalable_rig(&r);
    ck_xl(&r, RID_S, 1, 0x1000, true, 0x601000, 0x2000, MISS_PS);
    ck_xl(&r, RID_S, 2, 0x1ABC, true, 0x602ABC, 0x2000, MISS_PS);
    ck_xl(&r, RID_S, 1, 0x1ABC, false, 0x601ABC, 0x2000, HIT_PS);
    ck_xl(&r, RID_S, 2, 0x1000, false, 0x602000, 0x2000, HIT_PS);
    /* untagged DMA uses RID_PASID (0) */
    ck_xl(&r, RID_S, NO_PASID, 0x1004, false, 0x600004, 0x2000, MISS_PS);
    /* PASID 3: directory entry present, table entry not (SPT.2, FR 59h) */
    iod_fault_event(r.io, 3, 0x41, true);
    ck_assert_int_eq(xlate(&r, RID_S, 3, 0x1000, false).f, IOMMU_FAULT_PASID);
    ck_assert_uint_eq(iod_frcd_lo(r.io, 0), 0x1000);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0xC000035980000100u);
    /* PASID 64: directory entry 1 not present (SPD.2, FR 51h) */
    ck_assert_int_eq(xlate(&r, RID_S, 64, 0x1000, false).f, IOMMU_FAULT_PASID);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1), 0xC000405180000100u);
    /* PASID 2 has 0x2000 read-only: a write faults (SGN.6, FR 85h) */
    ck_xl(&r, RID_S, 2, 0x2000, false, 0x603000, 0x3000, MISS_PS);
    ck_assert_int_eq(xlate(&r, RID_S, 2, 0x2000, true).f, IOMMU_FAULT_WRITE);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 2), 0x8000028580000100u);
    /* PASID 1 does not map 0x2000 at all (R = W = 0: SGN.7, FR 86h) */
    ck_assert_int_eq(xlate(&r, RID_S, 1, 0x2000, false).f, IOMMU_FAULT_NOT_PRESENT);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 3), 0xC000018680000100u);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(r.log.n, 1);
    rig_fini(&r);
}
END_TEST

START_TEST(test_scalable_upper_devfn_pass_through_and_pasid_disable)
{
    rig_t r;
    scalable_rig(&r);
    ck_xl(&r, RID_U, NO_PASID, 0x7123, true, 0x7123, 0x8000, MISS_PS);
    ck_xl(&r, RID_U, NO_PASID, 0x7FFF, false, 0x7FFF, 0x8000, HIT_PS);
    /* PASIDE clear: PASID-tagged DMA is refused (FR 43h) */
    ck_assert_int_eq(xlate(&r, RID_U, 1, 0x1000, false).f, IOMMU_FAULT_PASID);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 0), 0xC000014380000188u);
    /* root entry of bus 2 not present, scalable code (FR 39h) */
    ck_assert_int_eq(xlate(&r, 0x0200, NO_PASID, 0x1000, false).f, IOMMU_FAULT_ROOT);
    ck_assert_uint_eq(iod_frcd_hi(r.io, 1), 0xC000003900000200u);
    rig_fini(&r);
}
END_TEST

/* ---------------------------------------------------------------- misc */

START_TEST(test_fault_names_are_distinct)
{
    for (int a = 0; a < IOMMU_FAULT_KINDS; a++) {
        ck_assert_ptr_nonnull(iommu_fault_name((iommu_fault_t)a));
        for (int b = 0; b < a; b++)
            ck_assert_str_ne(iommu_fault_name((iommu_fault_t)a), iommu_fault_name((iommu_fault_t)b));
    }
    ck_assert_ptr_nonnull(iommu_fault_name(IOMMU_FAULT_KINDS));
}
END_TEST

START_TEST(test_bad_register_accesses_are_harmless)
{
    rig_t r;
    legacy_rig(&r, 16);
    iommu_mmio_write(r.io, IOD_GSTS, 0, 4);           /* read-only */
    iommu_mmio_write(r.io, IOD_GCMD, 0, 2);           /* sub-dword write */
    iommu_mmio_write(r.io, 0x0FFC, 0, 8);         /* beyond the page */
    ck_assert_uint_eq(iod_rd32(r.io, IOD_GSTS), 0xC0000000u);
    ck_assert_uint_eq(iommu_mmio_read(r.io, IOD_FECTL + 3, 1), 0x80); /* IM byte */
    ck_assert_uint_eq(iommu_mmio_read(r.io, 0x2000, 4), 0);
    ck_xl(&r, RID_A, NO_PASID, 0x40001000, false, 0x345000, 0x40002000, MISS_PS);
    rig_fini(&r);
}
END_TEST

static Suite *iommu_suite(void)
{
    Suite *s = suite_create("iommu");
    struct {
        const char *name;
        const TTest *fn;
    } const cases[] = {
        { "registers", test_registers_report_capabilities_and_reset_state },
        { "create", test_create_rejects_an_empty_iotlb },
        { "off", test_translation_disabled_is_identity_at_no_cost },
        { "passthrough", test_context_pass_through_type },
        { "translate", test_translates_4k_and_2m_pages },
        { "perm_levels", test_permissions_are_anded_over_levels },
        { "perm_fault", test_write_to_read_only_page_faults_with_record_and_interrupt },
        { "fault_event", test_fault_event_only_when_ppf_becomes_set },
        { "fault_mask", test_masked_fault_event_is_delivered_on_unmask },
        { "not_present", test_not_present_root_context_and_pte_fault },
        { "address", test_address_width_and_table_outside_memory_fault },
        { "overflow", test_fault_recording_overflow_sets_pfo },
        { "ttm", test_reserved_translation_table_mode_faults },
        { "iotlb_hit", test_iotlb_miss_then_hit },
        { "iotlb_lru", test_iotlb_evicts_least_recently_used },
        { "iotlb_inval", test_changed_pte_is_seen_only_after_invalidation },
        { "perm_upgrade", test_permission_upgrade_needs_invalidation },
        { "ctx_inval", test_context_cache_invalidation },
        { "legacy_pasid", test_legacy_mode_pasid_tagged_dma_faults },
        { "pasid_isolation", test_scalable_mode_isolates_pasids_of_one_device },
        { "sm_upper", test_scalable_upper_devfn_pass_through_and_pasid_disable },
        { "names", test_fault_names_are_distinct },
        { "bad_access", test_bad_register_accesses_are_harmless },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

CHECK_MAIN(iommu_suite)
