// The topic protocol over a buffer of this process (detail/topic_protocol.hpp): one writer, readers
// with their cursors in registry entries, and slot stamps written straight into the bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "shmring/detail/topic_protocol.hpp"
#include "support/in_process_ring.hpp"

namespace shmring {
namespace {

using detail::TopicReader;
using detail::TopicStart;
using detail::TopicWriter;
using detail::slot_at;
using layout::TopicPolicy;
using testing::InProcessRing;

constexpr std::uint32_t kSlotSize = 32;

// A reader in registry entry `index`, marked an attached subscriber as Endpoint::attach would.
TopicReader reader_at(const RingView& ring, std::uint32_t index) {
    ring.endpoint(index).state.store(layout::endpoint_state(1, layout::EndpointStatus::attached), std::memory_order_relaxed);
    ring.endpoint(index).role.store(static_cast<std::uint32_t>(layout::EndpointRole::consumer), std::memory_order_relaxed);
    return TopicReader(ring, ring.endpoint(index).cursor, ring.endpoint(index).lost, std::uint64_t{1} << index);
}

TopicWriter started_writer(const RingView& ring) {
    TopicWriter writer(ring);
    EXPECT_EQ(writer.resume(), Status::ok);
    return writer;
}

Status publish(TopicWriter& writer, std::uint64_t value) {
    return writer.try_send(std::as_bytes(std::span(&value, 1)));
}

struct Received {
    Status status;
    std::uint64_t value = 0;
    std::uint64_t sequence = 0;
};

Received receive(TopicReader& reader) {
    std::uint64_t value = 0;
    std::size_t length = 0;
    Received r{Status::ok};
    r.status = reader.try_receive(std::as_writable_bytes(std::span(&value, 1)), length, &r.sequence);
    if (r.status == Status::ok) {
        EXPECT_EQ(length, sizeof value);
        r.value = value;
    }
    return r;
}

TEST(TopicProtocol, shouldDeliverEveryMessageInOrderAcrossManyWraps) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossless);
    TopicWriter writer = started_writer(ring.view());
    TopicReader reader = reader_at(ring.view(), 1);
    ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
    for (std::uint64_t i = 0; i < 100; ++i) {
        ASSERT_EQ(publish(writer, i * 7), Status::ok);
        if (i % 3 != 2) continue;  // read in bursts of three
        for (std::uint64_t j = i - 2; j <= i; ++j) {
            const Received r = receive(reader);
            ASSERT_EQ(r.status, Status::ok);
            EXPECT_EQ(r.value, j * 7);
            EXPECT_EQ(r.sequence, j + 1);
        }
    }
    EXPECT_EQ(receive(reader).status, Status::ok);
    EXPECT_EQ(receive(reader).status, Status::again);
}

TEST(TopicProtocol, shouldHoldALosslessWriterBackAtItsSlowestReader) {
    auto ring = InProcessRing::topic(8, kSlotSize, TopicPolicy::lossless, 5);
    TopicWriter writer = started_writer(ring.view());
    TopicReader fast = reader_at(ring.view(), 1);
    TopicReader slow = reader_at(ring.view(), 2);
    ASSERT_EQ(fast.join(TopicStart::next), Status::ok);
    ASSERT_EQ(slow.join(TopicStart::next), Status::ok);
    for (std::uint64_t i = 0; i < 5; ++i) ASSERT_EQ(publish(writer, i), Status::ok);
    EXPECT_EQ(publish(writer, 5), Status::again) << "the capacity asked for (5), not the slot count (8), bounds the lag";
    for (int i = 0; i < 5; ++i) ASSERT_EQ(receive(fast).status, Status::ok);
    EXPECT_EQ(publish(writer, 5), Status::again) << "the slow reader has read nothing";
    ASSERT_EQ(receive(slow).status, Status::ok);
    EXPECT_EQ(publish(writer, 5), Status::ok);
    EXPECT_EQ(publish(writer, 6), Status::again);
    slow.leave();
    EXPECT_EQ(publish(writer, 6), Status::ok) << "a reader that left holds nothing back";
}

// Custody (a bridge): reading does not free the publisher; confirming does; seek reads again.
TEST(TopicProtocol, shouldHoldALosslessWriterAtTheConfirmedPositionOfAHoldingReader) {
    auto ring = InProcessRing::topic(8, kSlotSize, TopicPolicy::lossless, 4);
    TopicWriter writer = started_writer(ring.view());
    TopicReader forwarder = reader_at(ring.view(), 1);
    ASSERT_EQ(forwarder.join(TopicStart::next), Status::ok);
    EXPECT_FALSE(forwarder.confirm_through(0)) << "a reader that does not hold moves its cursor as it reads";
    EXPECT_FALSE(forwarder.seek(0));
    forwarder.hold();
    for (std::uint64_t i = 0; i < 4; ++i) ASSERT_EQ(publish(writer, i), Status::ok);
    for (std::uint64_t i = 0; i < 4; ++i) ASSERT_EQ(receive(forwarder).value, i);
    EXPECT_EQ(publish(writer, 4), Status::again) << "read but not confirmed: still held";
    EXPECT_FALSE(forwarder.confirm_through(5)) << "past what was read";
    ASSERT_TRUE(forwarder.confirm_through(2));
    EXPECT_EQ(forwarder.confirmed(), 2U);
    EXPECT_EQ(publish(writer, 4), Status::ok);
    EXPECT_FALSE(forwarder.seek(1)) << "before the confirmed position";
    EXPECT_FALSE(forwarder.seek(6)) << "past the publisher";
    ASSERT_TRUE(forwarder.seek(2));
    const Received again = receive(forwarder);
    EXPECT_EQ(again.value, 2U) << "read again from the first unconfirmed message";
    EXPECT_EQ(again.sequence, 3U);
}

TEST(TopicProtocol, shouldIgnoreTheGatingBitOfAnEntryThatIsNotAttached) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossless);
    TopicWriter writer = started_writer(ring.view());
    ring.view().consumer().gating.store(std::uint64_t{1} << 9, std::memory_order_relaxed);  // entry 9 is free
    for (std::uint64_t i = 0; i < 20; ++i) ASSERT_EQ(publish(writer, i), Status::ok);
}

TEST(TopicProtocol, shouldStartANewReaderAtTheNextMessage) {
    auto ring = InProcessRing::topic(8, kSlotSize, TopicPolicy::lossless);
    TopicWriter writer = started_writer(ring.view());
    for (std::uint64_t i = 0; i < 3; ++i) ASSERT_EQ(publish(writer, i), Status::ok);
    TopicReader reader = reader_at(ring.view(), 1);
    ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
    EXPECT_EQ(receive(reader).status, Status::again);
    ASSERT_EQ(publish(writer, 3), Status::ok);
    const Received r = receive(reader);
    EXPECT_EQ(r.value, 3U);
    EXPECT_EQ(r.sequence, 4U);
}

TEST(TopicProtocol, shouldGiveAHistoryReaderWhatALosslessWriterStillKeeps) {
    auto ring = InProcessRing::topic(8, kSlotSize, TopicPolicy::lossless);
    TopicWriter writer = started_writer(ring.view());
    for (std::uint64_t i = 0; i < 3; ++i) ASSERT_EQ(publish(writer, i), Status::ok);
    TopicReader early = reader_at(ring.view(), 1);
    ASSERT_EQ(early.join(TopicStart::oldest), Status::ok);
    for (std::uint64_t i = 0; i < 3; ++i) EXPECT_EQ(receive(early).sequence, i + 1) << "nothing was overwritten yet";
    early.leave();

    for (std::uint64_t i = 3; i < 30; ++i) ASSERT_EQ(publish(writer, i), Status::ok);
    TopicReader late = reader_at(ring.view(), 2);
    ASSERT_EQ(late.join(TopicStart::oldest), Status::ok);
    std::vector<std::uint64_t> got;
    for (Received r = receive(late); r.status == Status::ok; r = receive(late)) got.push_back(r.sequence);
    // Without readers the writer keeps at least half its capacity, and the history ends at the latest.
    ASSERT_GE(got.size(), 4U);
    ASSERT_LE(got.size(), 8U);
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], 30 - got.size() + i + 1);
    EXPECT_EQ(late.lost(), 0U);
}

TEST(TopicProtocol, shouldResumeALappedLossyReaderAtTheOldestMessageAndCountTheGap) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossy);
    TopicWriter writer = started_writer(ring.view());
    TopicReader reader = reader_at(ring.view(), 1);
    ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
    for (std::uint64_t i = 0; i < 10; ++i) ASSERT_EQ(publish(writer, i), Status::ok) << "a lossy writer never waits";
    std::vector<std::uint64_t> sequences;
    for (Received r = receive(reader); r.status == Status::ok; r = receive(reader)) {
        EXPECT_EQ(r.value + 1, r.sequence);
        sequences.push_back(r.sequence);
    }
    EXPECT_EQ(sequences, (std::vector<std::uint64_t>{8, 9, 10}));
    EXPECT_EQ(reader.lost(), 7U);
    EXPECT_EQ(reader.lost() + sequences.size(), 10U) << "lost + received = published";
    EXPECT_EQ(ring.view().endpoint(1).lost.load(std::memory_order_relaxed), 7U) << "the count is in the segment, for the tool";
}

TEST(TopicProtocol, shouldReportAMessageOverwrittenWhileItWasPeeked) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossy);
    TopicWriter writer = started_writer(ring.view());
    TopicReader reader = reader_at(ring.view(), 1);
    ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
    ASSERT_EQ(publish(writer, 100), Status::ok);
    const View view = reader.try_peek();
    ASSERT_EQ(view.status, Status::ok);
    EXPECT_EQ(view.sequence, 1U);
    for (std::uint64_t i = 1; i < 5; ++i) ASSERT_EQ(publish(writer, 100 + i), Status::ok);  // the 5th takes slot 0
    EXPECT_EQ(reader.release(), Status::overflow);
    EXPECT_EQ(reader.lost(), 1U);
    const Received next = receive(reader);
    ASSERT_EQ(next.status, Status::ok);
    EXPECT_EQ(next.sequence, 2U);
    EXPECT_EQ(next.value, 101U);
}

TEST(TopicProtocol, shouldDropACopyWhoseSlotWasRewrittenMeanwhile) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossy);
    TopicWriter writer = started_writer(ring.view());
    TopicReader reader = reader_at(ring.view(), 1);
    ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
    ASSERT_EQ(publish(writer, 1), Status::ok);
    // A writer that started rewriting slot 0 after the stamp was read ([T1] between [S1] and [S5]):
    // peek reads the stamp, the writer's stamp changes, release sees it.
    ASSERT_EQ(reader.try_peek().status, Status::ok);
    slot_at(ring.view(), 0).sequence.store(layout::topic_stamp_writing(4), std::memory_order_relaxed);
    EXPECT_EQ(reader.release(), Status::overflow);
}

TEST(TopicProtocol, shouldFindALosslessSlotAheadOfItsReaderCorrupt) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossless);
    TopicReader reader = reader_at(ring.view(), 1);
    ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
    slot_at(ring.view(), 0).sequence.store(layout::topic_stamp_complete(4), std::memory_order_relaxed);
    EXPECT_EQ(receive(reader).status, Status::corrupt);
    EXPECT_TRUE(ring.marked_corrupt());
}

TEST(TopicProtocol, shouldFindALengthAboveTheSlotSizeCorrupt) {
    for (const TopicPolicy policy : {TopicPolicy::lossless, TopicPolicy::lossy}) {
        auto ring = InProcessRing::topic(4, kSlotSize, policy);
        TopicWriter writer = started_writer(ring.view());
        TopicReader reader = reader_at(ring.view(), 1);
        ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
        ASSERT_EQ(publish(writer, 1), Status::ok);
        slot_at(ring.view(), 0).length.store(kSlotSize + 1, std::memory_order_relaxed);
        EXPECT_EQ(reader.try_peek().status, Status::corrupt);
        EXPECT_TRUE(ring.marked_corrupt());
    }
}

TEST(TopicProtocol, shouldLeaveATooLongMessageNext) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossy);
    TopicWriter writer = started_writer(ring.view());
    TopicReader reader = reader_at(ring.view(), 1);
    ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
    ASSERT_EQ(publish(writer, 42), Status::ok);
    std::byte small[4];
    std::size_t length = 0;
    EXPECT_EQ(reader.try_receive(small, length, nullptr), Status::too_large);
    EXPECT_EQ(receive(reader).value, 42U);
}

TEST(TopicProtocol, shouldResumeAfterTheLastCompleteMessageOfADeadWriter) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossless);
    TopicReader reader = reader_at(ring.view(), 1);
    {
        TopicWriter first = started_writer(ring.view());
        ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
        ASSERT_EQ(publish(first, 0), Status::ok);
        ASSERT_EQ(publish(first, 1), Status::ok);
        // It died after completing message 2 ([T4]) and before storing the position ([T5]).
        auto& slot = slot_at(ring.view(), 2);
        slot.length.store(8, std::memory_order_relaxed);
        std::memcpy(detail::payload_at(ring.view(), 2), "\x02\0\0\0\0\0\0\0", 8);
        slot.sequence.store(layout::topic_stamp_complete(2), std::memory_order_relaxed);
        // ...and began message 3 ([T1]) without finishing it.
        slot_at(ring.view(), 3).sequence.store(layout::topic_stamp_writing(3), std::memory_order_relaxed);
    }
    TopicWriter second = started_writer(ring.view());
    EXPECT_EQ(second.position(), 3U) << "message 2 was complete: it is not written again";
    ASSERT_EQ(publish(second, 3), Status::ok);
    for (std::uint64_t i = 0; i < 4; ++i) {
        const Received r = receive(reader);
        ASSERT_EQ(r.status, Status::ok);
        EXPECT_EQ(r.value, i);
        EXPECT_EQ(r.sequence, i + 1);
    }
}

TEST(TopicProtocol, shouldIgnoreAGatingBitOfAnEntryThatIsNoSubscriber) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossless);
    TopicWriter writer = started_writer(ring.view());
    auto& entry = ring.view().endpoint(5);  // attached, but a publisher's, with a stale cursor
    entry.state.store(layout::endpoint_state(1, layout::EndpointStatus::attached), std::memory_order_relaxed);
    entry.role.store(static_cast<std::uint32_t>(layout::EndpointRole::producer), std::memory_order_relaxed);
    ring.view().consumer().gating.store(std::uint64_t{1} << 5, std::memory_order_relaxed);
    for (std::uint64_t i = 0; i < 20; ++i) ASSERT_EQ(publish(writer, i), Status::ok);
}

TEST(TopicProtocol, shouldRefuseAPositionWhoseLastMessageIsNotInItsSlot) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossless);
    ring.view().producer().position.store(std::uint64_t{1} << 40, std::memory_order_relaxed);
    ring.view().producer().limit.store((std::uint64_t{1} << 40) + 1, std::memory_order_relaxed);
    TopicWriter writer(ring.view());
    EXPECT_EQ(writer.resume(), Status::corrupt) << "a position far ahead, with a limit that fits it";
    EXPECT_TRUE(ring.marked_corrupt());
}

TEST(TopicProtocol, shouldRefuseToJoinWherePositionsShowAPublisherThatNeverAnnounced) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossless);
    ring.view().producer().position.store(7, std::memory_order_relaxed);  // limit still 0
    TopicReader reader = reader_at(ring.view(), 1);
    EXPECT_EQ(reader.join(TopicStart::next), Status::corrupt);
}

TEST(TopicProtocol, shouldBringALossyReaderAheadOfThePublisherBackToIt) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossy);
    TopicWriter writer = started_writer(ring.view());
    for (std::uint64_t i = 0; i < 2; ++i) ASSERT_EQ(publish(writer, i), Status::ok);
    // A garbage position at the join puts the reader far ahead; the writer's own is 2.
    ring.view().producer().position.store(1000, std::memory_order_relaxed);
    TopicReader reader = reader_at(ring.view(), 1);
    ASSERT_EQ(reader.join(TopicStart::next), Status::ok);
    ring.view().producer().position.store(2, std::memory_order_relaxed);
    EXPECT_EQ(receive(reader).status, Status::again) << "the stamp shows a cursor ahead: back to the publisher";
    ASSERT_EQ(publish(writer, 2), Status::ok);
    const Received r = receive(reader);
    ASSERT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.sequence, 3U);
}

TEST(TopicProtocol, shouldRefuseAnAnnouncedLimitThatContradictsThePosition) {
    auto ring = InProcessRing::topic(4, kSlotSize, TopicPolicy::lossless);
    ring.view().producer().position.store(10, std::memory_order_relaxed);
    ring.view().producer().limit.store(1000, std::memory_order_relaxed);
    TopicWriter writer(ring.view());
    EXPECT_EQ(writer.resume(), Status::corrupt);
    TopicReader reader = reader_at(ring.view(), 1);
    EXPECT_EQ(reader.join(TopicStart::next), Status::corrupt);
    EXPECT_EQ(ring.view().consumer().gating.load(std::memory_order_relaxed), 0U) << "a failed join leaves no gating bit";
}

}  // namespace
}  // namespace shmring
