// Which rung of the API ladder an endpoint moves its messages with.
#pragma once

#include <string>

#include "harness/role.hpp"

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

}  // namespace shmring::multiprocess
