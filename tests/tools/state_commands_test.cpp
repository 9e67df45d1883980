// Cells, locks and semaphores from the shell: create, ls, stat and rm of each; cell write, read and
// watch; `shmring lock NAME -- COMMAND` (mutual exclusion, the command's status, a holder killed);
// sem post, wait and value; their metrics, checked by promtool.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <span>  // before support/test_ring.hpp, which uses std::span without including it
#include <sstream>

#include "damaged_ring.hpp"
#include "shmring/layout.hpp"
#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

json stat_of(const std::string& name) {
    const Finished stat = run_tool({"stat", name, "--json"});
    EXPECT_EQ(stat.code, 0) << stat.err;
    return json::parse(stat.out, nullptr, false);
}

struct StateKind {
    const char* kind;
    std::vector<std::string> options;  // after "create KIND NAME"
    std::uint64_t capacity;
    const char* capacity_unit;
    const char* ls_capacity;  // the CAPACITY and USED cells of `ls`
    const char* ls_used;
    const char* stat_line;    // a line `stat` shows
};

void PrintTo(const StateKind& kind, std::ostream* out) { *out << kind.kind; }

class StateLifecycle : public ::testing::TestWithParam<StateKind> {};

TEST_P(StateLifecycle, shouldCreateListStatAndRemoveIt) {
    const StateKind& kind = GetParam();
    RingName ring(std::string("state.") + kind.kind);
    std::vector<std::string> create{"create", kind.kind, ring.str(), "--json"};
    create.insert(create.end(), kind.options.begin(), kind.options.end());
    const Finished created = run_tool(create);
    ASSERT_EQ(created.code, 0) << created.err;
    const json made = json::parse(created.out);
    EXPECT_EQ(made.at("kind"), kind.kind);
    EXPECT_EQ(made.at("engine"), kind.kind);
    EXPECT_EQ(made.at("capacity"), kind.capacity);
    EXPECT_EQ(made.at("capacity_unit"), kind.capacity_unit);
    EXPECT_TRUE(made.contains(kind.kind)) << created.out;

    const Finished listed = run_tool({"ls", "--interval", "0"});
    ASSERT_EQ(listed.code, 0) << listed.err;
    std::istringstream lines(listed.out);
    bool found = false;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string name;
        words >> name;
        if (name != ring.str()) continue;
        found = true;
        EXPECT_TRUE(contains(line, std::string(" ") + kind.kind + " ")) << line;
        EXPECT_TRUE(contains(line, std::string(kind.ls_capacity) + "  ")) << line;
        EXPECT_TRUE(contains(line, std::string(kind.ls_used) + "  ")) << line;
        EXPECT_TRUE(contains(line, " ok ")) << line;
    }
    EXPECT_TRUE(found) << listed.out;

    const Finished stat = run_tool({"stat", ring.str()});
    ASSERT_EQ(stat.code, 0) << stat.err;
    EXPECT_TRUE(contains(stat.out, kind.stat_line)) << stat.out;
    EXPECT_FALSE(contains(stat.out, "positions")) << "no ring figures: " << stat.out;

    const Finished removed = run_tool({"rm", ring.str()});
    EXPECT_EQ(removed.code, 0) << removed.err;
    EXPECT_EQ(run_tool({"stat", ring.str()}).err, "shmring: " + ring.str() + ": no such ring\n");
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, StateLifecycle,
    ::testing::Values(StateKind{"cell", {"--max-size", "1K"}, 1024, "bytes", "1 KiB", "v0, 0 B", "value         none written yet (version 0)"},
                      StateKind{"lock", {}, 1, "holders", "-", "free", "holder        free"},
                      StateKind{"semaphore", {"--initial", "2", "--maximum", "5"}, 5, "count", "max 5", "count 2", "count         2 of at most 5"}));

TEST(ToolState, shouldRefuseValuesOutOfRangeAsUsageErrors) {
    RingName ring("state.usage");
    const Finished above = run_tool({"create", "semaphore", ring.str(), "--initial", "7", "--maximum", "5"});
    EXPECT_EQ(above.code, 2);
    EXPECT_EQ(above.err, "shmring: --initial must be 0 to the maximum 5, not '7' (see 'shmring create semaphore --help')\n");
    EXPECT_EQ(run_tool({"create", "semaphore", ring.str(), "--maximum", "0"}).code, 2);
    const Finished big = run_tool({"create", "cell", ring.str(), "--max-size", "65M"});
    EXPECT_EQ(big.code, 2);
    EXPECT_EQ(big.err, "shmring: --max-size must be 1 to 64M (bytes, or with a K, M or G suffix), not '65M' (see 'shmring create cell --help')\n");
    EXPECT_EQ(run_tool({"create", "cell", ring.str()}).code, 2) << "--max-size is required";
    EXPECT_EQ(run_tool({"lock", ring.str()}).code, 2) << "a command is required";
    EXPECT_EQ(run_tool({"lock", ring.str(), "--nonblock", "--timeout", "1", "--", "true"}).code, 2);
    EXPECT_EQ(run_tool({"sem", "wait", ring.str(), "--nonblock", "--timeout", "1"}).code, 2);
    EXPECT_EQ(run_tool({"cell", "read"}).code, 2);
    EXPECT_EQ(run_tool({"stat", ring.str()}).code, 1) << "nothing was created";
}

TEST(ToolState, shouldSayWhichCommandsUseAStateOfAnotherKind) {
    RingName lock("state.kind.lock");
    RingName cell("state.kind.cell");
    ASSERT_EQ(run_tool({"create", "lock", lock.str()}).code, 0);
    ASSERT_EQ(run_tool({"create", "cell", cell.str(), "--max-size", "16"}).code, 0);
    EXPECT_EQ(run_tool({"cell", "read", lock.str()}).err, "shmring: " + lock.str() + ": it is a lock: use 'shmring lock NAME -- COMMAND'\n");
    EXPECT_EQ(run_tool({"sem", "post", cell.str()}).err,
              "shmring: " + cell.str() + ": it is a cell: use 'shmring cell read', 'shmring cell write' or 'shmring cell watch'\n");
    EXPECT_EQ(run_tool({"sem", "value", lock.str()}).code, 1);
    EXPECT_EQ(run_tool({"send", lock.str(), "x"}).code, 1);
}

TEST(ToolCell, shouldWriteAValueAndReadItBack) {
    RingName ring("state.cell.rw");
    ASSERT_EQ(run_tool({"create", "cell", ring.str(), "--max-size", "16"}).code, 0);
    const Finished empty = run_tool({"cell", "read", ring.str()});
    EXPECT_EQ(empty.code, 1);
    EXPECT_EQ(empty.err, "shmring: " + ring.str() + ": no value yet: nothing was written (version 0)\n");

    ASSERT_EQ(run_tool({"cell", "write", ring.str(), "hello"}).code, 0);
    EXPECT_EQ(run_tool({"cell", "read", ring.str()}).out, "hello\n");
    ASSERT_EQ(run_tool({"cell", "write", ring.str()}, "from stdin\n").code, 0) << "one final newline is dropped";
    const Finished read = run_tool({"cell", "read", ring.str(), "--json"});
    ASSERT_EQ(read.code, 0) << read.err;
    EXPECT_EQ(read.out, "{\"version\":2,\"bytes\":10,\"text\":\"from stdin\"}\n");
    ASSERT_EQ(run_tool({"cell", "write", ring.str()}, std::string("\xff\x00\n\n", 4)).code, 0);
    EXPECT_EQ(run_tool({"cell", "read", ring.str(), "--json"}).out, "{\"version\":3,\"bytes\":3,\"base64\":\"/wAK\"}\n");

    const Finished large = run_tool({"cell", "write", ring.str(), std::string(17, 'x')});
    EXPECT_EQ(large.code, 1);
    EXPECT_EQ(large.err, "shmring: " + ring.str() + ": value: 17 bytes, above the limit of 16 bytes (EMSGSIZE)\n");
    EXPECT_EQ(run_tool({"cell", "write", ring.str()}, std::string(16, 'y') + "\n").code, 0) << "16 bytes and the newline dropped";

    const json cell = stat_of(ring.str()).at("cell");
    EXPECT_EQ(cell.at("version"), 4);
    EXPECT_EQ(cell.at("value_bytes"), 16);
    EXPECT_EQ(cell.at("max_size"), 16);
    EXPECT_TRUE(cell.at("writer").is_null());
    EXPECT_TRUE(contains(run_tool({"stat", ring.str()}).out, "value         version 4, 16 bytes\n"));
}

TEST(ToolCell, shouldWatchTheLatestValueThenEachNewerOne) {
    RingName ring("state.cell.watch");
    ASSERT_EQ(run_tool({"create", "cell", ring.str(), "--max-size", "64"}).code, 0);
    ASSERT_EQ(run_tool({"cell", "write", ring.str(), "first"}).code, 0);
    Running watch({"cell", "watch", ring.str(), "--json", "--count", "3"}, Running::Stdout::capture);
    EXPECT_EQ(watch.read_line(10s), "{\"version\":1,\"bytes\":5,\"text\":\"first\"}");
    ASSERT_EQ(run_tool({"cell", "write", ring.str(), "second"}).code, 0);
    EXPECT_EQ(watch.read_line(10s), "{\"version\":2,\"bytes\":6,\"text\":\"second\"}");
    ASSERT_EQ(run_tool({"cell", "write", ring.str(), "third"}).code, 0);
    EXPECT_EQ(watch.read_line(10s), "{\"version\":3,\"bytes\":5,\"text\":\"third\"}");
    const Finished done = watch.wait();
    EXPECT_EQ(done.code, 0) << done.err;

    Running stopped({"cell", "watch", ring.str()}, Running::Stdout::capture);
    EXPECT_EQ(stopped.read_line(10s), "third");
    stopped.signal(SIGINT);
    const Finished interrupted = stopped.wait();
    EXPECT_EQ(interrupted.code, 130) << interrupted.err;
    EXPECT_EQ(interrupted.err, "");
}

TEST(ToolLock, shouldRunCommandsUnderTheLockOneAtATime) {
    RingName ring("state.lock.exclusion");
    ASSERT_EQ(run_tool({"create", "lock", ring.str()}).code, 0);
    const Finished ran = run_shell("f=$(mktemp)\n"
                                   "for i in 1 2 3; do\n"
                                   "  \"$SHMRING\" lock " + ring.str() + " -- sh -c 'echo \"start $1\" >> \"$2\"; sleep 0.15; echo \"end $1\" >> \"$2\"' _ $i \"$f\" &\n"
                                   "done\n"
                                   "wait\n"
                                   "cat \"$f\"; rm -f \"$f\"\n");
    ASSERT_EQ(ran.code, 0) << ran.err;
    EXPECT_EQ(ran.err, "");
    std::istringstream lines(ran.out);
    std::vector<std::string> all;
    for (std::string line; std::getline(lines, line);) all.push_back(line);
    ASSERT_EQ(all.size(), 6U) << ran.out;
    for (std::size_t i = 0; i < all.size(); i += 2) {
        ASSERT_TRUE(all[i].starts_with("start ")) << ran.out;
        EXPECT_EQ(all[i + 1], "end " + all[i].substr(6)) << "no two commands overlap:\n" << ran.out;
    }
    EXPECT_FALSE(stat_of(ring.str()).at("lock").at("held"));
}

TEST(ToolLock, shouldEndWithTheCommandsStatus) {
    RingName ring("state.lock.status");
    ASSERT_EQ(run_tool({"create", "lock", ring.str()}).code, 0);
    const Finished echoed = run_tool({"lock", ring.str(), "--", "echo", "hello", "there"});
    EXPECT_EQ(echoed.code, 0) << echoed.err;
    EXPECT_EQ(echoed.out, "hello there\n");
    EXPECT_EQ(run_tool({"lock", ring.str(), "--", "sh", "-c", "exit 3"}).code, 3);
    EXPECT_EQ(run_tool({"lock", ring.str(), "--", "sh", "-c", "kill -TERM $$"}).code, 143);
    const Finished missing = run_tool({"lock", ring.str(), "--", "no-such-command-here"});
    EXPECT_EQ(missing.code, 127);
    EXPECT_EQ(missing.err, "shmring: " + ring.str() + ": cannot run 'no-such-command-here': No such file or directory\n");
    const Finished input = run_tool({"lock", ring.str(), "--", "cat"}, "through\n");
    EXPECT_EQ(input.out, "through\n") << "stdin is the command's";
    EXPECT_FALSE(stat_of(ring.str()).at("lock").at("held"));
}

TEST(ToolLock, shouldShowItsHolderAndWaitersAndGiveUpAtTheTimeout) {
    RingName ring("state.lock.held");
    ASSERT_EQ(run_tool({"create", "lock", ring.str()}).code, 0);
    Running holder({"lock", ring.str(), "--", "sleep", "30"});
    ASSERT_TRUE(eventually([&] { return stat_of(ring.str()).at("lock").at("held") == true; }));
    const json held = stat_of(ring.str()).at("lock");
    EXPECT_EQ(held.at("holder").at("pid"), holder.pid());
    EXPECT_EQ(held.at("holder").at("command"), "shmring");
    EXPECT_EQ(held.at("holder").at("alive"), true);
    EXPECT_TRUE(contains(run_tool({"stat", ring.str()}).out, "holder        held by pid " + std::to_string(holder.pid()) + "/shmring, endpoint "));

    const Finished busy = run_tool({"lock", ring.str(), "--nonblock", "--", "true"});
    EXPECT_EQ(busy.code, 1);
    EXPECT_EQ(busy.err, "shmring: " + ring.str() + ": the lock is held by pid " + std::to_string(holder.pid()) + " (EAGAIN)\n");
    const Finished late = run_tool({"lock", ring.str(), "--timeout", "0.2", "--", "true"});
    EXPECT_EQ(late.code, 1);
    EXPECT_EQ(late.err, "shmring: " + ring.str() + ": timed out after 0.2 s: the lock is held by pid " + std::to_string(holder.pid()) +
                            " (ETIMEDOUT)\n");

    Running waiter({"lock", ring.str(), "--", "true"});
    EXPECT_TRUE(eventually([&] {
        const json waiters = stat_of(ring.str()).at("lock").at("waiters");
        return waiters.size() == 1 && waiters[0].at("pid") == waiter.pid();
    })) << run_tool({"stat", ring.str()}).out;
    const Finished metrics = run_tool({"metrics", ring.str()});
    EXPECT_TRUE(contains(metrics.out, "shmring_lock_held{ring=\"" + ring.str() + "\"} 1\n")) << metrics.out;
    EXPECT_TRUE(contains(metrics.out, "shmring_lock_waiters{ring=\"" + ring.str() + "\"} 1\n")) << metrics.out;

    holder.signal(SIGTERM);  // passed on to the command
    const Finished stopped = holder.wait();
    EXPECT_EQ(stopped.code, 143) << stopped.err;
    const Finished next = waiter.wait();
    EXPECT_EQ(next.code, 0) << next.err;
    EXPECT_EQ(next.err, "");
}

TEST(ToolLock, shouldLetTheNextTakerProceedWithAWarningWhenTheHolderWasKilled) {
    RingName ring("state.lock.killed");
    ASSERT_EQ(run_tool({"create", "lock", ring.str()}).code, 0);
    const std::string warning = ": warning: the previous holder (pid ";
    for (const char* then : {"false", "true"}) {
        Running holder({"lock", ring.str(), "--", "sleep", "30"});
        ASSERT_TRUE(eventually([&] { return stat_of(ring.str()).at("lock").at("held") == true; }));
        holder.signal(SIGKILL);
        EXPECT_EQ(holder.wait().signal, SIGKILL);
        const json dead = stat_of(ring.str()).at("lock");
        EXPECT_EQ(dead.at("held"), true);
        EXPECT_EQ(dead.at("holder").at("alive"), false) << dead;
        EXPECT_TRUE(contains(run_tool({"gc", "--dry-run", ring.str()}).out, "would remove " + ring.str() + " (stale: "));

        const Finished taken = run_tool({"lock", ring.str(), "--", then});
        EXPECT_EQ(taken.code, std::string(then) == "true" ? 0 : 1);
        EXPECT_TRUE(contains(taken.err, "shmring: " + ring.str() + warning + std::to_string(holder.pid()) + ") died holding the lock (EOWNERDEAD)"))
            << taken.err;
    }
    // The command after the first death failed: the lock stayed marked, and the next taker was warned too.
    const json lock = stat_of(ring.str()).at("lock");
    EXPECT_EQ(lock.at("owner_deaths"), 2) << "taken twice from a dead holder";
    EXPECT_EQ(lock.at("consistency"), "consistent");
    const Finished quiet = run_tool({"lock", ring.str(), "--", "true"});
    EXPECT_EQ(quiet.code, 0);
    EXPECT_EQ(quiet.err, "") << "a command that succeeded repaired it";
}

TEST(ToolSemaphore, shouldPostWaitAndTellItsValue) {
    RingName ring("state.semaphore");
    ASSERT_EQ(run_tool({"create", "semaphore", ring.str(), "--initial", "1", "--maximum", "3"}).code, 0);
    EXPECT_EQ(run_tool({"sem", "value", ring.str()}).out, "1\n");
    EXPECT_EQ(run_tool({"sem", "post", ring.str()}).code, 0);
    const Finished over = run_tool({"sem", "post", ring.str(), "--count", "2"});
    EXPECT_EQ(over.code, 1);
    EXPECT_EQ(over.err, "shmring: " + ring.str() + ": post 2 of 2: the count is at its maximum of 3 (EOVERFLOW)\n");
    EXPECT_EQ(run_tool({"sem", "value", ring.str(), "--json"}).out, "{\"count\":3,\"maximum\":3,\"waiters\":[]}\n");
    for (int i = 0; i < 3; ++i) EXPECT_EQ(run_tool({"sem", "wait", ring.str()}).code, 0);
    const Finished none = run_tool({"sem", "wait", ring.str(), "--nonblock"});
    EXPECT_EQ(none.code, 1);
    EXPECT_EQ(none.err, "shmring: " + ring.str() + ": the count is 0 (EAGAIN)\n");
    const Finished late = run_tool({"sem", "wait", ring.str(), "--timeout", "0.2"});
    EXPECT_EQ(late.code, 1);
    EXPECT_EQ(late.err, "shmring: " + ring.str() + ": timed out after 0.2 s: the count stayed 0 (ETIMEDOUT)\n");

    Running waiter({"sem", "wait", ring.str()});
    EXPECT_TRUE(eventually([&] {
        const json waiters = stat_of(ring.str()).at("semaphore").at("waiters");
        return waiters.size() == 1 && waiters[0].at("pid") == waiter.pid();
    }));
    EXPECT_EQ(run_tool({"sem", "post", ring.str()}).code, 0);
    EXPECT_EQ(waiter.wait().code, 0);
    EXPECT_EQ(run_tool({"sem", "value", ring.str()}).out, "0\n") << "the waiter took it";

    Running stopped({"sem", "wait", ring.str()});
    EXPECT_TRUE(eventually([&] { return !stat_of(ring.str()).at("semaphore").at("waiters").empty(); }));
    stopped.signal(SIGINT);
    EXPECT_EQ(stopped.wait().code, 130);
    EXPECT_EQ(run_tool({"sem", "post", ring.str()}).code, 0);
    EXPECT_EQ(run_tool({"sem", "value", ring.str()}).out, "1\n") << "the stopped waiter took nothing";
}

TEST(ToolState, shouldCallABrokenStateBlockCorrupt) {
    namespace L = layout;
    RingName lock("state.damaged.lock");
    RingName semaphore("state.damaged.semaphore");
    RingName cell("state.damaged.cell");
    ASSERT_EQ(run_tool({"create", "lock", lock.str()}).code, 0);
    ASSERT_EQ(run_tool({"create", "semaphore", semaphore.str(), "--maximum", "3"}).code, 0);
    ASSERT_EQ(run_tool({"create", "cell", cell.str(), "--max-size", "16"}).code, 0);
    ASSERT_EQ(run_tool({"cell", "write", cell.str(), "x"}).code, 0);
    DamagedRing(lock.str()).put<std::uint64_t>(L::kDataOffset + offsetof(L::OwnerLock, holder), 0x1FF);
    DamagedRing(semaphore.str()).put<std::uint32_t>(L::kDataOffset, 9);
    DamagedRing(cell.str()).put<std::uint64_t>(L::kDataOffset + offsetof(L::CellBlock, latest), 2);  // buffer 2 never written
    EXPECT_EQ(run_tool({"stat", lock.str()}).err,
              "shmring: " + lock.str() + ": corrupt: lock: holder 0x00000000000001ff names no endpoint entry\n");
    EXPECT_EQ(run_tool({"stat", semaphore.str()}).err, "shmring: " + semaphore.str() + ": corrupt: count 9 above the maximum 3\n");
    EXPECT_EQ(run_tool({"stat", cell.str()}).err,
              "shmring: " + cell.str() + ": corrupt: value buffer 2: stamp 0 older than the latest version 2\n");
    const Finished listed = run_tool({"metrics", lock.str(), semaphore.str(), cell.str()});
    EXPECT_EQ(listed.code, 0) << "a damaged one is a sample, not a failure";
    EXPECT_TRUE(contains(listed.out, "shmring_ring_corrupt{ring=\"" + lock.str() + "\"} 1\n")) << listed.out;
}

TEST(ToolState, shouldPrintTheirMetricsInAFormatPromtoolAccepts) {
    RingName cell("state.metrics.cell");
    RingName lock("state.metrics.lock");
    RingName semaphore("state.metrics.semaphore");
    ASSERT_EQ(run_tool({"create", "cell", cell.str(), "--max-size", "64"}).code, 0);
    ASSERT_EQ(run_tool({"cell", "write", cell.str(), "abc"}).code, 0);
    ASSERT_EQ(run_tool({"create", "lock", lock.str()}).code, 0);
    ASSERT_EQ(run_tool({"create", "semaphore", semaphore.str(), "--initial", "2", "--maximum", "9"}).code, 0);
    const Finished metrics = run_tool({"metrics", cell.str(), lock.str(), semaphore.str()});
    ASSERT_EQ(metrics.code, 0) << metrics.err;
    const auto has = [&](const std::string& sample) { return contains(metrics.out, sample + "\n"); };
    EXPECT_TRUE(has("shmring_ring_info{ring=\"" + cell.str() + "\",kind=\"cell\",engine=\"cell\",policy=\"\",state=\"ok\"} 1")) << metrics.out;
    EXPECT_TRUE(has("shmring_cell_version{ring=\"" + cell.str() + "\"} 1"));
    EXPECT_TRUE(has("shmring_cell_value_bytes{ring=\"" + cell.str() + "\"} 3"));
    EXPECT_TRUE(has("shmring_lock_held{ring=\"" + lock.str() + "\"} 0"));
    EXPECT_TRUE(has("shmring_lock_consistency{ring=\"" + lock.str() + "\",state=\"consistent\"} 1"));
    EXPECT_TRUE(has("shmring_lock_owner_deaths_total{ring=\"" + lock.str() + "\"} 0"));
    EXPECT_TRUE(has("shmring_semaphore_value{ring=\"" + semaphore.str() + "\"} 2"));
    EXPECT_TRUE(has("shmring_semaphore_maximum{ring=\"" + semaphore.str() + "\"} 9"));
    EXPECT_FALSE(contains(metrics.out, "shmring_ring_position{ring=\"" + lock.str())) << "no ring figures";
    const Finished checked = run_shell("\"$SHMRING\" metrics " + cell.str() + " " + lock.str() + " " + semaphore.str() + " | promtool check metrics");
    EXPECT_EQ(checked.code, 0) << checked.out << checked.err;
    const Finished open = run_tool({"metrics", "--openmetrics", lock.str()});
    EXPECT_TRUE(open.out.ends_with("# EOF\n"));
}

}  // namespace
}  // namespace shmring::testing
