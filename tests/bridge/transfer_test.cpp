// Volume through two bridges on loopback: a million queue messages and a gibibyte of pipe data,
// every record checked.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <optional>
#include <span>

#include "bridge_fixture.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "support/test_ring.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;

TEST(BridgeTransfer, shouldCarryAMillionQueueMessagesInOrderExactlyOnce) {
    RingName source("bridge.queue.src");
    RingName destination("bridge.queue.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "4096", "--message-size", "64"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);

    QueueTraffic traffic(source.str(), destination.str(), 64, 1'000'000);
    EXPECT_TRUE(traffic.wait_delivered(120s)) << traffic.failure() << " (sent " << traffic.sent() << ", received " << traffic.received() << ")";
    EXPECT_EQ(traffic.received(), 1'000'000U);

    const Finished status = run_tool({"bridge", "status", source.str(), "--json"});
    EXPECT_EQ(status.code, 0) << status.err;
    EXPECT_NE(status.out.find("\"messages\": 1000000"), std::string::npos) << status.out;
}

TEST(BridgeTransfer, shouldCarryAGibibyteOfPipeData) {
    RingName source("bridge.pipe.src");
    RingName destination("bridge.pipe.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "pipe", source.str(), "--capacity", "1M"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);

    constexpr std::uint64_t kTotal = 1ULL << 30;
    std::atomic<bool> stop{false};
    std::string write_error;
    std::thread writer([&] {
        auto pipe = PipeWriter::open(source.str());
        if (!pipe) {
            write_error = pipe.error().message();
            return;
        }
        std::vector<std::byte> chunk(64 * 1024);
        for (std::uint64_t offset = 0; offset < kTotal && !stop;) {  // a partial write: the next chunk starts where it stopped
            for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = stream_byte(offset + i);
            const IoResult written = pipe->write(chunk, Blocking::yes, deadline_after(500ms));
            offset += written.count;
            if (written.status != Status::ok && written.status != Status::timed_out) {
                write_error = describe(written.status);
                return;
            }
        }
    });

    std::optional<PipeReader> reader;
    ASSERT_TRUE(eventually([&] {
        auto opened = PipeReader::open(destination.str());
        if (opened) reader.emplace(std::move(*opened));
        return reader.has_value();
    }));
    std::vector<std::byte> buffer(256 * 1024);
    std::uint64_t offset = 0;
    std::uint64_t mismatch = kTotal;
    const auto deadline = std::chrono::steady_clock::now() + 150s;
    while (offset < kTotal && mismatch == kTotal && std::chrono::steady_clock::now() < deadline) {
        const IoResult got = reader->read(buffer, Blocking::yes, deadline_after(500ms));
        for (std::size_t i = 0; i < got.count; ++i)
            if (buffer[i] != stream_byte(offset + i)) {
                mismatch = offset + i;
                break;
            }
        offset += got.count;
    }
    stop = true;
    writer.join();
    EXPECT_EQ(write_error, "");
    EXPECT_EQ(mismatch, kTotal) << "first wrong byte";
    EXPECT_EQ(offset, kTotal);
}

// A queue on the SPSC engine here continues as an MPMC queue there (one producer, many workers).
TEST(BridgeTransfer, shouldCarryAQueueIntoAnMpmcQueue) {
    RingName source("bridge.mpmc.src");
    RingName destination("bridge.mpmc.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "1024", "--message-size", "64"}).code, 0);
    ASSERT_EQ(run_tool({"create", "queue", destination.str(), "--messages", "1024", "--message-size", "64", "--engine", "mpmc"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);

    QueueTraffic traffic(source.str(), destination.str(), 64, 100'000);
    EXPECT_TRUE(traffic.wait_delivered(60s)) << traffic.failure() << " (sent " << traffic.sent() << ", received " << traffic.received() << ")";
    EXPECT_EQ(traffic.received(), 100'000U);
}

// An MPMC queue with many producers is sent by the bridge as its only consumer: every message
// arrives once, each producer's in its order, and the voids of aborted claims and of a producer
// that died holding one are skipped.
TEST(BridgeTransfer, shouldCarryAnMpmcQueueOfManyProducers) {
    RingName source("bridge.many.src");
    RingName destination("bridge.many.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "512", "--message-size", "64", "--engine", "mpmc"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);

    constexpr std::uint64_t kProducers = 4;
    constexpr std::uint64_t kEach = 50'000;
    const auto tag = [](std::uint64_t producer, std::uint64_t sequence) { return producer << 40 | sequence; };
    {
        const pid_t child = ::fork();  // claims a slot and dies before publishing: a void for the bridge
        if (child == 0) {
            auto doomed = MpmcProducer::attach(source.str());
            if (doomed && doomed->try_claim().status == Status::ok) ::raise(SIGKILL);
            ::_exit(1);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(status)) << "the child failed before dying";
    }
    std::optional<QueueReceiver> reader;  // the receiver creates the far queue at the sender's HELLO
    ASSERT_TRUE(eventually(
        [&] {
            if (auto opened = QueueReceiver::open(destination.str())) reader.emplace(std::move(*opened));
            return reader.has_value();
        },
        20s));
    std::vector<std::thread> producers;
    std::atomic<int> failures{0};
    for (std::uint64_t p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            auto producer = MpmcProducer::attach(source.str());
            if (!producer) {
                ++failures;
                return;
            }
            for (std::uint64_t i = 0; i < kEach; ++i) {
                if (p == 0 && i % 100 == 0) {  // an aborted claim now and then
                    if (producer->claim(0, deadline_after(std::chrono::seconds(30))).status != Status::ok) ++failures;
                    producer->abort();
                }
                std::byte message[64];
                fill_message(tag(p, i), message, sizeof message);
                if (producer->send(message, deadline_after(std::chrono::seconds(30))) != Status::ok) {
                    ++failures;
                    return;
                }
            }
        });
    }
    std::vector<std::uint64_t> next(kProducers, 0);
    std::uint64_t received = 0;
    std::string failure;
    std::byte buffer[64];
    for (; received < kProducers * kEach && failure.empty(); ++received) {
        std::size_t length = 0;
        if (reader->receive(buffer, length, std::chrono::seconds(30)) != Status::ok) {
            failure = "no message " + std::to_string(received);
            break;
        }
        std::uint64_t tagged = 0;
        std::memcpy(&tagged, buffer, sizeof tagged);
        const std::uint64_t p = tagged >> 40;
        if (p >= kProducers || length != sizeof buffer || !is_message(tagged, buffer, length) || (tagged & ((std::uint64_t{1} << 40) - 1)) != next[p])
            failure = "message " + std::to_string(received) + " is not the next of its producer";
        else
            ++next[p];
    }
    for (auto& t : producers) t.join();
    EXPECT_TRUE(failure.empty()) << failure;
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(received, kProducers * kEach);
    std::size_t length = 0;
    EXPECT_EQ(reader->try_receive(buffer, length), Status::again) << "nothing more, nothing twice";
}

// Voids with no message after them, more than the ring has slots: each is sent as a position and
// confirmed, so the producers never wait behind them, and the message after them arrives.
TEST(BridgeTransfer, shouldConfirmVoidsOfAnMpmcQueueWithNoMessageAfterThem) {
    RingName source("bridge.voids.src");
    RingName destination("bridge.voids.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "8", "--message-size", "64", "--engine", "mpmc"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);
    auto producer = MpmcProducer::attach(source.str());
    ASSERT_TRUE(producer);
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(producer->claim(0, deadline_after(std::chrono::seconds(10))).status, Status::ok) << "void " << i;
        producer->abort();
    }
    ASSERT_TRUE(eventually(
        [&] {
            const Finished status = run_tool({"bridge", "status", source.str(), "--json"});
            return status.out.find("\"acknowledged\": 20") != std::string::npos;
        },
        20s))
        << run_tool({"bridge", "status", source.str(), "--json"}).out;
    std::byte message[64];
    fill_message(7, message, sizeof message);
    ASSERT_EQ(producer->send(message, deadline_after(std::chrono::seconds(10))), Status::ok);
    std::optional<QueueReceiver> reader;
    ASSERT_TRUE(eventually(
        [&] {
            if (auto opened = QueueReceiver::open(destination.str())) reader.emplace(std::move(*opened));
            return reader.has_value();
        },
        20s));
    std::byte buffer[64];
    std::size_t length = 0;
    ASSERT_EQ(reader->receive(buffer, length, std::chrono::seconds(10)), Status::ok);
    EXPECT_TRUE(is_message(7, buffer, length));
    EXPECT_EQ(reader->try_receive(buffer, length), Status::again) << "a void delivers nothing";
    EXPECT_TRUE(eventually([&] { return run_tool({"bridge", "status", source.str(), "--json"}).out.find("\"messages\": 1,") != std::string::npos; }, 10s))
        << "voids are not messages: " << run_tool({"bridge", "status", source.str(), "--json"}).out;
}

// A bridge is an MPMC queue's only consumer: beside another, it does not start.
TEST(BridgeTransfer, shouldRefuseToSendAnMpmcQueueWithAnotherConsumer) {
    RingName source("bridge.shared.src");
    BridgeStateGuard states({source.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "16", "--message-size", "64", "--engine", "mpmc"}).code, 0);
    auto consumer = MpmcConsumer::attach(source.str());
    ASSERT_TRUE(consumer);
    auto sender = start_sender(source.str(), free_port());
    const Finished ended = sender->wait(10s);
    EXPECT_TRUE(ended.exited);
    EXPECT_NE(ended.code, 0);
    EXPECT_NE(ended.err.find("must be the ring's only one"), std::string::npos) << ended.err;
}

// A far queue nobody reads fills; then the near queue fills and its writer waits. What the
// bridges hold meanwhile is what the two rings hold: nothing piles up in between.
TEST(BridgeTransfer, shouldFillTheNearRingAndMakeItsWriterWaitWhileTheFarRingIsFull) {
    RingName source("bridge.full.src");
    RingName destination("bridge.full.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "256", "--message-size", "64"}).code, 0);
    ASSERT_EQ(run_tool({"create", "queue", destination.str(), "--messages", "256", "--message-size", "64"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);

    auto writer = QueueSender::open(source.str());
    ASSERT_TRUE(writer);
    std::vector<std::byte> message(64);
    std::uint64_t sent = 0;
    for (; sent < 10'000; ++sent) {
        fill_message(sent, message.data(), message.size());
        if (writer->send(message, std::chrono::milliseconds(1500)) != Status::ok) break;
    }
    EXPECT_GE(sent, 256U + 256U) << "both rings fill";
    EXPECT_LE(sent, 256U + 256U + 1U) << "and nothing more is taken from the writer";
    const Finished status = run_tool({"bridge", "status", source.str(), "--json"});
    EXPECT_NE(status.out.find("\"connected\": true"), std::string::npos) << "a receiver waiting for room is no lost receiver: " << status.out;

    // A reader drains the far queue: everything arrives, once, in order, and the writer goes on.
    auto reader = QueueReceiver::open(destination.str());
    ASSERT_TRUE(reader);
    std::vector<std::byte> buffer(64);
    for (std::uint64_t expected = 0; expected < sent; ++expected) {
        std::size_t length = 0;
        ASSERT_EQ(reader->receive(buffer, length, std::chrono::seconds(10)), Status::ok) << "message " << expected;
        ASSERT_TRUE(is_message(expected, buffer.data(), length)) << "message " << expected;
    }
    fill_message(sent, message.data(), message.size());
    EXPECT_EQ(writer->send(message, std::chrono::seconds(10)), Status::ok);
}

TEST(BridgeTransfer, shouldRefuseAFarRingOfAnotherKind) {
    RingName source("bridge.kind.src");
    RingName destination("bridge.kind.dst");
    BridgeStateGuard states({source.str(), destination.str()});
    ASSERT_EQ(run_tool({"create", "queue", source.str(), "--messages", "16", "--message-size", "64"}).code, 0);
    ASSERT_EQ(run_tool({"create", "pipe", destination.str(), "--capacity", "4K"}).code, 0);
    const int port = free_port();
    auto receiver = start_receiver(destination.str(), port);
    auto sender = start_sender(source.str(), port);
    const Finished ended = sender->wait(10s);
    EXPECT_TRUE(ended.exited);
    EXPECT_EQ(ended.code, 1);
    EXPECT_NE(ended.err.find("the receiver refused: the far ring is of another kind"), std::string::npos) << ended.err;
}

}  // namespace
}  // namespace shmring::testing
