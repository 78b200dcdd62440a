/* workloads/udp_client: the UDP client at the far end of the wire (see .h
 * for the load, the frame format, the flows and how responses are
 * classified).  Frames are built and checked by workloads/udp_frame.c.
 *
 * Invariants: t_first[k] is set for every k < st.sent, and
 * t_first[k] >= t_first[k-1] + wire_{k-1} (frames never overlap on the
 * link); a request is answered, or late, at most once; in the closed
 * loop every flow has at most `outstanding` requests in flight or ready
 * (the FIFO never overflows), and FIFO entries are in time order because
 * the platform delivers receives and expiries in time order. */
#include "workloads/udp_client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/udp_frame.h"

#define PORT_LO 1024u
#define PORT_SPAN (65536u - PORT_LO)
#define MIN_FRAME 60u
#define WIRE_OVERHEAD 24u  /* FCS 4 + preamble and SFD 8 + inter-frame gap 12 */
#define BODY_MAX (WL_CLIENT_FRAME_MAX - WL_CLIENT_HDR_BYTES - WL_PROTO_HDR)

enum { ST_ANSWERED = 1, ST_GAVE_UP = 2, ST_LATE = 4 };

static const char *const echo_outcomes[] = {"ok", NULL};

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
    if (c->flow_of)
        return k < c->st.sent ? c->flow_of[k] : 0;
    uint64_t h = mix64(c->flow_key + k * UINT64_C(0x9e3779b97f4a7c15)), f = c->cfg.flows;
    return (unsigned)(f & (f - 1) ? h % f : h & (f - 1)); /* a power of 2: no divide */
}

const wl_client_flow_t *wl_client_flow(const wl_client_t *c, unsigned f)
{
    return f < c->cfg.flows ? &c->flow[f] : NULL;
}

static uint32_t ip_u32(const uint8_t ip[4])
{
    return (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
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
    if (g->requests < 1 || g->requests > SIZE_MAX / sizeof(uint64_t))
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
    else if (g->ps_per_byte && g->ps_per_byte * (MIN_FRAME + WIRE_OVERHEAD) <= g->ifg_ps)
        what = "ps_per_byte: a minimum frame's slot must exceed ifg_ps";
    else if (g->load == WL_LOAD_CLOSED &&
             (g->outstanding < 1 || (uint64_t)g->outstanding * g->flows > (UINT64_C(1) << 26)))
        what = "outstanding: expected 1 .. 2^26 / flows requests in flight per flow";
    if (!what)
        return 0;
    snprintf(err, errlen, "udp client: %s", what);
    return -1;
}

static int init_load(wl_client_t *c, char *err, size_t errlen)
{
    const wl_client_cfg_t *g = &c->cfg;
    if (g->load == WL_LOAD_CLOSED) {
        c->ready_cap = (size_t)g->outstanding * g->flows;
        c->ready = calloc(c->ready_cap, sizeof *c->ready);
        c->flow_of = calloc((size_t)g->requests, sizeof *c->flow_of);
        if (!c->ready || !c->flow_of)
            return -1;
        /* every connection starts with all its requests ready, flow by
         * flow in turn */
        for (size_t i = 0; i < c->ready_cap; i++)
            c->ready[i] = (wl_client_slot_t){g->t_start_ps, (uint32_t)(i % g->flows)};
        c->ready_n = c->ready_cap;
        return 0;
    }
    wl_load_cfg_t lc = {.kind = g->load, .seed = g->seed, .t_start_ps = g->t_start_ps,
                        .rate = g->rate, .steps = g->steps, .nsteps = g->nsteps,
                        .times = g->times, .ntimes = g->ntimes};
    char e[160];
    if (wl_load_init(&c->arrivals, &lc, e, sizeof e) < 0) {
        snprintf(err, errlen, "udp client: %s", e);
        return -2;
    }
    c->next_arrival = wl_load_next(&c->arrivals);
    return 0;
}

int wl_client_init(wl_client_t *c, const wl_client_cfg_t *cfg, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (check_cfg(cfg, err, errlen) < 0)
        return -1;
    c->cfg = *cfg;
    c->flow = calloc(cfg->flows, sizeof *c->flow);
    c->t_first = calloc((size_t)cfg->requests, sizeof *c->t_first);
    c->state = calloc((size_t)cfg->requests, 1);
    int rc = c->flow && c->t_first && c->state ? init_load(c, err, errlen) : -1;
    if (rc < 0) {
        wl_client_free(c);
        if (rc == -1)
            snprintf(err, errlen, "udp client: out of memory for %llu requests",
                     (unsigned long long)cfg->requests);
        return -1;
    }
    c->noutcomes = 0;
    for (const char *const *o = wl_client_outcomes(c, NULL); *o; o++)
        c->noutcomes++;
    make_flows(c);
    hist_init(&c->latency);
    c->link_free = cfg->t_start_ps;
    return 0;
}

void wl_client_free(wl_client_t *c)
{
    free(c->flow);
    free(c->t_first);
    free(c->state);
    free(c->flow_of);
    free(c->ready);
    c->flow = NULL;
    c->t_first = NULL;
    c->state = NULL;
    c->flow_of = NULL;
    c->ready = NULL;
}

const char *const *wl_client_outcomes(const wl_client_t *c, unsigned *n)
{
    const char *const *o = c->cfg.proto && c->cfg.proto->outcomes ? c->cfg.proto->outcomes
                                                                   : echo_outcomes;
    if (n)
        *n = c->noutcomes;
    return o;
}

/* ---------------------------------------------------------------- send */

static uint64_t wire_time(const wl_client_cfg_t *g, size_t len)
{
    if (!g->ps_per_byte)
        return g->wire_ps;
    return g->ps_per_byte * ((len < MIN_FRAME ? MIN_FRAME : len) + WIRE_OVERHEAD);
}

/* The frame of request k (first bit at t_first, on flow fl); its length. */
static size_t build_frame(wl_client_t *c, uint64_t k, uint64_t t_first, unsigned fl,
                          uint8_t *f)
{
    const wl_client_cfg_t *g = &c->cfg;
    uint8_t payload[WL_PROTO_HDR + BODY_MAX];
    wl_put64(payload, k);
    wl_put64(payload + 8, t_first);
    wl_udp_addr_t a = {.src_port = c->flow[fl].src_port, .dst_port = g->host_port};
    size_t body = 0;
    if (g->proto)
        body = g->proto->request(g->proto->ctx, k, payload + WL_PROTO_HDR, BODY_MAX, &a.dst_port);
    size_t len = WL_CLIENT_HDR_BYTES + WL_PROTO_HDR + body;
    if (len < g->frame_len)
        len = g->frame_len;
    memcpy(a.dst_mac, g->host_mac, 6);
    memcpy(a.src_mac, g->client_mac, 6);
    memcpy(a.src_ip, c->flow[fl].src_ip, 4);
    memcpy(a.dst_ip, g->host_ip, 4);
    wl_udp_build(f, len, &a, (uint16_t)k, payload, WL_PROTO_HDR + body);
    return len;
}

/* When the next request arrives and on which flow; -1: none left, -3:
 * the closed loop waits. */
static int next_arrival(wl_client_t *c, uint64_t k, uint64_t *t, unsigned *flow)
{
    if (c->cfg.load != WL_LOAD_CLOSED) {
        if (c->next_arrival == WL_LOAD_END)
            return -1;
        *t = c->next_arrival;
        *flow = wl_client_flow_of(c, k);
        return 0;
    }
    if (!c->ready_n)
        return -3;
    wl_client_slot_t s = c->ready[c->ready_head];
    c->ready_head = (c->ready_head + 1) % c->ready_cap;
    c->ready_n--;
    *t = s.t_ready;
    *flow = s.flow;
    c->flow_of[k] = s.flow;
    return 0;
}

int wl_client_next(wl_client_t *c, uint64_t *t_first_bit_ps, uint64_t *t_last_bit_ps,
                   uint8_t *frame, size_t *len)
{
    if (c->st.sent >= c->cfg.requests)
        return -1;
    if (*len < (c->cfg.proto ? WL_CLIENT_FRAME_MAX : c->cfg.frame_len))
        return -2;
    uint64_t k = c->st.sent, arrival;
    unsigned flow;
    int rc = next_arrival(c, k, &arrival, &flow);
    if (rc < 0)
        return rc;
    if (c->cfg.t_end_ps && arrival >= c->cfg.t_end_ps) {
        c->cfg.requests = c->st.sent; /* the load is over */
        return -1;
    }
    c->st.sent++;
    uint64_t first = arrival > c->link_free ? arrival : c->link_free;
    if (first > arrival)
        c->st.paced++;
    c->t_first[k] = first;
    if (k == 0)
        c->st.t_first_sent_ps = first;
    c->st.t_last_sent_ps = first;
    *len = build_frame(c, k, first, flow, frame);
    uint64_t wire = wire_time(&c->cfg, *len);
    c->link_free = first + wire;
    if (t_first_bit_ps)
        *t_first_bit_ps = first;
    if (t_last_bit_ps)
        *t_last_bit_ps = first + wire - c->cfg.ifg_ps;
    if (c->cfg.load != WL_LOAD_CLOSED)
        c->next_arrival = wl_load_next(&c->arrivals);
    return 0;
}

/* ---------------------------------------------------------------- receive */

enum verdict { V_OK, V_UNKNOWN, V_MALFORMED };

/* Addresses: from the host to one of our flows.  *flow on V_OK. */
static enum verdict check_addrs(const wl_client_t *c, const wl_udp_view_t *v, unsigned *flow)
{
    const wl_client_cfg_t *g = &c->cfg;
    if (memcmp(v->a.dst_mac, g->client_mac, 6) || memcmp(v->a.src_mac, g->host_mac, 6) ||
        memcmp(v->a.src_ip, g->host_ip, 4))
        return V_UNKNOWN;
    uint32_t dst = ip_u32(v->a.dst_ip), base = ip_u32(g->client_ip);
    if (dst - base >= g->flows)
        return V_UNKNOWN;
    *flow = dst - base;
    return c->flow[*flow].src_port == v->a.dst_port ? V_OK : V_UNKNOWN;
}

static enum verdict classify(wl_client_t *c, const uint8_t *f, size_t len, uint64_t t_last,
                             uint64_t *id, int *outcome)
{
    wl_udp_view_t v;
    unsigned flow = 0;
    wl_udp_verdict_t u = wl_udp_parse(f, len, &v);
    if (u != WL_UDP_OK)
        return u == WL_UDP_UNKNOWN ? V_UNKNOWN : V_MALFORMED;
    enum verdict r = check_addrs(c, &v, &flow);
    if (r != V_OK)
        return r;
    /* the source port: the default one, or the protocol's choice */
    if (!c->cfg.proto && v.a.src_port != c->cfg.host_port)
        return V_UNKNOWN;
    if (v.plen < WL_PROTO_HDR)
        return V_MALFORMED;
    *id = wl_get64(v.payload);
    if (*id >= c->st.sent || wl_client_flow_of(c, *id) != flow)
        return V_UNKNOWN;
    if (wl_get64(v.payload + 8) != c->t_first[*id] || t_last < c->t_first[*id])
        return V_MALFORMED;
    *outcome = 0;
    if (c->cfg.proto) {
        *outcome = c->cfg.proto->response(c->cfg.proto->ctx, *id, v.payload + WL_PROTO_HDR,
                                          v.plen - WL_PROTO_HDR);
        if (*outcome < 0 || (unsigned)*outcome >= c->noutcomes)
            return V_MALFORMED;
    }
    return V_OK;
}

/* The connection of request id may send again (closed loop). */
static void free_slot(wl_client_t *c, uint64_t id, uint64_t t)
{
    if (c->cfg.load != WL_LOAD_CLOSED)
        return;
    size_t tail = (c->ready_head + c->ready_n) % c->ready_cap;
    c->ready[tail] = (wl_client_slot_t){t + c->cfg.think_ps, c->flow_of[id]};
    c->ready_n++;
}

static void give_up(wl_client_t *c, uint64_t id, uint64_t t)
{
    c->state[id] |= ST_GAVE_UP;
    c->st.timed_out++;
    free_slot(c, id, t);
}

void wl_client_receive(wl_client_t *c, const uint8_t *frame, size_t len, uint64_t t_last_bit_ps)
{
    uint64_t id = 0;
    int outcome = 0;
    c->st.received++;
    switch (classify(c, frame, len, t_last_bit_ps, &id, &outcome)) {
    case V_UNKNOWN:
        c->st.unknown++;
        return;
    case V_MALFORMED:
        c->st.malformed++;
        return;
    case V_OK:
        break;
    }
    if (c->state[id] & (ST_ANSWERED | ST_LATE)) {
        c->st.duplicates++;
        return;
    }
    uint64_t t = t_last_bit_ps - c->t_first[id];
    if ((c->state[id] & ST_GAVE_UP) || (c->cfg.timeout_ps && t > c->cfg.timeout_ps)) {
        if (!(c->state[id] & ST_GAVE_UP))
            give_up(c, id, t_last_bit_ps);
        c->state[id] |= ST_LATE;
        c->st.late++;
        return;
    }
    c->state[id] |= ST_ANSWERED;
    c->st.answered++;
    c->st.outcome[outcome]++;
    if (t_last_bit_ps > c->st.t_last_rx_ps)
        c->st.t_last_rx_ps = t_last_bit_ps;
    if (id >= c->cfg.warmup) {
        hist_record(&c->latency, t);
        c->st.measured++;
    }
    free_slot(c, id, t_last_bit_ps);
}

/* ---------------------------------------------------------------- timeouts */

static void skip_settled(wl_client_t *c)
{
    while (c->expire_next < c->st.sent && c->state[c->expire_next])
        c->expire_next++;
}

void wl_client_expire(wl_client_t *c, uint64_t now)
{
    if (!c->cfg.timeout_ps)
        return;
    for (skip_settled(c); c->expire_next < c->st.sent; c->expire_next++, skip_settled(c)) {
        uint64_t deadline = c->t_first[c->expire_next] + c->cfg.timeout_ps;
        if (deadline > now)
            break;
        give_up(c, c->expire_next, deadline);
    }
}

uint64_t wl_client_deadline(wl_client_t *c)
{
    if (!c->cfg.timeout_ps)
        return UINT64_MAX;
    skip_settled(c);
    return c->expire_next < c->st.sent ? c->t_first[c->expire_next] + c->cfg.timeout_ps
                                       : UINT64_MAX;
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
