/* kernel/ktimer.c: per-process timers multiplexed on the core's deadline
 * timer (DESIGN.md: "Timers stay a kernel abstraction: the APIC timer is
 * not partitionable").
 *
 * Contract (k.h, "timers"):
 *   k_timer_arm     push (deadline, user_data) on p's heap; PK_ETIMERS
 *                   when p already has plan.max_timers armed.
 *   k_timer_cancel  remove p's armed timer with that user_data (the
 *                   earliest armed of several); it completes with
 *                   -PK_ECANCELED (flags TIMER_ARM) before the caller
 *                   posts the cancel's own completion; PK_ENOENT if none.
 *   k_timer_harvest post a completion (res 0, flags TIMER_ARM) for every
 *                   timer due by now, earliest first, while the CQ has
 *                   room; timers that do not fit stay due and go out on a
 *                   later harvest (the next pk_enter).
 *   k_timer_init    register the handler for K_TIMER_VECTOR on every
 *                   process's core (boot).
 *
 * Data structure: a binary min-heap per process on (deadline, seq), seq
 * being the arm order, so timers fire in deadline order and ties in arm
 * order.  Arm and harvest are O(log n); cancel is O(n) to find the entry
 * (by user_data) plus O(log n) to remove it.  n <= K_MAX_TIMERS.
 *
 * Multiplexing: one process per core, so the core's deadline is p's
 * earliest timer.  The hardware deadline is written (hal_timer_arm, one
 * count of k_state.st.timer_programs) only when the wanted value changes:
 * the earliest deadline when it is in the future, 0 (disarmed) when the
 * heap is empty or its top is already due (due timers are harvested by
 * this entry or, when the CQ is full, by the next pk_enter: programming a
 * past deadline would only interrupt again at once).  The device disarms
 * itself when it fires, which the handler records.
 *
 * The timer's vector is programmed (hal_timer_vector, the LVT) on the
 * process's core at its first TIMER_ARM: the HAL's timer functions act on
 * the current core and boot runs on the boot core only, so this is the
 * first moment the kernel runs on that core (a real kernel programs each
 * core's LVT when the core comes up).  The handler itself is registered
 * at boot (hal_irq_register takes a core).
 *
 * Interrupt handler: counts an irq, harvests due timers into the CQ,
 * re-programs the deadline, then k_wake_check(p).  The CQE lands at the
 * handler's time: the deadline plus the interrupt entry the platform
 * charges (cpu.irq_entry) when the core was idle.
 *
 * Costs (k_charge, cpu.cycle; one compare-and-branch or a move of a 24-byte
 * entry ~ 1-3 cycles on a superscalar core):
 *   heap step (one level of sift-up or sift-down): 6 cycles (two key
 *     loads and compares, a 24-byte swap);
 *   arm / cancel / harvest bookkeeping: 10 cycles each (bounds check,
 *     seq increment, index arithmetic), cancel's search 2 cycles per entry;
 *   deadline write: WRMSR IA32_TSC_DEADLINE, 100 cycles (unverified:
 *     WRMSR is serializing; the same order as cpu.syscall's mode switch);
 *   handler dispatch: 20 cycles (load the context, read the heap top).
 * The entry itself (cpu.irq_entry) is charged by the platform. */
#include "k.h"

#define HEAP_STEP_CYCLES 6u
#define BOOK_CYCLES 10u
#define SEARCH_CYCLES 2u
#define WRMSR_CYCLES 100u
#define HANDLER_CYCLES 20u

static uint64_t programmed[K_MAX_PROCS]; /* deadline last written, 0: none */
static bool vector_set[K_MAX_PROCS];     /* LVT programmed on p's core */

static bool before(const k_timer_t *a, const k_timer_t *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void swap(k_timer_t *a, k_timer_t *b)
{
    k_timer_t t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(k_proc_t *p, unsigned i)
{
    unsigned steps = 0;
    while (i > 0) {
        unsigned up = (i - 1) / 2;
        if (!before(&p->timers[i], &p->timers[up]))
            break;
        swap(&p->timers[i], &p->timers[up]);
        i = up;
        steps++;
    }
    k_charge(KC_CYCLE, (uint64_t)HEAP_STEP_CYCLES * (steps + 1));
}

static void sift_down(k_proc_t *p, unsigned i)
{
    unsigned steps = 0;
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < p->ntimers && before(&p->timers[l], &p->timers[m]))
            m = l;
        if (r < p->ntimers && before(&p->timers[r], &p->timers[m]))
            m = r;
        if (m == i)
            break;
        swap(&p->timers[i], &p->timers[m]);
        i = m;
        steps++;
    }
    k_charge(KC_CYCLE, (uint64_t)HEAP_STEP_CYCLES * (steps + 1));
}

/* Remove entry i: the last entry takes its place and moves up or down. */
static void heap_remove(k_proc_t *p, unsigned i)
{
    p->ntimers--;
    if (i == p->ntimers)
        return;
    p->timers[i] = p->timers[p->ntimers];
    if (i > 0 && before(&p->timers[i], &p->timers[(i - 1) / 2]))
        sift_up(p, i);
    else
        sift_down(p, i);
}

/* Write the core's deadline when the wanted one changed (see above). */
static void reprogram(k_proc_t *p)
{
    uint64_t want = 0;
    if (p->ntimers && p->timers[0].deadline > hal_now_fast())
        want = p->timers[0].deadline;
    if (want == programmed[p->pid])
        return;
    hal_timer_arm(want);
    k_charge(KC_CYCLE, WRMSR_CYCLES);
    programmed[p->pid] = want;
    k_state.st.timer_programs++;
}

int k_timer_arm(k_proc_t *p, uint64_t user_data, uint64_t deadline)
{
    k_charge(KC_CYCLE, BOOK_CYCLES);
    if (p->ntimers >= p->plan.max_timers || p->ntimers >= K_MAX_TIMERS)
        return PK_ETIMERS;
    if (!vector_set[p->pid]) {
        if (hal_timer_vector(K_TIMER_VECTOR) < 0)
            hal_panic("ktimer: the core refused the timer vector");
        k_charge(KC_CYCLE, WRMSR_CYCLES); /* the LVT write (x2APIC: WRMSR) */
        vector_set[p->pid] = true;
    }
    unsigned i = p->ntimers++;
    p->timers[i] = (k_timer_t){.deadline = deadline, .user_data = user_data, .seq = p->timer_seq++};
    sift_up(p, i);
    reprogram(p);
    return PK_OK;
}

int k_timer_cancel(k_proc_t *p, uint64_t user_data)
{
    k_charge(KC_CYCLE, BOOK_CYCLES + (uint64_t)SEARCH_CYCLES * p->ntimers);
    unsigned found = p->ntimers;
    for (unsigned i = 0; i < p->ntimers; i++) {
        const k_timer_t *t = &p->timers[i];
        if (t->user_data == user_data && (found == p->ntimers || t->seq < p->timers[found].seq))
            found = i;
    }
    if (found == p->ntimers)
        return PK_ENOENT;
    uint64_t ud = p->timers[found].user_data;
    heap_remove(p, found);
    k_cq_post(p, ud, -PK_ECANCELED, PK_OP_TIMER_ARM);
    reprogram(p);
    return PK_OK;
}

void k_timer_harvest(k_proc_t *p)
{
    k_charge(KC_CYCLE, BOOK_CYCLES);
    uint64_t now = hal_now_fast();
    while (p->ntimers && p->timers[0].deadline <= now) {
        if (k_cq_post(p, p->timers[0].user_data, 0, PK_OP_TIMER_ARM) < 0)
            break; /* CQ full: stays due for the next pk_enter */
        p->st.timers_fired++;
        heap_remove(p, 0);
    }
    reprogram(p);
}

static void timer_irq(void *ctx, unsigned vector)
{
    (void)vector;
    k_proc_t *p = ctx;
    k_state.st.irqs++;
    k_charge(KC_CYCLE, HANDLER_CYCLES);
    programmed[p->pid] = 0; /* the deadline timer disarms itself on firing */
    k_timer_harvest(p);
    k_wake_check(p);
}

int k_timer_init(void)
{
    for (unsigned i = 0; i < K_MAX_PROCS; i++) {
        programmed[i] = 0;
        vector_set[i] = false;
    }
    for (unsigned i = 0; i < k_state.nprocs; i++) {
        k_proc_t *p = &k_state.procs[i];
        if (hal_irq_register(p->plan.core, K_TIMER_VECTOR, timer_irq, p) < 0)
            return -1;
    }
    return 0;
}
