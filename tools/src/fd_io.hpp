// Whole writes to a file descriptor (stdout of read and recv).
#pragma once

#include <cstddef>
#include <span>

namespace shmring::cli {

// Writes every byte, resuming after short writes and signals. False with errno set on failure
// (EPIPE when the reading end of stdout has closed: SIGPIPE is ignored, see stop_signal.hpp).
bool write_all(int fd, std::span<const std::byte> data);

}  // namespace shmring::cli
