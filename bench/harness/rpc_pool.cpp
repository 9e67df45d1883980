#include "harness/rpc_pool.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <poll.h>
#include <span>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

#include "harness/message.hpp"
#include "harness/processes.hpp"
#include "harness/text_table.hpp"
#include "harness/transport.hpp"
#include "harness/watchdog.hpp"
#include "shmring/segment.hpp"
#include "shmring/service.hpp"

namespace shmring::bench {

namespace {

constexpr std::size_t kCallSize = 64;

// Call n of client c: its request is message (c << 32 | n) of harness/message.hpp, its response
// the same message with kReplyBit set.
std::uint64_t call_tag(int client, std::uint64_t n) { return (static_cast<std::uint64_t>(client) << 32) | n; }

bool is_message(std::span<const std::byte> message, std::uint64_t seq) {
    std::byte expected[kCallSize];
    fill_message(expected, seq);
    return message.size() == kCallSize && std::memcmp(message.data(), expected, kCallSize) == 0;
}

// The server's part: writes the response to `request` into `response`; false when the request is
// not a well-formed request (or there is no room for the response).
bool answer(std::span<const std::byte> request, std::span<std::byte> response) {
    std::uint64_t tag = 0;
    if (request.size() != kCallSize || response.size() < kCallSize) return false;
    std::memcpy(&tag, request.data(), sizeof tag);
    if ((tag & kReplyBit) != 0 || !is_message(request, tag)) return false;
    fill_message(response.first(kCallSize), tag | kReplyBit);
    return true;
}

// A client's calls, `calls` of them: sends while fewer than kRpcInFlight are pending, otherwise
// collects the oldest and checks that it answers its own request. `send(n, request)` and
// `collect(n, response)` return "" or what failed.
template <class Send, class Collect>
std::string pipelined_calls(int client, std::uint64_t calls, Send&& send, Collect&& collect) {
    std::byte request[kCallSize];
    std::uint64_t sent = 0;
    for (std::uint64_t collected = 0; collected < calls;) {
        if (sent < calls && sent - collected < kRpcInFlight) {
            fill_message(request, call_tag(client, sent));
            if (std::string error = send(sent, std::span<const std::byte>(request)); !error.empty()) return error;
            ++sent;
            continue;
        }
        std::span<const std::byte> response;
        if (std::string error = collect(collected, response); !error.empty()) return error;
        if (!is_message(response, call_tag(client, collected) | kReplyBit))
            return "call " + std::to_string(collected) + " of client " + std::to_string(client) + ": wrong response";
        ++collected;
    }
    return {};
}

// --- shmring-service ---------------------------------------------------------------------------

ChildProcess::Body service_server(const std::string& name, const EndpointOptions& options, std::int64_t timeout_ns) {
    return [=](const ChildStart& start) -> std::string {
        auto server = ServiceServer::attach(name, options);
        if (!server) return server.error().message();
        start.ready();
        const Deadline deadline = deadline_in(timeout_ns);
        for (;;) {  // until the run ends and kills it
            const Request request = server->receive(deadline);
            if (request.status != Status::ok) return describe_failure("receive", request.status);
            if (!answer(request.data, server->response_buffer(request.id))) return "a request is wrong";
            if (const Status status = server->reply(request.id, kCallSize); status != Status::ok) return describe_failure("reply", status);
        }
    };
}

ChildProcess::Body service_client(const std::string& name, const EndpointOptions& options, int client, std::uint64_t calls,
                                  std::int64_t timeout_ns) {
    return [=](const ChildStart& start) -> std::string {
        auto caller = ServiceClient::attach(name, options);
        if (!caller) return caller.error().message();
        start.ready();
        if (!start.wait_for_start()) return "never started";
        const Deadline deadline = deadline_in(timeout_ns);
        std::array<std::uint64_t, kRpcInFlight> ids{};
        std::byte response[kCallSize];
        return pipelined_calls(
            client, calls,
            [&](std::uint64_t n, std::span<const std::byte> request) {
                const Status status = caller->send(request, ids[n % kRpcInFlight], deadline);
                return status == Status::ok ? std::string() : describe_failure("send", status);
            },
            [&](std::uint64_t n, std::span<const std::byte>& out) {
                std::size_t length = 0;
                const Status status = caller->wait(ids[n % kRpcInFlight], response, length, deadline);
                out = {response, length};
                return status == Status::ok ? std::string() : describe_failure("wait", status);
            });
    };
}

ProcessesOutcome service_run(WaitStrategy mode, const RpcPoolSettings& s) {
    const std::string name = "bench-rpc." + std::to_string(::getpid());
    if (auto created = create_service(name, kRpcClients * kRpcInFlight, kCallSize, kCallSize); !created) return {created.error().message()};
    EndpointOptions options;
    options.wait = mode;
    std::vector<ChildProcess> children;
    for (int i = 0; i < kRpcServers; ++i) children.push_back({service_server(name, options, s.timeout_ns), false});
    for (int c = 0; c < kRpcClients; ++c) children.push_back({service_client(name, options, c, s.calls / kRpcClients, s.timeout_ns), true});
    ProcessesOutcome outcome = run_processes(s.cpus, children, s.timeout_ns, {});
    (void)Segment::unlink(name);
    return outcome;
}

// --- unix-stream -------------------------------------------------------------------------------

// Serves the sockets in `fds`: reads what one holds (up to every call its client may have in
// flight), answers each whole request in one write, and keeps a partial request for the next read.
std::string serve_sockets(const std::vector<int>& fds) {
    std::vector<pollfd> polled;
    for (const int fd : fds) polled.push_back({fd, POLLIN, 0});
    std::vector<std::size_t> kept(fds.size(), 0);
    std::vector<std::array<std::byte, kCallSize>> partial(fds.size());
    std::byte in[(kRpcInFlight + 1) * kCallSize];
    std::byte out[(kRpcInFlight + 1) * kCallSize];
    for (;;) {  // until the run ends and kills it
        if (::poll(polled.data(), polled.size(), -1) < 0) {
            if (retry_interrupted()) continue;
            return std::string("poll: ") + (watchdog_expired() ? "timed out" : std::strerror(errno));
        }
        for (std::size_t i = 0; i < polled.size(); ++i) {
            if (polled[i].revents == 0) continue;
            std::memcpy(in, partial[i].data(), kept[i]);
            const ssize_t n = ::read(polled[i].fd, in + kept[i], sizeof in - kept[i]);
            if (n < 0 && retry_interrupted()) continue;
            if (n <= 0) return std::string("read: ") + (n == 0 ? "end of file" : std::strerror(errno));
            const std::size_t held = kept[i] + static_cast<std::size_t>(n);
            const std::size_t whole = held / kCallSize;
            for (std::size_t k = 0; k < whole; ++k) {
                const std::span<const std::byte> request(in + k * kCallSize, kCallSize);
                if (!answer(request, std::span<std::byte>(out + k * kCallSize, kCallSize))) return "a request is wrong";
            }
            if (!write_all(polled[i].fd, out, whole * kCallSize)) return std::string("write: ") + std::strerror(errno);
            kept[i] = held - whole * kCallSize;
            std::memcpy(partial[i].data(), in + whole * kCallSize, kept[i]);
        }
    }
}

ChildProcess::Body socket_server(std::vector<int> fds) {
    return [fds = std::move(fds)](const ChildStart& start) {
        start.ready();
        return serve_sockets(fds);
    };
}

ChildProcess::Body socket_client(int fd, int client, std::uint64_t calls) {
    return [=](const ChildStart& start) -> std::string {
        start.ready();
        if (!start.wait_for_start()) return "never started";
        std::byte response[kCallSize];
        return pipelined_calls(
            client, calls,
            [&](std::uint64_t, std::span<const std::byte> request) {
                return write_all(fd, request.data(), request.size()) ? std::string() : std::string("write failed");
            },
            [&](std::uint64_t, std::span<const std::byte>& out) {
                out = response;
                return read_all(fd, response, kCallSize) ? std::string() : std::string("read failed");
            });
    };
}

ProcessesOutcome sockets_run(const RpcPoolSettings& s) {
    // pairs[c][0] is client c's end at its server, server c % kRpcServers; pairs[c][1] the client's own.
    std::array<std::array<int, 2>, kRpcClients> pairs{};
    std::size_t made = 0;
    while (made < pairs.size() && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pairs[made].data()) == 0) ++made;
    ProcessesOutcome outcome;
    if (made < pairs.size()) {
        outcome.error = std::string("socketpair: ") + std::strerror(errno);
    } else {
        std::vector<ChildProcess> children;
        for (int i = 0; i < kRpcServers; ++i) {
            std::vector<int> fds;
            for (int c = i; c < kRpcClients; c += kRpcServers) fds.push_back(pairs[static_cast<std::size_t>(c)][0]);
            children.push_back({socket_server(std::move(fds)), false});
        }
        for (int c = 0; c < kRpcClients; ++c)
            children.push_back({socket_client(pairs[static_cast<std::size_t>(c)][1], c, s.calls / kRpcClients), true});
        outcome = run_processes(s.cpus, children, s.timeout_ns, {});
    }
    for (std::size_t i = 0; i < made; ++i) {
        ::close(pairs[i][0]);
        ::close(pairs[i][1]);
    }
    return outcome;
}

RpcPoolRow repeated(const char* transport, WaitStrategy mode, const RpcPoolSettings& s, const std::function<ProcessesOutcome()>& run) {
    RpcPoolRow row;
    row.transport = transport;
    row.mode = to_string(mode);
    row.oversubscribed = kRpcServers + kRpcClients > static_cast<int>(s.cpus.size());
    const std::uint64_t calls = s.calls / kRpcClients * kRpcClients;
    const RepeatedRate rates = repeat_rate("rpc-pool " + row.transport + " " + row.mode, "calls", s.reps, calls, run);
    row.rate = rates.rate;
    row.error = rates.error;
    return row;
}

}  // namespace

std::vector<RpcPoolRow> run_rpc_pool(const RpcPoolSettings& settings) {
    std::vector<RpcPoolRow> rows;
    for (const WaitStrategy mode : {WaitStrategy::spin, WaitStrategy::adaptive, WaitStrategy::block})
        rows.push_back(repeated("shmring-service", mode, settings, [&] { return service_run(mode, settings); }));
    rows.push_back(repeated("unix-stream", WaitStrategy::block, settings, [&] { return sockets_run(settings); }));
    return rows;
}

void print_rpc_pool(std::FILE* out, const std::vector<RpcPoolRow>& rows) {
    std::fprintf(out, "\nRPC pool, 64 B calls: %d server and %d client processes, each client keeping %d calls in flight and\n"
                      "collecting them in order (calls per second summed over the clients; medians). unix-stream: a socketpair\n"
                      "per client, each server polling those of %d clients.\n",
                 kRpcServers, kRpcClients, kRpcInFlight, kRpcClients / kRpcServers);
    TextTable table({{"transport", TextTable::left}, {"mode", TextTable::left}, {"calls/s", TextTable::right},
                     {"min..max", TextTable::right}, {"note", TextTable::left}});
    for (const RpcPoolRow& row : rows) {
        if (!row.error.empty()) {
            table.add({row.transport, row.mode, "-", "-", "FAILED: " + row.error});
            continue;
        }
        char rate[32];
        std::snprintf(rate, sizeof rate, "%.3fM", row.rate.median / 1e6);
        char range[64];
        std::snprintf(range, sizeof range, "%.3fM..%.3fM", row.rate.min / 1e6, row.rate.max / 1e6);
        table.add({row.transport, row.mode, rate, range, row.oversubscribed ? "more processes than CPUs" : ""});
    }
    table.print(out);
}

}  // namespace shmring::bench
