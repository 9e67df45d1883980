// CURVE: a sender with a key the receiver does not allow, or that does not know the receiver's
// key, is refused and logged, and nothing reaches the ring; the allowed one gets through.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <span>

#include "bridge_fixture.hpp"
#include "support/test_ring.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;

class BridgeSecurity : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/shmring-keys-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        keys_ = pattern;
        for (const char* name : {"server", "client", "intruder"}) {
            const Finished made = run_tool({"bridge", "keygen", key(name)});
            ASSERT_EQ(made.code, 0) << made.err;
        }
    }
    void TearDown() override { std::filesystem::remove_all(keys_); }
    std::string key(const std::string& name) const { return keys_ + "/" + name + ".key"; }

    std::string keys_;
};

TEST_F(BridgeSecurity, shouldWriteAKeyPairWithTheSecretKeptPrivate) {
    EXPECT_EQ(std::filesystem::status(key("server")).permissions(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const Finished again = run_tool({"bridge", "keygen", key("server")});
    EXPECT_EQ(again.code, 1);
    EXPECT_NE(again.err.find("exists already"), std::string::npos) << again.err;
}

TEST_F(BridgeSecurity, shouldRefuseSendersWithoutTheRightKeysAndLetTheRightOneIn) {
    RingName source("bridge.curve.src");
    RingName destination("bridge.curve.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "64", "--message-size", "64"}).code, 0);
    ASSERT_EQ(run_tool({"send", source.str(), "one", "two", "three"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port, {"--curve-key", key("server"), "--allow", key("client") + ".pub"});

    // A key the receiver does not allow, then one that does not know the receiver's public key.
    auto intruder = start_sender(source.str(), port, {"--curve-key", key("intruder"), "--server-key", key("server") + ".pub"});
    std::this_thread::sleep_for(1500ms);
    intruder->signal(SIGTERM);
    intruder->wait(5s);
    auto confused = start_sender(source.str(), port, {"--curve-key", key("client"), "--server-key", key("intruder") + ".pub"});
    std::this_thread::sleep_for(1500ms);
    confused->signal(SIGTERM);
    const Finished confused_ended = confused->wait(5s);
    EXPECT_NE(confused_ended.err.find("no answer from"), std::string::npos) << confused_ended.err;
    EXPECT_NE(run_tool({"stat", destination.str()}).code, 0) << "nothing may reach the far ring: it is not even created";

    auto allowed = start_sender(source.str(), port, {"--curve-key", key("client"), "--server-key", key("server") + ".pub"});
    ASSERT_TRUE(eventually([&] { return run_tool({"recv", destination.str(), "--count", "3", "--timeout", "0.2"}).out == "one\ntwo\nthree\n"; }, 15s));

    const Finished status = run_tool({"bridge", "status", destination.str(), "--json"});
    EXPECT_EQ(status.out.find("\"refused\": 0,"), std::string::npos) << status.out;
    receiver->signal(SIGTERM);
    const Finished ended = receiver->wait(5s);
    EXPECT_NE(ended.err.find("refused a sender at"), std::string::npos) << ended.err;
    EXPECT_NE(ended.err.find("is not allowed"), std::string::npos) << ended.err;
    EXPECT_NE(ended.err.find("its handshake failed"), std::string::npos) << ended.err;
}

TEST(BridgeSecurityOptions, shouldAskForCurveOrAnExplicitPlain) {
    const Finished neither = run_tool({"bridge", "recv", "x", "--listen", "tcp://127.0.0.1:1"});
    EXPECT_EQ(neither.code, 1);
    EXPECT_NE(neither.err.find("--plain"), std::string::npos) << neither.err;
}

}  // namespace
}  // namespace shmring::testing
