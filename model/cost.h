/* model/cost: the cost table, what the modelled hardware spends.
 *
 * Every entry has a stable dotted name, a default in nanoseconds and the
 * source of that default (paper, datasheet or measurement; see
 * ../shared/reference/costs.md).  A cost_table_t holds the values in force
 * for one run, in integer picoseconds: built from a profile ("default": the
 * sourced figures; "zero": every cost 0, for validating the engine against
 * queueing theory), then individual entries overridden from the config.
 * Hot paths index by cost_id_t; configs and the HAL name entries by string.
 *
 * Adding a cost: add an id to the enum and a row with its source to
 * cost_desc[] in cost.c; tests check every row has a name, a source and a
 * finite non-negative default. */
#ifndef PARASIM_MODEL_COST_H
#define PARASIM_MODEL_COST_H

#include <stdint.h>

typedef enum cost_id {
    COST_MEM_L1,          /* L1 hit */
    COST_MEM_LLC,         /* last-level cache hit */
    COST_MEM_DRAM,        /* local DRAM access */
    COST_MEM_DRAM_REMOTE, /* remote-socket DRAM access */
    COST_MEM_PMEM,        /* Optane-class persistent memory read */
    COST_CPU_SYSCALL,     /* system call entry + exit */
    COST_CPU_CTX_SWITCH,  /* waking a blocked process */
    COST_CPU_IPI,         /* inter-processor interrupt round trip */
    COST_PCIE_MMIO_WRITE, /* posted MMIO write (doorbell), CPU time */
    COST_PCIE_MMIO_READ,  /* non-posted MMIO read round trip */
    COST_PCIE_DMA,        /* one unloaded PCIe DMA transaction */
    COST_IOMMU_IOTLB_MISS,/* IOTLB miss: page walk */
    COST_NVME_READ,       /* NVMe flash read */
    COST_NET_LINUX_UDP,   /* Linux UDP echo per packet (baseline stack) */
    COST_CPU_IRQ_ENTRY,   /* interrupt entry + exit on a core */
    COST_PCIE_MSIX,       /* MSI-X message from device to core */
    COST_IOMMU_IOTLB_HIT, /* extra latency of a DMA whose IOTLB lookup hits */
    COST_NAND_READ,       /* NAND page read (tR) */
    COST_NAND_PROGRAM,    /* NAND page program (tPROG) */
    COST_NAND_XFER_4K,    /* one 4 KiB transfer over a NAND channel */
    COST_LLFLASH_PROGRAM, /* low-latency flash page program */
    COST_MEM_PMEM_WRITE,  /* persistent-memory write reaching persistence */
    COST_NVME_READY,      /* NVMe CC.EN change to CSTS.RDY following it */
    COST_CPU_CYCLE,       /* one core clock cycle (kernel/workload code estimates) */
    COST_COUNT
} cost_id_t;

typedef struct cost_desc {
    const char *name;   /* stable dotted name, e.g. "mem.dram" */
    double default_ns;
    const char *source;
} cost_desc_t;

typedef struct cost_table {
    const char *profile;        /* name of the profile it was built from */
    uint64_t ps[COST_COUNT];    /* values in force, picoseconds */
    unsigned char overridden[COST_COUNT]; /* 1 when set by the config */
} cost_table_t;

extern const cost_desc_t cost_desc[COST_COUNT];

/* Build from a profile name; -1 when the profile does not exist. */
int cost_table_init(cost_table_t *t, const char *profile);
/* Names of the profiles, NULL-terminated (for help and error messages). */
const char *const *cost_profiles(void);
/* Id of a cost name, or -1. */
int cost_lookup(const char *name);
/* Override one entry; ns must be finite, >= 0 and <= 1e12; -1 otherwise. */
int cost_set_ns(cost_table_t *t, cost_id_t id, double ns);

static inline uint64_t cost_ps(const cost_table_t *t, cost_id_t id)
{
    return t->ps[id];
}

#endif
