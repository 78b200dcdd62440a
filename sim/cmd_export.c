/* sim/cmd_export: the `parasim export` command (sim/cmd_export.h). */
#include "sim/cmd_export.h"

#include "traces/timeline.h"
#include "traces/tl_export.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define EXIT_USAGE 2

static const char usage_export[] =
    "usage: parasim export TIMELINE [--format chrome|csv] -o OUT [--what spans|counters|instants]\n"
    "                      [--from US] [--to US]\n"
    "\n"
    "Writes the timeline a run recorded in another format:\n"
    "  chrome   Chrome trace-event JSON, for ui.perfetto.dev and chrome://tracing:\n"
    "           one process per core (its spans), one per device group (its\n"
    "           counters and instants); times in us, exact to the ps\n"
    "  csv      one span per line: track,name,label,t0_ps,t1_ps,dur_ps,mode,what,pid,arg\n"
    "           (--what counters: track,name,label,t_ps,value;\n"
    "            --what instants: track,name,label,t_ps,kind,arg)\n"
    "\n"
    "  --format F      chrome or csv (default: from OUT's name, .json or .csv)\n"
    "  -o, --out OUT   the output file; OUT ending in .gz is gzip-compressed;\n"
    "                  - writes to the standard output\n"
    "  --what W        csv only: spans (default), counters or instants\n"
    "  --from US       leave out what happened before US microseconds (e.g. 12.5)\n"
    "  --to US         and from US on; spans crossing the edges are cut\n"
    "  -h, --help      this help\n"
    "\n"
    "examples:\n"
    "  parasim export out/echo/timeline.pstl -o echo.json.gz\n"
    "  parasim export out/echo/timeline.pstl --format csv -o - --from 100 --to 200\n";

typedef struct export_opts {
    const char *timeline, *out, *format;
    tl_export_opts_t x;
    bool has_what;
} export_opts_t;

static int bad(const char *fmt, const char *arg)
{
    fputs("parasim export: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see parasim export --help)\n", stderr);
    return EXIT_USAGE;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* One option with its value: 1 consumed both, 0 not this option, or
 * EXIT_USAGE (reported). */
static int option(export_opts_t *o, const char *a, const char *val)
{
    if (strcmp(a, "--format") && strcmp(a, "-o") && strcmp(a, "--out") && strcmp(a, "--what") &&
        strcmp(a, "--from") && strcmp(a, "--to"))
        return 0;
    if (!val)
        return bad("%s needs a value", a);
    if (!strcmp(a, "--format")) {
        if (strcmp(val, "chrome") && strcmp(val, "csv"))
            return bad("--format must be chrome or csv, found '%s'", val);
        o->format = val;
    } else if (!strcmp(a, "--what")) {
        if (!strcmp(val, "spans"))
            o->x.what = TL_EXPORT_SPANS;
        else if (!strcmp(val, "counters"))
            o->x.what = TL_EXPORT_COUNTERS;
        else if (!strcmp(val, "instants"))
            o->x.what = TL_EXPORT_INSTANTS;
        else
            return bad("--what must be spans, counters or instants, found '%s'", val);
        o->has_what = true;
    } else if (!strcmp(a, "--from") || !strcmp(a, "--to")) {
        uint64_t *ps = a[2] == 'f' ? &o->x.from_ps : &o->x.to_ps;
        if (tl_export_parse_us(val, ps))
            return bad(a[2] == 'f' ? "--from must be microseconds (e.g. 12.5), found '%s'"
                                   : "--to must be microseconds (e.g. 12.5), found '%s'",
                       val);
    } else {
        o->out = val;
    }
    return 1;
}

/* -1 help printed, 0 ok, EXIT_USAGE reported. */
static int parse(int argc, char **argv, export_opts_t *o)
{
    *o = (export_opts_t){.x = {0, UINT64_MAX, TL_EXPORT_SPANS}};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_export, stdout);
            return -1;
        }
        int rc = option(o, a, i + 1 < argc ? argv[i + 1] : NULL);
        if (rc == EXIT_USAGE)
            return rc;
        if (rc) {
            i++;
        } else if (a[0] == '-' && a[1]) {
            return bad("unknown option '%s'", a);
        } else if (o->timeline) {
            return bad("one timeline at a time, found a second: '%s'", a);
        } else {
            o->timeline = a;
        }
    }
    return 0;
}

/* Whatever is missing or contradictory, once every option is read. */
static int check(export_opts_t *o)
{
    if (!o->timeline)
        return bad("%s", "no TIMELINE given");
    if (!o->out)
        return bad("%s", "no output given: -o OUT");
    if (!o->format) {
        if (ends_with(o->out, ".json") || ends_with(o->out, ".json.gz"))
            o->format = "chrome";
        else if (ends_with(o->out, ".csv") || ends_with(o->out, ".csv.gz"))
            o->format = "csv";
        else
            return bad("cannot tell the format from '%s': give --format chrome or csv", o->out);
    }
    if (o->has_what && strcmp(o->format, "csv"))
        return bad("--what %s is for --format csv (chrome holds everything)",
                   o->x.what == TL_EXPORT_SPANS      ? "spans"
                   : o->x.what == TL_EXPORT_COUNTERS ? "counters"
                                                     : "instants");
    if (o->x.from_ps >= o->x.to_ps)
        return bad("%s", "--from must be before --to");
    return 0;
}

int cmd_export(int argc, char **argv)
{
    export_opts_t o;
    int rc = parse(argc, argv, &o);
    if (!rc)
        rc = check(&o);
    if (rc)
        return rc < 0 ? 0 : rc;
    char err[512];
    tl_timeline_t *t = tl_load(o.timeline, err, sizeof err);
    if (!t) {
        fprintf(stderr, "parasim export: %s\n", err);
        return EXIT_USAGE;
    }
    bool chrome = !strcmp(o.format, "chrome"), out = !strcmp(o.out, "-");
    if (out)
        rc = chrome ? tl_export_chrome_stream(t, stdout, "standard output", &o.x, err, sizeof err)
                    : tl_export_csv_stream(t, stdout, "standard output", &o.x, err, sizeof err);
    else
        rc = chrome ? tl_export_chrome(t, o.out, &o.x, err, sizeof err)
                    : tl_export_csv(t, o.out, &o.x, err, sizeof err);
    tl_free(t);
    if (rc)
        fprintf(stderr, "parasim export: %s\n", err);
    return rc ? EXIT_USAGE : 0;
}
