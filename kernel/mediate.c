/* kernel/mediate.c: descriptor mediation -- validating the buffer an SQE
 * names and translating it to the address the device is given.
 *
 * Processes never write descriptors: the kernel does it for them (DESIGN.md,
 * "Descriptor mediation"; issue 4), and this file is the check that makes
 * it safe.  Two strategies, chosen by the plan (plan.mediation):
 *
 * RANGE (per-descriptor range checks).  sqe.addr is a physical address.
 * A buffer [addr, addr + len) is classified in this order, the first rule
 * that applies giving the answer:
 *   1. len 0 or len > the operation's maximum            PK_ELEN
 *   2. addr + len - 1 overflows (the last byte wraps)     PK_EOVERFLOW
 *   3. addr not a multiple of the operation's alignment   PK_EALIGN
 *   4. wholly inside the caller's partition (the fast path, tested first
 *      of the location rules): overlapping [mem_base, ring_end) (info
 *      block, SQ, CQ)                                     PK_ERING
 *      otherwise                                          accepted
 *   5. starts inside the caller's partition and leaves it PK_ESTRADDLE
 *   6. overlaps the kernel region                         PK_EKERNEL
 *   7. overlaps another process's partition               PK_EFOREIGN
 *   8. overlaps the caller's partition (it starts below it, in memory no
 *      process owns, and ends inside it)                  PK_ESTRADDLE
 *   9. anything else (free memory, beyond memory, BARs)   PK_EFAULT
 * Rule 8 is this file's addition to the brief's list: a buffer reaching
 * into the caller's partition from below "straddles a partition edge" as
 * much as one leaving it.  Overflow is about the LAST byte: [2^64 - 1, 2^64)
 * does not overflow (it is a 1-byte buffer that is nobody's: PK_EFAULT).
 * A PK_SQE_POOL buffer under RANGE is PK_EMODE.
 *
 * POOL (registered buffer pools).  PK_OP_POOL_REGISTER names
 * [addr, + count * buf_size); it is validated once with the rules above
 * (alignment 64: each buffer starts on a cache line) plus buf_size >= 64
 * and a multiple of 64, count >= 1; the product of two uint32_t cannot
 * overflow 64 bits, the end address is rule 2.  It answers the pool id
 * (ids are given in order, at most plan.max_pools, else PK_ENOSPC).
 * Afterwards SQEs carry PK_SQE_POOL and addr = pool id << 32 | index:
 * id < npools and index < count (else PK_EPOOL), 0 < len <= min(buf_size,
 * the operation's maximum) (else PK_ELEN); the buffer is base + index *
 * buf_size.  A raw address under POOL is PK_EMODE; POOL_REGISTER under
 * RANGE is PK_EPOOL ("pool mediation is off").  Unknown sqe.flags bits
 * are PK_EINVAL under both.
 *
 * Translation: the IOMMU maps partitions identically (k.h, IOMMU driver),
 * so the device address is the physical address, and so is the address the
 * process sees (*user_addr).
 *
 * Cost (charged here, and added to p->st.mediation_ps as hal_now() deltas;
 * sys.c adds the descriptor write and doorbell to the same counter):
 *   RANGE accept: 1 mem.l1 (the kernel's copy of the partition bounds) +
 *     12 cpu.cycle: flags test, len zero/max (2 compare-and-branch),
 *     overflow (subtract, compare), alignment (and, test), partition
 *     low/high (add, 2 compares), ring end (compare), result moves.  A
 *     refusal past rule 5 adds 2 cycles per other partition compared.
 *   POOL accept: 1 mem.l1 (the pool entry) + 8 cpu.cycle: flags test,
 *     shift out the id, compare to npools, compare the index, compare len
 *     (2), multiply-add for the address.
 *   POOL_REGISTER: the RANGE figure + 6 cycles for the size checks.
 * Each compare-and-branch is counted as one cycle (a well-predicted branch
 * on a modern out-of-order core retires in about one cycle). */
#include "k.h"

#define RANGE_CYCLES 12u
#define POOL_CYCLES 8u
#define REGISTER_CYCLES (RANGE_CYCLES + 6u)
#define PER_PART_CYCLES 2u
#define POOL_LINE 64u /* cache line: pool buffers start on one */

/* [a, a_last] and [b, + b_len) overlap (b_len > 0). */
static bool overlaps(uint64_t a, uint64_t a_last, uint64_t b, uint64_t b_len)
{
    uint64_t b_last = b + b_len - 1;
    return a <= b_last && b <= a_last;
}

/* Rules 6-9 (the refusal path: charged per partition compared). */
static int classify_outside(const k_proc_t *p, uint64_t addr, uint64_t last)
{
    const k_plan_t *pl = &k_state.plan;
    if (pl->kmem_size && overlaps(addr, last, pl->kmem_base, pl->kmem_size))
        return PK_EKERNEL;
    k_charge(KC_CYCLE, (uint64_t)PER_PART_CYCLES * k_state.nprocs);
    for (unsigned i = 0; i < k_state.nprocs; i++) {
        const k_plan_proc_t *o = &k_state.procs[i].plan;
        if (i != p->pid && overlaps(addr, last, o->mem_base, o->mem_size))
            return PK_EFOREIGN;
    }
    if (overlaps(addr, last, p->plan.mem_base, p->plan.mem_size))
        return PK_ESTRADDLE;
    return PK_EFAULT;
}

/* Rules 1-9 for [addr, + len): 0 or a PK_E code. */
static inline int range_check(const k_proc_t *p, uint64_t addr, uint64_t len, uint64_t max_len,
                       uint64_t align)
{
    if (len == 0 || len > max_len)
        return PK_ELEN;
    if (len - 1 > UINT64_MAX - addr)
        return PK_EOVERFLOW;
    if (addr & (align - 1))
        return PK_EALIGN;
    uint64_t last = addr + len - 1;
    uint64_t base = p->plan.mem_base, plast = base + p->plan.mem_size - 1;
    if (addr >= base && last <= plast)
        return addr < p->ring_end ? PK_ERING : PK_OK;
    if (addr >= base && addr <= plast)
        return PK_ESTRADDLE;
    return classify_outside(p, addr, last);
}

static int mediate_range(const k_proc_t *p, const struct pk_sqe *sqe, uint32_t min_align,
                         uint32_t max_len, uint64_t *dma)
{
    k_charge(KC_L1, 1);
    k_charge(KC_CYCLE, RANGE_CYCLES);
    if (sqe->flags & PK_SQE_POOL)
        return PK_EMODE;
    int err = range_check(p, sqe->addr, sqe->len, max_len, min_align);
    if (!err)
        *dma = sqe->addr; /* identity IOMMU mapping: device address = physical */
    return err;
}

static int mediate_pool(const k_proc_t *p, const struct pk_sqe *sqe, uint32_t min_align,
                        uint32_t max_len, uint64_t *dma)
{
    k_charge(KC_L1, 1);
    k_charge(KC_CYCLE, POOL_CYCLES);
    if (!(sqe->flags & PK_SQE_POOL))
        return PK_EMODE;
    uint64_t id = sqe->addr >> 32;
    uint32_t index = (uint32_t)sqe->addr;
    if (id >= p->npools || index >= p->pools[id].count)
        return PK_EPOOL;
    const k_pool_t *pool = &p->pools[id];
    if (sqe->len == 0 || sqe->len > max_len || sqe->len > pool->buf_size)
        return PK_ELEN;
    uint64_t a = pool->base + (uint64_t)index * pool->buf_size;
    if (a & (uint64_t)(min_align - 1))
        return PK_EALIGN; /* not reachable for min_align <= 64: registration
                           * checked the base and buf_size */
    *dma = a;
    return PK_OK;
}

int k_mediate(k_proc_t *p, const struct pk_sqe *sqe, uint32_t min_align, uint32_t max_len,
              uint64_t *dma, uint64_t *user_addr)
{
    uint64_t t0 = hal_now_fast();
    uint64_t a = 0;
    int err;
    if (sqe->flags & ~PK_SQE_POOL)
        err = PK_EINVAL;
    else if (k_state.plan.mediation == PK_MEDIATE_POOL)
        err = mediate_pool(p, sqe, min_align, max_len, &a);
    else
        err = mediate_range(p, sqe, min_align, max_len, &a);
    if (!err) {
        *dma = a;
        *user_addr = a; /* processes address memory physically (pk.h) */
        p->st.mediated++;
    }
    uint64_t dt = hal_now_fast() - t0;
    p->st.mediation_ps += dt;
    p->st.validate_ps += dt;
    return err;
}

static int pool_check(const k_proc_t *p, const struct pk_sqe *sqe)
{
    if (k_state.plan.mediation != PK_MEDIATE_POOL)
        return PK_EPOOL;
    if (sqe->flags)
        return PK_EINVAL;
    uint32_t bs = sqe->u.pool.buf_size, n = sqe->u.pool.count;
    if (bs < POOL_LINE || bs % POOL_LINE || n == 0)
        return PK_EINVAL;
    int err = range_check(p, sqe->addr, (uint64_t)bs * n, UINT64_MAX, POOL_LINE);
    if (err)
        return err;
    if (p->npools >= k_state.plan.max_pools || p->npools >= K_MAX_POOLS)
        return PK_ENOSPC;
    return PK_OK;
}

int k_pool_register(k_proc_t *p, const struct pk_sqe *sqe)
{
    uint64_t t0 = hal_now_fast();
    k_charge(KC_L1, 1);
    k_charge(KC_CYCLE, REGISTER_CYCLES);
    int err = pool_check(p, sqe);
    int res = -err;
    if (!err) {
        k_pool_t *pool = &p->pools[p->npools];
        pool->base = sqe->addr;
        pool->buf_size = sqe->u.pool.buf_size;
        pool->count = sqe->u.pool.count;
        res = (int)p->npools++;
    }
    uint64_t dt = hal_now_fast() - t0;
    p->st.mediation_ps += dt;
    p->st.validate_ps += dt;
    return res;
}
