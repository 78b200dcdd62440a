/* workloads/blkio_start.c: blkio's start (blkio_int.h): the parameters
 * (blkio.h documents them) checked against the namespace the process
 * sees (pk_info lba_size, ns_blocks), the buffers and the verify map
 * carved from the heap, the buffer pool registered under pool mediation.
 *
 * Every refusal is one line naming the parameter and what is wrong:
 * "blkio: parameter bs: 1000 is not a multiple of the LBA size (4096
 * bytes)". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "workloads/app_int.h"
#include "workloads/blkio_int.h"

#define APP "blkio"
#define SLOT_ALIGN 4096u
#define US_MAX UINT64_C(1000000000000) /* 10^12 us: 10^18 ps fits uint64_t */

static int fail(char *err, size_t errlen, const char *msg, int code)
{
    if (code)
        snprintf(err, errlen, APP ": %s: %s", msg, pk_err_name(code));
    else
        snprintf(err, errlen, APP ": %s", msg);
    return -1;
}

/* A decimal number in [0, hi] (strtod's syntax, digits first), or def. */
static int param_num(const wl_param_t *p, size_t n, const char *key, double def, double hi,
                     double *out, bool *given, char *err, size_t errlen)
{
    const char *v = wl_param_get(p, n, key);
    *given = v != NULL;
    if (!v) {
        *out = def;
        return 0;
    }
    char *end = NULL;
    double x = (*v >= '0' && *v <= '9') || *v == '.' ? strtod(v, &end) : NAN;
    if (!end || *end || !isfinite(x) || x < 0 || x > hi) {
        snprintf(err, errlen, APP ": parameter %s: expected a decimal number 0..%g, found '%s'",
                 key, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int u64(const wl_param_t *p, size_t n, const char *key, uint64_t def, uint64_t lo,
               uint64_t hi, uint64_t *out, bool *given, char *err, size_t errlen)
{
    return wl_param_u64(APP, p, n, key, def, lo, hi, out, given, err, errlen);
}

/* A byte count that must be a whole number of LBAs. */
static int lba_multiple(const char *key, uint64_t v, uint32_t lba, char *err, size_t errlen)
{
    if (v % lba == 0)
        return 0;
    snprintf(err, errlen, APP ": parameter %s: %llu is not a multiple of the LBA size (%u bytes)",
             key, (unsigned long long)v, lba);
    return -1;
}

/* Parameters that belong to one mode only. */
static int check_mode(const blkio_t *b, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    static const char *const synth_only[] = {"rw", "rwmixread", "bs", "rate_iops",
                                             "rate_process"};
    static const char *const trace_only[] = {"trace_speed", "bs_max"};
    if (b->recs) {
        for (size_t i = 0; i < sizeof synth_only / sizeof *synth_only; i++)
            if (wl_param_get(p, n, synth_only[i])) {
                snprintf(err, errlen, APP ": parameter %s does not apply to a trace replay",
                         synth_only[i]);
                return -1;
            }
        return 0;
    }
    if (wl_param_get(p, n, "trace"))
        return fail(err, errlen, "parameter trace: no records were handed over", 0);
    for (size_t i = 0; i < sizeof trace_only / sizeof *trace_only; i++)
        if (wl_param_get(p, n, trace_only[i])) {
            snprintf(err, errlen, APP ": parameter %s applies to a trace replay only",
                     trace_only[i]);
            return -1;
        }
    return 0;
}

/* rw, rwmixread, bs, rate_iops, rate_process. */
static int parse_pattern(blkio_t *b, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    blkio_gen_t *g = &b->g;
    uint32_t lba = b->r.info.lba_size;
    const char *rw = wl_param_get(p, n, "rw");
    int k = rw ? blkio_rw_parse(rw) : BLKIO_READ;
    if (k < 0) {
        snprintf(err, errlen, APP ": parameter rw: expected " BLKIO_RW_NAMES ", found '%s'", rw);
        return -1;
    }
    g->rw = (blkio_rw_t)k;
    uint64_t mix, bs;
    double rate;
    bool given;
    if (u64(p, n, "rwmixread", 50, 0, 100, &mix, NULL, err, errlen) < 0 ||
        u64(p, n, "bs", 4096, 1, WL_BLKIO_LEN_MAX, &bs, NULL, err, errlen) < 0 ||
        lba_multiple("bs", bs, lba, err, errlen) < 0 ||
        param_num(p, n, "rate_iops", 0, 1e9, &rate, &given, err, errlen) < 0)
        return -1;
    g->mixread = (unsigned)mix;
    g->bs = (uint32_t)bs;
    g->gap_ps = rate > 0 ? 1e12 / rate : 0;
    const char *proc = wl_param_get(p, n, "rate_process");
    if (proc && strcmp(proc, "poisson") && strcmp(proc, "linear")) {
        snprintf(err, errlen, APP ": parameter rate_process: expected poisson|linear, found '%s'",
                 proc);
        return -1;
    }
    g->poisson = !proc || strcmp(proc, "poisson") == 0;
    return 0;
}

/* trace_speed, bs_max. */
static int parse_replay(blkio_t *b, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    blkio_gen_t *g = &b->g;
    uint64_t bs_max;
    bool given;
    if (param_num(p, n, "trace_speed", 1, 1e6, &g->speed, &given, err, errlen) < 0 ||
        u64(p, n, "bs_max", WL_BLKIO_LEN_MAX, 1, WL_BLKIO_LEN_MAX, &bs_max, NULL, err,
            errlen) < 0 ||
        lba_multiple("bs_max", bs_max, b->r.info.lba_size, err, errlen) < 0)
        return -1;
    g->bs_max = (uint32_t)bs_max;
    g->bs = g->bs_max;
    g->recs = b->recs;
    g->nrecs = b->nrecs;
    return 0;
}

/* offset, size: inside the namespace, whole LBAs, at least one I/O. */
static int parse_range(blkio_t *b, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    blkio_gen_t *g = &b->g;
    uint32_t lba = b->r.info.lba_size;
    uint64_t ns = b->r.info.ns_blocks * lba, off, size;
    bool given;
    if (u64(p, n, "offset", 0, 0, UINT64_MAX, &off, NULL, err, errlen) < 0 ||
        lba_multiple("offset", off, lba, err, errlen) < 0)
        return -1;
    if (off >= ns) {
        snprintf(err, errlen, APP ": parameter offset: %llu is beyond the namespace (%llu bytes)",
                 (unsigned long long)off, (unsigned long long)ns);
        return -1;
    }
    if (u64(p, n, "size", ns - off, 1, UINT64_MAX, &size, &given, err, errlen) < 0 ||
        lba_multiple("size", size, lba, err, errlen) < 0)
        return -1;
    if (size > ns - off) {
        snprintf(err, errlen,
                 APP ": parameters offset + size: %llu + %llu bytes is beyond the namespace "
                     "(%llu bytes)",
                 (unsigned long long)off, (unsigned long long)size, (unsigned long long)ns);
        return -1;
    }
    if (!b->recs && size < g->bs) {
        snprintf(err, errlen, APP ": parameter size: %llu is smaller than bs (%u)",
                 (unsigned long long)size, g->bs);
        return -1;
    }
    g->range_off = off;
    g->range_size = size;
    return 0;
}

/* ios, runtime_us, ramp_time_us, iodepth, seed, instance, verify, wait. */
static int parse_run(blkio_t *b, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    uint64_t ios, run, ramp, depth, seed, inst, verify, wait;
    bool ios_given, run_given;
    if (u64(p, n, "ios", UINT64_MAX, 1, UINT64_MAX, &ios, &ios_given, err, errlen) < 0 ||
        u64(p, n, "runtime_us", 0, 1, US_MAX, &run, &run_given, err, errlen) < 0 ||
        u64(p, n, "ramp_time_us", 0, 0, US_MAX, &ramp, NULL, err, errlen) < 0 ||
        u64(p, n, "iodepth", 1, 1, WL_BLKIO_DEPTH_MAX, &depth, NULL, err, errlen) < 0 ||
        u64(p, n, "seed", 1, 0, UINT64_MAX, &seed, NULL, err, errlen) < 0 ||
        u64(p, n, "instance", 0, 0, UINT32_MAX, &inst, NULL, err, errlen) < 0 ||
        u64(p, n, "verify", 0, 0, 1, &verify, NULL, err, errlen) < 0 ||
        u64(p, n, "wait", 0, 0, 1, &wait, NULL, err, errlen) < 0)
        return -1;
    if (!ios_given && !run_given && !b->recs)
        ios = b->g.range_size / b->g.bs; /* one pass over the range, fio's default */
    b->ios_limit = ios;
    b->runtime_ps = run * 1000000;
    b->ramp_ps = ramp * 1000000;
    b->depth = (unsigned)depth;
    b->v.on = verify;
    b->wait = wait;
    rng_init(&b->g.ops, seed, rng_stream_id("blkio.ops") + inst);
    rng_init(&b->g.arr, seed, rng_stream_id("blkio.arrivals") + inst);
    return 0;
}

static int parse_params(blkio_t *b, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    if (check_mode(b, p, n, err, errlen) < 0)
        return -1;
    int rc = b->recs ? parse_replay(b, p, n, err, errlen) : parse_pattern(b, p, n, err, errlen);
    if (rc < 0 || parse_range(b, p, n, err, errlen) < 0 || parse_run(b, p, n, err, errlen) < 0)
        return -1;
    b->g.lba = b->r.info.lba_size;
    b->timed = blkio_gen_timed(&b->g);
    return 0;
}

/* The slots' buffers, then the verify map: 0 or -1. */
static int carve(blkio_t *b, char *err, size_t errlen)
{
    const struct pk_info *in = &b->r.info;
    uint32_t longest = b->recs ? b->g.bs_max : b->g.bs;
    b->slot_size = (longest + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
    b->buf_base = (in->heap_base + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
    uint64_t map = b->v.on ? blkio_verify_map_bytes(b->g.range_size, in->lba_size) : 0;
    uint64_t need = (uint64_t)b->depth * b->slot_size + map;
    uint64_t end = in->heap_base + in->heap_size;
    if (b->buf_base > end || need > end - b->buf_base) {
        snprintf(err, errlen,
                 APP ": iodepth %u x %u-byte buffers%s need %llu bytes of heap, the process "
                     "has %llu",
                 b->depth, b->slot_size, map ? " and the verify map" : "",
                 (unsigned long long)need, (unsigned long long)in->heap_size);
        return -1;
    }
    for (unsigned i = 0; i < b->depth; i++) {
        b->free_q[i] = (uint16_t)i;
        b->freed_at[i] = 0;
    }
    b->free_head = 0;
    b->free_n = b->depth;
    if (b->v.on &&
        blkio_verify_init(&b->v, b->buf_base + (uint64_t)b->depth * b->slot_size,
                          b->g.range_off, b->g.range_size, in->lba_size) < 0)
        return fail(err, errlen, "the verify map is not writable", 0);
    return 0;
}

/* PK_OP_POOL_REGISTER of the slots' buffers, synchronously: 0 or -1. */
static int register_pool(blkio_t *b, char *err, size_t errlen)
{
    struct pk_sqe s = {
        .opcode = PK_OP_POOL_REGISTER,
        .addr = b->buf_base,
        .user_data = BLKIO_UD_POOL,
        .u.pool = {.buf_size = b->slot_size, .count = b->depth},
    };
    if (pk_sq_push(&b->r, &s) < 0)
        return fail(err, errlen, "the SQ is full at start", 0);
    int rc = pk_submit(&b->r, 0, 0);
    if (rc < 0)
        return fail(err, errlen, "pk_enter refused the pool registration", -rc);
    struct pk_cqe c;
    while (pk_cq_pop(&b->r, &c) == 0) {
        if (c.user_data != BLKIO_UD_POOL)
            continue;
        if (c.res < 0)
            return fail(err, errlen, "pool registration refused", -c.res);
        b->pool_id = (uint64_t)c.res;
        return 0;
    }
    return fail(err, errlen, "pool registration did not complete", 0);
}

int blkio_start(void *state, const wl_param_t *params, size_t nparams, char *err, size_t errlen)
{
    blkio_t *b = state;
    if (pk_ring_init(&b->r) < 0)
        return fail(err, errlen, "no info block of this ABI version", 0);
    const struct pk_info *in = &b->r.info;
    if (!in->nvme_queues || in->nvme_queues > PK_MAX_NVME_QUEUES || !in->lba_size ||
        !in->ns_blocks)
        return fail(err, errlen, "the process owns no NVMe queue", 0);
    b->c_cycle = pk_cost("cpu.cycle");
    if (b->c_cycle < 0)
        return fail(err, errlen, "the cost table lacks cpu.cycle", 0);
    if (parse_params(b, params, nparams, err, errlen) < 0 || carve(b, err, errlen) < 0)
        return -1;
    for (int d = 0; d < BLKIO_NDIR; d++) {
        hist_init(&b->d[d].clat);
        hist_init(&b->d[d].lat);
    }
    b->pool = in->mediation == PK_MEDIATE_POOL;
    return b->pool ? register_pool(b, err, errlen) : 0;
}
