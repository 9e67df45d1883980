// shmring send NAME [MESSAGE...]: messages into a queue ring, one per argument, or one per line (or
// NUL-terminated record) of stdin when no argument is given. Waits while the queue is full, for
// ever, --timeout S, or not at all (--nonblock).
#include "commands.hpp"
#include "message_io.hpp"
#include "shmring/queue.hpp"

namespace shmring::cli {

int run_send(const SendOptions& options) {
    install_stop_handlers();
    auto queue = QueueSender::open(options.name);
    if (!queue) return fail(options.name, reason_of(queue.error(), options.name));
    return send_messages(options.name, options.messages, {options.timeout_seconds, options.nonblock, options.null_separated},
                         queue->max_message_size(),
                         [&](std::span<const std::byte> bytes, Deadline deadline) { return queue->send(bytes, deadline); });
}

}  // namespace shmring::cli
