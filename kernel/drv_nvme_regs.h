/* kernel/drv_nvme_regs.h: NVMe registers, commands and queue entries as
 * the NVMe driver (drv_nvme.c) uses them, from the NVM Express Base
 * Specification 1.4: 3.1 controller registers, 4.2 submission queue
 * entry, 4.6 completion queue entry, 5 admin commands (5.3 Create I/O CQ,
 * 5.4 Create I/O SQ, 5.15 Identify, 5.21 Set Features), 6 NVM commands
 * (6.8 Flush, 6.9 Read, 6.15 Write).  Private to drv_nvme.c: the kernel
 * includes no device-model header.
 *
 * BAR0 layout of the parasim controller (devices/nvme.h documents it as
 * the device's contract; on hardware the MSI-X table location comes from
 * the MSI-X capability in PCI configuration space, which is not
 * modelled): registers at 0, doorbells at 0x1000 with stride 4 << DSTRD
 * for the admin queue and every I/O queue the controller supports, then
 * the MSI-X table on the next 4 KiB boundary. */
#ifndef PARAKERNEL_DRV_NVME_REGS_H
#define PARAKERNEL_DRV_NVME_REGS_H

/* ---------------------------------------------------------------- registers (3.1) */
#define NVME_CAP 0x00u          /* 8 B */
#define NVME_CAP_MQES(c) ((uint32_t)((c) & 0xFFFFu))        /* 0's based */
#define NVME_CAP_TO(c) ((uint32_t)(((c) >> 24) & 0xFFu))    /* 500 ms units */
#define NVME_CAP_DSTRD(c) ((uint32_t)(((c) >> 32) & 0xFu))
#define NVME_CAP_CSS_NVM(c) (((c) >> 37) & 1u)
#define NVME_CAP_MPSMIN(c) ((uint32_t)(((c) >> 48) & 0xFu)) /* 2^(12 + n) */
#define NVME_CC 0x14u
#define NVME_CC_EN 1u
#define NVME_CC_IOSQES (6u << 16)   /* 2^6 = 64 B SQEs */
#define NVME_CC_IOCQES (4u << 20)   /* 2^4 = 16 B CQEs */
#define NVME_CSTS 0x1Cu
#define NVME_CSTS_RDY 1u
#define NVME_CSTS_CFS 2u
#define NVME_AQA 0x24u              /* ACQS 27:16, ASQS 11:0, 0's based */
#define NVME_ASQ 0x28u              /* 8 B */
#define NVME_ACQ 0x30u              /* 8 B */
#define NVME_DB_BASE 0x1000u
#define NVME_TO_UNIT_PS UINT64_C(500000000000) /* CAP.TO unit: 500 ms */

/* Doorbell of queue y: SQ tail (cq = 0) or CQ head (cq = 1). */
#define NVME_DB(dstrd, y, cq) (NVME_DB_BASE + (2u * (uint32_t)(y) + (cq)) * (4u << (dstrd)))

/* ---------------------------------------------------------------- entries */
#define NVME_SQE_BYTES 64u
#define NVME_CQE_BYTES 16u
/* SQE (4.2): CDW0 opcode 7:0, CID 31:16; NSID at 4; PRP1 at 24; PRP2 at
 * 32; CDW10.. at 40, 44, 48. */
#define NVME_SQE_CID 2u
#define NVME_SQE_NSID 4u
#define NVME_SQE_PRP1 24u
#define NVME_SQE_PRP2 32u
#define NVME_SQE_CDW10 40u
#define NVME_SQE_CDW11 44u
#define NVME_SQE_CDW12 48u
/* CQE (4.6): DW0 result; DW2 SQ head 15:0, SQ id 31:16; DW3 CID 15:0,
 * phase tag bit 16, status field 31:17 (SC 7:0, SCT 10:8, ..., DNR 14). */
#define NVME_CQE_DW0 0u
#define NVME_CQE_CID 12u
#define NVME_CQE_STATUS 14u         /* 16-bit: phase bit 0, status 15:1 */
#define NVME_STATUS_CODE(s) ((uint32_t)((s) & 0x7FFu)) /* SCT << 8 | SC */

/* ---------------------------------------------------------------- opcodes */
#define NVME_ADM_CREATE_SQ 0x01u
#define NVME_ADM_CREATE_CQ 0x05u
#define NVME_ADM_IDENTIFY 0x06u
#define NVME_ADM_SET_FEATURES 0x09u
#define NVME_FEAT_NUM_QUEUES 0x07u
#define NVME_IO_FLUSH 0x00u
#define NVME_IO_WRITE 0x01u
#define NVME_IO_READ 0x02u
#define NVME_CNS_NS 0x00u
#define NVME_CNS_CTRL 0x01u
#define NVME_Q_PC 1u                /* CDW11: physically contiguous */
#define NVME_CQ_IEN 2u              /* CDW11: interrupts enabled */

/* Identify data (Figures 245, 247). */
#define NVME_IDC_MDTS 77u           /* 2^n x CAP.MPSMIN pages, 0 = no limit */
#define NVME_IDN_NSZE 0u
#define NVME_IDN_FLBAS 26u
#define NVME_IDN_LBAF0 128u         /* LBA format n at 128 + 4n: LBADS 23:16 */

/* ---------------------------------------------------------------- MSI-X */
#define NVME_MSIX_ENTRY 16u
#define NVME_MSIX_MASKED 1u         /* vector control bit 0 (PCI LB 3.0, 6.8.2.9) */

#endif
