/* devices/pcie/pcie_int.h: internals shared by the files of the PCIe bus
 * (folder-private; the public contract is devices/pcie.h).
 *
 *   devices/pcie.c      routing, posted MMIO writes, MSI-X, attach/create
 *   devices/pcie/dma.c  link rates and wire time, DMA timing, the staging
 *                       of DMA writes until they land (read hook, fallback
 *                       event)
 *
 * Both files describe their part of the model in their opening comment. */
#ifndef PARASIM_DEVICES_PCIE_INT_H
#define PARASIM_DEVICES_PCIE_INT_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "devices/irq.h"
#include "devices/pcie.h"
#include "sim/alloc.h"
#include "sim/engine.h"

#define TLP_MAX_PAYLOAD 256u   /* bytes per TLP (max payload size) */
#define TLP_OVERHEAD 24u       /* framing, sequence, 4-DW header, LCRC */

enum { DIR_TO_DEV, DIR_TO_MEM, DIRS }; /* DMA read data, DMA write data */

/* A delayed action.  Posted write: off, val, size.  MSI: off = core,
 * val = vector.  DMA write segment: off = physical address, val = length
 * (its bytes wait in the device's dbuf, in the same order). */
typedef struct pending {
    sim_time_t due; /* when it reaches its destination, ps */
    uint64_t off;
    uint64_t val;
    unsigned size;
} pending_t;

typedef struct fifo {
    pending_t *e;   /* ring of cap entries, cap a power of two (or 0) */
    size_t head, n, cap;
    sim_event_t ev; /* event for the head, 0 when none is scheduled */
} fifo_t;

typedef struct seg {
    uint64_t pa;
    size_t len;
} seg_t;

struct pcie_dev {
    pcie_t *bus;
    char name[32];
    uint16_t rid;            /* requester id, bus << 8 | dev << 3 | fn */
    uint64_t base, last;     /* mapped range [base, last], inclusive */
    const pcie_ops_t *ops;
    void *dev;
    pcie_link_t link;        /* gen 0: a platform range, not a function */
    sim_time_t busy[DIRS];   /* link free from, per direction, ps */
    unsigned msix_n;         /* vectors; 0 = no table */
    uint64_t msix_off;       /* table offset in the BAR */
    uint64_t msix_len;       /* table + PBA bytes */
    uint8_t *msix;           /* table then PBA, little-endian bytes */
    fifo_t wq;               /* posted writes on their way */
    fifo_t dq;               /* DMA write segments on their way */
    uint8_t *dbuf;           /* their bytes: ring of dcap bytes (a power
                              * of two, or 0) */
    uint64_t dhead, dtail;   /* free-running byte counters into dbuf */
    size_t dcap;
    uint64_t ps_per_byte_fp; /* wire time per byte, ps, 32.32 fixed point */
};

struct pcie {
    sim_t *sim;
    struct mem *mem;
    uint64_t msize;          /* mem_size(mem), fixed at creation */
    struct iommu *iommu;     /* NULL: pass-through */
    const struct cost_table *costs;
    irq_sink_t sink;
    pcie_dev_t **map;        /* sorted by base, ranges disjoint */
    size_t nmap, capmap;
    fifo_t msi;              /* MSI messages on their way */
    seg_t *seg;              /* DMA translation scratch */
    size_t segcap;
    size_t dq_pending;       /* DMA write segments not landed, all devices */
    sim_time_t dq_next;      /* earliest due among them (SIM_TIME_MAX: none) */
    size_t dq_devs;          /* devices with segments not landed */
    pcie_dev_t *dq_one;      /* the one, when dq_devs == 1 (NULL: look) */
    pcie_stats_t st;
    void (*dmaw_hook)(void *ctx, uint64_t pa, size_t len, sim_time_t done); /* or NULL */
    void *dmaw_hook_ctx;
};

/* ---------------------------------------------------------------- fifo */

/* A new entry at the tail, filled in place by the caller.  (Passing a
 * pending_t by value stalled store forwarding on every DMA: the struct was
 * built with 8-byte stores and copied with 16-byte loads.) */
static inline pending_t *fifo_push_slot(fifo_t *f)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        pending_t *e = sim_xreallocarray(NULL, cap, sizeof *e);
        for (size_t i = 0; i < f->n; i++)
            e[i] = f->e[(f->head + i) & (f->cap - 1)];
        free(f->e);
        f->e = e;
        f->cap = cap;
        f->head = 0;
    }
    return &f->e[(f->head + f->n++) & (f->cap - 1)];
}

static inline pending_t fifo_pop(fifo_t *f)
{
    assert(f->n > 0 && "fifo_pop");
    pending_t p = f->e[f->head];
    f->head = (f->head + 1) & (f->cap - 1);
    f->n--;
    return p;
}

static inline sim_time_t fifo_tail_due(const fifo_t *f)
{
    return f->e[(f->head + f->n - 1) & (f->cap - 1)].due;
}

/* Due time for a new entry: after `delay`, never before the tail. */
static inline sim_time_t fifo_due(const fifo_t *f, sim_time_t now, sim_time_t delay)
{
    sim_time_t due = now + delay;
    if (f->n && fifo_tail_due(f) > due)
        due = fifo_tail_due(f);
    return due;
}

static inline void fifo_free(fifo_t *f, sim_t *sim)
{
    sim_cancel(sim, f->ev);
    free(f->e);
}

/* ---------------------------------------------------------------- dma.c */

bool pcie_link_valid(pcie_link_t l);
/* ps per wire byte of a valid link, 32.32 fixed point (exact). */
uint64_t pcie_link_fp(pcie_link_t link);
/* The mem read hook (arg: the bus): land the DMA writes due by now. */
void pcie_dmaw_sync(void *arg);
/* Drop d's DMA writes still in flight and free their buffers. */
void pcie_dmaw_free(pcie_dev_t *d);

#endif
