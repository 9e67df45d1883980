// MpmcHolder: the only consumer of an MPMC ring, holding what it takes until confirmed; what it
// leaves unconfirmed, dying or not, is its successor's to read again.
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/mpmc_ring.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using testing::RingName;

std::span<const std::byte> as_bytes(const std::uint64_t& value) {
    return std::as_bytes(std::span<const std::uint64_t, 1>(&value, 1));
}

// Takes the next message, which must be `value` at position `position`.
void expect_take(MpmcHolder& holder, std::uint64_t value, std::uint64_t position) {
    const View view = holder.try_take();
    ASSERT_EQ(view.status, Status::ok) << "expected value " << value;
    ASSERT_EQ(view.data.size(), sizeof value);
    std::uint64_t got = 0;
    std::memcpy(&got, view.data.data(), sizeof got);
    EXPECT_EQ(got, value);
    EXPECT_EQ(view.sequence, position);
    EXPECT_EQ(holder.read_through(), position);
}

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

TEST(MpmcHolder, shouldHoldWhatItTakesUntilConfirmed) {
    RingName name("holder.hold");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto producer = MpmcProducer::attach(name);
    auto holder = MpmcHolder::attach(name);
    ASSERT_TRUE(producer && holder);
    EXPECT_EQ(holder->try_take().status, Status::again);
    for (std::uint64_t v = 0; v < 4; ++v) ASSERT_EQ(producer->try_send(as_bytes(v)), Status::ok);
    for (std::uint64_t v = 0; v < 4; ++v) expect_take(*holder, v, v + 1);
    const std::uint64_t more = 4;
    EXPECT_EQ(producer->try_send(as_bytes(more)), Status::again) << "taken but held: no slot is free";

    EXPECT_FALSE(holder->confirm_through(5)) << "past what was taken";
    ASSERT_TRUE(holder->confirm_through(2));
    EXPECT_EQ(holder->confirmed(), 2U);
    EXPECT_FALSE(holder->confirm_through(1)) << "before what is confirmed";
    for (std::uint64_t v = 4; v < 6; ++v) ASSERT_EQ(producer->try_send(as_bytes(v)), Status::ok);
    EXPECT_EQ(producer->try_send(as_bytes(more)), Status::again);

    holder->rewind();  // what is unconfirmed is read again, as it was
    for (std::uint64_t v = 2; v < 6; ++v) expect_take(*holder, v, v + 1);
    EXPECT_EQ(holder->try_take().status, Status::again);
    EXPECT_EQ(holder->ring().control().lost_messages.load(std::memory_order_relaxed), 0U);
}

TEST(MpmcHolder, shouldLeaveWhatADeadHolderHeldToItsSuccessorNotToRepair) {
    RingName name("holder.dead");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto producer = MpmcProducer::attach(name);
    ASSERT_TRUE(producer);
    for (std::uint64_t v = 0; v < 4; ++v) ASSERT_EQ(producer->try_send(as_bytes(v)), Status::ok);
    die_in([&] {
        auto doomed = MpmcHolder::attach(name);
        if (!doomed) ::_exit(1);
        for (int i = 0; i < 3; ++i)
            if (doomed->try_take().status != Status::ok) ::_exit(2);
        if (!doomed->confirm_through(1)) ::_exit(3);
        ::raise(SIGKILL);
    });
    const std::uint64_t four = 4, five = 5;
    ASSERT_EQ(producer->try_send(as_bytes(four)), Status::ok) << "the confirmed slot was handed back";
    // A waiting producer probes for the dead and repairs what they abandoned: a held slot is not that.
    EXPECT_EQ(producer->send(as_bytes(five), deadline_after(300ms)), Status::timed_out);
    EXPECT_EQ(producer->ring().control().lost_messages.load(std::memory_order_relaxed), 0U);

    auto successor = MpmcHolder::attach(name);
    ASSERT_TRUE(successor);
    EXPECT_EQ(successor->confirmed(), 1U);
    for (std::uint64_t v = 1; v < 5; ++v) expect_take(*successor, v, v + 1);
    ASSERT_TRUE(successor->confirm_through(5));
    EXPECT_EQ(producer->send(as_bytes(five), deadline_after(1s)), Status::ok);
    expect_take(*successor, 5, 6);
}

TEST(MpmcHolder, shouldFindWhereAHandBackCutShortStopped) {
    RingName name("holder.cut");
    ASSERT_TRUE(create_mpmc_ring(name, 8, 8));
    auto producer = MpmcProducer::attach(name);
    ASSERT_TRUE(producer);
    for (std::uint64_t v = 0; v < 6; ++v) ASSERT_EQ(producer->try_send(as_bytes(v)), Status::ok);
    {
        auto holder = MpmcHolder::attach(name);
        ASSERT_TRUE(holder);
        for (std::uint64_t v = 0; v < 6; ++v) expect_take(*holder, v, v + 1);
        // A holder that died in the middle of confirm_through(5) had handed back tickets 0 and 1 only.
        const RingView& ring = holder->ring();
        for (std::uint64_t ticket = 0; ticket < 2; ++ticket)
            detail::slot_at(ring, ticket).sequence.store(detail::slot_freed_after(ticket, 8), std::memory_order_release);
    }
    auto successor = MpmcHolder::attach(name);
    ASSERT_TRUE(successor);
    EXPECT_EQ(successor->confirmed(), 2U);
    ASSERT_TRUE(successor->confirm_through(5));
    expect_take(*successor, 5, 6);
}

TEST(MpmcHolder, shouldHoldVoidsAndReturnThemAsVoidsToBeConfirmed) {
    RingName name("holder.voids");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto producer = MpmcProducer::attach(name);
    auto holder = MpmcHolder::attach(name);
    ASSERT_TRUE(producer && holder);
    const std::uint64_t first = 10, second = 20;
    ASSERT_EQ(producer->try_send(as_bytes(first)), Status::ok);
    ASSERT_EQ(producer->try_claim().status, Status::ok);
    producer->abort();
    ASSERT_EQ(producer->try_claim().status, Status::ok);
    producer->abort();
    ASSERT_EQ(producer->try_send(as_bytes(second)), Status::ok);
    expect_take(*holder, first, 1);
    for (std::uint64_t position = 2; position <= 3; ++position) {
        const View view = holder->try_take();
        ASSERT_EQ(view.status, Status::ok);
        EXPECT_EQ(view.type, detail::kHeldVoid);
        EXPECT_TRUE(view.data.empty());
        EXPECT_EQ(view.sequence, position);
    }
    expect_take(*holder, second, 4);
    EXPECT_EQ(producer->try_send(as_bytes(first)), Status::again) << "the voids are held too";
    ASSERT_TRUE(holder->confirm_through(4));
    for (int i = 0; i < 4; ++i) EXPECT_EQ(producer->try_send(as_bytes(first)), Status::ok);
}

// A ring of nothing but voids: each is taken, confirmed and handed back like a message.
TEST(MpmcHolder, shouldNotWedgeOnARingOfVoids) {
    RingName name("holder.allvoid");
    ASSERT_TRUE(create_mpmc_ring(name, 2, 8));
    auto producer = MpmcProducer::attach(name);
    auto holder = MpmcHolder::attach(name);
    ASSERT_TRUE(producer && holder);
    for (std::uint64_t round = 0; round < 3; ++round) {
        for (int i = 0; i < 2; ++i) {
            ASSERT_EQ(producer->try_claim().status, Status::ok);
            producer->abort();
        }
        for (int i = 0; i < 2; ++i) ASSERT_EQ(holder->try_take().type, detail::kHeldVoid);
        ASSERT_TRUE(holder->confirm_through(holder->read_through()));
    }
}

TEST(MpmcHolder, shouldRefuseToHoldBesideAnotherConsumer) {
    RingName name("holder.beside");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(consumer);
    auto refused = MpmcHolder::attach(name);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), Errc::busy);
    EXPECT_NE(refused.error().message().find("only one"), std::string::npos) << refused.error().message();
    auto again = MpmcConsumer::attach(name);
    EXPECT_TRUE(again) << "a refused holder leaves no custody behind";
}

TEST(MpmcHolder, shouldKeepConsumersOutWhileItsCustodyLasts) {
    RingName name("holder.custody");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto producer = MpmcProducer::attach(name);
    ASSERT_TRUE(producer);
    {
        auto holder = MpmcHolder::attach(name);
        ASSERT_TRUE(holder);
        auto second = MpmcHolder::attach(name);
        ASSERT_FALSE(second);
        EXPECT_EQ(second.error().code(), Errc::busy) << "one holder at a time";
        auto consumer = MpmcConsumer::attach(name);
        ASSERT_FALSE(consumer);
        EXPECT_EQ(consumer.error().code(), Errc::busy);
        EXPECT_NE(consumer.error().message().find("bridge holds it"), std::string::npos) << consumer.error().message();
    }
    EXPECT_TRUE(MpmcConsumer::attach(name)) << "a holder that left holding nothing ends its custody";

    const std::uint64_t value = 3;
    ASSERT_EQ(producer->try_send(as_bytes(value)), Status::ok);
    die_in([&] {
        auto doomed = MpmcHolder::attach(name);
        if (!doomed || doomed->try_take().status != Status::ok) ::_exit(1);
        ::raise(SIGKILL);
    });
    EXPECT_FALSE(MpmcConsumer::attach(name)) << "a holder that died holding keeps its custody for its successor";
    {
        auto successor = MpmcHolder::attach(name);
        ASSERT_TRUE(successor);
        expect_take(*successor, value, 1);
        ASSERT_TRUE(successor->confirm_through(1));
    }
    EXPECT_TRUE(MpmcConsumer::attach(name));
}

// A consumer that died between recording a claim and taking its ticket left a claim naming a
// ticket the holder then takes: no repair may free that held slot for the dead consumer's.
TEST(MpmcHolder, shouldNotLetAStaleClaimFreeAHeldSlot) {
    RingName name("holder.stale");
    ASSERT_TRUE(create_mpmc_ring(name, 2, 8));
    auto producer = MpmcProducer::attach(name);
    ASSERT_TRUE(producer);
    die_in([&] {
        auto doomed = MpmcConsumer::attach(name);
        if (!doomed) ::_exit(1);
        doomed->endpoint().entry().claim.store(1, std::memory_order_release);  // ticket 0, recorded, never taken
        ::raise(SIGKILL);
    });
    auto holder = MpmcHolder::attach(name);
    ASSERT_TRUE(holder);
    const std::uint64_t a = 1, b = 2, c = 3;
    ASSERT_EQ(producer->try_send(as_bytes(a)), Status::ok);
    ASSERT_EQ(producer->try_send(as_bytes(b)), Status::ok);
    expect_take(*holder, a, 1);
    EXPECT_EQ(producer->send(as_bytes(c), deadline_after(300ms)), Status::timed_out) << "ticket 0's slot is held";
    EXPECT_EQ(producer->ring().control().lost_messages.load(std::memory_order_relaxed), 0U);
    holder->rewind();
    expect_take(*holder, a, 1);
}

TEST(MpmcHolder, shouldReportCorruptForAHeldSlotRewrittenOutOfRange) {
    RingName name("holder.corrupt");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    auto producer = MpmcProducer::attach(name);
    auto holder = MpmcHolder::attach(name);
    ASSERT_TRUE(producer && holder);
    const std::uint64_t value = 1;
    ASSERT_EQ(producer->try_send(as_bytes(value)), Status::ok);
    expect_take(*holder, value, 1);
    detail::slot_at(holder->ring(), 0).length.store(4096, std::memory_order_relaxed);  // another process writes
    holder->rewind();
    EXPECT_EQ(holder->try_take().status, Status::corrupt);
}

}  // namespace
}  // namespace shmring
