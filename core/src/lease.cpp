#include "shmring/detail/lease.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <mutex>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "shmring/layout.hpp"

namespace shmring::detail {

namespace {

struct flock entry_range(std::uint32_t index, short type) noexcept {
    struct flock range {};
    range.l_type = type;
    range.l_whence = SEEK_SET;
    range.l_start = static_cast<off_t>(layout::kRegistryOffset + std::size_t{index} * sizeof(layout::EndpointEntry));
    range.l_len = sizeof(layout::EndpointEntry);
    return range;
}

// The lease descriptors this process holds, closed in a fork child (lease.hpp). The mutex is held
// across fork (prepare/parent/child handlers), so the child's copy of the list is consistent.
std::mutex fork_mutex;
std::vector<int>& lease_fds() {
    static auto* fds = new std::vector<int>;  // never destroyed: leases may outlive static destruction
    return *fds;
}

// Forks this process went through as the child (close_leases_in_child): see fork_generation().
std::atomic<std::uint32_t> forks_as_child{0};

void close_leases_in_child() {
    // Relaxed: the child has one thread here; later loads on it see it in program order.
    forks_as_child.fetch_add(1, std::memory_order_relaxed);
    for (const int fd : lease_fds()) ::close(fd);
    lease_fds().clear();
    fork_mutex.unlock();
}

}  // namespace

std::uint32_t fork_generation() noexcept { return forks_as_child.load(std::memory_order_relaxed); }

namespace {

void register_lease_fd(int fd) {
    static std::once_flag installed;
    std::call_once(installed, [] { ::pthread_atfork([] { fork_mutex.lock(); }, [] { fork_mutex.unlock(); }, close_leases_in_child); });
    const std::lock_guard lock(fork_mutex);
    lease_fds().push_back(fd);
}

// False in a fork child, whose copy was closed and whose number may name another file by now.
bool unregister_lease_fd(int fd) {
    const std::lock_guard lock(fork_mutex);
    auto& fds = lease_fds();
    const auto found = std::find(fds.begin(), fds.end(), fd);
    if (found == fds.end()) return false;
    fds.erase(found);
    return true;
}

bool same_object(int a, int b) noexcept {
    struct stat sa {}, sb {};
    return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

LeaseLook look_at_lease(int fd, std::uint32_t index) noexcept {
    struct flock range = entry_range(index, F_WRLCK);
    if (::fcntl(fd, F_OFD_GETLK, &range) != 0) return LeaseLook::unknown;
    return range.l_type == F_UNLCK ? LeaseLook::free : LeaseLook::held;
}

bool take_lease(int fd, std::uint32_t index) noexcept {
    struct flock range = entry_range(index, F_WRLCK);
    return ::fcntl(fd, F_OFD_SETLK, &range) == 0;
}

void release_lease(int fd, std::uint32_t index) noexcept {
    struct flock range = entry_range(index, F_UNLCK);
    ::fcntl(fd, F_OFD_SETLK, &range);
}

Result<LeaseHolder> LeaseHolder::open(int segment_fd, const char* object_name) {
    // A second open gives a new open file description: the lease must not be shared with the
    // handle's mapping descriptor, through which this process tests and reaps other entries.
    int fd = ::shm_open(object_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
    if (fd >= 0 && !same_object(fd, segment_fd)) {
        ::close(fd);
        fd = -1;
    }
    if (fd < 0) {
        // Unlinked (or replaced) since it was opened: /proc reopens the very object we hold.
        char path[64];
        std::snprintf(path, sizeof path, "/proc/self/fd/%d", segment_fd);
        fd = ::open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0 && !same_object(fd, segment_fd)) {
            ::close(fd);
            fd = -1;
            errno = ESTALE;
        }
    }
    if (fd < 0) return system_error(std::string("reopen(") + object_name + ") for the endpoint's lease", errno);
    register_lease_fd(fd);
    return LeaseHolder(fd);
}

bool LeaseHolder::take(std::uint32_t index) noexcept {
    if (!take_lease(fd_, index)) return false;
    index_ = index;
    return true;
}

void LeaseHolder::drop() noexcept {
    if (index_ < 0) return;
    release_lease(fd_, static_cast<std::uint32_t>(index_));
    index_ = -1;
}

void LeaseHolder::close() noexcept {
    // Closing drops the lock: the caller has already freed the entry's state (lease.hpp).
    if (fd_ >= 0 && unregister_lease_fd(fd_)) ::close(fd_);
    fd_ = -1;
    index_ = -1;
}

LeaseHolder::LeaseHolder(LeaseHolder&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), index_(std::exchange(other.index_, -1)) {}

LeaseHolder& LeaseHolder::operator=(LeaseHolder&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        index_ = std::exchange(other.index_, -1);
    }
    return *this;
}

LeaseHolder::~LeaseHolder() { close(); }

}  // namespace shmring::detail
