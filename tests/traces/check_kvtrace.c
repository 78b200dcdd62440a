/* tests/traces/check_kvtrace: traces/kvtrace, the KVS request trace
 * loader, on traces written here.  Expected values are the fields written
 * (times converted ns -> ps relative to the first line); errors name the
 * line and its byte offset counted in the text. */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>

#include "tests/traces/tt.h"
#include "traces/kvtrace.h"

static char err[512];

static const char *load_err(const char *text)
{
    trace_kv_t t;
    const char *path = tt_write("e.csv", text, strlen(text));
    ck_assert_int_eq(trace_kv_load(path, &t, err, sizeof err), -1);
    ck_assert_ptr_null(t.rec);
    size_t pl = strlen(path);
    ck_assert_msg(strncmp(err, path, pl) == 0 && strncmp(err + pl, ": ", 2) == 0, "%s", err);
    return err + pl + 2;
}

static void rec_is(const trace_kv_rec_t *r, uint64_t t_ps, int op, const char *key, uint32_t vs)
{
    ck_assert_uint_eq(r->t_ps, t_ps);
    ck_assert_int_eq(r->op, op);
    ck_assert_uint_eq(r->key_len, strlen(key));
    ck_assert_mem_eq(r->key, key, strlen(key));
    ck_assert_uint_eq(r->value_size, vs);
}

static const char sample[] = "time_ns,op,key,value_size\n"
                             "1000,GET,user:1,0\n"
                             "1000,set,user:2,512\r\n"
                             "\n"
                             "2500, Get , k\xc3\xa9y ,100\n"
                             "1001000,SET,x,1048576\n";

static void check_sample(const trace_kv_t *t)
{
    ck_assert_uint_eq(t->n, 4);
    rec_is(&t->rec[0], 0, TRACE_KV_GET, "user:1", 0);
    rec_is(&t->rec[1], 0, TRACE_KV_SET, "user:2", 512);
    rec_is(&t->rec[2], 1500000, TRACE_KV_GET, "k\xc3\xa9y", 100);
    rec_is(&t->rec[3], 1000000000, TRACE_KV_SET, "x", 1048576);
}

START_TEST(test_parse_fields_and_relative_time)
{
    trace_kv_t t;
    ck_assert_int_eq(trace_kv_load(tt_write("s.csv", sample, sizeof sample - 1), &t, err,
                                   sizeof err), 0);
    check_sample(&t);
    trace_kv_free(&t);
    ck_assert_ptr_null(t.rec);
    /* without the header */
    const char *body = strchr(sample, '\n') + 1;
    ck_assert_int_eq(trace_kv_load(tt_write("n.csv", body, strlen(body)), &t, err, sizeof err), 0);
    check_sample(&t);
    trace_kv_free(&t);
}
END_TEST

START_TEST(test_key_of_64_bytes_is_kept_whole)
{
    char text[200], key[65];
    memset(key, 'k', 64);
    key[64] = 0;
    snprintf(text, sizeof text, "5,SET,%s,7\n", key);
    trace_kv_t t;
    ck_assert_int_eq(trace_kv_load(tt_write("k.csv", text, strlen(text)), &t, err, sizeof err), 0);
    rec_is(&t.rec[0], 0, TRACE_KV_SET, key, 7);
    trace_kv_free(&t);
    snprintf(text, sizeof text, "5,SET,%sk,7\n", key);
    ck_assert_str_eq(load_err(text), "record 1 (offset 0): key of 65 bytes (at most 64)");
}
END_TEST

START_TEST(test_errors_name_line_and_offset)
{
    static const struct { const char *text, *want; } cases[] = {
        {"1,DEL,a,0\n", "record 1 (offset 0): unknown op 'DEL' (GET or SET)"},
        {"1,GET,a,0\n0,GET,b,0\n",
         "record 2 (offset 10): time 0 ns goes backwards (previous record: 1)"},
        {"1,GET,,0\n", "record 1 (offset 0): empty key"},
        {"1,GET,a b,0\n",
         "record 1 (offset 0): key byte 1 is 0x20 (blanks and control characters are not "
         "allowed)"},
        {"1,SET,a,1048577\n", "record 1 (offset 0): value_size 1048577 out of range (max "
                              "1048576)"},
        {"1,SET,a\n", "record 1 (offset 0): too few fields: lines are time_ns,op,key,value_size"},
        {"1,SET,a,1,2\n", "record 1 (offset 0): too many fields: lines are time_ns,op,key,"
                          "value_size"},
        {"-1,SET,a,1\n", "record 1 (offset 0): bad time_ns '-1' (an unsigned decimal integer "
                         "expected)"},
        {"1,GET,a,0\ntime_ns,op,key,value_size\n",
         "record 2 (offset 10): bad time_ns 'time_ns' (an unsigned decimal integer expected)"},
        {"0,GET,a,0\n18446744073709551615,GET,a,0\n",
         "record 2 (offset 10): time 18446744073709551615 ns is more than 2^64 ps after the "
         "first record"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_str_eq(load_err(cases[i].text), cases[i].want);
    const char *path = tt_write("h.csv", "time_ns,op,key,value_size\n", 26);
    trace_kv_t t;
    ck_assert_int_eq(trace_kv_load(path, &t, err, sizeof err), -1);
    char want[400];
    snprintf(want, sizeof want, "%s: no records (1 lines)", path);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_gzipped_kv_trace)
{
    size_t gl;
    uint8_t *g = tt_gzip(sample, sizeof sample - 1, &gl);
    trace_kv_t t;
    ck_assert_int_eq(trace_kv_load(tt_write("s.csv.gz", g, gl), &t, err, sizeof err), 0);
    check_sample(&t);
    trace_kv_free(&t);
    ck_assert_int_eq(trace_kv_load(tt_write("c.csv.gz", g, gl - 3), &t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "gzip: unexpected end of file"));
    free(g);
}
END_TEST

static Suite *kvtrace_suite(void)
{
    Suite *s = suite_create("traces/kvtrace");
    TCase *tc = tcase_create("kvtrace");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_parse_fields_and_relative_time);
    tcase_add_test(tc, test_key_of_64_bytes_is_kept_whole);
    tcase_add_test(tc, test_errors_name_line_and_offset);
    tcase_add_test(tc, test_gzipped_kv_trace);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(kvtrace_suite)
