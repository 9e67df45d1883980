// The adapters with both ends in one process, on threads: what ThreadSanitizer can check, since it
// sees the synchronisation between threads but not between processes. Each test moves data both
// ways a multi-process test does and verifies it the same way.
#include <gtest/gtest.h>

#include <atomic>
#include <sys/epoll.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "support/byte_stream.hpp"
#include "support/pipe_io.hpp"
#include "support/test_ring.hpp"

namespace shmring::adapters_test {
namespace {

using namespace std::chrono_literals;
using layout::Engine;
using shmring::testing::RingName;

Deadline soon() { return deadline_after(20s); }

TEST(AdapterThreads, shouldDeliverPipeStreamInOrderBetweenThreads) {
    constexpr std::uint64_t kBytes = 1 << 20;
    RingName name("threads.pipe");
    ASSERT_TRUE(create_pipe(name, 4096));
    const ByteStream stream(0x7EAD);
    auto reader = Pipe::open(name, PipeRole::reader);
    ASSERT_TRUE(reader) << reader.error().message();
    auto writer = open_closable(name, PipeRole::writer);
    ASSERT_TRUE(writer);

    IoResult written{Status::ok, 0};
    std::thread writing([&] {
        written = write_stream(*writer, stream, 0, kBytes, 5000, 1, soon());
        writer.reset();  // end of file for the reader
    });
    const StreamRead read = read_stream(*reader, stream, 0, kBytes + 1, 3000, 2, soon());
    writing.join();
    EXPECT_EQ(written.count, kBytes) << describe(written.status);
    EXPECT_FALSE(read.mismatch) << "byte " << read.bytes << " differs";
    EXPECT_EQ(read.bytes, kBytes);
    EXPECT_TRUE(read.end_of_file) << describe(read.status);
}

TEST(AdapterThreads, shouldWakePollingPipeReaderFromWriterThread) {
    RingName name("threads.poll");
    ASSERT_TRUE(create_pipe(name, 4096));
    auto reader = Pipe::open(name, PipeRole::reader);
    ASSERT_TRUE(reader) << reader.error().message();
    auto writer = open_closable(name, PipeRole::writer);
    ASSERT_TRUE(writer);
    const auto fd = reader->poll_fd();
    ASSERT_TRUE(fd) << fd.error().message();
    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    ASSERT_GE(epoll, 0);
    epoll_event event{};
    event.events = EPOLLIN;
    ASSERT_EQ(::epoll_ctl(epoll, EPOLL_CTL_ADD, *fd, &event), 0);

    constexpr int kRounds = 200;
    std::thread writing([&] {
        const std::byte byte{42};
        for (int i = 0; i < kRounds; ++i) (void)writer->write(std::span(&byte, 1), Blocking::yes, soon());
        writer.reset();
    });
    // Each firing is followed by reading to EAGAIN; the count must reach every byte, then end of file.
    int received = 0;
    bool end_of_file = false;
    while (!end_of_file && ::epoll_wait(epoll, &event, 1, 5000) == 1) {
        std::byte buffer[64];
        for (;;) {
            const IoResult read = reader->read(buffer, Blocking::no);
            if (read.status != Status::ok) break;
            if (read.count == 0) {
                end_of_file = true;
                break;
            }
            received += static_cast<int>(read.count);
        }
    }
    writing.join();
    ::close(epoll);
    EXPECT_EQ(received, kRounds);
    EXPECT_TRUE(end_of_file);
}

class AdapterThreadsQueue : public ::testing::TestWithParam<Engine> {};

TEST_P(AdapterThreadsQueue, shouldDeliverEveryMessageOnceAndInOrderPerSenderBetweenThreads) {
    // SPSC: one sender and one receiver. MPMC: two of each.
    const int ends = GetParam() == Engine::spsc ? 1 : 2;
    constexpr std::uint32_t kPerSender = 20000;
    RingName name("threads.queue");
    QueueConfig config;
    config.max_messages = 16;
    config.max_message_size = 2 * sizeof(std::uint32_t);
    config.engine = GetParam();
    ASSERT_TRUE(create_queue(name, config));

    std::vector<Queue> senders;
    std::vector<Queue> receivers;
    for (int i = 0; i < ends; ++i) {
        auto sender = Queue::open(name, QueueRole::sender);
        ASSERT_TRUE(sender) << sender.error().message();
        senders.push_back(std::move(*sender));
        auto receiver = Queue::open(name, QueueRole::receiver);
        ASSERT_TRUE(receiver) << receiver.error().message();
        receivers.push_back(std::move(*receiver));
    }
    // Each receiver keeps what it got; the main thread checks after joining.
    std::vector<std::vector<std::uint64_t>> got(ends);
    std::vector<Status> failures(2 * ends, Status::ok);
    std::vector<std::thread> threads;
    for (int s = 0; s < ends; ++s) {
        threads.emplace_back([&, s] {
            for (std::uint32_t sequence = 0; sequence < kPerSender && failures[s] == Status::ok; ++sequence) {
                const std::uint32_t message[2] = {static_cast<std::uint32_t>(s), sequence};
                failures[s] = senders[s].send(std::as_bytes(std::span(message)), soon());
            }
        });
    }
    const std::uint64_t total = std::uint64_t{kPerSender} * ends;
    // Shared between the receiving threads: how many messages are still to come, so that each
    // stops once all have been received. fetch_sub is relaxed: the count only ends the loops;
    // what was received is read after join(), which orders it.
    std::atomic<std::int64_t> remaining{static_cast<std::int64_t>(total)};
    for (int r = 0; r < ends; ++r) {
        threads.emplace_back([&, r] {
            std::uint32_t message[2];
            std::size_t length = 0;
            while (remaining.load(std::memory_order_relaxed) > 0) {
                const Status status = receivers[r].receive(std::as_writable_bytes(std::span(message)), length, deadline_after(10ms));
                if (status == Status::timed_out) continue;  // another receiver may have taken the last ones
                if (status != Status::ok) {
                    failures[ends + r] = status;
                    return;
                }
                got[r].push_back((std::uint64_t{message[0]} << 32) | message[1]);
                remaining.fetch_sub(1, std::memory_order_relaxed);
            }
        });
    }
    for (std::thread& t : threads) t.join();

    for (const Status failure : failures) EXPECT_EQ(failure, Status::ok) << describe(failure);
    std::vector<bool> seen(total);
    std::uint64_t delivered = 0;
    for (int r = 0; r < ends; ++r) {
        std::vector<std::int64_t> last(ends, -1);
        for (const std::uint64_t word : got[r]) {
            const auto sender = static_cast<std::uint32_t>(word >> 32);
            const auto sequence = static_cast<std::uint32_t>(word);
            ASSERT_LT(sender, static_cast<std::uint32_t>(ends));
            ASSERT_LT(sequence, kPerSender);
            ASSERT_GT(static_cast<std::int64_t>(sequence), last[sender]) << "out of order for sender " << sender;
            last[sender] = sequence;
            ASSERT_FALSE(seen[sender * kPerSender + sequence]) << "delivered twice";
            seen[sender * kPerSender + sequence] = true;
            ++delivered;
        }
    }
    EXPECT_EQ(delivered, total);
}

INSTANTIATE_TEST_SUITE_P(Engines, AdapterThreadsQueue, ::testing::Values(Engine::spsc, Engine::mpmc),
                         [](const ::testing::TestParamInfo<Engine>& info) { return info.param == Engine::spsc ? "spsc" : "mpmc"; });

}  // namespace
}  // namespace shmring::adapters_test
