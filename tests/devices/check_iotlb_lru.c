/* tests/devices/check_iotlb_lru: the IOTLB stays an exact LRU cache under
 * long mixed streams of translations and invalidations.
 *
 * The IOMMU serves repeated translations from memos (devices/iommu.c) and
 * skips list moves when an entry is already the most recent; this suite
 * checks the outcome against an independent model written here from the
 * contract alone (devices/iommu.h, iommu/iotlb.c: a fully associative
 * IOTLB of N entries with true LRU replacement, keyed by domain, PASID and
 * page -- 4 KiB or 2 MiB as the page tables say; an invalidation drops
 * what VT-d 6.5.1 says it drops).  Every translation's hit or miss (its
 * cost: iommu.iotlb_hit or iommu.iotlb_miss), its physical address and
 * the statistics must agree with the model, step by step.
 *
 * Layout: one device (00:03.0, domain 5, 4-level tables), 4 KiB pages at
 * 0x40000000 + k * 4 KiB (k < N4K) mapped to 0x300000 + k * 4 KiB, and
 * 2 MiB pages at 0x80000000 + j * 2 MiB (j < N2M) mapped to 0x1000000 +
 * j * 2 MiB.  Streams come from a fixed xorshift generator (the test's
 * own; no rand()). */
#include <stdbool.h>
#include <stdint.h>

#include "devices/iommu.h"
#include "devices/mem.h"
#include "model/cost.h"
#include "sim/engine.h"
#include "tests/check_main.h"
#include "tests/devices/iommu_drv.h"

#define MEM_SIZE (UINT64_C(256) << 20)
#define HIT_PS UINT64_C(7000)
#define MISS_PS UINT64_C(250000)
#define RID 0x0018u
#define DID 5u
#define ROOT 0x100000u
#define N4K 24u
#define N2M 8u
#define BASE4K UINT64_C(0x40000000)
#define BASE2M UINT64_C(0x80000000)
#define MODEL_MAX 64u

typedef struct model {
    uint64_t key[MODEL_MAX]; /* [0] most recent; page << 1 | is_2m */
    unsigned n, cap;
} model_t;

typedef struct rig {
    sim_t *sim;
    mem_t *mem;
    cost_table_t costs;
    iommu_t *io;
    model_t m;
    uint64_t x; /* xorshift64 state */
} rig_t;

static void sink(void *ctx, unsigned core, unsigned vector)
{
    (void)ctx;
    (void)core;
    (void)vector;
}

static void rig_init(rig_t *r, unsigned entries, uint64_t seed)
{
    *r = (rig_t){ .x = seed, .m = { .cap = entries } };
    r->sim = sim_create();
    r->mem = mem_create(MEM_SIZE);
    ck_assert_ptr_nonnull(r->sim);
    ck_assert_ptr_nonnull(r->mem);
    ck_assert_int_eq(cost_table_init(&r->costs, "default"), 0);
    ck_assert_int_eq(cost_set_ns(&r->costs, COST_IOMMU_IOTLB_HIT, 7.0), 0);
    ck_assert_int_eq(cost_set_ns(&r->costs, COST_IOMMU_IOTLB_MISS, 250.0), 0);
    iommu_cfg_t cfg = { .iotlb_entries = entries };
    r->io = iommu_create(r->sim, r->mem, &r->costs, &cfg, (irq_sink_t){ .deliver = sink });
    ck_assert_ptr_nonnull(r->io);
    iod_pool_t pool = { .mem = r->mem, .next = 0x200000, .end = 0x300000 };
    ck_assert_int_eq(mem_fill(r->mem, ROOT, 0, 4096), 0);
    uint64_t sl = iod_legacy_device(&pool, ROOT, RID, 4, DID);
    for (unsigned k = 0; k < N4K; k++)
        iod_map_at(&pool, sl, 4, 1, BASE4K + k * UINT64_C(4096), 0x300000 + k * UINT64_C(4096),
                   IOD_R | IOD_W);
    for (unsigned j = 0; j < N2M; j++)
        iod_map_at(&pool, sl, 4, 2, BASE2M + j * (UINT64_C(2) << 20),
                   0x1000000 + j * (UINT64_C(2) << 20), IOD_R | IOD_W | IOD_PS);
    iod_enable(r->io, ROOT, IOD_TTM_LEGACY);
}

static void rig_fini(rig_t *r)
{
    iommu_destroy(r->io);
    mem_destroy(r->mem);
    sim_destroy(r->sim);
}

static uint64_t next(rig_t *r)
{
    r->x ^= r->x << 13;
    r->x ^= r->x >> 7;
    r->x ^= r->x << 17;
    return r->x;
}

/* ---------------------------------------------------------------- the model */

static int model_find(const model_t *m, uint64_t key)
{
    for (unsigned i = 0; i < m->n; i++)
        if (m->key[i] == key)
            return (int)i;
    return -1;
}

static void model_remove_at(model_t *m, unsigned i)
{
    for (; i + 1 < m->n; i++)
        m->key[i] = m->key[i + 1];
    m->n--;
}

/* Look key up; a hit moves it to the front, a miss inserts it there
 * (dropping the least recent when full).  true on a hit. */
static bool model_use(model_t *m, uint64_t key)
{
    int i = model_find(m, key);
    bool hit = i >= 0;
    if (hit)
        model_remove_at(m, (unsigned)i);
    else if (m->n == m->cap)
        m->n--;
    for (unsigned k = m->n; k > 0; k--)
        m->key[k] = m->key[k - 1];
    m->key[0] = key;
    m->n++;
    return hit;
}

/* Page-selective invalidation of the 4 KiB page at iova: the entry of that
 * page and the 2 MiB entry containing it go (6.5.1.2, AM = 0). */
static void model_flush_page(model_t *m, uint64_t iova)
{
    for (unsigned i = m->n; i-- > 0;) {
        uint64_t k = m->key[i];
        bool big = k & 1;
        if ((big && (k >> 1) == iova >> 21) || (!big && (k >> 1) == iova >> 12))
            model_remove_at(m, i);
    }
}

/* ---------------------------------------------------------------- steps */

/* One translation at a random page; checked against the model. */
static void step_translate(rig_t *r)
{
    uint64_t v = next(r), iova, pa, key;
    if (v % 4 == 0) { /* a 2 MiB page, at some offset inside it */
        unsigned j = (unsigned)(v >> 8) % N2M;
        uint64_t off = (v >> 16) % (UINT64_C(2) << 20) & ~UINT64_C(7);
        iova = BASE2M + j * (UINT64_C(2) << 20) + off;
        pa = 0x1000000 + j * (UINT64_C(2) << 20) + off;
        key = (iova >> 21) << 1 | 1;
    } else {
        unsigned k = (unsigned)(v >> 8) % N4K;
        uint64_t off = (v >> 16) % 4096 & ~UINT64_C(7);
        iova = BASE4K + k * UINT64_C(4096) + off;
        pa = 0x300000 + k * UINT64_C(4096) + off;
        key = (iova >> 12) << 1;
    }
    bool hit = model_use(&r->m, key);
    uint64_t got = 0, end = 0;
    sim_time_t cost = 0;
    ck_assert_int_eq(iommu_translate(r->io, RID, IOMMU_NO_PASID, iova, (v >> 3) & 1, &got, &end,
                                     &cost),
                     IOMMU_OK);
    ck_assert_uint_eq(got, pa);
    ck_assert_uint_eq(cost, (hit ? HIT_PS : MISS_PS));
}

/* Now and then an invalidation: global, domain or one page. */
static void step_invalidate(rig_t *r)
{
    uint64_t v = next(r);
    switch (v % 3) {
    case 0:
        iod_iotlb_invalidate(r->io, 1, 0, 0);
        r->m.n = 0;
        break;
    case 1:
        iod_iotlb_invalidate(r->io, 2, DID, 0);
        r->m.n = 0;
        break;
    default: {
        uint64_t iova = v & 8 ? BASE2M + ((v >> 8) % N2M) * (UINT64_C(2) << 20) +
                                    ((v >> 16) % 512) * UINT64_C(4096)
                              : BASE4K + ((v >> 8) % N4K) * UINT64_C(4096);
        iod_iotlb_invalidate(r->io, 3, DID, iova);
        model_flush_page(&r->m, iova);
        break;
    }
    }
}

static void run_stream(unsigned entries, uint64_t seed, unsigned steps, unsigned flush_every)
{
    rig_t r;
    rig_init(&r, entries, seed);
    uint64_t hits = 0, misses = 0;
    for (unsigned s = 0; s < steps; s++) {
        if (flush_every && s % flush_every == flush_every - 1) {
            step_invalidate(&r);
            continue;
        }
        uint64_t before = iommu_stats(r.io)->iotlb_hits;
        step_translate(&r);
        if (iommu_stats(r.io)->iotlb_hits > before)
            hits++;
        else
            misses++;
    }
    const iommu_stats_t *st = iommu_stats(r.io);
    ck_assert_uint_eq(st->iotlb_hits, hits);
    ck_assert_uint_eq(st->iotlb_misses, misses);
    ck_assert_uint_eq(st->walks, misses); /* the first also walks the context */
    rig_fini(&r);
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_small_iotlb_thrashes_exactly_like_lru)
{
    run_stream(4, UINT64_C(0x9E3779B97F4A7C15), 20000, 0);
}
END_TEST

START_TEST(test_iotlb_that_almost_fits_follows_lru)
{
    run_stream(24, UINT64_C(0xD1B54A32D192ED03), 20000, 0);
}
END_TEST

START_TEST(test_iotlb_larger_than_the_pages_only_misses_once_each)
{
    rig_t r;
    rig_init(&r, 64, 7);
    for (unsigned s = 0; s < 5000; s++)
        step_translate(&r);
    ck_assert_uint_eq(iommu_stats(r.io)->iotlb_misses, N4K + N2M);
    rig_fini(&r);
}
END_TEST

START_TEST(test_invalidations_interleaved_follow_the_model)
{
    run_stream(8, UINT64_C(0x2545F4914F6CDD1D), 30000, 7);
    run_stream(32, 12345, 30000, 50);
}
END_TEST

static Suite *iotlb_lru_suite(void)
{
    Suite *s = suite_create("iotlb_lru");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_small_iotlb_thrashes_exactly_like_lru);
    tcase_add_test(tc, test_iotlb_that_almost_fits_follows_lru);
    tcase_add_test(tc, test_iotlb_larger_than_the_pages_only_misses_once_each);
    tcase_add_test(tc, test_invalidations_interleaved_follow_the_model);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(iotlb_lru_suite)
