/* traces/timeline: the per-core timeline of a run -- its file format,
 * writer and reader (tl_ prefix).  Exports (Chrome trace JSON, CSV) are in
 * traces/tl_export.h; the simulator records (sim/), the viewer draws.
 *
 * What a timeline holds, all times in ps of simulated time:
 *   tracks    numbered 0..n-1 in the order they are added; a track is a
 *             core (spans), a counter (values over time) or an instant
 *             track (marks); each has a name ("core 3", "nic rxq 2 fill")
 *             and a label (the core's process, "kvs3"; may be empty);
 *   spans     on a core track: [t0, t1) in a mode (tl_mode_t: what the
 *             core did), with a cause: the process (pid, TL_NO_PID when
 *             none), what for (tl_what_t) and an argument (a request id,
 *             an interrupt vector, a syscall's SQE count...);
 *   instants  on an instant track: a time, a kind (tl_instant_kind_t) and
 *             an argument (queue, requester id, frame length...);
 *   counters  on a counter track: a time and a signed value, valid until
 *             the track's next sample.
 * Per track, records are added in non-decreasing time (spans by t0, and a
 * span never overlaps the previous span of its track): the writer refuses
 * anything else (-1), so a file is always well-formed.
 *
 * File format, version 1 (little-endian throughout):
 *   header, 32 bytes, uncompressed:
 *     0  magic "PSTLINE1" (8 bytes)
 *     8  u32 version (1)
 *    12  u32 flags (0)
 *    16  u64 t_from_ps, the recording window's start (0: from the start)
 *    24  u64 t_to_ps, its end (UINT64_MAX: to the end)
 *   then one zlib (RFC 1950) stream holding records, each a type byte
 *   followed by LEB128 unsigned varints (signed values zigzag-encoded,
 *   strings as a varint length and bytes):
 *     1 TRACK    kind, name, label                      (id = order)
 *     2 SPAN     track, dt0, dur, mode, pid+1, what, arg
 *     3 INSTANT  track, dt, kind, arg
 *     4 COUNTER  track, dt, zigzag(value)
 *     5 META     key, value (strings: "config", "seed", ...)
 *     255 END    count of TRACK, SPAN, INSTANT, COUNTER records
 *   dt0 / dt are deltas from the previous record's time of the same
 *   track (the first from 0), so a long run stays compact.
 *   Precisely (added with the implementation): a span's time is its t0, so
 *   dt0 = t0 - the previous span's t0 and dur = t1 - t0; pid+1 is taken
 *   modulo 2^16 (TL_NO_PID is written 0, pid 0 is 1); track, mode, what and
 *   kind are varints too (one byte for every value defined here); TRACK's
 *   kind is tl_track_kind_t; strings are raw bytes without a NUL, names
 *   and labels at most TL_NAME_MAX - 1 = 63 bytes, meta keys and values
 *   at most 255.  Spans go on core tracks only, instants on instant
 *   tracks, counters on counter tracks; all TRACK records come before the
 *   first SPAN, INSTANT or COUNTER; META may come anywhere before END, and
 *   nothing follows END nor the zlib stream.  A file without
 *   END, with counts that disagree, or with a record beyond the stream, is
 *   reported as truncated/corrupt (-1 and a message naming the file and
 *   the record number), never read as a shorter timeline.
 * Same calls, same bytes: the zlib stream is written at a fixed level with
 * no time stamps, so identical runs give identical files.
 *
 * Errors: functions returning int give 0 or -1 with a one-line message in
 * err ("FILE: what"); the writer writes to FILE.tmp and renames it on a
 * successful close, so a failed run never leaves a half file. */
#ifndef PARASIM_TRACES_TIMELINE_H
#define PARASIM_TRACES_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_VERSION 1u
#define TL_NAME_MAX 64u          /* track names and labels, bytes with the NUL */
#define TL_NO_PID 0xFFFFu
/* Added with the implementation: the most tracks a timeline may hold
 * (tl_add_track() refuses more; tl_load() reports more as corrupt). */
#define TL_TRACKS_MAX 65536u

typedef enum tl_track_kind { TL_TRACK_CORE = 0, TL_TRACK_COUNTER, TL_TRACK_INSTANT } tl_track_kind_t;

/* The modes of sim/cpu.h, in the same order. */
typedef enum tl_mode { TL_USER = 0, TL_KERNEL, TL_IRQ, TL_POLL, TL_IDLE, TL_MODES } tl_mode_t;

/* What a span was for. */
typedef enum tl_what {
    TL_WHAT_NONE = 0,
    TL_WHAT_APP,                 /* the process's own code (arg: request id or 0) */
    TL_WHAT_SYSCALL,             /* pk_enter (arg: SQEs submitted) */
    TL_WHAT_IRQ,                 /* an interrupt handler (arg: vector) */
    TL_WHAT_POLL,                /* polling its queues */
    TL_WHAT_BOOT,                /* kernel boot */
    TL_WHAT_COUNT
} tl_what_t;

typedef enum tl_instant_kind {
    TL_INST_RX_FRAME = 0,        /* a frame reached the NIC (arg: queue) */
    TL_INST_TX_FRAME,            /* a frame left it (arg: queue) */
    TL_INST_DOORBELL,            /* a doorbell write (arg: queue) */
    TL_INST_IOMMU_FAULT,         /* arg: requester id */
    TL_INST_DROP,                /* a frame dropped (arg: queue << 8 | cause) */
    TL_INST_NVME_CQE,            /* an NVMe completion (arg: queue id) */
    TL_INST_KINDS
} tl_instant_kind_t;

typedef struct tl_track {
    tl_track_kind_t kind;
    char name[TL_NAME_MAX];
    char label[TL_NAME_MAX];
} tl_track_t;

typedef struct tl_span {
    uint64_t t0, t1;
    uint64_t arg;
    uint32_t track;
    uint16_t pid;                /* TL_NO_PID: none */
    uint8_t mode;                /* tl_mode_t */
    uint8_t what;                /* tl_what_t */
} tl_span_t;

typedef struct tl_instant {
    uint64_t t;
    uint64_t arg;
    uint32_t track;
    uint8_t kind;                /* tl_instant_kind_t */
} tl_instant_t;

typedef struct tl_counter {
    uint64_t t;
    int64_t value;
    uint32_t track;
} tl_counter_t;

/* ---------------------------------------------------------------- writing */

typedef struct tl_writer tl_writer_t;

tl_writer_t *tl_writer_open(const char *path, uint64_t t_from_ps, uint64_t t_to_ps, char *err,
                            size_t errlen);
/* The new track's id, or -1 (bad kind, too many tracks, after a record).
 * A name or label of TL_NAME_MAX bytes or more is refused (-1), never
 * truncated; a NULL label is "". */
int tl_add_track(tl_writer_t *w, tl_track_kind_t kind, const char *name, const char *label);
/* Key and value at most 255 bytes (longer: -1); any time before close. */
int tl_add_meta(tl_writer_t *w, const char *key, const char *value);
/* 0, or -1 for a record the file could not hold (see the top comment: out
 * of order, overlapping, t1 < t0, wrong track kind, unknown enum value) or
 * after a write error (reported by tl_writer_close()); a refused record
 * changes nothing. */
int tl_add_span(tl_writer_t *w, const tl_span_t *s);
int tl_add_instant(tl_writer_t *w, const tl_instant_t *i);
int tl_add_counter(tl_writer_t *w, const tl_counter_t *c);
/* Records written so far (spans, instants, counters). */
uint64_t tl_writer_records(const tl_writer_t *w);
/* Finish, flush, rename into place; 0 or -1 with the message. */
int tl_writer_close(tl_writer_t *w, char *err, size_t errlen);
/* Give up: remove FILE.tmp. */
void tl_writer_abort(tl_writer_t *w);

/* ---------------------------------------------------------------- reading */

/* A whole timeline in memory: spans sorted by (track, t0), instants and
 * counters by (track, t), the index arrays giving each track's range. */
typedef struct tl_timeline {
    uint64_t t_from_ps, t_to_ps; /* the header's window */
    uint64_t t_min, t_max;       /* the earliest and latest time recorded */
    size_t ntracks;
    tl_track_t *tracks;
    size_t nspans, ninstants, ncounters;
    tl_span_t *spans;
    tl_instant_t *instants;
    tl_counter_t *counters;
    size_t *span_first;          /* [ntracks + 1]: track k's spans are
                                  * spans[span_first[k] .. span_first[k+1]) */
    size_t *instant_first;       /* [ntracks + 1], likewise */
    size_t *counter_first;       /* [ntracks + 1], likewise */
    size_t nmeta;
    char (*meta)[2][256];        /* key, value */
} tl_timeline_t;

/* NULL with a one-line message ("FILE: record N: what"). */
tl_timeline_t *tl_load(const char *path, char *err, size_t errlen);
void tl_free(tl_timeline_t *t);

/* Names, for exports and the viewer: "user", "kernel", "irq", "poll",
 * "idle"; "app", "syscall", ...; "rx_frame", ....  Precisely: modes
 * user kernel irq poll idle; whats none app syscall irq poll boot;
 * instants rx_frame tx_frame doorbell iommu_fault drop nvme_cqe; "?" for
 * a value out of range. */
const char *tl_mode_name(tl_mode_t m);
const char *tl_what_name(tl_what_t w);
const char *tl_instant_name(tl_instant_kind_t k);

#endif
