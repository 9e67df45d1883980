// The raw floors: the least that a ping-pong between two processes can cost.
//
// line-floor: one shared 64-byte cache line carries every message, both ways, and both sides spin
// on it. The message's first word (its sequence number) is the flag: in a ping-pong each message
// differs from the one before it, so "the first word changed" means "a new message". Messages are
// at most one line.
//
// futex-floor: a process-shared futex word (FUTEX_WAIT / FUTEX_WAKE without the private flag) that
// counts messages; message n lies in place in slot n % kSlots beside it. The waiter sleeps at once
// and the sender always wakes: the bare cost of a cross-process sleep and wake-up, per message of
// a ping-pong (latency) or of a paced stream (paced, where it is the floor of CPU per message).
//
// The line floor relies on strict alternation (a side writes only after reading the peer's reply),
// which only the latency pattern gives. The futex floor's slots let a paced sender run ahead of
// its receiver by up to kSlots messages; further, it fails the run rather than overwrite one.
#include <algorithm>
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

// The futex word and the receivers' count, each on its own 128-byte block; the slots follow.
inline constexpr std::size_t kConsumedOffset = 128;
inline constexpr std::size_t kSlotsOffset = 256;
inline constexpr std::uint32_t kSlots = 16;

long futex(SharedAtomic<std::uint32_t>& word, int op, std::uint32_t value) {
    return ::syscall(SYS_futex, word.address(), op, value, nullptr, nullptr, 0);
}

class FutexChannelEnd : public ChannelEnd {
public:
    FutexChannelEnd(std::byte* base, std::size_t slot_size)
        : word_(*reinterpret_cast<SharedAtomic<std::uint32_t>*>(base)),
          consumed_(*reinterpret_cast<SharedAtomic<std::uint32_t>*>(base + kConsumedOffset)),
          slots_(base + kSlotsOffset),
          slot_size_(slot_size) {}

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        // Acquire, pairs with the release in begin_receive: the receiver is done with the slot.
        if (seen_ + 1 - consumed_.load(std::memory_order_acquire) > kSlots) return fail("the sender overran the receiver's slots");
        buffer = {slot(seen_ + 1), size};
        return true;
    }
    bool end_send() override {
        // Release, pairs with the acquire in begin_receive: the slot is written.
        word_.store(++seen_, std::memory_order_release);
        if (futex(word_, FUTEX_WAKE, 1) < 0) return fail_errno("FUTEX_WAKE");
        return true;
    }
    bool begin_receive(std::size_t size, std::span<const std::byte>& message) override {
        // Acquire, pairs with the release in end_send: the slot holds the peer's message.
        while (word_.load(std::memory_order_acquire) == seen_) {
            if (futex(word_, FUTEX_WAIT, seen_) < 0 && errno != EAGAIN && !retry_interrupted()) return fail_errno("FUTEX_WAIT");
        }
        ++seen_;  // one message at a time, even when the sender is ahead
        message = {slot(seen_), size};
        return true;
    }
    bool end_receive() override {
        // Release, pairs with the acquire in begin_send: done reading the slot.
        consumed_.store(seen_, std::memory_order_release);
        return true;
    }

private:
    std::byte* slot(std::uint32_t message) const noexcept { return slots_ + (message % kSlots) * slot_size_; }

    SharedAtomic<std::uint32_t>& word_;
    SharedAtomic<std::uint32_t>& consumed_;
    std::byte* slots_;
    std::size_t slot_size_;
    std::uint32_t seen_ = 0;  // messages this end has sent or received, either way (the word's count)
};

class FutexChannel : public Channel {
public:
    explicit FutexChannel(const ChannelConfig& config) : slot_size_(std::max<std::size_t>(config.message_size, 1)) {}
    Outcome make() {
        auto region = SharedRegion::create(kSlotsOffset + kSlots * slot_size_);
        if (!region) return region.error();
        region_ = std::move(*region);
        return Ok{};
    }
    Result<std::unique_ptr<ChannelEnd>> open(Side) override {
        return std::unique_ptr<ChannelEnd>(new FutexChannelEnd(region_->data(), slot_size_));
    }

private:
    std::size_t slot_size_;
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
                  .description = "raw floor: a process-shared futex sleep and wake per message",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::paced},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<FutexChannel>});
}

}  // namespace shmring::bench
