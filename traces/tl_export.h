/* traces/tl_export: a loaded timeline (traces/timeline.h) written as
 * Chrome trace-event JSON, for Perfetto (ui.perfetto.dev) and
 * chrome://tracing, or as CSV for scripts (tl_export_ prefix).
 *
 * Both are streamed through one fixed buffer: the output is never built in
 * memory, so the export of a 10M-span timeline needs only the timeline.
 * A path ending in ".gz" is written gzip-compressed (zlib's gzopen: no
 * file name and time stamp 0 in its header, so the same timeline always
 * gives the same bytes).  A path is written as PATH.tmp and renamed on
 * success; a failed export leaves nothing behind.
 *
 * Times.  Timelines count ps; the JSON counts µs.  Every ts and dur is
 * printed as the exact decimal ps / 10^6 with six fractional digits
 * ("ts":1234.000567 is 1234000567 ps), by integer arithmetic: no rounding,
 * ps precision kept.  CSV times are integer ps.
 *
 * The window.  Records outside [from_ps, to_ps) are left out; a span that
 * crosses an edge is cut at it; a counter track's value in force at
 * from_ps (its last earlier sample) is repeated at from_ps.
 *
 * Chrome JSON: the object form, one event per line,
 *   {"traceEvents":[ ...events... ],
 *    "displayTimeUnit":"ns",
 *    "otherData":{"t_from_ps":"..","t_to_ps":"..", <timeline meta>...}}
 * with, in this order:
 *   M   per core track (one process per core; pid = track id + 1 -- pid 0
 *       means the idle task to Perfetto --, tid = pid): process_name
 *       (the track's name, "core N" when empty), process_labels (the
 *       track's label, the process running there, when not empty),
 *       process_sort_index (the core's rank), thread_name (label or name);
 *       per device group (the first word of counter and instant track
 *       names: "nic", "nvme", "client"...; pid = ntracks + 1 + group rank):
 *       process_name, process_sort_index (after the cores); per instant
 *       track: thread_name (the track's name, tid = track id + 1);
 *   X   per span: name = its mode ("user", "kernel", "irq", "poll",
 *       "idle"), cat = its what ("app", "syscall", ...), ts, dur,
 *       args {"mode", "what", "pid" (absent for TL_NO_PID), and the argument
 *       named by what: "request" (app), "sqes" (syscall), "vector" (irq),
 *       else "arg"};
 *   C   per counter sample, on its group's process: name = the counter
 *       track's name, args {"value": v};
 *   i   per instant: name = its kind ("rx_frame", ...), s "t" on its
 *       track's thread (one row per instant track), "g" for IOMMU faults
 *       (a line across the whole machine), args {"track": its track's
 *       name, then the argument decoded: "queue" (frames, doorbells,
 *       NVMe completions), "requester" (faults), "queue" and "cause"
 *       (drops: arg >> 8, arg & 0xff)}.
 * Arguments above 2^53 - 1 (not exact as a JSON double) are strings of
 * decimal digits.  Strings are escaped per RFC 8259 (quote, backslash,
 * control characters as \u00XX); bytes that are not well-formed UTF-8
 * become U+FFFD, so the output is valid JSON whatever the names hold.
 *
 * CSV (RFC 4180 fields: a field holding a comma, quote, CR or LF is quoted
 * and its quotes doubled; lines end in LF), one header line, then one
 * record per line, per track in track order and by time within a track:
 *   spans     track,name,label,t0_ps,t1_ps,dur_ps,mode,what,pid,arg
 *   counters  track,name,label,t_ps,value
 *   instants  track,name,label,t_ps,kind,arg
 * track is the track id; name and label the track's; mode, what and kind
 * their names (tl_mode_name() ...); pid empty for TL_NO_PID; arg and
 * value decimal integers (value signed).
 *
 * Errors: 0 or -1 with a one-line message in err ("PATH: what"). */
#ifndef PARASIM_TRACES_TL_EXPORT_H
#define PARASIM_TRACES_TL_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tl_timeline;

typedef enum tl_export_what {
    TL_EXPORT_SPANS = 0,
    TL_EXPORT_COUNTERS,
    TL_EXPORT_INSTANTS,
} tl_export_what_t;

typedef struct tl_export_opts {
    uint64_t from_ps, to_ps;  /* the window (0, UINT64_MAX: everything) */
    tl_export_what_t what;    /* CSV: which records (Chrome: all of them) */
} tl_export_opts_t;

/* opts may be NULL: the whole timeline (and spans for CSV). */
int tl_export_chrome(const struct tl_timeline *t, const char *path, const tl_export_opts_t *opts,
                     char *err, size_t errlen);
int tl_export_csv(const struct tl_timeline *t, const char *path, const tl_export_opts_t *opts,
                  char *err, size_t errlen);

/* The same into an open stream (not closed; name is used in messages). */
int tl_export_chrome_stream(const struct tl_timeline *t, FILE *f, const char *name,
                            const tl_export_opts_t *opts, char *err, size_t errlen);
int tl_export_csv_stream(const struct tl_timeline *t, FILE *f, const char *name,
                         const tl_export_opts_t *opts, char *err, size_t errlen);

/* "12", "12.5", "0.000001" µs to ps, exactly: digits, optionally a point
 * and 1 to 6 digits.  -1 for anything else or a value beyond UINT64_MAX. */
int tl_export_parse_us(const char *s, uint64_t *ps);

/* ps as µs with six fractional digits into buf (at least 28 bytes);
 * returns the length. */
size_t tl_export_format_us(uint64_t ps, char *buf);

#endif
