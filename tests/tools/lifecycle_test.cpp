// create -> ls -> stat --json -> rm for every kind of ring, and the command's usage conventions.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "shmring/layout.hpp"
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

}  // namespace
}  // namespace shmring::testing
