/* kernel/abi.c: names of the user ABI's error codes and opcodes
 * (include/pk.h), for traces, results and test messages.
 *
 * Contract: pk_err_name takes a code or its negation (a completion's res)
 * and returns "PK_EFOREIGN"...; pk_op_name returns "NET_TX"...; both
 * return "?" for a value outside their table, never NULL.  The tables use
 * designated initializers, so reordering the enums cannot misname an
 * entry; a missing entry shows as "?" (and a test checks there is none). */
#include "include/pk.h"

static const char *const err_names[PK_ERR_COUNT] = {
    [PK_OK] = "PK_OK",
    [PK_EOPCODE] = "PK_EOPCODE",
    [PK_EINVAL] = "PK_EINVAL",
    [PK_EFOREIGN] = "PK_EFOREIGN",
    [PK_EKERNEL] = "PK_EKERNEL",
    [PK_ERING] = "PK_ERING",
    [PK_ESTRADDLE] = "PK_ESTRADDLE",
    [PK_EOVERFLOW] = "PK_EOVERFLOW",
    [PK_EFAULT] = "PK_EFAULT",
    [PK_EALIGN] = "PK_EALIGN",
    [PK_ELEN] = "PK_ELEN",
    [PK_EQUEUE] = "PK_EQUEUE",
    [PK_ESTEER] = "PK_ESTEER",
    [PK_ESQINDEX] = "PK_ESQINDEX",
    [PK_EAGAIN] = "PK_EAGAIN",
    [PK_ETIMERS] = "PK_ETIMERS",
    [PK_ENOENT] = "PK_ENOENT",
    [PK_ECANCELED] = "PK_ECANCELED",
    [PK_EPOOL] = "PK_EPOOL",
    [PK_EIO] = "PK_EIO",
    [PK_ENOSPC] = "PK_ENOSPC",
    [PK_ECQFULL] = "PK_ECQFULL",
    [PK_EMODE] = "PK_EMODE",
};

static const char *const op_names[PK_OP_COUNT] = {
    [PK_OP_NOP] = "NOP",
    [PK_OP_NET_RX_REFILL] = "NET_RX_REFILL",
    [PK_OP_NET_TX] = "NET_TX",
    [PK_OP_BLK_READ] = "BLK_READ",
    [PK_OP_BLK_WRITE] = "BLK_WRITE",
    [PK_OP_BLK_FLUSH] = "BLK_FLUSH",
    [PK_OP_TIMER_ARM] = "TIMER_ARM",
    [PK_OP_TIMER_CANCEL] = "TIMER_CANCEL",
    [PK_OP_FLOW_STEER] = "FLOW_STEER",
    [PK_OP_POOL_REGISTER] = "POOL_REGISTER",
};

const char *pk_err_name(int err)
{
    /* -err of INT_MIN would overflow: compare in unsigned space instead */
    unsigned u = err < 0 ? 0u - (unsigned)err : (unsigned)err;
    if (u >= PK_ERR_COUNT || !err_names[u])
        return "?";
    return err_names[u];
}

const char *pk_op_name(unsigned op)
{
    if (op >= PK_OP_COUNT || !op_names[op])
        return "?";
    return op_names[op];
}
