/* devices/irq: how devices raise interrupts on cores.
 *
 * Devices do not know cores or handlers.  A device (or the PCIe bus on its
 * behalf, for MSI-X) produces an x86 MSI message (address, data) and hands
 * it to the machine's interrupt sink, which the simulator provides: it
 * delivers `vector` on core `dest` (charging interrupt entry there).  Tests
 * pass a sink of their own.  MSI format (Intel SDM vol. 3, 11.11 "Message
 * Signalled Interrupts"): address 0xFEE00000 | dest_id << 12, data bits
 * 7:0 = vector (fixed delivery, edge). */
#ifndef PARASIM_DEVICES_IRQ_H
#define PARASIM_DEVICES_IRQ_H

#include <stdbool.h>
#include <stdint.h>

typedef struct irq_sink {
    void (*deliver)(void *ctx, unsigned core, unsigned vector);
    void *ctx;
} irq_sink_t;

#define IRQ_MSI_ADDR_BASE 0xFEE00000u

static inline uint64_t irq_msi_addr(unsigned dest_core)
{
    return IRQ_MSI_ADDR_BASE | ((uint64_t)(dest_core & 0xff) << 12);
}

/* Decode an MSI message; false when the address is not in the MSI window
 * (a misprogrammed table entry: the device's write goes nowhere). */
static inline bool irq_msi_decode(uint64_t addr, uint32_t data, unsigned *core, unsigned *vector)
{
    if ((addr & 0xFFF00000u) != IRQ_MSI_ADDR_BASE || (addr >> 32))
        return false;
    *core = (unsigned)((addr >> 12) & 0xff);
    *vector = data & 0xff;
    return true;
}

#endif
