/* kernel/kstats.c: the kernel's counters and process lookups as the
 * platform (kernel.h) and the other kernel files (k.h) see them.
 *
 * Contract: k_stats() is never NULL; k_proc_stats(pid) and k_proc_info(pid)
 * answer for booted processes only (NULL / 0 otherwise); k_proc_of_core()
 * and k_current() map a core to its process (one process per core).
 *
 * Invariant: k_state.proc_of_core[c] is a pid < k_state.nprocs or -1; it
 * is only trusted together with nprocs, so a kernel that never booted (all
 * zeros) has no processes. */
#include "k.h"

const k_stats_t *k_stats(void)
{
    return &k_state.st;
}

unsigned k_nprocs(void)
{
    return k_state.nprocs;
}

const k_proc_stats_t *k_proc_stats(unsigned pid)
{
    if (pid >= k_state.nprocs)
        return NULL;
    return &k_state.procs[pid].st;
}

uint64_t k_proc_info(unsigned pid)
{
    if (pid >= k_state.nprocs)
        return 0;
    return k_state.procs[pid].info;
}

int k_proc_of_core(unsigned core)
{
    if (core >= sizeof k_state.proc_of_core / sizeof k_state.proc_of_core[0])
        return -1;
    int pid = k_state.proc_of_core[core];
    if (pid < 0 || (unsigned)pid >= k_state.nprocs)
        return -1;
    return pid;
}

k_proc_t *k_current(void)
{
    int pid = k_proc_of_core(hal_cpu_id());
    return pid < 0 ? NULL : &k_state.procs[pid];
}
