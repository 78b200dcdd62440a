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
#include "sim/pkrun_int.h"

#include "devices/iommu.h"
#include "devices/nic.h"
#include "devices/nvme.h"
#include "devices/pcie.h"
#include "sim/alloc.h"
#include "sim/config.h"
#include "sim/json.h"
#include "traces/blktrace.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB PK_MIB
#define KMEM_BASE (2 * MIB)
#define IOMMU_FAULT_VECTOR 0x30u

const uint8_t pk_host_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
const uint8_t pk_client_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t pk_host_ip[4] = {10, 0, 0, 1};
const uint8_t pk_client_ip[4] = {10, 1, 0, 0};
static const uint8_t rss_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

double pk_jnum(const cJSON *o, const char *path)
{
    return sim_json_at(o, path)->valuedouble;
}

bool pk_jbool(const cJSON *o, const char *path)
{
    return cJSON_IsTrue(sim_json_at(o, path));
}

const char *pk_jstr(const cJSON *o, const char *path)
{
    const cJSON *v = sim_json_at(o, path);
    return v && cJSON_IsString(v) ? v->valuestring : "";
}

const char *pk_config_file(const pkrun_t *r, const char *name, char *buf, size_t len)
{
    const char *slash = strrchr(r->cfg->path, '/');
    if (name[0] == '/' || !slash)
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "%.*s/%s", (int)(slash - r->cfg->path), r->cfg->path, name);
    return buf;
}

/* ---------------------------------------------------------------- assembly */

static int build_machine(pkrun_t *r, char *err, size_t errlen)
{
    const cJSON *j = r->cfg->json;
    machine_cfg_t mc;
    machine_cfg_default(&mc);
    mc.cores = r->cfg->cores;
    mc.mem_bytes = (uint64_t)pk_jnum(j, "machine.memory_mib") * MIB;
    mc.nic.queues = (unsigned)pk_jnum(j, "machine.nic.queues");
    mc.nic.link_gbps = (unsigned)pk_jnum(j, "machine.nic.link_gbps");
    mc.nic.pcie.gen = (unsigned)pk_jnum(j, "machine.nic.pcie_gen");
    mc.nic.pcie.lanes = (unsigned)pk_jnum(j, "machine.nic.pcie_lanes");
    mc.nic.pasid_per_queue = pk_jbool(j, "machine.nic.pasid_per_queue");
    mc.nic.pasid_base = 1;
    mc.nvme_present = pk_jbool(j, "machine.nvme.present");
    const char *media = sim_json_at(j, "machine.nvme.media")->valuestring;
    mc.nvme.media = !strcmp(media, "pmem") ? NVME_MEDIA_PMEM
                    : !strcmp(media, "llflash") ? NVME_MEDIA_LLFLASH : NVME_MEDIA_NAND;
    mc.nvme.ns_blocks = (uint64_t)pk_jnum(j, "machine.nvme.capacity_mib") * MIB / mc.nvme.lba_size;
    mc.nvme.pasid_per_queue = pk_jbool(j, "machine.nvme.pasid_per_queue");
    const char *mode = sim_json_at(j, "machine.iommu.mode")->valuestring;
    mc.iommu_mode = !strcmp(mode, "off") ? MACHINE_IOMMU_OFF
                    : !strcmp(mode, "scalable") ? MACHINE_IOMMU_SCALABLE : MACHINE_IOMMU_LEGACY;
    mc.iommu.iotlb_entries = (unsigned)pk_jnum(j, "machine.iommu.iotlb_entries");
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

static bool declares(const wl_app_t *app, const char *key)
{
    size_t n = strlen(key);
    for (const char *const *q = app ? app->params : NULL; q && *q; q++)
        if (!strncmp(*q, key, n) && (*q)[n] == ':')
            return true;
    return false;
}

/* The config's params, then `instance` and `instances` when the
 * application declares them and the config leaves them out (app.h). */
static void set_params(pk_proc_desc_t *d, const cJSON *params, unsigned count)
{
    size_t n = (size_t)cJSON_GetArraySize(params), k = 0;
    d->params = sim_xcalloc(n + 2, sizeof *d->params);
    for (const cJSON *v = params->child; v; v = v->next, k++) {
        d->params[k].key = v->string;
        d->params[k].value = param_text(v);
    }
    static const char *const auto_keys[] = {"instance", "instances"};
    for (int a = 0; a < 2; a++) {
        if (!declares(d->app, auto_keys[a]) || cJSON_GetObjectItemCaseSensitive(params, auto_keys[a]))
            continue;
        char buf[16];
        snprintf(buf, sizeof buf, "%u", a == 0 ? d->instance : count);
        d->params[k].key = auto_keys[a];
        d->params[k++].value = strdup(buf);
    }
    d->nparams = k;
}

static int build_plan(pkrun_t *r, char *err, size_t errlen)
{
    const cJSON *j = r->cfg->json;
    k_plan_t *p = &r->plan;
    memset(p, 0, sizeof *p);
    p->version = K_PLAN_VERSION;
    p->kmem_base = KMEM_BASE;
    p->kmem_size = (uint64_t)pk_jnum(j, "kernel.memory_mib") * MIB;
    p->sq_entries = (unsigned)pk_jnum(j, "kernel.sq_entries");
    p->cq_entries = (unsigned)pk_jnum(j, "kernel.cq_entries");
    p->rx_entries = (unsigned)pk_jnum(j, "kernel.rx_entries");
    p->tx_entries = (unsigned)pk_jnum(j, "kernel.tx_entries");
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
    memcpy(p->nic.mac, pk_host_mac, sizeof pk_host_mac);
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
        unsigned count = (unsigned)pk_jnum(g, "count");
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
            kp->mem_size = (uint64_t)pk_jnum(g, "memory_mib") * MIB;
            next += kp->mem_size;
            kp->nic_queues = (unsigned)pk_jnum(g, "nic_queues");
            kp->nvme_queues = (unsigned)pk_jnum(g, "nvme_queues");
            kp->rx_traffic = pk_jbool(g, "rx_traffic");
            kp->max_timers = (unsigned)pk_jnum(g, "max_timers");
            const cJSON *params = sim_json_at(g, "params");
            d->instance = i;
            set_params(d, params, count);
        }
    }
    p->nprocs = n;
    return 0;
}

/* A block trace, as the application's input (workloads/input.h); TRIM
 * records have no NVMe command in the model and are left out. */
static int blk_input(pkrun_t *r, pk_proc_desc_t *d, const char *file, char *err, size_t errlen)
{
    char path[4096], e[600];
    trace_blk_t t;
    if (trace_blk_load(pk_config_file(r, file, path, sizeof path), TRACE_BLK_AUTO, &t, e,
                       sizeof e) < 0) {
        snprintf(err, errlen, "%s: processes[%u].params.%s: %s", r->cfg->path, d->group,
                 d->app->input_param, e);
        return -1;
    }
    wl_blk_op_t *ops = sim_xcalloc(t.n ? t.n : 1, sizeof *ops);
    size_t n = 0;
    for (size_t i = 0; i < t.n; i++) {
        const trace_blk_rec_t *rec = &t.rec[i];
        if (rec->op == TRACE_BLK_TRIM)
            continue;
        ops[n++] = (wl_blk_op_t){rec->t_ps, rec->offset, rec->len,
                                 rec->op == TRACE_BLK_READ    ? WL_BLK_READ
                                 : rec->op == TRACE_BLK_WRITE ? WL_BLK_WRITE
                                                              : WL_BLK_FLUSH};
    }
    trace_blk_free(&t);
    d->input_recs = ops;
    d->input = (wl_input_t){WL_INPUT_BLK, ops, n, d->source};
    return 0;
}

/* The trace an application's input parameter names, read for it. */
static int load_input(pkrun_t *r, pk_proc_desc_t *d, char *err, size_t errlen)
{
    if (!d->app->input_param || !d->app->input)
        return 0;
    const char *file = NULL;
    for (size_t k = 0; k < d->nparams; k++)
        if (!strcmp(d->params[k].key, d->app->input_param))
            file = d->params[k].value;
    if (!file)
        return 0;
    snprintf(d->source, sizeof d->source, "%s", file);
    switch (d->app->input_kind) {
    case WL_INPUT_BLK:
        return blk_input(r, d, file, err, errlen);
    case WL_INPUT_NONE:
        break;
    }
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
        char perr[600];
        if (load_input(r, d, err, errlen))
            return -1;
        if (proc_spawn_input(r->rt, i, r->plan.procs[i].core, d->app, d->params, d->nparams,
                             d->input.kind ? &d->input : NULL, perr, sizeof perr)) {
            snprintf(err, errlen, "%s: processes[%u].params: %s: %s", r->cfg->path, d->group,
                     d->name, perr);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- timeline */

/* outputs.timeline: a recorder on the machine from boot on, with a core
 * track per core labelled by its process, the NIC's queues, the NVMe
 * queues the plan hands out (ids 1.. in plan order, kernel/boot.c) and
 * the client's outstanding requests. */
static int timeline_open(pkrun_t *r, char *err, size_t errlen)
{
    char path[4096], seed[32], e[4400];
    tlrec_cfg_t tc = {.path = path, .machine = true};
    if (!config_timeline(r->cfg, path, sizeof path, &tc.from_ps, &tc.to_ps, &tc.counter_ps))
        return 0;
    unsigned n = r->m.cfg.cores, nvq = 0;
    const char **labels = sim_xcalloc(n, sizeof *labels);
    unsigned *pids = sim_xcalloc(n, sizeof *pids);
    for (unsigned c = 0; c < n; c++)
        pids[c] = -1u;
    for (unsigned i = 0; i < r->plan.nprocs; i++) {
        const k_plan_proc_t *kp = &r->plan.procs[i];
        labels[kp->core] = kp->name;
        pids[kp->core] = i;
        nvq += kp->nvme_queues;
    }
    const char *kind = pk_jstr(r->cfg->json, "load.kind");
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->cfg->seed);
    const char *meta[] = {"config", r->cfg->path, "seed", seed, "kernel", "parakernel", NULL};
    tc.cores = n;
    tc.labels = labels;
    tc.pids = pids;
    tc.nic_queues = r->m.nic ? r->m.cfg.nic.queues : 0;
    tc.nvme_queues = r->m.nvme ? nvq : 0;
    tc.client = strcmp(kind, "none") && strcmp(kind, "pcap");
    tc.meta = meta;
    r->tl = tlrec_open(r->sim, &tc, e, sizeof e);
    free(labels);
    free(pids);
    if (!r->tl) {
        snprintf(err, errlen, "%s: outputs.timeline: %s", r->cfg->path, e);
        return -1;
    }
    tlrec_attach_machine(r->tl, &r->m);
    return 0;
}

static void timeline_close(pkrun_t *r)
{
    if (!r->tl)
        return;
    char e[4400];
    if (tlrec_close(r->tl, &r->tl_stats, e, sizeof e) < 0) {
        fprintf(stderr, "parasim: outputs.timeline: %s\n", e);
        r->tl_failed = true;
    }
    r->tl = NULL;
    r->tl_done = true;
}

void pk_timeline_client(pkrun_t *r, int64_t outstanding)
{
    if (r->tl)
        tlrec_client(r->tl, outstanding);
}

/* ---------------------------------------------------------------- measurement window */

void pk_window_open(pkrun_t *r)
{
    sim_time_t now = sim_now(r->sim);
    proc_rt_settle(r->rt);
    r->window_open = true;
    r->window_from = now;
    r->answered_at_open = pkwire_answered(r);
    for (unsigned c = 0; c < r->m.cfg.cores; c++)
        cpu_window_open(&r->m.cores[c], now);
}

void pk_window_close(pkrun_t *r)
{
    sim_time_t now = sim_now(r->sim);
    if (!r->window_open || r->window_closed)
        return;
    proc_rt_settle(r->rt);
    r->window_closed = true;
    r->window_to = now;
    r->answered_at_close = pkwire_answered(r);
    for (unsigned c = 0; c < r->m.cfg.cores; c++)
        cpu_window_close(&r->m.cores[c], now);
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
    if (build_plan(r, err, errlen) || timeline_open(r, err, errlen) || boot(r, err, errlen))
        goto fail;
    if (pkwire_create(r, err, errlen))
        goto fail;
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
    p->fn(pkwire_progress(p->r), sim, p->arg);
}

void pkrun_run(pkrun_t *r, void (*progress)(double, const sim_t *, void *), void *arg)
{
    progress_ctx_t ctx = {r, progress, arg};
    if (progress)
        sim_set_hook(r->sim, 1u << 20, hook, &ctx);
    proc_rt_start(r->rt);
    if (!r->wire)
        pk_window_open(r);
    pkwire_start(r);
    sim_run(r->sim, SIM_TIME_MAX);
    sim_set_hook(r->sim, 0, NULL, NULL);
    pk_window_close(r);
    pkwire_finish(r);
    proc_rt_settle(r->rt);
    timeline_close(r);
}

bool pkrun_failed(const pkrun_t *r)
{
    return pkwire_failed(r) || r->tl_failed;
}

void pkrun_destroy(pkrun_t *r)
{
    if (!r)
        return;
    tlrec_abort(r->tl); /* a run that never finished: no timeline */
    pkwire_destroy(r);
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
            free(r->procs[i].input_recs);
        }
    free(r->procs);
    free(r);
}
