/* workloads/attacker: an adversarial parakernel process (issue 4,
 * "Isolation").  It tries each attack once, one per step, through the
 * user ABI only, and records what the kernel answered; it never transmits
 * and is given no RX traffic, so a victim next to it sees nothing of it.
 *
 * Parameters (decimal or 0x hex; an attack whose parameter is missing is
 * WL_ATK_SKIPPED):
 *   foreign_addr   an address inside another process's partition
 *   kernel_addr    an address inside the kernel's region
 *   foreign_queue  a NIC queue id that is not the attacker's (default: the
 *                  lowest device queue id it does not own)
 *
 * The attacks and the code each must be refused with (wl_attack_expected):
 *   FOREIGN   a buffer at foreign_addr                     PK_EFOREIGN
 *   KERNEL    a buffer at kernel_addr                      PK_EKERNEL
 *   RING      a buffer on its own SQ (ring memory)         PK_ERING
 *   STRADDLE  a buffer across its partition's upper edge   PK_ESTRADDLE
 *   OVERFLOW  addr 2^64 - 1024, 2 KiB: addr + len wraps    PK_EOVERFLOW
 *   QUEUE     a refill on foreign_queue                    PK_EQUEUE
 *   OPCODE    an unknown opcode (0xEE)                     PK_EOPCODE
 *   SQINDEX   SQ tail published entries + 1 ahead of head  PK_ESQINDEX
 *   RING_FLOOD  rx_entries + 1 refills on its own queue: the ring takes
 *             rx_entries - 1, the rest                     PK_EAGAIN
 *   TIMER_FLOOD max_timers + 1 arms (1 s): the last        PK_ETIMERS
 *             (then all of them are cancelled)
 *   STEER     a flow-steer rule to foreign_queue           PK_ESTEER
 * Buffer attacks (FOREIGN..OVERFLOW) are NET_RX_REFILLs on the attacker's
 * own first queue under range mediation, and PK_OP_POOL_REGISTERs under
 * pool mediation (where buffers are validated at registration; a raw
 * address in a refill would only say PK_EMODE). */
#ifndef PARASIM_WORKLOADS_ATTACKER_H
#define PARASIM_WORKLOADS_ATTACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "workloads/app.h"

extern const wl_app_t wl_app_attacker;

typedef enum wl_attack {
    WL_ATK_FOREIGN = 0,
    WL_ATK_KERNEL,
    WL_ATK_RING,
    WL_ATK_STRADDLE,
    WL_ATK_OVERFLOW,
    WL_ATK_QUEUE,
    WL_ATK_OPCODE,
    WL_ATK_SQINDEX,
    WL_ATK_RING_FLOOD,
    WL_ATK_TIMER_FLOOD,
    WL_ATK_STEER,
    WL_ATK_COUNT
} wl_attack_t;

typedef enum wl_attack_status {
    WL_ATK_NOT_RUN = 0, /* not tried yet */
    WL_ATK_DONE,        /* tried: res says what came back */
    WL_ATK_SKIPPED      /* its parameter was not given */
} wl_attack_status_t;

typedef struct wl_attack_result {
    wl_attack_status_t status;
    int32_t res;        /* the completion's res (or pk_enter's result):
                         * -PK_E... when refused; >= 0 when the kernel took
                         * it (0 also when it was taken without completing) */
    uint64_t user_data; /* the attack's SQE user_data (distinct per attack) */
} wl_attack_result_t;

typedef struct wl_attack_report {
    wl_attack_result_t a[WL_ATK_COUNT];
    uint32_t flood_sent;       /* RING_FLOOD refills submitted */
    uint32_t flood_refused;    /* of them, refused (the rest were posted) */
    uint32_t timers_refused;   /* TIMER_FLOOD arms refused */
    uint32_t timers_cancelled; /* armed timers that completed PK_ECANCELED */
    uint32_t cancels_ok;       /* TIMER_CANCELs that completed with 0 */
    uint32_t unexpected;       /* completions the attacker cannot place */
} wl_attack_report_t;

const char *wl_attack_name(unsigned a);        /* "FOREIGN"...; "?" */
int wl_attack_expected(unsigned a);            /* the PK_E code (positive) */
/* The attacker's report, from its state. */
const wl_attack_report_t *wl_attacker_report(const void *state);
/* Tried and refused with its own code. */
bool wl_attack_blocked(const wl_attack_report_t *r, unsigned a);

#endif
