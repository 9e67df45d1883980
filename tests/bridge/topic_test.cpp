// Topics across a bridge: a lossless topic carries every message to each remote subscriber (the
// remote ones count as one subscriber of the local topic), also while the receiving bridge is
// killed and started again; a lossy one carries intact messages in order and counts what it lost.
#include <gtest/gtest.h>

#include <csignal>
#include <span>

#include "bridge_fixture.hpp"
#include "shmring/topic.hpp"
#include "support/test_ring.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kSize = 64;

// A far subscriber on its own thread: every message must be intact and come after the last one
// (in order: exactly the next, when `exact`).
class FarSubscriber {
public:
    FarSubscriber(const std::string& topic, bool exact) : exact_(exact) {
        auto subscriber = TopicSubscriber::attach(topic, {}, TopicStart::oldest);
        if (!subscriber) {
            failure_ = subscriber.error().message();
            return;
        }
        thread_ = std::thread([this, s = std::move(*subscriber)]() mutable { run(s); });
    }
    ~FarSubscriber() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::uint64_t received() const { return received_.load(); }
    std::uint64_t last() const { return last_.load(); }
    std::string failure() const { return failed_ ? failure_ : std::string(); }

private:
    void run(TopicSubscriber& subscriber) {
        std::vector<std::byte> buffer(kSize);
        std::uint64_t expected = 0;
        while (!stop_) {
            std::size_t length = 0;
            const Status status = subscriber.receive(buffer, length, deadline_after(50ms));
            if (status == Status::timed_out) continue;
            std::uint64_t sequence = 0;
            if (length >= sizeof sequence) std::memcpy(&sequence, buffer.data(), sizeof sequence);
            const bool in_order = exact_ ? sequence == expected : sequence >= expected;
            if (status != Status::ok || length != kSize || !in_order || !is_message(sequence, buffer.data(), length)) {
                failure_ = "expected " + std::to_string(expected) + ", got " + std::to_string(sequence) + " (" + describe(status) + ")";
                failed_ = true;
                return;
            }
            expected = sequence + 1;
            last_ = sequence;
            ++received_;
        }
    }

    bool exact_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> failed_{false};
    std::string failure_;
    std::atomic<std::uint64_t> received_{0};
    std::atomic<std::uint64_t> last_{0};
    std::thread thread_;
};

// Publishes messages 0 .. count-1 (waiting for room when the topic is lossless).
std::string publish(const std::string& topic, std::uint64_t count, const std::atomic<bool>& stop) {
    auto publisher = TopicPublisher::attach(topic);
    if (!publisher) return publisher.error().message();
    std::vector<std::byte> message(kSize);
    for (std::uint64_t sequence = 0; sequence < count && !stop; ++sequence) {
        fill_message(sequence, message.data(), kSize);
        Status status = Status::timed_out;
        while (status == Status::timed_out && !stop) status = publisher->send(message, deadline_after(50ms));
        if (status != Status::ok && !stop) return std::string("publish: ") + describe(status);
    }
    return {};
}

TEST(BridgeTopic, shouldCarryALosslessTopicToTwoRemoteSubscribersAcrossKilledReceivers) {
    RingName source("bridge.topic.src");
    RingName destination("bridge.topic.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "topic", source.str(), "--messages", "1024", "--message-size", "64"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);
    // The far topic exists once the sender said hello; its subscribers join before anything is published.
    ASSERT_TRUE(eventually([&] { return run_tool({"stat", destination.str()}).code == 0; }, 15s));
    FarSubscriber first(destination.str(), true);
    FarSubscriber second(destination.str(), true);

    constexpr std::uint64_t kCount = 300'000;
    std::atomic<bool> stop{false};
    std::string publish_error;
    std::thread publisher([&] { publish_error = publish(source.str(), kCount, stop); });
    for (int kill = 0; kill < 3; ++kill) {
        const std::uint64_t before = first.received();
        ASSERT_TRUE(eventually([&] { return first.received() > before + 10'000 || !first.failure().empty(); }, 30s));
        receiver->signal(SIGKILL);
        receiver->wait(5s);
        receiver = start_receiver(destination.str(), port);
    }
    const bool all = eventually([&] { return (first.received() == kCount && second.received() == kCount) || !first.failure().empty() || !second.failure().empty(); }, 60s);
    stop = true;
    publisher.join();
    EXPECT_EQ(publish_error, "");
    EXPECT_EQ(first.failure(), "");
    EXPECT_EQ(second.failure(), "");
    EXPECT_TRUE(all) << first.received() << " and " << second.received() << " of " << kCount;
}

TEST(BridgeTopic, shouldCarryALossyTopicInOrderAndCountWhatItLost) {
    RingName source("bridge.lossy.src");
    RingName destination("bridge.lossy.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "topic", source.str(), "--messages", "64", "--message-size", "64", "--policy", "lossy"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);
    ASSERT_TRUE(eventually([&] { return run_tool({"stat", destination.str()}).code == 0; }, 15s));
    FarSubscriber far(destination.str(), false);

    constexpr std::uint64_t kCount = 200'000;
    std::atomic<bool> stop{false};
    EXPECT_EQ(publish(source.str(), kCount, stop), "");
    // Every message the sender read is confirmed in the end; with those it lost, that is all.
    std::string status;
    const auto accounted = [&] {
        status = run_tool({"bridge", "status", source.str(), "--json"}).out;
        const auto number = [&](const std::string& key) {
            const auto at = status.find("\"" + key + "\": ");
            return at == std::string::npos ? 0ULL : std::stoull(status.substr(at + key.size() + 4));
        };
        return number("messages") + number("lost") == kCount;
    };
    EXPECT_TRUE(eventually(accounted, 30s)) << status;
    EXPECT_EQ(status.find("\"lost\": 0,"), std::string::npos) << "a 64-message topic flooded: the bridge cannot have kept up";
    EXPECT_TRUE(eventually([&] { return far.last() == kCount - 1 || !far.failure().empty(); }, 30s)) << "the last message arrives";
    EXPECT_EQ(far.failure(), "");
    EXPECT_GT(far.received(), 0U);
}

}  // namespace
}  // namespace shmring::testing
