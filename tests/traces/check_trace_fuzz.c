/* tests/traces/check_trace_fuzz: robustness of every trace reader against
 * cut and damaged input (run it under ASan/UBSan: `make sanitize`).
 *
 * Each reader gets every truncation length of a small valid file and
 * random byte flips (model/rng.h, fixed seed, so a failure reproduces).
 * Always required: the reader returns (success or -1, never a crash or a
 * sanitizer report) and an error is one line starting with the file's
 * path.  Where the outcome is known, it is asserted too:
 *   - a pcap cut exactly between records reads the records before the cut,
 *     a pcap cut anywhere else is an error (pcapng: between blocks);
 *   - a gzip stream cut anywhere is an error;
 *   - a DiskSim trace cut after a line end loads the lines before it.
 * The cut points come from a walk of the raw bytes done here. */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>

#include "model/rng.h"
#include "tests/traces/tt.h"
#include "tests/traces/tt_pcap.h"
#include "traces/blktrace.h"
#include "traces/kvtrace.h"
#include "traces/pcap.h"

static char err[512];

static void check_err(const char *path)
{
    size_t pl = strlen(path);
    ck_assert_msg(strncmp(err, path, pl) == 0 && err[pl] == ':', "malformed error: %s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
}

/* -1, or the number of packets read. */
static long run_pcap(const char *path)
{
    static uint8_t fr[TRACE_PCAP_MAX_CAPLEN + 64];
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    trace_pcap_t *p = trace_pcap_open(path, err, sizeof err);
    if (!p) {
        check_err(path);
        return -1;
    }
    trace_pkt_t k;
    long n = 0;
    int r;
    while ((r = trace_pcap_next(p, &k, err, sizeof err)) == 1) {
        ck_assert_uint_le(k.caplen, TRACE_PCAP_MAX_CAPLEN);
        int l = trace_pkt_to_ether(&k, mac, mac, fr, sizeof fr);
        ck_assert_int_le(l, (int)k.caplen + 14);
        n++;
    }
    trace_pcap_close(p);
    if (r < 0)
        check_err(path);
    return r < 0 ? -1 : n;
}

static long run_blk(const char *path)
{
    trace_blk_t t;
    if (trace_blk_load(path, TRACE_BLK_AUTO, &t, err, sizeof err) < 0) {
        check_err(path);
        ck_assert_ptr_null(t.rec);
        return -1;
    }
    long n = (long)t.n;
    ck_assert_int_gt(n, 0);
    ck_assert_uint_eq(t.rec[0].t_ps, 0);
    trace_blk_free(&t);
    return n;
}

static long run_kv(const char *path)
{
    trace_kv_t t;
    if (trace_kv_load(path, &t, err, sizeof err) < 0) {
        check_err(path);
        return -1;
    }
    long n = (long)t.n;
    for (size_t i = 0; i < t.n; i++)
        ck_assert(t.rec[i].key_len >= 1 && t.rec[i].key_len <= 64);
    trace_kv_free(&t);
    return n;
}

typedef long (*run_fn)(const char *path);

/* Random damage: 1..4 bytes set to random values, sometimes a cut too. */
static void flips(const uint8_t *src, size_t len, run_fn run, const char *name, unsigned iters)
{
    rng_t r;
    rng_init(&r, 20240611, rng_stream_id(name));
    uint8_t *b = malloc(len);
    for (unsigned it = 0; it < iters; it++) {
        memcpy(b, src, len);
        unsigned nf = 1 + (unsigned)rng_below(&r, 4);
        for (unsigned i = 0; i < nf; i++)
            b[rng_below(&r, len)] = (uint8_t)rng_next(&r);
        size_t n = rng_below(&r, 4) == 0 ? (size_t)rng_below(&r, len + 1) : len;
        run(tt_write(name, b, n));
    }
    free(b);
}

/* ---------------------------------------------------------------- pcap */

START_TEST(test_pcap_every_cut)
{
    size_t len;
    uint8_t *b = tt_slurp(tt_shared("tcpdump_tcp-handshake-nano.pcap"), &len);
    size_t ends[16], ne = 0;
    for (size_t off = 24; off + 16 <= len; off += 16 + tt_le32(b + off + 8))
        ends[ne++] = off;
    ends[ne] = len; /* ends[k]: where record k + 1 starts */
    ck_assert_uint_eq(ne, 3);
    for (size_t cut = 0; cut <= len; cut++) {
        long want = -1;
        for (size_t k = 0; k <= ne; k++)
            if (cut == ends[k])
                want = (long)k;
        ck_assert_msg(run_pcap(tt_write("cut.pcap", b, cut)) == want, "cut at %zu", cut);
    }
    flips(b, len, run_pcap, "flip.pcap", 2000);
    free(b);
}
END_TEST

START_TEST(test_pcapng_every_cut)
{
    size_t len;
    uint8_t *b = tt_slurp(tt_shared("tcpdump_OSPFv2_Capture_FINAL.pcapng"), &len);
    /* block ends and the EPBs before each */
    size_t ends[64], epbs[64], ne = 0, n_epb = 0;
    for (size_t off = 0; off + 12 <= len; off += tt_le32(b + off + 4)) {
        n_epb += tt_le32(b + off) == 6;
        ends[ne] = off + tt_le32(b + off + 4);
        epbs[ne++] = n_epb;
    }
    ck_assert_uint_eq(n_epb, 30);
    for (size_t cut = 0; cut <= len; cut++) {
        long want = -1;
        for (size_t k = 0; k < ne; k++)
            if (cut == ends[k])
                want = (long)epbs[k];
        ck_assert_msg(run_pcap(tt_write("cut.pcapng", b, cut)) == want, "cut at %zu", cut);
    }
    flips(b, len, run_pcap, "flip.pcapng", 2000);
    free(b);
}
END_TEST

/* Every pcapng block kind the reader parses, options included, and a
 * second, big-endian section. */
START_TEST(test_built_pcapng_every_cut)
{
    tt_buf_t w = {0};
    size_t end[12];
    long pk[12] = {0, 0, 0, 0, 1, 2, 3, 3, 3, 4}; /* packets before end[i] */
    int nb = 0;
    ng_shb(&w), end[nb++] = w.n;
    ng_idb(&w, 1, 0, 0x80 | 20, 100), end[nb++] = w.n;
    ng_block(&w, 0x0BAD, 8), end[nb++] = w.n;
    ng_idb(&w, 113, 40, 9, -5), end[nb++] = w.n;
    ng_epb(&w, 0, 5u << 20, 60, 60), end[nb++] = w.n;
    ng_epb(&w, 1, 12345, 40, 60), end[nb++] = w.n;
    ng_spb(&w, 60, 60), end[nb++] = w.n;
    w.big = true;
    ng_shb(&w), end[nb++] = w.n;
    ng_idb(&w, 101, 0, -1, 0), end[nb++] = w.n;
    ng_epb(&w, 0, 7, 20, 20), end[nb++] = w.n;
    for (size_t cut = 0; cut <= w.n; cut++) {
        long want = -1;
        for (int i = 0; i < nb; i++)
            if (cut == end[i])
                want = pk[i];
        ck_assert_msg(run_pcap(tt_write("cut.pcapng", w.b, cut)) == want, "cut at %zu", cut);
    }
    flips(w.b, w.n, run_pcap, "flip.pcapng", 5000);
}
END_TEST

START_TEST(test_gzip_capture_every_cut_is_an_error)
{
    size_t len, gl;
    uint8_t *b = tt_slurp(tt_shared("tcpdump_tcp-handshake-nano.pcap"), &len);
    uint8_t *g = tt_gzip(b, len, &gl);
    for (size_t cut = 0; cut < gl; cut++)
        ck_assert_msg(run_pcap(tt_write("cut.pcap.gz", g, cut)) == -1, "cut at %zu", cut);
    ck_assert_int_eq(run_pcap(tt_write("full.pcap.gz", g, gl)), 3);
    flips(g, gl, run_pcap, "flip.pcap.gz", 2000);
    free(g);
    free(b);
}
END_TEST

/* ---------------------------------------------------------------- text */

START_TEST(test_disksim_every_cut)
{
    size_t len;
    uint8_t *all = tt_slurp(tt_shared("mqsim_tpcc-small.trace"), &len);
    size_t n = 0, lines = 0; /* the first 8 lines */
    while (lines < 8)
        lines += all[n++] == '\n';
    for (size_t cut = 0; cut <= n; cut++) {
        long r = run_blk(tt_write("cut.trace", all, cut));
        size_t full = 0;
        for (size_t i = 0; i < cut; i++)
            full += all[i] == '\n';
        if (cut > 0 && all[cut - 1] == '\n')
            ck_assert_msg(r == (long)full, "cut at %zu", cut);
        else if (full == 0)
            ck_assert_msg(r == -1 || r == 1, "cut at %zu", cut);
    }
    flips(all, n, run_blk, "flip.trace", 3000);
    free(all);
}
END_TEST

static const char msr[] = "Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime\n"
                          "128166372003061629,wdev,0,Read,3154305024,4096,2203\n"
                          "128166372003071629,wdev,2,Write,100,512,10\n";
static const char fio2[] = "fio version 2 iolog\n/dev/a add\n/dev/a open\n/dev/a read 0 4096\n"
                           "/dev/a wait 5 0\n/dev/a sync 0 0\n/dev/a trim 8192 4096\n"
                           "/dev/a close\n";
static const char fio3[] = "fio version 3 iolog\n2 /dev/a add\n3 /dev/a open\n"
                           "10 /dev/a write 0 4096\n20 /dev/a datasync 0 0\n30 /dev/a close\n";
static const char kv[] = "time_ns,op,key,value_size\n1000,GET,user:1,0\n2000,SET,user:2,512\n"
                         "2500,get,k,100\n";

static void text_cuts(const char *text, run_fn run, const char *name)
{
    size_t n = strlen(text);
    for (size_t cut = 0; cut <= n; cut++) {
        long r = run(tt_write(name, text, cut));
        ck_assert(r == -1 || r > 0);
    }
    flips((const uint8_t *)text, n, run, name, 3000);
    size_t gl;
    uint8_t *g = tt_gzip(text, n, &gl);
    for (size_t cut = 0; cut < gl; cut++)
        ck_assert_msg(run(tt_write(name, g, cut)) == -1, "%s: gzip cut at %zu", name, cut);
    free(g);
}

START_TEST(test_msr_fio_kv_cuts_and_flips)
{
    text_cuts(msr, run_blk, "m.csv");
    text_cuts(fio2, run_blk, "f2.log");
    text_cuts(fio3, run_blk, "f3.log");
    text_cuts(kv, run_kv, "kv.csv");
    ck_assert_int_eq(run_blk(tt_write("m.csv", msr, strlen(msr))), 2);
    ck_assert_int_eq(run_blk(tt_write("f2.log", fio2, strlen(fio2))), 3);
    ck_assert_int_eq(run_blk(tt_write("f3.log", fio3, strlen(fio3))), 2);
    ck_assert_int_eq(run_kv(tt_write("kv.csv", kv, strlen(kv))), 3);
}
END_TEST

static Suite *fuzz_suite(void)
{
    Suite *s = suite_create("traces/fuzz");
    TCase *tc = tcase_create("fuzz");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_pcap_every_cut);
    tcase_add_test(tc, test_pcapng_every_cut);
    tcase_add_test(tc, test_built_pcapng_every_cut);
    tcase_add_test(tc, test_gzip_capture_every_cut_is_an_error);
    tcase_add_test(tc, test_disksim_every_cut);
    tcase_add_test(tc, test_msr_fio_kv_cuts_and_flips);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(fuzz_suite)
