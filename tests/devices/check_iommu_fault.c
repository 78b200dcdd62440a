/* tests/devices/check_iommu_fault: the VT-d model driven the way a kernel
 * driver drives a remapping unit (devices/iommu.h): faults (records,
 * fault events and their masking, not-present entries, address width,
 * tables outside memory, recording overflow, reserved table modes) and
 * PASIDs (legacy-mode PASID-tagged DMA, scalable mode isolating one
 * device's PASIDs, the upper devfn half).  Registers, translation and the
 * caches are check_iommu.
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

static Suite *iommu_fault_suite(void)
{
    Suite *s = suite_create("iommu_fault");
    struct {
        const char *name;
        const TTest *fn;
    } const cases[] = {
        { "perm_fault", test_write_to_read_only_page_faults_with_record_and_interrupt },
        { "fault_event", test_fault_event_only_when_ppf_becomes_set },
        { "fault_mask", test_masked_fault_event_is_delivered_on_unmask },
        { "not_present", test_not_present_root_context_and_pte_fault },
        { "address", test_address_width_and_table_outside_memory_fault },
        { "overflow", test_fault_recording_overflow_sets_pfo },
        { "ttm", test_reserved_translation_table_mode_faults },
        { "legacy_pasid", test_legacy_mode_pasid_tagged_dma_faults },
        { "pasid_isolation", test_scalable_mode_isolates_pasids_of_one_device },
        { "sm_upper", test_scalable_upper_devfn_pass_through_and_pasid_disable },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

CHECK_MAIN(iommu_fault_suite)
