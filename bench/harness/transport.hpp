// The Transport interface: every competitor of shmring-bench sits behind it, so that each one
// runs the very same patterns, verification and timing.
//
// Life of one run: the parent process calls TransportSpec::create, which makes what both processes
// share (descriptors, segments, queues); it then forks, and each process calls Channel::open once to
// get its ChannelEnd. The harness moves messages only through ChannelEnd, in one of two shapes:
//   send:    begin_send (a buffer to fill, in place where the transport allows) -> fill -> end_send
//   receive: begin_receive (the message, in place where it allows) -> check -> end_receive
// A transport that copies uses a private scratch buffer; one that is zero-copy hands out its own
// memory. flush() ends a batch: a transport may hold messages back until then.
//
// To add a transport family: write transports/<family>.cpp defining
// `void register_<family>(shmring::bench::Registry&)` and add <family> to bench_transports in
// bench/CMakeLists.txt, which generates the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "shmring/error.hpp"
#include "shmring/wait.hpp"

namespace shmring::bench {

enum class Pattern { latency, throughput, bulk, paced };

// A run's mode is the wait strategy of both its ends; these are the names --mode and the reports use.
const char* to_string(WaitStrategy mode) noexcept;
const char* to_string(Pattern pattern) noexcept;

// What one run asks of a channel.
struct ChannelConfig {
    std::size_t message_size = 0;   // the largest message of the run
    std::size_t buffer_bytes = 0;   // shared-memory transports size their queues from this budget
    WaitStrategy mode = WaitStrategy::block;
    std::int64_t deadline_ns = 0;   // CLOCK_MONOTONIC time at which every wait gives up
    std::string unique_name;        // for named objects: unique per run and per bench process
};

enum class Side { parent, child };

// One process's end of a channel. Every method returns false on failure and then error() says why.
// Only one thread uses a channel end.
class ChannelEnd {
public:
    virtual ~ChannelEnd() = default;

    // A buffer of exactly `size` bytes to fill with the next message; waits for room.
    virtual bool begin_send(std::size_t size, std::span<std::byte>& buffer) = 0;
    // Sends the message filled in since begin_send.
    virtual bool end_send() = 0;
    // Makes every message sent so far visible to the peer.
    virtual bool flush() { return true; }
    // Waits for the next message. `size` is what the sender sent: a byte stream reads exactly that
    // much, a message transport returns what arrived (the harness checks the length).
    virtual bool begin_receive(std::size_t size, std::span<const std::byte>& message) = 0;
    // Gives the message back (a zero-copy transport reuses its space).
    virtual bool end_receive() { return true; }

    const std::string& error() const noexcept { return error_; }

protected:
    bool fail(std::string why);
    bool fail_errno(const char* call);          // "<call>: <strerror(errno)>"; EINTR from the watchdog reads "timed out"
    bool fail_status(const char* call, Status status);

private:
    std::string error_;
};

class Channel {
public:
    virtual ~Channel() = default;
    // Called once in each process after the fork.
    virtual Result<std::unique_ptr<ChannelEnd>> open(Side side) = 0;
};

struct TransportSpec {
    std::string name;
    std::string description;
    std::vector<WaitStrategy> modes;
    std::vector<Pattern> patterns;
    std::size_t max_message = 0;  // larger sizes are skipped, saying limit_reason
    std::string limit_reason;
    bool test_only = false;       // runs only when named with --transport (deliberately broken)
    std::function<Result<std::unique_ptr<Channel>>(const ChannelConfig&)> create;
};

class Registry {
public:
    void add(TransportSpec spec);
    const std::vector<TransportSpec>& all() const noexcept { return specs_; }
    const TransportSpec* find(std::string_view name) const noexcept;

private:
    std::vector<TransportSpec> specs_;
};

// Every transport family listed in bench/CMakeLists.txt, registered in that order.
Registry make_registry();

}  // namespace shmring::bench
