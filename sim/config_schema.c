/* sim/config_schema: every config key parasim knows, with its type, range,
 * default and meaning.  The validator (config.c) and the printed reference
 * (`parasim config`) both read this table, so they cannot disagree.
 * Parents come before their children (defaults are filled in table order). */
#include "sim/config.h"
#include "sim/config_int.h"

#include <stdio.h>
#include <string.h>

#define BIG 1e12
#define MAX_SAFE_INT 9007199254740991.0 /* 2^53 - 1: exact in a JSON number */

const cfg_key_t cfg_keys[] = {
    {"seed", CFG_INT, "1", 0, MAX_SAFE_INT, 0, NULL,
     "experiment seed; every random stream derives from (seed, component)"},
    {"requests", CFG_INT, NULL, 1, 1e10, 0, NULL,
     "requests the load generator offers (default 1000000; or give duration_us)"},
    {"duration_us", CFG_NUMBER, NULL, 1e-6, 1e11, 0, NULL,
     "offer requests for this long instead of a count, then drain"},
    {"warmup_requests", CFG_INT, NULL, 0, 1e10, 0, NULL,
     "first requests left out of latency and utilisation (default: 10% of requests)"},
    {"machine", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the simulated host"},
    {"machine.cores", CFG_INT, "1", 1, 4096, 0, NULL,
     "number of cores (parakernel: at most 256, one per process at least)"},
    {"machine.memory_mib", CFG_INT, "1024", 2, 1 << 26, 0, NULL,
     "parakernel: physical memory, MiB (even: partitions are 2 MiB aligned)"},
    {"machine.nic", CFG_OBJECT, "{}", 0, 0, 0, NULL, "parakernel: the 82599-class NIC"},
    {"machine.nic.queues", CFG_INT, "16", 1, 128, 0, NULL, "queue pairs the NIC has"},
    {"machine.nic.link_gbps", CFG_INT, "40", 10, 400, 0, NULL,
     "Ethernet link rate, Gb/s: 10, 25, 40, 100 or 400"},
    {"machine.nic.pcie_gen", CFG_INT, "3", 1, 5, 0, NULL, "the NIC's PCIe generation"},
    {"machine.nic.pcie_lanes", CFG_INT, "16", 1, 16, 0, NULL, "the NIC's PCIe lanes (1, 2, 4, 8, 16)"},
    {"machine.nic.pasid_per_queue", CFG_BOOL, "false", 0, 0, 0, NULL,
     "tag each queue's DMA with its own PASID (with machine.iommu.mode scalable: "
     "queue-granular isolation)"},
    {"machine.nvme", CFG_OBJECT, "{}", 0, 0, 0, NULL, "parakernel: the NVMe SSD"},
    {"machine.nvme.present", CFG_BOOL, "true", 0, 0, 0, NULL, "whether the machine has one"},
    {"machine.nvme.media", CFG_ENUM, "\"nand\"", 0, 0, 0, "nand|llflash|pmem",
     "nand: channels x dies of NAND flash; llflash: low-latency flash; pmem: persistent memory"},
    {"machine.nvme.capacity_mib", CFG_INT, "1024", 1, 1 << 24, 0, NULL, "namespace size, MiB"},
    {"machine.nvme.pasid_per_queue", CFG_BOOL, "false", 0, 0, 0, NULL,
     "tag each queue pair's DMA with PASID = its queue id"},
    {"machine.iommu", CFG_OBJECT, "{}", 0, 0, 0, NULL, "parakernel: the IOMMU"},
    {"machine.iommu.mode", CFG_ENUM, "\"legacy\"", 0, 0, 0, "off|legacy|scalable",
     "off: DMA addresses are physical; legacy: one domain per device; scalable: one PASID "
     "per queue (needs the devices' pasid_per_queue)"},
    {"machine.iommu.iotlb_entries", CFG_INT, "64", 1, 65536, 0, NULL, "IOTLB entries (LRU)"},
    {"kernel", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the kernel under test"},
    {"kernel.kind", CFG_ENUM, "\"ideal\"", 0, 0, 0, "ideal|parakernel",
     "ideal: a zero-overhead dispatcher, for validating the engine; parakernel: the real "
     "kernel (kernel/) on the device models, running `processes` behind a UDP client"},
    {"kernel.mediation", CFG_ENUM, "\"range\"", 0, 0, 0, "range|pool",
     "parakernel: how buffers are validated: range checks per descriptor, or registered "
     "buffer pools (validated once, then an index per descriptor)"},
    {"kernel.sq_entries", CFG_INT, "256", 2, 32768, 0, NULL,
     "parakernel: SQ entries per process (a power of two)"},
    {"kernel.cq_entries", CFG_INT, "1024", 2, 65536, 0, NULL,
     "parakernel: CQ entries per process (a power of two, >= sq_entries)"},
    {"kernel.rx_entries", CFG_INT, "512", 16, 8192, 0, NULL,
     "parakernel: NIC RX ring slots per queue (a multiple of 8)"},
    {"kernel.tx_entries", CFG_INT, "512", 16, 8192, 0, NULL,
     "parakernel: NIC TX ring slots per queue (a multiple of 8)"},
    {"kernel.memory_mib", CFG_INT, "64", 2, 1 << 20, 0, NULL,
     "parakernel: the kernel's own memory (rings, queues, IOMMU tables), MiB, even"},
    {"kernel.dispatch", CFG_ENUM, "\"partitioned\"", 0, 0, 0, "partitioned|centralized",
     "partitioned: each request to a uniformly random core's FIFO (RSS over many "
     "flows); centralized: one FIFO, the next idle core takes its head"},
    {"kernel.queue_limit", CFG_INT, "0", 0, 1e9, 0, NULL,
     "requests a FIFO holds before arrivals are dropped (0 = unbounded)"},
    {"workload", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the application"},
    {"workload.app", CFG_ENUM, "\"synthetic\"", 0, 0, 0, "synthetic",
     "synthetic: each request needs a service time drawn from workload.service"},
    {"workload.service", CFG_DIST, "{\"dist\":\"exponential\",\"mean_ns\":1000}", 0, 0, 0, NULL,
     "service-time distribution (see the dist parameters below)"},
    {"processes", CFG_ARRAY, NULL, 0, 0, 0, NULL,
     "parakernel: groups of processes, one process per core, cores given in order"},
    {"processes[].app", CFG_ENUM, NULL, 0, 0, 0, "echo|attacker|kvs|evloop|blkio",
     "the application each process of the group runs (required)"},
    {"processes[].count", CFG_INT, "1", 1, 256, 0, NULL, "processes in the group"},
    {"processes[].memory_mib", CFG_INT, "64", 2, 1 << 24, 0, NULL,
     "each process's memory partition, MiB (even)"},
    {"processes[].nic_queues", CFG_INT, "1", 0, 16, 0, NULL, "NIC queue pairs per process"},
    {"processes[].nvme_queues", CFG_INT, "0", 0, 16, 0, NULL, "NVMe queue pairs per process"},
    {"processes[].rx_traffic", CFG_BOOL, "true", 0, 0, 0, NULL,
     "its NIC queues take part in RSS (clients' requests reach it)"},
    {"processes[].max_timers", CFG_INT, "64", 1, 256, 0, NULL, "timers armed at once, at most"},
    {"processes[].params", CFG_PARAMS, "{}", 0, 0, 0, NULL,
     "application parameters: name -> string or number"},
    {"load", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the clients"},
    {"load.kind", CFG_ENUM, "\"poisson\"", 0, 0, 0, "poisson|constant|closed|ramp|trace|pcap|none",
     "poisson: exponential inter-arrival times; constant: evenly spaced; parakernel also: "
     "closed (load.outstanding per flow), ramp (load.ramp steps), trace (load.trace: KVS "
     "requests), pcap (replay load.pcap.file), none (no client: block I/O only)"},
    {"load.rate_rps", CFG_NUMBER, NULL, 0, 1e12, 1, NULL,
     "offered load, requests per second (required for poisson and constant)"},
    {"load.outstanding", CFG_INT, "1", 1, 65536, 0, NULL,
     "closed: requests each flow (connection) keeps in flight"},
    {"load.think_us", CFG_NUMBER, "0", 0, 1e9, 0, NULL,
     "closed: from an answer to the connection's next request, us"},
    {"load.timeout_us", CFG_NUMBER, "0", 0, 1e9, 0, NULL,
     "give a request up after this long, us (0: never); late answers are counted apart"},
    {"load.ramp", CFG_ARRAY, NULL, 0, 0, 0, NULL,
     "ramp: steps of Poisson load, in time order, the first at 0"},
    {"load.ramp[].at_us", CFG_NUMBER, NULL, 0, 1e11, 0, NULL,
     "when the step starts, us after the load starts (required)"},
    {"load.ramp[].rate_rps", CFG_NUMBER, NULL, 0, 1e12, 0, NULL,
     "the step's rate, requests per second (0: a pause; required)"},
    {"load.protocol", CFG_ENUM, "\"echo\"", 0, 0, 0, "echo|kvs",
     "what requests ask: echo (echo, evloop servers) or kvs (GET/SET to kvs servers)"},
    {"load.kvs", CFG_OBJECT, "{}", 0, 0, 0, NULL, "load.protocol kvs: the requests"},
    {"load.kvs.keys", CFG_INT, "1000000", 1, 1e12, 0, NULL, "key space size"},
    {"load.kvs.dist", CFG_ENUM, "\"zipf\"", 0, 0, 0, "zipf|uniform", "key popularity"},
    {"load.kvs.theta", CFG_NUMBER, "0.99", 0, 10, 0, NULL, "zipf skew (YCSB's default 0.99)"},
    {"load.kvs.get_ratio", CFG_NUMBER, "0.95", 0, 1, 0, NULL, "fraction of GETs (the rest SETs)"},
    {"load.kvs.key_bytes", CFG_INT, "16", 1, 64, 0, NULL, "key length, bytes"},
    {"load.kvs.value_bytes", CFG_INT, "64", 0, 1400, 0, NULL, "SET value length, bytes"},
    {"load.kvs.port_base", CFG_INT, "9000", 1, 65000, 0, NULL,
     "kvs partition i listens on UDP port port_base + i"},
    {"load.trace", CFG_STRING, NULL, 0, 0, 0, NULL,
     "trace: KVS request trace, CSV time_ns,op,key,value_size (.gz allowed)"},
    {"load.pcap", CFG_OBJECT, "{}", 0, 0, 0, NULL, "pcap: replay a capture into the NIC"},
    {"load.pcap.file", CFG_STRING, NULL, 0, 0, 0, NULL, "pcap or pcapng file (.gz allowed)"},
    {"load.pcap.time_scale", CFG_NUMBER, "1", 0, 1e9, 1, NULL,
     "replay speed: recorded gaps are divided by it"},
    {"load.pcap.loop", CFG_INT, "1", 1, 1e6, 0, NULL, "times the capture is replayed"},
    {"load.pcap.rewrite_dst", CFG_BOOL, "true", 0, 0, 0, NULL,
     "rewrite destination MAC (and IPv4 address) to the simulated host's"},
    {"load.flows", CFG_INT, "1024", 1, 1 << 20, 0, NULL,
     "parakernel: UDP flows (5-tuples) the client spreads requests over"},
    {"load.frame_bytes", CFG_INT, "64", 64, 1518, 0, NULL,
     "parakernel: request frame size on the wire, FCS included"},
    {"load.drain_us", CFG_NUMBER, "1000", 0, 1e9, 0, NULL,
     "parakernel: after the last request leaves, wait this long for answers"},
    {"outputs", CFG_OBJECT, "{}", 0, 0, 0, NULL, "extra outputs"},
    {"outputs.pcap", CFG_STRING, NULL, 0, 0, 0, NULL,
     "parakernel: write what crossed the wire as a pcap (ns timestamps; .gz compresses)"},
    {"outputs.timeline", CFG_STRING, NULL, 0, 0, 0, NULL,
     "write the per-core timeline (spans, device instants and counters) to this file "
     "(relative to the config's folder; `parasim run --timeline FILE` overrides it)"},
    {"outputs.timeline_from_us", CFG_NUMBER, "0", 0, 1e11, 0, NULL,
     "record the timeline from this simulated time on, us (boot included)"},
    {"outputs.timeline_to_us", CFG_NUMBER, NULL, 0, 1e11, 1, NULL,
     "record the timeline until this simulated time, us (default: the end of the run)"},
    {"outputs.timeline_counter_ns", CFG_NUMBER, "1000", 0, 1e9, 0, NULL,
     "timeline counters (ring fill, queue depth, outstanding requests) are written at most "
     "once per period of this many ns: the last change of each period (0: every change)"},
    {"costs", CFG_OBJECT, "{}", 0, 0, 0, NULL, "the cost table"},
    {"costs.profile", CFG_PROFILE, "\"default\"", 0, 0, 0, NULL,
     "default: sourced figures; zero: every cost 0"},
    {"costs.override", CFG_COSTS, "{}", 0, 0, 0, NULL,
     "cost name -> ns, replacing the profile's value (names: parasim config)"},
};
const size_t cfg_nkeys = sizeof cfg_keys / sizeof cfg_keys[0];

#define K(k) (1u << (k))
const cfg_dist_param_t cfg_dist_params[] = {
    {"dist", ~0u, 0, 0, 0, "constant|exponential|uniform|lognormal|bimodal|empirical"},
    {"mean_ns", K(DIST_CONSTANT) | K(DIST_EXPONENTIAL) | K(DIST_LOGNORMAL), 0, BIG, 1,
     "the mean (constant: the value)"},
    {"min_ns", K(DIST_UNIFORM), 0, BIG, 0, "uniform: lower bound"},
    {"max_ns", K(DIST_UNIFORM), 0, BIG, 0, "uniform: upper bound (>= min_ns)"},
    {"sigma", K(DIST_LOGNORMAL), 0, 10, 0, "lognormal: standard deviation of the log"},
    {"p", K(DIST_BIMODAL), 0, 1, 0, "bimodal: probability of a_ns"},
    {"a_ns", K(DIST_BIMODAL), 0, BIG, 0, "bimodal: the value taken with probability p"},
    {"b_ns", K(DIST_BIMODAL), 0, BIG, 0, "bimodal: the value taken otherwise"},
    {"file", K(DIST_EMPIRICAL), 0, 0, 0,
     "empirical: text/CSV of values in ns (relative to the config file)"},
};
const size_t cfg_ndist_params = sizeof cfg_dist_params / sizeof cfg_dist_params[0];
const char cfg_time_dists[] = "constant|exponential|uniform|lognormal|bimodal|empirical";

const cfg_key_t *cfg_key_find(const char *path)
{
    char norm[256];
    size_t n = 0;
    for (const char *p = path; *p && n + 1 < sizeof norm; p++) {
        norm[n++] = *p;
        if (*p == '[')
            while (p[1] >= '0' && p[1] <= '9')
                p++;
    }
    norm[n] = '\0';
    for (size_t i = 0; i < cfg_nkeys; i++)
        if (strcmp(cfg_keys[i].path, norm) == 0)
            return &cfg_keys[i];
    return NULL;
}

static const char *type_name(const cfg_key_t *k)
{
    switch (k->type) {
    case CFG_OBJECT: return "object";
    case CFG_INT: return "integer";
    case CFG_NUMBER: return "number";
    case CFG_ENUM: return k->choices;
    case CFG_PROFILE: return "default|zero";
    case CFG_COSTS: return "object";
    case CFG_DIST: return "distribution";
    case CFG_BOOL: return "true|false";
    case CFG_ARRAY: return "array of objects";
    case CFG_PARAMS: return "object";
    case CFG_STRING: return "string";
    }
    return "?";
}

void config_print_reference(void *stream)
{
    FILE *f = stream;
    fprintf(f, "Config keys (format %d).  Dotted paths name nested JSON objects.\n\n", CONFIG_FORMAT);
    for (size_t i = 0; i < cfg_nkeys; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (k->type == CFG_OBJECT)
            continue;
        fprintf(f, "  %-20s %-24s default %s\n      %s\n", k->path, type_name(k),
                k->def ? k->def : "-", k->help);
    }
    fprintf(f, "\nDistribution parameters (workload.service):\n");
    for (size_t i = 0; i < cfg_ndist_params; i++)
        fprintf(f, "  %-10s %s\n", cfg_dist_params[i].name, cfg_dist_params[i].help);
    fprintf(f, "\nCost names (costs.override), default ns and source:\n");
    for (int i = 0; i < COST_COUNT; i++)
        fprintf(f, "  %-20s %10g  %s\n", cost_desc[i].name, cost_desc[i].default_ns,
                cost_desc[i].source);
}
