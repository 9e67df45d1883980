// shmring-bench: the two-process shoot-out. See bench/README.md.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sys/utsname.h>

#include "harness/clock.hpp"
#include "harness/dma_latency.hpp"
#include "harness/fanout.hpp"
#include "harness/options.hpp"
#include "harness/plan.hpp"
#include "harness/report.hpp"
#include "harness/rpc_pool.hpp"
#include "harness/run.hpp"
#include "harness/summary.hpp"
#include "harness/text_table.hpp"
#include "harness/watchdog.hpp"

using namespace shmring::bench;

namespace {

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return text;
}

void list_transports(const Registry& registry) {
    // No header line: one transport a line, its name first (check_bench.py reads them so).
    TextTable table({{"name", TextTable::left}, {"modes", TextTable::left}, {"description", TextTable::left}},
                    TextTable::HeaderLine::omit);
    for (const auto& spec : registry.all()) {
        std::string modes;
        for (const shmring::WaitStrategy mode : spec.modes) modes += std::string(modes.empty() ? "" : ",") + to_string(mode);
        table.add({spec.name, modes, spec.description + (spec.test_only ? " [only when named]" : "")});
    }
    table.print(stdout);
}

void progress(std::size_t done, std::size_t total, int rep, int reps, const Job& job, const RunResult& result) {
    std::string outcome = "ok";
    if (!result.error.empty()) outcome = "FAILED: " + result.error;
    else if (job.pattern == Pattern::latency) outcome += " p50 " + std::to_string(static_cast<long>(result.latency.p50)) + " ns";
    else outcome += " " + std::to_string(static_cast<long>(static_cast<double>(result.messages) / result.seconds)) + " msg/s";
    std::fprintf(stderr, "[%zu/%zu] rep %d/%d %s: %s\n", done, total, rep + 1, reps, job.label().c_str(), outcome.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    std::string error;
    if (!parse_options(argc, argv, options, error)) {
        std::fprintf(stderr, "shmring-bench: %s\n\n%s", error.c_str(), usage());
        return 2;
    }
    if (options.help) {
        std::fputs(usage(), stdout);
        return 0;
    }
    const Registry registry = make_registry();
    if (options.list) {
        list_transports(registry);
        return 0;
    }
    const Placement placement = choose_placement();
    Plan plan;
    if (!make_plan(registry, options, placement.parent_cpu >= 0, plan, error)) {
        std::fprintf(stderr, "shmring-bench: %s\n", error.c_str());
        return 2;
    }

    RunInfo info;
    std::optional<DmaLatencyHold> dma_hold;
    if (options.hold_cpu_dma_latency) {
        auto hold = DmaLatencyHold::hold_zero();
        if (!hold) {
            std::fprintf(stderr, "shmring-bench: --cpu-dma-latency: %s\n", hold.error().message().c_str());
            return 2;
        }
        dma_hold.emplace(std::move(*hold));
        info.cpu_dma_latency = "held at 0 us by this run (now " + current_dma_latency() + ")";
    } else {
        info.cpu_dma_latency = "not touched (system limit " + current_dma_latency() + ")";
    }
    utsname uts{};
    ::uname(&uts);
    info.profile = to_string(options.profile);
    info.started_utc = utc_now();
    info.load_before = load_average();
    info.hostname = uts.nodename;
    info.kernel = uts.release;
    info.cpu_model = cpu_model();
    info.usable_cpus = placement.usable_cpus;
    info.parent_cpu = placement.parent_cpu;
    info.child_cpu = placement.child_cpu;
    info.reps = plan.settings.reps;

    install_watchdog();
    std::vector<std::size_t> runnable;
    for (std::size_t j = 0; j < plan.jobs.size(); ++j)
        if (plan.jobs[j].skipped.empty()) runnable.push_back(j);
    std::fprintf(stderr, "shmring-bench: %s profile, %zu jobs x %d repetitions, cpu_dma_latency %s\n", info.profile.c_str(),
                 runnable.size(), info.reps, info.cpu_dma_latency.c_str());

    // Round-robin: every job once per repetition, so that drift in the machine's state spreads
    // over all transports instead of landing on whichever ran last.
    const std::int64_t start = now_ns();
    std::vector<std::vector<RunResult>> results(plan.jobs.size());
    std::size_t done = 0;
    for (int rep = 0; rep < info.reps; ++rep) {
        for (const std::size_t j : runnable) {
            results[j].push_back(run_job(plan.jobs[j], placement));
            progress(++done, runnable.size() * static_cast<std::size_t>(info.reps), rep, info.reps, plan.jobs[j], results[j].back());
        }
    }
    std::vector<FanoutRow> fanout;
    if (plan.fanout) {
        plan.fanout_settings.cpus = placement.cpus;
        fanout = run_fanout(plan.fanout_settings);
    }
    std::vector<RpcPoolRow> rpc_pool;
    if (plan.rpc_pool) {
        plan.rpc_pool_settings.cpus = placement.cpus;
        rpc_pool = run_rpc_pool(plan.rpc_pool_settings);
    }
    info.wall_seconds = static_cast<double>(now_ns() - start) * 1e-9;
    info.load_after = load_average();

    const std::vector<Row> rows = summarize(plan.jobs, results);
    print_tables(stdout, rows, info);
    if (!fanout.empty()) print_fanout(stdout, fanout);
    if (!rpc_pool.empty()) print_rpc_pool(stdout, rpc_pool);
    int status = 0;
    for (const auto& row : rows)
        if (row.verdict == Verdict::failed) status = 1;
    for (const auto& row : fanout)
        if (!row.error.empty()) status = 1;
    for (const auto& row : rpc_pool)
        if (!row.error.empty()) status = 1;
    if (!options.json_path.empty() && !write_json(options.json_path, rows, fanout, rpc_pool, info, error)) {
        std::fprintf(stderr, "shmring-bench: %s\n", error.c_str());
        status = status == 0 ? 2 : status;
    }
    if (!options.csv_path.empty() && !write_csv(options.csv_path, rows, info, error)) {
        std::fprintf(stderr, "shmring-bench: %s\n", error.c_str());
        status = status == 0 ? 2 : status;
    }
    if (!options.plot_dir.empty()) std::fprintf(stderr, "shmring-bench: %s\n", write_plots(options.plot_dir, rows, info).c_str());
    return status;
}
