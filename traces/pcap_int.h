/* traces/pcap_int.h: internals shared by pcap.c (open, classic pcap, the
 * delivery of a packet) and pcapng.c (the block reader).  Not an API. */
#ifndef PARASIM_TRACES_PCAP_INT_H
#define PARASIM_TRACES_PCAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traces/pcap.h"
#include "traces/tfile.h"

#define PCAP_PS_PER_S 1000000000000ull
#define PCAPNG_IDB_MAX (64u * 1024u) /* longest Interface Description Block */
#define PCAPNG_MAX_IFACES 65536u

/* One pcapng interface (classic pcap: the file's only one). */
typedef struct pcap_iface {
    uint32_t linktype;
    uint32_t snaplen;      /* 0 = no limit */
    uint32_t fcs_len;      /* bytes */
    bool res_pow2;         /* resolution 2^-res_exp, else 10^-res_exp s */
    uint8_t res_exp;
    int64_t tsoffset;      /* seconds added to every timestamp */
} pcap_iface_t;

struct trace_pcap {
    trace_file_t *f;
    bool ng;
    bool big;              /* the file (section) is big-endian */
    bool nano;             /* classic pcap: ns timestamps */
    pcap_iface_t pcap_if;  /* classic pcap's interface */
    pcap_iface_t *ifs;     /* pcapng: the current section's interfaces */
    size_t n_if, cap_if;
    uint64_t rec_no;       /* classic: records read; pcapng: blocks read */
    bool have_last;        /* pcapng: a timed packet was seen (for SPBs) */
    int64_t last_sec;
    uint64_t last_psec;
    bool have_first;       /* the time origin is set */
    int64_t first_sec;
    uint64_t first_psec;
    uint8_t *data;         /* TRACE_PCAP_MAX_CAPLEN bytes */
    trace_pcap_stats_t st;
};

/* A packet about to be handed over (before the link-type filter). */
typedef struct pcap_rec {
    bool timed;            /* false: an SPB with no time known yet */
    int64_t sec;
    uint64_t psec;
    const pcap_iface_t *ifc;
    uint32_t iface;
    uint32_t caplen, origlen;
} pcap_rec_t;

static inline uint16_t pcap_get16(const uint8_t *b, bool big)
{
    return big ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
}

static inline uint32_t pcap_get32(const uint8_t *b, bool big)
{
    return big ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
               : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static inline uint64_t pcap_get64(const uint8_t *b, bool big)
{
    uint64_t a = pcap_get32(b, big), c = pcap_get32(b + 4, big);
    return big ? a << 32 | c : c << 32 | a;
}

/* Read exactly n bytes of `what`.  0 done, 1 the file ended before the
 * first byte (only when eof_ok), -1 error (cut, gzip) formatted into err
 * against record rec at offset off. */
int pcap_read(trace_pcap_t *p, void *buf, size_t n, bool eof_ok, const char *what,
              uint64_t rec, uint64_t off, char *err, size_t errlen);
/* Skip n bytes of `what`: 0 or -1 as pcap_read. */
int pcap_skip(trace_pcap_t *p, uint64_t n, const char *what, uint64_t rec, uint64_t off,
              char *err, size_t errlen);

/* Count the record; when its link type is supported fill *out (relative
 * time, stats) and return 1; unsupported: count and return 0; -1 on a
 * time out of range. */
int pcap_deliver(trace_pcap_t *p, const pcap_rec_t *r, trace_pkt_t *out, uint64_t rec,
                 uint64_t off, char *err, size_t errlen);

/* pcapng.c */
/* The first SHB, whose 4-byte type has been read at offset 0. */
int pcapng_open(trace_pcap_t *p, char *err, size_t errlen);
int pcapng_next(trace_pcap_t *p, trace_pkt_t *out, char *err, size_t errlen);

#endif
