/* devices/nvme/regs.c: the controller's register file, its creation, the
 * enable/ready handshake and controller reset (NVMe 1.4, 3.1 "Register
 * definition", 7.3 "Initialization", 7.6.1/7.6.2 reset and shutdown).
 *
 * Contract (see devices/nvme.h for the BAR layout):
 *   - CAP: MQES = max_queue_entries - 1, CQR = 1 (queues must be
 *     physically contiguous), AMS = 0 (round robin only), TO = CSTS.RDY
 *     transition bound in 500 ms units (from nvme.ready, at least 1),
 *     DSTRD, CSS bit 0 (NVM command set), MPSMIN = 0 (4 KiB), MPSMAX = 4
 *     (64 KiB), NSSRS = 0.  VS = 1.4.0.
 *   - CC.EN 0 -> 1: the controller checks CC (CSS = NVM, AMS = round
 *     robin, MPS within CAP) and AQA (both admin queues >= 2 entries); if
 *     they are bad it sets CSTS.CFS and stays not ready (a guest error:
 *     the spec leaves this undefined).  Otherwise it latches the memory
 *     page size and the admin queues (AQA/ASQ/ACQ), and CSTS.RDY becomes
 *     1 after the cost table's nvme.ready.
 *   - CC.EN 1 -> 0 is a controller reset: every I/O queue is deleted, the
 *     admin queues and in-flight commands are dropped (their pending
 *     events see a new generation and do nothing), held completions and
 *     outstanding AERs are discarded, CFS and SHST are cleared, and
 *     CSTS.RDY becomes 0 after nvme.ready.  The Number of Queues feature
 *     survives (5.21.1.7: it "shall not change between resets"); the
 *     other features return to their defaults.
 *   - CC.SHN set while enabled: CSTS.SHST reads 01b (occurring), then 10b
 *     (complete) after nvme.ready.  Commands are not refused meanwhile.
 *   - Registers are 32-bit; CAP, ASQ and ACQ are also 64-bit.  An 8-byte
 *     write is two 4-byte writes (low dword first, as Linux's
 *     lo_hi_writeq).  1- and 2-byte reads are served; 1- and 2-byte
 *     writes, misaligned accesses, writes to read-only or reserved
 *     registers, and INTMS/INTMC (3.1.3: not to be used with MSI-X, the
 *     only interrupt mode here; the mask is kept but gates nothing) count
 *     as guest errors.  Doorbells read as 0.
 *   - Doorbell writes are decoded here (offset -> queue, SQ or CQ) and
 *     handed to queue.c.  A doorbell write while CC.EN or CSTS.RDY is 0
 *     is a guest error and ignored; one past the last queue the
 *     controller supports is an invalid doorbell (asynchronous event, see
 *     queue.c); one between doorbells (a stride above 4 B leaves gaps) is
 *     a write to reserved space: a guest error.
 *
 * Timing source for the RDY delay: the cost table entry nvme.ready. */
#include <stdlib.h>
#include <string.h>

#include "devices/mem.h"
#include "devices/nvme/nvme_int.h"
#include "model/cost.h"
#include "sim/alloc.h"

#define TO_UNIT_PS SIM_MS(500) /* CAP.TO unit: 500 ms */

void nvme_guest_error(nvme_t *c)
{
    c->st.guest_errors++;
}

/* ---------------------------------------------------------------- config */

void nvme_cfg_default(nvme_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bar = UINT64_C(0xFE000000);
    cfg->rid = 0x0100; /* 01:00.0 */
    cfg->link = (pcie_link_t){ .gen = 3, .lanes = 4 };
    cfg->msix_vectors = 64;
    cfg->max_queue_entries = 1024;
    cfg->dstrd = 0;
    cfg->io_queues = 64;
    cfg->lba_size = 4096;
    cfg->ns_blocks = (UINT64_C(1) << 30) / 4096;
    cfg->media = NVME_MEDIA_NAND;
    cfg->channels = 8;
    cfg->dies_per_channel = 4;
}

static uint64_t doorbell_end(const nvme_cfg_t *cfg)
{
    return nvme_doorbell_offset(cfg->dstrd, cfg->io_queues + 1, false);
}

uint64_t nvme_msix_offset(const nvme_cfg_t *cfg)
{
    return (doorbell_end(cfg) + 0xFFFu) & ~UINT64_C(0xFFF);
}

uint64_t nvme_bar_size(const nvme_cfg_t *cfg)
{
    uint64_t v = cfg->msix_vectors;
    uint64_t need = nvme_msix_offset(cfg) + 16 * v + (v + 63) / 64 * 8;
    uint64_t size = 0x4000; /* 16 KiB, as common SSD BAR0s */
    while (size < need)
        size <<= 1;
    return size;
}

const char *nvme_cfg_check(const nvme_cfg_t *cfg)
{
    if (!cfg)
        return "nvme: no configuration";
    if (cfg->msix_vectors < 1 || cfg->msix_vectors > 2048)
        return "nvme.msix_vectors: expected 1..2048";
    if (cfg->max_queue_entries < 2 || cfg->max_queue_entries > 65536)
        return "nvme.max_queue_entries: expected 2..65536";
    if (cfg->dstrd > 15)
        return "nvme.dstrd: expected 0..15";
    if (cfg->io_queues < 1 || cfg->io_queues > 65535)
        return "nvme.io_queues: expected 1..65535";
    if (cfg->lba_size != 512 && cfg->lba_size != 4096)
        return "nvme.lba_size: expected 512 or 4096";
    if (cfg->ns_blocks < 1 || cfg->ns_blocks > MEM_MAX_SIZE / cfg->lba_size)
        return "nvme.ns_blocks: expected 1 .. 2^46 bytes / lba_size";
    if ((unsigned)cfg->media >= NVME_MEDIA_KINDS)
        return "nvme.media: expected nand, llflash or pmem";
    if (cfg->channels < 1 || cfg->channels > 1024)
        return "nvme.channels: expected 1..1024";
    if (cfg->dies_per_channel < 1 || cfg->dies_per_channel > 1024)
        return "nvme.dies_per_channel: expected 1..1024";
    if (pcie_link_bytes_per_s(cfg->link) <= 0)
        return "nvme.link: expected gen 1..5 and 1, 2, 4, 8 or 16 lanes";
    if (cfg->bar % nvme_bar_size(cfg) != 0)
        return "nvme.bar: expected a multiple of the BAR size";
    return NULL;
}

/* ---------------------------------------------------------------- enable */

static sim_time_t ready_delay(const nvme_t *c)
{
    return cost_ps(c->costs, COST_NVME_READY);
}

static uint64_t build_cap(const nvme_t *c)
{
    uint64_t to = (ready_delay(c) + TO_UNIT_PS - 1) / TO_UNIT_PS;
    if (to < 1)
        to = 1;
    if (to > 255)
        to = 255;
    return (uint64_t)(c->cfg.max_queue_entries - 1) /* MQES, 0's based */
           | UINT64_C(1) << 16                      /* CQR */
           | to << 24                               /* TO */
           | (uint64_t)c->cfg.dstrd << 32           /* DSTRD */
           | UINT64_C(1) << 37                      /* CSS: NVM command set */
           | (uint64_t)NVME_MPSMIN << 48 | (uint64_t)NVME_MPSMAX << 52;
}

static void ready_ev(sim_t *sim, void *arg, uint64_t gen)
{
    (void)sim;
    nvme_t *c = arg;
    c->ready_ev = 0;
    if (gen != c->gen)
        return;
    if (c->cc & NVME_CC_EN)
        c->csts |= NVME_CSTS_RDY;
    else
        c->csts &= ~NVME_CSTS_RDY;
}

/* CSTS.RDY follows CC.EN after nvme.ready. */
static void ready_after_delay(nvme_t *c)
{
    sim_cancel(c->sim, c->ready_ev);
    c->ready_ev = sim_after(c->sim, ready_delay(c), ready_ev, c, c->gen);
}

static bool cc_valid(const nvme_t *c)
{
    unsigned mps = NVME_CC_MPS(c->cc);
    unsigned asqs = (c->aqa & 0xFFFu) + 1, acqs = ((c->aqa >> 16) & 0xFFFu) + 1;
    return NVME_CC_CSS(c->cc) == 0 && NVME_CC_AMS(c->cc) == 0 && mps <= NVME_MPSMAX &&
           asqs >= 2 && acqs >= 2 && /* MPSMIN is 0: every MPS >= it */
           asqs <= c->cfg.max_queue_entries && acqs <= c->cfg.max_queue_entries;
}

static void ctrl_enable(nvme_t *c)
{
    if (c->csts & NVME_CSTS_RDY)
        nvme_guest_error(c); /* 7.6.1: wait for RDY = 0 before enabling */
    if (!cc_valid(c)) {
        c->csts |= NVME_CSTS_CFS;
        nvme_guest_error(c);
        return;
    }
    c->page_size = 4096u << NVME_CC_MPS(c->cc);
    nvme_cq_setup(c, 0, c->acq, ((c->aqa >> 16) & 0xFFFu) + 1, true, 0);
    nvme_sq_setup(c, 0, c->asq, (c->aqa & 0xFFFu) + 1, 0);
    ready_after_delay(c);
}

static void controller_reset(nvme_t *c)
{
    c->gen++;
    sim_cancel(c->sim, c->shn_ev);
    c->shn_ev = 0;
    nvme_queues_reset(c);
    nvme_admin_reset(c);
    c->csts &= ~(NVME_CSTS_CFS | 3u << NVME_CSTS_SHST_SHIFT);
    ready_after_delay(c);
}

static void shn_ev(sim_t *sim, void *arg, uint64_t gen)
{
    (void)sim;
    nvme_t *c = arg;
    c->shn_ev = 0;
    if (gen != c->gen)
        return;
    c->csts = (c->csts & ~(3u << NVME_CSTS_SHST_SHIFT)) | NVME_SHST_COMPLETE << NVME_CSTS_SHST_SHIFT;
}

static void shutdown(nvme_t *c)
{
    c->csts = (c->csts & ~(3u << NVME_CSTS_SHST_SHIFT)) | NVME_SHST_OCCURRING << NVME_CSTS_SHST_SHIFT;
    sim_cancel(c->sim, c->shn_ev);
    c->shn_ev = sim_after(c->sim, ready_delay(c), shn_ev, c, c->gen);
}

static void cc_write(nvme_t *c, uint32_t v)
{
    uint32_t old = c->cc;
    c->cc = v & NVME_CC_WRITABLE;
    bool was = old & NVME_CC_EN, now = c->cc & NVME_CC_EN;
    if (!was && now)
        ctrl_enable(c);
    else if (was && !now)
        controller_reset(c);
    else if (now && NVME_CC_SHN(c->cc) && !NVME_CC_SHN(old))
        shutdown(c);
}

/* ---------------------------------------------------------------- MMIO */

static void doorbell_write(nvme_t *c, uint64_t rel, uint32_t v)
{
    if (rel % c->db_stride != 0) {
        nvme_guest_error(c); /* between doorbells: reserved */
        return;
    }
    if (!(c->cc & NVME_CC_EN) || !(c->csts & NVME_CSTS_RDY)) {
        nvme_guest_error(c); /* 7.6.1: doorbells only once ready */
        return;
    }
    uint64_t idx = rel / c->db_stride, y = idx / 2;
    if (y > c->cfg.io_queues) {
        nvme_doorbell_error(c, NVME_AE_INVALID_DB);
        return;
    }
    if (idx & 1)
        nvme_cq_doorbell(c, (uint16_t)y, v);
    else
        nvme_sq_doorbell(c, (uint16_t)y, v);
}

static void reg_write32(nvme_t *c, uint64_t off, uint32_t v)
{
    if (off >= NVME_REG_DB) {
        doorbell_write(c, off - NVME_REG_DB, v);
        return;
    }
    switch (off) {
    case NVME_REG_INTMS:
        c->intms |= v;
        nvme_guest_error(c);
        return;
    case NVME_REG_INTMC:
        c->intms &= ~v;
        nvme_guest_error(c);
        return;
    case NVME_REG_CC:
        cc_write(c, v);
        return;
    case NVME_REG_AQA:
        c->aqa = v & 0x0FFF0FFFu;
        return;
    case NVME_REG_ASQ:
        c->asq = (c->asq & ~UINT64_C(0xFFFFFFFF)) | (v & ~0xFFFu); /* 4 KiB aligned */
        return;
    case NVME_REG_ASQ + 4:
        c->asq = (c->asq & UINT64_C(0xFFFFFFFF)) | (uint64_t)v << 32;
        return;
    case NVME_REG_ACQ:
        c->acq = (c->acq & ~UINT64_C(0xFFFFFFFF)) | (v & ~0xFFFu);
        return;
    case NVME_REG_ACQ + 4:
        c->acq = (c->acq & UINT64_C(0xFFFFFFFF)) | (uint64_t)v << 32;
        return;
    default: /* CAP, VS, CSTS, NSSR (NSSRS = 0), reserved */
        nvme_guest_error(c);
        return;
    }
}

static uint32_t reg_read32(const nvme_t *c, uint64_t off)
{
    switch (off) {
    case NVME_REG_CAP:
        return (uint32_t)c->cap;
    case NVME_REG_CAP + 4:
        return (uint32_t)(c->cap >> 32);
    case NVME_REG_VS:
        return NVME_VS_1_4;
    case NVME_REG_INTMS:
    case NVME_REG_INTMC:
        return c->intms;
    case NVME_REG_CC:
        return c->cc;
    case NVME_REG_CSTS:
        return c->csts;
    case NVME_REG_AQA:
        return c->aqa;
    case NVME_REG_ASQ:
        return (uint32_t)c->asq;
    case NVME_REG_ASQ + 4:
        return (uint32_t)(c->asq >> 32);
    case NVME_REG_ACQ:
        return (uint32_t)c->acq;
    case NVME_REG_ACQ + 4:
        return (uint32_t)(c->acq >> 32);
    default: /* NSSR, doorbells, reserved */
        return 0;
    }
}

static uint64_t nvme_mmio_read(void *dev, uint64_t off, unsigned size)
{
    nvme_t *c = dev;
    if (off % size != 0) {
        nvme_guest_error(c);
        return 0;
    }
    if (size == 8)
        return reg_read32(c, off) | (uint64_t)reg_read32(c, off + 4) << 32;
    uint64_t v = reg_read32(c, off & ~UINT64_C(3)) >> (8 * (off & 3));
    return size == 4 ? v : v & ((UINT64_C(1) << (8 * size)) - 1);
}

static void nvme_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    nvme_t *c = dev;
    if (off % size != 0 || size < 4) {
        nvme_guest_error(c);
        return;
    }
    reg_write32(c, off, (uint32_t)val);
    if (size == 8)
        reg_write32(c, off + 4, (uint32_t)(val >> 32));
}

static const pcie_ops_t nvme_ops = {
    .mmio_read = nvme_mmio_read,
    .mmio_write = nvme_mmio_write,
};

/* ---------------------------------------------------------------- create */

static void alloc_state(nvme_t *c)
{
    const nvme_cfg_t *cfg = &c->cfg;
    c->sq = sim_xcalloc(cfg->io_queues + 1u, sizeof *c->sq);
    c->cq = sim_xcalloc(cfg->io_queues + 1u, sizeof *c->cq);
    c->vec = sim_xcalloc(cfg->msix_vectors, sizeof *c->vec);
    c->scratch = sim_xcalloc(1, NVME_MAX_XFER);
    c->media = nvme_media_create(cfg->media, cfg->channels, cfg->dies_per_channel, c->costs);
}

nvme_t *nvme_create(sim_t *sim, pcie_t *bus, const struct cost_table *costs,
                    const nvme_cfg_t *cfg)
{
    if (!sim || !bus || !costs || nvme_cfg_check(cfg))
        return NULL;
    nvme_t *c = sim_xcalloc(1, sizeof *c);
    c->sim = sim;
    c->costs = costs;
    c->cfg = *cfg;
    c->db_stride = 4u << cfg->dstrd;
    c->ns_bytes = cfg->ns_blocks * cfg->lba_size;
    c->store = mem_create((c->ns_bytes + 0xFFFu) & ~UINT64_C(0xFFF));
    c->nsqa = c->ncqa = cfg->io_queues;
    c->cap = build_cap(c);
    c->page_size = 4096;
    alloc_state(c);
    c->dev = pcie_attach(bus, "nvme", cfg->rid, cfg->bar, nvme_bar_size(cfg), &nvme_ops, c,
                         cfg->link, cfg->msix_vectors, nvme_msix_offset(cfg));
    if (!c->store || !c->dev) {
        nvme_destroy(c);
        return NULL;
    }
    return c;
}

void nvme_destroy(nvme_t *c)
{
    if (!c)
        return;
    sim_cancel(c->sim, c->ready_ev);
    sim_cancel(c->sim, c->shn_ev);
    for (unsigned v = 0; v < c->cfg.msix_vectors; v++)
        sim_cancel(c->sim, c->vec[v].timer);
    nvme_cmds_destroy(c);
    nvme_media_destroy(c->media);
    mem_destroy(c->store);
    free(c->scratch);
    free(c->vec);
    free(c->cq);
    free(c->sq);
    free(c);
}

const nvme_stats_t *nvme_stats(const nvme_t *c)
{
    return &c->st;
}

void nvme_set_observer(nvme_t *c, nvme_observer_fn fn, void *ctx)
{
    c->obs = fn;
    c->obs_ctx = fn ? ctx : NULL;
}

const char *nvme_opcode_name(bool admin, uint8_t opcode)
{
    const char *n = (admin ? nvme_admin_ops : nvme_io_ops)[opcode].name;
    return n ? n : "unknown";
}
