/* sim/machine_int.h: what sim/machine.c and sim/hal.c share about the
 * machine's HAL state (folder-private; the contract is sim/machine.h).
 *
 * machine.c creates the HAL state last, when every device exists (it
 * installs the bus's DMA-write hook), and destroys it first (it cancels
 * the held posted-write events and unbinds the machine if it was bound). */
#ifndef PARASIM_SIM_MACHINE_INT_H
#define PARASIM_SIM_MACHINE_INT_H

#include "sim/machine.h"

struct machine_hal *machine_hal_create(machine_t *m);
void machine_hal_destroy(struct machine_hal *h);

#endif
