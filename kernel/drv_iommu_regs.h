/* kernel/drv_iommu_regs.h: Intel VT-d registers and translation-table
 * formats as the IOMMU driver (drv_iommu.c) uses them, from the Intel
 * Virtualization Technology for Directed I/O Architecture Specification,
 * rev. 3.x: 10.4 registers, 9.1-9.8 table formats, 6.5 invalidation,
 * 7.3 fault recording.  Private to drv_iommu.c: the kernel includes no
 * device-model header; the fault-recording and IOTLB register blocks are
 * found from CAP.FRO and ECAP.IRO, as a VT-d driver finds them. */
#ifndef PARAKERNEL_DRV_IOMMU_REGS_H
#define PARAKERNEL_DRV_IOMMU_REGS_H

/* ---------------------------------------------------------------- registers (10.4) */
#define VTD_CAP 0x08u
#define VTD_CAP_SAGAW(c) ((unsigned)(((c) >> 8) & 0x1Fu))   /* bit 1: 39-bit, bit 2: 48-bit */
#define VTD_CAP_FRO(c) ((uint64_t)(((c) >> 24) & 0x3FFu) * 16)
#define VTD_CAP_SLLPS_2M(c) (((c) >> 34) & 1u)
#define VTD_CAP_NFR(c) ((unsigned)(((c) >> 40) & 0xFFu) + 1u)
#define VTD_ECAP 0x10u
#define VTD_ECAP_IRO(e) ((uint64_t)(((e) >> 8) & 0x3FFu) * 16)
#define VTD_ECAP_PASID(e) (((e) >> 40) & 1u)
#define VTD_ECAP_SMTS(e) (((e) >> 43) & 1u)
#define VTD_ECAP_SLTS(e) (((e) >> 46) & 1u)
#define VTD_GCMD 0x18u
#define VTD_GCMD_TE (1u << 31)
#define VTD_GCMD_SRTP (1u << 30)
#define VTD_GSTS 0x1Cu
#define VTD_GSTS_TES (1u << 31)
#define VTD_GSTS_RTPS (1u << 30)
#define VTD_RTADDR 0x20u            /* 8 B: root table 63:12, TTM 11:10 */
#define VTD_TTM_LEGACY 0u
#define VTD_TTM_SCALABLE 1u
#define VTD_CCMD 0x28u              /* 8 B */
#define VTD_CCMD_ICC (UINT64_C(1) << 63)
#define VTD_CCMD_GLOBAL (UINT64_C(1) << 61) /* CIRG 01b */
#define VTD_FSTS 0x34u
#define VTD_FSTS_PFO 1u
#define VTD_FSTS_PPF 2u
#define VTD_FECTL 0x38u             /* IM bit 31: 0 unmasks */
#define VTD_FEDATA 0x3Cu
#define VTD_FEADDR 0x40u
#define VTD_FEUADDR 0x44u
#define VTD_IOTLB_IVT (UINT64_C(1) << 63) /* IOTLB_REG at ECAP.IRO + 8 */
#define VTD_IOTLB_GLOBAL (UINT64_C(1) << 60) /* IIRG 01b */
#define VTD_FRCD_F (UINT64_C(1) << 63)    /* upper qword of a record */

/* ---------------------------------------------------------------- tables (ch. 9) */
#define VTD_P 1u                    /* present (root, context, PASID entries) */
#define VTD_ADDR_MASK UINT64_C(0x000FFFFFFFFFF000)
/* legacy context entry (9.3): TT 3:2 = 00b second level; hi: AW 2:0, DID 23:8 */
#define VTD_CTX_DID_SHIFT 8
/* scalable context entry (9.4), 32 B: PASIDE bit 3, PDTS 11:9; hi: RID_PASID 19:0 */
#define VTD_SM_CTX_BYTES 32u
#define VTD_SM_CTX_PASIDE (1u << 3)
#define VTD_SM_CTX_PDTS_SHIFT 9
/* PASID directory entry (9.5), 8 B per 64 PASIDs; PASID entry (9.6), 64 B:
 * AW 4:2, PGTT 8:6 (010b second level only); hi: DID 15:0. */
#define VTD_PASID_ENTRY_BYTES 64u
#define VTD_PASID_AW_SHIFT 2
#define VTD_PGTT_SL (2u << 6)
#define VTD_PASID_MAX 0xFFFFFu      /* 20-bit PASIDs */
/* second-level paging entry (9.8): R 0, W 1, PS 7 (2 MiB leaf) */
#define VTD_SL_R 1u
#define VTD_SL_W 2u
#define VTD_SL_PS 0x80u
#define VTD_AW_39 1u                /* 3-level */
#define VTD_AW_48 2u                /* 4-level */

#endif
