/* tests/model/check_rng: model/rng against the authors' reference code.
 *
 * The oracle below is Vigna's splitmix64.c and Blackman & Vigna's
 * xoshiro256starstar.c (https://prng.di.unimi.it/), transcribed with their
 * global state turned into an explicit one, plus the published test vectors
 * (splitmix64 from 0, xoshiro256** from the state {1, 2, 3, 4}) that prove
 * the transcription.  The seeding rule is the one documented in
 * model/rng.h. */
#include "tests/check_main.h"

#include "model/rng.h"

#include <math.h>
#include <stdint.h>

/* ---------------------------------------------------------------- oracle */

/* splitmix64.c, Sebastiano Vigna (public domain). */
static uint64_t ref_sm_x;
static uint64_t ref_sm_next(void)
{
    uint64_t z = (ref_sm_x += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

/* xoshiro256starstar.c, David Blackman and Sebastiano Vigna (public domain). */
static inline uint64_t ref_rotl(const uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t ref_s[4];
static uint64_t ref_next(void)
{
    const uint64_t result = ref_rotl(ref_s[1] * 5, 7) * 9;
    const uint64_t t = ref_s[1] << 17;
    ref_s[2] ^= ref_s[0];
    ref_s[3] ^= ref_s[1];
    ref_s[1] ^= ref_s[2];
    ref_s[0] ^= ref_s[3];
    ref_s[2] ^= t;
    ref_s[3] = ref_rotl(ref_s[3], 45);
    return result;
}

/* Seeding as documented in rng.h: x = seed; x = sm() ^ stream; s = 4 x sm(). */
static void ref_seed(uint64_t seed, uint64_t stream)
{
    ref_sm_x = seed;
    ref_sm_x = ref_sm_next() ^ stream;
    for (int i = 0; i < 4; i++)
        ref_s[i] = ref_sm_next();
}

/* ---------------------------------------------------------------- oracle self-test */

START_TEST(test_oracle_reproduces_published_vectors)
{
    static const uint64_t sm0[] = {0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4,
                                   0x06c45d188009454f, 0xf88bb8a8724c81ec};
    ref_sm_x = 0;
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(ref_sm_next(), sm0[i]);

    /* rand_xoshiro's "reference" test, produced with the C reference code. */
    static const uint64_t x1234[] = {
        11520u, 0u, 1509978240u, 1215971899390074240u, 1216172134540287360u,
        607988272756665600u, 16172922978634559625u, 8476171486693032832u,
        10595114339597558777u, 2904607092377533576u};
    ref_s[0] = 1, ref_s[1] = 2, ref_s[2] = 3, ref_s[3] = 4;
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(ref_next(), x1234[i]);
}
END_TEST

/* ---------------------------------------------------------------- sequence */

START_TEST(test_next_matches_reference_from_given_state)
{
    rng_t r = {{1, 2, 3, 4}};
    ref_s[0] = 1, ref_s[1] = 2, ref_s[2] = 3, ref_s[3] = 4;
    int mismatches = 0; /* one assertion per test: ck_assert is slow in loops */
    for (int i = 0; i < 10000; i++)
        mismatches += rng_next(&r) != ref_next();
    ck_assert_int_eq(mismatches, 0);
}
END_TEST

START_TEST(test_init_matches_reference_seeding)
{
    static const uint64_t cases[][2] = {
        {0, 0}, {1, 0}, {0, 1}, {42, 7}, {UINT64_MAX, UINT64_MAX},
        {0x0123456789abcdef, 0xfedcba9876543210}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rng_t r;
        rng_init(&r, cases[c][0], cases[c][1]);
        ref_seed(cases[c][0], cases[c][1]);
        for (int i = 0; i < 4; i++)
            ck_assert_uint_eq(r.s[i], ref_s[i]);
        int mismatches = 0;
        for (int i = 0; i < 1000; i++)
            mismatches += rng_next(&r) != ref_next();
        ck_assert_int_eq(mismatches, 0);
    }
}
END_TEST

START_TEST(test_init_state_never_all_zero)
{
    for (uint64_t seed = 0; seed < 64; seed++)
        for (uint64_t stream = 0; stream < 64; stream++) {
            rng_t r;
            rng_init(&r, seed, stream);
            ck_assert((r.s[0] | r.s[1] | r.s[2] | r.s[3]) != 0);
        }
}
END_TEST

/* ---------------------------------------------------------------- streams */

/* Count equal outputs at equal positions in the first `len` draws. */
static int coinciding_draws(rng_t a, rng_t b, int len)
{
    int same = 0;
    for (int i = 0; i < len; i++)
        same += rng_next(&a) == rng_next(&b);
    return same;
}

START_TEST(test_streams_with_different_ids_differ)
{
    rng_t base;
    rng_init(&base, 12345, 0);
    for (uint64_t stream = 1; stream < 200; stream++) {
        rng_t other;
        rng_init(&other, 12345, stream);
        ck_assert_int_eq(coinciding_draws(base, other, 256), 0);
    }
}
END_TEST

START_TEST(test_seeds_with_same_stream_differ)
{
    uint64_t stream = rng_stream_id("load.arrivals");
    rng_t base;
    rng_init(&base, 1, stream);
    for (uint64_t seed = 2; seed < 200; seed++) {
        rng_t other;
        rng_init(&other, seed, stream);
        ck_assert_int_eq(coinciding_draws(base, other, 256), 0);
    }
}
END_TEST

START_TEST(test_same_seed_and_stream_repeat)
{
    rng_t a, b;
    rng_init(&a, 99, rng_stream_id("core3"));
    rng_init(&b, 99, rng_stream_id("core3"));
    ck_assert_int_eq(coinciding_draws(a, b, 1000), 1000);
}
END_TEST

START_TEST(test_stream_id_is_fnv1a_64)
{
    /* Published FNV-1a 64 vectors (offset basis; "a"; "foobar"). */
    ck_assert_uint_eq(rng_stream_id(""), 0xcbf29ce484222325);
    ck_assert_uint_eq(rng_stream_id("a"), 0xaf63dc4c8601ec8c);
    ck_assert_uint_eq(rng_stream_id("foobar"), 0x85944171f73967e8);
    ck_assert_uint_ne(rng_stream_id("core1"), rng_stream_id("core2"));
}
END_TEST

/* ---------------------------------------------------------------- rng_below */

START_TEST(test_below_stays_in_bounds)
{
    static const uint64_t ns[] = {1, 2, 3, 7, 10, 1000, (1u << 31) + 1,
                                  (UINT64_C(1) << 63) + 1, UINT64_MAX};
    rng_t r;
    rng_init(&r, 7, 7);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        uint64_t max = 0;
        for (int k = 0; k < 20000; k++) {
            uint64_t v = rng_below(&r, ns[i]);
            max = v > max ? v : max;
        }
        ck_assert_uint_lt(max, ns[i]);
    }
}
END_TEST

/* Pearson chi-square of counts[0..k) against equal expectations. */
static double chi_square_uniform(const uint64_t *counts, int k, uint64_t total)
{
    double expect = (double)total / k, chi = 0;
    for (int i = 0; i < k; i++)
        chi += (counts[i] - expect) * (counts[i] - expect) / expect;
    return chi;
}

START_TEST(test_below_small_n_is_uniform)
{
    /* 9 degrees of freedom: P(chi2 > 40) ~ 5e-6. */
    enum { K = 10, N = 1000000 };
    uint64_t counts[K] = {0};
    rng_t r;
    rng_init(&r, 2024, rng_stream_id("uniformity"));
    for (int i = 0; i < N; i++)
        counts[rng_below(&r, K)]++;
    ck_assert_double_lt(chi_square_uniform(counts, K, N), 40.0);
}
END_TEST

START_TEST(test_below_large_n_has_no_modulo_bias)
{
    /* n = 3 * 2^62: the three quarters-of-2^64 thirds must be equally likely.
     * A plain "x % n" would put half of all draws in the first third. */
    enum { N = 300000 };
    const uint64_t third = UINT64_C(1) << 62, n = 3 * third;
    uint64_t counts[3] = {0};
    rng_t r;
    rng_init(&r, 5, 5);
    for (int i = 0; i < N; i++)
        counts[rng_below(&r, n) / third]++;
    /* 2 degrees of freedom: P(chi2 > 30) ~ 3e-7. */
    ck_assert_double_lt(chi_square_uniform(counts, 3, N), 30.0);
}
END_TEST

START_TEST(test_below_large_n_rejects_lemire_bias)
{
    /* n = 3 * 2^62: the high word of x * n alone (Lemire without the
     * rejection step) maps two x to every v = 0 mod 3 and one x to the
     * others, so half of all draws would be 0 mod 3. */
    enum { N = 300000 };
    const uint64_t n = 3 * (UINT64_C(1) << 62);
    uint64_t counts[3] = {0};
    rng_t r;
    rng_init(&r, 6, 6);
    for (int i = 0; i < N; i++)
        counts[rng_below(&r, n) % 3]++;
    ck_assert_double_lt(chi_square_uniform(counts, 3, N), 30.0);
}
END_TEST

START_TEST(test_below_one_is_zero)
{
    rng_t r;
    rng_init(&r, 1, 1);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(rng_below(&r, 1), 0);
}
END_TEST

/* ---------------------------------------------------------------- rng_unit */

START_TEST(test_unit_in_half_open_interval_with_right_moments)
{
    enum { N = 1000000 };
    rng_t r;
    rng_init(&r, 3, rng_stream_id("unit"));
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        double u = rng_unit(&r);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        sum += u;
        sum2 += u * u;
    }
    ck_assert(lo >= 0.0 && hi < 1.0);
    /* Mean 1/2 (sd 1/sqrt(12 N)); E[U^2] = 1/3 (sd sqrt(4/45 / N)). */
    ck_assert_double_lt(fabs(sum / N - 0.5), 5 * sqrt(1.0 / 12 / N));
    ck_assert_double_lt(fabs(sum2 / N - 1.0 / 3), 5 * sqrt(4.0 / 45 / N));
}
END_TEST

/* Inverse of an odd a modulo 2^64 (Newton: each step doubles the bits). */
static uint64_t inverse_mod_2_64(uint64_t a)
{
    uint64_t x = a; /* right to 3 bits for odd a */
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

START_TEST(test_unit_maps_extreme_words_to_0_and_below_1)
{
    /* xoshiro256** outputs rotl(s1 * 5, 7) * 9: s1 = 0 gives 0, and
     * s1 = rotr(~0 * 9^-1, 7) * 5^-1 gives the all-ones word. */
    rng_t r = {{1, 0, 0, 0}};
    ck_assert_double_eq(rng_unit(&r), 0.0);

    uint64_t w = UINT64_MAX * inverse_mod_2_64(9);
    w = (w >> 7) | (w << 57);
    r = (rng_t){{1, w * inverse_mod_2_64(5), 0, 0}};
    double u = rng_unit(&r);
    ck_assert_double_eq(u, 1.0 - 0x1.0p-53);
    ck_assert_double_lt(u, 1.0);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("reference");
    tcase_add_test(tc, test_oracle_reproduces_published_vectors);
    tcase_add_test(tc, test_next_matches_reference_from_given_state);
    tcase_add_test(tc, test_init_matches_reference_seeding);
    tcase_add_test(tc, test_init_state_never_all_zero);
    suite_add_tcase(s, tc);

    tc = tcase_create("streams");
    tcase_add_test(tc, test_streams_with_different_ids_differ);
    tcase_add_test(tc, test_seeds_with_same_stream_differ);
    tcase_add_test(tc, test_same_seed_and_stream_repeat);
    tcase_add_test(tc, test_stream_id_is_fnv1a_64);
    suite_add_tcase(s, tc);

    tc = tcase_create("below");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_below_stays_in_bounds);
    tcase_add_test(tc, test_below_small_n_is_uniform);
    tcase_add_test(tc, test_below_large_n_has_no_modulo_bias);
    tcase_add_test(tc, test_below_large_n_rejects_lemire_bias);
    tcase_add_test(tc, test_below_one_is_zero);
    suite_add_tcase(s, tc);

    tc = tcase_create("unit");
    tcase_add_test(tc, test_unit_in_half_open_interval_with_right_moments);
    tcase_add_test(tc, test_unit_maps_extreme_words_to_0_and_below_1);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(rng_suite)
