// Internal to the tool. Moving messages between the shell and a ring, for every message command
// (send/recv on queues, publish/subscribe on topics): the messages of the command line or the
// lines of stdin, a send that waits in slices so that Ctrl-C is heard, and printing what arrives,
// one message per line.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "shmring/error.hpp"
#include "shmring/wait.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

// Sends each of `messages`, or without any each line of stdin (without its newline), through
// `send(bytes, deadline)`, waiting while the ring is full. kExitSuccess, or the failure reported.
template <class Send>
int send_messages(const std::string& name, const std::vector<std::string>& messages, std::size_t max_size, Send send) {
    std::uint64_t number = 0;
    const auto send_one = [&](std::string_view message) {
        ++number;
        const auto bytes = std::as_bytes(std::span(message.data(), message.size()));
        for (;;) {
            if (stop_requested()) return fail(name, "interrupted");
            const Status status = send(bytes, deadline_after(kStopCheckInterval));
            if (status == Status::ok) return kExitSuccess;
            if (status == Status::timed_out) continue;
            if (status == Status::too_large)
                return fail(name, "message " + std::to_string(number) + ": " + std::to_string(message.size()) +
                                      " bytes, above the limit of " + std::to_string(max_size) + " bytes (EMSGSIZE)");
            return fail(name, reason_of(status));
        }
    };
    for (const std::string& message : messages)
        if (const int status = send_one(message); status != kExitSuccess) return status;
    if (!messages.empty()) return kExitSuccess;
    std::string line;
    while (std::getline(std::cin, line))
        if (const int status = send_one(line); status != kExitSuccess) return status;
    if (stop_requested()) return fail(name, "interrupted");
    if (std::cin.bad()) return fail(name, "stdin: read error");
    return kExitSuccess;
}

// Prints messages received through `receive(buffer, length, deadline)`, one per line, until
// `count` of them (0: no limit), or until none came for `timeout_seconds` (below 0: wait for
// ever): then kExitSuccess, or a failure if `count` asked for more.
template <class Receive>
int print_messages(const std::string& name, std::size_t max_size, std::uint64_t count, double timeout_seconds, Receive receive) {
    std::vector<std::byte> buffer(max_size + 1);  // room for the newline after the longest message
    const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds));
    for (std::uint64_t received = 0; count == 0 || received < count; ++received) {
        const Deadline give_up = timeout_seconds >= 0 ? Clock::now() + timeout : kNoDeadline;
        std::size_t length = 0;
        Status status = Status::again;
        for (;;) {
            if (stop_requested()) return fail(name, "interrupted");
            status = receive(std::span(buffer.data(), max_size), length, std::min(give_up, deadline_after(kStopCheckInterval)));
            // A deadline already past only tries, which answers again rather than timed_out.
            const bool nothing = status == Status::timed_out || status == Status::again;
            if (!nothing || Clock::now() >= give_up) break;
        }
        if (status == Status::timed_out || status == Status::again) {
            if (count == 0) return kExitSuccess;
            return fail(name, "timed out waiting for message " + std::to_string(received + 1) + " of " + std::to_string(count));
        }
        if (status != Status::ok) return fail(name, reason_of(status));
        buffer[length] = std::byte{'\n'};
        if (!write_all(STDOUT_FILENO, std::span(buffer.data(), length + 1)))
            return fail(name, std::string("stdout: ") + std::strerror(errno));
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
