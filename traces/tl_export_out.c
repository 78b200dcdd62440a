/* traces/tl_export_out: the exports' buffered output (a FILE or a gzip
 * stream, PATH.tmp renamed on success) and its printers: integers, exact
 * µs, JSON strings (RFC 8259) and CSV fields (RFC 4180). */
#include "traces/tl_export_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* zlib's level 1: on tests/bench/bench_tl_export's 1M-span timeline the
 * 167 MiB of JSON become 25.5 MiB in 1.4 s; level 6 gives 16.4 MiB but
 * takes 3.2 s, level 9 16.1 MiB in 4.0 s (measured on the 2-core build
 * machine).  Speed wins: a 10M-span export takes ~15 s rather than ~30. */
#define GZ_MODE "wb1"
#define GZ_BUF (256u * 1024u)

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static void fail(tl_out_t *o, int err_no)
{
    if (!o->err_no)
        o->err_no = err_no ? err_no : EIO;
}

tl_out_t *tl_out_open(const char *path, char *err, size_t errlen)
{
    tl_out_t *o = calloc(1, sizeof *o);
    size_t n = strlen(path);
    char *tmp = malloc(n + 5), *copy = malloc(n + 1);
    if (!o || !tmp || !copy) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(o), free(tmp), free(copy);
        return NULL;
    }
    memcpy(copy, path, n + 1);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    o->path = copy, o->tmp = tmp, o->name = copy;
    errno = 0;
    if (ends_with(path, ".gz")) {
        o->gz = gzopen(tmp, GZ_MODE);
        if (o->gz)
            gzbuffer(o->gz, GZ_BUF);
    } else {
        o->f = fopen(tmp, "wb");
    }
    if (!o->gz && !o->f) {
        snprintf(err, errlen, "%s: cannot create: %s", path,
                 strerror(errno ? errno : ENOMEM));
        free(tmp), free(copy), free(o);
        return NULL;
    }
    return o;
}

tl_out_t *tl_out_stream(FILE *f, const char *name, char *err, size_t errlen)
{
    tl_out_t *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    o->f = f, o->name = name;
    return o;
}

void tl_out_flush(tl_out_t *o)
{
    if (o->n && !o->err_no) {
        if (o->gz) {
            if (gzwrite(o->gz, o->buf, (unsigned)o->n) != (int)o->n) {
                int zerr;
                gzerror(o->gz, &zerr);
                fail(o, zerr == Z_ERRNO ? errno : -1);
            }
        } else if (fwrite(o->buf, 1, o->n, o->f) != o->n) {
            fail(o, errno);
        }
    }
    o->n = 0;
}

static void release(tl_out_t *o)
{
    free(o->path);
    free(o->tmp);
    free(o);
}

int tl_out_close(tl_out_t *o, char *err, size_t errlen)
{
    tl_out_flush(o);
    errno = 0;
    if (o->gz) {
        if (gzclose(o->gz) != Z_OK)
            fail(o, errno);
    } else if (o->path) {
        if (fclose(o->f))
            fail(o, errno);
    } else if (fflush(o->f)) {
        fail(o, errno);
    }
    if (!o->err_no && o->path && rename(o->tmp, o->path))
        fail(o, errno);
    if (o->err_no) {
        snprintf(err, errlen, "%s: write failed: %s", o->name,
                 o->err_no > 0 ? strerror(o->err_no) : "gzip error");
        if (o->tmp)
            remove(o->tmp);
        release(o);
        return -1;
    }
    release(o);
    return 0;
}

void tl_out_abort(tl_out_t *o)
{
    if (o->gz)
        gzclose(o->gz);
    else if (o->path)
        fclose(o->f);
    if (o->tmp)
        remove(o->tmp);
    release(o);
}

/* ---------------------------------------------------------------- numbers */

/* v in decimal, right-aligned ending at end; returns the first digit. */
static char *digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void tl_out_u64(tl_out_t *o, uint64_t v)
{
    char b[24], *p = digits(v, b + sizeof b);
    tl_out_put(o, p, (size_t)(b + sizeof b - p));
}

void tl_out_i64(tl_out_t *o, int64_t v)
{
    if (v < 0) {
        tl_out_c(o, '-');
        tl_out_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        tl_out_u64(o, (uint64_t)v);
    }
}

size_t tl_export_format_us(uint64_t ps, char *buf)
{
    char b[32], *end = b + sizeof b, *p = end - 6;
    uint64_t frac = ps % 1000000u;
    for (int i = 5; i >= 0; i--, frac /= 10)
        p[i] = (char)('0' + frac % 10);
    *--p = '.';
    p = digits(ps / 1000000u, p);
    size_t n = (size_t)(end - p);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return n;
}

void tl_out_us(tl_out_t *o, uint64_t ps)
{
    char b[32];
    tl_out_put(o, b, tl_export_format_us(ps, b));
}

int tl_export_parse_us(const char *s, uint64_t *ps)
{
    const uint64_t max_us = UINT64_MAX / 1000000u;
    uint64_t whole = 0, frac = 0;
    int nfrac = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (whole > (max_us - d) / 10)
            return -1;
        whole = whole * 10 + d;
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, nfrac++) {
            if (nfrac == 6)
                return -1;
            frac = frac * 10 + (uint64_t)(*s - '0');
        }
        if (nfrac == 0)
            return -1;
    }
    if (*s)
        return -1;
    for (; nfrac < 6; nfrac++)
        frac *= 10;
    if (whole == max_us && frac > UINT64_MAX % 1000000u)
        return -1;
    *ps = whole * 1000000u + frac;
    return 0;
}

/* ---------------------------------------------------------------- strings */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF), 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

void tl_out_json_str(tl_out_t *o, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    tl_out_c(o, '"');
    while (*s) {
        unsigned c = *s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            tl_out_put(o, e, 2);
            s++;
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            tl_out_put(o, e, 6);
            s++;
        } else if (c < 0x80) {
            tl_out_c(o, (char)c);
            s++;
        } else {
            size_t n = utf8_len(s);
            if (n) {
                tl_out_put(o, (const char *)s, n);
                s += n;
            } else {
                TL_OUT_LIT(o, "\\ufffd");
                s++;
            }
        }
    }
    tl_out_c(o, '"');
}

void tl_out_csv_str(tl_out_t *o, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        tl_out_put(o, s, strlen(s));
        return;
    }
    tl_out_c(o, '"');
    for (; *s; s++) {
        if (*s == '"')
            tl_out_c(o, '"');
        tl_out_c(o, *s);
    }
    tl_out_c(o, '"');
}

/* ---------------------------------------------------------------- window */

void tl_window_counters(const tl_timeline_t *t, size_t k, tl_window_t w, tl_counter_fn *fn,
                        void *ctx)
{
    const tl_counter_t *before = NULL;
    bool led = false;
    for (size_t j = t->counter_first[k]; j < t->counter_first[k + 1]; j++) {
        const tl_counter_t *c = &t->counters[j];
        if (c->t < w.from) {
            before = c;
            continue;
        }
        if (!tl_window_has(w, c->t))
            break;
        if (!led && before && c->t > w.from)
            fn(ctx, before, w.from);
        led = true;
        fn(ctx, c, c->t);
    }
    if (!led && before && tl_window_has(w, w.from))
        fn(ctx, before, w.from);
}
