/* devices/pcie: the host bridge: MMIO routing, posted writes and MSI-X
 * (contract in devices/pcie.h).
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
 * DMA (timing, and writes that land at their completion time): see
 * devices/pcie/dma.c.  Private state shared with it: devices/pcie/pcie_int.h.
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
#include "devices/pcie/pcie_int.h"

#include <stdio.h>
#include <string.h>

#include "devices/le.h"
#include "devices/mem.h"
#include "model/cost.h"

#define MSIX_ENTRY 16u         /* bytes per table entry */
#define MSIX_MAX_VECTORS 2048u /* table size field is 11 bits */
#define MSIX_CTRL_MASK 1u      /* vector control bit 0 */

/* ---------------------------------------------------------------- fifo */

static void fifo_push(fifo_t *f, pending_t p) { *fifo_push_slot(f) = p; }

static void fifo_arm(fifo_t *f, sim_t *sim, sim_fn_t fn, void *arg)
{
    if (!f->n || f->ev)
        return;
    sim_time_t due = f->e[f->head].due;
    f->ev = sim_at(sim, due > sim_now(sim) ? due : sim_now(sim), fn, arg, 0);
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
    bus->msize = mem_size(mem);
    bus->iommu = iommu;
    bus->costs = costs;
    bus->sink = sink;
    bus->dq_next = SIM_TIME_MAX;
    mem_set_read_hook(mem, pcie_dmaw_sync, bus);
    mem_set_read_gate(mem, &bus->dq_next, sim_clock(sim));
    return bus;
}

static void dev_free(pcie_dev_t *d)
{
    fifo_free(&d->wq, d->bus->sim);
    pcie_dmaw_free(d);
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
    if (!pcie_link_valid(link))
        return NULL;
    pcie_dev_t *d = dev_new(bus, bar, bar_size, ops, dev);
    if (!d)
        return NULL;
    snprintf(d->name, sizeof d->name, "%s", name ? name : "?");
    d->rid = rid;
    d->link = link;
    d->ps_per_byte_fp = pcie_link_fp(link);
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
