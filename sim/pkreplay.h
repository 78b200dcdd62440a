/* sim/pkreplay: a packet capture replayed into the host's NIC
 * (load.kind "pcap").
 *
 * The capture (pcap or pcapng, gzip allowed: traces/pcap.h) is read once
 * when the experiment is built, so a damaged file is bad input before the
 * run starts; the run then streams it again.  Each supported packet
 * becomes an Ethernet frame (raw IP and Linux SLL get an Ethernet header:
 * trace_pkt_to_ether) whose first bit leaves the far end at
 *   t_start + (loop * period + t_recorded - t_first) / time_scale,
 * paced by the link: a frame starts no earlier than the previous one's
 * slot ended (counted `paced`).  period = the capture's span plus its mean
 * gap (span / (packets - 1); 1 us for a single packet), so loops follow
 * each other at the capture's own rhythm.
 *
 * Headers made up for raw IP and SLL packets go from src_mac to the host.
 * Rewriting (rewrite_dst): the destination MAC becomes the host's; an
 * IPv4 packet's destination address too, with the IPv4 header checksum
 * and a TCP or (non-zero) UDP checksum updated incrementally (RFC 1624,
 * eqn. 3), so the host sees valid packets addressed to it.
 *
 * Counted, never crashed on: link types the reader skips
 * (skipped_linktype, per pass of the capture), frames longer than the NIC's largest frame
 * (oversize: not sent), packets cut by the capture's snaplen (truncated:
 * sent as captured), frames the Ethernet conversion refuses (unusable). */
#ifndef PARASIM_SIM_PKREPLAY_H
#define PARASIM_SIM_PKREPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pkreplay_cfg {
    const char *path;
    double time_scale;          /* > 0 */
    unsigned loops;             /* >= 1 */
    bool rewrite_dst;
    uint8_t host_mac[6], host_ip[4], src_mac[6];
    size_t max_frame;           /* without FCS */
    uint64_t t_start_ps;
    uint64_t ps_per_byte, ifg_ps; /* the link (max(len, 60) + 24 bytes a frame) */
} pkreplay_cfg_t;

typedef struct pkreplay_stats {
    uint64_t records;           /* packet records in one pass of the capture */
    uint64_t packets;           /* of them, of a supported link type */
    uint64_t sent;              /* frames put on the wire, all loops */
    uint64_t skipped_linktype, oversize, truncated, unusable, paced;
    uint64_t rewritten;         /* IPv4 destinations rewritten */
    unsigned loops_done;
    uint64_t span_ps;           /* last - first packet time, recorded */
} pkreplay_stats_t;

typedef struct pkreplay pkreplay_t;

/* NULL with a one-line message (the file, record and offset). */
pkreplay_t *pkreplay_open(const pkreplay_cfg_t *cfg, char *err, size_t errlen);
/* The next frame (buf of cap bytes, at least max_frame): 1 with its
 * length and its first and last bit on the wire, 0 at the end, -1 with a
 * message when the file changed under the run. */
int pkreplay_next(pkreplay_t *p, uint8_t *buf, size_t cap, size_t *len, uint64_t *t_first,
                  uint64_t *t_last, char *err, size_t errlen);
const pkreplay_stats_t *pkreplay_stats(const pkreplay_t *p);
void pkreplay_close(pkreplay_t *p);

#endif
