// Segment: one named POSIX shared-memory object, mapped, behind an RAII handle.
// It knows nothing of rings; ring_segment.hpp formats and validates what is inside.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstddef>
#include <string>
#include <string_view>

#include "shmring/error.hpp"

namespace shmring {

struct SegmentOptions {
    bool prefault = false;    // fault every page in now, not on the fast path later (opened: once validated)
    bool lock = false;        // mlock: keep the pages resident (needs RLIMIT_MEMLOCK or CAP_IPC_LOCK)
    bool huge_pages = false;  // madvise(MADV_HUGEPAGE); falls back to small pages, see warning()
    bool allow_foreign_owner = false;  // open a segment owned by another user (else EACCES)
};

enum class Access { read_only, read_write };

class Segment {
public:
    // Refuses names that are empty, longer than 200 characters, or contain anything but
    // letters, digits, '.', '_' and '-'.
    static Outcome validate_name(std::string_view name);
    // "/shmring.<name>": the shm_open name; the file is /dev/shm/shmring.<name>.
    static std::string object_name(std::string_view name);

    // Creates the object exclusively with exactly `mode` (the umask does not apply) and maps it.
    // Until keep() is called the object is unlinked again when the handle dies, so a creation that
    // fails half-way leaves nothing behind.
    static Result<Segment> create(std::string_view name, std::size_t size, unsigned mode,
                                  const SegmentOptions& options);
    // Opens and maps an existing object, refusing anything but a regular file of this user's
    // (unless options.allow_foreign_owner).
    static Result<Segment> open(std::string_view name, Access access, const SegmentOptions& options);
    static Outcome unlink(std::string_view name);

    Segment(Segment&& other) noexcept;
    Segment& operator=(Segment&& other) noexcept;
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;
    ~Segment();

    std::byte* base() const noexcept { return base_; }
    // The descriptor the object was opened with (close-on-exec), kept for the endpoints' leases
    // (detail/lease.hpp): tests and reaps of other entries go through it.
    int fd() const noexcept { return fd_; }
    std::size_t size() const noexcept { return size_; }
    const std::string& name() const noexcept { return name_; }
    unsigned owner_uid() const noexcept { return owner_uid_; }
    unsigned mode() const noexcept { return mode_; }
    bool writable() const noexcept { return writable_; }
    // Non-empty when an option could not be honoured and the segment fell back (huge pages).
    const std::string& warning() const noexcept { return warning_; }

    // Creation finished: the object now outlives this handle.
    void keep() noexcept { unlink_on_close_ = false; }

    // Makes the first `bytes` of the mapping present in this process's page tables, so that their
    // first touch does not trap into the kernel. Best effort: a kernel without MADV_POPULATE_*
    // (before 5.14) leaves them to fault in as they are used.
    void prefault(std::size_t bytes) noexcept;

private:
    Segment() = default;
    void release() noexcept;
    Outcome map(int fd, std::size_t size, bool writable, const SegmentOptions& options);

    std::byte* base_ = nullptr;
    int fd_ = -1;
    std::size_t size_ = 0;
    std::string name_;
    unsigned owner_uid_ = 0;
    unsigned mode_ = 0;
    bool writable_ = false;
    bool unlink_on_close_ = false;
    std::string warning_;
};

}  // namespace shmring
