// The RPC pool: calls between many processes, which the two-process patterns cannot show. Two
// server processes share the calls of four client processes; each client keeps eight calls in
// flight (it sends while fewer are pending, otherwise waits for its oldest) and collects them in
// order. Requests and responses are 64 bytes:
//
//   shmring-service  one service with its 2 servers and 4 clients (spin, adaptive, block); each
//                    server receives and answers in place, each client sends and waits
//   unix-stream      one AF_UNIX stream socketpair per client; each server polls the sockets of
//                    two clients, reads what one holds and answers all of it in one write
//
// Every server checks each request, and every client that each response answers its own request
// (harness/message.hpp's pattern, tagged with client and call number). The figure is calls per
// second summed over the clients, the median of the repetitions. Processes are pinned round-robin
// over the usable cores, servers first; rows with more processes than CPUs say so.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/stats.hpp"
#include "harness/summary.hpp"

namespace shmring::bench {

inline constexpr int kRpcServers = 2;
inline constexpr int kRpcClients = 4;
inline constexpr int kRpcInFlight = 8;  // calls each client keeps pending

struct RpcPoolRow {
    std::string transport;             // shmring-service, unix-stream
    std::string mode;                  // spin, adaptive, block
    bool oversubscribed = false;       // more processes than usable CPUs
    Spread rate{kNone, kNone, kNone};  // calls per second, summed over the clients
    std::string error;                 // the first failure, if any repetition failed
};

struct RpcPoolSettings {
    std::uint64_t calls = 0;      // per run, shared equally by the clients
    int reps = 0;
    std::vector<int> cpus;        // usable cores: process i (the idle leader first, then servers, then clients) takes the i-th, round-robin
    std::int64_t timeout_ns = 0;  // per run
};

std::vector<RpcPoolRow> run_rpc_pool(const RpcPoolSettings& settings);
void print_rpc_pool(std::FILE* out, const std::vector<RpcPoolRow>& rows);

}  // namespace shmring::bench
