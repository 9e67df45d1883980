// SPSC across two processes: a producer role and a consumer role exchange a deterministic stream of
// random-sized records (harness/message_stream.hpp), and the parent checks what both report.
//
// Record `s` carries its sequence number in the record type (so that even an empty record is
// numbered) and MessageStream's bytes for `s`. The consumer checks every record's number, size and
// every byte as it arrives, and both sides fold each record into a Digest that the parent compares,
// together with the counts; afterwards the parent attaches as consumer and finds the ring empty.
#pragma once

#include <chrono>
#include <cstdint>

#include <gtest/gtest.h>

#include "shmring/wait.hpp"
#include "workloads/endpoint_options.hpp"

namespace shmring::multiprocess {

struct SpscExchange {
    std::uint64_t capacity = 64 * 1024;  // ring bytes
    std::uint64_t messages = 0;
    std::uint64_t max_payload = 0;  // payload sizes are uniform in [0, max_payload]
    WaitStrategy wait = WaitStrategy::adaptive;
    std::chrono::milliseconds probe_interval{0};  // see set_probe_interval; 0: the library's default
    Transfer transfer = Transfer::copy;
    std::uint64_t batch = 1;  // zero copy: records committed (released) per flush()
    // Copy transfer: the producer pauses for `pause` after every `burst` messages (0: never), long
    // enough for the consumer to park, and reports how its publish fence changed (light_pauses:
    // pauses it entered publishing light; full_resumes: bursts whose first publish found the
    // consumer asleep and left light publishing).
    std::uint64_t burst = 0;
    std::chrono::microseconds pause{0};
    std::uint64_t seed = 0x5EED0001;
    std::chrono::seconds time_limit{60};
};

// Runs the exchange in a producer and a consumer process; fails with every child's report and a
// snapshot of the ring if anything is missing, wrong, or late.
::testing::AssertionResult exchange_across_processes(const SpscExchange& exchange);

}  // namespace shmring::multiprocess
