/* workloads/kvs_int.h: the kvs server's store (workloads/kvs_store.c),
 * private to workloads/kvs*.c.  The design is in workloads/kvs.h.
 *
 * A kvs_store_t describes the index and the log in the process's memory
 * (addresses in its heap) and the log's free-running tail.  Every access
 * goes through pk_load / pk_store; a fault is counted (faults) and the
 * operation fails as a miss / refusal.  Costs are charged only while
 * `charging` is set (off during prefill). */
#ifndef PARASIM_WORKLOADS_KVS_INT_H
#define PARASIM_WORKLOADS_KVS_INT_H

#include <stdbool.h>
#include <stdint.h>

#define KVS_SLOTS 8u           /* slots per bucket */
#define KVS_BUCKET_BYTES 64u   /* 8 slots of 8 bytes: one cache line */
#define KVS_ITEM_HDR 4u        /* key_len, 0, value_len (LE) */
#define KVS_POS_MASK ((UINT64_C(1) << 48) - 1)
#define KVS_LINE 64u

/* Cycle estimates of the store's code (sources: workloads/kvs.h). */
#define KVS_BUCKET_CYCLES 8u
#define KVS_KEY_CMP_CYCLES 4u
#define KVS_COPY_LINE_CYCLES 4u

typedef struct kvs_store {
    uint64_t index;            /* bucket array address, 64-byte aligned */
    uint64_t buckets;          /* a power of two */
    uint64_t log;              /* log address, 8-byte aligned */
    uint64_t log_size;         /* bytes, a multiple of 8 */
    uint64_t tail;             /* free-running write position */
    int c_cycle, c_llc, c_dram;
    bool charging;
    uint64_t evictions, log_wraps, faults;
} kvs_store_t;

/* Lay the store out and zero the index (uncharged): 0, or -1 (a fault). */
int kvs_store_init(kvs_store_t *s, uint64_t index, uint64_t buckets, uint64_t log,
                   uint64_t log_size);
/* GET key (hash h): 1 hit with the value in val[0, *vlen), 0 miss, -1 a
 * hit whose value is longer than cap (nothing copied). */
int kvs_store_get(kvs_store_t *s, const uint8_t *key, unsigned klen, uint64_t h, uint8_t *val,
                  uint32_t cap, uint32_t *vlen);
/* SET key (hash h) to val[0, vlen): 0 stored, -1 refused (the item is
 * longer than the log, or a fault). */
int kvs_store_set(kvs_store_t *s, const uint8_t *key, unsigned klen, uint64_t h,
                  const uint8_t *val, uint32_t vlen);
/* The item length (header + key + value, padded to 8) of a SET. */
uint64_t kvs_item_len(unsigned klen, uint32_t vlen);
/* 64-byte lines spanned by [addr, addr + n), n > 0 (0 for n == 0). */
uint64_t kvs_lines(uint64_t addr, uint64_t n);

#endif
