/* devices/nvme: an NVMe controller (NVM Express Base Specification 1.4)
 * with one namespace and a media model, as a PCIe function.
 *
 * The kernel programs it as it would a real SSD: registers in BAR0 (CAP,
 * VS, INTMS/INTMC, CC, CSTS, AQA, ASQ, ACQ; spec 3.1), an admin queue
 * pair, I/O queues created by admin commands, 64 B submission entries and
 * 16 B completion entries with phase tags in host memory, tail/head
 * doorbells, PRP data pointers, MSI-X interrupts with coalescing.  Every
 * byte the controller touches in host memory goes through pcie_dma_read /
 * pcie_dma_write (so through the IOMMU), every interrupt through
 * pcie_msix_send.  The namespace's data is really stored: a read returns
 * what was written.  Behaviour, simplifications and the timing model are
 * described at the top of each file of devices/nvme/.
 *
 * BAR0 layout (nvme_bar_size(), nvme_msix_offset()):
 *   0x0000  controller registers
 *   0x1000  doorbells: SQ y tail at 0x1000 + (2y) * (4 << DSTRD),
 *                      CQ y head at 0x1000 + (2y + 1) * (4 << DSTRD),
 *           for y = 0 (admin) .. io_queues
 *   then    the MSI-X table (16 B per vector) and its pending-bit array,
 *           on the first 4 KiB boundary after the doorbells.
 * The BAR's size is a power of two (PCI BARs are naturally aligned), so
 * cfg.bar must be a multiple of it.
 *
 * Doorbell stride: with DSTRD = 10 the stride is 4 KiB, so the doorbells
 * of queue pair y (SQ tail at 0x1000 + 2y * 4 KiB, CQ head one page later)
 * each sit on a page of their own.  The parakernel relies on this: it maps
 * a process's doorbell page(s) into that process only, so a process rings
 * its own queues without a system call and cannot touch anyone else's.
 *
 * Not modelled: PCI configuration space (the BAR address and MSI-X table
 * offset are configuration, as firmware would have assigned them), more
 * than one namespace, SGLs, metadata, end-to-end protection, the
 * controller memory buffer, weighted round robin arbitration. */
#ifndef PARASIM_DEVICES_NVME_H
#define PARASIM_DEVICES_NVME_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pcie.h" /* pcie_t, pcie_link_t (held by value) */

struct cost_table;

typedef struct nvme nvme_t;

typedef enum nvme_media_kind {
    NVME_MEDIA_NAND,    /* channels x dies; nand.read, nand.program, nand.xfer_4k */
    NVME_MEDIA_LLFLASH, /* low-latency flash, same geometry; nvme.read, llflash.program */
    NVME_MEDIA_PMEM,    /* persistent memory class; mem.pmem, mem.pmem_write per 4 KiB */
    NVME_MEDIA_KINDS
} nvme_media_kind_t;

typedef struct nvme_cfg {
    uint64_t bar;               /* BAR0 physical address, multiple of nvme_bar_size() */
    uint16_t rid;               /* requester id, bus << 8 | dev << 3 | fn */
    pcie_link_t link;           /* the function's PCIe link */
    unsigned msix_vectors;      /* MSI-X table entries, 1..2048 */
    unsigned max_queue_entries; /* largest queue, 2..65536 (CAP.MQES + 1) */
    unsigned dstrd;             /* CAP.DSTRD 0..15: doorbell stride 4 << dstrd bytes */
    unsigned io_queues;         /* I/O SQs and CQs supported, 1..65535 */
    uint64_t ns_blocks;         /* namespace size in logical blocks, >= 1 */
    unsigned lba_size;          /* bytes per logical block: 512 or 4096 */
    nvme_media_kind_t media;
    unsigned channels;          /* media channels, 1..1024 */
    unsigned dies_per_channel;  /* dies per channel, 1..1024 (unused by pmem) */
    bool pasid_per_queue;       /* tag each queue's DMA with PASID = its queue id
                                 * (the "queue-granular IOMMU" what-if; real NVMe
                                 * does not): SQE, PRP and data DMA with the SQ
                                 * id, CQE writes with the CQ id.  false: untagged */
} nvme_cfg_t;

typedef struct nvme_stats {
    uint64_t admin_cmds[256];   /* admin commands executed, by opcode */
    uint64_t io_cmds[256];      /* I/O commands executed, by opcode */
    uint64_t completions;       /* CQEs written */
    uint64_t errors;            /* CQEs with a non-zero status */
    uint64_t guest_errors;      /* misuse answered without a CQE: bad register
                                 * access, bad doorbell, enable with bad CC */
    uint64_t doorbell_errors;   /* bad doorbell writes (also guest errors) */
    uint64_t async_events;      /* asynchronous events raised */
    uint64_t async_events_lost; /* raised with the event queue full */
    uint64_t dma_faults;        /* DMAs the bus refused (IOMMU fault, no memory) */
    uint64_t lost_cmds;         /* SQEs or CQEs lost to a refused DMA */
    uint64_t cq_full_holds;     /* completions held because their CQ was full */
    uint64_t interrupts;        /* MSI-X messages sent */
    uint64_t read_bytes, write_bytes; /* data moved by Read / Write */
    uint64_t media_pages_read, media_pages_written; /* 4 KiB media accesses */
} nvme_stats_t;

/* An observer of the I/O path (the simulator's timeline, sim/tlrec.h):
 * fn(ctx, kind, qid, depth) at sim_now, after the controller's state
 * changed; depth is the commands of submission queue qid in flight
 * (fetched or not, not yet completed).  None by default; with none an
 * event costs one branch.  It must not call into the controller. */
typedef enum nvme_event_kind {
    NVME_EV_SQ_DOORBELL = 0, /* SQ qid's tail doorbell written (and fetched) */
    NVME_EV_CQE,             /* a CQE written for a command of SQ qid */
    NVME_EV_KINDS
} nvme_event_kind_t;
typedef void (*nvme_observer_fn)(void *ctx, nvme_event_kind_t kind, unsigned qid, unsigned depth);

/* Defaults: Gen3 x4, 64 vectors, 1024 entries, DSTRD 0, 64 I/O queues,
 * 1 GiB of 4 KiB blocks on NAND with 8 channels x 4 dies. */
void nvme_cfg_default(nvme_cfg_t *cfg);
/* NULL when cfg is usable, else a message naming the bad field. */
const char *nvme_cfg_check(const nvme_cfg_t *cfg);

/* BAR0 size (a power of two) and MSI-X table offset for cfg. */
uint64_t nvme_bar_size(const nvme_cfg_t *cfg);
uint64_t nvme_msix_offset(const nvme_cfg_t *cfg);
/* BAR0 offset of queue y's SQ tail (cq = false) or CQ head doorbell. */
static inline uint64_t nvme_doorbell_offset(unsigned dstrd, unsigned y, bool cq)
{
    return 0x1000u + (2u * (uint64_t)y + (cq ? 1u : 0u)) * ((uint64_t)4 << dstrd);
}

/* Attach a controller to the bus (pcie_attach).  NULL when the config is
 * bad (nvme_cfg_check) or the BAR overlaps another range.  costs must
 * outlive the controller.  Destroy it at teardown: after the engine has
 * stopped running its events (they point at it) and with the bus (which
 * keeps routing MMIO to it: there is no detach). */
nvme_t *nvme_create(sim_t *sim, pcie_t *bus, const struct cost_table *costs,
                    const nvme_cfg_t *cfg);
void nvme_destroy(nvme_t *c);

const nvme_stats_t *nvme_stats(const nvme_t *c);
/* Install (fn NULL: remove) the observer. */
void nvme_set_observer(nvme_t *c, nvme_observer_fn fn, void *ctx);
/* "read", "identify", ...; "unknown" for an opcode the controller does
 * not implement. */
const char *nvme_opcode_name(bool admin, uint8_t opcode);
const char *nvme_media_name(nvme_media_kind_t kind);

#endif
