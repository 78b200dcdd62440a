/* tests/traces/check_pcap: traces/pcap on the real captures of
 * ../shared/traces (SOURCES.md there lists their packet counts and link
 * types, taken with capinfos).
 *
 * Expectations are independent of the reader:
 *   - packet counts and link types from SOURCES.md;
 *   - every record's lengths, bytes and timestamp from a walk of the raw
 *     file done here with plain stdio (24-byte header, 16-byte record
 *     headers; pcapng blocks by their length), the picoseconds computed
 *     from the raw seconds and µs/ns fields;
 *   - RSS spread: a Toeplitz hash written here from the Microsoft
 *     definition, checked first against every row of
 *     ../shared/reference/toeplitz_vectors.txt (parsed at run time), then
 *     applied to the IPv4 packets of tcpreplay_test.pcap through a
 *     128-entry RETA filled round-robin over 4 queues (82599: queue =
 *     RETA[hash & 0x7f]); the NIC model's own nic_rss_toeplitz() must give
 *     the same hashes;
 *   - gzip: the same captures compressed here with zlib read the same
 *     packets; cut or damaged .gz files and cut pcaps are errors naming
 *     the file, the record and the offset computed from the raw walk. */
#include "tests/check_main.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "devices/nic.h"
#include "tests/traces/tt.h"
#include "traces/pcap.h"

static char err[512];

typedef struct real {
    const char *name;
    uint64_t packets;
    uint32_t linktype;
    bool ng;
} real_t;

/* SOURCES.md */
static const real_t reals[] = {
    {"tcpdump_print-flags.pcap", 10, 1, false},
    {"tcpdump_ssh.pcap", 54, 1, false},
    {"tcpdump_mptcp-v1.pcap", 20, 113, false},
    {"tcpdump_dns_tcp.pcap", 11, 1, false},
    {"tcpdump_LINKTYPE_IPV6.pcap", 1, 229, false},
    {"tcpdump_tcp-handshake-nano.pcap", 3, 113, false},
    {"tcpdump_OSPFv2_Capture_FINAL.pcapng", 30, 1, true},
    {"tcpreplay_test.pcap", 179, 1, false},
};
#define N_REALS (sizeof reals / sizeof reals[0])

/* ---------------------------------------------------------------- raw walk */

typedef struct raw_rec {
    uint64_t off;          /* record (block) offset in the file */
    int64_t sec;
    uint64_t psec;
    uint32_t incl, orig;
    const uint8_t *data;
} raw_rec_t;

#define RAW_MAX 256u

/* Classic pcap, little-endian only (all the real files are): records into
 * r, the count returned. */
static size_t raw_pcap(const uint8_t *b, size_t len, raw_rec_t *r)
{
    uint32_t magic = tt_le32(b);
    ck_assert(magic == 0xa1b2c3d4u || magic == 0xa1b23c4du);
    uint64_t unit = magic == 0xa1b23c4du ? 1000u : 1000000u; /* ps per fraction tick */
    size_t n = 0, off = 24;
    while (off + 16 <= len) {
        ck_assert_uint_lt(n, RAW_MAX);
        uint32_t incl = tt_le32(b + off + 8);
        r[n] = (raw_rec_t){off, tt_le32(b + off), tt_le32(b + off + 4) * unit, incl,
                           tt_le32(b + off + 12), b + off + 16};
        off += 16 + incl;
        n++;
    }
    ck_assert_uint_eq(off, len);
    return n;
}

/* pcapng, little-endian, one interface of resolution 10^-6 (SOURCES.md):
 * the EPBs. */
static size_t raw_pcapng(const uint8_t *b, size_t len, raw_rec_t *r)
{
    size_t n = 0, off = 0;
    while (off + 12 <= len) {
        uint32_t type = tt_le32(b + off), blen = tt_le32(b + off + 4);
        if (type == 6) {
            uint64_t ts = (uint64_t)tt_le32(b + off + 12) << 32 | tt_le32(b + off + 16);
            r[n++] = (raw_rec_t){off, (int64_t)(ts / 1000000u), ts % 1000000u * 1000000u,
                                 tt_le32(b + off + 20), tt_le32(b + off + 24), b + off + 28};
        }
        off += blen;
    }
    ck_assert_uint_eq(off, len);
    return n;
}

static size_t raw_walk(const char *name, uint8_t **buf, raw_rec_t *r)
{
    size_t len;
    *buf = tt_slurp(tt_shared(name), &len);
    return strstr(name, ".pcapng") ? raw_pcapng(*buf, len, r) : raw_pcap(*buf, len, r);
}

/* ---------------------------------------------------------------- real files */

START_TEST(test_real_captures_counts_linktypes_and_bytes)
{
    const real_t *c = &reals[_i];
    raw_rec_t raw[RAW_MAX];
    uint8_t *buf;
    size_t n = raw_walk(c->name, &buf, raw);
    ck_assert_uint_eq(n, c->packets);

    trace_pcap_t *p = trace_pcap_open(tt_shared(c->name), err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    ck_assert(trace_pcap_is_ng(p) == c->ng);
    trace_pkt_t k;
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
        ck_assert_uint_eq(k.linktype, c->linktype);
        ck_assert_uint_eq(k.caplen, raw[i].incl);
        ck_assert_uint_eq(k.origlen, raw[i].orig);
        ck_assert_mem_eq(k.data, raw[i].data, k.caplen);
        ck_assert_int_eq(k.ts_sec, raw[i].sec);
        ck_assert_uint_eq(k.ts_psec, raw[i].psec);
        int64_t rel = (raw[i].sec - raw[0].sec) * 1000000000000ll +
                      ((int64_t)raw[i].psec - (int64_t)raw[0].psec);
        ck_assert_int_ge(rel, 0); /* these captures are in time order */
        ck_assert_uint_eq(k.t_ps, (uint64_t)rel);
    }
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 0);
    const trace_pcap_stats_t *st = trace_pcap_stats(p);
    ck_assert_uint_eq(st->records, c->packets);
    ck_assert_uint_eq(st->packets, c->packets);
    ck_assert_uint_eq(st->skipped_linktype, 0);
    trace_pcap_close(p);
    free(buf);
}
END_TEST

START_TEST(test_nanosecond_file_keeps_its_nanoseconds)
{
    /* the first record header read with plain stdio */
    FILE *fp = fopen(tt_shared("tcpdump_tcp-handshake-nano.pcap"), "rb");
    ck_assert_ptr_nonnull(fp);
    uint8_t h[40];
    ck_assert_uint_eq(fread(h, 1, sizeof h, fp), sizeof h);
    fclose(fp);
    ck_assert_uint_eq(tt_le32(h), 0xa1b23c4du);
    uint64_t ns = tt_le32(h + 28);
    ck_assert_uint_ne(ns % 1000, 0); /* really sub-µs */
    trace_pcap_t *p = trace_pcap_open(tt_shared("tcpdump_tcp-handshake-nano.pcap"), err,
                                      sizeof err);
    trace_pkt_t k;
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_int_eq(k.ts_sec, tt_le32(h + 24));
    ck_assert_uint_eq(k.ts_psec, ns * 1000u);
    ck_assert_uint_eq(k.t_ps, 0);
    trace_pcap_close(p);
}
END_TEST

START_TEST(test_sll_and_raw_ipv6_become_ethernet)
{
    static const uint8_t src[6] = {2, 0, 0, 0, 0, 1}, dst[6] = {2, 0, 0, 0, 0, 2};
    uint8_t fr[70000];
    trace_pkt_t k;
    trace_pcap_t *p = trace_pcap_open(tt_shared("tcpdump_mptcp-v1.pcap"), err, sizeof err);
    int n = 0;
    while (trace_pcap_next(p, &k, err, sizeof err) == 1) {
        ck_assert_uint_eq(k.linktype, TRACE_LINKTYPE_LINUX_SLL);
        int l = trace_pkt_to_ether(&k, src, dst, fr, sizeof fr);
        ck_assert_int_eq(l, (int)k.caplen - 16 + 14);
        ck_assert_mem_eq(fr, dst, 6);
        ck_assert_mem_eq(fr + 6, src, 6);
        ck_assert_mem_eq(fr + 12, k.data + 14, 2); /* SLL protocol type */
        ck_assert_mem_eq(fr + 14, k.data + 16, k.caplen - 16);
        n++;
    }
    ck_assert_int_eq(n, 20);
    trace_pcap_close(p);

    p = trace_pcap_open(tt_shared("tcpdump_LINKTYPE_IPV6.pcap"), err, sizeof err);
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_uint_eq(k.linktype, TRACE_LINKTYPE_IPV6);
    ck_assert_uint_eq(k.data[0] >> 4, 6);
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, fr, sizeof fr), (int)k.caplen + 14);
    ck_assert_uint_eq(fr[12], 0x86);
    ck_assert_uint_eq(fr[13], 0xdd);
    ck_assert_mem_eq(fr + 14, k.data, k.caplen);
    trace_pcap_close(p);
}
END_TEST

/* ---------------------------------------------------------------- RSS */

/* Microsoft RSS definition: for every set input bit i (MSB of in[0]
 * first), XOR in key bits [i, i + 32). */
static uint32_t toeplitz(const uint8_t *key, size_t klen, const uint8_t *in, size_t n)
{
    uint32_t h = 0;
    for (size_t i = 0; i < n * 8; i++) {
        if (!(in[i / 8] & (0x80u >> (i % 8))))
            continue;
        uint32_t w = 0;
        for (size_t j = 0; j < 32; j++) {
            size_t kb = i + j;
            unsigned bit = kb / 8 < klen ? (key[kb / 8] >> (7 - kb % 8)) & 1u : 0u;
            w = w << 1 | bit;
        }
        h ^= w;
    }
    return h;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The key and all rows of toeplitz_vectors.txt; returns the rows checked. */
static int check_vectors(uint8_t key[40])
{
    FILE *fp = fopen(tt_reference("toeplitz_vectors.txt"), "r");
    ck_assert_msg(fp != NULL, "toeplitz_vectors.txt (set PARASIM_SHARED)");
    char line[512], fam[8], dst[64], src[64];
    int rows = 0;
    bool have_key = false;
    while (fgets(line, sizeof line, fp)) {
        unsigned dport, sport, l3, l3l4;
        char hex[128];
        if (sscanf(line, "KEY %127s", hex) == 1) {
            ck_assert_uint_eq(strlen(hex), 80);
            for (int i = 0; i < 40; i++)
                key[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
            have_key = true;
            continue;
        }
        if (sscanf(line, "%7s %63s %u %63s %u %x %x", fam, dst, &dport, src, &sport, &l3,
                   &l3l4) != 7)
            continue;
        ck_assert(have_key);
        int af = strcmp(fam, "IPv4") == 0 ? AF_INET : AF_INET6;
        size_t al = af == AF_INET ? 4 : 16;
        uint8_t in[36];
        ck_assert_int_eq(inet_pton(af, src, in), 1); /* source first */
        ck_assert_int_eq(inet_pton(af, dst, in + al), 1);
        in[2 * al] = (uint8_t)(sport >> 8);
        in[2 * al + 1] = (uint8_t)sport;
        in[2 * al + 2] = (uint8_t)(dport >> 8);
        in[2 * al + 3] = (uint8_t)dport;
        ck_assert_uint_eq(toeplitz(key, 40, in, 2 * al), l3);
        ck_assert_uint_eq(toeplitz(key, 40, in, 2 * al + 4), l3l4);
        rows++;
    }
    fclose(fp);
    return rows;
}

START_TEST(test_toeplitz_of_this_test_matches_the_reference_vectors)
{
    uint8_t key[40];
    ck_assert_int_eq(check_vectors(key), 8);
}
END_TEST

START_TEST(test_rss_spreads_tcpreplay_flows_over_queues)
{
    uint8_t key[40];
    ck_assert_int_eq(check_vectors(key), 8);
    unsigned reta[128];
    for (unsigned i = 0; i < 128; i++)
        reta[i] = i % 4;

    /* IPv4 frames counted from the raw file */
    raw_rec_t raw[RAW_MAX];
    uint8_t *buf;
    size_t n = raw_walk("tcpreplay_test.pcap", &buf, raw);
    unsigned ipv4 = 0;
    for (size_t i = 0; i < n; i++)
        ipv4 += raw[i].incl >= 34 && raw[i].data[12] == 0x08 && raw[i].data[13] == 0x00;
    free(buf);

    static const uint8_t mac[6] = {0};
    uint8_t fr[70000];
    unsigned per_q[4] = {0}, l4 = 0;
    trace_pcap_t *p = trace_pcap_open(tt_shared("tcpreplay_test.pcap"), err, sizeof err);
    trace_pkt_t k;
    while (trace_pcap_next(p, &k, err, sizeof err) == 1) {
        int l = trace_pkt_to_ether(&k, mac, mac, fr, sizeof fr);
        ck_assert_int_ge(l, 14);
        if (l < 34 || fr[12] != 0x08 || fr[13] != 0x00)
            continue;
        const uint8_t *ip = fr + 14;
        unsigned ihl = (ip[0] & 0xfu) * 4u, proto = ip[9];
        bool frag = (ip[6] & 0x3fu) || ip[7]; /* MF or a fragment offset */
        uint8_t in[12];
        memcpy(in, ip + 12, 8);
        size_t il = 8;
        if ((proto == 6 || proto == 17) && !frag && (size_t)l >= 14 + ihl + 4) {
            memcpy(in + 8, ip + ihl, 4);
            il = 12;
            l4++;
        }
        uint32_t h = toeplitz(key, 40, in, il);
        ck_assert_uint_eq(h, nic_rss_toeplitz(key, 40, in, il));
        per_q[reta[h & 0x7f]]++;
    }
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 0);
    trace_pcap_close(p);
    ck_assert_uint_gt(ipv4, 100); /* SOURCES.md: mostly IPv4 */
    ck_assert_uint_gt(l4, 0);
    ck_assert_uint_eq(per_q[0] + per_q[1] + per_q[2] + per_q[3], ipv4);
    int used = 0;
    for (int q = 0; q < 4; q++)
        used += per_q[q] > 0;
    ck_assert_int_gt(used, 1);
    /* the same spread computed by a separate Python script over the raw
     * file (int.from_bytes Toeplitz, same tuple rules): 41 distinct inputs */
    ck_assert_uint_eq(ipv4, 150);
    ck_assert_uint_eq(per_q[0], 69);
    ck_assert_uint_eq(per_q[1], 17);
    ck_assert_uint_eq(per_q[2], 26);
    ck_assert_uint_eq(per_q[3], 38);
}
END_TEST

/* ---------------------------------------------------------------- gzip */

START_TEST(test_gzipped_real_captures_read_identically)
{
    const real_t *c = &reals[_i];
    size_t len, gl;
    uint8_t *plain = tt_slurp(tt_shared(c->name), &len);
    uint8_t *g = tt_gzip(plain, len, &gl);
    trace_pcap_t *a = trace_pcap_open(tt_shared(c->name), err, sizeof err);
    trace_pcap_t *b = trace_pcap_open(tt_write("cap.gz", g, gl), err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    trace_pkt_t ka, kb;
    int ra, rb;
    do { /* each reader's data stay valid until its own next call */
        ra = trace_pcap_next(a, &ka, err, sizeof err);
        rb = trace_pcap_next(b, &kb, err, sizeof err);
        ck_assert_int_eq(ra, rb);
        if (ra == 1) {
            ck_assert_uint_eq(ka.caplen, kb.caplen);
            ck_assert_uint_eq(ka.t_ps, kb.t_ps);
            ck_assert_mem_eq(ka.data, kb.data, kb.caplen);
        }
    } while (ra == 1);
    ck_assert_uint_eq(trace_pcap_stats(b)->packets, c->packets);
    trace_pcap_close(a);
    trace_pcap_close(b);
    free(g);
    free(plain);
}
END_TEST

/* Read everything; -1 expected, with err naming path. */
static void expect_error(const char *path, const char *what)
{
    trace_pcap_t *p = trace_pcap_open(path, err, sizeof err);
    int r = 0;
    if (p) {
        trace_pkt_t k;
        while ((r = trace_pcap_next(p, &k, err, sizeof err)) == 1)
            ;
        trace_pcap_close(p);
    }
    ck_assert_msg(!p || r == -1, "%s: no error", path);
    ck_assert_msg(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':', "%s", err);
    ck_assert_msg(strstr(err, what) != NULL, "'%s' not in '%s'", what, err);
}

START_TEST(test_cut_and_corrupt_gzip_captures_are_errors)
{
    size_t len, gl;
    uint8_t *plain = tt_slurp(tt_shared("tcpreplay_test.pcap"), &len);
    uint8_t *g = tt_gzip(plain, len, &gl);
    expect_error(tt_write("cut-trailer.pcap.gz", g, gl - 4), "gzip: unexpected end of file");
    expect_error(tt_write("cut-half.pcap.gz", g, gl / 2), "gzip: unexpected end of file");
    g[gl / 3] ^= 0xff;
    expect_error(tt_write("flipped.pcap.gz", g, gl), "gzip: ");
    free(g);
    free(plain);
}
END_TEST

START_TEST(test_cut_pcap_names_record_and_offset)
{
    raw_rec_t raw[RAW_MAX];
    uint8_t *buf;
    raw_walk("tcpdump_ssh.pcap", &buf, raw);
    char want[600];
    /* in the data of record 5 */
    const char *path = tt_write("cut.pcap", buf, raw[4].off + 16 + 10);
    snprintf(want, sizeof want, "%s: record 5 (offset %llu): truncated packet data: 10 of %u bytes",
             path, (unsigned long long)raw[4].off, raw[4].incl);
    trace_pcap_t *p = trace_pcap_open(path, err, sizeof err);
    trace_pkt_t k;
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    trace_pcap_close(p);
    /* in the header of record 7 */
    path = tt_write("cut2.pcap", buf, raw[6].off + 7);
    snprintf(want, sizeof want, "%s: record 7 (offset %llu): truncated record header: 7 of 16 bytes",
             path, (unsigned long long)raw[6].off);
    expect_error(path, want + strlen(path));
    free(buf);
}
END_TEST

static Suite *pcap_suite(void)
{
    Suite *s = suite_create("traces/pcap");
    TCase *tc = tcase_create("real");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_loop_test(tc, test_real_captures_counts_linktypes_and_bytes, 0, N_REALS);
    tcase_add_test(tc, test_nanosecond_file_keeps_its_nanoseconds);
    tcase_add_test(tc, test_sll_and_raw_ipv6_become_ethernet);
    suite_add_tcase(s, tc);
    tc = tcase_create("rss");
    tcase_add_test(tc, test_toeplitz_of_this_test_matches_the_reference_vectors);
    tcase_add_test(tc, test_rss_spreads_tcpreplay_flows_over_queues);
    suite_add_tcase(s, tc);
    tc = tcase_create("gzip");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_loop_test(tc, test_gzipped_real_captures_read_identically, 0, N_REALS);
    tcase_add_test(tc, test_cut_and_corrupt_gzip_captures_are_errors);
    tcase_add_test(tc, test_cut_pcap_names_record_and_offset);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(pcap_suite)
