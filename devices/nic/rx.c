/* devices/nic/rx.c: the receive path (82599 7.1: filtering and queue
 * choice, 7.1.3-7.1.6: descriptor fetch, advanced descriptors, write-back).
 *
 * Per frame (nic_wire_rx, its last bit arrives now):
 *   1. parse (parse.c); frames shorter than an Ethernet header are runts;
 *   2. queue: a Flow Director match (fdir.c) takes precedence; else, with
 *      RSS on, RETA[hash & 127] (rss.c); else queue 0.  A drop filter
 *      drops (cause: filter);
 *   3. longer than MAXFRS.MFS (+4 with a VLAN tag), FCS included: dropped
 *      (cause: oversize);
 *   4. the queue must be enabled and hold enough descriptors: the device
 *      owns [RDH, RDT); too few: dropped (cause: no descriptor, or IOMMU
 *      fault when the fetch of the descriptors faulted);
 *   5. the payload is DMA-written to the packet buffer(s), then each
 *      descriptor is written back in the advanced write-back format:
 *        bytes 0-1  pkt_info: RSS type (3:0) | packet type (15:4)
 *        bytes 4-7  RSS hash, or the matching filter's software index
 *        bytes 8-11 status: DD (bit 0), EOP (bit 1, last buffer only),
 *                   FLM (bit 2, Flow Director match)
 *        bytes 12-13 length of the data in this buffer; others 0;
 *      RDH advances past them and the queue's interrupt cause is raised
 *      (irq.c), no earlier than the write-back lands minus the MSI-X
 *      latency so the message cannot overtake it.
 * A frame longer than one buffer (SRRCTL.BSIZEPACKET, 1 KiB units) spans
 * several descriptors, EOP on the last; all are needed at once.
 *
 * Descriptor fetch: descriptors are fetched ahead into a per-queue cache
 * of RX_DESC_CACHE entries when the tail moves and as they are consumed,
 * in bursts of at least DESC_FETCH_MIN (or whatever is there when the cache
 * is empty), never beyond RDT; their contents are taken at fetch time, as
 * the hardware's are.  A frame whose descriptor is still being fetched is
 * handled at once but its DMA is accounted as starting when the fetch
 * completes (its interrupt is delayed by the difference): the bus cannot
 * start a DMA in the future.
 *
 * Faults: a payload DMA that faults drops the frame (cause: IOMMU) and
 * does NOT consume the descriptor: the next frame retries the same buffer
 * until the kernel, told by the IOMMU's fault interrupt, fixes the mapping.
 * (A real 82599 never learns that a posted write faulted and would consume
 * it; we prefer the visible behaviour.)  A faulting write-back consumes the
 * descriptors and counts an IOMMU drop.
 *
 * Overrun: the RX packet buffer (RX_PB_BYTES) holds frames waiting for
 * PCIe; when the payload DMA backlog exceeds what the buffer can hold
 * (DMA latency + the PCIe time of RX_PB_BYTES), frames are dropped (cause:
 * overrun) instead of queueing without bound.
 *
 * Write-back simplifications: one write-back per descriptor (no WTHRESH
 * coalescing), VLAN tags are not stripped (VP = 0, tag left in the buffer),
 * no checksum status, header split and RSC not modelled. */
#include "devices/nic/nic_int.h"

#include <string.h>

#define BAL_ALIGN_MASK 0x7Fu     /* RDBAL bits 6:0 are zero (128-byte aligned) */
#define LEN_MASK 0xFFF80u        /* RDLEN bits 19:7 */
#define PTR_MASK 0xFFFFu         /* RDH/RDT bits 15:0 */
#define MIN_RING 8u
#define KIB 1024u
#define VLAN_TAG 4u

void nic_rx_reset(nic_rxq_t *r)
{
    memset(r, 0, sizeof *r);
    r->srrctl = SRRCTL_RESET;
}

static uint32_t ring_dist(uint32_t from, uint32_t to, uint32_t size)
{
    return to >= from ? to - from : to + size - from;
}

static rx_cached_t *slot(nic_rxq_t *r, uint32_t i)
{
    return &r->cache[(r->c_head + i) % RX_DESC_CACHE];
}

static uint32_t buf_size(const nic_rxq_t *r)
{
    uint32_t k = r->srrctl & SRRCTL_BSIZEPKT_MASK;
    return (k ? k : SRRCTL_RESET) * KIB;
}

/* Top the descriptor cache up (see the file comment); `force` fetches
 * whatever is there, for a frame that needs it now. */
static void rx_fetch(nic_t *n, unsigned q, bool force)
{
    nic_rxq_t *r = &n->rxq[q];
    uint32_t avail = ring_dist(r->fetch, r->tail, r->size);
    uint32_t room = RX_DESC_CACHE - r->c_count;
    uint32_t cnt = avail < room ? avail : room;
    if (!cnt || (cnt < DESC_FETCH_MIN && r->c_count && !force))
        return;
    uint8_t buf[RX_DESC_CACHE * DESC_BYTES];
    sim_time_t done;
    if (nic_ring_fetch(n, q, nic_ring_base(r->bal, r->bah), r->size, r->fetch, cnt, buf, &done)) {
        r->fetch_faulted = true;
        return;
    }
    r->fetch_faulted = false;
    for (uint32_t i = 0; i < cnt; i++) {
        rx_cached_t *e = slot(r, r->c_count + i);
        e->pkt_addr = le_get64(buf + i * DESC_BYTES);
        e->ready = done;
    }
    r->c_count += cnt;
    r->fetch = ring_add(r->fetch, cnt, r->size);
}

static void drop(nic_t *n, unsigned q, nic_drop_t why)
{
    n->qstats[q].rx_drops[why]++;
    nic_observe(n, NIC_EV_DROP, q, why);
}

typedef struct rx_meta {
    uint32_t pkt_info;  /* RSS type | packet type */
    uint32_t hash;      /* RSS hash or filter index */
    uint32_t status;    /* FLM */
} rx_meta_t;

static uint32_t pkt_type(const nic_pkt_t *p)
{
    uint32_t t = p->l3 == L3_IPV4 ? PKTTYPE_IPV4 : p->l3 == L3_IPV6 ? PKTTYPE_IPV6 : 0;
    if (p->l4 == L4_TCP)
        t |= PKTTYPE_TCP;
    else if (p->l4 == L4_UDP)
        t |= PKTTYPE_UDP;
    else if (p->l4 == L4_SCTP)
        t |= PKTTYPE_SCTP;
    return t;
}

/* DMA the payload into `need` buffers; false on a fault. */
static bool rx_payload(nic_t *n, unsigned q, const uint8_t *f, size_t len, uint32_t need,
                       sim_time_t *done)
{
    nic_rxq_t *r = &n->rxq[q];
    uint32_t bsize = buf_size(r);
    for (uint32_t i = 0; i < need; i++) {
        size_t off = (size_t)i * bsize;
        size_t chunk = len - off < bsize ? len - off : bsize;
        sim_time_t d;
        if (pcie_dma_write(n->dev, nic_pasid(n, q), slot(r, i)->pkt_addr, f + off, chunk, &d))
            return false;
        *done = tmax(*done, d);
    }
    return true;
}

/* Write the descriptors back; false when one faulted. */
static bool rx_writeback(nic_t *n, unsigned q, size_t len, uint32_t need, const rx_meta_t *m,
                         sim_time_t *done)
{
    nic_rxq_t *r = &n->rxq[q];
    uint32_t bsize = buf_size(r);
    uint64_t base = nic_ring_base(r->bal, r->bah);
    bool ok = true;
    for (uint32_t i = 0; i < need; i++) {
        uint8_t wb[DESC_BYTES] = { 0 };
        size_t off = (size_t)i * bsize;
        size_t chunk = len - off < bsize ? len - off : bsize;
        le_put32(wb, m->pkt_info);
        le_put32(wb + 4, m->hash);
        le_put32(wb + 8, RXD_STAT_DD | m->status | (i + 1 == need ? RXD_STAT_EOP : 0));
        le_put16(wb + 12, (uint16_t)chunk);
        uint32_t idx = ring_add(r->head, i, r->size);
        sim_time_t d;
        if (pcie_dma_write(n->dev, nic_pasid(n, q), base + (uint64_t)idx * DESC_BYTES, wb,
                           DESC_BYTES, &d))
            ok = false;
        *done = tmax(*done, d);
    }
    return ok;
}

/* Check the queue can take a frame needing `need` buffers now: -1, with
 * *shift the wait for descriptors still being fetched, or the drop cause. */
static int rx_admit(nic_t *n, unsigned q, uint32_t need, sim_time_t *shift)
{
    nic_rxq_t *r = &n->rxq[q];
    sim_time_t now = sim_now(n->sim);
    if (!r->enabled)
        return NIC_DROP_NO_DESC;
    if (n->rx_dma_last > now + n->rx_pb_drain)
        return NIC_DROP_OVERRUN;
    if (r->c_count < need)
        rx_fetch(n, q, true);
    if (r->c_count < need)
        return r->fetch_faulted ? NIC_DROP_IOMMU : NIC_DROP_NO_DESC;
    sim_time_t ready = 0;
    for (uint32_t i = 0; i < need; i++)
        ready = tmax(ready, slot(r, i)->ready);
    *shift = ready > now ? ready - now : 0;
    return -1;
}

static void rx_deliver(nic_t *n, unsigned q, const uint8_t *f, size_t len, const rx_meta_t *m)
{
    nic_rxq_t *r = &n->rxq[q];
    sim_time_t now = sim_now(n->sim), shift = 0, done = now;
    uint32_t bsize = buf_size(r);
    /* One buffer is the rule (SRRCTL.BSIZEPACKET >= 1 KiB, frames mostly
     * smaller): skip the division then. */
    uint32_t need = len <= bsize ? 1 : (uint32_t)((len + bsize - 1) / bsize);
    int why = rx_admit(n, q, need, &shift);
    if (why < 0 && !rx_payload(n, q, f, len, need, &done))
        why = NIC_DROP_IOMMU; /* descriptors kept: see the file comment */
    if (why >= 0) {
        drop(n, q, (nic_drop_t)why);
        return;
    }
    n->rx_dma_last = done + shift;
    bool wb_ok = rx_writeback(n, q, len, need, m, &done);
    r->c_head = (r->c_head + need) % RX_DESC_CACHE;
    r->c_count -= need;
    r->head = ring_add(r->head, need, r->size);
    if (wb_ok) {
        n->qstats[q].rx_packets++;
        n->qstats[q].rx_bytes += len;
        nic_observe(n, NIC_EV_RX, q, (uint32_t)len);
        nic_irq_queue(n, q, false, nic_irq_time(n, now + shift, done + shift));
    } else {
        drop(n, q, NIC_DROP_IOMMU);
    }
    rx_fetch(n, q, false);
}

void nic_wire_rx(nic_t *n, const uint8_t *f, size_t len)
{
    nic_pkt_t p;
    if (!nic_parse(f, len, &p)) {
        n->stats.rx_runts++;
        return;
    }
    rx_meta_t m = { .pkt_info = pkt_type(&p) };
    uint32_t hash, type;
    unsigned q = 0;
    if (nic_rss_enabled(n) && nic_rss_hash(n, &p, &hash, &type)) {
        q = nic_rss_queue(n, hash);
        m.pkt_info |= type;
        m.hash = hash;
    }
    const fdir_filter_t *fl = nic_fdir_lookup(n, &p);
    if (fl) {
        if (fl->drop) {
            drop(n, nic_fdir_drop_queue(n), NIC_DROP_FILTER);
            return;
        }
        if (fl->steer)
            q = fl->queue;
        m.hash = fl->sw_index;
        m.status = RXD_STAT_FLM;
    }
    size_t limit = nic_max_frame(n) + (p.vlan ? VLAN_TAG : 0);
    if (len + NIC_FCS_BYTES > limit) {
        drop(n, q, NIC_DROP_OVERSIZE);
        return;
    }
    rx_deliver(n, q, f, len, &m);
}

/* ---------------------------------------------------------------- registers */

static void rx_enable(nic_t *n, unsigned q, bool on)
{
    nic_rxq_t *r = &n->rxq[q];
    r->c_head = r->c_count = 0;
    r->fetch_faulted = false;
    r->enabled = false;
    if (!on)
        return;
    r->size = r->len / DESC_BYTES;
    if (r->size < MIN_RING || r->head >= r->size || r->tail >= r->size) {
        nic_guest_error(n); /* ring not (or badly) programmed: stays off */
        return;
    }
    r->enabled = true;
    r->fetch = r->head;
    rx_fetch(n, q, false);
}

void nic_rx_write_reg(nic_t *n, unsigned q, uint32_t reg, uint32_t val)
{
    nic_rxq_t *r = &n->rxq[q];
    bool ring_reg = reg == Q_BAL || reg == Q_BAH || reg == Q_LEN || reg == Q_HEAD;
    if (ring_reg && r->enabled)
        nic_guest_error(n); /* 82599: program the ring before enabling it */
    switch (reg) {
    case Q_BAL: r->bal = val & ~BAL_ALIGN_MASK; break;
    case Q_BAH: r->bah = val; break;
    case Q_LEN: r->len = val & LEN_MASK; break;
    case Q_HEAD: if (!r->enabled) r->head = val & PTR_MASK; break;
    case Q_DCA: r->dca = val; break;
    case Q_SRRCTL:
        if (!(val & SRRCTL_BSIZEPKT_MASK))
            nic_guest_error(n); /* reserved: 2 KiB used */
        r->srrctl = val;
        break;
    case Q_TAIL:
        if (r->enabled && (val & PTR_MASK) >= r->size) {
            nic_guest_error(n);
            break;
        }
        r->tail = val & PTR_MASK;
        if (r->enabled)
            rx_fetch(n, q, false);
        nic_observe(n, NIC_EV_RX_TAIL, q, r->tail);
        break;
    case Q_DCTL:
        r->dctl = val & ~DCTL_ENABLE;
        if (!!(val & DCTL_ENABLE) != r->enabled)
            rx_enable(n, q, val & DCTL_ENABLE);
        break;
    default: nic_guest_error(n); break;
    }
}

uint32_t nic_rx_read_reg(const nic_t *n, unsigned q, uint32_t reg, bool *ok)
{
    const nic_rxq_t *r = &n->rxq[q];
    *ok = true;
    switch (reg) {
    case Q_BAL: return r->bal;
    case Q_BAH: return r->bah;
    case Q_LEN: return r->len;
    case Q_HEAD: return r->head;
    case Q_TAIL: return r->tail;
    case Q_DCA: return r->dca;
    case Q_SRRCTL: return r->srrctl;
    case Q_DCTL: return r->dctl | (r->enabled ? DCTL_ENABLE : 0);
    default: *ok = false; return 0;
    }
}
