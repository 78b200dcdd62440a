/* tests/model/check_cost: the cost table, its profiles and overrides.
 *
 * Expectations are written here independently of model/cost.c: the stable
 * names are spelled out per id, the talk's seed figures are the numbers in
 * ../shared/reference/costs.md, and picosecond values are worked by hand. */
#include "tests/check_main.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "model/cost.h"

/* The stable names configs and results use: renaming one breaks users. */
static const char *const expected_name[COST_COUNT] = {
    [COST_MEM_L1] = "mem.l1",
    [COST_MEM_LLC] = "mem.llc",
    [COST_MEM_DRAM] = "mem.dram",
    [COST_MEM_DRAM_REMOTE] = "mem.dram_remote",
    [COST_MEM_PMEM] = "mem.pmem",
    [COST_CPU_SYSCALL] = "cpu.syscall",
    [COST_CPU_CTX_SWITCH] = "cpu.ctx_switch",
    [COST_CPU_IPI] = "cpu.ipi",
    [COST_PCIE_MMIO_WRITE] = "pcie.mmio_write",
    [COST_PCIE_MMIO_READ] = "pcie.mmio_read",
    [COST_PCIE_DMA] = "pcie.dma",
    [COST_IOMMU_IOTLB_MISS] = "iommu.iotlb_miss",
    [COST_NVME_READ] = "nvme.read",
    [COST_NET_LINUX_UDP] = "net.linux_udp_echo",
    [COST_CPU_IRQ_ENTRY] = "cpu.irq_entry",
    [COST_PCIE_MSIX] = "pcie.msix",
    [COST_IOMMU_IOTLB_HIT] = "iommu.iotlb_hit",
    [COST_NAND_READ] = "nand.read",
    [COST_NAND_PROGRAM] = "nand.program",
    [COST_NAND_XFER_4K] = "nand.xfer_4k",
    [COST_LLFLASH_PROGRAM] = "llflash.program",
    [COST_MEM_PMEM_WRITE] = "mem.pmem_write",
    [COST_NVME_READY] = "nvme.ready",
    [COST_CPU_CYCLE] = "cpu.cycle",
};

/* [a-z0-9_]+ ( "." [a-z0-9_]+ )+ */
static int is_dotted_lowercase(const char *s)
{
    int dots = 0, seg = 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (seg == 0)
                return 0;
            dots++;
            seg = 0;
        } else if (islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_') {
            seg++;
        } else {
            return 0;
        }
    }
    return dots > 0 && seg > 0;
}

/* ------------------------------------------------------------ descriptors */

START_TEST(test_every_row_has_dotted_name_source_and_finite_default)
{
    for (int i = 0; i < COST_COUNT; i++) {
        const cost_desc_t *d = &cost_desc[i];
        ck_assert_msg(d->name != NULL && is_dotted_lowercase(d->name),
                      "row %d name '%s'", i, d->name ? d->name : "(null)");
        ck_assert_msg(d->source != NULL && d->source[0] != '\0',
                      "row %d (%s) has no source", i, d->name);
        ck_assert_msg(isfinite(d->default_ns) && d->default_ns >= 0.0,
                      "row %d (%s) default %g", i, d->name, d->default_ns);
    }
}
END_TEST

START_TEST(test_names_are_unique)
{
    for (int i = 0; i < COST_COUNT; i++)
        for (int j = i + 1; j < COST_COUNT; j++)
            ck_assert_msg(strcmp(cost_desc[i].name, cost_desc[j].name) != 0,
                          "rows %d and %d share '%s'", i, j, cost_desc[i].name);
}
END_TEST

START_TEST(test_names_are_the_stable_ones_per_id)
{
    for (int i = 0; i < COST_COUNT; i++)
        ck_assert_str_eq(cost_desc[i].name, expected_name[i]);
}
END_TEST

START_TEST(test_talk_seed_figures_are_present)
{
    /* HotOS'19 "I/O is Faster than the CPU": LLC ~15 ns, DRAM ~80 ns,
     * Optane PMEM ~320 ns, NVMe ~20 us. */
    ck_assert(cost_desc[COST_MEM_LLC].default_ns == 15.0);
    ck_assert(cost_desc[COST_MEM_DRAM].default_ns == 80.0);
    ck_assert(cost_desc[COST_MEM_PMEM].default_ns == 320.0);
    ck_assert(cost_desc[COST_NVME_READ].default_ns == 20000.0);
    ck_assert_ptr_nonnull(strstr(cost_desc[COST_MEM_LLC].source, "HotOS'19"));
    ck_assert_ptr_nonnull(strstr(cost_desc[COST_NVME_READ].source, "HotOS'19"));
}
END_TEST

START_TEST(test_unverified_figures_say_so)
{
    /* costs.md marks these "unverified"; their sources must too. */
    const cost_id_t ids[] = { COST_CPU_SYSCALL, COST_CPU_IPI,
                              COST_PCIE_MMIO_READ, COST_IOMMU_IOTLB_MISS };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        ck_assert_msg(strstr(cost_desc[ids[i]].source, "unverified") != NULL,
                      "%s", cost_desc[ids[i]].name);
}
END_TEST

/* ------------------------------------------------------------ profiles */

START_TEST(test_zero_profile_is_all_zero)
{
    cost_table_t t;
    memset(&t, 0xab, sizeof t);
    ck_assert_int_eq(cost_table_init(&t, "zero"), 0);
    ck_assert_str_eq(t.profile, "zero");
    for (int i = 0; i < COST_COUNT; i++) {
        ck_assert_uint_eq(cost_ps(&t, (cost_id_t)i), 0);
        ck_assert_uint_eq(t.overridden[i], 0);
    }
}
END_TEST

START_TEST(test_default_profile_rounds_ns_to_nearest_ps)
{
    cost_table_t t;
    memset(&t, 0xab, sizeof t);
    ck_assert_int_eq(cost_table_init(&t, "default"), 0);
    ck_assert_str_eq(t.profile, "default");
    for (int i = 0; i < COST_COUNT; i++) {
        ck_assert_uint_eq(t.ps[i], (uint64_t)llround(cost_desc[i].default_ns * 1000.0));
        ck_assert_uint_eq(t.overridden[i], 0);
    }
    /* Worked by hand. */
    ck_assert_uint_eq(cost_ps(&t, COST_MEM_LLC), 15000);
    ck_assert_uint_eq(cost_ps(&t, COST_MEM_DRAM), 80000);
    ck_assert_uint_eq(cost_ps(&t, COST_MEM_PMEM), 320000);
    ck_assert_uint_eq(cost_ps(&t, COST_NVME_READ), 20000000);
    ck_assert_uint_eq(cost_ps(&t, COST_MEM_L1), 1333); /* 4 cycles at 3 GHz */
}
END_TEST

START_TEST(test_unknown_profile_fails)
{
    cost_table_t t;
    ck_assert_int_eq(cost_table_init(&t, "fast"), -1);
    ck_assert_int_eq(cost_table_init(&t, ""), -1);
    ck_assert_int_eq(cost_table_init(&t, "Default"), -1);
    ck_assert_int_eq(cost_table_init(&t, NULL), -1);
}
END_TEST

START_TEST(test_profile_list_names_buildable_profiles)
{
    const char *const *p = cost_profiles();
    int n = 0, saw_default = 0, saw_zero = 0;
    for (; p[n] != NULL; n++) {
        cost_table_t t;
        ck_assert_int_eq(cost_table_init(&t, p[n]), 0);
        saw_default |= strcmp(p[n], "default") == 0;
        saw_zero |= strcmp(p[n], "zero") == 0;
    }
    ck_assert(saw_default && saw_zero);
}
END_TEST

/* ------------------------------------------------------------ lookup */

START_TEST(test_lookup_round_trips_every_name)
{
    for (int i = 0; i < COST_COUNT; i++)
        ck_assert_int_eq(cost_lookup(expected_name[i]), i);
}
END_TEST

START_TEST(test_lookup_unknown_name_fails)
{
    ck_assert_int_eq(cost_lookup("mem.l2"), -1);
    ck_assert_int_eq(cost_lookup("mem"), -1);
    ck_assert_int_eq(cost_lookup("MEM.DRAM"), -1);
    ck_assert_int_eq(cost_lookup("mem.dram "), -1);
    ck_assert_int_eq(cost_lookup(""), -1);
    ck_assert_int_eq(cost_lookup(NULL), -1);
}
END_TEST

/* ------------------------------------------------------------ overrides */

START_TEST(test_set_ns_overrides_one_entry)
{
    cost_table_t t;
    ck_assert_int_eq(cost_table_init(&t, "default"), 0);
    ck_assert_int_eq(cost_set_ns(&t, COST_MEM_DRAM, 2.0 / 3.0), 0);
    ck_assert_uint_eq(cost_ps(&t, COST_MEM_DRAM), 667); /* nearest, not 666 */
    ck_assert_uint_eq(t.overridden[COST_MEM_DRAM], 1);
    ck_assert_uint_eq(cost_ps(&t, COST_MEM_LLC), 15000);   /* others untouched */
    ck_assert_uint_eq(t.overridden[COST_MEM_LLC], 0);

    ck_assert_int_eq(cost_set_ns(&t, COST_PCIE_DMA, 0.0), 0);
    ck_assert_uint_eq(cost_ps(&t, COST_PCIE_DMA), 0);
    ck_assert_int_eq(cost_set_ns(&t, COST_NVME_READ, 1e12), 0);
    ck_assert_uint_eq(cost_ps(&t, COST_NVME_READ), 1000000000000000ull);
    ck_assert_int_eq(cost_set_ns(&t, COST_MEM_L1, 0.0004), 0); /* 0.4 ps */
    ck_assert_uint_eq(cost_ps(&t, COST_MEM_L1), 0);
    ck_assert_int_eq(cost_set_ns(&t, COST_MEM_L1, 0.0625), 0); /* 62.5 ps, exact */
    ck_assert_uint_eq(cost_ps(&t, COST_MEM_L1), 63);
}
END_TEST

START_TEST(test_set_ns_rejects_bad_values)
{
    cost_table_t t;
    ck_assert_int_eq(cost_table_init(&t, "default"), 0);
    const double bad[] = { NAN, INFINITY, -INFINITY, -1.0, -1e-9, 1.000001e12, 1e300 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(cost_set_ns(&t, COST_MEM_DRAM, bad[i]), -1);
        ck_assert_uint_eq(cost_ps(&t, COST_MEM_DRAM), 80000);
        ck_assert_uint_eq(t.overridden[COST_MEM_DRAM], 0);
    }
    ck_assert_int_eq(cost_set_ns(&t, COST_COUNT, 1.0), -1);
    ck_assert_int_eq(cost_set_ns(&t, (cost_id_t)-1, 1.0), -1);
    ck_assert_int_eq(cost_set_ns(NULL, COST_MEM_DRAM, 1.0), -1);
}
END_TEST

static Suite *cost_suite(void)
{
    Suite *s = suite_create("model_cost");
    TCase *tc;

    tc = tcase_create("descriptors");
    tcase_add_test(tc, test_every_row_has_dotted_name_source_and_finite_default);
    tcase_add_test(tc, test_names_are_unique);
    tcase_add_test(tc, test_names_are_the_stable_ones_per_id);
    tcase_add_test(tc, test_talk_seed_figures_are_present);
    tcase_add_test(tc, test_unverified_figures_say_so);
    suite_add_tcase(s, tc);

    tc = tcase_create("profiles");
    tcase_add_test(tc, test_zero_profile_is_all_zero);
    tcase_add_test(tc, test_default_profile_rounds_ns_to_nearest_ps);
    tcase_add_test(tc, test_unknown_profile_fails);
    tcase_add_test(tc, test_profile_list_names_buildable_profiles);
    suite_add_tcase(s, tc);

    tc = tcase_create("lookup");
    tcase_add_test(tc, test_lookup_round_trips_every_name);
    tcase_add_test(tc, test_lookup_unknown_name_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("overrides");
    tcase_add_test(tc, test_set_ns_overrides_one_entry);
    tcase_add_test(tc, test_set_ns_rejects_bad_values);
    suite_add_tcase(s, tc);

    return s;
}

CHECK_MAIN(cost_suite)
