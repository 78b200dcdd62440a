/* tests/traces/check_timeline: traces/timeline, the per-core timeline's
 * file format, writer and reader.
 *
 * Expectations are independent of the code under test: values built here
 * by hand (extremes included), the header's bytes computed from the
 * format's specification in traces/timeline.h, the zlib stream inflated
 * with zlib's own uncompress() and its records decoded by a varint decoder
 * written here, names from the header's list.  Damaged and hand-made files
 * are in check_timeline_bad. */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "tests/traces/tl_tt.h"
#include "traces/timeline.h"

/* ---------------------------------------------------------------- round trip */

START_TEST(roundtrip_every_field)
{
    const char *p = path_of("a.tl");
    tl_writer_t *w = tl_writer_open(p, 123456789ull, 1ull << 62, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, "core 0", "kvs3"), 0);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_COUNTER, "nic rxq 2 fill", ""), 1);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_INSTANT, "nic", NULL), 2);
    ck_assert_int_eq(tl_add_meta(w, "config", "x.json"), 0);
    const uint64_t big = (1ull << 62) + 12345;
    tl_span_t s0 = {.t0 = 0, .t1 = 7, .arg = UINT64_MAX, .track = 0, .pid = TL_NO_PID,
                    .mode = TL_IDLE, .what = TL_WHAT_NONE};
    tl_span_t s1 = {.t0 = 7, .t1 = 7, .arg = 0, .track = 0, .pid = 0, .mode = TL_USER,
                    .what = TL_WHAT_APP};
    tl_span_t s2 = {.t0 = big, .t1 = UINT64_MAX, .arg = 42, .track = 0, .pid = 0xFFFE,
                    .mode = TL_IRQ, .what = TL_WHAT_BOOT};
    ck_assert_int_eq(tl_add_span(w, &s0), 0);
    ck_assert_int_eq(tl_add_span(w, &s1), 0);
    ck_assert_int_eq(tl_add_span(w, &s2), 0);
    tl_counter_t c0 = {.t = 5, .value = INT64_MIN, .track = 1};
    tl_counter_t c1 = {.t = 5, .value = INT64_MAX, .track = 1};
    tl_counter_t c2 = {.t = big, .value = -1, .track = 1};
    ck_assert_int_eq(tl_add_counter(w, &c0), 0);
    ck_assert_int_eq(tl_add_counter(w, &c1), 0);
    ck_assert_int_eq(tl_add_counter(w, &c2), 0);
    tl_instant_t i0 = {.t = 3, .arg = UINT64_MAX, .track = 2, .kind = TL_INST_NVME_CQE};
    ck_assert_int_eq(tl_add_instant(w, &i0), 0);
    ck_assert_int_eq(tl_add_meta(w, "seed", ""), 0);
    ck_assert_uint_eq(tl_writer_records(w), 7);
    close_w(w);

    tl_timeline_t *t = load_ok(p);
    ck_assert_uint_eq(t->t_from_ps, 123456789ull);
    ck_assert_uint_eq(t->t_to_ps, 1ull << 62);
    ck_assert_uint_eq(t->t_min, 0);
    ck_assert_uint_eq(t->t_max, UINT64_MAX);
    ck_assert_uint_eq(t->ntracks, 3);
    ck_assert_int_eq(t->tracks[0].kind, TL_TRACK_CORE);
    ck_assert_str_eq(t->tracks[0].name, "core 0");
    ck_assert_str_eq(t->tracks[0].label, "kvs3");
    ck_assert_int_eq(t->tracks[1].kind, TL_TRACK_COUNTER);
    ck_assert_str_eq(t->tracks[1].label, "");
    ck_assert_int_eq(t->tracks[2].kind, TL_TRACK_INSTANT);
    ck_assert_str_eq(t->tracks[2].name, "nic");
    ck_assert_uint_eq(t->nspans, 3);
    ck_assert_mem_eq(&t->spans[0], &s0, sizeof s0);
    ck_assert_mem_eq(&t->spans[1], &s1, sizeof s1);
    ck_assert_mem_eq(&t->spans[2], &s2, sizeof s2);
    ck_assert_uint_eq(t->ncounters, 3);
    ck_assert_int_eq(t->counters[0].value, INT64_MIN);
    ck_assert_int_eq(t->counters[1].value, INT64_MAX);
    ck_assert_int_eq(t->counters[2].value, -1);
    ck_assert_uint_eq(t->counters[2].t, big);
    ck_assert_uint_eq(t->counters[2].track, 1);
    ck_assert_uint_eq(t->ninstants, 1);
    ck_assert_uint_eq(t->instants[0].t, 3);
    ck_assert_uint_eq(t->instants[0].arg, UINT64_MAX);
    ck_assert_uint_eq(t->instants[0].kind, TL_INST_NVME_CQE);
    ck_assert_uint_eq(t->instants[0].track, 2);
    size_t sf[] = {0, 3, 3, 3}, cf[] = {0, 0, 3, 3}, inf[] = {0, 0, 0, 1};
    ck_assert_mem_eq(t->span_first, sf, sizeof sf);
    ck_assert_mem_eq(t->counter_first, cf, sizeof cf);
    ck_assert_mem_eq(t->instant_first, inf, sizeof inf);
    ck_assert_uint_eq(t->nmeta, 2);
    ck_assert_str_eq(t->meta[0][0], "config");
    ck_assert_str_eq(t->meta[0][1], "x.json");
    ck_assert_str_eq(t->meta[1][0], "seed");
    ck_assert_str_eq(t->meta[1][1], "");
    tl_free(t);
}
END_TEST

/* Interleaved tracks come back grouped by track, each in its own order. */
START_TEST(sorted_per_track)
{
    const char *p = path_of("b.tl");
    tl_writer_t *w = open_w(p);
    for (int k = 0; k < 3; k++) {
        char name[24];
        snprintf(name, sizeof name, "core %d", k);
        ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, name, ""), k);
    }
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_INSTANT, "nic", ""), 3);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_INSTANT, "nvme", ""), 4);
    /* span i goes to track (2 - i % 3): t0 = 10 * i, arg = i */
    for (int i = 0; i < 30; i++) {
        tl_span_t s = {.t0 = 10u * (unsigned)i, .t1 = 10u * (unsigned)i + 5, .arg = (unsigned)i,
                       .track = (uint32_t)(2 - i % 3), .pid = 1, .mode = TL_KERNEL,
                       .what = TL_WHAT_SYSCALL};
        ck_assert_int_eq(tl_add_span(w, &s), 0);
        tl_instant_t in = {.t = (unsigned)i, .arg = (unsigned)i, .track = 4u - (unsigned)(i & 1),
                           .kind = TL_INST_RX_FRAME};
        ck_assert_int_eq(tl_add_instant(w, &in), 0);
    }
    close_w(w);
    tl_timeline_t *t = load_ok(p);
    ck_assert_uint_eq(t->nspans, 30);
    for (size_t k = 0; k < 3; k++) {
        ck_assert_uint_eq(t->span_first[k], 10 * k);
        for (size_t j = 0; j < 10; j++) {
            const tl_span_t *s = &t->spans[t->span_first[k] + j];
            uint64_t i = 3 * j + (2 - k); /* the i that went to track k, in order */
            ck_assert_uint_eq(s->track, k);
            ck_assert_uint_eq(s->arg, i);
            ck_assert_uint_eq(s->t0, 10 * i);
            ck_assert_uint_eq(s->t1, 10 * i + 5);
        }
    }
    ck_assert_uint_eq(t->span_first[3], 30);
    ck_assert_uint_eq(t->span_first[5], 30);
    ck_assert_uint_eq(t->instant_first[3], 0);
    ck_assert_uint_eq(t->instant_first[4], 15);
    ck_assert_uint_eq(t->instant_first[5], 30);
    for (size_t j = 0; j < 15; j++) {
        ck_assert_uint_eq(t->instants[j].arg, 2 * j + 1);   /* odd i on track 3 */
        ck_assert_uint_eq(t->instants[15 + j].arg, 2 * j); /* even i on track 4 */
    }
    ck_assert_uint_eq(t->t_min, 0);
    ck_assert_uint_eq(t->t_max, 295);
    tl_free(t);
}
END_TEST

/* The writer refuses what would make a file ill-formed, and the refused
 * record leaves no trace. */
START_TEST(refusals)
{
    const char *p = path_of("c.tl");
    tl_writer_t *w = open_w(p);
    ck_assert_int_eq(tl_add_track(w, (tl_track_kind_t)3, "x", ""), -1);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, NULL, ""), -1);
    char n63[64], n64[65];
    memset(n63, 'a', 63);
    n63[63] = 0;
    memset(n64, 'b', 64);
    n64[64] = 0;
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, n64, ""), -1); /* 64 bytes: refused */
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, "c", n64), -1);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, n63, n63), 0); /* 63 bytes: the most */
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_COUNTER, "q", ""), 1);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_INSTANT, "i", ""), 2);
    char k256[257];
    memset(k256, 'k', 256);
    k256[256] = 0;
    ck_assert_int_eq(tl_add_meta(w, k256, "v"), -1);
    ck_assert_int_eq(tl_add_meta(w, "k", k256), -1);
    k256[255] = 0;
    ck_assert_int_eq(tl_add_meta(w, k256, k256), 0); /* 255 bytes: the most */

    tl_span_t s = {.t0 = 100, .t1 = 200, .track = 0, .pid = 1, .mode = TL_USER,
                   .what = TL_WHAT_APP};
    ck_assert_int_eq(tl_add_span(w, &s), 0);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, "late", ""), -1); /* after a record */
    tl_span_t bad = s;
    bad.t0 = 150, bad.t1 = 300; /* overlaps [100, 200) */
    ck_assert_int_eq(tl_add_span(w, &bad), -1);
    bad.t0 = 50, bad.t1 = 60; /* before it */
    ck_assert_int_eq(tl_add_span(w, &bad), -1);
    bad.t0 = 300, bad.t1 = 299; /* ends before it starts */
    ck_assert_int_eq(tl_add_span(w, &bad), -1);
    bad = s, bad.t0 = 200, bad.t1 = 210, bad.mode = TL_MODES;
    ck_assert_int_eq(tl_add_span(w, &bad), -1);
    bad.mode = TL_USER, bad.what = TL_WHAT_COUNT;
    ck_assert_int_eq(tl_add_span(w, &bad), -1);
    bad.what = TL_WHAT_APP, bad.track = 1; /* a counter track */
    ck_assert_int_eq(tl_add_span(w, &bad), -1);
    bad.track = 3; /* no such track */
    ck_assert_int_eq(tl_add_span(w, &bad), -1);
    bad.track = 0; /* now fine: starts where the previous ended */
    ck_assert_int_eq(tl_add_span(w, &bad), 0);

    tl_counter_t c = {.t = 10, .value = 1, .track = 1};
    ck_assert_int_eq(tl_add_counter(w, &c), 0);
    c.t = 9;
    ck_assert_int_eq(tl_add_counter(w, &c), -1);
    c.t = 10, c.track = 0;
    ck_assert_int_eq(tl_add_counter(w, &c), -1);
    tl_instant_t in = {.t = 10, .track = 2, .kind = TL_INST_KINDS};
    ck_assert_int_eq(tl_add_instant(w, &in), -1);
    in.kind = TL_INST_DROP;
    ck_assert_int_eq(tl_add_instant(w, &in), 0);
    in.t = 9;
    ck_assert_int_eq(tl_add_instant(w, &in), -1);
    in.t = 10, in.track = 1;
    ck_assert_int_eq(tl_add_instant(w, &in), -1);
    ck_assert_uint_eq(tl_writer_records(w), 4);
    close_w(w);

    tl_timeline_t *t = load_ok(p);
    ck_assert_uint_eq(t->ntracks, 3);
    ck_assert_str_eq(t->tracks[0].name, n63);
    ck_assert_str_eq(t->tracks[0].label, n63);
    ck_assert_uint_eq(t->nspans, 2);
    ck_assert_uint_eq(t->spans[1].t0, 200);
    ck_assert_uint_eq(t->ncounters, 1);
    ck_assert_uint_eq(t->ninstants, 1);
    ck_assert_str_eq(t->meta[0][0], k256);
    tl_free(t);
}
END_TEST

/* No file at PATH before close, nor after abort; none left as .tmp. */
START_TEST(tmp_then_rename)
{
    const char *p = path_of("d.tl");
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    tl_writer_t *w = open_w(p);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, "core 0", ""), 0);
    ck_assert(!exists(p));
    ck_assert(exists(tmp));
    tl_writer_abort(w);
    ck_assert(!exists(p));
    ck_assert(!exists(tmp));
    w = open_w(p);
    close_w(w);
    ck_assert(exists(p));
    ck_assert(!exists(tmp));
    ck_assert(tl_writer_open(path_of("nodir/x.tl"), 0, 0, err, sizeof err) == NULL);
    ck_assert_msg(strstr(err, "nodir/x.tl") != NULL, "%s", err);
}
END_TEST

/* Many records across many buffers (the writer's hand-overs, the reader's
 * refills): every field comes back as the formula that made it. */
START_TEST(many_records)
{
    const char *p = path_of("m.tl");
    tl_writer_t *w = open_w(p);
    enum { CORES = 5, N = 100000 };
    for (int k = 0; k < CORES; k++)
        ck_assert_int_eq(tl_add_track(w, TL_TRACK_CORE, "c", ""), k);
    ck_assert_int_eq(tl_add_track(w, TL_TRACK_COUNTER, "q", ""), CORES);
    for (uint64_t i = 0; i < N; i++) {
        /* span i: track i % CORES, t0 = 1000 * i + (i * 7) % 13, length i % 900,
         * arg i * 0x9E3779B97F4A7C15 (every bit pattern) */
        tl_span_t s = {.t0 = 1000 * i + (i * 7) % 13, .arg = i * 0x9E3779B97F4A7C15ull,
                       .track = (uint32_t)(i % CORES), .pid = (uint16_t)(i % 70000 == 0 ? TL_NO_PID : i),
                       .mode = (uint8_t)(i % TL_MODES), .what = (uint8_t)(i % TL_WHAT_COUNT)};
        s.t1 = s.t0 + i % 900;
        ck_assert_int_eq(tl_add_span(w, &s), 0);
        if (i % 3 == 0) {
            tl_counter_t c = {.t = 1000 * i, .value = (int64_t)(i * 31) - 4000000, .track = CORES};
            ck_assert_int_eq(tl_add_counter(w, &c), 0);
        }
    }
    close_w(w);
    tl_timeline_t *t = load_ok(p);
    ck_assert_uint_eq(t->nspans, N);
    ck_assert_uint_eq(t->ncounters, (N + 2) / 3); /* i = 0, 3, ..., N - 1 */
    for (size_t k = 0; k < CORES; k++) {
        ck_assert_uint_eq(t->span_first[k], k * (N / CORES));
        for (size_t j = 0; j < N / CORES; j++) {
            uint64_t i = j * CORES + k;
            const tl_span_t *s = &t->spans[t->span_first[k] + j];
            ck_assert_uint_eq(s->t0, 1000 * i + (i * 7) % 13);
            ck_assert_uint_eq(s->t1, s->t0 + i % 900);
            ck_assert_uint_eq(s->arg, i * 0x9E3779B97F4A7C15ull);
            ck_assert_uint_eq(s->pid, i % 70000 == 0 ? TL_NO_PID : (uint16_t)i);
            ck_assert_uint_eq(s->mode, i % TL_MODES);
            ck_assert_uint_eq(s->what, i % TL_WHAT_COUNT);
        }
    }
    for (size_t j = 0; j < (N + 2) / 3; j++) {
        ck_assert_uint_eq(t->counters[j].t, 3000 * j);
        ck_assert_int_eq(t->counters[j].value, (int64_t)(3 * j * 31) - 4000000);
    }
    ck_assert_uint_eq(t->t_min, 0);
    ck_assert_uint_eq(t->t_max, 1000ull * (N - 1) + ((N - 1) * 7) % 13 + (N - 1) % 900);
    tl_free(t);
}
END_TEST

/* Same calls, same bytes. */
START_TEST(deterministic)
{
    char a[192], b[192];
    snprintf(a, sizeof a, "%s", path_of("1.tl"));
    snprintf(b, sizeof b, "%s", path_of("2.tl"));
    write_same(a);
    write_same(b);
    uint8_t *x, *y;
    size_t nx = read_all(a, &x), ny = read_all(b, &y);
    ck_assert_uint_eq(nx, ny);
    ck_assert_int_eq(memcmp(x, y, nx), 0);
    free(x);
    free(y);
}
END_TEST

/* ---------------------------------------------------------------- the bytes */

/* An independent LEB128 decoder. */
static uint64_t vget(const uint8_t **pp)
{
    uint64_t v = 0;
    int shift = 0;
    const uint8_t *p = *pp;
    do {
        v |= (uint64_t)(*p & 0x7f) << shift;
        shift += 7;
    } while (*p++ & 0x80);
    *pp = p;
    return v;
}

static void vstr(const uint8_t **pp, const char *want)
{
    uint64_t n = vget(pp);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_int_eq(memcmp(*pp, want, n), 0);
    *pp += n;
}

START_TEST(bytes_on_disk)
{
    const char *p = path_of("e.tl");
    const uint64_t from = 0x0102030405060708ull, to = 0xF0E0D0C0B0A09080ull;
    tl_writer_t *w = tl_writer_open(p, from, to, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    tl_add_track(w, TL_TRACK_CORE, "core 0", "kvs3");
    tl_add_track(w, TL_TRACK_COUNTER, "fill", "");
    tl_span_t s1 = {.t0 = 300, .t1 = 1000, .arg = 5, .track = 0, .pid = 2, .mode = TL_USER,
                    .what = TL_WHAT_APP};
    tl_span_t s2 = {.t0 = 1000, .t1 = 1000 + 200000, .arg = UINT64_MAX, .track = 0,
                    .pid = TL_NO_PID, .mode = TL_IRQ, .what = TL_WHAT_IRQ};
    tl_counter_t c1 = {.t = 128, .value = -3, .track = 1};
    tl_add_span(w, &s1);
    tl_add_counter(w, &c1);
    tl_add_span(w, &s2);
    tl_add_meta(w, "seed", "42");
    close_w(w);

    /* The header, from the specification. */
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t h[32], want[32] = {'P', 'S', 'T', 'L', 'I', 'N', 'E', '1', 1, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) {
        want[16 + i] = (uint8_t)(from >> (8 * i));
        want[24 + i] = (uint8_t)(to >> (8 * i));
    }
    ck_assert_uint_eq(fread(h, 1, 32, f), 32);
    ck_assert_int_eq(memcmp(h, want, 32), 0);
    fclose(f);

    /* The rest is one zlib stream: zlib's uncompress() takes all of it. */
    uint8_t *file;
    size_t n = read_all(p, &file);
    uint8_t raw[4096];
    uLongf rawlen = sizeof raw;
    ck_assert_int_eq(uncompress(raw, &rawlen, file + 32, n - 32), Z_OK);
    free(file);

    const uint8_t *q = raw;
    ck_assert_uint_eq(*q++, 1); /* TRACK core, "core 0", "kvs3" */
    ck_assert_uint_eq(vget(&q), 0);
    vstr(&q, "core 0");
    vstr(&q, "kvs3");
    ck_assert_uint_eq(*q++, 1); /* TRACK counter */
    ck_assert_uint_eq(vget(&q), 1);
    vstr(&q, "fill");
    vstr(&q, "");
    ck_assert_uint_eq(*q++, 2); /* SPAN s1: dt0 from 0 */
    uint64_t want1[] = {0, 300, 700, TL_USER, 3, TL_WHAT_APP, 5};
    for (int i = 0; i < 7; i++)
        ck_assert_uint_eq(vget(&q), want1[i]);
    ck_assert_uint_eq(*q++, 4); /* COUNTER: dt 128, zigzag(-3) = 5 */
    ck_assert_uint_eq(vget(&q), 1);
    ck_assert_uint_eq(vget(&q), 128);
    ck_assert_uint_eq(vget(&q), 5);
    ck_assert_uint_eq(*q++, 2); /* SPAN s2: dt0 = 1000 - 300, no pid -> 0 */
    uint64_t want2[] = {0, 700, 200000, TL_IRQ, 0, TL_WHAT_IRQ, UINT64_MAX};
    for (int i = 0; i < 7; i++)
        ck_assert_uint_eq(vget(&q), want2[i]);
    ck_assert_uint_eq(*q++, 5); /* META */
    vstr(&q, "seed");
    vstr(&q, "42");
    ck_assert_uint_eq(*q++, 255); /* END: 2 tracks, 2 spans, 0 instants, 1 counter */
    uint64_t wante[] = {2, 2, 0, 1};
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(vget(&q), wante[i]);
    ck_assert_uint_eq((size_t)(q - raw), rawlen);
    /* Known encodings: 200000 = 0xC0 0x9A 0x0C; UINT64_MAX takes 10 bytes. */
    const uint8_t v200k[] = {0xC0, 0x9A, 0x0C};
    bool found = false;
    for (size_t i = 0; i + 3 <= rawlen; i++)
        found |= memcmp(raw + i, v200k, 3) == 0;
    ck_assert(found);
    const uint8_t vmax[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    ck_assert_int_eq(memcmp(raw + rawlen - 5 - 3 - 5 - 1 - 10, vmax, 10), 0); /* s2's arg */
}
END_TEST

/* ---------------------------------------------------------------- names */

START_TEST(names)
{
    const char *modes[] = {"user", "kernel", "irq", "poll", "idle"};
    const char *whats[] = {"none", "app", "syscall", "irq", "poll", "boot"};
    const char *insts[] = {"rx_frame", "tx_frame", "doorbell", "iommu_fault", "drop", "nvme_cqe"};
    ck_assert_int_eq(TL_MODES, 5);
    ck_assert_int_eq(TL_WHAT_COUNT, 6);
    ck_assert_int_eq(TL_INST_KINDS, 6);
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(tl_mode_name((tl_mode_t)i), modes[i]);
    for (int i = 0; i < 6; i++)
        ck_assert_str_eq(tl_what_name((tl_what_t)i), whats[i]);
    for (int i = 0; i < 6; i++)
        ck_assert_str_eq(tl_instant_name((tl_instant_kind_t)i), insts[i]);
    ck_assert_str_eq(tl_mode_name(TL_MODES), "?");
    ck_assert_str_eq(tl_what_name(TL_WHAT_COUNT), "?");
    ck_assert_str_eq(tl_instant_name(TL_INST_KINDS), "?");
}
END_TEST

static Suite *timeline_suite(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("timeline");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 30); /* many_records: seconds under ASan */
    tcase_add_test(tc, roundtrip_every_field);
    tcase_add_test(tc, sorted_per_track);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, tmp_then_rename);
    tcase_add_test(tc, many_records);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, bytes_on_disk);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(timeline_suite)
