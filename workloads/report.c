/* workloads/report.c: filling a wl_report_t (workloads/report.h). */
#include "workloads/report.h"

#include <stdio.h>
#include <string.h>

void wl_report_init(wl_report_t *r)
{
    r->n = 0;
    r->dropped = 0;
}

static wl_report_entry_t *slot(wl_report_t *r, const char *key, wl_report_kind_t kind)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->e[i].key, key) == 0)
            return NULL;
    if (r->n == WL_REPORT_MAX || strlen(key) >= WL_REPORT_KEY) {
        r->dropped++;
        return NULL;
    }
    wl_report_entry_t *e = &r->e[r->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
    e->kind = kind;
    return e;
}

void wl_report_u64(wl_report_t *r, const char *key, uint64_t v)
{
    wl_report_entry_t *e = slot(r, key, WL_REPORT_U64);
    if (e)
        e->u64 = v;
}

void wl_report_num(wl_report_t *r, const char *key, double v)
{
    wl_report_entry_t *e = slot(r, key, WL_REPORT_NUM);
    if (e)
        e->num = v;
}

void wl_report_str(wl_report_t *r, const char *key, const char *v)
{
    wl_report_entry_t *e = slot(r, key, WL_REPORT_STR);
    if (e)
        snprintf(e->str, sizeof e->str, "%s", v);
}

void wl_report_hist(wl_report_t *r, const char *key, const hist_t *h_ps)
{
    wl_report_entry_t *e = slot(r, key, WL_REPORT_HIST);
    if (e)
        e->hist = h_ps;
}
