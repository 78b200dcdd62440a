/* traces/tl_export: a hand-made timeline (tests/traces/tl_fixture.h)
 * exported as Chrome trace-event JSON must parse (cJSON) and hold every
 * span, counter sample and instant with the fixture's values -- ts and dur
 * compared as text with the exact µs computed here from the ps integers --
 * with metadata naming every core and device group; strings survive
 * escaping, ill-formed UTF-8 becomes U+FFFD; .json.gz gunzips (zlib) to
 * the same bytes, with a header free of time and name; the same timeline
 * gives the same bytes; CSV parses back (RFC 4180) to the same records; a
 * window cuts as hand-computed; bad paths fail with one message.  Each
 * kind of event uses only keys, with their JSON types, that the format's
 * own test data (catapult's simple_trace.json) uses for that kind. */
#include "tests/check_main.h"
#include "tests/tmpdir.h"
#include "tests/traces/tl_fixture.h"
#include "tests/traces/tt.h"
#include "traces/timeline.h"
#include "traces/tl_export.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <unistd.h>
#include <zlib.h>

/* ---------------------------------------------------------------- helpers */

/* tt.h's whole-file read, as text (tt_slurp NUL-terminates). */
static char *slurp(const char *path, size_t *len)
{
    size_t n;
    char *b = (char *)tt_slurp(path, &n);
    if (len)
        *len = n;
    return b;
}

#define path_in_tmp tt_path

static tl_timeline_t *fixture(void)
{
    char err[256];
    const char *p = path_in_tmp("fx.pstl", 0);
    fx_write(p);
    tl_timeline_t *t = tl_load(p, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    return t;
}

static char *export_chrome(const tl_timeline_t *t, const char *name, const tl_export_opts_t *o)
{
    char err[256];
    const char *p = path_in_tmp(name, 1);
    ck_assert_msg(tl_export_chrome(t, p, o, err, sizeof err) == 0, "%s", err);
    return slurp(p, NULL);
}

/* The text of "key": on line (a number or a quoted string), copied out. */
static const char *raw(const char *line, const char *key)
{
    static char out[4][64];
    static int slot;
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    ck_assert_msg(p != NULL, "no %s in %.200s", key, line);
    p += strlen(pat);
    size_t n = strcspn(p, ",}");
    ck_assert_uint_lt(n, 64);
    slot = (slot + 1) % 4;
    memcpy(out[slot], p, n);
    out[slot][n] = '\0';
    return out[slot];
}

/* The JSON parsed, and each traceEvents item's own line of text. */
typedef struct chrome {
    cJSON *root, *events;
    char *text;
    char **line;             /* [nevents] */
    int nevents;
} chrome_t;

static void chrome_parse(chrome_t *c, char *text)
{
    c->text = text;
    c->root = cJSON_Parse(text);
    ck_assert_msg(c->root != NULL, "not JSON near: %.80s", cJSON_GetErrorPtr());
    c->events = cJSON_GetObjectItemCaseSensitive(c->root, "traceEvents");
    ck_assert(cJSON_IsArray(c->events));
    c->nevents = cJSON_GetArraySize(c->events);
    c->line = calloc((size_t)c->nevents + 1, sizeof *c->line);
    char *s = strstr(text, "\n") + 1; /* events start on the second line */
    for (int i = 0; i < c->nevents; i++) {
        ck_assert_msg(*s == '{', "event %d does not start a line", i);
        c->line[i] = s;
        s = strchr(s, '\n') + 1;
    }
    ck_assert_msg(!strncmp(s, "],", 2), "more lines than events");
}

static void chrome_free(chrome_t *c)
{
    cJSON_Delete(c->root);
    free(c->line);
    free(c->text);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsString(v), "%s is not a string", key);
    return v->valuestring;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
    return v->valuedouble;
}

static const cJSON *args(const cJSON *e)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "args");
    ck_assert(cJSON_IsObject(a));
    return a;
}

static bool is_ph(const cJSON *e, const char *ph)
{
    return !strcmp(str(e, "ph"), ph);
}

/* The pid of the M process_name event naming name (-1: none). */
static double process_pid(const chrome_t *c, const char *name)
{
    for (int i = 0; i < c->nevents; i++) {
        const cJSON *e = cJSON_GetArrayItem(c->events, i);
        if (is_ph(e, "M") && !strcmp(str(e, "name"), "process_name") &&
            !strcmp(str(args(e), "name"), name))
            return num(e, "pid");
    }
    return -1;
}

/* The value of M event `what` for pid (and tid when >= 0), args[key]. */
static const cJSON *meta(const chrome_t *c, const char *what, double pid, double tid,
                         const char *key)
{
    for (int i = 0; i < c->nevents; i++) {
        const cJSON *e = cJSON_GetArrayItem(c->events, i);
        if (is_ph(e, "M") && !strcmp(str(e, "name"), what) && num(e, "pid") == pid &&
            (tid < 0 || num(e, "tid") == tid))
            return cJSON_GetObjectItemCaseSensitive(args(e), key);
    }
    return NULL;
}

static int count_ph(const chrome_t *c, const char *ph)
{
    int n = 0;
    for (int i = 0; i < c->nevents; i++)
        n += is_ph(cJSON_GetArrayItem(c->events, i), ph);
    return n;
}

/* ---------------------------------------------------------------- spans */

static const char *arg_key(unsigned what)
{
    return what == TL_WHAT_APP ? "request" : what == TL_WHAT_SYSCALL ? "sqes"
                                           : what == TL_WHAT_IRQ     ? "vector"
                                                                     : "arg";
}

static void check_span(const cJSON *e, const char *line, const tl_span_t *s)
{
    char want[32];
    ck_assert_double_eq(num(e, "tid"), s->track + 1);
    ck_assert_str_eq(raw(line, "dur"), fx_us(s->t1 - s->t0, want));
    ck_assert_str_eq(str(e, "name"), FX_MODE[s->mode]);
    ck_assert_str_eq(str(e, "cat"), FX_WHAT[s->what]);
    const cJSON *a = args(e);
    ck_assert_str_eq(str(a, "mode"), FX_MODE[s->mode]);
    ck_assert_str_eq(str(a, "what"), FX_WHAT[s->what]);
    if (s->pid == TL_NO_PID)
        ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(a, "pid"));
    else
        ck_assert_double_eq(num(a, "pid"), s->pid);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, arg_key(s->what));
    char digits[32];
    snprintf(digits, sizeof digits, "%" PRIu64, s->arg);
    if (s->arg > 9007199254740991ull) /* beyond 2^53 - 1: a string */
        ck_assert_str_eq(cJSON_GetStringValue(v), digits);
    else
        ck_assert_str_eq(raw(strstr(line, "\"args\""), arg_key(s->what)), digits);
}

/* Every X event is one fixture span (found by track and ts text), each
 * span once. */
static void check_spans(const chrome_t *c)
{
    bool seen[FX_NSPANS] = {false};
    int nx = 0;
    for (int i = 0; i < c->nevents; i++) {
        const cJSON *e = cJSON_GetArrayItem(c->events, i);
        if (!is_ph(e, "X"))
            continue;
        nx++;
        const char *ts = raw(c->line[i], "ts");
        size_t j = 0;
        char want[32];
        while (j < FX_NSPANS && (FX_SPANS[j].track + 1 != num(e, "pid") ||
                                 strcmp(fx_us(FX_SPANS[j].t0, want), ts)))
            j++;
        ck_assert_msg(j < FX_NSPANS, "X event %d (ts %s) is no fixture span", i, ts);
        ck_assert(!seen[j]);
        seen[j] = true;
        check_span(e, c->line[i], &FX_SPANS[j]);
    }
    ck_assert_int_eq(nx, (int)FX_NSPANS);
}

START_TEST(test_chrome_spans)
{
    tl_timeline_t *t = fixture();
    chrome_t c;
    chrome_parse(&c, export_chrome(t, "fx.json", NULL));
    check_spans(&c);
    ck_assert_str_eq(str(c.root, "displayTimeUnit"), "ns");
    /* the ts of the span at 2^64 - 1 ps, written out by hand */
    ck_assert_ptr_nonnull(strstr(c.text, "\"ts\":18446744073709.000000,\"dur\":0.551615,"));
    chrome_free(&c);
    tl_free(t);
}
END_TEST

/* ---------------------------------------------------------------- metadata */

START_TEST(test_chrome_metadata)
{
    tl_timeline_t *t = fixture();
    chrome_t c;
    chrome_parse(&c, export_chrome(t, "fx.json", NULL));
    /* cores: pid = track + 1; name, labels, thread name, rank */
    const char *core_name[] = {"core 0", "core 1", NULL, NULL, NULL, NULL, "core 2"};
    int rank = 0;
    for (size_t k = 0; k < FX_NTRACKS; k++) {
        if (FX_TRACKS[k].kind != TL_TRACK_CORE)
            continue;
        double pid = (double)k + 1;
        ck_assert_double_eq(process_pid(&c, core_name[k]), pid);
        ck_assert_str_eq(cJSON_GetStringValue(meta(&c, "process_labels", pid, pid, "labels")),
                         FX_TRACKS[k].label);
        ck_assert_str_eq(cJSON_GetStringValue(meta(&c, "thread_name", pid, pid, "name")),
                         FX_TRACKS[k].label);
        ck_assert_double_eq(
            meta(&c, "process_sort_index", pid, pid, "sort_index")->valuedouble, rank++);
    }
    /* device groups: a process each, after the cores, pid no core's */
    for (size_t g = 0; g < FX_NGROUPS; g++) {
        double pid = process_pid(&c, FX_GROUPS[g]);
        ck_assert_msg(pid > FX_NTRACKS, "group %s has pid %g", FX_GROUPS[g], pid);
        ck_assert_double_eq(meta(&c, "process_sort_index", pid, -1, "sort_index")->valuedouble,
                            3 + g);
    }
    /* instant tracks: a named thread in their group */
    ck_assert_str_eq(cJSON_GetStringValue(meta(&c, "thread_name", process_pid(&c, "nic"), 4,
                                               "name")),
                     "nic rxq 0");
    ck_assert_str_eq(cJSON_GetStringValue(meta(&c, "thread_name",
                                               process_pid(&c, "iommu\tfaults"), 6, "name")),
                     FX_FAULT_TRACK_JSON);
    /* otherData: the window and the timeline's meta */
    const cJSON *od = cJSON_GetObjectItemCaseSensitive(c.root, "otherData");
    ck_assert_str_eq(str(od, "config"), "echo \"x\".json");
    ck_assert_str_eq(str(od, "seed"), "42");
    ck_assert_str_eq(str(od, "t_from_ps"), "0");
    ck_assert_str_eq(str(od, "t_to_ps"), "18446744073709551615");
    chrome_free(&c);
    tl_free(t);
}
END_TEST

/* ---------------------------------------------------------------- C and i */

START_TEST(test_chrome_counters)
{
    tl_timeline_t *t = fixture();
    chrome_t c;
    chrome_parse(&c, export_chrome(t, "fx.json", NULL));
    bool seen[FX_NCOUNTERS] = {false};
    for (int i = 0; i < c.nevents; i++) {
        const cJSON *e = cJSON_GetArrayItem(c.events, i);
        if (!is_ph(e, "C"))
            continue;
        const char *ts = raw(c.line[i], "ts"), *value = raw(c.line[i], "value");
        size_t j = 0;
        char want_ts[32], want_v[32];
        for (; j < FX_NCOUNTERS; j++) {
            snprintf(want_v, sizeof want_v, "%" PRId64, FX_COUNTERS[j].value);
            if (!strcmp(str(e, "name"), FX_TRACKS[FX_COUNTERS[j].track].name) &&
                !strcmp(fx_us(FX_COUNTERS[j].t, want_ts), ts) && !strcmp(want_v, value))
                break;
        }
        ck_assert_msg(j < FX_NCOUNTERS, "C event %d is no fixture sample", i);
        ck_assert(!seen[j]);
        seen[j] = true;
        const char *group = FX_COUNTERS[j].track == 2 ? "nic" : "nvme";
        ck_assert_double_eq(num(e, "pid"), process_pid(&c, group));
    }
    ck_assert_int_eq(count_ph(&c, "C"), (int)FX_NCOUNTERS);
    chrome_free(&c);
    tl_free(t);
}
END_TEST

static void check_instant_args(const cJSON *a, const tl_instant_t *in)
{
    switch (in->kind) {
    case TL_INST_DROP:
        ck_assert_double_eq(num(a, "queue"), 5);
        ck_assert_double_eq(num(a, "cause"), 3);
        break;
    case TL_INST_IOMMU_FAULT:
        ck_assert_double_eq(num(a, "requester"), 256);
        break;
    default:
        ck_assert_double_eq(num(a, "queue"), (double)in->arg);
    }
}

START_TEST(test_chrome_instants)
{
    tl_timeline_t *t = fixture();
    chrome_t c;
    chrome_parse(&c, export_chrome(t, "fx.json", NULL));
    int n = 0;
    for (int i = 0; i < c.nevents; i++) {
        const cJSON *e = cJSON_GetArrayItem(c.events, i);
        if (!is_ph(e, "i"))
            continue;
        const char *ts = raw(c.line[i], "ts");
        size_t j = 0;
        char want[32];
        while (j < FX_NINSTANTS && strcmp(fx_us(FX_INSTANTS[j].t, want), ts))
            j++;
        ck_assert_msg(j < FX_NINSTANTS, "i event at %s is no fixture instant", ts);
        const tl_instant_t *in = &FX_INSTANTS[j];
        ck_assert_str_eq(str(e, "name"), FX_KIND[in->kind]);
        bool fault = in->kind == TL_INST_IOMMU_FAULT;
        ck_assert_str_eq(str(e, "s"), fault ? "g" : "t");
        ck_assert_double_eq(num(e, "tid"), in->track + 1);
        ck_assert_double_eq(num(e, "pid"), process_pid(&c, fault ? "iommu\tfaults" : "nic"));
        ck_assert_str_eq(str(args(e), "track"), fault ? FX_FAULT_TRACK_JSON : "nic rxq 0");
        check_instant_args(args(e), in);
        n++;
    }
    ck_assert_int_eq(n, (int)FX_NINSTANTS);
    chrome_free(&c);
    tl_free(t);
}
END_TEST

/* ---------------------------------------------------------------- text */

/* RFC 8259: no raw control character inside a string; the only control
 * bytes are the line ends between events (events + 3 lines of frame). */
START_TEST(test_chrome_escapes)
{
    tl_timeline_t *t = fixture();
    char *text = export_chrome(t, "fx.json", NULL);
    chrome_t c;
    chrome_parse(&c, text);
    int newlines = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        ck_assert_msg(*p >= 0x20 || *p == '\n', "raw control byte 0x%02x", *p);
        ck_assert_msg(*p != 0xff, "the byte that is not UTF-8 went through");
        newlines += *p == '\n';
    }
    ck_assert_int_eq(newlines, c.nevents + 4);
    ck_assert_ptr_null(strstr(text, "bad\xc3\""));
    ck_assert_ptr_nonnull(strstr(text, "\"labels\":\"a\\\\b\\u000ac,d \xc3\xa9\xe2\x82\xac\""));
    ck_assert_ptr_nonnull(strstr(text, "\"name\":\"nvme sq \\\"1\\\", depth\""));
    ck_assert_str_eq(cJSON_GetStringValue(meta(&c, "process_labels", 1, 1, "labels")),
                     "kvs\"3\"");
    chrome_free(&c);
    tl_free(t);
}
END_TEST

START_TEST(test_chrome_gzip_and_determinism)
{
    tl_timeline_t *t = fixture();
    char err[256];
    size_t n1, n2, g1, g2;
    ck_assert_int_eq(tl_export_chrome(t, path_in_tmp("a.json", 0), NULL, err, sizeof err), 0);
    ck_assert_int_eq(tl_export_chrome(t, path_in_tmp("b.json", 1), NULL, err, sizeof err), 0);
    ck_assert_int_eq(tl_export_chrome(t, path_in_tmp("a.json.gz", 2), NULL, err, sizeof err), 0);
    ck_assert_int_eq(tl_export_chrome(t, path_in_tmp("b.json.gz", 3), NULL, err, sizeof err), 0);
    char *a = slurp(path_in_tmp("a.json", 0), &n1), *b = slurp(path_in_tmp("b.json", 1), &n2);
    char *ga = slurp(path_in_tmp("a.json.gz", 2), &g1), *gb = slurp(path_in_tmp("b.json.gz", 3), &g2);
    ck_assert(n1 == n2 && !memcmp(a, b, n1));
    ck_assert(g1 == g2 && !memcmp(ga, gb, g1));
    /* RFC 1952 header: magic, deflate, no FNAME/FCOMMENT flags, MTIME 0 */
    const unsigned char *h = (const unsigned char *)ga;
    ck_assert(h[0] == 0x1f && h[1] == 0x8b && h[2] == 8 && h[3] == 0);
    ck_assert(h[4] == 0 && h[5] == 0 && h[6] == 0 && h[7] == 0);
    /* gunzip with zlib: the plain export's bytes */
    gzFile gz = gzopen(path_in_tmp("a.json.gz", 2), "rb");
    char *u = malloc(n1 + 16);
    int got = gzread(gz, u, (unsigned)n1 + 16);
    gzclose(gz);
    ck_assert_int_eq(got, (int)n1);
    ck_assert(!memcmp(u, a, n1));
    ck_assert_int_eq(access(path_in_tmp("a.json.gz.tmp", 0), F_OK), -1);
    free(a), free(b), free(ga), free(gb), free(u);
    tl_free(t);
}
END_TEST

/* ---------------------------------------------------------------- CSV */

static void export_csv(const tl_timeline_t *t, tl_export_what_t what, uint64_t from, uint64_t to,
                       fx_csv_t *c)
{
    char err[256];
    tl_export_opts_t o = {from, to, what};
    const char *p = path_in_tmp("fx.csv", 1);
    ck_assert_msg(tl_export_csv(t, p, &o, err, sizeof err) == 0, "%s", err);
    char *text = slurp(p, NULL);
    fx_csv_parse(text, c);
    free(text);
}

static void check_csv_track(char **f, uint32_t track)
{
    ck_assert_uint_eq(fx_u64(f[0]), track);
    ck_assert_str_eq(f[1], FX_TRACKS[track].name);
    ck_assert_str_eq(f[2], FX_TRACKS[track].label);
}

START_TEST(test_csv_spans)
{
    tl_timeline_t *t = fixture();
    fx_csv_t c;
    export_csv(t, TL_EXPORT_SPANS, 0, UINT64_MAX, &c);
    ck_assert_uint_eq(c.nrows, 1 + FX_NSPANS);
    const char *head[] = {"track", "name", "label", "t0_ps", "t1_ps",
                          "dur_ps", "mode", "what", "pid", "arg"};
    ck_assert_uint_eq(c.nf[0], 10);
    for (int i = 0; i < 10; i++)
        ck_assert_str_eq(c.f[0][i], head[i]);
    for (size_t r = 1; r < c.nrows; r++) {
        const tl_span_t *s = &FX_SPANS[r - 1];
        char **f = c.f[r];
        ck_assert_uint_eq(c.nf[r], 10);
        check_csv_track(f, s->track);
        ck_assert_uint_eq(fx_u64(f[3]), s->t0);
        ck_assert_uint_eq(fx_u64(f[4]), s->t1);
        ck_assert_uint_eq(fx_u64(f[5]), s->t1 - s->t0);
        ck_assert_str_eq(f[6], FX_MODE[s->mode]);
        ck_assert_str_eq(f[7], FX_WHAT[s->what]);
        if (s->pid == TL_NO_PID)
            ck_assert_str_eq(f[8], "");
        else
            ck_assert_uint_eq(fx_u64(f[8]), s->pid);
        ck_assert_uint_eq(fx_u64(f[9]), s->arg);
    }
    fx_csv_free(&c);
    tl_free(t);
}
END_TEST

START_TEST(test_csv_counters_instants)
{
    tl_timeline_t *t = fixture();
    fx_csv_t c;
    export_csv(t, TL_EXPORT_COUNTERS, 0, UINT64_MAX, &c);
    ck_assert_uint_eq(c.nrows, 1 + FX_NCOUNTERS);
    ck_assert_str_eq(c.f[0][3], "t_ps");
    ck_assert_str_eq(c.f[0][4], "value");
    for (size_t r = 1; r < c.nrows; r++) {
        ck_assert_uint_eq(c.nf[r], 5);
        check_csv_track(c.f[r], FX_COUNTERS[r - 1].track);
        ck_assert_uint_eq(fx_u64(c.f[r][3]), FX_COUNTERS[r - 1].t);
        ck_assert_int_eq(strtoll(c.f[r][4], NULL, 10), FX_COUNTERS[r - 1].value);
    }
    fx_csv_free(&c);
    export_csv(t, TL_EXPORT_INSTANTS, 0, UINT64_MAX, &c);
    ck_assert_uint_eq(c.nrows, 1 + FX_NINSTANTS);
    ck_assert_str_eq(c.f[0][4], "kind");
    for (size_t r = 1; r < c.nrows; r++) {
        ck_assert_uint_eq(c.nf[r], 6);
        check_csv_track(c.f[r], FX_INSTANTS[r - 1].track);
        ck_assert_uint_eq(fx_u64(c.f[r][3]), FX_INSTANTS[r - 1].t);
        ck_assert_str_eq(c.f[r][4], FX_KIND[FX_INSTANTS[r - 1].kind]);
        ck_assert_uint_eq(fx_u64(c.f[r][5]), FX_INSTANTS[r - 1].arg);
    }
    fx_csv_free(&c);
    tl_free(t);
}
END_TEST

/* ---------------------------------------------------------------- window */

/* [1.5 µs, 3 µs): worked out from the fixture by hand. */
START_TEST(test_window)
{
    tl_timeline_t *t = fixture();
    fx_csv_t c;
    export_csv(t, TL_EXPORT_SPANS, 1500000, 3000000, &c);
    static const uint64_t spans[][3] = {
        {0, 1500000, 2500000}, {0, 2500000, 3000000}, {1, 2000000, 3000000}};
    ck_assert_uint_eq(c.nrows, 4);
    for (size_t r = 1; r < 4; r++) {
        ck_assert_uint_eq(fx_u64(c.f[r][0]), spans[r - 1][0]);
        ck_assert_uint_eq(fx_u64(c.f[r][3]), spans[r - 1][1]);
        ck_assert_uint_eq(fx_u64(c.f[r][4]), spans[r - 1][2]);
    }
    fx_csv_free(&c);
    /* counters: the value in force at 1.5 µs, then the later sample */
    export_csv(t, TL_EXPORT_COUNTERS, 1500000, 3000000, &c);
    static const int64_t counters[][3] = {
        {2, 1500000, 5}, {2, 2000001, -3}, {4, 1500000, INT64_MIN}};
    ck_assert_uint_eq(c.nrows, 4);
    for (size_t r = 1; r < 4; r++) {
        ck_assert_int_eq((int64_t)fx_u64(c.f[r][0]), counters[r - 1][0]);
        ck_assert_int_eq((int64_t)fx_u64(c.f[r][3]), counters[r - 1][1]);
        ck_assert_int_eq(strtoll(c.f[r][4], NULL, 10), counters[r - 1][2]);
    }
    fx_csv_free(&c);
    export_csv(t, TL_EXPORT_INSTANTS, 1500000, 3000000, &c);
    ck_assert_uint_eq(c.nrows, 2);
    ck_assert_str_eq(c.f[1][4], "iommu_fault");
    fx_csv_free(&c);
    /* the same window in JSON */
    tl_export_opts_t o = {1500000, 3000000, TL_EXPORT_SPANS};
    chrome_t j;
    chrome_parse(&j, export_chrome(t, "w.json", &o));
    ck_assert_int_eq(count_ph(&j, "X"), 3);
    ck_assert_int_eq(count_ph(&j, "C"), 3);
    ck_assert_int_eq(count_ph(&j, "i"), 1);
    ck_assert_ptr_nonnull(strstr(j.text, "\"ts\":1.500000,\"dur\":1.000000,\"name\":\"irq\""));
    chrome_free(&j);
    tl_free(t);
}
END_TEST

/* ---------------------------------------------------------------- format */

/* Every key of ours is one that some event of catapult's test data with
 * the same ph (and name, for M) has, with the same JSON type. */
static void same_keys(const cJSON *ours, const cJSON *theirs, const char *ph)
{
    bool name = !strcmp(ph, "M");
    const cJSON *k;
    cJSON_ArrayForEach(k, ours)
    {
        bool found = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, theirs)
        {
            if (strcmp(str(e, "ph"), ph) || (name && strcmp(str(e, "name"), str(ours, "name"))))
                continue;
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, k->string);
            found |= t && (t->type & 0xff) == (k->type & 0xff);
        }
        ck_assert_msg(found, "key %s (ph %s) not in the format's test data", k->string, ph);
    }
}

START_TEST(test_keys_as_catapult)
{
    size_t n;
    char *ref = (char *)tt_slurp(tt_shared("catapult_simple_trace.json"), &n);
    cJSON *cat = cJSON_Parse(ref);
    ck_assert_ptr_nonnull(cat);
    const cJSON *theirs = cJSON_GetObjectItemCaseSensitive(cat, "traceEvents");
    tl_timeline_t *t = fixture();
    chrome_t c;
    chrome_parse(&c, export_chrome(t, "fx.json", NULL));
    for (int i = 0; i < c.nevents; i++) {
        const cJSON *e = cJSON_GetArrayItem(c.events, i);
        const char *ph = str(e, "ph");
        if (!strcmp(ph, "M") && strcmp(str(e, "name"), "thread_name"))
            continue; /* process_* events: not in that file */
        if (!strcmp(ph, "i")) { /* the file spells instants "I", the older way */
            ck_assert(!strcmp(str(e, "s"), "g") || !strcmp(str(e, "s"), "p") ||
                      !strcmp(str(e, "s"), "t"));
            ph = "I";
        }
        cJSON *copy = cJSON_Duplicate(e, true);
        cJSON_ReplaceItemInObjectCaseSensitive(copy, "ph", cJSON_CreateString(ph));
        same_keys(copy, theirs, ph);
        cJSON_Delete(copy);
    }
    chrome_free(&c);
    cJSON_Delete(cat);
    free(ref);
    tl_free(t);
}
END_TEST

/* ---------------------------------------------------------------- numbers */

START_TEST(test_us_text)
{
    static const struct {
        const char *s;
        uint64_t ps;
    } ok[] = {{"0", 0},
              {"12", 12000000},
              {"1.5", 1500000},
              {"0.000001", 1},
              {"3.000999", 3000999},
              {"18446744073709.551615", UINT64_MAX}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t ps = 7;
        ck_assert_msg(tl_export_parse_us(ok[i].s, &ps) == 0, "%s", ok[i].s);
        ck_assert_uint_eq(ps, ok[i].ps);
    }
    static const char *bad[] = {"", ".5", "1.", "1.1234567", "-1", "+1", "1e3", " 1", "1 ",
                                "0x10", "18446744073709.551616", "18446744073710",
                                "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ps;
        ck_assert_msg(tl_export_parse_us(bad[i], &ps) == -1, "'%s' accepted", bad[i]);
    }
    static const uint64_t ps[] = {0, 1, 999999, 1000000, 1000001, 123456789012, UINT64_MAX};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        char got[32], want[32];
        ck_assert_uint_eq(tl_export_format_us(ps[i], got), strlen(fx_us(ps[i], want)));
        ck_assert_str_eq(got, want);
    }
}
END_TEST

/* ---------------------------------------------------------------- edges */

START_TEST(test_empty_timeline)
{
    char err[256];
    const char *p = path_in_tmp("empty.pstl", 0);
    tl_writer_t *w = tl_writer_open(p, 0, UINT64_MAX, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(tl_writer_close(w, err, sizeof err), 0);
    tl_timeline_t *t = tl_load(p, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    chrome_t c;
    chrome_parse(&c, export_chrome(t, "empty.json", NULL));
    ck_assert_int_eq(c.nevents, 0);
    chrome_free(&c);
    fx_csv_t csv;
    export_csv(t, TL_EXPORT_SPANS, 0, UINT64_MAX, &csv);
    ck_assert_uint_eq(csv.nrows, 1);
    fx_csv_free(&csv);
    tl_free(t);
}
END_TEST

START_TEST(test_write_errors)
{
    tl_timeline_t *t = fixture();
    char err[256] = "";
    ck_assert_int_eq(tl_export_chrome(t, "/nonexistent-dir/x.json", NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "/nonexistent-dir/x.json: cannot create") == err, "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    FILE *full = fopen("/dev/full", "w");
    if (full) { /* a stream whose writes fail: reported, never silent */
        ck_assert_int_eq(tl_export_csv_stream(t, full, "/dev/full", NULL, err, sizeof err), -1);
        ck_assert_msg(strstr(err, "/dev/full: write failed") == err, "%s", err);
        fclose(full);
    }
    tl_free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tl_export");
    TCase *tc = tcase_create("export");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, test_chrome_spans);
    tcase_add_test(tc, test_chrome_metadata);
    tcase_add_test(tc, test_chrome_counters);
    tcase_add_test(tc, test_chrome_instants);
    tcase_add_test(tc, test_chrome_escapes);
    tcase_add_test(tc, test_chrome_gzip_and_determinism);
    tcase_add_test(tc, test_csv_spans);
    tcase_add_test(tc, test_csv_counters_instants);
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_keys_as_catapult);
    tcase_add_test(tc, test_us_text);
    tcase_add_test(tc, test_empty_timeline);
    tcase_add_test(tc, test_write_errors);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
