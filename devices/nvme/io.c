/* devices/nvme/io.c: the NVM command set (NVMe 1.4, 6 "NVM Command Set":
 * 6.8 Flush, 6.9 Read, 6.15 Write) and PRP data pointers (4.3 "Physical
 * Region Page Entry and List").
 *
 * Contract:
 *   - Read (02h) / Write (01h): NSID must be 1 (else Invalid Namespace or
 *     Format); SLBA (CDW11:CDW10) and NLB (CDW12 15:0, 0's based) must lie
 *     in the namespace (else LBA Out of Range); the transfer may not
 *     exceed MDTS (128 KiB; else Invalid Field); FUSE / PSDT (SGLs) set ->
 *     Invalid Field.  FUA, LR, DSM and the protection fields are ignored.
 *   - Flush (00h): NSID 1 or FFFFFFFFh (else Invalid Namespace or
 *     Format); completes at once: there is no volatile write cache
 *     (Identify VWC = 0), so there is nothing to flush.
 *   - Other opcodes -> Invalid Command Opcode.
 *   - PRPs (memory page size from CC.MPS): PRP1 may start anywhere
 *     dword-aligned in a page and covers up to that page's end; if the
 *     rest fits in one page PRP2 is that page; otherwise PRP2 points to a
 *     PRP list (qword aligned, possibly with an offset), read by DMA,
 *     whose entries each name a page; when more entries are needed than
 *     remain in the list's page, its last entry points to the next list.
 *     A data entry with a page offset, or a misaligned PRP1 or list
 *     pointer -> PRP Offset Invalid; a list page that holds only the
 *     chain pointer -> Invalid Field.  Pages that follow one another in
 *     memory are moved by one DMA.
 *   - Data really moves: a Write reads the host's pages by DMA and stores
 *     the bytes in the namespace (a sparse mem_t); a Read copies them back
 *     out by DMA.  A refused DMA (IOMMU fault, outside memory), of a PRP
 *     list or of data -> Data Transfer Error; a failed Write stores
 *     nothing, a failed Read may have written some of the host's pages.
 *
 * Timing:
 *   Read:  media access from execution; PRP list reads in parallel; data
 *          DMA to the host once both are done; CQE after the data lands.
 *   Write: PRP list reads, then the data DMA from the host, then the media
 *          access (transfer + program, media.c); CQE once programmed.
 *   Chained PRP lists are read one after another (each list's DMA time
 *   is added in turn, since the next pointer is only known after it).
 *   The media model reserves dies and channels when the access is
 *   issued (media.c), so commands are served in issue order. */
#include <assert.h>

#include "devices/mem.h"
#include "devices/nvme/nvme_int.h"

const nvme_op_attr_t nvme_io_ops[256] = {
    [NVME_IO_FLUSH] = { "flush", NVME_DIR_NONE },
    [NVME_IO_WRITE] = { "write", NVME_DIR_TO_DEV },
    [NVME_IO_READ] = { "read", NVME_DIR_TO_HOST },
};

/* ---------------------------------------------------------------- PRPs */

static void seg_add(nvme_cmd_t *m, uint64_t addr, uint32_t len)
{
    if (m->nsegs) {
        nvme_seg_t *p = &m->segs[m->nsegs - 1];
        if (p->addr + p->len == addr) {
            p->len += len;
            return;
        }
    }
    assert(m->nsegs < NVME_MAX_SEGS && "seg_add: more segments than MDTS allows");
    m->segs[m->nsegs++] = (nvme_seg_t){ addr, len };
}

/* Walk the PRP list at `list` for rem more bytes. */
static uint16_t prp_list(nvme_cmd_t *m, uint64_t list, uint32_t rem, sim_time_t *ready)
{
    nvme_t *c = m->ctrl;
    uint64_t ps = c->page_size, mask = ps - 1;
    sim_time_t now = sim_now(c->sim);
    uint8_t raw[NVME_MAX_SEGS * 8];
    bool first = true;
    while (rem) {
        if (list & 7u)
            return NVME_SC_PRP_OFFSET;
        uint64_t need = (rem + mask) / ps, avail = (ps - (list & mask)) / 8;
        bool chain = need > avail;
        uint64_t n = chain ? avail : need;
        if (chain && n < 2)
            return NVME_SC_INVALID_FIELD;
        sim_time_t done;
        pcie_dma_status_t s = pcie_dma_read(c->dev, nvme_pasid(c, m->sqid), list, raw,
                                            (size_t)n * 8, &done);
        *ready = first ? done : *ready + (done - now);
        first = false;
        if (s != PCIE_DMA_OK) {
            c->st.dma_faults++;
            return NVME_SC_DATA_XFER;
        }
        for (uint64_t i = 0; i < n - chain; i++) {
            uint64_t e = le_get64(raw + 8 * i);
            uint32_t chunk = rem < ps ? rem : (uint32_t)ps;
            if (e & mask)
                return NVME_SC_PRP_OFFSET;
            seg_add(m, e, chunk);
            rem -= chunk;
        }
        if (chain)
            list = le_get64(raw + 8 * (n - 1));
    }
    return NVME_OK;
}

uint16_t nvme_prp_map(nvme_cmd_t *m, uint32_t len, sim_time_t *ready)
{
    nvme_t *c = m->ctrl;
    uint64_t ps = c->page_size, mask = ps - 1;
    uint64_t prp1 = nvme_sqe_prp1(m), prp2 = nvme_sqe_prp2(m);
    m->nsegs = 0;
    *ready = sim_now(c->sim);
    if (prp1 & 3u)
        return NVME_SC_PRP_OFFSET;
    uint64_t room = ps - (prp1 & mask);
    uint32_t first = len < room ? len : (uint32_t)room;
    seg_add(m, prp1, first);
    uint32_t rem = len - first;
    if (rem == 0)
        return NVME_OK;
    if (rem <= ps) {
        if (prp2 & mask)
            return NVME_SC_PRP_OFFSET;
        seg_add(m, prp2, rem);
        return NVME_OK;
    }
    return prp_list(m, prp2, rem, ready);
}

uint16_t nvme_data_dma(nvme_cmd_t *m, uint8_t *buf, bool to_host, sim_time_t *done)
{
    nvme_t *c = m->ctrl;
    uint32_t pasid = nvme_pasid(c, m->sqid);
    *done = sim_now(c->sim);
    for (unsigned i = 0; i < m->nsegs; i++) {
        const nvme_seg_t *g = &m->segs[i];
        sim_time_t d;
        pcie_dma_status_t s = to_host ? pcie_dma_write(c->dev, pasid, g->addr, buf, g->len, &d)
                                      : pcie_dma_read(c->dev, pasid, g->addr, buf, g->len, &d);
        if (d > *done)
            *done = d;
        if (s != PCIE_DMA_OK) {
            c->st.dma_faults++;
            return NVME_SC_DATA_XFER;
        }
        buf += g->len;
    }
    return NVME_OK;
}

/* ---------------------------------------------------------------- read / write */

static uint16_t rw_check(nvme_cmd_t *m)
{
    const nvme_t *c = m->ctrl;
    uint64_t nsze = c->cfg.ns_blocks;
    uint64_t slba = nvme_sqe_cdw(m, 10) | (uint64_t)nvme_sqe_cdw(m, 11) << 32;
    uint64_t nlb = (nvme_sqe_cdw(m, 12) & 0xFFFFu) + 1;
    if (nvme_sqe_fuse(m) || nvme_sqe_psdt(m))
        return NVME_SC_INVALID_FIELD;
    if (nvme_sqe_nsid(m) != 1)
        return NVME_SC_INVALID_NS;
    if (slba >= nsze || nlb > nsze - slba)
        return NVME_SC_LBA_RANGE;
    if (nlb * c->cfg.lba_size > NVME_MAX_XFER)
        return NVME_SC_INVALID_FIELD;
    m->ns_off = slba * c->cfg.lba_size;
    m->len = (uint32_t)(nlb * c->cfg.lba_size);
    return NVME_OK;
}

static void media(nvme_cmd_t *m, bool write, sim_time_t start, sim_time_t *end)
{
    nvme_t *c = m->ctrl;
    uint64_t pages;
    *end = nvme_media_access(c->media, write, m->ns_off, m->len, start, &pages);
    if (write)
        c->st.media_pages_written += pages;
    else
        c->st.media_pages_read += pages;
}

static void read_xfer(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    sim_time_t done;
    mem_read(c->store, m->ns_off, c->scratch, m->len);
    m->status = nvme_data_dma(m, c->scratch, true, &done);
    if (m->status == NVME_OK)
        c->st.read_bytes += m->len;
    nvme_complete_at(m, done);
}

static void write_xfer(nvme_cmd_t *m)
{
    nvme_t *c = m->ctrl;
    sim_time_t done, end;
    m->status = nvme_data_dma(m, c->scratch, false, &done);
    if (m->status != NVME_OK) {
        nvme_complete_at(m, done);
        return;
    }
    mem_write(c->store, m->ns_off, c->scratch, m->len);
    c->st.write_bytes += m->len;
    media(m, true, done, &end);
    nvme_complete_at(m, end);
}

static void rw_start(nvme_cmd_t *m, bool write)
{
    sim_time_t ready, end;
    uint16_t st = rw_check(m);
    if (st == NVME_OK)
        st = nvme_prp_map(m, m->len, &ready);
    if (st != NVME_OK) {
        nvme_complete(m, st, 0);
        return;
    }
    if (write) {
        nvme_cmd_at(m, ready, write_xfer);
        return;
    }
    media(m, false, sim_now(m->ctrl->sim), &end);
    nvme_cmd_at(m, end > ready ? end : ready, read_xfer);
}

static uint16_t flush_check(const nvme_cmd_t *m)
{
    uint32_t nsid = nvme_sqe_nsid(m);
    if (nvme_sqe_fuse(m) || nvme_sqe_psdt(m))
        return NVME_SC_INVALID_FIELD;
    return nsid == 1 || nsid == 0xFFFFFFFFu ? NVME_OK : NVME_SC_INVALID_NS;
}

void nvme_io_exec(nvme_cmd_t *m)
{
    uint8_t op = nvme_sqe_opcode(m);
    m->ctrl->st.io_cmds[op]++;
    switch (op) {
    case NVME_IO_FLUSH:
        nvme_complete(m, flush_check(m), 0);
        return;
    case NVME_IO_WRITE:
    case NVME_IO_READ:
        rw_start(m, nvme_io_ops[op].dir == NVME_DIR_TO_DEV);
        return;
    default:
        nvme_complete(m, NVME_SC_INVALID_OPCODE, 0);
        return;
    }
}
