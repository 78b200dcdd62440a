/* kernel/klib.c: the few library routines the freestanding kernel needs.
 *
 * Contract (k.h, "klib"): k_memcpy/k_memset behave as memcpy/memset (the
 * compiler's builtins, which may become calls to memcpy/memset: the only
 * libc symbols `make kernel-freestanding` allows); k_msg_* append to a
 * bounded message buffer for boot errors.
 *
 * Invariant: a k_msg_t's buffer is always NUL-terminated (when cap > 0)
 * and len < cap; appending past the end truncates silently, so a message
 * can never overrun the caller's buffer.  No libc: no printf, no strlen. */
#include "k.h"

void *k_memcpy(void *dst, const void *src, size_t n)
{
    return __builtin_memcpy(dst, src, n);
}

void *k_memset(void *dst, int c, size_t n)
{
    return __builtin_memset(dst, c, n);
}

void k_msg_init(k_msg_t *m, char *buf, size_t cap)
{
    m->buf = buf;
    m->len = 0;
    m->cap = buf ? cap : 0;
    if (m->cap)
        buf[0] = '\0';
}

static void msg_putc(k_msg_t *m, char c)
{
    if (m->len + 1 >= m->cap)
        return; /* full: truncate, keep the terminator */
    m->buf[m->len++] = c;
    m->buf[m->len] = '\0';
}

void k_msg_str(k_msg_t *m, const char *s)
{
    if (!s)
        s = "(null)";
    while (*s)
        msg_putc(m, *s++);
}

static void msg_digits(k_msg_t *m, uint64_t v, unsigned base)
{
    char tmp[20]; /* 2^64 - 1 has 20 decimal digits, 16 hex */
    unsigned n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n)
        msg_putc(m, tmp[--n]);
}

void k_msg_u64(k_msg_t *m, uint64_t v)
{
    msg_digits(m, v, 10);
}

void k_msg_hex(k_msg_t *m, uint64_t v)
{
    k_msg_str(m, "0x");
    msg_digits(m, v, 16);
}
