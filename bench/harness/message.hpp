// The message format every transport carries, and its verification.
//
// A message is a whole number of 64-bit words (at least one). Word 0 is the sequence number (with
// kReplyBit set on a ping-pong reply); word i is the pattern seq * kMix + i * kStep, so that any
// corrupted, truncated, lost, duplicated or reordered message is recognised by the receiver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace shmring::bench {

inline constexpr std::uint64_t kReplyBit = std::uint64_t{1} << 63;
inline constexpr std::size_t kMessageWord = 8;

// Writes message `seq` into `buffer` (its size a multiple of kMessageWord).
void fill_message(std::span<std::byte> buffer, std::uint64_t seq) noexcept;

// Checks a stream of messages that should arrive numbered 0, 1, ..., count - 1, each `size`
// bytes, each with `flag` in its sequence word. Counts every bad message and keeps the first reason.
class SequenceChecker {
public:
    SequenceChecker(std::uint64_t count, std::size_t size, std::uint64_t flag) noexcept
        : count_(count), size_(size), flag_(flag) {}

    void check(std::span<const std::byte> message);

    // Every message arrived, or the last one did (so the rest are lost and nothing more will come).
    bool done() const noexcept { return received_ >= count_ || next_ >= count_; }
    std::uint64_t received() const noexcept { return received_; }
    bool ok() const noexcept { return bad_ == 0; }
    // "" when ok; else "<n> bad messages, first: <reason>".
    std::string verdict() const;

private:
    void bad(std::string why);

    std::uint64_t count_;
    std::size_t size_;
    std::uint64_t flag_;
    std::uint64_t next_ = 0;
    std::uint64_t received_ = 0;
    std::uint64_t bad_ = 0;
    std::string first_;
};

}  // namespace shmring::bench
