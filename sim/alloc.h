/* sim/alloc: allocation for the simulator's own structures.  Running out
 * of host memory mid-run is a host error the run cannot recover from:
 * these print "parasim: out of memory" and exit 1 instead of returning
 * NULL, so callers on hot paths need no error branch. */
#ifndef PARASIM_SIM_ALLOC_H
#define PARASIM_SIM_ALLOC_H

#include <stddef.h>

/* realloc of n elements of `size` bytes, overflow-checked. */
void *sim_xreallocarray(void *p, size_t n, size_t size);
void *sim_xcalloc(size_t count, size_t size);
/* Print the message and exit(1). */
_Noreturn void sim_out_of_memory(size_t bytes);

#endif
