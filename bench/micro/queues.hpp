// The queues of the in-process micro-benchmark, behind one shape: built for `pairs` producer
// threads and as many consumer threads; push(p, v) is called only by producer thread p and pop(c)
// only by consumer thread c, so that per-thread handles (shmring's) and shared objects (the
// others) fit alike. Every queue holds 1,024 items of 8 bytes and blocks when full or empty.
// Setup failures throw std::runtime_error (the benchmark reports it and skips).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <tbb/concurrent_queue.h>

#include "shmring/mpmc_ring.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring::bench {

inline constexpr std::size_t kQueueItems = 1024;

// A unique ring name for this process, removed again with the queue.
class RingName {
public:
    RingName();
    RingName(const RingName&) = delete;
    RingName& operator=(const RingName&) = delete;
    ~RingName();
    const std::string& str() const noexcept { return name_; }

private:
    std::string name_;
};

// SPSC allows one producer and one consumer, so N x N is N independent pairs, each with its ring.
class ShmringSpscPairs {
public:
    explicit ShmringSpscPairs(int pairs);
    void push(int p, std::uint64_t value);
    std::uint64_t pop(int c);

private:
    std::vector<RingName> names_;
    std::vector<SpscProducer> producers_;
    std::vector<SpscConsumer> consumers_;
};

// One MPMC ring shared by every thread; each thread has its own handle (its own endpoint).
class ShmringMpmc {
public:
    explicit ShmringMpmc(int pairs);
    void push(int p, std::uint64_t value);
    std::uint64_t pop(int c);

private:
    RingName name_;
    std::vector<MpmcProducer> producers_;
    std::vector<MpmcConsumer> consumers_;
};

class TbbQueue {
public:
    explicit TbbQueue(int) { queue_.set_capacity(kQueueItems); }
    void push(int, std::uint64_t value) { queue_.push(value); }
    std::uint64_t pop(int) {
        std::uint64_t value = 0;
        queue_.pop(value);
        return value;
    }

private:
    tbb::concurrent_bounded_queue<std::uint64_t> queue_;
};

// The textbook bounded queue: a ring under one mutex, with a condition variable per direction.
class MutexQueue {
public:
    explicit MutexQueue(int) : items_(kQueueItems) {}
    void push(int, std::uint64_t value);
    std::uint64_t pop(int);

private:
    std::mutex mutex_;
    std::condition_variable not_full_;
    std::condition_variable not_empty_;
    std::vector<std::uint64_t> items_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

}  // namespace shmring::bench
