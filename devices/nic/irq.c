/* devices/nic/irq.c: interrupt causes, masks, moderation and MSI-X (82599
 * 7.3, registers 8.2.3.5: EICR, EICS, EIMS, EIMC, EIAC, EIAM, EITR, IVAR,
 * and the _EX registers for vectors 32-63).
 *
 * MSI-X mode only (GPIE.MSIX_MODE is stored, not required).  IVAR(n)
 * allocates queues 2n and 2n+1 to vectors: bits 7:0 RX 2n, 15:8 TX 2n,
 * 23:16 RX 2n+1, 31:24 TX 2n+1; in each byte bits 5:0 are the vector and
 * bit 7 the valid bit.  A queue event (a receive write-back, a transmit
 * write-back with RS) sets its vector's cause bit; the vector fires when its
 * cause is set and enabled (EIMS), no earlier than the EITR interval after
 * its previous interrupt: "the interrupt for a queue is delayed until the
 * moderation interval since the last one has passed" (EITR bits 11:3, in
 * 2 us units, as the ixgbe driver programs it: register = usecs << 2;
 * 0 = no moderation).  Firing hands the MSI-X message to the bus
 * (which applies the table's per-vector mask and the pcie.msix latency),
 * clears the cause if auto-clear applies and the enable bit if auto-mask
 * (EIAM) does.  A cause set while masked stays pending in EICR and fires
 * when EIMS enables it again.  EICS sets causes by software.
 *
 * Simplifications: cause bits are per vector (EICR bits 15:0 show vectors
 * 0-15); EIAC bits 15:0 select auto-clear for vectors 0-15 and vectors
 * 16-63 always auto-clear (the 82599 has no EIAC_EX); EICR is
 * write-1-to-clear and not cleared by reads; "other" causes (link, flow
 * director, ECC...) are never raised.
 *
 * Timing of a cause: the receive (transmit) engine issues the status
 * write-back at time t and the MSI-X write follows it on the link (PCIe
 * posted writes stay in order), so the vector may fire at t; the bus adds
 * the message's latency. */
#include "devices/nic/nic_int.h"

#define LEGACY_MASK 0xFFFFull      /* vectors reachable through EICR & co. */
#define EX_VECTORS 32u
#define IVAR_TX_SHIFT 8u
#define IVAR_ODD_SHIFT 16u
#define EITR_SPLIT 24u

static uint64_t vec_mask(const nic_t *n)
{
    return n->nvec >= 64 ? UINT64_MAX : (UINT64_C(1) << n->nvec) - 1;
}

static sim_time_t interval(const nic_vec_t *v)
{
    return ((v->eitr >> EITR_INTERVAL_SHIFT) & EITR_INTERVAL_MASK) * EITR_UNIT_PS;
}

static void fire(nic_t *n, unsigned vi);

static void fire_ev(sim_t *sim, void *arg, uint64_t vi)
{
    (void)sim;
    nic_t *n = arg;
    n->vec[vi].ev = 0;
    fire(n, (unsigned)vi);
}

/* Schedule the vector's interrupt for a cause completing at t. */
static inline void arm(nic_t *n, unsigned vi, sim_time_t t)
{
    nic_vec_t *v = &n->vec[vi];
    uint64_t bit = UINT64_C(1) << vi;
    if (v->ev || !(n->eicr & n->eims & bit))
        return;
    sim_time_t now = sim_now(n->sim);
    sim_time_t at = tmax(t, now);
    if (v->fired)
        at = tmax(at, v->last_fire + interval(v));
    if (at == now)
        fire(n, vi);
    else
        v->ev = sim_at(n->sim, at, fire_ev, n, vi);
}

static void fire(nic_t *n, unsigned vi)
{
    nic_vec_t *v = &n->vec[vi];
    uint64_t bit = UINT64_C(1) << vi;
    if (!(n->eicr & n->eims & bit))
        return; /* masked or cleared meanwhile: stays pending in EICR */
    sim_time_t now = sim_now(n->sim);
    v->last_fire = now;
    v->fired = true;
    if ((n->eiac | ~LEGACY_MASK) & bit)
        n->eicr &= ~bit;
    if (n->eiam & bit)
        n->eims &= ~bit;
    n->stats.irqs_sent++;
    pcie_msix_send(n->dev, vi);
    if (v->want > now) { /* a cause completes later: it needs its own */
        n->eicr |= bit;
        arm(n, vi, v->want);
    }
}

static void vec_raise(nic_t *n, unsigned vi, sim_time_t t)
{
    nic_vec_t *v = &n->vec[vi];
    n->eicr |= UINT64_C(1) << vi;
    v->want = tmax(v->want, t);
    arm(n, vi, t);
}

void nic_irq_queue(nic_t *n, unsigned q, bool tx, sim_time_t t)
{
    unsigned shift = (q & 1) * IVAR_ODD_SHIFT + (tx ? IVAR_TX_SHIFT : 0);
    unsigned alloc = (n->ivar[q / 2] >> shift) & 0xFF;
    if (!(alloc & IVAR_VALID))
        return;
    unsigned vi = alloc & IVAR_VECTOR_MASK;
    if (vi >= n->nvec) {
        nic_guest_error(n);
        return;
    }
    vec_raise(n, vi, t);
}

static void set_causes(nic_t *n, uint64_t bits)
{
    bits &= vec_mask(n);
    for (unsigned vi = 0; bits; vi++, bits >>= 1)
        if (bits & 1)
            vec_raise(n, vi, sim_now(n->sim));
}

static void enable(nic_t *n, uint64_t bits)
{
    bits &= vec_mask(n);
    n->eims |= bits;
    bits &= n->eicr;
    for (unsigned vi = 0; bits; vi++, bits >>= 1)
        if (bits & 1)
            arm(n, vi, n->vec[vi].want);
}

static void disable(nic_t *n, uint64_t bits)
{
    n->eims &= ~bits;
    for (unsigned vi = 0; vi < n->nvec; vi++) {
        if ((bits >> vi & 1) && n->vec[vi].ev) {
            sim_cancel(n->sim, n->vec[vi].ev);
            n->vec[vi].ev = 0;
        }
    }
}

static uint64_t merge(uint64_t reg, uint64_t mask, uint64_t val)
{
    return (reg & ~mask) | (val & mask);
}

static bool ex_reg(nic_t *n, uint32_t off, bool write, uint32_t *val)
{
    uint32_t base = off & ~7u, i = (off & 7u) / 4;
    uint64_t bits = (uint64_t)*val << (EX_VECTORS * i);
    uint64_t mask = (uint64_t)UINT32_MAX << (EX_VECTORS * i);
    switch (base) {
    case R_EICS_EX:
        if (write) set_causes(n, bits); else *val = 0;
        return true;
    case R_EIMS_EX:
        if (write) enable(n, bits); else *val = (uint32_t)(n->eims >> (EX_VECTORS * i));
        return true;
    case R_EIMC_EX:
        if (write) disable(n, bits); else *val = 0;
        return true;
    case R_EIAM_EX:
        if (write) n->eiam = merge(n->eiam, mask, bits);
        else *val = (uint32_t)(n->eiam >> (EX_VECTORS * i));
        return true;
    default:
        return false;
    }
}

static bool legacy_reg(nic_t *n, uint32_t off, bool write, uint32_t *val)
{
    uint64_t bits = *val & LEGACY_MASK;
    switch (off) {
    case R_EICR:
        if (write) n->eicr &= ~bits; else *val = (uint32_t)(n->eicr & LEGACY_MASK);
        return true;
    case R_EICS:
        if (write) set_causes(n, bits); else *val = (uint32_t)(n->eicr & LEGACY_MASK);
        return true;
    case R_EIMS:
        if (write) enable(n, bits); else *val = (uint32_t)(n->eims & LEGACY_MASK);
        return true;
    case R_EIMC:
        if (write) disable(n, bits); else *val = 0;
        return true;
    case R_EIAC:
        if (write) n->eiac = bits; else *val = (uint32_t)n->eiac;
        return true;
    case R_EIAM:
        if (write) n->eiam = merge(n->eiam, LEGACY_MASK, bits);
        else *val = (uint32_t)(n->eiam & LEGACY_MASK);
        return true;
    default:
        return false;
    }
}

/* EITR n or -1. */
static int eitr_index(uint32_t off)
{
    if (off >= R_EITR_LO && off < R_EITR_LO + 4 * EITR_SPLIT)
        return (int)((off - R_EITR_LO) / 4);
    if (off >= R_EITR_HI && off < R_EITR_HI + 4 * (NIC_MAX_VECTORS - EITR_SPLIT))
        return (int)(EITR_SPLIT + (off - R_EITR_HI) / 4);
    return -1;
}

bool nic_irq_reg(nic_t *n, uint32_t off, bool write, uint32_t *val)
{
    int e = eitr_index(off);
    if (e >= 0) {
        if (write) n->vec[e].eitr = *val; else *val = n->vec[e].eitr;
        return true;
    }
    if (off >= R_IVAR && off < R_IVAR + 4 * (NIC_MAX_QUEUES / 2)) {
        uint32_t *r = &n->ivar[(off - R_IVAR) / 4];
        if (write) *r = *val; else *val = *r;
        return true;
    }
    if ((off & 3) == 0 && off >= R_EICS_EX && off < R_EIAM_EX + 8)
        return ex_reg(n, off, write, val);
    return legacy_reg(n, off, write, val);
}

void nic_irq_reset(nic_t *n)
{
    for (unsigned vi = 0; vi < NIC_MAX_VECTORS; vi++) {
        if (n->vec[vi].ev)
            sim_cancel(n->sim, n->vec[vi].ev);
        n->vec[vi] = (nic_vec_t){ 0 };
    }
    n->eicr = n->eims = n->eiac = n->eiam = 0;
}
