// The adapters with both ends in one process, on threads: what ThreadSanitizer can check, since it
// sees the synchronisation between threads but not between processes. Each test moves and
// verifies data as its multi-process counterpart does.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "support/byte_stream.hpp"
#include "support/engines.hpp"
#include "support/epoll.hpp"
#include "support/pipe_io.hpp"
#include "support/processes.hpp"
#include "support/test_ring.hpp"

namespace shmring::adapters_test {
namespace {

using namespace std::chrono_literals;
using layout::Engine;
using shmring::testing::RingName;

TEST(AdapterThreads, shouldDeliverPipeStreamInOrderBetweenThreads) {
    constexpr std::uint64_t kBytes = 1 << 20;
    RingName name("threads.pipe");
    ASSERT_TRUE(create_pipe(name, 4096));
    const ByteStream stream(0x7EAD);
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();
    auto writer = open_closable<PipeWriter>(name);
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
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();
    auto writer = open_closable<PipeWriter>(name);
    ASSERT_TRUE(writer);
    const auto fd = reader->poll_fd();
    ASSERT_TRUE(fd) << fd.error().message();
    Epoll epoll(*fd);
    ASSERT_TRUE(epoll.ok());

    constexpr int kRounds = 200;
    std::size_t written = 0;
    std::thread writing([&] {
        const auto byte = std::byte{'*'};
        for (int i = 0; i < kRounds; ++i) written += writer->write(std::span(&byte, 1), Blocking::yes, soon()).count;
        writer.reset();
    });
    // Each firing is followed by reading to EAGAIN; the count must reach every byte, then end of file.
    std::string received;
    bool end_of_file = false;
    while (!end_of_file && epoll.readable_within(5s)) end_of_file = read_until_eagain(*reader, received);
    writing.join();
    EXPECT_EQ(written, static_cast<std::size_t>(kRounds));
    EXPECT_EQ(received, std::string(kRounds, '*'));
    EXPECT_TRUE(end_of_file);
}

class AdapterThreadsQueue : public ::testing::TestWithParam<Engine> {};

TEST_P(AdapterThreadsQueue, shouldDeliverEveryMessageOnceAndInOrderPerSenderBetweenThreads) {
    // SPSC: one sender and one receiver. MPMC: two of each.
    const int ends = GetParam() == Engine::spsc ? 1 : 2;
    constexpr std::uint32_t kPerSender = 20000;
    RingName name("threads.queue");
    ASSERT_TRUE(create_queue(name, queue_config(GetParam(), 16, 2 * sizeof(std::uint32_t))));

    std::vector<QueueSender> senders;
    std::vector<QueueReceiver> receivers;
    for (int i = 0; i < ends; ++i) {
        auto sender = QueueSender::open(name);
        ASSERT_TRUE(sender) << sender.error().message();
        senders.push_back(std::move(*sender));
        auto receiver = QueueReceiver::open(name);
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
    // A lost message must fail the test, not keep the receivers looking for it until CTest's timeout.
    const Deadline give_up = soon();
    for (int r = 0; r < ends; ++r) {
        threads.emplace_back([&, r] {
            std::uint32_t message[2];
            std::size_t length = 0;
            while (remaining.load(std::memory_order_relaxed) > 0) {
                if (Clock::now() > give_up) {
                    failures[ends + r] = Status::timed_out;
                    return;
                }
                const Status status = receivers[r].receive(std::as_writable_bytes(std::span(message)), length, deadline_after(10ms));
                // Nothing this time: another receiver may have taken the last ones. A deadline that
                // passed before the call began (a preempted thread) only tries: EAGAIN.
                if (status == Status::timed_out || status == Status::again) continue;
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

INSTANTIATE_TEST_SUITE_P(Engines, AdapterThreadsQueue, ::testing::Values(Engine::spsc, Engine::mpmc), engine_name);

}  // namespace
}  // namespace shmring::adapters_test
