/* kernel/cq.c: completion posting into a process's completion queue.
 *
 * Contract (k.h, "completions"): k_cq_post writes one struct pk_cqe at the
 * kernel's tail, then publishes the tail (entry before index: the ring
 * rule of include/pk.h), and counts it; it never overwrites an entry the
 * process has not consumed (-1 when the CQ is full).  Every completion of
 * the kernel goes through here: SQE results, refusals, TX and NVMe
 * completions harvested by the drivers, timer expiries.
 *
 * Counting rule: p->st.cqes counts every CQE written; a CQE with a
 * negative res also counts p->st.errors[-res] (so a refusal is counted
 * exactly once, wherever it is produced: callers do not count it again).
 *
 * The head is the process's (u) and is read, never trusted: a process
 * that publishes a head behind the tail by more than `entries` (or ahead
 * of it) sees a full CQ -- it harms only itself.  The tail is the
 * kernel's own copy (p->cq_tail); the one in memory is only published.
 *
 * Costs (cost table, model/cost.c): reading the head is one mem.l1 (the
 * process wrote it on this same core, one process per core); a CQE is one
 * mem.llc (a line shared with the process, as DESIGN.md's rings);
 * the index arithmetic is counted in cpu.cycle, see each function. */
#include "k.h"

/* Entries the process has not consumed yet, clamped to the ring size. */
static inline uint32_t cq_used(const k_proc_t *p)
{
    uint32_t head = 0;
    if (hal_mem_read_fast(p->cq + PK_RING_HEAD, &head, sizeof head) < 0)
        return p->cq_entries; /* cannot happen for a booted partition: be safe */
    uint32_t used = p->cq_tail - head;
    return used > p->cq_entries ? p->cq_entries : used;
}

unsigned k_cq_room(const k_proc_t *p)
{
    /* load head (mem.l1) + subtract, compare, select, subtract: 4 cycles */
    k_charge(KC_L1, 1);
    k_charge(KC_CYCLE, 4);
    return p->cq_entries - cq_used(p);
}

unsigned k_cq_ready(const k_proc_t *p)
{
    k_charge(KC_L1, 1);
    k_charge(KC_CYCLE, 3); /* subtract, compare, select */
    return cq_used(p);
}

int k_cq_post(k_proc_t *p, uint64_t user_data, int32_t res, uint32_t flags)
{
    if (k_cq_room(p) == 0)
        return -1;
    struct pk_cqe cqe = {.user_data = user_data, .res = res, .flags = flags};
    uint64_t at = p->cq + PK_RING_ENTRIES +
                  (uint64_t)(p->cq_tail & (p->cq_entries - 1)) * sizeof cqe;
    hal_mem_write_fast(at, &cqe, sizeof cqe);
    p->cq_tail++;
    hal_mem_write_fast(p->cq + PK_RING_TAIL, &p->cq_tail, sizeof p->cq_tail);
    /* the CQE's line (mem.llc); mask, shift, add for the slot, three
     * stores of the entry, increment and store of the tail: 8 cycles */
    k_charge(KC_LLC, 1);
    k_charge(KC_CYCLE, 8);
    p->st.cqes++;
    if (res < 0 && (uint32_t)-(int64_t)res < PK_ERR_COUNT)
        p->st.errors[-(int64_t)res]++;
    return 0;
}
