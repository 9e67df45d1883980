// Poll descriptors registered with epoll, the peer in another process: a pipe reader's fires on
// data and at end of file, a pipe writer's when a full pipe gets room and when the reader leaves,
// a queue receiver's when a message arrives and a queue sender's when a full queue gets room.
// Each test follows the documented rule: once the descriptor fires, read or write until EAGAIN
// before waiting on it again, and then it must stay quiet until there is something new.
#include <gtest/gtest.h>

#include <csignal>
#include <optional>
#include <string>

#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "support/engines.hpp"
#include "support/epoll.hpp"
#include "support/pipe_io.hpp"
#include "support/processes.hpp"
#include "support/test_ring.hpp"

namespace shmring::adapters_test {
namespace {

using namespace std::chrono_literals;
using layout::Engine;
using shmring::testing::bytes_of;
using shmring::testing::RingName;

// Long enough that a descriptor which should stay quiet would have fired; a wrong wake-up comes
// within microseconds.
constexpr auto kQuiet = 100ms;
constexpr auto kFires = 5s;

// An end of a pipe or queue and its poll descriptor.
template <class End>
struct Polled {
    std::optional<End> end;
    int fd = -1;
};

template <class End>
Polled<End> open_polled(std::string_view name) {
    Polled<End> end{open_closable<End>(name), -1};
    if (!end.end) return end;
    const auto fd = end.end->poll_fd();
    if (!fd) {
        ADD_FAILURE() << fd.error().message();
        return {};
    }
    end.fd = *fd;
    return end;
}

TEST(PollDescriptor, shouldMakePipeReaderReadableWhenWriterWrites) {
    RingName name("poll.end-data");
    ASSERT_TRUE(create_pipe(name, 4096));
    Gate attached;
    Gate write_now;
    Gate finish;

    ProcessGroup group(deadline_after(30s));
    group.start_forked("writer", [&](Report& report) {
        auto pipe = PipeWriter::open(name);
        if (!pipe) return report.fail(failed("open writer", pipe.error()));
        attached.open();
        for (const char* text : {"first", "second"}) {
            if (!write_now.wait()) return report.fail("never told to write");
            const IoResult written = pipe->write(bytes_of(text), Blocking::yes, soon());
            if (written.status != Status::ok) return report.fail(failed("write", written.status));
        }
        return finish.wait() ? 0 : report.fail("never told to finish");
    });
    ASSERT_TRUE(attached.wait());
    // The helper thread behind the descriptor starts here, after the fork.
    Polled<PipeReader> reader = open_polled<PipeReader>(name);
    ASSERT_TRUE(reader.end);
    Epoll epoll(reader.fd);
    ASSERT_TRUE(epoll.ok());

    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "readable before anything was written";
    for (const std::string expected : {"first", "second"}) {
        write_now.open();
        ASSERT_TRUE(epoll.readable_within(kFires)) << "not readable after the writer wrote '" << expected << "'";
        std::string text;
        EXPECT_FALSE(read_until_eagain(*reader.end, text));
        EXPECT_EQ(text, expected);
        EXPECT_FALSE(epoll.readable_within(kQuiet)) << "still readable after reading to EAGAIN";
    }
    finish.open();
    EXPECT_TRUE(all_succeeded(group));
}

enum class WriterLeaves { by_exiting, by_being_killed };

void expect_reader_readable_at_end_of_file(WriterLeaves how) {
    RingName name("poll.end-eof");
    ASSERT_TRUE(create_pipe(name, 4096));
    Gate wrote;
    Gate leave;

    ProcessGroup group(deadline_after(30s));
    const auto writer = group.start_forked("writer", [&](Report& report) {
        auto pipe = PipeWriter::open(name);
        if (!pipe) return report.fail(failed("open writer", pipe.error()));
        const IoResult written = pipe->write(bytes_of("last"), Blocking::yes, soon());
        if (written.status != Status::ok) return report.fail(failed("write", written.status));
        wrote.open();
        if (how == WriterLeaves::by_being_killed) ::pause();
        return leave.wait() ? 0 : report.fail("never told to leave");  // exiting closes the writer
    });
    ASSERT_TRUE(wrote.wait());
    Polled<PipeReader> reader = open_polled<PipeReader>(name);
    ASSERT_TRUE(reader.end);
    Epoll epoll(reader.fd);
    ASSERT_TRUE(epoll.ok());

    ASSERT_TRUE(epoll.readable_within(kFires)) << "not readable with data waiting";
    std::string text;
    EXPECT_FALSE(read_until_eagain(*reader.end, text)) << "end of file while the writer is still there";
    EXPECT_EQ(text, "last");
    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "still readable after reading to EAGAIN";
    if (how == WriterLeaves::by_being_killed) {
        ::kill(group.child(writer).pid, SIGKILL);
    } else {
        leave.open();
        ASSERT_TRUE(all_succeeded(group));
    }
    ASSERT_TRUE(epoll.readable_within(kFires)) << "not readable after the writer left";
    EXPECT_TRUE(read_until_eagain(*reader.end, text)) << "readable, but no end of file";
    EXPECT_EQ(text, "last");
}

TEST(PollDescriptor, shouldMakePipeReaderReadableAtEndOfFileWhenWriterExits) {
    expect_reader_readable_at_end_of_file(WriterLeaves::by_exiting);
}

TEST(PollDescriptor, shouldMakePipeReaderReadableAtEndOfFileWhenWriterIsKilled) {
    expect_reader_readable_at_end_of_file(WriterLeaves::by_being_killed);
}

TEST(PollDescriptor, shouldMakePipeWriterReadableWhenFullPipeGetsRoom) {
    RingName name("poll.end-room");
    ASSERT_TRUE(create_pipe(name, 4096));
    Gate attached;
    Gate read_now;
    Gate finish;

    ProcessGroup group(deadline_after(30s));
    group.start_forked("reader", [&](Report& report) {
        auto pipe = PipeReader::open(name);
        if (!pipe) return report.fail(failed("open reader", pipe.error()));
        attached.open();
        if (!read_now.wait()) return report.fail("never told to read");
        std::byte buffer[8192];
        const IoResult read = pipe->read(buffer, Blocking::yes, soon());
        if (read.status != Status::ok || read.count == 0) return report.fail(failed("read", read.status));
        return finish.wait() ? 0 : report.fail("never told to finish");  // stays: its leaving would fire too
    });
    ASSERT_TRUE(attached.wait());
    Polled<PipeWriter> writer = open_polled<PipeWriter>(name);
    ASSERT_TRUE(writer.end);
    Epoll epoll(writer.fd);
    ASSERT_TRUE(epoll.ok());

    const IoResult filled = write_until_eagain(*writer.end);
    EXPECT_EQ(filled.status, Status::again);
    EXPECT_GT(filled.count, 0U);
    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "readable while the pipe is full";
    read_now.open();
    ASSERT_TRUE(epoll.readable_within(kFires)) << "not readable after the reader made room";
    const IoResult refilled = write_until_eagain(*writer.end);
    EXPECT_EQ(refilled.status, Status::again);
    EXPECT_GT(refilled.count, 0U);
    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "still readable after writing to EAGAIN";
    finish.open();
    EXPECT_TRUE(all_succeeded(group));
}

TEST(PollDescriptor, shouldMakePipeWriterReadableWhenReaderLeaves) {
    RingName name("poll.end-epipe");
    ASSERT_TRUE(create_pipe(name, 4096));
    Gate attached;
    Gate leave;

    ProcessGroup group(deadline_after(30s));
    group.start_forked("reader", [&](Report& report) {
        auto pipe = PipeReader::open(name);
        if (!pipe) return report.fail(failed("open reader", pipe.error()));
        attached.open();
        return leave.wait() ? 0 : report.fail("never told to leave");  // exiting closes the reader
    });
    ASSERT_TRUE(attached.wait());
    Polled<PipeWriter> writer = open_polled<PipeWriter>(name);
    ASSERT_TRUE(writer.end);
    Epoll epoll(writer.fd);
    ASSERT_TRUE(epoll.ok());

    EXPECT_EQ(write_until_eagain(*writer.end).status, Status::again);
    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "readable while the pipe is full";
    leave.open();
    ASSERT_TRUE(all_succeeded(group));
    ASSERT_TRUE(epoll.readable_within(kFires)) << "not readable after the reader left";
    const IoResult after = write_until_eagain(*writer.end);
    EXPECT_EQ(after.status, Status::peer_gone);
    EXPECT_EQ(after.count, 0U);
}

class QueuePollDescriptor : public ::testing::TestWithParam<Engine> {
protected:
    static constexpr std::uint64_t kMessages = 8;
    static constexpr std::uint32_t kMaxSize = 64;

    void SetUp() override {
        const Outcome created = create_queue(name_, queue_config(GetParam(), kMessages, kMaxSize));
        ASSERT_TRUE(created) << created.error().message();
    }


    // try_receive until EAGAIN; the number of messages received.
    static std::uint64_t receive_all(QueueReceiver& receiver) {
        std::byte buffer[kMaxSize];
        std::size_t length = 0;
        std::uint64_t received = 0;
        while (receiver.try_receive(buffer, length) == Status::ok) ++received;
        return received;
    }

    // try_send until EAGAIN; the number of messages sent.
    static std::uint64_t send_all(QueueSender& sender) {
        const std::byte message[kMaxSize]{};
        std::uint64_t sent = 0;
        while (sender.try_send(message) == Status::ok) ++sent;
        return sent;
    }

    const std::string& name() const { return name_.str(); }

private:
    RingName name_{"poll.queue"};
};

TEST_P(QueuePollDescriptor, shouldMakeReceiverReadableWhenMessageArrives) {
    Gate attached;
    Gate send_now;
    Gate finish;
    constexpr std::uint64_t kSent = 3;

    ProcessGroup group(deadline_after(30s));
    group.start_forked("sender", [&](Report& report) {
        auto queue = QueueSender::open(name());
        if (!queue) return report.fail(failed("open sender", queue.error()));
        attached.open();
        if (!send_now.wait()) return report.fail("never told to send");
        for (std::uint64_t i = 0; i < kSent; ++i)
            if (const Status status = queue->send(bytes_of("message"), soon()); status != Status::ok)
                return report.fail(failed("send", status));
        return finish.wait() ? 0 : report.fail("never told to finish");
    });
    ASSERT_TRUE(attached.wait());
    Polled<QueueReceiver> receiver = open_polled<QueueReceiver>(name());
    ASSERT_TRUE(receiver.end);
    Epoll epoll(receiver.fd);
    ASSERT_TRUE(epoll.ok());

    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "readable before anything was sent";
    send_now.open();
    std::uint64_t received = 0;
    // The messages may arrive one at a time: each firing is followed by receiving until EAGAIN.
    while (received < kSent) {
        ASSERT_TRUE(epoll.readable_within(kFires)) << "not readable with " << kSent - received << " messages to come";
        received += receive_all(*receiver.end);
    }
    EXPECT_EQ(received, kSent);
    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "still readable after receiving to EAGAIN";
    finish.open();
    EXPECT_TRUE(all_succeeded(group));
}

TEST_P(QueuePollDescriptor, shouldMakeSenderReadableWhenFullQueueGetsRoom) {
    Gate attached;
    Gate receive_now;
    Gate received;
    Gate finish;

    ProcessGroup group(deadline_after(30s));
    group.start_forked("receiver", [&](Report& report) {
        auto queue = QueueReceiver::open(name());
        if (!queue) return report.fail(failed("open receiver", queue.error()));
        attached.open();
        if (!receive_now.wait()) return report.fail("never told to receive");
        if (receive_all(*queue) == 0) return report.fail("nothing to receive from a full queue");
        received.open();
        return finish.wait() ? 0 : report.fail("never told to finish");
    });
    ASSERT_TRUE(attached.wait());
    Polled<QueueSender> sender = open_polled<QueueSender>(name());
    ASSERT_TRUE(sender.end);
    Epoll epoll(sender.fd);
    ASSERT_TRUE(epoll.ok());

    EXPECT_GE(send_all(*sender.end), kMessages);
    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "readable while the queue is full";
    receive_now.open();
    ASSERT_TRUE(epoll.readable_within(kFires)) << "not readable after the receiver made room";
    // The descriptor fires with the first message's room; wait until the receiver is done, or
    // the room it keeps making would rightly fire the descriptor again after the check below.
    ASSERT_TRUE(received.wait());
    EXPECT_GT(send_all(*sender.end), 0U);
    EXPECT_FALSE(epoll.readable_within(kQuiet)) << "still readable after sending to EAGAIN";
    finish.open();
    EXPECT_TRUE(all_succeeded(group));
}

INSTANTIATE_TEST_SUITE_P(Engines, QueuePollDescriptor, ::testing::Values(Engine::spsc, Engine::mpmc), engine_name);

}  // namespace
}  // namespace shmring::adapters_test
