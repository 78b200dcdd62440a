/* devices/pcie: the host bridge, the PCIe links and MSI-X.
 *
 * CPU side (what the HAL calls):
 *   - MMIO reads are non-posted: the value is the device's register as of
 *     now, and the CPU stalls a round trip (pcie.mmio_read) -- returned in
 *     *cpu_ps for the caller to charge.
 *   - MMIO writes are posted: the CPU spends pcie.mmio_write issuing it and
 *     the device sees it that long later, in program order per device
 *     (PCIe posted-write ordering).
 *   - An access that hits no mapped range is a master abort: reads return
 *     all ones, writes are dropped, both are counted (guest errors).
 * Device side:
 *   - pcie_dma_read/write move real bytes between a device and physical
 *     memory through the IOMMU (when one is attached) at call time, and
 *     report in *done when the transfer completes: it starts when the
 *     device's link is free in that direction, takes the DMA latency
 *     (pcie.dma) plus the IOMMU's lookup costs, plus the bytes on the wire
 *     at the link's bandwidth.  Bandwidth: Gen1 2.5 GT/s and Gen2 5 GT/s
 *     with 8b/10b coding, Gen3 8, Gen4 16, Gen5 32 GT/s with 128b/130b, per
 *     lane, times the lanes (PCIe Base Spec); each TLP of up to 256 B
 *     payload (the max payload size) carries 24 B of framing, sequence
 *     number, 4-DW header and LCRC (Neugebauer et al., SIGCOMM'18, 2.2).
 *     A DMA is all or nothing: every page is translated first, and if one
 *     faults (or lies outside memory) no byte moves.
 *   - MSI-X: each device has a table of vectors in its BAR (16 B per entry:
 *     message address lo/hi, data, vector control with the mask bit at bit
 *     0; PCI Local Bus Spec 3.0, 6.8.2) followed by the pending-bit array.
 *     The kernel programs it by MMIO like any register; pcie_msix_send()
 *     delivers the entry's message to the irq sink pcie.msix later, or sets
 *     the pending bit while the vector is masked (delivered on unmask).
 *
 * Devices are register files with ops (QEMU MemoryRegionOps): the bus
 * routes MMIO by address range and never interprets a device's registers
 * except its MSI-X table. */
#ifndef PARASIM_DEVICES_PCIE_H
#define PARASIM_DEVICES_PCIE_H

#include <stddef.h>
#include <stdint.h>

#include "devices/irq.h"
#include "sim/engine.h"

struct mem;
struct iommu;
struct cost_table;

typedef struct pcie pcie_t;
typedef struct pcie_dev pcie_dev_t;

typedef struct pcie_ops {
    uint64_t (*mmio_read)(void *dev, uint64_t off, unsigned size);
    void (*mmio_write)(void *dev, uint64_t off, uint64_t val, unsigned size);
} pcie_ops_t;

typedef struct pcie_link {
    unsigned gen;   /* 1..5 */
    unsigned lanes; /* 1, 2, 4, 8, 16 */
} pcie_link_t;

typedef enum pcie_dma_status {
    PCIE_DMA_OK = 0,
    PCIE_DMA_FAULT = -1,    /* the IOMMU refused a page (recorded there) */
    PCIE_DMA_NO_MEMORY = -2 /* the (translated) address is outside memory */
} pcie_dma_status_t;

typedef struct pcie_stats {
    uint64_t mmio_reads, mmio_writes, master_aborts;
    uint64_t dma_reads, dma_writes, dma_read_bytes, dma_write_bytes;
    uint64_t dma_faults, msix_sent, msix_pending, msix_dropped;
} pcie_stats_t;

/* iommu may be NULL (no IOMMU: pass-through). */
pcie_t *pcie_create(sim_t *sim, struct mem *mem, struct iommu *iommu,
                    const struct cost_table *costs, irq_sink_t sink);
void pcie_destroy(pcie_t *bus);

/* A PCIe function: BAR [bar, bar + bar_size), requester id `rid`
 * (bus << 8 | dev << 3 | fn), its link, and an MSI-X table of
 * `msix_vectors` entries at BAR offset msix_off (pending bits right after
 * it); the device's ops never see the table's range.  NULL when the range
 * overlaps another or the link is invalid. */
pcie_dev_t *pcie_attach(pcie_t *bus, const char *name, uint16_t rid, uint64_t bar,
                        uint64_t bar_size, const pcie_ops_t *ops, void *dev, pcie_link_t link,
                        unsigned msix_vectors, uint64_t msix_off);
/* A platform register range that is not a PCIe function (the IOMMU's). */
int pcie_map_mmio(pcie_t *bus, uint64_t base, uint64_t size, const pcie_ops_t *ops, void *dev);

/* CPU side.  size is 1, 2, 4 or 8. */
uint64_t pcie_mmio_read(pcie_t *bus, uint64_t addr, unsigned size, sim_time_t *cpu_ps);
void pcie_mmio_write(pcie_t *bus, uint64_t addr, uint64_t val, unsigned size, sim_time_t *cpu_ps);

/* Device side.  pasid is IOMMU_NO_PASID for untagged DMA. */
pcie_dma_status_t pcie_dma_read(pcie_dev_t *d, uint32_t pasid, uint64_t addr, void *buf,
                                size_t len, sim_time_t *done);
pcie_dma_status_t pcie_dma_write(pcie_dev_t *d, uint32_t pasid, uint64_t addr, const void *buf,
                                 size_t len, sim_time_t *done);
void pcie_msix_send(pcie_dev_t *d, unsigned vector);

/* Bytes per second the link carries in one direction (after line coding),
 * and the wire time of a DMA of len payload bytes on it. */
double pcie_link_bytes_per_s(pcie_link_t link);
sim_time_t pcie_wire_time(pcie_link_t link, size_t len);

sim_t *pcie_sim(const pcie_t *bus);
const pcie_stats_t *pcie_stats(const pcie_t *bus);

/* Platform hook (the simulator's poll watches, sim/hal.c): fn(ctx, pa, len,
 * done) is called once per successful DMA write, per translated chunk,
 * with the physical address and the time the chunk lands.  fn NULL
 * removes it.  It must not start DMA. */
void pcie_set_dma_write_hook(pcie_t *bus, void (*fn)(void *ctx, uint64_t pa, size_t len,
                                                     sim_time_t done), void *ctx);

#endif
