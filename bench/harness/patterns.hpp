// The patterns, as the two roles each process plays. The parent starts every exchange: it sends
// the pings (latency) or the stream (throughput, bulk, paced); the child answers or receives.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/job.hpp"
#include "harness/transport.hpp"

namespace shmring::bench {

struct RoleOutcome {
    std::string error;                  // transport failure, timeout or verification verdict
    std::uint64_t messages = 0;         // timed messages this role completed
    std::int64_t start_ns = 0;          // CLOCK_MONOTONIC at the first timed message
    std::int64_t end_ns = 0;            // ... after the last
    std::int64_t cpu_ns = 0;            // this process's CPU time over the timed messages
    std::vector<std::int64_t> samples;  // latency, parent: one round trip each
};

RoleOutcome run_parent_role(ChannelEnd& channel_end, const Job& job);
RoleOutcome run_child_role(ChannelEnd& channel_end, const Job& job);

}  // namespace shmring::bench
