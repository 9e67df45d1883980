#include "shmring/segment.hpp"

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <utility>

#include "shmring/layout.hpp"

namespace shmring {

namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// Transparent huge pages for shared memory are allowed when the system's shmem policy is anything
// but "never" or "deny"; the policy is the bracketed word of the sysfs file.
bool shmem_huge_pages_allowed() {
    std::ifstream policy("/sys/kernel/mm/transparent_hugepage/shmem_enabled");
    std::string line;
    if (!std::getline(policy, line)) return false;
    return line.find("[never]") == std::string::npos && line.find("[deny]") == std::string::npos;
}

// 512 -> "512 B", 1048576 -> "1.0 MiB": sizes in a message a person reads.
std::string size_text(std::uint64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + " B";
    static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes) / 1024;
    std::size_t unit = 0;
    for (; value >= 1024 && unit + 1 < std::size(kUnits); ++unit) value /= 1024;
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
    return text;
}

// ftruncate alone only sets the size: tmpfs hands out pages when they are first touched, and a
// page it cannot hand out kills the toucher with SIGBUS. Reserving every page now turns a full
// file system into ENOSPC at creation. posix_fallocate returns its error instead of setting errno.
Outcome reserve(int fd, std::size_t size, std::string_view name) {
    int failed = 0;
    do {
        failed = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
    } while (failed == EINTR);
    // A file system that cannot reserve keeps what ftruncate gave: a ring without a reservation.
    if (failed == 0 || failed == EOPNOTSUPP) return Ok{};
    const std::string object = Segment::object_name(name);
    if (failed != ENOSPC) return system_error("posix_fallocate(" + object + ")", failed);
    std::string context = "ring '" + std::string(name) + "': needs " + size_text(size);
    struct statvfs fs {};
    if (::statvfs("/dev/shm", &fs) == 0)
        context += ", /dev/shm has " + size_text(static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize) + " free";
    return Error(Errc::no_space, context, ENOSPC);
}

}  // namespace

Outcome Segment::validate_name(std::string_view name) {
    const auto refuse = [&] { return Error(Errc::invalid_name, "ring name '" + std::string(name) + "'"); };
    if (name.empty() || name.size() > layout::kMaxNameLength) return refuse();
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '.' || c == '_' || c == '-';
        if (!ok) return refuse();
    }
    return Ok{};
}

std::string Segment::object_name(std::string_view name) {
    return std::string(layout::kObjectPrefix) + std::string(name);
}

Result<Segment> Segment::create(std::string_view name, std::size_t size, unsigned mode,
                                const SegmentOptions& options) {
    if (auto valid = validate_name(name); !valid) return valid.error();
    if ((mode & ~0777U) != 0) return Error(Errc::invalid_argument, "mode " + std::to_string(mode) + " for '" + std::string(name) + "'");
    if ((mode & 0600U) != 0600U)
        return Error(Errc::invalid_argument, "mode must let the owner read and write ('" + std::string(name) + "')");
    const std::string object = object_name(name);
    Segment segment;
    segment.name_ = std::string(name);
    const int fd = ::shm_open(object.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777U);
    if (fd < 0) return system_error("shm_open(" + object + ")", errno);
    FileDescriptor guard(fd);
    segment.unlink_on_close_ = true;  // from here on, any failure removes the object again
    if (::fchmod(fd, mode) != 0) return system_error("fchmod(" + object + ")", errno);
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return system_error("ftruncate(" + object + ")", errno);
    if (auto reserved = reserve(fd, size, name); !reserved) return reserved.error();
    segment.owner_uid_ = ::geteuid();
    segment.mode_ = mode;
    if (auto mapped = segment.map(fd, size, true, options); !mapped) return mapped.error();
    segment.fd_ = guard.release();
    return segment;
}

Result<Segment> Segment::open(std::string_view name, Access access, const SegmentOptions& options) {
    if (auto valid = validate_name(name); !valid) return valid.error();
    const std::string object = object_name(name);
    const bool writable = access == Access::read_write;
    // O_NONBLOCK: opening a FIFO planted under a ring's name must not wait for its writer.
    const int fd = ::shm_open(object.c_str(), (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
    if (fd < 0) {
        const int open_errno = errno;
        // O_NOFOLLOW on a symbolic link fails with ELOOP: a planted link is not a ring.
        if (open_errno == ELOOP) return Error(Errc::not_a_ring, "shm_open(" + object + "): a symbolic link");
        // glibc reports a directory's EISDIR as EINVAL: look at what is there.
        struct stat st {};
        const std::string path = "/dev/shm" + object;
        if ((open_errno == EINVAL || open_errno == EISDIR) && ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
            return Error(Errc::not_a_ring, object + ": not a regular file");
        return system_error("shm_open(" + object + ")", open_errno);
    }
    FileDescriptor guard(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return system_error("fstat(" + object + ")", errno);
    if (!S_ISREG(st.st_mode)) return Error(Errc::not_a_ring, object + ": not a regular file");
    if (st.st_uid != ::geteuid() && !options.allow_foreign_owner)
        return Error(Errc::permission_denied, object + ": owned by uid " + std::to_string(st.st_uid));
    if (st.st_size < static_cast<off_t>(sizeof(layout::SegmentHeader)))
        return Error(Errc::not_a_ring, object + ": " + std::to_string(st.st_size) + " bytes, too small");
    Segment segment;
    segment.name_ = std::string(name);
    segment.owner_uid_ = st.st_uid;
    segment.mode_ = st.st_mode & 0777U;
    // Prefaulting waits for the caller to validate the geometry (RingSegment::open): the object's
    // size is anyone's to set, and populating all of it could be made to cost any amount of memory.
    SegmentOptions mapping = options;
    mapping.prefault = false;
    if (auto mapped = segment.map(fd, static_cast<std::size_t>(st.st_size), writable, mapping); !mapped)
        return mapped.error();
    segment.fd_ = guard.release();
    return segment;
}

Outcome Segment::unlink(std::string_view name) {
    if (auto valid = validate_name(name); !valid) return valid.error();
    const std::string object = object_name(name);
    if (::shm_unlink(object.c_str()) != 0) return system_error("shm_unlink(" + object + ")", errno);
    return Ok{};
}

Outcome Segment::map(int fd, std::size_t size, bool writable, const SegmentOptions& options) {
    const std::string object = object_name(name_);
    const int protection = PROT_READ | (writable ? PROT_WRITE : 0);
    const int flags = MAP_SHARED | (options.prefault ? MAP_POPULATE : 0);
    void* address = ::mmap(nullptr, size, protection, flags, fd, 0);
    if (address == MAP_FAILED) return system_error("mmap(" + object + ")", errno);
    base_ = static_cast<std::byte*>(address);
    size_ = size;
    writable_ = writable;
    if (options.huge_pages) {
        if (!shmem_huge_pages_allowed()) {
            warning_ = "huge pages unavailable (transparent_hugepage/shmem_enabled is never or deny): using small pages";
        } else if (::madvise(address, size, MADV_HUGEPAGE) != 0) {
            warning_ = "madvise(MADV_HUGEPAGE) refused: using small pages";
        }
    }
    if (options.lock && ::mlock(address, size) != 0) return system_error("mlock(" + object + ")", errno);
    return Ok{};
}

void Segment::prefault(std::size_t bytes) noexcept {
#ifndef MADV_POPULATE_READ
    constexpr int MADV_POPULATE_READ = 22;  // Linux 5.14 uapi values, for older headers
    constexpr int MADV_POPULATE_WRITE = 23;
#endif
    // The result is ignored on purpose: without it the pages still fault in as they are used.
    (void)::madvise(base_, std::min(bytes, size_), writable_ ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
}

void Segment::release() noexcept {
    if (base_ != nullptr) ::munmap(base_, size_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (unlink_on_close_) ::shm_unlink(object_name(name_).c_str());
    base_ = nullptr;
    size_ = 0;
    unlink_on_close_ = false;
}

Segment::Segment(Segment&& other) noexcept { *this = std::move(other); }

Segment& Segment::operator=(Segment&& other) noexcept {
    if (this != &other) {
        release();
        base_ = std::exchange(other.base_, nullptr);
        fd_ = std::exchange(other.fd_, -1);
        size_ = std::exchange(other.size_, 0);
        name_ = std::move(other.name_);
        owner_uid_ = other.owner_uid_;
        mode_ = other.mode_;
        writable_ = other.writable_;
        unlink_on_close_ = std::exchange(other.unlink_on_close_, false);
        warning_ = std::move(other.warning_);
    }
    return *this;
}

Segment::~Segment() { release(); }

}  // namespace shmring
