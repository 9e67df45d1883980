// DeliveryLog: where each consumer of a multi-process test writes down, in the order it took them,
// a tag for every message it received, so that the parent can check exactly-once delivery and
// per-producer order once the consumers have exited. It lives in a memfd handed to the consumers,
// apart from the ring: the test's record must not share a fate with the thing under test.
//
// Plain memory, no atomics: each consumer writes only its own part, and the parent reads a part
// only after waitpid has reported that consumer's exit, which orders everything it wrote before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace shmring::multiprocess {

class DeliveryLog {
public:
    // Parent: a log for `consumers` consumers of up to `capacity` entries each. Throws on failure.
    static DeliveryLog create(std::uint32_t consumers, std::uint64_t capacity);
    // Consumer: maps the log the parent passed on as `fd`, with the same geometry.
    static DeliveryLog attach(int fd, std::uint32_t consumers, std::uint64_t capacity);

    DeliveryLog(DeliveryLog&& other) noexcept;
    DeliveryLog& operator=(DeliveryLog&&) = delete;
    DeliveryLog(const DeliveryLog&) = delete;
    DeliveryLog& operator=(const DeliveryLog&) = delete;
    ~DeliveryLog();

    int fd() const noexcept { return fd_; }
    std::uint64_t capacity() const noexcept { return capacity_; }

    // Consumer: records one delivery; false when this consumer's part is full.
    [[nodiscard]] bool append(std::uint32_t consumer, std::uint64_t tag) noexcept;
    // Parent, after the consumer exited: its deliveries in order.
    std::span<const std::uint64_t> entries(std::uint32_t consumer) const noexcept;

private:
    DeliveryLog(int fd, bool owns_fd, std::uint32_t consumers, std::uint64_t capacity);
    // A consumer's part: its entry count, then its entries.
    std::uint64_t* part(std::uint32_t consumer) const noexcept { return words_ + consumer * (capacity_ + 1); }

    int fd_;
    bool owns_fd_;
    std::uint32_t consumers_;
    std::uint64_t capacity_;
    std::uint64_t* words_ = nullptr;
    std::size_t size_;
};

}  // namespace shmring::multiprocess
