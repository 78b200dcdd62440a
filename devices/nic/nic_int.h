/* devices/nic/nic_int.h: state and register map shared by the NIC's files
 * (folder-private; see devices/nic.h for the contract).
 *
 * Files: nic.c (create, reset, stats), regs.c (register file and MMIO
 * switch), parse.c (Ethernet/VLAN/IPv4/IPv6/TCP/UDP/SCTP), rss.c (Toeplitz,
 * key, RETA, MRQC field selection), fdir.c (Flow Director perfect filters),
 * rx.c (receive DMA), tx.c (transmit DMA), link.c (wire timing), irq.c
 * (EICR/EIMS/EITR/IVAR and MSI-X).
 *
 * Register offsets are the 82599's (datasheet 8.2.3; the same values are in
 * Linux's ixgbe_type.h).  Model-wide simplifications, each detailed in the
 * file that implements it:
 *   - one BAR holds registers (0x00000-0x1FFFF) and the MSI-X table
 *     (NIC_MSIX_OFF); the 82599 puts the table in BAR 3;
 *   - advanced descriptors only (SRRCTL.DESCTYPE is stored, not obeyed), no
 *     header split, no RSC, no offloads (checksum, TSO, VLAN strip/insert),
 *     no DCB/VMDq/SR-IOV pools, no head write-back;
 *   - RETA entries are 7 bits wide (the 82599's are 4) so RSS reaches all
 *     128 queues;
 *   - Flow Director: perfect filters keyed by the masked tuple, masks in
 *     natural bit order (the 82599's TCP/UDP port masks are bit-reversed);
 *   - the device's own pipeline (parsing, hashing, filtering) takes no
 *     simulated time: it runs at line rate in hardware; time is spent on
 *     the PCIe link (the bus's costs) and on the wire (physics).
 *
 * Ring ownership (82599 ch. 7.1 / 7.2): a descriptor ring is a contiguous
 * array of 16-byte descriptors of RDLEN/16 entries; indices wrap at that
 * size (a multiple of 8, not necessarily a power of two: these are the
 * hardware's rules, not the project's software-ring convention).  The
 * kernel (k) writes the base, length and tail; the device (d) owns the
 * descriptors in [head, tail) and moves head.  head == tail: the ring holds
 * no descriptor for the device. */
#ifndef PARASIM_DEVICES_NIC_INT_H
#define PARASIM_DEVICES_NIC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/iommu.h"
#include "devices/nic.h"
#include "devices/le.h"
#include "devices/pcie.h"
#include "sim/engine.h"

/* ---------------------------------------------------------------- registers */

#define R_CTRL 0x00000u          /* bit 26 RST: device reset (self-clearing) */
#define R_STATUS 0x00008u
#define R_CTRL_EXT 0x00018u
#define R_EICR 0x00800u
#define R_EICS 0x00808u
#define R_EIAC 0x00810u
#define R_EITR_LO 0x00820u       /* EITR 0..23: 0x820 + 4n */
#define R_EITR_HI 0x12300u       /* EITR 24..63: 0x12300 + 4(n - 24) */
#define R_EIMS 0x00880u
#define R_EIMC 0x00888u
#define R_EIAM 0x00890u
#define R_GPIE 0x00898u
#define R_IVAR 0x00900u          /* 64 registers: queues 2n, 2n+1 */
#define R_IVAR_MISC 0x00A00u
#define R_EICS_EX 0x00A90u       /* (0..1): vectors 0-31, 32-63 */
#define R_EIMS_EX 0x00AA0u
#define R_EIMC_EX 0x00AB0u
#define R_EIAM_EX 0x00AD0u
#define R_RXQ_LO 0x01000u        /* RX queue n < 64: 0x1000 + 0x40n */
#define R_RXQ_HI 0x0D000u        /* RX queue n >= 64: 0xD000 + 0x40(n - 64) */
#define R_SRRCTL_ALIAS 0x02100u  /* SRRCTL 0..15 also at 0x2100 + 4n */
#define R_DCA_RXCTRL_ALIAS 0x02200u
#define R_RDRXCTL 0x02F00u
#define R_RXCTRL 0x03000u
#define R_HLREG0 0x04240u
#define R_MAXFRS 0x04268u        /* bits 31:16 MFS, bytes incl. FCS */
#define R_LINKS 0x042A4u
#define R_DMATXCTL 0x04A80u
#define R_RXCSUM 0x05000u
#define R_FCTRL 0x05080u
#define R_VLNCTRL 0x05088u
#define R_MRQC 0x05818u
#define R_RETA 0x05C00u          /* 32 registers, 4 entries each */
#define R_RSSRK 0x05C80u         /* 10 registers, key byte 0 in bits 7:0 */
#define R_TXQ 0x06000u           /* TX queue n: 0x6000 + 0x40n, n < 128 */
#define R_MTQC 0x08120u
#define R_FDIRCTRL 0x0EE00u
#define R_FDIRSIPV6 0x0EE0Cu     /* (0..2) */
#define R_FDIRIPSA 0x0EE18u
#define R_FDIRIPDA 0x0EE1Cu
#define R_FDIRPORT 0x0EE20u
#define R_FDIRVLAN 0x0EE24u
#define R_FDIRHASH 0x0EE28u
#define R_FDIRCMD 0x0EE2Cu
#define R_FDIRFREE 0x0EE38u
#define R_FDIRDIP4M 0x0EE3Cu
#define R_FDIRSIP4M 0x0EE40u
#define R_FDIRTCPM 0x0EE44u
#define R_FDIRUDPM 0x0EE48u
#define R_FDIRUSTAT 0x0EE50u
#define R_FDIRMATCH 0x0EE58u
#define R_FDIRMISS 0x0EE5Cu
#define R_FDIRM 0x0EE70u
#define R_FDIRSCTPM 0x0EE78u
#define R_REG_SPACE 0x20000u

/* Per-queue register offsets inside a queue's 0x40-byte block. */
#define Q_BAL 0x00u
#define Q_BAH 0x04u
#define Q_LEN 0x08u
#define Q_DCA 0x0Cu
#define Q_HEAD 0x10u
#define Q_SRRCTL 0x14u           /* RX only */
#define Q_TAIL 0x18u
#define Q_DCTL 0x28u
#define Q_TDWBAL 0x38u           /* TX only: head write-back (not modelled) */
#define Q_TDWBAH 0x3Cu

#define CTRL_RST (1u << 26)
#define DCTL_ENABLE (1u << 25)   /* RXDCTL / TXDCTL */
#define SRRCTL_BSIZEPKT_MASK 0x7Fu /* 1 KiB units */
#define SRRCTL_RESET 0x2u        /* 2 KiB buffers (82599 initial value) */
#define MRQC_MRQE_MASK 0xFu
#define MRQC_RSSEN 0x1u
#define MRQC_IPV4_TCP (1u << 16)
#define MRQC_IPV4 (1u << 17)
#define MRQC_IPV6_EX_TCP (1u << 18)
#define MRQC_IPV6_EX (1u << 19)
#define MRQC_IPV6 (1u << 20)
#define MRQC_IPV6_TCP (1u << 21)
#define MRQC_IPV4_UDP (1u << 22)
#define MRQC_IPV6_UDP (1u << 23)
#define MRQC_IPV6_EX_UDP (1u << 24)
#define IVAR_VALID 0x80u
#define IVAR_VECTOR_MASK 0x3Fu
#define EITR_INTERVAL_SHIFT 3
#define EITR_INTERVAL_MASK 0x1FFu /* bits 11:3, 2 us units */
#define EITR_UNIT_PS SIM_US(2)
#define LINKS_UP (1u << 30)
#define LINKS_SPEED_10G (3u << 28)

/* Advanced RX descriptor write-back (82599 7.1.6.2). */
#define RXD_STAT_DD 0x1u
#define RXD_STAT_EOP 0x2u
#define RXD_STAT_FLM 0x4u        /* Flow Director filter matched */
#define RSSTYPE_NONE 0x0u
#define RSSTYPE_IPV4_TCP 0x1u
#define RSSTYPE_IPV4 0x2u
#define RSSTYPE_IPV6_TCP 0x3u
#define RSSTYPE_IPV6 0x5u
#define RSSTYPE_IPV4_UDP 0x7u
#define RSSTYPE_IPV6_UDP 0x8u
#define PKTTYPE_IPV4 0x010u
#define PKTTYPE_IPV6 0x040u
#define PKTTYPE_TCP 0x100u
#define PKTTYPE_UDP 0x200u
#define PKTTYPE_SCTP 0x400u

/* Advanced TX data descriptor (82599 7.2.3.2.4): cmd_type_len dword. */
#define TXD_DTALEN_MASK 0xFFFFu
#define TXD_DTYP_SHIFT 20
#define TXD_DTYP_MASK 0xFu
#define TXD_DTYP_CTXT 0x2u
#define TXD_DTYP_DATA 0x3u
#define TXD_CMD_EOP (1u << 24)
#define TXD_CMD_IFCS (1u << 25)
#define TXD_CMD_RS (1u << 27)
#define TXD_CMD_DEXT (1u << 29)
#define TXD_STAT_DD 0x1u

#define DESC_BYTES 16u

/* ---------------------------------------------------------------- model parameters */

/* Per-queue on-chip descriptor caches (82599 ch. 7.1 / 7.2, "descriptor
 * fetching": descriptors are prefetched into on-chip storage; RXDCTL.PTHRESH
 * ranges up to 32).  Model parameters, not datasheet figures: we
 * model 32 RX and 40 TX entries per queue and fetch in bursts of at least
 * a 64-byte line of descriptors (or whatever is left when the cache is
 * empty), never beyond the tail. */
#define RX_DESC_CACHE 32u
#define TX_DESC_CACHE 40u
#define DESC_FETCH_MIN 4u
/* A TX packet must fit in the cache (the 82599 allows at most 40 data
 * descriptors per packet); an RX frame needs at most max frame / 1 KiB
 * = 16 buffers, within RX_DESC_CACHE. */
/* Packet buffers (82599: RXPBSIZE up to 512 KB, TXPBSIZE up to 160 KB). */
#define RX_PB_BYTES (512u * 1024u)
#define TX_PB_BYTES (160u * 1024u)
/* TX completions in flight per queue (batches awaiting write-back). */
#define TX_CPL_SLOTS 64u
/* Flow Director perfect-filter table (82599: 8K - 2 filters with
 * FDIRCTRL.PBALLOC = 256K, 4K - 2 with 128K, 2K - 2 with 64K). */
#define FDIR_MAX_FILTERS 8190u
#define FDIR_BUCKETS 4096u

/* ---------------------------------------------------------------- parsed frames */

typedef enum l3_kind { L3_NONE, L3_IPV4, L3_IPV6 } l3_kind_t;
typedef enum l4_kind { L4_NONE, L4_UDP, L4_TCP, L4_SCTP } l4_kind_t;

typedef struct nic_pkt {
    l3_kind_t l3;
    l4_kind_t l4;     /* L4_NONE also for fragments */
    bool vlan;        /* one 802.1Q/802.1ad tag present */
    uint8_t src[16];  /* IPv4 in src[0..3], network order */
    uint8_t dst[16];
    uint16_t sport, dport; /* host order; 0 when l4 == L4_NONE */
} nic_pkt_t;

/* ---------------------------------------------------------------- state */

typedef struct rx_cached {
    uint64_t pkt_addr;   /* read format: packet buffer address */
    sim_time_t ready;    /* when the fetch that brought it completes */
} rx_cached_t;

typedef struct nic_rxq {
    uint32_t bal, bah, len; /* (k) RDBAL, RDBAH, RDLEN */
    uint32_t head;          /* (d) RDH: next descriptor to write back */
    uint32_t tail;          /* (k) RDT: one past the last one posted */
    uint32_t srrctl, dctl;  /* (k) SRRCTL, RXDCTL */
    uint32_t dca, rscctl;   /* (k) stored only */
    bool enabled;           /* (d) RXDCTL.ENABLE accepted */
    bool fetch_faulted;     /* (d) last descriptor fetch faulted */
    uint32_t size;          /* (d) descriptors, from RDLEN at enable */
    uint32_t fetch;         /* (d) next ring index to fetch */
    uint32_t c_head, c_count;/* (d) cache slot of ring index head, and the
                             * number cached: ring indices [head, fetch) */
    rx_cached_t cache[RX_DESC_CACHE];
} nic_rxq_t;

typedef struct tx_cached {
    uint64_t addr;
    uint32_t cmd_type_len, olinfo;
    sim_time_t ready;
} tx_cached_t;

typedef struct tx_cpl {
    sim_time_t at;   /* data of the batch fetched: write back then */
    uint32_t count;  /* descriptors completing */
} tx_cpl_t;

typedef struct nic_txq {
    uint32_t bal, bah, len; /* (k) TDBAL, TDBAH, TDLEN */
    uint32_t head;          /* (d) TDH: next descriptor to complete */
    uint32_t tail;          /* (k) TDT */
    uint32_t dctl, dca;     /* (k) TXDCTL; DCA_TXCTRL stored only */
    uint32_t wbal, wbah;    /* (k) TDWBAL/H stored only */
    bool enabled;           /* (d) */
    uint32_t size;          /* (d) descriptors */
    uint32_t fetch;         /* (d) next ring index to fetch */
    uint32_t c_head;        /* (d) cache slot of ring index head */
    uint32_t n_sent;        /* (d) cached, sent, awaiting write-back */
    uint32_t n_fetched;     /* (d) cached after those, not processed yet:
                             * the cache holds ring indices [head, fetch) */
    tx_cached_t cache[TX_DESC_CACHE];
    tx_cpl_t cpl[TX_CPL_SLOTS];
    uint32_t cpl_head, cpl_tail; /* (d) free-running */
    sim_event_t step_ev, cpl_ev;
    sim_time_t step_at;
} nic_txq_t;

typedef struct nic_vec {
    uint32_t eitr;          /* (k) EITR register */
    sim_time_t last_fire;   /* (d) last MSI-X sent */
    sim_time_t want;        /* (d) latest cause completion time */
    bool fired;             /* (d) last_fire is meaningful */
    sim_event_t ev;         /* (d) pending fire */
} nic_vec_t;

typedef struct fdir_key {
    uint8_t flow;           /* L4 type (l4_kind_t) | 0x4 when IPv6 */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
} fdir_key_t;

typedef struct fdir_filter {
    fdir_key_t key;         /* masked */
    uint16_t queue, sw_index;
    bool drop;              /* drop matching frames */
    bool steer;             /* FDIRCMD.QUEUE_EN: steer to queue */
    int32_t next;           /* chain in the bucket, -1 ends */
} fdir_filter_t;

typedef struct nic_fdir {
    uint32_t ctrl, m, sip4m, dip4m, tcpm, udpm, sctpm; /* (k) */
    uint32_t sipv6[3], ipsa, ipda, port, vlan, hash, cmd; /* (k) staging */
    uint32_t adds, removes; /* FDIRUSTAT */
    int32_t bucket[FDIR_BUCKETS];
    fdir_filter_t *filt;    /* FDIR_MAX_FILTERS slots */
    int32_t free_head;      /* free-slot chain */
    uint32_t used;
} nic_fdir_t;

/* Registers that are stored and read back but have no modelled effect. */
#define PLAIN_REGS 12u

struct nic {
    sim_t *sim;
    pcie_t *bus;
    pcie_dev_t *dev;
    const struct cost_table *costs;
    nic_cfg_t cfg;
    unsigned nvec;
    sim_time_t wire_ps_per_byte;

    /* registers (k) unless noted */
    uint32_t ctrl, ctrl_ext, gpie, ivar_misc, maxfrs, mrqc;
    uint32_t plain[PLAIN_REGS];
    uint32_t ivar[NIC_MAX_QUEUES / 2];
    uint8_t rss_key[40];
    uint8_t reta[128];
    bool rss_table_stale;   /* (d) rss_tab must be rebuilt from rss_key */
    uint32_t (*rss_tab)[256]; /* (d) [36][256] per-byte Toeplitz terms */

    /* interrupts (irq.c); bit v = MSI-X vector v */
    uint64_t eicr, eims, eiac, eiam; /* eicr (d) causes; others (k) */
    nic_vec_t vec[NIC_MAX_VECTORS];

    nic_fdir_t fdir;
    nic_rxq_t *rxq;
    nic_txq_t *txq;

    /* receive side */
    sim_time_t rx_dma_last;  /* (d) completion of the last payload DMA */
    sim_time_t rx_pb_drain;  /* DMA latency + PCIe time of a full RX buffer */
    sim_time_t msix_lat;     /* pcie.msix from the cost table */

    /* transmit side / wire */
    sim_time_t wire_free;    /* (d) the wire is busy until then */
    sim_time_t tx_pb_time;   /* wire time of a full TX packet buffer */
    nic_wire_tx_fn wire_tx;
    void *wire_tx_ctx;
    uint8_t *txbuf;          /* frame assembly, NIC_MAX_FRAME_LIMIT bytes */

    nic_queue_stats_t *qstats;
    nic_stats_t stats;

    nic_observer_fn obs;     /* nic_set_observer; NULL: none */
    void *obs_ctx;
};

/* nic.c */
void nic_reset(nic_t *n);
static inline void nic_guest_error(nic_t *n) { n->stats.guest_errors++; }
/* Tell the observer (nic.h): one branch when there is none. */
void nic_observe_emit(nic_t *n, nic_event_kind_t kind, unsigned q, uint32_t arg);
static inline void nic_observe(nic_t *n, nic_event_kind_t kind, unsigned q, uint32_t arg)
{
    if (n->obs)
        nic_observe_emit(n, kind, q, arg);
}

/* Per-packet helpers, inline: each is a few instructions, called several
 * times per frame from rx.c and tx.c. */

/* When to raise the interrupt of a status write-back issued at `issue`
 * that lands at `landed`: the MSI-X write must not overtake it. */
static inline sim_time_t nic_irq_time(const nic_t *n, sim_time_t issue, sim_time_t landed)
{
    return landed > issue + n->msix_lat ? landed - n->msix_lat : issue;
}

static inline uint32_t nic_pasid(const nic_t *n, unsigned q)
{
    return n->cfg.pasid_per_queue ? n->cfg.pasid_base + q : IOMMU_NO_PASID;
}

static inline unsigned nic_max_frame(const nic_t *n)
{
    unsigned mfs = n->maxfrs >> 16;
    return mfs > NIC_MAX_FRAME_LIMIT ? NIC_MAX_FRAME_LIMIT : mfs;
}

/* (a + b) mod size for a < size and b <= size: a compare instead of a
 * division (ring sizes are multiples of 8, not powers of two). */
static inline uint32_t ring_add(uint32_t a, uint32_t b, uint32_t size)
{
    uint32_t s = a + b;
    return s >= size ? s - size : s;
}

/* regs.c */
uint64_t nic_mmio_read(void *dev, uint64_t off, unsigned size);
void nic_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size);

/* parse.c: false when the frame has no Ethernet header. */
bool nic_parse(const uint8_t *f, size_t len, nic_pkt_t *p);

/* rss.c */
bool nic_rss_enabled(const nic_t *n);
/* Hash and 82599 RSS type of a packet per MRQC; false when no enabled
 * hash function applies. */
bool nic_rss_hash(nic_t *n, const nic_pkt_t *p, uint32_t *hash, uint32_t *type);
unsigned nic_rss_queue(const nic_t *n, uint32_t hash);
void nic_rss_write_key(nic_t *n, unsigned i, uint32_t val);
uint32_t nic_rss_read_key(const nic_t *n, unsigned i);
void nic_rss_write_reta(nic_t *n, unsigned i, uint32_t val);
uint32_t nic_rss_read_reta(const nic_t *n, unsigned i);

/* fdir.c */
int nic_fdir_init(nic_fdir_t *f);
void nic_fdir_reset(nic_fdir_t *f);
void nic_fdir_destroy(nic_fdir_t *f);
bool nic_fdir_reg(nic_t *n, uint32_t off, bool write, uint32_t *val);
/* The matching filter or NULL. */
const fdir_filter_t *nic_fdir_lookup(nic_t *n, const nic_pkt_t *p);
/* Queue that filter drops are counted on (FDIRCTRL.DROP_Q). */
unsigned nic_fdir_drop_queue(const nic_t *n);

/* irq.c */
bool nic_irq_reg(nic_t *n, uint32_t off, bool write, uint32_t *val);
/* A cause of queue q (rx or tx) that completes at time t (>= now). */
void nic_irq_queue(nic_t *n, unsigned q, bool tx, sim_time_t t);
void nic_irq_reset(nic_t *n);

/* rx.c */
void nic_rx_write_reg(nic_t *n, unsigned q, uint32_t reg, uint32_t val);
uint32_t nic_rx_read_reg(const nic_t *n, unsigned q, uint32_t reg, bool *ok);
void nic_rx_reset(nic_rxq_t *r);

/* tx.c */
void nic_tx_write_reg(nic_t *n, unsigned q, uint32_t reg, uint32_t val);
uint32_t nic_tx_read_reg(const nic_t *n, unsigned q, uint32_t reg, bool *ok);
void nic_tx_reset(nic_t *n, nic_txq_t *t);

/* link.c */
int nic_link_init(nic_t *n);
/* Reserve the wire for a frame ready at `ready`; returns its last-bit time. */
sim_time_t nic_link_send(nic_t *n, size_t len, sim_time_t ready);
sim_time_t nic_link_backlog(const nic_t *n);

/* Descriptor fetch shared by rx.c and tx.c: count descriptors from ring
 * index `from` (wrapping at size) into buf; *done is the completion. */
pcie_dma_status_t nic_ring_fetch(nic_t *n, unsigned q, uint64_t base, uint32_t size,
                                 uint32_t from, uint32_t count, uint8_t *buf, sim_time_t *done);

static inline uint64_t nic_ring_base(uint32_t bal, uint32_t bah)
{
    return (uint64_t)bah << 32 | bal;
}

static inline sim_time_t tmax(sim_time_t a, sim_time_t b) { return a > b ? a : b; }

#endif
