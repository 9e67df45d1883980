// shmring publish NAME [MESSAGE...] and shmring subscribe NAME: a topic from the shell, as its
// publisher (one message per argument, or per line or NUL-terminated record of stdin) or as one
// more subscriber (one message per line, per NUL-terminated record, or per JSON line with its
// sequence number, on stdout).
#include "commands.hpp"
#include "message_io.hpp"
#include "shmring/topic.hpp"

namespace shmring::cli {

int run_publish(const SendOptions& options) {
    install_stop_handlers();
    auto publisher = TopicPublisher::attach(options.name);
    if (!publisher) return fail(options.name, reason_of(publisher.error(), options.name));
    return send_messages(options.name, options.messages, {options.timeout_seconds, options.nonblock, options.null_separated},
                         publisher->max_message(),
                         [&](std::span<const std::byte> bytes, Deadline deadline) { return publisher->send(bytes, deadline); });
}

int run_subscribe(const ReceiveOptions& options) {
    install_stop_handlers();
    auto subscriber = TopicSubscriber::attach(options.name, {}, options.from_oldest ? TopicStart::oldest : TopicStart::next);
    if (!subscriber) return fail(options.name, reason_of(subscriber.error(), options.name));
    return print_messages(options.name, subscriber->max_message(), options.count, options.timeout_seconds, message_format(options),
                          [&](std::span<std::byte> buffer, std::size_t& length, std::uint64_t* sequence, Deadline deadline) {
                              return subscriber->receive(buffer, length, sequence, deadline);
                          });
}

}  // namespace shmring::cli
