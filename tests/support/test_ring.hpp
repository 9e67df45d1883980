// Test support: unique ring names and a guard that removes the ring when the test ends.
#pragma once

#include <atomic>
#include <span>
#include <string>
#include <unistd.h>

#include "shmring/segment.hpp"

namespace shmring::testing {

inline std::string unique_ring_name(const std::string& stem) {
    static std::atomic<int> counter{0};
    return "test." + stem + "." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
}

// Unlinks the ring when the test leaves its scope, pass or fail.
class RingName {
public:
    explicit RingName(const std::string& stem) : name_(unique_ring_name(stem)) {}
    ~RingName() { (void)Segment::unlink(name_); }
    RingName(const RingName&) = delete;
    RingName& operator=(const RingName&) = delete;
    const std::string& str() const { return name_; }
    operator std::string_view() const { return name_; }

private:
    std::string name_;
};

inline std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

}  // namespace shmring::testing
