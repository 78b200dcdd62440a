/* tests/e2e/check_replay: load.kind "pcap" and outputs.pcap, end to end
 * with the real captures of ../shared/traces (counts from SOURCES.md).
 *
 * Independent expectations: the NIC's queue for each replayed packet is
 * computed here from the definitions -- the rewrite (destination IPv4
 * address 10.0.0.1, the host's), the Toeplitz hash written bit by bit
 * from Microsoft's RSS specification (the verification key), the input
 * the 82599 hashes (IPv4/IPv6 TCP/UDP 4-tuple, other IP the addresses,
 * fragments the addresses, non-IP no hash: queue 0), and the kernel's
 * round-robin indirection table over the 4 processes' queues.  The
 * capture written back is read with the trace reader and its rewritten
 * headers checked with RFC 1071 sums computed here. */
#include "tests/e2e/e2e.h"

#include "sim/json.h"
#include "traces/pcap.h"

#define NQ 4

static const uint8_t KEY[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};
static const uint8_t HOST_IP[4] = {10, 0, 0, 1};

static const char *shared(void)
{
    const char *s = getenv("PARASIM_SHARED");
    return s && *s ? s : "../shared";
}

/* A config replaying `file` into 4 echo processes; extra JSON members
 * may follow in `load_extra` / `extra`. */
static const char *config(const char *file, const char *load_extra, const char *extra)
{
    char text[3 * PATH_MAX], abs[PATH_MAX], cwd[PATH_MAX / 2];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(abs, sizeof abs, "%s%s%s/traces/%s", shared()[0] == '/' ? "" : cwd,
             shared()[0] == '/' ? "" : "/", shared(), file);
    snprintf(text, sizeof text,
             "{\"machine\": {\"cores\": 4, \"nic\": {\"queues\": 4}},"
             " \"kernel\": {\"kind\": \"parakernel\"},"
             " \"processes\": [{\"app\": \"echo\", \"count\": 4}],"
             " \"load\": {\"kind\": \"pcap\", \"pcap\": {\"file\": \"%s\"%s}}%s}",
             abs, load_extra, extra);
    return tmp_file("replay.json", text);
}

/* Toeplitz, bit by bit (Microsoft, "RSS hashing functions"). */
static uint32_t toeplitz(const uint8_t *in, size_t n)
{
    uint32_t h = 0;
    for (size_t i = 0; i < n * 8; i++) {
        if (!(in[i / 8] & (0x80 >> (i % 8))))
            continue;
        uint32_t k = 0;
        for (int b = 0; b < 32; b++) {
            size_t bit = i + (size_t)b;
            k = k << 1 | ((KEY[bit / 8] >> (7 - bit % 8)) & 1u);
        }
        h ^= k;
    }
    return h;
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* The queue of an Ethernet frame as the host sees it. */
static unsigned queue_of(uint8_t *f, size_t len)
{
    uint8_t in[36];
    size_t n = 0, l4 = 0;
    unsigned proto = 0;
    bool frag = false;
    unsigned type = be16(f + 12);
    if (type == 0x0800 && len >= 34) {
        const uint8_t *ip = f + 14;
        memcpy(in, ip + 12, 4);
        memcpy(in + 4, HOST_IP, 4); /* the replay's rewrite */
        n = 8;
        proto = ip[9];
        frag = (be16(ip + 6) & 0x3fff) != 0;
        l4 = 14 + (size_t)(ip[0] & 15) * 4;
    } else if (type == 0x86dd && len >= 54) {
        memcpy(in, f + 22, 32);
        n = 32;
        proto = f[20];
        l4 = 54;
    } else {
        return 0;
    }
    if (!frag && (proto == 6 || proto == 17) && len >= l4 + 4) {
        memcpy(in + n, f + l4, 4);
        n += 4;
    }
    return (toeplitz(in, n) & 127) % NQ;
}

static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n);
static unsigned fold(uint32_t s);

/* False only for a whole, unfragmented IPv4 TCP segment whose checksum
 * (RFC 793 pseudo-header) does not verify. */
static bool tcp_ok(const uint8_t *f, size_t caplen)
{
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)(ip[2] << 8 | ip[3]);
    if (ip[9] != 6 || caplen < 14 + tot || ((ip[6] << 8 | ip[7]) & 0x3fff) || tot < ihl)
        return true;
    uint32_t s = sum16(0, ip + 12, 8) + 6 + (uint32_t)(tot - ihl);
    return fold(sum16(s, ip + ihl, tot - ihl)) == 0xffff;
}

typedef struct expect {
    unsigned packets, q[NQ];
    unsigned bad_ip_csum;      /* IPv4 headers whose checksum was wrong in the capture */
    unsigned bad_tcp_csum;     /* whole unfragmented IPv4 TCP segments, likewise */
    unsigned fits;             /* Ethernet frames of at most 1514 bytes (the NIC's largest) */
} expect_t;

/* Expected per-queue counts, and more, of one pass over the capture. */
static unsigned expected_queues(const char *file, unsigned q[NQ], expect_t *x)
{
    char path[PATH_MAX], err[256];
    snprintf(path, sizeof path, "%s/traces/%s", shared(), file);
    trace_pcap_t *p = trace_pcap_open(path, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    trace_pkt_t pkt;
    uint8_t f[70000];
    unsigned n = 0;
    memset(q, 0, NQ * sizeof *q);
    while (trace_pcap_next(p, &pkt, err, sizeof err) == 1) {
        int len = trace_pkt_to_ether(&pkt, mac, mac, f, sizeof f);
        ck_assert_int_gt(len, 0);
        q[queue_of(f, (size_t)len)]++;
        n++;
        if (x) {
            x->fits += len <= 1514;
            if (be16(f + 12) == 0x0800) {
                x->bad_ip_csum += fold(sum16(0, f + 14, (size_t)(f[14] & 15) * 4)) != 0xffff;
                x->bad_tcp_csum += !tcp_ok(f, (size_t)len);
            }
        }
    }
    trace_pcap_close(p);
    return n;
}

START_TEST(test_replay_counts_and_rss_spread)
{
    char err[1024];
    ck_assert_int_eq(run(config("tcpreplay_test.pcap", ", \"loop\": 2", ""), "out", err,
                         sizeof err), 0);
    cJSON *r = results("out");
    unsigned q[NQ];
    ck_assert_uint_eq(expected_queues("tcpreplay_test.pcap", q, NULL), 179); /* SOURCES.md */
    ck_assert_int_eq((int)num(r, "requests.replay.packets"), 179);
    ck_assert_int_eq((int)num(r, "requests.replay.sent"), 2 * 179);
    ck_assert_int_eq((int)num(r, "requests.replay.loops"), 2);
    const cJSON *qs = sim_json_at(r, "devices.nic.queues");
    unsigned spread = 0;
    for (unsigned i = 0; i < NQ; i++) {
        const cJSON *e = cJSON_GetArrayItem(qs, (int)i);
        ck_assert_int_eq((int)num(e, "rx_packets"), (int)(2 * q[i]));
        spread += q[i] > 0;
    }
    ck_assert_uint_gt(spread, 1);
    cJSON_Delete(r);
}
END_TEST

/* RFC 1071 sum of 16-bit words. */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += be16(p + i);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static unsigned fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return s;
}

START_TEST(test_capture_holds_rewritten_valid_frames)
{
    char err[1024], cap[PATH_MAX + 16], extra[PATH_MAX + 64];
    snprintf(cap, sizeof cap, "%s/wire.pcap.gz", tmp_dir);
    snprintf(extra, sizeof extra, ", \"outputs\": {\"pcap\": \"%s\"}", cap);
    ck_assert_int_eq(run(config("tcpreplay_test.pcap", "", extra), "out", err, sizeof err), 0);
    cJSON *r = results("out");
    unsigned sent = (unsigned)num(r, "requests.replay.sent");
    unsigned host = (unsigned)num(r, "requests.host_frames");
    trace_pcap_t *p = trace_pcap_open(cap, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    trace_pkt_t pkt;
    unsigned n = 0, to_host = 0, tcp_checked = 0, bad_ip = 0, bad_tcp = 0, q[NQ];
    expect_t x = {0};
    expected_queues("tcpreplay_test.pcap", q, &x);
    while (trace_pcap_next(p, &pkt, err, sizeof err) == 1) {
        n++;
        const uint8_t *f = pkt.data;
        if (memcmp(f, "\x02\0\0\0\0\x01", 6) || be16(f + 12) != 0x0800)
            continue;
        to_host++;
        const uint8_t *ip = f + 14;
        size_t ihl = (size_t)(ip[0] & 15) * 4;
        ck_assert_mem_eq(ip + 16, HOST_IP, 4);
        if (fold(sum16(0, ip, ihl)) != 0xffff) { /* the rewrite keeps a bad one bad */
            bad_ip++;
            continue;
        }
        bad_tcp += !tcp_ok(f, pkt.caplen);
        tcp_checked += ip[9] == 6;
    }
    ck_assert_msg(trace_pcap_stats(p)->records == n, "read error: %s", err);
    trace_pcap_close(p);
    ck_assert_uint_eq(n, sent + host);
    ck_assert_uint_eq(bad_ip, x.bad_ip_csum);
    ck_assert_uint_eq(bad_tcp, x.bad_tcp_csum);
    ck_assert_uint_gt(to_host, 100);
    ck_assert_uint_gt(tcp_checked, 50);
    ck_assert_int_eq((int)num(r, "requests.capture.frames"), (int)n);
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_sll_and_time_scale)
{
    char err[1024];
    /* Linux cooked capture (link type 113), 20 packets */
    ck_assert_int_eq(run(config("tcpdump_mptcp-v1.pcap", ", \"time_scale\": 4", ""), "a", err,
                         sizeof err), 0);
    cJSON *r = results("a");
    unsigned q[NQ];
    expect_t x = {0};
    ck_assert_uint_eq(expected_queues("tcpdump_mptcp-v1.pcap", q, &x), 20); /* SOURCES.md */
    /* Linux captures hold coalesced packets longer than the link's frames */
    ck_assert_int_eq((int)num(r, "requests.replay.sent"), (int)x.fits);
    ck_assert_int_eq((int)num(r, "requests.replay.oversize"), 20 - (int)x.fits);
    ck_assert_int_eq((int)num(r, "requests.replay.unusable"), 0);
    /* the window runs from the first frame's first bit to the last one's
     * last bit: about a quarter of the recorded span (the last frame may
     * be one of the oversize ones), plus at most 20 frames' wire time
     * (1538 B at 40 GbE: 308 ns each) of pacing */
    double span = num(r, "requests.replay.span_ns");
    double t = num(r, "window_ns.to") - num(r, "window_ns.from");
    ck_assert(span > 1000);
    ck_assert_msg(t >= span / 8 && t <= span / 4 + 20 * 308, "window %.0f ns, span %.0f ns", t,
                  span);
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_damaged_capture_is_bad_input)
{
    char src[PATH_MAX], err[1024];
    snprintf(src, sizeof src, "%s/traces/tcpreplay_test.pcap", shared());
    FILE *in = fopen(src, "rb");
    ck_assert_ptr_nonnull(in);
    static uint8_t buf[8192];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    ck_assert_uint_gt(n, 1000);
    char cut[PATH_MAX + 16];
    snprintf(cut, sizeof cut, "%s/cut.pcap", tmp_dir);
    FILE *out = fopen(cut, "wb");
    fwrite(buf, 1, 1000, out); /* mid-record */
    fclose(out);
    char text[PATH_MAX + 400];
    snprintf(text, sizeof text,
             "{\"kernel\": {\"kind\": \"parakernel\"}, \"processes\": [{\"app\": \"echo\"}],"
             " \"load\": {\"kind\": \"pcap\", \"pcap\": {\"file\": \"%s\"}}}", cut);
    ck_assert_int_eq(run(tmp_file("cut.json", text), "out", err, sizeof err), 2);
    ck_assert_msg(strstr(err, "cut.pcap") && strstr(err, "record"), "%s", err);
    ck_assert_msg(!strchr(err, '\n') || strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_replay_counts_and_rss_spread);
    tcase_add_test(tc, test_capture_holds_rewritten_valid_frames);
    tcase_add_test(tc, test_sll_and_time_scale);
    tcase_add_test(tc, test_damaged_capture_is_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(replay_suite)
