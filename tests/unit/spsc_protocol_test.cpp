// The SPSC record protocol over a buffer of this process (detail/spsc_protocol.hpp): half-finished
// and hostile states written straight into the bytes, and the reader's and writer's answers.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "shmring/detail/spsc_protocol.hpp"
#include "support/in_process_ring.hpp"

namespace shmring {
namespace {

using detail::RecordVerdict;
using detail::SpscReader;
using detail::SpscWriter;
using testing::InProcessRing;

constexpr std::uint64_t kCapacity = 256;

std::string text_of(std::span<const std::byte> data) { return {reinterpret_cast<const char*>(data.data()), data.size()}; }

std::span<const std::byte> detail_bytes(const std::string& text) { return std::as_bytes(std::span(text.data(), text.size())); }

void put(std::span<std::byte> room, const std::string& text) { std::memcpy(room.data(), text.data(), text.size()); }

void write_header(const RingView& ring, std::uint64_t index, std::uint32_t length, std::uint32_t type) {
    const layout::RecordHeader header{length, type};
    std::memcpy(ring.data() + index, &header, sizeof header);
}

TEST(SpscProtocol, shouldShowCommittedRecordsOnlyOnceFlushed) {
    auto ring = InProcessRing::spsc(kCapacity);
    SpscWriter writer(ring.view(), 0, 0);
    SpscReader reader(ring.view(), 0, 0);
    const Loan loan = writer.try_claim(5, false);
    ASSERT_EQ(loan.status, Status::ok);
    put(loan.data, "hello");
    EXPECT_EQ(reader.try_peek().status, Status::again) << "a claimed record is beyond the published position";
    EXPECT_EQ(writer.commit(5, 3), 5U);
    EXPECT_EQ(reader.try_peek().status, Status::again) << "a committed record waits for the flush";
    EXPECT_TRUE(writer.flush());
    EXPECT_FALSE(writer.flush()) << "nothing new to store";
    const View view = reader.try_peek();
    ASSERT_EQ(view.status, Status::ok);
    EXPECT_EQ(text_of(view.data), "hello");
    EXPECT_EQ(view.type, 3U);
    EXPECT_EQ(view.position, 0U);
    EXPECT_EQ(reader.release(), 5U);
    EXPECT_EQ(ring.view().consumer().position.load(std::memory_order_relaxed), 0U) << "the room goes back with the reader's flush";
    EXPECT_TRUE(reader.flush());
    EXPECT_EQ(ring.view().consumer().position.load(std::memory_order_relaxed), layout::record_size(5));
}

// Custody: records read ahead stay the reader's until flushed through; a rewind reads them again.
TEST(SpscProtocol, shouldKeepRecordsReadAheadUntilFlushedThroughAndReadThemAgainAfterARewind) {
    auto ring = InProcessRing::spsc(kCapacity);
    SpscWriter writer(ring.view(), 0, 0);
    SpscReader reader(ring.view(), 0, 0);
    for (const std::string text : {"one", "two", "three"}) ASSERT_EQ(writer.try_send(detail_bytes(text), 0), Status::ok);
    writer.flush();
    std::vector<std::uint64_t> ends;
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(reader.try_peek().status, Status::ok);
        reader.release();
        ends.push_back(reader.released_through());
    }
    EXPECT_EQ(reader.position(), 0U) << "nothing given back yet";
    EXPECT_FALSE(reader.flush_through(ends[2] + 8)) << "past what was read";
    EXPECT_TRUE(reader.flush_through(ends[0]));
    EXPECT_EQ(ring.view().consumer().position.load(std::memory_order_relaxed), ends[0]);
    EXPECT_FALSE(reader.flush_through(0)) << "before what was given back";
    reader.rewind();
    EXPECT_EQ(reader.released_through(), ends[0]);
    const View again = reader.try_peek();
    ASSERT_EQ(again.status, Status::ok);
    EXPECT_EQ(text_of(again.data), "two") << "the first record not given back";
}

TEST(SpscProtocol, shouldCommitOnlyTheLengthGivenAndDropTheTypesTopBit) {
    auto ring = InProcessRing::spsc(kCapacity);
    SpscWriter writer(ring.view(), 0, 0);
    SpscReader reader(ring.view(), 0, 0);
    ASSERT_EQ(writer.try_claim(40, false).status, Status::ok);
    EXPECT_EQ(writer.commit(100, 0xFFFFFFFFU), 40U) << "never more than was claimed";
    ASSERT_EQ(writer.try_claim(40, false).status, Status::ok);
    EXPECT_EQ(writer.commit(3, 0), 3U);
    writer.flush();
    View first = reader.try_peek();
    ASSERT_EQ(first.status, Status::ok);
    EXPECT_EQ(first.data.size(), 40U);
    EXPECT_EQ(first.type, 0x7FFFFFFFU);
    reader.release();
    const View second = reader.try_peek();
    ASSERT_EQ(second.status, Status::ok);
    EXPECT_EQ(second.data.size(), 3U);
    EXPECT_EQ(writer.commit(1, 0), std::nullopt) << "no claim open";
}

TEST(SpscProtocol, shouldPadTheEndSoThatARecordIsContiguous) {
    auto ring = InProcessRing::spsc(kCapacity);
    // Both sides stand 16 bytes before the end: a 24-byte record goes behind a padding record.
    const std::uint64_t start = kCapacity - 16;
    ring.view().producer().position.store(start, std::memory_order_relaxed);
    ring.view().consumer().position.store(start, std::memory_order_relaxed);
    SpscWriter writer(ring.view(), start, start);
    SpscReader reader(ring.view(), start, start);
    const Loan loan = writer.try_claim(16, false);
    ASSERT_EQ(loan.status, Status::ok);
    EXPECT_EQ(loan.data.data(), ring.view().data() + sizeof(layout::RecordHeader)) << "placed at the start of the data area";
    put(loan.data, "0123456789abcdef");
    writer.commit(16, 0);
    writer.flush();
    const View view = reader.try_peek();
    ASSERT_EQ(view.status, Status::ok) << "the padding record is skipped";
    EXPECT_EQ(text_of(view.data), "0123456789abcdef");
    EXPECT_EQ(view.position, kCapacity);
}

TEST(SpscProtocol, shouldSayAgainWhenFullAndClaimWhatFitsUpTo) {
    auto ring = InProcessRing::spsc(kCapacity);
    SpscWriter writer(ring.view(), 0, 0);
    ASSERT_EQ(writer.try_claim(kCapacity / 2 - 8, false).status, Status::ok);  // 128 bytes
    writer.commit(kCapacity / 2 - 8, 0);
    EXPECT_EQ(writer.try_claim(kCapacity / 2, false).status, Status::again);
    const Loan rest = writer.try_claim(kCapacity, true);
    ASSERT_EQ(rest.status, Status::ok);
    EXPECT_EQ(rest.data.size(), kCapacity / 2 - 8) << "up to: the 120 payload bytes that fit";
    writer.commit(rest.data.size(), 0);
    EXPECT_EQ(writer.try_claim(1, true).status, Status::again) << "not one byte fits";
}

TEST(SpscProtocol, shouldAnswerReadinessAsTheWriterAndReaderWould) {
    auto ring = InProcessRing::spsc(kCapacity);
    SpscWriter writer(ring.view(), 0, 0);
    EXPECT_FALSE(detail::spsc_has_data(ring.view()));
    EXPECT_TRUE(detail::spsc_has_room(ring.view(), kCapacity / 2 - 8));
    ASSERT_EQ(writer.try_claim(kCapacity / 2 - 8, false).status, Status::ok);
    writer.commit(kCapacity / 2 - 8, 0);
    writer.flush();
    EXPECT_TRUE(detail::spsc_has_data(ring.view()));
    EXPECT_TRUE(detail::spsc_has_room(ring.view(), kCapacity / 2 - 8));
    EXPECT_FALSE(detail::spsc_has_room(ring.view(), kCapacity / 2 - 7));
    // A room test that says yes is a claim that succeeds, wherever the producer stands.
    for (std::uint64_t at = 0; at < kCapacity; at += 8) {
        auto fresh = InProcessRing::spsc(kCapacity);
        fresh.view().producer().position.store(at, std::memory_order_relaxed);
        fresh.view().consumer().position.store(at, std::memory_order_relaxed);
        SpscWriter w(fresh.view(), at, at);
        for (std::uint64_t length = 1; length <= kCapacity / 2 - 8; length += 7) {
            EXPECT_TRUE(detail::spsc_has_room(fresh.view(), length)) << "at " << at << ", length " << length;
            EXPECT_EQ(w.try_claim(length, false).status, Status::ok) << "at " << at << ", length " << length;
            w.abort();
        }
    }
}

TEST(SpscProtocol, shouldCallPositionsOutOfRangeReadySoThatTheWokenCallReportsThem) {
    auto ring = InProcessRing::spsc(kCapacity);
    ring.view().consumer().position.store(kCapacity * 4, std::memory_order_relaxed);  // ahead of the producer
    EXPECT_TRUE(detail::spsc_has_room(ring.view(), 8)) << "a poller must wake and get EPROTO, not wait for ever";
    SpscWriter writer(ring.view(), 0, kCapacity * 4);
    EXPECT_EQ(writer.try_claim(8, false).status, Status::corrupt);
}

TEST(SpscProtocol, shouldReportCorruptForAProducerPositionOutOfRange) {
    for (const std::uint64_t bad : {kCapacity + 8, std::uint64_t{12}, ~std::uint64_t{0} - 7}) {
        auto ring = InProcessRing::spsc(kCapacity);
        SpscReader reader(ring.view(), 0, 0);
        ring.view().producer().position.store(bad, std::memory_order_relaxed);
        EXPECT_EQ(reader.try_peek().status, Status::corrupt) << "producer at " << bad;
        EXPECT_TRUE(ring.marked_corrupt());
    }
}

TEST(SpscProtocol, shouldReportCorruptForAConsumerPositionOutOfRange) {
    auto ring = InProcessRing::spsc(kCapacity);
    SpscWriter writer(ring.view(), 0, 0);
    ring.view().consumer().position.store(kCapacity * 4, std::memory_order_relaxed);  // ahead of the producer
    // The cached consumer position says there is room; a record that needs a fresh look sees the lie.
    EXPECT_EQ(writer.try_claim(kCapacity / 2 - 8, false).status, Status::ok);
    writer.commit(kCapacity / 2 - 8, 0);
    EXPECT_EQ(writer.try_claim(kCapacity / 2 - 7, false).status, Status::corrupt) << "too big for the cached room: a fresh look";
    EXPECT_TRUE(ring.marked_corrupt());
}

struct HostileHeader {
    const char* what;
    std::uint32_t length;
    std::uint32_t type;
    std::uint64_t published;  // bytes the producer claims to have published
};

class SpscHostileHeader : public ::testing::TestWithParam<HostileHeader> {};

TEST_P(SpscHostileHeader, shouldReportCorruptAndReadNothingBeyondTheRing) {
    const HostileHeader h = GetParam();
    auto ring = InProcessRing::spsc(kCapacity);
    write_header(ring.view(), 0, h.length, h.type);
    ring.view().producer().position.store(h.published, std::memory_order_relaxed);
    SpscReader reader(ring.view(), 0, 0);
    EXPECT_EQ(reader.try_peek().status, Status::corrupt) << h.what;
    EXPECT_TRUE(ring.marked_corrupt());
}

INSTANTIATE_TEST_SUITE_P(
    Headers, SpscHostileHeader,
    ::testing::Values(HostileHeader{"padding_short_of_the_end", 8, layout::kRecordTypePadding, kCapacity},
                      HostileHeader{"type_above_padding", 8, layout::kRecordTypePadding + 1, 16},
                      HostileHeader{"length_above_the_limit", kCapacity / 2, 0, kCapacity},
                      HostileHeader{"length_past_the_published_bytes", 64, 0, 16},
                      HostileHeader{"length_near_4_GiB", 0xFFFFFFF8U, 0, kCapacity}),
    [](const auto& info) { return std::string(info.param.what); });

TEST(SpscRecordCheck, shouldNameWhatIsWrongWithAHeader) {
    auto ring = InProcessRing::spsc(kCapacity);
    const RingGeometry& g = ring.view().geometry();
    const auto verdict = [&](std::uint32_t length, std::uint32_t type, std::uint64_t position, std::uint64_t published) {
        return detail::check_record({length, type}, position, published, g).verdict;
    };
    EXPECT_EQ(verdict(5, 0, 0, 16), RecordVerdict::message);
    EXPECT_EQ(verdict(8, layout::kRecordTypePadding, kCapacity - 16, 16), RecordVerdict::padding);
    EXPECT_EQ(verdict(0, layout::kRecordTypePadding, kCapacity - 16, 16), RecordVerdict::padding_misplaced);
    EXPECT_EQ(verdict(8, layout::kRecordTypePadding, kCapacity - 16, 8), RecordVerdict::padding_misplaced);
    EXPECT_EQ(verdict(5, layout::kRecordTypePadding + 1, 0, 16), RecordVerdict::bad_type);
    EXPECT_EQ(verdict(static_cast<std::uint32_t>(g.max_message + 1), 0, 0, kCapacity), RecordVerdict::too_long);
    EXPECT_EQ(verdict(16, 0, 0, 16), RecordVerdict::past_published);
    EXPECT_EQ(verdict(16, 0, kCapacity - 16, 64), RecordVerdict::past_published) << "runs past the end of the data area";
}

}  // namespace
}  // namespace shmring
