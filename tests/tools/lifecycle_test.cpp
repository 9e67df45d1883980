// create -> ls -> stat --json -> rm for every kind of ring, and the command's usage conventions.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <map>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmring/layout.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/shmring.h"
#include "shmring/spsc_ring.hpp"
#include <span>  // before support/test_ring.hpp, which uses std::span without including it

#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

using nlohmann::json;

struct RingKind {
    const char* label;
    std::vector<std::string> create;  // after "create", with the name inserted second
    const char* kind;
    const char* engine;
    std::uint64_t capacity;
    const char* capacity_unit;
    std::uint64_t max_message;
};

void PrintTo(const RingKind& kind, std::ostream* out) { *out << kind.label; }

std::vector<std::string> create_args(const RingKind& kind, const std::string& name) {
    std::vector<std::string> args{"create", kind.create[0], name};
    args.insert(args.end(), kind.create.begin() + 1, kind.create.end());
    return args;
}

class LifecycleTest : public ::testing::TestWithParam<RingKind> {};

TEST_P(LifecycleTest, shouldCreateListStatAndRemoveTheRing) {
    const RingKind& kind = GetParam();
    RingName ring(std::string("life.") + kind.label);
    const std::string name = ring.str();

    const Finished created = run_tool(create_args(kind, name));
    ASSERT_EQ(created.code, 0) << created.err;
    EXPECT_EQ(created.err, "");

    const Finished listed = run_tool({"ls"});
    ASSERT_EQ(listed.code, 0);
    EXPECT_NE(listed.out.find(name), std::string::npos) << listed.out;

    const Finished listed_json = run_tool({"ls", "--json"});
    ASSERT_EQ(listed_json.code, 0);
    bool found = false;
    const json listing = json::parse(listed_json.out);
    for (const json& entry : listing.at("rings")) {
        if (entry.at("name") != name) continue;
        found = true;
        EXPECT_EQ(entry.at("state"), "ok");
        EXPECT_EQ(entry.at("kind"), kind.kind);
        EXPECT_EQ(entry.at("engine"), kind.engine);
        EXPECT_EQ(entry.at("capacity"), kind.capacity);
        EXPECT_EQ(entry.at("used"), 0);
        EXPECT_EQ(entry.at("endpoints_alive"), 0);
        EXPECT_EQ(entry.at("endpoints_dead"), 0);
    }
    EXPECT_TRUE(found) << listed_json.out;

    const Finished stat = run_tool({"stat", name, "--json"});
    ASSERT_EQ(stat.code, 0) << stat.err;
    const json s = json::parse(stat.out);
    EXPECT_EQ(s.at("name"), name);
    EXPECT_EQ(s.at("path"), ring_file(name));
    EXPECT_EQ(s.at("state"), "ok");
    EXPECT_EQ(s.at("kind"), kind.kind);
    EXPECT_EQ(s.at("engine"), kind.engine);
    EXPECT_EQ(s.at("layout_version"), layout::kLayoutVersion);
    EXPECT_EQ(s.at("capacity"), kind.capacity);
    EXPECT_EQ(s.at("capacity_unit"), kind.capacity_unit);
    EXPECT_EQ(s.at("max_message"), kind.max_message);
    EXPECT_EQ(s.at("used"), 0);
    EXPECT_EQ(s.at("used_messages"), 0);
    EXPECT_EQ(s.at("fill_percent"), 0.0);
    EXPECT_EQ(s.at("endpoints"), json::array());
    EXPECT_EQ(s.at("mode"), "0600");
    EXPECT_EQ(s.at("owner_uid"), ::geteuid());
    EXPECT_EQ(s.at("creator").at("alive"), false);  // the create command has exited
    for (const char* side : {"producers", "consumers", "retired_producers", "retired_consumers"})
        EXPECT_EQ(s.at("counters").at(side).at("messages"), 0) << side;
    EXPECT_EQ(s.at("counters").at("lost_messages"), 0);
    EXPECT_EQ(s.at("counters").at("corrupt"), false);

    const Finished removed = run_tool({"rm", name});
    EXPECT_EQ(removed.code, 0) << removed.err;
    const Finished gone = run_tool({"stat", name});
    EXPECT_EQ(gone.code, 1);
    EXPECT_EQ(gone.err, "shmring: " + name + ": no such ring\n");
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, LifecycleTest,
    ::testing::Values(RingKind{"pipe", {"pipe", "--capacity", "64K"}, "pipe", "spsc", 65536, "bytes", 32760},
                      RingKind{"spsc_queue", {"queue", "--messages", "16", "--message-size", "1K"}, "queue", "spsc", 32768, "bytes", 1024},
                      RingKind{"mpmc_queue", {"queue", "--messages", "100", "--message-size", "256", "--engine", "mpmc"}, "queue", "mpmc",
                               128, "slots", 256}),
    [](const auto& info) { return std::string(info.param.label); });

TEST(ToolUsage, shouldAcceptSizeSuffixesAndOctalModes) {
    RingName ring("life.suffix");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "1M", "--mode", "0640"}).code, 0);
    const json s = json::parse(run_tool({"stat", ring.str(), "--json"}).out);
    EXPECT_EQ(s.at("capacity"), 1048576);
    EXPECT_EQ(s.at("mode"), "0640");
    EXPECT_EQ(s.at("creation_mode"), "0640");
}

TEST(ToolUsage, shouldRefuseToCreateARingTwice) {
    RingName ring("life.twice");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    const Finished again = run_tool({"create", "pipe", ring.str(), "--capacity", "4K"});
    EXPECT_EQ(again.code, 1);
    EXPECT_EQ(again.err, "shmring: " + ring.str() + ": a ring of that name exists already\n");
}

TEST(ToolUsage, shouldAnswerUsageErrorsWithStatus2AndOneLine) {
    const std::vector<std::vector<std::string>> mistakes{
        {},
        {"frobnicate"},
        {"stat"},
        {"create", "pipe", "x"},
        {"create", "pipe", "x", "--capacity", "12X"},
        {"create", "queue", "x", "--messages", "4", "--message-size", "64", "--engine", "lifo"},
        {"create", "pipe", "x", "--capacity", "4K", "--mode", "0999"},
        {"watch", "x", "--interval", "0"},
        {"recv", "x", "--count", "0"},
        {"ls", "--bogus"},
    };
    for (const auto& args : mistakes) {
        const Finished result = run_tool(args);
        std::string joined;
        for (const auto& a : args) joined += a + " ";
        EXPECT_EQ(result.code, 2) << joined;
        EXPECT_TRUE(result.err.starts_with("shmring: ")) << joined << result.err;
        EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << joined << result.err;
    }
}

TEST(ToolUsage, shouldPrintHelpForEveryCommand) {
    const std::vector<std::vector<std::string>> commands{{},         {"ls"},   {"stat"},  {"watch"}, {"create"}, {"create", "pipe"},
                                                         {"create", "queue"}, {"rm"}, {"gc"}, {"write"}, {"read"}, {"send"}, {"recv"}};
    for (auto args : commands) {
        args.push_back("--help");
        const Finished result = run_tool(args);
        EXPECT_EQ(result.code, 0) << args.front();
        EXPECT_NE(result.out.find("Usage:"), std::string::npos) << args.front();
    }
    EXPECT_NE(run_tool({"stat", "--help"}).out.find("used_messages"), std::string::npos) << "stat --help lists the JSON fields";
}

// What a child that runs in a mount namespace of its own, with a 1 MiB tmpfs as /dev/shm, saw:
// "key: value" lines, or "skip: why" when it may not make such a namespace. The host's mounts are
// never touched: the tmpfs exists only in the child's private copy of them.
struct SmallShmReport {
    Finished child;
    std::map<std::string, std::string> seen;
};

SmallShmReport run_with_small_shm(const std::function<void(const std::function<void(const std::string&, const std::string&)>&)>& body) {
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        const auto say = [&](const std::string& key, const std::string& value) {
            std::string line = key + ": " + value;
            std::replace(line.begin(), line.end(), '\n', ' ');
            line += '\n';
            (void)!::write(fds[1], line.data(), line.size());
        };
        const auto refused = [&](const char* call) {
            const int failed = errno;
            say(failed == EPERM ? "skip" : "error", std::string(call) + ": " + std::strerror(failed));
            ::_exit(failed == EPERM ? 0 : 1);
        };
        if (::unshare(CLONE_NEWNS) != 0) refused("unshare(CLONE_NEWNS)");
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) refused("mount(/, MS_REC | MS_PRIVATE)");
        if (::mount("shmring-test", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777") != 0) refused("mount(tmpfs on /dev/shm)");
        body(say);
        ::_exit(0);
    }
    ::close(fds[1]);
    SmallShmReport report;
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    report.child.exited = WIFEXITED(status);
    report.child.code = report.child.exited ? WEXITSTATUS(status) : -1;
    report.child.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    report.child.out = text;
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t end = text.find('\n', at);
        const std::string line = text.substr(at, end - at);
        const std::size_t colon = line.find(": ");
        if (colon != std::string::npos) report.seen[line.substr(0, colon)] = line.substr(colon + 2);
        at = end == std::string::npos ? text.size() : end + 1;
    }
    return report;
}

std::string shm_listing() {
    std::string names;
    if (DIR* dir = ::opendir("/dev/shm")) {
        while (const dirent* entry = ::readdir(dir)) {
            const std::string name = entry->d_name;
            if (name != "." && name != "..") names += name + " ";
        }
        ::closedir(dir);
    }
    return names;
}

template <class T>
std::string outcome_of(const Result<T>& result) {
    if (result) return "ok";
    return std::to_string(result.error().errno_value()) + " " + result.error().message();
}

TEST(ToolVersion, shouldPrintTheLibraryVersionAndExit0) {
    const Finished result = run_tool({"--version"});
    EXPECT_TRUE(result.exited && result.code == 0) << result.err;
    EXPECT_EQ(result.out, std::string("shmring ") + shmring_version() + "\n");
}

TEST(CreateInSmallShm, shouldRefuseWithEnospcAndLeaveNothingWhenTheRingDoesNotFit) {
    const SmallShmReport report = run_with_small_shm([](const auto& say) {
        say("pipe", outcome_of(create_spsc_ring("space.pipe", 4 << 20, layout::ChannelKind::pipe)));
        say("queue", outcome_of(create_mpmc_ring("space.queue", 4096, 1024, layout::ChannelKind::queue)));
        say("left after refusals", shm_listing());
        const Finished tool = run_tool({"create", "pipe", "space.tool", "--capacity", "4M"});
        say("tool status", std::to_string(tool.exited ? tool.code : 128 + tool.signal));
        say("tool said", tool.err);
        say("left after the tool", shm_listing());

        // A ring that fits is created and every byte of it can be written.
        constexpr std::uint64_t kCapacity = 256 << 10;
        say("fitting", outcome_of(create_spsc_ring("space.fits", kCapacity, layout::ChannelKind::pipe)));
        auto producer = SpscProducer::attach("space.fits");
        say("attach", outcome_of(producer));
        if (!producer) return;
        std::vector<std::byte> chunk(4096 - sizeof(layout::RecordHeader), std::byte{0x5A});
        std::uint64_t written = 0;
        Status status = Status::ok;
        while ((status = producer->try_send(chunk)) == Status::ok) written += chunk.size() + sizeof(layout::RecordHeader);
        say("filled", std::to_string(written) + " " + describe(status));
    });
    if (report.seen.contains("skip")) GTEST_SKIP() << "no private mount namespace for a small /dev/shm: " << report.seen.at("skip");
    ASSERT_TRUE(report.child.exited) << "the child died of signal " << report.child.signal << " after: " << report.child.out;
    ASSERT_EQ(report.child.code, 0) << report.child.out;
    const std::string enospc = std::to_string(ENOSPC) + " ";
    EXPECT_EQ(report.seen.at("pipe"),
              enospc + "ring 'space.pipe': needs 4.0 MiB, /dev/shm has 1.0 MiB free: not enough shared memory: " + std::strerror(ENOSPC));
    EXPECT_TRUE(report.seen.at("queue").starts_with(enospc + "ring 'space.queue': needs 4.")) << report.seen.at("queue");
    EXPECT_NE(report.seen.at("queue").find("/dev/shm has 1.0 MiB free"), std::string::npos) << report.seen.at("queue");
    EXPECT_EQ(report.seen.at("left after refusals"), "");
    EXPECT_EQ(report.seen.at("tool status"), "1");
    EXPECT_EQ(report.seen.at("tool said"), std::string("shmring: space.tool: needs 4.0 MiB, /dev/shm has 1.0 MiB free: not enough shared memory: ") +
                                               std::strerror(ENOSPC) + " ");
    EXPECT_EQ(report.seen.at("left after the tool"), "");
    EXPECT_EQ(report.seen.at("fitting"), "ok");
    EXPECT_EQ(report.seen.at("filled"), std::to_string(256 << 10) + " " + describe(Status::again));
}

}  // namespace
}  // namespace shmring::testing
