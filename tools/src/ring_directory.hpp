// Where rings live: the files /dev/shm/shmring.<name>, and only those.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shmring::cli {

// "/dev/shm/shmring.<name>": where Linux keeps the shared-memory object of a ring.
std::string ring_path(std::string_view name);

// The names of every ring in /dev/shm, sorted. Files with the ring prefix whose rest is not a
// valid ring name are left out: no ring call could address them.
std::vector<std::string> ring_names();

}  // namespace shmring::cli
