/* sim/results: what a run reports.  results.json (stable field names, read
 * by scripts and by our own tests; see README "Results") and a one-screen
 * human summary.  The file is written to DIR/results.json.tmp and renamed,
 * so an existing results.json is never left half-written.  Everything in it
 * is a function of config and seed except sim.wall_s and sim.events_per_s. */
#ifndef PARASIM_SIM_RESULTS_H
#define PARASIM_SIM_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct experiment;
struct prediction;
struct cJSON;

struct cJSON *results_build(const struct experiment *x, const struct prediction *p, double wall_s);

/* Pieces shared by every kind of run: the header (parasim version and
 * formats, the config echo, the cost table), latency percentiles (ns) of a
 * histogram in ps, one core's utilisation per mode, the simulator's own
 * figures. */
struct sim_config;
struct cost_table;
struct hist;
struct cpu;
struct cJSON *results_begin(const struct sim_config *cfg);
struct cJSON *results_costs_json(const struct cost_table *t);
struct cJSON *results_latency_json(const struct hist *h);
struct cJSON *results_core_json(const struct cpu *core);
void results_add_sim(struct cJSON *root, uint64_t events, uint64_t end_ps, double wall_s);
/* "timeline": {file, spans, instants, counters, bytes} of a recorded run. */
struct tlrec_stats;
struct cJSON *results_timeline_json(const struct tlrec_stats *st);
/* mkdir -p dir and check it is writable: done before a run, so a typo in
 * --out costs nothing; -1 with a message in err. */
/* Create the folders above an output file's path (mkdir -p of its
 * dirname).  0, or -1 with a one-line message. */
int results_prepare_parent(const char *path, char *err, size_t errlen);
int results_prepare_dir(const char *dir, char *err, size_t errlen);
/* Write dir/results.json (dir prepared); -1 with a message in err. */
int results_write(const struct cJSON *results, const char *dir, char *err, size_t errlen);
void results_summary(FILE *f, const struct cJSON *results, const char *written_to);

#endif
