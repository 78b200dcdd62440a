/* devices/nic/regs.c: the register file (82599 8.2.3), reached through the
 * bus as the function's MMIO ops.
 *
 * Registers are 32 bits wide at 4-byte aligned offsets below 0x20000; an
 * 8-byte access is two 4-byte accesses (low dword first), as a 64-bit store
 * to RDBAL/RDBAH would be.  Other sizes, misaligned offsets and unknown
 * offsets are guest errors: reads return 0, writes are ignored.  Dispatch:
 * the per-queue blocks (RX 0x01000 + 0x40n / 0x0D000 + 0x40(n-64), the
 * SRRCTL and DCA_RXCTRL aliases for queues 0-15, TX 0x06000 + 0x40n) go to
 * rx.c / tx.c; RSS, interrupt and Flow Director registers to their files;
 * the rest is a short switch.  A handful of registers a driver writes
 * during bring-up (RXCTRL, HLREG0, DMATXCTL, FCTRL...) are stored and read
 * back without further effect (the receiver and transmitter are always
 * on; CRC strip and pad are always applied: see devices/nic.h).  CTRL.RST
 * resets the device (nic.c) and reads back 0 at once. */
#include "devices/nic/nic_int.h"

#define QBLOCK 0x40u
#define RXQ_LO_END (R_RXQ_LO + 64u * QBLOCK)
#define RXQ_HI_END (R_RXQ_HI + 64u * QBLOCK)
#define TXQ_END (R_TXQ + NIC_MAX_QUEUES * QBLOCK)
#define ALIAS_QUEUES 16u
#define RETA_END (R_RETA + 32u * 4u)
#define RSSRK_END (R_RSSRK + 10u * 4u)
#define FDIR_END 0x0EE80u
#define STATUS_LINK_UP (1u << 7)

static const uint32_t plain_regs[PLAIN_REGS] = {
    R_RDRXCTL, R_RXCTRL, R_HLREG0, R_DMATXCTL, R_RXCSUM, R_FCTRL,
    R_VLNCTRL, R_MTQC, 0x04900u /* RTTDCS */, 0x08800u /* SECTXCTRL */,
    0x08D00u /* SECRXCTRL */, 0x03D04u /* DROPEN */,
};

static uint32_t *plain(nic_t *n, uint32_t off)
{
    for (unsigned i = 0; i < PLAIN_REGS; i++)
        if (plain_regs[i] == off)
            return &n->plain[i];
    return NULL;
}

typedef struct qref {
    bool tx;
    unsigned q;
    uint32_t reg;
} qref_t;

/* Is off in a queue's register block?  q may be out of range. */
static bool queue_reg(uint32_t off, qref_t *r)
{
    if (off >= R_RXQ_LO && off < RXQ_LO_END)
        *r = (qref_t){ false, (off - R_RXQ_LO) / QBLOCK, off % QBLOCK };
    else if (off >= R_RXQ_HI && off < RXQ_HI_END)
        *r = (qref_t){ false, 64 + (off - R_RXQ_HI) / QBLOCK, off % QBLOCK };
    else if (off >= R_SRRCTL_ALIAS && off < R_SRRCTL_ALIAS + 4 * ALIAS_QUEUES)
        *r = (qref_t){ false, (off - R_SRRCTL_ALIAS) / 4, Q_SRRCTL };
    else if (off >= R_DCA_RXCTRL_ALIAS && off < R_DCA_RXCTRL_ALIAS + 4 * ALIAS_QUEUES)
        *r = (qref_t){ false, (off - R_DCA_RXCTRL_ALIAS) / 4, Q_DCA };
    else if (off >= R_TXQ && off < TXQ_END)
        *r = (qref_t){ true, (off - R_TXQ) / QBLOCK, off % QBLOCK };
    else
        return false;
    return true;
}

static bool queue_access(nic_t *n, uint32_t off, bool write, uint32_t *val)
{
    qref_t r;
    if (!queue_reg(off, &r))
        return false;
    bool ok = r.q < n->cfg.queues;
    if (ok && write && r.tx)
        nic_tx_write_reg(n, r.q, r.reg, *val);
    else if (ok && write)
        nic_rx_write_reg(n, r.q, r.reg, *val);
    else if (ok)
        *val = r.tx ? nic_tx_read_reg(n, r.q, r.reg, &ok) : nic_rx_read_reg(n, r.q, r.reg, &ok);
    if (!ok) {
        nic_guest_error(n);
        *val = 0;
    }
    return true;
}

static bool rss_access(nic_t *n, uint32_t off, bool write, uint32_t *val)
{
    if (off >= R_RETA && off < RETA_END) {
        unsigned i = (off - R_RETA) / 4;
        if (write) nic_rss_write_reta(n, i, *val); else *val = nic_rss_read_reta(n, i);
        return true;
    }
    if (off >= R_RSSRK && off < RSSRK_END) {
        unsigned i = (off - R_RSSRK) / 4;
        if (write) nic_rss_write_key(n, i, *val); else *val = nic_rss_read_key(n, i);
        return true;
    }
    if (off == R_MRQC) {
        if (write) n->mrqc = *val; else *val = n->mrqc;
        return true;
    }
    return false;
}

static uint32_t *general_reg(nic_t *n, uint32_t off)
{
    switch (off) {
    case R_CTRL_EXT: return &n->ctrl_ext;
    case R_GPIE: return &n->gpie;
    case R_IVAR_MISC: return &n->ivar_misc;
    case R_MAXFRS: return &n->maxfrs;
    default: return plain(n, off);
    }
}

static bool general_access(nic_t *n, uint32_t off, bool write, uint32_t *val)
{
    if (off == R_CTRL) {
        if (write && (*val & CTRL_RST))
            nic_reset(n);
        else if (write)
            n->ctrl = *val;
        else
            *val = n->ctrl;
        return true;
    }
    if (off == R_STATUS || off == R_LINKS) {
        if (write)
            nic_guest_error(n); /* read-only */
        else
            *val = off == R_STATUS ? STATUS_LINK_UP : LINKS_UP | LINKS_SPEED_10G;
        return true;
    }
    uint32_t *r = general_reg(n, off);
    if (!r)
        return false;
    if (write) *r = *val; else *val = *r;
    return true;
}

static void access32(nic_t *n, uint32_t off, bool write, uint32_t *val)
{
    if (queue_access(n, off, write, val) || rss_access(n, off, write, val))
        return;
    if (off >= R_FDIRCTRL && off < FDIR_END && nic_fdir_reg(n, off, write, val))
        return;
    if (nic_irq_reg(n, off, write, val) || general_access(n, off, write, val))
        return;
    nic_guest_error(n);
    if (!write)
        *val = 0;
}

static bool bad_access(nic_t *n, uint64_t off, unsigned size)
{
    if ((size != 4 && size != 8) || (off & 3) || off + size > R_REG_SPACE) {
        nic_guest_error(n);
        return true;
    }
    return false;
}

uint64_t nic_mmio_read(void *dev, uint64_t off, unsigned size)
{
    nic_t *n = dev;
    if (bad_access(n, off, size))
        return 0;
    uint32_t lo = 0, hi = 0;
    access32(n, (uint32_t)off, false, &lo);
    if (size == 8)
        access32(n, (uint32_t)off + 4, false, &hi);
    return (uint64_t)hi << 32 | lo;
}

void nic_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    nic_t *n = dev;
    if (bad_access(n, off, size))
        return;
    uint32_t lo = (uint32_t)val, hi = (uint32_t)(val >> 32);
    access32(n, (uint32_t)off, true, &lo);
    if (size == 8)
        access32(n, (uint32_t)off + 4, true, &hi);
}
