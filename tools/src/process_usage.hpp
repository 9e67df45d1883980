// Which shared-memory objects live processes hold, as /proc shows it.
//
// A process can use a ring without an endpoint: between opening and attaching, or to look at it.
// The registry cannot tell, but /proc can: such a process has the object open (/proc/<pid>/fd) or
// mapped (/proc/<pid>/maps). Only processes this user may inspect are seen, which for rings this
// user owns (mode 0600 by default) are the only ones that could open them.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace shmring::cli {

// The /dev/shm paths that processes other than this one have open or mapped.
std::set<std::string> shm_objects_in_use();

// The command name of process `pid` (/proc/PID/comm), or "" when it is gone or hidden from us.
std::string process_command(std::uint32_t pid);

}  // namespace shmring::cli
