/* devices/nic/nic.c: creation, reset and statistics of the NIC (see
 * devices/nic.h and nic_int.h).
 *
 * Creation validates the config (queues 1..128, a supported link rate,
 * 64 <= max_frame <= NIC_MAX_FRAME_LIMIT, 1..64 MSI-X vectors), allocates
 * the queue and filter tables, attaches the function to the bus and puts
 * every register in its reset state.  Reset (nic_create, or CTRL.RST
 * written by the driver: 82599 4.2.1.x "software reset") returns queues,
 * RSS, filters and interrupt state to their initial values; statistics
 * survive a reset (they are the simulator's, not the device's). */
#include "devices/nic/nic_int.h"

#include <stdlib.h>
#include <string.h>

#include "devices/iommu.h"
#include "model/cost.h"

#define DEFAULT_MAX_FRAME 1518u
#define DEFAULT_PCIE_GEN 3u   /* Gen3 x8: ~63 Gb/s each way, enough for 40 GbE */
#define DEFAULT_PCIE_LANES 8u

static const pcie_ops_t nic_ops = {
    .mmio_read = nic_mmio_read,
    .mmio_write = nic_mmio_write,
};

static int check_cfg(nic_cfg_t *c)
{
    if (c->queues < 1 || c->queues > NIC_MAX_QUEUES)
        return -1;
    if (!nic_wire_time(c->link_gbps, 0))
        return -1;
    if (!c->max_frame)
        c->max_frame = DEFAULT_MAX_FRAME;
    if (c->max_frame < NIC_MIN_FRAME || c->max_frame > NIC_MAX_FRAME_LIMIT)
        return -1;
    if (!c->msix_vectors)
        c->msix_vectors = c->queues + 1 < NIC_MAX_VECTORS ? c->queues + 1 : NIC_MAX_VECTORS;
    if (c->msix_vectors > NIC_MAX_VECTORS)
        return -1;
    if (!c->pcie.gen && !c->pcie.lanes) {
        c->pcie.gen = DEFAULT_PCIE_GEN;
        c->pcie.lanes = DEFAULT_PCIE_LANES;
    }
    return 0;
}

static int alloc_tables(nic_t *n)
{
    n->rxq = calloc(n->cfg.queues, sizeof *n->rxq);
    n->txq = calloc(n->cfg.queues, sizeof *n->txq);
    n->qstats = calloc(n->cfg.queues, sizeof *n->qstats);
    n->txbuf = calloc(1, NIC_MAX_FRAME_LIMIT);
    n->rss_tab = calloc(36, sizeof *n->rss_tab);
    if (!n->rxq || !n->txq || !n->qstats || !n->txbuf || !n->rss_tab)
        return -1;
    return nic_fdir_init(&n->fdir);
}

nic_t *nic_create(sim_t *sim, pcie_t *bus, const struct cost_table *costs, const nic_cfg_t *cfg)
{
    if (!sim || !bus || !cfg)
        return NULL;
    nic_t *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->sim = sim;
    n->bus = bus;
    n->costs = costs;
    n->cfg = *cfg;
    if (check_cfg(&n->cfg) || alloc_tables(n) || nic_link_init(n))
        goto err;
    n->nvec = n->cfg.msix_vectors;
    if (costs) {
        n->msix_lat = cost_ps(costs, COST_PCIE_MSIX);
        n->rx_pb_drain += cost_ps(costs, COST_PCIE_DMA);
    }
    n->dev = pcie_attach(bus, "nic", n->cfg.rid, n->cfg.bar, NIC_BAR_SIZE, &nic_ops, n,
                         n->cfg.pcie, n->nvec, NIC_MSIX_OFF);
    if (!n->dev)
        goto err;
    nic_reset(n);
    return n;
err:
    nic_destroy(n);
    return NULL;
}

void nic_destroy(nic_t *n)
{
    if (!n)
        return;
    if (n->txq && n->dev) {
        for (unsigned q = 0; q < n->cfg.queues; q++)
            nic_tx_reset(n, &n->txq[q]); /* cancels pending events */
    }
    if (n->dev)
        nic_irq_reset(n);
    nic_fdir_destroy(&n->fdir);
    free(n->rxq);
    free(n->txq);
    free(n->qstats);
    free(n->txbuf);
    free(n->rss_tab);
    free(n);
}

void nic_reset(nic_t *n)
{
    n->ctrl = n->ctrl_ext = n->gpie = n->ivar_misc = n->mrqc = 0;
    n->maxfrs = n->cfg.max_frame << 16;
    memset(n->plain, 0, sizeof n->plain);
    memset(n->ivar, 0, sizeof n->ivar);
    memset(n->rss_key, 0, sizeof n->rss_key);
    memset(n->reta, 0, sizeof n->reta);
    n->rss_table_stale = true;
    nic_irq_reset(n);
    nic_fdir_reset(&n->fdir);
    for (unsigned q = 0; q < n->cfg.queues; q++) {
        nic_rx_reset(&n->rxq[q]);
        nic_tx_reset(n, &n->txq[q]);
    }
}

void nic_set_wire_tx(nic_t *n, nic_wire_tx_fn fn, void *ctx)
{
    n->wire_tx = fn;
    n->wire_tx_ctx = ctx;
}

void nic_set_observer(nic_t *n, nic_observer_fn fn, void *ctx)
{
    n->obs = fn;
    n->obs_ctx = fn ? ctx : NULL;
}

static uint32_t ring_dist(uint32_t from, uint32_t to, uint32_t size)
{
    return to >= from ? to - from : to + size - from;
}

void nic_observe_emit(nic_t *n, nic_event_kind_t kind, unsigned q, uint32_t arg)
{
    nic_event_t e = {.kind = kind, .queue = q, .arg = arg};
    bool rx = kind == NIC_EV_RX || kind == NIC_EV_DROP || kind == NIC_EV_RX_TAIL;
    if (q < n->cfg.queues && rx && n->rxq[q].enabled) {
        const nic_rxq_t *r = &n->rxq[q];
        e.size = r->size;
        e.fill = r->size - 1 - ring_dist(r->head, r->tail, r->size);
    } else if (q < n->cfg.queues && !rx && n->txq[q].enabled) {
        const nic_txq_t *t = &n->txq[q];
        e.size = t->size;
        e.fill = ring_dist(t->head, t->tail, t->size);
    }
    n->obs(n->obs_ctx, &e);
}

const nic_queue_stats_t *nic_queue_stats(const nic_t *n, unsigned q)
{
    return q < n->cfg.queues ? &n->qstats[q] : NULL;
}

const nic_stats_t *nic_stats(const nic_t *n)
{
    return &n->stats;
}

const char *nic_drop_name(nic_drop_t d)
{
    static const char *const names[NIC_DROP_KINDS] = {
        [NIC_DROP_NO_DESC] = "no_descriptor",
        [NIC_DROP_IOMMU] = "iommu_fault",
        [NIC_DROP_OVERSIZE] = "oversize",
        [NIC_DROP_FILTER] = "filter_drop",
        [NIC_DROP_OVERRUN] = "rx_buffer_overrun",
    };
    return (unsigned)d < NIC_DROP_KINDS ? names[d] : "unknown";
}

pcie_dma_status_t nic_ring_fetch(nic_t *n, unsigned q, uint64_t base, uint32_t size,
                                 uint32_t from, uint32_t count, uint8_t *buf, sim_time_t *done)
{
    uint32_t first = size - from < count ? size - from : count;
    sim_time_t d1 = 0, d2 = 0;
    uint32_t pasid = nic_pasid(n, q);
    pcie_dma_status_t st = pcie_dma_read(n->dev, pasid, base + (uint64_t)from * DESC_BYTES, buf,
                                         (size_t)first * DESC_BYTES, &d1);
    if (st == PCIE_DMA_OK && count > first) /* wrapped: the rest from the ring start */
        st = pcie_dma_read(n->dev, pasid, base, buf + (size_t)first * DESC_BYTES,
                           (size_t)(count - first) * DESC_BYTES, &d2);
    *done = tmax(d1, d2);
    if (st != PCIE_DMA_OK)
        n->stats.desc_fetch_faults++;
    return st;
}
