/* tests/workloads/check_kvs: the MICA-like key-value store server
 * (workloads/kvs.c) as parakernel processes on a simulated machine: the
 * real kernel booted by tests/kernel/kharness.h, the processes hosted by
 * sim/proc, request frames put on the NIC's wire with nic_wire_rx and the
 * responses taken off it with the wire-tx callback.
 *
 * Expectations are independent of the server: request frames are built
 * here byte by byte (tests/frames.h and the documented body layout), the
 * canonical values, key names and partitions come from
 * tests/workloads/kvs_ref.h, checksums from RFC 791 / RFC 768 computed
 * here, the queue RSS would pick from the Toeplitz hash and the kernel's
 * documented round-robin RETA, and the log's wraps and the index's
 * evictions from positions worked out by hand in the comments. */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>

#include "devices/nic.h"
#include "sim/proc.h"
#include "tests/frames.h"
#include "tests/kernel/kharness.h"
#include "tests/workloads/kvs_ref.h"
#include "workloads/kvs.h"
#include "workloads/kvs_proto.h"

#define LINK_GBPS 40u
#define MAX_CAP 512u
#define FRAME_CAP 1600u
#define MAX_INJ 1024u
#define MAX_PROCS 4u
#define PORT0 9000u

static const uint8_t CLIENT_MAC[6] = {0x02, 0, 0, 0, 0, 2}; /* frames.h's source */
static const uint8_t HOST_IP[4] = {10, 0, 0, 1};

typedef struct host {
    kh_t h;
    proc_rt_t *rt;
    unsigned nprocs;
    unsigned n;                           /* frames seen on the wire */
    uint8_t frame[MAX_CAP][FRAME_CAP];
    size_t len[MAX_CAP];
    uint8_t inj[MAX_INJ][FRAME_CAP];      /* frames to put on the wire */
    size_t inj_len[MAX_INJ];
    unsigned ninj;
    sim_time_t t0;                        /* the processes are ready */
} host_t;

static host_t H;

/* ---------------------------------------------------------------- RFC checksums */

/* ---------------------------------------------------------------- requests */

typedef struct req {
    uint64_t id;
    unsigned op;                 /* 1 GET, 2 SET */
    const char *key;
    unsigned klen;
    unsigned vlen;               /* SET: canonical bytes of this length */
    uint16_t dport;
    uint16_t sport;              /* 0: 40000 */
    uint8_t sip_last;            /* 10.1.0.x, 0: 5 */
} req_t;

/* A request frame from the documented layout: 42 header bytes, the
 * 16-byte request header (id, a time), the body; valid checksums; padded
 * to 60 bytes.  Its length. */
static size_t build_body(uint8_t *f, const uint8_t *body, size_t blen, uint64_t id,
                         uint8_t sip_last, uint16_t sport, uint16_t dport)
{
    uint8_t sip[4] = {10, 1, 0, sip_last ? sip_last : 5};
    size_t n = 42 + WL_PROTO_HDR + blen;
    memset(f, 0, n < 60 ? 60 : n);
    frame_udp4_headers(f, n, sip, HOST_IP, sport ? sport : 40000, dport);
    for (int i = 0; i < 8; i++) {
        f[42 + i] = (uint8_t)(id >> (56 - 8 * i));
        f[50 + i] = (uint8_t)((0x1122334455667788ull + id) >> (56 - 8 * i));
    }
    if (blen)
        memcpy(f + 42 + WL_PROTO_HDR, body, blen);
    unsigned s = ~ones_sum(0, f + 14, 20) & 0xffff;
    frame_put16(f + 24, s);
    s = ~udp_sum(f) & 0xffff;
    frame_put16(f + 40, s ? s : 0xffff);
    return n < 60 ? 60 : n;
}

static size_t build(uint8_t *f, const req_t *r)
{
    uint8_t body[4 + 64 + FRAME_CAP];
    body[0] = (uint8_t)r->op;
    body[1] = (uint8_t)r->klen;
    unsigned vlen = r->op == 2 ? r->vlen : 0;
    body[2] = (uint8_t)(vlen >> 8);
    body[3] = (uint8_t)vlen;
    memcpy(body + 4, r->key, r->klen);
    for (unsigned i = 0; i < vlen; i++)
        body[4 + r->klen + i] = ref_value_byte(r->key, r->klen, i);
    return build_body(f, body, 4 + r->klen + vlen, r->id, r->sip_last, r->sport, r->dport);
}

/* ---------------------------------------------------------------- the wire */

static void on_wire_tx(void *ctx, const uint8_t *frame, size_t len, sim_time_t t_last_bit)
{
    host_t *x = ctx;
    (void)t_last_bit;
    if (x->n < MAX_CAP) {
        memcpy(x->frame[x->n], frame, len < FRAME_CAP ? len : FRAME_CAP);
        x->len[x->n] = len;
    }
    x->n++;
}

static void inject_event(sim_t *sim, void *arg, uint64_t i)
{
    (void)sim;
    host_t *x = arg;
    nic_wire_rx(x->h.m.nic, x->inj[i], x->inj_len[i]);
}

/* Put r on the wire at t (absolute); its slot. */
static unsigned send_at(sim_time_t t, const req_t *r)
{
    ck_assert_uint_lt(H.ninj, MAX_INJ);
    unsigned slot = H.ninj++;
    H.inj_len[slot] = build(H.inj[slot], r);
    sim_at(H.h.sim, t, inject_event, &H, slot);
    return slot;
}

static unsigned send_raw_at(sim_time_t t, const uint8_t *f, size_t len)
{
    ck_assert_uint_lt(H.ninj, MAX_INJ);
    unsigned slot = H.ninj++;
    memcpy(H.inj[slot], f, len);
    H.inj_len[slot] = len;
    sim_at(H.h.sim, t, inject_event, &H, slot);
    return slot;
}

/* ---------------------------------------------------------------- the host */

/* nprocs kvs processes (one NIC queue each, process i on core i), process
 * i with params[i] (np[i] of them) plus instance=i, instances=nprocs. */
static void host_up_med(unsigned nprocs, enum pk_mediation med, const wl_param_t *extra,
                        size_t nextra)
{
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    cfg.nvme_present = false;
    cfg.nic.link_gbps = LINK_GBPS;
    memset(&H, 0, sizeof H);
    ck_assert_msg(kh_init(&H.h, &cfg) == 0, "%s", H.h.err);
    kh_plan(&H.h, nprocs, 1, 0);
    H.h.plan.mediation = med;
    H.nprocs = nprocs;
    ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
    H.rt = proc_rt_create(&H.h.m, NULL);
    ck_assert_ptr_nonnull(H.rt);
    for (unsigned i = 0; i < nprocs; i++) {
        char inst[12], insts[12], err[240] = "";
        snprintf(inst, sizeof inst, "%u", i);
        snprintf(insts, sizeof insts, "%u", nprocs);
        wl_param_t p[16] = {{"instance", inst}, {"instances", insts}};
        ck_assert_uint_le(nextra, 14);
        if (nextra)
            memcpy(p + 2, extra, nextra * sizeof *extra);
        ck_assert_msg(proc_spawn(H.rt, i, kh_core(&H.h, i), &wl_app_kvs, p, 2 + nextra, err,
                                 sizeof err) == 0,
                      "%s", err);
    }
    nic_set_wire_tx(H.h.m.nic, on_wire_tx, &H);
    proc_rt_start(H.rt);
    sim_time_t t = 0;
    for (unsigned i = 0; i < nprocs; i++)
        if (kh_core_time(&H.h, kh_core(&H.h, i)) > t)
            t = kh_core_time(&H.h, kh_core(&H.h, i));
    H.t0 = t + SIM_US(20);
    kh_run_until(&H.h, H.t0);
}

static void host_up(unsigned nprocs, const wl_param_t *extra, size_t nextra)
{
    host_up_med(nprocs, PK_MEDIATE_RANGE, extra, nextra);
}

static void host_down(void)
{
    proc_rt_destroy(H.rt);
    kh_fini(&H.h);
}

static wl_kvs_counters_t counters(unsigned pid)
{
    wl_report_t r;
    ck_assert_int_eq(proc_app_report(H.rt, pid, &r), 0);
    wl_kvs_counters_t c;
    memset(&c, 0, sizeof c);
    static const struct {
        const char *key;
        size_t off;
    } f[] = {
        {"gets", offsetof(wl_kvs_counters_t, gets)},
        {"sets", offsetof(wl_kvs_counters_t, sets)},
        {"hits", offsetof(wl_kvs_counters_t, hits)},
        {"misses", offsetof(wl_kvs_counters_t, misses)},
        {"stored", offsetof(wl_kvs_counters_t, stored)},
        {"refused", offsetof(wl_kvs_counters_t, refused)},
        {"misrouted", offsetof(wl_kvs_counters_t, misrouted)},
        {"malformed", offsetof(wl_kvs_counters_t, malformed)},
        {"dropped", offsetof(wl_kvs_counters_t, dropped)},
        {"prefilled", offsetof(wl_kvs_counters_t, prefilled)},
        {"evictions", offsetof(wl_kvs_counters_t, evictions)},
        {"log_wraps", offsetof(wl_kvs_counters_t, log_wraps)},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        bool found = false;
        for (size_t e = 0; e < r.n; e++)
            if (strcmp(r.e[e].key, f[i].key) == 0 && r.e[e].kind == WL_REPORT_U64) {
                memcpy((char *)&c + f[i].off, &r.e[e].u64, sizeof(uint64_t));
                found = true;
            }
        ck_assert_msg(found, "report lacks %s", f[i].key);
    }
    return c;
}

static double hit_rate(unsigned pid)
{
    wl_report_t r;
    ck_assert_int_eq(proc_app_report(H.rt, pid, &r), 0);
    for (size_t e = 0; e < r.n; e++)
        if (strcmp(r.e[e].key, "hit_rate") == 0 && r.e[e].kind == WL_REPORT_NUM)
            return r.e[e].num;
    ck_abort_msg("report lacks hit_rate");
    return -1;
}

/* ---------------------------------------------------------------- responses */

typedef struct resp {
    unsigned op, status, vlen;
    const uint8_t *value;
} resp_t;

/* The captured response to the request in injected slot `slot`: checks
 * its addresses (swapped), checksums (valid, UDP non-zero), lengths and
 * request header (unchanged), and returns its body. */
static resp_t response_to(unsigned slot)
{
    const uint8_t *q = H.inj[slot];
    uint64_t id = be64(q + 42);
    for (unsigned i = 0; i < H.n && i < MAX_CAP; i++) {
        const uint8_t *f = H.frame[i];
        if (H.len[i] < 62 || be64(f + 42) != id)
            continue;
        size_t len = H.len[i];
        unsigned ulen = be16(f + 38);
        ck_assert_mem_eq(f, q + 6, 6);            /* to the client's MAC */
        ck_assert_mem_eq(f, CLIENT_MAC, 6);
        ck_assert_mem_eq(f + 6, q, 6);            /* from the host's */
        ck_assert_mem_eq(f + 26, q + 30, 4);      /* IPv4 addresses swapped */
        ck_assert_mem_eq(f + 30, q + 26, 4);
        ck_assert_mem_eq(f + 34, q + 36, 2);      /* UDP ports swapped */
        ck_assert_mem_eq(f + 36, q + 34, 2);
        ck_assert_mem_eq(f + 42, q + 42, 16);     /* request header unchanged */
        ck_assert_uint_eq(be16(f + 16), 20 + ulen);
        ck_assert_uint_eq(len, 34 + ulen < 60 ? 60 : 34 + ulen);
        ck_assert_uint_eq(ones_sum(0, f + 14, 20), 0xffff);
        ck_assert_uint_ne(be16(f + 40), 0);
        ck_assert_uint_eq(udp_sum(f), 0xffff);
        ck_assert_uint_ge(ulen, 8 + 16 + 4);
        resp_t r = {f[58], f[59], be16(f + 60), f + 62};
        ck_assert_uint_eq(ulen, 8 + 16 + 4 + r.vlen);
        return r;
    }
    ck_abort_msg("no response to request %llu", (unsigned long long)id);
    return (resp_t){0, 0, 0, NULL};
}

static bool answered(unsigned slot)
{
    uint64_t id = be64(H.inj[slot] + 42);
    for (unsigned i = 0; i < H.n && i < MAX_CAP; i++)
        if (H.len[i] >= 62 && be64(H.frame[i] + 42) == id)
            return true;
    return false;
}

static void check_hit(unsigned slot, const char *key, unsigned klen, unsigned vlen)
{
    resp_t r = response_to(slot);
    ck_assert_uint_eq(r.op, 1);
    ck_assert_uint_eq(r.status, 0);
    ck_assert_uint_eq(r.vlen, vlen);
    for (unsigned i = 0; i < vlen; i++)
        ck_assert_msg(r.value[i] == ref_value_byte(key, klen, i), "value byte %u: %u, want %u",
                      i, r.value[i], ref_value_byte(key, klen, i));
}

static void check_status(unsigned slot, unsigned op, unsigned status)
{
    resp_t r = response_to(slot);
    ck_assert_uint_eq(r.op, op);
    ck_assert_uint_eq(r.status, status);
    ck_assert_uint_eq(r.vlen, 0);
}

/* A key name of partition p of parts, from the k-th on: the index used. */
static uint64_t key_in(unsigned p, unsigned parts, uint64_t k, char name[16])
{
    for (;; k++) {
        ref_key_name(k, 16, name);
        if (ref_partition(name, 16, parts) == p)
            return k;
    }
}

/* ---------------------------------------------------------------- tests */

/* SET then GET returns the canonical value byte by byte; a second SET of
 * another length replaces it; a never-set key is a miss. */
START_TEST(test_set_then_get_returns_canonical_value)
{
    static const enum pk_mediation meds[] = {PK_MEDIATE_RANGE, PK_MEDIATE_POOL};
    for (size_t m = 0; m < 2; m++) {
        host_up_med(1, meds[m], NULL, 0);
        static const char key[] = "user:0042", other[] = "never-set";
        sim_time_t t = H.t0 + SIM_US(10);
        unsigned s1 = send_at(t, &(req_t){.id = 1, .op = 2, .key = key, .klen = 9, .vlen = 100,
                                          .dport = PORT0});
        unsigned g1 = send_at(t + SIM_US(10), &(req_t){.id = 2, .op = 1, .key = key, .klen = 9,
                                                       .dport = PORT0});
        unsigned g2 = send_at(t + SIM_US(20), &(req_t){.id = 3, .op = 1, .key = other,
                                                       .klen = 9, .dport = PORT0});
        unsigned s2 = send_at(t + SIM_US(30), &(req_t){.id = 4, .op = 2, .key = key, .klen = 9,
                                                       .vlen = 20, .dport = PORT0});
        unsigned g3 = send_at(t + SIM_US(40), &(req_t){.id = 5, .op = 1, .key = key, .klen = 9,
                                                       .dport = PORT0});
        kh_run_until(&H.h, t + SIM_US(200));
        ck_assert_uint_eq(H.n, 5);
        check_status(s1, 2, 0);
        check_hit(g1, key, 9, 100);
        check_status(g2, 1, 1);
        check_status(s2, 2, 0);
        check_hit(g3, key, 9, 20);
        wl_kvs_counters_t c = counters(0);
        ck_assert_uint_eq(c.gets, 3);
        ck_assert_uint_eq(c.sets, 2);
        ck_assert_uint_eq(c.hits, 2);
        ck_assert_uint_eq(c.misses, 1);
        ck_assert_uint_eq(c.stored, 2);
        ck_assert_uint_eq(c.refused + c.misrouted + c.malformed + c.dropped, 0);
        ck_assert(hit_rate(0) > 0.666 && hit_rate(0) < 0.667);
        wl_app_stats_t st;
        ck_assert_int_eq(proc_app_stats(H.rt, 0, &st), 0);
        ck_assert_uint_eq(st.rx_frames, 5);
        ck_assert_uint_eq(st.requests, 5);
        host_down();
    }
}
END_TEST

static uint16_t rss_queue(uint8_t sip_last, uint16_t sport, uint16_t dport);

/* A request for partition 0's key sent to partition 1's port: the flow
 * director brings it to process 1, which refuses it (misrouted) and
 * stores nothing; process 0 then misses the key.  A request to a port no
 * partition has (RSS picks the process) is refused too, even with a key
 * of the partition of the process it reaches. */
START_TEST(test_misrouted_request_refused_and_counted)
{
    host_up(2, NULL, 0);
    char key[16], key_q[16];
    key_in(0, 2, 0, key);
    sim_time_t t = H.t0 + SIM_US(10);
    unsigned s = send_at(t, &(req_t){.id = 1, .op = 2, .key = key, .klen = 16, .vlen = 8,
                                     .dport = PORT0 + 1});
    unsigned g = send_at(t + SIM_US(10), &(req_t){.id = 2, .op = 1, .key = key, .klen = 16,
                                                  .dport = PORT0 + 1});
    unsigned g0 = send_at(t + SIM_US(20), &(req_t){.id = 3, .op = 1, .key = key, .klen = 16,
                                                   .dport = PORT0});
    struct pk_info i1;
    ck_assert_int_eq(kh_info(&H.h, 1, &i1), 0);
    unsigned q = rss_queue(5, 40000, PORT0 + 100) == i1.nic_queue[0]; /* the process RSS picks */
    key_in(q, 2, 0, key_q);
    unsigned u = send_at(t + SIM_US(30), &(req_t){.id = 4, .op = 1, .key = key_q, .klen = 16,
                                                  .dport = PORT0 + 100});
    kh_run_until(&H.h, t + SIM_US(200));
    check_status(s, 2, 2);
    check_status(g, 1, 2);
    check_status(g0, 1, 1);
    check_status(u, 1, 2);
    wl_kvs_counters_t c1 = counters(1), c0 = counters(0);
    ck_assert_uint_eq(c1.misrouted, 2 + (q == 1));
    ck_assert_uint_eq(c1.gets + c1.sets + c1.stored, 0);
    ck_assert_uint_eq(c0.misrouted, q == 0);
    ck_assert_uint_eq(c0.gets, 1);
    ck_assert_uint_eq(c0.misses, 1);
    host_down();
}
END_TEST

/* The queue RSS would pick: Toeplitz over source IP, destination IP,
 * source port, destination port (MRQC's UDP 4-tuple), RETA[hash & 127],
 * the kernel's RETA round robin over the processes' queues. */
static uint16_t rss_queue(uint8_t sip_last, uint16_t sport, uint16_t dport)
{
    uint8_t in[12] = {10, 1, 0, sip_last, 10, 0, 0, 1};
    frame_put16(in + 8, sport);
    frame_put16(in + 10, dport);
    uint32_t h = nic_rss_toeplitz(kh_rss_key, sizeof kh_rss_key, in, sizeof in);
    struct pk_info info;
    ck_assert_int_eq(kh_info(&H.h, (h & 127) % H.nprocs, &info), 0);
    return info.nic_queue[0];
}

/* Four processes; for each partition, requests from flows RSS would send
 * to another process's queue.  With steering every one arrives on the
 * owner's queue and is served there; without (steer=0) every one lands
 * elsewhere and is refused as misrouted. */
START_TEST(test_flow_director_steers_each_partition)
{
    enum { PER = 4 };
    for (int run = 0; run < 2; run++) {
        bool steer = run == 0;
        wl_param_t p[1] = {{"steer", steer ? "1" : "0"}};
        host_up(4, p, 1);
        struct pk_info info[4];
        for (unsigned i = 0; i < 4; i++)
            ck_assert_int_eq(kh_info(&H.h, i, &info[i]), 0);
        static char keys[4][PER][16];
        unsigned slots[4][PER], elsewhere = 0;
        uint64_t k = 0;
        uint16_t sport = 1024;
        sim_time_t t = H.t0 + SIM_US(10);
        for (unsigned part = 0; part < 4; part++) {
            for (unsigned j = 0; j < PER; j++) {
                k = key_in(part, 4, k, keys[part][j]) + 1;
                while (rss_queue(7, sport, (uint16_t)(PORT0 + part)) == info[part].nic_queue[0])
                    sport++;
                elsewhere++;
                slots[part][j] = send_at(t, &(req_t){.id = 100 * part + j, .op = 2,
                                                     .key = keys[part][j], .klen = 16, .vlen = 24,
                                                     .dport = (uint16_t)(PORT0 + part),
                                                     .sport = sport, .sip_last = 7});
                t += SIM_US(2);
                sport++;
            }
        }
        ck_assert_uint_eq(elsewhere, 4 * PER);
        kh_run_until(&H.h, t + SIM_US(200));
        ck_assert_uint_eq(H.n, 4 * PER);
        uint64_t misrouted = 0;
        for (unsigned part = 0; part < 4; part++) {
            wl_kvs_counters_t c = counters(part);
            const nic_queue_stats_t *qs = nic_queue_stats(H.h.m.nic, info[part].nic_queue[0]);
            misrouted += c.misrouted;
            for (unsigned j = 0; j < PER; j++)
                check_status(slots[part][j], 2, steer ? 0 : 2);
            if (steer) {
                ck_assert_uint_eq(qs->rx_packets, PER);
                ck_assert_uint_eq(c.sets, PER);
                ck_assert_uint_eq(c.stored, PER);
                ck_assert_uint_eq(c.misrouted, 0);
            } else {
                ck_assert_uint_eq(c.sets, 0);
            }
        }
        ck_assert_uint_eq(misrouted, steer ? 0 : 4 * PER);
        if (steer)
            ck_assert_uint_eq(nic_stats(H.h.m.nic)->fdir_match, 4 * PER);
        host_down();
    }
}
END_TEST

/* 16-byte key names and 28-byte values: items of 4 + 16 + 28 = 48 bytes. */
static unsigned kv_set(sim_time_t *t, unsigned k)
{
    static char names[64][16];
    ref_key_name(k, 16, names[k]);
    unsigned s = send_at(*t, &(req_t){.id = 1000 + H.ninj, .op = 2, .key = names[k], .klen = 16,
                                      .vlen = 28, .dport = PORT0});
    *t += SIM_US(2);
    return s;
}

static unsigned kv_get(sim_time_t *t, unsigned k)
{
    static char names[64][16];
    ref_key_name(k, 16, names[k]);
    unsigned s = send_at(*t, &(req_t){.id = 1000 + H.ninj, .op = 1, .key = names[k], .klen = 16,
                                      .dport = PORT0});
    *t += SIM_US(2);
    return s;
}

static void expect_get(unsigned slot, unsigned k, bool hit)
{
    char name[16];
    ref_key_name(k, 16, name);
    if (hit)
        check_hit(slot, name, 16, 28);
    else
        check_status(slot, 1, 1);
}

/* A 256-byte log, one bucket.  Items of 48 bytes: k0..k4 at positions
 * 0, 48, 96, 144, 192; k5 would end at 288 > 256, so it goes to 256 (the
 * log's start again: wrap 1), tail 304, and the log holds [48, 304): k0
 * is gone, k1..k5 are there.  k5 takes k0's stale slot: no eviction.
 * Then k6..k9 at 304, 352, 400, 448 (offsets 48..192), k10 wraps again
 * to 512 (wrap 2), tail 560: the log holds [304, 560), k6..k10; each new
 * key took the slot of an item the log had overwritten (k1..k5 in turn):
 * still no eviction. */
START_TEST(test_log_wrap_loses_old_keys)
{
    static const wl_param_t p[] = {{"log_bytes", "256"}, {"index_buckets", "1"}};
    host_up(1, p, 2);
    sim_time_t t = H.t0 + SIM_US(10);
    unsigned g[11];
    for (unsigned k = 0; k <= 5; k++)
        kv_set(&t, k);
    for (unsigned k = 0; k <= 5; k++)
        g[k] = kv_get(&t, k);
    t += SIM_US(100);
    kh_run_until(&H.h, t);
    expect_get(g[0], 0, false);
    for (unsigned k = 1; k <= 5; k++)
        expect_get(g[k], k, true);
    wl_kvs_counters_t c = counters(0);
    ck_assert_uint_eq(c.log_wraps, 1);
    ck_assert_uint_eq(c.evictions, 0);
    ck_assert_uint_eq(c.misses, 1);
    for (unsigned k = 6; k <= 10; k++)
        kv_set(&t, k);
    for (unsigned k = 5; k <= 10; k++)
        g[k] = kv_get(&t, k);
    kh_run_until(&H.h, t + SIM_US(100));
    expect_get(g[5], 5, false);
    for (unsigned k = 6; k <= 10; k++)
        expect_get(g[k], k, true);
    c = counters(0);
    ck_assert_uint_eq(c.log_wraps, 2);
    ck_assert_uint_eq(c.evictions, 0);
    ck_assert_uint_eq(c.stored, 11);
    ck_assert_uint_eq(c.hits, 10);
    ck_assert_uint_eq(c.misses, 2);
    host_down();
}
END_TEST

/* A 4 KiB log (never full here), one bucket of 8 slots: k0..k7 fill it,
 * k8 evicts the oldest (k0), k9 the next oldest (k1): 2 evictions; a SET
 * of k2 again reuses k2's own slot (no eviction). */
START_TEST(test_full_bucket_evicts_oldest)
{
    static const wl_param_t p[] = {{"log_bytes", "4096"}, {"index_buckets", "1"}};
    host_up(1, p, 2);
    sim_time_t t = H.t0 + SIM_US(10);
    unsigned g[10];
    for (unsigned k = 0; k <= 9; k++)
        kv_set(&t, k);
    kv_set(&t, 2);
    for (unsigned k = 0; k <= 9; k++)
        g[k] = kv_get(&t, k);
    kh_run_until(&H.h, t + SIM_US(100));
    for (unsigned k = 0; k <= 9; k++)
        expect_get(g[k], k, k >= 2);
    wl_kvs_counters_t c = counters(0);
    ck_assert_uint_eq(c.evictions, 2);
    ck_assert_uint_eq(c.log_wraps, 0);
    ck_assert_uint_eq(c.stored, 11);
    ck_assert_uint_eq(c.hits, 8);
    ck_assert_uint_eq(c.misses, 2);
    host_down();
}
END_TEST

/* Two processes prefilled with keys 0..299 (each its own partition's):
 * GETs of prefilled keys all hit, hit rate 1.0 on both. */
START_TEST(test_prefill_gives_all_hits)
{
    static const wl_param_t p[] = {{"prefill", "300"}, {"key_bytes", "16"},
                                   {"value_bytes", "40"}};
    host_up(2, p, 3);
    unsigned want[2] = {0, 0};
    for (uint64_t k = 0; k < 300; k++) {
        char name[16];
        ref_key_name(k, 16, name);
        want[ref_partition(name, 16, 2)]++;
    }
    ck_assert_uint_eq(counters(0).prefilled, want[0]);
    ck_assert_uint_eq(counters(1).prefilled, want[1]);
    static char names[60][16];
    unsigned slot[60];
    sim_time_t t = H.t0 + SIM_US(10);
    for (unsigned k = 0; k < 60; k++) {
        uint64_t key = k * 5; /* spread over 0..295 */
        ref_key_name(key, 16, names[k]);
        slot[k] = send_at(t, &(req_t){.id = k, .op = 1, .key = names[k], .klen = 16,
                                      .dport = (uint16_t)(PORT0 + ref_partition(names[k], 16, 2))});
        t += SIM_US(1);
    }
    kh_run_until(&H.h, t + SIM_US(100));
    for (unsigned k = 0; k < 60; k++)
        check_hit(slot[k], names[k], 16, 40);
    wl_kvs_counters_t c0 = counters(0), c1 = counters(1);
    ck_assert_uint_eq(c0.gets + c1.gets, 60);
    ck_assert_uint_gt(c0.gets, 0);
    ck_assert_uint_gt(c1.gets, 0);
    ck_assert(hit_rate(0) == 1.0);
    ck_assert(hit_rate(1) == 1.0);
    host_down();
}
END_TEST

/* Frames that are not requests get no answer (counted) and the server
 * keeps serving; the largest value a 1514-byte frame carries with a
 * 1-byte key (1514 - 62 - 1 = 1451 bytes) is stored and returned. */
START_TEST(test_bad_frames_dropped_largest_value_served)
{
    host_up(1, NULL, 0);
    sim_time_t t = H.t0 + SIM_US(10);
    uint8_t f[FRAME_CAP];
    static const uint8_t bad_op[] = {9, 1, 0, 0, 'k'};
    size_t n = build_body(f, bad_op, sizeof bad_op, 1, 0, 0, PORT0);
    unsigned b1 = send_raw_at(t, f, n);
    static const uint8_t short_body[] = {1, 4, 0, 0, 'k'}; /* key_len 4, one key byte */
    n = build_body(f, short_body, sizeof short_body, 2, 0, 0, PORT0);
    unsigned b2 = send_raw_at(t + SIM_US(2), f, n);
    n = build_body(f, NULL, 0, 3, 0, 0, PORT0); /* only the request header */
    unsigned b3 = send_raw_at(t + SIM_US(4), f, n);
    req_t r = {.id = 4, .op = 1, .key = "abc", .klen = 3, .dport = PORT0};
    n = build(f, &r);
    f[23] = 6; /* TCP */
    unsigned b4 = send_raw_at(t + SIM_US(6), f, n);
    unsigned big = send_at(t + SIM_US(8), &(req_t){.id = 5, .op = 2, .key = "b", .klen = 1,
                                                   .vlen = 1451, .dport = PORT0});
    unsigned get = send_at(t + SIM_US(12), &(req_t){.id = 7, .op = 1, .key = "b", .klen = 1,
                                                    .dport = PORT0});
    kh_run_until(&H.h, t + SIM_US(200));
    ck_assert(!answered(b1) && !answered(b2) && !answered(b3) && !answered(b4));
    ck_assert_uint_eq(H.inj_len[big], 1514);
    check_status(big, 2, 0);
    check_hit(get, "b", 1, 1451);
    ck_assert_uint_eq(H.len[H.n - 1], 1513);
    wl_kvs_counters_t c = counters(0);
    ck_assert_uint_eq(c.malformed, 3);
    ck_assert_uint_eq(c.dropped, 1);
    ck_assert_uint_eq(c.stored, 1);
    ck_assert_uint_eq(c.hits, 1);
    host_down();
}
END_TEST

/* A 64-byte log: an item of 4 + 16 + 48 = 68 bytes (72 padded) cannot be
 * stored and is refused; one of 4 + 16 + 40 = 60 (64) fits exactly. */
START_TEST(test_item_longer_than_log_refused)
{
    static const wl_param_t p[] = {{"log_bytes", "64"}};
    host_up(1, p, 1);
    sim_time_t t = H.t0 + SIM_US(10);
    static const char key[] = "0123456789abcdef";
    unsigned s1 = send_at(t, &(req_t){.id = 1, .op = 2, .key = key, .klen = 16, .vlen = 48,
                                      .dport = PORT0});
    unsigned g1 = send_at(t + SIM_US(2), &(req_t){.id = 2, .op = 1, .key = key, .klen = 16,
                                                  .dport = PORT0});
    unsigned s2 = send_at(t + SIM_US(4), &(req_t){.id = 3, .op = 2, .key = key, .klen = 16,
                                                  .vlen = 40, .dport = PORT0});
    unsigned g2 = send_at(t + SIM_US(6), &(req_t){.id = 4, .op = 1, .key = key, .klen = 16,
                                                  .dport = PORT0});
    kh_run_until(&H.h, t + SIM_US(100));
    check_status(s1, 2, 2);
    check_status(g1, 1, 1);
    check_status(s2, 2, 0);
    check_hit(g2, key, 16, 40);
    wl_kvs_counters_t c = counters(0);
    ck_assert_uint_eq(c.refused, 1);
    ck_assert_uint_eq(c.sets, 2);
    ck_assert_uint_eq(c.stored, 1);
    host_down();
}
END_TEST

/* The client-side protocol module drives four prefilled processes: a
 * Zipf mix of GETs and SETs, every response is correct by its check, and
 * every GET hits (prefilled keys; SETs store canonical values). */
START_TEST(test_proto_module_drives_the_servers)
{
    enum { N = 400 };
    static const wl_param_t p[] = {{"prefill", "1000"}, {"value_bytes", "32"}};
    host_up(4, p, 2);
    wl_kvs_proto_cfg_t c = {.seed = 3, .keys = 1000, .dist = WL_KVS_ZIPF, .theta = 0.99,
                            .get_ratio = 0.8, .key_bytes = 16, .value_bytes = 32,
                            .partitions = 4, .port_base = PORT0};
    wl_kvs_proto_t kp;
    wl_proto_t v;
    char err[200] = "";
    ck_assert_msg(wl_kvs_proto_init(&kp, &c, err, sizeof err) == 0, "%s", err);
    wl_kvs_proto_bind(&kp, &v);
    sim_time_t t = H.t0 + SIM_US(10);
    static unsigned slot[N];
    for (uint64_t id = 0; id < N; id++) {
        uint8_t body[WL_KVS_BODY_MAX], f[FRAME_CAP];
        uint16_t port = 7;
        size_t bl = v.request(v.ctx, id, body, sizeof body, &port);
        ck_assert_uint_gt(bl, 0);
        size_t n = build_body(f, body, bl, id, (uint8_t)(1 + id % 200), (uint16_t)(2000 + id),
                              port);
        slot[id] = send_raw_at(t, f, n);
        t += SIM_NS(500);
    }
    kh_run_until(&H.h, t + SIM_US(200));
    ck_assert_uint_eq(H.n, N);
    unsigned out[4] = {0};
    for (uint64_t id = 0; id < N; id++) {
        const uint8_t *f = NULL;
        for (unsigned i = 0; i < H.n; i++)
            if (be64(H.frame[i] + 42) == id)
                f = H.frame[i];
        ck_assert_ptr_nonnull(f);
        (void)response_to(slot[id]); /* addresses, checksums, lengths */
        int o = v.response(v.ctx, id, f + 58, be16(f + 38) - 8 - 16);
        ck_assert_msg(o >= 0, "response to %llu rejected", (unsigned long long)id);
        out[o]++;
    }
    ck_assert_uint_eq(out[WL_KVS_OUT_HIT], kp.gets);
    ck_assert_uint_eq(out[WL_KVS_OUT_STORED], kp.sets);
    ck_assert_uint_eq(out[WL_KVS_OUT_MISS] + out[WL_KVS_OUT_REFUSED], 0);
    uint64_t served = 0;
    for (unsigned pid = 0; pid < 4; pid++) {
        wl_kvs_counters_t k = counters(pid);
        ck_assert_uint_eq(k.misrouted, 0);
        ck_assert_uint_gt(k.gets + k.sets, 0);
        served += k.gets + k.sets;
    }
    ck_assert_uint_eq(served, N);
    wl_kvs_proto_free(&kp);
    host_down();
}
END_TEST

START_TEST(test_bad_parameters_refused)
{
    static const struct {
        wl_param_t p;
        const char *msg;
    } cases[] = {
        {{"index_buckets", "3"}, "index_buckets"},
        {{"log_bytes", "100"}, "log_bytes"},
        {{"log_mib", "64"}, "exceed the heap"},
        {{"instance", "1"}, "instance"},           /* instances defaults to 1 */
        {{"port_base", "65535"}, "port_base"},     /* with instances = 2 below */
        {{"prefill", "100"}, "10^key_bytes"},      /* key_bytes 1 below */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        machine_cfg_t cfg;
        machine_cfg_default(&cfg);
        cfg.nvme_present = false;
        memset(&H, 0, sizeof H);
        ck_assert_msg(kh_init(&H.h, &cfg) == 0, "%s", H.h.err);
        kh_plan(&H.h, 1, 1, 0);
        ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
        H.rt = proc_rt_create(&H.h.m, NULL);
        wl_param_t p[3] = {cases[i].p, {"key_bytes", "16"}, {"instances", "1"}};
        if (i == 4)
            p[2].value = "2";
        if (i == 5)
            p[1].value = "1";
        char err[240] = "";
        ck_assert_int_eq(proc_spawn(H.rt, 0, 0, &wl_app_kvs, p, 3, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].msg) && strstr(err, "kvs: "),
                      "case %zu: message '%s'", i, err);
        host_down();
    }
}
END_TEST

static Suite *kvs_suite(void)
{
    Suite *s = suite_create("kvs");
    TCase *tc = tcase_create("kvs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_set_then_get_returns_canonical_value);
    tcase_add_test(tc, test_misrouted_request_refused_and_counted);
    tcase_add_test(tc, test_flow_director_steers_each_partition);
    tcase_add_test(tc, test_log_wrap_loses_old_keys);
    tcase_add_test(tc, test_full_bucket_evicts_oldest);
    tcase_add_test(tc, test_prefill_gives_all_hits);
    tcase_add_test(tc, test_bad_frames_dropped_largest_value_served);
    tcase_add_test(tc, test_item_longer_than_log_refused);
    tcase_add_test(tc, test_proto_module_drives_the_servers);
    tcase_add_test(tc, test_bad_parameters_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(kvs_suite)
