/* sim/tlrec_int.h: the recorder's state, shared by sim/tlrec.c (tracks,
 * spans, counters, window, writer) and sim/tlrec_dev.c (the machine's
 * cores and devices, the client).  Private to sim/; the contract is
 * sim/tlrec.h. */
#ifndef PARASIM_SIM_TLREC_INT_H
#define PARASIM_SIM_TLREC_INT_H

#include "sim/tlrec.h"
#include "traces/timeline.h"

/* Per track: the last time written (the order guard) and, for a counter,
 * its sampling state (sim/tlrec.h "Counters are written when they
 * change"). */
typedef struct tlr_track {
    sim_time_t last;            /* last record's time (a span's end) */
    sim_time_t t;               /* counter: the pending sample's time */
    int64_t v;                  /*          its value */
    int64_t pre_v;              /*          the last value before the window */
    int64_t last_v;             /*          the last value written */
    bool pend, pre, written;
} tlr_track_t;

struct tlrec_core {
    tl_span_t span;             /* the span being extended (when has) */
    bool has;
    bool polling;               /* a poll period is open ... */
    sim_time_t cursor;          /* ... and its time is counted from here */
    uint32_t gen, sgen;         /* causes set so far; gen when span began */
    uint8_t kwhat;              /* TL_WHAT_BOOT until a system call */
    uint16_t pid;               /* the core's process, TL_NO_PID: none */
    uint32_t track;
    uint64_t uarg, karg, iarg;  /* user, kernel, irq span arguments */
    tlrec_t *rec;
};

struct tlrec {
    tl_writer_t *w;
    sim_t *sim;
    sim_time_t from, to;
    sim_time_t res;             /* counter resolution, ps (0: every change) */
    char path[4096];
    unsigned ncores;
    tlrec_core_t *core;         /* [ncores] */
    tlr_track_t *trk;           /* [ntracks] */
    uint32_t ntracks;
    /* track ids (sim/tlrec.h's order) */
    unsigned nic_queues, nvme_queues;
    uint32_t nic_base;          /* queue q: +4q rxq, +1 fill, +2 txq, +3 fill */
    uint32_t iommu_track;       /* UINT32_MAX: none */
    uint32_t nvme_base;         /* qid: +2(qid - 1) instants, +1 depth */
    uint32_t client_track;      /* UINT32_MAX: none */
    /* what was attached (detached at close) */
    struct cpu *cores;
    unsigned nattached;
    struct machine *m;
    /* figures and the first error */
    uint64_t spans, instants, counters, reordered;
    bool failed;
    char msg[4400];
};

#define TLR_NONE UINT32_MAX

void tlr_instant(tlrec_t *r, uint32_t track, tl_instant_kind_t kind, uint64_t arg);
void tlr_counter(tlrec_t *r, uint32_t track, int64_t v);
/* tlrec_dev.c: remove the observers tlrec_attach_machine installed. */
void tlrec_detach_devices(tlrec_t *r);

#endif
