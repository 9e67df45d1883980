// A test of blocking mode must actually block: a run in which the endpoints seldom parked on a
// futex says nothing about lost wake-ups, so it fails instead of passing vacuously.
#pragma once

#include <cstdint>
#include <string_view>

#include <gtest/gtest.h>

#include "harness/ring_snapshot.hpp"
#include "shmring/wait.hpp"

namespace shmring::multiprocess {

// At least one park per hundred messages: on the one- and two-slot rings of these tests a
// blocking endpoint parks on most messages, so falling below this means the waits were skipped.
inline ::testing::AssertionResult parked_enough(std::string_view ring, WaitStrategy wait, std::uint64_t messages) {
    if (wait != WaitStrategy::block) return ::testing::AssertionSuccess();
    const ParkingTotals totals = parking_totals(ring);
    if (totals.sleeps * 100 >= messages && totals.wakes > 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "the endpoints parked " << totals.sleeps << " times and woke others " << totals.wakes
                                         << " times for " << messages << " messages: too few to test wake-ups";
}

}  // namespace shmring::multiprocess
