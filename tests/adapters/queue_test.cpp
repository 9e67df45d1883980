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
    // SPSC holds at least max_messages of the largest size; MPMC exactly its slots.
    if (GetParam() == Engine::mpmc) {
        EXPECT_EQ(sent, kMessages);
    } else {
        EXPECT_GE(sent, kMessages);
    }
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
