// Uses the installed core: one message through an SPSC ring.
#include <cstdio>
#include <string>
#include <unistd.h>

#include <shmring/spsc_ring.hpp>

int main() {
    const std::string name = "install-check." + std::to_string(::getpid());
    if (!shmring::create_spsc_ring(name, 4096)) return 1;
    auto producer = shmring::SpscProducer::attach(name);
    auto consumer = shmring::SpscConsumer::attach(name);
    const char text[] = "installed";
    const bool sent = producer && consumer && producer->try_send(std::as_bytes(std::span(text))) == shmring::Status::ok;
    const bool received = sent && consumer->try_peek().data.size() == sizeof text;
    (void)shmring::Segment::unlink(name);
    std::puts(received ? "core ok" : "core FAILED");
    return received ? 0 : 1;
}
