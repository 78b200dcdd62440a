/* sim/irqc: the machine's interrupt controllers (one local APIC per core),
 * the simulator side of devices/irq.h's sink.
 *
 * A device's interrupt (an MSI message, or a local timer) arrives as
 * (core, vector).  The controller charges interrupt entry and exit
 * (cost table cpu.irq_entry) on that core in irq mode, counts it, and calls
 * the handler registered for the vector, if any (the kernel registers its
 * handlers through the HAL).  A vector with no handler is counted as
 * spurious.  Vectors 0-31 are the CPU's exceptions and are refused as
 * interrupt vectors (Intel SDM vol. 3, 6.2).
 *
 * Known limit: the handler runs at delivery time; the entry cost is booked
 * on the core's clock after any work already charged there, so an
 * interrupt does not preempt a charge in progress. */
#ifndef PARASIM_SIM_IRQC_H
#define PARASIM_SIM_IRQC_H

#include <stdint.h>

#include "devices/irq.h"
#include "sim/cpu.h"

struct cost_table;

#define IRQC_VECTORS 256
#define IRQC_FIRST_VECTOR 32

typedef void (*irqc_handler_t)(void *ctx, unsigned core, unsigned vector);

typedef struct irqc irqc_t;

irqc_t *irqc_create(sim_t *sim, cpu_t *cores, unsigned ncores, const struct cost_table *costs);
void irqc_destroy(irqc_t *ic);

/* The sink to give devices. */
irq_sink_t irqc_sink(irqc_t *ic);

/* Register (or with fn NULL, remove) the handler of a vector on a core;
 * -1 for a core that does not exist or a vector below 32. */
int irqc_register(irqc_t *ic, unsigned core, unsigned vector, irqc_handler_t fn, void *ctx);

uint64_t irqc_delivered(const irqc_t *ic, unsigned core);
uint64_t irqc_spurious(const irqc_t *ic, unsigned core);

#endif
