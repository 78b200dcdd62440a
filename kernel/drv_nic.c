/* kernel/drv_nic.c: the 82599-class NIC driver (k.h, "NIC driver").
 *
 * Purpose: give every process its own NIC queue pairs behind one MAC, and
 * write the descriptors on the processes' behalf (descriptor mediation:
 * the buffers were validated by mediate.c before they get here).
 * Registers and descriptor formats: drv_nic_regs.h (82599 datasheet).
 *
 * Boot (k_nic_init; datasheet 4.6 "device initialization", the ixgbe
 * order): software reset (CTRL.RST), every interrupt masked (EIMC),
 * GPIE in MSI-X mode, CRC strip and TX CRC/pad (HLREG0), MAXFRS, then for
 * each process queue q (device ids from boot.c, p->nic_q[]):
 *   - an RX ring of plan.rx_entries advanced descriptors and a TX ring of
 *     plan.tx_entries, each page aligned and page rounded in the kernel
 *     region (k_alloc), mapped for the NIC's DMA (k_iommu_map_ring:
 *     untagged, or PASID plan.nic.pasid_base + q in scalable mode);
 *   - the RX "view" beside the ring: PK_RXV_POSTED (free-running count of
 *     buffers posted) and the buffer address of each slot at
 *     PK_RXV_SHADOW; boot.c maps ring and view read-only into the owner
 *     and poll-watches the RX ring; this file poll-watches the TX ring
 *     (a DD write-back ends an idle poll, so TX completions get collected);
 *   - SRRCTL: K_RX_BUF_SIZE packet buffers, advanced one-buffer
 *     descriptors, drop when no descriptor; RXDCTL/TXDCTL enabled (read
 *     back: the 82599 sets ENABLE when the queue is ready);
 *   - an MSI-X vector per queue pair, on the owner's core, CPU vector
 *     K_NIC_VECTOR_BASE + the queue's index among its owner's; IVAR maps
 *     RX and TX of the queue to it; EITR moderation NIC_EITR_2US.  When the
 *     table (plan.nic.vectors) is smaller than the queues, every process
 *     still gets one vector and the spare ones go to later queues in plan
 *     order; a queue without one shares its process's first vector (same
 *     core).  All vectors stay masked (EIMC): processes poll;
 *     k_nic_irq_enable unmasks a waiting process's vectors (EIMS).  The
 *     handler collects TX completions and calls k_wake_check.
 * RSS: the 40-byte key plan.nic.rss_key, MRQC RSS on with the IPv4/IPv6
 * TCP/UDP hash fields, and the 128-entry RETA round robin over the queues
 * of the processes with rx_traffic, in plan order (process by process,
 * each one's queues in order): RETA[i] = list[i % len].  Clients see one
 * MAC; the partitioning is invisible to them.  No rx_traffic process: RSS
 * stays off (frames go to queue 0, the 82599's default).  Flow Director:
 * perfect filters (FDIRCTRL.PBALLOC 64K: 2046 filters, K_MAX_STEER here).
 *
 * Data path (process context, on the owner's core: no locks, k.h):
 *   k_nic_rx_post writes the read-format descriptor (packet address = the
 *   translated buffer, header address 0, which also clears DD), then the
 *   shadow slot (the process's own address), then bumps PK_RXV_POSTED:
 *   descriptor before count, the release order the process's reader
 *   (pk_ring.h) relies on.  Ring full: the 82599 keeps one slot empty
 *   (tail + 1 == head is full), so at most entries - 1 buffers are posted;
 *   the driver tracks free-running counts and learns which buffers the
 *   NIC consumed from their DD bits, lazily, when the ring looks full -- it
 *   never reads RDH by MMIO on the data path.
 *   k_nic_tx_post writes an advanced data descriptor (DTYP data, DEXT,
 *   EOP, IFCS, RS, DTALEN = PAYLEN = len) and keeps user_data and len per
 *   slot; entries - 1 in flight at most.  k_nic_flush writes RDT/TDT once
 *   per queue posted to since the last flush (one doorbell per batch).
 *   k_nic_tx_harvest reads DD of the oldest TX descriptors in order and
 *   posts a completion (res = len, flags = PK_OP_NET_TX) for each, while
 *   the CQ has room.
 *
 * Receive readiness (k_nic_rx_ready, for PK_ENTER_WAIT): the kernel cannot
 * know how far the process has read its RX view (that index is the
 * process's own), so readiness is EDGE-triggered: true when some buffer
 * of p's rings has been written back (DD) since the previous call for p.
 * sys.c calls it when deciding to block and from k_wake_check; a process
 * must drain its rings before waiting.  A frame that lands between the
 * process's last look and its wait is never lost: it is "new" to the next
 * call, and its interrupt cause stays pending in EICR while masked, so
 * unmasking fires it.  Cost of the choice: a wait right after a busy
 * period returns once at once (the frames it saw were already read).
 *
 * Invariants: for each queue, rx_done <= rx_posted <= rx_done + entries -
 * 1 (free-running), rx_tail == rx_posted mod entries; tx_busy <= entries
 * - 1 and tx_tail == tx_clean + tx_busy mod entries.  The view's mapping
 * slot = count mod entries is exact while counts stay below 2^32 (or for
 * power-of-two rings); a non-power-of-two ring wraps wrongly after 2^32
 * buffers on one queue (over 400 s at 10 Mpps).
 *
 * Costs (cost table names; sys.c already charges the descriptor's mem.llc
 * line and counts descs_written around each post):
 *   rx_post: 2 mem.l1 (shadow slot and posted count: lines of the process
 *     on this core) + RX_POST_CYCLES;
 *   tx_post: 1 mem.l1 (the slot's user_data/len) + TX_POST_CYCLES;
 *   every descriptor status read (DD scans, TX harvest): 1 mem.llc (the
 *     NIC wrote the line) + SCAN_CYCLES;
 *   flush: FLUSH_CYCLES per queue (the MMIO writes are the HAL's);
 *   steer: STEER_CYCLES (+ the HAL's MMIO writes);
 *   interrupt: IRQ_CYCLES + what it calls.
 * Limits: jumbo frames need max_frame <= K_RX_BUF_SIZE + 4 (one buffer per
 * frame; boot.c checks it); K_NIC_TX_SLOTS TX slots over all queues. */
#include "drv_nic_regs.h"
#include "drv_util.h"

#define NIC_MAX_QUEUES 128u
#define NIC_MAX_VECTORS 64u
#define K_NIC_TX_SLOTS 65536u /* TX bookkeeping slots, all queues (1 MiB) */

/* RX post: slot address (shift, add) x2, build 16 B descriptor (2 stores
 * of 8 B), shadow store, count increment and store, tail wrap (compare,
 * select), dirty flag, full check (subtract, compare): ~20 instructions. */
#define RX_POST_CYCLES 20u
/* TX post: full check, slot address, cmd word (3 ors), olinfo shift, two
 * 8-byte stores, metadata stores (2), tail wrap, busy++, dirty: ~20. */
#define TX_POST_CYCLES 20u
/* DD test of one descriptor: address, load, and-test, branch, index wrap. */
#define SCAN_CYCLES 5u
/* Per queue at flush: two flag tests and a register address. */
#define FLUSH_CYCLES 4u
/* Flow Director rule: field checks and ~10 register values composed. */
#define STEER_CYCLES 60u
/* Interrupt handler: context load, counter increment, calls. */
#define IRQ_CYCLES 10u

typedef struct tx_meta {
    uint64_t user_data;
    uint32_t len;
} tx_meta_t;

/* One queue pair.  Ring fields: (k) written by the kernel only; the
 * descriptors themselves are (k) until posted, then (d). */
typedef struct nic_queue {
    k_proc_t *owner;       /* NULL: not given to a process */
    uint64_t rx_ring, rx_view, tx_ring; /* physical */
    uint32_t rx_tail;      /* (k) ring index of the next post (RDT) */
    uint32_t rx_posted;    /* (k) free-running, published at PK_RXV_POSTED */
    uint32_t rx_done;      /* (k) free-running: posted buffers seen with DD */
    uint32_t rx_done_slot; /* (k) ring index of rx_done */
    uint32_t rx_seen;      /* (k) rx_done at the previous k_nic_rx_ready */
    uint32_t tx_tail;      /* (k) ring index of the next post (TDT) */
    uint32_t tx_clean;     /* (k) ring index of the oldest unharvested */
    uint32_t tx_busy;      /* (k) posted and not harvested */
    uint32_t tx_meta0;     /* first of its tx_entries slots in tx_meta */
    unsigned msix;         /* MSI-X table entry of its vector */
    unsigned vector;       /* CPU vector on the owner's core */
    bool rx_dirty, tx_dirty; /* posted to since the last flush */
} nic_queue_t;

static struct {
    uint64_t bar;
    uint32_t rx_entries, tx_entries;
    unsigned vectors;      /* MSI-X table size */
    unsigned steer_rules, steer_cap;
    bool steer_masks_set;  /* the global masks were set by the first rule */
    uint8_t steer_match;   /* PK_FLOW_* bits the masks stand for */
    uint32_t ivar[NIC_MAX_QUEUES / 2];
    nic_queue_t q[NIC_MAX_QUEUES];
} nic;

static tx_meta_t tx_meta[K_NIC_TX_SLOTS];

static void wr(uint32_t off, uint32_t v) { hal_mmio_write32(nic.bar + off, v); }
static uint32_t rd(uint32_t off) { return hal_mmio_read32(nic.bar + off); }

static uint32_t ring_next(uint32_t i, uint32_t n) { return i + 1 == n ? 0 : i + 1; }

static nic_queue_t *queue(unsigned q)
{
    return q < NIC_MAX_QUEUES && nic.q[q].owner ? &nic.q[q] : NULL;
}

/* ---------------------------------------------------------------- boot: checks */

static int check_plan(const k_plan_t *pl, char *err, size_t errlen)
{
    unsigned total = 0;
    for (unsigned i = 0; i < k_state.nprocs; i++)
        total += pl->procs[i].nic_queues;
    if (pl->nic.queues > NIC_MAX_QUEUES || total > pl->nic.queues)
        return drv_fail(err, errlen, "nic: the processes ask for ", total,
                        " queue pairs, more than the device has");
    if (pl->rx_entries < 16 || pl->rx_entries % 8 || pl->rx_entries > NIC_RING_MAX ||
        pl->tx_entries < 16 || pl->tx_entries % 8 || pl->tx_entries > NIC_RING_MAX)
        return drv_fail(err, errlen, "nic: ring sizes must be multiples of 8 in 16..",
                        NIC_RING_MAX, "");
    if ((uint64_t)total * pl->tx_entries > K_NIC_TX_SLOTS)
        return drv_fail(err, errlen, "nic: queues x tx_entries is above ", K_NIC_TX_SLOTS,
                        " (K_NIC_TX_SLOTS)");
    if (pl->nic.max_frame < 64 || pl->nic.max_frame > K_RX_BUF_SIZE + 4)
        return drv_fail(err, errlen, "nic: max_frame ", pl->nic.max_frame,
                        " does not fit one receive buffer");
    return 0;
}

/* ---------------------------------------------------------------- boot: device */

/* Reset (datasheet 4.2.1.6.1) and global setup, every interrupt masked. */
static int reset_device(const k_plan_t *pl, char *err, size_t errlen)
{
    wr(NIC_CTRL, NIC_CTRL_RST);
    if (rd(NIC_CTRL) & NIC_CTRL_RST) /* self-clearing when done */
        return drv_fail0(err, errlen, "nic: CTRL.RST did not complete");
    wr(NIC_EIMC_EX(0), 0xFFFFFFFFu);
    wr(NIC_EIMC_EX(1), 0xFFFFFFFFu);
    wr(NIC_GPIE, NIC_GPIE_MSIX_MODE | NIC_GPIE_PBA_SUPPORT | NIC_GPIE_EIAME);
    wr(NIC_EIAC, 0xFFFFu); /* auto-clear a vector's cause when it fires */
    wr(NIC_HLREG0, NIC_HLREG0_TXCRCEN | NIC_HLREG0_RXCRCSTRP | NIC_HLREG0_TXPADEN);
    wr(NIC_MAXFRS, (uint32_t)pl->nic.max_frame << 16);
    wr(NIC_RXCTRL, 0); /* receiver off while the rings are programmed */
    wr(NIC_DMATXCTL, NIC_DMATXCTL_TE);
    wr(NIC_FDIRCTRL, NIC_FDIRCTRL_PBALLOC_64K | NIC_FDIRCTRL_PERFECT);
    return 0;
}

static int alloc_rings(nic_queue_t *s, const k_plan_t *pl)
{
    s->rx_ring = drv_alloc_pages((uint64_t)pl->rx_entries * NIC_DESC_BYTES);
    s->rx_view = drv_alloc_pages(PK_RXV_SHADOW + (uint64_t)pl->rx_entries * sizeof(uint64_t));
    s->tx_ring = drv_alloc_pages((uint64_t)pl->tx_entries * NIC_DESC_BYTES);
    return s->rx_ring && s->rx_view && s->tx_ring ? 0 : -1;
}

static int map_rings(const nic_queue_t *s, unsigned q, const k_plan_t *pl)
{
    int pasid = pl->iommu.mode == K_IOMMU_SCALABLE ? (int)(pl->nic.pasid_base + q) : -1;
    uint64_t rx = drv_round_up((uint64_t)pl->rx_entries * NIC_DESC_BYTES, DRV_PAGE);
    uint64_t tx = drv_round_up((uint64_t)pl->tx_entries * NIC_DESC_BYTES, DRV_PAGE);
    if (k_iommu_map_ring(pl->nic.rid, pasid, s->rx_ring, rx) < 0 ||
        k_iommu_map_ring(pl->nic.rid, pasid, s->tx_ring, tx) < 0)
        return -1;
    return hal_poll_watch(s->owner->plan.core, s->tx_ring, tx);
}

/* Ring registers, then enable and read ENABLE back (datasheet 4.6.7 and
 * 4.6.8: software polls RXDCTL/TXDCTL until the queue is enabled). */
static int program_queue(const nic_queue_t *s, unsigned q, const k_plan_t *pl)
{
    uint32_t rx = NIC_RXQ(q), tx = NIC_TXQ(q);
    wr(rx + NIC_RDBAL, (uint32_t)s->rx_ring);
    wr(rx + NIC_RDBAH, (uint32_t)(s->rx_ring >> 32));
    wr(rx + NIC_RDLEN, pl->rx_entries * NIC_DESC_BYTES);
    wr(rx + NIC_RDH, 0);
    wr(rx + NIC_RDT, 0);
    wr(rx + NIC_SRRCTL, K_RX_BUF_SIZE / NIC_SRRCTL_BSIZEPKT_1K | NIC_SRRCTL_DESCTYPE_ADV |
                            NIC_SRRCTL_DROP_EN);
    wr(rx + NIC_RXDCTL, NIC_DCTL_ENABLE);
    wr(tx + NIC_TDBAL, (uint32_t)s->tx_ring);
    wr(tx + NIC_TDBAH, (uint32_t)(s->tx_ring >> 32));
    wr(tx + NIC_TDLEN, pl->tx_entries * NIC_DESC_BYTES);
    wr(tx + NIC_TDH, 0);
    wr(tx + NIC_TDT, 0);
    wr(tx + NIC_TXDCTL, NIC_DCTL_ENABLE);
    if (!(rd(rx + NIC_RXDCTL) & NIC_DCTL_ENABLE) || !(rd(tx + NIC_TXDCTL) & NIC_DCTL_ENABLE))
        return -1;
    return 0;
}

static void nic_irq(void *ctx, unsigned vector);

/* The queue's MSI-X entry: its own (the next one) when `own`, else its
 * owner's first queue's (same core). */
static int setup_vector(nic_queue_t *s, unsigned q, unsigned local, bool own, unsigned *next)
{
    unsigned core = s->owner->plan.core;
    if (own) {
        s->msix = (*next)++;
        s->vector = K_NIC_VECTOR_BASE + local;
        uint32_t e = NIC_MSIX_TABLE + s->msix * MSIX_ENTRY_BYTES;
        wr(e + 0, MSI_ADDR(core));
        wr(e + 4, 0);
        wr(e + 8, s->vector);
        wr(e + 12, 0); /* unmasked in the table: EIMS/EIMC mask it */
        wr(NIC_EITR(s->msix), NIC_EITR_2US << NIC_EITR_ITR_SHIFT);
        if (hal_irq_register(core, s->vector, nic_irq, s->owner) < 0)
            return -1;
    } else {
        const nic_queue_t *first = &nic.q[s->owner->nic_q[0]];
        s->msix = first->msix;
        s->vector = first->vector;
    }
    uint32_t alloc = (NIC_IVAR_VALID | s->msix) * 0x0101u; /* RX and TX bytes */
    unsigned shift = (q & 1) * 16;
    nic.ivar[q / 2] = (nic.ivar[q / 2] & ~(0xFFFFu << shift)) | alloc << shift;
    wr(NIC_IVAR(q / 2), nic.ivar[q / 2]);
    return 0;
}

static int setup_queue(k_proc_t *p, unsigned local, bool own_vec, const k_plan_t *pl,
                       unsigned *next_vec, char *err, size_t errlen)
{
    unsigned q = p->nic_q[local];
    nic_queue_t *s = &nic.q[q];
    *s = (nic_queue_t){ .owner = p };
    if ((uint64_t)(q + 1) * pl->tx_entries > K_NIC_TX_SLOTS)
        return drv_fail(err, errlen, "nic: queue ", q, " is beyond K_NIC_TX_SLOTS");
    s->tx_meta0 = (uint32_t)q * pl->tx_entries;
    if (alloc_rings(s, pl) < 0)
        return drv_fail(err, errlen, "nic: out of kernel memory for the rings of queue ", q, "");
    if (map_rings(s, q, pl) < 0)
        return drv_fail(err, errlen, "nic: cannot map the rings of queue ", q,
                        " (IOMMU tables or poll watch)");
    if (program_queue(s, q, pl) < 0)
        return drv_fail(err, errlen, "nic: queue ", q, " did not enable");
    if (setup_vector(s, q, local, own_vec, next_vec) < 0)
        return drv_fail(err, errlen, "nic: cannot register the interrupt of process ", p->pid,
                        "");
    return 0;
}

static void setup_rss(const k_plan_t *pl)
{
    uint16_t list[NIC_MAX_QUEUES];
    unsigned n = 0;
    for (unsigned i = 0; i < k_state.nprocs; i++) {
        const k_proc_t *p = &k_state.procs[i];
        for (unsigned k = 0; p->plan.rx_traffic && k < p->plan.nic_queues; k++)
            list[n++] = p->nic_q[k];
    }
    for (unsigned r = 0; r < NIC_RSS_KEY_BYTES / 4; r++)
        wr(NIC_RSSRK(r), drv_get32(pl->nic.rss_key + 4 * r));
    for (unsigned r = 0; r < NIC_RETA_ENTRIES / 4; r++) {
        uint32_t v = 0;
        for (unsigned j = 0; n && j < 4; j++)
            v |= (uint32_t)list[(4 * r + j) % n] << (8 * j);
        wr(NIC_RETA(r), v);
    }
    wr(NIC_MRQC, n ? NIC_MRQC_RSSEN | NIC_MRQC_IPV4_TCP | NIC_MRQC_IPV4 | NIC_MRQC_IPV6 |
                         NIC_MRQC_IPV6_TCP | NIC_MRQC_IPV4_UDP | NIC_MRQC_IPV6_UDP
                   : 0);
}

int k_nic_init(const k_plan_t *pl, char *err, size_t errlen)
{
    k_memset(&nic, 0, sizeof nic);
    if (!pl->nic.present)
        return 0;
    if (check_plan(pl, err, errlen) < 0)
        return -1;
    nic.bar = pl->nic.bar;
    nic.rx_entries = pl->rx_entries;
    nic.tx_entries = pl->tx_entries;
    /* 0: the device's default table, min(queues + 1, 64) (devices/nic.h) */
    nic.vectors = pl->nic.vectors ? pl->nic.vectors : pl->nic.queues + 1;
    if (nic.vectors > NIC_MAX_VECTORS)
        nic.vectors = NIC_MAX_VECTORS;
    nic.steer_cap = K_MAX_STEER < NIC_FDIR_FILTERS_64K ? K_MAX_STEER : NIC_FDIR_FILTERS_64K;
    if (reset_device(pl, err, errlen) < 0)
        return -1;
    /* MSI-X entries: one per process first, the rest to later queues in
     * plan order; a queue without one shares its process's first. */
    unsigned users = 0, next_vec = 0;
    for (unsigned i = 0; i < k_state.nprocs; i++)
        users += k_state.procs[i].plan.nic_queues > 0;
    if (users > nic.vectors)
        return drv_fail(err, errlen, "nic: ", users,
                        " processes with NIC queues but fewer MSI-X vectors");
    unsigned spare = nic.vectors - users;
    for (unsigned i = 0; i < k_state.nprocs; i++) {
        k_proc_t *p = &k_state.procs[i];
        for (unsigned k = 0; k < p->plan.nic_queues; k++) {
            bool own = k == 0 || spare > 0;
            if (k > 0 && spare > 0)
                spare--;
            if (setup_queue(p, k, own, pl, &next_vec, err, errlen) < 0)
                return -1;
        }
    }
    setup_rss(pl);
    wr(NIC_RXCTRL, NIC_RXCTRL_RXEN);
    return 0;
}

uint64_t k_nic_rx_ring(unsigned q)
{
    const nic_queue_t *s = queue(q);
    return s ? s->rx_ring : 0;
}

uint64_t k_nic_rx_shadow(unsigned q)
{
    const nic_queue_t *s = queue(q);
    return s ? s->rx_view : 0;
}

/* ---------------------------------------------------------------- receive */

/* Advance rx_done over the posted buffers the NIC has written back. */
static void rx_scan(nic_queue_t *s)
{
    while (s->rx_done != s->rx_posted) {
        uint32_t st = drv_mem_read32(s->rx_ring + (uint64_t)s->rx_done_slot * NIC_DESC_BYTES +
                                     NIC_RXD_STATUS);
        k_charge(KC_LLC, 1);
        k_charge(KC_CYCLE, SCAN_CYCLES);
        if (!(st & NIC_RXD_DD))
            return;
        s->rx_done++;
        s->rx_done_slot = ring_next(s->rx_done_slot, nic.rx_entries);
    }
}

int k_nic_rx_post(unsigned q, uint64_t dma, uint64_t user_addr, uint32_t len)
{
    nic_queue_t *s = queue(q);
    (void)len; /* >= K_RX_BUF_SIZE (sys.c): the NIC writes at most that */
    if (!s)
        return PK_EQUEUE;
    if (s->rx_posted - s->rx_done >= nic.rx_entries - 1) {
        rx_scan(s);
        if (s->rx_posted - s->rx_done >= nic.rx_entries - 1)
            return PK_EAGAIN;
    }
    uint8_t d[NIC_DESC_BYTES];
    drv_put64(d + NIC_RXD_PKT_ADDR, dma);
    drv_put64(d + NIC_RXD_HDR_ADDR, 0); /* also clears DD of the old write-back */
    hal_mem_write_fast(s->rx_ring + (uint64_t)s->rx_tail * NIC_DESC_BYTES, d, sizeof d);
    drv_mem_write64(s->rx_view + PK_RXV_SHADOW + (uint64_t)s->rx_tail * sizeof(uint64_t),
                    user_addr);
    s->rx_posted++;
    drv_mem_write32(s->rx_view + PK_RXV_POSTED, s->rx_posted); /* after the descriptor */
    s->rx_tail = ring_next(s->rx_tail, nic.rx_entries);
    s->rx_dirty = true;
    k_charge(KC_L1, 2);
    k_charge(KC_CYCLE, RX_POST_CYCLES);
    return 0;
}

bool k_nic_rx_ready(const k_proc_t *p)
{
    bool ready = false;
    for (unsigned k = 0; k < p->plan.nic_queues; k++) {
        nic_queue_t *s = queue(p->nic_q[k]);
        if (!s)
            continue;
        rx_scan(s);
        if (s->rx_done != s->rx_seen)
            ready = true;
        s->rx_seen = s->rx_done;
    }
    return ready;
}

/* ---------------------------------------------------------------- transmit */

int k_nic_tx_post(unsigned q, uint64_t dma, uint32_t len, uint64_t user_data)
{
    nic_queue_t *s = queue(q);
    if (!s)
        return PK_EQUEUE;
    if (len == 0 || len > NIC_TXD_LEN_MAX)
        return PK_ELEN;
    if (s->tx_busy >= nic.tx_entries - 1)
        return PK_EAGAIN;
    uint8_t d[NIC_DESC_BYTES];
    drv_put64(d, dma);
    drv_put32(d + NIC_TXD_CMD_TYPE_LEN, len | NIC_TXD_DTYP_DATA | NIC_TXD_DEXT | NIC_TXD_EOP |
                                            NIC_TXD_IFCS | NIC_TXD_RS);
    drv_put32(d + NIC_TXD_OLINFO, len << NIC_TXD_PAYLEN_SHIFT); /* DD clear */
    hal_mem_write_fast(s->tx_ring + (uint64_t)s->tx_tail * NIC_DESC_BYTES, d, sizeof d);
    tx_meta[s->tx_meta0 + s->tx_tail] = (tx_meta_t){ user_data, len };
    s->tx_tail = ring_next(s->tx_tail, nic.tx_entries);
    s->tx_busy++;
    s->tx_dirty = true;
    k_charge(KC_L1, 1);
    k_charge(KC_CYCLE, TX_POST_CYCLES);
    return 0;
}

void k_nic_tx_harvest(k_proc_t *p)
{
    unsigned room = k_cq_room(p);
    for (unsigned k = 0; k < p->plan.nic_queues && room; k++) {
        nic_queue_t *s = queue(p->nic_q[k]);
        while (s && s->tx_busy && room) {
            uint32_t st = drv_mem_read32(s->tx_ring + (uint64_t)s->tx_clean * NIC_DESC_BYTES +
                                         NIC_TXD_OLINFO);
            k_charge(KC_LLC, 1);
            k_charge(KC_CYCLE, SCAN_CYCLES);
            if (!(st & NIC_TXD_DD))
                break;
            const tx_meta_t *m = &tx_meta[s->tx_meta0 + s->tx_clean];
            k_charge(KC_L1, 1);
            if (k_cq_post(p, m->user_data, (int32_t)m->len, PK_OP_NET_TX) < 0)
                return;
            room--;
            s->tx_clean = ring_next(s->tx_clean, nic.tx_entries);
            s->tx_busy--;
        }
    }
}

/* ---------------------------------------------------------------- doorbells */

void k_nic_flush(k_proc_t *p)
{
    for (unsigned k = 0; k < p->plan.nic_queues; k++) {
        unsigned q = p->nic_q[k];
        nic_queue_t *s = queue(q);
        k_charge(KC_CYCLE, FLUSH_CYCLES);
        if (!s)
            continue;
        if (s->rx_dirty) {
            wr(NIC_RXQ(q) + NIC_RDT, s->rx_tail);
            s->rx_dirty = false;
            p->st.doorbells++;
        }
        if (s->tx_dirty) {
            wr(NIC_TXQ(q) + NIC_TDT, s->tx_tail);
            s->tx_dirty = false;
            p->st.doorbells++;
        }
    }
}

/* ---------------------------------------------------------------- interrupts */

void k_nic_irq_enable(k_proc_t *p, bool on)
{
    uint64_t bits = 0;
    for (unsigned k = 0; k < p->plan.nic_queues; k++) {
        const nic_queue_t *s = queue(p->nic_q[k]);
        if (s)
            bits |= UINT64_C(1) << s->msix;
    }
    for (unsigned half = 0; half < 2; half++) {
        uint32_t v = (uint32_t)(bits >> (32 * half));
        if (v)
            wr(on ? NIC_EIMS_EX(half) : NIC_EIMC_EX(half), v);
    }
}

/* On the owner's core: a write-back of one of its queues (RX frame or TX
 * DD), delivered only while it waits (unmasked). */
static void nic_irq(void *ctx, unsigned vector)
{
    (void)vector;
    k_proc_t *p = ctx;
    k_state.st.irqs++;
    k_charge(KC_CYCLE, IRQ_CYCLES);
    k_nic_tx_harvest(p);
    k_wake_check(p);
}

/* ---------------------------------------------------------------- Flow Director */

/* Global masks (82599: one mask set for all perfect filters, as ixgbe's
 * "only one mask supported" rule): set by the first rule; later rules must
 * match the same fields.  1 = don't care. */
static void steer_masks(uint8_t match)
{
    uint32_t ports = (match & PK_FLOW_SRC_PORT ? 0 : 0xFFFFu) |
                     (match & PK_FLOW_DST_PORT ? 0 : 0xFFFF0000u);
    wr(NIC_FDIRSIP4M, match & PK_FLOW_SRC_IP ? 0 : 0xFFFFFFFFu);
    wr(NIC_FDIRDIP4M, match & PK_FLOW_DST_IP ? 0 : 0xFFFFFFFFu);
    wr(NIC_FDIRTCPM, ports);
    wr(NIC_FDIRUDPM, ports);
    wr(NIC_FDIRM, match & PK_FLOW_DST_IP ? 0 : NIC_FDIRM_DIPV6);
    nic.steer_match = match;
    nic.steer_masks_set = true;
}

static int steer_check(const struct pk_flow *f)
{
    if ((f->ip_version != 4 && f->ip_version != 6) || (f->proto != 6 && f->proto != 17))
        return PK_EINVAL;
    if (f->match & ~(PK_FLOW_SRC_IP | PK_FLOW_DST_IP | PK_FLOW_SRC_PORT | PK_FLOW_DST_PORT))
        return PK_EINVAL;
    /* The IPv6 source address has no mask register: it always matches. */
    if (f->ip_version == 6 && !(f->match & PK_FLOW_SRC_IP))
        return PK_EINVAL;
    if (nic.steer_masks_set && f->match != nic.steer_match)
        return PK_EINVAL;
    if (nic.steer_rules >= nic.steer_cap)
        return PK_ENOSPC;
    return 0;
}

int k_nic_steer(unsigned q, const struct pk_flow *f)
{
    k_charge(KC_CYCLE, STEER_CYCLES);
    if (!queue(q))
        return -PK_ESTEER;
    int e = steer_check(f);
    if (e)
        return -e;
    if (!nic.steer_masks_set)
        steer_masks(f->match);
    unsigned id = nic.steer_rules++;
    bool v6 = f->ip_version == 6;
    for (unsigned i = 0; v6 && i < 3; i++)
        wr(NIC_FDIRSIPV6(i), drv_be32(f->src_ip + 4 * i));
    wr(NIC_FDIRIPSA, drv_be32(f->src_ip + (v6 ? 12 : 0)));
    wr(NIC_FDIRIPDA, drv_be32(f->dst_ip)); /* IPv6: its first 32 bits */
    wr(NIC_FDIRPORT, (uint32_t)f->src_port | (uint32_t)f->dst_port << 16);
    wr(NIC_FDIRHASH, (uint32_t)id << NIC_FDIRHASH_SWIDX_SHIFT);
    wr(NIC_FDIRCMD, NIC_FDIRCMD_ADD | (f->proto == 6 ? NIC_FDIRCMD_L4_TCP : NIC_FDIRCMD_L4_UDP) |
                        (v6 ? NIC_FDIRCMD_IPV6 : 0) | NIC_FDIRCMD_QUEUE_EN |
                        (uint32_t)q << NIC_FDIRCMD_QUEUE_SHIFT);
    return (int)id;
}
