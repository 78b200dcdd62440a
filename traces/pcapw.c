/* traces/pcapw: the pcap writer (contract in traces/pcap.h).
 *
 * Layout written (draft-ietf-opsawg-pcap sections 4 and 5), every field
 * little-endian whatever the host: magic a1b23c4d (ns), version 2.4,
 * thiszone 0, sigfigs 0, snaplen, network 1 (Ethernet); then per frame
 * seconds, nanoseconds, captured length, original length, the bytes.
 * Plain files go through zlib's transparent writer ("wbT") so that one
 * code path writes both; a ".gz" path is compressed at level 6. */
#include "traces/pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct trace_pcapw {
    gzFile gz;
    char *path, *tmp;
    uint32_t snaplen;
    uint64_t count;
    char msg[192];      /* the first error, "" if none */
};

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int put(trace_pcapw_t *w, const void *buf, size_t n)
{
    if (w->msg[0])
        return -1;
    if (n > 0 && gzwrite(w->gz, buf, (unsigned)n) != (int)n) {
        int errnum = 0;
        const char *m = gzerror(w->gz, &errnum);
        snprintf(w->msg, sizeof w->msg, "%s: write error: %s", w->path,
                 errnum == Z_ERRNO ? strerror(errno) : m);
        return -1;
    }
    return 0;
}

static void release(trace_pcapw_t *w)
{
    free(w->path);
    free(w->tmp);
    free(w);
}

trace_pcapw_t *trace_pcapw_open(const char *path, uint32_t snaplen, char *err, size_t errlen)
{
    trace_pcapw_t *w = calloc(1, sizeof *w);
    size_t n = strlen(path);
    if (w) {
        w->path = strdup(path);
        w->tmp = malloc(n + 5);
    }
    if (!w || !w->path || !w->tmp) {
        snprintf(err, errlen, "%s: cannot create: out of memory", path);
        if (w)
            release(w);
        return NULL;
    }
    memcpy(w->tmp, path, n);
    memcpy(w->tmp + n, ".tmp", 5);
    w->snaplen = snaplen ? snaplen : TRACE_PCAP_DEFAULT_SNAPLEN;
    errno = 0;
    w->gz = gzopen(w->tmp, ends_with(path, ".gz") ? "wb6" : "wbT");
    if (!w->gz) {
        snprintf(err, errlen, "%s: cannot create: %s", w->tmp,
                 errno ? strerror(errno) : "zlib failed");
        release(w);
        return NULL;
    }
    uint8_t h[24] = {0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0}; /* magic, 2.4, zone 0, sigfigs 0 */
    put32(h + 16, w->snaplen);
    put32(h + 20, TRACE_LINKTYPE_ETHERNET);
    if (put(w, h, sizeof h) < 0) {
        snprintf(err, errlen, "%s", w->msg);
        trace_pcapw_abort(w);
        return NULL;
    }
    return w;
}

int trace_pcapw_write(trace_pcapw_t *w, uint64_t t_ps, const uint8_t *frame, size_t len)
{
    if (w->msg[0])
        return -1;
    uint64_t ns = t_ps / 1000u, sec = ns / 1000000000u;
    if (sec > UINT32_MAX || len > UINT32_MAX) {
        snprintf(w->msg, sizeof w->msg, "%s: frame %llu: %s does not fit pcap's 32-bit field",
                 w->path, (unsigned long long)w->count + 1, sec > UINT32_MAX ? "time" : "length");
        return -1;
    }
    uint32_t cap = len < w->snaplen ? (uint32_t)len : w->snaplen;
    uint8_t h[16];
    put32(h, (uint32_t)sec);
    put32(h + 4, (uint32_t)(ns % 1000000000u));
    put32(h + 8, cap);
    put32(h + 12, (uint32_t)len);
    if (put(w, h, sizeof h) < 0 || put(w, frame, cap) < 0)
        return -1;
    w->count++;
    return 0;
}

int trace_pcapw_close(trace_pcapw_t *w, char *err, size_t errlen)
{
    int zr = gzclose_w(w->gz);
    w->gz = NULL;
    if (!w->msg[0] && zr != Z_OK)
        snprintf(w->msg, sizeof w->msg, "%s: write error: %s", w->path,
                 zr == Z_ERRNO ? strerror(errno) : "zlib failed");
    if (!w->msg[0] && rename(w->tmp, w->path) != 0)
        snprintf(w->msg, sizeof w->msg, "%s: cannot rename %s: %s", w->path, w->tmp,
                 strerror(errno));
    int rc = 0;
    if (w->msg[0]) {
        snprintf(err, errlen, "%s", w->msg);
        remove(w->tmp);
        rc = -1;
    }
    release(w);
    return rc;
}

uint64_t trace_pcapw_count(const trace_pcapw_t *w)
{
    return w->count;
}

void trace_pcapw_abort(trace_pcapw_t *w)
{
    if (!w)
        return;
    if (w->gz)
        gzclose_w(w->gz);
    remove(w->tmp);
    release(w);
}
