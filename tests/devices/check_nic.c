/* tests/devices/check_nic: the 82599-class NIC driven as a driver drives
 * it (devices/nic.h).
 *
 * The test is the driver: it lays descriptor rings and buffers in physical
 * memory, programs registers with posted MMIO writes through the PCIe bus
 * (and reads them back with non-posted reads), programs the MSI-X table in
 * the BAR, and collects interrupts with its own irq sink and transmitted
 * frames with its own wire callback.  No IOMMU is attached: DMA is
 * pass-through.  Register offsets and bit positions are written out here
 * from the 82599 datasheet (8.2.3), not taken from the NIC's headers.
 * Expected values are worked by hand: wire times from (bytes + 20) * 8 /
 * rate, the RSS hash from the Microsoft verification table (row 1 of
 * ../shared/reference/toeplitz_vectors.txt), write-back words from the
 * datasheet's bit layout. */
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
#include "tests/check_main.h"

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

static void sink(void *ctx, unsigned core, unsigned vector)
{
    rig_t *r = ctx;
    ck_assert_uint_lt(r->nirq, LOG);
    r->irq_core[r->nirq] = core;
    r->irq_vec[r->nirq] = vector;
    r->irq_at[r->nirq++] = sim_now(r->sim);
}

static void wire(void *ctx, const uint8_t *frame, size_t len, sim_time_t t)
{
    rig_t *r = ctx;
    ck_assert_uint_lt(r->ntx, LOG);
    ck_assert_uint_ge(t, sim_now(r->sim));
    r->tx_len[r->ntx] = len;
    r->tx_at[r->ntx] = t;
    memcpy(r->tx_data[r->ntx++], frame, len < 64 ? len : 64);
}

static void wr(rig_t *r, uint32_t off, uint32_t v)
{
    pcie_mmio_write(r->bus, BAR + off, v, 4, NULL);
}

static uint32_t rd(rig_t *r, uint32_t off)
{
    return (uint32_t)pcie_mmio_read(r->bus, BAR + off, 4, NULL);
}

/* Let posted writes and everything they start run to the end. */
static void settle(rig_t *r) { sim_run(r->sim, SIM_TIME_MAX); }

static void rig_up_link(rig_t *r, unsigned queues, unsigned gbps, pcie_link_t link)
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

static void rig_up(rig_t *r, unsigned queues)
{
    rig_up_link(r, queues, 40, (pcie_link_t){ 3, 8 });
}

static void rig_down(rig_t *r)
{
    nic_destroy(r->nic);
    pcie_destroy(r->bus);
    mem_destroy(r->mem);
    sim_destroy(r->sim);
}

static uint64_t rx_ring(unsigned q) { return RX_RING + q * 0x1000ull; }
static uint64_t tx_ring(unsigned q) { return TX_RING + q * 0x1000ull; }
static uint64_t rx_buf(unsigned q, unsigned i) { return RX_BUF + (q * 64ull + i) * BUF; }
static uint64_t tx_buf(unsigned q, unsigned i) { return TX_BUF + (q * 64ull + i) * BUF; }

/* Post RX descriptor i of queue q (read format: packet buffer, header). */
static void rx_post(rig_t *r, unsigned q, unsigned i, uint64_t addr)
{
    mem_write_u64(r->mem, rx_ring(q) + 16 * i, addr);
    mem_write_u64(r->mem, rx_ring(q) + 16 * i + 8, 0);
}

/* A ring of n descriptors (n <= 64), buffers of bkb KiB, tail = posted. */
static void rx_setup(rig_t *r, unsigned q, unsigned n, unsigned bkb, unsigned posted)
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

static void tx_setup(rig_t *r, unsigned q, unsigned n)
{
    wr(r, TXQ(q) + BAL, (uint32_t)tx_ring(q));
    wr(r, TXQ(q) + BAH, 0);
    wr(r, TXQ(q) + LEN, n * 16);
    wr(r, TXQ(q) + HEAD, 0);
    wr(r, TXQ(q) + TAIL, 0);
    wr(r, TXQ(q) + DCTL, ENABLE);
    settle(r);
}

static void tx_desc(rig_t *r, unsigned q, unsigned i, uint64_t addr, uint32_t len, uint32_t cmd)
{
    mem_write_u64(r->mem, tx_ring(q) + 16 * i, addr);
    mem_write_u32(r->mem, tx_ring(q) + 16 * i + 8, TXD_DATA | cmd | len);
    mem_write_u32(r->mem, tx_ring(q) + 16 * i + 12, len << 14); /* PAYLEN */
}

static void msix_vector(rig_t *r, unsigned v, unsigned core, unsigned vector)
{
    uint32_t e = MSIX_TABLE + 16 * v;
    wr(r, e + 0, (uint32_t)irq_msi_addr(core));
    wr(r, e + 4, 0);
    wr(r, e + 8, vector);
    wr(r, e + 12, 0); /* unmask */
}

/* ---------------------------------------------------------------- frames */

/* Ethernet + IPv4 + UDP, `total` bytes without FCS (>= 42). */
static size_t udp4(uint8_t *f, size_t total, const uint8_t src[4], const uint8_t dst[4],
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

static void shot_ev(sim_t *sim, void *arg, uint64_t i)
{
    (void)sim;
    shot_t *s = arg;
    nic_wire_rx(s->nic, s->f[i], s->len[i]);
}

/* Deliver frame i of s at time t. */
static void at(rig_t *r, shot_t *s, unsigned i, sim_time_t t)
{
    s->nic = r->nic;
    sim_at(r->sim, t, shot_ev, s, i);
}

static void rss_on(rig_t *r, uint32_t fields, unsigned nq)
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

static uint32_t desc32(rig_t *r, uint64_t ring, unsigned i, unsigned dword)
{
    uint32_t v;
    ck_assert_int_eq(mem_read_u32(r->mem, ring + 16 * i + 4 * dword, &v), 0);
    return v;
}

/* ---------------------------------------------------------------- RX */

START_TEST(test_rx_writeback_exact_values)
{
    rig_t r;
    static shot_t s;
    rig_up(&r, 4);
    rss_on(&r, 1u << 22 /* UDP over IPv4 */, 4);
    rx_setup(&r, 0, 8, 2, 7);
    rx_setup(&r, 1, 8, 2, 7);
    rx_setup(&r, 2, 8, 2, 7);
    rx_setup(&r, 3, 8, 2, 7);
    s.len[0] = udp4(s.f[0], 100, ip_a, ip_b, 2794, 1766);
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    unsigned q = ROW1_L3L4 & 127 & 3; /* RETA[i] = i % 4 */
    ck_assert_uint_eq(nic_queue_stats(r.nic, q)->rx_packets, 1);
    /* pkt_info: RSS type 7 (UDP/IPv4) | IPv4 0x10 | UDP 0x200. */
    ck_assert_uint_eq(desc32(&r, rx_ring(q), 0, 0), 0x217);
    ck_assert_uint_eq(desc32(&r, rx_ring(q), 0, 1), ROW1_L3L4);
    ck_assert_uint_eq(desc32(&r, rx_ring(q), 0, 2), 0x3); /* DD | EOP */
    ck_assert_uint_eq(desc32(&r, rx_ring(q), 0, 3), 100); /* length, VLAN 0 */
    uint8_t got[100];
    mem_read(r.mem, rx_buf(q, 0), got, 100);
    ck_assert_mem_eq(got, s.f[0], 100);
    ck_assert_uint_eq(rd(&r, RXQ(q) + HEAD), 1);
    ck_assert_uint_eq(desc32(&r, rx_ring(q), 1, 2), 0); /* untouched */

    /* Addresses-only hashing of a TCP-less frame: type 2, the l3 value. */
    wr(&r, MRQC, 1u | 1u << 17);
    s.len[1] = udp4(s.f[1], 60, ip_a, ip_b, 2794, 1766);
    at(&r, &s, 1, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    unsigned q2 = ROW1_L3 & 127 & 3;
    unsigned i2 = q2 == q ? 1 : 0;
    ck_assert_uint_eq(desc32(&r, rx_ring(q2), i2, 0), 0x212);
    ck_assert_uint_eq(desc32(&r, rx_ring(q2), i2, 1), ROW1_L3);
    rig_down(&r);
}
END_TEST

START_TEST(test_rx_frame_spans_buffers_with_eop_on_last)
{
    rig_t r;
    static shot_t s;
    rig_up(&r, 1);
    rx_setup(&r, 0, 8, 1, 7); /* 1 KiB buffers */
    s.len[0] = udp4(s.f[0], 1514, ip_a, ip_b, 1, 2);
    at(&r, &s, 0, SIM_US(10));
    settle(&r);
    ck_assert_uint_eq(desc32(&r, rx_ring(0), 0, 2), 0x1);  /* DD only */
    ck_assert_uint_eq(desc32(&r, rx_ring(0), 0, 3), 1024);
    ck_assert_uint_eq(desc32(&r, rx_ring(0), 1, 2), 0x3);  /* DD | EOP */
    ck_assert_uint_eq(desc32(&r, rx_ring(0), 1, 3), 490);
    ck_assert_uint_eq(desc32(&r, rx_ring(0), 0, 1), 0);    /* RSS off: no hash */
    uint8_t got[1514];
    mem_read(r.mem, rx_buf(0, 0), got, 1024);
    mem_read(r.mem, rx_buf(0, 1), got + 1024, 490);
    ck_assert_mem_eq(got, s.f[0], 1514);
    ck_assert_uint_eq(rd(&r, RXQ(0) + HEAD), 2);
    rig_down(&r);
}
END_TEST

START_TEST(test_rx_full_ring_drops_are_counted)
{
    rig_t r;
    static shot_t s;
    rig_up(&r, 1);
    rx_setup(&r, 0, 8, 2, 7); /* 7 of 8 descriptors for the device */
    for (unsigned i = 0; i < 10; i++) {
        s.len[i] = udp4(s.f[i], 64, ip_a, ip_b, 1000 + i, 7);
        at(&r, &s, i, SIM_US(1) * (i + 1));
    }
    settle(&r);
    const nic_queue_stats_t *st = nic_queue_stats(r.nic, 0);
    ck_assert_uint_eq(st->rx_packets, 7);
    ck_assert_uint_eq(st->rx_drops[NIC_DROP_NO_DESC], 3);
    ck_assert_uint_eq(rd(&r, RXQ(0) + HEAD), 7); /* head caught up with tail */
    ck_assert_uint_eq(rd(&r, RXQ(0) + TAIL), 7);
    /* The 8th descriptor was never the device's. */
    ck_assert_uint_eq(desc32(&r, rx_ring(0), 7, 2), 0);
    rig_down(&r);
}
END_TEST

START_TEST(test_rx_ring_wraps_around)
{
    rig_t r;
    static shot_t s;
    rig_up(&r, 1);
    rx_setup(&r, 0, 8, 2, 7);
    unsigned tail = 7;
    /* 20 frames, the driver reposts each descriptor after reading it. */
    for (unsigned i = 0; i < 20; i++) {
        s.len[i] = udp4(s.f[i], 64 + i, ip_a, ip_b, 5000 + i, 7);
        at(&r, &s, i, sim_now(r.sim) + SIM_US(2));
        settle(&r);
        unsigned idx = i % 8;
        ck_assert_uint_eq(desc32(&r, rx_ring(0), idx, 2), 0x3);
        ck_assert_uint_eq(desc32(&r, rx_ring(0), idx, 3), 64 + i);
        uint8_t got[2];
        mem_read(r.mem, rx_buf(0, idx) + 34, got, 2); /* UDP source port */
        ck_assert_uint_eq((unsigned)got[0] << 8 | got[1], 5000 + i);
        ck_assert_uint_eq(rd(&r, RXQ(0) + HEAD), (i + 1) % 8);
        rx_post(&r, 0, idx, rx_buf(0, idx));
        tail = (tail + 1) % 8;
        wr(&r, RXQ(0) + TAIL, tail);
        settle(&r);
    }
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_packets, 20);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_drops[NIC_DROP_NO_DESC], 0);
    rig_down(&r);
}
END_TEST

START_TEST(test_rx_oversize_dropped_vlan_allowance)
{
    rig_t r;
    static shot_t s;
    rig_up(&r, 1);
    rx_setup(&r, 0, 8, 2, 7);
    s.len[0] = udp4(s.f[0], 1514, ip_a, ip_b, 1, 2); /* 1518 with FCS: fits */
    s.len[1] = udp4(s.f[1], 1515, ip_a, ip_b, 1, 2); /* 1519: too long */
    /* 1522 with FCS and an 802.1Q tag: allowed. */
    s.len[2] = 1518;
    memcpy(s.f[2], s.f[0], 12);
    frame_put16(s.f[2] + 12, 0x8100);
    frame_put16(s.f[2] + 14, 5);
    memcpy(s.f[2] + 16, s.f[0] + 12, 1502);
    for (unsigned i = 0; i < 3; i++)
        at(&r, &s, i, SIM_US(1) * (i + 1));
    settle(&r);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_packets, 2);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_drops[NIC_DROP_OVERSIZE], 1);
    /* MAXFRS.MFS (bits 31:16) reads the configured 1518 and can be raised. */
    ck_assert_uint_eq(rd(&r, MAXFRS) >> 16, 1518);
    wr(&r, MAXFRS, 9018u << 16);
    at(&r, &s, 1, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_packets, 3);
    rig_down(&r);
}
END_TEST

START_TEST(test_rx_dma_fault_drops_and_keeps_descriptor)
{
    rig_t r;
    static shot_t s;
    rig_up(&r, 1);
    rx_setup(&r, 0, 8, 2, 0);
    rx_post(&r, 0, 0, MEM_SIZE + 0x1000); /* outside physical memory */
    wr(&r, RXQ(0) + TAIL, 1);
    settle(&r);
    s.len[0] = udp4(s.f[0], 64, ip_a, ip_b, 1, 2);
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(2));
    settle(&r);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_drops[NIC_DROP_IOMMU], 2);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_packets, 0);
    ck_assert_uint_eq(rd(&r, RXQ(0) + HEAD), 0); /* not consumed */
    ck_assert_uint_eq(desc32(&r, rx_ring(0), 0, 2), 0);
    rig_down(&r);
}
END_TEST

/* ---------------------------------------------------------------- flow director */

static void fdir_add(rig_t *r, const uint8_t src[4], const uint8_t dst[4], unsigned sport,
                     unsigned dport, unsigned queue, bool drop, unsigned swidx)
{
    wr(r, FDIRIPSA, (uint32_t)src[0] << 24 | src[1] << 16 | src[2] << 8 | src[3]);
    wr(r, FDIRIPDA, (uint32_t)dst[0] << 24 | dst[1] << 16 | dst[2] << 8 | dst[3]);
    wr(r, FDIRPORT, dport << 16 | sport);
    wr(r, FDIRHASH, swidx << 16);
    /* ADD | L4 UDP (01b << 5) | drop (bit 9) | queue enable | queue */
    wr(r, FDIRCMD, 1u | 1u << 5 | (drop ? 1u << 9 : 0) | 1u << 15 | queue << 16);
    settle(r);
}

static void fdir_remove(rig_t *r, const uint8_t src[4], const uint8_t dst[4], unsigned sport,
                        unsigned dport)
{
    wr(r, FDIRIPSA, (uint32_t)src[0] << 24 | src[1] << 16 | src[2] << 8 | src[3]);
    wr(r, FDIRIPDA, (uint32_t)dst[0] << 24 | dst[1] << 16 | dst[2] << 8 | dst[3]);
    wr(r, FDIRPORT, dport << 16 | sport);
    wr(r, FDIRCMD, 2u | 1u << 5);
    settle(r);
}

static unsigned last_queue(rig_t *r, unsigned nq, uint64_t before[])
{
    unsigned q = nq;
    for (unsigned i = 0; i < nq; i++) {
        uint64_t n = nic_queue_stats(r->nic, i)->rx_packets;
        if (n != before[i]) {
            ck_assert_uint_eq(q, nq); /* exactly one queue moved */
            q = i;
        }
        before[i] = n;
    }
    return q;
}

START_TEST(test_fdir_precedence_over_rss_and_drop)
{
    rig_t r;
    static shot_t s;
    uint64_t seen[8] = { 0 };
    rig_up(&r, 8);
    rss_on(&r, 1u << 22, 8);
    for (unsigned q = 0; q < 8; q++)
        rx_setup(&r, q, 16, 2, 15);
    wr(&r, FDIRCTRL, 3u | 1u << 4 | 6u << 8); /* 256K, perfect match, drop queue 6 */
    settle(&r);
    s.len[0] = udp4(s.f[0], 64, ip_a, ip_b, 2794, 1766);
    unsigned rss_q = ROW1_L3L4 & 127 & 7;
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_eq(last_queue(&r, 8, seen), rss_q);

    unsigned fq = (rss_q + 3) % 8;
    fdir_add(&r, ip_a, ip_b, 2794, 1766, fq, false, 42);
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_eq(last_queue(&r, 8, seen), fq);
    /* Write-back: FLM (bit 2) with DD|EOP, filter index in place of the hash. */
    ck_assert_uint_eq(desc32(&r, rx_ring(fq), 0, 2), 0x7);
    ck_assert_uint_eq(desc32(&r, rx_ring(fq), 0, 1), 42);

    /* Another flow (other source port) still follows RSS. */
    s.len[1] = udp4(s.f[1], 64, ip_a, ip_b, 2795, 1766);
    at(&r, &s, 1, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_ne(last_queue(&r, 8, seen), 8);

    /* Drop action: counted on FDIRCTRL's drop queue, nothing delivered. */
    fdir_add(&r, ip_a, ip_b, 2794, 1766, 0, true, 43);
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_eq(last_queue(&r, 8, seen), 8);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 6)->rx_drops[NIC_DROP_FILTER], 1);

    /* Removed: back to RSS. */
    fdir_remove(&r, ip_a, ip_b, 2794, 1766);
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_eq(last_queue(&r, 8, seen), rss_q);
    ck_assert_uint_eq(nic_stats(r.nic)->guest_errors, 0);
    rig_down(&r);
}
END_TEST

START_TEST(test_fdir_masked_filter_steers_a_port)
{
    rig_t r;
    static shot_t s;
    uint64_t seen[4] = { 0 };
    rig_up(&r, 4);
    rss_on(&r, 1u << 22, 4);
    for (unsigned q = 0; q < 4; q++)
        rx_setup(&r, q, 64, 2, 63);
    wr(&r, FDIRCTRL, 1u | 1u << 4);
    wr(&r, FDIRSIP4M, 0xFFFFFFFFu); /* ignore the source address */
    wr(&r, FDIRDIP4M, 0);
    wr(&r, FDIRUDPM, 0x0000FFFFu); /* ignore the source port */
    settle(&r);
    static const uint8_t any[4] = { 0, 0, 0, 0 };
    fdir_add(&r, any, ip_b, 0, 53, 2, false, 1);
    for (unsigned i = 0; i < 40; i++) {
        uint8_t src[4] = { 10, 0, (uint8_t)i, (uint8_t)(i * 7) };
        s.len[i] = udp4(s.f[i], 64, src, ip_b, 1024 + 17 * i, 53);
        at(&r, &s, i, sim_now(r.sim) + SIM_US(1) * (i + 1));
    }
    settle(&r);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 2)->rx_packets, 40);
    last_queue(&r, 4, seen);
    /* A different destination port is not matched. */
    s.len[0] = udp4(s.f[0], 64, ip_a, ip_b, 1, 54);
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_eq(nic_stats(r.nic)->fdir_match, 40);
    ck_assert_uint_eq(nic_stats(r.nic)->fdir_miss, 1);
    rig_down(&r);
}
END_TEST

/* ---------------------------------------------------------------- TX */

typedef struct rate_case {
    unsigned gbps;
    sim_time_t t64, t1518; /* ps: (64 + 20) * 8 / rate, (1518 + 20) * 8 / rate */
} rate_case_t;

static const rate_case_t rates[] = {
    { 10, 67200, 1230400 },
    { 25, 26880, 492160 },
    { 40, 16800, 307600 },
    { 100, 6720, 123040 },
    { 400, 1680, 30760 },
};

START_TEST(test_tx_wire_time_at_every_rate)
{
    const rate_case_t *c = &rates[_i];
    ck_assert_uint_eq(nic_wire_time(c->gbps, 60), c->t64);
    ck_assert_uint_eq(nic_wire_time(c->gbps, 1514), c->t1518);
    ck_assert_uint_eq(nic_wire_time(c->gbps, 20), c->t64); /* padded to 64 */
    /* Back to back on a real queue: frames leave exactly one wire time
     * apart (PCIe Gen5 x16 so the bus outpaces even 400 GbE). */
    rig_t r;
    rig_up_link(&r, 1, c->gbps, (pcie_link_t){ 5, 16 });
    tx_setup(&r, 0, 16);
    static uint8_t f[1514];
    for (unsigned i = 0; i < 8; i++) {
        size_t len = i < 4 ? 60 : 1514;
        udp4(f, len, ip_a, ip_b, 100 + i, 7);
        mem_write(r.mem, tx_buf(0, i), f, len);
        tx_desc(&r, 0, i, tx_buf(0, i), (uint32_t)len, TXD_EOP | TXD_RS);
    }
    wr(&r, TXQ(0) + TAIL, 4);
    settle(&r);
    wr(&r, TXQ(0) + TAIL, 8);
    settle(&r);
    ck_assert_uint_eq(r.ntx, 8);
    for (unsigned i = 1; i < 4; i++)
        ck_assert_uint_eq(r.tx_at[i] - r.tx_at[i - 1], c->t64);
    for (unsigned i = 5; i < 8; i++)
        ck_assert_uint_eq(r.tx_at[i] - r.tx_at[i - 1], c->t1518);
    ck_assert_uint_eq(r.tx_len[0], 60);
    ck_assert_uint_eq(r.tx_len[7], 1514);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->tx_packets, 8);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->tx_bytes, 4 * 60 + 4 * 1514);
    rig_down(&r);
}
END_TEST

START_TEST(test_tx_dd_writeback_only_with_rs_and_head_moves)
{
    rig_t r;
    rig_up(&r, 2);
    tx_setup(&r, 1, 8);
    uint8_t f[64];
    /* A two-descriptor packet (RS on its last), then one without RS, then one with. */
    udp4(f, 64, ip_a, ip_b, 1, 2);
    mem_write(r.mem, tx_buf(1, 0), f, 40);
    mem_write(r.mem, tx_buf(1, 1), f + 40, 24);
    tx_desc(&r, 1, 0, tx_buf(1, 0), 40, 0);
    tx_desc(&r, 1, 1, tx_buf(1, 1), 24, TXD_EOP | TXD_RS);
    mem_write(r.mem, tx_buf(1, 2), f, 64);
    tx_desc(&r, 1, 2, tx_buf(1, 2), 64, TXD_EOP);
    tx_desc(&r, 1, 3, tx_buf(1, 2), 64, TXD_EOP | TXD_RS);
    wr(&r, TXQ(1) + TAIL, 4);
    settle(&r);
    ck_assert_uint_eq(r.ntx, 3);
    ck_assert_uint_eq(r.tx_len[0], 64);
    ck_assert_mem_eq(r.tx_data[0], f, 64); /* gathered from two buffers */
    /* No RS: untouched.  RS: advanced write-back format, bytes 0-11
     * reserved (0) and the status dword DD. */
    ck_assert_uint_eq(desc32(&r, tx_ring(1), 0, 0), (uint32_t)tx_buf(1, 0));
    ck_assert_uint_eq(desc32(&r, tx_ring(1), 0, 3), 40u << 14);
    for (unsigned d = 0; d < 3; d++)
        ck_assert_uint_eq(desc32(&r, tx_ring(1), 1, d), 0);
    ck_assert_uint_eq(desc32(&r, tx_ring(1), 1, 3), 0x1);
    ck_assert_uint_eq(desc32(&r, tx_ring(1), 2, 3), 64u << 14);
    ck_assert_uint_eq(desc32(&r, tx_ring(1), 3, 3), 0x1);
    ck_assert_uint_eq(rd(&r, TXQ(1) + HEAD), 4);
    /* Wrap: 6 more packets through the 8-entry ring. */
    for (unsigned i = 4; i < 10; i++)
        tx_desc(&r, 1, i % 8, tx_buf(1, 2), 64, TXD_EOP | TXD_RS);
    wr(&r, TXQ(1) + TAIL, 10 % 8);
    settle(&r);
    ck_assert_uint_eq(r.ntx, 9);
    ck_assert_uint_eq(rd(&r, TXQ(1) + HEAD), 2);
    ck_assert_uint_eq(desc32(&r, tx_ring(1), 1, 3), 0x1);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 1)->tx_errors, 0);
    rig_down(&r);
}
END_TEST

START_TEST(test_tx_short_frame_padded_to_minimum)
{
    rig_t r;
    rig_up(&r, 1);
    tx_setup(&r, 0, 8);
    uint8_t f[42];
    udp4(f, 42, ip_a, ip_b, 1, 2);
    mem_write(r.mem, tx_buf(0, 0), f, 42);
    tx_desc(&r, 0, 0, tx_buf(0, 0), 42, TXD_EOP | TXD_RS);
    wr(&r, TXQ(0) + TAIL, 1);
    settle(&r);
    ck_assert_uint_eq(r.ntx, 1);
    ck_assert_uint_eq(r.tx_len[0], 60);
    ck_assert_mem_eq(r.tx_data[0], f, 42);
    static const uint8_t zero[18];
    ck_assert_mem_eq(r.tx_data[0] + 42, zero, 18);
    rig_down(&r);
}
END_TEST

/* ---------------------------------------------------------------- interrupts */

START_TEST(test_interrupt_moderation_spaces_interrupts)
{
    rig_t r;
    static shot_t s;
    rig_up(&r, 4); /* 5 MSI-X vectors */
    rx_setup(&r, 0, 64, 2, 63);
    msix_vector(&r, 3, 2, 0x41); /* MSI-X entry 3 -> core 2, vector 0x41 */
    wr(&r, IVAR(0), 0x83u);      /* RX queue 0 -> entry 3, valid */
    wr(&r, EITR(3), 5u << 3);    /* interval field 5 * 2 us = 10 us */
    wr(&r, EIAC, 1u << 3);
    wr(&r, EIMS, 1u << 3);
    settle(&r);
    sim_time_t t0 = sim_now(r.sim) + SIM_US(100);
    for (unsigned i = 0; i < 50; i++) { /* one frame per microsecond */
        s.len[i] = udp4(s.f[i], 64, ip_a, ip_b, i, 9);
        at(&r, &s, i, t0 + SIM_US(1) * i);
    }
    settle(&r);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_packets, 50);
    /* Frames span 49 us: interrupts at ~0, 10, 20, 30, 40, 50 us. */
    ck_assert_uint_eq(r.nirq, 6);
    for (unsigned i = 0; i < r.nirq; i++) {
        ck_assert_uint_eq(r.irq_core[i], 2);
        ck_assert_uint_eq(r.irq_vec[i], 0x41);
    }
    /* The first follows the first frame within a microsecond; the rest
     * come exactly one interval apart. */
    ck_assert_uint_gt(r.irq_at[0], t0);
    ck_assert_uint_lt(r.irq_at[0], t0 + SIM_US(1));
    for (unsigned i = 1; i < r.nirq; i++)
        ck_assert_uint_eq(r.irq_at[i] - r.irq_at[i - 1], SIM_US(10));
    /* Without moderation every frame interrupts. */
    wr(&r, EITR(3), 0);
    settle(&r);
    unsigned before = r.nirq;
    sim_time_t t1 = sim_now(r.sim) + SIM_US(100);
    for (unsigned i = 0; i < 5; i++)
        at(&r, &s, i, t1 + SIM_US(1) * i);
    settle(&r);
    ck_assert_uint_eq(r.nirq - before, 5);
    rig_down(&r);
}
END_TEST

START_TEST(test_interrupt_masked_then_enabled_is_delivered)
{
    rig_t r;
    static shot_t s;
    rig_up(&r, 1);
    rx_setup(&r, 0, 8, 2, 7);
    msix_vector(&r, 0, 0, 0x30);
    wr(&r, IVAR(0), 0x80u); /* RX queue 0 -> vector 0 */
    wr(&r, EIAC, 1u);
    settle(&r);
    s.len[0] = udp4(s.f[0], 64, ip_a, ip_b, 1, 2);
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_eq(r.nirq, 0);
    ck_assert_uint_eq(rd(&r, EICR) & 1, 1); /* pending cause */
    wr(&r, EIMS, 1u);
    settle(&r);
    ck_assert_uint_eq(r.nirq, 1);
    ck_assert_uint_eq(r.irq_vec[0], 0x30);
    ck_assert_uint_eq(rd(&r, EICR) & 1, 0); /* auto-cleared */
    /* EIMC masks again: no interrupt for the next frame. */
    wr(&r, EIMC, 1u);
    at(&r, &s, 0, sim_now(r.sim) + SIM_US(1));
    settle(&r);
    ck_assert_uint_eq(r.nirq, 1);
    /* Software-raised cause (EICS) with the vector enabled. */
    wr(&r, EICR, 1u);
    wr(&r, EIMS, 1u);
    wr(&r, EICS, 1u);
    settle(&r);
    ck_assert_uint_eq(r.nirq, 2);
    rig_down(&r);
}
END_TEST

START_TEST(test_tx_completion_interrupt)
{
    rig_t r;
    rig_up(&r, 1);
    tx_setup(&r, 0, 8);
    msix_vector(&r, 1, 3, 0x50);
    wr(&r, IVAR(0), 0x81u << 8); /* TX queue 0 -> vector 1 */
    wr(&r, EIMS, 2u);
    settle(&r);
    uint8_t f[64];
    udp4(f, 64, ip_a, ip_b, 1, 2);
    mem_write(r.mem, tx_buf(0, 0), f, 64);
    tx_desc(&r, 0, 0, tx_buf(0, 0), 64, TXD_EOP); /* no RS: no interrupt */
    wr(&r, TXQ(0) + TAIL, 1);
    settle(&r);
    ck_assert_uint_eq(r.nirq, 0);
    tx_desc(&r, 0, 1, tx_buf(0, 0), 64, TXD_EOP | TXD_RS);
    wr(&r, TXQ(0) + TAIL, 2);
    settle(&r);
    ck_assert_uint_eq(r.nirq, 1);
    ck_assert_uint_eq(r.irq_core[0], 3);
    ck_assert_uint_eq(r.irq_vec[0], 0x50);
    rig_down(&r);
}
END_TEST

/* ---------------------------------------------------------------- registers */

START_TEST(test_unknown_register_is_a_guest_error)
{
    rig_t r;
    rig_up(&r, 2);
    ck_assert_uint_eq(rd(&r, 0x1FFF0), 0);
    wr(&r, 0x1FFF0, 5);
    wr(&r, RXQ(5) + BAL, 0x1000); /* queue 5 does not exist */
    settle(&r);
    ck_assert_uint_eq(nic_stats(r.nic)->guest_errors, 3);
    /* Ring registers read back (RDBAL 128-byte aligned). */
    wr(&r, RXQ(1) + BAL, 0x12345);
    wr(&r, RXQ(1) + LEN, 4096);
    wr(&r, RSSRK(3), 0xA1B2C3D4u);
    ck_assert_uint_eq(rd(&r, RXQ(1) + BAL), 0x12300);
    ck_assert_uint_eq(rd(&r, RXQ(1) + LEN), 4096);
    ck_assert_uint_eq(rd(&r, RSSRK(3)), 0xA1B2C3D4u);
    /* CTRL.RST puts registers back to their reset values. */
    wr(&r, CTRL, 1u << 26);
    ck_assert_uint_eq(rd(&r, RXQ(1) + BAL), 0);
    ck_assert_uint_eq(rd(&r, RSSRK(3)), 0);
    ck_assert_uint_eq(rd(&r, RXQ(1) + SRRCTL), 2); /* 2 KiB default */
    rig_down(&r);
}
END_TEST

START_TEST(test_create_rejects_bad_config)
{
    sim_t *sim = sim_create();
    mem_t *mem = mem_create(MEM_SIZE);
    cost_table_t costs;
    cost_table_init(&costs, "default");
    pcie_t *bus = pcie_create(sim, mem, NULL, &costs, (irq_sink_t){ sink, NULL });
    static const nic_cfg_t bad[] = {
        { .queues = 0, .link_gbps = 40, .bar = BAR },
        { .queues = 129, .link_gbps = 40, .bar = BAR },
        { .queues = 4, .link_gbps = 50, .bar = BAR },
        { .queues = 4, .link_gbps = 40, .bar = BAR, .max_frame = 63 },
        { .queues = 4, .link_gbps = 40, .bar = BAR, .msix_vectors = 65 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_ptr_null(nic_create(sim, bus, &costs, &bad[i]));
    nic_cfg_t ok = { .queues = 128, .link_gbps = 400, .bar = BAR };
    nic_t *n = nic_create(sim, bus, &costs, &ok);
    ck_assert_ptr_nonnull(n);
    ck_assert_ptr_nonnull(nic_queue_stats(n, 127));
    ck_assert_ptr_null(nic_queue_stats(n, 128));
    nic_destroy(n);
    pcie_destroy(bus);
    mem_destroy(mem);
    sim_destroy(sim);
}
END_TEST

static Suite *nic_suite(void)
{
    Suite *s = suite_create("nic");
    TCase *tc = tcase_create("rx");
    tcase_add_test(tc, test_rx_writeback_exact_values);
    tcase_add_test(tc, test_rx_frame_spans_buffers_with_eop_on_last);
    tcase_add_test(tc, test_rx_full_ring_drops_are_counted);
    tcase_add_test(tc, test_rx_ring_wraps_around);
    tcase_add_test(tc, test_rx_oversize_dropped_vlan_allowance);
    tcase_add_test(tc, test_rx_dma_fault_drops_and_keeps_descriptor);
    suite_add_tcase(s, tc);
    tc = tcase_create("fdir");
    tcase_add_test(tc, test_fdir_precedence_over_rss_and_drop);
    tcase_add_test(tc, test_fdir_masked_filter_steers_a_port);
    suite_add_tcase(s, tc);
    tc = tcase_create("tx");
    tcase_add_loop_test(tc, test_tx_wire_time_at_every_rate, 0, (int)(sizeof rates / sizeof rates[0]));
    tcase_add_test(tc, test_tx_dd_writeback_only_with_rs_and_head_moves);
    tcase_add_test(tc, test_tx_short_frame_padded_to_minimum);
    suite_add_tcase(s, tc);
    tc = tcase_create("irq");
    tcase_add_test(tc, test_interrupt_moderation_spaces_interrupts);
    tcase_add_test(tc, test_interrupt_masked_then_enabled_is_delivered);
    tcase_add_test(tc, test_tx_completion_interrupt);
    suite_add_tcase(s, tc);
    tc = tcase_create("regs");
    tcase_add_test(tc, test_unknown_register_is_a_guest_error);
    tcase_add_test(tc, test_create_rejects_bad_config);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(nic_suite)
