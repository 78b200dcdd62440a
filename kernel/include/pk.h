/* kernel/include/pk.h: the parakernel's user ABI (version PK_ABI_VERSION).
 *
 * The only header (with pk_ring.h) a process sees.  Liburing-like: each
 * process has one submission queue (SQ) and one completion queue (CQ) in
 * its own memory, shared with the kernel, and one data-plane system call,
 * pk_enter().  Nothing here blocks unless the caller asks to wait.
 *
 * Memory.  A process owns one partition of physical memory
 * [pk_info.mem_base, + mem_size) and addresses it physically (there is no
 * per-process translation; the kernel refuses every address outside the
 * partition).  The partition starts with the info block (struct pk_info,
 * written by the kernel at boot), then the SQ and CQ; the rest,
 * [heap_base, + heap_size), is the process's to use for buffers.  The
 * process reads and writes memory with pk_load/pk_store: on hardware a
 * plain copy through the process's mapping; in parasim a bounds-checked
 * copy: outside what the kernel mapped for the process it copies nothing,
 * returns -1 and is counted as a fault of the process (which keeps
 * running: the fault harms only itself).
 *
 * Rings.  Free-running uint32_t head and tail, masked by entries - 1
 * (a power of two), full when tail - head == entries.  Each field says
 * who writes it: (k) kernel, (u) user, (d) device.
 *   SQ: the process writes SQEs at tail and publishes tail (u); the kernel
 *       consumes from head in pk_enter and publishes head (k).
 *   CQ: the kernel writes CQEs at tail and publishes tail (k); the process
 *       consumes from head and publishes head (u).  A CQ that would
 *       overflow is never overwritten: pk_enter stops consuming SQEs whose
 *       completions would not fit (and says so in its return value).
 * Ring memory = header (two cache lines: head, then tail) + entries.
 *
 * Received packets (the design choice, see README "Parakernel"): each of
 * the process's NIC receive rings is mapped READ-ONLY into the process,
 * with a shadow array the kernel keeps beside it.  The process polls the
 * ring itself: when slot i was posted and its descriptor has DD set, the
 * frame is in the buffer the shadow area names for slot i, PKT_LEN bytes
 * long.  So receiving
 * costs no system call; only giving buffers back (NET_RX_REFILL) is
 * mediated.  The descriptor is the NIC's advanced receive write-back
 * format (82599 datasheet 7.1.6.2), described by PK_RXD_*.
 *
 * Errors.  A refused operation completes with res = -PK_E..., is counted
 * per process and per code, and touches nothing of anyone else.
 *
 * Simulation annotations (pk_charge): on hardware they compile to nothing;
 * in parasim they declare the CPU work the process's code stands for. */
#ifndef PK_H
#define PK_H

#include <stddef.h>
#include <stdint.h>

#define PK_ABI_VERSION 1
#define PK_INFO_MAGIC 0x6c6e6b70u /* "pknl" */

#define PK_MAX_NIC_QUEUES 16  /* per process */
#define PK_MAX_NVME_QUEUES 16 /* per process */

/* ---------------------------------------------------------------- opcodes */
enum pk_op {
    PK_OP_NOP = 0,        /* completes with res 0 */
    PK_OP_NET_RX_REFILL,  /* queue, addr, len: give one RX buffer (len >= the max frame) */
    PK_OP_NET_TX,         /* queue, addr, len: send the frame at addr; completes when
                           * the NIC has read it (the buffer is free again) */
    PK_OP_BLK_READ,       /* queue, addr, len, blk.lba: len bytes (a multiple of the
                           * LBA size) from lba into addr */
    PK_OP_BLK_WRITE,      /* as BLK_READ, from addr to lba */
    PK_OP_BLK_FLUSH,      /* queue */
    PK_OP_TIMER_ARM,      /* timer.ns: completes after that many ns (or at that time
                           * with PK_TIMER_ABS) with res 0; user_data names it */
    PK_OP_TIMER_CANCEL,   /* user_data of the timer: it completes with -PK_ECANCELED,
                           * the cancel itself with res 0 (or -PK_ENOENT) */
    PK_OP_FLOW_STEER,     /* queue, flow: frames matching flow go to queue (one of
                           * the caller's); res = the rule's id */
    PK_OP_POOL_REGISTER,  /* addr, pool.count buffers of pool.buf_size bytes: validated
                           * once; res = the pool id; then SQEs with PK_SQE_POOL name
                           * buffers as (pool id << 32 | index) in addr */
    PK_OP_COUNT
};

/* sqe.flags */
#define PK_SQE_POOL 0x01u /* addr is a registered buffer (pool mediation) */

/* timer.flags */
#define PK_TIMER_ABS 0x01u /* timer.ns is an absolute time (pk_now's clock) */

/* ---------------------------------------------------------------- errors
 * Completions carry -PK_E...; pk_enter returns -PK_E... for errors of the
 * call itself.  Each isolation attack has its own code. */
enum pk_err {
    PK_OK = 0,
    PK_EOPCODE,    /* unknown opcode */
    PK_EINVAL,     /* a field is out of its range (flags, sizes, lba...) */
    PK_EFOREIGN,   /* buffer inside another process's partition */
    PK_EKERNEL,    /* buffer inside kernel memory */
    PK_ERING,      /* buffer overlaps the caller's own SQ/CQ/info (ring memory) */
    PK_ESTRADDLE,  /* buffer starts in the caller's partition and leaves it */
    PK_EOVERFLOW,  /* addr + len overflows */
    PK_EFAULT,     /* buffer is not memory the caller could own at all */
    PK_EALIGN,     /* misaligned (BLK: 4-byte data pointers; RX: 2-byte) */
    PK_ELEN,       /* length 0 or above the limit for the operation */
    PK_EQUEUE,     /* queue id is not one of the caller's queues */
    PK_ESTEER,     /* FLOW_STEER to a queue that is not the caller's */
    PK_ESQINDEX,   /* SQ tail more than `entries` ahead of head (pk_enter) */
    PK_EAGAIN,     /* the device ring is full: retry after completions */
    PK_ETIMERS,    /* the caller has max_timers timers armed */
    PK_ENOENT,     /* TIMER_CANCEL of no armed timer */
    PK_ECANCELED,  /* a cancelled timer's completion */
    PK_EPOOL,      /* bad pool id or buffer index, or pool mediation is off */
    PK_EIO,        /* the device reported an error (NVMe status in cqe.flags) */
    PK_ENOSPC,     /* no room for another flow rule or pool */
    PK_ECQFULL,    /* pk_enter: the CQ cannot take another completion */
    PK_EMODE,      /* raw address under pool mediation, or PK_SQE_POOL under range */
    PK_ERR_COUNT
};

/* ---------------------------------------------------------------- entries */
struct pk_flow {          /* FLOW_STEER match; fields in host order */
    uint8_t ip_version;   /* 4 or 6 */
    uint8_t proto;        /* 6 TCP, 17 UDP */
    uint8_t match;        /* PK_FLOW_* bits: which fields must match */
    uint8_t pad;
    uint16_t src_port, dst_port;
    uint8_t src_ip[16], dst_ip[16]; /* IPv4: the first 4 bytes, network order */
};
#define PK_FLOW_SRC_IP 0x01u
#define PK_FLOW_DST_IP 0x02u
#define PK_FLOW_SRC_PORT 0x04u
#define PK_FLOW_DST_PORT 0x08u

struct pk_sqe {           /* 64 bytes, written by (u) */
    uint8_t opcode;       /* enum pk_op */
    uint8_t flags;        /* PK_SQE_* */
    uint16_t queue;       /* a device queue id from struct pk_info */
    uint32_t len;         /* bytes */
    uint64_t addr;        /* physical address in the caller's partition, or
                           * a pool buffer (PK_SQE_POOL) */
    uint64_t user_data;   /* echoed in the completion */
    union {
        struct { uint64_t lba; } blk;
        struct { uint64_t ns; uint32_t flags; } timer;
        struct { uint32_t buf_size, count; } pool;
        struct pk_flow flow;
        uint8_t raw[40];
    } u;
};

struct pk_cqe {           /* 16 bytes, written by (k) */
    uint64_t user_data;
    int32_t res;          /* >= 0: result (bytes, id); < 0: -PK_E... */
    uint32_t flags;       /* bits 7:0 the opcode; PK_EIO: bits 31:16 the
                           * NVMe status field (SCT << 8 | SC) */
};

/* Ring header offsets (bytes from the ring's address); entries follow. */
#define PK_RING_HEAD 0u   /* uint32_t: SQ (k), CQ (u) */
#define PK_RING_TAIL 64u  /* uint32_t: SQ (u), CQ (k) */
#define PK_RING_ENTRIES 128u

/* ---------------------------------------------------------------- RX view
 * Receive ring slot (16 B, written by (d)), advanced write-back format: */
#define PK_RXD_BYTES 16u
#define PK_RXD_HASH 4u     /* uint32_t: RSS hash */
#define PK_RXD_STATUS 8u   /* uint32_t: PK_RXD_DD, PK_RXD_EOP */
#define PK_RXD_LEN 12u     /* uint16_t: bytes in the buffer */
#define PK_RXD_DD 0x1u
#define PK_RXD_EOP 0x2u
/* The shadow area beside it (written by (k)): a free-running count of
 * the buffers posted to the ring (a slot is worth reading only while the
 * reader's own free-running count is below it: the slot after the last
 * posted one may still hold an old write-back), then the buffer address
 * of each slot. */
#define PK_RXV_POSTED 0u   /* uint32_t (k) */
#define PK_RXV_SHADOW 64u  /* uint64_t[entries] (k) */

/* ---------------------------------------------------------------- info
 * At mem_base, written by (k) at boot.  The kernel keeps its own copy:
 * a process that overwrites this harms only itself. */
enum pk_mediation { PK_MEDIATE_RANGE = 0, PK_MEDIATE_POOL = 1 };

struct pk_info {
    uint32_t magic, abi_version;
    uint32_t pid, core;
    uint64_t mem_base, mem_size;     /* the partition */
    uint64_t heap_base, heap_size;   /* free for the process's buffers */
    uint64_t sq, cq;                 /* ring addresses */
    uint32_t sq_entries, cq_entries;
    uint32_t mediation;              /* enum pk_mediation */
    uint32_t max_timers;
    uint32_t rx_buf_min;             /* RX buffers must be at least this long */
    uint32_t tx_len_max;             /* longest frame NET_TX takes */
    uint8_t mac[6];                  /* the host's MAC (one MAC for all) */
    uint16_t nic_queues;             /* queue pairs owned */
    uint16_t nic_queue[PK_MAX_NIC_QUEUES];   /* their device ids */
    uint64_t rx_ring[PK_MAX_NIC_QUEUES];     /* RX view: descriptors */
    uint64_t rx_shadow[PK_MAX_NIC_QUEUES];   /* RX view: shadow area */
    uint32_t rx_entries;             /* slots per RX ring */
    uint16_t nvme_queues;            /* NVMe queue pairs owned */
    uint16_t nvme_qid[PK_MAX_NVME_QUEUES];   /* their queue ids */
    uint32_t lba_size;               /* bytes per logical block, 0: no NVMe */
    uint64_t ns_blocks;              /* namespace size in blocks */
};

/* ---------------------------------------------------------------- calls */
/* pk_enter flags */
#define PK_ENTER_WAIT 0x01u /* block until min_complete completions are in the
                             * CQ, or a frame arrived on one of the caller's
                             * RX rings; interrupts are enabled while waiting */

/* Consume up to to_submit SQEs (stopping early when the CQ could not take
 * their completions), then collect finished device work (TX, NVMe,
 * timers) into the CQ.  Returns the number of SQEs consumed, or -PK_E...
 * (PK_ESQINDEX: the SQ tail is beyond head + entries; nothing consumed).
 * With PK_ENTER_WAIT and fewer than min_complete CQEs ready, the process
 * blocks when it returns to its loop (in parasim: its step ends and the
 * next one starts when the wait is over). */
int pk_enter(unsigned to_submit, unsigned min_complete, unsigned flags);

/* The process's info block (its partition's base address). */
uint64_t pk_self(void);
/* Copy between the process's memory and the caller; 0 or -1 (fault). */
int pk_load(uint64_t addr, void *dst, uint32_t len);
int pk_store(uint64_t addr, const void *src, uint32_t len);
/* This core's time stamp counter, picoseconds. */
uint64_t pk_now(void);
/* Simulation annotations: the work just done costs `count` times the cost
 * table entry `id` (user mode).  pk_cost() resolves a name once ("mem.llc",
 * "cpu.cycle"...; `parasim config` lists them); -1 for an unknown name. */
int pk_cost(const char *name);
void pk_charge(int id, uint64_t count);

/* ---------------------------------------------------------------- fast paths
 * ABI v1 addition (liburing's inline helpers play this role): inline
 * forms of pk_load, pk_store and pk_charge for hot loops, with exactly
 * their semantics; every case they do not cover calls the function.  The
 * platform keeps pk_fast current while a process runs (on hardware a
 * load is a plain copy through the mapping and these reduce to it):
 *   r, w: two spans [lo, end) the running process was last granted for
 *     reads and for writes (NULL: no process runs);
 *   rmem, wmem, mem_size: a direct map of its memory (NULL: the call);
 *   rgate_due, rgate_now: loads through rmem are exact while
 *     *rgate_due > *rgate_now (no device write due to land first);
 *   wpages: bit i set when 4 KiB page i may be stored to through wmem;
 *   upend, ucharged: the annotations of the running step not yet booked
 *     (pk_charge adds to them too), cost_ps[ncosts] the cost table. */
struct pk_span {
    uint64_t lo, end;
};
struct pk_fast {
    const struct pk_span *r, *w;
    const uint8_t *rmem;
    uint8_t *wmem;
    uint64_t mem_size;
    const uint64_t *rgate_due, *rgate_now;
    const uint64_t *wpages;
    uint64_t upend, ucharged;
    const uint64_t *cost_ps;
    uint64_t ncosts;
};
extern struct pk_fast pk_fast;

#if defined(__GNUC__)
#define PK_COPY(d, s, n) __builtin_memcpy((d), (s), (n))
#else /* a freestanding C library still provides memcpy (C11 4p6 leaves it to the
       * implementation; GCC and Clang require it) */
void *memcpy(void *restrict d, const void *restrict s, size_t n);
#define PK_COPY(d, s, n) memcpy((d), (s), (n))
#endif

/* A copy of n bytes: one fixed-size move when n is a constant, else
 * overlapping 16/8/4-byte moves (a variable-length memcpy of a few dozen
 * bytes would start `rep movs`, slow to start). */
static inline void pk_copy(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
#if defined(__GNUC__)
    if (__builtin_constant_p(n)) {
        PK_COPY(d, s, n);
        return;
    }
#endif
    if (n >= 16) {
        for (uint32_t i = 0; i + 16 < n; i += 16)
            PK_COPY(d + i, s + i, 16);
        PK_COPY(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        PK_COPY(d, s, 8);
        PK_COPY(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        PK_COPY(d, s, 4);
        PK_COPY(d + n - 4, s + n - 4, 4);
    } else {
        for (uint32_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

static inline int pk_span_has(const struct pk_span *s, uint64_t addr, uint32_t len)
{
    return addr >= s->lo && addr < s->end && len <= s->end - addr;
}

static inline int pk_load_fast(uint64_t addr, void *dst, uint32_t len)
{
    const struct pk_span *r = pk_fast.r;
    if (r && len && (pk_span_has(&r[0], addr, len) || pk_span_has(&r[1], addr, len)) &&
        pk_fast.rmem && *pk_fast.rgate_due > *pk_fast.rgate_now && addr <= pk_fast.mem_size &&
        len <= pk_fast.mem_size - addr) {
        pk_copy(dst, pk_fast.rmem + addr, len);
        return 0;
    }
    return pk_load(addr, dst, len);
}

static inline int pk_store_fast(uint64_t addr, const void *src, uint32_t len)
{
    const struct pk_span *w = pk_fast.w;
    if (w && len && (pk_span_has(&w[0], addr, len) || pk_span_has(&w[1], addr, len)) &&
        pk_fast.wmem && addr <= pk_fast.mem_size && len <= pk_fast.mem_size - addr &&
        (addr & 4095u) + len <= 4096u && (pk_fast.wpages[addr >> 18] >> ((addr >> 12) & 63) & 1)) {
        pk_copy(pk_fast.wmem + addr, src, len);
        return 0;
    }
    return pk_store(addr, src, len);
}

static inline void pk_charge_fast(int id, uint64_t count)
{
    if (pk_fast.r && (unsigned)id < pk_fast.ncosts) {
        pk_fast.upend += pk_fast.cost_ps[id] * count;
        pk_fast.ucharged = 1;
    } else {
        pk_charge(id, count);
    }
}

const char *pk_err_name(int err); /* "PK_EFOREIGN"...; takes err or -err */
const char *pk_op_name(unsigned op);

#endif
