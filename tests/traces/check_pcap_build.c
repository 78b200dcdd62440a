/* tests/traces/check_pcap_build: traces/pcap on captures built byte by
 * byte here, following the format documents (pcap: draft-ietf-opsawg-pcap
 * sections 4-5; pcapng: draft-ietf-opsawg-pcapng sections 3-4), plus the
 * Ethernet conversion and the pcap writer.
 *
 * Expected timestamps are computed from the fields written (seconds,
 * fractions, resolutions 10^-k and 2^-k) with plain integer arithmetic;
 * expected errors name the record (block) number and offset where the
 * test put the defect. */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/traces/tt.h"
#include "tests/traces/tt_pcap.h"
#include "traces/pcap.h"

#define PS 1000000000000ull

static char err[512];
static trace_pcap_t *open_buf(const tt_buf_t *w, const char *name)
{
    trace_pcap_t *p = trace_pcap_open(tt_write(name, w->b, w->n), err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    return p;
}

/* The error of reading w (at open or later); its text after "PATH: ". */
static const char *error_of(const tt_buf_t *w, const char *name)
{
    const char *path = tt_write(name, w->b, w->n);
    trace_pcap_t *p = trace_pcap_open(path, err, sizeof err);
    int r = -1;
    if (p) {
        trace_pkt_t k;
        while ((r = trace_pcap_next(p, &k, err, sizeof err)) == 1)
            ;
        trace_pcap_close(p);
    }
    ck_assert_msg(r == -1, "%s read without error", name);
    size_t pl = strlen(path);
    ck_assert_msg(strncmp(err, path, pl) == 0 && strncmp(err + pl, ": ", 2) == 0, "%s", err);
    return err + pl + 2;
}

/* ---------------------------------------------------------------- pcap */

START_TEST(test_pcap_both_byte_orders_and_resolutions)
{
    for (int v = 0; v < 4; v++) {
        bool big = v & 1, ns = v & 2;
        tt_buf_t w = {.big = big};
        uint32_t f1 = ns ? 250000123u : 250000u, f2 = ns ? 5u : 999999u;
        pcap_hdr(&w, ns, 65535, 1);
        pcap_rec(&w, 1000000000u, f1, 60, 60);
        pcap_rec(&w, 1000000001u, f2, 42, 42);
        trace_pcap_t *p = open_buf(&w, "t.pcap");
        uint64_t unit = ns ? 1000u : 1000000u;
        trace_pkt_t k;
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
        ck_assert_int_eq(k.ts_sec, 1000000000);
        ck_assert_uint_eq(k.ts_psec, f1 * unit);
        ck_assert_uint_eq(k.t_ps, 0);
        ck_assert_uint_eq(k.caplen, 60);
        ck_assert_mem_eq(k.data, tt_payload, 60);
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
        ck_assert_uint_eq(k.t_ps, PS + f2 * unit - f1 * unit);
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 0);
        ck_assert(!trace_pcap_is_ng(p));
        trace_pcap_close(p);
    }
}
END_TEST

START_TEST(test_pcap_fraction_overflow_carries_and_earlier_packets_are_counted)
{
    tt_buf_t w = {0};
    pcap_hdr(&w, false, 0, 1);
    pcap_rec(&w, 10, 1500000, 20, 20); /* 11.5 s */
    pcap_rec(&w, 11, 0, 20, 20);       /* before the first */
    pcap_rec(&w, 12, 0, 20, 20);
    trace_pcap_t *p = open_buf(&w, "carry.pcap");
    trace_pkt_t k;
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_int_eq(k.ts_sec, 11);
    ck_assert_uint_eq(k.ts_psec, PS / 2);
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_uint_eq(k.t_ps, 0);
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_uint_eq(k.t_ps, PS / 2);
    ck_assert_uint_eq(trace_pcap_stats(p)->ts_before_first, 1);
    trace_pcap_close(p);
}
END_TEST

START_TEST(test_pcap_unsupported_linktype_is_skipped_and_counted)
{
    tt_buf_t w = {0};
    pcap_hdr(&w, false, 65535, 105); /* IEEE 802.11 */
    for (int i = 0; i < 3; i++)
        pcap_rec(&w, 1, (uint32_t)i, 30, 30);
    trace_pcap_t *p = open_buf(&w, "wifi.pcap");
    trace_pkt_t k;
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 0);
    const trace_pcap_stats_t *st = trace_pcap_stats(p);
    ck_assert_uint_eq(st->records, 3);
    ck_assert_uint_eq(st->skipped_linktype, 3);
    ck_assert_uint_eq(st->packets, 0);
    trace_pcap_close(p);
}
END_TEST

START_TEST(test_pcap_length_rules)
{
    tt_buf_t w = {0};
    pcap_hdr(&w, false, 64, 1);
    pcap_rec(&w, 1, 0, 64, 1500); /* snapped: counted truncated */
    pcap_rec(&w, 1, 1, 65, 1500); /* record 2 at 24 + 16 + 64 = 104 */
    ck_assert_str_eq(error_of(&w, "snap.pcap"),
                     "record 2 (offset 104): captured length 65 exceeds the file's snapshot "
                     "length (snaplen 64, original length 1500)");
    trace_pcap_t *p = open_buf(&w, "snap.pcap");
    trace_pkt_t k;
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_uint_eq(k.caplen, 64);
    ck_assert_uint_eq(k.origlen, 1500);
    ck_assert_uint_eq(trace_pcap_stats(p)->truncated, 1);
    trace_pcap_close(p);

    w = (tt_buf_t){0};
    pcap_hdr(&w, false, 65535, 1);
    pcap_rec(&w, 1, 0, 60, 59);
    ck_assert_str_eq(error_of(&w, "orig.pcap"),
                     "record 1 (offset 24): captured length 60 exceeds the original length "
                     "(snaplen 65535, original length 59)");

    w = (tt_buf_t){0};
    pcap_hdr(&w, false, 0, 1); /* no snaplen: the 256 KiB limit still holds */
    tt_u32(&w, 1);
    tt_u32(&w, 0);
    tt_u32(&w, 262145);
    tt_u32(&w, 262145);
    ck_assert_str_eq(error_of(&w, "huge.pcap"),
                     "record 1 (offset 24): captured length 262145 exceeds the 262144-byte "
                     "limit (snaplen 0, original length 262145)");
}
END_TEST

START_TEST(test_pcap_header_errors)
{
    tt_buf_t w = {0};
    tt_bytes(&w, "GIF89a", 6);
    ck_assert_str_eq(error_of(&w, "x.gif"),
                     "header (offset 0): not a pcap or pcapng file (magic 47 49 46 38)");
    w = (tt_buf_t){0};
    pcap_hdr(&w, false, 65535, 1);
    w.b[4] = 1; /* version 1.4 */
    ck_assert_str_eq(error_of(&w, "v1.pcap"),
                     "header (offset 4): unsupported pcap version 1.4 (2.x expected)");
    w.b[4] = 2;
    w.n = 20;
    ck_assert_str_eq(error_of(&w, "short.pcap"),
                     "header (offset 4): truncated pcap file header: 16 of 20 bytes");
    w.n = 2;
    ck_assert_str_eq(error_of(&w, "tiny.pcap"), "header (offset 0): not a capture: the file has 2 bytes");
}
END_TEST

/* ---------------------------------------------------------------- pcapng */

static void ng_sample(tt_buf_t *w)
{
    ng_shb(w);                               /* block 1 */
    ng_idb(w, 1, 0, 9, 0);                   /* block 2: 10^-9 */
    ng_block(w, 0x00000BADu, 8);             /* block 3: unknown */
    ng_idb(w, 1, 0, 0x80 | 20, 100);         /* block 4: 2^-20, +100 s */
    ng_epb(w, 0, 1234567890123456789ull, 60, 60);
    ng_epb(w, 1, (5ull << 20) | (1ull << 19), 61, 70);
    ng_epb(w, 1, (7ull << 20) | 3u, 62, 62);
}

START_TEST(test_pcapng_resolutions_offsets_and_unknown_blocks)
{
    for (int big = 0; big < 2; big++) {
        tt_buf_t w = {.big = big};
        ng_sample(&w);
        trace_pcap_t *p = open_buf(&w, "s.pcapng");
        ck_assert(trace_pcap_is_ng(p));
        trace_pkt_t k;
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
        ck_assert_int_eq(k.ts_sec, 1234567890);
        ck_assert_uint_eq(k.ts_psec, 123456789000ull);
        ck_assert_uint_eq(k.caplen, 60);
        ck_assert_mem_eq(k.data, tt_payload, 60);
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
        ck_assert_uint_eq(k.iface, 1);
        ck_assert_int_eq(k.ts_sec, 105);        /* 5 + if_tsoffset */
        ck_assert_uint_eq(k.ts_psec, PS / 2);   /* 2^19 / 2^20 s */
        ck_assert_uint_eq(k.caplen, 61);
        ck_assert_uint_eq(k.origlen, 70);
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
        ck_assert_int_eq(k.ts_sec, 107);
        ck_assert_uint_eq(k.ts_psec, 3ull * PS / (1ull << 20)); /* truncated to the ps */
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 0);
        const trace_pcap_stats_t *st = trace_pcap_stats(p);
        ck_assert_uint_eq(st->blocks_skipped, 1);
        ck_assert_uint_eq(st->packets, 3);
        ck_assert_uint_eq(st->truncated, 1);
        ck_assert_uint_eq(st->ts_before_first, 2); /* 105 s < 1234567890 s */
        trace_pcap_close(p);
    }
}
END_TEST

START_TEST(test_pcapng_block_length_errors)
{
    tt_buf_t w = {0};
    ng_shb(&w);
    ng_idb(&w, 1, 0, -1, 0);
    size_t at = w.n;
    ng_block(&w, 0x0BAD, 8);
    w.b[at + 4] = 21; /* not a multiple of 4 */
    char want[128];
    snprintf(want, sizeof want, "record 3 (offset %zu): bad block total length 21 (type 0x00000bad)", at);
    ck_assert_str_eq(error_of(&w, "len.pcapng"), want);
    w.b[at + 4] = 20;
    w.b[w.n - 4] = 24; /* the trailing copy differs */
    snprintf(want, sizeof want, "record 3 (offset %zu): block total length 20 does not match its "
                                "trailing copy 24", at);
    ck_assert_str_eq(error_of(&w, "trail.pcapng"), want);
    w.n -= 2; /* cut inside the trailer */
    snprintf(want, sizeof want, "record 3 (offset %zu): truncated block trailer: 2 of 4 bytes", at);
    ck_assert_str_eq(error_of(&w, "cut.pcapng"), want);
}
END_TEST

START_TEST(test_pcapng_interfaces_must_exist_and_reset_per_section)
{
    tt_buf_t w = {0};
    ng_shb(&w);
    ng_idb(&w, 1, 0, -1, 0);
    size_t at = w.n;
    ng_epb(&w, 1, 0, 20, 20);
    char want[128];
    snprintf(want, sizeof want, "record 3 (offset %zu): packet of interface 1, but the section "
                                "describes 1", at);
    ck_assert_str_eq(error_of(&w, "if1.pcapng"), want);

    w = (tt_buf_t){0};
    ng_shb(&w);
    ng_idb(&w, 1, 0, -1, 0);
    ng_epb(&w, 0, 0, 20, 20);
    ng_shb(&w); /* block 4: forgets interface 0 */
    at = w.n;
    ng_epb(&w, 0, 0, 20, 20);
    snprintf(want, sizeof want, "record 5 (offset %zu): packet of interface 0, but the section "
                                "describes 0", at);
    ck_assert_str_eq(error_of(&w, "reset.pcapng"), want);

    /* captured length larger than the block */
    w = (tt_buf_t){0};
    ng_shb(&w);
    ng_idb(&w, 1, 0, -1, 0);
    at = w.n;
    ng_epb(&w, 0, 0, 20, 20);
    w.b[at + 20] = 24; /* caplen 24 in a block with room for 20 */
    snprintf(want, sizeof want, "record 3 (offset %zu): captured length 24 does not fit the block "
                                "(52 bytes)", at);
    ck_assert_str_eq(error_of(&w, "room.pcapng"), want);
}
END_TEST

START_TEST(test_pcapng_simple_packet_takes_the_previous_time)
{
    tt_buf_t w = {0};
    ng_shb(&w);
    ng_idb(&w, 101, 50, -1, 0); /* raw IP, snaplen 50 */
    ng_epb(&w, 0, 3000000, 20, 20); /* 3 s at µs */
    ng_spb(&w, 60, 50);             /* 60-byte packet, 50 captured */
    trace_pcap_t *p = open_buf(&w, "spb.pcapng");
    trace_pkt_t k;
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_int_eq(k.ts_sec, 3);
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
    ck_assert_int_eq(k.ts_sec, 3);
    ck_assert_uint_eq(k.t_ps, 0);
    ck_assert_uint_eq(k.caplen, 50);
    ck_assert_uint_eq(k.origlen, 60);
    ck_assert_uint_eq(k.linktype, TRACE_LINKTYPE_RAW);
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 0);
    trace_pcap_close(p);
}
END_TEST

/* ---------------------------------------------------------------- Ethernet */

START_TEST(test_to_ether_per_link_type)
{
    static const uint8_t src[6] = {0xa, 0, 0, 0, 0, 1}, dst[6] = {0xb, 0, 0, 0, 0, 2};
    uint8_t in[64], out[128];
    memset(in, 0x11, sizeof in);
    trace_pkt_t k = {.data = in, .caplen = 40, .linktype = TRACE_LINKTYPE_RAW};
    in[0] = 0x45;
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), 54);
    ck_assert_mem_eq(out, dst, 6);
    ck_assert_mem_eq(out + 6, src, 6);
    ck_assert_mem_eq(out + 12, "\x08\x00", 2);
    ck_assert_mem_eq(out + 14, in, 40);
    in[0] = 0x60;
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), 54);
    ck_assert_mem_eq(out + 12, "\x86\xdd", 2);
    in[0] = 0x50; /* no IP version 5 */
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), -1);
    k.linktype = TRACE_LINKTYPE_IPV4;
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), 54);
    ck_assert_mem_eq(out + 12, "\x08\x00", 2);
    k.linktype = TRACE_LINKTYPE_IPV6;
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), 54);
    ck_assert_mem_eq(out + 12, "\x86\xdd", 2);
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, 53), -1); /* no room */

    k.linktype = TRACE_LINKTYPE_LINUX_SLL;
    in[14] = 0x08, in[15] = 0x06; /* ARP */
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), 40 - 16 + 14);
    ck_assert_mem_eq(out + 12, "\x08\x06", 2);
    ck_assert_mem_eq(out + 14, in + 16, 24);
    in[14] = 0x00, in[15] = 0x04; /* 802.2 LLC: not an EtherType */
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), -1);
    k.caplen = 15; /* shorter than the SLL header */
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), -1);

    k = (trace_pkt_t){.data = in, .caplen = 40, .linktype = TRACE_LINKTYPE_LINUX_SLL2};
    in[0] = 0x86, in[1] = 0xdd;
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), 40 - 20 + 14);
    ck_assert_mem_eq(out + 12, "\x86\xdd", 2);
    ck_assert_mem_eq(out + 14, in + 20, 20);

    k = (trace_pkt_t){.data = in, .caplen = 40, .linktype = TRACE_LINKTYPE_ETHERNET, .fcs_len = 4};
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), 36);
    ck_assert_mem_eq(out, in, 36);
    k.caplen = 13;
    k.fcs_len = 0;
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), -1);
    k.linktype = 105;
    ck_assert_int_eq(trace_pkt_to_ether(&k, src, dst, out, sizeof out), -1);
}
END_TEST

/* ---------------------------------------------------------------- writer */

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static const uint64_t wt[3] = {0, 1500, 2000000000123456ull}; /* ps */

static void write_three(const char *path, uint32_t snaplen)
{
    trace_pcapw_t *w = trace_pcapw_open(path, snaplen, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert(exists(tmp) && !exists(path));
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(trace_pcapw_write(w, wt[i], tt_payload, 60 + 20 * (size_t)i), 0);
    ck_assert_uint_eq(trace_pcapw_count(w), 3);
    ck_assert_int_eq(trace_pcapw_close(w, err, sizeof err), 0);
    ck_assert(!exists(tmp) && exists(path));
}

static void read_three(const char *path, uint32_t snaplen)
{
    trace_pcap_t *p = trace_pcap_open(path, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    trace_pkt_t k;
    for (int i = 0; i < 3; i++) {
        uint64_t ns = wt[i] / 1000, len = 60 + 20 * (uint64_t)i;
        uint64_t cap = len < snaplen ? len : snaplen;
        ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 1);
        ck_assert_uint_eq(k.linktype, TRACE_LINKTYPE_ETHERNET);
        ck_assert_int_eq(k.ts_sec, (int64_t)(ns / 1000000000u));
        ck_assert_uint_eq(k.ts_psec, ns % 1000000000u * 1000u);
        ck_assert_uint_eq(k.t_ps, ns * 1000u);
        ck_assert_uint_eq(k.caplen, cap);
        ck_assert_uint_eq(k.origlen, len);
        ck_assert_mem_eq(k.data, tt_payload, cap);
    }
    ck_assert_int_eq(trace_pcap_next(p, &k, err, sizeof err), 0);
    trace_pcap_close(p);
}

START_TEST(test_writer_round_trip_plain_and_gzip)
{
    const char *plain = tt_path("out.pcap", 1), *gz = tt_path("out.pcap.gz", 2);
    write_three(plain, 0);
    read_three(plain, 262144);
    size_t n;
    uint8_t *b = tt_slurp(plain, &n);
    /* the header as the pcap draft lays it out, little-endian */
    static const uint8_t hdr[24] = {0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                    0,    0,    0,    0,    0, 0, 4, 0, 1, 0, 0, 0};
    ck_assert_mem_eq(b, hdr, 24);
    ck_assert_uint_eq(n, 24 + 3 * 16 + 60 + 80 + 100);
    free(b);
    write_three(gz, 70);
    b = tt_slurp(gz, &n);
    ck_assert(b[0] == 0x1f && b[1] == 0x8b);
    free(b);
    read_three(gz, 70);
}
END_TEST

START_TEST(test_writer_is_deterministic)
{
    for (int z = 0; z < 2; z++) {
        const char *a = tt_path(z ? "a.pcap.gz" : "a.pcap", 1);
        const char *b = tt_path(z ? "b.pcap.gz" : "b.pcap", 2);
        write_three(a, 0);
        write_three(b, 0);
        size_t na, nb;
        uint8_t *ba = tt_slurp(a, &na), *bb = tt_slurp(b, &nb);
        ck_assert_uint_eq(na, nb);
        ck_assert_mem_eq(ba, bb, na);
        free(ba);
        free(bb);
    }
}
END_TEST

START_TEST(test_writer_failures_leave_no_file)
{
    const char *path = tt_path("fail.pcap", 1);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    trace_pcapw_t *w = trace_pcapw_open(path, 0, err, sizeof err);
    ck_assert_int_eq(trace_pcapw_write(w, 0, tt_payload, 60), 0);
    /* 2^32 bytes do not fit pcap's length fields (checked before any byte
     * of the frame is read) */
    ck_assert_int_eq(trace_pcapw_write(w, 0, tt_payload, (size_t)1 << 32), -1);
    ck_assert_int_eq(trace_pcapw_write(w, 0, tt_payload, 60), -1); /* the error sticks */
    ck_assert_int_eq(trace_pcapw_close(w, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "frame 2: length does not fit pcap's 32-bit field"));
    ck_assert(!exists(path) && !exists(tmp));

    w = trace_pcapw_open(path, 0, err, sizeof err);
    ck_assert_int_eq(trace_pcapw_write(w, 0, tt_payload, 60), 0);
    trace_pcapw_abort(w);
    ck_assert(!exists(path) && !exists(tmp));

    ck_assert_ptr_null(trace_pcapw_open(tt_path("no/such/dir.pcap", 1), 0, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "cannot create"));
}
END_TEST

static Suite *pcap_build_suite(void)
{
    Suite *s = suite_create("traces/pcap_build");
    TCase *tc = tcase_create("pcap");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_pcap_both_byte_orders_and_resolutions);
    tcase_add_test(tc, test_pcap_fraction_overflow_carries_and_earlier_packets_are_counted);
    tcase_add_test(tc, test_pcap_unsupported_linktype_is_skipped_and_counted);
    tcase_add_test(tc, test_pcap_length_rules);
    tcase_add_test(tc, test_pcap_header_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("pcapng");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_pcapng_resolutions_offsets_and_unknown_blocks);
    tcase_add_test(tc, test_pcapng_block_length_errors);
    tcase_add_test(tc, test_pcapng_interfaces_must_exist_and_reset_per_section);
    tcase_add_test(tc, test_pcapng_simple_packet_takes_the_previous_time);
    suite_add_tcase(s, tc);
    tc = tcase_create("ether");
    tcase_add_test(tc, test_to_ether_per_link_type);
    suite_add_tcase(s, tc);
    tc = tcase_create("writer");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_writer_round_trip_plain_and_gzip);
    tcase_add_test(tc, test_writer_is_deterministic);
    tcase_add_test(tc, test_writer_failures_leave_no_file);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(pcap_build_suite)
