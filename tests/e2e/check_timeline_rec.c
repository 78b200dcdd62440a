/* Timeline recording of whole parakernel runs (experiments/echo.json, a
 * few thousand requests), checked against what the run counted on its
 * own: the cores' per-mode accounts (sim/cpu.h, booked by cpu_charge and
 * sim/proc.c's poll accounting, independently of the recorder), the NIC's
 * per-queue packet and drop counters, the rings' sizes; plus determinism,
 * the window, results.json unchanged by recording, a write error failing
 * the run, and the command line (--timeline, exit codes). */
#include "tests/e2e/e2e.h"

#include "devices/nic.h"
#include "devices/nvme.h"
#include "sim/config.h"
#include "sim/pkrun.h"
#include "sim/pkrun_int.h"
#include "traces/timeline.h"

#include <sys/stat.h>

#define ECHO "experiments/echo.json"
#define SMALL "requests=3000", "warmup_requests=300"

static sim_config_t cfg;

/* Load echo.json with the sets (NULL-terminated) and run it to the end. */
static pkrun_t *run_echo(const char *const *sets)
{
    config_override_t ov[16];
    size_t n = 0;
    for (; sets[n]; n++)
        ov[n].assignment = sets[n];
    char err[CONFIG_ERR_MAX];
    ck_assert_msg(config_load(&cfg, ECHO, ov, n, 0, 0, err) == 0, "%s", err);
    char e[1024];
    pkrun_t *r = pkrun_create(&cfg, e, sizeof e);
    ck_assert_msg(r != NULL, "%s", e);
    pkrun_run(r, NULL, NULL);
    return r;
}

static void done(pkrun_t *r)
{
    pkrun_destroy(r);
    config_free(&cfg);
}

static tl_timeline_t *load(const char *file)
{
    char err[600];
    tl_timeline_t *t = tl_load(file, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    return t;
}

static const char *tl_path(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmp_dir, name);
    return p[k];
}

static const char *set_tl(const char *file)
{
    static char s[4][300];
    static int k;
    k = (k + 1) % 4;
    snprintf(s[k], sizeof s[k], "outputs.timeline=\"%s\"", file);
    return s[k];
}

/* The track named `name`, or -1. */
static int track(const tl_timeline_t *t, const char *name)
{
    for (size_t i = 0; i < t->ntracks; i++)
        if (!strcmp(t->tracks[i].name, name))
            return (int)i;
    return -1;
}

static size_t count_instants(const tl_timeline_t *t, int k, tl_instant_kind_t kind)
{
    size_t n = 0;
    for (size_t i = t->instant_first[k]; i < t->instant_first[k + 1]; i++)
        n += t->instants[i].kind == kind;
    return n;
}

/* Per core: spans in order, never overlapping, and their sums per mode
 * equal to the core's accounts since boot (the whole run recorded);
 * returns the sums over all cores. */
static void check_accounts(pkrun_t *r, const tl_timeline_t *t, const char *app,
                           uint64_t total[TL_MODES])
{
    for (unsigned c = 0; c < r->m.cfg.cores; c++) {
        char name[32];
        snprintf(name, sizeof name, "core %u", c);
        int k = track(t, name);
        ck_assert_int_eq(k, (int)c);
        ck_assert_uint_eq(t->tracks[k].kind, TL_TRACK_CORE);
        snprintf(name, sizeof name, "%s%u", app, c);
        ck_assert_str_eq(t->tracks[k].label, name);
        uint64_t sum[TL_MODES] = {0}, prev_end = 0;
        for (size_t i = t->span_first[k]; i < t->span_first[k + 1]; i++) {
            const tl_span_t *s = &t->spans[i];
            ck_assert_uint_ge(s->t0, prev_end);
            ck_assert_uint_gt(s->t1, s->t0);
            ck_assert_uint_lt(s->mode, TL_MODES);
            sum[s->mode] += s->t1 - s->t0;
            prev_end = s->t1;
        }
        for (int m = 0; m < CPU_MODES; m++) {
            ck_assert_msg(sum[m] == r->m.cores[c].acct[m], "core %u %s: spans %llu, account %llu",
                          c, cpu_mode_name((cpu_mode_t)m), (unsigned long long)sum[m],
                          (unsigned long long)r->m.cores[c].acct[m]);
            total[m] += sum[m];
        }
    }
    ck_assert_uint_eq(r->tl_stats.reordered, 0);
}

START_TEST(test_spans_equal_core_accounts)
{
    const char *file = tl_path("a.tl");
    const char *sets[] = {SMALL, set_tl(file), NULL};
    pkrun_t *r = run_echo(sets);
    ck_assert(!pkrun_failed(r));
    tl_timeline_t *t = load(file);
    uint64_t sum[TL_MODES] = {0};
    check_accounts(r, t, "echo", sum);
    ck_assert_uint_gt(sum[TL_USER], 0);
    ck_assert_uint_gt(sum[TL_KERNEL], 0);
    ck_assert_uint_gt(sum[TL_POLL], 0);
    ck_assert_uint_eq(r->tl_stats.spans, t->nspans);
    ck_assert_uint_eq(r->tl_stats.instants, t->ninstants);
    ck_assert_uint_eq(r->tl_stats.counters, t->ncounters);
    struct stat sb;
    ck_assert_int_eq(stat(file, &sb), 0);
    ck_assert_uint_eq(r->tl_stats.bytes, (uint64_t)sb.st_size);
    tl_free(t);
    done(r);
}
END_TEST

/* An experiment other than echo.json, with the sets, run to the end. */
static pkrun_t *run_config(const char *config, const char *const *sets)
{
    config_override_t ov[16];
    size_t n = 0;
    for (; sets[n]; n++)
        ov[n].assignment = sets[n];
    char err[CONFIG_ERR_MAX], e[1024];
    ck_assert_msg(config_load(&cfg, config, ov, n, 0, 0, err) == 0, "%s", err);
    pkrun_t *r = pkrun_create(&cfg, e, sizeof e);
    ck_assert_msg(r != NULL, "%s", e);
    pkrun_run(r, NULL, NULL);
    return r;
}

/* Event loops with timers (evloop-gc.json, small): interrupt handlers
 * too, and still every mode's spans are the cores' accounts. */
START_TEST(test_timer_interrupts_equal_accounts)
{
    const char *file = tl_path("t.tl");
    const char *sets[] = {SMALL, set_tl(file), NULL};
    pkrun_t *r = run_config("experiments/evloop-gc.json", sets);
    tl_timeline_t *t = load(file);
    uint64_t sum[TL_MODES] = {0};
    check_accounts(r, t, "evloop", sum);
    ck_assert_uint_gt(sum[TL_IRQ], 0);
    size_t irq = 0;
    for (size_t i = 0; i < t->nspans; i++)
        if (t->spans[i].mode == TL_IRQ) {
            ck_assert_uint_eq(t->spans[i].what, TL_WHAT_IRQ);
            ck_assert_uint_ge(t->spans[i].arg, 32); /* a vector, not an exception */
            irq++;
        }
    ck_assert_uint_gt(irq, 0);
    tl_free(t);
    done(r);
}
END_TEST

/* Block I/O (blkio-randread-qd32.json, 2000 reads of 4 KiB each per
 * process at iodepth 32): the NVMe completions on the I/O queues are the
 * device's bytes read / 4096, each queue's depth stays in [0, 32], and
 * the cores' accounts hold. */
START_TEST(test_nvme_queues_recorded)
{
    const char *file = tl_path("n.tl");
    const char *sets[] = {set_tl(file), "processes[0].params.ios=2000",
                          "processes[0].params.ramp_time_us=0", NULL};
    pkrun_t *r = run_config("experiments/blkio-randread-qd32.json", sets);
    tl_timeline_t *t = load(file);
    uint64_t sum[TL_MODES] = {0};
    check_accounts(r, t, "blkio", sum);
    size_t cqes = 0;
    for (unsigned q = 1; q <= 2; q++) {
        char name[32];
        snprintf(name, sizeof name, "nvme q %u", q);
        int k = track(t, name);
        ck_assert_int_ge(k, 0);
        cqes += count_instants(t, k, TL_INST_NVME_CQE);
        ck_assert_uint_gt(count_instants(t, k, TL_INST_DOORBELL), 0);
        snprintf(name, sizeof name, "nvme sq %u depth", q);
        k = track(t, name);
        ck_assert_uint_gt(t->counter_first[k + 1] - t->counter_first[k], 0);
        for (size_t i = t->counter_first[k]; i < t->counter_first[k + 1]; i++) {
            ck_assert_int_ge(t->counters[i].value, 0);
            ck_assert_int_le(t->counters[i].value, 32);
        }
    }
    ck_assert_uint_eq(cqes, 4000);
    ck_assert_uint_eq(cqes, nvme_stats(r->m.nvme)->read_bytes / 4096);
    ck_assert_int_eq(track(t, "client outstanding"), -1); /* load.kind none */
    tl_free(t);
    done(r);
}
END_TEST

/* Instants per queue equal the NIC's own counters; ring fills stay in
 * [0, ring size - 1] (a ring of size entries holds size - 1); client
 * outstanding in [0, requests]. */
static void check_queues(pkrun_t *r, const tl_timeline_t *t, uint32_t ring)
{
    for (unsigned q = 0; q < r->m.cfg.nic.queues; q++) {
        const nic_queue_stats_t *qs = nic_queue_stats(r->m.nic, q);
        char name[32];
        snprintf(name, sizeof name, "nic rxq %u", q);
        int rx = track(t, name);
        snprintf(name, sizeof name, "nic txq %u", q);
        int tx = track(t, name);
        ck_assert(rx >= 0 && tx >= 0);
        ck_assert_uint_eq(count_instants(t, rx, TL_INST_RX_FRAME), qs->rx_packets);
        ck_assert_uint_eq(count_instants(t, tx, TL_INST_TX_FRAME), qs->tx_packets);
        uint64_t drops = 0;
        for (int d = 0; d < NIC_DROP_KINDS; d++)
            drops += qs->rx_drops[d];
        ck_assert_uint_eq(count_instants(t, rx, TL_INST_DROP), drops);
        ck_assert_uint_gt(count_instants(t, rx, TL_INST_DOORBELL), 0);
        ck_assert_uint_gt(count_instants(t, tx, TL_INST_DOORBELL), 0);
        for (int k = rx + 1; k <= tx + 1; k += 2) {
            ck_assert_uint_eq(t->tracks[k].kind, TL_TRACK_COUNTER);
            for (size_t i = t->counter_first[k]; i < t->counter_first[k + 1]; i++) {
                ck_assert_int_ge(t->counters[i].value, 0);
                ck_assert_int_le(t->counters[i].value, (int64_t)ring - 1);
            }
        }
    }
    int cl = track(t, "client outstanding");
    ck_assert_int_ge(cl, 0);
    ck_assert_uint_gt(t->counter_first[cl + 1] - t->counter_first[cl], 0);
    for (size_t i = t->counter_first[cl]; i < t->counter_first[cl + 1]; i++) {
        ck_assert_int_ge(t->counters[i].value, 0);
        ck_assert_int_le(t->counters[i].value, 3000);
    }
}

START_TEST(test_instants_equal_nic_counters)
{
    const char *file = tl_path("b.tl");
    const char *sets[] = {SMALL, set_tl(file), NULL};
    pkrun_t *r = run_echo(sets);
    tl_timeline_t *t = load(file);
    check_queues(r, t, 512);
    tl_free(t);
    done(r);
}
END_TEST

/* Overload on 16-entry rings: frames are dropped (no descriptor), each
 * drop is an instant, and the RX fill reaches the ring's capacity. */
START_TEST(test_drops_are_recorded)
{
    const char *file = tl_path("c.tl");
    const char *sets[] = {SMALL, set_tl(file), "kernel.rx_entries=16",
                          "load.rate_rps=40000000", NULL};
    pkrun_t *r = run_echo(sets);
    tl_timeline_t *t = load(file);
    check_queues(r, t, 16);
    uint64_t drops = 0;
    int64_t top = 0;
    for (unsigned q = 0; q < r->m.cfg.nic.queues; q++) {
        drops += nic_queue_stats(r->m.nic, q)->rx_drops[NIC_DROP_NO_DESC];
        char name[32];
        snprintf(name, sizeof name, "nic rxq %u fill", q);
        int k = track(t, name);
        for (size_t i = t->counter_first[k]; i < t->counter_first[k + 1]; i++)
            top = t->counters[i].value > top ? t->counters[i].value : top;
    }
    ck_assert_uint_gt(drops, 0);
    ck_assert_int_eq(top, 15);
    tl_free(t);
    done(r);
}
END_TEST

static char *file_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*n ? *n : 1);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* Same config and seed: the same bytes. */
START_TEST(test_same_seed_same_file)
{
    const char *f1 = tl_path("d1.tl"), *f2 = tl_path("d2.tl");
    const char *s1[] = {SMALL, set_tl(f1), NULL};
    done(run_echo(s1));
    const char *s2[] = {SMALL, set_tl(f2), NULL};
    done(run_echo(s2));
    size_t n1, n2;
    char *b1 = file_bytes(f1, &n1), *b2 = file_bytes(f2, &n2);
    ck_assert_uint_gt(n1, 32);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(b1, b2, n1) == 0);
    free(b1);
    free(b2);
}
END_TEST

/* The value of counter track k at time t (the last sample at or before
 * t); false when there is none. */
static bool value_at(const tl_timeline_t *tl, int k, uint64_t t, int64_t *v)
{
    bool found = false;
    for (size_t i = tl->counter_first[k]; i < tl->counter_first[k + 1] && tl->counters[i].t <= t;
         i++) {
        *v = tl->counters[i].value;
        found = true;
    }
    return found;
}

/* A window [200 us, 260 us) against the whole run: its spans are the
 * whole run's clipped to it, its instants those inside it, and its
 * counters agree with the whole run's at every sample time inside it. */
START_TEST(test_window_is_the_whole_run_clipped)
{
    const uint64_t from = SIM_US(200), to = SIM_US(260);
    const char *full = tl_path("e1.tl"), *win = tl_path("e2.tl");
    const char *s1[] = {SMALL, set_tl(full), NULL};
    done(run_echo(s1));
    const char *s2[] = {SMALL, set_tl(win), "outputs.timeline_from_us=200",
                        "outputs.timeline_to_us=260", NULL};
    done(run_echo(s2));
    tl_timeline_t *a = load(full), *w = load(win);
    ck_assert_uint_eq(w->t_from_ps, from);
    ck_assert_uint_eq(w->t_to_ps, to);
    ck_assert_uint_eq(a->ntracks, w->ntracks);
    size_t clipped = 0;
    for (size_t k = 0; k < a->ntracks; k++) {
        size_t j = w->span_first[k];
        for (size_t i = a->span_first[k]; i < a->span_first[k + 1]; i++) {
            tl_span_t s = a->spans[i];
            s.t0 = s.t0 < from ? from : s.t0;
            s.t1 = s.t1 > to ? to : s.t1;
            if (s.t1 <= s.t0)
                continue;
            clipped += s.t0 != a->spans[i].t0 || s.t1 != a->spans[i].t1;
            ck_assert_uint_lt(j, w->span_first[k + 1]);
            const tl_span_t *o = &w->spans[j++];
            ck_assert(o->t0 == s.t0 && o->t1 == s.t1 && o->mode == s.mode &&
                      o->what == s.what && o->pid == s.pid && o->arg == s.arg);
        }
        ck_assert_uint_eq(j, w->span_first[k + 1]);
        j = w->instant_first[k];
        for (size_t i = a->instant_first[k]; i < a->instant_first[k + 1]; i++) {
            if (a->instants[i].t < from || a->instants[i].t >= to)
                continue;
            ck_assert_uint_eq(w->instants[j].t, a->instants[i].t);
            ck_assert_uint_eq(w->instants[j++].kind, a->instants[i].kind);
        }
        ck_assert_uint_eq(j, w->instant_first[k + 1]);
        for (size_t i = w->counter_first[k]; i < w->counter_first[k + 1]; i++) {
            ck_assert(w->counters[i].t >= from && w->counters[i].t < to);
            int64_t va, vw;
            ck_assert(value_at(a, (int)k, w->counters[i].t, &va));
            ck_assert(value_at(w, (int)k, w->counters[i].t, &vw));
            ck_assert_int_eq(va, vw);
        }
        for (size_t i = a->counter_first[k]; i < a->counter_first[k + 1]; i++) {
            int64_t va, vw;
            if (a->counters[i].t < from || a->counters[i].t >= to)
                continue;
            ck_assert(value_at(w, (int)k, a->counters[i].t, &vw));
            ck_assert(value_at(a, (int)k, a->counters[i].t, &va));
            ck_assert_int_eq(va, vw);
        }
    }
    ck_assert_uint_gt(w->nspans, 0);
    ck_assert_uint_gt(clipped, 0); /* the edges cut spans */
    tl_free(a);
    tl_free(w);
}
END_TEST

/* results.json without the fields recording adds (the timeline block,
 * the config's outputs.timeline) and the wall-clock ones. */
static char *results_text(pkrun_t *r)
{
    cJSON *j = pkrun_results(r, 1.0);
    cJSON_DeleteItemFromObject(j, "timeline");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(j, "config"), "outputs");
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

START_TEST(test_results_same_with_and_without)
{
    const char *s1[] = {SMALL, NULL};
    pkrun_t *r = run_echo(s1);
    char *off = results_text(r);
    done(r);
    const char *s2[] = {SMALL, set_tl(tl_path("f.tl")), NULL};
    r = run_echo(s2);
    cJSON *j = pkrun_results(r, 1.0);
    const cJSON *tl = cJSON_GetObjectItem(j, "timeline");
    ck_assert_ptr_nonnull(tl);
    ck_assert_double_eq(cJSON_GetObjectItem(tl, "spans")->valuedouble, (double)r->tl_stats.spans);
    cJSON_Delete(j);
    char *on = results_text(r);
    done(r);
    ck_assert_str_eq(on, off);
    free(on);
    free(off);
}
END_TEST

/* The file vanishing before the end (its FILE.tmp removed): the run
 * fails, its results have no timeline block, no file is left. */
START_TEST(test_lost_file_fails_the_run)
{
    const char *file = tl_path("g.tl");
    const char *sets[] = {SMALL, set_tl(file), NULL};
    config_override_t ov[3] = {{sets[0]}, {sets[1]}, {sets[2]}};
    char err[CONFIG_ERR_MAX], e[1024], tmp[300];
    ck_assert_msg(config_load(&cfg, ECHO, ov, 3, 0, 0, err) == 0, "%s", err);
    pkrun_t *r = pkrun_create(&cfg, e, sizeof e);
    ck_assert_ptr_nonnull(r);
    snprintf(tmp, sizeof tmp, "%s.tmp", file);
    ck_assert_int_eq(unlink(tmp), 0);
    pkrun_run(r, NULL, NULL);
    ck_assert(pkrun_failed(r));
    cJSON *j = pkrun_results(r, 1.0);
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "timeline"));
    cJSON_Delete(j);
    ck_assert_int_ne(access(file, F_OK), 0);
    done(r);
}
END_TEST

/* The command line: --timeline FILE (relative to the current directory)
 * writes it and results.json says so; an uncreatable one is bad input
 * (exit 2, naming it); a bad window is a config error. */
START_TEST(test_cli_timeline_option)
{
    char args[1024], err[2048], cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(args, sizeof args, "'%s/" ECHO "' --set requests=2000 --set warmup_requests=200 --timeline cli.tl", cwd);
    ck_assert_int_eq(run(args, "o1", err, sizeof err), 0);
    cJSON *res = results("o1");
    ck_assert(num(res, "timeline.spans") > 0);
    ck_assert(num(res, "timeline.instants") > 0);
    ck_assert(num(res, "timeline.counters") > 0);
    const char *f = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "timeline"), "file")->valuestring;
    ck_assert_str_eq(f, tl_path("cli.tl"));
    struct stat sb;
    ck_assert_int_eq(stat(f, &sb), 0);
    ck_assert_double_eq(num(res, "timeline.bytes"), (double)sb.st_size);
    tl_timeline_t *t = load(f);
    ck_assert_double_eq(num(res, "timeline.spans"), (double)t->nspans);
    tl_free(t);
    cJSON_Delete(res);
    snprintf(args, sizeof args, "'%s/" ECHO "' --set requests=200 --set warmup_requests=20 --timeline /dev/null/x.tl",
             cwd);
    ck_assert_int_eq(run(args, "o2", err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "/dev/null/x.tl"));
    snprintf(args, sizeof args,
             "'%s/" ECHO "' --set requests=200 --set warmup_requests=20 --timeline w.tl --set outputs.timeline_to_us=0",
             cwd);
    ck_assert_int_eq(run(args, "o3", err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "outputs.timeline_to_us"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("timeline_rec");
    TCase *tc = tcase_create("parakernel");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_spans_equal_core_accounts);
    tcase_add_test(tc, test_timer_interrupts_equal_accounts);
    tcase_add_test(tc, test_nvme_queues_recorded);
    tcase_add_test(tc, test_instants_equal_nic_counters);
    tcase_add_test(tc, test_drops_are_recorded);
    tcase_add_test(tc, test_same_seed_same_file);
    tcase_add_test(tc, test_window_is_the_whole_run_clipped);
    tcase_add_test(tc, test_results_same_with_and_without);
    tcase_add_test(tc, test_lost_file_fails_the_run);
    tcase_add_test(tc, test_cli_timeline_option);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
