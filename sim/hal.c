/* sim/hal: the simulator's implementation of kernel/hal.h (HAL_VERSION 1)
 * on a machine_t, and the platform side of it declared in sim/machine.h.
 *
 * Entries.  A kernel entry (boot, system call, interrupt handler) is
 * bracketed by machine_entry_begin/end; a small stack of (core, mode)
 * says which core hal_cpu_id/hal_now/hal_charge act on.  hal_charge books
 * count x cost on that core in the entry's mode (cpu_charge: it starts at
 * max(now, core clock)), so hal_now() = max(sim_now, core clock) moves as
 * the entry charges.  Calling a core-bound HAL function outside any entry
 * is a simulator bug (hal_panic).  The kernel charges in small pieces
 * (tens per system call), so hal_charge only adds to a pending sum that
 * is booked as one charge before anything looks at the core's time
 * (charge_flush: the same clock and accounts, fewer instructions).  The
 * sum lives in `hal_fast` (kernel/hal.h, fast paths) with the cost table,
 * the clocks and devices/mem.h's flat backing: the kernel's inline forms
 * add charges, read max(clock, now) + sum, and copy under mem.h's inline
 * accessors' conditions without a call.
 *
 * MMIO.  Reads: pcie_mmio_read, the returned round trip charged.  Writes
 * are posted (hal.h): the core is charged pcie.mmio_write to issue it, and
 * the write reaches the bus at the core's clock as it was when the store
 * was issued -- not at sim_now, which is behind while an entry charges.
 * Each core keeps a FIFO of such held writes (and of deadline-timer
 * writes, hal_timer_arm, which follow the same rule), delivered in program
 * order by one engine event for its head.  A write issued when the clock
 * is not ahead of now and nothing is held goes straight to the bus (which
 * adds its own posting delay).  Known limit: an MMIO read first delivers
 * the core's held writes (a non-posted read does not pass posted writes,
 * PCIe Base Spec 2.4.1), and the read itself happens at sim_now: both are
 * a little early when the core's clock is ahead.  hal_mem_read likewise
 * sees memory as of sim_now.  Except outside the engine: an entry made
 * while sim_run is not running (boot; a test acting as a process) first
 * runs the engine up to its core's clock on every MMIO read, memory read
 * and hal_delay, so a kernel polling a device at boot (NVMe CSTS.RDY, an
 * admin completion) sees it progress as it charges.  hal_delay inside an
 * event only charges: the engine does not nest, and nothing in the
 * kernel's process or interrupt paths waits.
 *
 * Processes.  hal_user_map records per-core ranges (read-only or
 * writable) that machine_user_access checks (an access must be covered by
 * the union of the core's ranges, writable ones for a write): the unions
 * are kept as merged spans (sim/uspans.h), rebuilt at each hal_user_map.
 * hal_poll_watch records per-core ranges in one array sorted by address;
 * the PCIe bus's DMA-write hook looks a write up by binary search and
 * tells the machine_set_watch callback (core, completion time) of every
 * watched range it touches.  hal_user_wait/wake set per-core flags read
 * (and cleared) by machine_take_wait/take_wake.
 *
 * Interrupts.  hal_irq_register installs a trampoline in the core's
 * interrupt controller: entry begin (CPU_IRQ), the kernel's handler, entry
 * end, then the machine_set_irq_return callback (core, core clock) so a
 * process polling on that core resumes its loop.
 *
 * One machine is bound at a time (machine_hal_bind): the kernel's state is
 * static, so two machines could not share one host process anyway. */
#include "kernel/hal.h"

#include "devices/mem.h"
#include "devices/pcie.h"
#include "devices/timer.h"
#include "model/cost.h"
#include "sim/alloc.h"
#include "sim/irqc.h"
#include "sim/machine.h"
#include "sim/machine_int.h"
#include "sim/uspans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

#define ENTRY_DEPTH 8u      /* nested entries (boot calling handlers...) */
#define PW_TIMER 0u         /* held write kind: size 0 = deadline timer */
#define LVT_DEADLINE ((uint32_t)TIMER_LVT_MODE_DEADLINE << TIMER_LVT_MODE_SHIFT)
#define WATCH_MEMO 64u      /* dma_written's direct-mapped memo, by page */

typedef struct held_write {
    sim_time_t due;         /* the core's clock when it was issued, ps */
    uint64_t addr, val;
    unsigned size;          /* 1, 2, 4, 8; PW_TIMER: a deadline write */
} held_write_t;

typedef struct watch {
    uint64_t pa, end;       /* [pa, end) */
    unsigned core;
} watch_t;

typedef struct irq_slot {
    hal_irq_fn fn;
    void *ctx;
} irq_slot_t;

typedef struct core_hal {
    struct machine_hal *h;
    unsigned id;
    held_write_t *q;        /* ring of cap entries (a power of two, or 0) */
    size_t head, n, cap;
    sim_event_t ev;         /* delivers the head; 0 when none */
    urange_t *maps;         /* hal_user_map grants, in call order */
    size_t nmaps, capmaps;
    uspans_t rd, wr;        /* their union; the writable ones' union */
    bool wait, wake;        /* hal_user_wait / hal_user_wake, until taken */
    irq_slot_t *vec;        /* [IRQC_VECTORS], allocated on first use */
} core_hal_t;

typedef struct entry {
    unsigned core;
    cpu_mode_t mode;
    bool outside;           /* made while the engine was not running */
} entry_t;

struct machine_hal {
    machine_t *m;
    core_hal_t *core;       /* [cfg.cores] */
    entry_t stack[ENTRY_DEPTH];
    unsigned depth;
    /* The top entry, mirrored for the hot calls (hal_charge, hal_now,
     * hal_mem_*): its core (NULL: no entry), mode, and `outside`. */
    cpu_t *ecpu;
    cpu_mode_t emode;
    bool eoutside;
    sim_t *sim;
    const cost_table_t *costs;
    mem_t *mem;
    watch_t *watch;         /* sorted by (pa, core, insertion) */
    size_t nwatch, capwatch;
    uint64_t *watch_pmax;   /* [i]: highest end among watch[0..i) */
    uint32_t watch_memo[WATCH_MEMO]; /* by 4 KiB page: watch index + 1 */
    uint64_t watch_maxlen;  /* longest watched range: bounds the scan back */
    uint64_t watch_lo, watch_hi; /* [lowest start, highest end) of them all */
    machine_watch_fn watch_fn, ret_fn;
    void *watch_ctx, *ret_ctx;
};

/* The inline fast paths' view (kernel/hal.h): charges pending for the top
 * entry (pend, charged: see charge_flush), the cost table, the clocks and
 * the direct map of the bound machine; all zero when none is bound. */
struct hal_fast hal_fast;

static machine_t *bound; /* the machine the HAL acts on */
static void fast_bind(struct machine_hal *h);
static struct machine_hal *bound_hal; /* its HAL state (NULL: none bound) */

/* ---------------------------------------------------------------- helpers */

static struct machine_hal *hal(void)
{
    if (!bound_hal)
        hal_panic("HAL used with no machine bound");
    return bound_hal;
}

/* The top entry's core, for the hot calls (panics outside an entry). */
static cpu_t *ecpu(const struct machine_hal *h)
{
    if (!h->ecpu)
        hal_panic("HAL call outside a kernel entry");
    return h->ecpu;
}

/* Apply the entry's pending charges as one.  Exact: within an entry
 * sim_now does not move between flushes (catch_up flushes first), and
 * cpu_charge(a) then cpu_charge(b) at the same now leaves the clock at
 * max(clock, now) + a + b and the mode's account + a + b, as
 * cpu_charge(a + b) does (a zero charge still moves the clock up to now:
 * `charged`, not pend != 0).  Everything that looks at the core's clock
 * or accounts while an entry is open goes through the HAL and flushes
 * first: hal_now, posted writes and MMIO reads (which may reach devices
 * and the DMA-write hook), hal_delay, catch_up, entry begin and end. */
static void charge_flush(struct machine_hal *h)
{
    if (hal_fast.charged) {
        if (!h->ecpu) /* hal_charge_fast cannot check: this is where it shows */
            hal_panic("hal_charge outside a kernel entry");
        cpu_charge(h->ecpu, sim_now(h->sim), hal_fast.pend, h->emode);
        hal_fast.pend = 0;
        hal_fast.charged = 0;
    }
}

static void charge_add(struct machine_hal *h, sim_time_t ps)
{
    (void)h;
    hal_fast.pend += ps;
    hal_fast.charged = 1;
}

static const entry_t *cur(struct machine_hal *h)
{
    if (!h->depth)
        hal_panic("HAL call outside a kernel entry");
    return &h->stack[h->depth - 1];
}

static sim_time_t core_time(const machine_t *m, unsigned core)
{
    sim_time_t now = sim_now(m->sim), c = m->cores[core].clock;
    return c > now ? c : now;
}

/* An entry made outside the engine (boot, a test acting as a process):
 * run the engine up to the core's clock so that what the core reads is as
 * of its own time.  Inside an event the engine cannot nest: nothing.  The
 * top entry's `outside` says which (the engine's state cannot change
 * during an entry: a nested sim_run returns before the entry goes on). */
static void catch_up(struct machine_hal *h)
{
    charge_flush(h);
    sim_t *sim = h->sim;
    if (h->eoutside && h->ecpu->clock > sim_now(sim))
        sim_run(sim, h->ecpu->clock);
}

/* ---------------------------------------------------------------- held writes */

static void deliver(struct machine_hal *h, unsigned core, const held_write_t *w)
{
    if (w->size == PW_TIMER)
        timer_write_deadline(h->m->timers, core, w->val);
    else
        pcie_mmio_write(h->m->bus, w->addr, w->val, w->size, NULL);
}

static void held_arm(core_hal_t *c);

static void held_fire(sim_t *sim, void *arg, uint64_t data)
{
    (void)data;
    core_hal_t *c = arg;
    c->ev = 0;
    while (c->n && c->q[c->head].due <= sim_now(sim)) {
        held_write_t w = c->q[c->head];
        c->head = (c->head + 1) & (c->cap - 1);
        c->n--;
        deliver(c->h, c->id, &w);
    }
    held_arm(c);
}

static void held_arm(core_hal_t *c)
{
    if (c->n && !c->ev)
        c->ev = sim_at(c->h->m->sim, c->q[c->head].due, held_fire, c, 0);
}

/* Deliver everything held for the core now, in order. */
static void held_flush(core_hal_t *c)
{
    if (!c->n)
        return;
    sim_cancel(c->h->m->sim, c->ev);
    c->ev = 0;
    while (c->n) {
        held_write_t w = c->q[c->head];
        c->head = (c->head + 1) & (c->cap - 1);
        c->n--;
        deliver(c->h, c->id, &w);
    }
}

static void held_push(core_hal_t *c, const held_write_t *w)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        held_write_t *q = sim_xreallocarray(NULL, cap, sizeof *q);
        for (size_t i = 0; i < c->n; i++)
            q[i] = c->q[(c->head + i) & (c->cap - 1)];
        free(c->q);
        c->q = q;
        c->cap = cap;
        c->head = 0;
    }
    c->q[(c->head + c->n++) & (c->cap - 1)] = *w;
    held_arm(c);
}

/* A posted write issued by the current entry at its core's clock. */
static void post(struct machine_hal *h, uint64_t addr, uint64_t val, unsigned size)
{
    charge_flush(h);
    unsigned core = cur(h)->core;
    core_hal_t *c = &h->core[core];
    held_write_t w = {core_time(h->m, core), addr, val, size};
    if (!c->n && w.due <= sim_now(h->m->sim))
        deliver(h, core, &w);
    else
        held_push(c, &w);
}

/* ---------------------------------------------------------------- MMIO */

static uint64_t mmio_read(uint64_t addr, unsigned size)
{
    struct machine_hal *h = hal();
    cpu_t *cpu = ecpu(h);
    catch_up(h); /* flushes the pending charges */
    held_flush(&h->core[cpu->id]);
    sim_time_t ps = 0;
    uint64_t v = pcie_mmio_read(h->m->bus, addr, size, &ps);
    charge_add(h, ps);
    return v;
}

static void mmio_write(uint64_t addr, uint64_t val, unsigned size)
{
    struct machine_hal *h = hal();
    post(h, addr, val, size);
    charge_add(h, cost_ps(h->costs, COST_PCIE_MMIO_WRITE));
}

uint8_t hal_mmio_read8(uint64_t addr) { return (uint8_t)mmio_read(addr, 1); }
uint16_t hal_mmio_read16(uint64_t addr) { return (uint16_t)mmio_read(addr, 2); }
uint32_t hal_mmio_read32(uint64_t addr) { return (uint32_t)mmio_read(addr, 4); }
uint64_t hal_mmio_read64(uint64_t addr) { return mmio_read(addr, 8); }
void hal_mmio_write8(uint64_t addr, uint8_t val) { mmio_write(addr, val, 1); }
void hal_mmio_write16(uint64_t addr, uint16_t val) { mmio_write(addr, val, 2); }
void hal_mmio_write32(uint64_t addr, uint32_t val) { mmio_write(addr, val, 4); }
void hal_mmio_write64(uint64_t addr, uint64_t val) { mmio_write(addr, val, 8); }

/* ---------------------------------------------------------------- memory */

/* hal_mem_read from an entry made outside the engine (boot, tests). */
static NOINLINE int mem_read_outside(struct machine_hal *h, uint64_t pa, void *dst, size_t len)
{
    catch_up(h);
    return mem_read(h->mem, pa, dst, len);
}

int hal_mem_read(uint64_t pa, void *dst, size_t len)
{
    struct machine_hal *h = hal();
    if (h->ecpu && h->eoutside)
        return mem_read_outside(h, pa, dst, len);
    return mem_read_inline(h->mem, pa, dst, len);
}
int hal_mem_write(uint64_t pa, const void *src, size_t len)
{
    return mem_write_inline(hal()->mem, pa, src, len);
}
int hal_mem_fill(uint64_t pa, uint8_t byte, size_t len)
{
    return mem_fill(hal()->m->mem, pa, byte, len);
}
uint64_t hal_mem_size(void) { return mem_size(hal()->m->mem); }

/* ---------------------------------------------------------------- CPU, timer */

unsigned hal_cpu_id(void) { return cur(hal())->core; }

void hal_delay(uint64_t ps)
{
    struct machine_hal *h = hal();
    ecpu(h);
    charge_add(h, ps);
    catch_up(h);
}
unsigned hal_cpu_count(void) { return hal()->m->cfg.cores; }

uint64_t hal_now(void)
{
    struct machine_hal *h = hal();
    ecpu(h);
    charge_flush(h);
    sim_time_t now = sim_now(h->sim), c = h->ecpu->clock;
    return c > now ? c : now;
}

int hal_timer_vector(unsigned vector)
{
    struct machine_hal *h = hal();
    if (vector < IRQC_FIRST_VECTOR || vector >= IRQC_VECTORS)
        return -1;
    return timer_write_lvt(h->m->timers, cur(h)->core, LVT_DEADLINE | vector);
}

void hal_timer_arm(uint64_t deadline)
{
    /* A WRMSR to IA32_TSC_DEADLINE: its cost is the kernel's to charge
     * (it knows the instruction); the write takes effect at the clock. */
    post(hal(), 0, deadline, PW_TIMER);
}

/* ---------------------------------------------------------------- interrupts */

static void trampoline(void *ctx, unsigned core, unsigned vector)
{
    core_hal_t *c = ctx;
    machine_t *m = c->h->m;
    irq_slot_t s = c->vec[vector];
    machine_entry_begin(m, core, CPU_IRQ);
    s.fn(s.ctx, vector);
    machine_entry_end(m);
    if (c->h->ret_fn)
        c->h->ret_fn(c->h->ret_ctx, core, core_time(m, core));
}

int hal_irq_register(unsigned core, unsigned vector, hal_irq_fn fn, void *ctx)
{
    struct machine_hal *h = hal();
    if (core >= h->m->cfg.cores || vector < IRQC_FIRST_VECTOR || vector >= IRQC_VECTORS)
        return -1;
    core_hal_t *c = &h->core[core];
    if (!c->vec)
        c->vec = sim_xcalloc(IRQC_VECTORS, sizeof *c->vec);
    c->vec[vector] = (irq_slot_t){fn, ctx};
    return irqc_register(h->m->irqc, core, vector, fn ? trampoline : NULL, fn ? c : NULL);
}

/* ---------------------------------------------------------------- costs */

int hal_cost_id(const char *name) { return name ? cost_lookup(name) : -1; }

void hal_charge(int id, uint64_t count)
{
    struct machine_hal *h = hal();
    if (id < 0 || id >= COST_COUNT)
        hal_panic("hal_charge: bad cost id");
    ecpu(h);
    charge_add(h, cost_ps(h->costs, (cost_id_t)id) * count);
}

/* ---------------------------------------------------------------- processes */

int hal_user_map(unsigned core, uint64_t pa, uint64_t len, int writable)
{
    struct machine_hal *h = hal();
    if (core >= h->m->cfg.cores || !len || pa + len < pa)
        return -1;
    core_hal_t *c = &h->core[core];
    if (c->nmaps == c->capmaps) {
        c->capmaps = c->capmaps ? 2 * c->capmaps : 8;
        c->maps = sim_xreallocarray(c->maps, c->capmaps, sizeof *c->maps);
    }
    c->maps[c->nmaps++] = (urange_t){pa, pa + len, writable != 0};
    uspans_build(&c->rd, c->maps, c->nmaps, false);
    uspans_build(&c->wr, c->maps, c->nmaps, true);
    return 0;
}

int hal_poll_watch(unsigned core, uint64_t pa, uint64_t len)
{
    struct machine_hal *h = hal();
    if (core >= h->m->cfg.cores || !len || pa + len < pa)
        return -1;
    if (h->nwatch == h->capwatch) {
        h->capwatch = h->capwatch ? 2 * h->capwatch : 16;
        h->watch = sim_xreallocarray(h->watch, h->capwatch, sizeof *h->watch);
    }
    size_t i = h->nwatch; /* insertion sort: watches are set at boot */
    while (i > 0 && (h->watch[i - 1].pa > pa ||
                     (h->watch[i - 1].pa == pa && h->watch[i - 1].core > core))) {
        h->watch[i] = h->watch[i - 1];
        i--;
    }
    h->watch[i] = (watch_t){pa, pa + len, core};
    if (!h->nwatch || pa < h->watch_lo)
        h->watch_lo = pa;
    if (!h->nwatch || pa + len > h->watch_hi)
        h->watch_hi = pa + len;
    h->nwatch++;
    h->watch_pmax = sim_xreallocarray(h->watch_pmax, h->capwatch, sizeof *h->watch_pmax);
    for (size_t k = 0, hi = 0; k < h->nwatch; k++) {
        h->watch_pmax[k] = hi;
        if (h->watch[k].end > hi)
            hi = h->watch[k].end;
    }
    memset(h->watch_memo, 0, sizeof h->watch_memo); /* indices moved */
    if (len > h->watch_maxlen)
        h->watch_maxlen = len;
    return 0;
}

void hal_user_wait(void)
{
    struct machine_hal *h = hal();
    h->core[cur(h)->core].wait = true;
}

void hal_user_wake(void)
{
    struct machine_hal *h = hal();
    h->core[cur(h)->core].wake = true;
}

_Noreturn void hal_panic(const char *msg)
{
    fprintf(stderr, "parasim: kernel panic: %s\n", msg ? msg : "(no message)");
    abort();
}

/* ---------------------------------------------------------------- DMA watch */

/* Watch k is the only one [pa, end) touches, and covers it: no later one
 * starts before end, no earlier one ends after pa. */
static bool watch_sole(const struct machine_hal *h, size_t k, uint64_t pa, uint64_t end)
{
    const watch_t *w = &h->watch[k];
    return pa >= w->pa && end <= w->end && (k + 1 == h->nwatch || h->watch[k + 1].pa >= end) &&
           h->watch_pmax[k] <= pa;
}

/* The bus's DMA-write hook: [pa, pa + len) lands at `done`.  O(log W)
 * plus the watches that start within watch_maxlen below the write; a
 * write to a page seen before inside one watch alone (descriptor
 * write-backs: the usual case) is answered from a memo of that watch,
 * without the search's unpredictable branches. */
static void dma_written(void *ctx, uint64_t pa, size_t len, sim_time_t done)
{
    struct machine_hal *h = ctx;
    if (!h->nwatch || !h->watch_fn || !len)
        return;
    uint64_t end = pa + len;
    if (pa >= h->watch_hi || end <= h->watch_lo) /* payloads: nowhere near a ring */
        return;
    uint32_t *memo = &h->watch_memo[(pa >> 12) % WATCH_MEMO];
    if (*memo && watch_sole(h, *memo - 1, pa, end)) {
        h->watch_fn(h->watch_ctx, h->watch[*memo - 1].core, done);
        return;
    }
    size_t lo = 0, hi = h->nwatch; /* first watch starting at or after end */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->watch[mid].pa < end)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i > 0; i--) {
        const watch_t *w = &h->watch[i - 1];
        if (w->pa + h->watch_maxlen <= pa)
            break;
        if (w->end > pa) {
            if (watch_sole(h, i - 1, pa, end))
                *memo = (uint32_t)i;
            h->watch_fn(h->watch_ctx, w->core, done);
        }
    }
}

/* ---------------------------------------------------------------- machine side */

struct machine_hal *machine_hal_create(machine_t *m)
{
    struct machine_hal *h = sim_xcalloc(1, sizeof *h);
    h->m = m;
    h->sim = m->sim;
    h->costs = m->costs;
    h->mem = m->mem;
    h->core = sim_xcalloc(m->cfg.cores, sizeof *h->core);
    for (unsigned i = 0; i < m->cfg.cores; i++) {
        h->core[i].h = h;
        h->core[i].id = i;
    }
    pcie_set_dma_write_hook(m->bus, dma_written, h);
    return h;
}

void machine_hal_destroy(struct machine_hal *h)
{
    if (!h)
        return;
    if (bound && bound->hal == h) {
        bound = NULL;
        bound_hal = NULL;
        fast_bind(NULL);
    }
    for (unsigned i = 0; i < h->m->cfg.cores; i++) {
        core_hal_t *c = &h->core[i];
        if (c->ev)
            sim_cancel(h->m->sim, c->ev);
        free(c->q);
        free(c->maps);
        free(c->rd.s);
        free(c->wr.s);
        free(c->vec);
    }
    free(h->core);
    free(h->watch);
    free(h->watch_pmax);
    free(h);
}

/* The fast paths' view of the bound machine (kernel/hal.h, struct
 * hal_fast): its cost table, clock and direct map (devices/mem.h's flat
 * backing, its written-page bits and read gate); the entry fields are
 * entry_top's.  Unbound: all zero, so the inline forms call the HAL. */
static void fast_bind(struct machine_hal *h)
{
    hal_fast = (struct hal_fast){0};
    if (!h)
        return;
    const mem_fast_t *f = (const mem_fast_t *)(const void *)h->mem;
    hal_fast.cost_ps = h->costs->ps;
    hal_fast.ncosts = COST_COUNT;
    hal_fast.now = sim_clock(h->sim);
    hal_fast.clock = h->ecpu ? &h->ecpu->clock : NULL;
    if (f->flat) {
        hal_fast.wmem = f->flat;
        hal_fast.rmem = h->ecpu && h->eoutside ? NULL : f->flat;
        hal_fast.mem_size = f->size;
        hal_fast.rgate_due = f->gate_due;
        hal_fast.rgate_now = f->gate_now;
        hal_fast.wpages = f->written;
    }
}

void machine_hal_bind(machine_t *m)
{
    bound = m;
    bound_hal = m ? m->hal : NULL;
    fast_bind(bound_hal);
}

/* Mirror the top entry (or none) for the hot calls. */
static inline void entry_top(struct machine_hal *h)
{
    const entry_t *e = h->depth ? &h->stack[h->depth - 1] : NULL;
    h->ecpu = e ? &h->m->cores[e->core] : NULL;
    h->emode = e ? e->mode : CPU_KERNEL;
    h->eoutside = e ? e->outside : false;
    if (h == bound_hal) {
        hal_fast.clock = h->ecpu ? &h->ecpu->clock : NULL;
        hal_fast.rmem = h->ecpu && h->eoutside ? NULL : hal_fast.wmem;
    }
}

void machine_entry_begin(machine_t *m, unsigned core, cpu_mode_t mode)
{
    struct machine_hal *h = m->hal;
    if (h->depth >= ENTRY_DEPTH)
        hal_panic("machine_entry_begin: entries nested too deep");
    if (core >= m->cfg.cores)
        hal_panic("machine_entry_begin: no such core");
    charge_flush(h);
    h->stack[h->depth++] = (entry_t){core, mode, !sim_running(m->sim)};
    entry_top(h);
}

void machine_entry_end(machine_t *m)
{
    if (!m->hal->depth)
        hal_panic("machine_entry_end: no entry to end");
    charge_flush(m->hal);
    m->hal->depth--;
    entry_top(m->hal);
}

void machine_set_watch(machine_t *m, machine_watch_fn fn, void *ctx)
{
    m->hal->watch_fn = fn;
    m->hal->watch_ctx = ctx;
}

void machine_set_irq_return(machine_t *m, machine_watch_fn fn, void *ctx)
{
    m->hal->ret_fn = fn;
    m->hal->ret_ctx = ctx;
}

int machine_user_span(const machine_t *m, unsigned core, uint64_t pa, bool write, uint64_t *lo,
                      uint64_t *end)
{
    if (core >= m->cfg.cores)
        return -1;
    core_hal_t *c = &m->hal->core[core];
    uspans_t *u = write ? &c->wr : &c->rd;
    if (!uspans_cover(u, pa, pa))
        return -1;
    *lo = u->s[u->last].pa;
    *end = u->s[u->last].end;
    return 0;
}

int machine_user_access(const machine_t *m, unsigned core, uint64_t pa, uint64_t len, bool write)
{
    if (core >= m->cfg.cores || pa + len < pa)
        return -1;
    core_hal_t *c = &m->hal->core[core]; /* the spans' `last` is a cache, not state */
    return uspans_cover(write ? &c->wr : &c->rd, pa, pa + len) ? 0 : -1;
}

bool machine_take_wait(machine_t *m, unsigned core)
{
    if (core >= m->cfg.cores)
        return false;
    bool w = m->hal->core[core].wait;
    m->hal->core[core].wait = false;
    return w;
}

bool machine_take_wake(machine_t *m, unsigned core)
{
    if (core >= m->cfg.cores)
        return false;
    bool w = m->hal->core[core].wake;
    m->hal->core[core].wake = false;
    return w;
}
