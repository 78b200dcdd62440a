/* tests/traces/check_timeline_bad: tl_load() on damaged and hand-made
 * timeline files (traces/timeline.h): every one is an error naming the file
 * (and the record, where there is one), never a shorter timeline.
 *
 * The hand-made files are encoded here from the format's specification,
 * independently of the writer: header bytes written out, records built by
 * a varint encoder of this file, compressed with zlib's compress().  The
 * damaged ones are real files cut or with a byte inverted. */
#include "tests/check_main.h"

#include <string.h>
#include <zlib.h>

#include "tests/traces/tl_tt.h"

/* Hand-made record streams, encoded here (independently of the writer). */
typedef struct bld {
    uint8_t b[1024];
    size_t n;
} bld_t;

static void b_u8(bld_t *b, uint8_t v)
{
    b->b[b->n++] = v;
}

static void b_var(bld_t *b, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        b_u8(b, (uint8_t)(v | 0x80));
    b_u8(b, (uint8_t)v);
}

static void b_str(bld_t *b, const char *s, size_t n)
{
    b_var(b, n);
    memcpy(b->b + b->n, s, n);
    b->n += n;
}

static void b_track(bld_t *b, uint64_t kind)
{
    b_u8(b, 1);
    b_var(b, kind);
    b_str(b, "t", 1);
    b_str(b, "", 0);
}

static void b_span(bld_t *b, uint64_t track, uint64_t dt0, uint64_t dur)
{
    b_u8(b, 2);
    uint64_t v[] = {track, dt0, dur, TL_USER, 1, TL_WHAT_APP, 0};
    for (int i = 0; i < 7; i++)
        b_var(b, v[i]);
}

static void b_end(bld_t *b, uint64_t tr, uint64_t sp, uint64_t in, uint64_t ct)
{
    b_u8(b, 255);
    b_var(b, tr);
    b_var(b, sp);
    b_var(b, in);
    b_var(b, ct);
}

/* A file: the header (from the specification), compress() of the records,
 * then extra bytes. */
static const char *craft(const char *name, const bld_t *b, const char *extra)
{
    static char p[192];
    snprintf(p, sizeof p, "%s", path_of(name));
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    const uint8_t h[32] = {'P', 'S', 'T', 'L', 'I', 'N', 'E', '1', 1};
    fwrite(h, 1, 32, f);
    uint8_t z[2048];
    uLongf zn = sizeof z;
    ck_assert_int_eq(compress(z, &zn, b->b, b->n), Z_OK);
    fwrite(z, 1, zn, f);
    fputs(extra, f);
    fclose(f);
    return p;
}

/* tl_load() fails with a message naming the file and holding each of the
 * given fragments. */
static void load_fails(const char *p, const char *frag1, const char *frag2)
{
    err[0] = 0;
    ck_assert_ptr_null(tl_load(p, err, sizeof err));
    ck_assert_msg(strncmp(err, p, strlen(p)) == 0 && err[strlen(p)] == ':', "%s", err);
    ck_assert_msg(strstr(err, frag1) != NULL, "want \"%s\" in: %s", frag1, err);
    if (frag2)
        ck_assert_msg(strstr(err, frag2) != NULL, "want \"%s\" in: %s", frag2, err);
    ck_assert(strchr(err, '\n') == NULL);
}

START_TEST(crafted_valid)
{
    /* The builder itself is right: a well-formed stream loads. */
    bld_t b = {0};
    b_track(&b, TL_TRACK_CORE);
    b_span(&b, 0, 5, 10);
    b_span(&b, 0, 10, 1); /* starts at 15 = the previous end */
    b_end(&b, 1, 2, 0, 0);
    tl_timeline_t *t = load_ok(craft("ok.tl", &b, ""));
    ck_assert_uint_eq(t->nspans, 2);
    ck_assert_uint_eq(t->spans[1].t0, 15);
    ck_assert_uint_eq(t->spans[1].t1, 16);
    ck_assert_uint_eq(t->spans[1].pid, 0);
    tl_free(t);
}
END_TEST

START_TEST(crafted_bad)
{
    bld_t b = {0};
    b_track(&b, TL_TRACK_CORE);
    b_span(&b, 0, 5, 10);
    load_fails(craft("noend.tl", &b, ""), "record 3: ", "no END");

    b_end(&b, 1, 2, 0, 0);
    load_fails(craft("count.tl", &b, ""), "record 3: ", "disagree");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_CORE);
    b_u8(&b, 7);
    load_fails(craft("type.tl", &b, ""), "record 2: ", "unknown record type 7");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_CORE);
    b_u8(&b, 2);
    for (int i = 0; i < 10; i++)
        b_u8(&b, 0xFF); /* 10 continued bytes: more than 64 bits */
    b_u8(&b, 0x01);
    for (int i = 0; i < 8; i++)
        b_u8(&b, 0);
    b_end(&b, 1, 1, 0, 0);
    load_fails(craft("varint.tl", &b, ""), "record 2: ", "bad varint");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_CORE);
    b_span(&b, 5, 0, 1);
    b_end(&b, 1, 1, 0, 0);
    load_fails(craft("range.tl", &b, ""), "record 2: ", "track 5 out of range");

    b = (bld_t){0};
    b_u8(&b, 1);
    b_var(&b, TL_TRACK_CORE);
    b_str(&b, "0123456789012345678901234567890123456789012345678901234567890123", 64);
    b_str(&b, "", 0);
    b_end(&b, 1, 0, 0, 0);
    load_fails(craft("long.tl", &b, ""), "record 1: ", "too long");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_COUNTER);
    b_span(&b, 0, 0, 1);
    b_end(&b, 1, 1, 0, 0);
    load_fails(craft("kind.tl", &b, ""), "record 2: ", "not a core track");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_CORE);
    b_span(&b, 0, 0, 10);
    b_span(&b, 0, 9, 1); /* starts at 9 < 10 */
    b_end(&b, 1, 2, 0, 0);
    load_fails(craft("overlap.tl", &b, ""), "record 3: ", "overlaps");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_CORE);
    b_span(&b, 0, 0, 10);
    b_track(&b, TL_TRACK_CORE);
    b_end(&b, 2, 1, 0, 0);
    load_fails(craft("late.tl", &b, ""), "record 3: ", "track after");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_COUNTER);
    for (int i = 0; i < 2; i++) { /* two deltas of 2^63: past 64 bits */
        b_u8(&b, 4);
        b_var(&b, 0);
        b_var(&b, 1ull << 63);
        b_var(&b, 0);
    }
    b_end(&b, 1, 0, 0, 2);
    load_fails(craft("overflow.tl", &b, ""), "record 3: ", "overflows");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_CORE);
    b_end(&b, 1, 0, 0, 0);
    b_track(&b, TL_TRACK_CORE);
    load_fails(craft("after.tl", &b, ""), "record 2: ", "after the END");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_CORE);
    b_end(&b, 1, 0, 0, 0);
    load_fails(craft("trail.tl", &b, "xy"), "record 2: ", "after the end of the zlib stream");

    b = (bld_t){0};
    b_track(&b, TL_TRACK_CORE);
    b_u8(&b, 2);
    b_var(&b, 0);
    b_var(&b, 1); /* the span stops after dt0 */
    load_fails(craft("cut.tl", &b, ""), "record 2: ", "truncated");
}
END_TEST

/* Real files, damaged. */
START_TEST(damaged_files)
{
    char p[192];
    snprintf(p, sizeof p, "%s", path_of("real.tl"));
    write_same(p);
    uint8_t *file;
    size_t n = read_all(p, &file);
    ck_assert_uint_gt(n, 1000);
    const struct {
        const char *name;
        size_t len;     /* bytes kept */
        long flip;      /* a byte inverted, -1: none */
        const char *frag;
    } cases[] = {
        {"half.tl", n / 2, -1, "truncated"},      /* the file cut in half */
        {"adler.tl", n - 2, -1, "truncated"},     /* the zlib trailer cut */
        {"flip.tl", n, (long)(n / 2), "record "}, /* a corrupt deflate block */
        {"hdronly.tl", 32, -1, "record 1: truncated"},
        {"short.tl", 10, -1, "header: truncated"},
        {"magic.tl", n, 0, "header: not a timeline"},
        {"version.tl", n, 8, "header: unsupported version"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char q[192];
        snprintf(q, sizeof q, "%s", path_of(cases[i].name));
        if (cases[i].flip >= 0)
            file[cases[i].flip] ^= 0xFF;
        FILE *f = fopen(q, "wb");
        fwrite(file, 1, cases[i].len, f);
        fclose(f);
        if (cases[i].flip >= 0)
            file[cases[i].flip] ^= 0xFF;
        load_fails(q, cases[i].frag, NULL);
    }
    free(file);
    load_fails(path_of("missing.tl"), "cannot open", NULL);
}
END_TEST

static Suite *timeline_bad_suite(void)
{
    Suite *s = suite_create("timeline_bad");
    TCase *tc = tcase_create("timeline_bad");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, crafted_valid);
    tcase_add_test(tc, crafted_bad);
    tcase_add_test(tc, damaged_files);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(timeline_bad_suite)
