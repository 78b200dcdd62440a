/* devices/nic/parse.c: the receive parser (82599 7.1.2: packet parsing for
 * filtering and RSS).
 *
 * Reads real header bytes: Ethernet II (IEEE 802.3), at most one VLAN tag
 * (802.1Q 0x8100 or 802.1ad 0x88A8), then IPv4 (RFC 791: version 4,
 * IHL >= 5, header inside the frame) or IPv6 (RFC 8200), then the L4 ports
 * of UDP (17), TCP (6) and SCTP (132).  IPv6 extension headers hop-by-hop
 * (0), routing (43) and destination options (60) are skipped (at most
 * EXT_MAX of them); a fragment header (44) or an IPv4 fragment (MF set or
 * offset != 0) stops at L3, as the 82599 does not hash or filter fragments
 * on ports.  Anything that does not parse (another ethertype, a truncated or
 * malformed header) leaves the frame with what was parsed so far: L2 only,
 * or L3 without ports.  Simplification: the IPv6 "Ex" variants (home
 * address option, type 2 routing header) are not looked into: addresses
 * always come from the fixed IPv6 header. */
#include "devices/nic/nic_int.h"

#include <string.h>

#define ETH_HDR 14u
#define ETH_ADDRS 12u
#define VLAN_TAG 4u
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86DDu
#define ETHERTYPE_VLAN 0x8100u
#define ETHERTYPE_QINQ 0x88A8u
#define IPV4_MIN_HDR 20u
#define IPV6_HDR 40u
#define IPPROTO_TCP_ 6u
#define IPPROTO_UDP_ 17u
#define IPPROTO_SCTP_ 132u
#define IPV6_HOPOPTS 0u
#define IPV6_ROUTING 43u
#define IPV6_FRAGMENT 44u
#define IPV6_DSTOPTS 60u
#define EXT_MAX 4u
#define L4_PORTS 4u
#define IPV4_FRAG_MASK 0x3FFFu /* MF flag and fragment offset */

static uint16_t be16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }

static l4_kind_t l4_of(unsigned proto)
{
    switch (proto) {
    case IPPROTO_TCP_:
        return L4_TCP;
    case IPPROTO_UDP_:
        return L4_UDP;
    case IPPROTO_SCTP_:
        return L4_SCTP;
    default:
        return L4_NONE;
    }
}

static void parse_l4(const uint8_t *f, size_t len, size_t off, unsigned proto, nic_pkt_t *p)
{
    l4_kind_t k = l4_of(proto);
    if (k == L4_NONE || off + L4_PORTS > len)
        return;
    p->l4 = k;
    p->sport = be16(f + off);
    p->dport = be16(f + off + 2);
}

static void parse_ipv4(const uint8_t *f, size_t len, size_t off, nic_pkt_t *p)
{
    if (off + IPV4_MIN_HDR > len || f[off] >> 4 != 4)
        return;
    size_t ihl = (size_t)(f[off] & 0xF) * 4;
    if (ihl < IPV4_MIN_HDR || off + ihl > len)
        return;
    p->l3 = L3_IPV4;
    memcpy(p->src, f + off + 12, 4);
    memcpy(p->dst, f + off + 16, 4);
    if (be16(f + off + 6) & IPV4_FRAG_MASK)
        return;
    parse_l4(f, len, off + ihl, f[off + 9], p);
}

static void parse_ipv6(const uint8_t *f, size_t len, size_t off, nic_pkt_t *p)
{
    if (off + IPV6_HDR > len || f[off] >> 4 != 6)
        return;
    p->l3 = L3_IPV6;
    memcpy(p->src, f + off + 8, 16);
    memcpy(p->dst, f + off + 24, 16);
    unsigned next = f[off + 6];
    off += IPV6_HDR;
    for (unsigned i = 0; i < EXT_MAX; i++) {
        if (next != IPV6_HOPOPTS && next != IPV6_ROUTING && next != IPV6_DSTOPTS)
            break;
        if (off + 2 > len)
            return;
        unsigned hdr_next = f[off];
        off += ((size_t)f[off + 1] + 1) * 8;
        next = hdr_next;
    }
    if (next == IPV6_FRAGMENT)
        return;
    parse_l4(f, len, off, next, p);
}

bool nic_parse(const uint8_t *f, size_t len, nic_pkt_t *p)
{
    memset(p, 0, sizeof *p);
    if (len < ETH_HDR)
        return false;
    size_t off = ETH_ADDRS;
    unsigned type = be16(f + off);
    if ((type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && len >= ETH_HDR + VLAN_TAG) {
        p->vlan = true;
        off += VLAN_TAG;
        type = be16(f + off);
    }
    off += 2;
    if (type == ETHERTYPE_IPV4)
        parse_ipv4(f, len, off, p);
    else if (type == ETHERTYPE_IPV6)
        parse_ipv6(f, len, off, p);
    return true;
}
