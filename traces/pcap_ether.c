/* traces/pcap_ether: a captured packet as the Ethernet II frame a NIC
 * receives (destination MAC, source MAC, EtherType, payload; no FCS).
 *
 * Header layouts:
 *   LINKTYPE_LINUX_SLL (113, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html):
 *     packet type (2), ARPHRD type (2), address length (2), address (8),
 *     protocol type (2), then the payload: 16 bytes.
 *   LINKTYPE_LINUX_SLL2 (276, .../LINKTYPE_LINUX_SLL2.html): protocol type
 *     (2), reserved (2), interface index (4), ARPHRD type (2), packet type
 *     (1), address length (1), address (8): 20 bytes.
 * A protocol type below 0x0600 is not an EtherType (802.3 length, or
 * Linux's special values such as 0x0004 for 802.2 LLC): no Ethernet II
 * frame can carry it, so the packet is refused. */
#include "traces/pcap.h"

#include <string.h>

#define ETH_HDR 14u
#define SLL_HDR 16u
#define SLL2_HDR 20u
#define ETHERTYPE_MIN 0x0600u

static int wrap(uint16_t type, const uint8_t *payload, size_t n, const uint8_t src[6],
                const uint8_t dst[6], uint8_t *out, size_t cap)
{
    if (n == 0 || type < ETHERTYPE_MIN || ETH_HDR + n > cap)
        return -1;
    memcpy(out, dst, 6);
    memcpy(out + 6, src, 6);
    out[12] = (uint8_t)(type >> 8);
    out[13] = (uint8_t)type;
    memcpy(out + ETH_HDR, payload, n);
    return (int)(ETH_HDR + n);
}

int trace_pkt_to_ether(const trace_pkt_t *pkt, const uint8_t src_mac[6],
                       const uint8_t dst_mac[6], uint8_t *out, size_t cap)
{
    const uint8_t *d = pkt->data;
    size_t n = pkt->caplen;
    if (pkt->fcs_len <= n)
        n -= pkt->fcs_len;
    if (n > (size_t)TRACE_PCAP_MAX_CAPLEN + SLL2_HDR)
        return -1;
    switch (pkt->linktype) {
    case TRACE_LINKTYPE_ETHERNET:
        if (n < ETH_HDR || n > cap)
            return -1;
        memcpy(out, d, n);
        return (int)n;
    case TRACE_LINKTYPE_RAW:
        if (n == 0)
            return -1;
        if (d[0] >> 4 == 4)
            return wrap(0x0800, d, n, src_mac, dst_mac, out, cap);
        if (d[0] >> 4 == 6)
            return wrap(0x86DD, d, n, src_mac, dst_mac, out, cap);
        return -1;
    case TRACE_LINKTYPE_IPV4:
        return wrap(0x0800, d, n, src_mac, dst_mac, out, cap);
    case TRACE_LINKTYPE_IPV6:
        return wrap(0x86DD, d, n, src_mac, dst_mac, out, cap);
    case TRACE_LINKTYPE_LINUX_SLL:
        if (n < SLL_HDR)
            return -1;
        return wrap((uint16_t)(d[14] << 8 | d[15]), d + SLL_HDR, n - SLL_HDR, src_mac, dst_mac,
                    out, cap);
    case TRACE_LINKTYPE_LINUX_SLL2:
        if (n < SLL2_HDR)
            return -1;
        return wrap((uint16_t)(d[0] << 8 | d[1]), d + SLL2_HDR, n - SLL2_HDR, src_mac, dst_mac,
                    out, cap);
    default:
        return -1;
    }
}
