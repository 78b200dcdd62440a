/* devices/nic/rss.c: receive-side scaling (82599 7.1.2.8, registers
 * in 8.2.3: MRQC, RETA, RSSRK).
 *
 * Hash: Toeplitz over the 40-byte key RSSRK (key byte 0 in bits 7:0 of
 * RSSRK[0], byte 4k+j in bits 8j+7:8j of RSSRK[k]) and the hash input
 *   IPv4: source address | destination address [| source port | dest port]
 *   IPv6: the same with 16-byte addresses,
 * all in network byte order, source first.  MRQC bits 31:16 choose the
 * function (82599 priority: TCP 4-tuple, then UDP 4-tuple, then the
 * addresses only); MRQC.MRQE = 0001b enables RSS.  Fragments and other L4
 * protocols hash on the addresses alone; non-IP frames get no hash.
 *
 * Queue: RETA[hash & 127].  RETA register n holds entries 4n..4n+3, one per
 * byte (entry 4n+j in bits 8j+7:8j).  Simplification: entries are 7 bits
 * wide (the 82599 uses 4, for 16 RSS queues) so RSS can spread over all
 * 128 queues; an entry naming a queue that is not configured is a guest
 * error at write time and steers to queue 0.  A frame without a hash, or
 * with RSS disabled, goes to queue 0 (the 82599's default queue).
 *
 * Speed: the per-frame hash uses a [36][256] table of the XOR terms of
 * each input byte value at each position, rebuilt lazily after a key
 * write; nic_rss_toeplitz() is the plain bit-serial definition. */
#include "devices/nic/nic_int.h"

#include <string.h>

#define KEY_BYTES 40u
#define RETA_ENTRIES 128u
#define RETA_ENTRY_MASK 0x7Fu
#define HASH_INPUT_MAX 36u     /* IPv6 4-tuple */
#define BITS_PER_BYTE 8u

uint32_t nic_rss_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len)
{
    uint32_t result = 0, win = 0;
    for (size_t i = 0; i < 4; i++)
        win = win << 8 | (i < key_len ? key[i] : 0);
    for (size_t j = 0; j < len; j++) {
        uint8_t next = j + 4 < key_len ? key[j + 4] : 0;
        for (int b = 7; b >= 0; b--) {
            if (data[j] >> b & 1)
                result ^= win;
            win = win << 1 | ((uint32_t)next >> b & 1);
        }
    }
    return result;
}

/* The 32 key bits starting at bit i (MSB of key[0] is bit 0). */
static uint32_t key_window(const uint8_t *key, unsigned i)
{
    uint64_t w = 0;
    unsigned byte = i / BITS_PER_BYTE;
    for (unsigned k = 0; k < 5; k++)
        w = w << 8 | (byte + k < KEY_BYTES ? key[byte + k] : 0);
    return (uint32_t)(w >> (8 - i % BITS_PER_BYTE));
}

static void build_table(nic_t *n)
{
    for (unsigned p = 0; p < HASH_INPUT_MAX; p++) {
        uint32_t w[8]; /* w[b]: term of bit b (bit 7 = MSB, first on the wire) */
        for (unsigned b = 0; b < 8; b++)
            w[b] = key_window(n->rss_key, p * BITS_PER_BYTE + (7 - b));
        n->rss_tab[p][0] = 0;
        for (unsigned v = 1; v < 256; v++) {
            unsigned low = (unsigned)__builtin_ctz(v);
            n->rss_tab[p][v] = n->rss_tab[p][v & (v - 1)] ^ w[low];
        }
    }
    n->rss_table_stale = false;
}

static uint32_t table_hash(nic_t *n, const uint8_t *in, size_t len)
{
    if (n->rss_table_stale)
        build_table(n);
    uint32_t h = 0;
    for (size_t i = 0; i < len; i++)
        h ^= n->rss_tab[i][in[i]];
    return h;
}

bool nic_rss_enabled(const nic_t *n)
{
    return (n->mrqc & MRQC_MRQE_MASK) == MRQC_RSSEN;
}

/* 82599 RSS type for a packet under MRQC, or RSSTYPE_NONE; *ports says
 * whether the hash covers the L4 ports. */
static uint32_t select_type(uint32_t mrqc, const nic_pkt_t *p, bool *ports)
{
    *ports = true;
    if (p->l3 == L3_IPV4) {
        if (p->l4 == L4_TCP && (mrqc & MRQC_IPV4_TCP))
            return RSSTYPE_IPV4_TCP;
        if (p->l4 == L4_UDP && (mrqc & MRQC_IPV4_UDP))
            return RSSTYPE_IPV4_UDP;
        *ports = false;
        return mrqc & MRQC_IPV4 ? RSSTYPE_IPV4 : RSSTYPE_NONE;
    }
    if (p->l3 == L3_IPV6) {
        if (p->l4 == L4_TCP && (mrqc & (MRQC_IPV6_TCP | MRQC_IPV6_EX_TCP)))
            return RSSTYPE_IPV6_TCP;
        if (p->l4 == L4_UDP && (mrqc & (MRQC_IPV6_UDP | MRQC_IPV6_EX_UDP)))
            return RSSTYPE_IPV6_UDP;
        *ports = false;
        return mrqc & (MRQC_IPV6 | MRQC_IPV6_EX) ? RSSTYPE_IPV6 : RSSTYPE_NONE;
    }
    return RSSTYPE_NONE;
}

bool nic_rss_hash(nic_t *n, const nic_pkt_t *p, uint32_t *hash, uint32_t *type)
{
    bool ports;
    *type = select_type(n->mrqc, p, &ports);
    if (*type == RSSTYPE_NONE)
        return false;
    uint8_t in[HASH_INPUT_MAX];
    size_t alen = p->l3 == L3_IPV4 ? 4 : 16;
    memcpy(in, p->src, alen);
    memcpy(in + alen, p->dst, alen);
    size_t len = 2 * alen;
    if (ports) {
        in[len++] = (uint8_t)(p->sport >> 8);
        in[len++] = (uint8_t)p->sport;
        in[len++] = (uint8_t)(p->dport >> 8);
        in[len++] = (uint8_t)p->dport;
    }
    *hash = table_hash(n, in, len);
    return true;
}

unsigned nic_rss_queue(const nic_t *n, uint32_t hash)
{
    unsigned q = n->reta[hash & (RETA_ENTRIES - 1)];
    return q < n->cfg.queues ? q : 0;
}

void nic_rss_write_key(nic_t *n, unsigned i, uint32_t val)
{
    le_put32(n->rss_key + 4 * i, val);
    n->rss_table_stale = true;
}

uint32_t nic_rss_read_key(const nic_t *n, unsigned i)
{
    return le_get32(n->rss_key + 4 * i);
}

void nic_rss_write_reta(nic_t *n, unsigned i, uint32_t val)
{
    for (unsigned j = 0; j < 4; j++) {
        uint8_t e = (uint8_t)(val >> (8 * j)) & RETA_ENTRY_MASK;
        if (e >= n->cfg.queues)
            nic_guest_error(n);
        n->reta[4 * i + j] = e;
    }
}

uint32_t nic_rss_read_reta(const nic_t *n, unsigned i)
{
    return le_get32(n->reta + 4 * i);
}
