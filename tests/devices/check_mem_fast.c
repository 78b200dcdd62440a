/* tests/devices/check_mem_fast: the inline accessors of devices/mem.h and
 * the read hook's gate.
 *
 * mem_read_inline / mem_write_inline must behave exactly as mem_read /
 * mem_write (devices/mem.h): same bytes, same -1 outside [0, size), pages
 * allocated only by writes.  Checked against a shadow copy of a window of
 * memory under a fixed stream of random writes and reads mixing the two
 * forms, for a memory with flat backing and one too large for it.  The
 * gate: with a hook and a gate, the hook runs before a read exactly when
 * *due <= *now; with no gate, before every read; with no hook, never. */
#include <stdint.h>
#include <string.h>

#include "devices/mem.h"
#include "tests/check_main.h"

#define WINDOW 65536u

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random accesses in [base, base + WINDOW), either form, checked against
 * a shadow. */
static void mixed_stream(mem_t *m, uint64_t base, uint64_t seed)
{
    static uint8_t shadow[WINDOW];
    uint8_t buf[200], got[200];
    uint64_t x = seed;
    memset(shadow, 0, sizeof shadow);
    for (unsigned i = 0; i < 50000; i++) {
        uint64_t v = rnd(&x);
        size_t len = (size_t)(v >> 8) % sizeof buf;
        uint64_t off = (v >> 20) % (WINDOW - len);
        if (v & 1) {
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rnd(&x);
            int rc = v & 2 ? mem_write_inline(m, base + off, buf, len)
                           : mem_write(m, base + off, buf, len);
            ck_assert_int_eq(rc, 0);
            memcpy(shadow + off, buf, len);
        } else {
            int rc = v & 2 ? mem_read_inline(m, base + off, got, len)
                           : mem_read(m, base + off, got, len);
            ck_assert_int_eq(rc, 0);
            ck_assert_int_eq(memcmp(got, shadow + off, len), 0);
        }
    }
}

START_TEST(test_inline_and_functions_agree_flat)
{
    mem_t *m = mem_create(UINT64_C(64) << 20);
    ck_assert_ptr_nonnull(m);
    mixed_stream(m, UINT64_C(3) << 20, 1);
    mixed_stream(m, (UINT64_C(64) << 20) - WINDOW, 2); /* the last page too */
    mem_destroy(m);
}
END_TEST

START_TEST(test_inline_and_functions_agree_without_flat_backing)
{
    mem_t *m = mem_create((UINT64_C(64) << 30) + 4096); /* above the flat limit */
    ck_assert_ptr_nonnull(m);
    mixed_stream(m, UINT64_C(40) << 30, 3);
    mem_destroy(m);
}
END_TEST

START_TEST(test_inline_bounds_and_allocation)
{
    const uint64_t size = UINT64_C(1) << 20;
    mem_t *m = mem_create(size);
    uint8_t b[16] = { 1, 2, 3 }, z[16];
    memset(z, 0xAA, sizeof z);
    ck_assert_int_eq(mem_read_inline(m, 8192, z, sizeof z), 0);
    for (size_t i = 0; i < sizeof z; i++)
        ck_assert_uint_eq(z[i], 0); /* never written: zeros */
    ck_assert_uint_eq(mem_pages_allocated(m), 0);
    ck_assert_int_eq(mem_write_inline(m, 8192, b, sizeof b), 0);
    ck_assert_uint_eq(mem_pages_allocated(m), 1);
    ck_assert_int_eq(mem_write_inline(m, 8200, b, sizeof b), 0); /* same page */
    ck_assert_uint_eq(mem_pages_allocated(m), 1);
    ck_assert_int_eq(mem_write_inline(m, 4096 * 5 - 8, b, sizeof b), 0); /* two new pages */
    ck_assert_uint_eq(mem_pages_allocated(m), 3);
    ck_assert_int_eq(mem_read_inline(m, size - 8, z, 16), -1);
    ck_assert_int_eq(mem_write_inline(m, size - 8, b, 16), -1);
    ck_assert_int_eq(mem_read_inline(m, size, z, 0), 0);
    ck_assert_int_eq(mem_write_inline(m, size, b, 0), 0);
    ck_assert_int_eq(mem_read_inline(m, size + 1, z, 0), -1);
    ck_assert_uint_eq(mem_pages_allocated(m), 3);
    mem_destroy(m);
}
END_TEST

static unsigned hook_calls;
static void hook(void *ctx)
{
    (void)ctx;
    hook_calls++;
}

START_TEST(test_gate_decides_when_the_hook_runs)
{
    mem_t *m = mem_create(UINT64_C(1) << 20);
    uint8_t b[8];
    uint64_t due = 100, now = 50;
    hook_calls = 0;
    mem_read(m, 0, b, sizeof b);
    mem_read_inline(m, 0, b, sizeof b);
    ck_assert_uint_eq(hook_calls, 0); /* no hook */
    mem_set_read_hook(m, hook, NULL);
    mem_read(m, 0, b, sizeof b);
    mem_read_inline(m, 0, b, sizeof b);
    ck_assert_uint_eq(hook_calls, 2); /* a hook, no gate: every read */
    mem_set_read_gate(m, &due, &now);
    mem_read(m, 0, b, sizeof b);
    mem_read_inline(m, 0, b, sizeof b);
    ck_assert_uint_eq(hook_calls, 2); /* due > now */
    now = 100;
    mem_read(m, 0, b, sizeof b);
    mem_read_inline(m, 0, b, sizeof b);
    ck_assert_uint_eq(hook_calls, 4); /* due <= now */
    mem_write(m, 0, b, sizeof b);
    mem_write_inline(m, 0, b, sizeof b);
    ck_assert_uint_eq(hook_calls, 4); /* writes never */
    mem_set_read_hook(m, NULL, NULL);
    mem_read_inline(m, 0, b, sizeof b);
    ck_assert_uint_eq(hook_calls, 4);
    mem_destroy(m);
}
END_TEST

static Suite *mem_fast_suite(void)
{
    Suite *s = suite_create("mem_fast");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_inline_and_functions_agree_flat);
    tcase_add_test(tc, test_inline_and_functions_agree_without_flat_backing);
    tcase_add_test(tc, test_inline_bounds_and_allocation);
    tcase_add_test(tc, test_gate_decides_when_the_hook_runs);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(mem_fast_suite)
