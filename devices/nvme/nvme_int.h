/* devices/nvme/nvme_int.h: internals shared by the files of the NVMe
 * controller (folder-private; the public contract is devices/nvme.h).
 *
 *   regs.c   create/destroy, the register file (MMIO), CC.EN handshake,
 *            controller reset, doorbell decoding
 *   queue.c  queue state, SQE fetch, command dispatch, completion posting
 *            (CQ full hold), interrupts and coalescing, command pool
 *   admin.c  admin command set: Identify, Get/Set Features, Create/Delete
 *            I/O SQ/CQ, Asynchronous Event Request
 *   io.c     NVM command set: Read, Write, Flush; PRP walking; data DMA
 *   media.c  NAND / low-latency flash / persistent memory timing
 *
 * Command life: a tail doorbell makes queue.c fetch the new SQEs by DMA;
 * at the fetch's completion each command is executed (admin.c or io.c),
 * which ends, now or from a later event, in nvme_complete(); queue.c turns
 * that into a CQE write by DMA and, when that lands, an interrupt. */
#ifndef PARASIM_DEVICES_NVME_INT_H
#define PARASIM_DEVICES_NVME_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/le.h"
#include "devices/nvme.h"
#include "sim/engine.h"

struct mem;

/* ------------------------------------------------------------ registers
 * NVMe 1.4, 3.1 (Figure 67) and 3.1.1-3.1.11. */
#define NVME_REG_CAP   0x00u /* 8 B, RO */
#define NVME_REG_VS    0x08u
#define NVME_REG_INTMS 0x0Cu
#define NVME_REG_INTMC 0x10u
#define NVME_REG_CC    0x14u
#define NVME_REG_CSTS  0x1Cu
#define NVME_REG_NSSR  0x20u
#define NVME_REG_AQA   0x24u
#define NVME_REG_ASQ   0x28u /* 8 B */
#define NVME_REG_ACQ   0x30u /* 8 B */
#define NVME_REG_DB    0x1000u

#define NVME_VS_1_4 0x00010400u

#define NVME_CC_EN        (1u << 0)
#define NVME_CC_CSS(cc)   (((cc) >> 4) & 0x7u)
#define NVME_CC_MPS(cc)   (((cc) >> 7) & 0xFu)
#define NVME_CC_AMS(cc)   (((cc) >> 11) & 0x7u)
#define NVME_CC_SHN(cc)   (((cc) >> 14) & 0x3u)
#define NVME_CC_IOSQES(cc) (((cc) >> 16) & 0xFu)
#define NVME_CC_IOCQES(cc) (((cc) >> 20) & 0xFu)
#define NVME_CC_WRITABLE  0x00FFFFF1u /* EN, CSS, MPS, AMS, SHN, IOSQES, IOCQES */

#define NVME_CSTS_RDY       (1u << 0)
#define NVME_CSTS_CFS       (1u << 1)
#define NVME_CSTS_SHST_SHIFT 2
#define NVME_SHST_NORMAL    0u
#define NVME_SHST_OCCURRING 1u
#define NVME_SHST_COMPLETE  2u

#define NVME_MPSMIN 0u /* 4 KiB */
#define NVME_MPSMAX 4u /* 64 KiB */
#define NVME_SQES_LOG2 6u /* 64 B SQE */
#define NVME_CQES_LOG2 4u /* 16 B CQE */
#define NVME_SQE_SIZE 64u
#define NVME_CQE_SIZE 16u

/* MDTS: the largest transfer, 2^MDTS units of CAP.MPSMIN (4 KiB):
 * 2^5 * 4 KiB = 128 KiB, a common SSD figure (Linux caps I/O at it). */
#define NVME_MDTS 5u
#define NVME_MAX_XFER (UINT32_C(4096) << NVME_MDTS)
/* Data segments of one command: one per page, plus one for an offset. */
#define NVME_MAX_SEGS (NVME_MAX_XFER / 4096u + 1u)

#define NVME_AERL 3u            /* Identify AERL: 4 outstanding AERs (0's based) */
#define NVME_AE_QUEUE 8u        /* events kept while no AER is outstanding */
#define NVME_AE_TYPE_ERROR 0u   /* Figure 146: Error status */
#define NVME_AE_INVALID_DB 0x00u      /* write to invalid doorbell register */
#define NVME_AE_INVALID_DB_VALUE 0x01u /* invalid doorbell write value */
#define NVME_LOG_ERROR_INFO 0x01u

/* ------------------------------------------------------------ status
 * Status field (Figure 124): SC bits 7:0, SCT bits 10:8, DNR bit 14; in
 * CQE DW3 it sits at bits 31:17, above the phase tag (bit 16). */
#define NVME_SCT_GENERIC 0u
#define NVME_SCT_CMD     1u
#define NVME_DNR 0x4000u
#define NVME_ST(sct, sc) ((uint16_t)(NVME_DNR | (sct) << 8 | (sc)))
#define NVME_OK 0u
/* Generic command status (Figure 127). */
#define NVME_SC_INVALID_OPCODE NVME_ST(NVME_SCT_GENERIC, 0x01)
#define NVME_SC_INVALID_FIELD  NVME_ST(NVME_SCT_GENERIC, 0x02)
#define NVME_SC_DATA_XFER      ((uint16_t)(NVME_SCT_GENERIC << 8 | 0x04)) /* retryable */
#define NVME_SC_INVALID_NS     NVME_ST(NVME_SCT_GENERIC, 0x0B)
#define NVME_SC_CMD_SEQ        NVME_ST(NVME_SCT_GENERIC, 0x0C)
#define NVME_SC_PRP_OFFSET     NVME_ST(NVME_SCT_GENERIC, 0x13)
#define NVME_SC_LBA_RANGE      NVME_ST(NVME_SCT_GENERIC, 0x80)
/* Command specific status (Figure 128). */
#define NVME_SC_CQ_INVALID     NVME_ST(NVME_SCT_CMD, 0x00)
#define NVME_SC_QID_INVALID    NVME_ST(NVME_SCT_CMD, 0x01)
#define NVME_SC_QSIZE_INVALID  NVME_ST(NVME_SCT_CMD, 0x02)
#define NVME_SC_AER_LIMIT      NVME_ST(NVME_SCT_CMD, 0x05)
#define NVME_SC_IV_INVALID     NVME_ST(NVME_SCT_CMD, 0x08)
#define NVME_SC_Q_DELETION     NVME_ST(NVME_SCT_CMD, 0x0C)
#define NVME_SC_NOT_SAVEABLE   NVME_ST(NVME_SCT_CMD, 0x0D)

/* ------------------------------------------------------------ opcodes */
enum nvme_admin_opcode { /* Figure 139 */
    NVME_ADM_DELETE_SQ = 0x00,
    NVME_ADM_CREATE_SQ = 0x01,
    NVME_ADM_DELETE_CQ = 0x04,
    NVME_ADM_CREATE_CQ = 0x05,
    NVME_ADM_IDENTIFY = 0x06,
    NVME_ADM_SET_FEATURES = 0x09,
    NVME_ADM_GET_FEATURES = 0x0A,
    NVME_ADM_AER = 0x0C,
};

enum nvme_io_opcode { /* NVM command set, Figure 346 */
    NVME_IO_FLUSH = 0x00,
    NVME_IO_WRITE = 0x01,
    NVME_IO_READ = 0x02,
};

enum nvme_feature { /* Figure 271 */
    NVME_FEAT_NUM_QUEUES = 0x07,
    NVME_FEAT_IRQ_COALESCE = 0x08,
    NVME_FEAT_IRQ_CONFIG = 0x09,
};

typedef enum nvme_dir { NVME_DIR_NONE, NVME_DIR_TO_DEV, NVME_DIR_TO_HOST } nvme_dir_t;

typedef struct nvme_op_attr {
    const char *name; /* NULL: not implemented */
    nvme_dir_t dir;   /* data transfer direction */
} nvme_op_attr_t;

extern const nvme_op_attr_t nvme_admin_ops[256];
extern const nvme_op_attr_t nvme_io_ops[256];

/* ------------------------------------------------------------ commands */
typedef struct nvme_seg {
    uint64_t addr; /* device (IOMMU input) address */
    uint32_t len;  /* bytes */
} nvme_seg_t;

/* A command from fetch to completion.  Lives in exactly one place: an
 * engine event (its argument), a CQ's hold list, the AER list, an SQ's
 * pending delete, or the free list. */
typedef struct nvme_cmd {
    struct nvme *ctrl;
    struct nvme_cmd *next;     /* hold list / AER list / free list */
    struct nvme_cmd *all_next; /* every command allocated, for destroy */
    void (*step)(struct nvme_cmd *m); /* what its pending event does next */
    uint64_t gen;              /* controller generation at fetch (reset check) */
    uint8_t sqe[NVME_SQE_SIZE];
    uint8_t cqe[NVME_CQE_SIZE];
    uint16_t sqid;
    uint16_t cqid;             /* set when completed */
    uint16_t status;           /* status field (NVME_SC_*) */
    uint32_t result;           /* CQE DW0 */
    uint64_t ns_off;           /* namespace byte offset (Read/Write) */
    uint32_t len;              /* data bytes */
    unsigned nsegs;
    nvme_seg_t segs[NVME_MAX_SEGS];
} nvme_cmd_t;

/* SQE fields (Figure 105): CDW0 opcode 7:0, FUSE 9:8, PSDT 15:14, CID
 * 31:16; NSID at byte 4; PRP1 at 24; PRP2 at 32; CDWn at 4n. */
static inline uint8_t nvme_sqe_opcode(const nvme_cmd_t *m) { return m->sqe[0]; }
static inline unsigned nvme_sqe_fuse(const nvme_cmd_t *m) { return m->sqe[1] & 0x3u; }
static inline unsigned nvme_sqe_psdt(const nvme_cmd_t *m) { return (m->sqe[1] >> 6) & 0x3u; }
static inline uint16_t nvme_sqe_cid(const nvme_cmd_t *m)
{
    return (uint16_t)(m->sqe[2] | m->sqe[3] << 8);
}
static inline uint32_t nvme_sqe_nsid(const nvme_cmd_t *m) { return le_get32(m->sqe + 4); }
static inline uint64_t nvme_sqe_prp1(const nvme_cmd_t *m) { return le_get64(m->sqe + 24); }
static inline uint64_t nvme_sqe_prp2(const nvme_cmd_t *m) { return le_get64(m->sqe + 32); }
static inline uint32_t nvme_sqe_cdw(const nvme_cmd_t *m, unsigned n) { return le_get32(m->sqe + 4 * n); }

/* ------------------------------------------------------------ queues
 * NVMe queues are the spec's rings, not the project's power-of-two
 * free-running rings: any size from 2 to MQES + 1, indices in
 * [0, size), empty when head == tail, full when head == tail + 1 (mod
 * size).  Ownership: the host (k) produces SQ entries and moves the SQ
 * tail by doorbell; the device (d) consumes them and moves the SQ head,
 * which it reports in every CQE.  The device produces CQ entries (phase
 * tag inverted on each pass) and moves the CQ tail; the host consumes
 * them and returns slots with the CQ head doorbell. */
typedef struct nvme_sq {
    bool exists;
    bool deleting;         /* Delete I/O SQ waiting for in-flight commands */
    uint16_t cqid;         /* (k) CQ its completions go to */
    uint32_t size;         /* (k) entries */
    uint64_t base;         /* (k) device address of entry 0 */
    uint32_t tail;         /* (k) last tail doorbell value */
    uint32_t head;         /* (d) next entry to fetch */
    uint32_t inflight;     /* (d) fetched, not yet completed */
    nvme_cmd_t *delete_cmd;/* (d) the pending Delete I/O SQ command */
} nvme_sq_t;

typedef struct nvme_cq {
    bool exists;
    bool ien;              /* (k) interrupts enabled */
    uint16_t iv;           /* (k) MSI-X vector */
    uint32_t size;         /* (k) entries */
    uint64_t base;         /* (k) device address of entry 0 */
    uint32_t head;         /* (k) last head doorbell value */
    uint32_t tail;         /* (d) next entry to write */
    uint8_t phase;         /* (d) phase tag written on this pass, starts 1 */
    uint32_t sq_refs;      /* (d) SQs bound to it */
    nvme_cmd_t *hold_head, *hold_tail; /* (d) completions waiting for room */
} nvme_cq_t;

/* Interrupt aggregation per MSI-X vector (Features 08h/09h). */
typedef struct nvme_vec {
    bool no_coalesce;      /* Interrupt Vector Configuration CD */
    uint32_t pending;      /* completions not yet signalled */
    sim_event_t timer;     /* aggregation time deadline, 0 = none */
} nvme_vec_t;

typedef struct nvme_media nvme_media_t;

struct nvme {
    sim_t *sim;
    pcie_dev_t *dev;
    const struct cost_table *costs;
    nvme_cfg_t cfg;
    /* registers */
    uint64_t cap;
    uint32_t cc, csts, aqa, intms;
    uint64_t asq, acq;
    uint32_t page_size;    /* from CC.MPS, latched at enable */
    uint32_t db_stride;    /* 4 << DSTRD */
    uint64_t gen;          /* bumped by every controller reset */
    sim_event_t ready_ev, shn_ev;
    /* queues: [0] admin, [1..io_queues] I/O */
    nvme_sq_t *sq;
    nvme_cq_t *cq;
    unsigned nsqa, ncqa;   /* I/O queues allocated (Number of Queues), 1-based */
    unsigned io_sq_live, io_cq_live;
    /* features */
    uint8_t coal_thr, coal_time; /* 0's based threshold; 100 us units */
    nvme_vec_t *vec;       /* [msix_vectors] */
    /* asynchronous events */
    nvme_cmd_t *aer_head, *aer_tail;
    unsigned aer_count;
    uint32_t ae[NVME_AE_QUEUE];
    unsigned nae;
    /* namespace */
    struct mem *store;     /* the namespace's bytes */
    uint64_t ns_bytes;
    nvme_media_t *media;
    uint8_t *scratch;      /* NVME_MAX_XFER bytes, one transfer at a time */
    /* command pool */
    nvme_cmd_t *free_cmds, *all_cmds;
    nvme_stats_t st;
    nvme_observer_fn obs;  /* nvme_set_observer; NULL: none */
    void *obs_ctx;
};

/* regs.c */
void nvme_guest_error(nvme_t *c);

/* queue.c */
void nvme_sq_setup(nvme_t *c, uint16_t qid, uint64_t base, uint32_t size, uint16_t cqid);
void nvme_cq_setup(nvme_t *c, uint16_t qid, uint64_t base, uint32_t size, bool ien, uint16_t iv);
void nvme_sq_remove(nvme_t *c, uint16_t qid);
void nvme_cq_remove(nvme_t *c, uint16_t qid);
void nvme_queues_reset(nvme_t *c);
void nvme_sq_doorbell(nvme_t *c, uint16_t qid, uint32_t val);
void nvme_cq_doorbell(nvme_t *c, uint16_t qid, uint32_t val);
/* A bad doorbell write: counted, and reported by asynchronous event. */
void nvme_doorbell_error(nvme_t *c, uint8_t info);
uint32_t nvme_pasid(const nvme_t *c, uint16_t qid);
nvme_cmd_t *nvme_cmd_alloc(nvme_t *c);
void nvme_cmd_free(nvme_cmd_t *m);
void nvme_cmds_destroy(nvme_t *c);
/* Complete m now: its CQE goes to its SQ's CQ. */
void nvme_complete(nvme_cmd_t *m, uint16_t status, uint32_t result);
/* Complete m at time t (>= now) with m->status and m->result. */
void nvme_complete_at(nvme_cmd_t *m, sim_time_t t);
/* Run fn(m) at time t unless the controller is reset meanwhile. */
void nvme_cmd_at(nvme_cmd_t *m, sim_time_t t, void (*fn)(nvme_cmd_t *m));
/* Tell the observer (nvme.h) about SQ qid: one branch when there is none. */
void nvme_observe_emit(nvme_t *c, nvme_event_kind_t kind, uint16_t qid);
static inline void nvme_observe(nvme_t *c, nvme_event_kind_t kind, uint16_t qid)
{
    if (c->obs)
        nvme_observe_emit(c, kind, qid);
}

/* admin.c */
void nvme_admin_exec(nvme_cmd_t *m);
void nvme_async_event(nvme_t *c, uint8_t type, uint8_t info, uint8_t log);
void nvme_admin_reset(nvme_t *c);

/* io.c */
void nvme_io_exec(nvme_cmd_t *m);
/* Map m's PRP1/PRP2 for len bytes into m->segs (PRP lists read by DMA);
 * *ready is when the list reads are done.  Returns a status. */
uint16_t nvme_prp_map(nvme_cmd_t *m, uint32_t len, sim_time_t *ready);
/* DMA buf to (to_host) or from m's segments; *done when all landed. */
uint16_t nvme_data_dma(nvme_cmd_t *m, uint8_t *buf, bool to_host, sim_time_t *done);

/* media.c */
nvme_media_t *nvme_media_create(nvme_media_kind_t kind, unsigned channels, unsigned dies,
                                const struct cost_table *costs);
void nvme_media_destroy(nvme_media_t *md);
/* Reserve the media for an access of len bytes at namespace byte offset
 * off starting no earlier than start; returns when it is done.  *pages
 * (if not NULL) receives the number of 4 KiB media pages touched. */
sim_time_t nvme_media_access(nvme_media_t *md, bool write, uint64_t off, uint64_t len,
                             sim_time_t start, uint64_t *pages);

#endif
