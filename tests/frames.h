/* tests/frames.h: test frames built byte by byte from the protocol
 * layouts (IEEE 802.3 Ethernet II, RFC 791 IPv4, RFC 768 UDP), so NIC and
 * driver tests feed the models frames they did not build themselves.
 * Multi-byte fields are in network order. */
#ifndef PARASIM_TESTS_FRAMES_H
#define PARASIM_TESTS_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Big-endian fields and the RFC 1071 one's complement sum (folded to 16
 * bits; 0xFFFF over a header whose checksum verifies). */
static inline unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static inline uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static inline unsigned ones_sum(unsigned long acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += be16(p + i);
    if (n & 1)
        acc += (unsigned)p[n - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (unsigned)acc;
}

/* RFC 768: the UDP sum of an Ethernet + IPv4 (no options) + UDP frame,
 * pseudo-header included: 0xFFFF when its checksum verifies. */
static inline unsigned udp_sum(const uint8_t *f)
{
    unsigned udp_len = be16(f + 38);
    unsigned long pseudo = ones_sum(0, f + 26, 8) + 17u + udp_len;
    return ones_sum(pseudo, f + 34, udp_len);
}

static inline void frame_put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The 42 header bytes of an Ethernet + IPv4 + UDP frame of `total` bytes
 * without FCS (>= 42): 02:00:00:00:00:02 -> 02:00:00:00:00:01, IPv4
 * without options, TTL 64, checksums 0; the rest of the frame zeroed for
 * the caller's payload. */
static inline void frame_udp4_headers(uint8_t *f, size_t total, const uint8_t src[4],
                                      const uint8_t dst[4], unsigned sport, unsigned dport)
{
    static const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 1}, smac[6] = {0x02, 0, 0, 0, 0, 2};
    memset(f, 0, total);
    memcpy(f, dmac, 6);
    memcpy(f + 6, smac, 6);
    frame_put16(f + 12, 0x0800);
    f[14] = 0x45;
    frame_put16(f + 16, (unsigned)(total - 14));
    f[22] = 64;
    f[23] = 17;
    memcpy(f + 26, src, 4);
    memcpy(f + 30, dst, 4);
    frame_put16(f + 34, sport);
    frame_put16(f + 36, dport);
    frame_put16(f + 38, (unsigned)(total - 34));
}

#endif
