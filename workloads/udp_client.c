/* workloads/udp_client: the UDP client at the far end of the wire (see .h
 * for the load, the frame format, the flows and how responses are
 * classified).
 *
 * Specs: Ethernet II (IEEE 802.3 3.2.6 type field), IPv4 (RFC 791: the
 * header checksum is the 16-bit one's complement of the one's complement
 * sum of the header's 16-bit words, RFC 1071), UDP (RFC 768: checksum over
 * a pseudo-header of source and destination address, protocol and UDP
 * length, then the UDP header and data; a computed 0 is sent as 0xFFFF,
 * and 0 means "no checksum").
 *
 * Invariants: t_first[k] is set for every k < st.sent, and
 * t_first[k] >= t_first[k-1] + wire_ps (frames never overlap on the link);
 * a request's answered bit is set at most once. */
#include "workloads/udp_client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
#define PORT_LO 1024u
#define PORT_SPAN (65536u - PORT_LO)
#define PERIOD_MAX_PS 1e15 /* rate >= 1e-3 requests/s: gaps fit any run */
#define RATE_MAX 1e13      /* 0.1 ps between requests */
#define TIME_MAX (UINT64_C(1) << 62)

/* ---------------------------------------------------------------- bytes */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Big-endian 64-bit fields, spelled out (compilers merge them into one
 * load or store and a byte swap). */
static void put64(uint8_t *p, uint64_t v)
{
    p[0] = (uint8_t)(v >> 56);
    p[1] = (uint8_t)(v >> 48);
    p[2] = (uint8_t)(v >> 40);
    p[3] = (uint8_t)(v >> 32);
    p[4] = (uint8_t)(v >> 24);
    p[5] = (uint8_t)(v >> 16);
    p[6] = (uint8_t)(v >> 8);
    p[7] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
           (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
           (uint64_t)p[6] << 8 | p[7];
}

static uint32_t ip_u32(const uint8_t ip[4])
{
    return (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
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

/* ---------------------------------------------------------------- flows */

/* SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijective mix. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

unsigned wl_client_flow_of(const wl_client_t *c, uint64_t k)
{
    uint64_t h = mix64(c->flow_key + k * UINT64_C(0x9e3779b97f4a7c15)), f = c->cfg.flows;
    return (unsigned)(f & (f - 1) ? h % f : h & (f - 1)); /* a power of 2: no divide */
}

const wl_client_flow_t *wl_client_flow(const wl_client_t *c, unsigned f)
{
    return f < c->cfg.flows ? &c->flow[f] : NULL;
}

static void make_flows(wl_client_t *c)
{
    rng_t r;
    rng_init(&r, c->cfg.seed, rng_stream_id("client.flows"));
    c->flow_key = rng_next(&r);
    uint32_t base = ip_u32(c->cfg.client_ip);
    for (unsigned f = 0; f < c->cfg.flows; f++) {
        uint32_t ip = base + f;
        for (int i = 0; i < 4; i++)
            c->flow[f].src_ip[i] = (uint8_t)(ip >> (24 - 8 * i));
        c->flow[f].src_port = (uint16_t)(PORT_LO + rng_below(&r, PORT_SPAN));
    }
}

/* ---------------------------------------------------------------- init */

static int check_cfg(const wl_client_cfg_t *g, char *err, size_t errlen)
{
    const char *what = NULL;
    if (g->load != WL_LOAD_POISSON && g->load != WL_LOAD_CONSTANT)
        what = "load: expected poisson or constant";
    else if (!(g->rate > 0) || g->rate > RATE_MAX || 1e12 / g->rate > PERIOD_MAX_PS)
        what = "rate: expected 1e-3 .. 1e13 requests/s";
    else if (g->requests < 1 || g->requests > SIZE_MAX / sizeof(uint64_t))
        what = "requests: expected at least 1 (and a size that fits memory)";
    else if (g->warmup >= g->requests)
        what = "warmup: expected fewer than requests";
    else if (g->flows < 1 || g->flows > WL_CLIENT_MAX_FLOWS)
        what = "flows: expected 1 .. 65536";
    else if ((uint64_t)ip_u32(g->client_ip) + g->flows - 1 > UINT32_MAX)
        what = "client_ip: client_ip + flows - 1 leaves the IPv4 address space";
    else if (g->frame_len < WL_CLIENT_FRAME_MIN || g->frame_len > WL_CLIENT_FRAME_MAX)
        what = "frame_len: expected 60 .. 16380 bytes (without FCS)";
    else if (g->wire_ps == 0 || g->ifg_ps >= g->wire_ps)
        what = "wire_ps: expected > 0 and > ifg_ps";
    if (!what)
        return 0;
    snprintf(err, errlen, "udp client: %s", what);
    return -1;
}

int wl_client_init(wl_client_t *c, const wl_client_cfg_t *cfg, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (check_cfg(cfg, err, errlen) < 0)
        return -1;
    c->cfg = *cfg;
    c->flow = calloc(cfg->flows, sizeof *c->flow);
    c->t_first = calloc((size_t)cfg->requests, sizeof *c->t_first);
    c->answered = calloc((size_t)(cfg->requests / 8 + 1), 1);
    if (!c->flow || !c->t_first || !c->answered) {
        wl_client_free(c);
        snprintf(err, errlen, "udp client: out of memory for %llu requests",
                 (unsigned long long)cfg->requests);
        return -1;
    }
    make_flows(c);
    rng_init(&c->arrivals, cfg->seed, rng_stream_id("client.arrivals"));
    hist_init(&c->latency);
    c->period_ps = 1e12 / cfg->rate;
    c->link_free = cfg->t_start_ps;
    /* a Poisson stream's first request also comes after a random gap */
    c->next_arrival = cfg->t_start_ps;
    if (cfg->load == WL_LOAD_POISSON)
        c->next_arrival += (uint64_t)(-log(rng_unit_pos(&c->arrivals)) * c->period_ps + 0.5);
    return 0;
}

void wl_client_free(wl_client_t *c)
{
    free(c->flow);
    free(c->t_first);
    free(c->answered);
    c->flow = NULL;
    c->t_first = NULL;
    c->answered = NULL;
}

/* ---------------------------------------------------------------- send */

static void build_frame(const wl_client_t *c, uint64_t k, uint64_t t_first, uint8_t *f)
{
    const wl_client_cfg_t *g = &c->cfg;
    const wl_client_flow_t *fl = &c->flow[wl_client_flow_of(c, k)];
    uint32_t len = g->frame_len;
    memset(f, 0, len);
    memcpy(f, g->host_mac, 6);
    memcpy(f + 6, g->client_mac, 6);
    put16(f + 12, ETHERTYPE_IPV4);
    uint8_t *ip = f + ETH_HDR;
    ip[0] = 0x45; /* version 4, IHL 5 words */
    put16(ip + 2, (uint16_t)(len - ETH_HDR));
    put16(ip + 4, (uint16_t)k);
    put16(ip + 6, IP_DF);
    ip[8] = IP_TTL;
    ip[9] = IPPROTO_UDP_;
    memcpy(ip + 12, fl->src_ip, 4);
    memcpy(ip + 16, g->host_ip, 4);
    uint8_t *udp = ip + IP_HDR;
    uint16_t udp_len = (uint16_t)(len - ETH_HDR - IP_HDR);
    put16(udp, fl->src_port);
    put16(udp + 2, g->host_port);
    put16(udp + 4, udp_len);
    put64(udp + UDP_HDR, k);
    put64(udp + UDP_HDR + 8, t_first);
    /* The checksums from the field values just written (the rest of the
     * frame is zeros, which add nothing): the same one's complement sums
     * as over the bytes (RFC 1071), without reading back what was just
     * stored byte by byte (each such load would wait for the stores). */
    uint32_t addrs = get32(fl->src_ip), host = get32(g->host_ip);
    uint32_t addr_sum = (addrs >> 16) + (addrs & 0xffffu) + (host >> 16) + (host & 0xffffu);
    uint32_t ip_sum = 0x4500u + (len - ETH_HDR) + (uint16_t)k + IP_DF +
                      ((uint32_t)IP_TTL << 8 | IPPROTO_UDP_) + addr_sum;
    put16(ip + 10, csum_fold(ip_sum));
    uint32_t udp_sum = addr_sum + IPPROTO_UDP_ + 2u * udp_len + fl->src_port + g->host_port +
                       (uint32_t)(k >> 48) + (uint32_t)(k >> 32 & 0xffffu) +
                       (uint32_t)(k >> 16 & 0xffffu) + (uint32_t)(k & 0xffffu) +
                       (uint32_t)(t_first >> 48) + (uint32_t)(t_first >> 32 & 0xffffu) +
                       (uint32_t)(t_first >> 16 & 0xffffu) + (uint32_t)(t_first & 0xffffu);
    uint16_t sum = csum_fold(udp_sum);
    put16(udp + 6, sum ? sum : 0xffffu);
}

static uint64_t add_sat(uint64_t t, double gap)
{
    if (!(gap < (double)TIME_MAX))
        return TIME_MAX;
    uint64_t g = (uint64_t)(gap + 0.5);
    return t > TIME_MAX - g ? TIME_MAX : t + g;
}

static void advance_arrival(wl_client_t *c, uint64_t k_next)
{
    if (c->cfg.load == WL_LOAD_CONSTANT)
        c->next_arrival = add_sat(c->cfg.t_start_ps, (double)k_next * c->period_ps);
    else
        c->next_arrival = add_sat(c->next_arrival, -log(rng_unit_pos(&c->arrivals)) * c->period_ps);
}

int wl_client_next(wl_client_t *c, uint64_t *t_first_bit_ps, uint64_t *t_last_bit_ps,
                   uint8_t *frame, size_t *len)
{
    if (c->st.sent >= c->cfg.requests)
        return -1;
    if (*len < c->cfg.frame_len)
        return -2;
    uint64_t k = c->st.sent++;
    uint64_t first = c->next_arrival > c->link_free ? c->next_arrival : c->link_free;
    if (first > c->next_arrival)
        c->st.paced++;
    c->link_free = first + c->cfg.wire_ps;
    c->t_first[k] = first;
    if (k == 0)
        c->st.t_first_sent_ps = first;
    c->st.t_last_sent_ps = first;
    build_frame(c, k, first, frame);
    *len = c->cfg.frame_len;
    if (t_first_bit_ps)
        *t_first_bit_ps = first;
    if (t_last_bit_ps)
        *t_last_bit_ps = first + c->cfg.wire_ps - c->cfg.ifg_ps;
    advance_arrival(c, k + 1);
    return 0;
}

/* ---------------------------------------------------------------- receive */

enum verdict { V_OK, V_UNKNOWN, V_MALFORMED };

/* The IPv4 and UDP layers; *udp and *udp_len on V_OK. */
static enum verdict parse_ip_udp(const uint8_t *f, size_t len, const uint8_t **udp,
                                 uint16_t *udp_len)
{
    if (len < ETH_HDR)
        return V_MALFORMED;
    if (get16(f + 12) != ETHERTYPE_IPV4)
        return V_UNKNOWN;
    const uint8_t *ip = f + ETH_HDR;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if (len < ETH_HDR + IP_HDR || ip[0] >> 4 != 4 || ihl < IP_HDR || len < ETH_HDR + ihl)
        return V_MALFORMED;
    if (csum_fold(csum_add(0, ip, ihl)) != 0)
        return V_MALFORMED;
    uint16_t total = get16(ip + 2);
    if (total < ihl + UDP_HDR || ETH_HDR + (size_t)total > len)
        return V_MALFORMED;
    if (get16(ip + 6) & (IP_MF | IP_OFFSET_MASK))
        return V_MALFORMED;
    if (ip[9] != IPPROTO_UDP_)
        return V_UNKNOWN;
    const uint8_t *u = ip + ihl;
    uint16_t ul = get16(u + 4);
    if (ul < UDP_HDR || ul > total - ihl)
        return V_MALFORMED;
    if (get16(u + 6) != 0 && udp_csum(ip, u, ul) != 0)
        return V_MALFORMED;
    *udp = u;
    *udp_len = ul;
    return V_OK;
}

/* Addresses: from the host to one of our flows.  *flow on V_OK. */
static enum verdict check_addrs(const wl_client_t *c, const uint8_t *f, const uint8_t *udp,
                                unsigned *flow)
{
    const wl_client_cfg_t *g = &c->cfg;
    const uint8_t *ip = f + ETH_HDR;
    if (memcmp(f, g->client_mac, 6) || memcmp(f + 6, g->host_mac, 6) ||
        memcmp(ip + 12, g->host_ip, 4) || get16(udp) != g->host_port)
        return V_UNKNOWN;
    uint32_t dst = ip_u32(ip + 16), base = ip_u32(g->client_ip);
    if (dst - base >= g->flows)
        return V_UNKNOWN;
    *flow = dst - base;
    return c->flow[*flow].src_port == get16(udp + 2) ? V_OK : V_UNKNOWN;
}

static enum verdict classify(wl_client_t *c, const uint8_t *f, size_t len, uint64_t t_last,
                             uint64_t *id)
{
    const uint8_t *udp = NULL;
    uint16_t udp_len = 0;
    unsigned flow = 0;
    enum verdict v = parse_ip_udp(f, len, &udp, &udp_len);
    if (v == V_OK)
        v = check_addrs(c, f, udp, &flow);
    if (v != V_OK)
        return v;
    if (udp_len < UDP_HDR + WL_CLIENT_PAYLOAD_MIN)
        return V_MALFORMED;
    *id = get64(udp + UDP_HDR);
    if (*id >= c->st.sent || wl_client_flow_of(c, *id) != flow)
        return V_UNKNOWN;
    if (get64(udp + UDP_HDR + 8) != c->t_first[*id] || t_last < c->t_first[*id])
        return V_MALFORMED;
    return V_OK;
}

void wl_client_receive(wl_client_t *c, const uint8_t *frame, size_t len, uint64_t t_last_bit_ps)
{
    uint64_t id = 0;
    c->st.received++;
    switch (classify(c, frame, len, t_last_bit_ps, &id)) {
    case V_UNKNOWN:
        c->st.unknown++;
        return;
    case V_MALFORMED:
        c->st.malformed++;
        return;
    case V_OK:
        break;
    }
    uint8_t bit = (uint8_t)(1u << (id & 7));
    if (c->answered[id >> 3] & bit) {
        c->st.duplicates++;
        return;
    }
    c->answered[id >> 3] |= bit;
    c->st.answered++;
    if (t_last_bit_ps > c->st.t_last_rx_ps)
        c->st.t_last_rx_ps = t_last_bit_ps;
    if (id >= c->cfg.warmup) {
        hist_record(&c->latency, t_last_bit_ps - c->t_first[id]);
        c->st.measured++;
    }
}

const wl_client_stats_t *wl_client_stats(wl_client_t *c)
{
    c->st.unanswered = c->st.sent - c->st.answered;
    return &c->st;
}

const hist_t *wl_client_latency(const wl_client_t *c)
{
    return &c->latency;
}
