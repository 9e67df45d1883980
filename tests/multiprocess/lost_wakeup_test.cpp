// Blocking mode across processes on the smallest rings, where nearly every operation parks on a
// shared futex and is woken by another process. A lost wake-up leaves a process asleep for good:
// the parent's deadline turns that into a failure (with a snapshot of who sleeps on what), and
// CTest's TIMEOUT backs it up.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "shmring/layout.hpp"
#include "workloads/mpmc_exchange.hpp"
#include "workloads/spsc_exchange.hpp"

namespace shmring::multiprocess {
namespace {

using namespace std::chrono_literals;

struct Topology {
    std::uint64_t slots;
    std::uint32_t producers;
    std::uint32_t consumers;
};

void PrintTo(const Topology& topology, std::ostream* out) {
    *out << topology.slots << " slots, " << topology.producers << " producers, " << topology.consumers << " consumers";
}

std::string topology_name(const ::testing::TestParamInfo<Topology>& info) {
    return "slots" + std::to_string(info.param.slots) + "_" + std::to_string(info.param.producers) + "x" +
           std::to_string(info.param.consumers);
}

class LostWakeUpMpmc : public ::testing::TestWithParam<Topology> {};

TEST_P(LostWakeUpMpmc, shouldWakeEveryParkedProducerAndConsumerUntilEveryMessageIsDelivered) {
    MpmcExchange exchange;
    exchange.slots = GetParam().slots;
    exchange.producers = GetParam().producers;
    exchange.consumers = GetParam().consumers;
    exchange.messages_per_producer = 400'000 / GetParam().producers;
    exchange.wait = WaitStrategy::block;
    exchange.time_limit = 60s;
    EXPECT_TRUE(exchange_across_processes(exchange));
}

INSTANTIATE_TEST_SUITE_P(SmallRings, LostWakeUpMpmc,
                         ::testing::Values(Topology{1, 1, 1}, Topology{1, 2, 2}, Topology{1, 4, 4}, Topology{2, 2, 2},
                                           Topology{2, 4, 4}),
                         topology_name);

SpscExchange minimum_ring(Transfer transfer) {
    SpscExchange exchange;
    exchange.capacity = layout::kMinSpscCapacity;
    exchange.messages = 500'000;
    exchange.max_payload = layout::spsc_max_message(layout::kMinSpscCapacity);
    exchange.wait = WaitStrategy::block;
    exchange.transfer = transfer;
    exchange.batch = 2;
    exchange.time_limit = 60s;
    return exchange;
}

TEST(LostWakeUpSpsc, shouldWakeBothSidesOfAMinimumCapacityRingForEveryRecord) {
    EXPECT_TRUE(exchange_across_processes(minimum_ring(Transfer::copy)));
}

TEST(LostWakeUpSpsc, shouldWakeBothSidesOfAMinimumCapacityRingWithBatchedClaimsAndPeeks) {
    EXPECT_TRUE(exchange_across_processes(minimum_ring(Transfer::zero_copy)));
}

}  // namespace
}  // namespace shmring::multiprocess
