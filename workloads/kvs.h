/* workloads/kvs: a MICA-like key-value store server as a parakernel
 * process (application "kvs", wl_app_kvs).  Its wire protocol, key hash,
 * partition function and key names are workloads/kvs_proto.h's.
 *
 * Design (Lim, Han, Andersen and Kaminsky, "MICA: A Holistic Approach to
 * Fast In-Memory Key-Value Storage", NSDI'14), scaled to one process:
 *
 * Partitioning (EREW: exclusive read, exclusive write).  The key space is
 * split into `instances` partitions by wl_kvs_partition; process
 * `instance` i owns partition i alone and keeps it in its own memory: no
 * sharing, no locks.  It listens on UDP port port_base + i and, at start,
 * installs a Flow Director rule (PK_OP_FLOW_STEER: UDP over IPv4,
 * destination port = port_base + i) to its first NIC queue, so the NIC
 * steers every request for its partition to its core whatever the RSS
 * hash of the flow says (MICA's client-assisted steering: the client
 * picks the port from the key).  A request that still reaches the wrong
 * process (another port, or a key of another partition) is answered
 * "refused" and counted as misrouted: never served from the wrong
 * partition.  Each process must own at least one NIC queue.
 *
 * Store (workloads/kvs_store.c), all in the process's heap (simulated
 * physical memory, through pk_load / pk_store):
 *   - a circular log of log_bytes (MICA's "lossy" cache mode): items
 *     [key_len u8, 0 u8, value_len u16 little-endian, key, value], padded
 *     to 8 bytes, appended at a free-running tail position; an item that
 *     would straddle the end starts again at the beginning (the rest of
 *     the lap is skipped: a log wrap).  The log holds the positions
 *     [tail - log_bytes, tail): an item older than that was overwritten.
 *   - a hash index of index_buckets buckets (a power of two) of 8 slots
 *     of 8 bytes (one 64-byte cache line per bucket): a slot is a 16-bit
 *     tag (bits 63:48; 0 = empty) and the item's 48-bit log position.
 *     bucket = hash & (index_buckets - 1), tag = (hash >> 32) & 0xFFFF
 *     (1 when that is 0) -- bits the partition function barely uses.
 *   - GET: read the bucket; for each slot with the tag whose item is
 *     still in the log, read the item and compare the key: the first
 *     equal one is a hit.  A slot whose item the log overwrote is a miss
 *     (MICA's lossy index: nothing is cleaned up eagerly).
 *   - SET: append the item, then put it in the bucket: in the slot of the
 *     same key if the key is there, else in an empty or stale slot, else
 *     over the oldest slot (an index eviction).  A value longer than a
 *     GET response can carry (min(info.tx_len_max, frame buffer) - 62
 *     bytes of headers: a request frame of the same size limit cannot
 *     carry one anyway) or an item longer than the log is refused.
 * MICA also prefetches across a batch and keeps a per-bucket version for
 * concurrent readers (CREW); neither matters to one EREW process, and
 * this model charges every memory access in full (no prefetch overlap).
 *
 * Parameters (all optional):
 *   port_base      UDP port of partition 0 (default 9000)
 *   instance       the partition this process owns (default 0)
 *   instances      number of partitions (default 1)
 *   log_mib        log size in MiB (default 16)
 *   log_bytes      log size in bytes, a multiple of 8, >= 64 (overrides
 *                  log_mib; tests use tiny logs)
 *   index_buckets  a power of two, 1..2^24 (default 65536)
 *   steer          1: install the Flow Director rule (default), 0: rely on
 *                  RSS (then misrouted requests show what steering buys)
 *   prefill        keys 0..prefill-1 (named by wl_kvs_key_name) stored
 *                  before serving, only those of this partition, with
 *                  canonical values of value_bytes (default 0)
 *   key_bytes      length of the prefilled key names, 1..64 (default 16)
 *   value_bytes    length of the prefilled values (default 32)
 *   burst          frames read per queue per step, 1..1024 (default 32):
 *                  one pk_enter per batch
 *   wait           1: block in pk_enter(PK_ENTER_WAIT) when idle (default 0)
 * Start fails with a one-line message on a bad parameter, a heap too
 * small for index + log + frame buffers, or a refused Flow Director rule.
 * The index zeroing and the prefill are not charged (they stand for a
 * store loaded before the experiment).
 *
 * Costs charged per request (pk_charge; cpu.cycle at ~1 instruction per
 * cycle on the modelled 3 GHz core; the netloop's RX/SQE/CQE costs come
 * on top, workloads/netloop.h):
 *   mem.llc per 64-byte line of the request frame (DDIO put it in the
 *     LLC) and per line of the response beyond the request's;
 *   REQ_CYCLES (28): echo's header checks and address swaps; BODY_CYCLES
 *     (10): op, lengths and routing checks;
 *   hashing: HASH_BYTE_CYCLES (4) per key byte -- FNV-1a is a dependent
 *     XOR and 64-bit multiply per byte, IMUL r64 latency 3 cycles (Agner
 *     Fog's instruction tables, Broadwell/Skylake) -- plus HASH_MIX_CYCLES
 *     (10) for the SplitMix64 finaliser (two multiplies, three shift-XORs);
 *   index: mem.dram per bucket read (a random 64-byte line of an index
 *     far larger than the L2), BUCKET_CYCLES (8) to compare 8 tags;
 *   log: mem.dram for the first line of each item read (a random line),
 *     mem.llc for each further line (the adjacent-line prefetcher);
 *     KEY_CMP_CYCLES (4) per key compare; an appended item costs mem.llc
 *     per line written (the log tail is sequential);
 *   copying: COPY_LINE_CYCLES (4) per 64-byte line of key + value copied
 *     (two 32-byte loads and stores and loop overhead);
 *   response: RESP_CYCLES (20): lengths and the IPv4 header checksum; the
 *     UDP checksum 1 cycle per 8 bytes of datagram (+ 4).
 * With the default costs a GET hit of a 16-byte key and a 32-byte value
 * charges 2 DRAM accesses, 2 LLC lines and ~160 cycles (~245 ns) here;
 * with the loop's RX/SQE/CQE work and a pk_enter per request (one
 * process on check_kvs's host, requests 2 us apart: one per batch) it
 * measured 284 ns of user time per GET hit, 302 ns per SET, 188 ns per
 * GET miss, and 471 ns of kernel time (the mediated TX and refill).  For comparison MICA served
 * ~4.8 M ops/s per core (76.9 M ops/s on 16 cores, NSDI'14), ~210 ns per
 * request, with its memory accesses overlapped across a batch.
 *
 * Report (results.json processes[].report): gets, sets, hits, misses,
 * hit_rate (hits / gets), stored, refused (GETs and SETs the store could
 * not serve), misrouted, evictions (index), log_wraps, prefilled,
 * malformed (bodies not in the protocol: dropped unanswered), dropped
 * (frames that are not UDP/IPv4 to the host), log_bytes, index_buckets.
 * Invariants: gets = hits + misses + refused GETs, sets = stored +
 * refused SETs, and every answered request is one of them or misrouted. */
#ifndef PARASIM_WORKLOADS_KVS_H
#define PARASIM_WORKLOADS_KVS_H

#include <stdint.h>

#include "workloads/app.h"

extern const wl_app_t wl_app_kvs;

typedef struct wl_kvs_counters {
    uint64_t gets, sets;       /* requests of this partition, by op */
    uint64_t hits, misses;     /* GETs */
    uint64_t stored;           /* SETs stored */
    uint64_t refused;          /* GETs and SETs answered "refused" by the store */
    uint64_t misrouted;        /* answered "refused": not this partition */
    uint64_t malformed;        /* UDP to the host, but not a protocol request */
    uint64_t dropped;          /* not UDP/IPv4 to the host, or too short */
    uint64_t prefilled;        /* keys stored before serving */
    uint64_t evictions;        /* live index slots overwritten (full bucket) */
    uint64_t log_wraps;        /* the log's writer went back to its start */
} wl_kvs_counters_t;

/* The kvs process's counters, from its state. */
void wl_kvs_counters(const void *state, wl_kvs_counters_t *out);

#endif
