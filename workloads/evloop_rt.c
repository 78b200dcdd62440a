/* workloads/evloop_rt.c: the event-loop runtime (contract, phases, timer
 * scheme and costs: evloop_rt.h).
 *
 * Timer slots.  A slot is in one state:
 *   T_FREE       on the free stack;
 *   T_WAITING    in the wait heap (not in the kernel);
 *   T_ARMED      its TIMER_ARM SQE is written (counted in karmed until
 *                its completion arrives);
 *   T_CLEARED    armed, cleared by the user: its callback will not run; a
 *                cancel SQE was sent when the SQ had room (t->cancel);
 *   T_PREEMPTED  armed, cancelled by the runtime to make room for an
 *                earlier waiting timer: back to the heap on -PK_ECANCELED,
 *                run as usual if it fired first;
 *   T_FIRED      expired: a task on the ready queue (fn NULL, arg the
 *                timer's handle) will run its callback;
 *   T_FIRED_CLEARED  expired, then cleared before that task ran: the
 *                task only frees the slot (clearTimeout of a due timer
 *                whose callback has not run yet stops it, as in Node.js).
 * A slot is freed (its generation bumped) when its task runs (just
 * before the callback, which may set timers again), when a cleared or
 * refused timer's completion arrives, or at once when a waiting timer is
 * cleared.  The kernel posts
 * a timer's own completion before its cancel's (kernel/ktimer.c), and
 * cancel completions change nothing here, so a freed slot never sees a
 * completion of its previous life but the cancel's (ignored by opcode).
 *
 * Invariants: karmed = slots in T_ARMED, T_CLEARED or T_PREEMPTED;
 * nheap = slots in T_WAITING; every slot is in exactly one place. */
#include "workloads/evloop_rt.h"

#include <string.h>

#define ITER_CYCLES 12u
#define POST_CYCLES 6u
#define CB_CYCLES 8u
#define SQE_CYCLES 12u
#define CQE_CYCLES 10u
#define TIMER_CYCLES 10u
#define HEAP_STEP_CYCLES 6u
#define SEARCH_CYCLES 2u
#define WAIT_ROUNDS 4
#define RQ_MASK (WL_EVL_READY_MAX - 1)
#define DEADLINE_MAX (UINT64_MAX / 1000 * 1000) /* PK_TIMER_ABS takes ns <= UINT64_MAX/1000 */

enum { T_FREE = 0, T_WAITING, T_ARMED, T_CLEARED, T_PREEMPTED, T_FIRED, T_FIRED_CLEARED };

_Static_assert((WL_EVL_READY_MAX & RQ_MASK) == 0, "the ready queue is a power of two");
_Static_assert(WL_EVL_TIMERS_MAX <= 65536, "slots and heap positions are 16-bit");

static uint64_t ud_of(const wl_evl_t *ev, uint32_t s)
{
    return WL_EVL_UD_TAG << 48 | (uint64_t)ev->t[s].gen << 16 | s;
}

static void count_refusal(wl_evl_t *ev, int res)
{
    if (res < 0 && -res < 32)
        ev->c.refused[-res]++;
}

/* ---------------------------------------------------------------- ready queue */

uint32_t wl_evl_ready(const wl_evl_t *ev)
{
    return ev->rq_tail - ev->rq_head;
}

static uint32_t rq_room(const wl_evl_t *ev)
{
    return WL_EVL_READY_MAX - wl_evl_ready(ev);
}

/* fn NULL: an expired timer's task (run_timer), arg its handle. */
static int post_task(wl_evl_t *ev, wl_evl_cb_t fn, uint64_t arg)
{
    pk_charge(ev->c_cycle, POST_CYCLES);
    if (!rq_room(ev))
        return -1;
    ev->rq[ev->rq_tail++ & RQ_MASK] = (wl_evl_task_t){fn, arg};
    if (wl_evl_ready(ev) > ev->c.max_ready)
        ev->c.max_ready = wl_evl_ready(ev);
    return 0;
}

int wl_evl_post(wl_evl_t *ev, wl_evl_cb_t fn, uint64_t arg)
{
    return fn ? post_task(ev, fn, arg) : -1;
}

static void slot_free(wl_evl_t *ev, uint32_t s);

/* An expired timer's task: its callback, unless it was cleared since. */
static void run_timer(wl_evl_t *ev, uint64_t ud)
{
    uint32_t s = (uint32_t)(ud & 0xffffu);
    wl_evl_timer_t *t = &ev->t[s];
    uint8_t state = t->state;
    wl_evl_cb_t fn = t->fn;
    uint64_t arg = t->arg;
    slot_free(ev, s);
    if (state == T_FIRED)
        fn(ev->ctx, arg);
}

/* Up to budget callbacks, oldest first (those they post run after). */
static unsigned run_ready(wl_evl_t *ev)
{
    unsigned n = 0;
    while (n < ev->budget && ev->rq_head != ev->rq_tail) {
        wl_evl_task_t t = ev->rq[ev->rq_head++ & RQ_MASK];
        pk_charge(ev->c_cycle, CB_CYCLES);
        if (t.fn)
            t.fn(ev->ctx, t.arg);
        else
            run_timer(ev, t.arg);
        n++;
    }
    ev->c.callbacks += n;
    return n;
}

/* ---------------------------------------------------------------- wait heap */

static bool earlier(const wl_evl_t *ev, uint32_t a, uint32_t b)
{
    const wl_evl_timer_t *x = &ev->t[a], *y = &ev->t[b];
    return x->deadline_ps < y->deadline_ps || (x->deadline_ps == y->deadline_ps && x->seq < y->seq);
}

static void heap_set(wl_evl_t *ev, uint32_t i, uint32_t s)
{
    ev->heap[i] = (uint16_t)s;
    ev->t[s].pos = (uint16_t)i;
}

static void sift_up(wl_evl_t *ev, uint32_t i)
{
    unsigned steps = 0;
    uint32_t s = ev->heap[i];
    while (i > 0 && earlier(ev, s, ev->heap[(i - 1) / 2])) {
        heap_set(ev, i, ev->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
        steps++;
    }
    heap_set(ev, i, s);
    pk_charge(ev->c_cycle, (uint64_t)HEAP_STEP_CYCLES * (steps + 1));
}

static void sift_down(wl_evl_t *ev, uint32_t i)
{
    unsigned steps = 0;
    uint32_t s = ev->heap[i];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        uint32_t best = s;
        if (l < ev->nheap && earlier(ev, ev->heap[l], best))
            m = l, best = ev->heap[l];
        if (r < ev->nheap && earlier(ev, ev->heap[r], best))
            m = r;
        if (m == i)
            break;
        heap_set(ev, i, ev->heap[m]);
        i = m;
        steps++;
    }
    heap_set(ev, i, s);
    pk_charge(ev->c_cycle, (uint64_t)HEAP_STEP_CYCLES * (steps + 1));
}

static void heap_push(wl_evl_t *ev, uint32_t s)
{
    ev->t[s].state = T_WAITING;
    heap_set(ev, ev->nheap++, s);
    sift_up(ev, ev->nheap - 1);
    ev->preempt_check = true;
}

static void heap_remove(wl_evl_t *ev, uint32_t i)
{
    uint32_t last = ev->heap[--ev->nheap];
    if (i == ev->nheap)
        return;
    heap_set(ev, i, last);
    if (i > 0 && earlier(ev, last, ev->heap[(i - 1) / 2]))
        sift_up(ev, i);
    else
        sift_down(ev, i);
}

/* ---------------------------------------------------------------- timer slots */

static void slot_free(wl_evl_t *ev, uint32_t s)
{
    wl_evl_timer_t *t = &ev->t[s];
    t->state = T_FREE;
    t->cancel = 0;
    t->gen++;
    ev->tfree[ev->ntfree++] = (uint16_t)s;
}

uint64_t wl_evl_timer_at(wl_evl_t *ev, uint64_t deadline_ps, wl_evl_cb_t fn, uint64_t arg)
{
    pk_charge(ev->c_cycle, TIMER_CYCLES);
    if (!ev->ntfree) {
        ev->c.timers_full++;
        return 0;
    }
    uint32_t s = ev->tfree[--ev->ntfree];
    if (s + 1 > ev->thwm)
        ev->thwm = s + 1;
    wl_evl_timer_t *t = &ev->t[s];
    t->fn = fn;
    t->arg = arg;
    t->deadline_ps = deadline_ps < DEADLINE_MAX ? deadline_ps : DEADLINE_MAX;
    t->seq = ev->seq++;
    t->cancel = 0;
    heap_push(ev, s);
    ev->c.timers_set++;
    return ud_of(ev, s);
}

uint64_t wl_evl_set_timeout(wl_evl_t *ev, uint64_t delay_ns, wl_evl_cb_t fn, uint64_t arg)
{
    uint64_t now = pk_now();
    uint64_t d = delay_ns > (DEADLINE_MAX - now) / 1000 ? DEADLINE_MAX : now + delay_ns * 1000;
    return wl_evl_timer_at(ev, d, fn, arg);
}

uint32_t wl_evl_timers(const wl_evl_t *ev)
{
    return WL_EVL_TIMERS_MAX - ev->ntfree;
}

/* ---------------------------------------------------------------- the SQ */

unsigned wl_evl_sq_room(const wl_evl_t *ev)
{
    return ev->r.info.sq_entries - (ev->r.sq_tail - pk_sq_head(&ev->r));
}

static void put(wl_evl_t *ev, const struct pk_sqe *s)
{
    pk_sq_push(&ev->r, s); /* callers checked the room */
    pk_charge(ev->c_cycle, SQE_CYCLES);
}

/* Publish and enter with every unconsumed SQE; without any, enter only
 * when waiting or forced.  pk_enter's result, or 0. */
static int sys(wl_evl_t *ev, unsigned min_complete, unsigned flags, bool force)
{
    if (ev->r.sq_tail != ev->r.sq_published) {
        pk_store(ev->r.info.sq + PK_RING_TAIL, &ev->r.sq_tail, sizeof ev->r.sq_tail);
        ev->r.sq_published = ev->r.sq_tail;
    }
    unsigned pending = ev->r.sq_tail - pk_sq_head(&ev->r);
    if (!pending && !flags && !force)
        return 0;
    int rc = pk_enter(pending, min_complete, flags);
    count_refusal(ev, rc);
    return rc;
}

int wl_evl_enter(wl_evl_t *ev)
{
    return sys(ev, 0, 0, false);
}

/* SQ room, entering the kernel early (once, twice when the CQ stopped
 * it) when there is none.  The entries may pop the CQ: completions are
 * handled as usual, so callers re-check their own state after it. */
static bool make_room(wl_evl_t *ev)
{
    if (wl_evl_sq_room(ev))
        return true;
    ev->c.early_enters++;
    sys(ev, 0, 0, false);
    if (!wl_evl_sq_room(ev)) { /* the CQ stopped the kernel: make room there */
        wl_evl_drain(ev);
        sys(ev, 0, 0, false);
    }
    return wl_evl_sq_room(ev) > 0;
}

int wl_evl_push(wl_evl_t *ev, const struct pk_sqe *s)
{
    if (!make_room(ev))
        return -1;
    put(ev, s);
    return 0;
}

static void push_cancel(wl_evl_t *ev, uint32_t s)
{
    struct pk_sqe q = {.opcode = PK_OP_TIMER_CANCEL, .user_data = ud_of(ev, s)};
    put(ev, &q);
    ev->t[s].cancel = 1;
    ev->c.cancels_sent++;
}

int wl_evl_clear_timeout(wl_evl_t *ev, uint64_t handle)
{
    pk_charge(ev->c_cycle, TIMER_CYCLES);
    uint32_t s = (uint32_t)(handle & 0xffffu);
    if (handle >> 48 != WL_EVL_UD_TAG || s >= WL_EVL_TIMERS_MAX ||
        ev->t[s].gen != (uint32_t)(handle >> 16))
        return -1;
    wl_evl_timer_t *t = &ev->t[s];
    switch (t->state) {
    case T_WAITING:
        heap_remove(ev, t->pos);
        slot_free(ev, s);
        break;
    case T_ARMED: {
        t->state = T_CLEARED;
        uint32_t gen = t->gen;
        /* without room it fires and is discarded (the callback never
         * runs); making room may also deliver its completion */
        if (make_room(ev) && t->gen == gen && t->state == T_CLEARED)
            push_cancel(ev, s);
        break;
    }
    case T_PREEMPTED: /* its cancel is on its way */
        t->state = T_CLEARED;
        break;
    case T_FIRED: /* its task is queued: it will only free the slot */
        t->state = T_FIRED_CLEARED;
        break;
    default:
        return -1;
    }
    ev->c.timers_cleared++;
    return 0;
}

/* ---------------------------------------------------------------- completions */

static void on_timer_cqe(wl_evl_t *ev, const struct pk_cqe *c)
{
    uint32_t s = (uint32_t)(c->user_data & 0xffffu), op = c->flags & 0xffu;
    count_refusal(ev, c->res);
    if (op == PK_OP_TIMER_CANCEL) { /* the cancelled timer's own completion came first */
        if (c->res == -PK_ENOENT)
            ev->c.cancels_missed++;
        return;
    }
    wl_evl_timer_t *t = s < WL_EVL_TIMERS_MAX ? &ev->t[s] : NULL;
    if (op != PK_OP_TIMER_ARM || !t || t->gen != (uint32_t)(c->user_data >> 16) ||
        (t->state != T_ARMED && t->state != T_CLEARED && t->state != T_PREEMPTED)) {
        ev->c.bad_cqe++;
        return;
    }
    ev->karmed--;
    if (c->res == 0) {
        ev->c.timers_fired++;
        if (t->state == T_CLEARED) {
            slot_free(ev, s);
        } else {
            t->state = T_FIRED;
            post_task(ev, NULL, c->user_data); /* room: wl_evl_drain pops only with room */
        }
    } else if (c->res == -PK_ECANCELED && t->state == T_PREEMPTED) {
        t->cancel = 0;
        heap_push(ev, s);
    } else if (c->res == -PK_ECANCELED) {
        ev->c.timers_cancelled++;
        slot_free(ev, s);
    } else if (c->res == -PK_ETIMERS && t->state != T_CLEARED) {
        /* the kernel holds fewer than we thought: wait for one to complete */
        ev->c.timers_refused++;
        ev->kmax = ev->karmed ? ev->karmed : 1;
        t->cancel = 0;
        heap_push(ev, s);
    } else {
        ev->c.timers_refused++;
        slot_free(ev, s);
    }
}

unsigned wl_evl_drain(wl_evl_t *ev)
{
    struct pk_cqe c;
    unsigned n = 0;
    while (rq_room(ev) && pk_cq_pop(&ev->r, &c) == 0) {
        pk_charge(ev->c_cycle, CQE_CYCLES);
        n++;
        if (c.user_data >> 48 == WL_EVL_UD_TAG)
            on_timer_cqe(ev, &c);
        else if (ev->h.io)
            ev->h.io(ev->ctx, &c);
    }
    return n;
}

/* ---------------------------------------------------------------- submit phase */

/* The armed timer (not being cancelled) with the latest deadline, or -1;
 * armed_hi becomes exact. */
static int64_t latest_armed(wl_evl_t *ev)
{
    int64_t best = -1;
    pk_charge(ev->c_cycle, (uint64_t)SEARCH_CYCLES * ev->thwm);
    for (uint32_t s = 0; s < ev->thwm; s++)
        if (ev->t[s].state == T_ARMED && (best < 0 || earlier(ev, (uint32_t)best, s)))
            best = s;
    ev->armed_hi = best < 0 ? 0 : ev->t[best].deadline_ps;
    return best;
}

/* Arm waiting timers while the kernel has room, earliest first; then, if
 * timers still wait, preempt the latest armed one when a waiting one is
 * due before it (one per iteration). */
static void arm_timers(wl_evl_t *ev)
{
    while (ev->nheap && ev->karmed < ev->kmax && wl_evl_sq_room(ev)) {
        uint32_t s = ev->heap[0];
        heap_remove(ev, 0);
        wl_evl_timer_t *t = &ev->t[s];
        struct pk_sqe q = {
            .opcode = PK_OP_TIMER_ARM,
            .user_data = ud_of(ev, s),
            .u.timer = {.ns = (t->deadline_ps + 999) / 1000, .flags = PK_TIMER_ABS},
        };
        put(ev, &q);
        t->state = T_ARMED;
        if (t->deadline_ps > ev->armed_hi)
            ev->armed_hi = t->deadline_ps;
        ev->karmed++;
        ev->c.timers_armed++;
    }
    if (!ev->nheap)
        ev->preempt_check = false;
    if (!ev->preempt_check || ev->karmed < ev->kmax || !wl_evl_sq_room(ev))
        return;
    if (ev->t[ev->heap[0]].deadline_ps > ev->armed_hi) { /* due after every armed one */
        ev->preempt_check = false;
        return;
    }
    int64_t l = latest_armed(ev);
    if (l >= 0 && earlier(ev, ev->heap[0], (uint32_t)l)) {
        ev->t[l].state = T_PREEMPTED;
        push_cancel(ev, (uint32_t)l);
        ev->c.timers_preempted++;
    } else {
        ev->preempt_check = false;
    }
}

static bool timer_work(const wl_evl_t *ev)
{
    return ev->nheap && (ev->karmed < ev->kmax || ev->preempt_check);
}

static int submit(wl_evl_t *ev)
{
    if (ev->h.flush)
        ev->h.flush(ev->ctx);
    arm_timers(ev);
    return sys(ev, 0, 0, ev->h.need_enter && ev->h.need_enter(ev->ctx));
}

/* ---------------------------------------------------------------- the loop */

static bool app_pending(wl_evl_t *ev)
{
    return ev->h.pending && ev->h.pending(ev->ctx);
}

/* wait: nothing to do, so block until a completion (a timer) or a frame.
 * The kernel does not block when a completion is ready: take it and, when
 * it only freed a buffer, wait again (a few rounds: each is a call). */
static wl_step_t idle_wait(wl_evl_t *ev)
{
    for (int round = 0; round < WAIT_ROUNDS; round++) {
        sys(ev, 1, PK_ENTER_WAIT, true);
        if (!wl_evl_drain(ev))
            return WL_STEP_POLL; /* blocked (or a frame is there: the next step reads it) */
        if (wl_evl_ready(ev) || app_pending(ev) || timer_work(ev))
            return WL_STEP_BUSY;
    }
    return WL_STEP_POLL;
}

wl_step_t wl_evl_step(wl_evl_t *ev)
{
    ev->c.iterations++;
    pk_charge(ev->c_cycle, ITER_CYCLES);
    uint64_t t0 = pk_now();
    unsigned progress = wl_evl_drain(ev);                 /* 1. timers */
    bool more = false;
    if (ev->h.poll)                                       /* 2. pending I/O */
        progress += ev->h.poll(ev->ctx, rq_room(ev), &more);
    progress += run_ready(ev);                            /* 3. callbacks */
    int rc = submit(ev);                                  /* 4. submit */
    if (rc > 0)
        progress += (unsigned)rc;
    progress += wl_evl_drain(ev);
    more |= wl_evl_ready(ev) || ev->r.sq_tail != pk_sq_head(&ev->r) || timer_work(ev) ||
            app_pending(ev);                              /* 5. decide */
    if (more && (progress || pk_now() > t0))
        return WL_STEP_BUSY;
    if (ev->wait && !more && (!ev->h.can_block || ev->h.can_block(ev->ctx)))
        return idle_wait(ev);
    return WL_STEP_POLL;
}

int wl_evl_init(wl_evl_t *ev, void *ctx, const wl_evl_hooks_t *hooks, int c_cycle,
                unsigned budget, bool wait)
{
    if (pk_ring_init(&ev->r) < 0)
        return -1;
    ev->ctx = ctx;
    ev->h = *hooks;
    ev->c_cycle = c_cycle;
    ev->budget = budget ? budget : 1;
    ev->wait = wait;
    ev->rq_head = ev->rq_tail = 0;
    memset(ev->t, 0, sizeof ev->t);
    for (uint32_t i = 0; i < WL_EVL_TIMERS_MAX; i++)
        ev->tfree[i] = (uint16_t)(WL_EVL_TIMERS_MAX - 1 - i); /* slot 0 first */
    ev->ntfree = WL_EVL_TIMERS_MAX;
    ev->thwm = ev->nheap = 0;
    ev->kmax = ev->r.info.max_timers ? ev->r.info.max_timers : 1;
    ev->karmed = 0;
    ev->armed_hi = 0;
    ev->seq = 0;
    ev->preempt_check = false;
    memset(&ev->c, 0, sizeof ev->c);
    return 0;
}

const wl_evl_counters_t *wl_evl_counters(const wl_evl_t *ev)
{
    return &ev->c;
}
