/* workloads/echo: a UDP echo server as a parakernel process on the loop
 * of workloads/netloop.h (see echo.c for the frame work and its costs).
 *
 * Parameters (all optional):
 *   wait   0: poll (default); 1: when idle, block in
 *          pk_enter(0, 1, PK_ENTER_WAIT) until a completion or a frame
 *          arrives (the kernel unmasks the process's interrupts)
 *   burst  frames read per queue per step, 1..1024 (default 32, DPDK's
 *          customary burst): a step that hits it returns WL_STEP_BUSY
 *   port   serve only this UDP destination port, 1..65535 (default: any)
 *
 * Report (results.json processes[].report): echoed, not_echoed.<reason>
 * (wl_echo_drop_name), tx_retries, lost_bufs, buffers. */
#ifndef PARASIM_WORKLOADS_ECHO_H
#define PARASIM_WORKLOADS_ECHO_H

#include <stdint.h>

#include "workloads/app.h"

extern const wl_app_t wl_app_echo;

/* Why a received frame was not echoed (its buffer goes straight back). */
typedef enum wl_echo_drop {
    WL_ECHO_DROP_RUNT = 0, /* shorter than Ethernet + IPv4 + UDP headers */
    WL_ECHO_DROP_MAC,      /* not to the host's MAC */
    WL_ECHO_DROP_NOT_IPV4, /* another EtherType, or IP version != 4 */
    WL_ECHO_DROP_NOT_UDP,  /* IPv4 but another protocol */
    WL_ECHO_DROP_BAD_IP,   /* IHL, lengths or a fragment */
    WL_ECHO_DROP_PORT,     /* not the configured port */
    WL_ECHO_DROP_KINDS
} wl_echo_drop_t;

typedef struct wl_echo_counters {
    uint64_t dropped[WL_ECHO_DROP_KINDS];
    uint64_t tx_retries;   /* NET_TX refused with PK_EAGAIN, queued again */
    uint64_t lost_bufs;    /* buffers out of circulation (a refill refused) */
    uint64_t bad_rx;       /* the RX view named a buffer that is not ours */
    uint64_t bad_cqe;      /* completions with a user_data we never used */
    uint32_t buffers;      /* buffers carved at start */
    uint32_t per_queue;    /* of them, per owned NIC queue */
} wl_echo_counters_t;

/* The echo reply, shared with the applications that answer the same way
 * (workloads/evloop.c): check the Ethernet/IPv4/UDP headers in h (the
 * first n bytes of a len-byte frame) and swap source and destination MAC,
 * IPv4 address and UDP port in place.  mac: the host's; port: serve only
 * that UDP destination port (0: any).  -1 when it is a request to answer
 * (*hdr: the header bytes to store back, checksums still valid: a swap of
 * 16-bit-aligned fields leaves one's complement sums unchanged), else the
 * wl_echo_drop_t why not. */
int wl_echo_reply_headers(uint8_t *h, uint32_t n, uint32_t len, const uint8_t mac[6],
                          uint16_t port, uint32_t *hdr);

/* The echo server's work on one received frame of len bytes in buf (a
 * process's memory), shared with workloads/evloop.c: load its headers,
 * wl_echo_reply_headers (mac, port as there), store the swapped headers
 * back, charging FRAME_CYCLES (28) cpu.cycle and mem.llc per 64-byte
 * header line (c_cycle, c_llc: the ids of pk_cost).  -1 when the reply
 * (the frame's len bytes) is in buf, WL_ECHO_FAULT when pk_load or
 * pk_store refused, else the wl_echo_drop_t why not. */
#define WL_ECHO_FAULT (-2)
int wl_echo_answer(uint64_t buf, uint32_t len, const uint8_t mac[6], uint16_t port, int c_llc,
                   int c_cycle);

/* "runt", "not_our_mac", "not_ipv4", "not_udp", "bad_ip", "other_port". */
const char *wl_echo_drop_name(wl_echo_drop_t d);

/* The echo process's own counters, from its state (also its report:
 * echoed, not_echoed.<reason>, tx_retries, lost_bufs, buffers). */
const wl_echo_counters_t *wl_echo_counters(const void *state);

#endif
