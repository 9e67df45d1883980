#include "harness/summary.hpp"

#include <cmath>

namespace shmring::bench {

namespace {

Row fold(const Job& job, const std::vector<RunResult>& runs) {
    Row row;
    row.job = &job;
    if (!job.skipped.empty()) {
        row.verdict = Verdict::skipped;
        row.detail = job.skipped;
        return row;
    }
    row.reps = static_cast<int>(runs.size());
    for (const auto& run : runs) {
        if (run.error.empty()) continue;
        // One bad repetition condemns the row: a transport that sometimes corrupts is not fast.
        row.verdict = Verdict::failed;
        row.detail = run.error;
        return row;
    }
    const auto gather = [&](auto field) {
        std::vector<double> values;
        for (const auto& run : runs) values.push_back(field(run));
        return spread(std::move(values));
    };
    row.parent_cpu_ns = gather([](const RunResult& r) { return r.parent_cpu_per_message_ns; }).median;
    row.child_cpu_ns = gather([](const RunResult& r) { return r.child_cpu_per_message_ns; }).median;
    if (job.pattern == Pattern::latency) {
        row.p50 = gather([](const RunResult& r) { return r.latency.p50; });
        row.latency = {row.p50.median, gather([](const RunResult& r) { return r.latency.p90; }).median,
                       gather([](const RunResult& r) { return r.latency.p99; }).median,
                       gather([](const RunResult& r) { return r.latency.p999; }).median,
                       gather([](const RunResult& r) { return r.latency.max; }).median};
    } else {
        row.rate = gather([](const RunResult& r) { return static_cast<double>(r.messages) / r.seconds; });
        row.bytes_per_s = row.rate.median * static_cast<double>(job.size);
    }
    return row;
}

const Row* find(const std::vector<Row>& rows, const char* transport, const Job& like) {
    for (const auto& row : rows)
        if (row.verdict == Verdict::ok && row.job->transport->name == transport && row.job->pattern == like.pattern &&
            row.job->size == like.size)
            return &row;
    return nullptr;
}

// Speed of `row` relative to `ref`, larger is better (see Row::x_pipe).
double relative(const Row& row, const Row& ref) {
    switch (row.job->pattern) {
        case Pattern::latency: return ref.p50.median / row.p50.median;
        case Pattern::throughput:
        case Pattern::bulk: return row.rate.median / ref.rate.median;
        case Pattern::paced: return (ref.parent_cpu_ns + ref.child_cpu_ns) / (row.parent_cpu_ns + row.child_cpu_ns);
    }
    return kNone;
}

// The floor of a row: for latency the raw ping-pong of its kind (spinning or sleeping); for
// streams the naive one-slot ring; for paced streams, whose messages each find the receiver
// asleep, one futex sleep and wake per message (CPU per message).
const char* floor_of(const Job& job) {
    switch (job.pattern) {
        case Pattern::latency: return job.mode == WaitStrategy::block ? "futex-floor" : "line-floor";
        case Pattern::throughput:
        case Pattern::bulk: return "naive-ring";
        case Pattern::paced: return "futex-floor";
    }
    return nullptr;
}

}  // namespace

const char* to_string(Verdict verdict) noexcept {
    switch (verdict) {
        case Verdict::ok: return "ok";
        case Verdict::failed: return "FAILED";
        case Verdict::skipped: return "skipped";
    }
    return "?";
}

std::vector<Row> summarize(const std::vector<Job>& jobs, const std::vector<std::vector<RunResult>>& results) {
    std::vector<Row> rows;
    for (std::size_t j = 0; j < jobs.size(); ++j) rows.push_back(fold(jobs[j], results[j]));
    for (auto& row : rows) {
        if (row.verdict != Verdict::ok) continue;
        if (const Row* pipe = find(rows, "pipe", *row.job)) row.x_pipe = relative(row, *pipe);
        if (const char* name = floor_of(*row.job)) {
            if (const Row* floor = find(rows, name, *row.job)) {
                row.x_floor = relative(row, *floor);
                row.floor = name;
            }
        }
    }
    return rows;
}

}  // namespace shmring::bench
