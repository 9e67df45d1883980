#include "bridge_state.hpp"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utility>

#include "shmring/segment.hpp"

namespace shmring::bridge::detail {

namespace {

constexpr std::size_t kObjectSize = 4096;

std::uint64_t realtime_ns() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(now.tv_nsec);
}

// The whole object's write lock, open file description wide: released by the kernel on death.
int lock_object(int fd, short type, int command) noexcept {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;
    return ::fcntl(fd, command, &lock);
}

bool held_by_other(int fd) noexcept {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    return ::fcntl(fd, F_OFD_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
}

Error corrupt_object(const std::string& object, const char* what) {
    return Error(Errc::corrupt, "bridge state " + object + ": " + what);
}

// The checks every opener makes of a mapped object before trusting a word of it.
Outcome check_header(const StateLayout& layout, Side side, const std::string& object) {
    if (layout.magic != kStateMagic) return corrupt_object(object, "not a bridge's state object");
    if (layout.version != kStateVersion) return Error(Errc::version_mismatch, "bridge state " + object);
    if (layout.side != static_cast<std::uint32_t>(side)) return corrupt_object(object, "the other side's object");
    return Ok{};
}

}  // namespace

std::string state_object_name(std::string_view ring, Side side) {
    return std::string(side == Side::sender ? "/shmring-bridge-send." : "/shmring-bridge-recv.") + std::string(ring);
}

Result<BridgeState> BridgeState::acquire(std::string_view ring, Side side) {
    if (auto valid = Segment::validate_name(ring); !valid) return valid.error();
    const std::string object = state_object_name(ring, side);
    const int fd = ::shm_open(object.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return system_error("shm_open(" + object + ")", errno);
    const auto fail = [fd](Error error) {
        ::close(fd);
        return error;
    };
    if (lock_object(fd, F_WRLCK, F_OFD_SETLK) != 0) {
        if (errno == EAGAIN || errno == EACCES) return fail(Error(Errc::busy, "another bridge serves '" + std::string(ring) + "' on this host"));
        return fail(system_error("fcntl(" + object + ", F_OFD_SETLK)", errno));
    }
    struct stat status {};
    if (::fstat(fd, &status) != 0) return fail(system_error("fstat(" + object + ")", errno));
    if (!S_ISREG(status.st_mode) || status.st_uid != ::geteuid()) return fail(Error(Errc::permission_denied, "bridge state " + object + " belongs to another user"));
    if (status.st_size == 0 && ::ftruncate(fd, kObjectSize) != 0) return fail(system_error("ftruncate(" + object + ")", errno));
    if (status.st_size != 0 && status.st_size != static_cast<off_t>(kObjectSize)) return fail(corrupt_object(object, "wrong size"));
    void* mapped = ::mmap(nullptr, kObjectSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED) return fail(system_error("mmap(" + object + ")", errno));
    auto* layout = static_cast<StateLayout*>(mapped);
    // Zeroed by ftruncate: new, or its creator died before the magic, which it writes last. Only
    // the lock holder writes the header.
    if (layout->magic == 0) {
        layout->version = kStateVersion;
        layout->side = static_cast<std::uint32_t>(side);
        std::atomic_ref<std::uint64_t>(layout->magic).store(kStateMagic, std::memory_order_release);
    } else if (auto checked = check_header(*layout, side, object); !checked) {
        ::munmap(mapped, kObjectSize);
        return fail(checked.error());
    }
    // Relaxed, these and every counter: statistics for people; the lock says who writes them.
    layout->pid.store(static_cast<std::uint32_t>(::getpid()), std::memory_order_relaxed);
    layout->counters.connected.store(0, std::memory_order_relaxed);
    BridgeState state(fd, layout);
    state.touch();
    return state;
}

void BridgeState::touch() noexcept { layout_->counters.updated_realtime_ns.store(realtime_ns(), std::memory_order_relaxed); }

BridgeState::BridgeState(BridgeState&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), layout_(std::exchange(other.layout_, nullptr)) {}

BridgeState::~BridgeState() {
    if (layout_ != nullptr) {
        layout_->counters.connected.store(0, std::memory_order_relaxed);
        ::munmap(layout_, kObjectSize);
    }
    if (fd_ >= 0) ::close(fd_);  // drops the lock
}

Result<std::optional<Statistics>> read_state(std::string_view ring, Side side) {
    if (auto valid = Segment::validate_name(ring); !valid) return valid.error();
    const std::string object = state_object_name(ring, side);
    const int fd = ::shm_open(object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == ENOENT) return std::optional<Statistics>{};
        return system_error("shm_open(" + object + ")", errno);
    }
    struct stat status {};
    if (::fstat(fd, &status) != 0 || status.st_size != static_cast<off_t>(kObjectSize)) {
        ::close(fd);
        return corrupt_object(object, "wrong size");
    }
    void* mapped = ::mmap(nullptr, kObjectSize, PROT_READ, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED) {
        const int error = errno;
        ::close(fd);
        return system_error("mmap(" + object + ")", error);
    }
    const auto& layout = *static_cast<const StateLayout*>(mapped);
    Result<std::optional<Statistics>> result = std::optional<Statistics>{};
    if (auto checked = check_header(layout, side, object); !checked) {
        result = checked.error();
    } else {
        const auto& c = layout.counters;
        const auto read = [](const SharedAtomic<std::uint64_t>& word) { return word.load(std::memory_order_relaxed); };
        Statistics s{side};
        s.running = held_by_other(fd);
        s.pid = layout.pid.load(std::memory_order_relaxed);
        s.connected = s.running && read(c.connected) != 0;
        s.messages = read(c.messages);
        s.bytes = read(c.bytes);
        s.reconnects = read(c.reconnects);
        s.in_flight = read(c.in_flight);
        s.in_flight_bytes = read(c.in_flight_bytes);
        s.acknowledged = read(c.acknowledged);
        s.refused = read(c.refused);
        s.lost = read(c.lost);
        s.updated_realtime_ns = read(c.updated_realtime_ns);
        result = std::optional<Statistics>(s);
    }
    ::munmap(mapped, kObjectSize);
    ::close(fd);
    return result;
}

}  // namespace shmring::bridge::detail
