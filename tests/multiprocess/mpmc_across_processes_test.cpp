// MPMC between several producer and consumer processes: exactly once, in order per producer.
#include <gtest/gtest.h>

#include "workloads/mpmc_exchange.hpp"

namespace shmring::multiprocess {
namespace {

MpmcExchange busy_ring(std::uint32_t producers, std::uint32_t consumers, std::uint64_t messages_per_producer) {
    MpmcExchange exchange;
    exchange.slots = 64;
    exchange.producers = producers;
    exchange.consumers = consumers;
    exchange.messages_per_producer = messages_per_producer;
    // More processes than cores: a spinner would burn the slice its peer needs, so waiters park.
    exchange.wait = WaitStrategy::adaptive;
    exchange.time_limit = std::chrono::seconds(60);
    return exchange;
}

TEST(MpmcAcrossProcesses, shouldDeliverEveryMessageOnceAndInOrderBetweenTwoProducersAndTwoConsumers) {
    EXPECT_TRUE(exchange_across_processes(busy_ring(2, 2, 2'000'000)));
}

TEST(MpmcAcrossProcesses, shouldDeliverEveryMessageOnceAndInOrderBetweenFourProducersAndFourConsumers) {
    EXPECT_TRUE(exchange_across_processes(busy_ring(4, 4, 1'000'000)));
}

}  // namespace
}  // namespace shmring::multiprocess
