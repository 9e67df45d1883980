// Anonymous shared memory mapped before the fork, so both processes see the same zero-filled
// pages at the same address. For the hand-made transports (floors, naive ring, eventfd ring); the
// shmring transports use named shmring segments as any user would.
#pragma once

#include <cstddef>

#include "harness/transport.hpp"
#include "shmring/error.hpp"

namespace shmring::bench {

class SharedRegion {
public:
    static Result<SharedRegion> create(std::size_t bytes);

    SharedRegion(SharedRegion&& other) noexcept;
    SharedRegion& operator=(SharedRegion&& other) noexcept;
    ~SharedRegion();

    std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    SharedRegion(std::byte* data, std::size_t size) noexcept : data_(data), size_(size) {}

    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

// Slots for one direction of a hand-made ring: each a `header` and the run's largest message,
// rounded up to whole cache lines; as many as the run's buffer budget holds, a power of two, at least 2.
struct SlotGeometry {
    std::size_t stride;
    std::size_t slots;
};

SlotGeometry slot_geometry(std::size_t header, const ChannelConfig& config) noexcept;

}  // namespace shmring::bench
