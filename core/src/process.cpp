#include "shmring/process.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace shmring {

std::optional<std::uint64_t> process_start_time(pid_t pid) noexcept {
    if (pid <= 0) return std::nullopt;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buffer[1024];
    const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    buffer[n] = '\0';
    // The command name (field 2) is in parentheses and may itself contain ") ", so fields are
    // counted from the last ')'.
    const char* p = std::strrchr(buffer, ')');
    if (p == nullptr || p[1] != ' ') return std::nullopt;
    p += 2;
    const char state = *p;  // field 3
    if (state == 'Z' || state == 'X' || state == 'x') return std::nullopt;
    for (int field = 3; field < 22; ++field) {
        p = std::strchr(p, ' ');
        if (p == nullptr) return std::nullopt;
        ++p;
    }
    char* end = nullptr;
    const unsigned long long ticks = std::strtoull(p, &end, 10);
    if (end == p) return std::nullopt;
    return ticks;
}

namespace {
struct CachedIdentity {
    pid_t pid = 0;
    ProcessIdentity identity;
};
thread_local CachedIdentity cached;
}  // namespace

ProcessIdentity current_process() noexcept {
    const pid_t pid = ::getpid();
    if (cached.pid != pid) {
        cached.pid = pid;
        cached.identity.pid = static_cast<std::uint32_t>(pid);
        cached.identity.start_time = process_start_time(pid).value_or(0);
    }
    return cached.identity;
}

Liveness liveness(ProcessIdentity who) noexcept {
    const auto start = process_start_time(static_cast<pid_t>(who.pid));
    return start && *start == who.start_time ? Liveness::alive : Liveness::dead;
}

}  // namespace shmring
