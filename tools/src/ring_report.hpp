// RingReport: what the tool says about a ring: the figures derived from an inspected copy (fill level,
// totals, liveness of every endpoint and of the creator) and the ring's state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspector.hpp"
#include "shmring/endpoint.hpp"

namespace shmring::cli {

struct EndpointReport {
    EndpointCopy copy;
    std::uint32_t pid;
    std::string_view status;  // attached, claiming (taking the entry), or invalid
    std::string_view role;    // producer, consumer, observer, user (cells, locks, semaphores), none, or unknown
    std::string_view wait;    // adaptive, spin, block, or unknown
    bool alive;
    // Topic subscribers: whether it holds a lossless publisher back, and how far behind it is.
    bool gating = false;
    std::uint64_t lag = 0;
};

// One pending call of a service, as `stat` and `watch` list it.
struct CallReport {
    CallCopy copy;
    std::uint64_t id = 0;                  // its request id
    std::string_view phase;                // writing, queued, serving, answered, abandoned, reset or refused
    std::optional<std::uint32_t> client;   // the registry entries of its client and of the server serving it
    std::optional<std::uint32_t> server;
    std::optional<std::uint32_t> client_pid;  // their owners' pids, while the entries are in use
    std::optional<std::uint32_t> server_pid;
    // Known once the request is queued, and while the call stood still as it was read: how long
    // ago it was sent, and the sizes of its request and (answered) response.
    std::optional<std::uint64_t> age_ns;
    std::optional<std::uint32_t> request_bytes;
    std::optional<std::uint32_t> response_bytes;
};

// The holder of a lock, or of a cell's writer lock, as the lock's holder word names it.
struct HolderReport {
    std::uint32_t endpoint = 0;          // the registry entry the word names
    std::optional<std::uint32_t> pid;    // its owner's, while the entry is still the holder's (same generation)
    bool alive = false;                  // whether the holder lives (its lease); an entry freed or taken again: no
    std::uint64_t since_realtime_ns = 0;  // when it took the lock
};

struct RingReport {
    std::string name;
    std::string path;
    RingCopy ring;
    std::string_view kind;           // pipe, queue, topic, service, raw, cell, lock or semaphore
    std::string_view engine;         // spsc, mpmc, topic, service, cell, lock or semaphore
    std::string_view policy;         // topics: lossless or lossy; empty otherwise
    // bytes (SPSC, cells: the value size), slots (MPMC), messages (topics), calls (services),
    // holders (locks) or count (semaphores: the maximum)
    std::string_view capacity_unit;
    // In that unit: for topics the messages asked for (not the slots), for services the calls that
    // may be pending.
    std::uint64_t capacity;
    // SPSC: from the counters; MPMC: tickets in flight; topics: the slowest subscriber's lag;
    // services: the pending calls; cells, locks and semaphores: ring.used.
    std::uint64_t used_messages;
    double fill_percent;
    // Every producer and every consumer there ever was: attached entries plus retired totals.
    CounterValues producers;
    CounterValues consumers;
    std::vector<EndpointReport> endpoints;
    unsigned alive = 0;
    unsigned dead = 0;
    bool creator_alive;
    // The registry entries that hold the SPSC roles, when their role words name a current entry.
    std::optional<std::uint32_t> producer_endpoint;
    std::optional<std::uint32_t> consumer_endpoint;
    // MPMC: the entry repairing a slot abandoned by a dead endpoint, if any.
    std::optional<std::uint32_t> repair_endpoint;
    // Services: the live clients and servers, the servers clients count on (the attached mask),
    // and the pending calls (the first kMaxCallsListed of ring.pending_calls).
    unsigned clients = 0;
    unsigned servers = 0;
    std::vector<std::uint32_t> attached_servers;
    std::vector<CallReport> calls;
    // Cells, locks and semaphores: whether they keep state rather than move messages; the holder of
    // the lock (a cell's writer lock) while it is held; its consistency (consistent, owner_died or
    // not_recoverable); and the endpoints asleep waiting (for the lock, a newer value or a count).
    bool keeps_state = false;
    std::optional<HolderReport> holder;
    std::string_view consistency;
    std::vector<std::uint32_t> waiters;
    // ok; stale: it had endpoints, all are dead and so is its creator; corrupt: an endpoint
    // found a broken invariant and flagged it.
    std::string_view state;
};

RingReport report_of(std::string_view name, RingCopy ring);

// Every state `ls` shows: a ring that inspects cleanly is ok, stale or corrupt (RingReport::state);
// one that does not is corrupt, initialising or unreadable (verdict_name).
inline constexpr std::string_view kRingStates[] = {"ok", "stale", "corrupt", "initialising", "unreadable"};

// The view of a ring that inspects cleanly. Otherwise writes the one-line error, for a damaged or
// half-initialised ring "shmring: <name>: corrupt: <reason>", and returns nullopt.
std::optional<RingReport> report_or_fail(std::string_view name);

}  // namespace shmring::cli
