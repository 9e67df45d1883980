// How an endpoint of a workload moves its messages: the rung of the API ladder, and how it waits.
#pragma once

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

inline AttachOptions attach_options(WaitStrategy wait) {
    AttachOptions options;
    options.wait = wait;
    return options;
}

}  // namespace shmring::multiprocess
