// MPMC across processes: P producer roles and C consumer roles share one ring. Producer p sends
// messages 0..N-1, each an 8-byte tag (p, sequence) and a random-sized body from p's MessageStream.
// Each consumer checks every message's body as it takes it and writes the tag down in a
// DeliveryLog. Once the producers are done the parent sends one stop message per consumer, waits
// for the consumers, and then checks from the logs that every message arrived exactly once and
// that each consumer saw each producer's messages in the order they were sent.
//
// Endpoints alternate between the copying and the zero-copy API (even indexes copy), so both
// paths meet the other side's both paths.
#pragma once

#include <chrono>
#include <cstdint>

#include <gtest/gtest.h>

#include "shmring/wait.hpp"

namespace shmring::multiprocess {

struct MpmcExchange {
    std::uint64_t slots = 64;
    std::uint32_t producers = 2;
    std::uint32_t consumers = 2;
    std::uint64_t messages_per_producer = 0;
    WaitStrategy wait = WaitStrategy::adaptive;
    std::chrono::milliseconds probe_interval{0};  // see set_probe_interval; 0: the library's default
    std::uint64_t seed = 0x5EED0002;
    std::chrono::seconds time_limit{60};
};

::testing::AssertionResult exchange_across_processes(const MpmcExchange& exchange);

}  // namespace shmring::multiprocess
