// Liveness the kernel vouches for: an endpoint counts as alive exactly while its process can still
// act on it. Each test puts a process that holds an endpoint into one situation that a look at
// /proc gets wrong (a main thread that exited, a hidden /proc, exec, another pid namespace, fork,
// SIGSTOP), checks that nobody takes the role or repairs the slot of the live process, and, where
// the process then really dies, that its peers recover within the documented limits.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sched.h>
#include <string>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "harness/role.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/pipe.hpp"
#include "shmring/spsc_ring.hpp"
#include "support/test_ring.hpp"

namespace shmring {
namespace {

using namespace std::chrono_literals;
using testing::RingName;

// The exit statuses of the re-attaching role (an exec'd image of a process that held the role).
constexpr int kReattached = 0;
constexpr int kReattachRefused = 3;

int reattach_producer(const multiprocess::RoleArgs& args, multiprocess::Report&) {
    return SpscProducer::attach(args.text("ring")) ? kReattached : kReattachRefused;
}
const multiprocess::RoleRegistration reattach_role("liveness-reattach-producer", &reattach_producer);

std::span<const std::byte> as_bytes(const std::uint64_t& value) {
    return std::as_bytes(std::span<const std::uint64_t, 1>(&value, 1));
}

// A child process that sets itself up, says so through a pipe, and then stays as the test wants.
class Child {
public:
    template <class Body>
    explicit Child(Body body) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(fds[0]);
            ready_fd_ = fds[1];
            body(*this);
            ::_exit(90);
        }
        ::close(fds[1]);
        char answer = 0;
        ready_ = ::read(fds[0], &answer, 1) == 1 && answer == 'r';
        ::close(fds[0]);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    // In the child: tells the parent that the setup is done (or failed, when !ok).
    void say_ready(bool ok) const { (void)!::write(ready_fd_, ok ? "r" : "f", 1); }

    pid_t pid() const { return pid_; }
    bool ready() const { return ready_; }
    void kill_and_reap() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        reaped_ = true;
    }
    // The test reaped it itself.
    void mark_reaped() { reaped_ = true; }

private:
    pid_t pid_ = -1;
    int ready_fd_ = -1;
    bool ready_ = false;
    bool reaped_ = false;
};

char process_state(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');
    return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

[[noreturn]] void sleep_for_ever() {
    for (;;) ::pause();
}

// Ends the main thread while another thread keeps the process (and its handles) alive: /proc then
// shows the process as a zombie. The raw exit system call ends this thread alone, as pthread_exit
// does, without unwinding through the test framework (which would close the handles on the way).
[[noreturn]] void exit_main_thread_keeping_process() {
    std::thread([] { sleep_for_ever(); }).detach();
    for (;;) ::syscall(SYS_exit, 0);
}

Presence producer_presence(std::string_view name) {
    auto ring = RingSegment::open(name, Access::read_only);
    if (!ring) return Presence::absent;
    return role_holder_presence(*ring, ring->control().producer_role.load(std::memory_order_acquire));
}

// Waits (bounded) until the producer role's holder is judged dead; returns how long it took.
std::chrono::nanoseconds until_producer_dead(std::string_view name, std::chrono::nanoseconds limit) {
    const auto start = Clock::now();
    while (producer_presence(name) != Presence::dead && Clock::now() - start < limit) std::this_thread::sleep_for(1ms);
    return Clock::now() - start;
}

TEST(Liveness, shouldKeepTheRoleOfAProcessWhoseMainThreadExited) {
    RingName name("zombiemain");
    ASSERT_TRUE(create_pipe(name, 4096));
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader);
    Child holder([&](Child& self) {
        auto writer = PipeWriter::open(name);
        self.say_ready(writer && writer->write(std::as_bytes(std::span("hello", 5))).count == 5);
        exit_main_thread_keeping_process();
    });
    ASSERT_TRUE(holder.ready());
    for (int i = 0; i < 1000 && process_state(holder.pid()) != 'Z'; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(process_state(holder.pid()), 'Z') << "the scenario needs a main thread that exited";

    EXPECT_EQ(producer_presence(name), Presence::alive);
    const auto second = PipeWriter::open(name);
    ASSERT_FALSE(second) << "the role was taken from a live process";
    EXPECT_EQ(second.error().code(), Errc::busy);
    std::byte buffer[16];
    const auto first = reader->read(buffer);
    EXPECT_EQ(first.count, 5U);
    const auto waited = reader->read(buffer, Blocking::yes, deadline_after(300ms));
    EXPECT_EQ(waited.status, Status::timed_out) << "no end of file while the writer's process lives";

    // Once it really dies, the reader sees end of file within 250 ms.
    const auto start = Clock::now();
    std::thread killer([&] {
        std::this_thread::sleep_for(20ms);
        holder.kill_and_reap();
    });
    const auto eof = reader->read(buffer, Blocking::yes, deadline_after(2s));
    killer.join();
    EXPECT_EQ(eof.status, Status::ok);
    EXPECT_EQ(eof.count, 0U) << "end of file";
    EXPECT_LT(Clock::now() - start, 20ms + 250ms);
}

TEST(Liveness, shouldNotRepairTheClaimOfAProcessWhoseMainThreadExited) {
    RingName name("zombieclaim");
    ASSERT_TRUE(create_mpmc_ring(name, 4, 8));
    Child holder([&](Child& self) {
        auto producer = MpmcProducer::attach(name);
        self.say_ready(producer && producer->try_claim().status == Status::ok);  // claims ticket 0, publishes later
        exit_main_thread_keeping_process();
    });
    ASSERT_TRUE(holder.ready());
    for (int i = 0; i < 1000 && process_state(holder.pid()) != 'Z'; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(process_state(holder.pid()), 'Z');

    auto producer = MpmcProducer::attach(name);
    auto consumer = MpmcConsumer::attach(name);
    ASSERT_TRUE(producer && consumer);
    const std::uint64_t second = 2;
    ASSERT_EQ(producer->try_send(as_bytes(second)), Status::ok);
    std::uint64_t value = 0;
    std::size_t length = 0;
    auto buffer = std::as_writable_bytes(std::span<std::uint64_t, 1>(&value, 1));
    EXPECT_EQ(consumer->receive(buffer, length, deadline_after(400ms)), Status::timed_out)
        << "the live process's claimed slot was repaired under it";
    EXPECT_EQ(consumer->ring().control().lost_messages.load(std::memory_order_relaxed), 0U);

    holder.kill_and_reap();
    const auto start = Clock::now();
    ASSERT_EQ(consumer->receive(buffer, length, deadline_after(3s)), Status::ok);
    EXPECT_EQ(value, 2U);
    EXPECT_LT(Clock::now() - start, 1s) << "MPMC resumes within 1 s of the death";
    EXPECT_EQ(consumer->ring().control().lost_messages.load(std::memory_order_relaxed), 1U);
}

TEST(Liveness, shouldKeepTheRoleOfAStoppedProcess) {
    RingName name("stopped");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    Child holder([&](Child& self) {
        auto producer = SpscProducer::attach(name);
        self.say_ready(bool(producer));
        sleep_for_ever();
    });
    ASSERT_TRUE(holder.ready());
    ASSERT_EQ(::kill(holder.pid(), SIGSTOP), 0);
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(producer_presence(name), Presence::alive);
    EXPECT_FALSE(SpscProducer::attach(name)) << "the role was taken from a stopped process";
    ::kill(holder.pid(), SIGCONT);
}

TEST(Liveness, shouldReleaseTheEndpointsOfAnImageThatExecs) {
    RingName name("exec");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    Child holder([&](Child& self) {
        auto producer = SpscProducer::attach(name);
        self.say_ready(bool(producer));
        // The new image has the same pid and start time, and knows nothing of the endpoint.
        ::execl("/proc/self/exe", "multiprocess_tests", "--role", "liveness-reattach-producer",
                ("ring=" + std::string(name)).c_str(), static_cast<char*>(nullptr));
        ::_exit(91);
    });
    ASSERT_TRUE(holder.ready());
    int status = 0;
    ASSERT_EQ(::waitpid(holder.pid(), &status, 0), holder.pid());
    holder.mark_reaped();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), kReattached) << "the exec'd image was refused the role by its own former endpoint";
}

TEST(Liveness, shouldJudgeTheOldImageDeadWhileTheProcessLivesOnAfterExec) {
    RingName name("execdead");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    Child holder([&](Child& self) {
        auto producer = SpscProducer::attach(name);
        self.say_ready(bool(producer));
        ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
        ::_exit(91);
    });
    ASSERT_TRUE(holder.ready());
    EXPECT_LT(until_producer_dead(name, 2s), 2s) << "the endpoint of the image that exec'd still looks alive";
    EXPECT_EQ(::kill(holder.pid(), 0), 0) << "the process itself still lives";
    EXPECT_TRUE(SpscProducer::attach(name));
}

TEST(Liveness, shouldNotLetAForkedChildKeepItsParentsEndpointAlive) {
    RingName name("forkheir");
    ASSERT_TRUE(create_spsc_ring(name, 4096));
    int heir_pipe[2];
    ASSERT_EQ(::pipe(heir_pipe), 0);
    Child holder([&](Child& self) {
        auto producer = SpscProducer::attach(name);
        const pid_t heir = ::fork();
        if (heir == 0) sleep_for_ever();  // lives on with copies of every descriptor
        (void)!::write(heir_pipe[1], &heir, sizeof heir);
        self.say_ready(bool(producer) && heir > 0);
        ::raise(SIGKILL);
    });
    ASSERT_TRUE(holder.ready());
    pid_t heir = 0;
    ASSERT_EQ(::read(heir_pipe[0], &heir, sizeof heir), static_cast<ssize_t>(sizeof heir));
    ::close(heir_pipe[0]);
    ::close(heir_pipe[1]);
    EXPECT_LT(until_producer_dead(name, 2s), 1s) << "the fork child kept the dead parent's endpoint alive";
    EXPECT_EQ(::kill(heir, 0), 0) << "the heir still lives";
    EXPECT_TRUE(SpscProducer::attach(name));
    ::kill(heir, SIGKILL);
}

TEST(Liveness, shouldJudgeEndpointsOfAnotherPidNamespace) {
    RingName name("pidns");
    ASSERT_TRUE(create_pipe(name, 4096));
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader);
    int outer_pid[2];
    ASSERT_EQ(::pipe(outer_pid), 0);
    // The child makes a pid namespace; its own child, pid 1 there, attaches the writer.
    Child holder([&](Child& self) {
        if (::unshare(CLONE_NEWPID) != 0) {
            self.say_ready(false);
            ::_exit(errno == EPERM ? 77 : 92);
        }
        const pid_t inner = ::fork();
        if (inner == 0) {
            auto writer = PipeWriter::open(name);
            const bool ok = writer && ::getpid() == 1 && writer->write(std::as_bytes(std::span("abc", 3))).count == 3;
            self.say_ready(ok);
            sleep_for_ever();
        }
        (void)!::write(outer_pid[1], &inner, sizeof inner);
        ::waitpid(inner, nullptr, 0);
        ::_exit(0);
    });
    if (!holder.ready()) {
        int status = 0;
        ::waitpid(holder.pid(), &status, 0);
        holder.mark_reaped();
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77) GTEST_SKIP() << "this machine cannot make a pid namespace (EPERM)";
        FAIL() << "the writer in the new pid namespace could not start";
    }
    pid_t inner = 0;
    ASSERT_EQ(::read(outer_pid[0], &inner, sizeof inner), static_cast<ssize_t>(sizeof inner));
    ::close(outer_pid[0]);
    ::close(outer_pid[1]);

    EXPECT_EQ(producer_presence(name), Presence::alive);
    EXPECT_FALSE(PipeWriter::open(name)) << "the role was taken from a live process of another namespace";
    std::byte buffer[8];
    EXPECT_EQ(reader->read(buffer).count, 3U);

    const auto start = Clock::now();
    std::thread killer([&] {
        std::this_thread::sleep_for(20ms);
        ::kill(inner, SIGKILL);
    });
    const auto eof = reader->read(buffer, Blocking::yes, deadline_after(2s));
    killer.join();
    EXPECT_EQ(eof.status, Status::ok);
    EXPECT_EQ(eof.count, 0U) << "end of file once the writer of the other namespace died";
    EXPECT_LT(Clock::now() - start, 20ms + 250ms);
}

TEST(Liveness, shouldKeepTheRoleOfAProcessThatProcHidesFromTheJudge) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount /proc and to become another user";
    RingName name("hidepid");
    ASSERT_TRUE(create_pipe(name, 4096, 0666));
    auto writer = PipeWriter::open(name);
    ASSERT_TRUE(writer);
    const pid_t owner = ::getpid();
    // Another user, in a mount namespace whose /proc hides other users' processes (hidepid=2).
    Child judge([&](Child& self) {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") != 0) {
            self.say_ready(false);
            ::_exit(errno == EPERM ? 77 : 92);
        }
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(93);
        const std::string stat = "/proc/" + std::to_string(owner) + "/stat";
        if (::access(stat.c_str(), F_OK) == 0) ::_exit(94);  // /proc does not hide the owner: no scenario
        EndpointOptions options;
        options.segment.allow_foreign_owner = true;
        auto ring = RingSegment::open(name, Access::read_write, {}, options.segment);
        if (!ring) ::_exit(95);
        if (role_holder_presence(*ring, ring->control().producer_role.load(std::memory_order_acquire)) != Presence::alive) ::_exit(96);
        auto thief = PipeWriter::open(name, options);
        if (thief || thief.error().code() != Errc::busy) ::_exit(97);
        ::_exit(0);
    });
    int status = 0;
    ASSERT_EQ(::waitpid(judge.pid(), &status, 0), judge.pid());
    judge.mark_reaped();
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "this machine cannot mount a private /proc (EPERM)";
    EXPECT_NE(WEXITSTATUS(status), 94) << "hidepid=2 did not hide the owner: the scenario did not happen";
    EXPECT_NE(WEXITSTATUS(status), 96) << "the hidden live writer was judged dead";
    EXPECT_NE(WEXITSTATUS(status), 97) << "the hidden live writer's role was taken";
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(writer->write(std::as_bytes(std::span("still mine", 10))).count, 10U);
}

}  // namespace
}  // namespace shmring
