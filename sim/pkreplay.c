/* sim/pkreplay: replaying a capture into the NIC (pkreplay.h). */
#include "sim/pkreplay.h"

#include "sim/alloc.h"
#include "traces/pcap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_FRAME 60u
#define WIRE_OVERHEAD 24u   /* FCS + preamble/SFD + inter-frame gap */
#define ETH_HDR 14u
#define ONE_US 1000000u

struct pkreplay {
    pkreplay_cfg_t cfg;
    char *path;
    trace_pcap_t *pc;           /* the current pass */
    uint64_t period_ps;
    uint64_t link_free;
    pkreplay_stats_t st;
};

/* A first pass: counts, the span, and every error before the run. */
static int survey(pkreplay_t *p, char *err, size_t errlen)
{
    trace_pcap_t *pc = trace_pcap_open(p->path, err, errlen);
    if (!pc)
        return -1;
    trace_pkt_t pkt;
    int rc;
    uint64_t last = 0;
    while ((rc = trace_pcap_next(pc, &pkt, err, errlen)) == 1)
        last = pkt.t_ps;
    const trace_pcap_stats_t *s = trace_pcap_stats(pc);
    p->st.records = s->records;
    p->st.packets = s->packets;
    p->st.skipped_linktype = s->skipped_linktype;
    trace_pcap_close(pc);
    if (rc < 0)
        return -1;
    if (!p->st.packets) {
        snprintf(err, errlen, "%s: no packets of a supported link type (%llu records)", p->path,
                 (unsigned long long)p->st.records);
        return -1;
    }
    p->st.span_ps = last;
    p->period_ps = p->st.packets > 1 ? last + last / (p->st.packets - 1) : ONE_US;
    if (!p->period_ps)
        p->period_ps = ONE_US;
    return 0;
}

pkreplay_t *pkreplay_open(const pkreplay_cfg_t *cfg, char *err, size_t errlen)
{
    pkreplay_t *p = sim_xcalloc(1, sizeof *p);
    p->cfg = *cfg;
    p->path = strdup(cfg->path);
    p->cfg.path = p->path;
    p->link_free = cfg->t_start_ps;
    if (!p->path || survey(p, err, errlen) < 0) {
        pkreplay_close(p);
        return NULL;
    }
    return p;
}

/* ---------------------------------------------------------------- rewriting */

static uint16_t get16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word m -> m'. */
static uint16_t csum_update(uint16_t hc, uint16_t m, uint16_t m2)
{
    uint32_t s = (uint16_t)~hc + (uint32_t)(uint16_t)~m + m2;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* The IPv4 destination to the host's, checksums kept valid. */
static void rewrite_ipv4(pkreplay_t *p, uint8_t *f, size_t len)
{
    if (len < ETH_HDR + 20 || get16(f + 12) != 0x0800 || f[ETH_HDR] >> 4 != 4)
        return;
    uint8_t *ip = f + ETH_HDR;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if (ihl < 20 || len < ETH_HDR + ihl)
        return;
    bool first_frag = (get16(ip + 6) & 0x1fff) == 0;
    uint8_t *l4 = ip + ihl;
    size_t l4len = len - ETH_HDR - ihl;
    uint8_t *l4sum = NULL;
    if (first_frag && ip[9] == 6 && l4len >= 18)
        l4sum = l4 + 16;                               /* TCP checksum */
    else if (first_frag && ip[9] == 17 && l4len >= 8 && get16(l4 + 6))
        l4sum = l4 + 6;                                /* UDP, when present */
    for (int w = 0; w < 2; w++) {
        uint16_t old = get16(ip + 16 + 2 * w), nw = get16(p->cfg.host_ip + 2 * w);
        put16(ip + 10, csum_update(get16(ip + 10), old, nw));
        if (l4sum) {
            uint16_t c = csum_update(get16(l4sum), old, nw);
            put16(l4sum, l4sum == l4 + 6 && !c ? 0xffff : c);
        }
        put16(ip + 16 + 2 * w, nw);
    }
    p->st.rewritten++;
}

/* ---------------------------------------------------------------- streaming */

static int next_packet(pkreplay_t *p, trace_pkt_t *pkt, char *err, size_t errlen)
{
    for (;;) {
        if (!p->pc) {
            if (p->st.loops_done == p->cfg.loops)
                return 0;
            p->pc = trace_pcap_open(p->path, err, errlen);
            if (!p->pc)
                return -1;
        }
        int rc = trace_pcap_next(p->pc, pkt, err, errlen);
        if (rc != 0)
            return rc;
        trace_pcap_close(p->pc);
        p->pc = NULL;
        p->st.loops_done++;
    }
}

int pkreplay_next(pkreplay_t *p, uint8_t *buf, size_t cap, size_t *len, uint64_t *t_first,
                  uint64_t *t_last, char *err, size_t errlen)
{
    trace_pkt_t pkt;
    for (;;) {
        int rc = next_packet(p, &pkt, err, errlen);
        if (rc <= 0)
            return rc;
        /* headers made up for raw IP and SLL are addressed to the host */
        int n = trace_pkt_to_ether(&pkt, p->cfg.src_mac, p->cfg.host_mac, buf, cap);
        if (n < 0) {
            p->st.unusable++;
            continue;
        }
        if ((size_t)n > p->cfg.max_frame) {
            p->st.oversize++;
            continue;
        }
        if (pkt.caplen < pkt.origlen)
            p->st.truncated++;
        if (p->cfg.rewrite_dst) {
            memcpy(buf, p->cfg.host_mac, 6);
            rewrite_ipv4(p, buf, (size_t)n);
        }
        double rec = (double)p->st.loops_done * (double)p->period_ps + (double)pkt.t_ps;
        uint64_t at = p->cfg.t_start_ps + (uint64_t)(rec / p->cfg.time_scale + 0.5);
        uint64_t first = at > p->link_free ? at : p->link_free;
        if (first > at)
            p->st.paced++;
        uint64_t wire = p->cfg.ps_per_byte * ((size_t)n < MIN_FRAME ? MIN_FRAME : (size_t)n) +
                        p->cfg.ps_per_byte * WIRE_OVERHEAD;
        p->link_free = first + wire;
        *len = (size_t)n;
        *t_first = first;
        *t_last = first + wire - p->cfg.ifg_ps;
        p->st.sent++;
        return 1;
    }
}

const pkreplay_stats_t *pkreplay_stats(const pkreplay_t *p)
{
    return &p->st;
}

void pkreplay_close(pkreplay_t *p)
{
    if (!p)
        return;
    if (p->pc)
        trace_pcap_close(p->pc);
    free(p->path);
    free(p);
}
