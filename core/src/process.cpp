#include "shmring/process.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shmring {

namespace {

std::uint32_t own_pid_namespace() noexcept {
    struct stat st {};
    return ::stat("/proc/self/ns/pid", &st) == 0 ? static_cast<std::uint32_t>(st.st_ino) : 0;
}

struct CachedIdentity {
    pid_t pid = 0;
    ProcessIdentity identity;
};
thread_local CachedIdentity cached;

}  // namespace

ProcessLook look_up_process(pid_t pid) noexcept {
    const ProcessLook unknown{ProcessState::unknown, 0};
    if (pid <= 0) return {ProcessState::gone, 0};
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT || errno == ESRCH ? ProcessLook{ProcessState::gone, 0} : unknown;
    char buffer[1024];
    const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    const int read_errno = errno;
    ::close(fd);
    if (n <= 0) return n < 0 && read_errno == ESRCH ? ProcessLook{ProcessState::gone, 0} : unknown;  // exited meanwhile
    buffer[n] = '\0';
    // The command name (field 2) is in parentheses and may itself contain ") ", so fields are
    // counted from the last ')'.
    const char* p = std::strrchr(buffer, ')');
    if (p == nullptr || p[1] != ' ') return unknown;
    p += 2;
    const char state = *p;  // field 3
    if (state == 'Z' || state == 'X' || state == 'x') return {ProcessState::gone, 0};
    for (int field = 3; field < 22; ++field) {
        p = std::strchr(p, ' ');
        if (p == nullptr) return unknown;
        ++p;
    }
    char* end = nullptr;
    const unsigned long long ticks = std::strtoull(p, &end, 10);
    if (end == p) return unknown;
    return {ProcessState::running, ticks};
}

ProcessIdentity current_process() noexcept {
    const pid_t pid = ::getpid();
    if (cached.pid != pid) {
        cached.pid = pid;
        const ProcessLook me = look_up_process(pid);
        cached.identity = {static_cast<std::uint32_t>(pid), me.state == ProcessState::running ? me.start_time : 0,
                           own_pid_namespace()};
    }
    return cached.identity;
}

Liveness liveness(ProcessIdentity who) noexcept {
    const std::uint32_t here = current_process().pid_namespace;
    if (who.pid_namespace != here || here == 0) return Liveness::alive;  // its pid means nothing here
    const ProcessLook look = look_up_process(static_cast<pid_t>(who.pid));
    switch (look.state) {
        case ProcessState::gone: return Liveness::dead;
        case ProcessState::unknown: return Liveness::alive;
        case ProcessState::running:
            return who.start_time == 0 || look.start_time == who.start_time ? Liveness::alive : Liveness::dead;
    }
    return Liveness::alive;
}

}  // namespace shmring
