/* The process runtime (sim/proc.c): step scheduling for BUSY / POLL /
 * EXIT, event-driven polling woken by watched DMA writes and by returning
 * interrupts, poll time accounting, blocking pk_enter woken by
 * hal_user_wake, pk_load/pk_store faults, spawn errors.
 *
 * The kernel here is a fake behind proc_kernel_t (the runtime's kernel
 * table) so that the runtime is tested on its own: its system call
 * charges 50 cycles and, with PK_ENTER_WAIT, blocks the caller and arms
 * the core's deadline timer; the interrupt handler wakes it.  Device
 * writes come from a test PCIe function's real DMA through the bus (so
 * through the DMA-write hook and the poll watches).  Every expected time
 * is computed from the cost table and the rules in sim/proc.h. */
#include "tests/check_main.h"

#include <stdio.h>
#include <string.h>

#include "devices/mem.h"
#include "devices/pcie.h"
#include "kernel/hal.h"
#include "kernel/include/pk.h"
#include "kernel/include/pk_ring.h"
#include "tests/kernel/kharness.h"
#include "model/cost.h"
#include "sim/machine.h"
#include "sim/proc.h"

#define TBAR UINT64_C(0xE0000000)
#define TRID 0x0028u
#define VEC 48u
#define PART(core) ((UINT64_C(64) << 20) + (uint64_t)(core) * (UINT64_C(2) << 20))
#define WATCH(core) (PART(core) + 0x10000) /* polled by the process on core */
#define RO(core) (PART(core) + 0x20000)    /* read-only page */
#define CORE 1u

static sim_t *sim;
static cost_table_t costs;
static machine_t m;
static proc_rt_t *rt;
static pcie_dev_t *tdev;
static const pcie_link_t tlink = {3, 8};

static uint64_t t_read(void *dev, uint64_t off, unsigned size)
{
    (void)dev;
    (void)off;
    (void)size;
    return 0;
}

static void t_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)dev;
    (void)off;
    (void)val;
    (void)size;
}

static const pcie_ops_t tops = {t_read, t_write};

static sim_time_t C(cost_id_t id) { return cost_ps(&costs, id); }

/* ---------------------------------------------------------------- the fake kernel */
static unsigned fk_calls, fk_irqs, fk_wake_on; /* wake on the fk_wake_on-th interrupt */

static int fk_enter(unsigned to_submit, unsigned min_complete, unsigned flags)
{
    (void)min_complete;
    fk_calls++;
    hal_charge(COST_CPU_CYCLE, 50);
    if (flags & PK_ENTER_WAIT) {
        hal_user_wait();
        hal_timer_arm(hal_now() + SIM_US(2));
    }
    return (int)to_submit;
}

static uint64_t fk_info(unsigned pid) { return PART(pid); }
static int fk_proc_of_core(unsigned core) { return (int)core; }

static const proc_kernel_t fake = {"fake", fk_enter, fk_info, fk_proc_of_core};

static void fk_irq(void *ctx, unsigned vector)
{
    (void)ctx;
    (void)vector;
    fk_irqs++;
    hal_charge(COST_CPU_CYCLE, 20);
    if (fk_irqs == fk_wake_on)
        hal_user_wake();
    else
        hal_timer_arm(hal_now() + SIM_US(3));
}

/* ---------------------------------------------------------------- the test app */
typedef wl_step_t (*script_fn)(unsigned n);
static script_fn script;              /* what step n does */
static sim_time_t step_at[32];        /* pk_now() when step n started */
static unsigned nsteps;
static uint32_t seen;                 /* a word read from the watched range */

typedef struct tstate {
    unsigned n;
    uint64_t requests;
} tstate_t;

static int t_start(void *state, const wl_param_t *params, size_t n, char *err, size_t errlen)
{
    (void)state;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(params[i].key, "fail")) {
            snprintf(err, errlen, "told to fail");
            return -1;
        }
    return 0;
}

static wl_step_t t_step(void *state)
{
    tstate_t *s = state;
    if (s->n < 32)
        step_at[s->n] = pk_now();
    nsteps = ++s->n;
    s->requests++;
    return script(s->n);
}

static void t_stats(const void *state, wl_app_stats_t *out)
{
    out->requests = ((const tstate_t *)state)->requests;
    out->faults = 12345; /* the runtime's count wins */
}

static const char *const t_params[] = {"fail: make start fail", "x: ignored", NULL};
static const wl_app_t tapp = {.name = "tapp", .params = t_params, .state_size = sizeof(tstate_t), .start = t_start, .step = t_step, .stats = t_stats};

/* ---------------------------------------------------------------- fixture */

static void setup(void)
{
    machine_cfg_t cfg;
    machine_cfg_default(&cfg);
    cfg.nic_present = cfg.nvme_present = false;
    sim = sim_create();
    ck_assert_int_eq(cost_table_init(&costs, "default"), 0);
    char err[200];
    ck_assert_msg(machine_create(&m, sim, &costs, &cfg, err, sizeof err) == 0, "%s", err);
    machine_hal_bind(&m);
    tdev = pcie_attach(m.bus, "test", TRID, TBAR, 0x1000, &tops, NULL, tlink, 0, 0);
    ck_assert_ptr_nonnull(tdev);
    /* What a kernel's boot would do for the process on CORE. */
    machine_entry_begin(&m, 0, CPU_KERNEL);
    ck_assert_int_eq(hal_user_map(CORE, PART(CORE), 0x10000 + 0x1000, 1), 0);
    ck_assert_int_eq(hal_user_map(CORE, RO(CORE), 0x1000, 0), 0);
    ck_assert_int_eq(hal_poll_watch(CORE, WATCH(CORE), 256), 0);
    ck_assert_int_eq(hal_irq_register(CORE, VEC, fk_irq, NULL), 0);
    machine_entry_end(&m);
    machine_entry_begin(&m, CORE, CPU_KERNEL);
    ck_assert_int_eq(hal_timer_vector(VEC), 0);
    machine_entry_end(&m);
    rt = proc_rt_create(&m, &fake);
    fk_calls = fk_irqs = 0;
    fk_wake_on = 1;
    nsteps = 0;
    seen = 0;
}

static void teardown(void)
{
    proc_rt_destroy(rt);
    machine_destroy(&m);
    sim_destroy(sim);
}

static void spawn(void)
{
    char err[200] = "";
    ck_assert_msg(proc_spawn(rt, CORE, CORE, &tapp, NULL, 0, err, sizeof err) == 0, "%s", err);
    proc_rt_start(rt);
}

/* A DMA write of one word into the watched range, at an event time. */
static sim_time_t dma_done;
static void dma_event(sim_t *s, void *arg, uint64_t val)
{
    (void)s;
    (void)arg;
    uint32_t v = (uint32_t)val;
    ck_assert_int_eq(pcie_dma_write(tdev, IOMMU_NO_PASID, WATCH(CORE), &v, 4, &dma_done),
                     PCIE_DMA_OK);
}

/* The completion time of such a write issued at t on an idle link:
 * pcie.dma + wire time (devices/pcie.h; the IOMMU is in pass-through). */
static sim_time_t dma_landing(sim_time_t t) { return t + C(COST_PCIE_DMA) + pcie_wire_time(tlink, 4); }

static const proc_stats_t *st(void) { return proc_stats(rt, CORE); }

/* ---------------------------------------------------------------- BUSY / EXIT */

static wl_step_t busy4(unsigned n)
{
    pk_charge(pk_cost("cpu.cycle"), 100);
    return n < 5 ? WL_STEP_BUSY : WL_STEP_EXIT;
}

START_TEST(test_busy_steps_run_back_to_back)
{
    script = busy4;
    spawn();
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(nsteps, 5);
    for (unsigned i = 0; i < 5; i++)
        ck_assert_uint_eq(step_at[i], i * 100 * C(COST_CPU_CYCLE));
    ck_assert_uint_eq(st()->state, PROC_EXITED);
    ck_assert_uint_eq(st()->steps, 5);
    ck_assert_uint_eq(st()->busy, 4);
    ck_assert_uint_eq(m.cores[CORE].acct[CPU_USER], 500 * C(COST_CPU_CYCLE));
    ck_assert_uint_eq(m.cores[CORE].acct[CPU_POLL], 0);
    ck_assert_uint_eq(sim_pending(sim), 0); /* nothing left: no periodic events */
}
END_TEST

/* ---------------------------------------------------------------- POLL */

static wl_step_t poll_then_read(unsigned n)
{
    pk_charge(COST_CPU_CYCLE, 300);
    if (n == 1)
        return WL_STEP_POLL;
    ck_assert_int_eq(pk_load(WATCH(CORE), &seen, 4), 0);
    return WL_STEP_EXIT;
}

START_TEST(test_poll_wakes_at_dma_completion_plus_detect)
{
    script = poll_then_read;
    spawn();
    sim_at(sim, SIM_US(1), dma_event, NULL, 0xC0FFEE);
    sim_run(sim, SIM_TIME_MAX);
    const sim_time_t end1 = 300 * C(COST_CPU_CYCLE);
    const sim_time_t wake = dma_landing(SIM_US(1)) + m.cfg.poll_detect_ps;
    ck_assert_uint_eq(dma_done, dma_landing(SIM_US(1)));
    ck_assert_uint_eq(nsteps, 2);
    ck_assert_uint_eq(step_at[1], wake);
    ck_assert_uint_eq(seen, 0xC0FFEE); /* the write had landed */
    ck_assert_uint_eq(st()->polls, 1);
    ck_assert_uint_eq(st()->watch_wakes, 1);
    ck_assert_uint_eq(st()->poll_ps, wake - end1);
    ck_assert_uint_eq(m.cores[CORE].acct[CPU_POLL], wake - end1);
    ck_assert_uint_eq(m.cores[CORE].acct[CPU_USER], 600 * C(COST_CPU_CYCLE));
}
END_TEST

static wl_step_t long_poll(unsigned n)
{
    pk_charge(COST_CPU_CYCLE, n == 1 ? 30000 : 1); /* 10 us */
    return n == 1 ? WL_STEP_POLL : WL_STEP_EXIT;
}

START_TEST(test_write_visible_during_step_runs_next_step_right_after)
{
    script = long_poll;
    spawn();
    sim_at(sim, SIM_US(1), dma_event, NULL, 1);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_lt(dma_landing(SIM_US(1)) + m.cfg.poll_detect_ps, 30000 * C(COST_CPU_CYCLE));
    ck_assert_uint_eq(nsteps, 2);
    ck_assert_uint_eq(step_at[1], 30000 * C(COST_CPU_CYCLE));
    ck_assert_uint_eq(st()->poll_ps, 0);
}
END_TEST

static wl_step_t busy_then_poll(unsigned n)
{
    pk_charge(COST_CPU_CYCLE, 30);
    return n == 1 ? WL_STEP_BUSY : n == 2 ? WL_STEP_POLL : WL_STEP_EXIT;
}

/* Regression guard: a write issued before a BUSY step but landing after
 * it must still wake the poll that follows (no lost wake-up). */
START_TEST(test_write_landing_after_busy_step_wakes_later_poll)
{
    script = busy_then_poll;
    spawn();
    dma_event(sim, NULL, 7); /* at time 0, before the first step runs */
    sim_run(sim, SIM_TIME_MAX);
    const sim_time_t wake = dma_landing(0) + m.cfg.poll_detect_ps;
    ck_assert_uint_gt(wake, 60 * C(COST_CPU_CYCLE));
    ck_assert_uint_eq(nsteps, 3);
    ck_assert_uint_eq(step_at[1], 30 * C(COST_CPU_CYCLE));
    ck_assert_uint_eq(step_at[2], wake);
    ck_assert_uint_eq(st()->poll_ps, wake - 60 * C(COST_CPU_CYCLE));
}
END_TEST

static wl_step_t poll_once(unsigned n)
{
    pk_charge(COST_CPU_CYCLE, 30);
    return n == 1 ? WL_STEP_POLL : WL_STEP_EXIT;
}

START_TEST(test_interrupt_return_resumes_poll)
{
    script = poll_once;
    fk_wake_on = 99; /* the handler never wakes anyone */
    spawn();
    machine_entry_begin(&m, CORE, CPU_KERNEL); /* arm the timer at 4 us */
    hal_timer_arm(SIM_US(4));
    machine_entry_end(&m);
    sim_run(sim, SIM_US(5));
    const sim_time_t irq = C(COST_CPU_IRQ_ENTRY) + 20 * C(COST_CPU_CYCLE);
    ck_assert_uint_eq(fk_irqs, 1);
    ck_assert_uint_eq(nsteps, 2);
    ck_assert_uint_eq(step_at[1], SIM_US(4) + irq);
    ck_assert_uint_eq(st()->irq_wakes, 1);
    /* Poll time: from the end of step 1 to step 2, less the handler. */
    ck_assert_uint_eq(st()->poll_ps, SIM_US(4) - 30 * C(COST_CPU_CYCLE));
    ck_assert_uint_eq(m.cores[CORE].acct[CPU_IRQ], irq);
}
END_TEST

static wl_step_t poll_forever(unsigned n)
{
    (void)n;
    pk_charge(COST_CPU_CYCLE, 30);
    return WL_STEP_POLL;
}

static void noop(sim_t *s, void *a, uint64_t d)
{
    (void)s;
    (void)a;
    (void)d;
}

START_TEST(test_idle_poll_costs_no_events_and_settles)
{
    script = poll_forever;
    spawn();
    sim_at(sim, SIM_US(50), noop, NULL, 0);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(nsteps, 1);
    ck_assert_uint_eq(sim_events_run(sim), 2); /* the first step and the noop */
    ck_assert_uint_eq(st()->state, PROC_POLLING);
    proc_rt_settle(rt);
    ck_assert_uint_eq(st()->poll_ps, SIM_US(50) - 30 * C(COST_CPU_CYCLE));
    proc_rt_settle(rt); /* booked once */
    ck_assert_uint_eq(m.cores[CORE].acct[CPU_POLL], SIM_US(50) - 30 * C(COST_CPU_CYCLE));
}
END_TEST

/* ---------------------------------------------------------------- blocking */

static wl_step_t block_once(unsigned n)
{
    if (n == 1) {
        ck_assert_int_eq(pk_enter(3, 1, PK_ENTER_WAIT), 3);
        return WL_STEP_POLL; /* ignored: the process blocked */
    }
    return WL_STEP_EXIT;
}

START_TEST(test_blocked_process_runs_after_wake)
{
    script = block_once;
    fk_wake_on = 2; /* first interrupt: re-arm; second: wake */
    spawn();
    sim_at(sim, SIM_US(1), dma_event, NULL, 1); /* a watched write does not wake it */
    sim_run(sim, SIM_TIME_MAX);
    const sim_time_t sys = C(COST_CPU_SYSCALL) + 50 * C(COST_CPU_CYCLE);
    const sim_time_t irq = C(COST_CPU_IRQ_ENTRY) + 20 * C(COST_CPU_CYCLE);
    /* Timer armed for sys + 2 us; the handler re-arms 3 us after its own
     * clock; the second handler wakes the process. */
    const sim_time_t t1 = sys + SIM_US(2), t2 = t1 + irq + SIM_US(3);
    ck_assert_uint_eq(fk_calls, 1);
    ck_assert_uint_eq(fk_irqs, 2);
    ck_assert_uint_eq(nsteps, 2);
    ck_assert_uint_eq(step_at[1], t2 + irq);
    ck_assert_uint_eq(st()->blocks, 1);
    ck_assert_uint_eq(st()->wakeups, 1);
    ck_assert_uint_eq(st()->syscalls, 1);
    ck_assert_uint_eq(st()->poll_ps, 0); /* blocked time is idle, not polling */
    ck_assert_uint_eq(m.cores[CORE].acct[CPU_POLL], 0);
    ck_assert_uint_eq(m.cores[CORE].acct[CPU_KERNEL], sys);
    ck_assert_uint_eq(st()->state, PROC_EXITED);
}
END_TEST

/* ---------------------------------------------------------------- memory and faults */

static wl_step_t touch(unsigned n)
{
    (void)n;
    uint64_t v = 42, r = 0;
    ck_assert_uint_eq(pk_self(), PART(CORE));
    ck_assert_int_eq(pk_store(PART(CORE) + 0x100, &v, 8), 0);
    ck_assert_int_eq(pk_load(PART(CORE) + 0x100, &r, 8), 0);
    ck_assert_uint_eq(r, 42);
    ck_assert_int_eq(pk_load(RO(CORE), &r, 8), 0);
    ck_assert_int_eq(pk_store(RO(CORE), &v, 8), -1);        /* read-only */
    ck_assert_int_eq(pk_store(PART(CORE + 1), &v, 8), -1);  /* not granted */
    ck_assert_int_eq(pk_load(PART(CORE) + 0x10FFC, &r, 8), -1); /* runs off the grant */
    sim_time_t t0 = pk_now();
    pk_charge(COST_MEM_LLC, 2);
    ck_assert_uint_eq(pk_now(), t0 + 2 * C(COST_MEM_LLC));
    pk_charge(-1, 5); /* an unknown id charges nothing */
    ck_assert_uint_eq(pk_now(), t0 + 2 * C(COST_MEM_LLC));
    return WL_STEP_EXIT;
}

/* The inline forms (pk.h, fast paths) behave as the functions: the same
 * bytes, the same refusals (each a counted fault), charges that move
 * pk_now. */
static wl_step_t touch_fast(unsigned n)
{
    (void)n;
    uint64_t v = 77, r = 0;
    ck_assert_int_eq(pk_store_fast(PART(CORE) + 0x200, &v, 8), 0);
    ck_assert_int_eq(pk_load_fast(PART(CORE) + 0x200, &r, 8), 0);
    ck_assert_uint_eq(r, 77);
    ck_assert_int_eq(pk_load(PART(CORE) + 0x200, &r, 8), 0);
    ck_assert_uint_eq(r, 77);
    ck_assert_int_eq(pk_load_fast(RO(CORE), &r, 8), 0);
    ck_assert_int_eq(pk_store_fast(RO(CORE), &v, 8), -1);        /* read-only */
    ck_assert_int_eq(pk_store_fast(PART(CORE + 1), &v, 8), -1);  /* not granted */
    ck_assert_int_eq(pk_load_fast(PART(CORE) + 0x10FFC, &r, 8), -1); /* runs off the grant */
    sim_time_t t0 = pk_now();
    pk_charge_fast(COST_MEM_LLC, 2);
    pk_charge(COST_CPU_CYCLE, 3);
    pk_charge_fast(COST_CPU_CYCLE, 1);
    ck_assert_uint_eq(pk_now(), t0 + 2 * C(COST_MEM_LLC) + 4 * C(COST_CPU_CYCLE));
    pk_charge_fast(-1, 5); /* an unknown id charges nothing */
    ck_assert_uint_eq(pk_now(), t0 + 2 * C(COST_MEM_LLC) + 4 * C(COST_CPU_CYCLE));
    return WL_STEP_EXIT;
}

START_TEST(test_fast_forms_match_the_calls)
{
    script = touch_fast;
    spawn();
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(nsteps, 1);
    ck_assert_uint_eq(st()->faults, 3);
    uint64_t v = 0;
    ck_assert_int_eq(mem_read(m.mem, PART(CORE + 1), &v, 8), 0);
    ck_assert_uint_eq(v, 0); /* the refused store wrote nothing */
    ck_assert_int_eq(pk_load_fast(PART(CORE), &v, 8), -1); /* no process runs */
    ck_assert_int_eq(pk_store_fast(PART(CORE), &v, 8), -1);
}
END_TEST

START_TEST(test_faults_are_counted_and_return_minus_one)
{
    script = touch;
    spawn();
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(nsteps, 1);
    ck_assert_uint_eq(st()->faults, 3);
    uint64_t v = 0;
    ck_assert_int_eq(mem_read(m.mem, PART(CORE + 1), &v, 8), 0);
    ck_assert_uint_eq(v, 0); /* the refused store wrote nothing */
    wl_app_stats_t as;
    ck_assert_int_eq(proc_app_stats(rt, CORE, &as), 0);
    ck_assert_uint_eq(as.faults, 3);
    ck_assert_uint_eq(as.requests, 1);
    ck_assert_int_eq(proc_app_stats(rt, 7, &as), -1);
}
END_TEST

START_TEST(test_abi_outside_a_process_fails)
{
    uint64_t v = 0;
    ck_assert_int_eq(pk_enter(0, 0, 0), -PK_EINVAL);
    ck_assert_int_eq(pk_load(PART(CORE), &v, 8), -1);
    ck_assert_int_eq(pk_store(PART(CORE), &v, 8), -1);
    ck_assert_uint_eq(pk_self(), 0);
    ck_assert_int_eq(pk_cost("cpu.cycle"), COST_CPU_CYCLE);
    ck_assert_int_eq(pk_cost("nope"), -1);
}
END_TEST

START_TEST(test_spawn_refusals)
{
    char err[200];
    const wl_param_t bad[] = {{"nope", "1"}};
    const wl_param_t fail[] = {{"fail", "1"}};
    ck_assert_int_eq(proc_spawn(rt, 1, 1, &tapp, bad, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown parameter 'nope'"));
    ck_assert_int_eq(proc_spawn(rt, 1, 1, &tapp, fail, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "told to fail"));
    ck_assert_int_eq(proc_spawn(rt, 9, 9, &tapp, NULL, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "core 9 does not exist"));
    ck_assert_int_eq(proc_spawn(rt, 2, 1, &tapp, NULL, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "did not boot it on core 1"));
    ck_assert_int_eq(proc_spawn(rt, 1, 1, &tapp, NULL, 0, err, sizeof err), 0);
    ck_assert_int_eq(proc_spawn(rt, 1, 1, &tapp, NULL, 0, err, sizeof err), -1);
    ck_assert_ptr_null(proc_stats(rt, 2));
    ck_assert_str_eq(proc_state_name(PROC_BLOCKED), "blocked");
}
END_TEST

/* ---------------------------------------------------------------- with the parakernel */

static kh_t kh;

typedef struct ring_app {
    struct pk_ring r;
    unsigned n;
    uint64_t started_at;    /* pk_now() when step 1 began */
    uint64_t armed_at;      /* pk_now() after arming */
    uint64_t cqe_ud;
    int32_t cqe_res;
} ring_app_t;

static unsigned wait_flag; /* PK_ENTER_WAIT or 0, per test */
static ring_app_t *last;

static int r_start(void *state, const wl_param_t *p, size_t n, char *err, size_t errlen)
{
    (void)p;
    (void)n;
    ring_app_t *s = state;
    last = s;
    if (pk_ring_init(&s->r) < 0) {
        snprintf(err, errlen, "no info block");
        return -1;
    }
    return 0;
}

/* Step 1 arms a 10 us timer (and waits for it with wait_flag); later
 * steps take its completion. */
static wl_step_t r_step(void *state)
{
    ring_app_t *s = state;
    s->n++;
    if (s->n == 1) {
        s->started_at = pk_now();
        struct pk_sqe t = {.opcode = PK_OP_TIMER_ARM, .user_data = 42};
        t.u.timer.ns = 10000;
        ck_assert_int_eq(pk_sq_push(&s->r, &t), 0);
        ck_assert_int_eq(pk_submit(&s->r, 1, wait_flag), 1);
        s->armed_at = pk_now();
        return WL_STEP_POLL;
    }
    struct pk_cqe c;
    if (pk_cq_pop(&s->r, &c) < 0)
        return WL_STEP_POLL;
    s->cqe_ud = c.user_data;
    s->cqe_res = c.res;
    return WL_STEP_EXIT;
}

static const char *const no_params[] = {NULL};
static const wl_app_t ring_app = {.name = "ring", .params = no_params, .state_size = sizeof(ring_app_t), .start = r_start, .step = r_step};

static void pk_setup(void)
{
    ck_assert_msg(kh_init(&kh, NULL) == 0, "%s", kh.err);
    kh_plan(&kh, 2, 1, 1);
    ck_assert_msg(kh_boot(&kh) == 0, "%s", kh.err);
    rt = proc_rt_create(&kh.m, NULL); /* the parakernel */
    ck_assert_ptr_nonnull(rt);
    char err[200];
    ck_assert_msg(proc_spawn(rt, 1, 1, &ring_app, NULL, 0, err, sizeof err) == 0, "%s", err);
    proc_rt_start(rt);
}

static void pk_teardown(void)
{
    proc_rt_destroy(rt);
    kh_fini(&kh);
}

static void check_timer_round_trip(void)
{
    sim_run(kh.sim, sim_now(kh.sim) + SIM_US(100));
    const proc_stats_t *s = proc_stats(rt, 1);
    ck_assert_uint_eq(s->state, PROC_EXITED);
    ck_assert_uint_eq(last->cqe_ud, 42);
    ck_assert_int_eq(last->cqe_res, 0);
    ck_assert_uint_eq(s->faults, 0);
    ck_assert_uint_eq(k_proc_stats(1)->timers_fired, 1);
    /* The CQE is written by the timer's interrupt handler (not by a
     * device): the step that takes it runs after 10 us. */
    ck_assert_uint_ge(kh.m.cores[1].clock, last->armed_at + SIM_US(10));
}

START_TEST(test_parakernel_wait_blocks_until_timer)
{
    wait_flag = PK_ENTER_WAIT;
    check_timer_round_trip();
    const proc_stats_t *s = proc_stats(rt, 1);
    ck_assert_uint_eq(s->steps, 2);
    ck_assert_uint_eq(s->blocks, 1);
    ck_assert_uint_eq(s->wakeups, 1);
    ck_assert_uint_eq(s->poll_ps, 0);
    ck_assert_uint_eq(kh.m.cores[1].acct[CPU_POLL], 0);
}
END_TEST

START_TEST(test_parakernel_poll_resumes_after_timer_interrupt)
{
    wait_flag = 0;
    check_timer_round_trip();
    const proc_stats_t *s = proc_stats(rt, 1);
    ck_assert_uint_eq(s->steps, 2);
    ck_assert_uint_eq(s->blocks, 0);
    ck_assert_uint_eq(s->irq_wakes, 1);
    /* Polled from the end of step 1 (armed_at) until the interrupt at
     * t_arm + 10 us, where the kernel read the clock at some t_arm within
     * step 1: poll_ps = t_arm + 10 us - armed_at. */
    ck_assert_uint_le(s->poll_ps, SIM_US(10));
    ck_assert_uint_ge(s->poll_ps, SIM_US(10) - (last->armed_at - last->started_at));
    ck_assert_uint_eq(kh.m.cores[1].acct[CPU_POLL], s->poll_ps);
}
END_TEST

static Suite *proc_suite(void)
{
    Suite *s = suite_create("proc");
    TCase *tc = tcase_create("proc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_busy_steps_run_back_to_back);
    tcase_add_test(tc, test_poll_wakes_at_dma_completion_plus_detect);
    tcase_add_test(tc, test_write_visible_during_step_runs_next_step_right_after);
    tcase_add_test(tc, test_write_landing_after_busy_step_wakes_later_poll);
    tcase_add_test(tc, test_interrupt_return_resumes_poll);
    tcase_add_test(tc, test_idle_poll_costs_no_events_and_settles);
    tcase_add_test(tc, test_blocked_process_runs_after_wake);
    tcase_add_test(tc, test_faults_are_counted_and_return_minus_one);
    tcase_add_test(tc, test_fast_forms_match_the_calls);
    tcase_add_test(tc, test_abi_outside_a_process_fails);
    tcase_add_test(tc, test_spawn_refusals);
    suite_add_tcase(s, tc);
    TCase *pk = tcase_create("parakernel");
    tcase_add_checked_fixture(pk, pk_setup, pk_teardown);
    tcase_add_test(pk, test_parakernel_wait_blocks_until_timer);
    tcase_add_test(pk, test_parakernel_poll_resumes_after_timer_interrupt);
    suite_add_tcase(s, pk);
    return s;
}

CHECK_MAIN(proc_suite)
