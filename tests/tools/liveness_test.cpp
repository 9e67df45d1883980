// Dead endpoints in stat and ls, and what gc removes: the garbage, and nothing else.
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "shmring/layout.hpp"
#include "shmring/process.hpp"
#include <span>  // before support/test_ring.hpp, which uses std::span without including it

#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

using nlohmann::json;

json stat_of(const std::string& name) {
    const Finished stat = run_tool({"stat", name, "--json"});
    return stat.code == 0 ? json::parse(stat.out) : json();
}

bool has_alive_endpoints(const std::string& name, int count) {
    const json s = stat_of(name);
    return s.is_object() && s.at("endpoints_alive") == count;
}

bool exists(const std::string& name) { return ::access(ring_file(name).c_str(), F_OK) == 0; }

// A pid that belonged to a process which has exited and been reaped.
std::uint32_t dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return static_cast<std::uint32_t>(child);
}

// A segment whose creator wrote the header but never published it (state still 0).
void write_unpublished_ring(const std::string& name, ProcessIdentity creator) {
    const int fd = ::open(ring_file(name).c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, layout::kDataOffset + 4096), 0);
    layout::SegmentHeader header{};
    header.magic = layout::kMagic;
    header.layout_version = layout::kLayoutVersion;
    header.creator_pid = creator.pid;
    header.creator_start_time = creator.start_time;
    ASSERT_EQ(::pwrite(fd, &header, sizeof header, 0), static_cast<ssize_t>(sizeof header));
    ::close(fd);
}

TEST(ToolLiveness, shouldShowAKilledEndpointAsDeadAndGcRemoveOnlyTheGarbage) {
    RingName stale("live.stale");
    RingName busy("live.busy");
    RingName unused("live.unused");
    RingName stuck_dead("live.stuckdead");
    RingName stuck_alive("live.stuckalive");
    for (const RingName* ring : {&stale, &busy, &unused}) ASSERT_EQ(run_tool({"create", "pipe", ring->str(), "--capacity", "4K"}).code, 0);
    const std::uint32_t gone_creator = dead_pid();
    write_unpublished_ring(stuck_dead.str(), {gone_creator, 1});
    write_unpublished_ring(stuck_alive.str(), current_process());

    Running killed_reader({"read", stale.str()});
    Running busy_reader({"read", busy.str()});
    ASSERT_TRUE(eventually([&] { return has_alive_endpoints(stale.str(), 1) && has_alive_endpoints(busy.str(), 1); }));
    killed_reader.signal(SIGKILL);
    EXPECT_EQ(killed_reader.wait().signal, SIGKILL);

    const json s = stat_of(stale.str());
    ASSERT_EQ(s.at("endpoints").size(), 1U) << s.dump(2);
    const json& endpoint = s.at("endpoints")[0];
    EXPECT_EQ(endpoint.at("role"), "consumer");
    EXPECT_EQ(endpoint.at("pid"), killed_reader.pid());
    EXPECT_EQ(endpoint.at("alive"), false);
    EXPECT_EQ(s.at("endpoints_dead"), 1);
    EXPECT_EQ(s.at("state"), "stale");
    EXPECT_NE(run_tool({"stat", stale.str()}).out.find("DEAD"), std::string::npos);

    const std::string creator = std::to_string(s.at("creator").at("pid").get<std::uint32_t>());
    const std::string expected_stale = stale.str() + " (stale: 1 dead endpoint, creator pid " + creator + " dead)";
    const std::string expected_stuck = stuck_dead.str() + " (never finished initialising, creator pid " + std::to_string(gone_creator) + " dead)";

    // Everything on this machine: ours must be among the candidates, our live ones must not.
    const Finished dry = run_tool({"gc", "--dry-run"});
    EXPECT_EQ(dry.code, 0) << dry.err;
    EXPECT_NE(dry.out.find("would remove " + expected_stale + "\n"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("would remove " + expected_stuck + "\n"), std::string::npos) << dry.out;
    for (const RingName* kept : {&busy, &unused, &stuck_alive}) EXPECT_EQ(dry.out.find(kept->str()), std::string::npos) << dry.out;
    EXPECT_TRUE(exists(stale.str()));

    // Only our rings, so that the test never removes another process's garbage.
    const Finished gc = run_tool({"gc", stale.str(), busy.str(), unused.str(), stuck_dead.str(), stuck_alive.str()});
    EXPECT_EQ(gc.code, 0) << gc.err;
    EXPECT_EQ(gc.out, "removed " + expected_stale + "\nremoved " + expected_stuck + "\n");
    EXPECT_FALSE(exists(stale.str()));
    EXPECT_FALSE(exists(stuck_dead.str()));
    EXPECT_TRUE(exists(busy.str()));
    EXPECT_TRUE(exists(unused.str()));
    EXPECT_TRUE(exists(stuck_alive.str()));
}

TEST(ToolLiveness, shouldKeepAStaleRingThatALiveProcessHasOpen) {
    RingName ring("live.held");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    Running reader({"read", ring.str()});
    ASSERT_TRUE(eventually([&] { return has_alive_endpoints(ring.str(), 1); }));
    reader.signal(SIGKILL);
    reader.wait();
    const int held = ::open(ring_file(ring.str()).c_str(), O_RDONLY);
    ASSERT_GE(held, 0);
    EXPECT_EQ(run_tool({"gc", ring.str()}).out, "");
    EXPECT_TRUE(exists(ring.str()));
    ::close(held);
    EXPECT_TRUE(run_tool({"gc", ring.str()}).out.starts_with("removed " + ring.str()));
    EXPECT_FALSE(exists(ring.str()));
}

TEST(ToolLiveness, shouldDetachCleanlyWhenStoppedBySigterm) {
    RingName ring("live.term");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    Running reader({"read", ring.str()});
    ASSERT_TRUE(eventually([&] { return has_alive_endpoints(ring.str(), 1); }));
    reader.signal(SIGTERM);
    const Finished stopped = reader.wait();
    EXPECT_TRUE(stopped.exited);
    EXPECT_EQ(stopped.code, 128 + SIGTERM) << "as a shell reports a program stopped by the signal";
    EXPECT_EQ(stopped.err, "");
    const json s = stat_of(ring.str());
    EXPECT_EQ(s.at("endpoints"), json::array()) << "no dead endpoint left behind";
    EXPECT_EQ(s.at("state"), "ok");
}

}  // namespace
}  // namespace shmring::testing
