// Bridges killed with SIGKILL mid-stream and started again, several times, on either side: the far
// ring still receives every message exactly once, in order.
#include <gtest/gtest.h>

#include <csignal>
#include <random>
#include <span>

#include "bridge_fixture.hpp"
#include "support/test_ring.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;

struct Kills {
    int total = 0;
    int mid_stream = 0;  // kills while messages were on their way (sent, not yet received)
};

// Kills the sender, the receiver, or both, `rounds` times while `traffic` flows, and starts them again.
Kills kill_and_restart(QueueTraffic& traffic, const std::string& source, const std::string& destination, int port, int rounds,
                       std::unique_ptr<Running>& sender, std::unique_ptr<Running>& receiver) {
    std::mt19937 random(12345);
    Kills kills;
    for (int round = 0; round < rounds; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(150 + random() % 250));
        if (traffic.sent() > traffic.received()) ++kills.mid_stream;
        const int which = round % 3;  // sender, receiver, both
        if (which != 1) {
            sender->signal(SIGKILL);
            sender->wait(5s);
        }
        if (which != 0) {
            receiver->signal(SIGKILL);
            receiver->wait(5s);
        }
        ++kills.total;
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 200));
        if (which != 0) receiver = start_receiver(destination, port);
        if (which != 1) sender = start_sender(source, port);
    }
    return kills;
}

// The source queue's engine and the far queue's.
struct Engines {
    const char* source;
    const char* far;
};

void PrintTo(const Engines& engines, std::ostream* out) { *out << engines.source << " to " << engines.far; }

class BridgeRestart : public ::testing::TestWithParam<Engines> {};

TEST_P(BridgeRestart, shouldDeliverExactlyOnceAcrossKilledBridges) {
    RingName source("bridge.kill.src");
    RingName destination("bridge.kill.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "2048", "--message-size", "64", "--engine", GetParam().source}).code, 0);
    ASSERT_EQ(run_tool({"create", "queue", destination.str(), "--messages", "2048", "--message-size", "64", "--engine", GetParam().far}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);

    QueueTraffic traffic(source.str(), destination.str(), 64, ~std::uint64_t{0});
    ASSERT_TRUE(eventually([&] { return traffic.received() > 1000; }, 20s)) << traffic.failure();
    const Kills kills = kill_and_restart(traffic, source.str(), destination.str(), port, 9, sender, receiver);
    traffic.stop_writing();
    EXPECT_TRUE(traffic.wait_delivered(60s)) << traffic.failure() << " (sent " << traffic.sent() << ", received " << traffic.received() << ")";
    EXPECT_EQ(traffic.received(), traffic.sent());
    EXPECT_EQ(kills.total, 9);
    EXPECT_GE(kills.mid_stream, 3) << "too few kills landed while messages were in flight to prove anything";
}

INSTANTIATE_TEST_SUITE_P(QueueEngines, BridgeRestart, ::testing::Values(Engines{"spsc", "spsc"}, Engines{"spsc", "mpmc"}, Engines{"mpmc", "mpmc"}),
                         [](const auto& info) { return std::string(info.param.source) + "_to_" + info.param.far; });

}  // namespace
}  // namespace shmring::testing
