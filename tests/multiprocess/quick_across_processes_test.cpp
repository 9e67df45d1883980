// A short run of each multi-process exchange, cheap enough for the sanitizer builds. Every role is
// a fresh exec, so each process starts its own sanitizer runtime and none inherits a forked one.
#include <gtest/gtest.h>

#include "shmring/layout.hpp"
#include "workloads/endpoint_options.hpp"
#include "workloads/mpmc_exchange.hpp"
#include "workloads/spsc_exchange.hpp"

namespace shmring::multiprocess {
namespace {

using namespace std::chrono_literals;

SpscExchange short_spsc(std::uint64_t capacity, WaitStrategy wait, Transfer transfer) {
    SpscExchange exchange;
    exchange.capacity = capacity;
    exchange.messages = 50'000;
    exchange.max_payload = layout::spsc_max_message(capacity) < 200 ? layout::spsc_max_message(capacity) : 200;
    exchange.wait = wait;
    exchange.probe_interval = kNoProbing;
    exchange.transfer = transfer;
    exchange.batch = 4;
    exchange.time_limit = 60s;
    return exchange;
}

MpmcExchange short_mpmc(std::uint64_t slots, WaitStrategy wait) {
    MpmcExchange exchange;
    exchange.slots = slots;
    exchange.producers = 2;
    exchange.consumers = 2;
    exchange.messages_per_producer = 10'000;
    exchange.wait = wait;
    exchange.probe_interval = kNoProbing;
    exchange.time_limit = 60s;
    return exchange;
}

TEST(QuickAcrossProcesses, shouldDeliverRandomSizedRecordsInOrder) {
    EXPECT_TRUE(exchange_across_processes(short_spsc(4096, WaitStrategy::adaptive, Transfer::copy)));
}

TEST(QuickAcrossProcesses, shouldDeliverRecordsThroughBatchedClaimsAndPeeks) {
    EXPECT_TRUE(exchange_across_processes(short_spsc(4096, WaitStrategy::adaptive, Transfer::zero_copy)));
}

TEST(QuickAcrossProcesses, shouldWakeBothSidesOfAMinimumCapacitySpscRing) {
    EXPECT_TRUE(exchange_across_processes(short_spsc(layout::kMinSpscCapacity, WaitStrategy::block, Transfer::copy)));
}

TEST(QuickAcrossProcesses, shouldDeliverEveryMessageOnceAndInOrderBetweenTwoProducersAndTwoConsumers) {
    EXPECT_TRUE(exchange_across_processes(short_mpmc(8, WaitStrategy::adaptive)));
}

TEST(QuickAcrossProcesses, shouldWakeParkedProducersAndConsumersOfAOneSlotMpmcRing) {
    EXPECT_TRUE(exchange_across_processes(short_mpmc(1, WaitStrategy::block)));
}

}  // namespace
}  // namespace shmring::multiprocess
