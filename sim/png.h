/* sim/png: a PNG encoder (ISO/IEC 15948, the PNG spec) for the viewer's
 * headless output.
 *
 * Writes 8-bit truecolour (colour type 2, no alpha: the pixels are opaque)
 * from 0xAARRGGBB pixels, rows top to bottom: the signature, IHDR, one
 * IDAT (every row with filter type 0, the whole image deflated by zlib at
 * a fixed level) and IEND, each chunk's CRC-32 from zlib's crc32().  No
 * time or text chunk: the same pixels always give the same bytes.
 *
 * Errors: 0 or -1 with a one-line message in err ("FILE: what"). */
#ifndef PARASIM_SIM_PNG_H
#define PARASIM_SIM_PNG_H

#include <stddef.h>
#include <stdint.h>

/* The whole file in *out (malloc'd, the caller frees) and its length. */
int png_encode(const uint32_t *px, int w, int h, uint8_t **out, size_t *len, char *err,
               size_t errlen);
/* Encode and write to path (through path.tmp, renamed when complete). */
int png_write(const char *path, const uint32_t *px, int w, int h, char *err, size_t errlen);

#endif
