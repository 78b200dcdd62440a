/* sim/cmd_view: the `parasim view` command (see the header). */
#include "sim/cmd_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/png.h"
#include "sim/view.h"
#include "sim/view_model.h"
#include "traces/timeline.h"

#define EXIT_USAGE 2
#define PNG_W 1600
#define PNG_CORE_H 24     /* without --size, a PNG is as high as its rows need */
#define WINDOW_W 1280
#define WINDOW_H 720

static const char usage_view[] =
    "usage: parasim view TIMELINE [--png OUT.png] [--size WxH] [--range FROM:TO]\n"
    "\n"
    "Shows a timeline (parasim run --timeline FILE): one row per core, labelled\n"
    "with its process, coloured by mode (user, kernel, irq, poll; idle is left\n"
    "blank), then the counter tracks (queue occupancy...) and instant tracks.\n"
    "\n"
    "  --png OUT.png     render to a PNG file instead of a window (no display needed)\n"
    "  --size WxH        picture size in pixels (default: a window of 1280x720, a\n"
    "                    PNG 1600 wide and as high as its rows need)\n"
    "  --range FROM:TO   the time range shown, e.g. 0:2us or 1.5ms:1.6ms (units ps,\n"
    "                    ns, us, ms, s; none: ns); default: the whole recording\n"
    "  -h, --help        this help\n"
    "\n"
    "In the window: the mouse wheel zooms about the cursor, dragging pans, Left/Right\n"
    "pan, Up/+ and Down/- zoom, 0 fits, hovering shows what is under the cursor (a\n"
    "click pins it), q or Escape quits.\n";

typedef struct view_opts {
    const char *timeline, *png;
    int w, h;
    int has_range;
    uint64_t from, to;
} view_opts_t;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "parasim view: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see parasim view --help)\n");
    return EXIT_USAGE;
}

int view_parse_time(const char *s, uint64_t *ps)
{
    static const struct {
        const char *name;
        uint64_t ps;
    } units[] = {{"ps", 1},       {"ns", 1000},          {"us", 1000000}, {"µs", 1000000},
                 {"ms", 1000000000}, {"s", 1000000000000}, {"", 1000}};
    const char *p = s;
    uint64_t whole = 0, frac = 0, scale = 1;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return -1;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9')
            return -1;
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (scale > UINT64_MAX / 100)
                return -1;
            frac = frac * 10 + (uint64_t)(*p - '0');
            scale *= 10;
        }
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].name))
            continue;
        uint64_t u = units[i].ps;
        if (frac * u % scale || (whole && whole > UINT64_MAX / u))
            return -1; /* finer than a picosecond, or too large */
        uint64_t f = frac * u / scale;
        if (frac && u > UINT64_MAX / frac)
            return -1;
        if (whole * u > UINT64_MAX - f)
            return -1;
        *ps = whole * u + f;
        return 0;
    }
    return -1;
}

static int parse_size(const char *s, int *w, int *h)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != 'x' || *s < '0' || *s > '9' || end[1] < '0' || end[1] > '9')
        return -1;
    long b = strtol(end + 1, &end, 10);
    if (*end || a < 1 || b < 1 || a > 32768 || b > 32768)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

static int parse_range(const char *s, uint64_t *from, uint64_t *to)
{
    char buf[128];
    const char *colon = strchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof buf)
        return -1;
    memcpy(buf, s, (size_t)(colon - s));
    buf[colon - s] = '\0';
    if (view_parse_time(buf, from) || view_parse_time(colon + 1, to) || *to <= *from)
        return -1;
    return 0;
}

/* -1 when help was printed, 0 ok, EXIT_USAGE on error. */
static int parse(int argc, char **argv, view_opts_t *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_view, stdout);
            return -1;
        } else if (!strcmp(a, "--png")) {
            if (!val || !*val)
                return usage_error("%s needs a file name", a);
            o->png = val;
            i++;
        } else if (!strcmp(a, "--size")) {
            if (!val || parse_size(val, &o->w, &o->h))
                return usage_error("--size needs WxH in pixels (e.g. 1600x900), found '%s'",
                                   val ? val : "nothing");
            i++;
        } else if (!strcmp(a, "--range")) {
            if (!val || parse_range(val, &o->from, &o->to))
                return usage_error("--range needs FROM:TO with FROM < TO (e.g. 0:2us), found '%s'",
                                   val ? val : "nothing");
            o->has_range = 1;
            i++;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else if (o->timeline) {
            return usage_error("one timeline only, found a second: '%s'", a);
        } else {
            o->timeline = a;
        }
    }
    if (!o->timeline)
        return usage_error("missing %s", "TIMELINE");
    return 0;
}

static int render_png(vm_model_t *m, const view_opts_t *o, const char *title)
{
    vr_canvas_t c;
    char err[512];
    view_overlay_t ov = {.title = title};
    if (vr_init(&c, m->w, m->h) || view_draw(m, &c, &ov)) {
        vr_free(&c);
        fprintf(stderr, "parasim view: out of memory for a %dx%d picture\n", m->w, m->h);
        return EXIT_USAGE;
    }
    int rc = png_write(o->png, c.px, c.w, c.h, err, sizeof err);
    vr_free(&c);
    if (rc) {
        fprintf(stderr, "parasim view: %s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

int cmd_view(int argc, char **argv)
{
    view_opts_t o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    char err[1024];
    tl_timeline_t *tl = tl_load(o.timeline, err, sizeof err);
    if (!tl) {
        fprintf(stderr, "parasim view: %s\n", err);
        return EXIT_USAGE;
    }
    if (!o.w) {
        o.w = o.png ? PNG_W : WINDOW_W;
        o.h = o.png ? vm_height_for(tl, PNG_CORE_H) : WINDOW_H;
    }
    vm_model_t *m = vm_create(tl, o.w, o.h, err, sizeof err);
    if (!m) {
        fprintf(stderr, "parasim view: %s\n", err);
        tl_free(tl);
        return EXIT_USAGE;
    }
    if (o.has_range)
        vm_set_range(m, o.from, o.to);
    char title[4200];
    snprintf(title, sizeof title, "parasim view %s", o.timeline);
    if (o.png) {
        rc = render_png(m, &o, title);
    } else if (view_window(m, title, err, sizeof err)) {
        fprintf(stderr, "parasim view: %s\n", err);
        rc = EXIT_USAGE;
    }
    vm_destroy(m);
    tl_free(tl);
    return rc;
}
