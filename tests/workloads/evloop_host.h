/* tests/workloads/evloop_host.h: the simulated host of the evloop suites
 * (check_evloop.c, check_evloop_rt.c): the real kernel booted by
 * tests/kernel/kharness.h, processes hosted by sim/proc, frames put on the
 * NIC's wire (nic_wire_rx) and captured off it (the wire-tx callback), as
 * check_echo.c does.  Test requests carry their id in the first 8 payload
 * bytes (proto.h's header), so a captured reply is matched to its request.
 * One host at a time (the static H); include once per suite. */
#ifndef PARASIM_TESTS_WORKLOADS_EVLOOP_HOST_H
#define PARASIM_TESTS_WORKLOADS_EVLOOP_HOST_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "devices/nic.h"
#include "sim/proc.h"
#include "tests/kernel/kharness.h"
#include "workloads/evloop.h"
#include "workloads/evloop_rt.h"
#include "workloads/udp_client.h"

#define LINK_GBPS 40u
#define MAX_CAPTURE 256u

static const uint8_t CLIENT_MAC[6] = {0x02, 0, 0, 0, 0, 0x99};

typedef struct host {
    kh_t h;
    proc_rt_t *rt;
    unsigned n;                        /* frames seen on the wire */
    uint8_t frame[MAX_CAPTURE][128];
    size_t len[MAX_CAPTURE];
    sim_time_t t_last[MAX_CAPTURE];
    wl_client_t client;
    bool with_client;
    uint8_t next[WL_CLIENT_FRAME_MAX];
    size_t next_len;
    sim_time_t t_spawn, t0;            /* the processes start; traffic may start */
} host_t;

static host_t H;

/* ---------------------------------------------------------------- frames and the wire */

/* A 60-byte IPv4/UDP request 10.1.0.5:40000 -> 10.0.0.1:7 to the host,
 * its payload starting with the request id (proto.h's header). */
static inline void make_request(uint8_t f[60], uint64_t id)
{
    memset(f, 0, 60);
    memcpy(f, H.h.plan.nic.mac, 6);
    memcpy(f + 6, CLIENT_MAC, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45, ip[3] = 46, ip[6] = 0x40, ip[8] = 64, ip[9] = 17;
    ip[12] = 10, ip[13] = 1, ip[14] = 0, ip[15] = 5;
    ip[16] = 10, ip[17] = 0, ip[18] = 0, ip[19] = 1;
    uint8_t *u = ip + 20;
    u[0] = 40000 >> 8, u[1] = 40000 & 0xff, u[3] = 7, u[5] = 26;
    for (int i = 0; i < 8; i++)
        u[8 + i] = (uint8_t)(id >> (56 - 8 * i));
    memcpy(u + 16, "evloop!!!!", 10);
}

/* The reply the protocol wants, built here: addresses swapped, the rest
 * byte for byte the request's. */
static inline void expected_reply(const uint8_t req[60], uint8_t rep[60])
{
    memcpy(rep, req, 60);
    memcpy(rep, req + 6, 6);
    memcpy(rep + 6, req, 6);
    memcpy(rep + 26, req + 30, 4);
    memcpy(rep + 30, req + 26, 4);
    memcpy(rep + 34, req + 36, 2);
    memcpy(rep + 36, req + 34, 2);
}

static inline void on_wire_tx(void *ctx, const uint8_t *frame, size_t len, sim_time_t t_last_bit)
{
    host_t *x = ctx;
    if (x->with_client)
        wl_client_receive(&x->client, frame, len, t_last_bit);
    if (x->n < MAX_CAPTURE) {
        memcpy(x->frame[x->n], frame, len < 128 ? len : 128);
        x->len[x->n] = len;
        x->t_last[x->n] = t_last_bit;
    }
    x->n++;
}

static uint8_t injected[MAX_CAPTURE][60];
static sim_time_t injected_at[MAX_CAPTURE];

static inline void inject_event(sim_t *sim, void *arg, uint64_t i)
{
    (void)sim;
    nic_wire_rx(((host_t *)arg)->h.m.nic, injected[i], 60);
}

/* Request `slot` (its id = slot) reaches the NIC at t. */
static inline void inject_at(sim_time_t t, unsigned slot)
{
    make_request(injected[slot], slot);
    injected_at[slot] = t;
    sim_at(H.h.sim, t, inject_event, &H, slot);
}

/* The captured reply to request id (its payload's first 8 bytes), or -1. */
static inline int reply_of(uint64_t id)
{
    int found = -1;
    for (unsigned i = 0; i < H.n && i < MAX_CAPTURE; i++) {
        uint64_t v = 0;
        for (int b = 0; b < 8; b++)
            v = v << 8 | H.frame[i][42 + b];
        if (v == id) {
            ck_assert_msg(found < 0, "request %llu answered twice", (unsigned long long)id);
            found = (int)i;
        }
    }
    return found;
}

static inline void client_event(sim_t *sim, void *arg, uint64_t data)
{
    host_t *x = arg;
    (void)data;
    nic_wire_rx(x->h.m.nic, x->next, x->next_len);
    uint64_t last = 0;
    x->next_len = sizeof x->next;
    if (wl_client_next(&x->client, NULL, &last, x->next, &x->next_len) == 0)
        sim_at(sim, last, client_event, x, 0);
}

/* ---------------------------------------------------------------- the host */

static inline void host_boot(unsigned nprocs, enum pk_mediation med)
{
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    cfg.nvme_present = false;
    cfg.nic.link_gbps = LINK_GBPS;
    memset(&H, 0, sizeof H);
    ck_assert_msg(kh_init(&H.h, &cfg) == 0, "%s", H.h.err);
    kh_plan(&H.h, nprocs, 1, 0);
    H.h.plan.mediation = med;
}

/* Boot (after plan tweaks) and spawn `app` with params on every process. */
static inline void host_start(const wl_app_t *app, const wl_param_t *p, size_t np)
{
    ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
    H.rt = proc_rt_create(&H.h.m, NULL);
    ck_assert_ptr_nonnull(H.rt);
    for (unsigned i = 0; i < H.h.plan.nprocs; i++) {
        char err[200] = "";
        if (kh_core_time(&H.h, kh_core(&H.h, i)) > H.t_spawn)
            H.t_spawn = kh_core_time(&H.h, kh_core(&H.h, i));
        ck_assert_msg(proc_spawn(H.rt, i, kh_core(&H.h, i), app, p, np, err, sizeof err) == 0,
                      "%s", err);
    }
    nic_set_wire_tx(H.h.m.nic, on_wire_tx, &H);
    proc_rt_start(H.rt);
    sim_time_t t = 0;
    for (unsigned i = 0; i < H.h.plan.nprocs; i++)
        if (kh_core_time(&H.h, kh_core(&H.h, i)) > t)
            t = kh_core_time(&H.h, kh_core(&H.h, i));
    H.t0 = t + SIM_US(20);
    kh_run_until(&H.h, H.t0);
}

static inline void host_up(unsigned nprocs, enum pk_mediation med, const wl_param_t *p, size_t np)
{
    host_boot(nprocs, med);
    host_start(&wl_app_evloop, p, np);
}

static inline void host_down(void)
{
    if (H.with_client)
        wl_client_free(&H.client);
    proc_rt_destroy(H.rt);
    kh_fini(&H.h);
}

static inline uint64_t report_u64(unsigned pid, const char *key)
{
    wl_report_t r;
    wl_report_init(&r);
    ck_assert_int_eq(proc_app_report(H.rt, pid, &r), 0);
    for (size_t i = 0; i < r.n; i++)
        if (!strcmp(r.e[i].key, key)) {
            ck_assert_int_eq(r.e[i].kind, WL_REPORT_U64);
            return r.e[i].u64;
        }
    ck_abort_msg("report has no %s", key);
    return 0;
}

static inline const hist_t *report_hist(unsigned pid, const char *key)
{
    static wl_report_t r;
    wl_report_init(&r);
    ck_assert_int_eq(proc_app_report(H.rt, pid, &r), 0);
    for (size_t i = 0; i < r.n; i++)
        if (!strcmp(r.e[i].key, key) && r.e[i].kind == WL_REPORT_HIST)
            return r.e[i].hist;
    ck_abort_msg("report has no histogram %s", key);
    return NULL;
}

#endif
