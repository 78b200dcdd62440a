/* tests/devices/check_nvme: the NVMe controller's protocol (devices/nvme.h)
 * driven as a kernel would drive it (tests/devices/nvme_drv.h).
 *
 * Expectations come from the NVMe 1.4 base specification, written out
 * here: register fields (3.1), Identify byte offsets (Figures 245, 247),
 * status codes (Figure 127 generic, SCT 0; Figure 128 command specific,
 * SCT 1), the phase tag rule (4.6), PRP rules (4.3), the Asynchronous
 * Event Information values (Figure 146) and the interrupt coalescing
 * encoding (5.21.1.8).  Timing expectations are in check_nvme_media.c. */
#include <stdio.h>
#include <string.h>

#include "tests/check_main.h"
#include "tests/devices/nvme_drv.h"

/* Status codes as numbers from the spec. */
#define SCT_GEN 0
#define SCT_CMD 1
#define SC_INVALID_OPCODE 0x01
#define SC_INVALID_FIELD 0x02
#define SC_DATA_XFER 0x04
#define SC_INVALID_NS 0x0B
#define SC_CMD_SEQ 0x0C
#define SC_PRP_OFFSET 0x13
#define SC_LBA_RANGE 0x80
#define SC_CQ_INVALID 0x00
#define SC_QID_INVALID 0x01
#define SC_QSIZE_INVALID 0x02
#define SC_IV_INVALID 0x08
#define SC_Q_DELETION 0x0C

static drv_t D;

static nvme_cfg_t small_cfg(void)
{
    nvme_cfg_t c;
    nvme_cfg_default(&c);
    c.io_queues = 8;
    c.msix_vectors = 9;
    c.max_queue_entries = 256;
    c.ns_blocks = 1024; /* 4 MiB */
    return c;
}

static void up(void)
{
    nvme_cfg_t c = small_cfg();
    drv_up(&D, &c);
    drv_enable(&D, 16, 16);
}

/* An I/O queue pair 1 (CQ on MSI-X entry 1) of the given sizes. */
static void io_pair(tq_t *sq, tq_t *cq, uint32_t sq_size, uint32_t cq_size)
{
    ck_status(drv_create_cq(&D, cq, 1, cq_size, 1), SCT_GEN, 0);
    ck_status(drv_create_sq(&D, sq, 1, sq_size, 1), SCT_GEN, 0);
}

/* Submit one I/O command on sq, run, return its completion from cq. */
static cqe_t io_cmd(tq_t *sq, tq_t *cq, sqe_args_t a)
{
    uint16_t cid = drv_put(&D, sq, a);
    drv_ring(&D, sq);
    drv_run(&D);
    cqe_t e;
    ck_assert_msg(drv_reap(&D, cq, &e), "no I/O completion");
    ck_assert_uint_eq(e.cid, cid);
    drv_ring_cq(&D, cq);
    drv_run(&D);
    return e;
}

/* ---------------------------------------------------------------- registers */

START_TEST(test_cap_and_vs_describe_the_controller)
{
    nvme_cfg_t c = small_cfg();
    drv_up(&D, &c);
    uint64_t cap = drv_r64(&D, R_CAP);
    ck_assert_uint_eq(cap & 0xFFFF, 255);          /* MQES, 0's based */
    ck_assert_uint_eq((cap >> 16) & 1, 1);         /* CQR */
    ck_assert_uint_ge((cap >> 24) & 0xFF, 1);      /* TO */
    ck_assert_uint_eq((cap >> 32) & 0xF, 0);       /* DSTRD */
    ck_assert_uint_eq((cap >> 37) & 1, 1);         /* CSS: NVM */
    ck_assert_uint_eq((cap >> 48) & 0xF, 0);       /* MPSMIN: 4 KiB */
    ck_assert_uint_eq(drv_r32(&D, R_CAP + 4), cap >> 32);
    ck_assert_uint_eq(drv_r32(&D, R_VS), 0x00010400); /* 1.4.0 */
    drv_down(&D);
}
END_TEST

START_TEST(test_enable_sets_ready_after_the_delay)
{
    nvme_cfg_t c = small_cfg();
    drv_up(&D, &c);
    sim_time_t w = cost_ps(&D.costs, COST_PCIE_MMIO_WRITE);
    sim_time_t rdy = cost_ps(&D.costs, COST_NVME_READY);
    ck_assert_uint_gt(rdy, 0);
    drv_queue(&D, &D.asq, 0, 4, 64);
    drv_queue(&D, &D.acq, 0, 4, 16);
    drv_w32(&D, R_AQA, 3u << 16 | 3u);
    drv_w64(&D, R_ASQ, D.asq.base);
    drv_w64(&D, R_ACQ, D.acq.base);
    drv_run(&D);
    sim_time_t t0 = sim_now(D.sim);
    drv_w32(&D, R_CC, CC_EN | CC_IOSQES_64 | CC_IOCQES_16);
    /* the posted write lands at t0 + w, RDY follows nvme.ready later */
    sim_run(D.sim, t0 + w + rdy - 1);
    ck_assert_uint_eq(drv_r32(&D, R_CSTS) & CSTS_RDY, 0);
    sim_run(D.sim, t0 + w + rdy);
    ck_assert_uint_eq(drv_r32(&D, R_CSTS) & (CSTS_RDY | CSTS_CFS), CSTS_RDY);
    ck_assert_uint_eq(drv_r64(&D, R_ASQ), D.asq.base);
    /* disable: RDY drops after the same delay */
    t0 = sim_now(D.sim);
    drv_w32(&D, R_CC, 0);
    sim_run(D.sim, t0 + w + rdy - 1);
    ck_assert_uint_eq(drv_r32(&D, R_CSTS) & CSTS_RDY, CSTS_RDY);
    sim_run(D.sim, t0 + w + rdy);
    ck_assert_uint_eq(drv_r32(&D, R_CSTS) & CSTS_RDY, 0);
    drv_down(&D);
}
END_TEST

START_TEST(test_enable_with_bad_page_size_is_fatal)
{
    nvme_cfg_t c = small_cfg();
    drv_up(&D, &c);
    drv_queue(&D, &D.asq, 0, 4, 64);
    drv_queue(&D, &D.acq, 0, 4, 16);
    drv_w32(&D, R_AQA, 3u << 16 | 3u);
    drv_w64(&D, R_ASQ, D.asq.base);
    drv_w64(&D, R_ACQ, D.acq.base);
    uint32_t mpsmax = (uint32_t)(drv_r64(&D, R_CAP) >> 52) & 0xF;
    drv_w32(&D, R_CC, CC_EN | (mpsmax + 1) << 7); /* CC.MPS above CAP.MPSMAX */
    drv_run(&D);
    ck_assert_uint_eq(drv_r32(&D, R_CSTS) & (CSTS_RDY | CSTS_CFS), CSTS_CFS);
    ck_assert_uint_ge(nvme_stats(D.nvme)->guest_errors, 1);
    drv_down(&D);
}
END_TEST

START_TEST(test_disable_deletes_io_queues)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 8, 8);
    drv_w32(&D, R_CC, 0);
    drv_run(&D);
    ck_assert_uint_eq(drv_r32(&D, R_CSTS) & CSTS_RDY, 0);
    drv_enable(&D, 16, 16);
    /* QID 1 is free again */
    io_pair(&sq, &cq, 8, 8);
    ck_status(io_cmd(&sq, &cq, (sqe_args_t){ .opc = 0x00, .nsid = 1 }), SCT_GEN, 0);
    drv_down(&D);
}
END_TEST

/* ---------------------------------------------------------------- identify */

START_TEST(test_identify_controller_fields)
{
    up();
    /* PRP1 in the middle of a page: the 4 KiB spill into PRP2's page */
    uint64_t a = drv_alloc(&D, 4096), b = drv_alloc(&D, 4096);
    cqe_t e = drv_admin(&D, (sqe_args_t){ .opc = 0x06, .prp1 = a + 2048, .prp2 = b,
                                          .cdw10 = 0x01 });
    ck_status(e, SCT_GEN, 0);
    uint8_t id[4096];
    mem_read(D.mem, a + 2048, id, 2048);
    mem_read(D.mem, b, id + 2048, 2048);
    ck_assert_uint_eq(get_le(id + 0, 2), 0x1B36);          /* VID */
    for (int i = 4; i < 24; i++)                           /* SN: ASCII */
        ck_assert(id[i] >= 0x20 && id[i] < 0x7F);
    ck_assert_int_eq(memcmp(id + 24, "parasim NVMe nand", 17), 0); /* MN */
    ck_assert_uint_eq(id[24 + 39], ' ');                    /* space padded */
    ck_assert_uint_eq(id[77], 5);                           /* MDTS: 128 KiB */
    ck_assert_uint_eq(get_le(id + 80, 4), 0x00010400);     /* VER */
    ck_assert_uint_eq(id[512], 0x66);                       /* SQES */
    ck_assert_uint_eq(id[513], 0x44);                       /* CQES */
    ck_assert_uint_eq(get_le(id + 516, 4), 1);             /* NN */
    ck_assert_uint_eq(id[525], 0);                          /* VWC */
    drv_down(&D);
}
END_TEST

static const struct {
    unsigned lba;
    unsigned lbads;
    const char *desc;
} lba_matrix[] = {
    { 512, 9, "512 B blocks" },
    { 4096, 12, "4 KiB blocks" },
};

START_TEST(test_identify_namespace_fields)
{
    nvme_cfg_t c = small_cfg();
    c.lba_size = lba_matrix[_i].lba;
    c.ns_blocks = 12345;
    drv_up(&D, &c);
    drv_enable(&D, 8, 8);
    uint64_t a = drv_alloc(&D, 4096);
    cqe_t e = drv_admin(&D, (sqe_args_t){ .opc = 0x06, .nsid = 1, .prp1 = a, .cdw10 = 0x00 });
    ck_status(e, SCT_GEN, 0);
    uint8_t id[4096];
    mem_read(D.mem, a, id, sizeof id);
    ck_assert_uint_eq(get_le(id + 0, 8), 12345);  /* NSZE */
    ck_assert_uint_eq(get_le(id + 8, 8), 12345);  /* NCAP */
    ck_assert_uint_eq(get_le(id + 16, 8), 12345); /* NUSE */
    ck_assert_uint_eq(id[25], 0);                 /* NLBAF: one format */
    ck_assert_uint_eq(id[26], 0);                 /* FLBAS: format 0 */
    ck_assert_uint_eq(get_le(id + 128, 2), 0);    /* LBAF0.MS */
    ck_assert_msg(id[130] == lba_matrix[_i].lbads, "%s", lba_matrix[_i].desc); /* LBADS */
    /* no namespace 2; an unknown CNS */
    e = drv_admin(&D, (sqe_args_t){ .opc = 0x06, .nsid = 2, .prp1 = a, .cdw10 = 0x00 });
    ck_status(e, SCT_GEN, SC_INVALID_NS);
    e = drv_admin(&D, (sqe_args_t){ .opc = 0x06, .prp1 = a, .cdw10 = 0x55 });
    ck_status(e, SCT_GEN, SC_INVALID_FIELD);
    drv_down(&D);
}
END_TEST

/* ---------------------------------------------------------------- queues */

START_TEST(test_create_cq_errors)
{
    tq_t q;
    up();
    ck_status(drv_create_cq(&D, &q, 1, 8, 1), SCT_GEN, 0);
    ck_assert_uint_eq(q.qid, 1);
    ck_status(drv_create_cq(&D, &q, 0, 8, 1), SCT_CMD, SC_QID_INVALID);  /* admin CQ id */
    ck_status(drv_create_cq(&D, &q, 9, 8, 1), SCT_CMD, SC_QID_INVALID);  /* > 8 queues */
    ck_status(drv_create_cq(&D, &q, 1, 8, 1), SCT_CMD, SC_QID_INVALID);  /* in use */
    ck_status(drv_create_cq(&D, &q, 2, 1, 1), SCT_CMD, SC_QSIZE_INVALID); /* 1 entry */
    ck_status(drv_create_cq(&D, &q, 2, 257, 1), SCT_CMD, SC_QSIZE_INVALID); /* > MQES + 1 */
    ck_status(drv_create_cq(&D, &q, 2, 8, 9), SCT_CMD, SC_IV_INVALID);   /* 9 vectors: 0..8 */
    /* PC = 0 while CAP.CQR = 1 */
    cqe_t e = drv_admin(&D, (sqe_args_t){ .opc = 0x05, .prp1 = q.base, .cdw10 = 7u << 16 | 2,
                                          .cdw11 = 1u << 16 | 2u });
    ck_status(e, SCT_GEN, SC_INVALID_FIELD);
    /* base not page aligned */
    e = drv_admin(&D, (sqe_args_t){ .opc = 0x05, .prp1 = q.base + 64, .cdw10 = 7u << 16 | 2,
                                    .cdw11 = 1u << 16 | 3u });
    ck_status(e, SCT_GEN, SC_PRP_OFFSET);
    ck_status(drv_create_cq(&D, &q, 2, 256, 8), SCT_GEN, 0); /* largest, last vector */
    drv_down(&D);
}
END_TEST

START_TEST(test_create_sq_errors)
{
    tq_t q, cq;
    up();
    ck_status(drv_create_sq(&D, &q, 1, 8, 1), SCT_CMD, SC_CQ_INVALID); /* no CQ 1 yet */
    ck_status(drv_create_cq(&D, &cq, 1, 8, 1), SCT_GEN, 0);
    ck_status(drv_create_sq(&D, &q, 1, 8, 0), SCT_CMD, SC_CQ_INVALID); /* the admin CQ */
    ck_status(drv_create_sq(&D, &q, 1, 8, 5), SCT_CMD, SC_CQ_INVALID);
    ck_status(drv_create_sq(&D, &q, 0, 8, 1), SCT_CMD, SC_QID_INVALID);
    ck_status(drv_create_sq(&D, &q, 1, 0x10000, 1), SCT_CMD, SC_QSIZE_INVALID);
    ck_status(drv_create_sq(&D, &q, 1, 8, 1), SCT_GEN, 0);
    ck_status(drv_create_sq(&D, &q, 1, 8, 1), SCT_CMD, SC_QID_INVALID); /* in use */
    ck_status(drv_create_sq(&D, &q, 2, 8, 1), SCT_GEN, 0); /* two SQs share CQ 1 */
    drv_down(&D);
}
END_TEST

START_TEST(test_delete_queue_errors)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 8, 8);
    /* Delete I/O CQ (04h) while SQ 1 uses it; Delete I/O SQ (00h) */
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x04, .cdw10 = 1 }), SCT_CMD, SC_Q_DELETION);
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x00, .cdw10 = 0 }), SCT_CMD, SC_QID_INVALID);
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x00, .cdw10 = 3 }), SCT_CMD, SC_QID_INVALID);
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x00, .cdw10 = 1 }), SCT_GEN, 0);
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x00, .cdw10 = 1 }), SCT_CMD, SC_QID_INVALID);
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x04, .cdw10 = 1 }), SCT_GEN, 0);
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x04, .cdw10 = 1 }), SCT_CMD, SC_QID_INVALID);
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x04, .cdw10 = 0 }), SCT_CMD, SC_QID_INVALID);
    drv_down(&D);
}
END_TEST

START_TEST(test_delete_sq_waits_for_its_commands)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 8, 8);
    unsigned n0 = D.nirq;
    uint64_t buf = drv_alloc(&D, 4096);
    uint16_t rcid = drv_put(&D, &sq, drv_rw(false, 0, 1, buf, 0));
    drv_ring(&D, &sq);
    drv_put(&D, &D.asq, (sqe_args_t){ .opc = 0x00, .cdw10 = 1 });
    drv_ring(&D, &D.asq);
    drv_run(&D);
    cqe_t r, del;
    ck_assert(drv_reap(&D, &cq, &r));
    ck_assert(drv_reap(&D, &D.acq, &del));
    ck_assert_uint_eq(r.cid, rcid);
    ck_status(r, SCT_GEN, 0);
    ck_status(del, SCT_GEN, 0);
    /* the read's interrupt (entry 1) came before the delete's (entry 0) */
    ck_assert_uint_eq(D.nirq, n0 + 2);
    ck_assert_uint_eq(D.irq_vec[n0], DRV_VEC_BASE + 1);
    ck_assert_uint_eq(D.irq_vec[n0 + 1], DRV_VEC_BASE + 0);
    ck_assert_uint_ge(D.irq_t[n0] - D.irq_t[0], cost_ps(&D.costs, COST_NAND_READ));
    drv_down(&D);
}
END_TEST

START_TEST(test_unknown_opcodes_and_fields)
{
    tq_t sq, cq;
    up();
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x7F }), SCT_GEN, SC_INVALID_OPCODE);
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x09, .cdw10 = 0x42 }), SCT_GEN, SC_INVALID_FIELD);
    io_pair(&sq, &cq, 8, 8);
    ck_status(io_cmd(&sq, &cq, (sqe_args_t){ .opc = 0x7E, .nsid = 1 }), SCT_GEN, SC_INVALID_OPCODE);
    ck_status(io_cmd(&sq, &cq, (sqe_args_t){ .opc = 0x00, .nsid = 1 }), SCT_GEN, 0);
    ck_status(io_cmd(&sq, &cq, (sqe_args_t){ .opc = 0x00, .nsid = 7 }), SCT_GEN, SC_INVALID_NS);
    ck_assert_uint_eq(nvme_stats(D.nvme)->io_cmds[0x7E], 1);
    ck_assert_uint_eq(nvme_stats(D.nvme)->io_cmds[0x00], 2);
    ck_assert_str_eq(nvme_opcode_name(false, 0x02), "read");
    ck_assert_str_eq(nvme_opcode_name(true, 0x06), "identify");
    ck_assert_str_eq(nvme_opcode_name(true, 0x7F), "unknown");
    drv_down(&D);
}
END_TEST

/* ---------------------------------------------------------------- features */

START_TEST(test_number_of_queues_feature)
{
    tq_t q;
    up();
    /* Set Features (09h) FID 07h: NCQR << 16 | NSQR, 0's based */
    cqe_t e = drv_admin(&D, (sqe_args_t){ .opc = 0x09, .cdw10 = 0x07, .cdw11 = 2u << 16 | 1u });
    ck_status(e, SCT_GEN, 0);
    ck_assert_uint_eq(e.dw0, 2u << 16 | 1u);
    e = drv_admin(&D, (sqe_args_t){ .opc = 0x0A, .cdw10 = 0x07 });
    ck_assert_uint_eq(e.dw0, 2u << 16 | 1u);
    ck_status(drv_create_cq(&D, &q, 4, 8, 1), SCT_CMD, SC_QID_INVALID); /* 3 CQs allocated */
    ck_status(drv_create_cq(&D, &q, 3, 8, 1), SCT_GEN, 0);
    ck_status(drv_create_sq(&D, &q, 3, 8, 3), SCT_CMD, SC_QID_INVALID); /* 2 SQs allocated */
    /* once queues exist it may not change */
    e = drv_admin(&D, (sqe_args_t){ .opc = 0x09, .cdw10 = 0x07, .cdw11 = 0 });
    ck_status(e, SCT_GEN, SC_CMD_SEQ);
    /* asking for more than supported: capped at 8 */
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x04, .cdw10 = 3 }), SCT_GEN, 0);
    e = drv_admin(&D, (sqe_args_t){ .opc = 0x09, .cdw10 = 0x07, .cdw11 = 100u << 16 | 100u });
    ck_assert_uint_eq(e.dw0, 7u << 16 | 7u);
    e = drv_admin(&D, (sqe_args_t){ .opc = 0x09, .cdw10 = 0x07, .cdw11 = 0xFFFFu });
    ck_status(e, SCT_GEN, SC_INVALID_FIELD);
    drv_down(&D);
}
END_TEST

/* ---------------------------------------------------------------- completion queue */

START_TEST(test_phase_tag_flips_when_the_cq_wraps)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 5, 4);
    for (unsigned i = 0; i < 12; i++) {
        uint32_t slot = cq.idx;
        cqe_t e = io_cmd(&sq, &cq, (sqe_args_t){ .opc = 0x00, .nsid = 1 });
        /* 4.6: phase 1 on the first pass through the 4 slots, 0 on the
         * second, 1 on the third */
        ck_assert_uint_eq(slot, i % 4);
        ck_assert_uint_eq(e.phase, ((i / 4) % 2) ? 0 : 1);
        ck_assert_uint_eq(e.sqhd, (i + 1) % 5); /* SQ head after the fetch */
        ck_assert_uint_eq(e.sqid, 1);
        ck_status(e, SCT_GEN, 0);
    }
    drv_down(&D);
}
END_TEST

START_TEST(test_full_cq_holds_completions_until_head_moves)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 8, 2); /* 2 slots: one completion at a time */
    uint16_t cid[3];
    for (int i = 0; i < 3; i++)
        cid[i] = drv_put(&D, &sq, (sqe_args_t){ .opc = 0x00, .nsid = 1 });
    drv_ring(&D, &sq);
    drv_run(&D);
    cqe_t e;
    ck_assert(drv_reap(&D, &cq, &e));
    ck_assert_uint_eq(e.cid, cid[0]);
    ck_assert(!drv_reap(&D, &cq, &e)); /* slot 1 not written: full */
    ck_assert_uint_eq(nvme_stats(D.nvme)->cq_full_holds, 2);
    drv_ring_cq(&D, &cq);
    drv_run(&D);
    ck_assert(drv_reap(&D, &cq, &e));
    ck_assert_uint_eq(e.cid, cid[1]);
    ck_assert(!drv_reap(&D, &cq, &e));
    drv_ring_cq(&D, &cq);
    drv_run(&D);
    ck_assert(drv_reap(&D, &cq, &e));
    ck_assert_uint_eq(e.cid, cid[2]);
    ck_assert_uint_eq(e.phase, 0); /* slot 0, second pass */
    drv_down(&D);
}
END_TEST

/* ---------------------------------------------------------------- data */

static uint8_t pat(uint64_t i, unsigned seed) { return (uint8_t)(i * 131 + seed * 7 + (i >> 9)); }

START_TEST(test_prp_list_across_pages_read_after_write)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 8, 8);
    enum { N = 6, LEN = N * 4096 };
    /* Write 6 blocks: PRP1 = page 0, PRP2 = a list of 5 scattered pages */
    uint64_t pg[N], list = drv_alloc(&D, 4096);
    for (int i = 0; i < N; i++) {
        pg[i] = drv_alloc(&D, 4096 * 2); /* a gap after each page */
        for (int b = 0; b < 4096; b++) {
            uint8_t v = pat((uint64_t)i * 4096 + b, 1);
            mem_write(D.mem, pg[i] + b, &v, 1);
        }
        if (i)
            mem_write_u64(D.mem, list + 8 * (i - 1), pg[i]);
    }
    ck_status(io_cmd(&sq, &cq, drv_rw(true, 100, N, pg[0], list)), SCT_GEN, 0);
    /* Read them back into 7 pages starting at offset 512 of the first,
     * through a list that chains: its first page holds one entry and the
     * chain pointer (list pointer at offset 4096 - 16) */
    uint64_t rp[N + 1], l1 = drv_alloc(&D, 4096), l2 = drv_alloc(&D, 4096);
    for (int i = 0; i <= N; i++)
        rp[i] = drv_alloc(&D, 4096 * 2);
    mem_write_u64(D.mem, l1 + 4096 - 16, rp[1]);
    mem_write_u64(D.mem, l1 + 4096 - 8, l2);
    for (int i = 2; i <= N; i++)
        mem_write_u64(D.mem, l2 + 8 * (i - 2), rp[i]);
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 100, N, rp[0] + 512, l1 + 4096 - 16)), SCT_GEN, 0);
    static uint8_t got[LEN];
    uint64_t off = 0;
    mem_read(D.mem, rp[0] + 512, got, 4096 - 512);
    off = 4096 - 512;
    for (int i = 1; i < N; i++, off += 4096)
        mem_read(D.mem, rp[i], got + off, 4096);
    mem_read(D.mem, rp[N], got + off, 512);
    for (uint64_t i = 0; i < LEN; i++)
        ck_assert_msg(got[i] == pat(i, 1), "byte %lu", (unsigned long)i);
    ck_assert_uint_eq(nvme_stats(D.nvme)->write_bytes, LEN);
    ck_assert_uint_eq(nvme_stats(D.nvme)->read_bytes, LEN);
    drv_down(&D);
}
END_TEST

START_TEST(test_two_page_transfer_uses_prp2_as_a_page)
{
    nvme_cfg_t c = small_cfg();
    c.lba_size = 512;
    drv_up(&D, &c);
    drv_enable(&D, 8, 8);
    tq_t sq, cq;
    io_pair(&sq, &cq, 8, 8);
    /* 3 blocks (1536 B) from 1024 B before a page end: PRP2 is a page */
    uint64_t a = drv_alloc(&D, 4096), b = drv_alloc(&D, 8192) + 4096;
    for (int i = 0; i < 1536; i++) {
        uint8_t v = pat(i, 2);
        mem_write(D.mem, i < 1024 ? a + 3072 + i : b + (i - 1024), &v, 1);
    }
    ck_status(io_cmd(&sq, &cq, drv_rw(true, 7, 3, a + 3072, b)), SCT_GEN, 0);
    uint64_t r = drv_alloc(&D, 4096);
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 7, 3, r, 0)), SCT_GEN, 0);
    uint8_t got[1536];
    mem_read(D.mem, r, got, sizeof got);
    for (int i = 0; i < 1536; i++)
        ck_assert_uint_eq(got[i], pat(i, 2));
    /* a PRP2 page with an offset is refused */
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 7, 3, a + 3072, b + 8)), SCT_GEN, SC_PRP_OFFSET);
    drv_down(&D);
}
END_TEST

START_TEST(test_lba_out_of_range_and_bad_fields)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 8, 8);
    uint64_t buf = drv_alloc(&D, 4096 * 2);
    /* ns has 1024 blocks: 1023 is the last */
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 1023, 1, buf, 0)), SCT_GEN, 0);
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 1023, 2, buf, buf + 4096)), SCT_GEN, SC_LBA_RANGE);
    ck_status(io_cmd(&sq, &cq, drv_rw(true, 1024, 1, buf, 0)), SCT_GEN, SC_LBA_RANGE);
    ck_status(io_cmd(&sq, &cq, drv_rw(true, UINT64_C(1) << 40, 1, buf, 0)), SCT_GEN, SC_LBA_RANGE);
    /* 64 blocks = 256 KiB > MDTS (128 KiB) */
    ck_status(io_cmd(&sq, &cq, drv_rw(false, 0, 64, buf, buf + 4096)), SCT_GEN, SC_INVALID_FIELD);
    sqe_args_t a = drv_rw(false, 0, 1, buf, 0);
    a.nsid = 2;
    ck_status(io_cmd(&sq, &cq, a), SCT_GEN, SC_INVALID_NS);
    a = drv_rw(false, 0, 1, buf + 2, 0); /* PRP1 not dword aligned */
    ck_status(io_cmd(&sq, &cq, a), SCT_GEN, SC_PRP_OFFSET);
    drv_down(&D);
}
END_TEST

START_TEST(test_refused_dma_is_a_data_transfer_error)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 8, 8);
    /* PRP1 past the end of physical memory: the bus refuses the DMA */
    cqe_t e = io_cmd(&sq, &cq, drv_rw(true, 0, 1, DRV_MEM + 4096 * 4, 0));
    ck_status(e, SCT_GEN, SC_DATA_XFER);
    e = io_cmd(&sq, &cq, drv_rw(false, 0, 1, DRV_MEM, 0));
    ck_status(e, SCT_GEN, SC_DATA_XFER);
    /* a PRP list outside memory too */
    uint64_t buf = drv_alloc(&D, 4096);
    e = io_cmd(&sq, &cq, drv_rw(false, 0, 3, buf, DRV_MEM + 8));
    ck_status(e, SCT_GEN, SC_DATA_XFER);
    ck_assert_uint_eq(nvme_stats(D.nvme)->dma_faults, 3);
    ck_assert_uint_eq(nvme_stats(D.nvme)->write_bytes, 0);
    drv_down(&D);
}
END_TEST

/* ---------------------------------------------------------------- interrupts */

START_TEST(test_coalescing_threshold_sends_one_interrupt)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 16, 16);
    /* FID 08h: THR = 3 (4 completions, 0's based), TIME = 10 (1 ms) */
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x09, .cdw10 = 0x08, .cdw11 = 10u << 8 | 3u }),
              SCT_GEN, 0);
    ck_assert_uint_eq(drv_admin(&D, (sqe_args_t){ .opc = 0x0A, .cdw10 = 0x08 }).dw0,
                      10u << 8 | 3u);
    for (int i = 0; i < 4; i++)
        drv_put(&D, &sq, (sqe_args_t){ .opc = 0x00, .nsid = 1 });
    drv_ring(&D, &sq);
    drv_run(&D);
    ck_assert_uint_eq(drv_irqs(&D, 1), 1);
    cqe_t e;
    for (int i = 0; i < 4; i++)
        ck_assert(drv_reap(&D, &cq, &e));
    drv_ring_cq(&D, &cq);
    /* two completions: below the threshold, sent when TIME runs out */
    drv_put(&D, &sq, (sqe_args_t){ .opc = 0x00, .nsid = 1 });
    drv_put(&D, &sq, (sqe_args_t){ .opc = 0x00, .nsid = 1 });
    sim_time_t t0 = sim_now(D.sim);
    drv_ring(&D, &sq);
    sim_run(D.sim, t0 + SIM_US(999));
    ck_assert_uint_eq(drv_irqs(&D, 1), 1);
    drv_run(&D);
    ck_assert_uint_eq(drv_irqs(&D, 1), 2);
    ck_assert_uint_ge(D.irq_t[D.nirq - 1] - t0, SIM_MS(1));
    ck_assert_uint_lt(D.irq_t[D.nirq - 1] - t0, SIM_MS(1) + SIM_US(5));
    /* CD for vector 1 (FID 09h): one interrupt per completion again */
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x09, .cdw10 = 0x09, .cdw11 = 1u << 16 | 1u }),
              SCT_GEN, 0);
    for (int i = 0; i < 2; i++)
        ck_assert(drv_reap(&D, &cq, &e));
    drv_ring_cq(&D, &cq);
    for (int i = 0; i < 3; i++)
        drv_put(&D, &sq, (sqe_args_t){ .opc = 0x00, .nsid = 1 });
    drv_ring(&D, &sq);
    drv_run(&D);
    ck_assert_uint_eq(drv_irqs(&D, 1), 5);
    drv_down(&D);
}
END_TEST

START_TEST(test_no_coalescing_by_default)
{
    tq_t sq, cq;
    up();
    io_pair(&sq, &cq, 16, 16);
    for (int i = 0; i < 4; i++)
        drv_put(&D, &sq, (sqe_args_t){ .opc = 0x00, .nsid = 1 });
    drv_ring(&D, &sq);
    drv_run(&D);
    ck_assert_uint_eq(drv_irqs(&D, 1), 4);
    drv_down(&D);
}
END_TEST

/* ---------------------------------------------------------------- doorbells */

START_TEST(test_doorbell_stride_4k_gives_each_queue_its_page)
{
    nvme_cfg_t c = small_cfg();
    c.dstrd = 10; /* 4 << 10 = 4 KiB */
    drv_up(&D, &c);
    ck_assert_uint_eq((drv_r64(&D, R_CAP) >> 32) & 0xF, 10);
    drv_enable(&D, 8, 8);
    tq_t sq, cq;
    io_pair(&sq, &cq, 8, 8);
    /* SQ 1 tail at 0x1000 + 2 * 4096, CQ 1 head at 0x1000 + 3 * 4096 */
    drv_put(&D, &sq, (sqe_args_t){ .opc = 0x00, .nsid = 1 });
    drv_w32(&D, 0x3000, sq.idx);
    drv_run(&D);
    cqe_t e;
    ck_assert(drv_reap(&D, &cq, &e));
    ck_status(e, SCT_GEN, 0);
    drv_w32(&D, 0x4000, cq.idx);
    /* 0x1004 lies between doorbells: reserved, ignored */
    uint64_t ge = nvme_stats(D.nvme)->guest_errors;
    drv_w32(&D, 0x1004, 1);
    drv_run(&D);
    ck_assert_uint_eq(nvme_stats(D.nvme)->guest_errors, ge + 1);
    ck_assert_uint_eq(nvme_stats(D.nvme)->doorbell_errors, 0);
    ck_assert_uint_eq(nvme_doorbell_offset(10, 1, false), 0x3000);
    ck_assert_uint_ge(nvme_msix_offset(&D.cfg), 0x1000 + 18 * 4096);
    drv_down(&D);
}
END_TEST

START_TEST(test_bad_doorbells_raise_async_events)
{
    up();
    /* two Asynchronous Event Requests (0Ch) outstanding */
    uint16_t a1 = drv_put(&D, &D.asq, (sqe_args_t){ .opc = 0x0C });
    uint16_t a2 = drv_put(&D, &D.asq, (sqe_args_t){ .opc = 0x0C });
    drv_ring(&D, &D.asq);
    drv_run(&D);
    cqe_t e;
    ck_assert(!drv_reap(&D, &D.acq, &e));
    /* SQ 5 does not exist: "write to invalid doorbell register" */
    drv_w32(&D, drv_db(&D, 5, false), 1);
    drv_run(&D);
    ck_assert(drv_reap(&D, &D.acq, &e));
    ck_assert_uint_eq(e.cid, a1);
    /* DW0: type 0 (error) 2:0, info 00h 15:8, log page 01h 23:16 */
    ck_assert_uint_eq(e.dw0, 0x00010000);
    /* admin CQ head past its tail: "invalid doorbell write value" */
    drv_w32(&D, drv_db(&D, 0, true), 10);
    drv_run(&D);
    ck_assert(drv_reap(&D, &D.acq, &e));
    ck_assert_uint_eq(e.cid, a2);
    ck_assert_uint_eq(e.dw0, 0x00010100);
    drv_ring_cq(&D, &D.acq);
    drv_run(&D);
    /* SQ tail >= size, no AER outstanding: counted, kept for later */
    drv_w32(&D, drv_db(&D, 0, false), 16);
    drv_run(&D);
    ck_assert_uint_eq(nvme_stats(D.nvme)->doorbell_errors, 3);
    cqe_t f = drv_admin(&D, (sqe_args_t){ .opc = 0x0C });
    ck_assert_uint_eq(f.dw0, 0x00010100);
    /* the queue still works */
    ck_status(drv_admin(&D, (sqe_args_t){ .opc = 0x0A, .cdw10 = 0x08 }), SCT_GEN, 0);
    drv_down(&D);
}
END_TEST

static Suite *nvme_suite(void)
{
    Suite *s = suite_create("nvme");
    TCase *t = tcase_create("registers");
    tcase_add_test(t, test_cap_and_vs_describe_the_controller);
    tcase_add_test(t, test_enable_sets_ready_after_the_delay);
    tcase_add_test(t, test_enable_with_bad_page_size_is_fatal);
    tcase_add_test(t, test_disable_deletes_io_queues);
    suite_add_tcase(s, t);
    t = tcase_create("admin");
    tcase_add_test(t, test_identify_controller_fields);
    tcase_add_loop_test(t, test_identify_namespace_fields, 0,
                        (int)(sizeof lba_matrix / sizeof lba_matrix[0]));
    tcase_add_test(t, test_create_cq_errors);
    tcase_add_test(t, test_create_sq_errors);
    tcase_add_test(t, test_delete_queue_errors);
    tcase_add_test(t, test_delete_sq_waits_for_its_commands);
    tcase_add_test(t, test_unknown_opcodes_and_fields);
    tcase_add_test(t, test_number_of_queues_feature);
    suite_add_tcase(s, t);
    t = tcase_create("io");
    tcase_add_test(t, test_phase_tag_flips_when_the_cq_wraps);
    tcase_add_test(t, test_full_cq_holds_completions_until_head_moves);
    tcase_add_test(t, test_prp_list_across_pages_read_after_write);
    tcase_add_test(t, test_two_page_transfer_uses_prp2_as_a_page);
    tcase_add_test(t, test_lba_out_of_range_and_bad_fields);
    tcase_add_test(t, test_refused_dma_is_a_data_transfer_error);
    suite_add_tcase(s, t);
    t = tcase_create("interrupts");
    tcase_add_test(t, test_coalescing_threshold_sends_one_interrupt);
    tcase_add_test(t, test_no_coalescing_by_default);
    tcase_add_test(t, test_doorbell_stride_4k_gives_each_queue_its_page);
    tcase_add_test(t, test_bad_doorbells_raise_async_events);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(nvme_suite)
