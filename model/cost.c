/* model/cost: the cost table and its profiles (implements model/cost.h).
 *
 * Contract: cost_desc[] has exactly one row per cost_id_t (designated
 * initializers, so a row cannot land on the wrong id), each with a stable
 * dotted lowercase name, a default in nanoseconds and the source of that
 * default.  A profile is a const {name, builder} row; the builder fills a
 * table's picoseconds.  Nanoseconds become picoseconds by rounding to the
 * nearest (llround(ns * 1000)), so 4 cycles at 3 GHz = 1.333... ns is
 * 1333 ps.  Overrides accept finite values in [0, 1e12] ns only (1e12 ns =
 * 1000 s, 1e15 ps, well inside uint64_t).
 *
 * Sources: ../shared/reference/costs.md, which cites the HotOS'19 talk
 * "I/O is Faster than the CPU", the Intel Xeon 5500 performance analysis
 * guide, Izraelevitz et al. 2019 (Optane DC PMM), Peter et al. "Arrakis"
 * (OSDI'14), Neugebauer et al. (SIGCOMM'18) and Farshin et al. (PeerJ CS
 * 2023).  Figures costs.md marks "unverified" say so in their source
 * string; where costs.md gives a range the default is stated as the
 * midpoint or the end chosen. */
#include "model/cost.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

const cost_desc_t cost_desc[COST_COUNT] = {
    [COST_MEM_L1] = {
        "mem.l1", 4.0 / 3.0,
        "Intel Xeon 5500 performance analysis guide: L1 hit ~4 cycles; "
        "4 cycles at an assumed 3 GHz core clock = 1.33 ns" },
    [COST_MEM_LLC] = {
        "mem.llc", 15.0,
        "HotOS'19 'I/O is Faster than the CPU': LLC access ~15 ns "
        "(Xeon 5500 guide: L3 40-75 cycles)" },
    [COST_MEM_DRAM] = {
        "mem.dram", 80.0,
        "HotOS'19 'I/O is Faster than the CPU': DRAM ~80 ns (NVMe ~20 us is "
        "250x); the Intel Xeon 5500 guide gives ~60 ns local" },
    [COST_MEM_DRAM_REMOTE] = {
        "mem.dram_remote", 100.0,
        "Intel Xeon 5500 performance analysis guide: remote DRAM ~100 ns" },
    [COST_MEM_PMEM] = {
        "mem.pmem", 320.0,
        "HotOS'19 'I/O is Faster than the CPU': Optane PMEM ~320 ns (4x "
        "DRAM); Izraelevitz et al. 2019 measured 305-346 ns random read" },
    [COST_CPU_SYSCALL] = {
        "cpu.syscall", 100.0,
        "unverified: syscall entry+exit ~0.1 us without KPTI, 0.2-0.5 us "
        "with mitigations (blog measurements, per costs.md)" },
    [COST_CPU_CTX_SWITCH] = {
        "cpu.ctx_switch", 2200.0,
        "Peter et al., 'Arrakis', OSDI'14: waking a blocked process adds "
        "2.2 us" },
    [COST_CPU_IPI] = {
        "cpu.ipi", 2000.0,
        "unverified: IPI round trip 1-3 us (costs.md); midpoint 2 us" },
    [COST_PCIE_MMIO_WRITE] = {
        "pcie.mmio_write", 100.0,
        "unverified: posted doorbell MMIO write ~0.1 us of CPU time "
        "(costs.md, no primary measurement cited)" },
    [COST_PCIE_MMIO_READ] = {
        "pcie.mmio_read", 750.0,
        "unverified: non-posted MMIO read round trip 0.5-1 us (costs.md); "
        "midpoint 0.75 us" },
    [COST_PCIE_DMA] = {
        "pcie.dma", 350.0,
        "Neugebauer et al., 'Understanding PCIe performance for end host "
        "networking', SIGCOMM'18: 300-400 ns per transaction unloaded; "
        "midpoint 350 ns" },
    [COST_IOMMU_IOTLB_MISS] = {
        "iommu.iotlb_miss", 330.0,
        "unverified: ~330 ns per IOTLB miss (costs.md); context: Farshin "
        "et al., 'Overcoming the IOTLB wall', PeerJ CS 2023" },
    [COST_NVME_READ] = {
        "nvme.read", 20000.0,
        "HotOS'19 'I/O is Faster than the CPU': NVMe access ~20 us (NAND "
        "SSDs measure 40-120 us, Z-NAND 12-20 us: see costs.md)" },
    [COST_NET_LINUX_UDP] = {
        "net.linux_udp_echo", 3360.0,
        "Peter et al., 'Arrakis', OSDI'14: Linux UDP echo 3.36 us per "
        "packet, ~70% in the network stack" },
    [COST_CPU_IRQ_ENTRY] = {
        "cpu.irq_entry", 500.0,
        "unverified: interrupt delivery, entry, dispatch and EOI on x86; at "
        "least a mode switch (cpu.syscall) plus the APIC EOI; 0.5 us assumed" },
    [COST_PCIE_MSIX] = {
        "pcie.msix", 350.0,
        "an MSI-X message is a posted PCIe memory write: one DMA write's "
        "latency, Neugebauer et al., SIGCOMM'18, 300-400 ns; midpoint 350 ns" },
    [COST_IOMMU_IOTLB_HIT] = {
        "iommu.iotlb_hit", 0.0,
        "Farshin et al., 'Overcoming the IOTLB wall', PeerJ CS 2023: IOTLB hits "
        "do not measurably slow DMA; only misses (page walks) do" },
    [COST_NAND_READ] = {
        "nand.read", 40000.0,
        "FEMU bbssd default NAND page read 40 us (MoatLab/FEMU; costs.md); "
        "MQSim uses 75 us, NVMeVirt ~36 us" },
    [COST_NAND_PROGRAM] = {
        "nand.program", 200000.0,
        "FEMU bbssd default NAND page program 200 us (MoatLab/FEMU; costs.md); "
        "NVMeVirt ~185 us" },
    [COST_NAND_XFER_4K] = {
        "nand.xfer_4k", 6016.0,
        "NVMeVirt sample SSD configuration: channel latency 6016 ns per 4 KiB "
        "transfer" },
    [COST_LLFLASH_PROGRAM] = {
        "llflash.program", 100000.0,
        "unverified: low-latency flash (Z-NAND class) page program ~100 us; "
        "its read is nvme.read (the talk's ~20 us)" },
    [COST_MEM_PMEM_WRITE] = {
        "mem.pmem_write", 90.0,
        "Izraelevitz et al. 2019 (Optane DC PMM): a store is persistent once "
        "in the ADR domain, ~90 ns" },
    [COST_NVME_READY] = {
        "nvme.ready", 10000.0,
        "unverified: NVMe CC.EN write to CSTS.RDY following it; the NVMe 1.4 "
        "spec only bounds it by CAP.TO (500 ms units) and QEMU's emulated "
        "controller answers at once; 10 us assumed so a driver's RDY poll "
        "loop is exercised" },
    [COST_CPU_CYCLE] = {
        "cpu.cycle", 1.0 / 3.0,
        "modelled core clock 3.0 GHz, a server core of the talk's era (Intel "
        "Xeon E5-2690 v4: 2.6 GHz base, 3.5 GHz turbo; ark.intel.com); kernel "
        "and workload paths charge the cycles of the code they stand for, "
        "estimated from its instruction count at ~1 instruction per cycle" },
};

static uint64_t ns_to_ps(double ns)
{
    return (uint64_t)llround(ns * 1000.0);
}

static void build_default(cost_table_t *t)
{
    for (int i = 0; i < COST_COUNT; i++)
        t->ps[i] = ns_to_ps(cost_desc[i].default_ns);
}

/* Every cost 0: the engine must then reproduce queueing theory exactly. */
static void build_zero(cost_table_t *t)
{
    for (int i = 0; i < COST_COUNT; i++)
        t->ps[i] = 0;
}

/* The open set of profiles: adding one is adding a row here. */
#define COST_PROFILES(X)            \
    X("default", build_default)     \
    X("zero", build_zero)

typedef struct cost_profile {
    const char *name;
    void (*build)(cost_table_t *t);
} cost_profile_t;

#define PROFILE_ROW(name, fn) { name, fn },
#define PROFILE_NAME(name, fn) name,

static const cost_profile_t profiles[] = { COST_PROFILES(PROFILE_ROW) };
static const char *const profile_names[] = { COST_PROFILES(PROFILE_NAME) NULL };

int cost_table_init(cost_table_t *t, const char *profile)
{
    if (t == NULL || profile == NULL)
        return -1;
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        if (strcmp(profiles[i].name, profile) != 0)
            continue;
        memset(t, 0, sizeof *t);
        t->profile = profiles[i].name;
        profiles[i].build(t);
        return 0;
    }
    return -1;
}

const char *const *cost_profiles(void)
{
    return profile_names;
}

int cost_lookup(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < COST_COUNT; i++)
        if (strcmp(cost_desc[i].name, name) == 0)
            return i;
    return -1;
}

int cost_set_ns(cost_table_t *t, cost_id_t id, double ns)
{
    if (t == NULL || (unsigned)id >= COST_COUNT)
        return -1;
    if (!isfinite(ns) || !(ns >= 0.0) || ns > 1e12)
        return -1;
    t->ps[id] = ns_to_ps(ns);
    t->overridden[id] = 1;
    return 0;
}
