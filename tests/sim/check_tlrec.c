/* sim/tlrec, the timeline recorder, driven by hand: charges with known
 * times and causes, poll periods, windows and counter samples, each
 * written, read back with tl_load and compared with spans, samples and
 * sums worked out by hand from sim/tlrec.h's rules.  Then the ideal
 * kernel recorded end to end: each core's spans are its busy time. */
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#include "tests/devices/iommu_drv.h"

#include "model/cost.h"
#include "sim/config.h"
#include "sim/cpu.h"
#include "sim/machine.h"
#include "sim/experiment.h"
#include "sim/tlrec.h"
#include "traces/timeline.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char path[256];
static sim_t *sim;

static void setup(void)
{
    tmp_setup();
    snprintf(path, sizeof path, "%s/t.tl", tmp_dir);
    sim = sim_create();
}

static void teardown(void)
{
    sim_destroy(sim);
    tmp_teardown();
}

/* A recorder on one core whose process is pid 3 ("echo0"), over
 * [from, to), with the client track. */
static tlrec_t *open1(sim_time_t from, sim_time_t to, cpu_t *core)
{
    static const char *const labels[] = {"echo0"};
    static const unsigned pids[] = {3};
    tlrec_cfg_t c = {.path = path, .from_ps = from, .to_ps = to, .cores = 1, .labels = labels,
                     .pids = pids, .client = true};
    char err[512];
    tlrec_t *r = tlrec_open(sim, &c, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    cpu_init(core, 0);
    tlrec_attach_cores(r, core, 1);
    return r;
}

static tl_timeline_t *close_load(tlrec_t *r, tlrec_stats_t *st)
{
    char err[512];
    ck_assert_msg(tlrec_close(r, st, err, sizeof err) == 0, "%s", err);
    tl_timeline_t *t = tl_load(path, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    return t;
}

static void span_is(const tl_span_t *s, uint64_t t0, uint64_t t1, tl_mode_t mode, unsigned pid,
                    tl_what_t what, uint64_t arg)
{
    ck_assert_uint_eq(s->t0, t0);
    ck_assert_uint_eq(s->t1, t1);
    ck_assert_uint_eq(s->mode, mode);
    ck_assert_uint_eq(s->pid, pid);
    ck_assert_uint_eq(s->what, what);
    ck_assert_uint_eq(s->arg, arg);
}

/* Charges through cpu_charge (the clock serialises them): contiguous
 * user work merges; a gap, a new request id, boot versus a system call
 * and an interrupt each start a span; a zero charge leaves none. */
START_TEST(test_charges_merge_unless_gap_or_cause_changes)
{
    cpu_t core;
    tlrec_t *r = open1(0, SIM_TIME_MAX, &core);
    cpu_charge(&core, 100, 100, CPU_USER);     /* [100, 200) */
    cpu_charge(&core, 150, 100, CPU_USER);     /* [200, 300): merges */
    cpu_charge(&core, 400, 50, CPU_USER);      /* gap: [400, 450) */
    tlrec_request(core.tl, 7);
    cpu_charge(&core, 0, 50, CPU_USER);        /* [450, 500) arg 7 */
    cpu_charge(&core, 0, 100, CPU_KERNEL);     /* boot: no pid */
    tlrec_syscall(core.tl, 3);
    cpu_charge(&core, 0, 60, CPU_KERNEL);      /* [600, 660) syscall, 3 SQEs */
    cpu_charge(&core, 0, 40, CPU_KERNEL);      /* merges: [600, 700) */
    cpu_charge(&core, 0, 0, CPU_KERNEL);       /* nothing */
    tlrec_irq(core.tl, 0x30);
    cpu_charge(&core, 0, 50, CPU_IRQ);         /* [700, 750) */
    tlrec_stats_t st;
    tl_timeline_t *t = close_load(r, &st);
    ck_assert_ptr_null(core.tl); /* detached at close */
    ck_assert_uint_eq(t->ntracks, 2);          /* core 0, client outstanding */
    ck_assert_str_eq(t->tracks[0].name, "core 0");
    ck_assert_str_eq(t->tracks[0].label, "echo0");
    ck_assert_str_eq(t->tracks[1].name, "client outstanding");
    ck_assert_uint_eq(t->nspans, 6);
    ck_assert_uint_eq(st.spans, 6);
    span_is(&t->spans[0], 100, 300, TL_USER, 3, TL_WHAT_APP, 0);
    span_is(&t->spans[1], 400, 450, TL_USER, 3, TL_WHAT_APP, 0);
    span_is(&t->spans[2], 450, 500, TL_USER, 3, TL_WHAT_APP, 7);
    span_is(&t->spans[3], 500, 600, TL_KERNEL, TL_NO_PID, TL_WHAT_BOOT, 0);
    span_is(&t->spans[4], 600, 700, TL_KERNEL, 3, TL_WHAT_SYSCALL, 3);
    span_is(&t->spans[5], 700, 750, TL_IRQ, 3, TL_WHAT_IRQ, 0x30);
    ck_assert_uint_eq(st.reordered, 0);
    tl_free(t);
}
END_TEST

/* A poll period from 1000 to 1500 with interrupt and kernel work in
 * [1100, 1200): poll spans fill the gaps, 100 + 300 = 400 ps, which is
 * (1500 - 1000) - 100, what sim/proc.c adds to the poll account. */
START_TEST(test_poll_spans_fill_the_gaps)
{
    cpu_t core;
    tlrec_t *r = open1(0, SIM_TIME_MAX, &core);
    tlrec_syscall(core.tl, 1);
    tlrec_poll_begin(core.tl, 1000);
    tlrec_irq(core.tl, 40);
    cpu_charge(&core, 1100, 50, CPU_IRQ);
    cpu_charge(&core, 1100, 50, CPU_KERNEL);
    tlrec_poll_book(core.tl, 1500, false);
    cpu_charge(&core, 1500, 100, CPU_USER); /* no longer polling */
    tl_timeline_t *t = close_load(r, NULL);
    ck_assert_uint_eq(t->nspans, 5);
    span_is(&t->spans[0], 1000, 1100, TL_POLL, 3, TL_WHAT_POLL, 0);
    span_is(&t->spans[1], 1100, 1150, TL_IRQ, 3, TL_WHAT_IRQ, 40);
    span_is(&t->spans[2], 1150, 1200, TL_KERNEL, 3, TL_WHAT_SYSCALL, 1);
    span_is(&t->spans[3], 1200, 1500, TL_POLL, 3, TL_WHAT_POLL, 0);
    span_is(&t->spans[4], 1500, 1600, TL_USER, 3, TL_WHAT_APP, 0);
    tl_free(t);
}
END_TEST

/* A booking that goes on (proc_rt_settle) keeps polling from there. */
START_TEST(test_poll_booked_and_going_on)
{
    cpu_t core;
    tlrec_t *r = open1(0, SIM_TIME_MAX, &core);
    tlrec_poll_begin(core.tl, 0);
    tlrec_poll_book(core.tl, 300, true);
    cpu_charge(&core, 500, 100, CPU_USER);
    tlrec_poll_book(core.tl, 800, false);
    tl_timeline_t *t = close_load(r, NULL);
    ck_assert_uint_eq(t->nspans, 3);
    span_is(&t->spans[0], 0, 500, TL_POLL, 3, TL_WHAT_POLL, 0); /* 0-300 and 300-500 merged */
    span_is(&t->spans[1], 500, 600, TL_USER, 3, TL_WHAT_APP, 0);
    span_is(&t->spans[2], 600, 800, TL_POLL, 3, TL_WHAT_POLL, 0);
    tl_free(t);
}
END_TEST

/* Window [250, 650): spans clipped at both edges, one outside dropped,
 * the header carries the window. */
START_TEST(test_window_clips_spans)
{
    cpu_t core;
    tlrec_t *r = open1(250, 650, &core);
    cpu_charge(&core, 0, 100, CPU_USER);      /* [0, 100): outside */
    cpu_charge(&core, 200, 100, CPU_USER);    /* [200, 300) -> [250, 300) */
    cpu_charge(&core, 0, 100, CPU_KERNEL);    /* [300, 400) */
    cpu_charge(&core, 600, 100, CPU_USER);    /* [600, 700) -> [600, 650) */
    cpu_charge(&core, 0, 100, CPU_IRQ);       /* [700, 800): outside */
    tl_timeline_t *t = close_load(r, NULL);
    ck_assert_uint_eq(t->t_from_ps, 250);
    ck_assert_uint_eq(t->t_to_ps, 650);
    ck_assert_uint_eq(t->nspans, 3);
    span_is(&t->spans[0], 250, 300, TL_USER, 3, TL_WHAT_APP, 0);
    span_is(&t->spans[1], 300, 400, TL_KERNEL, TL_NO_PID, TL_WHAT_BOOT, 0);
    span_is(&t->spans[2], 600, 650, TL_USER, 3, TL_WHAT_APP, 0);
    tl_free(t);
}
END_TEST

typedef struct sample {
    sim_time_t t;
    int64_t v;
} sample_t;

static void sample_ev(sim_t *s, void *arg, uint64_t v)
{
    (void)s;
    tlrec_client(arg, (int64_t)v);
}

/* Client samples at 10 (1 then 2: the same instant, 2 stands), 20 (2
 * again: no change), 30 (0), 40 (5).  Whole run: (10, 2) (30, 0) (40, 5);
 * window [15, 35): the value at 15 is 2, then (30, 0). */
static tl_timeline_t *counter_run(sim_time_t from, sim_time_t to)
{
    static const sample_t in[] = {{10, 1}, {10, 2}, {20, 2}, {30, 0}, {40, 5}};
    cpu_t core;
    tlrec_t *r = open1(from, to, &core);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        sim_at(sim, in[i].t, sample_ev, r, (uint64_t)in[i].v);
    sim_run(sim, SIM_TIME_MAX);
    return close_load(r, NULL);
}

START_TEST(test_counter_written_on_change)
{
    tl_timeline_t *t = counter_run(0, SIM_TIME_MAX);
    ck_assert_uint_eq(t->ncounters, 3);
    ck_assert_uint_eq(t->counters[0].t, 10);
    ck_assert_int_eq(t->counters[0].value, 2);
    ck_assert_uint_eq(t->counters[1].t, 30);
    ck_assert_int_eq(t->counters[1].value, 0);
    ck_assert_uint_eq(t->counters[2].t, 40);
    ck_assert_int_eq(t->counters[2].value, 5);
    tl_free(t);
}
END_TEST

START_TEST(test_counter_value_at_window_start)
{
    tl_timeline_t *t = counter_run(15, 35);
    ck_assert_uint_eq(t->ncounters, 2);
    ck_assert_uint_eq(t->counters[0].t, 15);
    ck_assert_int_eq(t->counters[0].value, 2);
    ck_assert_uint_eq(t->counters[1].t, 30);
    ck_assert_int_eq(t->counters[1].value, 0);
    tl_free(t);
}
END_TEST

/* Resolution 100 ps: samples at 10 (1), 20 (2), 150 (3), 180 (4), 190 (4
 * again), 320 (1): per period the last change stands -- (20, 2) for
 * [0, 100), (180, 4) for [100, 200), (320, 1). */
START_TEST(test_counter_resolution_keeps_each_periods_last_change)
{
    static const sample_t in[] = {{10, 1}, {20, 2}, {150, 3}, {180, 4}, {190, 4}, {320, 1}};
    static const sample_t want[] = {{20, 2}, {180, 4}, {320, 1}};
    cpu_t core;
    tlrec_cfg_t c = {.path = path, .to_ps = SIM_TIME_MAX, .counter_ps = 100, .cores = 1,
                     .client = true};
    char err[512];
    tlrec_t *r = tlrec_open(sim, &c, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    cpu_init(&core, 0);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        sim_at(sim, in[i].t, sample_ev, r, (uint64_t)in[i].v);
    sim_run(sim, SIM_TIME_MAX);
    tl_timeline_t *t = close_load(r, NULL);
    ck_assert_uint_eq(t->ncounters, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(t->counters[i].t, want[i].t);
        ck_assert_int_eq(t->counters[i].value, want[i].v);
    }
    tl_free(t);
}
END_TEST

/* On a machine: a DMA translation the IOMMU refuses (translation on, an
 * empty root table: root entry not present) is an instant on "iommu"
 * with the requester id; its fault-event interrupt (core 1, vector 0x30,
 * pcie.msix later) is an irq span of cpu.irq_entry on core 1, arg the
 * vector. */
START_TEST(test_iommu_fault_and_its_interrupt)
{
    machine_cfg_t mc;
    machine_cfg_default(&mc);
    mc.cores = 2;
    mc.mem_bytes = UINT64_C(64) << 20;
    mc.nvme_present = false;
    cost_table_t costs;
    ck_assert_int_eq(cost_table_init(&costs, "default"), 0);
    machine_t m;
    char err[512];
    ck_assert_msg(machine_create(&m, sim, &costs, &mc, err, sizeof err) == 0, "%s", err);
    tlrec_cfg_t c = {.path = path, .to_ps = SIM_TIME_MAX, .cores = 2,
                     .nic_queues = mc.nic.queues, .machine = true};
    tlrec_t *r = tlrec_open(sim, &c, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    tlrec_attach_machine(r, &m);
    iod_fault_event(m.iommu, 1, 0x30, true);
    iod_enable(m.iommu, 0x100000, 0);
    uint64_t pa, end;
    sim_time_t cost;
    ck_assert_int_eq(iommu_translate(m.iommu, MACHINE_NIC_RID, IOMMU_NO_PASID, 0x5000, false, &pa,
                                     &end, &cost),
                     IOMMU_FAULT_ROOT);
    sim_run(sim, SIM_TIME_MAX);
    tl_timeline_t *t = close_load(r, NULL);
    uint32_t io = 2 + 4 * mc.nic.queues; /* after the cores and the NIC's queues */
    ck_assert_str_eq(t->tracks[io].name, "iommu");
    ck_assert_uint_eq(t->ninstants, 1);
    ck_assert_uint_eq(t->instants[0].track, io);
    ck_assert_uint_eq(t->instants[0].kind, TL_INST_IOMMU_FAULT);
    ck_assert_uint_eq(t->instants[0].arg, MACHINE_NIC_RID);
    ck_assert_uint_eq(t->instants[0].t, 0);
    ck_assert_uint_eq(t->nspans, 1);
    sim_time_t at = cost_ps(&costs, COST_PCIE_MSIX);
    span_is(&t->spans[0], at, at + cost_ps(&costs, COST_CPU_IRQ_ENTRY), TL_IRQ, TL_NO_PID,
            TL_WHAT_IRQ, 0x30);
    ck_assert_uint_eq(t->spans[0].track, 1);
    tl_free(t);
    machine_destroy(&m);
}
END_TEST

/* An unusable file name is reported, naming it; nothing is left. */
START_TEST(test_open_fails_with_message)
{
    tlrec_cfg_t c = {.path = "/dev/null/t.tl", .to_ps = SIM_TIME_MAX, .cores = 1};
    char err[512] = "";
    ck_assert_ptr_null(tlrec_open(sim, &c, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/dev/null/t.tl"));
    c.path = path;
    c.from_ps = c.to_ps = 5; /* an empty window */
    ck_assert_ptr_null(tlrec_open(sim, &c, err, sizeof err));
}
END_TEST

/* The file vanishing under the recorder (its FILE.tmp removed) makes the
 * close fail with a message, and no timeline is left. */
START_TEST(test_close_reports_a_lost_file)
{
    cpu_t core;
    tlrec_t *r = open1(0, SIM_TIME_MAX, &core);
    cpu_charge(&core, 0, 100, CPU_USER);
    char tmp[300], err[600] = "";
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_eq(unlink(tmp), 0);
    ck_assert_int_eq(tlrec_close(r, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "t.tl"));
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

/* The ideal kernel, 2 cores, 1000 requests of constant 700 ns service:
 * every request is one span of 700 ns on its core (arg: its id, each id
 * once), and each core's spans add up to its busy time. */
START_TEST(test_ideal_spans_are_requests)
{
    char json[512], err[CONFIG_ERR_MAX], tl[300];
    snprintf(tl, sizeof tl, "%s/ideal.tl", tmp_dir);
    snprintf(json, sizeof json,
             "{\"requests\": 1000, \"machine\": {\"cores\": 2},"
             " \"workload\": {\"service\": {\"dist\": \"constant\", \"mean_ns\": 700}},"
             " \"load\": {\"kind\": \"poisson\", \"rate_rps\": 2000000},"
             " \"outputs\": {\"timeline\": \"%s\"}}", tl);
    sim_config_t cfg;
    experiment_t x;
    ck_assert_msg(config_load(&cfg, tmp_file("c.json", json), NULL, 0, 0, 0, err) == 0, "%s", err);
    ck_assert_int_eq(exp_create(&x, &cfg, err, sizeof err), 0);
    ck_assert_msg(exp_timeline_open(&x, err, sizeof err) == 0, "%s", err);
    exp_run(&x, NULL, NULL);
    ck_assert(x.tl_done && !x.tl_failed);
    tl_timeline_t *t = tl_load(tl, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    ck_assert_uint_eq(t->nspans, 1000);
    ck_assert_uint_eq(x.tl_stats.spans, 1000);
    static bool seen[1000];
    memset(seen, 0, sizeof seen);
    for (unsigned c = 0; c < 2; c++) {
        uint64_t sum = 0;
        for (size_t i = t->span_first[c]; i < t->span_first[c + 1]; i++) {
            const tl_span_t *s = &t->spans[i];
            ck_assert_uint_eq(s->t1 - s->t0, SIM_NS(700));
            ck_assert_uint_eq(s->mode, TL_USER);
            ck_assert_uint_lt(s->arg, 1000);
            ck_assert(!seen[s->arg]);
            seen[s->arg] = true;
            sum += s->t1 - s->t0;
        }
        ck_assert_uint_eq(sum, x.cores[c].acct[CPU_USER]);
        ck_assert_uint_eq(t->span_first[c + 1] - t->span_first[c], x.core_completed[c]);
    }
    tl_free(t);
    exp_destroy(&x);
    config_free(&cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tlrec");
    TCase *tc = tcase_create("recorder");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_charges_merge_unless_gap_or_cause_changes);
    tcase_add_test(tc, test_poll_spans_fill_the_gaps);
    tcase_add_test(tc, test_poll_booked_and_going_on);
    tcase_add_test(tc, test_window_clips_spans);
    tcase_add_test(tc, test_counter_written_on_change);
    tcase_add_test(tc, test_counter_value_at_window_start);
    tcase_add_test(tc, test_counter_resolution_keeps_each_periods_last_change);
    tcase_add_test(tc, test_iommu_fault_and_its_interrupt);
    tcase_add_test(tc, test_open_fails_with_message);
    tcase_add_test(tc, test_close_reports_a_lost_file);
    tcase_add_test(tc, test_ideal_spans_are_requests);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
