/* tests/e2e/check_workloads: the issue-5 experiments end to end, through
 * the real binary, each shrunk to a few thousand requests.
 *
 * Independent expectations: Little's law for the closed loop (requests in
 * flight = throughput x mean latency), a binomial bound for the GET share,
 * the counts of the trace files read here with zlib and sscanf (records,
 * GETs, reads), the three block-trace formats holding the same I/Os
 * (experiments/traces/README.md) so their replays agree, a timeout below
 * the wire's own delay turning every answer late, and the kvs partitions
 * being routed by the Flow Director (no request misrouted) unless the
 * rules are left out. */
#include "tests/e2e/e2e.h"

#include "sim/json.h"

#include <math.h>
#include <zlib.h>

static char exp_path[PATH_MAX];

/* experiments/NAME.json, absolute (the runs happen in tmp_dir). */
static const char *experiment(const char *name)
{
    char cwd[PATH_MAX / 2];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(exp_path, sizeof exp_path, "%s/experiments/%s.json", cwd, name);
    return exp_path;
}

static cJSON *run_ok(const char *name, const char *sets)
{
    char args[PATH_MAX + 1024], err[2048];
    snprintf(args, sizeof args, "'%s' %s", experiment(name), sets);
    int rc = run(args, name, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", name, rc, err);
    return results(name);
}

static const cJSON *proc(const cJSON *r, int i)
{
    return cJSON_GetArrayItem(sim_json_at(r, "processes"), i);
}

static void assert_clean_answers(const cJSON *r)
{
    ck_assert_int_eq((int)num(r, "requests.completed"), (int)num(r, "requests.sent"));
    ck_assert_int_eq((int)num(r, "requests.responses.unknown"), 0);
    ck_assert_int_eq((int)num(r, "requests.responses.malformed"), 0);
    ck_assert_int_eq((int)num(r, "requests.responses.duplicates"), 0);
}

START_TEST(test_closed_loop_obeys_littles_law)
{
    cJSON *r = run_ok("echo", "--set requests=40000 --set warmup_requests=4000 "
                      "--set load.kind=closed --set load.flows=32 --set load.outstanding=2");
    assert_clean_answers(r);
    double n = 32 * 2, x = num(r, "throughput_rps"), w = num(r, "latency_ns.mean") * 1e-9;
    ck_assert_msg(fabs(x * w - n) / n < 0.05, "throughput %.0f x latency %.3g s = %.2f, not %.0f",
                  x, w, x * w, n);
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_timeout_below_the_wire_makes_every_answer_late)
{
    /* a 64 B frame alone takes 16.8 ns each way at 40 GbE */
    cJSON *r = run_ok("echo", "--set requests=2000 --set warmup_requests=0 "
                      "--set load.timeout_us=0.01");
    ck_assert_int_eq((int)num(r, "requests.completed"), 0);
    ck_assert_int_eq((int)num(r, "requests.late"), 2000);
    ck_assert_int_eq((int)num(r, "requests.timed_out"), 2000);
    ck_assert_int_eq((int)num(r, "latency_ns.count"), 0);
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_kvs_partitions_steered_and_all_hits)
{
    cJSON *r = run_ok("kvs-zipf-8core", "--set requests=20000 --set warmup_requests=2000");
    assert_clean_answers(r);
    double n = num(r, "requests.completed"), gets = num(r, "requests.outcomes.hit") +
                                                    num(r, "requests.outcomes.miss");
    ck_assert_double_eq(num(r, "requests.hit_rate"), 1.0); /* the keys are all prefilled */
    double sd = sqrt(n * 0.95 * 0.05);
    ck_assert_msg(fabs(gets - 0.95 * n) < 5 * sd, "%.0f GETs of %.0f", gets, n);
    double served = 0;
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq((int)num(proc(r, i), "report.misrouted"), 0);
        served += num(proc(r, i), "report.gets") + num(proc(r, i), "report.sets");
    }
    ck_assert_double_eq(served, n);
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_kvs_without_steering_misroutes)
{
    const char *cfg = tmp_file(
        "nosteer.json",
        "{\"requests\": 4000, \"warmup_requests\": 0,"
        " \"machine\": {\"cores\": 8, \"nic\": {\"queues\": 8}},"
        " \"kernel\": {\"kind\": \"parakernel\"},"
        " \"processes\": [{\"app\": \"kvs\", \"count\": 8, \"params\": {\"steer\": 0}}],"
        " \"load\": {\"kind\": \"poisson\", \"rate_rps\": 1e6, \"protocol\": \"kvs\"}}");
    char args[PATH_MAX + 64], err[2048];
    snprintf(args, sizeof args, "'%s'", cfg);
    ck_assert_int_eq(run(args, "nosteer", err, sizeof err), 0);
    cJSON *r = results("nosteer");
    double misrouted = 0;
    for (int i = 0; i < 8; i++)
        misrouted += num(proc(r, i), "report.misrouted");
    /* RSS spreads flows, not keys: about 7 in 8 land on another partition */
    ck_assert_msg(misrouted > 0.75 * 4000, "%.0f misrouted", misrouted);
    ck_assert_double_eq(num(r, "requests.outcomes.refused"), misrouted);
    cJSON_Delete(r);
}
END_TEST

/* Lines of a (gzip'd) text file, and how many contain `word`. */
static unsigned count_lines(const char *path, const char *word, unsigned *with)
{
    gzFile g = gzopen(path, "rb");
    ck_assert_ptr_nonnull(g);
    char line[512];
    unsigned n = 0;
    *with = 0;
    while (gzgets(g, line, sizeof line)) {
        n++;
        *with += strstr(line, word) != NULL;
    }
    gzclose(g);
    return n;
}

START_TEST(test_kvs_trace_replays_every_record)
{
    char path[PATH_MAX];
    char cwd[PATH_MAX / 2];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(path, sizeof path, "%s/experiments/traces/kvs-small.csv.gz", cwd);
    unsigned gets, lines = count_lines(path, ",GET,", &gets);
    cJSON *r = run_ok("kvs-trace", "");
    assert_clean_answers(r);
    ck_assert_int_eq((int)num(r, "requests.completed"), (int)lines - 1); /* a header line */
    ck_assert_int_eq((int)(num(r, "requests.outcomes.hit") + num(r, "requests.outcomes.miss")),
                     (int)gets);
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_block_trace_formats_agree)
{
    char path[PATH_MAX], cwd[PATH_MAX / 2];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(path, sizeof path, "%s/experiments/traces/tpcc-small.disksim.trace", cwd);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    unsigned n = 0, reads = 0;
    double t;
    unsigned dev, size, type;
    unsigned long long lsn;
    while (fscanf(f, "%lf %u %llu %u %u", &t, &dev, &lsn, &size, &type) == 5) {
        n++;
        reads += type == 1; /* MQSim: 1 = read */
    }
    fclose(f);
    static const char *const names[] = {"disksim-tpcc", "msr-tpcc", "fio-iolog-tpcc"};
    double first_read_mean = 0;
    for (int i = 0; i < 3; i++) {
        cJSON *r = run_ok(names[i], "");
        const cJSON *p = proc(r, 0);
        ck_assert_str_eq(cJSON_GetStringValue(sim_json_at(p, "runtime.state")), "exited");
        ck_assert_int_eq((int)num(p, "report.trace.ops"), (int)n);
        ck_assert_int_eq((int)num(p, "report.read.ios"), (int)reads);
        ck_assert_int_eq((int)num(p, "report.write.ios"), (int)(n - reads));
        ck_assert_int_eq((int)num(p, "report.errors.total"), 0);
        double m = num(p, "report.read.clat.mean");
        if (i == 0)
            first_read_mean = m;
        ck_assert_double_eq_tol(m, first_read_mean, first_read_mean * 0.01);
        cJSON_Delete(r);
    }
}
END_TEST

START_TEST(test_blkio_runs_alone)
{
    const char *cfg = tmp_file(
        "blkio.json",
        "{\"machine\": {\"cores\": 2}, \"kernel\": {\"kind\": \"parakernel\"},"
        " \"processes\": [{\"app\": \"blkio\", \"count\": 2, \"nic_queues\": 0,"
        " \"nvme_queues\": 1, \"rx_traffic\": false,"
        " \"params\": {\"rw\": \"randread\", \"iodepth\": 32, \"ios\": 2000}}],"
        " \"load\": {\"kind\": \"none\"}}");
    char args[PATH_MAX + 64], err[2048];
    snprintf(args, sizeof args, "'%s'", cfg);
    ck_assert_int_eq(run(args, "blkio", err, sizeof err), 0);
    cJSON *r = results("blkio");
    for (int i = 0; i < 2; i++) {
        const cJSON *p = proc(r, i);
        ck_assert_str_eq(cJSON_GetStringValue(sim_json_at(p, "runtime.state")), "exited");
        ck_assert_int_eq((int)num(p, "report.read.ios"), 2000);
        ck_assert_int_eq((int)num(p, "report.write.ios"), 0);
    }
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_evloop_gc_pauses_show_in_the_tail)
{
    cJSON *r = run_ok("evloop-gc", "--set requests=20000 --set warmup_requests=2000");
    assert_clean_answers(r);
    double pauses = 0;
    for (int i = 0; i < 4; i++)
        pauses += num(proc(r, i), "report.gc.pauses");
    ck_assert(pauses > 0);
    /* a request that lands in a 500 us pause waits for its end */
    ck_assert_msg(num(r, "latency_ns.p999") > 100e3, "p99.9 %.0f ns", num(r, "latency_ns.p999"));
    ck_assert_msg(num(r, "latency_ns.p50") < 100e3, "p50 %.0f ns", num(r, "latency_ns.p50"));
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_damaged_traces_are_bad_input)
{
    char err[2048], args[PATH_MAX + 64];
    tmp_file("bad.trace", "0 1 100 8 1\n1000 1 200 8 x\n");
    const char *cfg = tmp_file(
        "badblk.json",
        "{\"kernel\": {\"kind\": \"parakernel\"},"
        " \"processes\": [{\"app\": \"blkio\", \"nic_queues\": 0, \"nvme_queues\": 1,"
        " \"rx_traffic\": false, \"params\": {\"trace\": \"bad.trace\"}}],"
        " \"load\": {\"kind\": \"none\"}}");
    snprintf(args, sizeof args, "'%s'", cfg);
    ck_assert_int_eq(run(args, "badblk", err, sizeof err), 2);
    ck_assert_msg(strstr(err, "bad.trace") && strstr(err, "record 2"), "%s", err);
    tmp_file("bad.csv", "time_ns,op,key,value_size\n10,GET,k1,0\n5,GET,k2,0\n");
    cfg = tmp_file("badkv.json",
                   "{\"kernel\": {\"kind\": \"parakernel\"},"
                   " \"processes\": [{\"app\": \"kvs\"}],"
                   " \"load\": {\"kind\": \"trace\", \"trace\": \"bad.csv\", \"protocol\": \"kvs\"}}");
    snprintf(args, sizeof args, "'%s'", cfg);
    ck_assert_int_eq(run(args, "badkv", err, sizeof err), 2);
    ck_assert_msg(strstr(err, "bad.csv") && strstr(err, "record 3"), "%s", err);
}
END_TEST

static Suite *workloads_suite(void)
{
    Suite *s = suite_create("workloads_e2e");
    TCase *tc = tcase_create("workloads_e2e");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_closed_loop_obeys_littles_law);
    tcase_add_test(tc, test_timeout_below_the_wire_makes_every_answer_late);
    tcase_add_test(tc, test_kvs_partitions_steered_and_all_hits);
    tcase_add_test(tc, test_kvs_without_steering_misroutes);
    tcase_add_test(tc, test_kvs_trace_replays_every_record);
    tcase_add_test(tc, test_block_trace_formats_agree);
    tcase_add_test(tc, test_blkio_runs_alone);
    tcase_add_test(tc, test_evloop_gc_pauses_show_in_the_tail);
    tcase_add_test(tc, test_damaged_traces_are_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(workloads_suite)
