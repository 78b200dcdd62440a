/* The parakernel end to end, as a user runs it: `parasim run
 * experiments/echo.json` (4 echo processes on 4 cores, a Poisson client
 * on 40 GbE) answers every request exactly once, reports latency and the
 * mediation cost, never faults the IOMMU, is deterministic, works under
 * both mediation strategies and with interrupts (echo wait=1), refuses a
 * bad plan with exit 2, and a victim's results do not change when an
 * attacker runs next to it.
 *
 * Independent expectations: request counts come from the config; the
 * latency floor is physics and the cost table's sourced PCIe figure (a
 * request's and its response's serialisation on the wire, 64 B frames at
 * 40 GbE: 2 x (16.8 - 2.4 IFG) ns, plus at least one PCIe DMA, pcie.dma
 * 350 ns, to bring the request into memory); the spread over processes
 * follows from RSS over 1024 flows (every process gets some).
 *
 * Runs the real binary: $PARASIM (set by make check), else build/parasim;
 * experiments/ relative to the repository (the test runs from it). */
#include "tests/e2e/e2e.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQUESTS 20000
#define WARMUP 2000
#define SMALL "--set requests=20000 --set warmup_requests=2000"

static char config_path[PATH_MAX];

/* experiments/echo.json, absolute (the runs happen in tmp_dir). */
static const char *echo_json(void)
{
    char cwd[PATH_MAX - 32];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(config_path, sizeof config_path, "%s/experiments/echo.json", cwd);
    return config_path;
}

/* What every healthy echo run satisfies. */
static void check_echo_results(const cJSON *r, unsigned nprocs)
{
    ck_assert_double_eq(num(r, "requests.offered"), REQUESTS);
    ck_assert_double_eq(num(r, "requests.completed"), REQUESTS);
    ck_assert_double_eq(num(r, "requests.dropped"), 0);
    ck_assert_double_eq(num(r, "requests.responses.duplicates"), 0);
    ck_assert_double_eq(num(r, "requests.responses.unknown"), 0);
    ck_assert_double_eq(num(r, "requests.responses.malformed"), 0);
    ck_assert_double_eq(num(r, "requests.measured"), REQUESTS - WARMUP);
    ck_assert_double_eq(num(r, "latency_ns.count"), REQUESTS - WARMUP);
    double floor_ns = 2 * (16.8 - 2.4) + 350;
    ck_assert_msg(num(r, "latency_ns.min") >= floor_ns, "min latency %g below %g",
                  num(r, "latency_ns.min"), floor_ns);
    ck_assert(num(r, "latency_ns.p50") <= num(r, "latency_ns.p99"));
    ck_assert(num(r, "latency_ns.p99") <= num(r, "latency_ns.max"));
    ck_assert(num(r, "kernel.mediation_ns_per_op") > 0);
    ck_assert(num(r, "kernel.mediation_ns_per_batch") >= num(r, "kernel.mediation_ns_per_op"));
    ck_assert(num(r, "kernel.doorbells") <= num(r, "kernel.descriptors_written"));
    ck_assert_double_eq(num(r, "kernel.iommu_faults"), 0);
    ck_assert_double_eq(num(r, "devices.iommu.faults"), 0);
    const cJSON *procs = cJSON_GetObjectItem(r, "processes");
    double served = 0;
    unsigned echoes = 0;
    for (const cJSON *p = procs->child; p; p = p->next) {
        if (strcmp(cJSON_GetObjectItem(p, "app")->valuestring, "echo"))
            continue;
        echoes++;
        ck_assert_msg(num(p, "app_stats.rx_frames") > 0, "an echo process got no traffic");
        /* tx_frames counts TX completions: the run ends at the last answer,
         * before the last completions are collected */
        ck_assert(num(p, "app_stats.tx_frames") <= num(p, "app_stats.rx_frames"));
        served += num(p, "app_stats.rx_frames");
    }
    ck_assert_uint_eq(echoes, nprocs);
    ck_assert_double_eq(served, REQUESTS);
}

START_TEST(test_echo_answers_every_request_once)
{
    char err[1024], args[PATH_MAX + 128];
    snprintf(args, sizeof args, "'%s' " SMALL, echo_json());
    ck_assert_msg(run(args, "a", err, sizeof err) == 0, "%s", err);
    cJSON *r = results("a");
    check_echo_results(r, 4);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "kernel"), "mediation")->valuestring,
                     "range");
    cJSON_Delete(r);
}
END_TEST

/* Same config and seed: the same file, apart from the wall-clock lines. */
static char *strip_wall(char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(line, "\"wall_s\"") && !strstr(line, "_per_s\""))
            o += sprintf(o, "%s\n", line);
    *o = '\0';
    return out;
}

START_TEST(test_echo_is_deterministic)
{
    char err[1024], args[PATH_MAX + 128], p1[PATH_MAX], p2[PATH_MAX];
    snprintf(args, sizeof args, "'%s' " SMALL, echo_json());
    ck_assert_msg(run(args, "d1", err, sizeof err) == 0, "%s", err);
    ck_assert_msg(run(args, "d2", err, sizeof err) == 0, "%s", err);
    snprintf(p1, sizeof p1, "%s/d1/results.json", tmp_dir);
    snprintf(p2, sizeof p2, "%s/d2/results.json", tmp_dir);
    char *a = slurp(p1), *b = slurp(p2);
    char *sa = strip_wall(a), *sb = strip_wall(b);
    ck_assert_str_eq(sa, sb);
    free(a), free(b), free(sa), free(sb);
}
END_TEST

/* Pool mediation validates once at registration: per buffer its check
 * must cost less than the per-descriptor range checks (an index compare
 * against a full classification), with the same answers. */
START_TEST(test_pool_mediation_answers_all_and_costs_less)
{
    char err[1024], args[PATH_MAX + 160];
    snprintf(args, sizeof args, "'%s' " SMALL, echo_json());
    ck_assert_msg(run(args, "range", err, sizeof err) == 0, "%s", err);
    snprintf(args, sizeof args, "'%s' " SMALL " --set kernel.mediation=pool", echo_json());
    ck_assert_msg(run(args, "pool", err, sizeof err) == 0, "%s", err);
    cJSON *range = results("range"), *pool = results("pool");
    check_echo_results(pool, 4);
    const char *v = "kernel.mediation_split_ns_per_op.validate";
    ck_assert_msg(num(pool, v) < num(range, v), "pool validates in %g ns/op, range in %g",
                  num(pool, v), num(range, v));
    /* the split accounts for the whole per-op figure */
    for (const cJSON *r = range;; r = pool) {
        double sum = num(r, v) + num(r, "kernel.mediation_split_ns_per_op.descriptor") +
                     num(r, "kernel.mediation_split_ns_per_op.doorbell");
        ck_assert_double_eq_tol(sum, num(r, "kernel.mediation_ns_per_op"), 1e-6);
        if (r == pool)
            break;
    }
    cJSON_Delete(range);
    cJSON_Delete(pool);
}
END_TEST

/* Processes that wait in pk_enter are woken by interrupts: same answers,
 * and the interrupts show. */
START_TEST(test_waiting_echo_is_woken_by_interrupts)
{
    char err[1024], args[PATH_MAX + 200];
    snprintf(args, sizeof args,
             "'%s' " SMALL " --set load.rate_rps=1000000 --set 'processes=[{\"app\": \"echo\","
             " \"count\": 4, \"params\": {\"wait\": 1}}]'", echo_json());
    ck_assert_msg(run(args, "w", err, sizeof err) == 0, "%s", err);
    cJSON *r = results("w");
    check_echo_results(r, 4);
    ck_assert(num(r, "kernel.irqs") > 0);
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_bad_plan_is_refused_with_exit_2)
{
    char err[1024], args[PATH_MAX + 200];
    /* 2 processes x 2 NIC queues on a NIC with 3 */
    snprintf(args, sizeof args,
             "'%s' " SMALL " --set machine.nic.queues=3 --set 'processes=[{\"app\": \"echo\","
             " \"count\": 2, \"nic_queues\": 2}]'", echo_json());
    ck_assert_int_eq(run(args, "bad", err, sizeof err), 2);
    ck_assert_msg(strstr(err, "machine.nic.queues") && strstr(err, "NIC queue pairs"), "%s", err);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
}
END_TEST

/* Three echo victims, with and without an attacker on the fourth core
 * (it gets no RSS traffic): the victims' requests, latencies and kernel
 * counters are identical, every attack is refused, the IOMMU sees no
 * fault. */
START_TEST(test_attacker_does_not_change_the_victims)
{
    char err[1024], args[PATH_MAX + 600];
    const char *victims = "{\"app\": \"echo\", \"count\": 3}";
    snprintf(args, sizeof args, "'%s' " SMALL " --set 'processes=[%s]'", echo_json(), victims);
    ck_assert_msg(run(args, "alone", err, sizeof err) == 0, "%s", err);
    /* partitions: kernel 2..66 MiB, echo0 at 66 MiB; kernel_addr inside the
     * kernel's region, foreign_addr inside echo0's partition */
    snprintf(args, sizeof args,
             "'%s' " SMALL " --set 'processes=[%s, {\"app\": \"attacker\", \"rx_traffic\": false,"
             " \"params\": {\"foreign_addr\": \"0x4300000\", \"kernel_addr\": \"0x201000\","
             " \"foreign_queue\": 0}}]'", echo_json(), victims);
    ck_assert_msg(run(args, "attacked", err, sizeof err) == 0, "%s", err);
    cJSON *a = results("alone"), *b = results("attacked");
    char *la = cJSON_PrintUnformatted(cJSON_GetObjectItem(a, "latency_ns"));
    char *lb = cJSON_PrintUnformatted(cJSON_GetObjectItem(b, "latency_ns"));
    ck_assert_str_eq(la, lb);
    ck_assert_double_eq(num(a, "requests.completed"), num(b, "requests.completed"));
    const cJSON *pa = cJSON_GetObjectItem(a, "processes")->child;
    const cJSON *pb = cJSON_GetObjectItem(b, "processes")->child;
    for (int i = 0; i < 3; i++, pa = pa->next, pb = pb->next) {
        char *ka = cJSON_PrintUnformatted(cJSON_GetObjectItem(pa, "kernel"));
        char *kb = cJSON_PrintUnformatted(cJSON_GetObjectItem(pb, "kernel"));
        ck_assert_str_eq(ka, kb);
        free(ka), free(kb);
    }
    ck_assert_str_eq(cJSON_GetObjectItem(pb, "app")->valuestring, "attacker");
    ck_assert(num(pb, "kernel.sqes") > 0);
    /* every attack refused: the attacker's refusals are counted ... */
    const cJSON *refused = cJSON_GetObjectItem(cJSON_GetObjectItem(pb, "kernel"), "refused");
    static const char *const codes[] = {"PK_EFOREIGN", "PK_EKERNEL", "PK_ERING", "PK_ESTRADDLE",
                                        "PK_EOVERFLOW", "PK_EQUEUE", "PK_EOPCODE", "PK_ESQINDEX",
                                        "PK_ETIMERS", "PK_ESTEER", "PK_EAGAIN"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        ck_assert_msg(cJSON_GetObjectItem(refused, codes[i]) != NULL, "%s not refused", codes[i]);
    /* ... and nothing reached the IOMMU */
    ck_assert_double_eq(num(b, "devices.iommu.faults"), 0);
    free(la), free(lb);
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

static Suite *parakernel_suite(void)
{
    Suite *s = suite_create("e2e_parakernel");
    TCase *tc = tcase_create("echo");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_echo_answers_every_request_once);
    tcase_add_test(tc, test_echo_is_deterministic);
    tcase_add_test(tc, test_pool_mediation_answers_all_and_costs_less);
    tcase_add_test(tc, test_waiting_echo_is_woken_by_interrupts);
    tcase_add_test(tc, test_bad_plan_is_refused_with_exit_2);
    tcase_add_test(tc, test_attacker_does_not_change_the_victims);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(parakernel_suite)
