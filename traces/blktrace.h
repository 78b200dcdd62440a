/* traces/blktrace: block I/O traces, loaded whole into an array.
 *
 * Formats (one request per line; blank lines are ignored; .gz is read
 * transparently, traces/tfile.h):
 *
 *   MSR Cambridge / SNIA IOTTA (Narayanan, Donnelly, Rowstron, "Write
 *   off-loading", FAST'08; http://iotta.snia.org/traces/388):
 *       Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime
 *   Timestamp in Windows FILETIME ticks of 100 ns; Type "Read" or "Write"
 *   (any case); Offset and Size in bytes; ResponseTime ignored.  An
 *   optional first line starting "Timestamp," is a header.
 *   device = DiskNumber.
 *
 *   fio iolog (fio's HOWTO "Trace file format v2/v3", read_iolog() in
 *   fio's iolog.c):  a first line "fio version 2 iolog" or
 *   "fio version 3 iolog", then
 *       v2:  FILENAME ACTION [OFFSET LENGTH]
 *       v3:  TIMESTAMP FILENAME ACTION [OFFSET LENGTH]
 *   ACTION read, write -> READ, WRITE; sync, datasync -> FLUSH; trim ->
 *   TRIM (OFFSET, LENGTH in bytes); add, open, close -> not I/O (counted
 *   in skipped).  device = the file's index in order of first appearance.
 *   Time, as fio replays it:
 *     v3: TIMESTAMP is in MICROSECONDS since the job started (fio writes
 *         it with utime_since_now() and replays differences as µs
 *         delays); it must not go backwards.  fio ignores "wait" in v3:
 *         so do we (counted in skipped).
 *     v2: no timestamps.  fio issues v2 records as fast as its queue
 *         depth allows, so they get the time of the last "wait" (0 before
 *         any): t_ps says "not before", and the application paces them.
 *         "FILENAME wait T 0" makes fio sleep until T MILLISECONDS after
 *         the job started (read_iolog_get(): usec_sleep((delay -
 *         mtime_since_genesis()) * 1000)), so later records get t = T ms
 *         if that is later than the current time.  waits are counted in
 *         skipped.
 *
 *   DiskSim ASCII as MQSim reads it (MQSim's traces/README.md and
 *   IO_Flow_Trace_Based.cpp; Ganger et al., DiskSim manual, "ASCII"
 *   input):  ARRIVAL DEVICE LSN SIZE TYPE, whitespace-separated;
 *   ARRIVAL an integer in NANOSECONDS (MQSim's simulation time unit; a
 *   fractional time, as in the original DiskSim's milliseconds, is
 *   refused rather than misread), LSN and SIZE in 512-byte sectors, TYPE 1
 *   read, 0 write.
 *
 * Time.  t_ps is relative to the first I/O record, which has t_ps = 0.
 * MSR, DiskSim and fio v3 times must not decrease (MQSim itself refuses
 * such traces); records keep the file's order.
 *
 * Errors (every one fatal, -1 and one line "FILE: record N (offset O):
 * what", N the line number): too few or too many fields, a bad number,
 * an unknown type or action, size 0 for a read/write/trim, a value that
 * overflows its field (offset + size past 2^64 bytes, size past 2^32 - 1,
 * a time past 2^64 ps), time going backwards, no I/O record at all. */
#ifndef PARASIM_TRACES_BLKTRACE_H
#define PARASIM_TRACES_BLKTRACE_H

#include <stddef.h>
#include <stdint.h>

typedef enum trace_blk_fmt {
    TRACE_BLK_AUTO = 0,
    TRACE_BLK_MSR,
    TRACE_BLK_FIO,
    TRACE_BLK_DISKSIM
} trace_blk_fmt_t;

typedef enum trace_blk_op {
    TRACE_BLK_READ = 0,
    TRACE_BLK_WRITE,
    TRACE_BLK_FLUSH,
    TRACE_BLK_TRIM
} trace_blk_op_t;

typedef struct trace_blk_rec {
    uint64_t t_ps;     /* issue time, relative to the trace's first record (which is 0) */
    uint64_t offset;   /* bytes */
    uint32_t len;      /* bytes */
    uint8_t op;        /* trace_blk_op_t */
    uint32_t device;   /* MSR DiskNumber / DiskSim device / fio file index */
} trace_blk_rec_t;

typedef struct trace_blk {
    trace_blk_rec_t *rec;
    size_t n;
    trace_blk_fmt_t fmt;  /* the format read (never AUTO after a load) */
    uint64_t skipped;     /* records not I/O (fio open/close/wait...), counted */
} trace_blk_t;

/* Load the whole file.  fmt AUTO detects the format from the first
 * non-blank line: "fio version 2|3 iolog" -> fio; 7 comma-separated fields
 * with a numeric first field (or the "Timestamp," header) -> MSR; 5
 * whitespace-separated fields -> DiskSim.  0, or -1 with one line in err
 * and *out empty. */
int trace_blk_load(const char *path, trace_blk_fmt_t fmt, trace_blk_t *out, char *err,
                   size_t errlen);
void trace_blk_free(trace_blk_t *t);

/* "auto", "msr", "fio", "disksim" (and "?" for a bad value). */
const char *trace_blk_fmt_name(trace_blk_fmt_t f);
/* Parse one of those names (exact, lower case): 0, or -1. */
int trace_blk_fmt_parse(const char *name, trace_blk_fmt_t *out);
/* addition: "read", "write", "flush", "trim". */
const char *trace_blk_op_name(trace_blk_op_t op);

#endif
