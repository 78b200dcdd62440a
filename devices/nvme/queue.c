/* devices/nvme/queue.c: submission and completion queues, command
 * fetch and dispatch, completion posting, interrupts (NVMe 1.4, 4.1
 * "Submission Queue & Completion Queue Definition", 4.6 "Completion Queue
 * Entry", 7.2 "Processing Completed Commands", 7.5 "Interrupts", 5.21.1.8
 * "Interrupt Coalescing").
 *
 * Contract:
 *   - SQ tail doorbell: the value must be < the queue's size, and the
 *     queue must exist; otherwise the write is ignored, counted (guest
 *     error, doorbell error) and reported as an asynchronous event of
 *     type Error with information 00h "write to invalid doorbell
 *     register" or 01h "invalid doorbell write value" (Figure 146).  A
 *     valid write makes the controller fetch every entry from its head to
 *     the new tail at once, by DMA, in bursts of up to NVME_FETCH_BURST
 *     contiguous entries (one DMA each, split where the ring wraps), and
 *     advance the SQ head.  Each command starts executing when its
 *     burst's DMA completes.  There is no arbitration between SQs beyond
 *     doorbell order and the PCIe link: fetches share the function's link
 *     (pcie.c serialises its wire time).
 *   - Completion: a CQE carries DW0 = the command's result, DW2 = SQ head
 *     (as of the completion) and SQ id, DW3 = CID, phase tag and status.
 *     The CQE is written by DMA at the CQ's tail with the current phase;
 *     the phase inverts each time the tail wraps.  When the CQ is full
 *     (head == tail + 1) completions are held in order and written when a
 *     CQ head doorbell frees room (7.2: the controller must not overrun
 *     the host).  A CQ head doorbell may free only entries the controller
 *     has posted (a head that passes the tail is an invalid value).
 *   - Interrupts: when a CQE has landed (its DMA's completion time) and
 *     its CQ has IEN set, its MSI-X vector is signalled.  I/O CQs
 *     aggregate per vector (5.21.1.8): an interrupt is sent once THR + 1
 *     completions are pending, or TIME x 100 us after the first pending
 *     one, whichever is first; THR = 0 or TIME = 0 or the vector's
 *     Coalescing Disable (Feature 09h) means no aggregation.  The admin
 *     CQ is never coalesced.
 *   - A refused DMA (IOMMU fault, address outside memory) on an SQE fetch
 *     loses those commands (no CID to complete them with), on a CQE write
 *     loses the completion; both count as dma_faults and lost_cmds (the
 *     IOMMU has recorded and reported the fault).  The CQ tail does not
 *     advance past a CQE that was not written.
 *   - Delete I/O SQ waits until the SQ's fetched commands have completed
 *     (5.6: "all commands ... are completed or aborted" before the delete
 *     completes); here they complete normally, unfetched entries are
 *     dropped.
 *
 * Simplifications: fetching is immediate on the doorbell (no limit on
 * commands in flight); CQ head doorbells do not re-trigger interrupts. */
#include <stdlib.h>
#include <string.h>

#include "devices/iommu.h"
#include "devices/nvme/nvme_int.h"
#include "sim/alloc.h"

#define NVME_FETCH_BURST 8u /* SQEs per fetch DMA (512 B) */

/* ---------------------------------------------------------------- commands */

nvme_cmd_t *nvme_cmd_alloc(nvme_t *c)
{
    nvme_cmd_t *m = c->free_cmds;
    if (m) {
        c->free_cmds = m->next;
    } else {
        m = sim_xcalloc(1, sizeof *m);
        m->ctrl = c;
        m->all_next = c->all_cmds;
        c->all_cmds = m;
    }
    m->next = NULL;
    m->gen = c->gen;
    m->status = NVME_OK;
    m->result = 0;
    m->nsegs = 0;
    m->len = 0;
    return m;
}

void nvme_cmd_free(nvme_cmd_t *m)
{
    m->next = m->ctrl->free_cmds;
    m->ctrl->free_cmds = m;
}

void nvme_cmds_destroy(nvme_t *c)
{
    for (nvme_cmd_t *m = c->all_cmds, *n; m; m = n) {
        n = m->all_next;
        free(m);
    }
    c->all_cmds = c->free_cmds = NULL;
}

static void step_ev(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)data;
    nvme_cmd_t *m = arg;
    if (m->gen != m->ctrl->gen) { /* the controller was reset meanwhile */
        nvme_cmd_free(m);
        return;
    }
    m->step(m);
}

void nvme_cmd_at(nvme_cmd_t *m, sim_time_t t, void (*fn)(nvme_cmd_t *m))
{
    m->step = fn;
    sim_at(m->ctrl->sim, t, step_ev, m, 0);
}

static void complete_step(nvme_cmd_t *m)
{
    nvme_complete(m, m->status, m->result);
}

void nvme_complete_at(nvme_cmd_t *m, sim_time_t t)
{
    nvme_cmd_at(m, t, complete_step);
}

uint32_t nvme_pasid(const nvme_t *c, uint16_t qid)
{
    return c->cfg.pasid_per_queue ? qid : IOMMU_NO_PASID;
}

/* ---------------------------------------------------------------- setup */

void nvme_cq_setup(nvme_t *c, uint16_t qid, uint64_t base, uint32_t size, bool ien, uint16_t iv)
{
    nvme_cq_t *cq = &c->cq[qid];
    memset(cq, 0, sizeof *cq);
    cq->exists = true;
    cq->base = base;
    cq->size = size;
    cq->ien = ien;
    cq->iv = iv;
    cq->phase = 1; /* 4.6: the phase tag is 0 in an empty queue's memory */
    if (qid)
        c->io_cq_live++;
}

void nvme_sq_setup(nvme_t *c, uint16_t qid, uint64_t base, uint32_t size, uint16_t cqid)
{
    nvme_sq_t *sq = &c->sq[qid];
    memset(sq, 0, sizeof *sq);
    sq->exists = true;
    sq->base = base;
    sq->size = size;
    sq->cqid = cqid;
    c->cq[cqid].sq_refs++;
    if (qid)
        c->io_sq_live++;
}

void nvme_sq_remove(nvme_t *c, uint16_t qid)
{
    nvme_sq_t *sq = &c->sq[qid];
    c->cq[sq->cqid].sq_refs--;
    memset(sq, 0, sizeof *sq);
    if (qid)
        c->io_sq_live--;
}

static void free_list(nvme_cmd_t *m)
{
    for (nvme_cmd_t *n; m; m = n) {
        n = m->next;
        nvme_cmd_free(m);
    }
}

void nvme_cq_remove(nvme_t *c, uint16_t qid)
{
    nvme_cq_t *cq = &c->cq[qid];
    free_list(cq->hold_head);
    memset(cq, 0, sizeof *cq);
    if (qid)
        c->io_cq_live--;
}

void nvme_queues_reset(nvme_t *c)
{
    for (unsigned q = 0; q <= c->cfg.io_queues; q++) {
        free_list(c->cq[q].hold_head);
        if (c->sq[q].delete_cmd)
            nvme_cmd_free(c->sq[q].delete_cmd);
    }
    memset(c->sq, 0, (c->cfg.io_queues + 1u) * sizeof *c->sq);
    memset(c->cq, 0, (c->cfg.io_queues + 1u) * sizeof *c->cq);
    c->io_sq_live = c->io_cq_live = 0;
    for (unsigned v = 0; v < c->cfg.msix_vectors; v++) {
        sim_cancel(c->sim, c->vec[v].timer);
        c->vec[v].timer = 0;
        c->vec[v].pending = 0;
    }
}

/* ---------------------------------------------------------------- interrupts */

static void irq_send(nvme_t *c, uint16_t iv)
{
    nvme_vec_t *v = &c->vec[iv];
    v->pending = 0;
    sim_cancel(c->sim, v->timer);
    v->timer = 0;
    c->st.interrupts++;
    pcie_msix_send(c->dev, iv);
}

static void coalesce_timer_ev(sim_t *sim, void *arg, uint64_t iv)
{
    (void)sim;
    nvme_t *c = arg;
    c->vec[iv].timer = 0;
    if (c->vec[iv].pending)
        irq_send(c, (uint16_t)iv);
}

/* One more completion for vector iv has landed. */
static void irq_note(nvme_t *c, bool admin, uint16_t iv)
{
    nvme_vec_t *v = &c->vec[iv];
    if (admin || v->no_coalesce || c->coal_thr == 0 || c->coal_time == 0) {
        irq_send(c, iv);
        return;
    }
    if (++v->pending > c->coal_thr) { /* THR is 0's based */
        irq_send(c, iv);
        return;
    }
    if (!v->timer)
        v->timer = sim_after(c->sim, (sim_time_t)c->coal_time * SIM_US(100), coalesce_timer_ev,
                             c, iv);
}

static void cqe_landed_ev(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    nvme_t *c = arg;
    uint16_t cqid = (uint16_t)data;
    if (data >> 16 != c->gen)
        return;
    nvme_cq_t *cq = &c->cq[cqid];
    if (cq->exists && cq->ien)
        irq_note(c, cqid == 0, cq->iv);
}

/* ---------------------------------------------------------------- completion */

static bool cq_full(const nvme_cq_t *cq)
{
    return (cq->tail + 1) % cq->size == cq->head;
}

void nvme_observe_emit(nvme_t *c, nvme_event_kind_t kind, uint16_t qid)
{
    const nvme_sq_t *sq = qid <= c->cfg.io_queues ? &c->sq[qid] : NULL;
    unsigned depth = 0;
    if (sq && sq->exists)
        depth = sq->inflight + (sq->tail + sq->size - sq->head) % sq->size;
    c->obs(c->obs_ctx, kind, qid, depth);
}

/* Write m's CQE at the tail (m is consumed). */
static void cq_write(nvme_t *c, uint16_t cqid, nvme_cmd_t *m)
{
    nvme_cq_t *cq = &c->cq[cqid];
    uint16_t sqid = m->sqid;
    m->cqe[14] = (uint8_t)((m->cqe[14] & ~1u) | cq->phase);
    sim_time_t done;
    pcie_dma_status_t s =
        pcie_dma_write(c->dev, nvme_pasid(c, cqid), cq->base + (uint64_t)cq->tail * NVME_CQE_SIZE,
                       m->cqe, NVME_CQE_SIZE, &done);
    nvme_cmd_free(m);
    if (s != PCIE_DMA_OK) {
        c->st.dma_faults++;
        c->st.lost_cmds++;
        return;
    }
    c->st.completions++;
    if (++cq->tail == cq->size) {
        cq->tail = 0;
        cq->phase ^= 1;
    }
    nvme_observe(c, NVME_EV_CQE, sqid);
    sim_at(c->sim, done, cqe_landed_ev, c, c->gen << 16 | cqid);
}

static void cq_post(nvme_t *c, uint16_t cqid, nvme_cmd_t *m)
{
    nvme_cq_t *cq = &c->cq[cqid];
    if (cq->hold_head || cq_full(cq)) {
        m->next = NULL;
        if (cq->hold_tail)
            cq->hold_tail->next = m;
        else
            cq->hold_head = m;
        cq->hold_tail = m;
        c->st.cq_full_holds++;
        return;
    }
    cq_write(c, cqid, m);
}

static void build_cqe(nvme_cmd_t *m, const nvme_sq_t *sq, uint16_t status, uint32_t result)
{
    uint8_t *e = m->cqe;
    le_put32(e + 0, result);                  /* DW0: command specific */
    le_put32(e + 4, 0);                       /* DW1: reserved */
    le_put16(e + 8, (uint16_t)sq->head);      /* DW2: SQ head pointer */
    le_put16(e + 10, m->sqid);                /*      SQ identifier */
    le_put16(e + 12, nvme_sqe_cid(m));        /* DW3: command identifier */
    le_put16(e + 14, (uint16_t)(status << 1)); /*     status; phase set at write */
}

static void sq_finish_delete(nvme_t *c, uint16_t qid)
{
    nvme_cmd_t *d = c->sq[qid].delete_cmd;
    nvme_sq_remove(c, qid);
    nvme_complete(d, NVME_OK, 0);
}

void nvme_complete(nvme_cmd_t *m, uint16_t status, uint32_t result)
{
    nvme_t *c = m->ctrl;
    uint16_t sqid = m->sqid;
    nvme_sq_t *sq = &c->sq[sqid];
    build_cqe(m, sq, status, result);
    if (status != NVME_OK)
        c->st.errors++;
    m->cqid = sq->cqid;
    sq->inflight--;
    cq_post(c, m->cqid, m);
    if (sq->deleting && sq->inflight == 0)
        sq_finish_delete(c, sqid);
}

/* ---------------------------------------------------------------- fetch */

static void exec_step(nvme_cmd_t *m)
{
    if (m->sqid == 0)
        nvme_admin_exec(m);
    else
        nvme_io_exec(m);
}

/* Fetch n contiguous entries at the head with one DMA. */
static void fetch_run(nvme_t *c, uint16_t qid, uint32_t n)
{
    nvme_sq_t *sq = &c->sq[qid];
    uint8_t buf[NVME_FETCH_BURST * NVME_SQE_SIZE];
    sim_time_t done;
    pcie_dma_status_t s = pcie_dma_read(c->dev, nvme_pasid(c, qid),
                                        sq->base + (uint64_t)sq->head * NVME_SQE_SIZE, buf,
                                        n * NVME_SQE_SIZE, &done);
    sq->head = (sq->head + n) % sq->size;
    if (s != PCIE_DMA_OK) {
        c->st.dma_faults++;
        c->st.lost_cmds += n;
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        nvme_cmd_t *m = nvme_cmd_alloc(c);
        memcpy(m->sqe, buf + i * NVME_SQE_SIZE, NVME_SQE_SIZE);
        m->sqid = qid;
        sq->inflight++;
        nvme_cmd_at(m, done, exec_step);
    }
}

static void sq_fetch(nvme_t *c, uint16_t qid)
{
    nvme_sq_t *sq = &c->sq[qid];
    while (!sq->deleting && sq->head != sq->tail) {
        uint32_t run = (sq->tail > sq->head ? sq->tail : sq->size) - sq->head;
        fetch_run(c, qid, run < NVME_FETCH_BURST ? run : NVME_FETCH_BURST);
    }
}

/* ---------------------------------------------------------------- doorbells */

void nvme_doorbell_error(nvme_t *c, uint8_t info)
{
    c->st.doorbell_errors++;
    nvme_guest_error(c);
    nvme_async_event(c, NVME_AE_TYPE_ERROR, info, NVME_LOG_ERROR_INFO);
}

void nvme_sq_doorbell(nvme_t *c, uint16_t qid, uint32_t val)
{
    nvme_sq_t *sq = &c->sq[qid];
    if (!sq->exists) {
        nvme_doorbell_error(c, NVME_AE_INVALID_DB);
        return;
    }
    if (val >= sq->size) {
        nvme_doorbell_error(c, NVME_AE_INVALID_DB_VALUE);
        return;
    }
    sq->tail = val;
    sq_fetch(c, qid);
    nvme_observe(c, NVME_EV_SQ_DOORBELL, qid);
}

void nvme_cq_doorbell(nvme_t *c, uint16_t qid, uint32_t val)
{
    nvme_cq_t *cq = &c->cq[qid];
    if (!cq->exists) {
        nvme_doorbell_error(c, NVME_AE_INVALID_DB);
        return;
    }
    uint32_t posted = (cq->tail + cq->size - cq->head) % cq->size;
    uint32_t freed = (val + cq->size - cq->head) % cq->size;
    if (val >= cq->size || freed > posted) {
        nvme_doorbell_error(c, NVME_AE_INVALID_DB_VALUE);
        return;
    }
    cq->head = val;
    while (cq->hold_head && !cq_full(cq)) {
        nvme_cmd_t *m = cq->hold_head;
        cq->hold_head = m->next;
        if (!cq->hold_head)
            cq->hold_tail = NULL;
        cq_write(c, qid, m);
    }
}
