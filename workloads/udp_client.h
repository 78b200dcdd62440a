/* workloads/udp_client: the UDP client at the far end of the wire.
 *
 * Pure logic, no engine: the platform asks for the next request
 * (wl_client_next), schedules its arrival at the host's NIC at the
 * request's last bit, and hands every frame the host transmits back to
 * wl_client_receive at its last bit.  The client measures latency and
 * proves that every request was answered exactly once.
 *
 * Load.  Open loop (workloads/load.h: poisson, constant, ramp, trace):
 * requests arrive at the client at the load's times.  Closed loop: each
 * flow is a connection that keeps `outstanding` requests in flight; all
 * start at t_start, and a connection issues its next request `think_ps`
 * after an answer arrives (or after it gives a request up, below).
 * Either way requests then queue for the client's link, which is one
 * serial resource: a request whose arrival falls while the previous frame
 * still occupies the wire leaves when the link is free.  So the first bit
 * of request k is at max(arrival_k, first_bit_{k-1} + wire_{k-1}), its
 * last bit at first_bit + wire_k - ifg_ps (the NIC model's convention,
 * devices/nic/link.c: a frame's slot on the wire is preamble + SFD +
 * max(frame, 60) + FCS + inter-frame gap = ps_per_byte * (max(len, 60) +
 * 24), and its last bit leaves before the gap; with ps_per_byte 0 every
 * frame takes wire_ps).  "First bit" is the first bit of the preamble.
 * The platform computes the link figures from the NIC's link; workloads
 * cannot see devices/.
 *
 * Frames.  Ethernet II (client MAC -> host MAC), IPv4/UDP as
 * workloads/udp_frame.h builds them (identification = the low 16 bits of
 * the request id), and a payload: the request header of
 * workloads/proto.h (request id and first-bit time, big-endian), then the
 * protocol's body (none for the default echo protocol), then zero padding
 * up to frame_len.  A frame is max(frame_len, 42 + 16 + body) bytes
 * without the FCS (the NIC appends it), frame_len >= 60 (the Ethernet
 * minimum without FCS).  The protocol (cfg.proto, NULL for echo) also
 * picks the destination port (default host_port).
 *
 * Flows.  `flows` 5-tuples (UDP, source IP, source port -> host IP, a
 * port).  Flow f's source IP is client_ip + f (as a 32-bit number) and
 * its source port is drawn once, uniformly in [1024, 65535], from the
 * stream "client.flows"; so the Toeplitz hash of RSS spreads them as it
 * spreads real clients.  Open loop: request k uses flow h(k) mod flows,
 * with h a keyed SplitMix64 finaliser (the key drawn from
 * "client.flows"), so any request's flow can be recomputed from its id;
 * closed loop: the flow of the connection that issued it (remembered).
 * Arrival gaps come from the stream "client.arrivals" (load.h).
 *
 * Responses.  A response carries the request header unchanged, from the
 * host to the request's flow.  Every frame handed to wl_client_receive
 * is classified exactly once:
 *   answered    the first valid response to a request that was sent,
 *               arriving within timeout_ps of the request's first bit
 *               (any time when timeout_ps is 0); latency = t_last_bit of
 *               the response - first bit of the request, recorded in the
 *               histogram (ps) when the request is past the warm-up, and
 *               the protocol's outcome class counted;
 *   late        the first valid response, arriving after the timeout (the
 *               request counts as timed out, not answered);
 *   duplicate   a valid response to a request already answered (or late);
 *   unknown     not IPv4/UDP, or not addressed from the host to one of
 *               the client's flows, or its addresses are not those of its
 *               request's flow, or its id was never sent;
 *   malformed   IPv4/UDP but broken: truncated, bad IPv4 checksum or
 *               lengths, fragments, a non-zero UDP checksum that does not
 *               verify, a payload time that is not the request's, a body
 *               the protocol rejects.
 * Timeouts.  wl_client_expire(now) gives up every request whose first
 * bit is more than timeout_ps before now and that has no answer: it
 * counts as timed out and, in the closed loop, its connection moves on.
 * The platform calls it at wl_client_deadline() in the closed loop (so
 * lost requests do not stall it) and once at the end of the run.
 * At the end, unanswered = sent - answered (timed out and lost alike).
 *
 * Memory: 8 bytes per request (its first-bit time), a byte of state, and
 * in the closed loop 4 bytes (its flow).
 * Determinism: integer ps, the rng streams; no clock. */
#ifndef PARASIM_WORKLOADS_UDP_CLIENT_H
#define PARASIM_WORKLOADS_UDP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "model/hist.h"
#include "model/rng.h"
#include "workloads/load.h"
#include "workloads/proto.h"

#define WL_CLIENT_FRAME_MIN 60u     /* Ethernet minimum without FCS */
#define WL_CLIENT_FRAME_MAX 16380u  /* the NIC's largest frame (16384 with FCS) */
#define WL_CLIENT_HDR_BYTES 42u     /* Ethernet 14 + IPv4 20 + UDP 8 */
#define WL_CLIENT_PAYLOAD_MIN 16u   /* request id + first-bit time */
#define WL_CLIENT_MAX_FLOWS 65536u

typedef struct wl_client_cfg {
    uint64_t seed;            /* the experiment's seed */
    wl_load_kind_t load;
    double rate;              /* poisson, constant: requests per second offered */
    const wl_ramp_step_t *steps; size_t nsteps;   /* ramp (load.h) */
    const uint64_t *times; size_t ntimes;         /* trace (load.h) */
    unsigned outstanding;     /* closed: requests in flight per flow, >= 1 */
    uint64_t think_ps;        /* closed: from an answer to the next request */
    uint64_t timeout_ps;      /* give a request up after this; 0 = never */
    const wl_proto_t *proto;  /* the body and its check; NULL = echo */
    uint64_t requests;        /* requests sent in all, warm-up included, >= 1 */
    uint64_t warmup;          /* the first `warmup` are not measured, < requests */
    uint64_t t_start_ps;      /* the load starts here */
    uint64_t t_end_ps;        /* no request arrives from here on; 0 = no end */
    unsigned flows;           /* 1 .. WL_CLIENT_MAX_FLOWS */
    uint8_t client_mac[6];
    uint8_t client_ip[4];     /* flow 0's source IP (network order) */
    uint8_t host_mac[6];      /* the host's (one MAC for all its queues) */
    uint8_t host_ip[4];
    uint16_t host_port;       /* host order */
    uint32_t frame_len;       /* bytes without FCS, WL_CLIENT_FRAME_MIN .. _MAX */
    uint64_t wire_ps;         /* a frame_len frame's slot on the client's link, > 0 */
    uint64_t ifg_ps;          /* the inter-frame gap at its end, < wire_ps */
    uint64_t ps_per_byte;     /* other lengths: ps_per_byte * (max(len, 60) + 24); 0 = wire_ps */
} wl_client_cfg_t;

typedef struct wl_client_stats {
    uint64_t sent;            /* requests handed out by wl_client_next */
    uint64_t paced;           /* of them, left later than they arrived (link busy) */
    uint64_t received;        /* frames handed to wl_client_receive */
    uint64_t answered;        /* requests answered (first valid response) */
    uint64_t measured;        /* of them, past the warm-up (in the histogram) */
    uint64_t late;            /* first responses after the timeout */
    uint64_t timed_out;       /* requests given up (late ones included) */
    uint64_t outcome[WL_PROTO_MAX_OUTCOMES]; /* answered, by the protocol's class */
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

typedef struct wl_client_slot {
    uint64_t t_ready;         /* the connection may send from here */
    uint32_t flow;
} wl_client_slot_t;

typedef struct wl_client {
    wl_client_cfg_t cfg;
    wl_load_t arrivals;       /* open loop */
    uint64_t flow_key;        /* h(k) key, from "client.flows" */
    wl_client_flow_t *flow;   /* [cfg.flows] */
    uint64_t *t_first;        /* [cfg.requests]: first bit of each request sent */
    uint8_t *state;           /* [cfg.requests]: answered / given up / late bits */
    uint32_t *flow_of;        /* closed: [cfg.requests] */
    wl_client_slot_t *ready;  /* closed: FIFO of connections ready to send */
    size_t ready_cap, ready_head, ready_n;
    uint64_t next_arrival;    /* open loop: arrival of the next request (ps) */
    uint64_t link_free;       /* the client's link is free from here (ps) */
    uint64_t expire_next;     /* the oldest request wl_client_expire has not passed */
    unsigned noutcomes;
    wl_client_stats_t st;
    hist_t latency;           /* ps, measured requests */
} wl_client_t;

/* 0, or -1 with a one-line message in err (a config field out of range,
 * out of memory). */
int wl_client_init(wl_client_t *c, const wl_client_cfg_t *cfg, char *err, size_t errlen);
void wl_client_free(wl_client_t *c);

/* The next request: its frame into frame (*len: the buffer's capacity in,
 * the frame's length out), its first and last bit on the wire (ps; either
 * pointer may be NULL).  0; -1 when every request has been sent (or the
 * load ended); -2 when the buffer is smaller than cfg.frame_len (with a
 * protocol: than WL_CLIENT_FRAME_MAX; nothing consumed); -3 in the closed
 * loop when no connection may send yet (ask again after a receive or an
 * expiry). */
int wl_client_next(wl_client_t *c, uint64_t *t_first_bit_ps, uint64_t *t_last_bit_ps,
                   uint8_t *frame, size_t *len);

/* A frame from the host (without FCS) whose last bit arrived at
 * t_last_bit_ps.  Classified and counted as described above. */
void wl_client_receive(wl_client_t *c, const uint8_t *frame, size_t len, uint64_t t_last_bit_ps);

/* Give up the requests whose timeout has passed at now (see above). */
void wl_client_expire(wl_client_t *c, uint64_t now);
/* When wl_client_expire has work next: the first unanswered request's
 * deadline; UINT64_MAX when there is none or timeout_ps is 0. */
uint64_t wl_client_deadline(wl_client_t *c);
/* The protocol's outcome class names (count in *n). */
const char *const *wl_client_outcomes(const wl_client_t *c, unsigned *n);

/* Counters, with unanswered brought up to date. */
const wl_client_stats_t *wl_client_stats(wl_client_t *c);
/* Latencies of the measured requests, ps. */
const hist_t *wl_client_latency(const wl_client_t *c);
/* Flow f's source (f < cfg.flows), and the flow request k uses. */
const wl_client_flow_t *wl_client_flow(const wl_client_t *c, unsigned f);
unsigned wl_client_flow_of(const wl_client_t *c, uint64_t k);

#endif
