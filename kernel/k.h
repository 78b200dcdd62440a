/* kernel/k.h: kernel internals shared between the kernel's files
 * (folder-private; the platform sees kernel.h, processes include/pk.h).
 *
 * Files:
 *   boot.c      plan validation, the kernel-memory allocator, process
 *               setup (info block, SQ/CQ, MMU maps, poll watches), k_boot
 *   sys.c       k_sys_enter: SQ consumption, dispatch by opcode, batching
 *               (one doorbell per device queue per call), waiting
 *   mediate.c   buffer validation and translation: range checks, or
 *               registered pools (PK_OP_POOL_REGISTER)
 *   cq.c        completion posting
 *   ktimer.c    per-process timers multiplexed on the core's deadline timer
 *   drv_nic.c   82599-class NIC driver (rings, RSS, Flow Director, MSI-X)
 *   drv_nvme.c  NVMe driver (admin queue, one I/O queue pair per process queue)
 *   drv_iommu.c VT-d driver (root/context/PASID tables, page tables, faults)
 *   kstats.c    counters, k_stats/k_proc_stats
 *   abi.c       pk_err_name, pk_op_name
 *   klib.c      k_memcpy/k_memset/k_strlcpy and a tiny formatter for boot
 *               error messages (freestanding: no libc)
 *
 * Costs the kernel charges (through hal_charge, ids resolved at boot into
 * k_cost): every path charges the cycles of the code it stands for and the
 * memory lines it touches; the figures are in the files that charge them.
 *
 * Concurrency: one process per core, and a process's state is touched only
 * by entries on its core (its system calls, and interrupts routed to its
 * core), so no locks are needed.  Device-wide state (the NIC's RETA and
 * Flow Director table, the NVMe admin queue) is touched at boot and by
 * FLOW_STEER, which runs on the caller's core: on real hardware FLOW_STEER
 * would take a lock; the simulator runs entries one at a time. */
#ifndef PARAKERNEL_K_H
#define PARAKERNEL_K_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "include/pk.h"
#include "kernel.h"

#define K_MAX_TIMERS 256  /* per process upper bound for max_timers */
#define K_MAX_POOLS 8     /* per process */
#define K_MAX_STEER 1024  /* Flow Director rules, device-wide */
#define K_MAX_NVME_QUEUES 256

/* Added by KCORE (boot.c, sys.c, ktimer.c), shared with the drivers: */
#define K_TIMER_VECTOR 0xEFu   /* every core's deadline-timer vector (ktimer.c);
                                * drivers and the IOMMU fault vector avoid it */
#define K_RX_BUF_SIZE 2048u    /* the packet buffer size drv_nic.c programs in
                                * SRRCTL.BSIZEPACKET: pk_info.rx_buf_min, and
                                * the shortest NET_RX_REFILL buffer (sys.c) */
#define K_BLK_MAX_LEN (128u << 10) /* longest BLK_READ/WRITE (sys.c): 32 pages,
                                * one PRP list page in drv_nvme.c */
/* Added by KDRV (drv_nic.c, drv_nvme.c): interrupt vectors on the owning
 * process's core (one process per core, so each core's vectors are its
 * own process's); the IOMMU fault vector (plan) must avoid them. */
#define K_NIC_VECTOR_BASE 0x40u /* + the queue's index among its owner's (< 16) */
#define K_NVME_VECTOR 0x50u     /* all of a process's NVMe queues */

/* ---------------------------------------------------------------- costs */
enum k_cost {
    KC_CYCLE,       /* cpu.cycle: one core clock cycle */
    KC_L1,          /* mem.l1: a line the core touched recently */
    KC_LLC,         /* mem.llc: a line shared with a device or another core */
    KC_COUNT
};
extern int k_cost[KC_COUNT]; /* HAL cost ids, resolved by k_boot */
static inline void k_charge(enum k_cost c, uint64_t n) { hal_charge_fast(k_cost[c], n); }

/* ---------------------------------------------------------------- timers */
typedef struct k_timer {
    uint64_t deadline;  /* ps */
    uint64_t user_data;
    uint64_t seq;       /* arm order: ties fire in arm order */
} k_timer_t;

typedef struct k_pool {
    uint64_t base;      /* physical, validated at registration */
    uint32_t buf_size, count;
} k_pool_t;

/* ---------------------------------------------------------------- processes */
typedef struct k_proc {
    unsigned pid;
    k_plan_proc_t plan;        /* as booted */
    uint64_t info;             /* info block = mem_base */
    uint64_t sq, cq;           /* ring addresses (header + entries) */
    uint32_t sq_entries, cq_entries;
    uint64_t ring_end;         /* [mem_base, ring_end): info + SQ + CQ */
    uint32_t sq_head;          /* (k) next SQE to consume, free-running */
    uint32_t cq_tail;          /* (k) next CQE slot, free-running */
    uint16_t nic_q[PK_MAX_NIC_QUEUES];   /* device queue ids */
    uint16_t nvme_q[PK_MAX_NVME_QUEUES]; /* NVMe queue ids */
    /* timers: a binary min-heap on (deadline, seq) */
    k_timer_t timers[K_MAX_TIMERS];
    unsigned ntimers;
    uint64_t timer_seq;
    k_pool_t pools[K_MAX_POOLS];
    unsigned npools;
    /* waiting (PK_ENTER_WAIT) */
    bool waiting;
    unsigned wait_min;
    k_proc_stats_t st;
} k_proc_t;

/* Kernel-wide state (boot.c). */
typedef struct k_state {
    k_plan_t plan;
    k_proc_t procs[K_MAX_PROCS];
    unsigned nprocs;
    int proc_of_core[256];      /* -1: none */
    uint64_t kmem_next;         /* bump allocator over the kernel region */
    k_stats_t st;
} k_state_t;
extern k_state_t k_state;

/* The process on the current core, or NULL. */
k_proc_t *k_current(void);

/* Kernel memory: size bytes aligned to align (a power of two), zeroed;
 * 0 when the region is exhausted. */
uint64_t k_alloc(uint64_t size, uint64_t align);

/* Interrupt handlers (drivers, timers) call this after harvesting into
 * p's CQ: when p waits (PK_ENTER_WAIT) and its condition now holds
 * (wait_min CQEs ready, or a frame on one of its RX rings), mask its
 * interrupts, clear waiting and wake it (hal_user_wake).  sys.c. */
void k_wake_check(k_proc_t *p);

/* ---------------------------------------------------------------- klib */
void *k_memcpy(void *dst, const void *src, size_t n);
void *k_memset(void *dst, int c, size_t n);
/* Append to a bounded message: strings and unsigned numbers.  The buffer
 * stays NUL-terminated; overflow truncates. */
typedef struct k_msg { char *buf; size_t len, cap; } k_msg_t;
void k_msg_init(k_msg_t *m, char *buf, size_t cap);
void k_msg_str(k_msg_t *m, const char *s);
void k_msg_u64(k_msg_t *m, uint64_t v);
void k_msg_hex(k_msg_t *m, uint64_t v);

/* ---------------------------------------------------------------- completions (cq.c) */
unsigned k_cq_room(const k_proc_t *p);
/* Write one CQE and publish the tail; -1 when the CQ is full. */
int k_cq_post(k_proc_t *p, uint64_t user_data, int32_t res, uint32_t flags);
/* CQEs ready for the process (tail - its head). */
unsigned k_cq_ready(const k_proc_t *p);

/* ---------------------------------------------------------------- mediation (mediate.c)
 * Validate the buffer an SQE names for process p and translate it to the
 * address the device is given (*dma).  min_align: required alignment of
 * the address (1, 2, 4...); max_len: the longest length the operation
 * takes (0 < len <= max_len).  Returns 0 or a PK_E code (positive).
 * Charges its own cost and adds it to p->st.mediation_ps. */
int k_mediate(k_proc_t *p, const struct pk_sqe *sqe, uint32_t min_align, uint32_t max_len,
              uint64_t *dma, uint64_t *user_addr);
/* PK_OP_POOL_REGISTER: res = pool id, or -PK_E... */
int k_pool_register(k_proc_t *p, const struct pk_sqe *sqe);

/* ---------------------------------------------------------------- timers (ktimer.c) */
int k_timer_arm(k_proc_t *p, uint64_t user_data, uint64_t deadline); /* 0 or PK_E code */
int k_timer_cancel(k_proc_t *p, uint64_t user_data);                 /* 0 or PK_E code */
/* Boot: register the timer vector on every core with a process. */
int k_timer_init(void);
/* Post completions for every timer of p due by now (as room allows). */
void k_timer_harvest(k_proc_t *p);

/* ---------------------------------------------------------------- NIC driver (drv_nic.c)
 * Queues are device queue ids.  Descriptor writes are batched: *_post
 * writes the descriptor and the shadow, k_nic_flush writes the tail
 * register(s) of every queue posted to since the last flush (one doorbell
 * per queue per batch).  All return 0 or a PK_E code. */
int k_nic_init(const k_plan_t *plan, char *err, size_t errlen);
/* RX view addresses for a queue (for the info block). */
uint64_t k_nic_rx_ring(unsigned q);
uint64_t k_nic_rx_shadow(unsigned q);
int k_nic_rx_post(unsigned q, uint64_t dma, uint64_t user_addr, uint32_t len);
int k_nic_tx_post(unsigned q, uint64_t dma, uint32_t len, uint64_t user_data);
void k_nic_flush(k_proc_t *p);
/* Post a completion for every transmitted descriptor of p's queues
 * (as CQ room allows). */
void k_nic_tx_harvest(k_proc_t *p);
/* A frame waits in one of p's RX rings (for PK_ENTER_WAIT). */
bool k_nic_rx_ready(const k_proc_t *p);
/* Install a Flow Director perfect filter to queue q; res = rule id or -PK_E. */
int k_nic_steer(unsigned q, const struct pk_flow *flow);
/* Enable or mask the interrupts of p's queues (waiting processes only). */
void k_nic_irq_enable(k_proc_t *p, bool on);

/* ---------------------------------------------------------------- NVMe driver (drv_nvme.c) */
int k_nvme_init(const k_plan_t *plan, char *err, size_t errlen);
/* Submit Read/Write/Flush on queue qid for [dma, + len) at lba; the
 * completion (user_data) comes through k_nvme_harvest.  0 or a PK_E code. */
int k_nvme_submit(unsigned qid, uint8_t pk_op, uint64_t dma, uint32_t len, uint64_t lba,
                  uint64_t user_data);
void k_nvme_flush(k_proc_t *p);
void k_nvme_harvest(k_proc_t *p);
bool k_nvme_ready(const k_proc_t *p); /* a completion waits in p's CQs */
void k_nvme_irq_enable(k_proc_t *p, bool on);
uint32_t k_nvme_lba_size(void);
uint64_t k_nvme_blocks(void);

/* ---------------------------------------------------------------- IOMMU driver (drv_iommu.c)
 * Boot order: k_iommu_init builds the translation structures for the
 * plan's partitions (identity-mapped: a buffer's device address is its
 * physical address; legacy mode: every partition in each device's domain;
 * scalable mode: each queue's PASID maps only its own process's
 * partition); the drivers then allocate their rings and map them with
 * k_iommu_map_ring; k_iommu_enable turns translation on.  Nothing else of
 * the kernel's region is ever mapped (IOMMU tables are not DMA-able).
 * With K_IOMMU_OFF all three do nothing and succeed. */
int k_iommu_init(const k_plan_t *plan, char *err, size_t errlen);
/* Map [pa, + len) for DMA by device rid: with pasid < 0 for the device's
 * untagged DMA (legacy domain, or RID_PASID in scalable mode), else for
 * that PASID only.  0, or -1 when out of kernel memory. */
int k_iommu_map_ring(uint16_t rid, int pasid, uint64_t pa, uint64_t len);
int k_iommu_enable(char *err, size_t errlen);

#endif
