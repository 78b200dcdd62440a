/* workloads/kvs_proto: the wire protocol of parasim's MICA-like key-value
 * store, what the server (workloads/kvs.h) and its clients share, and the
 * client side of it: a wl_proto_t (workloads/proto.h) that the far-end
 * client drives.
 *
 * Wire format.  The UDP payload (multi-byte fields big-endian):
 *   [0, 16)       the request header the client owns (proto.h: request id,
 *                 first-bit time); the server copies it into its response
 *                 unchanged;
 *   request body  op u8 (1 GET, 2 SET), key_len u8 (1..64), value_len u16
 *                 (SET: the value's length, GET: 0), the key bytes, then
 *                 (SET) the value bytes.  The body is exactly
 *                 4 + key_len (+ value_len) bytes: anything else is
 *                 malformed (the server drops it unanswered, counted).
 *   response body op u8 (the request's), status u8 (0 hit for a GET /
 *                 stored for a SET, 1 miss (GET only), 2 refused: value
 *                 too large, no room, or the request reached a process
 *                 that does not own its key's partition), value_len u16
 *                 (a GET hit: the value's length, else 0), then the value
 *                 bytes (GET hit).  Exactly 4 + value_len bytes.
 * The server answers to the sender: MACs, IPv4 addresses and UDP ports
 * swapped, the IPv4 header checksum recomputed (valid), and the UDP
 * checksum computed (valid, never 0: a computed 0 is sent as 0xFFFF,
 * RFC 768).  Frames are padded to the Ethernet minimum (60 bytes without
 * FCS) after the UDP datagram.
 *
 * Functions both sides compute (all exact, so a test can recompute them):
 *   fnv(K)     FNV-1a 64 of the key bytes (offset basis
 *              0xcbf29ce484222325, prime 0x100000001b3; Fowler, Noll, Vo);
 *   sm(x)      SplitMix64's output for state x: z = x + 0x9e3779b97f4a7c15,
 *              z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9,
 *              z = (z ^ z >> 27) * 0x94d049bb133111eb, z ^ z >> 31
 *              (Steele, Lea and Flood, OOPSLA'14; the mix of model/rng.h);
 *   hash(K)    sm(fnv(K)): the key hash (partition, bucket and tag);
 *   partition  ((hash(K) >> 32) * partitions) >> 32: the upper 32 bits
 *              scaled down to [0, partitions) by a multiply (Lemire's
 *              fast range reduction), so it needs no divide;
 *   value      the canonical value of key K: byte i is byte (i mod 8),
 *              least significant first, of sm(fnv(K) + 1 + floor(i / 8)).
 *              Every SET carries canonical bytes, so a GET hit is checked
 *              end to end whatever length was last stored;
 *   key name   key k (0 <= k < keys) is the decimal digits of k,
 *              left-padded with '0' to exactly key_bytes characters (so
 *              keys <= 10^key_bytes): "0000000000000042" for k = 42,
 *              key_bytes = 16.  The server's prefill names keys the same
 *              way.
 *
 * Client side (wl_kvs_proto_t).  Request id draws, in id order, an op from
 * the stream "kvs.ops" (GET with probability get_ratio) and a key rank r
 * in 1..keys from "kvs.keys" (model/rng.h streams of cfg.seed): uniform
 * (rng_below), or Zipf(theta, keys) (model/dist.h, rank 1 the hottest).
 * The rank becomes a key index by a fixed bijective scramble
 * k = ((r - 1) * A) mod keys, A the largest integer <= round(keys *
 * (sqrt(5) - 1) / 2) coprime with keys (Fibonacci hashing; YCSB's
 * "hashed" insert order plays the same role), so the hot ranks are spread
 * over the key space, and the partition hash spreads them over the
 * processes.  A SET's value is value_bytes canonical bytes.  The request
 * goes to UDP port port_base + partition(key).  In trace mode the i-th
 * request (i-th call, from 0) is trace[i mod trace_n]: its op, key and
 * (SET) value_size.
 *
 * Responses.  response() checks that the body is a correct answer to its
 * request: the same op, a status legal for the op, value_len 0 unless a
 * GET hit, the exact length, and a hit's value canonical for the
 * request's key (any length: whatever was last stored).  The body's
 * length is the UDP length - 8 - 16: the Ethernet padding of a short
 * frame is not part of it.  Outcomes, in
 * order: "hit", "miss", "stored", "refused".  Anything else is -1
 * (malformed), as is an id request() never produced.
 *
 * Memory: 5 bytes per request id (the op and the key index, or the trace
 * record), grown by doubling; ids are expected dense from 0 (request()
 * comes once per id in increasing order).  If growing fails the request
 * is still built but not remembered: its response is -1 (counted in
 * unrecorded).
 * Determinism: only the two named streams; no clock, no address order. */
#ifndef PARASIM_WORKLOADS_KVS_PROTO_H
#define PARASIM_WORKLOADS_KVS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/dist.h"
#include "model/rng.h"
#include "workloads/proto.h"

#define WL_KVS_OP_GET 1u
#define WL_KVS_OP_SET 2u
#define WL_KVS_ST_OK 0u       /* GET hit / SET stored */
#define WL_KVS_ST_MISS 1u     /* GET only */
#define WL_KVS_ST_REFUSED 2u
#define WL_KVS_KEY_MAX 64u
#define WL_KVS_BODY_HDR 4u    /* op, key_len or status, value_len */
/* The longest body in a 1500-byte MTU: 1500 - IPv4 20 - UDP 8 - the
 * 16-byte request header. */
#define WL_KVS_BODY_MAX 1456u
#define WL_KVS_KEYS_MAX (UINT64_C(1) << 38) /* the per-id record's key index */

/* Outcome classes of response(), in the order of the names. */
enum { WL_KVS_OUT_HIT = 0, WL_KVS_OUT_MISS, WL_KVS_OUT_STORED, WL_KVS_OUT_REFUSED };

typedef enum wl_kvs_dist { WL_KVS_UNIFORM = 0, WL_KVS_ZIPF } wl_kvs_dist_t;

/* One request of a trace: op WL_KVS_OP_GET or _SET, key_len bytes of key,
 * value_size the SET's value length (ignored for a GET). */
typedef struct wl_kvs_req {
    uint8_t op;
    uint8_t key_len;
    char key[WL_KVS_KEY_MAX];
    uint32_t value_size;
} wl_kvs_req_t;

/* A parsed request body (pointers into the body). */
typedef struct wl_kvs_msg {
    unsigned op, key_len, value_len;
    const uint8_t *key, *value;
} wl_kvs_msg_t;

/* ---------------------------------------------------------------- shared functions */

uint64_t wl_kvs_fnv1a(const uint8_t *key, size_t len);
uint64_t wl_kvs_sm64(uint64_t x);
uint64_t wl_kvs_hash(const uint8_t *key, size_t len);
/* partitions >= 1; a result in [0, partitions).  _of_hash: the same from
 * hash(K), for a caller that has it. */
unsigned wl_kvs_partition(const uint8_t *key, size_t len, unsigned partitions);
unsigned wl_kvs_partition_of_hash(uint64_t h, unsigned partitions);
uint8_t wl_kvs_value_byte(const uint8_t *key, size_t len, uint32_t i);
/* Bytes [off, off + n) of key's canonical value into out. */
void wl_kvs_value_fill(const uint8_t *key, size_t len, uint32_t off, uint8_t *out, size_t n);
/* 1 when v[0, n) are bytes [0, n) of key's canonical value. */
bool wl_kvs_value_ok(const uint8_t *key, size_t len, const uint8_t *v, size_t n);
/* Key k's name into buf (key_bytes 1..64 bytes, no terminator): 0, or -1
 * when k has more than key_bytes decimal digits. */
int wl_kvs_key_name(uint64_t k, unsigned key_bytes, uint8_t *buf);
/* Parse a request body: 0, or -1 when it is malformed (wrong op, key
 * length out of 1..64, a GET with a value, a length that is not exactly
 * 4 + key_len (+ value_len)). */
int wl_kvs_parse_request(const uint8_t *body, size_t len, wl_kvs_msg_t *out);

/* ---------------------------------------------------------------- client side */

typedef struct wl_kvs_proto_cfg {
    uint64_t seed;
    uint64_t keys;            /* key space size n, 1..WL_KVS_KEYS_MAX */
    int dist;                 /* wl_kvs_dist_t */
    double theta;             /* Zipf theta >= 0 (YCSB default 0.99) */
    double get_ratio;         /* probability a request is a GET, [0, 1] */
    unsigned key_bytes;       /* 1..64, keys <= 10^key_bytes */
    unsigned value_bytes;     /* SET value length; 4 + key_bytes + value_bytes
                               * <= WL_KVS_BODY_MAX */
    unsigned partitions;      /* number of kvs processes, >= 1 */
    uint16_t port_base;       /* port_base + partitions - 1 <= 65535 */
    const struct wl_kvs_req *trace; /* optional: requests from a trace */
    size_t trace_n;           /* records in trace, <= WL_KVS_KEYS_MAX */
} wl_kvs_proto_cfg_t;

typedef struct wl_kvs_proto {
    wl_kvs_proto_cfg_t cfg;
    rng_t keys_rng, ops_rng;  /* "kvs.keys", "kvs.ops" */
    dist_t zipf;              /* WL_KVS_ZIPF */
    uint64_t mult;            /* the scramble's A */
    uint8_t *rec;             /* 5 bytes per id: 0 none, else 1 + (ref << 1 | set) */
    uint64_t cap;             /* ids rec can hold */
    uint64_t calls;           /* request() calls (the trace cursor) */
    uint64_t gets, sets;      /* requests generated */
    uint64_t too_long;        /* bodies that did not fit the client's cap */
    uint64_t unrecorded;      /* ids not remembered (memory) */
} wl_kvs_proto_t;

/* 0, or -1 with a one-line message naming the field (or trace record). */
int wl_kvs_proto_init(wl_kvs_proto_t *p, const wl_kvs_proto_cfg_t *cfg, char *err,
                      size_t errlen);
void wl_kvs_proto_free(wl_kvs_proto_t *p);
/* Fill out (name "kvs", outcomes "hit", "miss", "stored", "refused"). */
void wl_kvs_proto_bind(wl_kvs_proto_t *p, wl_proto_t *out);
/* The key index rank r (1..keys) maps to: the scramble above. */
uint64_t wl_kvs_proto_key_of_rank(const wl_kvs_proto_t *p, uint64_t rank);

#endif
