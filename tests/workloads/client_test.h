/* tests/workloads/client_test.h: what the far-end client's suites share:
 * a base configuration (40 GbE, 64 B frames) and an independent reading
 * of the frames (RFC 791 IPv4 header and checksum, RFC 768 UDP length and
 * checksum, Ethernet II type 0x0800) and the echo server's response
 * (addresses swapped, payload kept), written from the RFCs, not from
 * workloads/udp_frame.c. */
#ifndef PARASIM_TESTS_WORKLOADS_CLIENT_TEST_H
#define PARASIM_TESTS_WORKLOADS_CLIENT_TEST_H

#include "tests/check_main.h"
#include "tests/frames.h"

#include "workloads/udp_client.h"

#include <string.h>

#define WIRE_64B_40G 16800u /* 84 wire bytes x 200 ps (40 GbE, 64 B frame) */
#define IFG_40G 2400u       /* 12 bytes x 200 ps */

static const uint8_t HOST_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t CLIENT_MAC[6] = {0x02, 0, 0, 0, 0, 0x99};
static const uint8_t HOST_IP[4] = {10, 0, 0, 1};
static const uint8_t CLIENT_IP[4] = {10, 1, 0, 0};
#define HOST_PORT 7u

static inline wl_client_cfg_t base_cfg(void)
{
    wl_client_cfg_t g = {
        .seed = 42,
        .load = WL_LOAD_POISSON,
        .rate = 1e6,
        .requests = 1000,
        .warmup = 0,
        .t_start_ps = 0,
        .flows = 16,
        .host_port = HOST_PORT,
        .frame_len = 60,
        .wire_ps = WIRE_64B_40G,
        .ifg_ps = IFG_40G,
    };
    memcpy(g.host_mac, HOST_MAC, 6);
    memcpy(g.client_mac, CLIENT_MAC, 6);
    memcpy(g.host_ip, HOST_IP, 4);
    memcpy(g.client_ip, CLIENT_IP, 4);
    return g;
}

static inline void client_init(wl_client_t *c, const wl_client_cfg_t *g)
{
    char err[160] = "";
    int rc = wl_client_init(c, g, err, sizeof err);
    ck_assert_msg(rc == 0, "init: %s", err);
}

/* ---------------------------------------------------------------- independent parser */

typedef struct parsed {
    uint8_t src_ip[4];
    unsigned src_port, dst_port, udp_len;
    uint64_t id, t;
} parsed_t;

/* Check a request frame field by field; fill p. */
static inline void parse_request(const uint8_t *f, size_t len, const wl_client_cfg_t *g, parsed_t *p)
{
    ck_assert_uint_eq(len, g->frame_len);
    ck_assert_mem_eq(f, g->host_mac, 6);
    ck_assert_mem_eq(f + 6, g->client_mac, 6);
    ck_assert_uint_eq(be16(f + 12), 0x0800);
    const uint8_t *ip = f + 14;
    ck_assert_uint_eq(ip[0], 0x45);
    ck_assert_uint_eq(be16(ip + 2), len - 14);
    ck_assert_uint_eq(be16(ip + 6) & 0x3fff, 0); /* no fragment */
    ck_assert_uint_eq(ip[9], 17);
    ck_assert_uint_eq(ones_sum(0, ip, 20), 0xffff); /* header checksum verifies */
    ck_assert_mem_eq(ip + 16, g->host_ip, 4);
    memcpy(p->src_ip, ip + 12, 4);
    const uint8_t *u = ip + 20;
    p->src_port = be16(u);
    p->dst_port = be16(u + 2);
    p->udp_len = be16(u + 4);
    ck_assert_uint_eq(p->udp_len, len - 34);
    ck_assert_uint_eq(p->dst_port, g->host_port);
    ck_assert_uint_ne(be16(u + 6), 0); /* the client sends UDP checksums */
    unsigned long pseudo = ones_sum(0, ip + 12, 8) + 17u + p->udp_len;
    ck_assert_uint_eq(ones_sum(pseudo, u, p->udp_len), 0xffff);
    p->id = be64(u + 8);
    p->t = be64(u + 16);
}

/* The response an echo server sends: addresses swapped, payload kept. */
static inline void make_response(uint8_t *f)
{
    uint8_t tmp[6];
    memcpy(tmp, f, 6), memcpy(f, f + 6, 6), memcpy(f + 6, tmp, 6);
    uint8_t *ip = f + 14;
    memcpy(tmp, ip + 12, 4), memcpy(ip + 12, ip + 16, 4), memcpy(ip + 16, tmp, 4);
    uint8_t *u = ip + 20;
    memcpy(tmp, u, 2), memcpy(u, u + 2, 2), memcpy(u + 2, tmp, 2);
}

#endif
