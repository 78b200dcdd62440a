/* sim/tlrec_dev: the recorder attached to a machine (sim/tlrec.h): its
 * cores, and the observers of its devices turned into instants and
 * counters on the tracks sim/tlrec.c laid out.
 *
 *   NIC   rx frame   instant rx_frame (arg: queue) on "nic rxq N", and
 *                    the ring's fill on "nic rxq N fill";
 *         drop       instant drop (arg: queue << 8 | nic_drop_t), fill;
 *         RDT write  instant doorbell (arg: queue), fill;
 *         TDT write  instant doorbell on "nic txq N", "nic txq N fill";
 *         tx frame   instant tx_frame (arg: queue) on "nic txq N";
 *         tx done    "nic txq N fill".
 *   IOMMU fault      instant iommu_fault (arg: requester id) on "iommu".
 *   NVMe  SQ tail    instant doorbell (arg: qid) on "nvme q N", depth;
 *         CQE        instant nvme_cqe (arg: qid), "nvme sq N depth".
 * Events of queues without a track (beyond the configured counts, the
 * NVMe admin queue) are not recorded. */
#include "sim/tlrec_int.h"

#include "devices/iommu.h"
#include "devices/nic.h"
#include "devices/nvme.h"
#include "sim/machine.h"

static void on_nic(void *ctx, const nic_event_t *e)
{
    tlrec_t *r = ctx;
    unsigned q = e->queue;
    if (q >= r->nic_queues)
        return;
    uint32_t rx = r->nic_base + 4 * q, tx = rx + 2;
    switch (e->kind) {
    case NIC_EV_RX:
        tlr_instant(r, rx, TL_INST_RX_FRAME, q);
        tlr_counter(r, rx + 1, e->fill);
        break;
    case NIC_EV_DROP:
        tlr_instant(r, rx, TL_INST_DROP, (uint64_t)q << 8 | e->arg);
        tlr_counter(r, rx + 1, e->fill);
        break;
    case NIC_EV_RX_TAIL:
        tlr_instant(r, rx, TL_INST_DOORBELL, q);
        tlr_counter(r, rx + 1, e->fill);
        break;
    case NIC_EV_TX_TAIL:
        tlr_instant(r, tx, TL_INST_DOORBELL, q);
        tlr_counter(r, tx + 1, e->fill);
        break;
    case NIC_EV_TX:
        tlr_instant(r, tx, TL_INST_TX_FRAME, q);
        break;
    case NIC_EV_TX_DONE:
        tlr_counter(r, tx + 1, e->fill);
        break;
    case NIC_EV_KINDS:
        break;
    }
}

static void on_nvme(void *ctx, nvme_event_kind_t kind, unsigned qid, unsigned depth)
{
    tlrec_t *r = ctx;
    if (qid < 1 || qid > r->nvme_queues)
        return;
    uint32_t t = r->nvme_base + 2 * (qid - 1);
    tlr_instant(r, t, kind == NVME_EV_CQE ? TL_INST_NVME_CQE : TL_INST_DOORBELL, qid);
    tlr_counter(r, t + 1, depth);
}

static void on_iommu(void *ctx, uint16_t rid, uint32_t pasid, iommu_fault_t kind)
{
    (void)pasid;
    (void)kind;
    tlrec_t *r = ctx;
    if (r->iommu_track != TLR_NONE)
        tlr_instant(r, r->iommu_track, TL_INST_IOMMU_FAULT, rid);
}

void tlrec_attach_machine(tlrec_t *r, machine_t *m)
{
    tlrec_attach_cores(r, m->cores, m->cfg.cores);
    r->m = m;
    if (m->nic)
        nic_set_observer(m->nic, on_nic, r);
    if (m->nvme)
        nvme_set_observer(m->nvme, on_nvme, r);
    if (m->iommu)
        iommu_set_observer(m->iommu, on_iommu, r);
}

void tlrec_detach_devices(tlrec_t *r)
{
    machine_t *m = r->m;
    if (!m)
        return;
    if (m->nic)
        nic_set_observer(m->nic, NULL, NULL);
    if (m->nvme)
        nvme_set_observer(m->nvme, NULL, NULL);
    if (m->iommu)
        iommu_set_observer(m->iommu, NULL, NULL);
    r->m = NULL;
}
