// shmring recv NAME: messages out of a queue ring, one per line (or NUL-terminated record, or JSON
// line) on stdout.
//
// Without --count it receives until stopped. --timeout S bounds the wait for each message: when
// it passes, recv ends, successfully unless --count asked for more messages than came.
#include "commands.hpp"
#include "message_io.hpp"
#include "shmring/queue.hpp"

namespace shmring::cli {

int run_recv(const ReceiveOptions& options) {
    install_stop_handlers();
    auto queue = QueueReceiver::open(options.name);
    if (!queue) return fail(options.name, reason_of(queue.error(), options.name));
    return print_messages(options.name, queue->max_message_size(), options.count, options.timeout_seconds, message_format(options),
                          [&](std::span<std::byte> buffer, std::size_t& length, std::uint64_t*, Deadline deadline) {
                              return queue->receive(buffer, length, deadline);
                          });
}

}  // namespace shmring::cli
