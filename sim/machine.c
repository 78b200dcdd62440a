/* sim/machine: assemble one simulated host from a machine_cfg_t (contract
 * in sim/machine.h).
 *
 * Assembly order follows the dependencies: cores, memory, the interrupt
 * controllers (the sink every device signals), the IOMMU (always built;
 * it stays in pass-through until the kernel sets GSTS.TES), the PCIe bus
 * asking that IOMMU for every DMA page, the IOMMU's register file mapped
 * on the bus at MACHINE_IOMMU_BASE, then the NIC and NVMe functions at
 * their fixed BARs and requester ids, and the per-core deadline timers.
 * The HAL's platform state (sim/hal.c) is created last.
 *
 * The NVMe controller is configured with DSTRD = 10 (4 KiB doorbell
 * stride) whatever the caller's nvme config says: the parakernel maps
 * each queue pair's doorbells into its process's page(s) only
 * (devices/nvme.h, "Doorbell stride").
 *
 * Teardown: destroy after the engine stopped running this machine's
 * events; devices go with their bus, in reverse order of creation. */
#include "sim/machine.h"

#include "devices/mem.h"
#include "devices/pcie.h"
#include "devices/timer.h"
#include "model/cost.h"
#include "sim/alloc.h"
#include "sim/irqc.h"
#include "sim/machine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MACHINE_MEM_ALIGN (UINT64_C(2) << 20)
#define NVME_DSTRD_PAGE 10u /* 4 << 10 = 4 KiB doorbell stride */

void machine_cfg_default(machine_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->cores = 4;
    cfg->mem_bytes = UINT64_C(1) << 30;
    cfg->nic_present = true;
    cfg->nic.queues = 16;
    cfg->nic.link_gbps = 40;
    cfg->nic.max_frame = 1518;
    cfg->nic.pcie = (pcie_link_t){.gen = 3, .lanes = 16};
    cfg->nic.msix_vectors = 0; /* min(queues + 1, 64) */
    cfg->nvme_present = true;
    nvme_cfg_default(&cfg->nvme);
    cfg->nvme.dstrd = NVME_DSTRD_PAGE;
    cfg->iommu_mode = MACHINE_IOMMU_LEGACY;
    cfg->iommu.iotlb_entries = 64;
    /* One poll-loop iteration touching one LLC line (cost table mem.llc,
     * 20 ns by default). */
    cfg->poll_detect_ps = SIM_NS(20);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int check_cfg(const machine_cfg_t *cfg, char *err, size_t errlen)
{
    if (cfg->cores < 1 || cfg->cores > MACHINE_MAX_CORES)
        return fail(err, errlen, "machine: cores must be 1..%u (got %u)", MACHINE_MAX_CORES,
                    cfg->cores);
    if (!cfg->mem_bytes || cfg->mem_bytes % MACHINE_MEM_ALIGN)
        return fail(err, errlen, "machine: mem_bytes must be a non-zero multiple of 2 MiB");
    if (cfg->mem_bytes > MACHINE_NIC_BAR || cfg->mem_bytes > MEM_MAX_SIZE)
        return fail(err, errlen,
                    "machine: mem_bytes must be at most 0x%llx (below the device BARs)",
                    (unsigned long long)MACHINE_NIC_BAR);
    if (cfg->iommu.iotlb_entries < 1)
        return fail(err, errlen, "machine: iommu.iotlb_entries must be >= 1");
    if (cfg->nvme_present) {
        nvme_cfg_t n = cfg->nvme;
        n.bar = MACHINE_NVME_BAR;
        n.rid = MACHINE_NVME_RID;
        n.dstrd = NVME_DSTRD_PAGE;
        const char *why = nvme_cfg_check(&n);
        if (why)
            return fail(err, errlen, "machine: nvme: %s", why);
        if (MACHINE_NVME_BAR % nvme_bar_size(&n) ||
            MACHINE_NVME_BAR + nvme_bar_size(&n) > MACHINE_IOMMU_BASE)
            return fail(err, errlen, "machine: nvme: BAR of %llu bytes does not fit at 0x%llx",
                        (unsigned long long)nvme_bar_size(&n),
                        (unsigned long long)MACHINE_NVME_BAR);
    }
    return 0;
}

static int create_devices(machine_t *m, char *err, size_t errlen)
{
    irq_sink_t sink = irqc_sink(m->irqc);
    m->iommu = iommu_create(m->sim, m->mem, m->costs, &m->cfg.iommu, sink);
    if (!m->iommu)
        return fail(err, errlen, "machine: iommu: bad config");
    m->bus = pcie_create(m->sim, m->mem, m->iommu, m->costs, sink);
    if (!m->bus)
        return fail(err, errlen, "machine: pcie: cannot create the bus");
    static const pcie_ops_t iommu_ops = {iommu_mmio_read, iommu_mmio_write};
    if (pcie_map_mmio(m->bus, MACHINE_IOMMU_BASE, IOMMU_MMIO_SIZE, &iommu_ops, m->iommu) < 0)
        return fail(err, errlen, "machine: iommu: cannot map its registers");
    if (m->cfg.nic_present) {
        m->cfg.nic.bar = MACHINE_NIC_BAR;
        m->cfg.nic.rid = MACHINE_NIC_RID;
        m->nic = nic_create(m->sim, m->bus, m->costs, &m->cfg.nic);
        if (!m->nic)
            return fail(err, errlen,
                        "machine: nic: bad config (queues 1..128, link 10/25/40/100/400, "
                        "max_frame, msix_vectors 0..64)");
    }
    if (m->cfg.nvme_present) {
        m->cfg.nvme.bar = MACHINE_NVME_BAR;
        m->cfg.nvme.rid = MACHINE_NVME_RID;
        m->cfg.nvme.dstrd = NVME_DSTRD_PAGE;
        m->nvme = nvme_create(m->sim, m->bus, m->costs, &m->cfg.nvme);
        if (!m->nvme)
            return fail(err, errlen, "machine: nvme: the controller refused its config");
    }
    m->timers = timer_dev_create(m->sim, m->cfg.cores, sink);
    if (!m->timers)
        return fail(err, errlen, "machine: timers: cannot create");
    return 0;
}

int machine_create(machine_t *m, sim_t *sim, const struct cost_table *costs,
                   const machine_cfg_t *cfg, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (!sim || !costs || !cfg)
        return fail(err, errlen, "machine: no engine, cost table or config");
    if (check_cfg(cfg, err, errlen) < 0)
        return -1;
    m->sim = sim;
    m->costs = costs;
    m->cfg = *cfg;
    m->cores = sim_xcalloc(cfg->cores, sizeof *m->cores);
    for (unsigned i = 0; i < cfg->cores; i++)
        cpu_init(&m->cores[i], i);
    m->mem = mem_create(cfg->mem_bytes);
    if (!m->mem) {
        fail(err, errlen, "machine: cannot create %llu bytes of memory",
             (unsigned long long)cfg->mem_bytes);
        goto err;
    }
    m->irqc = irqc_create(sim, m->cores, cfg->cores, costs);
    if (create_devices(m, err, errlen) < 0)
        goto err;
    m->hal = machine_hal_create(m);
    return 0;
err:
    machine_destroy(m);
    return -1;
}

void machine_destroy(machine_t *m)
{
    if (!m)
        return;
    machine_hal_destroy(m->hal);
    if (m->timers)
        timer_dev_destroy(m->timers);
    if (m->nvme)
        nvme_destroy(m->nvme);
    if (m->nic)
        nic_destroy(m->nic);
    if (m->bus)
        pcie_destroy(m->bus);
    if (m->iommu)
        iommu_destroy(m->iommu);
    if (m->irqc)
        irqc_destroy(m->irqc);
    if (m->mem)
        mem_destroy(m->mem);
    free(m->cores);
    memset(m, 0, sizeof *m);
}
