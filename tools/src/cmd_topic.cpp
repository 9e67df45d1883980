// shmring publish NAME [MESSAGE...] and shmring subscribe NAME: a topic from the shell, as its
// publisher (one message per argument or per line of stdin) or as one more subscriber (one
// message per line on stdout).
#include "commands.hpp"
#include "message_io.hpp"
#include "shmring/topic.hpp"

namespace shmring::cli {

int run_publish(const PublishOptions& options) {
    install_stop_handlers();
    auto publisher = TopicPublisher::attach(options.name);
    if (!publisher) return fail(options.name, reason_of(publisher.error(), options.name));
    return send_messages(options.name, options.messages, publisher->max_message(),
                         [&](std::span<const std::byte> bytes, Deadline deadline) { return publisher->send(bytes, deadline); });
}

int run_subscribe(const SubscribeOptions& options) {
    install_stop_handlers();
    auto subscriber = TopicSubscriber::attach(options.name, {}, options.from_oldest ? TopicStart::oldest : TopicStart::next);
    if (!subscriber) return fail(options.name, reason_of(subscriber.error(), options.name));
    return print_messages(options.name, subscriber->max_message(), options.count, options.timeout_seconds,
                          [&](std::span<std::byte> buffer, std::size_t& length, Deadline deadline) {
                              return subscriber->receive(buffer, length, nullptr, deadline);
                          });
}

}  // namespace shmring::cli
