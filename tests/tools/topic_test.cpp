// shmring create topic / publish / subscribe, and what ls, stat and gc say about topics.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <span>  // before support/test_ring.hpp, which uses std::span without including it
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "shmring/layout.hpp"
#include "shmring/topic.hpp"
#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

Json stat_json(const std::string& ring) {
    const Finished stat = run_tool({"stat", ring, "--json"});
    EXPECT_EQ(stat.code, 0) << stat.err;
    return Json::parse(stat.out, nullptr, false);
}

TEST(ToolTopic, shouldDeliverEveryPublishedMessageToEverySubscriber) {
    RingName ring("topic.fanout");
    ASSERT_EQ(run_tool({"create", "topic", ring.str(), "--messages", "16", "--message-size", "64"}).code, 0);
    Running first({"subscribe", ring.str(), "--count", "3"}, Running::Stdout::capture);
    Running second({"subscribe", ring.str(), "--count", "3"}, Running::Stdout::capture);
    // Both attached before anything is published: a subscriber starts with the next message.
    for (int i = 0; i < 200 && stat_json(ring.str())["topic"]["subscribers"].size() < 2; ++i) std::this_thread::sleep_for(10ms);
    const Finished published = run_tool({"publish", ring.str(), "one", "two"}, {});
    ASSERT_EQ(published.code, 0) << published.err;
    ASSERT_EQ(run_tool({"publish", ring.str()}, "three\n").code, 0);
    for (Running* subscriber : {&first, &second}) {
        for (const char* expected : {"one", "two", "three"}) EXPECT_EQ(subscriber->read_line(5s), expected);
        EXPECT_EQ(subscriber->wait().code, 0);
    }
}

TEST(ToolTopic, shouldReplayTheOldestMessagesKeptAndEndAtTheTimeout) {
    RingName ring("topic.history");
    ASSERT_EQ(run_tool({"create", "topic", ring.str(), "--messages", "4", "--message-size", "16", "--policy", "lossy"}).code, 0);
    ASSERT_EQ(run_tool({"publish", ring.str(), "a", "b", "c", "d", "e", "f"}).code, 0) << "a lossy publisher never waits";
    const Finished history = run_tool({"subscribe", ring.str(), "--from-oldest", "--timeout", "0.2"});
    EXPECT_EQ(history.code, 0) << history.err;
    EXPECT_EQ(history.out, "a\nb\nc\nd\ne\nf\n") << "a lossy topic keeps at least its capacity (4): here all 6 are still there";
    const Finished fresh = run_tool({"subscribe", ring.str(), "--count", "1", "--timeout", "0.1"});
    EXPECT_EQ(fresh.code, 1);
    EXPECT_EQ(fresh.err, "shmring: " + ring.str() + ": timed out waiting for message 1 of 1\n");
}

TEST(ToolTopic, shouldRefuseASecondPublisherAndAMessageAboveTheLimit) {
    RingName ring("topic.refuse");
    ASSERT_EQ(run_tool({"create", "topic", ring.str(), "--messages", "4", "--message-size", "8"}).code, 0);
    const Finished large = run_tool({"publish", ring.str(), "fits", std::string(9, 'x')});
    EXPECT_EQ(large.code, 1);
    EXPECT_EQ(large.err, "shmring: " + ring.str() + ": message 2: 9 bytes, above the limit of 8 bytes (EMSGSIZE)\n");
    auto holder = TopicPublisher::attach(ring.str());
    ASSERT_TRUE(holder);
    const Finished busy = run_tool({"publish", ring.str(), "x"});
    EXPECT_EQ(busy.code, 1);
    EXPECT_NE(busy.err.find("publisher role held by pid " + std::to_string(::getpid())), std::string::npos) << busy.err;
    EXPECT_EQ(run_tool({"create", "topic", "bad/name", "--messages", "4", "--message-size", "8"}).code, 2);
    EXPECT_EQ(run_tool({"create", "topic", ring.str() + ".p", "--messages", "4", "--message-size", "8", "--policy", "fast"}).code, 2);
}

// A slow lossless subscriber holds the publisher back; stat shows who, by how much, and what a
// lossy subscriber lost.
TEST(ToolTopic, shouldShowEverySubscribersLagLossAndLiveness) {
    RingName lossless("topic.lag");
    ASSERT_TRUE(create_topic(lossless, 8, 32, layout::TopicPolicy::lossless));
    auto publisher = TopicPublisher::attach(lossless.str());
    auto reader = TopicSubscriber::attach(lossless.str());
    auto idle = TopicSubscriber::attach(lossless.str());
    ASSERT_TRUE(publisher && reader && idle);
    const std::byte message[4]{};
    for (int i = 0; i < 6; ++i) ASSERT_EQ(publisher->try_send(message), Status::ok);
    std::byte buffer[32];
    std::size_t length = 0;
    for (int i = 0; i < 4; ++i) ASSERT_EQ(reader->try_receive(buffer, length), Status::ok);

    const Json stat = stat_json(lossless.str());
    EXPECT_EQ(stat["kind"], "topic");
    EXPECT_EQ(stat["engine"], "topic");
    EXPECT_EQ(stat["capacity"], 8);
    EXPECT_EQ(stat["capacity_unit"], "messages");
    EXPECT_EQ(stat["used_messages"], 6) << "the slowest subscriber is 6 behind";
    EXPECT_DOUBLE_EQ(stat["fill_percent"].get<double>(), 75.0);
    const Json& topic = stat["topic"];
    EXPECT_EQ(topic["policy"], "lossless");
    EXPECT_EQ(topic["published"], 6);
    EXPECT_EQ(topic["next_sequence"], 7);
    ASSERT_EQ(topic["subscribers"].size(), 2U);
    std::vector<std::uint64_t> lags;
    for (const Json& s : topic["subscribers"]) {
        EXPECT_EQ(s["alive"], true);
        EXPECT_EQ(s["gating"], true);
        EXPECT_EQ(s["lost"], 0);
        lags.push_back(s["lag"]);
    }
    std::sort(lags.begin(), lags.end());
    EXPECT_EQ(lags, (std::vector<std::uint64_t>{2, 6}));
    const Finished text = run_tool({"stat", lossless.str()});
    EXPECT_NE(text.out.find("policy         lossless"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("slowest subscriber 6 messages behind"), std::string::npos) << text.out;
    const Finished ls = run_tool({"ls", "--json"});
    const Json rings = Json::parse(ls.out, nullptr, false);
    bool listed = false;
    for (const Json& r : rings["rings"])
        if (r["name"] == lossless.str()) listed = r["kind"] == "topic" && r["state"] == "ok" && r["used_messages"] == 6;
    EXPECT_TRUE(listed) << ls.out;

    RingName lossy("topic.lost");
    ASSERT_TRUE(create_topic(lossy, 4, 32, layout::TopicPolicy::lossy));
    auto lossy_publisher = TopicPublisher::attach(lossy.str());
    auto lapped = TopicSubscriber::attach(lossy.str());
    ASSERT_TRUE(lossy_publisher && lapped);
    for (int i = 0; i < 12; ++i) ASSERT_EQ(lossy_publisher->try_send(message), Status::ok);
    ASSERT_EQ(lapped->try_receive(buffer, length), Status::ok);  // 8 slots: resumes at the 7 latest, 5 lost
    const Json lossy_stat = stat_json(lossy.str());
    ASSERT_EQ(lossy_stat["topic"]["subscribers"].size(), 1U);
    EXPECT_EQ(lossy_stat["topic"]["subscribers"][0]["lost"], 5);
    EXPECT_EQ(lossy_stat["topic"]["subscribers"][0]["gating"], false);
    EXPECT_EQ(lossy_stat["topic"]["policy"], "lossy");
}

TEST(ToolTopic, shouldShowADeadSubscriberAndCollectATopicNobodyUses) {
    RingName ring("topic.dead");
    const pid_t child = ::fork();
    if (child == 0) {  // the creator and only subscriber: stale once it died
        if (!create_topic(ring, 4, 32, layout::TopicPolicy::lossless)) ::_exit(1);
        auto subscriber = TopicSubscriber::attach(ring.str());
        ::_exit(subscriber ? 0 : 1);  // dies attached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(WEXITSTATUS(status), 0);
    const Json stat = stat_json(ring.str());
    ASSERT_EQ(stat["topic"]["subscribers"].size(), 1U);
    EXPECT_EQ(stat["topic"]["subscribers"][0]["alive"], false);
    EXPECT_EQ(stat["state"], "stale");
    const Finished gc = run_tool({"gc", ring.str()});
    EXPECT_EQ(gc.code, 0) << gc.err;
    EXPECT_EQ(run_tool({"stat", ring.str()}).code, 1) << "collected";
}

TEST(ToolTopic, shouldCallATopicWhoseLimitContradictsItsPositionCorrupt) {
    RingName ring("topic.corrupt");
    ASSERT_TRUE(create_topic(ring, 4, 32, layout::TopicPolicy::lossless));
    {
        auto publisher = TopicPublisher::attach(ring.str());
        ASSERT_TRUE(publisher);
        ASSERT_EQ(publisher->try_send(std::as_bytes(std::span("x", 1))), Status::ok);
        // Someone writes a limit far past the position.
        const_cast<SharedAtomic<std::uint64_t>&>(publisher->ring().producer().limit).store(1000, std::memory_order_relaxed);
    }
    const Finished stat = run_tool({"stat", ring.str()});
    EXPECT_EQ(stat.code, 1);
    EXPECT_NE(stat.err.find("corrupt: announced limit 1000"), std::string::npos) << stat.err;
    auto refused = TopicPublisher::attach(ring.str());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::corrupt);
}

}  // namespace
}  // namespace shmring::testing
