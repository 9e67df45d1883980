// MPMC ring, single-threaded and white-box.
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "shmring/mpmc_ring.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using testing::RingName;

struct MpmcPair {
    MpmcProducer producer;
    MpmcConsumer consumer;
};

MpmcPair make_pair(const RingName& name, std::uint64_t slots, std::uint32_t slot_size) {
    EXPECT_TRUE(create_mpmc_ring(name, slots, slot_size));
    auto producer = MpmcProducer::attach(name);
    auto consumer = MpmcConsumer::attach(name);
    EXPECT_TRUE(producer && consumer);
    return {std::move(*producer), std::move(*consumer)};
}

std::span<const std::byte> as_bytes(const std::uint64_t& value) {
    return std::as_bytes(std::span<const std::uint64_t, 1>(&value, 1));
}

std::uint64_t receive_value(MpmcConsumer& consumer, Status expect = Status::ok) {
    std::uint64_t value = 0;
    std::size_t length = 0;
    EXPECT_EQ(consumer.try_receive(std::as_writable_bytes(std::span<std::uint64_t, 1>(&value, 1)), length), expect);
    if (expect == Status::ok) {
        EXPECT_EQ(length, sizeof value);
    }
    return value;
}

class MpmcCapacity : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(MpmcCapacity, shouldFillToCapacityAndDrainInOrder) {
    RingName name("capacity");
    const std::uint64_t slots = GetParam();
    auto [producer, consumer] = make_pair(name, slots, 8);
    std::uint64_t next_sent = 0;
    std::uint64_t next_received = 0;
    for (int round = 0; round < 50; ++round) {
        EXPECT_EQ(consumer.try_peek().status, Status::again);
        for (std::uint64_t i = 0; i < slots; ++i) ASSERT_EQ(producer.try_send(as_bytes(next_sent++)), Status::ok);
        const std::uint64_t extra = 0;
        ASSERT_EQ(producer.try_send(as_bytes(extra)), Status::again) << "full at " << slots;
        for (std::uint64_t i = 0; i < slots; ++i) ASSERT_EQ(receive_value(consumer), next_received++);
    }
}

INSTANTIATE_TEST_SUITE_P(Slots, MpmcCapacity, ::testing::Values(1, 2, 4, 64, 4096));

TEST(MpmcRing, shouldRefuseAMessageLargerThanTheSlot) {
    RingName name("toolarge");
    auto [producer, consumer] = make_pair(name, 4, 16);
    std::vector<std::byte> message(17);
    EXPECT_EQ(producer.try_send(message), Status::too_large);
    EXPECT_EQ(producer.send(message, deadline_after(std::chrono::milliseconds(1))), Status::too_large);
    EXPECT_EQ(consumer.try_peek().status, Status::again) << "nothing was sent";
}

TEST(MpmcRing, shouldKeepAMessageTooLargeForTheBuffer) {
    RingName name("emsgsize");
    auto [producer, consumer] = make_pair(name, 4, 64);
    std::vector<std::byte> message(40, std::byte{9});
    ASSERT_EQ(producer.try_send(message), Status::ok);
    std::vector<std::byte> small(39);
    std::size_t length = 0;
    EXPECT_EQ(consumer.try_receive(small, length), Status::too_large);
    std::vector<std::byte> big(64);
    ASSERT_EQ(consumer.try_receive(big, length), Status::ok);
    EXPECT_EQ(length, 40U);
}

TEST(MpmcRing, shouldCarryZeroLengthAndFullSlotMessages) {
    RingName name("sizes");
    auto [producer, consumer] = make_pair(name, 4, 100);
    ASSERT_EQ(producer.try_send({}), Status::ok);
    std::vector<std::byte> full(100, std::byte{0x5A});
    ASSERT_EQ(producer.try_send(full), Status::ok);
    const View empty = consumer.try_peek();
    ASSERT_EQ(empty.status, Status::ok);
    EXPECT_TRUE(empty.data.empty());
    consumer.release();
    const View whole = consumer.try_peek();
    ASSERT_EQ(whole.status, Status::ok);
    ASSERT_EQ(whole.data.size(), 100U);
    EXPECT_EQ(0, std::memcmp(whole.data.data(), full.data(), 100));
    consumer.release();
}

TEST(MpmcRing, shouldSkipAbortedLoans) {
    RingName name("abort");
    auto [producer, consumer] = make_pair(name, 4, 8);
    const std::uint64_t one = 1, two = 2;
    ASSERT_EQ(producer.try_send(as_bytes(one)), Status::ok);
    const Loan loan = producer.try_claim();
    ASSERT_EQ(loan.status, Status::ok);
    producer.abort();
    ASSERT_EQ(producer.try_send(as_bytes(two)), Status::ok);
    EXPECT_EQ(receive_value(consumer), 1U);
    EXPECT_EQ(receive_value(consumer), 2U) << "the aborted slot is skipped";
    receive_value(consumer, Status::again);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(producer.try_send(as_bytes(one)), Status::ok) << "the skipped slot was freed";
}

TEST(MpmcRing, shouldLoanInPlaceAndHideUnpublishedSlots) {
    RingName name("loan");
    auto [producer, consumer] = make_pair(name, 4, 32);
    const Loan loan = producer.try_claim();
    ASSERT_EQ(loan.status, Status::ok);
    ASSERT_EQ(loan.data.size(), 32U);
    std::memcpy(loan.data.data(), "in place", 8);
    EXPECT_EQ(consumer.try_peek().status, Status::again) << "a loaned slot is invisible until published";
    EXPECT_EQ(producer.endpoint().entry().claim.load(std::memory_order_relaxed), 1U) << "the claim names ticket 0";
    producer.commit(8);
    EXPECT_EQ(producer.endpoint().entry().claim.load(std::memory_order_relaxed), 0U);
    const View message = consumer.try_peek();
    ASSERT_EQ(message.status, Status::ok);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(message.data.data()), 8), "in place");
    consumer.release();
}

TEST(MpmcRing, shouldSurviveTicketsWrappingPast2To64) {
    RingName name("wrap64");
    constexpr std::uint64_t kSlots = 4;
    ASSERT_TRUE(create_mpmc_ring(name, kSlots, 8));
    const std::uint64_t start = ~std::uint64_t{0} - 5;  // 2^64 - 6
    {
        auto ring = RingSegment::open(name, Access::read_write);
        ASSERT_TRUE(ring);
        ring->producer().position.store(start, std::memory_order_relaxed);
        ring->consumer().position.store(start, std::memory_order_relaxed);
        const auto& g = ring->geometry();
        for (std::uint64_t k = 0; k < kSlots; ++k) {
            const std::uint64_t ticket = start + k;
            auto& slot = *reinterpret_cast<layout::SlotHeader*>(ring->data() + (ticket & g.mask) * g.slot_stride);
            slot.sequence.store(2 * ticket, std::memory_order_relaxed);
        }
    }
    auto producer = MpmcProducer::attach(name);
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(producer && consumer);
    for (std::uint64_t i = 0; i < 100; ++i) {
        ASSERT_EQ(producer->try_send(as_bytes(i)), Status::ok);
        if (i % 3 == 0) {
            ASSERT_EQ(producer->try_send(as_bytes(i)), Status::ok);
        }
        ASSERT_EQ(receive_value(*consumer), i);
        if (i % 3 == 0) {
            ASSERT_EQ(receive_value(*consumer), i);
        }
    }
    EXPECT_LT(producer->ring().producer().position.load(std::memory_order_relaxed), 1000U);
}

TEST(MpmcRing, shouldRefuseASlotLengthOutOfRange) {
    RingName name("badlength");
    auto [producer, consumer] = make_pair(name, 4, 8);
    const std::uint64_t value = 5;
    ASSERT_EQ(producer.try_send(as_bytes(value)), Status::ok);
    reinterpret_cast<layout::SlotHeader*>(producer.ring().data())->length.store(9, std::memory_order_relaxed);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
    EXPECT_EQ(producer.ring().control().corrupt.load(std::memory_order_relaxed), 1U);
}

TEST(MpmcRing, shouldAllowManyEndpointsUpToTheRegistrySize) {
    RingName name("many");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    std::vector<MpmcProducer> producers;
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        auto producer = MpmcProducer::attach(name);
        ASSERT_TRUE(producer) << i;
        producers.push_back(std::move(*producer));
    }
    const auto one_more = MpmcConsumer::attach(name);
    ASSERT_FALSE(one_more);
    EXPECT_EQ(one_more.error().code(), Errc::no_endpoint_slot);
    producers.pop_back();
    EXPECT_TRUE(MpmcConsumer::attach(name)) << "a detached entry is free again";
}

TEST(MpmcRing, shouldReportCorruptInsteadOfSpinningOnASequenceFromTheFuture) {
    const RingName name("future");
    auto [producer, consumer] = make_pair(name, 4, 8);
    // Ticket 0's slot claims to be two turns ahead: no protocol step writes that.
    reinterpret_cast<layout::SlotHeader*>(producer.ring().data())->sequence.store(2 * 4 * 2, std::memory_order_relaxed);
    EXPECT_EQ(producer.try_claim().status, Status::corrupt);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
}

TEST(MpmcRing, shouldLeaveNoClaimRecordedWhenItReportsCorrupt) {
    const RingName name("corruptclaim");
    auto [producer, consumer] = make_pair(name, 4, 8);
    auto& slot = *reinterpret_cast<layout::SlotHeader*>(producer.ring().data());
    // Each side's entry names ticket 0 as a claim, as one that records a claim, loses the CAS on
    // the ticket and then meets a corrupt slot leaves it; the slot of the next ticket they look at
    // (0 again: nobody moved the counters) claims to be a turn ahead.
    slot.sequence.store(2 * 4, std::memory_order_relaxed);
    producer.endpoint().entry().claim.store(1, std::memory_order_relaxed);
    EXPECT_EQ(producer.try_claim().status, Status::corrupt);
    EXPECT_EQ(producer.endpoint().entry().claim.load(std::memory_order_relaxed), 0U) << "a claim on ticket 0 blocks its repair";
    consumer.endpoint().entry().claim.store(1, std::memory_order_relaxed);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
    EXPECT_EQ(consumer.endpoint().entry().claim.load(std::memory_order_relaxed), 0U) << "a claim on ticket 0 blocks its repair";
}

TEST(MpmcRing, shouldIgnoreAPublishOrReleaseWithoutAnOpenClaim) {
    const RingName name("misuse");
    auto [producer, consumer] = make_pair(name, 2, 8);
    producer.commit(8);  // nothing loaned: ignored
    ASSERT_EQ(producer.try_claim().status, Status::ok);
    EXPECT_EQ(producer.try_claim().status, Status::busy) << "one loan at a time";
    producer.commit(1000);  // clamped to the slot size
    producer.commit(8);     // published already: ignored
    const View message = consumer.try_peek();
    ASSERT_EQ(message.status, Status::ok);
    EXPECT_EQ(message.data.size(), 8U);
    EXPECT_EQ(consumer.try_peek().status, Status::busy);
    consumer.release();
    consumer.release();  // ignored: would otherwise roll the slot's turn back
    const std::uint64_t value = 1;
    for (int i = 0; i < 2; ++i) ASSERT_EQ(producer.try_send(std::as_bytes(std::span(&value, 1))), Status::ok);
    EXPECT_EQ(producer.try_send(std::as_bytes(std::span(&value, 1))), Status::again);
}

TEST(MpmcRing, shouldStopWakingAConsumerThatDiedAsleep) {
    testing::RingName name("deadsleeper");
    ASSERT_TRUE(create_mpmc_ring(name, 8, 8));
    const pid_t child = ::fork();
    if (child == 0) {
        EndpointOptions options;
        options.wait = WaitStrategy::block;
        auto consumer = MpmcConsumer::attach(name, options);
        if (consumer) (void)consumer->peek();
        ::_exit(1);
    }
    auto producer = MpmcProducer::attach(name);
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(producer && consumer);
    auto& sleepers = producer->ring().data_event().sleepers;
    for (int i = 0; i < 2000 && sleepers.load(std::memory_order_relaxed) == 0; ++i) ::usleep(1000);
    ASSERT_NE(sleepers.load(std::memory_order_relaxed), 0U) << "the child never slept";
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    const std::uint64_t value = 1;
    std::uint64_t out = 0;
    std::size_t length = 0;
    for (int i = 0; i < 200; ++i) {
        ASSERT_EQ(producer->try_send(std::as_bytes(std::span(&value, 1))), Status::ok);
        ASSERT_EQ(consumer->try_receive(std::as_writable_bytes(std::span(&out, 1)), length), Status::ok);
    }
    EXPECT_EQ(sleepers.load(std::memory_order_relaxed), 0U) << "the dead sleeper's bit was never cleared";
    EXPECT_LE(producer->endpoint().counters().wakes.load(std::memory_order_relaxed), 70U)
        << "every publish kept entering the kernel";
}

}  // namespace
}  // namespace shmring
