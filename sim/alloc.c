/* sim/alloc: allocation that never returns NULL (see alloc.h). */
#include "sim/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void sim_out_of_memory(size_t bytes)
{
    fprintf(stderr, "parasim: out of memory (allocating %zu bytes)\n", bytes);
    exit(1);
}

void *sim_xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        sim_out_of_memory(SIZE_MAX);
    size_t bytes = n * size;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q)
        sim_out_of_memory(n * size);
    return q;
}

void *sim_xcalloc(size_t count, size_t size)
{
    void *q = calloc(count ? count : 1, size ? size : 1);
    if (!q)
        sim_out_of_memory(count * size);
    return q;
}
