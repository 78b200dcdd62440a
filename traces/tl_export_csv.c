/* traces/tl_export_csv: a timeline's spans, counters or instants as CSV
 * (the columns are in traces/tl_export.h). */
#include "traces/tl_export_int.h"

/* track,name,label, */
static void track_cols(tl_out_t *o, const tl_timeline_t *t, uint32_t k)
{
    tl_out_u64(o, k);
    tl_out_c(o, ',');
    tl_out_csv_str(o, t->tracks[k].name);
    tl_out_c(o, ',');
    tl_out_csv_str(o, t->tracks[k].label);
    tl_out_c(o, ',');
}

static void field_str(tl_out_t *o, const char *s)
{
    tl_out_csv_str(o, s);
    tl_out_c(o, ',');
}

static void spans(tl_out_t *o, const tl_timeline_t *t, tl_window_t w)
{
    TL_OUT_LIT(o, "track,name,label,t0_ps,t1_ps,dur_ps,mode,what,pid,arg\n");
    for (size_t j = 0; j < t->nspans; j++) {
        const tl_span_t *s = &t->spans[j];
        uint64_t t0 = s->t0, t1 = s->t1;
        if (!tl_window_span(w, &t0, &t1))
            continue;
        track_cols(o, t, s->track);
        tl_out_u64(o, t0);
        tl_out_c(o, ',');
        tl_out_u64(o, t1);
        tl_out_c(o, ',');
        tl_out_u64(o, t1 - t0);
        tl_out_c(o, ',');
        field_str(o, tl_mode_name((tl_mode_t)s->mode));
        field_str(o, tl_what_name((tl_what_t)s->what));
        if (s->pid != TL_NO_PID)
            tl_out_u64(o, s->pid);
        tl_out_c(o, ',');
        tl_out_u64(o, s->arg);
        tl_out_c(o, '\n');
        o->records++;
    }
}

typedef struct csv_ctx {
    tl_out_t *o;
    const tl_timeline_t *t;
} csv_ctx_t;

static void counter(void *ctx, const tl_counter_t *c, uint64_t when)
{
    csv_ctx_t *x = ctx;
    track_cols(x->o, x->t, c->track);
    tl_out_u64(x->o, when);
    tl_out_c(x->o, ',');
    tl_out_i64(x->o, c->value);
    tl_out_c(x->o, '\n');
    x->o->records++;
}

static void counters(tl_out_t *o, const tl_timeline_t *t, tl_window_t w)
{
    csv_ctx_t x = {o, t};
    TL_OUT_LIT(o, "track,name,label,t_ps,value\n");
    for (size_t k = 0; k < t->ntracks; k++)
        tl_window_counters(t, k, w, counter, &x);
}

static void instants(tl_out_t *o, const tl_timeline_t *t, tl_window_t w)
{
    TL_OUT_LIT(o, "track,name,label,t_ps,kind,arg\n");
    for (size_t j = 0; j < t->ninstants; j++) {
        const tl_instant_t *i = &t->instants[j];
        if (!tl_window_has(w, i->t))
            continue;
        track_cols(o, t, i->track);
        tl_out_u64(o, i->t);
        tl_out_c(o, ',');
        field_str(o, tl_instant_name((tl_instant_kind_t)i->kind));
        tl_out_u64(o, i->arg);
        tl_out_c(o, '\n');
        o->records++;
    }
}

static int csv(const tl_timeline_t *t, tl_out_t *o, const tl_export_opts_t *opts, char *err,
               size_t errlen)
{
    tl_window_t w = tl_window(opts);
    switch (opts ? opts->what : TL_EXPORT_SPANS) {
    case TL_EXPORT_COUNTERS: counters(o, t, w); break;
    case TL_EXPORT_INSTANTS: instants(o, t, w); break;
    default: spans(o, t, w); break;
    }
    return tl_out_close(o, err, errlen);
}

int tl_export_csv(const tl_timeline_t *t, const char *path, const tl_export_opts_t *opts,
                  char *err, size_t errlen)
{
    tl_out_t *o = tl_out_open(path, err, errlen);
    return o ? csv(t, o, opts, err, errlen) : -1;
}

int tl_export_csv_stream(const tl_timeline_t *t, FILE *f, const char *name,
                         const tl_export_opts_t *opts, char *err, size_t errlen)
{
    tl_out_t *o = tl_out_stream(f, name, err, errlen);
    return o ? csv(t, o, opts, err, errlen) : -1;
}
