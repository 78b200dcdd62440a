/* traces/tfile: buffered reads of a (possibly gzip-compressed) trace file.
 *
 * The buffer holds the uncompressed bytes [base, base + len); pos is the
 * next byte to consume.  zlib's failure is remembered as "pending" when
 * gzread() reports it and surfaced only when a caller needs a byte past
 * the last good one, so every byte before the damage is usable and the
 * error lands on the record that is actually cut. */
#include "traces/tfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define ZBUF (128u * 1024u) /* zlib's own input buffer (gzbuffer) */

struct trace_file {
    gzFile gz;
    char *path;
    uint8_t *buf;         /* TRACE_FILE_BUF + 1 (room for a line's NUL) */
    size_t pos, len;      /* consumed up to pos; valid up to len */
    uint64_t base;        /* stream offset of buf[0] */
    bool eof;             /* gzread() has nothing more */
    bool gzipped;
    bool pending;         /* zlib failed: surfaced when data runs out */
    bool failed;          /* the last call returned the failure */
    char msg[192];        /* the failure, once pending */
    uint64_t line_no, line_off;
};

static void set_zlib_error(trace_file_t *f, int errnum, const char *zmsg)
{
    /* gzerror() prefixes the message with "path: ": drop it. */
    size_t pl = strlen(f->path);
    if (zmsg && strncmp(zmsg, f->path, pl) == 0 && strncmp(zmsg + pl, ": ", 2) == 0)
        zmsg += pl + 2;
    if (!zmsg || !*zmsg)
        zmsg = "read error";
    const char *what = errnum == Z_ERRNO ? "read error" : "gzip";
    snprintf(f->msg, sizeof f->msg, "%s: %s", what, zmsg);
    f->pending = true;
    f->eof = true;
}

/* Compact, then read once more from zlib.  1 bytes were added, 0 the
 * stream is over, -1 it is over because zlib failed. */
static int fill(trace_file_t *f)
{
    if (f->pos > 0) {
        memmove(f->buf, f->buf + f->pos, f->len - f->pos);
        f->base += f->pos;
        f->len -= f->pos;
        f->pos = 0;
    }
    while (!f->eof && f->len < TRACE_FILE_BUF) {
        int n = gzread(f->gz, f->buf + f->len, (unsigned)(TRACE_FILE_BUF - f->len));
        int errnum = Z_OK;
        const char *zmsg = gzerror(f->gz, &errnum);
        if (n > 0)
            f->len += (size_t)n;
        if (n < 0 || errnum != Z_OK)
            set_zlib_error(f, errnum == Z_OK ? Z_ERRNO : errnum, zmsg);
        else if (n == 0)
            f->eof = true;
        if (n > 0)
            return 1;
    }
    if (f->len > f->pos)
        return 1;
    return f->pending ? -1 : 0;
}

static int fail(trace_file_t *f)
{
    f->failed = true;
    return -1;
}

trace_file_t *trace_file_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(EISDIR));
        return NULL;
    }
    trace_file_t *f = calloc(1, sizeof *f);
    if (f) {
        f->path = strdup(path);
        f->buf = malloc(TRACE_FILE_BUF + 1);
    }
    if (!f || !f->path || !f->buf) {
        snprintf(err, errlen, "%s: cannot open: out of memory", path);
        trace_file_close(f);
        return NULL;
    }
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz) {
        snprintf(err, errlen, "%s: cannot open: %s", path, errno ? strerror(errno) : "zlib failed");
        trace_file_close(f);
        return NULL;
    }
    gzbuffer(f->gz, ZBUF);
    f->gzipped = gzdirect(f->gz) == 0;
    return f;
}

void trace_file_close(trace_file_t *f)
{
    if (!f)
        return;
    if (f->gz)
        gzclose_r(f->gz);
    free(f->buf);
    free(f->path);
    free(f);
}

int trace_file_read(trace_file_t *f, void *buf, size_t n)
{
    uint8_t *out = buf;
    size_t done = 0;
    f->failed = false;
    while (done < n) {
        if (f->pos == f->len) {
            int r = fill(f);
            if (r < 0)
                return fail(f);
            if (r == 0)
                break;
        }
        size_t take = f->len - f->pos;
        if (take > n - done)
            take = n - done;
        memcpy(out + done, f->buf + f->pos, take);
        f->pos += take;
        done += take;
    }
    return (int)done;
}

int trace_file_skip(trace_file_t *f, uint64_t n)
{
    f->failed = false;
    while (n > 0) {
        if (f->pos == f->len) {
            int r = fill(f);
            if (r < 0)
                return fail(f);
            if (r == 0)
                return 1;
        }
        size_t take = f->len - f->pos;
        if (take > n)
            take = (size_t)n;
        f->pos += take;
        n -= take;
    }
    return 0;
}

static ssize_t line_fail(trace_file_t *f, const char *what)
{
    if (what)
        snprintf(f->msg, sizeof f->msg, "%s", what);
    f->line_no++;
    f->line_off = f->base + f->pos;
    return fail(f);
}

ssize_t trace_file_line(trace_file_t *f, char **line)
{
    f->failed = false;
    size_t scanned = 0; /* bytes after pos known to hold no '\n' */
    const uint8_t *nl;
    for (;;) {
        nl = memchr(f->buf + f->pos + scanned, '\n', f->len - f->pos - scanned);
        if (nl)
            break;
        scanned = f->len - f->pos;
        if (scanned > TRACE_LINE_MAX + 1)
            return line_fail(f, "line longer than 65536 bytes");
        int r = fill(f);
        bool more = f->len - f->pos > scanned;
        if (r < 0 || (!more && f->pending)) /* a cut line is no line */
            return line_fail(f, NULL);
        if (!more) { /* the stream is over */
            if (scanned == 0)
                return -1;
            break;
        }
    }
    size_t end = nl ? (size_t)(nl - f->buf) : f->len;
    size_t l = end - f->pos;
    if (l > 0 && f->buf[f->pos + l - 1] == '\r')
        l--;
    if (l > TRACE_LINE_MAX)
        return line_fail(f, "line longer than 65536 bytes");
    if (memchr(f->buf + f->pos, 0, l))
        return line_fail(f, "NUL byte in a text line (binary file?)");
    f->line_no++;
    f->line_off = f->base + f->pos;
    f->buf[f->pos + l] = 0;
    *line = (char *)f->buf + f->pos;
    f->pos = nl ? end + 1 : end;
    return (ssize_t)l;
}

uint64_t trace_file_offset(const trace_file_t *f)
{
    return f->base + f->pos;
}

uint64_t trace_file_line_no(const trace_file_t *f)
{
    return f->line_no;
}

uint64_t trace_file_line_offset(const trace_file_t *f)
{
    return f->line_off;
}

const char *trace_file_path(const trace_file_t *f)
{
    return f->path;
}

bool trace_file_gzipped(const trace_file_t *f)
{
    return f->gzipped;
}

const char *trace_file_error(const trace_file_t *f)
{
    return f->failed ? f->msg : NULL;
}

void trace_file_err(const trace_file_t *f, char *err, size_t errlen, uint64_t record,
                    uint64_t offset, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    int n;
    if (record == 0)
        n = snprintf(err, errlen, "%s: header (offset %llu): ", f->path,
                     (unsigned long long)offset);
    else
        n = snprintf(err, errlen, "%s: record %llu (offset %llu): ", f->path,
                     (unsigned long long)record, (unsigned long long)offset);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    for (char *p = err; *p; p++) /* one line, whatever the file held */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}
