// The vocabulary every engine speaks, so that the same verb means the same thing in every ring:
//
//   try_claim / claim  -> commit(length) | abort     write a message in place (a Loan)
//   try_peek  / peek   -> release                    read a message in place (a View)
//   try_send  / send,  try_receive / receive         copy a message in or out
//   services: call = send + wait (client); try_receive / receive -> reply (server, in place)
//   flush                                            make visible what commit or release held back
//
// try_* never waits; the plain form waits as the endpoint's WaitStrategy says, until a deadline.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

#include "shmring/error.hpp"

namespace shmring {

// Room for one message, lent in place: fill `data`, then commit or abort.
struct Loan {
    Status status;  // ok: `data` is the room; otherwise `data` is empty
    std::span<std::byte> data;
};

// One message, lent in place until release().
struct View {
    Status status;  // ok: the fields below describe the message
    std::span<const std::byte> data;
    std::uint32_t type = 0;      // SPSC: the sender's record type
    std::uint64_t position = 0;  // SPSC: the record's position in the ring (its header's)
    std::uint64_t sequence = 0;  // topics: the message's sequence number (1, 2, 3, ... per topic)
};

// One request taken by a service's server, in place until it is answered (service.hpp).
struct Request {
    Status status;  // ok: the fields below describe the request
    std::span<const std::byte> data;
    std::uint64_t id = 0;  // what the answer names
};

// Whether commit or release makes its change visible now, or leaves it for a later flush(): many
// messages then cost one store of the position and at most one wake-up.
enum class Flush { now, later };

// The status of any call's result, for code generic over them.
constexpr Status status_of(Status status) noexcept { return status; }
constexpr Status status_of(const Loan& loan) noexcept { return loan.status; }
constexpr Status status_of(const View& view) noexcept { return view.status; }
constexpr Status status_of(const Request& request) noexcept { return request.status; }

// What a call that moves many things at once moved: bytes (pipes) or messages (queue batches).
// `status` is ok when anything moved; otherwise it says why nothing did.
struct IoResult {
    Status status;      // ok, again, timed_out, too_large, corrupt; pipes: peer_gone (EPIPE); MPMC: busy (a peek open)
    std::size_t count;  // a pipe read with status ok and count 0 is end of file
};
constexpr Status status_of(const IoResult& result) noexcept { return result.status; }

}  // namespace shmring
