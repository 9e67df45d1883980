// In-process queue micro-benchmarks (Google Benchmark): shmring's SPSC and MPMC rings against
// tbb::concurrent_bounded_queue and a mutex + condition-variable queue, with 1, 2 and 4 producer
// threads and as many consumers, in items per second. Every round checks the sum of the items.
#include <atomic>
#include <benchmark/benchmark.h>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "micro/queues.hpp"

namespace shmring::bench {

namespace {

constexpr std::uint64_t kItemsPerRound = std::uint64_t{1} << 18;

// One round: every producer pushes 1..n, every consumer pops n items (the totals match, so every
// item is taken exactly once), and the consumers' sum must equal the producers'.
template <class Queue>
bool round(Queue& queue, int pairs, std::uint64_t n, std::string& error) {
    std::atomic<std::uint64_t> sum{0};
    std::atomic<bool> failed{false};
    {
        std::vector<std::jthread> threads;
        for (int p = 0; p < pairs; ++p)
            threads.emplace_back([&, p] {
                try {
                    for (std::uint64_t i = 1; i <= n; ++i) queue.push(p, i);
                } catch (const std::exception&) {
                    // Relaxed: read after the join, which orders it.
                    failed.store(true, std::memory_order_relaxed);
                }
            });
        for (int c = 0; c < pairs; ++c)
            threads.emplace_back([&, c] {
                std::uint64_t local = 0;
                try {
                    for (std::uint64_t i = 0; i < n; ++i) local += queue.pop(c);
                } catch (const std::exception&) {
                    failed.store(true, std::memory_order_relaxed);  // as above
                }
                // Relaxed: read after the join, which orders it.
                sum.fetch_add(local, std::memory_order_relaxed);
            });
    }
    const std::uint64_t expected = static_cast<std::uint64_t>(pairs) * (n * (n + 1) / 2);
    if (failed.load(std::memory_order_relaxed)) error = "a queue operation failed";
    else if (sum.load(std::memory_order_relaxed) != expected) error = "items lost or duplicated";
    return error.empty();
}

template <class Queue>
void transfer(benchmark::State& state) {
    const int pairs = static_cast<int>(state.range(0));
    const std::uint64_t n = kItemsPerRound / static_cast<std::uint64_t>(pairs);
    std::optional<Queue> queue;
    try {
        queue.emplace(pairs);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    for (auto _ : state) {
        std::string error;
        if (!round(*queue, pairs, n, error)) {
            state.SkipWithError(error.c_str());
            return;
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n) * pairs);
    state.counters["producers"] = pairs;
    state.counters["consumers"] = pairs;
}

void threads(benchmark::internal::Benchmark* b) {
    b->ArgName("pairs")->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(transfer<ShmringSpscPairs>)->Name("shmring_spsc")->Apply(threads);
BENCHMARK(transfer<ShmringMpmc>)->Name("shmring_mpmc")->Apply(threads);
BENCHMARK(transfer<TbbQueue>)->Name("tbb_concurrent_bounded_queue")->Apply(threads);
BENCHMARK(transfer<MutexQueue>)->Name("mutex_condvar_queue")->Apply(threads);

}  // namespace shmring::bench

BENCHMARK_MAIN();
