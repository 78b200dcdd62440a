/* workloads/kvs_store.c: the kvs server's lossy store, a circular log and
 * a bucketed hash index in the process's memory (MICA's cache mode; the
 * design and the costs are in workloads/kvs.h, the interface in
 * workloads/kvs_int.h).
 *
 * Positions.  The tail is a free-running byte position; an item at
 * position p lives at log + p % log_size and is intact while
 * tail - p <= log_size (everything written since is newer and the log
 * holds log_size bytes).  Slots keep 48 bits of the position and compare
 * modulo 2^48, so the test is exact for 2^48 bytes of appends.
 * A log wrap is counted when an item is written at the log's start after
 * the first lap began (the skipped rest of a lap is never read: no item
 * starts there). */
#include "workloads/kvs_int.h"

#include <string.h>

#include "kernel/include/pk.h"

#define ZERO_CHUNK 4096u

static void charge(const kvs_store_t *s, int id, uint64_t n)
{
    if (s->charging && n)
        pk_charge(id, n);
}

uint64_t kvs_lines(uint64_t addr, uint64_t n)
{
    return n ? (addr % KVS_LINE + n + KVS_LINE - 1) / KVS_LINE : 0;
}

uint64_t kvs_item_len(unsigned klen, uint32_t vlen)
{
    return ((uint64_t)KVS_ITEM_HDR + klen + vlen + 7) / 8 * 8;
}

int kvs_store_init(kvs_store_t *s, uint64_t index, uint64_t buckets, uint64_t log,
                   uint64_t log_size)
{
    s->index = index;
    s->buckets = buckets;
    s->log = log;
    s->log_size = log_size;
    s->tail = 0;
    static const uint8_t zero[ZERO_CHUNK];
    uint64_t bytes = buckets * KVS_BUCKET_BYTES;
    for (uint64_t at = 0; at < bytes; at += ZERO_CHUNK) {
        uint32_t n = bytes - at < ZERO_CHUNK ? (uint32_t)(bytes - at) : ZERO_CHUNK;
        if (pk_store(index + at, zero, n) < 0) {
            s->faults++;
            return -1;
        }
    }
    return 0;
}

static uint16_t tag_of(uint64_t h)
{
    uint16_t t = (uint16_t)(h >> 32);
    return t ? t : 1;
}

static uint64_t age(const kvs_store_t *s, uint64_t slot)
{
    return (s->tail - (slot & KVS_POS_MASK)) & KVS_POS_MASK;
}

/* The slot names an item still in the log. */
static bool live(const kvs_store_t *s, uint64_t slot)
{
    uint64_t a = age(s, slot);
    return slot >> 48 && a > 0 && a <= s->log_size;
}

static uint64_t at(const kvs_store_t *s, uint64_t pos)
{
    return s->log + pos % s->log_size;
}

static uint64_t bucket_addr(const kvs_store_t *s, uint64_t h)
{
    return s->index + (h & (s->buckets - 1)) * KVS_BUCKET_BYTES;
}

static int load_bucket(kvs_store_t *s, uint64_t addr, uint64_t slot[KVS_SLOTS])
{
    uint8_t b[KVS_BUCKET_BYTES];
    charge(s, s->c_dram, 1);
    charge(s, s->c_cycle, KVS_BUCKET_CYCLES);
    if (pk_load(addr, b, sizeof b) < 0) {
        s->faults++;
        return -1;
    }
    for (unsigned i = 0; i < KVS_SLOTS; i++) {
        uint64_t v = 0;
        for (unsigned j = 0; j < 8; j++)
            v |= (uint64_t)b[8 * i + j] << (8 * j);
        slot[i] = v;
    }
    return 0;
}

/* The item of a live slot holds key: 1 (its value length in *vlen), 0
 * not, -1 a fault.  Charges the item's first line (a random DRAM line)
 * and the further lines of its header and key. */
static int item_has_key(kvs_store_t *s, uint64_t slot, const uint8_t *key, unsigned klen,
                        uint32_t *vlen)
{
    uint8_t h[KVS_ITEM_HDR + 64];
    uint64_t a = at(s, slot & KVS_POS_MASK);
    charge(s, s->c_dram, 1);
    charge(s, s->c_llc, kvs_lines(a, KVS_ITEM_HDR + klen) - 1);
    charge(s, s->c_cycle, KVS_KEY_CMP_CYCLES);
    if (pk_load(a, h, KVS_ITEM_HDR + klen) < 0) {
        s->faults++;
        return -1;
    }
    if (h[0] != klen || memcmp(h + KVS_ITEM_HDR, key, klen))
        return 0;
    *vlen = (uint32_t)h[2] | (uint32_t)h[3] << 8;
    return 1;
}

int kvs_store_get(kvs_store_t *s, const uint8_t *key, unsigned klen, uint64_t h, uint8_t *val,
                  uint32_t cap, uint32_t *vlen)
{
    uint64_t slot[KVS_SLOTS];
    if (load_bucket(s, bucket_addr(s, h), slot) < 0)
        return 0;
    uint16_t tag = tag_of(h);
    for (unsigned i = 0; i < KVS_SLOTS; i++) {
        if (slot[i] >> 48 != tag || !live(s, slot[i]))
            continue;
        uint32_t n = 0;
        int r = item_has_key(s, slot[i], key, klen, &n);
        if (r < 0)
            return 0;
        if (r == 0)
            continue;
        if (n > cap)
            return -1;
        uint64_t a = at(s, slot[i] & KVS_POS_MASK);
        uint64_t seen = kvs_lines(a, KVS_ITEM_HDR + klen);
        charge(s, s->c_llc, kvs_lines(a, KVS_ITEM_HDR + klen + n) - seen);
        charge(s, s->c_cycle, KVS_COPY_LINE_CYCLES * kvs_lines(0, n));
        if (n && pk_load(a + KVS_ITEM_HDR + klen, val, n) < 0) {
            s->faults++;
            return 0;
        }
        *vlen = n;
        return 1;
    }
    return 0;
}

/* Append an item at the tail (skipping to the log's start when it would
 * straddle the end): its position, or -1 (a fault). */
static int64_t append(kvs_store_t *s, const uint8_t *key, unsigned klen, const uint8_t *val,
                      uint32_t vlen)
{
    uint64_t len = kvs_item_len(klen, vlen), off = s->tail % s->log_size;
    if (off + len > s->log_size) {
        s->tail += s->log_size - off;
        off = 0;
    }
    if (off == 0 && s->tail)
        s->log_wraps++;
    uint64_t pos = s->tail, a = s->log + off;
    s->tail += len;
    uint8_t h[KVS_ITEM_HDR + 64] = {(uint8_t)klen, 0, (uint8_t)vlen, (uint8_t)(vlen >> 8)};
    memcpy(h + KVS_ITEM_HDR, key, klen);
    charge(s, s->c_llc, kvs_lines(a, len));
    charge(s, s->c_cycle, KVS_COPY_LINE_CYCLES * kvs_lines(0, klen + vlen));
    if (pk_store(a, h, KVS_ITEM_HDR + klen) < 0 ||
        (vlen && pk_store(a + KVS_ITEM_HDR + klen, val, vlen) < 0)) {
        s->faults++;
        return -1;
    }
    return (int64_t)pos;
}

/* The slot a new item of key goes to: the key's own, else an empty or
 * stale one, else the oldest (an eviction).  -1 on a fault. */
static int pick_slot(kvs_store_t *s, const uint64_t slot[KVS_SLOTS], uint16_t tag,
                     const uint8_t *key, unsigned klen)
{
    int free_slot = -1, oldest = 0;
    uint64_t oldest_age = 0;
    for (unsigned i = 0; i < KVS_SLOTS; i++) {
        if (!live(s, slot[i])) {
            if (free_slot < 0)
                free_slot = (int)i;
            continue;
        }
        if (age(s, slot[i]) > oldest_age) {
            oldest_age = age(s, slot[i]);
            oldest = (int)i;
        }
        uint32_t n = 0;
        if (slot[i] >> 48 == tag) {
            int r = item_has_key(s, slot[i], key, klen, &n);
            if (r != 0)
                return r < 0 ? -1 : (int)i;
        }
    }
    if (free_slot >= 0)
        return free_slot;
    s->evictions++;
    return oldest;
}

int kvs_store_set(kvs_store_t *s, const uint8_t *key, unsigned klen, uint64_t h,
                  const uint8_t *val, uint32_t vlen)
{
    if (kvs_item_len(klen, vlen) > s->log_size)
        return -1;
    int64_t pos = append(s, key, klen, val, vlen);
    if (pos < 0)
        return -1;
    uint64_t b = bucket_addr(s, h), slot[KVS_SLOTS];
    if (load_bucket(s, b, slot) < 0)
        return -1;
    uint16_t tag = tag_of(h);
    int i = pick_slot(s, slot, tag, key, klen);
    if (i < 0)
        return -1;
    uint64_t v = (uint64_t)tag << 48 | ((uint64_t)pos & KVS_POS_MASK);
    uint8_t w[8];
    for (unsigned j = 0; j < 8; j++)
        w[j] = (uint8_t)(v >> (8 * j));
    charge(s, s->c_cycle, 2);
    if (pk_store(b + (uint64_t)i * 8, w, sizeof w) < 0) {
        s->faults++;
        return -1;
    }
    return 0;
}
