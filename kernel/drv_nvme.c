/* kernel/drv_nvme.c: the NVMe driver (k.h, "NVMe driver"), NVMe 1.4.
 *
 * Purpose: one I/O queue pair per process queue, the commands built by the
 * kernel on the processes' behalf (descriptor mediation: buffers were
 * validated by mediate.c).  Registers and formats: drv_nvme_regs.h.
 *
 * Boot (k_nvme_init; spec 7.6.1 "Initialization"):
 *   1. read CAP: MQES (queue_entries must be <= MQES + 1), DSTRD, TO (the
 *      bound of every CSTS.RDY wait, 500 ms units), CSS (NVM), MPSMIN (the
 *      driver uses 4 KiB pages: MPSMIN must be 0);
 *   2. disable (CC.EN = 0) and wait for CSTS.RDY = 0 if it was on;
 *   3. admin SQ and CQ (K_NVME_ADMIN_ENTRIES) in kernel memory, AQA, ASQ,
 *      ACQ; CC = 64 B SQEs, 16 B CQEs, 4 KiB pages, round robin, EN; wait
 *      for CSTS.RDY (CSTS.CFS: the controller refused the setup);
 *   4. Identify Controller (MDTS) and Identify Namespace 1 (NSZE, the LBA
 *      format's LBADS); Set Features Number of Queues asking for the most
 *      (65535): the answer is what the controller supports, which the
 *      plan's queues must fit in and which places the MSI-X table (after
 *      the doorbells of that many queues, drv_nvme_regs.h);
 *   5. per process with NVMe queues one MSI-X vector (table entry 1 + its
 *      rank; entry 0 is the admin CQ's, left masked: boot polls), message
 *      to the process's core with CPU vector K_NVME_VECTOR, MASKED in the
 *      table: NVMe has no other per-vector mask, and processes poll;
 *      k_nvme_irq_enable unmasks it while the process waits (a completion
 *      that arrived meanwhile is pending in the PBA and fires at once);
 *   6. per process queue (qid from boot.c, p->nvme_q[]): a CQ (IEN, that
 *      vector) and an SQ bound to it, plan.nvme.queue_entries each, page
 *      aligned; a PRP-list area of PRP_LIST_BYTES per command slot; all
 *      mapped for the controller's DMA (k_iommu_map_ring: untagged, or
 *      PASID = qid in scalable mode, devices/nvme.h pasid_per_queue; the
 *      admin queue is untagged, PASID 0 = RID_PASID there).
 * Doorbell stride: with 4 << DSTRD >= 4 KiB every doorbell has a page of
 * its own (nv.db_own_page records it); the kernel rings them itself
 * either way (processes never write doorbells).
 *
 * Waiting at boot: CSTS.RDY and admin completions need the device to run,
 * i.e. simulated time to pass: the loops call hal_delay (a udelay that
 * lets the machine run), from POLL_FIRST_PS doubling to POLL_MAX_PS, and
 * give up after CAP.TO (RDY) or ADMIN_TIMEOUT_PS (a command).
 *
 * Data path (process context, owner's core):
 *   k_nvme_submit takes a free command id (at most entries - 1 in flight
 *   per queue: the CQ can always hold every completion, and the SQ never
 *   overflows since an unfetched SQE is an unfinished command), builds a
 *   Read / Write / Flush SQE with PRP1 = the buffer, PRP2 = the second
 *   page, or a PRP list (that command id's list slot) for transfers over
 *   two pages, and writes it at the SQ tail.  k_nvme_flush rings each
 *   dirty SQ's tail doorbell once per batch.  k_nvme_harvest consumes
 *   CQEs whose phase tag is the expected one (spec 4.6: the phase inverts
 *   on each pass), posts res = bytes (0 for Flush), or -PK_EIO with the
 *   status field (SCT << 8 | SC) in cqe.flags bits 31:16, while the
 *   process's CQ has room; then rings the CQ head doorbell once.
 *   k_nvme_ready is level-triggered: a CQE with the expected phase waits.
 *
 * Invariants: per queue busy <= entries - 1, the free command-id stack
 * holds the other ids; sq_tail, cq_head in [0, entries); phase is the tag
 * of the next valid CQE.
 *
 * Costs (sys.c charges the SQE's mem.llc line and counts it): submit 1
 * mem.l1 (command slot) + 1 mem.llc per PRP-list line + SUBMIT_CYCLES;
 * each CQE looked at 1 mem.llc (the controller wrote it) + CQE_CYCLES;
 * flush FLUSH_CYCLES per queue; MMIO by the HAL. */
#include "drv_nvme_regs.h"
#include "drv_util.h"

#define K_NVME_ADMIN_ENTRIES 16u
#define K_NVME_SLOTS 65536u     /* command slots over all I/O queues */
#define PRP_LIST_BYTES 256u     /* K_BLK_MAX_LEN / 4 KiB entries of 8 B */
#define NVME_PAGE 4096u
#define POLL_FIRST_PS UINT64_C(1000000)       /* 1 us */
#define POLL_MAX_PS UINT64_C(1000000000)      /* 1 ms */
#define ADMIN_TIMEOUT_PS UINT64_C(100000000000) /* 100 ms */

/* Submit: opcode switch, length and range checks (one divide for NLB,
 * ~25 cycles), id pop, 8 SQE field stores, PRP arithmetic, tail wrap:
 * ~60 cycles; + 2 per PRP-list entry (add, store). */
#define SUBMIT_CYCLES 60u
#define PRP_ENTRY_CYCLES 2u
/* One CQE: phase test, id check, slot load, status decode, id push, head
 * wrap and phase flip: ~12 cycles. */
#define CQE_CYCLES 12u
#define FLUSH_CYCLES 4u
#define IRQ_CYCLES 10u

typedef struct nvme_slot {
    uint64_t user_data;
    uint32_t len;
    uint8_t op;           /* PK_OP_BLK_* */
    bool busy;
} nvme_slot_t;

typedef struct nvme_queue {
    k_proc_t *owner;      /* NULL: not a process queue */
    uint64_t sq, cq, prp; /* physical */
    uint32_t sq_tail;     /* (k) next SQE slot */
    uint32_t cq_head;     /* (k) next CQE slot */
    uint8_t phase;        /* (k) tag of the next valid CQE (starts 1) */
    uint32_t busy;        /* commands in flight */
    uint32_t slot0;       /* its first slot in slots[] / free_ids[] */
    uint32_t nfree;       /* free ids on its stack */
    unsigned msix;        /* MSI-X table entry (its process's) */
    bool dirty;           /* SQ tail moved since the last flush */
} nvme_queue_t;

static struct {
    uint64_t bar;
    uint64_t cap;
    unsigned dstrd;
    bool db_own_page;     /* each doorbell on a page of its own */
    uint32_t entries;     /* per I/O queue */
    uint32_t io_queues;   /* I/O queue pairs the controller supports */
    uint64_t msix_table;  /* BAR offset */
    uint64_t asq, acq, idbuf;
    uint32_t a_tail, a_head;
    uint8_t a_phase;
    uint16_t a_cid;
    uint32_t lba_size, max_xfer;
    uint64_t blocks;
    nvme_queue_t q[K_MAX_NVME_QUEUES];
} nv;

static nvme_slot_t slots[K_NVME_SLOTS];
static uint16_t free_ids[K_NVME_SLOTS];

static void wr32(uint32_t off, uint32_t v) { hal_mmio_write32(nv.bar + off, v); }
static uint32_t rd32(uint32_t off) { return hal_mmio_read32(nv.bar + off); }

static uint32_t next(uint32_t i, uint32_t n) { return i + 1 == n ? 0 : i + 1; }

static nvme_queue_t *queue(unsigned qid)
{
    return qid < K_MAX_NVME_QUEUES && nv.q[qid].owner ? &nv.q[qid] : NULL;
}

/* ---------------------------------------------------------------- boot: waiting */

/* Wait until CSTS & mask == want, bounded by CAP.TO; -1 on timeout or CFS. */
static int wait_csts(uint32_t mask, uint32_t want)
{
    uint32_t to = NVME_CAP_TO(nv.cap);
    uint64_t limit = (uint64_t)(to ? to : 1) * NVME_TO_UNIT_PS, waited = 0, step = POLL_FIRST_PS;
    for (;;) {
        uint32_t csts = rd32(NVME_CSTS);
        if ((csts & mask) == want)
            return 0;
        if ((csts & NVME_CSTS_CFS) || waited >= limit)
            return -1;
        hal_delay(step);
        waited += step;
        step = step * 2 < POLL_MAX_PS ? step * 2 : POLL_MAX_PS;
    }
}

/* Run one admin command (boot only): 0 with the status field and DW0,
 * -1 when no completion came. */
static int admin(uint8_t *sqe, uint16_t *status, uint32_t *dw0)
{
    uint16_t cid = nv.a_cid++;
    drv_put16(sqe + NVME_SQE_CID, cid);
    hal_mem_write_fast(nv.asq + (uint64_t)nv.a_tail * NVME_SQE_BYTES, sqe, NVME_SQE_BYTES);
    nv.a_tail = next(nv.a_tail, K_NVME_ADMIN_ENTRIES);
    wr32(NVME_DB(nv.dstrd, 0, 0), nv.a_tail);
    uint64_t waited = 0, step = POLL_FIRST_PS;
    for (;;) {
        uint8_t cqe[NVME_CQE_BYTES];
        hal_mem_read_fast(nv.acq + (uint64_t)nv.a_head * NVME_CQE_BYTES, cqe, sizeof cqe);
        uint16_t st = drv_get16(cqe + NVME_CQE_STATUS);
        if ((st & 1u) == nv.a_phase) {
            nv.a_head = next(nv.a_head, K_NVME_ADMIN_ENTRIES);
            if (!nv.a_head)
                nv.a_phase ^= 1;
            wr32(NVME_DB(nv.dstrd, 0, 1), nv.a_head);
            if (drv_get16(cqe + NVME_CQE_CID) != cid)
                continue; /* a stale completion: not ours */
            *status = (uint16_t)(st >> 1);
            *dw0 = drv_get32(cqe + NVME_CQE_DW0);
            return 0;
        }
        if (waited >= ADMIN_TIMEOUT_PS)
            return -1;
        hal_delay(step);
        waited += step;
        step = step * 2 < POLL_MAX_PS ? step * 2 : POLL_MAX_PS;
    }
}

/* An admin command that must succeed; its DW0 in *dw0. */
static int admin_ok(uint8_t *sqe, uint32_t *dw0, const char *what, char *err, size_t errlen)
{
    uint16_t st = 0;
    if (admin(sqe, &st, dw0) < 0) {
        k_msg_t m;
        k_msg_init(&m, err, errlen);
        k_msg_str(&m, "nvme: no completion for ");
        k_msg_str(&m, what);
        return -1;
    }
    if (NVME_STATUS_CODE(st)) {
        k_msg_t m;
        k_msg_init(&m, err, errlen);
        k_msg_str(&m, "nvme: ");
        k_msg_str(&m, what);
        k_msg_str(&m, " failed with status ");
        k_msg_hex(&m, NVME_STATUS_CODE(st));
        return -1;
    }
    return 0;
}

static void sqe_init(uint8_t *sqe, uint8_t opcode, uint32_t nsid, uint64_t prp1)
{
    k_memset(sqe, 0, NVME_SQE_BYTES);
    sqe[0] = opcode;
    drv_put32(sqe + NVME_SQE_NSID, nsid);
    drv_put64(sqe + NVME_SQE_PRP1, prp1);
}

/* ---------------------------------------------------------------- boot: controller */

static int check_cap(const k_plan_t *pl, char *err, size_t errlen)
{
    nv.cap = hal_mmio_read64(nv.bar + NVME_CAP);
    nv.dstrd = NVME_CAP_DSTRD(nv.cap);
    nv.db_own_page = (4u << nv.dstrd) >= NVME_PAGE;
    if (!NVME_CAP_CSS_NVM(nv.cap))
        return drv_fail0(err, errlen, "nvme: the controller lacks the NVM command set");
    if (NVME_CAP_MPSMIN(nv.cap) != 0)
        return drv_fail0(err, errlen, "nvme: the controller does not take 4 KiB pages");
    if (pl->nvme.queue_entries > NVME_CAP_MQES(nv.cap) + 1u)
        return drv_fail(err, errlen, "nvme: queue_entries is above CAP.MQES + 1 = ",
                        NVME_CAP_MQES(nv.cap) + 1u, "");
    unsigned total = 0;
    for (unsigned i = 0; i < k_state.nprocs; i++)
        total += k_state.procs[i].plan.nvme_queues;
    if ((uint64_t)total * (pl->nvme.queue_entries - 1) > K_NVME_SLOTS)
        return drv_fail(err, errlen, "nvme: queues x (queue_entries - 1) is above ",
                        K_NVME_SLOTS, " (K_NVME_SLOTS)");
    return 0;
}

static int enable(const k_plan_t *pl, char *err, size_t errlen)
{
    if ((rd32(NVME_CC) & NVME_CC_EN) || (rd32(NVME_CSTS) & NVME_CSTS_RDY)) {
        wr32(NVME_CC, 0);
        if (wait_csts(NVME_CSTS_RDY, 0) < 0)
            return drv_fail0(err, errlen, "nvme: the controller did not disable (CSTS.RDY)");
    }
    nv.asq = drv_alloc_pages(K_NVME_ADMIN_ENTRIES * NVME_SQE_BYTES);
    nv.acq = drv_alloc_pages(K_NVME_ADMIN_ENTRIES * NVME_CQE_BYTES);
    nv.idbuf = drv_alloc_pages(NVME_PAGE);
    if (!nv.asq || !nv.acq || !nv.idbuf)
        return drv_fail0(err, errlen, "nvme: out of kernel memory for the admin queue");
    if (k_iommu_map_ring(pl->nvme.rid, -1, nv.asq, NVME_PAGE) < 0 ||
        k_iommu_map_ring(pl->nvme.rid, -1, nv.acq, NVME_PAGE) < 0 ||
        k_iommu_map_ring(pl->nvme.rid, -1, nv.idbuf, NVME_PAGE) < 0)
        return drv_fail0(err, errlen, "nvme: cannot map the admin queue for DMA");
    nv.a_phase = 1;
    wr32(NVME_AQA, (K_NVME_ADMIN_ENTRIES - 1) << 16 | (K_NVME_ADMIN_ENTRIES - 1));
    hal_mmio_write64(nv.bar + NVME_ASQ, nv.asq);
    hal_mmio_write64(nv.bar + NVME_ACQ, nv.acq);
    wr32(NVME_CC, NVME_CC_IOCQES | NVME_CC_IOSQES | NVME_CC_EN);
    if (wait_csts(NVME_CSTS_RDY, NVME_CSTS_RDY) < 0)
        return drv_fail0(err, errlen, "nvme: the controller did not become ready (CSTS.RDY)");
    return 0;
}

static int identify(char *err, size_t errlen)
{
    uint8_t sqe[NVME_SQE_BYTES], b[NVME_PAGE / 16];
    uint32_t dw0;
    sqe_init(sqe, NVME_ADM_IDENTIFY, 0, nv.idbuf);
    drv_put32(sqe + NVME_SQE_CDW10, NVME_CNS_CTRL);
    if (admin_ok(sqe, &dw0, "Identify Controller", err, errlen) < 0)
        return -1;
    hal_mem_read_fast(nv.idbuf, b, sizeof b);
    uint32_t mdts = b[NVME_IDC_MDTS];
    nv.max_xfer = K_BLK_MAX_LEN;
    if (mdts && mdts < 20 && (NVME_PAGE << mdts) < nv.max_xfer)
        nv.max_xfer = NVME_PAGE << mdts;
    sqe_init(sqe, NVME_ADM_IDENTIFY, 1, nv.idbuf);
    drv_put32(sqe + NVME_SQE_CDW10, NVME_CNS_NS);
    if (admin_ok(sqe, &dw0, "Identify Namespace", err, errlen) < 0)
        return -1;
    hal_mem_read_fast(nv.idbuf, b, sizeof b);
    nv.blocks = drv_get64(b + NVME_IDN_NSZE);
    unsigned fmt = b[NVME_IDN_FLBAS] & 0xFu;
    unsigned lbads = b[NVME_IDN_LBAF0 + 4 * fmt + 2];
    if (lbads < 9 || lbads > 12 || !nv.blocks)
        return drv_fail(err, errlen, "nvme: namespace 1 has an unusable LBA size 2^", lbads, "");
    nv.lba_size = 1u << lbads;
    return 0;
}

static int set_queues(char *err, size_t errlen)
{
    uint8_t sqe[NVME_SQE_BYTES];
    uint32_t dw0 = 0;
    sqe_init(sqe, NVME_ADM_SET_FEATURES, 0, 0);
    drv_put32(sqe + NVME_SQE_CDW10, NVME_FEAT_NUM_QUEUES);
    drv_put32(sqe + NVME_SQE_CDW11, 0xFFFEu << 16 | 0xFFFEu); /* 65535 each, 0's based */
    if (admin_ok(sqe, &dw0, "Set Features (Number of Queues)", err, errlen) < 0)
        return -1;
    uint32_t nsq = (dw0 & 0xFFFFu) + 1, ncq = (dw0 >> 16) + 1;
    nv.io_queues = nsq < ncq ? nsq : ncq;
    unsigned total = 0;
    for (unsigned i = 0; i < k_state.nprocs; i++)
        total += k_state.procs[i].plan.nvme_queues;
    if (total > nv.io_queues)
        return drv_fail(err, errlen, "nvme: the processes ask for more I/O queues than the ",
                        nv.io_queues, " the controller has");
    nv.msix_table = drv_round_up(NVME_DB(nv.dstrd, nv.io_queues + 1, 0), NVME_PAGE);
    return 0;
}

/* ---------------------------------------------------------------- boot: I/O queues */

static void nvme_irq(void *ctx, unsigned vector);

/* Table entry e: message to the process's core, left masked. */
static int setup_vector(k_proc_t *p, unsigned e)
{
    uint32_t off = (uint32_t)nv.msix_table + e * NVME_MSIX_ENTRY;
    wr32(off + 0, MSI_ADDR(p->plan.core));
    wr32(off + 4, 0);
    wr32(off + 8, K_NVME_VECTOR);
    wr32(off + 12, NVME_MSIX_MASKED);
    return hal_irq_register(p->plan.core, K_NVME_VECTOR, nvme_irq, p);
}

static int create(uint8_t opcode, uint16_t qid, uint64_t base, uint32_t cdw11, char *err,
                  size_t errlen)
{
    uint8_t sqe[NVME_SQE_BYTES];
    uint32_t dw0;
    sqe_init(sqe, opcode, 0, base);
    drv_put32(sqe + NVME_SQE_CDW10, (nv.entries - 1) << 16 | qid);
    drv_put32(sqe + NVME_SQE_CDW11, cdw11);
    return admin_ok(sqe, &dw0, opcode == NVME_ADM_CREATE_CQ ? "Create I/O CQ" : "Create I/O SQ",
                    err, errlen);
}

static int setup_queue(k_proc_t *p, uint16_t qid, unsigned e, uint32_t *slot_next,
                       const k_plan_t *pl, char *err, size_t errlen)
{
    nvme_queue_t *q = &nv.q[qid];
    *q = (nvme_queue_t){ .owner = p, .phase = 1, .msix = e, .slot0 = *slot_next };
    q->cq = drv_alloc_pages((uint64_t)nv.entries * NVME_CQE_BYTES);
    q->sq = drv_alloc_pages((uint64_t)nv.entries * NVME_SQE_BYTES);
    q->prp = drv_alloc_pages((uint64_t)nv.entries * PRP_LIST_BYTES);
    if (!q->cq || !q->sq || !q->prp)
        return drv_fail(err, errlen, "nvme: out of kernel memory for queue ", qid, "");
    int pasid = pl->iommu.mode == K_IOMMU_SCALABLE ? (int)qid : -1;
    uint16_t rid = pl->nvme.rid;
    uint64_t n = nv.entries;
    if (k_iommu_map_ring(rid, pasid, q->cq, drv_round_up(n * NVME_CQE_BYTES, NVME_PAGE)) < 0 ||
        k_iommu_map_ring(rid, pasid, q->sq, drv_round_up(n * NVME_SQE_BYTES, NVME_PAGE)) < 0 ||
        k_iommu_map_ring(rid, pasid, q->prp, drv_round_up(n * PRP_LIST_BYTES, NVME_PAGE)) < 0)
        return drv_fail(err, errlen, "nvme: cannot map queue ", qid, " for DMA");
    if (create(NVME_ADM_CREATE_CQ, qid, q->cq, e << 16 | NVME_CQ_IEN | NVME_Q_PC, err,
               errlen) < 0 ||
        create(NVME_ADM_CREATE_SQ, qid, q->sq, (uint32_t)qid << 16 | NVME_Q_PC, err, errlen) < 0)
        return -1;
    /* a polling owner collects this CQ in pk_enter: the device's CQE
     * writes end its poll, as the NIC's write-backs do */
    if (hal_poll_watch(p->plan.core, q->cq, n * NVME_CQE_BYTES) < 0)
        return drv_fail(err, errlen, "nvme: cannot watch queue ", qid, "");
    q->nfree = nv.entries - 1;
    for (uint32_t i = 0; i < q->nfree; i++)
        free_ids[q->slot0 + i] = (uint16_t)(q->nfree - 1 - i); /* pops 0, 1, 2... */
    *slot_next += q->nfree;
    return 0;
}

static int setup_queues(const k_plan_t *pl, char *err, size_t errlen)
{
    unsigned rank = 0;
    uint32_t slot_next = 0;
    for (unsigned i = 0; i < k_state.nprocs; i++) {
        k_proc_t *p = &k_state.procs[i];
        if (!p->plan.nvme_queues)
            continue;
        unsigned e = 1 + rank++;
        for (unsigned k = 0; k < p->plan.nvme_queues; k++)
            if (setup_queue(p, p->nvme_q[k], e, &slot_next, pl, err, errlen) < 0)
                return -1;
        /* after Create I/O CQ accepted e (< the table size) */
        if (setup_vector(p, e) < 0)
            return drv_fail(err, errlen, "nvme: cannot register the interrupt of process ",
                            p->pid, "");
    }
    return 0;
}

int k_nvme_init(const k_plan_t *pl, char *err, size_t errlen)
{
    k_memset(&nv, 0, sizeof nv);
    if (!pl->nvme.present)
        return 0;
    nv.bar = pl->nvme.bar;
    nv.entries = pl->nvme.queue_entries;
    if (nv.entries < 2 || nv.entries > 65536)
        return drv_fail(err, errlen, "nvme: queue_entries ", nv.entries, " is not in 2..65536");
    if (check_cap(pl, err, errlen) < 0 || enable(pl, err, errlen) < 0 ||
        identify(err, errlen) < 0 || set_queues(err, errlen) < 0 ||
        setup_queues(pl, err, errlen) < 0) {
        nv.lba_size = 0;
        return -1;
    }
    return 0;
}

uint32_t k_nvme_lba_size(void) { return nv.lba_size; }
uint64_t k_nvme_blocks(void) { return nv.blocks; }

/* ---------------------------------------------------------------- submission */

/* PRP1/PRP2 for [dma, + len), with the list in slot `list` when the
 * transfer spans more than two pages (spec 4.3). */
static uint64_t prp2_for(uint64_t dma, uint32_t len, uint64_t list)
{
    uint32_t first = NVME_PAGE - (uint32_t)(dma & (NVME_PAGE - 1));
    if (len <= first)
        return 0;
    uint32_t rem = len - first;
    uint64_t page = dma + first;
    if (rem <= NVME_PAGE)
        return page;
    uint32_t n = (rem + NVME_PAGE - 1) / NVME_PAGE;
    uint8_t b[PRP_LIST_BYTES];
    for (uint32_t k = 0; k < n; k++)
        drv_put64(b + 8 * k, page + (uint64_t)k * NVME_PAGE);
    hal_mem_write_fast(list, b, (size_t)n * 8);
    k_charge(KC_LLC, (n * 8 + 63) / 64);
    k_charge(KC_CYCLE, (uint64_t)n * PRP_ENTRY_CYCLES);
    return list;
}

static int check_io(uint8_t pk_op, uint64_t dma, uint32_t len, uint64_t lba)
{
    if (pk_op == PK_OP_BLK_FLUSH)
        return 0;
    if (pk_op != PK_OP_BLK_READ && pk_op != PK_OP_BLK_WRITE)
        return PK_EOPCODE;
    if (!len || len % nv.lba_size || len > nv.max_xfer)
        return PK_ELEN;
    if (dma & 3u)
        return PK_EALIGN; /* PRP1 is dword aligned */
    uint64_t n = len / nv.lba_size;
    if (lba > nv.blocks || n > nv.blocks - lba)
        return PK_EINVAL;
    return 0;
}

int k_nvme_submit(unsigned qid, uint8_t pk_op, uint64_t dma, uint32_t len, uint64_t lba,
                  uint64_t user_data)
{
    nvme_queue_t *q = queue(qid);
    if (!q)
        return PK_EQUEUE;
    int e = check_io(pk_op, dma, len, lba);
    if (e)
        return e;
    if (!q->nfree)
        return PK_EAGAIN;
    uint16_t cid = free_ids[q->slot0 + --q->nfree];
    bool flush = pk_op == PK_OP_BLK_FLUSH;
    slots[q->slot0 + cid] = (nvme_slot_t){ user_data, flush ? 0 : len, pk_op, true };
    uint8_t sqe[NVME_SQE_BYTES];
    sqe_init(sqe, flush ? NVME_IO_FLUSH : pk_op == PK_OP_BLK_READ ? NVME_IO_READ : NVME_IO_WRITE,
             1, flush ? 0 : dma);
    drv_put16(sqe + NVME_SQE_CID, cid);
    if (!flush) {
        drv_put64(sqe + NVME_SQE_PRP2, prp2_for(dma, len, q->prp + (uint64_t)cid * PRP_LIST_BYTES));
        drv_put32(sqe + NVME_SQE_CDW10, (uint32_t)lba);
        drv_put32(sqe + NVME_SQE_CDW11, (uint32_t)(lba >> 32));
        drv_put32(sqe + NVME_SQE_CDW12, len / nv.lba_size - 1); /* NLB, 0's based */
    }
    hal_mem_write_fast(q->sq + (uint64_t)q->sq_tail * NVME_SQE_BYTES, sqe, sizeof sqe);
    q->sq_tail = next(q->sq_tail, nv.entries);
    q->busy++;
    q->dirty = true;
    k_charge(KC_L1, 1);
    k_charge(KC_CYCLE, SUBMIT_CYCLES);
    return 0;
}

void k_nvme_flush(k_proc_t *p)
{
    for (unsigned k = 0; k < p->plan.nvme_queues; k++) {
        nvme_queue_t *q = queue(p->nvme_q[k]);
        k_charge(KC_CYCLE, FLUSH_CYCLES);
        if (!q || !q->dirty)
            continue;
        wr32(NVME_DB(nv.dstrd, p->nvme_q[k], 0), q->sq_tail);
        q->dirty = false;
        p->st.doorbells++;
    }
}

/* ---------------------------------------------------------------- completion */

/* Consume one CQE of q into p's CQ; false when none is there. */
static bool take_cqe(k_proc_t *p, nvme_queue_t *q)
{
    uint8_t cqe[NVME_CQE_BYTES];
    hal_mem_read_fast(q->cq + (uint64_t)q->cq_head * NVME_CQE_BYTES, cqe, sizeof cqe);
    k_charge(KC_LLC, 1);
    k_charge(KC_CYCLE, CQE_CYCLES);
    uint16_t st = drv_get16(cqe + NVME_CQE_STATUS);
    if ((st & 1u) != q->phase)
        return false;
    q->cq_head = next(q->cq_head, nv.entries);
    if (!q->cq_head)
        q->phase ^= 1;
    uint16_t cid = drv_get16(cqe + NVME_CQE_CID);
    nvme_slot_t *s = cid < nv.entries - 1 ? &slots[q->slot0 + cid] : NULL;
    if (!s || !s->busy)
        return true; /* not a command of ours: a device bug, skipped */
    s->busy = false;
    free_ids[q->slot0 + q->nfree++] = cid;
    q->busy--;
    uint32_t code = NVME_STATUS_CODE(st >> 1);
    if (code)
        k_state.st.nvme_errors++;
    k_cq_post(p, s->user_data, code ? -PK_EIO : (int32_t)s->len, s->op | code << 16);
    return true;
}

void k_nvme_harvest(k_proc_t *p)
{
    unsigned room = k_cq_room(p);
    for (unsigned k = 0; k < p->plan.nvme_queues; k++) {
        nvme_queue_t *q = queue(p->nvme_q[k]);
        unsigned took = 0;
        while (q && q->busy && room && take_cqe(p, q)) {
            room--;
            took++;
        }
        if (took) { /* return the slots to the controller, once */
            wr32(NVME_DB(nv.dstrd, p->nvme_q[k], 1), q->cq_head);
            p->st.doorbells++;
        }
    }
}

bool k_nvme_ready(const k_proc_t *p)
{
    for (unsigned k = 0; k < p->plan.nvme_queues; k++) {
        const nvme_queue_t *q = queue(p->nvme_q[k]);
        if (!q || !q->busy)
            continue;
        uint8_t b[2] = { 0, 0 };
        hal_mem_read_fast(q->cq + (uint64_t)q->cq_head * NVME_CQE_BYTES + NVME_CQE_STATUS, b, 2);
        k_charge(KC_LLC, 1);
        if ((b[0] & 1u) == q->phase)
            return true;
    }
    return false;
}

/* ---------------------------------------------------------------- interrupts */

void k_nvme_irq_enable(k_proc_t *p, bool on)
{
    const nvme_queue_t *q = p->plan.nvme_queues ? queue(p->nvme_q[0]) : NULL;
    if (q)
        wr32((uint32_t)nv.msix_table + q->msix * NVME_MSIX_ENTRY + 12, on ? 0 : NVME_MSIX_MASKED);
}

static void nvme_irq(void *ctx, unsigned vector)
{
    (void)vector;
    k_proc_t *p = ctx;
    k_state.st.irqs++;
    k_charge(KC_CYCLE, IRQ_CYCLES);
    k_nvme_harvest(p);
    k_wake_check(p);
}
