/* tests/traces/tt_pcap.h: byte-by-byte builders of pcap and pcapng files
 * for the traces/ suites, following the format documents (pcap:
 * draft-ietf-opsawg-pcap sections 4-5; pcapng: draft-ietf-opsawg-pcapng
 * sections 3-4).  Fields go out in the buffer's byte order (tt_buf_t.big),
 * which may change between sections.  Packet bytes repeat tt_payload. */
#ifndef PARASIM_TESTS_TRACES_TT_PCAP_H
#define PARASIM_TESTS_TRACES_TT_PCAP_H

#include "tests/traces/tt.h"

static const uint8_t tt_payload[100] = {0x45, 0, 0, 100, 1, 2, 3, 4, 64, 17}; /* an IPv4 start */

static inline void pcap_hdr(tt_buf_t *w, bool ns, uint32_t snaplen, uint32_t linktype)
{
    tt_u32(w, ns ? 0xa1b23c4du : 0xa1b2c3d4u);
    tt_u16(w, 2);
    tt_u16(w, 4);
    tt_u32(w, 0);
    tt_u32(w, 0);
    tt_u32(w, snaplen);
    tt_u32(w, linktype);
}

static inline void pcap_rec(tt_buf_t *w, uint32_t sec, uint32_t frac, uint32_t incl, uint32_t orig)
{
    tt_u32(w, sec);
    tt_u32(w, frac);
    tt_u32(w, incl);
    tt_u32(w, orig);
    for (uint32_t i = 0; i < incl; i++)
        tt_u8(w, tt_payload[i % sizeof tt_payload]);
}

static inline void ng_shb(tt_buf_t *w)
{
    tt_bytes(w, "\x0a\x0d\x0d\x0a", 4);
    tt_u32(w, 28);
    tt_u32(w, 0x1a2b3c4du);
    tt_u16(w, 1);
    tt_u16(w, 0);
    tt_u64(w, UINT64_MAX); /* section length unknown */
    tt_u32(w, 28);
}

/* tsresol < 0: none; tsoffset != 0: the option. */
static inline void ng_idb(tt_buf_t *w, uint16_t linktype, uint32_t snaplen, int tsresol,
                   int64_t tsoffset)
{
    uint32_t len = 20 + (tsresol >= 0 ? 8 : 0) + (tsoffset ? 12 : 0) + 4;
    tt_u32(w, 1);
    tt_u32(w, len);
    tt_u16(w, linktype);
    tt_u16(w, 0);
    tt_u32(w, snaplen);
    if (tsresol >= 0) {
        tt_u16(w, 9);
        tt_u16(w, 1);
        tt_u8(w, (unsigned)tsresol);
        tt_u8(w, 0);
        tt_u8(w, 0);
        tt_u8(w, 0);
    }
    if (tsoffset) {
        tt_u16(w, 14);
        tt_u16(w, 8);
        tt_u64(w, (uint64_t)tsoffset);
    }
    tt_u16(w, 0); /* opt_endofopt */
    tt_u16(w, 0);
    tt_u32(w, len);
}

static inline void ng_epb(tt_buf_t *w, uint32_t ifid, uint64_t ts, uint32_t cap, uint32_t orig)
{
    uint32_t len = 32 + ((cap + 3) & ~3u);
    tt_u32(w, 6);
    tt_u32(w, len);
    tt_u32(w, ifid);
    tt_u32(w, (uint32_t)(ts >> 32));
    tt_u32(w, (uint32_t)ts);
    tt_u32(w, cap);
    tt_u32(w, orig);
    for (uint32_t i = 0; i < ((cap + 3) & ~3u); i++)
        tt_u8(w, i < cap ? tt_payload[i % sizeof tt_payload] : 0);
    tt_u32(w, len);
}

/* Simple Packet Block: an orig-byte packet of which cap bytes are present. */
static inline void ng_spb(tt_buf_t *w, uint32_t orig, uint32_t cap)
{
    uint32_t len = 16 + ((cap + 3) & ~3u);
    tt_u32(w, 3);
    tt_u32(w, len);
    tt_u32(w, orig);
    for (uint32_t i = 0; i < ((cap + 3) & ~3u); i++)
        tt_u8(w, i < cap ? tt_payload[i % sizeof tt_payload] : 0);
    tt_u32(w, len);
}

/* An opaque block of `body` bytes (a type the reader must skip). */
static inline void ng_block(tt_buf_t *w, uint32_t type, uint32_t body)
{
    tt_u32(w, type);
    tt_u32(w, 12 + body);
    for (uint32_t i = 0; i < body; i++)
        tt_u8(w, 0xee);
    tt_u32(w, 12 + body);
}

#endif
