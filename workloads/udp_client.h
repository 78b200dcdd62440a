/* workloads/udp_client: the UDP client at the far end of the wire.
 *
 * Pure logic, no engine: the platform asks for the next request
 * (wl_client_next), schedules its arrival at the host's NIC at the
 * request's last bit, and hands every frame the host transmits back to
 * wl_client_receive at its last bit.  The client measures latency and
 * proves that every request was answered exactly once.
 *
 * Load.  Requests arrive at the client open-loop, Poisson (exponential
 * gaps of mean 1/rate) or constant (request k at t_start + k / rate,
 * rounded to the ps once, so no drift accumulates); a Poisson stream's
 * first request also comes after a random gap (stationary from t_start).
 * Then they queue for the client's link, which is one serial resource:
 * a request whose arrival falls while the previous frame still occupies
 * the wire leaves when the link is free.  So the first bit of request k
 * is at max(arrival_k, first_bit_{k-1} + wire_ps), its last bit at
 * first_bit + wire_ps - ifg_ps (the NIC model's convention, devices/nic/
 * link.c: a frame's slot on the wire is preamble + SFD + frame + FCS +
 * inter-frame gap, and its last bit leaves before the gap).  "First bit"
 * is the first bit of the preamble.  The platform computes wire_ps from
 * the NIC's link (nic_wire_time(gbps, frame_len)); workloads cannot see
 * devices/.
 *
 * Frames.  Ethernet II (client MAC -> host MAC, type 0x0800), IPv4 (no
 * options, DF, TTL 64, a valid header checksum, identification = the low
 * 16 bits of the request id), UDP (a valid checksum, RFC 768) and a
 * payload: the request id (8 bytes, big-endian), the request's first-bit
 * time in ps (8 bytes, big-endian), zero padding up to frame_len.  Lengths
 * are without the FCS (the NIC appends it), frame_len >= 60 (the Ethernet
 * minimum without FCS).
 *
 * Flows.  `flows` 5-tuples (UDP, source IP, source port -> host IP, host
 * port).  Flow f's source IP is client_ip + f (as a 32-bit number) and
 * its source port is drawn once, uniformly in [1024, 65535], from the
 * stream "client.flows"; so the Toeplitz hash of RSS spreads them as it
 * spreads real clients.  Request k uses flow h(k) mod flows, with h a
 * keyed SplitMix64 finaliser (the key drawn from "client.flows"): any
 * request's flow can be recomputed from its id, so a response is checked
 * against the exact addresses its request carried.  Arrival gaps come from
 * the stream "client.arrivals" (model/rng.h; same seed = same requests).
 *
 * Responses.  A response is the request with source and destination MAC,
 * IP and UDP port swapped and the payload unchanged.  Every frame handed
 * to wl_client_receive is classified exactly once:
 *   answered    the first valid response to a request that was sent;
 *               latency = t_last_bit of the response - first bit of the
 *               request, recorded in the histogram (ps) when the request
 *               is past the warm-up;
 *   duplicate   a valid response to a request already answered;
 *   unknown     not IPv4/UDP, or not addressed from the host to one of
 *               the client's flows, or its addresses are not those of its
 *               request's flow, or its id was never sent;
 *   malformed   IPv4/UDP but broken: truncated, bad IPv4 checksum or
 *               lengths, fragments, a non-zero UDP checksum that does not
 *               verify, a payload time that is not the request's.
 * At the end, unanswered = sent - answered.
 *
 * Memory: 8 bytes per request (its first-bit time) and a bit (answered).
 * Determinism: integer ps, the two rng streams; no clock. */
#ifndef PARASIM_WORKLOADS_UDP_CLIENT_H
#define PARASIM_WORKLOADS_UDP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "model/hist.h"
#include "model/rng.h"

#define WL_CLIENT_FRAME_MIN 60u     /* Ethernet minimum without FCS */
#define WL_CLIENT_FRAME_MAX 16380u  /* the NIC's largest frame (16384 with FCS) */
#define WL_CLIENT_HDR_BYTES 42u     /* Ethernet 14 + IPv4 20 + UDP 8 */
#define WL_CLIENT_PAYLOAD_MIN 16u   /* request id + first-bit time */
#define WL_CLIENT_MAX_FLOWS 65536u

typedef enum wl_load_kind { WL_LOAD_POISSON = 0, WL_LOAD_CONSTANT } wl_load_kind_t;

typedef struct wl_client_cfg {
    uint64_t seed;            /* the experiment's seed */
    wl_load_kind_t load;
    double rate;              /* requests per second offered, > 0 */
    uint64_t requests;        /* requests sent in all, warm-up included, >= 1 */
    uint64_t warmup;          /* the first `warmup` are not measured, < requests */
    uint64_t t_start_ps;      /* the load starts here */
    unsigned flows;           /* 1 .. WL_CLIENT_MAX_FLOWS */
    uint8_t client_mac[6];
    uint8_t client_ip[4];     /* flow 0's source IP (network order) */
    uint8_t host_mac[6];      /* the host's (one MAC for all its queues) */
    uint8_t host_ip[4];
    uint16_t host_port;       /* host order */
    uint32_t frame_len;       /* bytes without FCS, WL_CLIENT_FRAME_MIN .. _MAX */
    uint64_t wire_ps;         /* one frame's slot on the client's link, > 0 */
    uint64_t ifg_ps;          /* the inter-frame gap at its end, < wire_ps */
} wl_client_cfg_t;

typedef struct wl_client_stats {
    uint64_t sent;            /* requests handed out by wl_client_next */
    uint64_t paced;           /* of them, left later than they arrived (link busy) */
    uint64_t received;        /* frames handed to wl_client_receive */
    uint64_t answered;        /* requests answered (first valid response) */
    uint64_t measured;        /* of them, past the warm-up (in the histogram) */
    uint64_t duplicates;
    uint64_t unknown;
    uint64_t malformed;
    uint64_t unanswered;      /* sent - answered */
    uint64_t t_first_sent_ps; /* first bit of the first request */
    uint64_t t_last_sent_ps;  /* first bit of the last request */
    uint64_t t_last_rx_ps;    /* last bit of the last answer */
} wl_client_stats_t;

typedef struct wl_client_flow {
    uint8_t src_ip[4];        /* network order */
    uint16_t src_port;        /* host order */
} wl_client_flow_t;

typedef struct wl_client {
    wl_client_cfg_t cfg;
    rng_t arrivals;           /* "client.arrivals" */
    uint64_t flow_key;        /* h(k) key, from "client.flows" */
    wl_client_flow_t *flow;   /* [cfg.flows] */
    uint64_t *t_first;        /* [cfg.requests]: first bit of each request sent */
    uint8_t *answered;        /* bitmap, [cfg.requests] bits */
    uint64_t next_arrival;    /* arrival of the next request (ps) */
    uint64_t link_free;       /* the client's link is free from here (ps) */
    double period_ps;         /* 1e12 / rate */
    wl_client_stats_t st;
    hist_t latency;           /* ps, measured requests */
} wl_client_t;

/* 0, or -1 with a one-line message in err (a config field out of range,
 * out of memory). */
int wl_client_init(wl_client_t *c, const wl_client_cfg_t *cfg, char *err, size_t errlen);
void wl_client_free(wl_client_t *c);

/* The next request: its frame into frame (*len: the buffer's capacity in,
 * the frame's length out), its first and last bit on the wire (ps; either
 * pointer may be NULL).  0; -1 when every request has been sent; -2 when
 * the buffer is smaller than cfg.frame_len (nothing consumed). */
int wl_client_next(wl_client_t *c, uint64_t *t_first_bit_ps, uint64_t *t_last_bit_ps,
                   uint8_t *frame, size_t *len);

/* A frame from the host (without FCS) whose last bit arrived at
 * t_last_bit_ps.  Classified and counted as described above. */
void wl_client_receive(wl_client_t *c, const uint8_t *frame, size_t len, uint64_t t_last_bit_ps);

/* Counters, with unanswered brought up to date. */
const wl_client_stats_t *wl_client_stats(wl_client_t *c);
/* Latencies of the measured requests, ps. */
const hist_t *wl_client_latency(const wl_client_t *c);
/* Flow f's source (f < cfg.flows), and the flow request k uses. */
const wl_client_flow_t *wl_client_flow(const wl_client_t *c, unsigned f);
unsigned wl_client_flow_of(const wl_client_t *c, uint64_t k);

#endif
