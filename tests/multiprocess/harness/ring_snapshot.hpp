// A racy look at a ring's shared state for the message of a failed or hung test: where each side
// stands, who sleeps on which event, and who is attached. A lost wake-up reads as "a sleeper on
// the data event while the producer position is ahead of the consumer's".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shmring::multiprocess {

std::string describe_ring(std::string_view name);

// How often the endpoints that have detached from the ring parked on a futex and woke another.
// A test of wake-ups that never parked tested nothing.
struct ParkingTotals {
    std::uint64_t sleeps = 0;
    std::uint64_t wakes = 0;
};
ParkingTotals parking_totals(std::string_view name);

}  // namespace shmring::multiprocess
