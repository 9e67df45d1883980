// shmring send NAME [MESSAGE...]: messages into a queue ring, one per argument, or one per line of
// stdin when no argument is given (without its newline). Waits while the queue is full.
#include <iostream>
#include <string>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "shmring/queue.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

namespace {

// kExitSuccess once `message` is queued; otherwise the failure, already reported.
int send_one(QueueSender& queue, const std::string& name, std::string_view message, std::uint64_t number) {
    const auto bytes = std::as_bytes(std::span(message.data(), message.size()));
    for (;;) {
        if (stop_requested()) return fail(name, "interrupted");
        const Status status = queue.send(bytes, deadline_after(kStopCheckInterval));
        if (status == Status::ok) return kExitSuccess;
        if (status == Status::timed_out) continue;
        if (status == Status::too_large)
            return fail(name, "message " + std::to_string(number) + ": " + std::to_string(message.size()) + " bytes, above the limit of " +
                                  std::to_string(queue.max_message_size()) + " bytes (EMSGSIZE)");
        return fail(name, reason_of(status));
    }
}

}  // namespace

int run_send(const SendOptions& options) {
    install_stop_handlers();
    auto queue = QueueSender::open(options.name);
    if (!queue) return fail(options.name, reason_of(queue.error(), options.name));
    std::uint64_t number = 0;
    for (const std::string& message : options.messages)
        if (const int status = send_one(*queue, options.name, message, ++number); status != kExitSuccess) return status;
    if (!options.messages.empty()) return kExitSuccess;
    std::string line;
    while (std::getline(std::cin, line))
        if (const int status = send_one(*queue, options.name, line, ++number); status != kExitSuccess) return status;
    if (stop_requested()) return fail(options.name, "interrupted");
    if (std::cin.bad()) return fail(options.name, "stdin: read error");
    return kExitSuccess;
}

}  // namespace shmring::cli
