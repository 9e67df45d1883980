// Runs one job once: creates the channel, forks the peer, pins both processes, plays the parent's
// role, and collects the child's outcome through a pipe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/job.hpp"
#include "harness/stats.hpp"

namespace shmring::bench {

// Cores for the two processes; -1 leaves a process unpinned (fewer than two usable cores).
struct Placement {
    int parent_cpu = -1;
    int child_cpu = -1;
    int usable_cpus = 0;
    std::vector<int> cpus;  // every usable core, in order
};

Placement choose_placement();

// Pins the calling process to `cpu`; -1 leaves it as it is.
void pin_to(int cpu);

struct RunResult {
    std::string error;            // empty: the run finished and verified every message
    std::uint64_t messages = 0;   // timed messages (round trips for latency)
    double seconds = 0;           // the timed window, from the parent's first send to the child's last receive
    Percentiles latency;          // latency pattern: round-trip percentiles, ns
    double parent_cpu_per_message_ns = 0;
    double child_cpu_per_message_ns = 0;
};

RunResult run_job(const Job& job, const Placement& placement);

}  // namespace shmring::bench
