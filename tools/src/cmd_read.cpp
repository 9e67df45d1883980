// shmring read NAME: a pipe ring to stdout, as its reader, so that `shmring read feed | consumer`
// works. Ends with status 0 at end of file: the writer has left and every byte it wrote is out.
#include <unistd.h>
#include <vector>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "shmring/pipe.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

int run_read(const StreamOptions& options) {
    install_stop_handlers();
    auto pipe = PipeReader::open(options.name);
    if (!pipe) return fail(options.name, reason_of(pipe.error(), options.name));
    std::vector<std::byte> buffer(kStreamChunk);
    for (;;) {
        if (stop_requested()) return interrupted();
        const IoResult result = pipe->read(buffer, Blocking::yes, deadline_after(kStopCheckInterval));
        if (result.status == Status::timed_out) continue;
        if (result.status != Status::ok) return fail(options.name, reason_of(result.status));
        if (result.count == 0) return kExitSuccess;
        // A reader of stdout that left (`| head`) ends the read quietly; detaching tells the writer.
        if (!write_all(STDOUT_FILENO, std::span(buffer.data(), result.count))) return stdout_failed(options.name);
    }
}

}  // namespace shmring::cli
