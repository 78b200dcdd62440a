/* Config loading: defaults are filled and echoed, --set and --seed
 * override, values reach the typed struct in the right units, and errors
 * name the path.  (The command-line view of bad input is in
 * tests/e2e/check_cli.c.) */
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#include "sim/config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static cJSON *at(cJSON *root, const char *a, const char *b)
{
    cJSON *o = cJSON_GetObjectItem(root, a);
    return b ? cJSON_GetObjectItem(o, b) : o;
}

START_TEST(test_defaults_are_filled_and_echoed)
{
    sim_config_t c;
    char err[CONFIG_ERR_MAX];
    const char *p = tmp_file("c.json", "{\"load\": {\"rate_rps\": 1000}}");
    ck_assert_msg(config_load(&c, p, NULL, 0, 0, 0, err) == 0, "%s", err);
    ck_assert_uint_eq(c.seed, 1);
    ck_assert_uint_eq(c.requests, 1000000);
    ck_assert_uint_eq(c.warmup_requests, 100000);
    ck_assert_uint_eq(c.cores, 1);
    ck_assert_str_eq(c.kernel_kind, "ideal");
    ck_assert_int_eq(c.dispatch, DISPATCH_PARTITIONED);
    ck_assert_int_eq(c.load_kind, LOAD_POISSON);
    ck_assert_int_eq(c.service.kind, DIST_EXPONENTIAL);
    ck_assert_double_eq_tol(dist_mean(&c.service), 1000, 1e-9);
    ck_assert_str_eq(c.costs.profile, "default");
    /* the echo holds every default */
    ck_assert_double_eq(at(c.json, "machine", "cores")->valuedouble, 1);
    ck_assert_str_eq(at(c.json, "kernel", "dispatch")->valuestring, "partitioned");
    ck_assert_double_eq(at(c.json, "warmup_requests", NULL)->valuedouble, 100000);
    ck_assert_double_eq(at(c.json, "requests", NULL)->valuedouble, 1000000);
    config_free(&c);
}
END_TEST

START_TEST(test_set_and_seed_override)
{
    sim_config_t c;
    char err[CONFIG_ERR_MAX];
    const char *p = tmp_file("c.json", "{\"seed\": 5, \"machine\": {\"cores\": 2},"
                                    " \"load\": {\"rate_rps\": 1000}}");
    config_override_t sets[] = {
        {"machine.cores=8"},
        {"kernel.dispatch=centralized"}, /* not JSON: taken as a string */
        {"workload.service={\"dist\":\"uniform\",\"min_ns\":10,\"max_ns\":30}"},
        {"costs.override.mem.dram=60"},
    };
    ck_assert_msg(config_load(&c, p, sets, 4, 1, 99, err) == 0, "%s", err);
    ck_assert_uint_eq(c.seed, 99);
    ck_assert_uint_eq(c.cores, 8);
    ck_assert_int_eq(c.dispatch, DISPATCH_CENTRALIZED);
    ck_assert_int_eq(c.service.kind, DIST_UNIFORM);
    ck_assert_double_eq_tol(dist_mean(&c.service), 20, 1e-9);
    /* cost overrides are ns in the config, ps in the table */
    int id = cost_lookup("mem.dram");
    ck_assert_int_ge(id, 0);
    ck_assert_uint_eq(c.costs.ps[id], 60000);
    ck_assert_int_eq(c.costs.overridden[id], 1);
    config_free(&c);
}
END_TEST

START_TEST(test_units_and_distributions)
{
    sim_config_t c;
    char err[CONFIG_ERR_MAX];
    const char *p = tmp_file("c.json",
        "{\"duration_us\": 2.5, \"load\": {\"kind\": \"constant\", \"rate_rps\": 2e6},"
        " \"workload\": {\"service\": {\"dist\": \"bimodal\", \"p\": 0.25,"
        "   \"a_ns\": 100, \"b_ns\": 500}}}");
    ck_assert_msg(config_load(&c, p, NULL, 0, 0, 0, err) == 0, "%s", err);
    ck_assert_uint_eq(c.requests, 0);
    ck_assert_uint_eq(c.duration_ps, 2500000);
    ck_assert_uint_eq(c.warmup_requests, 0);
    ck_assert_int_eq(c.load_kind, LOAD_CONSTANT);
    ck_assert_double_eq(c.rate_rps, 2e6);
    ck_assert_double_eq_tol(dist_mean(&c.service), 0.25 * 100 + 0.75 * 500, 1e-9);
    config_free(&c);
}
END_TEST

START_TEST(test_empirical_file_is_relative_to_the_config)
{
    sim_config_t c;
    char err[CONFIG_ERR_MAX];
    tmp_file("svc.csv", "ns\n100\n300\n");
    const char *p = tmp_file("c.json", "{\"load\": {\"rate_rps\": 1000}, \"workload\": {\"service\":"
                                    " {\"dist\": \"empirical\", \"file\": \"svc.csv\"}}}");
    ck_assert_msg(config_load(&c, p, NULL, 0, 0, 0, err) == 0, "%s", err);
    ck_assert_int_eq(c.service.kind, DIST_EMPIRICAL);
    ck_assert_double_eq_tol(dist_mean(&c.service), 200, 1e-9);
    config_free(&c);
    p = tmp_file("d.json", "{\"load\": {\"rate_rps\": 1000}, \"workload\": {\"service\":"
                        " {\"dist\": \"empirical\", \"file\": \"missing.csv\"}}}");
    ck_assert_int_eq(config_load(&c, p, NULL, 0, 0, 0, err), -1);
    ck_assert_msg(strstr(err, "workload.service") && strstr(err, "missing.csv"), "%s", err);
}
END_TEST

START_TEST(test_semantic_errors_name_the_path)
{
    sim_config_t c;
    char err[CONFIG_ERR_MAX];
    const char *p = tmp_file("c.json", "{\"requests\": 100, \"warmup_requests\": 100,"
                                    " \"load\": {\"rate_rps\": 1000}}");
    ck_assert_int_eq(config_load(&c, p, NULL, 0, 0, 0, err), -1);
    ck_assert_msg(strstr(err, "c.json: warmup_requests: must be below requests"), "%s", err);
    p = tmp_file("d.json", "{\"load\": {\"rate_rps\": 1000}, \"workload\": {\"service\":"
                        " {\"dist\": \"uniform\", \"min_ns\": 30, \"max_ns\": 10}}}");
    ck_assert_int_eq(config_load(&c, p, NULL, 0, 0, 0, err), -1);
    ck_assert_msg(strstr(err, "workload.service: max_ns (10) is below min_ns (30)"), "%s", err);
    p = tmp_file("e.json", "{\"load\": {\"rate_rps\": 0}}");
    ck_assert_int_eq(config_load(&c, p, NULL, 0, 0, 0, err), -1);
    ck_assert_msg(strstr(err, "load.rate_rps: expected a number in (0,"), "%s", err);
    config_override_t sets[] = {{"machine.cores.x=1"}};
    p = tmp_file("f.json", "{\"load\": {\"rate_rps\": 1}, \"machine\": {\"cores\": 2}}");
    ck_assert_int_eq(config_load(&c, p, sets, 1, 0, 0, err), -1);
    ck_assert_msg(strstr(err, "'cores' is not an object"), "%s", err);
}
END_TEST

#define PK_BASE "\"kernel\": {\"kind\": \"parakernel\"}, \"load\": {\"rate_rps\": 1000}"

START_TEST(test_process_groups_get_element_defaults)
{
    sim_config_t c;
    char err[CONFIG_ERR_MAX];
    const char *p = tmp_file("c.json", "{" PK_BASE ", \"machine\": {\"cores\": 3},"
                                    " \"processes\": [{\"app\": \"echo\", \"count\": 2},"
                                    " {\"app\": \"attacker\", \"rx_traffic\": false,"
                                    " \"params\": {\"foreign_addr\": \"0x400000\"}}]}");
    ck_assert_msg(config_load(&c, p, NULL, 0, 0, 0, err) == 0, "%s", err);
    cJSON *g1 = cJSON_GetArrayItem(at(c.json, "processes", NULL), 1);
    /* the schema's defaults: one NIC queue pair, no NVMe, 64 MiB, 64 timers */
    ck_assert_double_eq(cJSON_GetObjectItem(g1, "count")->valuedouble, 1);
    ck_assert_double_eq(cJSON_GetObjectItem(g1, "nic_queues")->valuedouble, 1);
    ck_assert_double_eq(cJSON_GetObjectItem(g1, "nvme_queues")->valuedouble, 0);
    ck_assert_double_eq(cJSON_GetObjectItem(g1, "memory_mib")->valuedouble, 64);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(g1, "rx_traffic")));
    ck_assert_str_eq(at(c.json, "kernel", "mediation")->valuestring, "range");
    config_free(&c);
}
END_TEST

/* Each bad parakernel config fails with the path and the reason. */
START_TEST(test_parakernel_errors_name_the_path)
{
    static const struct {
        const char *json, *expect;
    } cases[] = {
        {"{" PK_BASE "}", "processes: required with kernel.kind"},
        {"{\"load\": {\"rate_rps\": 1}, \"processes\": [{\"app\": \"echo\"}]}",
         "processes: only with kernel.kind"},
        {"{" PK_BASE ", \"processes\": []}", "processes: expected 1 to 256 entries, found 0"},
        {"{" PK_BASE ", \"processes\": [{\"count\": 1}]}", "processes[0].app: required"},
        {"{" PK_BASE ", \"processes\": [{\"app\": \"echo\", \"cnt\": 1}]}",
         "processes[0].cnt: unknown key; did you mean \"processes[].count\"?"},
        {"{" PK_BASE ", \"processes\": [{\"app\": \"echo\", \"params\": {\"x\": [1]}}]}",
         "processes[0].params.x: expected a string or a number, found an array"},
        {"{" PK_BASE ", \"processes\": [{\"app\": \"echo\", \"count\": 2}]}",
         "machine.cores: 2 processes need 2 cores"},
        {"{" PK_BASE ", \"machine\": {\"nic\": {\"link_gbps\": 50}},"
         " \"processes\": [{\"app\": \"echo\"}]}",
         "machine.nic.link_gbps: expected 10, 25, 40, 100 or 400, found 50"},
        {"{" PK_BASE ", \"processes\": [{\"app\": \"echo\", \"memory_mib\": 3}]}",
         "processes[0].memory_mib: expected an even number of MiB"},
        {"{" PK_BASE ", \"machine\": {\"memory_mib\": 100},"
         " \"processes\": [{\"app\": \"echo\", \"memory_mib\": 64}]}",
         "machine.memory_mib: the kernel and the processes' partitions need 128 MiB, the "
         "machine has 100"},
        {"{" PK_BASE ", \"machine\": {\"cores\": 2, \"nic\": {\"queues\": 2}},"
         " \"processes\": [{\"app\": \"echo\", \"count\": 2, \"nic_queues\": 2}]}",
         "machine.nic.queues: the processes ask for 4 NIC queue pairs, the NIC has 2"},
        {"{\"kernel\": {\"kind\": \"parakernel\", \"sq_entries\": 100},"
         " \"load\": {\"rate_rps\": 1}, \"processes\": [{\"app\": \"echo\"}]}",
         "kernel.sq_entries: expected a power of two, found 100"},
        {"{" PK_BASE ", \"machine\": {\"nvme\": {\"present\": false}},"
         " \"processes\": [{\"app\": \"echo\", \"nvme_queues\": 1}]}",
         "machine.nvme.present: the processes ask for 1 NVMe queue pairs"},
        {"{" PK_BASE ", \"machine\": {\"nvme\": {\"present\": 1}},"
         " \"processes\": [{\"app\": \"echo\"}]}",
         "machine.nvme.present: expected true or false, found the number 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_config_t c;
        char err[CONFIG_ERR_MAX];
        const char *p = tmp_file("pk.json", cases[i].json);
        ck_assert_msg(config_load(&c, p, NULL, 0, 0, 0, err) == -1, "case %zu loaded", i);
        ck_assert_msg(strstr(err, cases[i].expect), "case %zu: %s", i, err);
    }
}
END_TEST

START_TEST(test_set_reaches_array_entries)
{
    sim_config_t c;
    char err[CONFIG_ERR_MAX];
    const char *p = tmp_file("c.json", "{" PK_BASE ", \"machine\": {\"cores\": 3},"
                                    " \"processes\": [{\"app\": \"echo\"},"
                                    " {\"app\": \"kvs\", \"params\": {\"steer\": 1}}]}");
    config_override_t sets[] = {{"processes[1].params.steer=0"}, {"processes[0].count=2"}};
    ck_assert_msg(config_load(&c, p, sets, 2, 0, 0, err) == 0, "%s", err);
    cJSON *g1 = cJSON_GetArrayItem(at(c.json, "processes", NULL), 1);
    ck_assert_double_eq(at(g1, "params", "steer")->valuedouble, 0);
    cJSON *g0 = cJSON_GetArrayItem(at(c.json, "processes", NULL), 0);
    ck_assert_double_eq(at(g0, "count", NULL)->valuedouble, 2);
    config_free(&c);
    static const struct { const char *set, *msg; } bad[] = {
        {"processes[2].count=1", "processes has no entry [2] (2 entries)"},
        {"processes[-1].count=1", "expected name[index]"},
        {"processes[1x].count=1", "expected name[index]"},
        {"machine[0].cores=1", "machine has no entry [0]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_override_t one = {bad[i].set};
        ck_assert_int_eq(config_load(&c, p, &one, 1, 0, 0, err), -1);
        ck_assert_msg(strstr(err, bad[i].msg), "%s: %s", bad[i].set, err);
    }
}
END_TEST

START_TEST(test_load_kinds_need_their_keys)
{
    sim_config_t c;
    char err[CONFIG_ERR_MAX];
#define PK_PROCS "\"kernel\": {\"kind\": \"parakernel\"}, \"processes\": [{\"app\": \"echo\"}]"
    static const struct { const char *load, *msg; } bad[] = {
        {"{\"kind\": \"poisson\"}", "load.rate_rps: required"},
        {"{\"kind\": \"ramp\"}", "load.ramp: required with load.kind \"ramp\""},
        {"{\"kind\": \"pcap\"}", "load.pcap.file: required with load.kind \"pcap\""},
        {"{\"kind\": \"trace\", \"trace\": \"t.csv\"}", "load.protocol: load.kind \"trace\" replays KVS"},
        {"{\"kind\": \"closed\", \"trace\": \"t.csv\"}", "load.trace: only with load.kind \"trace\""},
        {"{\"kind\": \"ramp\", \"ramp\": [{\"at_us\": 5, \"rate_rps\": 1}]}",
         "load.ramp[0].at_us: the first step starts at 0"},
        {"{\"kind\": \"ramp\", \"ramp\": [{\"at_us\": 0, \"rate_rps\": 1},"
         " {\"at_us\": 0, \"rate_rps\": 2}]}", "load.ramp[1].at_us: steps must be in time order"},
        {"{\"kind\": \"ramp\", \"ramp\": [{\"at_us\": 0}]}", "load.ramp[0].rate_rps: required"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "{" PK_PROCS ", \"load\": %s}", bad[i].load);
        ck_assert_int_eq(config_load(&c, tmp_file("c.json", text), NULL, 0, 0, 0, err), -1);
        ck_assert_msg(strstr(err, bad[i].msg), "case %zu: %s", i, err);
    }
    /* the ideal kernel takes open-loop arrivals only */
    const char *p = tmp_file("d.json", "{\"load\": {\"kind\": \"closed\"}}");
    ck_assert_int_eq(config_load(&c, p, NULL, 0, 0, 0, err), -1);
    ck_assert_msg(strstr(err, "load.kind: \"closed\" needs kernel.kind \"parakernel\""), "%s", err);
    /* a closed loop needs no rate */
    p = tmp_file("e.json", "{" PK_PROCS ", \"load\": {\"kind\": \"closed\"}}");
    ck_assert_msg(config_load(&c, p, NULL, 0, 0, 0, err) == 0, "%s", err);
    ck_assert_double_eq(c.rate_rps, 0);
    config_free(&c);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_defaults_are_filled_and_echoed);
    tcase_add_test(tc, test_set_and_seed_override);
    tcase_add_test(tc, test_units_and_distributions);
    tcase_add_test(tc, test_empirical_file_is_relative_to_the_config);
    tcase_add_test(tc, test_semantic_errors_name_the_path);
    tcase_add_test(tc, test_process_groups_get_element_defaults);
    tcase_add_test(tc, test_parakernel_errors_name_the_path);
    tcase_add_test(tc, test_set_reaches_array_entries);
    tcase_add_test(tc, test_load_kinds_need_their_keys);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(config_suite)
