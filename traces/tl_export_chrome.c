/* traces/tl_export_chrome: a timeline as Chrome trace-event JSON (the
 * layout is in traces/tl_export.h).  Events are printed one per line by
 * hand into the buffered output, never through a JSON tree. */
#include "traces/tl_export_int.h"

#include <stdlib.h>
#include <string.h>

#define JSON_SAFE_INT 9007199254740991ull /* 2^53 - 1 */

/* Where each track goes: its pid and tid, and for device tracks their
 * group (the first word of the name). */
typedef struct layout {
    const tl_timeline_t *t;
    uint64_t *pid, *tid;     /* [ntracks] */
    size_t *group;           /* [ntracks]: group rank (device tracks) */
    size_t *group_track;     /* [ngroups]: a track naming the group */
    size_t ngroups, ncores;
} layout_t;

/* Length of the first word of a track name (the whole name if one word). */
static size_t group_len(const char *name)
{
    const char *sp = strchr(name, ' ');
    return sp ? (size_t)(sp - name) : strlen(name);
}

static bool same_group(const char *a, const char *b)
{
    size_t n = group_len(a);
    return n == group_len(b) && !memcmp(a, b, n);
}

static void layout_free(layout_t *l)
{
    free(l->pid);
    free(l->tid);
    free(l->group);
    free(l->group_track);
}

static int layout_build(layout_t *l, const tl_timeline_t *t)
{
    size_t n = t->ntracks ? t->ntracks : 1;
    *l = (layout_t){.t = t};
    l->pid = calloc(n, sizeof *l->pid);
    l->tid = calloc(n, sizeof *l->tid);
    l->group = calloc(n, sizeof *l->group);
    l->group_track = calloc(n, sizeof *l->group_track);
    if (!l->pid || !l->tid || !l->group || !l->group_track)
        return -1;
    for (size_t k = 0; k < t->ntracks; k++) {
        const tl_track_t *tr = &t->tracks[k];
        if (tr->kind == TL_TRACK_CORE) {
            l->pid[k] = l->tid[k] = k + 1;
            l->ncores++;
            continue;
        }
        size_t g = 0;
        while (g < l->ngroups && !same_group(t->tracks[l->group_track[g]].name, tr->name))
            g++;
        if (g == l->ngroups)
            l->group_track[l->ngroups++] = k;
        l->group[k] = g;
        l->pid[k] = t->ntracks + 1 + g;
        l->tid[k] = k + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- pieces */

/* {"ph":"PH","pid":P,"tid":T  (the caller goes on and closes), after
 * ",\n" unless it is the first event */
static void ev_head(tl_out_t *o, char ph, uint64_t pid, uint64_t tid)
{
    if (o->records++)
        TL_OUT_LIT(o, ",\n");
    TL_OUT_LIT(o, "{\"ph\":\"");
    tl_out_c(o, ph);
    TL_OUT_LIT(o, "\",\"pid\":");
    tl_out_u64(o, pid);
    TL_OUT_LIT(o, ",\"tid\":");
    tl_out_u64(o, tid);
}

/* A JSON integer, or a string of digits beyond 2^53 - 1. */
static void json_u64(tl_out_t *o, uint64_t v)
{
    if (v <= JSON_SAFE_INT) {
        tl_out_u64(o, v);
    } else {
        tl_out_c(o, '"');
        tl_out_u64(o, v);
        tl_out_c(o, '"');
    }
}

/* ,"KEY":V */
static void arg_u64(tl_out_t *o, const char *key, uint64_t v)
{
    TL_OUT_LIT(o, ",\"");
    tl_out_put(o, key, strlen(key));
    TL_OUT_LIT(o, "\":");
    json_u64(o, v);
}

/* A metadata event: {"ph":"M",...,"name":"WHAT","args":{"KEY":<value>}} */
static void meta_str(tl_out_t *o, uint64_t pid, uint64_t tid, const char *what, const char *key,
                     const char *value)
{
    ev_head(o, 'M', pid, tid);
    TL_OUT_LIT(o, ",\"name\":\"");
    tl_out_put(o, what, strlen(what));
    TL_OUT_LIT(o, "\",\"args\":{\"");
    tl_out_put(o, key, strlen(key));
    TL_OUT_LIT(o, "\":");
    tl_out_json_str(o, value);
    TL_OUT_LIT(o, "}}");
}

static void meta_sort(tl_out_t *o, uint64_t pid, uint64_t tid, uint64_t rank)
{
    ev_head(o, 'M', pid, tid);
    TL_OUT_LIT(o, ",\"name\":\"process_sort_index\",\"args\":{\"sort_index\":");
    tl_out_u64(o, rank);
    TL_OUT_LIT(o, "}}");
}

static void metadata(tl_out_t *o, const layout_t *l)
{
    const tl_timeline_t *t = l->t;
    size_t rank = 0;
    for (size_t k = 0; k < t->ntracks; k++) {
        const tl_track_t *tr = &t->tracks[k];
        if (tr->kind != TL_TRACK_CORE)
            continue;
        char fallback[32];
        snprintf(fallback, sizeof fallback, "core %zu", rank);
        const char *name = tr->name[0] ? tr->name : fallback;
        meta_str(o, l->pid[k], l->tid[k], "process_name", "name", name);
        if (tr->label[0])
            meta_str(o, l->pid[k], l->tid[k], "process_labels", "labels", tr->label);
        meta_sort(o, l->pid[k], l->tid[k], rank++);
        meta_str(o, l->pid[k], l->tid[k], "thread_name", "name", tr->label[0] ? tr->label : name);
    }
    for (size_t g = 0; g < l->ngroups; g++) {
        size_t k = l->group_track[g];
        char name[TL_NAME_MAX];
        size_t n = group_len(t->tracks[k].name);
        memcpy(name, t->tracks[k].name, n);
        name[n] = '\0';
        meta_str(o, l->pid[k], l->pid[k], "process_name", "name", n ? name : "devices");
        meta_sort(o, l->pid[k], l->pid[k], l->ncores + g);
    }
    for (size_t k = 0; k < t->ntracks; k++)
        if (t->tracks[k].kind == TL_TRACK_INSTANT)
            meta_str(o, l->pid[k], l->tid[k], "thread_name", "name", t->tracks[k].name);
}

/* ---------------------------------------------------------------- events */

static const char *span_arg_key(unsigned what)
{
    switch (what) {
    case TL_WHAT_APP: return "request";
    case TL_WHAT_SYSCALL: return "sqes";
    case TL_WHAT_IRQ: return "vector";
    default: return "arg";
    }
}

static void quoted_name(tl_out_t *o, const char *s)
{
    tl_out_c(o, '"');
    tl_out_put(o, s, strlen(s));
    tl_out_c(o, '"');
}

static void span(tl_out_t *o, const layout_t *l, const tl_span_t *s, uint64_t t0, uint64_t t1)
{
    const char *mode = tl_mode_name((tl_mode_t)s->mode);
    const char *what = tl_what_name((tl_what_t)s->what);
    ev_head(o, 'X', l->pid[s->track], l->tid[s->track]);
    TL_OUT_LIT(o, ",\"ts\":");
    tl_out_us(o, t0);
    TL_OUT_LIT(o, ",\"dur\":");
    tl_out_us(o, t1 - t0);
    TL_OUT_LIT(o, ",\"name\":");
    quoted_name(o, mode);
    TL_OUT_LIT(o, ",\"cat\":");
    quoted_name(o, what);
    TL_OUT_LIT(o, ",\"args\":{\"mode\":");
    quoted_name(o, mode);
    TL_OUT_LIT(o, ",\"what\":");
    quoted_name(o, what);
    if (s->pid != TL_NO_PID)
        arg_u64(o, "pid", s->pid);
    arg_u64(o, span_arg_key(s->what), s->arg);
    TL_OUT_LIT(o, "}}");
}

typedef struct chrome_ctx {
    tl_out_t *o;
    const layout_t *l;
} chrome_ctx_t;

static void counter(void *ctx, const tl_counter_t *c, uint64_t t)
{
    tl_out_t *o = ((chrome_ctx_t *)ctx)->o;
    const layout_t *l = ((chrome_ctx_t *)ctx)->l;
    ev_head(o, 'C', l->pid[c->track], l->pid[c->track]);
    TL_OUT_LIT(o, ",\"ts\":");
    tl_out_us(o, t);
    TL_OUT_LIT(o, ",\"name\":");
    tl_out_json_str(o, l->t->tracks[c->track].name);
    TL_OUT_LIT(o, ",\"args\":{\"value\":");
    tl_out_i64(o, c->value);
    TL_OUT_LIT(o, "}}");
}

static void instant(tl_out_t *o, const layout_t *l, const tl_instant_t *i)
{
    ev_head(o, 'i', l->pid[i->track], l->tid[i->track]);
    TL_OUT_LIT(o, ",\"ts\":");
    tl_out_us(o, i->t);
    TL_OUT_LIT(o, ",\"name\":");
    quoted_name(o, tl_instant_name((tl_instant_kind_t)i->kind));
    if (i->kind == TL_INST_IOMMU_FAULT)
        TL_OUT_LIT(o, ",\"s\":\"g\"");
    else
        TL_OUT_LIT(o, ",\"s\":\"t\"");
    TL_OUT_LIT(o, ",\"args\":{\"track\":");
    tl_out_json_str(o, l->t->tracks[i->track].name);
    switch (i->kind) {
    case TL_INST_IOMMU_FAULT:
        arg_u64(o, "requester", i->arg);
        break;
    case TL_INST_DROP:
        arg_u64(o, "queue", i->arg >> 8);
        arg_u64(o, "cause", i->arg & 0xff);
        break;
    case TL_INST_RX_FRAME:
    case TL_INST_TX_FRAME:
    case TL_INST_DOORBELL:
    case TL_INST_NVME_CQE:
        arg_u64(o, "queue", i->arg);
        break;
    default:
        arg_u64(o, "arg", i->arg);
        break;
    }
    TL_OUT_LIT(o, "}}");
}

static void events(tl_out_t *o, const layout_t *l, tl_window_t w)
{
    const tl_timeline_t *t = l->t;
    for (size_t k = 0; k < t->ntracks; k++) {
        for (size_t j = t->span_first[k]; j < t->span_first[k + 1]; j++) {
            uint64_t t0 = t->spans[j].t0, t1 = t->spans[j].t1;
            if (tl_window_span(w, &t0, &t1))
                span(o, l, &t->spans[j], t0, t1);
        }
        tl_window_counters(t, k, w, counter, &(chrome_ctx_t){o, l});
        for (size_t j = t->instant_first[k]; j < t->instant_first[k + 1]; j++)
            if (tl_window_has(w, t->instants[j].t))
                instant(o, l, &t->instants[j]);
    }
}

/* ---------------------------------------------------------------- trailer */

static bool meta_seen(const tl_timeline_t *t, size_t i)
{
    if (!strcmp(t->meta[i][0], "t_from_ps") || !strcmp(t->meta[i][0], "t_to_ps"))
        return true;
    for (size_t j = 0; j < i; j++)
        if (!strcmp(t->meta[j][0], t->meta[i][0]))
            return true;
    return false;
}

static void trailer(tl_out_t *o, const tl_timeline_t *t)
{
    if (o->records)
        tl_out_c(o, '\n');
    TL_OUT_LIT(o, "],\n");
    TL_OUT_LIT(o, "\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"t_from_ps\":\"");
    tl_out_u64(o, t->t_from_ps);
    TL_OUT_LIT(o, "\",\"t_to_ps\":\"");
    tl_out_u64(o, t->t_to_ps);
    tl_out_c(o, '"');
    for (size_t i = 0; i < t->nmeta; i++) {
        if (meta_seen(t, i))
            continue;
        tl_out_c(o, ',');
        tl_out_json_str(o, t->meta[i][0]);
        tl_out_c(o, ':');
        tl_out_json_str(o, t->meta[i][1]);
    }
    TL_OUT_LIT(o, "}}\n");
}

static int chrome(const tl_timeline_t *t, tl_out_t *o, const tl_export_opts_t *opts, char *err,
                  size_t errlen)
{
    layout_t l;
    if (layout_build(&l, t)) {
        layout_free(&l);
        snprintf(err, errlen, "%s: out of memory", o->name);
        tl_out_abort(o);
        return -1;
    }
    TL_OUT_LIT(o, "{\"traceEvents\":[\n");
    metadata(o, &l);
    events(o, &l, tl_window(opts));
    trailer(o, t);
    layout_free(&l);
    return tl_out_close(o, err, errlen);
}

int tl_export_chrome(const tl_timeline_t *t, const char *path, const tl_export_opts_t *opts,
                     char *err, size_t errlen)
{
    tl_out_t *o = tl_out_open(path, err, errlen);
    return o ? chrome(t, o, opts, err, errlen) : -1;
}

int tl_export_chrome_stream(const tl_timeline_t *t, FILE *f, const char *name,
                            const tl_export_opts_t *opts, char *err, size_t errlen)
{
    tl_out_t *o = tl_out_stream(f, name, err, errlen);
    return o ? chrome(t, o, opts, err, errlen) : -1;
}
