// Fan-out: one publishing process and N receiving processes, each of which gets every message.
// The two-process patterns cannot show it, so it has its own runs:
//
//   shmring-topic    a lossless topic, N subscribers (spin and adaptive)
//   pipes            one Linux pipe per receiver, the publisher writing each message to every one
//                    (what N point-to-point channels cost the one process that feeds them)
//   lossy-stalled    a lossy topic's publisher alone, and beside one subscriber that never reads:
//                    its rate must not change (a lossy publisher never waits)
//
// Every receiver checks each message's sequence number and first word; the figure is messages
// delivered per second summed over the receivers, the median of the repetitions. Processes are
// pinned round-robin over the usable cores; the machine may have fewer cores than processes: those
// rows are oversubscribed, and say so.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/stats.hpp"
#include "harness/summary.hpp"
#include "shmring/wait.hpp"

namespace shmring::bench {

struct FanoutRow {
    std::string transport;     // shmring-topic, pipes, lossy-publisher
    std::string mode;          // spin, adaptive, block
    int receivers = 0;         // subscribers or pipes; lossy rows: stalled subscribers (0 or 1)
    bool oversubscribed = false;  // more processes than usable CPUs
    Spread rate{kNone, kNone, kNone};  // delivered messages per second (lossy rows: published)
    std::string error;         // the first failure, if any repetition failed
};

struct FanoutSettings {
    std::uint64_t messages = 0;     // per run
    int reps = 0;
    std::vector<int> cpus;          // usable cores: the publisher takes the first, receiver i the (i+1)-th, round-robin
    std::int64_t timeout_ns = 0;    // per run
    std::vector<int> receivers{1, 2, 4};
};

std::vector<FanoutRow> run_fanout(const FanoutSettings& settings);
void print_fanout(std::FILE* out, const std::vector<FanoutRow>& rows);

}  // namespace shmring::bench
