// Ten million messages through an MPMC queue between four sender and four receiver processes:
// each delivered exactly once, each sender's messages in the order it sent them. The time is
// printed.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "harness/delivery_log.hpp"
#include "shmring/queue.hpp"
#include "support/engines.hpp"
#include "support/processes.hpp"
#include "support/test_ring.hpp"

namespace shmring::adapters_test {
namespace {

using namespace std::chrono_literals;
using multiprocess::DeliveryLog;
using shmring::testing::RingName;

struct Tag {
    std::uint32_t sender;
    std::uint32_t sequence;
};
// The sender number of the parent's stop messages, one per receiver, sent after every sender is done.
constexpr std::uint32_t kStop = 0xFFFFFFFFU;

std::uint64_t log_word(Tag tag) { return (std::uint64_t{tag.sender} << 32) | tag.sequence; }

TEST(QueueVolume, shouldDeliverTenMillionMessagesOnceEachAndInOrderPerSenderBetweenFourAndFourProcesses) {
    constexpr std::uint32_t kSenders = 4;
    constexpr std::uint32_t kReceivers = 4;
    constexpr std::uint64_t kTotal = 10'000'000;
    constexpr std::uint64_t kPerSender = kTotal / kSenders;
    RingName name("queue.volume");
    ASSERT_TRUE(create_queue(name, queue_config(layout::Engine::mpmc, 1024, sizeof(Tag))));
    // Any receiver may get every message: each has room for all of them (pages are only backed
    // once written).
    DeliveryLog log = DeliveryLog::create(kReceivers, kTotal);

    ProcessGroup group(deadline_after(150s));
    std::vector<ProcessGroup::Child> receivers;
    Gate attached;
    for (std::uint32_t r = 0; r < kReceivers; ++r) {
        receivers.push_back(group.start_forked("receiver " + std::to_string(r), [&, r](Report& report) {
            auto queue = QueueReceiver::open(name);  // adaptive wait: spin briefly, then sleep
            if (!queue) return report.fail(failed("open receiver", queue.error()));
            attached.open();
            Tag tag{};
            std::size_t length = 0;
            for (;;) {
                const Status status = queue->receive(std::as_writable_bytes(std::span(&tag, 1)), length, deadline_after(60s));
                if (status != Status::ok) return report.fail(failed("receive", status));
                if (length != sizeof tag) return report.fail("a message of " + std::to_string(length) + " bytes");
                if (tag.sender == kStop) return 0;
                if (!log.append(r, log_word(tag))) return report.fail("more deliveries than messages sent");
            }
        }));
    }
    for (std::uint32_t r = 0; r < kReceivers; ++r) ASSERT_TRUE(attached.wait());

    const Deadline started = Clock::now();
    std::vector<ProcessGroup::Child> senders;
    for (std::uint32_t s = 0; s < kSenders; ++s) {
        senders.push_back(group.start_forked("sender " + std::to_string(s), [&, s](Report& report) {
            auto queue = QueueSender::open(name);
            if (!queue) return report.fail(failed("open sender", queue.error()));
            for (std::uint64_t sequence = 0; sequence < kPerSender; ++sequence) {
                const Tag tag{s, static_cast<std::uint32_t>(sequence)};
                const Status status = queue->send(std::as_bytes(std::span(&tag, 1)), deadline_after(60s));
                if (status != Status::ok) return report.fail(failed("send", status));
            }
            return 0;
        }));
    }
    ASSERT_TRUE(group.wait_for(senders)) << group.describe();
    {
        auto stopper = QueueSender::open(name);
        ASSERT_TRUE(stopper) << stopper.error().message();
        const Tag stop{kStop, 0};
        for (std::uint32_t r = 0; r < kReceivers; ++r)
            ASSERT_EQ(stopper->send(std::as_bytes(std::span(&stop, 1)), deadline_after(10s)), Status::ok);
    }
    ASSERT_TRUE(all_succeeded(group));
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

    // Exactly once: every (sender, sequence) is seen by one receiver, one time. In order: within
    // each receiver, each sender's sequence numbers only grow.
    std::vector<bool> seen(kTotal);
    std::uint64_t delivered = 0;
    for (std::uint32_t r = 0; r < kReceivers; ++r) {
        std::vector<std::int64_t> last(kSenders, -1);
        for (const std::uint64_t word : log.entries(r)) {
            const auto sender = static_cast<std::uint32_t>(word >> 32);
            const auto sequence = static_cast<std::uint32_t>(word);
            ASSERT_LT(sender, kSenders) << "receiver " << r << " got a message from no sender";
            ASSERT_LT(sequence, kPerSender) << "receiver " << r << " got a message never sent";
            ASSERT_GT(static_cast<std::int64_t>(sequence), last[sender])
                << "receiver " << r << " got message " << sequence << " of sender " << sender << " after message " << last[sender];
            last[sender] = sequence;
            const std::uint64_t index = sender * kPerSender + sequence;
            ASSERT_FALSE(seen[index]) << "message " << sequence << " of sender " << sender << " delivered twice";
            seen[index] = true;
            ++delivered;
        }
    }
    EXPECT_EQ(delivered, kTotal);
    std::printf("[ measured ] %llu messages, %u senders x %u receivers (processes): %.1f s, %.2f M messages/s\n",
                static_cast<unsigned long long>(kTotal), kSenders, kReceivers, seconds, static_cast<double>(kTotal) / seconds / 1e6);
}

}  // namespace
}  // namespace shmring::adapters_test
