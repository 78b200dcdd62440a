/* sim/alloc: allocation that never returns NULL (see alloc.h). */
#include "sim/alloc.h"

#include <stdio.h>
#include <stdlib.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "parasim: out of memory (allocating %zu bytes)\n", n);
    exit(1);
}

void *sim_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

void *sim_xcalloc(size_t count, size_t size)
{
    void *q = calloc(count ? count : 1, size ? size : 1);
    if (!q)
        out_of_memory(count * size);
    return q;
}
