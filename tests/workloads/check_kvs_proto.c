/* tests/workloads/check_kvs_proto: the key-value protocol's shared
 * functions and its client side (workloads/kvs_proto.h).
 *
 * Expectations are independent of kvs_proto.c: the hash, partition, value
 * and key-name functions are recomputed by tests/workloads/kvs_ref.h from
 * their definitions and pinned to published vectors (FNV-1a 64 of "",
 * "a", "foobar"; SplitMix64's first outputs from seed 0); request bodies
 * are parsed byte by byte from the documented layout; key frequencies
 * are compared with the Zipf pmf 1/(k^theta H(n, theta)) summed here
 * (5 standard errors of the sample, fixed seeds: deterministic). */
#include "tests/check_main.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/workloads/kvs_ref.h"
#include "workloads/kvs_proto.h"

#define SE_TOL 5.0
#define BODY_CAP 2048u

static wl_kvs_proto_cfg_t base_cfg(void)
{
    return (wl_kvs_proto_cfg_t){
        .seed = 11,
        .keys = 1000,
        .dist = WL_KVS_UNIFORM,
        .theta = 0.99,
        .get_ratio = 0.9,
        .key_bytes = 16,
        .value_bytes = 64,
        .partitions = 4,
        .port_base = 9000,
    };
}

static void proto_up(wl_kvs_proto_t *p, wl_proto_t *v, const wl_kvs_proto_cfg_t *c)
{
    char err[200] = "";
    ck_assert_msg(wl_kvs_proto_init(p, c, err, sizeof err) == 0, "%s", err);
    wl_kvs_proto_bind(p, v);
}

/* One request as the documented layout says. */
typedef struct parsed {
    unsigned op, klen, vlen;
    char key[65];
    uint8_t value[BODY_CAP];
    uint16_t port;
    size_t len;
} parsed_t;

static void next_request(const wl_proto_t *v, uint64_t id, parsed_t *r)
{
    uint8_t body[BODY_CAP];
    uint16_t port = 7;
    size_t n = v->request(v->ctx, id, body, sizeof body, &port);
    ck_assert_uint_ge(n, 4);
    memset(r, 0, sizeof *r);
    r->op = body[0];
    r->klen = body[1];
    r->vlen = (unsigned)body[2] << 8 | body[3];
    ck_assert_uint_le(r->klen, 64);
    memcpy(r->key, body + 4, r->klen);
    memcpy(r->value, body + 4 + r->klen, n - 4 - r->klen);
    r->port = port;
    r->len = n;
}

static uint64_t key_index(const parsed_t *r)
{
    char *end = NULL;
    uint64_t k = strtoull(r->key, &end, 10);
    ck_assert_ptr_eq(end, r->key + r->klen);
    return k;
}

/* ---------------------------------------------------------------- shared functions */

START_TEST(test_hash_known_answers)
{
    ck_assert_uint_eq(wl_kvs_fnv1a((const uint8_t *)"", 0), 0xcbf29ce484222325ull);
    ck_assert_uint_eq(wl_kvs_fnv1a((const uint8_t *)"a", 1), 0xaf63dc4c8601ec8cull);
    ck_assert_uint_eq(wl_kvs_fnv1a((const uint8_t *)"foobar", 6), 0x85944171f73967e8ull);
    ck_assert_uint_eq(wl_kvs_sm64(0), 0xe220a8397b1dcdafull);
    ck_assert_uint_eq(wl_kvs_sm64(0x9e3779b97f4a7c15ull), 0x6e789e6aa1b965f4ull);
    /* the test's own reference agrees with the same vectors */
    ck_assert_uint_eq(ref_fnv1a("foobar", 6), 0x85944171f73967e8ull);
    ck_assert_uint_eq(ref_splitmix(0), 0xe220a8397b1dcdafull);
    for (unsigned i = 0; i < 1000; i++) {
        char k[16];
        ref_key_name(i, 12, k);
        ck_assert_uint_eq(wl_kvs_hash((const uint8_t *)k, 12), ref_hash(k, 12));
    }
}
END_TEST

START_TEST(test_key_names)
{
    uint8_t b[64];
    ck_assert_int_eq(wl_kvs_key_name(42, 16, b), 0);
    ck_assert_mem_eq(b, "0000000000000042", 16);
    ck_assert_int_eq(wl_kvs_key_name(9999, 4, b), 0);
    ck_assert_mem_eq(b, "9999", 4);
    ck_assert_int_eq(wl_kvs_key_name(10000, 4, b), -1);
    ck_assert_int_eq(wl_kvs_key_name(0, 0, b), -1);
    ck_assert_int_eq(wl_kvs_key_name(0, 65, b), -1);
    for (uint64_t k = 0; k < 5000; k += 7) {
        char want[64];
        ref_key_name(k, 20, want);
        ck_assert_int_eq(wl_kvs_key_name(k, 20, b), 0);
        ck_assert_mem_eq(b, want, 20);
    }
}
END_TEST

/* The partition agrees with the recomputation and spreads 80,000 keys
 * over 8 partitions evenly: Pearson's chi-square with 7 degrees of
 * freedom below 24.32 (its 99.9% quantile). */
START_TEST(test_partition_spreads_and_agrees)
{
    enum { N = 80000, P = 8 };
    unsigned count[P] = {0};
    for (uint64_t k = 0; k < N; k++) {
        char key[16];
        ref_key_name(k, 16, key);
        unsigned p = wl_kvs_partition((const uint8_t *)key, 16, P);
        ck_assert_uint_eq(p, ref_partition(key, 16, P));
        count[p]++;
    }
    double chi2 = 0, e = (double)N / P;
    for (unsigned p = 0; p < P; p++)
        chi2 += (count[p] - e) * (count[p] - e) / e;
    ck_assert_msg(chi2 < 24.32, "chi-square %.2f", chi2);
    for (unsigned parts = 1; parts < 40; parts++)
        ck_assert_uint_lt(wl_kvs_partition((const uint8_t *)"x", 1, parts), parts);
    ck_assert_uint_eq(wl_kvs_partition((const uint8_t *)"anything", 8, 1), 0);
}
END_TEST

START_TEST(test_canonical_values)
{
    const char *key = "0000000000000042";
    uint8_t v[300];
    wl_kvs_value_fill((const uint8_t *)key, 16, 0, v, sizeof v);
    for (uint32_t i = 0; i < sizeof v; i++) {
        ck_assert_uint_eq(v[i], ref_value_byte(key, 16, i));
        ck_assert_uint_eq(wl_kvs_value_byte((const uint8_t *)key, 16, i), v[i]);
    }
    uint8_t w[100];
    wl_kvs_value_fill((const uint8_t *)key, 16, 13, w, sizeof w); /* unaligned offset */
    ck_assert_mem_eq(w, v + 13, sizeof w);
    ck_assert(wl_kvs_value_ok((const uint8_t *)key, 16, v, sizeof v));
    ck_assert(wl_kvs_value_ok((const uint8_t *)key, 16, v, 0));
    v[257] ^= 1;
    ck_assert(!wl_kvs_value_ok((const uint8_t *)key, 16, v, sizeof v));
    /* another key's value is not canonical for this one */
    wl_kvs_value_fill((const uint8_t *)"0000000000000043", 16, 0, v, 64);
    ck_assert(!wl_kvs_value_ok((const uint8_t *)key, 16, v, 64));
}
END_TEST

START_TEST(test_parse_request)
{
    wl_kvs_msg_t m;
    uint8_t b[80] = {1, 3, 0, 0, 'a', 'b', 'c'};
    ck_assert_int_eq(wl_kvs_parse_request(b, 7, &m), 0);
    ck_assert_uint_eq(m.op, 1);
    ck_assert_uint_eq(m.key_len, 3);
    ck_assert_uint_eq(m.value_len, 0);
    ck_assert_mem_eq(m.key, "abc", 3);
    ck_assert_int_eq(wl_kvs_parse_request(b, 8, &m), -1); /* a byte too many */
    ck_assert_int_eq(wl_kvs_parse_request(b, 6, &m), -1); /* a byte short */
    ck_assert_int_eq(wl_kvs_parse_request(b, 3, &m), -1);
    uint8_t s[] = {2, 1, 0, 2, 'k', 'v', 'w'};
    ck_assert_int_eq(wl_kvs_parse_request(s, 7, &m), 0);
    ck_assert_uint_eq(m.value_len, 2);
    ck_assert_mem_eq(m.value, "vw", 2);
    uint8_t g[] = {1, 1, 0, 2, 'k', 'v', 'w'}; /* a GET with a value */
    ck_assert_int_eq(wl_kvs_parse_request(g, 7, &m), -1);
    uint8_t o[] = {3, 1, 0, 0, 'k'};           /* no such op */
    ck_assert_int_eq(wl_kvs_parse_request(o, 5, &m), -1);
    uint8_t z[] = {1, 0, 0, 0};                /* empty key */
    ck_assert_int_eq(wl_kvs_parse_request(z, 4, &m), -1);
    b[1] = 65;
    ck_assert_int_eq(wl_kvs_parse_request(b, 69, &m), -1);
}
END_TEST

/* ---------------------------------------------------------------- the client side */

/* Bodies are the documented bytes: op, key length, value length, key
 * (a decimal name), canonical value; the port is the key's partition's. */
START_TEST(test_request_bytes_parse_back)
{
    wl_kvs_proto_t p;
    wl_proto_t v;
    wl_kvs_proto_cfg_t c = base_cfg();
    proto_up(&p, &v, &c);
    ck_assert_str_eq(v.name, "kvs");
    ck_assert_str_eq(v.outcomes[0], "hit");
    ck_assert_str_eq(v.outcomes[1], "miss");
    ck_assert_str_eq(v.outcomes[2], "stored");
    ck_assert_str_eq(v.outcomes[3], "refused");
    ck_assert_ptr_null(v.outcomes[4]);
    unsigned sets = 0;
    for (uint64_t id = 0; id < 500; id++) {
        parsed_t r;
        next_request(&v, id, &r);
        ck_assert(r.op == 1 || r.op == 2);
        ck_assert_uint_eq(r.klen, 16);
        ck_assert_uint_lt(key_index(&r), c.keys);
        ck_assert_uint_eq(r.port, 9000 + ref_partition(r.key, 16, 4));
        if (r.op == 1) {
            ck_assert_uint_eq(r.vlen, 0);
            ck_assert_uint_eq(r.len, 4 + 16);
            continue;
        }
        sets++;
        ck_assert_uint_eq(r.vlen, 64);
        ck_assert_uint_eq(r.len, 4 + 16 + 64);
        for (unsigned i = 0; i < 64; i++)
            ck_assert_uint_eq(r.value[i], ref_value_byte(r.key, 16, i));
    }
    ck_assert_uint_gt(sets, 0);
    ck_assert_uint_eq(p.gets + p.sets, 500);
    wl_kvs_proto_free(&p);
}
END_TEST

static double harmonic(uint64_t n, double theta)
{
    long double h = 0;
    for (uint64_t k = n; k >= 1; k--)
        h += 1.0L / powl((long double)k, theta);
    return (double)h;
}

/* The scramble is the documented bijection k = (r - 1) A mod n. */
static uint64_t ref_mult(uint64_t n)
{
    uint64_t a = (uint64_t)llround((double)n * (sqrt(5.0) - 1) / 2);
    if (a == 0)
        a = 1;
    for (;; a--) {
        uint64_t x = a, y = n;
        while (y) {
            uint64_t t = x % y;
            x = y;
            y = t;
        }
        if (x == 1 || a == 1)
            return a;
    }
}

START_TEST(test_scramble_is_the_documented_bijection)
{
    static const uint64_t ns[] = {1, 2, 10, 997, 1000, 4096};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        wl_kvs_proto_t p;
        wl_proto_t v;
        wl_kvs_proto_cfg_t c = base_cfg();
        c.keys = ns[t];
        proto_up(&p, &v, &c);
        uint64_t a = ref_mult(ns[t]);
        unsigned char *seen = calloc(ns[t], 1);
        for (uint64_t r = 1; r <= ns[t]; r++) {
            uint64_t k = wl_kvs_proto_key_of_rank(&p, r);
            ck_assert_uint_eq(k, (r - 1) * a % ns[t]);
            ck_assert(!seen[k]);
            seen[k] = 1;
        }
        free(seen);
        wl_kvs_proto_free(&p);
    }
}
END_TEST

/* Zipf(0.99, 1000): the keys of ranks 1..3 come with the pmf's
 * frequencies, within 5 standard errors of 200,000 requests. */
START_TEST(test_zipf_frequencies)
{
    enum { N = 200000 };
    wl_kvs_proto_t p;
    wl_proto_t v;
    wl_kvs_proto_cfg_t c = base_cfg();
    c.dist = WL_KVS_ZIPF;
    proto_up(&p, &v, &c);
    uint64_t a = ref_mult(c.keys), count[4] = {0};
    for (uint64_t id = 0; id < N; id++) {
        parsed_t r;
        next_request(&v, id, &r);
        uint64_t k = key_index(&r);
        for (unsigned rank = 1; rank <= 3; rank++)
            if (k == (rank - 1) * a % c.keys)
                count[rank]++;
    }
    double h = harmonic(c.keys, c.theta);
    for (unsigned rank = 1; rank <= 3; rank++) {
        double want = 1.0 / (pow(rank, c.theta) * h), got = (double)count[rank] / N;
        double se = sqrt(want * (1 - want) / N);
        ck_assert_msg(fabs(got - want) <= SE_TOL * se, "rank %u: %.5f, expected %.5f (se %.5f)",
                      rank, got, want, se);
    }
    wl_kvs_proto_free(&p);
}
END_TEST

/* Uniform over 10 keys: Pearson's chi-square (9 degrees of freedom)
 * below 27.88, its 99.9% quantile. */
START_TEST(test_uniform_frequencies)
{
    enum { N = 100000 };
    wl_kvs_proto_t p;
    wl_proto_t v;
    wl_kvs_proto_cfg_t c = base_cfg();
    c.keys = 10;
    c.key_bytes = 2;
    proto_up(&p, &v, &c);
    uint64_t count[10] = {0};
    for (uint64_t id = 0; id < N; id++) {
        parsed_t r;
        next_request(&v, id, &r);
        count[key_index(&r)]++;
    }
    double chi2 = 0, e = N / 10.0;
    for (unsigned k = 0; k < 10; k++)
        chi2 += (count[k] - e) * (count[k] - e) / e;
    ck_assert_msg(chi2 < 27.88, "chi-square %.2f", chi2);
    wl_kvs_proto_free(&p);
}
END_TEST

START_TEST(test_get_ratio_honoured)
{
    static const double ratios[] = {0.0, 0.5, 0.95, 1.0};
    enum { N = 40000 };
    for (size_t t = 0; t < 4; t++) {
        wl_kvs_proto_t p;
        wl_proto_t v;
        wl_kvs_proto_cfg_t c = base_cfg();
        c.get_ratio = ratios[t];
        proto_up(&p, &v, &c);
        unsigned gets = 0;
        for (uint64_t id = 0; id < N; id++) {
            parsed_t r;
            next_request(&v, id, &r);
            gets += r.op == 1;
        }
        double se = sqrt(ratios[t] * (1 - ratios[t]) / N);
        ck_assert_msg(fabs((double)gets / N - ratios[t]) <= SE_TOL * se,
                      "get_ratio %.2f: %u GETs of %u", ratios[t], gets, (unsigned)N);
        wl_kvs_proto_free(&p);
    }
}
END_TEST

/* A response body: op, status, value length, value. */
static size_t resp(uint8_t *b, unsigned op, unsigned status, const uint8_t *val, unsigned n)
{
    b[0] = (uint8_t)op;
    b[1] = (uint8_t)status;
    b[2] = (uint8_t)(n >> 8);
    b[3] = (uint8_t)n;
    if (n)
        memcpy(b + 4, val, n);
    return 4 + n;
}

START_TEST(test_response_checks)
{
    wl_kvs_proto_t p;
    wl_proto_t v;
    wl_kvs_proto_cfg_t c = base_cfg();
    c.get_ratio = 0.5;
    proto_up(&p, &v, &c);
    parsed_t req[64];
    uint64_t get_id = UINT64_MAX, set_id = UINT64_MAX;
    for (uint64_t id = 0; id < 64; id++) {
        next_request(&v, id, &req[id]);
        if (req[id].op == 1 && get_id == UINT64_MAX)
            get_id = id;
        if (req[id].op == 2 && set_id == UINT64_MAX)
            set_id = id;
    }
    ck_assert(get_id != UINT64_MAX && set_id != UINT64_MAX);
    const char *key = req[get_id].key;
    uint8_t val[100], b[200];
    for (unsigned i = 0; i < sizeof val; i++)
        val[i] = ref_value_byte(key, 16, i);
    /* GET: hit (any length of canonical bytes), miss, refused */
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 0, val, 100)), WL_KVS_OUT_HIT);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 0, val, 7)), WL_KVS_OUT_HIT);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 0, val, 0)), WL_KVS_OUT_HIT);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 1, NULL, 0)), WL_KVS_OUT_MISS);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 2, NULL, 0)), WL_KVS_OUT_REFUSED);
    /* wrong op, bad status, a miss or refusal with a value, a length
     * that is not 4 + value_len, a value not canonical */
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 2, 0, NULL, 0)), -1);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 3, NULL, 0)), -1);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 1, val, 4)), -1);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 2, val, 4)), -1);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 0, val, 100) - 1), -1);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 0, val, 100) + 1), -1);
    ck_assert_int_eq(v.response(v.ctx, get_id, b, 3), -1);
    val[50] ^= 0x80;
    ck_assert_int_eq(v.response(v.ctx, get_id, b, resp(b, 1, 0, val, 100)), -1);
    /* SET: stored, refused; never a miss nor a value */
    ck_assert_int_eq(v.response(v.ctx, set_id, b, resp(b, 2, 0, NULL, 0)), WL_KVS_OUT_STORED);
    ck_assert_int_eq(v.response(v.ctx, set_id, b, resp(b, 2, 2, NULL, 0)), WL_KVS_OUT_REFUSED);
    ck_assert_int_eq(v.response(v.ctx, set_id, b, resp(b, 2, 1, NULL, 0)), -1);
    ck_assert_int_eq(v.response(v.ctx, set_id, b, resp(b, 2, 0, val, 1)), -1);
    ck_assert_int_eq(v.response(v.ctx, set_id, b, resp(b, 1, 0, NULL, 0)), -1);
    /* an id never requested */
    ck_assert_int_eq(v.response(v.ctx, 64, b, resp(b, 1, 1, NULL, 0)), -1);
    ck_assert_int_eq(v.response(v.ctx, 1u << 30, b, resp(b, 1, 1, NULL, 0)), -1);
    wl_kvs_proto_free(&p);
}
END_TEST

/* Trace mode: the i-th request is record i mod n, op, key and value size. */
START_TEST(test_trace_mode_in_order)
{
    static const wl_kvs_req_t tr[3] = {
        {.op = 2, .key_len = 5, .key = "alpha", .value_size = 10},
        {.op = 1, .key_len = 4, .key = "beta", .value_size = 999},
        {.op = 2, .key_len = 1, .key = "g", .value_size = 0},
    };
    wl_kvs_proto_t p;
    wl_proto_t v;
    wl_kvs_proto_cfg_t c = base_cfg();
    c.trace = tr;
    c.trace_n = 3;
    c.partitions = 3;
    proto_up(&p, &v, &c);
    for (uint64_t id = 0; id < 7; id++) {
        parsed_t r;
        const wl_kvs_req_t *t = &tr[id % 3];
        next_request(&v, id, &r);
        ck_assert_uint_eq(r.op, t->op);
        ck_assert_uint_eq(r.klen, t->key_len);
        ck_assert_mem_eq(r.key, t->key, t->key_len);
        ck_assert_uint_eq(r.vlen, t->op == 2 ? t->value_size : 0);
        for (unsigned i = 0; i < r.vlen; i++)
            ck_assert_uint_eq(r.value[i], ref_value_byte(t->key, t->key_len, i));
        ck_assert_uint_eq(r.port, 9000 + ref_partition(t->key, t->key_len, 3));
    }
    uint8_t b[64], val[8];
    for (unsigned i = 0; i < 8; i++)
        val[i] = ref_value_byte("beta", 4, i);
    ck_assert_int_eq(v.response(v.ctx, 4, b, resp(b, 1, 0, val, 8)), WL_KVS_OUT_HIT);
    ck_assert_int_eq(v.response(v.ctx, 3, b, resp(b, 2, 0, NULL, 0)), WL_KVS_OUT_STORED);
    wl_kvs_proto_free(&p);
}
END_TEST

START_TEST(test_same_seed_same_requests)
{
    wl_kvs_proto_t p1, p2, p3;
    wl_proto_t v1, v2, v3;
    wl_kvs_proto_cfg_t c = base_cfg();
    c.dist = WL_KVS_ZIPF;
    proto_up(&p1, &v1, &c);
    proto_up(&p2, &v2, &c);
    c.seed = 12;
    proto_up(&p3, &v3, &c);
    unsigned differ = 0;
    for (uint64_t id = 0; id < 200; id++) {
        parsed_t a, b, d;
        next_request(&v1, id, &a);
        next_request(&v2, id, &b);
        next_request(&v3, id, &d);
        ck_assert_uint_eq(a.len, b.len);
        ck_assert_mem_eq(a.key, b.key, 16);
        ck_assert_uint_eq(a.op, b.op);
        differ += a.op != d.op || memcmp(a.key, d.key, 16) != 0;
    }
    ck_assert_uint_gt(differ, 100);
    wl_kvs_proto_free(&p1);
    wl_kvs_proto_free(&p2);
    wl_kvs_proto_free(&p3);
}
END_TEST

/* A body longer than the client's room is not sent (length 0) and its
 * id is not remembered. */
START_TEST(test_body_beyond_cap)
{
    wl_kvs_proto_t p;
    wl_proto_t v;
    wl_kvs_proto_cfg_t c = base_cfg();
    c.get_ratio = 0;
    proto_up(&p, &v, &c);
    uint8_t body[40], b[8];
    uint16_t port = 0;
    ck_assert_uint_eq(v.request(v.ctx, 0, body, sizeof body, &port), 0);
    ck_assert_uint_eq(p.too_long, 1);
    ck_assert_int_eq(v.response(v.ctx, 0, b, resp(b, 2, 0, NULL, 0)), -1);
    wl_kvs_proto_free(&p);
}
END_TEST

START_TEST(test_bad_configs_named)
{
    static const wl_kvs_req_t bad_tr[2] = {
        {.op = 1, .key_len = 3, .key = "abc"},
        {.op = 7, .key_len = 3, .key = "abc"},
    };
    static const struct {
        const char *field;
        int what;
    } cases[] = {
        {"keys", 0},      {"keys", 1},       {"key_bytes", 2}, {"value_bytes", 3},
        {"get_ratio", 4}, {"partitions", 5}, {"port_base", 6}, {"record 1", 7},
        {"dist", 8},      {"theta", 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wl_kvs_proto_cfg_t c = base_cfg();
        switch (cases[i].what) {
        case 0: c.keys = 0; break;
        case 1: c.keys = 10001, c.key_bytes = 4; break; /* 10^4 names of 4 digits */
        case 2: c.key_bytes = 65; break;
        case 3: c.value_bytes = 1437; break;            /* 4 + 16 + 1437 > 1456 */
        case 4: c.get_ratio = 1.5; break;
        case 5: c.partitions = 0; break;
        case 6: c.port_base = 65534; break;             /* 4 partitions */
        case 7: c.trace = bad_tr, c.trace_n = 2; break;
        case 8: c.dist = 5; break;
        case 9: c.dist = WL_KVS_ZIPF, c.theta = -1; break;
        }
        wl_kvs_proto_t p;
        char err[200] = "";
        ck_assert_int_eq(wl_kvs_proto_init(&p, &c, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].field), "case %zu: message '%s'", i, err);
        wl_kvs_proto_free(&p);
    }
    wl_kvs_proto_cfg_t c = base_cfg();
    c.keys = 10000, c.key_bytes = 4; /* exactly 10^4: fits */
    c.value_bytes = 1436;            /* 4 + 4 + 1436 <= 1456 */
    wl_kvs_proto_t p;
    char err[200] = "";
    ck_assert_msg(wl_kvs_proto_init(&p, &c, err, sizeof err) == 0, "%s", err);
    wl_kvs_proto_free(&p);
}
END_TEST

static Suite *kvs_proto_suite(void)
{
    Suite *s = suite_create("kvs_proto");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, test_hash_known_answers);
    tcase_add_test(tc, test_key_names);
    tcase_add_test(tc, test_partition_spreads_and_agrees);
    tcase_add_test(tc, test_canonical_values);
    tcase_add_test(tc, test_parse_request);
    suite_add_tcase(s, tc);
    TCase *cl = tcase_create("client");
    tcase_set_timeout(cl, 60);
    tcase_add_test(cl, test_request_bytes_parse_back);
    tcase_add_test(cl, test_scramble_is_the_documented_bijection);
    tcase_add_test(cl, test_zipf_frequencies);
    tcase_add_test(cl, test_uniform_frequencies);
    tcase_add_test(cl, test_get_ratio_honoured);
    tcase_add_test(cl, test_response_checks);
    tcase_add_test(cl, test_trace_mode_in_order);
    tcase_add_test(cl, test_same_seed_same_requests);
    tcase_add_test(cl, test_body_beyond_cap);
    tcase_add_test(cl, test_bad_configs_named);
    suite_add_tcase(s, cl);
    return s;
}

CHECK_MAIN(kvs_proto_suite)
