/* tests/devices/check_nic_tx: the 82599-class NIC driven as a driver drives
 * it (devices/nic.h): transmit (wire time at every rate, DD write-back
 * only with RS, head movement, padding of short frames) and interrupts
 * (moderation, masking, TX completion).  Receive, the flow director and
 * register errors are check_nic.
 *
 * The test is the driver: it lays descriptor rings and buffers in physical
 * memory, programs registers with posted MMIO writes through the PCIe bus
 * (and reads them back with non-posted reads), programs the MSI-X table in
 * the BAR, and collects interrupts with its own irq sink and transmitted
 * frames with its own wire callback.  No IOMMU is attached: DMA is
 * pass-through.  Register offsets and bit positions are written out in
 * tests/devices/nic_tt.h from the 82599 datasheet (8.2.3), not taken from
 * the NIC's headers.
 * Expected values are worked by hand: wire times from (bytes + 20) * 8 /
 * rate, interrupt spacing from the EITR interval field (2 us units), write-back words from the
 * datasheet's bit layout. */
#include <stdint.h>
#include <string.h>

#include "devices/mem.h"
#include "devices/nic.h"
#include "devices/pcie.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/nic_tt.h"

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

static Suite *nic_tx_suite(void)
{
    Suite *s = suite_create("nic_tx");
    TCase *tc = tcase_create("tx");
    tcase_add_loop_test(tc, test_tx_wire_time_at_every_rate, 0, (int)(sizeof rates / sizeof rates[0]));
    tcase_add_test(tc, test_tx_dd_writeback_only_with_rs_and_head_moves);
    tcase_add_test(tc, test_tx_short_frame_padded_to_minimum);
    suite_add_tcase(s, tc);
    tc = tcase_create("irq");
    tcase_add_test(tc, test_interrupt_moderation_spaces_interrupts);
    tcase_add_test(tc, test_interrupt_masked_then_enabled_is_delivered);
    tcase_add_test(tc, test_tx_completion_interrupt);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(nic_tx_suite)
