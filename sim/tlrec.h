/* sim/tlrec: the timeline recorder (outputs.timeline, `parasim run
 * --timeline FILE`): what a run's cores and devices did, over simulated
 * time, written through traces/timeline.h's writer.
 *
 * What it owns: the writer (FILE.tmp, renamed at a successful close), the
 * tracks, and per core the span being extended.  Tracks, in id order:
 *   core N                 one per core, labelled with its process's name
 *                          ("kvs3"; empty without one): spans;
 * with a machine (tlrec_cfg_t.nic_queues, .nvme_queues):
 *   nic rxq N              instants: rx_frame, drop, doorbell (RDT);
 *   nic rxq N fill         counter: RX descriptors the host holds (NIC
 *                          view, devices/nic.h: frames not yet replaced);
 *   nic txq N              instants: tx_frame, doorbell (TDT);
 *   nic txq N fill         counter: TX descriptors posted, not completed;
 *   iommu                  instants: iommu_fault (arg: requester id);
 *   nvme q N               instants: doorbell (SQ tail), nvme_cqe;
 *   nvme sq N depth        counter: commands of SQ N in flight;
 * with a client (tlrec_cfg_t.client):
 *   client outstanding     counter: requests that reached the host's NIC
 *                          and whose answer has not left it (sampled when
 *                          a request's last bit arrives, when the NIC
 *                          commits an answer, when the client gives up).
 *
 * Spans.  Every charge of CPU time (sim/cpu.h cpu_charge) on a core that
 * has a recorder (cpu_t.tl) becomes a span [start, start + ps) in its
 * mode, with a cause set beforehand by whoever knows it:
 *   user    the core's process, TL_WHAT_APP, arg: the request id the
 *           ideal kernel serves (tlrec_request) or 0;
 *   kernel  TL_WHAT_BOOT (no pid) until the core's first system call,
 *           then TL_WHAT_SYSCALL with the SQEs submitted (tlrec_syscall);
 *   irq     TL_WHAT_IRQ with the vector (tlrec_irq);
 *   poll    TL_WHAT_POLL: sim/proc.c books poll time without cpu_charge,
 *           so it says when a poll period begins (tlrec_poll_begin) and
 *           is booked (tlrec_poll_book): the gaps between the charges made
 *           meanwhile become poll spans -- the same total proc.c adds to
 *           the core's poll account.
 * Consecutive spans of a core with the same mode, cause and no gap merge
 * into one; a span is written when one that cannot merge follows (or at
 * close), so per core spans are in time order and never overlap.
 * Zero-length charges leave no span.
 *
 * Window [from, to) in simulated ps (outputs.timeline_from_us/_to_us):
 * nothing outside it is written; spans are clipped to it; a counter's
 * value when the window opens is written at `from` (its last sample
 * before, if any).
 *
 * Counters are written when they change, at most once per period of
 * counter_ps (outputs.timeline_counter_ns; periods are [k, k + 1) x
 * counter_ps of absolute time, so a window sees the same samples as the
 * whole run): of the changes within a period, the last one stands, at its
 * own time; 0 keeps every change (samples at one instant still keep the
 * last value).  A value equal to the last written is not written again.
 * So the counter is exact at each sample and at every period's end, and
 * a change within a period that a later change of the same period undoes
 * is not seen: at 1 us (the default) a ring's fill is shown per us, its
 * every frame is still an instant.
 *
 * Cost.  Off: one NULL test per charge and per device event.  On: a call
 * per charge (mostly a merge) and a record per span, instant and counter
 * sample; the writer deflates in a thread of its own (traces/timeline.h).
 * make bench (tests/bench/bench_tlrec.c): echo.json 1.18x wall, 1.17x
 * the simulation thread's CPU (1.8x the process's, both threads);
 * kvs-zipf-8core.json 1.16x, 1.15x (1.6x).  Recording never changes the
 * simulation: it reads, it schedules no event.
 *
 * Errors: tlrec_open fails (NULL, message) when the file cannot be
 * created; a refused record or a write error is remembered (the first
 * one) and recording stops; tlrec_close reports it (-1, message, the
 * file removed), so the run fails (exit 1) with its results written. */
#ifndef PARASIM_SIM_TLREC_H
#define PARASIM_SIM_TLREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

struct machine;
struct cpu;

typedef struct tlrec tlrec_t;
typedef struct tlrec_core tlrec_core_t;

typedef struct tlrec_cfg {
    const char *path;           /* the timeline file */
    sim_time_t from_ps, to_ps;  /* the window; to_ps SIM_TIME_MAX: to the end */
    sim_time_t counter_ps;      /* counter resolution (above); 0: every change */
    unsigned cores;
    const char *const *labels;  /* [cores]: each core's process name, or NULL */
    const unsigned *pids;       /* [cores]: each core's pid (-1u: none), or NULL */
    unsigned nic_queues;        /* NIC queue tracks 0..n-1 (0: none) */
    unsigned nvme_queues;       /* NVMe queue tracks 1..n (0: none) */
    bool machine;               /* the iommu track */
    bool client;                /* the client outstanding track */
    const char *const *meta;    /* key, value pairs, NULL-terminated, or NULL */
} tlrec_cfg_t;

typedef struct tlrec_stats {
    char file[4096];
    uint64_t spans, instants, counters;
    uint64_t bytes;             /* the file's size after close */
    uint64_t reordered;         /* records the recorder had to clamp to keep
                                 * a track in order: 0 unless a caller
                                 * breaks its time contract (tests check) */
} tlrec_stats_t;

/* NULL with a one-line message ("FILE: why"). */
tlrec_t *tlrec_open(sim_t *sim, const tlrec_cfg_t *cfg, char *err, size_t errlen);
/* Record charges of cores[0..n) (n <= cfg.cores): sets their cpu_t.tl. */
void tlrec_attach_cores(tlrec_t *r, struct cpu *cores, unsigned n);
/* Record m's cores and devices (observers on the NIC, NVMe, IOMMU). */
void tlrec_attach_machine(tlrec_t *r, struct machine *m);
/* Write what is pending, detach, close (rename into place); 0, or -1
 * with the message (the first error met while recording, or the
 * writer's).  stats (may be NULL) filled either way.  r is freed. */
int tlrec_close(tlrec_t *r, tlrec_stats_t *stats, char *err, size_t errlen);
/* Give up: detach, remove FILE.tmp, free.  NULL is fine. */
void tlrec_abort(tlrec_t *r);

/* ---------------------------------------------------------------- causes and spans
 * Called only when the core has a recorder (cpu_t.tl != NULL). */
void tlrec_charge(tlrec_core_t *c, sim_time_t start, sim_time_t ps, unsigned mode);
void tlrec_syscall(tlrec_core_t *c, uint64_t sqes);
void tlrec_irq(tlrec_core_t *c, unsigned vector);
void tlrec_request(tlrec_core_t *c, uint64_t id);
/* A poll period starts at t; tlrec_poll_book books it up to now (poll
 * spans in the gaps), and ends it unless go_on. */
void tlrec_poll_begin(tlrec_core_t *c, sim_time_t t);
void tlrec_poll_book(tlrec_core_t *c, sim_time_t now, bool go_on);

/* The client outstanding counter, at sim_now (ignored without the track). */
void tlrec_client(tlrec_t *r, int64_t outstanding);

#endif
