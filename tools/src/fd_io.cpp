#include "fd_io.hpp"

#include <cerrno>
#include <unistd.h>

#include "stop_signal.hpp"

namespace shmring::cli {

bool write_all(int fd, std::span<const std::byte> data) {
    while (!data.empty()) {
        // A reader of stdout that stopped reading must not keep a stop request waiting.
        if (stop_requested()) {
            errno = EINTR;
            return false;
        }
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        data = data.subspan(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace shmring::cli
