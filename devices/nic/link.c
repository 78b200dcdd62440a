/* devices/nic/link.c: the Ethernet link, serialisation on the wire.
 *
 * Physics only (IEEE 802.3 clauses 4 and 35): a frame of len bytes without
 * FCS is padded to the 60-byte minimum, gets its 4-byte FCS, and is
 * preceded by 7 bytes of preamble and the SFD and followed by the 12-byte
 * minimum inter-frame gap: max(len, 60) + 24 bytes of wire time.  At R Gb/s
 * a byte takes 8000 / R ps, an integer for every supported rate (800, 320,
 * 200, 80, 20 ps at 10, 25, 40, 100, 400 GbE): a 64-byte frame takes
 * 84 * 200 ps = 16.8 ns at 40 GbE.
 *
 * The transmit side is one serial resource: frames are put on the wire in
 * the order the transmit engine commits them, each starting when both its
 * data is in the NIC and the previous frame's gap is over.  The TX packet
 * buffer bounds how far ahead of the wire the engine may fetch data
 * (tx_pb_time: the wire time of TX_PB_BYTES). */
#include "devices/nic/nic_int.h"

#define PREAMBLE_SFD_BYTES 8u
#define IFG_BYTES 12u
#define MIN_FRAME_NO_FCS (NIC_MIN_FRAME - NIC_FCS_BYTES)
#define PS_PER_BIT_GBPS 1000u /* 1 bit at 1 Gb/s = 1000 ps */
#define BITS_PER_BYTE 8u

static sim_time_t ps_per_byte(unsigned gbps)
{
    switch (gbps) {
    case 10:
    case 25:
    case 40:
    case 100:
    case 400:
        return BITS_PER_BYTE * PS_PER_BIT_GBPS / gbps;
    default:
        return 0;
    }
}

static size_t wire_bytes(size_t len)
{
    size_t framed = len < MIN_FRAME_NO_FCS ? MIN_FRAME_NO_FCS : len;
    return framed + NIC_FCS_BYTES + PREAMBLE_SFD_BYTES + IFG_BYTES;
}

sim_time_t nic_wire_time(unsigned link_gbps, size_t len)
{
    return ps_per_byte(link_gbps) * wire_bytes(len);
}

int nic_link_init(nic_t *n)
{
    n->wire_ps_per_byte = ps_per_byte(n->cfg.link_gbps);
    if (!n->wire_ps_per_byte)
        return -1;
    n->tx_pb_time = n->wire_ps_per_byte * TX_PB_BYTES;
    n->rx_pb_drain = pcie_wire_time(n->cfg.pcie, RX_PB_BYTES);
    n->wire_free = 0;
    return 0;
}

sim_time_t nic_link_send(nic_t *n, size_t len, sim_time_t ready)
{
    sim_time_t start = tmax(ready, n->wire_free);
    n->wire_free = start + n->wire_ps_per_byte * wire_bytes(len);
    /* The last bit leaves before the gap that follows it. */
    return n->wire_free - n->wire_ps_per_byte * IFG_BYTES;
}

sim_time_t nic_link_backlog(const nic_t *n)
{
    sim_time_t now = sim_now(n->sim);
    return n->wire_free > now ? n->wire_free - now : 0;
}
