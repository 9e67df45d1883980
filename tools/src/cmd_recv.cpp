// shmring recv NAME: messages out of a queue ring, one per line on stdout.
//
// Without --count it receives until stopped. --timeout S bounds the wait for each message: when
// it passes, recv ends, successfully unless --count asked for more messages than came.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <unistd.h>
#include <vector>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "shmring/queue.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

int run_recv(const RecvOptions& options) {
    install_stop_handlers();
    auto queue = QueueReceiver::open(options.name);
    if (!queue) return fail(options.name, reason_of(queue.error(), options.name));
    const std::size_t limit = queue->max_message_size();
    std::vector<std::byte> buffer(limit + 1);  // room for the newline after the longest message
    const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.timeout_seconds));
    for (std::uint64_t received = 0; options.count == 0 || received < options.count; ++received) {
        const Deadline give_up = options.timeout_seconds >= 0 ? Clock::now() + timeout : kNoDeadline;
        std::size_t length = 0;
        Status status = Status::again;
        for (;;) {
            if (stop_requested()) return fail(options.name, "interrupted");
            status = queue->receive(std::span(buffer.data(), limit), length, std::min(give_up, deadline_after(kStopCheckInterval)));
            // A deadline already past only tries, which answers again rather than timed_out.
            const bool nothing = status == Status::timed_out || status == Status::again;
            if (!nothing || Clock::now() >= give_up) break;
        }
        if (status == Status::timed_out || status == Status::again) {
            if (options.count == 0) return kExitSuccess;
            return fail(options.name, "timed out waiting for message " + std::to_string(received + 1) + " of " + std::to_string(options.count));
        }
        if (status != Status::ok) return fail(options.name, reason_of(status));
        buffer[length] = std::byte{'\n'};
        if (!write_all(STDOUT_FILENO, std::span(buffer.data(), length + 1)))
            return fail(options.name, std::string("stdout: ") + std::strerror(errno));
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
