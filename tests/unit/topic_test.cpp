// Topic handles (topic.hpp) on real segments: roles, waiting, subscribers that die, and threads
// that publish and subscribe at once (the sanitizer builds run these too).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "shmring/mpmc_ring.hpp"
#include "shmring/topic.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using layout::TopicPolicy;

constexpr std::uint32_t kMessageSize = 64;

EndpointOptions spinning() {
    EndpointOptions options;
    options.wait = WaitStrategy::spin;
    return options;
}

// A message that carries its number in every word, so that a torn copy shows.
struct Stamped {
    std::uint64_t words[kMessageSize / 8];
    static Stamped of(std::uint64_t n) {
        Stamped s{};
        for (auto& w : s.words) w = n;
        return s;
    }
    bool intact() const {
        for (const auto w : words)
            if (w != words[0]) return false;
        return true;
    }
};

std::span<const std::byte> bytes(const Stamped& s) { return std::as_bytes(std::span(&s, 1)); }

// Forks a process that subscribes to `name` and then exits with `then(subscriber)`; returns its pid
// once it has subscribed, or -1.
template <class Then>
pid_t fork_subscriber(const std::string& name, Then then) {
    int ready[2];
    if (::pipe(ready) != 0) return -1;
    const pid_t child = ::fork();
    if (child == 0) {
        auto subscriber = TopicSubscriber::attach(name);
        const char byte = subscriber ? 'y' : 'n';
        (void)!::write(ready[1], &byte, 1);
        ::_exit(subscriber ? then(*subscriber) : 1);
    }
    char byte = 0;
    const bool subscribed = child > 0 && ::read(ready[0], &byte, 1) == 1 && byte == 'y';
    ::close(ready[0]);
    ::close(ready[1]);
    return subscribed ? child : -1;
}

TEST(Topic, shouldRefuseASecondPublisherAndLetASuccessorContinueTheSequence) {
    testing::RingName name("topic.roles");
    ASSERT_TRUE(create_topic(name, 8, kMessageSize, TopicPolicy::lossless));
    auto subscriber = TopicSubscriber::attach(name);
    ASSERT_TRUE(subscriber);
    {
        auto first = TopicPublisher::attach(name);
        ASSERT_TRUE(first);
        auto second = TopicPublisher::attach(name);
        ASSERT_FALSE(second);
        EXPECT_EQ(second.error().code(), Errc::busy);
        ASSERT_EQ(first->try_send(bytes(Stamped::of(1))), Status::ok);
    }
    auto successor = TopicPublisher::attach(name);
    ASSERT_TRUE(successor) << successor.error().message();
    EXPECT_EQ(successor->next_sequence(), 2U);
    ASSERT_EQ(successor->try_send(bytes(Stamped::of(2))), Status::ok);
    for (std::uint64_t n = 1; n <= 2; ++n) {
        Stamped got{};
        std::size_t length = 0;
        std::uint64_t sequence = 0;
        ASSERT_EQ(subscriber->try_receive(std::as_writable_bytes(std::span(&got, 1)), length, &sequence), Status::ok);
        EXPECT_EQ(sequence, n);
        EXPECT_EQ(got.words[0], n);
    }
}

TEST(Topic, shouldRefuseToAttachToAnotherEngine) {
    testing::RingName name("topic.engine");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 32));
    auto subscriber = TopicSubscriber::attach(name);
    ASSERT_FALSE(subscriber);
    EXPECT_EQ(subscriber.error().code(), Errc::wrong_kind);
    EXPECT_FALSE(TopicPublisher::attach(name));
}

TEST(Topic, shouldRefuseACapacityOrPolicyOutOfRange) {
    testing::RingName name("topic.bad");
    EXPECT_EQ(create_topic(name, 0, 8, TopicPolicy::lossy).error().code(), Errc::invalid_argument);
    EXPECT_EQ(create_topic(name, (1U << 24) + 1, 8, TopicPolicy::lossless).error().code(), Errc::invalid_argument);
    EXPECT_EQ(create_topic(name, 1U << 24, 8, TopicPolicy::lossy).error().code(), Errc::invalid_argument) << "one slot more than its capacity";
    EXPECT_EQ(create_topic(name, 4, 8, TopicPolicy(7)).error().code(), Errc::invalid_argument);
    EXPECT_FALSE(Segment::unlink(name)) << "nothing was created";
}

TEST(Topic, shouldTimeOutALosslessPublisherWhileASubscriberIsACapacityBehind) {
    testing::RingName name("topic.timeout");
    ASSERT_TRUE(create_topic(name, 3, kMessageSize, TopicPolicy::lossless));
    auto publisher = TopicPublisher::attach(name);
    auto subscriber = TopicSubscriber::attach(name);
    ASSERT_TRUE(publisher && subscriber);
    for (std::uint64_t n = 1; n <= 3; ++n) ASSERT_EQ(publisher->try_send(bytes(Stamped::of(n))), Status::ok);
    EXPECT_EQ(publisher->try_send(bytes(Stamped::of(4))), Status::again);
    const auto start = Clock::now();
    EXPECT_EQ(publisher->send(bytes(Stamped::of(4)), Clock::now() + 30ms), Status::timed_out);
    EXPECT_GE(Clock::now() - start, 30ms);
    EXPECT_EQ(publisher->endpoint().counters().full.load(std::memory_order_relaxed), 2U) << "one per try, one per wait";
}

TEST(Topic, shouldStopHoldingThePublisherBackWhenASubscriberCloses) {
    testing::RingName name("topic.close");
    ASSERT_TRUE(create_topic(name, 2, kMessageSize, TopicPolicy::lossless));
    auto publisher = TopicPublisher::attach(name);
    ASSERT_TRUE(publisher);
    std::optional<TopicSubscriber> subscriber;
    {
        auto attached = TopicSubscriber::attach(name);
        ASSERT_TRUE(attached);
        subscriber.emplace(std::move(*attached));
    }
    for (std::uint64_t n = 1; n <= 2; ++n) ASSERT_EQ(publisher->try_send(bytes(Stamped::of(n))), Status::ok);
    std::thread closer([&] {
        std::this_thread::sleep_for(20ms);
        subscriber.reset();
    });
    EXPECT_EQ(publisher->send(bytes(Stamped::of(3)), Clock::now() + 5s), Status::ok);
    closer.join();
}

// A subscriber process that dies holding the publisher back: the publisher's wait probes find it
// dead (its lease is free) and reap it.
TEST(Topic, shouldFreeAPublisherBlockedOnASubscriberThatDiedWithinASecond) {
    for (const WaitStrategy strategy : {WaitStrategy::block, WaitStrategy::spin}) {
        testing::RingName name("topic.dead");
        ASSERT_TRUE(create_topic(name, 2, kMessageSize, TopicPolicy::lossless));
        EndpointOptions options;
        options.wait = strategy;
        auto publisher = TopicPublisher::attach(name, options);
        ASSERT_TRUE(publisher);
        const pid_t child = fork_subscriber(name.str(), [](TopicSubscriber&) {
            ::pause();  // killed here, never leaving
            return 0;
        });
        ASSERT_GT(child, 0);
        for (std::uint64_t n = 1; n <= 2; ++n) ASSERT_EQ(publisher->try_send(bytes(Stamped::of(n))), Status::ok);
        EXPECT_EQ(publisher->try_send(bytes(Stamped::of(3))), Status::again) << "the live subscriber holds it back";
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        const auto start = Clock::now();
        EXPECT_EQ(publisher->send(bytes(Stamped::of(3)), Clock::now() + 5s), Status::ok);
        EXPECT_LT(Clock::now() - start, 1s);
    }
}

// A stopped subscriber is slow, not dead: the publisher waits for it, and goes on once it reads.
TEST(Topic, shouldKeepWaitingForAStoppedSubscriber) {
    testing::RingName name("topic.stopped");
    ASSERT_TRUE(create_topic(name, 1, kMessageSize, TopicPolicy::lossless));
    auto publisher = TopicPublisher::attach(name);
    ASSERT_TRUE(publisher);
    const pid_t child = fork_subscriber(name.str(), [](TopicSubscriber& subscriber) {
        Stamped got{};
        std::size_t length = 0;
        for (int n = 0; n < 2; ++n)
            if (subscriber.receive(std::as_writable_bytes(std::span(&got, 1)), length, Clock::now() + 10s) != Status::ok) return 2;
        return 0;
    });
    ASSERT_GT(child, 0);
    ASSERT_EQ(::kill(child, SIGSTOP), 0);
    ASSERT_EQ(publisher->try_send(bytes(Stamped::of(1))), Status::ok);
    // Several probe intervals: a stopped process keeps its lease, so it is never reaped.
    EXPECT_EQ(publisher->send(bytes(Stamped::of(2)), Clock::now() + 300ms), Status::timed_out);
    ASSERT_EQ(::kill(child, SIGCONT), 0);
    EXPECT_EQ(publisher->send(bytes(Stamped::of(2)), Clock::now() + 10s), Status::ok);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "it received both messages";
}

TEST(Topic, shouldLetATryPublisherFindADeadSubscriberOnItsOwn) {
    testing::RingName name("topic.deadtry");
    ASSERT_TRUE(create_topic(name, 1, kMessageSize, TopicPolicy::lossless));
    auto publisher = TopicPublisher::attach(name);
    ASSERT_TRUE(publisher);
    const pid_t child = ::fork();
    if (child == 0) {
        auto subscriber = TopicSubscriber::attach(name);
        ::_exit(subscriber ? 0 : 1);  // exits without closing: the destructor never runs
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT_EQ(publisher->try_send(bytes(Stamped::of(1))), Status::ok);
    // The first full try looks for dead subscribers at once; later ones at most once per probe interval.
    EXPECT_EQ(publisher->try_send(bytes(Stamped::of(2))), Status::ok);
}

// One publisher thread, three subscriber threads, lossless: each gets every message, in order.
TEST(Topic, shouldDeliverEveryMessageToEverySubscriberInOrder) {
    testing::RingName name("topic.fanout");
    ASSERT_TRUE(create_topic(name, 16, kMessageSize, TopicPolicy::lossless));
    constexpr std::uint64_t kMessages = 20'000;
    constexpr int kSubscribers = 3;
    std::vector<TopicSubscriber> subscribers;
    for (int i = 0; i < kSubscribers; ++i) {
        auto s = TopicSubscriber::attach(name);  // adaptive: four threads share two cores
        ASSERT_TRUE(s);
        subscribers.push_back(std::move(*s));
    }
    std::vector<std::uint64_t> sums(kSubscribers, 0);
    std::vector<std::thread> readers;
    std::atomic<int> failures{0};
    for (int i = 0; i < kSubscribers; ++i) {
        readers.emplace_back([&, i] {
            for (std::uint64_t n = 1; n <= kMessages; ++n) {
                Stamped got{};
                std::size_t length = 0;
                std::uint64_t sequence = 0;
                // Alternate the copying and the zero-copy calls.
                if (n % 2 == 0) {
                    if (subscribers[i].receive(std::as_writable_bytes(std::span(&got, 1)), length, &sequence, Clock::now() + 10s) != Status::ok) {
                        ++failures;
                        return;
                    }
                } else {
                    const View view = subscribers[i].peek(Clock::now() + 10s);
                    if (view.status != Status::ok) {
                        ++failures;
                        return;
                    }
                    std::memcpy(&got, view.data.data(), view.data.size());
                    sequence = view.sequence;
                    if (subscribers[i].release() != Status::ok) ++failures;
                }
                if (sequence != n || got.words[0] != n || !got.intact()) ++failures;
                sums[i] += got.words[0];
            }
        });
    }
    auto publisher = TopicPublisher::attach(name);
    ASSERT_TRUE(publisher);
    for (std::uint64_t n = 1; n <= kMessages; ++n) {
        if (n % 2 == 0) {
            ASSERT_EQ(publisher->send(bytes(Stamped::of(n)), Clock::now() + 10s), Status::ok);
        } else {
            const Loan loan = publisher->claim(kMessageSize, Clock::now() + 10s);
            ASSERT_EQ(loan.status, Status::ok);
            const Stamped s = Stamped::of(n);
            std::memcpy(loan.data.data(), &s, sizeof s);
            publisher->commit(sizeof s);
        }
    }
    for (auto& t : readers) t.join();
    EXPECT_EQ(failures.load(), 0);
    for (const auto sum : sums) EXPECT_EQ(sum, kMessages * (kMessages + 1) / 2);
}

// Every endpoint entry but the publisher's may hold a subscriber: 63 at once, each gets everything.
TEST(Topic, shouldServeSixtyThreeSubscribersAtOnce) {
    testing::RingName name("topic.many");
    ASSERT_TRUE(create_topic(name, 8, kMessageSize, TopicPolicy::lossless));
    auto publisher = TopicPublisher::attach(name);
    ASSERT_TRUE(publisher);
    std::vector<TopicSubscriber> subscribers;
    for (std::uint32_t i = 0; i + 1 < layout::kMaxEndpoints; ++i) {
        auto s = TopicSubscriber::attach(name);
        ASSERT_TRUE(s) << "subscriber " << i << ": " << s.error().message();
        subscribers.push_back(std::move(*s));
    }
    auto one_more = TopicSubscriber::attach(name);
    ASSERT_FALSE(one_more);
    EXPECT_EQ(one_more.error().code(), Errc::no_endpoint_slot);
    for (std::uint64_t n = 1; n <= 20; ++n) {
        ASSERT_EQ(publisher->try_send(bytes(Stamped::of(n))), Status::ok) << "message " << n;
        if (n % 8 != 0 && n != 20) continue;
        for (auto& s : subscribers) {  // every 8 messages, everyone catches up
            for (Stamped got{}; ; ) {
                std::size_t length = 0;
                std::uint64_t sequence = 0;
                const Status status = s.try_receive(std::as_writable_bytes(std::span(&got, 1)), length, &sequence);
                if (status == Status::again) break;
                ASSERT_EQ(status, Status::ok);
                EXPECT_EQ(sequence, got.words[0]);
            }
            EXPECT_EQ(s.next_sequence(), n + 1);
        }
    }
}

// A lossy publisher that laps its subscriber: the subscriber never sees a torn message, and what
// it received plus what it lost is what was published.
TEST(Topic, shouldNeverDeliverATornMessageWhenALossyPublisherLapsItsSubscriber) {
    testing::RingName name("topic.lossy");
    ASSERT_TRUE(create_topic(name, 2, kMessageSize, TopicPolicy::lossy));
    constexpr std::uint64_t kMessages = 50'000;
    auto subscriber = TopicSubscriber::attach(name, spinning());
    ASSERT_TRUE(subscriber);
    std::atomic<bool> done{false};
    std::thread publishing([&] {
        auto publisher = TopicPublisher::attach(name);
        if (!publisher) return;
        for (std::uint64_t n = 1; n <= kMessages; ++n)
            if (publisher->try_send(bytes(Stamped::of(n))) != Status::ok) return;
        done.store(true);
    });
    std::uint64_t received = 0, last = 0, torn = 0, out_of_order = 0;
    const auto give_up = Clock::now() + 60s;
    for (;;) {
        Stamped got{};
        std::size_t length = 0;
        std::uint64_t sequence = 0;
        const Status status = subscriber->try_receive(std::as_writable_bytes(std::span(&got, 1)), length, &sequence);
        if (status == Status::again) {
            if ((done.load() && subscriber->next_sequence() > kMessages) || Clock::now() > give_up) break;
            continue;
        }
        ASSERT_EQ(status, Status::ok);
        ++received;
        if (!got.intact() || got.words[0] != sequence) ++torn;
        if (sequence <= last) ++out_of_order;
        last = sequence;
    }
    publishing.join();
    EXPECT_EQ(torn, 0U);
    EXPECT_EQ(out_of_order, 0U);
    EXPECT_EQ(received + subscriber->lost(), kMessages);
    RecordProperty("lost", static_cast<int>(subscriber->lost()));
}

}  // namespace
}  // namespace shmring
