/* tests/devices/nic_tt.h: what the 82599 NIC suites (check_nic,
 * check_nic_tx) share: the register offsets and bit positions written out
 * from the 82599 datasheet (8.2.3), not taken from the NIC's headers; the
 * physical-memory layout of rings and buffers; the rig (memory, PCIe bus,
 * NIC, an irq sink and a wire callback that log what they see with its
 * time); ring and MSI-X programming as a driver does it; and frames:
 * Ethernet + IPv4 + UDP built here, the Microsoft RSS verification key
 * and row 1's addresses and hashes.  Static inline: a suite uses any
 * subset. */
#ifndef PARASIM_TESTS_DEVICES_NIC_TT_H
#define PARASIM_TESTS_DEVICES_NIC_TT_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/irq.h"
#include "devices/mem.h"
#include "devices/nic.h"
#include "devices/pcie.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/frames.h"

/* ---------------------------------------------------------------- 82599 registers */

#define BAR 0xFE000000ull
#define MSIX_TABLE 0x20000u
#define EICR 0x00800u
#define EICS 0x00808u
#define EIAC 0x00810u
#define EIMS 0x00880u
#define EIMC 0x00888u
#define IVAR(n) (0x00900u + 4u * (n))
#define EITR(n) ((n) < 24 ? 0x00820u + 4u * (n) : 0x12300u + 4u * ((n) - 24))
#define MAXFRS 0x04268u
#define MRQC 0x05818u
#define RETA(n) (0x05C00u + 4u * (n))
#define RSSRK(n) (0x05C80u + 4u * (n))
#define RXQ(q) ((q) < 64 ? 0x01000u + 0x40u * (q) : 0x0D000u + 0x40u * ((q) - 64))
#define TXQ(q) (0x06000u + 0x40u * (q))
#define BAL 0x00u
#define BAH 0x04u
#define LEN 0x08u
#define HEAD 0x10u
#define SRRCTL 0x14u
#define TAIL 0x18u
#define DCTL 0x28u
#define ENABLE (1u << 25)
#define FDIRCTRL 0x0EE00u
#define FDIRIPSA 0x0EE18u
#define FDIRIPDA 0x0EE1Cu
#define FDIRPORT 0x0EE20u
#define FDIRHASH 0x0EE28u
#define FDIRCMD 0x0EE2Cu
#define FDIRSIP4M 0x0EE40u
#define FDIRDIP4M 0x0EE3Cu
#define FDIRUDPM 0x0EE48u
#define CTRL 0x00000u

/* Advanced TX data descriptor: DTYP 0011b, DEXT, IFCS, EOP, RS. */
#define TXD_DATA (3u << 20 | 1u << 29 | 1u << 25)
#define TXD_EOP (1u << 24)
#define TXD_RS (1u << 27)

#define MEM_SIZE (UINT64_C(64) << 20)
#define RX_RING 0x100000ull
#define TX_RING 0x200000ull
#define RX_BUF 0x400000ull
#define TX_BUF 0x800000ull
#define BUF 2048u
#define LOG 256u

typedef struct rig {
    sim_t *sim;
    mem_t *mem;
    pcie_t *bus;
    cost_table_t costs;
    nic_t *nic;
    unsigned nirq;
    unsigned irq_core[LOG], irq_vec[LOG];
    sim_time_t irq_at[LOG];
    unsigned ntx;
    size_t tx_len[LOG];
    sim_time_t tx_at[LOG];
    uint8_t tx_data[LOG][64];
} rig_t;

static inline void sink(void *ctx, unsigned core, unsigned vector)
{
    rig_t *r = ctx;
    ck_assert_uint_lt(r->nirq, LOG);
    r->irq_core[r->nirq] = core;
    r->irq_vec[r->nirq] = vector;
    r->irq_at[r->nirq++] = sim_now(r->sim);
}

static inline void wire(void *ctx, const uint8_t *frame, size_t len, sim_time_t t)
{
    rig_t *r = ctx;
    ck_assert_uint_lt(r->ntx, LOG);
    ck_assert_uint_ge(t, sim_now(r->sim));
    r->tx_len[r->ntx] = len;
    r->tx_at[r->ntx] = t;
    memcpy(r->tx_data[r->ntx++], frame, len < 64 ? len : 64);
}

static inline void wr(rig_t *r, uint32_t off, uint32_t v)
{
    pcie_mmio_write(r->bus, BAR + off, v, 4, NULL);
}

static inline uint32_t rd(rig_t *r, uint32_t off)
{
    return (uint32_t)pcie_mmio_read(r->bus, BAR + off, 4, NULL);
}

/* Let posted writes and everything they start run to the end. */
static inline void settle(rig_t *r) { sim_run(r->sim, SIM_TIME_MAX); }

static inline void rig_up_link(rig_t *r, unsigned queues, unsigned gbps, pcie_link_t link)
{
    memset(r, 0, sizeof *r);
    r->sim = sim_create();
    r->mem = mem_create(MEM_SIZE);
    ck_assert_int_eq(cost_table_init(&r->costs, "default"), 0);
    r->bus = pcie_create(r->sim, r->mem, NULL, &r->costs, (irq_sink_t){ sink, r });
    nic_cfg_t cfg = { .queues = queues, .link_gbps = gbps, .bar = BAR, .rid = 0x0300,
                      .pcie = link };
    r->nic = nic_create(r->sim, r->bus, &r->costs, &cfg);
    ck_assert_ptr_nonnull(r->nic);
    nic_set_wire_tx(r->nic, wire, r);
}

static inline void rig_up(rig_t *r, unsigned queues)
{
    rig_up_link(r, queues, 40, (pcie_link_t){ 3, 8 });
}

static inline void rig_down(rig_t *r)
{
    nic_destroy(r->nic);
    pcie_destroy(r->bus);
    mem_destroy(r->mem);
    sim_destroy(r->sim);
}

static inline uint64_t rx_ring(unsigned q) { return RX_RING + q * 0x1000ull; }
static inline uint64_t tx_ring(unsigned q) { return TX_RING + q * 0x1000ull; }
static inline uint64_t rx_buf(unsigned q, unsigned i) { return RX_BUF + (q * 64ull + i) * BUF; }
static inline uint64_t tx_buf(unsigned q, unsigned i) { return TX_BUF + (q * 64ull + i) * BUF; }

/* Post RX descriptor i of queue q (read format: packet buffer, header). */
static inline void rx_post(rig_t *r, unsigned q, unsigned i, uint64_t addr)
{
    mem_write_u64(r->mem, rx_ring(q) + 16 * i, addr);
    mem_write_u64(r->mem, rx_ring(q) + 16 * i + 8, 0);
}

/* A ring of n descriptors (n <= 64), buffers of bkb KiB, tail = posted. */
static inline void rx_setup(rig_t *r, unsigned q, unsigned n, unsigned bkb, unsigned posted)
{
    for (unsigned i = 0; i < n; i++)
        rx_post(r, q, i, rx_buf(q, i));
    wr(r, RXQ(q) + BAL, (uint32_t)rx_ring(q));
    wr(r, RXQ(q) + BAH, 0);
    wr(r, RXQ(q) + LEN, n * 16);
    wr(r, RXQ(q) + SRRCTL, 1u << 25 | bkb);
    wr(r, RXQ(q) + HEAD, 0);
    wr(r, RXQ(q) + TAIL, 0);
    wr(r, RXQ(q) + DCTL, ENABLE);
    wr(r, RXQ(q) + TAIL, posted);
    settle(r);
}

static inline void tx_setup(rig_t *r, unsigned q, unsigned n)
{
    wr(r, TXQ(q) + BAL, (uint32_t)tx_ring(q));
    wr(r, TXQ(q) + BAH, 0);
    wr(r, TXQ(q) + LEN, n * 16);
    wr(r, TXQ(q) + HEAD, 0);
    wr(r, TXQ(q) + TAIL, 0);
    wr(r, TXQ(q) + DCTL, ENABLE);
    settle(r);
}

static inline void tx_desc(rig_t *r, unsigned q, unsigned i, uint64_t addr, uint32_t len, uint32_t cmd)
{
    mem_write_u64(r->mem, tx_ring(q) + 16 * i, addr);
    mem_write_u32(r->mem, tx_ring(q) + 16 * i + 8, TXD_DATA | cmd | len);
    mem_write_u32(r->mem, tx_ring(q) + 16 * i + 12, len << 14); /* PAYLEN */
}

static inline void msix_vector(rig_t *r, unsigned v, unsigned core, unsigned vector)
{
    uint32_t e = MSIX_TABLE + 16 * v;
    wr(r, e + 0, (uint32_t)irq_msi_addr(core));
    wr(r, e + 4, 0);
    wr(r, e + 8, vector);
    wr(r, e + 12, 0); /* unmask */
}

/* ---------------------------------------------------------------- frames */

/* Ethernet + IPv4 + UDP, `total` bytes without FCS (>= 42). */
static inline size_t udp4(uint8_t *f, size_t total, const uint8_t src[4], const uint8_t dst[4],
                   unsigned sport, unsigned dport)
{
    frame_udp4_headers(f, total, src, dst, sport, dport);
    for (size_t i = 42; i < total; i++)
        f[i] = (uint8_t)i;
    return total;
}

static const uint8_t ip_a[4] = { 66, 9, 149, 187 };    /* verification row 1 source */
static const uint8_t ip_b[4] = { 161, 142, 100, 80 };  /* ... destination */
static const uint8_t ms_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};
#define ROW1_L3L4 0x51ccc178u   /* 66.9.149.187:2794 -> 161.142.100.80:1766 */
#define ROW1_L3 0x323e8fc2u

typedef struct shot {
    nic_t *nic;
    uint8_t f[LOG][2048];
    size_t len[LOG];
} shot_t;

static inline void shot_ev(sim_t *sim, void *arg, uint64_t i)
{
    (void)sim;
    shot_t *s = arg;
    nic_wire_rx(s->nic, s->f[i], s->len[i]);
}

/* Deliver frame i of s at time t. */
static inline void at(rig_t *r, shot_t *s, unsigned i, sim_time_t t)
{
    s->nic = r->nic;
    sim_at(r->sim, t, shot_ev, s, i);
}

static inline void rss_on(rig_t *r, uint32_t fields, unsigned nq)
{
    for (unsigned i = 0; i < 10; i++)
        wr(r, RSSRK(i), (uint32_t)ms_key[4 * i] | (uint32_t)ms_key[4 * i + 1] << 8
                            | (uint32_t)ms_key[4 * i + 2] << 16 | (uint32_t)ms_key[4 * i + 3] << 24);
    for (unsigned i = 0; i < 32; i++) { /* entry e = e % nq */
        uint32_t v = 0;
        for (unsigned j = 0; j < 4; j++)
            v |= ((4 * i + j) % nq) << (8 * j);
        wr(r, RETA(i), v);
    }
    wr(r, MRQC, 1u | fields);
    settle(r);
}

static inline uint32_t desc32(rig_t *r, uint64_t ring, unsigned i, unsigned dword)
{
    uint32_t v;
    ck_assert_int_eq(mem_read_u32(r->mem, ring + 16 * i + 4 * dword, &v), 0);
    return v;
}

#endif
