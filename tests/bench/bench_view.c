/* tests/bench/bench_view: the timeline viewer's load and frame times
 * (issue 6: load <= 2 s and a frame <= 30 ms for 10 M spans on this
 * machine; printed, not asserted).
 *
 * Writes a timeline of N spans (default 10 M) with traces/timeline.h's
 * writer: CORES core tracks whose load swings slowly between busy and
 * nearly idle (user, kernel, poll and irq spans of 100 ns .. 3 us, idle
 * gaps and idle spans between them), one counter per core (its queue's
 * fill) and one instant track.  Then times:
 *   load    tl_load() of the file, and vm_create() (the level-of-detail
 *           indexes) on top of it;
 *   frames  view_draw() into a 1920x1080 canvas: the whole recording, a
 *           1/1000 of it, and 2 us, each the median of REPS frames, with
 *           the records read per frame (the LOD's debug counter).
 * argv[1]: N; argv[2]: the timeline's path (kept when given, else
 * /tmp/bench_view.tl, removed); argv[3]: a PNG of the whole view (for
 * looking at).  Wall time from clock_gettime(CLOCK_MONOTONIC), benchmarks
 * only. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model/rng.h"
#include "sim/png.h"
#include "sim/view.h"
#include "sim/view_model.h"
#include "traces/timeline.h"

#define CORES 8
#define REPS 5
#define W 1920
#define H 1080

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whole ns in [lo, hi), as ps. */
static uint64_t ns(rng_t *r, uint64_t lo, uint64_t hi)
{
    return (lo + rng_below(r, hi - lo)) * 1000u;
}

typedef struct gen {
    tl_writer_t *w;
    rng_t r;
    uint64_t t[CORES], req[CORES], last_sample;
    int64_t fill[CORES];
} gen_t;

/* One span on core c, then perhaps an idle gap (a span of mode idle or
 * nothing at all); the busier the core's phase, the shorter the gaps. */
static int one_span(gen_t *g, int c, uint64_t i)
{
    rng_t *r = &g->r;
    tl_span_t s = {.track = (uint32_t)c, .pid = (uint16_t)(c + 1), .t0 = g->t[c]};
    unsigned pick = (unsigned)rng_below(r, 100);
    if (pick < 45)
        s.mode = TL_USER, s.what = TL_WHAT_APP, s.arg = ++g->req[c], s.t1 = s.t0 + ns(r, 300, 3000);
    else if (pick < 70)
        s.mode = TL_KERNEL, s.what = TL_WHAT_SYSCALL, s.arg = 1 + rng_below(r, 8),
        s.t1 = s.t0 + ns(r, 150, 600);
    else if (pick < 96)
        s.mode = TL_POLL, s.what = TL_WHAT_POLL, s.t1 = s.t0 + ns(r, 100, 400);
    else
        s.mode = TL_IRQ, s.what = TL_WHAT_IRQ, s.arg = 33 + (uint64_t)c, s.t1 = s.t0 + ns(r, 200, 800);
    int rc = tl_add_span(g->w, &s);
    /* phase: a slow triangle over the run, shifted per core */
    uint64_t phase = (i / CORES / 4096 + (uint64_t)c * 7) % 32;
    uint64_t idle_max = 50 + (phase < 16 ? phase : 32 - phase) * 400; /* ns */
    uint64_t gap = rng_below(r, 3) ? 0 : ns(r, 0, idle_max);
    if (gap && rng_below(r, 2)) {
        tl_span_t idle = {.track = (uint32_t)c, .pid = TL_NO_PID, .mode = TL_IDLE,
                          .t0 = s.t1, .t1 = s.t1 + gap};
        rc |= tl_add_span(g->w, &idle);
    }
    g->t[c] = s.t1 + gap;
    return rc;
}

static int sample(gen_t *g, int ctr0, int ins)
{
    uint64_t t = g->last_sample;
    for (int c = 0; c < CORES; c++)
        t = g->t[c] > t ? g->t[c] : t;
    int rc = 0;
    for (int c = 0; c < CORES; c++) {
        g->fill[c] += (int64_t)rng_below(&g->r, 9) - 4;
        g->fill[c] = g->fill[c] < 0 ? 0 : g->fill[c] > 512 ? 512 : g->fill[c];
        tl_counter_t k = {.t = t, .value = g->fill[c], .track = (uint32_t)(ctr0 + c)};
        rc |= tl_add_counter(g->w, &k);
    }
    tl_instant_t in = {.t = t, .arg = rng_below(&g->r, CORES), .track = (uint32_t)ins,
                       .kind = TL_INST_RX_FRAME};
    g->last_sample = t;
    return rc | tl_add_instant(g->w, &in);
}

static int write_file(const char *path, uint64_t nspans)
{
    char err[256], name[32], label[32];
    static gen_t g;
    g.w = tl_writer_open(path, 0, UINT64_MAX, err, sizeof err);
    if (!g.w) {
        fprintf(stderr, "bench_view: %s\n", err);
        return -1;
    }
    rng_init(&g.r, 7, rng_stream_id("bench_view"));
    for (int c = 0; c < CORES; c++) {
        snprintf(name, sizeof name, "core %d", c);
        snprintf(label, sizeof label, "kvs%d", c);
        tl_add_track(g.w, TL_TRACK_CORE, name, label);
    }
    int ctr0 = -1;
    for (int c = 0; c < CORES; c++) {
        snprintf(name, sizeof name, "nic rxq %d fill", c);
        int id = tl_add_track(g.w, TL_TRACK_COUNTER, name, "");
        ctr0 = c == 0 ? id : ctr0;
    }
    int ins = tl_add_track(g.w, TL_TRACK_INSTANT, "nic rx", "");
    int rc = 0;
    for (uint64_t i = 0; i < nspans && !rc; i++) { /* the cores in turn, as a run records */
        int c = 0;
        for (int d = 1; d < CORES; d++)
            c = g.t[d] < g.t[c] ? d : c;
        rc = one_span(&g, c, i);
        if (i % 64 == 63)
            rc |= sample(&g, ctr0, ins);
    }
    if (rc) {
        fprintf(stderr, "bench_view: a record was refused\n");
        tl_writer_abort(g.w);
        return -1;
    }
    if (tl_writer_close(g.w, err, sizeof err)) {
        fprintf(stderr, "bench_view: %s\n", err);
        return -1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void frames(vm_model_t *m, vr_canvas_t *c, const char *what)
{
    double t[REPS];
    uint64_t visits = 0;
    for (int i = 0; i < REPS; i++) {
        m->lod.visits = 0;
        double a = now_s();
        view_draw(m, c, NULL);
        t[i] = now_s() - a;
        visits = m->lod.visits;
    }
    qsort(t, REPS, sizeof t[0], cmp_double);
    char r[48];
    vm_format_time(m->t1 - m->t0, r, sizeof r);
    printf("frame %-22s %-12s %7.2f ms median (min %.2f, max %.2f), %llu records read\n", what,
           r, t[REPS / 2] * 1e3, t[0] * 1e3, t[REPS - 1] * 1e3, (unsigned long long)visits);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000u;
    const char *path = argc > 2 ? argv[2] : "/tmp/bench_view.tl";
    double a = now_s();
    if (write_file(path, n))
        return 1;
    double b = now_s();
    char err[512];
    tl_timeline_t *tl = tl_load(path, err, sizeof err);
    double c = now_s();
    if (!tl) {
        fprintf(stderr, "bench_view: %s\n", err);
        return 1;
    }
    vm_model_t *m = vm_create(tl, W, H, err, sizeof err);
    double d = now_s();
    vr_canvas_t cv;
    if (!m || vr_init(&cv, W, H)) {
        fprintf(stderr, "bench_view: %s\n", m ? "out of memory" : err);
        return 1;
    }
    printf("timeline %zu spans on %d cores, %zu counters, %zu instants (written in %.2f s)\n",
           tl->nspans, CORES, tl->ncounters, tl->ninstants, b - a);
    printf("load %.3f s: tl_load %.3f s + LOD indexes %.3f s\n", d - b, c - b, d - c);
    frames(m, &cv, "whole recording");
    uint64_t mid = tl->t_min + (tl->t_max - tl->t_min) / 2, r = (tl->t_max - tl->t_min) / 1000;
    vm_set_range(m, mid, mid + r);
    frames(m, &cv, "1/1000 of it");
    vm_set_range(m, mid, mid + 2000000);
    frames(m, &cv, "2 us");
    if (argc > 3) {
        vm_fit(m);
        view_draw(m, &cv, NULL);
        if (png_write(argv[3], cv.px, W, H, err, sizeof err))
            fprintf(stderr, "bench_view: %s\n", err);
    }
    vr_free(&cv);
    vm_destroy(m);
    tl_free(tl);
    if (argc <= 2)
        remove(path);
    return 0;
}
