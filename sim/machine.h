/* sim/machine: one simulated host, assembled from a machine description:
 * cores, physical memory, the PCIe bus, the IOMMU, the NIC, the NVMe
 * controller, per-core deadline timers and interrupt controllers -- and
 * the platform state the HAL (sim/hal.c) needs to run the parakernel on
 * it (the current entry, deferred posted MMIO writes, MMU maps, poll
 * watches).
 *
 * Physical address map (fixed; firmware would have assigned it):
 *   [0, mem_bytes)                 DRAM
 *   MACHINE_NIC_BAR  (+ NIC_BAR_SIZE)      the NIC, requester id 00:03.0
 *   MACHINE_NVME_BAR (+ nvme_bar_size())   the NVMe controller, 00:04.0
 *   MACHINE_IOMMU_BASE (+ IOMMU_MMIO_SIZE) the IOMMU's registers
 * Interrupts go to the cores' interrupt controllers (sim/irqc), which
 * charge interrupt entry and call the kernel's handlers through the HAL.
 *
 * A machine is bound to the HAL with machine_hal_bind() (one machine at a
 * time per host process: the kernel's state is static). */
#ifndef PARASIM_SIM_MACHINE_H
#define PARASIM_SIM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/iommu.h"
#include "devices/nic.h"
#include "devices/nvme.h"
#include "sim/cpu.h"
#include "sim/engine.h"

struct mem;
struct pcie;
struct timer_dev;
struct irqc;
struct cost_table;

#define MACHINE_NIC_BAR UINT64_C(0xF0000000)
#define MACHINE_NVME_BAR UINT64_C(0xF8000000)
#define MACHINE_IOMMU_BASE UINT64_C(0xFED90000)
#define MACHINE_NIC_RID 0x0018u  /* 00:03.0 */
#define MACHINE_NVME_RID 0x0020u /* 00:04.0 */
#define MACHINE_MAX_CORES 256u

typedef enum machine_iommu_mode {
    MACHINE_IOMMU_OFF,      /* no translation (the kernel leaves it disabled) */
    MACHINE_IOMMU_LEGACY,   /* requester-id domains */
    MACHINE_IOMMU_SCALABLE  /* per-PASID tables (queue-granular with the
                             * devices' pasid_per_queue) */
} machine_iommu_mode_t;

typedef struct machine_cfg {
    unsigned cores;             /* 1..MACHINE_MAX_CORES */
    uint64_t mem_bytes;         /* multiple of 2 MiB */
    bool nic_present;
    nic_cfg_t nic;              /* bar and rid are set by the machine */
    bool nvme_present;
    nvme_cfg_t nvme;            /* bar and rid are set by the machine */
    machine_iommu_mode_t iommu_mode;
    iommu_cfg_t iommu;
    sim_time_t poll_detect_ps;  /* a polling loop notices a device write
                                 * this long after it lands (one poll
                                 * iteration); see sim/proc.h */
} machine_cfg_t;

/* Why a device write became visible to a polling core (see sim/proc.h). */
typedef void (*machine_watch_fn)(void *ctx, unsigned core, sim_time_t when);

typedef struct machine {
    sim_t *sim;
    const struct cost_table *costs;
    machine_cfg_t cfg;
    cpu_t *cores;               /* [cfg.cores] */
    struct mem *mem;
    struct pcie *bus;
    iommu_t *iommu;             /* always present; disabled unless the kernel
                                 * enables translation */
    nic_t *nic;                 /* NULL when absent */
    nvme_t *nvme;               /* NULL when absent */
    struct timer_dev *timers;
    struct irqc *irqc;
    struct machine_hal *hal;    /* platform state of sim/hal.c (private) */
} machine_t;

/* Sane defaults: 4 cores, 1 GiB, a 40 GbE NIC with 16 queues (Gen3 x16),
 * NVMe per nvme_cfg_default, IOMMU legacy with 64 IOTLB entries, poll
 * detection 20 ns (one loop iteration touching an LLC line: mem.llc). */
void machine_cfg_default(machine_cfg_t *cfg);

/* 0, or -1 with a one-line message (a device refused its config). */
int machine_create(machine_t *m, sim_t *sim, const struct cost_table *costs,
                   const machine_cfg_t *cfg, char *err, size_t errlen);
void machine_destroy(machine_t *m);

/* ---------------------------------------------------------------- HAL binding
 * The platform side of kernel/hal.h (implemented in sim/hal.c).
 *
 * machine_hal_bind: make m the machine the HAL functions act on.
 * machine_entry_begin/end: bracket one kernel entry (boot, a system call,
 * an interrupt handler) on `core` in `mode` (CPU_KERNEL or CPU_IRQ):
 * hal_cpu_id/hal_now/hal_charge act on that core; posted MMIO writes made
 * during the entry are delivered when the core's clock reaches them.
 * Entries nest (an interrupt handler runs inside no other entry in this
 * simulator, but boot may call anything).  An entry made outside the
 * engine (not from an event: boot, a test playing a process) runs the
 * engine up to its core's clock before each MMIO read, memory read and
 * hal_delay, so what it reads is as of its own time (sim/hal.c).
 * machine_set_watch: who to tell when a device writes memory a core polls
 * (hal_poll_watch ranges). */
void machine_hal_bind(machine_t *m);
void machine_entry_begin(machine_t *m, unsigned core, cpu_mode_t mode);
void machine_entry_end(machine_t *m);
void machine_set_watch(machine_t *m, machine_watch_fn fn, void *ctx);
/* Who to tell when an interrupt handler registered through the HAL has
 * returned on `core` (`when` = that core's clock after it): a process
 * polling there resumes its loop, a blocked one checks machine_take_wake. */
void machine_set_irq_return(machine_t *m, machine_watch_fn fn, void *ctx);

/* MMU view of a process (what hal_user_map granted): 0 when the process on
 * `core` may access [pa, pa + len) (for writing when write), else -1. */
int machine_user_access(const machine_t *m, unsigned core, uint64_t pa, uint64_t len, bool write);
/* The largest range [*lo, *end) around pa that the process on `core` may
 * access (for writing when write): 0, or -1 when pa itself is not granted.
 * Grants only ever widen access, so a caller may cache the range: every
 * access inside it stays allowed (sim/proc.c does, for pk_load/pk_store). */
int machine_user_span(const machine_t *m, unsigned core, uint64_t pa, bool write, uint64_t *lo,
                      uint64_t *end);

/* What the kernel asked of the process on `core` through hal_user_wait /
 * hal_user_wake since the flag was last cleared (sim/proc.c reads them). */
bool machine_take_wait(machine_t *m, unsigned core);
bool machine_take_wake(machine_t *m, unsigned core);

#endif
