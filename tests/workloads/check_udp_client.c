/* tests/workloads/check_udp_client: the far-end UDP client.
 *
 * Frames are parsed here independently of workloads/udp_client.c (RFC 791
 * IPv4 header and checksum, RFC 768 UDP length and checksum, Ethernet II
 * type 0x0800).  Load statistics are checked against bounds derived from
 * the sample size (central limit theorem, 5 standard deviations: a false
 * alarm has probability < 1e-6 for any seed), pacing against the link
 * rule first_bit_k >= first_bit_{k-1} + wire_ps, and latency against
 * hand-built responses. */
#include "tests/check_main.h"

#include "devices/nic.h"
#include "workloads/udp_client.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/workloads/client_test.h"

/* ---------------------------------------------------------------- frames */

START_TEST(test_frames_are_valid_ipv4_udp)
{
    static const uint32_t lens[] = {60, 128, 1514};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        wl_client_cfg_t g = base_cfg();
        g.frame_len = lens[li];
        g.requests = 200;
        wl_client_t c;
        client_init(&c, &g);
        uint8_t f[2048];
        for (uint64_t k = 0; k < g.requests; k++) {
            size_t len = sizeof f;
            uint64_t t0 = 0, t1 = 0;
            ck_assert_int_eq(wl_client_next(&c, &t0, &t1, f, &len), 0);
            parsed_t p;
            parse_request(f, len, &g, &p);
            ck_assert_uint_eq(p.id, k);
            ck_assert_uint_eq(p.t, t0);
            ck_assert_uint_eq(t1, t0 + g.wire_ps - g.ifg_ps);
            uint32_t src = (uint32_t)p.src_ip[0] << 24 | (uint32_t)p.src_ip[1] << 16 |
                           (uint32_t)p.src_ip[2] << 8 | p.src_ip[3];
            ck_assert_uint_lt(src - 0x0a010000u, g.flows);
            ck_assert_uint_ge(p.src_port, 1024);
        }
        size_t len = sizeof f;
        ck_assert_int_eq(wl_client_next(&c, NULL, NULL, f, &len), -1);
        ck_assert_uint_eq(wl_client_stats(&c)->sent, g.requests);
        wl_client_free(&c);
    }
}
END_TEST

START_TEST(test_small_buffer_consumes_nothing)
{
    wl_client_cfg_t g = base_cfg();
    g.frame_len = 100;
    wl_client_t c;
    client_init(&c, &g);
    uint8_t f[128];
    size_t len = 99;
    ck_assert_int_eq(wl_client_next(&c, NULL, NULL, f, &len), -2);
    ck_assert_uint_eq(wl_client_stats(&c)->sent, 0);
    len = sizeof f;
    ck_assert_int_eq(wl_client_next(&c, NULL, NULL, f, &len), 0);
    parsed_t p;
    parse_request(f, len, &g, &p);
    ck_assert_uint_eq(p.id, 0);
    wl_client_free(&c);
}
END_TEST

/* Flows: every configured 5-tuple is used, and RSS (Toeplitz with the
 * Microsoft verification key, a 4-queue indirection table) puts flows on
 * every queue, as it would real clients. */
START_TEST(test_flows_spread)
{
    static const uint8_t key[40] = {
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
        0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
        0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
    wl_client_cfg_t g = base_cfg();
    g.flows = 64;
    g.requests = 5000;
    wl_client_t c;
    client_init(&c, &g);
    uint8_t tuples[64][6];
    unsigned ntuples = 0, per_queue[4] = {0};
    uint8_t f[128];
    for (uint64_t k = 0; k < g.requests; k++) {
        size_t len = sizeof f;
        ck_assert_int_eq(wl_client_next(&c, NULL, NULL, f, &len), 0);
        parsed_t p;
        parse_request(f, len, &g, &p);
        uint8_t t[6] = {p.src_ip[0], p.src_ip[1], p.src_ip[2], p.src_ip[3],
                        (uint8_t)(p.src_port >> 8), (uint8_t)p.src_port};
        unsigned i = 0;
        while (i < ntuples && memcmp(tuples[i], t, 6))
            i++;
        if (i == ntuples) {
            ck_assert_uint_lt(ntuples, 64);
            memcpy(tuples[ntuples++], t, 6);
            uint8_t in[12]; /* src ip, dst ip, src port, dst port */
            memcpy(in, f + 26, 8);
            memcpy(in + 8, f + 34, 4);
            per_queue[nic_rss_toeplitz(key, sizeof key, in, sizeof in) & 3]++;
        }
    }
    ck_assert_uint_eq(ntuples, g.flows);
    for (int q = 0; q < 4; q++)
        ck_assert_msg(per_queue[q] > 0, "queue %d got no flow", q);
    wl_client_free(&c);
}
END_TEST

/* ---------------------------------------------------------------- load and pacing */

/* Poisson at load 1.7% of the link: the mean gap between departures is
 * 1/rate within 5 standard deviations of the mean of n exponentials
 * (sd = mean / sqrt(n)), and the fraction of gaps above the mean is
 * e^-1 within 5 binomial standard deviations. */
START_TEST(test_poisson_mean_interdeparture_within_clt_bound)
{
    wl_client_cfg_t g = base_cfg();
    g.requests = 200001;
    wl_client_t c;
    client_init(&c, &g);
    double period = 1e12 / g.rate;
    uint64_t prev = 0, first = 0, longer = 0;
    uint8_t f[128];
    for (uint64_t k = 0; k < g.requests; k++) {
        size_t len = sizeof f;
        uint64_t t = 0;
        ck_assert_int_eq(wl_client_next(&c, &t, NULL, f, &len), 0);
        if (k == 0)
            first = t;
        else if ((double)(t - prev) > period)
            longer++;
        prev = t;
    }
    double n = (double)(g.requests - 1);
    double mean = (double)(prev - first) / n;
    double tol = 5 * period / sqrt(n) + (double)g.wire_ps / n;
    ck_assert_msg(fabs(mean - period) < tol, "mean gap %.1f ps, expected %.1f +- %.1f", mean,
                  period, tol);
    double pe = exp(-1.0), frac = (double)longer / n;
    double ftol = 5 * sqrt(pe * (1 - pe) / n);
    ck_assert_msg(fabs(frac - pe) < ftol, "P(gap > mean) %.4f, expected %.4f +- %.4f", frac, pe,
                  ftol);
    wl_client_free(&c);
}
END_TEST

/* Constant load: request k leaves at t_start + round(k * 1e12 / rate),
 * exactly, also when the period is not a whole number of ps (no drift). */
START_TEST(test_constant_pacing_exact)
{
    wl_client_cfg_t g = base_cfg();
    g.load = WL_LOAD_CONSTANT;
    g.rate = 3e6; /* period 333333.33 ps */
    g.t_start_ps = 5000;
    g.requests = 100000;
    wl_client_t c;
    client_init(&c, &g);
    uint8_t f[128];
    for (uint64_t k = 0; k < g.requests; k++) {
        size_t len = sizeof f;
        uint64_t t = 0, t1 = 0;
        ck_assert_int_eq(wl_client_next(&c, &t, &t1, f, &len), 0);
        /* round(k * 1e6 / 3) = floor((2 k 1e6 + 3) / 6) */
        ck_assert_uint_eq(t, 5000 + (2 * k * 1000000 + 3) / 6);
        ck_assert_uint_eq(t1, t + WIRE_64B_40G - IFG_40G);
    }
    ck_assert_uint_eq(wl_client_stats(&c)->paced, 0);
    wl_client_free(&c);
}
END_TEST

/* Offered load above the link rate: after the first request every frame
 * waits for the previous one, so departures are back to back. */
START_TEST(test_overload_departs_back_to_back)
{
    wl_client_cfg_t g = base_cfg();
    g.load = WL_LOAD_CONSTANT;
    g.rate = 2e12 / WIRE_64B_40G; /* twice what the link carries */
    g.t_start_ps = 777;
    g.requests = 1000;
    wl_client_t c;
    client_init(&c, &g);
    uint8_t f[128];
    for (uint64_t k = 0; k < g.requests; k++) {
        size_t len = sizeof f;
        uint64_t t = 0;
        ck_assert_int_eq(wl_client_next(&c, &t, NULL, f, &len), 0);
        ck_assert_uint_eq(t, 777 + k * WIRE_64B_40G);
    }
    ck_assert_uint_eq(wl_client_stats(&c)->paced, g.requests - 1);
    wl_client_free(&c);
}
END_TEST

/* Poisson near and above saturation: a frame never starts before the
 * previous one's slot (frame + gap) is over, and some frames waited. */
START_TEST(test_pacing_never_overlaps)
{
    static const double rho[] = {0.5, 0.9, 1.5};
    for (size_t i = 0; i < sizeof rho / sizeof rho[0]; i++) {
        wl_client_cfg_t g = base_cfg();
        g.rate = rho[i] * 1e12 / WIRE_64B_40G;
        g.requests = 20000;
        wl_client_t c;
        client_init(&c, &g);
        uint8_t f[128];
        uint64_t prev = 0, equal = 0;
        for (uint64_t k = 0; k < g.requests; k++) {
            size_t len = sizeof f;
            uint64_t t = 0;
            ck_assert_int_eq(wl_client_next(&c, &t, NULL, f, &len), 0);
            if (k) {
                ck_assert_uint_ge(t, prev + WIRE_64B_40G);
                equal += t == prev + WIRE_64B_40G;
            }
            prev = t;
        }
        const wl_client_stats_t *st = wl_client_stats(&c);
        ck_assert_uint_gt(st->paced, 0);
        ck_assert_uint_le(st->paced, equal); /* a paced frame leaves exactly at link_free */
        wl_client_free(&c);
    }
}
END_TEST

START_TEST(test_same_seed_same_requests)
{
    wl_client_cfg_t g = base_cfg();
    wl_client_t a, b, d;
    client_init(&a, &g);
    client_init(&b, &g);
    g.seed = 43;
    client_init(&d, &g);
    uint8_t fa[128], fb[128], fd[128];
    int differ = 0;
    for (int k = 0; k < 100; k++) {
        size_t la = sizeof fa, lb = sizeof fb, ld = sizeof fd;
        uint64_t ta, tb, td;
        wl_client_next(&a, &ta, NULL, fa, &la);
        wl_client_next(&b, &tb, NULL, fb, &lb);
        wl_client_next(&d, &td, NULL, fd, &ld);
        ck_assert_uint_eq(ta, tb);
        ck_assert_mem_eq(fa, fb, la);
        differ += ta != td;
    }
    ck_assert_int_gt(differ, 0);
    wl_client_free(&a);
    wl_client_free(&b);
    wl_client_free(&d);
}
END_TEST

/* ---------------------------------------------------------------- responses */

/* Latency = last bit of the response - first bit of the request; warm-up
 * requests are answered but not measured. */
START_TEST(test_latency_from_hand_built_responses)
{
    wl_client_cfg_t g = base_cfg();
    g.requests = 5;
    g.warmup = 2;
    wl_client_t c;
    client_init(&c, &g);
    uint8_t f[5][128];
    uint64_t t[5];
    for (int k = 0; k < 5; k++) {
        size_t len = sizeof f[k];
        ck_assert_int_eq(wl_client_next(&c, &t[k], NULL, f[k], &len), 0);
    }
    /* answered out of order, latency (k + 1) us */
    for (int k = 4; k >= 0; k--) {
        make_response(f[k]);
        wl_client_receive(&c, f[k], 60, t[k] + (uint64_t)(k + 1) * 1000000);
    }
    const wl_client_stats_t *st = wl_client_stats(&c);
    ck_assert_uint_eq(st->answered, 5);
    ck_assert_uint_eq(st->measured, 3);
    ck_assert_uint_eq(st->unanswered, 0);
    ck_assert_uint_eq(st->duplicates + st->unknown + st->malformed, 0);
    const hist_t *h = wl_client_latency(&c);
    ck_assert_uint_eq(h->count, 3);
    ck_assert_uint_eq(h->min, 3000000);
    ck_assert_uint_eq(h->max, 5000000);
    ck_assert_double_eq_tol(hist_mean(h), 4000000.0, 1e-6);
    wl_client_free(&c);
}
END_TEST

/* Fix the UDP checksum after editing a response (0: "no checksum"). */
static void udp_nocsum(uint8_t *f)
{
    f[40] = f[41] = 0;
}

static void fix_ip_csum(uint8_t *f)
{
    f[24] = f[25] = 0;
    unsigned s = ~ones_sum(0, f + 14, 20) & 0xffff;
    f[24] = (uint8_t)(s >> 8), f[25] = (uint8_t)s;
}

START_TEST(test_duplicates_unknowns_malformed_counted)
{
    wl_client_cfg_t g = base_cfg();
    g.requests = 4;
    wl_client_t c;
    client_init(&c, &g);
    uint8_t req[3][128], r[128];
    uint64_t t[3];
    for (int k = 0; k < 3; k++) { /* request 3 is never sent */
        size_t len = sizeof req[k];
        ck_assert_int_eq(wl_client_next(&c, &t[k], NULL, req[k], &len), 0);
        make_response(req[k]);
    }
    uint64_t at = t[2] + 1000000;
    wl_client_receive(&c, req[0], 60, at); /* answered */
    wl_client_receive(&c, req[0], 60, at); /* duplicate */
    memcpy(r, req[1], 60);
    udp_nocsum(r); /* no UDP checksum is valid: answered */
    wl_client_receive(&c, r, 60, at);
    memcpy(r, req[2], 60);
    r[12] = 0x08, r[13] = 0x06; /* ARP: unknown */
    wl_client_receive(&c, r, 60, at);
    memcpy(r, req[2], 60);
    udp_nocsum(r);
    r[42 + 7] = 3; /* request 3 was never sent: unknown */
    wl_client_receive(&c, r, 60, at);
    memcpy(r, req[2], 60);
    udp_nocsum(r);
    r[34] ^= 0x01; /* from another port than the host's: unknown */
    wl_client_receive(&c, r, 60, at);
    memcpy(r, req[2], 60);
    udp_nocsum(r);
    r[37] ^= 0x01; /* to a port of no flow: unknown */
    wl_client_receive(&c, r, 60, at);
    memcpy(r, req[2], 60);
    r[22] = 63; /* TTL changed, header checksum not fixed: malformed */
    wl_client_receive(&c, r, 60, at);
    memcpy(r, req[2], 60);
    r[22] = 63;
    fix_ip_csum(r);
    r[50] ^= 0x80; /* payload corrupted under a valid UDP checksum: malformed */
    wl_client_receive(&c, r, 60, at);
    memcpy(r, req[2], 60);
    udp_nocsum(r);
    r[57] ^= 1; /* send time is not the request's: malformed */
    wl_client_receive(&c, r, 60, at);
    wl_client_receive(&c, req[2], 30, at); /* truncated: malformed */
    const wl_client_stats_t *st = wl_client_stats(&c);
    ck_assert_uint_eq(st->received, 11);
    ck_assert_uint_eq(st->answered, 2);
    ck_assert_uint_eq(st->duplicates, 1);
    ck_assert_uint_eq(st->unknown, 4);
    ck_assert_uint_eq(st->malformed, 4);
    ck_assert_uint_eq(st->sent, 3);
    ck_assert_uint_eq(st->unanswered, 1);
    ck_assert_uint_eq(wl_client_latency(&c)->count, 2);
    wl_client_free(&c);
}
END_TEST

START_TEST(test_bad_config_refused_with_message)
{
    struct {
        const char *field;
        wl_client_cfg_t g;
    } bad[8];
    for (int i = 0; i < 8; i++)
        bad[i].g = base_cfg();
    bad[0].field = "frame_len", bad[0].g.frame_len = 59;
    bad[1].field = "rate", bad[1].g.rate = 0;
    bad[2].field = "warmup", bad[2].g.warmup = bad[2].g.requests;
    bad[3].field = "flows", bad[3].g.flows = 0;
    bad[4].field = "wire_ps", bad[4].g.ifg_ps = bad[4].g.wire_ps;
    bad[5].field = "requests", bad[5].g.requests = 0;
    bad[6].field = "load", bad[6].g.load = (wl_load_kind_t)7;
    bad[7].field = "rate", bad[7].g.rate = NAN;
    for (int i = 0; i < 8; i++) {
        wl_client_t c;
        char err[160] = "";
        ck_assert_int_eq(wl_client_init(&c, &bad[i].g, err, sizeof err), -1);
        ck_assert_msg(strstr(err, bad[i].field), "case %d: '%s' lacks '%s'", i, err,
                      bad[i].field);
        wl_client_free(&c);
    }
}
END_TEST

static Suite *udp_client_suite(void)
{
    Suite *s = suite_create("udp_client");
    TCase *tc = tcase_create("udp_client");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_frames_are_valid_ipv4_udp);
    tcase_add_test(tc, test_small_buffer_consumes_nothing);
    tcase_add_test(tc, test_flows_spread);
    tcase_add_test(tc, test_poisson_mean_interdeparture_within_clt_bound);
    tcase_add_test(tc, test_constant_pacing_exact);
    tcase_add_test(tc, test_overload_departs_back_to_back);
    tcase_add_test(tc, test_pacing_never_overlaps);
    tcase_add_test(tc, test_same_seed_same_requests);
    tcase_add_test(tc, test_latency_from_hand_built_responses);
    tcase_add_test(tc, test_duplicates_unknowns_malformed_counted);
    tcase_add_test(tc, test_bad_config_refused_with_message);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(udp_client_suite)
