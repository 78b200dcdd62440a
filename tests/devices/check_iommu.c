/* tests/devices/check_iommu: the VT-d model driven the way a kernel driver
 * drives a remapping unit (devices/iommu.h): registers and reset state,
 * pass-through, translation of 4 KiB and 2 MiB pages with permissions
 * ANDed over levels, the IOTLB and context cache and their invalidation,
 * fault names and harmless bad register accesses.  Faults and PASIDs are
 * check_iommu_fault.
 *
 * The tests build root, context, PASID and page tables in a mem_t with
 * their own encoding of the VT-d rev. 3 formats (tests/devices/iommu_drv.h:
 * chapter 9 bit positions written out there, not taken from the model's
 * private header), discover the fault-recording and IOTLB register offsets
 * from CAP/ECAP as a driver does, program the registers through
 * iommu_mmio_write and translate.  Every expected address, register value
 * and cost is worked by hand from the tables each test writes; fault
 * reasons are VT-d's codes (7.1.3).  The rig and the legacy-mode tables
 * are tests/devices/iommu_tt.h. */
#include <stdint.h>
#include <stdlib.h>

#include "devices/iommu.h"
#include "devices/irq.h"
#include "devices/mem.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/iommu_drv.h"
#include "tests/devices/iommu_tt.h"

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
        { "iotlb_hit", test_iotlb_miss_then_hit },
        { "iotlb_lru", test_iotlb_evicts_least_recently_used },
        { "iotlb_inval", test_changed_pte_is_seen_only_after_invalidation },
        { "perm_upgrade", test_permission_upgrade_needs_invalidation },
        { "ctx_inval", test_context_cache_invalidation },
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
