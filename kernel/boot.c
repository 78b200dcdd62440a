/* kernel/boot.c: k_boot -- plan validation, the kernel-memory allocator,
 * process setup (partition layout, info block, MMU maps, poll watches)
 * and the drivers' boot order (issue 4, "Boot and partitioning").
 *
 * Contract (kernel.h): k_boot(plan) validates the whole plan before any
 * device is touched and refuses it with one line naming the process (or
 * field) and what is wrong; then it sets the processes up and boots the
 * drivers, whose errors propagate (their message, -1).  A refused or
 * failed boot leaves a kernel with no processes.  k_boot starts afresh
 * each time (all state is static, k_state).
 *
 * Validation, in order (the first failure is reported):
 *   plan: version == K_PLAN_VERSION; 1 <= nprocs <= K_MAX_PROCS;
 *     sq_entries and cq_entries powers of two (<= 2^31, the free-running
 *     uint32_t indices need it), cq >= sq, cq >= 2 (a TIMER_CANCEL needs
 *     room for two completions, sys.c); mediation RANGE or POOL,
 *     max_pools <= K_MAX_POOLS and >= 1 under POOL; the kernel region
 *     non-empty, page aligned and inside memory; NIC (when present):
 *     queues >= 1, rx/tx entries multiples of 8 and >= 16, 64 <= max_frame
 *     <= K_RX_BUF_SIZE + 4 (the NIC strips the FCS and a frame must fit
 *     one RX buffer: no scatter receive); NVMe (when present):
 *     queue_entries >= 2; IOMMU mode known, and when on a fault vector in
 *     32..255 that is none of the kernel's (K_TIMER_VECTOR, the NIC's
 *     K_NIC_VECTOR_BASE.. + 16, K_NVME_VECTOR).
 *   each process: core < hal_cpu_count() and not another process's;
 *     partition K_PART_ALIGN aligned and sized, inside memory, overlapping
 *     neither the kernel region nor an earlier partition; nic_queues <=
 *     PK_MAX_NIC_QUEUES (0 without a NIC), nvme_queues <=
 *     PK_MAX_NVME_QUEUES (0 without NVMe); 1 <= max_timers <=
 *     K_MAX_TIMERS; the partition holds the info page, SQ, CQ and at
 *     least one page of heap.
 *   totals: NIC queues <= plan.nic.queues; NVMe queues <
 *     K_MAX_NVME_QUEUES (ids 1.., 0 being the admin queue).
 *
 * Partition layout (struct pk_info in include/pk.h describes it to the
 * process):
 *   mem_base            info block (one 4 KiB page)
 *   mem_base + 4 KiB    SQ: header (PK_RING_ENTRIES bytes) + sq_entries x 64
 *   then                CQ: header + cq_entries x 16
 *   ring_end            (rounded up to a page) heap, to the partition's end
 * [mem_base, ring_end) is zeroed (ring indices start at 0).
 *
 * Device queues: process i gets NIC queue ids [sum of the earlier
 * processes' nic_queues, + its own) and NVMe queue ids likewise from 1, in
 * plan order: contiguous, which sys.c's ownership check relies on.
 *
 * Boot order: validate; resolve the cost ids (k_cost); processes (queues,
 * layout, rings zeroed); k_iommu_init, k_nic_init, k_nvme_init (those
 * present), k_iommu_enable, k_timer_init; then per process the info block
 * (it needs the drivers' RX view addresses and the namespace geometry),
 * the partition mapped read-write for the process, its RX views mapped
 * read-only and watched for polling (hal_poll_watch: the NIC writes
 * descriptors back there; the drivers watch their own TX/NVMe rings).
 * Nothing is granted to a process before the devices booted.  Known
 * limit: the HAL has no unmap, so rebooting on the same machine keeps the
 * previous boot's grants and watches (tests reboot on the same machine
 * only with compatible plans).
 *
 * k_alloc: a bump allocator over the kernel region, never freed; the
 * memory is zeroed; 0 means exhausted (so it never hands out address 0).
 *
 * Costs: boot is not on any measured path; it charges the lines it writes
 * into process memory (mem.llc each: the process will read them from
 * another core's cache) and BOOT_PROC_CYCLES per process for the
 * validation and layout arithmetic (~40 compares and adds, ~2 cycles
 * each with their loads). */
#include "k.h"

#define PAGE 4096u
#define LINE 64u
#define BOOT_PROC_CYCLES 80u

k_state_t k_state;
int k_cost[KC_COUNT];

/* ---------------------------------------------------------------- kernel memory */

uint64_t k_alloc(uint64_t size, uint64_t align)
{
    if (!align || (align & (align - 1)))
        return 0;
    uint64_t end = k_state.plan.kmem_base + k_state.plan.kmem_size;
    uint64_t a = (k_state.kmem_next + align - 1) & ~(align - 1);
    if (a < k_state.kmem_next || a > end || size > end - a)
        return 0;
    if (size && hal_mem_fill(a, 0, size) < 0)
        return 0;
    k_state.kmem_next = a + size;
    return a;
}

/* ---------------------------------------------------------------- messages */

static bool pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* [a, + alen) and [b, + blen) overlap (both non-empty, no wrap). */
static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static int fail(k_msg_t *m, const char *what)
{
    k_msg_str(m, what);
    return -1;
}

static int fail_n(k_msg_t *m, const char *what, uint64_t n, const char *tail)
{
    k_msg_str(m, what);
    k_msg_u64(m, n);
    k_msg_str(m, tail);
    return -1;
}

/* "<what><v> is not in <lo>..<hi><tail>" */
static int fail_range(k_msg_t *m, const char *what, uint64_t v, uint64_t lo, uint64_t hi,
                      const char *tail)
{
    k_msg_str(m, what);
    k_msg_u64(m, v);
    k_msg_str(m, " is not in ");
    k_msg_u64(m, lo);
    k_msg_str(m, "..");
    k_msg_u64(m, hi);
    k_msg_str(m, tail);
    return -1;
}

/* "plan: process 3 (name): " */
static void proc_prefix(k_msg_t *m, const k_plan_t *pl, unsigned i)
{
    char name[K_NAME_MAX];
    k_memcpy(name, pl->procs[i].name, K_NAME_MAX);
    name[K_NAME_MAX - 1] = '\0';
    k_msg_str(m, "plan: process ");
    k_msg_u64(m, i);
    k_msg_str(m, " (");
    k_msg_str(m, name);
    k_msg_str(m, "): ");
}

/* ---------------------------------------------------------------- validation */

/* Bytes of [mem_base, ring_end) for the plan's ring sizes. */
static uint64_t ring_bytes(const k_plan_t *pl)
{
    uint64_t sq = PK_RING_ENTRIES + (uint64_t)pl->sq_entries * sizeof(struct pk_sqe);
    uint64_t cq = PK_RING_ENTRIES + (uint64_t)pl->cq_entries * sizeof(struct pk_cqe);
    return round_up(PAGE + sq + cq, PAGE);
}

static int check_rings(const k_plan_t *pl, k_msg_t *m)
{
    if (!pow2(pl->sq_entries) || pl->sq_entries > (1u << 31))
        return fail_n(m, "plan: sq_entries ", pl->sq_entries, " is not a power of two");
    if (!pow2(pl->cq_entries) || pl->cq_entries > (1u << 31))
        return fail_n(m, "plan: cq_entries ", pl->cq_entries, " is not a power of two");
    if (pl->cq_entries < pl->sq_entries || pl->cq_entries < 2)
        return fail_n(m, "plan: cq_entries ", pl->cq_entries,
                      " is smaller than sq_entries (or than 2)");
    if (pl->mediation != PK_MEDIATE_RANGE && pl->mediation != PK_MEDIATE_POOL)
        return fail_n(m, "plan: mediation ", (uint64_t)pl->mediation, " is not range (0) or pool (1)");
    if (pl->max_pools > K_MAX_POOLS || (pl->mediation == PK_MEDIATE_POOL && !pl->max_pools))
        return fail_range(m, "plan: max_pools ", pl->max_pools, 1, K_MAX_POOLS,
                          " (pool mediation)");
    return 0;
}

static int check_kmem(const k_plan_t *pl, k_msg_t *m, uint64_t mem)
{
    if (!pl->kmem_size || pl->kmem_base % PAGE)
        return fail(m, "plan: the kernel region is empty or not 4 KiB aligned");
    if (pl->kmem_base > mem || pl->kmem_size > mem - pl->kmem_base) {
        k_msg_str(m, "plan: the kernel region ");
        k_msg_hex(m, pl->kmem_base);
        k_msg_str(m, " + ");
        k_msg_hex(m, pl->kmem_size);
        return fail_n(m, " is outside memory (", mem >> 20, " MiB)");
    }
    return 0;
}

/* A vector the IOMMU's fault events may use on core 0: an interrupt
 * vector (32..255) that none of the kernel's own handlers uses there. */
static bool free_vector(unsigned v)
{
    if (v < 32 || v > 255 || v == K_TIMER_VECTOR || v == K_NVME_VECTOR)
        return false;
    return v < K_NIC_VECTOR_BASE || v >= K_NIC_VECTOR_BASE + PK_MAX_NIC_QUEUES;
}

static int check_devices(const k_plan_t *pl, k_msg_t *m)
{
    if (pl->nic.present) {
        if (!pl->nic.queues)
            return fail(m, "plan: nic.queues is 0");
        if (pl->rx_entries < 16 || pl->rx_entries % 8 || pl->tx_entries < 16 || pl->tx_entries % 8)
            return fail(m, "plan: rx_entries and tx_entries must be multiples of 8, >= 16");
        if (pl->nic.max_frame < 64 || pl->nic.max_frame > K_RX_BUF_SIZE + 4)
            return fail_range(m, "plan: nic.max_frame ", pl->nic.max_frame, 64, K_RX_BUF_SIZE + 4,
                              " (a frame must fit one RX buffer)");
    }
    if (pl->nvme.present && pl->nvme.queue_entries < 2)
        return fail_n(m, "plan: nvme.queue_entries ", pl->nvme.queue_entries, " is below 2");
    if (pl->iommu.mode != K_IOMMU_OFF && pl->iommu.mode != K_IOMMU_LEGACY &&
        pl->iommu.mode != K_IOMMU_SCALABLE)
        return fail_n(m, "plan: iommu.mode ", (uint64_t)pl->iommu.mode, " is unknown");
    if (pl->iommu.mode != K_IOMMU_OFF && !free_vector(pl->iommu.fault_vector))
        return fail_range(m, "plan: iommu.fault_vector ", pl->iommu.fault_vector, 32, 255,
                          " or is one of the kernel's (timer, NIC, NVMe vectors)");
    return 0;
}

static int check_plan(const k_plan_t *pl, k_msg_t *m, uint64_t mem)
{
    if (pl->version != K_PLAN_VERSION)
        return fail_range(m, "plan: version ", pl->version, K_PLAN_VERSION, K_PLAN_VERSION, "");
    if (pl->nprocs < 1 || pl->nprocs > K_MAX_PROCS)
        return fail_range(m, "plan: nprocs ", pl->nprocs, 1, K_MAX_PROCS, "");
    if (check_rings(pl, m) < 0 || check_kmem(pl, m, mem) < 0)
        return -1;
    return check_devices(pl, m);
}

static int check_core(const k_plan_t *pl, unsigned i, k_msg_t *m)
{
    const k_plan_proc_t *q = &pl->procs[i];
    unsigned ncores = hal_cpu_count();
    if (q->core >= ncores ||
        q->core >= sizeof k_state.proc_of_core / sizeof k_state.proc_of_core[0]) {
        proc_prefix(m, pl, i);
        return fail_n(m, "core ", q->core, " is not in the machine");
    }
    for (unsigned j = 0; j < i; j++)
        if (pl->procs[j].core == q->core) {
            proc_prefix(m, pl, i);
            k_msg_str(m, "core ");
            k_msg_u64(m, q->core);
            return fail_n(m, " is given twice (also to process ", j, ")");
        }
    return 0;
}

static int check_partition(const k_plan_t *pl, unsigned i, k_msg_t *m, uint64_t mem)
{
    const k_plan_proc_t *q = &pl->procs[i];
    if (!q->mem_size || q->mem_base % K_PART_ALIGN || q->mem_size % K_PART_ALIGN) {
        proc_prefix(m, pl, i);
        k_msg_str(m, "partition ");
        k_msg_hex(m, q->mem_base);
        k_msg_str(m, " + ");
        k_msg_hex(m, q->mem_size);
        return fail(m, " is empty or not 2 MiB aligned");
    }
    if (q->mem_base > mem || q->mem_size > mem - q->mem_base) {
        proc_prefix(m, pl, i);
        k_msg_str(m, "partition ");
        k_msg_hex(m, q->mem_base);
        k_msg_str(m, " + ");
        k_msg_hex(m, q->mem_size);
        return fail_n(m, " is outside memory (", mem >> 20, " MiB)");
    }
    if (overlap(q->mem_base, q->mem_size, pl->kmem_base, pl->kmem_size)) {
        proc_prefix(m, pl, i);
        return fail(m, "partition overlaps the kernel region");
    }
    for (unsigned j = 0; j < i; j++)
        if (overlap(q->mem_base, q->mem_size, pl->procs[j].mem_base, pl->procs[j].mem_size)) {
            proc_prefix(m, pl, i);
            return fail_n(m, "partition overlaps process ", j, "'s");
        }
    if (ring_bytes(pl) + PAGE > q->mem_size) {
        proc_prefix(m, pl, i);
        return fail_n(m, "partition is smaller than its rings and one page (",
                      ring_bytes(pl) + PAGE, " bytes)");
    }
    return 0;
}

static int check_proc_queues(const k_plan_t *pl, unsigned i, k_msg_t *m)
{
    const k_plan_proc_t *q = &pl->procs[i];
    if (q->nic_queues > (pl->nic.present ? PK_MAX_NIC_QUEUES : 0)) {
        proc_prefix(m, pl, i);
        if (!pl->nic.present)
            return fail_n(m, "nic_queues ", q->nic_queues, " but there is no NIC");
        return fail_range(m, "nic_queues ", q->nic_queues, 0, PK_MAX_NIC_QUEUES, "");
    }
    if (q->nvme_queues > (pl->nvme.present ? PK_MAX_NVME_QUEUES : 0)) {
        proc_prefix(m, pl, i);
        if (!pl->nvme.present)
            return fail_n(m, "nvme_queues ", q->nvme_queues, " but there is no NVMe controller");
        return fail_range(m, "nvme_queues ", q->nvme_queues, 0, PK_MAX_NVME_QUEUES, "");
    }
    if (q->max_timers < 1 || q->max_timers > K_MAX_TIMERS) {
        proc_prefix(m, pl, i);
        return fail_range(m, "max_timers ", q->max_timers, 1, K_MAX_TIMERS, "");
    }
    return 0;
}

static int check_procs(const k_plan_t *pl, k_msg_t *m, uint64_t mem)
{
    uint64_t nic = 0, nvme = 0;
    for (unsigned i = 0; i < pl->nprocs; i++) {
        if (check_core(pl, i, m) < 0 || check_partition(pl, i, m, mem) < 0 ||
            check_proc_queues(pl, i, m) < 0)
            return -1;
        nic += pl->procs[i].nic_queues;
        nvme += pl->procs[i].nvme_queues;
    }
    if (pl->nic.present && nic > pl->nic.queues) {
        k_msg_str(m, "plan: the processes ask for ");
        k_msg_u64(m, nic);
        return fail_n(m, " NIC queues, the NIC has ", pl->nic.queues, "");
    }
    if (nvme >= K_MAX_NVME_QUEUES)
        return fail_range(m, "plan: NVMe queues in all ", nvme, 0, K_MAX_NVME_QUEUES - 1, "");
    return 0;
}

/* ---------------------------------------------------------------- setup */

static int resolve_costs(k_msg_t *m)
{
    static const char *const names[KC_COUNT] = {
        [KC_CYCLE] = "cpu.cycle", [KC_L1] = "mem.l1", [KC_LLC] = "mem.llc"};
    for (unsigned c = 0; c < KC_COUNT; c++) {
        k_cost[c] = hal_cost_id(names[c]);
        if (k_cost[c] < 0) {
            k_msg_str(m, "boot: the cost table has no entry ");
            return fail(m, names[c]);
        }
    }
    return 0;
}

/* Queue ids, layout, zeroed rings. */
static int setup_proc(unsigned i, unsigned *nic_next, unsigned *nvme_next, k_msg_t *m)
{
    k_proc_t *p = &k_state.procs[i];
    const k_plan_proc_t *q = &k_state.plan.procs[i];
    p->pid = i;
    p->plan = *q;
    for (unsigned k = 0; k < q->nic_queues; k++)
        p->nic_q[k] = (uint16_t)(*nic_next)++;
    for (unsigned k = 0; k < q->nvme_queues; k++)
        p->nvme_q[k] = (uint16_t)(*nvme_next)++;
    p->sq_entries = k_state.plan.sq_entries;
    p->cq_entries = k_state.plan.cq_entries;
    p->info = q->mem_base;
    p->sq = q->mem_base + PAGE;
    p->cq = p->sq + PK_RING_ENTRIES + (uint64_t)p->sq_entries * sizeof(struct pk_sqe);
    p->ring_end = q->mem_base + ring_bytes(&k_state.plan);
    k_state.proc_of_core[q->core] = (int)i;
    k_charge(KC_CYCLE, BOOT_PROC_CYCLES);
    k_charge(KC_LLC, (p->ring_end - p->info) / LINE);
    if (hal_mem_fill(p->info, 0, p->ring_end - p->info) < 0) {
        proc_prefix(m, &k_state.plan, i);
        return fail(m, "cannot clear its ring memory");
    }
    return 0;
}

/* The RX view of queue q: read-only for the process, polled by it. */
static int rx_view(const k_proc_t *p, unsigned q)
{
    uint64_t ring = k_nic_rx_ring(q), shadow = k_nic_rx_shadow(q);
    uint64_t n = k_state.plan.rx_entries;
    if (hal_user_map(p->plan.core, ring, n * PK_RXD_BYTES, 0) < 0 ||
        hal_user_map(p->plan.core, shadow, PK_RXV_SHADOW + n * sizeof(uint64_t), 0) < 0 ||
        hal_poll_watch(p->plan.core, ring, n * PK_RXD_BYTES) < 0)
        return -1;
    return 0;
}

static void fill_info(const k_proc_t *p, struct pk_info *in)
{
    const k_plan_t *pl = &k_state.plan;
    k_memset(in, 0, sizeof *in);
    in->magic = PK_INFO_MAGIC;
    in->abi_version = PK_ABI_VERSION;
    in->pid = p->pid;
    in->core = p->plan.core;
    in->mem_base = p->plan.mem_base;
    in->mem_size = p->plan.mem_size;
    in->heap_base = p->ring_end;
    in->heap_size = p->plan.mem_base + p->plan.mem_size - p->ring_end;
    in->sq = p->sq;
    in->cq = p->cq;
    in->sq_entries = p->sq_entries;
    in->cq_entries = p->cq_entries;
    in->mediation = (uint32_t)pl->mediation;
    in->max_timers = p->plan.max_timers;
    if (pl->nic.present) {
        in->rx_buf_min = K_RX_BUF_SIZE;
        in->tx_len_max = pl->nic.max_frame - 4; /* the NIC appends the FCS */
        in->rx_entries = pl->rx_entries;
        k_memcpy(in->mac, pl->nic.mac, sizeof in->mac);
    }
    in->nic_queues = (uint16_t)p->plan.nic_queues;
    for (unsigned k = 0; k < p->plan.nic_queues; k++) {
        in->nic_queue[k] = p->nic_q[k];
        in->rx_ring[k] = k_nic_rx_ring(p->nic_q[k]);
        in->rx_shadow[k] = k_nic_rx_shadow(p->nic_q[k]);
    }
    in->nvme_queues = (uint16_t)p->plan.nvme_queues;
    for (unsigned k = 0; k < p->plan.nvme_queues; k++)
        in->nvme_qid[k] = p->nvme_q[k];
    if (pl->nvme.present) {
        in->lba_size = k_nvme_lba_size();
        in->ns_blocks = k_nvme_blocks();
    }
}

static int publish_proc(const k_proc_t *p, k_msg_t *m)
{
    struct pk_info in;
    fill_info(p, &in);
    k_charge(KC_LLC, (sizeof in + LINE - 1) / LINE);
    if (hal_mem_write(p->info, &in, sizeof in) < 0)
        return fail(m, "boot: cannot write an info block");
    if (hal_user_map(p->plan.core, p->plan.mem_base, p->plan.mem_size, 1) < 0) {
        proc_prefix(m, &k_state.plan, p->pid);
        return fail(m, "the platform refused its partition");
    }
    for (unsigned k = 0; k < p->plan.nic_queues; k++)
        if (rx_view(p, p->nic_q[k]) < 0) {
            proc_prefix(m, &k_state.plan, p->pid);
            return fail(m, "the platform refused its RX view");
        }
    return 0;
}

static int boot_devices(char *err, size_t errlen)
{
    const k_plan_t *pl = &k_state.plan;
    if (k_iommu_init(pl, err, errlen) < 0)
        return -1;
    if (pl->nic.present && k_nic_init(pl, err, errlen) < 0)
        return -1;
    if (pl->nvme.present && k_nvme_init(pl, err, errlen) < 0)
        return -1;
    if (k_iommu_enable(err, errlen) < 0)
        return -1;
    if (k_timer_init() < 0) {
        k_msg_t m;
        k_msg_init(&m, err, errlen);
        return fail(&m, "boot: cannot register the timer interrupt");
    }
    return 0;
}

static void reset(const k_plan_t *plan)
{
    k_memset(&k_state, 0, sizeof k_state);
    for (unsigned c = 0; c < sizeof k_state.proc_of_core / sizeof k_state.proc_of_core[0]; c++)
        k_state.proc_of_core[c] = -1;
    if (plan)
        k_state.plan = *plan;
    /* never hand out address 0: k_alloc's "exhausted" */
    k_state.kmem_next = k_state.plan.kmem_base ? k_state.plan.kmem_base : 1;
}

static int boot(const k_plan_t *plan, char *err, size_t errlen)
{
    k_msg_t m;
    k_msg_init(&m, err, errlen);
    uint64_t mem = hal_mem_size();
    if (check_plan(plan, &m, mem) < 0 || check_procs(plan, &m, mem) < 0)
        return -1;
    if (resolve_costs(&m) < 0)
        return -1;
    reset(plan);
    k_state.nprocs = plan->nprocs;
    unsigned nic_next = 0, nvme_next = 1;
    for (unsigned i = 0; i < plan->nprocs; i++)
        if (setup_proc(i, &nic_next, &nvme_next, &m) < 0)
            return -1;
    if (boot_devices(err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < plan->nprocs; i++)
        if (publish_proc(&k_state.procs[i], &m) < 0)
            return -1;
    return 0;
}

int k_boot(const k_plan_t *plan, char *err, size_t errlen)
{
    char none[1];
    if (!err || !errlen) {
        err = none;
        errlen = sizeof none;
    }
    reset(NULL);
    if (!plan) {
        k_msg_t m;
        k_msg_init(&m, err, errlen);
        return fail(&m, "plan: missing");
    }
    if (boot(plan, err, errlen) < 0) {
        k_state.nprocs = 0; /* a refused or failed boot has no processes */
        return -1;
    }
    return 0;
}
