/* tests/workloads/check_echo: the UDP echo server (workloads/echo.c) as a
 * parakernel process on a simulated machine: the real kernel booted by
 * tests/kernel/kharness.h, the process hosted by sim/proc, frames put on
 * the NIC's wire with nic_wire_rx and taken off it with the wire-tx
 * callback.
 *
 * Expectations are independent of echo.c: the reply must be the request
 * with source and destination MAC, IPv4 address and UDP port swapped, the
 * rest byte for byte the same, and its IPv4 header checksum (RFC 791) and
 * UDP checksum (RFC 768) must verify (computed here from the RFCs).
 * Frames the server must not answer (TCP, ARP) must not reach the wire,
 * and their buffers must come back (more of them than the process has
 * buffers, then a request that is still answered).  With four processes
 * behind RSS and the far-end client (workloads/udp_client), every request
 * is answered exactly once, under both mediation strategies. */
#include "tests/check_main.h"
#include "tests/frames.h"

#include <stdio.h>
#include <string.h>

#include "devices/nic.h"
#include "sim/proc.h"
#include "tests/kernel/kharness.h"
#include "workloads/app_int.h"
#include "workloads/attacker.h"
#include "workloads/echo.h"
#include "workloads/udp_client.h"

#define LINK_GBPS 40u
#define MAX_CAPTURE 64u

static const uint8_t CLIENT_MAC[6] = {0x02, 0, 0, 0, 0, 0x99};

typedef struct capture {
    unsigned n;                   /* frames seen on the wire */
    uint8_t frame[MAX_CAPTURE][128];
    size_t len[MAX_CAPTURE];
    sim_time_t t_last[MAX_CAPTURE];
} capture_t;

typedef struct host {
    kh_t h;
    proc_rt_t *rt;
    capture_t cap;
    wl_client_t client;           /* when driven by the client */
    bool with_client;
    uint8_t next[WL_CLIENT_FRAME_MAX];
    size_t next_len;
    sim_time_t t0;                /* the processes are ready: traffic may start */
} host_t;

static host_t H;

/* ---------------------------------------------------------------- RFC checksums */

/* A 60-byte IPv4/UDP request 10.1.0.5:40000 -> 10.0.0.1:7 to the host. */
static void make_request(uint8_t f[60], const uint8_t host_mac[6], uint8_t proto)
{
    static const char payload[] = "parakernel echo!!!";
    memset(f, 0, 60);
    memcpy(f, host_mac, 6);
    memcpy(f + 6, CLIENT_MAC, 6);
    f[12] = 0x08, f[13] = 0x00;
    uint8_t *ip = f + 14;
    ip[0] = 0x45, ip[3] = 46, ip[6] = 0x40, ip[8] = 64, ip[9] = proto;
    ip[12] = 10, ip[13] = 1, ip[14] = 0, ip[15] = 5;
    ip[16] = 10, ip[17] = 0, ip[18] = 0, ip[19] = 1;
    unsigned s = ~ones_sum(0, ip, 20) & 0xffff;
    ip[10] = (uint8_t)(s >> 8), ip[11] = (uint8_t)s;
    uint8_t *u = ip + 20;
    u[0] = 40000 >> 8, u[1] = 40000 & 0xff, u[3] = 7, u[5] = 26;
    memcpy(u + 8, payload, 18);
    s = ~udp_sum(f) & 0xffff;
    u[6] = (uint8_t)(s >> 8), u[7] = (uint8_t)s;
}

/* ---------------------------------------------------------------- the wire */

static void on_wire_tx(void *ctx, const uint8_t *frame, size_t len, sim_time_t t_last_bit)
{
    host_t *x = ctx;
    if (x->with_client)
        wl_client_receive(&x->client, frame, len, t_last_bit);
    if (x->cap.n < MAX_CAPTURE) {
        memcpy(x->cap.frame[x->cap.n], frame, len < 128 ? len : 128);
        x->cap.len[x->cap.n] = len;
        x->cap.t_last[x->cap.n] = t_last_bit;
    }
    x->cap.n++;
}

static uint8_t injected[4096][60];

static void inject_event(sim_t *sim, void *arg, uint64_t i)
{
    (void)sim;
    host_t *x = arg;
    nic_wire_rx(x->h.m.nic, injected[i], 60);
}

static void inject_at(sim_time_t t, const uint8_t f[60], unsigned slot)
{
    memcpy(injected[slot], f, 60);
    sim_at(H.h.sim, t, inject_event, &H, slot);
}

/* The client's next request reaches the NIC at its last bit. */
static void client_event(sim_t *sim, void *arg, uint64_t data)
{
    host_t *x = arg;
    (void)data;
    nic_wire_rx(x->h.m.nic, x->next, x->next_len);
    uint64_t last = 0;
    x->next_len = sizeof x->next;
    if (wl_client_next(&x->client, NULL, &last, x->next, &x->next_len) == 0)
        sim_at(sim, last, client_event, x, 0);
}

static void client_start(host_t *x, const wl_client_cfg_t *g)
{
    char err[160] = "";
    ck_assert_msg(wl_client_init(&x->client, g, err, sizeof err) == 0, "%s", err);
    x->with_client = true;
    uint64_t last = 0;
    x->next_len = sizeof x->next;
    ck_assert_int_eq(wl_client_next(&x->client, NULL, &last, x->next, &x->next_len), 0);
    sim_at(x->h.sim, last, client_event, x, 0);
}

/* ---------------------------------------------------------------- the host */

/* Boot nprocs processes (one NIC queue each, process i on core i) and
 * spawn apps[i] with params[i] (NULL app: the process stays idle). */
typedef struct spawn_spec {
    const wl_app_t *app;
    const wl_param_t *params;
    size_t nparams;
} spawn_spec_t;

static void host_boot(unsigned nprocs, enum pk_mediation med)
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

static void host_spawn(const spawn_spec_t *spec)
{
    H.rt = proc_rt_create(&H.h.m, NULL);
    ck_assert_ptr_nonnull(H.rt);
    for (unsigned i = 0; i < H.h.plan.nprocs; i++) {
        char err[200] = "";
        if (!spec[i].app)
            continue;
        ck_assert_msg(proc_spawn(H.rt, i, kh_core(&H.h, i), spec[i].app, spec[i].params,
                                 spec[i].nparams, err, sizeof err) == 0,
                      "%s", err);
    }
    nic_set_wire_tx(H.h.m.nic, on_wire_tx, &H);
    proc_rt_start(H.rt);
    /* boot ran on core 0: its process starts when boot is over; then the
     * first steps post the RX buffers */
    sim_time_t t = 0;
    for (unsigned i = 0; i < H.h.plan.nprocs; i++)
        if (kh_core_time(&H.h, kh_core(&H.h, i)) > t)
            t = kh_core_time(&H.h, kh_core(&H.h, i));
    H.t0 = t + SIM_US(20);
    kh_run_until(&H.h, H.t0);
}

static void host_start(const spawn_spec_t *spec)
{
    ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
    host_spawn(spec);
}

/* nprocs echo processes. */
static void host_up(unsigned nprocs, enum pk_mediation med, const wl_param_t *params,
                    size_t nparams)
{
    spawn_spec_t spec[4];
    ck_assert_uint_le(nprocs, 4);
    for (unsigned i = 0; i < nprocs; i++)
        spec[i] = (spawn_spec_t){&wl_app_echo, params, nparams};
    host_boot(nprocs, med);
    host_start(spec);
}

static void host_down(void)
{
    if (H.with_client)
        wl_client_free(&H.client);
    proc_rt_destroy(H.rt);
    kh_fini(&H.h);
}

static wl_app_stats_t app_stats(unsigned pid)
{
    wl_app_stats_t s;
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(proc_app_stats(H.rt, pid, &s), 0);
    return s;
}

/* ---------------------------------------------------------------- tests */

static void check_reply(const uint8_t *req, const uint8_t *rep, size_t len)
{
    ck_assert_uint_eq(len, 60);
    ck_assert_mem_eq(rep, req + 6, 6);           /* to the client's MAC */
    ck_assert_mem_eq(rep + 6, req, 6);           /* from the host's */
    ck_assert_mem_eq(rep + 12, req + 12, 14);    /* EtherType, IPv4 up to the addresses */
    ck_assert_mem_eq(rep + 26, req + 30, 4);     /* source IP = request's destination */
    ck_assert_mem_eq(rep + 30, req + 26, 4);
    ck_assert_mem_eq(rep + 34, req + 36, 2);     /* ports swapped */
    ck_assert_mem_eq(rep + 36, req + 34, 2);
    ck_assert_mem_eq(rep + 38, req + 38, 60 - 38); /* UDP length, checksum, payload */
    ck_assert_uint_eq(ones_sum(0, rep + 14, 20), 0xffff); /* IPv4 checksum verifies */
    ck_assert_uint_eq(udp_sum(rep), 0xffff);              /* UDP checksum verifies */
}

START_TEST(test_reply_has_swapped_addresses_and_valid_checksums)
{
    static const enum pk_mediation meds[] = {PK_MEDIATE_RANGE, PK_MEDIATE_POOL};
    for (size_t i = 0; i < 2; i++) {
        host_up(1, meds[i], NULL, 0);
        uint8_t req[60];
        make_request(req, H.h.plan.nic.mac, 17);
        inject_at(H.t0 + SIM_US(10), req, 0);
        kh_run_until(&H.h, H.t0 + SIM_US(100));
        ck_assert_uint_eq(H.cap.n, 1);
        check_reply(req, H.cap.frame[0], H.cap.len[0]);
        ck_assert_uint_gt(H.cap.t_last[0], H.t0 + SIM_US(10));
        wl_app_stats_t s = app_stats(0);
        ck_assert_uint_eq(s.rx_frames, 1);
        ck_assert_uint_eq(s.requests, 1);
        host_down();
    }
}
END_TEST

/* Frames that are not UDP to the host are not answered, and their buffers
 * come back: more of them than the process has buffers, then a request. */
START_TEST(test_other_frames_are_dropped_and_buffers_recycled)
{
    host_up(1, PK_MEDIATE_RANGE, NULL, 0);
    unsigned n = 3 * H.h.plan.rx_entries;
    ck_assert_uint_lt(n + 1, sizeof injected / sizeof injected[0]);
    for (unsigned i = 0; i < n; i++) {
        uint8_t f[60];
        make_request(f, H.h.plan.nic.mac, 6); /* TCP */
        if (i % 2) {
            f[12] = 0x08, f[13] = 0x06; /* ARP */
        }
        inject_at(H.t0 + (sim_time_t)i * SIM_NS(500), f, i);
    }
    uint8_t req[60];
    make_request(req, H.h.plan.nic.mac, 17);
    sim_time_t t = H.t0 + (sim_time_t)n * SIM_NS(500) + SIM_US(5);
    inject_at(t, req, n);
    kh_run_until(&H.h, t + SIM_US(100));
    ck_assert_uint_eq(H.cap.n, 1);
    check_reply(req, H.cap.frame[0], H.cap.len[0]);
    wl_app_stats_t s = app_stats(0);
    ck_assert_uint_eq(s.rx_frames, n + 1);
    ck_assert_uint_eq(s.requests, 1);
    ck_assert_uint_eq(nic_queue_stats(H.h.m.nic, 0)->rx_drops[NIC_DROP_NO_DESC], 0);
    /* the report says why: n/2 TCP (even i), n/2 ARP (odd i) */
    static wl_report_t rep;
    ck_assert_int_eq(proc_app_report(H.rt, 0, &rep), 0);
    static const char *const keys[] = {"echoed", "not_echoed.not_udp", "not_echoed.not_ipv4",
                                       "not_echoed.runt"};
    uint64_t expect[4] = {1, (n + 1) / 2, n / 2, 0};
    for (size_t k = 0; k < 4; k++) {
        size_t i = 0;
        while (i < rep.n && strcmp(rep.e[i].key, keys[k]))
            i++;
        ck_assert_msg(i < rep.n, "%s missing", keys[k]);
        ck_assert_uint_eq(rep.e[i].u64, expect[k]);
    }
    host_down();
}
END_TEST

static wl_client_cfg_t client_cfg(uint64_t requests, double rate, wl_load_kind_t load)
{
    wl_client_cfg_t g = {
        .seed = 7,
        .load = load,
        .rate = rate,
        .requests = requests,
        .flows = 16,
        .host_port = 7,
        .frame_len = 60,
        .t_start_ps = H.t0,
        .wire_ps = nic_wire_time(LINK_GBPS, 60),
        .ifg_ps = nic_wire_time(LINK_GBPS, 60) / 84 * 12, /* 12 of the 84 wire bytes */
    };
    memcpy(g.client_mac, CLIENT_MAC, 6);
    memcpy(g.host_mac, H.h.plan.nic.mac, 6);
    static const uint8_t hip[4] = {10, 0, 0, 1}, cip[4] = {10, 1, 0, 0};
    memcpy(g.host_ip, hip, 4);
    memcpy(g.client_ip, cip, 4);
    return g;
}

static void run_client(const wl_client_cfg_t *g)
{
    client_start(&H, g);
    double span_us = (double)g->requests / g->rate * 1e6;
    kh_run_until(&H.h, g->t_start_ps + SIM_US((uint64_t)(span_us * 2) + 200));
}

static void check_all_answered_once(uint64_t requests)
{
    const wl_client_stats_t *st = wl_client_stats(&H.client);
    ck_assert_uint_eq(st->sent, requests);
    ck_assert_uint_eq(st->answered, requests);
    ck_assert_uint_eq(st->unanswered, 0);
    ck_assert_uint_eq(st->duplicates, 0);
    ck_assert_uint_eq(st->unknown, 0);
    ck_assert_uint_eq(st->malformed, 0);
    ck_assert_uint_eq(st->received, requests);
    ck_assert_uint_eq(wl_client_latency(&H.client)->count, requests);
}

/* Four processes behind RSS, a Poisson client: every request answered
 * exactly once, every process served some, under both mediations. */
START_TEST(test_four_processes_answer_every_request_once)
{
    static const enum pk_mediation meds[] = {PK_MEDIATE_RANGE, PK_MEDIATE_POOL};
    for (size_t i = 0; i < 2; i++) {
        host_up(4, meds[i], NULL, 0);
        wl_client_cfg_t g = client_cfg(4000, 1e6, WL_LOAD_POISSON);
        run_client(&g);
        check_all_answered_once(g.requests);
        uint64_t served = 0;
        for (unsigned p = 0; p < 4; p++) {
            wl_app_stats_t s = app_stats(p);
            ck_assert_msg(s.requests > 0, "process %u served nothing", p);
            ck_assert_uint_eq(s.rx_frames, s.requests);
            served += s.requests;
        }
        ck_assert_uint_eq(served, g.requests);
        host_down();
    }
}
END_TEST

/* More requests than an RX ring has slots, back to back at 2 Mpps: the
 * spares and the recycling keep every one answered. */
START_TEST(test_burst_beyond_ring_is_all_answered)
{
    host_up(1, PK_MEDIATE_RANGE, NULL, 0);
    wl_client_cfg_t g = client_cfg(4 * H.h.plan.rx_entries, 2e6, WL_LOAD_CONSTANT);
    run_client(&g);
    check_all_answered_once(g.requests);
    host_down();
}
END_TEST

/* A TX ring much smaller than the RX ring and a back-to-back burst that
 * the RX ring holds: NET_TX is refused with PK_EAGAIN while the TX ring
 * is full, and the server sends those frames again later, so every
 * request is still answered once (regression guard for buffers lost on a
 * full TX ring). */
START_TEST(test_full_tx_ring_is_retried)
{
    spawn_spec_t spec[1] = {{&wl_app_echo, NULL, 0}};
    host_boot(1, PK_MEDIATE_RANGE);
    H.h.plan.tx_entries = 16;
    host_start(spec);
    wl_client_cfg_t g = client_cfg(200, 2e12 / (double)nic_wire_time(LINK_GBPS, 60),
                                   WL_LOAD_CONSTANT); /* twice the link: back to back */
    ck_assert_uint_lt(g.requests, H.h.plan.rx_entries);
    run_client(&g);
    ck_assert_uint_gt(k_proc_stats(0)->errors[PK_EAGAIN], 0);
    check_all_answered_once(g.requests);
    host_down();
}
END_TEST

/* Regression: a wait that found a TX completion ready did not block, and
 * the server then polled instead of sleeping.  wait=1: the process blocks
 * in pk_enter when idle and is woken by the NIC's interrupt; requests are
 * still answered. */
START_TEST(test_wait_mode_blocks_and_answers)
{
    static const wl_param_t p[] = {{"wait", "1"}};
    host_up(1, PK_MEDIATE_RANGE, p, 1);
    wl_client_cfg_t g = client_cfg(200, 2e5, WL_LOAD_POISSON);
    run_client(&g);
    check_all_answered_once(g.requests);
    proc_rt_settle(H.rt);
    const proc_stats_t *ps = proc_stats(H.rt, 0);
    /* idle between requests: blocked about once per request, polling
     * only briefly (a polling server would poll the whole 1 ms span) */
    ck_assert_uint_ge(ps->blocks, g.requests / 2);
    ck_assert_uint_ge(ps->wakeups, g.requests / 2);
    ck_assert_uint_lt(ps->poll_ps, SIM_US(1000) / 4);
    host_down();
}
END_TEST

/* ---------------------------------------------------------------- the attacker next to it */

typedef struct victim {
    wl_client_stats_t client;
    hist_t lat;
    wl_app_stats_t echo;
    uint64_t core0[CPU_MODES];
} victim_t;

/* The attacker, hosted through a thin wrapper that remembers its state
 * (the runtime keeps it until proc_rt_destroy) so the per-attack report
 * can be read. */
static void *atk_state;
static int spy_start(void *state, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    atk_state = state;
    return wl_app_attacker.start(state, p, n, err, errlen);
}
static wl_step_t spy_step(void *state) { return wl_app_attacker.step(state); }
static void spy_stats(const void *state, wl_app_stats_t *out) { wl_app_attacker.stats(state, out); }

static void check_report(const wl_attack_report_t *r, unsigned rx_entries)
{
    for (unsigned a = 0; a < WL_ATK_COUNT; a++) {
        ck_assert_msg(wl_attack_blocked(r, a), "attack %s: status %d res %d (%s), want -%s",
                      wl_attack_name(a), r->a[a].status, r->a[a].res, pk_err_name(r->a[a].res),
                      pk_err_name(wl_attack_expected(a)));
        for (unsigned b = 0; b < a; b++)
            ck_assert_uint_ne(r->a[a].user_data, r->a[b].user_data);
    }
    ck_assert_uint_eq(r->flood_sent, rx_entries + 1);
    ck_assert_uint_eq(r->flood_refused, 2);
    ck_assert_uint_eq(r->timers_refused, 1);
    ck_assert_uint_eq(r->timers_cancelled, 16);
    ck_assert_uint_eq(r->cancels_ok, 16);
    ck_assert_uint_eq(r->unexpected, 0);
}

/* Echo (process 0) and, when with_attacker, the attacker (process 1, no
 * RX traffic) aimed at echo's partition and queue and at the kernel; the
 * client starts at the same time in both runs, after the attacker exited. */
static void run_pair(enum pk_mediation med, bool with_attacker, victim_t *v,
                     wl_app_stats_t *atk)
{
    host_boot(2, med);
    H.h.plan.procs[1].rx_traffic = false;
    ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
    struct pk_info victim_info, attacker_info;
    ck_assert_int_eq(kh_info(&H.h, 0, &victim_info), 0);
    ck_assert_int_eq(kh_info(&H.h, 1, &attacker_info), 0);
    char fa[32], ka[32], fq[16];
    snprintf(fa, sizeof fa, "0x%llx",
             (unsigned long long)(H.h.plan.procs[0].mem_base + (UINT64_C(1) << 20)));
    snprintf(ka, sizeof ka, "%llu", (unsigned long long)(H.h.plan.kmem_base + 4096));
    snprintf(fq, sizeof fq, "%u", victim_info.nic_queue[0]);
    const wl_param_t ap[] = {{"foreign_addr", fa}, {"kernel_addr", ka}, {"foreign_queue", fq}};
    wl_app_t spy = wl_app_attacker;
    spy.start = spy_start, spy.step = spy_step, spy.stats = spy_stats;
    spawn_spec_t spec[2] = {{&wl_app_echo, NULL, 0}, {NULL, NULL, 0}};
    if (with_attacker)
        spec[1] = (spawn_spec_t){&spy, ap, 3};
    host_spawn(spec);
    /* the same start in both runs (t0 itself depends on the attacker's
     * start on its core) */
    sim_time_t traffic = SIM_US(1000);
    ck_assert_uint_lt(H.t0, traffic - SIM_US(500));
    kh_run_until(&H.h, traffic - SIM_US(1));
    if (with_attacker) {
        ck_assert_uint_eq(proc_stats(H.rt, 1)->state, PROC_EXITED);
        memset(atk, 0, sizeof *atk);
        ck_assert_int_eq(proc_app_stats(H.rt, 1, atk), 0);
        check_report(wl_attacker_report(atk_state), H.h.plan.rx_entries);
    }
    wl_client_cfg_t g = client_cfg(2000, 1e6, WL_LOAD_POISSON);
    g.t_start_ps = traffic;
    run_client(&g);
    check_all_answered_once(g.requests);
    v->client = *wl_client_stats(&H.client);
    v->lat = *wl_client_latency(&H.client);
    v->echo = app_stats(0);
    memcpy(v->core0, H.h.m.cores[0].acct, sizeof v->core0);
    ck_assert_uint_eq(k_stats()->iommu_faults, 0);
    ck_assert_uint_eq(nic_queue_stats(H.h.m.nic, attacker_info.nic_queue[0])->tx_packets, 0);
    host_down();
}

/* Each attack is refused with its own code (counted once by the attacker
 * and by the kernel), nothing of it reaches the wire or the IOMMU, and
 * the victim's results are identical with and without it. */
START_TEST(test_attacker_refused_and_victim_unaffected)
{
    static const enum pk_mediation meds[] = {PK_MEDIATE_RANGE, PK_MEDIATE_POOL};
    for (size_t m = 0; m < 2; m++) {
        victim_t alone, beside;
        wl_app_stats_t atk;
        run_pair(meds[m], false, &alone, NULL);
        run_pair(meds[m], true, &beside, &atk);
        unsigned expect[32] = {0};
        expect[PK_EFOREIGN] = expect[PK_EKERNEL] = expect[PK_ERING] = 1;
        expect[PK_ESTRADDLE] = expect[PK_EOVERFLOW] = expect[PK_EQUEUE] = 1;
        expect[PK_EOPCODE] = expect[PK_ESQINDEX] = expect[PK_ETIMERS] = 1;
        expect[PK_ESTEER] = 1;
        expect[PK_EAGAIN] = 2;         /* rx_entries + 1 refills, rx_entries - 1 fit */
        expect[PK_ECANCELED] = 16;     /* kh_plan's max_timers, all cancelled */
        for (int c = 0; c < 32; c++)
            ck_assert_msg(atk.refused[c] == expect[c], "mediation %zu: %s counted %llu, want %u",
                          m, pk_err_name(c), (unsigned long long)atk.refused[c], expect[c]);
        ck_assert_uint_eq(atk.tx_frames, 0);
        ck_assert_mem_eq(&alone.client, &beside.client, sizeof alone.client);
        ck_assert_mem_eq(&alone.lat, &beside.lat, sizeof alone.lat);
        ck_assert_mem_eq(&alone.echo, &beside.echo, sizeof alone.echo);
        ck_assert_mem_eq(alone.core0, beside.core0, sizeof alone.core0);
    }
}
END_TEST

/* Without foreign_addr and kernel_addr those two attacks are skipped, the
 * others still run, and foreign_queue defaults to a queue not its own. */
START_TEST(test_attacker_without_addresses_skips_those)
{
    host_boot(2, PK_MEDIATE_RANGE);
    H.h.plan.procs[1].rx_traffic = false;
    ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
    wl_app_t spy = wl_app_attacker;
    spy.start = spy_start, spy.step = spy_step, spy.stats = spy_stats;
    spawn_spec_t spec[2] = {{NULL, NULL, 0}, {&spy, NULL, 0}};
    host_spawn(spec);
    kh_run_until(&H.h, H.t0 + SIM_US(500));
    ck_assert_uint_eq(proc_stats(H.rt, 1)->state, PROC_EXITED);
    const wl_attack_report_t *r = wl_attacker_report(atk_state);
    for (unsigned a = 0; a < WL_ATK_COUNT; a++) {
        if (a == WL_ATK_FOREIGN || a == WL_ATK_KERNEL)
            ck_assert_int_eq(r->a[a].status, WL_ATK_SKIPPED);
        else
            ck_assert_msg(wl_attack_blocked(r, a), "attack %s: res %d", wl_attack_name(a),
                          r->a[a].res);
    }
    host_down();
}
END_TEST

START_TEST(test_bad_parameter_refused)
{
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    cfg.nvme_present = false;
    memset(&H, 0, sizeof H);
    ck_assert_msg(kh_init(&H.h, &cfg) == 0, "%s", H.h.err);
    kh_plan(&H.h, 1, 1, 0);
    ck_assert_msg(kh_boot(&H.h) == 0, "%s", H.h.err);
    H.rt = proc_rt_create(&H.h.m, NULL);
    static const wl_param_t bad[] = {{"burst", "0"}};
    char err[200] = "";
    ck_assert_int_eq(proc_spawn(H.rt, 0, 0, &wl_app_echo, bad, 1, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "burst"), "message: %s", err);
    static const wl_param_t bad_addr[] = {{"foreign_addr", "0xZZ"}};
    ck_assert_int_eq(proc_spawn(H.rt, 0, 0, &wl_app_attacker, bad_addr, 1, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "foreign_addr"), "message: %s", err);
    host_down();
}
END_TEST

/* The registry and the parameter reader the applications share. */
START_TEST(test_registry_and_parameters)
{
    ck_assert_ptr_eq(wl_app_find("echo"), &wl_app_echo);
    ck_assert_ptr_eq(wl_app_find("attacker"), &wl_app_attacker);
    ck_assert_ptr_null(wl_app_find("Echo"));
    ck_assert_ptr_null(wl_app_find(NULL));
    ck_assert_str_eq(wl_app_names(), "echo|attacker|kvs|evloop|blkio");
    static const struct {
        const char *value;
        int rc;
        uint64_t v;
    } cases[] = {
        {"0", 0, 0},          {"42", 0, 42},          {"0x2A", 0, 42},
        {"0XfF", 0, 255},     {"18446744073709551615", 0, UINT64_MAX},
        {"18446744073709551616", -1, 0}, {"-1", -1, 0}, {"+1", -1, 0},
        {"", -1, 0},          {"0x", -1, 0},          {"12abc", -1, 0},
        {" 1", -1, 0},        {"0x-1", -1, 0},        {"0x\t1", -1, 0},
        {"0xffffffffffffffff", 0, UINT64_MAX}, {"0x10000000000000000", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wl_param_t p[2] = {{"other", "x"}, {"k", cases[i].value}};
        uint64_t v = 7;
        bool given = false;
        char err[200] = "";
        int rc = wl_param_u64("app", p, 2, "k", 9, 0, UINT64_MAX, &v, &given, err, sizeof err);
        ck_assert_msg(rc == cases[i].rc, "'%s': rc %d", cases[i].value, rc);
        ck_assert(given);
        if (rc == 0)
            ck_assert_uint_eq(v, cases[i].v);
        else
            ck_assert_msg(strstr(err, "app: parameter k") && strstr(err, cases[i].value),
                          "message: %s", err);
    }
    wl_param_t p[1] = {{"k", "5"}};
    uint64_t v = 0;
    bool given = true;
    char err[200];
    ck_assert_int_eq(wl_param_u64("app", p, 1, "absent", 9, 0, 10, &v, &given, err, sizeof err), 0);
    ck_assert_uint_eq(v, 9);
    ck_assert(!given);
    ck_assert_int_eq(wl_param_u64("app", p, 1, "k", 9, 6, 10, &v, NULL, err, sizeof err), -1);
}
END_TEST

static Suite *echo_suite(void)
{
    Suite *s = suite_create("echo");
    TCase *tc = tcase_create("echo");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_reply_has_swapped_addresses_and_valid_checksums);
    tcase_add_test(tc, test_other_frames_are_dropped_and_buffers_recycled);
    tcase_add_test(tc, test_four_processes_answer_every_request_once);
    tcase_add_test(tc, test_burst_beyond_ring_is_all_answered);
    tcase_add_test(tc, test_full_tx_ring_is_retried);
    tcase_add_test(tc, test_wait_mode_blocks_and_answers);
    tcase_add_test(tc, test_attacker_refused_and_victim_unaffected);
    tcase_add_test(tc, test_attacker_without_addresses_skips_those);
    tcase_add_test(tc, test_bad_parameter_refused);
    tcase_add_test(tc, test_registry_and_parameters);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(echo_suite)
