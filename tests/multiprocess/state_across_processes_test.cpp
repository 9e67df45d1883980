// Cells, locks and semaphores between processes that run flat out, die (SIGKILL at any point),
// stop (SIGSTOP) and exec: every value checked end to end (checksums), every count exact.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "shmring/cell.hpp"
#include "shmring/lock.hpp"
#include "shmring/semaphore.hpp"
#include "stress/child_process.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using testing::RingName;
using testing::SharedArray;
using testing::spawn;

// ---- checksummed values ------------------------------------------------------------------------
// A value of 8 bytes: its id (writer and sequence) and a check byte of the id. A longer one: its
// id, a checksum of the rest, then bytes drawn from a generator seeded by the id. A copy mixing two
// values, or cut short, fails the check.
std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

std::vector<std::byte> make_value(std::uint64_t id, std::size_t length) {
    std::vector<std::byte> value(length);
    if (length == 8) {
        const std::uint64_t word = (id << 8) | (mix(id) & 0xFF);
        std::memcpy(value.data(), &word, 8);
        return value;
    }
    std::uint64_t state = mix(id) | 1, sum = 0;
    for (std::size_t i = 16; i + 8 <= length; i += 8) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        std::memcpy(value.data() + i, &state, 8);
        sum = mix(sum ^ state);
    }
    std::memcpy(value.data(), &id, 8);
    std::memcpy(value.data() + 8, &sum, 8);
    return value;
}

bool intact(std::span<const std::byte> value) {
    if (value.size() == 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, value.data(), 8);
        return (mix(word >> 8) & 0xFF) == (word & 0xFF);
    }
    if (value.size() < 16 || value.size() % 8 != 0) return false;
    std::uint64_t sum = 0, expected = 0;
    for (std::size_t i = 16; i < value.size(); i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, value.data() + i, 8);
        sum = mix(sum ^ word);
    }
    std::memcpy(&expected, value.data() + 8, 8);
    return sum == expected;
}

constexpr std::size_t kValueSizes[] = {8, 4096, std::size_t{1} << 20};

// Waits for a forked child, bounded; kills it at the limit. Its exit status, or -1.
int reap(pid_t pid, std::chrono::seconds limit = 60s) {
    const auto give_up = Clock::now() + limit;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (Clock::now() >= give_up) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(1ms);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Waits (bounded) until `flag` is set by a child.
bool wait_for(std::atomic<int>& flag, std::chrono::milliseconds limit = 10'000ms) {
    const auto give_up = Clock::now() + limit;
    while (flag.load() == 0) {
        if (Clock::now() >= give_up) return false;
        std::this_thread::sleep_for(100us);
    }
    return true;
}

// ---- cell ---------------------------------------------------------------------------------------

TEST(StateAcrossProcesses, cellShouldGiveFourReadersNoTornValueFromTwoWritersForTenSeconds) {
    RingName name("cellmp");
    ASSERT_TRUE(create_cell(name, kValueSizes[2]));
    constexpr int kWriters = 2, kReaders = 4;
    // Per reader: reads, torn, versions gone back, reads of each size; per writer: writes.
    SharedArray<std::atomic<std::uint64_t>> results(kReaders * 6 + kWriters + 1);
    auto& stop = results[kReaders * 6 + kWriters];
    std::vector<pid_t> children;
    for (int w = 0; w < kWriters; ++w)
        children.push_back(spawn([&, w] {
            auto cell = Cell::attach(name);
            if (!cell) return 2;
            for (std::uint64_t n = 0; stop.load() == 0; ++n) {
                const auto value = make_value((n << 1) | static_cast<std::uint64_t>(w), kValueSizes[n % 3]);
                if (cell->write(value) != Status::ok) return 3;
                results[kReaders * 6 + w].fetch_add(1);
            }
            return 0;
        }));
    for (int r = 0; r < kReaders; ++r)
        children.push_back(spawn([&, r] {
            auto cell = Cell::attach(name);
            if (!cell) return 2;
            std::vector<std::byte> buffer(kValueSizes[2]);
            std::uint64_t last = 0;
            auto* mine = &results[r * 6];
            while (stop.load() == 0) {
                std::size_t length = 0;
                std::uint64_t version = 0;
                if (cell->read(buffer, length, version) != Status::ok) return 3;
                if (version == 0) continue;
                mine[0].fetch_add(1);
                if (!intact(std::span(buffer).first(length))) mine[1].fetch_add(1);
                if (version < last) mine[2].fetch_add(1);
                last = version;
                for (int s = 0; s < 3; ++s)
                    if (length == kValueSizes[s]) mine[3 + s].fetch_add(1);
            }
            return 0;
        }));
    std::this_thread::sleep_for(10s);
    stop.store(1);
    for (const pid_t child : children) EXPECT_EQ(reap(child), 0);
    for (int r = 0; r < kReaders; ++r) {
        SCOPED_TRACE("reader " + std::to_string(r));
        EXPECT_GT(results[r * 6].load(), 0U);
        EXPECT_EQ(results[r * 6 + 1].load(), 0U) << "torn reads";
        EXPECT_EQ(results[r * 6 + 2].load(), 0U) << "versions that went back";
        for (int s = 0; s < 3; ++s) EXPECT_GT(results[r * 6 + 3 + s].load(), 0U) << "reads of " << kValueSizes[s] << " bytes";
    }
    const std::uint64_t writes = results[kReaders * 6].load() + results[kReaders * 6 + 1].load();
    EXPECT_EQ(Cell::attach(name)->version(), writes) << "one version per write";
    std::printf("cell: %llu writes, reads per reader: %llu %llu %llu %llu\n", static_cast<unsigned long long>(writes),
                static_cast<unsigned long long>(results[0].load()), static_cast<unsigned long long>(results[6].load()),
                static_cast<unsigned long long>(results[12].load()), static_cast<unsigned long long>(results[18].load()));
}

TEST(StateAcrossProcesses, cellShouldKeepTheLastCompleteValueWhenAWriterIsKilledMidWrite) {
    RingName name("cellkill");
    ASSERT_TRUE(create_cell(name, kValueSizes[2]));
    auto cell = Cell::attach(name);
    ASSERT_TRUE(cell);
    std::mt19937 random(12345);
    std::vector<std::byte> buffer(kValueSizes[2]);
    constexpr int kTrials = 40;
    int killed_mid_write = 0;
    for (int trial = 0; trial < kTrials; ++trial) {
        SCOPED_TRACE("trial " + std::to_string(trial));
        SharedArray<std::atomic<int>> started(1);
        const pid_t writer = spawn([&] {
            auto mine = Cell::attach(name);
            if (!mine) return 2;
            // Values made beforehand: the writer spends its time writing.
            const auto a = make_value(1000 + trial, kValueSizes[2]), b = make_value(2000 + trial, kValueSizes[2]);
            started[0].store(1);
            for (std::uint64_t n = 0;; ++n) (void)mine->write(n % 2 ? a : b);
        });
        ASSERT_TRUE(wait_for(started[0]));
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
        ::kill(writer, SIGKILL);
        (void)reap(writer);
        const std::uint64_t published = cell->version();
        // The buffer of the next version says whether the kill came in the middle of writing it.
        if (detail::cell_buffer(cell->ring(), published + 1).sequence.load(std::memory_order_relaxed) ==
            layout::topic_stamp_writing(published + 1))
            ++killed_mid_write;
        std::size_t length = 0;
        std::uint64_t version = 0;
        ASSERT_EQ(cell->read(buffer, length, version), Status::ok);
        EXPECT_EQ(version, published);
        if (version != 0) {
            EXPECT_TRUE(intact(std::span(buffer).first(length))) << "version " << version;
        }
        const auto next = make_value(3000 + trial, 4096);
        ASSERT_EQ(cell->write(next, deadline_after(2s)), Status::ok) << "the next write takes the dead writer's turn";
        ASSERT_EQ(cell->read(buffer, length, version), Status::ok);
        EXPECT_EQ(version, published + 1);
        EXPECT_TRUE(std::equal(next.begin(), next.end(), buffer.begin()) && length == next.size());
    }
    std::printf("cell: %d of %d writers killed in the middle of a write\n", killed_mid_write, kTrials);
    EXPECT_GT(killed_mid_write, 0) << "no kill landed in a write: the test proved nothing";
}

// ---- lock ---------------------------------------------------------------------------------------

TEST(StateAcrossProcesses, lockShouldLetFourProcessesIncrementACounterAMillionTimesEachExactly) {
    RingName name("lockcount");
    ASSERT_TRUE(create_lock(name));
    SharedArray<std::uint64_t> counter(1);  // guarded by the lock alone
    constexpr int kProcesses = 4;
    constexpr int kIncrements = 1'000'000;
    std::vector<pid_t> children;
    const auto start = Clock::now();
    for (int p = 0; p < kProcesses; ++p)
        children.push_back(spawn([&] {
            auto lock = Lock::attach(name);
            if (!lock) return 2;
            volatile std::uint64_t* shared = &counter[0];
            for (int i = 0; i < kIncrements; ++i) {
                if (lock->acquire() != Status::ok) return 3;
                *shared = *shared + 1;
                if (lock->release() != Status::ok) return 4;
            }
            return 0;
        }));
    for (const pid_t child : children) EXPECT_EQ(reap(child, 100s), 0);
    EXPECT_EQ(counter[0], std::uint64_t{kProcesses} * kIncrements);
    std::printf("lock: %d x %d increments in %.2f s\n", kProcesses, kIncrements,
                std::chrono::duration<double>(Clock::now() - start).count());
}

// A child that takes the lock, says so, and then stays until killed (or `then` returns).
template <class Then>
pid_t holder(std::string_view name, std::atomic<int>& held, Then then) {
    return spawn([&] {
        auto lock = Lock::attach(name);
        if (!lock) return 2;
        const Status status = lock->acquire();
        if (status != Status::ok && status != Status::owner_died) return 3;
        held.store(1);
        return then(*lock);
    });
}
int stay(Lock&) {
    for (;;) ::pause();
}

TEST(StateAcrossProcesses, lockShouldPassToTheNextAcquirerWithOwnerDiedWithin250MsOfTheHoldersDeath) {
    RingName name("lockkill");
    ASSERT_TRUE(create_lock(name));
    auto waiter = Lock::attach(name);
    ASSERT_TRUE(waiter);
    std::mt19937 random(777);
    std::chrono::nanoseconds worst{0};
    constexpr int kTrials = 20;
    for (int trial = 0; trial < kTrials; ++trial) {
        SCOPED_TRACE("trial " + std::to_string(trial));
        SharedArray<std::atomic<int>> held(1);
        const pid_t victim = holder(name, held[0], stay);
        ASSERT_TRUE(wait_for(held[0]));
        Status status = Status::again;
        Deadline acquired{};
        std::thread blocked([&] {
            status = waiter->acquire(deadline_after(5s));
            acquired = Clock::now();
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 30));
        const Deadline killed = Clock::now();
        ::kill(victim, SIGKILL);
        blocked.join();
        (void)reap(victim);
        ASSERT_EQ(status, Status::owner_died);
        worst = std::max(worst, acquired - killed);
        EXPECT_LT(acquired - killed, 250ms);
        // The repair, then work goes on as before.
        ASSERT_EQ(waiter->make_consistent(), Status::ok);
        ASSERT_EQ(waiter->release(), Status::ok);
        ASSERT_EQ(waiter->acquire(deadline_after(1s)), Status::ok);
        ASSERT_EQ(waiter->release(), Status::ok);
    }
    std::printf("lock: owner death noticed within %.1f ms at worst (%d trials)\n",
                std::chrono::duration<double, std::milli>(worst).count(), kTrials);
}

TEST(StateAcrossProcesses, lockShouldBecomeUnrecoverableForEveryProcessWhenNotRepaired) {
    RingName name("lockunrecoverable");
    ASSERT_TRUE(create_lock(name));
    SharedArray<std::atomic<int>> held(1);
    const pid_t victim = holder(name, held[0], stay);
    ASSERT_TRUE(wait_for(held[0]));
    ::kill(victim, SIGKILL);
    (void)reap(victim);
    auto heir = Lock::attach(name);
    ASSERT_TRUE(heir);
    ASSERT_EQ(heir->acquire(deadline_after(2s)), Status::owner_died);
    ASSERT_EQ(heir->release(), Status::ok);  // without make_consistent
    const pid_t late = spawn([&] {
        auto lock = Lock::attach(name);
        return lock && lock->acquire(deadline_after(2s)) == Status::not_recoverable ? 0 : 1;
    });
    EXPECT_EQ(reap(late), 0) << "another process finds it not recoverable";
    EXPECT_EQ(heir->acquire(deadline_after(1s)), Status::not_recoverable);
}

TEST(StateAcrossProcesses, lockShouldWaitForAStoppedHolderNotOvertakeIt) {
    RingName name("lockstop");
    ASSERT_TRUE(create_lock(name));
    SharedArray<std::atomic<int>> flags(2);  // held, release now
    const pid_t stopped = holder(name, flags[0], [&](Lock& lock) {
        while (flags[1].load() == 0) std::this_thread::sleep_for(1ms);
        return lock.release() == Status::ok ? 0 : 5;
    });
    ASSERT_TRUE(wait_for(flags[0]));
    ::kill(stopped, SIGSTOP);
    auto waiter = Lock::attach(name);
    ASSERT_TRUE(waiter);
    EXPECT_EQ(waiter->acquire(deadline_after(400ms)), Status::timed_out) << "a stopped holder lives";
    flags[1].store(1);
    ::kill(stopped, SIGCONT);
    EXPECT_EQ(waiter->acquire(deadline_after(5s)), Status::ok) << "its release is an ordinary one";
    EXPECT_EQ(reap(stopped), 0);
}

TEST(StateAcrossProcesses, lockShouldPassOnWithOwnerDiedWhenTheHolderExecs) {
    RingName name("lockexec");
    ASSERT_TRUE(create_lock(name));
    SharedArray<std::atomic<int>> held(1);
    const pid_t exec = holder(name, held[0], [](Lock&) {
        ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
        return 6;
    });
    ASSERT_TRUE(wait_for(held[0]));
    auto heir = Lock::attach(name);
    ASSERT_TRUE(heir);
    EXPECT_EQ(heir->acquire(deadline_after(2s)), Status::owner_died);
    EXPECT_EQ(::kill(exec, 0), 0) << "the process lives on as another program";
    ::kill(exec, SIGKILL);
    (void)reap(exec);
}

// ---- semaphore ----------------------------------------------------------------------------------

TEST(StateAcrossProcesses, semaphoreShouldLoseNoCountToKilledWaitersAndHandEveryPostToOneWaiter) {
    RingName name("semmp");
    ASSERT_TRUE(create_semaphore(name, 0, 64));
    auto sem = Semaphore::attach(name);
    ASSERT_TRUE(sem);
    // Waiters killed while they wait on a zero count.
    constexpr int kVictims = 3;
    std::vector<pid_t> victims;
    for (int v = 0; v < kVictims; ++v)
        victims.push_back(spawn([&] {
            auto mine = Semaphore::attach(name);
            return mine && mine->wait() == Status::ok ? 7 : 8;
        }));
    const auto asleep = [&] { return __builtin_popcountll(sem->event().sleepers.load(std::memory_order_relaxed)); };
    for (int i = 0; i < 5000 && asleep() < kVictims; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(asleep(), kVictims) << "the victims sleep in their wait";
    for (const pid_t victim : victims) {
        ::kill(victim, SIGKILL);
        EXPECT_EQ(reap(victim), -1) << "killed, not woken";
    }
    constexpr int kLeft = 10;
    for (int i = 0; i < kLeft; ++i) ASSERT_EQ(sem->post(), Status::ok);
    EXPECT_EQ(sem->value(), static_cast<std::uint32_t>(kLeft)) << "no count lost or invented";

    // Two producers and two consumers, a maximum of 64 in between.
    constexpr int kPerProcess = 100'000;
    SharedArray<std::atomic<std::uint64_t>> taken(2);
    std::vector<pid_t> children;
    for (int p = 0; p < 2; ++p)
        children.push_back(spawn([&] {
            auto mine = Semaphore::attach(name);
            if (!mine) return 2;
            for (int i = 0; i < kPerProcess; ++i) {
                Status status;
                while ((status = mine->post()) == Status::overflow) std::this_thread::yield();
                if (status != Status::ok) return 3;
            }
            return 0;
        }));
    for (int c = 0; c < 2; ++c)
        children.push_back(spawn([&, c] {
            auto mine = Semaphore::attach(name);
            if (!mine) return 2;
            for (int i = 0; i < kPerProcess; ++i) {
                if (mine->wait(deadline_after(30s)) != Status::ok) return 3;
                taken[c].fetch_add(1);
            }
            return 0;
        }));
    for (const pid_t child : children) EXPECT_EQ(reap(child), 0);
    EXPECT_EQ(taken[0].load() + taken[1].load(), 2U * kPerProcess);
    EXPECT_EQ(sem->value(), static_cast<std::uint32_t>(kLeft));
}

}  // namespace
}  // namespace shmring
