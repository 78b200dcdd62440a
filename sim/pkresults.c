/* sim/pkresults: results.json of a parakernel experiment (pkrun.h):
 * requests and latency at the client (pkwire.c), cores with their
 * processes, each process's kernel counters, runtime and application
 * figures (its own report, workloads/report.h), kernel-wide mediation
 * cost, and the devices' counters. */
#include "sim/pkrun_int.h"

#include "devices/iommu.h"
#include "devices/nic.h"
#include "devices/nvme.h"
#include "devices/pcie.h"
#include "sim/results.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- results */

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

static double ns(uint64_t ps)
{
    return (double)ps / 1000.0;
}

/* The application's own figures under "report", dotted keys nested. */
static void report_json(pkrun_t *r, unsigned pid, cJSON *proc)
{
    static wl_report_t rep; /* large: not on the stack */
    proc_app_report(r->rt, pid, &rep);
    if (!rep.n && !rep.dropped)
        return;
    cJSON *root = cJSON_AddObjectToObject(proc, "report");
    for (size_t i = 0; i < rep.n; i++) {
        const wl_report_entry_t *e = &rep.e[i];
        char key[WL_REPORT_KEY];
        snprintf(key, sizeof key, "%s", e->key);
        cJSON *o = root;
        char *part = key, *dot;
        while ((dot = strchr(part, '.'))) {
            *dot = '\0';
            cJSON *sub = cJSON_GetObjectItemCaseSensitive(o, part);
            o = cJSON_IsObject(sub) ? sub : cJSON_AddObjectToObject(o, part);
            part = dot + 1;
        }
        switch (e->kind) {
        case WL_REPORT_U64: add_u64(o, part, e->u64); break;
        case WL_REPORT_NUM: cJSON_AddNumberToObject(o, part, e->num); break;
        case WL_REPORT_STR: cJSON_AddStringToObject(o, part, e->str); break;
        case WL_REPORT_HIST: cJSON_AddItemToObject(o, part, results_latency_json(e->hist)); break;
        }
    }
    if (rep.dropped)
        add_u64(root, "entries_dropped", rep.dropped);
}

static cJSON *proc_json(pkrun_t *r, unsigned pid)
{
    const k_plan_proc_t *kp = &r->plan.procs[pid];
    const k_proc_stats_t *ks = k_proc_stats(pid);
    const proc_stats_t *ps = proc_stats(r->rt, pid);
    wl_app_stats_t as;
    proc_app_stats(r->rt, pid, &as);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", kp->name);
    cJSON_AddStringToObject(o, "app", r->procs[pid].app->name);
    add_u64(o, "core", kp->core);
    cJSON *mem = cJSON_AddObjectToObject(o, "memory");
    add_u64(mem, "base", kp->mem_base);
    add_u64(mem, "bytes", kp->mem_size);
    add_u64(o, "nic_queues", kp->nic_queues);
    add_u64(o, "nvme_queues", kp->nvme_queues);
    cJSON *a = cJSON_AddObjectToObject(o, "app_stats");
    add_u64(a, "rx_frames", as.rx_frames);
    add_u64(a, "tx_frames", as.tx_frames);
    add_u64(a, "requests", as.requests);
    add_u64(a, "faults", as.faults);
    report_json(r, pid, o);
    cJSON *k = cJSON_AddObjectToObject(o, "kernel");
    add_u64(k, "syscalls", ks->syscalls);
    add_u64(k, "sqes", ks->sqes);
    add_u64(k, "cqes", ks->cqes);
    add_u64(k, "descriptors_written", ks->descs_written);
    add_u64(k, "doorbells", ks->doorbells);
    add_u64(k, "mediated", ks->mediated);
    add_u64(k, "batches", ks->batches);
    cJSON_AddNumberToObject(k, "mediation_ns", ns(ks->mediation_ps));
    add_u64(k, "timers_fired", ks->timers_fired);
    add_u64(k, "waits", ks->waits);
    cJSON *errs = cJSON_AddObjectToObject(k, "refused");
    for (int e = 1; e < PK_ERR_COUNT; e++)
        if (ks->errors[e])
            add_u64(errs, pk_err_name(e), ks->errors[e]);
    cJSON *rt = cJSON_AddObjectToObject(o, "runtime");
    cJSON_AddStringToObject(rt, "state", proc_state_name(ps->state));
    add_u64(rt, "steps", ps->steps);
    add_u64(rt, "watch_wakes", ps->watch_wakes);
    add_u64(rt, "irq_wakes", ps->irq_wakes);
    cJSON_AddNumberToObject(rt, "poll_ns", ns(ps->poll_ps));
    add_u64(rt, "faults", ps->faults);
    return o;
}

/* Kernel-wide sums; mediation cost per mediated buffer and per batch. */
static cJSON *kernel_json(pkrun_t *r)
{
    uint64_t sys = 0, descs = 0, bells = 0, med = 0, med_ps = 0, batches = 0, refused = 0;
    uint64_t val_ps = 0, bell_ps = 0;
    for (unsigned i = 0; i < r->plan.nprocs; i++) {
        const k_proc_stats_t *s = k_proc_stats(i);
        sys += s->syscalls;
        descs += s->descs_written;
        bells += s->doorbells;
        med += s->mediated;
        med_ps += s->mediation_ps;
        val_ps += s->validate_ps;
        bell_ps += s->doorbell_ps;
        batches += s->batches;
        for (int e = 1; e < PK_ERR_COUNT; e++)
            refused += s->errors[e];
    }
    const k_stats_t *ks = k_stats();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "parakernel");
    cJSON_AddStringToObject(o, "mediation", r->plan.mediation == PK_MEDIATE_POOL ? "pool" : "range");
    add_u64(o, "syscalls", sys);
    add_u64(o, "descriptors_written", descs);
    add_u64(o, "doorbells", bells);
    add_u64(o, "mediated", med);
    add_u64(o, "batches", batches);
    cJSON_AddNumberToObject(o, "mediation_ns_per_op", med ? ns(med_ps) / (double)med : 0);
    cJSON_AddNumberToObject(o, "mediation_ns_per_batch", batches ? ns(med_ps) / (double)batches : 0);
    /* where a buffer's mediation time goes: checks, descriptor, doorbell */
    cJSON *split = cJSON_AddObjectToObject(o, "mediation_split_ns_per_op");
    double m = med ? (double)med : 1;
    cJSON_AddNumberToObject(split, "validate", ns(val_ps) / m);
    cJSON_AddNumberToObject(split, "descriptor", ns(med_ps - val_ps - bell_ps) / m);
    cJSON_AddNumberToObject(split, "doorbell", ns(bell_ps) / m);
    add_u64(o, "refused", refused);
    add_u64(o, "irqs", ks->irqs);
    add_u64(o, "iommu_faults", ks->iommu_faults);
    add_u64(o, "timer_programs", ks->timer_programs);
    return o;
}

/* Frames the NIC delivered to the host, all queues. */
static uint64_t nic_rx_packets(const pkrun_t *r)
{
    uint64_t rx = 0;
    for (unsigned q = 0; q < r->m.cfg.nic.queues; q++)
        rx += nic_queue_stats(r->m.nic, q)->rx_packets;
    return rx;
}

static cJSON *devices_json(pkrun_t *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *nic = cJSON_AddObjectToObject(o, "nic");
    cJSON *qs = cJSON_AddArrayToObject(nic, "queues");
    for (unsigned q = 0; q < r->m.cfg.nic.queues; q++) {
        const nic_queue_stats_t *s = nic_queue_stats(r->m.nic, q);
        cJSON *e = cJSON_CreateObject();
        add_u64(e, "queue", q);
        add_u64(e, "rx_packets", s->rx_packets);
        add_u64(e, "tx_packets", s->tx_packets);
        add_u64(e, "tx_errors", s->tx_errors);
        cJSON *d = cJSON_AddObjectToObject(e, "rx_drops");
        for (int k = 0; k < NIC_DROP_KINDS; k++)
            add_u64(d, nic_drop_name((nic_drop_t)k), s->rx_drops[k]);
        cJSON_AddItemToArray(qs, e);
    }
    add_u64(nic, "irqs_sent", nic_stats(r->m.nic)->irqs_sent);
    add_u64(nic, "guest_errors", nic_stats(r->m.nic)->guest_errors);
    const iommu_stats_t *is = iommu_stats(r->m.iommu);
    cJSON *io = cJSON_AddObjectToObject(o, "iommu");
    add_u64(io, "translations", is->translations);
    add_u64(io, "iotlb_hits", is->iotlb_hits);
    add_u64(io, "iotlb_misses", is->iotlb_misses);
    uint64_t faults = 0;
    for (int k = 0; k < IOMMU_FAULT_KINDS; k++)
        faults += is->faults[k];
    add_u64(io, "faults", faults);
    const pcie_stats_t *ps = pcie_stats(r->m.bus);
    cJSON *pc = cJSON_AddObjectToObject(o, "pcie");
    add_u64(pc, "mmio_writes", ps->mmio_writes);
    add_u64(pc, "mmio_reads", ps->mmio_reads);
    add_u64(pc, "dma_reads", ps->dma_reads);
    add_u64(pc, "dma_writes", ps->dma_writes);
    add_u64(pc, "msix_sent", ps->msix_sent);
    if (r->m.nvme) {
        const nvme_stats_t *ns_ = nvme_stats(r->m.nvme);
        cJSON *nv = cJSON_AddObjectToObject(o, "nvme");
        add_u64(nv, "completions", ns_->completions);
        add_u64(nv, "errors", ns_->errors);
        add_u64(nv, "read_bytes", ns_->read_bytes);
        add_u64(nv, "write_bytes", ns_->write_bytes);
        add_u64(nv, "interrupts", ns_->interrupts);
    }
    return o;
}

cJSON *pkrun_results(pkrun_t *r, double wall_s)
{
    cJSON *root = results_begin(r->cfg);
    cJSON_AddItemToObject(root, "requests", pkwire_results(r));
    cJSON_AddItemToObject(root, "latency_ns", pkwire_latency(r));
    double window = r->window_closed ? (double)(r->window_to - r->window_from) : 0;
    double done = (double)(r->answered_at_close - r->answered_at_open);
    cJSON_AddNumberToObject(root, "throughput_rps", window > 0 ? round(done / window * 1e12) : 0);
    cJSON *w = cJSON_AddObjectToObject(root, "window_ns");
    cJSON_AddNumberToObject(w, "from", r->window_closed ? ns(r->window_from) : 0);
    cJSON_AddNumberToObject(w, "to", r->window_closed ? ns(r->window_to) : 0);
    cJSON *cores = cJSON_AddArrayToObject(root, "cores");
    for (unsigned c = 0; c < r->m.cfg.cores; c++) {
        cJSON *o = results_core_json(&r->m.cores[c]);
        int pid = k_proc_of_core(c);
        if (pid >= 0)
            cJSON_AddStringToObject(o, "process", r->plan.procs[pid].name);
        cJSON_AddItemToArray(cores, o);
    }
    cJSON *procs = cJSON_AddArrayToObject(root, "processes");
    for (unsigned i = 0; i < r->plan.nprocs; i++)
        cJSON_AddItemToArray(procs, proc_json(r, i));
    cJSON_AddItemToObject(root, "kernel", kernel_json(r));
    cJSON_AddItemToObject(root, "devices", devices_json(r));
    if (r->tl_done && !r->tl_failed)
        cJSON_AddItemToObject(root, "timeline", results_timeline_json(&r->tl_stats));
    uint64_t events = sim_events_run(r->sim);
    results_add_sim(root, events, sim_now(r->sim), wall_s);
    cJSON *s = cJSON_GetObjectItem(root, "sim");
    uint64_t packets = nic_rx_packets(r);
    add_u64(s, "packets", packets);
    cJSON_AddNumberToObject(s, "packets_per_s",
                            wall_s > 0 ? round((double)packets / wall_s) : 0);
    return root;
}
