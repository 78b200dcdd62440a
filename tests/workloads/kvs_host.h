/* tests/workloads/kvs_host.h: the simulated host of check_kvs -- the
 * real kernel booted by tests/kernel/kharness.h with kvs processes hosted
 * by sim/proc, request frames built here byte by byte and put on the
 * NIC's wire, responses captured off it and checked (addresses swapped,
 * RFC 791 / RFC 768 checksums valid, the request header unchanged).
 * One host at a time (the static H); included by check_kvs.c only. */
#ifndef PARASIM_TESTS_KVS_HOST_H
#define PARASIM_TESTS_KVS_HOST_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
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

#endif
