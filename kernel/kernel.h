/* kernel/kernel.h: the parakernel as the platform sees it -- the boot
 * plan, the entry points, and the counters it reports.
 *
 * The platform (the simulator's sim/, or boot firmware on hardware) fills
 * a k_plan_t from its configuration and calls k_boot() on the boot core;
 * afterwards the kernel runs only in system calls (k_sys_enter, called
 * from the user ABI's pk_enter on the calling process's core) and in the
 * interrupt handlers it registered through the HAL.  There is one kernel
 * per machine (its state is static: no malloc); k_boot() starts it afresh
 * each time.
 *
 * Memory plan.  Physical memory holds, without overlap:
 *   - the kernel's region [kmem_base, + kmem_size): descriptor rings, the
 *     RX shadow areas, NVMe queues, IOMMU tables -- everything the kernel
 *     allocates (a bump allocator, never freed);
 *   - one partition per process [mem_base, + mem_size), 2 MiB aligned;
 *   - the devices' BARs, above physical memory.
 * Partition validation (k_boot refuses the plan with one message):
 * overlapping memory, a partition outside memory or not 2 MiB aligned, a
 * core given twice or not in the machine, more NIC queues or NVMe queues
 * than the devices have, more than PK_MAX_*_QUEUES per process, sizes that
 * are not powers of two. */
#ifndef PARAKERNEL_KERNEL_H
#define PARAKERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/pk.h"

#define K_PLAN_VERSION 1
#define K_MAX_PROCS 64
#define K_NAME_MAX 32
#define K_PART_ALIGN (UINT64_C(2) << 20) /* partitions are 2 MiB aligned */

enum k_iommu_mode {
    K_IOMMU_OFF = 0,   /* translation disabled: DMA addresses are physical */
    K_IOMMU_LEGACY,    /* one domain per device (requester id) */
    K_IOMMU_SCALABLE   /* one PASID per queue: queue-granular isolation
                        * (requires the devices' pasid_per_queue) */
};

typedef struct k_plan_proc {
    char name[K_NAME_MAX];
    unsigned core;          /* the core it runs on (one process per core) */
    uint64_t mem_base;      /* partition, physical, K_PART_ALIGN aligned */
    uint64_t mem_size;      /* multiple of K_PART_ALIGN */
    unsigned nic_queues;    /* NIC queue pairs, 0..PK_MAX_NIC_QUEUES */
    unsigned nvme_queues;   /* NVMe queue pairs, 0..PK_MAX_NVME_QUEUES */
    bool rx_traffic;        /* its NIC queues are in the RSS spread */
    unsigned max_timers;    /* armed timers at once, >= 1 */
} k_plan_proc_t;

typedef struct k_plan {
    uint32_t version;       /* K_PLAN_VERSION */
    uint64_t kmem_base, kmem_size; /* the kernel's region */
    unsigned sq_entries, cq_entries; /* per process, powers of two */
    unsigned rx_entries, tx_entries; /* NIC ring slots, multiples of 8, >= 16 */
    enum pk_mediation mediation;
    unsigned max_pools;     /* registered pools per process (pool mediation) */

    struct {
        bool present;
        uint64_t bar;       /* BAR (NIC_BAR_SIZE-like register file) */
        uint16_t rid;
        unsigned queues;    /* queue pairs the device has */
        unsigned vectors;   /* MSI-X vectors the device has */
        unsigned max_frame; /* bytes incl. FCS (MAXFRS) */
        uint8_t mac[6];
        uint8_t rss_key[40];
        uint32_t pasid_base;/* scalable IOMMU: queue q's PASID = base + q */
    } nic;
    struct {
        bool present;
        uint64_t bar;
        uint16_t rid;
        unsigned queue_entries; /* entries per I/O queue (<= CAP.MQES + 1) */
    } nvme;
    struct {
        enum k_iommu_mode mode;
        uint64_t base;      /* register file (IOMMU_MMIO_SIZE bytes) */
        unsigned fault_vector; /* MSI vector of fault events, on core 0 */
    } iommu;

    unsigned nprocs;
    k_plan_proc_t procs[K_MAX_PROCS];
} k_plan_t;

/* Boot on the current core.  0, or -1 with a one-line message in err
 * naming the process or device and what is wrong (the plan is refused
 * before any device is touched when the plan itself is inconsistent). */
int k_boot(const k_plan_t *plan, char *err, size_t errlen);

/* The system call behind pk_enter(), for the process on the current core
 * (its semantics are pk_enter's). */
int k_sys_enter(unsigned to_submit, unsigned min_complete, unsigned flags);

/* Physical address of a process's info block; 0 for no such process. */
uint64_t k_proc_info(unsigned pid);
/* The process running on a core, or -1. */
int k_proc_of_core(unsigned core);

/* ---------------------------------------------------------------- counters */
typedef struct k_proc_stats {
    uint64_t syscalls;            /* pk_enter calls */
    uint64_t sqes;                /* SQEs consumed */
    uint64_t ops[PK_OP_COUNT];    /* SQEs consumed, by opcode */
    uint64_t errors[PK_ERR_COUNT];/* refusals, by code */
    uint64_t cqes;                /* completions written */
    uint64_t descs_written;       /* device descriptors written for it */
    uint64_t doorbells;           /* doorbell (tail) MMIO writes for it */
    uint64_t mediated;            /* buffers validated and translated */
    uint64_t mediation_ps;        /* core time charged for that: validation,
                                   * descriptor writes, the batch's doorbells */
    uint64_t validate_ps;         /* of which validation and translation */
    uint64_t doorbell_ps;         /* of which doorbell MMIO writes */
    uint64_t batches;             /* pk_enter calls that wrote descriptors */
    uint64_t timers_fired;
    uint64_t waits, wakeups;      /* PK_ENTER_WAIT that blocked; wakes */
} k_proc_stats_t;

typedef struct k_stats {
    uint64_t irqs;                /* interrupt handler entries */
    uint64_t iommu_faults;        /* fault records read from the IOMMU */
    uint64_t nvme_errors;         /* completions with an error status */
    uint64_t timer_programs;      /* deadline timer writes */
} k_stats_t;

const k_stats_t *k_stats(void);
const k_proc_stats_t *k_proc_stats(unsigned pid); /* NULL: no such process */
unsigned k_nprocs(void);

#endif
