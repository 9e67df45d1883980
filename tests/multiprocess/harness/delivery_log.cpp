#include "harness/delivery_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>

namespace shmring::multiprocess {

namespace {

std::runtime_error failure(const char* call) { return std::runtime_error(std::string(call) + ": " + std::strerror(errno)); }

}  // namespace

DeliveryLog DeliveryLog::create(std::uint32_t consumers, std::uint64_t capacity) {
    // Close-on-exec: it reaches only the consumers, through ProcessGroup's passed descriptors.
    const int fd = ::memfd_create("shmring-delivery-log", MFD_CLOEXEC);
    if (fd < 0) throw failure("memfd_create");
    const auto size = static_cast<off_t>(consumers * (capacity + 1) * sizeof(std::uint64_t));
    // A fresh memfd reads as zeros: every count starts at 0. Pages are only backed once written.
    if (::ftruncate(fd, size) != 0) {
        ::close(fd);
        throw failure("ftruncate");
    }
    return DeliveryLog(fd, true, consumers, capacity);
}

DeliveryLog DeliveryLog::attach(int fd, std::uint32_t consumers, std::uint64_t capacity) {
    return DeliveryLog(fd, false, consumers, capacity);
}

DeliveryLog::DeliveryLog(int fd, bool owns_fd, std::uint32_t consumers, std::uint64_t capacity)
    : fd_(fd), owns_fd_(owns_fd), consumers_(consumers), capacity_(capacity),
      size_(consumers * (capacity + 1) * sizeof(std::uint64_t)) {
    void* base = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        if (owns_fd_) ::close(fd_);
        throw failure("mmap");
    }
    words_ = static_cast<std::uint64_t*>(base);
}

DeliveryLog::DeliveryLog(DeliveryLog&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), owns_fd_(std::exchange(other.owns_fd_, false)), consumers_(other.consumers_),
      capacity_(other.capacity_), words_(std::exchange(other.words_, nullptr)), size_(other.size_) {}

DeliveryLog::~DeliveryLog() {
    if (words_ != nullptr) ::munmap(words_, size_);
    if (owns_fd_) ::close(fd_);
}

bool DeliveryLog::append(std::uint32_t consumer, std::uint64_t tag) noexcept {
    if (consumer >= consumers_) return false;
    std::uint64_t* mine = part(consumer);
    if (mine[0] == capacity_) return false;
    mine[1 + mine[0]] = tag;
    ++mine[0];
    return true;
}

std::span<const std::uint64_t> DeliveryLog::entries(std::uint32_t consumer) const noexcept {
    if (consumer >= consumers_) return {};
    const std::uint64_t* mine = part(consumer);
    return {mine + 1, static_cast<std::size_t>(std::min(mine[0], capacity_))};
}

}  // namespace shmring::multiprocess
