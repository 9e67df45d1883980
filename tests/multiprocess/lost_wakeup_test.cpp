// Blocking mode across processes on the smallest rings, where nearly every operation parks on a
// shared futex and is woken by another process. The endpoints' periodic probe is turned off
// (kNoProbing), so a lost wake-up leaves a process asleep for good: the parent's deadline turns
// that into a failure, with a snapshot of who sleeps on what, and CTest's TIMEOUT backs it up.
#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "harness/process_group.hpp"
#include "harness/ring_snapshot.hpp"
#include "shmring/layout.hpp"
#include "shmring/mpmc_ring.hpp"
#include "support/test_ring.hpp"
#include "workloads/endpoint_options.hpp"
#include "workloads/mpmc_exchange.hpp"
#include "workloads/spsc_exchange.hpp"

namespace shmring::multiprocess {
namespace {

using namespace std::chrono_literals;

struct Topology {
    std::uint64_t slots;
    std::uint32_t producers;
    std::uint32_t consumers;
};

void PrintTo(const Topology& topology, std::ostream* out) {
    *out << topology.slots << " slots, " << topology.producers << " producers, " << topology.consumers << " consumers";
}

std::string topology_name(const ::testing::TestParamInfo<Topology>& info) {
    return "slots" + std::to_string(info.param.slots) + "_" + std::to_string(info.param.producers) + "x" +
           std::to_string(info.param.consumers);
}

class LostWakeUpMpmc : public ::testing::TestWithParam<Topology> {};

TEST_P(LostWakeUpMpmc, shouldWakeEveryParkedProducerAndConsumerUntilEveryMessageIsDelivered) {
    MpmcExchange exchange;
    exchange.slots = GetParam().slots;
    exchange.producers = GetParam().producers;
    exchange.consumers = GetParam().consumers;
    exchange.messages_per_producer = 400'000 / GetParam().producers;
    exchange.wait = WaitStrategy::block;
    exchange.probe_interval = kNoProbing;
    exchange.time_limit = 60s;
    EXPECT_TRUE(exchange_across_processes(exchange));
}

INSTANTIATE_TEST_SUITE_P(SmallRings, LostWakeUpMpmc,
                         ::testing::Values(Topology{1, 1, 1}, Topology{1, 2, 2}, Topology{1, 4, 4}, Topology{2, 2, 2},
                                           Topology{2, 4, 4}),
                         topology_name);

SpscExchange minimum_ring(Transfer transfer) {
    SpscExchange exchange;
    exchange.capacity = layout::kMinSpscCapacity;
    exchange.messages = 500'000;
    exchange.max_payload = layout::spsc_max_message(layout::kMinSpscCapacity);
    exchange.wait = WaitStrategy::block;
    exchange.probe_interval = kNoProbing;
    exchange.transfer = transfer;
    exchange.batch = 2;
    exchange.time_limit = 60s;
    return exchange;
}

TEST(LostWakeUpSpsc, shouldWakeBothSidesOfAMinimumCapacityRingForEveryRecord) {
    EXPECT_TRUE(exchange_across_processes(minimum_ring(Transfer::copy)));
}

TEST(LostWakeUpSpsc, shouldWakeBothSidesOfAMinimumCapacityRingWithBatchedClaimsAndPeeks) {
    EXPECT_TRUE(exchange_across_processes(minimum_ring(Transfer::zero_copy)));
}

// Bursts long enough for the producer to publish light (its consumer spinning), each followed by a
// pause long enough for the consumer to park: every resume finds a sleeper behind a light publish
// and switches to full fences, every burst switches back (detail/publish_fence.hpp).
TEST(LostWakeUpSpsc, shouldWakeAConsumerParkedWhileItsProducerSwitchesBetweenLightAndFullFences) {
    SpscExchange exchange;
    exchange.messages = 120'000;
    exchange.max_payload = 64;
    exchange.wait = WaitStrategy::adaptive;
    exchange.probe_interval = kNoProbing;
    exchange.burst = 3000;
    exchange.pause = 2ms;
    exchange.time_limit = 60s;
    EXPECT_TRUE(exchange_across_processes(exchange));
}

// The exchanges above keep traffic flowing, and a later wake-up often rescues a lost one. The
// scenarios below leave exactly one wake-up to be delivered: two processes park on one event, one
// is woken for something it cannot use yet and parks again, and then the one wake-up that follows
// must still reach whoever can use what is now ready. The processes that take their one message
// (or send it) then hold their endpoints: leaving would detach, and a detach wakes every sleeper.

std::span<const std::byte> bytes_of(const std::uint64_t& value) { return std::as_bytes(std::span(&value, 1)); }

template <class Handle>
Result<Handle> attach_blocking(std::string_view ring) {
    auto handle = Handle::attach(ring, attach_options(WaitStrategy::block));
    if (handle) set_probe_interval(handle->endpoint(), kNoProbing);
    return handle;
}

int receive_one_and_hold(Report& report, std::string_view ring) {
    auto consumer = attach_blocking<MpmcConsumer>(ring);
    if (!consumer) return report.fail(consumer.error().message());
    std::uint64_t value = 0;
    std::size_t length = 0;
    if (const Status status = consumer->receive(std::as_writable_bytes(std::span(&value, 1)), length); status != Status::ok)
        return report.fail(std::string("receive: ") + describe(status));
    report.put("received", value);
    pause_until_killed();
}

int send_one_and_hold(Report& report, std::string_view ring, std::uint64_t value) {
    auto producer = attach_blocking<MpmcProducer>(ring);
    if (!producer) return report.fail(producer.error().message());
    if (const Status status = producer->send(bytes_of(value)); status != Status::ok)
        return report.fail(std::string("send: ") + describe(status));
    report.put("sent", value);
    pause_until_killed();
}

// Consumers take tickets in order, so a consumer woken for message 1 while ticket 0 is claimed but
// unpublished finds nothing it may take and parks again. Once ticket 0 is published, each consumer
// must get one of the two messages: message 1 may not wait while a consumer sleeps.
TEST(LostWakeUpMpmcScenario, shouldWakeTheOtherParkedConsumerForAMessageQueuedBehindAnUnfinishedOne) {
    const testing::RingName name("mp.wake.consumers");
    ASSERT_TRUE(create_mpmc_ring(name, 4, sizeof(std::uint64_t)));
    ProcessGroup group(deadline_after(10s));
    std::vector<ProcessGroup::Child> consumers;
    for (int i = 0; i < 2; ++i)
        consumers.push_back(group.start_forked("consumer " + std::to_string(i), [&](Report& report) { return receive_one_and_hold(report, name); }));
    auto unfinished = attach_blocking<MpmcProducer>(name);
    auto queued = attach_blocking<MpmcProducer>(name);
    ASSERT_TRUE(unfinished && queued);
    const RingSegment& ring = unfinished->ring();
    ASSERT_TRUE(wait_for_parked(ring, layout::EndpointRole::consumer, 2, 2, deadline_after(5s))) << describe_ring(name);

    const Loan ticket0 = unfinished->try_claim();
    ASSERT_EQ(ticket0.status, Status::ok);
    ASSERT_EQ(queued->try_send(bytes_of(1)), Status::ok);
    ASSERT_TRUE(wait_for_parked(ring, layout::EndpointRole::consumer, 2, 3, deadline_after(5s)))
        << "no consumer parked again after the wake-up for message 1\n" << describe_ring(name);
    const std::uint64_t zero = 0;
    std::memcpy(ticket0.data.data(), &zero, sizeof zero);
    unfinished->commit(sizeof zero);

    ASSERT_TRUE(group.wait_for_reports(consumers, "received"))
        << "a consumer sleeps while a message waits\n" << describe_ring(name) << group.describe();
    EXPECT_EQ(group.child(consumers[0]).number("received").value() + group.child(consumers[1]).number("received").value(), 1U)
        << group.describe();
}

// The mirror image: producers take tickets in order, so a producer woken for a slot freed behind
// one still held by its consumer finds nothing it may fill and parks again. Once the held slot is
// released, each producer must get one of the two slots: a free slot may not wait while one sleeps.
TEST(LostWakeUpMpmcScenario, shouldWakeTheOtherParkedProducerForASlotFreedBehindAnUnreleasedOne) {
    const testing::RingName name("mp.wake.producers");
    ASSERT_TRUE(create_mpmc_ring(name, 2, sizeof(std::uint64_t)));
    auto filler = attach_blocking<MpmcProducer>(name);
    ASSERT_TRUE(filler);
    ASSERT_EQ(filler->try_send(bytes_of(0)), Status::ok);
    ASSERT_EQ(filler->try_send(bytes_of(1)), Status::ok);
    ProcessGroup group(deadline_after(10s));
    std::vector<ProcessGroup::Child> producers;
    for (std::uint64_t i = 0; i < 2; ++i)
        producers.push_back(group.start_forked("producer " + std::to_string(i), [&, i](Report& report) { return send_one_and_hold(report, name, 2 + i); }));
    auto holder = attach_blocking<MpmcConsumer>(name);
    auto releaser = attach_blocking<MpmcConsumer>(name);
    ASSERT_TRUE(holder && releaser);
    const RingSegment& ring = holder->ring();
    ASSERT_TRUE(wait_for_parked(ring, layout::EndpointRole::producer, 2, 2, deadline_after(5s))) << describe_ring(name);

    const View ticket0 = holder->try_peek();
    ASSERT_EQ(ticket0.status, Status::ok);
    const View ticket1 = releaser->try_peek();
    ASSERT_EQ(ticket1.status, Status::ok);
    releaser->release();
    ASSERT_TRUE(wait_for_parked(ring, layout::EndpointRole::producer, 2, 3, deadline_after(5s)))
        << "no producer parked again after the wake-up for slot 1\n" << describe_ring(name);
    holder->release();

    ASSERT_TRUE(group.wait_for_reports(producers, "sent"))
        << "a producer sleeps while a slot is free\n" << describe_ring(name) << group.describe();
    std::uint64_t sum = 0;
    for (int i = 0; i < 2; ++i) {
        std::uint64_t value = 0;
        std::size_t length = 0;
        ASSERT_EQ(releaser->try_receive(std::as_writable_bytes(std::span(&value, 1)), length), Status::ok);
        sum += value;
    }
    EXPECT_EQ(sum, 2U + 3U);
}

}  // namespace
}  // namespace shmring::multiprocess
