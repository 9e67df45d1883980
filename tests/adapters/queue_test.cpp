// Queue semantics between two processes, for both engines: EAGAIN, ETIMEDOUT and EMSGSIZE as a
// POSIX message queue gives them, message boundaries, zero-copy loans and peeks, and roles.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>

#include "harness/message_stream.hpp"
#include "shmring/queue.hpp"
#include "support/engines.hpp"
#include "support/processes.hpp"
#include "support/test_ring.hpp"

namespace shmring::adapters_test {
namespace {

using namespace std::chrono_literals;
using layout::Engine;
using shmring::testing::bytes_of;
using shmring::testing::RingName;

constexpr std::uint64_t kMessages = 8;
constexpr std::uint32_t kMaxSize = 128;

std::string_view text_of(std::span<const std::byte> data) { return {reinterpret_cast<const char*>(data.data()), data.size()}; }

class QueueSemantics : public ::testing::TestWithParam<Engine> {
protected:
    void SetUp() override {
        const Outcome created = create_queue(name_, queue_config(GetParam(), kMessages, kMaxSize));
        ASSERT_TRUE(created) << created.error().message();
    }

    Result<QueueSender> open_sender() const { return QueueSender::open(name_); }
    Result<QueueReceiver> open_receiver() const { return QueueReceiver::open(name_); }
    const std::string& name() const { return name_.str(); }

private:
    RingName name_{"queue"};
};

TEST_P(QueueSemantics, shouldReturnEagainOnTrySendWhenFull) {
    auto receiver = open_receiver();
    ASSERT_TRUE(receiver) << receiver.error().message();

    ProcessGroup group(deadline_after(20s));
    const auto sender = group.start_forked("sender", [&](Report& report) {
        auto queue = QueueSender::open(name());
        if (!queue) return report.fail(failed("open sender", queue.error()));
        std::byte message[kMaxSize]{};
        Status status = Status::ok;
        std::uint64_t sent = 0;
        for (; sent < 1000; ++sent) {
            std::memcpy(message, &sent, sizeof sent);
            status = queue->try_send(message);
            if (status != Status::ok) break;
        }
        report.put("sent", sent);
        return status == Status::again ? 0 : report.fail(failed("try_send", status));
    });
    ASSERT_TRUE(all_succeeded(group));
    const std::uint64_t sent = reported(group, sender, "sent");
    EXPECT_EQ(sent, kMessages);  // with either engine, as mq_maxmsg
    std::byte buffer[kMaxSize];
    std::size_t length = 0;
    for (std::uint64_t expected = 0; expected < sent; ++expected) {
        ASSERT_EQ(receiver->try_receive(buffer, length), Status::ok) << "message " << expected;
        std::uint64_t got;
        std::memcpy(&got, buffer, sizeof got);
        EXPECT_EQ(got, expected);
    }
    EXPECT_EQ(receiver->try_receive(buffer, length), Status::again);
}

TEST_P(QueueSemantics, shouldReturnEagainOnTryReceiveWhenEmpty) {
    auto receiver = open_receiver();
    ASSERT_TRUE(receiver) << receiver.error().message();
    Gate attached;
    Gate send_now;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("sender", [&](Report& report) {
        auto queue = QueueSender::open(name());
        if (!queue) return report.fail(failed("open sender", queue.error()));
        attached.open();
        if (!send_now.wait()) return report.fail("never told to send");
        const Status status = queue->send(bytes_of("one"), soon());
        return status == Status::ok ? 0 : report.fail(failed("send", status));
    });
    ASSERT_TRUE(attached.wait());
    std::byte buffer[kMaxSize];
    std::size_t length = 0;
    const Status empty = receiver->try_receive(buffer, length);
    send_now.open();
    const Status received = receiver->receive(buffer, length, soon());
    const Status empty_again = receiver->try_receive(buffer, length);
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(empty, Status::again);
    EXPECT_EQ(received, Status::ok);
    EXPECT_EQ(text_of(std::span(buffer, length)), "one");
    EXPECT_EQ(empty_again, Status::again);
}

TEST_P(QueueSemantics, shouldTimeOutTimedSendOnFullQueue) {
    auto sender = open_sender();
    ASSERT_TRUE(sender) << sender.error().message();
    Gate attached;
    Gate finish;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("idle receiver", [&](Report& report) {
        auto queue = QueueReceiver::open(name());
        if (!queue) return report.fail(failed("open receiver", queue.error()));
        attached.open();
        return finish.wait() ? 0 : report.fail("never told to finish");
    });
    ASSERT_TRUE(attached.wait());
    const std::byte message[kMaxSize]{};
    while (sender->try_send(message) == Status::ok) {
    }
    constexpr auto kTimeout = 100ms;
    const Deadline started = Clock::now();
    const Status status = sender->send(message, started + kTimeout);
    const auto elapsed = Clock::now() - started;
    finish.open();
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(status, Status::timed_out);
    EXPECT_GE(elapsed, kTimeout);
    EXPECT_LT(elapsed, 1s);
}

TEST_P(QueueSemantics, shouldTimeOutTimedReceiveOnEmptyQueue) {
    auto receiver = open_receiver();
    ASSERT_TRUE(receiver) << receiver.error().message();
    Gate attached;
    Gate finish;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("idle sender", [&](Report& report) {
        auto queue = QueueSender::open(name());
        if (!queue) return report.fail(failed("open sender", queue.error()));
        attached.open();
        return finish.wait() ? 0 : report.fail("never told to finish");
    });
    ASSERT_TRUE(attached.wait());
    std::byte buffer[kMaxSize];
    std::size_t length = 0;
    constexpr auto kTimeout = 100ms;
    const Deadline started = Clock::now();
    const Status status = receiver->receive(buffer, length, started + kTimeout);
    const auto elapsed = Clock::now() - started;
    finish.open();
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(status, Status::timed_out);
    EXPECT_GE(elapsed, kTimeout);
    EXPECT_LT(elapsed, 1s);
}

TEST_P(QueueSemantics, shouldRefuseTooLongMessageWithEmsgsizeAndSendNothing) {
    auto sender = open_sender();
    ASSERT_TRUE(sender) << sender.error().message();
    EXPECT_EQ(sender->max_message_size(), kMaxSize);
    const std::byte too_long[kMaxSize + 1]{};
    const Status blocking = sender->send(too_long, soon());
    const Status trying = sender->try_send(too_long);
    ASSERT_EQ(sender->send(bytes_of("after"), soon()), Status::ok);
    EXPECT_EQ(blocking, Status::too_large);
    EXPECT_EQ(trying, Status::too_large);

    ProcessGroup group(deadline_after(20s));
    group.start_forked("receiver", [&](Report& report) {
        auto queue = QueueReceiver::open(name());
        if (!queue) return report.fail(failed("open receiver", queue.error()));
        std::byte buffer[2 * kMaxSize];
        std::size_t length = 0;
        if (const Status status = queue->receive(buffer, length, soon()); status != Status::ok)
            return report.fail(failed("receive", status));
        if (text_of(std::span(buffer, length)) != "after")
            return report.fail("the first message is not the one sent after the refused ones");
        const Status rest = queue->try_receive(buffer, length);
        return rest == Status::again ? 0 : report.fail(failed("a refused message was queued after all", rest));
    });
    EXPECT_TRUE(all_succeeded(group));
}

TEST_P(QueueSemantics, shouldKeepMessageQueuedWhenReceiveBufferIsTooSmall) {
    // Many messages of random sizes, so that some sit right after the ring's wrap.
    constexpr std::uint64_t kCount = 2000;
    const multiprocess::MessageStream stream(0x5A11B0F, 0, kMaxSize);
    auto receiver = open_receiver();
    ASSERT_TRUE(receiver) << receiver.error().message();

    ProcessGroup group(deadline_after(30s));
    group.start_forked("sender", [&](Report& report) {
        auto queue = QueueSender::open(name());
        if (!queue) return report.fail(failed("open sender", queue.error()));
        std::byte message[kMaxSize];
        for (std::uint64_t sequence = 0; sequence < kCount; ++sequence) {
            const auto bytes = std::span(message).first(stream.size_of(sequence));
            stream.fill(sequence, bytes);
            if (const Status status = queue->send(bytes, soon()); status != Status::ok) return report.fail(failed("send", status));
        }
        return 0;
    });
    std::byte buffer[kMaxSize];
    std::size_t length = 0;
    for (std::uint64_t sequence = 0; sequence < kCount; ++sequence) {
        SCOPED_TRACE("message " + std::to_string(sequence));
        const std::size_t size = stream.size_of(sequence);
        if (size > 0) {
            // Blocking, it waits for the message and then refuses it; trying, it refuses it again.
            ASSERT_EQ(receiver->receive(std::span(buffer).first(size / 2), length, soon()), Status::too_large);
            ASSERT_EQ(receiver->try_receive(std::span(buffer).first(size - 1), length), Status::too_large);
        }
        ASSERT_EQ(receiver->receive(std::span(buffer).first(size), length, soon()), Status::ok);
        ASSERT_TRUE(stream.matches(sequence, std::span(buffer, length))) << length << " bytes, not the message queued";
    }
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(receiver->try_receive(buffer, length), Status::again);
}

TEST_P(QueueSemantics, shouldPreserveMessageBoundariesWithRandomSizes) {
    constexpr std::uint64_t kCount = 20000;
    const multiprocess::MessageStream stream(0xB0DA12E5, 0, kMaxSize);
    auto receiver = open_receiver();
    ASSERT_TRUE(receiver) << receiver.error().message();

    ProcessGroup group(deadline_after(30s));
    group.start_forked("sender", [&](Report& report) {
        auto queue = QueueSender::open(name());
        if (!queue) return report.fail(failed("open sender", queue.error()));
        std::byte message[kMaxSize];
        for (std::uint64_t sequence = 0; sequence < kCount; ++sequence) {
            const auto bytes = std::span(message).first(stream.size_of(sequence));
            stream.fill(sequence, bytes);
            if (const Status status = queue->send(bytes, soon()); status != Status::ok) return report.fail(failed("send", status));
        }
        return 0;
    });
    std::byte buffer[kMaxSize];
    std::size_t length = 0;
    std::uint64_t matched = 0;
    for (std::uint64_t sequence = 0; sequence < kCount; ++sequence) {
        const Status status = receiver->receive(buffer, length, soon());
        if (status != Status::ok) {
            ADD_FAILURE() << "message " << sequence << ": " << describe(status);
            break;
        }
        if (!stream.matches(sequence, std::span(buffer, length))) {
            ADD_FAILURE() << "message " << sequence << ": " << length << " bytes, expected " << stream.size_of(sequence)
                          << " bytes of its own contents";
            break;
        }
        ++matched;
    }
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(matched, kCount);
}

TEST_P(QueueSemantics, shouldDeliverPublishedLoansAndSkipAbortedOnes) {
    auto receiver = open_receiver();
    ASSERT_TRUE(receiver) << receiver.error().message();

    ProcessGroup group(deadline_after(20s));
    group.start_forked("sender", [&](Report& report) {
        auto queue = QueueSender::open(name());
        if (!queue) return report.fail(failed("open sender", queue.error()));
        const auto claim_and = [&](std::string_view text, bool keep) {
            const Loan loan = queue->claim(soon());
            if (loan.status != Status::ok) return loan.status;
            if (loan.data.size() < kMaxSize) return Status::too_large;  // a loan has room for the largest message
            std::memcpy(loan.data.data(), text.data(), text.size());
            if (keep) {
                queue->commit(text.size());
            } else {
                queue->abort();
            }
            return Status::ok;
        };
        for (const auto& [text, keep] : {std::pair{"first", true}, {"aborted", false}, {"third message", true}})
            if (const Status status = claim_and(text, keep); status != Status::ok) return report.fail(failed("claim", status));
        return 0;
    });
    ASSERT_TRUE(all_succeeded(group));
    for (const std::string_view expected : {"first", "third message"}) {
        const View view = receiver->peek(soon());
        ASSERT_EQ(view.status, Status::ok) << describe(view.status);
        EXPECT_EQ(text_of(view.data), expected);
        receiver->release();
    }
    EXPECT_EQ(receiver->peek(Clock::now()).status, Status::again);
}

// The bound holds for messages of any size, at every place in the ring (the SPSC engine's laps
// and padding, the MPMC engine's slots beyond the bound), and room comes back one message at a time.
TEST_P(QueueSemantics, shouldHoldExactlyMaxMessagesOfAnySizeLapAfterLap) {
    for (const std::uint64_t bound : {std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{5}, std::uint64_t{16}}) {
        const RingName name("queue.bound");
        ASSERT_TRUE(create_queue(name, queue_config(GetParam(), bound, 40)));
        auto sender = QueueSender::open(name);
        auto receiver = QueueReceiver::open(name);
        ASSERT_TRUE(sender && receiver);
        EXPECT_EQ(sender->ring().geometry().max_messages, bound);
        std::uint64_t next_sent = 0;
        std::uint64_t next_received = 0;
        std::byte message[40];
        const auto send_next = [&] {
            const std::size_t length = 8 + next_sent % 33;  // 8 to 40 bytes
            std::memset(message, static_cast<int>(next_sent % 251), length);
            std::memcpy(message, &next_sent, sizeof next_sent);
            const Status status = sender->try_send(std::span(message, length));
            if (status == Status::ok) ++next_sent;
            return status;
        };
        const auto receive_next = [&] {
            std::byte buffer[40];
            std::size_t length = 0;
            ASSERT_EQ(receiver->try_receive(buffer, length), Status::ok);
            std::uint64_t got = 0;
            std::memcpy(&got, buffer, sizeof got);
            ASSERT_EQ(got, next_received);
            ASSERT_EQ(length, 8 + next_received % 33);
            ++next_received;
        };
        for (int round = 0; round < 200; ++round) {
            while (next_sent - next_received < bound) ASSERT_EQ(send_next(), Status::ok) << "bound " << bound << ", round " << round;
            ASSERT_EQ(send_next(), Status::again) << "bound " << bound << ", round " << round;
            const std::uint64_t drain = 1 + static_cast<std::uint64_t>(round) % bound;  // partly, then refill
            for (std::uint64_t i = 0; i < drain; ++i) receive_next();
        }
        while (next_received < next_sent) receive_next();
    }
}

// A waiting call that misses counts one miss in `full` or `empty`, however often it retries, with
// a deadline or a timeout.
TEST_P(QueueSemantics, shouldCountOneMissPerWaitingCall) {
    auto sender = open_sender();
    auto receiver = open_receiver();
    ASSERT_TRUE(sender && receiver);
    const auto misses = [](const RingSegment& ring, layout::EndpointRole role, SharedAtomic<std::uint64_t> layout::Counters::*miss) {
        std::uint64_t total = 0;
        for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
            const layout::EndpointEntry& entry = ring.endpoint(i);
            if (entry.role.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(role))
                total += (entry.counters.*miss).load(std::memory_order_relaxed);
        }
        return total;
    };
    std::byte buffer[kMaxSize];
    std::size_t length = 0;
    EXPECT_EQ(receiver->receive(buffer, length, 5ms), Status::timed_out);
    EXPECT_EQ(receiver->receive(buffer, length, deadline_after(5ms)), Status::timed_out);
    EXPECT_EQ(misses(receiver->ring(), layout::EndpointRole::consumer, &layout::Counters::empty), 2U);
    const std::byte message[8]{};
    while (sender->try_send(message) == Status::ok) {
    }
    const std::uint64_t full_before = misses(sender->ring(), layout::EndpointRole::producer, &layout::Counters::full);
    EXPECT_EQ(sender->send(message, 5ms), Status::timed_out);
    EXPECT_EQ(sender->claim(5ms).status, Status::timed_out);
    EXPECT_EQ(misses(sender->ring(), layout::EndpointRole::producer, &layout::Counters::full), full_before + 2);
}

// Batches: as many as fit, in order, each message whole; a receive batch stops before a message
// longer than its buffer, and the first such gives too_large.
TEST_P(QueueSemantics, shouldSendAndReceiveBatchesInOrder) {
    auto sender = open_sender();
    auto receiver = open_receiver();
    ASSERT_TRUE(sender && receiver);
    std::byte payloads[12][16];
    iovec messages[12];
    for (std::size_t i = 0; i < 12; ++i) {
        std::memset(payloads[i], static_cast<int>(i + 1), sizeof payloads[i]);
        messages[i] = {payloads[i], 1 + i};
    }
    const IoResult sent = sender->send_batch(messages, kTryOnce);
    ASSERT_EQ(sent.status, Status::ok);
    EXPECT_EQ(sent.count, kMessages);  // as many as fit
    EXPECT_EQ(sender->send_batch(std::span(messages).subspan(kMessages), kTryOnce).status, Status::again);

    std::byte buffers[12][16];
    iovec into[12];
    for (std::size_t i = 0; i < 12; ++i) into[i] = {buffers[i], sizeof buffers[i]};
    into[3].iov_len = 2;  // too short for the fourth message (4 bytes)
    const IoResult first = receiver->receive_batch(into, kTryOnce);
    ASSERT_EQ(first.status, Status::ok);
    ASSERT_EQ(first.count, 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        ASSERT_EQ(into[i].iov_len, i + 1);
        EXPECT_EQ(std::memcmp(buffers[i], payloads[i], i + 1), 0);
    }
    iovec too_short{buffers[0], 3};
    EXPECT_EQ(receiver->receive_batch(std::span(&too_short, 1), kTryOnce).status, Status::too_large);
    for (std::size_t i = 0; i < 12; ++i) into[i] = {buffers[i], sizeof buffers[i]};
    const IoResult rest = receiver->receive_batch(into, kTryOnce);
    ASSERT_EQ(rest.status, Status::ok);
    ASSERT_EQ(rest.count, kMessages - 3);
    for (std::size_t i = 0; i < rest.count; ++i) {
        ASSERT_EQ(into[i].iov_len, i + 4);
        EXPECT_EQ(std::memcmp(buffers[i], payloads[i + 3], i + 4), 0);
    }
    EXPECT_EQ(receiver->receive_batch(into, kTryOnce).status, Status::again);
    EXPECT_EQ(receiver->receive_batch(into, 0ns).status, Status::again);  // a timeout of zero only tries
    const auto started = Clock::now();
    EXPECT_EQ(receiver->receive_batch(into, deadline_after(20ms)).status, Status::timed_out);
    EXPECT_GE(Clock::now() - started, 20ms);
    const auto restarted = Clock::now();
    EXPECT_EQ(receiver->receive_batch(into, 20ms).status, Status::timed_out);
    EXPECT_GE(Clock::now() - restarted, 20ms);
    std::size_t length = 0;
    EXPECT_EQ(receiver->receive(buffers[0], length, 0ns), Status::again);
    EXPECT_EQ(receiver->peek(1ms).status, Status::timed_out);

    std::byte oversized[kMaxSize + 1]{};
    const iovec with_oversized[2] = {messages[0], {oversized, sizeof oversized}};
    EXPECT_EQ(sender->send_batch(with_oversized, kTryOnce).count, 1U);  // stops before it
    EXPECT_EQ(sender->send_batch(std::span(with_oversized).subspan(1), kTryOnce).status, Status::too_large);
}

INSTANTIATE_TEST_SUITE_P(Engines, QueueSemantics, ::testing::Values(Engine::spsc, Engine::mpmc), engine_name);

TEST(QueueRoles, shouldRefuseSecondSpscSenderWithEbusy) {
    RingName name("queue.busy");
    ASSERT_TRUE(create_queue(name, queue_config(Engine::spsc, kMessages, kMaxSize)));
    Gate holding;
    Gate release;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("sender", [&](Report& report) {
        auto queue = QueueSender::open(name);
        if (!queue) return report.fail(failed("open sender", queue.error()));
        holding.open();
        return release.wait() ? 0 : report.fail("never told to release");
    });
    ASSERT_TRUE(holding.wait());
    const auto second = QueueSender::open(name);
    release.open();
    ASSERT_TRUE(all_succeeded(group));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code(), Errc::busy) << second.error().message();
    EXPECT_TRUE(QueueSender::open(name)) << "the role was given back when its holder closed";
}

TEST(QueueRoles, shouldAcceptSecondMpmcSender) {
    RingName name("queue.shared");
    ASSERT_TRUE(create_queue(name, queue_config(Engine::mpmc, kMessages, kMaxSize)));
    Gate holding;
    Gate release;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("sender", [&](Report& report) {
        auto queue = QueueSender::open(name);
        if (!queue) return report.fail(failed("open sender", queue.error()));
        holding.open();
        return release.wait() ? 0 : report.fail("never told to release");
    });
    ASSERT_TRUE(holding.wait());
    auto second = QueueSender::open(name);
    release.open();
    ASSERT_TRUE(all_succeeded(group));
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_EQ(second->try_send(bytes_of("x")), Status::ok);
}

}  // namespace
}  // namespace shmring::adapters_test
