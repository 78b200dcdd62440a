/* workloads/report: what an application reports beyond wl_app_stats_t
 * (results.json, processes[].report).
 *
 * An application fills a wl_report_t with named values; the platform
 * turns it into JSON.  Keys are dotted paths ("read.iops" becomes
 * {"read": {"iops": ...}}), at most WL_REPORT_KEY-1 bytes, made of
 * [a-z0-9_.]; a key given twice keeps its first value.  A histogram entry
 * is reported as latency percentiles in ns (count, mean, p50, p90, p99,
 * p99.9, p99.99, max: the same shape as the top-level latency_ns); the
 * histogram must outlive the report (it is read when the platform writes
 * the results).  More than WL_REPORT_MAX entries are dropped and counted
 * in `dropped` (the platform reports that too, never silently). */
#ifndef PARASIM_WORKLOADS_REPORT_H
#define PARASIM_WORKLOADS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "model/hist.h"

#define WL_REPORT_MAX 64
#define WL_REPORT_KEY 48

typedef enum wl_report_kind { WL_REPORT_U64, WL_REPORT_NUM, WL_REPORT_STR, WL_REPORT_HIST } wl_report_kind_t;

typedef struct wl_report_entry {
    char key[WL_REPORT_KEY];
    wl_report_kind_t kind;
    uint64_t u64;
    double num;
    char str[32];
    const hist_t *hist;          /* values in ps */
} wl_report_entry_t;

typedef struct wl_report {
    size_t n;
    size_t dropped;
    wl_report_entry_t e[WL_REPORT_MAX];
} wl_report_t;

void wl_report_init(wl_report_t *r);
void wl_report_u64(wl_report_t *r, const char *key, uint64_t v);
void wl_report_num(wl_report_t *r, const char *key, double v);
void wl_report_str(wl_report_t *r, const char *key, const char *v);
void wl_report_hist(wl_report_t *r, const char *key, const hist_t *h_ps);

#endif
