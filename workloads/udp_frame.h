/* workloads/udp_frame: Ethernet II / IPv4 / UDP frames as the far-end
 * clients build and check them.
 *
 * Specs: Ethernet II (IEEE 802.3 3.2.6 type field), IPv4 (RFC 791: the
 * header checksum is the 16-bit one's complement of the one's complement
 * sum of the header's 16-bit words, RFC 1071), UDP (RFC 768: checksum over
 * a pseudo-header of source and destination address, protocol and UDP
 * length, then the UDP header and data; a computed 0 is sent as 0xFFFF,
 * and 0 means "no checksum").
 *
 * Built frames: no IPv4 options, DF set, TTL 64, the given
 * identification, a valid header checksum and a valid UDP checksum; the
 * payload is followed by zero padding up to len (the padding is inside
 * the UDP datagram, so the datagram is len - 34 bytes). */
#ifndef PARASIM_WORKLOADS_UDP_FRAME_H
#define PARASIM_WORKLOADS_UDP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define WL_UDP_HDRS 42u /* Ethernet 14 + IPv4 20 + UDP 8 */

typedef struct wl_udp_addr {
    uint8_t dst_mac[6], src_mac[6];
    uint8_t src_ip[4], dst_ip[4];   /* network order */
    uint16_t src_port, dst_port;    /* host order */
} wl_udp_addr_t;

/* Writes the frame into f[0, len): headers, payload (plen bytes, plen <=
 * len - WL_UDP_HDRS), zero padding, checksums. */
void wl_udp_build(uint8_t *f, size_t len, const wl_udp_addr_t *a, uint16_t ip_id,
                  const uint8_t *payload, size_t plen);

typedef enum wl_udp_verdict { WL_UDP_OK = 0, WL_UDP_UNKNOWN, WL_UDP_MALFORMED } wl_udp_verdict_t;

typedef struct wl_udp_view {
    wl_udp_addr_t a;                /* the frame's addresses */
    const uint8_t *payload;         /* the UDP data */
    size_t plen;
} wl_udp_view_t;

/* WL_UDP_UNKNOWN: not IPv4, or not UDP; WL_UDP_MALFORMED: IPv4/UDP but
 * broken (truncated, a bad IPv4 checksum or lengths, a fragment, a
 * non-zero UDP checksum that does not verify).  *v is filled on OK. */
wl_udp_verdict_t wl_udp_parse(const uint8_t *f, size_t len, wl_udp_view_t *v);

/* Big-endian fields. */
static inline void wl_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t wl_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
