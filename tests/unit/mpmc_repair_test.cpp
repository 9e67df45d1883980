// Slots abandoned by MPMC endpoints that die holding a claim are repaired; slow live ones are not.
#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "shmring/mpmc_ring.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using testing::RingName;

std::span<const std::byte> as_bytes(const std::uint64_t& value) {
    return std::as_bytes(std::span<const std::uint64_t, 1>(&value, 1));
}

// Runs `body` in a child that must kill itself with SIGKILL while it holds what it holds (a
// handle that went out of scope would have been closed, not abandoned); waits for the death.
template <class Body>
void die_in(Body body) {
    const pid_t child = ::fork();
    if (child == 0) {
        body();
        ::_exit(99);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child failed before dying";
}

std::uint64_t lost(const RingSegment& ring) { return ring.control().lost_messages.load(std::memory_order_relaxed); }

TEST(MpmcRepair, shouldSkipASlotWhoseProducerDiedBeforePublishing) {
    RingName name("deadproducer");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    const std::uint64_t first = 1, third = 3;
    auto producer = MpmcProducer::attach(name);
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(producer && consumer);
    ASSERT_EQ(producer->try_send(as_bytes(first)), Status::ok);
    die_in([&] {
        auto doomed = MpmcProducer::attach(name);
        if (!doomed || doomed->try_claim().status != Status::ok) ::_exit(1);  // claims ticket 1, never publishes
        ::raise(SIGKILL);
    });
    ASSERT_EQ(producer->try_send(as_bytes(third)), Status::ok);  // ticket 2, behind the abandoned one

    std::uint64_t value = 0;
    std::size_t length = 0;
    auto buffer = std::as_writable_bytes(std::span<std::uint64_t, 1>(&value, 1));
    ASSERT_EQ(consumer->receive(buffer, length, deadline_after(1s)), Status::ok);
    EXPECT_EQ(value, 1U);
    const auto start = Clock::now();
    ASSERT_EQ(consumer->receive(buffer, length, deadline_after(2s)), Status::ok) << "blocked behind the dead producer's slot";
    EXPECT_EQ(value, 3U);
    EXPECT_LT(Clock::now() - start, 1s);
    EXPECT_EQ(lost(consumer->ring()), 1U);
    EXPECT_EQ(consumer->try_receive(buffer, length), Status::again);
}

TEST(MpmcRepair, shouldFreeASlotWhoseConsumerDiedBeforeReleasing) {
    RingName name("deadconsumer");
    ASSERT_TRUE(create_mpmc_ring(name, 1, 8));
    auto producer = MpmcProducer::attach(name);
    ASSERT_TRUE(producer);
    const std::uint64_t value = 7;
    ASSERT_EQ(producer->try_send(as_bytes(value)), Status::ok);
    die_in([&] {
        auto doomed = MpmcConsumer::attach(name);
        if (!doomed || doomed->try_peek().status != Status::ok) ::_exit(1);  // takes the slot, never releases
        ::raise(SIGKILL);
    });
    const auto start = Clock::now();
    EXPECT_EQ(producer->send(as_bytes(value), deadline_after(2s)), Status::ok) << "blocked behind the dead consumer's slot";
    EXPECT_LT(Clock::now() - start, 1s);
    EXPECT_EQ(lost(producer->ring()), 1U);
}

TEST(MpmcRepair, shouldNeverSkipTheSlotOfASlowLiveProducer) {
    RingName name("slowproducer");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto slow = MpmcProducer::attach(name);
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(slow && consumer);
    WaitTuning quick;
    quick.probe_interval = 5ms;
    consumer->endpoint().set_tuning(quick);
    const Loan loan = slow->try_claim();
    ASSERT_EQ(loan.status, Status::ok);
    std::uint64_t value = 0;
    std::size_t length = 0;
    auto buffer = std::as_writable_bytes(std::span<std::uint64_t, 1>(&value, 1));
    EXPECT_EQ(consumer->receive(buffer, length, deadline_after(200ms)), Status::timed_out);
    for (int i = 0; i < 5000; ++i) EXPECT_EQ(consumer->try_receive(buffer, length), Status::again);
    EXPECT_EQ(lost(consumer->ring()), 0U);
    const std::uint64_t late = 42;
    std::memcpy(loan.data.data(), &late, sizeof late);
    slow->commit(sizeof late);
    ASSERT_EQ(consumer->try_receive(buffer, length), Status::ok);
    EXPECT_EQ(value, 42U);
}

TEST(MpmcRepair, shouldLeaveRepairsOfANonBlockingCallerToAnExplicitCall) {
    RingName name("trypath");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto producer = MpmcProducer::attach(name);
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(producer && consumer);
    die_in([&] {
        auto doomed = MpmcProducer::attach(name);
        if (!doomed || doomed->try_claim().status != Status::ok) ::_exit(1);
        ::raise(SIGKILL);
    });
    const std::uint64_t after = 9;
    ASSERT_EQ(producer->try_send(as_bytes(after)), Status::ok);
    std::uint64_t value = 0;
    std::size_t length = 0;
    auto buffer = std::as_writable_bytes(std::span<std::uint64_t, 1>(&value, 1));
    for (int i = 0; i < 5000; ++i) ASSERT_EQ(consumer->try_receive(buffer, length), Status::again) << "tries never repair";
    ASSERT_TRUE(consumer->repair_stalled());
    ASSERT_EQ(consumer->try_receive(buffer, length), Status::ok);
    EXPECT_EQ(value, 9U);
}

TEST(MpmcRepair, shouldFinishOpenClaimsWhenAHandleCloses) {
    RingName name("close");
    ASSERT_TRUE(create_mpmc_ring(name, 1, 8));
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(consumer);
    {
        auto producer = MpmcProducer::attach(name);
        ASSERT_TRUE(producer);
        ASSERT_EQ(producer->try_claim().status, Status::ok);
    }  // closed with the loan open: the slot passes on empty
    EXPECT_EQ(consumer->try_peek().status, Status::again);
    auto producer = MpmcProducer::attach(name);
    ASSERT_TRUE(producer);
    const std::uint64_t value = 5;
    ASSERT_EQ(producer->try_send(as_bytes(value)), Status::ok) << "the one slot was handed on";
    {
        auto taker = MpmcConsumer::attach(name);
        ASSERT_TRUE(taker);
        ASSERT_EQ(taker->try_peek().status, Status::ok);
    }  // closed holding the message: the slot is released
    EXPECT_EQ(producer->try_send(as_bytes(value)), Status::ok);
    EXPECT_EQ(consumer->ring().control().lost_messages.load(std::memory_order_relaxed), 0U);
}

TEST(MpmcRepair, shouldReuseTheEntryOfADeadEndpointOnceItsClaimIsRepaired) {
    RingName name("reuse");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(consumer);
    die_in([&] {
        auto doomed = MpmcProducer::attach(name);
        if (!doomed || doomed->try_claim().status != Status::ok) ::_exit(1);
        ::raise(SIGKILL);
    });
    // Fill the registry: the dead producer's entry is the last one left and cannot be reused while
    // its claim holds ticket 0.
    std::vector<MpmcProducer> others;
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints - 2; ++i) {
        auto other = MpmcProducer::attach(name);
        ASSERT_TRUE(other);
        others.push_back(std::move(*other));
    }
    EXPECT_FALSE(MpmcProducer::attach(name));
    ASSERT_TRUE(consumer->repair_stalled());
    EXPECT_TRUE(MpmcProducer::attach(name)) << "the repaired entry is free for reuse";
}

}  // namespace
}  // namespace shmring
