/* kernel/hal.h: the parakernel's only door to hardware.
 *
 * Everything the kernel does to the machine goes through these functions;
 * porting the kernel to real hardware means reimplementing this header and
 * nothing else.  The simulator implements it in sim/hal.c on top of the
 * device models (and nothing else of the simulator is visible here).
 *
 * Execution model.  The kernel has no threads of its own.  It runs only
 *   - at boot (k_boot, on the boot core),
 *   - in a system call made by the process running on the current core
 *     (k_sys_enter), and
 *   - in an interrupt handler registered with hal_irq_register, on the core
 *     the interrupt was delivered to.
 * Each of these is one kernel "entry".  Code runs on the host in zero
 * simulated time and declares the work the modelled core performs with
 * hal_charge(); the core's clock advances by it, so hal_now() moves too.
 *
 * Memory.  Physical memory is reached by copying (hal_mem_read/write), as
 * a kernel would through its direct map.  Addresses are physical.  An
 * access outside physical memory returns -1 and does nothing.
 *
 * MMIO.  Reads are non-posted: the core stalls a round trip (charged here,
 * by the HAL, not by the caller).  Writes are posted: the core spends the
 * issue cost, the device sees the write later, in program order, and
 * never before the point of the entry at which it was made (the HAL holds
 * a write until the core's clock reaches it).
 *
 * Costs.  Names are the cost table's (`parasim config` lists them), e.g.
 * "mem.llc" or "cpu.cycle".  Resolve a name once with hal_cost_id() (at
 * boot) and charge by id on hot paths.  The mode (kernel or interrupt) is
 * the entry's.
 *
 * Versioned: a HAL backend states HAL_VERSION it implements. */
#ifndef PARAKERNEL_HAL_H
#define PARAKERNEL_HAL_H

#include <stddef.h>
#include <stdint.h>

#define HAL_VERSION 1

/* ---------------------------------------------------------------- MMIO
 * size is 1, 2, 4 or 8 bytes; addr is a physical MMIO address (a BAR). */
uint8_t hal_mmio_read8(uint64_t addr);
uint16_t hal_mmio_read16(uint64_t addr);
uint32_t hal_mmio_read32(uint64_t addr);
uint64_t hal_mmio_read64(uint64_t addr);
void hal_mmio_write8(uint64_t addr, uint8_t val);
void hal_mmio_write16(uint64_t addr, uint16_t val);
void hal_mmio_write32(uint64_t addr, uint32_t val);
void hal_mmio_write64(uint64_t addr, uint64_t val);

/* ---------------------------------------------------------------- memory
 * Physical memory, copied.  0, or -1 when [pa, pa + len) is not memory.
 * Reads see every DMA write completed by the current time. */
int hal_mem_read(uint64_t pa, void *dst, size_t len);
int hal_mem_write(uint64_t pa, const void *src, size_t len);
int hal_mem_fill(uint64_t pa, uint8_t byte, size_t len);
uint64_t hal_mem_size(void); /* bytes of physical memory */

/* ---------------------------------------------------------------- CPU */
unsigned hal_cpu_id(void);    /* the core this entry runs on */
unsigned hal_cpu_count(void); /* cores in the machine */
uint64_t hal_now(void);       /* this core's time, picoseconds (a TSC) */

/* Busy-wait (udelay): the current core spins for ps picoseconds, charged
 * in the entry's mode, while the machine runs: device work due by the
 * core's new time has happened when it returns (posted MMIO writes
 * delivered, DMA landed, device events run).  For bring-up loops that
 * wait on a device at boot (NVMe CSTS.RDY, admin command completions). */
void hal_delay(uint64_t ps);

/* Per-core deadline timer (TSC-deadline): the interrupt `vector` fires on
 * the current core at `deadline` ps (at once when already past); a new
 * deadline replaces the old one; 0 disarms.  The vector is set with
 * hal_timer_vector() once per core. */
int hal_timer_vector(unsigned vector);
void hal_timer_arm(uint64_t deadline);

/* Interrupts: call fn(ctx, vector) on `core` when `vector` (32..255) is
 * delivered there.  -1 for a bad core or vector.  MSI-X messages from
 * devices carry (core, vector) as the kernel programmed them. */
typedef void (*hal_irq_fn)(void *ctx, unsigned vector);
int hal_irq_register(unsigned core, unsigned vector, hal_irq_fn fn, void *ctx);

/* ---------------------------------------------------------------- costs */
/* -1 when the cost table has no such entry. */
int hal_cost_id(const char *name);
/* Declare `count` times the cost `id` of work on the current core. */
void hal_charge(int id, uint64_t count);

/* ---------------------------------------------------------------- fast paths
 * HAL v1 addition: inline forms of the four calls a kernel entry makes
 * tens of times (hal_charge, hal_now, hal_mem_read, hal_mem_write), for
 * hot paths.  They have exactly the semantics of the functions above; a
 * backend that does not fill `hal_fast` (every field 0) makes them call
 * the functions.  The backend keeps hal_fast current:
 *   pend, charged: the charges of the current entry not yet booked on its
 *     core (hal_charge adds to them too); the backend books them before
 *     anything looks at the core's clock (entry end, MMIO, the timer...)
 *     and refuses (hal_panic) charges made outside an entry when it does;
 *   cost_ps[ncosts]: picoseconds of one unit of each cost id (fixed for a
 *     run);
 *   now, clock: the machine's time and the current entry's core clock
 *     (clock NULL: no entry, hal_now_fast calls hal_now);
 *   rmem, wmem, mem_size: a direct map of physical memory for reads and
 *     writes (NULL: take the function); rmem is NULL while the entry's
 *     reads need the backend (made outside the machine's event loop);
 *   rgate_due, rgate_now: reads through rmem are exact while
 *     *rgate_due > *rgate_now (no device write is due to land first);
 *   wpages: bit i set when 4 KiB page i may be written through wmem. */
struct hal_fast {
    uint64_t pend;
    uint64_t charged;
    const uint64_t *cost_ps;
    uint64_t ncosts;
    const uint64_t *now, *clock;
    uint8_t *rmem, *wmem;
    uint64_t mem_size;
    const uint64_t *rgate_due, *rgate_now;
    const uint64_t *wpages;
};
extern struct hal_fast hal_fast;

#if defined(__GNUC__)
#define HAL_COPY(d, s, n) __builtin_memcpy((d), (s), (n))
#else
#define HAL_COPY(d, s, n) memcpy((d), (s), (n))
void *memcpy(void *restrict d, const void *restrict s, size_t n);
#endif

/* A copy of n bytes: one fixed-size move when n is a constant, else
 * overlapping 16/8/4-byte moves (a variable-length memcpy of a few dozen
 * bytes would start `rep movs`, slow to start). */
static inline void hal_copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
#if defined(__GNUC__)
    if (__builtin_constant_p(n)) {
        HAL_COPY(d, s, n);
        return;
    }
#endif
    if (n >= 16) {
        for (size_t i = 0; i + 16 < n; i += 16)
            HAL_COPY(d + i, s + i, 16);
        HAL_COPY(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        HAL_COPY(d, s, 8);
        HAL_COPY(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        HAL_COPY(d, s, 4);
        HAL_COPY(d + n - 4, s + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

static inline void hal_charge_fast(int id, uint64_t count)
{
    if ((unsigned)id < hal_fast.ncosts) {
        hal_fast.pend += hal_fast.cost_ps[id] * count;
        hal_fast.charged = 1;
    } else {
        hal_charge(id, count);
    }
}

/* The core's clock once the pending charges are booked: max(clock, now)
 * + pend (a booking starts at max(clock, now)). */
static inline uint64_t hal_now_fast(void)
{
    if (!hal_fast.clock)
        return hal_now();
    uint64_t now = *hal_fast.now, c = *hal_fast.clock;
    return (c > now ? c : now) + hal_fast.pend;
}

static inline int hal_mem_read_fast(uint64_t pa, void *dst, size_t len)
{
    if (hal_fast.rmem && *hal_fast.rgate_due > *hal_fast.rgate_now && pa <= hal_fast.mem_size &&
        len <= hal_fast.mem_size - pa) {
        hal_copy(dst, hal_fast.rmem + pa, len);
        return 0;
    }
    return hal_mem_read(pa, dst, len);
}

static inline int hal_mem_write_fast(uint64_t pa, const void *src, size_t len)
{
    if (hal_fast.wmem && pa <= hal_fast.mem_size && len && len <= hal_fast.mem_size - pa &&
        (pa & 4095u) + len <= 4096u && (hal_fast.wpages[pa >> 18] >> ((pa >> 12) & 63) & 1)) {
        hal_copy(hal_fast.wmem + pa, src, len);
        return 0;
    }
    return hal_mem_write(pa, src, len);
}

/* ---------------------------------------------------------------- processes
 * What the kernel tells the platform about the process on a core (one
 * process per core: the process is the unit of parallelism).
 *
 * hal_user_map: program the MMU so that the process on `core` may access
 * [pa, pa + len) (read-only unless writable).  Processes address memory
 * physically (identity-mapped); everything else faults.
 *
 * hal_poll_watch: the process on `core` polls [pa, pa + len) (its RX
 * descriptors, and memory the kernel harvests for it): a device write
 * there ends an idle poll.  On hardware this is a no-op (the loop spins)
 * or MONITOR/MWAIT; the simulator uses it so idle polling costs no host
 * time (DESIGN.md, "event-driven polling").
 *
 * hal_user_wait / hal_user_wake: the process on the current core blocks
 * when this entry returns (the core halts), until an interrupt handler on
 * that core calls hal_user_wake().  Interrupts arriving at a core whose
 * process polls resume its poll loop when the handler returns. */
int hal_user_map(unsigned core, uint64_t pa, uint64_t len, int writable);
int hal_poll_watch(unsigned core, uint64_t pa, uint64_t len);
void hal_user_wait(void);
void hal_user_wake(void);

/* An invariant of the kernel is broken: stop the machine with a message.
 * Never returns. */
_Noreturn void hal_panic(const char *msg);

#endif
