// SPSC ring, white-box: states written straight into the segment, and the reader's answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include "shmring/spsc_ring.hpp"
#include "support/spsc_pair.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using testing::bytes_of;
using testing::make_spsc_pair;
using testing::RingName;
using testing::SpscPair;


std::vector<std::byte> pattern(std::size_t size, std::uint32_t seed) {
    std::vector<std::byte> v(size);
    for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<std::byte>((seed * 131 + i * 7) & 0xFF);
    return v;
}

std::vector<std::byte> receive_one(SpscConsumer& consumer, Status expect = Status::ok) {
    std::vector<std::byte> buffer(1 << 20);
    std::size_t length = 0;
    EXPECT_EQ(consumer.try_receive(buffer, length), expect);
    buffer.resize(expect == Status::ok ? length : 0);
    return buffer;
}

TEST(SpscRing, shouldDeliverOneRecordWithItsType) {
    RingName name("one");
    auto [producer, consumer] = make_spsc_pair(name, 4096);
    ASSERT_EQ(producer.try_send(bytes_of("hello"), 42), Status::ok);
    const View record = consumer.try_peek();
    ASSERT_EQ(record.status, Status::ok);
    EXPECT_EQ(record.type, 42U);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(record.data.data()), record.data.size()), "hello");
    consumer.release();
    EXPECT_EQ(consumer.try_peek().status, Status::again);
}

TEST(SpscRing, shouldReportEmptyAndFull) {
    RingName name("fullempty");
    auto [producer, consumer] = make_spsc_pair(name, 64);
    EXPECT_EQ(consumer.try_peek().status, Status::again);
    const auto eight = pattern(8, 1);
    int sent = 0;
    while (producer.try_send(eight) == Status::ok) ++sent;
    EXPECT_EQ(sent, 4) << "64 bytes hold four 16-byte records";
    EXPECT_EQ(producer.try_send(eight), Status::again);
    EXPECT_EQ(receive_one(consumer), eight);
    EXPECT_EQ(producer.try_send(eight), Status::ok);
}

TEST(SpscRing, shouldWrapAtEveryAlignment) {
    RingName name("wrap");
    auto [producer, consumer] = make_spsc_pair(name, 256);
    // Sizes 0..40 step the producer through every 8-byte offset of the ring many times over.
    std::uint32_t seed = 0;
    for (int round = 0; round < 200; ++round) {
        for (std::size_t size = 0; size <= 40; ++size) {
            const auto message = pattern(size, ++seed);
            ASSERT_EQ(producer.try_send(message, seed & 0xFFFF), Status::ok);
            std::vector<std::byte> buffer(64);
            std::size_t length = 99;
            std::uint32_t type = 0;
            ASSERT_EQ(consumer.try_receive(buffer, length, &type), Status::ok);
            ASSERT_EQ(length, size);
            ASSERT_EQ(type, seed & 0xFFFF);
            ASSERT_TRUE(std::equal(message.begin(), message.end(), buffer.begin())) << "round " << round << " size " << size;
        }
    }
}

TEST(SpscRing, shouldCarryZeroLengthMessages) {
    RingName name("zero");
    auto [producer, consumer] = make_spsc_pair(name, 64);
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(producer.try_send({}, 7), Status::ok);
        const View record = consumer.try_peek();
        ASSERT_EQ(record.status, Status::ok);
        EXPECT_TRUE(record.data.empty());
        EXPECT_EQ(record.type, 7U);
        consumer.release();
    }
}

TEST(SpscRing, shouldAlwaysFitTheLargestMessageAndRefuseOneByteMore) {
    RingName name("largest");
    auto [producer, consumer] = make_spsc_pair(name, 1024);
    ASSERT_EQ(producer.max_message(), 1024U / 2 - 8);
    const auto largest = pattern(producer.max_message(), 3);
    // Step the positions through several offsets: the largest record fits into an empty ring at each.
    for (std::size_t offset = 0; offset < 1024; offset += 8 * 13) {
        ASSERT_EQ(producer.try_send(largest), Status::ok) << offset;
        ASSERT_EQ(receive_one(consumer), largest);
        ASSERT_EQ(producer.try_send(pattern(offset % 200, 1)), Status::ok);
        (void)receive_one(consumer);
    }
    EXPECT_EQ(producer.try_send(pattern(producer.max_message() + 1, 4)), Status::too_large);
    EXPECT_EQ(producer.try_claim(producer.max_message() + 1).status, Status::too_large);
}

TEST(SpscRing, shouldPadTheEndAndSkipThePadding) {
    RingName name("padding");
    auto [producer, consumer] = make_spsc_pair(name, 512);
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(producer.try_send(pattern(200, 1)), Status::ok);  // 208 bytes each: 96 left before the end
        (void)receive_one(consumer);
    }
    const auto message = pattern(100, 2);  // a 112-byte record cannot fit in the 96 at the end
    ASSERT_EQ(producer.try_send(message), Status::ok);
    layout::RecordHeader padding;
    std::memcpy(&padding, producer.ring().data() + 416, sizeof padding);
    EXPECT_EQ(padding.type, layout::kRecordTypePadding);
    EXPECT_EQ(padding.length, 96U - 8U);
    EXPECT_EQ(receive_one(consumer), message);
    EXPECT_EQ(producer.ring().consumer().position.load(std::memory_order_relaxed), 512U + 112U);
}

TEST(SpscRing, shouldHideClaimedAndUnpublishedRecords) {
    RingName name("unpublished");
    auto [producer, consumer] = make_spsc_pair(name, 4096);
    Loan claim = producer.try_claim(16);
    ASSERT_EQ(claim.status, Status::ok);
    std::memset(claim.data.data(), 0xAB, 16);
    EXPECT_EQ(consumer.try_peek().status, Status::again) << "a claimed record is invisible";
    producer.commit(claim.data.size(), 0, Flush::later);
    ASSERT_EQ(producer.try_send(pattern(8, 1)), Status::ok) << "publishes both records at once";
    EXPECT_EQ(consumer.try_peek().data.size(), 16U);
    consumer.release();
    EXPECT_EQ(consumer.try_peek().data.size(), 8U);
    consumer.release();

    claim = producer.try_claim(32);
    ASSERT_EQ(claim.status, Status::ok);
    producer.abort();
    producer.flush();
    EXPECT_EQ(consumer.try_peek().status, Status::again) << "an aborted claim never appears";
}

TEST(SpscRing, shouldPublishABatchWithOneStore) {
    RingName name("batch");
    auto [producer, consumer] = make_spsc_pair(name, 4096);
    for (int i = 0; i < 10; ++i) {
        Loan claim = producer.try_claim(4);
        ASSERT_EQ(claim.status, Status::ok);
        std::memcpy(claim.data.data(), &i, 4);
        producer.commit(claim.data.size(), 0, Flush::later);
    }
    EXPECT_EQ(consumer.try_peek().status, Status::again);
    producer.commit(4);  // no claim open: a misuse that neither commits nor flushes
    EXPECT_EQ(producer.ring().producer().position.load(std::memory_order_relaxed), 0U);
    producer.flush();
    for (int i = 0; i < 10; ++i) {
        const View record = consumer.try_peek();
        ASSERT_EQ(record.status, Status::ok);
        int value = -1;
        std::memcpy(&value, record.data.data(), 4);
        EXPECT_EQ(value, i);
        consumer.release(Flush::later);
    }
    consumer.release();  // nothing peeked: neither releases nor flushes
    EXPECT_EQ(producer.ring().consumer().position.load(std::memory_order_relaxed), 0U);
    consumer.flush();
    EXPECT_EQ(producer.ring().consumer().position.load(std::memory_order_relaxed), 160U);
}

TEST(SpscRing, shouldSurvivePositionsWrappingPast2To64) {
    RingName name("wrap64");
    ASSERT_TRUE(create_spsc_ring(name, 256));
    {
        auto ring = RingSegment::open(name, Access::read_write);
        ASSERT_TRUE(ring);
        const std::uint64_t near_end = ~std::uint64_t{0} - 8 * 20 + 1;  // 2^64 - 160
        ring->producer().position.store(near_end, std::memory_order_relaxed);
        ring->consumer().position.store(near_end, std::memory_order_relaxed);
    }
    auto producer = SpscProducer::attach(name);
    auto consumer = SpscConsumer::attach(name);
    ASSERT_TRUE(producer && consumer);
    for (std::uint32_t i = 0; i < 1000; ++i) {
        const auto message = pattern(i % 50, i);
        ASSERT_EQ(producer->try_send(message), Status::ok);
        ASSERT_EQ(receive_one(*consumer), message);
    }
    EXPECT_LT(producer->position(), 1U << 20) << "the position wrapped";
}

TEST(SpscRing, shouldKeepARecordTooLargeForTheBuffer) {
    RingName name("emsgsize");
    auto [producer, consumer] = make_spsc_pair(name, 4096);
    const auto message = pattern(100, 5);
    ASSERT_EQ(producer.try_send(message), Status::ok);
    std::vector<std::byte> small(99);
    std::size_t length = 0;
    EXPECT_EQ(consumer.try_receive(small, length), Status::too_large);
    EXPECT_EQ(receive_one(consumer), message);
}

TEST(SpscRing, shouldRefuseASecondProducerOrConsumer) {
    RingName name("roles");
    auto [producer, consumer] = make_spsc_pair(name, 4096);
    const auto second = SpscProducer::attach(name);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code(), Errc::busy);
    EXPECT_EQ(second.error().errno_value(), EBUSY);
    const auto third = SpscConsumer::attach(name);
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().code(), Errc::busy);
}

TEST(SpscRing, shouldLetANewProducerContinueTheStream) {
    RingName name("reattach");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    auto consumer = SpscConsumer::attach(name);
    ASSERT_TRUE(consumer);
    {
        auto first = SpscProducer::attach(name);
        ASSERT_TRUE(first);
        ASSERT_EQ(first->try_send(bytes_of("one")), Status::ok);
        ASSERT_EQ(first->try_claim(8).status, Status::ok);  // left unfinished by the first producer
    }
    auto second = SpscProducer::attach(name);
    ASSERT_TRUE(second) << second.error().message();
    ASSERT_EQ(second->try_send(bytes_of("two")), Status::ok);
    EXPECT_EQ(receive_one(*consumer).size(), 3U);
    const auto two = receive_one(*consumer);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(two.data()), two.size()), "two");
    EXPECT_EQ(consumer->try_peek().status, Status::again);
}

// --- corrupt segments --------------------------------------------------------------------------

TEST(SpscRing, shouldRefuseARecordLongerThanWhatWasPublished) {
    RingName name("badlength");
    auto [producer, consumer] = make_spsc_pair(name, 4096);
    ASSERT_EQ(producer.try_send(pattern(8, 1)), Status::ok);
    const layout::RecordHeader lie{1000, 0};
    std::memcpy(producer.ring().data(), &lie, sizeof lie);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
    EXPECT_EQ(producer.ring().control().corrupt.load(std::memory_order_relaxed), 1U);
}

TEST(SpscRing, shouldRefuseARecordCrossingTheEnd) {
    RingName name("crossing");
    auto [producer, consumer] = make_spsc_pair(name, 512);
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(producer.try_send(pattern(200, 1)), Status::ok);
        (void)receive_one(consumer);
    }
    ASSERT_EQ(producer.try_send(pattern(20, 1)), Status::ok);  // at 416, ends at 448
    const layout::RecordHeader lie{100, 0};                      // would end past 512
    std::memcpy(producer.ring().data() + 416, &lie, sizeof lie);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
}

TEST(SpscRing, shouldRefuseBadPaddingAndUnknownTypes) {
    RingName name("badpadding");
    auto [producer, consumer] = make_spsc_pair(name, 4096);
    ASSERT_EQ(producer.try_send(pattern(64, 1)), Status::ok);
    const layout::RecordHeader short_padding{8, layout::kRecordTypePadding};
    std::memcpy(producer.ring().data(), &short_padding, sizeof short_padding);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
    const layout::RecordHeader unknown{8, layout::kRecordTypePadding + 1};
    std::memcpy(producer.ring().data(), &unknown, sizeof unknown);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
}

TEST(SpscRing, shouldRefuseAProducerPositionOutOfRange) {
    RingName name("badposition");
    auto [producer, consumer] = make_spsc_pair(name, 4096);
    producer.ring().producer().position.store(4096 + 8, std::memory_order_relaxed);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
    producer.ring().producer().position.store(3, std::memory_order_relaxed);
    EXPECT_EQ(consumer.try_peek().status, Status::corrupt);
}

TEST(SpscRing, shouldRefuseAConsumerPositionAheadOfTheProducer) {
    RingName name("badconsumer");
    auto [producer, consumer] = make_spsc_pair(name, 64);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(producer.try_send(pattern(8, 1)), Status::ok);
    producer.ring().consumer().position.store(1000, std::memory_order_relaxed);
    EXPECT_EQ(producer.try_send(pattern(8, 1)), Status::corrupt);
}

TEST(SpscRing, shouldRefuseToAttachToImpossiblePositions) {
    RingName name("badattach");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    {
        auto ring = RingSegment::open(name, Access::read_write);
        ASSERT_TRUE(ring);
        ring->producer().position.store(1 << 20, std::memory_order_relaxed);
    }
    const auto consumer = SpscConsumer::attach(name);
    ASSERT_FALSE(consumer);
    EXPECT_EQ(consumer.error().code(), Errc::corrupt);
}

}  // namespace
}  // namespace shmring

namespace shmring {
namespace {

TEST(SpscRing, shouldClaimWhateverRoomThereIsForAStream) {
    testing::RingName name("upto");
    ASSERT_TRUE(create_spsc_ring(name, 256));
    auto producer = SpscProducer::attach(name);
    auto consumer = SpscConsumer::attach(name);
    ASSERT_TRUE(producer && consumer);
    Loan claim = producer->try_claim_up_to(1000);
    ASSERT_EQ(claim.status, Status::ok);
    EXPECT_EQ(claim.data.size(), producer->max_message()) << "capped at the message limit";
    producer->commit(claim.data.size());  // 128 bytes used, 128 free before the end
    claim = producer->try_claim_up_to(1000);
    ASSERT_EQ(claim.status, Status::ok);
    EXPECT_EQ(claim.data.size(), 120U) << "fills the rest of the ring exactly";
    producer->commit(claim.data.size());
    EXPECT_EQ(producer->try_claim_up_to(1).status, Status::again) << "not one byte fits";
    ASSERT_EQ(consumer->try_peek().status, Status::ok);
    consumer->release();  // frees the first 128 bytes, at the start
    claim = producer->try_claim_up_to(1000);
    ASSERT_EQ(claim.status, Status::ok);
    EXPECT_EQ(claim.data.size(), 120U) << "the room after the wrap";
}

// Records held back with Flush::later (or room held back with release(Flush::later)) are what
// the other side waits for: a handle publishes them before it waits, and when it closes.

// Fills the ring with 64-byte records committed with Flush::later; returns how many.
std::size_t fill_with_held_back_records(SpscProducer& producer) {
    std::size_t committed = 0;
    while (producer.try_claim(56).status == Status::ok) {
        producer.commit(56, 0, Flush::later);
        ++committed;
    }
    return committed;
}

TEST(SpscRing, shouldPublishHeldBackRecordsBeforeWaitingForRoom) {
    RingName name("later.room");
    SpscPair pair = make_spsc_pair(name, 4096);
    const std::size_t held = fill_with_held_back_records(pair.producer);
    ASSERT_EQ(held, 4096U / 64);
    ASSERT_EQ(pair.producer.position(), 0U);

    const auto start = Clock::now();
    std::vector<Status> received(held + 1, Status::again);
    std::thread reader([&] {
        std::vector<std::byte> buffer(4096);
        std::size_t length = 0;
        for (Status& status : received) {
            status = pair.consumer.receive(buffer, length, deadline_after(std::chrono::seconds(2)));
            if (status != Status::ok) break;
        }
    });
    const Status sent = pair.producer.send(pattern(56, 1), deadline_after(std::chrono::seconds(2)));
    reader.join();
    EXPECT_EQ(sent, Status::ok);
    EXPECT_EQ(std::count(received.begin(), received.end(), Status::ok), static_cast<long>(held + 1));
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(1)) << "both sides waited for their deadlines";
}

TEST(SpscRing, shouldGiveBackHeldBackRoomBeforeWaitingForData) {
    RingName name("later.data");
    SpscPair pair = make_spsc_pair(name, 4096);
    std::size_t sent = 0;
    while (pair.producer.try_send(pattern(56, 2)) == Status::ok) ++sent;
    for (std::size_t i = 0; i < sent; ++i) {
        ASSERT_EQ(pair.consumer.try_peek().status, Status::ok);
        pair.consumer.release(Flush::later);
    }
    ASSERT_EQ(pair.consumer.position(), 0U);

    const auto start = Clock::now();
    Status written = Status::again;
    std::thread writer([&] { written = pair.producer.send(pattern(56, 3), deadline_after(std::chrono::seconds(2))); });
    std::vector<std::byte> buffer(4096);
    std::size_t length = 0;
    const Status received = pair.consumer.receive(buffer, length, deadline_after(std::chrono::seconds(2)));
    writer.join();
    EXPECT_EQ(written, Status::ok);
    EXPECT_EQ(received, Status::ok);
    buffer.resize(length);
    EXPECT_EQ(buffer, pattern(56, 3));
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(1)) << "both sides waited for their deadlines";
}

TEST(SpscRing, shouldPublishWhatAHandleHeldBackWhenItCloses) {
    RingName name("later.close");
    RingName other("later.close.other");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    ASSERT_TRUE(create_spsc_ring(other, 4096));
    {
        auto producer = SpscProducer::attach(name);
        ASSERT_TRUE(producer);
        for (std::uint32_t i = 0; i < 3; ++i) {
            ASSERT_EQ(producer->try_claim(8).status, Status::ok);
            producer->commit(8, i, Flush::later);
        }
        // Assigned another ring's producer, this one closes as if destroyed.
        auto replacement = SpscProducer::attach(other);
        ASSERT_TRUE(replacement);
        *producer = std::move(*replacement);
        ASSERT_EQ(producer->try_claim(8).status, Status::ok);
        producer->commit(8, 7, Flush::later);
    }
    {
        auto consumer = SpscConsumer::attach(other);
        ASSERT_TRUE(consumer);
        const View record = consumer->try_peek();
        ASSERT_EQ(record.status, Status::ok) << "a destroyed producer published its record";
        EXPECT_EQ(record.type, 7U);
    }
    {
        auto consumer = SpscConsumer::attach(name);
        ASSERT_TRUE(consumer);
        for (std::uint32_t i = 0; i < 2; ++i) {
            const View record = consumer->try_peek();
            ASSERT_EQ(record.status, Status::ok) << "a replaced producer published its records";
            EXPECT_EQ(record.type, i);
            consumer->release(Flush::later);
        }
    }
    auto consumer = SpscConsumer::attach(name);
    ASSERT_TRUE(consumer);
    const View third = consumer->try_peek();
    ASSERT_EQ(third.status, Status::ok);
    EXPECT_EQ(third.type, 2U) << "a consumer that closed gave back the room of what it released";
}

// kTryOnce asks a blocking call for one attempt: again at once, whatever the wait strategy.
TEST(SpscRing, shouldTryOnceAndSayAgainWhenTheDeadlineIsTryOnce) {
    for (const WaitStrategy strategy : {WaitStrategy::spin, WaitStrategy::adaptive, WaitStrategy::block}) {
        const RingName name("spsc.try-once");
        ASSERT_TRUE(create_spsc_ring(name, 4096));
        EndpointOptions options;
        options.wait = strategy;
        auto consumer = SpscConsumer::attach(name, options);
        ASSERT_TRUE(consumer);
        std::byte buffer[8];
        std::size_t length = 0;
        EXPECT_EQ(consumer->receive(buffer, length, kTryOnce), Status::again);
        EXPECT_EQ(consumer->peek(kTryOnce).status, Status::again);
    }
}

// Page faults of this thread so far: each is a trap into the kernel.
long minor_faults() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_minflt;
}

// A producer attached with the default options writes a fresh ring's every page without a page
// fault; one attached without prefault faults each page in on its first lap. (Faults are per
// mapping: the creator's own mapping does not count.)
TEST(SpscRing, shouldMapEveryPageOfTheRingAtAttachSoThatTheFirstLapTakesNoPageFault) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "the sanitizer's shadow memory faults in as the ring is written";
#endif
    for (const bool prefault : {true, false}) {
        const RingName name("spsc.prefault");
        ASSERT_TRUE(create_spsc_ring(name, 1 << 20));
        EndpointOptions options;
        options.segment.prefault = prefault;
        auto producer = SpscProducer::attach(name, options);
        ASSERT_TRUE(producer) << producer.error().message();
        const std::vector<std::byte> message(1000);
        const long before = minor_faults();
        std::size_t sent = 0;
        while (producer->try_send(message) == Status::ok) ++sent;
        const long faults = minor_faults() - before;
        EXPECT_GT(sent, 1000U);
        if (prefault) {
            EXPECT_LT(faults, 8) << "sent " << sent;
        } else {
            EXPECT_GT(faults, 200) << "sent " << sent << ": the check above must be able to fail";
        }
    }
}

}  // namespace
}  // namespace shmring
