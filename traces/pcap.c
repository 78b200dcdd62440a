/* traces/pcap: opening a capture, the classic pcap record reader, and the
 * delivery of a packet (link-type filter, relative time, counters) shared
 * with traces/pcapng.c.  Formats and limits: traces/pcap.h. */
#include "traces/pcap_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_HDR_LEN 24u
#define PCAP_REC_HDR_LEN 16u

bool trace_pcap_linktype_supported(uint32_t lt)
{
    switch (lt) {
    case TRACE_LINKTYPE_ETHERNET:
    case TRACE_LINKTYPE_RAW:
    case TRACE_LINKTYPE_LINUX_SLL:
    case TRACE_LINKTYPE_IPV4:
    case TRACE_LINKTYPE_IPV6:
    case TRACE_LINKTYPE_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

int pcap_read(trace_pcap_t *p, void *buf, size_t n, bool eof_ok, const char *what,
              uint64_t rec, uint64_t off, char *err, size_t errlen)
{
    int got = trace_file_read(p->f, buf, n);
    if (got < 0) {
        trace_file_err(p->f, err, errlen, rec, off, "%s", trace_file_error(p->f));
        return -1;
    }
    if (got == 0 && eof_ok)
        return 1;
    if ((size_t)got < n) {
        trace_file_err(p->f, err, errlen, rec, off, "truncated %s: %d of %zu bytes", what, got, n);
        return -1;
    }
    return 0;
}

int pcap_skip(trace_pcap_t *p, uint64_t n, const char *what, uint64_t rec, uint64_t off,
              char *err, size_t errlen)
{
    int r = trace_file_skip(p->f, n);
    if (r < 0) {
        trace_file_err(p->f, err, errlen, rec, off, "%s", trace_file_error(p->f));
        return -1;
    }
    if (r > 0) {
        trace_file_err(p->f, err, errlen, rec, off, "truncated %s: the file ends at offset %llu",
                       what, (unsigned long long)trace_file_offset(p->f));
        return -1;
    }
    return 0;
}

/* ps from the time origin; false when beyond 2^64 ps. */
static bool rel_time(const trace_pcap_t *p, int64_t sec, uint64_t psec, uint64_t *t)
{
    uint64_t ds = (uint64_t)sec - (uint64_t)p->first_sec; /* sec >= first_sec */
    uint64_t dp;
    if (psec >= p->first_psec) {
        dp = psec - p->first_psec;
    } else {
        ds -= 1;
        dp = psec + PCAP_PS_PER_S - p->first_psec;
    }
    if (ds > (UINT64_MAX - dp) / PCAP_PS_PER_S)
        return false;
    *t = ds * PCAP_PS_PER_S + dp;
    return true;
}

int pcap_deliver(trace_pcap_t *p, const pcap_rec_t *r, trace_pkt_t *out, uint64_t rec,
                 uint64_t off, char *err, size_t errlen)
{
    p->st.records++;
    if (!trace_pcap_linktype_supported(r->ifc->linktype)) {
        p->st.skipped_linktype++;
        return 0;
    }
    uint64_t t = 0;
    if (r->timed && !p->have_first) {
        p->have_first = true;
        p->first_sec = r->sec;
        p->first_psec = r->psec;
    }
    if (r->timed) {
        if (r->sec < p->first_sec || (r->sec == p->first_sec && r->psec < p->first_psec)) {
            p->st.ts_before_first++;
        } else if (!rel_time(p, r->sec, r->psec, &t)) {
            trace_file_err(p->f, err, errlen, rec, off,
                           "timestamp more than 2^64 ps (213 days) after the first packet");
            return -1;
        }
    }
    p->st.packets++;
    if (r->caplen < r->origlen)
        p->st.truncated++;
    *out = (trace_pkt_t){
        .t_ps = t,
        .caplen = r->caplen,
        .origlen = r->origlen,
        .linktype = r->ifc->linktype,
        .data = p->data,
        .ts_sec = r->timed ? r->sec : 0,
        .ts_psec = r->timed ? r->psec : 0,
        .iface = r->iface,
        .fcs_len = r->ifc->fcs_len < r->caplen ? r->ifc->fcs_len : 0,
    };
    return 1;
}

/* ---------------------------------------------------------------- classic pcap */

static int pcap_header(trace_pcap_t *p, const uint8_t magic[4], char *err, size_t errlen)
{
    static const struct { uint8_t m[4]; bool big, nano; } kinds[] = {
        {{0xd4, 0xc3, 0xb2, 0xa1}, false, false},
        {{0xa1, 0xb2, 0xc3, 0xd4}, true, false},
        {{0x4d, 0x3c, 0xb2, 0xa1}, false, true},
        {{0xa1, 0xb2, 0x3c, 0x4d}, true, true},
    };
    size_t k = 0;
    while (k < 4 && memcmp(magic, kinds[k].m, 4) != 0)
        k++;
    if (k == 4) {
        trace_file_err(p->f, err, errlen, 0, 0,
                       "not a pcap or pcapng file (magic %02x %02x %02x %02x)", magic[0],
                       magic[1], magic[2], magic[3]);
        return -1;
    }
    p->big = kinds[k].big;
    p->nano = kinds[k].nano;
    uint8_t h[PCAP_HDR_LEN - 4];
    if (pcap_read(p, h, sizeof h, false, "pcap file header", 0, 4, err, errlen) < 0)
        return -1;
    uint16_t major = pcap_get16(h, p->big), minor = pcap_get16(h + 2, p->big);
    if (major != 2) {
        trace_file_err(p->f, err, errlen, 0, 4, "unsupported pcap version %u.%u (2.x expected)",
                       major, minor);
        return -1;
    }
    uint32_t network = pcap_get32(h + 16, p->big);
    p->pcap_if = (pcap_iface_t){
        .linktype = network & 0x03FFFFFFu, /* libpcap LT_LINKTYPE() */
        .snaplen = pcap_get32(h + 12, p->big),
        /* LT_FCS_LENGTH_PRESENT / LT_FCS_LENGTH: 16-bit words */
        .fcs_len = network & 0x04000000u ? ((network >> 28) & 0xFu) * 2u : 0,
        .res_exp = p->nano ? 9 : 6,
    };
    return 0;
}

static int pcap_next_classic(trace_pcap_t *p, trace_pkt_t *out, char *err, size_t errlen)
{
    for (;;) {
        uint64_t off = trace_file_offset(p->f), rec = p->rec_no + 1;
        uint8_t h[PCAP_REC_HDR_LEN];
        int r = pcap_read(p, h, sizeof h, true, "record header", rec, off, err, errlen);
        if (r != 0)
            return r > 0 ? 0 : -1;
        p->rec_no = rec;
        uint32_t sec = pcap_get32(h, p->big), frac = pcap_get32(h + 4, p->big);
        uint32_t incl = pcap_get32(h + 8, p->big), orig = pcap_get32(h + 12, p->big);
        uint32_t snap = p->pcap_if.snaplen;
        const char *bad = NULL;
        if (incl > TRACE_PCAP_MAX_CAPLEN)
            bad = "exceeds the 262144-byte limit";
        else if (snap != 0 && incl > snap)
            bad = "exceeds the file's snapshot length";
        else if (incl > orig)
            bad = "exceeds the original length";
        if (bad) {
            trace_file_err(p->f, err, errlen, rec, off,
                           "captured length %u %s (snaplen %u, original length %u)", incl, bad,
                           snap, orig);
            return -1;
        }
        if (pcap_read(p, p->data, incl, false, "packet data", rec, off, err, errlen) < 0)
            return -1;
        uint64_t div = p->nano ? 1000000000u : 1000000u, mul = PCAP_PS_PER_S / div;
        pcap_rec_t pr = {
            .timed = true,
            .sec = (int64_t)sec + (int64_t)(frac / div),
            .psec = (frac % div) * mul,
            .ifc = &p->pcap_if,
            .caplen = incl,
            .origlen = orig,
        };
        r = pcap_deliver(p, &pr, out, rec, off, err, errlen);
        if (r != 0)
            return r;
    }
}

/* ---------------------------------------------------------------- API */

trace_pcap_t *trace_pcap_open(const char *path, char *err, size_t errlen)
{
    trace_pcap_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "%s: cannot open: out of memory", path);
        return NULL;
    }
    p->f = trace_file_open(path, err, errlen);
    if (!p->f)
        goto fail;
    p->data = malloc(TRACE_PCAP_MAX_CAPLEN);
    if (!p->data) {
        snprintf(err, errlen, "%s: cannot open: out of memory", path);
        goto fail;
    }
    uint8_t magic[4];
    int n = trace_file_read(p->f, magic, 4);
    if (n < 0) {
        trace_file_err(p->f, err, errlen, 0, 0, "%s", trace_file_error(p->f));
        goto fail;
    }
    if (n < 4) {
        trace_file_err(p->f, err, errlen, 0, 0, "not a capture: the file has %d bytes", n);
        goto fail;
    }
    static const uint8_t ng_magic[4] = {0x0a, 0x0d, 0x0d, 0x0a};
    p->ng = memcmp(magic, ng_magic, 4) == 0;
    if (p->ng ? pcapng_open(p, err, errlen) : pcap_header(p, magic, err, errlen))
        goto fail;
    return p;
fail:
    trace_pcap_close(p);
    return NULL;
}

int trace_pcap_next(trace_pcap_t *p, trace_pkt_t *out, char *err, size_t errlen)
{
    return p->ng ? pcapng_next(p, out, err, errlen) : pcap_next_classic(p, out, err, errlen);
}

const trace_pcap_stats_t *trace_pcap_stats(const trace_pcap_t *p)
{
    return &p->st;
}

bool trace_pcap_is_ng(const trace_pcap_t *p)
{
    return p->ng;
}

void trace_pcap_close(trace_pcap_t *p)
{
    if (!p)
        return;
    trace_file_close(p->f);
    free(p->ifs);
    free(p->data);
    free(p);
}
