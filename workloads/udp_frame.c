/* workloads/udp_frame.c: building and checking UDP/IPv4 frames
 * (udp_frame.h). */
#include "workloads/udp_frame.h"

#include <string.h>

#define ETH_HDR 14u
#define IP_HDR 20u
#define UDP_HDR 8u
#define ETHERTYPE_IPV4 0x0800u
#define IPPROTO_UDP_ 17u
#define IP_DF 0x4000u
#define IP_MF 0x2000u
#define IP_OFFSET_MASK 0x1fffu
#define IP_TTL 64u

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One's complement sum of 16-bit big-endian words (RFC 1071), added to
 * sum unfolded.  Taken 32 bits at a time (a 32-bit big-endian word is
 * hi * 65536 + lo, the same as hi + lo modulo 65535: RFC 1071 2.(C)),
 * then folded to 16 bits: the same residue modulo 65535, zero only when
 * every byte is, which is all csum_fold's result depends on. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = 0;
    for (; len >= 8; p += 8, len -= 8)
        acc += (uint64_t)get32(p) + get32(p + 4);
    if (len >= 4) {
        acc += get32(p);
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        acc += get16(p);
        p += 2;
        len -= 2;
    }
    if (len)
        acc += (uint32_t)p[0] << 8;
    /* acc < 2^61 for any frame: three folds leave at most 16 bits */
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    return sum + (uint32_t)acc;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

/* UDP checksum over the pseudo-header and [udp, + udp_len) (RFC 768);
 * with the checksum field included this is 0 for a correct datagram. */
static uint16_t udp_csum(const uint8_t *ip, const uint8_t *udp, uint16_t udp_len)
{
    uint32_t sum = csum_add(0, ip + 12, 8); /* source and destination address */
    sum += IPPROTO_UDP_ + udp_len;
    return csum_fold(csum_add(sum, udp, udp_len));
}

static uint32_t addr_sum(const uint8_t a[4])
{
    uint32_t v = get32(a);
    return (v >> 16) + (v & 0xffffu);
}

void wl_udp_build(uint8_t *f, size_t len, const wl_udp_addr_t *a, uint16_t ip_id,
                  const uint8_t *payload, size_t plen)
{
    memcpy(f, a->dst_mac, 6);
    memcpy(f + 6, a->src_mac, 6);
    put16(f + 12, ETHERTYPE_IPV4);
    uint8_t *ip = f + ETH_HDR;
    ip[0] = 0x45; /* version 4, IHL 5 words */
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(len - ETH_HDR));
    put16(ip + 4, ip_id);
    put16(ip + 6, IP_DF);
    ip[8] = IP_TTL;
    ip[9] = IPPROTO_UDP_;
    memcpy(ip + 12, a->src_ip, 4);
    memcpy(ip + 16, a->dst_ip, 4);
    uint8_t *udp = ip + IP_HDR;
    uint16_t udp_len = (uint16_t)(len - ETH_HDR - IP_HDR);
    put16(udp, a->src_port);
    put16(udp + 2, a->dst_port);
    put16(udp + 4, udp_len);
    memcpy(udp + UDP_HDR, payload, plen);
    memset(udp + UDP_HDR + plen, 0, udp_len - UDP_HDR - plen);
    /* The checksums from the field values (the padding is zeros, which
     * adds nothing): the same one's complement sums as over the bytes
     * (RFC 1071), without reading back the header just stored. */
    uint32_t addrs = addr_sum(a->src_ip) + addr_sum(a->dst_ip);
    uint32_t ip_sum = 0x4500u + (uint32_t)(len - ETH_HDR) + ip_id + IP_DF +
                      ((uint32_t)IP_TTL << 8 | IPPROTO_UDP_) + addrs;
    put16(ip + 10, csum_fold(ip_sum));
    uint32_t usum = addrs + IPPROTO_UDP_ + 2u * udp_len + a->src_port + a->dst_port;
    uint16_t sum = csum_fold(csum_add(usum, payload, plen));
    put16(udp + 6, sum ? sum : 0xffffu);
}

wl_udp_verdict_t wl_udp_parse(const uint8_t *f, size_t len, wl_udp_view_t *v)
{
    if (len < ETH_HDR)
        return WL_UDP_MALFORMED;
    if (get16(f + 12) != ETHERTYPE_IPV4)
        return WL_UDP_UNKNOWN;
    const uint8_t *ip = f + ETH_HDR;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if (len < ETH_HDR + IP_HDR || ip[0] >> 4 != 4 || ihl < IP_HDR || len < ETH_HDR + ihl)
        return WL_UDP_MALFORMED;
    if (csum_fold(csum_add(0, ip, ihl)) != 0)
        return WL_UDP_MALFORMED;
    uint16_t total = get16(ip + 2);
    if (total < ihl + UDP_HDR || ETH_HDR + (size_t)total > len)
        return WL_UDP_MALFORMED;
    if (get16(ip + 6) & (IP_MF | IP_OFFSET_MASK))
        return WL_UDP_MALFORMED;
    if (ip[9] != IPPROTO_UDP_)
        return WL_UDP_UNKNOWN;
    const uint8_t *u = ip + ihl;
    uint16_t ul = get16(u + 4);
    if (ul < UDP_HDR || ul > total - ihl)
        return WL_UDP_MALFORMED;
    if (get16(u + 6) != 0 && udp_csum(ip, u, ul) != 0)
        return WL_UDP_MALFORMED;
    memcpy(v->a.dst_mac, f, 6);
    memcpy(v->a.src_mac, f + 6, 6);
    memcpy(v->a.src_ip, ip + 12, 4);
    memcpy(v->a.dst_ip, ip + 16, 4);
    v->a.src_port = get16(u);
    v->a.dst_port = get16(u + 2);
    v->payload = u + UDP_HDR;
    v->plen = ul - UDP_HDR;
    return WL_UDP_OK;
}
