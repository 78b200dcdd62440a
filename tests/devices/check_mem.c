/* tests/devices/check_mem: simulated physical memory (devices/mem.h).
 *
 * Every expectation is written down from the contract: zeros for untouched
 * bytes, byte patterns computed here, little-endian layouts spelled out
 * byte by byte, page counts from 4 KiB arithmetic.  The "costs nothing"
 * test also reads the process's resident set from /proc (skipped where
 * /proc is missing) to show that a 64 TiB memory is not backed by host
 * memory until touched. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "devices/mem.h"
#include "tests/check_main.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)

static uint8_t pattern(uint64_t i) { return (uint8_t)(i * 7 + 3); }

/* ---------------------------------------------------------------- create */

START_TEST(test_create_rejects_bad_sizes)
{
    ck_assert_ptr_null(mem_create(0));
    ck_assert_ptr_null(mem_create(4095));
    ck_assert_ptr_null(mem_create(4097));
    ck_assert_ptr_null(mem_create((UINT64_C(1) << 46) + 4096));
    mem_t *m = mem_create(UINT64_C(1) << 46);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(mem_size(m), UINT64_C(1) << 46);
    mem_destroy(m);
    m = mem_create(4096);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(mem_size(m), 4096);
    mem_destroy(m);
}
END_TEST

/* ---------------------------------------------------------------- zeros */

START_TEST(test_untouched_memory_reads_zero)
{
    mem_t *m = mem_create(16 * MIB);
    uint8_t buf[3 * 4096 + 10];
    memset(buf, 0xAB, sizeof buf);
    ck_assert_int_eq(mem_read(m, 4096 - 5, buf, sizeof buf), 0);
    for (size_t i = 0; i < sizeof buf; i++)
        ck_assert_uint_eq(buf[i], 0);
    uint64_t v = 1;
    ck_assert_int_eq(mem_read_u64(m, 16 * MIB - 8, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_uint_eq(mem_pages_allocated(m), 0);
    mem_destroy(m);
}
END_TEST

START_TEST(test_bytes_next_to_a_write_stay_zero)
{
    mem_t *m = mem_create(1 * MIB);
    uint8_t one = 0x5A, buf[3];
    ck_assert_int_eq(mem_write(m, 8192 + 100, &one, 1), 0);
    ck_assert_int_eq(mem_read(m, 8192 + 99, buf, 3), 0);
    ck_assert_uint_eq(buf[0], 0);
    ck_assert_uint_eq(buf[1], 0x5A);
    ck_assert_uint_eq(buf[2], 0);
    mem_destroy(m);
}
END_TEST

/* ---------------------------------------------------------------- round trip */

START_TEST(test_write_read_round_trip_across_page_boundary)
{
    mem_t *m = mem_create(1 * MIB);
    uint8_t in[10], out[10];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = pattern(i);
    /* 4090..4099: 6 bytes in page 0, 4 in page 1. */
    ck_assert_int_eq(mem_write(m, 4090, in, sizeof in), 0);
    ck_assert_uint_eq(mem_pages_allocated(m), 2);
    ck_assert_int_eq(mem_read(m, 4090, out, sizeof out), 0);
    ck_assert_mem_eq(out, in, sizeof in);
    uint8_t last_of_page0, first_of_page1;
    mem_read(m, 4095, &last_of_page0, 1);
    mem_read(m, 4096, &first_of_page1, 1);
    ck_assert_uint_eq(last_of_page0, pattern(5));
    ck_assert_uint_eq(first_of_page1, pattern(6));
    mem_destroy(m);
}
END_TEST

START_TEST(test_write_spanning_many_pages)
{
    mem_t *m = mem_create(1 * MIB);
    enum { LEN = 3 * 4096 + 200 };
    static uint8_t in[LEN], out[LEN];
    for (size_t i = 0; i < LEN; i++)
        in[i] = pattern(i);
    /* 0x1F00 + 12488 - 1 = 0x4FC7: pages 1, 2, 3 and 4. */
    ck_assert_int_eq(mem_write(m, 0x1F00, in, LEN), 0);
    ck_assert_uint_eq(mem_pages_allocated(m), 4);
    ck_assert_int_eq(mem_read(m, 0x1F00, out, LEN), 0);
    ck_assert_mem_eq(out, in, LEN);
    mem_destroy(m);
}
END_TEST

START_TEST(test_write_across_gib_boundary)
{
    mem_t *m = mem_create(2 * GIB + 4096);
    uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8];
    ck_assert_int_eq(mem_write(m, GIB - 4, in, 8), 0);
    ck_assert_uint_eq(mem_pages_allocated(m), 2);
    ck_assert_int_eq(mem_read(m, GIB - 4, out, 8), 0);
    ck_assert_mem_eq(out, in, 8);
    /* The last page, alone in the third GiB. */
    ck_assert_int_eq(mem_write(m, 2 * GIB + 4088, in, 8), 0);
    ck_assert_int_eq(mem_read(m, 2 * GIB + 4088, out, 8), 0);
    ck_assert_mem_eq(out, in, 8);
    ck_assert_uint_eq(mem_pages_allocated(m), 3);
    mem_destroy(m);
}
END_TEST

START_TEST(test_fill_sets_bytes_and_zero_fill_of_untouched_allocates_nothing)
{
    mem_t *m = mem_create(1 * MIB);
    ck_assert_int_eq(mem_fill(m, 0, 0, 64 * KIB), 0);
    ck_assert_uint_eq(mem_pages_allocated(m), 0);
    ck_assert_int_eq(mem_fill(m, 4000, 0xEE, 200), 0); /* pages 0 and 1 */
    ck_assert_uint_eq(mem_pages_allocated(m), 2);
    uint8_t b[202];
    mem_read(m, 3999, b, sizeof b);
    ck_assert_uint_eq(b[0], 0);
    for (size_t i = 1; i <= 200; i++)
        ck_assert_uint_eq(b[i], 0xEE);
    ck_assert_uint_eq(b[201], 0);
    /* Zero fill of written bytes clears them. */
    ck_assert_int_eq(mem_fill(m, 4000, 0, 200), 0);
    mem_read(m, 3999, b, sizeof b);
    for (size_t i = 0; i < sizeof b; i++)
        ck_assert_uint_eq(b[i], 0);
    mem_destroy(m);
}
END_TEST

/* ---------------------------------------------------------------- bounds */

START_TEST(test_access_past_end_rejected_with_nothing_written)
{
    uint64_t size = 1 * MIB;
    mem_t *m = mem_create(size);
    uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    ck_assert_int_eq(mem_write(m, size - 4, in, 8), -1);
    ck_assert_int_eq(mem_write(m, size, in, 1), -1);
    ck_assert_int_eq(mem_fill(m, size - 1, 0xFF, 2), -1);
    ck_assert_int_eq(mem_write_u64(m, size - 4, 0x1122334455667788u), -1);
    ck_assert_int_eq(mem_write_u32(m, size - 2, 0x11223344u), -1);
    ck_assert_int_eq(mem_write_u16(m, size - 1, 0x1122u), -1);
    ck_assert_uint_eq(mem_pages_allocated(m), 0);
    /* The in-range half of the rejected write was not written either. */
    uint32_t tail = 1;
    ck_assert_int_eq(mem_read_u32(m, size - 4, &tail), 0);
    ck_assert_uint_eq(tail, 0);
    /* The last byte is addressable. */
    ck_assert_int_eq(mem_write(m, size - 1, in, 1), 0);
    mem_destroy(m);
}
END_TEST

START_TEST(test_read_past_end_rejected_with_buffer_untouched)
{
    uint64_t size = 1 * MIB;
    mem_t *m = mem_create(size);
    uint8_t buf[16];
    memset(buf, 0xCC, sizeof buf);
    ck_assert_int_eq(mem_read(m, size - 8, buf, 16), -1);
    for (size_t i = 0; i < sizeof buf; i++)
        ck_assert_uint_eq(buf[i], 0xCC);
    uint64_t v = 42;
    ck_assert_int_eq(mem_read_u64(m, size - 7, &v), -1);
    ck_assert_uint_eq(v, 42);
    mem_destroy(m);
}
END_TEST

START_TEST(test_wrapping_access_rejected)
{
    mem_t *m = mem_create(1 * MIB);
    uint8_t in[16] = { 0 }, out[16];
    /* pa + len wraps past 2^64 to a small address inside memory. */
    ck_assert_int_eq(mem_write(m, UINT64_MAX - 3, in, 16), -1);
    ck_assert_int_eq(mem_read(m, UINT64_MAX - 3, out, 16), -1);
    ck_assert_int_eq(mem_fill(m, UINT64_MAX, 1, 2), -1);
    ck_assert_int_eq(mem_write(m, 4096, in, SIZE_MAX), -1);
    ck_assert_int_eq(mem_write_u64(m, UINT64_MAX - 1, 1), -1);
    ck_assert_uint_eq(mem_pages_allocated(m), 0);
    mem_destroy(m);
}
END_TEST

START_TEST(test_empty_access_at_end_accepted)
{
    mem_t *m = mem_create(1 * MIB);
    uint8_t b = 0;
    ck_assert_int_eq(mem_write(m, 1 * MIB, &b, 0), 0);
    ck_assert_int_eq(mem_write(m, 1 * MIB + 1, &b, 0), -1);
    ck_assert_uint_eq(mem_pages_allocated(m), 0);
    mem_destroy(m);
}
END_TEST

/* ---------------------------------------------------------------- sparse */

/* Resident pages of this process, or -1 without /proc. */
static long resident_pages(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size, rss;
    if (!f)
        return -1;
    int n = fscanf(f, "%ld %ld", &size, &rss);
    fclose(f);
    return n == 2 ? rss : -1;
}

START_TEST(test_pages_allocated_grows_only_on_writes)
{
    mem_t *m = mem_create(64 * MIB);
    static uint8_t buf[64 * 1024];
    for (uint64_t pa = 0; pa < 64 * MIB; pa += sizeof buf)
        ck_assert_int_eq(mem_read(m, pa, buf, sizeof buf), 0);
    ck_assert_uint_eq(mem_pages_allocated(m), 0);
    mem_write_u32(m, 0x3000, 1);
    ck_assert_uint_eq(mem_pages_allocated(m), 1);
    mem_write_u32(m, 0x3FFC, 2); /* same page */
    ck_assert_uint_eq(mem_pages_allocated(m), 1);
    mem_write_u32(m, 0x3FFE, 3); /* straddles into page 4 */
    ck_assert_uint_eq(mem_pages_allocated(m), 2);
    mem_destroy(m);
}
END_TEST

START_TEST(test_terabyte_memory_costs_nothing_until_touched)
{
    long before = resident_pages();
    mem_t *big = mem_create(1 * TIB);
    mem_t *max = mem_create(UINT64_C(1) << 46);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_nonnull(max);
    ck_assert_uint_eq(mem_pages_allocated(big), 0);
    /* One write in each of 16 different GiBs, far apart. */
    for (uint64_t i = 0; i < 16; i++) {
        uint64_t pa = i * (64 * GIB) + i * 4096 + 8;
        ck_assert_int_eq(mem_write_u64(big, pa, i + 1), 0);
        ck_assert_int_eq(mem_write_u64(max, pa * 64, i + 1), 0);
    }
    ck_assert_int_eq(mem_write_u64(big, 1 * TIB - 8, 0xFEEDu), 0);
    ck_assert_uint_eq(mem_pages_allocated(big), 17);
    ck_assert_uint_eq(mem_pages_allocated(max), 16);
    uint64_t v;
    ck_assert_int_eq(mem_read_u64(big, 3 * (64 * GIB) + 3 * 4096 + 8, &v), 0);
    ck_assert_uint_eq(v, 4);
    ck_assert_int_eq(mem_read_u64(big, 1 * TIB - 8, &v), 0);
    ck_assert_uint_eq(v, 0xFEEDu);
    long after = resident_pages();
    if (before >= 0 && after >= 0) /* 33 touched pages plus bookkeeping: < 16 MiB */
        ck_assert_int_lt((after - before) * 4096, 16 * (long)MIB);
    mem_destroy(big);
    mem_destroy(max);
}
END_TEST

/* ---------------------------------------------------------------- endian */

START_TEST(test_write_helpers_lay_out_little_endian)
{
    mem_t *m = mem_create(1 * MIB);
    uint8_t b[8];
    mem_write_u16(m, 0x100, 0xA1B2u);
    mem_read(m, 0x100, b, 2);
    ck_assert_uint_eq(b[0], 0xB2);
    ck_assert_uint_eq(b[1], 0xA1);
    mem_write_u32(m, 0x200, 0x11223344u);
    mem_read(m, 0x200, b, 4);
    ck_assert_uint_eq(b[0], 0x44);
    ck_assert_uint_eq(b[1], 0x33);
    ck_assert_uint_eq(b[2], 0x22);
    ck_assert_uint_eq(b[3], 0x11);
    mem_write_u64(m, 4092, UINT64_C(0x0102030405060708)); /* across pages */
    mem_read(m, 4092, b, 8);
    const uint8_t want[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
    ck_assert_mem_eq(b, want, 8);
    mem_destroy(m);
}
END_TEST

START_TEST(test_read_helpers_assemble_little_endian)
{
    mem_t *m = mem_create(1 * MIB);
    const uint8_t bytes[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
    mem_write(m, 8190, bytes, 8); /* 2 bytes in page 1, 6 in page 2 */
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    ck_assert_int_eq(mem_read_u16(m, 8190, &v16), 0);
    ck_assert_uint_eq(v16, 0x0201u);
    ck_assert_int_eq(mem_read_u32(m, 8190, &v32), 0);
    ck_assert_uint_eq(v32, 0x04030201u);
    ck_assert_int_eq(mem_read_u64(m, 8190, &v64), 0);
    ck_assert_uint_eq(v64, UINT64_C(0x0807060504030201));
    mem_destroy(m);
}
END_TEST

static Suite *mem_suite(void)
{
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("create");
    tcase_add_test(tc, test_create_rejects_bad_sizes);
    suite_add_tcase(s, tc);
    tc = tcase_create("zeros");
    tcase_add_test(tc, test_untouched_memory_reads_zero);
    tcase_add_test(tc, test_bytes_next_to_a_write_stay_zero);
    suite_add_tcase(s, tc);
    tc = tcase_create("round_trip");
    tcase_add_test(tc, test_write_read_round_trip_across_page_boundary);
    tcase_add_test(tc, test_write_spanning_many_pages);
    tcase_add_test(tc, test_write_across_gib_boundary);
    tcase_add_test(tc, test_fill_sets_bytes_and_zero_fill_of_untouched_allocates_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("bounds");
    tcase_add_test(tc, test_access_past_end_rejected_with_nothing_written);
    tcase_add_test(tc, test_read_past_end_rejected_with_buffer_untouched);
    tcase_add_test(tc, test_wrapping_access_rejected);
    tcase_add_test(tc, test_empty_access_at_end_accepted);
    suite_add_tcase(s, tc);
    tc = tcase_create("sparse");
    tcase_add_test(tc, test_pages_allocated_grows_only_on_writes);
    tcase_add_test(tc, test_terabyte_memory_costs_nothing_until_touched);
    suite_add_tcase(s, tc);
    tc = tcase_create("endian");
    tcase_add_test(tc, test_write_helpers_lay_out_little_endian);
    tcase_add_test(tc, test_read_helpers_assemble_little_endian);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(mem_suite)
