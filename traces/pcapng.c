/* traces/pcapng: the pcapng block reader (draft-ietf-opsawg-pcapng-03).
 *
 * Every block is: type (4), total length (4), body, total length again (4).
 * The Section Header Block's type 0x0A0D0D0A reads the same in both byte
 * orders; its byte-order magic 0x1A2B3C4D fixes the order of the section.
 * Blocks handled (section numbers of the draft):
 *   SHB 0x0A0D0D0A (4.1): the section's byte order; version 1.x; its
 *       options are skipped.  The interfaces of the previous section go.
 *   IDB 1 (4.2): link type, snaplen, options if_tsresol (code 9),
 *       if_tsoffset (code 14); other options ignored (if_fcslen too: its
 *       unit is disputed between writers).
 *   EPB 6 (4.3), PB 2 (obsolete, appendix): one timed packet.
 *   SPB 3 (4.4): one packet of interface 0, no timestamp, caplen =
 *       min(original length, snaplen, the block's room).
 *   anything else: skipped by its length, counted.
 * Packet records are counted as blocks: an error names the block number. */
#include "traces/pcap_int.h"

#include <stdlib.h>
#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_PB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define OPT_ENDOFOPT 0u
#define OPT_IF_TSRESOL 9u
#define OPT_IF_TSOFFSET 14u

static uint32_t pad4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

/* Where the current block is, for its errors. */
typedef struct blk {
    uint64_t no, off;
    uint32_t type, len;
} blk_t;

#define BERR(p, b, err, errlen, ...) \
    (trace_file_err((p)->f, err, errlen, (b)->no, (b)->off, __VA_ARGS__), -1)

static int trailer(trace_pcap_t *p, const blk_t *b, char *err, size_t errlen)
{
    uint8_t t[4];
    if (pcap_read(p, t, 4, false, "block trailer", b->no, b->off, err, errlen) < 0)
        return -1;
    uint32_t len2 = pcap_get32(t, p->big);
    if (len2 != b->len)
        return BERR(p, b, err, errlen,
                    "block total length %u does not match its trailing copy %u", b->len, len2);
    return 0;
}

/* ---------------------------------------------------------------- SHB */

/* The SHB whose 8-byte header (type, raw length) is in h. */
static int shb(trace_pcap_t *p, const blk_t *at, const uint8_t h[8], char *err, size_t errlen)
{
    blk_t b = *at;
    uint8_t bom[8];
    if (pcap_read(p, bom, sizeof bom, false, "section header", b.no, b.off, err, errlen) < 0)
        return -1;
    if (memcmp(bom, "\x4d\x3c\x2b\x1a", 4) == 0)
        p->big = false;
    else if (memcmp(bom, "\x1a\x2b\x3c\x4d", 4) == 0)
        p->big = true;
    else
        return BERR(p, &b, err, errlen, "bad byte-order magic %02x %02x %02x %02x", bom[0],
                    bom[1], bom[2], bom[3]);
    b.len = pcap_get32(h + 4, p->big);
    if (b.len < 28 || b.len % 4)
        return BERR(p, &b, err, errlen, "bad section header length %u", b.len);
    uint16_t major = pcap_get16(bom + 4, p->big), minor = pcap_get16(bom + 6, p->big);
    if (major != 1)
        return BERR(p, &b, err, errlen, "unsupported pcapng version %u.%u (1.x expected)",
                    major, minor);
    /* section length (8) and options */
    if (pcap_skip(p, b.len - 20u, "section header", b.no, b.off, err, errlen) < 0)
        return -1;
    p->n_if = 0;
    return trailer(p, &b, err, errlen);
}

int pcapng_open(trace_pcap_t *p, char *err, size_t errlen)
{
    uint8_t h[8] = {0x0a, 0x0d, 0x0d, 0x0a};
    blk_t b = {.no = 1, .off = 0, .type = BT_SHB};
    if (pcap_read(p, h + 4, 4, false, "section header", 1, 0, err, errlen) < 0)
        return -1;
    p->rec_no = 1;
    return shb(p, &b, h, err, errlen);
}

/* ---------------------------------------------------------------- IDB */

static int idb_options(trace_pcap_t *p, const blk_t *b, const uint8_t *o, uint32_t n,
                       pcap_iface_t *ifc, char *err, size_t errlen)
{
    uint32_t at = 0;
    while (n - at >= 4) {
        uint16_t code = pcap_get16(o + at, p->big), olen = pcap_get16(o + at + 2, p->big);
        at += 4;
        if (code == OPT_ENDOFOPT)
            break;
        if (olen > n - at)
            return BERR(p, b, err, errlen, "interface option %u (%u bytes) overruns the block",
                        code, olen);
        const uint8_t *v = o + at;
        if (code == OPT_IF_TSRESOL && olen >= 1) {
            ifc->res_pow2 = v[0] & 0x80u;
            ifc->res_exp = v[0] & 0x7Fu;
            if (ifc->res_pow2 ? ifc->res_exp > 63 : ifc->res_exp > 19)
                return BERR(p, b, err, errlen, "unsupported if_tsresol %s-%u",
                            ifc->res_pow2 ? "2^" : "10^", ifc->res_exp);
        } else if (code == OPT_IF_TSOFFSET && olen == 8) {
            ifc->tsoffset = (int64_t)pcap_get64(v, p->big);
        }
        at += pad4(olen) <= n - at ? pad4(olen) : n - at;
    }
    return 0;
}

static int idb(trace_pcap_t *p, const blk_t *b, char *err, size_t errlen)
{
    if (b->len < 20)
        return BERR(p, b, err, errlen, "interface description block too short (%u bytes)",
                    b->len);
    if (b->len - 12u > PCAPNG_IDB_MAX)
        return BERR(p, b, err, errlen, "interface description block too long (%u bytes)",
                    b->len);
    uint32_t n = b->len - 12u;
    if (pcap_read(p, p->data, n, false, "interface description block", b->no, b->off, err,
                  errlen) < 0)
        return -1;
    pcap_iface_t ifc = {
        .linktype = pcap_get16(p->data, p->big),
        .snaplen = pcap_get32(p->data + 4, p->big),
        .res_exp = 6, /* default 10^-6 */
    };
    if (idb_options(p, b, p->data + 8, n - 8, &ifc, err, errlen) < 0)
        return -1;
    if (p->n_if == PCAPNG_MAX_IFACES)
        return BERR(p, b, err, errlen, "more than %u interfaces", PCAPNG_MAX_IFACES);
    if (p->n_if == p->cap_if) {
        size_t cap = p->cap_if ? p->cap_if * 2 : 4;
        pcap_iface_t *ifs = realloc(p->ifs, cap * sizeof *ifs);
        if (!ifs)
            return BERR(p, b, err, errlen, "out of memory");
        p->ifs = ifs;
        p->cap_if = cap;
    }
    p->ifs[p->n_if++] = ifc;
    return trailer(p, b, err, errlen);
}

/* ---------------------------------------------------------------- packets */

/* (a * b) >> k for k < 64, when the result fits 64 bits. */
static uint64_t mul_shr(uint64_t a, uint64_t b, unsigned k)
{
    uint64_t al = a & 0xFFFFFFFFu, ah = a >> 32, bl = b & 0xFFFFFFFFu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    uint64_t lo = (ll & 0xFFFFFFFFu) | mid << 32;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return k == 0 ? lo : lo >> k | hi << (64 - k);
}

static uint64_t pow10u(unsigned k)
{
    uint64_t v = 1;
    while (k--)
        v *= 10;
    return v;
}

/* A timestamp in the interface's units to (seconds, ps); false when the
 * seconds do not fit an int64_t. */
static bool ng_time(const pcap_iface_t *ifc, uint64_t ts, int64_t *sec, uint64_t *psec)
{
    uint64_t s;
    unsigned k = ifc->res_exp;
    if (ifc->res_pow2) {
        s = ts >> k;
        *psec = mul_shr(ts & ((UINT64_C(1) << k) - 1), PCAP_PS_PER_S, k);
    } else {
        uint64_t div = pow10u(k), frac = ts % div;
        s = ts / div;
        *psec = k <= 12 ? frac * pow10u(12 - k) : frac / pow10u(k - 12);
    }
    if (s > INT64_MAX)
        return false;
    int64_t off = ifc->tsoffset;
    if ((off > 0 && (int64_t)s > INT64_MAX - off) || (off < 0 && (int64_t)s < INT64_MIN - off))
        return false;
    *sec = (int64_t)s + off;
    return true;
}

/* EPB (or obsolete PB): the fixed part is in fx (20 bytes). */
static int epb(trace_pcap_t *p, const blk_t *b, const uint8_t *fx, trace_pkt_t *out,
               char *err, size_t errlen)
{
    uint32_t ifid = b->type == BT_PB ? pcap_get16(fx, p->big) : pcap_get32(fx, p->big);
    uint64_t ts = (uint64_t)pcap_get32(fx + 4, p->big) << 32 | pcap_get32(fx + 8, p->big);
    uint32_t cap = pcap_get32(fx + 12, p->big), orig = pcap_get32(fx + 16, p->big);
    if (ifid >= p->n_if)
        return BERR(p, b, err, errlen, "packet of interface %u, but the section describes %zu",
                    ifid, p->n_if);
    const pcap_iface_t *ifc = &p->ifs[ifid];
    if (cap > TRACE_PCAP_MAX_CAPLEN || pad4(cap) > b->len - 32u)
        return BERR(p, b, err, errlen, "captured length %u does not fit the block (%u bytes)",
                    cap, b->len);
    if (ifc->snaplen != 0 && cap > ifc->snaplen)
        return BERR(p, b, err, errlen, "captured length %u exceeds the snapshot length %u",
                    cap, ifc->snaplen);
    if (cap > orig)
        return BERR(p, b, err, errlen, "captured length %u exceeds the original length %u",
                    cap, orig);
    pcap_rec_t r = {.timed = true, .ifc = ifc, .iface = ifid, .caplen = cap, .origlen = orig};
    if (!ng_time(ifc, ts, &r.sec, &r.psec))
        return BERR(p, b, err, errlen, "timestamp out of range");
    if (pcap_read(p, p->data, cap, false, "packet data", b->no, b->off, err, errlen) < 0 ||
        pcap_skip(p, b->len - 32u - cap, "packet block", b->no, b->off, err, errlen) < 0 ||
        trailer(p, b, err, errlen) < 0)
        return -1;
    p->have_last = true;
    p->last_sec = r.sec;
    p->last_psec = r.psec;
    return pcap_deliver(p, &r, out, b->no, b->off, err, errlen);
}

static int spb(trace_pcap_t *p, const blk_t *b, trace_pkt_t *out, char *err, size_t errlen)
{
    if (b->len < 16)
        return BERR(p, b, err, errlen, "simple packet block too short (%u bytes)", b->len);
    if (p->n_if == 0)
        return BERR(p, b, err, errlen, "simple packet block, but the section has no interface");
    uint8_t o[4];
    if (pcap_read(p, o, 4, false, "simple packet block", b->no, b->off, err, errlen) < 0)
        return -1;
    const pcap_iface_t *ifc = &p->ifs[0];
    uint32_t orig = pcap_get32(o, p->big), room = b->len - 16u, cap = orig;
    if (ifc->snaplen != 0 && cap > ifc->snaplen)
        cap = ifc->snaplen;
    if (cap > room)
        cap = room;
    if (cap > TRACE_PCAP_MAX_CAPLEN)
        return BERR(p, b, err, errlen, "captured length %u exceeds the 262144-byte limit", cap);
    pcap_rec_t r = {.timed = p->have_last, .sec = p->last_sec, .psec = p->last_psec,
                    .ifc = ifc, .caplen = cap, .origlen = orig};
    if (pcap_read(p, p->data, cap, false, "packet data", b->no, b->off, err, errlen) < 0 ||
        pcap_skip(p, room - cap, "simple packet block", b->no, b->off, err, errlen) < 0 ||
        trailer(p, b, err, errlen) < 0)
        return -1;
    return pcap_deliver(p, &r, out, b->no, b->off, err, errlen);
}

/* ---------------------------------------------------------------- blocks */

/* One block after the header h: 1 a packet in *out, 0 nothing to return
 * (yet), -1 error. */
static int block(trace_pcap_t *p, blk_t *b, const uint8_t h[8], trace_pkt_t *out, char *err,
                 size_t errlen)
{
    b->len = pcap_get32(h + 4, p->big);
    if (b->len < 12 || b->len % 4)
        return BERR(p, b, err, errlen, "bad block total length %u (type 0x%08x)", b->len,
                    b->type);
    switch (b->type) {
    case BT_IDB:
        return idb(p, b, err, errlen);
    case BT_SPB:
        return spb(p, b, out, err, errlen);
    case BT_EPB:
    case BT_PB: {
        uint8_t fx[20];
        if (b->len < 32)
            return BERR(p, b, err, errlen, "packet block too short (%u bytes)", b->len);
        if (pcap_read(p, fx, sizeof fx, false, "packet block", b->no, b->off, err, errlen) < 0)
            return -1;
        return epb(p, b, fx, out, err, errlen);
    }
    default:
        p->st.blocks_skipped++;
        if (pcap_skip(p, b->len - 12u, "block", b->no, b->off, err, errlen) < 0)
            return -1;
        return trailer(p, b, err, errlen);
    }
}

int pcapng_next(trace_pcap_t *p, trace_pkt_t *out, char *err, size_t errlen)
{
    for (;;) {
        blk_t b = {.no = p->rec_no + 1, .off = trace_file_offset(p->f)};
        uint8_t h[8];
        int r = pcap_read(p, h, sizeof h, true, "block header", b.no, b.off, err, errlen);
        if (r != 0)
            return r > 0 ? 0 : -1;
        p->rec_no = b.no;
        b.type = pcap_get32(h, p->big);
        if (memcmp(h, "\x0a\x0d\x0d\x0a", 4) == 0) {
            b.type = BT_SHB;
            r = shb(p, &b, h, err, errlen);
        } else {
            r = block(p, &b, h, out, err, errlen);
        }
        if (r != 0)
            return r;
    }
}
