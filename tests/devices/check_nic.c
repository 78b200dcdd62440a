/* tests/devices/check_nic: the 82599-class NIC driven as a driver drives
 * it (devices/nic.h): receive (write-back, multi-buffer frames, full
 * ring, wrap, oversize, DMA faults), the flow director, and register
 * errors and bad configurations.  Transmit and interrupts are
 * check_nic_tx.
 *
 * The test is the driver: it lays descriptor rings and buffers in physical
 * memory, programs registers with posted MMIO writes through the PCIe bus
 * (and reads them back with non-posted reads), programs the MSI-X table in
 * the BAR, and collects interrupts with its own irq sink and transmitted
 * frames with its own wire callback.  No IOMMU is attached: DMA is
 * pass-through.  Register offsets and bit positions are written out in
 * tests/devices/nic_tt.h from the 82599 datasheet (8.2.3), not taken from
 * the NIC's headers.
 * Expected values are worked by hand: the RSS hash from the Microsoft
 * verification table (row 1 of ../shared/reference/toeplitz_vectors.txt),
 * write-back words from the datasheet's bit layout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/mem.h"
#include "devices/nic.h"
#include "devices/pcie.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/nic_tt.h"
#include "tests/frames.h"

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
    tc = tcase_create("regs");
    tcase_add_test(tc, test_unknown_register_is_a_guest_error);
    tcase_add_test(tc, test_create_rejects_bad_config);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(nic_suite)
