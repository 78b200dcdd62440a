/* devices/bytes: byte copies of the sizes the device path moves most:
 * 2-4 byte status fields, 16-byte descriptors, 64-byte frames.
 *
 * Why not plain memcpy: at these sizes the call into the C library (PLT,
 * size dispatch) costs more than the copy, and GCC expands a memcpy of
 * unknown size into `rep movs`, slow to start below ~128 B (which is why
 * devices/mem.o is built with -fno-builtin-memcpy, see the Makefile).
 * bytes_copy() moves up to 64 bytes with at most four fixed-size moves
 * that may overlap (each a __builtin_memcpy of a constant size: one
 * unaligned load and store, whatever -fno-builtin says); longer copies go
 * to the library's memcpy.  Measured with tests/bench/bench_nic (see
 * README.md, Speed). */
#ifndef PARASIM_DEVICES_BYTES_H
#define PARASIM_DEVICES_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BYTES_SMALL 64u

#if defined(__GNUC__)
#define BYTES_MOVE(d, s, n) __builtin_memcpy((d), (s), (n))
#else
#define BYTES_MOVE(d, s, n) memcpy((d), (s), (n))
#endif

/* n <= BYTES_SMALL: fixed-size moves covering [0, n), overlapping in the
 * middle.  The buffers must not overlap each other. */
static inline void bytes_copy_small(uint8_t *d, const uint8_t *s, size_t n)
{
    if (n >= 16) {
        if (n > 32) {
            BYTES_MOVE(d, s, 16);
            BYTES_MOVE(d + 16, s + 16, 16);
            BYTES_MOVE(d + n - 32, s + n - 32, 16);
        } else {
            BYTES_MOVE(d, s, 16);
        }
        BYTES_MOVE(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        BYTES_MOVE(d, s, 8);
        BYTES_MOVE(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        BYTES_MOVE(d, s, 4);
        BYTES_MOVE(d + n - 4, s + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

/* memcpy(d, s, n) for non-overlapping buffers. */
static inline void bytes_copy(void *d, const void *s, size_t n)
{
    if (n <= BYTES_SMALL)
        bytes_copy_small(d, s, n);
    else
        memcpy(d, s, n);
}

#endif
