/* devices/nvme/media.c: the storage media behind the controller, as
 * resources that stay busy, so latency grows with load the way a real
 * SSD's does (queueing on dies and channels).
 *
 * Geometry: the namespace is cut into 4 KiB media pages; page p lives on
 * channel p % channels and die (p / channels) % dies_per_channel of that
 * channel (channel-first striping, so consecutive pages use different
 * channels, then different dies).  Every channel and every die has a
 * busy-until time.
 *
 *   NAND and llflash (same model, different costs):
 *     read    the die senses the page (tR), then the page's bytes cross
 *             the channel (xfer); the die stays occupied until its page
 *             register has been emptied:
 *               s = max(start, die), x = max(s + tR, chan),
 *               chan = die = x + xfer, done = x + xfer
 *     program the bytes cross the channel into the die, then the die
 *             programs (tPROG); both must be free to start:
 *               s = max(start, die, chan), chan = s + xfer,
 *               die = done = s + xfer + tPROG
 *     xfer is nand.xfer_4k scaled to the bytes of the page touched
 *     (rounded up to a ps); tR and tPROG are whole-page costs even for a
 *     partial page.  NAND: tR = nand.read, tPROG = nand.program.
 *     llflash (Z-NAND class): tR = nvme.read (the talk's ~20 us), tPROG =
 *     llflash.program, same channel transfer.
 *   pmem (Optane-class persistent memory): no dies; each 4 KiB page costs
 *     mem.pmem (read) or mem.pmem_write (write) on its channel (the
 *     interleave unit), one page after another per channel:
 *               s = max(start, chan), chan = done = s + cost.
 *     Per 4 KiB page, not per command, so large transfers take longer.
 *
 * A command's media time is the latest of its pages'.  Costs are read from
 * the cost table at each access (config overrides apply).
 *
 * Simplifications: no FTL (no garbage collection, no write amplification,
 * the mapping is static striping), no write cache, no multi-plane or
 * cache operations.  Resources are reserved when the access is issued
 * (a calendar): a later access never slips into an idle gap before an
 * earlier reservation, so service is in issue order per resource. */
#include <stdlib.h>

#include "devices/nvme/nvme_int.h"
#include "model/cost.h"
#include "sim/alloc.h"

#define MEDIA_PAGE 4096u

struct nvme_media {
    nvme_media_kind_t kind;
    unsigned channels, dies;  /* dies per channel */
    const cost_table_t *costs;
    sim_time_t *chan_free;    /* [channels] busy until, ps */
    sim_time_t *die_free;     /* [channels * dies] busy until, ps */
};

static const struct {
    const char *name;
    cost_id_t read, write;
} kinds[NVME_MEDIA_KINDS] = {
    [NVME_MEDIA_NAND] = { "nand", COST_NAND_READ, COST_NAND_PROGRAM },
    [NVME_MEDIA_LLFLASH] = { "llflash", COST_NVME_READ, COST_LLFLASH_PROGRAM },
    [NVME_MEDIA_PMEM] = { "pmem", COST_MEM_PMEM, COST_MEM_PMEM_WRITE },
};

const char *nvme_media_name(nvme_media_kind_t kind)
{
    return (unsigned)kind < NVME_MEDIA_KINDS ? kinds[kind].name : "unknown";
}

nvme_media_t *nvme_media_create(nvme_media_kind_t kind, unsigned channels, unsigned dies,
                                const struct cost_table *costs)
{
    nvme_media_t *md = sim_xcalloc(1, sizeof *md);
    md->kind = kind;
    md->channels = channels;
    md->dies = dies;
    md->costs = costs;
    md->chan_free = sim_xcalloc(channels, sizeof *md->chan_free);
    md->die_free = sim_xcalloc((size_t)channels * dies, sizeof *md->die_free);
    return md;
}

void nvme_media_destroy(nvme_media_t *md)
{
    if (!md)
        return;
    free(md->chan_free);
    free(md->die_free);
    free(md);
}

static sim_time_t max2(sim_time_t a, sim_time_t b)
{
    return a > b ? a : b;
}

/* Channel time for `bytes` of one page, rounded up. */
static sim_time_t xfer_time(const nvme_media_t *md, uint64_t bytes)
{
    sim_time_t x4k = cost_ps(md->costs, COST_NAND_XFER_4K);
    return (x4k * bytes + MEDIA_PAGE - 1) / MEDIA_PAGE;
}

static sim_time_t flash_page(nvme_media_t *md, bool write, uint64_t p, uint64_t bytes,
                             sim_time_t start)
{
    unsigned ch = (unsigned)(p % md->channels);
    unsigned die = (unsigned)((p / md->channels) % md->dies);
    sim_time_t *cf = &md->chan_free[ch], *df = &md->die_free[(size_t)ch * md->dies + die];
    sim_time_t x = xfer_time(md, bytes);
    if (!write) {
        sim_time_t s = max2(start, *df);
        sim_time_t t = max2(s + cost_ps(md->costs, kinds[md->kind].read), *cf);
        *cf = *df = t + x;
        return t + x;
    }
    sim_time_t s = max2(start, max2(*df, *cf));
    *cf = s + x;
    *df = s + x + cost_ps(md->costs, kinds[md->kind].write);
    return *df;
}

static sim_time_t pmem_page(nvme_media_t *md, bool write, uint64_t p, sim_time_t start)
{
    sim_time_t *cf = &md->chan_free[p % md->channels];
    sim_time_t s = max2(start, *cf);
    *cf = s + cost_ps(md->costs, write ? kinds[md->kind].write : kinds[md->kind].read);
    return *cf;
}

sim_time_t nvme_media_access(nvme_media_t *md, bool write, uint64_t off, uint64_t len,
                             sim_time_t start, uint64_t *pages)
{
    uint64_t first = off / MEDIA_PAGE, last = (off + len - 1) / MEDIA_PAGE;
    sim_time_t end = start;
    for (uint64_t p = first; p <= last; p++) {
        uint64_t lo = p == first ? off : p * MEDIA_PAGE;
        uint64_t hi = p == last ? off + len : (p + 1) * MEDIA_PAGE;
        sim_time_t e = md->kind == NVME_MEDIA_PMEM ? pmem_page(md, write, p, start)
                                                   : flash_page(md, write, p, hi - lo, start);
        end = max2(end, e);
    }
    if (pages)
        *pages = last - first + 1;
    return end;
}
