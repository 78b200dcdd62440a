/* devices/pcie: the host bridge, PCIe links and MSI-X (contract in
 * devices/pcie.h).
 *
 * Routing.  Every mapped range (a PCIe function's BAR, or a platform range
 * such as the IOMMU's registers) is a `pcie_dev` in an array sorted by base
 * address; an access is routed by binary search, O(log n).  An access that
 * hits no range, or runs past the end of the range it starts in, is a
 * master abort: reads return all ones of the access size, writes are
 * dropped, and stats.master_aborts counts it.  stats.mmio_reads/writes
 * count only the accesses routed to a target, so issued = routed + aborts.
 *
 * Posted writes (PCIe Base Spec, 2.4.1 ordering rules).  Each target has a
 * FIFO of pending writes, each with the time it reaches the device:
 * max(now + pcie.mmio_write, the previous write's time), so writes to one
 * device arrive in program order even if the cost table changes.  One
 * engine event is pending per FIFO, for its head.  A non-posted read must
 * not pass posted writes in the same direction, so an MMIO read first
 * delivers every write still queued for that target (at the read's issue
 * time, a little earlier than their due time: the read's own round trip is
 * longer, so the device would have seen them before the read arrived).
 *
 * DMA.  A DMA read takes its bytes from memory at call time; a DMA
 * write's bytes become visible in memory when the write completes (so a
 * polling CPU cannot see a descriptor write-back or a completion entry
 * before the device's write has landed).  *done is when the transfer
 * completes:
 *   start = max(now, busy[dir]),
 *   done  = start + pcie.dma + sum of IOMMU lookup costs + wire(len),
 *   busy[dir] = start + wire(len)   (only on success),
 * and a write's done is never before the previous write's of the same
 * device: posted writes land in order (PCIe Base Spec 2.4.1).  Pending
 * write segments and their bytes wait in a per-device FIFO.  They land
 * lazily but exactly: every memory read first lands all writes due by now,
 * in order of due time across devices (mem_set_read_hook), and one
 * fallback event per device, armed at its FIFO's tail, lands them when
 * nobody reads -- one event per burst of writes rather than per write.
 * Destroying the bus drops writes still in flight.
 * where dir is the data's direction (a DMA read's data flows to the
 * device, a write's to memory), and wire(len) carries len bytes plus 24 B
 * per TLP of up to 256 B at the link's rate (see pcie_wire_time).  The
 * link is occupied for the wire time only: latency and page walks overlap
 * with other transfers, as outstanding tags allow on real links; read
 * request TLPs are not charged to the upstream direction.  A DMA is all
 * or nothing: every page is translated and bounds-checked before any byte
 * moves.  A refused DMA (IOMMU fault or address outside memory) counts in
 * stats.dma_faults, leaves the link free and reports *done = start +
 * pcie.dma + lookup costs; dma_reads/writes and bytes count successes.
 *
 * MSI-X (PCI Local Bus Spec 3.0, 6.8.2).  The table (16 B entries: message
 * address lo @0, hi @4, data @8, vector control @12, mask = bit 0, masked
 * at reset) and the pending-bit array (ceil(n/64) QWORDs) right after it
 * are held here, as bytes, and never reach the device's ops.  The PBA is
 * read-only.  An access that overlaps the table/PBA region without lying
 * wholly inside it is a guest error treated as a master abort.  The
 * function-level mask in the capability's message control is not
 * modelled (no config space).  A message is decoded when sent; one whose
 * address is outside the MSI window is dropped and counted.  Deliveries
 * wait pcie.msix in a bus-wide FIFO (one engine event for its head).
 *
 * Destroying the bus cancels its pending events.  Not thread-safe. */
#include "devices/pcie.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iommu.h"
#include "devices/le.h"
#include "devices/mem.h"
#include "model/cost.h"
#include "sim/alloc.h"

#define TLP_MAX_PAYLOAD 256u   /* bytes per TLP (max payload size) */
#define TLP_OVERHEAD 24u       /* framing, sequence, 4-DW header, LCRC */
#define MSIX_ENTRY 16u         /* bytes per table entry */
#define MSIX_MAX_VECTORS 2048u /* table size field is 11 bits */
#define MSIX_CTRL_MASK 1u      /* vector control bit 0 */

enum { DIR_TO_DEV, DIR_TO_MEM, DIRS }; /* DMA read data, DMA write data */

/* A delayed action.  Posted write: off, val, size.  MSI: off = core,
 * val = vector. */
typedef struct pending {
    sim_time_t due; /* when it reaches its destination, ps */
    uint64_t off;
    uint64_t val;
    unsigned size;
} pending_t;

typedef struct fifo {
    pending_t *e;   /* ring of cap entries, cap a power of two (or 0) */
    size_t head, n, cap;
    sim_event_t ev; /* event for the head, 0 when none is scheduled */
} fifo_t;

typedef struct seg {
    uint64_t pa;
    size_t len;
} seg_t;

struct pcie_dev {
    pcie_t *bus;
    char name[32];
    uint16_t rid;            /* requester id, bus << 8 | dev << 3 | fn */
    uint64_t base, last;     /* mapped range [base, last], inclusive */
    const pcie_ops_t *ops;
    void *dev;
    pcie_link_t link;        /* gen 0: a platform range, not a function */
    sim_time_t busy[DIRS];   /* link free from, per direction, ps */
    unsigned msix_n;         /* vectors; 0 = no table */
    uint64_t msix_off;       /* table offset in the BAR */
    uint64_t msix_len;       /* table + PBA bytes */
    uint8_t *msix;           /* table then PBA, little-endian bytes */
    fifo_t wq;               /* posted writes on their way */
    fifo_t dq;               /* DMA write segments on their way: off = pa,
                              * val = length; bytes in dbuf, same order */
    uint8_t *dbuf;           /* ring of cap bytes (a power of two, or 0) */
    uint64_t dhead, dtail;   /* free-running byte counters into dbuf */
    size_t dcap;
    uint64_t ps_per_byte_fp; /* wire time per byte, ps, 32.32 fixed point */
};

struct pcie {
    sim_t *sim;
    mem_t *mem;
    iommu_t *iommu;          /* NULL: pass-through */
    const cost_table_t *costs;
    irq_sink_t sink;
    pcie_dev_t **map;        /* sorted by base, ranges disjoint */
    size_t nmap, capmap;
    fifo_t msi;              /* MSI messages on their way */
    seg_t *seg;              /* DMA translation scratch */
    size_t segcap;
    size_t dq_pending;       /* DMA write segments not landed, all devices */
    sim_time_t dq_next;      /* earliest due among them (SIM_TIME_MAX: none) */
    pcie_stats_t st;
};

/* ---------------------------------------------------------------- fifo */

static void fifo_push(fifo_t *f, pending_t p)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        pending_t *e = sim_xreallocarray(NULL, cap, sizeof *e);
        for (size_t i = 0; i < f->n; i++)
            e[i] = f->e[(f->head + i) & (f->cap - 1)];
        free(f->e);
        f->e = e;
        f->cap = cap;
        f->head = 0;
    }
    f->e[(f->head + f->n) & (f->cap - 1)] = p;
    f->n++;
}

static pending_t fifo_pop(fifo_t *f)
{
    assert(f->n > 0 && "fifo_pop");
    pending_t p = f->e[f->head];
    f->head = (f->head + 1) & (f->cap - 1);
    f->n--;
    return p;
}

/* Due time for a new entry: after `delay`, never before the tail. */
static sim_time_t fifo_due(const fifo_t *f, sim_time_t now, sim_time_t delay)
{
    sim_time_t due = now + delay;
    if (f->n) {
        sim_time_t tail = f->e[(f->head + f->n - 1) & (f->cap - 1)].due;
        if (tail > due)
            due = tail;
    }
    return due;
}

static void fifo_arm(fifo_t *f, sim_t *sim, sim_fn_t fn, void *arg)
{
    if (!f->n || f->ev)
        return;
    sim_time_t due = f->e[f->head].due;
    f->ev = sim_at(sim, due > sim_now(sim) ? due : sim_now(sim), fn, arg, 0);
}

static void fifo_free(fifo_t *f, sim_t *sim)
{
    sim_cancel(sim, f->ev);
    free(f->e);
}

/* ---------------------------------------------------------------- MSI-X */

static uint8_t *msix_entry(pcie_dev_t *d, unsigned v) { return d->msix + (size_t)v * MSIX_ENTRY; }

static uint8_t *msix_pba_byte(pcie_dev_t *d, unsigned v)
{
    return d->msix + (size_t)d->msix_n * MSIX_ENTRY + v / 8;
}

static void msi_fire(sim_t *sim, void *arg, uint64_t data)
{
    (void)data;
    pcie_t *bus = arg;
    bus->msi.ev = 0;
    pending_t p = fifo_pop(&bus->msi);
    bus->sink.deliver(bus->sink.ctx, (unsigned)p.off, (unsigned)p.val);
    fifo_arm(&bus->msi, sim, msi_fire, bus);
}

/* Compose entry v's message and put it on its way (unmasked vector). */
static void msix_emit(pcie_dev_t *d, unsigned v)
{
    pcie_t *bus = d->bus;
    const uint8_t *e = msix_entry(d, v);
    uint64_t addr = (uint64_t)le_get32(e + 4) << 32 | le_get32(e);
    unsigned core, vector;
    if (!irq_msi_decode(addr, le_get32(e + 8), &core, &vector)) {
        bus->st.msix_dropped++;
        return;
    }
    sim_time_t now = sim_now(bus->sim);
    pending_t p = { fifo_due(&bus->msi, now, cost_ps(bus->costs, COST_PCIE_MSIX)), core, vector, 0 };
    fifo_push(&bus->msi, p);
    bus->st.msix_sent++;
    fifo_arm(&bus->msi, bus->sim, msi_fire, bus);
}

void pcie_msix_send(pcie_dev_t *d, unsigned vector)
{
    assert(vector < d->msix_n && "pcie_msix_send: no such vector");
    if (le_get32(msix_entry(d, vector) + 12) & MSIX_CTRL_MASK) {
        *msix_pba_byte(d, vector) |= (uint8_t)(1u << (vector % 8));
        d->bus->st.msix_pending++;
        return;
    }
    msix_emit(d, vector);
}

static uint64_t msix_read(pcie_dev_t *d, uint64_t rel, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;)
        v = v << 8 | d->msix[rel + i];
    return v;
}

/* Table bytes are writable, the PBA is not; an entry whose mask is
 * cleared while its pending bit is set sends its message now. */
static void msix_write(pcie_dev_t *d, uint64_t rel, uint64_t val, unsigned size)
{
    uint64_t table = (uint64_t)d->msix_n * MSIX_ENTRY;
    for (unsigned i = 0; i < size && rel + i < table; i++)
        d->msix[rel + i] = (uint8_t)(val >> (8 * i));
    for (uint64_t v = rel / MSIX_ENTRY; v <= (rel + size - 1) / MSIX_ENTRY && v < d->msix_n; v++) {
        uint8_t *pb = msix_pba_byte(d, (unsigned)v);
        uint8_t bit = (uint8_t)(1u << (v % 8));
        if ((*pb & bit) && !(le_get32(msix_entry(d, (unsigned)v) + 12) & MSIX_CTRL_MASK)) {
            *pb &= (uint8_t)~bit;
            msix_emit(d, (unsigned)v);
        }
    }
}

/* 1: wholly inside the MSI-X region; 0: wholly outside; -1: straddles. */
static int msix_hit(const pcie_dev_t *d, uint64_t off, unsigned size)
{
    uint64_t end = off + (size - 1), mend = d->msix_off + (d->msix_len - 1); /* inclusive */
    if (!d->msix_n || end < d->msix_off || off > mend)
        return 0;
    return off >= d->msix_off && end <= mend ? 1 : -1;
}

/* ---------------------------------------------------------------- MMIO */

static uint64_t ones(unsigned size) { return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1; }

/* The target of [addr, addr + size), *off its offset; NULL = master abort. */
static pcie_dev_t *route(const pcie_t *bus, uint64_t addr, unsigned size, uint64_t *off)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return NULL;
    size_t lo = 0, hi = bus->nmap;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bus->map[mid]->base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    pcie_dev_t *d = bus->map[lo - 1];
    if (addr > d->last || d->last - addr < size - 1)
        return NULL;
    *off = addr - d->base;
    if (msix_hit(d, *off, size) < 0)
        return NULL;
    return d;
}

static void posted_apply(pcie_dev_t *d, const pending_t *p)
{
    if (msix_hit(d, p->off, p->size))
        msix_write(d, p->off - d->msix_off, p->val, p->size);
    else
        d->ops->mmio_write(d->dev, p->off, p->val, p->size);
}

static void posted_fire(sim_t *sim, void *arg, uint64_t data)
{
    (void)data;
    pcie_dev_t *d = arg;
    d->wq.ev = 0;
    pending_t p = fifo_pop(&d->wq);
    posted_apply(d, &p);
    fifo_arm(&d->wq, sim, posted_fire, d);
}

/* Deliver every write still queued for d (a read must not pass them). */
static void posted_flush(pcie_dev_t *d)
{
    if (!d->wq.n)
        return;
    sim_cancel(d->bus->sim, d->wq.ev);
    d->wq.ev = 0;
    while (d->wq.n) {
        pending_t p = fifo_pop(&d->wq);
        posted_apply(d, &p);
    }
}

uint64_t pcie_mmio_read(pcie_t *bus, uint64_t addr, unsigned size, sim_time_t *cpu_ps)
{
    if (cpu_ps)
        *cpu_ps = cost_ps(bus->costs, COST_PCIE_MMIO_READ);
    uint64_t off;
    pcie_dev_t *d = route(bus, addr, size, &off);
    if (!d) {
        bus->st.master_aborts++;
        return ones(size);
    }
    bus->st.mmio_reads++;
    posted_flush(d);
    if (msix_hit(d, off, size))
        return msix_read(d, off - d->msix_off, size);
    return d->ops->mmio_read(d->dev, off, size) & ones(size);
}

void pcie_mmio_write(pcie_t *bus, uint64_t addr, uint64_t val, unsigned size, sim_time_t *cpu_ps)
{
    sim_time_t lat = cost_ps(bus->costs, COST_PCIE_MMIO_WRITE);
    if (cpu_ps)
        *cpu_ps = lat;
    uint64_t off;
    pcie_dev_t *d = route(bus, addr, size, &off);
    if (!d) {
        bus->st.master_aborts++;
        return;
    }
    bus->st.mmio_writes++;
    pending_t p = { fifo_due(&d->wq, sim_now(bus->sim), lat), off, val & ones(size), size };
    fifo_push(&d->wq, p);
    fifo_arm(&d->wq, bus->sim, posted_fire, d);
}

/* ---------------------------------------------------------------- links */

/* Transfer rate per lane in MT/s, by generation (PCIe Base Spec). */
static const unsigned gen_mts[] = { [1] = 2500, [2] = 5000, [3] = 8000, [4] = 16000, [5] = 32000 };

static bool link_valid(pcie_link_t l)
{
    bool lanes_ok = l.lanes == 1 || l.lanes == 2 || l.lanes == 4 || l.lanes == 8 || l.lanes == 16;
    return l.gen >= 1 && l.gen <= 5 && lanes_ok;
}

/* ps per wire byte of a valid link in 32.32 fixed point: 8 bits at the
 * transfer rate with 8b/10b (10 bits per byte) or 128b/130b coding.  Every
 * valid rate divides evenly (lanes and Gen3+ rates are powers of two times
 * 125 MT/s), so this is exact and pcie_wire_time() agrees with it. */
static uint64_t link_fp(pcie_link_t link)
{
    uint64_t num = link.gen <= 2 ? UINT64_C(10000000) : UINT64_C(130000000);
    uint64_t den = (uint64_t)gen_mts[link.gen] * link.lanes * (link.gen <= 2 ? 1 : 16);
    assert(((num << 32) % den) == 0 && "link_fp: rate not dyadic");
    return (num << 32) / den;
}

double pcie_link_bytes_per_s(pcie_link_t link)
{
    if (!link_valid(link))
        return 0.0;
    double coding = link.gen <= 2 ? 8.0 / 10.0 : 128.0 / 130.0;
    return gen_mts[link.gen] * 1e6 * link.lanes * coding / 8.0;
}

/* Wire time in integer ps, rounded up: bytes * num / den where
 * Gen1-2 (8b/10b):    ps/byte = 1e12 * 10 / (MT/s * 1e6 * lanes * 8) * 8
 *                             = 1e7 / (MT * lanes),
 * Gen3-5 (128b/130b): ps/byte = 1e12 * 130 * 8 / (MT * 1e6 * lanes * 128)
 *                             = 130e6 / (16 * MT * lanes).
 * Saturates at SIM_TIME_MAX; 0 for an invalid link. */
sim_time_t pcie_wire_time(pcie_link_t link, size_t len)
{
    if (!link_valid(link))
        return 0;
    uint64_t tlps = (uint64_t)len / TLP_MAX_PAYLOAD + (len % TLP_MAX_PAYLOAD != 0);
    if (tlps * TLP_OVERHEAD > UINT64_MAX - len)
        return SIM_TIME_MAX;
    uint64_t bytes = (uint64_t)len + tlps * TLP_OVERHEAD;
    uint64_t num = link.gen <= 2 ? UINT64_C(10000000) : UINT64_C(130000000);
    uint64_t den = (uint64_t)gen_mts[link.gen] * link.lanes * (link.gen <= 2 ? 1 : 16);
    uint64_t q = bytes / den, r = bytes % den;
    if (q > (UINT64_MAX - num) / num)
        return SIM_TIME_MAX;
    return q * num + (r * num + den - 1) / den;
}

/* ---------------------------------------------------------------- DMA */

/* Append n bytes to d's write-data ring, growing it to a power of two. */
static void dbuf_put(pcie_dev_t *d, const uint8_t *src, size_t n)
{
    size_t used = (size_t)(d->dtail - d->dhead);
    if (d->dcap - used < n) {
        size_t cap = d->dcap ? d->dcap : 4096;
        while (cap - used < n)
            cap *= 2;
        uint8_t *b = sim_xreallocarray(NULL, cap, 1);
        for (size_t i = 0; i < used; i++)
            b[i] = d->dbuf[(d->dhead + i) & (d->dcap - 1)];
        free(d->dbuf);
        d->dbuf = b;
        d->dcap = cap;
        d->dhead = 0;
        d->dtail = used;
    }
    size_t off = (size_t)(d->dtail & (d->dcap - 1)), first = d->dcap - off < n ? d->dcap - off : n;
    memcpy(d->dbuf + off, src, first);
    memcpy(d->dbuf, src + first, n - first);
    d->dtail += n;
}

/* Move the ring's next n bytes to memory at pa. */
static void dbuf_land(pcie_dev_t *d, uint64_t pa, size_t n)
{
    size_t off = (size_t)(d->dhead & (d->dcap - 1)), first = d->dcap - off < n ? d->dcap - off : n;
    mem_write(d->bus->mem, pa, d->dbuf + off, first);
    if (n > first)
        mem_write(d->bus->mem, pa + first, d->dbuf, n - first);
    d->dhead += n;
}

/* The device whose oldest pending DMA write is due first, if due by now. */
static pcie_dev_t *next_due(pcie_t *bus, sim_time_t now)
{
    pcie_dev_t *best = NULL;
    for (size_t i = 0; i < bus->nmap; i++) {
        pcie_dev_t *d = bus->map[i];
        if (d->dq.n && d->dq.e[d->dq.head].due <= now &&
            (!best || d->dq.e[d->dq.head].due < best->dq.e[best->dq.head].due))
            best = d;
    }
    return best;
}

/* Land every DMA write due by now, oldest first across devices, and
 * recompute the earliest due of those left. */
static void dmaw_land_due(pcie_t *bus)
{
    sim_time_t now = sim_now(bus->sim);
    for (pcie_dev_t *d; bus->dq_pending && (d = next_due(bus, now));) {
        pending_t p = fifo_pop(&d->dq);
        dbuf_land(d, p.off, (size_t)p.val);
        bus->dq_pending--;
    }
    bus->dq_next = SIM_TIME_MAX;
    for (size_t i = 0; i < bus->nmap && bus->dq_pending; i++) {
        const fifo_t *q = &bus->map[i]->dq;
        if (q->n && q->e[q->head].due < bus->dq_next)
            bus->dq_next = q->e[q->head].due;
    }
}

/* mem read hook: nobody sees memory without the writes due by now.  The
 * common case, nothing due yet, is one comparison. */
static void dmaw_sync(void *arg)
{
    pcie_t *bus = arg;
    if (bus->dq_next <= sim_now(bus->sim))
        dmaw_land_due(bus);
}

static void dmaw_arm(pcie_dev_t *d);

/* Fallback: d's tail was due; land what is due and wait for the new tail. */
static void dmaw_fire(sim_t *sim, void *arg, uint64_t data)
{
    (void)sim;
    (void)data;
    pcie_dev_t *d = arg;
    d->dq.ev = 0;
    dmaw_land_due(d->bus);
    dmaw_arm(d);
}

static void dmaw_arm(pcie_dev_t *d)
{
    if (!d->dq.n || d->dq.ev)
        return;
    sim_t *sim = d->bus->sim;
    sim_time_t tail = d->dq.e[(d->dq.head + d->dq.n - 1) & (d->dq.cap - 1)].due;
    d->dq.ev = sim_at(sim, tail > sim_now(sim) ? tail : sim_now(sim), dmaw_fire, d, 0);
}

/* Wire time on d's link, from the rate cached at attach (exact: every
 * valid link's ps per byte is a dyadic fraction, see link_fp()). */
static sim_time_t dev_wire_time(const pcie_dev_t *d, size_t len)
{
    uint64_t tlps = (uint64_t)len / TLP_MAX_PAYLOAD + (len % TLP_MAX_PAYLOAD != 0);
    __extension__ unsigned __int128 ps =
        (unsigned __int128)((uint64_t)len + tlps * TLP_OVERHEAD) * d->ps_per_byte_fp;
    return (sim_time_t)((ps + UINT32_MAX) >> 32);
}

static seg_t *seg_slot(pcie_t *bus, size_t i)
{
    if (i == bus->segcap) {
        bus->segcap = bus->segcap ? 2 * bus->segcap : 16;
        bus->seg = sim_xreallocarray(bus->seg, bus->segcap, sizeof *bus->seg);
    }
    return &bus->seg[i];
}

/* Translate [addr, addr + len) page by page into bus->seg (all-or-nothing
 * check before any byte moves); *cost accumulates lookup latency. */
static pcie_dma_status_t dma_translate(pcie_dev_t *d, uint32_t pasid, uint64_t addr, size_t len,
                                       bool write, size_t *nseg, sim_time_t *cost)
{
    pcie_t *bus = d->bus;
    uint64_t msize = mem_size(bus->mem);
    size_t n = 0;
    while (len) {
        uint64_t pa, page_end;
        sim_time_t c = 0;
        if (iommu_translate(bus->iommu, d->rid, pasid, addr, write, &pa, &page_end, &c) != IOMMU_OK) {
            *cost += c;
            return PCIE_DMA_FAULT;
        }
        *cost += c;
        assert(page_end != addr && "dma_translate: empty page");
        uint64_t room = page_end - addr; /* modular: page_end 0 = 2^64 */
        size_t chunk = room < len ? (size_t)room : len;
        if (pa > msize || chunk > msize - pa)
            return PCIE_DMA_NO_MEMORY;
        *seg_slot(bus, n++) = (seg_t){ pa, chunk };
        addr += chunk;
        len -= chunk;
    }
    *nseg = n;
    return PCIE_DMA_OK;
}

/* Check and translate [addr, addr + len) into bus->seg: pass-through is
 * one segment; otherwise page by page through the IOMMU. */
static pcie_dma_status_t dma_segments(pcie_dev_t *d, uint32_t pasid, uint64_t addr, size_t len,
                                      bool write, size_t *nseg, sim_time_t *cost)
{
    pcie_t *bus = d->bus;
    if (bus->iommu)
        return dma_translate(d, pasid, addr, len, write, nseg, cost);
    uint64_t msize = mem_size(bus->mem);
    if (addr > msize || len > msize - addr)
        return PCIE_DMA_NO_MEMORY;
    *seg_slot(bus, 0) = (seg_t){addr, len};
    *nseg = 1;
    return PCIE_DMA_OK;
}

/* Read: the bytes are taken now.  Write: they are staged to land at the
 * write's completion time `due`. */
static void dma_move(pcie_dev_t *d, uint8_t *buf, size_t nseg, bool write, sim_time_t due)
{
    pcie_t *bus = d->bus;
    for (size_t i = 0; i < nseg; i++) {
        const seg_t *g = &bus->seg[i];
        if (write) {
            fifo_push(&d->dq, (pending_t){.due = due, .off = g->pa, .val = g->len});
            dbuf_put(d, buf, g->len);
            bus->dq_pending++;
            if (due < bus->dq_next)
                bus->dq_next = due;
        } else {
            mem_read(bus->mem, g->pa, buf, g->len);
        }
        buf += g->len;
    }
    if (write)
        dmaw_arm(d);
}

static pcie_dma_status_t dma(pcie_dev_t *d, uint32_t pasid, uint64_t addr, uint8_t *buf,
                             size_t len, bool write, sim_time_t *done)
{
    pcie_t *bus = d->bus;
    assert(d->link.gen && "dma: a platform range cannot master DMA");
    sim_time_t *busy = &d->busy[write ? DIR_TO_MEM : DIR_TO_DEV];
    sim_time_t now = sim_now(bus->sim);
    sim_time_t start = *busy > now ? *busy : now;
    sim_time_t cost = cost_ps(bus->costs, COST_PCIE_DMA);
    size_t nseg = 0;
    pcie_dma_status_t s = dma_segments(d, pasid, addr, len, write, &nseg, &cost);
    if (s != PCIE_DMA_OK) {
        bus->st.dma_faults++;
        if (done)
            *done = start + cost;
        return s;
    }
    sim_time_t wire = dev_wire_time(d, len);
    sim_time_t end = start + cost + wire;
    *busy = start + wire;
    if (write) {
        end = fifo_due(&d->dq, end, 0); /* in order after earlier writes */
        bus->st.dma_writes++;
        bus->st.dma_write_bytes += len;
    } else {
        bus->st.dma_reads++;
        bus->st.dma_read_bytes += len;
    }
    dma_move(d, buf, nseg, write, end);
    if (done)
        *done = end;
    return PCIE_DMA_OK;
}

pcie_dma_status_t pcie_dma_read(pcie_dev_t *d, uint32_t pasid, uint64_t addr, void *buf,
                                size_t len, sim_time_t *done)
{
    return dma(d, pasid, addr, buf, len, false, done);
}

pcie_dma_status_t pcie_dma_write(pcie_dev_t *d, uint32_t pasid, uint64_t addr, const void *buf,
                                 size_t len, sim_time_t *done)
{
    /* dma() only reads from buf when write is true. */
    return dma(d, pasid, addr, (uint8_t *)(uintptr_t)buf, len, true, done);
}

/* ---------------------------------------------------------------- setup */

pcie_t *pcie_create(sim_t *sim, struct mem *mem, struct iommu *iommu,
                    const struct cost_table *costs, irq_sink_t sink)
{
    if (!sim || !mem || !costs || !sink.deliver)
        return NULL;
    pcie_t *bus = calloc(1, sizeof *bus);
    if (!bus)
        return NULL;
    bus->sim = sim;
    bus->mem = mem;
    bus->iommu = iommu;
    bus->costs = costs;
    bus->sink = sink;
    bus->dq_next = SIM_TIME_MAX;
    mem_set_read_hook(mem, dmaw_sync, bus);
    return bus;
}

static void dev_free(pcie_dev_t *d)
{
    fifo_free(&d->wq, d->bus->sim);
    fifo_free(&d->dq, d->bus->sim);
    free(d->dbuf);
    free(d->msix);
    free(d);
}

void pcie_destroy(pcie_t *bus)
{
    if (!bus)
        return;
    mem_set_read_hook(bus->mem, NULL, NULL);
    for (size_t i = 0; i < bus->nmap; i++)
        dev_free(bus->map[i]);
    fifo_free(&bus->msi, bus->sim);
    free(bus->map);
    free(bus->seg);
    free(bus);
}

/* Insert d keeping the map sorted; -1 if it overlaps a mapped range. */
static int map_insert(pcie_t *bus, pcie_dev_t *d)
{
    size_t i = 0;
    while (i < bus->nmap && bus->map[i]->base < d->base)
        i++;
    if (i > 0 && bus->map[i - 1]->last >= d->base)
        return -1;
    if (i < bus->nmap && d->last >= bus->map[i]->base)
        return -1;
    if (bus->nmap == bus->capmap) {
        bus->capmap = bus->capmap ? 2 * bus->capmap : 8;
        bus->map = sim_xreallocarray(bus->map, bus->capmap, sizeof *bus->map);
    }
    memmove(&bus->map[i + 1], &bus->map[i], (bus->nmap - i) * sizeof *bus->map);
    bus->map[i] = d;
    bus->nmap++;
    return 0;
}

static pcie_dev_t *dev_new(pcie_t *bus, uint64_t base, uint64_t size, const pcie_ops_t *ops,
                           void *dev)
{
    if (!size || size - 1 > UINT64_MAX - base || !ops || !ops->mmio_read || !ops->mmio_write)
        return NULL;
    pcie_dev_t *d = sim_xcalloc(1, sizeof *d);
    d->bus = bus;
    d->base = base;
    d->last = base + (size - 1);
    d->ops = ops;
    d->dev = dev;
    return d;
}

/* Table and PBA, every entry masked (PCI LB 3.0, 6.8.2.9: mask is 1 after
 * reset); -1 if they do not fit in the BAR or the offset is misaligned. */
static int msix_init(pcie_dev_t *d, uint64_t bar_size, unsigned n, uint64_t off)
{
    if (!n)
        return 0;
    uint64_t len = (uint64_t)n * MSIX_ENTRY + ((n + 63) / 64) * 8;
    if (n > MSIX_MAX_VECTORS || off % 8 || off > bar_size || len > bar_size - off)
        return -1;
    d->msix_n = n;
    d->msix_off = off;
    d->msix_len = len;
    d->msix = sim_xcalloc(1, (size_t)len);
    for (unsigned v = 0; v < n; v++)
        msix_entry(d, v)[12] = MSIX_CTRL_MASK;
    return 0;
}

pcie_dev_t *pcie_attach(pcie_t *bus, const char *name, uint16_t rid, uint64_t bar,
                        uint64_t bar_size, const pcie_ops_t *ops, void *dev, pcie_link_t link,
                        unsigned msix_vectors, uint64_t msix_off)
{
    if (!link_valid(link))
        return NULL;
    pcie_dev_t *d = dev_new(bus, bar, bar_size, ops, dev);
    if (!d)
        return NULL;
    snprintf(d->name, sizeof d->name, "%s", name ? name : "?");
    d->rid = rid;
    d->link = link;
    d->ps_per_byte_fp = link_fp(link);
    if (msix_init(d, bar_size, msix_vectors, msix_off) < 0 || map_insert(bus, d) < 0) {
        dev_free(d);
        return NULL;
    }
    return d;
}

int pcie_map_mmio(pcie_t *bus, uint64_t base, uint64_t size, const pcie_ops_t *ops, void *dev)
{
    pcie_dev_t *d = dev_new(bus, base, size, ops, dev);
    if (!d)
        return -1;
    snprintf(d->name, sizeof d->name, "platform");
    if (map_insert(bus, d) < 0) {
        dev_free(d);
        return -1;
    }
    return 0;
}

sim_t *pcie_sim(const pcie_t *bus) { return bus->sim; }

const pcie_stats_t *pcie_stats(const pcie_t *bus) { return &bus->st; }
