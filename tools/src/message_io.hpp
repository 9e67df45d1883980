// Internal to the tool. Moving messages between the shell and a ring, for every message command
// (send/recv on queues, publish/subscribe on topics): the messages of the command line or the
// lines (or NUL-separated records) of stdin, a send that waits in slices so that Ctrl-C is heard,
// and printing what arrives: one message per line, per NUL-terminated record, or per JSON line.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "ring_json.hpp"
#include "shmring/error.hpp"
#include "shmring/wait.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

struct SendMode {
    double timeout_seconds = -1;  // below 0: wait for room for ever
    bool nonblock = false;        // a full ring is a failure (EAGAIN) at once
    bool null_separated = false;  // stdin's messages end with NUL, not newline
};

enum class MessageFormat { lines, null_separated, json };

// --json, -0 or neither, as recv and subscribe were asked.
struct ReceiveOptions;
MessageFormat message_format(const ReceiveOptions& options);

// The JSON line of one message: {"sequence":N,"bytes":N,"text":"..."} for UTF-8 text, or
// "base64" instead of "text" for anything else; "sequence" only for topics (sequence != 0).
Json message_json(std::span<const std::byte> message, std::uint64_t sequence);

// The deadline of one wait of at most kStopCheckInterval, before `give_up`.
inline Deadline slice_before(Deadline give_up) { return std::min(give_up, deadline_after(kStopCheckInterval)); }

inline Deadline deadline_in(double seconds) {
    if (seconds < 0) return kNoDeadline;
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Sends each of `messages`, or without any each line (or NUL-terminated record) of stdin, through
// `send(bytes, deadline)`, waiting while the ring is full as `mode` says. kExitSuccess, the failure
// reported, or the status of an interruption.
template <class Send>
int send_messages(const std::string& name, const std::vector<std::string>& messages, const SendMode& mode, std::size_t max_size,
                  Send send) {
    std::uint64_t number = 0;
    const auto send_one = [&](std::string_view message) {
        ++number;
        const auto bytes = std::as_bytes(std::span(message.data(), message.size()));
        const Deadline give_up = mode.nonblock ? Clock::now() : deadline_in(mode.timeout_seconds);
        for (;;) {
            if (stop_requested()) return interrupted();
            const Status status = send(bytes, slice_before(give_up));
            if (status == Status::ok) return kExitSuccess;
            const bool full = status == Status::timed_out || status == Status::again;
            if (full && Clock::now() < give_up) continue;
            if (full && mode.nonblock) return fail(name, "message " + std::to_string(number) + ": the ring is full (EAGAIN)");
            if (full)
                return fail(name, "message " + std::to_string(number) + ": no room within the timeout (ETIMEDOUT)");
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
    while (std::getline(std::cin, line, mode.null_separated ? '\0' : '\n'))
        if (const int status = send_one(line); status != kExitSuccess) return status;
    if (stop_requested()) return interrupted();
    if (std::cin.bad()) return fail(name, "stdin: read error");
    return kExitSuccess;
}

// Prints messages received through `receive(buffer, length, sequence, deadline)` in `format`, until
// `count` of them (0: no limit), or until none came for `timeout_seconds` (below 0: wait for ever):
// then kExitSuccess, or a failure if `count` asked for more.
template <class Receive>
int print_messages(const std::string& name, std::size_t max_size, std::uint64_t count, double timeout_seconds, MessageFormat format,
                   Receive receive) {
    std::vector<std::byte> buffer(max_size + 1);  // room for the separator after the longest message
    for (std::uint64_t received = 0; count == 0 || received < count; ++received) {
        const Deadline give_up = deadline_in(timeout_seconds);
        std::size_t length = 0;
        std::uint64_t sequence = 0;
        Status status = Status::again;
        for (;;) {
            if (stop_requested()) return interrupted();
            status = receive(std::span(buffer.data(), max_size), length, &sequence, slice_before(give_up));
            // A deadline already past only tries, which answers again rather than timed_out.
            const bool nothing = status == Status::timed_out || status == Status::again;
            if (!nothing || Clock::now() >= give_up) break;
        }
        if (status == Status::timed_out || status == Status::again) {
            if (count == 0) return kExitSuccess;
            return fail(name, "timed out waiting for message " + std::to_string(received + 1) + " of " + std::to_string(count));
        }
        if (status != Status::ok) return fail(name, reason_of(status));
        bool written = false;
        if (format == MessageFormat::json) {
            const std::string line = message_json(std::span(buffer.data(), length), sequence).dump() + "\n";
            written = write_all(STDOUT_FILENO, std::as_bytes(std::span(line.data(), line.size())));
        } else {
            buffer[length] = format == MessageFormat::null_separated ? std::byte{'\0'} : std::byte{'\n'};
            written = write_all(STDOUT_FILENO, std::span(buffer.data(), length + 1));
        }
        if (!written) return stdout_failed(name);
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
