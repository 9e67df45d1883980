// shmring watch with stdout not a terminal: one line of rates per interval, ended by Ctrl-C.
#include <csignal>
#include <gtest/gtest.h>
#include <regex>

#include <span>  // before support/test_ring.hpp, which uses std::span without including it

#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

TEST(ToolWatch, shouldPrintLinesOfRatesAndEndCleanlyOnSigint) {
    RingName ring("watch.rates");
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "64", "--message-size", "64"}).code, 0);
    // A light, steady trickle: about 100 messages a second, until the test ends.
    Running receiver({"recv", ring.str()});
    Running sender(Script{"for i in $(seq 1 3000); do echo \"message $i\"; sleep 0.01; done | \"$SHMRING\" send " + ring.str()});

    Running watch({"watch", ring.str(), "--interval", "0.25"}, Running::Stdout::capture);
    const std::regex rates(R"(^\S+Z \S+ in (\S+) msg/s \S+ \S+/s out (\S+) msg/s \S+ \S+/s fill \S+% endpoints \d+ alive \d+ dead state ok$)");
    bool traffic_seen = false;
    for (int line_number = 0; line_number < 3; ++line_number) {
        const auto line = watch.read_line(std::chrono::seconds(5));
        ASSERT_TRUE(line.has_value()) << "line " << line_number;
        std::smatch match;
        ASSERT_TRUE(std::regex_match(*line, match, rates)) << *line;
        traffic_seen = traffic_seen || (match[1] != "0" && match[2] != "0");
    }
    EXPECT_TRUE(traffic_seen) << "the rates come from the counters' deltas";
    watch.signal(SIGINT);
    const Finished ended = watch.wait();
    EXPECT_TRUE(ended.exited);
    EXPECT_EQ(ended.code, 0) << ended.err;
}

TEST(ToolWatch, shouldEndQuietlyWhenTheReaderOfItsOutputLeaves) {
    RingName ring("watch.head");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    const Finished result = run_shell("\"$SHMRING\" watch " + ring.str() + " --interval 0.1 | head -n 2 | wc -l", std::chrono::seconds(20));
    EXPECT_TRUE(result.exited);
    EXPECT_EQ(result.code, 0) << "pipefail: watch itself ended with status 0\n" << result.err;
    EXPECT_EQ(result.out, "2\n");
}

}  // namespace
}  // namespace shmring::testing
