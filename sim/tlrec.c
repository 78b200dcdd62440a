/* sim/tlrec: the timeline recorder -- tracks, spans with coalescing, the
 * window, counters, the writer (contract in sim/tlrec.h; the machine's
 * cores and devices are attached in sim/tlrec_dev.c).
 *
 * Order.  The writer refuses a record earlier than its track's previous
 * one; the recorder's callers keep time order by construction (a core's
 * charges serialise on its clock, devices report at sim_now), and every
 * record still passes an order guard: one that would go back in time is
 * clamped to the track's last time (and counted in `reordered`) rather
 * than lost or allowed to fail the run. */
#include "sim/tlrec_int.h"

#include "sim/cpu.h"
#include "sim/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* tlrec_charge takes sim/cpu.h's modes as timeline modes. */
_Static_assert((int)TL_USER == (int)CPU_USER && (int)TL_KERNEL == (int)CPU_KERNEL &&
                   (int)TL_IRQ == (int)CPU_IRQ && (int)TL_POLL == (int)CPU_POLL &&
                   (int)TL_IDLE == (int)CPU_IDLE,
               "timeline modes follow sim/cpu.h's");

/* ---------------------------------------------------------------- writer */

/* The first refused record stops recording (sim/tlrec.h "Errors"). */
static void put(tlrec_t *r, int rc, uint32_t track, const char *what)
{
    if (rc >= 0 || r->failed)
        return;
    r->failed = true;
    snprintf(r->msg, sizeof r->msg, "%s: the writer refused a %s on track %u", r->path, what,
             track);
}

static int add_track(tlrec_t *r, tl_track_kind_t kind, const char *label, const char *fmt,
                     unsigned n)
{
    char name[TL_NAME_MAX];
    snprintf(name, sizeof name, fmt, n);
    int id = tl_add_track(r->w, kind, name, label ? label : "");
    if (id < 0)
        return -1;
    r->ntracks = (uint32_t)id + 1;
    return id;
}

static int add_tracks(tlrec_t *r, const tlrec_cfg_t *cfg)
{
    for (unsigned c = 0; c < cfg->cores; c++)
        if (add_track(r, TL_TRACK_CORE, cfg->labels ? cfg->labels[c] : "", "core %u", c) < 0)
            return -1;
    r->nic_base = r->ntracks;
    for (unsigned q = 0; q < cfg->nic_queues; q++)
        if (add_track(r, TL_TRACK_INSTANT, NULL, "nic rxq %u", q) < 0 ||
            add_track(r, TL_TRACK_COUNTER, NULL, "nic rxq %u fill", q) < 0 ||
            add_track(r, TL_TRACK_INSTANT, NULL, "nic txq %u", q) < 0 ||
            add_track(r, TL_TRACK_COUNTER, NULL, "nic txq %u fill", q) < 0)
            return -1;
    r->iommu_track = TLR_NONE;
    if (cfg->machine && add_track(r, TL_TRACK_INSTANT, NULL, "iommu", 0) < 0)
        return -1;
    if (cfg->machine)
        r->iommu_track = r->ntracks - 1;
    r->nvme_base = r->ntracks;
    for (unsigned q = 1; q <= cfg->nvme_queues; q++)
        if (add_track(r, TL_TRACK_INSTANT, NULL, "nvme q %u", q) < 0 ||
            add_track(r, TL_TRACK_COUNTER, NULL, "nvme sq %u depth", q) < 0)
            return -1;
    r->client_track = TLR_NONE;
    if (cfg->client && add_track(r, TL_TRACK_COUNTER, NULL, "client outstanding", 0) < 0)
        return -1;
    if (cfg->client)
        r->client_track = r->ntracks - 1;
    return 0;
}

tlrec_t *tlrec_open(sim_t *sim, const tlrec_cfg_t *cfg, char *err, size_t errlen)
{
    if (!sim || !cfg || !cfg->path || !cfg->path[0] || !cfg->cores || cfg->to_ps <= cfg->from_ps) {
        snprintf(err, errlen, "%s: no file, no cores or an empty window",
                 cfg && cfg->path ? cfg->path : "timeline");
        return NULL;
    }
    tlrec_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", cfg->path);
        return NULL;
    }
    snprintf(r->path, sizeof r->path, "%s", cfg->path);
    r->sim = sim;
    r->from = cfg->from_ps;
    r->to = cfg->to_ps;
    r->res = cfg->counter_ps;
    r->nic_queues = cfg->nic_queues;
    r->nvme_queues = cfg->nvme_queues;
    r->w = results_prepare_parent(cfg->path, err, errlen)
               ? NULL
               : tl_writer_open(cfg->path, cfg->from_ps, cfg->to_ps, err, errlen);
    if (!r->w) {
        free(r);
        return NULL;
    }
    if (add_tracks(r, cfg) < 0) {
        snprintf(err, errlen, "%s: too many tracks (%u cores, %u NIC queues, %u NVMe queues)",
                 cfg->path, cfg->cores, cfg->nic_queues, cfg->nvme_queues);
        tl_writer_abort(r->w);
        free(r);
        return NULL;
    }
    for (const char *const *m = cfg->meta; m && m[0] && m[1]; m += 2)
        put(r, tl_add_meta(r->w, m[0], m[1]), 0, "meta record");
    r->trk = calloc(r->ntracks, sizeof *r->trk);
    r->ncores = cfg->cores;
    r->core = calloc(cfg->cores, sizeof *r->core);
    if (!r->trk || !r->core) {
        snprintf(err, errlen, "%s: out of memory", cfg->path);
        tlrec_abort(r);
        return NULL;
    }
    for (unsigned c = 0; c < cfg->cores; c++) {
        tlrec_core_t *k = &r->core[c];
        k->rec = r;
        k->track = c;
        k->pid = cfg->pids && cfg->pids[c] < TL_NO_PID ? (uint16_t)cfg->pids[c] : TL_NO_PID;
        k->kwhat = TL_WHAT_BOOT;
    }
    return r;
}

void tlrec_attach_cores(tlrec_t *r, struct cpu *cores, unsigned n)
{
    if (n > r->ncores)
        n = r->ncores;
    for (unsigned c = 0; c < n; c++)
        cores[c].tl = &r->core[c];
    r->cores = cores;
    r->nattached = n;
}

/* ---------------------------------------------------------------- spans */

/* Clip to the window, keep the track in order, write. */
static void span_out(tlrec_t *r, const tl_span_t *s0)
{
    tl_span_t s = *s0;
    if (s.t0 < r->from)
        s.t0 = r->from;
    if (s.t1 > r->to)
        s.t1 = r->to;
    tlr_track_t *k = &r->trk[s.track];
    if (s.t0 < k->last) {
        r->reordered++;
        s.t0 = k->last;
    }
    if (s.t1 <= s.t0 || r->failed)
        return;
    put(r, tl_add_span(r->w, &s), s.track, "span");
    k->last = s.t1;
    r->spans++;
}

/* Start a new span on the core (writing the one it had): the cause
 * comes from the mode (sim/tlrec.h "Spans") and is the core's current
 * one, remembered by its generation for the merge test. */
static void span_new(tlrec_core_t *c, sim_time_t t0, sim_time_t t1, unsigned mode)
{
    tl_span_t *p = &c->span;
    if (c->has)
        span_out(c->rec, p);
    uint16_t pid = c->pid;
    uint8_t what;
    uint64_t arg = 0;
    switch (mode) {
    case TL_USER: what = TL_WHAT_APP; arg = c->uarg; break;
    case TL_KERNEL:
        what = c->kwhat;
        arg = c->karg;
        pid = what == TL_WHAT_BOOT ? TL_NO_PID : pid;
        break;
    case TL_IRQ: what = TL_WHAT_IRQ; arg = c->iarg; break;
    case TL_POLL: what = TL_WHAT_POLL; break;
    default: mode = TL_IDLE; what = TL_WHAT_NONE; pid = TL_NO_PID; break;
    }
    *p = (tl_span_t){.t0 = t0, .t1 = t1, .arg = arg, .track = c->track, .pid = pid,
                     .mode = (uint8_t)mode, .what = what};
    c->sgen = c->gen;
    c->has = true;
}

/* [t0, t1) in mode: the same span when it follows it with no gap, in the
 * same mode, with no cause set since it began. */
static inline void span_add(tlrec_core_t *c, sim_time_t t0, sim_time_t t1, unsigned mode)
{
    if (t0 == c->span.t1 && c->has && c->span.mode == mode && c->sgen == c->gen)
        c->span.t1 = t1;
    else
        span_new(c, t0, t1, mode);
}

/* The poll time of an open period up to t: the gap since the cursor. */
static void poll_gap(tlrec_core_t *c, sim_time_t t)
{
    if (t > c->cursor)
        span_add(c, c->cursor, t, TL_POLL);
}

void tlrec_charge(tlrec_core_t *c, sim_time_t start, sim_time_t ps, unsigned mode)
{
    if (c->polling) {
        poll_gap(c, start);
        c->cursor = start + ps;
    }
    if (ps)
        span_add(c, start, start + ps, mode);
}

/* Cause setters: a new generation, so the next charge starts a span. */
void tlrec_syscall(tlrec_core_t *c, uint64_t sqes)
{
    c->kwhat = TL_WHAT_SYSCALL;
    c->karg = sqes;
    c->gen++;
}

void tlrec_irq(tlrec_core_t *c, unsigned vector)
{
    c->iarg = vector;
    c->gen++;
}

void tlrec_request(tlrec_core_t *c, uint64_t id)
{
    c->uarg = id;
    c->gen++;
}

void tlrec_poll_begin(tlrec_core_t *c, sim_time_t t)
{
    c->polling = true;
    c->cursor = t;
}

void tlrec_poll_book(tlrec_core_t *c, sim_time_t now, bool go_on)
{
    if (c->polling) {
        poll_gap(c, now);
        if (now > c->cursor)
            c->cursor = now;
    }
    c->polling = go_on;
}

/* ---------------------------------------------------------------- instants, counters */

void tlr_instant(tlrec_t *r, uint32_t track, tl_instant_kind_t kind, uint64_t arg)
{
    sim_time_t t = sim_now(r->sim);
    if (t < r->from || t >= r->to || r->failed)
        return;
    tlr_track_t *k = &r->trk[track];
    if (t < k->last) {
        r->reordered++;
        t = k->last;
    }
    tl_instant_t i = {.t = t, .arg = arg, .track = track, .kind = (uint8_t)kind};
    put(r, tl_add_instant(r->w, &i), track, "instant");
    k->last = t;
    r->instants++;
}

static void counter_write(tlrec_t *r, uint32_t track, sim_time_t t, int64_t v)
{
    tlr_track_t *k = &r->trk[track];
    if (k->written && v == k->last_v)
        return;
    if (t < k->last) {
        r->reordered++;
        t = k->last;
    }
    if (r->failed)
        return;
    tl_counter_t c = {.t = t, .value = v, .track = track};
    put(r, tl_add_counter(r->w, &c), track, "counter");
    k->last = t;
    k->last_v = v;
    k->written = true;
    r->counters++;
}

/* Write the pending sample, or keep it as the value before the window. */
static void counter_flush(tlrec_t *r, uint32_t track)
{
    tlr_track_t *k = &r->trk[track];
    k->pend = false;
    if (k->t < r->from) {
        k->pre = true;
        k->pre_v = k->v;
        return;
    }
    if (k->pre && !k->written && k->t > r->from && r->from < r->to)
        counter_write(r, track, r->from, k->pre_v);
    if (k->t < r->to)
        counter_write(r, track, k->t, k->v);
}

/* A sample replaces the pending one of the same period (the same
 * instant when there is no resolution): the last change stands. */
void tlr_counter(tlrec_t *r, uint32_t track, int64_t v)
{
    tlr_track_t *k = &r->trk[track];
    sim_time_t t = sim_now(r->sim);
    if (k->pend) {
        if (v == k->v)
            return;
        if (r->res ? t / r->res == k->t / r->res : t == k->t) {
            k->t = t;
            k->v = v;
            return;
        }
        counter_flush(r, track);
    }
    k->pend = true;
    k->t = t;
    k->v = v;
}

void tlrec_client(tlrec_t *r, int64_t outstanding)
{
    if (r && r->client_track != TLR_NONE)
        tlr_counter(r, r->client_track, outstanding);
}

/* ---------------------------------------------------------------- close */

static void detach(tlrec_t *r)
{
    for (unsigned c = 0; c < r->nattached; c++)
        r->cores[c].tl = NULL;
    r->nattached = 0;
    tlrec_detach_devices(r);
}

/* Everything still pending: spans being extended, counter samples, and
 * the value at `from` of counters whose only samples came before it. */
static void flush_all(tlrec_t *r)
{
    for (unsigned c = 0; c < r->ncores; c++)
        if (r->core[c].has) {
            span_out(r, &r->core[c].span);
            r->core[c].has = false;
        }
    sim_time_t end = sim_now(r->sim);
    for (uint32_t t = 0; t < r->ntracks; t++) {
        if (r->trk[t].pend)
            counter_flush(r, t);
        if (r->trk[t].pre && !r->trk[t].written && r->from < end && r->from < r->to)
            counter_write(r, t, r->from, r->trk[t].pre_v);
    }
}

static void stats_fill(const tlrec_t *r, tlrec_stats_t *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof *st);
    snprintf(st->file, sizeof st->file, "%s", r->path);
    st->spans = r->spans;
    st->instants = r->instants;
    st->counters = r->counters;
    st->reordered = r->reordered;
}

int tlrec_close(tlrec_t *r, tlrec_stats_t *stats, char *err, size_t errlen)
{
    detach(r);
    flush_all(r);
    stats_fill(r, stats);
    char werr[600];
    int rc = tl_writer_close(r->w, werr, sizeof werr);
    if (rc < 0) {
        snprintf(err, errlen, "%s", werr);
    } else if (r->failed) { /* written, but not everything: not a timeline */
        unlink(r->path);
        snprintf(err, errlen, "%s", r->msg);
        rc = -1;
    } else if (stats) {
        struct stat sb;
        stats->bytes = stat(r->path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    }
    free(r->trk);
    free(r->core);
    free(r);
    return rc;
}

void tlrec_abort(tlrec_t *r)
{
    if (!r)
        return;
    detach(r);
    if (r->w)
        tl_writer_abort(r->w);
    free(r->trk);
    free(r->core);
    free(r);
}
