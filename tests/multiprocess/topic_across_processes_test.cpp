// Topics between one publisher process and several subscriber processes (workloads/topic_fanout.hpp).
#include <gtest/gtest.h>

#include "workloads/topic_fanout.hpp"

namespace shmring::multiprocess {
namespace {

TopicFanout lossless(std::uint32_t subscribers, std::uint64_t messages) {
    TopicFanout fanout;
    fanout.subscribers = subscribers;
    fanout.messages = messages;
    return fanout;
}

TEST(TopicAcrossProcesses, shouldDeliverEveryMessageInOrderToOneSubscriber) {
    EXPECT_TRUE(fan_out_across_processes(lossless(1, 10'000'000)));
}

TEST(TopicAcrossProcesses, shouldDeliverEveryMessageInOrderToThreeSubscribers) {
    EXPECT_TRUE(fan_out_across_processes(lossless(3, 3'000'000)));
}

TEST(TopicAcrossProcesses, shouldDeliverEveryMessageInOrderToEightSubscribers) {
    EXPECT_TRUE(fan_out_across_processes(lossless(8, 1'000'000)));
}

TEST(TopicAcrossProcesses, shouldResumeWithinASecondWhenTheSubscribersItWaitsForAreKilled) {
    TopicFanout fanout = lossless(2, 1'000'000);
    fanout.victims = 3;
    EXPECT_TRUE(fan_out_across_processes(fanout));
}

TEST(TopicAcrossProcesses, shouldGiveLateJoinersEveryMessageFromWhereTheyStart) {
    TopicFanout fanout = lossless(2, 1'000'000);
    fanout.late_joiners = true;
    EXPECT_TRUE(fan_out_across_processes(fanout));
}

TEST(TopicAcrossProcesses, shouldCountEveryGapOfSlowLossySubscribers) {
    TopicFanout fanout;
    fanout.policy = layout::TopicPolicy::lossy;
    fanout.capacity = 64;
    fanout.subscribers = 3;
    fanout.messages = 2'000'000;
    fanout.slow_subscribers = true;
    EXPECT_TRUE(fan_out_across_processes(fanout));
}

}  // namespace
}  // namespace shmring::multiprocess
