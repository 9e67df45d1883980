// shmring send / recv: messages through both queue engines.
#include <gtest/gtest.h>

#include <span>  // before support/test_ring.hpp, which uses std::span without including it

#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

class ToolQueue : public ::testing::TestWithParam<const char*> {};

TEST_P(ToolQueue, shouldRoundTripMessagesFromArgumentsAndFromStdinLines) {
    RingName ring(std::string("queue.") + GetParam());
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "64", "--message-size", "128", "--engine", GetParam()}).code, 0);
    const Finished from_args = run_tool({"send", ring.str(), "first", "second message", ""});
    ASSERT_EQ(from_args.code, 0) << from_args.err;
    const Finished from_stdin = run_tool({"send", ring.str()}, "third\nfourth\n");
    ASSERT_EQ(from_stdin.code, 0) << from_stdin.err;

    const Finished received = run_tool({"recv", ring.str(), "--count", "5"});
    EXPECT_EQ(received.code, 0) << received.err;
    EXPECT_EQ(received.out, "first\nsecond message\n\nthird\nfourth\n");
}

TEST_P(ToolQueue, shouldEndRecvAtItsTimeout) {
    RingName ring(std::string("queue.timeout.") + GetParam());
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "4", "--message-size", "64", "--engine", GetParam()}).code, 0);
    ASSERT_EQ(run_tool({"send", ring.str(), "only"}).code, 0);

    const Finished drained = run_tool({"recv", ring.str(), "--timeout", "0.2"});
    EXPECT_EQ(drained.code, 0) << drained.err;
    EXPECT_EQ(drained.out, "only\n");

    const Finished short_of_count = run_tool({"recv", ring.str(), "--count", "1", "--timeout", "0.1"});
    EXPECT_EQ(short_of_count.code, 1);
    EXPECT_EQ(short_of_count.err, "shmring: " + ring.str() + ": timed out waiting for message 1 of 1\n");
}

TEST_P(ToolQueue, shouldRefuseAMessageAboveTheLimit) {
    RingName ring(std::string("queue.large.") + GetParam());
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "4", "--message-size", "64", "--engine", GetParam()}).code, 0);
    const Finished sent = run_tool({"send", ring.str(), "fits", std::string(65, 'x')});
    EXPECT_EQ(sent.code, 1);
    EXPECT_EQ(sent.err, "shmring: " + ring.str() + ": message 2: 65 bytes, above the limit of 64 bytes (EMSGSIZE)\n");
    EXPECT_EQ(run_tool({"recv", ring.str(), "--count", "1"}).out, "fits\n");
}

INSTANTIATE_TEST_SUITE_P(BothEngines, ToolQueue, ::testing::Values("spsc", "mpmc"));

}  // namespace
}  // namespace shmring::testing
