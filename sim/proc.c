/* sim/proc: the process runtime (contract, scheduling rules and the user
 * ABI's platform functions in sim/proc.h).
 *
 * Each process keeps the wake times of the watched device writes it has
 * not seen yet (`pend`, sorted, a small deque: DMA completions arrive
 * almost in order, so insertion from the back is O(1) in practice), at
 * most one pending step event, and the mark from which poll time counts.
 * A step that starts at S has seen every write whose wake time is <= S;
 * those are dropped when it starts.
 *
 * Poll accounting: a poll period starts at the core's clock at the end of
 * the step (poll_since) with a snapshot of the core's non-poll accounts;
 * when the next step starts at S, the period's length minus what was
 * charged on the core meanwhile (interrupt handlers, kernel work) is added
 * to the core's CPU_POLL account and the clock is brought to S.  That is
 * cpu_charge(core, poll_since, S - poll_since, CPU_POLL) when nothing ran
 * in between; otherwise cpu_charge cannot book time that lies before the
 * clock, so the account is updated directly. */
#include "sim/proc.h"

#include "devices/mem.h"
#include "kernel/include/pk.h"
#include "kernel/kernel.h"
#include "model/cost.h"
#include "sim/alloc.h"
#include "sim/machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROC_MAX_PID 65536u

typedef enum wake_why { WHY_RUN, WHY_WATCH, WHY_IRQ } wake_why_t;

typedef struct pk_span uspan_t; /* [lo, end) granted; lo == end: none */

typedef struct proc {
    proc_rt_t *rt;
    unsigned pid, core;
    const wl_app_t *app;
    void *state;
    proc_stats_t st;
    sim_event_t ev;          /* the pending step, 0: none */
    sim_time_t ev_t;         /* its time */
    wake_why_t ev_why;       /* what scheduled it (poll statistics) */
    sim_time_t poll_since;   /* PROC_POLLING: when the poll began, ps */
    sim_time_t busy_mark;    /* non-poll accounts of the core then, ps */
    bool blocking;           /* pk_enter blocked during the running step */
    sim_time_t *pend;        /* unseen watched writes' wake times, sorted */
    size_t phead, pn, pcap;  /* deque [phead, phead + pn) of pcap */
    struct mem *mem;         /* the machine's memory */
    const cost_table_t *costs; /* the machine's cost table */
    uspan_t rspan[2], wspan[2]; /* granted ranges seen last (most recent first) */
} proc_t;

struct proc_rt {
    machine_t *m;
    proc_kernel_t k;
    proc_t **by_pid;         /* [npid] */
    size_t npid;
    proc_t **by_core;        /* [cores] */
};

static proc_t *cur; /* the process whose start or step is running */
/* The inline forms' view of cur (kernel/include/pk.h, fast paths): its
 * cached spans, the direct map of memory, and pk_charge's bookings for it
 * not yet applied to its core (upend, ucharged): consecutive user-mode
 * charges at one instant add up to one (cpu_charge(a) then cpu_charge(b)
 * leave the clock at max(clock, now) + a + b, as cpu_charge(a + b) does; a
 * zero charge still moves it up to now), and nothing looks at the core
 * during a step but pk_now and pk_enter, which flush first, as the end of
 * the step does. */
struct pk_fast pk_fast;

static void user_flush(proc_t *p)
{
    if (pk_fast.ucharged) {
        cpu_charge(&p->rt->m->cores[p->core], sim_now(p->rt->m->sim), pk_fast.upend, CPU_USER);
        pk_fast.upend = 0;
        pk_fast.ucharged = 0;
    }
}

/* p starts running its start or a step (NULL: it stopped; its bookings
 * were flushed). */
static inline void set_cur(proc_t *p)
{
    cur = p;
    if (!p) {
        pk_fast.r = pk_fast.w = NULL;
        return;
    }
    const mem_fast_t *f = (const mem_fast_t *)(const void *)p->mem;
    pk_fast.r = p->rspan;
    pk_fast.w = p->wspan;
    pk_fast.rmem = f->flat;
    pk_fast.wmem = f->flat;
    pk_fast.mem_size = f->size;
    pk_fast.rgate_due = f->gate_due;
    pk_fast.rgate_now = f->gate_now;
    pk_fast.wpages = f->written;
    pk_fast.cost_ps = p->costs->ps;
    pk_fast.ncosts = COST_COUNT;
}

const proc_kernel_t proc_parakernel = {
    .name = "parakernel",
    .sys_enter = k_sys_enter,
    .proc_info = k_proc_info,
    .proc_of_core = k_proc_of_core,
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static cpu_t *core_of(const proc_t *p) { return &p->rt->m->cores[p->core]; }

static sim_time_t core_time(const proc_t *p)
{
    sim_time_t now = sim_now(p->rt->m->sim), c = core_of(p)->clock;
    return c > now ? c : now;
}

/* ---------------------------------------------------------------- pending wakes */

static void pend_push(proc_t *p, sim_time_t w)
{
    if (p->phead + p->pn == p->pcap) {
        if (p->phead) { /* compact */
            memmove(p->pend, p->pend + p->phead, p->pn * sizeof *p->pend);
            p->phead = 0;
        }
        if (p->pn == p->pcap) {
            p->pcap = p->pcap ? 2 * p->pcap : 16;
            p->pend = sim_xreallocarray(p->pend, p->pcap, sizeof *p->pend);
        }
    }
    sim_time_t *a = p->pend + p->phead;
    size_t i = p->pn;
    if (i && a[i - 1] == w)
        return; /* one wake per instant is enough */
    while (i > 0 && a[i - 1] > w) {
        a[i] = a[i - 1];
        i--;
    }
    a[i] = w;
    p->pn++;
}

/* Drop the wakes a step starting at s sees. */
static void pend_consume(proc_t *p, sim_time_t s)
{
    while (p->pn && p->pend[p->phead] <= s) {
        p->phead++;
        p->pn--;
    }
    if (!p->pn)
        p->phead = 0;
}

/* ---------------------------------------------------------------- scheduling */

static void step_event(sim_t *sim, void *arg, uint64_t data);

/* Have a step at t (or earlier, if one is already due before t). */
static inline void schedule(proc_t *p, sim_time_t t, wake_why_t why)
{
    sim_t *sim = p->rt->m->sim;
    if (t < sim_now(sim))
        t = sim_now(sim);
    if (p->ev && p->ev_t <= t)
        return;
    if (p->ev)
        sim_cancel(sim, p->ev);
    p->ev = sim_at(sim, t, step_event, p, 0);
    p->ev_t = t;
    p->ev_why = why;
}

static sim_time_t busy_acct(const cpu_t *c)
{
    return c->acct[CPU_USER] + c->acct[CPU_KERNEL] + c->acct[CPU_IRQ];
}

/* Book the poll period [poll_since, now) less the work charged meanwhile;
 * the process goes on polling when go_on (the timeline's poll spans are
 * the gaps between those charges: sim/tlrec.h). */
static void poll_book(proc_t *p, bool go_on)
{
    cpu_t *c = core_of(p);
    sim_time_t now = sim_now(p->rt->m->sim);
    if (c->tl)
        tlrec_poll_book(c->tl, now, go_on);
    if (now > p->poll_since) {
        sim_time_t span = now - p->poll_since, busy = busy_acct(c) - p->busy_mark;
        sim_time_t gap = span > busy ? span - busy : 0;
        c->acct[CPU_POLL] += gap;
        p->st.poll_ps += gap;
        if (c->clock < now)
            c->clock = now;
    }
    p->poll_since = now > p->poll_since ? now : p->poll_since;
    p->busy_mark = busy_acct(c);
}

static void after_step(proc_t *p, wl_step_t r)
{
    if (r == WL_STEP_EXIT) {
        p->st.state = PROC_EXITED;
        p->pn = p->phead = 0;
        return;
    }
    if (p->blocking) {
        p->st.state = PROC_BLOCKED;
        return;
    }
    if (r == WL_STEP_BUSY) {
        p->st.busy++;
        p->st.state = PROC_READY;
        schedule(p, core_time(p), WHY_RUN);
        return;
    }
    p->st.polls++;
    p->st.state = PROC_POLLING;
    p->poll_since = core_time(p);
    p->busy_mark = busy_acct(core_of(p));
    if (core_of(p)->tl)
        tlrec_poll_begin(core_of(p)->tl, p->poll_since);
    if (p->pn) /* a write the step could not see yet */
        schedule(p, p->pend[p->phead] > core_time(p) ? p->pend[p->phead] : core_time(p),
                 WHY_WATCH);
}

static void step_event(sim_t *sim, void *arg, uint64_t data)
{
    (void)data;
    proc_t *p = arg;
    p->ev = 0;
    sim_time_t now = sim_now(sim);
    if (core_of(p)->clock > now) { /* the core is busy: run when it is free */
        p->ev = sim_at(sim, core_of(p)->clock, step_event, p, 0);
        p->ev_t = core_of(p)->clock;
        return;
    }
    if (p->st.state == PROC_POLLING) {
        poll_book(p, false);
        p->st.watch_wakes += p->ev_why == WHY_WATCH;
        p->st.irq_wakes += p->ev_why == WHY_IRQ;
    }
    pend_consume(p, now);
    p->st.state = PROC_READY;
    p->blocking = false;
    p->st.steps++;
    set_cur(p);
    wl_step_t r = p->app->step(p->state);
    user_flush(p);
    set_cur(NULL);
    after_step(p, r);
}

/* ---------------------------------------------------------------- machine callbacks */

static proc_t *proc_on(proc_rt_t *rt, unsigned core)
{
    return core < rt->m->cfg.cores ? rt->by_core[core] : NULL;
}

static void on_watch(void *ctx, unsigned core, sim_time_t done)
{
    proc_t *p = proc_on(ctx, core);
    if (!p || p->st.state == PROC_EXITED)
        return;
    sim_time_t w = done + p->rt->m->cfg.poll_detect_ps;
    pend_push(p, w);
    if (p->st.state == PROC_POLLING) {
        sim_time_t t = core_time(p);
        schedule(p, p->pend[p->phead] > t ? p->pend[p->phead] : t, WHY_WATCH);
    }
}

static void on_irq_return(void *ctx, unsigned core, sim_time_t when)
{
    proc_t *p = proc_on(ctx, core);
    if (!p)
        return;
    if (p->st.state == PROC_BLOCKED) {
        if (!machine_take_wake(p->rt->m, core))
            return;
        p->st.wakeups++;
        p->st.state = PROC_READY;
        schedule(p, when, WHY_RUN);
    } else if (p->st.state == PROC_POLLING) {
        schedule(p, when, WHY_IRQ);
    }
}

/* ---------------------------------------------------------------- runtime */

proc_rt_t *proc_rt_create(machine_t *m, const proc_kernel_t *kernel)
{
    if (!kernel)
        kernel = &proc_parakernel;
    if (!m || !kernel->sys_enter || !kernel->proc_info)
        return NULL;
    proc_rt_t *rt = sim_xcalloc(1, sizeof *rt);
    rt->m = m;
    rt->k = *kernel;
    rt->by_core = sim_xcalloc(m->cfg.cores, sizeof *rt->by_core);
    machine_set_watch(m, on_watch, rt);
    machine_set_irq_return(m, on_irq_return, rt);
    return rt;
}

void proc_rt_destroy(proc_rt_t *rt)
{
    if (!rt)
        return;
    machine_set_watch(rt->m, NULL, NULL);
    machine_set_irq_return(rt->m, NULL, NULL);
    for (size_t i = 0; i < rt->npid; i++) {
        proc_t *p = rt->by_pid[i];
        if (!p)
            continue;
        if (p->ev)
            sim_cancel(rt->m->sim, p->ev);
        free(p->state);
        free(p->pend);
        free(p);
    }
    free(rt->by_pid);
    free(rt->by_core);
    free(rt);
}

/* Is key one of the app's "key: meaning" entries? */
static bool param_known(const wl_app_t *app, const char *key)
{
    size_t n = strlen(key);
    for (const char *const *q = app->params; q && *q; q++)
        if (!strncmp(*q, key, n) && (*q)[n] == ':')
            return true;
    return false;
}

static int spawn_check(proc_rt_t *rt, unsigned pid, unsigned core, const wl_app_t *app,
                       const wl_param_t *params, size_t nparams, char *err, size_t errlen)
{
    if (!app || !app->step || !app->name)
        return fail(err, errlen, "process %u: no application", pid);
    if (pid >= PROC_MAX_PID || (pid < rt->npid && rt->by_pid[pid]))
        return fail(err, errlen, "process %u (%s): pid already used or too large", pid, app->name);
    if (core >= rt->m->cfg.cores)
        return fail(err, errlen, "process %u (%s): core %u does not exist (%u cores)", pid,
                    app->name, core, rt->m->cfg.cores);
    if (rt->by_core[core])
        return fail(err, errlen, "process %u (%s): core %u already runs process %u", pid,
                    app->name, core, rt->by_core[core]->pid);
    if (rt->k.proc_of_core && rt->k.proc_of_core(core) != (int)pid)
        return fail(err, errlen, "process %u (%s): the kernel did not boot it on core %u", pid,
                    app->name, core);
    for (size_t i = 0; i < nparams; i++)
        if (!params[i].key || !param_known(app, params[i].key))
            return fail(err, errlen, "process %u (%s): unknown parameter '%s'", pid, app->name,
                        params[i].key ? params[i].key : "(null)");
    return 0;
}

int proc_spawn(proc_rt_t *rt, unsigned pid, unsigned core, const wl_app_t *app,
               const wl_param_t *params, size_t nparams, char *err, size_t errlen)
{
    return proc_spawn_input(rt, pid, core, app, params, nparams, NULL, err, errlen);
}

int proc_spawn_input(proc_rt_t *rt, unsigned pid, unsigned core, const wl_app_t *app,
                     const wl_param_t *params, size_t nparams, const wl_input_t *in,
                     char *err, size_t errlen)
{
    if (spawn_check(rt, pid, core, app, params, nparams, err, errlen) < 0)
        return -1;
    if (in && !app->input)
        return fail(err, errlen, "process %u (%s): takes no input", pid, app->name);
    proc_t *p = sim_xcalloc(1, sizeof *p);
    p->rt = rt;
    p->mem = rt->m->mem;
    p->costs = rt->m->costs;
    p->pid = pid;
    p->core = core;
    p->app = app;
    p->state = sim_xcalloc(1, app->state_size ? app->state_size : 1);
    if (in) {
        char why[200] = "";
        if (app->input(p->state, in, why, sizeof why) < 0) {
            free(p->state);
            free(p);
            return fail(err, errlen, "process %u (%s): %s: %s", pid, app->name,
                        in->source ? in->source : "input", why[0] ? why : "refused");
        }
    }
    if (app->start) {
        char why[200] = "";
        set_cur(p);
        int rc = app->start(p->state, params, nparams, why, sizeof why);
        user_flush(p);
        set_cur(NULL);
        if (rc < 0) {
            free(p->state);
            free(p);
            return fail(err, errlen, "process %u (%s): %s", pid, app->name,
                        why[0] ? why : "start failed");
        }
    }
    if (pid >= rt->npid) {
        size_t n = rt->npid ? rt->npid : 8;
        while (n <= pid)
            n *= 2;
        rt->by_pid = sim_xreallocarray(rt->by_pid, n, sizeof *rt->by_pid);
        memset(rt->by_pid + rt->npid, 0, (n - rt->npid) * sizeof *rt->by_pid);
        rt->npid = n;
    }
    rt->by_pid[pid] = p;
    rt->by_core[core] = p;
    p->st.state = PROC_READY;
    return 0;
}

void proc_rt_start(proc_rt_t *rt)
{
    for (size_t i = 0; i < rt->npid; i++)
        if (rt->by_pid[i] && rt->by_pid[i]->st.state == PROC_READY && !rt->by_pid[i]->ev)
            schedule(rt->by_pid[i], core_time(rt->by_pid[i]), WHY_RUN);
}

void proc_rt_settle(proc_rt_t *rt)
{
    for (size_t i = 0; i < rt->npid; i++)
        if (rt->by_pid[i] && rt->by_pid[i]->st.state == PROC_POLLING &&
            core_of(rt->by_pid[i])->clock <= sim_now(rt->m->sim))
            poll_book(rt->by_pid[i], true);
}

const proc_stats_t *proc_stats(const proc_rt_t *rt, unsigned pid)
{
    return pid < rt->npid && rt->by_pid[pid] ? &rt->by_pid[pid]->st : NULL;
}

int proc_app_stats(const proc_rt_t *rt, unsigned pid, wl_app_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (pid >= rt->npid || !rt->by_pid[pid])
        return -1;
    const proc_t *p = rt->by_pid[pid];
    if (p->app->stats)
        p->app->stats(p->state, out);
    out->faults = p->st.faults;
    return 0;
}

int proc_app_report(const proc_rt_t *rt, unsigned pid, wl_report_t *out)
{
    wl_report_init(out);
    if (pid >= rt->npid || !rt->by_pid[pid])
        return -1;
    const proc_t *p = rt->by_pid[pid];
    if (p->app->report)
        p->app->report(p->state, out);
    return 0;
}

const char *proc_state_name(proc_state_t s)
{
    switch (s) {
    case PROC_READY: return "ready";
    case PROC_POLLING: return "polling";
    case PROC_BLOCKED: return "blocked";
    case PROC_EXITED: return "exited";
    }
    return "unknown";
}

/* ---------------------------------------------------------------- the user ABI */

int pk_enter(unsigned to_submit, unsigned min_complete, unsigned flags)
{
    proc_t *p = cur;
    if (!p)
        return -PK_EINVAL;
    machine_t *m = p->rt->m;
    user_flush(p);
    p->st.syscalls++;
    machine_take_wait(m, p->core); /* stale flags are not this call's */
    machine_take_wake(m, p->core);
    if (core_of(p)->tl)
        tlrec_syscall(core_of(p)->tl, to_submit);
    machine_entry_begin(m, p->core, CPU_KERNEL);
    cpu_charge(core_of(p), sim_now(m->sim), cost_ps(m->costs, COST_CPU_SYSCALL), CPU_KERNEL);
    int rc = p->rt->k.sys_enter(to_submit, min_complete, flags);
    machine_entry_end(m);
    if (machine_take_wait(m, p->core) && !machine_take_wake(m, p->core)) {
        p->blocking = true;
        p->st.blocks++;
    }
    return rc;
}

uint64_t pk_self(void)
{
    return cur ? cur->rt->k.proc_info(cur->pid) : 0;
}

static inline bool span_has(const uspan_t *s, uint64_t addr, uint32_t len)
{
    return addr >= s->lo && addr < s->end && len <= s->end - addr;
}

/* Is the access granted?  The machine's check (sim/machine.h); the span
 * it allowed becomes the first cached one (pk_load/pk_store try them). */
static bool user_ok(proc_t *p, uint64_t addr, uint32_t len, bool write)
{
    machine_t *m = p->rt->m;
    if (machine_user_access(m, p->core, addr, len, write) < 0)
        return false;
    uspan_t *c = write ? p->wspan : p->rspan;
    c[1] = c[0];
    machine_user_span(m, p->core, addr, write, &c[0].lo, &c[0].end);
    return true;
}

static int user_copy(uint64_t addr, void *buf, uint32_t len, bool write)
{
    proc_t *p = cur;
    if (!p)
        return -1;
    if (!user_ok(p, addr, len, write)) {
        p->st.faults++;
        return -1;
    }
    if (!len)
        return 0;
    return write ? mem_write(p->mem, addr, buf, len) : mem_read(p->mem, addr, buf, len);
}

/* The common case inline: a non-empty access inside a span granted
 * before (exact: grants only widen, sim/machine.h). */
int pk_load(uint64_t addr, void *dst, uint32_t len)
{
    proc_t *p = cur;
    if (p && len && (span_has(&p->rspan[0], addr, len) || span_has(&p->rspan[1], addr, len)))
        return mem_read_inline(p->mem, addr, dst, len);
    return user_copy(addr, dst, len, false);
}

int pk_store(uint64_t addr, const void *src, uint32_t len)
{
    proc_t *p = cur;
    if (p && len && (span_has(&p->wspan[0], addr, len) || span_has(&p->wspan[1], addr, len)))
        return mem_write_inline(p->mem, addr, src, len);
    /* user_copy only reads from buf when writing memory. */
    return user_copy(addr, (void *)(uintptr_t)src, len, true);
}

uint64_t pk_now(void)
{
    if (!cur)
        return 0;
    user_flush(cur);
    return core_time(cur);
}

int pk_cost(const char *name) { return name ? cost_lookup(name) : -1; }

void pk_charge(int id, uint64_t count)
{
    proc_t *p = cur;
    if (!p || id < 0 || id >= COST_COUNT)
        return;
    pk_fast.upend += cost_ps(p->costs, (cost_id_t)id) * count;
    pk_fast.ucharged = 1;
}
