/* workloads/app_int.h: helpers shared by the applications of workloads/
 * (folder-private; the platform sees workloads/app.h).
 *
 * Parameters arrive as (key, value) strings (app.h).  wl_param_u64 reads
 * one unsigned number, decimal or 0x hexadecimal, with a range check, so
 * every application refuses bad values with the same kind of one-line
 * message: "<app>: parameter <key>: expected <lo>..<hi>, found '<value>'". */
#ifndef PARASIM_WORKLOADS_APP_INT_H
#define PARASIM_WORKLOADS_APP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/app.h"

/* The value of `key` (the last one given wins), or NULL. */
const char *wl_param_get(const wl_param_t *params, size_t n, const char *key);

/* *out = the value of `key` in [lo, hi], or def when absent (*given says
 * which; given may be NULL).  0, or -1 with the message in err. */
int wl_param_u64(const char *app, const wl_param_t *params, size_t n, const char *key,
                 uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out, bool *given, char *err,
                 size_t errlen);

#endif
