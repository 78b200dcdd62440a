/* tests/bench/bench_tl_export: the time to export a 1M-span timeline.
 *
 * A synthetic timeline of a 16-core run: SPANS spans spread round-robin
 * over 16 core tracks (modes and whats cycling, lengths 100 ps .. 2 µs),
 * one counter track and one instant track per core's NIC queue with a
 * sample and an instant every 8 spans.  Written with the timeline writer
 * into a scratch directory, loaded, then exported as Chrome JSON (plain
 * and .gz) and CSV; prints the wall time of each step, the sizes and the
 * rate in spans per second.  One run each (a 1M-span export takes
 * seconds; numbers move with the machine's load).  Wall time from
 * clock_gettime: benchmarks only, never the simulator. */
#include "traces/timeline.h"
#include "traces/tl_export.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SPANS
#define SPANS 1000000u
#endif
#define CORES 16u

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double mib(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (double)st.st_size / (1024.0 * 1024.0);
}

static int die(const char *what, const char *err)
{
    fprintf(stderr, "bench_tl_export: %s: %s\n", what, err);
    return 1;
}

static int write_timeline(const char *path)
{
    char err[256], name[64];
    tl_writer_t *w = tl_writer_open(path, 0, UINT64_MAX, err, sizeof err);
    if (!w)
        return die("open", err);
    for (unsigned c = 0; c < CORES; c++) {
        snprintf(name, sizeof name, "core %u", c);
        char label[16];
        snprintf(label, sizeof label, "kvs%u", c);
        tl_add_track(w, TL_TRACK_CORE, name, label);
    }
    for (unsigned c = 0; c < CORES; c++) {
        snprintf(name, sizeof name, "nic rxq %u fill", c);
        tl_add_track(w, TL_TRACK_COUNTER, name, "");
        snprintf(name, sizeof name, "nic rxq %u", c);
        tl_add_track(w, TL_TRACK_INSTANT, name, "");
    }
    uint64_t t[CORES] = {0};
    for (uint32_t i = 0; i < SPANS; i++) {
        uint32_t c = i % CORES;
        uint64_t len = 100 + (uint64_t)(i * 2654435761u % 2000000u);
        tl_span_t s = {.t0 = t[c], .t1 = t[c] + len, .track = c, .mode = (uint8_t)(i % TL_MODES),
                       .what = (uint8_t)(i % TL_WHAT_COUNT), .pid = (uint16_t)c, .arg = i};
        if (tl_add_span(w, &s))
            return die("span", "refused");
        if (i % 8 == 0) {
            tl_counter_t k = {.t = t[c], .value = i % 512, .track = CORES + 2 * c};
            tl_instant_t in = {.t = t[c], .arg = c, .track = CORES + 2 * c + 1,
                               .kind = TL_INST_RX_FRAME};
            if (tl_add_counter(w, &k) || tl_add_instant(w, &in))
                return die("counter/instant", "refused");
        }
        t[c] += len + 37;
    }
    return tl_writer_close(w, err, sizeof err) ? die("close", err) : 0;
}

int main(void)
{
    char dir[] = "/tmp/parasim-bench-XXXXXX", path[4][128], err[256];
    if (!mkdtemp(dir))
        return die("mkdtemp", "failed");
    const char *names[] = {"t.pstl", "t.json", "t.json.gz", "t.csv"};
    for (int i = 0; i < 4; i++)
        snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
    double t0 = now();
    if (write_timeline(path[0]))
        return 1;
    double t1 = now();
    tl_timeline_t *t = tl_load(path[0], err, sizeof err);
    if (!t)
        return die("load", err);
    double t2 = now();
    printf("timeline  %u spans, %zu counter samples, %zu instants: write %.2f s, load %.2f s, "
           "%.1f MiB\n", SPANS, t->ncounters, t->ninstants, t1 - t0, t2 - t1, mib(path[0]));
    const char *what[] = {NULL, "chrome json", "chrome json.gz", "csv"};
    for (int i = 1; i < 4; i++) {
        double a = now();
        int rc = i < 3 ? tl_export_chrome(t, path[i], NULL, err, sizeof err)
                       : tl_export_csv(t, path[i], NULL, err, sizeof err);
        double b = now();
        if (rc)
            return die(what[i], err);
        printf("%-15s %.2f s  %6.1f MiB  %.2f M spans/s\n", what[i], b - a, mib(path[i]),
               SPANS / (b - a) / 1e6);
        remove(path[i]);
    }
    tl_free(t);
    remove(path[0]);
    rmdir(dir);
    return 0;
}
