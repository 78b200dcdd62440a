/* devices/nic: a multi-queue Ethernet NIC modelled on the Intel 82599
 * (82599 10 GbE Controller Datasheet, rev. 3.x: ch. 7.1 receive, 7.2
 * transmit, 7.3 interrupts, 8.2.3 registers), extended to 128 queue pairs
 * and 10/25/40/100/400 GbE links.
 *
 * Contract.  The NIC is one PCIe function: nic_create() attaches it to the
 * bus with pcie_attach() (BAR of NIC_BAR_SIZE bytes at cfg->bar, MSI-X
 * table at BAR offset NIC_MSIX_OFF), and from then on it is programmed only
 * as a driver programs an 82599: 32-bit registers at the 82599's offsets
 * (RDBAL/RDLEN/RDH/RDT/SRRCTL/RXDCTL, TDBAL/TDLEN/TDH/TDT/TXDCTL, RSSRK,
 * RETA, MRQC, EICR/EICS/EIMS/EIMC/EIAC/EIAM, EITR, IVAR, the Flow Director
 * perfect-filter registers...) and advanced descriptors in physical memory.
 * Every DMA goes through pcie_dma_read/pcie_dma_write (hence the IOMMU when
 * one is attached) and every interrupt through pcie_msix_send().  The
 * simplifications and the register map are listed in devices/nic/nic_int.h
 * and at the top of each .c file in devices/nic/.
 *
 * The wire.  Frames handed to nic_wire_rx() and to the wire-tx callback are
 * Ethernet frames from the destination MAC to the end of the payload,
 * WITHOUT the 4-byte FCS: the NIC strips it on receive and appends it on
 * transmit (82599 HLREG0.RXCRCSTRP / TXCRCEN, which drivers enable).  On the
 * wire a frame occupies max(len, 60) + 4 (FCS) + 8 (preamble + SFD) + 12
 * (inter-frame gap) bytes: a minimum 64-byte frame (60 + FCS) takes 16.8 ns
 * at 40 GbE.  nic_wire_time() gives that figure for any rate.
 *
 * Time.  nic_wire_rx() is called when the frame's last bit has arrived
 * (now); the far end is responsible for pacing its frames at the link rate.
 * The wire-tx callback is invoked when the NIC commits a frame to the wire,
 * possibly before the frame's last bit leaves: t_last_bit (>= now) says
 * when it does, and frames are handed over in wire order.  The frame bytes
 * are only valid during the call. */
#ifndef PARASIM_DEVICES_NIC_H
#define PARASIM_DEVICES_NIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pcie.h"
#include "sim/engine.h"

struct cost_table;

#define NIC_MAX_QUEUES 128u
#define NIC_MAX_VECTORS 64u      /* 82599: 64 MSI-X vectors */
#define NIC_BAR_SIZE 0x40000u    /* 128 KiB of registers + the MSI-X table */
#define NIC_MSIX_OFF 0x20000u    /* MSI-X table (16 B per vector), then PBA */
#define NIC_FCS_BYTES 4u
#define NIC_MIN_FRAME 64u        /* incl. FCS: shorter frames are padded */
#define NIC_MAX_FRAME_LIMIT 16384u /* largest max_frame accepted (incl. FCS) */

typedef struct nic nic_t;

typedef struct nic_cfg {
    unsigned queues;        /* queue pairs, 1..128 */
    unsigned link_gbps;     /* 10, 25, 40, 100 or 400 */
    unsigned max_frame;     /* bytes incl. header and FCS (82599 MAXFRS.MFS);
                             * 0 = 1518; at most NIC_MAX_FRAME_LIMIT */
    uint64_t bar;           /* BAR base, physical, NIC_BAR_SIZE aligned */
    uint16_t rid;           /* requester id (bus << 8 | dev << 3 | fn) */
    pcie_link_t pcie;       /* this function's PCIe link; {0,0} = Gen3 x8 */
    unsigned msix_vectors;  /* 1..64; 0 = min(queues + 1, 64) */
    bool pasid_per_queue;   /* tag queue q's DMA with PASID pasid_base + q
                             * (the "queue-granular IOMMU" experiment);
                             * otherwise DMA is untagged */
    uint32_t pasid_base;
} nic_cfg_t;

/* Why a received frame was dropped. */
typedef enum nic_drop {
    NIC_DROP_NO_DESC = 0, /* ring empty (head == tail) or queue disabled */
    NIC_DROP_IOMMU,       /* a descriptor or payload DMA faulted (IOMMU
                           * fault, or an address outside memory) */
    NIC_DROP_OVERSIZE,    /* longer than the max frame size */
    NIC_DROP_FILTER,      /* a Flow Director filter with the drop action */
    NIC_DROP_OVERRUN,     /* RX packet buffer full: PCIe slower than the wire */
    NIC_DROP_KINDS
} nic_drop_t;

typedef struct nic_queue_stats {
    uint64_t rx_packets, rx_bytes;          /* delivered to the host */
    uint64_t rx_drops[NIC_DROP_KINDS];
    uint64_t tx_packets, tx_bytes;          /* put on the wire */
    uint64_t tx_errors;                     /* packets not sent: DMA fault,
                                             * malformed descriptors, oversize */
} nic_queue_stats_t;

typedef struct nic_stats {
    uint64_t guest_errors;     /* unknown registers, bad sizes, misuse */
    uint64_t rx_runts;         /* frames shorter than an Ethernet header */
    uint64_t fdir_match, fdir_miss;
    uint64_t desc_fetch_faults;/* descriptor fetches that faulted */
    uint64_t irqs_sent;        /* MSI-X messages handed to the bus */
} nic_stats_t;

/* An observer of the NIC's queues (the simulator's timeline, sim/tlrec.h):
 * told of each event below at sim_now, after the device's state changed.
 * None by default; with none, an event costs the device one branch.  The
 * observer must not call into the NIC.
 *
 * Ring fill, as the device sees it: RX events give the descriptors the
 * host holds (written back, not yet replaced by a fresh buffer): size - 1
 * minus those posted in [RDH, RDT), so 0 when every buffer a driver can
 * post (size - 1) is posted and size - 1 when none is (the next frame is
 * dropped); TX events give the descriptors posted and not yet completed,
 * [TDH, TDT).  Both 0 while the queue is disabled (size 0). */
typedef enum nic_event_kind {
    NIC_EV_RX = 0,   /* a frame delivered to queue q (arg: bytes without FCS) */
    NIC_EV_DROP,     /* a frame for queue q dropped (arg: nic_drop_t) */
    NIC_EV_RX_TAIL,  /* RDT of queue q written (arg: the new tail) */
    NIC_EV_TX_TAIL,  /* TDT of queue q written (arg: the new tail) */
    NIC_EV_TX,       /* a frame of queue q committed to the wire (arg: bytes) */
    NIC_EV_TX_DONE,  /* descriptors of queue q completed (arg: how many) */
    NIC_EV_KINDS
} nic_event_kind_t;

typedef struct nic_event {
    nic_event_kind_t kind;
    unsigned queue;
    uint32_t arg;
    uint32_t fill;   /* the ring's fill after the event (above) */
    uint32_t size;   /* the ring's descriptors; 0: queue disabled */
} nic_event_t;

typedef void (*nic_observer_fn)(void *ctx, const nic_event_t *ev);

/* Called for every transmitted frame (see "Time" above). */
typedef void (*nic_wire_tx_fn)(void *ctx, const uint8_t *frame, size_t len,
                               sim_time_t t_last_bit);

/* NULL on a bad config (queues, rate, max_frame, vectors) or when the bus
 * refuses the BAR.  costs gives pcie.msix and pcie.dma, which the NIC uses
 * to order its interrupts after its write-backs and to size its RX packet
 * buffer's drain time (NULL: 0); the DMA and MSI-X costs themselves are
 * charged by the bus.  The bus has no detach: destroy the NIC together
 * with its bus (either first) and run no event in between. */
nic_t *nic_create(sim_t *sim, pcie_t *bus, const struct cost_table *costs, const nic_cfg_t *cfg);
void nic_destroy(nic_t *nic);

void nic_set_wire_tx(nic_t *nic, nic_wire_tx_fn fn, void *ctx);
/* Install (fn NULL: remove) the queue observer. */
void nic_set_observer(nic_t *nic, nic_observer_fn fn, void *ctx);

/* A frame (without FCS) whose last bit arrives now. */
void nic_wire_rx(nic_t *nic, const uint8_t *frame, size_t len);

/* Time one frame of len bytes (without FCS) occupies a link of the given
 * rate, preamble, SFD and inter-frame gap included; 0 for an unsupported
 * rate. */
sim_time_t nic_wire_time(unsigned link_gbps, size_t len);

/* NULL when q is not a configured queue. */
const nic_queue_stats_t *nic_queue_stats(const nic_t *nic, unsigned q);
const nic_stats_t *nic_stats(const nic_t *nic);
const char *nic_drop_name(nic_drop_t d);

/* The Toeplitz hash of RSS (Microsoft RSS spec; 82599 7.1.2.8): for each
 * bit of data, MSB of data[0] first, that is set at bit index i, XOR in
 * the 32 key bits [i, i + 32).  Key bits past key_len are zero. */
uint32_t nic_rss_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len);

#endif
