// Topics across processes: one publisher process, S subscriber processes. The publisher sends
// messages 1..N, each its 8-byte sequence number and a random-sized body from a MessageStream;
// every subscriber checks each message's number and body as it takes it.
//
// Lossless: every subscriber must receive every message, in order, exactly once (a late joiner:
// every one from where it started); with `victims`, that many extra subscribers read a random number of messages and then stall, and
// are killed with SIGKILL while the publisher is blocked on them: it must resume within a second
// and the others must still receive everything.
// Lossy: subscribers read slowly; each must see increasing sequence numbers, intact bodies, and
// received + lost = N.
#pragma once

#include <chrono>
#include <cstdint>

#include <gtest/gtest.h>

#include "shmring/layout.hpp"
#include "shmring/wait.hpp"

namespace shmring::multiprocess {

struct TopicFanout {
    layout::TopicPolicy policy = layout::TopicPolicy::lossless;
    std::uint64_t capacity = 256;
    std::uint32_t subscribers = 1;
    std::uint32_t victims = 0;  // lossless: subscribers killed while the publisher waits for them
    std::uint64_t messages = 0;
    WaitStrategy wait = WaitStrategy::adaptive;
    bool slow_subscribers = false;  // lossy: subscribers pause now and then, so that they are lapped
    bool late_joiners = false;      // lossless: two more subscribers join halfway, one from the oldest message kept
    std::uint64_t seed = 0x5EED0003;
    std::chrono::seconds time_limit{120};
};

::testing::AssertionResult fan_out_across_processes(const TopicFanout& fanout);

}  // namespace shmring::multiprocess
