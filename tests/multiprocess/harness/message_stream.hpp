// Deterministic message contents. Every process regenerates the same sizes and bytes from (seed,
// stream, sequence), so a consumer checks each message against exactly what its producer must have
// sent, with nothing shared between them but three numbers.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shmring::multiprocess {

// splitmix64's finaliser: a bijection, so different inputs never map to the same word.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// The messages of one stream (one producer): message `sequence` has size_of(sequence) bytes, from
// 0 to max_size inclusive, and contents that depend on the seed, the stream and the sequence, so a
// message delivered twice, out of order or from the wrong stream does not match.
class MessageStream {
public:
    MessageStream(std::uint64_t seed, std::uint64_t stream, std::size_t max_size) noexcept
        : key_(mix(seed ^ mix(stream))), max_size_(max_size) {}

    std::size_t max_size() const noexcept { return max_size_; }

    std::size_t size_of(std::uint64_t sequence) const noexcept {
        return static_cast<std::size_t>(message_key(sequence) % (max_size_ + 1));
    }

    // Writes message `sequence` into `out`, which holds exactly size_of(sequence) bytes.
    void fill(std::uint64_t sequence, std::span<std::byte> out) const noexcept {
        const std::uint64_t key = message_key(sequence);
        for (std::size_t offset = 0; offset < out.size(); offset += 8) {
            const std::uint64_t word = mix(key + offset);
            std::memcpy(out.data() + offset, &word, chunk(out.size(), offset));
        }
    }

    bool matches(std::uint64_t sequence, std::span<const std::byte> data) const noexcept {
        if (data.size() != size_of(sequence)) return false;
        const std::uint64_t key = message_key(sequence);
        for (std::size_t offset = 0; offset < data.size(); offset += 8) {
            const std::uint64_t word = mix(key + offset);
            if (std::memcmp(data.data() + offset, &word, chunk(data.size(), offset)) != 0) return false;
        }
        return true;
    }

private:
    std::uint64_t message_key(std::uint64_t sequence) const noexcept { return mix(key_ ^ sequence); }
    static std::size_t chunk(std::size_t size, std::size_t offset) noexcept { return size - offset < 8 ? size - offset : 8; }

    std::uint64_t key_;
    std::size_t max_size_;
};

// An order-sensitive digest of (sequence, bytes) pairs. The producer folds in what it sent, the
// consumer what it read out of the ring; equal digests and counts mean the same messages arrived
// in the same order. Each step is a bijection of the running value, so any single changed word
// changes the result.
class Digest {
public:
    void add(std::uint64_t sequence, std::span<const std::byte> data) noexcept {
        fold(sequence);
        fold(data.size());
        std::size_t offset = 0;
        for (; offset + 8 <= data.size(); offset += 8) {
            std::uint64_t word;
            std::memcpy(&word, data.data() + offset, 8);
            fold(word);
        }
        if (offset < data.size()) {
            std::uint64_t word = 0;
            std::memcpy(&word, data.data() + offset, data.size() - offset);
            fold(word);
        }
    }

    std::uint64_t value() const noexcept { return mix(state_); }

private:
    void fold(std::uint64_t word) noexcept { state_ = std::rotl(state_ ^ word, 23) * 0x9FB21C651E98DF25ULL; }

    std::uint64_t state_ = 0x6A09E667F3BCC908ULL;
};

}  // namespace shmring::multiprocess
