/* tests/model/check_hist: model/hist against exact order statistics.
 *
 * Percentiles are compared with the nearest-rank value of the sorted sample
 * (rank = ceil(q N / 100), computed in integers here); bucket layout with
 * the header's promise (every value in its bucket, width <= lo/128,
 * buckets tile uint64). */
#include "tests/check_main.h"

#include "model/hist.h"
#include "model/rng.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* q in hundredths of a percent, so ranks are computed exactly. */
static const unsigned q_bp[] = {5000, 9000, 9900, 9990, 9999};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Exact nearest-rank percentile of sorted[0..n): rank ceil(q_bp n / 10000). */
static uint64_t exact_percentile(const uint64_t *sorted, uint64_t n, unsigned qbp)
{
    uint64_t rank = (qbp * n + 9999) / 10000;
    return sorted[rank ? rank - 1 : 0];
}

/* ---------------------------------------------------------------- samplers */

/* Independent of model/dist on purpose: plain inversion formulas. */
typedef uint64_t (*sampler_fn)(rng_t *r);

static uint64_t sample_exponential(rng_t *r)
{
    return (uint64_t)(-1e6 * log1p(-rng_unit(r))); /* mean 1 us in ps */
}

static uint64_t sample_lognormal_sigma2(rng_t *r)
{
    double u1 = 1.0 - rng_unit(r), u2 = rng_unit(r);
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    return (uint64_t)exp(log(1e6) - 2.0 + 2.0 * z); /* mean 1e6, sigma 2 */
}

static uint64_t sample_log_uniform_1e3_1e15(rng_t *r)
{
    return (uint64_t)(1e3 * pow(10.0, 12.0 * rng_unit(r)));
}

static const struct {
    sampler_fn fn;
    const char *desc;
} samplers[] = {
    {sample_exponential, "exponential mean 1e6"},
    {sample_lognormal_sigma2, "lognormal mean 1e6 sigma 2"},
    {sample_log_uniform_1e3_1e15, "log-uniform 1e3..1e15"},
};

/* ---------------------------------------------------------------- percentiles */

START_TEST(test_percentiles_within_one_percent_of_exact)
{
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    hist_t *h = malloc(sizeof *h);
    ck_assert(v && h);
    rng_t r;
    rng_init(&r, 11, (uint64_t)_i);
    hist_init(h);
    for (int i = 0; i < N; i++) {
        v[i] = samplers[_i].fn(&r);
        hist_record(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_u64);
    for (size_t k = 0; k < sizeof q_bp / sizeof q_bp[0]; k++) {
        double want = (double)exact_percentile(v, N, q_bp[k]);
        double got = (double)hist_percentile(h, q_bp[k] / 100.0);
        /* The header promises half a bucket: 1/256 (0.4%), inside the
         * required 1%. */
        ck_assert_msg(fabs(got - want) <= want / 256, "%s q=%.2f: got %.0f want %.0f",
                      samplers[_i].desc, q_bp[k] / 100.0, got, want);
    }
    free(v);
    free(h);
}
END_TEST

START_TEST(test_percentile_0_and_100_are_exact_min_and_max)
{
    hist_t h;
    hist_init(&h);
    static const uint64_t vals[] = {123456789, 1000, 999999999999, 5000000, 77};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        hist_record(&h, vals[i]);
    ck_assert_uint_eq(hist_percentile(&h, 0), 77);
    ck_assert_uint_eq(hist_percentile(&h, 100), 999999999999);
    ck_assert_uint_eq(hist_percentile(&h, 1), 77);      /* rank 1 */
    ck_assert_uint_eq(hist_percentile(&h, 99.99), 999999999999); /* rank N */
}
END_TEST

START_TEST(test_small_values_are_exact)
{
    /* Below 256 every bucket holds one value: percentiles are exact. */
    hist_t h;
    hist_init(&h);
    for (uint64_t v = 1; v <= 200; v++)
        hist_record(&h, v);
    ck_assert_uint_eq(hist_percentile(&h, 50), 100);
    ck_assert_uint_eq(hist_percentile(&h, 90), 180);
    ck_assert_uint_eq(hist_percentile(&h, 99), 198);
    ck_assert_uint_eq(hist_percentile(&h, 99.9), 200); /* ceil(199.8) */
    ck_assert_uint_eq(hist_percentile(&h, 0.5), 1);
}
END_TEST

START_TEST(test_decimal_q_does_not_round_up_a_rank)
{
    /* 90.04% of 10000 is rank 9004 exactly, but in doubles
     * 90.04 * 10000 / 100 = 9004.000000000002: a plain ceil() would report
     * the 9005th sample. */
    hist_t h;
    hist_init(&h);
    for (int i = 0; i < 9004; i++)
        hist_record(&h, 10);
    for (int i = 0; i < 996; i++)
        hist_record(&h, 1000000);
    ck_assert_uint_eq(hist_percentile(&h, 90.04), 10);
    ck_assert_uint_eq(hist_percentile(&h, 90.05), 1000000);
}
END_TEST

START_TEST(test_single_value_every_percentile_is_it)
{
    hist_t h;
    hist_init(&h);
    hist_record(&h, 123456789123);
    for (double q = 0; q <= 100; q += 12.5)
        ck_assert_uint_eq(hist_percentile(&h, q), 123456789123);
}
END_TEST

/* ---------------------------------------------------------------- buckets */

START_TEST(test_buckets_tile_uint64_with_bounded_width)
{
    uint64_t prev_hi = 0;
    unsigned bad = 0, first_bad = HIST_BUCKETS;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        uint64_t lo, hi;
        hist_bucket_range(b, &lo, &hi);
        bool ok = lo <= hi && lo == (b == 0 ? 0 : prev_hi + 1) &&
                  hist_bucket_of(lo) == b && hist_bucket_of(hi) == b &&
                  (lo < HIST_SUB_COUNT || hi - lo + 1 <= lo / 128);
        if (!ok && bad++ == 0)
            first_bad = b;
        prev_hi = hi;
    }
    ck_assert_msg(bad == 0, "%u bad buckets, first %u", bad, first_bad);
    ck_assert_uint_eq(prev_hi, UINT64_MAX);
}
END_TEST

START_TEST(test_every_value_lies_in_its_bucket)
{
    rng_t r;
    rng_init(&r, 3, 3);
    int outside = 0;
    for (int i = 0; i < 200000; i++) {
        /* uniform over bit lengths, then uniform within */
        uint64_t v = rng_next(&r) >> rng_below(&r, 64);
        uint64_t lo, hi;
        unsigned b = hist_bucket_of(v);
        if (b >= HIST_BUCKETS) {
            outside++;
            continue;
        }
        hist_bucket_range(b, &lo, &hi);
        outside += !(lo <= v && v <= hi);
    }
    ck_assert_int_eq(outside, 0);
    ck_assert_uint_eq(hist_bucket_of(UINT64_MAX), HIST_BUCKETS - 1);
    ck_assert_uint_eq(hist_bucket_of(0), 0);
    ck_assert_uint_eq(hist_bucket_of(127), 127);
    ck_assert_uint_eq(hist_bucket_of(128), 128);
}
END_TEST

/* ---------------------------------------------------------------- merge, moments */

START_TEST(test_merge_of_halves_equals_recording_all)
{
    static hist_t a, b, all;
    hist_init(&a);
    hist_init(&b);
    hist_init(&all);
    rng_t r;
    rng_init(&r, 8, 8);
    for (int i = 0; i < 100000; i++) {
        uint64_t v = rng_below(&r, UINT64_C(1) << 30); /* sums stay exact */
        hist_record(i % 2 ? &a : &b, v);
        hist_record(&all, v);
    }
    hist_merge(&a, &b);
    ck_assert_uint_eq(a.count, all.count);
    ck_assert_uint_eq(a.min, all.min);
    ck_assert_uint_eq(a.max, all.max);
    ck_assert_double_eq(a.sum, all.sum);
    ck_assert(memcmp(a.bucket, all.bucket, sizeof a.bucket) == 0);
    for (size_t k = 0; k < sizeof q_bp / sizeof q_bp[0]; k++)
        ck_assert_uint_eq(hist_percentile(&a, q_bp[k] / 100.0),
                          hist_percentile(&all, q_bp[k] / 100.0));
}
END_TEST

START_TEST(test_merge_into_empty_and_of_empty)
{
    static hist_t h, empty;
    hist_init(&h);
    hist_init(&empty);
    hist_record(&h, 42);
    hist_merge(&h, &empty);
    ck_assert_uint_eq(h.count, 1);
    ck_assert_uint_eq(h.min, 42);
    ck_assert_uint_eq(h.max, 42);
    hist_merge(&empty, &h);
    ck_assert_uint_eq(empty.count, 1);
    ck_assert_uint_eq(hist_percentile(&empty, 50), 42);
}
END_TEST

START_TEST(test_empty_histogram)
{
    hist_t h;
    hist_init(&h);
    ck_assert_uint_eq(h.count, 0);
    ck_assert_uint_eq(h.min, UINT64_MAX);
    ck_assert_uint_eq(h.max, 0);
    ck_assert_double_eq(hist_mean(&h), 0.0);
    ck_assert_uint_eq(hist_percentile(&h, 0), 0);
    ck_assert_uint_eq(hist_percentile(&h, 50), 0);
    ck_assert_uint_eq(hist_percentile(&h, 100), 0);
}
END_TEST

START_TEST(test_min_max_mean_are_exact)
{
    hist_t h;
    hist_init(&h);
    uint64_t sum = 0, mn = UINT64_MAX, mx = 0;
    rng_t r;
    rng_init(&r, 4, 4);
    for (int i = 0; i < 1000; i++) {
        uint64_t v = 1000 + rng_below(&r, 1000000007);
        hist_record(&h, v);
        sum += v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    ck_assert_uint_eq(h.count, 1000);
    ck_assert_uint_eq(h.min, mn);
    ck_assert_uint_eq(h.max, mx);
    ck_assert_double_eq(hist_mean(&h), (double)sum / 1000.0);
    ck_assert_uint_eq(hist_percentile(&h, 0), mn);
    ck_assert_uint_eq(hist_percentile(&h, 100), mx);
}
END_TEST

START_TEST(test_extreme_values_recorded)
{
    hist_t h;
    hist_init(&h);
    hist_record(&h, 0);
    hist_record(&h, UINT64_MAX);
    ck_assert_uint_eq(h.bucket[0], 1);
    ck_assert_uint_eq(h.bucket[HIST_BUCKETS - 1], 1);
    ck_assert_uint_eq(hist_percentile(&h, 50), 0);
    ck_assert_uint_eq(hist_percentile(&h, 100), UINT64_MAX);
}
END_TEST

static Suite *hist_suite(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("percentiles");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_percentiles_within_one_percent_of_exact, 0,
                        (int)(sizeof samplers / sizeof samplers[0]));
    tcase_add_test(tc, test_percentile_0_and_100_are_exact_min_and_max);
    tcase_add_test(tc, test_small_values_are_exact);
    tcase_add_test(tc, test_decimal_q_does_not_round_up_a_rank);
    tcase_add_test(tc, test_single_value_every_percentile_is_it);
    suite_add_tcase(s, tc);

    tc = tcase_create("buckets");
    tcase_add_test(tc, test_buckets_tile_uint64_with_bounded_width);
    tcase_add_test(tc, test_every_value_lies_in_its_bucket);
    suite_add_tcase(s, tc);

    tc = tcase_create("merge");
    tcase_add_test(tc, test_merge_of_halves_equals_recording_all);
    tcase_add_test(tc, test_merge_into_empty_and_of_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("moments");
    tcase_add_test(tc, test_empty_histogram);
    tcase_add_test(tc, test_min_max_mean_are_exact);
    tcase_add_test(tc, test_extreme_values_recorded);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hist_suite)
