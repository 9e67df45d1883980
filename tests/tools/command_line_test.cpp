// The command line's manners: errors a user can act on, exit codes a script can rely on (2 usage,
// 1 failure, 128+N stopped by signal N, 0 for a reader whose stdout went away), --json where there
// is output, and the message options (--timeout, --nonblock, -0, --json).
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>  // before support/test_ring.hpp, which uses std::span without including it
#include <sstream>

#include "shmring/shmring.h"
#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

// Stands for the test's ring in a command line written as one string.
#define RING_PLACEHOLDER "@RING@"

using Json = nlohmann::json;
using namespace std::chrono_literals;

std::vector<Json> json_lines(const std::string& text) {
    std::vector<Json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
    return lines;
}

void create_queue(const RingName& ring, const char* messages = "4") {
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", messages, "--message-size", "64"}).code, 0);
}

TEST(ToolCommandLine, shouldSuggestTheCommandMeantForAMisspeltOne) {
    const Finished ls = run_tool({"lss"});
    EXPECT_EQ(ls.code, 2);
    EXPECT_EQ(ls.err, "shmring: unknown command 'lss' (did you mean 'ls'?) (see 'shmring --help')\n");
    const Finished pipe = run_tool({"create", "pipx", "p"});
    EXPECT_EQ(pipe.code, 2);
    EXPECT_NE(pipe.err.find("unknown command 'create pipx' (did you mean 'pipe'?)"), std::string::npos) << pipe.err;
    const Finished nothing = run_tool({});
    EXPECT_EQ(nothing.code, 2);
    EXPECT_NE(nothing.err.find("a command is required: ls, stat,"), std::string::npos) << nothing.err;
    const Finished far = run_tool({"xyzzy"});
    EXPECT_NE(far.err.find("unknown command 'xyzzy' (commands: ls, stat,"), std::string::npos) << far.err;
}

TEST(ToolCommandLine, shouldStateRangesPlainlyAndCallEveryBadValueAUsageError) {
    RingName ring("cli.range");
    const Finished zero = run_tool({"create", "queue", ring.str(), "--messages", "0", "--message-size", "64"});
    EXPECT_EQ(zero.code, 2);
    EXPECT_EQ(zero.err, "shmring: --messages must be 1 to 16777216, not '0' (see 'shmring create queue --help')\n");
    // Too large for the engine and too large for 64 bits are the same mistake.
    for (const char* capacity : {"2G", "1T", "32", "lots"}) {
        const Finished pipe = run_tool({"create", "pipe", ring.str(), "--capacity", capacity});
        EXPECT_EQ(pipe.code, 2) << capacity;
        EXPECT_NE(pipe.err.find("--capacity must be 64 to 1G"), std::string::npos) << pipe.err;
    }
    EXPECT_EQ(run_tool({"create", "pipe", "bad/name", "--capacity", "4K"}).code, 2);
    EXPECT_EQ(run_tool({"recv", ring.str(), "--timeout", "-1"}).code, 2);
    EXPECT_EQ(run_tool({"ls", "--frobnicate"}).code, 2);
    EXPECT_FALSE(std::filesystem::exists(ring_file(ring.str()))) << "nothing half-created";
}

TEST(ToolCommandLine, shouldNameARingsKindAndTheCommandsThatUseIt) {
    RingName ring("cli.kind");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    const Finished send = run_tool({"send", ring.str(), "x"});
    EXPECT_EQ(send.code, 1);
    EXPECT_EQ(send.err, "shmring: " + ring.str() + ": it is a pipe: use 'shmring read' or 'shmring write'\n");
    RingName queue("cli.kind.queue");
    create_queue(queue);
    EXPECT_EQ(run_tool({"read", queue.str()}).err, "shmring: " + queue.str() + ": it is a queue: use 'shmring send' or 'shmring recv'\n");
    EXPECT_EQ(run_tool({"call", queue.str(), "x"}).err, "shmring: " + queue.str() + ": it is a queue: use 'shmring send' or 'shmring recv'\n");
}

TEST(ToolCommandLine, shouldPrintItsVersion) {
    for (const char* flag : {"-V", "--version"}) {
        const Finished version = run_tool({flag});
        EXPECT_EQ(version.code, 0);
        EXPECT_EQ(version.out, std::string("shmring ") + shmring_version() + "\n");
    }
}

TEST(ToolCommandLine, shouldGiveUpSendingAtTheTimeoutOrAtOnceWhenAskedNotToWait) {
    RingName ring("cli.send.wait");
    create_queue(ring, "1");
    ASSERT_EQ(run_tool({"send", ring.str(), "fills it"}).code, 0);
    const Finished nonblock = run_tool({"send", ring.str(), "--nonblock", "no room"});
    EXPECT_EQ(nonblock.code, 1);
    EXPECT_EQ(nonblock.err, "shmring: " + ring.str() + ": message 1: the ring is full (EAGAIN)\n");
    const auto started = std::chrono::steady_clock::now();
    const Finished timed = run_tool({"send", ring.str(), "--timeout", "0.3", "no room"});
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(timed.code, 1);
    EXPECT_EQ(timed.err, "shmring: " + ring.str() + ": message 1: no room within the timeout (ETIMEDOUT)\n");
    EXPECT_GE(waited, 300ms);
    // A receiver making room in time lets the send through.
    Running sender({"send", ring.str(), "--timeout", "10", "second"});
    EXPECT_EQ(run_tool({"recv", ring.str(), "--count", "1"}).out, "fills it\n");
    EXPECT_EQ(sender.wait().code, 0);
    EXPECT_EQ(run_tool({"recv", ring.str(), "--count", "1"}).out, "second\n");
}

TEST(ToolCommandLine, shouldCarryMessagesWithNewlinesAndBinaryBytes) {
    RingName ring("cli.null");
    create_queue(ring, "8");
    ASSERT_EQ(run_tool({"send", "-0", ring.str()}, std::string("two\nlines\0plain\0", 16)).code, 0);
    const Finished nul = run_tool({"recv", ring.str(), "--count", "2", "--null"});
    EXPECT_EQ(nul.out, std::string("two\nlines\0plain\0", 16));
    ASSERT_EQ(run_tool({"send", ring.str(), "a\nb", "\xff\xfe", ""}).code, 0);
    const Finished json = run_tool({"recv", ring.str(), "--count", "3", "--json"});
    ASSERT_EQ(json.code, 0) << json.err;
    const std::vector<Json> lines = json_lines(json.out);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[0], Json({{"bytes", 3}, {"text", "a\nb"}}));
    EXPECT_EQ(lines[1], Json({{"bytes", 2}, {"base64", "//4="}}));
    EXPECT_EQ(lines[2], Json({{"bytes", 0}, {"text", ""}}));
    EXPECT_EQ(run_tool({"recv", ring.str(), "--json", "-0"}).code, 2) << "one output format";
}

TEST(ToolCommandLine, shouldGiveEachSubscribedMessageItsSequenceInJson) {
    RingName ring("cli.topic.json");
    ASSERT_EQ(run_tool({"create", "topic", ring.str(), "--messages", "8", "--message-size", "64"}).code, 0);
    Running subscriber({"subscribe", ring.str(), "--json", "--count", "2"}, Running::Stdout::capture);
    ASSERT_TRUE(eventually([&] {
        return Json::parse(run_tool({"stat", ring.str(), "--json"}).out)["topic"]["subscribers"].size() == 1;
    }));
    ASSERT_EQ(run_tool({"publish", ring.str(), "first", "second"}).code, 0);
    EXPECT_EQ(Json::parse(subscriber.read_line(10s).value_or("{}")), Json({{"sequence", 1}, {"bytes", 5}, {"text", "first"}}));
    EXPECT_EQ(Json::parse(subscriber.read_line(10s).value_or("{}")), Json({{"sequence", 2}, {"bytes", 6}, {"text", "second"}}));
    EXPECT_EQ(subscriber.wait().code, 0);
}

TEST(ToolCommandLine, shouldEndAReaderQuietlyWhenItsStdoutGoesAway) {
    RingName ring("cli.sigpipe");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "64K"}).code, 0);
    // The writer is refused once the reader left: that is its EPIPE, and its status 1.
    const Finished shell = run_shell("d=$(mktemp -d)\n"
                                     "head -c 50000000 /dev/zero | \"$SHMRING\" write " + ring.str() + " 2>$d/writer.err & writer=$!\n"
                                     "set +o pipefail\n"
                                     "\"$SHMRING\" read " + ring.str() + " 2>$d/reader.err | head -c 1000 | wc -c\n"
                                     "echo \"reader ${PIPESTATUS[0]}\"\n"
                                     "wait $writer || echo \"writer $?\"\n"
                                     "cat $d/reader.err $d/writer.err; rm -r $d\n",
                                     60s);
    EXPECT_EQ(shell.out, "1000\nreader 0\nwriter 1\nshmring: " + ring.str() + ": the reader has gone: Broken pipe (EPIPE)\n") << shell.err;
}

TEST(ToolCommandLine, shouldEndAnInterruptedReadAsAShellReportsCtrlC) {
    RingName ring("cli.sigint");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    Running reader({"read", ring.str()});
    ASSERT_TRUE(eventually([&] { return Json::parse(run_tool({"stat", ring.str(), "--json"}).out)["endpoints_alive"] == 1; }));
    reader.signal(SIGINT);
    const Finished stopped = reader.wait();
    EXPECT_TRUE(stopped.exited);
    EXPECT_EQ(stopped.code, 130);
    EXPECT_EQ(stopped.err, "");
    EXPECT_EQ(Json::parse(run_tool({"stat", ring.str(), "--json"}).out)["endpoints"], Json::array()) << "it detached on its way out";
}

TEST(ToolCommandLine, shouldHearSigtermWhileItsStdoutIsFull) {
    RingName ring("cli.sigterm.full");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "64K"}).code, 0);
    Running writer(Script{"head -c 100000000 /dev/zero | \"$SHMRING\" write " + ring.str()});
    // Its stdout is a pipe nobody reads: once that is full, the reader waits in write(2).
    Running reader({"read", ring.str()}, Running::Stdout::capture);
    ASSERT_TRUE(eventually([&] { return Json::parse(run_tool({"stat", ring.str(), "--json"}).out)["used"] == 65536; }));
    reader.signal(SIGTERM);
    const auto started = std::chrono::steady_clock::now();
    const Finished stopped = reader.wait(5s);
    EXPECT_EQ(stopped.code, 128 + SIGTERM);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(ToolCommandLine, shouldReportAFullDiskAndEndQuietlyWhenTheReaderLeaves) {
    RingName ring("cli.stdout");
    create_queue(ring);
    const Finished full = run_shell("\"$SHMRING\" ls > /dev/full");
    EXPECT_EQ(full.code, 1);
    EXPECT_EQ(full.err, "shmring: stdout: No space left on device\n");
    // Commands that print much see the reader leave too: `set -o pipefail` stays green.
    for (const char* command : {"metrics", "completion bash", "ls --json --interval 0", "stat " RING_PLACEHOLDER}) {
        std::string line = command;
        if (const auto at = line.find(RING_PLACEHOLDER); at != std::string::npos) line.replace(at, std::string(RING_PLACEHOLDER).size(), ring.str());
        const Finished head = run_shell("\"$SHMRING\" " + line + " | head -c 1 >/dev/null; echo \"${PIPESTATUS[0]}\"");
        EXPECT_EQ(head.out, "0\n") << line << head.err;
        EXPECT_EQ(head.err, "") << line;
    }
}

TEST(ToolCommandLine, shouldRefuseOptionsThatContradictEachOther) {
    RingName ring("cli.contradict");
    create_queue(ring);
    EXPECT_EQ(run_tool({"send", ring.str(), "--nonblock", "--timeout", "5", "x"}).code, 2);
    EXPECT_EQ(run_tool({"exporter", "--listen", "127.0.0.1:0", "--once"}).code, 2);
    EXPECT_EQ(run_tool({"exporter", "--listen", "127.0.0.1:0", "--interval", "5"}).code, 2);
    EXPECT_EQ(run_tool({"exporter", "--listen", "127.0.0.1:99999"}).code, 2);
    EXPECT_EQ(run_tool({"recv", ring.str(), "--timeout", "0"}).out, "") << "nothing was sent";
}

TEST(ToolCommandLine, shouldListRatesAndTheAttachedProcesses) {
    RingName ring("cli.ls");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    Running reader({"read", ring.str()});
    ASSERT_TRUE(eventually([&] { return Json::parse(run_tool({"stat", ring.str(), "--json"}).out)["endpoints_alive"] == 1; }));
    const std::string process = std::to_string(reader.pid()) + "/shmring";
    const Finished table = run_tool({"ls"});
    EXPECT_NE(table.out.find("IN/S"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find(process), std::string::npos) << table.out;
    for (const Json& r : Json::parse(run_tool({"ls", "--json"}).out)["rings"]) {
        if (r["name"] != ring.str()) continue;
        EXPECT_EQ(r["processes"], Json::parse(R"([{"pid":)" + std::to_string(reader.pid()) +
                                                R"(,"command":"shmring","role":"consumer","alive":true}])"));
        EXPECT_EQ(r["rates"]["in"]["messages_per_second"], 0.0);
    }
    for (const Json& r : Json::parse(run_tool({"ls", "--json", "--interval", "0"}).out)["rings"]) {
        if (r["name"] == ring.str()) {
            EXPECT_TRUE(r["rates"].is_null());
        }
    }
}

TEST(ToolCommandLine, shouldShowTheBusiestRingFirstInTop) {
    RingName idle("cli.top.idle");
    RingName busy("cli.top.busy");
    create_queue(idle);
    create_queue(busy, "64");
    Running traffic(Script{"while true; do \"$SHMRING\" send " + busy.str() + " a b c d; \"$SHMRING\" recv " + busy.str() +
                           " --count 4 >/dev/null; done"});
    ASSERT_TRUE(eventually([&] { return run_tool({"recv", busy.str(), "--timeout", "0"}).code == 0; }));
    const Finished top = run_tool({"top", "--json", "--count", "2", "--interval", "0.5"});
    ASSERT_EQ(top.code, 0) << top.err;
    const std::vector<Json> refreshes = json_lines(top.out);
    ASSERT_EQ(refreshes.size(), 2U);
    for (const Json& refresh : refreshes) {
        std::vector<std::string> order;
        for (const Json& r : refresh["rings"])
            if (r["name"] == idle.str() || r["name"] == busy.str()) order.push_back(r["name"]);
        EXPECT_EQ(order, (std::vector<std::string>{busy.str(), idle.str()})) << refresh.dump();
    }
}

TEST(ToolCommandLine, shouldWatchInJsonLines) {
    RingName ring("cli.watch.json");
    create_queue(ring);
    const Finished watch = run_tool({"watch", ring.str(), "--json", "--count", "2", "--interval", "0.05"});
    ASSERT_EQ(watch.code, 0) << watch.err;
    const std::vector<Json> lines = json_lines(watch.out);
    ASSERT_EQ(lines.size(), 2U);
    for (const Json& line : lines) {
        EXPECT_EQ(line["name"], ring.str());
        EXPECT_TRUE(line["rates"]["out"].contains("bytes_per_second")) << line.dump();
        EXPECT_TRUE(line.contains("time"));
    }
}

TEST(ToolCommandLine, shouldAnswerInJsonWhenCreatingRemovingAndCollecting) {
    RingName ring("cli.json");
    const Finished created = run_tool({"create", "queue", ring.str(), "--messages", "4", "--message-size", "64", "--json"});
    ASSERT_EQ(created.code, 0) << created.err;
    EXPECT_EQ(Json::parse(created.out)["name"], ring.str());
    EXPECT_EQ(Json::parse(created.out)["kind"], "queue");
    const Finished gc = run_tool({"gc", "--dry-run", "--json", ring.str()});
    EXPECT_EQ(Json::parse(gc.out), Json::parse(R"({"dry_run":true,"removed":[]})"));
    const Finished removed = run_tool({"rm", "--json", ring.str()});
    EXPECT_EQ(Json::parse(removed.out)["removed"][0]["name"], ring.str());
}

}  // namespace
}  // namespace shmring::testing
