// Test support for bridges: free loopback ports, bridge processes, and streams of records whose
// every byte says where it belongs (a sequence number and bytes derived from it), so that a
// reader can prove it got each record exactly once, in order, intact.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tool_process.hpp"

namespace shmring::testing {

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_port();
std::string loopback_endpoint(int port);

// `shmring bridge send|recv NAME ...` on loopback with --plain, plus `extra` arguments.
std::unique_ptr<Running> start_sender(const std::string& ring, int port, const std::vector<std::string>& extra = {"--plain"});
std::unique_ptr<Running> start_receiver(const std::string& ring, int port, const std::vector<std::string>& extra = {"--plain"});

// Removes the bridges' state objects of `ring` when the test ends.
class BridgeStateGuard {
public:
    explicit BridgeStateGuard(std::vector<std::string> rings) : rings_(std::move(rings)) {}
    ~BridgeStateGuard();

private:
    std::vector<std::string> rings_;
};

// Message `sequence` of a stream: `size` bytes (at least 8), the sequence number first.
void fill_message(std::uint64_t sequence, std::byte* data, std::size_t size);
// Whether `data` is exactly message `sequence`.
bool is_message(std::uint64_t sequence, const std::byte* data, std::size_t size);
// Byte `offset` of a byte stream.
std::byte stream_byte(std::uint64_t offset);

// A queue writer and reader on two threads: the writer sends messages 0, 1, 2, ... until stopped
// (or `limit`), the reader checks each one it receives against the next it expects.
class QueueTraffic {
public:
    QueueTraffic(const std::string& source, const std::string& destination, std::size_t message_size, std::uint64_t limit);
    ~QueueTraffic();
    void stop_writing();
    // Waits until the reader has everything the writer sent (true), or a failure or `timeout`.
    bool wait_delivered(std::chrono::seconds timeout);
    std::uint64_t sent() const { return sent_.load(); }
    std::uint64_t received() const { return received_.load(); }
    // Empty while every message checked out.
    std::string failure() const;

private:
    void write(const std::string& source);
    void read(const std::string& destination);

    std::size_t size_;
    std::uint64_t limit_;
    std::atomic<bool> stop_writing_{false};
    std::atomic<bool> stop_reading_{false};
    std::atomic<bool> writer_done_{false};
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> received_{0};
    std::atomic<bool> failed_{false};
    std::string failure_;  // written once, by the thread that sets failed_
    std::thread writer_;
    std::thread reader_;
};

}  // namespace shmring::testing
