/* sim/irqc: per-core interrupt delivery with entry cost (see irqc.h). */
#include "sim/irqc.h"

#include "model/cost.h"
#include "sim/alloc.h"

#include <stdlib.h>

typedef struct vec_handler {
    irqc_handler_t fn;
    void *ctx;
} vec_handler_t;

typedef struct lapic {
    vec_handler_t vec[IRQC_VECTORS];
    uint64_t delivered, spurious;
} lapic_t;

struct irqc {
    sim_t *sim;
    cpu_t *cores;
    unsigned ncores;
    const cost_table_t *costs;
    lapic_t *lapic;
};

irqc_t *irqc_create(sim_t *sim, cpu_t *cores, unsigned ncores, const cost_table_t *costs)
{
    irqc_t *ic = sim_xcalloc(1, sizeof *ic);
    ic->sim = sim;
    ic->cores = cores;
    ic->ncores = ncores;
    ic->costs = costs;
    ic->lapic = sim_xcalloc(ncores, sizeof *ic->lapic);
    return ic;
}

void irqc_destroy(irqc_t *ic)
{
    if (!ic)
        return;
    free(ic->lapic);
    free(ic);
}

static void deliver(void *ctx, unsigned core, unsigned vector)
{
    irqc_t *ic = ctx;
    if (core >= ic->ncores || vector >= IRQC_VECTORS)
        return; /* an MSI to a core the machine lacks goes nowhere */
    lapic_t *l = &ic->lapic[core];
    vec_handler_t *h = &l->vec[vector];
    if (ic->cores[core].tl)
        tlrec_irq(ic->cores[core].tl, vector);
    cpu_charge(&ic->cores[core], sim_now(ic->sim), cost_ps(ic->costs, COST_CPU_IRQ_ENTRY), CPU_IRQ);
    if (!h->fn) {
        l->spurious++;
        return;
    }
    l->delivered++;
    h->fn(h->ctx, core, vector);
}

irq_sink_t irqc_sink(irqc_t *ic)
{
    return (irq_sink_t){.deliver = deliver, .ctx = ic};
}

int irqc_register(irqc_t *ic, unsigned core, unsigned vector, irqc_handler_t fn, void *ctx)
{
    if (core >= ic->ncores || vector < IRQC_FIRST_VECTOR || vector >= IRQC_VECTORS)
        return -1;
    ic->lapic[core].vec[vector] = (vec_handler_t){fn, ctx};
    return 0;
}

uint64_t irqc_delivered(const irqc_t *ic, unsigned core)
{
    return core < ic->ncores ? ic->lapic[core].delivered : 0;
}

uint64_t irqc_spurious(const irqc_t *ic, unsigned core)
{
    return core < ic->ncores ? ic->lapic[core].spurious : 0;
}
