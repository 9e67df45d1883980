// The endpoint registry: roles, liveness, dead owners, counters.
#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "shmring/spsc_ring.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using testing::bytes_of;
using testing::RingName;

TEST(Process, shouldTellLiveFromDeadByStartTime) {
    const ProcessIdentity me = current_process();
    EXPECT_NE(me.start_time, 0U);
    EXPECT_EQ(liveness(me), Liveness::alive);
    EXPECT_NE(me.pid_namespace, 0U);
    EXPECT_EQ(liveness({me.pid, me.start_time + 1, me.pid_namespace}), Liveness::dead) << "same pid, other start time: a reused pid";
    EXPECT_EQ(liveness({0, 0, me.pid_namespace}), Liveness::dead);
    EXPECT_EQ(liveness({me.pid, me.start_time + 1, me.pid_namespace + 1}), Liveness::alive)
        << "a pid of another namespace is never judged";
    EXPECT_EQ(liveness({me.pid, 0, me.pid_namespace}), Liveness::alive) << "an unknown start time is not a proof of death";
}

TEST(Process, shouldSeeAZombieAsDead) {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ASSERT_GT(child, 0);
    // Not reaped yet: the child is a zombie until waitpid.
    for (int i = 0; i < 1000 && look_up_process(child).state != ProcessState::gone; ++i) ::usleep(1000);
    EXPECT_EQ(look_up_process(child).state, ProcessState::gone);
    ::waitpid(child, nullptr, 0);
}

TEST(Endpoint, shouldHandTheRoleOfADeadHolderToANewcomer) {
    RingName name("deadholder");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    const pid_t child = ::fork();
    if (child == 0) {
        auto producer = SpscProducer::attach(name);
        if (!producer || producer->try_send(bytes_of("from the dead")) != Status::ok) ::_exit(1);
        ::raise(SIGKILL);  // dies holding the role, without detaching
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));

    auto ring = RingSegment::open(name, Access::read_only);
    ASSERT_TRUE(ring);
    EXPECT_EQ(role_holder_presence(*ring, ring->control().producer_role.load(std::memory_order_relaxed)), Presence::dead);

    auto producer = SpscProducer::attach(name);
    ASSERT_TRUE(producer) << producer.error().message();
    EXPECT_EQ(role_holder_presence(*ring, ring->control().producer_role.load(std::memory_order_relaxed)), Presence::alive);
    auto consumer = SpscConsumer::attach(name);
    ASSERT_TRUE(consumer);
    const View record = consumer->try_peek();
    ASSERT_EQ(record.status, Status::ok);
    EXPECT_EQ(record.data.size(), 13U) << "what the dead producer published is still delivered";
}

TEST(Endpoint, shouldFreeTheRoleOnClose) {
    RingName name("close");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    {
        auto producer = SpscProducer::attach(name);
        ASSERT_TRUE(producer);
        auto ring = RingSegment::open(name, Access::read_only);
        EXPECT_NE(ring->control().producer_role.load(std::memory_order_relaxed), 0U);
    }
    auto ring = RingSegment::open(name, Access::read_only);
    EXPECT_EQ(ring->control().producer_role.load(std::memory_order_relaxed), 0U);
    EXPECT_TRUE(SpscProducer::attach(name));
}

TEST(Endpoint, shouldRetireCountersOnDetach) {
    RingName name("counters");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    auto consumer = SpscConsumer::attach(name);
    ASSERT_TRUE(consumer);
    {
        auto producer = SpscProducer::attach(name);
        ASSERT_TRUE(producer);
        for (int i = 0; i < 3; ++i) ASSERT_EQ(producer->try_send(bytes_of("abcd")), Status::ok);
        EXPECT_EQ(producer->endpoint().counters().messages.load(std::memory_order_relaxed), 3U);
    }
    const auto& retired = consumer->ring().control().retired_producers;
    EXPECT_EQ(retired.messages.load(std::memory_order_relaxed), 3U);
    EXPECT_EQ(retired.bytes.load(std::memory_order_relaxed), 12U);
}

TEST(Endpoint, shouldNotTakeAStaleRoleWordForTheEntrysOwnerTwoToThe24TakesLater) {
    RingName name("generations");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    const pid_t child = ::fork();
    if (child == 0) {
        auto producer = SpscProducer::attach(name);
        if (!producer) ::_exit(1);
        ::raise(SIGKILL);  // leaves its role word behind
    }
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
    auto ring = RingSegment::open(name, Access::read_write);
    ASSERT_TRUE(ring);
    const std::uint64_t stale = ring->control().producer_role.load(std::memory_order_relaxed);
    const std::uint32_t index = layout::role_index(stale);
    ASSERT_LT(index, layout::kMaxEndpoints);
    // The entry freed and retaken 2^24 times since: its next taker gets generation g + 2^24.
    const std::uint64_t generation = layout::role_generation(stale) + (std::uint64_t{1} << 24) - 1;
    ring->endpoint(index).state.store(layout::endpoint_state(generation, layout::EndpointStatus::free), std::memory_order_release);
    ring->control().producer_role.store(stale, std::memory_order_release);
    auto observer = Endpoint::attach(std::move(*ring), layout::EndpointRole::observer);
    ASSERT_TRUE(observer);
    ASSERT_EQ(observer->index(), index) << "the test needs the observer in the dead producer's entry";
    EXPECT_NE(role_holder_presence(observer->ring(), stale), Presence::alive) << "the stale word named the new owner";
    EXPECT_TRUE(SpscProducer::attach(name)) << "the role looked held by an unrelated endpoint";
}

TEST(Endpoint, shouldRecordPidAndRoleInTheRegistry) {
    RingName name("registry");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    auto producer = SpscProducer::attach(name);
    ASSERT_TRUE(producer);
    const auto& entry = producer->endpoint().entry();
    const auto state = entry.state.load(std::memory_order_relaxed);
    EXPECT_EQ(layout::endpoint_status(state), layout::EndpointStatus::attached);
    EXPECT_EQ(entry.pid.load(std::memory_order_relaxed), static_cast<std::uint32_t>(::getpid()));
    EXPECT_EQ(entry.role.load(std::memory_order_relaxed), static_cast<std::uint32_t>(layout::EndpointRole::producer));
    EXPECT_EQ(entry.start_time.load(std::memory_order_relaxed), current_process().start_time);
}

}  // namespace
}  // namespace shmring

namespace shmring {
namespace {

TEST(Endpoint, shouldForgetTheSleeperBitOfAProcessThatDiedAsleep) {
    testing::RingName name("diedasleep");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    const pid_t child = ::fork();
    if (child == 0) {
        EndpointOptions options;
        options.wait = WaitStrategy::block;
        auto consumer = SpscConsumer::attach(name, options);
        if (!consumer) ::_exit(1);
        (void)consumer->peek();  // sleeps for ever: nothing will be sent
        ::_exit(2);
    }
    auto ring = RingSegment::open(name, Access::read_only);
    ASSERT_TRUE(ring);
    for (int i = 0; i < 2000 && ring->data_event().sleepers.load(std::memory_order_relaxed) == 0; ++i) ::usleep(1000);
    ASSERT_NE(ring->data_event().sleepers.load(std::memory_order_relaxed), 0U) << "the child never slept";
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    auto successor = SpscConsumer::attach(name);
    ASSERT_TRUE(successor) << successor.error().message();
    EXPECT_EQ(ring->data_event().sleepers.load(std::memory_order_relaxed), 0U)
        << "a publisher would otherwise enter the kernel on every message";
    auto producer = SpscProducer::attach(name);
    ASSERT_TRUE(producer);
    ASSERT_EQ(producer->try_send(testing::bytes_of("x")), Status::ok);
    EXPECT_EQ(producer->endpoint().counters().wakes.load(std::memory_order_relaxed), 0U);
}

}  // namespace
}  // namespace shmring

namespace shmring {
namespace {

TEST(Endpoint, shouldNotDetachTheParentsEndpointFromAForkedChild) {
    testing::RingName name("forkchild");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    auto producer = SpscProducer::attach(name);
    ASSERT_TRUE(producer);
    const pid_t child = ::fork();
    if (child == 0) {
        { const SpscProducer copy = std::move(*producer); }  // the child's copy of the handle dies
        ::_exit(0);
    }
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
    EXPECT_FALSE(SpscProducer::attach(name)) << "the parent still holds the producer role";
    EXPECT_EQ(producer->try_send(testing::bytes_of("still mine")), Status::ok);
}

TEST(Wait, shouldTreatAnEnormousTimeoutAsNoDeadline) {
    EXPECT_EQ(deadline_after(std::chrono::nanoseconds(INT64_MAX)), kNoDeadline);
    EXPECT_LT(deadline_after(std::chrono::seconds(1)), kNoDeadline);
}

TEST(Segment, shouldRefuseAnSpscHeaderWithoutRoomForOneByte) {
    testing::RingName name("zerolimit");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    {
        auto ring = RingSegment::open(name, Access::read_write);
        ASSERT_TRUE(ring);
        ring->header().max_message = 0;
    }
    const auto reopened = RingSegment::open(name, Access::read_write);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code(), Errc::corrupt);
}

}  // namespace
}  // namespace shmring
