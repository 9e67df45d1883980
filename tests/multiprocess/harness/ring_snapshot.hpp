// A racy look at a ring's shared state for the message of a failed or hung test: where each side
// stands, who sleeps on which event, and who is attached. A lost wake-up reads as "a sleeper on
// the data event while the producer position is ahead of the consumer's".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shmring/layout.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/wait.hpp"

namespace shmring::multiprocess {

std::string describe_ring(std::string_view name);

// How often the endpoints that have detached from the ring parked on a futex and woke another.
// A test of wake-ups that never parked tested nothing.
struct ParkingTotals {
    std::uint64_t sleeps = 0;
    std::uint64_t wakes = 0;
};
ParkingTotals parking_totals(std::string_view name);

// The sleep counts of the endpoints attached in `role`, one per endpoint: each rises by one every
// time its endpoint parks. For tests that must know a process sleeps before they act.
std::vector<std::uint64_t> sleeps_by_endpoint(const RingSegment& ring, layout::EndpointRole role);

// Polls until at least `sleepers` endpoints attached in `role` have parked, and the endpoints of
// that role have parked at least `sleeps` times in all. False if `deadline` passes first.
bool wait_for_parked(const RingSegment& ring, layout::EndpointRole role, std::size_t sleepers, std::uint64_t sleeps,
                     Deadline deadline);

}  // namespace shmring::multiprocess
