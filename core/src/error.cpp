#include "shmring/error.hpp"

#include <cstring>

namespace shmring {

const char* describe(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_name: return "invalid ring name (1 to 200 of A-Z a-z 0-9 . _ -)";
        case Errc::invalid_argument: return "invalid argument";
        case Errc::exists: return "ring exists already";
        case Errc::not_found: return "ring not found";
        case Errc::permission_denied: return "permission denied";
        case Errc::busy: return "role held by another live endpoint";
        case Errc::no_endpoint_slot: return "every endpoint entry is in use";
        case Errc::not_a_ring: return "not a shmring segment";
        case Errc::bad_magic: return "bad magic: not a shmring segment";
        case Errc::version_mismatch: return "layout version mismatch";
        case Errc::wrong_kind: return "wrong ring kind";
        case Errc::truncated: return "segment truncated";
        case Errc::corrupt: return "segment corrupt";
        case Errc::not_ready: return "segment never finished initialising";
        case Errc::unsupported: return "not supported on this system";
        case Errc::no_space: return "not enough shared memory";
        case Errc::system: return "system call failed";
    }
    return "unknown error";
}

int errno_value(Errc code, int sys_errno) noexcept {
    switch (code) {
        case Errc::invalid_name:
        case Errc::invalid_argument: return EINVAL;
        case Errc::exists: return EEXIST;
        case Errc::not_found: return ENOENT;
        case Errc::permission_denied: return EACCES;
        case Errc::busy:
        case Errc::no_endpoint_slot: return EBUSY;
        case Errc::not_a_ring:
        case Errc::bad_magic:
        case Errc::version_mismatch:
        case Errc::wrong_kind:
        case Errc::truncated:
        case Errc::corrupt:
        case Errc::not_ready: return EPROTO;
        case Errc::unsupported: return EOPNOTSUPP;
        case Errc::no_space: return ENOSPC;
        case Errc::system: return sys_errno != 0 ? sys_errno : EIO;
    }
    return EIO;
}

std::string Error::message() const {
    std::string text = context_;
    text += ": ";
    text += describe(code_);
    if (sys_errno_ != 0) {
        text += ": ";
        text += std::strerror(sys_errno_);
    }
    return text;
}

Error system_error(std::string context, int sys_errno) {
    switch (sys_errno) {
        case ENOENT: return Error(Errc::not_found, std::move(context), sys_errno);
        case EEXIST: return Error(Errc::exists, std::move(context), sys_errno);
        case EACCES:
        case EPERM: return Error(Errc::permission_denied, std::move(context), sys_errno);
        case ENOSPC: return Error(Errc::no_space, std::move(context), sys_errno);
        default: return Error(Errc::system, std::move(context), sys_errno);
    }
}

const char* describe(Status status) noexcept {
    switch (status) {
        case Status::ok: return "ok";
        case Status::again: return "would block";
        case Status::timed_out: return "timed out";
        case Status::too_large: return "message too large";
        case Status::corrupt: return "ring corrupt";
        case Status::peer_gone: return "peer gone";
        case Status::interrupted: return "interrupted";
        case Status::wrong_role: return "operation of the other side";
        case Status::busy: return "a loan or taken message is still open";
        case Status::overflow: return "message overwritten while it was read";
        case Status::refused: return "no server attached";
        case Status::reset: return "the server died or closed before answering";
        case Status::unknown_request: return "no pending call with that request id";
        case Status::owner_died: return "the previous holder died holding the lock";
        case Status::not_recoverable: return "the lock is not recoverable";
        case Status::not_owner: return "this handle does not hold the lock";
        case Status::deadlock: return "this handle holds the lock already";
    }
    return "unknown status";
}

}  // namespace shmring
