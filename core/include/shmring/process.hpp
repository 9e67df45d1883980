// Process identity and liveness.
//
// A pid alone cannot identify a process: once it dies the kernel may hand the same pid to a new
// one. The pair (pid, start time) can: the start time is field 22 of /proc/<pid>/stat, in clock
// ticks since boot, and two processes with one pid never share it. Liveness is therefore "a
// process with this pid exists, is not a zombie, and started at this time". The check reads /proc,
// so it belongs on slow paths only: attaching, and a parked waiter's periodic look at its peer.
#pragma once

#include <cstdint>
#include <optional>
#include <sys/types.h>

namespace shmring {

struct ProcessIdentity {
    std::uint32_t pid = 0;
    std::uint64_t start_time = 0;
};

// The calling process. Computed once and cached (a fork child recomputes it).
ProcessIdentity current_process() noexcept;

// Reads a process's start time; nullopt if it does not exist or is a zombie.
std::optional<std::uint64_t> process_start_time(pid_t pid) noexcept;

enum class Liveness { alive, dead };
Liveness liveness(ProcessIdentity who) noexcept;

}  // namespace shmring
