// Blocking operations across threads: no lost wake-up (a lost one shows as a hang, which the
// test's CTest timeout turns into a failure), deadlines, probes. Run under TSan in CI.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "shmring/mpmc_ring.hpp"
#include "shmring/spsc_ring.hpp"
#include "support/spsc_pair.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using testing::RingName;

constexpr std::uint64_t kMessages = 100'000;

const char* strategy_name(WaitStrategy strategy) {
    switch (strategy) {
        case WaitStrategy::adaptive: return "adaptive";
        case WaitStrategy::spin: return "spin";
        case WaitStrategy::block: return "block";
    }
    return "unknown";
}

struct StrategyCase {
    WaitStrategy strategy;
    std::uint64_t capacity;
};

std::string case_name(const ::testing::TestParamInfo<StrategyCase>& info) {
    return std::string(strategy_name(info.param.strategy)) + "_capacity" + std::to_string(info.param.capacity);
}

class SpscBlocking : public ::testing::TestWithParam<StrategyCase> {};

TEST_P(SpscBlocking, shouldDeliverEverySequenceNumberInOrder) {
    RingName name("spscblock");
    ASSERT_TRUE(create_spsc_ring(name, GetParam().capacity));
    EndpointOptions options;
    options.wait = GetParam().strategy;
    auto producer = SpscProducer::attach(name, options);
    auto consumer = SpscConsumer::attach(name, options);
    ASSERT_TRUE(producer && consumer);
    std::thread sender([&] {
        for (std::uint64_t i = 0; i < kMessages; ++i) {
            // Message i carries i and is i % 17 bytes longer than 8, so record sizes vary.
            std::byte message[32]{};
            std::memcpy(message, &i, sizeof i);
            ASSERT_EQ(producer->send(std::span(message, 8 + i % 17)), Status::ok);
        }
    });
    for (std::uint64_t i = 0; i < kMessages; ++i) {
        std::byte buffer[32];
        std::size_t length = 0;
        ASSERT_EQ(consumer->receive(buffer, length), Status::ok);
        std::uint64_t value = 0;
        std::memcpy(&value, buffer, sizeof value);
        ASSERT_EQ(value, i);
        ASSERT_EQ(length, 8 + i % 17);
    }
    sender.join();
}

INSTANTIATE_TEST_SUITE_P(Strategies, SpscBlocking,
                         ::testing::Values(StrategyCase{WaitStrategy::block, 64}, StrategyCase{WaitStrategy::block, 128},
                                           StrategyCase{WaitStrategy::adaptive, 64}, StrategyCase{WaitStrategy::spin, 64},
                                           StrategyCase{WaitStrategy::adaptive, 4096}),
                         case_name);

TEST(SpscWait, shouldTimeOutAtTheDeadline) {
    RingName name("deadline");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    for (const auto strategy : {WaitStrategy::block, WaitStrategy::adaptive, WaitStrategy::spin}) {
        EndpointOptions options;
        options.wait = strategy;
        auto consumer = SpscConsumer::attach(name, options);
        ASSERT_TRUE(consumer);
        const auto start = Clock::now();
        std::byte buffer[8];
        std::size_t length = 0;
        EXPECT_EQ(consumer->receive(buffer, length, start + 30ms), Status::timed_out);
        const auto waited = Clock::now() - start;
        EXPECT_GE(waited, 30ms);
        EXPECT_LT(waited, 2s);
    }
}

TEST(SpscWait, shouldEndTheWaitWhenTheProbeSaysSo) {
    RingName name("probe");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    EndpointOptions options;
    options.wait = WaitStrategy::block;
    auto consumer = SpscConsumer::attach(name, options);
    ASSERT_TRUE(consumer);
    WaitTuning tuning;
    tuning.probe_interval = 5ms;
    consumer->endpoint().set_tuning(tuning);
    std::atomic<bool> peer_gone{false};
    std::thread killer([&] {
        std::this_thread::sleep_for(20ms);
        peer_gone = true;
    });
    const Status status = consumer->wait_for_data(kNoDeadline, [&] { return consumer->try_peek().status; },
                                                  [&] { return peer_gone ? Status::peer_gone : Status::ok; });
    EXPECT_EQ(status, Status::peer_gone);
    killer.join();
}

TEST(SpscWait, shouldWakeASleepingConsumerWithoutDelay) {
    RingName name("wake");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    EndpointOptions options;
    options.wait = WaitStrategy::block;
    auto producer = SpscProducer::attach(name, options);
    auto consumer = SpscConsumer::attach(name, options);
    ASSERT_TRUE(producer && consumer);
    std::thread sender([&] {
        std::this_thread::sleep_for(20ms);
        const std::byte one{1};
        EXPECT_EQ(producer->try_send(std::span(&one, 1)), Status::ok);
    });
    std::byte buffer[8];
    std::size_t length = 0;
    EXPECT_EQ(consumer->receive(buffer, length, deadline_after(10s)), Status::ok);
    sender.join();
    EXPECT_GE(consumer->endpoint().counters().sleeps.load(std::memory_order_relaxed), 1U);
    EXPECT_GE(producer->endpoint().counters().wakes.load(std::memory_order_relaxed), 1U);
}

TEST(SpscWait, shouldNotEnterTheKernelWhenNobodySleeps) {
    RingName name("nowake");
    auto [producer, consumer] = testing::make_spsc_pair(name, 1 << 16);
    for (int i = 0; i < 1000; ++i) {
        const std::byte one{1};
        ASSERT_EQ(producer.try_send(std::span(&one, 1)), Status::ok);
        ASSERT_EQ(consumer.try_peek().status, Status::ok);
        consumer.release();
    }
    EXPECT_EQ(producer.endpoint().counters().wakes.load(std::memory_order_relaxed), 0U);
    EXPECT_EQ(consumer.endpoint().counters().wakes.load(std::memory_order_relaxed), 0U);
}

struct MpmcCase {
    int producers;
    int consumers;
    std::uint64_t slots;
    WaitStrategy strategy;
};

std::string mpmc_case_name(const ::testing::TestParamInfo<MpmcCase>& info) {
    const MpmcCase& c = info.param;
    return std::to_string(c.producers) + "x" + std::to_string(c.consumers) + "_slots" + std::to_string(c.slots) + "_" +
           strategy_name(c.strategy);
}

class MpmcBlocking : public ::testing::TestWithParam<MpmcCase> {};

TEST_P(MpmcBlocking, shouldDeliverExactlyOnceInPerProducerOrder) {
    const MpmcCase c = GetParam();
    RingName name("mpmcblock");
    ASSERT_TRUE(create_mpmc_ring(name, c.slots, 16));
    const std::uint64_t per_producer = 20'000;
    EndpointOptions options;
    options.wait = c.strategy;
    std::vector<std::thread> threads;
    std::vector<std::vector<std::uint64_t>> seen(c.consumers);  // per consumer: (producer << 32 | sequence)
    std::atomic<std::uint64_t> received{0};
    const std::uint64_t total = per_producer * c.producers;
    for (int p = 0; p < c.producers; ++p) {
        threads.emplace_back([&, p] {
            auto producer = MpmcProducer::attach(name, options);
            ASSERT_TRUE(producer);
            for (std::uint64_t i = 0; i < per_producer; ++i) {
                const std::uint64_t message[2] = {static_cast<std::uint64_t>(p), i};
                ASSERT_EQ(producer->send(std::as_bytes(std::span(message))), Status::ok);
            }
        });
    }
    for (int k = 0; k < c.consumers; ++k) {
        threads.emplace_back([&, k] {
            auto consumer = MpmcConsumer::attach(name, options);
            ASSERT_TRUE(consumer);
            std::vector<std::int64_t> last(c.producers, -1);
            while (received.load() < total) {
                std::uint64_t message[2];
                std::size_t length = 0;
                const Status status = consumer->receive(std::as_writable_bytes(std::span(message)), length, deadline_after(50ms));
                if (status == Status::timed_out) continue;
                ASSERT_EQ(status, Status::ok);
                ASSERT_EQ(length, 16U);
                ASSERT_LT(message[0], static_cast<std::uint64_t>(c.producers));
                ASSERT_GT(static_cast<std::int64_t>(message[1]), last[message[0]]) << "per-producer order";
                last[message[0]] = static_cast<std::int64_t>(message[1]);
                seen[k].push_back(message[0] << 32 | message[1]);
                received.fetch_add(1);
            }
        });
    }
    for (auto& t : threads) t.join();
    std::vector<std::uint8_t> delivered(total, 0);
    for (const auto& list : seen)
        for (const std::uint64_t id : list) ++delivered[(id >> 32) * per_producer + (id & 0xFFFFFFFF)];
    for (std::uint64_t i = 0; i < total; ++i) ASSERT_EQ(delivered[i], 1) << "message " << i << " delivered " << int(delivered[i]) << " times";
}

INSTANTIATE_TEST_SUITE_P(Topologies, MpmcBlocking,
                         ::testing::Values(MpmcCase{1, 1, 1, WaitStrategy::block}, MpmcCase{2, 2, 1, WaitStrategy::block},
                                           MpmcCase{2, 2, 2, WaitStrategy::block}, MpmcCase{4, 4, 2, WaitStrategy::adaptive},
                                           MpmcCase{4, 4, 64, WaitStrategy::adaptive}, MpmcCase{2, 2, 2, WaitStrategy::spin}),
                         mpmc_case_name);

}  // namespace
}  // namespace shmring

namespace shmring {
namespace {

TEST(SpinWindow, shouldShrinkForSparseTrafficAndGrowBackForAChattyPeer) {
    const WaitTuning tuning;
    SpinWindow window;
    EXPECT_EQ(window.current(tuning), tuning.spin_time);
    for (int i = 0; i < 20; ++i) window.missed();
    EXPECT_EQ(window.current(tuning), SpinWindow::kMinimum) << "never below the minimum";
    window.caught(tuning);
    EXPECT_EQ(window.current(tuning), 2 * SpinWindow::kMinimum);
    for (int i = 0; i < 20; ++i) window.caught(tuning);
    EXPECT_EQ(window.current(tuning), tuning.spin_time) << "never above the tuning's spin time";
}

}  // namespace
}  // namespace shmring
