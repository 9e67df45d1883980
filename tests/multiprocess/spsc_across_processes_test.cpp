// SPSC between two processes at full speed: every record checked by number, size and bytes.
#include <gtest/gtest.h>

#include "workloads/spsc_exchange.hpp"

namespace shmring::multiprocess {
namespace {

SpscExchange ten_million_records(Transfer transfer) {
    SpscExchange exchange;
    exchange.capacity = 64 * 1024;
    exchange.messages = 10'000'000;
    exchange.max_payload = 320;
    // Adaptive, not spin: the two processes share this machine's cores with whatever else runs,
    // and a spinner that is descheduled holds its peer up for a whole time slice.
    exchange.wait = WaitStrategy::adaptive;
    exchange.transfer = transfer;
    exchange.batch = 32;
    exchange.time_limit = std::chrono::seconds(60);
    return exchange;
}

TEST(SpscAcrossProcesses, shouldDeliverTenMillionRandomSizedRecordsInOrder) {
    EXPECT_TRUE(exchange_across_processes(ten_million_records(Transfer::copy)));
}

TEST(SpscAcrossProcesses, shouldDeliverTenMillionRecordsThroughBatchedClaimsAndPeeks) {
    EXPECT_TRUE(exchange_across_processes(ten_million_records(Transfer::zero_copy)));
}

}  // namespace
}  // namespace shmring::multiprocess
