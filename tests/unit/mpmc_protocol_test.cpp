// The MPMC slot protocol over a buffer of this process (detail/mpmc_protocol.hpp): slot states
// written straight into the bytes, and what producers and consumers make of them.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>

#include "shmring/detail/mpmc_protocol.hpp"
#include "shmring/detail/mpmc_slots.hpp"
#include "support/in_process_ring.hpp"

namespace shmring {
namespace {

using detail::MpmcReader;
using detail::MpmcWriter;
using detail::slot_at;
using detail::slot_free_for;
using detail::slot_full_for;
using testing::InProcessRing;

constexpr std::uint64_t kSlots = 4;
constexpr std::uint32_t kSlotSize = 32;
constexpr std::size_t kAny = std::numeric_limits<std::size_t>::max();

std::string text_of(std::span<const std::byte> data) { return {reinterpret_cast<const char*>(data.data()), data.size()}; }

// Two producers and two consumers of one ring, each with its own claim word.
struct Sides {
    explicit Sides(const RingView& ring)
        : writer(ring, ring.endpoint(0).claim), other_writer(ring, ring.endpoint(1).claim),
          reader(ring, ring.endpoint(2).claim), other_reader(ring, ring.endpoint(3).claim) {}
    MpmcWriter writer, other_writer;
    MpmcReader reader, other_reader;
};

bool send(MpmcWriter& writer, const std::string& text) {
    const Loan loan = writer.try_claim();
    if (loan.status != Status::ok) return false;
    std::memcpy(loan.data.data(), text.data(), text.size());
    return writer.commit(text.size()) == text.size();
}

View peek(MpmcReader& reader, std::size_t max_length = kAny) {
    bool handed_back = false;
    return reader.try_peek(max_length, handed_back);
}

std::uint64_t claim_word(const RingView& ring, std::uint32_t index) { return ring.endpoint(index).claim.load(std::memory_order_relaxed); }

TEST(MpmcProtocol, shouldFormatEverySlotFreeForItsFirstTicket) {
    auto ring = InProcessRing::mpmc(kSlots, kSlotSize);
    for (std::uint64_t t = 0; t < kSlots; ++t) EXPECT_EQ(slot_at(ring.view(), t).sequence.load(std::memory_order_relaxed), slot_free_for(t));
}

TEST(MpmcProtocol, shouldRecordTheClaimWhileALoanIsOpenAndClearItOnCommit) {
    auto ring = InProcessRing::mpmc(kSlots, kSlotSize);
    Sides s(ring.view());
    const Loan loan = s.writer.try_claim();
    ASSERT_EQ(loan.status, Status::ok);
    EXPECT_EQ(loan.data.size(), kSlotSize);
    EXPECT_EQ(claim_word(ring.view(), 0), 1U) << "ticket 0 + 1";
    EXPECT_EQ(s.writer.try_claim().status, Status::busy) << "one loan at a time";
    EXPECT_EQ(peek(s.reader).status, Status::again) << "a loaned slot is not published";
    std::memcpy(loan.data.data(), "abc", 3);
    EXPECT_EQ(s.writer.commit(3), 3U);
    EXPECT_EQ(claim_word(ring.view(), 0), 0U);
    EXPECT_EQ(slot_at(ring.view(), 0).sequence.load(std::memory_order_relaxed), slot_full_for(0));
    const View view = peek(s.reader);
    ASSERT_EQ(view.status, Status::ok);
    EXPECT_EQ(text_of(view.data), "abc");
    EXPECT_EQ(claim_word(ring.view(), 2), 1U) << "the consumer's claim of ticket 0 stays until release";
    EXPECT_TRUE(s.reader.release());
    EXPECT_EQ(claim_word(ring.view(), 2), 0U);
    EXPECT_EQ(slot_at(ring.view(), 0).sequence.load(std::memory_order_relaxed), slot_free_for(kSlots)) << "free for ticket 0 + capacity";
    EXPECT_FALSE(s.reader.release()) << "nothing open";
}

TEST(MpmcProtocol, shouldDeliverEachMessageOnceInTicketOrderAcrossHandles) {
    auto ring = InProcessRing::mpmc(kSlots, kSlotSize);
    Sides s(ring.view());
    for (int turn = 0; turn < 3; ++turn) {
        ASSERT_TRUE(send(s.writer, "a" + std::to_string(turn)));
        ASSERT_TRUE(send(s.other_writer, "b" + std::to_string(turn)));
        ASSERT_TRUE(send(s.writer, "c" + std::to_string(turn)));
        ASSERT_TRUE(send(s.other_writer, "d" + std::to_string(turn)));
        EXPECT_EQ(s.writer.try_claim().status, Status::again) << "every slot is full";
        std::string got;
        for (int i = 0; i < 4; ++i) {
            MpmcReader& r = i % 2 == 0 ? s.reader : s.other_reader;
            const View view = peek(r);
            ASSERT_EQ(view.status, Status::ok);
            got += text_of(view.data);
            r.release();
        }
        EXPECT_EQ(got, "a" + std::to_string(turn) + "b" + std::to_string(turn) + "c" + std::to_string(turn) + "d" + std::to_string(turn));
        EXPECT_EQ(peek(s.reader).status, Status::again);
    }
}

TEST(MpmcProtocol, shouldSkipAnAbortedSlotAndSayItHandedItBack) {
    auto ring = InProcessRing::mpmc(kSlots, kSlotSize);
    Sides s(ring.view());
    ASSERT_EQ(s.writer.try_claim().status, Status::ok);
    EXPECT_TRUE(s.writer.abort());
    EXPECT_FALSE(s.writer.abort()) << "nothing open";
    ASSERT_TRUE(send(s.writer, "after"));
    bool handed_back = false;
    const View view = s.reader.try_peek(kAny, handed_back);
    ASSERT_EQ(view.status, Status::ok);
    EXPECT_EQ(text_of(view.data), "after");
    EXPECT_TRUE(handed_back) << "the void slot went back to the producers";
    EXPECT_EQ(slot_at(ring.view(), 0).sequence.load(std::memory_order_relaxed), slot_free_for(kSlots));
}

// A sole producer that restarts (a bridge) asks what became of its predecessor's last claim.
TEST(MpmcProtocol, shouldTellAClaimsFateFromItsSlotEvenAfterItWasConsumed) {
    using detail::claim_fate;
    using detail::ClaimFate;
    auto ring = InProcessRing::mpmc(kSlots, kSlotSize);
    Sides s(ring.view());
    ASSERT_EQ(s.writer.try_claim().status, Status::ok);
    EXPECT_EQ(claim_fate(ring.view(), 0), ClaimFate::unpublished) << "claimed, never committed";
    ASSERT_EQ(s.writer.commit(3), 3U);
    EXPECT_EQ(claim_fate(ring.view(), 0), ClaimFate::published);
    ASSERT_EQ(s.writer.try_claim().status, Status::ok);
    ASSERT_TRUE(s.writer.abort());
    EXPECT_EQ(claim_fate(ring.view(), 1), ClaimFate::void_slot);
    ASSERT_EQ(peek(s.reader).status, Status::ok);
    ASSERT_TRUE(s.reader.release());
    EXPECT_EQ(peek(s.reader).status, Status::again) << "the void slot was skipped";
    EXPECT_EQ(claim_fate(ring.view(), 0), ClaimFate::published) << "consumed: the slot still tells until its next turn";
    EXPECT_EQ(claim_fate(ring.view(), 1), ClaimFate::void_slot);
}

TEST(MpmcProtocol, shouldRefuseAMessageLongerThanTheBufferAndKeepItQueued) {
    auto ring = InProcessRing::mpmc(kSlots, kSlotSize);
    Sides s(ring.view());
    ASSERT_TRUE(send(s.writer, "twelve bytes"));
    EXPECT_EQ(peek(s.reader, 4).status, Status::too_large);
    EXPECT_EQ(claim_word(ring.view(), 2), 0U) << "a refusal leaves no claim behind";
    EXPECT_EQ(ring.view().consumer().position.load(std::memory_order_relaxed), 0U) << "the ticket was not taken";
    const View view = peek(s.other_reader, 12);
    ASSERT_EQ(view.status, Status::ok);
    EXPECT_EQ(text_of(view.data), "twelve bytes");
}

TEST(MpmcProtocol, shouldReportCorruptForASequenceAheadOfAnUnmovedCounter) {
    auto ring = InProcessRing::mpmc(kSlots, kSlotSize);
    Sides s(ring.view());
    slot_at(ring.view(), 0).sequence.store(slot_free_for(0) + 2, std::memory_order_relaxed);
    EXPECT_EQ(s.writer.try_claim().status, Status::corrupt);
    EXPECT_EQ(claim_word(ring.view(), 0), 0U) << "the claim of a ticket never taken is cleared";
    slot_at(ring.view(), 0).sequence.store(slot_full_for(0) + 2, std::memory_order_relaxed);
    EXPECT_EQ(peek(s.reader).status, Status::corrupt);
    EXPECT_EQ(claim_word(ring.view(), 2), 0U);
    EXPECT_TRUE(ring.marked_corrupt());
}

TEST(MpmcProtocol, shouldReportCorruptForALengthAboveTheSlotSize) {
    auto ring = InProcessRing::mpmc(kSlots, kSlotSize);
    Sides s(ring.view());
    auto& slot = slot_at(ring.view(), 0);
    slot.length.store(kSlotSize + 1, std::memory_order_relaxed);
    slot.sequence.store(slot_full_for(0), std::memory_order_relaxed);
    ring.view().producer().position.store(1, std::memory_order_relaxed);
    EXPECT_EQ(peek(s.reader).status, Status::corrupt);
    EXPECT_TRUE(ring.marked_corrupt());
}

TEST(MpmcProtocol, shouldAnswerReadinessAsTheNextTicketWould) {
    auto ring = InProcessRing::mpmc(1, kSlotSize);
    Sides s(ring.view());
    EXPECT_TRUE(detail::mpmc_has_room(ring.view()));
    EXPECT_FALSE(detail::mpmc_has_data(ring.view()));
    ASSERT_TRUE(send(s.writer, "x"));
    EXPECT_FALSE(detail::mpmc_has_room(ring.view()));
    EXPECT_TRUE(detail::mpmc_has_data(ring.view()));
    ASSERT_EQ(peek(s.reader).status, Status::ok);
    EXPECT_FALSE(detail::mpmc_has_data(ring.view())) << "taken, not yet released";
    EXPECT_FALSE(detail::mpmc_has_room(ring.view()));
    s.reader.release();
    EXPECT_TRUE(detail::mpmc_has_room(ring.view()));
}

}  // namespace
}  // namespace shmring
