/* kernel/drv_nic_regs.h: the 82599 register map and descriptor formats
 * the NIC driver (drv_nic.c) uses, written out from the Intel 82599 10 GbE
 * Controller Datasheet (rev. 3.x): 8.2.3 registers, 7.1.6 advanced receive
 * descriptors, 7.2.3.2.4 advanced transmit data descriptor, 7.3 interrupts,
 * 7.1.2.7 Flow Director, 7.1.2.8 RSS.  The offsets are the same values as
 * Linux's drivers/net/ethernet/intel/ixgbe/ixgbe_type.h.  Private to
 * drv_nic.c: the kernel includes no device-model header, as a real driver
 * knows its hardware only from the datasheet.
 *
 * Deviations of the parasim NIC from the 82599 that the driver relies on
 * (devices/nic.h documents them as the device's contract):
 *   - the MSI-X table is in the register BAR at NIC_MSIX_TABLE (the 82599
 *     puts it in BAR 3); 16 B per vector (PCI Local Bus 3.0, 6.8.2);
 *   - up to 128 queue pairs and RETA entries 7 bits wide (the 82599's are
 *     4), so RSS can reach every queue;
 *   - Flow Director port masks are in natural bit order. */
#ifndef PARAKERNEL_DRV_NIC_REGS_H
#define PARAKERNEL_DRV_NIC_REGS_H

/* ---------------------------------------------------------------- general */
#define NIC_CTRL 0x00000u
#define NIC_CTRL_RST (1u << 26)       /* software reset, self-clearing */
#define NIC_EICR 0x00800u
#define NIC_EIAC 0x00810u             /* auto-clear, vectors 0-15 */
#define NIC_EITR(n) ((n) < 24u ? 0x00820u + 4u * (n) : 0x12300u + 4u * ((n) - 24u))
#define NIC_EIMC 0x00888u
#define NIC_GPIE 0x00898u
#define NIC_GPIE_MSIX_MODE (1u << 4)
#define NIC_GPIE_EIAME (1u << 30)
#define NIC_GPIE_PBA_SUPPORT (1u << 31)
#define NIC_IVAR(n) (0x00900u + 4u * (n)) /* queues 2n (bits 15:0), 2n+1 (31:16) */
#define NIC_IVAR_VALID 0x80u
#define NIC_EIMS_EX(i) (0x00AA0u + 4u * (i)) /* vectors 32i .. 32i+31 */
#define NIC_EIMC_EX(i) (0x00AB0u + 4u * (i))
#define NIC_EITR_2US 1u               /* EITR.ITR_INTERVAL (bits 11:3), 2 us units */
#define NIC_EITR_ITR_SHIFT 3

/* ---------------------------------------------------------------- receive */
#define NIC_RXQ(q) ((q) < 64u ? 0x01000u + 0x40u * (q) : 0x0D000u + 0x40u * ((q) - 64u))
#define NIC_RDBAL 0x00u               /* offsets inside a queue's block */
#define NIC_RDBAH 0x04u
#define NIC_RDLEN 0x08u
#define NIC_RDH 0x10u
#define NIC_SRRCTL 0x14u
#define NIC_RDT 0x18u
#define NIC_RXDCTL 0x28u
#define NIC_DCTL_ENABLE (1u << 25)    /* RXDCTL / TXDCTL */
#define NIC_SRRCTL_BSIZEPKT_1K 1024u  /* BSIZEPACKET unit (bits 4:0) */
#define NIC_SRRCTL_DESCTYPE_ADV (1u << 25) /* advanced, one buffer */
#define NIC_SRRCTL_DROP_EN (1u << 28)
#define NIC_RXCTRL 0x03000u
#define NIC_RXCTRL_RXEN 1u
#define NIC_HLREG0 0x04240u
#define NIC_HLREG0_TXCRCEN (1u << 0)
#define NIC_HLREG0_RXCRCSTRP (1u << 1)
#define NIC_HLREG0_TXPADEN (1u << 10)
#define NIC_MAXFRS 0x04268u           /* MFS in bits 31:16 */
#define NIC_MRQC 0x05818u
#define NIC_MRQC_RSSEN 0x1u
#define NIC_MRQC_IPV4_TCP (1u << 16)
#define NIC_MRQC_IPV4 (1u << 17)
#define NIC_MRQC_IPV6 (1u << 20)
#define NIC_MRQC_IPV6_TCP (1u << 21)
#define NIC_MRQC_IPV4_UDP (1u << 22)
#define NIC_MRQC_IPV6_UDP (1u << 23)
#define NIC_RETA(n) (0x05C00u + 4u * (n)) /* 32 registers, entries 4n..4n+3 */
#define NIC_RETA_ENTRIES 128u
#define NIC_RSSRK(n) (0x05C80u + 4u * (n)) /* 10 registers, key byte 4n in 7:0 */
#define NIC_RSS_KEY_BYTES 40u

/* ---------------------------------------------------------------- transmit */
#define NIC_TXQ(q) (0x06000u + 0x40u * (q))
#define NIC_TDBAL 0x00u
#define NIC_TDBAH 0x04u
#define NIC_TDLEN 0x08u
#define NIC_TDH 0x10u
#define NIC_TDT 0x18u
#define NIC_TXDCTL 0x28u
#define NIC_DMATXCTL 0x04A80u
#define NIC_DMATXCTL_TE 1u

/* ---------------------------------------------------------------- Flow Director */
#define NIC_FDIRCTRL 0x0EE00u
#define NIC_FDIRCTRL_PBALLOC_64K 1u   /* 2K - 2 perfect filters */
#define NIC_FDIRCTRL_PERFECT (1u << 4)
#define NIC_FDIR_FILTERS_64K 2046u
#define NIC_FDIRSIPV6(i) (0x0EE0Cu + 4u * (i))
#define NIC_FDIRIPSA 0x0EE18u
#define NIC_FDIRIPDA 0x0EE1Cu
#define NIC_FDIRPORT 0x0EE20u         /* source port 15:0, destination 31:16 */
#define NIC_FDIRHASH 0x0EE28u         /* software index in bits 30:16 */
#define NIC_FDIRHASH_SWIDX_SHIFT 16
#define NIC_FDIRCMD 0x0EE2Cu
#define NIC_FDIRCMD_ADD 1u
#define NIC_FDIRCMD_L4_UDP (1u << 5)  /* L4TYPE bits 6:5 */
#define NIC_FDIRCMD_L4_TCP (2u << 5)
#define NIC_FDIRCMD_IPV6 (1u << 7)
#define NIC_FDIRCMD_QUEUE_EN (1u << 15)
#define NIC_FDIRCMD_QUEUE_SHIFT 16
#define NIC_FDIRDIP4M 0x0EE3Cu        /* 1 = don't care */
#define NIC_FDIRSIP4M 0x0EE40u
#define NIC_FDIRTCPM 0x0EE44u         /* source 15:0, destination 31:16 */
#define NIC_FDIRUDPM 0x0EE48u
#define NIC_FDIRM 0x0EE70u
#define NIC_FDIRM_DIPV6 (1u << 5)

/* ---------------------------------------------------------------- MSI-X (parasim BAR layout) */
#define NIC_MSIX_TABLE 0x20000u
#define MSIX_ENTRY_BYTES 16u          /* addr lo, addr hi, data, vector control */
#define MSIX_CTRL_MASKED 1u

/* ---------------------------------------------------------------- descriptors */
#define NIC_DESC_BYTES 16u
/* Advanced receive, read format (7.1.6.1): packet buffer address (0-7),
 * header buffer address (8-15; bit 0 of byte 8 overlays DD). */
#define NIC_RXD_PKT_ADDR 0u
#define NIC_RXD_HDR_ADDR 8u
/* Write-back format (7.1.6.2): status dword at 8 (DD bit 0), length at 12. */
#define NIC_RXD_STATUS 8u
#define NIC_RXD_DD 1u
/* Advanced transmit data descriptor (7.2.3.2.4): address (0-7),
 * cmd_type_len (8-11), olinfo_status (12-15; DD bit 0 after write-back). */
#define NIC_TXD_CMD_TYPE_LEN 8u
#define NIC_TXD_OLINFO 12u
#define NIC_TXD_DTYP_DATA (3u << 20)
#define NIC_TXD_EOP (1u << 24)
#define NIC_TXD_IFCS (1u << 25)
#define NIC_TXD_RS (1u << 27)
#define NIC_TXD_DEXT (1u << 29)
#define NIC_TXD_PAYLEN_SHIFT 14
#define NIC_TXD_DD 1u
#define NIC_TXD_LEN_MAX 0xFFFFu       /* DTALEN is 16 bits */

/* Ring registers: RDLEN/TDLEN bits 19:7 (so at most 65528 descriptors, a
 * multiple of 8), base 128-byte aligned. */
#define NIC_RING_MAX 65528u
#define NIC_RING_ALIGN 128u

#endif
