/* workloads/blkio_verify.c: blkio's data verification (blkio_int.h,
 * "verify"; the pattern is blkio.h's contract).
 *
 * The generation map is an array of uint32_t, one per LBA block of the
 * range, in the process's own heap (read and written with pk_load /
 * pk_store, as the program would keep it in its memory): 0 means "not
 * known" (never written by this process, or last written by writes that
 * were in flight together, whose order the device decides), otherwise the
 * generation the block's last write carried.  Generations are the writes'
 * sequence numbers in this process (1, 2, ...), so a stale block of an
 * older write never passes for a newer one.
 *
 * Costs (pk_charge): WORD_CYCLES (1) per 8-byte word of pattern stored or
 * checked (an add, a xor and a store or compare: ~3 simple instructions,
 * ~1 cycle on a 4-wide core), and one mem.llc per 64-byte line of the map
 * read or written. */
#include <string.h>

#include "kernel/include/pk.h"
#include "workloads/blkio_int.h"

#define WORD_CYCLES 1u
#define LINE 64u
#define MAP_CHUNK 1024u /* entries zeroed per pk_store at init */

uint64_t blkio_verify_map_bytes(uint64_t range_size, uint32_t lba)
{
    uint64_t bytes = range_size / lba * sizeof(uint32_t);
    return (bytes + LINE - 1) / LINE * LINE;
}

int blkio_verify_init(blkio_verify_t *v, uint64_t map, uint64_t range_off, uint64_t range_size,
                      uint32_t lba)
{
    static const uint32_t zero[MAP_CHUNK];
    v->on = true;
    v->lba = lba;
    v->range_off = range_off;
    v->nblk = range_size / lba;
    v->map = map;
    v->seq = 0;
    v->c_cycle = pk_cost("cpu.cycle");
    v->c_llc = pk_cost("mem.llc");
    for (uint64_t i = 0; i < v->nblk; i += MAP_CHUNK) {
        uint64_t n = v->nblk - i < MAP_CHUNK ? v->nblk - i : MAP_CHUNK;
        if (pk_store(map + i * sizeof(uint32_t), zero, (uint32_t)(n * sizeof(uint32_t))) < 0)
            return -1;
    }
    pk_charge(v->c_llc, blkio_verify_map_bytes(range_size, lba) / LINE);
    return 0;
}

static void put_le64(uint8_t *p, uint64_t w)
{
    for (unsigned k = 0; k < 8; k++)
        p[k] = (uint8_t)(w >> (8 * k));
}

/* len bytes (a multiple of 8) of the pattern of generation g from
 * device offset b. */
static void pattern(uint8_t *p, uint32_t len, uint64_t b, uint32_t g)
{
    uint64_t key = (uint64_t)g * WL_BLKIO_PATTERN_MUL;
    for (uint32_t i = 0; i < len; i += 8)
        put_le64(p + i, (b + i) ^ key);
}

/* Map entries of [off, off + len): first index and count (len is a
 * multiple of the LBA size, inside the range: callers guarantee it). */
static void span(const blkio_verify_t *v, uint64_t off, uint32_t len, uint64_t *first,
                 uint32_t *n)
{
    *first = (off - v->range_off) / v->lba;
    *n = len / v->lba;
}

static void charge_map(const blkio_verify_t *v, uint64_t first, uint32_t n)
{
    uint64_t a = first * sizeof(uint32_t), e = (first + n) * sizeof(uint32_t);
    pk_charge(v->c_llc, (e + LINE - 1) / LINE - a / LINE);
}

int blkio_verify_write(blkio_verify_t *v, uint64_t buf, uint64_t off, uint32_t len,
                       bool ambiguous)
{
    uint32_t gens[WL_BLKIO_LEN_MAX / 512], n;
    uint64_t first;
    span(v, off, len, &first, &n);
    uint32_t g = ++v->seq;
    if (g == 0) /* 2^32 writes: 0 means unknown, skip it */
        g = ++v->seq;
    for (uint32_t k = 0; k < n; k++) {
        pattern(v->buf + (size_t)k * v->lba, v->lba, off + (uint64_t)k * v->lba, g);
        gens[k] = ambiguous ? 0 : g;
    }
    pk_charge(v->c_cycle, (uint64_t)len / 8 * WORD_CYCLES);
    charge_map(v, first, n);
    if (pk_store(buf, v->buf, len) < 0 ||
        pk_store(v->map + first * sizeof(uint32_t), gens, n * (uint32_t)sizeof(uint32_t)) < 0)
        return -1;
    return 0;
}

void blkio_verify_forget(blkio_verify_t *v, uint64_t off, uint32_t len)
{
    static const uint32_t zero[WL_BLKIO_LEN_MAX / 512];
    uint64_t first;
    uint32_t n;
    span(v, off, len, &first, &n);
    charge_map(v, first, n);
    pk_store(v->map + first * sizeof(uint32_t), zero, n * (uint32_t)sizeof(uint32_t));
}

void blkio_verify_read(blkio_verify_t *v, uint64_t buf, uint64_t off, uint32_t len, bool racy)
{
    uint32_t gens[WL_BLKIO_LEN_MAX / 512], n;
    uint64_t first;
    span(v, off, len, &first, &n);
    if (racy) {
        v->skipped += n;
        return;
    }
    charge_map(v, first, n);
    if (pk_load(v->map + first * sizeof(uint32_t), gens, n * (uint32_t)sizeof(uint32_t)) < 0 ||
        pk_load(buf, v->buf, len) < 0) {
        v->errors += n; /* the data cannot be looked at: not verified */
        return;
    }
    uint8_t want[4096];
    uint64_t words = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (!gens[k])
            continue;
        uint64_t b = off + (uint64_t)k * v->lba;
        for (uint32_t at = 0; at < v->lba; at += sizeof want) {
            uint32_t m = v->lba - at < sizeof want ? v->lba - at : (uint32_t)sizeof want;
            pattern(want, m, b + at, gens[k]);
            if (memcmp(want, v->buf + (size_t)k * v->lba + at, m)) {
                v->errors++;
                break;
            }
        }
        v->checked++;
        words += v->lba / 8;
    }
    pk_charge(v->c_cycle, words * WORD_CYCLES);
}
