#include "harness/fanout.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/clock.hpp"
#include "harness/run.hpp"
#include "harness/transport.hpp"
#include "harness/watchdog.hpp"
#include "shmring/segment.hpp"
#include "shmring/topic.hpp"

namespace shmring::bench {

namespace {

constexpr std::size_t kMessageSize = 64;
constexpr std::uint64_t kTopicCapacity = 1024;

// What a receiver sends up its pipe when it is done: its verdict and when it took the last message.
struct ReceiverNote {
    char error[256];
    std::int64_t end_ns;
};

void write_all(int fd, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, bytes, size);
        if (n < 0 && retry_interrupted()) continue;
        if (n <= 0) return;
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
}

bool read_all(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, bytes, size);
        if (n < 0 && retry_interrupted()) continue;
        if (n <= 0) return false;
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// Message n carries n in its first word.
void fill(std::byte* message, std::uint64_t n) { std::memcpy(message, &n, sizeof n); }
bool carries(const std::byte* message, std::uint64_t n) { return std::memcmp(message, &n, sizeof n) == 0; }

// One process of a run: a receiver's body returns its error ("" when every message checked out);
// it may say "ready" by writing one byte to `ready_fd` once it is in place.
using ReceiverBody = std::function<std::string(int ready_fd)>;

struct Outcome {
    std::string error;
    double rate = 0;  // messages delivered per second, summed over receivers
};

// Forks `receivers` processes running `receiver(i)`, waits until each said ready, runs `publish`
// and collects the verdicts. Timed from the publish's start to the last receiver's last message,
// or, when the receivers only stand by (`standing_by`), to the publish's end.
Outcome run_processes(const std::vector<int>& cpus, int receivers, bool standing_by, std::uint64_t delivered, std::int64_t timeout_ns,
                      const std::function<ReceiverBody(int)>& receiver, const std::function<std::string()>& publish) {
    const auto cpu_of = [&](int process) { return cpus.empty() ? -1 : cpus[static_cast<std::size_t>(process) % cpus.size()]; };
    Outcome outcome;
    int ready[2], notes[2];
    if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(notes, O_CLOEXEC) != 0) return {std::string("pipe: ") + std::strerror(errno)};
    const std::int64_t deadline = now_ns() + timeout_ns;
    std::vector<pid_t> children;
    for (int i = 0; i < receivers; ++i) {
        ReceiverBody body = receiver(i);
        const pid_t pid = ::fork();
        if (pid == 0) {
            pin_to(cpu_of(i + 1));
            arm_watchdog(deadline);
            ReceiverNote note{};
            std::snprintf(note.error, sizeof note.error, "%s", body(ready[1]).c_str());
            note.end_ns = now_ns();
            write_all(notes[1], &note, sizeof note);
            ::_exit(0);
        }
        if (pid > 0) children.push_back(pid);
    }
    ::close(ready[1]);
    ::close(notes[1]);
    pin_to(cpu_of(0));
    arm_watchdog(deadline);
    for (int i = 0; i < receivers; ++i) {
        char byte = 0;
        if (!read_all(ready[0], &byte, 1)) outcome.error = "a receiver did not get ready";
    }
    const std::int64_t start = now_ns();
    if (outcome.error.empty()) outcome.error = publish();
    std::int64_t end = now_ns();
    for (int i = 0; i < (standing_by ? 0 : receivers); ++i) {
        ReceiverNote note{};
        if (!read_all(notes[0], &note, sizeof note)) {
            if (outcome.error.empty()) outcome.error = "a receiver died or timed out";
            break;
        }
        if (outcome.error.empty() && note.error[0] != '\0') outcome.error = note.error;
        end = std::max(end, note.end_ns);
    }
    disarm_watchdog();
    for (const pid_t pid : children) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    ::close(ready[0]);
    ::close(notes[0]);
    outcome.rate = static_cast<double>(delivered) / (static_cast<double>(end - start) * 1e-9);
    return outcome;
}

std::string describe_failure(const char* what, Status status) { return std::string(what) + ": " + describe(status); }

// A subscriber that checks every message 1..messages; with `stall`, one that never reads.
ReceiverBody subscriber(const std::string& topic, WaitStrategy mode, std::uint64_t messages, std::int64_t timeout_ns, bool stall) {
    return [=](int ready_fd) -> std::string {
        EndpointOptions options;
        options.wait = mode;
        auto s = TopicSubscriber::attach(topic, options);
        if (!s) return s.error().message();
        write_all(ready_fd, "r", 1);
        if (stall) {
            ::pause();  // killed when the run ends
            return {};
        }
        const Deadline deadline = Deadline(std::chrono::nanoseconds(now_ns() + timeout_ns));
        std::byte buffer[kMessageSize];
        for (std::uint64_t n = 1; n <= messages; ++n) {
            std::size_t length = 0;
            std::uint64_t sequence = 0;
            if (const Status status = s->receive(buffer, length, &sequence, deadline); status != Status::ok)
                return describe_failure("receive", status);
            if (sequence != n || length != kMessageSize || !carries(buffer, n)) return "message " + std::to_string(n) + " is wrong";
        }
        return {};
    };
}

std::string publish_on(const std::string& topic, WaitStrategy mode, std::uint64_t messages, std::int64_t timeout_ns) {
    EndpointOptions options;
    options.wait = mode;
    auto p = TopicPublisher::attach(topic, options);
    if (!p) return p.error().message();
    const Deadline deadline = Deadline(std::chrono::nanoseconds(now_ns() + timeout_ns));
    std::byte message[kMessageSize]{};
    for (std::uint64_t n = 1; n <= messages; ++n) {
        fill(message, n);
        if (const Status status = p->send(message, deadline); status != Status::ok) return describe_failure("publish", status);
    }
    return {};
}

Outcome topic_run(WaitStrategy mode, int subscribers, const FanoutSettings& s, layout::TopicPolicy policy, bool stalled) {
    const std::string name = "bench-fanout." + std::to_string(::getpid());
    if (auto created = create_topic(name, kTopicCapacity, kMessageSize, policy); !created) return {created.error().message()};
    const int receivers = stalled ? 1 : subscribers;
    const std::uint64_t delivered = stalled || receivers == 0 ? s.messages : s.messages * static_cast<std::uint64_t>(receivers);
    Outcome outcome = run_processes(
        s.cpus, receivers, stalled, delivered, s.timeout_ns, [&](int) { return subscriber(name, mode, s.messages, s.timeout_ns, stalled); },
        [&] { return publish_on(name, mode, s.messages, s.timeout_ns); });
    (void)Segment::unlink(name);
    return outcome;
}

Outcome pipes_run(int receivers, const FanoutSettings& s) {
    std::vector<std::array<int, 2>> pipes(static_cast<std::size_t>(receivers));
    for (auto& p : pipes)
        if (::pipe2(p.data(), O_CLOEXEC) != 0) return {std::string("pipe: ") + std::strerror(errno)};
    const auto reader = [&](int i) -> ReceiverBody {
        return [&, i](int ready_fd) -> std::string {
            for (int j = 0; j < receivers; ++j) ::close(pipes[static_cast<std::size_t>(j)][1]);
            write_all(ready_fd, "r", 1);
            std::byte message[kMessageSize];
            for (std::uint64_t n = 1; n <= s.messages; ++n) {
                if (!read_all(pipes[static_cast<std::size_t>(i)][0], message, kMessageSize)) return "pipe read failed at message " + std::to_string(n);
                if (!carries(message, n)) return "message " + std::to_string(n) + " is wrong";
            }
            return {};
        };
    };
    const auto writer = [&]() -> std::string {
        std::byte message[kMessageSize]{};
        for (std::uint64_t n = 1; n <= s.messages; ++n) {
            fill(message, n);
            for (auto& p : pipes) write_all(p[1], message, kMessageSize);
        }
        return {};
    };
    Outcome outcome = run_processes(s.cpus, receivers, false, s.messages * static_cast<std::uint64_t>(receivers), s.timeout_ns, reader, writer);
    for (auto& p : pipes) {
        ::close(p[0]);
        ::close(p[1]);
    }
    return outcome;
}

FanoutRow row_of(const char* transport, const char* mode, int receivers, bool oversubscribed) {
    FanoutRow row;
    row.transport = transport;
    row.mode = mode;
    row.receivers = receivers;
    row.oversubscribed = oversubscribed;
    return row;
}

// One row: `run` repeated; the median rate, or the first error.
FanoutRow repeated(FanoutRow row, int reps, const std::function<Outcome()>& run) {
    std::vector<double> rates;
    for (int rep = 0; rep < reps; ++rep) {
        const Outcome outcome = run();
        std::fprintf(stderr, "fan-out rep %d/%d %s %s %d: %s\n", rep + 1, reps, row.transport.c_str(), row.mode.c_str(), row.receivers,
                     outcome.error.empty() ? (std::to_string(static_cast<long long>(outcome.rate)) + " msg/s").c_str()
                                           : ("FAILED: " + outcome.error).c_str());
        if (!outcome.error.empty()) {
            row.error = outcome.error;
            return row;
        }
        rates.push_back(outcome.rate);
    }
    row.rate = spread(rates);
    return row;
}

}  // namespace

std::vector<FanoutRow> run_fanout(const FanoutSettings& settings) {
    std::vector<FanoutRow> rows;
    const auto oversubscribed = [&](int processes) { return processes > static_cast<int>(settings.cpus.size()); };
    for (const int n : settings.receivers) {
        for (const WaitStrategy mode : {WaitStrategy::spin, WaitStrategy::adaptive}) {
            const FanoutRow row = row_of("shmring-topic", to_string(mode), n, oversubscribed(n + 1));
            rows.push_back(repeated(row, settings.reps, [&] { return topic_run(mode, n, settings, layout::TopicPolicy::lossless, false); }));
        }
        const FanoutRow pipes = row_of("pipes", "block", n, oversubscribed(n + 1));
        rows.push_back(repeated(pipes, settings.reps, [&] { return pipes_run(n, settings); }));
    }
    for (const bool stalled : {false, true}) {
        const FanoutRow row = row_of("lossy-publisher", "spin", stalled ? 1 : 0, false);
        rows.push_back(repeated(row, settings.reps, [&] { return topic_run(WaitStrategy::spin, 0, settings, layout::TopicPolicy::lossy, stalled); }));
    }
    return rows;
}

void print_fanout(std::FILE* out, const std::vector<FanoutRow>& rows) {
    std::fprintf(out, "\nFan-out, 64 B: one publisher, N receivers each getting every message (messages delivered per second,\n"
                      "summed over receivers; medians). pipes: one pipe per receiver, written by the publisher. lossy-publisher:\n"
                      "a lossy topic's publish rate alone (N=0) and beside a subscriber that never reads (N=1).\n");
    std::fprintf(out, "%-16s %-9s %3s %14s %24s  %s\n", "transport", "mode", "N", "msg/s", "min..max", "note");
    for (const FanoutRow& row : rows) {
        if (!row.error.empty()) {
            std::fprintf(out, "%-16s %-9s %3d %14s %24s  FAILED: %s\n", row.transport.c_str(), row.mode.c_str(), row.receivers, "-", "-",
                         row.error.c_str());
            continue;
        }
        char range[64];
        std::snprintf(range, sizeof range, "%.2fM..%.2fM", row.rate.min / 1e6, row.rate.max / 1e6);
        std::fprintf(out, "%-16s %-9s %3d %13.2fM %24s  %s\n", row.transport.c_str(), row.mode.c_str(), row.receivers, row.rate.median / 1e6,
                     range, row.oversubscribed ? "more processes than CPUs" : "");
    }
}

}  // namespace shmring::bench
