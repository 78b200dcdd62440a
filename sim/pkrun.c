/* sim/pkrun: a parakernel experiment from config to results (pkrun.h).
 *
 * Physical layout of the plan: the kernel's region at 2 MiB (address 0 is
 * left unused so a null buffer is never valid memory of anyone's), then
 * each process's partition in config order, all 2 MiB aligned.  Cores are
 * given in the same order, process i on core i.
 *
 * The host has one MAC and one IP (02:00:00:00:00:01, 10.0.0.1, UDP port
 * 7); the client is 02:00:00:00:00:02 with flows from 10.1.0.0 up.  The
 * RSS key is the Microsoft verification key (the one
 * ../shared/reference/toeplitz_vectors.txt uses), as drivers default to a
 * fixed key too. */
#include "sim/pkrun.h"

#include "devices/iommu.h"
#include "devices/nic.h"
#include "devices/nvme.h"
#include "devices/pcie.h"
#include "kernel/kernel.h"
#include "model/hist.h"
#include "sim/alloc.h"
#include "sim/config.h"
#include "sim/json.h"
#include "sim/machine.h"
#include "sim/proc.h"
#include "sim/results.h"
#include "workloads/app.h"
#include "workloads/udp_client.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (UINT64_C(1) << 20)
#define KMEM_BASE (2 * MIB)
#define IOMMU_FAULT_VECTOR 0x30u

static const uint8_t host_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t host_ip[4] = {10, 0, 0, 1};
static const uint8_t client_ip[4] = {10, 1, 0, 0};
static const uint8_t rss_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

typedef struct pk_proc_desc {
    char name[K_NAME_MAX];
    const wl_app_t *app;
    unsigned group;             /* index in processes[] */
    wl_param_t *params;
    size_t nparams;
} pk_proc_desc_t;

struct pkrun {
    const sim_config_t *cfg;
    sim_t *sim;
    machine_t m;
    bool machine_up;
    k_plan_t plan;
    pk_proc_desc_t *procs;      /* [plan.nprocs] */
    proc_rt_t *rt;
    wl_client_t client;
    bool client_up;
    /* the frame on its way to the NIC */
    uint8_t frame[WL_CLIENT_FRAME_MAX];
    size_t frame_len;
    bool sending_done;
    sim_time_t drain_ps;
    /* measurement window */
    uint64_t warmup;
    bool window_open, window_closed;
    sim_time_t window_from, window_to;
    uint64_t answered_at_open, answered_at_close;
};

static double jnum(const cJSON *o, const char *path)
{
    return sim_json_at(o, path)->valuedouble;
}

static bool jbool(const cJSON *o, const char *path)
{
    return cJSON_IsTrue(sim_json_at(o, path));
}

/* ---------------------------------------------------------------- assembly */

static int build_machine(pkrun_t *r, char *err, size_t errlen)
{
    const cJSON *j = r->cfg->json;
    machine_cfg_t mc;
    machine_cfg_default(&mc);
    mc.cores = r->cfg->cores;
    mc.mem_bytes = (uint64_t)jnum(j, "machine.memory_mib") * MIB;
    mc.nic.queues = (unsigned)jnum(j, "machine.nic.queues");
    mc.nic.link_gbps = (unsigned)jnum(j, "machine.nic.link_gbps");
    mc.nic.pcie.gen = (unsigned)jnum(j, "machine.nic.pcie_gen");
    mc.nic.pcie.lanes = (unsigned)jnum(j, "machine.nic.pcie_lanes");
    mc.nic.pasid_per_queue = jbool(j, "machine.nic.pasid_per_queue");
    mc.nic.pasid_base = 1;
    mc.nvme_present = jbool(j, "machine.nvme.present");
    const char *media = sim_json_at(j, "machine.nvme.media")->valuestring;
    mc.nvme.media = !strcmp(media, "pmem") ? NVME_MEDIA_PMEM
                    : !strcmp(media, "llflash") ? NVME_MEDIA_LLFLASH : NVME_MEDIA_NAND;
    mc.nvme.ns_blocks = (uint64_t)jnum(j, "machine.nvme.capacity_mib") * MIB / mc.nvme.lba_size;
    mc.nvme.pasid_per_queue = jbool(j, "machine.nvme.pasid_per_queue");
    const char *mode = sim_json_at(j, "machine.iommu.mode")->valuestring;
    mc.iommu_mode = !strcmp(mode, "off") ? MACHINE_IOMMU_OFF
                    : !strcmp(mode, "scalable") ? MACHINE_IOMMU_SCALABLE : MACHINE_IOMMU_LEGACY;
    mc.iommu.iotlb_entries = (unsigned)jnum(j, "machine.iommu.iotlb_entries");
    if (machine_create(&r->m, r->sim, &r->cfg->costs, &mc, err, errlen))
        return -1;
    r->machine_up = true;
    machine_hal_bind(&r->m);
    return 0;
}

/* A JSON param value as the string an application parses. */
static char *param_text(const cJSON *v)
{
    char buf[64];
    if (cJSON_IsString(v))
        return strdup(v->valuestring);
    if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9.1e15)
        snprintf(buf, sizeof buf, "%.0f", v->valuedouble);
    else
        snprintf(buf, sizeof buf, "%.17g", v->valuedouble);
    return strdup(buf);
}

static int build_plan(pkrun_t *r, char *err, size_t errlen)
{
    const cJSON *j = r->cfg->json;
    k_plan_t *p = &r->plan;
    memset(p, 0, sizeof *p);
    p->version = K_PLAN_VERSION;
    p->kmem_base = KMEM_BASE;
    p->kmem_size = (uint64_t)jnum(j, "kernel.memory_mib") * MIB;
    p->sq_entries = (unsigned)jnum(j, "kernel.sq_entries");
    p->cq_entries = (unsigned)jnum(j, "kernel.cq_entries");
    p->rx_entries = (unsigned)jnum(j, "kernel.rx_entries");
    p->tx_entries = (unsigned)jnum(j, "kernel.tx_entries");
    p->mediation = !strcmp(sim_json_at(j, "kernel.mediation")->valuestring, "pool")
                       ? PK_MEDIATE_POOL : PK_MEDIATE_RANGE;
    p->max_pools = 4;
    p->nic.present = r->m.nic != NULL;
    p->nic.bar = MACHINE_NIC_BAR;
    p->nic.rid = MACHINE_NIC_RID;
    p->nic.queues = r->m.cfg.nic.queues;
    p->nic.vectors = r->m.cfg.nic.msix_vectors ? r->m.cfg.nic.msix_vectors
                     : r->m.cfg.nic.queues + 1 < NIC_MAX_VECTORS ? r->m.cfg.nic.queues + 1
                                                                 : NIC_MAX_VECTORS;
    p->nic.max_frame = r->m.cfg.nic.max_frame;
    memcpy(p->nic.mac, host_mac, sizeof host_mac);
    memcpy(p->nic.rss_key, rss_key, sizeof rss_key);
    p->nic.pasid_base = r->m.cfg.nic.pasid_base;
    p->nvme.present = r->m.nvme != NULL;
    p->nvme.bar = MACHINE_NVME_BAR;
    p->nvme.rid = MACHINE_NVME_RID;
    p->nvme.queue_entries = 256;
    p->iommu.mode = r->m.cfg.iommu_mode == MACHINE_IOMMU_OFF ? K_IOMMU_OFF
                    : r->m.cfg.iommu_mode == MACHINE_IOMMU_SCALABLE ? K_IOMMU_SCALABLE
                                                                    : K_IOMMU_LEGACY;
    p->iommu.base = MACHINE_IOMMU_BASE;
    p->iommu.fault_vector = IOMMU_FAULT_VECTOR;

    uint64_t next = KMEM_BASE + p->kmem_size;
    const cJSON *groups = sim_json_at(j, "processes");
    unsigned gi = 0, n = 0;
    r->procs = sim_xcalloc(K_MAX_PROCS, sizeof *r->procs);
    for (const cJSON *g = groups->child; g; g = g->next, gi++) {
        const char *app = sim_json_at(g, "app")->valuestring;
        unsigned count = (unsigned)jnum(g, "count");
        for (unsigned i = 0; i < count; i++, n++) {
            if (n >= K_MAX_PROCS) {
                snprintf(err, errlen, "processes: more than %d processes", K_MAX_PROCS);
                return -1;
            }
            k_plan_proc_t *kp = &p->procs[n];
            pk_proc_desc_t *d = &r->procs[n];
            snprintf(kp->name, sizeof kp->name, "%s%u", app, i);
            memcpy(d->name, kp->name, sizeof d->name);
            d->app = wl_app_find(app);
            d->group = gi;
            kp->core = n;
            kp->mem_base = next;
            kp->mem_size = (uint64_t)jnum(g, "memory_mib") * MIB;
            next += kp->mem_size;
            kp->nic_queues = (unsigned)jnum(g, "nic_queues");
            kp->nvme_queues = (unsigned)jnum(g, "nvme_queues");
            kp->rx_traffic = jbool(g, "rx_traffic");
            kp->max_timers = (unsigned)jnum(g, "max_timers");
            const cJSON *params = sim_json_at(g, "params");
            d->nparams = (size_t)cJSON_GetArraySize(params);
            d->params = sim_xcalloc(d->nparams ? d->nparams : 1, sizeof *d->params);
            size_t k = 0;
            for (const cJSON *v = params->child; v; v = v->next, k++) {
                d->params[k].key = v->string;
                d->params[k].value = param_text(v);
            }
        }
    }
    p->nprocs = n;
    return 0;
}

static int boot(pkrun_t *r, char *err, size_t errlen)
{
    char kerr[256];
    machine_entry_begin(&r->m, 0, CPU_KERNEL);
    int rc = k_boot(&r->plan, kerr, sizeof kerr);
    machine_entry_end(&r->m);
    if (rc) {
        snprintf(err, errlen, "%s: kernel refused the plan: %s", r->cfg->path, kerr);
        return -1;
    }
    r->rt = proc_rt_create(&r->m, NULL);
    for (unsigned i = 0; i < r->plan.nprocs; i++) {
        pk_proc_desc_t *d = &r->procs[i];
        char perr[256];
        if (proc_spawn(r->rt, i, r->plan.procs[i].core, d->app, d->params, d->nparams, perr,
                       sizeof perr)) {
            snprintf(err, errlen, "%s: processes[%u].params: %s: %s", r->cfg->path, d->group,
                     d->name, perr);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- the wire */

static void window_open(pkrun_t *r)
{
    sim_time_t now = sim_now(r->sim);
    proc_rt_settle(r->rt);
    r->window_open = true;
    r->window_from = now;
    r->answered_at_open = wl_client_stats(&r->client)->answered;
    for (unsigned c = 0; c < r->m.cfg.cores; c++)
        cpu_window_open(&r->m.cores[c], now);
}

static void window_close(pkrun_t *r)
{
    sim_time_t now = sim_now(r->sim);
    if (!r->window_open || r->window_closed)
        return;
    proc_rt_settle(r->rt);
    r->window_closed = true;
    r->window_to = now;
    r->answered_at_close = wl_client_stats(&r->client)->answered;
    for (unsigned c = 0; c < r->m.cfg.cores; c++)
        cpu_window_close(&r->m.cores[c], now);
}

static void on_drain_deadline(sim_t *sim, void *arg, uint64_t data)
{
    (void)arg;
    (void)data;
    sim_stop(sim);
}

static void schedule_next(pkrun_t *r);

/* The frame's first bit leaves the client (window bookkeeping). */
static void on_first_bit(sim_t *sim, void *arg, uint64_t id)
{
    (void)sim;
    pkrun_t *r = arg;
    if (id == r->warmup && !r->window_open)
        window_open(r);
    if (id + 1 == r->client.cfg.requests)
        window_close(r);
}

/* Its last bit reaches the NIC. */
static void on_last_bit(sim_t *sim, void *arg, uint64_t id)
{
    (void)sim;
    (void)id;
    pkrun_t *r = arg;
    nic_wire_rx(r->m.nic, r->frame, r->frame_len);
    schedule_next(r);
}

static void schedule_next(pkrun_t *r)
{
    uint64_t first, last;
    size_t len = sizeof r->frame;
    uint64_t id = wl_client_stats(&r->client)->sent;
    if (wl_client_next(&r->client, &first, &last, r->frame, &len) < 0) {
        r->sending_done = true;
        sim_at(r->sim, sim_now(r->sim) + r->drain_ps, on_drain_deadline, r, 0);
        return;
    }
    r->frame_len = len;
    /* Only two first bits matter (the window's edges): the others would be
     * events that do nothing, and leaving them out changes no other
     * event's order (same-instant order is scheduling order). */
    if ((id == r->warmup && !r->window_open) || id + 1 == r->client.cfg.requests)
        sim_at(r->sim, first, on_first_bit, r, id);
    sim_at(r->sim, last, on_last_bit, r, id);
}

static void on_wire_tx(void *ctx, const uint8_t *frame, size_t len, sim_time_t t_last_bit)
{
    pkrun_t *r = ctx;
    wl_client_receive(&r->client, frame, len, t_last_bit);
    const wl_client_stats_t *st = wl_client_stats(&r->client);
    if (r->sending_done && st->answered == st->sent)
        sim_stop(r->sim);
}

static int start_client(pkrun_t *r, char *err, size_t errlen)
{
    const sim_config_t *cfg = r->cfg;
    const cJSON *j = cfg->json;
    wl_client_cfg_t cc = {0};
    cc.seed = cfg->seed;
    cc.load = cfg->load_kind == LOAD_CONSTANT ? WL_LOAD_CONSTANT : WL_LOAD_POISSON;
    cc.rate = cfg->rate_rps;
    cc.requests = cfg->requests ? cfg->requests
                                : (uint64_t)llround((double)cfg->duration_ps / 1e12 * cfg->rate_rps);
    if (cc.requests < 1)
        cc.requests = 1;
    cc.warmup = cfg->warmup_requests < cc.requests ? cfg->warmup_requests : 0;
    r->warmup = cc.warmup;
    /* the load starts once boot's own work (NVMe bring-up...) is over */
    sim_time_t t0 = sim_now(r->sim);
    for (unsigned c = 0; c < r->m.cfg.cores; c++)
        if (r->m.cores[c].clock > t0)
            t0 = r->m.cores[c].clock;
    cc.t_start_ps = t0;
    cc.flows = (unsigned)jnum(j, "load.flows");
    memcpy(cc.client_mac, client_mac, 6);
    memcpy(cc.client_ip, client_ip, 4);
    memcpy(cc.host_mac, host_mac, 6);
    memcpy(cc.host_ip, host_ip, 4);
    cc.host_port = 7;
    cc.frame_len = (uint32_t)jnum(j, "load.frame_bytes") - NIC_FCS_BYTES;
    unsigned gbps = r->m.cfg.nic.link_gbps;
    cc.wire_ps = nic_wire_time(gbps, cc.frame_len);
    cc.ifg_ps = (uint64_t)12 * 8 * 1000 / gbps; /* 12 B inter-frame gap, IEEE 802.3 */
    if (wl_client_init(&r->client, &cc, err, errlen))
        return -1;
    r->client_up = true;
    r->drain_ps = (sim_time_t)llround(jnum(j, "load.drain_us") * 1e6);
    nic_set_wire_tx(r->m.nic, on_wire_tx, r);
    return 0;
}

pkrun_t *pkrun_create(const sim_config_t *cfg, char *err, size_t errlen)
{
    pkrun_t *r = sim_xcalloc(1, sizeof *r);
    r->cfg = cfg;
    r->sim = sim_create();
    char e[400];
    if (!r->sim) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (build_machine(r, e, sizeof e)) {
        snprintf(err, errlen, "%s: machine: %s", cfg->path, e);
        goto fail;
    }
    if (build_plan(r, err, errlen) || boot(r, err, errlen))
        goto fail;
    if (!r->m.nic) {
        snprintf(err, errlen, "%s: machine.nic: the UDP client needs a NIC", cfg->path);
        goto fail;
    }
    if (start_client(r, e, sizeof e)) {
        snprintf(err, errlen, "%s: load: %s", cfg->path, e);
        goto fail;
    }
    return r;
fail:
    pkrun_destroy(r);
    return NULL;
}

/* ---------------------------------------------------------------- running */

typedef struct progress_ctx {
    pkrun_t *r;
    void (*fn)(double, const sim_t *, void *);
    void *arg;
} progress_ctx_t;

static void hook(sim_t *sim, void *arg)
{
    progress_ctx_t *p = arg;
    const wl_client_stats_t *st = wl_client_stats(&p->r->client);
    p->fn((double)st->answered / (double)p->r->client.cfg.requests, sim, p->arg);
}

void pkrun_run(pkrun_t *r, void (*progress)(double, const sim_t *, void *), void *arg)
{
    progress_ctx_t ctx = {r, progress, arg};
    if (progress)
        sim_set_hook(r->sim, 1u << 20, hook, &ctx);
    proc_rt_start(r->rt);
    schedule_next(r);
    sim_run(r->sim, SIM_TIME_MAX);
    sim_set_hook(r->sim, 0, NULL, NULL);
    window_close(r);
    proc_rt_settle(r->rt);
}

void pkrun_destroy(pkrun_t *r)
{
    if (!r)
        return;
    if (r->client_up)
        wl_client_free(&r->client);
    if (r->rt)
        proc_rt_destroy(r->rt);
    if (r->machine_up)
        machine_destroy(&r->m);
    sim_destroy(r->sim);
    if (r->procs)
        for (unsigned i = 0; i < K_MAX_PROCS; i++) {
            for (size_t k = 0; k < r->procs[i].nparams; k++)
                free((char *)r->procs[i].params[k].value);
            free(r->procs[i].params);
        }
    free(r->procs);
    free(r);
}

/* ---------------------------------------------------------------- results */

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

static double ns(uint64_t ps)
{
    return (double)ps / 1000.0;
}

static cJSON *requests_json(pkrun_t *r)
{
    const wl_client_stats_t *st = wl_client_stats(&r->client);
    cJSON *o = cJSON_CreateObject();
    add_u64(o, "offered", r->client.cfg.requests);
    add_u64(o, "sent", st->sent);
    add_u64(o, "completed", st->answered);
    add_u64(o, "dropped", st->unanswered);
    add_u64(o, "warmup", r->warmup);
    add_u64(o, "measured", st->measured);
    add_u64(o, "paced", st->paced);
    cJSON *bad = cJSON_AddObjectToObject(o, "responses");
    add_u64(bad, "duplicates", st->duplicates);
    add_u64(bad, "unknown", st->unknown);
    add_u64(bad, "malformed", st->malformed);
    return o;
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
    cJSON_AddItemToObject(root, "requests", requests_json(r));
    cJSON_AddItemToObject(root, "latency_ns", results_latency_json(wl_client_latency(&r->client)));
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
    uint64_t events = sim_events_run(r->sim);
    results_add_sim(root, events, sim_now(r->sim), wall_s);
    cJSON *s = cJSON_GetObjectItem(root, "sim");
    uint64_t packets = nic_rx_packets(r);
    add_u64(s, "packets", packets);
    cJSON_AddNumberToObject(s, "packets_per_s",
                            wall_s > 0 ? round((double)packets / wall_s) : 0);
    return root;
}
