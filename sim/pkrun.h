/* sim/pkrun: one parakernel experiment (kernel.kind "parakernel").
 *
 * Assembles the machine from the config's machine.* keys, turns the
 * processes[] groups into the kernel's boot plan (partitions laid out
 * after the kernel's region, cores in order), boots the kernel, hosts the
 * processes (sim/proc), and puts the UDP client (workloads/udp_client) at
 * the far end of the NIC's wire.  The run ends when every request was
 * answered, or load.drain_us after the last one left the client (the
 * rest are counted unanswered, never hidden).
 *
 * Measurement window: from the first bit of the first measured request
 * (past warmup_requests) to the first bit of the last request; cores'
 * utilisation and throughput cover it.  Latency is the client's: from a
 * request's first bit leaving the client to the response's last bit
 * arriving there.
 *
 * Errors: a plan the kernel refuses, or an application parameter it
 * rejects, is bad input (exit 2 from the command); the message names the
 * config path. */
#ifndef PARASIM_SIM_PKRUN_H
#define PARASIM_SIM_PKRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/engine.h"

struct sim_config;
struct cJSON;

typedef struct pkrun pkrun_t;

/* NULL with a one-line message in err. */
pkrun_t *pkrun_create(const struct sim_config *cfg, char *err, size_t errlen);
/* progress(fraction done, the engine, arg) every 2^20 events. */
void pkrun_run(pkrun_t *r, void (*progress)(double, const sim_t *, void *), void *arg);
struct cJSON *pkrun_results(pkrun_t *r, double wall_s);
/* Whether an output the config asked for (outputs.pcap, outputs.timeline)
 * could not be written (the message went to stderr): the run failed.  The
 * timeline is closed at the end of pkrun_run. */
bool pkrun_failed(const pkrun_t *r);
void pkrun_destroy(pkrun_t *r);

#endif
