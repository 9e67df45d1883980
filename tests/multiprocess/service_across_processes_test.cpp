// Services between client processes and server processes (workloads/service_calls.hpp).
#include <gtest/gtest.h>

#include "workloads/service_calls.hpp"

namespace shmring::multiprocess {
namespace {

TEST(ServiceAcrossProcesses, shouldAnswerAMillionPipelinedCallsOfFourClientsByTwoServersEachExactlyOnce) {
    ServiceCalls calls;
    calls.calls_per_client = 250'000;
    EXPECT_TRUE(call_across_processes(calls));
}

TEST(ServiceAcrossProcesses, shouldAnswerOneCallAtATimeWithBlockingWaits) {
    ServiceCalls calls;
    calls.clients = 2;
    calls.calls_per_client = 20'000;
    calls.window = 1;
    calls.wait = WaitStrategy::block;
    EXPECT_TRUE(call_across_processes(calls));
}

TEST(ServiceAcrossProcesses, shouldResetOnlyTheCallOfAKilledServerAndAnswerEveryOther) {
    ServiceCalls calls;
    calls.calls_per_client = 50'000;
    calls.victim = true;
    EXPECT_TRUE(call_across_processes(calls));
}

}  // namespace
}  // namespace shmring::multiprocess
