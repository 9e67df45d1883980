// One measurement to make: a transport in one mode, running one pattern at one message size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/transport.hpp"

namespace shmring::bench {

struct Job {
    const TransportSpec* transport = nullptr;
    WaitStrategy mode = WaitStrategy::block;
    Pattern pattern = Pattern::latency;
    std::size_t size = 0;            // bytes per message (bulk: per chunk)
    std::uint64_t count = 0;         // timed messages; round trips for latency
    std::uint64_t warmup = 0;        // untimed messages before them
    std::size_t buffer_bytes = 0;    // see ChannelConfig
    std::int64_t timeout_ns = 0;     // the watchdog's limit for one run
    std::string skipped;             // non-empty: not run, and why

    std::string label() const;       // "pipe block latency 64 B"
};

// The 1,000 messages/s of the paced pattern.
inline constexpr std::int64_t kPacedPeriodNs = 1'000'000;

}  // namespace shmring::bench
