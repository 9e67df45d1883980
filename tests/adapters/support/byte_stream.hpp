// Deterministic byte streams for the pipe tests.
//
// ByteStream: byte i of the stream depends only on (seed, i), so a reader checks any range it
// receives against exactly what the writer must have sent, sharing nothing with it but the seed.
// StreamChecksum: an order-sensitive digest of a byte stream that does not depend on how the
// stream was cut into reads and writes, for volumes too large to check byte by byte cheaply.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "harness/message_stream.hpp"

namespace shmring::adapters_test {

class ByteStream {
public:
    explicit ByteStream(std::uint64_t seed) noexcept : key_(multiprocess::mix(seed)) {}

    // Writes the bytes at [position, position + out.size()).
    void fill(std::uint64_t position, std::span<std::byte> out) const noexcept {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = at(position + i);
    }

    // The offset in `data` of the first byte that differs from the stream at `position`, or
    // data.size() when every byte matches.
    std::size_t mismatch(std::uint64_t position, std::span<const std::byte> data) const noexcept {
        for (std::size_t i = 0; i < data.size(); ++i)
            if (data[i] != at(position + i)) return i;
        return data.size();
    }

    std::byte at(std::uint64_t position) const noexcept {
        const std::uint64_t word = multiprocess::mix(key_ + (position >> 3));
        return static_cast<std::byte>(word >> (8 * (position & 7)));
    }

private:
    std::uint64_t key_;
};

class StreamChecksum {
public:
    void add(std::span<const std::byte> data) noexcept {
        std::size_t offset = 0;
        // Complete a word left unfinished by the previous call, so the cut does not matter.
        while (filled_ != 0 && offset < data.size()) take_byte(data[offset++]);
        for (; offset + 8 <= data.size(); offset += 8) {
            std::uint64_t word;
            std::memcpy(&word, data.data() + offset, 8);
            fold(word);
        }
        while (offset < data.size()) take_byte(data[offset++]);
        bytes_ += data.size();
    }

    // Folds in the unfinished word and the length: a stream and its prefix never agree.
    std::uint64_t value() const noexcept {
        std::uint64_t state = state_;
        if (filled_ != 0) state = step(state, partial_);
        return multiprocess::mix(step(state, bytes_));
    }
    std::uint64_t bytes() const noexcept { return bytes_; }

private:
    static std::uint64_t step(std::uint64_t state, std::uint64_t word) noexcept {
        return std::rotl(state ^ word, 23) * 0x9FB21C651E98DF25ULL;
    }
    void fold(std::uint64_t word) noexcept { state_ = step(state_, word); }
    void take_byte(std::byte b) noexcept {
        partial_ |= std::to_integer<std::uint64_t>(b) << (8 * filled_);
        if (++filled_ == 8) {
            fold(partial_);
            partial_ = 0;
            filled_ = 0;
        }
    }

    std::uint64_t state_ = 0x6A09E667F3BCC908ULL;
    std::uint64_t partial_ = 0;
    unsigned filled_ = 0;
    std::uint64_t bytes_ = 0;
};

}  // namespace shmring::adapters_test
