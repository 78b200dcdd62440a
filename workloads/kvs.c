/* workloads/kvs.c: the MICA-like key-value store server (the design,
 * parameters and costs are in workloads/kvs.h; the wire format in
 * workloads/kvs_proto.h; the receive/transmit loop is workloads/netloop).
 *
 * Memory: the index at the heap's start (64-byte aligned), the log after
 * it, the frame buffers after the log.  Each request is handled in a
 * copy of its frame (one pk_load), answered in place in that copy and
 * stored back into its buffer (one pk_store), then transmitted from the
 * buffer it arrived in. */
#include "workloads/kvs.h"

#include <stdio.h>
#include <string.h>

#include "kernel/include/pk.h"
#include "workloads/app_int.h"
#include "workloads/kvs_int.h"
#include "workloads/kvs_proto.h"
#include "workloads/netloop.h"
#include "workloads/report.h"

#define FRAME_MAX 16384u
#define ETH_MIN 60u          /* the Ethernet minimum without FCS */
#define L2L4_MIN 42u         /* Ethernet 14 + IPv4 20 + UDP 8 */
#define RESP_FIXED (L2L4_MIN + WL_PROTO_HDR + WL_KVS_BODY_HDR)

#define REQ_CYCLES 28u
#define BODY_CYCLES 10u
#define HASH_BYTE_CYCLES 4u
#define HASH_MIX_CYCLES 10u
#define RESP_CYCLES 20u
#define CSUM_FIXED_CYCLES 4u

typedef struct kvs {
    wl_nl_t nl;
    kvs_store_t store;
    unsigned instance, instances, key_bytes, value_bytes;
    uint16_t port_base, port;
    bool steer;
    uint32_t value_max;        /* longest value a SET may store */
    uint64_t prefill;
    int c_cycle, c_llc;
    wl_kvs_counters_t c;
    uint8_t frame[FRAME_MAX];  /* the frame being handled */
} kvs_t;

static const char *const kvs_params[] = {
    "port_base: UDP port of partition 0 (default 9000)",
    "instance: the partition this process owns (default 0)",
    "instances: number of partitions (default 1)",
    "log_mib: log size in MiB (default 16)",
    "log_bytes: log size in bytes, a multiple of 8, >= 64 (overrides log_mib)",
    "index_buckets: index buckets of 8 slots, a power of two (default 65536)",
    "steer: 1 to install the Flow Director rule for the partition's port (default 1)",
    "prefill: keys 0..prefill-1 stored before serving, this partition's only (default 0)",
    "key_bytes: length of the prefilled key names, 1..64 (default 16)",
    "value_bytes: length of the prefilled values (default 32)",
    "burst: frames read per queue per step, 1..1024 (default 32)",
    "wait: 1 to block in pk_enter(PK_ENTER_WAIT) when idle (default 0)",
    NULL,
};

/* ---------------------------------------------------------------- bytes */

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* RFC 1071 one's complement sum of n bytes (big-endian words) onto acc. */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += be16(p + i);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return acc;
}

/* ---------------------------------------------------------------- frames */

/* The UDP/IPv4 request in f (len bytes) to the host: 0 with the IPv4
 * header length and the UDP datagram length, or -1. */
static int udp_of(const kvs_t *k, const uint8_t *f, uint32_t len, uint32_t *ihl, uint32_t *ulen)
{
    if (len < L2L4_MIN || memcmp(f, k->nl.r.info.mac, 6) || be16(f + 12) != 0x0800)
        return -1;
    const uint8_t *ip = f + 14;
    uint32_t hl = (ip[0] & 0x0fu) * 4u, total = be16(ip + 2);
    if (ip[0] >> 4 != 4 || hl < 20 || 14 + hl + 8 > len || total < hl + 8 || 14 + total > len ||
        (be16(ip + 6) & 0x3fffu) || ip[9] != 17)
        return -1;
    uint32_t ul = be16(ip + hl + 4);
    if (ul < 8 || ul > total - hl)
        return -1;
    *ihl = hl;
    *ulen = ul;
    return 0;
}

/* Turn the request in f into its response: addresses swapped, the body
 * header at body (value bytes already there), lengths and both checksums.
 * The frame's length. */
static uint32_t finish(kvs_t *k, uint8_t *f, uint32_t ihl, unsigned op, unsigned status,
                       uint32_t vlen)
{
    uint8_t *ip = f + 14, *udp = ip + ihl, *body = udp + 8 + WL_PROTO_HDR;
    swap_bytes(f, f + 6, 6);
    swap_bytes(ip + 12, ip + 16, 4);
    swap_bytes(udp, udp + 2, 2);
    body[0] = (uint8_t)op;
    body[1] = (uint8_t)status;
    put16(body + 2, vlen);
    uint32_t ulen = 8 + WL_PROTO_HDR + WL_KVS_BODY_HDR + vlen;
    put16(ip + 2, ihl + ulen);
    put16(ip + 10, 0);
    put16(ip + 10, ~sum16(0, ip, ihl) & 0xffff);
    put16(udp + 4, ulen);
    put16(udp + 6, 0);
    uint32_t ps = sum16(0, ip + 12, 8) + 17u + ulen;
    uint32_t cs = ~sum16(ps, udp, ulen) & 0xffff;
    put16(udp + 6, cs ? cs : 0xffff); /* RFC 768: a computed 0 is sent as all ones */
    pk_charge(k->c_cycle, RESP_CYCLES + CSUM_FIXED_CYCLES + (ulen + 7) / 8);
    uint32_t n = 14 + ihl + ulen;
    if (n < ETH_MIN) {
        memset(f + n, 0, ETH_MIN - n);
        n = ETH_MIN;
    }
    return n;
}

static unsigned get(kvs_t *k, const uint8_t *key, unsigned klen, uint64_t h, uint8_t *val,
                    uint32_t cap, uint32_t *vlen)
{
    k->c.gets++;
    int r = kvs_store_get(&k->store, key, klen, h, val, cap, vlen);
    if (r > 0) {
        k->c.hits++;
        return WL_KVS_ST_OK;
    }
    *vlen = 0;
    if (r < 0) {
        k->c.refused++;
        return WL_KVS_ST_REFUSED;
    }
    k->c.misses++;
    return WL_KVS_ST_MISS;
}

static unsigned set(kvs_t *k, const wl_kvs_msg_t *m, uint64_t h)
{
    k->c.sets++;
    if (m->value_len > k->value_max ||
        kvs_store_set(&k->store, m->key, m->key_len, h, m->value, m->value_len) < 0) {
        k->c.refused++;
        return WL_KVS_ST_REFUSED;
    }
    k->c.stored++;
    return WL_KVS_ST_OK;
}

/* The netloop's frame callback: the response's length, or 0 (dropped). */
static uint32_t on_frame(void *ctx, unsigned qi, uint64_t buf, uint32_t len)
{
    (void)qi;
    kvs_t *k = ctx;
    uint8_t *f = k->frame;
    uint32_t ihl = 0, ulen = 0;
    pk_charge(k->c_cycle, REQ_CYCLES);
    if (len > FRAME_MAX || pk_load(buf, f, len) < 0) {
        k->c.dropped++;
        return 0;
    }
    pk_charge(k->c_llc, kvs_lines(0, len));
    if (udp_of(k, f, len, &ihl, &ulen) < 0) {
        k->c.dropped++;
        return 0;
    }
    uint8_t *udp = f + 14 + ihl, *body = udp + 8 + WL_PROTO_HDR;
    wl_kvs_msg_t m;
    pk_charge(k->c_cycle, BODY_CYCLES);
    if (ulen < 8 + WL_PROTO_HDR ||
        wl_kvs_parse_request(body, ulen - 8 - WL_PROTO_HDR, &m) < 0) {
        k->c.malformed++;
        return 0;
    }
    uint8_t key[WL_KVS_KEY_MAX];
    memcpy(key, m.key, m.key_len); /* the value of a GET overwrites it in f */
    uint64_t h = wl_kvs_hash(key, m.key_len);
    pk_charge(k->c_cycle, HASH_BYTE_CYCLES * m.key_len + HASH_MIX_CYCLES);
    unsigned part = wl_kvs_partition_of_hash(h, k->instances), status;
    uint32_t vlen = 0, room = wl_nl_tx_max(&k->nl);
    room = (room < FRAME_MAX ? room : FRAME_MAX) - (14 + ihl + 8 + WL_PROTO_HDR + WL_KVS_BODY_HDR);
    if (be16(udp + 2) != k->port || part != k->instance) {
        k->c.misrouted++;
        status = WL_KVS_ST_REFUSED;
    } else if (m.op == WL_KVS_OP_GET) {
        status = get(k, key, m.key_len, h, body + WL_KVS_BODY_HDR, room, &vlen);
    } else {
        status = set(k, &m, h);
    }
    uint32_t n = finish(k, f, ihl, m.op, status, vlen);
    uint64_t req_lines = kvs_lines(0, len), resp_lines = kvs_lines(0, n);
    if (resp_lines > req_lines)
        pk_charge(k->c_llc, resp_lines - req_lines);
    if (pk_store(buf, f, n) < 0) {
        k->c.dropped++;
        return 0;
    }
    return n;
}

/* ---------------------------------------------------------------- app */

static wl_step_t kvs_step(void *state)
{
    kvs_t *k = state;
    return wl_nl_step(&k->nl, on_frame, k);
}

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "kvs: %s", msg);
    return -1;
}

typedef struct kvs_sizes {
    uint64_t log_bytes, buckets;
} kvs_sizes_t;

static int parse_params(kvs_t *k, const wl_param_t *p, size_t n, kvs_sizes_t *z, char *err,
                        size_t errlen)
{
    uint64_t port_base, inst, insts, log_mib, log_bytes, buckets, steer, prefill, kb, vb, burst,
        wait;
    bool log_given = false;
    if (wl_param_u64("kvs", p, n, "port_base", 9000, 1, 65535, &port_base, NULL, err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "instances", 1, 1, 65535, &insts, NULL, err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "instance", 0, 0, insts - 1, &inst, NULL, err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "log_mib", 16, 1, 1u << 20, &log_mib, NULL, err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "log_bytes", 0, 64, UINT64_C(1) << 40, &log_bytes, &log_given,
                     err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "index_buckets", 65536, 1, 1u << 24, &buckets, NULL, err,
                     errlen) < 0 ||
        wl_param_u64("kvs", p, n, "steer", 1, 0, 1, &steer, NULL, err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "prefill", 0, 0, WL_KVS_KEYS_MAX, &prefill, NULL, err,
                     errlen) < 0 ||
        wl_param_u64("kvs", p, n, "key_bytes", 16, 1, WL_KVS_KEY_MAX, &kb, NULL, err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "value_bytes", 32, 0, 65535, &vb, NULL, err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "burst", 32, 1, WL_NL_BURST_MAX, &burst, NULL, err, errlen) < 0 ||
        wl_param_u64("kvs", p, n, "wait", 0, 0, 1, &wait, NULL, err, errlen) < 0)
        return -1;
    if (port_base + insts - 1 > 65535)
        return fail(err, errlen, "port_base + instances - 1 exceeds 65535");
    if (buckets & (buckets - 1))
        return fail(err, errlen, "index_buckets must be a power of two");
    if (log_given && log_bytes % 8)
        return fail(err, errlen, "log_bytes must be a multiple of 8");
    k->port_base = (uint16_t)port_base;
    k->instance = (unsigned)inst;
    k->instances = (unsigned)insts;
    k->port = (uint16_t)(port_base + inst);
    k->steer = steer;
    k->prefill = prefill;
    k->key_bytes = (unsigned)kb;
    k->value_bytes = (unsigned)vb;
    k->nl.burst = (unsigned)burst;
    k->nl.wait = wait;
    z->log_bytes = log_given ? log_bytes : log_mib << 20;
    z->buckets = buckets;
    return 0;
}

/* Index, log and frame buffers in the heap: 0 or -1. */
static int lay_out(kvs_t *k, const kvs_sizes_t *z, char *err, size_t errlen)
{
    const struct pk_info *in = &k->nl.r.info;
    uint64_t index = (in->heap_base + 63) / 64 * 64, ibytes = z->buckets * KVS_BUCKET_BYTES;
    uint64_t log = index + ibytes, end = in->heap_base + in->heap_size;
    uint64_t need = ibytes + z->log_bytes + wl_nl_bytes(&k->nl) + (index - in->heap_base);
    if (need > in->heap_size) {
        snprintf(err, errlen,
                 "kvs: index (%llu bytes) + log (%llu) + frame buffers (%llu) exceed the heap "
                 "(%llu bytes)",
                 (unsigned long long)ibytes, (unsigned long long)z->log_bytes,
                 (unsigned long long)wl_nl_bytes(&k->nl), (unsigned long long)in->heap_size);
        return -1;
    }
    if (kvs_store_init(&k->store, index, z->buckets, log, z->log_bytes) < 0)
        return fail(err, errlen, "zeroing the index faulted");
    k->store.c_cycle = k->c_cycle;
    k->store.c_llc = k->c_llc;
    k->store.c_dram = pk_cost("mem.dram");
    if (k->store.c_dram < 0)
        return fail(err, errlen, "the cost table lacks mem.dram");
    return wl_nl_init(&k->nl, log + z->log_bytes, end, k->nl.burst, k->nl.wait, err, errlen);
}

/* The Flow Director rule for this partition's port, to the first queue. */
static int install_steer(kvs_t *k, char *err, size_t errlen)
{
    struct pk_sqe s = {
        .opcode = PK_OP_FLOW_STEER,
        .queue = k->nl.r.info.nic_queue[0],
        .u.flow = {.ip_version = 4, .proto = 17, .match = PK_FLOW_DST_PORT, .dst_port = k->port},
    };
    int32_t res = 0;
    if (wl_nl_sync(&k->nl, &s, "the flow-steering rule", &res, err, errlen) < 0)
        return -1;
    if (res < 0) {
        snprintf(err, errlen, "kvs: the flow-steering rule for UDP port %u was refused: %s",
                 k->port, pk_err_name(res));
        return -1;
    }
    return 0;
}

static int do_prefill(kvs_t *k, char *err, size_t errlen)
{
    uint8_t key[WL_KVS_KEY_MAX], *val = k->frame; /* value_max < FRAME_MAX */
    if (k->value_bytes > k->value_max)
        return fail(err, errlen, "value_bytes exceeds what a response can carry");
    for (uint64_t i = 0; i < k->prefill; i++) {
        if (wl_kvs_key_name(i, k->key_bytes, key) < 0)
            return fail(err, errlen, "prefill exceeds 10^key_bytes (key names are decimal)");
        uint64_t h = wl_kvs_hash(key, k->key_bytes);
        if (wl_kvs_partition_of_hash(h, k->instances) != k->instance)
            continue;
        wl_kvs_value_fill(key, k->key_bytes, 0, val, k->value_bytes);
        if (kvs_store_set(&k->store, key, k->key_bytes, h, val, k->value_bytes) < 0)
            return fail(err, errlen, "prefill: the log cannot hold one item");
        k->c.prefilled++;
    }
    return 0;
}

static int kvs_start(void *state, const wl_param_t *params, size_t nparams, char *err,
                     size_t errlen)
{
    kvs_t *k = state;
    kvs_sizes_t z;
    if (wl_nl_open(&k->nl, "kvs", err, errlen) < 0 ||
        parse_params(k, params, nparams, &z, err, errlen) < 0)
        return -1;
    k->c_cycle = k->nl.c_cycle;
    k->c_llc = k->nl.c_llc;
    if (lay_out(k, &z, err, errlen) < 0)
        return -1;
    uint32_t tx = wl_nl_tx_max(&k->nl);
    k->value_max = (tx < FRAME_MAX ? tx : FRAME_MAX) - RESP_FIXED;
    if (k->value_max > 65535)
        k->value_max = 65535;
    if (do_prefill(k, err, errlen) < 0)
        return -1;
    k->store.charging = true;
    if (k->steer && install_steer(k, err, errlen) < 0)
        return -1;
    return wl_nl_post_rx(&k->nl, err, errlen);
}

static void kvs_stats(const void *state, wl_app_stats_t *out)
{
    *out = ((const kvs_t *)state)->nl.st;
}

void wl_kvs_counters(const void *state, wl_kvs_counters_t *out)
{
    const kvs_t *k = state;
    *out = k->c;
    out->evictions = k->store.evictions;
    out->log_wraps = k->store.log_wraps;
}

static void kvs_report(const void *state, wl_report_t *out)
{
    const kvs_t *k = state;
    wl_kvs_counters_t c;
    wl_kvs_counters(state, &c);
    wl_report_u64(out, "gets", c.gets);
    wl_report_u64(out, "sets", c.sets);
    wl_report_u64(out, "hits", c.hits);
    wl_report_u64(out, "misses", c.misses);
    wl_report_num(out, "hit_rate", c.gets ? (double)c.hits / (double)c.gets : 0.0);
    wl_report_u64(out, "stored", c.stored);
    wl_report_u64(out, "refused", c.refused);
    wl_report_u64(out, "misrouted", c.misrouted);
    wl_report_u64(out, "evictions", c.evictions);
    wl_report_u64(out, "log_wraps", c.log_wraps);
    wl_report_u64(out, "prefilled", c.prefilled);
    wl_report_u64(out, "malformed", c.malformed);
    wl_report_u64(out, "dropped", c.dropped);
    wl_report_u64(out, "log_bytes", k->store.log_size);
    wl_report_u64(out, "index_buckets", k->store.buckets);
}

const wl_app_t wl_app_kvs = {
    .name = "kvs",
    .params = kvs_params,
    .state_size = sizeof(kvs_t),
    .start = kvs_start,
    .step = kvs_step,
    .stats = kvs_stats,
    .report = kvs_report,
};
