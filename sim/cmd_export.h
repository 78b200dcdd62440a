/* sim/cmd_export: `parasim export TIMELINE --format chrome|csv -o OUT`,
 * a timeline file (traces/timeline.h) written as Chrome trace-event JSON
 * or CSV (traces/tl_export.h).  argv holds the arguments after "export";
 * returns the exit code (0 ok, 2 bad usage, bad or unreadable input, or
 * an output that could not be written; one line on stderr). */
#ifndef PARASIM_SIM_CMD_EXPORT_H
#define PARASIM_SIM_CMD_EXPORT_H

int cmd_export(int argc, char **argv);

#endif
