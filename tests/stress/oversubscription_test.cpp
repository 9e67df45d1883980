// Far more processes than cores, all waiting adaptively: everything still arrives exactly once,
// and endpoints that have nothing to do stop using the CPU.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "shmring/mpmc_ring.hpp"
#include "shmring/spsc_ring.hpp"
#include "stress/child_process.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using testing::RingName;
using testing::SharedArray;

struct Tagged {
    std::uint32_t producer;
    std::uint32_t sequence;
    std::uint64_t check;  // a function of the two, so a torn or invented message is caught
};

std::uint64_t check_of(std::uint32_t producer, std::uint32_t sequence) {
    return (std::uint64_t{producer} << 32 | sequence) * 0x9E3779B97F4A7C15ULL;
}

// The same traffic through one Linux pipe shared by every writer and reader (writes of up to
// PIPE_BUF bytes are atomic, so messages stay whole); returns the seconds it took, or a negative
// value if a process failed.
double seconds_through_a_linux_pipe(std::uint32_t producers, std::uint32_t consumers, std::uint32_t per_producer) {
    int fds[2];
    if (::pipe(fds) != 0) return -1;
    SharedArray<std::atomic<std::uint32_t>> received(1);
    std::vector<pid_t> children;
    const auto start = Clock::now();
    const std::uint32_t total = producers * per_producer;
    for (std::uint32_t p = 0; p < producers; ++p) {
        children.push_back(testing::spawn([&, p] {
            ::close(fds[0]);
            for (std::uint32_t i = 0; i < per_producer; ++i) {
                const Tagged message{p, i, check_of(p, i)};
                if (::write(fds[1], &message, sizeof message) != static_cast<ssize_t>(sizeof message)) return 2;
            }
            return 0;
        }));
    }
    for (std::uint32_t c = 0; c < consumers; ++c) {
        children.push_back(testing::spawn([&] {
            ::close(fds[1]);
            Tagged message{};
            // Relaxed: a progress count; end of file (every writer closed) also ends the loop.
            while (received[0].load(std::memory_order_relaxed) < total) {
                const ssize_t n = ::read(fds[0], &message, sizeof message);
                if (n == 0) break;
                if (n != static_cast<ssize_t>(sizeof message) || message.check != check_of(message.producer, message.sequence)) return 3;
                received[0].fetch_add(1, std::memory_order_relaxed);
            }
            return 0;
        }));
    }
    ::close(fds[0]);
    ::close(fds[1]);
    const bool ok = testing::reap_all(children, 120s);
    return ok && received[0].load() == total ? std::chrono::duration<double>(Clock::now() - start).count() : -1;
}

TEST(Oversubscription, shouldDeliverExactlyOnceWithSixteenProducersAndSixteenConsumers) {
    constexpr std::uint32_t kProducers = 16, kConsumers = 16, kPerProducer = 100'000;
    RingName name("oversubscribed");
    ASSERT_TRUE(create_mpmc_ring(name, 64, sizeof(Tagged)));
    SharedArray<std::atomic<std::uint32_t>> deliveries(std::size_t{kProducers} * kPerProducer);
    SharedArray<std::atomic<std::uint32_t>> received(1);
    ASSERT_TRUE(deliveries && received);
    std::vector<pid_t> children;
    const auto start = Clock::now();
    for (std::uint32_t p = 0; p < kProducers; ++p) {
        children.push_back(testing::spawn([&, p] {
            auto producer = MpmcProducer::attach(name);
            if (!producer) return 1;
            for (std::uint32_t i = 0; i < kPerProducer; ++i) {
                const Tagged message{p, i, check_of(p, i)};
                if (producer->send(std::as_bytes(std::span(&message, 1))) != Status::ok) return 2;
            }
            return 0;
        }));
    }
    for (std::uint32_t c = 0; c < kConsumers; ++c) {
        children.push_back(testing::spawn([&] {
            auto consumer = MpmcConsumer::attach(name);
            if (!consumer) return 1;
            std::vector<std::int64_t> last(kProducers, -1);
            const std::uint32_t total = kProducers * kPerProducer;
            // Relaxed: a progress count shared by the consumers; the ring orders the messages.
            while (received[0].load(std::memory_order_relaxed) < total) {
                Tagged message{};
                std::size_t length = 0;
                const Status status = consumer->receive(std::as_writable_bytes(std::span(&message, 1)), length, deadline_after(100ms));
                if (status == Status::timed_out) continue;
                if (status != Status::ok || length != sizeof message || message.producer >= kProducers ||
                    message.sequence >= kPerProducer || message.check != check_of(message.producer, message.sequence))
                    return 3;
                if (static_cast<std::int64_t>(message.sequence) <= last[message.producer]) return 4;  // per-producer order
                last[message.producer] = message.sequence;
                deliveries[std::size_t{message.producer} * kPerProducer + message.sequence].fetch_add(1, std::memory_order_relaxed);
                received[0].fetch_add(1, std::memory_order_relaxed);
            }
            return 0;
        }));
    }
    ASSERT_TRUE(testing::reap_all(children, 120s)) << "a process failed or hung";
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double pipe_seconds = seconds_through_a_linux_pipe(kProducers, kConsumers, kPerProducer);
    // A figure, not an assertion: speed is the benchmark's business.
    std::printf("16x16 processes on %ld cores, %u messages of %zu bytes: shmring MPMC (adaptive) %.0f messages/s, "
                "Linux pipe %.0f messages/s, ratio %.1f\n",
                ::sysconf(_SC_NPROCESSORS_ONLN), kProducers * kPerProducer, sizeof(Tagged), kProducers * kPerProducer / seconds,
                kProducers * kPerProducer / pipe_seconds, pipe_seconds / seconds);
    for (std::size_t i = 0; i < deliveries.size(); ++i)
        ASSERT_EQ(deliveries[i].load(), 1U) << "message " << i << " of producer " << i / kPerProducer;
}

// CPU time (user + system) of a process so far, in clock ticks.
std::uint64_t cpu_ticks(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string skip;
    for (int field = 3; field < 14; ++field) fields >> skip;
    std::uint64_t user = 0, system = 0;
    fields >> user >> system;
    return user + system;
}

TEST(IdleCost, shouldUseNoCpuWhileEveryEndpointIsParked) {
    RingName spsc("idlespsc"), mpmc("idlempmc");
    ASSERT_TRUE(create_spsc_ring(spsc, 4096));
    ASSERT_TRUE(create_mpmc_ring(mpmc, 8, 8));
    std::vector<pid_t> children;
    const auto idle_consumer = [](auto attach) {
        return [attach] {
            auto consumer = attach();
            if (!consumer) return 1;
            std::byte buffer[8];
            std::size_t length = 0;
            (void)consumer->receive(buffer, length, deadline_after(30s));  // nothing will come
            return 0;
        };
    };
    children.push_back(testing::spawn(idle_consumer([&] { return SpscConsumer::attach(spsc); })));
    children.push_back(testing::spawn(idle_consumer([&] { return MpmcConsumer::attach(mpmc); })));
    children.push_back(testing::spawn(idle_consumer([&] { return MpmcConsumer::attach(mpmc); })));
    std::this_thread::sleep_for(300ms);  // past the adaptive spin, into the park
    std::vector<std::uint64_t> before;
    for (const pid_t child : children) before.push_back(cpu_ticks(child));
    constexpr auto kWindow = 2s;
    std::this_thread::sleep_for(kWindow);
    const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    for (std::size_t i = 0; i < children.size(); ++i) {
        const double share = static_cast<double>(cpu_ticks(children[i]) - before[i]) / ticks_per_second / 2.0;
        std::printf("parked endpoint %zu: %.2f%% of a core\n", i, share * 100);
        EXPECT_LT(share, 0.02) << "a parked endpoint keeps running";
    }
    for (const pid_t child : children) ::kill(child, SIGKILL);
    testing::reap_all(children, 5s);
}

}  // namespace
}  // namespace shmring
