/* Boot and partition validation (kernel/boot.c) through the simulated
 * machine: every malformed plan is refused with one line naming the
 * process or field, before any device is touched, leaving no processes;
 * a good plan lays out each partition as include/pk.h describes (hand
 * computed below), hands out device queues in plan order, writes the info
 * blocks, and grants the process exactly its partition (read-write) and
 * its RX views (read-only). */
#include "tests/check_main.h"

#include "tests/kernel/kharness.h"

#define MIB (UINT64_C(1) << 20)

static kh_t h;

static void setup(void)
{
    ck_assert_msg(kh_init(&h, NULL) == 0, "%s", h.err);
}

static void teardown(void)
{
    kh_fini(&h);
}

/* ---------------------------------------------------------------- refusals */

typedef struct bad_plan {
    const char *what;                 /* the mistake */
    void (*mutate)(k_plan_t *p);
    const char *expect;               /* a substring of the message */
} bad_plan_t;

static void m_version(k_plan_t *p) { p->version = K_PLAN_VERSION + 1; }
static void m_nprocs0(k_plan_t *p) { p->nprocs = 0; }
static void m_nprocs_max(k_plan_t *p) { p->nprocs = K_MAX_PROCS + 1; }
static void m_core_twice(k_plan_t *p) { p->procs[1].core = 0; }
static void m_core_absent(k_plan_t *p) { p->procs[1].core = 4; /* 4 cores: 0..3 */ }
static void m_overlap(k_plan_t *p) { p->procs[1].mem_base = p->procs[0].mem_base + 2 * MIB; }
static void m_misaligned(k_plan_t *p) { p->procs[0].mem_base += 4096; }
static void m_odd_size(k_plan_t *p) { p->procs[0].mem_size = 3 * MIB; }
static void m_outside(k_plan_t *p) { p->procs[1].mem_base = (UINT64_C(1) << 30) - 2 * MIB; }
static void m_beyond(k_plan_t *p) { p->procs[1].mem_base = UINT64_C(4) << 30; }
static void m_on_kernel(k_plan_t *p) { p->procs[0].mem_base = KH_KMEM_BASE; }
static void m_nic_total(k_plan_t *p) { p->procs[0].nic_queues = p->procs[1].nic_queues = 9; }
static void m_nic_per_proc(k_plan_t *p) { p->procs[0].nic_queues = PK_MAX_NIC_QUEUES + 1; }
static void m_no_nic(k_plan_t *p) { p->nic.present = false; }
static void m_nvme_per_proc(k_plan_t *p) { p->procs[1].nvme_queues = PK_MAX_NVME_QUEUES + 1; }
static void m_no_nvme(k_plan_t *p) { p->nvme.present = false; }
static void m_timers0(k_plan_t *p) { p->procs[0].max_timers = 0; }
static void m_timers_max(k_plan_t *p) { p->procs[0].max_timers = 257; }
static void m_sq_pow2(k_plan_t *p) { p->sq_entries = 48; }
static void m_cq_pow2(k_plan_t *p) { p->cq_entries = 0; }
static void m_cq_small(k_plan_t *p) { p->cq_entries = 32; /* sq 64 */ }
static void m_too_small(k_plan_t *p)
{
    /* 4 KiB info + 128 + 32768 x 64 (2 MiB) of SQ alone exceed 2 MiB */
    p->sq_entries = p->cq_entries = 32768;
    p->procs[1].mem_size = 2 * MIB;
}
static void m_kmem_outside(k_plan_t *p) { p->kmem_size = UINT64_C(2) << 30; }
static void m_kmem_empty(k_plan_t *p) { p->kmem_size = 0; }
static void m_frame(k_plan_t *p) { p->nic.max_frame = 9018; }
static void m_mediation(k_plan_t *p) { p->mediation = (enum pk_mediation)7; }
static void m_pools(k_plan_t *p) { p->mediation = PK_MEDIATE_POOL; p->max_pools = 0; }
static void m_rx_entries(k_plan_t *p) { p->rx_entries = 20; }
static void m_fault_vec(k_plan_t *p) { p->iommu.fault_vector = 0xEF; }
static void m_fault_nic(k_plan_t *p) { p->iommu.fault_vector = 0x41; }
static void m_fault_low(k_plan_t *p) { p->iommu.fault_vector = 31; }

static const bad_plan_t bad_plans[] = {
    {"wrong version", m_version, "plan: version 2 is not in 1..1"},
    {"no process", m_nprocs0, "plan: nprocs 0"},
    {"too many processes", m_nprocs_max, "plan: nprocs 65 is not in 1..64"},
    {"a core given twice", m_core_twice, "process 1 (p1): core 0 is given twice"},
    {"a core not in the machine", m_core_absent, "process 1 (p1): core 4 is not in the machine"},
    {"overlapping partitions", m_overlap, "process 1 (p1): partition overlaps process 0"},
    {"misaligned partition", m_misaligned, "process 0 (p0): partition 0x4001000"},
    {"partition size not 2 MiB", m_odd_size, "not 2 MiB aligned"},
    {"partition past the end of memory", m_outside, "process 1 (p1): partition 0x3fe00000"},
    {"partition wholly beyond memory", m_beyond, "is outside memory"},
    {"partition on the kernel region", m_on_kernel, "process 0 (p0): partition overlaps the kernel"},
    {"more NIC queues than the NIC has", m_nic_total, "ask for 18 NIC queues, the NIC has 16"},
    {"too many NIC queues for one process", m_nic_per_proc, "nic_queues 17 is not in 0..16"},
    {"NIC queues without a NIC", m_no_nic, "process 0 (p0): nic_queues 1 but there is no NIC"},
    {"too many NVMe queues for one process", m_nvme_per_proc, "process 1 (p1): nvme_queues 17"},
    {"NVMe queues without NVMe", m_no_nvme, "nvme_queues 1 but there is no NVMe"},
    {"no timers", m_timers0, "process 0 (p0): max_timers 0"},
    {"too many timers", m_timers_max, "max_timers 257 is not in 1..256"},
    {"SQ not a power of two", m_sq_pow2, "plan: sq_entries 48 is not a power of two"},
    {"CQ not a power of two", m_cq_pow2, "plan: cq_entries 0 is not a power of two"},
    {"CQ smaller than SQ", m_cq_small, "plan: cq_entries 32 is smaller than sq_entries"},
    {"partition too small for its rings", m_too_small, "process 1 (p1): partition is smaller"},
    {"kernel region outside memory", m_kmem_outside, "plan: the kernel region 0x200000"},
    {"empty kernel region", m_kmem_empty, "plan: the kernel region is empty"},
    {"jumbo frames", m_frame, "plan: nic.max_frame 9018 is not in 64..2052"},
    {"unknown mediation", m_mediation, "plan: mediation 7"},
    {"pool mediation without pools", m_pools, "plan: max_pools 0 is not in 1..8 (pool mediation)"},
    {"RX ring not a multiple of 8", m_rx_entries, "rx_entries and tx_entries"},
    {"IOMMU faults on the timer vector", m_fault_vec,
     "plan: iommu.fault_vector 239 is not in 32..255 or is one of the kernel's"},
    {"IOMMU faults on a NIC vector", m_fault_nic, "plan: iommu.fault_vector 65 is not"},
    {"IOMMU faults on an exception vector", m_fault_low, "plan: iommu.fault_vector 31 is not"},
};

START_TEST(test_bad_plan_is_refused_with_its_message)
{
    const bad_plan_t *b = &bad_plans[_i];
    kh_plan(&h, 2, 1, 1);
    b->mutate(&h.plan);
    ck_assert_msg(kh_boot(&h) == -1, "%s: booted", b->what);
    ck_assert_msg(strstr(h.err, b->expect) != NULL, "%s: message '%s' lacks '%s'", b->what, h.err,
                  b->expect);
    ck_assert_msg(strchr(h.err, '\n') == NULL, "%s: not one line", b->what);
    ck_assert_uint_eq(k_nprocs(), 0);
    ck_assert_int_eq(k_proc_of_core(0), -1);
    ck_assert_uint_eq(k_proc_info(0), 0);
    /* refused before any device is touched: no register access, no cost */
    for (unsigned c = 0; c < h.m.cfg.cores; c++)
        ck_assert_uint_eq(h.m.cores[c].clock, 0);
}
END_TEST

START_TEST(test_refused_reboot_leaves_no_process)
{
    kh_plan(&h, 1, 0, 0);
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
    ck_assert_uint_eq(k_nprocs(), 1);
    h.plan.procs[0].core = 99;
    ck_assert_int_eq(kh_boot(&h), -1);
    ck_assert_uint_eq(k_nprocs(), 0);
    ck_assert_ptr_null(k_proc_stats(0));
    /* with no process on the core, a system call is refused */
    h.plan.procs[0].core = 0;
    ck_assert_int_eq(kh_enter(&h, 0, 0, 0, 0), -PK_EINVAL);
}
END_TEST

START_TEST(test_null_error_buffer_is_safe)
{
    kh_plan(&h, 2, 0, 0);
    h.plan.procs[1].core = 0;
    machine_entry_begin(&h.m, 0, CPU_KERNEL);
    ck_assert_int_eq(k_boot(&h.plan, NULL, 0), -1);
    ck_assert_int_eq(k_boot(NULL, h.err, sizeof h.err), -1);
    machine_entry_end(&h.m);
    ck_assert_str_eq(h.err, "plan: missing");
}
END_TEST

START_TEST(test_long_message_is_truncated_in_bounds)
{
    char small[12];
    memset(small, 'x', sizeof small);
    kh_plan(&h, 2, 0, 0);
    h.plan.procs[1].core = 0;
    machine_entry_begin(&h.m, 0, CPU_KERNEL);
    ck_assert_int_eq(k_boot(&h.plan, small, 8), -1);
    machine_entry_end(&h.m);
    ck_assert_str_eq(small, "plan: p"); /* 7 characters and the NUL */
    ck_assert_int_eq(small[8], 'x');
}
END_TEST

/* ---------------------------------------------------------------- a good plan */

/* Three processes: NIC queues 2, 1, 3 and NVMe queues 1, 2, 0. */
static void boot_three(void)
{
    kh_plan(&h, 3, 0, 0);
    static const unsigned nic[3] = {2, 1, 3}, nvme[3] = {1, 2, 0};
    for (unsigned i = 0; i < 3; i++) {
        h.plan.procs[i].nic_queues = nic[i];
        h.plan.procs[i].nvme_queues = nvme[i];
        h.plan.procs[i].rx_traffic = true;
        h.plan.procs[i].max_timers = 8 + i;
    }
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
}

START_TEST(test_info_block_layout)
{
    boot_three();
    ck_assert_uint_eq(k_nprocs(), 3);
    for (unsigned i = 0; i < 3; i++) {
        struct pk_info in;
        uint64_t base = KH_PART_BASE + i * KH_PART_SIZE;
        ck_assert_uint_eq(k_proc_info(i), base);
        ck_assert_int_eq(kh_info(&h, i, &in), 0);
        ck_assert_uint_eq(in.magic, PK_INFO_MAGIC);
        ck_assert_uint_eq(in.abi_version, PK_ABI_VERSION);
        ck_assert_uint_eq(in.pid, i);
        ck_assert_uint_eq(in.core, i);
        ck_assert_uint_eq(in.mem_base, base);
        ck_assert_uint_eq(in.mem_size, KH_PART_SIZE);
        /* info page, then SQ: 128 + 64 x 64 = 4224 bytes, then CQ:
         * 128 + 128 x 16 = 2176 bytes; 4096 + 4224 + 2176 = 10496,
         * rounded up to 12288 */
        ck_assert_uint_eq(in.sq, base + 4096);
        ck_assert_uint_eq(in.cq, base + 4096 + 4224);
        ck_assert_uint_eq(in.heap_base, base + 12288);
        ck_assert_uint_eq(in.heap_size, KH_PART_SIZE - 12288);
        ck_assert_uint_eq(in.sq_entries, 64);
        ck_assert_uint_eq(in.cq_entries, 128);
        ck_assert_uint_eq(in.mediation, PK_MEDIATE_RANGE);
        ck_assert_uint_eq(in.max_timers, 8 + i);
        ck_assert_uint_eq(in.rx_buf_min, 2048);  /* the SRRCTL buffer */
        ck_assert_uint_eq(in.tx_len_max, 1514);  /* 1518 - FCS */
        ck_assert_uint_eq(in.rx_entries, 256);
        ck_assert_mem_eq(in.mac, h.plan.nic.mac, 6);
        ck_assert_uint_eq(in.lba_size, h.m.cfg.nvme.lba_size);
        ck_assert_uint_eq(in.ns_blocks, h.m.cfg.nvme.ns_blocks);
        /* the rings start empty */
        ck_assert_uint_eq(kh_ring_u32(&h, in.sq + PK_RING_HEAD), 0);
        ck_assert_uint_eq(kh_ring_u32(&h, in.sq + PK_RING_TAIL), 0);
        ck_assert_uint_eq(kh_ring_u32(&h, in.cq + PK_RING_HEAD), 0);
        ck_assert_uint_eq(kh_ring_u32(&h, in.cq + PK_RING_TAIL), 0);
        ck_assert_int_eq(k_proc_of_core(i), (int)i);
    }
    ck_assert_int_eq(k_proc_of_core(3), -1);
    ck_assert_int_eq(k_proc_of_core(100000), -1);
}
END_TEST

START_TEST(test_queues_are_given_in_plan_order)
{
    boot_three();
    static const uint16_t nic[3][3] = {{0, 1}, {2}, {3, 4, 5}};
    static const uint16_t nvme[3][2] = {{1}, {2, 3}, {0}};
    static const unsigned nnic[3] = {2, 1, 3}, nnvme[3] = {1, 2, 0};
    uint64_t rings[6];
    for (unsigned i = 0; i < 3; i++) {
        struct pk_info in;
        ck_assert_int_eq(kh_info(&h, i, &in), 0);
        ck_assert_uint_eq(in.nic_queues, nnic[i]);
        ck_assert_uint_eq(in.nvme_queues, nnvme[i]);
        for (unsigned k = 0; k < nnic[i]; k++) {
            ck_assert_uint_eq(in.nic_queue[k], nic[i][k]);
            /* the RX view lives in the kernel region */
            ck_assert_uint_ge(in.rx_ring[k], KH_KMEM_BASE);
            ck_assert_uint_lt(in.rx_ring[k], KH_KMEM_BASE + KH_KMEM_SIZE);
            ck_assert_uint_ge(in.rx_shadow[k], KH_KMEM_BASE);
            ck_assert_uint_lt(in.rx_shadow[k], KH_KMEM_BASE + KH_KMEM_SIZE);
            rings[nic[i][k]] = in.rx_ring[k];
        }
        for (unsigned k = nnic[i]; k < PK_MAX_NIC_QUEUES; k++)
            ck_assert_uint_eq(in.rx_ring[k], 0);
        for (unsigned k = 0; k < nnvme[i]; k++)
            ck_assert_uint_eq(in.nvme_qid[k], nvme[i][k]);
    }
    for (unsigned a = 0; a < 6; a++)
        for (unsigned b = a + 1; b < 6; b++)
            ck_assert_uint_ne(rings[a], rings[b]);
}
END_TEST

START_TEST(test_process_sees_its_partition_and_rx_view_only)
{
    boot_three();
    for (unsigned i = 0; i < 3; i++) {
        struct pk_info in;
        ck_assert_int_eq(kh_info(&h, i, &in), 0);
        uint64_t base = in.mem_base, end = base + in.mem_size;
        ck_assert_int_eq(machine_user_access(&h.m, i, base, in.mem_size, true), 0);
        ck_assert_int_eq(machine_user_access(&h.m, i, end - 1, 1, true), 0);
        ck_assert_int_eq(machine_user_access(&h.m, i, end, 1, false), -1);
        ck_assert_int_eq(machine_user_access(&h.m, i, base - 1, 1, false), -1);
        uint64_t ring_bytes = (uint64_t)in.rx_entries * PK_RXD_BYTES;
        uint64_t shadow_bytes = PK_RXV_SHADOW + (uint64_t)in.rx_entries * 8;
        for (unsigned k = 0; k < in.nic_queues; k++) {
            ck_assert_int_eq(machine_user_access(&h.m, i, in.rx_ring[k], ring_bytes, false), 0);
            ck_assert_int_eq(machine_user_access(&h.m, i, in.rx_ring[k], 16, true), -1);
            ck_assert_int_eq(machine_user_access(&h.m, i, in.rx_shadow[k], shadow_bytes, false), 0);
            ck_assert_int_eq(machine_user_access(&h.m, i, in.rx_shadow[k], 8, true), -1);
        }
        /* another process's partition and RX view are not its */
        unsigned o = (i + 1) % 3;
        struct pk_info other;
        ck_assert_int_eq(kh_info(&h, o, &other), 0);
        ck_assert_int_eq(machine_user_access(&h.m, i, other.mem_base + 8192, 64, false), -1);
        ck_assert_int_eq(machine_user_access(&h.m, i, other.rx_ring[0], 16, false), -1);
    }
}
END_TEST

START_TEST(test_boot_without_devices)
{
    machine_cfg_t cfg;
    kh_fini(&h);
    machine_cfg_default(&cfg);
    cfg.nic_present = cfg.nvme_present = false;
    cfg.iommu_mode = MACHINE_IOMMU_OFF;
    ck_assert_msg(kh_init(&h, &cfg) == 0, "%s", h.err);
    kh_plan(&h, 4, 0, 0);
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, 3, &in), 0);
    ck_assert_uint_eq(in.rx_buf_min, 0);
    ck_assert_uint_eq(in.tx_len_max, 0);
    ck_assert_uint_eq(in.lba_size, 0);
    ck_assert_uint_eq(in.nic_queues, 0);
    ck_assert_uint_eq(in.nvme_queues, 0);
}
END_TEST

START_TEST(test_reboot_starts_afresh)
{
    kh_plan(&h, 2, 1, 1);
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
    struct pk_sqe nop = {.opcode = PK_OP_NOP, .user_data = 1};
    ck_assert_int_eq(kh_submit(&h, 0, &nop), 1);
    ck_assert_uint_eq(k_proc_stats(0)->syscalls, 1);
    /* the same machine, a different plan: one process on core 2 */
    kh_plan(&h, 1, 0, 0);
    h.plan.procs[0].core = 2;
    h.plan.procs[0].mem_base = KH_PART_BASE + 4 * KH_PART_SIZE;
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
    ck_assert_uint_eq(k_nprocs(), 1);
    ck_assert_uint_eq(k_proc_stats(0)->syscalls, 0);
    ck_assert_int_eq(k_proc_of_core(0), -1);
    ck_assert_int_eq(k_proc_of_core(2), 0);
    ck_assert_uint_eq(k_proc_info(0), KH_PART_BASE + 4 * KH_PART_SIZE);
}
END_TEST

static Suite *boot_suite(void)
{
    Suite *s = suite_create("kernel_boot");
    TCase *tc = tcase_create("boot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_bad_plan_is_refused_with_its_message, 0,
                        (int)(sizeof bad_plans / sizeof bad_plans[0]));
    tcase_add_test(tc, test_refused_reboot_leaves_no_process);
    tcase_add_test(tc, test_null_error_buffer_is_safe);
    tcase_add_test(tc, test_long_message_is_truncated_in_bounds);
    tcase_add_test(tc, test_info_block_layout);
    tcase_add_test(tc, test_queues_are_given_in_plan_order);
    tcase_add_test(tc, test_process_sees_its_partition_and_rx_view_only);
    tcase_add_test(tc, test_boot_without_devices);
    tcase_add_test(tc, test_reboot_starts_afresh);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(boot_suite)
