#include "harness/message.hpp"

#include <cstring>

namespace shmring::bench {

namespace {

constexpr std::uint64_t kMix = 0xD6E8FEB86659FD93ULL;
constexpr std::uint64_t kStep = 0x9E3779B97F4A7C15ULL;

std::uint64_t word_at(const std::byte* p, std::size_t i) noexcept {
    std::uint64_t word;
    std::memcpy(&word, p + i * kMessageWord, sizeof word);
    return word;
}

// Index of the first word that breaks the pattern of `seq`, or 0 when all match (word 0, the
// sequence, is checked by the caller). The OR-reduction keeps the common path branch-free.
std::size_t first_bad_word(const std::byte* p, std::size_t words, std::uint64_t seq) noexcept {
    std::uint64_t expected = seq * kMix;
    std::uint64_t diff = 0;
    for (std::size_t i = 1; i < words; ++i) {
        expected += kStep;
        diff |= word_at(p, i) ^ expected;
    }
    if (diff == 0) return 0;
    expected = seq * kMix;
    for (std::size_t i = 1; i < words; ++i) {
        expected += kStep;
        if (word_at(p, i) != expected) return i;
    }
    return 0;
}

}  // namespace

void fill_message(std::span<std::byte> buffer, std::uint64_t seq) noexcept {
    std::byte* p = buffer.data();
    const std::size_t words = buffer.size() / kMessageWord;
    std::memcpy(p, &seq, sizeof seq);
    std::uint64_t word = seq * kMix;
    for (std::size_t i = 1; i < words; ++i) {
        word += kStep;
        std::memcpy(p + i * kMessageWord, &word, sizeof word);
    }
}

void SequenceChecker::check(std::span<const std::byte> message) {
    ++received_;
    if (message.size() != size_) {
        bad("message " + std::to_string(next_) + " is " + std::to_string(message.size()) + " bytes, expected " +
            std::to_string(size_));
        ++next_;
        return;
    }
    const std::uint64_t word = word_at(message.data(), 0);
    const std::uint64_t seq = word & ~kReplyBit;
    if ((word & kReplyBit) != flag_ || seq >= count_) {
        bad("message " + std::to_string(next_) + " carries sequence word " + std::to_string(word));
        ++next_;
        return;
    }
    if (seq < next_) {
        bad("message " + std::to_string(seq) + " arrived again (duplicate or reordered) after " + std::to_string(next_ - 1));
        return;
    }
    if (seq > next_) bad("messages " + std::to_string(next_) + ".." + std::to_string(seq - 1) + " lost");
    next_ = seq + 1;
    if (const std::size_t at = first_bad_word(message.data(), size_ / kMessageWord, word); at != 0)
        bad("message " + std::to_string(seq) + " corrupt at byte " + std::to_string(at * kMessageWord));
}

std::string SequenceChecker::verdict() const {
    if (bad_ == 0) return {};
    return std::to_string(bad_) + " bad message" + (bad_ == 1 ? "" : "s") + ", first: " + first_;
}

void SequenceChecker::bad(std::string why) {
    if (bad_++ == 0) first_ = std::move(why);
}

}  // namespace shmring::bench
