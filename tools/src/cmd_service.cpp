// shmring call NAME [REQUEST] and shmring serve NAME -- COMMAND...: a service from the shell, as a
// client making one call (the request from the argument or all of stdin, the response on stdout as
// it came), or as a server that answers each request with what a command prints, as inetd does.
//
// call leaves Ctrl-C its default effect. A client's wait cannot be cut into slices that look at a
// stop request (a wait that times out gives its call up), so call dies where it waits; its call is
// given up when its dead endpoint is reclaimed (by a later client, or whoever attaches in its
// place), and a request is never served twice.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "command_run.hpp"
#include "commands.hpp"
#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "message_io.hpp"
#include "shmring/service.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

namespace {

// Longer than this is for ever (and would not fit in a Deadline's nanoseconds).
constexpr double kForeverSeconds = 1e9;

// All of stdin, of which the first `limit` bytes are kept; `size` receives how many there were.
// False with errno set on a read error.
bool read_request(std::size_t limit, std::vector<std::byte>& request, std::uint64_t& size) {
    std::vector<std::byte> chunk(kStreamChunk);
    size = 0;
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n == 0;
        size += static_cast<std::uint64_t>(n);
        const std::size_t keep = std::min(static_cast<std::size_t>(n), limit - request.size());
        request.insert(request.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(keep));
    }
}

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    return text;
}

}  // namespace

int run_call(const CallOptions& options) {
    std::signal(SIGPIPE, SIG_IGN);  // a reader of stdout that left is an EPIPE from write_all
    auto client = ServiceClient::attach(options.name);
    if (!client) return fail(options.name, reason_of(client.error(), options.name));
    const std::size_t limit = client->max_request();
    std::vector<std::byte> input;
    std::uint64_t size = options.request.size();
    std::span<const std::byte> request = std::as_bytes(std::span(options.request.data(), options.request.size()));
    if (options.from_stdin) {
        if (!read_request(limit, input, size)) return fail(options.name, std::string("stdin: ") + std::strerror(errno));
        request = input;
    }
    if (size > limit)
        return fail(options.name,
                    "request: " + std::to_string(size) + " bytes, above the limit of " + std::to_string(limit) + " bytes (EMSGSIZE)");
    const bool bounded = options.timeout_seconds >= 0 && options.timeout_seconds < kForeverSeconds;
    const auto timeout = std::chrono::duration<double>(bounded ? options.timeout_seconds : 0);
    const Deadline give_up = bounded ? deadline_after(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout)) : kNoDeadline;
    const auto timed_out = [&](const std::string& waiting_for) {
        return fail(options.name,
                    "timed out after " + seconds_text(options.timeout_seconds) + " s waiting for " + waiting_for + " (ETIMEDOUT)");
    };

    std::uint64_t id = 0;
    const Status sent = client->send(request, id, give_up);
    if (sent == Status::timed_out) return timed_out("a free call slot");
    if (sent != Status::ok) return fail(options.name, reason_of(sent));
    std::vector<std::byte> response(client->max_response());
    std::size_t length = 0;
    const Status answered = client->wait(id, response, length, give_up);
    if (answered == Status::timed_out) return timed_out("the response");
    if (answered != Status::ok) return fail(options.name, reason_of(answered));
    std::string json;
    std::span<const std::byte> output(response.data(), length);
    if (options.json) {
        json = Json{{"id", id}, {"response", message_json(output, 0)}}.dump() + "\n";
        output = std::as_bytes(std::span(json.data(), json.size()));
    }
    if (!write_all(STDOUT_FILENO, output)) return stdout_failed(options.name);
    return kExitSuccess;
}

int run_serve(const ServeOptions& options) {
    install_stop_handlers();
    auto server = ServiceServer::attach(options.name);
    if (!server) return fail(options.name, reason_of(server.error(), options.name));
    const std::string program = "'" + options.command.front() + "'";
    std::uint64_t taken = 0;
    for (std::uint64_t answered = 0; options.count == 0 || answered < options.count;) {
        if (stop_requested()) return kExitSuccess;
        const Request request = server->receive(deadline_after(kStopCheckInterval));
        if (request.status == Status::timed_out || request.status == Status::again) continue;
        if (request.status != Status::ok) return fail(options.name, reason_of(request.status));
        const std::string which = "request " + std::to_string(++taken) + ": ";
        // The response is read straight into its place in the call slot.
        const CommandRun run = run_command(options.command, request.data, server->response_buffer(request.id));
        // Returning leaves the request unanswered: the server's destructor resets it, and its
        // client learns ECONNRESET.
        if (run.spawn_error != 0) return fail(options.name, which + "cannot run " + program + ": " + std::strerror(run.spawn_error));
        if (run.interrupted) return kExitSuccess;
        if (run.truncated)
            fail(options.name, which + "output of " + program + " above the response limit of " + std::to_string(server->max_response()) +
                                   " bytes, answered with its first " + std::to_string(run.length) + " bytes");
        // The SIGPIPE of a command whose output was cut short is ours, not its failure.
        const bool cut_short = run.truncated && WIFSIGNALED(run.wait_status) && WTERMSIG(run.wait_status) == SIGPIPE;
        if (const std::string failure = failure_of(run.wait_status); !failure.empty() && !cut_short)
            fail(options.name, which + program + " " + failure + ", answered with its output (" + std::to_string(run.length) + " bytes)");
        if (const Status replied = server->reply(request.id, run.length); replied != Status::ok) {
            fail(options.name, which + "reply: " + reason_of(replied));
            continue;
        }
        ++answered;
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
