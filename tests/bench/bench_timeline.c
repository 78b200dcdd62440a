/* tests/bench/bench_timeline: the timeline writer's and reader's speed and
 * the file's size per span (traces/timeline.h).
 *
 * A realistic pattern: CORES core tracks, each cycling through the spans
 * a polling server core records -- user (app, arg a request id), kernel
 * (syscall, arg SQEs), poll -- with a short irq now and then, durations of
 * a few hundred ns to a few us in whole ns drawn from model/rng.h, spans
 * back to back or, one time in four, after a gap of any ps below 200 ns; the cores interleaved one span at a time, as a recorder
 * emitting in simulated-time order would.  Plus one counter and one
 * instant track sampled every 16 spans.
 *
 * Prints the write rate (spans/s: deflate's, the writer waits for its
 * thread here since nothing else runs), the CPU time of the calling
 * thread per span (what recording costs a run whose second core is free),
 * bytes per span of the file, and
 * tl_load()'s time for the whole file (the viewer needs <= 2 s for 10 M
 * spans).  argv[1]: the number of spans (default 10 M); argv[2]: where to
 * write the file (kept; default /tmp/bench_timeline.tl, removed).  Wall time from
 * clock_gettime(CLOCK_MONOTONIC) (benchmarks only). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "model/rng.h"
#include "traces/timeline.h"

#define CORES 4

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* A charge: whole ns uniform in [lo_ns, hi_ns), in ps (the cost table's
 * entries are in ns). */
static uint64_t dur(rng_t *r, uint64_t lo_ns, uint64_t hi_ns)
{
    return (lo_ns + rng_below(r, hi_ns - lo_ns)) * 1000u;
}

/* A wait for the next arrival: any ps in [0, hi_ns) ns. */
static uint64_t gap(rng_t *r, uint64_t hi_ns)
{
    return rng_below(r, hi_ns * 1000u);
}

static int write_file(const char *path, uint64_t nspans)
{
    char err[256];
    tl_writer_t *w = tl_writer_open(path, 0, UINT64_MAX, err, sizeof err);
    if (!w) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    for (int c = 0; c < CORES; c++) {
        char name[24], label[24];
        snprintf(name, sizeof name, "core %d", c);
        snprintf(label, sizeof label, "kvs%d", c);
        tl_add_track(w, TL_TRACK_CORE, name, label);
    }
    int ctr = tl_add_track(w, TL_TRACK_COUNTER, "nic rxq 0 fill", "");
    int ins = tl_add_track(w, TL_TRACK_INSTANT, "nic", "");
    tl_add_meta(w, "config", "bench_timeline");
    rng_t r;
    rng_init(&r, 42, rng_stream_id("bench_timeline"));
    uint64_t t[CORES] = {0}, step[CORES] = {0}, req[CORES] = {0};
    uint64_t tc = 0;
    int rc = 0;
    for (uint64_t i = 0; i < nspans && rc == 0; i++) {
        int c = (int)(i % CORES);
        tl_span_t s = {.track = (uint32_t)c, .pid = (uint16_t)(c + 1)};
        switch (step[c]++ % 3) {
        case 0:
            s.mode = TL_USER, s.what = TL_WHAT_APP, s.arg = ++req[c];
            s.t0 = t[c], s.t1 = t[c] + dur(&r, 800, 3000);
            break;
        case 1:
            s.mode = TL_KERNEL, s.what = TL_WHAT_SYSCALL, s.arg = 1 + rng_below(&r, 4);
            s.t0 = t[c], s.t1 = t[c] + dur(&r, 150, 500);
            break;
        default:
            if (rng_below(&r, 20) == 0)
                s.mode = TL_IRQ, s.what = TL_WHAT_IRQ, s.arg = 33 + (uint64_t)c;
            else
                s.mode = TL_POLL, s.what = TL_WHAT_POLL;
            s.t0 = t[c], s.t1 = t[c] + dur(&r, 100, 400);
            break;
        }
        rc = tl_add_span(w, &s);
        t[c] = s.t1 + (rng_below(&r, 4) == 0 ? gap(&r, 200) : 0);
        if (i % 16 == 15) {
            if (t[c] > tc)
                tc = t[c];
            tl_counter_t k = {.t = tc, .value = (int64_t)rng_below(&r, 512), .track = (uint32_t)ctr};
            tl_instant_t in = {.t = tc, .arg = 0, .track = (uint32_t)ins, .kind = TL_INST_RX_FRAME};
            rc |= tl_add_counter(w, &k) | tl_add_instant(w, &in);
            for (int d = 0; d < CORES; d++) /* keep the shared tracks in order */
                if (t[d] > tc)
                    tc = t[d];
        }
    }
    if (rc) {
        fprintf(stderr, "bench_timeline: a record was refused\n");
        tl_writer_abort(w);
        return -1;
    }
    if (tl_writer_close(w, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000u;
    const char *path = argc > 2 ? argv[2] : "/tmp/bench_timeline.tl";
    double t0 = now_s(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    if (write_file(path, n))
        return 1;
    double t1 = now_s(), c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    struct stat st;
    stat(path, &st);
    char err[256];
    tl_timeline_t *t = tl_load(path, err, sizeof err);
    double t2 = now_s();
    if (!t) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("spans %llu (+ %zu counters, %zu instants)\n", (unsigned long long)n, t->ncounters,
           t->ninstants);
    printf("write %.3f s: %.2f M spans/s (%.0f ns/span, rng included)\n", t1 - t0,
           (double)n / (t1 - t0) * 1e-6, (t1 - t0) / (double)n * 1e9);
    printf("caller's cpu %.3f s: %.0f ns/span (encoding, rng, hand-overs; deflate runs in "
           "the writer's thread)\n",
           c1 - c0, (c1 - c0) / (double)n * 1e9);
    printf("file %lld bytes: %.2f bytes/span\n", (long long)st.st_size,
           (double)st.st_size / (double)n);
    printf("load %.3f s (%.1f M spans/s)\n", t2 - t1, (double)n / (t2 - t1) * 1e-6);
    int rc = t->nspans == n ? 0 : 1;
    tl_free(t);
    if (argc <= 2)
        remove(path); /* a path given on the command line is kept */
    return rc;
}
