/* tests/traces/check_tfile: traces/tfile, the zlib-backed reader every
 * trace format goes through.
 *
 * Expectations are independent of the reader: contents written here with
 * stdio and compressed with zlib's own gzwrite(); offsets and line numbers
 * counted from the bytes written; damaged gzip streams made by cutting or
 * flipping bytes of a real .gz stream (RFC 1952: the 8-byte CRC32 + ISIZE
 * trailer ends it). */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>

#include "tests/traces/tt.h"
#include "traces/tfile.h"

static char err[512];

/* 300 KiB of a known pattern: byte i is (i * 7 + i / 251) & 0xff. */
#define PAT_LEN (300u * 1024u)
static uint8_t *pattern(void)
{
    uint8_t *b = malloc(PAT_LEN);
    for (size_t i = 0; i < PAT_LEN; i++)
        b[i] = (uint8_t)(i * 7 + i / 251);
    return b;
}

static void read_back(const char *path, const uint8_t *want, size_t n, bool gz)
{
    trace_file_t *f = trace_file_open(path, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    ck_assert(trace_file_gzipped(f) == gz);
    ck_assert_str_eq(trace_file_path(f), path);
    uint8_t buf[1000];
    ck_assert_int_eq(trace_file_read(f, buf, 10), 10);
    ck_assert_mem_eq(buf, want, 10);
    ck_assert_uint_eq(trace_file_offset(f), 10);
    ck_assert_int_eq(trace_file_skip(f, 100000), 0);
    ck_assert_uint_eq(trace_file_offset(f), 100010);
    ck_assert_int_eq(trace_file_read(f, buf, 1000), 1000);
    ck_assert_mem_eq(buf, want + 100010, 1000);
    /* a skip across the 256 KiB buffer, then a read that hits the end */
    ck_assert_int_eq(trace_file_skip(f, n - 101010 - 600), 0);
    ck_assert_int_eq(trace_file_read(f, buf, 1000), 600);
    ck_assert_mem_eq(buf, want + n - 600, 600);
    ck_assert_uint_eq(trace_file_offset(f), n);
    ck_assert_int_eq(trace_file_read(f, buf, 1), 0);
    ck_assert_int_eq(trace_file_skip(f, 1), 1);
    ck_assert_ptr_null(trace_file_error(f));
    trace_file_close(f);
}

START_TEST(test_plain_and_gzip_read_the_same_bytes_and_offsets)
{
    uint8_t *b = pattern();
    read_back(tt_write("p.bin", b, PAT_LEN), b, PAT_LEN, false);
    size_t gl;
    uint8_t *g = tt_gzip(b, PAT_LEN, &gl);
    ck_assert_uint_lt(gl, PAT_LEN); /* it really is compressed */
    read_back(tt_write("p.bin.gz", g, gl), b, PAT_LEN, true);
    free(g);
    free(b);
}
END_TEST

START_TEST(test_gzip_is_detected_by_magic_not_by_name)
{
    const char text[] = "plain text\n";
    size_t gl;
    uint8_t *g = tt_gzip(text, sizeof text - 1, &gl);
    char buf[64] = {0};
    trace_file_t *f = trace_file_open(tt_write("named.txt", g, gl), err, sizeof err);
    ck_assert(trace_file_gzipped(f));
    ck_assert_int_eq(trace_file_read(f, buf, sizeof buf), (int)sizeof text - 1);
    ck_assert_str_eq(buf, text);
    trace_file_close(f);
    memset(buf, 0, sizeof buf);
    f = trace_file_open(tt_write("named.gz", text, sizeof text - 1), err, sizeof err);
    ck_assert(!trace_file_gzipped(f));
    ck_assert_int_eq(trace_file_read(f, buf, sizeof buf), (int)sizeof text - 1);
    ck_assert_str_eq(buf, text);
    trace_file_close(f);
    free(g);
}
END_TEST

/* Read to the end; the return of the last read. */
static int drain(trace_file_t *f, size_t *total)
{
    uint8_t buf[4096];
    int r;
    *total = 0;
    while ((r = trace_file_read(f, buf, sizeof buf)) > 0)
        *total += (size_t)r;
    return r;
}

START_TEST(test_gzip_without_its_trailer_is_an_error)
{
    uint8_t *b = pattern();
    size_t gl, total;
    uint8_t *g = tt_gzip(b, PAT_LEN, &gl);
    /* cut the 8-byte trailer: every byte may be delivered, but the stream
     * must not end cleanly */
    trace_file_t *f = trace_file_open(tt_write("cut.gz", g, gl - 8), err, sizeof err);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(drain(f, &total), -1);
    ck_assert_uint_le(total, PAT_LEN);
    ck_assert_str_eq(trace_file_error(f), "gzip: unexpected end of file");
    trace_file_close(f);
    /* cut in the middle of the deflate data */
    f = trace_file_open(tt_write("cut2.gz", g, gl / 2), err, sizeof err);
    ck_assert_int_eq(drain(f, &total), -1);
    ck_assert_uint_lt(total, PAT_LEN);
    ck_assert_ptr_nonnull(trace_file_error(f));
    trace_file_close(f);
    free(g);
    free(b);
}
END_TEST

START_TEST(test_corrupt_gzip_is_an_error)
{
    uint8_t *b = pattern();
    size_t gl, total;
    uint8_t *g = tt_gzip(b, PAT_LEN, &gl);
    g[gl / 2] ^= 0x5a; /* inside the deflate data */
    trace_file_t *f = trace_file_open(tt_write("bad.gz", g, gl), err, sizeof err);
    ck_assert_int_eq(drain(f, &total), -1);
    ck_assert_msg(strncmp(trace_file_error(f), "gzip: ", 6) == 0, "%s", trace_file_error(f));
    trace_file_close(f);
    /* a bad CRC alone (the last 8 bytes are CRC32 then ISIZE) */
    g[gl / 2] ^= 0x5a;
    g[gl - 8] ^= 0x01;
    f = trace_file_open(tt_write("crc.gz", g, gl), err, sizeof err);
    ck_assert_int_eq(drain(f, &total), -1);
    ck_assert_str_eq(trace_file_error(f), "gzip: incorrect data check");
    trace_file_close(f);
    free(g);
    free(b);
}
END_TEST

START_TEST(test_lines_strip_line_ends_and_count)
{
    const char text[] = "first\r\n\nthird line\nlast without newline";
    trace_file_t *f = trace_file_open(tt_write("l.txt", text, sizeof text - 1), err, sizeof err);
    char *s;
    ck_assert_int_eq(trace_file_line(f, &s), 5);
    ck_assert_str_eq(s, "first");
    ck_assert_uint_eq(trace_file_line_no(f), 1);
    ck_assert_uint_eq(trace_file_line_offset(f), 0);
    ck_assert_int_eq(trace_file_line(f, &s), 0);
    ck_assert_uint_eq(trace_file_line_offset(f), 7);
    ck_assert_int_eq(trace_file_line(f, &s), 10);
    ck_assert_str_eq(s, "third line");
    ck_assert_uint_eq(trace_file_line_no(f), 3);
    ck_assert_uint_eq(trace_file_line_offset(f), 8);
    ck_assert_int_eq(trace_file_line(f, &s), 20);
    ck_assert_str_eq(s, "last without newline");
    ck_assert_uint_eq(trace_file_line_offset(f), 19);
    ck_assert_int_eq(trace_file_line(f, &s), -1);
    ck_assert_ptr_null(trace_file_error(f));
    trace_file_close(f);
}
END_TEST

/* 40,000 lines of lengths 0..79 (about 1.6 MB, several buffer refills with
 * lines straddling the refill points), plain and gzip'd. */
START_TEST(test_many_lines_across_buffer_refills)
{
    size_t cap = 4u << 20, n = 0;
    char *text = malloc(cap);
    for (unsigned i = 0; i < 40000; i++) {
        unsigned len = i * 37 % 80;
        for (unsigned k = 0; k < len; k++)
            text[n++] = (char)('a' + (i + k) % 26);
        text[n++] = '\n';
    }
    size_t gl;
    uint8_t *g = tt_gzip(text, n, &gl);
    for (int gz = 0; gz < 2; gz++) {
        trace_file_t *f = gz ? trace_file_open(tt_write("m.gz", g, gl), err, sizeof err)
                             : trace_file_open(tt_write("m.txt", text, n), err, sizeof err);
        size_t off = 0;
        char *s;
        for (unsigned i = 0; i < 40000; i++) {
            unsigned len = i * 37 % 80;
            ck_assert_int_eq(trace_file_line(f, &s), (ssize_t)len);
            ck_assert_uint_eq(trace_file_line_offset(f), off);
            ck_assert_uint_eq(trace_file_line_no(f), i + 1);
            ck_assert_int_eq(memcmp(s, text + off, len), 0);
            off += len + 1;
        }
        ck_assert_int_eq(trace_file_line(f, &s), -1);
        ck_assert_ptr_null(trace_file_error(f));
        trace_file_close(f);
    }
    free(g);
    free(text);
}
END_TEST

START_TEST(test_line_limits)
{
    size_t n = 65536 + 2 + 65537 + 1;
    char *text = malloc(n);
    memset(text, 'x', n);
    text[65536] = '\r';
    text[65537] = '\n';          /* line 1: exactly 65536 bytes, CRLF */
    text[n - 1] = '\n';          /* line 2: 65537 bytes */
    trace_file_t *f = trace_file_open(tt_write("long.txt", text, n), err, sizeof err);
    char *s;
    ck_assert_int_eq(trace_file_line(f, &s), 65536);
    ck_assert_int_eq(trace_file_line(f, &s), -1);
    ck_assert_str_eq(trace_file_error(f), "line longer than 65536 bytes");
    ck_assert_uint_eq(trace_file_line_no(f), 2);
    ck_assert_uint_eq(trace_file_line_offset(f), 65538);
    trace_file_close(f);
    free(text);

    const char bin[] = "ok\nbin\0ary\n";
    f = trace_file_open(tt_write("nul.txt", bin, sizeof bin - 1), err, sizeof err);
    ck_assert_int_eq(trace_file_line(f, &s), 2);
    ck_assert_int_eq(trace_file_line(f, &s), -1);
    ck_assert_ptr_nonnull(strstr(trace_file_error(f), "NUL byte"));
    trace_file_close(f);
}
END_TEST

START_TEST(test_a_cut_gzip_never_yields_its_partial_last_line)
{
    const char text[] = "100 1 2 3 0\n200 1 2 3 0\n300 1 2 3 1\n";
    size_t gl;
    uint8_t *g = tt_gzip(text, sizeof text - 1, &gl);
    trace_file_t *f = trace_file_open(tt_write("cutl.gz", g, gl - 8), err, sizeof err);
    char *s;
    int lines = 0;
    ssize_t r;
    while ((r = trace_file_line(f, &s)) >= 0)
        lines++;
    ck_assert_int_le(lines, 3);
    ck_assert_str_eq(trace_file_error(f), "gzip: unexpected end of file");
    trace_file_close(f);
    free(g);
}
END_TEST

START_TEST(test_open_errors_and_the_error_format)
{
    char path[300];
    snprintf(path, sizeof path, "%s/missing.pcap", tmp_dir);
    ck_assert_ptr_null(trace_file_open(path, err, sizeof err));
    char want[400];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(trace_file_open(tmp_dir, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, ": cannot open: Is a directory"));

    trace_file_t *f = trace_file_open(tt_write("e.txt", "x", 1), err, sizeof err);
    trace_file_err(f, err, sizeof err, 7, 1234, "bad %s\nsecond line", "thing");
    snprintf(want, sizeof want, "%s: record 7 (offset 1234): bad thing?second line",
             trace_file_path(f));
    ck_assert_str_eq(err, want);
    trace_file_err(f, err, sizeof err, 0, 0, "not a capture");
    snprintf(want, sizeof want, "%s: header (offset 0): not a capture", trace_file_path(f));
    ck_assert_str_eq(err, want);
    char small[8];
    trace_file_err(f, small, sizeof small, 1, 2, "x");
    ck_assert_uint_eq(strlen(small), 7);
    trace_file_close(f);
}
END_TEST

static Suite *tfile_suite(void)
{
    Suite *s = suite_create("traces/tfile");
    TCase *tc = tcase_create("tfile");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_plain_and_gzip_read_the_same_bytes_and_offsets);
    tcase_add_test(tc, test_gzip_is_detected_by_magic_not_by_name);
    tcase_add_test(tc, test_gzip_without_its_trailer_is_an_error);
    tcase_add_test(tc, test_corrupt_gzip_is_an_error);
    tcase_add_test(tc, test_lines_strip_line_ends_and_count);
    tcase_add_test(tc, test_many_lines_across_buffer_refills);
    tcase_add_test(tc, test_line_limits);
    tcase_add_test(tc, test_a_cut_gzip_never_yields_its_partial_last_line);
    tcase_add_test(tc, test_open_errors_and_the_error_format);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(tfile_suite)
