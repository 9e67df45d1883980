// The publisher's choice of fence per event (detail/publish_fence.hpp): light while nobody sleeps
// on the event, full from the publish that finds a sleeper, and no bit left behind by a publisher
// that detaches or dies. Whether a light publish can lose a wake-up is the model's question
// (verify/light_fence.pml) and the multi-process exchanges'; these tests pin the switching.
#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "shmring/detail/publish_fence.hpp"
#include "shmring/spsc_ring.hpp"
#include "support/spsc_pair.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using detail::PublishFence;
using testing::bytes_of;
using testing::make_spsc_pair;
using testing::RingName;

constexpr std::uint32_t kQuiet = PublishFence::kQuietPublishesBeforeLight;

// Relaxed: the tests read bits that this process (or a child it has reaped) wrote last.
std::uint64_t light_mask(const RingSegment& ring) { return ring.data_event().light_publishers.load(std::memory_order_relaxed); }

std::uint64_t bit_of(const Endpoint& endpoint) { return std::uint64_t{1} << endpoint.index(); }

// Sends `count` one-byte messages, each taken at once: nobody ever sleeps.
void send_taken(SpscProducer& producer, SpscConsumer& consumer, std::uint32_t count) {
    for (std::uint32_t i = 0; i < count; ++i) {
        ASSERT_EQ(producer.try_send(bytes_of("x")), Status::ok);
        std::byte buffer[8];
        std::size_t length = 0;
        ASSERT_EQ(consumer.try_receive(buffer, length), Status::ok);
    }
}

class PublishFenceTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!detail::light_publisher_fence()) GTEST_SKIP() << "the kernel offers no global expedited membarrier: every publish is full";
    }
};

TEST_F(PublishFenceTest, shouldPublishLightOnlyAfterEnoughPublishesFoundNobodyAsleep) {
    RingName name("fence.light");
    auto [producer, consumer] = make_spsc_pair(name, 1 << 16);
    const std::uint64_t bit = bit_of(producer.endpoint());
    send_taken(producer, consumer, kQuiet - 1);
    EXPECT_EQ(light_mask(producer.ring()) & bit, 0U) << "light before " << kQuiet << " quiet publishes";
    send_taken(producer, consumer, 1);
    EXPECT_EQ(light_mask(producer.ring()) & bit, bit) << "still full after " << kQuiet << " quiet publishes";
    EXPECT_EQ(producer.ring().space_event().light_publishers.load(std::memory_order_relaxed), bit_of(consumer.endpoint()))
        << "the consumer's releases are publishes on the space event, counted apart";
}

TEST_F(PublishFenceTest, shouldSwitchToFullFencesWhenAPublishFindsASleeperAndStayFullWhileItSleepsEveryTime) {
    RingName name("fence.full");
    EndpointOptions blocking;
    blocking.wait = WaitStrategy::block;
    auto [producer, consumer] = make_spsc_pair(name, 1 << 16, blocking);
    const std::uint64_t bit = bit_of(producer.endpoint());
    send_taken(producer, consumer, kQuiet);
    ASSERT_EQ(light_mask(producer.ring()) & bit, bit);

    // A paced stream: the consumer is asleep at every send.
    constexpr std::uint64_t kPaced = 20;
    std::thread receiver([&consumer = consumer] {
        for (std::uint64_t i = 0; i < kPaced; ++i) {
            std::byte buffer[8];
            std::size_t length = 0;
            EXPECT_EQ(consumer.receive(buffer, length, deadline_after(10s)), Status::ok);
        }
    });
    const auto& sleeps = consumer.endpoint().counters().sleeps;
    for (std::uint64_t i = 0; i < kPaced; ++i) {
        // Counted just before the futex wait, with the consumer's bit set.
        const Deadline give_up = deadline_after(10s);
        while (sleeps.load(std::memory_order_relaxed) <= i && Clock::now() < give_up) std::this_thread::sleep_for(100us);
        ASSERT_GT(sleeps.load(std::memory_order_relaxed), i) << "the consumer never went to sleep";
        ASSERT_EQ(producer.try_send(bytes_of("x")), Status::ok);
        EXPECT_EQ(light_mask(producer.ring()) & bit, 0U) << "publish " << i << " found a sleeper and stayed light";
    }
    receiver.join();
}

TEST_F(PublishFenceTest, shouldClearItsBitWhenThePublisherDetaches) {
    RingName name("fence.detach");
    ASSERT_TRUE(create_spsc_ring(name, 1 << 16));
    auto consumer = SpscConsumer::attach(name);
    ASSERT_TRUE(consumer);
    {
        auto producer = SpscProducer::attach(name);
        ASSERT_TRUE(producer);
        send_taken(*producer, *consumer, kQuiet);
        ASSERT_NE(light_mask(consumer->ring()), 0U);
    }
    EXPECT_EQ(light_mask(consumer->ring()), 0U) << "a detached publisher still makes sleepers pay the barrier";
}

TEST_F(PublishFenceTest, shouldClearTheBitsOfAPublisherThatDiedLightWhenItsEntryIsTakenAgain) {
    RingName name("fence.dead");
    ASSERT_TRUE(create_spsc_ring(name, 1 << 16));
    const pid_t child = ::fork();
    if (child == 0) {
        auto producer = SpscProducer::attach(name);
        auto consumer = SpscConsumer::attach(name);
        if (!producer || !consumer) ::_exit(1);
        for (std::uint32_t i = 0; i < kQuiet; ++i) {
            std::byte buffer[8];
            std::size_t length = 0;
            if (producer->try_send(bytes_of("x")) != Status::ok || consumer->try_receive(buffer, length) != Status::ok) ::_exit(1);
        }
        ::raise(SIGKILL);  // dies publishing light on both events, without detaching
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child failed before it died";
    auto ring = RingSegment::open(name, Access::read_write);
    ASSERT_TRUE(ring);
    ASSERT_NE(light_mask(*ring), 0U) << "the child died without publishing light";
    ASSERT_NE(ring->space_event().light_publishers.load(std::memory_order_relaxed), 0U);
    EXPECT_EQ(reap_dead_endpoints(*ring), 2U);
    EXPECT_NE(light_mask(*ring), 0U) << "a reaper must leave the bits to the entry's next owner";
    // The roles' new holders take the two freed entries, and clear what their dead owners left.
    auto producer = SpscProducer::attach(name);
    auto consumer = SpscConsumer::attach(name);
    ASSERT_TRUE(producer && consumer);
    EXPECT_EQ(light_mask(*ring), 0U) << "the dead publisher's bit outlived the reuse of its entry";
    EXPECT_EQ(ring->space_event().light_publishers.load(std::memory_order_relaxed), 0U);
}

}  // namespace
}  // namespace shmring
