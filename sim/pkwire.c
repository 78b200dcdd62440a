/* sim/pkwire: the far end of the host's wire in a parakernel experiment
 * (pkrun_int.h): the client (workloads/udp_client) with its load and
 * protocol, its timeouts, and the measurement window's edges.
 *
 * One frame is on its way to the NIC at a time: the client's link is
 * serial, so the next frame is asked for when the previous one's last bit
 * has arrived.  In the closed loop the client may have nothing to send
 * then (every connection waits for an answer); the wire then waits until
 * a response (on_wire_tx) or a timeout (on_expiry) frees a connection.
 *
 * The run ends when every request sent is settled (answered, or given up
 * after load.timeout_us) once the load is over, or load.drain_us after
 * the last request left the client: the rest are counted unanswered,
 * never hidden.
 *
 * With load.kind "pcap" a capture is replayed instead (sim/pkreplay.h);
 * what the host sends back is counted, and the run ends load.drain_us
 * after the last frame.  outputs.pcap records both directions at each
 * frame's last bit. */
#include "sim/pkrun_int.h"

#include "devices/nic.h"
#include "sim/pkreplay.h"
#include "traces/kvtrace.h"
#include "traces/pcap.h"
#include "workloads/kvs_proto.h"
#include "sim/alloc.h"
#include "sim/config.h"
#include "sim/json.h"
#include "sim/results.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pkwire {
    wl_client_t client;
    bool client_up;
    pkreplay_t *replay;         /* load.kind "pcap" */
    uint64_t host_frames, host_bytes; /* what the host sent (replay) */
    trace_pcapw_t *capture;     /* outputs.pcap */
    char capture_path[4096];
    bool capture_failed;
    uint64_t capture_frames;
    wl_ramp_step_t *steps;
    wl_proto_t proto;           /* load.protocol kvs */
    wl_kvs_proto_t kvs;
    bool kvs_up;
    wl_kvs_req_t *kv_reqs;      /* load.kind trace */
    uint64_t *kv_times;
    /* the frame on its way to the NIC */
    uint8_t frame[WL_CLIENT_FRAME_MAX];
    size_t frame_len;
    bool in_flight;             /* a frame's last-bit event is pending */
    bool sending_done;
    sim_time_t drain_ps;
    sim_time_t expiry_at;       /* a pending on_expiry, or 0 */
};

/* ---------------------------------------------------------------- sending */

static void on_drain_deadline(sim_t *sim, void *arg, uint64_t data)
{
    (void)arg;
    (void)data;
    sim_stop(sim);
}

static void schedule_next(pkrun_t *r);

/* The timeline's "client outstanding" (sim/tlrec.h): requests whose last
 * bit reached the NIC (sent, less the one still on the wire) and that are
 * not settled (answered or given up). */
static void sample_outstanding(pkrun_t *r)
{
    pkwire_t *w = r->wire;
    if (!r->tl || w->replay)
        return;
    const wl_client_stats_t *st = wl_client_stats(&w->client);
    int64_t v = (int64_t)(st->sent - (w->in_flight ? 1 : 0)) -
                (int64_t)(st->answered + st->timed_out);
    pk_timeline_client(r, v > 0 ? v : 0);
}

/* The frame's first bit leaves the client (window bookkeeping). */
static void on_first_bit(sim_t *sim, void *arg, uint64_t id)
{
    (void)sim;
    pkrun_t *r = arg;
    if (id == r->warmup && !r->window_open)
        pk_window_open(r);
    if (!r->wire->replay && id + 1 == r->wire->client.cfg.requests)
        pk_window_close(r);
}

/* Its last bit reaches the NIC. */
static void on_last_bit(sim_t *sim, void *arg, uint64_t id)
{
    (void)sim;
    (void)id;
    pkrun_t *r = arg;
    pkwire_t *w = r->wire;
    w->in_flight = false;
    if (w->capture)
        trace_pcapw_write(w->capture, sim_now(sim), w->frame, w->frame_len);
    nic_wire_rx(r->m.nic, w->frame, w->frame_len);
    sample_outstanding(r);
    schedule_next(r);
}

static void on_expiry(sim_t *sim, void *arg, uint64_t data);

/* Closed loop with a timeout: one pending expiry, at the oldest
 * unsettled request's deadline. */
static void arm_expiry(pkrun_t *r)
{
    pkwire_t *w = r->wire;
    if (w->client.cfg.load != WL_LOAD_CLOSED || w->expiry_at)
        return;
    uint64_t d = wl_client_deadline(&w->client);
    if (d == UINT64_MAX)
        return;
    w->expiry_at = d;
    sim_at(r->sim, d, on_expiry, r, 0);
}

static void on_expiry(sim_t *sim, void *arg, uint64_t data)
{
    (void)data;
    pkrun_t *r = arg;
    pkwire_t *w = r->wire;
    w->expiry_at = 0;
    wl_client_expire(&w->client, sim_now(sim));
    sample_outstanding(r);
    if (!w->in_flight && !w->sending_done)
        schedule_next(r);
    arm_expiry(r);
}

static void load_over(pkrun_t *r)
{
    pkwire_t *w = r->wire;
    w->sending_done = true;
    if (r->window_open)
        pk_window_close(r);
    sim_at(r->sim, sim_now(r->sim) + w->drain_ps, on_drain_deadline, r, 0);
}

/* The capture's next frame: 0, or -1 at its end. */
static int replay_next(pkrun_t *r, uint64_t *first, uint64_t *last, size_t *len)
{
    pkwire_t *w = r->wire;
    char err[512];
    int rc = pkreplay_next(w->replay, w->frame, sizeof w->frame, len, first, last, err, sizeof err);
    if (rc < 0) /* the file changed since it was read at set-up */
        fprintf(stderr, "parasim: load.pcap: %s\n", err);
    return rc == 1 ? 0 : -1;
}

static void schedule_next(pkrun_t *r)
{
    pkwire_t *w = r->wire;
    uint64_t first, last;
    size_t len = sizeof w->frame;
    uint64_t id = w->replay ? pkreplay_stats(w->replay)->sent : wl_client_stats(&w->client)->sent;
    int rc = w->replay ? replay_next(r, &first, &last, &len)
                       : wl_client_next(&w->client, &first, &last, w->frame, &len);
    if (rc == -3) /* the closed loop waits for an answer or a timeout */
        return;
    if (rc < 0) {
        load_over(r);
        return;
    }
    w->frame_len = len;
    w->in_flight = true;
    /* Only two first bits matter (the window's edges): the others would be
     * events that do nothing, and leaving them out changes no other
     * event's order (same-instant order is scheduling order). */
    if ((id == r->warmup && !r->window_open) || (!w->replay && id + 1 == w->client.cfg.requests))
        sim_at(r->sim, first, on_first_bit, r, id);
    sim_at(r->sim, last, on_last_bit, r, id);
    arm_expiry(r);
}

/* ---------------------------------------------------------------- receiving */

static void on_wire_tx(void *ctx, const uint8_t *frame, size_t len, sim_time_t t_last_bit)
{
    pkrun_t *r = ctx;
    pkwire_t *w = r->wire;
    if (w->capture)
        trace_pcapw_write(w->capture, t_last_bit, frame, len);
    if (w->replay) {
        w->host_frames++;
        w->host_bytes += len;
        return;
    }
    wl_client_receive(&w->client, frame, len, t_last_bit);
    sample_outstanding(r);
    const wl_client_stats_t *st = wl_client_stats(&w->client);
    if (w->sending_done && st->answered + st->timed_out >= st->sent) {
        sim_stop(r->sim);
        return;
    }
    if (!w->in_flight && !w->sending_done)
        schedule_next(r);
}

/* ---------------------------------------------------------------- set-up */

static int load_kind(const char *s, wl_load_kind_t *k)
{
    static const struct { const char *name; wl_load_kind_t kind; } kinds[] = {
        {"poisson", WL_LOAD_POISSON}, {"constant", WL_LOAD_CONSTANT}, {"closed", WL_LOAD_CLOSED},
        {"ramp", WL_LOAD_RAMP}, {"trace", WL_LOAD_TRACE},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(s, kinds[i].name)) {
            *k = kinds[i].kind;
            return 0;
        }
    return -1;
}

static int ramp_steps(pkwire_t *w, const cJSON *j, wl_client_cfg_t *cc)
{
    const cJSON *a = sim_json_at(j, "load.ramp");
    int n = a ? cJSON_GetArraySize(a) : 0;
    w->steps = sim_xcalloc(n ? (size_t)n : 1, sizeof *w->steps);
    int i = 0;
    for (const cJSON *e = a ? a->child : NULL; e; e = e->next, i++) {
        w->steps[i].at_ps = (uint64_t)llround(pk_jnum(e, "at_us") * 1e6);
        w->steps[i].rate = pk_jnum(e, "rate_rps");
    }
    cc->steps = w->steps;
    cc->nsteps = (size_t)n;
    return 0;
}

/* The load starts once boot's own work (NVMe bring-up...) is over. */
static sim_time_t load_start(const pkrun_t *r)
{
    sim_time_t t0 = sim_now(r->sim);
    for (unsigned c = 0; c < r->m.cfg.cores; c++)
        if (r->m.cores[c].clock > t0)
            t0 = r->m.cores[c].clock;
    return t0;
}

/* load.trace: the KVS requests, their times and the count. */
static int kv_trace(pkrun_t *r, wl_kvs_proto_cfg_t *kc, wl_client_cfg_t *cc, char *err,
                    size_t errlen)
{
    pkwire_t *w = r->wire;
    char path[4096], e[600];
    trace_kv_t t;
    if (trace_kv_load(pk_config_file(r, pk_jstr(r->cfg->json, "load.trace"), path, sizeof path),
                      &t, e, sizeof e) < 0) {
        snprintf(err, errlen, "trace: %s", e);
        return -1;
    }
    w->kv_reqs = sim_xcalloc(t.n, sizeof *w->kv_reqs);
    w->kv_times = sim_xcalloc(t.n, sizeof *w->kv_times);
    for (size_t i = 0; i < t.n; i++) {
        const trace_kv_rec_t *rec = &t.rec[i];
        wl_kvs_req_t *q = &w->kv_reqs[i];
        q->op = rec->op == TRACE_KV_SET ? WL_KVS_OP_SET : WL_KVS_OP_GET;
        q->key_len = rec->key_len;
        memcpy(q->key, rec->key, rec->key_len);
        q->value_size = rec->value_size;
        w->kv_times[i] = rec->t_ps;
    }
    kc->trace = w->kv_reqs;
    kc->trace_n = t.n;
    cc->times = w->kv_times;
    cc->ntimes = t.n;
    if (cc->requests > t.n)
        cc->requests = t.n;
    if (cc->warmup >= cc->requests)
        cc->warmup = 0;
    trace_kv_free(&t);
    return 0;
}

/* load.protocol kvs: GET/SET requests addressed to the kvs processes'
 * partitions (workloads/kvs_proto.h). */
static int kvs_setup(pkrun_t *r, wl_client_cfg_t *cc, char *err, size_t errlen)
{
    const cJSON *j = r->cfg->json;
    pkwire_t *w = r->wire;
    unsigned parts = 0;
    for (unsigned i = 0; i < r->plan.nprocs; i++)
        parts += !strcmp(r->procs[i].app->name, "kvs");
    if (!parts) {
        snprintf(err, errlen, "protocol: \"kvs\" needs processes running the kvs app");
        return -1;
    }
    wl_kvs_proto_cfg_t kc = {
        .seed = r->cfg->seed,
        .keys = (uint64_t)pk_jnum(j, "load.kvs.keys"),
        .dist = !strcmp(pk_jstr(j, "load.kvs.dist"), "uniform") ? WL_KVS_UNIFORM : WL_KVS_ZIPF,
        .theta = pk_jnum(j, "load.kvs.theta"),
        .get_ratio = pk_jnum(j, "load.kvs.get_ratio"),
        .key_bytes = (unsigned)pk_jnum(j, "load.kvs.key_bytes"),
        .value_bytes = (unsigned)pk_jnum(j, "load.kvs.value_bytes"),
        .partitions = parts,
        .port_base = (uint16_t)pk_jnum(j, "load.kvs.port_base"),
    };
    if (cc->load == WL_LOAD_TRACE && kv_trace(r, &kc, cc, err, errlen))
        return -1;
    char e[300];
    if (wl_kvs_proto_init(&w->kvs, &kc, e, sizeof e) < 0) {
        snprintf(err, errlen, "kvs: %s", e);
        return -1;
    }
    w->kvs_up = true;
    wl_kvs_proto_bind(&w->kvs, &w->proto);
    cc->proto = &w->proto;
    return 0;
}

static void link_figures(const pkrun_t *r, wl_client_cfg_t *cc)
{
    unsigned gbps = r->m.cfg.nic.link_gbps;
    cc->wire_ps = nic_wire_time(gbps, cc->frame_len);
    cc->ifg_ps = (uint64_t)12 * 8 * 1000 / gbps;  /* 12 B inter-frame gap, IEEE 802.3 */
    cc->ps_per_byte = (uint64_t)8 * 1000 / gbps;  /* exact at 10/25/40/100/400 GbE */
}

static int client_cfg(pkrun_t *r, wl_client_cfg_t *cc, char *err, size_t errlen)
{
    const sim_config_t *cfg = r->cfg;
    const cJSON *j = cfg->json;
    pkwire_t *w = r->wire;
    memset(cc, 0, sizeof *cc);
    cc->seed = cfg->seed;
    if (load_kind(pk_jstr(j, "load.kind"), &cc->load) < 0) {
        snprintf(err, errlen, "kind \"%s\" is not a client load", pk_jstr(j, "load.kind"));
        return -1;
    }
    cc->rate = cfg->rate_rps;
    if (cc->load == WL_LOAD_RAMP)
        ramp_steps(w, j, cc);
    cc->outstanding = (unsigned)pk_jnum(j, "load.outstanding");
    cc->think_ps = (uint64_t)llround(pk_jnum(j, "load.think_us") * 1e6);
    cc->timeout_ps = (uint64_t)llround(pk_jnum(j, "load.timeout_us") * 1e6);
    bool rated = cc->load == WL_LOAD_POISSON || cc->load == WL_LOAD_CONSTANT;
    cc->requests = cfg->requests ? cfg->requests
                   : rated ? (uint64_t)llround((double)cfg->duration_ps / 1e12 * cfg->rate_rps)
                           : 1000000;
    if (cc->requests < 1)
        cc->requests = 1;
    cc->warmup = cfg->warmup_requests < cc->requests ? cfg->warmup_requests : 0;
    r->warmup = cc->warmup;
    cc->t_start_ps = load_start(r);
    if (!rated && cfg->duration_ps)
        cc->t_end_ps = cc->t_start_ps + cfg->duration_ps;
    cc->flows = (unsigned)pk_jnum(j, "load.flows");
    memcpy(cc->client_mac, pk_client_mac, 6);
    memcpy(cc->client_ip, pk_client_ip, 4);
    memcpy(cc->host_mac, pk_host_mac, 6);
    memcpy(cc->host_ip, pk_host_ip, 4);
    cc->host_port = PK_HOST_PORT;
    cc->frame_len = (uint32_t)pk_jnum(j, "load.frame_bytes") - NIC_FCS_BYTES;
    link_figures(r, cc);
    if (!strcmp(pk_jstr(j, "load.protocol"), "kvs"))
        return kvs_setup(r, cc, err, errlen);
    return 0;
}

static int replay_open(pkrun_t *r, char *err, size_t errlen)
{
    const cJSON *j = r->cfg->json;
    char path[4096];
    wl_client_cfg_t link = {0};
    link_figures(r, &link);
    pkreplay_cfg_t pc = {
        .path = pk_config_file(r, pk_jstr(j, "load.pcap.file"), path, sizeof path),
        .time_scale = pk_jnum(j, "load.pcap.time_scale"),
        .loops = (unsigned)pk_jnum(j, "load.pcap.loop"),
        .rewrite_dst = pk_jbool(j, "load.pcap.rewrite_dst"),
        .max_frame = r->m.cfg.nic.max_frame - NIC_FCS_BYTES,
        .t_start_ps = load_start(r),
        .ps_per_byte = link.ps_per_byte,
        .ifg_ps = link.ifg_ps,
    };
    memcpy(pc.host_mac, pk_host_mac, 6);
    memcpy(pc.host_ip, pk_host_ip, 4);
    memcpy(pc.src_mac, pk_client_mac, 6);
    char e[600];
    r->wire->replay = pkreplay_open(&pc, e, sizeof e);
    if (!r->wire->replay)
        snprintf(err, errlen, "%s: load.pcap.file: %s", r->cfg->path, e);
    r->warmup = 0;
    return r->wire->replay ? 0 : -1;
}

static int capture_open(pkrun_t *r, char *err, size_t errlen)
{
    const cJSON *v = sim_json_at(r->cfg->json, "outputs.pcap");
    if (!v)
        return 0;
    pkwire_t *w = r->wire;
    char e[600];
    pk_config_file(r, v->valuestring, w->capture_path, sizeof w->capture_path);
    w->capture = results_prepare_parent(w->capture_path, e, sizeof e)
                     ? NULL
                     : trace_pcapw_open(w->capture_path, 0, e, sizeof e);
    if (!w->capture)
        snprintf(err, errlen, "%s: outputs.pcap: %s", r->cfg->path, e);
    return w->capture ? 0 : -1;
}

int pkwire_create(pkrun_t *r, char *err, size_t errlen)
{
    const char *kind = pk_jstr(r->cfg->json, "load.kind");
    if (!strcmp(kind, "none"))
        return 0;
    if (!r->m.nic) {
        snprintf(err, errlen, "%s: machine.nic: the client needs a NIC", r->cfg->path);
        return -1;
    }
    pkwire_t *w = r->wire = sim_xcalloc(1, sizeof *w);
    w->drain_ps = (sim_time_t)llround(pk_jnum(r->cfg->json, "load.drain_us") * 1e6);
    if (!strcmp(kind, "pcap")) {
        if (replay_open(r, err, errlen))
            return -1;
    } else {
        wl_client_cfg_t cc;
        char e[1024];
        if (client_cfg(r, &cc, e, sizeof e) || wl_client_init(&w->client, &cc, e, sizeof e)) {
            snprintf(err, errlen, "%s: load: %s", r->cfg->path, e);
            return -1;
        }
        w->client_up = true;
    }
    if (capture_open(r, err, errlen))
        return -1;
    nic_set_wire_tx(r->m.nic, on_wire_tx, r);
    return 0;
}

void pkwire_start(pkrun_t *r)
{
    if (r->wire)
        schedule_next(r);
}

void pkwire_finish(pkrun_t *r)
{
    pkwire_t *w = r->wire;
    if (w && w->client_up)
        wl_client_expire(&w->client, sim_now(r->sim));
    if (w && w->capture) {
        char e[600];
        w->capture_frames = trace_pcapw_count(w->capture);
        if (trace_pcapw_close(w->capture, e, sizeof e) < 0) {
            fprintf(stderr, "parasim: outputs.pcap: %s\n", e);
            w->capture_failed = true;
        }
        w->capture = NULL;
    }
}

bool pkwire_failed(const pkrun_t *r)
{
    return r->wire && r->wire->capture_failed;
}

void pkwire_destroy(pkrun_t *r)
{
    pkwire_t *w = r->wire;
    if (!w)
        return;
    if (w->client_up)
        wl_client_free(&w->client);
    if (w->capture)
        trace_pcapw_abort(w->capture);
    pkreplay_close(w->replay);
    if (w->kvs_up)
        wl_kvs_proto_free(&w->kvs);
    free(w->kv_reqs);
    free(w->kv_times);
    free(w->steps);
    free(w);
    r->wire = NULL;
}

double pkwire_progress(pkrun_t *r)
{
    pkwire_t *w = r->wire;
    if (!w)
        return 0;
    if (w->replay) {
        const pkreplay_stats_t *s = pkreplay_stats(w->replay);
        return (double)s->sent / (double)(s->packets * (uint64_t)pk_jnum(r->cfg->json, "load.pcap.loop"));
    }
    const wl_client_stats_t *st = wl_client_stats(&w->client);
    return (double)(st->answered + st->timed_out) / (double)w->client.cfg.requests;
}

/* Requests answered; frames sent for a replay. */
uint64_t pkwire_answered(pkrun_t *r)
{
    if (!r->wire)
        return 0;
    if (r->wire->replay)
        return pkreplay_stats(r->wire->replay)->sent;
    return wl_client_stats(&r->wire->client)->answered;
}

/* ---------------------------------------------------------------- results */

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

/* Requests the host never answered, by where the NIC dropped them. */
static void drops_json(pkrun_t *r, cJSON *o)
{
    cJSON *d = cJSON_AddObjectToObject(o, "nic_drops");
    for (int k = 0; k < NIC_DROP_KINDS; k++) {
        uint64_t n = 0;
        for (unsigned q = 0; q < r->m.cfg.nic.queues; q++)
            n += nic_queue_stats(r->m.nic, q)->rx_drops[k];
        add_u64(d, nic_drop_name((nic_drop_t)k), n);
    }
}

static void outcomes_json(const wl_client_t *c, const wl_client_stats_t *st, cJSON *o)
{
    unsigned n;
    const char *const *names = wl_client_outcomes(c, &n);
    cJSON *oc = cJSON_AddObjectToObject(o, "outcomes");
    uint64_t hit = 0, miss = 0;
    bool has_hit = false, has_miss = false;
    for (unsigned i = 0; i < n; i++) {
        add_u64(oc, names[i], st->outcome[i]);
        if (!strcmp(names[i], "hit"))
            hit = st->outcome[i], has_hit = true;
        if (!strcmp(names[i], "miss"))
            miss = st->outcome[i], has_miss = true;
    }
    if (has_hit && has_miss)
        cJSON_AddNumberToObject(o, "hit_rate", hit + miss ? (double)hit / (double)(hit + miss) : 0);
}

static cJSON *replay_json(pkrun_t *r, cJSON *o)
{
    pkwire_t *w = r->wire;
    const pkreplay_stats_t *s = pkreplay_stats(w->replay);
    cJSON_AddStringToObject(o, "load", "pcap");
    cJSON *p = cJSON_AddObjectToObject(o, "replay");
    cJSON_AddStringToObject(p, "file", pk_jstr(r->cfg->json, "load.pcap.file"));
    add_u64(p, "records", s->records);
    add_u64(p, "packets", s->packets);
    add_u64(p, "loops", s->loops_done);
    add_u64(p, "sent", s->sent);
    add_u64(p, "skipped_linktype", s->skipped_linktype);
    add_u64(p, "oversize", s->oversize);
    add_u64(p, "truncated", s->truncated);
    add_u64(p, "unusable", s->unusable);
    add_u64(p, "rewritten", s->rewritten);
    add_u64(p, "paced", s->paced);
    cJSON_AddNumberToObject(p, "span_ns", (double)s->span_ps / 1000.0);
    add_u64(o, "host_frames", w->host_frames);
    add_u64(o, "host_bytes", w->host_bytes);
    drops_json(r, o);
    return o;
}

static void capture_json(const pkwire_t *w, cJSON *o)
{
    if (!w->capture_path[0])
        return;
    cJSON *c = cJSON_AddObjectToObject(o, "capture");
    cJSON_AddStringToObject(c, "file", w->capture_path);
    add_u64(c, "frames", w->capture_frames);
}

cJSON *pkwire_results(pkrun_t *r)
{
    cJSON *o = cJSON_CreateObject();
    pkwire_t *w = r->wire;
    if (!w)
        return o;
    capture_json(w, o);
    if (w->replay)
        return replay_json(r, o);
    const wl_client_stats_t *st = wl_client_stats(&w->client);
    cJSON_AddStringToObject(o, "load", wl_load_kind_name(w->client.cfg.load));
    add_u64(o, "offered", w->client.cfg.requests);
    add_u64(o, "sent", st->sent);
    add_u64(o, "completed", st->answered);
    add_u64(o, "dropped", st->unanswered);
    add_u64(o, "timed_out", st->timed_out);
    add_u64(o, "late", st->late);
    add_u64(o, "warmup", r->warmup);
    add_u64(o, "measured", st->measured);
    add_u64(o, "paced", st->paced);
    outcomes_json(&w->client, st, o);
    cJSON *bad = cJSON_AddObjectToObject(o, "responses");
    add_u64(bad, "duplicates", st->duplicates);
    add_u64(bad, "unknown", st->unknown);
    add_u64(bad, "malformed", st->malformed);
    drops_json(r, o);
    return o;
}

cJSON *pkwire_latency(pkrun_t *r)
{
    static hist_t empty;
    if (!r->wire || !r->wire->client_up) {
        hist_init(&empty);
        return results_latency_json(&empty);
    }
    return results_latency_json(wl_client_latency(&r->wire->client));
}
