/* tests/traces/check_blktrace: traces/blktrace on MQSim's real
 * tpcc-small.trace (../shared/traces, DiskSim ASCII) and on MSR and fio
 * logs written here.
 *
 * Expectations are independent of the loader: the real trace's record
 * count is its number of non-blank lines, counted here; its first and
 * last records are the file's first and last lines parsed with sscanf;
 * times come from the format definitions (FILETIME ticks of 100 ns, fio v3
 * µs, fio v2 waits in ms since the start, DiskSim ns); errors name the line
 * and its byte offset, counted in the text written. */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>

#include "tests/traces/tt.h"
#include "traces/blktrace.h"

static char err[512];

static trace_blk_t load_ok(const char *name, const char *text, trace_blk_fmt_t fmt)
{
    trace_blk_t t;
    int r = trace_blk_load(tt_write(name, text, strlen(text)), fmt, &t, err, sizeof err);
    ck_assert_msg(r == 0, "%s", err);
    return t;
}

/* The error after "PATH: ". */
static const char *load_err(const char *text, trace_blk_fmt_t fmt)
{
    trace_blk_t t;
    const char *path = tt_write("e.trace", text, strlen(text));
    ck_assert_int_eq(trace_blk_load(path, fmt, &t, err, sizeof err), -1);
    ck_assert_ptr_null(t.rec);
    ck_assert_uint_eq(t.n, 0);
    size_t pl = strlen(path);
    ck_assert_msg(strncmp(err, path, pl) == 0 && strncmp(err + pl, ": ", 2) == 0, "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    return err + pl + 2;
}

static void rec_is(const trace_blk_rec_t *r, uint64_t t_ps, uint64_t off, uint32_t len,
                   trace_blk_op_t op, uint32_t dev)
{
    ck_assert_uint_eq(r->t_ps, t_ps);
    ck_assert_uint_eq(r->offset, off);
    ck_assert_uint_eq(r->len, len);
    ck_assert_uint_eq(r->op, op);
    ck_assert_uint_eq(r->device, dev);
}

/* ---------------------------------------------------------------- MQSim */

typedef struct dline {
    unsigned long long t, lsn;
    unsigned dev, size;
    int type;
} dline_t;

static dline_t parse_dline(const char *s)
{
    dline_t d;
    ck_assert_int_eq(sscanf(s, "%llu %u %llu %u %d", &d.t, &d.dev, &d.lsn, &d.size, &d.type), 5);
    return d;
}

START_TEST(test_mqsim_tpcc_trace)
{
    size_t len;
    char *text = (char *)tt_slurp(tt_shared("mqsim_tpcc-small.trace"), &len);
    size_t lines = 0;
    const char *last = NULL;
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        char *end = nl ? nl : text + len;
        bool blank = true;
        for (char *q = p; q < end; q++)
            blank &= *q == ' ' || *q == '\t' || *q == '\r';
        if (!blank) {
            lines++;
            last = p;
        }
        p = end + 1;
    }
    ck_assert_uint_gt(lines, 1000);
    dline_t first = parse_dline(text), lastd = parse_dline(last);

    for (int explicit_fmt = 0; explicit_fmt < 2; explicit_fmt++) {
        trace_blk_t t;
        ck_assert_int_eq(trace_blk_load(tt_shared("mqsim_tpcc-small.trace"),
                                        explicit_fmt ? TRACE_BLK_DISKSIM : TRACE_BLK_AUTO, &t,
                                        err, sizeof err), 0);
        ck_assert_int_eq(t.fmt, TRACE_BLK_DISKSIM);
        ck_assert_uint_eq(t.n, lines);
        ck_assert_uint_eq(t.skipped, 0);
        rec_is(&t.rec[0], 0, first.lsn * 512, first.size * 512,
               first.type == 1 ? TRACE_BLK_READ : TRACE_BLK_WRITE, first.dev);
        rec_is(&t.rec[t.n - 1], (lastd.t - first.t) * 1000, lastd.lsn * 512, lastd.size * 512,
               lastd.type == 1 ? TRACE_BLK_READ : TRACE_BLK_WRITE, lastd.dev);
        for (size_t i = 1; i < t.n; i++)
            ck_assert_uint_ge(t.rec[i].t_ps, t.rec[i - 1].t_ps);
        trace_blk_free(&t);
        ck_assert_ptr_null(t.rec);
    }
    free(text);
}
END_TEST

START_TEST(test_gzipped_block_trace_loads_the_same)
{
    size_t len, gl;
    uint8_t *text = tt_slurp(tt_shared("mqsim_tpcc-small.trace"), &len);
    uint8_t *g = tt_gzip(text, len, &gl);
    trace_blk_t a, b;
    ck_assert_int_eq(trace_blk_load(tt_shared("mqsim_tpcc-small.trace"), TRACE_BLK_AUTO, &a, err,
                                    sizeof err), 0);
    ck_assert_int_eq(trace_blk_load(tt_write("t.trace.gz", g, gl), TRACE_BLK_AUTO, &b, err,
                                    sizeof err), 0);
    ck_assert_uint_eq(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) /* field by field: the struct has padding */
        rec_is(&b.rec[i], a.rec[i].t_ps, a.rec[i].offset, a.rec[i].len, a.rec[i].op,
               a.rec[i].device);
    trace_blk_free(&a);
    trace_blk_free(&b);
    /* cut: an error, not a shorter trace */
    ck_assert_int_eq(trace_blk_load(tt_write("c.trace.gz", g, gl - 8), TRACE_BLK_AUTO, &b, err,
                                    sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "gzip: unexpected end of file"));
    free(g);
    free(text);
}
END_TEST

/* ---------------------------------------------------------------- MSR */

START_TEST(test_msr_filetime_and_fields)
{
    /* two records 10,000 ticks of 100 ns apart: 1 ms */
    trace_blk_t t = load_ok("m.csv",
                            "Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime\n"
                            "128166372003061629,wdev,0,Read,3154305024,4096,2203\n"
                            "\n"
                            "128166372003071629,wdev,2,write,100,512,10\r\n",
                            TRACE_BLK_AUTO);
    ck_assert_int_eq(t.fmt, TRACE_BLK_MSR);
    ck_assert_uint_eq(t.n, 2);
    rec_is(&t.rec[0], 0, 3154305024ull, 4096, TRACE_BLK_READ, 0);
    rec_is(&t.rec[1], 1000000000ull, 100, 512, TRACE_BLK_WRITE, 2);
    trace_blk_free(&t);
}
END_TEST

/* ---------------------------------------------------------------- fio */

START_TEST(test_fio_v2_waits_and_actions)
{
    trace_blk_t t = load_ok("v2.log",
                            "fio version 2 iolog\n"
                            "/dev/nvme0n1 add\n"
                            "/dev/nvme0n1 open\n"
                            "/dev/nvme0n1 read 0 4096\n"
                            "/dev/nvme0n1 write 4096 8192\n"
                            "/tmp/f2 add\n"
                            "/tmp/f2 sync 0 0\n"
                            "/dev/nvme0n1 wait 5 0\n"
                            "/tmp/f2 trim 1048576 65536\n"
                            "/dev/nvme0n1 datasync 0 0\n"
                            "/dev/nvme0n1 wait 2 0\n"
                            "/dev/nvme0n1 read 0 512\n"
                            "/dev/nvme0n1 close\n",
                            TRACE_BLK_AUTO);
    const uint64_t ms = 1000000000ull;
    ck_assert_int_eq(t.fmt, TRACE_BLK_FIO);
    ck_assert_uint_eq(t.n, 6);
    ck_assert_uint_eq(t.skipped, 6); /* add, open, add, wait, wait, close */
    rec_is(&t.rec[0], 0, 0, 4096, TRACE_BLK_READ, 0);
    rec_is(&t.rec[1], 0, 4096, 8192, TRACE_BLK_WRITE, 0);
    rec_is(&t.rec[2], 0, 0, 0, TRACE_BLK_FLUSH, 1);
    rec_is(&t.rec[3], 5 * ms, 1048576, 65536, TRACE_BLK_TRIM, 1);
    rec_is(&t.rec[4], 5 * ms, 0, 0, TRACE_BLK_FLUSH, 0);
    rec_is(&t.rec[5], 5 * ms, 0, 512, TRACE_BLK_READ, 0); /* wait 2 is already past */
    trace_blk_free(&t);

    /* a wait before the first I/O: that I/O is the time origin */
    t = load_ok("v2w.log", "fio version 2 iolog\nf wait 7 0\nf read 0 1\nf wait 9 0\nf read 1 1\n",
                TRACE_BLK_FIO);
    ck_assert_uint_eq(t.rec[0].t_ps, 0);
    ck_assert_uint_eq(t.rec[1].t_ps, 2 * ms);
    trace_blk_free(&t);
}
END_TEST

START_TEST(test_fio_v3_microsecond_timestamps)
{
    trace_blk_t t = load_ok("v3.log",
                            "fio version 3 iolog\n"
                            "2 /dev/sda add\n"
                            "872 /dev/sda open\n"
                            "878 /dev/sda write 0 16384\n"
                            "888 /dev/sda read 16384 4096\n"
                            "1891 /dev/sda trim 0 4096\n"
                            "1900 /dev/sda wait 100 0\n"
                            "10001677 /dev/sda close\n",
                            TRACE_BLK_AUTO);
    const uint64_t us = 1000000ull;
    ck_assert_uint_eq(t.n, 3);
    ck_assert_uint_eq(t.skipped, 4);
    rec_is(&t.rec[0], 0, 0, 16384, TRACE_BLK_WRITE, 0);
    rec_is(&t.rec[1], 10 * us, 16384, 4096, TRACE_BLK_READ, 0);
    rec_is(&t.rec[2], 1013 * us, 0, 4096, TRACE_BLK_TRIM, 0);
    trace_blk_free(&t);
}
END_TEST

/* ---------------------------------------------------------------- detection */

START_TEST(test_format_names_and_detection)
{
    static const struct { const char *text; trace_blk_fmt_t fmt; } cases[] = {
        {"fio version 3 iolog\n1 f read 0 1\n", TRACE_BLK_FIO},
        {"\n  \n5,h,0,Read,0,512,0\n", TRACE_BLK_MSR},
        {"timestamp,hostname,disknumber,type,offset,size,responsetime\n5,h,0,Read,0,512,0\n",
         TRACE_BLK_MSR},
        {"5 0 1 8 1\n", TRACE_BLK_DISKSIM},
        {"5\t0\t1\t8\t1\n", TRACE_BLK_DISKSIM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trace_blk_t t = load_ok("d.trace", cases[i].text, TRACE_BLK_AUTO);
        ck_assert_int_eq(t.fmt, cases[i].fmt);
        ck_assert_uint_eq(t.n, 1);
        trace_blk_free(&t);
    }
    for (int f = TRACE_BLK_AUTO; f <= TRACE_BLK_DISKSIM; f++) {
        trace_blk_fmt_t back;
        ck_assert_int_eq(trace_blk_fmt_parse(trace_blk_fmt_name((trace_blk_fmt_t)f), &back), 0);
        ck_assert_int_eq(back, f);
    }
    ck_assert_str_eq(trace_blk_fmt_name(TRACE_BLK_DISKSIM), "disksim");
    trace_blk_fmt_t x;
    ck_assert_int_eq(trace_blk_fmt_parse("MSR", &x), -1);
    ck_assert_int_eq(trace_blk_fmt_parse("blktrace", &x), -1);
    /* a DiskSim file forced to MSR */
    ck_assert_str_eq(load_err("5 0 1 8 1\n", TRACE_BLK_MSR),
                     "record 1 (offset 0): too few fields: MSR lines are Timestamp,Hostname,"
                     "DiskNumber,Type,Offset,Size,ResponseTime");
    ck_assert_str_eq(load_err("hello world\n", TRACE_BLK_AUTO),
                     "record 1 (offset 0): cannot detect the format (not a fio iolog header, 7 "
                     "comma-separated MSR fields, or 5 DiskSim fields)");
    ck_assert_str_eq(load_err("5 0 1 8 1\n", TRACE_BLK_FIO),
                     "record 1 (offset 0): not a fio iolog: the first line must be 'fio version "
                     "2 iolog' or 'fio version 3 iolog'");
}
END_TEST

/* ---------------------------------------------------------------- errors */

START_TEST(test_errors_name_line_and_offset)
{
    static const struct { const char *text; trace_blk_fmt_t fmt; const char *want; } cases[] = {
        {"100 0 x 8 1\n", TRACE_BLK_AUTO,
         "record 1 (offset 0): bad LSN 'x' (an unsigned decimal integer expected)"},
        {"100 0 5 8 1\n100 0 5 8 2\n", TRACE_BLK_AUTO,
         "record 2 (offset 12): unknown request type '2' (1 read, 0 write)"},
        {"100 0 5 8 1\n\n100 0 5 8\n", TRACE_BLK_DISKSIM,
         "record 3 (offset 13): too few fields: DiskSim lines are ARRIVAL_NS DEVICE LSN "
         "SECTORS TYPE"},
        {"100 0 5 0 1\n", TRACE_BLK_AUTO, "record 1 (offset 0): size 0 for a read"},
        {"200 0 1 8 1\n100 0 1 8 1\n", TRACE_BLK_AUTO,
         "record 2 (offset 12): time 100 goes backwards (previous record: 200)"},
        {"1.5 0 1 8 1\n", TRACE_BLK_AUTO,
         "record 1 (offset 0): fractional arrival time '1.5': MQSim's DiskSim times are "
         "integer nanoseconds"},
        {"1 0 36028797018963968 8 1\n", TRACE_BLK_AUTO,
         "record 1 (offset 0): LSN 36028797018963968 out of range (max 36028797018963967)"},
        {"1 4294967296 1 8 1\n", TRACE_BLK_AUTO,
         "record 1 (offset 0): device 4294967296 out of range (max 4294967295)"},
        {"5,h,0,Flush,0,512,0\n", TRACE_BLK_AUTO,
         "record 1 (offset 0): unknown Type 'Flush' (Read or Write expected)"},
        {"5,h,0,Read,0,4294967296,0\n", TRACE_BLK_AUTO,
         "record 1 (offset 0): Size 4294967296 out of range (max 4294967295)"},
        {"5,h,0,Read,18446744073709551615,512,0\n", TRACE_BLK_AUTO,
         "record 1 (offset 0): offset + size past 2^64 bytes"},
        {"5,h,0,Read,0,512,0\n6,h,0,Read,0,512\n", TRACE_BLK_AUTO,
         "record 2 (offset 19): too few fields: MSR lines are Timestamp,Hostname,DiskNumber,"
         "Type,Offset,Size,ResponseTime"},
        {"0,h,0,Read,0,512,0\n200000000000000,h,0,Read,0,512,0\n", TRACE_BLK_AUTO,
         "record 2 (offset 19): time 200000000000000 is more than 2^64 ps after the first "
         "record"},
        {"fio version 2 iolog\nf frobnicate 0 0\n", TRACE_BLK_AUTO,
         "record 2 (offset 20): unknown action 'frobnicate' (read, write, sync, datasync, trim, "
         "wait)"},
        {"fio version 2 iolog\nf read\n", TRACE_BLK_AUTO,
         "record 2 (offset 20): unknown file action 'read' (add, open, close; I/O actions need "
         "OFFSET LENGTH)"},
        {"fio version 2 iolog\nf write 0 0\n", TRACE_BLK_AUTO,
         "record 2 (offset 20): size 0 for a write"},
        {"fio version 2 iolog\nf read 0 1 2\n", TRACE_BLK_AUTO,
         "record 2 (offset 20): expected 'FILE ACTION' or 'FILE ACTION OFFSET LENGTH'"},
        {"fio version 3 iolog\n9 f read 0 1\n8 f read 0 1\n", TRACE_BLK_AUTO,
         "record 3 (offset 33): time 8 goes backwards (previous record: 9)"},
        {"fio version 3 iolog\nf read 0 1\n", TRACE_BLK_AUTO,
         "record 2 (offset 20): expected 'TIME FILE ACTION' or 'TIME FILE ACTION OFFSET "
         "LENGTH'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_str_eq(load_err(cases[i].text, cases[i].fmt), cases[i].want);
}
END_TEST

START_TEST(test_no_records_is_an_error)
{
    const char *path = tt_write("empty.trace", "", 0);
    trace_blk_t t;
    ck_assert_int_eq(trace_blk_load(path, TRACE_BLK_AUTO, &t, err, sizeof err), -1);
    char want[400];
    snprintf(want, sizeof want, "%s: no I/O records (0 lines)", path);
    ck_assert_str_eq(err, want);
    path = tt_write("open.log", "fio version 2 iolog\nf add\nf open\nf close\n", 41);
    ck_assert_int_eq(trace_blk_load(path, TRACE_BLK_AUTO, &t, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: no I/O records (4 lines)", path);
    ck_assert_str_eq(err, want);
}
END_TEST

static Suite *blktrace_suite(void)
{
    Suite *s = suite_create("traces/blktrace");
    TCase *tc = tcase_create("blktrace");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_mqsim_tpcc_trace);
    tcase_add_test(tc, test_gzipped_block_trace_loads_the_same);
    tcase_add_test(tc, test_msr_filetime_and_fields);
    tcase_add_test(tc, test_fio_v2_waits_and_actions);
    tcase_add_test(tc, test_fio_v3_microsecond_timestamps);
    tcase_add_test(tc, test_format_names_and_detection);
    tcase_add_test(tc, test_errors_name_line_and_offset);
    tcase_add_test(tc, test_no_records_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(blktrace_suite)
