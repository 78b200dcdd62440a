/* traces/timeline: the names of the timeline's enumerations
 * (traces/timeline.h); the writer is traces/tl_write.c, the reader
 * traces/tl_read.c. */
#include "traces/timeline.h"

const char *tl_mode_name(tl_mode_t m)
{
    static const char *const names[TL_MODES] = {"user", "kernel", "irq", "poll", "idle"};
    return (unsigned)m < TL_MODES ? names[m] : "?";
}

const char *tl_what_name(tl_what_t w)
{
    static const char *const names[TL_WHAT_COUNT] = {"none", "app",  "syscall",
                                                     "irq",  "poll", "boot"};
    return (unsigned)w < TL_WHAT_COUNT ? names[w] : "?";
}

const char *tl_instant_name(tl_instant_kind_t k)
{
    static const char *const names[TL_INST_KINDS] = {"rx_frame",    "tx_frame", "doorbell",
                                                     "iommu_fault", "drop",     "nvme_cqe"};
    return (unsigned)k < TL_INST_KINDS ? names[k] : "?";
}
