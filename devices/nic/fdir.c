/* devices/nic/fdir.c: Flow Director perfect-match filters (82599 7.1.2.7,
 * registers 8.2.3.21).
 *
 * Programming, as the ixgbe driver does it: write the flow into the staging
 * registers FDIRSIPv6(0..2), FDIRIPSA, FDIRIPDA, FDIRPORT (source port in
 * 15:0, destination in 31:16), FDIRVLAN, FDIRHASH (bits 30:16: software
 * index), then FDIRCMD: bits 1:0 command (1 add, 2 remove, 3 query), 6:5
 * L4 type (0 none, 1 UDP, 2 TCP, 3 SCTP), bit 7 IPv6, bit 9 drop, bit 15
 * queue enable, bits 22:16 queue.  FDIRCMD reads back with the command
 * field 0 (done).  Addresses are written as host-order integers of the
 * network-order bytes (192.0.2.1 = 0xC0000201), as IXGBE_WRITE_REG_BE32.
 * The table is active when FDIRCTRL.PBALLOC != 0 and PERFECT_MATCH (bit 4)
 * is set; PBALLOC 1/2/3 gives 2K/4K/8K - 2 filters.
 *
 * Matching: a filter is the exact tuple (flow type, source and destination
 * address, ports) after the global masks; the first (only) equal tuple
 * wins and takes precedence over RSS.  A matching filter steers to its
 * queue (if queue enable), or drops (drop bit: counted as a filter drop on
 * the queue FDIRCTRL.DROP_Q names).  Lookup is a hash table: O(1).
 *
 * Simplifications ("faithfully simplified"):
 *   - masks: FDIRSIP4M / FDIRDIP4M (1 = don't care, per address bit),
 *     FDIRTCPM / FDIRUDPM / FDIRSCTPM (1 = don't care; source port in
 *     15:0, destination in 31:16, natural bit order, where the 82599's are
 *     bit-reversed), FDIRM.L4P (bit 3: ignore the L4 type and ports) and
 *     FDIRM.DIPv6 (bit 5: ignore the IPv6 destination); VLAN, flex bytes,
 *     pools and FDIRIP6M are not matched on;
 *   - IPv6: the source is SIPv6(0) | SIPv6(1) | SIPv6(2) | IPSA (most
 *     significant word first) and FDIRIPDA is compared with the FIRST 32
 *     bits of the destination ("record the first 32 bits of the destination
 *     address", ixgbe_fdir_write_perfect_filter_82599);
 *   - adding an existing tuple updates its action; the bucket hash field is
 *     stored but lookups hash the tuple themselves;
 *   - FDIRMATCH / FDIRMISS read the simulator's counters (not cleared). */
#include "devices/nic/nic_int.h"

#include <stdlib.h>
#include <string.h>

#define FDIRCTRL_PBALLOC 0x3u
#define FDIRCTRL_INIT_DONE (1u << 3)
#define FDIRCTRL_PERFECT (1u << 4)
#define FDIRCTRL_DROPQ_SHIFT 8
#define FDIRCTRL_DROPQ_MASK 0x7Fu
#define CMD_MASK 0x3u
#define CMD_ADD 1u
#define CMD_REMOVE 2u
#define CMD_L4_SHIFT 5
#define CMD_L4_MASK 0x3u
#define CMD_IPV6 (1u << 7)
#define CMD_DROP (1u << 9)
#define CMD_QUEUE_EN (1u << 15)
#define CMD_QUEUE_SHIFT 16
#define CMD_QUEUE_MASK 0x7Fu
#define HASH_SWIDX_SHIFT 16
#define HASH_SWIDX_MASK 0x7FFFu
#define FDIRM_L4P (1u << 3)
#define FDIRM_DIPV6 (1u << 5)
#define FLOW_IPV6 0x4u
#define FILTERS_PER_PBALLOC 2048u /* PBALLOC 64K: 2K - 2 filters */
#define FILTERS_RESERVED 2u

int nic_fdir_init(nic_fdir_t *f)
{
    f->filt = calloc(FDIR_MAX_FILTERS, sizeof *f->filt);
    if (!f->filt)
        return -1;
    nic_fdir_reset(f);
    return 0;
}

void nic_fdir_reset(nic_fdir_t *f)
{
    fdir_filter_t *filt = f->filt;
    memset(f, 0, sizeof *f);
    f->filt = filt;
    for (unsigned b = 0; b < FDIR_BUCKETS; b++)
        f->bucket[b] = -1;
    for (unsigned i = 0; i < FDIR_MAX_FILTERS; i++)
        filt[i].next = i + 1 < FDIR_MAX_FILTERS ? (int32_t)i + 1 : -1;
    f->free_head = 0;
}

void nic_fdir_destroy(nic_fdir_t *f)
{
    free(f->filt);
    f->filt = NULL;
}

static bool active(const nic_fdir_t *f)
{
    return (f->ctrl & FDIRCTRL_PBALLOC) && (f->ctrl & FDIRCTRL_PERFECT);
}

static uint32_t capacity(const nic_fdir_t *f)
{
    return (FILTERS_PER_PBALLOC << ((f->ctrl & FDIRCTRL_PBALLOC) - 1)) - FILTERS_RESERVED;
}

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static uint32_t port_mask(const nic_fdir_t *f, unsigned l4)
{
    switch (l4) {
    case L4_TCP:
        return f->tcpm;
    case L4_UDP:
        return f->udpm;
    case L4_SCTP:
        return f->sctpm;
    default:
        return UINT32_MAX;
    }
}

/* Apply the global masks to a key in place. */
static void mask_key(const nic_fdir_t *f, fdir_key_t *k)
{
    if (f->m & FDIRM_L4P) {
        k->flow &= FLOW_IPV6;
        k->sport = k->dport = 0;
    }
    uint32_t pm = port_mask(f, k->flow & CMD_L4_MASK);
    k->sport &= (uint16_t)~pm;
    k->dport &= (uint16_t)~(pm >> 16);
    if (k->flow & FLOW_IPV6) {
        memset(k->dst + 4, 0, 12);
        if (f->m & FDIRM_DIPV6)
            memset(k->dst, 0, 4);
        return;
    }
    for (unsigned i = 0; i < 4; i++) {
        k->src[i] &= (uint8_t)~(f->sip4m >> (24 - 8 * i));
        k->dst[i] &= (uint8_t)~(f->dip4m >> (24 - 8 * i));
    }
}

static uint32_t key_hash(const fdir_key_t *k)
{
    const uint8_t *b = (const uint8_t *)k;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ b[i]) * 16777619u;
    return h % FDIR_BUCKETS;
}

static int32_t find(const nic_fdir_t *f, const fdir_key_t *k, uint32_t bucket, int32_t *prev)
{
    *prev = -1;
    for (int32_t i = f->bucket[bucket]; i >= 0; *prev = i, i = f->filt[i].next)
        if (!memcmp(&f->filt[i].key, k, sizeof *k))
            return i;
    return -1;
}

static void staged_key(const nic_fdir_t *f, fdir_key_t *k)
{
    memset(k, 0, sizeof *k);
    k->flow = (uint8_t)((f->cmd >> CMD_L4_SHIFT) & CMD_L4_MASK);
    if (f->cmd & CMD_IPV6) {
        k->flow |= FLOW_IPV6;
        for (unsigned i = 0; i < 3; i++)
            put_be32(k->src + 4 * i, f->sipv6[i]);
        put_be32(k->src + 12, f->ipsa);
    } else {
        put_be32(k->src, f->ipsa);
    }
    put_be32(k->dst, f->ipda);
    if (k->flow & CMD_L4_MASK) {
        k->sport = (uint16_t)f->port;
        k->dport = (uint16_t)(f->port >> 16);
    }
    mask_key(f, k);
}

static void cmd_add(nic_t *n, nic_fdir_t *f, const fdir_key_t *k, uint32_t bucket)
{
    unsigned queue = (f->cmd >> CMD_QUEUE_SHIFT) & CMD_QUEUE_MASK;
    if (queue >= n->cfg.queues) {
        nic_guest_error(n);
        return;
    }
    int32_t prev, i = find(f, k, bucket, &prev);
    if (i < 0) {
        if (f->used >= capacity(f) || f->free_head < 0) {
            nic_guest_error(n); /* table full: the 82599 reports a collision */
            return;
        }
        i = f->free_head;
        f->free_head = f->filt[i].next;
        f->filt[i].key = *k;
        f->filt[i].next = f->bucket[bucket];
        f->bucket[bucket] = i;
        f->used++;
    }
    fdir_filter_t *e = &f->filt[i];
    e->queue = (uint16_t)queue;
    e->drop = f->cmd & CMD_DROP;
    e->steer = f->cmd & CMD_QUEUE_EN;
    e->sw_index = (uint16_t)((f->hash >> HASH_SWIDX_SHIFT) & HASH_SWIDX_MASK);
    f->adds++;
}

static void cmd_remove(nic_t *n, nic_fdir_t *f, const fdir_key_t *k, uint32_t bucket)
{
    int32_t prev, i = find(f, k, bucket, &prev);
    if (i < 0) {
        nic_guest_error(n);
        return;
    }
    if (prev < 0)
        f->bucket[bucket] = f->filt[i].next;
    else
        f->filt[prev].next = f->filt[i].next;
    f->filt[i].next = f->free_head;
    f->free_head = i;
    f->used--;
    f->removes++;
}

static void command(nic_t *n, uint32_t val)
{
    nic_fdir_t *f = &n->fdir;
    f->cmd = val;
    unsigned cmd = val & CMD_MASK;
    if (cmd != CMD_ADD && cmd != CMD_REMOVE)
        return; /* query (3) and no-op (0): nothing to do */
    if (!active(f)) {
        nic_guest_error(n);
        return;
    }
    fdir_key_t k;
    staged_key(f, &k);
    uint32_t bucket = key_hash(&k);
    if (cmd == CMD_ADD)
        cmd_add(n, f, &k, bucket);
    else
        cmd_remove(n, f, &k, bucket);
}

const fdir_filter_t *nic_fdir_lookup(nic_t *n, const nic_pkt_t *p)
{
    nic_fdir_t *f = &n->fdir;
    if (!f->used || p->l3 == L3_NONE || !active(f))
        return NULL;
    fdir_key_t k;
    memset(&k, 0, sizeof k);
    k.flow = (uint8_t)p->l4 | (p->l3 == L3_IPV6 ? FLOW_IPV6 : 0);
    memcpy(k.src, p->src, p->l3 == L3_IPV6 ? 16 : 4);
    memcpy(k.dst, p->dst, p->l3 == L3_IPV6 ? 16 : 4);
    k.sport = p->sport;
    k.dport = p->dport;
    mask_key(f, &k);
    int32_t prev, i = find(f, &k, key_hash(&k), &prev);
    if (i < 0) {
        n->stats.fdir_miss++;
        return NULL;
    }
    n->stats.fdir_match++;
    return &f->filt[i];
}

unsigned nic_fdir_drop_queue(const nic_t *n)
{
    unsigned q = (n->fdir.ctrl >> FDIRCTRL_DROPQ_SHIFT) & FDIRCTRL_DROPQ_MASK;
    return q < n->cfg.queues ? q : 0;
}

static uint32_t *staging_reg(nic_fdir_t *f, uint32_t off)
{
    switch (off) {
    case R_FDIRSIPV6: return &f->sipv6[0];
    case R_FDIRSIPV6 + 4: return &f->sipv6[1];
    case R_FDIRSIPV6 + 8: return &f->sipv6[2];
    case R_FDIRIPSA: return &f->ipsa;
    case R_FDIRIPDA: return &f->ipda;
    case R_FDIRPORT: return &f->port;
    case R_FDIRVLAN: return &f->vlan;
    case R_FDIRHASH: return &f->hash;
    case R_FDIRDIP4M: return &f->dip4m;
    case R_FDIRSIP4M: return &f->sip4m;
    case R_FDIRTCPM: return &f->tcpm;
    case R_FDIRUDPM: return &f->udpm;
    case R_FDIRSCTPM: return &f->sctpm;
    case R_FDIRM: return &f->m;
    default: return NULL;
    }
}

static bool read_only(nic_t *n, uint32_t off, uint32_t *val)
{
    nic_fdir_t *f = &n->fdir;
    switch (off) {
    case R_FDIRCTRL:
        *val = f->ctrl | FDIRCTRL_INIT_DONE;
        return true;
    case R_FDIRCMD:
        *val = f->cmd & ~CMD_MASK; /* the command completes at once */
        return true;
    case R_FDIRFREE:
        *val = active(f) ? capacity(f) - f->used : 0;
        return true;
    case R_FDIRUSTAT:
        *val = (f->adds & 0xFFFFu) | (f->removes & 0xFFFFu) << 16;
        return true;
    case R_FDIRMATCH:
        *val = (uint32_t)n->stats.fdir_match;
        return true;
    case R_FDIRMISS:
        *val = (uint32_t)n->stats.fdir_miss;
        return true;
    default:
        return false;
    }
}

bool nic_fdir_reg(nic_t *n, uint32_t off, bool write, uint32_t *val)
{
    nic_fdir_t *f = &n->fdir;
    uint32_t *r = staging_reg(f, off);
    if (r) {
        if (write)
            *r = *val;
        else
            *val = *r;
        return true;
    }
    if (!write)
        return read_only(n, off, val);
    if (off == R_FDIRCTRL) {
        f->ctrl = *val & ~FDIRCTRL_INIT_DONE;
        return true;
    }
    if (off == R_FDIRCMD) {
        command(n, *val);
        return true;
    }
    uint32_t dummy;
    if (read_only(n, off, &dummy)) {
        nic_guest_error(n); /* write to a read-only register */
        return true;
    }
    return false;
}
