/* workloads/blkio_gen.c: what the blkio application issues next
 * (blkio_int.h, "blkio_gen").
 *
 * Synthetic patterns.  Each op is a bs-long read or write: its direction
 * from rw (randrw and readwrite draw it: a read when rng_below(100) <
 * rwmixread), its offset range_off + k * bs with k uniform in [0, nblocks)
 * (random patterns, rng_below: unbiased) or the direction's sequential
 * cursor (wrapping at nblocks).  Offsets and directions are drawn on the
 * `ops` stream when an op is first peeked, in op order, so the sequence
 * does not depend on timing.
 *
 * Arrivals (open loop, gap_ps > 0) come from the `arr` stream, one gap per
 * arrival: poisson, exponential gaps -ln(U) * gap_ps with U uniform in
 * (0, 1] (inversion), the first arrival one gap after t0; linear, arrival
 * k at t0 + round(k * gap_ps) (computed from k, so no rounding drift).
 * Closed loop: t_want = 0, "now".
 *
 * Trace replay.  Record r opens when first peeked: its piece offset is
 * range_off + (r.offset mod range_size) aligned down to the LBA size, its
 * length r.len rounded up to the LBA size, cut at the range's end
 * (clipped); length 0 is skipped; then pieces of at most bs_max go out in
 * order, all at the record's time t0 + r.t_ps / speed (0 with speed 0:
 * as fast as iodepth allows).  A flush is one op of length 0. */
#include <math.h>
#include <string.h>

#include "kernel/include/pk.h"
#include "workloads/blkio_int.h"

static const char *const rw_names[BLKIO_RW_KINDS] = {
    [BLKIO_READ] = "read",         [BLKIO_WRITE] = "write",   [BLKIO_RANDREAD] = "randread",
    [BLKIO_RANDWRITE] = "randwrite", [BLKIO_RANDRW] = "randrw", [BLKIO_READWRITE] = "readwrite",
};

const char *blkio_rw_name(blkio_rw_t rw)
{
    return (unsigned)rw < BLKIO_RW_KINDS ? rw_names[rw] : "unknown";
}

int blkio_rw_parse(const char *s)
{
    for (int i = 0; s && i < BLKIO_RW_KINDS; i++)
        if (strcmp(s, rw_names[i]) == 0)
            return i;
    return -1;
}

bool blkio_gen_timed(const blkio_gen_t *g)
{
    return g->recs ? g->speed > 0 : g->gap_ps > 0;
}

static uint64_t arrival_gap(blkio_gen_t *g)
{
    return (uint64_t)llround(-log(rng_unit_pos(&g->arr)) * g->gap_ps);
}

void blkio_gen_begin(blkio_gen_t *g, uint64_t t0)
{
    g->t0 = t0;
    g->nblocks = g->range_size / g->bs;
    g->narr = 0;
    g->have = false;
    g->rec = 0;
    g->rec_open = false;
    if (g->gap_ps > 0)
        g->next_arr = g->poisson ? t0 + arrival_gap(g) : t0;
}

/* ---------------------------------------------------------------- synthetic */

static bool is_read(blkio_gen_t *g)
{
    switch (g->rw) {
    case BLKIO_READ:
    case BLKIO_RANDREAD:
        return true;
    case BLKIO_WRITE:
    case BLKIO_RANDWRITE:
        return false;
    default:
        return rng_below(&g->ops, 100) < g->mixread;
    }
}

static void synth_next(blkio_gen_t *g, blkio_op_t *op)
{
    bool rd = is_read(g);
    uint64_t k;
    if (g->rw == BLKIO_RANDREAD || g->rw == BLKIO_RANDWRITE || g->rw == BLKIO_RANDRW) {
        k = rng_below(&g->ops, g->nblocks);
    } else {
        uint64_t *c = &g->seq[rd ? 0 : 1];
        k = *c;
        *c = k + 1 == g->nblocks ? 0 : k + 1;
    }
    op->op = rd ? PK_OP_BLK_READ : PK_OP_BLK_WRITE;
    op->off = g->range_off + k * g->bs;
    op->len = g->bs;
    op->t_want = g->gap_ps > 0 ? g->next_arr : 0;
}

static void synth_take(blkio_gen_t *g)
{
    if (g->gap_ps <= 0)
        return;
    g->narr++;
    g->next_arr = g->poisson ? g->next_arr + arrival_gap(g)
                             : g->t0 + (uint64_t)llround((double)g->narr * g->gap_ps);
}

/* ---------------------------------------------------------------- trace */

static uint64_t rec_time(const blkio_gen_t *g, uint64_t t_ps)
{
    if (g->speed <= 0)
        return 0;
    if (g->speed == 1.0)
        return g->t0 + t_ps;
    return g->t0 + (uint64_t)llround((double)t_ps / g->speed);
}

/* Open the next record with something to issue: 1, or 0 at the end. */
static int rec_open(blkio_gen_t *g)
{
    while (g->rec < g->nrecs) {
        const wl_blk_op_t *r = &g->recs[g->rec];
        g->tc.ops++;
        g->rec_t = rec_time(g, r->t_ps);
        if (r->kind == WL_BLK_FLUSH) {
            g->rec_op = PK_OP_BLK_FLUSH;
            g->rec_off = g->rec_left = 0;
            g->rec_open = true;
            return 1;
        }
        uint64_t len = ((uint64_t)r->len + g->lba - 1) / g->lba * g->lba;
        if (len == 0) {
            g->tc.skipped++;
            g->rec++;
            continue;
        }
        uint64_t off = r->offset % g->range_size / g->lba * g->lba;
        if (off + len > g->range_size) {
            len = g->range_size - off;
            g->tc.clipped++;
        }
        if (len > g->bs_max)
            g->tc.split++;
        g->rec_op = r->kind == WL_BLK_WRITE ? PK_OP_BLK_WRITE : PK_OP_BLK_READ;
        g->rec_off = g->range_off + off;
        g->rec_left = len;
        g->rec_open = true;
        return 1;
    }
    return 0;
}

static int trace_peek(blkio_gen_t *g, blkio_op_t *op)
{
    if (!g->rec_open && !rec_open(g))
        return 0;
    op->t_want = g->rec_t;
    op->op = g->rec_op;
    op->off = g->rec_off;
    op->len = (uint32_t)(g->rec_left < g->bs_max ? g->rec_left : g->bs_max);
    return 1;
}

static void trace_take(blkio_gen_t *g)
{
    uint32_t piece = g->next.len;
    g->rec_off += piece;
    g->rec_left -= piece;
    if (g->rec_left == 0) {
        g->rec_open = false;
        g->rec++;
    }
}

/* ---------------------------------------------------------------- both */

int blkio_gen_peek(blkio_gen_t *g, blkio_op_t *op)
{
    if (!g->have) {
        if (g->recs) {
            if (!trace_peek(g, &g->next))
                return 0;
        } else {
            synth_next(g, &g->next);
        }
        g->have = true;
    }
    *op = g->next;
    return 1;
}

void blkio_gen_take(blkio_gen_t *g)
{
    if (!g->have)
        return;
    if (g->recs)
        trace_take(g);
    else
        synth_take(g);
    g->have = false;
}
