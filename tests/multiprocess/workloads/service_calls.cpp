#include "workloads/service_calls.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/message_stream.hpp"
#include "harness/process_group.hpp"
#include "harness/ring_snapshot.hpp"
#include "harness/role.hpp"
#include "shmring/service.hpp"
#include "support/test_ring.hpp"
#include "workloads/endpoint_options.hpp"

namespace shmring::multiprocess {

namespace {

constexpr std::uint32_t kMessageSize = 64;
constexpr std::size_t kHeader = 2 * sizeof(std::uint64_t);  // client number, call number
constexpr std::size_t kMaxBody = kMessageSize - kHeader;

std::uint64_t steady_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

// What identifies one call across processes, summed by the servers that answer it.
std::uint64_t call_key(std::uint64_t client, std::uint64_t call) { return mix((client << 40) ^ call); }

// The response to `request`: the two numbers swapped, the body reversed.
std::size_t respond(std::span<const std::byte> request, std::span<std::byte> response) {
    std::memcpy(response.data(), request.data() + 8, 8);
    std::memcpy(response.data() + 8, request.data(), 8);
    std::reverse_copy(request.begin() + kHeader, request.end(), response.begin() + kHeader);
    return request.size();
}

// Answers requests in place until the parent says stop (a report key it polls through its
// pipe is not available, so: until `calls` requests have been answered by all, counted by the
// parent; a server stops when it finds no request for `idle_ms` after its clients are done).
int run_server(const RoleArgs& args, Report& report) {
    auto server = ServiceServer::attach(args.text("service"), attach_options(args.wait_strategy("wait")));
    if (!server) return report.fail(server.error().message());
    const std::uint64_t stall_after = args.number("stall_after");
    report.put("ready", std::uint64_t{1});
    std::uint64_t answered = 0, keys = 0;
    Deadline idle_since = Clock::now();
    for (;;) {
        const Request request = server->receive(Clock::now() + std::chrono::milliseconds(50));
        if (request.status == Status::timed_out) {
            // The parent unlinks nothing until everyone is done; the clients' end is the signal.
            if (Clock::now() - idle_since > std::chrono::milliseconds(args.number("idle_ms"))) break;
            continue;
        }
        if (request.status != Status::ok) return report.fail(std::string("receive: ") + describe(request.status));
        idle_since = Clock::now();
        if (request.data.size() < kHeader) return report.fail("a request of " + std::to_string(request.data.size()) + " bytes");
        std::uint64_t client = 0, call = 0;
        std::memcpy(&client, request.data.data(), 8);
        std::memcpy(&call, request.data.data() + 8, 8);
        if (stall_after != 0 && answered == stall_after) {
            report.put("stalled_client", client);
            report.put("stalled_call", call);
            report.put("stalled", steady_ns());
            pause_until_killed();
        }
        const auto room = server->response_buffer(request.id);
        if (room.size() < request.data.size()) return report.fail("a response buffer too small");
        const Status replied = server->reply(request.id, respond(request.data, room));
        if (replied != Status::ok) return report.fail(std::string("reply: ") + describe(replied));
        ++answered;
        keys += call_key(client, call);
    }
    report.put("answered", answered);
    report.put("keys", keys);
    return 0;
}

// Sends calls 1..N with `window` in flight, collecting the newest first; checks every response.
// A call reset (its server killed) is counted, with the time it was learnt.
int run_client(const RoleArgs& args, Report& report) {
    const std::uint64_t me = args.number("client");
    const std::uint64_t calls = args.number("calls");
    const std::uint64_t window = args.number("window");
    auto client = ServiceClient::attach(args.text("service"), attach_options(args.wait_strategy("wait")));
    if (!client) return report.fail(client.error().message());
    const MessageStream stream(args.number("seed"), me, kMaxBody);
    struct InFlight {
        std::uint64_t call;
        std::uint64_t id;
    };
    std::deque<InFlight> in_flight;
    std::byte request[kMessageSize], response[kMessageSize], expected[kMessageSize];
    std::uint64_t next = 1, answered = 0, resets = 0, reset_at = 0;
    while (answered + resets < calls) {
        while (next <= calls && in_flight.size() < window) {
            const std::size_t length = kHeader + stream.size_of(next);
            std::memcpy(request, &me, 8);
            std::memcpy(request + 8, &next, 8);
            stream.fill(next, std::span(request + kHeader, length - kHeader));
            std::uint64_t id = 0;
            if (const Status sent = client->send(std::span(request, length), id); sent != Status::ok)
                return report.fail("send " + std::to_string(next) + ": " + describe(sent));
            in_flight.push_back({next, id});
            ++next;
        }
        // The newest first, then the rest as they come: out of order.
        const InFlight call = in_flight.back();
        in_flight.pop_back();
        std::size_t length = 0;
        const Status status = client->wait(call.id, response, length);
        if (status == Status::reset) {
            ++resets;
            reset_at = steady_ns();
            report.put("reset_call", call.call);
            continue;
        }
        if (status != Status::ok) return report.fail("wait for " + std::to_string(call.call) + ": " + describe(status));
        const std::size_t request_length = kHeader + stream.size_of(call.call);
        std::memcpy(request, &me, 8);
        std::memcpy(request + 8, &call.call, 8);
        stream.fill(call.call, std::span(request + kHeader, request_length - kHeader));
        respond(std::span(request, request_length), expected);
        if (length != request_length || std::memcmp(response, expected, length) != 0)
            return report.fail("the response to call " + std::to_string(call.call) + " is not its own");
        ++answered;
    }
    report.put("answered", answered);
    report.put("resets", resets);
    report.put("reset_at", reset_at);
    return 0;
}

const RoleRegistration server_role("service-server", &run_server);
const RoleRegistration client_role("service-client", &run_client);

}  // namespace

::testing::AssertionResult call_across_processes(const ServiceCalls& calls) {
    const testing::RingName name("mp.service");
    if (auto created = create_service(name, calls.max_pending, kMessageSize, kMessageSize); !created)
        return ::testing::AssertionFailure() << created.error().message();
    const std::vector<std::string> common{"service=" + name.str(), "seed=" + std::to_string(calls.seed),
                                          std::string("wait=") + wait_strategy_name(calls.wait)};
    const auto server_args = [&](std::uint64_t stall_after) {
        std::vector<std::string> args = common;
        args.push_back("stall_after=" + std::to_string(stall_after));
        args.push_back("idle_ms=300");
        return args;
    };
    ProcessGroup group(deadline_after(calls.time_limit));
    std::vector<ProcessGroup::Child> servers, clients;
    for (std::uint32_t s = 0; s < calls.servers; ++s) servers.push_back(group.start_role("service-server", server_args(0)));
    std::optional<ProcessGroup::Child> victim;
    const std::uint64_t victim_answers = 1 + mix(calls.seed) % 1000;
    if (calls.victim) victim = group.start_role("service-server", server_args(victim_answers));
    std::vector<ProcessGroup::Child> everyone = servers;
    if (victim) everyone.push_back(*victim);
    if (!group.wait_for_reports(everyone, "ready")) return ::testing::AssertionFailure() << group.describe();
    for (std::uint32_t c = 0; c < calls.clients; ++c) {
        std::vector<std::string> args = common;
        args.push_back("client=" + std::to_string(c));
        args.push_back("calls=" + std::to_string(calls.calls_per_client));
        args.push_back("window=" + std::to_string(calls.window));
        clients.push_back(group.start_role("service-client", args));
    }
    std::uint64_t killed_at = 0;
    if (victim) {
        const std::vector<ProcessGroup::Child> stalled{*victim};
        if (!group.wait_for_reports(stalled, "stalled")) return ::testing::AssertionFailure() << group.describe();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // its client is waiting for it
        killed_at = steady_ns();
        group.kill(*victim);
    }
    if (!group.wait_for(clients) || !group.wait_for(servers)) return ::testing::AssertionFailure() << group.describe() << describe_ring(name);

    // Every call answered once, by exactly one server; with a victim, all but the one it held.
    std::uint64_t expected_keys = 0, expected_answers = 0, resets = 0;
    std::uint64_t reset_client = ~std::uint64_t{0}, reset_call = 0, reset_at = 0;
    if (victim) {
        reset_client = group.child(*victim).number("stalled_client").value_or(~std::uint64_t{0});
        reset_call = group.child(*victim).number("stalled_call").value_or(0);
    }
    for (std::uint32_t c = 0; c < calls.clients; ++c) {
        const ChildRecord& child = group.child(clients[c]);
        resets += child.number("resets").value_or(0);
        if (child.number("resets").value_or(0) != 0) {
            if (c != reset_client || child.number("reset_call") != reset_call)
                return ::testing::AssertionFailure() << "a call reset that the victim did not hold:\n" << group.describe();
            reset_at = child.number("reset_at").value_or(0);
        }
        for (std::uint64_t call = 1; call <= calls.calls_per_client; ++call) {
            if (c == reset_client && call == reset_call) continue;
            expected_keys += call_key(c, call);
            ++expected_answers;
        }
    }
    std::uint64_t answered = 0, keys = 0;
    for (const auto s : servers) {
        answered += group.child(s).number("answered").value_or(0);
        keys += group.child(s).number("keys").value_or(0);
    }
    // The victim answered exactly `victim_answers` requests before it stalled (it was killed, so
    // it reports no sum): the others must have answered the rest, each once.
    if (answered + (victim ? victim_answers : 0) != expected_answers || (!victim && keys != expected_keys)) {
        return ::testing::AssertionFailure() << "servers answered " << answered << " calls (key sum " << keys << "), expected "
                                             << expected_answers << " (" << expected_keys << "):\n" << group.describe();
    }
    if (victim) {
        if (resets != 1) return ::testing::AssertionFailure() << resets << " calls reset, expected 1:\n" << group.describe();
        if (reset_at < killed_at || reset_at - killed_at > 250'000'000)
            return ::testing::AssertionFailure() << "the reset came " << (reset_at - killed_at) / 1'000'000 << " ms after the kill\n"
                                                 << group.describe();
        std::printf("the client learnt of its server's death %.1f ms after the kill\n", static_cast<double>(reset_at - killed_at) / 1e6);
    }
    return ::testing::AssertionSuccess();
}

}  // namespace shmring::multiprocess
