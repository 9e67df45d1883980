#include "diagnostics.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "inspector.hpp"
#include "ring_report.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

int fail(std::string_view ring, std::string_view reason) {
    // Several lines would break scripts that read the first one: a reason never spans two.
    std::string line = "shmring: " + std::string(ring) + ": " + std::string(reason);
    std::replace(line.begin(), line.end(), '\n', ' ');
    line += '\n';
    std::fputs(line.c_str(), stderr);
    return kExitFailure;
}

namespace {

// What a ring opened as the wrong kind is, in words, and the commands that use it.
std::string kind_advice(std::string_view ring, const Error& error) {
    Inspection inspection = inspect_ring(ring);
    if (inspection.verdict != Verdict::ok) return error.message();
    const std::string kind(report_of(ring, std::move(inspection.ring)).kind);
    const char* commands = kind == "pipe"    ? "'shmring read' or 'shmring write'"
                           : kind == "queue" ? "'shmring send' or 'shmring recv'"
                           : kind == "topic" ? "'shmring publish' or 'shmring subscribe'"
                           : kind == "service" ? "'shmring call' or 'shmring serve'"
                           : kind == "cell"    ? "'shmring cell read', 'shmring cell write' or 'shmring cell watch'"
                           : kind == "lock"    ? "'shmring lock NAME -- COMMAND'"
                           : kind == "semaphore" ? "'shmring sem post', 'shmring sem wait' or 'shmring sem value'"
                                                 : nullptr;
    return "it is a " + kind + (commands != nullptr ? std::string(": use ") + commands : std::string());
}

}  // namespace

int interrupted() { return 128 + stop_signal(); }

int stdout_failed(std::string_view who) {
    if (errno == EINTR && stop_requested()) return interrupted();
    if (errno == EPIPE) return kExitSuccess;
    return fail(who, std::string("stdout: ") + std::strerror(errno));
}

int flush_stdout(int status) {
    if (std::fflush(stdout) == 0 && std::ferror(stdout) == 0) return status;
    if (errno == EPIPE) return status;
    std::fprintf(stderr, "shmring: stdout: %s\n", std::strerror(errno));
    return kExitFailure;
}

std::string reason_of(const Error& error, std::string_view ring) {
    switch (error.code()) {
        case Errc::not_found: return "no such ring";
        case Errc::exists: return "a ring of that name exists already";
        case Errc::wrong_kind: return kind_advice(ring, error);
        default: break;
    }
    std::string message = error.message();
    for (const char* noun : {"ring '", "pipe '", "queue '", "topic '", "service '", "cell '", "lock '", "semaphore '"}) {
        const std::string prefix = noun + std::string(ring) + "': ";
        if (message.starts_with(prefix)) return message.substr(prefix.size());
    }
    return message;
}

std::string reason_of(Status status) {
    // Status values are errno values (error.hpp): glibc names them.
    const char* name = ::strerrorname_np(static_cast<int>(status));
    return std::string(describe(status)) + (name != nullptr ? " (" + std::string(name) + ")" : std::string());
}

}  // namespace shmring::cli
