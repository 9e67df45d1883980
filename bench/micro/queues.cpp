#include "micro/queues.hpp"

#include <atomic>
#include <span>
#include <stdexcept>
#include <unistd.h>

namespace shmring::bench {

namespace {

// Adaptive waits, as the other queues block too: with more threads than cores a spinning
// waiter would only hold back the thread it waits for.
EndpointOptions adaptive_waits() {
    EndpointOptions options;
    options.wait = WaitStrategy::adaptive;
    return options;
}
const EndpointOptions kOptions = adaptive_waits();

template <class T>
T attached(Result<T> result) {
    if (!result) throw std::runtime_error(result.error().message());
    return std::move(*result);
}

void created(const Outcome& outcome) {
    if (!outcome) throw std::runtime_error(outcome.error().message());
}

void expect_ok(Status status, const char* call) {
    if (status != Status::ok) throw std::runtime_error(std::string(call) + ": " + describe(status));
}

std::span<const std::byte> bytes_of(const std::uint64_t& value) { return std::as_bytes(std::span(&value, 1)); }

}  // namespace

RingName::RingName() {
    static std::atomic<unsigned> counter{0};
    // Relaxed: only uniqueness matters, no other memory is published through the counter.
    name_ = "microbench-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

RingName::~RingName() { (void)Segment::unlink(name_); }

ShmringSpscPairs::ShmringSpscPairs(int pairs) : names_(static_cast<std::size_t>(pairs)) {
    for (const auto& name : names_) {
        created(create_spsc_ring(name.str(), kQueueItems * layout::record_size(sizeof(std::uint64_t))));
        producers_.push_back(attached(SpscProducer::attach(name.str(), kOptions)));
        consumers_.push_back(attached(SpscConsumer::attach(name.str(), kOptions)));
    }
}

void ShmringSpscPairs::push(int p, std::uint64_t value) { expect_ok(producers_[p].send(bytes_of(value)), "SpscProducer::send"); }

std::uint64_t ShmringSpscPairs::pop(int c) {
    std::uint64_t value = 0;
    std::size_t length = 0;
    expect_ok(consumers_[c].receive(std::as_writable_bytes(std::span(&value, 1)), length), "SpscConsumer::receive");
    return value;
}

ShmringMpmc::ShmringMpmc(int pairs) {
    created(create_mpmc_ring(name_.str(), kQueueItems, sizeof(std::uint64_t)));
    for (int i = 0; i < pairs; ++i) {
        producers_.push_back(attached(MpmcProducer::attach(name_.str(), kOptions)));
        consumers_.push_back(attached(MpmcConsumer::attach(name_.str(), kOptions)));
    }
}

void ShmringMpmc::push(int p, std::uint64_t value) { expect_ok(producers_[p].send(bytes_of(value)), "MpmcProducer::send"); }

std::uint64_t ShmringMpmc::pop(int c) {
    std::uint64_t value = 0;
    std::size_t length = 0;
    expect_ok(consumers_[c].receive(std::as_writable_bytes(std::span(&value, 1)), length), "MpmcConsumer::receive");
    return value;
}

void MutexQueue::push(int, std::uint64_t value) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return count_ < items_.size(); });
    items_[(head_ + count_++) % items_.size()] = value;
    lock.unlock();
    not_empty_.notify_one();
}

std::uint64_t MutexQueue::pop(int) {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return count_ > 0; });
    const std::uint64_t value = items_[head_];
    head_ = (head_ + 1) % items_.size();
    --count_;
    lock.unlock();
    not_full_.notify_one();
    return value;
}

}  // namespace shmring::bench
