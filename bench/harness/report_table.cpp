#include <algorithm>
#include <cmath>
#include <string>

#include "harness/report.hpp"
#include "harness/text_table.hpp"

namespace shmring::bench {

namespace {

std::string format(const char* spec, double value) {
    char text[48];
    std::snprintf(text, sizeof text, spec, value);
    return text;
}

std::string duration(double ns) {
    if (!std::isfinite(ns)) return "-";
    if (ns < 1e3) return format("%.0fns", ns);
    if (ns < 1e4) return format("%.2fus", ns / 1e3);
    if (ns < 1e6) return format("%.1fus", ns / 1e3);
    return format("%.2fms", ns / 1e6);
}

std::string count(double value) {
    if (!std::isfinite(value)) return "-";
    if (value >= 1e9) return format("%.2fG", value / 1e9);
    if (value >= 1e6) return format("%.2fM", value / 1e6);
    if (value >= 1e3) return format("%.1fk", value / 1e3);
    return format("%.0f", value);
}

std::string ratio(double x) { return std::isfinite(x) ? format(x < 10 ? "%.2fx" : "%.0fx", x) : "-"; }

std::string status(const Row& row) { return row.verdict == Verdict::ok ? "ok" : to_string(row.verdict); }

bool shown(const Row& row, Pattern pattern) { return row.job->pattern == pattern && row.verdict != Verdict::skipped; }

void latency_table(std::FILE* out, const std::vector<Row>& rows) {
    std::fprintf(out, "\nRound-trip latency (ping-pong; medians of the repetitions; x: speed relative to the reference, >1 faster;\n"
                      "floor: line-floor for spin/adaptive, futex-floor for block)\n");
    TextTable table({{"transport", TextTable::left}, {"mode", TextTable::left}, {"size", TextTable::right},
                    {"p50", TextTable::right}, {"p90", TextTable::right}, {"p99", TextTable::right}, {"p99.9", TextTable::right},
                    {"max", TextTable::right}, {"p50 min", TextTable::right}, {"max", TextTable::left, ".."},
                    {"cpu/rt P", TextTable::right}, {"cpu/rt C", TextTable::right}, {"x pipe", TextTable::right},
                    {"x floor", TextTable::right}, {"status", TextTable::left}});
    for (const auto& row : rows) {
        if (!shown(row, Pattern::latency)) continue;
        table.add({row.job->transport->name, to_string(row.job->mode), std::to_string(row.job->size), duration(row.latency.p50),
                   duration(row.latency.p90), duration(row.latency.p99), duration(row.latency.p999), duration(row.latency.max),
                   duration(row.p50.min), duration(row.p50.max), duration(row.parent_cpu_ns), duration(row.child_cpu_ns),
                   ratio(row.x_pipe), ratio(row.x_floor), status(row)});
    }
    table.print(out);
}

void stream_table(std::FILE* out, const std::vector<Row>& rows, Pattern pattern) {
    std::fprintf(out, pattern == Pattern::bulk ? "\nBulk stream (64 KiB chunks; x floor: against naive-ring)\n"
                                               : "\nOne-way throughput (x floor: against naive-ring, the one-slot baseline)\n");
    TextTable table({{"transport", TextTable::left}, {"mode", TextTable::left}, {"size", TextTable::right},
                    {"msg/s", TextTable::right}, {"min", TextTable::right}, {"max", TextTable::left, ".."},
                    {"MB/s", TextTable::right}, {"cpu/msg S", TextTable::right}, {"cpu/msg R", TextTable::right},
                    {"x pipe", TextTable::right}, {"x floor", TextTable::right}, {"status", TextTable::left}});
    for (const auto& row : rows) {
        if (!shown(row, pattern)) continue;
        table.add({row.job->transport->name, to_string(row.job->mode), std::to_string(row.job->size), count(row.rate.median),
                   count(row.rate.min), count(row.rate.max), std::isfinite(row.bytes_per_s) ? format("%.1f", row.bytes_per_s / 1e6) : "-",
                   duration(row.parent_cpu_ns), duration(row.child_cpu_ns), ratio(row.x_pipe), ratio(row.x_floor), status(row)});
    }
    table.print(out);
}

void paced_table(std::FILE* out, const std::vector<Row>& rows) {
    std::fprintf(out, "\nPaced at 1,000 messages/s: CPU per message (x pipe, x floor: their CPU / this CPU, both sides; >1 uses less;\n"
                      "floor: futex-floor, one futex sleep and wake per message)\n");
    TextTable table({{"transport", TextTable::left}, {"mode", TextTable::left}, {"size", TextTable::right},
                    {"msg/s", TextTable::right}, {"sender", TextTable::right}, {"receiver", TextTable::right},
                    {"total", TextTable::right}, {"x pipe", TextTable::right}, {"x floor", TextTable::right},
                    {"status", TextTable::left}});
    for (const auto& row : rows) {
        if (!shown(row, Pattern::paced)) continue;
        table.add({row.job->transport->name, to_string(row.job->mode), std::to_string(row.job->size), count(row.rate.median),
                   duration(row.parent_cpu_ns), duration(row.child_cpu_ns), duration(row.parent_cpu_ns + row.child_cpu_ns),
                   ratio(row.x_pipe), ratio(row.x_floor), status(row)});
    }
    table.print(out);
}

// The p50 of the verified latency row of `transport` in `mode` at `size`; NaN if there is none.
double p50_of(const std::vector<Row>& rows, const char* transport, WaitStrategy mode, std::size_t size) {
    for (const auto& row : rows)
        if (row.verdict == Verdict::ok && row.job->pattern == Pattern::latency && row.job->transport->name == transport &&
            row.job->mode == mode && row.job->size == size)
            return row.p50.median;
    return kNone;
}

bool is_service_call(const Row& row) {
    return row.verdict == Verdict::ok && row.job->pattern == Pattern::latency && row.job->transport->name == "shmring-service";
}

// A service call against what it replaces: a message each way through the MPMC rings with the
// same wait strategy, the raw floor, and request/response over kernel sockets (ratios of p50s).
void service_table(std::FILE* out, const std::vector<Row>& rows) {
    std::fprintf(out, "\nService calls (shmring-service): p50 round trip as a multiple of the same run's references (<1: faster;\n"
                      "floor: line-floor for spin/adaptive, futex-floor for block); unix-stream, tcp: their round trip as a\n"
                      "multiple of the spin call's\n");
    TextTable table({{"mode", TextTable::left}, {"size", TextTable::right}, {"p50", TextTable::right},
                    {"/ shmring-mpmc", TextTable::right}, {"/ shmring-queue-mpmc", TextTable::right},
                    {"/ floor", TextTable::right}, {"unix-stream", TextTable::right}, {"tcp", TextTable::right}});
    for (const auto& row : rows) {
        if (!is_service_call(row)) continue;
        const WaitStrategy mode = row.job->mode;
        const std::size_t size = row.job->size;
        const double p50 = row.p50.median;
        const bool spin = mode == WaitStrategy::spin;
        table.add({to_string(mode), std::to_string(size), duration(p50), ratio(p50 / p50_of(rows, "shmring-mpmc", mode, size)),
                   ratio(p50 / p50_of(rows, "shmring-queue-mpmc", mode, size)), ratio(1 / row.x_floor),
                   spin ? ratio(p50_of(rows, "unix-stream", WaitStrategy::block, size) / p50) : "",
                   spin ? ratio(p50_of(rows, "tcp", WaitStrategy::block, size) / p50) : ""});
    }
    table.print(out);
}

}  // namespace

std::string describe_machine(const RunInfo& info) {
    return info.hostname + ": " + info.cpu_model + ", " + std::to_string(info.usable_cpus) + " usable CPUs, kernel " + info.kernel;
}

void print_tables(std::FILE* out, const std::vector<Row>& rows, const RunInfo& info) {
    std::fprintf(out, "shmring-bench, %s profile, %d repetition%s interleaved; started %s, took %.1f s\n", info.profile.c_str(),
                 info.reps, info.reps == 1 ? "" : "s", info.started_utc.c_str(), info.wall_seconds);
    std::fprintf(out, "machine: %s; load average before %s, after %s\n", describe_machine(info).c_str(), info.load_before.c_str(),
                 info.load_after.c_str());
    if (info.parent_cpu >= 0)
        std::fprintf(out, "pinned: parent on CPU %d, child on CPU %d; ", info.parent_cpu, info.child_cpu);
    else
        std::fprintf(out, "not pinned (fewer than two usable CPUs); ");
    std::fprintf(out, "cpu_dma_latency: %s\n", info.cpu_dma_latency.c_str());

    const auto any = [&](Pattern p) {
        for (const auto& row : rows)
            if (shown(row, p)) return true;
        return false;
    };
    if (any(Pattern::latency)) latency_table(out, rows);
    if (std::any_of(rows.begin(), rows.end(), is_service_call)) service_table(out, rows);
    if (any(Pattern::throughput)) stream_table(out, rows, Pattern::throughput);
    if (any(Pattern::bulk)) stream_table(out, rows, Pattern::bulk);
    if (any(Pattern::paced)) paced_table(out, rows);

    bool header = false;
    for (const auto& row : rows) {
        if (row.verdict != Verdict::failed) continue;
        if (!header) std::fprintf(out, "\nFAILED runs (lost, duplicated, reordered or corrupt messages, or a transport error):\n");
        header = true;
        std::fprintf(out, "  FAILED %s: %s\n", row.job->label().c_str(), row.detail.c_str());
    }
    header = false;
    for (const auto& row : rows) {
        if (row.verdict != Verdict::skipped) continue;
        if (!header) std::fprintf(out, "\nSkipped:\n");
        header = true;
        std::fprintf(out, "  %s: %s\n", row.job->label().c_str(), row.detail.c_str());
    }
}

}  // namespace shmring::bench
