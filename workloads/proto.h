/* workloads/proto: a request/response protocol over UDP, as the far-end
 * client (workloads/client.h) speaks it.
 *
 * The client owns everything up to the UDP payload's first 16 bytes:
 * Ethernet/IPv4/UDP headers and checksums, the flow (source IP and port),
 * and the request header every protocol starts with -- the request id
 * (8 bytes, big-endian) and the request's first-bit time in ps (8 bytes,
 * big-endian).  A server must copy that header into its response
 * unchanged; the client matches responses to requests by it.
 *
 * The protocol owns the body after the header: what request `id` asks
 * (request), which UDP destination port it goes to (so a protocol can
 * address a partition: the NIC's flow director steers by port), and what
 * a correct response to it is (response).  Both are pure functions of
 * the protocol's own state and the id (determinism: any randomness comes
 * from the protocol's own rng streams, drawn in id order; request() is
 * called exactly once per id, in increasing id order).
 *
 * Outcomes: a protocol names the classes of correct responses it tells
 * apart (kvs: "hit", "miss", "stored"); the client counts answered
 * requests per class and reports them. */
#ifndef PARASIM_WORKLOADS_PROTO_H
#define PARASIM_WORKLOADS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define WL_PROTO_HDR 16u        /* request id + first-bit time */
#define WL_PROTO_MAX_OUTCOMES 8

typedef struct wl_proto {
    const char *name;
    /* NULL-terminated names of the outcome classes (at most
     * WL_PROTO_MAX_OUTCOMES), or NULL for one class "ok". */
    const char *const *outcomes;
    /* The body of request id (after the 16-byte header) into body, at most
     * cap bytes; returns its length (0 allowed).  *dst_port (host order)
     * is preset to the client's default port; the protocol may change it. */
    size_t (*request)(void *ctx, uint64_t id, uint8_t *body, size_t cap, uint16_t *dst_port);
    /* The body of a response to request id: its outcome class (>= 0), or
     * -1 when it is not a correct response to that request (malformed). */
    int (*response)(void *ctx, uint64_t id, const uint8_t *body, size_t len);
    void *ctx;
} wl_proto_t;

#endif
