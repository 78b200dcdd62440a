/* sim/png: PNG encoding with zlib (see the header).  Chunk layout from the
 * PNG spec, section 5.3: length (4 bytes, big-endian, of the data only),
 * type (4 ASCII bytes), data, CRC-32 over type and data. */
#include "sim/png.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PNG_LEVEL 6           /* zlib's default trade-off; fixed for same bytes */
#define PNG_MAX_DIM 32768

static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Append one chunk at *pos of buf (room checked by the caller). */
static void chunk(uint8_t *buf, size_t *pos, const char type[4], const uint8_t *data,
                  size_t len)
{
    uint8_t *p = buf + *pos;
    put32(p, (uint32_t)len);
    memcpy(p + 4, type, 4);
    if (len)
        memcpy(p + 8, data, len);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, p + 4, (uInt)(4 + len));
    put32(p + 8 + len, (uint32_t)crc);
    *pos += 12 + len;
}

/* Rows as the PNG filter stage gives them: a filter byte (0, None) and
 * R, G, B per pixel. */
static uint8_t *raw_rows(const uint32_t *px, int w, int h, size_t *len)
{
    size_t stride = 1 + 3 * (size_t)w;
    uint8_t *raw = malloc(stride * (size_t)h);
    if (!raw)
        return NULL;
    for (int y = 0; y < h; y++) {
        uint8_t *r = raw + (size_t)y * stride;
        const uint32_t *s = px + (size_t)y * (size_t)w;
        r[0] = 0;
        for (int x = 0; x < w; x++) {
            r[1 + 3 * x] = (uint8_t)(s[x] >> 16);
            r[2 + 3 * x] = (uint8_t)(s[x] >> 8);
            r[3 + 3 * x] = (uint8_t)s[x];
        }
    }
    *len = stride * (size_t)h;
    return raw;
}

int png_encode(const uint32_t *px, int w, int h, uint8_t **out, size_t *len, char *err,
               size_t errlen)
{
    *out = NULL;
    *len = 0;
    if (w < 1 || h < 1 || w > PNG_MAX_DIM || h > PNG_MAX_DIM) {
        snprintf(err, errlen, "png: bad image size %dx%d", w, h);
        return -1;
    }
    size_t rawlen = 0;
    uint8_t *raw = raw_rows(px, w, h, &rawlen);
    uLongf zlen = compressBound((uLong)rawlen);
    uint8_t *buf = raw ? malloc(sizeof signature + 3 * 12 + 13 + zlen) : NULL;
    uint8_t *z = buf ? malloc(zlen) : NULL;
    if (!z || compress2(z, &zlen, raw, (uLong)rawlen, PNG_LEVEL) != Z_OK) {
        snprintf(err, errlen, "png: out of memory for a %dx%d image", w, h);
        free(raw);
        free(buf);
        free(z);
        return -1;
    }
    uint8_t ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* colour type: truecolour */
    ihdr[10] = 0; /* compression: deflate */
    ihdr[11] = 0; /* filter method 0 */
    ihdr[12] = 0; /* no interlace */
    size_t pos = sizeof signature;
    memcpy(buf, signature, pos);
    chunk(buf, &pos, "IHDR", ihdr, sizeof ihdr);
    chunk(buf, &pos, "IDAT", z, zlen);
    chunk(buf, &pos, "IEND", NULL, 0);
    free(raw);
    free(z);
    *out = buf;
    *len = pos;
    return 0;
}

int png_write(const char *path, const uint32_t *px, int w, int h, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    char e[256];
    if (png_encode(px, w, h, &data, &len, e, sizeof e)) {
        snprintf(err, errlen, "%s: %s", path, e);
        return -1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f))
        ok = 0;
    free(data);
    if (!ok || rename(tmp, path)) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}
