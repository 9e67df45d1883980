// Services across processes: C client processes call S server processes. Client c sends calls
// 1..N, each its 8-byte client number, its 8-byte call number and a random-sized body from its own
// MessageStream, keeping `window` calls in flight and collecting them out of order (the newest
// first). A server answers each request with its numbers swapped and its body reversed; the
// client checks that every response is its request's, exactly. Each server reports how many
// requests it answered and the sum of mix(client, call) over them: over all servers that must be
// each call once, none twice, none lost.
//
// With a victim, one more server takes requests, stalls holding one unanswered and is killed:
// the client of that call must get reset within 250 ms, that call must never be answered by
// anyone, and every other call must be.
#pragma once

#include <chrono>
#include <cstdint>

#include <gtest/gtest.h>

#include "shmring/wait.hpp"

namespace shmring::multiprocess {

struct ServiceCalls {
    std::uint32_t clients = 4;
    std::uint32_t servers = 2;
    std::uint64_t calls_per_client = 0;
    std::uint32_t window = 8;       // calls in flight per client
    std::uint64_t max_pending = 32;
    bool victim = false;            // a server killed while it holds a request
    WaitStrategy wait = WaitStrategy::adaptive;
    std::uint64_t seed = 0x5EED0004;
    std::chrono::seconds time_limit{120};
};

::testing::AssertionResult call_across_processes(const ServiceCalls& calls);

}  // namespace shmring::multiprocess
