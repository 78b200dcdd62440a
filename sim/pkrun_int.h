/* sim/pkrun_int.h: the state of one parakernel experiment, shared by
 * pkrun.c (assembly, boot, the run), pkwire.c (the far end of the wire:
 * the client, trace replay, capture) and pkresults.c (results.json).
 * Private to sim/. */
#ifndef PARASIM_SIM_PKRUN_INT_H
#define PARASIM_SIM_PKRUN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "sim/machine.h"
#include "sim/pkrun.h"
#include "sim/proc.h"
#include "sim/tlrec.h"
#include "workloads/app.h"
#include "workloads/udp_client.h"

struct cJSON;
struct sim_config;

#define PK_MIB (UINT64_C(1) << 20)

/* The host's one MAC and IP, its UDP port, and the client's. */
extern const uint8_t pk_host_mac[6], pk_client_mac[6], pk_host_ip[4], pk_client_ip[4];
#define PK_HOST_PORT 7u

typedef struct pk_proc_desc {
    char name[K_NAME_MAX];
    const wl_app_t *app;
    unsigned group;             /* index in processes[] */
    unsigned instance;          /* index in the group */
    wl_param_t *params;
    size_t nparams;
    wl_input_t input;           /* a trace the platform read for it */
    void *input_recs;
    char source[256];           /* the trace's name, for messages */
} pk_proc_desc_t;

typedef struct pkwire pkwire_t; /* pkwire.c */

struct pkrun {
    const struct sim_config *cfg;
    sim_t *sim;
    machine_t m;
    bool machine_up;
    k_plan_t plan;
    pk_proc_desc_t *procs;      /* [K_MAX_PROCS] */
    proc_rt_t *rt;
    pkwire_t *wire;             /* the far end; NULL with load.kind "none" */
    /* measurement window */
    uint64_t warmup;
    bool window_open, window_closed;
    sim_time_t window_from, window_to;
    uint64_t answered_at_open, answered_at_close;
    /* outputs.timeline (sim/tlrec.h): open from before boot to the end of
     * the run; then its figures, and whether it could not be written */
    tlrec_t *tl;
    bool tl_done, tl_failed;
    tlrec_stats_t tl_stats;
};

/* A number or boolean of the completed config tree. */
double pk_jnum(const struct cJSON *o, const char *path);
bool pk_jbool(const struct cJSON *o, const char *path);
const char *pk_jstr(const struct cJSON *o, const char *path);
/* A file named in the config, relative to the config's folder, into buf. */
const char *pk_config_file(const pkrun_t *r, const char *name, char *buf, size_t len);

/* The timeline (pkrun.c): the client's outstanding requests, sampled by
 * pkwire.c (nothing when not recording). */
void pk_timeline_client(pkrun_t *r, int64_t outstanding);

/* Measurement window (pkrun.c). */
void pk_window_open(pkrun_t *r);
void pk_window_close(pkrun_t *r);

/* The far end (pkwire.c).  create after boot: 0 or -1 with a message;
 * start schedules the first frame; answered/offered drive the window and
 * progress. */
int pkwire_create(pkrun_t *r, char *err, size_t errlen);
void pkwire_start(pkrun_t *r);
void pkwire_finish(pkrun_t *r);
void pkwire_destroy(pkrun_t *r);
double pkwire_progress(pkrun_t *r);
bool pkwire_failed(const pkrun_t *r);   /* an output could not be written */
uint64_t pkwire_answered(pkrun_t *r);
struct cJSON *pkwire_results(pkrun_t *r);          /* "requests" */
struct cJSON *pkwire_latency(pkrun_t *r);          /* "latency_ns" */

#endif
