#include "harness/fanout.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <unistd.h>

#include "harness/processes.hpp"
#include "harness/text_table.hpp"
#include "harness/transport.hpp"
#include "shmring/segment.hpp"
#include "shmring/topic.hpp"

namespace shmring::bench {

namespace {

constexpr std::size_t kMessageSize = 64;
constexpr std::uint64_t kTopicCapacity = 1024;

// Message n carries n in its first word.
void fill(std::byte* message, std::uint64_t n) { std::memcpy(message, &n, sizeof n); }
bool carries(const std::byte* message, std::uint64_t n) { return std::memcmp(message, &n, sizeof n) == 0; }

// A run: `receivers` processes running `receiver(i)` and the publisher in this one. Each receiver
// reports once it has every message; receivers that only stand by report nothing, and the run is
// timed to the publish's end.
ProcessesOutcome run_receivers(const std::vector<int>& cpus, int receivers, bool standing_by, std::int64_t timeout_ns,
                               const std::function<ChildProcess::Body(int)>& receiver, const std::function<std::string()>& publish) {
    std::vector<ChildProcess> children;
    for (int i = 0; i < receivers; ++i) children.push_back({receiver(i), !standing_by});
    return run_processes(cpus, children, timeout_ns, publish);
}

// A subscriber that checks every message 1..messages; with `stall`, one that never reads.
ChildProcess::Body subscriber(const std::string& topic, WaitStrategy mode, std::uint64_t messages, std::int64_t timeout_ns, bool stall) {
    return [=](const ChildStart& start) -> std::string {
        EndpointOptions options;
        options.wait = mode;
        auto s = TopicSubscriber::attach(topic, options);
        if (!s) return s.error().message();
        start.ready();
        if (stall) {
            ::pause();  // killed when the run ends
            return {};
        }
        const Deadline deadline = deadline_in(timeout_ns);
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
    const Deadline deadline = deadline_in(timeout_ns);
    std::byte message[kMessageSize]{};
    for (std::uint64_t n = 1; n <= messages; ++n) {
        fill(message, n);
        if (const Status status = p->send(message, deadline); status != Status::ok) return describe_failure("publish", status);
    }
    return {};
}

ProcessesOutcome topic_run(WaitStrategy mode, int subscribers, const FanoutSettings& s, layout::TopicPolicy policy, bool stalled) {
    const std::string name = "bench-fanout." + std::to_string(::getpid());
    if (auto created = create_topic(name, kTopicCapacity, kMessageSize, policy); !created) return {created.error().message()};
    ProcessesOutcome outcome = run_receivers(
        s.cpus, stalled ? 1 : subscribers, stalled, s.timeout_ns, [&](int) { return subscriber(name, mode, s.messages, s.timeout_ns, stalled); },
        [&] { return publish_on(name, mode, s.messages, s.timeout_ns); });
    (void)Segment::unlink(name);
    return outcome;
}

ProcessesOutcome pipes_run(int receivers, const FanoutSettings& s) {
    std::vector<std::array<int, 2>> pipes(static_cast<std::size_t>(receivers));
    for (auto& p : pipes)
        if (::pipe2(p.data(), O_CLOEXEC) != 0) return {std::string("pipe: ") + std::strerror(errno)};
    const auto reader = [&](int i) -> ChildProcess::Body {
        return [&, i](const ChildStart& start) -> std::string {
            for (int j = 0; j < receivers; ++j) ::close(pipes[static_cast<std::size_t>(j)][1]);
            start.ready();
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
            for (auto& p : pipes)
                if (!write_all(p[1], message, kMessageSize)) return "pipe write failed at message " + std::to_string(n);
        }
        return {};
    };
    ProcessesOutcome outcome = run_receivers(s.cpus, receivers, false, s.timeout_ns, reader, writer);
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

// One row: `run` repeated, each run delivering `delivered` messages; the median rate, or the first error.
FanoutRow repeated(FanoutRow row, int reps, std::uint64_t delivered, const std::function<ProcessesOutcome()>& run) {
    const std::string label = "fan-out " + row.transport + " " + row.mode + " " + std::to_string(row.receivers);
    const RepeatedRate rates = repeat_rate(label, "msg", reps, delivered, run);
    row.rate = rates.rate;
    row.error = rates.error;
    return row;
}

}  // namespace

std::vector<FanoutRow> run_fanout(const FanoutSettings& settings) {
    std::vector<FanoutRow> rows;
    const auto oversubscribed = [&](int processes) { return processes > static_cast<int>(settings.cpus.size()); };
    for (const int n : settings.receivers) {
        const std::uint64_t delivered = settings.messages * static_cast<std::uint64_t>(n);
        for (const WaitStrategy mode : {WaitStrategy::spin, WaitStrategy::adaptive}) {
            const FanoutRow row = row_of("shmring-topic", to_string(mode), n, oversubscribed(n + 1));
            rows.push_back(repeated(row, settings.reps, delivered,
                                    [&] { return topic_run(mode, n, settings, layout::TopicPolicy::lossless, false); }));
        }
        const FanoutRow pipes = row_of("pipes", "block", n, oversubscribed(n + 1));
        rows.push_back(repeated(pipes, settings.reps, delivered, [&] { return pipes_run(n, settings); }));
    }
    for (const bool stalled : {false, true}) {
        const FanoutRow row = row_of("lossy-publisher", "spin", stalled ? 1 : 0, false);
        rows.push_back(repeated(row, settings.reps, settings.messages,
                                [&] { return topic_run(WaitStrategy::spin, 0, settings, layout::TopicPolicy::lossy, stalled); }));
    }
    return rows;
}

void print_fanout(std::FILE* out, const std::vector<FanoutRow>& rows) {
    std::fprintf(out, "\nFan-out, 64 B: one publisher, N receivers each getting every message (messages delivered per second,\n"
                      "summed over receivers; medians). pipes: one pipe per receiver, written by the publisher. lossy-publisher:\n"
                      "a lossy topic's publish rate alone (N=0) and beside a subscriber that never reads (N=1).\n");
    TextTable table({{"transport", TextTable::left}, {"mode", TextTable::left}, {"N", TextTable::right},
                     {"msg/s", TextTable::right}, {"min..max", TextTable::right}, {"note", TextTable::left}});
    for (const FanoutRow& row : rows) {
        if (!row.error.empty()) {
            table.add({row.transport, row.mode, std::to_string(row.receivers), "-", "-", "FAILED: " + row.error});
            continue;
        }
        char rate[32];
        std::snprintf(rate, sizeof rate, "%.2fM", row.rate.median / 1e6);
        char range[64];
        std::snprintf(range, sizeof range, "%.2fM..%.2fM", row.rate.min / 1e6, row.rate.max / 1e6);
        table.add({row.transport, row.mode, std::to_string(row.receivers), rate, range,
                   row.oversubscribed ? "more processes than CPUs" : ""});
    }
    table.print(out);
}

}  // namespace shmring::bench
