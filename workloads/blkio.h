/* workloads/blkio: fio-like block I/O as a parakernel process, on the
 * NVMe queue pair(s) the process owns (issue 5).
 *
 * The process keeps at most `iodepth` I/Os in flight on its own queues
 * (round robin over them), each with its own data buffer from the heap,
 * and measures them the way fio does.  Loop, costs and buffer scheme:
 * blkio.c; the I/O generator (patterns, arrivals, trace replay):
 * blkio_gen.c; the verify pattern: blkio_verify.c.
 *
 * Parameters (fio's names where fio has one; numbers decimal or 0x hex):
 *   rw          read | write | randread | randwrite | randrw | readwrite
 *               (default read).  Sequential patterns walk the range in bs
 *               steps from its start and wrap at its end; readwrite keeps
 *               one cursor per direction (as fio does).
 *   rwmixread   percent of reads in randrw / readwrite, 0..100 (default 50)
 *   bs          bytes per I/O: a multiple of the LBA size, at most
 *               WL_BLKIO_LEN_MAX (default 4096)
 *   iodepth     I/Os in flight at most, 1..WL_BLKIO_DEPTH_MAX (default 1)
 *   rate_iops   open-loop arrival rate, I/Os per second (decimal; default
 *               0 = closed loop: keep iodepth in flight)
 *   rate_process  poisson | linear: exponential or constant gaps between
 *               open-loop arrivals (default poisson).  Poisson: the first
 *               arrival one exponential gap after the start; linear: at
 *               the start, then every 1/rate_iops.  An arrival that finds
 *               iodepth I/Os in flight waits for a slot (counted `queued`);
 *               its total latency (lat) runs from its arrival time.
 *   offset, size  the byte range [offset, offset + size) of the namespace
 *               used, multiples of the LBA size (default: the whole
 *               namespace, pk_info ns_blocks * lba_size); size >= bs.
 *               Random offsets are offset + k * bs, k uniform over the
 *               size / bs whole blocks of bs in the range.
 *   ios         stop after this many measured I/Os (issued after the
 *               ramp); default: size / bs (one pass over the range, fio's
 *               default), or the whole trace
 *   runtime_us  stop issuing I/Os whose issue (arrival) time is runtime_us
 *               or more after the ramp's end (default: no limit).  With
 *               both ios and runtime_us, the first limit reached stops.
 *               Outstanding I/Os are drained, then the process exits.
 *   ramp_time_us  I/Os issued (arriving) in the first ramp_time_us are
 *               done but not measured (default 0)
 *   seed, instance  the random streams (offsets and directions; arrival
 *               gaps) are model/rng streams of `seed` (default 1), with
 *               ids rng_stream_id("blkio.ops") + instance and
 *               rng_stream_id("blkio.arrivals") + instance: each process
 *               of a group draws its own sequence (the platform fills
 *               `instance`)
 *   verify      0 | 1 (default 0): writes carry the pattern below, reads
 *               of blocks this process wrote are checked against it
 *               (verify.errors counts the blocks that differ).  The
 *               expected generation of every block of the range is kept
 *               in the heap (4 bytes a block).  A read that overlaps a
 *               write in flight (either issued first) is not checked
 *               (verify.skipped).
 *   wait        0: poll when idle (default); 1: block in
 *               pk_enter(0, 1, PK_ENTER_WAIT) until a completion or the
 *               timer of the next arrival
 *   trace       a block trace (WL_INPUT_BLK records, read by the platform):
 *               replayed instead of rw/bs/rate_iops (which are refused
 *               with it).  Record r is issued at start + t_ps / trace_speed;
 *               its offset becomes offset + (r.offset mod size), aligned
 *               down to the LBA size; its length is rounded up to the LBA
 *               size and clipped at the range's end (trace.clipped); a
 *               length of 0 is skipped (trace.skipped); ops longer than
 *               bs_max are split into bs_max pieces (trace.split counts
 *               the records split); WL_BLK_FLUSH is a BLK_FLUSH.
 *   trace_speed a decimal >= 0 (default 1): trace times are divided by it;
 *               0 replays as fast as iodepth allows
 *   bs_max      longest I/O of a replay, a multiple of the LBA size, at
 *               most WL_BLKIO_LEN_MAX (default WL_BLKIO_LEN_MAX)
 *
 * Verify pattern.  A write of generation g (the block's write count in
 * this process: 1 for its first write) to the block at device byte offset
 * B stores, for i = 0 .. lba_size / 8 - 1, the little-endian 64-bit word
 *     w_i = (B + 8 i) XOR (g * 0x9E3779B97F4A7C15)    (mod 2^64)
 * at B + 8 i.
 *
 * Report (processes[].report; latencies in ns as percentiles, from ps
 * histograms; rates over the measured window, from the ramp's end to the
 * last measured completion):
 *   rw (fio's name, or "trace"), bs (bs_max for a replay), iodepth,
 *   runtime_us (the window, us)
 *   read.ios, read.bytes, read.iops, read.bw_mbs (10^6 bytes/s),
 *   read.clat (submission to completion seen), read.lat (arrival to
 *   completion seen, open loop and timed replay only); the same for write
 *   flush.ios, flush.clat
 *   ios (measured I/Os done), ramp_ios, queued, eagain (submissions a
 *   full device queue refused, retried: with iodepth above a queue's
 *   capacity, about one per queue, after which the process knows it)
 *   errors.total and errors.<code> (completions with res < 0, and
 *   pk_enter calls refused, by code: pk_err_name without "PK_", lower
 *   case, e.g. errors.eio; also in stats.refused).  A refused I/O is not
 *   retried (except PK_EAGAIN) and not measured: its slot is free again.
 *   verify.checked, verify.errors, verify.skipped (blocks), with verify
 *   trace.ops (records consumed), trace.split, trace.clipped,
 *   trace.skipped, with a trace */
#ifndef PARASIM_WORKLOADS_BLKIO_H
#define PARASIM_WORKLOADS_BLKIO_H

#include "workloads/app.h"

/* The kernel's longest BLK_READ/WRITE (128 KiB: a PRP list of one page,
 * kernel/k.h K_BLK_MAX_LEN; longer SQEs complete with -PK_ELEN). */
#define WL_BLKIO_LEN_MAX (128u << 10)
#define WL_BLKIO_DEPTH_MAX 1024u
#define WL_BLKIO_PATTERN_MUL UINT64_C(0x9E3779B97F4A7C15)

extern const wl_app_t wl_app_blkio;

#endif
