/* kernel/drv_util.h: small helpers shared by the three drivers
 * (drv_nic.c, drv_nvme.c, drv_iommu.c); private to them.
 *
 * Devices see little-endian memory (PCIe is little-endian; descriptor and
 * table formats are defined byte by byte), so descriptors are assembled in
 * byte arrays with explicit little-endian stores and copied to physical
 * memory with hal_mem_write, as a kernel on any host byte order would.
 * drv_fail() formats a boot error: "<what><number><tail>". */
#ifndef PARAKERNEL_DRV_UTIL_H
#define PARAKERNEL_DRV_UTIL_H

#include "k.h"

#define DRV_PAGE 4096u

/* MSI message (Intel SDM vol. 3, 11.11): address 0xFEE00000 | APIC id
 * << 12, data = vector (fixed delivery, edge); the cores' APIC ids are
 * their indices. */
#define MSI_ADDR_BASE 0xFEE00000u
#define MSI_ADDR(core) (MSI_ADDR_BASE | ((uint32_t)(core) & 0xFFu) << 12)

static inline void drv_put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static inline void drv_put32(uint8_t *b, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static inline void drv_put64(uint8_t *b, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t drv_get16(const uint8_t *b)
{
    return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t drv_get32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t drv_get64(const uint8_t *b)
{
    return (uint64_t)drv_get32(b) | (uint64_t)drv_get32(b + 4) << 32;
}

/* Big-endian 32-bit value of 4 network-order bytes. */
static inline uint32_t drv_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t drv_round_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* 32-bit little-endian load from physical memory (0 when unreadable). */
static inline uint32_t drv_mem_read32(uint64_t pa)
{
    uint8_t b[4] = { 0, 0, 0, 0 };
    hal_mem_read_fast(pa, b, sizeof b);
    return drv_get32(b);
}

static inline int drv_mem_write32(uint64_t pa, uint32_t v)
{
    uint8_t b[4];
    drv_put32(b, v);
    return hal_mem_write_fast(pa, b, sizeof b);
}

static inline int drv_mem_write64(uint64_t pa, uint64_t v)
{
    uint8_t b[8];
    drv_put64(b, v);
    return hal_mem_write_fast(pa, b, sizeof b);
}

static inline uint64_t drv_mem_read64(uint64_t pa)
{
    uint8_t b[8] = { 0 };
    hal_mem_read_fast(pa, b, sizeof b);
    return drv_get64(b);
}

/* Page-aligned, page-rounded kernel memory (so that what is mapped for a
 * device or a process never shares a page with other kernel data); 0
 * when the kernel region is exhausted. */
static inline uint64_t drv_alloc_pages(uint64_t bytes)
{
    return k_alloc(drv_round_up(bytes ? bytes : 1, DRV_PAGE), DRV_PAGE);
}

/* Boot error "<what>"; returns -1. */
static inline int drv_fail0(char *err, size_t errlen, const char *what)
{
    k_msg_t m;
    k_msg_init(&m, err, errlen);
    k_msg_str(&m, what);
    return -1;
}

/* Boot error "<what><n><tail>"; returns -1. */
static inline int drv_fail(char *err, size_t errlen, const char *what, uint64_t n,
                           const char *tail)
{
    k_msg_t m;
    k_msg_init(&m, err, errlen);
    k_msg_str(&m, what);
    k_msg_u64(&m, n);
    k_msg_str(&m, tail);
    return -1;
}

#endif
