/* devices/iommu: DMA remapping, VT-d style.
 *
 * Programmed like Intel VT-d (VT-d spec rev. 3, ch. 3, 9, 10; "faithfully
 * simplified" where noted in iommu.c): a register file reached by MMIO at
 * the DRHD base (the kernel maps it with pcie_map_mmio()), a root table
 * and context tables in physical memory selected by the requester id
 * (bus:dev.fn), second-level page tables in physical memory (4 KiB leaves,
 * 2 MiB superpages, R/W permission bits), an IOTLB with LRU replacement and
 * invalidation (global, domain, page), fault recording registers and a
 * fault-event interrupt (MSI) through the machine's irq sink.
 *
 * Modes: translation disabled (GSTS.TES = 0: pass-through, the device's
 * addresses are physical), legacy (per requester id: device-granular
 * isolation), scalable (per requester id and PASID: a device that tags DMA
 * per queue gets queue-granular isolation; the "what if IOMMUs were
 * queue-based" experiment).
 *
 * The PCIe bus calls iommu_translate() for every page a DMA touches; a
 * fault is recorded, counted and reported by interrupt, and the bus does
 * not perform the DMA.  Nothing is silent. */
#ifndef PARASIM_DEVICES_IOMMU_H
#define PARASIM_DEVICES_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "sim/engine.h"

struct mem;
struct cost_table;

#define IOMMU_NO_PASID UINT32_MAX
#define IOMMU_MMIO_SIZE 0x1000u

typedef enum iommu_fault {
    IOMMU_OK = 0,
    IOMMU_FAULT_ROOT,        /* root entry not present */
    IOMMU_FAULT_CONTEXT,     /* context entry not present or invalid */
    IOMMU_FAULT_PASID,       /* PASID entry not present (scalable mode), or
                              * a PASID-tagged DMA in legacy mode */
    IOMMU_FAULT_NOT_PRESENT, /* page-table entry not present */
    IOMMU_FAULT_READ,        /* read of a page without R */
    IOMMU_FAULT_WRITE,       /* write to a page without W */
    IOMMU_FAULT_ADDRESS,     /* address beyond the address width, or a
                              * table pointer outside physical memory */
    IOMMU_FAULT_KINDS
} iommu_fault_t;

typedef struct iommu_cfg {
    unsigned iotlb_entries;  /* >= 1 */
} iommu_cfg_t;

typedef struct iommu_stats {
    uint64_t translations, iotlb_hits, iotlb_misses, walks;
    uint64_t faults[IOMMU_FAULT_KINDS];
    uint64_t invalidations;
} iommu_stats_t;

typedef struct iommu iommu_t;

iommu_t *iommu_create(sim_t *sim, struct mem *mem, const struct cost_table *costs,
                      const iommu_cfg_t *cfg, irq_sink_t sink);
void iommu_destroy(iommu_t *io);

/* Register file (pcie_map_mmio ops); off < IOMMU_MMIO_SIZE. */
uint64_t iommu_mmio_read(void *io, uint64_t off, unsigned size);
void iommu_mmio_write(void *io, uint64_t off, uint64_t val, unsigned size);

/* Translate one access at iova by requester `rid` (and `pasid`, or
 * IOMMU_NO_PASID).  On success *pa is the physical address and *page_end
 * the first iova past the page it lies in (so callers split DMAs at page
 * boundaries); *cost is the latency the lookup adds (IOTLB hit, or page
 * walk on a miss).  On a fault the fault is recorded, counted and
 * signalled, and its kind returned. */
iommu_fault_t iommu_translate(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova,
                              bool write, uint64_t *pa, uint64_t *page_end, sim_time_t *cost);

const iommu_stats_t *iommu_stats(const iommu_t *io);

/* An observer of faults (the simulator's timeline, sim/tlrec.h):
 * fn(ctx, rid, pasid, kind) at sim_now for every fault counted.  None by
 * default.  It must not call into the IOMMU. */
typedef void (*iommu_observer_fn)(void *ctx, uint16_t rid, uint32_t pasid, iommu_fault_t kind);
void iommu_set_observer(iommu_t *io, iommu_observer_fn fn, void *ctx);
const char *iommu_fault_name(iommu_fault_t f);

#endif
