/* tests/devices/pcie_tt.h: what the PCIe bus suites (check_pcie,
 * check_pcie_dma) share: the bus layout (two devices' BARs, device a's
 * MSI-X table and PBA, a Gen3 x8 link), a test device that logs every MMIO
 * access it sees with its time, an irq sink that logs deliveries, and the
 * rig: memory, the "default" cost profile, the bus, optionally a real IOMMU
 * (translation still disabled) with its tables' memory pool, and the MMIO
 * helpers that assert the profile's CPU cost of each access (posted write
 * 100 ns, read 750 ns).  Static inline: a suite uses any subset. */
#ifndef PARASIM_TESTS_DEVICES_PCIE_TT_H
#define PARASIM_TESTS_DEVICES_PCIE_TT_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "devices/iommu.h"
#include "devices/irq.h"
#include "devices/mem.h"
#include "devices/pcie.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/devices/iommu_drv.h"

#define MEM_BYTES (16u << 20)
#define BAR_A UINT64_C(0xF0000000)
#define BAR_B UINT64_C(0xF0100000)
#define BAR_SIZE 0x4000u
#define MSIX_OFF 0x2000u /* 4 vectors: table 0x2000-0x203F, PBA 0x2040-0x2047 */
#define MSIX_N 4u

static const pcie_link_t GEN3_X8 = { 3, 8 };

/* ---------------------------------------------------------------- test device */

typedef struct access {
    uint64_t off, val;
    unsigned size;
    sim_time_t at;
} access_t;

typedef struct tdev {
    sim_t *sim;
    uint8_t regs[BAR_SIZE];
    access_t wr[64], rd[64];
    size_t nwr, nrd;
} tdev_t;

static inline uint64_t tdev_read(void *p, uint64_t off, unsigned size)
{
    tdev_t *d = p;
    ck_assert_uint_lt(d->nrd, 64);
    d->rd[d->nrd++] = (access_t){ off, 0, size, sim_now(d->sim) };
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;)
        v = v << 8 | d->regs[off + i];
    return v;
}

static inline void tdev_write(void *p, uint64_t off, uint64_t val, unsigned size)
{
    tdev_t *d = p;
    ck_assert_uint_lt(d->nwr, 64);
    d->wr[d->nwr++] = (access_t){ off, val, size, sim_now(d->sim) };
    for (unsigned i = 0; i < size; i++)
        d->regs[off + i] = (uint8_t)(val >> (8 * i));
}

static const pcie_ops_t tdev_ops = { tdev_read, tdev_write };

/* ---------------------------------------------------------------- test sink */

typedef struct irq_log {
    size_t n;
    unsigned core[16], vector[16];
    sim_time_t at[16];
    sim_t *sim;
} irq_log_t;

static inline void sink_deliver(void *ctx, unsigned core, unsigned vector)
{
    irq_log_t *l = ctx;
    ck_assert_uint_lt(l->n, 16);
    l->core[l->n] = core;
    l->vector[l->n] = vector;
    l->at[l->n] = sim_now(l->sim);
    l->n++;
}

/* ---------------------------------------------------------------- rig */

typedef struct rig {
    sim_t *sim;
    mem_t *mem;
    cost_table_t costs;
    irq_log_t irqs;
    iommu_t *io;       /* NULL: no IOMMU */
    iod_pool_t tables; /* page tables' memory */
    pcie_t *bus;
    tdev_t a, b;
    pcie_dev_t *da, *db;
} rig_t;

#define RID_A 0x0100u /* 01:00.0 */
#define RID_B 0x0200u /* 02:00.0 */
#define TABLES UINT64_C(0xC00000) /* IOMMU tables in the top 4 MiB */
#define HIT_PS UINT64_C(7000)     /* iommu.iotlb_hit set to 7 ns (default 0) */

/* with_iommu: a real IOMMU on the bus, translation still disabled. */
static inline void rig_init(rig_t *r, bool with_iommu)
{
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    r->mem = mem_create(MEM_BYTES);
    ck_assert_int_eq(cost_table_init(&r->costs, "default"), 0);
    r->irqs.sim = r->sim;
    irq_sink_t sink = { sink_deliver, &r->irqs };
    if (with_iommu) {
        ck_assert_int_eq(cost_set_ns(&r->costs, COST_IOMMU_IOTLB_HIT, 7.0), 0);
        r->io = iommu_create(r->sim, r->mem, &r->costs, &(iommu_cfg_t){ .iotlb_entries = 64 },
                             sink);
        ck_assert_ptr_nonnull(r->io);
        r->tables = (iod_pool_t){ r->mem, TABLES, MEM_BYTES };
    }
    r->bus = pcie_create(r->sim, r->mem, r->io, &r->costs, sink);
    ck_assert_ptr_nonnull(r->bus);
    r->a.sim = r->b.sim = r->sim;
    r->da = pcie_attach(r->bus, "a", RID_A, BAR_A, BAR_SIZE, &tdev_ops, &r->a, GEN3_X8, MSIX_N,
                        MSIX_OFF);
    r->db = pcie_attach(r->bus, "b", RID_B, BAR_B, 0x1000, &tdev_ops, &r->b, GEN3_X8, 0, 0);
    ck_assert_ptr_nonnull(r->da);
    ck_assert_ptr_nonnull(r->db);
}

static inline void rig_fini(rig_t *r)
{
    pcie_destroy(r->bus);
    iommu_destroy(r->io);
    mem_destroy(r->mem);
    sim_destroy(r->sim);
}

static inline void wr(rig_t *r, uint64_t addr, uint64_t val, unsigned size)
{
    sim_time_t cpu = 0;
    pcie_mmio_write(r->bus, addr, val, size, &cpu);
    ck_assert_uint_eq(cpu, SIM_NS(100));
}

static inline uint64_t rd(rig_t *r, uint64_t addr, unsigned size)
{
    sim_time_t cpu = 0;
    uint64_t v = pcie_mmio_read(r->bus, addr, size, &cpu);
    ck_assert_uint_eq(cpu, SIM_NS(750));
    return v;
}

#endif
