/* kernel/include/pk_ring.h: user-side helpers for the SQ, the CQ and the
 * RX views (liburing's role for io_uring), all static inline over pk.h.
 *
 * struct pk_ring caches what the process needs from its info block and
 * its own copies of the ring indices, so the common path costs one
 * pk_store per published index and one pk_load per entry.  Publishing
 * follows the ring rules of pk.h: entries are written before the index
 * that publishes them (on hardware, a release store; in parasim every
 * access is in program order).
 *
 * Usage (a polling loop):
 *     struct pk_ring r; pk_ring_init(&r);
 *     for (;;) {
 *         while (pk_rx_next(&r, qi, &buf, &len) == 0) ... pk_sq_push(&r, &sqe);
 *         pk_submit(&r, 0, 0);
 *         while (pk_cq_pop(&r, &cqe) == 0) ...;
 *     } */
#ifndef PK_RING_H
#define PK_RING_H

#include <stdint.h>

#include "pk.h"

struct pk_ring {
    struct pk_info info;   /* copy of the info block */
    uint32_t sq_tail;      /* next SQE slot to fill (not yet published) */
    uint32_t sq_published; /* tail as last stored */
    uint32_t cq_head;      /* next CQE to read */
    uint32_t rx_next[PK_MAX_NIC_QUEUES]; /* next RX slot to read, per queue */
};

/* 0, or -1 when the info block is missing or of another ABI version. */
static inline int pk_ring_init(struct pk_ring *r)
{
    uint64_t self = pk_self();
    if (pk_load_fast(self, &r->info, sizeof r->info) < 0 || r->info.magic != PK_INFO_MAGIC ||
        r->info.abi_version != PK_ABI_VERSION)
        return -1;
    r->sq_tail = r->sq_published = 0;
    r->cq_head = 0;
    for (unsigned i = 0; i < PK_MAX_NIC_QUEUES; i++)
        r->rx_next[i] = 0;
    return 0;
}

/* SQEs written but not yet consumed by the kernel, as far as we know. */
static inline uint32_t pk_sq_head(const struct pk_ring *r)
{
    uint32_t head = 0;
    pk_load_fast(r->info.sq + PK_RING_HEAD, &head, sizeof head);
    return head;
}

/* Append one SQE; -1 when the SQ is full. */
static inline int pk_sq_push(struct pk_ring *r, const struct pk_sqe *sqe)
{
    if (r->sq_tail - pk_sq_head(r) >= r->info.sq_entries)
        return -1;
    uint64_t at = r->info.sq + PK_RING_ENTRIES +
                  (uint64_t)(r->sq_tail & (r->info.sq_entries - 1)) * sizeof *sqe;
    pk_store_fast(at, sqe, sizeof *sqe);
    r->sq_tail++;
    return 0;
}

/* Publish the SQEs pushed since the last call and enter the kernel,
 * submitting every SQE not yet consumed (also those an earlier call left
 * behind when the CQ was full). */
static inline int pk_submit(struct pk_ring *r, unsigned min_complete, unsigned flags)
{
    if (r->sq_tail != r->sq_published)
        pk_store_fast(r->info.sq + PK_RING_TAIL, &r->sq_tail, sizeof r->sq_tail);
    r->sq_published = r->sq_tail;
    return pk_enter(r->sq_tail - pk_sq_head(r), min_complete, flags);
}

/* Take one completion; -1 when the CQ is empty. */
static inline int pk_cq_pop(struct pk_ring *r, struct pk_cqe *cqe)
{
    uint32_t tail = 0;
    pk_load_fast(r->info.cq + PK_RING_TAIL, &tail, sizeof tail);
    if (tail == r->cq_head)
        return -1;
    uint64_t at = r->info.cq + PK_RING_ENTRIES +
                  (uint64_t)(r->cq_head & (r->info.cq_entries - 1)) * sizeof *cqe;
    pk_load_fast(at, cqe, sizeof *cqe);
    r->cq_head++;
    pk_store_fast(r->info.cq + PK_RING_HEAD, &r->cq_head, sizeof r->cq_head);
    return 0;
}

/* The next received frame on the process's queue index qi (0 ..
 * info.nic_queues - 1): its buffer address and length; -1 when none.
 * The slot is consumed: give the buffer back with NET_RX_REFILL when done
 * with it (refills fill slots in order, so refill only what was read). */
static inline int pk_rx_next(struct pk_ring *r, unsigned qi, uint64_t *buf, uint32_t *len)
{
    uint32_t posted = 0;
    pk_load_fast(r->info.rx_shadow[qi] + PK_RXV_POSTED, &posted, sizeof posted);
    if (posted == r->rx_next[qi])
        return -1;
    uint32_t n = r->info.rx_entries; /* a power of 2 masks: no divide */
    uint32_t slot = n & (n - 1) ? r->rx_next[qi] % n : r->rx_next[qi] & (n - 1);
    uint64_t d = r->info.rx_ring[qi] + (uint64_t)slot * PK_RXD_BYTES;
    uint8_t wb[PK_RXD_BYTES];
    if (pk_load_fast(d, wb, sizeof wb) < 0)
        return -1;
    uint32_t status = (uint32_t)wb[PK_RXD_STATUS] | (uint32_t)wb[PK_RXD_STATUS + 1] << 8;
    if (!(status & PK_RXD_DD))
        return -1;
    *len = (uint32_t)wb[PK_RXD_LEN] | (uint32_t)wb[PK_RXD_LEN + 1] << 8;
    pk_load_fast(r->info.rx_shadow[qi] + PK_RXV_SHADOW + (uint64_t)slot * sizeof(uint64_t), buf,
            sizeof *buf);
    r->rx_next[qi]++;
    return 0;
}

#endif
