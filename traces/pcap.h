/* traces/pcap: packet captures in, packet captures out.
 *
 * Reader.  trace_pcap_open() tells the format by its first four bytes, not
 * by the file name (and reads .gz transparently, traces/tfile.h):
 *   - pcap (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html,
 *     libpcap's savefile.c): magic a1b2c3d4 (µs timestamps) or a1b23c4d
 *     (ns), in either byte order; version 2.x.  The header's snaplen is
 *     honoured: a record with caplen > snaplen is an error (a snaplen of 0
 *     means "no limit").  The link type's FCS bits (LT_FCS_LENGTH_PRESENT,
 *     bits 26..31 of the network field) give pkt.fcs_len.
 *   - pcapng (draft-ietf-opsawg-pcapng-03): Section Header Blocks in either
 *     byte order (each new SHB forgets the interfaces of the previous
 *     section), Interface Description Blocks (link type, snaplen, options
 *     if_tsresol in both its 10^-k and 2^-k forms, if_tsoffset), Enhanced
 *     Packet Blocks (the interface must exist), Simple Packet Blocks
 *     (interface 0; no timestamp, so they take the previous packet's), the
 *     obsolete Packet Block (type 2).  Other blocks are skipped by their
 *     length and counted (blocks_skipped).  A block's total length must be
 *     a multiple of 4, at least 12, and equal to its trailing copy.
 * Limits, so a damaged file can never cause a huge allocation: a packet's
 * caplen is at most TRACE_PCAP_MAX_CAPLEN (256 KiB) and at most its origlen
 * (both checked, errors otherwise); an IDB at most 64 KiB.
 *
 * Time.  A uint64_t of picoseconds holds 213 days, far less than "since
 * 1970", so t_ps is RELATIVE: picoseconds since the first packet record
 * returned (which has t_ps = 0).  The absolute time as recorded is
 * ts_sec (seconds since the epoch, pcapng's if_tsoffset included) plus
 * ts_psec picoseconds.  The conversion is integer-only and exact whenever
 * the resolution is a whole number of picoseconds (µs, ns, 10^-k with
 * k <= 12); finer decimal resolutions and 2^-k ones are truncated toward
 * zero to the picosecond.  A fraction field of 10^6 µs / 10^9 ns or more
 * carries into the seconds.  A packet earlier than the first one gets
 * t_ps = 0 and is counted (ts_before_first); one more than 2^64 ps after
 * it is an error.  pcap's thiszone field is ignored (0 in practice).
 *
 * Supported link types: 1 Ethernet, 101 raw IP, 228 IPv4, 229 IPv6,
 * 113 Linux SLL, 276 Linux SLL2.  Records of other types are read, counted
 * (skipped_linktype) and not returned.
 *
 * Errors: -1 and one line, "FILE: record N (offset O): what" (tfile.h):
 * for pcap N is the packet record, for pcapng the block number (the first
 * SHB is block 1); the file header is "header".  A cut record, a gzip
 * error, a bad length: all errors, never a silent end.
 *
 * Writer.  trace_pcapw_*: classic pcap, little-endian, nanosecond magic
 * a1b23c4d, version 2.4, LINKTYPE_ETHERNET, written to PATH.tmp and
 * renamed to PATH by a successful trace_pcapw_close() (a failed or aborted
 * run leaves no file at PATH); PATH ending in ".gz" is gzip-compressed.
 * The output is a function of the calls only (gzip header without a
 * time stamp): the same run writes the same bytes. */
#ifndef PARASIM_TRACES_PCAP_H
#define PARASIM_TRACES_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_LINKTYPE_ETHERNET 1u
#define TRACE_LINKTYPE_RAW 101u
#define TRACE_LINKTYPE_LINUX_SLL 113u
#define TRACE_LINKTYPE_IPV4 228u
#define TRACE_LINKTYPE_IPV6 229u
#define TRACE_LINKTYPE_LINUX_SLL2 276u

#define TRACE_PCAP_MAX_CAPLEN (256u * 1024u) /* bytes: libpcap's MAXIMUM_SNAPLEN */
#define TRACE_PCAP_DEFAULT_SNAPLEN 262144u   /* writer snaplen 0 means this */

typedef struct trace_pkt {
    uint64_t t_ps;          /* ps since the first packet returned (see "Time") */
    uint32_t caplen, origlen;
    uint32_t linktype;      /* LINKTYPE_* of the packet's interface */
    const uint8_t *data;    /* caplen bytes, valid until the next call */
    /* additions */
    int64_t ts_sec;         /* absolute time as recorded: seconds since the epoch */
    uint64_t ts_psec;       /* ... plus this many ps (< 10^12) */
    uint32_t iface;         /* pcapng interface id (0 for pcap) */
    uint32_t fcs_len;       /* bytes of FCS at the end of data (usually 0) */
} trace_pkt_t;

typedef struct trace_pcap_stats {
    uint64_t records;          /* packet records read (all link types) */
    uint64_t packets;          /* returned to the caller (supported link types) */
    uint64_t skipped_linktype; /* records of unsupported link types (skipped, counted) */
    uint64_t truncated;        /* returned packets with caplen < origlen */
    uint64_t blocks_skipped;   /* pcapng blocks of unknown/unused types */
    /* additions */
    uint64_t ts_before_first;  /* returned packets earlier than the first (t_ps = 0) */
} trace_pcap_stats_t;

typedef struct trace_pcap trace_pcap_t;

/* NULL and one line in err (cannot open, not a capture, bad header). */
trace_pcap_t *trace_pcap_open(const char *path, char *err, size_t errlen);
/* 1 a packet in *out, 0 the end of the capture (and again on later
 * calls), -1 an error (then only trace_pcap_stats() and close). */
int trace_pcap_next(trace_pcap_t *p, trace_pkt_t *out, char *err, size_t errlen);
const trace_pcap_stats_t *trace_pcap_stats(const trace_pcap_t *p);
bool trace_pcap_is_ng(const trace_pcap_t *p);
void trace_pcap_close(trace_pcap_t *p);

/* addition: true for the link types trace_pcap_next() returns. */
bool trace_pcap_linktype_supported(uint32_t linktype);

/* The packet as an Ethernet II frame without FCS, into out (cap bytes):
 * Ethernet (1) as is (minus fcs_len; at least 14 bytes); raw IP (101: type
 * from the version nibble, 4 -> 0x0800, 6 -> 0x86DD; 228 -> 0x0800;
 * 229 -> 0x86DD) behind a synthetic header dst_mac, src_mac, type; Linux
 * SLL (113, 16-byte header) and SLL2 (276, 20-byte header) behind the same
 * synthetic MACs with the SLL protocol type (which must be an EtherType,
 * >= 0x0600).  Returns the frame length, or -1: unsupported link type,
 * malformed (shorter than its header, unknown IP version, empty), or cap
 * too small. */
int trace_pkt_to_ether(const trace_pkt_t *pkt, const uint8_t src_mac[6],
                       const uint8_t dst_mac[6], uint8_t *out, size_t cap);

/* ---------------------------------------------------------------- writer */

typedef struct trace_pcapw trace_pcapw_t;

/* snaplen 0 = TRACE_PCAP_DEFAULT_SNAPLEN.  NULL and one line in err. */
trace_pcapw_t *trace_pcapw_open(const char *path, uint32_t snaplen, char *err, size_t errlen);
/* One frame: ns timestamp t_ps / 1000 (truncated; any uint64_t of ps is
 * under 2^25 s, so the 32-bit seconds field always holds it), caplen =
 * min(len, snaplen), origlen = len.  0 ok, -1 error (remembered; close
 * reports it): len > UINT32_MAX, a write error. */
int trace_pcapw_write(trace_pcapw_t *w, uint64_t t_ps, const uint8_t *frame, size_t len);
/* Flush, close, rename PATH.tmp to PATH; on any error (this one or an
 * earlier write's) remove PATH.tmp and return -1 with one line.  Frees w. */
int trace_pcapw_close(trace_pcapw_t *w, char *err, size_t errlen);
uint64_t trace_pcapw_count(const trace_pcapw_t *w);
/* addition: give up (a failed run): remove PATH.tmp, free w.  NULL is ok. */
void trace_pcapw_abort(trace_pcapw_t *w);

#endif
