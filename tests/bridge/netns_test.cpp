// Two network namespaces joined by a veth pair stand for two hosts: the receiver listens in one,
// the sender connects from the other. The link is cut and restored mid-stream; the far queue
// still receives every message exactly once, in order.
#include <gtest/gtest.h>

#include <csignal>
#include <span>

#include "bridge_fixture.hpp"
#include "support/test_ring.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;

// Two namespaces and the veth pair between them, made by the test and removed after it.
class TwoHosts {
public:
    TwoHosts() : near_("shmr-a" + std::to_string(::getpid())), far_("shmr-b" + std::to_string(::getpid())) {
        const std::string script =
            "ip netns add " + near_ + " && ip netns add " + far_ + " && ip link add " + near_ + " type veth peer name " + far_ +
            " && ip link set " + near_ + " netns " + near_ + " && ip link set " + far_ + " netns " + far_ +
            " && ip -n " + near_ + " addr add 10.251.0.1/24 dev " + near_ + " && ip -n " + far_ + " addr add 10.251.0.2/24 dev " + far_ +
            " && ip -n " + near_ + " link set " + near_ + " up && ip -n " + far_ + " link set " + far_ + " up" +
            " && ip -n " + near_ + " link set lo up && ip -n " + far_ + " link set lo up";
        const Finished made = run_shell(script, 20s);
        made_ = made.exited && made.code == 0;
        error_ = made.err;
    }
    ~TwoHosts() { run_shell("ip netns del " + near_ + " 2>/dev/null; ip netns del " + far_ + " 2>/dev/null; true", 20s); }
    bool made() const { return made_; }
    const std::string& error() const { return error_; }
    const std::string& near() const { return near_; }
    const std::string& far() const { return far_; }
    // Takes the near end of the link down (false) or up (true).
    bool set_link(bool up) const {
        return run_shell("ip -n " + near_ + " link set " + near_ + (up ? " up" : " down"), 10s).code == 0;
    }

private:
    std::string near_;
    std::string far_;
    bool made_ = false;
    std::string error_;
};

std::unique_ptr<Running> in_namespace(const std::string& ns, const std::string& arguments) {
    return std::make_unique<Running>(Script{"exec ip netns exec " + ns + " \"$SHMRING\" " + arguments});
}

TEST(BridgeAcrossHosts, shouldDeliverExactlyOnceAcrossACutLink) {
    TwoHosts hosts;
    if (!hosts.made()) GTEST_SKIP() << "this machine cannot make network namespaces and a veth pair (needs root and iproute2): " << hosts.error();
    RingName source("bridge.netns.src");
    RingName destination("bridge.netns.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "2048", "--message-size", "64"}).code, 0);
    const std::string endpoint = "tcp://10.251.0.2:7801";
    auto receiver = in_namespace(hosts.far(), "bridge recv " + destination.str() + " --listen " + endpoint + " --plain");
    auto sender = in_namespace(hosts.near(), "bridge send " + source.str() + " --to " + endpoint + " --plain");

    QueueTraffic traffic(source.str(), destination.str(), 64, ~std::uint64_t{0});
    ASSERT_TRUE(eventually([&] { return traffic.received() > 1000; }, 20s)) << traffic.failure();
    for (int cut = 0; cut < 2; ++cut) {
        ASSERT_TRUE(hosts.set_link(false));
        const std::uint64_t at_cut = traffic.received();
        std::this_thread::sleep_for(1500ms);  // longer than the silence that makes the sender reconnect
        EXPECT_LE(traffic.received(), at_cut + 4096) << "the link was down: at most what was in flight may arrive";
        ASSERT_TRUE(hosts.set_link(true));
        const std::uint64_t at_restore = traffic.received();
        EXPECT_TRUE(eventually([&] { return traffic.received() > at_restore + 1000; }, 20s)) << traffic.failure();
    }
    traffic.stop_writing();
    EXPECT_TRUE(traffic.wait_delivered(60s)) << traffic.failure() << " (sent " << traffic.sent() << ", received " << traffic.received() << ")";
    EXPECT_EQ(traffic.received(), traffic.sent());
    sender->signal(SIGTERM);
    const Finished ended = sender->wait(5s);
    EXPECT_NE(ended.err.find("reconnecting"), std::string::npos) << ended.err;
}

}  // namespace
}  // namespace shmring::testing
