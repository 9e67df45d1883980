// The repetitions of each job folded into one row, with its ratios to the references run in the
// same invocation.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "harness/job.hpp"
#include "harness/run.hpp"
#include "harness/stats.hpp"

namespace shmring::bench {

enum class Verdict { ok, failed, skipped };
const char* to_string(Verdict verdict) noexcept;

inline constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

struct Row {
    const Job* job = nullptr;
    Verdict verdict = Verdict::ok;
    std::string detail;              // why it failed or was skipped
    int reps = 0;                    // repetitions that ran
    Percentiles latency{kNone, kNone, kNone, kNone, kNone};  // medians over the repetitions, ns
    Spread p50{kNone, kNone, kNone};                        // the p50s of the repetitions
    Spread rate{kNone, kNone, kNone};                       // messages per second
    double bytes_per_s = kNone;      // median
    double parent_cpu_ns = kNone;    // median CPU per message (per round trip for latency)
    double child_cpu_ns = kNone;
    // Speed relative to a reference (> 1: faster than it). Latency: reference p50 / p50;
    // throughput: messages/s / reference messages/s; paced: reference CPU / CPU (both sides).
    double x_pipe = kNone;
    double x_floor = kNone;
    std::string floor;               // the reference of x_floor
};

// results[j] holds the repetitions of jobs[j].
std::vector<Row> summarize(const std::vector<Job>& jobs, const std::vector<std::vector<RunResult>>& results);

}  // namespace shmring::bench
