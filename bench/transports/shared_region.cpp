#include "transports/shared_region.hpp"

#include <cerrno>
#include <sys/mman.h>
#include <utility>

namespace shmring::bench {

Result<SharedRegion> SharedRegion::create(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) return system_error("mmap(" + std::to_string(bytes) + " shared bytes)", errno);
    return SharedRegion(static_cast<std::byte*>(p), bytes);
}

SlotGeometry slot_geometry(std::size_t header, const ChannelConfig& config) noexcept {
    constexpr std::size_t kLine = 64;
    SlotGeometry geometry{(header + config.message_size + kLine - 1) / kLine * kLine, 2};
    while (geometry.slots * 2 * geometry.stride <= config.buffer_bytes) geometry.slots *= 2;
    return geometry;
}

SharedRegion::SharedRegion(SharedRegion&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SharedRegion& SharedRegion::operator=(SharedRegion&& other) noexcept {
    if (this != &other) {
        if (data_ != nullptr) ::munmap(data_, size_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

SharedRegion::~SharedRegion() {
    if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace shmring::bench
