// Whole writes to a file descriptor (stdout of read and recv), and the chunk size of the streams.
#pragma once

#include <cstddef>
#include <span>

namespace shmring::cli {

// What write and read move per system call: large enough that the call costs little per byte,
// small enough to stay in the cache between stdin, the ring and stdout.
inline constexpr std::size_t kStreamChunk = 64 * 1024;

// Writes every byte, resuming after short writes and signals. False with errno set on failure
// (EPIPE when the reading end of stdout has closed: SIGPIPE is ignored, see stop_signal.hpp), or
// EINTR once a stop is requested, even while the reader does not read.
bool write_all(int fd, std::span<const std::byte> data);

}  // namespace shmring::cli
