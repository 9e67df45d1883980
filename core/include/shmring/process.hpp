// Process identity, and the /proc look at a process that the tool shows people.
//
// Endpoints are not judged by this: their liveness is their lease (detail/lease.hpp), which the
// kernel keeps exactly while they can act. What follows remains for a ring's creator, which
// holds no lease, and for display.
//
// A pid alone cannot identify a process: once it dies the kernel may hand the same pid to a new
// one. The pair (pid, start time) can: the start time is field 22 of /proc/<pid>/stat, in clock
// ticks since boot, and two processes with one pid never share it. A process is judged dead only
// on proof: no process has its pid (or it is a zombie), or the one that has it started at another
// time. Anything that prevents the look-up (no /proc, hidepid, out of descriptors, an endpoint of
// another pid namespace, whose pids mean nothing here) counts as alive: mistaking a live endpoint
// for a dead one would hand its role or its slot to someone else. The check reads /proc, so it
// belongs on slow paths only.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstdint>
#include <sys/types.h>

namespace shmring {

struct ProcessIdentity {
    std::uint32_t pid = 0;
    std::uint64_t start_time = 0;     // 0: could not be read when recorded
    std::uint32_t pid_namespace = 0;  // inode of /proc/self/ns/pid (low 32 bits); 0: unknown
};

// The calling process. Computed once and cached (a fork child recomputes it).
ProcessIdentity current_process() noexcept;

enum class ProcessState { running, gone, unknown };
struct ProcessLook {
    ProcessState state;
    std::uint64_t start_time;  // when running
};
// gone: no such pid, or a zombie; unknown: /proc could not answer.
ProcessLook look_up_process(pid_t pid) noexcept;

enum class Liveness { alive, dead };
Liveness liveness(ProcessIdentity who) noexcept;

}  // namespace shmring
