/* sim/cmd_view: `parasim view TIMELINE [--png OUT.png] [--size WxH]
 * [--range FROM:TO]` -- the timeline viewer's command line.
 *
 * Without --png it opens a window (sim/view_sdl.c); with it, it renders
 * the same picture with the software rasteriser and writes a PNG, no
 * display needed.  Times in --range are a decimal number with a unit
 * (ps, ns, us or µs, ms, s; none: ns), exact to the picosecond.
 *
 * Returns the process's exit code: 0 ok, 2 bad usage or bad input (a
 * timeline that does not load, an unwritable PNG, no display), each with
 * one line on stderr. */
#ifndef PARASIM_SIM_CMD_VIEW_H
#define PARASIM_SIM_CMD_VIEW_H

#include <stdint.h>

int cmd_view(int argc, char **argv);

/* "1.5us" -> 1500000 ps: 0, or -1 when s is not a time (or not whole ps,
 * or too large). */
int view_parse_time(const char *s, uint64_t *ps);

#endif
