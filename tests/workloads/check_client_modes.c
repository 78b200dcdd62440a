/* tests/workloads/check_client_modes: the client's other loads
 * (workloads/load.h: ramp, trace; the closed loop), timeouts and a
 * protocol body (workloads/proto.h).
 *
 * Expectations: counts of Poisson arrivals in a window against the
 * Poisson bound (mean +- 5 sigma, sigma = sqrt(mean)), exact times for
 * traces, the closed loop's rule (a connection sends again think_ps after
 * its answer), the timeout rule, and wire times from IEEE 802.3's
 * framing (max(len, 60) + 24 bytes at the link's ps per byte). */
#include "tests/workloads/client_test.h"

#include <math.h>
#include <stdio.h>

#include "workloads/load.h"

#define MS UINT64_C(1000000000)

static unsigned count_between(const uint64_t *t, size_t n, uint64_t lo, uint64_t hi)
{
    unsigned c = 0;
    for (size_t i = 0; i < n; i++)
        c += t[i] >= lo && t[i] < hi;
    return c;
}

static void assert_poisson_count(unsigned got, double mean)
{
    double tol = 5 * sqrt(mean);
    ck_assert_msg(fabs(got - mean) <= tol, "count %u, expected %.0f +- %.0f", got, mean, tol);
}

START_TEST(test_ramp_rates_and_pause)
{
    static const wl_ramp_step_t steps[] = {{0, 1e6}, {1 * MS, 0}, {2 * MS, 4e6}, {3 * MS, 0}};
    wl_load_cfg_t g = {.kind = WL_LOAD_RAMP, .seed = 3, .t_start_ps = 5000, .steps = steps,
                       .nsteps = 4};
    wl_load_t l;
    char err[160];
    ck_assert_int_eq(wl_load_init(&l, &g, err, sizeof err), 0);
    static uint64_t t[20000];
    size_t n = 0;
    for (uint64_t x; (x = wl_load_next(&l)) != WL_LOAD_END; n++) {
        ck_assert_uint_lt(n, 20000);
        ck_assert(n == 0 || x >= t[n - 1]);
        t[n] = x;
    }
    uint64_t t0 = g.t_start_ps;
    assert_poisson_count(count_between(t, n, t0, t0 + MS), 1000);
    ck_assert_uint_eq(count_between(t, n, t0 + MS, t0 + 2 * MS), 0);
    assert_poisson_count(count_between(t, n, t0 + 2 * MS, t0 + 3 * MS), 4000);
    ck_assert_uint_eq(count_between(t, n, t0 + 3 * MS, UINT64_MAX), 0);
}
END_TEST

START_TEST(test_trace_times_exact)
{
    static const uint64_t times[] = {0, 10, 10, 250, 1000000};
    wl_load_cfg_t g = {.kind = WL_LOAD_TRACE, .t_start_ps = 777, .times = times, .ntimes = 5};
    wl_load_t l;
    char err[160];
    ck_assert_int_eq(wl_load_init(&l, &g, err, sizeof err), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(wl_load_next(&l), 777 + times[i]);
    ck_assert_uint_eq(wl_load_next(&l), WL_LOAD_END);
}
END_TEST

START_TEST(test_bad_loads_refused)
{
    static const wl_ramp_step_t late_start[] = {{5, 1e6}};
    static const wl_ramp_step_t back[] = {{0, 1e6}, {10, 1e6}, {10, 2e6}};
    static const wl_ramp_step_t neg[] = {{0, -1}};
    static const uint64_t down[] = {5, 4};
    struct { wl_load_cfg_t g; const char *what; } bad[] = {
        {{.kind = WL_LOAD_RAMP, .steps = late_start, .nsteps = 1}, "first step"},
        {{.kind = WL_LOAD_RAMP, .steps = back, .nsteps = 3}, "increase"},
        {{.kind = WL_LOAD_RAMP, .steps = neg, .nsteps = 1}, "rate"},
        {{.kind = WL_LOAD_RAMP, .steps = neg, .nsteps = 0}, "steps"},
        {{.kind = WL_LOAD_TRACE, .times = down, .ntimes = 2}, "decrease"},
        {{.kind = WL_LOAD_TRACE, .times = down, .ntimes = 0}, "no arrival"},
        {{.kind = WL_LOAD_POISSON, .rate = 0}, "rate"},
        {{.kind = WL_LOAD_CLOSED}, "kind"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wl_load_t l;
        char err[160] = "";
        ck_assert_int_eq(wl_load_init(&l, &bad[i].g, err, sizeof err), -1);
        ck_assert_msg(strstr(err, bad[i].what), "case %zu: '%s' lacks '%s'", i, err, bad[i].what);
    }
}
END_TEST

/* ---------------------------------------------------------------- closed loop */

static wl_client_cfg_t closed_cfg(unsigned flows, unsigned outstanding, uint64_t requests)
{
    wl_client_cfg_t g = base_cfg();
    g.load = WL_LOAD_CLOSED;
    g.flows = flows;
    g.outstanding = outstanding;
    g.requests = requests;
    g.think_ps = 1000;
    return g;
}

static unsigned flow_of_frame(const uint8_t *f)
{
    return (unsigned)(be16(f + 14 + 14) - be16((const uint8_t *)CLIENT_IP + 2)); /* low 16 bits */
}

START_TEST(test_closed_loop_keeps_n_in_flight)
{
    wl_client_cfg_t g = closed_cfg(2, 3, 100);
    wl_client_t c;
    client_init(&c, &g);
    uint8_t f[8][128];
    uint64_t t[8];
    unsigned per_flow[2] = {0, 0};
    for (int k = 0; k < 6; k++) {
        size_t len = sizeof f[k];
        ck_assert_int_eq(wl_client_next(&c, &t[k], NULL, f[k], &len), 0);
        /* all start at t_start: back to back on the link */
        ck_assert_uint_eq(t[k], (uint64_t)k * WIRE_64B_40G);
        per_flow[flow_of_frame(f[k])]++;
    }
    ck_assert_uint_eq(per_flow[0], 3);
    ck_assert_uint_eq(per_flow[1], 3);
    size_t len = sizeof f[6];
    ck_assert_int_eq(wl_client_next(&c, &t[6], NULL, f[6], &len), -3); /* all in flight */
    /* the answer to request 4 at 1 ms: its connection sends think_ps later */
    unsigned fl = flow_of_frame(f[4]);
    make_response(f[4]);
    wl_client_receive(&c, f[4], 60, MS);
    len = sizeof f[6];
    ck_assert_int_eq(wl_client_next(&c, &t[6], NULL, f[6], &len), 0);
    ck_assert_uint_eq(t[6], MS + g.think_ps);
    ck_assert_uint_eq(flow_of_frame(f[6]), fl);
    len = sizeof f[7];
    ck_assert_int_eq(wl_client_next(&c, &t[7], NULL, f[7], &len), -3);
    ck_assert_uint_eq(wl_client_stats(&c)->answered, 1);
    wl_client_free(&c);
}
END_TEST

START_TEST(test_timeouts_give_up_and_count_late)
{
    wl_client_cfg_t g = closed_cfg(1, 1, 10);
    g.timeout_ps = 50 * 1000000; /* 50 us */
    wl_client_t c;
    client_init(&c, &g);
    uint8_t f[3][128];
    uint64_t t[3];
    size_t len = sizeof f[0];
    ck_assert_int_eq(wl_client_next(&c, &t[0], NULL, f[0], &len), 0);
    ck_assert_uint_eq(wl_client_deadline(&c), t[0] + g.timeout_ps);
    wl_client_expire(&c, t[0] + g.timeout_ps - 1); /* not yet */
    ck_assert_uint_eq(wl_client_stats(&c)->timed_out, 0);
    len = sizeof f[1];
    ck_assert_int_eq(wl_client_next(&c, &t[1], NULL, f[1], &len), -3);
    wl_client_expire(&c, t[0] + g.timeout_ps);
    ck_assert_uint_eq(wl_client_stats(&c)->timed_out, 1);
    /* the connection moves on from the deadline */
    ck_assert_int_eq(wl_client_next(&c, &t[1], NULL, f[1], &len), 0);
    ck_assert_uint_eq(t[1], t[0] + g.timeout_ps + g.think_ps);
    /* the first answer arrives after all: late, not answered, and it does
     * not free the connection twice */
    make_response(f[0]);
    wl_client_receive(&c, f[0], 60, t[0] + g.timeout_ps + 5);
    len = sizeof f[2];
    ck_assert_int_eq(wl_client_next(&c, &t[2], NULL, f[2], &len), -3);
    /* request 1 answered after 60 us: late too, so the loop goes on */
    make_response(f[1]);
    wl_client_receive(&c, f[1], 60, t[1] + 60 * 1000000);
    ck_assert_int_eq(wl_client_next(&c, &t[2], NULL, f[2], &len), 0);
    ck_assert_uint_eq(t[2], t[1] + 60 * 1000000 + g.think_ps);
    const wl_client_stats_t *st = wl_client_stats(&c);
    ck_assert_uint_eq(st->late, 2);
    ck_assert_uint_eq(st->timed_out, 2);
    ck_assert_uint_eq(st->answered, 0);
    ck_assert_uint_eq(st->unanswered, 3);
    ck_assert_uint_eq(wl_client_latency(&c)->count, 0);
    wl_client_free(&c);
}
END_TEST

/* ---------------------------------------------------------------- a protocol */

typedef struct tproto {
    uint64_t requests;
} tproto_t;

static const char *const t_outcomes[] = {"even", "odd", NULL};

/* Request id's body: id % 7 + 1 bytes of 'a' + id, to port 9000 + id % 3. */
static size_t t_request(void *ctx, uint64_t id, uint8_t *body, size_t cap, uint16_t *port)
{
    tproto_t *p = ctx;
    ck_assert_uint_eq(id, p->requests); /* once per id, in order */
    p->requests++;
    size_t n = id % 7 + 1;
    ck_assert_uint_ge(cap, n);
    memset(body, 'a' + (int)(id % 26), n);
    *port = (uint16_t)(9000 + id % 3);
    return n;
}

/* Correct: the body reversed... here simply the body echoed. */
static int t_response(void *ctx, uint64_t id, const uint8_t *body, size_t len)
{
    (void)ctx;
    if (len < id % 7 + 1 || body[0] != 'a' + id % 26)
        return -1;
    return (int)(id & 1);
}

START_TEST(test_protocol_body_port_length_and_outcomes)
{
    tproto_t tp = {0};
    wl_proto_t proto = {"t", t_outcomes, t_request, t_response, &tp};
    wl_client_cfg_t g = base_cfg();
    g.proto = &proto;
    g.requests = 14;
    g.ps_per_byte = 200; /* 40 GbE */
    wl_client_t c;
    client_init(&c, &g);
    uint8_t f[14][WL_CLIENT_FRAME_MAX];
    size_t len[14];
    uint64_t first[14], last[14];
    for (int k = 0; k < 14; k++) {
        len[k] = sizeof f[k];
        ck_assert_int_eq(wl_client_next(&c, &first[k], &last[k], f[k], &len[k]), 0);
        size_t body = (size_t)k % 7 + 1;
        size_t want = 42 + 16 + body < 60 ? 60 : 42 + 16 + body;
        ck_assert_uint_eq(len[k], want);
        ck_assert_uint_eq(be16(f[k] + 36), 9000 + k % 3);        /* UDP destination port */
        ck_assert_uint_eq(be16(f[k] + 38), want - 34);           /* UDP length */
        ck_assert_uint_eq(f[k][58], 'a' + k % 26);               /* the body */
        /* IEEE 802.3 framing: max(len, 60) + 24 bytes at 200 ps */
        ck_assert_uint_eq(last[k] - first[k], 200 * (want + 24) - IFG_40G);
        unsigned long pseudo = ones_sum(0, f[k] + 26, 8) + 17u + be16(f[k] + 38);
        ck_assert_uint_eq(ones_sum(pseudo, f[k] + 34, be16(f[k] + 38)), 0xffff);
    }
    /* answers: ids 0..13; 13 with a wrong body */
    for (int k = 0; k < 14; k++) {
        if (k == 13)
            f[k][58] ^= 1, f[k][40] = f[k][41] = 0; /* no UDP checksum */
        make_response(f[k]);
        wl_client_receive(&c, f[k], len[k], last[k] + 1000);
    }
    const wl_client_stats_t *st = wl_client_stats(&c);
    ck_assert_uint_eq(st->answered, 13);
    ck_assert_uint_eq(st->malformed, 1);
    ck_assert_uint_eq(st->outcome[0], 7); /* 0, 2, ..., 12 */
    ck_assert_uint_eq(st->outcome[1], 6); /* 1, 3, ..., 11 */
    unsigned n;
    const char *const *names = wl_client_outcomes(&c, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(names[1], "odd");
    wl_client_free(&c);
}
END_TEST

static Suite *client_modes_suite(void)
{
    Suite *s = suite_create("client_modes");
    TCase *tc = tcase_create("client_modes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ramp_rates_and_pause);
    tcase_add_test(tc, test_trace_times_exact);
    tcase_add_test(tc, test_bad_loads_refused);
    tcase_add_test(tc, test_closed_loop_keeps_n_in_flight);
    tcase_add_test(tc, test_timeouts_give_up_and_count_late);
    tcase_add_test(tc, test_protocol_body_port_length_and_outcomes);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(client_modes_suite)
