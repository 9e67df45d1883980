// shmring-state-bench: cells, locks and semaphores beside what a C programmer would use instead,
// in the same run, between processes.
//
//   cell read      one process copying a 64-byte value: the cell, and a process-shared
//                  pthread_rwlock_t read lock around the same copy
//   cell contended a writer writing 64-byte values flat out, alone, then with 1 and 4 readers
//                  reading flat out: the writer's writes per second of wall time and per second of
//                  its own CPU time (on a 2-core machine the readers take CPU from the writer; the
//                  CPU-time rate shows what the readers' traffic itself costs it), and the readers'
//                  reads per second
//   lock           acquire + release uncontended, and two processes taking turns flat out (hand-offs
//                  per second): the lock beside a process-shared robust pthread_mutex_t
//   semaphore      post-to-wake: two processes ping-pong through two semaphores; half the round
//                  trip, with the adaptive and the blocking wait, beside POSIX named semaphores
//
// Each figure is the median over --reps runs (default 5; --quick: 3 runs of shorter loops); each
// ratio is the median of the runs' own ratios. --json FILE writes every figure.
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness/text_table.hpp"
#include "shmring/cell.hpp"
#include "shmring/lock.hpp"
#include "shmring/segment.hpp"
#include "shmring/semaphore.hpp"

namespace shmring::bench {
namespace {

using Seconds = std::chrono::duration<double>;

struct Settings {
    int reps = 5;
    double scale = 1.0;  // --quick: shorter loops
    std::string json;
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n == 0 ? 0.0 : n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double now_s() { return Seconds(Clock::now().time_since_epoch()).count(); }
double cpu_s() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Anonymous memory shared with forked children.
template <class T>
T* shared_block(std::size_t count = 1) {
    void* p = ::mmap(nullptr, sizeof(T) * count, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        std::perror("mmap");
        std::exit(2);
    }
    return new (p) T[count]();
}

template <class Body>
pid_t fork_child(Body body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        body();
        std::fflush(nullptr);
        ::_exit(0);
    }
    return pid;
}
void reap(pid_t pid) { ::waitpid(pid, nullptr, 0); }

std::string unique(const char* stem) { return std::string("bench.") + stem + "." + std::to_string(::getpid()); }

// ---- cell -----------------------------------------------------------------------------------------

// ns per read of a 64-byte value, one process.
double cell_read_ns(const std::string& name, long reads) {
    auto cell = Cell::attach(name);
    std::byte buffer[64];
    std::size_t length = 0;
    std::uint64_t version = 0;
    const double start = now_s();
    for (long i = 0; i < reads; ++i) {
        (void)cell->read(buffer, length, version);
        asm volatile("" : : "r"(buffer) : "memory");
    }
    return (now_s() - start) * 1e9 / static_cast<double>(reads);
}

double rwlock_read_ns(long reads) {
    struct Shared {
        pthread_rwlock_t lock;
        std::byte value[64];
    };
    auto* shared = shared_block<Shared>();
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_rwlock_init(&shared->lock, &attr);
    std::byte buffer[64];
    const double start = now_s();
    for (long i = 0; i < reads; ++i) {
        pthread_rwlock_rdlock(&shared->lock);
        std::memcpy(buffer, shared->value, sizeof buffer);
        pthread_rwlock_unlock(&shared->lock);
        asm volatile("" : : "r"(buffer) : "memory");
    }
    const double ns = (now_s() - start) * 1e9 / static_cast<double>(reads);
    ::munmap(shared, sizeof(Shared));
    return ns;
}

struct Contended {
    double writes_per_s;      // wall time
    double writes_per_cpu_s;  // the writer's own CPU time
    double reads_per_s;       // all readers together
};

Contended cell_contended(const std::string& name, int readers, double seconds) {
    struct Shared {
        std::atomic<int> stop;
        std::atomic<int> ready;
        std::atomic<std::uint64_t> reads;
        double writes_per_s, writes_per_cpu_s;
    };
    auto* shared = shared_block<Shared>();
    std::vector<pid_t> children;
    for (int r = 0; r < readers; ++r)
        children.push_back(fork_child([&] {
            auto cell = Cell::attach(name);
            std::byte buffer[64];
            std::size_t length = 0;
            std::uint64_t version = 0, reads = 0;
            shared->ready.fetch_add(1);
            while (shared->stop.load(std::memory_order_relaxed) == 0) {
                (void)cell->read(buffer, length, version);
                ++reads;
            }
            shared->reads.fetch_add(reads);
        }));
    while (shared->ready.load() < readers) std::this_thread::yield();
    children.push_back(fork_child([&] {
        auto cell = Cell::attach(name);
        std::byte value[64] = {};
        const double start = now_s(), cpu_start = cpu_s();
        std::uint64_t writes = 0;
        while (now_s() - start < seconds) {
            for (int i = 0; i < 256; ++i, ++writes) {
                std::memcpy(value, &writes, sizeof writes);
                (void)cell->write(value);
            }
        }
        shared->writes_per_s = static_cast<double>(writes) / (now_s() - start);
        shared->writes_per_cpu_s = static_cast<double>(writes) / (cpu_s() - cpu_start);
        shared->stop.store(1);
    }));
    for (const pid_t child : children) reap(child);
    const Contended result{shared->writes_per_s, shared->writes_per_cpu_s, static_cast<double>(shared->reads.load()) / seconds};
    ::munmap(shared, sizeof(Shared));
    return result;
}

// ---- lock -----------------------------------------------------------------------------------------

struct LockFigures {
    double uncontended_ns;
    double handoffs_per_s;  // two processes taking it in turns flat out
};

// Two processes, each taking the lock `rounds` times: acquisitions per second.
template <class Take, class Give>
double two_processes(long rounds, Take take, Give give) {
    auto* go = shared_block<std::atomic<int>>();
    std::vector<pid_t> children;
    for (int p = 0; p < 2; ++p)
        children.push_back(fork_child([&] {
            while (go->load() == 0) std::this_thread::yield();
            for (long i = 0; i < rounds; ++i) {
                take();
                give();
            }
        }));
    const double start = now_s();
    go->store(1);
    for (const pid_t child : children) reap(child);
    const double rate = 2.0 * static_cast<double>(rounds) / (now_s() - start);
    ::munmap(go, sizeof(std::atomic<int>));
    return rate;
}

LockFigures shmring_lock(const std::string& name, long rounds) {
    auto lock = Lock::attach(name);
    const double start = now_s();
    for (long i = 0; i < rounds; ++i) {
        (void)lock->acquire();
        (void)lock->release();
    }
    const double ns = (now_s() - start) * 1e9 / static_cast<double>(rounds);
    std::optional<Lock> mine;  // each child's own handle
    const double rate = two_processes(
        rounds / 4,
        [&] {
            if (!mine) mine.emplace(Lock::attach(name).value());
            (void)mine->acquire();
        },
        [&] { (void)mine->release(); });
    return {ns, rate};
}

LockFigures robust_mutex(long rounds) {
    auto* mutex = shared_block<pthread_mutex_t>();
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(mutex, &attr);
    const double start = now_s();
    for (long i = 0; i < rounds; ++i) {
        pthread_mutex_lock(mutex);
        pthread_mutex_unlock(mutex);
    }
    const double ns = (now_s() - start) * 1e9 / static_cast<double>(rounds);
    const double rate = two_processes(rounds / 4, [&] { pthread_mutex_lock(mutex); }, [&] { pthread_mutex_unlock(mutex); });
    ::munmap(mutex, sizeof(pthread_mutex_t));
    return {ns, rate};
}

// ---- semaphore ------------------------------------------------------------------------------------

// Half the round trip, in ns: the parent posts `ping` and waits on `pong`, the child the reverse.
template <class Open, class Post, class Wait>
double ping_pong(long rounds, Open open, Post post, Wait wait) {
    const pid_t child = fork_child([&] {
        auto handles = open();
        for (long i = 0; i < rounds; ++i) {
            wait(handles, 0);
            post(handles, 1);
        }
    });
    auto handles = open();
    const double start = now_s();
    for (long i = 0; i < rounds; ++i) {
        post(handles, 0);
        wait(handles, 1);
    }
    const double ns = (now_s() - start) * 1e9 / static_cast<double>(rounds) / 2;
    reap(child);
    return ns;
}

double shmring_semaphores(const std::string& ping, const std::string& pong, long rounds, WaitStrategy strategy) {
    EndpointOptions options;
    options.wait = strategy;
    return ping_pong(
        rounds,
        [&] {
            std::vector<Semaphore> both;
            both.push_back(Semaphore::attach(ping, options).value());
            both.push_back(Semaphore::attach(pong, options).value());
            return both;
        },
        [](std::vector<Semaphore>& both, int which) { (void)both[which].post(); },
        [](std::vector<Semaphore>& both, int which) { (void)both[which].wait(); });
}

double posix_semaphores(long rounds) {
    const std::string ping = "/" + unique("ping"), pong = "/" + unique("pong");
    sem_t* a = ::sem_open(ping.c_str(), O_CREAT | O_EXCL, 0600, 0);
    sem_t* b = ::sem_open(pong.c_str(), O_CREAT | O_EXCL, 0600, 0);
    const double ns = ping_pong(
        rounds, [&] { return std::vector<sem_t*>{a, b}; }, [](std::vector<sem_t*>& both, int which) { ::sem_post(both[which]); },
        [](std::vector<sem_t*>& both, int which) {
            while (::sem_wait(both[which]) != 0) {
            }
        });
    ::sem_close(a);
    ::sem_close(b);
    ::sem_unlink(ping.c_str());
    ::sem_unlink(pong.c_str());
    return ns;
}

// ---- report ---------------------------------------------------------------------------------------

std::string fixed(double value, int digits = 1) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}
std::string millions(double value) { return fixed(value / 1e6, 2) + " M"; }

int run(const Settings& settings) {
    const long reads = static_cast<long>(20'000'000 * settings.scale);
    const long rounds = static_cast<long>(4'000'000 * settings.scale);
    const long pings = static_cast<long>(20'000 * settings.scale);
    const double seconds = 1.0 * settings.scale;
    const std::string cell = unique("cell"), lock = unique("lock"), ping = unique("semping"), pong = unique("sempong");
    if (!create_cell(cell, 64) || !create_lock(lock) || !create_semaphore(ping, 0, 1) || !create_semaphore(pong, 0, 1)) {
        std::fprintf(stderr, "shmring-state-bench: cannot create its segments in /dev/shm\n");
        return 1;
    }
    {
        auto first = Cell::attach(cell);
        std::byte value[64] = {};
        (void)first->write(value);
    }
    std::vector<double> cell_ns, rwlock_ns, read_ratio, lock_ns, mutex_ns, lock_ratio, lock_rate, mutex_rate, rate_ratio, sem_adaptive,
        sem_block, sem_posix, sem_ratio;
    std::vector<std::vector<double>> writer_wall(3), writer_cpu(3), reader_rate(3);
    const int reader_counts[] = {0, 1, 4};
    for (int rep = 0; rep < settings.reps; ++rep) {
        std::fprintf(stderr, "run %d of %d\n", rep + 1, settings.reps);
        cell_ns.push_back(cell_read_ns(cell, reads));
        rwlock_ns.push_back(rwlock_read_ns(reads));
        read_ratio.push_back(rwlock_ns.back() / cell_ns.back());
        for (int c = 0; c < 3; ++c) {
            const Contended figures = cell_contended(cell, reader_counts[c], seconds);
            writer_wall[c].push_back(figures.writes_per_s);
            writer_cpu[c].push_back(figures.writes_per_cpu_s);
            reader_rate[c].push_back(figures.reads_per_s);
        }
        const LockFigures ours = shmring_lock(lock, rounds), theirs = robust_mutex(rounds);
        lock_ns.push_back(ours.uncontended_ns);
        mutex_ns.push_back(theirs.uncontended_ns);
        lock_ratio.push_back(theirs.uncontended_ns / ours.uncontended_ns);
        lock_rate.push_back(ours.handoffs_per_s);
        mutex_rate.push_back(theirs.handoffs_per_s);
        rate_ratio.push_back(ours.handoffs_per_s / theirs.handoffs_per_s);
        sem_adaptive.push_back(shmring_semaphores(ping, pong, pings, WaitStrategy::adaptive));
        sem_block.push_back(shmring_semaphores(ping, pong, pings / 4, WaitStrategy::block));
        sem_posix.push_back(posix_semaphores(pings / 4));
        sem_ratio.push_back(sem_posix.back() / sem_adaptive.back());
    }
    for (const auto& name : {cell, lock, ping, pong}) (void)Segment::unlink(name);

    std::printf("cells, locks and semaphores: median of %d runs\n\n", settings.reps);
    TextTable reads_table({{"CELL READ, 64 B", TextTable::left}, {"NS/READ", TextTable::right}, {"VS", TextTable::right}});
    reads_table.add({"shmring cell", fixed(median(cell_ns)), fixed(median(read_ratio), 2) + "x faster"});
    reads_table.add({"pthread_rwlock (shared)", fixed(median(rwlock_ns)), ""});
    reads_table.print(stdout);
    std::printf("\n");
    TextTable writer_table({{"CELL, 64 B WRITES", TextTable::left},
                            {"WRITES/S", TextTable::right},
                            {"WRITES/CPU-S", TextTable::right},
                            {"READS/S (ALL READERS)", TextTable::right}});
    for (int c = 0; c < 3; ++c)
        writer_table.add({c == 0 ? "writer alone" : "writer + " + std::to_string(reader_counts[c]) + " reader" + (c == 2 ? "s" : ""),
                          millions(median(writer_wall[c])), millions(median(writer_cpu[c])), c == 0 ? "-" : millions(median(reader_rate[c]))});
    writer_table.print(stdout);
    std::printf("\n");
    TextTable lock_table({{"LOCK", TextTable::left}, {"ACQUIRE+RELEASE NS", TextTable::right}, {"2-PROCESS TAKES/S", TextTable::right}});
    lock_table.add({"shmring lock", fixed(median(lock_ns)), millions(median(lock_rate))});
    lock_table.add({"robust pthread_mutex (shared)", fixed(median(mutex_ns)), millions(median(mutex_rate))});
    lock_table.add({"ratio (pthread / shmring, shmring / pthread)", fixed(median(lock_ratio), 2) + "x", fixed(median(rate_ratio), 2) + "x"});
    lock_table.print(stdout);
    std::printf("\n");
    TextTable sem_table({{"SEMAPHORE POST-TO-WAKE", TextTable::left}, {"NS (HALF ROUND TRIP)", TextTable::right}});
    sem_table.add({"shmring semaphore, adaptive", fixed(median(sem_adaptive))});
    sem_table.add({"shmring semaphore, block", fixed(median(sem_block))});
    sem_table.add({"POSIX sem_open", fixed(median(sem_posix))});
    sem_table.add({"POSIX / shmring adaptive", fixed(median(sem_ratio), 2) + "x"});
    sem_table.print(stdout);

    if (!settings.json.empty()) {
        nlohmann::json out;
        out["reps"] = settings.reps;
        out["cell_read_ns"] = {{"shmring", median(cell_ns)}, {"pthread_rwlock", median(rwlock_ns)}, {"ratio", median(read_ratio)}};
        for (int c = 0; c < 3; ++c)
            out["cell_writer"].push_back({{"readers", reader_counts[c]},
                                          {"writes_per_s", median(writer_wall[c])},
                                          {"writes_per_cpu_s", median(writer_cpu[c])},
                                          {"reads_per_s", median(reader_rate[c])}});
        out["lock"] = {{"shmring_ns", median(lock_ns)},
                       {"robust_mutex_ns", median(mutex_ns)},
                       {"ratio", median(lock_ratio)},
                       {"shmring_takes_per_s", median(lock_rate)},
                       {"robust_mutex_takes_per_s", median(mutex_rate)},
                       {"takes_ratio", median(rate_ratio)}};
        out["semaphore_ns"] = {{"shmring_adaptive", median(sem_adaptive)},
                               {"shmring_block", median(sem_block)},
                               {"posix", median(sem_posix)},
                               {"ratio", median(sem_ratio)}};
        std::FILE* file = std::fopen(settings.json.c_str(), "w");
        if (file == nullptr) {
            std::perror(settings.json.c_str());
            return 1;
        }
        std::fprintf(file, "%s\n", out.dump(2).c_str());
        std::fclose(file);
    }
    return 0;
}

}  // namespace
}  // namespace shmring::bench

int main(int argc, char** argv) {
    shmring::bench::Settings settings;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--quick") {
            settings.reps = 3;
            settings.scale = 0.25;
        } else if (argument == "--smoke") {  // for the test suite: every path, tiny loops
            settings.reps = 1;
            settings.scale = 0.01;
        } else if (argument == "--reps" && i + 1 < argc) {
            settings.reps = std::max(1, std::atoi(argv[++i]));
        } else if (argument == "--json" && i + 1 < argc) {
            settings.json = argv[++i];
        } else {
            std::fprintf(stderr, "usage: shmring-state-bench [--quick | --smoke] [--reps N] [--json FILE]\n");
            return 2;
        }
    }
    return shmring::bench::run(settings);
}
