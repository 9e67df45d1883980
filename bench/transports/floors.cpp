// The raw floors: the least that a ping-pong between two processes can cost.
//
// line-floor: one shared 64-byte cache line carries every message, both ways, and both sides spin
// on it. The message's first word (its sequence number) is the flag: in a ping-pong each message
// differs from the one before it, so "the first word changed" means "a new message". Messages are
// at most one line.
//
// futex-floor: a process-shared futex word (FUTEX_WAIT / FUTEX_WAKE without the private flag) that
// counts messages; the payload lies in place beside it. The waiter sleeps at once and the sender
// always wakes: the bare cost of a cross-process sleep and wake-up.
//
// Both rely on strict alternation (a side writes only after reading the peer's reply), which only
// the latency pattern gives them.
#include <cerrno>
#include <optional>
#include <cstring>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/sizes.hpp"
#include "harness/watchdog.hpp"
#include "shmring/shared_atomic.hpp"
#include "transports/make_channel.hpp"
#include "transports/shared_region.hpp"
#include "transports/spin.hpp"

namespace shmring::bench {

namespace {

inline constexpr std::size_t kLine = 64;
inline constexpr std::uint64_t kUntouched = ~std::uint64_t{0};  // the line before any message: no message starts so

struct alignas(kLine) Line {
    SharedAtomic<std::uint64_t> first;  // the message's first word, and the flag
    std::byte rest[kLine - 8];
};
static_assert(sizeof(Line) == kLine, "the line floor uses exactly one cache line");

class LineChannelEnd : public ChannelEnd {
public:
    explicit LineChannelEnd(Line& line) : line_(line) {}

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        pending_ = buffer = {scratch_, size};
        return true;
    }
    bool end_send() override {
        std::uint64_t first;
        std::memcpy(&first, scratch_, sizeof first);
        std::memcpy(line_.rest, scratch_ + 8, pending_.size() - 8);
        // Release, pairs with the acquire in begin_receive: the rest of the line is written.
        line_.first.store(first, std::memory_order_release);
        last_ = first;
        return true;
    }
    bool begin_receive(std::size_t size, std::span<const std::byte>& message) override {
        std::uint64_t first = 0;
        // Acquire, pairs with the release in end_send: the rest of the line is the peer's message.
        if (!spin_until([&] { return (first = line_.first.load(std::memory_order_acquire)) != last_; }))
            return fail("timed out");
        last_ = first;
        std::memcpy(scratch_, &first, sizeof first);
        std::memcpy(scratch_ + 8, line_.rest, size - 8);
        message = {scratch_, size};
        return true;
    }

private:
    Line& line_;
    std::uint64_t last_ = kUntouched;
    alignas(kLine) std::byte scratch_[kLine];
    std::span<std::byte> pending_;
};

class LineChannel : public Channel {
public:
    explicit LineChannel(const ChannelConfig&) {}
    Outcome make() {
        auto region = SharedRegion::create(4096);
        if (!region) return region.error();
        region_ = std::move(*region);
        // Relaxed: the fork that follows hands the line to both processes.
        line().first.store(kUntouched, std::memory_order_relaxed);
        return Ok{};
    }
    Result<std::unique_ptr<ChannelEnd>> open(Side) override { return std::unique_ptr<ChannelEnd>(new LineChannelEnd(line())); }

private:
    Line& line() const noexcept { return *reinterpret_cast<Line*>(region_->data()); }
    std::optional<SharedRegion> region_;
};

// The futex word on its own 128-byte block; the payload follows.
inline constexpr std::size_t kPayloadOffset = 128;

long futex(SharedAtomic<std::uint32_t>& word, int op, std::uint32_t value) {
    return ::syscall(SYS_futex, word.address(), op, value, nullptr, nullptr, 0);
}

class FutexChannelEnd : public ChannelEnd {
public:
    explicit FutexChannelEnd(std::byte* base) : word_(*reinterpret_cast<SharedAtomic<std::uint32_t>*>(base)), payload_(base + kPayloadOffset) {}

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        buffer = {payload_, size};
        return true;
    }
    bool end_send() override {
        // Release, pairs with the acquire in begin_receive: the payload is written.
        word_.store(++seen_, std::memory_order_release);
        if (futex(word_, FUTEX_WAKE, 1) < 0) return fail_errno("FUTEX_WAKE");
        return true;
    }
    bool begin_receive(std::size_t size, std::span<const std::byte>& message) override {
        for (;;) {
            // Acquire, pairs with the release in end_send: the payload is the peer's message.
            const std::uint32_t now = word_.load(std::memory_order_acquire);
            if (now != seen_) {
                seen_ = now;
                break;
            }
            if (futex(word_, FUTEX_WAIT, seen_) < 0 && errno != EAGAIN && !retry_interrupted()) return fail_errno("FUTEX_WAIT");
        }
        message = {payload_, size};
        return true;
    }

private:
    SharedAtomic<std::uint32_t>& word_;
    std::byte* payload_;
    std::uint32_t seen_ = 0;  // the word's value after the last message either way
};

class FutexChannel : public Channel {
public:
    explicit FutexChannel(const ChannelConfig&) {}
    Outcome make() {
        auto region = SharedRegion::create(kPayloadOffset + kLargestMessage);
        if (!region) return region.error();
        region_ = std::move(*region);
        return Ok{};
    }
    Result<std::unique_ptr<ChannelEnd>> open(Side) override { return std::unique_ptr<ChannelEnd>(new FutexChannelEnd(region_->data())); }

private:
    std::optional<SharedRegion> region_;
};

}  // namespace

void register_floors(Registry& registry) {
    registry.add({.name = "line-floor",
                  .description = "raw floor: ping-pong on one shared cache line, spinning",
                  .modes = {WaitStrategy::spin},
                  .patterns = {Pattern::latency},
                  .max_message = kLine,
                  .limit_reason = "above one 64-byte cache line",
                  .test_only = false,
                  .create = make_channel<LineChannel>});
    registry.add({.name = "futex-floor",
                  .description = "raw floor: ping-pong through a process-shared futex",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<FutexChannel>});
}

}  // namespace shmring::bench
