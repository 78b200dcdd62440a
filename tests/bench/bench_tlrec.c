/* tests/bench/bench_tlrec: what recording a timeline (sim/tlrec.h) costs a
 * run, on experiments/echo.json and experiments/kvs-zipf-8core.json as
 * they are (500 k and 400 k requests), through the library in-process
 * (config_load, then sim/pkrun.h: assembly, boot, the run, the timeline's
 * close), each without and with outputs.timeline, alternately, RUNS
 * times.
 *
 * Prints per experiment the medians of: wall time, the calling thread's
 * CPU time (the simulation plus the recorder and the writer's encoding:
 * what recording costs when the writer's compressor thread has a core of
 * its own) and the process's CPU time (both threads: what it costs on a
 * machine with no spare core), off and on, and their ratios; then the
 * records written, the file's bytes per record, records per wall second,
 * and bytes per span: the last file's spans alone written again (in time
 * order, as the recorder writes them) into a file of their own.  Goal (issue 6): wall ratio <= 1.25.  Wall and CPU time
 * from clock_gettime (benchmarks only, never the simulator); printed,
 * never asserted: the machine is shared. */
#include "sim/config.h"
#include "sim/pkrun.h"
#include "traces/timeline.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUNS 3

typedef struct sample {
    double wall, thread, proc;
    double spans, instants, counters, bytes;
} sample_t;

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof *v, cmp);
    return v[RUNS / 2];
}

static double tl_num(const cJSON *root, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(root, "timeline"), key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int run_once(const char *config, const char *tl, sample_t *out)
{
    char set[300], err[CONFIG_ERR_MAX], e[1024];
    snprintf(set, sizeof set, "outputs.timeline=\"%s\"", tl ? tl : "");
    config_override_t ov = {set};
    sim_config_t cfg;
    if (config_load(&cfg, config, &ov, tl ? 1 : 0, 0, 0, err)) {
        fprintf(stderr, "bench_tlrec: %s\n", err);
        return -1;
    }
    double w0 = clock_s(CLOCK_MONOTONIC), t0 = clock_s(CLOCK_THREAD_CPUTIME_ID),
           p0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    pkrun_t *r = pkrun_create(&cfg, e, sizeof e);
    if (!r) {
        fprintf(stderr, "bench_tlrec: %s\n", e);
        config_free(&cfg);
        return -1;
    }
    pkrun_run(r, NULL, NULL);
    out->wall = clock_s(CLOCK_MONOTONIC) - w0;
    out->thread = clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
    out->proc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
    cJSON *res = pkrun_results(r, out->wall);
    out->spans = tl_num(res, "spans");
    out->instants = tl_num(res, "instants");
    out->counters = tl_num(res, "counters");
    out->bytes = tl_num(res, "bytes");
    cJSON_Delete(res);
    int failed = pkrun_failed(r);
    pkrun_destroy(r);
    config_free(&cfg);
    return failed ? -1 : 0;
}

/* The spans of tl alone, rewritten: bytes per span (0 on error). */
static double span_bytes(const char *tl)
{
    char err[600], only[80];
    tl_timeline_t *t = tl_load(tl, err, sizeof err);
    if (!t)
        return 0;
    snprintf(only, sizeof only, "%s.spans", tl);
    tl_writer_t *w = tl_writer_open(only, 0, UINT64_MAX, err, sizeof err);
    size_t *next = calloc(t->ntracks + 1, sizeof *next);
    for (size_t k = 0; w && k < t->ntracks; k++) {
        tl_add_track(w, t->tracks[k].kind, t->tracks[k].name, t->tracks[k].label);
        next[k] = t->span_first[k];
    }
    for (size_t n = 0; w && n < t->nspans; n++) { /* the earliest start first */
        size_t best = t->ntracks;
        for (size_t k = 0; k < t->ntracks; k++)
            if (next[k] < t->span_first[k + 1] &&
                (best == t->ntracks || t->spans[next[k]].t0 < t->spans[next[best]].t0))
                best = k;
        tl_add_span(w, &t->spans[next[best]++]);
    }
    struct stat sb;
    double per = w && !tl_writer_close(w, err, sizeof err) && !stat(only, &sb) && t->nspans
                     ? (double)sb.st_size / (double)t->nspans : 0;
    remove(only);
    free(next);
    tl_free(t);
    return per;
}

static int bench(const char *config, const char *tl)
{
    double w[2][RUNS], th[2][RUNS], pr[2][RUNS];
    sample_t s = {0};
    for (int i = 0; i < RUNS; i++)
        for (int on = 0; on < 2; on++) {
            if (run_once(config, on ? tl : NULL, &s))
                return -1;
            w[on][i] = s.wall;
            th[on][i] = s.thread;
            pr[on][i] = s.proc;
        }
    double wo = median(w[0]), wn = median(w[1]), to = median(th[0]), tn = median(th[1]);
    double po = median(pr[0]), pn = median(pr[1]);
    double recs = s.spans + s.instants + s.counters;
    printf("%s (median of %d)\n", config, RUNS);
    printf("  wall          off %.3f s  on %.3f s  ratio %.3f\n", wo, wn, wn / wo);
    printf("  thread CPU    off %.3f s  on %.3f s  ratio %.3f\n", to, tn, tn / to);
    printf("  process CPU   off %.3f s  on %.3f s  ratio %.3f\n", po, pn, pn / po);
    printf("  records       %.0f spans, %.0f instants, %.0f counters; %.0f bytes, "
           "%.2f B/record; %.2f M records/s\n",
           s.spans, s.instants, s.counters, s.bytes, recs ? s.bytes / recs : 0, recs / wn / 1e6);
    printf("  spans alone   %.2f B/span\n", span_bytes(tl));
    return 0;
}

int main(void)
{
    char tl[64];
    snprintf(tl, sizeof tl, "/tmp/bench_tlrec.%ld.tl", (long)getpid());
    int rc = bench("experiments/echo.json", tl) || bench("experiments/kvs-zipf-8core.json", tl);
    remove(tl);
    return rc ? 1 : 0;
}
