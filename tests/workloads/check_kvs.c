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

#include "tests/workloads/kvs_host.h"

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
 * every GET hits (prefilled keys; SETs store canonical values).  Run
 * twice over: the same bytes on the wire in the same order, the same
 * time on every core (determinism). */
typedef struct run_trace {
    unsigned n;
    size_t len[MAX_CAP];
    uint8_t frame[MAX_CAP][FRAME_CAP];
    sim_time_t acct[4][CPU_MODES];
} run_trace_t;

static void proto_run(run_trace_t *out)
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
    unsigned out_of[4] = {0};
    for (uint64_t id = 0; id < N; id++) {
        const uint8_t *f = NULL;
        for (unsigned i = 0; i < H.n; i++)
            if (be64(H.frame[i] + 42) == id)
                f = H.frame[i];
        ck_assert_ptr_nonnull(f);
        (void)response_to(slot[id]); /* addresses, checksums, lengths */
        int o = v.response(v.ctx, id, f + 58, be16(f + 38) - 8 - 16);
        ck_assert_msg(o >= 0, "response to %llu rejected", (unsigned long long)id);
        out_of[o]++;
    }
    ck_assert_uint_eq(out_of[WL_KVS_OUT_HIT], kp.gets);
    ck_assert_uint_eq(out_of[WL_KVS_OUT_STORED], kp.sets);
    ck_assert_uint_eq(out_of[WL_KVS_OUT_MISS] + out_of[WL_KVS_OUT_REFUSED], 0);
    uint64_t served = 0;
    for (unsigned pid = 0; pid < 4; pid++) {
        wl_kvs_counters_t k = counters(pid);
        ck_assert_uint_eq(k.misrouted, 0);
        ck_assert_uint_gt(k.gets + k.sets, 0);
        served += k.gets + k.sets;
    }
    ck_assert_uint_eq(served, N);
    out->n = H.n;
    memcpy(out->len, H.len, sizeof out->len);
    memcpy(out->frame, H.frame, sizeof out->frame);
    for (unsigned c4 = 0; c4 < 4; c4++)
        memcpy(out->acct[c4], H.h.m.cores[c4].acct, sizeof out->acct[c4]);
    wl_kvs_proto_free(&kp);
    host_down();
}

START_TEST(test_proto_module_drives_the_servers)
{
    static run_trace_t a, b;
    proto_run(&a);
    proto_run(&b);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_mem_eq(a.len, b.len, sizeof a.len);
    ck_assert(memcmp(a.frame, b.frame, sizeof a.frame) == 0);
    ck_assert_mem_eq(a.acct, b.acct, sizeof a.acct);
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

/* wait=1: the process blocks in pk_enter when idle and the NIC's
 * interrupt wakes it; requests are still answered. */
START_TEST(test_wait_mode_blocks_and_answers)
{
    static const wl_param_t p[] = {{"wait", "1"}};
    host_up(1, p, 1);
    sim_time_t t = H.t0 + SIM_US(10);
    unsigned s = send_at(t, &(req_t){.id = 1, .op = 2, .key = "k", .klen = 1, .vlen = 10,
                                     .dport = PORT0});
    unsigned g = send_at(t + SIM_US(50), &(req_t){.id = 2, .op = 1, .key = "k", .klen = 1,
                                                  .dport = PORT0});
    kh_run_until(&H.h, t + SIM_US(200));
    check_status(s, 2, 0);
    check_hit(g, "k", 1, 10);
    proc_rt_settle(H.rt);
    const proc_stats_t *ps = proc_stats(H.rt, 0);
    ck_assert_uint_ge(ps->blocks, 2);
    ck_assert_uint_ge(ps->wakeups, 2);
    host_down();
}
END_TEST

/* 64 requests arriving at once are answered in batches of up to `burst`
 * frames, one pk_enter per batch: with burst 32 at least 2 calls (and far
 * fewer than one per request), with burst 8 at least 8. */
START_TEST(test_requests_batched_per_enter)
{
    static const struct {
        const char *burst;
        unsigned lo, hi;
    } runs[] = {{"32", 2, 8}, {"8", 8, 32}};
    for (size_t r = 0; r < 2; r++) {
        wl_param_t p[1] = {{"burst", runs[r].burst}};
        host_up(1, p, 1);
        proc_rt_settle(H.rt);
        uint64_t calls0 = proc_stats(H.rt, 0)->syscalls;
        sim_time_t t = H.t0 + SIM_US(10);
        static char names[64][16];
        for (unsigned i = 0; i < 64; i++) {
            ref_key_name(i, 16, names[i]);
            send_at(t, &(req_t){.id = i, .op = 2, .key = names[i], .klen = 16, .vlen = 16,
                                .dport = PORT0, .sport = (uint16_t)(3000 + i)});
        }
        kh_run_until(&H.h, t + SIM_US(300));
        ck_assert_uint_eq(H.n, 64);
        ck_assert_uint_eq(counters(0).stored, 64);
        uint64_t calls = proc_stats(H.rt, 0)->syscalls - calls0;
        ck_assert_msg(calls >= runs[r].lo && calls <= runs[r].hi, "burst %s: %llu calls",
                      runs[r].burst, (unsigned long long)calls);
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
    tcase_add_test(tc, test_wait_mode_blocks_and_answers);
    tcase_add_test(tc, test_requests_batched_per_enter);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(kvs_suite)
