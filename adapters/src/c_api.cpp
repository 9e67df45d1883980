// The C API (shmring.h) on top of the pipe and queue ends: argument checks and errno translation
// only. A C handle holds the end of the role it was opened for; a call of the other role's finds
// none and fails with EBADF.
#include "shmring/shmring.h"

#include <cerrno>
#include <span>
#include <cstring>
#include <memory>
#include <optional>

#include "c_api_support.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"

namespace shmring::c_api {

// A C handle: the sending or the receiving end, whichever its role opened.
template <class SendingEnd, class ReceivingEnd>
struct Ends {
    std::optional<SendingEnd> sending;
    std::optional<ReceivingEnd> receiving;

    template <class Call>
    auto with_either(Call call) {
        return sending ? call(*sending) : call(*receiving);
    }
};

}  // namespace shmring::c_api

struct shmring_pipe : shmring::c_api::Ends<shmring::PipeWriter, shmring::PipeReader> {};
struct shmring_queue : shmring::c_api::Ends<shmring::QueueSender, shmring::QueueReceiver> {
    // A loan (sender) or a peeked message (receiver) is open: the C calls keep the zero-copy
    // ladder's order, and refuse anything else with EINVAL until it is finished.
    bool lent = false;
};

namespace {

using shmring::Status;
using namespace shmring::c_api;

// Every entry of a batch names its bytes (a null base only with length 0).
bool valid_entries(const struct iovec* entries, size_t count) {
    for (size_t i = 0; i < count; ++i)
        if (entries[i].iov_base == nullptr && entries[i].iov_len != 0) return false;
    return true;
}

ssize_t count_or_error(const shmring::IoResult& result) {
    return result.status == Status::ok ? static_cast<ssize_t>(result.count) : negated(result.status);
}

template <class End>
int open_end(const char* name, std::optional<End>& end) {
    auto opened = End::open(name);
    if (!opened) return fail(opened.error());
    end.emplace(std::move(*opened));
    return 0;
}

// A new handle holding the end of `role` (SHMRING_SENDER or SHMRING_RECEIVER).
template <class Handle>
int open_handle(const char* name, int role, Handle** out) {
    if (name == nullptr || out == nullptr || (role != SHMRING_SENDER && role != SHMRING_RECEIVER)) return -EINVAL;
    return guarded([&] {
        auto handle = std::make_unique<Handle>();
        const int opened = role == SHMRING_SENDER ? open_end(name, handle->sending) : open_end(name, handle->receiving);
        if (opened != 0) return opened;
        *out = handle.release();
        return 0;
    });
}

template <class Handle>
int set_wait_of(Handle* handle, int strategy) {
    if (handle == nullptr || !valid_strategy(strategy)) return -EINVAL;
    handle->with_either([&](auto& end) { end.set_wait(static_cast<shmring::WaitStrategy>(strategy)); });
    return 0;
}

template <class Handle>
int poll_fd_of(Handle* handle) {
    if (handle == nullptr) return -EINVAL;
    return guarded([&] {
        const auto fd = handle->with_either([](auto& end) { return end.poll_fd(); });
        return fd ? *fd : fail(fd.error());
    });
}

}  // namespace

extern "C" {

int shmring_pipe_create(const char* name, size_t capacity_bytes, unsigned mode) {
    if (name == nullptr) return -EINVAL;
    return guarded([&] {
        const auto created = shmring::create_pipe(name, capacity_bytes, mode_or_default(mode));
        return created ? 0 : fail(created.error());
    });
}

int shmring_pipe_open(const char* name, int role, shmring_pipe** out) {
    return open_handle(name, role, out);
}

ssize_t shmring_pipe_write(shmring_pipe* p, const void* buf, size_t len, int flags) {
    if (p == nullptr || (buf == nullptr && len != 0) || (flags & ~SHMRING_NONBLOCK) != 0) return -EINVAL;
    const auto blocking = (flags & SHMRING_NONBLOCK) != 0 ? shmring::Blocking::no : shmring::Blocking::yes;
    if (!p->sending) return negated(Status::wrong_role);
    const auto result = p->sending->write({static_cast<const std::byte*>(buf), len}, blocking);
    return result.status == Status::ok ? static_cast<ssize_t>(result.count) : negated(result.status);
}

ssize_t shmring_pipe_read(shmring_pipe* p, void* buf, size_t len, int flags) {
    if (p == nullptr || (buf == nullptr && len != 0) || (flags & ~SHMRING_NONBLOCK) != 0) return -EINVAL;
    const auto blocking = (flags & SHMRING_NONBLOCK) != 0 ? shmring::Blocking::no : shmring::Blocking::yes;
    if (!p->receiving) return negated(Status::wrong_role);
    const auto result = p->receiving->read({static_cast<std::byte*>(buf), len}, blocking);
    return result.status == Status::ok ? static_cast<ssize_t>(result.count) : negated(result.status);
}

int shmring_pipe_set_wait(shmring_pipe* p, int strategy) { return set_wait_of(p, strategy); }

int shmring_pipe_fd(shmring_pipe* p) { return poll_fd_of(p); }

void shmring_pipe_close(shmring_pipe* p) { delete p; }

int shmring_queue_create(const char* name, size_t max_messages, size_t max_message_size, int engine, unsigned mode) {
    if (name == nullptr || (engine != SHMRING_SPSC && engine != SHMRING_MPMC) || max_message_size > UINT32_MAX) return -EINVAL;
    shmring::QueueConfig config;
    config.max_messages = max_messages;
    config.max_message_size = static_cast<std::uint32_t>(max_message_size);
    config.engine = engine == SHMRING_SPSC ? shmring::layout::Engine::spsc : shmring::layout::Engine::mpmc;
    config.mode = mode_or_default(mode);
    return guarded([&] {
        const auto created = shmring::create_queue(name, config);
        return created ? 0 : fail(created.error());
    });
}

int shmring_queue_open(const char* name, int role, shmring_queue** out) {
    return open_handle(name, role, out);
}

int shmring_queue_send(shmring_queue* q, const void* msg, size_t len, int64_t timeout_ns) {
    if (q == nullptr || (msg == nullptr && len != 0) || q->lent) return -EINVAL;
    if (!q->sending) return negated(Status::wrong_role);
    const std::span message(static_cast<const std::byte*>(msg), len);
    const Status status = with_timeout(timeout_ns, [&](auto patience) { return q->sending->send(message, patience); });
    return status == Status::ok ? 0 : negated(status);
}

ssize_t shmring_queue_receive(shmring_queue* q, void* buf, size_t cap, int64_t timeout_ns) {
    if (q == nullptr || (buf == nullptr && cap != 0) || q->lent) return -EINVAL;
    if (!q->receiving) return negated(Status::wrong_role);
    const std::span buffer(static_cast<std::byte*>(buf), cap);
    std::size_t length = 0;
    const Status status =
        with_timeout(timeout_ns, [&](auto patience) { return q->receiving->receive(buffer, length, patience); });
    return status == Status::ok ? static_cast<ssize_t>(length) : negated(status);
}

int shmring_queue_loan(shmring_queue* q, void** buf, size_t* cap, int64_t timeout_ns) {
    if (q == nullptr || buf == nullptr || cap == nullptr || q->lent) return -EINVAL;
    if (!q->sending) return negated(Status::wrong_role);
    const shmring::Loan loan = with_timeout(timeout_ns, [&](auto patience) { return q->sending->claim(patience); });
    if (loan.status != Status::ok) return negated(loan.status);
    q->lent = true;
    *buf = loan.data.data();
    *cap = loan.data.size();
    return 0;
}

int shmring_queue_commit(shmring_queue* q, size_t len) {
    if (q == nullptr) return -EINVAL;
    if (!q->sending) return negated(Status::wrong_role);
    if (!q->lent) return -EINVAL;
    if (len > q->sending->max_message_size()) return -EMSGSIZE;  // the loan stays open
    q->sending->commit(len);
    q->lent = false;
    return 0;
}

void shmring_queue_abort(shmring_queue* q) {
    if (q == nullptr || !q->sending || !q->lent) return;
    q->sending->abort();
    q->lent = false;
}

ssize_t shmring_queue_peek(shmring_queue* q, const void** msg, int64_t timeout_ns) {
    if (q == nullptr || msg == nullptr || q->lent) return -EINVAL;
    if (!q->receiving) return negated(Status::wrong_role);
    const shmring::View view = with_timeout(timeout_ns, [&](auto patience) { return q->receiving->peek(patience); });
    if (view.status != Status::ok) return negated(view.status);
    q->lent = true;
    *msg = view.data.data();
    return static_cast<ssize_t>(view.data.size());
}

int shmring_queue_release(shmring_queue* q) {
    if (q == nullptr) return -EINVAL;
    if (!q->receiving) return negated(Status::wrong_role);
    if (!q->lent) return -EINVAL;
    q->receiving->release();
    q->lent = false;
    return 0;
}

ssize_t shmring_queue_send_batch(shmring_queue* q, const struct iovec* msgs, size_t count, int64_t timeout_ns) {
    if (q == nullptr || (msgs == nullptr && count != 0) || !valid_entries(msgs, count) || q->lent) return -EINVAL;
    if (!q->sending) return negated(Status::wrong_role);
    const std::span messages(msgs, count);
    return count_or_error(
        with_timeout(timeout_ns, [&](auto patience) { return q->sending->send_batch(messages, patience); }));
}

ssize_t shmring_queue_receive_batch(shmring_queue* q, struct iovec* msgs, size_t count, int64_t timeout_ns) {
    if (q == nullptr || (msgs == nullptr && count != 0) || !valid_entries(msgs, count) || q->lent) return -EINVAL;
    if (!q->receiving) return negated(Status::wrong_role);
    const std::span buffers(msgs, count);
    return count_or_error(
        with_timeout(timeout_ns, [&](auto patience) { return q->receiving->receive_batch(buffers, patience); }));
}

int shmring_queue_set_wait(shmring_queue* q, int strategy) { return set_wait_of(q, strategy); }

int shmring_queue_fd(shmring_queue* q) { return poll_fd_of(q); }

void shmring_queue_close(shmring_queue* q) { delete q; }

ssize_t shmring_queue_max_message_size(shmring_queue* q) {
    if (q == nullptr) return -EINVAL;
    return static_cast<ssize_t>(q->with_either([](auto& end) { return end.max_message_size(); }));
}

int shmring_unlink(const char* name) {
    if (name == nullptr) return -EINVAL;
    return guarded([&] {
        const auto removed = shmring::Segment::unlink(name);
        return removed ? 0 : fail(removed.error());
    });
}

#define SHMRING_STRING(x) #x
#define SHMRING_VERSION_TEXT(major, minor, patch) SHMRING_STRING(major) "." SHMRING_STRING(minor) "." SHMRING_STRING(patch)

const char* shmring_version(void) {
    return SHMRING_VERSION_TEXT(SHMRING_VERSION_MAJOR, SHMRING_VERSION_MINOR, SHMRING_VERSION_PATCH);
}

const char* shmring_strerror(int err) {
    switch (err < 0 ? -err : err) {
        case 0: return "success";
        case EEXIST: return "ring exists already";
        case ENOENT: return "no ring of that name";
        case EACCES: return "permission denied";
        case EINVAL: return "invalid name or parameter";
        case EBUSY: return "role held by another live endpoint";
        case EAGAIN: return "would block";
        case ETIMEDOUT: return "timed out";
        case EPIPE: return "the other side has gone";
        case EMSGSIZE: return "message too large";
        case EPROTO: return "not a shmring segment, another version or kind, or corrupt";
        case EBADF: return "operation of the other side";
        case ENOSPC: return "not enough shared memory for the ring";
        case EOVERFLOW: return "message overwritten while it was read, or a count at its maximum";
        case EOWNERDEAD: return "the previous holder of the lock died holding it";
        case ENOTRECOVERABLE: return "the lock is not recoverable";
        case EPERM: return "operation not permitted (a lock this handle does not hold)";
        case EDEADLK: return "this handle holds the lock already";
        case ECONNREFUSED: return "no server attached to the service";
        case ECONNRESET: return "the server died or closed before answering";
        default: return std::strerror(err < 0 ? -err : err);
    }
}

}  // extern "C"
