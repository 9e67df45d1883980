// shmring write NAME: stdin into a pipe ring, as its writer, so that `producer | shmring write feed`
// works. At the end of stdin the writer detaches, which the reader sees as end of file. If the
// reader leaves, the write fails with EPIPE, as a write into a FIFO without a reader does.
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <vector>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "shmring/pipe.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

int run_write(const StreamOptions& options) {
    install_stop_handlers();
    auto pipe = PipeWriter::open(options.name);
    if (!pipe) return fail(options.name, reason_of(pipe.error(), options.name));
    std::vector<std::byte> buffer(kStreamChunk);
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
        if (n == 0) return kExitSuccess;  // returning detaches the writer: the reader gets end of file
        if (n < 0 && errno == EINTR && !stop_requested()) continue;
        if (n < 0 && errno == EINTR) return interrupted();
        if (n < 0) return fail(options.name, std::string("stdin: ") + std::strerror(errno));
        std::span<const std::byte> rest(buffer.data(), static_cast<std::size_t>(n));
        while (!rest.empty()) {
            if (stop_requested()) return interrupted();
            const IoResult result = pipe->write(rest, Blocking::yes, deadline_after(kStopCheckInterval));
            rest = rest.subspan(result.count);
            if (result.status == Status::peer_gone) return fail(options.name, "the reader has gone: Broken pipe (EPIPE)");
            if (result.status != Status::ok && result.status != Status::timed_out) return fail(options.name, reason_of(result.status));
        }
    }
}

}  // namespace shmring::cli
