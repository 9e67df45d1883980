// What a run reports: aligned tables on stdout, JSON and CSV files, gnuplot charts.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "harness/fanout.hpp"
#include "harness/rpc_pool.hpp"
#include "harness/summary.hpp"

namespace shmring::bench {

// The conditions of the whole invocation, repeated in every file so that figures are never
// separated from the machine state they were taken in.
struct RunInfo {
    std::string profile;
    std::string started_utc;
    double wall_seconds = 0;
    std::string load_before;      // /proc/loadavg: 1, 5, 15 minutes
    std::string load_after;
    std::string hostname;
    std::string kernel;
    std::string cpu_model;
    int usable_cpus = 0;
    int parent_cpu = -1;          // -1: unpinned
    int child_cpu = -1;
    std::string cpu_dma_latency;  // the setting every run used
    int reps = 0;
};

// "host: CPU model, N usable CPUs, kernel K", as the tables and the charts name the machine.
std::string describe_machine(const RunInfo& info);

void print_tables(std::FILE* out, const std::vector<Row>& rows, const RunInfo& info);

// False with `error` set when the file cannot be written.
// The JSON file has the fan-out and RPC pool rows too, under "fanout" and "rpc_pool".
bool write_json(const std::string& path, const std::vector<Row>& rows, const std::vector<FanoutRow>& fanout,
                const std::vector<RpcPoolRow>& rpc_pool, const RunInfo& info, std::string& error);
bool write_csv(const std::string& path, const std::vector<Row>& rows, const RunInfo& info, std::string& error);

// Draws latency.png, throughput.png and cpu.png into `dir` with gnuplot, each titled with the run
// and the machine. Returns what happened, for the user: where the charts are, or why there are none.
std::string write_plots(const std::string& dir, const std::vector<Row>& rows, const RunInfo& info);

}  // namespace shmring::bench
