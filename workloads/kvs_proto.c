/* workloads/kvs_proto.c: the key-value wire protocol's shared functions
 * and its client side (workloads/kvs_proto.h has the contract). */
#include "workloads/kvs_proto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_BASIS UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)
#define REC_BYTES 5u

static const char *const outcome_names[] = {"hit", "miss", "stored", "refused", NULL};

/* ---------------------------------------------------------------- shared functions */

uint64_t wl_kvs_fnv1a(const uint8_t *key, size_t len)
{
    uint64_t h = FNV_BASIS;
    for (size_t i = 0; i < len; i++) {
        h ^= key[i];
        h *= FNV_PRIME;
    }
    return h;
}

uint64_t wl_kvs_sm64(uint64_t x)
{
    uint64_t z = x + UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t wl_kvs_hash(const uint8_t *key, size_t len)
{
    return wl_kvs_sm64(wl_kvs_fnv1a(key, len));
}

unsigned wl_kvs_partition_of_hash(uint64_t h, unsigned partitions)
{
    return (unsigned)(((h >> 32) * (uint64_t)partitions) >> 32);
}

unsigned wl_kvs_partition(const uint8_t *key, size_t len, unsigned partitions)
{
    return wl_kvs_partition_of_hash(wl_kvs_hash(key, len), partitions);
}

uint8_t wl_kvs_value_byte(const uint8_t *key, size_t len, uint32_t i)
{
    uint64_t w = wl_kvs_sm64(wl_kvs_fnv1a(key, len) + 1 + i / 8);
    return (uint8_t)(w >> (8 * (i % 8)));
}

void wl_kvs_value_fill(const uint8_t *key, size_t len, uint32_t off, uint8_t *out, size_t n)
{
    uint64_t f = wl_kvs_fnv1a(key, len);
    for (size_t j = 0; j < n;) {
        uint64_t i = (uint64_t)off + j;
        uint64_t w = wl_kvs_sm64(f + 1 + i / 8);
        for (unsigned b = (unsigned)(i % 8); b < 8 && j < n; b++, j++)
            out[j] = (uint8_t)(w >> (8 * b));
    }
}

bool wl_kvs_value_ok(const uint8_t *key, size_t len, const uint8_t *v, size_t n)
{
    uint8_t want[64];
    for (size_t at = 0; at < n; at += sizeof want) {
        size_t m = n - at < sizeof want ? n - at : sizeof want;
        wl_kvs_value_fill(key, len, (uint32_t)at, want, m);
        if (memcmp(want, v + at, m))
            return false;
    }
    return true;
}

int wl_kvs_key_name(uint64_t k, unsigned key_bytes, uint8_t *buf)
{
    if (key_bytes < 1 || key_bytes > WL_KVS_KEY_MAX)
        return -1;
    for (unsigned i = key_bytes; i-- > 0;) {
        buf[i] = (uint8_t)('0' + k % 10);
        k /= 10;
    }
    return k ? -1 : 0;
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

int wl_kvs_parse_request(const uint8_t *body, size_t len, wl_kvs_msg_t *out)
{
    if (len < WL_KVS_BODY_HDR)
        return -1;
    unsigned op = body[0], klen = body[1], vlen = get16(body + 2);
    if ((op != WL_KVS_OP_GET && op != WL_KVS_OP_SET) || klen < 1 || klen > WL_KVS_KEY_MAX)
        return -1;
    if (op == WL_KVS_OP_GET && vlen)
        return -1;
    if (len != (size_t)WL_KVS_BODY_HDR + klen + vlen)
        return -1;
    out->op = op;
    out->key_len = klen;
    out->value_len = vlen;
    out->key = body + WL_KVS_BODY_HDR;
    out->value = body + WL_KVS_BODY_HDR + klen;
    return 0;
}

/* ---------------------------------------------------------------- the scramble */

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* (a * b) mod n without overflow, for a, b < n <= 2^38: split b in
 * 19-bit halves so each product stays below 2^57. */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t n)
{
    uint64_t hi = b >> 19, lo = b & ((UINT64_C(1) << 19) - 1);
    uint64_t r = (a * hi) % n;
    r = (r << 19) % n;
    return (r + (a * lo) % n) % n;
}

static uint64_t scramble_mult(uint64_t n)
{
    uint64_t a = (uint64_t)llround((double)n * 0.6180339887498949);
    if (a == 0)
        a = 1;
    while (a > 1 && gcd(a, n) != 1)
        a--;
    return a;
}

uint64_t wl_kvs_proto_key_of_rank(const wl_kvs_proto_t *p, uint64_t rank)
{
    return mulmod((rank - 1) % p->cfg.keys, p->mult, p->cfg.keys);
}

/* ---------------------------------------------------------------- init */

static int bad(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "kvs proto: %s", what);
    return -1;
}

static int check_trace(const wl_kvs_proto_cfg_t *c, char *err, size_t errlen)
{
    if (c->trace_n == 0 || c->trace_n > WL_KVS_KEYS_MAX)
        return bad(err, errlen, "trace: expected 1..2^38 records");
    for (size_t i = 0; i < c->trace_n; i++) {
        const wl_kvs_req_t *r = &c->trace[i];
        const char *why = NULL;
        if (r->op != WL_KVS_OP_GET && r->op != WL_KVS_OP_SET)
            why = "op is neither GET (1) nor SET (2)";
        else if (r->key_len < 1 || r->key_len > WL_KVS_KEY_MAX)
            why = "key_len is not 1..64";
        else if (r->op == WL_KVS_OP_SET &&
                 (uint64_t)WL_KVS_BODY_HDR + r->key_len + r->value_size > WL_KVS_BODY_MAX)
            why = "4 + key_len + value_size exceeds the 1456-byte body of a 1500-byte MTU";
        if (why) {
            snprintf(err, errlen, "kvs proto: trace record %zu: %s", i, why);
            return -1;
        }
    }
    return 0;
}

static int check_cfg(const wl_kvs_proto_cfg_t *c, char *err, size_t errlen)
{
    if (c->partitions < 1)
        return bad(err, errlen, "partitions must be >= 1");
    if ((unsigned)c->port_base + c->partitions - 1 > 65535u)
        return bad(err, errlen, "port_base + partitions - 1 exceeds 65535");
    if (c->trace)
        return check_trace(c, err, errlen);
    if (c->keys < 1 || c->keys > WL_KVS_KEYS_MAX)
        return bad(err, errlen, "keys must be 1..2^38");
    if (c->key_bytes < 1 || c->key_bytes > WL_KVS_KEY_MAX)
        return bad(err, errlen, "key_bytes must be 1..64");
    uint8_t name[WL_KVS_KEY_MAX];
    if (wl_kvs_key_name(c->keys - 1, c->key_bytes, name) < 0)
        return bad(err, errlen, "keys exceeds 10^key_bytes (key names are key_bytes decimal digits)");
    if ((uint64_t)WL_KVS_BODY_HDR + c->key_bytes + c->value_bytes > WL_KVS_BODY_MAX)
        return bad(err, errlen, "4 + key_bytes + value_bytes exceeds the 1456-byte body of a 1500-byte MTU");
    if (!(c->get_ratio >= 0.0 && c->get_ratio <= 1.0))
        return bad(err, errlen, "get_ratio must be in [0, 1]");
    if (c->dist != WL_KVS_UNIFORM && c->dist != WL_KVS_ZIPF)
        return bad(err, errlen, "dist must be uniform or zipf");
    if (c->dist == WL_KVS_ZIPF && !(c->theta >= 0.0 && isfinite(c->theta)))
        return bad(err, errlen, "zipf theta must be a finite number >= 0");
    return 0;
}

int wl_kvs_proto_init(wl_kvs_proto_t *p, const wl_kvs_proto_cfg_t *cfg, char *err,
                      size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (!cfg)
        return bad(err, errlen, "no configuration");
    if (check_cfg(cfg, err, errlen) < 0)
        return -1;
    p->cfg = *cfg;
    rng_init(&p->keys_rng, cfg->seed, rng_stream_id("kvs.keys"));
    rng_init(&p->ops_rng, cfg->seed, rng_stream_id("kvs.ops"));
    if (!cfg->trace) {
        p->mult = scramble_mult(cfg->keys);
        if (cfg->dist == WL_KVS_ZIPF && dist_zipf(&p->zipf, cfg->theta, cfg->keys) < 0)
            return bad(err, errlen, "zipf: theta or keys out of range");
    }
    return 0;
}

void wl_kvs_proto_free(wl_kvs_proto_t *p)
{
    free(p->rec);
    dist_free(&p->zipf);
    memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------- per-id records */

static void record(wl_kvs_proto_t *p, uint64_t id, uint64_t ref, bool set)
{
    if (id >= p->cap) {
        uint64_t cap = p->cap ? p->cap : 1024;
        while (cap <= id && cap < UINT64_MAX / 2)
            cap *= 2;
        uint8_t *r = cap <= SIZE_MAX / REC_BYTES ? realloc(p->rec, cap * REC_BYTES) : NULL;
        if (!r) {
            p->unrecorded++;
            return;
        }
        memset(r + p->cap * REC_BYTES, 0, (cap - p->cap) * REC_BYTES);
        p->rec = r;
        p->cap = cap;
    }
    uint64_t v = 1 + (ref << 1 | (set ? 1u : 0u));
    for (unsigned b = 0; b < REC_BYTES; b++)
        p->rec[id * REC_BYTES + b] = (uint8_t)(v >> (8 * b));
}

/* 0 with *ref and *set, or -1: id was never recorded. */
static int recall(const wl_kvs_proto_t *p, uint64_t id, uint64_t *ref, bool *set)
{
    if (id >= p->cap)
        return -1;
    uint64_t v = 0;
    for (unsigned b = 0; b < REC_BYTES; b++)
        v |= (uint64_t)p->rec[id * REC_BYTES + b] << (8 * b);
    if (!v)
        return -1;
    *ref = (v - 1) >> 1;
    *set = (v - 1) & 1;
    return 0;
}

/* The key a record refers to: its bytes into buf, its length. */
static unsigned key_of(const wl_kvs_proto_t *p, uint64_t ref, uint8_t *buf)
{
    if (p->cfg.trace) {
        const wl_kvs_req_t *r = &p->cfg.trace[ref];
        memcpy(buf, r->key, r->key_len);
        return r->key_len;
    }
    wl_kvs_key_name(ref, p->cfg.key_bytes, buf);
    return p->cfg.key_bytes;
}

/* ---------------------------------------------------------------- request / response */

static uint64_t draw_rank(wl_kvs_proto_t *p)
{
    if (p->cfg.dist == WL_KVS_ZIPF) {
        double r = dist_sample(&p->zipf, &p->keys_rng);
        uint64_t k = r < 1.0 ? 1 : (uint64_t)r;
        return k > p->cfg.keys ? p->cfg.keys : k;
    }
    return 1 + rng_below(&p->keys_rng, p->cfg.keys);
}

static size_t kvs_request(void *ctx, uint64_t id, uint8_t *body, size_t cap, uint16_t *dst_port)
{
    wl_kvs_proto_t *p = ctx;
    uint64_t ref;
    bool set;
    uint32_t vlen;
    if (p->cfg.trace) {
        ref = p->calls % p->cfg.trace_n;
        set = p->cfg.trace[ref].op == WL_KVS_OP_SET;
        vlen = set ? p->cfg.trace[ref].value_size : 0;
    } else {
        set = !(rng_unit(&p->ops_rng) < p->cfg.get_ratio);
        ref = wl_kvs_proto_key_of_rank(p, draw_rank(p));
        vlen = set ? p->cfg.value_bytes : 0;
    }
    p->calls++;
    set ? p->sets++ : p->gets++;
    uint8_t key[WL_KVS_KEY_MAX];
    unsigned klen = key_of(p, ref, key);
    *dst_port = (uint16_t)(p->cfg.port_base + wl_kvs_partition(key, klen, p->cfg.partitions));
    size_t n = (size_t)WL_KVS_BODY_HDR + klen + vlen;
    if (n > cap) {
        p->too_long++;
        return 0; /* not remembered: its response (if any) is malformed */
    }
    record(p, id, ref, set);
    body[0] = (uint8_t)(set ? WL_KVS_OP_SET : WL_KVS_OP_GET);
    body[1] = (uint8_t)klen;
    body[2] = (uint8_t)(vlen >> 8);
    body[3] = (uint8_t)vlen;
    memcpy(body + WL_KVS_BODY_HDR, key, klen);
    wl_kvs_value_fill(key, klen, 0, body + WL_KVS_BODY_HDR + klen, vlen);
    return n;
}

static int kvs_response(void *ctx, uint64_t id, const uint8_t *body, size_t len)
{
    const wl_kvs_proto_t *p = ctx;
    uint64_t ref;
    bool set;
    if (recall(p, id, &ref, &set) < 0 || len < WL_KVS_BODY_HDR)
        return -1;
    unsigned op = body[0], status = body[1], vlen = get16(body + 2);
    if (op != (set ? WL_KVS_OP_SET : WL_KVS_OP_GET) || len != (size_t)WL_KVS_BODY_HDR + vlen)
        return -1;
    if (status == WL_KVS_ST_REFUSED)
        return vlen ? -1 : WL_KVS_OUT_REFUSED;
    if (set)
        return status == WL_KVS_ST_OK && !vlen ? WL_KVS_OUT_STORED : -1;
    if (status == WL_KVS_ST_MISS)
        return vlen ? -1 : WL_KVS_OUT_MISS;
    if (status != WL_KVS_ST_OK)
        return -1;
    uint8_t key[WL_KVS_KEY_MAX];
    unsigned klen = key_of(p, ref, key);
    return wl_kvs_value_ok(key, klen, body + WL_KVS_BODY_HDR, vlen) ? WL_KVS_OUT_HIT : -1;
}

void wl_kvs_proto_bind(wl_kvs_proto_t *p, wl_proto_t *out)
{
    memset(out, 0, sizeof *out);
    out->name = "kvs";
    out->outcomes = outcome_names;
    out->request = kvs_request;
    out->response = kvs_response;
    out->ctx = p;
}
