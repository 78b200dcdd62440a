/* devices/nic/tx.c: the transmit path (82599 7.2: descriptor fetch,
 * advanced data descriptors 7.2.3.2.4, write-back 7.2.3.5).
 *
 * The tail doorbell (TDT, a posted MMIO write reaching the device through
 * the bus) starts the queue's engine:
 *   1. fetch: descriptors [fetch, TDT) are read by DMA into a per-queue
 *      cache of TX_DESC_CACHE entries (bursts as in rx.c), contents taken at
 *      fetch time;
 *   2. process, once a whole packet (descriptors up to one with EOP) is
 *      cached and its fetch has completed: each data descriptor (DEXT = 1,
 *      DTYP = 0011b) has its DTALEN bytes DMA-read from its buffer address;
 *      the frame is complete when the last read completes;
 *   3. the frame is committed to the wire (link.c) in processing order and
 *      handed to the far end with its last-bit time; short frames are padded
 *      to 60 bytes (HLREG0.TXPADEN) and the FCS is always appended;
 *   4. when the frame's data has been read, its descriptors are complete:
 *      those with RS are written back in the advanced write-back format
 *      (bytes 0-11 zero, status dword 12-15 = 0x00000001: DD), consecutive
 *      ones in one burst; those without RS are left as they are; TDH
 *      advances past them and, if any had RS, the queue's TX interrupt
 *      cause is raised (irq.c).  The packets one engine pass sends complete
 *      together (as under a write-back threshold).
 * The TX packet buffer (TX_PB_BYTES) bounds how far ahead of the wire the
 * engine fetches data: it pauses while the committed wire time exceeds the
 * buffer's wire time.  Queues share the wire; each queue's packets leave in
 * ring order, and the queues interleave in the order their engines run.
 *
 * Other descriptors: a context descriptor (DTYP = 0010b) is consumed
 * without effect (no offloads are modelled).  A legacy descriptor
 * (DEXT = 0), a packet longer than NIC_MAX_FRAME_LIMIT or with no data, a
 * packet spanning more than TX_DESC_CACHE descriptors, or a data DMA that
 * faults: the packet is not sent, counted in tx_errors, and its descriptors
 * complete as usual (DD written for RS) so the ring keeps moving; the
 * kernel learns of a DMA fault from the IOMMU.  A faulting descriptor fetch
 * stops the queue until the next doorbell.  Disabling a queue discards its
 * unfinished work; TDH stays where the last write-back left it.  No head
 * write-back (TDWBAL is stored only), no TSO or checksum offload. */
#include "devices/nic/nic_int.h"

#include <string.h>

#define BAL_ALIGN_MASK 0x7Fu
#define LEN_MASK 0xFFF80u
#define PTR_MASK 0xFFFFu
#define MIN_RING 8u
#define MIN_FRAME_NO_FCS (NIC_MIN_FRAME - NIC_FCS_BYTES)
#define STATUS_OFF 12u

static void tx_step(nic_t *n, unsigned q);

static uint32_t ring_dist(uint32_t from, uint32_t to, uint32_t size)
{
    return to >= from ? to - from : to + size - from;
}

static tx_cached_t *slot(nic_txq_t *t, uint32_t i)
{
    return &t->cache[(t->c_head + i) % TX_DESC_CACHE];
}

void nic_tx_reset(nic_t *n, nic_txq_t *t)
{
    if (t->step_ev)
        sim_cancel(n->sim, t->step_ev);
    if (t->cpl_ev)
        sim_cancel(n->sim, t->cpl_ev);
    memset(t, 0, sizeof *t);
}

static void tx_fetch(nic_t *n, unsigned q)
{
    nic_txq_t *t = &n->txq[q];
    uint32_t held = t->n_sent + t->n_fetched;
    uint32_t avail = ring_dist(t->fetch, t->tail, t->size);
    uint32_t room = TX_DESC_CACHE - held;
    uint32_t cnt = avail < room ? avail : room;
    if (!cnt || (cnt < DESC_FETCH_MIN && t->n_fetched))
        return;
    uint8_t buf[TX_DESC_CACHE * DESC_BYTES];
    sim_time_t done;
    if (nic_ring_fetch(n, q, nic_ring_base(t->bal, t->bah), t->size, t->fetch, cnt, buf, &done))
        return;
    for (uint32_t i = 0; i < cnt; i++) {
        tx_cached_t *e = slot(t, held + i);
        const uint8_t *d = buf + i * DESC_BYTES;
        e->addr = le_get64(d);
        e->cmd_type_len = le_get32(d + 8);
        e->olinfo = le_get32(d + 12);
        e->ready = done;
    }
    t->n_fetched += cnt;
    t->fetch = ring_add(t->fetch, cnt, t->size);
}

/* ---------------------------------------------------------------- events */

static void step_ev(sim_t *sim, void *arg, uint64_t q)
{
    (void)sim;
    nic_t *n = arg;
    n->txq[q].step_ev = 0;
    tx_step(n, (unsigned)q);
}

static void step_at(nic_t *n, unsigned q, sim_time_t at)
{
    nic_txq_t *t = &n->txq[q];
    if (t->step_ev) {
        if (t->step_at <= at)
            return;
        sim_cancel(n->sim, t->step_ev);
    }
    t->step_at = at;
    t->step_ev = sim_at(n->sim, at, step_ev, n, q);
}

static void tx_complete(nic_t *n, unsigned q);

static void cpl_ev(sim_t *sim, void *arg, uint64_t q)
{
    (void)sim;
    nic_t *n = arg;
    n->txq[q].cpl_ev = 0;
    tx_complete(n, (unsigned)q);
}

static inline void cpl_arm(nic_t *n, unsigned q)
{
    nic_txq_t *t = &n->txq[q];
    if (!t->cpl_ev && t->cpl_head != t->cpl_tail)
        t->cpl_ev = sim_at(n->sim, t->cpl[t->cpl_head % TX_CPL_SLOTS].at, cpl_ev, n, q);
}

static void cpl_push(nic_txq_t *t, sim_time_t at, uint32_t count)
{
    uint32_t pending = t->cpl_tail - t->cpl_head;
    tx_cpl_t *last = pending ? &t->cpl[(t->cpl_tail - 1) % TX_CPL_SLOTS] : NULL;
    if (last && (last->at >= at || pending == TX_CPL_SLOTS)) {
        /* Completions are in order: a batch never completes before the
         * one ahead of it. */
        last->at = tmax(last->at, at);
        last->count += count;
        return;
    }
    t->cpl[t->cpl_tail++ % TX_CPL_SLOTS] = (tx_cpl_t){ at, count };
}

/* ---------------------------------------------------------------- write-back */

/* Write back one run of consecutive RS descriptors [i, i + len) (cache
 * positions) in one burst, wrapping at the ring's end. */
static sim_time_t write_run(nic_t *n, unsigned q, uint32_t i, uint32_t len)
{
    nic_txq_t *t = &n->txq[q];
    uint64_t base = nic_ring_base(t->bal, t->bah);
    uint8_t wb[TX_DESC_CACHE * DESC_BYTES];
    memset(wb, 0, (size_t)len * DESC_BYTES); /* only what is written back */
    for (uint32_t k = 0; k < len; k++)
        le_put32(wb + k * DESC_BYTES + STATUS_OFF, TXD_STAT_DD);
    uint32_t idx = ring_add(t->head, i, t->size);
    uint32_t first = t->size - idx < len ? t->size - idx : len;
    sim_time_t d1 = 0, d2 = 0;
    int bad = pcie_dma_write(n->dev, nic_pasid(n, q), base + (uint64_t)idx * DESC_BYTES, wb,
                             (size_t)first * DESC_BYTES, &d1);
    if (len > first)
        bad |= pcie_dma_write(n->dev, nic_pasid(n, q), base, wb + first * DESC_BYTES,
                              (size_t)(len - first) * DESC_BYTES, &d2);
    if (bad)
        nic_guest_error(n); /* ring unmapped under the device */
    return tmax(d1, d2);
}

/* DD write-back of the RS descriptors among the first `count` cached ones,
 * consecutive ones in one burst; returns when the last lands, 0 if none. */
static sim_time_t write_dd(nic_t *n, unsigned q, uint32_t count)
{
    nic_txq_t *t = &n->txq[q];
    sim_time_t landed = 0;
    for (uint32_t i = 0; i < count;) {
        uint32_t run = 0;
        while (i + run < count && (slot(t, i + run)->cmd_type_len & TXD_CMD_RS))
            run++;
        if (run)
            landed = tmax(landed, write_run(n, q, i, run));
        i += run ? run : 1;
    }
    return landed;
}

static void tx_complete(nic_t *n, unsigned q)
{
    nic_txq_t *t = &n->txq[q];
    sim_time_t now = sim_now(n->sim);
    uint32_t count = 0;
    while (t->cpl_head != t->cpl_tail && t->cpl[t->cpl_head % TX_CPL_SLOTS].at <= now)
        count += t->cpl[t->cpl_head++ % TX_CPL_SLOTS].count;
    if (count) {
        sim_time_t landed = write_dd(n, q, count);
        t->head = ring_add(t->head, count, t->size);
        t->c_head = (t->c_head + count) % TX_DESC_CACHE;
        t->n_sent -= count;
        nic_observe(n, NIC_EV_TX_DONE, q, count);
        if (landed)
            nic_irq_queue(n, q, true, nic_irq_time(n, now, landed));
    }
    cpl_arm(n, q);
    tx_step(n, q); /* cache room freed: fetch and send more */
}

/* ---------------------------------------------------------------- send */

typedef enum span_kind { SPAN_WAIT, SPAN_DATA, SPAN_CONTEXT, SPAN_BAD } span_kind_t;

/* DTYP of an advanced descriptor, or TXD_DTYP_MASK + 1 for a legacy one. */
static uint32_t dtyp(uint32_t ctl)
{
    return ctl & TXD_CMD_DEXT ? (ctl >> TXD_DTYP_SHIFT) & TXD_DTYP_MASK : TXD_DTYP_MASK + 1;
}

/* The packet starting at cache position `first` (relative to c_head):
 * its kind and descriptor count. */
static span_kind_t packet_span(nic_txq_t *t, uint32_t first, uint32_t *ndesc)
{
    for (uint32_t i = 0; i < t->n_fetched; i++) {
        uint32_t ctl = slot(t, first + i)->cmd_type_len, ty = dtyp(ctl);
        if (ty != TXD_DTYP_DATA) {
            *ndesc = i ? i : 1;
            if (i)
                return SPAN_BAD; /* cut short by a non-data descriptor: no EOP */
            return ty == TXD_DTYP_CTXT ? SPAN_CONTEXT : SPAN_BAD;
        }
        if (ctl & TXD_CMD_EOP) {
            *ndesc = i + 1;
            return SPAN_DATA;
        }
    }
    if (t->n_fetched == TX_DESC_CACHE) { /* EOP out of the cache's reach */
        *ndesc = t->n_fetched;
        return SPAN_BAD;
    }
    return SPAN_WAIT; /* the rest of the packet is not posted yet */
}

/* Read the packet's data into txbuf; 0 when it cannot be sent. */
static size_t gather(nic_t *n, unsigned q, uint32_t first, uint32_t ndesc, sim_time_t *done)
{
    nic_txq_t *t = &n->txq[q];
    size_t len = 0;
    bool bad = false;
    for (uint32_t i = 0; i < ndesc && !bad; i++) {
        const tx_cached_t *e = slot(t, first + i);
        size_t dl = e->cmd_type_len & TXD_DTALEN_MASK;
        if (len + dl > NIC_MAX_FRAME_LIMIT - NIC_FCS_BYTES) {
            bad = true;
            break;
        }
        sim_time_t d;
        if (pcie_dma_read(n->dev, nic_pasid(n, q), e->addr, n->txbuf + len, dl, &d))
            bad = true;
        *done = tmax(*done, d);
        len += dl;
    }
    return bad ? 0 : len;
}

static void send_frame(nic_t *n, unsigned q, size_t len, sim_time_t ready)
{
    if (len < MIN_FRAME_NO_FCS) {
        memset(n->txbuf + len, 0, MIN_FRAME_NO_FCS - len);
        len = MIN_FRAME_NO_FCS;
    }
    sim_time_t last_bit = nic_link_send(n, len, ready);
    n->qstats[q].tx_packets++;
    n->qstats[q].tx_bytes += len;
    nic_observe(n, NIC_EV_TX, q, (uint32_t)len);
    if (n->wire_tx)
        n->wire_tx(n->wire_tx_ctx, n->txbuf, len, last_bit);
}

/* Send one packet (or consume a context/bad descriptor); its data has
 * been read by *done. */
static void tx_packet(nic_t *n, unsigned q, span_kind_t kind, uint32_t first, uint32_t ndesc,
                      sim_time_t *done)
{
    size_t len = kind == SPAN_DATA ? gather(n, q, first, ndesc, done) : 0;
    if (len)
        send_frame(n, q, len, *done);
    else if (kind != SPAN_CONTEXT)
        n->qstats[q].tx_errors++;
    if (kind == SPAN_BAD)
        nic_guest_error(n);
}

/* Process fetched packets while their descriptors are in and the TX packet
 * buffer has room.  The packets of one pass complete together, when the
 * last of their data has been read (as descriptors written back in a
 * burst under a write-back threshold would). */
static void tx_step(nic_t *n, unsigned q)
{
    nic_txq_t *t = &n->txq[q];
    if (!t->enabled)
        return;
    sim_time_t now = sim_now(n->sim), done = now;
    uint32_t batch = 0;
    tx_fetch(n, q);
    while (t->n_fetched) {
        uint32_t first = t->n_sent, ndesc = 0;
        span_kind_t kind = packet_span(t, first, &ndesc);
        if (kind == SPAN_WAIT)
            break;
        sim_time_t ready = 0;
        for (uint32_t i = 0; i < ndesc; i++)
            ready = tmax(ready, slot(t, first + i)->ready);
        if (ready > now) {
            step_at(n, q, ready);
            break;
        }
        if (nic_link_backlog(n) > n->tx_pb_time) {
            step_at(n, q, n->wire_free - n->tx_pb_time);
            break;
        }
        tx_packet(n, q, kind, first, ndesc, &done);
        t->n_fetched -= ndesc;
        t->n_sent += ndesc;
        batch += ndesc;
        tx_fetch(n, q);
    }
    if (batch)
        cpl_push(t, done, batch);
    cpl_arm(n, q);
}

/* ---------------------------------------------------------------- registers */

static void tx_enable(nic_t *n, unsigned q, bool on)
{
    nic_txq_t *t = &n->txq[q];
    uint32_t bal = t->bal, bah = t->bah, len = t->len, head = t->head, tail = t->tail;
    uint32_t dctl = t->dctl, dca = t->dca, wbal = t->wbal, wbah = t->wbah;
    nic_tx_reset(n, t); /* discards unfinished work */
    *t = (nic_txq_t){ .bal = bal, .bah = bah, .len = len, .head = head, .tail = tail,
                      .dctl = dctl, .dca = dca, .wbal = wbal, .wbah = wbah };
    if (!on)
        return;
    t->size = len / DESC_BYTES;
    if (t->size < MIN_RING || head >= t->size || tail >= t->size) {
        nic_guest_error(n);
        return;
    }
    t->enabled = true;
    t->fetch = head;
    tx_step(n, q);
}

void nic_tx_write_reg(nic_t *n, unsigned q, uint32_t reg, uint32_t val)
{
    nic_txq_t *t = &n->txq[q];
    bool ring_reg = reg == Q_BAL || reg == Q_BAH || reg == Q_LEN || reg == Q_HEAD;
    if (ring_reg && t->enabled)
        nic_guest_error(n);
    switch (reg) {
    case Q_BAL: t->bal = val & ~BAL_ALIGN_MASK; break;
    case Q_BAH: t->bah = val; break;
    case Q_LEN: t->len = val & LEN_MASK; break;
    case Q_HEAD: if (!t->enabled) t->head = val & PTR_MASK; break;
    case Q_DCA: t->dca = val; break;
    case Q_TDWBAL: t->wbal = val; break;
    case Q_TDWBAH: t->wbah = val; break;
    case Q_TAIL:
        if (t->enabled && (val & PTR_MASK) >= t->size) {
            nic_guest_error(n);
            break;
        }
        t->tail = val & PTR_MASK;
        tx_step(n, q);
        nic_observe(n, NIC_EV_TX_TAIL, q, t->tail);
        break;
    case Q_DCTL:
        t->dctl = val & ~DCTL_ENABLE;
        if (!!(val & DCTL_ENABLE) != t->enabled)
            tx_enable(n, q, val & DCTL_ENABLE);
        break;
    default: nic_guest_error(n); break;
    }
}

uint32_t nic_tx_read_reg(const nic_t *n, unsigned q, uint32_t reg, bool *ok)
{
    const nic_txq_t *t = &n->txq[q];
    *ok = true;
    switch (reg) {
    case Q_BAL: return t->bal;
    case Q_BAH: return t->bah;
    case Q_LEN: return t->len;
    case Q_HEAD: return t->head;
    case Q_TAIL: return t->tail;
    case Q_DCA: return t->dca;
    case Q_TDWBAL: return t->wbal;
    case Q_TDWBAH: return t->wbah;
    case Q_DCTL: return t->dctl | (t->enabled ? DCTL_ENABLE : 0);
    default: *ok = false; return 0;
    }
}
