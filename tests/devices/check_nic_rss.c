/* tests/devices/check_nic_rss: the RSS Toeplitz hash and queue choice of
 * the NIC (devices/nic.h, devices/nic/rss.c).
 *
 * Expectations are independent of the code under test:
 *   - the 16 verification values of ../shared/reference/toeplitz_vectors.txt
 *     (Microsoft "Verifying the RSS Hash Calculation", also in the 82599
 *     datasheet 7.1.2.8.3), embedded below as transcribed there; the hash
 *     input is SOURCE then DESTINATION (the table lists destination first);
 *   - a real capture, ../shared/traces/tcpreplay_test.pcap (see SOURCES.md
 *     there: 179 Ethernet frames, TCP/UDP/ICMP/IGMP over IPv4, TCP over
 *     IPv6, ARP, MPLS...), injected into NICs of several queue counts; the
 *     test predicts each frame's queue and hash with its own pcap reader,
 *     its own header parser and its own bit-by-bit Toeplitz (one key bit at
 *     a time, no windows or tables), then reads back the descriptors the NIC
 *     wrote, as a driver would.
 * The directory of shared/ can be overridden with PARASIM_SHARED. */
#include <arpa/inet.h>
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

/* ---------------------------------------------------------------- vectors */

static const uint8_t ms_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

typedef struct vec {
    int family;
    const char *dst;
    uint16_t dport;
    const char *src;
    uint16_t sport;
    uint32_t l3, l3l4;
} vec_t;

/* toeplitz_vectors.txt, rows in file order (destination columns first). */
static const vec_t vectors[] = {
    { AF_INET, "161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178 },
    { AF_INET, "65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea },
    { AF_INET, "12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a },
    { AF_INET, "209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f },
    { AF_INET, "202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2 },
    { AF_INET6, "3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5,
      0x40207d3d },
    { AF_INET6, "ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c,
      0xdde51bbf },
    { AF_INET6, "fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf",
      44251, 0x4b61e985, 0x02d1feef },
};

/* Hash input: src | dst [| sport | dport], network order. */
static size_t vec_input(const vec_t *v, bool ports, uint8_t *in)
{
    size_t alen = v->family == AF_INET ? 4 : 16;
    ck_assert_int_eq(inet_pton(v->family, v->src, in), 1);
    ck_assert_int_eq(inet_pton(v->family, v->dst, in + alen), 1);
    size_t n = 2 * alen;
    if (ports) {
        in[n++] = (uint8_t)(v->sport >> 8);
        in[n++] = (uint8_t)v->sport;
        in[n++] = (uint8_t)(v->dport >> 8);
        in[n++] = (uint8_t)v->dport;
    }
    return n;
}

START_TEST(test_toeplitz_matches_all_16_verification_values)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint8_t in[36];
        size_t n = vec_input(&vectors[i], false, in);
        ck_assert_msg(nic_rss_toeplitz(ms_key, sizeof ms_key, in, n) == vectors[i].l3,
                      "row %zu l3", i + 1);
        n = vec_input(&vectors[i], true, in);
        ck_assert_msg(nic_rss_toeplitz(ms_key, sizeof ms_key, in, n) == vectors[i].l3l4,
                      "row %zu l3l4", i + 1);
    }
}
END_TEST

START_TEST(test_toeplitz_worked_example_bytes)
{
    /* The file's worked example for row 1, l3l4. */
    static const uint8_t in[12] = { 0x42, 0x09, 0x95, 0xbb, 0xa1, 0x8e, 0x64, 0x50,
                                    0x0a, 0xea, 0x06, 0xe6 };
    ck_assert_uint_eq(nic_rss_toeplitz(ms_key, sizeof ms_key, in, sizeof in), 0x51ccc178);
    ck_assert_uint_eq(nic_rss_toeplitz(ms_key, sizeof ms_key, in, 0), 0);
}
END_TEST

/* ---------------------------------------------------------------- the test's own model */

/* Toeplitz one bit at a time: bit k of the result for input bit i is key
 * bit i + k. */
static int key_bit(const uint8_t *key, size_t key_len, size_t i)
{
    return i / 8 < key_len ? key[i / 8] >> (7 - i % 8) & 1 : 0;
}

static uint32_t ref_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len)
{
    uint32_t h = 0;
    for (size_t i = 0; i < len * 8; i++) {
        if (!(in[i / 8] >> (7 - i % 8) & 1))
            continue;
        for (int k = 0; k < 32; k++)
            h ^= (uint32_t)key_bit(key, key_len, i + (size_t)k) << (31 - k);
    }
    return h;
}

static unsigned rd16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

typedef struct ref_mode {
    bool tcp4, udp4, ip4, tcp6, udp6, ip6;
} ref_mode_t;

/* Hash input of a frame per the 82599 rules, or 0 when it has none. */
static size_t ref_input(const uint8_t *f, size_t len, const ref_mode_t *m, uint8_t *in)
{
    size_t off = 12;
    if (len < 14)
        return 0;
    unsigned type = rd16(f + off);
    if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
        off += 4;
        type = rd16(f + off);
    }
    off += 2;
    size_t alen, l4off;
    unsigned proto;
    bool frag = false;
    if (type == 0x0800 && len >= off + 20 && f[off] >> 4 == 4 && (f[off] & 15) >= 5
        && len >= off + (size_t)(f[off] & 15) * 4) {
        alen = 4;
        memcpy(in, f + off + 12, 8);
        frag = (rd16(f + off + 6) & 0x3fff) != 0;
        proto = f[off + 9];
        l4off = off + (size_t)(f[off] & 15) * 4;
    } else if (type == 0x86dd && len >= off + 40 && f[off] >> 4 == 6) {
        alen = 16;
        memcpy(in, f + off + 8, 32);
        proto = f[off + 6];
        l4off = off + 40;
        for (int k = 0; k < 4 && (proto == 0 || proto == 43 || proto == 60); k++) {
            if (len < l4off + 2)
                return 0;
            proto = f[l4off];
            l4off += ((size_t)f[l4off + 1] + 1) * 8;
        }
        frag = proto == 44;
    } else {
        return 0;
    }
    bool v4 = alen == 4, ports_ok = !frag && len >= l4off + 4;
    bool four = ports_ok && ((proto == 6 && (v4 ? m->tcp4 : m->tcp6))
                             || (proto == 17 && (v4 ? m->udp4 : m->udp6)));
    if (four) {
        memcpy(in + 2 * alen, f + l4off, 4);
        return 2 * alen + 4;
    }
    return (v4 ? m->ip4 : m->ip6) ? 2 * alen : 0;
}

/* ---------------------------------------------------------------- pcap */

typedef struct pcap_frame {
    const uint8_t *data;
    size_t len;
} pcap_frame_t;

static uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t be = (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
    return swap ? be : le;
}

/* Minimal pcap reader: 24-byte global header (magic a1b2c3d4 or a1b23c4d
 * in either byte order, link type at 20), 16-byte record headers
 * (ts_sec, ts_frac, incl_len, orig_len).  Ethernet (link type 1) only. */
static size_t pcap_load(const char *path, uint8_t **buf, pcap_frame_t *fr, size_t max)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s (set PARASIM_SHARED)", path);
    ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
    long size = ftell(fp);
    ck_assert_int_gt(size, 24);
    rewind(fp);
    *buf = malloc((size_t)size);
    ck_assert_uint_eq(fread(*buf, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    const uint8_t *b = *buf;
    uint32_t magic = rd32(b, false);
    bool swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
    ck_assert(swap || magic == 0xa1b2c3d4u || magic == 0xa1b23c4du);
    ck_assert_uint_eq(rd32(b + 20, swap), 1);
    size_t n = 0, off = 24;
    while (off + 16 <= (size_t)size && n < max) {
        uint32_t incl = rd32(b + off + 8, swap);
        ck_assert_uint_le(off + 16 + incl, (size_t)size);
        fr[n++] = (pcap_frame_t){ b + off + 16, incl };
        off += 16 + incl;
    }
    return n;
}

static const char *shared_dir(void)
{
    const char *d = getenv("PARASIM_SHARED");
    return d ? d : "../shared";
}

/* ---------------------------------------------------------------- a driver */

#define BAR 0xFE000000ull
#define RING_DESC 256u
#define RING_BASE 0x100000ull
#define BUF_BASE 0x1000000ull
#define BUF_SIZE 2048u
#define MAX_FRAMES 512u

typedef struct rig {
    sim_t *sim;
    mem_t *mem;
    pcie_t *bus;
    cost_table_t costs;
    nic_t *nic;
    unsigned nq;
} rig_t;

static void sink(void *ctx, unsigned core, unsigned vector)
{
    (void)ctx;
    (void)core;
    (void)vector;
}

static void wr(rig_t *r, uint32_t off, uint32_t v)
{
    pcie_mmio_write(r->bus, BAR + off, v, 4, NULL);
}

static uint32_t rx_reg(unsigned q, uint32_t r)
{
    return (q < 64 ? 0x01000u + 0x40u * q : 0x0D000u + 0x40u * (q - 64)) + r;
}

static uint64_t ring(unsigned q) { return RING_BASE + (uint64_t)q * RING_DESC * 16; }
static uint64_t buf(unsigned q, unsigned i) { return BUF_BASE + ((uint64_t)q * RING_DESC + i) * BUF_SIZE; }

static void rig_up(rig_t *r, unsigned nq, uint32_t mrqc, const uint8_t *reta)
{
    r->nq = nq;
    r->sim = sim_create();
    r->mem = mem_create(UINT64_C(256) << 20);
    ck_assert_int_eq(cost_table_init(&r->costs, "default"), 0);
    r->bus = pcie_create(r->sim, r->mem, NULL, &r->costs, (irq_sink_t){ sink, NULL });
    nic_cfg_t cfg = { .queues = nq, .link_gbps = 40, .bar = BAR, .rid = 0x0100 };
    r->nic = nic_create(r->sim, r->bus, &r->costs, &cfg);
    ck_assert_ptr_nonnull(r->nic);
    for (unsigned i = 0; i < 10; i++) /* key byte 4i+j in bits 8j+7:8j */
        wr(r, 0x05C80 + 4 * i, (uint32_t)ms_key[4 * i] | (uint32_t)ms_key[4 * i + 1] << 8
                                   | (uint32_t)ms_key[4 * i + 2] << 16 | (uint32_t)ms_key[4 * i + 3] << 24);
    for (unsigned i = 0; i < 32; i++)
        wr(r, 0x05C00 + 4 * i, (uint32_t)reta[4 * i] | (uint32_t)reta[4 * i + 1] << 8
                                   | (uint32_t)reta[4 * i + 2] << 16 | (uint32_t)reta[4 * i + 3] << 24);
    wr(r, 0x05818, mrqc);
    for (unsigned q = 0; q < nq; q++) {
        for (unsigned i = 0; i < RING_DESC; i++) {
            mem_write_u64(r->mem, ring(q) + 16 * i, buf(q, i));
            mem_write_u64(r->mem, ring(q) + 16 * i + 8, 0);
        }
        wr(r, rx_reg(q, 0x00), (uint32_t)ring(q));
        wr(r, rx_reg(q, 0x04), (uint32_t)(ring(q) >> 32));
        wr(r, rx_reg(q, 0x08), RING_DESC * 16);
        wr(r, rx_reg(q, 0x14), 0x02000000u | BUF_SIZE / 1024); /* advanced, 2 KiB */
        wr(r, rx_reg(q, 0x10), 0);
        wr(r, rx_reg(q, 0x18), 0);
        wr(r, rx_reg(q, 0x28), 1u << 25);
        wr(r, rx_reg(q, 0x18), RING_DESC - 1);
    }
    sim_run(r->sim, SIM_TIME_MAX);
}

static void rig_down(rig_t *r)
{
    nic_destroy(r->nic);
    pcie_destroy(r->bus);
    mem_destroy(r->mem);
    sim_destroy(r->sim);
}

typedef struct inject {
    nic_t *nic;
    const pcap_frame_t *fr;
} inject_t;

static void inject_ev(sim_t *sim, void *arg, uint64_t i)
{
    (void)sim;
    inject_t *in = arg;
    nic_wire_rx(in->nic, in->fr[i].data, in->fr[i].len);
}

/* ---------------------------------------------------------------- pcap spread */

typedef struct spread_case {
    unsigned queues;
    uint32_t mrqc;
    ref_mode_t mode;
    const char *what;
} spread_case_t;

#define F_TCP4 (1u << 16)
#define F_IP4 (1u << 17)
#define F_IP6 (1u << 20)
#define F_TCP6 (1u << 21)
#define F_UDP4 (1u << 22)
#define F_UDP6 (1u << 23)

static const spread_case_t spread_cases[] = {
    { 16, 1 | F_TCP4 | F_IP4 | F_IP6 | F_TCP6 | F_UDP4 | F_UDP6,
      { true, true, true, true, true, true }, "16 queues, all fields" },
    { 128, 1 | F_TCP4 | F_IP4 | F_IP6 | F_TCP6 | F_UDP4 | F_UDP6,
      { true, true, true, true, true, true }, "128 queues, all fields" },
    { 5, 1 | F_IP4 | F_IP6, { false, false, true, false, false, true }, "5 queues, addresses only" },
    { 8, 1 | F_TCP4 | F_UDP4, { true, true, false, false, false, false }, "8 queues, IPv4 L4 only" },
};

static void run_spread(const spread_case_t *c)
{
    static pcap_frame_t fr[MAX_FRAMES];
    uint8_t *file = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/traces/tcpreplay_test.pcap", shared_dir());
    size_t n = pcap_load(path, &file, fr, MAX_FRAMES);
    ck_assert_uint_eq(n, 179);

    uint8_t reta[128];
    for (unsigned i = 0; i < 128; i++)
        reta[i] = (uint8_t)((i * 37 + 11) % c->queues); /* an irregular table */
    rig_t r;
    rig_up(&r, c->queues, c->mrqc, reta);

    /* The prediction, per queue, in arrival order. */
    static uint32_t want_hash[128][MAX_FRAMES];
    static size_t want_len[128][MAX_FRAMES];
    unsigned want_n[128] = { 0 };
    for (size_t i = 0; i < n; i++) {
        uint8_t in[36];
        size_t il = ref_input(fr[i].data, fr[i].len, &c->mode, in);
        uint32_t h = il ? ref_toeplitz(ms_key, sizeof ms_key, in, il) : 0;
        unsigned q = il ? reta[h & 127] : 0;
        want_hash[q][want_n[q]] = h;
        want_len[q][want_n[q]++] = fr[i].len;
    }

    inject_t inj = { r.nic, fr };
    sim_time_t t0 = sim_now(r.sim) + SIM_US(1);
    for (size_t i = 0; i < n; i++)
        sim_at(r.sim, t0 + i * SIM_US(1), inject_ev, &inj, i);
    sim_run(r.sim, SIM_TIME_MAX);

    unsigned used = 0;
    for (unsigned q = 0; q < c->queues; q++) {
        const nic_queue_stats_t *s = nic_queue_stats(r.nic, q);
        ck_assert_msg(s->rx_packets == want_n[q], "%s: queue %u got %llu frames, want %u", c->what,
                      q, (unsigned long long)s->rx_packets, want_n[q]);
        used += want_n[q] > 0;
        for (unsigned i = 0; i < want_n[q]; i++) {
            uint32_t st, hash;
            uint16_t len;
            mem_read_u32(r.mem, ring(q) + 16 * i + 8, &st);
            mem_read_u32(r.mem, ring(q) + 16 * i + 4, &hash);
            mem_read_u16(r.mem, ring(q) + 16 * i + 12, &len);
            ck_assert_uint_eq(st & 3, 3); /* DD | EOP */
            ck_assert_msg(hash == want_hash[q][i], "%s: queue %u desc %u hash %08x want %08x",
                          c->what, q, i, hash, want_hash[q][i]);
            ck_assert_uint_eq(len, want_len[q][i]);
        }
    }
    ck_assert_uint_gt(used, c->queues > 8 ? 8 : c->queues / 2); /* it does spread */
    rig_down(&r);
    free(file);
}

START_TEST(test_pcap_frames_land_on_predicted_queues)
{
    run_spread(&spread_cases[_i]);
}
END_TEST

START_TEST(test_pcap_payload_bytes_arrive_intact)
{
    static pcap_frame_t fr[MAX_FRAMES];
    uint8_t *file = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/traces/tcpreplay_test.pcap", shared_dir());
    size_t n = pcap_load(path, &file, fr, MAX_FRAMES);
    uint8_t reta[128] = { 0 }; /* everything to queue 0 */
    rig_t r;
    rig_up(&r, 1, 1 | F_TCP4 | F_IP4, reta);
    inject_t inj = { r.nic, fr };
    for (size_t i = 0; i < n; i++)
        sim_at(r.sim, sim_now(r.sim) + (i + 1) * SIM_US(1), inject_ev, &inj, i);
    sim_run(r.sim, SIM_TIME_MAX);
    ck_assert_uint_eq(nic_queue_stats(r.nic, 0)->rx_packets, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t got[BUF_SIZE];
        mem_read(r.mem, buf(0, (unsigned)i), got, fr[i].len);
        ck_assert_msg(!memcmp(got, fr[i].data, fr[i].len), "frame %zu differs", i);
    }
    rig_down(&r);
    free(file);
}
END_TEST

static Suite *nic_rss_suite(void)
{
    Suite *s = suite_create("nic_rss");
    TCase *tc = tcase_create("toeplitz");
    tcase_add_test(tc, test_toeplitz_matches_all_16_verification_values);
    tcase_add_test(tc, test_toeplitz_worked_example_bytes);
    suite_add_tcase(s, tc);
    tc = tcase_create("pcap");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_pcap_frames_land_on_predicted_queues, 0,
                        (int)(sizeof spread_cases / sizeof spread_cases[0]));
    tcase_add_test(tc, test_pcap_payload_bytes_arrive_intact);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(nic_rss_suite)
