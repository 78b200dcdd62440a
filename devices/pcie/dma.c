/* devices/pcie/dma.c: link rates, DMA timing and the landing of DMA
 * writes (contract in devices/pcie.h; shared state in pcie_int.h).
 *
 * DMA.  A DMA read takes its bytes from memory at call time; a DMA
 * write's bytes become visible in memory when the write completes (so a
 * polling CPU cannot see a descriptor write-back or a completion entry
 * before the device's write has landed).  *done is when the transfer
 * completes:
 *   start = max(now, busy[dir]),
 *   done  = start + pcie.dma + sum of IOMMU lookup costs + wire(len),
 *   busy[dir] = start + wire(len)   (only on success),
 * where dir is the data's direction (a DMA read's data flows to the
 * device, a write's to memory), and wire(len) carries len bytes plus 24 B
 * per TLP of up to 256 B at the link's rate (see pcie_wire_time).  A
 * write's done is never before the previous write's of the same device:
 * posted writes land in order (PCIe Base Spec 2.4.1).  The link is
 * occupied for the wire time only: latency and page walks overlap with
 * other transfers, as outstanding tags allow on real links; read request
 * TLPs are not charged to the upstream direction.  A DMA is all or
 * nothing: every page is translated and bounds-checked before any byte
 * moves.  A refused DMA (IOMMU fault or address outside memory) counts in
 * stats.dma_faults, leaves the link free and reports *done = start +
 * pcie.dma + lookup costs; dma_reads/writes and bytes count successes.
 *
 * Landing.  Pending write segments wait in a per-device FIFO (dq), their
 * bytes in a per-device byte ring (dbuf), in the same order.  They land
 * lazily but exactly: every memory read first lands all writes due by now,
 * in order of due time across devices (ties: the device first in the bus
 * map), through mem_set_read_hook; and one fallback event per device,
 * armed at its FIFO's tail, lands them when nobody reads -- one event per
 * burst of writes rather than per write.  Destroying the bus drops writes
 * still in flight.  The platform's DMA-write hook (pcie_set_dma_write_hook)
 * hears of each staged segment with its landing time.
 *
 * Speed (tests/bench/bench_nic: about three DMAs and two landings per
 * packet; bench_echo: four): a DMA within one page (or with no IOMMU) is
 * one segment, moved without the translation scratch array; the copies
 * into dbuf and into memory are inline for the small sizes descriptors
 * and frames have (devices/bytes.h, devices/mem.h's inline accessors);
 * memory reads call the landing hook only when the gate (dq_next <= now)
 * says a write is due; while one device alone has writes in flight (the
 * bus counts them: dq_devs, dq_one) landing pops its FIFO without
 * scanning the map. */
#include "devices/pcie/pcie_int.h"

#include "devices/bytes.h"
#include "devices/iommu.h"
#include "devices/mem.h"
#include "model/cost.h"

/* ---------------------------------------------------------------- links */

/* Transfer rate per lane in MT/s, by generation (PCIe Base Spec). */
static const unsigned gen_mts[] = { [1] = 2500, [2] = 5000, [3] = 8000, [4] = 16000, [5] = 32000 };

bool pcie_link_valid(pcie_link_t l)
{
    bool lanes_ok = l.lanes == 1 || l.lanes == 2 || l.lanes == 4 || l.lanes == 8 || l.lanes == 16;
    return l.gen >= 1 && l.gen <= 5 && lanes_ok;
}

/* ps per wire byte of a valid link in 32.32 fixed point: 8 bits at the
 * transfer rate with 8b/10b (10 bits per byte) or 128b/130b coding.  Every
 * valid rate divides evenly (lanes and Gen3+ rates are powers of two times
 * 125 MT/s), so this is exact and pcie_wire_time() agrees with it. */
uint64_t pcie_link_fp(pcie_link_t link)
{
    uint64_t num = link.gen <= 2 ? UINT64_C(10000000) : UINT64_C(130000000);
    uint64_t den = (uint64_t)gen_mts[link.gen] * link.lanes * (link.gen <= 2 ? 1 : 16);
    assert(((num << 32) % den) == 0 && "link_fp: rate not dyadic");
    return (num << 32) / den;
}

double pcie_link_bytes_per_s(pcie_link_t link)
{
    if (!pcie_link_valid(link))
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
    if (!pcie_link_valid(link))
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

/* Wire time on d's link, from the rate cached at attach (exact: every
 * valid link's ps per byte is a dyadic fraction, see pcie_link_fp()). */
static sim_time_t dev_wire_time(const pcie_dev_t *d, size_t len)
{
    uint64_t tlps = (uint64_t)len / TLP_MAX_PAYLOAD + (len % TLP_MAX_PAYLOAD != 0);
    __extension__ unsigned __int128 ps =
        (unsigned __int128)((uint64_t)len + tlps * TLP_OVERHEAD) * d->ps_per_byte_fp;
    return (sim_time_t)((ps + UINT32_MAX) >> 32);
}

/* ---------------------------------------------------------------- staging */

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
    bytes_copy(d->dbuf + off, src, first);
    if (n > first)
        bytes_copy(d->dbuf, src + first, n - first);
    d->dtail += n;
}

/* Move the ring's next n bytes to memory at pa. */
static inline void dbuf_land(pcie_dev_t *d, uint64_t pa, size_t n)
{
    size_t off = (size_t)(d->dhead & (d->dcap - 1)), first = d->dcap - off < n ? d->dcap - off : n;
    mem_write_inline(d->bus->mem, pa, d->dbuf + off, first);
    if (n > first)
        mem_write(d->bus->mem, pa + first, d->dbuf, n - first);
    d->dhead += n;
}

/* Queue one segment of a write to land at `due`. */
static void dmaw_stage(pcie_dev_t *d, uint64_t pa, const uint8_t *src, size_t len, sim_time_t due)
{
    pcie_t *bus = d->bus;
    if (!d->dq.n && bus->dq_devs++ == 0)
        bus->dq_one = d;
    else if (!d->dq.n)
        bus->dq_one = NULL;
    pending_t *p = fifo_push_slot(&d->dq);
    p->due = due;
    p->off = pa;
    p->val = len;
    dbuf_put(d, src, len);
    bus->dq_pending++;
    if (due < bus->dq_next)
        bus->dq_next = due;
    if (bus->dmaw_hook)
        bus->dmaw_hook(bus->dmaw_hook_ctx, pa, len, due);
}

void pcie_set_dma_write_hook(pcie_t *bus, void (*fn)(void *ctx, uint64_t pa, size_t len,
                                                     sim_time_t done), void *ctx)
{
    bus->dmaw_hook = fn;
    bus->dmaw_hook_ctx = fn ? ctx : NULL;
}

/* Land every DMA write due by now, oldest first across devices (ties: the
 * device first in the map), then recompute the earliest due left.  Each
 * round picks the device whose head is first and lands its writes while
 * they stay ahead of every other device's head: with one device writing
 * (the usual case), one scan of the map per call. */
static void dmaw_land_due(pcie_t *bus)
{
    sim_time_t now = sim_now(bus->sim);
    if (bus->dq_devs == 1 && bus->dq_one) {
        /* One device writing (the usual case): what the rounds below do
         * with no runner-up, without scanning the map. */
        pcie_dev_t *d = bus->dq_one;
        fifo_t *q = &d->dq;
        while (q->n && q->e[q->head].due <= now) {
            pending_t p = fifo_pop(q);
            dbuf_land(d, p.off, (size_t)p.val);
            bus->dq_pending--;
        }
        bus->dq_next = q->n ? q->e[q->head].due : SIM_TIME_MAX;
        if (!q->n) {
            bus->dq_devs = 0;
            bus->dq_one = NULL;
        }
        return;
    }
    while (bus->dq_pending) {
        pcie_dev_t *best = NULL;
        sim_time_t best_due = 0, other = 0; /* other: the runner-up's head */
        size_t best_i = 0, other_i = 0;
        bool has_other = false;
        for (size_t i = 0; i < bus->nmap; i++) {
            const fifo_t *q = &bus->map[i]->dq;
            if (!q->n)
                continue;
            sim_time_t t = q->e[q->head].due;
            if (!best || t < best_due) {
                if (best) {
                    has_other = true;
                    other = best_due;
                    other_i = best_i;
                }
                best = bus->map[i];
                best_due = t;
                best_i = i;
            } else if (!has_other || t < other) { /* ties: the earlier index stays */
                has_other = true;
                other = t;
                other_i = i;
            }
        }
        if (!best || best_due > now)
            break;
        fifo_t *q = &best->dq;
        for (;;) {
            pending_t p = fifo_pop(q);
            dbuf_land(best, p.off, (size_t)p.val);
            bus->dq_pending--;
            if (!q->n)
                break;
            sim_time_t t = q->e[q->head].due;
            if (t > now || (has_other && (t > other || (t == other && other_i < best_i))))
                break;
        }
    }
    bus->dq_next = SIM_TIME_MAX;
    bus->dq_devs = 0;
    bus->dq_one = NULL;
    for (size_t i = 0; i < bus->nmap && bus->dq_pending; i++) {
        const fifo_t *q = &bus->map[i]->dq;
        if (!q->n)
            continue;
        if (q->e[q->head].due < bus->dq_next)
            bus->dq_next = q->e[q->head].due;
        if (bus->dq_devs++ == 0)
            bus->dq_one = bus->map[i];
    }
    if (bus->dq_devs != 1)
        bus->dq_one = NULL;
}

/* mem read hook: nobody sees memory without the writes due by now.  The
 * common case, nothing due yet, is one comparison. */
void pcie_dmaw_sync(void *arg)
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
    sim_time_t tail = fifo_tail_due(&d->dq);
    d->dq.ev = sim_at(sim, tail > sim_now(sim) ? tail : sim_now(sim), dmaw_fire, d, 0);
}

void pcie_dmaw_free(pcie_dev_t *d)
{
    fifo_free(&d->dq, d->bus->sim);
    free(d->dbuf);
}

/* ---------------------------------------------------------------- DMA */

static seg_t *seg_slot(pcie_t *bus, size_t i)
{
    if (i == bus->segcap) {
        bus->segcap = bus->segcap ? 2 * bus->segcap : 16;
        bus->seg = sim_xreallocarray(bus->seg, bus->segcap, sizeof *bus->seg);
    }
    return &bus->seg[i];
}

/* One page's translation, as iommu_translate gave it. */
typedef struct xlate {
    iommu_fault_t f;
    uint64_t pa, page_end;
    sim_time_t c;
} xlate_t;

static void xlate(pcie_dev_t *d, uint32_t pasid, uint64_t addr, bool write, xlate_t *x)
{
    x->c = 0;
    x->f = iommu_translate(d->bus->iommu, d->rid, pasid, addr, write, &x->pa, &x->page_end, &x->c);
}

/* Translate [addr, addr + len) page by page into bus->seg (all-or-nothing
 * check before any byte moves); *cost accumulates lookup latency.  The
 * first page's translation is `first` (done by the caller). */
static pcie_dma_status_t dma_translate(pcie_dev_t *d, uint32_t pasid, uint64_t addr, size_t len,
                                       bool write, const xlate_t *first, size_t *nseg,
                                       sim_time_t *cost)
{
    pcie_t *bus = d->bus;
    uint64_t msize = bus->msize;
    size_t n = 0;
    while (len) {
        xlate_t x;
        if (n == 0)
            x = *first;
        else
            xlate(d, pasid, addr, write, &x);
        *cost += x.c;
        if (x.f != IOMMU_OK)
            return PCIE_DMA_FAULT;
        assert(x.page_end != addr && "dma_translate: empty page");
        uint64_t room = x.page_end - addr; /* modular: page_end 0 = 2^64 */
        size_t chunk = room < len ? (size_t)room : len;
        if (x.pa > msize || chunk > msize - x.pa)
            return PCIE_DMA_NO_MEMORY;
        *seg_slot(bus, n++) = (seg_t){ x.pa, chunk };
        addr += chunk;
        len -= chunk;
    }
    *nseg = n;
    return PCIE_DMA_OK;
}

/* Move the data of a checked DMA: the segments in seg[0..nseg).  Read:
 * the bytes are taken now.  Write: they are staged to land at `due`. */
static void dma_move(pcie_dev_t *d, const seg_t *seg, size_t nseg, uint8_t *buf, bool write,
                     sim_time_t due)
{
    for (size_t i = 0; i < nseg; i++) {
        if (write)
            dmaw_stage(d, seg[i].pa, buf, seg[i].len, due);
        else
            mem_read_inline(d->bus->mem, seg[i].pa, buf, seg[i].len);
        buf += seg[i].len;
    }
    if (write)
        dmaw_arm(d);
}

/* Check [addr, + len) and find its segments: the common DMA (one page,
 * or no IOMMU) is one segment, in *one, without the scratch array. */
static pcie_dma_status_t dma_check(pcie_dev_t *d, uint32_t pasid, uint64_t addr, size_t len,
                                   bool write, seg_t *one, const seg_t **seg, size_t *nseg,
                                   sim_time_t *cost)
{
    pcie_t *bus = d->bus;
    *seg = one;
    *nseg = 1;
    if (!bus->iommu) { /* pass-through */
        *one = (seg_t){ addr, len };
        return addr > bus->msize || len > bus->msize - addr ? PCIE_DMA_NO_MEMORY : PCIE_DMA_OK;
    }
    if (!len) {
        *nseg = 0;
        return PCIE_DMA_OK;
    }
    xlate_t x;
    xlate(d, pasid, addr, write, &x);
    if (x.f != IOMMU_OK || x.page_end - addr < len) { /* faulted, or several pages */
        pcie_dma_status_t st = dma_translate(d, pasid, addr, len, write, &x, nseg, cost);
        *seg = bus->seg; /* after: the scratch array may have grown */
        return st;
    }
    *cost += x.c;
    if (x.pa > bus->msize || len > bus->msize - x.pa)
        return PCIE_DMA_NO_MEMORY;
    *one = (seg_t){ x.pa, len };
    return PCIE_DMA_OK;
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
    seg_t one;
    const seg_t *seg;
    size_t nseg;
    pcie_dma_status_t s = dma_check(d, pasid, addr, len, write, &one, &seg, &nseg, &cost);
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
    dma_move(d, seg, nseg, buf, write, end);
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
