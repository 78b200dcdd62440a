/* The NIC driver (kernel/drv_nic.c) through the real 82599-class model:
 * RSS programming (RETA spread over the queues of the processes that
 * receive traffic, read back from the device), frames landing in the RX
 * ring an independent Toeplitz computation predicts, the RX view (shadow
 * and posted count), the refill path and its ring-full rule, the TX path
 * to the wire and its completion, one doorbell per queue per batch, Flow
 * Director steering, and interrupts only for a waiting process.
 *
 * Expectations come from the specs, not from the driver: the RETA is the
 * round robin kernel/drv_nic.c documents over the queue ids boot.c
 * documents (contiguous, plan order); hashes from nic_rss_toeplitz (the
 * bit-serial definition, itself checked here against the Microsoft RSS
 * verification vector); descriptor fields from the 82599 datasheet 7.1.6.2
 * (write-back: status DD bit 0, EOP bit 1, FLM bit 2; length at byte 12;
 * RSS hash or filter index at byte 4). */
#include "tests/frames.h"
#include "tests/check_main.h"

#include "devices/nic.h"
#include "devices/pcie.h"
#include "tests/kernel/kharness.h"

#define NPROC 4u
#define NQ 2u
#define BUF 2048u
#define RSS_KEY_LEN 40u
#define RETA_OFF 0x05C00u  /* 82599 8.2.3.7.15 */
#define RDT_OFF(q) (0x01000u + 0x40u * (q) + 0x18u)
#define TDT_OFF(q) (0x06000u + 0x40u * (q) + 0x18u)
#define IVAR_OFF(n) (0x00900u + 4u * (n))
#define WB_DD 1u
#define WB_EOP 2u
#define WB_FLM 4u

static kh_t h;

/* ---------------------------------------------------------------- wire */

static struct {
    unsigned frames;
    size_t len;
    uint8_t bytes[2048];
} wire;

static void wire_cb(void *ctx, const uint8_t *frame, size_t len, sim_time_t t_last_bit)
{
    (void)ctx;
    (void)t_last_bit;
    wire.frames++;
    wire.len = len;
    memcpy(wire.bytes, frame, len < sizeof wire.bytes ? len : sizeof wire.bytes);
}

static void setup(void)
{
    ck_assert_msg(kh_init(&h, NULL) == 0, "%s", h.err);
    kh_plan(&h, NPROC, NQ, 0);
    h.plan.procs[2].rx_traffic = false; /* a sender only */
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
    memset(&wire, 0, sizeof wire);
    nic_set_wire_tx(h.m.nic, wire_cb, NULL);
}

static void teardown(void)
{
    kh_fini(&h);
}

/* ---------------------------------------------------------------- helpers */

static struct pk_info info(unsigned pid)
{
    struct pk_info in;
    ck_assert_int_eq(kh_info(&h, pid, &in), 0);
    return in;
}

static uint32_t nic_reg(uint32_t off)
{
    sim_time_t ps;
    return (uint32_t)pcie_mmio_read(h.m.bus, MACHINE_NIC_BAR + off, 4, &ps);
}

static uint32_t rd32(uint64_t pa)
{
    uint32_t v = 0;
    kh_read(&h, pa, &v, sizeof v);
    return v;
}

/* The queues RSS spreads over: boot.c gives process i the NIC queues
 * [2i, 2i + 1] (contiguous, plan order); those of rx_traffic processes. */
static unsigned rss_list(unsigned *list)
{
    unsigned n = 0;
    for (unsigned p = 0; p < NPROC; p++)
        for (unsigned k = 0; h.plan.procs[p].rx_traffic && k < NQ; k++)
            list[n++] = p * NQ + k;
    return n;
}

/* Ethernet + IPv4 + UDP, `total` bytes without FCS (>= 42). */
static size_t udp4(uint8_t *f, size_t total, const uint8_t src[4], const uint8_t dst[4],
                   unsigned sport, unsigned dport)
{
    frame_udp4_headers(f, total, src, dst, sport, dport);
    for (size_t i = 42; i < total; i++)
        f[i] = (uint8_t)(i * 7 + sport);
    return total;
}

static const uint8_t ip_a[4] = {66, 9, 149, 187};   /* RSS verification row 1 */
static const uint8_t ip_b[4] = {161, 142, 100, 80};

/* Toeplitz over the IPv4 4-tuple, network order (RSS spec). */
static uint32_t hash4(const uint8_t src[4], const uint8_t dst[4], unsigned sport, unsigned dport)
{
    uint8_t in[12];
    memcpy(in, src, 4);
    memcpy(in + 4, dst, 4);
    frame_put16(in + 8, sport);
    frame_put16(in + 10, dport);
    return nic_rss_toeplitz(kh_rss_key, RSS_KEY_LEN, in, sizeof in);
}

static unsigned predict(uint32_t hash)
{
    unsigned list[NPROC * NQ], n = rss_list(list);
    return list[(hash & 127) % n];
}

/* Buffer k of the process's queue index qi, in its heap. */
static uint64_t buf_addr(unsigned pid, unsigned qi, unsigned k)
{
    return info(pid).heap_base + ((uint64_t)qi * 512 + k) * BUF;
}

/* NET_RX_REFILL n buffers (from `first`) on queue index qi in one call. */
static int refill(unsigned pid, unsigned qi, unsigned first, unsigned n)
{
    struct pk_info in = info(pid);
    for (unsigned k = 0; k < n; k++) {
        struct pk_sqe s = {.opcode = PK_OP_NET_RX_REFILL, .queue = in.nic_queue[qi],
                           .addr = buf_addr(pid, qi, first + k), .len = BUF, .user_data = k};
        ck_assert_int_eq(kh_sq_push(&h, pid, &s), 0);
    }
    return kh_enter(&h, pid, n, 0, 0);
}

/* The process's queue index for device queue q. */
static unsigned qindex(unsigned pid, unsigned q)
{
    struct pk_info in = info(pid);
    for (unsigned k = 0; k < in.nic_queues; k++)
        if (in.nic_queue[k] == q)
            return k;
    ck_abort_msg("queue %u is not process %u's", q, pid);
    return 0;
}

/* ---------------------------------------------------------------- RSS */

START_TEST(test_queue_ids_are_contiguous_in_plan_order)
{
    for (unsigned p = 0; p < NPROC; p++) {
        struct pk_info in = info(p);
        ck_assert_uint_eq(in.nic_queues, NQ);
        for (unsigned k = 0; k < NQ; k++)
            ck_assert_uint_eq(in.nic_queue[k], p * NQ + k);
        ck_assert_uint_eq(in.rx_entries, h.plan.rx_entries);
        ck_assert_uint_eq(in.rx_buf_min, BUF);
    }
}
END_TEST

START_TEST(test_reta_spreads_round_robin_over_rx_traffic_queues)
{
    unsigned list[NPROC * NQ], n = rss_list(list);
    ck_assert_uint_eq(n, 6); /* process 2 receives nothing */
    for (unsigned r = 0; r < 32; r++) {
        uint32_t v = nic_reg(RETA_OFF + 4 * r);
        for (unsigned j = 0; j < 4; j++) {
            unsigned e = 4 * r + j, q = (v >> (8 * j)) & 0x7F;
            ck_assert_msg(q == list[e % n], "RETA[%u] = %u, want %u", e, q, list[e % n]);
            ck_assert_uint_ne(q, 4); /* process 2's queues never appear */
            ck_assert_uint_ne(q, 5);
        }
    }
    /* MRQC: RSS enabled (MRQE 0001b) with the UDP/TCP 4-tuple fields. */
    uint32_t mrqc = nic_reg(0x05818);
    ck_assert_uint_eq(mrqc & 0xF, 1);
    ck_assert_uint_eq(mrqc & (1u << 22), 1u << 22); /* IPv4 UDP */
    ck_assert_uint_eq(mrqc & (1u << 16), 1u << 16); /* IPv4 TCP */
    /* the key, byte 0 in RSSRK[0] bits 7:0 */
    ck_assert_uint_eq(nic_reg(0x05C80), 0xda565a6du);
}
END_TEST

START_TEST(test_each_queue_pair_interrupts_its_owners_core)
{
    for (unsigned q = 0; q < NPROC * NQ; q++) {
        uint32_t v = nic_reg(IVAR_OFF(q / 2)) >> (16 * (q & 1));
        ck_assert_uint_eq(v & 0x80, 0x80);              /* RX valid */
        ck_assert_uint_eq((v >> 8) & 0x80, 0x80);       /* TX valid */
        ck_assert_uint_eq(v & 0x3F, (v >> 8) & 0x3F);   /* same vector */
        /* its MSI-X entry (16 B at BAR + 0x20000): a message to the owner's
         * core (devices/irq.h MSI format), CPU vector 0x40 + queue index */
        uint32_t e = 0x20000u + 16u * (v & 0x3F);
        unsigned owner = q / NQ;
        ck_assert_uint_eq(nic_reg(e), 0xFEE00000u | kh_core(&h, owner) << 12);
        ck_assert_uint_eq(nic_reg(e + 8), 0x40u + q % NQ);
    }
}
END_TEST

START_TEST(test_toeplitz_reference_vector)
{
    /* Microsoft RSS verification suite, IPv4 with ports, row 1. */
    ck_assert_uint_eq(hash4(ip_a, ip_b, 2794, 1766), 0x51ccc178u);
}
END_TEST

START_TEST(test_udp_frames_land_where_toeplitz_predicts)
{
    for (unsigned p = 0; p < NPROC; p++)
        for (unsigned k = 0; k < NQ; k++)
            ck_assert_int_eq(refill(p, k, 0, 32), 32);
    kh_run_for(&h, SIM_US(2));
    enum { N = 40 };
    static uint8_t f[N][128];
    size_t len[N];
    unsigned q[N], slot[N], used[NPROC * NQ] = {0};
    uint32_t hash[N];
    for (unsigned i = 0; i < N; i++) {
        unsigned sport = 1024 + 37 * i, dport = 4000 + (i % 3);
        len[i] = udp4(f[i], 64 + i, ip_a, ip_b, sport, dport);
        hash[i] = hash4(ip_a, ip_b, sport, dport);
        q[i] = predict(hash[i]);
        slot[i] = used[q[i]]++;
        nic_wire_rx(h.m.nic, f[i], len[i]);
        kh_run_for(&h, SIM_NS(200));
    }
    kh_run_for(&h, SIM_US(20));
    ck_assert_uint_eq(used[4] + used[5], 0);
    for (unsigned i = 0; i < N; i++) {
        unsigned pid = q[i] / NQ, qi = qindex(pid, q[i]);
        struct pk_info in = info(pid);
        uint64_t d = in.rx_ring[qi] + (uint64_t)slot[i] * PK_RXD_BYTES;
        ck_assert_uint_eq(rd32(d + PK_RXD_STATUS) & (WB_DD | WB_EOP), WB_DD | WB_EOP);
        ck_assert_uint_eq(rd32(d + PK_RXD_LEN) & 0xFFFF, len[i]);
        ck_assert_uint_eq(rd32(d + PK_RXD_HASH), hash[i]);
        uint64_t buf = 0;
        kh_read(&h, in.rx_shadow[qi] + PK_RXV_SHADOW + slot[i] * 8u, &buf, 8);
        ck_assert_uint_eq(buf, buf_addr(pid, qi, slot[i]));
        uint8_t got[128];
        kh_read(&h, buf, got, len[i]);
        ck_assert_mem_eq(got, f[i], len[i]);
    }
    /* nothing beyond: the next slot of every ring is still the device's */
    for (unsigned qq = 0; qq < NPROC * NQ; qq++) {
        unsigned pid = qq / NQ, qi = qindex(pid, qq);
        struct pk_info in = info(pid);
        ck_assert_uint_eq(rd32(in.rx_shadow[qi] + PK_RXV_POSTED), 32);
        ck_assert_uint_eq(rd32(in.rx_ring[qi] + used[qq] * 16u + PK_RXD_STATUS) & WB_DD, 0);
        ck_assert_uint_eq(nic_queue_stats(h.m.nic, qq)->rx_packets, used[qq]);
    }
}
END_TEST

/* ---------------------------------------------------------------- refill */

START_TEST(test_rx_ring_keeps_one_slot_empty)
{
    unsigned e = h.plan.rx_entries; /* 256: 255 buffers at most */
    unsigned posted = 0;
    while (posted < e - 1) {
        unsigned n = e - 1 - posted < 64 ? e - 1 - posted : 64;
        ck_assert_int_eq(refill(0, 0, posted, n), (int)n);
        posted += n;
    }
    ck_assert_uint_eq(kh_cq_ready(&h, 0), 0); /* accepted refills complete never */
    ck_assert_int_eq(refill(0, 0, posted, 1), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), 0);
    ck_assert_int_eq(c.res, -PK_EAGAIN);
    kh_run_for(&h, SIM_US(2));
    ck_assert_uint_eq(nic_reg(RDT_OFF(0)), e - 1);
    /* one frame consumes slot 0: the kernel sees its DD and takes another */
    uint8_t f[64];
    unsigned sport = 1;
    while (predict(hash4(ip_a, ip_b, sport, 9)) != 0)
        sport++;
    nic_wire_rx(h.m.nic, f, udp4(f, sizeof f, ip_a, ip_b, sport, 9));
    kh_run_for(&h, SIM_US(10));
    ck_assert_int_eq(refill(0, 0, posted, 1), 1);
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), -1); /* no refusal this time */
    kh_run_for(&h, SIM_US(2));
    ck_assert_uint_eq(nic_reg(RDT_OFF(0)), 0); /* wrapped: slot e - 1 posted */
    ck_assert_uint_eq(rd32(info(0).rx_shadow[0] + PK_RXV_POSTED), e);
}
END_TEST

START_TEST(test_one_doorbell_per_queue_per_batch)
{
    struct pk_info in = info(1);
    uint64_t frame = in.heap_base + (UINT64_C(4) << 20);
    for (unsigned k = 0; k < 4; k++) {
        struct pk_sqe s = {.opcode = PK_OP_NET_RX_REFILL, .queue = in.nic_queue[0],
                           .addr = buf_addr(1, 0, k), .len = BUF};
        ck_assert_int_eq(kh_sq_push(&h, 1, &s), 0);
    }
    for (unsigned k = 0; k < 2; k++) {
        struct pk_sqe s = {.opcode = PK_OP_NET_RX_REFILL, .queue = in.nic_queue[1],
                           .addr = buf_addr(1, 1, k), .len = BUF};
        ck_assert_int_eq(kh_sq_push(&h, 1, &s), 0);
    }
    uint8_t f[100];
    kh_write(&h, frame, f, udp4(f, sizeof f, ip_b, ip_a, 7, 7));
    for (unsigned k = 0; k < 3; k++) {
        struct pk_sqe s = {.opcode = PK_OP_NET_TX, .queue = in.nic_queue[0], .addr = frame,
                           .len = sizeof f, .user_data = 50 + k};
        ck_assert_int_eq(kh_sq_push(&h, 1, &s), 0);
    }
    ck_assert_int_eq(kh_enter(&h, 1, 9, 0, 0), 9);
    const k_proc_stats_t *st = k_proc_stats(1);
    ck_assert_uint_eq(st->descs_written, 9);
    ck_assert_uint_eq(st->doorbells, 3); /* RDT q2, RDT q3, TDT q2 */
    ck_assert_uint_eq(st->batches, 1);
    kh_run_for(&h, SIM_US(2));
    ck_assert_uint_eq(nic_reg(RDT_OFF(in.nic_queue[0])), 4);
    ck_assert_uint_eq(nic_reg(RDT_OFF(in.nic_queue[1])), 2);
    ck_assert_uint_eq(nic_reg(TDT_OFF(in.nic_queue[0])), 3);
    ck_assert_int_eq(kh_enter(&h, 1, 0, 0, 0), 0); /* nothing posted: no doorbell */
    ck_assert_uint_eq(st->doorbells, 3);
    ck_assert_uint_eq(k_proc_stats(0)->doorbells, 0);
}
END_TEST

/* ---------------------------------------------------------------- transmit */

START_TEST(test_tx_frame_reaches_the_wire_and_completes)
{
    struct pk_info in = info(2);
    uint64_t at = in.heap_base + 4096;
    uint8_t f[300];
    size_t len = udp4(f, sizeof f, ip_b, ip_a, 5555, 6666);
    kh_write(&h, at, f, len);
    struct pk_sqe s = {.opcode = PK_OP_NET_TX, .queue = in.nic_queue[1], .addr = at,
                       .len = (uint32_t)len, .user_data = 0xabcdef};
    ck_assert_int_eq(kh_submit(&h, 2, &s), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_wait_cqe(&h, 2, &c, sim_now(h.sim) + SIM_US(50)), 0);
    ck_assert_uint_eq(c.user_data, 0xabcdef);
    ck_assert_int_eq(c.res, (int32_t)len);
    ck_assert_uint_eq(c.flags & 0xff, PK_OP_NET_TX);
    ck_assert_uint_eq(wire.frames, 1);
    ck_assert_uint_eq(wire.len, len);
    ck_assert_mem_eq(wire.bytes, f, len);
    ck_assert_uint_eq(nic_queue_stats(h.m.nic, in.nic_queue[1])->tx_packets, 1);
    ck_assert_int_eq(kh_cq_pop(&h, 2, &c), -1); /* exactly one completion */
}
END_TEST

START_TEST(test_tx_completions_in_order_across_a_batch)
{
    struct pk_info in = info(0);
    uint8_t f[80];
    size_t len = udp4(f, sizeof f, ip_b, ip_a, 1, 2);
    for (unsigned k = 0; k < 20; k++) {
        uint64_t at = in.heap_base + k * 128u;
        f[60] = (uint8_t)k;
        kh_write(&h, at, f, len);
        struct pk_sqe s = {.opcode = PK_OP_NET_TX, .queue = in.nic_queue[0], .addr = at,
                           .len = (uint32_t)len, .user_data = 1000 + k};
        ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    }
    ck_assert_int_eq(kh_enter(&h, 0, 20, 0, 0), 20);
    for (unsigned k = 0; k < 20; k++) {
        struct pk_cqe c;
        ck_assert_int_eq(kh_wait_cqe(&h, 0, &c, sim_now(h.sim) + SIM_US(50)), 0);
        ck_assert_uint_eq(c.user_data, 1000 + k);
        ck_assert_int_eq(c.res, (int32_t)len);
    }
    ck_assert_uint_eq(wire.frames, 20);
    ck_assert_uint_eq(wire.bytes[60], 19); /* the last one sent last */
}
END_TEST

/* ---------------------------------------------------------------- Flow Director */

static int steer(unsigned pid, unsigned q, uint8_t match, unsigned dport)
{
    struct pk_sqe s = {.opcode = PK_OP_FLOW_STEER, .queue = (uint16_t)q, .user_data = 77};
    s.u.flow = (struct pk_flow){.ip_version = 4, .proto = 17, .match = match,
                                .dst_port = (uint16_t)dport};
    ck_assert_int_eq(kh_submit(&h, pid, &s), 1);
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, pid, &c), 0);
    return c.res;
}

START_TEST(test_flow_steer_overrides_rss)
{
    ck_assert_int_eq(refill(3, 1, 0, 8), 8);
    ck_assert_int_eq(refill(0, 0, 0, 8), 8);
    ck_assert_int_eq(refill(0, 1, 0, 8), 8);
    kh_run_for(&h, SIM_US(2));
    struct pk_info in = info(3);
    ck_assert_int_eq(steer(3, in.nic_queue[1], PK_FLOW_DST_PORT, 9999), 0); /* rule id 0 */
    ck_assert_int_eq(steer(3, in.nic_queue[1], PK_FLOW_DST_PORT, 9998), 1);
    /* one mask for all filters (82599): a rule on other fields is refused */
    ck_assert_int_eq(steer(3, in.nic_queue[1], PK_FLOW_SRC_PORT, 1), -PK_EINVAL);
    ck_assert_int_eq(steer(3, info(0).nic_queue[0], PK_FLOW_DST_PORT, 1), -PK_ESTEER);
    unsigned sport = 1;
    while (predict(hash4(ip_a, ip_b, sport, 9999)) == in.nic_queue[1])
        sport++;
    uint8_t f[64];
    nic_wire_rx(h.m.nic, f, udp4(f, sizeof f, ip_a, ip_b, sport, 9999));
    kh_run_for(&h, SIM_US(10));
    uint32_t st = rd32(in.rx_ring[1] + PK_RXD_STATUS);
    ck_assert_uint_eq(st & (WB_DD | WB_FLM), WB_DD | WB_FLM);
    ck_assert_uint_eq(rd32(in.rx_ring[1] + PK_RXD_HASH), 0); /* the rule's index */
    ck_assert_uint_eq(nic_queue_stats(h.m.nic, in.nic_queue[1])->rx_packets, 1);
}
END_TEST

/* ---------------------------------------------------------------- interrupts */

START_TEST(test_interrupt_wakes_only_a_waiting_process)
{
    ck_assert_int_eq(refill(0, 0, 0, 8), 8);
    ck_assert_int_eq(refill(0, 1, 0, 8), 8);
    ck_assert_int_eq(refill(1, 0, 0, 8), 8);
    ck_assert_int_eq(refill(1, 1, 0, 8), 8);
    kh_run_for(&h, SIM_US(2));
    uint64_t irqs = k_stats()->irqs;
    /* process 1 polls: a frame for it raises no interrupt */
    unsigned sport = 1;
    while (predict(hash4(ip_a, ip_b, sport, 53)) / NQ != 1)
        sport++;
    uint8_t f[64];
    nic_wire_rx(h.m.nic, f, udp4(f, sizeof f, ip_a, ip_b, sport, 53));
    kh_run_for(&h, SIM_US(20));
    ck_assert_uint_eq(k_stats()->irqs, irqs);
    /* process 0 waits, with nothing pending: it blocks */
    ck_assert_int_eq(kh_enter(&h, 0, 0, 1, PK_ENTER_WAIT), 0);
    ck_assert(machine_take_wait(&h.m, kh_core(&h, 0)));
    ck_assert_uint_eq(k_proc_stats(0)->waits, 1);
    sport = 1;
    while (predict(hash4(ip_a, ip_b, sport, 53)) / NQ != 0)
        sport++;
    nic_wire_rx(h.m.nic, f, udp4(f, sizeof f, ip_a, ip_b, sport, 53));
    kh_run_for(&h, SIM_US(20));
    ck_assert_uint_gt(k_stats()->irqs, irqs);
    ck_assert(machine_take_wake(&h.m, kh_core(&h, 0)));
    ck_assert_uint_eq(k_proc_stats(0)->wakeups, 1);
    ck_assert(!machine_take_wake(&h.m, kh_core(&h, 1)));
}
END_TEST

START_TEST(test_tx_completion_interrupt_fills_the_cq_of_a_waiter)
{
    struct pk_info in = info(0);
    uint8_t f[64];
    kh_write(&h, in.heap_base, f, udp4(f, sizeof f, ip_b, ip_a, 3, 4));
    struct pk_sqe s = {.opcode = PK_OP_NET_TX, .queue = in.nic_queue[0], .addr = in.heap_base,
                       .len = sizeof f, .user_data = 9};
    ck_assert_int_eq(kh_sq_push(&h, 0, &s), 0);
    ck_assert_int_eq(kh_enter(&h, 0, 1, 1, PK_ENTER_WAIT), 1);
    ck_assert(machine_take_wait(&h.m, kh_core(&h, 0)));
    kh_run_for(&h, SIM_US(20));
    ck_assert(machine_take_wake(&h.m, kh_core(&h, 0)));
    struct pk_cqe c;
    ck_assert_int_eq(kh_cq_pop(&h, 0, &c), 0); /* harvested by the handler */
    ck_assert_uint_eq(c.user_data, 9);
    ck_assert_int_eq(c.res, (int32_t)sizeof f);
}
END_TEST

START_TEST(test_frame_before_wait_is_not_lost)
{
    /* Receive readiness is edge-triggered (drv_nic.c): a frame that landed
     * since the kernel last looked keeps a wait from blocking, once. */
    ck_assert_int_eq(refill(0, 0, 0, 8), 8);
    ck_assert_int_eq(refill(0, 1, 0, 8), 8);
    kh_run_for(&h, SIM_US(2));
    unsigned sport = 1;
    while (predict(hash4(ip_a, ip_b, sport, 80)) / NQ != 0)
        sport++;
    uint8_t f[64];
    nic_wire_rx(h.m.nic, f, udp4(f, sizeof f, ip_a, ip_b, sport, 80));
    kh_run_for(&h, SIM_US(20));
    ck_assert_int_eq(kh_enter(&h, 0, 0, 1, PK_ENTER_WAIT), 0);
    ck_assert(!machine_take_wait(&h.m, kh_core(&h, 0)));
    ck_assert_int_eq(kh_enter(&h, 0, 0, 1, PK_ENTER_WAIT), 0);
    ck_assert(machine_take_wait(&h.m, kh_core(&h, 0)));
}
END_TEST

/* A table smaller than the queues: each process keeps one vector, the
 * spare one goes to the first process's second queue, the others share. */
START_TEST(test_few_vectors_are_shared_within_a_process)
{
    kh_fini(&h);
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    cfg.nic.msix_vectors = NPROC + 1;
    ck_assert_msg(kh_init(&h, &cfg) == 0, "%s", h.err);
    kh_plan(&h, NPROC, NQ, 0);
    ck_assert_msg(kh_boot(&h) == 0, "%s", h.err);
    unsigned vec[NPROC * NQ];
    for (unsigned q = 0; q < NPROC * NQ; q++)
        vec[q] = (nic_reg(IVAR_OFF(q / 2)) >> (16 * (q & 1))) & 0x3F;
    ck_assert_uint_ne(vec[0], vec[1]);
    for (unsigned p = 1; p < NPROC; p++)
        ck_assert_uint_eq(vec[p * NQ], vec[p * NQ + 1]);
    for (unsigned p = 0; p < NPROC; p++)
        for (unsigned r = p + 1; r < NPROC; r++)
            ck_assert_uint_ne(vec[p * NQ], vec[r * NQ]);
    /* the shared vector still wakes its process for either queue */
    ck_assert_int_eq(refill(1, 1, 0, 4), 4);
    kh_run_for(&h, SIM_US(2));
    ck_assert_int_eq(kh_enter(&h, 1, 0, 1, PK_ENTER_WAIT), 0);
    ck_assert(machine_take_wait(&h.m, kh_core(&h, 1)));
    unsigned sport = 1;
    while (predict(hash4(ip_a, ip_b, sport, 53)) != NQ + 1)
        sport++;
    uint8_t f[64];
    nic_wire_rx(h.m.nic, f, udp4(f, sizeof f, ip_a, ip_b, sport, 53));
    kh_run_for(&h, SIM_US(20));
    ck_assert(machine_take_wake(&h.m, kh_core(&h, 1)));
}
END_TEST

START_TEST(test_fewer_vectors_than_processes_is_refused)
{
    kh_fini(&h);
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    cfg.nic.msix_vectors = NPROC - 1;
    ck_assert_msg(kh_init(&h, &cfg) == 0, "%s", h.err);
    kh_plan(&h, NPROC, NQ, 0);
    ck_assert_int_eq(kh_boot(&h), -1);
    ck_assert_ptr_nonnull(strstr(h.err, "MSI-X"));
}
END_TEST

static Suite *drv_nic_suite(void)
{
    Suite *s = suite_create("kernel_drv_nic");
    TCase *rss = tcase_create("rss");
    tcase_add_checked_fixture(rss, setup, teardown);
    tcase_add_test(rss, test_queue_ids_are_contiguous_in_plan_order);
    tcase_add_test(rss, test_reta_spreads_round_robin_over_rx_traffic_queues);
    tcase_add_test(rss, test_each_queue_pair_interrupts_its_owners_core);
    tcase_add_test(rss, test_toeplitz_reference_vector);
    tcase_add_test(rss, test_udp_frames_land_where_toeplitz_predicts);
    suite_add_tcase(s, rss);
    TCase *ring = tcase_create("rings");
    tcase_add_checked_fixture(ring, setup, teardown);
    tcase_add_test(ring, test_rx_ring_keeps_one_slot_empty);
    tcase_add_test(ring, test_one_doorbell_per_queue_per_batch);
    tcase_add_test(ring, test_tx_frame_reaches_the_wire_and_completes);
    tcase_add_test(ring, test_tx_completions_in_order_across_a_batch);
    suite_add_tcase(s, ring);
    TCase *fd = tcase_create("steer");
    tcase_add_checked_fixture(fd, setup, teardown);
    tcase_add_test(fd, test_flow_steer_overrides_rss);
    suite_add_tcase(s, fd);
    TCase *irq = tcase_create("interrupts");
    tcase_add_checked_fixture(irq, setup, teardown);
    tcase_add_test(irq, test_interrupt_wakes_only_a_waiting_process);
    tcase_add_test(irq, test_tx_completion_interrupt_fills_the_cq_of_a_waiter);
    tcase_add_test(irq, test_frame_before_wait_is_not_lost);
    tcase_add_test(irq, test_few_vectors_are_shared_within_a_process);
    tcase_add_test(irq, test_fewer_vectors_than_processes_is_refused);
    suite_add_tcase(s, irq);
    return s;
}

CHECK_MAIN(drv_nic_suite)
