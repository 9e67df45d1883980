// Cells, locks and semaphores within one process: every outcome of every call, corrupt segments,
// and threads with handles of their own (the ThreadSanitizer build checks the hand-offs).
// tests/multiprocess/state_across_processes_test.cpp puts them between processes that die.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "shmring/cell.hpp"
#include "shmring/lock.hpp"
#include "shmring/semaphore.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using testing::bytes_of;
using testing::RingName;

template <class Handle>
Handle attached(std::string_view name) {
    auto handle = Handle::attach(name);
    EXPECT_TRUE(handle) << handle.error().message();
    return std::move(*handle);
}

// A value whose every 8-byte word carries its writer's sequence `n`, and whose length depends on
// n: a torn or mixed copy shows.
std::vector<std::byte> value_of(std::uint64_t n, std::size_t length) {
    std::vector<std::byte> value(length);
    for (std::size_t i = 0; i + 8 <= length; i += 8) std::memcpy(value.data() + i, &n, 8);
    return value;
}
bool intact(std::span<const std::byte> value, std::size_t length) {
    if (value.size() != length || length < 8) return false;
    std::uint64_t first = 0;
    std::memcpy(&first, value.data(), 8);
    for (std::size_t i = 0; i + 8 <= length; i += 8)
        if (std::memcmp(value.data() + i, &first, 8) != 0) return false;
    return true;
}

TEST(Cell, shouldReadNothingBeforeTheFirstWriteThenEachLatestValueWithItsVersion) {
    RingName name("cell");
    ASSERT_TRUE(create_cell(name, 64));
    auto cell = attached<Cell>(name);
    std::byte buffer[64];
    std::size_t length = 99;
    std::uint64_t version = 99;
    ASSERT_EQ(cell.read(buffer, length, version), Status::ok);
    EXPECT_EQ(length, 0U);
    EXPECT_EQ(version, 0U);
    for (int i = 1; i <= 10; ++i) {  // more writes than buffers
        const std::string text = "value " + std::to_string(i);
        ASSERT_EQ(cell.write(bytes_of(text)), Status::ok);
        ASSERT_EQ(cell.read(buffer, length, version), Status::ok);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer), length), text);
        EXPECT_EQ(version, static_cast<std::uint64_t>(i));
        EXPECT_EQ(cell.version(), version);
    }
    ASSERT_EQ(cell.write({}), Status::ok);  // an empty value is a value
    ASSERT_EQ(cell.read(buffer, length, version), Status::ok);
    EXPECT_EQ(length, 0U);
    EXPECT_EQ(version, 11U);
}

TEST(Cell, shouldRefuseValuesAboveItsSizeAndSayTheLengthToABufferTooShort) {
    RingName name("cellsize");
    ASSERT_TRUE(create_cell(name, 16));
    auto cell = attached<Cell>(name);
    EXPECT_EQ(cell.max_size(), 16U);
    EXPECT_EQ(cell.write(bytes_of(std::string(17, 'x'))), Status::too_large);
    EXPECT_EQ(cell.version(), 0U) << "nothing was written";
    ASSERT_EQ(cell.write(bytes_of("0123456789")), Status::ok);
    std::byte small[4];
    std::size_t length = 0;
    std::uint64_t version = 0;
    EXPECT_EQ(cell.read(small, length, version), Status::too_large);
    EXPECT_EQ(length, 10U);
    EXPECT_EQ(version, 1U);
    EXPECT_FALSE(create_cell(RingName("cellzero"), 0));
    EXPECT_FALSE(create_cell(RingName("cellhuge"), layout::kMaxCellValue + 1));
}

TEST(Cell, shouldWaitForAVersionNewerThanTheOneSeen) {
    RingName name("cellwait");
    ASSERT_TRUE(create_cell(name, 8));
    auto reader = attached<Cell>(name);
    std::uint64_t newer = 0;
    EXPECT_EQ(reader.wait_newer(0, newer, kTryOnce), Status::again);
    EXPECT_EQ(reader.wait_newer(0, newer, deadline_after(20ms)), Status::timed_out);
    std::thread writer([&] {
        auto cell = attached<Cell>(name);
        std::this_thread::sleep_for(30ms);
        EXPECT_EQ(cell.write(bytes_of("12345678")), Status::ok);
    });
    EXPECT_EQ(reader.wait_newer(0, newer, deadline_after(10s)), Status::ok);
    EXPECT_EQ(newer, 1U);
    writer.join();
    EXPECT_EQ(reader.wait_newer(1, newer, kTryOnce), Status::again);
}

TEST(Cell, shouldNeverTearAValueBetweenThreadsAndKeepVersionsGrowing) {
    RingName name("celltorn");
    constexpr std::size_t kSizes[] = {8, 512, 4096};
    ASSERT_TRUE(create_cell(name, 4096));
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> reads{0}, torn{0}, backwards{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < 2; ++w)
        threads.emplace_back([&, w] {
            auto cell = attached<Cell>(name);
            for (std::uint64_t n = 1; !stop.load(std::memory_order_relaxed); ++n) {
                const std::uint64_t stamp = n * 2 + static_cast<std::uint64_t>(w);
                ASSERT_EQ(cell.write(value_of(stamp, kSizes[stamp % 3])), Status::ok);
            }
        });
    for (int r = 0; r < 2; ++r)
        threads.emplace_back([&] {
            auto cell = attached<Cell>(name);
            std::vector<std::byte> buffer(4096);
            std::uint64_t last = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                std::size_t length = 0;
                std::uint64_t version = 0;
                ASSERT_EQ(cell.read(buffer, length, version), Status::ok);
                if (version == 0) continue;
                std::uint64_t stamp = 0;
                std::memcpy(&stamp, buffer.data(), 8);
                if (!intact(std::span(buffer).first(length), kSizes[stamp % 3])) torn.fetch_add(1);
                if (version < last) backwards.fetch_add(1);
                last = version;
                reads.fetch_add(1, std::memory_order_relaxed);
            }
        });
    std::this_thread::sleep_for(400ms);
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_GT(reads.load(), 0U);
    EXPECT_EQ(torn.load(), 0U);
    EXPECT_EQ(backwards.load(), 0U);
}

TEST(Cell, shouldCallTheSegmentCorruptWhenItsVersionOrLengthLies) {
    RingName name("cellcorrupt");
    ASSERT_TRUE(create_cell(name, 16));
    auto cell = attached<Cell>(name);
    ASSERT_EQ(cell.write(bytes_of("ok")), Status::ok);
    std::byte buffer[16];
    std::size_t length = 0;
    std::uint64_t version = 0;
    // A latest version whose buffer holds an older one.
    detail::cell_block(cell.ring()).latest.store(5, std::memory_order_relaxed);
    EXPECT_EQ(cell.read(buffer, length, version), Status::corrupt);
    // A complete buffer longer than any value.
    detail::cell_block(cell.ring()).latest.store(1, std::memory_order_relaxed);
    detail::cell_buffer(cell.ring(), 1).length.store(1U << 30, std::memory_order_relaxed);
    EXPECT_EQ(cell.read(buffer, length, version), Status::corrupt);
    EXPECT_NE(cell.ring().control().corrupt.load(std::memory_order_relaxed), 0U);
}

TEST(Lock, shouldTakeAFreeLockAndRefuseEveryoneElseUntilReleased) {
    RingName name("lock");
    ASSERT_TRUE(create_lock(name));
    auto a = attached<Lock>(name);
    auto b = attached<Lock>(name);
    EXPECT_EQ(a.release(), Status::not_owner);
    EXPECT_EQ(a.try_acquire(), Status::ok);
    EXPECT_TRUE(a.held());
    EXPECT_EQ(a.try_acquire(), Status::deadlock);
    EXPECT_EQ(b.try_acquire(), Status::again);
    EXPECT_EQ(b.acquire(deadline_after(20ms)), Status::timed_out);
    EXPECT_EQ(b.release(), Status::not_owner);
    EXPECT_EQ(b.make_consistent(), Status::not_owner);
    EXPECT_EQ(a.release(), Status::ok);
    EXPECT_FALSE(a.held());
    {
        LockGuard guard(b);
        EXPECT_TRUE(guard.owns());
        EXPECT_FALSE(guard.previous_owner_died());
        EXPECT_EQ(a.try_acquire(), Status::again);
    }
    EXPECT_EQ(a.try_acquire(), Status::ok) << "the guard released it";
    EXPECT_EQ(a.release(), Status::ok);
}

TEST(Lock, shouldHandALockClosedWhileHeldOnAsADeathAndBecomeUnrecoverableUnrepaired) {
    RingName name("lockdeath");
    ASSERT_TRUE(create_lock(name));
    auto waiter = attached<Lock>(name);
    {
        auto holder = attached<Lock>(name);
        ASSERT_EQ(holder.acquire(), Status::ok);
    }  // closed while held
    ASSERT_EQ(waiter.acquire(deadline_after(1s)), Status::owner_died);
    ASSERT_EQ(waiter.make_consistent(), Status::ok);
    ASSERT_EQ(waiter.release(), Status::ok);
    ASSERT_EQ(waiter.acquire(deadline_after(1s)), Status::ok) << "repaired: an ordinary lock again";
    ASSERT_EQ(waiter.release(), Status::ok);
    {
        auto holder = attached<Lock>(name);
        ASSERT_EQ(holder.acquire(), Status::ok);
    }
    auto other = attached<Lock>(name);
    ASSERT_EQ(waiter.acquire(deadline_after(1s)), Status::owner_died);
    std::thread blocked([&] { EXPECT_EQ(other.acquire(deadline_after(10s)), Status::not_recoverable); });
    std::this_thread::sleep_for(20ms);
    ASSERT_EQ(waiter.release(), Status::ok);  // unrepaired
    blocked.join();
    EXPECT_EQ(waiter.acquire(deadline_after(1s)), Status::not_recoverable);
    EXPECT_EQ(waiter.try_acquire(), Status::not_recoverable);
    EXPECT_FALSE(waiter.held());
}

TEST(Lock, shouldExcludeThreadsWithHandlesOfTheirOwn) {
    RingName name("lockthreads");
    ASSERT_TRUE(create_lock(name));
    constexpr int kThreads = 3;
    constexpr int kIncrements = 20'000;
    // The counter lives in the segment, in the lock block's spare bytes, as shared state guarded by
    // a lock lives in shared memory: each handle maps the segment at its own address, so
    // ThreadSanitizer, which tracks synchronisation by address, sees neither the hand-offs nor the
    // accesses meet. The count checks the exclusion.
    const auto counter_of = [](const Lock& lock) {
        return reinterpret_cast<volatile std::uint64_t*>(reinterpret_cast<std::byte*>(lock.ring().data()) + sizeof(layout::OwnerLock));
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            auto lock = attached<Lock>(name);
            volatile std::uint64_t* counter = counter_of(lock);
            for (int i = 0; i < kIncrements; ++i) {
                ASSERT_EQ(lock.acquire(), Status::ok);
                *counter = *counter + 1;
                ASSERT_EQ(lock.release(), Status::ok);
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(*counter_of(attached<Lock>(name)), std::uint64_t{kThreads} * kIncrements);
}

TEST(Lock, shouldCallAHolderWordNamingNoEntryCorrupt) {
    RingName name("lockcorrupt");
    ASSERT_TRUE(create_lock(name));
    auto lock = attached<Lock>(name);
    owner_lock_of(lock.ring()).holder.store(layout::role_word(1, 200), std::memory_order_relaxed);
    EXPECT_EQ(lock.acquire(deadline_after(1s)), Status::corrupt);
    owner_lock_of(lock.ring()).holder.store(0, std::memory_order_relaxed);
    owner_lock_of(lock.ring()).consistency.store(7, std::memory_order_relaxed);
    EXPECT_EQ(lock.try_acquire(), Status::corrupt);
    EXPECT_FALSE(lock.held());
}

TEST(Semaphore, shouldCountBetweenItsInitialValueAndItsMaximum) {
    RingName name("sem");
    ASSERT_TRUE(create_semaphore(name, 2, 3));
    auto sem = attached<Semaphore>(name);
    EXPECT_EQ(sem.value(), 2U);
    EXPECT_EQ(sem.maximum(), 3U);
    EXPECT_EQ(sem.post(), Status::ok);
    EXPECT_EQ(sem.post(), Status::overflow);
    EXPECT_EQ(sem.value(), 3U);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(sem.try_wait(), Status::ok);
    EXPECT_EQ(sem.try_wait(), Status::again);
    EXPECT_EQ(sem.wait(deadline_after(20ms)), Status::timed_out);
    EXPECT_FALSE(create_semaphore(RingName("semzero"), 0, 0));
    EXPECT_FALSE(create_semaphore(RingName("semabove"), 5, 4));
    EXPECT_FALSE(create_semaphore(RingName("semhuge"), 0, static_cast<std::uint32_t>(layout::kMaxSemaphoreCount) + 1));
    reinterpret_cast<layout::SemaphoreBlock*>(sem.ring().data())->count.store(9, std::memory_order_relaxed);
    EXPECT_EQ(sem.try_wait(), Status::corrupt);
    EXPECT_EQ(sem.post(), Status::corrupt);
}

TEST(Semaphore, shouldHandEveryPostToExactlyOneWaiterBetweenThreads) {
    RingName name("semthreads");
    ASSERT_TRUE(create_semaphore(name, 0, 8));
    constexpr int kPerThread = 20'000;
    std::atomic<int> taken{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&] {
            auto sem = attached<Semaphore>(name);
            for (int i = 0; i < kPerThread; ++i) {
                Status status;
                while ((status = sem.post()) == Status::overflow) std::this_thread::yield();
                ASSERT_EQ(status, Status::ok);
            }
        });
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&] {
            auto sem = attached<Semaphore>(name);
            for (int i = 0; i < kPerThread; ++i) {
                ASSERT_EQ(sem.wait(deadline_after(30s)), Status::ok);
                taken.fetch_add(1, std::memory_order_relaxed);
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(taken.load(), 2 * kPerThread);
    EXPECT_EQ(attached<Semaphore>(name).value(), 0U);
}

// A poster or writer that dies (or stops) between publishing and waking leaves its sleepers to
// find what it published by themselves, within a probe interval: they sleep that long at most.
TEST(SharedState, shouldWakeWaitersWhoseWakeUpNeverCameWithinAProbeInterval) {
    RingName sem_name("semnowake"), cell_name("cellnowake");
    ASSERT_TRUE(create_semaphore(sem_name, 0, 1));
    ASSERT_TRUE(create_cell(cell_name, 8));
    EndpointOptions blocking;
    blocking.wait = WaitStrategy::block;
    auto sem = Semaphore::attach(sem_name, blocking);
    auto cell = Cell::attach(cell_name, blocking);
    ASSERT_TRUE(sem && cell);
    Status sem_status = Status::again, cell_status = Status::again;
    Deadline sem_done{}, cell_done{};
    std::uint64_t newer = 0;
    std::thread sem_waiter([&] {
        sem_status = sem->wait(deadline_after(10s));
        sem_done = Clock::now();
    });
    std::thread cell_waiter([&] {
        cell_status = cell->wait_newer(0, newer, deadline_after(10s));
        cell_done = Clock::now();
    });
    std::this_thread::sleep_for(100ms);  // both asleep
    // What a post and a write store before their wake-up, and then no wake-up.
    const auto published = Clock::now();
    reinterpret_cast<layout::SemaphoreBlock*>(sem->ring().data())->count.store(1, std::memory_order_release);
    (void)detail::cell_publish(cell->ring(), bytes_of("whatever"));
    sem_waiter.join();
    cell_waiter.join();
    EXPECT_EQ(sem_status, Status::ok);
    EXPECT_EQ(cell_status, Status::ok);
    EXPECT_EQ(newer, 1U);
    EXPECT_LT(sem_done - published, 1s);
    EXPECT_LT(cell_done - published, 1s);
}

TEST(SharedState, shouldRefuseToActInTheParentsNameAfterFork) {
    RingName lock_name("lockfork"), cell_name("cellfork");
    ASSERT_TRUE(create_lock(lock_name));
    ASSERT_TRUE(create_cell(cell_name, 8));
    auto lock = Lock::attach(lock_name);
    auto cell = Cell::attach(cell_name);
    ASSERT_TRUE(lock && cell);
    ASSERT_EQ(lock->acquire(), Status::ok);
    const pid_t child = ::fork();
    if (child == 0) {
        const bool refused = lock->release() == Status::not_owner && lock->try_acquire() == Status::not_owner &&
                             lock->make_consistent() == Status::not_owner && cell->write(bytes_of("child")) == Status::not_owner;
        ::_exit(refused ? 0 : 1);
    }
    int status = -1;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child's copies refused";
    EXPECT_TRUE(lock->held()) << "the parent still holds its lock";
    EXPECT_EQ(lock->release(), Status::ok);
    EXPECT_EQ(cell->version(), 0U);
}

TEST(SharedState, shouldRefuseToOpenASegmentOfAnotherKind) {
    RingName cell("kindcell"), lock("kindlock"), sem("kindsem");
    ASSERT_TRUE(create_cell(cell, 8));
    ASSERT_TRUE(create_lock(lock));
    ASSERT_TRUE(create_semaphore(sem, 0, 1));
    EXPECT_EQ(Lock::attach(cell).error().code(), Errc::wrong_kind);
    EXPECT_EQ(Semaphore::attach(lock).error().code(), Errc::wrong_kind);
    EXPECT_EQ(Cell::attach(sem).error().code(), Errc::wrong_kind);
    EXPECT_EQ(Cell::attach(sem).error().errno_value(), EPROTO);
    EXPECT_EQ(create_lock(lock).error().code(), Errc::exists);
}

}  // namespace
}  // namespace shmring
