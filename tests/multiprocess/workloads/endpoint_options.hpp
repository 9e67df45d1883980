// How an endpoint of a workload moves its messages: the rung of the API ladder, and how it waits.
#pragma once

#include <chrono>
#include <string>

#include "harness/role.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring::multiprocess {

enum class Transfer {
    copy,       // send / receive: the ring copies the bytes in and out
    zero_copy,  // claim-commit / peek-release (SPSC), loan-publish / take-release (MPMC), in place
};

inline const char* transfer_name(Transfer transfer) noexcept { return transfer == Transfer::copy ? "copy" : "zero_copy"; }

inline Transfer parse_transfer(const RoleArgs& args) {
    const std::string& value = args.text("transfer");
    if (value == transfer_name(Transfer::copy)) return Transfer::copy;
    if (value == transfer_name(Transfer::zero_copy)) return Transfer::zero_copy;
    throw BadArgument("argument 'transfer' is not a transfer: '" + value + "'");
}

// Sets how often a parked endpoint wakes by itself to probe for dead peers; 0 keeps the library's
// default. The MPMC waits probe (to repair what a dead endpoint left), and a probe retries the
// operation: a lost wake-up then costs one interval instead of hanging, which hides it. Tests of
// wake-ups set kNoProbing, longer than their deadline, so that only the other side can end a wait.
inline constexpr std::chrono::milliseconds kNoProbing = std::chrono::hours(1);

inline void set_probe_interval(Endpoint& endpoint, std::chrono::milliseconds interval) {
    if (interval.count() == 0) return;
    WaitTuning tuning = endpoint.tuning();
    tuning.probe_interval = interval;
    endpoint.set_tuning(tuning);
}

inline EndpointOptions attach_options(WaitStrategy wait) {
    EndpointOptions options;
    options.wait = wait;
    return options;
}

}  // namespace shmring::multiprocess
