/* workloads/echo.c: a UDP echo server, written against the user ABI only
 * (kernel/include/pk.h, pk_ring.h), hosted as a parakernel process
 * (workloads/app.h).  Parameters: echo.h.
 *
 * The loop is workloads/netloop's (netloop.h: buffers of max(2 KiB,
 * info.rx_buf_min) bytes carved from the whole heap [heap_base, +
 * heap_size), per owned NIC queue up to 2 x (rx_entries - 1), registered
 * as one pool under pool mediation, the RX rings posted full in start;
 * one step pops CQEs, reads up to `burst` frames per queue, queues TX
 * retries and refills, and makes one pk_enter for the batch).  The work
 * on a frame is echo's (echo_frame, through wl_echo_answer): check the
 * headers (pk_load), swap source and destination MAC, IPv4 address and
 * UDP port in place (pk_store) and hand the whole frame back to the loop
 * to transmit on the same queue; anything else is counted by reason and
 * its buffer goes back to the spares.
 * Checksums: swapping two 16-bit-word-aligned fields leaves a one's
 * complement sum unchanged (RFC 1071 sums commute; RFC 1624 incremental
 * update with a zero difference), so the IPv4 header checksum and the UDP
 * checksum (whose pseudo-header holds both addresses) stay valid as they
 * are: nothing to recompute.  The server does not verify the IPv4
 * checksum (NICs offload that; the client verifies responses).
 *
 * Costs (pk_charge; 1 cycle per simple instruction or well-predicted
 * compare-and-branch on a ~3 GHz core): the loop's (netloop.h: RX
 * descriptor lines, RX_CYCLES, SQE_CYCLES, CQE_CYCLES), and per frame
 * (wl_echo_answer) mem.llc per 64-byte line of headers (the NIC's DMA put
 * the frame in the LLC, DDIO: first touch by the core) and FRAME_CYCLES
 * (28): ~12 header checks (MAC compare as two loads, EtherType,
 * version/IHL, fragment, protocol, two length compares, port) and the
 * swap as 6 loads + 6 stores (MACs 6+6 B, IPs 4+4 B, ports 2+2 B), buffer
 * index arithmetic (2). */
#include "workloads/echo.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "workloads/app_int.h"
#include "workloads/netloop.h"

#define ECHO_BURST_DEFAULT 32u
#define HDR_LOAD 96u /* Ethernet + the longest IPv4 header + UDP = 82 */
#define LINE 64u
#define FRAME_CYCLES 28u

typedef struct echo {
    wl_nl_t nl;
    uint16_t port;
    wl_echo_counters_t c; /* dropped here; the loop's counters copied after each step */
} echo_t;

static const char *const echo_params[] = {
    "wait: 1 to block in pk_enter(PK_ENTER_WAIT) when idle, 0 to poll (default 0)",
    "burst: frames read per queue per step, 1..1024 (default 32)",
    "port: serve only this UDP destination port (default: any)",
    NULL,
};

/* ---------------------------------------------------------------- frames */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Swap two disjoint n-byte fields, n a constant <= 8 (the copies become
 * single moves, not a byte loop). */
#define SWAP_BYTES(a, b, n)                                                                        \
    do {                                                                                           \
        uint8_t t_[8];                                                                             \
        memcpy(t_, (a), (n));                                                                      \
        memcpy((a), (b), (n));                                                                     \
        memcpy((b), t_, (n));                                                                      \
    } while (0)

/* Check the headers in h (n bytes loaded of a len-byte frame) and swap
 * them for the reply (echo.h). */
int wl_echo_reply_headers(uint8_t *h, uint32_t n, uint32_t len, const uint8_t mac[6],
                          uint16_t port, uint32_t *hdr)
{
    if (len < 42 || n < 42)
        return WL_ECHO_DROP_RUNT;
    if (memcmp(h, mac, 6))
        return WL_ECHO_DROP_MAC;
    uint8_t *ip = h + 14;
    if (be16(h + 12) != 0x0800 || ip[0] >> 4 != 4)
        return WL_ECHO_DROP_NOT_IPV4;
    uint32_t ihl = (ip[0] & 0x0fu) * 4u, total = be16(ip + 2);
    if (ihl < 20 || 14 + ihl + 8 > n || total < ihl + 8 || 14 + total > len ||
        (be16(ip + 6) & 0x3fffu))
        return WL_ECHO_DROP_BAD_IP;
    if (ip[9] != 17)
        return WL_ECHO_DROP_NOT_UDP;
    uint8_t *udp = ip + ihl;
    uint16_t ulen = be16(udp + 4);
    if (ulen < 8 || ulen > total - ihl)
        return WL_ECHO_DROP_BAD_IP;
    if (port && be16(udp + 2) != port)
        return WL_ECHO_DROP_PORT;
    SWAP_BYTES(h, h + 6, 6);        /* MACs: the source becomes ours */
    SWAP_BYTES(ip + 12, ip + 16, 4); /* IPv4 addresses */
    SWAP_BYTES(udp, udp + 2, 2);     /* UDP ports */
    *hdr = 14 + ihl + 8;
    return -1;
}

/* Check and answer the frame in buf (echo.h). */
int wl_echo_answer(uint64_t buf, uint32_t len, const uint8_t mac[6], uint16_t port, int c_llc,
                   int c_cycle)
{
    uint8_t h[HDR_LOAD];
    uint32_t n = len < HDR_LOAD ? len : HDR_LOAD, hdr = 0;
    pk_charge_fast(c_cycle, FRAME_CYCLES);
    if (pk_load_fast(buf, h, n) < 0)
        return WL_ECHO_FAULT;
    int why = wl_echo_reply_headers(h, n, len, mac, port, &hdr);
    uint32_t touched = hdr ? hdr : (n < 42 ? n : 42);
    pk_charge_fast(c_llc, touched ? (touched + LINE - 1) / LINE : 1);
    if (why >= 0)
        return why;
    if (pk_store_fast(buf, h, hdr) < 0)
        return WL_ECHO_FAULT;
    return -1;
}

/* The loop's callback: the frame's length to transmit it back, or 0. */
static uint32_t echo_frame(void *ctx, unsigned qi, uint64_t buf, uint32_t len)
{
    echo_t *e = ctx;
    (void)qi;
    int why = wl_echo_answer(buf, len, e->nl.r.info.mac, e->port, e->nl.c_llc, e->nl.c_cycle);
    if (why == WL_ECHO_FAULT)
        e->nl.st.faults++;
    else if (why >= 0)
        e->c.dropped[why]++;
    return why < 0 && why != WL_ECHO_FAULT ? len : 0;
}

/* wl_echo_counters_t keeps the loop's counters beside the drops. */
static void sync_counters(echo_t *e)
{
    const wl_nl_counters_t *n = &e->nl.c;
    e->c.tx_retries = n->tx_retries;
    e->c.lost_bufs = n->lost_bufs;
    e->c.bad_rx = n->bad_rx;
    e->c.bad_cqe = n->bad_cqe;
    e->c.buffers = n->buffers;
    e->c.per_queue = n->per_queue;
}

static wl_step_t echo_step(void *state)
{
    echo_t *e = state;
    wl_step_t s = wl_nl_step(&e->nl, echo_frame, e);
    sync_counters(e);
    return s;
}

/* ---------------------------------------------------------------- start */

static int parse_params(echo_t *e, const wl_param_t *p, size_t n, uint64_t *wait, uint64_t *burst,
                        char *err, size_t errlen)
{
    uint64_t port;
    if (wl_param_u64("echo", p, n, "wait", 0, 0, 1, wait, NULL, err, errlen) < 0 ||
        wl_param_u64("echo", p, n, "burst", ECHO_BURST_DEFAULT, 1, WL_NL_BURST_MAX, burst, NULL,
                     err, errlen) < 0 ||
        wl_param_u64("echo", p, n, "port", 0, 1, 65535, &port, NULL, err, errlen) < 0)
        return -1;
    e->port = (uint16_t)port;
    return 0;
}

static int echo_start(void *state, const wl_param_t *params, size_t nparams, char *err,
                      size_t errlen)
{
    echo_t *e = state;
    const struct pk_info *in = &e->nl.r.info;
    uint64_t wait = 0, burst = 0;
    if (wl_nl_open(&e->nl, "echo", err, errlen) < 0 ||
        parse_params(e, params, nparams, &wait, &burst, err, errlen) < 0 ||
        wl_nl_init(&e->nl, in->heap_base, in->heap_base + in->heap_size, (unsigned)burst,
                   wait != 0, err, errlen) < 0)
        return -1;
    int rc = wl_nl_post_rx(&e->nl, err, errlen);
    sync_counters(e);
    return rc;
}

static void echo_stats(const void *state, wl_app_stats_t *out)
{
    *out = ((const echo_t *)state)->nl.st;
}

const wl_echo_counters_t *wl_echo_counters(const void *state)
{
    return &((const echo_t *)state)->c;
}

const char *wl_echo_drop_name(wl_echo_drop_t d)
{
    static const char *const names[WL_ECHO_DROP_KINDS] = {
        [WL_ECHO_DROP_RUNT] = "runt",         [WL_ECHO_DROP_MAC] = "not_our_mac",
        [WL_ECHO_DROP_NOT_IPV4] = "not_ipv4", [WL_ECHO_DROP_NOT_UDP] = "not_udp",
        [WL_ECHO_DROP_BAD_IP] = "bad_ip",     [WL_ECHO_DROP_PORT] = "other_port",
    };
    return (unsigned)d < WL_ECHO_DROP_KINDS ? names[d] : "?";
}

/* requests echoed, frames not echoed by reason, and the loop's troubles. */
static void echo_report(const void *state, wl_report_t *r)
{
    const echo_t *e = state;
    wl_report_u64(r, "echoed", e->nl.st.requests);
    for (int d = 0; d < WL_ECHO_DROP_KINDS; d++) {
        char key[WL_REPORT_KEY];
        snprintf(key, sizeof key, "not_echoed.%s", wl_echo_drop_name((wl_echo_drop_t)d));
        wl_report_u64(r, key, e->c.dropped[d]);
    }
    wl_report_u64(r, "tx_retries", e->c.tx_retries);
    wl_report_u64(r, "lost_bufs", e->c.lost_bufs);
    wl_report_u64(r, "buffers", e->c.buffers);
}

const wl_app_t wl_app_echo = {
    .name = "echo",
    .params = echo_params,
    .state_size = sizeof(echo_t),
    .start = echo_start,
    .step = echo_step,
    .stats = echo_stats,
    .report = echo_report,
};
