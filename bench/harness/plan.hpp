// Which jobs a run makes, and how large each is, per profile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/fanout.hpp"
#include "harness/job.hpp"
#include "harness/options.hpp"
#include "harness/rpc_pool.hpp"
#include "harness/transport.hpp"

namespace shmring::bench {

struct ProfileSettings {
    int reps;
    std::uint64_t round_trips;          // latency
    std::uint64_t stream_messages;      // throughput: at most this many messages...
    std::uint64_t stream_bytes;         // ... and at most this many bytes
    std::uint64_t bulk_bytes;           // bulk: the whole stream
    std::uint64_t paced_messages;       // at 1,000 per second
    std::int64_t timeout_ns;            // per run
};

ProfileSettings settings_for(Profile profile) noexcept;

struct Plan {
    ProfileSettings settings;
    std::vector<Job> jobs;  // in the order each repetition runs them; skipped ones included
    bool fanout = false;    // whether to make the fan-out runs too
    FanoutSettings fanout_settings;
    bool rpc_pool = false;  // whether to make the RPC pool runs too
    RpcPoolSettings rpc_pool_settings;
};

// False with `error` set when an option names something unknown. `spin_ok` is false when the two
// processes cannot have a core each: then spinning would only measure the scheduler.
bool make_plan(const Registry& registry, const Options& options, bool spin_ok, Plan& plan, std::string& error);

}  // namespace shmring::bench
