/* tests/devices/check_nvme_media: NVMe command latency from the media
 * model and the PCIe bus, computed by hand from the cost table.
 *
 * Setup: a PCIe Gen2 x8 link, chosen because its wire time is a whole
 * number of picoseconds per byte: 5 GT/s x 8 lanes x 8b/10b = 4 GB/s, so
 * 250 ps per byte, and every TLP of up to 256 B payload carries 24 B more
 * (PCIe framing, sequence number, header, LCRC):
 *     wire(n) = (n + 24 * ceil(n / 256)) * 250 ps
 *     wire(64) = 22 ns, wire(128) = 38 ns, wire(16) = 10 ns,
 *     wire(4096) = 4480 * 250 ps = 1120 ns.
 * No IOMMU (no lookup cost).  4 KiB blocks, 4 channels x 2 dies: media
 * page p is on channel p % 4, die (p / 4) % 2.
 *
 * A single 4 KiB read on idle media, from the doorbell write to the
 * interrupt reaching the core:
 *     T_read = mmio_write                    doorbell reaches the device
 *            + dma + wire(64)                SQE fetch
 *            + tR + xfer_4k                  die senses, channel transfers
 *            + dma + wire(4096)              data to host memory
 *            + dma + wire(16)                CQE to host memory
 *            + msix                          interrupt message
 * with mmio_write = pcie.mmio_write, dma = pcie.dma, msix = pcie.msix,
 * xfer_4k = nand.xfer_4k, and tR = nand.read (NAND), nvme.read
 * (llflash).  For pmem the media term is mem.pmem (no channel transfer).
 * A single 4 KiB write:
 *     T_write = mmio_write + dma + wire(64) + dma + wire(4096)
 *             + xfer_4k + tPROG + dma + wire(16) + msix. */
#include "tests/check_main.h"
#include "tests/devices/nvme_drv.h"

#define PS_PER_BYTE 250u

static drv_t D;
static tq_t SQ, CQ;

static sim_time_t wire(uint64_t n)
{
    return (n + 24 * ((n + 255) / 256)) * PS_PER_BYTE;
}

static sim_time_t cost(cost_id_t id)
{
    return cost_ps(&D.costs, id);
}

static void up(nvme_media_kind_t kind)
{
    nvme_cfg_t c;
    nvme_cfg_default(&c);
    c.link = (pcie_link_t){ .gen = 2, .lanes = 8 };
    c.io_queues = 4;
    c.msix_vectors = 4;
    c.ns_blocks = 4096;
    c.lba_size = 4096;
    c.media = kind;
    c.channels = 4;
    c.dies_per_channel = 2;
    drv_up(&D, &c);
    drv_enable(&D, 8, 8);
    ck_assert_uint_eq(drv_create_cq(&D, &CQ, 1, 64, 1).status, 0);
    ck_assert_uint_eq(drv_create_sq(&D, &SQ, 1, 64, 1).status, 0);
}

/* Queue reads (or writes) of one block each at the given LBAs, ring once,
 * run; returns the doorbell time and fills each command's interrupt time
 * (completions come in LBA-list order in these tests: checked). */
static sim_time_t burst(bool write, const uint64_t *lba, unsigned n, sim_time_t *t_irq)
{
    unsigned n0 = D.nirq;
    uint16_t cid[16];
    for (unsigned i = 0; i < n; i++)
        cid[i] = drv_put(&D, &SQ, drv_rw(write, lba[i], 1, drv_alloc(&D, 4096), 0));
    sim_time_t t0 = sim_now(D.sim);
    drv_ring(&D, &SQ);
    drv_run(&D);
    ck_assert_uint_eq(D.nirq, n0 + n);
    for (unsigned i = 0; i < n; i++) {
        cqe_t e;
        ck_assert(drv_reap(&D, &CQ, &e));
        ck_assert_uint_eq(e.cid, cid[i]);
        ck_assert_uint_eq(e.status, 0);
        ck_assert_uint_eq(D.irq_vec[n0 + i], DRV_VEC_BASE + 1);
        t_irq[i] = D.irq_t[n0 + i];
    }
    drv_ring_cq(&D, &CQ);
    drv_run(&D);
    return t0;
}

static sim_time_t t_read(cost_id_t media, bool xfer)
{
    return cost(COST_PCIE_MMIO_WRITE) + cost(COST_PCIE_DMA) + wire(64) + cost(media) +
           (xfer ? cost(COST_NAND_XFER_4K) : 0) + cost(COST_PCIE_DMA) + wire(4096) +
           cost(COST_PCIE_DMA) + wire(16) + cost(COST_PCIE_MSIX);
}

START_TEST(test_idle_nand_read_latency)
{
    up(NVME_MEDIA_NAND);
    uint64_t lba = 5;
    sim_time_t t;
    sim_time_t t0 = burst(false, &lba, 1, &t);
    /* default costs: 0.1 + 0.35 + 0.022 + 40 + 6.016 + 0.35 + 1.12 + 0.35
     * + 0.01 + 0.35 = 48.668 us */
    ck_assert_uint_eq(t - t0, t_read(COST_NAND_READ, true));
    ck_assert_uint_eq(t - t0, SIM_NS(48668));
    ck_assert_uint_eq(nvme_stats(D.nvme)->media_pages_read, 1);
    drv_down(&D);
}
END_TEST

START_TEST(test_idle_nand_write_latency)
{
    up(NVME_MEDIA_NAND);
    uint64_t lba = 9;
    sim_time_t t;
    sim_time_t t0 = burst(true, &lba, 1, &t);
    sim_time_t want = cost(COST_PCIE_MMIO_WRITE) + cost(COST_PCIE_DMA) + wire(64) +
                      cost(COST_PCIE_DMA) + wire(4096) + cost(COST_NAND_XFER_4K) +
                      cost(COST_NAND_PROGRAM) + cost(COST_PCIE_DMA) + wire(16) +
                      cost(COST_PCIE_MSIX);
    ck_assert_uint_eq(t - t0, want);
    drv_down(&D);
}
END_TEST

START_TEST(test_reads_on_one_die_serialise)
{
    up(NVME_MEDIA_NAND);
    /* pages 0, 8, 16, 24: channel 0, die 0.  Fetched together (one
     * 4 x 64 B DMA), each waits for the die to sense and ship the one
     * before: completions tR + xfer_4k apart, latency growing with load. */
    const uint64_t lba[] = { 0, 8, 16, 24 };
    sim_time_t t[4];
    sim_time_t t0 = burst(false, lba, 4, t);
    sim_time_t step = cost(COST_NAND_READ) + cost(COST_NAND_XFER_4K);
    ck_assert_uint_eq(t[0] - t0, t_read(COST_NAND_READ, true) - wire(64) + wire(256));
    for (int i = 1; i < 4; i++)
        ck_assert_uint_eq(t[i] - t[i - 1], step);
    drv_down(&D);
}
END_TEST

START_TEST(test_reads_on_one_channel_share_its_transfer)
{
    up(NVME_MEDIA_NAND);
    /* pages 0 and 4: channel 0, dies 0 and 1.  Both dies sense at once;
     * the channel carries one page after the other: xfer_4k apart. */
    const uint64_t lba[] = { 0, 4 };
    sim_time_t t[2];
    burst(false, lba, 2, t);
    ck_assert_uint_eq(t[1] - t[0], cost(COST_NAND_XFER_4K));
    drv_down(&D);
}
END_TEST

START_TEST(test_reads_on_different_channels_overlap)
{
    up(NVME_MEDIA_NAND);
    /* pages 0 and 1: channels 0 and 1.  The media work fully overlaps;
     * only the PCIe link serialises the two 4 KiB data transfers, so the
     * second completes at most one wire(4096) (plus its CQE's) after the
     * single-read latency, far less than the tR + xfer of the same die. */
    const uint64_t lba[] = { 0, 1 };
    sim_time_t t[2];
    sim_time_t t0 = burst(false, lba, 2, t);
    sim_time_t single = t_read(COST_NAND_READ, true) - wire(64) + wire(128);
    ck_assert_uint_ge(t[0] - t0, single);
    ck_assert_uint_le(t[1] - t0, single + wire(4096) + wire(16) + cost(COST_PCIE_DMA));
    ck_assert_uint_lt(t[1] - t[0], cost(COST_NAND_READ));
    drv_down(&D);
}
END_TEST

START_TEST(test_faster_media_classes)
{
    sim_time_t lat[NVME_MEDIA_KINDS];
    const cost_id_t read_cost[NVME_MEDIA_KINDS] = {
        [NVME_MEDIA_NAND] = COST_NAND_READ,
        [NVME_MEDIA_LLFLASH] = COST_NVME_READ,
        [NVME_MEDIA_PMEM] = COST_MEM_PMEM,
    };
    for (int k = 0; k < NVME_MEDIA_KINDS; k++) {
        up((nvme_media_kind_t)k);
        uint64_t lba = 3;
        sim_time_t t;
        sim_time_t t0 = burst(false, &lba, 1, &t);
        lat[k] = t - t0;
        ck_assert_uint_eq(lat[k], t_read(read_cost[k], k != NVME_MEDIA_PMEM));
        drv_down(&D);
    }
    ck_assert_uint_lt(lat[NVME_MEDIA_PMEM], lat[NVME_MEDIA_LLFLASH]);
    ck_assert_uint_lt(lat[NVME_MEDIA_LLFLASH], lat[NVME_MEDIA_NAND]);
}
END_TEST

START_TEST(test_pmem_pages_queue_on_their_channel)
{
    up(NVME_MEDIA_PMEM);
    /* A slow persistent memory (5 us a page, set in the run's cost table)
     * so the media, not the link, sets the pace.  Pages 2 and 6 share
     * channel 2: the second completes 5 us after the first.  Pages 10
     * and 3 (channels 2 and 3) are served together: the second completes
     * only link time after the first (its data and CQE queue on the
     * link), well under 5 us. */
    ck_assert_int_eq(cost_set_ns(&D.costs, COST_MEM_PMEM, 5000.0), 0);
    const uint64_t same[] = { 2, 6 };
    sim_time_t a[2], b[2];
    burst(false, same, 2, a);
    ck_assert_uint_eq(a[1] - a[0], SIM_US(5));
    const uint64_t diff[] = { 10, 3 };
    burst(false, diff, 2, b);
    ck_assert_uint_lt(b[1] - b[0], SIM_US(5));
    ck_assert_uint_le(b[1] - b[0], wire(4096) + cost(COST_PCIE_DMA));
    drv_down(&D);
}
END_TEST

static Suite *nvme_media_suite(void)
{
    Suite *s = suite_create("nvme_media");
    TCase *t = tcase_create("latency");
    tcase_add_test(t, test_idle_nand_read_latency);
    tcase_add_test(t, test_idle_nand_write_latency);
    tcase_add_test(t, test_reads_on_one_die_serialise);
    tcase_add_test(t, test_reads_on_one_channel_share_its_transfer);
    tcase_add_test(t, test_reads_on_different_channels_overlap);
    tcase_add_test(t, test_faster_media_classes);
    tcase_add_test(t, test_pmem_pages_queue_on_their_channel);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(nvme_media_suite)
