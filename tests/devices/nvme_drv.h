/* tests/devices/nvme_drv.h: a tiny NVMe host driver for the device tests
 * (check_nvme.c, check_nvme_media.c, check_dma_iommu.c), acting as a
 * kernel would: queues in simulated memory, registers and doorbells
 * through the PCIe bus's MMIO, CQEs read back from memory.
 *
 * Register offsets, bit positions and command layouts are written out here
 * from the NVMe 1.4 base specification (3.1 registers, Figure 105 SQE,
 * Figure 121 CQE) rather than taken from the device's private header, so
 * the tests check the device against the spec.  Helpers are static inline
 * so each test file uses what it needs. */
#ifndef PARASIM_TESTS_NVME_DRV_H
#define PARASIM_TESTS_NVME_DRV_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "devices/iommu.h"
#include "devices/irq.h"
#include "devices/mem.h"
#include "devices/nvme.h"
#include "devices/pcie.h"
#include "model/cost.h"
#include "sim/engine.h"

#define R_CAP 0x00u
#define R_VS 0x08u
#define R_CC 0x14u
#define R_CSTS 0x1Cu
#define R_AQA 0x24u
#define R_ASQ 0x28u
#define R_ACQ 0x30u
#define CC_EN 1u
#define CC_IOSQES_64 (6u << 16)
#define CC_IOCQES_16 (4u << 20)
#define CSTS_RDY 1u
#define CSTS_CFS 2u

#define DRV_BAR UINT64_C(0xC0000000)
#define DRV_MEM (UINT64_C(64) << 20)
#define DRV_CORE 2u
#define DRV_VEC_BASE 0x20u /* MSI-X entry v carries vector 0x20 + v */
#define DRV_MAX_IRQ 512

typedef struct tq {
    uint16_t qid;
    uint64_t base;  /* physical address */
    uint32_t size;  /* entries */
    uint32_t idx;   /* SQ: host's tail; CQ: host's head */
    uint8_t phase;  /* CQ: phase tag expected at idx */
} tq_t;

typedef struct cqe {
    uint32_t dw0;
    uint16_t sqhd, sqid, cid;
    uint16_t status; /* DW3 31:17 */
    uint8_t phase;
} cqe_t;

typedef struct drv {
    sim_t *sim;
    mem_t *mem;
    pcie_t *bus;
    iommu_t *iommu;        /* drv_up_with(.., n > 0) only; NULL: no IOMMU */
    nvme_t *nvme;
    cost_table_t costs;
    nvme_cfg_t cfg;
    uint64_t brk;          /* next free page for allocations */
    tq_t asq, acq;
    uint16_t next_cid;
    unsigned nirq;
    unsigned irq_vec[DRV_MAX_IRQ];
    sim_time_t irq_t[DRV_MAX_IRQ];
} drv_t;

static inline void drv_irq(void *ctx, unsigned core, unsigned vector)
{
    drv_t *d = ctx;
    ck_assert_uint_eq(core, DRV_CORE);
    ck_assert_uint_lt(d->nirq, DRV_MAX_IRQ);
    d->irq_vec[d->nirq] = vector;
    d->irq_t[d->nirq++] = sim_now(d->sim);
}

/* Interrupts received for MSI-X entry v. */
static inline unsigned drv_irqs(const drv_t *d, unsigned v)
{
    unsigned n = 0;
    for (unsigned i = 0; i < d->nirq; i++)
        n += d->irq_vec[i] == DRV_VEC_BASE + v;
    return n;
}

static inline void drv_run(drv_t *d) { sim_run(d->sim, SIM_TIME_MAX); }

static inline void drv_w32(drv_t *d, uint64_t off, uint32_t v)
{
    pcie_mmio_write(d->bus, DRV_BAR + off, v, 4, NULL);
}
static inline void drv_w64(drv_t *d, uint64_t off, uint64_t v)
{
    pcie_mmio_write(d->bus, DRV_BAR + off, v, 8, NULL);
}
static inline uint32_t drv_r32(drv_t *d, uint64_t off)
{
    return (uint32_t)pcie_mmio_read(d->bus, DRV_BAR + off, 4, NULL);
}
static inline uint64_t drv_r64(drv_t *d, uint64_t off)
{
    return pcie_mmio_read(d->bus, DRV_BAR + off, 8, NULL);
}

/* Doorbells (3.1.24/3.1.25): SQ y tail at 0x1000 + (2y) * (4 << DSTRD),
 * CQ y head at 0x1000 + (2y + 1) * (4 << DSTRD). */
static inline uint64_t drv_db(const drv_t *d, unsigned y, bool cq)
{
    return 0x1000u + (2u * y + cq) * (UINT64_C(4) << d->cfg.dstrd);
}

/* Zeroed, page-aligned memory. */
static inline uint64_t drv_alloc(drv_t *d, uint64_t bytes)
{
    uint64_t a = d->brk;
    d->brk += (bytes + 4095) & ~UINT64_C(4095);
    ck_assert_uint_le(d->brk, DRV_MEM);
    return a;
}

/* Bring up the machine and the controller; with iotlb_entries > 0 an
 * IOMMU sits between them (translation disabled until the test programs
 * it; its fault events go to the driver's sink). */
static inline void drv_up_with(drv_t *d, const nvme_cfg_t *cfg, unsigned iotlb_entries)
{
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    d->cfg.bar = DRV_BAR;
    ck_assert_int_eq(cost_table_init(&d->costs, "default"), 0);
    d->sim = sim_create();
    d->mem = mem_create(DRV_MEM);
    irq_sink_t sink = { drv_irq, d };
    if (iotlb_entries) {
        iommu_cfg_t icfg = { .iotlb_entries = iotlb_entries };
        d->iommu = iommu_create(d->sim, d->mem, &d->costs, &icfg, sink);
        ck_assert_ptr_nonnull(d->iommu);
    }
    d->bus = pcie_create(d->sim, d->mem, d->iommu, &d->costs, sink);
    ck_assert_ptr_nonnull(d->bus);
    d->nvme = nvme_create(d->sim, d->bus, &d->costs, &d->cfg);
    ck_assert_ptr_nonnull(d->nvme);
    d->brk = UINT64_C(1) << 20;
    /* MSI-X table (PCI LB 3.0 6.8.2): address, data, unmask. */
    uint64_t t = nvme_msix_offset(&d->cfg);
    for (unsigned v = 0; v < d->cfg.msix_vectors; v++) {
        drv_w32(d, t + 16 * v + 0, (uint32_t)irq_msi_addr(DRV_CORE));
        drv_w32(d, t + 16 * v + 4, 0);
        drv_w32(d, t + 16 * v + 8, DRV_VEC_BASE + v);
        drv_w32(d, t + 16 * v + 12, 0);
    }
    drv_run(d);
}

static inline void drv_up(drv_t *d, const nvme_cfg_t *cfg) { drv_up_with(d, cfg, 0); }

static inline void drv_down(drv_t *d)
{
    nvme_destroy(d->nvme);
    pcie_destroy(d->bus);
    iommu_destroy(d->iommu);
    mem_destroy(d->mem);
    sim_destroy(d->sim);
}

static inline void drv_queue(drv_t *d, tq_t *q, uint16_t qid, uint32_t size, unsigned esize)
{
    *q = (tq_t){ .qid = qid, .base = drv_alloc(d, (uint64_t)size * esize), .size = size,
                 .phase = 1 };
}

/* Program AQA/ASQ/ACQ and CC.EN, wait for CSTS.RDY. */
static inline void drv_enable(drv_t *d, uint32_t asq_size, uint32_t acq_size)
{
    drv_queue(d, &d->asq, 0, asq_size, 64);
    drv_queue(d, &d->acq, 0, acq_size, 16);
    drv_w32(d, R_AQA, (acq_size - 1) << 16 | (asq_size - 1));
    drv_w64(d, R_ASQ, d->asq.base);
    drv_w64(d, R_ACQ, d->acq.base);
    drv_w32(d, R_CC, CC_EN | CC_IOSQES_64 | CC_IOCQES_16);
    drv_run(d);
    ck_assert_uint_eq(drv_r32(d, R_CSTS) & (CSTS_RDY | CSTS_CFS), CSTS_RDY);
}

/* SQE (Figure 105): CDW0 = opcode | CID << 16, NSID @4, PRP1 @24,
 * PRP2 @32, CDW10..12 @40..48. */
typedef struct sqe_args {
    uint8_t opc;
    uint32_t nsid;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12;
} sqe_args_t;

static inline void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* Write an SQE at the SQ's tail (no doorbell); returns its CID. */
static inline uint16_t drv_put(drv_t *d, tq_t *sq, sqe_args_t a)
{
    uint8_t e[64] = { 0 };
    uint16_t cid = ++d->next_cid;
    put_le(e + 0, a.opc | (uint32_t)cid << 16, 4);
    put_le(e + 4, a.nsid, 4);
    put_le(e + 24, a.prp1, 8);
    put_le(e + 32, a.prp2, 8);
    put_le(e + 40, a.cdw10, 4);
    put_le(e + 44, a.cdw11, 4);
    put_le(e + 48, a.cdw12, 4);
    ck_assert_int_eq(mem_write(d->mem, sq->base + (uint64_t)sq->idx * 64, e, 64), 0);
    sq->idx = (sq->idx + 1) % sq->size;
    return cid;
}

static inline void drv_ring(drv_t *d, const tq_t *sq) { drv_w32(d, drv_db(d, sq->qid, false), sq->idx); }

/* CQE (Figure 121) at slot i, without consuming it. */
static inline cqe_t drv_peek(drv_t *d, const tq_t *cq, uint32_t i)
{
    uint8_t e[16];
    ck_assert_int_eq(mem_read(d->mem, cq->base + (uint64_t)i * 16, e, 16), 0);
    uint32_t dw3 = (uint32_t)get_le(e + 12, 4);
    return (cqe_t){ .dw0 = (uint32_t)get_le(e, 4), .sqhd = (uint16_t)get_le(e + 8, 2),
                    .sqid = (uint16_t)get_le(e + 10, 2), .cid = (uint16_t)dw3,
                    .status = (uint16_t)(dw3 >> 17), .phase = (dw3 >> 16) & 1 };
}

/* Consume the CQE at the head if its phase says it is new. */
static inline bool drv_reap(drv_t *d, tq_t *cq, cqe_t *out)
{
    cqe_t e = drv_peek(d, cq, cq->idx);
    if (e.phase != cq->phase)
        return false;
    *out = e;
    if (++cq->idx == cq->size) {
        cq->idx = 0;
        cq->phase ^= 1;
    }
    return true;
}

static inline void drv_ring_cq(drv_t *d, const tq_t *cq) { drv_w32(d, drv_db(d, cq->qid, true), cq->idx); }

/* Submit one admin command, run, return its completion. */
static inline cqe_t drv_admin(drv_t *d, sqe_args_t a)
{
    uint16_t cid = drv_put(d, &d->asq, a);
    drv_ring(d, &d->asq);
    drv_run(d);
    cqe_t e;
    ck_assert_msg(drv_reap(d, &d->acq, &e), "no admin completion");
    ck_assert_uint_eq(e.cid, cid);
    ck_assert_uint_eq(e.sqid, 0);
    drv_ring_cq(d, &d->acq);
    drv_run(d);
    return e;
}

/* Status field: SCT bits 10:8, SC bits 7:0 (Figure 124). */
#define ck_status(e, sct, sc)                                     \
    do {                                                          \
        cqe_t ck_e_ = (e); /* evaluated once: e may submit */    \
        ck_assert_uint_eq((ck_e_.status >> 8) & 7u, (unsigned)(sct)); \
        ck_assert_uint_eq(ck_e_.status & 0xFFu, (unsigned)(sc));  \
    } while (0)

/* Create I/O CQ (05h): CDW10 = QSIZE (0's based) << 16 | QID,
 * CDW11 = IV << 16 | IEN << 1 | PC. */
static inline cqe_t drv_create_cq(drv_t *d, tq_t *q, uint16_t qid, uint32_t size, uint16_t iv)
{
    drv_queue(d, q, qid, size, 16);
    return drv_admin(d, (sqe_args_t){ .opc = 0x05, .prp1 = q->base,
                                      .cdw10 = (size - 1) << 16 | qid,
                                      .cdw11 = (uint32_t)iv << 16 | 2u | 1u });
}

/* Create I/O SQ (01h): CDW11 = CQID << 16 | PC. */
static inline cqe_t drv_create_sq(drv_t *d, tq_t *q, uint16_t qid, uint32_t size, uint16_t cqid)
{
    drv_queue(d, q, qid, size, 64);
    return drv_admin(d, (sqe_args_t){ .opc = 0x01, .prp1 = q->base,
                                      .cdw10 = (size - 1) << 16 | qid,
                                      .cdw11 = (uint32_t)cqid << 16 | 1u });
}

/* Read (02h) / Write (01h): CDW10/11 = SLBA, CDW12 = NLB (0's based). */
static inline sqe_args_t drv_rw(bool write, uint64_t slba, uint32_t nlb, uint64_t prp1,
                                uint64_t prp2)
{
    return (sqe_args_t){ .opc = write ? 0x01 : 0x02, .nsid = 1, .prp1 = prp1, .prp2 = prp2,
                         .cdw10 = (uint32_t)slba, .cdw11 = (uint32_t)(slba >> 32),
                         .cdw12 = nlb - 1 };
}

#endif
