/* devices/nvme/admin.c: the admin command set (NVMe 1.4, 5 "Admin
 * Command Set"): Create/Delete I/O CQ and SQ (5.3-5.6), Identify (5.15),
 * Get/Set Features (5.14, 5.21) and Asynchronous Event Request (5.2).
 *
 * Contract (status codes: Figures 127/128; checks in the order listed):
 *   - Create I/O CQ (05h): QID 0, above the allocated number of CQs, or in
 *     use -> Invalid Queue Identifier; QSIZE below 2 entries or above
 *     CAP.MQES + 1 -> Invalid Queue Size; PC = 0 -> Invalid Field (CAP.CQR
 *     = 1); IV >= the MSI-X vectors -> Invalid Interrupt Vector (checked
 *     whether or not IEN is set); PRP1 not page aligned -> PRP Offset
 *     Invalid (QEMU's choice; the spec requires alignment without naming
 *     a status); CC.IOCQES != 4 -> Invalid Field.
 *   - Create I/O SQ (01h): the same QID/QSIZE/PC checks, then CQID 0 or
 *     not an existing I/O CQ -> Completion Queue Invalid; PRP1 alignment;
 *     CC.IOSQES != 6 -> Invalid Field.  QPRIO is ignored (round robin).
 *   - Delete I/O SQ (00h): QID 0, unknown, or already being deleted ->
 *     Invalid Queue Identifier; completes once the SQ's fetched commands
 *     have completed (queue.c).  Delete I/O CQ (04h): QID 0 or unknown ->
 *     Invalid Queue Identifier; an SQ still bound to it -> Invalid Queue
 *     Deletion.
 *   - Identify (06h), 4 KiB to PRP1/PRP2: CNS 00h namespace (NSID 1;
 *     others -> Invalid Namespace or Format), 01h controller, 02h active
 *     namespace list; other CNS -> Invalid Field.  Fields filled: see
 *     id_ctrl() and id_ns(); the rest read 0.
 *   - Set Features (09h): SV = 1 -> Feature Identifier Not Saveable.
 *     07h Number of Queues: 0's based NSQR/NCQR, 65535 -> Invalid Field,
 *     after any I/O queue was created -> Command Sequence Error; the
 *     controller allocates min(requested, io_queues) and returns the
 *     allocation (0's based) in DW0.  Until set, all io_queues are
 *     allocated.  08h Interrupt Coalescing: THR (7:0, 0's based) and TIME
 *     (15:8, 100 us units).  09h Interrupt Vector Configuration: IV (must
 *     be a vector) and CD (bit 16).  Other FIDs -> Invalid Field.
 *   - Get Features (0Ah): SEL 0 current, 1 default, 2 saved (= default:
 *     nothing is saveable), 3 capabilities (changeable); SEL > 3 or
 *     another FID -> Invalid Field.
 *   - Asynchronous Event Request (0Ch): up to AERL + 1 = 4 outstanding
 *     (more -> Asynchronous Event Request Limit Exceeded); each completes
 *     with DW0 = type | info << 8 | log page << 16 when an event is raised
 *     (events raised with none outstanding wait in a queue of 8; further
 *     ones are counted and lost).  Simplification: events are not masked
 *     until the host reads the log page, and Get Log Page is not
 *     implemented.
 *   - Any other opcode -> Invalid Command Opcode; FUSE or PSDT set on an
 *     implemented opcode -> Invalid Field (no fused commands, no SGLs).
 *
 * Admin commands take no controller time of their own: they complete as
 * soon as their data (Identify) has been written by DMA. */
#include <stdio.h>
#include <string.h>

#include "devices/nvme/nvme_int.h"

/* PCI vendor id reported in Identify: 1B36h (Red Hat), the id QEMU's
 * emulated devices use; parasim's controller is emulated too. */
#define NVME_VID 0x1B36u

const nvme_op_attr_t nvme_admin_ops[256] = {
    [NVME_ADM_DELETE_SQ] = { "delete_io_sq", NVME_DIR_NONE },
    [NVME_ADM_CREATE_SQ] = { "create_io_sq", NVME_DIR_NONE },
    [NVME_ADM_DELETE_CQ] = { "delete_io_cq", NVME_DIR_NONE },
    [NVME_ADM_CREATE_CQ] = { "create_io_cq", NVME_DIR_NONE },
    [NVME_ADM_IDENTIFY] = { "identify", NVME_DIR_TO_HOST },
    [NVME_ADM_SET_FEATURES] = { "set_features", NVME_DIR_NONE },
    [NVME_ADM_GET_FEATURES] = { "get_features", NVME_DIR_NONE },
    [NVME_ADM_AER] = { "async_event_request", NVME_DIR_NONE },
};

/* ---------------------------------------------------------------- queues */

/* Checks shared by Create I/O CQ and SQ: QID against the allocation and
 * the queues in use, QSIZE, PC. */
static uint16_t create_common(const nvme_cmd_t *m, unsigned allocated, bool exists)
{
    nvme_t *c = m->ctrl;
    uint32_t dw10 = nvme_sqe_cdw(m, 10);
    uint32_t qid = dw10 & 0xFFFFu, qsize = (dw10 >> 16) + 1;
    if (qid == 0 || qid > allocated || exists)
        return NVME_SC_QID_INVALID;
    if (qsize < 2 || qsize > c->cfg.max_queue_entries)
        return NVME_SC_QSIZE_INVALID;
    if (!(nvme_sqe_cdw(m, 11) & 1u)) /* PC */
        return NVME_SC_INVALID_FIELD;
    return NVME_OK;
}

static uint16_t create_cq(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    uint32_t dw10 = nvme_sqe_cdw(m, 10), dw11 = nvme_sqe_cdw(m, 11);
    uint16_t qid = (uint16_t)dw10, iv = (uint16_t)(dw11 >> 16);
    uint16_t st = create_common(m, c->ncqa, qid <= c->cfg.io_queues && c->cq[qid].exists);
    if (st != NVME_OK)
        return st;
    if (iv >= c->cfg.msix_vectors)
        return NVME_SC_IV_INVALID;
    if (nvme_sqe_prp1(m) & (c->page_size - 1))
        return NVME_SC_PRP_OFFSET;
    if (NVME_CC_IOCQES(c->cc) != NVME_CQES_LOG2)
        return NVME_SC_INVALID_FIELD;
    nvme_cq_setup(c, qid, nvme_sqe_prp1(m), (dw10 >> 16) + 1, dw11 & 2u, iv);
    return NVME_OK;
}

static uint16_t create_sq(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    uint32_t dw10 = nvme_sqe_cdw(m, 10), dw11 = nvme_sqe_cdw(m, 11);
    uint16_t qid = (uint16_t)dw10, cqid = (uint16_t)(dw11 >> 16);
    uint16_t st = create_common(m, c->nsqa, qid <= c->cfg.io_queues && c->sq[qid].exists);
    if (st != NVME_OK)
        return st;
    if (cqid == 0 || cqid > c->cfg.io_queues || !c->cq[cqid].exists)
        return NVME_SC_CQ_INVALID;
    if (nvme_sqe_prp1(m) & (c->page_size - 1))
        return NVME_SC_PRP_OFFSET;
    if (NVME_CC_IOSQES(c->cc) != NVME_SQES_LOG2)
        return NVME_SC_INVALID_FIELD;
    nvme_sq_setup(c, qid, nvme_sqe_prp1(m), (dw10 >> 16) + 1, cqid);
    return NVME_OK;
}

static void delete_sq(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    uint16_t qid = (uint16_t)nvme_sqe_cdw(m, 10);
    nvme_sq_t *sq = &c->sq[qid <= c->cfg.io_queues ? qid : 0];
    if (qid == 0 || qid > c->cfg.io_queues || !sq->exists || sq->deleting) {
        nvme_complete(m, NVME_SC_QID_INVALID, 0);
        return;
    }
    if (sq->inflight == 0) {
        nvme_sq_remove(c, qid);
        nvme_complete(m, NVME_OK, 0);
        return;
    }
    sq->deleting = true; /* queue.c completes m when the last one is done */
    sq->delete_cmd = m;
}

static uint16_t delete_cq(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    uint16_t qid = (uint16_t)nvme_sqe_cdw(m, 10);
    if (qid == 0 || qid > c->cfg.io_queues || !c->cq[qid].exists)
        return NVME_SC_QID_INVALID;
    if (c->cq[qid].sq_refs)
        return NVME_SC_Q_DELETION;
    nvme_cq_remove(c, qid);
    return NVME_OK;
}

/* ---------------------------------------------------------------- identify */

/* ASCII, space padded, not NUL terminated (1.5 "string" fields). */
static void put_str(uint8_t *p, size_t n, const char *s)
{
    memset(p, ' ', n);
    size_t l = strlen(s);
    memcpy(p, s, l < n ? l : n);
}

/* Identify Controller data structure (Figure 247). */
static void id_ctrl(const nvme_t *c, uint8_t *d)
{
    char s[64];
    le_put16(d + 0, NVME_VID);   /* VID */
    le_put16(d + 2, NVME_VID);   /* SSVID */
    snprintf(s, sizeof s, "PSIM%04X", c->cfg.rid);
    put_str(d + 4, 20, s);         /* SN */
    snprintf(s, sizeof s, "parasim NVMe %s", nvme_media_name(c->cfg.media));
    put_str(d + 24, 40, s);        /* MN */
    put_str(d + 64, 8, "1.0");     /* FR */
    d[77] = NVME_MDTS;             /* MDTS, units of CAP.MPSMIN */
    le_put16(d + 78, 0);         /* CNTLID */
    le_put32(d + 80, NVME_VS_1_4); /* VER */
    d[111] = 1;                    /* CNTRLTYPE: I/O controller */
    le_put16(d + 256, 0);        /* OACS: no optional admin commands */
    d[258] = 3;                    /* ACL, 0's based */
    d[259] = NVME_AERL;            /* AERL, 0's based */
    d[260] = 0x03;                 /* FRMW: one slot, read only */
    d[263] = 0;                    /* NPSS: one power state */
    d[512] = NVME_SQES_LOG2 << 4 | NVME_SQES_LOG2; /* SQES: max 6, required 6 */
    d[513] = NVME_CQES_LOG2 << 4 | NVME_CQES_LOG2; /* CQES: max 4, required 4 */
    le_put32(d + 516, 1);        /* NN */
    le_put16(d + 520, 0);        /* ONCS */
    d[525] = 0;                    /* VWC: no volatile write cache */
    le_put32(d + 536, 0);        /* SGLS: SGLs not supported */
    snprintf(s, sizeof s, "nqn.2019-04.org.parasim:nvme:%04x", c->cfg.rid);
    memcpy(d + 768, s, strlen(s)); /* SUBNQN, NUL padded */
}

/* Identify Namespace data structure (Figure 245). */
static void id_ns(const nvme_t *c, uint8_t *d)
{
    le_put64(d + 0, c->cfg.ns_blocks);  /* NSZE */
    le_put64(d + 8, c->cfg.ns_blocks);  /* NCAP */
    le_put64(d + 16, c->cfg.ns_blocks); /* NUSE: fully provisioned */
    d[24] = 0;                            /* NSFEAT */
    d[25] = 0;                            /* NLBAF: one format, 0's based */
    d[26] = 0;                            /* FLBAS: format 0, no metadata */
    /* LBAF0: MS 15:0 = 0, LBADS 23:16 = log2(lba size), RP 25:24 = 0 */
    le_put32(d + 128, (c->cfg.lba_size == 4096 ? 12u : 9u) << 16);
}

static uint16_t identify_fill(nvme_cmd_t *m, uint8_t *buf)
{
    uint32_t nsid = nvme_sqe_nsid(m);
    memset(buf, 0, 4096);
    switch (nvme_sqe_cdw(m, 10) & 0xFFu) {
    case 0x00:
        if (nsid != 1)
            return NVME_SC_INVALID_NS;
        id_ns(m->ctrl, buf);
        return NVME_OK;
    case 0x01:
        id_ctrl(m->ctrl, buf);
        return NVME_OK;
    case 0x02: /* active NSIDs above nsid */
        if (nsid >= 0xFFFFFFFEu)
            return NVME_SC_INVALID_NS;
        if (nsid < 1)
            le_put32(buf, 1);
        return NVME_OK;
    default:
        return NVME_SC_INVALID_FIELD;
    }
}

static void identify(nvme_cmd_t *m)
{
    uint8_t *buf = m->ctrl->scratch;
    sim_time_t ready, done;
    uint16_t st = identify_fill(m, buf);
    if (st == NVME_OK)
        st = nvme_prp_map(m, 4096, &ready);
    if (st != NVME_OK) {
        nvme_complete(m, st, 0);
        return;
    }
    /* 4 KiB spans at most two pages: PRP1 and PRP2, never a list, so the
     * data can go now. */
    m->status = nvme_data_dma(m, buf, true, &done);
    nvme_complete_at(m, done > ready ? done : ready);
}

/* ---------------------------------------------------------------- features */

static uint16_t set_num_queues(nvme_cmd_t *m, uint32_t dw11)
{
    nvme_t *c = m->ctrl;
    uint32_t nsqr = dw11 & 0xFFFFu, ncqr = dw11 >> 16;
    if (c->io_sq_live || c->io_cq_live)
        return NVME_SC_CMD_SEQ;
    if (nsqr == 0xFFFFu || ncqr == 0xFFFFu)
        return NVME_SC_INVALID_FIELD;
    c->nsqa = nsqr + 1 < c->cfg.io_queues ? nsqr + 1 : c->cfg.io_queues;
    c->ncqa = ncqr + 1 < c->cfg.io_queues ? ncqr + 1 : c->cfg.io_queues;
    m->result = (c->ncqa - 1) << 16 | (c->nsqa - 1);
    return NVME_OK;
}

static uint16_t set_features(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    uint32_t dw10 = nvme_sqe_cdw(m, 10), dw11 = nvme_sqe_cdw(m, 11);
    if (dw10 >> 31) /* SV */
        return NVME_SC_NOT_SAVEABLE;
    switch (dw10 & 0xFFu) {
    case NVME_FEAT_NUM_QUEUES:
        return set_num_queues(m, dw11);
    case NVME_FEAT_IRQ_COALESCE:
        c->coal_thr = (uint8_t)dw11;
        c->coal_time = (uint8_t)(dw11 >> 8);
        return NVME_OK;
    case NVME_FEAT_IRQ_CONFIG:
        if ((dw11 & 0xFFFFu) >= c->cfg.msix_vectors)
            return NVME_SC_INVALID_FIELD;
        c->vec[dw11 & 0xFFFFu].no_coalesce = (dw11 >> 16) & 1u;
        return NVME_OK;
    default:
        return NVME_SC_INVALID_FIELD;
    }
}

static uint16_t get_features(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    uint32_t dw10 = nvme_sqe_cdw(m, 10), dw11 = nvme_sqe_cdw(m, 11);
    unsigned sel = (dw10 >> 8) & 7u, fid = dw10 & 0xFFu;
    bool dflt = sel != 0;
    if (sel > 3 || fid < NVME_FEAT_NUM_QUEUES || fid > NVME_FEAT_IRQ_CONFIG)
        return NVME_SC_INVALID_FIELD;
    if (fid == NVME_FEAT_IRQ_CONFIG && (dw11 & 0xFFFFu) >= c->cfg.msix_vectors)
        return NVME_SC_INVALID_FIELD;
    if (sel == 3) {
        m->result = 1u << 2; /* changeable, not saveable, not per namespace */
        return NVME_OK;
    }
    switch (fid) {
    case NVME_FEAT_NUM_QUEUES: {
        uint32_t sq = dflt ? c->cfg.io_queues : c->nsqa, cq = dflt ? c->cfg.io_queues : c->ncqa;
        m->result = (cq - 1) << 16 | (sq - 1);
        return NVME_OK;
    }
    case NVME_FEAT_IRQ_COALESCE:
        m->result = dflt ? 0 : (uint32_t)c->coal_time << 8 | c->coal_thr;
        return NVME_OK;
    default: /* NVME_FEAT_IRQ_CONFIG */
        m->result = (dw11 & 0xFFFFu) | (!dflt && c->vec[dw11 & 0xFFFFu].no_coalesce ? 1u << 16 : 0);
        return NVME_OK;
    }
}

/* ---------------------------------------------------------------- events */

static void aer_deliver(nvme_t *c)
{
    while (c->aer_head && c->nae) {
        nvme_cmd_t *m = c->aer_head;
        c->aer_head = m->next;
        if (!c->aer_head)
            c->aer_tail = NULL;
        c->aer_count--;
        uint32_t dw0 = c->ae[0];
        memmove(c->ae, c->ae + 1, (--c->nae) * sizeof c->ae[0]);
        nvme_complete(m, NVME_OK, dw0);
    }
}

static void aer(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    if (c->aer_count > NVME_AERL) {
        nvme_complete(m, NVME_SC_AER_LIMIT, 0);
        return;
    }
    m->next = NULL;
    if (c->aer_tail)
        c->aer_tail->next = m;
    else
        c->aer_head = m;
    c->aer_tail = m;
    c->aer_count++;
    aer_deliver(c);
}

void nvme_async_event(nvme_t *c, uint8_t type, uint8_t info, uint8_t log)
{
    c->st.async_events++;
    if (c->nae == NVME_AE_QUEUE) {
        c->st.async_events_lost++;
        return;
    }
    c->ae[c->nae++] = (uint32_t)type | (uint32_t)info << 8 | (uint32_t)log << 16;
    aer_deliver(c);
}

void nvme_admin_reset(nvme_t *c)
{
    for (nvme_cmd_t *m = c->aer_head, *n; m; m = n) {
        n = m->next;
        nvme_cmd_free(m);
    }
    c->aer_head = c->aer_tail = NULL;
    c->aer_count = 0;
    c->nae = 0;
    c->coal_thr = c->coal_time = 0;
    for (unsigned v = 0; v < c->cfg.msix_vectors; v++)
        c->vec[v].no_coalesce = false;
}

/* ---------------------------------------------------------------- dispatch */

void nvme_admin_exec(nvme_cmd_t *m)
{
    uint8_t op = nvme_sqe_opcode(m);
    uint16_t st;
    m->ctrl->st.admin_cmds[op]++;
    if (nvme_admin_ops[op].name && (nvme_sqe_fuse(m) || nvme_sqe_psdt(m))) {
        nvme_complete(m, NVME_SC_INVALID_FIELD, 0);
        return;
    }
    switch (op) {
    case NVME_ADM_DELETE_SQ:
        delete_sq(m);
        return;
    case NVME_ADM_CREATE_SQ:
        st = create_sq(m);
        break;
    case NVME_ADM_DELETE_CQ:
        st = delete_cq(m);
        break;
    case NVME_ADM_CREATE_CQ:
        st = create_cq(m);
        break;
    case NVME_ADM_IDENTIFY:
        identify(m);
        return;
    case NVME_ADM_SET_FEATURES:
        st = set_features(m);
        break;
    case NVME_ADM_GET_FEATURES:
        st = get_features(m);
        break;
    case NVME_ADM_AER:
        aer(m);
        return;
    default:
        st = NVME_SC_INVALID_OPCODE;
        break;
    }
    nvme_complete(m, st, m->result);
}
