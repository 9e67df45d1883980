// Uses the installed C++ API: one message through a queue (shmring::cxx) and one through an SPSC
// ring (shmring::core), each checked byte for byte.
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <unistd.h>

#include <shmring/queue.hpp>
#include <shmring/spsc_ring.hpp>

namespace {

bool same_bytes(std::span<const std::byte> received, std::span<const char> sent) {
    return received.size() == sent.size() && std::memcmp(received.data(), sent.data(), sent.size()) == 0;
}

bool queue_delivers(const std::string& name) {
    if (!shmring::create_queue(name, {.max_messages = 4, .max_message_size = 64})) return false;
    auto sender = shmring::QueueSender::open(name);
    auto receiver = shmring::QueueReceiver::open(name);
    const char text[] = "through a queue";
    std::byte buffer[64];
    std::size_t length = 0;
    const bool delivered = sender && receiver && sender->try_send(std::as_bytes(std::span(text))) == shmring::Status::ok &&
                           receiver->try_receive(buffer, length) == shmring::Status::ok &&
                           same_bytes(std::span(buffer, length), std::span(text));
    (void)shmring::Segment::unlink(name);
    return delivered;
}

bool ring_delivers(const std::string& name) {
    if (!shmring::create_spsc_ring(name, 4096)) return false;
    auto producer = shmring::SpscProducer::attach(name);
    auto consumer = shmring::SpscConsumer::attach(name);
    const char text[] = "through a ring";
    const bool delivered = producer && consumer && producer->try_send(std::as_bytes(std::span(text))) == shmring::Status::ok &&
                           same_bytes(consumer->try_peek().data, std::span(text));
    (void)shmring::Segment::unlink(name);
    return delivered;
}

}  // namespace

int main() {
    const std::string suffix = std::to_string(::getpid());
    const bool queue_ok = queue_delivers("install-check-queue." + suffix);
    const bool ring_ok = ring_delivers("install-check-ring." + suffix);
    std::printf("queue %s, ring %s\n", queue_ok ? "ok" : "FAILED", ring_ok ? "ok" : "FAILED");
    return queue_ok && ring_ok ? 0 : 1;
}
