/* workloads/app.c: the registry of applications parasim can host as
 * parakernel processes (workloads/app.h), and the parameter helpers of
 * workloads/app_int.h.
 *
 * Contract: wl_app_find returns the application of that exact name or
 * NULL; wl_app_names lists them as "a|b" for error messages.  Adding an
 * application: declare its wl_app_t in its header and add it to apps[]. */
#include "workloads/app.h"

#include <stdio.h>
#include <string.h>

#include "workloads/app_int.h"
#include "workloads/attacker.h"
#include "workloads/blkio.h"
#include "workloads/echo.h"

static const wl_app_t *const apps[] = {&wl_app_echo, &wl_app_attacker, &wl_app_blkio};
#define NAPPS (sizeof apps / sizeof apps[0])

const wl_app_t *wl_app_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NAPPS; i++)
        if (strcmp(apps[i]->name, name) == 0)
            return apps[i];
    return NULL;
}

const char *wl_app_names(void)
{
    return "echo|attacker|blkio";
}

const char *wl_param_get(const wl_param_t *params, size_t n, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (params[i].key && strcmp(params[i].key, key) == 0)
            v = params[i].value;
    return v;
}

static int digit(char c, unsigned base)
{
    unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                        : 99u;
    return d < base ? (int)d : -1;
}

/* Decimal or 0x hexadecimal, the whole string: digits only (no sign, no
 * blanks), at most UINT64_MAX.  0 or -1. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (!s)
        return -1;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        int d = digit(*s, base);
        if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
            return -1;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

int wl_param_u64(const char *app, const wl_param_t *params, size_t n, const char *key,
                 uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out, bool *given, char *err,
                 size_t errlen)
{
    const char *v = wl_param_get(params, n, key);
    if (given)
        *given = v != NULL;
    if (!v) {
        *out = def;
        return 0;
    }
    uint64_t x = 0;
    if (parse_u64(v, &x) < 0 || x < lo || x > hi) {
        snprintf(err, errlen,
                 "%s: parameter %s: expected %llu..%llu (decimal or 0x hex), found '%s'", app,
                 key, (unsigned long long)lo, (unsigned long long)hi, v);
        return -1;
    }
    *out = x;
    return 0;
}
