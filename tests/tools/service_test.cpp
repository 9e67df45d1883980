// shmring create service / call / serve, and what ls, stat, watch and gc say about services.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>  // before support/test_ring.hpp, which uses std::span without including it
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "damaged_ring.hpp"
#include "shmring/layout.hpp"
#include "shmring/service.hpp"
#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

Json stat_json(const std::string& ring) {
    const Finished stat = run_tool({"stat", ring, "--json"});
    EXPECT_EQ(stat.code, 0) << stat.err;
    return Json::parse(stat.out, nullptr, false);
}

bool servers_alive(const std::string& ring, int count) {
    const Json stat = stat_json(ring);
    return stat.is_object() && stat["service"]["servers"] == count;
}

void create(const RingName& ring, const std::string& response_size = "64") {
    const Finished created =
        run_tool({"create", "service", ring.str(), "--pending", "4", "--request-size", "64", "--response-size", response_size});
    ASSERT_EQ(created.code, 0) << created.err;
}

std::string error_line(const RingName& ring, const std::string& reason) { return "shmring: " + ring.str() + ": " + reason + "\n"; }

TEST(ToolService, shouldCreateAServiceAndShowItsLimitsInLsStatAndWatch) {
    RingName ring("service.create");
    ASSERT_EQ(run_tool({"create", "service", ring.str(), "--pending", "3", "--request-size", "1K", "--response-size", "64"}).code, 0);
    const Json stat = stat_json(ring.str());
    EXPECT_EQ(stat["kind"], "service");
    EXPECT_EQ(stat["engine"], "service");
    EXPECT_EQ(stat["capacity"], 3);
    EXPECT_EQ(stat["capacity_unit"], "calls");
    EXPECT_EQ(stat["max_message"], 1024);
    EXPECT_EQ(stat["used_messages"], 0);
    const Json& service = stat["service"];
    EXPECT_EQ(service["max_pending"], 3);
    EXPECT_EQ(service["max_request"], 1024);
    EXPECT_EQ(service["max_response"], 64);
    EXPECT_EQ(service["call_stride"], 64 + 1024 + 64 + 64);  // header, request, response header, response
    EXPECT_EQ(service["clients"], 0);
    EXPECT_EQ(service["servers"], 0);
    EXPECT_EQ(service["pending"], 0);
    EXPECT_EQ(service["calls"], Json::array());

    const Finished text = run_tool({"stat", ring.str()});
    EXPECT_NE(text.out.find("kind           service (service engine"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("3 pending calls, requests up to 1024 bytes, responses up to 64 bytes"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("calls: 0 pending"), std::string::npos) << text.out;
    const Json ls = Json::parse(run_tool({"ls", "--json"}).out, nullptr, false);
    bool listed = false;
    for (const Json& r : ls["rings"])
        if (r["name"] == ring.str()) listed = r["kind"] == "service" && r["capacity"] == 3 && r["capacity_unit"] == "calls";
    EXPECT_TRUE(listed) << ls.dump();
    const Finished table = run_tool({"ls"});
    EXPECT_NE(table.out.find(ring.str() + "  service  service  3 x 1 KiB/64 B  0 calls"), std::string::npos) << table.out;
    const Finished watch = run_shell("\"$SHMRING\" watch " + ring.str() + " --interval 0.05 | head -n 1", 10s);
    EXPECT_NE(watch.out.find(" fill 0.0% endpoints 0 alive 0 dead state ok"), std::string::npos) << watch.out << watch.err;

    const Finished big = run_tool({"create", "service", ring.str() + ".big", "--pending", "1", "--request-size", "2M", "--response-size", "1"});
    EXPECT_EQ(big.code, 2);
    EXPECT_EQ(big.err, "shmring: --request-size must be 1 to 1M (bytes, or with a K, M or G suffix), not '2M' (see 'shmring create service --help')\n");
    EXPECT_EQ(run_tool({"create", "service", ring.str() + ".usage", "--pending", "1", "--request-size", "8"}).code, 2);
}

TEST(ToolService, shouldPrintHelpForEveryServiceCommand) {
    for (std::vector<std::string> args : {std::vector<std::string>{"create", "service"}, {"call"}, {"serve"}}) {
        args.push_back("--help");
        const Finished help = run_tool(args);
        EXPECT_EQ(help.code, 0) << args.front();
        EXPECT_NE(help.out.find("Usage:"), std::string::npos) << args.front();
    }
    EXPECT_NE(run_tool({"stat", "--help"}).out.find("calls[]{index,id,phase"), std::string::npos) << "stat --help lists the JSON fields";
}

TEST(ToolService, shouldAnswerCallsWithWhatTheServedCommandPrints) {
    RingName ring("service.serve");
    create(ring);
    Running serve({"serve", ring.str(), "--", "tr", "a-z", "A-Z"});
    ASSERT_TRUE(eventually([&] { return servers_alive(ring.str(), 1); }, 5s));
    const Finished argument = run_tool({"call", ring.str(), "hello"}, {}, 10s);
    EXPECT_EQ(argument.code, 0) << argument.err;
    EXPECT_EQ(argument.out, "HELLO") << "the response as the command wrote it, no newline added";
    const Finished input = run_tool({"call", ring.str()}, "from stdin\nand more\n", 10s);
    EXPECT_EQ(input.code, 0) << input.err;
    EXPECT_EQ(input.out, "FROM STDIN\nAND MORE\n");
    serve.signal(SIGTERM);
    const Finished ended = serve.wait(5s);
    EXPECT_TRUE(ended.exited);
    EXPECT_EQ(ended.code, 0) << ended.err;
    EXPECT_EQ(ended.err, "");
    EXPECT_EQ(stat_json(ring.str())["endpoints"].size(), 0U) << "serve detached on SIGTERM";
}

TEST(ToolService, shouldStopServingAfterCountRequests) {
    RingName ring("service.count");
    create(ring);
    Running serve({"serve", ring.str(), "--count", "2", "--", "cat"});
    ASSERT_TRUE(eventually([&] { return servers_alive(ring.str(), 1); }, 5s));
    EXPECT_EQ(run_tool({"call", ring.str(), "one"}, {}, 10s).out, "one");
    EXPECT_EQ(run_tool({"call", ring.str(), "two"}, {}, 10s).out, "two");
    const Finished ended = serve.wait(5s);
    EXPECT_TRUE(ended.exited);
    EXPECT_EQ(ended.code, 0) << ended.err;
    EXPECT_EQ(run_tool({"call", ring.str(), "three"}, {}, 10s).err, error_line(ring, "no server attached (ECONNREFUSED)"));
}

TEST(ToolService, shouldRefuseACallWithoutServerOrAboveTheLimit) {
    RingName ring("service.refuse");
    create(ring);
    const Finished refused = run_tool({"call", ring.str(), "anyone?"});
    EXPECT_EQ(refused.code, 1);
    EXPECT_EQ(refused.out, "");
    EXPECT_EQ(refused.err, error_line(ring, "no server attached (ECONNREFUSED)"));
    const Finished large = run_tool({"call", ring.str(), std::string(65, 'x')});
    EXPECT_EQ(large.code, 1);
    EXPECT_EQ(large.err, error_line(ring, "request: 65 bytes, above the limit of 64 bytes (EMSGSIZE)"));
    EXPECT_EQ(run_tool({"call", ring.str()}, std::string(100000, 'x')).err,
              error_line(ring, "request: 100000 bytes, above the limit of 64 bytes (EMSGSIZE)"));
    EXPECT_EQ(run_tool({"call", ring.str() + ".none", "x"}).err, "shmring: " + ring.str() + ".none: no such ring\n");
}

// A server of the test's own takes a request and holds it: stat shows the call, its phase, its
// parties and its age; the answer then reaches the waiting `call`.
TEST(ToolService, shouldShowAPendingCallWithItsPhasePartiesAndAge) {
    RingName ring("service.pending");
    create(ring);
    auto server = ServiceServer::attach(ring.str());
    ASSERT_TRUE(server);
    Running call({"call", ring.str(), "ping"}, Running::Stdout::capture);
    const Request request = server->receive(Clock::now() + 5s);
    ASSERT_EQ(request.status, Status::ok);
    std::this_thread::sleep_for(50ms);  // an age to see

    const Json stat = stat_json(ring.str());
    EXPECT_EQ(stat["used_messages"], 1);
    EXPECT_DOUBLE_EQ(stat["fill_percent"].get<double>(), 25.0);
    const Json& service = stat["service"];
    EXPECT_EQ(service["clients"], 1);
    EXPECT_EQ(service["servers"], 1);
    EXPECT_EQ(service["attached_servers"], Json::array({server->endpoint().index()}));
    EXPECT_EQ(service["pending"], 1);
    ASSERT_EQ(service["calls"].size(), 1U);
    const Json& pending = service["calls"][0];
    EXPECT_EQ(pending["id"], request.id);
    EXPECT_EQ(pending["phase"], "serving");
    EXPECT_EQ(pending["server"], server->endpoint().index());
    EXPECT_EQ(pending["server_pid"], ::getpid());
    EXPECT_EQ(pending["client_pid"], call.pid());
    EXPECT_EQ(pending["request_bytes"], 4);
    EXPECT_EQ(pending["response_bytes"], nullptr);
    EXPECT_GE(pending["age_seconds"].get<double>(), 0.05);
    EXPECT_LT(pending["age_seconds"].get<double>(), 10.0);
    bool roles_named = true;
    for (const Json& endpoint : stat["endpoints"])
        roles_named = roles_named && (endpoint["role"] == "client" || endpoint["role"] == "server");
    EXPECT_TRUE(roles_named) << stat["endpoints"].dump();
    const Finished text = run_tool({"stat", ring.str()});
    EXPECT_NE(text.out.find("calls: 1 pending"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find(" serving "), std::string::npos) << text.out;

    ASSERT_EQ(server->reply(request.id, bytes_of("pong\n")), Status::ok);
    EXPECT_EQ(call.read_line(5s), "pong");
    EXPECT_EQ(call.wait().code, 0);
    EXPECT_EQ(stat_json(ring.str())["service"]["pending"], 0);
}

TEST(ToolService, shouldSayTimedOutAtTheTimeoutAndResetWhenTheServerLeavesUnanswered) {
    RingName ring("service.reset");
    create(ring);
    std::optional<Running> call;
    {
        auto server = ServiceServer::attach(ring.str());
        ASSERT_TRUE(server);
        const Finished late = run_tool({"call", ring.str(), "x", "--timeout", "0.1"});
        EXPECT_EQ(late.code, 1);
        EXPECT_EQ(late.err, error_line(ring, "timed out after 0.1 s waiting for the response (ETIMEDOUT)"));
        EXPECT_EQ(stat_json(ring.str())["service"]["pending"], 0) << "the call was given up";

        call.emplace(std::vector<std::string>{"call", ring.str(), "y"});
        ASSERT_EQ(server->receive(Clock::now() + 5s).status, Status::ok);
    }  // the server that took it leaves without answering
    const Finished reset = call->wait();
    EXPECT_EQ(reset.code, 1);
    EXPECT_EQ(reset.err, error_line(ring, "the server died or closed before answering (ECONNRESET)"));
}

TEST(ToolService, shouldAnswerWithTheOutputOfACommandThatFailsOrSaysTooMuch) {
    RingName failing("service.failing");
    create(failing);
    Running exits({"serve", failing.str(), "--count", "1", "--", "sh", "-c", "printf partial; exit 3"});
    ASSERT_TRUE(eventually([&] { return servers_alive(failing.str(), 1); }, 5s));
    const Finished partial = run_tool({"call", failing.str()}, {}, 10s);
    EXPECT_EQ(partial.code, 0) << partial.err;
    EXPECT_EQ(partial.out, "partial");
    const Finished failed = exits.wait(5s);
    EXPECT_EQ(failed.code, 0);
    EXPECT_EQ(failed.err, error_line(failing, "request 1: 'sh' exited with status 3, answered with its output (7 bytes)"));

    RingName endless("service.endless");
    create(endless, "8");
    Running yes({"serve", endless.str(), "--count", "1", "--", "yes"});  // never ends on its own
    ASSERT_TRUE(eventually([&] { return servers_alive(endless.str(), 1); }, 5s));
    const Finished cut = run_tool({"call", endless.str()}, {}, 10s);
    EXPECT_EQ(cut.code, 0) << cut.err;
    EXPECT_EQ(cut.out, "y\ny\ny\ny\n");
    const Finished truncated = yes.wait(5s);
    EXPECT_EQ(truncated.code, 0);
    EXPECT_EQ(truncated.err,
              error_line(endless, "request 1: output of 'yes' above the response limit of 8 bytes, answered with its first 8 bytes"));

    RingName missing("service.missing");
    create(missing);
    Running nothing({"serve", missing.str(), "--", "/nonexistent/command"});
    ASSERT_TRUE(eventually([&] { return servers_alive(missing.str(), 1); }, 5s));
    EXPECT_EQ(run_tool({"call", missing.str(), "x"}, {}, 10s).err,
              error_line(missing, "the server died or closed before answering (ECONNRESET)"));
    const Finished unstarted = nothing.wait(5s);
    EXPECT_EQ(unstarted.code, 1);
    EXPECT_EQ(unstarted.err, error_line(missing, "request 1: cannot run '/nonexistent/command': No such file or directory"));
}

TEST(ToolService, shouldKillTheCommandAndResetItsCallWhenStopped) {
    RingName ring("service.stop");
    create(ring);
    Running serve({"serve", ring.str(), "--", "sleep", "30"});
    ASSERT_TRUE(eventually([&] { return servers_alive(ring.str(), 1); }, 5s));
    Running call({"call", ring.str(), "x"});
    ASSERT_TRUE(eventually([&] { return stat_json(ring.str())["service"]["calls"][0]["phase"] == "serving"; }, 5s));
    serve.signal(SIGINT);
    const Finished stopped = serve.wait(5s);
    EXPECT_TRUE(stopped.exited);
    EXPECT_EQ(stopped.code, 0) << stopped.err;
    EXPECT_EQ(call.wait(5s).err, error_line(ring, "the server died or closed before answering (ECONNRESET)"));
}

TEST(ToolService, shouldShowADeadServerAndCollectAServiceNobodyUses) {
    RingName ring("service.dead");
    const pid_t child = ::fork();
    if (child == 0) {  // the creator and only server: stale once it died
        if (!create_service(ring, 2, 16, 16)) ::_exit(1);
        auto server = ServiceServer::attach(ring.str());
        ::_exit(server ? 0 : 1);  // dies attached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(WEXITSTATUS(status), 0);
    const Json stat = stat_json(ring.str());
    ASSERT_EQ(stat["endpoints"].size(), 1U);
    EXPECT_EQ(stat["endpoints"][0]["role"], "server");
    EXPECT_EQ(stat["endpoints"][0]["alive"], false);
    EXPECT_EQ(stat["service"]["servers"], 0) << "live ones";
    EXPECT_EQ(stat["state"], "stale");
    const Finished gc = run_tool({"gc", ring.str()});
    EXPECT_EQ(gc.code, 0) << gc.err;
    EXPECT_NE(gc.out.find("removed " + ring.str() + " (stale: 1 dead endpoint"), std::string::npos) << gc.out;
    EXPECT_EQ(run_tool({"stat", ring.str()}).code, 1) << "collected";
}

// Garbage in a call slot is a verdict, never a crash: the rules the library checks, one by one.
TEST(ToolService, shouldCallABrokenCallSlotCorrupt) {
    RingName ring("service.corrupt");
    create(ring);
    // 4 calls: a request queue of 8 slots of 64 bytes, then the call slots.
    const std::size_t call = layout::kDataOffset + 8 * 64;
    const std::size_t second_call = call + layout::call_stride_for(64, 64);
    const auto stat_error = [&] { return run_tool({"stat", ring.str()}).err; };
    DamagedRing file(ring.str());
    ASSERT_TRUE(file.is_open());

    file.put<std::uint64_t>(second_call, layout::call_state(3, layout::CallPhase(9), 1, 0));
    EXPECT_EQ(stat_error(), error_line(ring, "corrupt: call slot 1: unknown phase 9"));
    file.put<std::uint64_t>(second_call, layout::call_state(3, layout::CallPhase::queued, 200, 0));
    EXPECT_EQ(stat_error(), error_line(ring, "corrupt: call slot 1: client tag 200 out of range"));
    file.put<std::uint64_t>(second_call, layout::call_state(3, layout::CallPhase::serving, 1, 65));
    EXPECT_EQ(stat_error(), error_line(ring, "corrupt: call slot 1: server tag 65 out of range"));
    file.put<std::uint64_t>(second_call, layout::call_state(3, layout::CallPhase::queued, 1, 0));
    file.put<std::uint32_t>(second_call + offsetof(layout::CallHeader, request_length), 1000);
    EXPECT_EQ(stat_error(), error_line(ring, "corrupt: call slot 1: request length 1000 above the limit 64"));
    file.put<std::uint64_t>(second_call, layout::call_state(3, layout::CallPhase::writing, 1, 0));
    EXPECT_EQ(stat_error(), "") << "a request being written has no length yet";
    file.put<std::uint32_t>(second_call + offsetof(layout::CallHeader, request_length), 1);
    file.put<std::uint64_t>(second_call, layout::call_state(3, layout::CallPhase::answered, 1, 2));
    file.put<std::uint32_t>(second_call + layout::response_header_offset(64) + offsetof(layout::ResponseHeader, length), 65);
    EXPECT_EQ(stat_error(), error_line(ring, "corrupt: call slot 1: response length 65 above the limit 64"));
    // A call slot of random bytes, its state mostly near the valid ones: status 0 or 1, one line.
    std::mt19937_64 random(std::random_device{}());
    for (int round = 0; round < 20; ++round) {
        std::uint64_t words[8];
        for (std::uint64_t& word : words) word = random() % 4 == 0 ? random() : random() % 80;
        words[0] = layout::call_state(random(), layout::CallPhase(random() % 8), static_cast<std::uint32_t>(random() % 70),
                                      static_cast<std::uint32_t>(random() % 70));
        file.write_bytes(call, words, sizeof words);
        const Finished stat = run_tool({"stat", ring.str(), "--json"});
        ASSERT_TRUE(stat.exited) << "signal " << stat.signal;
        if (stat.code == 0) {
            EXPECT_TRUE(Json::accept(stat.out));
        } else {
            EXPECT_EQ(stat.code, 1);
            EXPECT_TRUE(stat.err.starts_with("shmring: " + ring.str() + ": corrupt: call slot ")) << stat.err;
        }
    }
}

}  // namespace
}  // namespace shmring::testing
