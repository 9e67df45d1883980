// The C API (shmring.h) on top of Pipe and Queue: argument checks and errno translation only.
#include "shmring/shmring.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>
#include <system_error>

#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"

struct shmring_pipe {
    shmring::Pipe pipe;
};

struct shmring_queue {
    shmring::Queue queue;
};

namespace {

using shmring::Status;

int fail(const shmring::Error& error) { return -error.errno_value(); }

// Every status but ok becomes its negative errno (Status values are errno values).
int negated(Status status) { return -static_cast<int>(status); }

bool valid_strategy(int strategy) {
    return strategy == SHMRING_WAIT_ADAPTIVE || strategy == SHMRING_WAIT_SPIN || strategy == SHMRING_WAIT_BLOCK;
}

unsigned mode_or_default(unsigned mode) { return mode == 0 ? 0600U : mode; }

shmring::Deadline deadline_for(int64_t timeout_ns) {
    if (timeout_ns < 0) return shmring::kNoDeadline;
    if (timeout_ns == 0) return shmring::Deadline::min();  // try once
    return shmring::deadline_after(std::chrono::nanoseconds(timeout_ns));
}

// No exception may cross into C: setup allocates (names, errors, handles) and may start a thread.
template <class Call>
auto guarded(Call call) noexcept -> decltype(call()) {
    try {
        return call();
    } catch (const std::bad_alloc&) {
        return -ENOMEM;
    } catch (const std::system_error& error) {
        return -(error.code().value() != 0 ? error.code().value() : EIO);
    } catch (...) {
        return -EIO;
    }
}

template <class Handle, class Open>
int open_handle(const char* name, Open open, Handle** out) {
    if (name == nullptr || out == nullptr) return -EINVAL;
    return guarded([&] {
        auto opened = open();
        if (!opened) return fail(opened.error());
        *out = new Handle{std::move(*opened)};
        return 0;
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
    if (role != SHMRING_SENDER && role != SHMRING_RECEIVER) return -EINVAL;
    const auto pipe_role = role == SHMRING_SENDER ? shmring::PipeRole::writer : shmring::PipeRole::reader;
    return open_handle<shmring_pipe>(name, [&] { return shmring::Pipe::open(name, pipe_role); }, out);
}

ssize_t shmring_pipe_write(shmring_pipe* p, const void* buf, size_t len, int flags) {
    if (p == nullptr || (buf == nullptr && len != 0) || (flags & ~SHMRING_NONBLOCK) != 0) return -EINVAL;
    const auto blocking = (flags & SHMRING_NONBLOCK) != 0 ? shmring::Blocking::no : shmring::Blocking::yes;
    const auto result = p->pipe.write({static_cast<const std::byte*>(buf), len}, blocking);
    return result.status == Status::ok ? static_cast<ssize_t>(result.count) : negated(result.status);
}

ssize_t shmring_pipe_read(shmring_pipe* p, void* buf, size_t len, int flags) {
    if (p == nullptr || (buf == nullptr && len != 0) || (flags & ~SHMRING_NONBLOCK) != 0) return -EINVAL;
    const auto blocking = (flags & SHMRING_NONBLOCK) != 0 ? shmring::Blocking::no : shmring::Blocking::yes;
    const auto result = p->pipe.read({static_cast<std::byte*>(buf), len}, blocking);
    return result.status == Status::ok ? static_cast<ssize_t>(result.count) : negated(result.status);
}

int shmring_pipe_set_wait(shmring_pipe* p, int strategy) {
    if (p == nullptr || !valid_strategy(strategy)) return -EINVAL;
    p->pipe.set_wait(static_cast<shmring::WaitStrategy>(strategy));
    return 0;
}

int shmring_pipe_fd(shmring_pipe* p) {
    if (p == nullptr) return -EINVAL;
    return guarded([&] {
        const auto fd = p->pipe.poll_fd();
        return fd ? *fd : fail(fd.error());
    });
}

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
    if (role != SHMRING_SENDER && role != SHMRING_RECEIVER) return -EINVAL;
    const auto queue_role = role == SHMRING_SENDER ? shmring::QueueRole::sender : shmring::QueueRole::receiver;
    return open_handle<shmring_queue>(name, [&] { return shmring::Queue::open(name, queue_role); }, out);
}

int shmring_queue_send(shmring_queue* q, const void* msg, size_t len, int64_t timeout_ns) {
    if (q == nullptr || (msg == nullptr && len != 0)) return -EINVAL;
    const Status status = q->queue.send({static_cast<const std::byte*>(msg), len}, deadline_for(timeout_ns));
    return status == Status::ok ? 0 : negated(status);
}

ssize_t shmring_queue_receive(shmring_queue* q, void* buf, size_t cap, int64_t timeout_ns) {
    if (q == nullptr || (buf == nullptr && cap != 0)) return -EINVAL;
    std::size_t length = 0;
    const Status status = q->queue.receive({static_cast<std::byte*>(buf), cap}, length, deadline_for(timeout_ns));
    return status == Status::ok ? static_cast<ssize_t>(length) : negated(status);
}

int shmring_queue_set_wait(shmring_queue* q, int strategy) {
    if (q == nullptr || !valid_strategy(strategy)) return -EINVAL;
    q->queue.set_wait(static_cast<shmring::WaitStrategy>(strategy));
    return 0;
}

int shmring_queue_fd(shmring_queue* q) {
    if (q == nullptr) return -EINVAL;
    return guarded([&] {
        const auto fd = q->queue.poll_fd();
        return fd ? *fd : fail(fd.error());
    });
}

void shmring_queue_close(shmring_queue* q) { delete q; }

ssize_t shmring_queue_max_message_size(shmring_queue* q) {
    if (q == nullptr) return -EINVAL;
    return static_cast<ssize_t>(q->queue.max_message_size());
}

int shmring_unlink(const char* name) {
    if (name == nullptr) return -EINVAL;
    return guarded([&] {
        const auto removed = shmring::Segment::unlink(name);
        return removed ? 0 : fail(removed.error());
    });
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
        default: return std::strerror(err < 0 ? -err : err);
    }
}

}  // extern "C"
