/* devices/iommu/iommu_int.h: internals shared by the files of the IOMMU
 * model (folder-private; nothing outside devices/iommu* includes it).
 *
 *   devices/iommu.c        the translation path, create/destroy, names
 *   devices/iommu/regs.c   the register file (VT-d 10.4) and the register-
 *                          based invalidation commands (VT-d 6.5.1)
 *   devices/iommu/walk.c   root / context / PASID / second-level walks in
 *                          simulated memory (VT-d 3.4-3.7, 9.1-9.8)
 *   devices/iommu/iotlb.c  the LRU hash both caches use, the IOTLB and the
 *                          context cache (VT-d 6.2)
 *   devices/iommu/fault.c  fault conditions -> reason codes, the fault
 *                          recording registers, the fault event (VT-d 7.1-7.3)
 *
 * The register layout and the bit positions below are VT-d rev. 3's; the
 * choices this model makes (offsets of the fault recording and IOTLB
 * registers, how many there are) are the VTD_FRO / VTD_IRO / VTD_NFR
 * values, reported to the kernel through CAP_REG and ECAP_REG. */
#ifndef PARASIM_DEVICES_IOMMU_INT_H
#define PARASIM_DEVICES_IOMMU_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/iommu.h"
#include "devices/irq.h"
#include "sim/engine.h"

struct mem;
struct cost_table;

/* ---------------------------------------------------------------- registers (VT-d 10.4) */
#define VTD_VER_REG     0x00u
#define VTD_CAP_REG     0x08u
#define VTD_ECAP_REG    0x10u
#define VTD_GCMD_REG    0x18u
#define VTD_GSTS_REG    0x1Cu
#define VTD_RTADDR_REG  0x20u
#define VTD_CCMD_REG    0x28u
#define VTD_FSTS_REG    0x34u
#define VTD_FECTL_REG   0x38u
#define VTD_FEDATA_REG  0x3Cu
#define VTD_FEADDR_REG  0x40u
#define VTD_FEUADDR_REG 0x44u
#define VTD_FRO         0x400u /* fault recording registers: CAP.FRO * 16 */
#define VTD_NFR         8u     /* how many: CAP.NFR + 1 */
#define VTD_IRO         0x500u /* IVA_REG; IOTLB_REG at +8: ECAP.IRO * 16 */
#define VTD_IVA_REG     (VTD_IRO + 0x0u)
#define VTD_IOTLB_REG   (VTD_IRO + 0x8u)
#define VTD_MAMV        18u    /* CAP.MAMV: largest IVA.AM honoured (1 GiB) */

#define VTD_GCMD_TE     (1u << 31)
#define VTD_GCMD_SRTP   (1u << 30)
#define VTD_GSTS_TES    (1u << 31)
#define VTD_GSTS_RTPS   (1u << 30)
#define VTD_FSTS_PFO    (1u << 0)
#define VTD_FSTS_PPF    (1u << 1)
#define VTD_FECTL_IM    (1u << 31)
#define VTD_FECTL_IP    (1u << 30)
#define VTD_FRCD_F      (UINT64_C(1) << 63)  /* in the upper qword */

/* RTADDR_REG.TTM (bits 11:10) */
#define VTD_TTM_LEGACY   0u
#define VTD_TTM_SCALABLE 1u

/* Address fields: table pointers are bits 63:12, page frames 51:12. */
#define VTD_PTR_MASK  UINT64_C(0xFFFFFFFFFFFFF000)
#define VTD_PFN_MASK  UINT64_C(0x000FFFFFFFFFF000)

/* ---------------------------------------------------------------- fault conditions */
/* What a walk or a permission check found wrong; fault.c maps each to the
 * header's iommu_fault_t kind and to the VT-d fault reason (legacy code /
 * scalable-mode code, VT-d 7.1.3 tables). */
typedef enum iommu_cond {
    IOMMU_C_OK = 0,
    IOMMU_C_RTA_INVALID,    /* RTA.1  TTM reserved / unsupported       30h      */
    IOMMU_C_ROOT_ACCESS,    /* LRT.1 / SRT.1 root entry read failed    08h/38h  */
    IOMMU_C_ROOT_NP,        /* LRT.2 / SRT.2 root entry not present    01h/39h  */
    IOMMU_C_CTX_ACCESS,     /* LCT.1 / SCT.1 context read failed       09h/40h  */
    IOMMU_C_CTX_NP,         /* LCT.2 / SCT.2 context not present       02h/41h  */
    IOMMU_C_CTX_INVALID,    /* LCT.4 / SCT.4 TT or AW not supported    03h/43h  */
    IOMMU_C_PASID_LEGACY,   /* PASID-tagged DMA in legacy mode         03h      */
    IOMMU_C_PASID_DISABLED, /* PASID-tagged DMA, context PASIDE = 0        43h  */
    IOMMU_C_PDIR_ACCESS,    /* SPD.1 PASID directory read failed           50h  */
    IOMMU_C_PDIR_NP,        /* SPD.2 PASID directory entry not present     51h  */
    IOMMU_C_PTBL_ACCESS,    /* SPT.1 PASID table read failed               58h  */
    IOMMU_C_PTBL_NP,        /* SPT.2 PASID table entry not present         59h  */
    IOMMU_C_PTBL_INVALID,   /* SPT.4 PGTT or AW not supported              5Bh  */
    IOMMU_C_ADDR_WIDTH,     /* LGN.1 / SGN.5 iova above the AW          04h/84h  */
    IOMMU_C_SL_ACCESS,      /* LSL.1 / SSL.1 page-table read failed     07h/78h  */
    IOMMU_C_SL_RSVD,        /* LSL.2 / SSL.2 PS where not supported     0Ch/79h  */
    IOMMU_C_SL_NP,          /* R = W = 0: reported as LGN.2/3, SGN.6/7          */
    IOMMU_C_WRITE,          /* LGN.2 / SGN.6 write without W            05h/85h  */
    IOMMU_C_READ,           /* LGN.3 / SGN.7 read without R             06h/86h  */
    IOMMU_C_COUNT
} iommu_cond_t;

/* ---------------------------------------------------------------- LRU hash */
/* Fully associative cache bookkeeping: a chained hash from a 128-bit key to
 * a slot, and an intrusive doubly linked list of the used slots from most
 * to least recently used.  Find, insert (evicting the LRU slot when full)
 * and remove are O(1) (remove walks one hash chain: the table has >= 2
 * buckets per slot).  Payloads live in the owner's parallel array. */
#define IOMMU_LRU_NIL UINT32_MAX

typedef struct iommu_key {
    uint64_t hi, lo;
} iommu_key_t;

typedef struct iommu_lru_node {
    iommu_key_t key;
    uint32_t hnext;      /* next slot in the hash chain */
    uint32_t prev, next; /* LRU list neighbours (next also links the free list) */
    bool used;
} iommu_lru_node_t;

typedef struct iommu_lru {
    iommu_lru_node_t *node;
    uint32_t *bucket;    /* head slot of each chain */
    uint32_t n;          /* slots */
    unsigned shift;      /* 64 - log2(buckets) */
    uint32_t mru, lru;   /* list ends, NIL when empty */
    uint32_t free;       /* free-slot list */
    uint64_t gen;        /* bumped by every insert and remove: while it
                          * stays, every find gives the slot it gave before */
} iommu_lru_t;

int iommu_lru_init(iommu_lru_t *c, uint32_t n);
void iommu_lru_fini(iommu_lru_t *c);
/* Slot holding key (made most recently used), or IOMMU_LRU_NIL. */
uint32_t iommu_lru_find(iommu_lru_t *c, iommu_key_t key);
/* A slot for a key not present: a free one, else the LRU one (evicted). */
uint32_t iommu_lru_insert(iommu_lru_t *c, iommu_key_t key);
void iommu_lru_remove(iommu_lru_t *c, uint32_t slot);
/* List surgery, inline: the translation memo (iommu.c) touches an entry
 * on most DMAs, as the finds it stands for would. */
static inline void iommu_lru_unlink(iommu_lru_t *c, uint32_t i)
{
    iommu_lru_node_t *x = &c->node[i];
    if (x->prev != IOMMU_LRU_NIL)
        c->node[x->prev].next = x->next;
    else
        c->mru = x->next;
    if (x->next != IOMMU_LRU_NIL)
        c->node[x->next].prev = x->prev;
    else
        c->lru = x->prev;
}

static inline void iommu_lru_push_front(iommu_lru_t *c, uint32_t i)
{
    c->node[i].prev = IOMMU_LRU_NIL;
    c->node[i].next = c->mru;
    if (c->mru != IOMMU_LRU_NIL)
        c->node[c->mru].prev = i;
    else
        c->lru = i;
    c->mru = i;
}

/* What a find that hits `slot` does to the list: make it the most recent. */
static inline void iommu_lru_touch(iommu_lru_t *c, uint32_t i)
{
    if (c->mru != i) {
        iommu_lru_unlink(c, i);
        iommu_lru_push_front(c, i);
    }
}

/* ---------------------------------------------------------------- cached state */
/* A resolved context (context cache payload): what the root, context and,
 * in scalable mode, PASID directory and table entries said for one
 * (requester id, PASID tag). */
typedef struct iommu_ctx {
    uint64_t slptptr;   /* second-level table root (physical) */
    uint32_t pasid;     /* IOTLB tag: effective PASID, IOMMU_NO_PASID in legacy */
    uint16_t did;       /* domain id */
    uint8_t levels;     /* 3 (39-bit) or 4 (48-bit); 0 = pass-through */
} iommu_ctx_t;

/* An IOTLB entry: one 4 KiB or 2 MiB translation. */
typedef struct iommu_tlbe {
    uint64_t iova;      /* page base */
    uint64_t pa;        /* frame base */
    uint32_t pasid;
    uint16_t did;
    uint8_t shift;      /* 12 or 21 */
    uint8_t perm;       /* effective permissions: bit 0 R, bit 1 W */
} iommu_tlbe_t;

#define IOMMU_PERM_R 1u
#define IOMMU_PERM_W 2u
#define IOMMU_CC_ENTRIES 1024u /* context-cache slots (not configurable) */
#define IOMMU_MEMO_BITS 6u     /* translation memos: 64 entries each, iommu.c */
#define IOMMU_F4K_BITS 10u     /* buckets of the IOTLB's 4 KiB-entry filter */

/* A translation served from the caches, remembered (iommu.c): for this
 * (rid, PASID, page: iova >> 12, or >> 21 in the 2 MiB memo), the
 * context cache and the IOTLB finds hit these slots, as long as neither
 * cache's gen moved. */
typedef struct iommu_memo {
    uint64_t page;      /* iova >> 12, or iova >> 21 */
    uint64_t cc_gen, tlb_gen;
    uint32_t pasid;
    uint32_t cc_slot, tlb_slot;
    uint16_t rid;
    bool valid;
} iommu_memo_t;

struct iommu {
    sim_t *sim;
    struct mem *mem;
    const struct cost_table *costs;
    irq_sink_t sink;
    iommu_stats_t stats;

    /* Registers.  (k) written by the kernel, (d) by the device. */
    uint64_t rtaddr;          /* (k) RTADDR_REG */
    uint64_t ccmd;            /* (k) CCMD_REG; (d) clears ICC, sets CAIG */
    uint64_t iva;             /* (k) IVA_REG */
    uint64_t iotlb;           /* (k) IOTLB_REG; (d) clears IVT, sets IAIG */
    uint32_t gsts;            /* (d) TES, RTPS */
    uint32_t fectl;           /* (k) IM; (d) IP */
    uint32_t fedata, feaddr, feuaddr; /* (k) fault-event MSI message */
    struct {
        uint64_t lo, hi;
    } frcd[VTD_NFR];          /* (d) records; (k) clears F */
    bool pfo;                 /* (d) FSTS.PFO; (k) clears */
    uint8_t fri;              /* (d) FSTS.FRI */
    uint8_t frcd_next;        /* (d) next recording register to use */

    /* Latched by GCMD.SRTP: translation never reads RTADDR_REG directly. */
    uint64_t root;
    unsigned ttm;

    iommu_lru_t tlb;          /* IOTLB bookkeeping ... */
    iommu_tlbe_t *tlbe;       /* ... and payloads */
    iommu_lru_t cc;           /* context cache bookkeeping ... */
    iommu_ctx_t *cce;         /* ... and payloads */
    iommu_memo_t memo[1u << IOMMU_MEMO_BITS];   /* by 4 KiB page */
    iommu_memo_t memo2m[1u << IOMMU_MEMO_BITS]; /* by 2 MiB page: see iommu.c */
    uint32_t f4k[1u << IOMMU_F4K_BITS]; /* 4 KiB IOTLB entries per hash of
                                         * (domain, PASID, 2 MiB region) */

    sim_event_t fe_event;     /* fault-event message in flight, 0 = none */
    uint64_t guest_errors;    /* misuse of the register file (ignored writes,
                               * bad access sizes, undeliverable messages) */
    iommu_observer_fn obs;    /* iommu_set_observer; NULL: none */
    void *obs_ctx;
};

/* walk.c: resolve a context, or walk the second-level tables for iova
 * (leaf in *e: iova/pa/shift/perm). */
iommu_cond_t iommu_walk_ctx(iommu_t *io, uint16_t rid, uint32_t pasid, iommu_ctx_t *ctx);
iommu_cond_t iommu_walk_sl(iommu_t *io, const iommu_ctx_t *ctx, uint64_t iova, iommu_tlbe_t *e);

/* iotlb.c */
const iommu_tlbe_t *iommu_tlb_lookup(iommu_t *io, const iommu_ctx_t *ctx, uint64_t iova);
const iommu_tlbe_t *iommu_tlb_insert(iommu_t *io, const iommu_ctx_t *ctx, const iommu_tlbe_t *e);
/* 4 KiB IOTLB entries of (did, pasid) whose 2 MiB region hashes as iova's
 * does: 0 means there is none in iova's region. */
uint32_t iommu_tlb_4k_near(const iommu_t *io, uint16_t did, uint32_t pasid, uint64_t iova);
void iommu_tlb_flush_all(iommu_t *io);
void iommu_tlb_flush_domain(iommu_t *io, uint16_t did);
void iommu_tlb_flush_pages(iommu_t *io, uint16_t did, uint64_t addr, unsigned am);
const iommu_ctx_t *iommu_cc_lookup(iommu_t *io, uint16_t rid, uint32_t pasid);
const iommu_ctx_t *iommu_cc_insert(iommu_t *io, uint16_t rid, uint32_t pasid,
                                   const iommu_ctx_t *ctx);
void iommu_cc_flush_all(iommu_t *io);
void iommu_cc_flush_domain(iommu_t *io, uint16_t did);
void iommu_cc_flush_device(iommu_t *io, uint16_t sid, unsigned fm);

/* fault.c */
iommu_fault_t iommu_fault(iommu_t *io, uint16_t rid, uint32_t pasid, uint64_t iova, bool write,
                          iommu_cond_t c);
uint32_t iommu_fault_read_fsts(const iommu_t *io);
void iommu_fault_write_fsts(iommu_t *io, uint32_t v);
void iommu_fault_write_fectl(iommu_t *io, uint32_t v);
void iommu_fault_clear_frcd(iommu_t *io, unsigned i);
void iommu_fault_cancel(iommu_t *io);

#endif
