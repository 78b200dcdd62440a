/* tests/sim/check_uspans: merged range unions (sim/uspans.h) answer
 * exactly what the ranges say, byte by byte.
 *
 * The oracle is the definition: [pa, pa + len) is covered when every byte
 * of it lies in some range (writable ones only, when asked), and an empty
 * access is covered when its address is.  Ranges and questions come from
 * a fixed xorshift generator in a small address space, so overlapping,
 * touching, nested and disjoint ranges all occur; a few spans exercise
 * the scan, many the binary search; questions are asked in random order
 * so the "last span" cache is hit and missed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/uspans.h"
#include "tests/check_main.h"

#define SPACE 600u
#define MAXR 64u

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static bool byte_in(const urange_t *r, size_t n, uint64_t b, bool writable_only)
{
    for (size_t i = 0; i < n; i++)
        if ((!writable_only || r[i].writable) && b >= r[i].pa && b < r[i].end)
            return true;
    return false;
}

static bool oracle(const urange_t *r, size_t n, uint64_t pa, uint64_t len, bool wonly)
{
    if (!len)
        return byte_in(r, n, pa, wonly);
    for (uint64_t b = pa; b < pa + len; b++)
        if (!byte_in(r, n, b, wonly))
            return false;
    return true;
}

static void check_random(unsigned nranges, uint64_t seed)
{
    uint64_t x = seed;
    urange_t r[MAXR];
    for (unsigned i = 0; i < nranges; i++) {
        uint64_t pa = rnd(&x) % SPACE, len = 1 + rnd(&x) % 40;
        r[i] = (urange_t){ pa, pa + len, rnd(&x) % 3 != 0 };
    }
    uspans_t all = { 0 }, wr = { 0 };
    uspans_build(&all, r, nranges, false);
    uspans_build(&wr, r, nranges, true);
    for (unsigned q = 0; q < 20000; q++) {
        uint64_t pa = rnd(&x) % (SPACE + 50), len = rnd(&x) % 48;
        ck_assert_int_eq(uspans_cover(&all, pa, pa + len), oracle(r, nranges, pa, len, false));
        ck_assert_int_eq(uspans_cover(&wr, pa, pa + len), oracle(r, nranges, pa, len, true));
    }
    free(all.s);
    free(wr.s);
}

START_TEST(test_few_ranges_match_the_definition)
{
    for (uint64_t seed = 1; seed <= 20; seed++)
        check_random(1 + (unsigned)(seed % 5), seed * UINT64_C(0x9E3779B97F4A7C15));
}
END_TEST

START_TEST(test_many_ranges_match_the_definition)
{
    for (uint64_t seed = 1; seed <= 10; seed++)
        check_random(20 + (unsigned)(seed * 4), seed * UINT64_C(0xD1B54A32D192ED03));
}
END_TEST

START_TEST(test_touching_ranges_merge_and_gaps_stay)
{
    urange_t r[] = { { 10, 20, true }, { 20, 30, false }, { 31, 40, true } };
    uspans_t u = { 0 };
    uspans_build(&u, r, 3, false);
    ck_assert_uint_eq(u.n, 2); /* [10, 30) and [31, 40) */
    ck_assert(uspans_cover(&u, 12, 29));
    ck_assert(uspans_cover(&u, 10, 30));
    ck_assert(!uspans_cover(&u, 29, 32)); /* byte 30 is nobody's */
    ck_assert(uspans_cover(&u, 31, 40));
    ck_assert(!uspans_cover(&u, 39, 41));
    ck_assert(uspans_cover(&u, 35, 35));  /* empty, inside */
    ck_assert(!uspans_cover(&u, 30, 30)); /* empty, in the gap */
    uspans_build(&u, r, 3, true);         /* writable: [10, 20) and [31, 40) */
    ck_assert(!uspans_cover(&u, 15, 25));
    ck_assert(uspans_cover(&u, 15, 20));
    free(u.s);
}
END_TEST

START_TEST(test_no_ranges_cover_nothing)
{
    uspans_t u = { 0 };
    uspans_build(&u, NULL, 0, false);
    ck_assert(!uspans_cover(&u, 0, 0));
    ck_assert(!uspans_cover(&u, 5, 6));
    free(u.s);
}
END_TEST

static Suite *uspans_suite(void)
{
    Suite *s = suite_create("uspans");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_few_ranges_match_the_definition);
    tcase_add_test(tc, test_many_ranges_match_the_definition);
    tcase_add_test(tc, test_touching_ranges_merge_and_gaps_stay);
    tcase_add_test(tc, test_no_ranges_cover_nothing);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(uspans_suite)
